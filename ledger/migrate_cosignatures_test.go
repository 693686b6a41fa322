package ledger_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/testsupport"
	"github.com/breachledger/breachledger/ledger"
)

// cosignedSource returns an in-memory personal ledger of four
// checkpointed commands (init, three grants: four checkpoints) whose
// second checkpoint is cosigned by w1 and w2, and whose newest by w1 and
// then, on 17 refreshes, by w2: 18 lines, more than one SaveCosignatures
// call takes, so the copy must split them. It returns the store and the sizes
// of the checkpoints cosigned.
func cosignedSource(t *testing.T, w1, w2 *testsupport.Cosigner) (*sqlite.Store, []uint64) {
	t.Helper()
	ctx := t.Context()
	s, err := sqlite.Open(ctx, sqlite.Memory, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	res, err := (ledger.Writer{Store: s}).Execute(ctx, "", domain.InitLedger{By: domain.By{Actor: "alice", At: at}, Name: "Cosigned", Unsigned: true}, at)
	if err != nil {
		t.Fatal(err)
	}
	origin, err := ledger.Origin(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	skey, _, err := integrity.GenerateLedgerKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	key, err := integrity.ParseLedgerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	cpr := &ledger.Checkpointer{Store: s, Key: key}
	if _, err := cpr.Checkpoint(ctx, res.Records); err != nil {
		t.Fatal(err)
	}
	w := ledger.Writer{Store: s, Checkpointer: cpr}
	var sizes []uint64
	for i, who := range []string{"oscar", "ivy", "sam"} {
		at = at.Add(time.Minute)
		if _, err := w.Execute(ctx, "", domain.GrantRole{By: domain.By{Actor: "alice", At: at}, Grantee: who, Role: domain.RoleResponder}, at); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			continue // the third checkpoint: never cosigned
		}
		cp, err := s.LatestCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, cp.Size)
		when := time.Now().Add(-time.Hour)
		if i == 0 {
			saveLines(t, s, cp.Size, w1.CosignNote(cp.Note, when), w2.CosignNote(cp.Note, when))
			continue
		}
		saveLines(t, s, cp.Size, w1.CosignNote(cp.Note, when))
		var refreshes [][]byte
		for r := range 17 {
			refreshes = append(refreshes, w2.CosignNote(cp.Note, when.Add(time.Duration(r+1)*time.Minute)))
		}
		saveLines(t, s, cp.Size, refreshes[:eventstore.MaxCosignatures]...)
		saveLines(t, s, cp.Size, refreshes[eventstore.MaxCosignatures:]...)
	}
	return s, sizes
}

func saveLines(t *testing.T, s eventstore.Store, size uint64, lines ...[]byte) {
	t.Helper()
	if err := s.(eventstore.CosignatureStore).SaveCosignatures(t.Context(), size, lines); err != nil {
		t.Fatalf("save %d cosignatures of checkpoint %d: %v", len(lines), size, err)
	}
}

// checkpointSizes returns the sizes of s's checkpoints, in order.
func checkpointSizes(t *testing.T, s eventstore.Store) []uint64 {
	t.Helper()
	var out []uint64
	for cp, err := range eventstore.Checkpoints(t.Context(), s.(eventstore.CheckpointStore), 0) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cp.Size)
	}
	return out
}

// cosignatureLines returns the cosignature lines of every checkpoint of s,
// by size, as strings.
func cosignatureLines(t *testing.T, s eventstore.Store) map[uint64][]string {
	t.Helper()
	out := map[uint64][]string{}
	for _, size := range checkpointSizes(t, s) {
		lines, err := ledger.Cosignatures(t.Context(), s, size)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			out[size] = append(out[size], string(l))
		}
	}
	return out
}

