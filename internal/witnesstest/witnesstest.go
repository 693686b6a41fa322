// Package witnesstest runs real, independent C2SP tlog-witnesses for
// tests: filippo.io/torchwood's litewitness v0.6.1, the same program an
// auditor or another department would run, on 127.0.0.1, each with its own
// ssh-agent and Ed25519 key and its own SQLite database under the test's
// temporary directory.
//
// The binaries (litewitness and witnessctl) are built from the tools
// module in tools/litewitness, a Go module of its own so that torchwood's
// dependencies stay out of the product's go.mod. make test builds them once
// (make witness-tools) and names their directory in
// BREACHLEDGER_WITNESS_TOOLS. Without that variable (go test run by hand)
// the first test that needs them builds them into a directory under
// os.TempDir() named after the tools module's go.mod and go.sum, which every
// later test process and run reuses. A build that fails fails the test with
// the go command's output and what to do: a witness test never skips
// quietly.
//
// A witness speaks the protocol of c2sp.org/tlog-witness: POST
// URL+"/add-checkpoint" with the body
//
//	old OLDSIZE
//	PROOF LINE (base64, one per hash of the consistency proof from OLDSIZE)
//	...
//	(an empty line)
//	THE SIGNED CHECKPOINT NOTE
//
// answers 200 with its cosignature lines (c2sp.org/tlog-cosignature,
// cosignature/v1: append them to the note and open it with a verifier made
// from VKey), 409 with Content-Type text/x.tlog.size and the size it has
// last cosigned ("N\n") when OLDSIZE is not that size, 403 for a log it does
// not know or a checkpoint its keys do not verify, 422 for a consistency
// proof that does not prove the new checkpoint extends the one it cosigned,
// and 400 for a malformed request. witnesstest_test.go walks through each.
//
// It needs OpenSSH's ssh-agent, ssh-add and ssh-keygen (Debian's
// openssh-client, which .ci/run installs).
package witnesstest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breachledger/breachledger/internal/cachedir"
)

// ToolsEnv names the directory holding prebuilt litewitness and witnessctl
// binaries (make test sets it to .cache/tools after make witness-tools).
const ToolsEnv = "BREACHLEDGER_WITNESS_TOOLS"

// startTimeout is how long Start and Restart wait for litewitness to
// answer HTTP: generous, since these machines are slow under -race.
const startTimeout = 30 * time.Second

// stopTimeout is how long Stop waits after SIGINT (litewitness then shuts
// its HTTP server down) before it kills the process group.
const stopTimeout = 10 * time.Second

// A Witness is a running litewitness on 127.0.0.1, with its own ssh-agent
// and Ed25519 key.
type Witness struct {
	Name string // the witness's name, e.g. "witness.test/w1"
	URL  string // its submission prefix, "http://127.0.0.1:PORT"
	VKey string // its cosignature verifier key as litewitness prints it ("verifier key")

	tools       string // directory holding litewitness and witnessctl
	db          string // litewitness's SQLite database
	sock        string // its ssh-agent's socket
	fingerprint string // SHA256:... of its key, litewitness's -key
	listen      string // 127.0.0.1:PORT

	mu     sync.Mutex
	proc   *exec.Cmd     // litewitness while it runs, else nil
	exited chan struct{} // closed when proc has been waited for
	stderr *syncBuffer   // proc's standard error
}

// Start starts a witness named name (fresh key, fresh database under
// t.TempDir()), waits until it answers HTTP, and stops it (and its
// ssh-agent) in t.Cleanup. It fails the test with litewitness's stderr if
// it does not come up within 30 seconds.
func Start(t testing.TB, name string) *Witness {
	t.Helper()
	tools := Tools(t)
	needOpenSSH(t)

	dir := t.TempDir()
	key := filepath.Join(dir, "witness_ed25519")
	run(t, nil, "ssh-keygen", "-t", "ed25519", "-N", "", "-C", name, "-f", key, "-q")
	fp := fingerprint(t, key+".pub")

	w := &Witness{
		Name:        name,
		tools:       tools,
		db:          filepath.Join(dir, "litewitness.db"),
		sock:        startAgent(t),
		fingerprint: fp,
	}
	run(t, []string{"SSH_AUTH_SOCK=" + w.sock}, "ssh-add", "-q", key)
	t.Cleanup(func() { w.stop(t) })

	// A free port: listen on port 0, take the port, close, hand it to
	// litewitness. Another process may take it in between: then
	// litewitness fails to bind and we try another.
	for attempt := 1; ; attempt++ {
		w.listen = freePort(t)
		w.URL = "http://" + w.listen
		err := w.start(t)
		if err == nil {
			break
		}
		if !errors.Is(err, errAddrInUse) || attempt == 5 {
			t.Fatalf("start litewitness %s: %v", name, err)
		}
	}
	return w
}

