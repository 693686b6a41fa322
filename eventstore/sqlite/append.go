package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/breachledger/breachledger/eventstore"
)

// Append adds recs to stream in one IMMEDIATE transaction, durably committed,
// as eventstore.Store documents. Sequences are assigned as one more than the
// largest stored; the recorded time is the store's clock in UTC, truncated to
// microseconds, but never earlier than the previous event's, so it does not
// decrease along the sequence even if the wall clock steps back.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.Expected, recs []eventstore.Record) ([]eventstore.Record, error) {
	stored, _, err := s.append(ctx, stream, expected, recs, nil, nil)
	return stored, err
}

// append is Append, AppendIf when cond is not nil, and AppendCheckpointed
// (If) when sign is not nil: then the checkpoint sign makes is saved in
// the same transaction (checkpointTx) and returned.
func (s *Store) append(ctx context.Context, stream string, expected eventstore.Expected, recs []eventstore.Record, cond *eventstore.Condition, sign eventstore.SignFunc) ([]eventstore.Record, eventstore.Checkpoint, error) {
	none := eventstore.Checkpoint{}
	if err := s.checkAppend(ctx, stream, recs, cond); err != nil {
		return nil, none, err
	}

	select {
	case s.writer <- struct{}{}:
		defer func() { <-s.writer }()
	case <-ctx.Done():
		return nil, none, fmt.Errorf("append to %s: %w", stream, ctx.Err())
	}

	st, err := s.stmts.get(ctx, s.db) // before the transaction takes the connection
	if err != nil {
		return nil, none, fmt.Errorf("append to %s: %w", stream, dbError(ctx, err))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, none, fmt.Errorf("append to %s: %w", stream, dbError(ctx, err))
	}
	defer tx.Rollback()

	stored, fresh, err := s.appendTx(ctx, tx, st, stream, expected, recs, cond)
	if err != nil {
		var ce *eventstore.ConflictError
		if errors.As(err, &ce) {
			return nil, none, err // its message names the append already
		}
		return nil, none, fmt.Errorf("append to %s: %w", stream, err)
	}
	if !fresh {
		return stored, none, nil // an idempotent retry, or nothing to append
	}
	saved := none
	if sign != nil {
		if saved, err = s.checkpointTx(ctx, tx, stream, sign); err != nil {
			return nil, none, err
		}
	}
	if err := tx.Commit(); err != nil {
		// The commit may or may not have landed (a cancelled context can
		// interrupt it late); a retry with the same records and expectation
		// is safe either way.
		return nil, none, fmt.Errorf("append to %s: commit: %w", stream, dbError(ctx, err))
	}
	s.broadcast()
	return stored, saved, nil
}

// checkAppend is what every append checks before it waits for the write
// lock: ctx, the records (eventstore.ValidateAppend), cond's stream name
// when there is a condition, and that the ledger can be written.
func (s *Store) checkAppend(ctx context.Context, stream string, recs []eventstore.Record, cond *eventstore.Condition) error {
	wrap := func(err error) error { return fmt.Errorf("append to %s: %w", stream, err) }
	if err := ctx.Err(); err != nil {
		return wrap(err)
	}
	if err := eventstore.ValidateAppend(stream, recs); err != nil {
		return wrap(err)
	}
	if cond != nil {
		if err := eventstore.ValidateStream(cond.Stream); err != nil {
			return wrap(fmt.Errorf("the condition's stream: %w", err))
		}
	}
	if err := s.writable(); err != nil {
		return wrap(err)
	}
	return nil
}

// appendTx does the work of Append inside tx, and of AppendIf when cond is
// not nil: it checks cond after stream's own expectation, before it
// inserts anything. It reports fresh when it inserted rows that need
// committing.
func (s *Store) appendTx(ctx context.Context, tx *sql.Tx, st preparedStmts, stream string, expected eventstore.Expected, recs []eventstore.Record, cond *eventstore.Condition) (stored []eventstore.Record, fresh bool, err error) {
	if len(recs) > 0 {
		var (
			firstStream string
			firstRev    int64
		)
		err := tx.StmtContext(ctx, st.byID).QueryRowContext(ctx, recs[0].ID[:]).Scan(&firstStream, &firstRev)
		switch {
		case err == nil:
			stored, err := s.retried(ctx, tx, stream, expected, recs, firstStream, uint64(firstRev))
			return stored, false, err
		case !errors.Is(err, sql.ErrNoRows):
			return nil, false, dbError(ctx, err)
		}
	}

	lengthOf := func(stream string) (uint64, error) {
		var n int64
		if err := tx.StmtContext(ctx, st.length).QueryRowContext(ctx, stream).Scan(&n); err != nil {
			return 0, dbError(ctx, err)
		}
		return uint64(n), nil
	}
	length, err := lengthOf(stream)
	if err != nil {
		return nil, false, err
	}
	if !expected.Matches(length) {
		return nil, false, &eventstore.ConflictError{Stream: stream, Expected: expected, Length: length}
	}
	if cond != nil {
		n, err := lengthOf(cond.Stream)
		if err != nil {
			return nil, false, err
		}
		if !cond.Expected.Matches(n) {
			return nil, false, &eventstore.ConflictError{Stream: cond.Stream, Expected: cond.Expected, Length: n, Appending: stream}
		}
	}
	if len(recs) == 0 {
		return nil, false, nil
	}

	var (
		lastSeq      int64 = -1
		lastRecorded int64
	)
	err = tx.StmtContext(ctx, st.last).QueryRowContext(ctx).Scan(&lastSeq, &lastRecorded)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, false, dbError(ctx, err)
	}
	recorded := s.now().UTC().Truncate(time.Microsecond)
	if recorded.UnixNano() < lastRecorded {
		recorded = time.Unix(0, lastRecorded).UTC()
	}

	ins := tx.StmtContext(ctx, st.insert)

	stored = make([]eventstore.Record, len(recs))
	for i, r := range recs {
		r.Stream = stream
		r.Revision = length + uint64(i)
		r.Sequence = uint64(lastSeq+1) + uint64(i)
		r.OccurredAt = time.Unix(0, r.OccurredAt.UnixNano()).UTC()
		r.RecordedAt = recorded
		if len(r.Signature) == 0 {
			r.Signature = nil
		}
		if len(r.Payload) == 0 {
			r.Payload = nil
		}
		payload := r.Payload
		if payload == nil {
			payload = []byte{} // NOT NULL: an empty payload is an empty blob
		}
		var signature any // NULL when unsigned
		if r.Signature != nil {
			signature = r.Signature
		}
		_, err := ins.ExecContext(ctx,
			int64(r.Sequence), r.ID[:], stream, int64(r.Revision), r.Type, r.OccurredAt.UnixNano(),
			r.Actor, r.Signer, signature, payload, recorded.UnixNano(), int64(r.Basis))
		if err != nil {
			return nil, false, insertError(ctx, tx, r, expected, err)
		}
		stored[i] = r
	}
	return stored, true, nil
}

