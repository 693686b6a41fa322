package main_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Issue 22: list, register and report --period answer from the kept read
// models, as deadlines does, and print what the fold of the log prints,
// byte for byte; a kept row tampered with is found, said on stderr, and
// the answer is the log's.

// keptReadLedger records the privacy-breach scenario and 28 incidents more,
// detected every three days from 2025-03-02: every fourth a privacy breach
// (assessed and classified: in the register, its Art. 33 clock running),
// every fourth a false positive closed, every fourth a security incident,
// every fourth only detected. It returns the scenario's incident and the
// detection time of each of the others.
func keptReadLedger(t *testing.T) (*cli, string, []time.Time) {
	t.Helper()
	c := newLedger(t)
	c.env = []string{"XDG_CACHE_HOME=" + t.TempDir()}
	inc := runScenario(t, c)
	base := mustTime(t, "2025-03-02T08:00:00Z")
	var detected []time.Time
	for i := range 28 {
		at := base.Add(time.Duration(i) * 72 * time.Hour)
		detected = append(detected, at)
		stamp := func(d time.Duration) string { return at.Add(d).Format(time.RFC3339) }
		id := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "automated-alert", "--summary", fmt.Sprintf("incident %d", i),
			"--aware-at", stamp(30*time.Minute), "--at", stamp(0)))
		switch i % 4 {
		case 0:
			c.ok("oscar", "assess", id, "--functional-impact", "medium", "--recoverability", "extended", "--information-impact", "privacy-breach", "--at", stamp(time.Hour))
			c.ok("sam", "classify", id, "privacy-breach", "--reason", "customer data was read", "--at", stamp(2*time.Hour))
		case 1:
			c.ok("oscar", "assess", id, "--functional-impact", "low", "--recoverability", "regular", "--information-impact", "none", "--at", stamp(30*time.Minute))
			c.ok("sam", "classify", id, "false-positive", "--root-cause", "a test alert", "--at", stamp(time.Hour))
			c.ok("ian", "close", id, "--summary", "nothing happened", "--at", stamp(2*time.Hour))
		case 2:
			c.ok("oscar", "assess", id, "--functional-impact", "low", "--recoverability", "regular", "--information-impact", "none", "--at", stamp(time.Hour))
			c.ok("sam", "classify", id, "security-incident", "--at", stamp(2*time.Hour))
		}
	}
	return c, inc, detected
}

// keptReads are the reads compared: every flag of list, every format of
// register and of report --period, at several instants (and now, but for
// report --period, which says how late an overdue notice is at now, to the
// second); --known-at ones
// are answered by the fold on both sides (the kept models keep what is
// known now); so are --checkpoint mid, a checkpoint older than the kept
// models, where --checkpoint head is answered from them.
func keptReads(mid, head int) [][]string {
	var out [][]string
	for _, at := range []string{"2025-03-05T00:00:00Z", "2025-03-20T12:00:00Z", "2025-04-15T12:00:00Z", "2025-07-01T00:00:00Z", ""} {
		asOf := []string{}
		if at != "" {
			asOf = []string{"--as-of", at}
		}
		for _, flags := range [][]string{{}, {"--json"}, {"--open"}, {"--open", "--json"}, {"--wide"}, {"--open", "--wide"}} {
			out = append(out, append(append([]string{"list"}, flags...), asOf...))
		}
		for _, f := range []string{"csv", "json", "md", "html"} {
			out = append(out, append([]string{"register", "--format", f}, asOf...))
		}
		if at == "" {
			continue // a period report says how late an overdue notice is at now, to the second
		}
		for _, period := range [][2]string{{"2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z"}, {"2025-03-20T00:00:00Z", "2025-05-01T00:00:00Z"}, {"2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"}} {
			for _, f := range []string{"md", "json", "csv", "html"} {
				out = append(out, append([]string{"report", "--from", period[0], "--to", period[1], "--format", f}, asOf...))
			}
		}
	}
	out = append(out,
		[]string{"list", "--json", "--as-of", "2025-04-15T12:00:00Z", "--known-at", "2030-01-01T00:00:00Z"},
		[]string{"register", "--format", "json", "--checkpoint", strconv.Itoa(mid)},
		[]string{"register", "--format", "md", "--checkpoint", strconv.Itoa(head)},
		// A period report at now says how late an overdue notice is to the
		// second, so two runs straddling a second differ: ask at an instant.
		[]string{"report", "--from", "2025-03-01T00:00:00Z", "--to", "2025-04-01T00:00:00Z", "--format", "md", "--checkpoint", strconv.Itoa(mid), "--as-of", "2025-07-01T00:00:00Z"},
		[]string{"report", "--from", "2025-03-01T00:00:00Z", "--to", "2025-04-01T00:00:00Z", "--format", "json", "--checkpoint", strconv.Itoa(head), "--as-of", "2025-07-01T00:00:00Z"},
	)
	return out
}

