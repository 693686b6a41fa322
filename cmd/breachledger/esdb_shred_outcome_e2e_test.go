package main_test

import (
	"slices"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// TestShredUnknownOutcomeESDB: a shred whose DataShredded lands on
// EventStoreDB while the answer to its append is lost after the commit
// (every answer of the server to it replaced by Aborted: an unknown
// outcome). The adapter, retrying with the same event IDs, finds the event
// already there, so the shred succeeds once: one DataShredded on the server, its
// keys destroyed, verify without a shred-keys-exist warning, and the note
// read as forgotten.
func TestShredUnknownOutcomeESDB(t *testing.T) {
	var lose atomic.Bool
	var lost atomic.Int32
	srv := esdbtest.Start(t, esdbtest.Options{AfterAppend: func(stream string, types []string) error {
		if lose.Load() && slices.Contains(types, "DataShredded") {
			lost.Add(1)
			return status.Error(codes.Aborted, "connection lost after the commit")
		}
		return nil
	}})
	c := &cli{tb: t, ledger: srv.URL()}
	t.Cleanup(func() { forgetPinsAt(c, srv.Addr()) })
	initID, inc, noteID := sealedIncident(t, c)
	ksPath := keyStoreOf(t, initID)
	keys := liveKeys(t, ksPath, inc)

	lose.Store(true) // every answer to an append of the DataShredded
	c.ok("lee", "shred", inc, "--event", noteID, "--basis", "mistaken-entry", "--reason", "pasted into a note by mistake")
	lose.Store(false)
	if lost.Load() == 0 {
		t.Fatal("no answer lost: the shred's append never met the fault")
	}
	shreds := 0
	for _, e := range srv.Memory().Events() {
		if e.Type == "DataShredded" {
			shreds++
		}
	}
	if shreds != 1 {
		t.Fatalf("%d DataShredded events on the server, want 1 (the lost answer's)", shreds)
	}

	verifySealed(t, c, "after the lost answer")
	if live := liveKeys(t, ksPath, inc); len(live) != len(keys)-1 {
		t.Errorf("after the shred, %d live keys, want %d (the note's destroyed)", len(live), len(keys)-1)
	}
	out := readersShow(c, inc)
	checkShown(t, "after the lost answer", out, []string{esSummary, esRecipient}, []string{esNote})
	if !forgottenRE("mistaken-entry").MatchString(out) {
		t.Errorf("after the lost answer: no [forgotten on DATE, mistaken-entry] in:\n%s", out)
	}
}
