package projections

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/safetext"
)

// Belief is a deadline as known at another moment: the deadline view known
// at K shows, beside each row, the same obligation as known at the later
// cut when it differs (an awareness corrected earlier, a determination
// recorded late).
type Belief struct {
	KnownAt     time.Time     `json:"known_at"`
	DueAt       time.Time     `json:"due_at"`
	AnchorAt    time.Time     `json:"anchor_at"`
	AnchorEvent string        `json:"anchor_event"`
	Status      domain.Status `json:"status"`
}

// PackReading is an obligation under another pack than the recorded one.
type PackReading struct {
	Pack   string        `json:"pack"`
	DueAt  time.Time     `json:"due_at,omitzero"`
	Status domain.Status `json:"status,omitempty"`
	Absent bool          `json:"absent,omitempty"` // the other pack has no such obligation
}

// obligations evaluates an incident's obligations as the filter asks:
// under its recorded pack, or under filter.Pack.
func (f DeadlineFilter) obligations(inc *domain.Incident, s domain.Settings, asOf time.Time) []domain.Obligation {
	if f.Pack != "" {
		if p, ok := domain.PackByVersion(f.Pack); ok {
			return domain.ObligationsUnder(inc, s, asOf, &p)
		}
	}
	return domain.Obligations(inc, s, asOf)
}

// keepRegime reports whether o passes the --regime filter: a regime name or
// a rule ID in any case, or a rule ID's start (domain.RegimeMatches; a
// value that matches no rule of any pack is refused first, Unknown).
func (f DeadlineFilter) keepRegime(o domain.Obligation) bool {
	if len(f.Regimes) == 0 {
		return true
	}
	return slices.ContainsFunc(f.Regimes, func(r string) bool { return domain.RegimeMatches(r, o.Regime, o.Rule) })
}

// beside fills the rows' readings at the other cut and under the other pack.
func (f DeadlineFilter) beside(h *history.History, id string, rows []DeadlineRow, cut domain.Cut) {
	if len(rows) == 0 {
		return
	}
	if !f.NowKnownAt.IsZero() && f.NowKnownAt.After(cut.KnownAt) {
		now := domain.Cut{AsOf: cut.AsOf, KnownAt: f.NowKnownAt}
		inc := history.IncidentAt(id, h.Incidents[id], now)
		obs := f.obligations(&inc, h.LedgerAt(now).Settings, cut.AsOf)
		for i := range rows {
			j := slices.IndexFunc(obs, func(o domain.Obligation) bool { return o.ID == rows[i].ID })
			if j < 0 {
				continue
			}
			o := obs[j]
			if !o.DueAt.Equal(rows[i].DueAt) || o.Status != rows[i].Status || !o.AnchorAt.Equal(rows[i].AnchorAt) {
				rows[i].NowKnown = &Belief{KnownAt: f.NowKnownAt, DueAt: o.DueAt, AnchorAt: o.AnchorAt, AnchorEvent: o.AnchorEvent, Status: o.Status}
			}
		}
	}
	if f.ComparePack != "" {
		p, ok := domain.PackByVersion(f.ComparePack)
		if !ok {
			return
		}
		inc := history.IncidentAt(id, h.Incidents[id], cut)
		obs := domain.ObligationsUnder(&inc, h.LedgerAt(cut).Settings, cut.AsOf, &p)
		for i := range rows {
			j := slices.IndexFunc(obs, func(o domain.Obligation) bool { return o.ID == rows[i].ID })
			if j < 0 {
				rows[i].UnderPack = &PackReading{Pack: p.Version, Absent: true}
				continue
			}
			rows[i].UnderPack = &PackReading{Pack: p.Version, DueAt: obs[j].DueAt, Status: obs[j].Status}
		}
	}
}

// onlyUnder returns the obligations the compared pack has and the view does
// not: what a newer pack would add.
func (f DeadlineFilter) onlyUnder(h *history.History, id string, rows []DeadlineRow, cut domain.Cut) []DeadlineRow {
	p, ok := domain.PackByVersion(f.ComparePack)
	if f.ComparePack == "" || !ok {
		return nil
	}
	inc := history.IncidentAt(id, h.Incidents[id], cut)
	var out []DeadlineRow
	for _, o := range domain.ObligationsUnder(&inc, h.LedgerAt(cut).Settings, cut.AsOf, &p) {
		if !f.keepRegime(o) || !f.keepStatus(o) || slices.ContainsFunc(rows, func(r DeadlineRow) bool { return r.ID == o.ID }) {
			continue
		}
		out = append(out, DeadlineRow{Incident: id, Summary: inc.Detection.Summary, Obligation: o, OnlyUnder: p.Version})
	}
	return out
}