// AddLog onboards a log: witnessctl add-log -origin origin, then add-key
// for each vkey (the log's note verifier keys; C2SP tlog-witness expects
// each key's name to be origin, and witnessctl warns when it is not). It
// may run while litewitness runs.
func (w *Witness) AddLog(t testing.TB, origin string, vkeys ...string) {
	t.Helper()
	w.witnessctl(t, "add-log", "-db", w.db, "-origin", origin)
	for _, vk := range vkeys {
		out := w.witnessctl(t, "add-key", "-db", w.db, "-origin", origin, "-key", vk)
		if strings.Contains(out, "Warning") {
			t.Logf("witness %s: %s", w.Name, strings.TrimSpace(out))
		}
	}
}

// Stop stops litewitness (not its database, key or ssh-agent): SIGINT,
// then SIGKILL to its process group if it has not exited within 10
// seconds. When Stop returns, nothing listens on the witness's port.
func (w *Witness) Stop(t testing.TB) {
	t.Helper()
	if !w.running() {
		t.Fatalf("stop witness %s: it is not running", w.Name)
	}
	w.stop(t)
}

// Restart starts litewitness again on the same port, database and key (to
// test a witness that was down); it fails the test if the witness comes
// back with another verifier key.
func (w *Witness) Restart(t testing.TB) {
	t.Helper()
	if w.running() {
		t.Fatalf("restart witness %s: it is running (Stop it first)", w.Name)
	}
	vkey := w.VKey
	var err error
	for attempt := 1; attempt <= 5; attempt++ {
		if err = w.start(t); !errors.Is(err, errAddrInUse) {
			break
		}
		time.Sleep(200 * time.Millisecond) // the port is held by someone else for now
	}
	if err != nil {
		t.Fatalf("restart litewitness %s on %s: %v", w.Name, w.listen, err)
	}
	if w.VKey != vkey {
		t.Fatalf("restart witness %s: verifier key %q, was %q", w.Name, w.VKey, vkey)
	}
}

