package domain_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
)

// TestFactsNeededListsTheAdvice: a personal data breach whose risk factors
// are missing, or incomplete, lists the advisor's need in FactsNeeded
// (whatever the pack asked for) with the flags still to record, and says
// that the clocks keep running: the authority's obligation is there all
// along. Complete facts, a processor (advised to tell its controllers) and
// a closed incident without factors list nothing.
func TestFactsNeededListsTheAdvice(t *testing.T) {
	complete := domain.RiskFactorsRecorded{Method: domain.CurrentAdviceMethod(), Data: []domain.DataCategory{domain.DataSimple},
		Identification: domain.EIMaximum, Confidentiality: domain.ConfKnownRecipients, Integrity: domain.IntegNone,
		Availability: domain.AvailNone, Intent: domain.IntentNone, Unintelligible: domain.UnintelligibleNo, People: "1", ExposureDays: "0"}
	partial := complete
	partial.Intent, partial.People = "", ""
	tests := []struct {
		name   string
		role   domain.DataRole
		build  func(h *history)
		record []string // nil: no advice need
	}{
		{name: "no factors", role: domain.RoleController,
			record: []string{"--data", "--identification", "--confidentiality", "--integrity", "--availability", "--intent", "--unintelligible", "--people", "--exposure-days"}},
		{name: "two facts left out", role: domain.RoleController,
			build:  func(h *history) { h.add("sam", "2026-02-02T10:00:00Z", partial) },
			record: []string{"--intent", "--people"}},
		{name: "every fact recorded", role: domain.RoleController,
			build: func(h *history) { h.add("sam", "2026-02-02T10:00:00Z", complete) }},
		{name: "a processor tells its controllers", role: domain.RoleProcessor},
		{name: "closed without factors: never re-advised", role: domain.RoleController,
			build: func(h *history) { h.add("ivy", "2026-02-03T10:00:00Z", domain.IncidentClosed{Summary: "closed"}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := regulated(t, tt.role, "2026-02-02T09:00:00Z", types())
			if tt.build != nil {
				tt.build(h)
			}
			inc := h.at(domain.Cut{})
			inc.ID = "INC"
			var got *domain.FactNeeded
			for _, n := range domain.FactsNeeded(&inc) {
				if n.Rule == "risk-advice" {
					got = &n
				}
			}
			if tt.record == nil {
				if got != nil {
					t.Fatalf("an advice need where the advisor can advise: %+v", *got)
				}
				return
			}
			if got == nil {
				t.Fatalf("no advice need in %+v", domain.FactsNeeded(&inc))
			}
			if !slices.Equal(got.Record, tt.record) || got.Regime != "GDPR" || got.Pack != domain.CurrentAdviceMethod() ||
				!strings.Contains(got.ClockRunning, "keeps running") || !strings.HasPrefix(got.Command, "breachledger factors INC "+tt.record[0]+" ...") {
				t.Errorf("record %v regime %s pack %s clock %q command %q, want record %v, GDPR, %s, a clock that keeps running, the factors command",
					got.Record, got.Regime, got.Pack, got.ClockRunning, got.Command, tt.record, domain.CurrentAdviceMethod())
			}
			// Under another pack the need is the same: it reads the method.
			p := domain.CurrentPack()
			if under := domain.FactsNeededUnder(&inc, &p); under[len(under)-1].Rule != "risk-advice" {
				t.Errorf("FactsNeededUnder the current pack lacks the advice need, last: %+v", under[len(under)-1])
			}
			// The authority's clock runs meanwhile: its obligation is there.
			obs := domain.Obligations(&inc, domain.DefaultSettings(), ts(t, "2026-02-03T00:00:00Z"))
			if !slices.ContainsFunc(obs, func(o domain.Obligation) bool { return o.Rule == "gdpr-art33" }) {
				t.Errorf("no gdpr-art33 obligation while the advice waits: %v", obs)
			}
		})
	}
}
