package main_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// nowRE matches the times a run takes from its clock (the scenario's are
// whole seconds): a time with a fraction (JSON), or the text header's
// "known at" time, which text prints to the second since issue 23.
var nowRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z|known at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// nobody is the unprivileged user the readers of these tests run as: the
// tests run as root (here and in CI), and file modes mean nothing to root.
const nobody = 65534

// openDir returns a new temporary directory that nobody can traverse and
// read (t.TempDir makes its directories 0700).
func openDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// nobodysDir returns a new directory owned by nobody, mode 0700.
func nobodysDir(t *testing.T, parent, name string) string {
	t.Helper()
	d := filepath.Join(parent, name)
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(d, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	return d
}

// freeze makes the directories dir and below 0555: no one but root may
// create, remove or rename anything in them.
func freeze(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return os.Chmod(p, 0o555)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Let t.TempDir's cleanup remove them.
	t.Cleanup(func() {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
}

// asNobody runs the binary (a copy nobody may execute) as nobody, with
// env only (no variable of the test's).
func asNobody(t *testing.T, bin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "BREACHLEDGER_INCIDENT="}, env...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v as nobody: %v", args, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// dirState is every file of a directory with its bytes and mode.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fi.Mode().String() + " " + string(b)
	}
	return out
}

func sameDir(t *testing.T, what, dir string, before map[string]string) {
	t.Helper()
	after := dirState(t, dir)
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("%s: %s appeared beside the ledger", what, name)
		}
	}
	for name, b := range before {
		a, ok := after[name]
		switch {
		case !ok:
			t.Errorf("%s: %s is gone", what, name)
		case a != b:
			t.Errorf("%s: %s changed", what, name)
		}
	}
}

