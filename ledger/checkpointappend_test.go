package ledger_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
)

// twoStep is a store that keeps checkpoints but cannot append with them
// atomically, as EventStoreDB.
type twoStep struct {
	eventstore.Store
	eventstore.CheckpointStore
}

// TestWriterCheckpointsInTheAppend: with a Checkpointer, every append on
// SQLite comes back with the checkpoint stored in its own transaction,
// covering exactly the head after it; the ledger verifies, with one
// checkpoint per command.
func TestWriterCheckpointsInTheAppend(t *testing.T) {
	st := openLedger(t)
	k := initLedger(t, st)
	ctx := context.Background()
	at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	before, _ := st.LatestCheckpoint(ctx)
	w := ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: k}}
	cmds := []domain.Command{
		domain.DetectIncident{By: domain.By{Actor: "oscar", At: at}, Source: domain.SourceOperatorEscalation, Summary: "s", Role: domain.RoleBoth},
		domain.AddNote{By: domain.By{Actor: "oscar", At: at}, Text: "one"},
		domain.AddNote{By: domain.By{Actor: "oscar", At: at}, Text: "two"},
	}
	for _, c := range cmds {
		res, err := w.Execute(ctx, "INC1", c, at)
		if err != nil {
			t.Fatal(err)
		}
		if res.Checkpoint == nil {
			t.Fatalf("%T: no checkpoint in the append", c)
		}
		head, _ := st.Head(ctx)
		if last := res.Records[len(res.Records)-1]; res.Checkpoint.Size != head || res.Checkpoint.Size != last.Sequence+1 {
			t.Errorf("%T: checkpoint of %d events; head %d, last appended sequence %d", c, res.Checkpoint.Size, head, last.Sequence)
		}
		latest, err := st.LatestCheckpoint(ctx)
		if err != nil || latest.Size != res.Checkpoint.Size {
			t.Errorf("%T: newest stored checkpoint %d (%v), want %d", c, latest.Size, err, res.Checkpoint.Size)
		}
		cp, err := k.Public().Open(latest.Note)
		if err != nil || cp.Size != latest.Size {
			t.Errorf("%T: stored note does not open with the ledger key: %v", c, err)
		}
	}
	cps, err := st.ReadCheckpoints(ctx, before.Size, 0)
	if err != nil || len(cps) != len(cmds) {
		t.Errorf("%d checkpoints after %d (%v), want one per command (%d)", len(cps), before.Size, err, len(cmds))
	}
	rep, err := ledger.Verify(ctx, st, k.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("verify: %v", rep.Problems)
	}
}

// TestWriterLeavesCheckpointToStoresThatCannot: on a store without atomic
// appends the writer appends alone, and the caller's checkpoint covers it.
func TestWriterLeavesCheckpointToStoresThatCannot(t *testing.T) {
	st := openLedger(t)
	k := initLedger(t, st)
	ctx := context.Background()
	at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	plain := twoStep{Store: st, CheckpointStore: st}
	cpr := &ledger.Checkpointer{Store: plain, Key: k}
	res, err := ledger.Writer{Store: plain, Checkpointer: cpr}.Execute(ctx, "INC1", domain.DetectIncident{By: domain.By{Actor: "oscar", At: at}, Source: domain.SourceOperatorEscalation, Summary: "s", Role: domain.RoleBoth}, at)
	if err != nil {
		t.Fatal(err)
	}
	if res.Checkpoint != nil {
		t.Fatalf("a checkpoint of %d from a store that cannot append atomically", res.Checkpoint.Size)
	}
	cp, err := cpr.Checkpoint(ctx, res.Records)
	if head, _ := st.Head(ctx); err != nil || cp.Size != head {
		t.Errorf("Checkpoint after the append = %d, %v; want %d", cp.Size, err, head)
	}
}

