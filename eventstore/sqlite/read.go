package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
)

// columnsNow are the columns scanRecords reads, in its order; columnsV2
// the same of a ledger of schema version 2, which has no basis column
// (every event of it has none).
const (
	columnsNow = `seq, event_id, stream, revision, type, occurred_at, actor, signer, signature, payload, recorded_at, basis`
	columnsV2  = `seq, event_id, stream, revision, type, occurred_at, actor, signer, signature, payload, recorded_at, 0`
)

// insertEvent inserts one event row, its values in columnsNow's order: the
// statement of Append and of Import.
const insertEvent = `INSERT INTO events (` + columnsNow + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// pollInterval is how often Follow looks for events appended by other
// processes once it has caught up. Appends by this Store wake it at once.
const pollInterval = 25 * time.Millisecond

// streamCap is the capacity a stream read starts with: most incidents
// have tens of events, and growing a slice of records from one is a good
// part of reading a few.
const streamCap = 16

// followPage is how many records Follow reads per query.
const followPage = eventstore.DefaultPageSize

// scanRecords appends the records in rows to out and closes rows.
func scanRecords(rows *sql.Rows, out []eventstore.Record) ([]eventstore.Record, error) {
	defer rows.Close()
	// Scanned into for every row: Scan's pointers make them escape, so
	// one allocation per read, not one per column and row.
	v := new(struct {
		seq, rev, occurred, recorded, basis int64
		id                                  sql.RawBytes // copied into r.ID at once
		stream, typ, actor, signer          string
		signature, payload                  []byte // a new slice each row
	})
	dest := []any{&v.seq, &v.id, &v.stream, &v.rev, &v.typ, &v.occurred, &v.actor, &v.signer, &v.signature, &v.payload, &v.recorded, &v.basis}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		// A row's stream, type, actor and signer are most often the
		// row before's: kept once, so that a long read holds one copy.
		if n := len(out); n > 0 {
			p := &out[n-1]
			v.stream, v.typ = same(v.stream, p.Stream), same(v.typ, p.Type)
			v.actor, v.signer = same(v.actor, p.Actor), same(v.signer, p.Signer)
		}
		r := eventstore.Record{Stream: v.stream, Type: v.typ, Actor: v.actor, Signer: v.signer}
		var err error
		if r.ID, err = uuid.FromBytes(v.id); err != nil {
			return nil, fmt.Errorf("event at sequence %d: %w", v.seq, err)
		}
		r.Sequence, r.Revision, r.Basis = uint64(v.seq), uint64(v.rev), uint64(v.basis)
		r.OccurredAt = time.Unix(0, v.occurred).UTC()
		r.RecordedAt = time.Unix(0, v.recorded).UTC()
		if len(v.signature) > 0 {
			r.Signature = v.signature
		}
		if len(v.payload) > 0 {
			r.Payload = v.payload
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, rows.Close()
}

// same returns prev when it is s, so that s's copy can go.
func same(s, prev string) string {
	if s == prev {
		return prev
	}
	return s
}

// clamp converts a position to SQLite's int64, saturating.
func clamp(n uint64) int64 {
	if n > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}

// sqlLimit converts a limit to SQL, where -1 means none.
func sqlLimit(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// ReadStream returns records of one stream, as eventstore.Store documents.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	if err := eventstore.ValidateStream(stream); err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	var (
		query string // after the columns
		args  []any
	)
	switch {
	case opts.Backwards:
		query = ` FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`
		args = []any{stream, clamp(opts.From), sqlLimit(opts.Limit)}
	case opts.From == eventstore.End:
		query = ` FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1`
		args = []any{stream}
	default:
		query = ` FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`
		args = []any{stream, clamp(opts.From), sqlLimit(opts.Limit)}
	}
	// One statement is one snapshot: records found are the stream's as of
	// one instant, read without a transaction around them.
	stmt, err := s.reads.get(ctx, s.db, s.columns(), query)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, dbError(ctx, err))
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, dbError(ctx, err))
	}
	recs, err := scanRecords(rows, make([]eventstore.Record, 0, streamCap))
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, dbError(ctx, err))
	}
	if len(recs) > 0 {
		return recs, nil
	}
	// None: read again with the existence check in one snapshot, so that a
	// stream created in between is not taken for an existing one read
	// empty.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, dbError(ctx, err))
	}
	defer tx.Rollback()
	rows, err = tx.StmtContext(ctx, stmt).QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, dbError(ctx, err))
	}
	recs, err = scanRecords(rows, nil)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, dbError(ctx, err))
	}
	if len(recs) > 0 {
		return recs, nil
	}
	var exists bool
	err = tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE stream = ?)`, stream).Scan(&exists)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, dbError(ctx, err))
	}
	if !exists {
		return nil, fmt.Errorf("read stream %s: %w", stream, eventstore.ErrNotFound)
	}
	return nil, nil
}

// ReadAll returns records of the whole ledger in sequence order, as
// eventstore.Store documents. It holds no rows open when it returns.
func (s *Store) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read ledger from %d: %w", from, err)
	}
	if from > math.MaxInt64 {
		return nil, nil
	}
	stmt, err := s.reads.get(ctx, s.db, s.columns(), ` FROM events WHERE seq >= ? ORDER BY seq LIMIT ?`)
	if err != nil {
		return nil, fmt.Errorf("read ledger from %d: %w", from, dbError(ctx, err))
	}
	rows, err := stmt.QueryContext(ctx, int64(from), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("read ledger from %d: %w", from, dbError(ctx, err))
	}
	recs, err := scanRecords(rows, make([]eventstore.Record, 0, min(max(limit, 0), eventstore.DefaultPageSize)))
	if err != nil {
		return nil, fmt.Errorf("read ledger from %d: %w", from, dbError(ctx, err))
	}
	return recs, nil
}

// ReadsPagesAtOnce reports that ReadAll from any sequence costs only the
// rows it returns (the sequence is the table's key) and that ReadAll calls
// may run at once, each on a connection of its own while the pool has
// several: a reader of the whole log (ledger.ReadHistory) may read its pages
// side by side.
func (s *Store) ReadsPagesAtOnce() bool { return true }

// Head returns the number of records in the ledger.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("read head: %w", err)
	}
	var head int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(seq) + 1, 0) FROM events`).Scan(&head); err != nil {
		return 0, fmt.Errorf("read head: %w", dbError(ctx, err))
	}
	return uint64(head), nil
}