// TestMigrateCopiesCosignatures: SQLite to EventStoreDB and back to
// SQLite, every checkpoint keeps every witness's cosignature line, in
// order (18 lines on the newest, copied in calls of at most 16), and the
// newest checkpoint still verifies against both witnesses on each copy.
// A second run copies nothing more; a refresh added on the source since
// is copied by the next run, alone.
func TestMigrateCopiesCosignatures(t *testing.T) {
	ctx := t.Context()
	w1, w2 := testsupport.NewCosigner(t, "witness.test/w1"), testsupport.NewCosigner(t, "witness.test/w2")
	src, cosigned := cosignedSource(t, w1, w2)
	want := cosignatureLines(t, src)
	if len(want) != 2 || len(want[cosigned[0]]) != 2 || len(want[cosigned[1]]) != 1+17 {
		t.Fatalf("the source's cosignatures: %d checkpoints cosigned (%d, %d lines), want 2 (2 and 18 lines)",
			len(want), len(want[cosigned[0]]), len(want[cosigned[1]]))
	}
	nCheckpoints := uint64(len(checkpointSizes(t, src)))
	if nCheckpoints != 4 {
		t.Fatalf("the source has %d checkpoints, want 4 (init and three grants)", nCheckpoints)
	}

	srv := esdbtest.Start(t, esdbtest.Options{})
	mid, err := esdb.Open(ctx, srv.URL(), esdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer mid.Close()
	dst, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "copy.db"), sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()

	policy := integrity.WitnessPolicy{Witnesses: []*integrity.WitnessKey{witnessKey(t, w1), witnessKey(t, w2)}}
	for _, hop := range []struct {
		name     string
		from, to eventstore.Store
	}{
		{"SQLite → EventStoreDB", src, mid},
		{"EventStoreDB → SQLite", mid, dst},
	} {
		rep, err := ledger.Migrate(ctx, hop.from, hop.to, ledger.MigrateOptions{Batch: 2})
		if err != nil {
			t.Fatalf("%s: %v", hop.name, err)
		}
		if rep.Checkpoints != nCheckpoints || rep.Cosignatures != 2+18 {
			t.Errorf("%s copied %d checkpoints and %d cosignatures, want %d and 20", hop.name, rep.Checkpoints, rep.Cosignatures, nCheckpoints)
		}
		if diff := cmp.Diff(want, cosignatureLines(t, hop.to)); diff != "" {
			t.Errorf("%s: cosignature lines by checkpoint (-source +copy):\n%s", hop.name, diff)
		}
		cp, err := hop.to.(eventstore.CheckpointStore).LatestCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := ledger.Cosignatures(ctx, hop.to, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := policy.Check(cp.Note, lines, time.Now()); err != nil {
			t.Errorf("%s: the copy's newest checkpoint does not verify against both witnesses: %v", hop.name, err)
		}
		// Again: everything is there, nothing is copied twice.
		if rep, err := ledger.Migrate(ctx, hop.from, hop.to, ledger.MigrateOptions{}); err != nil || rep.Checkpoints != 0 || rep.Cosignatures != 0 {
			t.Errorf("%s again: %d checkpoints and %d cosignatures copied (%v), want none", hop.name, rep.Checkpoints, rep.Cosignatures, err)
		}
	}

	// A witness refreshes the source's newest checkpoint: the next run
	// copies that line alone, to the end of the checkpoint's lines.
	cp, err := src.LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	refresh := w1.CosignNote(cp.Note, time.Now())
	saveLines(t, src, cp.Size, refresh)
	rep, err := ledger.Migrate(ctx, src, mid, ledger.MigrateOptions{})
	if err != nil || rep.Cosignatures != 1 {
		t.Fatalf("migrate after a refresh: %d cosignatures copied (%v), want 1", rep.Cosignatures, err)
	}
	got := cosignatureLines(t, mid)[cp.Size]
	if len(got) != 1+17+1 || got[len(got)-1] != string(refresh) {
		t.Errorf("after the refresh the copy's newest checkpoint has %d lines, the last %q; want 19, the refresh last", len(got), got[len(got)-1])
	}
}

// TestMigrateResumesCosignatures: a run interrupted after saving a
// checkpoint in the target but before its cosignatures leaves that
// checkpoint the target's newest; the next run copies its cosignatures,
// then the rest.
func TestMigrateResumesCosignatures(t *testing.T) {
	ctx := t.Context()
	w1, w2 := testsupport.NewCosigner(t, "witness.test/w1"), testsupport.NewCosigner(t, "witness.test/w2")
	src, cosigned := cosignedSource(t, w1, w2)
	dst, err := sqlite.Open(ctx, sqlite.Memory, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()

	// What an interrupted run leaves: the records up to the first
	// cosigned checkpoint, its checkpoints, one of its two cosignatures.
	recs, err := src.ReadAll(ctx, 0, int(cosigned[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.Import(ctx, recs); err != nil {
		t.Fatal(err)
	}
	var saved uint64
	for cp, err := range eventstore.Checkpoints(ctx, src, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if cp.Size > cosigned[0] {
			break
		}
		if _, err := dst.SaveCheckpoint(ctx, cp); err != nil {
			t.Fatal(err)
		}
		saved++
	}
	want := cosignatureLines(t, src)
	saveLines(t, dst, cosigned[0], []byte(want[cosigned[0]][0]))

	rep, err := ledger.Migrate(ctx, src, dst, ledger.MigrateOptions{})
	if err != nil {
		t.Fatalf("resumed migrate: %v", err)
	}
	if rep.Checkpoints != 4-saved || rep.Cosignatures != 1+18 {
		t.Errorf("resumed migrate copied %d checkpoints and %d cosignatures, want %d and 19 (the missing one, then the newest's 18)", rep.Checkpoints, rep.Cosignatures, 4-saved)
	}
	if diff := cmp.Diff(want, cosignatureLines(t, dst)); diff != "" {
		t.Errorf("cosignature lines by checkpoint (-source +copy):\n%s", diff)
	}
}

func witnessKey(t *testing.T, c *testsupport.Cosigner) *integrity.WitnessKey {
	t.Helper()
	k, err := integrity.ParseWitnessKey(c.VKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
