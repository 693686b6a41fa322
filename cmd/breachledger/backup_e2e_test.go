package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// Issue 15, safe copies: "backup" of a ledger that other processes keep
// appending to, with its newest appends still in its -wal, yields a copy
// that verifies (also against a checkpoint kept before the backup) and
// holds every event acknowledged before the backup began; over an existing
// file it refuses and changes nothing; it writes nothing beside the ledger.
func TestBackupLive(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "backup", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:00:00Z")
	c.register("2025-03-01T00:00:00Z", "oscar")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "backup under load", "--at", "2025-03-07T00:00:00Z"))
	dir := t.TempDir()
	pub := filepath.Join(dir, "ledger.pub")
	kept := filepath.Join(dir, "kept.checkpoint")
	c.ok("alice", "key", "public", "-o", pub)
	c.ok("alice", "checkpoint", "-o", kept)
	// The kept checkpoint's size: its note's second line (C2SP
	// tlog-checkpoint: origin, size, root).
	keptNote, err := os.ReadFile(kept)
	if err != nil {
		t.Fatal(err)
	}
	var keptSize int
	if lines := strings.Split(string(keptNote), "\n"); len(lines) < 3 {
		t.Fatalf("kept checkpoint:\n%s", keptNote)
	} else if _, err := fmt.Sscanf(lines[1], "%d", &keptSize); err != nil || keptSize < 5 {
		// init, the backdate-window, grant, register, detect: 5 at least.
		t.Fatalf("kept checkpoint's size %q: %v, want 5 or more", lines[1], err)
	}

	// A connection held open, as serve holds one: SQLite then folds no
	// append into the file when a writer closes, so they stay in the -wal.
	hold, err := sqlite.Open(t.Context(), c.ledger, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	if _, err = hold.Head(t.Context()); err != nil {
		t.Fatal(err)
	}

	// Two processes appending notes in a loop, each note acknowledged by
	// its event ID on stdout.
	var (
		mu    sync.Mutex
		acked []string
		stop  = make(chan struct{})
		wg    sync.WaitGroup
		fails []string
	)
	note := func(w int) {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			r := c.exec("oscar", "note", inc, fmt.Sprintf("note %d of writer %d", i, w), "--json")
			var out struct {
				Events []struct {
					EventID string `json:"event_id"`
				} `json:"events"`
			}
			mu.Lock()
			if r.err != nil || r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || len(out.Events) != 1 {
				fails = append(fails, fmt.Sprintf("writer %d note %d: exit %d %v\n%s%s", w, i, r.code, r.err, r.stdout, r.stderr))
			} else {
				acked = append(acked, out.Events[0].EventID)
			}
			mu.Unlock()
		}
	}
	wg.Add(2)
	go note(1)
	go note(2)
	// Wait for a few acknowledged notes, then take what was acknowledged
	// before the backup begins.
	for {
		mu.Lock()
		n := len(acked) + len(fails)
		mu.Unlock()
		if n >= 6 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	before := slices.Clone(acked)
	mu.Unlock()
	if fi, err := os.Stat(c.ledger + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("the test needs appends in the -wal: %v, %v", fi, err)
	}
	ledgerDir := listNames(t, filepath.Dir(c.ledger))

	out := t.TempDir()
	dest := filepath.Join(out, "copy.db")
	r := c.run("auditor", "backup", dest, "--key", pub, "--against", kept, "--json")
	close(stop)
	wg.Wait()
	if len(fails) > 0 {
		t.Fatalf("%d notes failed; first: %s", len(fails), fails[0])
	}
	if r.code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var got struct {
		Path       string `json:"path"`
		Events     uint64 `json:"events"`
		Checkpoint struct {
			Size uint64 `json:"size"`
			Root []byte `json:"root"`
		} `json:"checkpoint"`
		Against []uint64 `json:"against"`
		OK      bool     `json:"ok"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("backup --json: %v\n%s", err, r.stdout)
	}

	// What the copy holds, read on its own.
	ids := ledgerIDs(t, dest)
	in := map[string]bool{}
	for _, id := range ids {
		in[id] = true
	}
	for _, id := range before {
		if !in[id] {
			t.Errorf("note %s was acknowledged before the backup began, and is not in the copy", id)
		}
	}
	// Each SQLite append is checkpointed in its own transaction: the
	// copy's newest checkpoint covers every event in it.
	if want := uint64(len(ids)); !got.OK || got.Events != want || got.Checkpoint.Size != want || got.Path != dest {
		t.Errorf("backup said ok %v, %d events, checkpoint of %d, path %s; want ok, %d events, a checkpoint of all %d, %s",
			got.OK, got.Events, got.Checkpoint.Size, got.Path, want, want, dest)
	}
	if min := keptSize + len(before); len(ids) < min {
		t.Errorf("copy holds %d events, want at least %d (%d when the checkpoint was kept + %d notes acknowledged before the backup)", len(ids), min, keptSize, len(before))
	}
	if !slices.Equal(got.Against, []uint64{uint64(keptSize)}) {
		t.Errorf("backup against = %v, want [%d] (the kept checkpoint's size)", got.Against, keptSize)
	}
	if names := listNames(t, filepath.Dir(c.ledger)); !cmp.Equal(names, ledgerDir) {
		t.Errorf("beside the ledger after backup: %q, want %q as before", names, ledgerDir)
	}
	if names := listNames(t, out); !cmp.Equal(names, []string{"copy.db"}) {
		t.Errorf("beside the copy: %q, want only copy.db", names)
	}

	// Over an existing file: refused, nothing changed.
	copyBytes, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	again := c.run("auditor", "backup", dest, "--key", pub)
	if again.code != 4 || !strings.Contains(again.stderr, "backup-file-exists") || !strings.Contains(again.stderr, dest) {
		t.Errorf("backup over an existing file: exit %d, want 4 naming the rule backup-file-exists and %s\n%s", again.code, dest, again.stderr)
	}
	if b, _ := os.ReadFile(dest); !bytes.Equal(b, copyBytes) {
		t.Errorf("backup over an existing file changed it")
	}
	if names := listNames(t, out); !cmp.Equal(names, []string{"copy.db"}) {
		t.Errorf("beside the copy after the refusal: %q, want only copy.db", names)
	}

	// An auditor's check of the copy, with the key and checkpoint kept.
	auditor := &cli{tb: t, ledger: dest, env: []string{"XDG_CONFIG_HOME=" + t.TempDir()}}
	v := auditor.ok("auditor", "verify", "--key", pub, "--against", kept)
	if !strings.Contains(v, fmt.Sprintf("consistent with the kept checkpoint of %d events", keptSize)) || !strings.HasSuffix(strings.TrimSpace(strings.Split(v, "pinned now")[0]), "intact") {
		t.Errorf("verify of the copy against the kept checkpoint:\n%s", v)
	}
}

// TestBackupRefusals: what backup refuses before it copies anything.
func TestBackupRefusals(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "refusals", "--at", "2025-03-01T00:00:00Z")
	dest := filepath.Join(t.TempDir(), "copy.db")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no destination", []string{"backup"}, 2, "DEST"},
		{"two destinations", []string{"backup", dest, dest + "2"}, 2, "DEST"},
		{"EventStoreDB", []string{"--ledger", "esdb://localhost:2113?tls=false", "backup", dest}, 4, "export --bundle"},
		{"no ledger", []string{"--ledger", filepath.Join(t.TempDir(), "none.db"), "backup", dest}, 3, "no ledger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runBinary(t, "", []string{"BREACHLEDGER_LEDGER=" + c.ledger}, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("breachledger %s: exit %d, want %d saying %q\n%s", strings.Join(tt.args, " "), r.code, tt.code, tt.want, r.stderr)
			}
			if _, err := os.Lstat(dest); err == nil {
				t.Errorf("a refused backup left %s", dest)
			}
		})
	}
}

// TestBackupReadOnlyDirectory: an auditor (an unprivileged user) backs up
// a ledger in a directory they cannot write to, its newest events still in
// a -wal with no -shm beside it (SQLite cannot read it in place there): the
// copy holds them all, and the directory and the ledger's files are as
// they were.
func TestBackupReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the binary as another, unprivileged user (a directory's mode means nothing to root)")
	}
	c := newLedger(t)
	c.ok("alice", "init", "--name", "readonly", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:00:00Z")
	c.register("2025-03-01T00:00:00Z", "oscar")
	hold, err := sqlite.Open(t.Context(), c.ledger, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "in the -wal", "--at", "2025-03-07T00:00:00Z")
	head, err := hold.Head(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	// A world-readable place: the binary, the ledger in a 0555 directory
	// (its file and -wal, as an auditor was handed them), the public key,
	// and a directory the user may write the copy into.
	root, err := os.MkdirTemp("", "breachledger-backup-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(root)
	})
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "breachledger")
	copyTo(t, binary, bin, 0o755)
	ro := filepath.Join(root, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	copyTo(t, c.ledger, filepath.Join(ro, "ledger.db"), 0o644)
	copyTo(t, c.ledger+"-wal", filepath.Join(ro, "ledger.db-wal"), 0o644)
	pub := filepath.Join(root, "ledger.pub")
	c.ok("alice", "key", "public", "-o", pub)
	if err := os.Chmod(pub, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "out")
	if err := os.Mkdir(out, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o777); err != nil {
		t.Fatal(err)
	}
	ledgerBytes, _ := os.ReadFile(filepath.Join(ro, "ledger.db"))
	walBytes, _ := os.ReadFile(filepath.Join(ro, "ledger.db-wal"))
	// What "cp ledger.db" would give: fewer events, without the -wal's.
	plain := filepath.Join(t.TempDir(), "plain.db")
	copyTo(t, filepath.Join(ro, "ledger.db"), plain, 0o600)
	if len(walBytes) == 0 || uint64(len(ledgerIDs(t, plain))) >= head {
		t.Fatalf("the test needs events in the -wal: %d bytes there, %d of %d events in the file alone", len(walBytes), len(ledgerIDs(t, plain)), head)
	}

	dest := filepath.Join(out, "copy.db")
	cmd := exec.Command(bin, "--ledger", filepath.Join(ro, "ledger.db"), "backup", dest, "--key", pub, "--json")
	cmd.Env = []string{"HOME=/nonexistent", "XDG_CONFIG_HOME=/nonexistent/config", "XDG_CACHE_HOME=/nonexistent/cache", "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("backup as nobody: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	var got struct {
		Events uint64 `json:"events"`
		OK     bool   `json:"ok"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("backup --json: %v\n%s", err, stdout.String())
	}
	if want := head; !got.OK || got.Events != want || uint64(len(ledgerIDs(t, dest))) != want {
		t.Errorf("backup of the read-only ledger: ok %v, %d events (%d in the copy), want ok and all %d (the detection was in the -wal)", got.OK, got.Events, len(ledgerIDs(t, dest)), want)
	}
	if names := listNames(t, ro); !cmp.Equal(names, []string{"ledger.db", "ledger.db-wal"}) {
		t.Errorf("read-only directory after backup: %q, want ledger.db and ledger.db-wal only", names)
	}
	if b, _ := os.ReadFile(filepath.Join(ro, "ledger.db")); !bytes.Equal(b, ledgerBytes) {
		t.Errorf("backup changed the ledger file")
	}
	if b, _ := os.ReadFile(filepath.Join(ro, "ledger.db-wal")); !bytes.Equal(b, walBytes) {
		t.Errorf("backup changed the -wal")
	}
}

// ledgerIDs returns the event IDs of the ledger file at path, in order,
// read as readers read it (changing nothing).
func ledgerIDs(t *testing.T, path string) []string {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, err := s.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		if r.Sequence != uint64(i) {
			t.Fatalf("%s: event %d has sequence %d", path, i, r.Sequence)
		}
		ids[i] = r.ID.String()
	}
	return ids
}

func listNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// copyTo copies the file from to the new file to with mode.
func copyTo(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(to, mode); err != nil {
		t.Fatal(err)
	}
}
