package cosigner_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/witness"
)

// testLedger is a SQLite ledger whose every append is checkpointed.
type testLedger struct {
	st     *sqlite.Store
	w      ledger.Writer
	key    *integrity.LedgerKey
	origin string
	at     time.Time
}

func newTestLedger(t *testing.T, path string) *testLedger {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	res, err := (ledger.Writer{Store: st}).Execute(ctx, "", domain.InitLedger{By: domain.By{Actor: "alice", At: at}, Name: "Witnessed", Unsigned: true}, at)
	if err != nil {
		t.Fatal(err)
	}
	origin, err := ledger.Origin(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	skey, _, err := integrity.GenerateLedgerKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	k, err := integrity.ParseLedgerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (ledger.Checkpointer{Store: st, Key: k}).Checkpoint(ctx, res.Records); err != nil {
		t.Fatal(err)
	}
	return &testLedger{st: st, key: k, origin: origin, at: at, w: ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: k}}}
}

func (l *testLedger) grant(t *testing.T, who string) {
	t.Helper()
	l.at = l.at.Add(time.Minute)
	if _, err := l.w.Execute(context.Background(), "", domain.GrantRole{By: domain.By{Actor: "alice", At: l.at}, Grantee: who, Role: domain.RoleResponder}, l.at); err != nil {
		t.Fatal(err)
	}
}

func (l *testLedger) head(t *testing.T) uint64 {
	t.Helper()
	cp, err := l.st.LatestCheckpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cp.Size
}

// TestSubmitterInterop: the product's own submitter (package witness),
// which the notary and the CLI use, against this witness: cosignatures
// kept that an auditor's policy accepts, a fresh submitter learning the
// witness's size from its 409, a fork refused (422: ErrFork) and a
// rolled-back copy told apart (ErrWitnessAhead), the witness unmoved.
func TestSubmitterInterop(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := newTestLedger(t, filepath.Join(dir, "ledger.db"))
	s := newServer(t, "witness.test/ours")
	pub := l.key.Public().String()
	if _, err := s.db.AddLog(ctx, l.origin, pub); err != nil {
		t.Fatalf("add the ledger's key (\"breachledger key public\") to the witness: %v", err)
	}
	wk, err := integrity.ParseWitnessKey(s.w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	targets := []witness.Target{{Key: wk, URL: s.srv.URL}}
	policy := integrity.WitnessPolicy{Witnesses: []*integrity.WitnessKey{wk}, Quorum: 1, MaxAge: time.Minute}
	check := func(t *testing.T) {
		t.Helper()
		cp, err := l.st.LatestCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := ledger.Cosignatures(ctx, l.st, cp.Size)
		if err != nil || len(lines) == 0 {
			t.Fatalf("cosignatures of the checkpoint of %d: %d (%v)", cp.Size, len(lines), err)
		}
		if _, err := policy.Check(cp.Note, lines, time.Now()); err != nil {
			t.Fatalf("the kept cosignature of the checkpoint of %d: %v", cp.Size, err)
		}
		if got := s.size(t, l.origin); got != cp.Size {
			t.Fatalf("the witness is at %d, the ledger's checkpoint at %d", got, cp.Size)
		}
	}

	sub := &witness.Submitter{Store: l.st}
	submit := func(t *testing.T, sub *witness.Submitter, st *sqlite.Store) witness.Outcome {
		t.Helper()
		if sub == nil {
			sub = &witness.Submitter{Store: st}
		}
		_, outs, err := sub.Submit(ctx, targets)
		if err != nil || len(outs) != 1 {
			t.Fatalf("Submit: %+v, %v", outs, err)
		}
		return outs[0]
	}
	if o := submit(t, sub, l.st); o.Err != nil || o.Lines != 1 {
		t.Fatalf("first submission: %+v", o)
	}
	check(t)
	l.grant(t, "oscar")
	l.grant(t, "ivy")
	if o := submit(t, sub, l.st); o.Err != nil {
		t.Fatalf("an extension: %+v", o)
	}
	check(t)
	snapshot := filepath.Join(dir, "snapshot.db")
	if err := sqlite.Backup(ctx, filepath.Join(dir, "ledger.db"), snapshot); err != nil {
		t.Fatal(err)
	}
	l.grant(t, "sam")
	if o := submit(t, nil, l.st); o.Err != nil { // a new submitter: old 0, 409, then from the witness's size
		t.Fatalf("a fresh submitter: %+v", o)
	}
	check(t)
	honest := l.head(t)

	t.Run("a rolled-back copy: the witness has seen more", func(t *testing.T) {
		st, err := sqlite.Open(ctx, snapshot, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if o := submit(t, nil, st); !errors.Is(o.Err, witness.ErrWitnessAhead) {
			t.Errorf("outcome %+v, want ErrWitnessAhead", o)
		}
	})
	t.Run("a fork signed with the ledger key", func(t *testing.T) {
		st, err := sqlite.Open(ctx, snapshot, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		fork := &testLedger{st: st, key: l.key, origin: l.origin, at: l.at, w: ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: l.key}}}
		for _, who := range []string{"mallory", "trent"} { // the same size as the honest ledger, then longer
			fork.grant(t, who)
			if o := submit(t, nil, st); !errors.Is(o.Err, witness.ErrFork) {
				t.Errorf("the fork at %d: %+v, want ErrFork", fork.head(t), o)
			}
			if got := s.size(t, l.origin); got != honest {
				t.Errorf("the witness moved to %d on the fork, want %d", got, honest)
			}
		}
	})
}
