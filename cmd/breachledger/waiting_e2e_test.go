package main_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

const waitingWithdrawn = "../../testdata/scenarios/waiting-and-withdrawn"

// waitingView is the deadline view's JSON as this test reads it.
type waitingView struct {
	Deadlines []struct {
		regObligation
		WithdrawnBy string `json:"withdrawn_by"`
	} `json:"deadlines"`
	FactsNeeded []struct {
		Incident      string `json:"incident"`
		Rule          string `json:"rule"`
		Regime        string `json:"regime"`
		Citation      string `json:"citation"`
		Determination string `json:"determination"`
		WaitingFor    string `json:"waiting_for"`
		Clock         string `json:"clock"`
		Command       string `json:"command"`
		Status        string `json:"status"` // never set: a fact needed has no status
	} `json:"facts_needed"`
	Alert bool `json:"alert"`
}

func (v waitingView) rules() []string {
	var out []string
	for _, n := range v.FactsNeeded {
		out = append(out, n.Rule)
	}
	return out
}

// TestWaitingAndWithdrawnScenario: clocks never vanish. Rules that wait
// for the discovery determination are listed under "facts needed" (no
// status, no effect on the exit code) until it is recorded; obligations
// whose trigger a later fact withdrew stay, waived, "trigger withdrawn by
// EVENT (...)". Goldens for show and deadlines, text and JSON, and the
// values that matter worked by hand.
func TestWaitingAndWithdrawnScenario(t *testing.T) {
	c := newLedger(t)
	inc := runScenarioIn(t, c, waitingWithdrawn)
	var log []logEntry
	c.json(&log, "log")
	// The facts that withdrew triggers, found by hand in the log: the
	// incident's first scope (the only jurisdiction is California), its
	// second scope (contoso removed) and its second affected counts (the
	// recount to Nevada).
	var scopes, counts []string
	for _, e := range log {
		if !strings.HasSuffix(e.Stream, inc) {
			continue
		}
		switch e.Type {
		case "ScopeRecorded":
			scopes = append(scopes, e.EventID)
		case "AffectedRecorded":
			counts = append(counts, e.EventID)
		}
	}
	if len(scopes) != 2 || len(counts) != 2 {
		t.Fatalf("scopes %v, affected %v: want two of each", scopes, counts)
	}
	firstScope, contosoRemoved, recount := scopes[0], scopes[1], counts[1]

	reads := []struct {
		golden string
		args   []string
	}{
		{"show-waiting.txt", []string{"show", inc, "--as-of", "2026-03-04T12:00:00Z"}},
		{"show-waiting.json", []string{"show", inc, "--as-of", "2026-03-04T12:00:00Z", "--json"}},
		{"deadlines-waiting.txt", []string{"deadlines", "--as-of", "2026-03-04T12:00:00Z"}},
		{"deadlines-waiting.json", []string{"deadlines", "--as-of", "2026-03-04T12:00:00Z", "--json"}},
		{"deadlines-withdrawn.txt", []string{"deadlines", "--as-of", "2026-03-10T00:00:00Z"}},
		{"deadlines-withdrawn.json", []string{"deadlines", "--as-of", "2026-03-10T00:00:00Z", "--json"}},
	}
	for _, r := range reads {
		t.Run(r.golden, func(t *testing.T) {
			c := c.with(t)
			res := c.run("auditor", r.args...)
			if res.code != 0 {
				t.Fatalf("exit %d, want 0 (nothing open is due; facts needed never alert): %s", res.code, res.stderr)
			}
			goldenIn(t, waitingWithdrawn, r.golden, placeholders([]byte(res.stdout), inc, log))
		})
	}

	t.Run("worked by hand", func(t *testing.T) {
		c := c.with(t)
		var v waitingView
		c.json(&v, "deadlines", "--as-of", "2026-03-04T12:00:00Z")
		// Covered entity, 620 Californians (≥ 500, > 500 in one State, ≥ 1
		// in California), no discovery yet: four rules wait, in the pack's
		// order; the annual log (under 500) no longer applies. Then the risk
		// advisor's need: no factors recorded (issue 24).
		if want := []string{"hipaa-individuals", "hipaa-hhs", "hipaa-media", "ca-residents", "risk-advice"}; !slices.Equal(v.rules(), want) {
			t.Errorf("facts needed %v, want %v", v.rules(), want)
		}
		for _, n := range v.FactsNeeded {
			if n.Rule == "risk-advice" {
				continue
			}
			if n.Incident != inc || n.Determination != "discovery" || n.WaitingFor != "discovery determination" || n.Status != "" ||
				n.Command != `breachledger determine `+inc+` discovery --reasoning "..."` {
				t.Errorf("%s: %+v", n.Rule, n)
			}
		}
		if n := v.FactsNeeded[0]; n.Citation != "45 CFR 164.404(b)" || n.Clock != "60 calendar days after discovery" {
			t.Errorf("hipaa-individuals: %q, %q", n.Citation, n.Clock)
		}
		obs := map[string]struct {
			status, reason, withdrawnBy string
			due                         time.Time
		}{}
		for _, o := range v.Deadlines {
			obs[o.ID] = struct {
				status, reason, withdrawnBy string
				due                         time.Time
			}{o.Status, o.Reason, o.WithdrawnBy, o.DueAt}
			if strings.HasPrefix(o.Rule, "hipaa") || o.Rule == "ca-residents" {
				t.Errorf("%s has a deadline row while it waits for the discovery determination", o.ID)
			}
		}
		// contoso: declared 2026-03-02T12:00Z + 72 h, withdrawn by the scope
		// that took contoso out.
		if o := obs["customer-notice/contoso"]; o.status != "waived" || o.withdrawnBy != contosoRemoved ||
			o.reason != "trigger withdrawn by "+contosoRemoved+" (customer contoso removed from scope)" || !o.due.Equal(mustTime(t, "2026-03-05T12:00:00Z")) {
			t.Errorf("customer-notice/contoso = %+v, want waived, withdrawn by %s, due 2026-03-05T12:00Z", o, contosoRemoved)
		}
		if o := obs["customer-notice/fabrikam"]; o.status != "met" || o.withdrawnBy != "" {
			t.Errorf("customer-notice/fabrikam = %+v, want met", o)
		}
		// GDPR Art. 33: awareness 2026-03-02T08:00Z + 72 h, run while no
		// jurisdiction was recorded.
		if o := obs["gdpr-art33"]; o.status != "waived" || o.withdrawnBy != firstScope ||
			o.reason != "trigger withdrawn by "+firstScope+" (jurisdictions first recorded: US-CA)" || !o.due.Equal(mustTime(t, "2026-03-05T08:00:00Z")) {
			t.Errorf("gdpr-art33 = %+v, want waived, withdrawn by %s", o, firstScope)
		}

		// Discovery determined 2026-03-06; the recount on 03-09 moves the
		// 620 people to Nevada.
		c.json(&v, "deadlines", "--as-of", "2026-03-10T00:00:00Z")
		if want := []string{"risk-advice"}; !slices.Equal(v.rules(), want) {
			t.Errorf("facts needed after the determination: %v, want %v", v.rules(), want)
		}
		byID := map[string]string{}
		for _, o := range v.Deadlines {
			byID[o.ID] = o.Status + " " + o.WithdrawnBy + " " + o.DueAt.Format(time.RFC3339)
		}
		for id, want := range map[string]string{
			// 2026-03-06 + 60 days = 2026-05-05 (25 days left in March, 30 in
			// April, 5 in May), end of day in New York (EDT)
			"hipaa-individuals": "pending  2026-05-06T03:59:59Z",
			"hipaa-hhs":         "pending  2026-05-06T03:59:59Z",
			"hipaa-media/US-NV": "pending  2026-05-06T03:59:59Z",
			"hipaa-media/US-CA": "waived " + recount + " 2026-05-06T03:59:59Z",
			// 2026-03-06 + 30 days = 2026-04-05, end of day in Los Angeles (PDT)
			"ca-residents": "waived " + recount + " 2026-04-06T06:59:59Z",
		} {
			if byID[id] != want {
				t.Errorf("as of 2026-03-10: %s = %q, want %q", id, byID[id], want)
			}
		}
	})

	t.Run("facts needed never change the exit code", func(t *testing.T) {
		c := c.with(t)
		for _, tt := range []struct {
			args  []string
			code  int
			needs int
		}{
			// fabrikam's notice met, contoso's withdrawn: nothing open, four
			// rules waiting, and the risk advice (no factors)
			{[]string{"deadlines", "--as-of", "2026-03-04T12:00:00Z", "--due-within", "24h"}, 0, 5},
			{[]string{"deadlines", "--as-of", "2026-03-04T12:00:00Z", "--overdue"}, 0, 5},
			{[]string{"deadlines", "--as-of", "2026-03-04T12:00:00Z", "--regime", "HIPAA"}, 0, 3},
			{[]string{"deadlines", "--as-of", "2026-03-04T12:00:00Z", "--regime", "California"}, 0, 1},
			// once determined, the HIPAA clocks are due within 60 days: exit 7
			{[]string{"deadlines", "--as-of", "2026-03-10T00:00:00Z", "--due-within", "60d"}, 7, 1},
		} {
			r := c.run("auditor", append(tt.args, "--json")...)
			var v waitingView
			if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
				t.Fatalf("%v: %v\n%s", tt.args, err, r.stdout)
			}
			if r.code != tt.code || len(v.FactsNeeded) != tt.needs {
				t.Errorf("%v: exit %d with %d facts needed, want exit %d with %d", tt.args, r.code, len(v.FactsNeeded), tt.code, tt.needs)
			}
			if txt := c.run("auditor", tt.args...); txt.code != tt.code {
				t.Errorf("%v (text): exit %d, want %d", tt.args, txt.code, tt.code)
			}
		}
	})

	t.Run("a writer whose fact makes a rule wait says so", func(t *testing.T) {
		c := c.with(t)
		other := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "customer-report", "--summary", "vendor laptop stolen", "--role", "processor",
			"--aware-at", "2026-11-30T08:00:00Z", "--at", "2026-11-30T08:00:00Z"))
		r := c.run("ivy", "profile", other, "--entity-type", "hipaa-business-associate", "--at", "2026-11-30T09:00:00Z", "--json")
		var out struct {
			FactsNeeded []struct {
				Rule       string `json:"rule"`
				WaitingFor string `json:"waiting_for"`
				Command    string `json:"command"`
			} `json:"facts_needed"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 0 {
			t.Fatalf("profile --json: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		if len(out.FactsNeeded) != 1 || out.FactsNeeded[0].Rule != "hipaa-ba" || out.FactsNeeded[0].WaitingFor != "discovery determination" ||
			out.FactsNeeded[0].Command != `breachledger determine `+other+` discovery --reasoning "..."` {
			t.Errorf("profile --json facts_needed = %+v, want hipaa-ba waiting for the discovery determination", out.FactsNeeded)
		}
		// A write that changes nothing about it does not repeat it.
		txt := c.ok("ivy", "profile", other, "--sector", "health", "--at", "2026-11-30T09:10:00Z")
		if strings.Contains(txt, "facts needed") {
			t.Errorf("a second profile write repeats the fact needed:\n%s", txt)
		}
		// The text form names the rule, what it waits for and the command.
		c.ok("ivy", "profile", other, "--remove-entity-type", "hipaa-business-associate", "--at", "2026-11-30T09:20:00Z")
		txt = c.ok("ivy", "profile", other, "--entity-type", "hipaa-business-associate", "--at", "2026-11-30T09:30:00Z")
		want := `facts needed: hipaa-ba (45 CFR 164.410) waits for the discovery determination, then runs 60 calendar days after discovery — record it: breachledger determine ` + other + ` discovery --reasoning "..."`
		if !strings.Contains(txt, want+"\n") {
			t.Errorf("profile prints:\n%s\nwant a line:\n%s", txt, want)
		}
	})
}
