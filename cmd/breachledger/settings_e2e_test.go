package main_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// settingsDir holds the goldens of the settings acceptance test (issue 17).
const settingsDir = "../../testdata/scenarios/settings-history"

// settingsLedger records, through the binary, two incidents of March 2025:
//
// A, closed: a privacy breach (aware 2025-03-07T22:15Z, high risk
// 2025-03-08T15:00Z, declared 2025-03-09T10:00Z) with customers contoso
// and fabrikam, a notification delay for fabrikam approved by legal
// (12:00) and the executive incident manager (13:00) until
// 2025-03-12T20:00Z, and every notice on time under the defaults:
//
//	CNIL        2025-03-10T12:00Z  gdpr-art33 due 2025-03-10T22:15Z (72h after awareness)
//	subjects    2025-03-10T15:00Z  gdpr-art34 due 2025-03-11T15:00Z (art34-target 72h after the high risk)
//	contoso     2025-03-10T09:00Z  customer-notice due 2025-03-12T10:00Z (72h after the declaration)
//	fabrikam    2025-03-13T09:00Z  customer-notice due 2025-03-15T17:00Z: 72h, paused 79h by the
//	                               approved delay (2025-03-09T13:00Z to 2025-03-12T20:00Z)
//
// post-mortem 2025-03-14T09:00Z, closed 2025-03-15T09:00Z. Under a 12h
// window contoso's notice (23h after the declaration) and fabrikam's
// (due 2025-03-09T22:00Z + 79h = 2025-03-13T05:00Z) would be met-late.
//
// B, open: a privacy breach detected 2025-03-20T08:00Z, high risk
// determined 2025-03-20T12:00Z (gdpr-art34 due 2025-03-23T12:00Z under
// the default art34-target 72h).
func settingsLedger(t *testing.T) (c *cli, a, b string) {
	t.Helper()
	c = newLedger(t)
	c.ok("alice", "init", "--name", "Settings history", "--at", "2025-03-01T00:00:00Z")
	for _, g := range [][2]string{{"oscar", "responder"}, {"sam", "security-response"}, {"ivy", "security-incident-manager"},
		{"ian", "incident-manager"}, {"lee", "legal"}, {"eve", "executive-incident-manager"}} {
		c.ok("alice", "grant", g[0], g[1], "--at", "2025-03-01T00:01:00Z")
	}
	c.register("2025-03-01T00:02:00Z", "oscar", "sam", "ivy", "ian", "lee", "eve")
	late := "recorded from the 2025 case file"
	a = strings.TrimSpace(c.ok("oscar", "detect", "--source", "automated-alert", "--summary", "bulk read", "--aware-at", "2025-03-07T22:15:00Z", "--at", "2025-03-07T21:40:00Z", "--quiet"))
	c.ok("oscar", "assess", a, "--functional-impact", "medium", "--recoverability", "extended", "--information-impact", "privacy-breach", "--at", "2025-03-07T22:30:00Z")
	c.ok("sam", "stage", a, "diagnose", "--at", "2025-03-08T01:00:00Z")
	c.ok("sam", "classify", a, "privacy-breach", "--at", "2025-03-08T09:00:00Z")
	c.ok("sam", "scope", a, "--customer", "contoso", "--customer", "fabrikam", "--subjects", "1200", "--at", "2025-03-08T09:30:00Z")
	c.ok("ivy", "risk", a, "high", "--reasoning", "contact data", "--at", "2025-03-08T15:00:00Z")
	c.ok("ivy", "declare", a, "--basis", "evidence", "--reasoning", "access logs", "--at", "2025-03-09T10:00:00Z")
	c.ok("ivy", "request", a, "notification-delay", "--reason", "risk-to-other-customers", "--customer", "fabrikam", "--until", "2025-03-12T20:00:00Z",
		"--details", "notice would tip off the actor", "--at", "2025-03-09T11:00:00Z")
	c.ok("lee", "approve", a, "R1", "--at", "2025-03-09T12:00:00Z")
	c.ok("eve", "approve", a, "R1", "--at", "2025-03-09T13:00:00Z")
	c.ok("sam", "stage", a, "stabilize", "--at", "2025-03-10T08:00:00Z")
	c.ok("ian", "notify", a, "--to", "security-contacts", "--customer", "contoso", "--recipient", "soc@contoso", "--late-entry-reason", late, "--at", "2025-03-10T09:00:00Z")
	c.ok("ian", "notify", a, "--to", "supervisory-authority", "--recipient", "CNIL", "--channel", "portal", "--late-entry-reason", late, "--at", "2025-03-10T12:00:00Z")
	c.ok("ian", "notify", a, "--to", "data-subjects", "--recipient", "1,200 users", "--late-entry-reason", late, "--at", "2025-03-10T15:00:00Z")
	c.ok("ian", "notify", a, "--to", "security-contacts", "--customer", "fabrikam", "--recipient", "soc@fabrikam", "--late-entry-reason", late, "--at", "2025-03-13T09:00:00Z")
	c.ok("ian", "postmortem", a, "--summary", "token theft", "--location", "dms://pm", "--sha256", strings.Repeat("a", 64), "--at", "2025-03-14T09:00:00Z")
	c.ok("ian", "close", a, "--summary", "notified on time", "--at", "2025-03-15T09:00:00Z")

	b = strings.TrimSpace(c.ok("oscar", "detect", "--source", "automated-alert", "--summary", "second bulk read", "--at", "2025-03-20T08:00:00Z", "--quiet"))
	c.ok("oscar", "assess", b, "--functional-impact", "medium", "--recoverability", "extended", "--information-impact", "privacy-breach", "--at", "2025-03-20T08:30:00Z")
	c.ok("sam", "stage", b, "diagnose", "--at", "2025-03-20T09:00:00Z")
	c.ok("sam", "classify", b, "privacy-breach", "--at", "2025-03-20T10:00:00Z")
	c.ok("ivy", "risk", b, "high", "--reasoning", "contact data", "--at", "2025-03-20T12:00:00Z")
	return c, a, b
}

