package main_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestShredDue (issue 25): "shred --due" forgets, with basis retention, the
// closed incidents whose closure plus retention-after-close is past: one
// recorded with sealing on is forgotten, one recorded before sealing is
// said to be beyond forgetting (a warning, the others still done), an open
// one is left alone; --dry-run appends nothing; a second run skips what has
// nothing left. Without the setting, for a responder, with an INCIDENT or
// --basis it is refused, naming the setting, the rule or the flag.
func TestShredDue(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "Shred due", "--at", "2025-03-01T00:00:00Z")
	for _, g := range [][2]string{{"oscar", "responder"}, {"ian", "incident-manager"}, {"lee", "legal"}} {
		c.ok("alice", "grant", g[0], g[1], "--at", "2025-03-01T00:01:00Z")
	}
	c.register("2025-03-01T00:02:00Z", "oscar", "ian", "lee")
	closed := func(summary, day string) string {
		t.Helper()
		inc := strings.TrimSpace(c.ok("oscar", "detect", "--source", "automated-alert", "--summary", summary, "--at", day+"T09:00:00Z", "--quiet"))
		c.ok("oscar", "assess", inc, "--functional-impact", "none", "--recoverability", "regular", "--information-impact", "none", "--at", day+"T09:10:00Z")
		c.ok("ian", "classify", inc, "false-positive", "--root-cause", "a test alert that named "+summary, "--at", day+"T09:20:00Z")
		c.ok("ian", "close", inc, "--at", day+"T10:00:00Z")
		return inc
	}
	const inClear, sealed = "bob.in.clear@example.com", "carol.sealed@example.com"
	before := closed(inClear, "2025-03-07") // recorded before sealing: in clear
	c.ok("alice", "setting", "seal-personal-data", "on")
	due := closed(sealed, "2025-03-10")
	open := strings.TrimSpace(c.ok("oscar", "detect", "--source", "automated-alert", "--summary", "dave.open@example.com", "--at", "2025-03-12T09:00:00Z", "--quiet"))

	for _, tt := range []struct {
		name  string
		actor string
		args  []string
		code  int
		want  string
	}{
		{"without the setting", "lee", []string{"shred", "--due"}, 4, "retention-after-close"},
		{"with an incident", "lee", []string{"shred", "--due", due}, 2, "takes no INCIDENT"},
		{"with a basis", "lee", []string{"shred", "--due", "--basis", "retention"}, 2, "leave --basis out"},
		{"with a reason", "lee", []string{"shred", "--due", "--reason", "policy"}, 2, "leave --reason out"},
		{"a dry run without --due", "lee", []string{"shred", due, "--dry-run", "--basis", "retention", "--reason", "policy"}, 2, "--dry-run goes with --due"},
	} {
		dump := c.dump()
		if r := c.run(tt.actor, tt.args...); r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: exit %d, want %d saying %q\n%s", tt.name, r.code, tt.code, tt.want, r.stderr)
		}
		if c.dump() != dump {
			t.Errorf("%s: the ledger changed", tt.name)
		}
	}
	c.ok("alice", "setting", "retention-after-close", "30d")
	if r := c.run("oscar", "shred", "--due"); r.code != 4 || !strings.Contains(r.stderr, "shred-role") {
		t.Errorf("a responder's shred --due: exit %d, want 4 (shred-role)\n%s", r.code, r.stderr)
	}

	type result struct {
		Retention string `json:"retention_after_close"`
		DryRun    bool   `json:"dry_run"`
		Incidents []struct {
			Incident string `json:"incident"`
			ClosedAt string `json:"closed_at"`
			Due      string `json:"due"`
			Reason   string `json:"reason"`
			Outcome  string `json:"outcome"`
			Keys     int    `json:"keys"`
			Unsealed int    `json:"unsealed"`
			EventID  string `json:"event_id"`
		} `json:"incidents"`
	}
	outcomes := func(res result) map[string]string {
		out := map[string]string{}
		for _, d := range res.Incidents {
			out[d.Incident] = d.Outcome
		}
		return out
	}
	dump := c.dump()
	var dry result
	if r := c.run("lee", "shred", "--due", "--dry-run", "--json"); r.code != 0 || json.Unmarshal([]byte(r.stdout), &dry) != nil {
		t.Fatalf("shred --due --dry-run --json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if c.dump() != dump {
		t.Error("the dry run changed the ledger")
	}
	if got, want := outcomes(dry), map[string]string{due: "would-forget", before: "not-sealed"}; len(got) != 2 || got[due] != want[due] || got[before] != want[before] {
		t.Errorf("dry run outcomes = %v, want %v (and nothing of the open incident %s)", got, want, open)
	}
	for _, d := range dry.Incidents {
		// By hand: closed 10 March 2025 10:00, plus 30 days.
		if d.Incident == due && (d.ClosedAt != "2025-03-10T10:00:00Z" || d.Due != "2025-04-09T10:00:00Z" || d.Keys == 0 ||
			d.Reason != "retention: closed on 2025-03-10; retention-after-close 30d") {
			t.Errorf("due incident = %+v", d)
		}
		if d.Incident == before && d.Unsealed == 0 {
			t.Errorf("the incident recorded before sealing has no field in clear: %+v", d)
		}
	}
	if !dry.DryRun || dry.Retention != "30d" {
		t.Errorf("dry run = %+v", dry)
	}

	r := c.run("lee", "shred", "--due")
	if r.code != 0 {
		t.Fatalf("shred --due: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !regexp.MustCompile(`incident `+due+`: closed 2025-03-10T10:00:00Z, due 2025-04-09T10:00:00Z: forgotten: .*\[DataShredded [0-9a-f-]{36}\]`).MatchString(r.stdout) ||
		!strings.Contains(r.stdout, "incident "+before+": closed 2025-03-07T10:00:00Z, due 2025-04-06T10:00:00Z: cannot be forgotten") ||
		strings.Contains(r.stdout, open) {
		t.Errorf("shred --due printed:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "warning (shred-not-sealed): incident "+before) {
		t.Errorf("shred --due does not warn of the incident recorded before sealing:\n%s", r.stderr)
	}
	if tl := c.ok("auditor", "timeline", due); strings.Contains(tl, sealed) || !regexp.MustCompile(`\[forgotten on \d{4}-\d\d-\d\d, retention\]`).MatchString(tl) {
		t.Errorf("the due incident's timeline:\n%s", tl)
	}
	if tl := c.ok("auditor", "timeline", before); !strings.Contains(tl, inClear) {
		t.Errorf("the incident recorded in clear changed:\n%s", tl)
	}
	if tl := c.ok("auditor", "timeline", open); !strings.Contains(tl, "dave.open@example.com") {
		t.Errorf("the open incident was forgotten:\n%s", tl)
	}

	dump = c.dump()
	var again result
	if r := c.run("lee", "shred", "--due", "--json"); r.code != 0 || json.Unmarshal([]byte(r.stdout), &again) != nil {
		t.Fatalf("shred --due --json again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := outcomes(again); got[due] != "nothing-left" || got[before] != "not-sealed" {
		t.Errorf("second run outcomes = %v, want %s nothing-left, %s not-sealed", got, due, before)
	}
	if c.dump() != dump {
		t.Error("a shred --due with nothing left appended")
	}
}
