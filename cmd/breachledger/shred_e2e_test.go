package main_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// shredDir holds the golden file of the shred scenario (issue 25).
const shredDir = "../../testdata/scenarios/shred"

// TestShredScenario (issue 25, the acceptance): an incident recorded with
// seal-personal-data on, personal data in its summary, a notice's
// recipient, a data-subject communication and a note; show and timeline
// print them. The pasted note is shredded alone; then the incident is
// closed, retention-after-close set, and "shred --due" forgets the rest
// (--dry-run first, which appends nothing). After each shred: verify and
// verify --key (every checkpoint and actor signature) pass and say no
// shred's keys still exist; a bundle exported then passes verify --bundle
// --key; the deadlines and statuses as of a fixed business time match one
// golden file, before and after both shreds (and due times worked out by
// hand); show, timeline and the reports in every format print no
// forgotten value but "[forgotten on DATE, basis]"; and neither the
// forgotten plaintexts nor the destroyed keys' bytes are in the ledger
// file or its -wal, the key store or its journal or -wal, the kept-view
// caches or their -wal, or the reports.
func TestShredScenario(t *testing.T) {
	c := newLedger(t)
	init := c.ok("alice", "init", "--name", "Shred scenario", "--at", "2025-03-01T00:00:00Z")
	m := regexp.MustCompile(`event ([0-9a-f-]{36})`).FindStringSubmatch(init)
	if m == nil {
		t.Fatalf("init printed no event ID:\n%s", init)
	}
	origin := m[1] // the ledger's origin names its key store and kept views
	c.ok("alice", "setting", "seal-personal-data", "on", "--at", "2025-03-01T00:00:30Z", "--reason", "the tests record histories long after they happened")
	for _, g := range [][2]string{{"oscar", "responder"}, {"sam", "security-response"}, {"ivy", "security-incident-manager"},
		{"ian", "incident-manager"}, {"lee", "legal"}} {
		c.ok("alice", "grant", g[0], g[1], "--at", "2025-03-01T00:01:00Z")
	}
	c.register("2025-03-01T00:02:00Z", "oscar", "sam", "ivy", "ian", "lee")
	dir := t.TempDir()
	pub := filepath.Join(dir, "ledger.pub")
	c.ok("alice", "key", "public", "-o", pub)
	const (
		summary   = "laptop of jane.roe@example.com stolen"
		recipient = "dpo.marie.curie@cnil.example"
		subject   = "jane.roe@home.example"
		letter    = "wrote to Jane Roe about her stolen laptop"
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
	c.ok("ian", "notify", inc, "--to", "data-subjects", "--recipient", subject, "--summary", letter, "--channel", "letter",
		"--delay-reason", "the address was confirmed only then", "--late-entry-reason", late, "--at", "2025-03-12T10:00:00Z")

	show, timeline := c.ok("auditor", "show", inc), c.ok("auditor", "timeline", inc)
	for _, plain := range []string{summary, recipient, subject, note} { // the letter's summary is in the reports
		if !strings.Contains(timeline, plain) && !strings.Contains(show, plain) {
			t.Errorf("show and timeline do not print %q:\n%s\n%s", plain, show, timeline)
		}
	}
	before := shredStatuses(t, c, inc)
	goldenIn(t, shredDir, "statuses.json", []byte(before))

	// The key store is beside the user's config; read the keys it holds
	// before they are destroyed, to search for their bytes afterwards.
	ksPath := keyStoreOf(t, origin) // esdb_seal_e2e_test.go
	ksDir := filepath.Dir(ksPath)
	keyBytes := func() map[string][]byte { return liveKeys(t, ksPath, inc) } // esdb_seal_e2e_test.go
	keys := keyBytes()
	if len(keys) < 4 {
		t.Fatalf("%d live keys, want at least the summary's, the note's, the letter's and the incident's", len(keys))
	}

	reports := filepath.Join(dir, "reports")
	forgottenRE := func(basis string) *regexp.Regexp { // Markdown escapes the brackets
		return regexp.MustCompile(`\\?\[forgotten on \d{4}-\d\d-\d\d, ` + basis + `\\?\]`)
	}
	check := func(step string, forgotten, kept []string, basis string) {
		t.Helper()
		for _, args := range [][]string{{"verify"}, {"verify", "--key", pub}} {
			if r := c.run("auditor", args...); r.code != 0 || !strings.Contains(r.stdout, "intact") || strings.Contains(r.stderr, "shred-keys-exist") {
				t.Errorf("%s: %s: exit %d, not intact, or a shred's keys still exist\n%s%s", step, strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
		}
		bundle := filepath.Join(dir, step+".bundle")
		c.ok("alice", "export", "--bundle", bundle)
		if r := c.run("auditor", "verify", "--bundle", bundle, "--key", pub); r.code != 0 {
			t.Errorf("%s: verify --bundle: exit %d\n%s%s", step, r.code, r.stdout, r.stderr)
		}
		outs := map[string]string{"show and timeline": c.ok("auditor", "timeline", inc) + c.ok("auditor", "show", inc)}
		for _, f := range []string{"md", "html", "json", "csv"} {
			out := filepath.Join(reports, step+"."+f)
			if err := os.MkdirAll(reports, 0o755); err != nil {
				t.Fatal(err)
			}
			c.ok("auditor", "report", "--incident", inc, "--format", f, "-o", out)
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			outs["report."+f] = string(b)
		}
		for what, out := range outs {
			for _, plain := range forgotten {
				if strings.Contains(out, plain) {
					t.Errorf("%s: %s still prints %q", step, what, plain)
				}
			}
			if strings.Contains(out, "sealed:v1:") {
				t.Errorf("%s: %s prints a sealed value as stored instead of opening it", step, what)
			}
			if !forgottenRE(basis).MatchString(out) {
				t.Errorf("%s: no [forgotten on DATE, %s] in %s", step, basis, what)
			}
		}
		for _, plain := range kept {
			if !strings.Contains(outs["show and timeline"], plain) {
				t.Errorf("%s: %q is no longer printed:\n%s", step, plain, outs["show and timeline"])
			}
		}
		if got := shredStatuses(t, c, inc); got != before {
			t.Errorf("%s: deadlines or statuses changed:\n%s\nwant:\n%s", step, got, before)
		}
	}
	// search looks for the forgotten plaintexts and the destroyed keys'
	// bytes in every file the ledger, the key store and the kept views
	// leave, and in the reports made after the step's shred (one made
	// before it is a copy no shred reaches: README, "Backups and
	// forgetting").
	search := func(step string, plains []string, destroyed map[string][]byte) {
		t.Helper()
		var files []string
		for _, pattern := range []string{c.ledger + "*", filepath.Join(ksDir, "*"+origin+"*"), filepath.Join(reports, step+".*")} {
			got, _ := filepath.Glob(pattern)
			files = append(files, got...)
		}
		if got, _ := filepath.Glob(filepath.Join(reports, step+".*")); len(got) != 4 {
			t.Errorf("%s: reports to search: %v, want one a format", step, got)
		}
		// This ledger's kept views and their -wal and -shm (the tests share
		// one cache directory, and others there hold the same plaintexts).
		cache := filepath.Join(os.Getenv("XDG_CACHE_HOME"), "breachledger")
		kept, _ := filepath.Glob(filepath.Join(cache, "*"+origin+"*"))
		if len(kept) == 0 {
			t.Errorf("%s: no kept view of this ledger in %s to search", step, cache)
		}
		files = append(files, kept...)
		needles := map[string][]byte{}
		for _, plain := range plains {
			needles["plaintext "+plain] = []byte(plain)
		}
		for id, b := range destroyed {
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
					t.Errorf("%s: %s found in %s", step, what, f)
				}
			}
		}
	}
	destroyedSince := func(before map[string][]byte) map[string][]byte {
		live, out := keyBytes(), map[string][]byte{}
		for id, b := range before {
			if _, ok := live[id]; !ok {
				out[id] = b
			}
		}
		return out
	}

	// Forget the note alone.
	c.ok("lee", "shred", inc, "--event", noteID, "--basis", "mistaken-entry", "--reason", "pasted into a note by mistake")
	check("note", []string{note}, []string{summary, recipient, subject}, "mistaken-entry")
	destroyed := destroyedSince(keys)
	if len(destroyed) != 1 {
		t.Errorf("the note's shred destroyed %d keys, want 1 (its own)", len(destroyed))
	}
	search("note", []string{note, "555 0101"}, destroyed)
	// A responder may not shred; the same note again has nothing left.
	if r := c.run("oscar", "shred", inc, "--basis", "erasure-request", "--reason", "asked"); r.code != 4 || !strings.Contains(r.stderr, "shred-role") {
		t.Errorf("a responder's shred: exit %d, want 4 (shred-role)\n%s", r.code, r.stderr)
	}
	if r := c.run("lee", "shred", inc, "--event", noteID, "--basis", "mistaken-entry", "--reason", "again"); r.code != 4 || !strings.Contains(r.stderr, "shred-nothing-sealed") {
		t.Errorf("the note shredded again: exit %d, want 4 (shred-nothing-sealed)\n%s", r.code, r.stderr)
	}

	// Close the incident on 1 April 2025 and keep closed incidents' personal
	// data for a year: it is due on 1 April 2026, before any run of this test.
	c.ok("ian", "stage", inc, "diagnose", "--at", "2025-03-25T00:00:00Z")
	c.ok("ian", "stage", inc, "stabilize", "--at", "2025-03-26T00:00:00Z")
	c.ok("ian", "postmortem", inc, "--summary", "stolen laptop of Jane Roe; disk encrypted", "--location", "dms://ir/2025-017/pm-jane-roe.pdf",
		"--sha256", strings.Repeat("ab", 32), "--at", "2025-03-31T00:00:00Z")
	c.ok("ian", "close", inc, "--summary", "closed once Jane Roe was told", "--at", "2025-04-01T00:00:00Z")
	if r := c.run("lee", "shred", "--due"); r.code != 4 || !strings.Contains(r.stderr, "retention-not-set") || !strings.Contains(r.stderr, "retention-after-close") {
		t.Errorf("shred --due without the setting: exit %d, want 4 naming retention-after-close\n%s", r.code, r.stderr)
	}
	c.ok("alice", "setting", "retention-after-close", "365d")
	all := keyBytes() // the closure's events have keys too
	dump := c.dump()
	dry := c.ok("lee", "shred", "--due", "--dry-run")
	if want := "incident " + inc + ": closed 2025-04-01T00:00:00Z, due 2026-04-01T00:00:00Z: would forget"; !strings.Contains(dry, want) {
		t.Errorf("shred --due --dry-run:\n%s\nwant a line %q", dry, want)
	}
	if c.dump() != dump {
		t.Error("shred --due --dry-run changed the ledger")
	}
	if got := len(keyBytes()); got != len(all) {
		t.Errorf("after the dry run %d keys are left, want %d", got, len(all))
	}
	out := c.ok("lee", "shred", "--due")
	if !regexp.MustCompile(`incident ` + inc + `: closed 2025-04-01T00:00:00Z, due 2026-04-01T00:00:00Z: forgotten: .*\[DataShredded [0-9a-f-]{36}\]`).MatchString(out) {
		t.Errorf("shred --due printed:\n%s", out)
	}
	if tl := c.ok("auditor", "timeline", inc); !strings.Contains(tl, "retention: closed on 2025-04-01; retention-after-close 365d") {
		t.Errorf("the DataShredded's reason does not name the rule:\n%s", tl)
	}
	check("retention", []string{note, summary, recipient, subject, letter, "Jane Roe"}, nil, "retention")
	if left := keyBytes(); len(left) != 0 {
		t.Errorf("%d keys of the incident left after its shred", len(left))
	}
	maps.Copy(destroyed, destroyedSince(all))
	if want := len(all) + 1; len(destroyed) != want {
		t.Errorf("%d keys destroyed in all, want every one of the %d (the note's and those left for --due)", len(destroyed), want)
	}
	search("retention", []string{summary, recipient, subject, letter, note, "jane.roe", "Jane Roe", "555 0101"}, destroyed)
	if out := c.ok("lee", "shred", "--due"); !strings.Contains(out, "nothing left to forget (skipped)") {
		t.Errorf("shred --due again:\n%s\nwant the incident skipped", out)
	}
}

// shredStatuses returns the incident's deadlines and statuses as of
// 2025-03-20, before its closure: what no shred may change. It keeps, of
// deadlines --json and show --json, the fields that are neither personal
// nor generated (IDs, recorded times), and checks the due times worked out
// by hand.
func shredStatuses(t *testing.T, c *cli, inc string) string {
	t.Helper()
	type obligation struct {
		Incident   string `json:"incident,omitempty"`
		Obligation string `json:"obligation"`
		Citation   string `json:"citation"`
		Recipient  string `json:"recipient"`
		Anchor     string `json:"anchor"`
		AnchorAt   string `json:"anchor_at"`
		Window     string `json:"window"`
		Target     bool   `json:"target"`
		DueAt      string `json:"due_at"`
		Status     string `json:"status"`
		MetAt      string `json:"met_at"`
	}
	var deadlines struct {
		Deadlines []obligation `json:"deadlines"`
	}
	var shown struct {
		Stage          string `json:"stage"`
		Closed         bool   `json:"closed"`
		Classification struct {
			Classification string `json:"classification"`
		} `json:"classification"`
		Assessment struct {
			Severity string `json:"severity"`
			Priority string `json:"priority"`
		} `json:"assessment"`
		Risk struct {
			Level string `json:"level"`
		} `json:"risk"`
		Scope struct {
			Customers []string `json:"customers"`
			Subjects  int      `json:"subjects"`
		} `json:"scope"`
		Notifications []struct {
			At            string `json:"at"`
			RecipientKind string `json:"recipient_kind"`
			Channel       string `json:"channel"`
			Phase         string `json:"phase"`
		} `json:"notifications"`
		Obligations []obligation `json:"obligations"`
	}
	asOf := []string{"--as-of", "2025-03-20T00:00:00Z"}
	c.json(&deadlines, append([]string{"deadlines"}, asOf...)...)
	c.json(&shown, append([]string{"show", inc}, asOf...)...)
	for i := range deadlines.Deadlines {
		if deadlines.Deadlines[i].Incident == inc {
			deadlines.Deadlines[i].Incident = "<INC>"
		}
	}
	// By hand: 72 hours from awareness (7 March 21:40), met by the notice
	// of 9 March; 72 hours from the high-risk determination (8 March
	// 15:00), met late by the letter of 12 March.
	want := map[string][2]string{"gdpr-art33": {"2025-03-10T21:40:00Z", "met"}, "gdpr-art34": {"2025-03-11T15:00:00Z", "met-late"}}
	for _, o := range shown.Obligations {
		if w, ok := want[o.Obligation]; !ok || o.DueAt != w[0] || o.Status != w[1] {
			t.Errorf("obligation %s due %s %s, want %v", o.Obligation, o.DueAt, o.Status, w)
		}
	}
	if len(shown.Obligations) != len(want) {
		t.Errorf("%d obligations, want %d", len(shown.Obligations), len(want))
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<INC>" as it is
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Deadlines any `json:"deadlines"`
		Show      any `json:"show"`
	}{deadlines.Deadlines, shown}); err != nil {
		t.Fatal(err)
	}
	return b.String()
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
