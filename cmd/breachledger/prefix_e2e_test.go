package main_test

import (
	"fmt"
	"strings"
	"testing"
)

// commonPrefix is the longest prefix a and b share.
func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

// TestIncidentPrefix: an incident may be named by a unique prefix of its
// ID wherever an incident is taken (a reader, a writer, report's
// --incident); a prefix several incidents share is a usage error (exit 2)
// naming them, one that names none is not found (exit 3), and neither
// appends anything.
func TestIncidentPrefix(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "prefixes", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:02:00Z", "oscar")
	summaries := map[string]string{}
	detect := func(summary string) string {
		id := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", summary, "--at", "2025-03-07T10:00:00Z"))
		summaries[id] = summary
		return id
	}
	// IDs made within a second share their first characters (a KSUID
	// starts with its time); two that share at least 4 are the ambiguous
	// pair (the first two almost always do).
	ids := []string{detect("odd logins on bastion"), detect("mass export from eu-3")}
	for len(commonPrefix(ids[len(ids)-2], ids[len(ids)-1])) < 4 {
		if len(ids) > 5 {
			t.Fatalf("no two incident IDs share 4 characters: %q", ids)
		}
		ids = append(ids, detect(fmt.Sprintf("another, number %d", len(ids)+1)))
	}
	a, b := ids[len(ids)-2], ids[len(ids)-1]
	shared := commonPrefix(a, b)
	// unique is the shortest prefix of a no other incident starts with.
	n := 4
	for _, id := range ids {
		if id != a {
			n = max(n, len(commonPrefix(a, id))+1)
		}
	}
	unique := a[:n]
	if len(unique) >= len(a) {
		t.Fatalf("incident %s has no unique prefix among %q", a, ids)
	}

	logLen := func() int {
		var log []logEntry
		c.json(&log, "log")
		return len(log)
	}

	t.Run("a unique prefix names the incident", func(t *testing.T) {
		c := c.with(t)
		if out := c.ok("auditor", "show", unique); !strings.Contains(out, "Incident "+a) {
			t.Errorf("show %s does not show incident %s:\n%s", unique, a, out)
		}
		if out := c.ok("auditor", "timeline", unique); !strings.Contains(out, a) {
			t.Errorf("timeline %s does not name incident %s:\n%s", unique, a, out)
		}
		if out := c.ok("auditor", "report", "--incident", unique); !strings.Contains(out, a) {
			t.Errorf("report --incident %s does not name incident %s:\n%s", unique, a, out)
		}
		var dl struct {
			Deadlines []struct{ Incident string }
		}
		c.json(&dl, "deadlines", unique)
		for _, d := range dl.Deadlines {
			if d.Incident != a {
				t.Errorf("deadlines %s lists incident %s, want only %s", unique, d.Incident, a)
			}
		}
		if out := c.ok("auditor", "list", "--wide"); !strings.Contains(out, summaries[a]) {
			t.Errorf("list --wide lacks %s's summary:\n%s", a, out)
		}
		before := logLen()
		var was, log []logEntry
		c.json(&was, "log", "--incident", a)
		if out := c.ok("oscar", "note", unique, "bridge call at 09:00", "--at", "2025-03-07T11:00:00Z"); !strings.Contains(out, "incident "+a+": ") {
			t.Errorf("note %s does not print the full ID %s:\n%s", unique, a, out)
		}
		c.json(&log, "log", "--incident", unique)
		if got, want := len(log), len(was)+1; got != want {
			t.Fatalf("log --incident %s: %d events, want %d (the note added)", unique, got, want)
		}
		if last := log[len(log)-1]; last.Stream != "incident-"+a || !strings.Contains(string(last.Payload), "bridge call at 09:00") {
			t.Errorf("the note was recorded as %s %s in stream %s, want it in incident-%s", last.Type, last.Payload, last.Stream, a)
		}
		if got := logLen(); got != before+1 {
			t.Errorf("note appended %d events, want 1", got-before)
		}
	})

	for _, tc := range []struct {
		name   string
		prefix string
		code   int
		stderr []string
	}{
		{"an ambiguous prefix", shared, 2, []string{"ambiguous", a + "  " + summaries[a], b + "  " + summaries[b], "give more characters"}},
		{"a prefix of nothing", "zzzzz", 3, []string{`incident "zzzzz" not found`}},
		{"too short a prefix", a[:3], 2, []string{"too short", "at least its first 4 characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := c.with(t)
			before := logLen()
			for _, args := range [][]string{
				{"auditor", "show", tc.prefix},
				{"auditor", "report", "--incident", tc.prefix},
				{"auditor", "deadlines", tc.prefix},
				{"oscar", "note", tc.prefix, "must not land"},
				{"oscar", "assess", tc.prefix, "-f", "low", "-r", "regular", "-i", "none"},
			} {
				r := c.run(args[0], args[1:]...)
				if r.code != tc.code {
					t.Errorf("%s: exit %d, want %d\n%s%s", strings.Join(args[1:], " "), r.code, tc.code, r.stdout, r.stderr)
				}
				for _, want := range tc.stderr {
					if !strings.Contains(r.stderr, want) {
						t.Errorf("%s: stderr lacks %q:\n%s", strings.Join(args[1:], " "), want, r.stderr)
					}
				}
			}
			if got := logLen(); got != before {
				t.Errorf("a refused prefix appended %d events", got-before)
			}
		})
	}

	// A full ID is used as it is: one that is not there is not found.
	if r := c.run("auditor", "show", strings.Repeat("Z", len(a))); r.code != 3 {
		t.Errorf("show of an unknown full ID: exit %d, want 3\n%s", r.code, r.stderr)
	}
}
