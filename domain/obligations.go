package domain

import (
	"fmt"
	"slices"
	"sort"
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
	StatusWaived  = Status("waived")   // an approved exception or the law's own exception removed the duty
)

// Statuses lists every status.
var Statuses = []Status{StatusPending, StatusDueSoon, StatusOverdue, StatusMet, StatusMetLate, StatusHeld, StatusWaived}

// Open reports whether the obligation still asks for something.
func (s Status) Open() bool {
	return s == StatusPending || s == StatusDueSoon || s == StatusOverdue || s == StatusHeld
}

// Obligation is one notification duty of one incident, evaluated at an
// instant: when it is due, by which rule, and where it stands.
type Obligation struct {
	ID          string        `json:"obligation"` // unique within the incident, e.g. "customer-notice/contoso"
	Rule        string        `json:"rule"`
	Regime      string        `json:"regime"`
	Citation    string        `json:"citation"`
	Recipient   RecipientKind `json:"recipient"`
	Customer    string        `json:"customer,omitempty"`
	Anchor      string        `json:"anchor"`       // what starts the clock
	AnchorEvent string        `json:"anchor_event"` // the event that started it
	AnchorAt    time.Time     `json:"anchor_at"`
	Window      string        `json:"window"`
	Target      bool          `json:"target"` // an organisational target, not a time limit written in law
	DueAt       time.Time     `json:"due_at"`
	Status      Status        `json:"status"`
	MetBy       string        `json:"met_by,omitempty"`
	MetAt       time.Time     `json:"met_at,omitzero"`
	Reason      string        `json:"reason,omitempty"` // met-late: the delay reason; waived/held: why
	HeldBy      []string      `json:"held_by,omitempty"`
	HeldUntil   time.Time     `json:"held_until,omitzero"`

	window    time.Duration
	satisfies func(NotificationEntry) bool
	holdable  bool   // approved notification-delay requests hold it
	waived    string // non-empty: the reason the duty was removed
}

// ObligationRule describes one rule that can create obligations.
type ObligationRule struct {
	ID       string
	Regime   string
	Citation string
	Summary  string
	derive   func(inc *Incident, s Settings) []Obligation
}

// ObligationRules are the rules this version of breachledger evaluates.
var ObligationRules = []ObligationRule{
	{
		ID: "customer-notice", Regime: "processor commitment", Citation: "Processor commitment to customers",
		Summary: "where the organisation acts as processor, every customer in scope of a declared CRSPI is notified (security contacts, or subscription admins when none is configured) within the customer-notice window of the declaration, or of the customer entering scope if later; an approved notification-delay exception holds the clock",
		derive:  deriveCustomerNotices,
	},
	{
		ID: "gdpr-art33", Regime: "GDPR", Citation: "GDPR Art. 33(1)",
		Summary: "a controller notifies the supervisory authority of a personal data breach not later than 72 hours after becoming aware, unless it is unlikely to result in a risk; a late notice carries the reasons for the delay",
		derive:  deriveArt33,
	},
	{
		ID: "gdpr-art34", Regime: "GDPR", Citation: "GDPR Art. 34(1)",
		Summary: "a controller tells data subjects of a high-risk personal data breach without undue delay (tracked against the art34-target setting); Art. 34(3) exceptions waive it",
		derive:  deriveArt34,
	},
}

