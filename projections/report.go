package projections

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
)

// IncidentReport is what an auditor reads about one incident: every event
// with its actor, signer, business and recorded times; how long each stage
// took; the classification, severity and risk history with each correction
// beside what it corrected; every obligation with its due time, status and
// the notice that met it; the exceptions and holds with their approvals;
// each notice's content checked against what the law asks of it; the
// post-mortem; and the checkpoint the report was built from. Like every
// projection it depends only on the facts, the cut and the provenance.
type IncidentReport struct {
	Incident string    `json:"incident"`
	Ledger   string    `json:"ledger"`
	AsOf     time.Time `json:"as_of"`
	KnownAt  time.Time `json:"known_at"`

	Overview    ReportOverview `json:"overview"`
	Milestones  []Milestone    `json:"milestones"`
	Stages      []StageSpan    `json:"stages"`
	StageTotals []StageTotal   `json:"stage_totals"`

	Classifications []HistoryItem      `json:"classification_history"`
	Severities      []HistoryItem      `json:"severity_history"`
	Risks           []HistoryItem      `json:"risk_history"`
	Corrections     []ReportCorrection `json:"corrections"`

	Obligations []ReportObligation `json:"obligations"`
	Exceptions  []ReportException  `json:"exceptions"`
	Holds       []ReportHold       `json:"holds"`
	Notices     []NoticeCheck      `json:"notices"`

	Actions    []ReportAction    `json:"remedial_actions"`
	Evidence   []ReportEvidence  `json:"evidence"`
	Postmortem *ReportPostmortem `json:"postmortem"`

	Events []TimelineEntry `json:"events"`

	Integrity history.Provenance `json:"integrity"`
	Reproduce string             `json:"reproduce"` // the command that rebuilds this report
}

// ReportOverview is the incident at a glance.
type ReportOverview struct {
	Summary        string                   `json:"summary"`
	Source         domain.Source            `json:"source"`
	Reference      string                   `json:"reference,omitempty"`
	DetectedAt     time.Time                `json:"detected_at"`
	DetectedBy     string                   `json:"detected_by"`
	AwareAt        time.Time                `json:"aware_at"`
	Role           domain.DataRole          `json:"role"`
	Stage          domain.Stage             `json:"stage"`
	Closed         bool                     `json:"closed"`
	ClosedAt       time.Time                `json:"closed_at,omitzero"`
	Classification domain.Classification    `json:"classification,omitempty"`
	Category       domain.InformationImpact `json:"category,omitempty"` // the information impact (breach category)
	Severity       domain.Severity          `json:"severity,omitempty"`
	Priority       domain.Priority          `json:"priority,omitempty"`
	Risk           domain.RiskLevel         `json:"risk,omitempty"`
	Declared       bool                     `json:"declared"`
	DeclaredAt     time.Time                `json:"declared_at,omitzero"`
	DeclaredBy     string                   `json:"declared_by,omitempty"`
	Declaration    string                   `json:"declaration,omitempty"` // basis and reasoning
	Scope          string                   `json:"scope"`
	Pack           string                   `json:"pack"`
	Calendar       string                   `json:"calendar"` // the pinned frozen calendar version; user closures are named per obligation
	Events         int                      `json:"events"`
}

// Milestone is the time between two moments of the response.
type Milestone struct {
	Name     string    `json:"name"`
	FromAt   time.Time `json:"from_at"`
	ToAt     time.Time `json:"to_at"`
	Duration string    `json:"duration"`
	Seconds  int64     `json:"seconds"`
}

// StageSpan is one stay in a stage of the process.
type StageSpan struct {
	Stage     domain.Stage `json:"stage"`
	Title     string       `json:"title"`
	EnteredAt time.Time    `json:"entered_at"`
	LeftAt    time.Time    `json:"left_at,omitzero"` // zero: still there (Ongoing), or the incident is closed
	Ongoing   bool         `json:"ongoing"`          // the stage the incident is in at the as-of time, counted to it
	Duration  string       `json:"duration"`
	Seconds   int64        `json:"seconds"`
	EventID   string       `json:"event_id"`
	Actor     string       `json:"actor"`
	Reason    string       `json:"reason,omitempty"`
}

