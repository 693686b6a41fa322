package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections"

	"github.com/breachledger/breachledger/bench/internal/benchledger"
)

// bigSize is the size of the ledger the replay and verify rows read.
func bigSize(cfg config) int {
	if cfg.short {
		return 100_000
	}
	return 1_000_000
}

var (
	bigOnce   sync.Once
	big       benchLedger
	bigEvents uint64
	bigErr    error
)

// bigLedger builds, once per run, a ledger of bigSize events: 20-event
// incidents imported 1000 events per transaction, each batch followed by
// its signed checkpoint (1,000 checkpoints with their leaf copies).
func bigLedger(cfg config) (benchLedger, uint64, error) {
	bigOnce.Do(func() {
		ctx := context.Background()
		dir := filepath.Join(cfg.dir, "big")
		if bigErr = os.MkdirAll(dir, 0o755); bigErr != nil {
			return
		}
		var st *sqlite.Store
		st, big, bigErr = benchledger.NewLedger(ctx, filepath.Join(dir, "big.db"))
		if bigErr != nil {
			return
		}
		defer st.Close()
		start := time.Now()
		n := bigSize(cfg)
		incidents := (n - 2) / perIncident
		bigErr = fillIncidents(ctx, st, big.Key, 0, incidents, func(done int) {
			if done%10_000 < 50 {
				fmt.Printf("   building the ledger: %d of %d incidents (%s)\n", done, incidents, time.Since(start).Round(time.Second))
			}
		})
		if bigErr != nil {
			return
		}
		bigEvents, bigErr = st.Head(ctx)
		fi, _ := os.Stat(big.Path)
		fmt.Printf("   built a ledger of %d events (%d incidents) in %s: %d MB\n", bigEvents, incidents, time.Since(start).Round(time.Second), fi.Size()>>20)
	})
	return big, bigEvents, bigErr
}

