package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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

	st, err := s.stmts.get(ctx, s.db, len(recs), cond != nil) // before the transaction takes the connection
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
	var firstID []byte // NULL, found nowhere, when there is no record
	if len(recs) > 0 {
		firstID = recs[0].ID[:]
	}
	var (
		lastSeq, lastRecorded int64 = -1, 0
		length                int64
		firstStream           sql.NullString
		firstRev              sql.NullInt64
	)
	// One statement reads all an append needs to know; on an empty
	// ledger it returns no row, and then there is nothing to know.
	err = tx.StmtContext(ctx, st.lookup).QueryRowContext(ctx, firstID, stream).
		Scan(&lastSeq, &lastRecorded, &length, &firstStream, &firstRev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, false, dbError(ctx, err)
	}
	if firstStream.Valid {
		stored, err := s.retried(ctx, tx, stream, expected, recs, firstStream.String, uint64(firstRev.Int64))
		return stored, false, err
	}
	if !expected.Matches(uint64(length)) {
		return nil, false, &eventstore.ConflictError{Stream: stream, Expected: expected, Length: uint64(length)}
	}
	if cond != nil {
		var n int64
		if err := tx.StmtContext(ctx, st.length).QueryRowContext(ctx, cond.Stream).Scan(&n); err != nil {
			return nil, false, dbError(ctx, err)
		}
		if !cond.Expected.Matches(uint64(n)) {
			return nil, false, &eventstore.ConflictError{Stream: cond.Stream, Expected: cond.Expected, Length: uint64(n), Appending: stream}
		}
	}
	if len(recs) == 0 {
		return nil, false, nil
	}

	recorded := s.now().UTC().Truncate(time.Microsecond)
	if recorded.UnixNano() < lastRecorded {
		recorded = time.Unix(0, lastRecorded).UTC()
	}

	stored = make([]eventstore.Record, len(recs))
	args := make([]any, 0, insertColumns*min(len(recs), maxInsertRows))
	for i, r := range recs {
		r.Stream = stream
		r.Revision = uint64(length) + uint64(i)
		r.Sequence = uint64(lastSeq+1) + uint64(i)
		r.OccurredAt = time.Unix(0, r.OccurredAt.UnixNano()).UTC()
		r.RecordedAt = recorded
		if len(r.Signature) == 0 {
			r.Signature = nil
		}
		if len(r.Payload) == 0 {
			r.Payload = nil
		}
		stored[i] = r
	}
	// Rows go in statements of up to maxInsertRows rows, not one each:
	// every statement run through database/sql and the driver pays its own
	// round of binding, stepping and resetting beyond SQLite's work.
	for from := 0; from < len(stored); from += maxInsertRows {
		rows := stored[from:min(from+maxInsertRows, len(stored))]
		args = args[:0]
		for _, r := range rows {
			args = appendInsertArgs(args, r)
		}
		if _, err := tx.StmtContext(ctx, st.insert(len(rows))).ExecContext(ctx, args...); err != nil {
			return nil, false, insertError(ctx, tx, rows, expected, err)
		}
	}
	return stored, true, nil
}

// insertColumns is how many values insertRowsSQL takes per row.
const insertColumns = 12

