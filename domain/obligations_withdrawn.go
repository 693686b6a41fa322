package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// An obligation's trigger is withdrawn when a later fact narrows what the
// rules read: a customer or a jurisdiction taken out of scope, an affected
// count lowered or removed, an entity type, establishment or controller
// taken out of the profile; or the first jurisdiction recorded, which ends
// the rules that apply while none is (Applicability.IfNoJurisdictions: a
// GDPR clock that ran until the incident turned out to touch only
// California). The rule then no longer derives the obligation
// (customer-notice/contoso once contoso is out of scope), but the duty
// existed: it stays in every reader as waived, "trigger withdrawn by
// EVENT (what it withdrew)", or met when a notice had met it. Withdrawals
// are found by deriving the obligations on the state just before and just
// after each narrowing fact; only incidents with a narrowing fact pay for
// it.

// change is one thing a narrowing fact took out.
type change struct {
	kind  string // customer, jurisdiction, controller, entity-type, subjects
	value string
	text  string
}

// narrowed follows the last scope, affected counts and profile of a fold,
// to tell what each new one takes out.
type narrowed struct {
	pack     *Pack // whose rules that apply while no jurisdiction is recorded may end
	scope    *ScopeRecorded
	affected *AffectedRecorded
	profile  *EntityProfiled
}

// next returns what f takes out of the facts before it (nil when f
// narrows nothing), and moves past f.
func (n *narrowed) next(f Fact) (out []change) {
	switch f.Event.(type) {
	case ScopeRecorded, AffectedRecorded, EntityProfiled:
	default:
		return nil // the other facts narrow nothing the rules read here
	}
	if len(n.jurisdictions()) == 0 {
		defer func() {
			if js := n.jurisdictions(); len(js) > 0 && n.endsNoJurisdictionRule(js) {
				out = append(out, change{kind: "first-jurisdiction", text: "jurisdictions first recorded: " + strings.Join(js, ", ")})
			}
		}()
	}
	removed := func(kind string, before, after []string, format string) {
		for _, v := range before {
			if !slices.ContainsFunc(after, func(a string) bool { return strings.EqualFold(a, v) }) {
				out = append(out, change{kind: kind, value: v, text: fmt.Sprintf(format, v)})
			}
		}
	}
	switch e := f.Event.(type) {
	case ScopeRecorded:
		if p := n.scope; p != nil {
			removed("customer", p.Customers, e.Customers, "customer %s removed from scope")
			removed("jurisdiction", p.Jurisdictions, e.Jurisdictions, "jurisdiction %s removed from scope")
			if e.Subjects < p.Subjects {
				out = append(out, change{kind: "subjects", text: fmt.Sprintf("data subjects in scope lowered from %d to %d", p.Subjects, e.Subjects)})
			}
		}
		n.scope = &e
	case AffectedRecorded:
		if p := n.affected; p != nil {
			for _, c := range p.Counts {
				if c.Count <= 0 {
					continue
				}
				i := slices.IndexFunc(e.Counts, func(d AffectedCount) bool { return strings.EqualFold(d.Jurisdiction, c.Jurisdiction) })
				switch {
				case i < 0 || e.Counts[i].Count == 0:
					out = append(out, change{kind: "jurisdiction", value: c.Jurisdiction, text: fmt.Sprintf("affected count for %s removed", c.Jurisdiction)})
				case e.Counts[i].Count < c.Count:
					out = append(out, change{kind: "jurisdiction", value: c.Jurisdiction,
						text: fmt.Sprintf("people affected in %s lowered from %d to %d", c.Jurisdiction, c.Count, e.Counts[i].Count)})
				}
			}
		}
		n.affected = &e
	case EntityProfiled:
		if p := n.profile; p != nil {
			removed("entity-type", names(p.EntityTypes), names(e.EntityTypes), "entity type %s removed from the profile")
			removed("jurisdiction", p.Establishments, e.Establishments, "establishment %s removed from the profile")
			removed("controller", p.Controllers, e.Controllers, "controller %s removed from the profile")
		}
		n.profile = &e
	}
	return out
}

// endsNoJurisdictionRule reports whether a rule of the pack that applies
// while no jurisdiction is recorded does not apply to js.
func (n *narrowed) endsNoJurisdictionRule(js []string) bool {
	if n.pack == nil {
		return false
	}
	return slices.ContainsFunc(n.pack.Rules, func(r Rule) bool {
		return r.Applies.IfNoJurisdictions && !slices.ContainsFunc(r.Applies.Jurisdictions, func(j string) bool { return touches(js, j) })
	})
}

