package domain

import (
	"slices"
	"strings"
)

// Source is how an incident was first detected.
type Source string

// Detection sources.
const (
	SourceAutomatedAlert      Source = "automated-alert"      // signature or anomaly alert from monitoring
	SourceFirstPartyReport    Source = "first-party-report"   // report by an internal service
	SourceVulnerabilityReport Source = "vulnerability-report" // report to the security response centre
	SourceCustomerReport      Source = "customer-report"      // customer via support or portal
	SourceRedBlueTeam         Source = "red-blue-team"        // red-team / blue-team exercise
	SourceOperatorEscalation  Source = "operator-escalation"  // escalation by an operator
)

// Sources returns every detection source, in a new slice.
func Sources() []Source {
	return []Source{SourceAutomatedAlert, SourceFirstPartyReport, SourceVulnerabilityReport, SourceCustomerReport, SourceRedBlueTeam, SourceOperatorEscalation}
}

// DataRole is the organisation's capacity under data-protection law for an
// incident: controller of the data, processor for customers, or both.
type DataRole string

// Data roles.
const (
	RoleController DataRole = "controller"
	RoleProcessor  DataRole = "processor"
	RoleBoth       DataRole = "both"
)

// DataRoles returns every data role, in a new slice.
func DataRoles() []DataRole {
	return []DataRole{RoleController, RoleProcessor, RoleBoth}
}

// IsController reports whether the organisation acts as a controller.
func (r DataRole) IsController() bool { return r == RoleController || r == RoleBoth }

// IsProcessor reports whether the organisation acts as a processor.
func (r DataRole) IsProcessor() bool { return r == RoleProcessor || r == RoleBoth }

// FunctionalImpact is NIST SP 800-61 Rev. 2 Table 3-2 (functional impact
// categories): the effect on the business functionality of the systems.
type FunctionalImpact string

// Functional impact categories.
const (
	FunctionalNone   FunctionalImpact = "none"   // no effect on the ability to provide all services
	FunctionalLow    FunctionalImpact = "low"    // minimal effect; all critical services still provided
	FunctionalMedium FunctionalImpact = "medium" // a critical service lost for a subset of users
	FunctionalHigh   FunctionalImpact = "high"   // some critical services no longer provided to any user
)

// FunctionalImpacts returns every functional impact category, in a new slice.
func FunctionalImpacts() []FunctionalImpact {
	return []FunctionalImpact{FunctionalNone, FunctionalLow, FunctionalMedium, FunctionalHigh}
}

// Recoverability is NIST SP 800-61 Rev. 2 Table 3-4 (recoverability effort
// categories).
type Recoverability string

// Recoverability effort categories.
const (
	RecoverRegular        Recoverability = "regular"         // predictable with existing resources
	RecoverSupplemented   Recoverability = "supplemented"    // predictable with additional resources
	RecoverExtended       Recoverability = "extended"        // unpredictable; outside help needed
	RecoverNotRecoverable Recoverability = "not-recoverable" // recovery is not possible
)

// Recoverabilities returns every recoverability category, in a new slice.
func Recoverabilities() []Recoverability {
	return []Recoverability{RecoverRegular, RecoverSupplemented, RecoverExtended, RecoverNotRecoverable}
}

// InformationImpact is the breach category: NIST SP 800-61 Rev. 2 Table 3-3
// (information impact categories), which the seed's categories follow.
type InformationImpact string

// Information impact categories.
const (
	InfoNone          InformationImpact = "none"               // nothing exfiltrated, changed, deleted or compromised
	InfoPrivacy       InformationImpact = "privacy-breach"     // sensitive personal data accessed or exfiltrated
	InfoProprietary   InformationImpact = "proprietary-breach" // proprietary information accessed or exfiltrated
	InfoIntegrityLoss InformationImpact = "integrity-loss"     // sensitive or proprietary information changed or deleted
)

// InformationImpacts returns every information impact category, in a new slice.
func InformationImpacts() []InformationImpact {
	return []InformationImpact{InfoNone, InfoPrivacy, InfoProprietary, InfoIntegrityLoss}
}

// Severity is the incident's severity, derived from the three impact factors
// (see DeriveSeverity) unless an assessor overrides it.
type Severity string

// Severities, lowest first.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities returns every severity, lowest first, in a new slice.
func Severities() []Severity {
	return []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
}

// Priority is the response priority; P1 is worked around the clock.
type Priority string

// Priorities, most urgent first.
const (
	P1 Priority = "P1"
	P2 Priority = "P2"
	P3 Priority = "P3"
	P4 Priority = "P4"
)

