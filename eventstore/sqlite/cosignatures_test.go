package sqlite_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/eventstore/storetest"
)

func TestCosignatureStore(t *testing.T) {
	storetest.RunCosignatures(t, newFileStore)
}

func TestCosignatureStoreMemory(t *testing.T) {
	storetest.RunCosignatures(t, newMemoryStore)
}

// cosignature is a well-formed cosignature line of witness name.
func cosignature(name string) []byte {
	return []byte("— " + name + " c2lnbmF0dXJl\n")
}

// TestCosignaturesAppendOnly: like checkpoints, stored cosignatures cannot
// be changed or removed without dropping the triggers first, nor added for
// a checkpoint that is not stored; Audit names a dropped trigger.
func TestCosignaturesAppendOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openFile(t, path)
	mustAppend(t, s, "incident-1", eventstore.NoStream, record(t, "A"))
	cp := eventstore.Checkpoint{Size: 1, Root: []byte{1}, Note: []byte("n"), Leaves: [][]byte{[]byte("leaf")}}
	if _, err := s.SaveCheckpoint(t.Context(), cp); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCosignatures(t.Context(), 1, [][]byte{cosignature("w")}); err != nil {
		t.Fatal(err)
	}
	db := openRaw(t, path)
	for _, tt := range []struct{ stmt, refusal string }{
		{`UPDATE cosignatures SET line = X'02'`, "append-only"},
		{`DELETE FROM cosignatures`, "append-only"},
		{`INSERT OR REPLACE INTO cosignatures (id, size, line, saved_at) VALUES (1, 1, X'02', 0)`, "append-only"},
		{`INSERT INTO cosignatures (size, line, saved_at) VALUES (2, X'02', 0)`, "stored checkpoint"},
	} {
		if _, err := db.Exec(tt.stmt); err == nil || !strings.Contains(err.Error(), tt.refusal) {
			t.Errorf("%s: %v, want refused (%s)", tt.stmt, err, tt.refusal)
		}
	}
	if got, err := s.ReadCosignatures(t.Context(), 1); err != nil || len(got) != 1 || !bytes.Equal(got[0].Line, cosignature("w")) {
		t.Errorf("after the refused statements, ReadCosignatures(1) = %+v, %v; want the line saved", got, err)
	}
	if findings, err := s.Audit(t.Context(), eventstore.AuditOptions{}); err != nil || len(findings) != 0 {
		t.Errorf("Audit = %+v, %v; want no findings", findings, err)
	}
	if _, err := db.Exec(`DROP TRIGGER cosignatures_no_delete`); err != nil {
		t.Fatal(err)
	}
	findings, err := s.Audit(t.Context(), eventstore.AuditOptions{})
	if err != nil || len(findings) != 1 || !strings.Contains(findings[0].Detail, "cosignatures_no_delete") {
		t.Errorf("Audit after the trigger was dropped = %+v, %v; want one finding naming it", findings, err)
	}
}

