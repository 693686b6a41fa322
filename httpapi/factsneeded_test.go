package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
)

// The API's deadline and incident answers carry the facts needed (rules
// waiting for a determination never made) and the obligations whose
// trigger was withdrawn, as the CLI does: from the kept read models and
// from the history (an explicit as_of) alike.
func TestFactsNeededAndWithdrawnInAnswers(t *testing.T) {
	e := newEnv(t)
	h := domain.IncidentStream("H")
	e.add(h, "2026-03-02T08:00:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceCustomerReport, Summary: "portal export", AwareAt: at("2026-03-02T08:00:00Z"), Role: domain.RoleController})
	e.add(h, "2026-03-02T08:00:00Z", "oscar", domain.PackPinned{Version: domain.CurrentPack().Version, Reason: "test"})
	e.add(h, "2026-03-02T10:30:00Z", "ivy", domain.EntityProfiled{EntityTypes: []domain.EntityType{domain.EntityHIPAABusinessAssoc}})
	// A: fabrikam taken out of scope after its notice fell overdue.
	removal := e.add(domain.IncidentStream("A"), "2025-03-13T09:00:00Z", "sam", domain.ScopeRecorded{Customers: []string{"contoso"}, Subjects: 1200})
	e.now = time.Now().UTC() // the server's clock: after these were recorded

	type answer struct {
		Deadlines   []projections.DeadlineRow    `json:"deadlines"`
		FactsNeeded []projections.FactsNeededRow `json:"facts_needed"`
		Alert       bool                         `json:"alert"`
	}
	for _, path := range []string{"/v1/deadlines", "/v1/deadlines?as_of=2026-03-03T00:00:00Z", "/v1/deadlines?regime=HIPAA"} {
		var v answer
		e.ok(path, &v)
		var needs []string
		for _, n := range v.FactsNeeded {
			needs = append(needs, n.Incident+" "+n.Rule+" "+n.WaitingFor+" "+n.Command)
		}
		want := []string{`H hipaa-ba discovery determination breachledger determine H discovery --reasoning "..."`}
		if !strings.Contains(path, "regime") {
			// A, a personal data breach without risk factors: the risk
			// advisor cannot advise (domain.AdviceNeeded), listed first as
			// A was detected first.
			want = append([]string{"A risk-advice risk factors --data, --identification, --confidentiality, --integrity, --availability, --intent, --unintelligible, --people, --exposure-days " +
				"breachledger factors A --data ... --identification ... --confidentiality ... --integrity ... --availability ... --intent ... --unintelligible ... --people ... --exposure-days ..."}, want...)
		}
		if diff := cmp.Diff(want, needs); diff != "" {
			t.Errorf("%s: facts needed (-want +got):\n%s", path, diff)
		}
		if strings.Contains(path, "regime") {
			continue
		}
		var fab *projections.DeadlineRow
		for i := range v.Deadlines {
			if v.Deadlines[i].Incident == "A" && v.Deadlines[i].ID == "customer-notice/fabrikam" {
				fab = &v.Deadlines[i]
			}
		}
		if fab == nil || fab.Status != domain.StatusWaived || fab.WithdrawnBy != removal || fab.Reason != "trigger withdrawn by "+removal+" (customer fabrikam removed from scope)" {
			t.Errorf("%s: customer-notice/fabrikam = %+v; want waived, withdrawn by %s", path, fab, removal)
		}
		if v.Alert {
			t.Errorf("%s: alert, but nothing is open: facts needed never alert", path)
		}
	}
	// The second page of a paged answer does not repeat them.
	var first, second struct {
		answer
		Next string `json:"next_cursor"`
	}
	e.ok("/v1/deadlines?limit=1", &first)
	if first.Next == "" || len(first.FactsNeeded) != 2 { // A's risk advice, H's hipaa-ba
		t.Fatalf("first page: next %q, %d facts needed", first.Next, len(first.FactsNeeded))
	}
	e.ok("/v1/deadlines?limit=1&cursor="+first.Next, &second)
	if second.FactsNeeded == nil || len(second.FactsNeeded) != 0 {
		t.Errorf("second page: facts needed %v, want []", second.FactsNeeded)
	}
	var inc struct {
		FactsNeeded []domain.FactNeeded `json:"facts_needed"`
	}
	e.ok("/v1/incidents/H", &inc)
	if len(inc.FactsNeeded) != 1 || inc.FactsNeeded[0].Rule != "hipaa-ba" || inc.FactsNeeded[0].Clock != "60 calendar days after discovery" {
		t.Errorf("/v1/incidents/H: facts needed %+v, want hipaa-ba", inc.FactsNeeded)
	}
}