// Follow yields the ledger from sequence from onwards, then waits for more,
// as eventstore.Store documents. While waiting it holds no connection: it is
// woken at once by appends through this Store and otherwise polls, so it
// also sees appends by other processes within pollInterval.
func (s *Store) Follow(ctx context.Context, from uint64) iter.Seq2[eventstore.Record, error] {
	return func(yield func(eventstore.Record, error) bool) {
		var ticker *time.Ticker
		for {
			wake := s.changed() // before reading, so no append is missed
			page, err := s.ReadAll(ctx, from, followPage)
			if err != nil {
				if ctxErr := ctx.Err(); ctxErr != nil {
					err = ctxErr
				}
				yield(eventstore.Record{}, err)
				return
			}
			for _, r := range page {
				if err := ctx.Err(); err != nil {
					yield(eventstore.Record{}, err)
					return
				}
				if !yield(r, nil) {
					return
				}
				from = r.Sequence + 1
			}
			if len(page) == followPage {
				continue
			}
			if ticker == nil {
				ticker = time.NewTicker(pollInterval)
				defer ticker.Stop()
			}
			select {
			case <-ctx.Done():
				yield(eventstore.Record{}, ctx.Err())
				return
			case <-wake:
			case <-ticker.C:
			}
		}
	}
}
