package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// The rules bind rows written around the CLI (issue 13). An append is a
// list of events one command decided; whoever judges the log afterwards (a
// notary, verify) asks which command that was (CommandOf) and whether
// Decide, on the state at the append's position and at its recorded time,
// yields the same events (Redecide). Nothing here reads a clock or the
// store: the caller gives the state, the author and the time.

// RuleNotDecided is the rule an append breaks when its events are not what
// the rules decide: no command yields them, or Decide on the state at their
// position yields other events (another count, kind or field value).
const RuleNotDecided = "not-what-the-rules-decide"

const notDecidedHint = "record facts with breachledger's commands, which decide them by the rules; a row written around them is rejected"

// notDecided refuses events that no command, or not this state, yields.
func notDecided(format string, args ...any) *RuleError {
	return refuse(RuleNotDecided, notDecidedHint, format, args...)
}

// CommandOf returns the command that, issued by by, decides exactly events:
// one append's events, in order. It looks at the events alone (no state),
// so commands that edit a value (scope, profile, affected counts) come back
// in their Replace form, and values Decide derives from the state (request,
// hold and token IDs, a stage move's From, a derived severity) are left for
// Decide to derive again: Redecide compares them. An events list that no
// command yields is a *RuleError for rule not-what-the-rules-decide saying
// why.
func CommandOf(by By, events []Event) (Command, error) {
	if len(events) == 0 {
		return nil, notDecided("an append holds at least one event, and this one holds none")
	}
	for i, e := range events {
		if e == nil || TypeOf(e) == "" {
			return nil, notDecided("event %d of %d is not an event breachledger knows (%T)", i+1, len(events), e)
		}
	}
	by.LateEntryReason = lateEntryOf(events[0])
	shape := func() error {
		return notDecided("no command decides the events %s together in one append", typeList(events))
	}
	if len(events) > 1 {
		return commandOfMany(by, events, shape)
	}
	switch e := events[0].(type) {
	// Ledger commands.
	case LedgerInitialized:
		return InitLedger{By: by, Name: e.Name, Unsigned: !e.Signed}, nil
	case RoleGranted:
		return GrantRole{By: by, Grantee: e.Actor, Role: e.Role, Reason: e.Reason}, nil
	case RoleRevoked:
		return RevokeRole{By: by, Grantee: e.Actor, Role: e.Role, Reason: e.Reason}, nil
	case CalendarSet:
		return SetCalendar{By: by, Text: e.Text, Reason: e.Reason}, nil
	case SettingChanged:
		return ChangeSetting{By: by, Key: e.Key, Value: e.Value, Reason: e.Reason}, nil
	case SignerRegistered:
		return RegisterSigner{By: by, Actor: e.Actor, Key: e.Key, Fingerprint: e.Fingerprint, Reason: e.Reason}, nil
	case SignerRevoked:
		return RevokeSigner{By: by, Actor: e.Actor, Fingerprint: e.Fingerprint, Reason: e.Reason}, nil
	case SignaturePolicySet:
		return SetSignaturePolicy{By: by, Required: e.Required, All: e.All, Reason: e.Reason}, nil
	case APITokenIssued:
		return IssueToken{By: by, Name: e.Name, SHA256: e.SHA256, ExpiresAt: e.ExpiresAt, Reason: e.Reason}, nil
	case APITokenRevoked:
		return RevokeToken{By: by, Token: e.Token, Reason: e.Reason}, nil
	case WitnessAdded:
		return AddWitness{By: by, Key: e.Key, URL: e.URL, Reason: e.Reason}, nil
	case WitnessRemoved:
		return RemoveWitness{By: by, Key: e.Key, Reason: e.Reason}, nil
	case ForeignEventRejected:
		return RejectForeign{By: by, Records: []ForeignEventRejected{e}, Reason: e.Reason}, nil
	case LegacyTailAccepted:
		return AcceptLegacyTail{By: by, Tail: e, Reason: e.Reason}, nil

	// Incident commands.
	case IncidentAssessed:
		return assessOf(by, e), nil
	case StageChanged:
		return MoveStage{By: by, To: e.To, Reason: e.Reason}, nil
	case IncidentClassified:
		return ClassifyIncident{By: by, Classification: e.Classification, RootCause: e.RootCause, Reason: e.Reason}, nil
	case ScopeRecorded:
		subjects, records := e.Subjects, e.Records
		return RecordScope{By: by, AddCustomers: e.Customers, AddDataCategories: e.DataCategories,
			AddSubjectCategories: e.SubjectCategories, AddJurisdictions: e.Jurisdictions,
			Subjects: &subjects, Records: &records, Replace: true}, nil
	case RiskDetermined:
		return DetermineRisk{By: by, Level: e.Level, Reasoning: e.Reasoning, Art34Exception: e.Art34Exception}, nil
	case CRSPIDeclared:
		return DeclareCRSPI{By: by, Basis: e.Basis, Reasoning: e.Reasoning}, nil
	case ActionTaken:
		return TakeAction{By: by, Kind: e.Kind, Description: e.Description, Systems: e.Systems}, nil
	case EvidenceRecorded:
		return RecordEvidence{By: by, Description: e.Description, SHA256: e.SHA256, Location: e.Location, Size: e.Size}, nil
	case RequestOpened:
		return OpenRequest{By: by, Kind: e.Kind, DelayReason: e.DelayReason, Until: e.Until, Customers: e.Customers,
			Destination: e.Destination, Details: e.Details}, nil
	case RequestApproved:
		return ApproveRequest{By: by, Request: e.Request, As: e.As, Comment: e.Comment}, nil
	case RequestRejected:
		return RejectRequest{By: by, Request: e.Request, As: e.As, Reason: e.Reason}, nil
	case NotificationSent:
		return SendNotification{By: by, NotificationSent: e}, nil
	case PostmortemCompleted:
		return CompletePostmortem{By: by, Summary: e.Summary, Location: e.Location, SHA256: e.SHA256}, nil
	case IncidentClosed:
		return CloseIncident{By: by, Summary: e.Summary, OpenObligationsReason: e.OpenObligationsReason}, nil
	case IncidentReopened:
		return ReopenIncident{By: by, Reason: e.Reason, Stage: e.Stage}, nil
	case NoteAdded:
		return AddNote{By: by, Text: e.Text}, nil
	case EventCorrected:
		return correctionOf(by, e)
	case DataShredded:
		return ShredData{By: by, Event: e.Event, Basis: e.Basis, Reason: e.Reason, KeyIDs: e.KeyIDs, Events: e.Events, Fields: e.Fields}, nil

	// Regulatory facts.
	case EntityProfiled:
		return RecordProfile{By: by, AddEstablishments: e.Establishments, AddSectors: e.Sectors,
			AddEntityTypes: e.EntityTypes, AddControllers: e.Controllers, Replace: true}, nil
	case AffectedRecorded:
		return RecordAffected{By: by, Set: e.Counts, Replace: true}, nil
	case DeterminationMade:
		return MakeDetermination{By: by, Kind: e.Kind, Positive: e.Positive, Reasoning: e.Reasoning}, nil
	case AcknowledgementReceived:
		return RecordAcknowledgement{By: by, Notice: e.Notice, From: e.From, Reference: e.Reference}, nil
	case HoldRecorded:
		return RecordHold{By: by, Kind: e.Kind, Obligations: e.Obligations, Basis: e.Basis, Authority: e.Authority,
			Written: e.Written, Until: e.Until}, nil
	case HoldReleased:
		return ReleaseHold{By: by, Hold: e.Hold, Reason: e.Reason}, nil
	case RiskFactorsRecorded:
		return RecordRiskFactors{By: by, RiskFactorsRecorded: e}, nil
	case PackPinned:
		return PinPack{By: by, Version: e.Version, Reason: e.Reason}, nil
	}
	return nil, shape()
}