// StageTotal is the time spent in one stage over every stay.
type StageTotal struct {
	Stage    domain.Stage `json:"stage"`
	Title    string       `json:"title"`
	Stays    int          `json:"stays"`
	Duration string       `json:"duration"`
	Seconds  int64        `json:"seconds"`
}

// HistoryItem is one value of a classification, severity or risk history,
// as recorded, with the correction that changed it, if any.
type HistoryItem struct {
	Seq        uint64          `json:"seq"`
	EventID    string          `json:"event_id"`
	At         time.Time       `json:"at"`
	RecordedAt time.Time       `json:"recorded_at"`
	Actor      string          `json:"actor"`
	Signer     string          `json:"signer,omitempty"`
	Value      string          `json:"value"`
	Detail     string          `json:"detail,omitempty"`
	Correction *CorrectionNote `json:"correction,omitempty"`
}

// CorrectionNote is a correction shown beside what it corrected.
type CorrectionNote struct {
	EventID    string    `json:"event_id"`
	At         time.Time `json:"at"`
	RecordedAt time.Time `json:"recorded_at"`
	Actor      string    `json:"actor"`
	Signer     string    `json:"signer,omitempty"` // "" when the correction was not signed
	Signed     bool      `json:"signed"`
	Changed    []string  `json:"changed"`
	Reason     string    `json:"reason"`
	Original   string    `json:"original"` // what was first recorded
	OriginalAt time.Time `json:"original_at"`
}

// ReportCorrection is one correction: what it changed, from what to what.
type ReportCorrection struct {
	Seq        uint64    `json:"seq"`
	EventID    string    `json:"event_id"`
	At         time.Time `json:"at"`
	RecordedAt time.Time `json:"recorded_at"`
	Actor      string    `json:"actor"`
	Signer     string    `json:"signer,omitempty"`
	Target     string    `json:"target"`
	TargetKind string    `json:"target_kind"`
	Changed    []string  `json:"changed"`
	Reason     string    `json:"reason"`
	Before     string    `json:"before"`
	After      string    `json:"after"`
}

// ReportObligation is an obligation with the notice that met it.
type ReportObligation struct {
	domain.Obligation
	Notice *NoticeRef `json:"notice,omitempty"` // the notice that met it
	// Late is how late it was met, or how overdue it is.
	Late string `json:"late,omitempty"`
}

// NoticeRef names a notice.
type NoticeRef struct {
	EventID   string               `json:"event_id"`
	At        time.Time            `json:"at"`
	To        domain.RecipientKind `json:"to"`
	Recipient string               `json:"recipient"`
	Phase     domain.Phase         `json:"phase"`
	Channel   domain.Channel       `json:"channel"`
	Reference string               `json:"reference,omitempty"`
}

// ReportException is a request for an exception (a notification delay) or
// an approval (data leaving production), with its approvals.
type ReportException struct {
	Request     string             `json:"request"`
	Kind        domain.RequestKind `json:"kind"`
	Ground      string             `json:"ground,omitempty"`
	Details     string             `json:"details"`
	Customers   []string           `json:"customers,omitempty"`
	Until       time.Time          `json:"until,omitzero"`
	Destination string             `json:"destination,omitempty"`
	OpenedAt    time.Time          `json:"opened_at"`
	OpenedBy    string             `json:"opened_by"`
	Status      string             `json:"status"`
	Required    []domain.Role      `json:"required"` // roles that must approve, by distinct people
	Approvals   []ReportApproval   `json:"approvals"`
	Rejection   *ReportApproval    `json:"rejection,omitempty"`
	ApprovedAt  time.Time          `json:"approved_at,omitzero"`
	Check       string             `json:"check"` // whether the approvals meet the rule
}

