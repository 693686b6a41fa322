package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const multiRegime = "../../testdata/scenarios/multi-regime"

// runScenarioIn records a scenario directory's script through the binary
// and returns the incident ID.
func runScenarioIn(tb testing.TB, c *cli, dir string) string {
	tb.Helper()
	cmd := exec.Command("bash", filepath.Join(dir, "scenario.sh"))
	cmd.Env = scenarioEnv(c)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("scenario %s: %v\n%s", dir, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// goldenIn compares got with a golden file of a scenario directory.
func goldenIn(t *testing.T, dir, name string, got []byte) {
	t.Helper()
	path := filepath.Join(dir, "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the tests with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got; rerun with -update to accept):\n%s", name, diff)
	}
}

type regObligation struct {
	ID           string    `json:"obligation"`
	Rule         string    `json:"rule"`
	Regime       string    `json:"regime"`
	Citation     string    `json:"citation"`
	Verify       string    `json:"verify"`
	Pack         string    `json:"pack"`
	Jurisdiction string    `json:"jurisdiction"`
	DueAt        time.Time `json:"due_at"`
	DueLocal     string    `json:"due_local"`
	TimeZone     string    `json:"time_zone"`
	Status       string    `json:"status"`
	Reason       string    `json:"reason"`
	AnchorEvent  string    `json:"anchor_event"`
	AckBy        string    `json:"acknowledged_by"`
	DelayNotice  string    `json:"delay_notice"`
	NowKnown     *struct {
		DueAt  time.Time `json:"due_at"`
		Status string    `json:"status"`
	} `json:"now_known"`
	UnderPack *struct {
		Pack   string `json:"pack"`
		Absent bool   `json:"absent"`
	} `json:"under_pack"`
	OnlyUnder string `json:"only_under"`
}

type regView struct {
	Deadlines []regObligation `json:"deadlines"`
	Alert     bool            `json:"alert"`
}

func regByID(v regView) map[string]regObligation {
	m := map[string]regObligation{}
	for _, o := range v.Deadlines {
		m[o.ID] = o
	}
	return m
}

// TestMultiRegimeScenario: one breach triggers GDPR (two supervisory
// authorities), NIS2, DORA and SEC at once; every clock is checked in
// "deadlines --json" against golden files at several points, and against
// due times worked out by hand.
func TestMultiRegimeScenario(t *testing.T) {
	c := newLedger(t)
	inc := runScenarioIn(t, c, multiRegime)
	var log []logEntry
	c.json(&log, "log")
	var corrected time.Time
	for _, e := range log {
		if e.Type == "EventCorrected" {
			corrected = e.RecordedAt
		}
	}
	if corrected.IsZero() {
		t.Fatal("no correction in the log")
	}
	beforeCorrection := corrected.Add(-time.Microsecond).Format(time.RFC3339Nano)

	reads := []struct {
		golden string
		args   []string
		code   int
	}{
		{"deadlines-2025-10-02T10.json", []string{"deadlines", "--as-of", "2025-10-02T10:00:00Z", "--json"}, 0},
		{"deadlines-2025-10-05T12.json", []string{"deadlines", "--as-of", "2025-10-05T12:00:00Z", "--json"}, 7},
		{"deadlines-2025-10-05T12.txt", []string{"deadlines", "--as-of", "2025-10-05T12:00:00Z"}, 7},
		{"deadlines-2025-10-13T12.json", []string{"deadlines", "--as-of", "2025-10-13T12:00:00Z", "--json"}, 0},
		{"deadlines-final.json", []string{"deadlines", "--as-of", "2025-11-10T00:00:00Z", "--json"}, 0},
		{"deadlines-known-before-correction.json", []string{"deadlines", "--as-of", "2025-10-03T00:00:00Z", "--known-at", beforeCorrection, "--json"}, 0},
		{"deadlines-dora-due-within.json", []string{"deadlines", "--as-of", "2025-10-05T00:00:00Z", "--regime", "DORA", "--due-within", "24h", "--json"}, 7},
		{"show-final.txt", []string{"show", inc, "--as-of", "2025-11-10T00:00:00Z"}, 0},
		{"show-final.json", []string{"show", inc, "--as-of", "2025-11-10T00:00:00Z", "--json"}, 0},
	}
	for _, r := range reads {
		t.Run(r.golden, func(t *testing.T) {
			c := c.with(t)
			res := c.run("auditor", r.args...)
			if res.code != r.code {
				t.Fatalf("exit %d, want %d: %s", res.code, r.code, res.stderr)
			}
			goldenIn(t, multiRegime, r.golden, placeholders([]byte(res.stdout), inc, log))
		})
	}

	t.Run("every clock, worked by hand", func(t *testing.T) {
		c := c.with(t)
		type want struct {
			id, due, local, status string
		}
		for _, tt := range []struct {
			asOf string
			want []want
		}{
			{"2025-10-05T12:00:00Z", []want{
				// awareness corrected to 2025-10-02T04:30Z; classified major 09:00Z
				{"dora-initial", "2025-10-02T13:00:00Z", "2025-10-02T15:00:00+02:00", "met"},           // min(09:00+4h, 04:30+24h)
				{"nis2-early-warning", "2025-10-03T04:30:00Z", "2025-10-03T06:30:00+02:00", "met"},     // awareness + 24 h
				{"gdpr-art33/DE", "2025-10-05T04:30:00Z", "2025-10-05T06:30:00+02:00", "met"},          // + 72 h, a Sunday: hours never roll over
				{"gdpr-art33/FR", "2025-10-05T04:30:00Z", "2025-10-05T06:30:00+02:00", "overdue"},      // its own clock: the DE notice does not answer it
				{"nis2-notification", "2025-10-05T04:30:00Z", "2025-10-05T06:30:00+02:00", "met"},      // + 72 h
				{"gdpr-art34", "2025-10-05T12:00:00Z", "", "met"},                                      // high risk 2025-10-02T12:00Z + 72 h target
				{"dora-intermediate", "2025-10-05T12:30:00Z", "2025-10-05T14:30:00+02:00", "due-soon"}, // initial sent 12:30Z + 72 h; Sunday, no roll-over for a NIS2 entity
				{"nis2-final", "2025-11-04T22:59:59Z", "2025-11-04T23:59:59+01:00", "pending"},         // notification 2025-10-04 + 1 month, end of day
			}},
			{"2025-11-10T00:00:00Z", []want{
				{"gdpr-art33/FR", "2025-10-05T04:30:00Z", "", "met-late"},
				{"dora-intermediate", "2025-10-05T12:30:00Z", "", "met-late"},
				{"sec-8k-1.05", "2025-10-17T03:59:59Z", "2025-10-16T23:59:59-04:00", "met"}, // Thu 10-09: Fri 10, (Mon 13 Columbus Day), Tue 14, Wed 15, Thu 16
				{"sec-8k-a/1", "2025-10-31T03:59:59Z", "2025-10-30T23:59:59-04:00", "met"},  // Fri 10-24: Mon 27 … Thu 30
				{"dora-final", "2025-11-06T22:59:59Z", "2025-11-06T23:59:59+01:00", "met"},  // latest intermediate 2025-10-06T08:00Z (10:00 CEST) + 1 month, to the end of the day (pack 2026.2: Reg. 1182/71 Art. 3(2)(c))
			}},
		} {
			var v regView
			c.json(&v, "deadlines", "--as-of", tt.asOf)
			obs := regByID(v)
			for _, w := range tt.want {
				o, ok := obs[w.id]
				if !ok {
					t.Errorf("as of %s: no %s", tt.asOf, w.id)
					continue
				}
				if !o.DueAt.Equal(mustTime(t, w.due)) || o.Status != w.status || (w.local != "" && o.DueLocal != w.local) {
					t.Errorf("as of %s: %s = due %s (%s) %s, want due %s (%s) %s", tt.asOf, w.id, o.DueAt.Format(time.RFC3339), o.DueLocal, o.Status, w.due, w.local, w.status)
				}
			}
		}
		var v regView
		c.json(&v, "deadlines", "--as-of", "2025-11-10T00:00:00Z")
		regimes := map[string]int{}
		for _, o := range v.Deadlines {
			regimes[o.Regime]++
			if o.Pack != "2026.2" || o.Citation == "" {
				t.Errorf("%s: pack %q citation %q", o.ID, o.Pack, o.Citation)
			}
		}
		if diff := cmp.Diff(map[string]int{"GDPR": 3, "NIS2": 3, "DORA": 3, "SEC": 2}, regimes); diff != "" {
			t.Errorf("clocks per regime (-want +got):\n%s", diff)
		}
		obs := regByID(v)
		if o := obs["gdpr-art33/DE"]; o.AckBy != "HmbBfDI" || !strings.Contains(o.Verify, "no lead authority") {
			t.Errorf("gdpr-art33/DE: acknowledged by %q, verify %q", o.AckBy, o.Verify)
		}
		if o := obs["dora-intermediate"]; o.DelayNotice == "" || !strings.Contains(o.Reason, "notice of delay") {
			t.Errorf("dora-intermediate: delay notice %q reason %q", o.DelayNotice, o.Reason)
		}
	})

	t.Run("as then believed and as now known", func(t *testing.T) {
		c := c.with(t)
		var v regView
		c.json(&v, "deadlines", "--as-of", "2025-10-03T00:00:00Z", "--known-at", beforeCorrection)
		o := regByID(v)["nis2-early-warning"]
		if !o.DueAt.Equal(mustTime(t, "2025-10-03T06:00:00Z")) {
			t.Errorf("then believed: due %s, want 2025-10-03T06:00Z (awareness first recorded 06:00)", o.DueAt)
		}
		if o.NowKnown == nil || !o.NowKnown.DueAt.Equal(mustTime(t, "2025-10-03T04:30:00Z")) {
			t.Errorf("now known beside it: %+v, want due 2025-10-03T04:30Z", o.NowKnown)
		}
	})

	t.Run("filters and exit codes", func(t *testing.T) {
		c := c.with(t)
		var v regView
		c.json(&v, "deadlines", "--as-of", "2025-10-05T12:00:00Z", "--regime", "SEC")
		if len(v.Deadlines) != 0 {
			t.Errorf("SEC before the materiality determination: %v", v.Deadlines)
		}
		c.json(&v, "deadlines", "--as-of", "2025-10-05T12:00:00Z", "--overdue")
		if ids := regIDs(v); !slices.Equal(ids, []string{"gdpr-art33/FR"}) || !v.Alert {
			t.Errorf("--overdue: %v alert %v, want [gdpr-art33/FR] and an alert", ids, v.Alert)
		}
		c.json(&v, "deadlines", "--as-of", "2025-10-05T12:00:00Z", "--regime", "gdpr", "--regime", "NIS2")
		for _, o := range v.Deadlines {
			if o.Regime != "GDPR" && o.Regime != "NIS2" {
				t.Errorf("--regime gdpr --regime NIS2 shows %s (%s)", o.ID, o.Regime)
			}
		}
		if r := c.run("auditor", "deadlines", "--as-of", "2025-10-13T12:00:00Z", "--regime", "SEC", "--due-within", "4d"); r.code != 7 {
			t.Errorf("SEC due within 4 days on Columbus Day: exit %d, want 7", r.code)
		}
		if r := c.run("auditor", "deadlines", "--as-of", "2025-10-13T12:00:00Z", "--regime", "SEC", "--due-within", "2d"); r.code != 0 {
			t.Errorf("SEC due within 2 days on Columbus Day: exit %d, want 0 (due Thursday)", r.code)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		c := c.with(t)
		for _, tt := range []struct {
			actor  string
			args   []string
			code   int
			stderr string
		}{
			{"ian", []string{"notify", inc, "--to", "regulator", "--recipient", "BaFin", "--for", "dora-nothing", "--at", "2025-11-05T11:00:00Z"}, 3, `obligation "dora-nothing" not found`},
			{"ian", []string{"hold", inc, "law-enforcement", "--authority", "FBI", "--basis", "x", "--at", "2025-10-10T00:00:00Z"}, 4, "hold-role"},
			{"lee", []string{"hold", inc, "law-enforcement", "--authority", "FBI", "--basis", "x", "--at", "2025-10-10T00:00:00Z"}, 4, "hold-kind"},
			{"ivy", []string{"determine", inc, "sec-immaterial", "--reasoning", "x"}, 2, "unknown value"},
			{"ivy", []string{"affected", inc, "--count", "DE=many"}, 2, "--count"},
		} {
			before := c.dump()
			r := c.run(tt.actor, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("%v: exit %d %q, want %d mentioning %q", tt.args, r.code, r.stderr, tt.code, tt.stderr)
			}
			if c.dump() != before {
				t.Errorf("%v changed the ledger", tt.args)
			}
		}
	})
}

// A notice that could answer clocks of two regimes is refused until it
// names the one it answers.
func TestAmbiguousNoticeNeedsFor(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--at", "2025-09-01T00:00:00Z")
	for actor, role := range map[string]string{"oscar": "responder", "ivy": "security-incident-manager", "ian": "incident-manager"} {
		c.ok("alice", "grant", actor, role, "--at", "2025-09-01T00:01:00Z")
		c.register("2025-09-01T00:01:00Z", actor)
	}
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--role", "controller", "--source", "automated-alert", "--summary", "payments API down", "--at", "2025-09-01T06:00:00Z"))
	c.ok("ivy", "profile", inc, "--establishment", "DE", "--sector", "banking", "--sector", "digital-infrastructure",
		"--entity-type", "financial-entity", "--entity-type", "nis2-important", "--at", "2025-09-01T06:10:00Z")
	c.ok("ivy", "determine", inc, "nis2-significant", "--reasoning", "service down", "--at", "2025-09-01T07:00:00Z")
	c.ok("ivy", "determine", inc, "dora-major", "--reasoning", "critical service", "--at", "2025-09-01T09:00:00Z")
	before := c.dump()
	r := c.run("ian", "notify", inc, "--to", "regulator", "--recipient", "BaFin", "--jurisdiction", "DE", "--at", "2025-09-01T10:00:00Z")
	if r.code != 4 || !strings.Contains(r.stderr, "notify-ambiguous") || !strings.Contains(r.stderr, "dora-initial") || !strings.Contains(r.stderr, "nis2-early-warning") {
		t.Errorf("exit %d %q, want 4 notify-ambiguous naming both clocks", r.code, r.stderr)
	}
	if c.dump() != before {
		t.Errorf("the refused notice changed the ledger")
	}
	c.ok("ian", "notify", inc, "--to", "regulator", "--recipient", "BaFin", "--jurisdiction", "DE", "--for", "dora-initial", "--at", "2025-09-01T10:00:00Z", "--late-entry-reason", "recorded from the case file")
	var v regView
	c.json(&v, "deadlines", "--as-of", "2025-09-01T11:00:00Z")
	obs := regByID(v)
	if obs["dora-initial"].Status != "met" || obs["nis2-early-warning"].Status == "met" {
		t.Errorf("dora-initial %s, nis2-early-warning %s; want met and not met", obs["dora-initial"].Status, obs["nis2-early-warning"].Status)
	}
}

func regIDs(v regView) []string {
	var out []string
	for _, o := range v.Deadlines {
		out = append(out, o.ID)
	}
	return out
}

// A history recorded under pack 2025.1, read by this binary (which ships
// 2026.1 and 2026.2), shows 2025.1's deadlines; the newer reading is shown beside it
// on request, and adopting it is a recorded decision.
func TestOldPackHistoryWithNewBinary(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--at", "2025-03-01T00:00:00Z")
	for actor, role := range map[string]string{"oscar": "responder", "sam": "security-response", "lee": "legal"} {
		c.ok("alice", "grant", actor, role, "--at", "2025-03-01T00:01:00Z")
		c.register("2025-03-01T00:01:00Z", actor)
	}
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--pack", "2025.1", "--role", "controller", "--source", "customer-report",
		"--summary", "HR export e-mailed outside", "--aware-at", "2025-03-07T22:15:00Z", "--at", "2025-03-07T21:40:00Z"))
	c.ok("oscar", "assess", inc, "-f", "low", "-r", "regular", "-i", "privacy-breach", "--at", "2025-03-07T22:30:00Z")
	c.ok("sam", "scope", inc, "--jurisdiction", "DE", "--jurisdiction", "GB", "--subjects", "300", "--at", "2025-03-08T09:00:00Z")

	var v regView
	c.json(&v, "deadlines", "--as-of", "2025-03-09T00:00:00Z")
	if ids := regIDs(v); !slices.Equal(ids, []string{"gdpr-art33"}) || v.Deadlines[0].Pack != "2025.1" || !v.Deadlines[0].DueAt.Equal(mustTime(t, "2025-03-10T22:15:00Z")) {
		t.Fatalf("under the recorded pack: %+v, want gdpr-art33 of pack 2025.1 due 2025-03-10T22:15Z", v.Deadlines)
	}
	c.json(&v, "deadlines", "--as-of", "2025-03-09T00:00:00Z", "--compare-pack", "2026.1")
	obs := regByID(v)
	if o := obs["uk-gdpr-art33"]; o.OnlyUnder != "2026.1" || o.Pack != "2026.1" {
		t.Errorf("the newer pack's extra clock: %+v, want uk-gdpr-art33 only under 2026.1", o)
	}
	if o := obs["gdpr-art33"]; o.Pack != "2025.1" || o.UnderPack == nil || o.UnderPack.Pack != "2026.1" || o.UnderPack.Absent {
		t.Errorf("gdpr-art33 beside the newer pack: %+v", o)
	}
	c.json(&v, "deadlines", "--as-of", "2025-03-09T00:00:00Z", "--pack", "2026.1")
	if ids := regIDs(v); !slices.Equal(ids, []string{"gdpr-art33", "uk-gdpr-art33"}) {
		t.Errorf("--pack 2026.1: %v", ids)
	}
	c.ok("lee", "pack", inc, "2026.1", "--reason", "adopt the multi-regime pack", "--at", "2025-03-08T10:00:00Z")
	c.json(&v, "deadlines", "--as-of", "2025-03-09T00:00:00Z")
	if ids := regIDs(v); !slices.Equal(ids, []string{"gdpr-art33", "uk-gdpr-art33"}) {
		t.Errorf("after adopting 2026.1: %v", ids)
	}
	if r := c.run("auditor", "packs", "2025.1"); r.code != 0 || !strings.Contains(r.stdout, "gdpr-art33") || strings.Contains(r.stdout, "nis2") {
		t.Errorf("packs 2025.1: exit %d\n%s", r.code, r.stdout)
	}
	if r := c.run("auditor", "packs"); r.code != 0 || !strings.Contains(r.stdout, "[VERIFY]") || !strings.Contains(r.stdout, "dora-initial") {
		t.Errorf("packs: exit %d\n%s", r.code, r.stdout)
	}
	// An unknown pack is a word this binary does not know: a usage error
	// listing the packs it ships (issue 14), as --pack is.
	if r := c.run("auditor", "packs", "1999.1"); r.code != 2 || !strings.Contains(r.stderr, `"1999.1": unknown rule pack (allowed: 2025.1, 2026.1, 2026.2)`) {
		t.Errorf("packs 1999.1: exit %d, want 2\n%s", r.code, r.stderr)
	}
}
