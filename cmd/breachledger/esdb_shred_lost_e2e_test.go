package main_test

import (
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// TestShredLostServerESDB: the DataShredded lands, then the server goes
// away before answering and stays away while the shred retries: the
// shred fails saying the append may have landed. Its intent to destroy the
// keys must not be cancelled: once the server is back (and the ledger key's
// holder has checkpointed the event, as after any writer that stopped
// before its checkpoint), the next opening of the key store finds the event
// in the ledger and destroys the keys; verify passes without warning of
// them and the note reads as forgotten.
func TestShredLostServerESDB(t *testing.T) {
	var srv *esdbtest.Server
	var lose atomic.Bool
	srv = esdbtest.Start(t, esdbtest.Options{AfterAppend: func(stream string, types []string) error {
		if lose.Load() && slices.Contains(types, "DataShredded") {
			lose.Store(false)
			go srv.Stop() // after this answer: the server is gone
			return status.Error(codes.Aborted, "connection lost after the commit")
		}
		return nil
	}})
	c := &cli{tb: t, ledger: srv.URL()}
	t.Cleanup(func() { forgetPinsAt(c, srv.Addr()) })
	initID, inc, noteID := sealedIncident(t, c)
	ksPath := keyStoreOf(t, initID)
	keys := liveKeys(t, ksPath, inc)

	lose.Store(true)
	r := c.run("lee", "shred", inc, "--event", noteID, "--basis", "mistaken-entry", "--reason", "pasted into a note by mistake")
	t.Logf("shred with the server gone: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	if r.code == 0 {
		t.Fatal("shred with the server gone after the commit succeeded")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	shreds := 0
	for _, e := range srv.Memory().Events() {
		if e.Type == "DataShredded" {
			shreds++
		}
	}
	if shreds != 1 {
		t.Fatalf("%d DataShredded events on the server, want 1", shreds)
	}
	// The writer stopped before checkpointing: the ledger key's holder
	// checkpoints the signed DataShredded, as after any writer that stopped.
	c.ok("alice", "checkpoint", "-o", filepath.Join(t.TempDir(), "kept.checkpoint"))
	v := c.run("auditor", "verify")
	if v.code != 0 || strings.Contains(v.stderr, "shred-keys-exist") {
		t.Errorf("verify: exit %d, or the landed shred's keys still exist:\n%s%s", v.code, v.stdout, v.stderr)
	}
	out := readersShow(c, inc)
	checkShown(t, "after the shred landed", out, []string{esSummary}, []string{esNote})
	if live := liveKeys(t, ksPath, inc); len(live) != len(keys)-1 {
		t.Errorf("after the shred that landed and a reopening of the key store, %d live keys, want %d", len(live), len(keys)-1)
	}
}
