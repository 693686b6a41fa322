package main_test

import (
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/mod/sumdb/note"

	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/testsupport"
)

// startOpenSSHAgent starts OpenSSH's ssh-agent on a socket of the test's
// and returns the socket; the test ends it.
func startOpenSSHAgent(t *testing.T) string {
	t.Helper()
	needOpenSSH(t, "ssh-agent", "ssh-add", "ssh-keygen")
	return testsupport.StartOpenSSHAgent(t)
}

// agentHeldKey makes an Ed25519 key with ssh-keygen, adds it to the agent
// at sock with ssh-add, and returns its fingerprint and Ed25519 public key.
func agentHeldKey(t *testing.T, sock, name string) (string, ed25519.PublicKey) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	add := exec.Command("ssh-add", path)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}
	b, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, fp, err := integrity.ParseSignerKey(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return fp, pub.(ssh.CryptoPublicKey).CryptoPublicKey().(ed25519.PublicKey)
}

// TestLedgerKeyInAgent: the ledger key held by OpenSSH's ssh-agent signs
// the checkpoints of init, of every append, of "checkpoint" and a
// hand-over; no private key file is written; the checkpoints verify with
// "verify --key" and with the C2SP note verifier; without the agent
// nothing is appended.
func TestLedgerKeyInAgent(t *testing.T) {
	sock := startOpenSSHAgent(t)
	fp, edPub := agentHeldKey(t, sock, "ledger_ed25519")
	c := newLedger(t)
	c.env = []string{"BREACHLEDGER_LEDGER_KEY=agent:" + fp, "SSH_AUTH_SOCK=" + sock}
	out := c.ok("alice", "init", "--name", "Agent Key", "--at", "2025-03-01T00:00:00Z")
	for _, want := range []string{"ledger key: " + fp + ", held by ssh-agent", "public key: breachledger/agent-key/"} {
		if !strings.Contains(out, want) {
			t.Errorf("init does not say %q:\n%s", want, out)
		}
	}
	if got := strings.TrimSpace(c.ok("alice", "key", "path")); got != "agent:"+fp {
		t.Errorf("key path = %q, want agent:%s", got, fp)
	}
	keys, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "breachledger", "keys", "agent-key-*"))
	if len(keys) != 0 {
		t.Errorf("init with the key in the agent wrote key files: %v", keys)
	}
	pub := strings.TrimSpace(c.ok("alice", "key", "public"))
	origin := strings.SplitN(pub, "+", 2)[0]
	if want, _ := note.NewEd25519VerifierKey(origin, edPub); pub != want {
		t.Errorf("key public = %s, want the agent key's %s", pub, want)
	}
	pubFile := filepath.Join(t.TempDir(), "ledger.pub")
	os.WriteFile(pubFile, []byte(pub+"\n"), 0o644)

	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:02:00Z", "oscar")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "odd logins", "--at", "2025-03-07T10:00:00Z"))
	c.ok("oscar", "note", inc, "checkpointed through the agent", "--at", "2025-03-07T11:00:00Z")
	cpFile := filepath.Join(t.TempDir(), "kept.checkpoint")
	c.ok("alice", "checkpoint", "-o", cpFile)

	// The checkpoint, checked by golang.org/x/mod/sumdb/note alone.
	signed, err := os.ReadFile(cpFile)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		t.Fatalf("the C2SP note verifier refuses the checkpoint signed through the agent: %v\n%s", err, signed)
	}
	var log []logEntry
	c.json(&log, "log")
	if lines := strings.Split(n.Text, "\n"); len(lines) < 3 || lines[0] != origin || lines[1] != strconv.Itoa(len(log)) {
		t.Errorf("the checkpoint does not cover the %d events of %s:\n%s", len(log), origin, n.Text)
	}
	// An auditor with the public key only, and no agent.
	auditor := &cli{tb: t, ledger: c.ledger, env: []string{"SSH_AUTH_SOCK=", "BREACHLEDGER_LEDGER_KEY="}}
	if r := auditor.run("auditor", "verify", "--key", pubFile); r.code != 0 || !strings.Contains(r.stdout, "intact") {
		t.Errorf("verify --key of a ledger checkpointed through the agent: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Without the agent, the writer appends nothing, and says why.
	noAgent := &cli{tb: t, ledger: c.ledger, env: []string{"BREACHLEDGER_LEDGER_KEY=agent:" + fp, "SSH_AUTH_SOCK="}}
	if r := noAgent.run("oscar", "note", inc, "no agent"); r.code == 0 || !strings.Contains(r.stderr, "SSH_AUTH_SOCK is not set") || !strings.Contains(r.stderr, "nothing was recorded") {
		t.Errorf("a note with the ledger key's agent gone: exit %d, want a refusal naming SSH_AUTH_SOCK\n%s", r.code, r.stderr)
	}
	// Another agent, without the ledger key: nothing appended either.
	other := startOpenSSHAgent(t)
	agentHeldKey(t, other, "someone_else")
	wrong := &cli{tb: t, ledger: c.ledger, env: []string{"BREACHLEDGER_LEDGER_KEY=agent:" + fp, "SSH_AUTH_SOCK=" + other}}
	if r := wrong.run("oscar", "note", inc, "wrong agent"); r.code == 0 || !strings.Contains(r.stderr, "ssh-agent holds no key "+fp) {
		t.Errorf("a note through an agent without the ledger key: exit %d\n%s", r.code, r.stderr)
	}
	var after []logEntry
	c.json(&after, "log")
	if len(after) != len(log) {
		t.Errorf("%d events after the refused notes, want %d", len(after), len(log))
	}

	// Hand-over to a second key in the agent, signed by the first.
	next, nextPub := agentHeldKey(t, sock, "next_ed25519")
	hoFile := filepath.Join(t.TempDir(), "next.handover")
	c.ok("alice", "key", "hand-over", "--to", "agent:"+next, "-o", hoFile)
	ho, err := os.ReadFile(hoFile)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := integrity.ParsePublicKey(pub)
	h, err := integrity.OpenHandover(ho, old)
	wantNew, _ := note.NewEd25519VerifierKey(origin, nextPub)
	if err != nil || h.New.String() != wantNew || h.Size != uint64(len(log)) {
		t.Errorf("the hand-over through the agent: %+v, %v; want one to %s at %d", h, err, wantNew, len(log))
	}

	// An actor's own key is never the ledger key (rule ledger-key-apart).
	add := exec.Command("ssh-add", signerKey("alice"))
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}
	alice := fingerprint(t, signerKey("alice"))
	if r := c.run("alice", "key", "hand-over", "--to", "agent:"+alice); r.code != 4 || !strings.Contains(r.stderr, "ledger-key-apart") || !strings.Contains(r.stderr, "alice's own key") {
		t.Errorf("a hand-over to alice's own key: exit %d, want 4 (ledger-key-apart)\n%s", r.code, r.stderr)
	}
	fresh := &cli{tb: t, ledger: filepath.Join(t.TempDir(), "fresh.db"), env: []string{"BREACHLEDGER_LEDGER_KEY=agent:" + alice, "SSH_AUTH_SOCK=" + sock}}
	if r := fresh.run("alice", "init", "--name", "Mixed Keys"); r.code != 4 || !strings.Contains(r.stderr, "ledger-key-apart") {
		t.Errorf("init with alice's own key as the ledger key: exit %d, want 4 (ledger-key-apart)\n%s", r.code, r.stderr)
	}
	if r := fresh.run("auditor", "log", "--json"); r.code == 0 && strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("the refused init recorded events:\n%s", r.stdout)
	}
	if r := c.run("alice", "--ledger-key", "agent:"+alice, "note", inc, "checkpointed with alice's key"); r.code != 4 || !strings.Contains(r.stderr, "ledger-key-apart") {
		t.Errorf("an append checkpointed with alice's own key: exit %d, want 4 (ledger-key-apart)\n%s", r.code, r.stderr)
	}
}