// ReportApproval is one approval or rejection.
type ReportApproval struct {
	As      domain.Role `json:"as"`
	Actor   string      `json:"actor"`
	At      time.Time   `json:"at"`
	Comment string      `json:"comment,omitempty"`
}

// ReportHold is a hold of notification on a legal basis.
type ReportHold struct {
	Hold        string          `json:"hold"`
	Kind        domain.HoldKind `json:"kind"`
	Authority   string          `json:"authority"`
	Basis       string          `json:"basis"`
	Written     bool            `json:"written"`
	Obligations []string        `json:"obligations"`
	RecordedAt  time.Time       `json:"recorded_at"`
	ApprovedBy  string          `json:"approved_by"` // the actor (legal) who recorded it
	Until       time.Time       `json:"until,omitzero"`
	ReleasedAt  time.Time       `json:"released_at,omitzero"`
	ReleasedBy  string          `json:"released_by,omitempty"`
	Release     string          `json:"release_reason,omitempty"`
}

// NoticeCheck is a notice sent, with its content checked against what the
// law asks of it.
type NoticeCheck struct {
	Seq          uint64               `json:"seq"`
	EventID      string               `json:"event_id"`
	At           time.Time            `json:"at"`
	RecordedAt   time.Time            `json:"recorded_at"`
	Actor        string               `json:"actor"`
	Signer       string               `json:"signer,omitempty"`
	To           domain.RecipientKind `json:"to"`
	Recipient    string               `json:"recipient"`
	Customer     string               `json:"customer,omitempty"`
	Jurisdiction string               `json:"jurisdiction,omitempty"`
	Phase        domain.Phase         `json:"phase"`
	Channel      domain.Channel       `json:"channel"`
	Reference    string               `json:"reference,omitempty"`
	Summary      string               `json:"summary,omitempty"`
	DelayReason  string               `json:"delay_reason,omitempty"`
	Meets        []string             `json:"meets"` // obligations this notice met
	Checks       []ContentCheck       `json:"checks"`
	Verdict      string               `json:"verdict"` // complete, incomplete, not checked
}

// ContentCheck is one item the law asks a notice to carry.
type ContentCheck struct {
	Citation string `json:"citation"`
	Item     string `json:"item"`
	Status   string `json:"status"` // carried, carried-earlier, missing, not-recorded
	Detail   string `json:"detail,omitempty"`
}

// Content check statuses.
const (
	ContentCarried        = "carried"
	ContentCarriedEarlier = "carried-earlier" // in an earlier notice to the same authority (phased, Art. 33(4))
	ContentMissing        = "missing"
	ContentNotRecorded    = "not-recorded" // the ledger does not record this content
)

// Notice verdicts.
const (
	VerdictComplete   = "complete"
	VerdictIncomplete = "incomplete"
	VerdictNotChecked = "not checked"
)

// ReportAction is a remedial action.
type ReportAction struct {
	At          time.Time         `json:"at"`
	Actor       string            `json:"actor"`
	Kind        domain.ActionKind `json:"kind"`
	Description string            `json:"description"`
	Systems     []string          `json:"systems,omitempty"`
}

