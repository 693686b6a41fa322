package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/breachledger/breachledger/eventstore"
)

var (
	_ eventstore.CheckpointAppender  = (*Store)(nil)
	_ eventstore.ConditionalAppender = (*Store)(nil)
)

// AppendIf is Append under cond, as eventstore.ConditionalAppender
// documents: cond is checked in the append's IMMEDIATE transaction, under
// the write lock, after stream's own expectation and before anything is
// written, so no append by any connection or process can land between the
// check and the records.
func (s *Store) AppendIf(ctx context.Context, stream string, expected eventstore.Expected, recs []eventstore.Record, cond eventstore.Condition) ([]eventstore.Record, error) {
	stored, _, err := s.append(ctx, stream, expected, recs, &cond, nil)
	return stored, err
}

// AppendCheckpointedIf is AppendCheckpointed under cond, checked as
// AppendIf checks it: sign is not called when cond fails.
func (s *Store) AppendCheckpointedIf(ctx context.Context, stream string, expected eventstore.Expected, recs []eventstore.Record, cond eventstore.Condition, sign eventstore.SignFunc) ([]eventstore.Record, eventstore.Checkpoint, error) {
	return s.appendCheckpointed(ctx, stream, expected, recs, &cond, sign)
}

// AppendCheckpointed appends recs and saves the checkpoint sign makes over
// them in one IMMEDIATE transaction, durably committed (one fsync for
// both), as eventstore.CheckpointAppender documents. sign runs inside the
// transaction, holding the write lock: keep it quick (one signature).
func (s *Store) AppendCheckpointed(ctx context.Context, stream string, expected eventstore.Expected, recs []eventstore.Record, sign eventstore.SignFunc) ([]eventstore.Record, eventstore.Checkpoint, error) {
	return s.appendCheckpointed(ctx, stream, expected, recs, nil, sign)
}

// appendCheckpointed is AppendCheckpointed, and AppendCheckpointedIf when
// cond is not nil: append with a sign function.
func (s *Store) appendCheckpointed(ctx context.Context, stream string, expected eventstore.Expected, recs []eventstore.Record, cond *eventstore.Condition, sign eventstore.SignFunc) ([]eventstore.Record, eventstore.Checkpoint, error) {
	if sign == nil {
		return nil, eventstore.Checkpoint{}, fmt.Errorf("append to %s: no function to sign the checkpoint: %w", stream, eventstore.ErrInvalid)
	}
	return s.append(ctx, stream, expected, recs, cond, sign)
}

// checkpointTx saves, inside tx, the checkpoint sign makes over the
// records after the newest checkpoint, which the append in tx just added
// to; its errors name the append to stream.
func (s *Store) checkpointTx(ctx context.Context, tx *sql.Tx, stream string, sign eventstore.SignFunc) (eventstore.Checkpoint, error) {
	none := eventstore.Checkpoint{}
	latest, tail, err := s.checkpointTail(ctx, tx)
	if err != nil {
		return none, fmt.Errorf("append to %s: %w", stream, err)
	}
	from := uint64(0)
	if latest != nil {
		from = latest.Size
	}
	notCheckpointed := func(err error) (eventstore.Checkpoint, error) {
		return none, fmt.Errorf("append to %s: %w: %w", stream, eventstore.ErrNotCheckpointed, err)
	}
	cp, err := sign(latest, tail)
	if err != nil {
		return notCheckpointed(err)
	}
	switch want := from + uint64(len(tail)); {
	case len(tail) == 0:
		return notCheckpointed(fmt.Errorf("the newest checkpoint (%d events) already covers the head: %w", from, eventstore.ErrInvalid))
	case cp.Size != want || uint64(len(cp.Leaves)) != uint64(len(tail)):
		return notCheckpointed(fmt.Errorf("signed a checkpoint of %d events with %d leaves; the log read has %d events, %d after the newest checkpoint: %w",
			cp.Size, len(cp.Leaves), want, len(tail), eventstore.ErrInvalid))
	case len(cp.Root) == 0 || len(cp.Note) == 0:
		return notCheckpointed(fmt.Errorf("no root or no signed note: %w", eventstore.ErrInvalid))
	}
	saved, err := s.saveCheckpointTx(ctx, tx, cp, from)
	if err != nil {
		return notCheckpointed(fmt.Errorf("save checkpoint of size %d: %w", cp.Size, err))
	}
	return saved, nil
}

// checkpointTail reads, inside tx, the newest stored checkpoint (nil when
// none; without its leaves) and every record after it.
func (s *Store) checkpointTail(ctx context.Context, tx *sql.Tx) (*eventstore.Checkpoint, []eventstore.Record, error) {
	var latest *eventstore.Checkpoint
	cp, err := scanCheckpoint(tx.QueryRowContext(ctx, `SELECT `+checkpointColumns+` FROM checkpoints ORDER BY size DESC LIMIT 1`))
	switch {
	case err == nil:
		latest = &cp
	case !errors.Is(err, sql.ErrNoRows):
		return nil, nil, fmt.Errorf("read latest checkpoint: %w", dbError(ctx, err))
	}
	from := int64(0)
	if latest != nil {
		from = clamp(latest.Size)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+s.columns()+` FROM events WHERE seq >= ? ORDER BY seq`, from)
	if err != nil {
		return nil, nil, fmt.Errorf("read the records after the newest checkpoint: %w", dbError(ctx, err))
	}
	tail, err := scanRecords(rows, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("read the records after the newest checkpoint: %w", dbError(ctx, err))
	}
	return latest, tail, nil
}
