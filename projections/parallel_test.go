package projections_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/projections"
)

// The views fold incidents on every CPU; they must give the same bytes as
// one incident at a time would, in the same order (run with -race: the
// folds share the history and the calendars).
func TestParallelFoldsAreOrderedAndDeterministic(t *testing.T) {
	h := history.New()
	seq := uint64(0)
	add := func(stream, when string, e domain.Event) {
		typ, _, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		h.Add(domain.Fact{ID: fmt.Sprintf("ev-%04d", seq), Sequence: seq, Stream: stream, Type: typ, At: at(when), Actor: "oscar", RecordedAt: at(when), Event: e})
		seq++
	}
	add(domain.LedgerStream, "2025-01-01T00:00:00Z", domain.LedgerInitialized{Name: "t", Admin: "admin"})
	const n = 40
	for i := 0; i < n; i++ {
		s := domain.IncidentStream(fmt.Sprintf("I%02d", i))
		day := fmt.Sprintf("2025-03-%02d", 1+i%27)
		add(s, day+"T08:00:00Z", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: fmt.Sprintf("incident %d", i), AwareAt: at(day + "T08:00:00Z"), Role: domain.RoleBoth})
		add(s, day+"T09:00:00Z", domain.StageChanged{From: domain.StageDetect, To: domain.StageAssess})
		add(s, day+"T09:00:00Z", domain.IncidentAssessed{FunctionalImpact: domain.FunctionalLow, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoPrivacy, DerivedSeverity: domain.SeverityHigh, DerivedPriority: domain.P1, Severity: domain.SeverityHigh, Priority: domain.P1})
		add(s, day+"T10:00:00Z", domain.ScopeRecorded{Customers: []string{"contoso"}, Jurisdictions: []string{"DE", "FR", "US-CA"}})
	}
	cut := domain.Cut{AsOf: at("2025-04-01T00:00:00Z")} // after every detection
	first := render(t, h, cut)
	for i := 0; i < 10; i++ {
		if got := render(t, h, cut); got != first {
			t.Fatalf("render %d differs from the first", i+2)
		}
	}
	states := projections.States(h, cut)
	ids := h.IncidentIDs()
	if len(states) != n {
		t.Fatalf("%d states, want %d", len(states), n)
	}
	for i, s := range states {
		if s.ID != ids[i] {
			t.Fatalf("state %d is %s, want %s: out of order", i, s.ID, ids[i])
		}
	}
	if l := projections.List(h, cut, false); len(l.Incidents) != n || l.Incidents[n-1].ID != ids[n-1] {
		t.Errorf("list has %d incidents, the last %v; want %d ending with %s", len(l.Incidents), l.Incidents[len(l.Incidents)-1].ID, n, ids[n-1])
	}
	if d := projections.Deadlines(h, cut, projections.DeadlineFilter{}); len(d.Deadlines) < n {
		t.Errorf("deadline view has %d rows, want at least one per incident (%d)", len(d.Deadlines), n)
	}
}

func render(t *testing.T, h *history.History, cut domain.Cut) string {
	t.Helper()
	l, err := json.Marshal(projections.List(h, cut, false))
	if err != nil {
		t.Fatal(err)
	}
	d, err := json.Marshal(projections.Deadlines(h, cut, projections.DeadlineFilter{}))
	if err != nil {
		t.Fatal(err)
	}
	return string(l) + string(d)
}
