package projections_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/projections"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got; rerun with -update to accept):\n%s", name, diff)
	}
}

// lateRecorded returns a history of one incident, A: a declared privacy
// breach (controller and processor) of three customers, with awareness at
// 2025-03-07T22:15Z and the declaration at 2025-03-09T10:00Z, so
//
//   - gdpr-art33 is due 2025-03-10T22:15Z (72 h after awareness); the
//     notice to CNIL is dated 20:00 that day but was recorded only on
//     2025-03-14T00:15Z: 3 days 2 hours, 74 h, after due → "met", "74h";
//   - customer-notice/contoso is due 2025-03-12T10:00Z (72 h after the
//     declaration); its notice is dated 09:00 that day but recorded on
//     2025-03-20T12:30Z: 8 days 2 h 30 min after due; FormatDuration shows
//     days from 7 days up → "met", "8d2h30m";
//   - customer-notice/fabrikam, due the same, was sent late at 13:30 with
//     a reason and recorded a minute later: 3 h 31 min after due → "met-late",
//     "3h31m" (and 3h30m late);
//   - customer-notice/northwind, due the same, was sent 2025-03-11T12:00Z and
//     recorded a minute later, before the due time → "met", no mention.
func lateRecorded(t *testing.T) *history.History {
	t.Helper()
	h := history.New()
	seq := uint64(0)
	revs := map[string]uint64{}
	add := func(stream, when, recorded, actor string, e domain.Event) {
		typ, _, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		rec := at(when).Add(time.Minute)
		if recorded != "" {
			rec = at(recorded)
		}
		h.Add(domain.Fact{ID: fmt.Sprintf("ev-%02d", seq), Sequence: seq, Stream: stream, Revision: revs[stream], Type: typ, At: at(when), Actor: actor, RecordedAt: rec, Event: e})
		seq++
		revs[stream]++
	}
	a := domain.IncidentStream("A")
	add(domain.LedgerStream, "2025-01-01T00:00:00Z", "", "admin", domain.LedgerInitialized{Name: "t", Admin: "admin"})
	add(a, "2025-03-07T21:40:00Z", "", "oscar", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "bulk read", AwareAt: at("2025-03-07T22:15:00Z"), Role: domain.RoleBoth})
	add(a, "2025-03-07T21:40:00Z", "", "oscar", domain.PackPinned{Version: domain.CurrentPack().Version, Reason: "test"})
	add(a, "2025-03-07T22:30:00Z", "", "oscar", domain.StageChanged{From: domain.StageDetect, To: domain.StageAssess})
	add(a, "2025-03-07T22:30:00Z", "", "oscar", domain.IncidentAssessed{FunctionalImpact: domain.FunctionalMedium, Recoverability: domain.RecoverExtended, InformationImpact: domain.InfoPrivacy,
		DerivedSeverity: domain.SeverityHigh, DerivedPriority: domain.P1, Severity: domain.SeverityHigh, Priority: domain.P1})
	add(a, "2025-03-08T09:00:00Z", "", "sam", domain.IncidentClassified{Classification: domain.ClassPrivacyBreach})
	add(a, "2025-03-08T12:00:00Z", "", "sam", domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam", "northwind"}})
	add(a, "2025-03-09T10:00:00Z", "", "ivy", domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "logs"})
	add(a, "2025-03-11T12:00:00Z", "", "ian", domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Customer: "northwind", Recipient: "soc", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial})
	add(a, "2025-03-12T13:30:00Z", "", "ian", domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Customer: "fabrikam", Recipient: "admins", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial,
		DelayReason: "admin addresses had to be confirmed"})
	add(a, "2025-03-10T20:00:00Z", "2025-03-14T00:15:00Z", "ian", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "CNIL", Channel: domain.ChannelPortal, Phase: domain.PhaseInitial,
		Art33Items: []domain.Art33Item{domain.Art33Nature, domain.Art33Contact, domain.Art33Consequences, domain.Art33Measures}})
	add(a, "2025-03-12T09:00:00Z", "2025-03-20T12:30:00Z", "ian", domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Customer: "contoso", Recipient: "secops", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial})
	return h
}

// lateCut sees every fact: as of, and known at, 2025-04-01.
var lateCut = domain.Cut{AsOf: at("2025-04-01T00:00:00Z"), KnownAt: at("2025-04-01T00:00:00Z")}

