package domain

import (
	"strings"
	"time"
)

// An Event is a fact recorded in a stream. The unexported method closes the
// set: only this package defines events. Business time, actor and event ID
// are not part of an event: they travel in the envelope (see Fact).
type Event interface {
	isEvent()
	validate(fs *fields)
}

// Ledger stream events.

// LedgerInitialized starts a ledger; its actor becomes the first admin.
// Signed is true for a ledger made in signed mode: every event, this one
// included, is signed by its author's registered key (see
// Ledger.SignedSince). Ledgers made before signed mode existed, or with
// "init --unsigned", have false.
type LedgerInitialized struct {
	Name   string `json:"name"`
	Admin  string `json:"admin"`
	Signed bool   `json:"signed,omitempty"`
}

// RoleGranted gives an actor a role.
type RoleGranted struct {
	Actor  string `json:"actor"`
	Role   Role   `json:"role"`
	Reason string `json:"reason,omitempty"`
}

// RoleRevoked takes a role from an actor.
type RoleRevoked struct {
	Actor  string `json:"actor"`
	Role   Role   `json:"role"`
	Reason string `json:"reason,omitempty"`
}

// SettingChanged sets a ledger setting (see Settings).
type SettingChanged struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	// Reason says why a setting dated before the moment it was recorded
	// takes effect from then (rule setting-backdated-needs-reason).
	Reason string `json:"reason,omitempty"`
}

// Incident stream events. The envelope's business time is when the fact
// happened: when the incident was detected, the stage changed, the notice
// was sent, and so on.

// IncidentDetected opens an incident (stage Detect).
type IncidentDetected struct {
	Backdating
	Source  Source    `json:"source"`
	Summary string    `json:"summary"`
	AwareAt time.Time `json:"aware_at"` // when the organisation became aware (GDPR Art. 33(1) clock)
	// AwareReason explains an awareness earlier than the detection's own
	// business time (rule aware-before-detection).
	AwareReason string   `json:"aware_reason,omitempty"`
	Role        DataRole `json:"role"`
	Reference   string   `json:"reference,omitempty"` // external alert or ticket ID
}

// IncidentAssessed records an assessment or reassessment of impact.
type IncidentAssessed struct {
	Backdating
	FunctionalImpact  FunctionalImpact  `json:"functional_impact"`
	Recoverability    Recoverability    `json:"recoverability"`
	InformationImpact InformationImpact `json:"information_impact"`
	Escalated         bool              `json:"escalated"` // escalated to the security response team
	DerivedSeverity   Severity          `json:"derived_severity"`
	DerivedPriority   Priority          `json:"derived_priority"`
	Severity          Severity          `json:"severity"`
	Priority          Priority          `json:"priority"`
	OverrideReason    string            `json:"override_reason,omitempty"`
	Notes             string            `json:"notes,omitempty"`
}

// StageChanged moves the incident to another stage.
type StageChanged struct {
	Backdating
	From   Stage  `json:"from"`
	To     Stage  `json:"to"`
	Reason string `json:"reason,omitempty"`
}

// IncidentClassified records a classification or reclassification.
type IncidentClassified struct {
	Backdating
	Classification Classification `json:"classification"`
	RootCause      string         `json:"root_cause,omitempty"` // required for a false positive
	Reason         string         `json:"reason,omitempty"`
}

// ScopeRecorded records the incident's scope as now known, in full: every
// field holds the whole current value, not a change.
type ScopeRecorded struct {
	Backdating
	Customers         []string `json:"customers"`
	DataCategories    []string `json:"data_categories"`
	SubjectCategories []string `json:"subject_categories"`
	Subjects          int64    `json:"subjects"` // approximate number of data subjects
	Records           int64    `json:"records"`  // approximate number of personal-data records
	Jurisdictions     []string `json:"jurisdictions"`
}

// RiskDetermined records the GDPR risk determination.
type RiskDetermined struct {
	Backdating
	Level          RiskLevel      `json:"level"`
	Reasoning      string         `json:"reasoning"`
	Art34Exception Art34Exception `json:"art34_exception,omitempty"`
}

// CRSPIDeclared declares a Customer Reportable Security/Privacy Incident,
// which starts the customer notification clock.
type CRSPIDeclared struct {
	Backdating
	Basis     DeclarationBasis `json:"basis"`
	Reasoning string           `json:"reasoning"`
}

// ActionTaken records a containment, mitigation or recovery action.
type ActionTaken struct {
	Backdating
	Kind        ActionKind `json:"kind"`
	Description string     `json:"description"`
	Systems     []string   `json:"systems,omitempty"`
}

