package domain

// PeopleAffected is how many people the incident affects, as the rules'
// thresholds count them (Applicability.MinAffected over every
// jurisdiction): once counts are recorded with "affected", their sum
// (counted is true); before, the scope's approximate number of data
// subjects. The breach register shows the same number.
func (inc *Incident) PeopleAffected() (n int64, counted bool) {
	if inc.Regulatory.Affected == nil {
		return inc.Scope.Subjects, false
	}
	return affectedIn(inc, ""), true
}
