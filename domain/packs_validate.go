package domain

import (
	"errors"
	"fmt"
	"slices"
)

// Validate checks that every rule of the pack names only what the engine
// implements: a known anchor (a report: anchor names an earlier rule of the
// pack), unit, period convention, setting, trigger, fan-out, hold kind and
// mode, phase, recipient, role and entity type; that every rule has an ID
// (once), a regime, a citation and a summary. It returns every problem at
// once, each naming the rule and what to write instead. Every shipped pack
// passes it (TestShippedPacksValidate), so the engine never meets a value
// it does not know.
func (p Pack) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.Version == "" {
		bad("pack has no version: give it the next version (e.g. 2027.1)")
	}
	if p.Released.IsZero() {
		bad("pack has no release date: set Released to the day it is published")
	}
	if len(p.Rules) == 0 {
		bad("pack has no rules: a pack lists every rule it evaluates")
	}
	var earlier []string // rule IDs defined before the rule being checked
	for i, r := range p.Rules {
		name := r.ID
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
			bad("rule %s: empty ID: give every rule a unique ID (e.g. gdpr-art33)", name)
		} else if slices.Contains(earlier, r.ID) {
			bad("rule %s: duplicate rule ID: a pack has each rule once; give the second one its own ID", name)
		}
		for _, err := range r.validate(earlier) {
			errs = append(errs, fmt.Errorf("rule %s: %w", name, err))
		}
		if p.checksConventions() {
			for _, err := range r.validateConventions() {
				errs = append(errs, fmt.Errorf("rule %s: %w", name, err))
			}
		}
		earlier = append(earlier, r.ID)
	}
	if p.checksConventions() {
		errs = append(errs, p.validateMonthRules()...)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("validate pack %s: %w", p.Version, err)
	}
	return nil
}

