package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"

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
	product, baseline := replaySides(ctx, bl, n)
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
// signatures judged) against reading the same rows, hashing the leaves,
// folding them into a compact range and checking every stored
// checkpoint's signature and root (baselineVerify): the same signatures.
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
	product, baseline := verifySides(ctx, bl, n, nil)
	var root, rawRoot []byte
	var checkpoints, rawCheckpoints int
	prod, base, err := interleave(rounds, func() (time.Duration, error) {
		d, rep, err := product()
		if err == nil {
			root, checkpoints = rep.Root, rep.Checkpoints
		}
		return d, err
	}, func() (time.Duration, error) {
		d, b, err := baseline()
		rawRoot, rawCheckpoints = b.root, b.checkpoints
		return d, err
	})
	if err != nil {
		return nil, err
	}
	if string(root) != string(rawRoot) || checkpoints != rawCheckpoints {
		return nil, fmt.Errorf("verify's root %x and %d checkpoints differ from the baseline's %x and %d", root, checkpoints, rawRoot, rawCheckpoints)
	}
	ratio := medianF(prod) / medianF(base)
	return []row{{
		name:      fmt.Sprintf("verify of %s events (a stored checkpoint per 1,000)", fmtInt(int(n))),
		product:   fmt.Sprintf("%s (%s)", secs(prod), rates(ratesOf(n, prod), "events/s")),
		baseline:  fmt.Sprintf("read the same rows, hash the leaves, fold the compact range, check the same %s checkpoint signatures and roots: %s", fmtInt(rawCheckpoints), secs(base)),
		ratio:     ratio,
		ratioText: "time ÷ baseline time",
		goal:      "≤ 1.3×",
		met:       ratio <= 1.3,
	}}, nil
}

// verifySides returns the verify row's two sides on bl's ledger of n
// events: ledger.Verify, and baselineVerify with the same keys (actor, when
// not nil: every signed event's key).
func verifySides(ctx context.Context, bl benchLedger, n uint64, actor ssh.PublicKey) (product func() (time.Duration, *integrity.Report, error), baseline func() (time.Duration, baselineResult, error)) {
	product = func() (time.Duration, *integrity.Report, error) { return verifyOnce(ctx, bl, n) }
	baseline = func() (time.Duration, baselineResult, error) {
		start := time.Now()
		b, err := baselineVerify(ctx, bl.Path, bl.Key.Public(), actor)
		return time.Since(start), b, err
	}
	return product, baseline
}

// baselineResult is what baselineVerify found.
type baselineResult struct {
	root        []byte
	checkpoints int // stored checkpoints checked
	signed      int // actor signatures checked
}

// baselineVerify is the least a verifier must do with the same inputs:
// read every row (rawRows), hash its leaf and fold it into the compact
// range, verify the actor signature of every signed event with actor, and
// open every stored checkpoint's note with the ledger key, checking that
// it signs the root of the events read up to its size. It fails at the
// first thing that does not check.
func baselineVerify(ctx context.Context, path string, key *integrity.PublicKey, actor ssh.PublicKey) (baselineResult, error) {
	var out baselineResult
	notes, err := checkpointNotes(ctx, path)
	if err != nil {
		return out, err
	}
	tree := integrity.NewTree()
	_, err = rawRows(ctx, path, func(r *eventstore.Record, id []byte) error {
		var err error
		if r.ID, err = uuid.FromBytes(id); err != nil {
			return err
		}
		tree.Append(integrity.LeafOf(*r).Hash())
		if actor != nil && r.Signer != "" {
			out.signed++
			if err := integrity.VerifyEnvelope(integrity.EnvelopeOf(*r).Marshal(), r.Signature, actor); err != nil {
				return err
			}
		}
		for len(notes) > 0 && notes[0].size == tree.Size() {
			cp, err := key.Open(notes[0].note)
			if err != nil {
				return err
			}
			if cp.Size != tree.Size() || !bytes.Equal(cp.Root, tree.Root()) {
				return fmt.Errorf("checkpoint %d does not sign the root of the first %d events", notes[0].size, tree.Size())
			}
			out.checkpoints++
			notes = notes[1:]
		}
		return nil
	})
	if err == nil && len(notes) > 0 {
		err = fmt.Errorf("%d stored checkpoints beyond the log's %d events", len(notes), tree.Size())
	}
	out.root = tree.Root()
	return out, err
}

// storedNote is one stored checkpoint's size and signed note.
type storedNote struct {
	size uint64
	note []byte
}

// checkpointNotes reads every stored checkpoint's size and note, smallest
// first, with database/sql on the same driver and DSN.
func checkpointNotes(ctx context.Context, path string) ([]storedNote, error) {
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT size, note FROM checkpoints ORDER BY size`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedNote
	for rows.Next() {
		var c storedNote
		var size int64
		if err := rows.Scan(&size, &c.note); err != nil {
			return nil, err
		}
		c.size = uint64(size)
		out = append(out, c)
	}
	return out, rows.Err()
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

// replaySides returns the replay row's two sides, each timing one replay
// of bl's ledger of n events.
func replaySides(ctx context.Context, bl benchLedger, n uint64) (product, baseline func() (time.Duration, error)) {
	product = func() (time.Duration, error) {
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
	baseline = func() (time.Duration, error) {
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
	return product, baseline
}
