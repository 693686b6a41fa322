package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/breachledger/breachledger/integrity"
)

// pinLedger is a ledger with a configuration directory of its own (ledger
// keys and pins), so that what one test pins never reaches another's, nor
// the user's own pins.
type pinLedger struct {
	t           *testing.T
	cfg, ledger string
}

func newPinLedger(t *testing.T) *pinLedger {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	copyCast(t, cfg)
	return &pinLedger{t: t, cfg: cfg, ledger: filepath.Join(dir, "ledger.db")}
}

// run runs the binary on the ledger as alice, with the ledger's
// configuration directory as $XDG_CONFIG_HOME.
func (p *pinLedger) run(args ...string) result {
	p.t.Helper()
	c := &cli{tb: p.t, ledger: p.ledger, env: []string{"XDG_CONFIG_HOME=" + p.cfg}}
	return c.run("alice", args...)
}

func (p *pinLedger) ok(args ...string) string {
	p.t.Helper()
	r := p.run(args...)
	if r.code != 0 {
		p.t.Fatalf("breachledger %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// want runs a command that must exit with code and say each of says (on
// stdout or stderr).
func (p *pinLedger) want(code int, says []string, args ...string) result {
	p.t.Helper()
	r := p.run(args...)
	if r.code != code {
		p.t.Errorf("breachledger %s: exit %d, want %d\n%s%s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	for _, s := range says {
		if !strings.Contains(r.stdout+r.stderr, s) {
			p.t.Errorf("breachledger %s: no %q in\n%s%s", strings.Join(args, " "), s, r.stdout, r.stderr)
		}
	}
	return r
}

// record makes a small ledger named "Pin Test".
func (p *pinLedger) record() {
	p.t.Helper()
	p.ok("init", "--name", "Pin Test", "--at", "2025-03-01T00:00:00Z")
	p.ok("grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	p.ok("signer", "register", "oscar", signerKey("oscar")+".pub", "--at", "2025-03-01T00:01:00Z")
	p.ok("--actor", "oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "odd logins", "--at", "2025-03-07T10:00:00Z")
}

// publicKey returns the ledger's public key, as "key public" prints it.
func (p *pinLedger) publicKey() *integrity.PublicKey {
	p.t.Helper()
	k, err := integrity.ParsePublicKey(p.ok("key", "public"))
	if err != nil {
		p.t.Fatal(err)
	}
	return k
}

func (p *pinLedger) pinFile() string { return filepath.Join(p.cfg, "breachledger", "pinned") }

// TestPinnedTrustReplacedLedger (issue 10, item 3): the first verify pins
// the ledger key; an insider who replaces the ledger by a fresh init at the
// same path on the same machine (its new key beside the old one) and
// records the same facts again is caught by the pin, never "intact".
func TestPinnedTrustReplacedLedger(t *testing.T) {
	p := newPinLedger(t)
	p.record()
	old := p.publicKey()

	r := p.want(0, []string{"intact", "pinned now: compare fingerprint " + old.Fingerprint()}, "verify")
	if strings.Count(r.stdout, "pinned now") != 1 {
		t.Errorf("first verify:\n%s", r.stdout)
	}
	if fi, err := os.Stat(p.pinFile()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("pin file: %v, want mode 0600 (error %v)", fi, err)
	}
	b, _ := os.ReadFile(p.pinFile())
	pins, err := integrity.ParsePins(b)
	if err != nil {
		t.Error(err)
	}
	abs, _ := filepath.EvalSymlinks(p.ledger)
	if len(pins) != 1 || pins[0].Origin != old.Origin() || pins[0].Key != old.String() || pins[0].Location != "sqlite:"+abs {
		t.Errorf("pins = %+v, want one of %s at sqlite:%s", pins, old.Origin(), abs)
	}
	if r := p.want(0, []string{"intact"}, "verify"); strings.Contains(r.stdout, "pinned now") {
		t.Errorf("second verify pinned again:\n%s", r.stdout)
	}

	// The attack: a fresh ledger at the same path, the same facts.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(p.ledger + suffix)
	}
	p.record()
	replaced := p.publicKey()
	if replaced.Origin() == old.Origin() {
		t.Fatal("the fresh ledger has the old origin")
	}
	keys, _ := filepath.Glob(filepath.Join(p.cfg, "breachledger", "keys", "*.key"))
	if len(keys) != 2 {
		t.Fatalf("want the new key beside the old one, got %v", keys)
	}
	says := []string{"pin mismatch at " + abs, old.Origin(), old.Fingerprint(), "found: ledger " + replaced.Origin(), replaced.Fingerprint(), "pin remove " + old.Origin()}
	if r := p.want(6, says, "verify"); strings.Contains(r.stdout, "intact") {
		t.Errorf("replaced ledger printed intact:\n%s", r.stdout)
	}
	p.want(6, []string{"pin mismatch at " + abs}, "verify", "--json")
	// Its own key given explicitly does not get past the location's pin.
	p.want(6, []string{"pin mismatch at " + abs}, "verify", "--key", replaced.String())
	if b2, _ := os.ReadFile(p.pinFile()); !bytes.Equal(b, b2) {
		t.Errorf("a failed verify changed the pin file:\n%s", b2)
	}

	// Replaced on purpose: forget the pin, and the next verify pins anew.
	p.want(0, []string{"removed 1 pin(s) of " + old.Origin()}, "pin", "remove", old.Origin())
	p.want(3, nil, "pin", "remove", old.Origin())
	p.want(0, []string{"intact", "pinned now: compare fingerprint " + replaced.Fingerprint()}, "verify")
}

// TestPinnedTrustKeyAndFile: --key against a pin, and a corrupt pin file.
func TestPinnedTrustKeyAndFile(t *testing.T) {
	p := newPinLedger(t)
	p.record()
	key := p.publicKey()
	other, _, err := integrity.GenerateLedgerKey(key.Origin()) // another key named for this ledger
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := integrity.ParseLedgerKey(other)
	if err != nil {
		t.Fatal(err)
	}

	// --key pins on first use too, and then must equal the pin.
	p.want(0, []string{"intact", "pinned now: compare fingerprint " + key.Fingerprint()}, "verify", "--key", key.String())
	p.want(6, []string{"pin mismatch for " + key.Origin(), otherKey.Public().Fingerprint(), key.Fingerprint(), "pin accept-handover", "pin remove " + key.Origin()},
		"verify", "--key", otherKey.Public().String())

	// The ledger re-keyed under the same origin (an insider swaps the key
	// file for a new key of their own): the kept key is not the pinned one.
	keyPath := strings.TrimSpace(p.ok("key", "path"))
	orig, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, []byte(other+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.want(6, []string{"pin mismatch at", "re-keyed", key.Fingerprint(), otherKey.Public().Fingerprint() + " in " + keyPath}, "verify")
	if err := os.WriteFile(keyPath, orig, 0o600); err != nil {
		t.Fatal(err)
	}

	// A corrupt pin file is an error, never "no pin".
	b, _ := os.ReadFile(p.pinFile())
	for _, bad := range []string{"garbage\n", strings.Replace(string(b), key.Fingerprint(), otherKey.Public().Fingerprint(), 1)} {
		if err := os.WriteFile(p.pinFile(), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := p.want(6, []string{"pin file: line"}, "verify"); strings.Contains(r.stdout, "pinned now") || strings.Contains(r.stdout, "intact") {
			t.Errorf("corrupt pin file:\n%s", r.stdout)
		}
	}
	os.WriteFile(p.pinFile(), b, 0o666)
	os.Chmod(p.pinFile(), 0o666)
	p.want(1, []string{"lets others change your pins"}, "verify")
	os.Chmod(p.pinFile(), 0o600)
	p.want(0, []string{"intact"}, "verify")
}

// TestPinnedTrustBundlesAndProofs: a bundle or proof verifies with --key
// or the pinned key; without either it is a usage error naming --key; a
// bundle that names another key than the pinned one, or is signed by
// another, fails with exit 6.
func TestPinnedTrustBundlesAndProofs(t *testing.T) {
	p := newPinLedger(t)
	p.record()
	key := p.publicKey()
	dir := t.TempDir()
	bundle := filepath.Join(dir, "a.bundle")
	p.ok("export", "--bundle", bundle)
	var log []logEntry
	if err := json.Unmarshal([]byte(p.ok("log", "--json")), &log); err != nil {
		t.Fatal(err)
	}
	proof := filepath.Join(dir, "a.tlog-proof")
	p.ok("prove", "inclusion", log[len(log)-1].EventID, "-o", proof)

	// (c) Nothing pinned, no --key: usage error naming --key.
	p.want(2, []string{"--bundle needs --key PUB", key.Origin()}, "verify", "--bundle", bundle)
	p.want(2, []string{"--proof needs --key PUB"}, "verify", "--proof", proof)
	p.want(0, []string{"intact"}, "verify", "--bundle", bundle, "--key", key.String())

	// Pinned (by verifying the live ledger): no --key needed.
	p.want(0, []string{"pinned now: compare fingerprint " + key.Fingerprint()}, "verify")
	p.want(0, []string{"intact"}, "verify", "--bundle", bundle)
	p.want(0, []string{"inclusion proof OK"}, "verify", "--proof", proof)

	// (b) A bundle of another ledger, passed off as this one's: its origin
	// rewritten to the pinned one. Naming its own key, or the pinned key.
	q := newPinLedger(t)
	q.record()
	foreign := filepath.Join(dir, "b.bundle")
	q.ok("export", "--bundle", foreign)
	var raw map[string]any
	fb, _ := os.ReadFile(foreign)
	if err := json.Unmarshal(fb, &raw); err != nil {
		t.Fatal(err)
	}
	raw["origin"] = key.Origin()
	forged := filepath.Join(dir, "forged.bundle")
	writeJSONFile(t, forged, raw)
	r := p.want(6, []string{"pin mismatch", key.Fingerprint(), q.publicKey().Fingerprint()}, "verify", "--bundle", forged)
	if strings.Contains(r.stdout, "intact") {
		t.Errorf("forged bundle:\n%s", r.stdout)
	}
	raw["public_key"] = key.String()
	writeJSONFile(t, forged, raw)
	if r := p.want(6, []string{"not signed by the ledger key"}, "verify", "--bundle", forged); strings.Contains(r.stdout, "intact") {
		t.Errorf("forged bundle naming the pinned key:\n%s", r.stdout)
	}
	// The foreign bundle as it is: its origin is not pinned.
	p.want(2, []string{"--bundle needs --key PUB"}, "verify", "--bundle", foreign)
	// --key of another key for the pinned origin: refused before anything.
	otherS, _, _ := integrity.GenerateLedgerKey(key.Origin())
	otherKey, _ := integrity.ParseLedgerKey(otherS)
	p.want(6, []string{"pin mismatch for " + key.Origin()}, "verify", "--bundle", bundle, "--key", otherKey.Public().String())
	p.want(6, []string{"pin mismatch for " + key.Origin()}, "verify", "--proof", proof, "--key", otherKey.Public().String())
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestKeyHandover: the pin moves to a new key only by a hand-over the
// pinned key signed; (d) a forged one, signed by any other key, is refused
// and leaves the pin as it was.
func TestKeyHandover(t *testing.T) {
	p := newPinLedger(t)
	p.record()
	key := p.publicKey()
	p.want(0, []string{"pinned now"}, "verify")
	dir := t.TempDir()
	pinsBefore, _ := os.ReadFile(p.pinFile())

	// The forgery: the statement an insider without the pinned key writes,
	// naming the pinned key as the old one, signed by a key of their own
	// made for the same origin.
	s, v, err := integrity.GenerateLedgerKey(key.Origin())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(s)
	if err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("%s\norigin %s\nold %s\nnew %s\nsize 3\nroot %s\n", integrity.HandoverHeader, key.Origin(), key.String(), v, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
	forged, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		t.Fatal(err)
	}
	forgedPath := filepath.Join(dir, "forged.handover")
	os.WriteFile(forgedPath, forged, 0o644)
	p.want(6, []string{"hand-over refused", "not signed by the pinned key " + key.Fingerprint()}, "pin", "accept-handover", forgedPath)
	// A hand-over made by a replaced ledger's own key is for another origin,
	// which nobody pinned.
	q := newPinLedger(t)
	q.record()
	qPath := filepath.Join(dir, "q.handover")
	q.ok("key", "hand-over", "--generate", filepath.Join(dir, "q-next.key"), "-o", qPath)
	p.want(3, []string{"pin of ledger"}, "pin", "accept-handover", qPath)
	if b, _ := os.ReadFile(p.pinFile()); !bytes.Equal(b, pinsBefore) {
		t.Errorf("a refused hand-over changed the pins:\n%s", b)
	}

	// The genuine hand-over, by the holder of the ledger key.
	next := filepath.Join(dir, "next.key")
	good := filepath.Join(dir, "good.handover")
	p.want(0, []string{"written to " + good}, "key", "hand-over", "--generate", next, "-o", good)
	nb, err := os.ReadFile(next + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	nextKey, err := integrity.ParsePublicKey(string(nb))
	if err != nil {
		t.Fatal(err)
	}
	p.want(0, []string{"moved from key " + key.Fingerprint() + " to key " + nextKey.Fingerprint(), "pinned now: compare fingerprint " + nextKey.Fingerprint()},
		"pin", "accept-handover", good)
	var list struct {
		Pins []struct {
			Origin, Fingerprint string
		} `json:"pins"`
	}
	if err := json.Unmarshal([]byte(p.ok("pin", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Pins) != 1 || list.Pins[0].Fingerprint != nextKey.Fingerprint() {
		t.Errorf("pins after the hand-over: %+v, want %s", list.Pins, nextKey.Fingerprint())
	}
	// The old key is no longer trusted: given explicitly, it is refused.
	p.want(6, []string{"pin mismatch for " + key.Origin()}, "verify", "--key", key.String())
	// Accepting the same statement again is refused: it hands over from a
	// key that is no longer the pinned one.
	p.want(6, []string{"hand-over refused"}, "pin", "accept-handover", good)
}
