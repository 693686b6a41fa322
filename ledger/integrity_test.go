package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/testsupport"
	"github.com/breachledger/breachledger/ledger"
)

func openLedger(tb testing.TB) *sqlite.Store {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "ledger.db"), sqlite.Options{Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// initLedger initialises a ledger with alice as admin and oscar as
// responder, and returns its key.
func initLedger(tb testing.TB, st eventstore.Store) *integrity.LedgerKey {
	tb.Helper()
	ctx := context.Background()
	w := ledger.Writer{Store: st}
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	var own []eventstore.Record
	for _, c := range []domain.Command{
		domain.InitLedger{By: domain.By{Actor: "alice", At: at}, Name: "Test", Unsigned: true},
		domain.GrantRole{By: domain.By{Actor: "alice", At: at}, Grantee: "oscar", Role: domain.RoleResponder},
	} {
		res, err := w.Execute(ctx, "", c, at)
		if err != nil {
			tb.Fatal(err)
		}
		own = append(own, res.Records...)
	}
	return keyAndCheckpoint(tb, st, own)
}

// keyAndCheckpoint makes a ledger key for the origin of st, a ledger just
// initialised with own, and checkpoints own with it.
func keyAndCheckpoint(tb testing.TB, st eventstore.Store, own []eventstore.Record) *integrity.LedgerKey {
	tb.Helper()
	ctx := context.Background()
	origin, err := ledger.Origin(ctx, st)
	if err != nil {
		tb.Fatal(err)
	}
	k, err := integrity.ParseLedgerKey(mustKey(tb, origin))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := (ledger.Checkpointer{Store: st, Key: k}).Checkpoint(ctx, own); err != nil {
		tb.Fatal(err)
	}
	return k
}

// TestConcurrentCheckpoints: writers appending and then checkpointing, as
// on a store that cannot do both at once (EventStoreDB), each sign only
// what is theirs: a checkpoint that would cover another writer's record is
// refused (ErrUncoveredTail naming it), however recent (no grace), and the
// checkpoints stored only grow. What is left uncovered is the notary's to
// judge and seal; then the ledger verifies.
func TestConcurrentCheckpoints(t *testing.T) {
	raw := openLedger(t)
	k := initLedger(t, raw)
	st := twoStep{Store: raw, CheckpointStore: raw}
	ctx := context.Background()
	const writers, each = 4, 5
	var wg sync.WaitGroup
	var signed, refused atomic.Int64
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inc := fmt.Sprintf("INC%d", w)
			at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
			wr := ledger.Writer{Store: st}
			res, err := wr.Execute(ctx, inc, domain.DetectIncident{By: domain.By{Actor: "oscar", At: at}, Source: domain.SourceOperatorEscalation, Summary: "s", Role: domain.RoleBoth}, at)
			if err != nil {
				t.Error(err)
				return
			}
			own := res.Records // this writer's records not yet covered
			for i := 0; i < each; i++ {
				res, err := wr.Execute(ctx, inc, domain.AddNote{By: domain.By{Actor: "oscar", At: at}, Text: fmt.Sprintf("note %d", i)}, at)
				if err != nil {
					t.Error(err)
					return
				}
				own = append(own, res.Records...)
				cp, err := ledger.Checkpointer{Store: st, Key: k}.Checkpoint(ctx, own)
				switch {
				case errors.Is(err, ledger.ErrUncoveredTail):
					refused.Add(1)
				case err != nil:
					t.Error(err)
				case cp.Size <= res.Records[len(res.Records)-1].Sequence:
					t.Errorf("checkpoint of %d events does not cover the writer's event %d", cp.Size, res.Records[len(res.Records)-1].Sequence)
				default:
					signed.Add(1)
					own = nil
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d checkpoints signed, %d refused over another writer's records", signed.Load(), refused.Load())
	// Each checkpoint after the ledger's own covers one writer's records
	// (each writer has an incident of its own): none signed another's.
	all, err := st.ReadAll(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var prev uint64
	for cp, err := range eventstore.Checkpoints(ctx, st, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if cp.Size <= prev || cp.LeavesFrom != prev {
			t.Errorf("checkpoint %d after %d, leaves from %d", cp.Size, prev, cp.LeavesFrom)
		}
		streams := map[string]bool{}
		for _, r := range all[prev:cp.Size] {
			streams[r.Stream] = true
		}
		if prev > 0 && len(streams) != 1 {
			t.Errorf("checkpoint %d covers records of %d writers' streams after %d: a writer signed another's", cp.Size, len(streams), prev)
		}
		prev = cp.Size
	}
	head, _ := st.Head(ctx)
	if _, err := (ledger.Checkpointer{Store: st, Key: k}).Seal(ctx, head); err != nil {
		t.Fatal(err)
	}
	rep, err := ledger.Verify(ctx, st, k.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("verify: %v", rep.Problems)
	}
}

// conflictOnce fails the first append with a conflict, as if another
// writer had got in first.
type conflictOnce struct {
	eventstore.Store
	done atomic.Bool
}

func (c *conflictOnce) Append(ctx context.Context, stream string, exp eventstore.Expected, recs []eventstore.Record) ([]eventstore.Record, error) {
	if !c.done.Swap(true) {
		return nil, &eventstore.ConflictError{Stream: stream, Expected: exp}
	}
	return c.Store.Append(ctx, stream, exp, recs)
}

// TestWriterSigns: the write path signs the content envelope before the
// first attempt, reuses the signature on a retry, and the signature
// verifies over the stored event.
func TestWriterSigns(t *testing.T) {
	st := openLedger(t)
	k := initLedger(t, st)
	ctx := context.Background()
	signer := testsupport.NewSSHSigner(t)
	fp := integrity.Fingerprint(signer.PublicKey())
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	w := ledger.Writer{Store: st}
	reg, err := w.Execute(ctx, "", domain.RegisterSigner{By: domain.By{Actor: "alice", At: at}, Actor: "oscar", Key: integrity.AuthorizedKey(signer.PublicKey()), Fingerprint: fp}, at)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	w = ledger.Writer{Store: &conflictOnce{Store: st}, Sign: func(env []byte) ([]byte, error) {
		calls.Add(1)
		return integrity.SignEnvelope(env, signer)
	}}
	inc := "INC1"
	res, err := w.Execute(ctx, inc, domain.DetectIncident{By: domain.By{Actor: "oscar", At: at, Signer: fp}, Source: domain.SourceOperatorEscalation, Summary: "s", Role: domain.RoleBoth}, at)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 {
		t.Fatalf("%d attempts, want 2 (one conflict)", res.Attempts)
	}
	if got := int(calls.Load()); got != len(res.Records) {
		t.Errorf("signed %d times for %d events over two attempts, want once each", got, len(res.Records))
	}
	for _, r := range res.Records {
		if r.Signer != fp || integrity.VerifyEnvelope(integrity.EnvelopeOf(r).Marshal(), r.Signature, signer.PublicKey()) != nil {
			t.Errorf("event %s: signer %q, signature does not verify", r.ID, r.Signer)
		}
	}
	if _, err := (ledger.Checkpointer{Store: st, Key: k}).Checkpoint(ctx, append(reg.Records, res.Records...)); err != nil {
		t.Fatal(err)
	}
	rep, err := ledger.Verify(ctx, st, k.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Signed != len(res.Records) {
		t.Errorf("verify: signed %d, problems %v", rep.Signed, rep.Problems)
	}
}

// TestCheckpointRefusesAlteredState: a writer does not extend a compact
// range that no longer gives its signed root.
func TestCheckpointRefusesAlteredState(t *testing.T) {
	st := openLedger(t)
	k := initLedger(t, st)
	other, _ := integrity.ParseLedgerKey(mustKey(t, "breachledger/test/x"))
	_, err := ledger.Checkpointer{Store: st, Key: other}.Checkpoint(context.Background(), nil)
	if !errors.Is(err, integrity.ErrIntegrity) {
		t.Errorf("checkpoint with another ledger's key = %v, want ErrIntegrity", err)
	}
	_ = k
}

func mustKey(tb testing.TB, origin string) string {
	skey, _, err := integrity.GenerateLedgerKey(origin)
	if err != nil {
		tb.Fatal(err)
	}
	return skey
}
