package main_test

import (
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// businessTimeLedger records, through the binary, a declared privacy
// breach of a HIPAA covered entity, each fact signed by its author:
//
//	2025-03-07T21:40Z detected (aware 22:15)      2025-03-09T10:00Z declared
//	2025-03-07T22:30Z assessed (Assess entered)   2025-03-09T11:00Z delay request R1
//	2025-03-08T01:00Z Diagnose entered            2025-03-09T12:00Z notice to the CNIL
//	2025-03-08T09:00Z classified privacy breach   2025-03-09T13:00Z law-enforcement hold H1
//	2025-03-08T10:00Z discovery determined        2025-03-10T09:00Z Stabilize entered
//	2025-03-08T15:00Z high risk determined        2025-03-12T09:00Z post-mortem
//
// and a second incident, a false positive closed 2025-03-08T10:00Z. It
// returns the runner, both incidents and the event IDs the refusals name.
func businessTimeLedger(t *testing.T) (c *cli, inc, closed string, ids map[string]string) {
	t.Helper()
	c = newLedger(t)
	c.ok("alice", "init", "--name", "Business time", "--at", "2025-03-01T00:00:00Z")
	for _, g := range [][2]string{{"oscar", "responder"}, {"sam", "security-response"}, {"ivy", "security-incident-manager"},
		{"ian", "incident-manager"}, {"lee", "legal"}, {"eve", "executive-incident-manager"}} {
		c.ok("alice", "grant", g[0], g[1], "--at", "2025-03-01T00:01:00Z")
	}
	c.register("2025-03-01T00:02:00Z", "oscar", "sam", "ivy", "ian", "lee", "eve")
	id := func(who string, args ...string) string {
		t.Helper()
		return strings.TrimSpace(c.ok(who, append(args, "--quiet")...))
	}
	ids = map[string]string{}
	inc = id("oscar", "detect", "--source", "automated-alert", "--summary", "bulk read", "--aware-at", "2025-03-07T22:15:00Z", "--at", "2025-03-07T21:40:00Z")
	ids["assess"] = id("oscar", "assess", inc, "--functional-impact", "medium", "--recoverability", "extended", "--information-impact", "privacy-breach", "--at", "2025-03-07T22:30:00Z")
	ids["diagnose"] = id("sam", "stage", inc, "diagnose", "--at", "2025-03-08T01:00:00Z")
	ids["classify"] = id("sam", "classify", inc, "privacy-breach", "--at", "2025-03-08T09:00:00Z")
	c.ok("sam", "scope", inc, "--customer", "contoso", "--subjects", "1200", "--at", "2025-03-08T09:30:00Z")
	c.ok("ivy", "profile", inc, "--entity-type", "hipaa-covered-entity", "--at", "2025-03-08T09:40:00Z")
	ids["discovery"] = id("ivy", "determine", inc, "discovery", "--reasoning", "the SOC confirmed PHI was read", "--at", "2025-03-08T10:00:00Z")
	ids["risk"] = id("ivy", "risk", inc, "high", "--reasoning", "contact data", "--at", "2025-03-08T15:00:00Z")
	ids["declare"] = id("ivy", "declare", inc, "--basis", "evidence", "--reasoning", "access logs", "--at", "2025-03-09T10:00:00Z")
	ids["request"] = id("ian", "request", inc, "notification-delay", "--reason", "risk-to-other-customers", "--until", "2025-03-10T10:00:00Z",
		"--details", "notice would tip off the actor", "--at", "2025-03-09T11:00:00Z")
	ids["notice"] = id("ian", "notify", inc, "--to", "supervisory-authority", "--recipient", "CNIL", "--channel", "portal",
		"--late-entry-reason", "recorded from the case file", "--at", "2025-03-09T12:00:00Z")
	ids["hold"] = id("lee", "hold", inc, "law-enforcement", "--authority", "FBI", "--basis", "notice would impede the investigation",
		"--written", "--until", "2025-04-09T00:00:00Z", "--at", "2025-03-09T13:00:00Z")
	ids["stabilize"] = id("sam", "stage", inc, "stabilize", "--at", "2025-03-10T09:00:00Z")
	ids["postmortem"] = id("ian", "postmortem", inc, "--summary", "token theft", "--location", "dms://pm", "--sha256", strings.Repeat("a", 64), "--at", "2025-03-12T09:00:00Z")

	closed = id("oscar", "detect", "--source", "automated-alert", "--summary", "noisy alert", "--at", "2025-03-08T08:00:00Z")
	c.ok("oscar", "assess", closed, "--functional-impact", "none", "--recoverability", "regular", "--information-impact", "none", "--at", "2025-03-08T08:30:00Z")
	c.ok("sam", "classify", closed, "false-positive", "--root-cause", "a test job", "--at", "2025-03-08T09:00:00Z")
	ids["closure"] = id("ian", "close", closed, "--summary", "false positive", "--at", "2025-03-08T10:00:00Z")
	return c, inc, closed, ids
}

// Every business-time rule, through the CLI: a fact dated before what it
// depends on is refused with exit 4, naming the rule and the event it
// conflicts with, and the ledger file is byte for byte what it was.
func TestBusinessTimeRefusals(t *testing.T) {
	c, inc, closed, ids := businessTimeLedger(t)
	tests := []struct {
		name, actor string
		args        []string
		rule, event string // event: the key in ids of the event the refusal names ("" for none)
	}{
		{"a note before the detection", "ian", []string{"note", inc, "too early", "--at", "2025-03-07T21:00:00Z"}, "before-detection", ""},
		{"awareness before the detection without a reason", "oscar", []string{"detect", "--source", "automated-alert", "--summary", "x",
			"--aware-at", "2025-03-07T20:00:00Z", "--at", "2025-03-07T21:40:00Z"}, "aware-before-detection", ""},
		{"stabilize before Diagnose was entered", "sam", []string{"stage", inc, "diagnose", "--at", "2025-03-10T08:00:00Z"}, "stage-before-entered", "stabilize"},
		{"containment before Stabilize was entered", "sam", []string{"contain", inc, "--kind", "recovery", "--description", "restore", "--at", "2025-03-09T09:00:00Z"}, "before-stage-entered", "stabilize"},
		{"an approval before its request", "lee", []string{"approve", inc, "R1", "--at", "2025-03-09T10:30:00Z"}, "decision-before-request", "request"},
		{"a rejection before its request", "lee", []string{"reject", inc, "R1", "--reason", "no", "--at", "2025-03-09T10:30:00Z"}, "decision-before-request", "request"},
		{"a customer notice before the declaration", "ian", []string{"notify", inc, "--to", "security-contacts", "--customer", "contoso",
			"--recipient", "soc@contoso", "--late-entry-reason", "x", "--at", "2025-03-09T09:00:00Z"}, "notify-before-declaration", "declare"},
		{"a notice to data subjects before the high-risk determination", "ian", []string{"notify", inc, "--to", "data-subjects", "--recipient", "1,200 users",
			"--for", "gdpr-art34", "--late-entry-reason", "x", "--at", "2025-03-08T14:00:00Z"}, "notice-before-clock", "risk"},
		{"a HIPAA notice before the discovery that starts its clock", "ian", []string{"notify", inc, "--to", "data-subjects", "--recipient", "patients",
			"--for", "hipaa-individuals", "--late-entry-reason", "x", "--at", "2025-03-08T09:50:00Z"}, "notice-before-clock", "discovery"},
		{"a supplementary notice before the first", "ian", []string{"notify", inc, "--to", "supervisory-authority", "--recipient", "CNIL",
			"--phase", "supplementary", "--at", "2025-03-09T11:30:00Z"}, "notify-phase", "notice"},
		{"an acknowledgement before its notice", "ian", []string{"ack", inc, "NOTICE", "--from", "CNIL", "--reference", "C-1", "--at", "2025-03-09T11:59:00Z"}, "ack-before-notice", "notice"},
		{"a release before its hold", "lee", []string{"release", inc, "H1", "--reason", "lifted", "--at", "2025-03-09T12:30:00Z"}, "release-before-hold", "hold"},
		{"a closure before the post-mortem", "ian", []string{"close", inc, "--open-obligations-reason", "tracked by legal", "--at", "2025-03-11T09:00:00Z"}, "close-before-postmortem", "postmortem"},
		{"a reopening before the closure", "ian", []string{"reopen", closed, "--reason", "new evidence", "--at", "2025-03-08T09:30:00Z"}, "reopen-before-close", "closure"},
		{"closing with obligations open, without a reason", "ian", []string{"close", inc, "--at", "2025-03-13T09:00:00Z"}, "close-open-obligations", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{}, tt.args...)
			for i, a := range args {
				if a == "NOTICE" {
					args[i] = ids["notice"]
				}
			}
			before := c.dump()
			r := c.with(t).run(tt.actor, args...)
			if r.code != 4 || !strings.Contains(r.stderr, "rule "+tt.rule) {
				t.Fatalf("exit %d, want 4 naming rule %s\n%s%s", r.code, tt.rule, r.stdout, r.stderr)
			}
			if tt.event != "" && !strings.Contains(r.stderr, ids[tt.event]) {
				t.Errorf("the refusal does not name the event it conflicts with (%s %s):\n%s", tt.event, ids[tt.event], r.stderr)
			}
			if c.dump() != before {
				t.Errorf("the refused command changed the ledger")
			}
		})
	}
	// The controls: the same facts dated after what they depend on land.
	c.ok("lee", "approve", inc, "R1", "--at", "2025-03-09T11:30:00Z")
	c.ok("ian", "ack", inc, ids["notice"], "--from", "CNIL", "--reference", "C-1", "--at", "2025-03-09T12:30:00Z")
	c.ok("lee", "release", inc, "H1", "--reason", "lifted", "--at", "2025-03-09T13:30:00Z")
	c.ok("ian", "reopen", closed, "--reason", "new evidence", "--at", "2025-03-08T10:30:00Z")
}