// writeRegulatory writes the regulatory facts and the risk advice of an incident.
func writeRegulatory(p *printer, v IncidentView) {
	g := v.Regulatory
	tw := tabwriter.NewWriter(p, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) {
		fmt.Fprintf(tw, "  %s\t%s\n", k, safetext.Line(fmt.Sprintf(format, args...)))
	}
	p.f("\nRegulatory:\n")
	pinned := "not pinned (recorded before packs were versioned)"
	if g.Pack != nil {
		pinned = fmt.Sprintf("pinned %s by %s: %s", secs(g.Pack.At), g.Pack.Actor, g.Pack.Reason)
	}
	row("Rule pack:", "%s, %s (current: %s)", g.PackVersion(), pinned, domain.CurrentPack().Version)
	row("Calendar:", "%s (current: %s); user closing days, if any, are named on each deadline", g.CalendarDescription(), domain.CurrentCalendarVersion())
	if pr := g.Profile; pr != nil {
		pack, ok := domain.PackByVersion(g.PackVersion())
		if !ok {
			pack = domain.CurrentPack()
		}
		row("Profile:", "%s%s", describeProfileUnder(pr.EntityProfiled, &pack), correctedSuffix(pr.Ref))
	}
	if a := g.Affected; a != nil {
		row("Affected:", "%s%s", describeCounts(a.Counts), correctedSuffix(a.Ref))
	}
	for _, d := range g.Determinations {
		row("Determined:", "%s  %s (by %s)%s", secs(d.At), Describe(d.DeterminationMade), d.Actor, correctedSuffix(d.Ref))
	}
	for _, h := range g.Holds {
		state := "until " + secs(h.Until)
		if h.Until.IsZero() {
			state = "oral: at most 30 days"
		}
		if h.Released != nil {
			state += fmt.Sprintf("; released %s by %s: %s", secs(h.Released.At), h.Released.Actor, h.Released.Reason)
		}
		row("Hold:", "%s  %s (recorded by %s; %s)", secs(h.At), Describe(h.HoldRecorded), h.Actor, state)
	}
	for _, a := range g.Acknowledgements {
		row("Acknowledged:", "%s  %s%s", secs(a.At), Describe(a.AcknowledgementReceived), correctedSuffix(a.Ref))
	}
	tw.Flush()
	if v.RiskAdvice != nil {
		writeAdvice(p, v.ID, g.RiskFactors, *v.RiskAdvice, v.Risk != nil)
	}
}

// writeAdvice writes the risk advice with its arithmetic: the method it
// was computed under, the outcome, every term of the severity, the
// reasons, the conditions and, where a determination is recorded, whether
// it follows the advice.
func writeAdvice(p *printer, id string, factors *domain.RiskFactorsEntry, a domain.Advice, decided bool) {
	p.f("\nRisk advice (%s): %s — advice only; the determination is a person's\n", safetext.Line(a.Method), safetext.Line(AdviceHeadline(a)))
	if factors != nil {
		p.f("  factors: %s\n", safetext.Line(describeFactors(factors.RiskFactorsRecorded)))
	} else {
		p.f("  factors: none recorded\n")
	}
	if s := a.Severity; s != nil {
		p.f("  severity: %s\n", safetext.Line(SeverityLine(s)))
	}
	for _, r := range a.Reasons {
		p.f("  - %s\n", safetext.Line(r))
	}
	if len(a.Missing) > 0 {
		p.f("  facts needed for the advice: record %s: %s\n", safetext.Line(strings.Join(a.Missing, ", ")), safetext.Line(FactorsCommand(id, a.Missing)))
	}
	for _, c := range a.Conditions {
		p.f("  condition: %s\n", safetext.Line(c))
	}
	if a.Superseded != "" {
		p.f("  OLD METHOD: %s\n", safetext.Line(a.Superseded))
	}
	switch {
	case a.Differs != "":
		p.f("  DIFFERS: %s\n", safetext.Line(a.Differs))
	case decided && a.Level != "":
		p.f("  the recorded determination (%s) follows the advice\n", a.Level)
	}
}

