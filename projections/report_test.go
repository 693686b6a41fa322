package projections_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/projections"
)

var testProvenance = history.Provenance{Origin: "breachledger/t/0", TreeSize: 14, Root: "cm9vdA==", RootHex: "726f6f74", Signed: true, Recomputed: true, Note: "breachledger/t/0\n14\ncm9vdA==\n\n— breachledger/t/0 c2ln\n"}

// The report of incident A of build(), worked out by hand.
func TestReportByHand(t *testing.T) {
	h := build(t)
	cut := domain.Cut{AsOf: at("2025-03-12T12:00:00Z"), KnownAt: at("2025-04-01T00:00:00Z")}
	r, ok := projections.BuildReport(h.LedgerAt(cut), "A", h.Incidents["A"], cut, testProvenance, "md")
	if !ok {
		t.Fatal("A not visible")
	}
	// Stages: Detect 21:40 → Assess 22:30 (50m) → Diagnose 03-08T01:00
	// (2h30m), still there at the as-of time (4d11h).
	var stages []string
	for _, s := range r.Stages {
		stages = append(stages, fmt.Sprintf("%s %s %v", s.Stage, s.Duration, s.Ongoing))
	}
	if got := strings.Join(stages, ", "); got != "detect 50m false, assess 2h30m false, diagnose 4d11h true" {
		t.Errorf("stages = %s", got)
	}
	// Declared 2025-03-09T10:00Z; contoso notified 2025-03-12T11:00Z: 3d1h;
	// fabrikam not yet, so no "every customer" milestone.
	var ms []string
	for _, m := range r.Milestones {
		ms = append(ms, m.Name+" "+m.Duration)
	}
	if got := strings.Join(ms, "; "); got != "detection to awareness 35m; detection to CRSPI declaration 1d12h20m; awareness to CRSPI declaration 1d11h45m; declaration to first customer notice 3d1h" {
		t.Errorf("milestones = %s", got)
	}
	late := map[string]string{}
	for _, o := range r.Obligations {
		late[o.ID] = string(o.Status) + " " + o.Late
	}
	if late["customer-notice/contoso"] != "met-late 1h late" || late["customer-notice/fabrikam"] != "overdue 2h overdue" {
		t.Errorf("obligations = %v", late)
	}
	// Contoso's notice was late and carries its reason.
	if n := r.Notices[0]; n.Verdict != projections.VerdictComplete || len(n.Checks) != 1 || n.Checks[0].Status != projections.ContentCarried || n.Checks[0].Detail != "late" {
		t.Errorf("contoso's notice: %+v", n)
	}
	if !strings.HasSuffix(r.Reproduce, "--as-of 2025-03-12T12:00:00Z --known-at 2025-04-01T00:00:00Z --checkpoint 14") {
		t.Errorf("reproduce = %s", r.Reproduce)
	}
}

