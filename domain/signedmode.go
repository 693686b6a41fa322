package domain

import (
	"fmt"
	"slices"
	"sort"
)

// Signed mode, signature-policy kinds, and the rules that keep the facts
// which move deadlines, and the amendments of signed facts, from escaping
// the signature policy.
//
// A ledger is in signed mode when it was made so (LedgerInitialized.Signed,
// from sequence 0) or switched to it by an admin's signed policy event
// (SignaturePolicySet.All, from that event's sequence). Then every event of
// every kind must be signed by a key registered to its actor, and the mode
// is never relaxed. Facts before SignedSince have no proven author.
//
// On a ledger not in signed mode, a policy names the kinds that must be
// signed. Two rules close what a partial policy would leave open:
//   - clocks follow what they govern: a policy that requires any fact that
//     starts, moves, holds or waives a deadline requires all of them
//     (ClockTypes), so an unsigned classification cannot waive the clock of
//     a signed declaration, nor an unsigned correction move it;
//   - a fact that amends or replaces a signed fact (a correction, a
//     reclassification, a released hold, a withdrawn notice...) must itself
//     be signed, whatever the policy: a signed act is only ever undone by
//     another signed act.

// SignedSince reports from which sequence every event of the ledger must be
// signed: 0 for a ledger made in signed mode, the switch event's own
// sequence for a ledger switched to it. ok is false for a ledger not in
// signed mode. Facts before seq have no proven author.
func (l Ledger) SignedSince() (seq uint64, ok bool) { return l.signedSince, l.signed }

// A PolicyKind is a name a signature policy can give for a set of event
// types ("breachledger signature-policy KIND...").
type PolicyKind struct {
	Name    string
	Meaning string
	Types   []string // stored event type names
}

// clockTypes are the event types that can start, move, hold or waive a
// deadline: what Obligations reads (TestClockNeutralTypes proves that the
// others do not change any obligation).
func clockTypes() []string {
	return []string{
		"IncidentDetected",   // awareness: the Art. 33 anchor
		"IncidentAssessed",   // information impact: whether personal data is involved
		"IncidentClassified", // privacy breach starts duties; false positive / out of scope waives them
		"ScopeRecorded",      // customers, jurisdictions, subjects: who must be told
		"RiskDetermined",     // high risk starts Art. 34; a lower risk waives it
		"CRSPIDeclared",      // starts the customer clock
		"RequestOpened",      // notification-delay requests hold clocks once approved
		"RequestApproved",
		"RequestRejected",
		"NotificationSent", // meets a duty, anchors the next report, or withdraws one
		"EntityProfiled",   // who the organisation is: which regimes apply
		"AffectedRecorded", // counts per jurisdiction: thresholds and fan-out
		"DeterminationMade",
		"HoldRecorded",
		"HoldReleased",
		"PackPinned",     // the rules themselves
		"EventCorrected", // moves any of the above
		"SettingChanged", // the customer notice window and the Art. 34 target
		"CalendarSet",    // user closing days count business days
	}
}

// policyKinds are the kinds, in the order they are listed. Every event type
// but LedgerInitialized belongs to at least one (TestPolicyKindsCoverEveryType).
func policyKinds() []PolicyKind {
	return []PolicyKind{
		{"declaration", "the CRSPI declaration", []string{"CRSPIDeclared"}},
		{"approvals", "approvals and rejections of requests", []string{"RequestApproved", "RequestRejected"}},
		{"notifications", "notices sent", []string{"NotificationSent"}},
		{"clocks", "every fact that starts, moves, holds or waives a deadline: detection, assessment, classification, scope, risk, declaration, requests and their decisions, notices and withdrawals, profile, affected counts, determinations, holds, rule packs, corrections, settings", clockTypes()},
		{"response", "the rest of an incident's record: stages, actions, evidence, risk factors, acknowledgements, post-mortem, closing, reopening, notes, erasures",
			[]string{"StageChanged", "ActionTaken", "EvidenceRecorded", "RiskFactorsRecorded", "AcknowledgementReceived", "PostmortemCompleted", "IncidentClosed", "IncidentReopened", "NoteAdded", "DataShredded"}},
		{"ledger", "roles, settings, signers, the policy, API tokens, witnesses and custody records", ledgerEventTypes()},
	}
}

// PolicyKinds returns the kinds a signature policy can name.
func PolicyKinds() []PolicyKind {
	kinds := policyKinds()
	out := make([]PolicyKind, len(kinds))
	for i, k := range kinds {
		k.Types = slices.Clone(k.Types)
		out[i] = k
	}
	return out
}