// settingsReads are what must not change for the closed incident a:
// show, the deadlines, its report and the period report, as of
// 2025-04-01 (text and JSON).
func settingsReads(a string) [][]string {
	asOf := []string{"--as-of", "2025-04-01T00:00:00Z"}
	return [][]string{
		append([]string{"show", a}, asOf...),
		append([]string{"show", a, "--json"}, asOf...),
		append([]string{"deadlines", a}, asOf...),
		append([]string{"deadlines", a, "--json"}, asOf...),
		append([]string{"report", "--incident", a}, asOf...),
		append([]string{"report", "--incident", a, "--format", "json"}, asOf...),
		append([]string{"report", "--from", "2025-03-01T00:00:00Z", "--to", "2025-04-01T00:00:00Z"}, asOf...),
		append([]string{"report", "--from", "2025-03-01T00:00:00Z", "--to", "2025-04-01T00:00:00Z", "--format", "json"}, asOf...),
	}
}

var (
	// What a later append changes in any read of the ledger: the time
	// it was read as known at, and the integrity section (tree size,
	// root, checkpoint) that covers the whole ledger.
	settingsKnownAt  = regexp.MustCompile(`(known[ _-]at"?:? "?)[0-9T:.\-]+Z`)
	settingsCheckpt  = regexp.MustCompile(`--checkpoint [0-9]+`)
	settingsTreeJSON = regexp.MustCompile(`(?s)"integrity": \{.*?\n  \}`)
	settingsTreeMD   = regexp.MustCompile(`(?s)\n## Integrity.*?(\n## |\z)`)
)

// settingsNormal replaces what a later, unrelated append changes, and the
// run's incident IDs and store-set values.
func settingsNormal(c *cli, out string, incidents ...string) string {
	var log []logEntry
	c.json(&log, "log")
	for i, id := range incidents {
		out = strings.ReplaceAll(out, id, "<INCIDENT-"+string(rune('A'+i))+">")
	}
	out = string(placeholders([]byte(out), "\x00", log))
	for _, e := range log { // store-set recorded times in text (report.md's tables)
		if rt := e.RecordedAt.UTC().Format(time.RFC3339Nano); !e.RecordedAt.IsZero() {
			out = strings.ReplaceAll(out, rt, fmt.Sprintf("<RECORDED-%d>", e.Seq))
		}
	}
	out = recordedLatePlaceholders(out)
	out = settingsKnownAt.ReplaceAllString(out, "${1}<KNOWN-AT>")
	out = settingsCheckpt.ReplaceAllString(out, "--checkpoint <CHECKPOINT>")
	out = settingsTreeJSON.ReplaceAllString(out, `"integrity": "<INTEGRITY>"`)
	return settingsTreeMD.ReplaceAllString(out, "\n## Integrity <INTEGRITY>\n$1")
}

