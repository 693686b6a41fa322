package main_test

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

const breachRegister = "../../testdata/scenarios/breach-register"

// recorded is a scenario recorded into a fresh ledger.
type recorded struct {
	c         *cli
	dir       string
	incidents []string // in the order the scenario prints them
	log       []logEntry
	knownAt   string // one second after the last event was recorded: what every report is known at
}

// record runs a scenario directory's script into a fresh ledger; the script
// prints the incident IDs last (one, or several one per line).
func record(t *testing.T, dir string, n int) *recorded {
	t.Helper()
	c := newLedger(t)
	cmd := exec.Command("bash", filepath.Join(dir, "scenario.sh"))
	cmd.Env = scenarioEnv(c)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scenario %s: %v\n%s", dir, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	r := &recorded{c: c, dir: dir, incidents: lines[len(lines)-n:]}
	c.json(&r.log, "log")
	last := r.log[len(r.log)-1].RecordedAt
	r.knownAt = last.Add(time.Second).UTC().Format(time.RFC3339Nano)
	return r
}

// placeholders replaces what differs run to run in a report: incident IDs
// (by their letter), event IDs (by their sequence), the times the store
// recorded, the known-at time, the Merkle root, the checkpoint's
// signature and the fingerprints of the people's keys. It replaces them in
// the forms HTML escapes them to as well, and a root a CSV cell begins
// with ' (a base64 root may start with + or -).
func (r *recorded) placeholders(t *testing.T, out []byte, root, rootHex, signature string) []byte {
	t.Helper()
	s := keyPlaceholders(string(out))
	type pair struct{ from, to string }
	var pairs []pair
	for i, id := range r.incidents {
		pairs = append(pairs, pair{id, fmt.Sprintf("<INCIDENT-%c>", 'A'+i)})
	}
	if root != "" {
		pairs = append(pairs, pair{root, "<ROOT>"}, pair{rootHex, "<ROOT-HEX>"}, pair{signature, "<SIGNATURE>"})
		if strings.ContainsAny(root[:1], "=+-@") { // a CSV cell neutralises it with a leading '
			pairs = append(pairs, pair{"'" + root, "<ROOT>"})
		}
	}
	pairs = append(pairs, pair{r.knownAt, "<KNOWN-AT>"})
	seen := map[string]bool{}
	for _, e := range r.log {
		rt := e.RecordedAt.UTC().Format(time.RFC3339Nano)
		if !seen[rt] {
			seen[rt] = true
			pairs = append(pairs, pair{rt, fmt.Sprintf("<RECORDED-%d>", e.Seq)})
		}
	}
	// Longer first, so no replacement eats part of another.
	sort.SliceStable(pairs, func(i, j int) bool { return len(pairs[i].from) > len(pairs[j].from) })
	for _, p := range pairs {
		if p.from == "" {
			continue
		}
		s = strings.ReplaceAll(s, p.from, p.to)
		s = strings.ReplaceAll(s, strings.ReplaceAll(p.from, "+", "&#43;"), p.to)
	}
	seqOf := map[string]uint64{}
	for _, e := range r.log {
		seqOf[e.EventID] = e.Seq
	}
	s = uuidRE.ReplaceAllStringFunc(s, func(id string) string {
		if seq, ok := seqOf[id]; ok {
			return fmt.Sprintf("<EVENT-%d>", seq)
		}
		return "<UNKNOWN-EVENT>"
	})
	return []byte(recordedLatePlaceholders(s)) // recordedlate_e2e_test.go
}

// integrityOf returns the root, hex root and checkpoint signature a JSON
// report names.
func integrityOf(t *testing.T, report []byte) (root, rootHex, signature string, size uint64) {
	t.Helper()
	var r struct {
		Integrity struct {
			Root     string `json:"root"`
			RootHex  string `json:"root_hex"`
			Note     string `json:"checkpoint"`
			TreeSize uint64 `json:"tree_size"`
		} `json:"integrity"`
	}
	if err := json.Unmarshal(report, &r); err != nil {
		t.Fatalf("%v\n%s", err, report)
	}
	lines := strings.Split(strings.TrimSpace(r.Integrity.Note), "\n")
	fields := strings.Fields(lines[len(lines)-1])
	return r.Integrity.Root, r.Integrity.RootHex, fields[len(fields)-1], r.Integrity.TreeSize
}

