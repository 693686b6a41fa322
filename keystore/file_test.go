package keystore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// create makes a store at dir/keys.db, with secure_delete as given.
func create(t *testing.T, dir string, kek []byte, secureDelete bool) *File {
	t.Helper()
	path := filepath.Join(dir, "keys.db")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	s, err := open(context.Background(), path, kek, true, secureDelete)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wrappedOf(t *testing.T, s *File, id string) []byte {
	t.Helper()
	var w []byte
	if err := s.db.QueryRow("SELECT wrapped FROM keys WHERE id = ?", id).Scan(&w); err != nil || len(w) == 0 {
		t.Fatalf("wrapped key %s: %v", id, err)
	}
	return w
}

// dirBytes returns every file in dir (the database, a -journal or -wal
// left behind), by name.
func dirBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

type keyBytes struct {
	id           string
	raw, wrapped []byte
}

// shredScenario creates incident and event keys, destroys some, closes the
// store and returns the destroyed and kept keys' bytes.
func shredScenario(t *testing.T, dir string, secureDelete bool) (destroyed, kept []keyBytes) {
	ctx := context.Background()
	s := create(t, dir, GenerateKEK(), secureDelete)
	var all []keyBytes
	for i := range 3 {
		inc := fmt.Sprintf("incident-%d", i)
		for _, sc := range []Scope{{Incident: inc}, {Incident: inc, Event: inc + "-note-1"}, {Incident: inc, Event: inc + "-note-2"}} {
			k, err := s.Create(ctx, sc)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, keyBytes{k.ID(), k.Bytes(), wrappedOf(t, s, k.ID())})
		}
	}
	// One pasted note of incident 0, then all of incident 1; incident 2
	// and the rest of incident 0 are kept.
	destroyed = append(destroyed, all[1], all[3], all[4], all[5])
	kept = append(kept, all[0], all[2], all[6], all[7], all[8])
	if err := s.Destroy(ctx, "shred-note", all[1].id); err != nil {
		t.Fatal(err)
	}
	if err := s.Destroy(ctx, "shred-incident", all[3].id, all[4].id, all[5].id); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return destroyed, kept
}

// TestDestroyLeavesNoKeyBytes searches the raw bytes of every file the
// store leaves (database, journal, free pages within them) for the
// destroyed keys, raw and wrapped, and finds none, while the kept keys'
// wrapped forms are still there (the search can find what it looks for).
func TestDestroyLeavesNoKeyBytes(t *testing.T) {
	dir := t.TempDir()
	destroyed, kept := shredScenario(t, dir, true)
	files := dirBytes(t, dir)
	if len(files) != 1 {
		t.Errorf("files left: %d, want the database alone (no journal)", len(files))
	}
	for name, b := range files {
		for _, k := range destroyed {
			if bytes.Contains(b, k.raw) {
				t.Errorf("%s holds destroyed key %s", name, k.id)
			}
			if bytes.Contains(b, k.wrapped) {
				t.Errorf("%s holds destroyed key %s wrapped", name, k.id)
			}
			if bytes.Contains(b, k.wrapped[:24]) {
				t.Errorf("%s holds the nonce of destroyed key %s's wrapping", name, k.id)
			}
		}
		for _, k := range kept {
			if bytes.Contains(b, k.raw) {
				t.Errorf("%s holds kept key %s unwrapped", name, k.id)
			}
		}
	}
	db := files["keys.db"]
	for _, k := range kept {
		if !bytes.Contains(db, k.wrapped) {
			t.Errorf("kept key %s's wrapped form is not in the database: the search cannot be trusted", k.id)
		}
	}
}

