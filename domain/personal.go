package domain

import (
	"cmp"
	"slices"
	"strings"
)

// Personal data in events (crypto-shredding, issue 25).
//
// PersonalFields is the one table naming the fields of each event type that
// may carry personal data: free text (notes, summaries, reasons, details,
// data-subject communications), recipients and contact names, evidence and
// document locations, host names. Those fields are stored sealed (package
// seal) under a data key (package keystore), so they can be forgotten by
// destroying the key while the ledger, which commits to the sealed bytes,
// keeps verifying.
//
// Two things are never sealed: the actor identity, which verify and the
// signature checks need in clear (it is the audit trail), and regulatory
// facts (counts, times, statuses, kinds, jurisdictions, the customers whose
// clocks run), which every deadline and status is computed from and which
// must survive forgetting unchanged. NotPersonalFields names every other
// string field and says why; TestEveryStringFieldIsDecided fails when a
// field is in neither list, so a new field cannot escape the decision.
//
// Paths are JSON paths in the stored payload: a field's JSON name, "[]" for
// every element of a list (each element is sealed on its own, its index in
// the path it is sealed under: "systems[1]"), "." into a nested object.
// EventCorrected's replacement is sealed as its target type's table says,
// under "replacement." and the correcting event's own keys.

// KeyScope says which data key seals a personal field.
type KeyScope string

const (
	// SealIncident: the incident's data key. Structured values that belong
	// to the incident as a whole (a recipient, a location), forgotten with
	// the incident (retention).
	SealIncident KeyScope = "incident"
	// SealEvent: a key of the field's own event. Free text, so that one
	// pasted note, summary or reason can be forgotten alone (erasure
	// request, mistaken entry), and with the incident too.
	SealEvent KeyScope = "event"
)

// PersonalKind is what personal data a field may carry.
type PersonalKind string

// The kinds of personal field.
const (
	PersonalFreeText PersonalKind = "free-text" // anything a responder types: a pasted address, a name, a story
	PersonalContact  PersonalKind = "contact"   // a recipient, who acknowledged, who asked for a hold
	PersonalLocation PersonalKind = "location"  // a path, URL or mailbox where evidence or a document is
	PersonalHost     PersonalKind = "host"      // host and system names, which often name their user
)

// PersonalField is a field of an event type that may carry personal data.
type PersonalField struct {
	Type string // stored event type
	// Target is set for EventCorrected's replacement fields only: the
	// target type whose field it is.
	Target string
	Path   string // JSON path: "text", "systems[]", "replacement.text"
	Key    KeyScope
	Kind   PersonalKind
	// ClearWhen, when set, names a field beside this one ({"recipient_kind",
	// "controller"}) and the value that leaves this one in clear: it then
	// holds no person but an organisation the domain matches against a
	// regulatory fact (a processor's notice to a controller of its profile,
	// GDPR Art. 33(2)), so a status never depends on a sealed value.
	ClearWhen [2]string
}

// NotPersonalField is a string field that is never sealed, and why.
type NotPersonalField struct {
	Type    string
	Path    string
	Because string
}

// backdatedTypes lists the incident event types that embed Backdating: each has
// a late-entry reason, free text.
func backdatedTypes() []string {
	return []string{
		"AcknowledgementReceived", "ActionTaken", "AffectedRecorded", "CRSPIDeclared",
		"DeterminationMade", "EntityProfiled", "EventCorrected", "EvidenceRecorded",
		"HoldRecorded", "HoldReleased", "IncidentAssessed", "IncidentClassified",
		"IncidentClosed", "IncidentDetected", "IncidentReopened", "NoteAdded",
		"NotificationSent", "PackPinned", "PostmortemCompleted", "RequestApproved",
		"RequestOpened", "RequestRejected", "RiskDetermined", "RiskFactorsRecorded",
		"ScopeRecorded", "StageChanged",
	}
}