// jurisdictions are the jurisdictions the facts so far record, as
// touchedJurisdictions reads them.
func (n *narrowed) jurisdictions() []string {
	var scope []string
	if n.scope != nil {
		scope = n.scope.Jurisdictions
	}
	return recordedJurisdictions(scope, n.affected, n.profile)
}

// narrowing reports whether any fact of facts narrows an earlier one
// under pack p.
func narrowing(facts []Fact, p *Pack) bool {
	n := narrowed{pack: p}
	for _, f := range facts {
		if len(n.next(f)) > 0 {
			return true
		}
	}
	return false
}

// withdrawn returns the obligations of inc under pack p whose trigger a
// narrowing fact withdrew and that current (the obligations derived now)
// no longer holds, evaluated at asOf: met if a notice met them, else
// waived — with the law's own exception as the reason when it has one
// (a dismissed incident), else "trigger withdrawn by EVENT (...)".
func withdrawn(inc *Incident, s Settings, asOf time.Time, p *Pack, current []Obligation) []Obligation {
	if len(inc.Facts) < 2 || !narrowing(inc.Facts, p) {
		return nil
	}
	type gone struct {
		o       Obligation
		by      string
		ref     Ref // the withdrawing fact
		changes []change
	}
	found := map[string]gone{}
	var order []string
	var st Incident // the incident folded up to the fact at hand
	n := narrowed{pack: p}
	for _, f := range inc.Facts {
		cs := n.next(f)
		if len(cs) == 0 || !st.Exists {
			st.apply(f)
			continue
		}
		before := deriveAll(&st, s, p)
		st.apply(f)
		after := deriveAll(&st, s, p)
		for _, o := range before {
			if slices.ContainsFunc(after, func(a Obligation) bool { return a.ID == o.ID }) {
				continue
			}
			if _, seen := found[o.ID]; !seen {
				order = append(order, o.ID)
			}
			found[o.ID] = gone{o: o, by: f.ID, ref: f.ref(), changes: cs} // the latest withdrawal counts
		}
	}
	var out []Obligation
	for _, id := range order {
		g := found[id]
		if slices.ContainsFunc(current, func(o Obligation) bool { return o.ID == id || replaces(o, g.o) }) {
			continue // the trigger came back (the customer is in scope again), or another instance took over
		}
		o := g.o
		o.Pack, o.WithdrawnBy = p.Version, g.by
		if o.waived, o.waivedBy = exceptionBy(inc, o.rule); o.waived == "" {
			o.waived, o.waivedBy = fmt.Sprintf("trigger withdrawn by %s (%s)", g.by, describeChanges(o, g.changes)), g.ref
		}
		evaluate(&o, inc, s, asOf)
		out = append(out, o)
	}
	return out
}

// replaces reports whether o, of the same rule as gone, took its place
// rather than standing beside it: one obligation of the rule (gdpr-art33,
// to the lead authority) replaced by one per instance (gdpr-art33/DE, one
// per authority, once the main establishment is known to be outside the
// EEA), or the other way round. One instance beside another
// (customer-notice/fabrikam beside customer-notice/contoso) replaces
// nothing.
func replaces(o, gone Obligation) bool {
	return o.Rule == gone.Rule && (o.ID == o.Rule) != (gone.ID == gone.Rule)
}

// deriveAll derives every obligation of inc under p, unevaluated.
func deriveAll(inc *Incident, s Settings, p *Pack) []Obligation {
	var out []Obligation
	done := map[string][]Obligation{}
	for i := range p.Rules {
		r := &p.Rules[i]
		obs := derive(inc, s, r, done)
		done[r.ID] = append(done[r.ID], obs...)
		out = append(out, obs...)
	}
	return out
}

// describeChanges says what withdrew o: the changes about o's own
// customer, controller, jurisdiction or entity type, else all of them.
func describeChanges(o Obligation, cs []change) string {
	var texts []string
	for _, c := range cs {
		var mine bool
		switch c.kind {
		case "customer":
			mine = o.Customer != "" && strings.EqualFold(o.Customer, c.value)
		case "controller":
			mine = o.Controller != "" && strings.EqualFold(o.Controller, c.value)
		case "jurisdiction":
			j := normalizeJurisdiction(c.value)
			mine = (o.Jurisdiction != "" && normalizeJurisdiction(o.Jurisdiction) == j) ||
				(o.rule != nil && (slices.Contains(o.rule.Applies.Jurisdictions, j) || o.rule.Applies.CountIn == j))
		case "entity-type":
			mine = o.rule != nil && slices.Contains(o.rule.Applies.EntityTypes, EntityType(c.value))
		}
		if mine {
			texts = append(texts, c.text)
		}
	}
	if len(texts) == 0 {
		for _, c := range cs {
			texts = append(texts, c.text)
		}
	}
	return strings.Join(texts, "; ")
}
