package domain

import (
	"slices"
	"time"
)

// Incident is the state of one incident, folded from its stream.
type Incident struct {
	ID        string       `json:"id"`
	Stream    string       `json:"stream"`
	Exists    bool         `json:"-"`
	Detection *Detection   `json:"detection,omitempty"`
	Stage     Stage        `json:"stage"`
	Closed    bool         `json:"closed"`
	StageLog  []StageEntry `json:"stage_history"`

	Assessment  *Assessment  `json:"assessment,omitempty"`
	Assessments []Assessment `json:"assessment_history"`

	Classification  *ClassificationEntry  `json:"classification,omitempty"`
	Classifications []ClassificationEntry `json:"classification_history"`

	Scope Scope `json:"scope"`

	Risk  *RiskEntry  `json:"risk,omitempty"`
	Risks []RiskEntry `json:"risk_history"`

	Declaration *Declaration `json:"declaration,omitempty"`

	Actions       []ActionEntry       `json:"actions"`
	Evidence      []EvidenceEntry     `json:"evidence"`
	Requests      []*RequestState     `json:"requests"`
	Notifications []NotificationEntry `json:"notifications"`
	Postmortem    *PostmortemEntry    `json:"postmortem,omitempty"`
	Closures      []ClosureEntry      `json:"closures"`
	Reopenings    []ReopenEntry       `json:"reopenings"`
	Notes         []NoteEntry         `json:"notes"`
	Corrections   []CorrectionEntry   `json:"corrections"`

	// Regulatory holds the facts that decide which regimes apply and when
	// their clocks start (facts_events.go).
	Regulatory Regulatory `json:"regulatory"`

	// Facts are the facts folded, in sequence order, as corrected.
	Facts []Fact `json:"-"`
}

// Detection is how and when the incident started.
type Detection struct {
	Ref
	IncidentDetected
	// AwareEventID is the event that set AwareAt: the detection, or the
	// correction that moved it.
	AwareEventID string `json:"aware_event_id"`
}