// commandOfMany returns the command of an append of several events: init
// in signed mode, detection with its pack pin, an assessment or a closure
// with the stage move it makes, a key rotation, a rejection of several
// records.
func commandOfMany(by By, events []Event, shape func() error) (Command, error) {
	if len(events) == 2 {
		switch first := events[0].(type) {
		case LedgerInitialized:
			if reg, ok := events[1].(SignerRegistered); ok {
				return InitLedger{By: by, Name: first.Name, Unsigned: !first.Signed, AdminKey: reg.Key, AdminFingerprint: reg.Fingerprint}, nil
			}
		case IncidentDetected:
			if pin, ok := events[1].(PackPinned); ok {
				return DetectIncident{By: by, Source: first.Source, Summary: first.Summary, AwareAt: first.AwareAt, AwareReason: first.AwareReason,
					Role: first.Role, Reference: first.Reference, Pack: pin.Version, Calendar: pinnedCalendar(pin)}, nil
			}
		case StageChanged:
			switch second := events[1].(type) {
			case IncidentAssessed:
				return assessOf(by, second), nil
			case IncidentClosed:
				return CloseIncident{By: by, Summary: second.Summary, OpenObligationsReason: second.OpenObligationsReason}, nil
			}
		case SignerRegistered:
			if rev, ok := events[1].(SignerRevoked); ok {
				return RotateSigner{By: by, Actor: first.Actor, Old: rev.Fingerprint, Key: first.Key, Fingerprint: first.Fingerprint, Reason: first.Reason}, nil
			}
			if n, ok := events[1].(NotaryAppointed); ok {
				return AppointNotary{By: by, Actor: first.Actor, Key: first.Key, Fingerprint: first.Fingerprint,
					LedgerKey: n.LedgerKey, Handover: n.Handover, Reason: n.Reason}, nil
			}
		}
	}
	if first, ok := events[0].(ForeignEventRejected); ok {
		records := make([]ForeignEventRejected, 0, len(events))
		for _, e := range events {
			r, ok := e.(ForeignEventRejected)
			if !ok {
				return nil, shape()
			}
			records = append(records, r)
		}
		return RejectForeign{By: by, Records: records, Reason: first.Reason}, nil
	}
	return nil, shape()
}