// Priorities returns every priority, most urgent first, in a new slice.
func Priorities() []Priority {
	return []Priority{P1, P2, P3, P4}
}

// Classification is what the security response team concluded the event is.
type Classification string

// Classifications.
const (
	ClassFalsePositive    Classification = "false-positive"    // normal business practice; root cause recorded
	ClassSecurityIncident Classification = "security-incident" // unlawful or unauthorised access to customer data or facilities
	ClassPrivacyBreach    Classification = "privacy-breach"    // a security incident involving personal data
	ClassOutOfScope       Classification = "out-of-scope"      // the customer's own responsibility (shared-responsibility model)
)

// Classifications returns every classification, in a new slice.
func Classifications() []Classification {
	return []Classification{ClassFalsePositive, ClassSecurityIncident, ClassPrivacyBreach, ClassOutOfScope}
}

// Dismissed reports whether the classification ends the provider's duties:
// a false positive or the customer's own responsibility.
func (c Classification) Dismissed() bool { return c == ClassFalsePositive || c == ClassOutOfScope }

// RiskLevel is the GDPR risk to the rights and freedoms of natural persons.
type RiskLevel string

// Risk levels (GDPR Art. 33(1) "unlikely to result in a risk", Art. 34(1) "high risk").
const (
	RiskUnlikely RiskLevel = "unlikely"
	RiskRisk     RiskLevel = "risk"
	RiskHigh     RiskLevel = "high"
)

// RiskLevels returns every risk level, in a new slice.
func RiskLevels() []RiskLevel {
	return []RiskLevel{RiskUnlikely, RiskRisk, RiskHigh}
}

// Art34Exception is a GDPR Art. 34(3) condition under which data subjects
// need not be told despite a high risk.
type Art34Exception string

// Art. 34(3) exceptions.
const (
	Art34None             Art34Exception = ""
	Art34Unintelligible   Art34Exception = "unintelligible"   // Art. 34(3)(a): data rendered unintelligible, e.g. encrypted
	Art34RiskRemoved      Art34Exception = "risk-removed"     // Art. 34(3)(b): later measures make the high risk unlikely
	Art34Disproportionate Art34Exception = "disproportionate" // Art. 34(3)(c): disproportionate effort; public communication instead
)

// Art34Exceptions returns every Art. 34(3) exception (without the empty one), in a new slice.
func Art34Exceptions() []Art34Exception {
	return []Art34Exception{Art34Unintelligible, Art34RiskRemoved, Art34Disproportionate}
}

// Citation returns the article paragraph of the exception.
func (e Art34Exception) Citation() string {
	switch e {
	case Art34Unintelligible:
		return "GDPR Art. 34(3)(a)"
	case Art34RiskRemoved:
		return "GDPR Art. 34(3)(b)"
	case Art34Disproportionate:
		return "GDPR Art. 34(3)(c)"
	}
	return ""
}

// DeclarationBasis is why a CRSPI is declared.
type DeclarationBasis string

// Declaration bases.
const (
	BasisEvidence  DeclarationBasis = "evidence"   // evidence beyond reasonable doubt of unauthorised access to customer data
	BasisLegalDuty DeclarationBasis = "legal-duty" // a legal or contractual commitment to notify
)

// DeclarationBases returns every declaration basis, in a new slice.
func DeclarationBases() []DeclarationBasis {
	return []DeclarationBasis{BasisEvidence, BasisLegalDuty}
}

// ActionKind is the kind of a response action.
type ActionKind string

// Action kinds.
const (
	ActionContainment ActionKind = "containment" // e.g. quarantining systems; may start during Diagnose
	ActionMitigation  ActionKind = "mitigation"
	ActionRecovery    ActionKind = "recovery"
)

// ActionKinds returns every action kind, in a new slice.
func ActionKinds() []ActionKind {
	return []ActionKind{ActionContainment, ActionMitigation, ActionRecovery}
}

// RequestKind is the kind of a request that needs approval.
type RequestKind string

// Request kinds.
const (
	// RequestNotificationDelay asks to hold customer notices past their
	// deadline; it needs legal AND the executive incident manager.
	RequestNotificationDelay RequestKind = "notification-delay"
	// RequestDataTransfer asks to move customer data out of the production
	// environment; it needs the incident manager's explicit approval.
	RequestDataTransfer RequestKind = "data-transfer"
)

// RequestKinds returns every request kind, in a new slice.
func RequestKinds() []RequestKind {
	return []RequestKind{RequestNotificationDelay, RequestDataTransfer}
}

// DelayReason is the ground for a notification delay exception.
type DelayReason string

