package domain

import (
	"slices"
	"strings"
)

// The values a reader or writer may name by word (a regime, a rule, a rule
// pack, a status) come from the shipped packs and the status vocabulary.
// A value that names none of them is a usage error that lists the valid
// ones (exit 2): a typo in a cron job's "deadlines --regime" must fail
// loudly, not print "none".

// Regimes lists the regime of every rule of every shipped pack, each once,
// in the packs' order.
func Regimes() []string {
	var out []string
	for _, p := range Packs() {
		for _, r := range p.Rules {
			if !slices.Contains(out, r.Regime) {
				out = append(out, r.Regime)
			}
		}
	}
	return out
}

// RuleIDs lists the ID of every rule of every shipped pack, each once, in
// the packs' order.
func RuleIDs() []string {
	var out []string
	for _, p := range Packs() {
		for _, r := range p.Rules {
			if !slices.Contains(out, r.ID) {
				out = append(out, r.ID)
			}
		}
	}
	return out
}

// RegimeMatches reports whether the regime filter value v (deadlines
// --regime) selects an obligation of the given regime and rule: the regime's
// name or the rule's ID in any case, or the start of the rule's ID before a
// "-" ("gdpr" selects gdpr-art33 and gdpr-art34, "nis2-notification" also
// nis2-notification-tsp).
func RegimeMatches(v, regime, rule string) bool {
	v = strings.TrimSpace(v)
	return strings.EqualFold(regime, v) || strings.EqualFold(rule, v) || strings.HasPrefix(strings.ToLower(rule), strings.ToLower(v)+"-")
}

// UnknownRegime returns nil when the regime filter value v can select an
// obligation of some rule of some shipped pack (RegimeMatches), else the
// field error naming the valid regimes and rule IDs, the nearest first.
func UnknownRegime(field, v string) *FieldError {
	for _, p := range Packs() {
		for _, r := range p.Rules {
			if RegimeMatches(v, r.Regime, r.ID) {
				return nil
			}
		}
	}
	regimes, rules := Regimes(), RuleIDs()
	problem := "unknown regime or rule; "
	if s := DidYouMean(v, append(append([]string{}, regimes...), rules...)); s != "" {
		problem += s + " "
	}
	problem += "valid regimes: " + strings.Join(regimes, ", ") +
		`; or a rule ID, or its start before a "-" (gdpr for gdpr-art33 and gdpr-art34): ` + strings.Join(rules, ", ")
	return &FieldError{Field: field, Value: v, Problem: problem}
}

// UnknownPack returns nil when v is the version of a shipped rule pack,
// else the field error listing the versions, the nearest first.
func UnknownPack(field, v string) *FieldError {
	if _, ok := PackByVersion(v); ok {
		return nil
	}
	problem := "unknown rule pack"
	if s := DidYouMean(v, PackVersions()); s != "" {
		problem += "; " + s
	}
	return &FieldError{Field: field, Value: v, Problem: problem, Allowed: PackVersions()}
}

// ParseStatus parses an obligation status word (pending, due-soon,
// overdue, met, met-late, held, waived).
func ParseStatus(s string) (Status, error) { return parseEnum("status", s, Statuses()) }

// noSuchObligation is the not-found error (exit 3) for an obligation ID
// the incident does not hold (notify --for, hold --obligation), naming the
// ones it holds, the nearest first; with rules, an obligation's rule ID
// would have done too.
func noSuchObligation(id string, obs []Obligation, rules bool) *NotFoundError {
	if len(obs) == 0 {
		return &NotFoundError{What: "obligation", ID: id, Hint: `this incident has no obligations running ("breachledger deadlines INCIDENT" lists its clocks)`}
	}
	ids := obligationIDs(obs)
	candidates := ids
	if rules {
		candidates = append([]string{}, ids...)
		for _, o := range obs {
			if !slices.Contains(candidates, o.Rule) {
				candidates = append(candidates, o.Rule)
			}
		}
	}
	hint := "obligations of this incident: " + strings.Join(ids, ", ")
	if rules {
		hint += " (or their rule IDs)"
	}
	if s := DidYouMean(id, candidates); s != "" {
		hint = s + " " + hint
	}
	return &NotFoundError{What: "obligation", ID: id, Hint: hint}
}
