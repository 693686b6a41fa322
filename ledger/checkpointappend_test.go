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
	cp, err := cpr.Checkpoint(ctx, res.Records, false)
	if head, _ := st.Head(ctx); err != nil || cp.Size != head {
		t.Errorf("Checkpoint after the append = %d, %v; want %d", cp.Size, err, head)
	}
}

// TestWriterDoesNotSignAStaleTail: inside the append as after it, a
// writer does not sign records someone else appended long ago without a
// checkpoint. The append then lands on its own (as with two steps) and the
// caller's checkpoint says why nothing was signed.
func TestWriterDoesNotSignAStaleTail(t *testing.T) {
	st := openLedger(t)
	k := initLedger(t, st)
	ctx := context.Background()
	at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	// Appended around breachledger, with no checkpoint.
	typ, payload, _ := domain.Encode(domain.NoteAdded{Text: "written around breachledger"})
	stray := eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: typ, OccurredAt: at, Actor: "mallory", Payload: payload}
	if _, err := st.Append(ctx, domain.IncidentStream("STRAY"), eventstore.NoStream, []eventstore.Record{stray}); err != nil {
		t.Fatal(err)
	}
	later := func() time.Time { return time.Now().Add(time.Hour) } // the stray record is an hour old by then
	cpr := &ledger.Checkpointer{Store: st, Key: k, Now: later}
	before, _ := st.LatestCheckpoint(ctx)
	res, err := ledger.Writer{Store: st, Checkpointer: cpr}.Execute(ctx, "INC1", domain.DetectIncident{By: domain.By{Actor: "oscar", At: at}, Source: domain.SourceOperatorEscalation, Summary: "s", Role: domain.RoleBoth}, at)
	if err != nil {
		t.Fatal(err)
	}
	if res.Checkpoint != nil {
		t.Errorf("signed a checkpoint of %d over a stale tail", res.Checkpoint.Size)
	}
	if after, _ := st.LatestCheckpoint(ctx); after.Size != before.Size {
		t.Errorf("newest checkpoint %d, want still %d", after.Size, before.Size)
	}
	_, err = cpr.Checkpoint(ctx, res.Records, false)
	if !errors.Is(err, ledger.ErrUncoveredTail) || !strings.Contains(err.Error(), stray.ID.String()) {
		t.Errorf("Checkpoint after the append = %v, want ErrUncoveredTail naming %s", err, stray.ID)
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
	_, err = ledger.Checkpointer{Store: st, Key: k}.Checkpoint(ctx, []eventstore.Record{own}, false)
	if !errors.Is(err, integrity.ErrIntegrity) || !strings.Contains(err.Error(), recs[1].ID.String()) {
		t.Errorf("Checkpoint of an event the checkpoints signed otherwise = %v, want ErrIntegrity naming %s", err, recs[1].ID)
	}
	// And one the log does not have at all.
	own.Sequence = uint64(len(recs))
	_, err = ledger.Checkpointer{Store: st, Key: k}.Checkpoint(ctx, []eventstore.Record{own}, false)
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
	res, err := (ledger.Writer{Store: st, Checkpointer: cpr}).Execute(ctx, "INC1", domain.DetectIncident{By: domain.By{Actor: "oscar", At: at}, Source: domain.SourceOperatorEscalation, Summary: "s", Role: domain.RoleBoth}, at)
	if err != nil {
		t.Fatal(err)
	}
	if res.Checkpoint != nil {
		t.Errorf("signed a checkpoint of %d over an altered compact range", res.Checkpoint.Size)
	}
	if _, err := cpr.Checkpoint(ctx, res.Records, false); !errors.Is(err, integrity.ErrIntegrity) || !strings.Contains(err.Error(), "does not give the root it signed") {
		t.Errorf("Checkpoint over an altered compact range = %v, want ErrIntegrity", err)
	}
}