// EvidenceRecorded records a piece of evidence by its SHA-256; the evidence
// itself stays where Location says.
type EvidenceRecorded struct {
	Backdating
	Description string `json:"description"`
	SHA256      string `json:"sha256"`
	Location    string `json:"location,omitempty"`
	Size        int64  `json:"size,omitempty"`
}

// RequestOpened asks for an approval: a notification delay exception or a
// transfer of customer data out of production.
type RequestOpened struct {
	Backdating
	Request     string      `json:"request"` // R1, R2... within the incident
	Kind        RequestKind `json:"kind"`
	DelayReason DelayReason `json:"delay_reason,omitempty"` // notification-delay only
	Until       time.Time   `json:"until,omitzero"`         // notification-delay only: when the hold ends
	Customers   []string    `json:"customers,omitempty"`    // notification-delay only: empty means every customer
	Destination string      `json:"destination,omitempty"`  // data-transfer only
	Details     string      `json:"details"`
}

// RequestApproved approves a request in one role.
type RequestApproved struct {
	Backdating
	Request string `json:"request"`
	As      Role   `json:"as"`
	Comment string `json:"comment,omitempty"`
}

// RequestRejected rejects a request in one role; the request is then closed.
type RequestRejected struct {
	Backdating
	Request string `json:"request"`
	As      Role   `json:"as"`
	Reason  string `json:"reason"`
}

// NotificationSent records a notice that was sent.
type NotificationSent struct {
	Backdating
	RecipientKind     RecipientKind `json:"recipient_kind"`
	Recipient         string        `json:"recipient"`
	Customer          string        `json:"customer,omitempty"`            // customer notices: which customer
	NoSecurityContact bool          `json:"no_security_contact,omitempty"` // subscription admins: no security contact was configured
	Channel           Channel       `json:"channel"`
	Phase             Phase         `json:"phase"`
	Art33Items        []Art33Item   `json:"art33_items,omitempty"`  // supervisory authority: the Art. 33(3) items carried
	Jurisdiction      string        `json:"jurisdiction,omitempty"` // the recipient authority's jurisdiction (DE, US-CA)
	Obligations       []string      `json:"obligations,omitempty"`  // the obligations this notice answers (notify --for)
	DelayReason       string        `json:"delay_reason,omitempty"`
	Reference         string        `json:"reference,omitempty"`
	Summary           string        `json:"summary,omitempty"`
}

// PostmortemCompleted records the post-mortem; the confidential document
// never enters the ledger, only where it is and its SHA-256.
type PostmortemCompleted struct {
	Backdating
	Summary  string `json:"summary"`
	Location string `json:"location"`
	SHA256   string `json:"sha256"`
}

// IncidentClosed closes the incident.
type IncidentClosed struct {
	Backdating
	Summary string `json:"summary,omitempty"`
	// OpenObligations are the obligations still open when it closed, and
	// OpenObligationsReason why it closed anyway (rule close-open-obligations).
	OpenObligations       []string `json:"open_obligations,omitempty"`
	OpenObligationsReason string   `json:"open_obligations_reason,omitempty"`
}

// IncidentReopened reopens a closed incident at a stage.
type IncidentReopened struct {
	Backdating
	Reason string `json:"reason"`
	Stage  Stage  `json:"stage"`
}

// NoteAdded is a free-text note.
type NoteAdded struct {
	Backdating
	Text string `json:"text"`
}

// EventCorrected corrects an earlier event of the same incident: from now on
// the target is read as Replacement, at business time At. Nothing is edited:
// the original stays in the log, and a view known-at before this correction
// still shows it.
type EventCorrected struct {
	Backdating
	Target      string    `json:"target"`      // event ID of the corrected event
	TargetType  string    `json:"target_type"` // its stored type
	At          time.Time `json:"at"`          // corrected business time of the target
	Replacement Event     `json:"-"`           // corrected payload (JSON: "replacement")
	Changed     []string  `json:"changed"`     // names of the fields that changed ("at" for the business time)
	Reason      string    `json:"reason"`
}