// makeV3Ledger writes at path a ledger as the build before cosignatures
// made it (schema version 3): one event and a checkpoint of size 1.
func makeV3Ledger(t *testing.T, path string) {
	t.Helper()
	db := openRaw(t, path)
	if _, err := db.Exec(sqlite.SchemaOf(3) + `;
		PRAGMA application_id = 1112294471; PRAGMA user_version = 3;
		INSERT INTO events (seq, event_id, stream, revision, type, occurred_at, actor, payload, recorded_at, basis)
		VALUES (0, X'0192a0000000700080000000000000aa', 'ledger', 0, 'LedgerInitialized', 1, 'alice', X'7b7d', 1000, 0);
		INSERT INTO checkpoints (size, root, note, range_hashes, leaves_from, saved_at) VALUES (1, X'01', X'6e', X'00', 0, 2000);
		INSERT INTO checkpoint_leaves (seq, leaf) VALUES (0, X'6c')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if v := userVersion(t, path); v != 3 {
		t.Fatalf("made a ledger of schema version %d, want 3", v)
	}
}

// TestMigrateToCosignatures: a writer opening a ledger of schema version 3
// adds the cosignatures table (version 4), changes no row, and ends with
// the schema of a ledger created now; cosignatures can then be kept.
func TestMigrateToCosignatures(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "old.db")
	makeV3Ledger(t, path)
	before := dumpFile(t, path)

	s := openFile(t, path)
	if v := userVersion(t, path); v != 4 {
		t.Errorf("schema version after Open = %d, want 4", v)
	}
	if diff := cmp.Diff(rows(before), rows(dumpFile(t, path))); diff != "" {
		t.Errorf("rows after the migration (-before +after):\n%s", diff)
	}
	fresh := filepath.Join(dir, "fresh.db")
	openFile(t, fresh)
	if diff := cmp.Diff(schema(t, fresh), schema(t, path)); diff != "" {
		t.Errorf("schema (-created +migrated):\n%s", diff)
	}
	if findings, err := s.Audit(t.Context(), eventstore.AuditOptions{}); err != nil || len(findings) != 0 {
		t.Errorf("Audit after the migration = %+v, %v; want no findings", findings, err)
	}
	if got, err := s.ReadCosignatures(t.Context(), 1); err != nil || len(got) != 0 {
		t.Errorf("ReadCosignatures(1) after the migration = %+v, %v; want none", got, err)
	}
	if err := s.SaveCosignatures(t.Context(), 1, [][]byte{cosignature("w")}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReadCosignatures(t.Context(), 1); err != nil || len(got) != 1 {
		t.Errorf("ReadCosignatures(1) = %+v, %v; want the one saved", got, err)
	}
}

// TestReadOnlyBeforeCosignatures: a reader (Options.ReadOnly) of a ledger
// of schema version 3, or of the version-2 fixture, finds no cosignatures
// and no audit finding, is refused saving one, and changes nothing.
func TestReadOnlyBeforeCosignatures(t *testing.T) {
	v3 := filepath.Join(t.TempDir(), "old.db")
	makeV3Ledger(t, v3)
	for _, path := range []string{v3, copyFixture(t)} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			dir := filepath.Dir(path)
			before := snapshotDir(t, dir)
			version := userVersion(t, path)
			s, err := openReader(t, path)
			if err != nil {
				t.Fatalf("Open(ReadOnly) of a ledger of version %d: %v", version, err)
			}
			latest, err := s.LatestCheckpoint(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.ReadCosignatures(t.Context(), latest.Size); err != nil || len(got) != 0 {
				t.Errorf("ReadCosignatures(%d) = %+v, %v; want none, no error", latest.Size, got, err)
			}
			err = s.SaveCosignatures(t.Context(), latest.Size, [][]byte{cosignature("w")})
			if err == nil || !sqlite.ReadOnly(err) {
				t.Errorf("SaveCosignatures on a reader = %v, want refused as read-only", err)
			}
			if findings, err := s.Audit(t.Context(), eventstore.AuditOptions{}); err != nil || len(findings) != 0 {
				t.Errorf("Audit = %+v, %v; want no findings", findings, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			checkUntouched(t, dir, before)
			if v := userVersion(t, path); v != version {
				t.Errorf("schema version after reading = %d, want %d as before", v, version)
			}
		})
	}
}

// TestWriterOnReadOnlyV3Ledger: a writer's Open of a ledger of version 3
// that cannot be written opens it as it is (as it opened before this
// version): no cosignatures, no audit finding, and saving one is refused
// saying what to do. Made writable, the next Open upgrades it.
func TestWriterOnReadOnlyV3Ledger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	makeV3Ledger(t, path)
	before := dumpFile(t, path)
	writable := readOnly(t, path)

	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open(a read-only ledger of version 3): %v", err)
	}
	if got, err := s.ReadCosignatures(t.Context(), 1); err != nil || len(got) != 0 {
		t.Errorf("ReadCosignatures(1) = %+v, %v; want none, no error", got, err)
	}
	err = s.SaveCosignatures(t.Context(), 1, [][]byte{cosignature("w")})
	if err == nil || !sqlite.ReadOnly(err) || !strings.Contains(err.Error(), "schema version 3") || !strings.Contains(err.Error(), "open it once where it can be written") {
		t.Errorf("SaveCosignatures = %v, want refused as read-only and of schema version 3, saying what to do", err)
	}
	if findings, err := s.Audit(t.Context(), eventstore.AuditOptions{}); err != nil || len(findings) != 0 {
		t.Errorf("Audit = %+v, %v; want no findings", findings, err)
	}
	if recs, err := s.ReadAll(t.Context(), 0, 0); err != nil || len(recs) != 1 {
		t.Errorf("ReadAll = %d events, %v; want 1", len(recs), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if after := dumpFile(t, path); after != before {
		t.Errorf("the read-only ledger changed:\n%s", cmp.Diff(before, after))
	}

	if err := writable(); err != nil {
		t.Fatal(err)
	}
	s = openFile(t, path)
	if v := userVersion(t, path); v != 4 {
		t.Errorf("schema version once writable = %d, want 4", v)
	}
	if err := s.SaveCosignatures(t.Context(), 1, [][]byte{cosignature("w")}); err != nil {
		t.Errorf("SaveCosignatures once upgraded: %v", err)
	}
}

// TestLiveReaderSeesUpgrade: a live reader opened on a ledger of version 3
// finds the cosignatures a writer keeps after upgrading it meanwhile.
func TestLiveReaderSeesUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	makeV3Ledger(t, path)
	r, err := sqlite.Open(t.Context(), path, sqlite.Options{ReadOnly: true, Live: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, err := r.ReadCosignatures(t.Context(), 1); err != nil || len(got) != 0 {
		t.Fatalf("ReadCosignatures(1) before the upgrade = %+v, %v; want none", got, err)
	}
	w := openFile(t, path)
	if err := w.SaveCosignatures(t.Context(), 1, [][]byte{cosignature("w")}); err != nil {
		t.Fatal(err)
	}
	if got, err := r.ReadCosignatures(t.Context(), 1); err != nil || len(got) != 1 || !bytes.Equal(got[0].Line, cosignature("w")) {
		t.Errorf("ReadCosignatures(1) after the upgrade = %+v, %v; want the line the writer saved", got, err)
	}
}

// TestBackupKeepsCosignatures: a backup holds the cosignatures beside
// their checkpoints, and the dump lists them in the order saved.
func TestBackupKeepsCosignatures(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "ledger.db")
	s := openFile(t, src)
	mustAppend(t, s, "incident-1", eventstore.NoStream, record(t, "A"), record(t, "B"))
	for size := uint64(1); size <= 2; size++ {
		cp := eventstore.Checkpoint{Size: size, Root: []byte{byte(size)}, Note: []byte("n"), Leaves: [][]byte{[]byte(fmt.Sprint("leaf ", size-1))}}
		if _, err := s.SaveCheckpoint(t.Context(), cp); err != nil {
			t.Fatal(err)
		}
	}
	var want []eventstore.Cosignature
	for i, size := range []uint64{1, 2, 1} {
		line := cosignature(fmt.Sprintf("w%d", i))
		if err := s.SaveCosignatures(t.Context(), size, [][]byte{line}); err != nil {
			t.Fatal(err)
		}
		if size == 1 {
			want = append(want, eventstore.Cosignature{Size: 1, Line: line})
		}
	}
	if n := strings.Count(dump(t, s), `INSERT INTO "cosignatures"`); n != 3 {
		t.Errorf("the dump has %d cosignatures rows, want 3", n)
	}
	dst := filepath.Join(dir, "copy.db")
	if err := sqlite.Backup(t.Context(), src, dst); err != nil {
		t.Fatal(err)
	}
	c, err := openReader(t, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	orig, err := s.ReadCosignatures(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadCosignatures(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(orig, got); diff != "" {
		t.Errorf("the copy's cosignatures of checkpoint 1 (-ledger +copy):\n%s", diff)
	}
	for i := range want {
		if i < len(got) {
			want[i].SavedAt = got[i].SavedAt
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the copy's cosignatures of checkpoint 1 (-saved +copy):\n%s", diff)
	}
}
