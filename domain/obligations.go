package domain

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Status is where an obligation stands at an instant.
type Status string

// Obligation statuses, the same words everywhere.
const (
	StatusPending = Status("pending")  // open, not yet due soon
	StatusDueSoon = Status("due-soon") // open, due within the due-soon window
	StatusOverdue = Status("overdue")  // open, past its due time
	StatusMet     = Status("met")      // satisfied at or before its due time
	StatusMetLate = Status("met-late") // satisfied after its due time (Reason says why)
	StatusHeld    = Status("held")     // an approved exception or hold is running
	StatusWaived  = Status("waived")   // an approved exception, the law's own exception or a withdrawn trigger removed the duty
)

// Statuses returns every status, in a new slice.
func Statuses() []Status {
	return []Status{StatusPending, StatusDueSoon, StatusOverdue, StatusMet, StatusMetLate, StatusHeld, StatusWaived}
}

// Open reports whether the obligation still asks for something.
func (s Status) Open() bool {
	return s == StatusPending || s == StatusDueSoon || s == StatusOverdue || s == StatusHeld
}

// Obligation is one notification duty of one incident, evaluated at an
// instant: when it is due, by which rule of which pack, and where it stands.
type Obligation struct {
	ID           string        `json:"obligation"` // unique within the incident, e.g. "customer-notice/contoso", "gdpr-art33/FR"
	Rule         string        `json:"rule"`
	Regime       string        `json:"regime"`
	Citation     string        `json:"citation"`
	Verify       string        `json:"verify,omitempty"` // [VERIFY]: what is still to be checked against the official text
	Pack         string        `json:"pack"`             // the rule pack it was computed under
	Recipient    RecipientKind `json:"recipient"`
	Whom         string        `json:"whom"`
	Customer     string        `json:"customer,omitempty"`
	Controller   string        `json:"controller,omitempty"`
	Jurisdiction string        `json:"jurisdiction,omitempty"` // the authority's (or the people's) jurisdiction
	Phase        Phase         `json:"phase,omitempty"`
	Anchor       string        `json:"anchor"`       // what starts the clock
	AnchorEvent  string        `json:"anchor_event"` // the event that started it
	AnchorAt     time.Time     `json:"anchor_at"`
	Window       string        `json:"window"`                 // the offset: "72h", "4 business days", "1 month"
	Limit        string        `json:"limit,omitempty"`        // a second limb that decided the due time, or that had passed by the anchor
	LimitLapsed  bool          `json:"limit_lapsed,omitempty"` // the limb had passed by the anchor and no longer applies (Rule.LimitPassed)
	Target       bool          `json:"target"`                 // an organisational target, not a time limit written in law
	Calendar     string        `json:"calendar"`
	TimeZone     string        `json:"time_zone"`
	DueAt        time.Time     `json:"due_at"`
	DueLocal     time.Time     `json:"due_local"`                    // DueAt in the calendar's zone
	Rolled       string        `json:"rolled,omitempty"`             // why a roll-over moved the due time
	DueUnrolled  time.Time     `json:"due_before_rollover,omitzero"` // the limit before a roll-over moved it
	Status       Status        `json:"status"`
	MetBy        string        `json:"met_by,omitempty"`
	MetAt        time.Time     `json:"met_at,omitzero"`
	// RecordedLateBy is how long after the due time the ledger learnt the
	// fact that decided the status (the notice that met it, the fact that
	// waived it), when it did so after the due time: a notice dated before
	// its due time but recorded after it is "met", and says "recorded N
	// after due"; so does a risk determination dated before the due time,
	// recorded after it, that waives it.
	RecordedLateBy string    `json:"recorded_late_by,omitempty"`
	Reason         string    `json:"reason,omitempty"` // met-late: the delay reason; waived/held: why
	HeldBy         []string  `json:"held_by,omitempty"`
	HeldUntil      time.Time `json:"held_until,omitzero"`
	DelayNotice    string    `json:"delay_notice,omitempty"` // DORA: the notice of delay sent by the limit
	AckBy          string    `json:"acknowledged_by,omitempty"`
	AckAt          time.Time `json:"acknowledged_at,omitzero"`
	AckReference   string    `json:"ack_reference,omitempty"`
	WithdrawnBy    string    `json:"withdrawn_by,omitempty"` // the event that withdrew its trigger (obligations_withdrawn.go)
	// Scaled says why the period was multiplied (a small processing agent's
	// doubled Brazilian deadlines).
	Scaled string `json:"scaled,omitempty"`
	// Filed says when a filing counts as filed, when the filing system's
	// day moved it (EDGAR after 17:30 ET); DeemedFiledAt is that instant.
	Filed         string    `json:"filed,omitempty"`
	DeemedFiledAt time.Time `json:"deemed_filed_at,omitzero"`
	// Assumed names a fact the engine had to assume: the calendar of an
	// entity with no recorded establishment.
	Assumed string `json:"assumed,omitempty"`
	// Defect marks an obligation a known defect of its pack touches, with
	// the fixing pack's reading beside it (packs_conventions.go).
	Defect *DefectReading `json:"known_defect,omitempty"`
	// Setting is the ledger setting the window came from (rules with a
	// Setting): its value in force at the anchor, and since when.
	Setting *SettingApplied `json:"setting,omitempty"`

	rule     *Rule
	waived   string // non-empty: the reason the duty was removed
	waivedBy Ref    // the fact that removed it
	chained  bool   // anchored on an earlier report: only notices after it count

	dueSoon time.Duration // the due-soon window in force at the anchor
}

