package main_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/keystore"
)

// TestShredScenario (issue 25): an incident recorded with
// seal-personal-data on, personal data in its summary, a notice's
// recipient and a note; show and timeline print them. Shredding the note
// alone, then the whole incident: after each, verify passes, the timeline
// shows the forgotten fields as "[forgotten on DATE, basis]" and the others
// in clear, and the deadlines are byte-identical to before. Neither the
// plaintexts nor the destroyed keys' bytes are in the ledger file or its
// -wal, the key store or its journal, or the kept-view caches.
func TestShredScenario(t *testing.T) {
	c := newLedger(t)
	init := c.ok("alice", "init", "--name", "Shred scenario", "--at", "2025-03-01T00:00:00Z")
	m := regexp.MustCompile(`event ([0-9a-f-]{36})`).FindStringSubmatch(init)
	if m == nil {
		t.Fatalf("init printed no event ID:\n%s", init)
	}
	c.ok("alice", "setting", "seal-personal-data", "on", "--at", "2025-03-01T00:00:30Z", "--reason", "the tests record histories long after they happened")
	for _, g := range [][2]string{{"oscar", "responder"}, {"sam", "security-response"}, {"ivy", "security-incident-manager"},
		{"ian", "incident-manager"}, {"lee", "legal"}} {
		c.ok("alice", "grant", g[0], g[1], "--at", "2025-03-01T00:01:00Z")
	}
	c.register("2025-03-01T00:02:00Z", "oscar", "sam", "ivy", "ian", "lee")
	const (
		summary   = "laptop of jane.roe@example.com stolen"
		recipient = "dpo.marie.curie@cnil.example"
		note      = "called Jane Roe on +353 1 555 0101"
	)
	late := "recorded from the case file"
	inc := strings.TrimSpace(c.ok("oscar", "detect", "--source", "automated-alert", "--summary", summary, "--at", "2025-03-07T21:40:00Z", "--quiet"))
	c.ok("oscar", "assess", inc, "--functional-impact", "medium", "--recoverability", "extended", "--information-impact", "privacy-breach", "--at", "2025-03-07T22:30:00Z")
	c.ok("sam", "classify", inc, "privacy-breach", "--at", "2025-03-08T09:00:00Z")
	c.ok("sam", "scope", inc, "--customer", "contoso", "--subjects", "1200", "--at", "2025-03-08T09:30:00Z")
	c.ok("ivy", "risk", inc, "high", "--reasoning", "contact data", "--at", "2025-03-08T15:00:00Z")
	c.ok("ian", "notify", inc, "--to", "supervisory-authority", "--recipient", recipient, "--channel", "portal",
		"--late-entry-reason", late, "--at", "2025-03-09T12:00:00Z")
	noteID := strings.TrimSpace(c.ok("oscar", "note", inc, note, "--at", "2025-03-09T13:00:00Z", "--quiet"))

	show, timeline := c.ok("auditor", "show", inc), c.ok("auditor", "timeline", inc)
	for _, plain := range []string{summary, recipient, note} {
		if !strings.Contains(timeline, plain) && !strings.Contains(show, plain) {
			t.Errorf("show and timeline do not print %q:\n%s\n%s", plain, show, timeline)
		}
	}
	// The deadlines as of a fixed business time, without the header line
	// that names the moment of the read (exit 7: one is overdue).
	deadlines := func() string {
		t.Helper()
		r := c.run("auditor", "deadlines", "--as-of", "2025-03-20T00:00:00Z")
		if r.code != 7 {
			t.Fatalf("deadlines: exit %d, want 7\n%s%s", r.code, r.stdout, r.stderr)
		}
		_, rest, _ := strings.Cut(r.stdout, "\n")
		return rest
	}
	before := deadlines()

	// The key store is beside the user's config; read the keys it holds
	// before they are destroyed, to search for their bytes afterwards.
	ksDir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "breachledger", "keystore")
	matches, _ := filepath.Glob(filepath.Join(ksDir, "*"+m[1]+".db"))
	if len(matches) != 1 {
		t.Fatalf("key stores of this ledger in %s: %v, want one", ksDir, matches)
	}
	ksPath := matches[0]
	keyBytes := func() map[string][]byte {
		kek, err := os.ReadFile(strings.TrimSuffix(ksPath, ".db") + ".kek")
		if err != nil {
			t.Fatal(err)
		}
		ks, err := keystore.Open(context.Background(), ksPath, kek)
		if err != nil {
			t.Fatal(err)
		}
		defer ks.Close()
		infos, err := ks.List(context.Background(), inc)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, in := range infos {
			if k, err := ks.Key(context.Background(), in.ID); err == nil {
				out[in.ID] = k.Bytes()
			}
		}
		return out
	}
	keys := keyBytes()
	if len(keys) < 3 {
		t.Fatalf("%d live keys, want at least the summary's, the note's and the incident's", len(keys))
	}

	check := func(step string, forgotten, kept []string, basis string) {
		t.Helper()
		if r := c.run("auditor", "verify"); r.code != 0 || strings.Contains(r.stderr, "shred-keys-exist") {
			t.Errorf("%s: verify exit %d, or a shred's keys still exist\n%s%s", step, r.code, r.stdout, r.stderr)
		}
		tl := c.ok("auditor", "timeline", inc) + c.ok("auditor", "show", inc)
		for _, plain := range forgotten {
			if strings.Contains(tl, plain) {
				t.Errorf("%s: %q is still printed", step, plain)
			}
		}
		for _, plain := range kept {
			if !strings.Contains(tl, plain) {
				t.Errorf("%s: %q is no longer printed:\n%s", step, plain, tl)
			}
		}
		if !regexp.MustCompile(`\[forgotten on \d{4}-\d\d-\d\d, ` + basis + `\]`).MatchString(tl) {
			t.Errorf("%s: no [forgotten on DATE, %s] in:\n%s", step, basis, tl)
		}
		if got := deadlines(); got != before {
			t.Errorf("%s: deadlines changed:\n%s\nwant:\n%s", step, got, before)
		}
	}

	// Forget the note alone.
	c.ok("lee", "shred", inc, "--event", noteID, "--basis", "mistaken-entry", "--reason", "pasted into a note by mistake")
	check("the note", []string{note}, []string{summary, recipient}, "mistaken-entry")
	live := keyBytes()
	destroyed := map[string][]byte{}
	for id, b := range keys {
		if _, ok := live[id]; !ok {
			destroyed[id] = b
		}
	}
	if len(destroyed) != 1 {
		t.Errorf("the note's shred destroyed %d keys, want 1 (its own)", len(destroyed))
	}
	// A responder may not shred; the same note again has nothing left.
	if r := c.run("oscar", "shred", inc, "--basis", "erasure-request", "--reason", "asked"); r.code != 4 || !strings.Contains(r.stderr, "shred-role") {
		t.Errorf("a responder's shred: exit %d, want 4 (shred-role)\n%s", r.code, r.stderr)
	}
	if r := c.run("lee", "shred", inc, "--event", noteID, "--basis", "mistaken-entry", "--reason", "again"); r.code != 4 || !strings.Contains(r.stderr, "shred-nothing-sealed") {
		t.Errorf("the note shredded again: exit %d, want 4 (shred-nothing-sealed)\n%s", r.code, r.stderr)
	}

	// Forget the whole incident.
	c.ok("lee", "shred", inc, "--basis", "erasure-request", "--reason", "the data subject asked for erasure")
	check("the incident", []string{note, summary, recipient}, nil, "erasure-request")
	if left := keyBytes(); len(left) != 0 {
		t.Errorf("%d keys of the incident left after its shred", len(left))
	}

	// Search the bytes of every file the ledger, the key store and the
	// kept views leave.
	var files []string
	for _, pattern := range []string{c.ledger + "*", filepath.Join(ksDir, "*"+m[1]+"*")} {
		got, _ := filepath.Glob(pattern)
		files = append(files, got...)
	}
	filepath.WalkDir(os.Getenv("XDG_CACHE_HOME"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 3 {
		t.Fatalf("files to search: %v", files)
	}
	needles := map[string][]byte{}
	for _, plain := range []string{summary, recipient, note, "jane.roe", "555 0101"} {
		needles["plaintext "+plain] = []byte(plain)
	}
	for id, b := range keys {
		needles["key "+id] = b
		needles["key (hex) "+id] = []byte(hex.EncodeToString(b))
		needles["key (base64) "+id] = []byte(base64.StdEncoding.EncodeToString(b))
		needles["key (base64url) "+id] = []byte(base64.RawURLEncoding.EncodeToString(b))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a journal gone between the glob and the read
		}
		for what, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("%s found in %s", what, f)
			}
		}
	}
}

// TestShredBeforeSealing: events recorded before seal-personal-data was on
// hold their fields in clear: shred says they cannot be forgotten (exit 4)
// and appends nothing.
func TestShredBeforeSealing(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "Shred before sealing", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.ok("alice", "grant", "lee", "legal", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:02:00Z", "oscar", "lee")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "--source", "automated-alert", "--summary", "jane.roe@example.com", "--at", "2025-03-07T21:40:00Z", "--quiet"))
	before := c.dump()
	r := c.run("lee", "shred", inc, "--basis", "erasure-request", "--reason", "asked")
	if r.code != 4 || !strings.Contains(r.stderr, "shred-not-sealed") || !strings.Contains(r.stderr, "before seal-personal-data was on") {
		t.Errorf("shred: exit %d, want 4 naming shred-not-sealed\n%s", r.code, r.stderr)
	}
	if after := c.dump(); after != before {
		t.Error("the refused shred changed the ledger")
	}
}