// Size returns the size of the latest checkpoint the witness cosigned for
// origin (0 for a log it was given but has cosigned nothing of), from
// witnessctl list-logs. It fails the test for a log the witness does not
// know.
func (w *Witness) Size(t testing.TB, origin string) uint64 {
	t.Helper()
	out := w.witnessctl(t, "list-logs", "-db", w.db)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue // log.Printf lines from witnessctl, if any
		}
		var l struct {
			Origin string `json:"origin"`
			Size   uint64 `json:"size"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("read witnessctl list-logs of %s: %v in %q", w.Name, err, line)
		}
		if l.Origin == origin {
			return l.Size
		}
	}
	t.Fatalf("witness %s does not know log %q (AddLog it first); list-logs says:\n%s", w.Name, origin, out)
	return 0
}

// Tools returns the directory holding the litewitness and witnessctl
// binaries: $BREACHLEDGER_WITNESS_TOOLS, or one built from
// tools/litewitness under os.TempDir() (once per go.mod and go.sum of the
// tools module, shared by every test process and run).
func Tools(t testing.TB) string {
	t.Helper()
	toolsMu.Lock()
	defer toolsMu.Unlock()
	if toolsDir != "" {
		return toolsDir
	}
	if dir := os.Getenv(ToolsEnv); dir != "" {
		if err := haveTools(dir); err != nil {
			t.Fatalf("%s=%s: %v; run make witness-tools (it builds them there), or unset %s to let the tests build them", ToolsEnv, dir, err, ToolsEnv)
		}
		toolsDir = dir
		return dir
	}
	dir, err := buildTools()
	if err != nil {
		t.Fatalf("%v\n\nThe witness tests run a real litewitness (filippo.io/torchwood v0.6.1) built from tools/litewitness. "+
			"Building it needs the Go module proxy, or its modules in the module cache: run make witness-tools where the proxy is reachable "+
			"and set %s to the directory it prints (make test does both), or fix the error above.", err, ToolsEnv)
	}
	toolsDir = dir
	return dir
}

var (
	toolsMu  sync.Mutex
	toolsDir string
)

var toolNames = []string{"litewitness", "witnessctl"}

// toolPackages are the tool directives of tools/litewitness/go.mod.
var toolPackages = []string{"filippo.io/torchwood/cmd/litewitness", "filippo.io/torchwood/cmd/witnessctl"}

func haveTools(dir string) error {
	for _, name := range toolNames {
		fi, err := os.Stat(filepath.Join(dir, exe(name)))
		if err != nil {
			return err
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 && runtime.GOOS != "windows" {
			return fmt.Errorf("%s is not an executable", filepath.Join(dir, exe(name)))
		}
	}
	return nil
}

func exe(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}

// buildTools builds the tools module's binaries into
// os.TempDir()/breachledger-witness-tools-UID-HASH, where HASH covers its
// go.mod and go.sum, the Go version and the platform. Each process builds
// into a fresh directory of its own and renames it into place: a directory
// rename is atomic, so a process that loses the race to another uses the
// winner's directory, and nobody ever sees a half-written binary.
func buildTools() (string, error) {
	mod, err := toolsModule()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(mod, f))
		if err != nil {
			return "", fmt.Errorf("read tools module: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	fmt.Fprintf(h, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	final := filepath.Join(os.TempDir(), fmt.Sprintf("breachledger-witness-tools-%d-%s", os.Geteuid(), hex.EncodeToString(h.Sum(nil))[:16]))
	if ok, err := trustedTools(final); ok || err != nil {
		return final, err
	}

	tmp, err := os.MkdirTemp(os.TempDir(), "breachledger-witness-tools-build-")
	if err != nil {
		return "", fmt.Errorf("make build directory: %w", err)
	}
	defer os.RemoveAll(tmp) // gone once renamed; removes a failed or losing build
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	args := append([]string{"build", "-C", mod, "-buildvcs=false", "-o", tmp + string(filepath.Separator)}, toolPackages...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build witness tools: go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	if err := haveTools(tmp); err != nil {
		return "", fmt.Errorf("build witness tools: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		// Another process renamed its build into place first.
		if ok, err2 := trustedTools(final); ok || err2 != nil {
			return final, err2
		}
		return "", fmt.Errorf("keep witness tools: %w", err)
	}
	return final, nil
}

// trustedTools reports whether dir holds the tools, in a directory of the
// effective user's that nobody else may write (it is under a shared
// temporary directory, and we execute what it holds).
func trustedTools(dir string) (bool, error) {
	fi, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check witness tools: %w", err)
	}
	if !fi.IsDir() || !cachedir.OwnedByMe(fi) || fi.Mode().Perm()&0o022 != 0 {
		return false, fmt.Errorf("check witness tools: %s is not a directory of yours that only you may write; remove it (the next test run builds it again)", dir)
	}
	if err := haveTools(dir); err != nil {
		return false, fmt.Errorf("check witness tools: %w; remove %s (the next test run builds it again)", err, dir)
	}
	return true, nil
}

// toolsModule finds tools/litewitness from this file's own source
// directory (not the working directory, which is whatever package's test
// is running).
func toolsModule() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", fmt.Errorf("find tools/litewitness: this package was built without its source path (%q); set %s", file, ToolsEnv)
	}
	mod := filepath.Join(filepath.Dir(file), "..", "..", "tools", "litewitness")
	if _, err := os.Stat(filepath.Join(mod, "go.mod")); err != nil {
		return "", fmt.Errorf("find tools/litewitness: %w", err)
	}
	return mod, nil
}

// needOpenSSH fails the test when OpenSSH's client tools are missing.
func needOpenSSH(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"ssh-agent", "ssh-add", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: a witness keeps its key in ssh-agent; install Debian's openssh-client (.ci/run installs it)", tool)
		}
	}
}

// run runs a command to completion and fails the test with its output
// if it fails.
func run(t testing.TB, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// fingerprint returns the SHA256:... fingerprint of a public key file, as
// litewitness's -key takes it.
func fingerprint(t testing.TB, pub string) string {
	t.Helper()
	out := run(t, nil, "ssh-keygen", "-l", "-E", "sha256", "-f", pub)
	f := strings.Fields(out)
	if len(f) < 2 || !strings.HasPrefix(f[1], "SHA256:") {
		t.Fatalf("read fingerprint of %s: ssh-keygen -lf printed %q", pub, out)
	}
	return f[1]
}

// startAgent starts OpenSSH's ssh-agent in the foreground on a socket in
// a short directory of its own under os.TempDir() (a Unix socket's path
// is limited to about 108 bytes, and t.TempDir() can be longer), and
// kills it in t.Cleanup.
func startAgent(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "blw-")
	if err != nil {
		t.Fatalf("make ssh-agent directory: %v", err)
	}
	sock := filepath.Join(dir, "agent.sock")
	var out syncBuffer
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		t.Fatalf("start ssh-agent: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		signalGroup(cmd.Process, os.Kill)
		<-exited
		os.RemoveAll(dir)
	})
	deadline := time.Now().Add(startTimeout)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return sock
		}
		select {
		case <-exited:
			t.Fatalf("start ssh-agent: it exited: %s\n%s", cmd.ProcessState, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("start ssh-agent: no socket at %s after %s\n%s", sock, startTimeout, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

var errAddrInUse = errors.New("address already in use")

// start runs litewitness on w.listen and waits until it answers HTTP and
// has printed its verifier key. On failure nothing is left running.
func (w *Witness) start(t testing.TB) error {
	t.Helper()
	stderr := new(syncBuffer)
	cmd := exec.Command(filepath.Join(w.tools, exe("litewitness")),
		"-name", w.Name, "-db", w.db, "-ssh-agent", w.sock, "-listen", w.listen, "-key", w.fingerprint)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run litewitness: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	w.mu.Lock()
	w.proc, w.exited, w.stderr = cmd, exited, stderr
	w.mu.Unlock()

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-exited:
			w.mu.Lock()
			w.proc = nil
			w.mu.Unlock()
			if strings.Contains(stderr.String(), "address already in use") {
				return fmt.Errorf("%w: %s", errAddrInUse, w.listen)
			}
			return fmt.Errorf("litewitness exited (%s); its stderr:\n%s", cmd.ProcessState, stderr.String())
		default:
		}
		if resp, err := client.Get(w.URL + "/"); err == nil {
			resp.Body.Close()
			vkey, err := verifierKey(stderr.String())
			if err != nil {
				w.stop(t)
				return fmt.Errorf("%w; its stderr:\n%s", err, stderr.String())
			}
			w.VKey = vkey
			return nil
		}
		if time.Now().After(deadline) {
			w.stop(t)
			return fmt.Errorf("litewitness did not answer on %s within %s; its stderr:\n%s", w.URL, startTimeout, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verifierKey finds the vkey in litewitness's "verifier key" log line
// (log/slog's text format: msg="verifier key" vkey=NAME+HASH+KEY).
func verifierKey(stderr string) (string, error) {
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.Contains(line, `msg="verifier key"`) {
			continue
		}
		_, v, ok := strings.Cut(line, " vkey=")
		if !ok {
			break
		}
		if strings.HasPrefix(v, `"`) {
			s, err := strconv.QuotedPrefix(v)
			if err != nil {
				return "", fmt.Errorf("read litewitness's verifier key: %w", err)
			}
			return strconv.Unquote(s)
		}
		v, _, _ = strings.Cut(v, " ")
		return v, nil
	}
	return "", errors.New(`litewitness answers but printed no "verifier key" line with vkey=`)
}

