package main_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/testsupport"
	"github.com/breachledger/breachledger/projections"
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
	alice.ok("alice", "setting", "due-soon-window", "12h", "--at", "2025-03-09T12:00:00Z", "--reason", "a 2025 history recorded now")

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
	// init and alice's key, the backdate-window, 2 grants, 2 keys, 8
	// incident facts (the detection pins its rule pack, the assessment
	// moves the stage), the setting.
	if len(log) != 16 {
		t.Errorf("%d events, want 16: %+v", len(log), log)
	}
	r := alice.run("auditor", "verify")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%d events, ", len(log))) || !strings.Contains(r.stdout, fmt.Sprintf(" %d signed events", len(log))) || strings.Contains(r.stdout+r.stderr, "authorship unproven") {
		t.Fatalf("verify: exit %d, want every one of the %d events signed\n%s%s", r.code, len(log), r.stdout, r.stderr)
	}
	var signers struct {
		Keys        []struct{ Actor, Fingerprint string } `json:"keys"`
		SignedSince *uint64                               `json:"signed_since"`
	}
	alice.json(&signers, "signer", "list")
	if len(signers.Keys) != 3 || signers.SignedSince == nil || *signers.SignedSince != 0 {
		t.Errorf("signer list: %+v, want the three keys and signed mode from seq 0", signers)
	}
	if out := alice.ok("auditor", "signer", "list"); !strings.Contains(out, "signatures required for: every event from seq 0 on (signed mode)") {
		t.Errorf("signer list does not say the ledger is in signed mode:\n%s", out)
	}
	work := t.TempDir()
	for _, e := range log {
		if want := fps[e.Actor]; e.Signer != want {
			t.Errorf("seq %d (%s by %s) is signed with %q, want %s's key %s", e.Seq, e.Type, e.Actor, e.Signer, e.Actor, want)
			continue
		}
		env, sig, allowed := filepath.Join(work, e.EventID+".bin"), filepath.Join(work, e.EventID+".sig"), filepath.Join(work, e.EventID+".allowed")
		alice.ok("auditor", "signature", e.EventID, "--envelope", env, "--signature", sig, "--allowed-signers", allowed)
		got, err := sshKeygenVerify(t, allowed, e.Actor, sig, env)
		if want := `Good "` + integrity.Namespace + `" signature for ` + e.Actor + " with ED25519 key " + e.Signer; err != nil || !strings.Contains(got, want) {
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

// TestLegacyLedgerSwitchedToSignedMode: the ledger kept in
// testdata/legacy/before-signed-mode, made before signed mode, replays as
// it did, says its authorship is unproven, and is switched to signed mode
// by alice (her key registered first); from the switch on every event
// must be signed, and show, timeline and log mark the facts before it.
func TestLegacyLedgerSwitchedToSignedMode(t *testing.T) {
	const fixture = "../../testdata/legacy/before-signed-mode"
	const inc = "3N5J5lwuPMnUDHcuw8Wtnn99KH1"
	dir := t.TempDir()
	for _, f := range []string{"ledger.sqlite", "ledger.key", "ivy"} {
		copyFile(t, filepath.Join(fixture, f), filepath.Join(dir, f), 0o600)
	}
	c := person(t, dir, "alice", filepath.Join(dir, "ledger.sqlite"), filepath.Join(dir, "ledger.key"))

	// It replays as it did: 37 events, the one signed note among them,
	// the deadlines worked by hand.
	r := c.run("auditor", "verify")
	if r.code != 0 || !strings.Contains(r.stdout, "37 events") || !strings.Contains(r.stdout, "1 signed events") {
		t.Fatalf("verify of the old ledger: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "authorship unproven: this ledger is not in signed mode") {
		t.Errorf("verify of the old ledger does not say its authorship is unproven:\n%s", r.stdout)
	}
	var vj struct {
		OK         bool                   `json:"ok"`
		Authorship projections.Authorship `json:"authorship"`
	}
	c.json(&vj, "verify")
	if !vj.OK || !vj.Authorship.Unproven || vj.Authorship.ProvenFromSeq != nil || !strings.HasPrefix(vj.Authorship.Reason, "authorship unproven: this ledger is not in signed mode") {
		t.Errorf("verify --json of the old ledger: %+v, want ok and authorship unproven", vj)
	}
	var v deadlineView
	c.json(&v, "deadlines", "--as-of", "2025-03-12T12:00:00Z")
	obs := byID(t, v.Deadlines)
	for id, want := range map[string]string{"gdpr-art33": "2025-03-10T22:15:00Z met", "gdpr-art34": "2025-03-11T15:00:00Z met",
		"customer-notice/contoso": "2025-03-12T10:00:00Z met-late", "customer-notice/fabrikam": "2025-03-12T10:00:00Z overdue"} {
		if got := obs[id].DueAt.Format("2006-01-02T15:04:05Z") + " " + obs[id].Status; got != want {
			t.Errorf("%s as of 2025-03-12T12:00Z = %s, want %s", id, got, want)
		}
	}
	// Every reader says it once, plainly; no event is marked one by one.
	const unsigned = "authorship unproven: this ledger is not in signed mode"
	for _, args := range [][]string{{"show", inc}, {"timeline", inc}, {"log"}, {"list"}, {"deadlines"}, {"roles"}, {"signer", "list"},
		{"report", "--incident", inc}, {"register"}} {
		r := c.run("auditor", args...)
		if (r.code != 0 && r.code != 7) || strings.Count(r.stderr, unsigned) != 1 || strings.Contains(r.stdout, "(authorship unproven)") {
			t.Errorf("%s of the old ledger: exit %d, want it to say once %q\n%s%s", strings.Join(args, " "), r.code, unsigned, r.stdout, r.stderr)
		}
	}
	if rep := c.ok("auditor", "report", "--incident", inc, "--format", "md"); !strings.Contains(rep, "Authorship unproven: this ledger is not in signed mode") {
		t.Errorf("the report's footer does not say the authorship is unproven:\n%s", rep)
	}

	// The switch must be signed by an admin's registered key; alice has
	// none yet. She makes one; registering it is an unsigned ledger event,
	// allowed as before (no admin holds a key).
	c.ok("alice", "signer", "keygen", "alice")
	if r := c.run("alice", "signature-policy", "--all", "--reason", "every event signed by its author"); r.code != 4 || !strings.Contains(r.stderr, "signature-required") {
		t.Errorf("the switch by alice before her key is registered: exit %d, want 4 signature-required\n%s", r.code, r.stderr)
	}
	c.ok("alice", "signer", "register", "alice", filepath.Join(keyDir(c), "alice.pub"), "--reason", "switching to signed mode")
	out := c.ok("alice", "signature-policy", "--all", "--reason", "every event signed by its author")
	if !strings.Contains(out, "[seq 38, ") {
		t.Fatalf("the switch is not seq 38:\n%s", out)
	}

	// From the switch on, every event is signed by its author.
	if r := c.run("ivy", "note", inc, "unsigned after the switch"); r.code != 4 || !strings.Contains(r.stderr, "signature-required") || !strings.Contains(r.stderr, "from seq 38 on") {
		t.Errorf("an unsigned note after the switch: exit %d, want 4 signature-required\n%s", r.code, r.stderr)
	}
	c.ok("ivy", "--sign-key", filepath.Join(dir, "ivy"), "note", inc, "signed after the switch")
	if out := c.ok("auditor", "signer", "list"); !strings.Contains(out, "every event from seq 38 on (signed mode)") {
		t.Errorf("signer list after the switch:\n%s", out)
	}
	if r := c.run("alice", "signature-policy", "--none"); r.code != 4 || !strings.Contains(r.stderr, "signed-mode-final") {
		t.Errorf("relaxing signed mode: exit %d, want 4 signed-mode-final\n%s", r.code, r.stderr)
	}

	// The boundary: one line from every reader, and the facts before it
	// marked by show, timeline and log.
	const line = "events before seq 38: authorship unproven"
	r = c.run("auditor", "verify")
	if r.code != 0 || !strings.Contains(r.stdout, line) || !strings.Contains(r.stdout, "40 events") {
		t.Errorf("verify after the switch: exit %d, want 0 saying %q\n%s%s", r.code, line, r.stdout, r.stderr)
	}
	vj.OK, vj.Authorship = false, projections.Authorship{}
	c.json(&vj, "verify")
	if !vj.OK || vj.Authorship.Unproven || vj.Authorship.ProvenFromSeq == nil || *vj.Authorship.ProvenFromSeq != 38 || !strings.HasPrefix(vj.Authorship.Reason, line) {
		t.Errorf("verify --json after the switch: %+v, want ok and authorship proven from seq 38", vj)
	}
	for _, args := range [][]string{{"show", inc}, {"timeline", inc}, {"log"}, {"list"}, {"deadlines"}, {"roles"}} {
		r := c.run("auditor", args...)
		if (r.code != 0 && r.code != 7) || strings.Count(r.stderr, line) != 1 {
			t.Errorf("%s: exit %d, want it to say once %q\n%s", args[0], r.code, line, r.stderr)
		}
	}
	show := c.ok("auditor", "show", inc)
	if !strings.Contains(show, "29 of its events were recorded before the ledger was switched to signed mode at seq 38: authorship unproven") {
		t.Errorf("show does not mark the incident's facts from before the switch:\n%s", show)
	}
	rows := 0
	for _, l := range strings.Split(c.ok("auditor", "log"), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		rows++
		seq, err := strconv.Atoi(f[0])
		if err != nil {
			t.Fatalf("log row %q", l)
		}
		if marked := strings.HasSuffix(l, "authorship unproven"); marked != (seq < 38) {
			t.Errorf("log marks seq %d: %v\n%s", seq, marked, l)
		}
	}
	if rows != 40 {
		t.Errorf("log lists %d events, want the 40 verify counts", rows)
	}
	tl := c.ok("auditor", "timeline", inc)
	if !strings.Contains(tl, "oscar (authorship unproven)") || !strings.Contains(tl, "signed after the switch") {
		t.Errorf("timeline does not mark the facts from before the switch:\n%s", tl)
	}
	for _, l := range strings.Split(tl, "\n") {
		if strings.Contains(l, "signed after the switch") && strings.Contains(l, "unproven") {
			t.Errorf("timeline marks the signed note:\n%s", l)
		}
	}
	rep := c.ok("auditor", "report", "--incident", inc, "--format", "md")
	if !strings.Contains(rep, "Events before seq 38: authorship unproven") {
		t.Errorf("the report's footer does not say which authors are unproven:\n%s", rep)
	}
}

// TestKeyFoundInHomeAndAgent: with no key in the key directory, "--actor
// ivy" finds ivy's registered key as ~/.ssh/id_ed25519; encrypted, it signs
// through the agent that holds it, or with the passphrase given, and says
// what to do with neither. init takes the agent's only key.
func TestKeyFoundInHomeAndAgent(t *testing.T) {
	c, inc, _ := smallLedger(t)
	dir := t.TempDir()
	ivy := person(t, dir, "ivy", c.ledger, strings.TrimSpace(c.ok("alice", "key", "path")))
	idKey := filepath.Join(homeOf(ivy), ".ssh", "id_ed25519")
	os.MkdirAll(filepath.Dir(idKey), 0o700)
	const pass = "BREACHLEDGER_SIGN_KEY_PASSPHRASE=open sesame"
	withPass := &cli{tb: t, ledger: c.ledger, env: append(append([]string{}, ivy.env...), pass)}
	withPass.ok("ivy", "signer", "keygen", "ivy", "-o", idKey)
	fp := fingerprint(t, idKey)
	c.ok("alice", "signer", "register", "ivy", idKey+".pub", "--reason", "ivy's laptop key")
	os.Remove(idKey + ".pub") // the public half is read from the encrypted key itself

	signedBy := func(t *testing.T, id string) string {
		var log []struct {
			EventID string `json:"event_id"`
			Signer  string `json:"signer"`
		}
		c.json(&log, "log", "--incident", inc)
		for _, e := range log {
			if e.EventID == id {
				return e.Signer
			}
		}
		t.Fatalf("no event %s", id)
		return ""
	}
	if r := ivy.run("ivy", "note", inc, "no agent, no passphrase"); r.code != 2 || !strings.Contains(r.stderr, "encrypted") || !strings.Contains(r.stderr, "BREACHLEDGER_SIGN_KEY_PASSPHRASE") {
		t.Errorf("an encrypted key with no agent and no passphrase: exit %d, want 2 saying how to unlock it\n%s", r.code, r.stderr)
	}
	if id := strings.TrimSpace(withPass.ok("ivy", "note", inc, "with the passphrase", "-q")); signedBy(t, id) != fp {
		t.Errorf("the note signed with the passphrase is not signed with %s", fp)
	}
	b, _ := os.ReadFile(idKey)
	raw, err := ssh.ParseRawPrivateKeyWithPassphrase(b, []byte("open sesame"))
	if err != nil {
		t.Fatal(err)
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader) // the agent holds another key too
	inAgent := &cli{tb: t, ledger: c.ledger, env: append(append([]string{}, ivy.env...), "SSH_AUTH_SOCK="+testsupport.ServeKeyring(t, other, raw))}
	if id := strings.TrimSpace(inAgent.ok("ivy", "note", inc, "through the agent", "-q")); signedBy(t, id) != fp {
		t.Errorf("the note signed through the agent is not signed with %s", fp)
	}

	// init with no key file: the agent's only key is the first admin's.
	_, only, _ := ed25519.GenerateKey(rand.Reader)
	onlySigner, _ := ssh.NewSignerFromKey(only)
	fresh := person(t, t.TempDir(), "bea", filepath.Join(t.TempDir(), "new.db"), filepath.Join(t.TempDir(), "new.key"))
	fresh.env = append(fresh.env, "SSH_AUTH_SOCK="+testsupport.ServeKeyring(t, only))
	fresh.ok("bea", "init", "--name", "Agent Init")
	var signers struct {
		Keys []struct{ Actor, Fingerprint string } `json:"keys"`
	}
	fresh.json(&signers, "signer", "list")
	if len(signers.Keys) != 1 || signers.Keys[0].Actor != "bea" || signers.Keys[0].Fingerprint != integrity.Fingerprint(onlySigner.PublicKey()) {
		t.Errorf("init through the agent registered %+v, want bea's agent key", signers.Keys)
	}
	// Two keys in the agent and none on disk: init asks which.
	two := person(t, t.TempDir(), "bea", filepath.Join(t.TempDir(), "two.db"), filepath.Join(t.TempDir(), "two.key"))
	two.env = append(two.env, "SSH_AUTH_SOCK="+testsupport.ServeKeyring(t, only, other))
	if r := two.run("bea", "init"); r.code != 4 || !strings.Contains(r.stderr, "ssh-agent holds 2 keys") || !strings.Contains(r.stderr, "init --unsigned") {
		t.Errorf("init with two agent keys and no key file: exit %d, want 4 asking which\n%s", r.code, r.stderr)
	}
}
