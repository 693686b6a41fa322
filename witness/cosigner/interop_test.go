package cosigner_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/witnesstest"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/witness"
)

// TestSubmitterInterop: the product's own submitter (package witness),
// which the notary and the CLI use, against this witness: cosignatures
// kept that an auditor's policy accepts, a fresh submitter learning the
// witness's size from its 409, a fork refused (422: ErrFork) and a
// rolled-back copy told apart (ErrWitnessAhead), the witness unmoved.
func TestSubmitterInterop(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := witnesstest.NewLedger(t, filepath.Join(dir, "ledger.db"))
	s := newServer(t, "witness.test/ours")
	pub := l.Key.Public().String()
	if _, err := s.db.AddLog(ctx, l.Origin, pub); err != nil {
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
		cp, err := l.Store.LatestCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := ledger.Cosignatures(ctx, l.Store, cp.Size)
		if err != nil || len(lines) == 0 {
			t.Fatalf("cosignatures of the checkpoint of %d: %d (%v)", cp.Size, len(lines), err)
		}
		if _, err := policy.Check(cp.Note, lines, time.Now()); err != nil {
			t.Fatalf("the kept cosignature of the checkpoint of %d: %v", cp.Size, err)
		}
		if got := s.size(t, l.Origin); got != cp.Size {
			t.Fatalf("the witness is at %d, the ledger's checkpoint at %d", got, cp.Size)
		}
	}

	sub := &witness.Submitter{Store: l.Store}
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
	if o := submit(t, sub, l.Store); o.Err != nil || o.Lines != 1 {
		t.Fatalf("first submission: %+v", o)
	}
	check(t)
	l.Grant(t, "oscar")
	l.Grant(t, "ivy")
	if o := submit(t, sub, l.Store); o.Err != nil {
		t.Fatalf("an extension: %+v", o)
	}
	check(t)
	snapshot := filepath.Join(dir, "snapshot.db")
	if err := sqlite.Backup(ctx, filepath.Join(dir, "ledger.db"), snapshot); err != nil {
		t.Fatal(err)
	}
	l.Grant(t, "sam")
	if o := submit(t, nil, l.Store); o.Err != nil { // a new submitter: old 0, 409, then from the witness's size
		t.Fatalf("a fresh submitter: %+v", o)
	}
	check(t)
	honest := l.Head(t)

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
		fork := witnesstest.WithStore(st, l.Key, l.Origin, l.At)
		for _, who := range []string{"mallory", "trent"} { // the same size as the honest ledger, then longer
			fork.Grant(t, who)
			if o := submit(t, nil, st); !errors.Is(o.Err, witness.ErrFork) {
				t.Errorf("the fork at %d: %+v, want ErrFork", fork.Head(t), o)
			}
			if got := s.size(t, l.Origin); got != honest {
				t.Errorf("the witness moved to %d on the fork, want %d", got, honest)
			}
		}
	})
}