// Obligations evaluates every obligation of inc at asOf, sorted by due time.
// inc must have been replayed with the same cut (see Replay), so that it
// holds only what had happened by asOf.
func Obligations(inc *Incident, s Settings, asOf time.Time) []Obligation {
	if !inc.Exists {
		return nil
	}
	var out []Obligation
	for _, rule := range ObligationRules {
		for _, o := range rule.derive(inc, s) {
			o.Rule, o.Regime, o.Citation = rule.ID, rule.Regime, rule.Citation
			o.Window = FormatDuration(o.window)
			evaluate(&o, inc, s, asOf)
			out = append(out, o)
		}
	}
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

func evaluate(o *Obligation, inc *Incident, s Settings, asOf time.Time) {
	holds := o.holds(inc)
	o.DueAt = pausedDue(o.AnchorAt, o.window, holds)
	if n, ok := o.firstNotice(inc); ok {
		o.MetBy, o.MetAt = n.EventID, n.At
		if !n.At.After(o.DueAt) {
			o.Status = StatusMet
			return
		}
		o.Status, o.Reason = StatusMetLate, n.DelayReason
		return
	}
	if o.waived != "" {
		o.Status, o.Reason = StatusWaived, o.waived
		return
	}
	for _, h := range holds {
		if !asOf.Before(h.start) && asOf.Before(h.end) {
			o.Status, o.HeldUntil, o.HeldBy = StatusHeld, h.end, h.requests
			o.Reason = "notification delay exception " + strings.Join(h.requests, ", ") + " approved"
			return
		}
	}
	switch {
	case asOf.After(o.DueAt):
		o.Status = StatusOverdue
	case o.DueAt.Sub(asOf) <= s.DueSoonWindow:
		o.Status = StatusDueSoon
	default:
		o.Status = StatusPending
	}
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

type hold struct {
	start, end time.Time
	requests   []string
}

// holds returns the merged intervals during which approved notification
// delay exceptions hold o, in time order.
func (o *Obligation) holds(inc *Incident) []hold {
	if !o.holdable {
		return nil
	}
	var hs []hold
	for _, r := range inc.Requests {
		if r.Status == RequestStatusApproved && r.Covers(o.Customer) && r.Until.After(r.ApprovedAt) {
			hs = append(hs, hold{start: r.ApprovedAt, end: r.Until, requests: []string{r.Request}})
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].start.Before(hs[j].start) })
	var merged []hold
	for _, h := range hs {
		if n := len(merged); n > 0 && !h.start.After(merged[n-1].end) {
			if h.end.After(merged[n-1].end) {
				merged[n-1].end = h.end
			}
			merged[n-1].requests = append(merged[n-1].requests, h.requests...)
			continue
		}
		merged = append(merged, h)
	}
	return merged
}

// pausedDue is anchor+window with the clock paused while a hold runs: time
// held before the (moving) due time is added to it. A hold that starts after
// the due time does not move it.
func pausedDue(anchor time.Time, window time.Duration, holds []hold) time.Time {
	due := anchor.Add(window)
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

func deriveCustomerNotices(inc *Incident, s Settings) []Obligation {
	if inc.Declaration == nil || !inc.Detection.Role.IsProcessor() {
		return nil
	}
	waived := ""
	if inc.Dismissed() {
		waived = fmt.Sprintf("reclassified %s after the declaration", inc.Classification.Classification)
	}
	var out []Obligation
	for _, c := range inc.Scope.Customers {
		anchor, at, ev := "declaration", inc.Declaration.At, inc.Declaration.EventID
		if since, ok := inc.Scope.CustomersSince[c]; ok && since.At.After(at) {
			anchor, at, ev = "customer entered scope", since.At, since.EventID
		}
		customer := c
		out = append(out, Obligation{
			ID: "customer-notice/" + c, Recipient: RecipientSecurityContacts, Customer: c,
			Anchor: anchor, AnchorEvent: ev, AnchorAt: at, window: s.CustomerNoticeWindow,
			satisfies: func(n NotificationEntry) bool { return n.RecipientKind.IsCustomer() && n.Customer == customer },
			holdable:  true, waived: waived,
		})
	}
	return out
}

func deriveArt33(inc *Incident, s Settings) []Obligation {
	if !inc.Detection.Role.IsController() || !everPersonalData(inc) {
		return nil
	}
	o := Obligation{
		ID: "gdpr-art33", Recipient: RecipientAuthority,
		Anchor: "awareness", AnchorEvent: inc.Detection.AwareEventID, AnchorAt: inc.Detection.AwareAt,
		window:    72 * time.Hour,
		satisfies: func(n NotificationEntry) bool { return n.RecipientKind == RecipientAuthority },
	}
	switch {
	case inc.Dismissed():
		o.waived = fmt.Sprintf("classified %s: no personal data breach to notify", inc.Classification.Classification)
	case inc.Risk != nil && inc.Risk.Level == RiskUnlikely:
		o.waived = "breach determined unlikely to result in a risk to the rights and freedoms of natural persons (GDPR Art. 33(1)); documented under Art. 33(5)"
	}
	return []Obligation{o}
}

func deriveArt34(inc *Incident, s Settings) []Obligation {
	if !inc.Detection.Role.IsController() {
		return nil
	}
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
		return nil
	}
	o := Obligation{
		ID: "gdpr-art34", Recipient: RecipientDataSubjects,
		Anchor: "high risk determined", AnchorEvent: since.EventID, AnchorAt: since.At,
		window: s.Art34Target, Target: true,
		satisfies: func(n NotificationEntry) bool { return n.RecipientKind == RecipientDataSubjects },
	}
	switch {
	case inc.Dismissed():
		o.waived = fmt.Sprintf("classified %s: no personal data breach to communicate", inc.Classification.Classification)
	case inc.Risk.Level != RiskHigh:
		o.waived = fmt.Sprintf("risk no longer high (determined %q)", inc.Risk.Level)
	case inc.Risk.Art34Exception != Art34None:
		o.waived = fmt.Sprintf("%s exception: %s", inc.Risk.Art34Exception.Citation(), inc.Risk.Reasoning)
	}
	return []Obligation{o}
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