// AdviceHeadline is the advice's outcome in words, with the GDPR risk
// level it stands for: "notify-subjects (a high risk)".
func AdviceHeadline(a domain.Advice) string {
	switch a.Level {
	case domain.RiskUnlikely:
		return string(a.Outcome) + " (unlikely to result in a risk)"
	case domain.RiskRisk:
		return string(a.Outcome) + " (a risk)"
	case domain.RiskHigh:
		return string(a.Outcome) + " (a high risk)"
	}
	return string(a.Outcome)
}

// SeverityLine writes the severity's terms on one line: "DPC 3 (base 3:
// financial) × EI 1 (maximum) + CB 1 (confidentiality 0.5, integrity 0,
// availability 0, malicious intent 0.5) = SE 4: very-high".
func SeverityLine(s *domain.ENISASeverity) string {
	dpc := fmt.Sprintf("DPC %d (base %d: %s", s.DPC.Score, s.DPC.Base, strings.Join(names(s.DPC.Data), ", "))
	for _, a := range s.DPC.Adjustments {
		dpc += fmt.Sprintf("; %s %+d", a.Reason, a.Delta)
	}
	dpc += ")"
	cb := make([]string, len(s.CB))
	for i, t := range s.CB {
		cb[i] = fmt.Sprintf("%s %s", t.Factor, score(t.Score))
	}
	line := fmt.Sprintf("%s × EI %s (%s) + CB %s (%s) = SE %s: %s", dpc, score(s.EI.Score), s.EI.Value, score(s.CBTotal), strings.Join(cb, ", "), score(s.SE), s.Band)
	if s.Final != s.Band {
		line += fmt.Sprintf(" → %s by the project's rules", s.Final)
	}
	return line
}

