package main_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/note"
	sumdbnote "golang.org/x/mod/sumdb/note"

	"github.com/breachledger/breachledger/domain"
)

// The ledger's witness configuration (issue 16): "witness add", "remove"
// and "list", the witness-refresh setting.

// cosigV1Key returns a new Ed25519 cosignature/v1 verifier key named name,
// made by the signed-note libraries (x/mod's key, converted by
// transparency-dev/formats), not by breachledger.
func cosigV1Key(tb testing.TB, name string) string {
	tb.Helper()
	_, vkey, err := sumdbnote.GenerateKey(rand.Reader, name)
	if err != nil {
		tb.Fatal(err)
	}
	cosig, err := note.VKeyToCosignatureV1(vkey)
	if err != nil {
		tb.Fatal(err)
	}
	return cosig
}

// TestWitnessKeyInterop: the domain's check of a witness key agrees with
// transparency-dev/formats, the library that verifies cosignatures: keys it
// makes are accepted with its key hash, and a key made as the domain's
// tests make theirs (crypto/ed25519, SHA-256) parses there with the same
// hash.
func TestWitnessKeyInterop(t *testing.T) {
	_, mlVKey, err := note.GenerateMLDSAKey("witness.example/pq")
	if err != nil {
		t.Fatal(err)
	}
	// By hand: the key hash is the first 4 bytes of SHA-256(name "\n" 0x04 key).
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw := append([]byte{0x04}, pub...)
	sum := sha256.Sum256(append([]byte("witness.example/hand\n"), raw...))
	hand := "witness.example/hand+" + hex.EncodeToString(sum[:4]) + "+" + base64.StdEncoding.EncodeToString(raw)

	for _, vkey := range []string{cosigV1Key(t, "witness.example/w1"), mlVKey, hand} {
		v, err := note.NewVerifierForCosignatureV1(vkey)
		if err != nil {
			t.Fatalf("formats refuses %s: %v", vkey, err)
		}
		k, err := domain.ParseWitnessKey(vkey)
		if err != nil {
			t.Errorf("ParseWitnessKey(%s) = %v", vkey, err)
			continue
		}
		if h := fmt.Sprintf("%08x", v.KeyHash()); k.Name != v.Name() || k.Hash != h {
			t.Errorf("ParseWitnessKey(%s) = name %s hash %s; formats: name %s hash %s", vkey, k.Name, k.Hash, v.Name(), h)
		}
	}
	// A plain Ed25519 note key (what a log or a ledger signs with): formats
	// takes it as a verifier too, the domain refuses it as no witness's.
	_, plain, err := sumdbnote.GenerateKey(rand.Reader, "log.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.NewVerifierForCosignatureV1(plain); err != nil {
		t.Fatalf("formats refuses a plain note key: %v (the CLI's exit codes assume it takes one)", err)
	}
	if _, err := domain.ParseWitnessKey(plain); err == nil || !strings.Contains(err.Error(), "plain Ed25519 note key") {
		t.Errorf("ParseWitnessKey(a plain note key) = %v, want refused", err)
	}
}

type witnessJSON struct {
	Name   string `json:"name"`
	Key    string `json:"key"`
	URL    string `json:"url"`
	Reason string `json:"reason"`
	Added  struct {
		EventID string    `json:"event_id"`
		At      time.Time `json:"at"`
		Actor   string    `json:"actor"`
	} `json:"added"`
	Removed *struct {
		At    time.Time `json:"at"`
		Actor string    `json:"actor"`
	} `json:"removed"`
	RemoveReason string `json:"remove_reason"`
}

