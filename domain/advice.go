package domain

import (
	"fmt"
	"slices"
	"strings"
)

// Outcome is what the risk advisor suggests doing about a personal data breach.
type Outcome string

// Outcomes, from least to most.
const (
	// OutcomeDocument: unlikely to result in a risk: record it (GDPR Art.
	// 33(5)) and notify nobody.
	OutcomeDocument Outcome = "document-only"
	// OutcomeAuthority: a risk: notify the supervisory authority (Art. 33(1)).
	OutcomeAuthority Outcome = "notify-authority"
	// OutcomeSubjects: a high risk: also tell the data subjects (Art. 34(1)).
	OutcomeSubjects Outcome = "notify-subjects"
	// OutcomeException: a high risk, but an Art. 34(3) exception holds:
	// notify the authority; the people are not told individually ((c):
	// a public communication instead).
	OutcomeException Outcome = "notify-authority-art34-exception"
	// OutcomeControllers: the organisation is a processor: notify the
	// controllers without undue delay (Art. 33(2)); they assess the risk.
	OutcomeControllers Outcome = "notify-controllers"
	// OutcomeCannotAdvise: a factor is not recorded; Advice.Missing names
	// it. The authority's clock runs meanwhile.
	OutcomeCannotAdvise Outcome = "cannot-advise"
)

// Level returns the GDPR risk level the outcome corresponds to; empty for
// the outcomes that assess no risk (a processor's, cannot advise).
func (o Outcome) Level() RiskLevel {
	switch o {
	case OutcomeDocument:
		return RiskUnlikely
	case OutcomeAuthority:
		return RiskRisk
	case OutcomeControllers, OutcomeCannotAdvise:
		return ""
	}
	return RiskHigh
}

// Advice is the risk advisor's suggestion with its reasons. It is advice:
// the determination stays a human decision (RiskDetermined), and Differs
// says where that decision departs from it.
type Advice struct {
	// Method is the advice method the factors were recorded under (pinned
	// by the event); Superseded is set when a newer method exists, which
	// the advice is not read under.
	Method     string    `json:"method"`
	Superseded string    `json:"superseded,omitempty"`
	Outcome    Outcome   `json:"outcome"`
	Level      RiskLevel `json:"level,omitempty"`
	// Severity is the ENISA computation with every term (MethodENISA2013v1,
	// complete facts only).
	Severity *ENISASeverity `json:"severity,omitempty"`
	Reasons  []string       `json:"reasons"`
	// Missing names the flags of the facts not recorded: the advisor
	// cannot advise until they are.
	Missing []string `json:"missing,omitempty"`
	// Conditions say what recorded fact would change the outcome.
	Conditions []string `json:"conditions,omitempty"`
	// Differs is set when a risk determination was recorded and its outcome
	// is not the suggested one.
	Differs string `json:"differs,omitempty"`
}

// RestoreQuickly is how long an availability loss may last, with backups,
// and still be unlikely to result in a risk (EDPB Guidelines 01/2021, Case
// No. 01: restored "within a few hours"); a day is the advisor's reading.
const RestoreQuickly = 24

// Advise suggests an outcome from the structured risk factors, following
// the reasoning of EDPB Guidelines 01/2021 on examples regarding personal
// data breach notification (the case numbers below are that document's).
// Confidentiality and availability are weighed separately and the graver
// outcome wins.
func Advise(f RiskFactorsRecorded) Advice {
	out := OutcomeDocument
	var reasons []string
	raise := func(o Outcome, why string) {
		reasons = append(reasons, why)
		if rank(o) > rank(out) {
			out = o
		}
	}
	severe := f.SpecialCategories || f.VulnerableSubjects || f.FraudPotential

	// Confidentiality.
	switch {
	case !f.Exfiltrated:
		reasons = append(reasons, "no evidence that data left the controller's control: no confidentiality risk (EDPB 01/2021 Case No. 01)")
	case f.Encrypted && !f.KeyCompromised:
		reasons = append(reasons, "the data left control but is unintelligible: state-of-the-art encryption or hashing and the key is not compromised (GDPR Art. 34(3)(a))")
	case f.RecipientTrusted && f.DeletionConfirmed:
		reasons = append(reasons, "the data went to a trusted recipient who confirmed deleting it (EDPB 01/2021 Case No. 09)")
	default:
		why := "data left the controller's control in intelligible form"
		if f.Encrypted && f.KeyCompromised {
			why = "the data was encrypted but the key is compromised too, so it is intelligible (EDPB 01/2021 Case No. 11, reversed)"
		}
		if severe {
			raise(OutcomeSubjects, why+", and "+severity(f)+": a high risk (EDPB 01/2021 Cases No. 07, 12, 14)")
		} else {
			raise(OutcomeAuthority, why+": a risk to the people affected (EDPB 01/2021 Case No. 16)")
		}
	}

	// Availability.
	switch {
	case f.RestoreHours == 0:
	case f.RestoreHours <= RestoreQuickly && !f.VulnerableSubjects:
		reasons = append(reasons, fmt.Sprintf("availability restored within %dh from backups: no lasting effect on the people affected (EDPB 01/2021 Case No. 01)", f.RestoreHours))
	case f.VulnerableSubjects || f.SpecialCategories:
		o := OutcomeAuthority
		if f.RestoreHours > RestoreQuickly {
			o = OutcomeSubjects
		}
		why := fmt.Sprintf("data of %s unavailable for %dh", who(f), f.RestoreHours)
		if f.VulnerableSubjects {
			why += " (EDPB 01/2021 Case No. 03: a hospital's patients)"
		}
		raise(o, why)
	default:
		raise(OutcomeAuthority, fmt.Sprintf("data unavailable for %dh, longer than a quick restore from backup (EDPB 01/2021 Case No. 02)", f.RestoreHours))
	}

	if f.Subjects > 0 {
		reasons = append(reasons, fmt.Sprintf("%s affected: the more people, the graver the breach, though under this method volume alone does not decide", people(f.Subjects)))
	}
	return Advice{Method: MethodEDPB2021, Outcome: out, Level: out.Level(), Reasons: reasons}
}

