package domain

// Stored type names. They are explicit strings, never derived from Go type
// names, so renaming a Go type cannot rewrite history. A changed payload
// shape gets a new name (e.g. "IncidentDetected.v2") and both stay decodable.
//
// A new type is added in both functions below; TestEventTypeSwitch fails
// when they list different names.

// eventTypeNames returns every stored type name, a new slice on each call:
// nothing outside this file can add a type.
func eventTypeNames() []string {
	return []string{
		"LedgerInitialized",
		"RoleGranted",
		"RoleRevoked",
		"SettingChanged",
		"CalendarSet",
		"IncidentDetected",
		"IncidentAssessed",
		"StageChanged",
		"IncidentClassified",
		"ScopeRecorded",
		"RiskDetermined",
		"CRSPIDeclared",
		"ActionTaken",
		"EvidenceRecorded",
		"RequestOpened",
		"RequestApproved",
		"RequestRejected",
		"NotificationSent",
		"PostmortemCompleted",
		"IncidentClosed",
		"IncidentReopened",
		"NoteAdded",
		"EventCorrected",
		// Signer registry and signature policy (signers.go).
		"SignerRegistered",
		"SignerRevoked",
		"SignaturePolicySet",
		// Regulatory facts (facts_events.go).
		"EntityProfiled",
		"AffectedRecorded",
		"DeterminationMade",
		"AcknowledgementReceived",
		"HoldRecorded",
		"HoldReleased",
		"RiskFactorsRecorded",
		"PackPinned",
		// API tokens (tokens.go).
		"APITokenIssued",
		"APITokenRevoked",
		// Witnesses (witnesses.go).
		"WitnessAdded",
		"WitnessRemoved",
		// Custody of the log (custody.go).
		"ForeignEventRejected",
		"LegacyTailAccepted",
		"NotaryAppointed",
		// Forgetting personal data (shred.go).
		"DataShredded",
	}
}

// newEvent returns a new payload of the stored type typ, a pointer to its
// zero value, or false if typ is unknown. A switch, not a table: Decode
// calls it for every event read, and a table built per call was a quarter
// of the bytes a replay allocated.
func newEvent(typ string) (Event, bool) {
	switch typ {
	case "LedgerInitialized":
		return &LedgerInitialized{}, true
	case "RoleGranted":
		return &RoleGranted{}, true
	case "RoleRevoked":
		return &RoleRevoked{}, true
	case "SettingChanged":
		return &SettingChanged{}, true
	case "CalendarSet":
		return &CalendarSet{}, true
	case "IncidentDetected":
		return &IncidentDetected{}, true
	case "IncidentAssessed":
		return &IncidentAssessed{}, true
	case "StageChanged":
		return &StageChanged{}, true
	case "IncidentClassified":
		return &IncidentClassified{}, true
	case "ScopeRecorded":
		return &ScopeRecorded{}, true
	case "RiskDetermined":
		return &RiskDetermined{}, true
	case "CRSPIDeclared":
		return &CRSPIDeclared{}, true
	case "ActionTaken":
		return &ActionTaken{}, true
	case "EvidenceRecorded":
		return &EvidenceRecorded{}, true
	case "RequestOpened":
		return &RequestOpened{}, true
	case "RequestApproved":
		return &RequestApproved{}, true
	case "RequestRejected":
		return &RequestRejected{}, true
	case "NotificationSent":
		return &NotificationSent{}, true
	case "PostmortemCompleted":
		return &PostmortemCompleted{}, true
	case "IncidentClosed":
		return &IncidentClosed{}, true
	case "IncidentReopened":
		return &IncidentReopened{}, true
	case "NoteAdded":
		return &NoteAdded{}, true
	case "EventCorrected":
		return &EventCorrected{}, true
	// Signer registry and signature policy (signers.go).
	case "SignerRegistered":
		return &SignerRegistered{}, true
	case "SignerRevoked":
		return &SignerRevoked{}, true
	case "SignaturePolicySet":
		return &SignaturePolicySet{}, true
	// Regulatory facts (facts_events.go).
	case "EntityProfiled":
		return &EntityProfiled{}, true
	case "AffectedRecorded":
		return &AffectedRecorded{}, true
	case "DeterminationMade":
		return &DeterminationMade{}, true
	case "AcknowledgementReceived":
		return &AcknowledgementReceived{}, true
	case "HoldRecorded":
		return &HoldRecorded{}, true
	case "HoldReleased":
		return &HoldReleased{}, true
	case "RiskFactorsRecorded":
		return &RiskFactorsRecorded{}, true
	case "PackPinned":
		return &PackPinned{}, true
	// API tokens (tokens.go).
	case "APITokenIssued":
		return &APITokenIssued{}, true
	case "APITokenRevoked":
		return &APITokenRevoked{}, true
	// Witnesses (witnesses.go).
	case "WitnessAdded":
		return &WitnessAdded{}, true
	case "WitnessRemoved":
		return &WitnessRemoved{}, true
	// Custody of the log (custody.go).
	case "ForeignEventRejected":
		return &ForeignEventRejected{}, true
	case "LegacyTailAccepted":
		return &LegacyTailAccepted{}, true
	case "NotaryAppointed":
		return &NotaryAppointed{}, true
	case "DataShredded":
		return &DataShredded{}, true
	}
	return nil, false
}
