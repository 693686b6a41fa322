package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	modernc "modernc.org/sqlite"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/eventstore/storetest"
)

var t0 = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)

func TestStoreFile(t *testing.T) {
	storetest.Run(t, newFileStore)
}

func TestStoreMemory(t *testing.T) {
	storetest.Run(t, newMemoryStore)
}

// newFileStore is the storetest.Factory of a ledger file in a temporary
// directory.
func newFileStore(t *testing.T) eventstore.Store {
	return openFile(t, filepath.Join(t.TempDir(), "ledger.db"))
}

// newMemoryStore is the storetest.Factory of a private in-memory ledger.
func newMemoryStore(t *testing.T) eventstore.Store {
	s, err := sqlite.Open(t.Context(), sqlite.Memory, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openFile opens (creating) the ledger at path and closes it at cleanup.
func openFile(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{Create: true})
	if err != nil {
		tb.Fatalf("Open(%s) error = %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close() error = %v", err)
		}
	})
	return s
}

// openRaw opens path with database/sql directly, bypassing the store.
func openRaw(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	name, err := sqlite.DSN(path)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func record(tb testing.TB, typ string) eventstore.Record {
	tb.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		tb.Fatal(err)
	}
	return eventstore.Record{ID: id, Type: typ, OccurredAt: t0, Actor: "alice", Payload: []byte(`{}`)}
}

func dump(tb testing.TB, s *sqlite.Store) string {
	tb.Helper()
	var b strings.Builder
	if err := s.Dump(context.Background(), &b); err != nil {
		tb.Fatalf("Dump() error = %v", err)
	}
	return b.String()
}

func mustAppend(tb testing.TB, s eventstore.Store, stream string, expected eventstore.Expected, recs ...eventstore.Record) []eventstore.Record {
	tb.Helper()
	got, err := s.Append(context.Background(), stream, expected, recs)
	if err != nil {
		tb.Fatalf("Append(%s, %v) error = %v", stream, expected, err)
	}
	return got
}

func listDir(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCreateFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openFile(t, path)
	mustAppend(t, s, "incident-1", eventstore.NoStream, record(t, "A"))
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fi.Mode().Perm(), fs.FileMode(0o600); got != want {
			t.Errorf("mode of %s = %v, want %v", filepath.Base(name), got, want)
		}
	}
}

func TestPragmas(t *testing.T) {
	s := openFile(t, filepath.Join(t.TempDir(), "ledger.db"))
	journal, synchronous, err := s.Pragmas(t.Context())
	if err != nil {
		t.Fatalf("Pragmas() error = %v", err)
	}
	if journal != "wal" || synchronous != 2 {
		t.Errorf("Pragmas() = %q, %d, want %q, 2 (FULL)", journal, synchronous, "wal")
	}
}

func TestOpenMissingWithoutCreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	_, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if !errors.Is(err, eventstore.ErrNoLedger) {
		t.Errorf("Open(missing) error = %v, want ErrNoLedger", err)
	}
	var b bytes.Buffer
	if err := sqlite.DumpFile(t.Context(), path, &b); !errors.Is(err, eventstore.ErrNoLedger) {
		t.Errorf("DumpFile(missing) error = %v, want ErrNoLedger", err)
	}
	if names := listDir(t, dir); len(names) != 0 {
		t.Errorf("directory after Open and DumpFile of a missing ledger = %q, want empty", names)
	}
}

func TestOpenUninitialisedWithoutCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(t.Context(), path, sqlite.Options{}); !errors.Is(err, eventstore.ErrNoLedger) {
		t.Errorf("Open(empty file) error = %v, want ErrNoLedger", err)
	}
	// Create initialises an existing empty file.
	openFile(t, path)
}

