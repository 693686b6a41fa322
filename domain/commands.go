package domain

import "time"

// A Command asks for a fact to be recorded. Decide turns it into events or
// refuses it. Every command carries By: who asks, and the business time of
// the fact.
type Command interface{ origin() By }

// By is who issues a command and when the fact happened (business time).
type By struct {
	Actor string
	At    time.Time
	// Signer is the fingerprint of the SSH key the actor signs the events
	// with; empty when unsigned. Decide checks it against the signer
	// registry (signers.go); the write path makes the signatures.
	Signer string
	// LateEntryReason says why the fact is recorded late: dated further
	// back than the ledger's backdate-window, or a notice dated before its
	// due time but recorded after it (businesstime.go). Decide records it
	// on the incident events it makes.
	LateEntryReason string
}

func (b By) origin() By { return b }

// Ledger commands.

// InitLedger starts a ledger; the actor becomes its first admin.
//
// By default the ledger is made in signed mode: the admin's SSH public key
// (AdminKey, in authorized_keys form, and its AdminFingerprint, which the
// caller computes) is registered in the same append, and the
// initialisation is signed with that key (By.Signer == AdminFingerprint).
// Unsigned makes a ledger whose events need no signature, as ledgers were
// made before signed mode (one person trying it out).
type InitLedger struct {
	By
	Name             string
	Unsigned         bool
	AdminKey         string
	AdminFingerprint string
}

// GrantRole gives Grantee a role (admin only).
type GrantRole struct {
	By
	Grantee string
	Role    Role
	Reason  string
}

// RevokeRole takes a role from Grantee (admin only).
type RevokeRole struct {
	By
	Grantee string
	Role    Role
	Reason  string
}

// ChangeSetting sets a ledger setting (admin only), in force from By.At.
// An At more than SettingBackdateGrace before now needs a Reason.
type ChangeSetting struct {
	By
	Key, Value string
	Reason     string
}

// Incident commands.

// DetectIncident opens an incident. The caller chooses its ID.
type DetectIncident struct {
	By
	Source  Source
	Summary string
	AwareAt time.Time // zero: aware when detected
	// AwareReason explains an awareness earlier than the detection
	// (required then: rule aware-before-detection).
	AwareReason string
	Role        DataRole
	Reference   string
	Pack        string // rule pack to evaluate it under; empty: the current pack
	Calendar    string // frozen calendar version; empty: the current one (CurrentCalendarVersion)
}

// AssessIncident records an assessment; Severity and Priority, when set,
// override the derived values and need OverrideReason.
type AssessIncident struct {
	By
	FunctionalImpact  FunctionalImpact
	Recoverability    Recoverability
	InformationImpact InformationImpact
	Escalated         bool
	Severity          Severity
	Priority          Priority
	OverrideReason    string
	Notes             string
}

// MoveStage moves the incident to another stage.
type MoveStage struct {
	By
	To     Stage
	Reason string
}

// ClassifyIncident records a classification.
type ClassifyIncident struct {
	By
	Classification Classification
	RootCause      string
	Reason         string
}

// RecordScope changes the scope: lists are added to and removed from; a
// non-nil count replaces the recorded one. With Replace the Add lists are
// the whole new lists (the Remove lists must be empty): the form CommandOf
// gives, which needs no knowledge of the scope before.
type RecordScope struct {
	By
	AddCustomers, RemoveCustomers                 []string
	AddDataCategories, RemoveDataCategories       []string
	AddSubjectCategories, RemoveSubjectCategories []string
	AddJurisdictions, RemoveJurisdictions         []string
	Subjects, Records                             *int64
	Replace                                       bool
}

// DetermineRisk records the GDPR risk determination.
type DetermineRisk struct {
	By
	Level          RiskLevel
	Reasoning      string
	Art34Exception Art34Exception
}

// DeclareCRSPI declares a Customer Reportable Security/Privacy Incident.
type DeclareCRSPI struct {
	By
	Basis     DeclarationBasis
	Reasoning string
}

// TakeAction records a containment, mitigation or recovery action.
type TakeAction struct {
	By
	Kind        ActionKind
	Description string
	Systems     []string
}

// RecordEvidence records evidence by its SHA-256.
type RecordEvidence struct {
	By
	Description string
	SHA256      string
	Location    string
	Size        int64
}

// OpenRequest asks for an approval.
type OpenRequest struct {
	By
	Kind        RequestKind
	DelayReason DelayReason
	Until       time.Time
	Customers   []string
	Destination string
	Details     string
}

// ApproveRequest approves a request. As may be empty when the actor holds
// exactly one of the roles the request still needs.
type ApproveRequest struct {
	By
	Request string
	As      Role
	Comment string
}

// RejectRequest rejects a request.
type RejectRequest struct {
	By
	Request string
	As      Role
	Reason  string
}

// SendNotification records a notice that was sent.
type SendNotification struct {
	By
	NotificationSent
}

// CompletePostmortem records the post-mortem.
type CompletePostmortem struct {
	By
	Summary  string
	Location string
	SHA256   string
}

// CloseIncident closes the incident, moving it to Close and Post-mortem
// first if it is not there yet.
type CloseIncident struct {
	By
	Summary string
	// OpenObligationsReason says why the incident closes while
	// obligations are still open (required then: rule close-open-obligations).
	OpenObligationsReason string
}

// ReopenIncident reopens an incident in Close at a stage.
type ReopenIncident struct {
	By
	Reason string
	Stage  Stage
}

// AddNote records a free-text note.
type AddNote struct {
	By
	Text string
}

// FieldChange sets one field of a corrected event, named as in its JSON
// payload, to a value written as on the command line.
type FieldChange struct {
	Field, Value string
}

// CorrectEvent corrects an earlier event of the incident.
type CorrectEvent struct {
	By
	Target  string
	NewAt   time.Time // zero: the business time is unchanged
	Changes []FieldChange
	Reason  string
}

// Origin returns who issued c and the business time of its fact.
func Origin(c Command) By { return c.origin() }
