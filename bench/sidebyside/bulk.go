package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
)

const bulkBatch = 1000

// insertSQL is the row the store inserts, with every column.
const insertSQL = `INSERT INTO events
	(seq, event_id, stream, revision, type, occurred_at, actor, signer, signature, payload, recorded_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// freshSchema creates an empty ledger file with the store's schema
// (tables, indexes, append-only triggers) and returns its path.
func freshSchema(ctx context.Context, path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Remove(p)
	}
	st, err := sqlite.Open(ctx, path, sqlite.Options{Create: true})
	if err != nil {
		return err
	}
	return st.Close()
}

// rawInsert inserts recs into a fresh ledger file with database/sql on the
// same driver and DSN, batch rows per transaction, one prepared INSERT,
// positions taken as given: what the store must at least do.
func rawInsert(ctx context.Context, path string, recs []eventstore.Record) (time.Duration, error) {
	if err := freshSchema(ctx, path); err != nil {
		return 0, err
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := checkPragmas(db); err != nil {
		return 0, err
	}
	start := time.Now()
	for i := 0; i < len(recs); i += bulkBatch {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		stmt, err := tx.PrepareContext(ctx, insertSQL)
		if err != nil {
			tx.Rollback()
			return 0, err
		}
		for _, r := range recs[i:min(i+bulkBatch, len(recs))] {
			_, err := stmt.ExecContext(ctx, int64(r.Sequence), r.ID[:], r.Stream, int64(r.Revision), r.Type,
				r.OccurredAt.UnixNano(), r.Actor, r.Signer, nil, r.Payload, r.RecordedAt.UnixNano())
			if err != nil {
				tx.Rollback()
				return 0, err
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// bulk: the store taking 1000 events per transaction, both ways it can:
// Import (records of many incidents, as migrate copies them) and Append
// (1000 events to one stream), each against raw inserts of the same rows.
func bulk(cfg config) ([]row, error) {
	ctx := context.Background()
	n, rounds := 100_000, 5
	if cfg.short {
		n, rounds = 20_000, 1
	}
	dir := filepath.Join(cfg.dir, "bulk")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// Import's rows: 20-event incidents, sequences and recorded times set.
	var imp []eventstore.Record
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := 0; len(imp) < n; i++ {
		recs, err := incidentRecords(i)
		if err != nil {
			return nil, err
		}
		imp = append(imp, recs...)
	}
	imp = imp[:n]
	for i := range imp {
		imp[i].Sequence, imp[i].RecordedAt = uint64(i), now
	}
	// Append's rows: the same payloads, 1000 to a stream.
	app := make([]eventstore.Record, n)
	for i, r := range imp {
		r.Stream = domain.IncidentStream(fmt.Sprintf("BULK%05d", i/bulkBatch))
		r.Revision = uint64(i % bulkBatch)
		r.ID = uuid.Must(uuid.NewV7())
		app[i] = r
	}

	productImport := func(path string) (time.Duration, error) {
		if err := freshSchema(ctx, path); err != nil {
			return 0, err
		}
		st, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			return 0, err
		}
		defer st.Close()
		start := time.Now()
		for i := 0; i < len(imp); i += bulkBatch {
			if err := st.Import(ctx, imp[i:min(i+bulkBatch, len(imp))]); err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
	productAppend := func(path string) (time.Duration, error) {
		if err := freshSchema(ctx, path); err != nil {
			return 0, err
		}
		st, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			return 0, err
		}
		defer st.Close()
		batch := make([]eventstore.Record, 0, bulkBatch)
		start := time.Now()
		for i := 0; i < len(app); i += bulkBatch {
			batch = batch[:0]
			for _, r := range app[i:min(i+bulkBatch, len(app))] {
				r.Sequence, r.Revision, r.RecordedAt = 0, 0, time.Time{}
				batch = append(batch, r)
			}
			if _, err := st.Append(ctx, batch[0].Stream, eventstore.NoStream, batch); err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}

	type pair struct {
		name, what string
		product    func(string) (time.Duration, error)
		recs       []eventstore.Record
	}
	pairs := []pair{
		{"bulk import, 1000 events per transaction (Store.Import, 20-event incidents, as migrate copies)", "Store.Import", productImport, imp},
		{"bulk append, 1000 events per transaction (Store.Append, one stream per batch)", "Store.Append", productAppend, app},
	}
	var out []row
	for _, p := range pairs {
		var prod, base []float64
		for r := range rounds {
			run := []func() error{
				func() error {
					d, err := p.product(filepath.Join(dir, "product.db"))
					prod = append(prod, float64(n)/d.Seconds())
					return err
				},
				func() error {
					d, err := rawInsert(ctx, filepath.Join(dir, "raw.db"), p.recs)
					base = append(base, float64(n)/d.Seconds())
					return err
				},
			}
			if r%2 == 1 {
				run[0], run[1] = run[1], run[0]
			}
			for _, f := range run {
				if err := f(); err != nil {
					return nil, fmt.Errorf("%s: %w", p.what, err)
				}
			}
		}
		ratio := medianF(prod) / medianF(base)
		out = append(out, row{
			name:      p.name,
			product:   fmt.Sprintf("%s into a fresh ledger: %s", fmtInt(n), rates(prod, "events/s")),
			baseline:  fmt.Sprintf("raw INSERTs of the same rows, same driver and DSN: %s", rates(base, "events/s")),
			ratio:     ratio,
			ratioText: "throughput ÷ baseline throughput",
			goal:      "≥ 0.8×",
			met:       ratio >= 0.8,
		})
	}
	return out, nil
}

func fmtInt(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
