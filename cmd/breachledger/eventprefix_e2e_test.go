package main_test

import (
	"strings"
	"testing"
)

// TestEventIDPrefix: an event may be named by a unique prefix of its ID
// where an event is taken: a writer's EVENT-ID among the incident's
// events, "prove inclusion"'s among the log's. The full ID is recorded; a
// prefix several events share is a usage error (exit 2) naming them, one
// that names none is not found (exit 3), and neither appends anything.
func TestEventIDPrefix(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "event prefixes", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:02:00Z", "oscar")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "odd logins", "--at", "2025-03-07T10:00:00Z"))
	for _, text := range []string{"first note", "second note", "third note"} {
		c.ok("oscar", "note", inc, text, "--at", "2025-03-07T11:00:00Z")
	}
	var events []logEntry
	c.json(&events, "log", "--incident", inc)
	var target logEntry
	for _, e := range events {
		if strings.Contains(string(e.Payload), "second note") {
			target = e
		}
	}
	if target.EventID == "" {
		t.Fatalf("no note event in %v", events)
	}
	// unique: the shortest prefix of the target no other event of the log
	// starts with; shared: one the target shares with another event of
	// its incident (so of the log too).
	const minPrefix = 4
	var all []logEntry
	c.json(&all, "log")
	n, shared := minPrefix, ""
	for _, e := range all {
		if e.EventID != target.EventID {
			n = max(n, len(commonPrefix(target.EventID, e.EventID))+1)
		}
	}
	for _, e := range events {
		if p := commonPrefix(target.EventID, e.EventID); e.EventID != target.EventID && len(p) >= minPrefix && len(p) > len(shared) {
			shared = p
		}
	}
	unique := target.EventID[:n]
	if shared == "" {
		t.Fatalf("no event of the incident shares %d characters with %s (UUIDv7s made in the same hour do): %v", minPrefix, target.EventID, events)
	}
	logLen := func() int {
		var log []logEntry
		c.json(&log, "log")
		return len(log)
	}

	t.Run("a unique prefix names the event; the full ID is recorded", func(t *testing.T) {
		c := c.with(t)
		before := logLen()
		c.ok("oscar", "correct", inc, unique, "--set", "text=second note, corrected", "--reason", "typo", "--at", "2025-03-07T12:00:00Z")
		var log []logEntry
		c.json(&log, "log")
		if got, want := len(log), before+1; got != want {
			t.Fatalf("correct appended %d events, want 1", got-before)
		}
		last := log[len(log)-1]
		if last.Type != "EventCorrected" || !strings.Contains(string(last.Payload), `"target": "`+target.EventID+`"`) {
			t.Errorf("recorded %s %s, want an EventCorrected whose target is %s", last.Type, last.Payload, target.EventID)
		}
		whole := c.ok("auditor", "prove", "inclusion", target.EventID)
		if got := c.ok("auditor", "prove", "inclusion", unique); got != whole {
			t.Errorf("prove inclusion %s differs from the proof of %s:\n%s\nwant\n%s", unique, target.EventID, got, whole)
		}
	})

	for _, tc := range []struct {
		name   string
		prefix string
		code   int
		stderr []string
	}{
		{"an ambiguous prefix", shared, 2, []string{"ambiguous", target.EventID, "give more characters"}},
		{"a prefix of nothing", "ffffffff-ff", 3, []string{`event "ffffffff-ff" not found`}},
		{"too short a prefix", target.EventID[:3], 2, []string{"too short", "at least its first 4 characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := c.with(t)
			before := logLen()
			for _, args := range [][]string{
				{"oscar", "correct", inc, tc.prefix, "--set", "text=must not land", "--reason", "r"},
				{"oscar", "ack", inc, tc.prefix, "--from", "CNIL"},
				{"auditor", "prove", "inclusion", tc.prefix},
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
}