func people(n int64) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d people", n)
}

func rank(o Outcome) int {
	switch o {
	case OutcomeAuthority:
		return 1
	case OutcomeSubjects:
		return 2
	}
	return 0
}

func severity(f RiskFactorsRecorded) string {
	var parts []string
	if f.SpecialCategories {
		parts = append(parts, "special categories or highly personal data")
	}
	if f.VulnerableSubjects {
		parts = append(parts, "vulnerable people (children, patients)")
	}
	if f.FraudPotential {
		parts = append(parts, "identity theft or fraud is possible")
	}
	switch len(parts) {
	case 1:
		return parts[0]
	case 2:
		return parts[0] + " and " + parts[1]
	}
	return parts[0] + ", " + parts[1] + " and " + parts[2]
}

func who(f RiskFactorsRecorded) string {
	if f.VulnerableSubjects {
		return "vulnerable people"
	}
	return "special categories"
}

// AdviceFor returns the advice for an incident under the method its
// recorded factors pinned, and where the recorded risk determination
// differs from it. An incident with personal data and no factors gets
// OutcomeCannotAdvise (or, as processor, OutcomeControllers): missing is
// not harmless. ok is false when there is nothing to advise on: no
// personal data, a dismissed incident, or a closed one without factors (a
// closed incident is never re-advised).
func AdviceFor(inc *Incident) (Advice, bool) {
	g := &inc.Regulatory
	var a Advice
	switch {
	case g.RiskFactors == nil:
		if inc.Closed || inc.Dismissed() || !inc.PersonalData() {
			return Advice{}, false
		}
		a = AdviseENISA(RiskFactorsRecorded{Method: CurrentAdviceMethod()}, adviceContext(inc))
	case g.RiskFactors.Method == "" || g.RiskFactors.Method == MethodEDPB2021:
		a = Advise(g.RiskFactors.RiskFactorsRecorded)
		a.Superseded = fmt.Sprintf("the factors were recorded under the first advisor (%s), which this incident keeps; the current method is %s: record the graded facts with factors to be advised by it", MethodEDPB2021, CurrentAdviceMethod())
	default:
		a = AdviseENISA(g.RiskFactors.RiskFactorsRecorded, adviceContext(inc))
	}
	if inc.Risk != nil && a.Level != "" {
		decided := inc.Risk.Level
		if decided != a.Level {
			a.Differs = fmt.Sprintf("the determination of %s by %s is %q; the advice is %q (%s): %s", stamp(inc.Risk.At), inc.Risk.Actor, decided, a.Level, a.Outcome, inc.Risk.Reasoning)
		}
	}
	return a, true
}

// CurrentMethodAdvice is the reading of the current method beside the
// pinned one (show --compare-method): the current method reads only the
// graded facts, so factors recorded under an older method give "cannot
// advise" with the facts to record. ok is false for a closed incident
// (never re-advised) and where AdviceFor has nothing to advise on.
func CurrentMethodAdvice(inc *Incident) (Advice, bool) {
	if inc.Closed {
		return Advice{}, false
	}
	if _, ok := AdviceFor(inc); !ok {
		return Advice{}, false
	}
	f := RiskFactorsRecorded{Method: CurrentAdviceMethod()}
	if r := inc.Regulatory.RiskFactors; r != nil && r.Method == CurrentAdviceMethod() {
		f = r.RiskFactorsRecorded
	}
	return AdviseENISA(f, adviceContext(inc)), true
}

func adviceContext(inc *Incident) AdviceContext {
	var ctx AdviceContext
	if inc.Detection != nil {
		ctx.Role = inc.Detection.Role
	}
	if p := inc.Regulatory.Profile; p != nil {
		ctx.Controllers = p.Controllers
	}
	return ctx
}

// AdviceNeeded is the facts-needed entry of an incident whose advisor
// cannot advise: the facts to record (Record) and the command that
// records them. FactsNeeded lists it after the rules that wait. Unlike a
// rule's fact needed, no clock waits for it: the notification clocks that
// apply (GDPR Art. 33(1): 72 hours from awareness) run meanwhile, as
// ClockRunning says. ok is false when the advisor can advise (or has
// nothing to advise on: no personal data, dismissed, closed without
// factors).
func AdviceNeeded(inc *Incident) (FactNeeded, bool) {
	a, ok := AdviceFor(inc)
	if !ok || a.Outcome != OutcomeCannotAdvise {
		return FactNeeded{}, false
	}
	id := inc.ID
	if id == "" {
		id = "INCIDENT"
	}
	cmd := "breachledger factors " + id
	for _, m := range a.Missing {
		cmd += " " + m + " ..."
	}
	return FactNeeded{Rule: "risk-advice", Regime: "GDPR", Citation: "GDPR Art. 33(1), 34(1); ENISA 2013 severity method", Pack: a.Method,
		WaitingFor: "risk factors " + strings.Join(a.Missing, ", "), Clock: "the risk advice", Command: cmd,
		Record:       slices.Clone(a.Missing),
		ClockRunning: "the advice is missing, not the duty: a notification clock that applies (GDPR Art. 33(1): 72 hours from awareness) keeps running"}, true
}