// read runs a reader that must succeed twice and checks both runs give the
// same bytes.
func (r *recorded) read(t *testing.T, args ...string) []byte {
	t.Helper()
	first := r.c.ok("auditor", args...)
	if again := r.c.ok("auditor", args...); again != first {
		t.Errorf("breachledger %s: two runs differ", strings.Join(args, " "))
	}
	return []byte(first)
}

// TestReportsGolden: every report, the register and the period report of
// the scenarios match their golden files (after placeholders), byte for
// byte, run after run; and values worked out by hand.
func TestReportsGolden(t *testing.T) {
	type read struct {
		golden string
		args   []string
	}
	scenarios := []struct {
		dir   string
		n     int
		asOf  string
		reads func(r *recorded) []read
		check func(t *testing.T, r *recorded)
	}{
		{
			dir: scenario, n: 1, asOf: "2025-04-01T00:00:00Z",
			reads: func(r *recorded) []read {
				var out []read
				for _, f := range []string{"md", "html", "json", "csv"} {
					out = append(out, read{"report." + f, []string{"report", "--incident", r.incidents[0], "--format", f}})
				}
				out = append(out, read{"report-2025-03-12T12.md", []string{"report", "--incident", r.incidents[0], "--as-of", "2025-03-12T12:00:00Z"}})
				for _, f := range []string{"csv", "json", "html"} {
					out = append(out, read{"register." + f, []string{"register", "--format", f}})
				}
				return out
			},
			check: checkPrivacyBreachReport,
		},
		{
			dir: multiRegime, n: 1, asOf: "2025-11-30T00:00:00Z",
			reads: func(r *recorded) []read {
				var out []read
				for _, f := range []string{"md", "html", "json", "csv"} {
					out = append(out, read{"report." + f, []string{"report", "--incident", r.incidents[0], "--format", f}})
				}
				return append(out, read{"register.csv", []string{"register"}})
			},
			check: checkMultiRegimeReport,
		},
		{
			dir: breachRegister, n: 5, asOf: "2025-04-01T00:00:00Z",
			reads: func(r *recorded) []read {
				out := []read{
					{"report-A.md", []string{"report", "--incident", r.incidents[0]}},
					{"report-B.md", []string{"report", "--incident", r.incidents[1]}},
					{"report-E.json", []string{"report", "--incident", r.incidents[4], "--format", "json"}},
				}
				for _, f := range []string{"csv", "json", "html", "md"} {
					out = append(out, read{"register." + f, []string{"register", "--format", f}})
				}
				for _, f := range []string{"md", "html", "json", "csv"} {
					out = append(out, read{"period." + f, []string{"report", "--from", "2025-01-01T00:00:00Z", "--to", "2025-04-01T00:00:00Z", "--format", f}})
				}
				return out
			},
			check: checkRegisterScenario,
		},
	}
	for _, sc := range scenarios {
		t.Run(filepath.Base(sc.dir), func(t *testing.T) {
			r := record(t, sc.dir, sc.n)
			cut := []string{"--as-of", sc.asOf, "--known-at", r.knownAt}
			rep := r.read(t, append([]string{"report", "--incident", r.incidents[0], "--format", "json"}, cut...)...)
			root, rootHex, sig, size := integrityOf(t, rep)
			if size != uint64(len(r.log)) {
				t.Errorf("the report was built from %d events, the ledger has %d", size, len(r.log))
			}
			// The root is the one verify recomputes from the ledger.
			if v := r.c.ok("auditor", "verify"); !strings.Contains(v, "root "+root) {
				t.Errorf("verify does not give the report's root %s:\n%s", root, v)
			}
			for _, rd := range sc.reads(r) {
				t.Run(rd.golden, func(t *testing.T) {
					args := rd.args
					if !containsFlag(args, "--as-of") {
						args = append(args, "--as-of", sc.asOf)
					}
					args = append(args, "--known-at", r.knownAt)
					out := r.read(t, args...)
					goldenIn(t, sc.dir, rd.golden, r.placeholders(t, out, root, rootHex, sig))
				})
			}
			sc.check(t, r)
		})
	}
}

func containsFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag {
			return true
		}
	}
	return false
}