// appendAround appends a note to stream as someone with write access to
// the store would, around breachledger: no checkpoint covers it.
func appendAround(tb testing.TB, st eventstore.Store, stream string) eventstore.Record {
	tb.Helper()
	typ, payload, _ := domain.Encode(domain.NoteAdded{Text: "written around breachledger"})
	stray := eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: typ, OccurredAt: time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC), Actor: "mallory", Payload: payload}
	stored, err := st.Append(context.Background(), stream, eventstore.Any, []eventstore.Record{stray})
	if err != nil {
		tb.Fatal(err)
	}
	return stored[0]
}

// TestWriterRefusesAForeignRecord: on a store that checkpoints inside the
// append, a record no checkpoint covers is foreign however recently it
// claims to have been recorded: the next append refuses (ErrForeign,
// naming it) and appends nothing, instead of covering it with its
// checkpoint. Readers stop at it too. Before the ledger key's holder
// rejected it, the record was a working fact; after, it never counts,
// appends resume, and verify names it.
func TestWriterRefusesAForeignRecord(t *testing.T) {
	st := openLedger(t)
	k := initLedger(t, st)
	ctx := context.Background()
	at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	w := ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: k}}
	if _, err := w.Execute(ctx, "INC1", domain.DetectIncident{By: domain.By{Actor: "oscar", At: at}, Source: domain.SourceOperatorEscalation, Summary: "s", Role: domain.RoleBoth}, at); err != nil {
		t.Fatal(err)
	}
	stray := appendAround(t, st, domain.IncidentStream("INC1")) // recorded this very moment
	before, _ := st.Head(ctx)

	_, err := w.Execute(ctx, "INC1", domain.AddNote{By: domain.By{Actor: "oscar", At: at}, Text: "honest"}, at)
	var fe *ledger.ForeignError
	if !errors.As(err, &fe) || !errors.Is(err, integrity.ErrIntegrity) || fe.From != stray.Sequence || !strings.Contains(err.Error(), stray.ID.String()) {
		t.Fatalf("append after a foreign record = %v, want a ForeignError (ErrIntegrity) naming %s at %d", err, stray.ID, stray.Sequence)
	}
	if head, _ := st.Head(ctx); head != before {
		t.Errorf("head %d after the refused append, want %d: nothing may be appended", head, before)
	}
	if _, err := (ledger.Checkpointer{Store: st, Key: k}).Checkpoint(ctx, nil); !errors.As(err, &fe) {
		t.Errorf("a checkpoint of the head = %v, want a ForeignError", err)
	}
	if _, err := ledger.NewView(ctx, st, k.Public()); !errors.As(err, &fe) {
		t.Errorf("a reader's view = %v, want a ForeignError", err)
	}

	// The key holder rejects it, naming it by sequence and leaf hash.
	rejs, err := ledger.Rejections(ctx, st, []uint64{stray.Sequence})
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.Execute(ctx, "", domain.RejectForeign{By: domain.By{Actor: "alice", At: at}, Records: rejs, Reason: "not ours"}, at)
	if err != nil {
		t.Fatal(err)
	}
	if head, _ := st.Head(ctx); res.Checkpoint == nil || res.Checkpoint.Size != head {
		t.Fatalf("rejection's checkpoint %v, want one covering the head %d", res.Checkpoint, head)
	}
	if _, err := w.Execute(ctx, "INC1", domain.AddNote{By: domain.By{Actor: "oscar", At: at}, Text: "honest"}, at); err != nil {
		t.Fatalf("append after the rejection: %v", err)
	}
	v, err := ledger.NewView(ctx, st, k.Public())
	if err != nil {
		t.Fatal(err)
	}
	h, err := ledger.ReadHistory(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range h.Incidents["INC1"] {
		if f.ID == stray.ID.String() {
			t.Errorf("the rejected record counts in the history")
		}
	}
	if got, want := len(h.Incidents["INC1"]), 3; got != want { // detected, pack pinned, the honest note
		t.Errorf("incident has %d facts, want %d", got, want)
	}
	rep, err := ledger.Verify(ctx, st, k.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !strings.Contains(rep.First().String(), stray.ID.String()) {
		t.Errorf("verify after the rejection: OK=%v first %v, want the rejected record named", rep.OK(), rep.First())
	}
}

// TestRejectionIsBoundToItsRecord: a rejection names the record by its
// leaf hash: it does not cover another record at that sequence, nor a
// sequence a checkpoint already covers.
func TestRejectionIsBoundToItsRecord(t *testing.T) {
	st := openLedger(t)
	k := initLedger(t, st)
	ctx := context.Background()
	at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	w := ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: k}}
	stray := appendAround(t, st, domain.IncidentStream("STRAY"))
	rejs, err := ledger.Rejections(ctx, st, []uint64{stray.Sequence})
	if err != nil {
		t.Fatal(err)
	}
	forged := rejs[0]
	forged.LeafSHA256 = strings.Repeat("0", 64)
	if _, err := w.Execute(ctx, "", domain.RejectForeign{By: domain.By{Actor: "alice", At: at}, Records: []domain.ForeignEventRejected{forged}, Reason: "r"}, at); !errors.Is(err, integrity.ErrIntegrity) {
		t.Errorf("a rejection with another leaf hash = %v, want ErrIntegrity", err)
	}
	if _, err := ledger.Rejections(ctx, st, []uint64{0}); !errors.Is(err, domain.ErrRefused) {
		t.Errorf("rejecting a covered record = %v, want refused", err)
	}
	if _, err := w.Execute(ctx, "", domain.RejectForeign{By: domain.By{Actor: "oscar", At: at}, Records: rejs, Reason: "r"}, at); !errors.Is(err, domain.ErrRefused) {
		t.Errorf("a rejection by a non-admin = %v, want refused", err)
	}
}

