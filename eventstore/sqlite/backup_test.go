package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// TestBackupLive backs up a ledger whose recent appends are still in its
// -wal (the store stays open, so nothing is checkpointed into the file)
// while another goroutine keeps appending on its own connection: the copy
// holds every append acknowledged before Backup began, gap-free, and none
// of the views an older build kept in the file.
func TestBackupLive(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "ledger.db")
	s := openFile(t, src)
	for i := range 40 {
		mustAppend(t, s, fmt.Sprintf("incident-%d", i%4), eventstore.Any, record(t, "noted"))
	}
	// Kept views an older build wrote into the ledger file.
	raw := openRaw(t, src)
	if _, err := raw.Exec(`CREATE TABLE rm_deadlines (id TEXT PRIMARY KEY, status TEXT); CREATE INDEX rm_deadlines_status ON rm_deadlines (status);
		INSERT INTO rm_deadlines VALUES ('x', 'overdue')`); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(src + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("the test needs appends in the -wal: stat -wal = %v, %v", fi, err)
	}

	// What a plain copy of the file would hold: not the appends in the -wal.
	plain := filepath.Join(t.TempDir(), "plain.db")
	if b, err := os.ReadFile(src); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(plain, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var pd bytes.Buffer
	if err := sqlite.DumpFile(t.Context(), plain, &pd); err == nil && bytes.Count(pd.Bytes(), []byte(`INSERT INTO "events"`)) >= 40 {
		t.Fatalf("a plain copy of the file holds all 40 events: the test needs them in the -wal")
	}

	// A second writer, on its own connection, appending throughout.
	w := openFile(t, src)
	ctx, cancel := context.WithCancel(t.Context())
	var (
		mu    sync.Mutex
		acked []uuid.UUID // appends acknowledged so far, in order
		wg    sync.WaitGroup
	)
	started := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			got, err := w.Append(ctx, "incident-live", eventstore.Any, []eventstore.Record{record(t, "noted")})
			if err != nil {
				if ctx.Err() == nil {
					t.Errorf("live Append() error = %v", err)
				}
				return
			}
			mu.Lock()
			acked = append(acked, got[0].ID)
			mu.Unlock()
			if i == 5 {
				close(started)
			}
		}
	}()
	<-started
	mu.Lock()
	before := slices.Clone(acked)
	mu.Unlock()
	dst := filepath.Join(t.TempDir(), "copy.db")
	err := sqlite.Backup(t.Context(), src, dst)
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup() error = %v", err)
	}

	if got, want := listDir(t, filepath.Dir(dst)), []string{"copy.db"}; !cmp.Equal(got, want) {
		t.Errorf("beside the copy: %q, want only %q (no temporary file, no -wal, -shm or -journal)", got, want)
	}
	head := make([]byte, 20)
	f, err := os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Read(head); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if head[18] != 1 || head[19] != 1 {
		t.Errorf("copy's file format bytes = %d, %d, want 1, 1 (rollback journal: readable on read-only media without a -wal)", head[18], head[19])
	}
	var d bytes.Buffer
	if err := sqlite.DumpFile(t.Context(), dst, &d); err != nil {
		t.Fatalf("DumpFile(copy) error = %v", err)
	}
	if bytes.Contains(d.Bytes(), []byte("rm_deadlines")) {
		t.Errorf("the copy keeps the views an older build wrote into the ledger (rm_deadlines):\n%s", d.Bytes())
	}
	for _, want := range []string{"events_no_update", "checkpoints_no_delete", "PRAGMA application_id = 1112294471;" /* "BLDG" */} {
		if !bytes.Contains(d.Bytes(), []byte(want)) {
			t.Errorf("the copy lacks %q of the ledger's schema", want)
		}
	}

	c := openFile(t, dst)
	recs, err := c.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	in := map[uuid.UUID]bool{}
	for i, r := range recs {
		if r.Sequence != uint64(i) {
			t.Fatalf("copy's event %d has sequence %d: not gap-free", i, r.Sequence)
		}
		in[r.ID] = true
	}
	// 40 before the live writer began, 6 or more of its own before Backup.
	if len(recs) < 40+len(before) || len(before) < 6 {
		t.Errorf("copy holds %d events, want at least 40 + %d acknowledged before the backup", len(recs), len(before))
	}
	for _, id := range before {
		if !in[id] {
			t.Errorf("event %s was acknowledged before the backup began, and is not in the copy", id)
		}
	}
}

// TestBackupRefuses: an existing destination is never overwritten, and
// what is not a ledger is not copied; each leaves every file as it was and
// nothing beside the destination.
func TestBackupRefuses(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "ledger.db")
	s := openFile(t, src)
	mustAppend(t, s, "incident-1", eventstore.Any, record(t, "noted"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.db")
	fdb := openRaw(t, foreign)
	if _, err := fdb.Exec(`CREATE TABLE notes (x TEXT)`); err != nil {
		t.Fatal(err)
	}
	fdb.Close()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	out := t.TempDir()
	existing := filepath.Join(out, "kept.db")
	if err := os.WriteFile(existing, []byte("an earlier backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		src, dst string
		want     error // errors.Is; nil: any error
	}{
		{"destination exists", src, existing, fs.ErrExist},
		{"missing ledger", filepath.Join(dir, "nope.db"), filepath.Join(out, "a.db"), eventstore.ErrNoLedger},
		{"empty file", empty, filepath.Join(out, "b.db"), nil},
		{"another application's database", foreign, filepath.Join(out, "c.db"), eventstore.ErrNotLedger},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srcBefore, _ := os.ReadFile(tt.src)
			dirBefore := listDir(t, dir)
			err := sqlite.Backup(t.Context(), tt.src, tt.dst)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Backup(%s, %s) error = %v, want %v", tt.src, tt.dst, err, tt.want)
			}
			if srcAfter, _ := os.ReadFile(tt.src); !bytes.Equal(srcAfter, srcBefore) {
				t.Errorf("Backup changed %s", tt.src)
			}
			if got := listDir(t, dir); !cmp.Equal(got, dirBefore) {
				t.Errorf("beside the ledger: %q, want %q as before", got, dirBefore)
			}
			if got, want := listDir(t, out), []string{"kept.db"}; !cmp.Equal(got, want) {
				t.Errorf("beside the destination: %q, want %q", got, want)
			}
			if b, _ := os.ReadFile(existing); string(b) != "an earlier backup" {
				t.Errorf("the existing destination now holds %q", b)
			}
		})
	}
}

// TestBackupQuiet backs up a ledger no connection has open: read as
// immutable, nothing is created beside it, and the copy is the same
// ledger (equal dumps).
func TestBackupQuiet(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "ledger.db")
	s := openFile(t, src)
	for range 5 {
		mustAppend(t, s, "incident-1", eventstore.Any, record(t, "noted"))
	}
	want := dump(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := sqlite.Backup(t.Context(), src, dst); err != nil {
		t.Fatalf("Backup() error = %v", err)
	}
	if got := listDir(t, dir); !cmp.Equal(got, []string{"ledger.db"}) {
		t.Errorf("beside the ledger after Backup: %q, want only ledger.db", got)
	}
	if after, _ := os.ReadFile(src); !bytes.Equal(after, before) {
		t.Errorf("Backup changed the ledger file")
	}
	var got bytes.Buffer
	if err := sqlite.DumpFile(t.Context(), dst, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got.String()); diff != "" {
		t.Errorf("copy differs from the ledger (-ledger +copy):\n%s", diff)
	}
}
