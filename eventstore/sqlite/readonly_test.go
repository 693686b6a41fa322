package sqlite_test

import (
	"bytes"
	"database/sql"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// snapshotDir returns every file of dir with its bytes: what a reader must
// leave exactly as it was.
func snapshotDir(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for _, name := range listDir(tb, dir) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		out[name] = string(b)
	}
	return out
}

func checkUntouched(tb testing.TB, dir string, before map[string]string) {
	tb.Helper()
	after := snapshotDir(tb, dir)
	if !cmp.Equal(keys(after), keys(before)) {
		tb.Errorf("files in %s: %q, want %q as before", dir, keys(after), keys(before))
	}
	for name, b := range before {
		if a, ok := after[name]; ok && a != b {
			tb.Errorf("%s changed (%d bytes, was %d)", name, len(a), len(b))
		}
	}
}

func keys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

func openReader(tb testing.TB, path string) (*sqlite.Store, error) {
	tb.Helper()
	return sqlite.Open(tb.Context(), path, sqlite.Options{ReadOnly: true})
}

func head(tb testing.TB, s *sqlite.Store) uint64 {
	tb.Helper()
	n, err := s.Head(tb.Context())
	if err != nil {
		tb.Fatalf("Head() error = %v", err)
	}
	return n
}

// appendN appends n events to stream, one append each.
func appendN(tb testing.TB, s *sqlite.Store, stream string, n int) {
	tb.Helper()
	for i := 0; i < n; i++ {
		mustAppend(tb, s, stream, eventstore.Any, record(tb, "NoteAdded"))
	}
}