// validate returns the problems of one rule; earlier are the IDs of the
// rules before it in its pack (a report: anchor may only name those, since
// the engine evaluates rules in order).
func (r Rule) validate(earlier []string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, f := range []struct{ field, value string }{
		{"regime", r.Regime}, {"citation", r.Citation}, {"summary", r.Summary}, {"who", r.Who}, {"whom", r.Whom},
	} {
		if f.value == "" {
			bad("empty %s: every rule says its %s (an auditor reads it beside each obligation)", f.field, f.field)
		}
	}
	if !slices.Contains(RecipientKinds(), r.Recipient) {
		bad("unknown recipient %q: use one of %v", r.Recipient, RecipientKinds())
	}
	if err := validAnchor(r.Anchor, earlier); err != nil {
		bad("anchor: %w", err)
	}
	if err := validPeriod(r.Period); err != nil {
		bad("period: %w", err)
	}
	if r.Setting != "" {
		if !slices.Contains(ruleSettings(), r.Setting) {
			bad("unknown setting %q: use one of %v, or none (the Period then applies)", r.Setting, ruleSettings())
		} else if r.Period.Unit != UnitHours {
			bad("setting %q with a period in %s: a setting is a duration, so its default Period is in hours", r.Setting, r.Period.Unit)
		}
	}
	switch {
	case r.Limit == nil && r.LimitAnchor != "":
		bad("limit anchor %q without a limit: set Limit, or drop LimitAnchor", r.LimitAnchor)
	case r.Limit != nil && r.LimitAnchor == "":
		bad("limit %s without a limit anchor: set LimitAnchor (e.g. AnchorAwareness)", *r.Limit)
	case r.Limit != nil:
		if err := validPeriod(*r.Limit); err != nil {
			bad("limit: %w", err)
		}
		if err := validAnchor(r.LimitAnchor, nil); err != nil {
			bad("limit anchor: %w", err)
		} else if r.LimitAnchor.Chained() {
			bad("limit anchor %q: a limit counts from a fact of the incident, not from an earlier report", r.LimitAnchor)
		}
	}
	if r.EndOfDay == EndOfDayLocal && r.Period.Unit != UnitMonths {
		bad("end_of_day with a period in %s: the convention applies to months only (days always end at the end of the day, hours never)", r.Period.Unit)
	}
	if !slices.Contains([]Rollover{RollNone, RollNextWorkingDay, RollNoonNextWorkingDay}, r.Rollover) {
		bad("unknown roll-over %q: use %q, %q or none", r.Rollover, RollNextWorkingDay, RollNoonNextWorkingDay)
	}
	if r.Rollover == RollNone && len(r.RolloverExcept) > 0 {
		bad("rollover_except without a roll-over: set Rollover, or drop RolloverExcept")
	}
	for _, t := range r.RolloverExcept {
		if !slices.Contains(EntityTypes(), t) {
			bad("rollover_except: unknown entity type %q: use one of %v", t, EntityTypes())
		}
	}
	if r.Phase != "" && !slices.Contains(Phases(), r.Phase) {
		bad("unknown phase %q: use one of %v", r.Phase, Phases())
	}
	for _, ph := range r.Accepts {
		if !slices.Contains(Phases(), ph) {
			bad("accepts: unknown phase %q: use one of %v", ph, Phases())
		}
	}
	if !slices.Contains(FanOuts(), r.FanOut) {
		bad("unknown fan-out %q: use one of %v", r.FanOut, FanOuts())
	}
	if _, ok := r.Anchor.Determination(); r.FanOut == FanOutPerDetermination && !ok {
		bad("fan-out %s with anchor %q: one obligation per determination needs a determination anchor (AnchorDetermination)", r.FanOut, r.Anchor)
	}
	if r.FanOut == FanOutPerCustomer && r.Anchor != AnchorDeclaration {
		bad("fan-out %s with anchor %q: customer notices count from the declaration (or the customer's entry into scope); use AnchorDeclaration", r.FanOut, r.Anchor)
	}
	errs = append(errs, r.Applies.validate()...)
	for _, x := range r.Exceptions {
		if err := validTrigger(x.When); err != nil {
			bad("exception: %w", err)
		}
		if x.Citation == "" {
			bad("exception %q: empty citation: say which provision removes the duty (it is the waived obligation's reason)", x.When)
		}
	}
	for _, h := range r.Holds {
		if !slices.Contains(HoldKinds(), h) {
			bad("unknown hold kind %q: use one of %v", h, HoldKinds())
		}
	}
	switch r.HoldMode {
	case "", HoldPause, HoldExtend:
	default:
		bad("unknown hold mode %q: use %q (the default) or %q", r.HoldMode, HoldPause, HoldExtend)
	}
	if r.HoldMode != "" && len(r.Holds) == 0 {
		bad("hold mode %q without holds: list the hold kinds in Holds, or drop HoldMode", r.HoldMode)
	}
	errs = append(errs, r.validateTyped()...)
	if !r.Effective.IsZero() && !r.Until.IsZero() && !r.Until.After(r.Effective) {
		bad("until %s is not after effective %s: the rule would never apply", stamp(r.Until), stamp(r.Effective))
	}
	return errs
}

// validate returns the problems of an applicability.
func (a Applicability) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, role := range a.Roles {
		if !slices.Contains(DataRoles(), role) {
			bad("applies: unknown role %q: use one of %v", role, DataRoles())
		}
	}
	for _, t := range slices.Concat(a.EntityTypes, a.NotEntityTypes) {
		if !slices.Contains(EntityTypes(), t) {
			bad("applies: unknown entity type %q: use one of %v", t, EntityTypes())
		}
	}
	for _, t := range a.NotEntityTypes {
		if slices.Contains(a.EntityTypes, t) {
			bad("applies: entity type %q both required and excluded: the rule would never apply", t)
		}
	}
	for _, j := range a.Jurisdictions {
		if normalizeJurisdiction(j) == "" {
			bad("applies: empty jurisdiction: give an ISO 3166 code, \"EEA\" or \"US\"")
		}
	}
	if a.IfNoJurisdictions && len(a.Jurisdictions) == 0 {
		bad("applies: if_no_jurisdictions without jurisdictions: it only widens a jurisdiction condition; drop it")
	}
	if a.MinAffected < 0 || a.BelowAffected < 0 {
		bad("applies: negative threshold (min %d, below %d): thresholds count people", a.MinAffected, a.BelowAffected)
	}
	if a.CountIn != "" && a.MinAffected == 0 && a.BelowAffected == 0 {
		bad("applies: count_in %q without a threshold: set MinAffected or BelowAffected, or drop CountIn", a.CountIn)
	}
	return errs
}

