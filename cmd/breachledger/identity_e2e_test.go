package main_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/integrity"
)

// The key is the identity (issue 12): "signer keygen", each person
// signing with their own key, and a ledger from before signed mode
// switched to it.

// person returns the ledger at path as run by one person: a home and a
// configuration directory of their own (their key directory in it), and
// the ledger key at ledgerKey, shared (the one party that holds it).
func person(t *testing.T, dir, name, path, ledgerKey string) *cli {
	home := filepath.Join(dir, name)
	return &cli{tb: t, ledger: path, env: []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "BREACHLEDGER_LEDGER_KEY=" + ledgerKey, "SSH_AUTH_SOCK="}}
}

// keyDir returns where c's runs keep the keys "signer keygen" makes.
func keyDir(c *cli) string { return filepath.Join(configOf(c), "breachledger", "signers") }

// TestSignerKeygen: "signer keygen" makes an OpenSSH key pair that
// ssh-keygen reads, in the key directory, never over an existing one;
// the command it prints registers it, and its holder then signs with it.
func TestSignerKeygen(t *testing.T) {
	needSSHKeygen(t)
	dir := t.TempDir()
	ivy := person(t, dir, "ivy", filepath.Join(dir, "unused.db"), "")
	out := ivy.ok("ivy", "signer", "keygen", "ivy")
	priv := filepath.Join(keyDir(ivy), "ivy")
	for path, want := range map[string]os.FileMode{priv: 0o600, priv + ".pub": 0o644} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, mode %v, want %v", path, err, fi.Mode().Perm(), want)
		}
	}
	if _, err := os.Stat(ivy.ledger); err == nil {
		t.Errorf("keygen made a ledger")
	}
	fp := fingerprint(t, priv)
	if !strings.Contains(out, "fingerprint: "+fp) {
		t.Errorf("keygen does not print the key's fingerprint %s:\n%s", fp, out)
	}
	// OpenSSH reads both files, and derives the same public key.
	if got, err := exec.Command("ssh-keygen", "-l", "-f", priv+".pub").CombinedOutput(); err != nil || !strings.Contains(string(got), fp) {
		t.Errorf("ssh-keygen -l: %v\n%s", err, got)
	}
	derived, err := exec.Command("ssh-keygen", "-y", "-f", priv).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -y: %v\n%s", err, derived)
	}
	if _, got, err := integrity.ParseSignerKey(string(derived)); err != nil || got != fp {
		t.Errorf("ssh-keygen -y derives %s (%v), want %s", got, err, fp)
	}

	// Never over an existing key; -o puts one elsewhere.
	before, _ := os.ReadFile(priv)
	if r := ivy.run("ivy", "signer", "keygen", "ivy"); r.code != 4 || !strings.Contains(r.stderr, "key-file-exists") || !strings.Contains(r.stderr, "-o FILE") {
		t.Errorf("keygen over an existing key: exit %d, want 4 key-file-exists\n%s", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(priv); string(after) != string(before) {
		t.Errorf("keygen changed the existing key")
	}
	other := filepath.Join(dir, "elsewhere", "ivy-laptop")
	os.MkdirAll(filepath.Dir(other), 0o700)
	ivy.ok("ivy", "signer", "keygen", "ivy", "-o", other)
	if fingerprint(t, other) == fp {
		t.Errorf("-o made the same key again")
	}
	if r := ivy.run("ivy", "signer", "keygen", "Ivy Chen"); r.code != 2 {
		t.Errorf("keygen of a name that is no actor name: exit %d, want 2\n%s", r.code, r.stderr)
	}

	// With a passphrase, the key is encrypted with it.
	enc := filepath.Join(dir, "elsewhere", "ivy-encrypted")
	withPass := &cli{tb: t, ledger: ivy.ledger, env: append(append([]string{}, ivy.env...), "BREACHLEDGER_SIGN_KEY_PASSPHRASE=correct horse")}
	withPass.ok("ivy", "signer", "keygen", "ivy", "-o", enc)
	if got, err := exec.Command("ssh-keygen", "-y", "-P", "", "-f", enc).CombinedOutput(); err == nil {
		t.Errorf("an encrypted key opened without its passphrase:\n%s", got)
	}
	if got, err := exec.Command("ssh-keygen", "-y", "-P", "correct horse", "-f", enc).CombinedOutput(); err != nil {
		t.Errorf("ssh-keygen -y -P: %v\n%s", err, got)
	}

	// The printed command registers the key; ivy then signs with it, as
	// "--actor ivy" finds it in her key directory.
	c := newLedger(t)
	c.ok("alice", "init", "--name", "Keygen Test", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "ivy", "security-incident-manager", "--at", "2025-03-01T00:01:00Z")
	_, register, _ := strings.Cut(out, "an admin registers it with:\n  ")
	register = strings.TrimSpace(register)
	if !strings.HasPrefix(register, "breachledger signer register ivy 'ssh-ed25519 ") {
		t.Fatalf("keygen prints no register command:\n%s", out)
	}
	cmd := exec.Command("bash", "-c", binary+" --ledger "+c.ledger+" --actor alice"+strings.TrimPrefix(register, "breachledger"))
	cmd.Env = append(os.Environ(), "HOME="+home)
	if got, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the printed register command: %v\n%s", err, got)
	}
	ivy.ledger = c.ledger
	ivy.env = append(ivy.env, "BREACHLEDGER_LEDGER_KEY="+strings.TrimSpace(c.ok("alice", "key", "path")))
	id := strings.TrimSpace(ivy.ok("ivy", "detect", "-q", "--source", "customer-report", "--summary", "signed with a key from keygen", "--at", "2025-03-07T10:00:00Z"))
	var log []struct {
		Actor  string `json:"actor"`
		Signer string `json:"signer"`
	}
	c.json(&log, "log", "--incident", id)
	if len(log) == 0 || log[0].Actor != "ivy" || log[0].Signer != fp {
		t.Errorf("ivy's detection: %+v, want signed by ivy with %s", log, fp)
	}
}