func score(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// FactorsCommand is the command that records the missing facts of an
// incident's advice.
func FactorsCommand(id string, missing []string) string {
	if id == "" {
		id = "INCIDENT"
	}
	parts := []string{"breachledger factors " + id}
	for _, m := range missing {
		parts = append(parts, m+" ...")
	}
	return strings.Join(parts, " ")
}

// AdviceLine is the advice on one line, for registers and reports:
// outcome, method, severity and whether the determination follows it.
func AdviceLine(a domain.Advice) string {
	s := fmt.Sprintf("%s, method %s", AdviceHeadline(a), a.Method)
	if a.Severity != nil {
		s += "; " + SeverityLine(a.Severity)
	}
	if len(a.Missing) > 0 {
		s += "; record " + strings.Join(a.Missing, ", ")
	}
	if a.Superseded != "" {
		s += "; old method"
	}
	if a.Differs != "" {
		s += "; DIFFERS: " + a.Differs
	}
	return s
}

func describeProfile(e domain.EntityProfiled) string { return describeProfileUnder(e, nil) }

// describeProfileUnder describes a profile; with a pack, an entity type no
// rule of the pack reads is marked "(no effect under pack X)".
func describeProfileUnder(e domain.EntityProfiled, pack *domain.Pack) string {
	var parts []string
	if len(e.Establishments) > 0 {
		parts = append(parts, "established in "+strings.Join(e.Establishments, ", "))
	}
	if len(e.Sectors) > 0 {
		parts = append(parts, "sectors "+strings.Join(e.Sectors, ", "))
	}
	if len(e.EntityTypes) > 0 {
		types := names(e.EntityTypes)
		if pack != nil {
			used := pack.EntityTypesUsed()
			for i, t := range e.EntityTypes {
				if !slices.Contains(used, t) {
					types[i] += fmt.Sprintf(" (no effect under pack %s)", pack.Version)
				}
			}
		}
		parts = append(parts, "entity types "+strings.Join(types, ", "))
	}
	if len(e.Controllers) > 0 {
		parts = append(parts, "controllers "+strings.Join(e.Controllers, ", "))
	}
	if len(parts) == 0 {
		return "empty"
	}
	return strings.Join(parts, "; ")
}

func describeCounts(cs []domain.AffectedCount) string {
	if len(cs) == 0 {
		return "none"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %d", c.Jurisdiction, c.Count)
	}
	return strings.Join(parts, ", ")
}

func describeFactors(f domain.RiskFactorsRecorded) string {
	if f.Method != "" && f.Method != domain.MethodEDPB2021 {
		return describeGraded(f)
	}
	var parts []string
	flag := func(b bool, s string) {
		if b {
			parts = append(parts, s)
		}
	}
	flag(f.Encrypted, "encrypted")
	flag(f.KeyCompromised, "key compromised")
	flag(f.Exfiltrated, "exfiltrated")
	flag(f.SpecialCategories, "special categories")
	flag(f.VulnerableSubjects, "vulnerable subjects")
	flag(f.RecipientTrusted, "trusted recipient")
	flag(f.DeletionConfirmed, "deletion confirmed")
	flag(f.FraudPotential, "fraud potential")
	if f.RestoreHours > 0 {
		parts = append(parts, fmt.Sprintf("restore %dh", f.RestoreHours))
	}
	if f.Subjects > 0 {
		parts = append(parts, fmt.Sprintf("%d people", f.Subjects))
	}
	if len(parts) == 0 {
		parts = append(parts, "no factor set")
	}
	s := strings.Join(parts, ", ")
	if f.Notes != "" {
		s += " — " + f.Notes
	}
	return s
}

// describeGraded describes the graded facts of the ENISA method, each
// named, "not recorded" where missing.
func describeGraded(f domain.RiskFactorsRecorded) string {
	val := func(v string) string {
		if v == "" {
			return "not recorded"
		}
		return v
	}
	data := strings.Join(names(f.Data), ", ")
	for _, a := range f.DPCAdjustments {
		data += fmt.Sprintf(" %s%+d", a.Reason, a.Delta)
	}
	parts := []string{
		"data " + val(data), "identification " + val(string(f.Identification)), "confidentiality " + val(string(f.Confidentiality)),
		"integrity " + val(string(f.Integrity)), "availability " + val(string(f.Availability)), "intent " + val(string(f.Intent)),
		"unintelligible " + val(string(f.Unintelligible)), "people " + val(f.People), "exposure days " + val(f.ExposureDays),
	}
	if f.Art34Exception != "" {
		parts = append(parts, "Art. 34(3) exception "+string(f.Art34Exception))
	}
	s := strings.Join(parts, "; ") + " (" + f.Method + ")"
	if f.Notes != "" {
		s += " — " + f.Notes
	}
	return s
}

func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// WritePack writes a rule pack: the summary table of every rule with its
// citation, anchor, period, calendar and [VERIFY] marker; then each rule in
// detail: what switches it on, what waives it, how its clock is counted,
// and every [VERIFY] note it carries (its own, its fan-out's, its month
// convention's, its scaling's, its filing day's); then the pack's known
// defects.
func WritePack(w io.Writer, p *domain.Pack, current bool) error {
	pr := &printer{w: w}
	tag := ""
	if current {
		tag = " (current)"
	}
	pr.f("Rule pack %s%s, released %s\n  %s\n\n", safetext.Line(p.Version), tag, p.Released.Format("2006-01-02"), safetext.Line(p.Notes))
	tw := tabwriter.NewWriter(pr, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "RULE\tREGIME\tCITATION\tWHO → WHOM\tCLOCK\n")
	for _, r := range p.Rules {
		clock := fmt.Sprintf("%s after %s", r.Period, r.Anchor)
		if r.Setting != "" {
			clock = fmt.Sprintf("%s (setting, default %s) after %s", r.Setting, r.Period, r.Anchor)
		}
		if r.Limit != nil {
			clock += fmt.Sprintf(", no later than %s after %s", r.Limit, r.LimitAnchor)
		}
		if r.Target {
			clock += "; organisational target"
		}
		if r.Rollover != "" {
			clock += "; roll-over " + string(r.Rollover)
		}
		if !r.Effective.IsZero() {
			clock += "; from " + r.Effective.Format("2006-01-02")
		}
		cite := r.Citation
		if len(verifyLines(r)) > 0 {
			cite += " [VERIFY]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", safetext.Line(r.ID), safetext.Line(r.Regime), safetext.Line(cite),
			safetext.Line(fmt.Sprintf("%s → %s", r.Who, r.Recipient)), safetext.Line(clock))
	}
	tw.Flush()
	pr.f("\nRules in detail:\n")
	for _, r := range p.Rules {
		pr.f("\n%s (%s, %s)\n", safetext.Line(r.ID), safetext.Line(r.Regime), safetext.Line(r.Citation))
		for _, l := range ruleDetail(r) {
			pr.f("  %s\n", safetext.Line(l))
		}
	}
	pr.f("\nKnown defects:\n")
	defects := domain.KnownDefects(p.Version)
	if len(defects) == 0 {
		pr.f("  none known\n")
	}
	for _, d := range defects {
		rules := "rules: any"
		if len(d.Rules) > 0 {
			rules = "rules: " + strings.Join(d.Rules, ", ")
		}
		fixed := "not yet fixed"
		if d.FixedIn != "" {
			fixed = "fixed in pack " + d.FixedIn
		}
		pr.f("  %s\n", safetext.Line(fmt.Sprintf("%s (%s; %s): %s", d.ID, rules, fixed, d.Description)))
	}
	return pr.err
}

// ruleDetail describes one rule of a pack, a line per aspect.
func ruleDetail(r domain.Rule) []string {
	var out []string
	line := func(k, format string, args ...any) { out = append(out, k+": "+fmt.Sprintf(format, args...)) }
	line("who → whom", "%s → %s (%s)", r.Who, r.Whom, r.Recipient)
	line("applies when", "%s", describeApplies(r.Applies))
	anchor := string(r.Anchor)
	line("clock", "%s after %s", clockPeriod(r), anchor)
	if r.Limit != nil {
		passed := "a limb that has passed by the anchor still applies (the obligation is then due before its trigger)"
		if r.LimitPassed == domain.LimitPassedLapses {
			passed = "a limb that has passed by the anchor lapses: the period from the anchor alone decides"
		}
		line("limit", "no later than %s after %s; %s", r.Limit, r.LimitAnchor, passed)
	}
	if r.Target {
		line("target", "organisational: the law names no instant")
	}
	if r.Months != nil {
		m := r.Months
		end := "at the anchor's wall-clock time"
		if m.EndOfDay == domain.EndOfDayLocal {
			end = "at the end of the last day"
		}
		line("months", "end %s, on the %s's clock; a last day on a weekend or holiday: %s", end, m.Zone, m.Closed)
		line("months basis", "%s", m.Basis)
		if m.Why != "" {
			line("months why", "%s", m.Why)
		}
	} else if r.EndOfDay == domain.EndOfDayLocal {
		line("months", "end at the end of the last day")
	}
	cal := "the obligation's jurisdiction"
	if r.Calendar != "" {
		cal = r.Calendar
	}
	roll := "none"
	if r.Rollover != "" {
		roll = string(r.Rollover)
		if len(r.RolloverExcept) > 0 {
			roll += ", except for " + strings.Join(names(r.RolloverExcept), ", ")
		}
	}
	line("calendar", "%s; roll-over %s", cal, roll)
	for _, s := range r.Scaled {
		line("scaled", "×%d for %s (%s)", s.Factor, strings.Join(names(s.For), " or "), s.Citation)
	}
	if f := r.FilingDay; f != nil {
		line("filing day", "a filing after %s local time, or on a day the filing system is closed, counts as filed the next open day (%s)", f.Cutoff, f.Citation)
	}
	fan := string(r.FanOut)
	if r.FanOut == domain.FanOutPerAuthority {
		fan += ": one notice per supervisory authority where affected people live, when the controller's main establishment is outside the EEA"
		if len(r.OutsideEEAIf) > 0 {
			fan += fmt.Sprintf(" (or, with no establishment recorded, the profile records %s)", strings.Join(names(r.OutsideEEAIf), " or "))
		}
		fan += "; else one"
	}
	line("fan-out", "%s", fan)
	if r.Phase != "" {
		line("phase", "%s", r.Phase)
	}
	if len(r.Exceptions) > 0 {
		ws := make([]string, len(r.Exceptions))
		for i, e := range r.Exceptions {
			ws[i] = fmt.Sprintf("%s (%s)", e.When, e.Citation)
		}
		line("waived when", "%s", strings.Join(ws, "; "))
	}
	var holds []string
	if len(r.Holds) > 0 {
		mode := string(r.HoldMode)
		if mode == "" {
			mode = "pause"
		}
		holds = append(holds, fmt.Sprintf("%s (%s)", strings.Join(names(r.Holds), ", "), mode))
	}
	if r.Requests {
		holds = append(holds, "an approved notification-delay request")
	}
	if len(holds) > 0 {
		line("held by", "%s", strings.Join(holds, "; "))
	}
	if r.DelayNote {
		line("delay notice", "due by the limit when it cannot be met")
	}
	if !r.Effective.IsZero() || !r.Until.IsZero() {
		span := "anchors"
		if !r.Effective.IsZero() {
			span += " from " + stamp(r.Effective)
		}
		if !r.Until.IsZero() {
			span += " before " + stamp(r.Until)
		}
		line("in force", "%s", span)
	}
	if r.Summary != "" {
		line("summary", "%s", r.Summary)
	}
	out = append(out, verifyLines(r)...)
	return out
}

// verifyLines are a rule's [VERIFY] notes as the detail prints them: each
// note whole, with what it is about.
func verifyLines(r domain.Rule) []string {
	var out []string
	add := func(about, note string) {
		switch {
		case note == "":
		case strings.HasPrefix(note, "[VERIFY"):
			if about != "" {
				note += " (" + about + ")"
			}
			out = append(out, note)
		case about != "":
			out = append(out, "[VERIFY] "+about+": "+note)
		default:
			out = append(out, "[VERIFY] "+note)
		}
	}
	add("", r.Verify)
	if v := r.FanOut.Verify(); v != "" {
		about := "fan-out " + string(r.FanOut)
		if r.FanOut == domain.FanOutPerAuthority {
			about = "per-authority notices, for a controller established outside the EEA"
		}
		add(about, v)
	}
	if m := r.Months; m != nil {
		add("months", m.Verify)
	}
	for _, sc := range r.Scaled {
		add(fmt.Sprintf("scaled ×%d", sc.Factor), sc.Verify)
	}
	if f := r.FilingDay; f != nil {
		add("filing day", f.Verify)
	}
	return out
}

// people is "1 person", "500 people".
func people(n int64) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d people", n)
}