// appendInsertArgs appends r's values, in columnsNow's order, to args.
func appendInsertArgs(args []any, r eventstore.Record) []any {
	payload := r.Payload
	if payload == nil {
		payload = []byte{} // NOT NULL: an empty payload is an empty blob
	}
	var signature any // NULL when unsigned
	if r.Signature != nil {
		signature = r.Signature
	}
	return append(args,
		int64(r.Sequence), r.ID[:], r.Stream, int64(r.Revision), r.Type, r.OccurredAt.UnixNano(),
		r.Actor, r.Signer, signature, payload, r.RecordedAt.UnixNano(), int64(r.Basis))
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

// insertError explains why inserting rows (of one stream, in revision
// order) failed. A UNIQUE violation (or the trigger that stands before it)
// is an event ID used before, or (a backstop that the write lock should
// make unreachable) another writer taking a revision. The statement that
// failed left none of rows stored.
func insertError(ctx context.Context, tx *sql.Tx, rows []eventstore.Record, expected eventstore.Expected, err error) error {
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
	for _, r := range rows {
		var n int
		if qerr := tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE event_id = ?`, r.ID[:]).Scan(&n); qerr != nil {
			return dbError(ctx, qerr)
		}
		if n > 0 {
			return fmt.Errorf("event %s: %w", r.ID, eventstore.ErrDuplicateEvent)
		}
	}
	length, qerr := streamLength(ctx, tx, rows[0].Stream)
	if qerr != nil {
		return qerr
	}
	if length > rows[0].Revision {
		return &eventstore.ConflictError{Stream: rows[0].Stream, Expected: expected, Length: length}
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

// lookupSQL reads, in one statement, all an append checks before it
// inserts: the newest event's sequence and recorded time, the length of
// the stream appended to (?2), and the stream and revision of the first
// record's event ID (?1) if it is stored. It returns no row on an empty
// ledger.
const lookupSQL = `SELECT seq, recorded_at,
	(SELECT coalesce(max(revision) + 1, 0) FROM events WHERE stream = ?2),
	(SELECT stream FROM events WHERE event_id = ?1),
	(SELECT revision FROM events WHERE event_id = ?1)
FROM events ORDER BY seq DESC LIMIT 1`

// lengthSQL reads a stream's length (a condition's stream).
const lengthSQL = `SELECT coalesce(max(revision) + 1, 0) FROM events WHERE stream = ?`

// maxInsertRows is the most rows one INSERT statement of an append
// inserts; longer appends run several.
const maxInsertRows = 16

// insertRowsSQL inserts n event rows, each row's values in columnsNow's
// order (insertEvent is insertRowsSQL(1)).
func insertRowsSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (` + columnsNow + `) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	return b.String()
}

// appendStmts are the statements appends run, each prepared on first use
// and reused (database/sql prepares them again on another connection when
// it has to): parsing SQL costs as much as an fsync on a small append. An
// INSERT of n rows is prepared the first time an append needs one.
type appendStmts struct {
	mu sync.Mutex
	preparedStmts
}

// preparedStmts are the statements, once prepared: lookup, length (for a
// condition) and inserts[n-1], an INSERT of n rows.
type preparedStmts struct {
	lookup, length *sql.Stmt
	inserts        [maxInsertRows]*sql.Stmt
}

// insert returns the INSERT of n rows, which get prepared.
func (p preparedStmts) insert(n int) *sql.Stmt { return p.inserts[n-1] }

// get prepares what an append of n records (with a condition when cond is
// set) runs and has not been prepared yet: it must run before the
// transaction takes a connection, as a ledger in memory has only one.
func (a *appendStmts) get(ctx context.Context, db *sql.DB, n int, cond bool) (preparedStmts, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	type stmt struct {
		dst **sql.Stmt
		sql string
	}
	need := []stmt{{&a.lookup, lookupSQL}}
	if cond {
		need = append(need, stmt{&a.length, lengthSQL})
	}
	for _, rows := range []int{min(n, maxInsertRows), n % maxInsertRows} {
		if rows > 0 && a.inserts[rows-1] == nil {
			need = append(need, stmt{&a.inserts[rows-1], insertRowsSQL(rows)})
		}
	}
	for _, q := range need {
		if *q.dst != nil {
			continue
		}
		st, err := db.PrepareContext(ctx, q.sql)
		if err != nil {
			return preparedStmts{}, err // the ones prepared are kept for the next try
		}
		*q.dst = st
	}
	return a.preparedStmts, nil
}

func (a *appendStmts) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, st := range append([]*sql.Stmt{a.lookup, a.length}, a.inserts[:]...) {
		if st != nil {
			st.Close()
		}
	}
}
