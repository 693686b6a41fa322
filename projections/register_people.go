package projections

import (
	"slices"

	"github.com/breachledger/breachledger/domain"
)

// Subject counts of a register entry: where the number comes from.
const (
	SubjectsAffected = "affected" // the sum of the counts recorded with "affected"
	SubjectsScope    = "scope"    // the scope's approximate number (scope --subjects)
)

// peopleOf returns the people a register entry counts and where the number
// comes from (domain.Incident.PeopleAffected: the affected counts once
// recorded, else the scope's approximation), and the jurisdictions it
// touches: the scope's and every one with a positive affected count, each
// once, sorted. A breach recorded with "affected DE=800 FR=400" registers
// 1200 people in DE and FR, not "subjects 0" and none.
func peopleOf(inc *domain.Incident) (subjects int64, from string, jurisdictions []string) {
	subjects, counted := inc.PeopleAffected()
	from = SubjectsScope
	if counted {
		from = SubjectsAffected
	}
	jurisdictions = slices.Clone(inc.Scope.Jurisdictions)
	if a := inc.Regulatory.Affected; a != nil {
		for _, c := range a.Counts {
			if c.Count > 0 {
				jurisdictions = append(jurisdictions, c.Jurisdiction)
			}
		}
	}
	slices.Sort(jurisdictions)
	return subjects, from, slices.Compact(jurisdictions)
}
