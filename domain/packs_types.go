package domain

import (
	"strings"
)

// Anchor names what starts a rule's clock. The plain anchors are the
// constants below; the parameterised ones are built by AnchorDetermination,
// AnchorReport, AnchorLatestReport and AnchorYearEnd, never written by hand,
// and Pack.Validate refuses any other value (resolveAnchor never meets an
// unknown one).
type Anchor string

// Plain anchors.
const (
	AnchorAwareness   Anchor = "awareness"   // the incident's awareness time
	AnchorDeclaration Anchor = "declaration" // the CRSPI declaration
	AnchorHighRisk    Anchor = "high-risk"   // the risk determined high (the last time it became high)
)

// Prefixes of the parameterised anchors.
const (
	anchorDetermination = "determination:" // determination:KIND, a positive determination of KIND
	anchorReport        = "report:"        // report:RULE|RULE, the first notice that met one of the rules' obligations
	anchorLatestReport  = "latest-report:" // latest-report:RULE, the latest such notice
	anchorYearEnd       = "year-end:"      // year-end:ANCHOR, the end of the calendar year of ANCHOR
)

// AnchorDetermination anchors a clock on the positive determination of kind.
func AnchorDetermination(kind DeterminationKind) Anchor {
	return Anchor(anchorDetermination + string(kind))
}

// AnchorReport anchors a clock on the first notice that met an obligation
// of one of the rules (a chained report: NIS2 final after the notification).
func AnchorReport(rules ...string) Anchor {
	return Anchor(anchorReport + strings.Join(rules, "|"))
}

// AnchorLatestReport anchors a clock on the latest notice that met an
// obligation of one of the rules (DORA final after the latest intermediate).
func AnchorLatestReport(rules ...string) Anchor {
	return Anchor(anchorLatestReport + strings.Join(rules, "|"))
}

// AnchorYearEnd anchors a clock on the end of the calendar year of a (HIPAA
// annual log).
func AnchorYearEnd(a Anchor) Anchor { return Anchor(anchorYearEnd + string(a)) }

// Determination returns the kind of a determination:KIND anchor.
func (a Anchor) Determination() (DeterminationKind, bool) {
	k, ok := strings.CutPrefix(string(a), anchorDetermination)
	return DeterminationKind(k), ok
}

// Reports returns the rules of a report: or latest-report: anchor and
// whether it is the latest-report form.
func (a Anchor) Reports() (rules []string, latest, ok bool) {
	if r, ok := strings.CutPrefix(string(a), anchorReport); ok {
		return strings.Split(r, "|"), false, true
	}
	if r, ok := strings.CutPrefix(string(a), anchorLatestReport); ok {
		return strings.Split(r, "|"), true, true
	}
	return nil, false, false
}

// YearEnd returns the inner anchor of a year-end: anchor.
func (a Anchor) YearEnd() (Anchor, bool) {
	in, ok := strings.CutPrefix(string(a), anchorYearEnd)
	return Anchor(in), ok
}

// Chained reports whether the anchor is an earlier report (only notices
// after it count toward the obligation).
func (a Anchor) Chained() bool {
	_, _, ok := a.Reports()
	return ok
}

// FanOut names how a rule becomes obligations.
type FanOut string

// Fan-outs.
const (
	FanOutSingle FanOut = "single" // one obligation
	// FanOutPerCustomer: one per customer in scope, from the declaration
	// or the customer's entry into scope if later.
	FanOutPerCustomer FanOut = "per-customer"
	// FanOutPerController: one per controller recorded in the profile.
	FanOutPerController FanOut = "per-controller"
	// FanOutPerAuthority: one per supervisory authority where affected
	// people live, for a controller established outside the EEA; else one.
	FanOutPerAuthority FanOut = "per-authority"
	// FanOutPerEstablishment: one, to the authority of the (main) EU
	// establishment (NIS2 Art. 26, DORA home Member State).
	FanOutPerEstablishment FanOut = "per-establishment"
	// FanOutPerStateOver500: one per US state with more than 500 affected.
	FanOutPerStateOver500 FanOut = "per-state-over-500"
	// FanOutPerDetermination: one per positive determination of the
	// anchor's kind (needs a determination: anchor).
	FanOutPerDetermination FanOut = "per-determination"
)