func copyTo(tb testing.TB, from, to string) {
	tb.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// TestReadOnlyQuiet: a ledger no one has open (no -wal) is read whole,
// and neither it nor its directory changes: no -wal or -shm is created.
func TestReadOnlyQuiet(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	w, err := sqlite.Open(t.Context(), path, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, w, "incident-1", 7)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	before := snapshotDir(t, dir)
	if len(before) != 1 {
		t.Fatalf("beside a closed ledger: %q, want the file alone", keys(before))
	}
	s, err := openReader(t, path)
	if err != nil {
		t.Fatalf("Open(ReadOnly) error = %v", err)
	}
	if n := head(t, s); n != 7 {
		t.Errorf("Head() = %d, want the 7 appended", n)
	}
	if _, err := s.Append(t.Context(), "incident-1", eventstore.Any, []eventstore.Record{record(t, "NoteAdded")}); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Append on a reader: %v, want refused as read-only", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}
	checkUntouched(t, dir, before)
}

// TestReadOnlyCommittedInWAL: with committed events still in the -wal
// (their writer has the ledger open), a reader sees every one of them:
// through the -wal and -shm when both are there, else from a private copy
// (never with immutable=1 alone, which would miss them without a word),
// and with no place for a copy it refuses, naming the -wal. Nothing beside
// the ledger changes, and the copy is gone after Close.
func TestReadOnlyCommittedInWAL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	// The last writer to close checkpoints the -wal into the file: the
	// first 3 events are in the file, the next 4 only in the -wal of the
	// writer that stays open.
	first, err := sqlite.Open(t.Context(), path, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, first, "incident-1", 3)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	w := openFile(t, path)
	appendN(t, w, "incident-1", 4)
	wal, err := os.Stat(path + "-wal")
	if err != nil || wal.Size() == 0 {
		t.Fatalf("the -wal of a ledger with a writer: %v, %v; want committed frames in it", wal, err)
	}

	t.Run("in place", func(t *testing.T) {
		before := snapshotDir(t, dir)
		s, err := openReader(t, path)
		if err != nil {
			t.Fatal(err)
		}
		if n := head(t, s); n != 7 {
			t.Errorf("Head() = %d, want 7", n)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if got := listDir(t, dir); !cmp.Equal(got, keys(before)) {
			t.Errorf("beside the ledger: %q, want %q", got, keys(before))
		}
	})

	// The file and its -wal without a -shm (a copy, or what a read-only
	// directory holds when no one has it open).
	copied := t.TempDir()
	cpath := filepath.Join(copied, "ledger.db")
	copyTo(t, path, cpath)
	copyTo(t, path+"-wal", cpath+"-wal")
	immutable, err := sql.Open("sqlite", "file:"+cpath+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	var inFile int
	if err := immutable.QueryRow(`SELECT count(*) FROM events`).Scan(&inFile); err != nil {
		t.Fatal(err)
	}
	immutable.Close()
	if inFile >= 7 {
		t.Fatalf("the file alone holds %d events: the test needs some only in the -wal", inFile)
	}

	t.Run("private copy", func(t *testing.T) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		before := snapshotDir(t, copied)
		s, err := openReader(t, cpath)
		if err != nil {
			t.Fatalf("Open(ReadOnly) error = %v", err)
		}
		if n := head(t, s); n != 7 {
			t.Errorf("Head() = %d, want 7 (the file alone has %d)", n, inFile)
		}
		if got := listDir(t, tmp); len(got) != 1 {
			t.Errorf("temporary directory while reading: %q, want one private copy", got)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if got := listDir(t, tmp); len(got) != 0 {
			t.Errorf("temporary directory after Close: %q, want it empty", got)
		}
		checkUntouched(t, copied, before)
	})

	t.Run("no place for a copy", func(t *testing.T) {
		t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
		before := snapshotDir(t, copied)
		s, err := openReader(t, cpath)
		if err == nil {
			s.Close()
			t.Fatal("Open(ReadOnly) succeeded with no place for a private copy")
		}
		if !strings.Contains(err.Error(), cpath+"-wal holds") || !strings.Contains(err.Error(), "no private copy could be made") {
			t.Errorf("error = %v, want it to name the -wal and say no copy could be made", err)
		}
		checkUntouched(t, copied, before)
	})
}

// TestReadOnlyWriterMeanwhile: a reader of a file with no -wal reads it
// as immutable, without SQLite's locks; a writer that appends and closes
// meanwhile leaves the file as it was (the reader's own SHARED lock keeps
// it from checkpointing into it, on Linux), so the next reader finds the
// event in the -wal. Close reports a file that changed anyway.
func TestReadOnlyWriterMeanwhile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	w, err := sqlite.Open(t.Context(), path, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, w, "incident-1", 2)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := openReader(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if n := head(t, s); n != 2 {
		t.Errorf("Head() = %d, want 2", n)
	}
	w, err = sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, w, "incident-1", 1)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		if runtime.GOOS == "linux" {
			t.Errorf("Close() error = %v, want none: the writer must not have checkpointed under the reader", err)
		} else if !strings.Contains(err.Error(), "changed while it was read") {
			t.Errorf("Close() error = %v, want the change reported", err)
		}
	}
	s, err = openReader(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if n := head(t, s); n != 3 {
		t.Errorf("Head() of the next reader = %d, want 3", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A change to the file however made is reported.
	w, err = sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil { // the last connection: checkpoints, removes the -wal
		t.Fatal(err)
	}
	s, err = openReader(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, time.Time{}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "changed while it was read") {
		t.Errorf("Close() error = %v, want the change reported", err)
	}
}

// TestReadOnlyLegacy: a ledger of the schema before bases is read as it
// is, never upgraded, even where it could be written.
func TestReadOnlyLegacy(t *testing.T) {
	path := copyFixture(t)
	before := snapshotDir(t, filepath.Dir(path))
	s, err := openReader(t, path)
	if err != nil {
		t.Fatalf("Open(ReadOnly, version 2) error = %v", err)
	}
	checkFixtureIntact(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkUntouched(t, filepath.Dir(path), before)
	if v := userVersion(t, path); v != 2 {
		t.Errorf("schema version after a reader = %d, want 2 (not upgraded)", v)
	}
}

// TestNotALedgerUntouched: a file that is not a ledger is refused, by
// readers and writers alike, and left byte for byte as it was (the
// writer's connection used to switch another application's database to
// WAL, and turn an empty file into a database).
func TestNotALedgerUntouched(t *testing.T) {
	dir := t.TempDir()
	file := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := file("empty.db", nil)
	text := file("notes.txt", []byte("this is not a ledger\n"))
	short := file("short.db", []byte("SQLite format 3\x00"))
	foreign := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", foreign) // the driver's defaults: a rollback journal
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	tagged := filepath.Join(dir, "tagged.db")
	db, err = sql.Open("sqlite", tagged)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA application_id = 1234; CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := os.ReadFile(foreign)
	if err != nil || raw[18] != 1 {
		t.Fatalf("the foreign database is not in rollback mode (%v)", err)
	}
	before := snapshotDir(t, dir)

	tests := []struct {
		path string
		opts sqlite.Options
		want error
	}{
		{empty, sqlite.Options{ReadOnly: true}, eventstore.ErrNoLedger},
		{empty, sqlite.Options{}, eventstore.ErrNoLedger},
		{text, sqlite.Options{ReadOnly: true}, eventstore.ErrNotLedger},
		{text, sqlite.Options{Create: true}, eventstore.ErrNotLedger},
		{short, sqlite.Options{ReadOnly: true}, eventstore.ErrNotLedger},
		{foreign, sqlite.Options{ReadOnly: true}, eventstore.ErrNotLedger},
		{foreign, sqlite.Options{}, eventstore.ErrNotLedger},
		{foreign, sqlite.Options{Create: true}, eventstore.ErrNotLedger},
		{tagged, sqlite.Options{ReadOnly: true}, eventstore.ErrNotLedger},
		{tagged, sqlite.Options{Create: true}, eventstore.ErrNotLedger},
		{filepath.Join(dir, "missing.db"), sqlite.Options{ReadOnly: true}, eventstore.ErrNoLedger},
	}
	for _, tt := range tests {
		s, err := sqlite.Open(t.Context(), tt.path, tt.opts)
		if err == nil {
			s.Close()
			t.Errorf("Open(%s, %+v) succeeded, want %v", filepath.Base(tt.path), tt.opts, tt.want)
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("Open(%s, %+v) error = %v, want %v", filepath.Base(tt.path), tt.opts, err, tt.want)
		}
		if tt.want == eventstore.ErrNotLedger && errors.Is(err, eventstore.ErrNoLedger) {
			t.Errorf("Open(%s, %+v) error = %v is ErrNoLedger: init there would be refused", filepath.Base(tt.path), tt.opts, err)
		}
	}
	checkUntouched(t, dir, before)
	if raw, _ := os.ReadFile(foreign); !bytes.Equal(raw, []byte(before["other.db"])) {
		t.Error("the foreign database changed")
	}
}