// validAnchor checks an anchor; earlier are the rule IDs a report: anchor
// may name.
func validAnchor(a Anchor, earlier []string) error {
	switch a {
	case AnchorAwareness, AnchorDeclaration, AnchorHighRisk:
		return nil
	case "":
		return fmt.Errorf("empty anchor: say what starts the clock (AnchorAwareness, AnchorDetermination(kind), ...)")
	}
	if k, ok := a.Determination(); ok {
		if !slices.Contains(DeterminationKinds(), k) {
			return fmt.Errorf("unknown determination kind %q in %q: use one of %v", k, a, DeterminationKinds())
		}
		return nil
	}
	if rules, _, ok := a.Reports(); ok {
		for _, id := range rules {
			if !slices.Contains(earlier, id) {
				return fmt.Errorf("%q names rule %q, which is not an earlier rule of the pack: a report anchor counts from a notice that met an earlier rule's obligation", a, id)
			}
		}
		return nil
	}
	if in, ok := a.YearEnd(); ok {
		if _, nested := in.YearEnd(); nested || in.Chained() {
			return fmt.Errorf("%q: a year-end anchor wraps a fact of the incident (AnchorYearEnd(AnchorDetermination(kind)))", a)
		}
		return validAnchor(in, earlier)
	}
	return fmt.Errorf("unknown anchor %q: use %q, %q, %q or AnchorDetermination, AnchorReport, AnchorLatestReport, AnchorYearEnd", a, AnchorAwareness, AnchorDeclaration, AnchorHighRisk)
}

// validTrigger checks an exception's trigger.
func validTrigger(t Trigger) error {
	switch t {
	case TriggerDismissed, TriggerDismissedAfterDeclaration, TriggerRiskUnlikely, TriggerRiskNotHigh, TriggerArt34Exception, TriggerDORAApplies:
		return nil
	}
	if k, _, ok := t.Determination(); ok {
		if !slices.Contains(DeterminationKinds(), k) {
			return fmt.Errorf("unknown determination kind %q in trigger %q: use one of %v", k, t, DeterminationKinds())
		}
		return nil
	}
	return fmt.Errorf("unknown trigger %q: use a Trigger constant, TriggerNegative(kind) or TriggerPositive(kind)", t)
}

// validPeriod checks a period's unit and length.
func validPeriod(p Period) error {
	switch p.Unit {
	case UnitHours, UnitCalendarDays, UnitBusinessDays, UnitMonths:
	default:
		return fmt.Errorf("unknown unit %q: use %q, %q, %q or %q", p.Unit, UnitHours, UnitCalendarDays, UnitBusinessDays, UnitMonths)
	}
	if p.N <= 0 {
		return fmt.Errorf("length %d %s: a period is at least 1", p.N, p.Unit)
	}
	return nil
}