func TestOpenNotALedger(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 300), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.db")
	db := openRaw(t, other)
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, path := range []string{garbage, other} {
		s, err := sqlite.Open(t.Context(), path, sqlite.Options{Create: true})
		if err == nil {
			s.Close()
			t.Errorf("Open(%s) succeeded, want an error", filepath.Base(path))
			continue
		}
		var se *modernc.Error
		if errors.As(err, &se) {
			t.Errorf("Open(%s) error = %#v leaks the driver's error type", filepath.Base(path), err)
		}
		if errors.Is(err, eventstore.ErrNoLedger) {
			t.Errorf("Open(%s) error = %v, want not ErrNoLedger", filepath.Base(path), err)
		}
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	want := mustAppend(t, s, "incident-1", eventstore.NoStream, record(t, "A"), record(t, "B"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open(existing, without Create) error = %v", err)
	}
	defer s.Close()
	got, err := s.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadAll() after reopening mismatch (-want +got):\n%s", diff)
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openFile(t, path)
	mustAppend(t, s, "incident-1", eventstore.NoStream, record(t, "A"), record(t, "B"))
	mustAppend(t, s, "incident-2", eventstore.NoStream, record(t, "C"))
	before := dump(t, s)

	db := openRaw(t, path)
	for _, tt := range []struct {
		stmt, want string
	}{
		{`UPDATE events SET type = 'Forged' WHERE seq = 1`, "UPDATE refused"},
		{`UPDATE events SET payload = x'00'`, "UPDATE refused"},
		{`DELETE FROM events WHERE seq = 2`, "DELETE refused"},
		{`DELETE FROM events`, "DELETE refused"},
		{`INSERT OR REPLACE INTO events (seq, event_id, stream, revision, type, occurred_at, actor, payload, recorded_at)
			SELECT seq, randomblob(16), stream, revision, 'Forged', occurred_at, actor, payload, recorded_at FROM events WHERE seq = 0`,
			"INSERT over an existing event refused"},
		{`REPLACE INTO events (seq, event_id, stream, revision, type, occurred_at, actor, payload, recorded_at)
			VALUES (7, randomblob(16), 'incident-1', 1, 'Forged', 0, 'mallory', x'', 0)`,
			"INSERT over an existing event refused"},
		{`INSERT INTO events (seq, event_id, stream, revision, type, occurred_at, actor, payload, recorded_at)
			SELECT 3, event_id, 'incident-3', 0, 'Forged', 0, 'mallory', x'', 0 FROM events WHERE seq = 0
			ON CONFLICT (event_id) DO UPDATE SET type = 'Forged'`,
			"refused"},
	} {
		_, err := db.ExecContext(t.Context(), tt.stmt)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Exec(%.40q...) error = %v, want one containing %q", tt.stmt, err, tt.want)
		}
	}
	if diff := cmp.Diff(before, dump(t, s)); diff != "" {
		t.Errorf("ledger changed (-before +after):\n%s", diff)
	}
}

func TestBatchAllOrNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openFile(t, path)
	mustAppend(t, s, "incident-1", eventstore.NoStream, record(t, "A"))

	// Fail the third insert of a batch inside SQLite, after two have run.
	db := openRaw(t, path)
	if _, err := db.Exec(`CREATE TRIGGER inject BEFORE INSERT ON events WHEN NEW.type = 'Poison'
		BEGIN SELECT RAISE(ABORT, 'injected failure'); END`); err != nil {
		t.Fatal(err)
	}
	before := dump(t, s)

	tooLarge := record(t, "Big")
	tooLarge.Payload = make([]byte, eventstore.MaxPayloadSize+1)
	for _, tt := range []struct {
		name    string
		last    eventstore.Record
		wantErr error
	}{
		{"TooLargeAtEnd", tooLarge, eventstore.ErrTooLarge},
		{"FailureMidBatch", record(t, "Poison"), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			batch := []eventstore.Record{record(t, "B"), record(t, "C"), tt.last, record(t, "D")}
			_, err := s.Append(t.Context(), "incident-1", eventstore.Exact(0), batch)
			switch {
			case err == nil:
				t.Fatal("Append() succeeded, want an error")
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("Append() error = %v, want %v", err, tt.wantErr)
			case tt.wantErr == nil && !strings.Contains(err.Error(), "injected failure"):
				t.Errorf("Append() error = %v, want the injected failure", err)
			}
			if diff := cmp.Diff(before, dump(t, s)); diff != "" {
				t.Errorf("ledger changed (-before +after):\n%s", diff)
			}
		})
	}

	if _, err := db.Exec(`DROP TRIGGER inject`); err != nil {
		t.Fatal(err)
	}
	got := mustAppend(t, s, "incident-1", eventstore.Exact(0), record(t, "B"), record(t, "C"))
	if got[0].Sequence != 1 || got[1].Sequence != 2 {
		t.Errorf("sequences after failed appends = %d, %d, want 1, 2 (no gap)", got[0].Sequence, got[1].Sequence)
	}
}