// keptInLedgerFile reports whether a reader wrote kept read models (rm_*
// tables) into the ledger file at path.
func keptInLedgerFile(t *testing.T, path string) bool {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name LIKE 'rm\_%' ESCAPE '\'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func copyFileT(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// TestReadersOnReadOnlyMedia: every reader, run as an unprivileged user on
// a ledger in a 0555 directory (as an auditor's copy on read-only media),
// answers as on a writable copy, and leaves the ledger file and its
// directory exactly as they were: with no -wal, with committed events
// still in a -wal (beside its -shm, or alone), and with no writable home,
// cache or configuration directory at all. With committed events in a
// -wal it cannot use and no place for a private copy, it refuses, naming
// the -wal. A file that is not a ledger is refused and left as it was.
func TestReadersOnReadOnlyMedia(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("runs the readers as the unprivileged user nobody (uid 65534), which only root can switch to; as another user the read-only directory would not stop root-owned runs, and this test cannot drop privileges")
	}
	// A binary nobody may execute.
	bin := filepath.Join(openDir(t), "breachledger")
	copyFileT(t, binary, bin, 0o755)

	// The scenario's ledger, then more events while another connection
	// holds it open: those stay in its -wal (no checkpoint while it is
	// open; a writer's close checkpoints only as the last connection).
	c := newLedger(t)
	inc := runScenario(t, c)
	pub := filepath.Join(openDir(t), "ledger.pub")
	c.ok("alice", "key", "public", "-o", pub)
	if err := os.Chmod(pub, 0o644); err != nil {
		t.Fatal(err)
	}
	holder, err := sqlite.Open(t.Context(), c.ledger, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	before, err := holder.Head(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c.ok("oscar", "note", inc, "held in the write-ahead log 1", "--at", "2025-03-13T10:00:00Z")
	c.ok("oscar", "note", inc, "held in the write-ahead log 2", "--at", "2025-03-13T11:00:00Z")
	total, err := holder.Head(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if total < before+2 {
		t.Fatalf("after two notes the ledger holds %d events, before %d", total, before)
	}

	// The ledger in four places: with -wal and -shm (copied while it is
	// in use), with its -wal alone, checkpointed (no -wal), and a
	// writable copy of nobody's own to compare with.
	withSHM := filepath.Join(openDir(t), "ledger.db")
	walOnly := filepath.Join(openDir(t), "ledger.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		copyFileT(t, c.ledger+suffix, withSHM+suffix, 0o644)
		if suffix != "-shm" {
			copyFileT(t, c.ledger+suffix, walOnly+suffix, 0o644)
		}
	}
	// The main file alone (immutable=1, which ignores the -wal) has
	// fewer events: the -wal really holds committed ones.
	db, err := sql.Open("sqlite", "file:"+walOnly+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	var inFile uint64
	if err := db.QueryRow(`SELECT count(*) FROM events`).Scan(&inFile); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if inFile >= total {
		t.Fatalf("the ledger file alone holds %d of %d events: the test needs some only in the -wal", inFile, total)
	}
	if err := holder.Close(); err != nil { // the last connection: checkpoints
		t.Fatal(err)
	}
	if _, err := os.Stat(c.ledger + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("the -wal is still there after the last connection closed (%v)", err)
	}
	quiet := filepath.Join(openDir(t), "ledger.db")
	copyFileT(t, c.ledger, quiet, 0o644)
	refDir := nobodysDir(t, openDir(t), "ref")
	ref := filepath.Join(refDir, "ledger.db")
	copyFileT(t, c.ledger, ref, 0o600)
	if err := os.Chown(ref, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{withSHM, walOnly, quiet} {
		freeze(t, filepath.Dir(p))
	}

	// Nobody's homes: one writable (with the ledger key pinned, as an
	// auditor given the public key does), one where nothing can be
	// written (the same pin, in a configuration directory made read-only).
	homes := openDir(t)
	envOf := func(name string) []string {
		base := nobodysDir(t, homes, name)
		env := []string{
			"HOME=" + nobodysDir(t, base, "home"),
			"XDG_CONFIG_HOME=" + nobodysDir(t, base, "config"),
			"XDG_CACHE_HOME=" + nobodysDir(t, base, "cache"),
			"TMPDIR=" + nobodysDir(t, base, "tmp"),
		}
		if r := asNobody(t, bin, env, "pin", "add", "--key", pub); r.code != 0 {
			t.Fatalf("pin add as nobody: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		return env
	}
	writable := envOf("writable")
	nothing := envOf("nothing")
	frozen := filepath.Join(homes, "nothing")
	// Even the private copy has its place (TMPDIR) only here: the
	// refusal is tested below.
	if err := os.Chown(filepath.Join(frozen, "tmp"), 0, 0); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(frozen, "tmp"), 0o1777)
	for _, d := range []string{"home", "config", "cache"} {
		freeze(t, filepath.Join(frozen, d))
	}

	bundleDir := nobodysDir(t, openDir(t), "bundles")
	knownAt := time.Now().UTC().Format(time.RFC3339Nano)
	readers := []struct {
		name string
		args []string
	}{
		{"show", []string{"show", inc, "--as-of", "2025-03-12T12:00:00Z"}},
		{"timeline", []string{"timeline", inc, "--as-of", "2025-03-12T12:00:00Z"}},
		{"deadlines", []string{"deadlines", "--as-of", "2025-03-12T12:00:00Z"}},
		{"list", []string{"list"}},
		{"log", []string{"log", "--json"}},
		{"report", []string{"report", "--incident", inc}},
		{"register", []string{"register"}},
		// Known at a fixed moment after the last append: the digest of a
		// report covers the cut it was made at.
		{"replay", []string{"replay", "--as-of", "2025-03-12T12:00:00Z", "--known-at", knownAt}},
		{"verify", []string{"verify", "--json"}},
		{"export", []string{"export", "--bundle", "BUNDLE", "--key", pub}},
	}
	n := 0
	run := func(t *testing.T, env []string, ledgerPath string, args []string) (result, []byte) {
		n++
		out := filepath.Join(bundleDir, fmt.Sprintf("%d.bundle", n))
		full := []string{"--ledger", ledgerPath, "--actor", "auditor"}
		for _, a := range args {
			if a == "BUNDLE" {
				a = out
			}
			full = append(full, a)
		}
		r := asNobody(t, bin, env, full...)
		// What legitimately differs: where the ledger is, and the
		// moment each run reads it at (known at now).
		r.stdout = strings.ReplaceAll(r.stdout, out, "<BUNDLE>")
		r.stdout = strings.ReplaceAll(r.stdout, filepath.Dir(ledgerPath), "<DIR>")
		r.stdout = nowRE.ReplaceAllString(r.stdout, "<NOW>")
		bundle, _ := os.ReadFile(out)
		return r, bundle
	}
	for _, e := range []struct {
		name string
		env  []string
	}{{"writable home", writable}, {"nothing writable", nothing}} {
		for _, rd := range readers {
			t.Run(e.name+"/"+rd.name, func(t *testing.T) {
				want, wantBundle := run(t, e.env, ref, rd.args)
				// Readers keep views in the cache directory, never in the
				// ledger file (issue 15): a reader that wrote them there fails.
				if keptInLedgerFile(t, ref) {
					t.Fatalf("%s wrote kept read models (rm_* tables) into the ledger file %s", rd.name, ref)
				}
				if want.code != 0 && want.code != 7 {
					t.Fatalf("on a writable copy: exit %d\n%s", want.code, want.stderr)
				}
				for _, place := range []struct{ name, path string }{{"no -wal", quiet}, {"-wal and -shm", withSHM}, {"-wal alone", walOnly}} {
					dir := filepath.Dir(place.path)
					state := dirState(t, dir)
					got, gotBundle := run(t, e.env, place.path, rd.args)
					if got.code != want.code || got.stdout != want.stdout {
						t.Errorf("%s: exit %d, want %d as on a writable copy; stdout (-want +got):\n%s\nstderr:\n%s", place.name, got.code, want.code, cmp.Diff(want.stdout, got.stdout), got.stderr)
					}
					if !bytes.Equal(gotBundle, wantBundle) {
						t.Errorf("%s: the bundle differs from the writable copy's", place.name)
					}
					sameDir(t, place.name, dir, state)
					// verify pins the key at each new location, or says
					// it could not, and verifies all the same.
					if rd.name == "verify" && e.name == "nothing writable" && !strings.Contains(got.stderr, "not pinned: ") {
						t.Errorf("%s: verify with no writable configuration directory says nothing of the pin it could not keep:\n%s", place.name, got.stderr)
					}
				}
			})
		}
	}
	// The reader answered with every event, the -wal's included.
	r, _ := run(t, writable, walOnly, []string{"log", "--json"})
	if got := uint64(strings.Count(r.stdout, `"event_id"`)); got != total {
		t.Errorf("log on the ledger with its -wal alone: %d events, want %d", got, total)
	}

	t.Run("no place for a private copy", func(t *testing.T) {
		env := append(append([]string{}, nothing...), "TMPDIR="+filepath.Join(frozen, "home"))
		state := dirState(t, filepath.Dir(walOnly))
		r := asNobody(t, bin, env, "--ledger", walOnly, "--actor", "auditor", "list")
		if r.code == 0 || !strings.Contains(r.stderr, walOnly+"-wal") {
			t.Errorf("list with its -wal unusable and no place for a copy: exit %d, want a refusal naming %s-wal\n%s%s", r.code, walOnly, r.stdout, r.stderr)
		}
		sameDir(t, "refused", filepath.Dir(walOnly), state)
	})

	t.Run("not a ledger", func(t *testing.T) {
		dir := nobodysDir(t, openDir(t), "files")
		empty := filepath.Join(dir, "empty.db")
		foreign := filepath.Join(dir, "contacts.db")
		text := filepath.Join(dir, "notes.txt")
		if err := os.WriteFile(empty, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(text, []byte("not a ledger\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", foreign) // a rollback journal, as most applications'
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(context.Background(), `CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('a')`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		for _, p := range []string{empty, foreign, text} {
			os.Chown(p, nobody, nobody)
		}
		state := dirState(t, dir)
		for _, tt := range []struct {
			path string
			code int
			says string
		}{
			{empty, 3, "no ledger"},
			{foreign, 1, "not a breachledger ledger"},
			{text, 1, "not a SQLite database"},
		} {
			// nobody owns the files and may write the directory: only
			// the reader's own restraint keeps them as they are.
			r := asNobody(t, bin, writable, "--ledger", tt.path, "--actor", "auditor", "list")
			if r.code != tt.code || !strings.Contains(r.stderr, tt.says) {
				t.Errorf("list on %s: exit %d, want %d saying %q\n%s", filepath.Base(tt.path), r.code, tt.code, tt.says, r.stderr)
			}
		}
		sameDir(t, "list on files that are not ledgers", dir, state)
	})
}