// clockPeriod is a rule's period as the detail prints it.
func clockPeriod(r domain.Rule) string {
	if r.Setting != "" {
		return fmt.Sprintf("the %s setting (default %s)", r.Setting, r.Period)
	}
	return r.Period.String()
}

// describeApplies says what switches a rule on: every condition set must
// hold.
func describeApplies(a domain.Applicability) string {
	var parts []string
	if len(a.Roles) > 0 {
		parts = append(parts, "acting as "+strings.Join(names(a.Roles), " or "))
	}
	if a.PersonalData {
		parts = append(parts, "personal data involved")
	}
	if a.Declared {
		parts = append(parts, "a CRSPI declared")
	}
	if len(a.EntityTypes) > 0 {
		parts = append(parts, "entity types (any of) "+strings.Join(names(a.EntityTypes), ", "))
	}
	if len(a.NotEntityTypes) > 0 {
		parts = append(parts, "not entity types (none of) "+strings.Join(names(a.NotEntityTypes), ", "))
	}
	if len(a.Jurisdictions) > 0 {
		j := "jurisdictions (any of) " + strings.Join(a.Jurisdictions, ", ")
		if a.IfNoJurisdictions {
			j += ", or none recorded"
		}
		parts = append(parts, j)
	} else if a.IfNoJurisdictions {
		parts = append(parts, "no jurisdiction recorded")
	}
	in := "in all"
	if a.CountIn != "" {
		in = "in " + a.CountIn
	}
	if a.MinAffected > 0 {
		parts = append(parts, fmt.Sprintf("at least %s affected %s", people(a.MinAffected), in))
	}
	if a.BelowAffected > 0 {
		parts = append(parts, fmt.Sprintf("fewer than %s affected %s", people(a.BelowAffected), in))
	}
	if len(parts) == 0 {
		return "always (every incident)"
	}
	return strings.Join(parts, "; ")
}

