package main

import (
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/ledger"
)

// newFactsNeeded returns the facts a write made needed: the rules that, as
// of now, apply but wait for a determination never made, and did not
// before the write (an entity type that brings HIPAA in, a count that
// brings California in). A writer says so, with the command that records
// the determination, so that a clock never waits unseen. The risk
// advisor's own need (domain.AdviceNeeded, which domain.FactsNeeded lists:
// it cannot advise until the graded facts are recorded) is among them
// whenever the facts it waits for changed, so a factors write that leaves
// one out says which.
func newFactsNeeded(res ledger.Result, now time.Time) []domain.FactNeeded {
	cut := domain.Cut{AsOf: now}
	after := history.IncidentAt(res.Incident, res.Facts, cut)
	needs := domain.FactsNeeded(&after)
	if len(needs) == 0 {
		return nil
	}
	written := map[string]bool{}
	for _, r := range res.Records {
		written[r.ID.String()] = true
	}
	var earlier []domain.Fact
	for _, f := range res.Facts {
		if !written[f.ID] {
			earlier = append(earlier, f)
		}
	}
	before := history.IncidentAt(res.Incident, earlier, cut)
	had := map[string]bool{}
	for _, n := range domain.FactsNeeded(&before) {
		had[n.Rule+"\x00"+n.WaitingFor] = true
	}
	var out []domain.FactNeeded
	for _, n := range needs {
		if !had[n.Rule+"\x00"+n.WaitingFor] {
			out = append(out, n)
		}
	}
	return out
}
