package main_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/internal/witnesstest"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/stores"
)

// Issue 16 on EventStoreDB: there a ledger is a team ledger, and the
// notary, which holds the ledger key, submits each checkpoint it signs to
// the ledger's witnesses; the cosignatures live in the stream
// breachledger-cosignatures: + prefix, and migrate copies them.

// readPub returns the public key in the file path, trimmed.
func readPub(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// cosignatureCount returns how many cosignature lines the ledger at
// location keeps beside its newest checkpoint, and that checkpoint's size.
func cosignatureCount(t *testing.T, location string) (size uint64, lines int) {
	t.Helper()
	ctx := context.Background()
	st, err := stores.Open(ctx, location, stores.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs, ok := st.(eventstore.CheckpointStore)
	if !ok {
		t.Fatalf("%T keeps no checkpoints", st)
	}
	cp, err := cs.LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ledger.Cosignatures(ctx, st, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	return cp.Size, len(got)
}

// TestWitnessCosignsCheckpointsESDB: on the EventStoreDB test server, a
// team ledger's notary has each checkpoint it signs cosigned by a real
// litewitness (which knows the ledger's first key and the notary's, as
// after the hand-over), and verify --witness passes; witness submit adds a
// refresh. A copy made by migrate keeps the cosignatures and verifies
// too; extended there with an event appended straight into the store and
// a checkpoint signed with the stolen notary key (a fork of what the
// witness saw), it gets no cosignature, even when submitted, and fails
// verify --witness.
func TestWitnessCosignsCheckpointsESDB(t *testing.T) {
	c, srv := newESDBLedger(t)
	tm := newTeam(t, c)
	origin := ledgerOrigin(t, c)
	w := witnesstest.Start(t, "witness.test/esdb")
	w.AddLog(t, origin, readPub(t, tm.oldKey+".pub"), readPub(t, tm.notaryKey+".pub"))
	c.ok("alice", "witness", "add", w.VKey, w.URL, "--reason", "the DPO's witness")

	notarize := func() result {
		t.Helper()
		r := c.run("alice", "--ledger-key", tm.notaryKey, "notary", "run", "--once")
		if r.code != 0 || !strings.Contains(r.stderr, "witness witness.test/esdb+") || !strings.Contains(r.stderr, " cosigned the checkpoint of ") {
			t.Fatalf("notary run --once: exit %d, want 0 with the witness's cosignature\n%s%s", r.code, r.stdout, r.stderr)
		}
		return r
	}
	notarize() // judges the witness's addition, checkpoints it, submits
	head := esdbHead(t, srv)
	if size, lines := cosignatureCount(t, c.ledger); size != head || lines != 1 {
		t.Fatalf("after the notary: newest checkpoint of %d events with %d cosignatures, want %d events (the whole log) and 1", size, lines, head)
	}
	if got := w.Size(t, origin); got != head {
		t.Errorf("the witness cosigned %d events, the log holds %d", got, head)
	}
	r, rep := verifyAt(t, c.ledger, time.Now(), "--witness", w.VKey, "--quorum", "1")
	if r.code != 0 || !rep.OK || rep.Covered != head || rep.Witnessed == nil || rep.Witnessed.Valid != 1 || rep.Witnessed.Witnesses[0].Status != "cosigned" {
		t.Fatalf("verify --witness --quorum 1: exit %d, %+v, want the checkpoint of %d events cosigned\n%s%s", r.code, rep, head, r.stdout, r.stderr)
	}

	// One more event: the notary's next checkpoint covers it, and the
	// witness moves on by exactly one.
	c.ok("oscar", "note", tm.overdue, "after the witness was added")
	notarize()
	if got := w.Size(t, origin); got != head+1 {
		t.Errorf("the witness cosigned %d events after one more, want %d", got, head+1)
	}
	head++

	// witness submit: a refresh of the same checkpoint, kept beside it.
	r = c.run("auditor", "witness", "submit")
	if want := fmt.Sprintf(" cosigned the checkpoint of %d events", head); r.code != 0 || !strings.Contains(r.stderr, want) {
		t.Fatalf("witness submit: exit %d, want 0 saying %q\n%s%s", r.code, want, r.stdout, r.stderr)
	}
	if size, lines := cosignatureCount(t, c.ledger); size != head || lines != 2 {
		t.Errorf("after witness submit: newest checkpoint of %d events with %d cosignatures, want %d and 2 (the notary's, the refresh)", size, lines, head)
	}
	c.ok("auditor", "verify", "--witness", w.VKey, "--quorum", "1")

	// A copy in another prefix of the same database, as an insider with
	// the notary's key takes it; migrate brings the cosignatures along.
	fork := &cli{tb: t, ledger: srv.URL() + "&prefix=fork/"}
	if rep := migrate(t, c.ledger, fork.ledger); rep.Events != head || rep.Copied != head {
		t.Fatalf("migrate to the copy: %+v, want %d events copied", rep, head)
	}
	if size, lines := cosignatureCount(t, fork.ledger); size != head || lines != 2 {
		t.Errorf("the copy's newest checkpoint: %d events with %d cosignatures, want %d and 2", size, lines, head)
	}
	fork.ok("auditor", "verify", "--witness", w.VKey, "--quorum", "1")

	// The honest ledger goes on; the witness cosigns it.
	c.ok("oscar", "note", tm.overdue, "the true next note")
	notarize()
	honest := w.Size(t, origin)
	if honest != head+1 {
		t.Fatalf("the witness at %d events, want %d", honest, head+1)
	}

	// The copy goes on otherwise: a note appended straight into the store,
	// sealed with the notary's key. The same size as the honest ledger,
	// another last event.
	forger := &team{c: fork}
	forged := forger.forge(t, domain.IncidentStream(tm.overdue), "oscar", "oscar", time.Now().UTC(), domain.NoteAdded{Text: "a forged next note"})
	forger.seal(t, tm.notaryKey, "")
	if size, lines := cosignatureCount(t, fork.ledger); size != head+1 || lines != 0 {
		t.Fatalf("the forged checkpoint: %d events with %d cosignatures, want %d and none", size, lines, head+1)
	}
	if r := fork.run("auditor", "verify"); r.code != 0 {
		t.Fatalf("plain verify of the copy: exit %d, want 0 (the stolen key signs its checkpoint; only the witness tells)\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = fork.run("auditor", "witness", "submit")
	if r.code != 6 || !strings.Contains(r.stderr, "differs from what it saw") {
		t.Errorf("witness submit of the forged checkpoint: exit %d, want 6 naming the fork\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := w.Size(t, origin); got != honest {
		t.Errorf("the witness moved to %d events on the forged checkpoint, want %d", got, honest)
	}
	if _, lines := cosignatureCount(t, fork.ledger); lines != 0 {
		t.Errorf("the forged checkpoint has %d cosignatures after its submission, want none", lines)
	}
	r = fork.run("auditor", "verify", "--witness", w.VKey, "--quorum", "1")
	if want := fmt.Sprintf("the checkpoint of %d events has 0 valid cosignatures of the 1 required", head+1); r.code != 6 || !strings.Contains(r.stdout+r.stderr, want) {
		t.Errorf("verify --witness of the forged checkpoint (over event %s): exit %d, want 6 saying %q\n%s%s", forged[0].ID, r.code, want, r.stdout, r.stderr)
	}
	// The honest ledger is untouched by all this.
	c.ok("auditor", "verify", "--witness", w.VKey, "--quorum", "1")
}
