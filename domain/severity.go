package domain

// Severity and priority derive from the three factors of NIST SP 800-61
// Rev. 2, §3.2.6 "Incident Prioritization": functional impact (Table 3-2),
// information impact (Table 3-3) and recoverability effort (Table 3-4), the
// categories the seed process uses. Each factor scores 0 to 3:
//
//	points  functional impact  information impact                 recoverability
//	0       none               none                               regular
//	1       low                -                                  supplemented
//	2       medium             proprietary-breach                 extended
//	3       high               privacy-breach, integrity-loss     not-recoverable
//
// Severity:  critical when two or more factors score 3; high when one does;
// medium when the highest score is 2; low otherwise.
// Priority:  P1 for critical, and for any imminent or confirmed risk to
// customer data (information impact privacy-breach or integrity-loss: the
// seed works these "around the clock"); otherwise P2 for high, P3 for
// medium, P4 for low.
//
// An assessor may override either value with a reason (IncidentAssessed
// keeps both the derived and the effective values).

func functionalPoints(f FunctionalImpact) int {
	switch f {
	case FunctionalLow:
		return 1
	case FunctionalMedium:
		return 2
	case FunctionalHigh:
		return 3
	}
	return 0
}

func informationPoints(i InformationImpact) int {
	switch i {
	case InfoProprietary:
		return 2
	case InfoPrivacy, InfoIntegrityLoss:
		return 3
	}
	return 0
}

func recoverabilityPoints(r Recoverability) int {
	switch r {
	case RecoverSupplemented:
		return 1
	case RecoverExtended:
		return 2
	case RecoverNotRecoverable:
		return 3
	}
	return 0
}

// DeriveSeverity returns the severity and priority the table above gives.
func DeriveSeverity(f FunctionalImpact, r Recoverability, i InformationImpact) (Severity, Priority) {
	points := []int{functionalPoints(f), informationPoints(i), recoverabilityPoints(r)}
	threes, highest := 0, 0
	for _, p := range points {
		if p == 3 {
			threes++
		}
		highest = max(highest, p)
	}
	var sev Severity
	switch {
	case threes >= 2:
		sev = SeverityCritical
	case threes == 1:
		sev = SeverityHigh
	case highest == 2:
		sev = SeverityMedium
	default:
		sev = SeverityLow
	}
	pri := map[Severity]Priority{SeverityCritical: P1, SeverityHigh: P2, SeverityMedium: P3, SeverityLow: P4}[sev]
	if i == InfoPrivacy || i == InfoIntegrityLoss {
		pri = P1
	}
	return sev, pri
}