// The same rules hold for corrections: a correction that would date a fact
// before one it depends on, or one that others depend on after them, is
// refused with exit 4 and changes nothing.
func TestBusinessTimeCorrectionRefusals(t *testing.T) {
	c, inc, _, ids := businessTimeLedger(t)
	late := "recorded from the case file"
	c.ok("ian", "notify", inc, "--to", "data-subjects", "--recipient", "1,200 users", "--for", "gdpr-art34", "--late-entry-reason", late, "--at", "2025-03-09T12:30:00Z")
	c.ok("ian", "ack", inc, ids["notice"], "--from", "CNIL", "--reference", "C-1", "--at", "2025-03-09T12:40:00Z")
	ids["supplementary"] = strings.TrimSpace(c.ok("ian", "notify", inc, "--to", "supervisory-authority", "--recipient", "CNIL", "--channel", "portal",
		"--phase", "supplementary", "--late-entry-reason", late, "--at", "2025-03-09T13:30:00Z", "--quiet"))
	ids["customer"] = strings.TrimSpace(c.ok("ian", "notify", inc, "--to", "security-contacts", "--customer", "contoso", "--recipient", "soc@contoso",
		"--late-entry-reason", late, "--at", "2025-03-09T12:10:00Z", "--quiet"))
	c.ok("ian", "close", inc, "--open-obligations-reason", "HIPAA notices run under the FBI hold", "--at", "2025-03-13T09:00:00Z")
	var log []logEntry
	c.json(&log, "log")
	for _, e := range log {
		if e.Type == "IncidentDetected" && strings.HasSuffix(e.Stream, inc) {
			ids["detect"] = e.EventID
		}
	}
	tests := []struct {
		name, actor string
		args        []string
		rule        string
	}{
		{"the declaration moved before the classification", "ivy", []string{"correct", inc, ids["declare"], "--new-at", "2025-03-08T08:00:00Z", "--reason", "x"}, "declare-before-classification"},
		{"the classification moved before Assess was entered", "sam", []string{"correct", inc, ids["classify"], "--new-at", "2025-03-07T22:00:00Z", "--reason", "x"}, "before-stage-entered"},
		{"the discovery moved before the detection", "ivy", []string{"correct", inc, ids["discovery"], "--new-at", "2025-03-07T21:00:00Z", "--reason", "x"}, "before-detection"},
		{"the high-risk determination moved after the Art. 34 notice it starts", "ivy", []string{"correct", inc, ids["risk"], "--new-at", "2025-03-09T13:00:00Z", "--reason", "x"}, "notice-before-clock"},
		{"awareness moved before the detection without a reason", "oscar", []string{"correct", inc, ids["detect"], "--aware-at", "2025-03-07T21:00:00Z", "--reason", "x"}, "aware-before-detection"},
		{"the post-mortem moved before Stabilize was entered", "ian", []string{"correct", inc, ids["postmortem"], "--new-at", "2025-03-10T08:00:00Z", "--reason", "x"}, "before-stage-entered"},
		{"the post-mortem moved after the closure", "ian", []string{"correct", inc, ids["postmortem"], "--new-at", "2025-03-13T10:00:00Z", "--reason", "x"}, "close-before-postmortem"},
		{"the notice moved after its acknowledgement", "ian", []string{"correct", inc, ids["notice"], "--new-at", "2025-03-09T12:45:00Z", "--reason", "x", "--late-entry-reason", "x"}, "ack-before-notice"},
		{"the supplementary notice moved before the first", "ian", []string{"correct", inc, ids["supplementary"], "--new-at", "2025-03-09T11:30:00Z", "--reason", "x", "--late-entry-reason", "x"}, "notify-phase"},
		{"a customer notice moved before the declaration", "ian", []string{"correct", inc, ids["customer"], "--new-at", "2025-03-09T09:00:00Z", "--reason", "x", "--late-entry-reason", "x"}, "notify-before-declaration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{}, tt.args...)
			before := c.dump()
			r := c.with(t).run(tt.actor, args...)
			if r.code != 4 || !strings.Contains(r.stderr, "rule "+tt.rule) {
				t.Fatalf("exit %d, want 4 naming rule %s\n%s%s", r.code, tt.rule, r.stdout, r.stderr)
			}
			if c.dump() != before {
				t.Errorf("the refused correction changed the ledger")
			}
		})
	}
	// The control: a correction that keeps the order lands (on the closed
	// incident too), and awareness may move before the detection with a
	// reason.
	c.ok("ivy", "correct", inc, ids["declare"], "--new-at", "2025-03-09T09:00:00Z", "--reason", "the minutes show 09:00")
	c.ok("oscar", "correct", inc, ids["detect"], "--aware-at", "2025-03-07T21:00:00Z", "--aware-reason", "the SOC read the alert before the ticket", "--reason", "SOC log")
}