// TestDestroyWithoutSecureDeleteLeavesKeyBytes is the same scenario with
// secure_delete off: the destroyed wrapped keys stay in the file's free
// space. It shows what secure_delete does, and that the search above
// finds destroyed keys when they are there.
func TestDestroyWithoutSecureDeleteLeavesKeyBytes(t *testing.T) {
	dir := t.TempDir()
	destroyed, _ := shredScenario(t, dir, false)
	db := dirBytes(t, dir)["keys.db"]
	found := 0
	for _, k := range destroyed {
		if bytes.Contains(db, k.wrapped) {
			found++
		}
	}
	if found == 0 {
		t.Error("without secure_delete no destroyed wrapped key is left in the file: this test no longer shows what secure_delete prevents")
	}
	t.Logf("without secure_delete, %d of %d destroyed wrapped keys remain in the file", found, len(destroyed))
}

func TestOpenRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.db")
	kek := GenerateKEK()
	s, err := New(ctx, path, kek)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := s.Create(ctx, Scope{Incident: "i"})
	s.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := New(ctx, path, kek); err == nil {
		t.Error("New over an existing store")
	}

	if _, err := Open(ctx, path, GenerateKEK()); !errors.Is(err, ErrWrongKEK) || !strings.Contains(err.Error(), "give the KEK it was created with") {
		t.Errorf("wrong KEK: %v", err)
	}
	if _, err := Open(ctx, path, kek[:16]); err == nil || !strings.Contains(err.Error(), "must have 32") {
		t.Errorf("short KEK: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := Open(ctx, path, kek); !errors.Is(err, ErrPermissions) || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("mode 0644: %v", err)
	}
	os.Chmod(path, 0o600)
	if _, err := Open(ctx, filepath.Join(dir, "missing.db"), kek); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("Open created a missing store")
	}
	// Another SQLite file (the ledger's, say) is not a key store.
	other := filepath.Join(dir, "ledger.db")
	os.WriteFile(other, nil, 0o600)
	if _, err := Open(ctx, other, kek); !errors.Is(err, ErrNotKeyStore) {
		t.Errorf("an empty file: %v, want ErrNotKeyStore", err)
	}
	s, err = Open(ctx, path, kek)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.Key(ctx, k.ID()); err != nil || got.ID() != k.ID() {
		t.Errorf("reopened: %v", err)
	}
}