// rawRows reads every row of the ledger in sequence order with
// database/sql on the same driver and DSN, every column the store reads,
// and calls fn with each (the payload and ID bytes are only valid in fn).
func rawRows(ctx context.Context, path string, fn func(r *eventstore.Record, id []byte) error) (int, error) {
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := checkPragmas(db); err != nil {
		return 0, err
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, event_id, stream, revision, type, occurred_at, actor, signer, signature, payload, recorded_at, basis FROM events ORDER BY seq`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	var (
		r                            eventstore.Record
		seq, rev, occurred, recorded int64
		basis                        int64
		id, sig                      []byte
	)
	for rows.Next() {
		if err := rows.Scan(&seq, &id, &r.Stream, &rev, &r.Type, &occurred, &r.Actor, &r.Signer, &sig, &r.Payload, &recorded, &basis); err != nil {
			return n, err
		}
		r.Sequence, r.Revision, r.Signature, r.Basis = uint64(seq), uint64(rev), sig, uint64(basis)
		r.OccurredAt, r.RecordedAt = time.Unix(0, occurred).UTC(), time.Unix(0, recorded).UTC()
		if err := fn(&r, id); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// replay: the whole ledger read into a History (ledger.ReadHistory: pages
// read while others are decoded) and every incident folded into its state
// (projections.States, on every CPU: what every reader of the CLI starts
// from), against a raw loop that reads the same rows and decodes each
// payload.
func replay(cfg config) ([]row, error) {
	ctx := context.Background()
	bl, n, err := bigLedger(cfg)
	if err != nil {
		return nil, err
	}
	rounds := 3
	if cfg.short {
		rounds = 1
	}
	product := func() (time.Duration, error) {
		st, err := sqlite.Open(ctx, bl.Path, sqlite.Options{})
		if err != nil {
			return 0, err
		}
		defer st.Close()
		start := time.Now()
		h, err := ledger.ReadHistory(ctx, st)
		if err != nil {
			return 0, err
		}
		open := 0
		for _, inc := range projections.States(h, domain.Cut{}) {
			if !inc.Closed {
				open++
			}
		}
		d := time.Since(start)
		if want := int(n-2) / perIncident; open != want {
			return 0, fmt.Errorf("replay folded %d open incidents, want %d", open, want)
		}
		return d, nil
	}
	baseline := func() (time.Duration, error) {
		start := time.Now()
		got, err := rawRows(ctx, bl.Path, func(r *eventstore.Record, id []byte) error {
			if _, err := uuid.FromBytes(id); err != nil {
				return err
			}
			_, err := domain.Decode(r.Type, r.Payload)
			return err
		})
		d := time.Since(start)
		if err == nil && uint64(got) != n {
			err = fmt.Errorf("raw loop read %d rows, want %d", got, n)
		}
		return d, err
	}
	prod, base, err := interleave(rounds, product, baseline)
	if err != nil {
		return nil, err
	}
	pr, br := ratesOf(n, prod), ratesOf(n, base)
	ratio := medianF(pr) / medianF(br)
	return []row{{
		name:      fmt.Sprintf("replay of %s events into the state projection (ReadHistory + every incident folded)", fmtInt(int(n))),
		product:   fmt.Sprintf("%s (%s)", secs(prod), rates(pr, "events/s")),
		baseline:  fmt.Sprintf("raw loop, same rows and columns, payloads decoded: %s (%s)", secs(base), rates(br, "events/s")),
		ratio:     ratio,
		ratioText: "throughput ÷ baseline throughput",
		goal:      "≥ 1.0×",
		met:       ratio >= 1.0,
	}}, nil
}

// verify: ledger.Verify (every leaf recomputed, the tree, every stored
// checkpoint's signature, root, compact range and leaf copies, actor
// signatures judged) against reading the same rows, hashing the leaves and
// folding them into a compact range.
func verify(cfg config) ([]row, error) {
	ctx := context.Background()
	bl, n, err := bigLedger(cfg)
	if err != nil {
		return nil, err
	}
	rounds := 3
	if cfg.short {
		rounds = 1
	}
	var root []byte
	product := func() (time.Duration, error) {
		d, rep, err := verifyOnce(ctx, bl, n)
		if err == nil {
			root = rep.Root
		}
		return d, err
	}
	var rawRoot []byte
	baseline := func() (time.Duration, error) {
		start := time.Now()
		tree := integrity.NewTree()
		_, err := rawRows(ctx, bl.Path, func(r *eventstore.Record, id []byte) error {
			var err error
			if r.ID, err = uuid.FromBytes(id); err != nil {
				return err
			}
			tree.Append(integrity.LeafOf(*r).Hash())
			return nil
		})
		rawRoot = tree.Root()
		return time.Since(start), err
	}
	prod, base, err := interleave(rounds, product, baseline)
	if err != nil {
		return nil, err
	}
	if string(root) != string(rawRoot) {
		return nil, fmt.Errorf("verify's root %x differs from the baseline's %x", root, rawRoot)
	}
	ratio := medianF(prod) / medianF(base)
	return []row{{
		name:      fmt.Sprintf("verify of %s events (a stored checkpoint per 1,000)", fmtInt(int(n))),
		product:   fmt.Sprintf("%s (%s)", secs(prod), rates(ratesOf(n, prod), "events/s")),
		baseline:  fmt.Sprintf("read the same rows, hash the leaves, fold the compact range: %s", secs(base)),
		ratio:     ratio,
		ratioText: "time ÷ baseline time",
		goal:      "≤ 1.3×",
		met:       ratio <= 1.3,
	}}, nil
}

// interleave runs product and baseline rounds times each, alternating which
// goes first, and returns their times in seconds.
func interleave(rounds int, product, baseline func() (time.Duration, error)) (prod, base []float64, err error) {
	for r := range rounds {
		fs := []func() error{
			func() error {
				d, err := product()
				prod = append(prod, d.Seconds())
				return err
			},
			func() error {
				d, err := baseline()
				base = append(base, d.Seconds())
				return err
			},
		}
		if r%2 == 1 {
			fs[0], fs[1] = fs[1], fs[0]
		}
		for _, f := range fs {
			if err := f(); err != nil {
				return nil, nil, err
			}
		}
	}
	return prod, base, nil
}

func ratesOf(n uint64, secs []float64) []float64 {
	out := make([]float64, len(secs))
	for i, s := range secs {
		out[i] = float64(n) / s
	}
	return out
}

// verifyOnce times ledger.Verify of bl's ledger, which must be intact with
// n events.
func verifyOnce(ctx context.Context, bl benchLedger, n uint64) (time.Duration, *integrity.Report, error) {
	st, err := sqlite.Open(ctx, bl.Path, sqlite.Options{})
	if err != nil {
		return 0, nil, err
	}
	defer st.Close()
	start := time.Now()
	rep, err := ledger.Verify(ctx, st, bl.Key.Public(), nil)
	if err != nil {
		return 0, nil, err
	}
	d := time.Since(start)
	if !rep.OK() || rep.Events != n {
		return 0, nil, fmt.Errorf("verify: %d events, problems %v", rep.Events, rep.Problems)
	}
	return d, rep, nil
}
