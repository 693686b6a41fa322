package projections_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
)

// TestListTextNewestFirstAndCut: the text list is newest detection first,
// with lines cut to the width asked ("…" where cut), whole with width 0.
func TestListTextNewestFirstAndCut(t *testing.T) {
	long := strings.Repeat("exfiltration of tenant blobs ", 8)
	l := projections.IncidentList{
		AsOf: at("2025-04-01T00:00:00Z").Add(123456789 * time.Nanosecond),
		Incidents: []projections.ListEntry{ // the list's own order: by ID
			{ID: "AAAA", Summary: "oldest", DetectedAt: at("2025-03-01T00:00:00Z"), Stage: domain.StageDetect},
			{ID: "BBBB", Summary: long, DetectedAt: at("2025-03-20T00:00:00Z"), Stage: domain.StageDetect},
			{ID: "CCCC", Summary: "middle", DetectedAt: at("2025-03-10T00:00:00Z"), Stage: domain.StageDetect},
		},
	}
	var whole bytes.Buffer
	if err := projections.WriteList(&whole, l); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(whole.String(), "\n"), "\n")
	var got []string
	for _, line := range lines[1:] {
		got = append(got, strings.Fields(line)[0])
	}
	if want := []string{"BBBB", "CCCC", "AAAA"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("text list order = %v, want newest detection first %v", got, want)
	}
	if !strings.Contains(whole.String(), strings.TrimSpace(long)) {
		t.Errorf("width 0 cut a summary:\n%s", whole.String())
	}

	var cut bytes.Buffer
	if err := projections.WriteListWidth(&cut, l, 120); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(cut.String(), "\n"), "\n") {
		if n := len([]rune(line)); n > 120 {
			t.Errorf("line of %d columns, want at most 120: %q", n, line)
		}
	}
	if !strings.Contains(cut.String(), "exfiltration of tenant blobs exfiltrat…\n") || !strings.Contains(cut.String(), "oldest") {
		t.Errorf("width 120: the long summary is not cut with … or a short one is lost:\n%s", cut.String())
	}
	// Columns too wide for the terminal still leave the summary 24 columns.
	var narrow bytes.Buffer
	if err := projections.WriteListWidth(&narrow, l, 40); err != nil {
		t.Fatal(err)
	}
	if want := "  exfiltration of tenant…\n"; !strings.Contains(narrow.String(), want) {
		t.Errorf("width 40: want the summary cut to 24 columns (%q):\n%s", want, narrow.String())
	}
}

// TestObligationTextFinishedAndLocal: a met deadline says when it was met,
// not how long ago it was due; times are to the second; DUE (LOCAL) is
// shown only when a row is due in another zone.
func TestObligationTextFinishedAndLocal(t *testing.T) {
	asOf := at("2025-04-01T00:00:00Z").Add(987654321 * time.Nanosecond)
	met := domain.Obligation{ID: "gdpr-art33", Citation: "GDPR Art. 33(1)", DueAt: at("2025-03-10T22:15:00Z"), Status: domain.StatusMet, MetAt: at("2025-03-10T20:00:00Z")}
	open := domain.Obligation{ID: "sec-8k", Citation: "SEC 8-K 1.05", DueAt: at("2025-04-02T00:00:00Z"), Status: domain.StatusPending}
	write := func(obs ...domain.Obligation) string {
		var rows []projections.DeadlineRow
		for _, o := range obs {
			rows = append(rows, projections.DeadlineRow{Incident: "A", Obligation: o})
		}
		var b bytes.Buffer
		if err := projections.WriteDeadlines(&b, projections.DeadlineView{AsOf: asOf, KnownAt: asOf, Deadlines: rows}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	out := write(met, open)
	for _, want := range []string{"Deadlines as of 2025-04-01T00:00:00Z (known at 2025-04-01T00:00:00Z)", "met 2025-03-10T20:00:00Z", "in 1d"} {
		if !strings.Contains(out, want) {
			t.Errorf("deadlines text lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"ago", ".987", "DUE (LOCAL)"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("deadlines text has %q:\n%s", unwanted, out)
		}
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	open.TimeZone, open.DueLocal = "America/New_York", open.DueAt.In(ny)
	if out := write(met, open); !strings.Contains(out, "DUE (LOCAL)") || !strings.Contains(out, "2025-04-01T20:00:00-04:00 America/New_York") {
		t.Errorf("a row due in New York, but no DUE (LOCAL) column:\n%s", out)
	}
}