func (LedgerInitialized) isEvent()   {}
func (RoleGranted) isEvent()         {}
func (RoleRevoked) isEvent()         {}
func (SettingChanged) isEvent()      {}
func (IncidentDetected) isEvent()    {}
func (IncidentAssessed) isEvent()    {}
func (StageChanged) isEvent()        {}
func (IncidentClassified) isEvent()  {}
func (ScopeRecorded) isEvent()       {}
func (RiskDetermined) isEvent()      {}
func (CRSPIDeclared) isEvent()       {}
func (ActionTaken) isEvent()         {}
func (EvidenceRecorded) isEvent()    {}
func (RequestOpened) isEvent()       {}
func (RequestApproved) isEvent()     {}
func (RequestRejected) isEvent()     {}
func (NotificationSent) isEvent()    {}
func (PostmortemCompleted) isEvent() {}
func (IncidentClosed) isEvent()      {}
func (IncidentReopened) isEvent()    {}
func (NoteAdded) isEvent()           {}
func (EventCorrected) isEvent()      {}

// Validation of each event's own fields. Decide validates every event it
// produces, and a correction's replacement, with these.

func (e LedgerInitialized) validate(fs *fields) {
	fs.require("name", e.Name)
	fs.require("admin", e.Admin)
}

func (e RoleGranted) validate(fs *fields) {
	fs.require("actor", e.Actor)
	fs.add(checkEnum("role", e.Role, Roles()))
}

func (e RoleRevoked) validate(fs *fields) {
	fs.require("actor", e.Actor)
	fs.add(checkEnum("role", e.Role, Roles()))
}

func (e SettingChanged) validate(fs *fields) {
	if _, err := parseSetting(e.Key, e.Value); err != nil {
		if fe, ok := err.(*FieldError); ok {
			fs.add(fe)
		}
	}
}

func (e IncidentDetected) validate(fs *fields) {
	fs.add(checkEnum("source", e.Source, Sources()))
	fs.require("summary", e.Summary)
	if e.AwareAt.IsZero() {
		fs.add(&FieldError{Field: "aware-at", Problem: "required"})
	}
	fs.add(checkEnum("role", e.Role, DataRoles()))
}

func (e IncidentAssessed) validate(fs *fields) {
	fs.add(checkEnum("functional-impact", e.FunctionalImpact, FunctionalImpacts()))
	fs.add(checkEnum("recoverability", e.Recoverability, Recoverabilities()))
	fs.add(checkEnum("information-impact", e.InformationImpact, InformationImpacts()))
	fs.add(checkEnum("severity", e.Severity, Severities()))
	fs.add(checkEnum("priority", e.Priority, Priorities()))
	if (e.Severity != e.DerivedSeverity || e.Priority != e.DerivedPriority) && strings.TrimSpace(e.OverrideReason) == "" {
		fs.problem("override-reason", "", "required when severity or priority differs from the derived %s/%s", e.DerivedSeverity, e.DerivedPriority)
	}
}

func (e StageChanged) validate(fs *fields) {
	fs.add(checkEnum("from", e.From, Stages()))
	fs.add(checkEnum("stage", e.To, Stages()))
}

func (e IncidentClassified) validate(fs *fields) {
	fs.add(checkEnum("classification", e.Classification, Classifications()))
	switch e.Classification {
	case ClassFalsePositive:
		if strings.TrimSpace(e.RootCause) == "" {
			fs.problem("root-cause", "", "required for a false positive (the detection rule is tuned from it)")
		}
	case ClassOutOfScope:
		if strings.TrimSpace(e.Reason) == "" {
			fs.problem("reason", "", "required for out-of-scope: say why it is the customer's own responsibility")
		}
	}
}

func (e ScopeRecorded) validate(fs *fields) {
	if e.Subjects < 0 {
		fs.problem("subjects", "", "must not be negative")
	}
	if e.Records < 0 {
		fs.problem("records", "", "must not be negative")
	}
	for _, c := range e.Customers {
		if strings.TrimSpace(c) == "" {
			fs.problem("customer", c, "must not be empty")
		}
	}
	for _, j := range e.Jurisdictions {
		if !jurisdictionRE.MatchString(j) {
			fs.problem("jurisdiction", j, "must be an ISO 3166-1 alpha-2 country code, optionally with a subdivision (DE, US-CA), or EU/EEA")
		}
	}
}

var jurisdictionRE = lazyRE(`^([A-Z]{2}(-[A-Z0-9]{1,3})?|EU|EEA)$`)

func (e RiskDetermined) validate(fs *fields) {
	fs.add(checkEnum("risk", e.Level, RiskLevels()))
	fs.require("reasoning", e.Reasoning)
	if e.Art34Exception != Art34None {
		fs.add(checkEnum("art34-exception", e.Art34Exception, Art34Exceptions()))
		if e.Level != RiskHigh {
			fs.problem("art34-exception", string(e.Art34Exception), "only applies when the risk is high")
		}
	}
}