// Every format renders the same bytes twice; the HTML is self-contained;
// the CSV is one table.
func TestReportFormats(t *testing.T) {
	cut := domain.Cut{AsOf: at("2025-03-12T12:00:00Z"), KnownAt: at("2025-04-01T00:00:00Z")}
	render := func(format string) []byte {
		h := build(t)
		r, _ := projections.BuildReport(h.LedgerAt(cut), "A", h.Incidents["A"], cut, testProvenance, format)
		var b bytes.Buffer
		if err := projections.WriteReport(&b, r, format); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, f := range projections.ReportFormats {
		first := render(f)
		if !bytes.Equal(first, render(f)) {
			t.Errorf("%s: two renders differ", f)
		}
		switch f {
		case "html":
			page := string(first)
			for _, bad := range []string{"<script", "<link", "src=", "@import", "url("} {
				if strings.Contains(page, bad) {
					t.Errorf("the HTML report has %q: not self-contained", bad)
				}
			}
			if strings.Count(page, "http") != strings.Count(page, `xmlns="http://www.w3.org/2000/svg"`) {
				t.Errorf("the HTML report names an address other than the SVG namespace")
			}
			for _, want := range []string{"@media print", "@page", "<svg", `class="ev `, `class="due st-overdue"`, "cm9vdA=="} {
				if !strings.Contains(page, want) {
					t.Errorf("the HTML report has no %q", want)
				}
			}
		case "csv":
			rows, err := csv.NewReader(bytes.NewReader(first)).ReadAll()
			if err != nil || len(rows) < 10 || rows[0][0] != "section" {
				t.Errorf("CSV: %d rows, %v", len(rows), err)
			}
		case "json":
			var v map[string]any
			if err := json.Unmarshal(first, &v); err != nil {
				t.Error(err)
			}
		case "md":
			if !regexp.MustCompile(`(?m)^## Integrity$`).Match(first) {
				t.Errorf("the Markdown report has no integrity section")
			}
		}
	}
	if err := projections.WriteReport(&bytes.Buffer{}, projections.IncidentReport{}, "pdf"); err == nil {
		t.Errorf("an unknown format was accepted")
	}
}

func TestStats(t *testing.T) {
	h := func(n int) time.Duration { return time.Duration(n) * time.Hour }
	tests := []struct {
		in          []time.Duration
		median, p90 string
	}{
		{nil, "", ""},
		{[]time.Duration{h(5)}, "5h", "5h"},
		{[]time.Duration{h(30), h(10)}, "20h", "1d6h"},
		{[]time.Duration{h(3), h(1), h(2)}, "2h", "3h"},
		// ten values 1..10 h: median 5h30m, p90 the 9th (nearest rank).
		{[]time.Duration{h(10), h(9), h(8), h(7), h(6), h(5), h(4), h(3), h(2), h(1)}, "5h30m", "9h"},
		// eleven values: p90 is the ceil(9.9) = 10th.
		{[]time.Duration{h(1), h(2), h(3), h(4), h(5), h(6), h(7), h(8), h(9), h(10), h(11)}, "6h", "10h"},
	}
	for _, tt := range tests {
		s := projections.Stats(tt.in)
		if s.N != len(tt.in) || s.Median != tt.median || s.P90 != tt.p90 {
			t.Errorf("Stats(%v) = %+v, want median %s, p90 %s", tt.in, s, tt.median, tt.p90)
		}
	}
}

// The register holds A (a privacy breach) and not B (a false positive that
// never involved personal data); the period report counts both, with
// contoso's notice late and fabrikam's and the Art. 33 notice overdue.
func TestRegisterAndPeriod(t *testing.T) {
	h := build(t)
	cut := domain.Cut{AsOf: at("2025-04-01T00:00:00Z")}
	reg := projections.BuildRegister(h, cut, testProvenance, "csv")
	if len(reg.Entries) != 1 || reg.Entries[0].Incident != "A" || reg.Entries[0].Notified != "customers" {
		t.Fatalf("register = %+v", reg.Entries)
	}
	for _, f := range projections.RegisterFormats {
		var b bytes.Buffer
		if err := projections.WriteRegister(&b, reg, f); err != nil || b.Len() == 0 {
			t.Errorf("register as %s: %v", f, err)
		}
	}
	p := projections.BuildPeriodReport(h, at("2025-03-01T00:00:00Z"), at("2025-04-01T00:00:00Z"), cut, testProvenance, "md")
	if p.Incidents != 2 || p.DetectionToDeclaration.N != 1 || len(p.LateNotices) != 1 || len(p.Overdue) != 2 {
		t.Errorf("period: %d incidents, %+v, %d late, %d overdue", p.Incidents, p.DetectionToDeclaration, len(p.LateNotices), len(p.Overdue))
	}
	// Detected in [from, to): B (2025-03-08T08:00Z) is out of [03-08T09:00, ...).
	if p := projections.BuildPeriodReport(h, at("2025-03-08T09:00:00Z"), at("2025-04-01T00:00:00Z"), cut, testProvenance, "md"); p.Incidents != 0 {
		t.Errorf("incidents detected from 03-08T09:00Z = %d, want 0", p.Incidents)
	}
}

// A corrected classification shows in the history beside what it
// corrected; a hold shows with who recorded (approved) it; the register
// names Brazil's and Canada's record duties when people there are affected.
func TestReportCorrectionsHoldsAndRecords(t *testing.T) {
	h := build(t)
	facts := h.Incidents["A"]
	var classified domain.Fact
	for _, f := range facts {
		if _, ok := f.Event.(domain.IncidentClassified); ok {
			classified = f
		}
	}
	seq := uint64(100)
	add := func(when, actor string, e domain.Event) {
		typ, _, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		h.Add(domain.Fact{ID: fmt.Sprintf("ev-%03d", seq), Sequence: seq, Stream: domain.IncidentStream("A"), Revision: seq, Type: typ, At: at(when), Actor: actor,
			RecordedAt: at(when).Add(time.Minute), Event: e})
		seq++
	}
	add("2025-03-09T12:00:00Z", "sam", domain.EventCorrected{Target: classified.ID, TargetType: "IncidentClassified", At: classified.At,
		Replacement: domain.IncidentClassified{Classification: domain.ClassPrivacyBreach, Reason: "contact data of end users"}, Changed: []string{"reason"}, Reason: "the reason was left out"})
	add("2025-03-10T09:00:00Z", "lee", domain.HoldRecorded{Hold: "H1", Kind: domain.HoldLawEnforcement, Basis: "notice would impede the investigation", Authority: "BKA", Written: true, Until: at("2025-03-20T00:00:00Z")})
	add("2025-03-10T10:00:00Z", "sam", domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam"}, Jurisdictions: []string{"BR", "CA-QC"}})
	cut := domain.Cut{AsOf: at("2025-04-01T00:00:00Z")}
	r, _ := projections.BuildReport(h.LedgerAt(cut), "A", h.Incidents["A"], cut, testProvenance, "md")
	c := r.Classifications[0]
	if c.Correction == nil || c.Detail != "contact data of end users" || c.Correction.Reason != "the reason was left out" || c.Correction.Original != "privacy-breach" || c.Correction.Actor != "sam" {
		t.Errorf("corrected classification = %+v / %+v", c, c.Correction)
	}
	if len(r.Corrections) != 1 || r.Corrections[0].Before != "privacy-breach" || r.Corrections[0].After != "privacy-breach — contact data of end users" {
		t.Errorf("corrections = %+v", r.Corrections)
	}
	if len(r.Holds) != 1 || r.Holds[0].ApprovedBy != "lee" || r.Holds[0].Authority != "BKA" || !r.Holds[0].Written {
		t.Errorf("holds = %+v", r.Holds)
	}
	var b bytes.Buffer
	if err := projections.WriteReport(&b, r, "md"); err != nil || !strings.Contains(b.String(), "corrected by sam") || !strings.Contains(b.String(), "| H1 | law-enforcement (written) | BKA |") {
		t.Errorf("the Markdown report does not show the correction or the hold (%v)", err)
	}
	reg := projections.BuildRegister(h, cut, testProvenance, "json")
	if got := strings.Join(reg.Entries[0].RecordsFor, "; "); !strings.Contains(got, "Res. CD/ANPD 15/2024 Art. 10") || !strings.Contains(got, "PIPEDA s. 10.3") || strings.Contains(got, "GDPR") {
		t.Errorf("records for = %s", got)
	}
}