// PolicyKindTypes returns the event types of the kind called name.
func PolicyKindTypes(name string) ([]string, bool) {
	for _, k := range policyKinds() {
		if k.Name == name {
			return slices.Clone(k.Types), true
		}
	}
	return nil, false
}

// ClockTypes returns the event types that can start, move, hold or waive a
// deadline (the "clocks" policy kind), sorted.
func ClockTypes() []string {
	out := slices.Clone(clockTypes())
	sort.Strings(out)
	return out
}

// governsClocks reports whether requiring typ signed requires every clock
// type signed: typ is an incident fact that moves a deadline. (Settings are
// ledger events: the "ledger" kind does not make incident facts signed.)
func governsClocks(typ string) bool {
	return slices.Contains(clockTypes(), typ) && !slices.Contains(ledgerEventTypes(), typ)
}

// withClocks returns req with every clock type added when req names any
// type that governs clocks; sorted, without duplicates, never nil.
func withClocks(req []string) []string {
	out := slices.Clone(req)
	if slices.ContainsFunc(req, governsClocks) {
		out = append(out, clockTypes()...)
	}
	sort.Strings(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// decidePolicy decides SetSignaturePolicy for an admin.
func decidePolicy(l Ledger, c SetSignaturePolicy, by By) ([]Event, error) {
	if since, on := l.SignedSince(); on && !c.All {
		return nil, refuse("signed-mode-final", "keep signed mode: set the policy with --all (the kinds you list are kept beside it)",
			"the ledger is in signed mode since seq %d, and signed mode is never relaxed: every event stays signed", since)
	}
	if c.All && by.Signer == "" {
		return nil, refuse("signature-required", signHint,
			"switching the ledger to signed mode must itself be signed: from this event on every event is, and %s did not sign", by.Actor)
	}
	return []Event{SignaturePolicySet{Required: withClocks(c.Required), All: c.All, Reason: c.Reason}}, nil
}

// decideInit decides InitLedger: in signed mode by default, the admin's key
// registered in the same append, which signs it.
func decideInit(s *State, c InitLedger, by By) ([]Event, error) {
	if s.Ledger.Initialized {
		return nil, refuse("already-initialised", "use the existing ledger, or initialise a new one at another path", "this ledger was already initialised as %q", s.Ledger.Name)
	}
	if err := checkNewActorName("admin", by.Actor); err != nil {
		return nil, err
	}
	if c.Unsigned {
		return one(LedgerInitialized{Name: c.Name, Admin: by.Actor})
	}
	advice := fmt.Sprintf(`make your SSH key with "breachledger signer keygen %s" and sign init with it, or make a ledger without signatures (one person trying it out) with "breachledger init --unsigned"`, by.Actor)
	switch {
	case c.AdminKey == "" || c.AdminFingerprint == "":
		return nil, refuse("init-key", advice,
			"a ledger is made in signed mode: init registers the first admin's (%s's) SSH public key, and none was given", by.Actor)
	case by.Signer == "":
		return nil, refuse("init-key", advice,
			"init registers %s's key %s and must be signed with it; it was not signed", by.Actor, c.AdminFingerprint)
	case by.Signer != c.AdminFingerprint:
		return nil, refuse("init-key", "sign init with the key it registers",
			"init registers %s's key %s but was signed with another key, %s", by.Actor, c.AdminFingerprint, by.Signer)
	}
	return []Event{
		LedgerInitialized{Name: c.Name, Admin: by.Actor, Signed: true},
		SignerRegistered{Actor: by.Actor, Key: c.AdminKey, Fingerprint: c.AdminFingerprint, Reason: "the first admin's key, registered at init"},
	}, nil
}

// checkDecidedSignatures judges the signature of the events Decide is about
// to return: CheckSigner for each, as of the ledger before them (for init,
// as of the ledger they make: it registers the key that signs it); then,
// for unsigned events, the two rules that a partial policy alone would miss.
func checkDecidedSignatures(s *State, c Command, by By, events []Event) error {
	l := s.Ledger
	if _, ok := c.(InitLedger); ok {
		l = NewLedger()
		for i, e := range events {
			l.apply(Fact{Sequence: uint64(i), Stream: LedgerStream, Type: TypeOf(e), At: by.At, Actor: by.Actor, Signer: by.Signer, Event: e})
		}
	}
	if err := checkSignatures(l, by, events); err != nil {
		return err
	}
	if by.Signer != "" {
		return nil // signed with an active key registered to the actor
	}
	for _, e := range events {
		if err := checkClockSignature(l, TypeOf(e), by); err != nil {
			return err
		}
		if err := CheckAmendsSigned(&s.Incident, e, by.Actor); err != nil {
			return err
		}
	}
	return nil
}

// checkClockSignature refuses an unsigned fact that moves a deadline when
// the policy requires any such fact signed. Decide stores that closure in
// every policy it sets (withClocks); this also holds under a policy set
// before it did.
func checkClockSignature(l Ledger, typ string, by By) error {
	if !slices.Contains(clockTypes(), typ) {
		return nil
	}
	for _, t := range l.Signers.Required() {
		if governsClocks(t) {
			return refuse("signature-required", signHint,
				"the signature policy requires %s events to be signed, and with them every fact that starts, moves, holds or waives a deadline (the clocks kind); %s is one, and %s did not sign", t, typ, by.Actor)
		}
	}
	return nil
}

// CheckAmendsSigned is the rule for e, unsigned, recorded by actor on inc:
// a *RuleError (correction-unsigned for a correction, supersede-unsigned
// for any other event) when e amends or replaces a signed fact of inc
// (signed itself, or as last corrected; see AmendsSigned), else nil.
// Decide refuses such an event; verify reports one that landed anyway.
func CheckAmendsSigned(inc *Incident, e Event, actor string) error {
	f, ok := AmendsSigned(inc, e)
	if !ok {
		return nil
	}
	signer := f.Signer
	if signer == "" {
		signer = f.Correction.Signer
	}
	const hint = "sign it with your registered key (--sign-key FILE or --ssh-agent): a signed fact is only ever amended by a signed one"
	if _, ok := e.(EventCorrected); ok {
		return refuse("correction-unsigned", hint,
			"event %s (%s, %s) was signed with key %s, and a correction of a signed event must itself be signed; %s did not sign", f.ID, f.Type, stamp(f.At), signer, actor)
	}
	return refuse("supersede-unsigned", hint,
		"%s replaces or withdraws event %s (%s, %s), which was signed with key %s, so it must be signed too; %s did not sign", TypeOf(e), f.ID, f.Type, stamp(f.At), signer, actor)
}

// AmendsSigned returns a signed fact of inc (signed itself, or as last
// corrected) that e amends or replaces, if any: the fact an unsigned e
// would undo (rules correction-unsigned and supersede-unsigned). That is
// the target of a correction, the hold a release ends, the notices a
// withdrawal withdraws, and the current entry that a new classification,
// assessment, risk, scope, profile, count, risk factors, determination of
// the same kind or pack pin replaces.
func AmendsSigned(inc *Incident, e Event) (Fact, bool) {
	g := &inc.Regulatory
	var ids []string
	add := func(r *Ref) {
		if r != nil {
			ids = append(ids, r.EventID)
		}
	}
	switch e := e.(type) {
	case EventCorrected:
		ids = append(ids, e.Target)
	case HoldReleased:
		if h := g.Hold(e.Hold); h != nil {
			add(&h.Ref)
		}
	case NotificationSent:
		if e.Phase == PhaseWithdrawn {
			for _, n := range inc.Notifications {
				if sameAudience(n.NotificationSent, e) {
					ids = append(ids, n.EventID)
				}
			}
		}
	case IncidentClassified:
		if inc.Classification != nil {
			add(&inc.Classification.Ref)
		}
	case IncidentAssessed:
		if inc.Assessment != nil {
			add(&inc.Assessment.Ref)
		}
	case RiskDetermined:
		if inc.Risk != nil {
			add(&inc.Risk.Ref)
		}
	case ScopeRecorded:
		add(inc.Scope.Updated)
	case EntityProfiled:
		if g.Profile != nil {
			add(&g.Profile.Ref)
		}
	case AffectedRecorded:
		if g.Affected != nil {
			add(&g.Affected.Ref)
		}
	case RiskFactorsRecorded:
		if g.RiskFactors != nil {
			add(&g.RiskFactors.Ref)
		}
	case PackPinned:
		if g.Pack != nil {
			add(&g.Pack.Ref)
		}
	case DeterminationMade:
		if _, latest, ok := g.Determination(e.Kind); ok {
			add(&latest.Ref)
		}
	}
	for _, id := range ids {
		if f, ok := inc.Fact(id); ok && f.signedNow() {
			return f, true
		}
	}
	return Fact{}, false
}