// lateWant is what each obligation of lateRecorded must say, worked out by
// hand above.
var lateWant = map[string]struct {
	due, status, recordedLateBy, phrase string
}{
	"gdpr-art33":                {"2025-03-10T22:15:00Z", "met", "74h", "recorded 74h after due"},
	"customer-notice/contoso":   {"2025-03-12T10:00:00Z", "met", "8d2h30m", "recorded 8d2h30m after due"},
	"customer-notice/fabrikam":  {"2025-03-12T10:00:00Z", "met-late", "3h31m", "recorded 3h31m after due"},
	"customer-notice/northwind": {"2025-03-12T10:00:00Z", "met", "", ""},
}

// The obligations carry how late their notice was recorded, as worked out
// by hand; the status word stays met (or met-late).
func TestRecordedLateByHand(t *testing.T) {
	h := lateRecorded(t)
	v := projections.Deadlines(h, lateCut, projections.DeadlineFilter{})
	seen := map[string]bool{}
	for _, d := range v.Deadlines {
		w, ok := lateWant[d.ID]
		if !ok {
			continue
		}
		seen[d.ID] = true
		if got := stamp(d.DueAt); got != w.due || string(d.Status) != w.status || d.RecordedLateBy != w.recordedLateBy {
			t.Errorf("%s = due %s %s recorded late by %q; want due %s %s %q", d.ID, got, d.Status, d.RecordedLateBy, w.due, w.status, w.recordedLateBy)
		}
		if got := projections.RecordedLate(d.Obligation); got != w.phrase {
			t.Errorf("RecordedLate(%s) = %q, want %q", d.ID, got, w.phrase)
		}
		wantLabel := w.status
		if w.phrase != "" {
			wantLabel += " (" + w.phrase + ")"
		}
		if got := projections.StatusLabel(d.Obligation); got != wantLabel {
			t.Errorf("StatusLabel(%s) = %q, want %q", d.ID, got, wantLabel)
		}
	}
	if len(seen) != len(lateWant) {
		t.Errorf("saw %v, want every one of %d obligations", seen, len(lateWant))
	}

	// What the ledger knew on 2025-03-12T12:00Z: not the CNIL notice (it
	// was recorded on the 14th), so Art. 33 was overdue as then known.
	early := domain.Cut{AsOf: at("2025-03-12T12:00:00Z"), KnownAt: at("2025-03-12T12:00:00Z")}
	for _, d := range projections.Deadlines(h, early, projections.DeadlineFilter{}).Deadlines {
		if d.ID == "gdpr-art33" && (d.Status != domain.StatusOverdue || d.RecordedLateBy != "") {
			t.Errorf("gdpr-art33 as known at %s = %s %q, want overdue and no recorded-late", stamp(early.KnownAt), d.Status, d.RecordedLateBy)
		}
	}

	// The period report counts the two notices dated by their due time as
	// on time, and says that both were recorded after due; fabrikam's is late.
	p := projections.BuildPeriodReport(h, at("2025-03-01T00:00:00Z"), at("2025-04-01T00:00:00Z"), lateCut, testProvenance, "md")
	rates := map[string]projections.OnTimeRate{}
	for _, r := range p.OnTime {
		rates[r.Rule] = r
	}
	if r := rates["customer-notice"]; r.Total != 3 || r.OnTime != 2 || r.RecordedLate != 1 || r.Late != 1 || r.Rate != "66.7%" {
		t.Errorf("customer-notice rate = %+v; want 3 total, 2 on time (1 recorded after due), 1 late, 66.7%%", r)
	}
	if r := rates["gdpr-art33"]; r.Total != 1 || r.OnTime != 1 || r.RecordedLate != 1 || r.Rate != "100.0%" {
		t.Errorf("gdpr-art33 rate = %+v; want 1 on time, recorded after due, 100.0%%", r)
	}
	var listed []string
	for _, l := range p.RecordedLate {
		listed = append(listed, l.Obligation+" "+l.RecordedLateBy)
	}
	if got, want := strings.Join(listed, ", "), "gdpr-art33 74h, customer-notice/contoso 8d2h30m"; got != want {
		t.Errorf("recorded after due = %s, want %s", got, want)
	}
	if len(p.LateNotices) != 1 || p.LateNotices[0].Late != "3h30m" || p.LateNotices[0].RecordedLateBy != "3h31m" {
		t.Errorf("late notices = %+v; want fabrikam's, 3h30m late, recorded 3h31m after due", p.LateNotices)
	}

	// The register's duties carry it too.
	reg := projections.BuildRegister(h, lateCut, testProvenance, "json")
	if len(reg.Entries) != 1 {
		t.Fatalf("register has %d entries, want 1", len(reg.Entries))
	}
	for _, d := range reg.Entries[0].Obligations {
		if w, ok := lateWant[d.ID]; ok && d.RecordedLateBy != w.recordedLateBy {
			t.Errorf("register duty %s recorded late by %q, want %q", d.ID, d.RecordedLateBy, w.recordedLateBy)
		}
	}
}