// Notification delay grounds.
const (
	DelayRiskToOthers DelayReason = "risk-to-other-customers" // notifying would raise the risk to other customers (e.g. tip off an adversary)
	DelayExtreme      DelayReason = "extreme-circumstances"   // other unusual or extreme circumstances
)

// DelayReasons returns every delay ground, in a new slice.
func DelayReasons() []DelayReason {
	return []DelayReason{DelayRiskToOthers, DelayExtreme}
}

// RecipientKind is who a notification went to.
type RecipientKind string

// Recipient kinds.
const (
	RecipientSecurityContacts   RecipientKind = "security-contacts"   // the customer's configured security contacts
	RecipientSubscriptionAdmins RecipientKind = "subscription-admins" // fallback when no security contact is configured
	RecipientAuthority          RecipientKind = "supervisory-authority"
	RecipientDataSubjects       RecipientKind = "data-subjects"
	RecipientController         RecipientKind = "controller"   // GDPR Art. 33(2): processor → controller
	RecipientAccountTeam        RecipientKind = "account-team" // internal account managers / customer support
)

// RecipientKinds returns every recipient kind, in a new slice.
func RecipientKinds() []RecipientKind {
	return []RecipientKind{RecipientSecurityContacts, RecipientSubscriptionAdmins, RecipientAuthority, RecipientDataSubjects, RecipientController, RecipientAccountTeam,
		RecipientRegulator, RecipientPublicFiling, RecipientMedia, RecipientCoveredEntity}
}

// IsCustomer reports whether the recipient is a customer's own contact.
func (k RecipientKind) IsCustomer() bool {
	return k == RecipientSecurityContacts || k == RecipientSubscriptionAdmins
}

// Channel is how a notification was delivered.
type Channel string

// Channels.
const (
	ChannelEmail    Channel = "email"
	ChannelPortal   Channel = "portal"
	ChannelPhone    Channel = "phone"
	ChannelLetter   Channel = "letter"
	ChannelInPerson Channel = "in-person"
	ChannelAPI      Channel = "api"
	ChannelOther    Channel = "other"
)

// Channels returns every channel, in a new slice.
func Channels() []Channel {
	return []Channel{ChannelEmail, ChannelPortal, ChannelPhone, ChannelLetter, ChannelInPerson, ChannelAPI, ChannelOther}
}

// Phase is a notification's place in phased notification (GDPR Art. 33(4)).
type Phase string

// Phases.
const (
	PhaseInitial       Phase = "initial"
	PhaseSupplementary Phase = "supplementary"
	PhaseFinal         Phase = "final"
)

// Phases returns every phase, in a new slice.
func Phases() []Phase {
	return []Phase{PhaseInitial, PhaseSupplementary, PhaseFinal, PhaseEarlyWarning, PhaseNotification, PhaseIntermediate, PhaseDelayNotice, PhaseWithdrawn}
}

// Art33Item is one of the items GDPR Art. 33(3) requires in an authority notice.
type Art33Item string

// Art. 33(3) items.
const (
	Art33Nature       Art33Item = "nature"       // (a) nature of the breach, categories and approximate numbers
	Art33Contact      Art33Item = "contact"      // (b) name and contact details of the DPO or contact point
	Art33Consequences Art33Item = "consequences" // (c) likely consequences
	Art33Measures     Art33Item = "measures"     // (d) measures taken or proposed
)

// Art33Items returns every Art. 33(3) item in the article's order, in a new slice.
func Art33Items() []Art33Item {
	return []Art33Item{Art33Nature, Art33Contact, Art33Consequences, Art33Measures}
}

// Role is what an actor may do in the ledger. Roles are granted and revoked
// by events in the ledger stream.
type Role string

// Roles.
const (
	RoleResponder               Role = "responder"
	RoleSecurityResponse        Role = "security-response"
	RoleIncidentManager         Role = "incident-manager"
	RoleSecurityIncidentManager Role = "security-incident-manager"
	RoleLegal                   Role = "legal"
	RoleExecutiveIM             Role = "executive-incident-manager"
	RoleAuditor                 Role = "auditor"
	RoleAdmin                   Role = "admin"
)

// Roles returns every role, in a new slice.
func Roles() []Role {
	return []Role{RoleResponder, RoleSecurityResponse, RoleIncidentManager, RoleSecurityIncidentManager, RoleLegal, RoleExecutiveIM, RoleAuditor, RoleAdmin}
}

// Stage is a stage of the incident response process.
type Stage string

// Stages, in process order.
const (
	StageDetect    Stage = "detect"
	StageAssess    Stage = "assess"
	StageDiagnose  Stage = "diagnose"
	StageStabilize Stage = "stabilize" // Stabilize and Recover
	StageClose     Stage = "close"     // Close and Post-mortem
)