// assessOf returns the assessment command of e. Severity and priority are
// given only where they differ from the derived values recorded (an
// override); the derivation itself is Decide's to redo.
func assessOf(by By, e IncidentAssessed) AssessIncident {
	c := AssessIncident{By: by, FunctionalImpact: e.FunctionalImpact, Recoverability: e.Recoverability,
		InformationImpact: e.InformationImpact, Escalated: e.Escalated, OverrideReason: e.OverrideReason, Notes: e.Notes}
	if e.Severity != e.DerivedSeverity {
		c.Severity = e.Severity
	}
	if e.Priority != e.DerivedPriority {
		c.Priority = e.Priority
	}
	return c
}

// correctionOf returns the correction command of e: the business time as
// corrected, and each changed field of the replacement written as on the
// command line (the inverse of applyChanges).
func correctionOf(by By, e EventCorrected) (Command, error) {
	c := CorrectEvent{By: by, Target: e.Target, NewAt: e.At, Reason: e.Reason}
	if e.Replacement == nil {
		return nil, notDecided("the correction of event %s carries no replacement", e.Target)
	}
	v := reflect.ValueOf(e.Replacement)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	index := jsonFields(v.Type())
	for _, name := range e.Changed {
		if name == "at" {
			continue
		}
		i, ok := index[name]
		if !ok {
			return nil, notDecided("the correction of event %s names a changed field %q that %s does not have", e.Target, name, TypeOf(e.Replacement))
		}
		value, err := formatField(v.Field(i))
		if err != nil {
			return nil, notDecided("the correction of event %s changes field %q, which no correction sets: %v", e.Target, name, err)
		}
		c.Changes = append(c.Changes, FieldChange{Field: name, Value: value})
	}
	return c, nil
}

