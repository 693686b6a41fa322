package keystore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/seal"
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

func TestKeysByScopeAndID(t *testing.T) {
	ctx := context.Background()
	kek := GenerateKEK()
	s := create(t, t.TempDir(), kek, true)
	defer s.Close()
	inc := Scope{Incident: "2abc"}
	note := Scope{Incident: "2abc", Event: "e1"}
	if _, err := s.Get(ctx, inc); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Create: %v, want ErrNotFound", err)
	}
	k1, err := s.Create(ctx, inc)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := s.Create(ctx, inc)
	got, _ := s.Get(ctx, inc)
	byID, _ := s.Key(ctx, k1.ID())
	for name, k := range map[string]seal.Key{"Create again": again, "Get": got, "Key": byID} {
		if k.ID() != k1.ID() || !bytes.Equal(k.Bytes(), k1.Bytes()) {
			t.Errorf("%s gave key %s, want %s", name, k.ID(), k1.ID())
		}
	}
	kn, _ := s.Create(ctx, note)
	if kn.ID() == k1.ID() {
		t.Error("the event's key is the incident's")
	}
	// A value sealed under a key opens with the key got back by its ID.
	at := seal.Place{EventID: "e1", Stream: "incident-2abc", Type: "NoteAdded", Path: "text"}
	sealed, _ := seal.Seal(kn, at, "jane.doe@example.org")
	id, _ := seal.KeyIDOf(sealed)
	k, err := s.Key(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := seal.Open(k, at, sealed); err != nil || v != "jane.doe@example.org" {
		t.Errorf("Open = %q, %v", v, err)
	}
	if err := s.Destroy(ctx, "ds1", kn.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key(ctx, kn.ID()); !errors.Is(err, ErrDestroyed) || !strings.Contains(err.Error(), "event ds1") {
		t.Errorf("Key after Destroy: %v, want ErrDestroyed naming ds1", err)
	}
	if _, err := s.Get(ctx, note); !errors.Is(err, ErrDestroyed) {
		t.Errorf("Get after Destroy: %v, want ErrDestroyed", err)
	}
	if err := s.Destroy(ctx, "ds2", kn.ID()); err != nil {
		t.Errorf("destroying a destroyed key again: %v", err)
	}
	if err := s.Destroy(ctx, "ds3", k1.ID(), "no-such-key"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Destroy of an unknown ID: %v, want ErrNotFound", err)
	}
	if _, err := s.Key(ctx, k1.ID()); err != nil {
		t.Errorf("a refused Destroy destroyed %s: %v", k1.ID(), err)
	}
	// A new value of a forgotten scope gets a new key.
	kn2, err := s.Create(ctx, note)
	if err != nil || kn2.ID() == kn.ID() {
		t.Errorf("Create after Destroy: %s, %v; want a new key", kn2.ID(), err)
	}
	list, err := s.List(ctx, "2abc")
	if err != nil {
		t.Fatal(err)
	}
	var got2 []string
	for _, in := range list {
		got2 = append(got2, fmt.Sprintf("%s %s %v %s", in.ID, in.Scope, !in.Destroyed.IsZero(), in.DestroyedBy))
	}
	want := []string{
		k1.ID() + " incident 2abc false ",
		kn.ID() + " event e1 of incident 2abc true ds1",
		kn2.ID() + " event e1 of incident 2abc false ",
	}
	if strings.Join(got2, "\n") != strings.Join(want, "\n") {
		t.Errorf("List:\n%s\nwant:\n%s", strings.Join(got2, "\n"), strings.Join(want, "\n"))
	}
	if l, _ := s.List(ctx, "other"); len(l) != 0 {
		t.Errorf("List of another incident: %v", l)
	}
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

func TestCancelPending(t *testing.T) {
	ctx := context.Background()
	s := create(t, t.TempDir(), GenerateKEK(), true)
	defer s.Close()
	k, _ := s.Create(ctx, Scope{Incident: "i"})
	if err := s.MarkPending(ctx, []string{"nope"}, "ds"); !errors.Is(err, ErrNotFound) {
		t.Errorf("mark an unknown key: %v", err)
	}
	if err := s.MarkPending(ctx, []string{k.ID()}, ""); err == nil {
		t.Error("marked without an event ID")
	}
	if err := s.MarkPending(ctx, []string{k.ID()}, "ds"); err != nil {
		t.Fatal(err)
	}
	if err := s.CancelPending(ctx, "ds"); err != nil {
		t.Fatal(err)
	}
	if err := s.CancelPending(ctx, "ds"); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel twice: %v", err)
	}
	if p, _ := s.PendingDestruction(ctx); len(p) != 0 {
		t.Errorf("pending after cancel: %v", p)
	}
	if _, err := s.Key(ctx, k.ID()); err != nil {
		t.Errorf("cancelled intent destroyed the key: %v", err)
	}
}