// Verify is what a fan-out adds to its obligations' [VERIFY] notes.
func (f FanOut) Verify() string {
	if f == FanOutPerAuthority {
		return "main establishment outside the EEA: no lead authority, so every authority where data subjects live (EDPB Guidelines 9/2022 para. 73; with EU establishments that do not decide on the processing, Guidelines 8/2022 on the lead authority)"
	}
	return ""
}

// FanOuts returns every fan-out, in a new slice.
func FanOuts() []FanOut {
	return []FanOut{FanOutSingle, FanOutPerCustomer, FanOutPerController, FanOutPerAuthority, FanOutPerEstablishment, FanOutPerStateOver500, FanOutPerDetermination}
}

// Trigger names the condition of an Exception: when it holds, the law
// removes the duty. The plain triggers are the constants below; the
// determination triggers are built by TriggerNegative and TriggerPositive.
type Trigger string

// Plain triggers.
const (
	TriggerDismissed                 = Trigger("dismissed")                   // classified false-positive or out-of-scope
	TriggerDismissedAfterDeclaration = Trigger("dismissed-after-declaration") // reclassified after the declaration
	TriggerRiskUnlikely              = Trigger("risk-unlikely")               // risk determined unlikely
	TriggerRiskNotHigh               = Trigger("risk-not-high")               // risk no longer high
	TriggerArt34Exception            = Trigger("art34-exception")             // an Art. 34(3) exception recorded
	TriggerDORAApplies               = Trigger("dora-applies")                // DORA's reporting applies instead (NIS2 Art. 4)
)

const (
	triggerNegative = "negative:" // negative:KIND: KIND determined negative
	triggerPositive = "positive:" // positive:KIND: KIND determined positive
)

// TriggerNegative holds when kind is (last) determined negative.
func TriggerNegative(kind DeterminationKind) Trigger { return Trigger(triggerNegative + string(kind)) }

// TriggerPositive holds when kind is (last) determined positive.
func TriggerPositive(kind DeterminationKind) Trigger { return Trigger(triggerPositive + string(kind)) }

// Determination returns the kind of a negative: or positive: trigger and
// the determination it waits for.
func (t Trigger) Determination() (kind DeterminationKind, positive, ok bool) {
	if k, ok := strings.CutPrefix(string(t), triggerNegative); ok {
		return DeterminationKind(k), false, true
	}
	if k, ok := strings.CutPrefix(string(t), triggerPositive); ok {
		return DeterminationKind(k), true, true
	}
	return "", false, false
}

// HoldMode says how a running hold moves a due time.
type HoldMode string

// Hold modes.
const (
	// HoldPause (the default, also written ""): the clock stops while held.
	HoldPause HoldMode = "pause"
	// HoldExtend: due no earlier than the hold's end (SEC Item 1.05(c)).
	HoldExtend HoldMode = "extend"
)

// PeriodEnd is a rule's period convention: where a period counted in
// months ends. (Days and business days always end at the end of their last
// day in the calendar's zone; hours are elapsed time.)
type PeriodEnd bool

// Period conventions.
const (
	// EndAtInstant: the period ends at the anchor's wall-clock time on the
	// same date N months on.
	EndAtInstant PeriodEnd = false
	// EndOfDayLocal: the period ends at the end of that day in the
	// calendar's zone.
	EndOfDayLocal PeriodEnd = true
)

// ruleSettings are the ledger settings a rule may take its period from
// (Rule.Setting; their values are durations).
func ruleSettings() []string { return []string{"customer-notice-window", "art34-target"} }
