package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/breachledger/breachledger/eventstore"
)

var _ eventstore.Importer = (*Store)(nil)

// Import appends records copied from another ledger in one IMMEDIATE
// transaction, keeping their sequences, revisions and recorded times, as
// eventstore.Importer documents: all or nothing.
func (s *Store) Import(ctx context.Context, recs []eventstore.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := eventstore.ValidateImport(recs); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if len(recs) == 0 {
		return nil
	}
	if err := s.writable(); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	select {
	case s.writer <- struct{}{}:
		defer func() { <-s.writer }()
	case <-ctx.Done():
		return fmt.Errorf("import: %w", ctx.Err())
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("import: %w", dbError(ctx, err))
	}
	defer tx.Rollback()
	if err := s.importTx(ctx, tx, recs); err != nil {
		return fmt.Errorf("import at sequence %d: %w", recs[0].Sequence, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("import: commit: %w", dbError(ctx, err))
	}
	s.broadcast()
	return nil
}

func (s *Store) importTx(ctx context.Context, tx *sql.Tx, recs []eventstore.Record) error {
	var head int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq) + 1, 0) FROM events`).Scan(&head); err != nil {
		return dbError(ctx, err)
	}
	if uint64(head) != recs[0].Sequence {
		return fmt.Errorf("the ledger's next sequence is %d: %w", head, eventstore.ErrSequence)
	}
	ins, err := tx.PrepareContext(ctx, insertEvent)
	if err != nil {
		return dbError(ctx, err)
	}
	defer ins.Close()
	length := map[string]uint64{}
	for _, r := range recs {
		n, ok := length[r.Stream]
		if !ok {
			if n, err = streamLength(ctx, tx, r.Stream); err != nil {
				return err
			}
		}
		if n != r.Revision {
			return &eventstore.ConflictError{Stream: r.Stream, Expected: eventstore.After(r.Revision), Length: n}
		}
		length[r.Stream] = n + 1
		payload := r.Payload
		if payload == nil {
			payload = []byte{}
		}
		var signature any
		if len(r.Signature) > 0 {
			signature = r.Signature
		}
		_, err := ins.ExecContext(ctx,
			int64(r.Sequence), r.ID[:], r.Stream, int64(r.Revision), r.Type, r.OccurredAt.UnixNano(),
			r.Actor, r.Signer, signature, payload, r.RecordedAt.UnixNano(), int64(r.Basis))
		if err != nil {
			var dup int
			if qerr := tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE event_id = ?`, r.ID[:]).Scan(&dup); qerr == nil && dup > 0 {
				return fmt.Errorf("event %s: %w", r.ID, eventstore.ErrDuplicateEvent)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("event %s: %w", r.ID, dbError(ctx, err))
		}
	}
	return nil
}