func (e CRSPIDeclared) validate(fs *fields) {
	fs.add(checkEnum("basis", e.Basis, DeclarationBases()))
	fs.require("reasoning", e.Reasoning)
}

func (e ActionTaken) validate(fs *fields) {
	fs.add(checkEnum("kind", e.Kind, ActionKinds()))
	fs.require("description", e.Description)
}

var sha256RE = lazyRE(`^[0-9a-f]{64}$`)

func (e EvidenceRecorded) validate(fs *fields) {
	fs.require("description", e.Description)
	if !sha256RE.MatchString(e.SHA256) {
		fs.problem("sha256", e.SHA256, "must be 64 lower-case hex digits")
	}
	if e.Size < 0 {
		fs.problem("size", "", "must not be negative")
	}
}

func (e RequestOpened) validate(fs *fields) {
	fs.require("request", e.Request)
	fs.add(checkEnum("kind", e.Kind, RequestKinds()))
	fs.require("details", e.Details)
	switch e.Kind {
	case RequestNotificationDelay:
		fs.add(checkEnum("reason", e.DelayReason, DelayReasons()))
		if e.Until.IsZero() {
			fs.problem("until", "", "required: a notification delay must say when it ends (renew it with a new request)")
		}
		if e.Destination != "" {
			fs.problem("destination", e.Destination, "only for data-transfer requests")
		}
	case RequestDataTransfer:
		fs.require("destination", e.Destination)
		if e.DelayReason != "" || !e.Until.IsZero() || len(e.Customers) > 0 {
			fs.problem("reason", string(e.DelayReason), "--reason, --until and --customer are only for notification-delay requests")
		}
	}
}

func (e RequestApproved) validate(fs *fields) {
	fs.require("request", e.Request)
	fs.add(checkEnum("as", e.As, Roles()))
}

func (e RequestRejected) validate(fs *fields) {
	fs.require("request", e.Request)
	fs.add(checkEnum("as", e.As, Roles()))
	fs.require("reason", e.Reason)
}

func (e NotificationSent) validate(fs *fields) {
	fs.add(checkEnum("to", e.RecipientKind, RecipientKinds()))
	fs.require("recipient", e.Recipient)
	fs.add(checkEnum("channel", e.Channel, Channels()))
	fs.add(checkEnum("phase", e.Phase, Phases()))
	if e.RecipientKind.IsCustomer() {
		fs.require("customer", e.Customer)
	} else if e.Customer != "" && e.RecipientKind != RecipientAccountTeam {
		fs.problem("customer", e.Customer, "only for notices to a customer's security contacts, subscription admins or account team")
	}
	if e.NoSecurityContact && e.RecipientKind != RecipientSubscriptionAdmins {
		fs.problem("no-security-contact", "", "only for notices to subscription admins")
	}
	for _, it := range e.Art33Items {
		fs.add(checkEnum("art33", it, Art33Items()))
	}
	if len(e.Art33Items) > 0 && e.RecipientKind != RecipientAuthority {
		fs.problem("art33", "", "Art. 33(3) items are only for notices to a supervisory authority")
	}
	if e.Jurisdiction != "" && !jurisdictionRE.MatchString(e.Jurisdiction) {
		fs.problem("jurisdiction", e.Jurisdiction, "must be an ISO 3166-1 alpha-2 country code, optionally with a subdivision (DE, US-CA)")
	}
}

func (e PostmortemCompleted) validate(fs *fields) {
	fs.require("summary", e.Summary)
	fs.require("location", e.Location)
	if !sha256RE.MatchString(e.SHA256) {
		fs.problem("sha256", e.SHA256, "must be 64 lower-case hex digits")
	}
}

func (e IncidentClosed) validate(*fields) {}

func (e IncidentReopened) validate(fs *fields) {
	fs.require("reason", e.Reason)
	fs.add(checkEnum("stage", e.Stage, Stages()))
	if e.Stage == StageClose || e.Stage == StageDetect {
		fs.problem("stage", string(e.Stage), "a reopened incident goes back to assess, diagnose or stabilize")
	}
}

func (e NoteAdded) validate(fs *fields) { fs.require("text", e.Text) }

func (e EventCorrected) validate(fs *fields) {
	fs.require("event", e.Target)
	fs.require("reason", e.Reason)
	if e.Replacement == nil {
		fs.problem("replacement", "", "required")
	} else {
		e.Replacement.validate(fs)
	}
}