func TestWitnessConfig(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "Witnessed", "--at", "2025-03-01T09:00:00Z")
	c.ok("alice", "grant", "ian", "incident-manager", "--at", "2025-03-01T09:01:00Z")
	c.register("2025-03-01T09:01:00Z", "ian")

	w1 := cosigV1Key(t, "witness.example/w1")
	w1b := cosigV1Key(t, "witness.example/w1") // the same name, another key
	_, w2, err := note.GenerateMLDSAKey("witness.example/pq")
	if err != nil {
		t.Fatal(err)
	}
	w2File := filepath.Join(t.TempDir(), "pq.vkey")
	if err := os.WriteFile(w2File, []byte(w2+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	placeholders := strings.NewReplacer(w1, "<KEY-w1>", w2, "<KEY-pq>", w1b, "<KEY-w1b>")

	before := countEvents(t, c.ledger)
	out := c.ok("alice", "witness", "add", w1, "http://127.0.0.1:7380/", "--reason", "the audit firm's \u202elitewitness", "--at", "2025-03-01T10:00:00Z")
	if !regexp.MustCompile(`^witness witness\.example/w1 added: checkpoints go to http://127\.0\.0\.1:7380/add-checkpoint \[seq \d+, event [0-9a-f-]{36}\]\n$`).MatchString(out) {
		t.Errorf("witness add printed %q", out)
	}
	var added struct {
		Witness, Key, URL string
		AddCheckpoint     string `json:"add_checkpoint"`
		Seq               int
	}
	if err := json.Unmarshal([]byte(c.ok("alice", "witness", "add", w2File, "HTTPS://w2.example/pq", "--at", "2025-03-01T10:05:00Z", "--json")), &added); err != nil {
		t.Fatal(err)
	}
	if added.Witness != "witness.example/pq" || added.Key != w2 || added.URL != "https://w2.example/pq" || added.AddCheckpoint != "https://w2.example/pq/add-checkpoint" || added.Seq != before+1 {
		t.Errorf("witness add --json (the key from a file) = %+v, want witness.example/pq at seq %d", added, before+1)
	}
	if got := countEvents(t, c.ledger); got != before+2 {
		t.Fatalf("%d events after two additions, want %d", got, before+2)
	}

	t.Run("refusals append nothing", func(t *testing.T) {
		tests := []struct {
			name  string
			actor string
			args  []string
			code  int
			want  string
		}{
			{"a non-admin", "ian", []string{"witness", "add", cosigV1Key(t, "witness.example/ian"), "http://127.0.0.1:7390"}, 4, "witness-role"},
			{"the same key again", "alice", []string{"witness", "add", w1, "http://127.0.0.1:7381"}, 4, "witness-exists"},
			{"another key of an active witness's name", "alice", []string{"witness", "add", w1b, "http://127.0.0.1:7381"}, 4, "ambiguous"},
			{"a plain note key", "alice", []string{"witness", "add", "filippo.io/debian-archive+6c61b70b+Aaw9ASjgICSzfKJDcCqz7l3FtSpKvQYCvaRfdfOiIRun", "http://127.0.0.1:7380"}, 4, `rule witness-key`},
			{"a key hash that does not match", "alice", []string{"witness", "add", strings.Replace(cosigV1Key(t, "witness.example/x"), "witness.example/x+", "witness.example/y+", 1), "http://127.0.0.1:7380"}, 4, "altered or mistyped"},
			{"no key at all", "alice", []string{"witness", "add", "witness.example", "http://127.0.0.1:7380"}, 2, "neither a witness's verifier key"},
			{"a key the signed-note library does not parse", "alice", []string{"witness", "add", "witness.example/z+01234567+!!", "http://127.0.0.1:7380"}, 2, "is not a witness's verifier key"},
			{"a URL with a query", "alice", []string{"witness", "add", cosigV1Key(t, "witness.example/q"), "http://127.0.0.1:7380/?k=v"}, 4, "witness-url"},
			{"a URL with user info", "alice", []string{"witness", "add", cosigV1Key(t, "witness.example/u"), "https://me:pw@w.example"}, 4, "witness-url"},
			{"no URL", "alice", []string{"witness", "add", cosigV1Key(t, "witness.example/n")}, 2, "missing argument URL"},
			{"not http", "alice", []string{"witness", "add", cosigV1Key(t, "witness.example/f"), "ftp://w.example"}, 4, "witness-url"},
			{"removing an unknown key", "alice", []string{"witness", "remove", w1b, "--reason", "x"}, 3, "witness-not-found"},
			{"removing without a reason", "alice", []string{"witness", "remove", w1}, 2, "--reason is required"},
			{"removing by a non-admin", "ian", []string{"witness", "remove", w1, "--reason", "x"}, 4, "witness-role"},
			{"an unknown setting value", "alice", []string{"setting", "witness-refresh", "soon"}, 2, "not a duration"},
		}
		for _, tt := range tests {
			n := countEvents(t, c.ledger)
			r := c.run(tt.actor, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("%s: exit %d, want %d saying %q\n%s%s", tt.name, r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
			if got := countEvents(t, c.ledger); got != n {
				t.Errorf("%s: %d events after the refusal, want %d", tt.name, got, n)
			}
		}
	})

	out = c.ok("alice", "witness", "remove", w1, "--reason", "the audit contract ended", "--at", "2025-03-02T10:00:00Z")
	if !strings.HasPrefix(out, "witness witness.example/w1 removed: checkpoints no longer go to http://127.0.0.1:7380/add-checkpoint [seq ") {
		t.Errorf("witness remove printed %q", out)
	}
	// Removed, its name is free for the witness's new key.
	c.ok("alice", "witness", "add", w1b, "http://127.0.0.1:7380", "--at", "2025-03-03T10:00:00Z")

	var active, all []witnessJSON
	c.json(&active, "witness", "list")
	c.json(&all, "witness", "list", "--all")
	if len(active) != 2 || active[0].Key != w2 || active[1].Key != w1b || active[0].URL != "https://w2.example/pq" {
		t.Errorf("witness list --json = %+v, want pq then w1's new key", active)
	}
	if len(all) != 3 || all[0].Key != w1 || all[0].Removed == nil || all[0].RemoveReason != "the audit contract ended" ||
		!all[0].Removed.At.Equal(mustTime(t, "2025-03-02T10:00:00Z")) || all[0].Removed.Actor != "alice" ||
		!all[0].Added.At.Equal(mustTime(t, "2025-03-01T10:00:00Z")) || all[0].URL != "http://127.0.0.1:7380" || all[1].Removed != nil {
		t.Errorf("witness list --all --json = %+v", all)
	}

	r := c.run("auditor", "witness", "list", "--all")
	if r.code != 0 {
		t.Fatalf("witness list --all: exit %d\n%s", r.code, r.stderr)
	}
	assertNoRaw(t, "witness list --all", r) // the reason's U+202E is escaped
	goldenIn(t, "testdata/witness", "list-all.txt", []byte(placeholders.Replace(r.stdout)))
	if text := c.ok("auditor", "witness", "list"); strings.Contains(text, w1+"\n") || !strings.Contains(text, w1b) || strings.Contains(text, "STATE") {
		t.Errorf("witness list (active only) shows the removed key or a state column:\n%s", text)
	}

	// The log names each event; verify checks them like every other.
	var log []logEntry
	c.json(&log, "log")
	var kinds []string
	for _, e := range log {
		if strings.HasPrefix(e.Type, "Witness") {
			kinds = append(kinds, e.Type)
		}
	}
	if got := strings.Join(kinds, ","); got != "WitnessAdded,WitnessAdded,WitnessRemoved,WitnessAdded" {
		t.Errorf("witness events in the log: %s", got)
	}
	if r := c.run("auditor", "verify"); r.code != 0 {
		t.Errorf("verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	t.Run("witness-refresh", func(t *testing.T) {
		if !regexp.MustCompile(`(?m)^witness-refresh\s+1h\s+how often`).MatchString(c.ok("auditor", "settings")) {
			t.Errorf("settings does not show witness-refresh at its default, 1h")
		}
		if r := c.run("ian", "setting", "witness-refresh", "30m"); r.code != 4 || !strings.Contains(r.stderr, "setting-role") {
			t.Errorf("witness-refresh set by a non-admin: exit %d\n%s", r.code, r.stderr)
		}
		c.ok("alice", "setting", "witness-refresh", "30m")
		if !regexp.MustCompile(`(?m)^witness-refresh\s+30m\s+`).MatchString(c.ok("auditor", "settings")) {
			t.Errorf("settings does not show witness-refresh 30m")
		}
	})

	t.Run("an empty list", func(t *testing.T) {
		e := newLedger(t)
		e.ok("alice", "init", "--name", "Bare")
		r := e.run("auditor", "witness", "list", "--json")
		if r.code != 0 || strings.TrimSpace(r.stdout) != "[]" {
			t.Errorf("witness list --json on a ledger without witnesses: exit %d, %q", r.code, r.stdout)
		}
		if r := e.run("auditor", "witness", "list"); r.code != 0 || !strings.Contains(r.stderr, "no active witness") {
			t.Errorf("witness list without witnesses: exit %d\n%s", r.code, r.stderr)
		}
	})
}

// TestWitnessConfigTeamLedger: on a team ledger the notary judges a
// change of witnesses like every ledger event. The admin's is checkpointed;
// a witness of a responder's own, written around the CLI and signed with
// his own key (so that checkpoints would go where he wants, and his
// witness's cosignatures count), is rejected by rule witness-role and never
// listed.
func TestWitnessConfigTeamLedger(t *testing.T) {
	c := newLedger(t)
	tm := newTeam(t, c)
	// The notary judges and checkpoints, then submits to the witnesses;
	// none listens here, so it may end in an error after judging (what
	// this test looks at).
	notarize := func() string {
		t.Helper()
		r := c.run("alice", "--ledger-key", tm.notaryKey, "notary", "run", "--once")
		if !strings.Contains(r.stdout, "judged") {
			t.Fatalf("notary run --once: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	audit := cosigV1Key(t, "witness.example/audit")
	c.ok("alice", "witness", "add", audit, "http://127.0.0.1:9", "--reason", "the auditor's")
	if out := notarize(); !strings.Contains(out, "rejected 0 append(s)") {
		t.Errorf("the notary over the admin's witness: %q, want it accepted", out)
	}
	mine := cosigV1Key(t, "witness.example/oscar")
	forged := tm.forge(t, domain.LedgerStream, "oscar", "oscar", time.Now().UTC(), domain.WitnessAdded{Key: mine, URL: "http://127.0.0.1:9"})
	if out := notarize(); !strings.Contains(out, "rejected 1 append(s)") {
		t.Errorf("the notary over a responder's own witness: %q, want it rejected", out)
	}
	notarize() // covers the rejection

	var ws []witnessJSON
	c.json(&ws, "witness", "list", "--all")
	if len(ws) != 1 || ws[0].Key != audit || ws[0].Added.Actor != "alice" {
		t.Errorf("witness list --all = %+v, want the admin's witness only", ws)
	}
	r := c.run("auditor", "verify")
	if r.code != 6 || !strings.Contains(r.stdout, forged[0].ID.String()) || !strings.Contains(r.stdout, "rule witness-role") {
		t.Errorf("verify over the rejected witness: exit %d, want 6 naming event %s and rule witness-role\n%s%s", r.code, forged[0].ID, r.stdout, r.stderr)
	}
}