// report decodes a JSON report.
type jsonReport struct {
	Stages []struct {
		Stage    string `json:"stage"`
		Duration string `json:"duration"`
		Seconds  int64  `json:"seconds"`
	} `json:"stages"`
	Milestones []struct {
		Name     string `json:"name"`
		Duration string `json:"duration"`
	} `json:"milestones"`
	Obligations []struct {
		ID     string    `json:"obligation"`
		Status string    `json:"status"`
		DueAt  time.Time `json:"due_at"`
		Late   string    `json:"late"`
		Notice *struct {
			At time.Time `json:"at"`
		} `json:"notice"`
	} `json:"obligations"`
	Notices []struct {
		To      string `json:"to"`
		Phase   string `json:"phase"`
		Verdict string `json:"verdict"`
		Checks  []struct {
			Item, Status string
		} `json:"checks"`
	} `json:"notices"`
	Exceptions []struct {
		Request string `json:"request"`
		Status  string `json:"status"`
		Check   string `json:"check"`
	} `json:"exceptions"`
	Corrections []struct {
		Changed []string `json:"changed"`
		Before  string   `json:"before"`
		After   string   `json:"after"`
	} `json:"corrections"`
	Events    []json.RawMessage `json:"events"`
	Integrity struct {
		TreeSize uint64 `json:"tree_size"`
	} `json:"integrity"`
}