// ObligationRule describes one rule of the current pack (kept for callers
// that list rules; the pack itself is CurrentPack()).
type ObligationRule struct {
	ID       string
	Regime   string
	Citation string
	Summary  string
}

// ObligationRules returns the rules of the current pack.
func ObligationRules() []ObligationRule {
	var out []ObligationRule
	for _, r := range CurrentPack().Rules {
		out = append(out, ObligationRule{ID: r.ID, Regime: r.Regime, Citation: r.Citation, Summary: r.Summary})
	}
	return out
}

// Obligations evaluates every obligation of inc at asOf under the pack the
// incident is pinned to, sorted by due time. inc must have been replayed
// with the same cut (see Replay), so that it holds only what had happened
// by asOf.
func Obligations(inc *Incident, s Settings, asOf time.Time) []Obligation {
	p, ok := PackByVersion(inc.Regulatory.PackVersion())
	if !ok {
		p = CurrentPack()
	}
	return ObligationsUnder(inc, s, asOf, &p)
}

// ObligationsUnder evaluates the obligations of inc at asOf under pack p,
// whatever pack the incident is pinned to: the reading of a newer pack
// beside the recorded one.
func ObligationsUnder(inc *Incident, s Settings, asOf time.Time, p *Pack) []Obligation {
	if !inc.Exists {
		return nil
	}
	s = s.For(inc) // a closed incident keeps the settings it was closed under (settings_history.go)
	var out []Obligation
	done := map[string][]Obligation{} // rule ID → its obligations, for chained anchors
	for i := range p.Rules {
		rule := &p.Rules[i]
		for _, o := range derive(inc, s, rule, done) {
			o.Pack = p.Version
			evaluate(&o, inc, s, asOf)
			done[rule.ID] = append(done[rule.ID], o)
			out = append(out, o)
		}
	}
	out = append(out, withdrawn(inc, s, asOf, p, out)...)
	markDefects(inc, s, asOf, p, out)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].DueAt.Equal(out[j].DueAt) {
			return out[i].DueAt.Before(out[j].DueAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Next returns the open obligation due first, if any.
func Next(obs []Obligation) (Obligation, bool) {
	for _, o := range obs {
		if o.Status.Open() {
			return o, true
		}
	}
	return Obligation{}, false
}

// anchor is where a clock starts.
type anchor struct {
	label string
	event string
	at    time.Time
}

// instance is one obligation a rule fans out to, before evaluation.
type instance struct {
	key          string // customer, controller, jurisdiction or determination number; "" for single
	jurisdiction string
	customer     string
	controller   string
	anchor       anchor
	verify       string // what this instance adds to the rule's [VERIFY]
}

// derive turns one rule into the obligations it creates for inc.
func derive(inc *Incident, s Settings, r *Rule, done map[string][]Obligation) []Obligation {
	if !applies(inc, r) {
		return nil
	}
	var out []Obligation
	for _, in := range fanOut(inc, r, done) {
		if (!r.Effective.IsZero() && in.anchor.at.Before(r.Effective)) || (!r.Until.IsZero() && !in.anchor.at.Before(r.Until)) {
			continue
		}
		o := Obligation{
			ID: r.ID, Rule: r.ID, Regime: r.Regime, Citation: r.Citation, Verify: joinNonEmpty(r.Verify, in.verify),
			Recipient: r.Recipient, Whom: r.Whom, Customer: in.customer, Controller: in.controller, Jurisdiction: in.jurisdiction,
			Phase: r.Phase, Anchor: in.anchor.label, AnchorEvent: in.anchor.event, AnchorAt: in.anchor.at, Target: r.Target,
			rule: r, chained: r.Anchor.Chained(),
		}
		if in.key != "" {
			o.ID = r.ID + "/" + in.key
		}
		if r.Recipient.IsCustomer() {
			o.Recipient = RecipientSecurityContacts
		}
		o.waived, o.waivedBy = exceptionBy(inc, r)
		out = append(out, o)
	}
	return out
}

// applies checks a rule's applicability against the incident's facts.
func applies(inc *Incident, r *Rule) bool {
	a := r.Applies
	g := &inc.Regulatory
	if len(a.Roles) > 0 && (inc.Detection == nil || !slices.Contains(a.Roles, inc.Detection.Role)) {
		return false
	}
	if a.PersonalData && !everPersonalData(inc) {
		return false
	}
	if a.Declared && inc.Declaration == nil {
		return false
	}
	if len(a.EntityTypes) > 0 && !g.HasEntityType(a.EntityTypes...) {
		return false
	}
	if len(a.NotEntityTypes) > 0 && g.HasEntityType(a.NotEntityTypes...) {
		return false
	}
	if r.ID == "nis2-notification" && g.HasEntityType(EntityTrustService) {
		return false // a trust service provider's notification is nis2-notification-tsp (24 h)
	}
	if len(a.Jurisdictions) > 0 {
		touched := touchedJurisdictions(inc)
		if len(touched) == 0 {
			if !a.IfNoJurisdictions {
				return false
			}
		} else if !slices.ContainsFunc(a.Jurisdictions, func(j string) bool { return touches(touched, j) }) {
			return false
		}
	}
	if a.MinAffected > 0 && affectedIn(inc, a.CountIn) < a.MinAffected {
		return false
	}
	if a.BelowAffected > 0 && affectedIn(inc, a.CountIn) >= a.BelowAffected {
		return false
	}
	return true
}

// touchedJurisdictions are the jurisdictions an incident touches: where
// affected people live (scope and counts) and where the organisation is
// established, sorted and without duplicates.
func touchedJurisdictions(inc *Incident) []string {
	g := &inc.Regulatory
	var affected *AffectedRecorded
	if g.Affected != nil {
		affected = &g.Affected.AffectedRecorded
	}
	var profile *EntityProfiled
	if g.Profile != nil {
		profile = &g.Profile.EntityProfiled
	}
	return recordedJurisdictions(inc.Scope.Jurisdictions, affected, profile)
}

// recordedJurisdictions are the jurisdictions a scope, affected counts
// (those above zero) and a profile's establishments record, normalized,
// sorted and without duplicates (nil facts record none).
func recordedJurisdictions(scope []string, affected *AffectedRecorded, profile *EntityProfiled) []string {
	var out []string
	add := func(j string) {
		if j = normalizeJurisdiction(j); j != "" && !slices.Contains(out, j) {
			out = append(out, j)
		}
	}
	for _, j := range scope {
		add(j)
	}
	if affected != nil {
		for _, c := range affected.Counts {
			if c.Count > 0 {
				add(c.Jurisdiction)
			}
		}
	}
	if profile != nil {
		for _, j := range profile.Establishments {
			add(j)
		}
	}
	sort.Strings(out)
	return out
}

// touches reports whether j (a rule's jurisdiction: a code, "EEA" or "US")
// is among the touched jurisdictions.
func touches(touched []string, j string) bool {
	return slices.ContainsFunc(touched, func(t string) bool {
		switch j {
		case "EEA":
			return IsEEA(t)
		case "US":
			return t == "US" || strings.HasPrefix(t, "US-")
		}
		return t == j
	})
}

// eea are the EEA states: the 27 EU Member States, Iceland, Liechtenstein
// and Norway (ISO 3166-1 alpha-2; Greece is GR).
func eea() []string {
	return []string{"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"}
}

// IsEEA reports whether a jurisdiction is (in) an EEA state.
func IsEEA(j string) bool {
	country, _, _ := strings.Cut(normalizeJurisdiction(j), "-")
	return country == "EU" || country == "EEA" || slices.Contains(eea(), country)
}

// affectedIn sums the affected counts of a jurisdiction ("US": the US and
// every US state; "": all). Without counts it falls back to the scope's
// approximate number of data subjects for "".
func affectedIn(inc *Incident, in string) int64 {
	g := &inc.Regulatory
	if g.Affected == nil {
		if in == "" {
			return inc.Scope.Subjects
		}
		return 0
	}
	var n int64
	for _, c := range g.Affected.Counts {
		switch {
		case in == "", c.Jurisdiction == in, in == "US" && strings.HasPrefix(c.Jurisdiction, "US-"):
			n += c.Count
		}
	}
	return n
}

// fanOut returns the instances of a rule, each with its anchor.
func fanOut(inc *Incident, r *Rule, done map[string][]Obligation) []instance {
	g := &inc.Regulatory
	switch r.FanOut {
	case FanOutPerCustomer:
		if inc.Declaration == nil {
			return nil
		}
		var out []instance
		for _, c := range inc.Scope.Customers {
			a := anchor{label: "declaration", event: inc.Declaration.EventID, at: inc.Declaration.At}
			if since, ok := inc.Scope.CustomersSince[c]; ok && since.At.After(a.at) {
				a = anchor{label: "customer entered scope", event: since.EventID, at: since.At}
			}
			out = append(out, instance{key: c, customer: c, anchor: a})
		}
		return out
	case FanOutPerController:
		if g.Profile == nil {
			return nil
		}
		a, ok := resolveAnchor(inc, r.Anchor, "", done)
		if !ok {
			return nil
		}
		var out []instance
		for _, c := range g.Profile.Controllers {
			out = append(out, instance{key: c, controller: c, anchor: a})
		}
		return out
	case FanOutPerAuthority:
		a, ok := resolveAnchor(inc, r.Anchor, "", done)
		if !ok {
			return nil
		}
		if auths := authoritiesOfNonEEAController(inc, r); len(auths) > 0 {
			var out []instance
			for _, j := range auths {
				out = append(out, instance{key: j, jurisdiction: j, anchor: a, verify: r.FanOut.Verify()})
			}
			return out
		}
		j := ""
		if g.Profile != nil && len(g.Profile.Establishments) > 0 && IsEEA(g.Profile.Establishments[0]) {
			j = normalizeJurisdiction(g.Profile.Establishments[0])
		}
		return []instance{{jurisdiction: j, anchor: a}}
	case FanOutPerEstablishment:
		j := establishment(inc)
		a, ok := resolveAnchor(inc, r.Anchor, j, done)
		if !ok {
			return nil
		}
		return []instance{{jurisdiction: j, anchor: a}}
	case FanOutPerStateOver500:
		a, ok := resolveAnchor(inc, r.Anchor, "", done)
		if !ok || g.Affected == nil {
			return nil
		}
		var out []instance
		for _, c := range g.Affected.Counts {
			if strings.HasPrefix(c.Jurisdiction, "US-") && c.Count > 500 {
				out = append(out, instance{key: c.Jurisdiction, jurisdiction: c.Jurisdiction, anchor: a})
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
		return out
	case FanOutPerDetermination:
		kind, _ := r.Anchor.Determination()
		var out []instance
		for _, d := range g.Determinations {
			if d.Kind == kind && d.Positive {
				out = append(out, instance{key: strconv.Itoa(len(out) + 1), jurisdiction: r.Jurisdiction,
					anchor: anchor{label: string(kind) + " determined", event: d.EventID, at: d.At}})
			}
		}
		return out
	}
	a, ok := resolveAnchor(inc, r.Anchor, r.Jurisdiction, done)
	if !ok {
		return nil
	}
	return []instance{{jurisdiction: r.Jurisdiction, anchor: a}}
}

// authoritiesOfNonEEAController returns, for a controller whose main
// establishment (recorded first; GDPR Art. 4(16)) is outside the EEA, every
// EEA jurisdiction where affected people live: without a main establishment
// in the Union there is no lead authority, so each of their authorities is
// notified (EDPB Guidelines 9/2022 v2.0 para. 73: an Art. 27 representative
// does not make one either). A controller with no establishment recorded
// counts as one outside the EEA when the profile records one of the rule's
// OutsideEEAIf types (an Art. 27 representative is appointed only by a
// controller not established in the Union, Art. 27(1) with Art. 3(2)). It
// returns nil for any other controller.
func authoritiesOfNonEEAController(inc *Incident, r *Rule) []string {
	g := &inc.Regulatory
	if g.Profile == nil {
		return nil
	}
	outside := len(g.Profile.Establishments) > 0 && !IsEEA(g.Profile.Establishments[0])
	if len(g.Profile.Establishments) == 0 && len(r.OutsideEEAIf) > 0 && g.HasEntityType(r.OutsideEEAIf...) {
		outside = true
	}
	if !outside {
		return nil
	}
	var out []string
	add := func(j string) {
		j = normalizeJurisdiction(j)
		if country, _, _ := strings.Cut(j, "-"); IsEEA(j) && country != "EU" && country != "EEA" && !slices.Contains(out, country) {
			out = append(out, country)
		}
	}
	if g.Affected != nil {
		for _, c := range g.Affected.Counts {
			if c.Count > 0 {
				add(c.Jurisdiction)
			}
		}
	}
	for _, j := range inc.Scope.Jurisdictions {
		add(j)
	}
	sort.Strings(out)
	return out
}

// establishment is the jurisdiction of the organisation's (main) EU
// establishment, for NIS2 (Art. 26) and DORA (home Member State); "EU"
// when none is recorded.
func establishment(inc *Incident) string {
	g := &inc.Regulatory
	if g.Profile != nil {
		for _, j := range g.Profile.Establishments {
			if IsEEA(j) {
				return normalizeJurisdiction(j)
			}
		}
	}
	return "EU"
}

// resolveAnchor finds the event a named anchor refers to, false when it
// has not happened (yet). Pack.Validate refuses an unknown anchor in every
// shipped pack (TestShippedPacksValidate), so meeting one here is a
// programming error, not an obligation to drop.
func resolveAnchor(inc *Incident, named Anchor, jurisdiction string, done map[string][]Obligation) (anchor, bool) {
	name := string(named)
	g := &inc.Regulatory
	switch {
	case name == "awareness":
		if inc.Detection == nil {
			return anchor{}, false
		}
		return anchor{label: "awareness", event: inc.Detection.AwareEventID, at: inc.Detection.AwareAt}, true
	case name == "declaration":
		if inc.Declaration == nil {
			return anchor{}, false
		}
		return anchor{label: "declaration", event: inc.Declaration.EventID, at: inc.Declaration.At}, true
	case name == "high-risk":
		var since *RiskEntry
		prev := RiskLevel("")
		for i := range inc.Risks {
			r := &inc.Risks[i]
			if r.Level == RiskHigh && prev != RiskHigh {
				since = r
			}
			prev = r.Level
		}
		if since == nil {
			return anchor{}, false
		}
		return anchor{label: "high risk determined", event: since.EventID, at: since.At}, true
	case strings.HasPrefix(name, "determination:"):
		kind := DeterminationKind(strings.TrimPrefix(name, "determination:"))
		a, _, ok := g.Determination(kind)
		if !ok || a.EventID == "" {
			return anchor{}, false
		}
		label := string(kind) + " determined"
		if kind == DetDiscovery {
			label = "discovery"
		}
		return anchor{label: label, event: a.EventID, at: a.At}, true
	case strings.HasPrefix(name, "report:"), strings.HasPrefix(name, "latest-report:"):
		latest := strings.HasPrefix(name, "latest-report:")
		_, rules, _ := strings.Cut(name, ":")
		var best *NotificationEntry
		for _, rid := range strings.Split(rules, "|") {
			for _, prev := range done[rid] {
				for i := range inc.Notifications {
					n := &inc.Notifications[i]
					if !prev.satisfies(*n) {
						continue
					}
					if best == nil || (latest && n.At.After(best.At)) || (!latest && n.At.Before(best.At)) {
						best = n
					}
				}
			}
		}
		if best == nil {
			return anchor{}, false
		}
		label := "report submitted"
		if latest {
			label = "latest report submitted"
		}
		return anchor{label: label + " (" + string(best.Phase) + ")", event: best.EventID, at: best.At}, true
	case strings.HasPrefix(name, "year-end:"):
		a, ok := resolveAnchor(inc, Anchor(strings.TrimPrefix(name, "year-end:")), jurisdiction, done)
		if !ok {
			return anchor{}, false
		}
		loc := CalendarOf(inc.Regulatory.CalendarVersion(), jurisdiction, nil).Location() // the zone only: no user closure moves it
		y := a.at.In(loc).Year()
		return anchor{label: fmt.Sprintf("end of calendar year %d (%s %s)", y, a.label, a.at.In(loc).Format("2006-01-02")), event: a.event,
			at: time.Date(y, time.December, 31, 23, 59, 59, 0, loc)}, true
	}
	panic(fmt.Sprintf("resolve anchor %q: unknown anchor (Pack.Validate refuses it: use an Anchor constant or constructor)", name))
}

// exception returns why the law removes the duty, or "".
func exception(inc *Incident, r *Rule) string {
	why, _ := exceptionBy(inc, r)
	return why
}

// exceptionBy returns why the law removes the duty, or "", and the entry
// of the fact that removed it (whose recorded time a waived status shows
// beside its due time: Obligation.RecordedLateBy).
func exceptionBy(inc *Incident, r *Rule) (string, Ref) {
	g := &inc.Regulatory
	for _, x := range r.Exceptions {
		switch {
		case x.When == TriggerDismissed && inc.Dismissed():
			return fmt.Sprintf("classified %s: no breach to notify", inc.Classification.Classification), inc.Classification.Ref
		case x.When == TriggerDismissedAfterDeclaration && inc.Dismissed():
			return fmt.Sprintf("reclassified %s after the declaration", inc.Classification.Classification), inc.Classification.Ref
		case x.When == TriggerRiskUnlikely && inc.Risk != nil && inc.Risk.Level == RiskUnlikely:
			return x.Citation, inc.Risk.Ref
		case x.When == TriggerRiskNotHigh && inc.Risk != nil && inc.Risk.Level != RiskHigh:
			return fmt.Sprintf("risk no longer high (determined %q)", inc.Risk.Level), inc.Risk.Ref
		case x.When == TriggerArt34Exception && inc.Risk != nil && inc.Risk.Art34Exception != Art34None:
			cite := inc.Risk.Art34Exception.Citation()
			if r.Regime == "UK GDPR" {
				cite = "UK " + cite
			}
			return fmt.Sprintf("%s exception: %s", cite, inc.Risk.Reasoning), inc.Risk.Ref
		case strings.HasPrefix(string(x.When), triggerNegative):
			k, _, _ := x.When.Determination()
			if _, latest, ok := g.Determination(k); ok && !latest.Positive {
				return fmt.Sprintf("%s (%s by %s): %s", x.Citation, stamp(latest.At), latest.Actor, latest.Reasoning), latest.Ref
			}
		case strings.HasPrefix(string(x.When), triggerPositive):
			k, _, _ := x.When.Determination()
			if _, latest, ok := g.Determination(k); ok && latest.Positive {
				return fmt.Sprintf("%s (%s by %s): %s", x.Citation, stamp(latest.At), latest.Actor, latest.Reasoning), latest.Ref
			}
		case x.When == TriggerDORAApplies && g.HasEntityType(EntityFinancial, EntityCreditInstitution, EntityCCP, EntityTradingVenue) && onlyFinancialSectors(g):
			return x.Citation, g.Profile.Ref
		}
	}
	return "", Ref{}
}

// financialSectors are NIS2 Annex I sectors 3 (banking) and 4 (financial
// market infrastructures), where DORA displaces NIS2 Art. 23 (NIS2 Art. 4).
func financialSectors() []string {
	return []string{"banking", "financial-market-infrastructure", "insurance", "investment"}
}

func onlyFinancialSectors(g *Regulatory) bool {
	if g.Profile == nil || len(g.Profile.Sectors) == 0 {
		return true
	}
	for _, s := range g.Profile.Sectors {
		if !slices.Contains(financialSectors(), strings.ToLower(s)) {
			return false
		}
	}
	return true
}

// evaluate computes the due time and the status of o at asOf, with the
// settings in force at o's anchor (settings_history.go).
func evaluate(o *Obligation, inc *Incident, all Settings, asOf time.Time) {
	s := all.At(o.AnchorAt)
	o.dueSoon = s.DueSoonWindow
	r := o.rule
	calJ := r.Calendar
	if calJ == "" {
		calJ = o.Jurisdiction
	}
	cal := all.CalendarAt(inc, calJ, o.AnchorAt) // frozen version + user closures in force at the anchor (calendar_user.go)
	loc := cal.Location()
	o.Calendar, o.TimeZone = cal.Name(), loc.String()

	var due time.Time
	if r.Setting != "" {
		w := settingWindow(s, r.Setting)
		applied := all.Applied(r.Setting, o.AnchorAt)
		o.Window, o.Setting = FormatDuration(w), &applied
		due = o.AnchorAt.Add(w)
	} else {
		period, scaled, verify := r.scaled(inc)
		o.Window, o.Scaled, o.Verify = describeWindow(period), scaled, joinNonEmpty(o.Verify, verify)
		due = AddPeriod(o.AnchorAt, period, r.endOfDay(), cal)
		if r.Months != nil && period.Unit == UnitMonths {
			o.Verify = joinNonEmpty(o.Verify, r.Months.Verify)
		}
	}
	if r.Limit != nil {
		if la, ok := resolveAnchor(inc, r.LimitAnchor, o.Jurisdiction, nil); ok {
			limit := AddPeriod(la.at, *r.Limit, false, cal)
			switch {
			case r.LimitPassed == LimitPassedLapses && limit.Before(o.AnchorAt):
				o.Limit = fmt.Sprintf("the limb of %s after %s (%s) had passed at the %s: %s from it alone", describeWindow(*r.Limit), la.label, stamp(la.at), o.Anchor, o.Window)
				o.LimitLapsed = true
			case limit.Before(due):
				due = limit
				o.Limit = fmt.Sprintf("no later than %s after %s (%s)", describeWindow(*r.Limit), la.label, stamp(la.at))
			}
		}
	}
	if r.FanOut == FanOutPerEstablishment && o.Jurisdiction == "EU" {
		o.Assumed = fmt.Sprintf("no establishment in the EEA is recorded: counted on calendar %s; record the Member State of establishment with profile --establishment", cal.Name())
	}
	holds := o.holds(inc)
	if r.HoldMode == HoldExtend {
		for _, h := range holds {
			if h.start.Before(due) && h.end.After(due) {
				due = h.end
			}
		}
	} else {
		due = pausedDue(o.AnchorAt, due, holds)
	}
	if r.Rollover != RollNone && !inc.Regulatory.HasEntityType(r.RolloverExcept...) {
		before := due
		if due, o.Rolled = Roll(due, r.Rollover, r.Period.Unit, cal); o.Rolled != "" {
			o.DueUnrolled = before.UTC()
		}
	} else if r.Rollover != RollNone {
		if why, closed := cal.Closed(due); closed {
			o.Rolled = fmt.Sprintf("falls on a %s but the roll-over does not apply to this entity type (Delegated Reg. (EU) 2025/301 Art. 5(5)–(6))", why)
		}
	}
	o.DueAt, o.DueLocal = due.UTC(), due.In(loc)
	if r.Period.Unit == UnitBusinessDays || r.Rollover != RollNone || (r.Limit != nil && r.Limit.Unit == UnitBusinessDays) {
		o.Verify = joinNonEmpty(o.Verify, uncovered(cal, o.AnchorAt, due))
	}

	if r.DelayNote {
		if n, ok := o.delayNotice(inc); ok {
			o.DelayNotice = n.EventID
		}
	}
	if n, ok := o.firstNotice(inc); ok {
		o.MetBy, o.MetAt = n.EventID, n.At
		o.RecordedLateBy = recordedLate(n.RecordedAt, o.DueAt)
		o.acknowledgement(inc)
		filed := n.At
		if r.FilingDay != nil {
			if filed, o.Filed = r.FilingDay.Deemed(n.At, cal); o.Filed != "" {
				o.DeemedFiledAt = filed.UTC()
				o.Verify = joinNonEmpty(o.Verify, r.FilingDay.Verify)
			}
		}
		if !filed.After(o.DueAt) {
			o.Status = StatusMet
			o.Reason = o.withdrawal(inc)
			return
		}
		o.Status, o.Reason = StatusMetLate, joinNonEmpty(n.DelayReason, o.Filed)
		if o.DelayNotice != "" {
			o.Reason = joinNonEmpty(o.Reason, "notice of delay sent by the limit (Delegated Reg. (EU) 2025/301 Art. 5(3))")
		}
		o.Reason = joinNonEmpty(o.Reason, o.withdrawal(inc))
		return
	}
	if o.waived != "" {
		o.Status, o.Reason = StatusWaived, o.waived
		o.RecordedLateBy = recordedLate(o.waivedBy.RecordedAt, o.DueAt)
		return
	}
	for _, h := range holds {
		if !asOf.Before(h.start) && asOf.Before(h.end) {
			o.Status, o.HeldUntil, o.HeldBy = StatusHeld, h.end.UTC(), h.ids
			o.Reason = h.describe()
			return
		}
	}
	switch {
	case asOf.After(o.DueAt):
		o.Status = StatusOverdue
		if r.DelayNote {
			if o.DelayNotice != "" {
				o.Reason = "notice of delay sent by the limit (Delegated Reg. (EU) 2025/301 Art. 5(3)); the report is still due"
			} else {
				o.Reason = "no notice of delay was sent by the limit (Delegated Reg. (EU) 2025/301 Art. 5(3))"
			}
		}
	case o.DueAt.Sub(asOf) <= s.DueSoonWindow:
		o.Status = StatusDueSoon
	default:
		o.Status = StatusPending
	}
}

// recordedLate says how long after due the ledger learnt a fact recorded
// at recorded, or "" when it knew by the due time (or the time is unknown).
func recordedLate(recorded, due time.Time) string {
	if recorded.IsZero() || !recorded.After(due) {
		return ""
	}
	return FormatDuration(recorded.Sub(due))
}

func settingWindow(s Settings, key string) time.Duration {
	switch key {
	case "customer-notice-window":
		return s.CustomerNoticeWindow
	case "art34-target":
		return s.Art34Target
	}
	return 0
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// satisfies reports whether notice n meets o. A notice that names
// obligations (notify --for) meets exactly those; any other meets o when it
// goes to the right kind of recipient (the right customer or controller,
// the right jurisdiction's authority when both name one) in a phase the
// rule accepts, and, for a report that follows an earlier one, after it.
func (o *Obligation) satisfies(n NotificationEntry) bool {
	if n.Phase == PhaseDelayNotice || n.Phase == PhaseWithdrawn {
		return false
	}
	if len(n.Obligations) > 0 {
		return slices.Contains(n.Obligations, o.ID)
	}
	return o.matches(n, true)
}

func (o *Obligation) matches(n NotificationEntry, checkPhase bool) bool {
	switch {
	case o.Recipient.IsCustomer():
		if !n.RecipientKind.IsCustomer() || n.Customer != o.Customer {
			return false
		}
	case n.RecipientKind != o.Recipient:
		return false
	}
	if o.Controller != "" && n.Recipient != o.Controller {
		return false
	}
	if o.Recipient.IsAuthority() && o.Jurisdiction != "" && n.Jurisdiction != "" && n.Jurisdiction != o.Jurisdiction {
		return false
	}
	if checkPhase && o.rule != nil && len(o.rule.Accepts) > 0 && !slices.Contains(o.rule.Accepts, n.Phase) {
		return false
	}
	if o.chained && (n.At.Before(o.AnchorAt) || n.EventID == o.AnchorEvent) {
		return false
	}
	return true
}

func (o *Obligation) firstNotice(inc *Incident) (NotificationEntry, bool) {
	var first NotificationEntry
	found := false
	for _, n := range inc.Notifications {
		if o.satisfies(n) && (!found || n.At.Before(first.At)) {
			first, found = n, true
		}
	}
	return first, found
}

// delayNotice returns the first notice of delay for o sent by its due time.
func (o *Obligation) delayNotice(inc *Incident) (NotificationEntry, bool) {
	for _, n := range inc.Notifications {
		if n.Phase != PhaseDelayNotice || n.At.After(o.DueAt) {
			continue
		}
		if slices.Contains(n.Obligations, o.ID) || (len(n.Obligations) == 0 && o.matches(n, false)) {
			return n, true
		}
	}
	return NotificationEntry{}, false
}

// withdrawal describes a withdrawal of the notice that met o, if any.
func (o *Obligation) withdrawal(inc *Incident) string {
	for _, n := range inc.Notifications {
		if n.Phase == PhaseWithdrawn && n.At.After(o.MetAt) && (slices.Contains(n.Obligations, o.ID) || (len(n.Obligations) == 0 && o.matches(n, false))) {
			return joinNonEmpty("notice withdrawn "+stamp(n.At), n.Summary)
		}
	}
	return ""
}

func (o *Obligation) acknowledgement(inc *Incident) {
	for _, a := range inc.Regulatory.Acknowledgements {
		if a.Notice == o.MetBy {
			o.AckBy, o.AckAt, o.AckReference = a.From, a.At, a.Reference
			return
		}
	}
}

// hold is an interval during which an obligation is held.
type hold struct {
	start, end time.Time
	ids        []string
	why        []string
}

func (h hold) describe() string { return strings.Join(h.why, "; ") }

// OralHoldLimit is how long an oral law-enforcement statement holds a
// notice at most without a written one (45 CFR 164.412(b)).
const OralHoldLimit = 30 * 24 * time.Hour

// end returns when a hold stops holding: its expiry (at most 30 days for an
// oral law-enforcement statement), or its release if earlier.
func (h *HoldState) end() time.Time {
	end := h.Until
	if h.Kind == HoldLawEnforcement && !h.Written {
		if limit := h.At.Add(OralHoldLimit); end.IsZero() || end.After(limit) {
			end = limit
		}
	}
	if h.Released != nil && h.Released.At.Before(end) {
		end = h.Released.At
	}
	return end
}

// holds returns the merged intervals during which o is held, in time
// order: approved notification-delay requests (rules with Requests) and
// recorded holds of a kind the rule allows.
func (o *Obligation) holds(inc *Incident) []hold {
	r := o.rule
	var hs []hold
	if r.Requests {
		for _, q := range inc.Requests {
			if q.Status == RequestStatusApproved && q.Covers(o.Customer) && q.Until.After(q.ApprovedAt) {
				hs = append(hs, hold{start: q.ApprovedAt, end: q.Until, ids: []string{q.Request},
					why: []string{"notification delay exception " + q.Request + " approved"}})
			}
		}
	}
	for _, h := range inc.Regulatory.Holds {
		if !slices.Contains(r.Holds, h.Kind) {
			continue
		}
		if len(h.Obligations) > 0 && !slices.Contains(h.Obligations, o.ID) && !slices.Contains(h.Obligations, o.Rule) {
			continue
		}
		if end := h.end(); end.After(h.At) {
			hs = append(hs, hold{start: h.At, end: end, ids: []string{h.Hold}, why: []string{describeHold(h)}})
		}
	}
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].start.Before(hs[j].start) })
	var merged []hold
	for _, h := range hs {
		if n := len(merged); n > 0 && !h.start.After(merged[n-1].end) {
			if h.end.After(merged[n-1].end) {
				merged[n-1].end = h.end
			}
			merged[n-1].ids = append(merged[n-1].ids, h.ids...)
			merged[n-1].why = append(merged[n-1].why, h.why...)
			continue
		}
		merged = append(merged, h)
	}
	return merged
}

func describeHold(h *HoldState) string {
	switch h.Kind {
	case HoldLawEnforcement:
		form := "oral (at most 30 days, 45 CFR 164.412(b))"
		if h.Written {
			form = "written, for the period it states (45 CFR 164.412(a))"
		}
		return fmt.Sprintf("law-enforcement hold %s by %s, %s: %s", h.Hold, h.Authority, form, h.Basis)
	case HoldSECAttorneyGeneral:
		return fmt.Sprintf("Attorney General delay %s (Form 8-K Item 1.05(c)) notified by %s: %s", h.Hold, h.Authority, h.Basis)
	}
	return fmt.Sprintf("hold %s: %s", h.Hold, h.Basis)
}

// pausedDue is due with the clock paused while a hold runs: time held
// between the anchor and the (moving) due time is added to it. A hold that
// starts after the due time does not move it.
func pausedDue(anchor, due time.Time, holds []hold) time.Time {
	for _, h := range holds {
		start := h.start
		if start.Before(anchor) {
			start = anchor
		}
		if !start.Before(due) || !h.end.After(start) {
			continue
		}
		due = due.Add(h.end.Sub(start))
	}
	return due
}

// everPersonalData reports whether personal data was involved at any point
// of the history (a later dismissal waives the duty rather than hiding it).
func everPersonalData(inc *Incident) bool {
	if inc.PersonalData() {
		return true
	}
	return slices.ContainsFunc(inc.Classifications, func(c ClassificationEntry) bool { return c.Classification == ClassPrivacyBreach }) ||
		slices.ContainsFunc(inc.Assessments, func(a Assessment) bool { return a.InformationImpact == InfoPrivacy })
}
