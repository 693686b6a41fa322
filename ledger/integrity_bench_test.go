package ledger_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/testsupport"
	"github.com/breachledger/breachledger/ledger"
)

// BenchmarkAppendIntegrity is the cost of one durable append of one event,
// side by side: the store alone; the store and then the signed checkpoint,
// in a second transaction (how a store that cannot do both at once, such
// as EventStoreDB, works); the two in one transaction, as every CLI append
// on SQLite does (Checkpointer.Append); and that with the event signed by
// the actor too.
func BenchmarkAppendIntegrity(b *testing.B) {
	signer := testsupport.NewSSHSigner(b)
	for _, mode := range []string{"store-only", "store+checkpoint", "store+checkpoint-one-tx", "store+checkpoint-one-tx+actor-signature"} {
		b.Run(mode, func(b *testing.B) {
			st := openLedger(b)
			k := initLedger(b, st)
			ctx := context.Background()
			cp := ledger.Checkpointer{Store: st, Key: k}
			stream := domain.IncidentStream("BENCH")
			payload := []byte(`{"text":"status update: investigation continues on cluster eu-3, no further access seen"}`)
			at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
			n := uint64(0)
			for b.Loop() {
				r := eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: "NoteAdded", OccurredAt: at, Actor: "oscar", Payload: payload}
				if mode == "store+checkpoint-one-tx+actor-signature" {
					r.Stream, r.Signer = stream, integrity.Fingerprint(signer.PublicKey())
					sig, err := integrity.SignEnvelope(integrity.EnvelopeOf(r).Marshal(), signer)
					if err != nil {
						b.Fatal(err)
					}
					r.Signature = sig
				}
				recs := []eventstore.Record{r}
				switch mode {
				case "store-only":
					if _, err := st.Append(ctx, stream, eventstore.After(n), recs); err != nil {
						b.Fatal(err)
					}
				case "store+checkpoint":
					stored, err := st.Append(ctx, stream, eventstore.After(n), recs)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := cp.Checkpoint(ctx, stored); err != nil {
						b.Fatal(err)
					}
				default:
					_, c, err := cp.Append(ctx, stream, eventstore.After(n), recs)
					if err != nil {
						b.Fatal(err)
					}
					if c == nil {
						b.Fatal("no checkpoint in the append's transaction")
					}
				}
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/append")
		})
	}
}

// verifyEvents is the size of the ledger BenchmarkVerify1M verifies
// (BENCH_VERIFY_EVENTS overrides it, e.g. for a quick look).
func verifyEvents(b *testing.B) int {
	if s := os.Getenv("BENCH_VERIFY_EVENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1000 {
			b.Fatalf("BENCH_VERIFY_EVENTS=%q: want a whole number of at least 1000", s)
		}
		return n
	}
	return 1_000_000
}

var (
	bigOnce  sync.Once
	bigPath  string
	bigKey   *integrity.LedgerKey
	bigError error
)

// bigLedger builds, once per run, a ledger of n events appended 1,000 to a
// transaction, each batch followed by its signed checkpoint, as a batch
// importer would: 1,000 checkpoints with their leaf copies.
func bigLedger(b *testing.B, n int) (string, *integrity.LedgerKey) {
	bigOnce.Do(func() {
		dir, err := os.MkdirTemp("", "breachledger-bench-verify-")
		if err != nil {
			bigError = err
			return
		}
		bigPath = filepath.Join(dir, "big.db")
		ctx := context.Background()
		st, err := sqlite.Open(ctx, bigPath, sqlite.Options{Create: true})
		if err != nil {
			bigError = err
			return
		}
		defer st.Close()
		bigKey = initLedger(b, st)
		head, _ := st.Head(ctx)
		start := time.Now()
		payload := func(i int) []byte {
			return fmt.Appendf(nil, `{"text":"status update %d: investigation continues on cluster eu-3; no further access seen since the token was revoked"}`, i)
		}
		at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
		const batch = 1000
		cp := ledger.Checkpointer{Store: st, Key: bigKey}
		for done := int(head); done < n; {
			k := min(batch, n-done)
			recs := make([]eventstore.Record, k)
			for i := range recs {
				recs[i] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: "NoteAdded", OccurredAt: at, Actor: "oscar", Payload: payload(done + i)}
			}
			stream := domain.IncidentStream(fmt.Sprintf("B%07d", done/batch))
			stored, err := st.Append(ctx, stream, eventstore.NoStream, recs)
			if err != nil {
				bigError = err
				return
			}
			if _, err := cp.Checkpoint(ctx, stored); err != nil {
				bigError = err
				return
			}
			done += k
		}
		fi, _ := os.Stat(bigPath)
		b.Logf("built a ledger of %d events in %s (batches of %d, a checkpoint after each): %d MB", n, time.Since(start).Round(time.Millisecond), batch, fi.Size()>>20)
	})
	if bigError != nil {
		b.Fatal(bigError)
	}
	return bigPath, bigKey
}

// BenchmarkVerify1M verifies a ledger of a million events (by default):
// every leaf recomputed from the raw rows and compared with its leaf copy,
// the whole tree, and every checkpoint's signature and root.
func BenchmarkVerify1M(b *testing.B) {
	n := verifyEvents(b)
	path, key := bigLedger(b, n)
	defer os.RemoveAll(filepath.Dir(path))
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for b.Loop() {
		rep, err := ledger.Verify(context.Background(), st, key.Public(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if !rep.OK() || rep.Events != uint64(n) {
			b.Fatalf("verify: %d events, problems %v", rep.Events, rep.Problems)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/verify")
}