func (r *recorded) report(t *testing.T, incident, asOf string) jsonReport {
	t.Helper()
	var rep jsonReport
	if err := json.Unmarshal([]byte(r.c.ok("auditor", "report", "--incident", incident, "--format", "json", "--as-of", asOf)), &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

func checkPrivacyBreachReport(t *testing.T, r *recorded) {
	rep := r.report(t, r.incidents[0], "2025-04-01T00:00:00Z")
	// Diagnose from 2025-03-08T01:00Z to Stabilize at 2025-03-10T08:00Z: 55 h.
	for _, s := range rep.Stages {
		if s.Stage == "diagnose" && (s.Seconds != 55*3600 || s.Duration != "2d7h") {
			t.Errorf("diagnose lasted %s (%ds), want 2d7h", s.Duration, s.Seconds)
		}
	}
	// Declared 2025-03-09T10:00Z, contoso told 2025-03-12T11:00Z: 3d1h.
	if m := milestone(rep, "declaration to first customer notice"); m != "3d1h" {
		t.Errorf("declaration to first customer notice = %q, want 3d1h", m)
	}
	for _, o := range rep.Obligations {
		if o.ID == "customer-notice/fabrikam" && (o.Status != "met-late" || o.Late != "3h30m late" || o.Notice == nil || !o.Notice.At.Equal(mustTime(t, "2025-03-12T13:30:00Z"))) {
			t.Errorf("fabrikam's notice: %+v, want met-late 3h30m late by the notice of 2025-03-12T13:30Z", o)
		}
	}
	// The CNIL notice carried all four Art. 33(3) items; the data-subject
	// notice's content is not in the ledger.
	verdicts := map[string]string{}
	for _, n := range rep.Notices {
		verdicts[n.To+"/"+n.Phase] = n.Verdict
	}
	if verdicts["supervisory-authority/initial"] != "complete" || verdicts["data-subjects/initial"] != "not checked" {
		t.Errorf("notice verdicts = %v", verdicts)
	}
	// R2 was approved by legal and rejected by the executive incident manager.
	if len(rep.Exceptions) != 2 || rep.Exceptions[1].Status != "rejected" || !strings.Contains(rep.Exceptions[1].Check, "rejected as executive-incident-manager by eve") {
		t.Errorf("exceptions = %+v", rep.Exceptions)
	}
	// The awareness correction is shown with what it replaced.
	if len(rep.Corrections) != 1 || !strings.Contains(rep.Corrections[0].Before, "aware 2025-03-07T23:30:00Z") || !strings.Contains(rep.Corrections[0].After, "aware 2025-03-07T22:15:00Z") {
		t.Errorf("corrections = %+v", rep.Corrections)
	}
	// A report pinned to a checkpoint is the same after the ledger grew.
	args := []string{"report", "--incident", r.incidents[0], "--as-of", "2025-04-01T00:00:00Z", "--known-at", r.knownAt}
	pinned := r.c.ok("auditor", append(args, "--checkpoint", fmt.Sprint(len(r.log)))...)
	r.c.ok("ian", "note", r.incidents[0], "a note after the report", "--at", "2025-03-30T00:00:00Z")
	if again := r.c.ok("auditor", append(args, "--checkpoint", fmt.Sprint(len(r.log)))...); again != pinned {
		t.Errorf("a report pinned to the checkpoint of %d events changed when the ledger grew", len(r.log))
	}
	if later := r.c.ok("auditor", args...); later == pinned || !strings.Contains(later, fmt.Sprintf("checkpoint of %d events", len(r.log)+1)) {
		t.Errorf("the newest checkpoint's report does not name the new checkpoint")
	}
	if res := r.c.run("auditor", append(args, "--checkpoint", "7777")...); res.code != 3 {
		t.Errorf("a checkpoint that was never stored: exit %d, want 3", res.code)
	}
}

func milestone(rep jsonReport, name string) string {
	for _, m := range rep.Milestones {
		if m.Name == name {
			return m.Duration
		}
	}
	return ""
}

func checkMultiRegimeReport(t *testing.T, r *recorded) {
	rep := r.report(t, r.incidents[0], "2025-11-30T00:00:00Z")
	// France's Art. 33 notice went out 2025-10-06T09:00Z with the reason;
	// due 72 h after the corrected awareness (2025-10-02T04:30Z), that is
	// 2025-10-05T04:30Z: 28h30m late.
	for _, o := range rep.Obligations {
		if o.ID == "gdpr-art33/FR" && (o.Status != "met-late" || o.Late != "1d4h30m late" || !o.DueAt.Equal(mustTime(t, "2025-10-05T04:30:00Z"))) {
			t.Errorf("gdpr-art33/FR = %+v, want met-late 1d4h30m late", o)
		}
	}
	// Both authority notices carried the four items; the French one, late,
	// also carries the reasons for the delay (Art. 33(1)).
	for _, n := range rep.Notices {
		if n.To != "supervisory-authority" {
			continue
		}
		if n.Verdict != "complete" {
			t.Errorf("authority notice verdict %q, want complete: %+v", n.Verdict, n.Checks)
		}
	}
}

func checkRegisterScenario(t *testing.T, r *recorded) {
	var reg struct {
		Entries []struct {
			Incident  string   `json:"incident"`
			Status    string   `json:"status"`
			Notified  string   `json:"notified"`
			Reasoning []string `json:"reasoning"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(r.c.ok("auditor", "register", "--format", "json", "--as-of", "2025-04-01T00:00:00Z")), &reg); err != nil {
		t.Fatal(err)
	}
	// A, B, C and E: D held no personal data and was not declared.
	var got []string
	for _, e := range reg.Entries {
		got = append(got, e.Incident)
	}
	want := []string{r.incidents[0], r.incidents[1], r.incidents[2], r.incidents[4]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("register lists %v, want A, B, C, E: %v", got, want)
	}
	b := reg.Entries[1]
	if b.Notified != "not notified" || !strings.Contains(strings.Join(b.Reasoning, "\n"), "GDPR risk level unlikely") || !strings.Contains(strings.Join(b.Reasoning, "\n"), "not notified: breach determined unlikely to result in a risk") {
		t.Errorf("B (encrypted laptop): %+v", b)
	}
	if c := reg.Entries[2]; !strings.HasPrefix(c.Status, "not a breach: false-positive") {
		t.Errorf("C: status %q", c.Status)
	}
	// The register as CSV: one row per entry, as many cells as the header.
	rows, err := csv.NewReader(strings.NewReader(r.c.ok("auditor", "register", "--as-of", "2025-04-01T00:00:00Z"))).ReadAll()
	if err != nil || len(rows) != 5 || rows[0][0] != "incident" {
		t.Errorf("register CSV: %d rows, %v", len(rows), err)
	}

	var period struct {
		Incidents        int `json:"incidents"`
		ByClassification []struct {
			Key   string
			Count int
		} `json:"by_classification"`
		DetectionToDeclaration struct {
			N             int
			Median, P90   string
			MedianSeconds int64 `json:"median_seconds"`
		} `json:"detection_to_declaration"`
		DeclarationToNotice struct {
			N           int
			Median, P90 string
		} `json:"declaration_to_notice"`
		OnTime []struct { // Wvd: the waived count
			Rule                 string
			Total, Late, Overdue int
			Wvd                  int `json:"waived"`
			OnTime               int `json:"on_time"`
			Rate                 string
		} `json:"on_time"`
		LateNotices []struct {
			Obligation, Late, Reason string
		} `json:"late_notices"`
	}
	if err := json.Unmarshal([]byte(r.c.ok("auditor", "report", "--from", "2025-01-01T00:00:00Z", "--to", "2025-04-01T00:00:00Z", "--format", "json", "--as-of", "2025-04-01T00:00:00Z")), &period); err != nil {
		t.Fatal(err)
	}
	classes := map[string]int{}
	for _, c := range period.ByClassification {
		classes[c.Key] = c.Count
	}
	if period.Incidents != 5 || classes["privacy-breach"] != 3 || classes["false-positive"] != 1 || classes["security-incident"] != 1 {
		t.Errorf("period: %d incidents, by classification %v", period.Incidents, classes)
	}
	// Declared after 30 h (A) and 10 h (E): median 20 h, 90th percentile 30 h.
	if d := period.DetectionToDeclaration; d.N != 2 || d.Median != "20h" || d.P90 != "1d6h" || d.MedianSeconds != 20*3600 {
		t.Errorf("detection to declaration = %+v, want n 2, median 20h, p90 1d6h", d)
	}
	// First customer notice 43 h (A) and 16 h (E) after the declaration:
	// median 29h30m, 90th percentile 43 h.
	if d := period.DeclarationToNotice; d.N != 2 || d.Median != "1d5h30m" || d.P90 != "1d19h" {
		t.Errorf("declaration to notice = %+v, want n 2, median 1d5h30m, p90 1d19h", d)
	}
	rates := map[string]string{}
	for _, o := range period.OnTime {
		rates[o.Rule] = fmt.Sprintf("%d/%d/%d/%d %s", o.OnTime, o.Late, o.Overdue, o.Wvd, o.Rate)
	}
	// Customer notices: northwind and contoso-health on time, tailspin late.
	// Art. 33: A and E on time; B waived (unlikely to result in a risk), C
	// waived (a false positive). Art. 34: E waived (Art. 34(3)(a)).
	if rates["customer-notice"] != "2/1/0/0 66.7%" || rates["gdpr-art33"] != "2/0/0/2 100.0%" || rates["gdpr-art34"] != "0/0/0/1 -" {
		t.Errorf("on-time rates = %v", rates)
	}
	if len(period.LateNotices) != 1 || period.LateNotices[0].Obligation != "customer-notice/tailspin" || period.LateNotices[0].Late != "2h" ||
		!strings.Contains(period.LateNotices[0].Reason, "bounced") {
		t.Errorf("late notices = %+v", period.LateNotices)
	}
	// E's notice to the CNIL carried none of the Art. 33(3) items and
	// nothing followed it; A's carried two, and its supplementary notice
	// the other two.
	e := r.report(t, r.incidents[4], "2025-04-01T00:00:00Z")
	if e.Notices[0].To != "supervisory-authority" || e.Notices[0].Verdict != "incomplete" {
		t.Errorf("E's authority notice: %+v", e.Notices[0])
	}
	a := r.report(t, r.incidents[0], "2025-04-01T00:00:00Z")
	var aVerdicts []string
	for _, n := range a.Notices {
		if n.To == "supervisory-authority" {
			aVerdicts = append(aVerdicts, n.Phase+" "+n.Verdict)
		}
	}
	if fmt.Sprint(aVerdicts) != "[initial incomplete supplementary complete]" {
		t.Errorf("A's authority notices: %v", aVerdicts)
	}
}

// replayResult is replay --json.
type replayResult struct {
	Events      uint64 `json:"events"`
	Position    uint64 `json:"position"`
	Compared    bool   `json:"compared"`
	Same        bool   `json:"same"`
	Projections []struct {
		Projection string `json:"projection"`
		Rows       int    `json:"rows"`
		SHA256     string `json:"sha256"`
		Kept       *struct {
			SHA256 string `json:"sha256"`
			Same   bool   `json:"same"`
		} `json:"kept"`
	} `json:"projections"`
}

// TestReplay: replay gives the same digests run after run and on a copy of
// the ledger; the read models kept incrementally (caught up between
// commands, at different instants) give the digests replay does; one that
// was altered is reported and exits 6 until rebuilt.
func TestReplay(t *testing.T) {
	r := record(t, breachRegister, 5)
	// Keep the read models at several points of the history: catch up after
	// every few events by replaying then, and go on recording.
	r.c.ok("auditor", "replay")
	r.c.ok("ian", "note", r.incidents[3], "forensics continue", "--at", "2025-03-11T00:00:00Z")
	r.c.ok("ian", "scope", r.incidents[3], "--customer", "northwind", "--at", "2025-03-11T01:00:00Z")
	r.c.ok("ivy", "declare", r.incidents[3], "--basis", "legal-duty", "--reasoning", "contract with northwind", "--at", "2025-03-11T02:00:00Z")
	var log []logEntry
	r.c.json(&log, "log")
	knownAt := log[len(log)-1].RecordedAt.Add(time.Second).Format(time.RFC3339Nano)
	for _, asOf := range []string{"2025-02-05T00:00:00Z", "2025-03-12T00:00:00Z", "2025-04-01T00:00:00Z"} {
		args := []string{"replay", "--json", "--as-of", asOf, "--known-at", knownAt}
		out := r.c.ok("auditor", args...)
		if again := r.c.ok("auditor", args...); again != out {
			t.Errorf("replay as of %s: two runs differ", asOf)
		}
		var res replayResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		if !res.Compared || !res.Same || res.Events != uint64(len(log)) || res.Position != res.Events {
			t.Errorf("replay as of %s: %+v", asOf, res)
		}
		kept := 0
		for _, p := range res.Projections {
			if p.Kept != nil {
				kept++
				if p.Kept.SHA256 != p.SHA256 {
					t.Errorf("as of %s, %s: kept %s, replayed %s", asOf, p.Projection, p.Kept.SHA256, p.SHA256)
				}
			}
		}
		if kept != 3 || len(res.Projections) != 5 {
			t.Errorf("as of %s: %d projections, %d kept; want 5 and 3", asOf, len(res.Projections), kept)
		}
		// D is declared in the end: as of 2025-04-01 the register has five entries.
		if asOf == "2025-04-01T00:00:00Z" && res.Projections[2].Rows != 5 {
			t.Errorf("register rows = %d, want 5", res.Projections[2].Rows)
		}
	}
	// A copy of the ledger replays to the same digests.
	digests := func(ledger string) string {
		c := &cli{tb: t, ledger: ledger}
		var res replayResult
		if err := json.Unmarshal([]byte(c.ok("auditor", "replay", "--json", "--as-of", "2025-04-01T00:00:00Z", "--known-at", knownAt)), &res); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range res.Projections {
			out = append(out, p.SHA256)
		}
		return strings.Join(out, " ")
	}
	orig := digests(r.c.ledger)
	cp := filepath.Join(t.TempDir(), "copy.db")
	data, err := os.ReadFile(r.c.ledger)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := digests(cp); got != orig {
		t.Errorf("a copy of the ledger replays to other digests:\n%s\n%s", got, orig)
	}
	// Alter a kept row (in the cache file: keptcache_e2e_test.go): replay
	// says so and exits 6; --rebuild repairs it.
	db, err := sql.Open("sqlite", "file:"+keptFileOf(t, r.c.ledger)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	// A row keeps its chain key as columns, the rest (its JSON too) packed
	// in data (state 2: met-late).
	if res, err := db.Exec(`UPDATE rm_deadlines SET data = CAST(replace(CAST(data AS TEXT), '"status":"met-late"', '"status":"met"') AS BLOB) WHERE state = 2`); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n == 0 {
		t.Fatal("no met-late row to alter")
	}
	db.Close()
	res := r.c.run("auditor", "replay", "--as-of", "2025-04-01T00:00:00Z")
	if res.code != 6 || !strings.Contains(res.stdout, "DIFFERS") || !strings.Contains(res.stderr, "--rebuild") {
		t.Errorf("replay of an altered read model: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if out := r.c.ok("auditor", "replay", "--rebuild", "--as-of", "2025-04-01T00:00:00Z"); strings.Contains(out, "DIFFERS") || !strings.Contains(out, "rebuilt") {
		t.Errorf("replay --rebuild:\n%s", out)
	}
	if out := r.c.ok("auditor", "replay", "--as-of", "2025-04-01T00:00:00Z"); strings.Count(out, " same\n") != 3 {
		t.Errorf("after the rebuild:\n%s", out)
	}
	// The ledger itself still verifies: the read models never touch events.
	if out := r.c.ok("auditor", "verify"); !strings.Contains(out, "intact") {
		t.Errorf("verify after keeping read models:\n%s", out)
	}
}