func (w *Witness) running() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.proc != nil
}

// stop stops litewitness if it runs: SIGINT to its process group, SIGKILL
// after stopTimeout; it returns once the process has been waited for.
func (w *Witness) stop(t testing.TB) {
	t.Helper()
	w.mu.Lock()
	cmd, exited := w.proc, w.exited
	w.proc = nil
	w.mu.Unlock()
	if cmd == nil {
		return
	}
	signalGroup(cmd.Process, os.Interrupt)
	select {
	case <-exited:
	case <-time.After(stopTimeout):
		t.Logf("witness %s did not stop within %s of SIGINT; killing it", w.Name, stopTimeout)
		signalGroup(cmd.Process, os.Kill)
		<-exited
	}
	// litewitness's children, if it ever had any, go with its group.
	signalGroup(cmd.Process, os.Kill)
}

// witnessctl runs witnessctl with args, retrying briefly while the
// database is busy (litewitness may be writing it), and fails the test
// with its output otherwise.
func (w *Witness) witnessctl(t testing.TB, args ...string) string {
	t.Helper()
	var out []byte
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		cmd := exec.Command(filepath.Join(w.tools, exe("witnessctl")), args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
		out = append(stdout.Bytes(), stderr.Bytes()...)
		if err == nil || !bytes.Contains(bytes.ToLower(out), []byte("database is locked")) && !bytes.Contains(bytes.ToLower(out), []byte("busy")) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("run witnessctl %s for witness %s: %v\n%s", strings.Join(args, " "), w.Name, err, out)
	}
	return string(out)
}

// syncBuffer is a bytes.Buffer safe for a process's output copier and a
// reader at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
