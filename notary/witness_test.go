package notary_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/witnesstest"
	"github.com/breachledger/breachledger/ledger"
)

// TestRunSubmitsToWitnesses (issue 16): a running notary submits each new
// checkpoint to the ledger's witness (a real litewitness, which knows the
// ledger key and the notary's, as after a hand-over) and the newest again
// every witness-refresh without new events; the cosignatures it keeps
// satisfy an auditor's policy.
func TestRunSubmitsToWitnesses(t *testing.T) {
	tm := newTeam(t)
	w := witnesstest.Start(t, "witness.test/notary")
	w.AddLog(t, tm.notaryKey.Origin(), tm.oldKey.Public().String(), tm.notaryKey.Public().String())
	tm.write(tm.alice, "", domain.AddWitness{By: tm.by(tm.alice), Key: w.VKey, URL: w.URL, Reason: "the auditor's witness"})
	tm.write(tm.alice, "", domain.ChangeSetting{By: tm.by(tm.alice), Key: "witness-refresh", Value: "1s", Reason: "the team's facts are all dated an hour back"})
	tm.detect()
	key, err := integrity.ParseWitnessKey(w.VKey)
	if err != nil {
		t.Fatal(err)
	}
	policy := integrity.WitnessPolicy{Witnesses: []*integrity.WitnessKey{key}, MaxAge: time.Minute}

	n := tm.notary()
	ctx, cancel := context.WithCancel(tm.ctx)
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx, 5*time.Millisecond) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		// The client keeps its connection to the witness alive between
		// submissions; goleak (TestMain) would take it for a leak.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	}()
	cosignatures := func() int {
		lines, err := ledger.Cosignatures(tm.ctx, tm.st, tm.checkpointSize())
		if err != nil {
			t.Fatal(err)
		}
		return len(lines)
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("after 30s: %s (checkpoint %d of %d events, witness at %d, %d cosignatures)", what, tm.checkpointSize(), tm.head(), w.Size(t, tm.notaryKey.Origin()), cosignatures())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	waitFor("the whole log checkpointed and cosigned", func() bool {
		return tm.checkpointSize() == tm.head() && cosignatures() >= 1
	})
	if got := w.Size(t, tm.notaryKey.Origin()); got != tm.head() {
		t.Errorf("the witness cosigned %d events, the log holds %d", got, tm.head())
	}

	tm.note(tm.oscar, "one more")
	waitFor("the new checkpoint cosigned", func() bool {
		return tm.checkpointSize() == tm.head() && cosignatures() >= 1
	})

	before := cosignatures()
	waitFor("a refresh: the same checkpoint cosigned again without new events", func() bool {
		return cosignatures() > before
	})

	cp, err := tm.st.LatestCheckpoint(tm.ctx)
	if err != nil {
		t.Fatal(err)
	}
	lines, _ := ledger.Cosignatures(tm.ctx, tm.st, cp.Size)
	if _, err := policy.Check(cp.Note, lines, time.Now()); err != nil {
		t.Errorf("the kept cosignatures do not satisfy the auditor's policy: %v", err)
	}
}
