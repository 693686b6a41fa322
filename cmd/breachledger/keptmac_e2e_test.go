package main_test

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// art33Due is the GDPR Art. 33 notice's due time in macLedger, worked by
// hand: awareness 2025-03-07T22:15Z plus 72 hours. No notice is ever
// recorded, so it is overdue at every instant after it, now included.
const art33Due = "2025-03-10T22:15:00Z"

// macLedger records a personal-data breach whose authority notice is
// overdue (art33Due); with full false it stops at the detection, before
// the assessment and classification that start that clock.
func macLedger(t *testing.T, full bool) (*cli, string) {
	t.Helper()
	c := newLedger(t)
	c.env = []string{"XDG_CACHE_HOME=" + t.TempDir()}
	c.ok("alice", "init", "--name", "Kept MACs", "--at", "2025-03-01T00:00:00Z")
	for _, g := range [][2]string{{"oscar", "responder"}, {"sam", "security-response"}} {
		c.ok("alice", "grant", g[0], g[1], "--at", "2025-03-01T00:01:00Z")
	}
	c.register("2025-03-01T00:02:00Z", "oscar", "sam")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "automated-alert", "--summary", "bulk read", "--aware-at", "2025-03-07T22:15:00Z", "--at", "2025-03-07T21:40:00Z"))
	if full {
		assessAndClassify(c, inc)
	}
	return c, inc
}

// assessAndClassify records the assessment and classification of a
// personal-data breach, which start the Art. 33 clock.
func assessAndClassify(c *cli, inc string) {
	c.ok("oscar", "assess", inc, "--functional-impact", "medium", "--recoverability", "extended", "--information-impact", "privacy-breach", "--at", "2025-03-07T22:30:00Z")
	c.ok("sam", "classify", inc, "privacy-breach", "--at", "2025-03-08T09:00:00Z")
}

// keptViewFiles returns the SQLite files that hold kept views (rm_meta) of
// c's ledger: under the test's cache directory, or under the tests'
// shared one (serve runs with the tests' environment).
func keptViewFiles(t *testing.T, c *cli) []string {
	t.Helper()
	var dirs []string
	for _, e := range append([]string{"XDG_CACHE_HOME=" + os.Getenv("XDG_CACHE_HOME")}, c.env...) {
		if v, ok := strings.CutPrefix(e, "XDG_CACHE_HOME="); ok {
			dirs = append(dirs, filepath.Join(v, "breachledger"))
		}
	}
	var candidates []string
	for _, d := range dirs {
		fs, _ := filepath.Glob(filepath.Join(d, "*.projections.db"))
		candidates = append(candidates, fs...)
	}
	var log []logEntry
	c.json(&log, "log")
	if len(log) == 0 {
		t.Fatal("an empty log")
	}
	origin := log[0].EventID
	var out []string
	for _, p := range candidates {
		db, err := sql.Open("sqlite", "file:"+p+"?mode=ro")
		if err != nil {
			continue
		}
		var o string
		if db.QueryRow(`SELECT value FROM rm_meta WHERE key = 'origin'`).Scan(&o) == nil && o == origin {
			out = append(out, p)
		}
		db.Close()
	}
	if len(out) == 0 {
		t.Fatalf("no kept views of %s among %v", origin, candidates)
	}
	return out
}

