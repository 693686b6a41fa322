package projections_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/projections"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// build returns a history of one ledger and two incidents: A, a declared
// privacy breach with two customers, and B, a false positive closed early.
func build(t *testing.T) *history.History {
	t.Helper()
	h := history.New()
	seq := uint64(0)
	revs := map[string]uint64{}
	add := func(stream, when, actor string, e domain.Event) {
		typ, _, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		h.Add(domain.Fact{ID: fmt.Sprintf("ev-%02d", seq), Sequence: seq, Stream: stream, Revision: revs[stream], Type: typ, At: at(when), Actor: actor, RecordedAt: at(when).Add(time.Minute), Event: e})
		seq++
		revs[stream]++
	}
	a, b := domain.IncidentStream("A"), domain.IncidentStream("B")
	add(domain.LedgerStream, "2025-01-01T00:00:00Z", "admin", domain.LedgerInitialized{Name: "t", Admin: "admin"})
	add(a, "2025-03-07T21:40:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "bulk read", AwareAt: at("2025-03-07T22:15:00Z"), Role: domain.RoleBoth})
	add(b, "2025-03-08T08:00:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceRedBlueTeam, Summary: "port scan", AwareAt: at("2025-03-08T08:00:00Z"), Role: domain.RoleBoth})
	add(a, "2025-03-07T22:30:00Z", "oscar", domain.StageChanged{From: domain.StageDetect, To: domain.StageAssess})
	add(a, "2025-03-07T22:30:00Z", "oscar", domain.IncidentAssessed{FunctionalImpact: domain.FunctionalMedium, Recoverability: domain.RecoverExtended, InformationImpact: domain.InfoPrivacy, DerivedSeverity: domain.SeverityHigh, DerivedPriority: domain.P1, Severity: domain.SeverityHigh, Priority: domain.P1})
	add(b, "2025-03-08T08:10:00Z", "oscar", domain.StageChanged{From: domain.StageDetect, To: domain.StageAssess})
	add(b, "2025-03-08T08:20:00Z", "sam", domain.IncidentClassified{Classification: domain.ClassFalsePositive, RootCause: "red team"})
	add(b, "2025-03-08T08:30:00Z", "ian", domain.StageChanged{From: domain.StageAssess, To: domain.StageClose})
	add(b, "2025-03-08T08:30:00Z", "ian", domain.IncidentClosed{})
	add(a, "2025-03-08T01:00:00Z", "sam", domain.StageChanged{From: domain.StageAssess, To: domain.StageDiagnose})
	add(a, "2025-03-08T09:00:00Z", "sam", domain.IncidentClassified{Classification: domain.ClassPrivacyBreach})
	add(a, "2025-03-08T12:00:00Z", "sam", domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam"}})
	add(a, "2025-03-09T10:00:00Z", "ivy", domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "logs"})
	add(a, "2025-03-12T11:00:00Z", "ian", domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Customer: "contoso", Recipient: "secops", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial, DelayReason: "late"})
	return h
}

// The same history and cut always give the same bytes.
func TestViewsAreDeterministic(t *testing.T) {
	cut := domain.Cut{AsOf: at("2025-03-12T12:00:00Z"), KnownAt: at("2025-04-01T00:00:00Z")}
	render := func() []byte {
		h := build(t)
		var b bytes.Buffer
		v, ok := projections.Show(h.LedgerAt(cut), "A", h.Incidents["A"], cut)
		if !ok {
			t.Fatal("incident A not visible")
		}
		for _, x := range []any{v, projections.BuildTimeline("A", h.Incidents["A"], cut), projections.Deadlines(h, cut, projections.DeadlineFilter{}), projections.List(h, cut, false)} {
			j, err := json.Marshal(x)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(j)
		}
		if err := projections.WriteIncident(&b, v); err != nil {
			t.Fatal(err)
		}
		if err := projections.WriteDeadlines(&b, projections.Deadlines(h, cut, projections.DeadlineFilter{})); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	first := render()
	for i := 0; i < 5; i++ {
		if got := render(); !bytes.Equal(got, first) {
			t.Fatalf("render %d differs from the first", i+2)
		}
	}
}

func TestDeadlineFilters(t *testing.T) {
	h := build(t)
	cut := domain.Cut{AsOf: at("2025-03-12T12:00:00Z")}
	tests := []struct {
		name   string
		filter projections.DeadlineFilter
		want   []string
		alert  bool
	}{
		{"everything", projections.DeadlineFilter{}, []string{"A gdpr-art33 overdue", "A customer-notice/contoso met-late", "A customer-notice/fabrikam overdue"}, true},
		{"overdue only", projections.DeadlineFilter{Overdue: true}, []string{"A gdpr-art33 overdue", "A customer-notice/fabrikam overdue"}, true},
		{"open only", projections.DeadlineFilter{Open: true}, []string{"A gdpr-art33 overdue", "A customer-notice/fabrikam overdue"}, true},
		{"one incident", projections.DeadlineFilter{Incident: "B"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := projections.Deadlines(h, cut, tt.filter)
			var got []string
			for _, d := range v.Deadlines {
				got = append(got, fmt.Sprintf("%s %s %s", d.Incident, d.ID, d.Status))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || v.Alert != tt.alert {
				t.Errorf("Deadlines(%+v) = %v alert=%v, want %v alert=%v", tt.filter, got, v.Alert, tt.want, tt.alert)
			}
		})
	}
	// Due within: as of 2025-03-10T00:00Z the Art. 33 notice (due 22:15) is
	// due within 24h; the customer notices (due 2025-03-12T10:00Z) are not.
	v := projections.Deadlines(h, domain.Cut{AsOf: at("2025-03-10T00:00:00Z")}, projections.DeadlineFilter{DueWithin: 24 * time.Hour})
	if len(v.Deadlines) != 1 || v.Deadlines[0].ID != "gdpr-art33" || !v.Alert {
		t.Errorf("due within 24h = %+v", v.Deadlines)
	}
}

func TestListAndTimeline(t *testing.T) {
	h := build(t)
	cut := domain.Cut{AsOf: at("2025-04-01T00:00:00Z")}
	l := projections.List(h, cut, true)
	if len(l.Incidents) != 1 || l.Incidents[0].ID != "A" {
		t.Errorf("open incidents = %+v, want only A", l.Incidents)
	}
	if all := projections.List(h, cut, false); len(all.Incidents) != 2 || !all.Incidents[1].Closed {
		t.Errorf("all incidents = %+v", all.Incidents)
	}
	// Before B was detected, the list holds only A.
	if early := projections.List(h, domain.Cut{AsOf: at("2025-03-08T00:00:00Z")}, false); len(early.Incidents) != 1 {
		t.Errorf("incidents as of 2025-03-08T00:00Z = %d, want 1", len(early.Incidents))
	}
	tl := projections.BuildTimeline("A", h.Incidents["A"], cut)
	for i := 1; i < len(tl.Entries); i++ {
		if tl.Entries[i].At.Before(tl.Entries[i-1].At) {
			t.Errorf("timeline not in business-time order at %d: %v before %v", i, tl.Entries[i].At, tl.Entries[i-1].At)
		}
	}
	if got, want := tl.Entries[0].Kind, "detected"; got != want {
		t.Errorf("first entry = %s, want %s", got, want)
	}
}

func TestRelative(t *testing.T) {
	now := at("2025-03-12T12:00:00Z")
	tests := []struct {
		t    string
		want string
	}{
		{"2025-03-12T12:00:00Z", "now"},
		{"2025-03-12T14:30:00Z", "in 2h30m"},
		{"2025-03-12T10:00:00Z", "2h ago"},
		{"2025-03-15T13:20:00Z", "in 3d1h"},
		{"2025-03-11T11:00:00Z", "1d1h ago"},
	}
	for _, tt := range tests {
		if got := projections.Relative(at(tt.t), now); got != tt.want {
			t.Errorf("Relative(%s) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

// A deadline view kept as JSON rows encodes to the same bytes as the view
// it decodes to, so readers may print kept rows without decoding them.
func TestKeptDeadlineViewEncodesTheSame(t *testing.T) {
	h := build(t)
	v := projections.Deadlines(h, domain.Cut{AsOf: at("2025-03-12T12:00:00Z"), KnownAt: at("2025-04-01T00:00:00Z")}, projections.DeadlineFilter{DueWithin: 24 * time.Hour})
	kv := projections.KeptDeadlineView{AsOf: v.AsOf, KnownAt: v.KnownAt, DueWithin: v.DueWithin, Alert: v.Alert, FactsNeeded: []json.RawMessage{}}
	for _, r := range v.Deadlines {
		raw, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		kv.Deadlines = append(kv.Deadlines, raw)
	}
	for _, n := range v.FactsNeeded {
		raw, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		kv.FactsNeeded = append(kv.FactsNeeded, raw)
	}
	want, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(kv, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("kept view encodes differently:\n%s\nwant:\n%s", got, want)
	}
	back, err := kv.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := json.MarshalIndent(back, "", "  "); !bytes.Equal(again, want) {
		t.Errorf("decoded kept view encodes differently")
	}
	if len(v.Deadlines) == 0 {
		t.Fatal("the view has no rows: the test compares nothing")
	}
}