// Acceptance (issue 17): a setting changed after an incident closed leaves
// its statuses, report and the period report byte-identical, and applies
// to an incident opened after it; a backdated setting with a reason
// applies to an open incident anchored after it, not to the closed one.
func TestSettingChangedAfterClose(t *testing.T) {
	c, a, b := settingsLedger(t)
	reads := settingsReads(a)
	read := func() []string {
		var out []string
		for _, args := range reads {
			r := c.run("auditor", args...)
			if r.code != 0 && r.code != 7 {
				t.Fatalf("breachledger %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
			}
			out = append(out, settingsNormal(c, r.stdout, a, b))
		}
		return out
	}
	before := read()

	// Hand-computed statuses under the defaults.
	var show struct {
		Obligations []struct {
			obligation
			Setting *struct {
				Key, Value string
				Since      time.Time
				Default    bool
			} `json:"setting"`
		} `json:"obligations"`
	}
	if err := json.Unmarshal([]byte(c.ok("auditor", "show", a, "--json", "--as-of", "2025-04-01T00:00:00Z")), &show); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"gdpr-art33":               "2025-03-10T22:15:00Z",
		"gdpr-art34":               "2025-03-11T15:00:00Z",
		"customer-notice/contoso":  "2025-03-12T10:00:00Z",
		"customer-notice/fabrikam": "2025-03-15T17:00:00Z",
	}
	for _, o := range show.Obligations {
		due, ok := want[o.ID]
		if !ok {
			continue
		}
		delete(want, o.ID)
		if o.Status != "met" || !o.DueAt.Equal(mustTime(t, due)) {
			t.Errorf("%s: %s due %s, want met, due %s", o.ID, o.Status, o.DueAt.Format(time.RFC3339), due)
		}
		if strings.HasPrefix(o.ID, "customer-notice/") && (o.Setting == nil || o.Setting.Key != "customer-notice-window" || o.Setting.Value != "72h" || !o.Setting.Default ||
			!o.Setting.Since.Equal(mustTime(t, "2025-03-01T00:00:00Z"))) {
			t.Errorf("%s: setting %+v, want customer-notice-window 72h, the default since the ledger's start", o.ID, o.Setting)
		}
	}
	if len(want) > 0 {
		t.Errorf("obligations missing from show: %v", want)
	}

	// The change: now, with no --at.
	c.ok("alice", "setting", "customer-notice-window", "12h")
	after := read()
	for i := range reads {
		if before[i] != after[i] {
			t.Errorf("breachledger %s changed after \"setting customer-notice-window 12h\" (-before +after):\n%s", strings.Join(reads[i], " "), cmp.Diff(before[i], after[i]))
		}
	}
	for i, name := range []string{"show.txt", "show.json", "deadlines.txt", "deadlines.json", "report.md", "report.json", "period.md", "period.json"} {
		goldenIn(t, settingsDir, name, []byte(after[i]))
	}
	if !strings.Contains(after[0], "customer-notice-window 72h (default, in force since 2025-03-01T00:00:00Z)") {
		t.Errorf("show does not say which setting applied:\n%s", after[0])
	}

	// An incident opened after the change gets the 12h window.
	d := strings.TrimSpace(c.ok("oscar", "detect", "--source", "automated-alert", "--summary", "third bulk read", "--quiet"))
	c.ok("oscar", "assess", d, "--functional-impact", "medium", "--recoverability", "extended", "--information-impact", "privacy-breach")
	c.ok("sam", "stage", d, "diagnose")
	c.ok("sam", "classify", d, "privacy-breach")
	c.ok("sam", "scope", d, "--customer", "contoso")
	c.ok("ivy", "declare", d, "--basis", "evidence", "--reasoning", "access logs")
	var log []struct {
		Type string    `json:"type"`
		At   time.Time `json:"at"`
	}
	c.json(&log, "log", "--incident", d)
	var declared time.Time
	for _, e := range log {
		if e.Type == "CRSPIDeclared" {
			declared = e.At
		}
	}
	var dv deadlineView
	c.json(&dv, "deadlines", d)
	o, ok := byID(t, dv.Deadlines)["customer-notice/contoso"]
	if !ok {
		t.Fatalf("no customer notice for the new incident: %+v", dv.Deadlines)
	}
	if declared.IsZero() {
		t.Fatalf("no CRSPIDeclared in the new incident's log")
	}
	if wantDue := declared.Add(12 * time.Hour); !o.DueAt.Equal(wantDue) {
		t.Errorf("new incident: customer notice due %s, want %s (12h after the declaration %s)", o.DueAt, wantDue, declared)
	}

	// A backdated setting: refused without a reason (exit 4, nothing appended).
	backdated := []string{"setting", "art34-target", "24h", "--at", "2025-03-05T00:00:00Z"}
	dump := c.dump()
	if r := c.run("alice", backdated...); r.code != 4 || !strings.Contains(r.stderr, "setting-backdated-needs-reason") || !strings.Contains(r.stderr, "--reason") {
		t.Errorf("backdated without a reason: exit %d, want 4 naming setting-backdated-needs-reason and --reason\n%s", r.code, r.stderr)
	}
	if c.dump() != dump {
		t.Errorf("the refused setting changed the ledger")
	}
	c.ok("alice", append(backdated, "--reason", "the DPO's target since 5 March, recorded late")...)
	// It applies to B (high risk 2025-03-20T12:00Z, after it): due 24h later.
	var bv deadlineView
	c.json(&bv, "deadlines", b, "--as-of", "2025-03-21T00:00:00Z")
	if o, ok := byID(t, bv.Deadlines)["gdpr-art34"]; !ok || !o.DueAt.Equal(mustTime(t, "2025-03-21T12:00:00Z")) {
		t.Errorf("open incident B: gdpr-art34 %+v, want due 2025-03-21T12:00:00Z (24h after the high risk)", o)
	}
	// Not to the closed A: every read of it is still the same (the period
	// report also counts B, which it changed).
	again := read()
	for i := range reads[:6] {
		if before[i] != again[i] {
			t.Errorf("breachledger %s changed after the backdated art34-target (-before +after):\n%s", strings.Join(reads[i], " "), cmp.Diff(before[i], again[i]))
		}
	}
}