// Backdating through the CLI, on a ledger with the default backdate-window
// (24h): a fact dated further back, and a notice dated before its due time
// but recorded after it, are refused without --late-entry-reason (exit 4,
// nothing appended); with one, the reason is kept with the fact and the
// notice shows met, recorded N after due.
func TestLateEntryThroughCLI(t *testing.T) {
	c := newLedger(t)
	c.strictBackdating = true
	now := time.Now().UTC().Truncate(time.Second)
	at := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	c.ok("alice", "init", "--name", "Late entries")
	for _, g := range [][2]string{{"oscar", "responder"}, {"sam", "security-response"}, {"ian", "incident-manager"}} {
		c.ok("alice", "grant", g[0], g[1])
	}
	c.register(now.Format(time.RFC3339), "oscar", "sam", "ian")
	refused := func(who string, args ...string) {
		t.Helper()
		before := c.dump()
		r := c.run(who, args...)
		if r.code != 4 || !strings.Contains(r.stderr, "rule late-entry-needs-reason") || !strings.Contains(r.stderr, "--late-entry-reason") {
			t.Fatalf("%v: exit %d, want 4 naming late-entry-needs-reason\n%s", args, r.code, r.stderr)
		}
		if c.dump() != before {
			t.Errorf("%v: the refused command changed the ledger", args)
		}
	}
	// Aware 100 hours ago: GDPR Art. 33 was due 28 hours ago.
	detect := []string{"detect", "-q", "--source", "customer-report", "--summary", "tenant data on a paste site", "--at", at(100 * time.Hour)}
	refused("oscar", detect...)
	inc := strings.TrimSpace(c.ok("oscar", append(detect, "--late-entry-reason", "opened from the customer's e-mail of Monday")...))
	c.ok("oscar", "assess", inc, "--functional-impact", "low", "--recoverability", "regular", "--information-impact", "privacy-breach")
	c.ok("sam", "classify", inc, "privacy-breach")
	notice := []string{"notify", inc, "--to", "supervisory-authority", "--recipient", "CNIL", "--channel", "portal", "--at", at(30 * time.Hour)}
	refused("ian", notice...)
	c.ok("ian", append(notice, "--late-entry-reason", "the portal receipt was found in the DPO's mailbox")...)

	var v metDeadlines
	c.json(&v, "deadlines", inc)
	var log []logEntry
	c.json(&log, "log")
	found := false
	for _, d := range v.Deadlines {
		if d.ID != "gdpr-art33" {
			continue
		}
		found = true
		if want := now.Add(-28 * time.Hour); d.Status != "met" || !d.DueAt.Equal(want) {
			t.Errorf("gdpr-art33 = %s due %s, want met due %s", d.Status, d.DueAt, want)
		}
		for _, e := range log {
			if e.EventID == d.MetBy {
				if want := domain.FormatDuration(e.RecordedAt.Sub(d.DueAt)); d.RecordedLateBy != want || e.RecordedAt.Sub(d.DueAt) < 28*time.Hour {
					t.Errorf("recorded_late_by = %q, want %q (recorded %s, due %s)", d.RecordedLateBy, want, e.RecordedAt, d.DueAt)
				}
			}
		}
	}
	if !found {
		t.Fatalf("no gdpr-art33 deadline: %+v", v.Deadlines)
	}
	if out := c.ok("auditor", "deadlines", inc); !strings.Contains(out, "recorded 28h") || !strings.Contains(out, "after due") {
		t.Errorf("deadlines does not say how late the notice was recorded:\n%s", out)
	}
	if out := c.ok("auditor", "timeline", inc); !strings.Contains(out, "late entry: the portal receipt was found in the DPO") {
		t.Errorf("the timeline does not give the late-entry reason:\n%s", out)
	}
}

// metDeadlines is what the tests of late recording read from "deadlines
// --json": which notice met each obligation, and how late it was recorded.
type metDeadlines struct {
	Deadlines []struct {
		ID             string    `json:"obligation"`
		DueAt          time.Time `json:"due_at"`
		Status         string    `json:"status"`
		MetBy          string    `json:"met_by"`
		RecordedLateBy string    `json:"recorded_late_by"`
	} `json:"deadlines"`
}