// citation is the citation as the tables print it, with the [VERIFY]
// marker when the rule still has something to verify.
func citation(o domain.Obligation) string {
	if o.Verify != "" {
		return o.Citation + " [VERIFY]"
	}
	return o.Citation
}

// localStamp is the due time in the calendar's zone, e.g.
// "2025-07-09T23:59:59-04:00 America/New_York"; UTC obligations say "-".
func localStamp(o domain.Obligation) string {
	if o.TimeZone == "" || o.TimeZone == "UTC" || o.DueLocal.IsZero() {
		return "-"
	}
	return o.DueLocal.Format(time.RFC3339) + " " + o.TimeZone
}

// rowExtra describes a deadline row's readings at another cut or pack.
func rowExtra(d DeadlineRow) string {
	var parts []string
	if n := d.NowKnown; n != nil {
		parts = append(parts, fmt.Sprintf("as known at %s: due %s, %s (anchor %s)", secs(n.KnownAt), secs(n.DueAt), n.Status, secs(n.AnchorAt)))
	}
	if u := d.UnderPack; u != nil {
		if u.Absent {
			parts = append(parts, "not an obligation under pack "+u.Pack)
		} else if !u.DueAt.Equal(d.DueAt) || u.Status != d.Status {
			parts = append(parts, fmt.Sprintf("under pack %s: due %s, %s", u.Pack, secs(u.DueAt), u.Status))
		}
	}
	if d.OnlyUnder != "" {
		parts = append(parts, "only under pack "+d.OnlyUnder)
	}
	return strings.Join(parts, "; ")
}

