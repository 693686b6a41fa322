package main_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The user calendar is on the record (issue 17, part C): an admin records
// it with "calendar set FILE"; every reader counts on it, whatever local
// files it has; the --calendar flag and BREACHLEDGER_CALENDAR are refused
// naming "calendar set". Brazil's Consciência Negra (a national holiday
// since 2024, not in rickar/cal) moves the ANPD's 3 working days.
func TestCalendarOnTheRecord(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--at", "2025-11-01T00:00:00Z")
	for actor, role := range map[string]string{"oscar": "responder", "sam": "security-response", "ivy": "security-incident-manager"} {
		c.ok("alice", "grant", actor, role, "--at", "2025-11-01T00:01:00Z")
		c.register("2025-11-01T00:01:00Z", actor)
	}
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--role", "controller", "--source", "customer-report",
		"--summary", "customer list exposed", "--at", "2025-11-18T12:00:00Z"))
	c.ok("oscar", "assess", inc, "-f", "low", "-r", "regular", "-i", "privacy-breach", "--at", "2025-11-18T12:10:00Z")
	c.ok("sam", "affected", inc, "--count", "BR=300", "--at", "2025-11-18T12:20:00Z")

	dir := t.TempDir()
	file := filepath.Join(dir, "closures.txt")
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(file, "# national holiday since Lei 14.759/2023\nBR 2025-11-20 Consciência Negra\n")
	due := func(tb testing.TB, cc *cli) string {
		tb.Helper()
		var v regView
		cc.json(&v, "deadlines", "--as-of", "2025-11-19T00:00:00Z", "--regime", "br-anpd")
		o, ok := regByID(v)["br-anpd"]
		if !ok {
			tb.Fatalf("no br-anpd: %+v", v)
		}
		return o.DueAt.UTC().Format("2006-01-02T15:04:05Z")
	}

	// The flag and the variable are gone: exit 2, naming calendar set.
	for _, tt := range []struct {
		name string
		env  []string
		args []string
	}{
		{"--calendar before the command", nil, []string{"--calendar", file, "deadlines"}},
		{"--calendar after the command", nil, []string{"deadlines", "--calendar", file}},
		{"BREACHLEDGER_CALENDAR", []string{"BREACHLEDGER_CALENDAR=" + file}, []string{"deadlines"}},
	} {
		cc := c.with(t)
		cc.env = append(cc.env, tt.env...)
		if r := cc.run("auditor", tt.args...); r.code != 2 || !strings.Contains(r.stderr, `breachledger calendar set FILE`) {
			t.Errorf("%s: exit %d, want 2 naming calendar set\n%s", tt.name, r.code, r.stderr)
		}
	}

	// Only an admin records it; a responder is refused by rule (exit 4).
	if r := c.run("oscar", "calendar", "set", file); r.code != 4 || !strings.Contains(r.stderr, "calendar-role") {
		t.Errorf("a responder's calendar set: exit %d, want 4\n%s", r.code, r.stderr)
	}
	if r := c.run("alice", "calendar", "set", filepath.Join(dir, "missing.txt")); r.code != 2 {
		t.Errorf("a missing file: exit %d, want 2\n%s", r.code, r.stderr)
	}
	bad := filepath.Join(dir, "bad.txt")
	write(bad, "Brazil 20.11.2025 holiday\n")
	if r := c.run("alice", "calendar", "set", bad); r.code != 2 || !strings.Contains(r.stderr, "line 1") {
		t.Errorf("a bad line: exit %d, want 2 naming line 1\n%s", r.code, r.stderr)
	}
	if r := c.run("alice", "calendar", "set", file, "--at", "2025-11-01T00:05:00Z"); r.code != 4 || !strings.Contains(r.stderr, "calendar-backdated-needs-reason") {
		t.Errorf("backdated without a reason: exit %d, want 4\n%s", r.code, r.stderr)
	}
	if r := c.run("auditor", "calendar", "show"); r.code != 0 || !strings.Contains(r.stdout, "calendar 2026.1 (rickar/cal v2.1.13, years 2020–2035) (current") || !strings.Contains(r.stdout, "user calendar: none recorded") {
		t.Errorf("calendar show before: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Before the calendar is recorded: Wed 19 (1), Thu 20 (2), Fri 21 (3),
	// the end of Friday in São Paulo (UTC-3) = 2025-11-22T02:59:59Z.
	c.ok("ivy", "determine", inc, "br-personal-data", "--reasoning", "customer names and CPFs", "--at", "2025-11-18T13:00:00Z")
	if got := due(t, c); got != "2025-11-22T02:59:59Z" {
		t.Errorf("before calendar set: due %s, want 2025-11-22T02:59:59Z", got)
	}

	// Recorded in force from before the determination (backdated, with a
	// reason): Thu 20 closed, so Wed 19 (1), Fri 21 (2), Mon 24 (3) = 2025-11-25T02:59:59Z.
	c.ok("alice", "calendar", "set", file, "--at", "2025-11-01T00:05:00Z", "--reason", "the holiday calendar of the year, adopted 1 November")
	if got := due(t, c); got != "2025-11-25T02:59:59Z" {
		t.Errorf("after calendar set: due %s, want 2025-11-25T02:59:59Z", got)
	}
	if r := c.run("alice", "calendar", "set", file, "--at", "2025-11-01T00:06:00Z", "--reason", "again"); r.code != 4 || !strings.Contains(r.stderr, "calendar-unchanged") {
		t.Errorf("the same calendar again: exit %d, want 4\n%s", r.code, r.stderr)
	}

	// Two auditors with different local calendar files (which nothing
	// reads) get byte-identical deadlines from the same ledger.
	var outs []string
	known := time.Now().UTC().Add(time.Second).Format(time.RFC3339)
	time.Sleep(1100 * time.Millisecond) // known-at is not in the future
	for i, text := range []string{"BR 2025-11-19 auditor A's closure\n", "* 2025-11-21 auditor B's closure\n"} {
		home := filepath.Join(dir, "auditor", string(rune('a'+i)))
		if err := os.CopyFS(home, os.DirFS(os.Getenv("XDG_CONFIG_HOME"))); err != nil { // the pinned keys
			t.Fatal(err)
		}
		if err := filepath.WalkDir(home, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			return os.Chmod(path, 0o600) // keys stay private
		}); err != nil {
			t.Fatal(err)
		}
		write(filepath.Join(home, "breachledger", "calendar.txt"), text)
		write(filepath.Join(home, "calendar.txt"), text)
		cc := c.with(t)
		cc.env = append(cc.env, "XDG_CONFIG_HOME="+home, "HOME="+home)
		r := cc.run("auditor", "deadlines", "--json", "--as-of", "2025-11-19T00:00:00Z", "--known-at", known)
		if r.code != 0 && r.code != 7 {
			t.Fatalf("auditor %d: exit %d\n%s", i, r.code, r.stderr)
		}
		outs = append(outs, r.stdout)
	}
	if outs[0] != outs[1] {
		t.Errorf("two auditors differ:\n%s\n---\n%s", outs[0], outs[1])
	}
	if !strings.Contains(outs[0], `"calendar": "BR (rickar/cal br, calendar 2026.1) + 1 user closing day recorded `) {
		t.Errorf("deadlines do not name the calendar, its version and the user closures:\n%s", outs[0])
	}

	// show and the report name the calendar and its version.
	if r := c.run("auditor", "show", inc, "--as-of", "2025-11-19T00:00:00Z"); r.code != 0 || !strings.Contains(r.stdout, "calendar 2026.1 (rickar/cal v2.1.13, years 2020–2035)") {
		t.Errorf("show: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := c.run("auditor", "report", "--incident", inc, "--format", "md"); r.code != 0 || !strings.Contains(r.stdout, "| Calendar | calendar 2026.1 (rickar/cal v2.1.13, years 2020–2035) |") {
		t.Errorf("report: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// calendar show prints what the ledger records.
	var shown struct {
		Current string `json:"current"`
		User    *struct {
			Since    string `json:"since"`
			Actor    string `json:"actor"`
			Closures []struct{ Jurisdiction, Date, What string }
		} `json:"user"`
		History []any `json:"history"`
	}
	c.json(&shown, "calendar", "show")
	if shown.Current != "2026.1" || shown.User == nil || shown.User.Since != "2025-11-01T00:05:00Z" || shown.User.Actor != "alice" ||
		len(shown.User.Closures) != 1 || shown.User.Closures[0].Date != "2025-11-20" || shown.User.Closures[0].What != "Consciência Negra" || len(shown.History) != 1 {
		t.Errorf("calendar show --json: %+v", shown)
	}
}
