package witnesstest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"
)

type response struct {
	status      int
	contentType string
	body        string
}

// addCheckpoint is the whole of a tlog-witness client: POST
// URL/add-checkpoint with "old N", the proof's hashes in base64 one a line,
// an empty line, then the signed checkpoint.
func addCheckpoint(t *testing.T, w *Witness, old uint64, proof [][]byte, signed []byte) response {
	t.Helper()
	var body bytes.Buffer
	fmt.Fprintf(&body, "old %d\n", old)
	for _, h := range proof {
		fmt.Fprintf(&body, "%s\n", base64.StdEncoding.EncodeToString(h))
	}
	body.WriteString("\n")
	body.Write(signed)
	resp, err := http.Post(w.URL+"/add-checkpoint", "text/plain", &body)
	if err != nil {
		t.Fatalf("POST %s/add-checkpoint: %v", w.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

// checkCosigned checks a 200 answer: one cosignature line, by w, which
// verifies over the checkpoint with w's verifier key and is dated between
// from and now (cosignature/v1 carries a timestamp in seconds).
func checkCosigned(t *testing.T, w *Witness, signed []byte, got response, from time.Time) {
	t.Helper()
	if got.status != http.StatusOK {
		t.Fatalf("add-checkpoint: status %d %q, want 200", got.status, got.body)
	}
	lines := strings.Split(strings.TrimSuffix(got.body, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "— "+w.Name+" ") {
		t.Fatalf("add-checkpoint: body %q, want one cosignature line by %s", got.body, w.Name)
	}
	v, err := fnote.NewVerifierForCosignatureV1(w.VKey)
	if err != nil {
		t.Fatalf("NewVerifierForCosignatureV1(%q): %v", w.VKey, err)
	}
	n, err := note.Open(append(bytes.Clone(signed), got.body...), note.VerifierList(v))
	if err != nil {
		t.Fatalf("open the checkpoint with %s's cosignature: %v", w.Name, err)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != w.Name {
		t.Fatalf("verified signatures %+v, want one by %s", n.Sigs, w.Name)
	}
	if len(n.UnverifiedSigs) != 1 {
		t.Fatalf("unverified signatures %+v, want only the log's own", n.UnverifiedSigs)
	}
	ts, err := fnote.CoSigV1Timestamp(n.Sigs[0])
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi := from.Truncate(time.Second), time.Now().Add(time.Second); ts.Before(lo) || ts.After(hi) {
		t.Errorf("cosignature timestamp %s, want within [%s, %s]", ts, lo, hi)
	}
}

// checkConflict checks a 409 answer: the witness's latest size, as
// text/x.tlog.size.
func checkConflict(t *testing.T, got response, size uint64) {
	t.Helper()
	want := response{http.StatusConflict, "text/x.tlog.size", strconv.FormatUint(size, 10) + "\n"}
	if got != want {
		t.Fatalf("add-checkpoint: got %+v, want %+v", got, want)
	}
}

// TestRFC6962RootByHand pins the tree the witness tests sign to RFC 6962
// computed by hand: leaf hash SHA-256(0x00 || leaf), node hash
// SHA-256(0x01 || left || right), and a tree of 3 the node of the first two
// with the third.
func TestRFC6962RootByHand(t *testing.T) {
	leaf := func(s string) []byte { h := sha256.Sum256(append([]byte{0}, s...)); return h[:] }
	node := func(l, r []byte) []byte {
		h := sha256.Sum256(append(append([]byte{1}, l...), r...))
		return h[:]
	}
	l := NewLog(t, "breachledger/test/byhand", "a", "b", "c")
	want := node(node(leaf("a"), leaf("b")), leaf("c"))
	if got := l.tree.Hash(); !bytes.Equal(got, want) {
		t.Fatalf("root of a, b, c: got %x, want %x", got, want)
	}
	// The empty tree a witness starts a log at (witnessctl add-log).
	empty := sha256.Sum256(nil)
	if got := testonly.New(rfc6962.DefaultHasher).Hash(); !bytes.Equal(got, empty[:]) {
		t.Fatalf("root of the empty tree: got %x, want %x", got, empty)
	}
}

// TestWitness proves the harness gives a real, working C2SP tlog-witness,
// and documents the protocol a witness client speaks: a first checkpoint
// cosigned, an extension proven consistent cosigned, a stale old size
// answered with the witness's size, forks refused, and the witness's state
// kept across a restart.
func TestWitness(t *testing.T) {
	start := time.Now()
	w := Start(t, "witness.test/w1")
	t.Logf("witness %s up at %s in %s (litewitness from %s), vkey %s", w.Name, w.URL, time.Since(start).Round(time.Millisecond), Tools(t), w.VKey)
	if !strings.HasPrefix(w.URL, "http://127.0.0.1:") {
		t.Errorf("URL %q, want http://127.0.0.1:PORT", w.URL)
	}
	if name, _, _ := strings.Cut(w.VKey, "+"); name != w.Name {
		t.Errorf("VKey %q is not named %s", w.VKey, w.Name)
	}

	walkProtocol(t, w, http.StatusForbidden, start) // litewitness answers 403 to a log it does not know
}

// TestTwoWitnesses runs two witnesses at once, as a quorum test will: each
// its own port and key, each cosigning the same checkpoint independently.
func TestTwoWitnesses(t *testing.T) {
	start := time.Now()
	w1, w2 := Start(t, "witness.test/a"), Start(t, "witness.test/b")
	if w1.URL == w2.URL || w1.VKey == w2.VKey {
		t.Fatalf("two witnesses share a URL or key: %s %s, %s %s", w1.URL, w1.VKey, w2.URL, w2.VKey)
	}
	l := NewLog(t, "breachledger/test/two", "e0", "e1")
	for _, w := range []*Witness{w1, w2} {
		w.AddLog(t, l.Origin, l.VKey)
	}
	cp := l.Checkpoint(t)
	for _, w := range []*Witness{w1, w2} {
		checkCosigned(t, w, cp, addCheckpoint(t, w, 0, nil, cp), start)
	}
	// w2 down does not stop w1.
	w2.Stop(t)
	l.Add("e2")
	cp3 := l.Checkpoint(t)
	checkCosigned(t, w1, cp3, addCheckpoint(t, w1, 2, l.Proof(t, 2), cp3), start)
	if got := []uint64{w1.Size(t, l.Origin), w2.Size(t, l.Origin)}; got[0] != 3 || got[1] != 2 {
		t.Fatalf("sizes %v, want [3 2]", got)
	}
}

// TestCleanupLeavesNothingRunning checks that a test's end stops its
// witness's litewitness and ssh-agent and removes the agent's socket.
func TestCleanupLeavesNothingRunning(t *testing.T) {
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc to look for the processes in")
	}
	var w *Witness
	var agentDir string
	t.Run("witness", func(t *testing.T) {
		w = Start(t, "witness.test/cleanup")
		agentDir = strings.TrimSuffix(w.sock, "/agent.sock")
	})
	addr := strings.TrimPrefix(w.URL, "http://")
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("after the test's end something still listens on %s", addr)
	}
	if _, err := os.Stat(agentDir); !os.IsNotExist(err) {
		t.Errorf("the ssh-agent's directory %s is still there (%v)", agentDir, err)
	}
	if w.running() {
		t.Error("the witness still counts as running")
	}
	// No process left of this test's: a litewitness with its database, or
	// an ssh-agent on its socket.
	procs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + p.Name() + "/cmdline")
		if err != nil {
			continue
		}
		cmdline := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmdline, w.db) || strings.Contains(cmdline, w.sock) {
			t.Errorf("process %s still runs: %s", p.Name(), cmdline)
		}
	}
}

func TestVerifierKey(t *testing.T) {
	for _, tc := range []struct {
		stderr, want string
		ok           bool
	}{
		{"time=x level=INFO msg=\"found key\" fingerprint=SHA256:abc\ntime=x level=INFO msg=\"verifier key\" vkey=w.test/a+01234567+BAAA\ntime=x level=INFO msg=listening addr=127.0.0.1:1\n", "w.test/a+01234567+BAAA", true},
		{"time=x level=INFO msg=\"verifier key\" vkey=\"w.test/a b+01234567+BAAA\"\n", "w.test/a b+01234567+BAAA", true},
		{"time=x level=INFO msg=listening addr=127.0.0.1:1\n", "", false},
	} {
		got, err := verifierKey(tc.stderr)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("verifierKey(%q) = %q, %v; want %q, ok %v", tc.stderr, got, err, tc.want, tc.ok)
		}
	}
}