// TestLegacyTailAcceptedOnce: a tail an older breachledger left uncovered
// is accepted once, bound to exactly those records.
func TestLegacyTailAcceptedOnce(t *testing.T) {
	st := openLedger(t)
	k := initLedger(t, st)
	ctx := context.Background()
	at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	w := ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: k}}
	first := appendAround(t, st, domain.IncidentStream("OLD"))
	appendAround(t, st, domain.IncidentStream("OLD"))
	tail, err := ledger.LegacyTail(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if tail.From != first.Sequence || tail.To != first.Sequence+1 {
		t.Errorf("legacy tail %d..%d, want %d..%d", tail.From, tail.To, first.Sequence, first.Sequence+1)
	}
	other := tail
	other.RootSHA256 = strings.Repeat("0", 64) // other records than those in the log
	if _, err := w.Execute(ctx, "", domain.AcceptLegacyTail{By: domain.By{Actor: "alice", At: at}, Tail: other, Reason: "r"}, at); !errors.Is(err, integrity.ErrIntegrity) {
		t.Errorf("accepting a tail of other records = %v, want ErrIntegrity", err)
	}
	if _, err := w.Execute(ctx, "", domain.AcceptLegacyTail{By: domain.By{Actor: "alice", At: at}, Tail: tail, Reason: "recorded by v0.9"}, at); err != nil {
		t.Fatal(err)
	}
	rep, err := ledger.Verify(ctx, st, k.Public(), nil)
	if err != nil || !rep.OK() {
		t.Fatalf("verify after accepting the legacy tail: %v %v", err, rep.Problems)
	}
	appendAround(t, st, domain.IncidentStream("OLD"))
	again, err := ledger.LegacyTail(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Execute(ctx, "", domain.AcceptLegacyTail{By: domain.By{Actor: "alice", At: at}, Tail: again, Reason: "again"}, at); !errors.Is(err, domain.ErrRefused) {
		t.Errorf("a second legacy tail = %v, want refused (once per ledger)", err)
	}
}

// TestTwoStepStoreHasNoGrace: on a store that checkpoints after the
// append (EventStoreDB), another writer's record is never signed unasked
// (ErrUncoveredTail), however recently it was recorded: nothing is covered
// because of when it was recorded (issue 13; the one-minute grace window
// of issue 10 signed a row written around breachledger within it).
func TestTwoStepStoreHasNoGrace(t *testing.T) {
	st := openLedger(t)
	k := initLedger(t, st)
	ctx := context.Background()
	plain := twoStep{Store: st, CheckpointStore: st}
	recent := appendAround(t, plain, domain.IncidentStream("STRAY"))
	_, err := ledger.Checkpointer{Store: plain, Key: k}.Checkpoint(ctx, nil)
	if !errors.Is(err, ledger.ErrUncoveredTail) || !strings.Contains(err.Error(), recent.ID.String()) {
		t.Errorf("Checkpoint over another writer's record recorded just now = %v, want ErrUncoveredTail naming %s", err, recent.ID)
	}
}

// TestCheckpointRefusesMovedRecords: a writer whose appended event sits
// where a stored checkpoint signed another one (the log lost events, and
// the later ones moved down, as after a scavenge on EventStoreDB) signs
// nothing.
func TestCheckpointRefusesMovedRecords(t *testing.T) {
	st := openLedger(t)
	k := initLedger(t, st)
	ctx := context.Background()
	recs, err := st.ReadAll(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// What the writer believes it appended at sequence 1: another event.
	own := recs[1]
	own.ID = uuid.Must(uuid.NewV7())
	_, err = ledger.Checkpointer{Store: st, Key: k}.Checkpoint(ctx, []eventstore.Record{own})
	if !errors.Is(err, integrity.ErrIntegrity) || !strings.Contains(err.Error(), recs[1].ID.String()) {
		t.Errorf("Checkpoint of an event the checkpoints signed otherwise = %v, want ErrIntegrity naming %s", err, recs[1].ID)
	}
	// And one the log does not have at all.
	own.Sequence = uint64(len(recs))
	_, err = ledger.Checkpointer{Store: st, Key: k}.Checkpoint(ctx, []eventstore.Record{own})
	if !errors.Is(err, integrity.ErrIntegrity) || !strings.Contains(err.Error(), "the log now ends") {
		t.Errorf("Checkpoint of an event past the log's end = %v, want ErrIntegrity", err)
	}
}

// TestCheckpointRefusesAlteredRange: a writer does not extend a stored
// compact range that no longer gives the root its checkpoint signed,
// inside an append or after it.
func TestCheckpointRefusesAlteredRange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k := initLedger(t, st)
	ctx := context.Background()
	at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	cpr := &ledger.Checkpointer{Store: st, Key: k}
	if _, err := (ledger.Writer{Store: st, Checkpointer: cpr}).Execute(ctx, "", domain.GrantRole{By: domain.By{Actor: "alice", At: at}, Grantee: "ivy", Role: domain.RoleLegal}, at); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// One byte of the last hash of the newest checkpoint's compact range
	// (the blob ends with it) changed: a well-formed range of another tree.
	var rng []byte
	if err := db.QueryRow(`SELECT range_hashes FROM checkpoints ORDER BY size DESC LIMIT 1`).Scan(&rng); err != nil {
		t.Fatal(err)
	}
	rng[len(rng)-1] ^= 0xff
	for _, stmt := range []string{`DROP TRIGGER checkpoints_no_update`,
		`UPDATE checkpoints SET range_hashes = ? WHERE size = (SELECT max(size) FROM checkpoints)`} {
		var args []any
		if strings.HasPrefix(stmt, "UPDATE") {
			args = append(args, rng)
		}
		if _, err := db.Exec(stmt, args...); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := st.Head(ctx)
	_, err = (ledger.Writer{Store: st, Checkpointer: cpr}).Execute(ctx, "INC1", domain.DetectIncident{By: domain.By{Actor: "oscar", At: at}, Source: domain.SourceOperatorEscalation, Summary: "s", Role: domain.RoleBoth}, at)
	if !errors.Is(err, integrity.ErrIntegrity) || !strings.Contains(err.Error(), "does not give the root it signed") {
		t.Errorf("an append over an altered compact range = %v, want ErrIntegrity", err)
	}
	if head, _ := st.Head(ctx); head != before {
		t.Errorf("head %d after the refused append, want %d", head, before)
	}
	if _, err := cpr.Checkpoint(ctx, nil); !errors.Is(err, integrity.ErrIntegrity) || !strings.Contains(err.Error(), "does not give the root it signed") {
		t.Errorf("Checkpoint over an altered compact range = %v, want ErrIntegrity", err)
	}
}
