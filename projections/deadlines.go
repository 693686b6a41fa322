package projections

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/breachledger/breachledger/domain"
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
func (f DeadlineFilter) beside(h *History, id string, rows []DeadlineRow, cut domain.Cut) {
	if len(rows) == 0 {
		return
	}
	if !f.NowKnownAt.IsZero() && f.NowKnownAt.After(cut.KnownAt) {
		now := domain.Cut{AsOf: cut.AsOf, KnownAt: f.NowKnownAt}
		inc := IncidentAt(id, h.Incidents[id], now)
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
		inc := IncidentAt(id, h.Incidents[id], cut)
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
func (f DeadlineFilter) onlyUnder(h *History, id string, rows []DeadlineRow, cut domain.Cut) []DeadlineRow {
	p, ok := domain.PackByVersion(f.ComparePack)
	if f.ComparePack == "" || !ok {
		return nil
	}
	inc := IncidentAt(id, h.Incidents[id], cut)
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
		pinned = fmt.Sprintf("pinned %s by %s: %s", stamp(g.Pack.At), g.Pack.Actor, g.Pack.Reason)
	}
	row("Rule pack:", "%s, %s (current: %s)", g.PackVersion(), pinned, domain.CurrentPack().Version)
	row("Calendar:", "%s (current: %s); user closing days, if any, are named on each deadline", g.CalendarDescription(), domain.CurrentCalendarVersion())
	if pr := g.Profile; pr != nil {
		row("Profile:", "%s%s", describeProfile(pr.EntityProfiled), correctedSuffix(pr.Ref))
	}
	if a := g.Affected; a != nil {
		row("Affected:", "%s%s", describeCounts(a.Counts), correctedSuffix(a.Ref))
	}
	for _, d := range g.Determinations {
		row("Determined:", "%s  %s (by %s)%s", stamp(d.At), Describe(d.DeterminationMade), d.Actor, correctedSuffix(d.Ref))
	}
	for _, h := range g.Holds {
		state := "until " + stamp(h.Until)
		if h.Until.IsZero() {
			state = "oral: at most 30 days"
		}
		if h.Released != nil {
			state += fmt.Sprintf("; released %s by %s: %s", stamp(h.Released.At), h.Released.Actor, h.Released.Reason)
		}
		row("Hold:", "%s  %s (recorded by %s; %s)", stamp(h.At), Describe(h.HoldRecorded), h.Actor, state)
	}
	for _, a := range g.Acknowledgements {
		row("Acknowledged:", "%s  %s%s", stamp(a.At), Describe(a.AcknowledgementReceived), correctedSuffix(a.Ref))
	}
	tw.Flush()
	if v.RiskAdvice != nil {
		a := v.RiskAdvice
		p.f("\nRisk advice: %s (GDPR risk %s) — advice only; the determination is a person's\n", a.Outcome, a.Level)
		p.f("  factors: %s\n", safetext.Line(Describe(g.RiskFactors.RiskFactorsRecorded)))
		for _, r := range a.Reasons {
			p.f("  - %s\n", safetext.Line(r))
		}
		if a.Differs != "" {
			p.f("  DIFFERS: %s\n", safetext.Line(a.Differs))
		} else if v.Risk != nil {
			p.f("  the recorded determination (%s) follows the advice\n", v.Risk.Level)
		}
	}
}

func describeProfile(e domain.EntityProfiled) string {
	var parts []string
	if len(e.Establishments) > 0 {
		parts = append(parts, "established in "+strings.Join(e.Establishments, ", "))
	}
	if len(e.Sectors) > 0 {
		parts = append(parts, "sectors "+strings.Join(e.Sectors, ", "))
	}
	if len(e.EntityTypes) > 0 {
		parts = append(parts, "entity types "+strings.Join(names(e.EntityTypes), ", "))
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

func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// WritePack writes a rule pack: every rule with its citation, anchor,
// period, calendar and [VERIFY] markers.
func WritePack(w io.Writer, p *domain.Pack, current bool) error {
	pr := &printer{w: w}
	tag := ""
	if current {
		tag = " (current)"
	}
	pr.f("Rule pack %s%s, released %s\n  %s\n\n", p.Version, tag, p.Released.Format("2006-01-02"), p.Notes)
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
		if r.Verify != "" {
			cite += " [VERIFY]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s → %s\t%s\n", r.ID, r.Regime, cite, r.Who, r.Recipient, clock)
	}
	tw.Flush()
	for _, r := range p.Rules {
		if r.Verify != "" {
			pr.f("\n[VERIFY] %s: %s", r.ID, r.Verify)
		}
	}
	pr.f("\n")
	return pr.err
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
		parts = append(parts, fmt.Sprintf("as known at %s: due %s, %s (anchor %s)", stamp(n.KnownAt), stamp(n.DueAt), n.Status, stamp(n.AnchorAt)))
	}
	if u := d.UnderPack; u != nil {
		if u.Absent {
			parts = append(parts, "not an obligation under pack "+u.Pack)
		} else if !u.DueAt.Equal(d.DueAt) || u.Status != d.Status {
			parts = append(parts, fmt.Sprintf("under pack %s: due %s, %s", u.Pack, stamp(u.DueAt), u.Status))
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