func TestRecordedAtNeverDecreases(t *testing.T) {
	s, err := sqlite.Open(t.Context(), sqlite.Memory, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cest := time.FixedZone("CEST", 2*60*60)
	clock := time.Date(2024, 5, 1, 11, 0, 0, 123456789, cest)
	sqlite.SetClock(s, func() time.Time { return clock })

	first := mustAppend(t, s, "incident-1", eventstore.NoStream, record(t, "A"))
	if want := time.Date(2024, 5, 1, 9, 0, 0, 123456000, time.UTC); first[0].RecordedAt != want {
		t.Errorf("RecordedAt = %v, want %v (UTC, whole microseconds)", first[0].RecordedAt, want)
	}
	clock = clock.Add(-time.Hour) // the wall clock steps back
	second := mustAppend(t, s, "incident-2", eventstore.NoStream, record(t, "B"))
	if second[0].RecordedAt != first[0].RecordedAt {
		t.Errorf("RecordedAt after the clock stepped back = %v, want %v (the previous event's)", second[0].RecordedAt, first[0].RecordedAt)
	}
	clock = clock.Add(2 * time.Hour)
	third := mustAppend(t, s, "incident-2", eventstore.Exact(0), record(t, "C"))
	if want := time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC); third[0].RecordedAt != want {
		t.Errorf("RecordedAt = %v, want %v", third[0].RecordedAt, want)
	}
	all, err := s.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(slicesConcat(first, second, third), all); diff != "" {
		t.Errorf("ReadAll() mismatch (-appended +read):\n%s", diff)
	}
}

func slicesConcat(s ...[]eventstore.Record) []eventstore.Record {
	var out []eventstore.Record
	for _, x := range s {
		out = append(out, x...)
	}
	return out
}

func TestDump(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	sqlite.SetClock(s, func() time.Time { return time.Date(2024, 5, 1, 10, 0, 0, 999, time.UTC) })
	r := eventstore.Record{
		ID:         uuid.MustParse("01900000-0000-7000-8000-00000000abcd"),
		Type:       "breach.Declared",
		OccurredAt: t0,
		Actor:      "o'brien",
		Signer:     "SHA256:key",
		Signature:  []byte{0xde, 0xad},
		Payload:    []byte(`{"a":1}`),
		Basis:      7,
	}
	empty := eventstore.Record{ID: uuid.MustParse("01900000-0000-7000-8000-00000000abce"), Type: "x", OccurredAt: t0}
	mustAppend(t, s, "incident-1", eventstore.NoStream, r, empty)
	got := dump(t, s)
	if again := dump(t, s); again != got {
		t.Errorf("two dumps differ:\n%s", cmp.Diff(got, again))
	}
	// 2024-05-01T09:00:00Z is 1714554000 s; 10:00:00.000000999 truncates to 10:00:00.
	for _, want := range []string{
		"PRAGMA application_id = 1112294471;\n",
		"PRAGMA user_version = 4;\n", // 2: checkpoints (checkpoints.go), 3: basis, 4: cosignatures
		"-- table events on events\nCREATE TABLE events (",
		"-- trigger events_no_delete on events\n",
		`INSERT INTO "events" VALUES(0, X'0190000000007000800000000000ABCD', 'incident-1', 0, 'breach.Declared', 1714554000000000000, 'o''brien', 'SHA256:key', X'DEAD', X'7B2261223A317D', 1714557600000000000, 7);` + "\n",
		`INSERT INTO "events" VALUES(1, X'0190000000007000800000000000ABCE', 'incident-1', 1, 'x', 1714554000000000000, '', '', NULL, X'', 1714557600000000000, 0);` + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Dump() lacks %q; got:\n%s", want, got)
		}
	}
	var whileOpen strings.Builder
	if err := sqlite.DumpFile(t.Context(), path, &whileOpen); err != nil {
		t.Fatalf("DumpFile() of an open ledger error = %v", err)
	}
	if diff := cmp.Diff(got, whileOpen.String()); diff != "" {
		t.Errorf("DumpFile() of an open ledger mismatch with Store.Dump() (-store +file):\n%s", diff)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Closed, the ledger is a lone file; DumpFile adds no -wal or -shm.
	files := listDir(t, dir)
	if diff := cmp.Diff([]string{"ledger.db"}, files); diff != "" {
		t.Errorf("directory of a closed ledger mismatch (-want +got):\n%s", diff)
	}
	var fromFile strings.Builder
	if err := sqlite.DumpFile(t.Context(), path, &fromFile); err != nil {
		t.Fatalf("DumpFile() error = %v", err)
	}
	if diff := cmp.Diff(got, fromFile.String()); diff != "" {
		t.Errorf("DumpFile() mismatch with Store.Dump() (-store +file):\n%s", diff)
	}
	if diff := cmp.Diff(files, listDir(t, dir)); diff != "" {
		t.Errorf("DumpFile() changed the directory (-before +after):\n%s", diff)
	}
}

