package domain_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// ts parses an RFC 3339 time or fails the test.
func ts(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// history builds facts the way the write path records them: sequence
// order, one ledger stream and one incident stream. Every fact is recorded
// one minute after its business time.
type history struct {
	tb       testing.TB
	ledger   []domain.Fact
	incident []domain.Fact
	seq      uint64
}

func newHistory(tb testing.TB) *history {
	h := &history{tb: tb}
	h.ledgerEvent("admin", "2025-01-01T00:00:00Z", domain.LedgerInitialized{Name: "test", Admin: "admin"})
	for actor, roles := range cast {
		for _, r := range roles {
			h.ledgerEvent("admin", "2025-01-01T00:01:00Z", domain.RoleGranted{Actor: actor, Role: r})
		}
	}
	for actor, roles := range map[string][]domain.Role{
		"bea": {domain.RoleLegal, domain.RoleExecutiveIM},
		"aud": {domain.RoleAuditor},
	} {
		for _, r := range roles {
			h.ledgerEvent("admin", "2025-01-01T00:01:00Z", domain.RoleGranted{Actor: actor, Role: r})
		}
	}
	h.ledgerEvent("admin", "2025-01-01T00:02:00Z", wideBackdateWindow)
	return h
}

// wideBackdateWindow lets the tests' histories, decided at a "now" long
// after their business times, be recorded without late-entry reasons; the
// tests of that rule set the window back (businesstime_test.go).
var wideBackdateWindow = domain.SettingChanged{Key: "backdate-window", Value: "36500d"}

// cast are the actors who hold one role each, in newHistory and
// signedModeHistory alike.
var cast = map[string][]domain.Role{
	"oscar": {domain.RoleResponder},
	"sam":   {domain.RoleSecurityResponse},
	"ivy":   {domain.RoleSecurityIncidentManager},
	"ian":   {domain.RoleIncidentManager},
	"lee":   {domain.RoleLegal},
	"eve":   {domain.RoleExecutiveIM},
}

func (h *history) ledgerEvent(actor, at string, e domain.Event) {
	h.tb.Helper()
	h.ledger = append(h.ledger, h.fact(domain.LedgerStream, uint64(len(h.ledger)), actor, ts(h.tb, at), e))
}

// add records an incident event and returns its event ID.
func (h *history) add(actor, at string, e domain.Event) string {
	h.tb.Helper()
	f := h.fact(domain.IncidentStream("INC"), uint64(len(h.incident)), actor, ts(h.tb, at), e)
	h.incident = append(h.incident, f)
	return f.ID
}

func (h *history) fact(stream string, rev uint64, actor string, at time.Time, e domain.Event) domain.Fact {
	typ, payload, err := domain.Encode(e)
	if err != nil {
		h.tb.Fatal(err)
	}
	// Round-trip through the codec, as the store would.
	decoded, err := domain.Decode(typ, payload)
	if err != nil {
		h.tb.Fatal(err)
	}
	f := domain.Fact{ID: fmt.Sprintf("ev-%03d", h.seq), Sequence: h.seq, Stream: stream, Revision: rev, Type: typ, At: at, Actor: actor, RecordedAt: at.Add(time.Minute), Event: decoded}
	h.seq++
	return f
}

// apply records the events Decide returned for c, as the write path would.
func (h *history) apply(c domain.Command, now time.Time) []domain.Event {
	h.tb.Helper()
	events, err := domain.Decide(h.state(), c, now)
	if err != nil {
		h.tb.Fatalf("Decide(%T) = %v", c, err)
	}
	by := domain.Origin(c)
	for _, e := range events {
		h.add(by.Actor, by.At.Format(time.RFC3339Nano), e)
	}
	return events
}

func (h *history) state() domain.State {
	inc := domain.Replay(h.incident, domain.Cut{})
	inc.ID = "INC"
	return domain.State{Ledger: domain.ReplayLedger(h.ledger, domain.Cut{}), Incident: inc}
}

func (h *history) at(cut domain.Cut) domain.Incident {
	inc := domain.Replay(h.incident, cut)
	inc.ID = "INC"
	return inc
}

func by(actor, at string) domain.By { return domain.By{Actor: actor, At: mt(at)} }

// mt parses an RFC 3339 time literal of a test table (it never fails; ts
// is the form for times a test computes).
func mt(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// breach builds the acceptance scenario up to the declaration: detected
// 2025-03-07T21:40Z, aware 22:15, acting as both, assessed, diagnosing,
// classified a privacy breach, two customers in scope, high risk, declared
// 2025-03-09T10:00Z. It returns the detection's event ID.
func (h *history) breach() string {
	h.tb.Helper()
	var det string
	for i, st := range breachSteps(h.tb) {
		id := h.add(st.actor, st.at, st.e)
		if i == 0 {
			det = id
		}
	}
	return det
}

// breachStep is one fact of the acceptance scenario: who, when, what.
type breachStep struct {
	actor, at string
	e         domain.Event
}

// breachSteps are the facts of the acceptance scenario (breach), in order.
func breachSteps(tb testing.TB) []breachStep {
	return []breachStep{
		{"oscar", "2025-03-07T21:40:00Z", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "bulk read", AwareAt: ts(tb, "2025-03-07T22:15:00Z"), Role: domain.RoleBoth}},
		{"oscar", "2025-03-07T22:30:00Z", domain.StageChanged{From: domain.StageDetect, To: domain.StageAssess}},
		{"oscar", "2025-03-07T22:30:00Z", domain.IncidentAssessed{FunctionalImpact: domain.FunctionalMedium, Recoverability: domain.RecoverExtended, InformationImpact: domain.InfoPrivacy, DerivedSeverity: domain.SeverityHigh, DerivedPriority: domain.P1, Severity: domain.SeverityHigh, Priority: domain.P1}},
		{"sam", "2025-03-08T01:00:00Z", domain.StageChanged{From: domain.StageAssess, To: domain.StageDiagnose}},
		{"sam", "2025-03-08T09:00:00Z", domain.IncidentClassified{Classification: domain.ClassPrivacyBreach}},
		{"sam", "2025-03-08T12:00:00Z", domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam"}, Subjects: 1200}},
		{"ivy", "2025-03-08T15:00:00Z", domain.RiskDetermined{Level: domain.RiskHigh, Reasoning: "contact data"}},
		{"ivy", "2025-03-09T10:00:00Z", domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "logs"}},
	}
}

// obligation returns the obligation with the given ID, or fails.
func obligation(tb testing.TB, obs []domain.Obligation, id string) domain.Obligation {
	tb.Helper()
	for _, o := range obs {
		if o.ID == id {
			return o
		}
	}
	tb.Fatalf("no obligation %q in %v", id, ids(obs))
	return domain.Obligation{}
}

func ids(obs []domain.Obligation) []string {
	var out []string
	for _, o := range obs {
		out = append(out, o.ID)
	}
	return out
}