// nowStamp matches the times a run prints of its own clock (--known-at's
// default, and --as-of's): nowTimes replaces those within an hour of now.
var nowStamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)

func nowTimes(s string) string {
	now := time.Now()
	return nowStamp.ReplaceAllStringFunc(s, func(x string) string {
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil && t.Sub(now).Abs() < time.Hour {
			return "<NOW>"
		}
		return x
	})
}

// readBoth runs a reader with the kept models (c's cache directory) and
// with none (no cache directory: the fold of the log), and returns both.
func readBoth(t *testing.T, c *cli, args ...string) (kept, fold result) {
	t.Helper()
	kept = c.run("auditor", args...)
	fold = runBinary(t, "", []string{"BREACHLEDGER_INCIDENT=", "XDG_CACHE_HOME=", "HOME="}, append([]string{"--ledger", c.ledger, "--actor", "auditor"}, args...)...)
	kept.stdout, fold.stdout = nowTimes(kept.stdout), nowTimes(fold.stdout)
	return kept, fold
}

func TestKeptListRegisterPeriodEqualTheFold(t *testing.T) {
	c, _, detected := keptReadLedger(t)
	var log []logEntry
	c.json(&log, "log")
	for _, args := range keptReads(len(log)/2, len(log)) {
		kept, fold := readBoth(t, c, args...)
		name := strings.Join(args, " ")
		if kept.code != 0 || fold.code != 0 {
			t.Errorf("%s: exit %d (kept) and %d (fold)\n%s%s", name, kept.code, fold.code, kept.stderr, fold.stderr)
			continue
		}
		if kept.stdout != fold.stdout {
			t.Errorf("%s: from the kept models\n%s\nfrom the log\n%s", name, kept.stdout, fold.stdout)
		}
		if kept.stderr != fold.stderr {
			t.Errorf("%s: stderr %q (kept), %q (fold)", name, kept.stderr, fold.stderr)
		}
	}
	if len(keptViewFiles(t, c)) != 1 {
		t.Errorf("kept views: %v, want one file", keptViewFiles(t, c))
	}

	// Counted by hand: as of 2025-04-15T12:00Z the scenario's incident and
	// the 15 detected by then (2025-03-02 + 3 days each: i = 0..14) are
	// listed; open are those not closed (the scenario's closed, and the
	// false positives i%4 == 1: i = 1, 5, 9, 13).
	var l struct {
		Incidents []struct {
			ID      string `json:"id"`
			Summary string `json:"summary"`
			Closed  bool   `json:"closed"`
		} `json:"incidents"`
	}
	c.json(&l, "list", "--as-of", "2025-04-15T12:00:00Z")
	n := 0
	for _, at := range detected {
		if !at.After(mustTime(t, "2025-04-15T12:00:00Z")) {
			n++
		}
	}
	if n != 15 || len(l.Incidents) != 16 {
		t.Errorf("list as of 2025-04-15T12:00Z: %d incidents (%d detected by then), want 16 and 15", len(l.Incidents), n)
	}
	c.json(&l, "list", "--open", "--as-of", "2025-04-15T12:00:00Z")
	if len(l.Incidents) != 16-1-4 {
		t.Errorf("list --open as of 2025-04-15T12:00Z: %d incidents, want 11", len(l.Incidents))
	}
	// The register at the end: the scenario's breach and the seven others
	// (i = 0, 4, ..., 24).
	var reg struct {
		Entries []struct {
			Incident string `json:"incident"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(c.ok("auditor", "register", "--format", "json")), &reg); err != nil || len(reg.Entries) != 8 {
		t.Errorf("register: %d entries (%v), want 8", len(reg.Entries), err)
	}
	// March 2025: the scenario's incident (detected 2025-03-07) and i = 0..9
	// (2025-03-02 to 2025-03-29).
	var pr struct {
		Incidents int `json:"incidents"`
	}
	if err := json.Unmarshal([]byte(c.ok("auditor", "report", "--from", "2025-03-01T00:00:00Z", "--to", "2025-04-01T00:00:00Z", "--format", "json")), &pr); err != nil || pr.Incidents != 11 {
		t.Errorf("report --period March 2025: %d incidents (%v), want 11", pr.Incidents, err)
	}
}

// A kept incident row edited in the cache file (its list entry, its
// register entry, or the detection time a period report selects by) is
// found by the reader: stderr names the table, the views are rebuilt from
// the log, and the answer is the log's. That the edit is found at all
// shows the answer came from the kept rows: the fold never reads them.
func TestKeptListRegisterPeriodFindTamperedRows(t *testing.T) {
	c, inc, _ := keptReadLedger(t)
	attacks := []struct {
		name string
		args []string
		q    string
	}{
		{"list: a summary rewritten", []string{"list", "--json", "--as-of", "2025-07-01T00:00:00Z"},
			`UPDATE rm_incidents SET data = CAST(replace(CAST(data AS TEXT), '"summary":"incident 4"', '"summary":"forged"') AS BLOB) WHERE instr(data, CAST('"incident 4"' AS BLOB)) > 0`},
		{"list --open: a closed incident said open", []string{"list", "--open"},
			`UPDATE rm_incidents SET closed = 0, data = CAST(replace(CAST(data AS TEXT), '"closed":true', '"closed":false') AS BLOB) WHERE incident = '` + inc + `'`},
		{"register: the scenario's breach deleted", []string{"register", "--format", "csv"},
			`UPDATE rm_incidents SET register = NULL WHERE incident = '` + inc + `'`},
		{"register: who was notified rewritten", []string{"register", "--format", "md"},
			`UPDATE rm_incidents SET register = CAST(replace(CAST(register AS TEXT), '"risk":"high"', '"risk":"low"') AS BLOB) WHERE incident = '` + inc + `'`},
		{"report --period: an incident moved out of March", []string{"report", "--from", "2025-03-01T00:00:00Z", "--to", "2025-04-01T00:00:00Z", "--format", "json", "--as-of", "2025-07-01T00:00:00Z"},
			`UPDATE rm_incidents SET data = CAST(replace(CAST(data AS TEXT), '"detected_at":"2025-03-07', '"detected_at":"2024-03-07') AS BLOB) WHERE incident = '` + inc + `'`},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			c := c.with(t)
			before, fold := readBoth(t, c, a.args...) // the views caught up, as kept
			if before.stdout != fold.stdout || before.code != 0 {
				t.Fatalf("before: exit %d\n%s\nwant\n%s", before.code, before.stdout, fold.stdout)
			}
			tamperKept(t, c, a.q)
			after, fold := readBoth(t, c, a.args...)
			if after.code != 0 || after.stdout != fold.stdout {
				t.Errorf("after %q: exit %d\n%s\nwant the log's\n%s", a.q, after.code, after.stdout, fold.stdout)
			}
			if !strings.Contains(after.stderr, "tampered") || !strings.Contains(after.stderr, "rm_incidents") || !strings.Contains(after.stderr, "answer is the log's") {
				t.Errorf("after %q: stderr does not say what was tampered with:\n%s", a.q, after.stderr)
			}
			if again := c.run("auditor", a.args...); again.stderr != "" || nowTimes(again.stdout) != fold.stdout {
				t.Errorf("after the rebuild: exit %d\n%s%s", again.code, again.stdout, again.stderr)
			}
		})
	}
}