// PersonalFields returns the table of personal fields, a new slice on each
// call, ordered by type, then target, then path.
func PersonalFields() []PersonalField {
	text := func(typ string, paths ...string) []PersonalField {
		out := make([]PersonalField, len(paths))
		for i, p := range paths {
			out[i] = PersonalField{Type: typ, Path: p, Key: SealEvent, Kind: PersonalFreeText}
		}
		return out
	}
	incident := func(typ, path string, kind PersonalKind) PersonalField {
		return PersonalField{Type: typ, Path: path, Key: SealIncident, Kind: kind}
	}
	var base []PersonalField
	for _, typ := range backdatedTypes() {
		base = append(base, text(typ, "late_entry_reason")...)
	}
	base = slices.Concat(base,
		text("IncidentDetected", "summary", "aware_reason"),
		text("IncidentAssessed", "override_reason", "notes"),
		text("StageChanged", "reason"),
		text("IncidentClassified", "root_cause", "reason"),
		text("RiskDetermined", "reasoning"),
		text("CRSPIDeclared", "reasoning"),
		text("ActionTaken", "description"),
		[]PersonalField{incident("ActionTaken", "systems[]", PersonalHost)},
		text("EvidenceRecorded", "description"),
		[]PersonalField{incident("EvidenceRecorded", "location", PersonalLocation)},
		text("RequestOpened", "details"),
		[]PersonalField{incident("RequestOpened", "destination", PersonalLocation)},
		text("RequestApproved", "comment"),
		text("RequestRejected", "reason"),
		// A recipient is the incident's, not the notice's: Decide matches a
		// follow-up notice to earlier ones by recipient (sameAudience), so
		// an incident's recipients are forgotten together.
		// To a controller, the recipient is the controller organisation the
		// profile names (Obligation.matches compares the two): in clear.
		[]PersonalField{{Type: "NotificationSent", Path: "recipient", Key: SealIncident, Kind: PersonalContact, ClearWhen: [2]string{"recipient_kind", string(RecipientController)}}},
		text("NotificationSent", "summary", "delay_reason"),
		text("PostmortemCompleted", "summary"),
		[]PersonalField{incident("PostmortemCompleted", "location", PersonalLocation)},
		text("IncidentClosed", "summary", "open_obligations_reason"),
		text("IncidentReopened", "reason"),
		text("NoteAdded", "text"),
		text("EventCorrected", "reason"),
		text("DeterminationMade", "reasoning"),
		[]PersonalField{incident("AcknowledgementReceived", "from", PersonalContact)},
		text("HoldRecorded", "basis"),
		[]PersonalField{incident("HoldRecorded", "authority", PersonalContact)},
		text("HoldReleased", "reason"),
		text("RiskFactorsRecorded", "notes"),
		text("PackPinned", "reason"),
	)
	out := slices.Clone(base)
	for _, f := range base {
		if f.Type == "EventCorrected" {
			continue // a correction cannot replace a correction
		}
		out = append(out, PersonalField{Type: "EventCorrected", Target: f.Type, Path: "replacement." + f.Path, Key: f.Key, Kind: f.Kind, ClearWhen: f.ClearWhen})
	}
	slices.SortFunc(out, func(a, b PersonalField) int {
		if a.Type != b.Type {
			return cmp.Compare(a.Type, b.Type)
		}
		if a.Target != b.Target {
			return cmp.Compare(a.Target, b.Target)
		}
		return cmp.Compare(a.Path, b.Path)
	})
	return out
}

// PersonalFieldsOf returns the personal fields of an event of type typ;
// for an EventCorrected, those of its replacement of type target besides
// its own.
func PersonalFieldsOf(typ, target string) []PersonalField {
	var out []PersonalField
	for _, f := range PersonalFields() {
		if f.Type == typ && (f.Target == "" || f.Target == target) {
			out = append(out, f)
		}
	}
	return out
}