// validateTyped checks the typed conventions a rule sets (any pack may set
// them; packs from 2026.2 on must, validateConventions).
func (r Rule) validateTyped() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch r.LimitPassed {
	case LimitPassedApplies:
	case LimitPassedLapses:
		if r.Limit == nil {
			bad("limit_passed %q without a limit: drop it, or set Limit and LimitAnchor", r.LimitPassed)
		}
	default:
		bad("unknown limit_passed %q: use %q or none", r.LimitPassed, LimitPassedLapses)
	}
	if m := r.Months; m != nil {
		if r.Period.Unit != UnitMonths {
			bad("months convention with a period in %s: it states how months are counted", r.Period.Unit)
		}
		if r.EndOfDay != EndAtInstant {
			bad("both end_of_day and a months convention: the convention says where the month ends; drop end_of_day")
		}
		if m.Zone != ZoneAuthority {
			bad("months convention: unknown zone %q: use %q", m.Zone, ZoneAuthority)
		}
		switch {
		case m.Closed != ClosedStays && m.Closed != ClosedRollsOver:
			bad("months convention: unknown closed_day %q: use %q or %q", m.Closed, ClosedStays, ClosedRollsOver)
		case m.Closed == ClosedRollsOver && r.Rollover == RollNone:
			bad("months convention: closed_day %q without a roll-over: set Rollover, or use %q", m.Closed, ClosedStays)
		case m.Closed == ClosedStays && r.Rollover != RollNone:
			bad("months convention: closed_day %q with roll-over %q: use %q", m.Closed, r.Rollover, ClosedRollsOver)
		}
		if m.Basis == "" {
			bad("months convention without a basis: cite the provision it follows")
		}
	}
	if f := r.FilingDay; f != nil {
		if _, _, err := f.cutoff(); err != nil {
			bad("%w", err)
		}
		if f.Citation == "" {
			bad("filing day without a citation: cite the filing system's rule")
		}
		if !r.Recipient.IsAuthority() {
			bad("filing day for recipient %q: only filings with an authority or a public filing system have one", r.Recipient)
		}
	}
	for _, sc := range r.Scaled {
		if sc.Factor < 2 || len(sc.For) == 0 || sc.Citation == "" {
			bad("scaling %+v: give entity types, a factor of 2 or more and a citation", sc)
		}
		for _, t := range sc.For {
			if !slices.Contains(EntityTypes(), t) {
				bad("scaling: unknown entity type %q: use one of %v", t, EntityTypes())
			}
		}
		if r.Setting != "" {
			bad("scaling with setting %q: a setting's window is not scaled; drop one", r.Setting)
		}
	}
	if len(r.OutsideEEAIf) > 0 && r.FanOut != FanOutPerAuthority {
		bad("outside_eea_if with fan-out %s: it marks a controller outside the EEA for the per-authority fan-out only", r.FanOut)
	}
	for _, t := range r.OutsideEEAIf {
		if !slices.Contains(EntityTypes(), t) {
			bad("outside_eea_if: unknown entity type %q: use one of %v", t, EntityTypes())
		}
	}
	return errs
}

// validateConventions holds a rule of a pack from 2026.2 on to the typed
// conventions: a period in months states its convention, a second limb
// says what it means once passed.
func (r Rule) validateConventions() []error {
	var errs []error
	if r.Period.Unit == UnitMonths && r.Months == nil {
		errs = append(errs, fmt.Errorf("a period in months without a months convention: state where it ends, on whose clock, what a closed last day does and why (MonthConvention)"))
	}
	if r.Limit != nil && r.LimitPassed == LimitPassedApplies {
		errs = append(errs, fmt.Errorf("a limit without limit_passed: say what the limb means when it has passed by the anchor (LimitPassedLapses), or a due time can fall before its trigger"))
	}
	return errs
}

// validateMonthRules checks that two month rules of the pack that count
// differently each say why.
func (p Pack) validateMonthRules() []error {
	var errs []error
	for i, a := range p.Rules {
		for _, b := range p.Rules[i+1:] {
			if a.Months == nil || b.Months == nil {
				continue
			}
			ca, cb := *a.Months, *b.Months
			if ca.EndOfDay == cb.EndOfDay && ca.Zone == cb.Zone && ca.Closed == cb.Closed {
				continue
			}
			for _, r := range []Rule{a, b} {
				if r.Months.Why == "" {
					errs = append(errs, fmt.Errorf("rule %s: counts months unlike rule %s and does not say why: set MonthConvention.Why", r.ID, map[bool]string{true: b.ID, false: a.ID}[r.ID == a.ID]))
				}
			}
		}
	}
	return errs
}
