package readmodel_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// waitingSteps: H, a HIPAA covered entity with Californians affected,
// whose discovery is determined only on 2026-03-06 (its clocks wait until
// then: facts needed), then California's count removed (ca-residents
// withdrawn); W, a processor's declared incident with contoso taken out of
// scope (customer-notice/contoso withdrawn).
func waitingSteps(f *fixture) (removal func() string, steps []func()) {
	h, w := domain.IncidentStream("H"), domain.IncidentStream("W")
	pin := domain.PackPinned{Version: domain.CurrentPack().Version, Reason: "test"}
	var removed string
	return func() string { return removed }, []func(){
		func() {
			f.add(domain.LedgerStream, "2026-01-01T00:00:00Z", "admin", domain.LedgerInitialized{Name: "t", Admin: "admin"})
		},
		func() {
			f.add(h, "2026-03-02T08:00:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceCustomerReport, Summary: "portal export", AwareAt: at("2026-03-02T08:00:00Z"), Role: domain.RoleController})
		},
		func() { f.add(h, "2026-03-02T08:00:00Z", "oscar", pin) },
		func() {
			f.add(h, "2026-03-02T10:30:00Z", "ivy", domain.EntityProfiled{Establishments: []string{"US"}, EntityTypes: []domain.EntityType{domain.EntityHIPAACovered}})
		},
		func() {
			f.add(w, "2026-03-02T09:00:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "tenant read", AwareAt: at("2026-03-02T09:00:00Z"), Role: domain.RoleProcessor})
		},
		func() { f.add(w, "2026-03-02T09:00:00Z", "oscar", pin) },
		func() {
			f.add(h, "2026-03-02T11:00:00Z", "sam", domain.AffectedRecorded{Counts: []domain.AffectedCount{{Jurisdiction: "US-CA", Count: 620}}})
		},
		func() {
			f.add(w, "2026-03-02T10:00:00Z", "sam", domain.IncidentClassified{Classification: domain.ClassSecurityIncident})
		},
		func() {
			f.add(w, "2026-03-02T11:00:00Z", "sam", domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam"}})
		},
		func() {
			f.add(w, "2026-03-02T12:00:00Z", "ivy", domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "logs"})
		},
		func() {
			removed = f.add(w, "2026-03-03T09:00:00Z", "sam", domain.ScopeRecorded{Customers: []string{"fabrikam"}})
		},
		func() {
			f.add(h, "2026-03-06T09:00:00Z", "ivy", domain.DeterminationMade{Kind: domain.DetDiscovery, Positive: true, Reasoning: "confirmed"})
		},
		func() {
			f.add(h, "2026-03-09T09:00:00Z", "sam", domain.AffectedRecorded{Counts: []domain.AffectedCount{{Jurisdiction: "US-NY", Count: 40}}})
		},
	}
}

// The kept read models give the facts needed and the withdrawn obligations
// the history gives, at instants before and after the facts that change
// them (the kept rows of an incident with a later fact are evaluated
// again), with the filters that apply to them.
func TestFactsNeededMatchHistory(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	removal, steps := waitingSteps(f)
	for _, step := range steps {
		step()
	}
	k := openKept(t, f.st, f.path)
	if _, err := k.CatchUp(ctx, at("2026-03-10T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	h := readHistory(t, f.st)
	filters := []projections.DeadlineFilter{{}, {Regimes: []string{"HIPAA"}}, {Incident: "W"}, {Incident: "H", Open: true}, {Overdue: true}}
	for _, s := range []string{"2026-03-02T12:30:00Z", "2026-03-04T00:00:00Z", "2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z", "2026-06-01T00:00:00Z"} {
		for _, flt := range filters {
			want := projections.Deadlines(h, domain.Cut{AsOf: at(s)}, flt)
			var wantNeeds, wantRows []string
			for _, n := range want.FactsNeeded {
				b, _ := json.Marshal(n)
				wantNeeds = append(wantNeeds, string(b))
			}
			for _, r := range want.Deadlines {
				b, _ := json.Marshal(r)
				wantRows = append(wantRows, string(b))
			}
			for _, limit := range []int{0, 1} {
				var gotNeeds, gotRows []string
				page := readmodel.Page{Limit: limit}
				for n := 0; ; n++ {
					p, err := k.Deadlines(ctx, at(s), flt, page, false)
					if err != nil {
						t.Fatal(err)
					}
					if page.After != "" && len(p.FactsNeeded) != 0 {
						t.Errorf("as of %s: a page after the first repeats the facts needed", s)
					}
					for _, r := range p.FactsNeeded {
						gotNeeds = append(gotNeeds, string(r))
					}
					for _, r := range p.Deadlines {
						gotRows = append(gotRows, string(r))
					}
					if p.Next == "" || n > 50 {
						break
					}
					page.After = p.Next
				}
				if diff := cmp.Diff(wantNeeds, gotNeeds); diff != "" {
					t.Errorf("as of %s, filter %+v, limit %d: facts needed differ (-history +kept):\n%s", s, flt, limit, diff)
				}
				if diff := cmp.Diff(wantRows, gotRows); diff != "" {
					t.Errorf("as of %s, filter %+v, limit %d: rows differ (-history +kept):\n%s", s, flt, limit, diff)
				}
			}
		}
	}

	// Worked by hand. As of 2026-03-04, H waits for its discovery: HIPAA
	// individuals, HHS (620 ≥ 500), media (California over 500) and
	// California's residents, in the pack's order; W's notice to contoso
	// is waived, withdrawn by the scope that removed contoso.
	p, err := k.Deadlines(ctx, at("2026-03-04T00:00:00Z"), projections.DeadlineFilter{}, readmodel.Page{}, false)
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, r := range p.FactsNeeded {
		var n projections.FactsNeededRow
		if err := json.Unmarshal(r, &n); err != nil {
			t.Fatal(err)
		}
		rules = append(rules, n.Incident+":"+n.Rule+":"+n.WaitingFor)
	}
	if want := []string{"H:hipaa-individuals:discovery determination", "H:hipaa-hhs:discovery determination", "H:hipaa-media:discovery determination", "H:ca-residents:discovery determination"}; !cmp.Equal(want, rules) {
		t.Errorf("facts needed as of 2026-03-04 = %v, want %v", rules, want)
	}
	found := false
	for _, r := range p.Deadlines {
		var row projections.DeadlineRow
		if err := json.Unmarshal(r, &row); err != nil {
			t.Fatal(err)
		}
		if row.ID == "customer-notice/contoso" {
			found = true
			if row.Status != domain.StatusWaived || row.WithdrawnBy != removal() || !strings.Contains(row.Reason, "trigger withdrawn by "+removal()+" (customer contoso removed from scope)") {
				t.Errorf("customer-notice/contoso: %s withdrawn by %q: %s; want waived, withdrawn by %s", row.Status, row.WithdrawnBy, row.Reason, removal())
			}
		}
	}
	if !found {
		t.Error("customer-notice/contoso is missing from the kept deadline view")
	}
	// Facts needed never raise the alert: W's fabrikam notice (due
	// 2026-03-05T12:00Z) is the only open deadline; within 24h of 03-04
	// it is not due, and the view does not alert.
	p, err = k.Deadlines(ctx, at("2026-03-04T00:00:00Z"), projections.DeadlineFilter{DueWithin: 24 * time.Hour}, readmodel.Page{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if p.Alert || len(p.FactsNeeded) != 4 {
		t.Errorf("due within 24h as of 2026-03-04: alert %v, %d facts needed; want no alert and 4", p.Alert, len(p.FactsNeeded))
	}
}