// TestWrappedKeyMovedDoesNotOpen: a wrapped key copied to another row (to
// serve it for another incident) does not unwrap.
func TestWrappedKeyMovedDoesNotOpen(t *testing.T) {
	ctx := context.Background()
	s := create(t, t.TempDir(), GenerateKEK(), true)
	defer s.Close()
	a, _ := s.Create(ctx, Scope{Incident: "a"})
	b, _ := s.Create(ctx, Scope{Incident: "b"})
	if _, err := s.db.Exec("UPDATE keys SET wrapped = (SELECT wrapped FROM keys WHERE id = ?) WHERE id = ?", a.ID(), b.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key(ctx, b.ID()); err == nil {
		t.Error("a wrapped key moved to another row unwrapped")
	}
}

// TestPendingDestructionSurvivesACrash: a child process marks keys for
// destruction and exits without finishing or closing (a crash after the
// DataShredded event was appended); the next opening finishes it.
func TestPendingDestructionSurvivesACrash(t *testing.T) {
	if dir := os.Getenv("KEYSTORE_CRASH_DIR"); dir != "" {
		crashChild(dir)
		return
	}
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.db")
	kek := GenerateKEK()
	s, err := New(ctx, path, kek)
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := s.Create(ctx, Scope{Incident: "i"})
	gone, _ := s.Create(ctx, Scope{Incident: "i", Event: "note"})
	wrapped := wrappedOf(t, s, gone.ID())
	s.Close()
	os.WriteFile(filepath.Join(dir, "kek"), kek, 0o600)

	cmd := exec.Command(os.Args[0], "-test.run=^TestPendingDestructionSurvivesACrash$")
	cmd.Env = append(os.Environ(), "KEYSTORE_CRASH_DIR="+dir, "KEYSTORE_CRASH_KEY="+gone.ID())
	out, err := cmd.CombinedOutput()
	if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("child: %v\n%s", err, out)
	}

	s, err = Open(ctx, path, kek)
	if err != nil {
		t.Fatal(err)
	}
	pend, err := s.PendingDestruction(ctx)
	if err != nil || len(pend) != 1 || pend[0].EventID != "ds-1" || len(pend[0].KeyIDs) != 1 || pend[0].KeyIDs[0] != gone.ID() {
		t.Fatalf("pending after the crash: %+v, %v", pend, err)
	}
	if _, err := s.Key(ctx, gone.ID()); err != nil {
		t.Fatalf("the key was destroyed before finishing: %v", err)
	}
	// The ledger does not have the event yet: nothing happens.
	done, err := s.FinishPending(ctx, func(context.Context, string) (bool, error) { return false, nil })
	if err != nil || len(done) != 0 {
		t.Fatalf("finish with the event absent: %v, %v", done, err)
	}
	if _, err := s.Key(ctx, gone.ID()); err != nil {
		t.Fatalf("destroyed without its event: %v", err)
	}
	// It does: the destruction is finished.
	var asked []string
	done, err = s.FinishPending(ctx, func(_ context.Context, id string) (bool, error) { asked = append(asked, id); return true, nil })
	if err != nil || len(done) != 1 || strings.Join(asked, ",") != "ds-1" {
		t.Fatalf("finish: %v, %v (asked %v)", done, err, asked)
	}
	if _, err := s.Key(ctx, gone.ID()); !errors.Is(err, ErrDestroyed) || !strings.Contains(err.Error(), "ds-1") {
		t.Errorf("after finishing: %v, want ErrDestroyed by ds-1", err)
	}
	if _, err := s.Key(ctx, kept.ID()); err != nil {
		t.Errorf("kept key: %v", err)
	}
	if p, _ := s.PendingDestruction(ctx); len(p) != 0 {
		t.Errorf("still pending: %v", p)
	}
	s.Close()
	for name, b := range dirBytes(t, dir) {
		if bytes.Contains(b, wrapped) || bytes.Contains(b, gone.Bytes()) {
			t.Errorf("%s holds the destroyed key", name)
		}
	}
}

// crashChild marks a key for destruction and exits at once, closing
// nothing.
func crashChild(dir string) {
	kek, err := os.ReadFile(filepath.Join(dir, "kek"))
	if err != nil {
		os.Exit(1)
	}
	s, err := Open(context.Background(), filepath.Join(dir, "keys.db"), kek)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := s.MarkPending(context.Background(), []string{os.Getenv("KEYSTORE_CRASH_KEY")}, "ds-1"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(3) // the crash: the event was appended, the keys not yet destroyed
}

// LiveKeys gives, in one call, the keys Key gives one by one, and leaves
// out the destroyed and the unknown; more IDs than one query takes too.
func TestLiveKeys(t *testing.T) {
	ctx := context.Background()
	s := create(t, t.TempDir(), GenerateKEK(), true)
	var ids []string
	for i := range 510 {
		k, err := s.Create(ctx, Scope{Incident: "INC1", Event: fmt.Sprintf("e%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, k.ID())
	}
	if err := s.Destroy(ctx, "shred-1", ids[3], ids[505]); err != nil {
		t.Fatal(err)
	}
	got, err := s.LiveKeys(ctx, append(slices.Clone(ids), "unknown"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids)-2 {
		t.Errorf("LiveKeys gave %d keys, want %d", len(got), len(ids)-2)
	}
	for _, id := range ids {
		want, werr := s.Key(ctx, id)
		k, ok := got[id]
		switch {
		case werr != nil && ok:
			t.Errorf("LiveKeys gave key %s, which Key refuses: %v", id, werr)
		case werr == nil && (!ok || !bytes.Equal(k.Bytes(), want.Bytes())):
			t.Errorf("LiveKeys left out or changed live key %s", id)
		}
	}
}