// NotPersonalFields returns every string field that is never sealed, with
// the reason, a new slice on each call.
func NotPersonalFields() []NotPersonalField {
	var out []NotPersonalField
	add := func(because string, fields ...string) {
		for _, tp := range fields {
			typ, path, _ := strings.Cut(tp, ".")
			out = append(out, NotPersonalField{Type: typ, Path: path, Because: because})
		}
	}
	add("a value of a closed set the domain validates (an enumeration), never typed text",
		"ActionTaken.kind", "CRSPIDeclared.basis", "DeterminationMade.kind", "EntityProfiled.entity_types[]",
		"HoldRecorded.kind", "IncidentAssessed.functional_impact", "IncidentAssessed.recoverability",
		"IncidentAssessed.information_impact", "IncidentAssessed.derived_severity", "IncidentAssessed.derived_priority",
		"IncidentAssessed.severity", "IncidentAssessed.priority", "IncidentClassified.classification",
		"IncidentDetected.source", "IncidentDetected.role", "IncidentReopened.stage",
		"NotificationSent.recipient_kind", "NotificationSent.channel", "NotificationSent.phase",
		"NotificationSent.art33_items[]", "RequestApproved.as", "RequestOpened.kind", "RequestOpened.delay_reason",
		"RequestRejected.as", "RiskDetermined.level", "RiskDetermined.art34_exception",
		"RiskFactorsRecorded.method", "RiskFactorsRecorded.data[]", "RiskFactorsRecorded.dpc_adjustments[].reason",
		"RiskFactorsRecorded.identification", "RiskFactorsRecorded.confidentiality", "RiskFactorsRecorded.integrity",
		"RiskFactorsRecorded.availability", "RiskFactorsRecorded.intent", "RiskFactorsRecorded.unintelligible",
		"RiskFactorsRecorded.art34_exception", "RoleGranted.role", "RoleRevoked.role",
		"StageChanged.from", "StageChanged.to")
	add("an identifier the ledger assigns or refers to (an event ID, a type or field name, an obligation, request, hold or token number, a pack or calendar version): it names a record, not a person",
		"AcknowledgementReceived.notice", "EventCorrected.target", "EventCorrected.target_type", "EventCorrected.changed[]",
		"HoldRecorded.hold", "HoldRecorded.obligations[]", "HoldReleased.hold", "IncidentClosed.open_obligations[]",
		"NotificationSent.obligations[]", "RequestApproved.request", "RequestOpened.request", "RequestRejected.request",
		"PackPinned.version", "PackPinned.calendar", "APITokenIssued.token", "APITokenRevoked.token",
		"ForeignEventRejected.event_id", "ForeignEventRejected.type", "ForeignEventRejected.stream",
		"ForeignEventRejected.rule", "SignaturePolicySet.required[]")
	add("a reference another system assigns (a ticket, alert or case number), kept in clear so the record can be found there; it must not be an address or a name",
		"IncidentDetected.reference", "NotificationSent.reference", "AcknowledgementReceived.reference")
	add("a SHA-256 of a whole document, log record or random secret, not of a short personal value: it confirms only a guess of the whole file, which whoever could guess it already holds; the chain of custody needs it in clear",
		"EvidenceRecorded.sha256", "PostmortemCompleted.sha256", "ForeignEventRejected.leaf_sha256",
		"LegacyTailAccepted.leaves_sha256", "APITokenIssued.sha256")
	add("a regulatory fact (where, what kind, how many) that deadlines and statuses are computed from and that must survive forgetting unchanged",
		"ScopeRecorded.jurisdictions[]", "ScopeRecorded.data_categories[]", "ScopeRecorded.subject_categories[]",
		"AffectedRecorded.counts[].jurisdiction", "EntityProfiled.establishments[]", "EntityProfiled.sectors[]",
		"NotificationSent.jurisdiction", "RiskFactorsRecorded.people", "RiskFactorsRecorded.exposure_days")
	add("an organisation whose own notice clock runs (one obligation per customer or controller): the clock, its status and the advice need it in clear; record an organisation's identifier, never a natural person's name",
		"ScopeRecorded.customers[]", "RequestOpened.customers[]", "NotificationSent.customer", "EntityProfiled.controllers[]")
	add("the actor identity or a key of the trust model: verify and the signature checks need it in clear, it is the audit trail",
		"LedgerInitialized.admin", "RoleGranted.actor", "RoleRevoked.actor", "SignerRegistered.actor",
		"SignerRegistered.key", "SignerRegistered.fingerprint", "SignerRevoked.actor", "SignerRevoked.fingerprint",
		"NotaryAppointed.actor", "NotaryAppointed.ledger_key", "NotaryAppointed.handover",
		"WitnessAdded.key", "WitnessAdded.url", "WitnessRemoved.key")
	add("the ledger stream administers the ledger itself (its name, settings, calendars, roles, keys, tokens, witnesses, custody): it belongs to no incident, so no incident's key or retention reaches it, and its reasons concern the ledger's own users, whose identities stay in clear; a data subject's details do not belong there",
		"LedgerInitialized.name", "SettingChanged.key", "SettingChanged.value", "SettingChanged.reason",
		"CalendarSet.text", "CalendarSet.reason", "RoleGranted.reason", "RoleRevoked.reason",
		"SignerRegistered.reason", "SignerRevoked.reason", "SignaturePolicySet.reason",
		"APITokenIssued.name", "APITokenIssued.reason", "APITokenRevoked.reason",
		"WitnessAdded.reason", "WitnessRemoved.reason", "NotaryAppointed.reason",
		"ForeignEventRejected.reason", "LegacyTailAccepted.reason")
	add("the record of an erasure (shred.go): it must outlive every later shred, so it is never sealed; it names what is forgotten by key, event and field, and its reason says why, never what",
		"DataShredded.event", "DataShredded.basis", "DataShredded.reason", "DataShredded.key_ids[]",
		"DataShredded.events[]", "DataShredded.fields[]")
	return out
}