// TestLedgerKeyBesideLedgerWarns: a ledger key file in the same directory
// as the ledger file draws a warning on stderr, naming the rule, the risk
// and what to do instead, once per run; kept apart, or in ssh-agent, none.
func TestLedgerKeyBesideLedgerWarns(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "ledger.key")
	c := &cli{tb: t, ledger: filepath.Join(dir, "ledger.db"), env: []string{"BREACHLEDGER_LEDGER_KEY=" + keyPath}}
	wants := []string{"warning (key-beside-ledger)", keyPath, "same directory as the ledger file", "rewrite history",
		"mode 0600", "--ledger-key agent:SHA256:"}
	for _, args := range [][]string{
		{"init", "--name", "Beside", "--at", "2025-03-01T00:00:00Z"},
		{"grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z"},
		{"checkpoint"},
		{"key", "public"},
	} {
		r := c.run("alice", args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
		for _, w := range wants {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v with the key beside the ledger: stderr does not say %q:\n%s", args, w, r.stderr)
			}
		}
		if n := strings.Count(r.stderr, "key-beside-ledger"); n != 1 {
			t.Errorf("%v: %d warnings, want 1:\n%s", args, n, r.stderr)
		}
	}
	// The key moved to its own directory: no warning.
	apart := filepath.Join(t.TempDir(), "keys", "ledger.key")
	os.MkdirAll(filepath.Dir(apart), 0o700)
	for _, f := range []string{"", ".pub"} {
		if err := os.Rename(keyPath+f, apart+f); err != nil {
			t.Fatal(err)
		}
	}
	moved := &cli{tb: t, ledger: c.ledger, env: []string{"BREACHLEDGER_LEDGER_KEY=" + apart}}
	if r := moved.run("alice", "grant", "ivy", "responder", "--at", "2025-03-01T00:02:00Z"); r.code != 0 || strings.Contains(r.stderr, "key-beside-ledger") {
		t.Errorf("with the key apart: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