// describeRegulatory describes the regulatory facts for the timeline.
func describeRegulatory(e domain.Event) (string, bool) {
	switch e := e.(type) {
	case domain.EntityProfiled:
		return describeProfile(e), true
	case domain.AffectedRecorded:
		return describeCounts(e.Counts), true
	case domain.DeterminationMade:
		verdict := "yes"
		if !e.Positive {
			verdict = "no"
		}
		return fmt.Sprintf("%s: %s — %s", e.Kind, verdict, e.Reasoning), true
	case domain.AcknowledgementReceived:
		return fmt.Sprintf("notice %s acknowledged by %s%s", e.Notice, e.From, ref(e.Reference)), true
	case domain.HoldRecorded:
		what := "every obligation its kind holds"
		if len(e.Obligations) > 0 {
			what = strings.Join(e.Obligations, ", ")
		}
		form := ""
		if e.Kind == domain.HoldLawEnforcement {
			form = " (oral)"
			if e.Written {
				form = " (written)"
			}
		}
		until := ""
		if !e.Until.IsZero() {
			until = " until " + stamp(e.Until)
		}
		return fmt.Sprintf("%s %s%s asked by %s for %s%s: %s", e.Hold, e.Kind, form, e.Authority, what, until, e.Basis), true
	case domain.HoldReleased:
		return fmt.Sprintf("%s released: %s", e.Hold, e.Reason), true
	case domain.RiskFactorsRecorded:
		return describeFactors(e), true
	case domain.PackPinned:
		return fmt.Sprintf("evaluated under rule pack %s: %s", e.Version, e.Reason), true
	}
	return "", false
}

// WriteCompareMethod writes the current method's reading of an incident's
// risk advice beside the pinned one (show --compare-method): nothing when
// the pinned method is the current one, and a closed incident is never
// re-advised.
func WriteCompareMethod(w io.Writer, v IncidentView) error {
	p := &printer{w: w}
	if v.RiskAdvice == nil || v.RiskAdvice.Method == domain.CurrentAdviceMethod() {
		return nil
	}
	if v.Closed {
		p.f("\nUnder the current method (%s): not re-advised, the incident is closed\n", domain.CurrentAdviceMethod())
		return p.err
	}
	cur, ok := domain.CurrentMethodAdvice(&v.Incident)
	if !ok {
		return nil
	}
	p.f("\nUnder the current method, beside the pinned %s:", safetext.Line(v.RiskAdvice.Method))
	writeAdvice(p, v.ID, v.Regulatory.RiskFactors, cur, v.Risk != nil)
	return p.err
}