// Stages returns every stage in process order, in a new slice.
func Stages() []Stage {
	return []Stage{StageDetect, StageAssess, StageDiagnose, StageStabilize, StageClose}
}

// Title returns the stage's name as the process writes it.
func (s Stage) Title() string {
	switch s {
	case StageDetect:
		return "Detect"
	case StageAssess:
		return "Assess"
	case StageDiagnose:
		return "Diagnose"
	case StageStabilize:
		return "Stabilize and Recover"
	case StageClose:
		return "Close and Post-mortem"
	}
	return string(s)
}

// Parse functions: each returns a *FieldError that lists the allowed values.

// ParseSource parses a detection source.
func ParseSource(s string) (Source, error) { return parseEnum("source", s, Sources()) }

// ParseDataRole parses a data role.
func ParseDataRole(s string) (DataRole, error) { return parseEnum("role", s, DataRoles()) }

// ParseFunctionalImpact parses a functional impact category.
func ParseFunctionalImpact(s string) (FunctionalImpact, error) {
	return parseEnum("functional-impact", s, FunctionalImpacts())
}

// ParseRecoverability parses a recoverability category.
func ParseRecoverability(s string) (Recoverability, error) {
	return parseEnum("recoverability", s, Recoverabilities())
}

// ParseInformationImpact parses an information impact category.
func ParseInformationImpact(s string) (InformationImpact, error) {
	return parseEnum("information-impact", s, InformationImpacts())
}

// ParseSeverity parses a severity.
func ParseSeverity(s string) (Severity, error) { return parseEnum("severity", s, Severities()) }

// ParsePriority parses a priority.
func ParsePriority(s string) (Priority, error) {
	return parseEnum("priority", strings.ToUpper(s), Priorities())
}

// ParseClassification parses a classification.
func ParseClassification(s string) (Classification, error) {
	return parseEnum("classification", s, Classifications())
}

// ParseRiskLevel parses a risk level.
func ParseRiskLevel(s string) (RiskLevel, error) { return parseEnum("risk", s, RiskLevels()) }

// ParseArt34Exception parses an Art. 34(3) exception.
func ParseArt34Exception(s string) (Art34Exception, error) {
	return parseEnum("art34-exception", s, Art34Exceptions())
}

// ParseDeclarationBasis parses a declaration basis.
func ParseDeclarationBasis(s string) (DeclarationBasis, error) {
	return parseEnum("basis", s, DeclarationBases())
}

// ParseActionKind parses an action kind.
func ParseActionKind(s string) (ActionKind, error) { return parseEnum("kind", s, ActionKinds()) }

// ParseRequestKind parses a request kind.
func ParseRequestKind(s string) (RequestKind, error) { return parseEnum("kind", s, RequestKinds()) }

// ParseDelayReason parses a delay ground.
func ParseDelayReason(s string) (DelayReason, error) { return parseEnum("reason", s, DelayReasons()) }

// ParseRecipientKind parses a recipient kind.
func ParseRecipientKind(s string) (RecipientKind, error) {
	return parseEnum("to", s, RecipientKinds())
}

// ParseChannel parses a channel.
func ParseChannel(s string) (Channel, error) { return parseEnum("channel", s, Channels()) }

// ParsePhase parses a notification phase.
func ParsePhase(s string) (Phase, error) { return parseEnum("phase", s, Phases()) }

// ParseArt33Item parses an Art. 33(3) item.
func ParseArt33Item(s string) (Art33Item, error) { return parseEnum("art33", s, Art33Items()) }

// ParseRole parses a role.
func ParseRole(s string) (Role, error) { return parseEnum("role", s, Roles()) }

// ParseStage parses a stage.
func ParseStage(s string) (Stage, error) { return parseEnum("stage", s, Stages()) }

func parseEnum[T ~string](field, s string, allowed []T) (T, error) {
	if slices.Contains(allowed, T(s)) {
		return T(s), nil
	}
	problem := "unknown value"
	if near := DidYouMean(s, names(allowed)); near != "" {
		problem += "; " + near
	}
	return "", &FieldError{Field: field, Value: s, Problem: problem, Allowed: names(allowed)}
}

// checkEnum reports a *FieldError when v is not one of allowed (nil when it is).
func checkEnum[T ~string](field string, v T, allowed []T) *FieldError {
	if slices.Contains(allowed, v) {
		return nil
	}
	problem := "unknown value"
	if v == "" {
		problem = "required"
	}
	return &FieldError{Field: field, Value: string(v), Problem: problem, Allowed: names(allowed)}
}

func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