// Redecide checks one append against the rules: the command its events
// record (CommandOf), issued by by (actor, business time, signer key
// fingerprint), decided on s, the state at the append's position, at now,
// its recorded time, yields the very same events. Event IDs and recorded
// times are not part of domain events; every other field is compared as it
// is stored (the canonical JSON payload, so a time's zone or an empty list
// written as null cannot hide or fake a difference).
//
// The error is nil when the append is what the rules decide. Otherwise it
// is a *RuleError: Decide's own refusal (its rule: signature-required,
// token-role, notify-before-declaration...), or rule
// not-what-the-rules-decide naming the first event and field that differ,
// or why no command yields the events. When Decide finds the command
// invalid or its subject missing, that error is wrapped too (errors.Is
// ErrInvalid or ErrNotFound holds beside ErrRefused).
func Redecide(s State, by By, events []Event, now time.Time) error {
	c, err := CommandOf(by, events)
	if err != nil {
		return err
	}
	decided, err := Decide(s, c, now)
	if err != nil {
		var re *RuleError
		if errors.As(err, &re) {
			return re
		}
		return fmt.Errorf("%w (%w)", notDecided("the command these events record is not one Decide accepts"), err)
	}
	return compareDecided(decided, events)
}

// compareDecided returns nil when recorded are decided, as stored, else a
// refusal naming the first difference.
func compareDecided(decided, recorded []Event) error {
	if len(decided) != len(recorded) {
		return notDecided("the rules decide %d events (%s), and %d are recorded (%s)",
			len(decided), typeList(decided), len(recorded), typeList(recorded))
	}
	for i := range decided {
		dt, dp, err := Encode(decided[i])
		if err != nil {
			return fmt.Errorf("redecide: %w", err)
		}
		rt, rp, err := Encode(recorded[i])
		if err != nil {
			return notDecided("event %d of %d cannot be stored: %v", i+1, len(recorded), err)
		}
		if dt != rt {
			return notDecided("event %d of %d is a %s, and the rules decide a %s", i+1, len(recorded), rt, dt)
		}
		if bytes.Equal(dp, rp) {
			continue
		}
		field, got, want := firstDifference(dp, rp)
		return notDecided("event %d of %d (%s): field %s is %s, and the rules decide %s", i+1, len(recorded), rt, field, got, want)
	}
	return nil
}

// firstDifference names the first top-level JSON field, in name order,
// whose value differs between the decided and the recorded payload, with
// both values (abridged).
func firstDifference(decided, recorded []byte) (field, got, want string) {
	var d, r map[string]json.RawMessage
	if json.Unmarshal(decided, &d) != nil || json.Unmarshal(recorded, &r) != nil {
		return "(payload)", abridge(recorded), abridge(decided)
	}
	names := make([]string, 0, len(d)+len(r))
	for k := range d {
		names = append(names, k)
	}
	for k := range r {
		if _, ok := d[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		dv, dok := d[k]
		rv, rok := r[k]
		if dok && rok && bytes.Equal(dv, rv) {
			continue
		}
		got, want = "absent", "absent"
		if rok {
			got = abridge(rv)
		}
		if dok {
			want = abridge(dv)
		}
		return k, got, want
	}
	return "(payload)", abridge(recorded), abridge(decided)
}

func abridge(b []byte) string {
	const limit = 120
	if len(b) > limit {
		return string(b[:limit]) + "…"
	}
	return string(b)
}

func typeList(events []Event) string {
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = TypeOf(e)
		if names[i] == "" {
			names[i] = fmt.Sprintf("%T", e)
		}
	}
	return strings.Join(names, ", ")
}