// ReportEvidence is a piece of evidence, by hash.
type ReportEvidence struct {
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`
	Description string    `json:"description"`
	SHA256      string    `json:"sha256"`
	Location    string    `json:"location,omitempty"`
}

// ReportPostmortem is the post-mortem digest: its summary and where the
// confidential document is, with its SHA-256.
type ReportPostmortem struct {
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Summary  string    `json:"summary"`
	Location string    `json:"location"`
	SHA256   string    `json:"sha256"`
}

// BuildReport builds the report of incident id at the cut, from the facts
// of its stream and the ledger's state, built from the events p names. ok
// is false when the cut sees none of the incident. format is the report's
// format as the reproduce command should name it (md, html, json, csv).
func BuildReport(ledger domain.Ledger, id string, facts []domain.Fact, cut domain.Cut, p history.Provenance, format string) (IncidentReport, bool) {
	inc := history.IncidentAt(id, facts, cut)
	if !inc.Exists {
		return IncidentReport{}, false
	}
	seen := domain.Corrected(facts, cut)
	byID := make(map[string]domain.Fact, len(seen))
	for _, f := range seen {
		byID[f.ID] = f
	}
	obs := domain.Obligations(&inc, ledger.Settings, cut.AsOf)
	r := IncidentReport{
		Incident: id, Ledger: ledger.Name, AsOf: cut.AsOf, KnownAt: cut.KnownAt,
		Overview:  overview(&inc, len(seen)),
		Integrity: p,
		Reproduce: reproduce(fmt.Sprintf("--incident %s --format %s", id, format), p, cut.AsOf, cut.KnownAt),
	}
	r.Milestones = milestones(&inc)
	r.Stages, r.StageTotals = stageSpans(&inc, cut.AsOf)
	r.Classifications, r.Severities, r.Risks = histories(&inc, byID)
	r.Corrections = corrections(facts, seen)
	r.Obligations = reportObligations(&inc, obs, cut.AsOf)
	r.Exceptions = exceptions(&inc)
	r.Holds = holds(&inc)
	r.Notices = noticeChecks(&inc, obs, byID)
	for _, a := range inc.Actions {
		r.Actions = append(r.Actions, ReportAction{At: a.At, Actor: a.Actor, Kind: a.Kind, Description: a.Description, Systems: a.Systems})
	}
	for _, e := range inc.Evidence {
		r.Evidence = append(r.Evidence, ReportEvidence{At: e.At, Actor: e.Actor, Description: e.Description, SHA256: e.SHA256, Location: e.Location})
	}
	if pm := inc.Postmortem; pm != nil {
		r.Postmortem = &ReportPostmortem{At: pm.At, Actor: pm.Actor, Summary: pm.Summary, Location: pm.Location, SHA256: pm.SHA256}
	}
	r.Events = BuildTimeline(id, facts, cut).Entries
	emptySlices(&r)
	return r, true
}

func overview(inc *domain.Incident, events int) ReportOverview {
	d := inc.Detection
	o := ReportOverview{
		Summary: d.Summary, Source: d.Source, Reference: d.Reference, DetectedAt: d.At, DetectedBy: d.Actor, AwareAt: d.AwareAt, Role: d.Role,
		Stage: inc.Stage, Closed: inc.Closed, Declared: inc.Declaration != nil, Scope: describeScope(inc.Scope.ScopeRecorded),
		Pack: inc.Regulatory.PackVersion(), Calendar: inc.Regulatory.CalendarDescription(), Events: events,
	}
	if inc.Closed && len(inc.Closures) > 0 {
		o.ClosedAt = inc.Closures[len(inc.Closures)-1].At
	}
	if c := inc.Classification; c != nil {
		o.Classification = c.Classification
	}
	if a := inc.Assessment; a != nil {
		o.Category, o.Severity, o.Priority = a.InformationImpact, a.Severity, a.Priority
	}
	if rk := inc.Risk; rk != nil {
		o.Risk = rk.Level
	}
	if dc := inc.Declaration; dc != nil {
		o.DeclaredAt, o.DeclaredBy, o.Declaration = dc.At, dc.Actor, Describe(dc.CRSPIDeclared)
	}
	return o
}

// span formats a duration for people: "2d13h45m", "45m", "0s".
func span(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	d = d.Round(time.Second)
	if d == 0 {
		return "0s"
	}
	if neg {
		return "-" + dayClock(d)
	}
	return dayClock(d)
}

// dayClock writes a positive duration in whole days and what is left:
// "3d", "2d13h45m", "45m".
func dayClock(d time.Duration) string {
	days, rest := d/(24*time.Hour), d%(24*time.Hour)
	switch {
	case days > 0 && rest == 0:
		return fmt.Sprintf("%dd", days)
	case days > 0:
		return fmt.Sprintf("%dd%s", days, domain.FormatDuration(rest))
	}
	return domain.FormatDuration(rest)
}

func milestone(name string, from, to time.Time) Milestone {
	d := to.Sub(from)
	return Milestone{Name: name, FromAt: from, ToAt: to, Duration: span(d), Seconds: int64(d / time.Second)}
}

func milestones(inc *domain.Incident) []Milestone {
	d := inc.Detection
	var out []Milestone
	if d.AwareAt.Before(d.At) {
		out = append(out, milestone("awareness to detection", d.AwareAt, d.At))
	} else {
		out = append(out, milestone("detection to awareness", d.At, d.AwareAt))
	}
	if dc := inc.Declaration; dc != nil {
		out = append(out, milestone("detection to CRSPI declaration", d.At, dc.At), milestone("awareness to CRSPI declaration", d.AwareAt, dc.At))
		first, last := customerNotices(inc)
		if !first.IsZero() {
			out = append(out, milestone("declaration to first customer notice", dc.At, first))
		}
		if !last.IsZero() {
			out = append(out, milestone("declaration to every customer notified", dc.At, last))
		}
	}
	for _, n := range inc.Notifications {
		if n.RecipientKind == domain.RecipientAuthority && n.Phase != domain.PhaseDelayNotice && n.Phase != domain.PhaseWithdrawn {
			out = append(out, milestone("awareness to first supervisory-authority notice", d.AwareAt, n.At))
			break
		}
	}
	for _, n := range inc.Notifications {
		if n.RecipientKind == domain.RecipientDataSubjects {
			out = append(out, milestone("awareness to first data-subject notice", d.AwareAt, n.At))
			break
		}
	}
	if inc.Closed && len(inc.Closures) > 0 {
		out = append(out, milestone("detection to closure", d.At, inc.Closures[len(inc.Closures)-1].At))
	}
	return out
}

// customerNotices returns when the first customer in scope was first
// notified, and when the last one was (zero until every one was).
func customerNotices(inc *domain.Incident) (first, last time.Time) {
	firstOf := map[string]time.Time{}
	for _, n := range inc.Notifications {
		if !n.RecipientKind.IsCustomer() || n.Phase == domain.PhaseDelayNotice || n.Phase == domain.PhaseWithdrawn {
			continue
		}
		if t, ok := firstOf[n.Customer]; !ok || n.At.Before(t) {
			firstOf[n.Customer] = n.At
		}
	}
	all := true
	for _, c := range inc.Scope.Customers {
		t, ok := firstOf[c]
		if !ok {
			all = false
			continue
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	if !all {
		last = time.Time{}
	}
	return first, last
}

// stageSpans returns each stay in a stage and the time spent in each stage.
func stageSpans(inc *domain.Incident, asOf time.Time) ([]StageSpan, []StageTotal) {
	log := slices.Clone(inc.StageLog)
	sort.SliceStable(log, func(i, j int) bool { return log[i].At.Before(log[j].At) })
	var spans []StageSpan
	for i, e := range log {
		s := StageSpan{Stage: e.Stage, Title: e.Stage.Title(), EnteredAt: e.At, EventID: e.EventID, Actor: e.Actor, Reason: e.Reason}
		var end time.Time
		switch {
		case i+1 < len(log):
			end = log[i+1].At
			s.LeftAt = end
		case !inc.Closed:
			end, s.Ongoing = asOf, true
		}
		if !end.IsZero() {
			d := end.Sub(e.At)
			s.Duration, s.Seconds = span(d), int64(d/time.Second)
		}
		spans = append(spans, s)
	}
	var totals []StageTotal
	for _, st := range []domain.Stage{domain.StageDetect, domain.StageAssess, domain.StageDiagnose, domain.StageStabilize, domain.StageClose} {
		t := StageTotal{Stage: st, Title: st.Title()}
		timed := false
		for _, s := range spans {
			if s.Stage == st {
				t.Stays++
				t.Seconds += s.Seconds
				timed = timed || s.Duration != ""
			}
		}
		if t.Stays == 0 {
			continue
		}
		if timed {
			t.Duration = span(time.Duration(t.Seconds) * time.Second)
		}
		totals = append(totals, t)
	}
	return spans, totals
}

// histories returns the classification, severity and risk histories.
func histories(inc *domain.Incident, byID map[string]domain.Fact) (cls, sev, risk []HistoryItem) {
	item := func(r domain.Ref, value, detail string) HistoryItem {
		f := byID[r.EventID]
		h := HistoryItem{Seq: f.Sequence, EventID: r.EventID, At: r.At, RecordedAt: f.RecordedAt, Actor: r.Actor, Signer: f.Signer, Value: value, Detail: detail}
		if f.CorrectedBy != "" {
			c := byID[f.CorrectedBy]
			ec, _ := c.Event.(domain.EventCorrected)
			h.Correction = &CorrectionNote{EventID: c.ID, At: c.At, RecordedAt: c.RecordedAt, Actor: c.Actor, Signer: c.Signer, Signed: c.Signer != "", Changed: ec.Changed, Reason: ec.Reason,
				Original: Describe(f.Original), OriginalAt: f.OriginalAt}
		}
		return h
	}
	for _, c := range inc.Classifications {
		detail := c.Reason
		if c.RootCause != "" {
			detail = joinNonEmpty("root cause: "+c.RootCause, c.Reason)
		}
		cls = append(cls, item(c.Ref, string(c.Classification), detail))
	}
	for _, a := range inc.Assessments {
		detail := fmt.Sprintf("functional %s, recoverability %s, information %s", a.FunctionalImpact, a.Recoverability, a.InformationImpact)
		if a.Severity != a.DerivedSeverity || a.Priority != a.DerivedPriority {
			detail += fmt.Sprintf("; derived %s/%s, overridden: %s", a.DerivedSeverity, a.DerivedPriority, a.OverrideReason)
		}
		if a.Escalated {
			detail += "; escalated to security response"
		}
		sev = append(sev, item(a.Ref, fmt.Sprintf("%s/%s", a.Severity, a.Priority), detail))
	}
	for _, rk := range inc.Risks {
		detail := rk.Reasoning
		if rk.Art34Exception != domain.Art34None {
			detail += fmt.Sprintf(" (%s exception)", rk.Art34Exception.Citation())
		}
		risk = append(risk, item(rk.Ref, string(rk.Level), detail))
	}
	return cls, sev, risk
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

// corrections lists every correction the cut sees, in sequence order, with
// the target as it read before and after.
func corrections(all []domain.Fact, seen []domain.Fact) []ReportCorrection {
	raw := map[string]domain.Fact{}
	for _, f := range all {
		raw[f.ID] = f
	}
	current := map[string]string{}
	var out []ReportCorrection
	for _, f := range seen {
		c, ok := f.Event.(domain.EventCorrected)
		if !ok {
			continue
		}
		before, ok := current[c.Target]
		if !ok {
			if t, found := raw[c.Target]; found {
				before = Describe(t.Event)
				if !t.At.Equal(c.At) {
					before += " (at " + stamp(t.At) + ")"
				}
			}
		}
		after := Describe(c.Replacement)
		if t, found := raw[c.Target]; found && !t.At.Equal(c.At) {
			after += " (at " + stamp(c.At) + ")"
		}
		current[c.Target] = after
		out = append(out, ReportCorrection{Seq: f.Sequence, EventID: f.ID, At: f.At, RecordedAt: f.RecordedAt, Actor: f.Actor, Signer: f.Signer,
			Target: c.Target, TargetKind: Kind(c.TargetType), Changed: c.Changed, Reason: c.Reason, Before: before, After: after})
	}
	return out
}

func reportObligations(inc *domain.Incident, obs []domain.Obligation, asOf time.Time) []ReportObligation {
	var out []ReportObligation
	for _, o := range obs {
		ro := ReportObligation{Obligation: o}
		if o.MetBy != "" {
			for _, n := range inc.Notifications {
				if n.EventID == o.MetBy {
					ro.Notice = &NoticeRef{EventID: n.EventID, At: n.At, To: n.RecipientKind, Recipient: n.Recipient, Phase: n.Phase, Channel: n.Channel, Reference: n.Reference}
				}
			}
		}
		switch o.Status {
		case domain.StatusMetLate:
			ro.Late = span(o.MetAt.Sub(o.DueAt)) + " late"
		case domain.StatusOverdue:
			ro.Late = span(asOf.Sub(o.DueAt)) + " overdue"
		}
		out = append(out, ro)
	}
	return out
}

func exceptions(inc *domain.Incident) []ReportException {
	var out []ReportException
	for _, q := range inc.Requests {
		x := ReportException{Request: q.Request, Kind: q.Kind, Ground: string(q.DelayReason), Details: q.Details, Customers: q.Customers, Until: q.Until,
			Destination: q.Destination, OpenedAt: q.At, OpenedBy: q.Actor, Status: string(q.Status), Required: domain.RequiredApprovals(q.Kind), ApprovedAt: q.ApprovedAt}
		for _, a := range q.Approvals {
			x.Approvals = append(x.Approvals, ReportApproval{As: a.As, Actor: a.Actor, At: a.At, Comment: a.Comment})
		}
		if rj := q.Rejection; rj != nil {
			x.Rejection = &ReportApproval{As: rj.As, Actor: rj.Actor, At: rj.At, Comment: rj.Reason}
		}
		x.Check = approvalCheck(x)
		out = append(out, x)
	}
	return out
}

// approvalCheck says whether a request's approvals meet its rule: each
// required role, by distinct people.
func approvalCheck(x ReportException) string {
	var parts []string
	people := map[string]bool{}
	missing := []string{}
	for _, role := range x.Required {
		i := slices.IndexFunc(x.Approvals, func(a ReportApproval) bool { return a.As == role })
		if i < 0 {
			missing = append(missing, string(role))
			continue
		}
		parts = append(parts, fmt.Sprintf("as %s by %s", role, x.Approvals[i].Actor))
		people[x.Approvals[i].Actor] = true
	}
	switch {
	case x.Rejection != nil:
		return fmt.Sprintf("rejected as %s by %s: %s", x.Rejection.As, x.Rejection.Actor, x.Rejection.Comment)
	case len(missing) > 0:
		return "awaiting " + strings.Join(missing, " and ")
	case len(x.Required) > 1 && len(people) == len(x.Required):
		return "approved " + strings.Join(parts, " and ") + ": distinct people, as required"
	}
	return "approved " + strings.Join(parts, " and ")
}

func holds(inc *domain.Incident) []ReportHold {
	var out []ReportHold
	for _, h := range inc.Regulatory.Holds {
		rh := ReportHold{Hold: h.Hold, Kind: h.Kind, Authority: h.Authority, Basis: h.Basis, Written: h.Written, Obligations: h.Obligations,
			RecordedAt: h.At, ApprovedBy: h.Actor, Until: h.Until}
		if rel := h.Released; rel != nil {
			rh.ReleasedAt, rh.ReleasedBy, rh.Release = rel.At, rel.Actor, rel.Reason
		}
		out = append(out, rh)
	}
	return out
}

// art33Items names the GDPR Art. 33(3) items.
var art33Items = map[domain.Art33Item]string{
	domain.Art33Nature:       "(a) nature of the breach, categories and approximate numbers of data subjects and records",
	domain.Art33Contact:      "(b) name and contact details of the DPO or other contact point",
	domain.Art33Consequences: "(c) likely consequences",
	domain.Art33Measures:     "(d) measures taken or proposed, including mitigation",
}

// noticeChecks checks each notice's content against what the law asks of
// it, as far as the ledger records that content: the Art. 33(3) items of
// a notice to a supervisory authority (cumulatively across the notices to
// the same authority, Art. 33(4)), and the reasons for the delay that must
// accompany a late notice.
func noticeChecks(inc *domain.Incident, obs []domain.Obligation, byID map[string]domain.Fact) []NoticeCheck {
	var out []NoticeCheck
	carried := map[string]map[domain.Art33Item]bool{} // authority → items carried so far
	notices := slices.Clone(inc.Notifications)
	sort.SliceStable(notices, func(i, j int) bool { return notices[i].At.Before(notices[j].At) })
	for _, n := range notices {
		f := byID[n.EventID]
		nc := NoticeCheck{Seq: f.Sequence, EventID: n.EventID, At: n.At, RecordedAt: f.RecordedAt, Actor: n.Actor, Signer: f.Signer, To: n.RecipientKind,
			Recipient: n.Recipient, Customer: n.Customer, Jurisdiction: n.Jurisdiction, Phase: n.Phase, Channel: n.Channel, Reference: n.Reference,
			Summary: n.Summary, DelayReason: n.DelayReason}
		var late []domain.Obligation
		regime := "GDPR"
		for _, o := range obs {
			if o.MetBy != n.EventID {
				continue
			}
			nc.Meets = append(nc.Meets, o.ID)
			if o.Status == domain.StatusMetLate {
				late = append(late, o)
			}
			if o.Regime == "UK GDPR" {
				regime = "UK GDPR"
			}
		}
		switch {
		case n.RecipientKind == domain.RecipientAuthority && n.Phase != domain.PhaseDelayNotice && n.Phase != domain.PhaseWithdrawn:
			key := n.Jurisdiction
			if key == "" {
				key = n.Recipient
			}
			if carried[key] == nil {
				carried[key] = map[domain.Art33Item]bool{}
			}
			for _, it := range domain.Art33Items() {
				c := ContentCheck{Citation: regime + " Art. 33(3)", Item: art33Items[it]}
				switch {
				case slices.Contains(n.Art33Items, it):
					c.Status = ContentCarried
				case carried[key][it]:
					c.Status, c.Detail = ContentCarriedEarlier, "in an earlier notice to the same authority (phased, Art. 33(4))"
				default:
					c.Status = ContentMissing
					if n.Phase == domain.PhaseInitial {
						c.Detail = "may follow in phases without undue further delay (Art. 33(4))"
					}
				}
				nc.Checks = append(nc.Checks, c)
			}
			for _, it := range n.Art33Items {
				carried[key][it] = true
			}
		case n.RecipientKind == domain.RecipientDataSubjects:
			nc.Checks = append(nc.Checks, ContentCheck{Citation: "GDPR Art. 34(2)", Item: "in clear and plain language: the nature of the breach and the Art. 33(3)(b)–(d) items",
				Status: ContentNotRecorded, Detail: "the ledger records who was told and when, not the text; check the notice itself"})
		}
		for _, o := range late {
			c := ContentCheck{Citation: o.Citation, Item: "reasons for the delay (due " + stamp(o.DueAt) + ")", Status: ContentMissing}
			if o.Regime == "GDPR" || o.Regime == "UK GDPR" {
				c.Citation = o.Regime + " Art. 33(1)"
			}
			if n.DelayReason != "" {
				c.Status, c.Detail = ContentCarried, n.DelayReason
			}
			nc.Checks = append(nc.Checks, c)
		}
		nc.Verdict = verdict(nc.Checks)
		out = append(out, nc)
	}
	return out
}

func verdict(cs []ContentCheck) string {
	if len(cs) == 0 {
		return VerdictNotChecked
	}
	checked := false
	var missing []string
	for _, c := range cs {
		switch c.Status {
		case ContentMissing:
			missing = append(missing, c.Item)
		case ContentCarried, ContentCarriedEarlier:
			checked = true
		}
	}
	switch {
	case len(missing) > 0:
		return VerdictIncomplete
	case !checked:
		return VerdictNotChecked
	}
	return VerdictComplete
}
