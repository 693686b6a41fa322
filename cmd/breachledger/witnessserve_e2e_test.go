package main_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Issue 16, "a breachledger witness command for an auditor who wants one
// binary": the auditor makes a witness key, adds the ledger's log to the
// witness's own database, and runs "witness serve"; the ledger's admin
// adds the witness; every write is then cosigned by it, verify --witness
// checks it, and a fork signed with the ledger key gets a 422 (exit 6 on
// witness submit). None of it touches a ledger on the witness's side.

// witnessServer is "breachledger witness serve" running.
type witnessServer struct {
	url, vkey string
	cmd       *exec.Cmd
	stderr    *lockedBuffer
	done      chan struct{}
}

// startWitnessServe runs "witness serve --listen 127.0.0.1:0" on db with
// key, and returns its address and verifier key as it printed them; the
// test stops it with SIGTERM at cleanup (or earlier, with stop).
func startWitnessServe(t *testing.T, db, key string) *witnessServer {
	t.Helper()
	cmd := exec.Command(binary, "--ledger", filepath.Join(t.TempDir(), "none", "ledger.db"), "witness", "serve", "--db", db, "--key", key, "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "HOME="+home)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &witnessServer{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(t) })
	r := bufio.NewReader(stdout)
	line, err := r.ReadString('\n')
	m := listeningRE.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("witness serve printed %q (%v)\n%s", line, err, s.stderr.String())
	}
	s.url = m[1]
	line, err = r.ReadString('\n')
	_, vkey, ok := strings.Cut(strings.TrimSpace(line), ", verifier key ")
	if err != nil || !ok {
		t.Fatalf("witness serve's second line %q (%v), want its verifier key", line, err)
	}
	s.vkey = vkey
	go func() { io.Copy(io.Discard, stdout); close(s.done) }()
	return s
}