// retried checks an append whose first event ID is already stored: if it is
// a retry of an append that landed, it returns the records as stored.
func (s *Store) retried(ctx context.Context, tx *sql.Tx, stream string, expected eventstore.Expected, recs []eventstore.Record, firstStream string, firstRev uint64) ([]eventstore.Record, error) {
	dup := fmt.Errorf("event %s: %w", recs[0].ID, eventstore.ErrDuplicateEvent)
	if firstStream != stream || !(expected.IsAny() || expected.Matches(firstRev)) {
		return nil, dup
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+s.columns()+` FROM events
		WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
		stream, int64(firstRev), len(recs))
	if err != nil {
		return nil, dbError(ctx, err)
	}
	stored, err := scanRecords(rows, make([]eventstore.Record, 0, len(recs)))
	if err != nil {
		return nil, dbError(ctx, err)
	}
	for i, r := range recs {
		if i >= len(stored) || stored[i].ID != r.ID || stored[i].Type != r.Type {
			return nil, dup
		}
	}
	return stored, nil
}

// insertError explains why inserting r failed. A UNIQUE violation (or the
// trigger that stands before it) is an event ID used before, or (a backstop
// that the write lock should make unreachable) another writer taking the
// revision.
func insertError(ctx context.Context, tx *sql.Tx, r eventstore.Record, expected eventstore.Expected, err error) error {
	var se *sqlite.Error
	if ctx.Err() != nil || !errors.As(err, &se) {
		return dbError(ctx, err)
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY,
		sqlite3.SQLITE_CONSTRAINT_TRIGGER: // events_no_replace
	default:
		return dbError(ctx, err)
	}
	var n int
	if qerr := tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE event_id = ?`, r.ID[:]).Scan(&n); qerr != nil {
		return dbError(ctx, qerr)
	}
	if n > 0 {
		return fmt.Errorf("event %s: %w", r.ID, eventstore.ErrDuplicateEvent)
	}
	length, qerr := streamLength(ctx, tx, r.Stream)
	if qerr != nil {
		return qerr
	}
	if length > r.Revision {
		return &eventstore.ConflictError{Stream: r.Stream, Expected: expected, Length: length}
	}
	return dbError(ctx, err)
}

// streamLength returns how many events stream has.
func streamLength(ctx context.Context, tx *sql.Tx, stream string) (uint64, error) {
	var length int64
	err := tx.QueryRowContext(ctx, `SELECT coalesce(max(revision) + 1, 0) FROM events WHERE stream = ?`, stream).
		Scan(&length)
	if err != nil {
		return 0, dbError(ctx, err)
	}
	return uint64(length), nil
}

// appendStmts are the statements every append runs, prepared on first use
// and reused (database/sql prepares them again on another connection when
// it has to): parsing SQL costs as much as an fsync on a small append.
type appendStmts struct {
	mu    sync.Mutex
	ready bool
	preparedStmts
}

// preparedStmts are the statements, once prepared.
type preparedStmts struct {
	byID, length, last, insert *sql.Stmt
}

// get prepares the statements the first time (again after a failure).
func (a *appendStmts) get(ctx context.Context, db *sql.DB) (preparedStmts, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ready {
		return a.preparedStmts, nil
	}
	queries := []struct {
		dst **sql.Stmt
		sql string
	}{
		{&a.byID, `SELECT stream, revision FROM events WHERE event_id = ?`},
		{&a.length, `SELECT coalesce(max(revision) + 1, 0) FROM events WHERE stream = ?`},
		{&a.last, `SELECT seq, recorded_at FROM events ORDER BY seq DESC LIMIT 1`},
		{&a.insert, insertEvent},
	}
	for _, q := range queries {
		if *q.dst != nil {
			continue
		}
		st, err := db.PrepareContext(ctx, q.sql)
		if err != nil {
			return preparedStmts{}, err // the ones prepared are kept for the next try
		}
		*q.dst = st
	}
	a.ready = true
	return a.preparedStmts, nil
}

func (a *appendStmts) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, st := range []*sql.Stmt{a.byID, a.length, a.last, a.insert} {
		if st != nil {
			st.Close()
		}
	}
}