// tamperKept runs q on every file that keeps views of c's ledger, as an
// insider with write access to the cache file would.
func tamperKept(t *testing.T, c *cli, q string, args ...any) {
	t.Helper()
	for _, p := range keptViewFiles(t, c) {
		db, err := sql.Open("sqlite", "file:"+p+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		res, err := db.Exec(q, args...)
		if err != nil {
			db.Close()
			t.Fatalf("%s on %s: %v", q, p, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			db.Close()
			t.Fatalf("%s on %s: no row changed", q, p)
		}
		db.Close()
	}
}

// overdueArt33 runs "deadlines --overdue --json" and reports whether the
// answer is right: exit 7 with the Art. 33 notice overdue at art33Due, or
// exit 6 naming the tampered row.
func overdueArt33(t *testing.T, c *cli, inc string) (string, bool) {
	t.Helper()
	r := c.run("auditor", "deadlines", "--overdue", "--json")
	switch r.code {
	case 7:
		var v struct {
			Deadlines []struct {
				Incident string `json:"incident"`
				Rule     string `json:"rule"`
				DueAt    string `json:"due_at"`
				Status   string `json:"status"`
			} `json:"deadlines"`
			Alert bool `json:"alert"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			return r.stdout, false
		}
		for _, d := range v.Deadlines {
			if d.Incident == inc && strings.Contains(d.Rule, "art33") && d.DueAt == art33Due && d.Status == "overdue" {
				return r.stderr, v.Alert
			}
		}
	case 6:
		return r.stderr, strings.Contains(r.stderr, inc)
	}
	return r.stdout + r.stderr, false
}

// Issue 15 (part C): editing, deleting or inserting a kept row in the
// cache file, or moving rm_meta's position, cannot make "deadlines
// --overdue" exit 0 while an obligation is overdue: the answer stays right
// (the views are rebuilt from the log, and stderr says what was changed)
// or the command exits 6 naming the row. verify then checks the views too.
func TestTamperedKeptRowsCannotSilenceDeadlines(t *testing.T) {
	c, inc := macLedger(t, true)
	if out, ok := overdueArt33(t, c, inc); !ok {
		t.Fatalf("before any tampering: %s", out)
	}
	attacks := []struct {
		name string
		q    string
	}{
		{"status and state edited", `UPDATE rm_deadlines SET state = 1, data = CAST(replace(CAST(data AS TEXT), 'overdue', 'met') AS BLOB) WHERE ` + overdueRow(inc)},
		{"status said pending, well packed", `UPDATE rm_deadlines SET data = CAST(replace(CAST(data AS TEXT), 'overdue', 'pending') AS BLOB) WHERE ` + overdueRow(inc)},
		{"due_at moved a year on", `UPDATE rm_deadlines SET due_at = due_at + 365*86400*1000000000 WHERE ` + overdueRow(inc)},
		{"overdue row deleted", `DELETE FROM rm_deadlines WHERE ` + overdueRow(inc)},
		{"every open row of it deleted", `DELETE FROM rm_deadlines WHERE state = 0 AND incident = '` + inc + `'`},
		{"the row's JSON said met", `UPDATE rm_deadlines SET data = CAST(replace(CAST(data AS TEXT), '"status":"overdue"', '"status":"met"') AS BLOB) WHERE ` + overdueRow(inc)},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			c := c.with(t)
			if out, ok := overdueArt33(t, c, inc); !ok { // the views caught up, as kept
				t.Fatalf("before: %s", out)
			}
			tamperKept(t, c, a.q)
			stderr, ok := overdueArt33(t, c, inc)
			if !ok {
				t.Fatalf("after %q: the alarm is silenced:\n%s", a.q, stderr)
			}
			if !strings.Contains(stderr, "tampered") || !strings.Contains(stderr, "rm_deadlines") {
				t.Errorf("after %q: stderr does not say what was tampered with:\n%s", a.q, stderr)
			}
			if r := c.run("auditor", "deadlines", "--overdue"); r.code != 7 || !strings.Contains(r.stdout, art33Due[:10]) {
				t.Errorf("deadlines --overdue (text): exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
	t.Run("a fake row inserted", func(t *testing.T) {
		c := c.with(t)
		overdueArt33(t, c, inc)
		tamperKept(t, c, `INSERT INTO rm_deadlines (incident, ord, state, regime, due_at, data, next, mac)
SELECT incident, ord + 100, 1, regime, due_at, CAST(replace(CAST(data AS TEXT), 'overdue', 'met') AS BLOB), next, mac FROM rm_deadlines WHERE `+overdueRow(inc))
		r := c.run("auditor", "deadlines", "--json")
		if r.code != 7 || !strings.Contains(r.stderr, "tampered") || strings.Count(r.stdout, `"status":"met"`) != 0 {
			t.Errorf("deadlines over an inserted met row: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("verify reports a tampered view", func(t *testing.T) {
		c := c.with(t)
		overdueArt33(t, c, inc)
		if r := c.run("auditor", "verify"); r.code != 0 {
			t.Fatalf("verify before: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		tamperKept(t, c, `UPDATE rm_deadlines SET state = 1, data = CAST(replace(CAST(data AS TEXT), 'overdue', 'met') AS BLOB) WHERE `+overdueRow(inc))
		r := c.run("auditor", "verify")
		if r.code != 6 || !strings.Contains(r.stderr, "rm_deadlines") || !strings.Contains(r.stderr, inc) || !strings.Contains(r.stderr, "rebuilt") {
			t.Errorf("verify over a tampered view: exit %d, want 6 naming the row\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r := c.run("auditor", "verify"); r.code != 0 {
			t.Errorf("verify after the rebuild: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// Moving rm_meta's position to the head (with the head's event ID), past an
// assessment and classification the views never folded, would make the reader skip it:
// rm_meta's MAC catches that, and the views are folded again.
func TestTamperedKeptPositionCannotSilenceDeadlines(t *testing.T) {
	c, inc := macLedger(t, false)
	if r := c.run("auditor", "deadlines", "--overdue"); r.code != 0 {
		t.Fatalf("deadlines --overdue before the classification: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	assessAndClassify(c, inc)
	var log []logEntry
	c.json(&log, "log")
	head := log[len(log)-1]
	tamperKept(t, c, `UPDATE rm_meta SET value = ? WHERE key = 'position'`, head.Seq+1)
	tamperKept(t, c, `UPDATE rm_meta SET value = ? WHERE key = 'last_event'`, head.EventID)
	stderr, ok := overdueArt33(t, c, inc)
	if !ok {
		t.Fatalf("after moving rm_meta's position: the alarm is silenced:\n%s", stderr)
	}
	if !strings.Contains(stderr, "rm_meta") {
		t.Errorf("stderr does not name rm_meta:\n%s", stderr)
	}
}

// Through the API: rows edited, deleted or inserted in the cache file under
// a running server never make /v1/deadlines say "alert": false while the
// notice is overdue.
func TestTamperedKeptRowsCannotSilenceTheAPI(t *testing.T) {
	c, inc := macLedger(t, true)
	c.env = nil // serve runs with the tests' environment (startServe)
	_, secret := issueToken(t, c, "siem")
	s := startServe(t, c)
	alert := func(t *testing.T) (bool, string) {
		t.Helper()
		code, body := s.get(t, "GET", "/v1/deadlines?overdue=true", secret)
		var v struct {
			Alert     bool `json:"alert"`
			Deadlines []struct {
				Incident string `json:"incident"`
				DueAt    string `json:"due_at"`
				Status   string `json:"status"`
			} `json:"deadlines"`
		}
		if code != 200 || json.Unmarshal(body, &v) != nil {
			return false, string(body)
		}
		for _, d := range v.Deadlines {
			if d.Incident == inc && d.DueAt == art33Due && d.Status == "overdue" {
				return v.Alert, string(body)
			}
		}
		return false, string(body)
	}
	if ok, body := alert(t); !ok {
		t.Fatalf("before any tampering: %s", body)
	}
	for _, q := range []string{
		`UPDATE rm_deadlines SET state = 1, data = CAST(replace(CAST(data AS TEXT), 'overdue', 'met') AS BLOB) WHERE ` + overdueRow(inc),
		`UPDATE rm_deadlines SET data = CAST(replace(CAST(data AS TEXT), 'overdue', 'pending') AS BLOB) WHERE ` + overdueRow(inc),
		`DELETE FROM rm_deadlines WHERE ` + overdueRow(inc),
		`UPDATE rm_deadlines SET due_at = due_at + 365*86400*1000000000 WHERE ` + overdueRow(inc),
	} {
		tamperKept(t, c, q)
		if ok, body := alert(t); !ok {
			t.Errorf("after %q: %s", q, body)
		}
	}
}

// overdueRow selects, as an insider with the sqlite3 shell would, the kept
// deadline rows of incident inc that say overdue: a row keeps its chain key
// (state, regime, due_at, incident, ord) as columns and the rest (status,
// JSON...) packed in data, which the insider edits with replace().
func overdueRow(inc string) string {
	return `incident = '` + inc + `' AND state = 0 AND instr(data, CAST('"status":"overdue"' AS BLOB)) > 0`
}