// stop sends SIGTERM: the witness finishes the requests in flight, says
// so, and exits 0.
func (s *witnessServer) stop(t *testing.T) {
	t.Helper()
	if s.cmd.ProcessState != nil {
		return
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM witness serve: %v", err)
	}
	<-s.done
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("witness serve exited with %v after SIGTERM, want 0\n%s", err, s.stderr.String())
	}
	if !strings.Contains(s.stderr.String(), "msg=stopped") {
		t.Errorf("witness serve did not say it stopped:\n%s", s.stderr.String())
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// witnessLog is "witness log list --json".
type witnessLog struct {
	Origin string   `json:"origin"`
	Size   uint64   `json:"size"`
	Root   string   `json:"root"`
	Keys   []string `json:"keys"`
}

// auditor runs the binary as the witness's operator: no ledger of theirs
// (--ledger names a file that does not exist, and stays so).
func auditorRun(t *testing.T, noLedger string, args ...string) result {
	t.Helper()
	r := runBinary(t, "", nil, append([]string{"--ledger", noLedger}, args...)...)
	if _, err := os.Stat(noLedger); err == nil {
		t.Fatalf("breachledger %s made the ledger file %s", strings.Join(args, " "), noLedger)
	}
	return r
}

func TestWitnessServe(t *testing.T) {
	dir := t.TempDir()
	noLedger := filepath.Join(dir, "no-ledger.db")
	key, db := filepath.Join(dir, "w1.key"), filepath.Join(dir, "witness.db")

	// The witness's key.
	r := auditorRun(t, noLedger, "witness", "keygen", "witness.test/ours", "-o", key)
	if r.code != 0 {
		t.Fatalf("witness keygen: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pubB, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	vkey := strings.TrimSpace(string(pubB))
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the private key's mode: %v (%v), want 0600", fi.Mode(), err)
	}
	if !strings.HasPrefix(vkey, "witness.test/ours+") || !strings.Contains(r.stdout, vkey) {
		t.Errorf("the verifier key %q is not what keygen printed:\n%s", vkey, r.stdout)
	}
	skey, _ := os.ReadFile(key)
	if r := auditorRun(t, noLedger, "witness", "keygen", "witness.test/ours", "-o", key); r.code != 4 || !strings.Contains(r.stderr, "key-file-exists") {
		t.Errorf("keygen over an existing key: exit %d, want 4 (key-file-exists)\n%s", r.code, r.stderr)
	}
	if again, _ := os.ReadFile(key); !bytes.Equal(again, skey) {
		t.Error("keygen overwrote the key")
	}
	if r := auditorRun(t, noLedger, "witness", "keygen", "two words", "-o", filepath.Join(dir, "x.key")); r.code != 2 {
		t.Errorf("keygen of a name with a space: exit %d, want 2", r.code)
	}

	// The ledger, and its log on the witness.
	c, inc, _ := smallLedger(t)
	_, pub := publicKeyIn(t, c)
	lpub, _ := os.ReadFile(pub)
	origin, _, _ := strings.Cut(strings.TrimSpace(string(lpub)), "+")
	if r := auditorRun(t, noLedger, "witness", "serve", "--db", db, "--key", key); r.code != 3 || !strings.Contains(r.stderr, "witness log add") {
		t.Errorf("serve before any log was added: exit %d, want 3 saying to add one\n%s", r.code, r.stderr)
	}
	if r := auditorRun(t, noLedger, "witness", "log", "add", "breachledger/someone/else", pub, "--db", db); r.code != 2 || !strings.Contains(r.stderr, "witness-log-key") || !strings.Contains(r.stderr, "not the origin") {
		t.Errorf("log add with a key named otherwise: exit %d, want 2 naming the rule\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a refused log add made the witness database")
	}
	if r := auditorRun(t, noLedger, "witness", "log", "add", origin, vkey, "--db", db); r.code != 2 || !strings.Contains(r.stderr, "witness's cosignature key") {
		t.Errorf("log add with the witness's own key: exit %d, want 2\n%s", r.code, r.stderr)
	}
	if r := auditorRun(t, noLedger, "witness", "log", "add", origin, pub, "--db", db); r.code != 0 || !strings.Contains(r.stdout, "added at size 0") {
		t.Fatalf("log add: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := auditorRun(t, noLedger, "witness", "log", "list", "--db", c.ledger); r.code != 2 || !strings.Contains(r.stderr, "not a witness database") {
		t.Errorf("log list on a ledger file: exit %d, want 2\n%s", r.code, r.stderr)
	}
	logs := func(t *testing.T) []witnessLog {
		t.Helper()
		r := auditorRun(t, noLedger, "witness", "log", "list", "--db", db, "--json")
		var out []witnessLog
		if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil || len(out) != 1 {
			t.Fatalf("log list --json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		return out
	}
	empty := sha256.Sum256(nil)
	if got := logs(t)[0]; got.Origin != origin || got.Size != 0 || got.Root != base64.StdEncoding.EncodeToString(empty[:]) || len(got.Keys) != 1 || got.Keys[0] != strings.TrimSpace(string(lpub)) {
		t.Fatalf("the log just added: %+v, want %s at 0 with the empty tree's root and the ledger's key", got, origin)
	}

	// A key file others may read is refused, and serves nothing.
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := auditorRun(t, noLedger, "witness", "serve", "--db", db, "--key", key); r.code != 2 || !strings.Contains(r.stderr, "chmod 600") {
		t.Errorf("serve with a key file of mode 0644: exit %d, want 2 saying chmod 600\n%s", r.code, r.stderr)
	}
	if err := os.Chmod(key, 0o600); err != nil {
		t.Fatal(err)
	}

	// The witness runs; the ledger's admin adds it.
	w := startWitnessServe(t, db, key)
	if w.vkey != vkey {
		t.Fatalf("serve's verifier key %q, want keygen's %q", w.vkey, vkey)
	}
	var rep witnessReport
	c.json(&rep, "verify")
	before := rep.Covered
	c.ok("alice", "witness", "add", key+".pub", w.url, "--reason", "the auditor's own witness")
	c.ok("oscar", "note", inc, "cosigned as it is written", "--at", "2025-03-08T10:00:00Z")
	c.json(&rep, "verify")
	if rep.Covered != before+2 { // the witness added, the note
		t.Fatalf("the newest checkpoint covers %d events, want %d", rep.Covered, before+2)
	}
	if got := logs(t)[0].Size; got != rep.Covered {
		t.Fatalf("the witness cosigned %d events, the newest checkpoint covers %d", got, rep.Covered)
	}
	out := c.ok("auditor", "verify", "--witness", key+".pub", "--quorum", "1", "--max-age", "1h")
	if !strings.Contains(out, "cosigned by 1 of 1 trusted witnesses") {
		t.Errorf("verify --witness does not say the checkpoint is cosigned:\n%s", out)
	}

	// A fork signed with the ledger key: the witness answers 422, submit
	// exits 6, and the witness stays where it was.
	c.ok("auditor", "witness", "submit")
	snapshot := copyLedger(t, c)
	c.ok("oscar", "note", inc, "the true next event", "--at", "2025-03-08T11:00:00Z")
	honest := logs(t)[0].Size
	if honest != before+3 {
		t.Fatalf("the witness is at %d, want %d", honest, before+3)
	}
	fork := copyLedger(t, snapshot).with(t)
	fork.ok("oscar", "note", inc, "a forged next event", "--at", "2025-03-08T11:00:00Z")
	r = fork.run("auditor", "witness", "submit")
	if r.code != 6 || !strings.Contains(r.stderr, "differs from what it saw") {
		t.Errorf("witness submit of the fork: exit %d, want 6 naming the fork\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := logs(t)[0].Size; got != honest {
		t.Errorf("the witness moved to %d on the fork, want %d", got, honest)
	}
	if r := fork.run("auditor", "verify", "--key", pub, "--witness", key+".pub", "--quorum", "1"); r.code != 6 || !strings.Contains(r.stdout+r.stderr, "0 valid cosignatures") {
		t.Errorf("verify --witness of the fork: exit %d, want 6\n%s%s", r.code, r.stdout, r.stderr)
	}
	if logged := w.stderr.String(); !strings.Contains(logged, "level=WARN msg=add-checkpoint") || !strings.Contains(logged, "status=422") {
		t.Errorf("the witness's log has no 422 warning for the fork:\n%s", logged)
	}

	// A ledger the witness does not know: 404 (litewitness says 403).
	other, _, _ := smallLedger(t)
	other.ok("alice", "witness", "add", key+".pub", w.url, "--reason", "a witness that does not know this ledger")
	if r := other.run("auditor", "witness", "submit"); r.code != 1 || !strings.Contains(r.stderr, "404") {
		t.Errorf("witness submit of an unknown log: exit %d, want 1 naming the 404\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Stopped and started again on the same database: the same key and
	// state; the next write is cosigned as an extension.
	w.stop(t)
	w = startWitnessServe(t, db, key)
	if w.vkey != vkey {
		t.Fatalf("after a restart the verifier key is %q, want %q", w.vkey, vkey)
	}
	c.ok("alice", "witness", "remove", key+".pub", "--reason", "it moved to another port")
	c.ok("alice", "witness", "add", key+".pub", w.url, "--reason", "the auditor's own witness, restarted")
	c.ok("oscar", "note", inc, "after the restart", "--at", "2025-03-08T12:00:00Z")
	c.json(&rep, "verify")
	if got := logs(t)[0].Size; got != rep.Covered || got != honest+3 {
		t.Errorf("after the restart the witness is at %d, want %d (the ledger's newest checkpoint, %d)", got, honest+3, rep.Covered)
	}
	c.ok("auditor", "verify", "--witness", key+".pub", "--quorum", "1", "--max-age", "1h")

	// The key stays trusted until removed: then the log's checkpoints are
	// refused (403), and the log itself stays.
	if r := auditorRun(t, noLedger, "witness", "log", "remove-key", origin, pub, "--db", db); r.code != 0 || !strings.Contains(r.stdout, "no key left") {
		t.Errorf("log remove-key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := auditorRun(t, noLedger, "witness", "log", "remove-key", origin, pub, "--db", db); r.code != 3 {
		t.Errorf("log remove-key of a key removed: exit %d, want 3\n%s", r.code, r.stderr)
	}
	if r := c.run("auditor", "witness", "submit"); r.code != 1 || !strings.Contains(r.stderr, "403") {
		t.Errorf("witness submit after the key was removed: exit %d, want 1 naming the 403\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := logs(t)[0]; len(got.Keys) != 0 || got.Size != honest+3 {
		t.Errorf("the log after its key was removed: %+v, want it kept at %d with no key", got, honest+3)
	}
}