func TestErrorsHideDriver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openFile(t, path)
	mustAppend(t, s, "incident-1", eventstore.NoStream, record(t, "A"))
	db := openRaw(t, path)
	if _, err := db.Exec(`CREATE TRIGGER inject BEFORE INSERT ON events BEGIN SELECT RAISE(FAIL, 'injected'); END`); err != nil {
		t.Fatal(err)
	}
	_, err := s.Append(t.Context(), "incident-1", eventstore.Exact(0), []eventstore.Record{record(t, "B")})
	var se *modernc.Error
	if err == nil || errors.As(err, &se) {
		t.Errorf("Append() error = %#v, want an error that hides *sqlite.Error", err)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "append to incident-1: ") {
		t.Errorf("Append() error = %q, want it to start with %q", err, "append to incident-1: ")
	}
}

func TestFollowSeesOtherStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	reader, writer := openFile(t, path), openFile(t, path)
	want := mustAppend(t, writer, "incident-1", eventstore.NoStream, record(t, "A"))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var got []eventstore.Record
	for r, err := range reader.Follow(ctx, 0) {
		if err != nil {
			t.Fatalf("Follow() error = %v after %d records", err, len(got))
		}
		got = append(got, r)
		if len(got) == 1 {
			// Not through reader: only polling can see it.
			want = append(want, mustAppend(t, writer, "incident-1", eventstore.Exact(0), record(t, "B"))...)
		}
		if len(got) == 2 {
			break
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Follow() mismatch (-want +got):\n%s", diff)
	}
}

const (
	helperEnv     = "BREACHLEDGER_SQLITE_HELPER"
	processes     = 8
	perProcess    = 10
	sharedStream  = "incident-shared"
	helperTimeout = 60 * time.Second
)

// TestHelperProcess is not a test: TestProcessesAppendToOneStream runs the
// test binary again to execute it as a child process, one appending writer.
func TestHelperProcess(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		return
	}
	worker, path, _ := strings.Cut(spec, ":")
	ctx, cancel := context.WithTimeout(context.Background(), helperTimeout)
	defer cancel()
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range perProcess {
		r := record(t, "Worker"+worker)
		r.Payload = fmt.Appendf(nil, `{"worker":%s,"i":%d}`, worker, i)
		for {
			length, err := storetest.StreamLength(ctx, s, sharedStream)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Append(ctx, sharedStream, eventstore.After(length), []eventstore.Record{r})
			if errors.Is(err, eventstore.ErrConflict) {
				time.Sleep(rand.N(5 * time.Millisecond))
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			break
		}
	}
}

func TestProcessesAppendToOneStream(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openFile(t, path)
	mustAppend(t, s, "incident-other", eventstore.NoStream, record(t, "Before"))

	ctx, cancel := context.WithTimeout(t.Context(), helperTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, processes)
	outs := make([]bytes.Buffer, processes)
	for i := range processes {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+strconv.Itoa(i)+":"+path)
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { errs[i] = cmd.Wait() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v\n%s", i, err, outs[i].String())
		}
	}
	if t.Failed() {
		return
	}

	recs, err := s.ReadStream(t.Context(), sharedStream, eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(recs), processes*perProcess; got != want {
		t.Fatalf("stream has %d events, want %d", got, want)
	}
	perWorker := map[string]int{}
	for i, r := range recs {
		if r.Revision != uint64(i) {
			t.Errorf("event %d: revision %d, want %d", i, r.Revision, i)
		}
		perWorker[r.Type]++
	}
	for i := range processes {
		if got := perWorker["Worker"+strconv.Itoa(i)]; got != perProcess {
			t.Errorf("writer %d appended %d events, want %d", i, got, perProcess)
		}
	}
	all, err := s.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uuid.UUID]bool{}
	for i, r := range all {
		if r.Sequence != uint64(i) {
			t.Errorf("record %d: sequence %d, want %d", i, r.Sequence, i)
		}
		if seen[r.ID] {
			t.Errorf("record %d: event ID %s seen before", i, r.ID)
		}
		seen[r.ID] = true
		if i > 0 && r.RecordedAt.Before(all[i-1].RecordedAt) {
			t.Errorf("record %d: RecordedAt %v before the previous %v", i, r.RecordedAt, all[i-1].RecordedAt)
		}
	}
	if got, want := len(all), processes*perProcess+1; got != want {
		t.Errorf("ledger has %d events, want %d", got, want)
	}
}