// Every reader shows "recorded N after due" beside the status: golden
// files, and the hand-worked phrases in each.
func TestRecordedLateEveryReader(t *testing.T) {
	h := lateRecorded(t)
	render := func(write func(*bytes.Buffer) error) []byte {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	show, ok := projections.Show(h.LedgerAt(lateCut), "A", h.Incidents["A"], lateCut)
	if !ok {
		t.Fatal("A not visible")
	}
	deadlines := projections.Deadlines(h, lateCut, projections.DeadlineFilter{})
	from, to := at("2025-03-01T00:00:00Z"), at("2025-04-01T00:00:00Z")
	outputs := map[string][]byte{
		"deadlines.txt":  render(func(b *bytes.Buffer) error { return projections.WriteDeadlines(b, deadlines) }),
		"deadlines.json": render(func(b *bytes.Buffer) error { return projections.WriteJSON(b, deadlines) }),
		"show.txt":       render(func(b *bytes.Buffer) error { return projections.WriteIncident(b, show) }),
		"show.json":      render(func(b *bytes.Buffer) error { return projections.WriteJSON(b, show) }),
	}
	for _, f := range projections.ReportFormats {
		r, ok := projections.BuildReport(h.LedgerAt(lateCut), "A", h.Incidents["A"], lateCut, testProvenance, f)
		if !ok {
			t.Fatal("A not visible")
		}
		outputs["report."+f] = render(func(b *bytes.Buffer) error { return projections.WriteReport(b, r, f) })
		p := projections.BuildPeriodReport(h, from, to, lateCut, testProvenance, f)
		outputs["period."+f] = render(func(b *bytes.Buffer) error { return projections.WritePeriodReport(b, p, f) })
	}
	for _, f := range projections.RegisterFormats {
		reg := projections.BuildRegister(h, lateCut, testProvenance, f)
		outputs["register."+f] = render(func(b *bytes.Buffer) error { return projections.WriteRegister(b, reg, f) })
	}

	// The phrases each output must hold, worked out by hand (lateRecorded).
	text := []string{"recorded 74h after due", "recorded 8d2h30m after due", "recorded 3h31m after due"}
	labels := []string{"met (recorded 74h after due)", "met (recorded 8d2h30m after due)", "met-late (recorded 3h31m after due)"}
	jsonField := []string{`"recorded_late_by": "74h"`, `"recorded_late_by": "8d2h30m"`, `"recorded_late_by": "3h31m"`}
	want := map[string][]string{
		"deadlines.txt":  text,
		"show.txt":       text,
		"deadlines.json": jsonField,
		"show.json":      jsonField,
		"report.md":      labels,
		"report.html":    text,
		"report.csv":     text,
		"report.json":    jsonField,
		"register.md":    labels,
		"register.csv":   labels,
		"register.html":  text,
		"register.json":  jsonField,
		// The period report lists the on-time ones recorded after due, and
		// fabrikam's late notice with how late it was recorded.
		"period.md":   {"met (recorded 74h after due)", "met (recorded 8d2h30m after due)", "3h30m; recorded 3h31m after due", "| customer-notice | Processor commitment to customers | 3 | 2 | 1 | 1 |"},
		"period.html": text,
		"period.csv":  text,
		"period.json": {`"recorded_late_by": "74h"`, `"recorded_late_by": "8d2h30m"`, `"recorded_late_by": "3h31m"`, `"recorded_late": 1`},
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			for _, w := range want[name] {
				if !bytes.Contains(out, []byte(w)) {
					t.Errorf("%s has no %q", name, w)
				}
			}
			if strings.HasSuffix(name, ".json") && !json.Valid(out) {
				t.Errorf("%s is not JSON", name)
			}
			golden(t, filepath.Join("recorded-late", name), out)
		})
	}
	if len(outputs) != len(want) {
		t.Errorf("%d outputs, %d with phrases to check", len(outputs), len(want))
	}

	// In the aligned terminal tables the STATUS column keeps the status
	// word and the DETAIL column beside it starts with the phrase.
	for _, line := range strings.Split(string(outputs["deadlines.txt"]), "\n") {
		if strings.Contains(line, "gdpr-art33") && !regexp.MustCompile(`\smet\s+recorded 74h after due; 72h after awareness`).MatchString(line) {
			t.Errorf("deadlines row of gdpr-art33: %q", line)
		}
		if strings.Contains(line, "customer-notice/northwind") && strings.Contains(line, "after due") {
			t.Errorf("northwind's notice was recorded in time, yet: %q", line)
		}
	}
}

// stamp formats a time as the views do.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