// StageEntry is one stage the incident entered.
type StageEntry struct {
	Ref
	Stage  Stage  `json:"stage"`
	From   Stage  `json:"from,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Assessment is one assessment of impact.
type Assessment struct {
	Ref
	IncidentAssessed
}

// ClassificationEntry is one classification.
type ClassificationEntry struct {
	Ref
	IncidentClassified
}

// Scope is the incident's scope as last recorded, with when each customer
// entered it (a customer's notice clock cannot start before that).
type Scope struct {
	ScopeRecorded
	Updated        *Ref           `json:"updated,omitempty"`
	CustomersSince map[string]Ref `json:"customers_since"`
}

// RiskEntry is one risk determination.
type RiskEntry struct {
	Ref
	RiskDetermined
}

// Declaration is the CRSPI declaration.
type Declaration struct {
	Ref
	CRSPIDeclared
}

// ActionEntry is one response action.
type ActionEntry struct {
	Ref
	ActionTaken
}

// EvidenceEntry is one piece of evidence.
type EvidenceEntry struct {
	Ref
	EvidenceRecorded
}

// RequestStatus is where a request stands.
type RequestStatus string

// Request statuses.
const (
	RequestStatusPending  RequestStatus = "pending"
	RequestStatusApproved RequestStatus = "approved"
	RequestStatusRejected RequestStatus = "rejected"
)

// RequestState is a request with its approvals and rejection.
type RequestState struct {
	Ref
	RequestOpened
	Status     RequestStatus `json:"status"`
	Approvals  []Approval    `json:"approvals"`
	Rejection  *Rejection    `json:"rejection,omitempty"`
	ApprovedAt time.Time     `json:"approved_at,omitzero"` // when the last required approval was given
}

// Approval is one approval of a request.
type Approval struct {
	Ref
	As      Role   `json:"as"`
	Comment string `json:"comment,omitempty"`
}

// Rejection is the rejection of a request.
type Rejection struct {
	Ref
	As     Role   `json:"as"`
	Reason string `json:"reason"`
}

// RequiredApprovals returns the roles that must each approve a request of
// kind k, by distinct people.
func RequiredApprovals(k RequestKind) []Role {
	switch k {
	case RequestNotificationDelay:
		return []Role{RoleLegal, RoleExecutiveIM}
	case RequestDataTransfer:
		return []Role{RoleIncidentManager}
	}
	return nil
}

// Covers reports whether an approved notification delay applies to customer.
func (r *RequestState) Covers(customer string) bool {
	return r.Kind == RequestNotificationDelay && (len(r.Customers) == 0 || slices.Contains(r.Customers, customer))
}

// NotificationEntry is one notice sent.
type NotificationEntry struct {
	Ref
	NotificationSent
}

// PostmortemEntry is the post-mortem.
type PostmortemEntry struct {
	Ref
	PostmortemCompleted
}

// ClosureEntry is one closure of the incident.
type ClosureEntry struct {
	Ref
	IncidentClosed
}

// ReopenEntry is one reopening.
type ReopenEntry struct {
	Ref
	IncidentReopened
}

// NoteEntry is one note.
type NoteEntry struct {
	Ref
	NoteAdded
}

// CorrectionEntry is one correction, as recorded.
type CorrectionEntry struct {
	Ref
	Target     string   `json:"target"`
	TargetType string   `json:"target_type"`
	Changed    []string `json:"changed"`
	Reason     string   `json:"reason"`
}

// Request returns the request with the given ID, or nil.
func (inc *Incident) Request(id string) *RequestState {
	for _, r := range inc.Requests {
		if r.Request == id {
			return r
		}
	}
	return nil
}

// Fact returns the folded fact with the given event ID.
func (inc *Incident) Fact(id string) (Fact, bool) {
	for _, f := range inc.Facts {
		if f.ID == id {
			return f, true
		}
	}
	return Fact{}, false
}

// PersonalData reports whether personal data is known to be involved: the
// incident is classified a privacy breach, or its information impact is a
// privacy breach.
func (inc *Incident) PersonalData() bool {
	if inc.Classification != nil && inc.Classification.Classification == ClassPrivacyBreach {
		return true
	}
	return inc.Assessment != nil && inc.Assessment.InformationImpact == InfoPrivacy
}

// Dismissed reports whether the incident is currently classified as a false
// positive or out of scope.
func (inc *Incident) Dismissed() bool {
	return inc.Classification != nil && inc.Classification.Classification.Dismissed()
}

// NeedsPostmortem reports whether closing requires a post-mortem: a privacy
// breach, or a declared CRSPI.
func (inc *Incident) NeedsPostmortem() bool {
	return inc.Declaration != nil || (inc.Classification != nil && inc.Classification.Classification == ClassPrivacyBreach)
}

func (inc *Incident) apply(f Fact) {
	r := f.ref()
	switch e := f.Event.(type) {
	case IncidentDetected:
		inc.Exists = true
		inc.Stream = f.Stream
		inc.Detection = &Detection{Ref: r, IncidentDetected: e, AwareEventID: f.ID}
		if f.CorrectedBy != "" {
			if o, ok := f.Original.(IncidentDetected); ok && !o.AwareAt.Equal(e.AwareAt) {
				inc.Detection.AwareEventID = f.CorrectedBy
			}
		}
		if inc.Stage == "" {
			inc.Stage = StageDetect
			inc.StageLog = append(inc.StageLog, StageEntry{Ref: r, Stage: StageDetect})
		}
	case IncidentAssessed:
		a := Assessment{Ref: r, IncidentAssessed: e}
		inc.Assessment = &a
		inc.Assessments = append(inc.Assessments, a)
	case StageChanged:
		inc.Stage = e.To
		inc.StageLog = append(inc.StageLog, StageEntry{Ref: r, Stage: e.To, From: e.From, Reason: e.Reason})
	case IncidentClassified:
		c := ClassificationEntry{Ref: r, IncidentClassified: e}
		inc.Classification = &c
		inc.Classifications = append(inc.Classifications, c)
	case ScopeRecorded:
		since := map[string]Ref{}
		for _, c := range e.Customers {
			if prev, ok := inc.Scope.CustomersSince[c]; ok {
				since[c] = prev
			} else {
				since[c] = r
			}
		}
		inc.Scope = Scope{ScopeRecorded: e, Updated: &r, CustomersSince: since}
	case RiskDetermined:
		re := RiskEntry{Ref: r, RiskDetermined: e}
		inc.Risk = &re
		inc.Risks = append(inc.Risks, re)
	case CRSPIDeclared:
		inc.Declaration = &Declaration{Ref: r, CRSPIDeclared: e}
	case ActionTaken:
		inc.Actions = append(inc.Actions, ActionEntry{Ref: r, ActionTaken: e})
	case EvidenceRecorded:
		inc.Evidence = append(inc.Evidence, EvidenceEntry{Ref: r, EvidenceRecorded: e})
	case RequestOpened:
		inc.Requests = append(inc.Requests, &RequestState{Ref: r, RequestOpened: e, Status: RequestStatusPending})
	case RequestApproved:
		if req := inc.Request(e.Request); req != nil && req.Status == RequestStatusPending {
			req.Approvals = append(req.Approvals, Approval{Ref: r, As: e.As, Comment: e.Comment})
			if approvalsComplete(req) {
				req.Status, req.ApprovedAt = RequestStatusApproved, f.At
			}
		}
	case RequestRejected:
		if req := inc.Request(e.Request); req != nil && req.Status == RequestStatusPending {
			req.Rejection = &Rejection{Ref: r, As: e.As, Reason: e.Reason}
			req.Status = RequestStatusRejected
		}
	case NotificationSent:
		inc.Notifications = append(inc.Notifications, NotificationEntry{Ref: r, NotificationSent: e})
	case PostmortemCompleted:
		inc.Postmortem = &PostmortemEntry{Ref: r, PostmortemCompleted: e}
	case IncidentClosed:
		inc.Closed = true
		inc.Closures = append(inc.Closures, ClosureEntry{Ref: r, IncidentClosed: e})
	case IncidentReopened:
		inc.Closed = false
		inc.Reopenings = append(inc.Reopenings, ReopenEntry{Ref: r, IncidentReopened: e})
		inc.StageLog = append(inc.StageLog, StageEntry{Ref: r, Stage: e.Stage, From: inc.Stage, Reason: "reopened: " + e.Reason})
		inc.Stage = e.Stage
	case NoteAdded:
		inc.Notes = append(inc.Notes, NoteEntry{Ref: r, NoteAdded: e})
	case EventCorrected:
		inc.Corrections = append(inc.Corrections, CorrectionEntry{Ref: r, Target: e.Target, TargetType: e.TargetType, Changed: e.Changed, Reason: e.Reason})
	default:
		inc.Regulatory.apply(f, r)
	}
}

// approvalsComplete reports whether every required role has approved, each
// by a different person.
func approvalsComplete(req *RequestState) bool {
	for _, role := range RequiredApprovals(req.Kind) {
		if !slices.ContainsFunc(req.Approvals, func(a Approval) bool { return a.As == role }) {
			return false
		}
	}
	seen := map[string]bool{}
	for _, a := range req.Approvals {
		if seen[a.Actor] {
			return false
		}
		seen[a.Actor] = true
	}
	return true
}
