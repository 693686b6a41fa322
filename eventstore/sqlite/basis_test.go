package sqlite_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/testsupport"
)

// legacyFixture is a ledger made before bases were recorded (schema
// version 2), with checkpoints over every event and one signed event.
const legacyFixture = "../../testdata/legacy/before-signed-mode"

// copyFixture copies the fixture's ledger file to a temporary directory:
// the fixture itself is never opened.
func copyFixture(t *testing.T) string {
	t.Helper()
	src, err := os.Open(filepath.Join(legacyFixture, "ledger.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), "ledger.sqlite")
	dst, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func userVersion(t *testing.T, path string) int {
	t.Helper()
	db := openRaw(t, path)
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return v
}

func dumpFile(t *testing.T, path string) string {
	t.Helper()
	var b strings.Builder
	if err := sqlite.DumpFile(t.Context(), path, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestMigrateToBasis opens a copy of the ledger made before bases were
// recorded: the schema moves to version 4 (3: the basis, 4: the
// cosignatures table, empty), every event reads back with no
// basis and otherwise as it was, so its leaves still give the root its
// checkpoint signed, its leaf copies and its one signature still match,
// and the append-only triggers stand unaltered (also over the new
// column). Events appended afterwards keep their basis.
func TestMigrateToBasis(t *testing.T) {
	path := copyFixture(t)
	if v := userVersion(t, path); v != 2 {
		t.Fatalf("the fixture's schema version is %d, want 2 (before bases)", v)
	}
	before := dumpFile(t, path)

	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open(the fixture) error = %v", err)
	}
	defer s.Close()
	if v := userVersion(t, path); v != 4 {
		t.Errorf("schema version after Open = %d, want 4", v)
	}

	// Each events row is as it was, with basis 0 added; every other row
	// (checkpoints, leaf copies) is unchanged.
	after := dumpFile(t, path)
	wantRows := rows(before)
	events := 0
	for i, r := range wantRows {
		if strings.HasPrefix(r, `INSERT INTO "events"`) {
			wantRows[i] = strings.TrimSuffix(r, ");") + ", 0);"
			events++
		}
	}
	if events != 37 {
		t.Errorf("the fixture's dump has %d events rows, want 37", events)
	}
	if diff := cmp.Diff(wantRows, rows(after)); diff != "" {
		t.Errorf("rows after the migration (-want +got):\n%s", diff)
	}

	checkFixtureIntact(t, s)

	// The triggers: as a fresh ledger's (Audit compares them), and still
	// refusing changes, to the new column too.
	if findings, err := s.Audit(t.Context(), eventstore.AuditOptions{}); err != nil || len(findings) != 0 {
		t.Errorf("Audit after the migration = %+v, %v; want no findings", findings, err)
	}
	db := openRaw(t, path)
	for _, stmt := range []string{
		`UPDATE events SET basis = 5 WHERE seq = 36`,
		`DELETE FROM events WHERE seq = 36`,
	} {
		if _, err := db.Exec(stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", stmt, err)
		}
	}
	if _, err := db.Exec(`INSERT INTO events (seq, event_id, stream, revision, type, occurred_at, actor, payload, recorded_at, basis)
		VALUES (37, X'0192a0000000700080000000000000bb', 'x', 0, 'T', 1, 'a', X'', 1, -1)`); err == nil || !strings.Contains(err.Error(), "CHECK") {
		t.Errorf("INSERT of basis -1: %v, want a CHECK constraint failure", err)
	}
	db.Close()

	// An append after the migration keeps its basis, also once reopened.
	r := record(t, "NoteAdded")
	r.Basis = 36
	mustAppend(t, s, "incident-new", eventstore.NoStream, r)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	defer s2.Close()
	got, err := s2.ReadAll(t.Context(), 37, 0)
	if err != nil || len(got) != 1 || got[0].Basis != 36 {
		t.Errorf("the event appended after the migration reads back as %+v, %v; want basis 36", got, err)
	}
}

// checkFixtureIntact checks that s, the fixture's ledger, reads as it was
// written: 37 events, none with a basis, whose leaves give the root its
// newest checkpoint signed and equal the leaf copies its checkpoints
// keep, and whose one signed event still verifies.
func checkFixtureIntact(t *testing.T, s *sqlite.Store) {
	t.Helper()
	recs, err := s.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 37 {
		t.Fatalf("the fixture reads as %d events, want 37", len(recs))
	}
	leaves := &integrity.Leaves{}
	for _, r := range recs {
		if r.Basis != 0 {
			t.Errorf("event %d has basis %d, want none", r.Sequence, r.Basis)
		}
		leaves.Append(integrity.LeafOf(r).Hash())
	}

	// The newest checkpoint, opened with the fixture's ledger key, has the
	// root of the leaves as read now.
	vkey, err := os.ReadFile(filepath.Join(legacyFixture, "ledger.key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := integrity.ParsePublicKey(strings.TrimSpace(string(vkey)))
	if err != nil {
		t.Fatal(err)
	}
	latest, err := s.LatestCheckpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cp, err := key.Open(latest.Note)
	if err != nil {
		t.Fatal(err)
	}
	root, err := leaves.Root(cp.Size)
	if err != nil || cp.Size != 37 || !bytes.Equal(root, cp.Root) {
		t.Errorf("the leaves read after the migration give root %x (%v); the checkpoint of %d signed %x", root, err, cp.Size, cp.Root)
	}
	cps, err := s.ReadCheckpoints(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	copies := 0
	for _, c := range cps {
		copies += len(c.Leaves)
		for i, leaf := range c.Leaves {
			seq := c.LeavesFrom + uint64(i)
			if got := integrity.LeafOf(recs[seq]).Marshal(); !bytes.Equal(got, leaf) {
				t.Errorf("event %d encodes as %x, its leaf copy is %x", seq, got, leaf)
			}
		}
	}
	if copies != 37 {
		t.Errorf("the checkpoints keep %d leaf copies, want 37 (one per event)", copies)
	}

	// Seq 36 is signed by ivy: the signature still verifies.
	pubText, err := os.ReadFile(filepath.Join(legacyFixture, "ivy.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pub, fp, err := integrity.ParseSignerKey(string(pubText))
	if err != nil {
		t.Fatal(err)
	}
	signed := recs[36]
	if signed.Signer != fp || integrity.VerifyEnvelope(integrity.EnvelopeOf(signed).Marshal(), signed.Signature, pub) != nil {
		t.Errorf("the signed event (signer %s, want %s) no longer verifies", signed.Signer, fp)
	}
}

// TestNewLedgerSchemaIsMigratedSchema: a ledger created now and one
// migrated from version 2 have the same schema, so one Audit judges both.
func TestNewLedgerSchemaIsMigratedSchema(t *testing.T) {
	migrated := copyFixture(t)
	s, err := sqlite.Open(t.Context(), migrated, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	fresh := filepath.Join(t.TempDir(), "fresh.db")
	s, err = sqlite.Open(t.Context(), fresh, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if diff := cmp.Diff(schema(t, fresh), schema(t, migrated)); diff != "" {
		t.Errorf("schema (-created +migrated):\n%s", diff)
	}
}

// rows returns the INSERT lines of a dump.
func rows(dump string) []string {
	var out []string
	for _, l := range strings.Split(dump, "\n") {
		if strings.HasPrefix(l, "INSERT INTO ") {
			out = append(out, l)
		}
	}
	return out
}

// schema returns every entry of sqlite_schema of the file at path.
func schema(t *testing.T, path string) []string {
	t.Helper()
	db := openRaw(t, path)
	defer db.Close()
	rs, err := db.Query(`SELECT type, name, coalesce(sql, '') FROM sqlite_schema ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var typ, name, text string
		if err := rs.Scan(&typ, &name, &text); err != nil {
			t.Fatal(err)
		}
		out = append(out, typ+" "+name+": "+text)
	}
	return out
}

// readOnly makes the ledger file at path read-only for this process (for
// root, which file modes do not stop, with the immutable attribute), or
// skips the test where it cannot. It returns what makes the file writable
// again, which also runs when the test ends.
func readOnly(t *testing.T, path string) (writable func() error) {
	t.Helper()
	if os.Geteuid() != 0 {
		dir := filepath.Dir(path)
		if err := os.Chmod(path, 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		writable = func() error { return errors.Join(os.Chmod(dir, 0o755), os.Chmod(path, 0o600)) }
	} else {
		if err := testsupport.SetImmutable(path, true); err != nil {
			t.Skipf("cannot make the ledger file immutable as root here (%v), and modes do not stop root", err)
		}
		writable = func() error { return testsupport.SetImmutable(path, false) }
	}
	t.Cleanup(func() { writable() })
	return writable
}

// TestReadOnlyLegacyLedger: a ledger of schema version 2 that cannot be
// written (an auditor's read-only copy) still opens, and reads as it was
// written, without being upgraded; writes are refused saying why and
// what to do, and change nothing. Made writable, it is upgraded.
func TestReadOnlyLegacyLedger(t *testing.T) {
	path := copyFixture(t)
	before := dumpFile(t, path)
	writable := readOnly(t, path)

	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open(a read-only ledger of version 2) error = %v", err)
	}
	checkFixtureIntact(t, s)
	if findings, err := s.Audit(t.Context(), eventstore.AuditOptions{}); err != nil || len(findings) != 0 {
		t.Errorf("Audit = %+v, %v; want no findings", findings, err)
	}
	r := record(t, "NoteAdded")
	r.Basis = 37
	_, err1 := s.Append(t.Context(), "incident-new", eventstore.NoStream, []eventstore.Record{r})
	_, err2 := s.AppendIf(t.Context(), "incident-new", eventstore.NoStream, []eventstore.Record{r}, eventstore.Condition{Stream: "ledger", Expected: eventstore.Any})
	_, _, err3 := s.AppendCheckpointed(t.Context(), "incident-new", eventstore.NoStream, []eventstore.Record{r},
		func(*eventstore.Checkpoint, []eventstore.Record) (eventstore.Checkpoint, error) {
			t.Error("sign called on a read-only ledger")
			return eventstore.Checkpoint{}, errors.New("no")
		})
	imported := r
	imported.Stream, imported.Sequence, imported.RecordedAt = "incident-new", 37, t0
	err4 := s.Import(t.Context(), []eventstore.Record{imported})
	for i, err := range []error{err1, err2, err3, err4} {
		if err == nil || !strings.Contains(err.Error(), "read-only, and of schema version 2") || !strings.Contains(err.Error(), "open it once where it can be written") {
			t.Errorf("write %d on the read-only ledger of version 2: %v, want refused as read-only, saying what to do", i+1, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if after := dumpFile(t, path); after != before {
		t.Errorf("the read-only ledger changed:\n%s", cmp.Diff(before, after))
	}

	// Writable again: the next Open upgrades it.
	if err := writable(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v := userVersion(t, path); v != 4 {
		t.Errorf("schema version once writable = %d, want 4", v)
	}
	checkFixtureIntact(t, s)
}