// TestThreePeopleEachTheirOwnKey: alice, oscar and ivy each hold only
// their own SSH key, made with "signer keygen" in their own key
// directory; alice makes the ledger (her key registered with it) and
// registers the others'. Every event is signed by its author's
// registered key: verify counts all of them signed, and ssh-keygen -Y
// verify, given the keys the registry held for each author, agrees for
// every event.
func TestThreePeopleEachTheirOwnKey(t *testing.T) {
	needSSHKeygen(t)
	dir := t.TempDir()
	path, ledgerKey := filepath.Join(dir, "shared", "ledger.db"), filepath.Join(dir, "shared", "ledger.key")
	os.MkdirAll(filepath.Dir(path), 0o700)
	people := map[string]*cli{}
	fps := map[string]string{}
	for _, name := range []string{"alice", "oscar", "ivy"} {
		p := person(t, dir, name, path, ledgerKey)
		p.ok(name, "signer", "keygen", name)
		people[name], fps[name] = p, fingerprint(t, filepath.Join(keyDir(p), name))
	}
	alice, oscar, ivy := people["alice"], people["oscar"], people["ivy"]
	alice.ok("alice", "init", "--name", "Three People", "--at", "2025-03-01T09:00:00Z")
	alice.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T09:01:00Z")
	alice.ok("alice", "grant", "ivy", "security-incident-manager", "--at", "2025-03-01T09:02:00Z")
	// What oscar and ivy hand alice: their public keys.
	for _, name := range []string{"oscar", "ivy"} {
		alice.ok("alice", "signer", "register", name, filepath.Join(keyDir(people[name]), name+".pub"), "--at", "2025-03-01T09:03:00Z")
	}
	inc := strings.TrimSpace(oscar.ok("oscar", "detect", "-q", "--source", "customer-report", "--summary", "tenant data on a paste site",
		"--aware-at", "2025-03-07T22:15:00Z", "--at", "2025-03-07T21:40:00Z"))
	oscar.ok("oscar", "assess", inc, "-f", "medium", "-r", "extended", "-i", "privacy-breach", "--escalated", "--at", "2025-03-07T22:30:00Z")
	ivy.ok("ivy", "classify", inc, "privacy-breach", "--at", "2025-03-08T09:00:00Z")
	ivy.ok("ivy", "risk", inc, "high", "--reasoning", "contact data of 1,200 people", "--at", "2025-03-08T15:00:00Z")
	ivy.ok("ivy", "declare", inc, "--basis", "evidence", "--reasoning", "access logs", "--at", "2025-03-09T10:00:00Z")
	oscar.ok("oscar", "note", inc, "bridge call held", "--at", "2025-03-09T11:00:00Z")
	alice.ok("alice", "setting", "due-soon-window", "12h", "--at", "2025-03-09T12:00:00Z")

	// Each holds only their own key: none records as another.
	if r := oscar.run("ivy", "note", inc, "as ivy"); r.code != 4 || !strings.Contains(r.stderr, "signature-required") || !strings.Contains(r.stderr, "signer keygen ivy") {
		t.Errorf("oscar recording as ivy: exit %d, want 4 signature-required\n%s", r.code, r.stderr)
	}
	if r := ivy.run("alice", "grant", "ivy", "admin"); r.code != 4 || !strings.Contains(r.stderr, "signature-required") {
		t.Errorf("ivy granting herself admin as alice: exit %d, want 4 signature-required\n%s", r.code, r.stderr)
	}

	var log []struct {
		Seq     uint64 `json:"seq"`
		EventID string `json:"event_id"`
		Type    string `json:"type"`
		Actor   string `json:"actor"`
		Signer  string `json:"signer"`
	}
	alice.json(&log, "log")
	// init and alice's key, 2 grants, 2 keys, 8 incident facts (the
	// detection pins its rule pack, the assessment moves the stage), the
	// setting.
	if len(log) != 15 {
		t.Errorf("%d events, want 15: %+v", len(log), log)
	}
	r := alice.run("auditor", "verify")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%d events, ", len(log))) || !strings.Contains(r.stdout, fmt.Sprintf(" %d signed events", len(log))) || strings.Contains(r.stdout+r.stderr, "authorship unproven") {
		t.Fatalf("verify: exit %d, want every one of the %d events signed\n%s%s", r.code, len(log), r.stdout, r.stderr)
	}
	work := t.TempDir()
	for _, e := range log {
		if want := fps[e.Actor]; e.Signer != want {
			t.Errorf("seq %d (%s by %s) is signed with %q, want %s's key %s", e.Seq, e.Type, e.Actor, e.Signer, e.Actor, want)
			continue
		}
		env, sig, allowed := filepath.Join(work, e.EventID+".bin"), filepath.Join(work, e.EventID+".sig"), filepath.Join(work, e.EventID+".allowed")
		alice.ok("auditor", "signature", e.EventID, "--envelope", env, "--signature", sig, "--allowed-signers", allowed)
		cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed, "-I", e.Actor, "-n", integrity.Namespace, "-s", sig)
		f, err := os.Open(env)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdin = f
		got, err := cmd.CombinedOutput()
		f.Close()
		if want := `Good "` + integrity.Namespace + `" signature for ` + e.Actor + " with ED25519 key " + e.Signer; err != nil || !strings.Contains(string(got), want) {
			t.Errorf("ssh-keygen -Y verify of seq %d (%s by %s): %v\n%s", e.Seq, e.Type, e.Actor, err, got)
		}
		// The allowed signers are the author's registered keys only.
		b, _ := os.ReadFile(allowed)
		for name, fp := range fps {
			pub, _ := os.ReadFile(filepath.Join(keyDir(people[name]), name+".pub"))
			key := strings.Join(strings.Fields(string(pub))[:2], " ")
			if strings.Contains(string(b), key) != (name == e.Actor) {
				t.Errorf("seq %d by %s: the allowed signers file lists %s's key %s: %v\n%s", e.Seq, e.Actor, name, fp, name != e.Actor, b)
			}
		}
	}
}
