package domain_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/domain"
)

// fp returns a well-formed fingerprint for a test actor's key.
func fp(actor string) string {
	return "SHA256:" + strings.Repeat(actor+"0", 43)[:43]
}

// keyOf is a test actor's public key as the registry stores it (the domain
// does no cryptography: any text will do).
func keyOf(actor string) string { return "ssh-ed25519 AAAA" + actor }

var testNow = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// isLedgerType reports whether events of type typ go to the ledger stream.
func isLedgerType(typ string) bool {
	ledger, _ := domain.PolicyKindTypes("ledger")
	return typ == "LedgerInitialized" || slices.Contains(ledger, typ)
}

// run decides c against the history (now is testNow) and, if accepted,
// records its events as the write path would, signer included.
func (h *history) run(c domain.Command) ([]domain.Event, error) {
	h.tb.Helper()
	events, err := domain.Decide(h.state(), c, testNow)
	if err != nil {
		return nil, err
	}
	by := domain.Origin(c)
	for _, e := range events {
		h.record(by, e)
	}
	return events, nil
}

func (h *history) mustRun(c domain.Command) []domain.Event {
	h.tb.Helper()
	events, err := h.run(c)
	if err != nil {
		h.tb.Fatalf("Decide(%T) = %v", c, err)
	}
	return events
}

// record appends e as recorded by by (signed when by.Signer is set) and
// returns its event ID.
func (h *history) record(by domain.By, e domain.Event) string {
	h.tb.Helper()
	stream, facts := domain.IncidentStream("INC"), &h.incident
	if isLedgerType(domain.TypeOf(e)) {
		stream, facts = domain.LedgerStream, &h.ledger
	}
	f := h.fact(stream, uint64(len(*facts)), by.Actor, by.At, e)
	f.Signer = by.Signer
	*facts = append(*facts, f)
	return f.ID
}

// as is by(actor, at) signed with actor's key.
func as(actor, at string) domain.By { return signed(by(actor, at), fp(actor)) }

// signedModeHistory is a ledger made in signed mode by admin, with the cast
// granted their roles and holding registered keys, all signed.
func signedModeHistory(t *testing.T) *history {
	t.Helper()
	h := &history{tb: t}
	h.mustRun(domain.InitLedger{By: as("admin", "2025-01-01T00:00:00Z"), Name: "test", AdminKey: keyOf("admin"), AdminFingerprint: fp("admin")})
	for _, actor := range []string{"oscar", "sam", "ivy", "ian", "lee", "eve"} {
		for _, r := range cast[actor] {
			h.mustRun(domain.GrantRole{By: as("admin", "2025-01-01T00:01:00Z"), Grantee: actor, Role: r})
		}
		h.mustRun(domain.RegisterSigner{By: as("admin", "2025-01-01T00:02:00Z"), Actor: actor, Key: keyOf(actor), Fingerprint: fp(actor)})
	}
	h.mustRun(domain.ChangeSetting{By: as("admin", "2025-01-01T00:03:00Z"), Key: wideBackdateWindow.Key, Value: wideBackdateWindow.Value, Reason: "test history: set at the ledger's start"})
	return h
}

// signedBreach records the acceptance scenario up to the declaration, each
// fact signed by its author (see history.breach).
func (h *history) signedBreach() {
	h.tb.Helper()
	for _, st := range breachSteps(h.tb) {
		h.record(as(st.actor, st.at), st.e)
	}
}

// factOf returns the incident fact of type typ recorded last.
func (h *history) factOf(typ string) domain.Fact {
	h.tb.Helper()
	for i := len(h.incident) - 1; i >= 0; i-- {
		if h.incident[i].Type == typ {
			return h.incident[i]
		}
	}
	h.tb.Fatalf("no %s in the history", typ)
	return domain.Fact{}
}

// wantRule checks that err is a refusal by rule, or nil when rule is "".
func wantRule(t *testing.T, err error, rule string) {
	t.Helper()
	var re *domain.RuleError
	switch {
	case rule == "" && err != nil:
		t.Errorf("Decide = %v, want accepted", err)
	case rule != "" && !errors.As(err, &re):
		t.Errorf("Decide = %v, want a refusal by rule %s", err, rule)
	case rule != "" && re.Rule != rule:
		t.Errorf("Decide refused by rule %s (%v), want rule %s", re.Rule, err, rule)
	case rule != "" && (re.Hint == "" || re.Reason == ""):
		t.Errorf("refusal %v names no reason or no hint", err)
	}
}

func TestInitLedger(t *testing.T) {
	at := "2025-01-01T00:00:00Z"
	initialized := domain.LedgerInitialized{Name: "test", Admin: "admin", Signed: true}
	registered := domain.SignerRegistered{Actor: "admin", Key: keyOf("admin"), Fingerprint: fp("admin"), Reason: "the first admin's key, registered at init"}
	tests := []struct {
		name string
		c    domain.InitLedger
		want []domain.Event
		err  error
		rule string
	}{
		{"signed mode, signed by the key it registers",
			domain.InitLedger{By: as("admin", at), Name: "test", AdminKey: keyOf("admin"), AdminFingerprint: fp("admin")},
			[]domain.Event{initialized, registered}, nil, ""},
		{"unsigned, as ledgers were made before signed mode",
			domain.InitLedger{By: by("admin", at), Name: "test", Unsigned: true},
			[]domain.Event{domain.LedgerInitialized{Name: "test", Admin: "admin"}}, nil, ""},
		{"signed mode without a key",
			domain.InitLedger{By: by("admin", at), Name: "test"}, nil, domain.ErrRefused, "init-key"},
		{"signed mode, not signed",
			domain.InitLedger{By: by("admin", at), Name: "test", AdminKey: keyOf("admin"), AdminFingerprint: fp("admin")}, nil, domain.ErrRefused, "init-key"},
		{"signed mode, signed with another key than the one it registers",
			domain.InitLedger{By: signed(by("admin", at), fp("oscar")), Name: "test", AdminKey: keyOf("admin"), AdminFingerprint: fp("admin")}, nil, domain.ErrRefused, "init-key"},
		{"signed mode, a malformed fingerprint",
			domain.InitLedger{By: signed(by("admin", at), "MD5:aa"), Name: "test", AdminKey: keyOf("admin"), AdminFingerprint: "MD5:aa"}, nil, domain.ErrInvalid, ""},
		{"unsigned, but signed with a key nobody registered",
			domain.InitLedger{By: as("admin", at), Name: "test", Unsigned: true}, nil, domain.ErrRefused, "signer-unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.Decide(domain.State{Ledger: domain.NewLedger()}, tt.c, testNow)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Decide = %v, want %v", err, tt.err)
			}
			if tt.rule != "" {
				wantRule(t, err, tt.rule)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("the ledger it makes", func(t *testing.T) {
		h := signedModeHistory(t)
		l := h.state().Ledger
		if since, ok := l.SignedSince(); !ok || since != 0 {
			t.Errorf("SignedSince = %d, %v; want 0, true", since, ok)
		}
		if k, ok := l.Signers.Key(fp("admin")); !ok || k.Actor != "admin" || !k.Active() {
			t.Errorf("the admin's key = %+v, %v; want registered to admin", k, ok)
		}
		old := newHistory(t).state().Ledger
		if _, ok := old.SignedSince(); ok {
			t.Errorf("a ledger made before signed mode is in signed mode")
		}
	})
}

// TestSignedModeEveryEvent is the attack of an unsigned event on a ledger
// made in signed mode: every event type is refused unsigned, through
// CheckSigner (what verify judges) and through Decide.
func TestSignedModeEveryEvent(t *testing.T) {
	h := signedModeHistory(t)
	h.signedBreach()
	l := h.state().Ledger
	for _, typ := range domain.EventTypes() {
		err := domain.CheckSigner(l, typ, "ivy", "")
		var re *domain.RuleError
		if !errors.As(err, &re) || re.Rule != "signature-required" || !strings.Contains(re.Reason, "signed mode") {
			t.Errorf("unsigned %s in signed mode: CheckSigner = %v, want signature-required (signed mode)", typ, err)
		}
		if err := domain.CheckSigner(l, typ, "ivy", fp("ivy")); err != nil {
			t.Errorf("%s signed with ivy's key: CheckSigner = %v", typ, err)
		}
	}

	at := "2025-03-10T00:00:00Z"
	decl := h.factOf("CRSPIDeclared").ID
	commands := []domain.Command{
		domain.AddNote{By: by("ivy", at), Text: "x"},
		domain.RecordEvidence{By: by("ivy", at), Description: "x", SHA256: strings.Repeat("a", 64)},
		domain.MoveStage{By: by("sam", at), To: domain.StageStabilize},
		domain.ClassifyIncident{By: by("sam", at), Classification: domain.ClassFalsePositive, RootCause: "x"},
		domain.DetermineRisk{By: by("ivy", at), Level: domain.RiskUnlikely, Reasoning: "x"},
		domain.CorrectEvent{By: by("ivy", at), Target: decl, NewAt: ts(t, "2025-03-10T10:00:00Z"), Reason: "x"},
		domain.MakeDetermination{By: by("ivy", at), Kind: domain.DetDiscovery, Positive: true, Reasoning: "x"},
		domain.GrantRole{By: by("admin", at), Grantee: "zed", Role: domain.RoleLegal},
		domain.ChangeSetting{By: by("admin", at), Key: "due-soon-window", Value: "12h", Reason: "test: dated back"},
		domain.SetSignaturePolicy{By: by("admin", at), All: true},
		domain.DetectIncident{By: by("oscar", at), Source: domain.SourceCustomerReport, Summary: "x", Role: domain.RoleController},
	}
	for _, c := range commands {
		t.Run(strings.TrimPrefix(fmt.Sprintf("%T", c), "domain."), func(t *testing.T) {
			s := h.state()
			if _, ok := c.(domain.DetectIncident); ok {
				s.Incident = domain.Incident{ID: "NEW"}
			}
			_, err := domain.Decide(s, c, testNow)
			wantRule(t, err, "signature-required")
		})
	}
}

// TestSignedModeSwitch: an admin switches a ledger made before signed
// mode with a signed policy event; from it on every event is signed, and
// no later policy relaxes it.
func TestSignedModeSwitch(t *testing.T) {
	h := newHistory(t)
	h.breach()
	at := "2025-03-10T00:00:00Z"
	h.mustRun(domain.RegisterSigner{By: by("admin", at), Actor: "admin", Key: keyOf("admin"), Fingerprint: fp("admin")})
	h.mustRun(domain.RegisterSigner{By: as("admin", at), Actor: "ivy", Key: keyOf("ivy"), Fingerprint: fp("ivy")})

	_, err := h.run(domain.SetSignaturePolicy{By: by("admin", at), All: true})
	wantRule(t, err, "signature-required") // the switch itself is signed
	_, err = h.run(domain.SetSignaturePolicy{By: signed(by("admin", at), fp("ivy")), All: true})
	wantRule(t, err, "signer-not-yours")
	if _, ok := h.state().Ledger.SignedSince(); ok {
		t.Fatal("in signed mode before the switch")
	}
	if _, err := h.run(domain.AddNote{By: by("ivy", at), Text: "unsigned, before the switch"}); err != nil {
		t.Fatalf("an unsigned note before the switch: %v", err)
	}
	h.mustRun(domain.SetSignaturePolicy{By: as("admin", at), All: true, Reason: "signed mode"})
	sw := h.ledger[len(h.ledger)-1]
	if since, ok := h.state().Ledger.SignedSince(); !ok || since != sw.Sequence {
		t.Errorf("SignedSince = %d, %v; want the switch's own sequence %d", since, ok, sw.Sequence)
	}

	later := "2025-03-11T00:00:00Z"
	tests := []struct {
		name string
		c    domain.Command
		rule string
	}{
		{"an unsigned note", domain.AddNote{By: by("ivy", later), Text: "x"}, "signature-required"},
		{"a signed note", domain.AddNote{By: as("ivy", later), Text: "x"}, ""},
		{"a note by someone without a key", domain.AddNote{By: by("sam", later), Text: "x"}, "signature-required"},
		{"a policy that drops signed mode", domain.SetSignaturePolicy{By: as("admin", later), Required: []string{"CRSPIDeclared"}}, "signed-mode-final"},
		{"an empty policy", domain.SetSignaturePolicy{By: as("admin", later)}, "signed-mode-final"},
		{"signed mode again, with kinds", domain.SetSignaturePolicy{By: as("admin", later), All: true, Required: []string{"NoteAdded"}}, ""},
		{"a policy by a non-admin", domain.SetSignaturePolicy{By: as("ivy", later), All: true}, "signature-policy-role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.Decide(h.state(), tt.c, testNow)
			wantRule(t, err, tt.rule)
		})
	}

	// A policy event without All after the switch (written around
	// breachledger) leaves signed mode on: the fold never relaxes it.
	h.record(as("admin", later), domain.SignaturePolicySet{Required: []string{}})
	if since, ok := h.state().Ledger.SignedSince(); !ok || since != sw.Sequence {
		t.Errorf("after a policy without All: SignedSince = %d, %v; want %d, true", since, ok, sw.Sequence)
	}
}

// TestImpersonationAndSelfGrant are the insider attacks of issue 12 at the
// domain: a self-granted role, and signing as someone else.
func TestImpersonationAndSelfGrant(t *testing.T) {
	at := "2025-03-10T00:00:00Z"
	signedMode := signedModeHistory(t)
	unsigned := newHistory(t)
	tests := []struct {
		name string
		h    *history
		c    domain.Command
		rule string
	}{
		{"oscar grants himself admin (signed mode)", signedMode, domain.GrantRole{By: as("oscar", at), Grantee: "oscar", Role: domain.RoleAdmin}, "grant-role"},
		{"oscar grants himself a role (signed mode)", signedMode, domain.GrantRole{By: as("oscar", at), Grantee: "oscar", Role: domain.RoleSecurityIncidentManager}, "grant-role"},
		{"oscar grants himself a role (unsigned ledger)", unsigned, domain.GrantRole{By: by("oscar", at), Grantee: "oscar", Role: domain.RoleSecurityIncidentManager}, "grant-role"},
		{"as admin, signed with oscar's key", signedMode, domain.GrantRole{By: signed(by("admin", at), fp("oscar")), Grantee: "oscar", Role: domain.RoleAdmin}, "signer-not-yours"},
		{"as ivy, signed with oscar's key", signedMode, domain.SetSignaturePolicy{By: signed(by("admin", at), fp("oscar")), All: true}, "signer-not-yours"},
		{"as admin, unsigned", signedMode, domain.GrantRole{By: by("admin", at), Grantee: "oscar", Role: domain.RoleAdmin}, "signature-required"},
		{"as admin, with an unregistered key", signedMode, domain.GrantRole{By: signed(by("admin", at), fp("mallory")), Grantee: "oscar", Role: domain.RoleAdmin}, "signer-unknown"},
		{"the admin, signed", signedMode, domain.GrantRole{By: as("admin", at), Grantee: "oscar", Role: domain.RoleAdmin}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.Decide(tt.h.state(), tt.c, testNow)
			wantRule(t, err, tt.rule)
		})
	}
}

// TestAmendingSignedFacts: whatever the policy (here: none), a correction
// of a signed fact, or a fact that replaces or withdraws one, must itself
// be signed by a registered key. The attack: an unsigned correction that
// moves a signed declaration or notice, and so the customer clocks.
func TestAmendingSignedFacts(t *testing.T) {
	h := newHistory(t)
	for _, actor := range []string{"ivy", "ian", "sam", "lee"} {
		h.mustRun(domain.RegisterSigner{By: by("admin", "2025-02-01T00:00:00Z"), Actor: actor, Key: keyOf(actor), Fingerprint: fp(actor)})
	}
	h.breach() // unsigned facts
	decl := h.record(as("ivy", "2025-03-09T11:00:00Z"), domain.CRSPIDeclared{Basis: domain.BasisLegalDuty, Reasoning: "signed"})
	h.incident = slices.DeleteFunc(h.incident, func(f domain.Fact) bool { return f.Type == "CRSPIDeclared" && f.Signer == "" })
	notice := h.record(as("ian", "2025-03-10T09:00:00Z"), domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Recipient: "soc@contoso", Customer: "contoso", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial})
	h.record(as("sam", "2025-03-10T10:00:00Z"), domain.IncidentClassified{Classification: domain.ClassPrivacyBreach, Reason: "signed"})
	h.record(as("lee", "2025-03-10T11:00:00Z"), domain.HoldRecorded{Hold: "H1", Kind: domain.HoldLawEnforcement, Basis: "x", Authority: "FBI", Written: true, Until: ts(t, "2025-04-10T00:00:00Z")})
	scopeID := h.factOf("ScopeRecorded").ID // unsigned

	at := "2025-03-12T00:00:00Z"
	tests := []struct {
		name string
		c    domain.Command
		rule string
	}{
		{"unsigned correction of a signed declaration", domain.CorrectEvent{By: by("ivy", at), Target: decl, NewAt: ts(t, "2025-03-10T11:00:00Z"), Reason: "typo"}, "correction-unsigned"},
		{"unsigned correction of a signed notice", domain.CorrectEvent{By: by("ian", at), Target: notice, NewAt: ts(t, "2025-03-09T09:00:00Z"), Reason: "typo"}, "correction-unsigned"},
		{"unsigned correction of a signed notice, fields only", domain.CorrectEvent{By: by("ian", at), Target: notice, Changes: []domain.FieldChange{{Field: "recipient", Value: "x@contoso"}}, Reason: "typo"}, "correction-unsigned"},
		{"unsigned correction by someone without a key", domain.CorrectEvent{By: by("oscar", at), Target: h.factOf("IncidentDetected").ID, NewAt: ts(t, "2025-03-07T21:00:00Z"), Reason: "x"}, ""},
		{"signed correction of a signed declaration", domain.CorrectEvent{By: as("ivy", at), Target: decl, NewAt: ts(t, "2025-03-09T10:30:00Z"), Reason: "typo"}, ""},
		{"correction signed with someone else's key", domain.CorrectEvent{By: signed(by("ivy", at), fp("ian")), Target: decl, NewAt: ts(t, "2025-03-09T10:30:00Z"), Reason: "typo"}, "signer-not-yours"},
		{"unsigned correction of an unsigned fact", domain.CorrectEvent{By: by("sam", at), Target: scopeID, Changes: []domain.FieldChange{{Field: "subjects", Value: "1300"}}, Reason: "recount"}, ""},
		{"unsigned reclassification of a signed classification", domain.ClassifyIncident{By: by("sam", at), Classification: domain.ClassFalsePositive, RootCause: "x"}, "supersede-unsigned"},
		{"signed reclassification", domain.ClassifyIncident{By: as("sam", at), Classification: domain.ClassFalsePositive, RootCause: "x"}, ""},
		{"unsigned release of a signed hold", domain.ReleaseHold{By: by("lee", at), Hold: "H1", Reason: "x"}, "supersede-unsigned"},
		{"unsigned withdrawal of a signed notice", domain.SendNotification{By: by("ian", at), NotificationSent: domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Recipient: "soc@contoso", Customer: "contoso", Channel: domain.ChannelEmail, Phase: domain.PhaseWithdrawn}}, "supersede-unsigned"},
		{"unsigned new risk over an unsigned one", domain.DetermineRisk{By: by("ivy", at), Level: domain.RiskUnlikely, Reasoning: "x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.Decide(h.state(), tt.c, testNow)
			wantRule(t, err, tt.rule)
		})
	}

	// A fact whose current value a signed correction set stays signed:
	// an unsigned correction may not replace the corrector's act either.
	det := h.factOf("IncidentDetected").ID // recorded unsigned by oscar
	h.mustRun(domain.CorrectEvent{By: as("ivy", at), Target: det, NewAt: ts(t, "2025-03-07T21:00:00Z"), Reason: "signed correction"})
	_, err := h.run(domain.CorrectEvent{By: by("oscar", at), Target: det, NewAt: ts(t, "2025-03-07T20:00:00Z"), Reason: "unsigned"})
	wantRule(t, err, "correction-unsigned")
}

// TestAmendsSigned: the exported judgement verify uses on events already
// recorded names the signed fact an event amends and the rule an unsigned
// one breaks, as Decide does.
func TestAmendsSigned(t *testing.T) {
	h := newHistory(t)
	h.breach() // unsigned facts
	decl := h.record(as("ivy", "2025-03-09T11:00:00Z"), domain.CRSPIDeclared{Basis: domain.BasisLegalDuty, Reasoning: "signed"})
	class := h.record(as("sam", "2025-03-09T12:00:00Z"), domain.IncidentClassified{Classification: domain.ClassPrivacyBreach, Reason: "signed"})
	det := h.factOf("IncidentDetected").ID
	inc := h.state().Incident
	tests := []struct {
		name     string
		e        domain.Event
		wantFact string // "" when it amends no signed fact
		wantRule string
	}{
		{"correction of the signed declaration", domain.EventCorrected{Target: decl, TargetType: "CRSPIDeclared", Reason: "x"}, decl, "correction-unsigned"},
		{"correction of the unsigned detection", domain.EventCorrected{Target: det, TargetType: "IncidentDetected", Reason: "x"}, "", ""},
		{"reclassification over the signed classification", domain.IncidentClassified{Classification: domain.ClassFalsePositive, RootCause: "x"}, class, "supersede-unsigned"},
		{"new risk over the unsigned one", domain.RiskDetermined{Level: domain.RiskUnlikely, Reasoning: "x"}, "", ""},
		{"a note", domain.NoteAdded{Text: "x"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := domain.AmendsSigned(&inc, tt.e)
			if got := map[bool]string{true: f.ID}[ok]; got != tt.wantFact {
				t.Errorf("AmendsSigned = %q, %v, want %q", f.ID, ok, tt.wantFact)
			}
			err := domain.CheckAmendsSigned(&inc, tt.e, "mallory")
			wantRule(t, err, tt.wantRule)
			if err != nil && !strings.Contains(err.Error(), "mallory did not sign") {
				t.Errorf("CheckAmendsSigned = %v, want it to name who did not sign", err)
			}
		})
	}
}

// TestClockFactsUnderPartialPolicy: under a policy that requires the
// declaration, approvals and notices signed, an unsigned fact that moves a
// deadline is refused (the attack: an unsigned false positive waiving an
// overdue customer clock), whether the policy was set now (which stores
// the clocks with it) or before (stored without them).
func TestClockFactsUnderPartialPolicy(t *testing.T) {
	partial := []string{"CRSPIDeclared", "NotificationSent", "RequestApproved", "RequestRejected"}
	setNow := func(t *testing.T) *history {
		h := newHistory(t)
		h.mustRun(domain.SetSignaturePolicy{By: by("admin", "2025-02-01T00:00:00Z"), Required: partial})
		if got := h.state().Ledger.Signers.Required(); !cmp.Equal(got, domain.ClockTypes()) {
			t.Errorf("the policy stored %v, want every clock type", got)
		}
		return h
	}
	setBefore := func(t *testing.T) *history {
		h := newHistory(t)
		h.ledgerEvent("admin", "2025-02-01T00:00:00Z", domain.SignaturePolicySet{Required: partial})
		return h
	}
	at := "2025-03-20T00:00:00Z"
	for name, mk := range map[string]func(*testing.T) *history{"policy set now": setNow, "policy set before": setBefore} {
		t.Run(name, func(t *testing.T) {
			h := mk(t)
			for _, actor := range []string{"ivy", "sam", "lee", "ian"} {
				h.ledgerEvent("admin", "2025-02-01T00:00:00Z", domain.SignerRegistered{Actor: actor, Key: keyOf(actor), Fingerprint: fp(actor)})
			}
			h.breach()
			// The customer clocks ran out on 2025-03-12T10:00Z: overdue.
			if o := obligation(t, h.obligationsAt(at), "customer-notice/contoso"); o.Status != domain.StatusOverdue {
				t.Fatalf("customer-notice/contoso is %s before the attack, want overdue", o.Status)
			}
			decl := h.factOf("CRSPIDeclared").ID
			tests := []struct {
				name string
				c    domain.Command
				rule string
			}{
				{"unsigned false positive", domain.ClassifyIncident{By: by("sam", at), Classification: domain.ClassFalsePositive, RootCause: "x"}, "signature-required"},
				{"unsigned correction of the declaration", domain.CorrectEvent{By: by("ivy", at), Target: decl, NewAt: ts(t, "2025-03-19T10:00:00Z"), Reason: "x"}, "signature-required"},
				{"unsigned risk", domain.DetermineRisk{By: by("ivy", at), Level: domain.RiskUnlikely, Reasoning: "x"}, "signature-required"},
				{"unsigned scope", domain.RecordScope{By: by("sam", at), RemoveCustomers: []string{"contoso"}}, "signature-required"},
				{"unsigned determination", domain.MakeDetermination{By: by("ivy", at), Kind: domain.DetDiscovery, Positive: true, Reasoning: "x"}, "signature-required"},
				{"unsigned delay request", domain.OpenRequest{By: by("ivy", at), Kind: domain.RequestNotificationDelay, DelayReason: domain.DelayRiskToOthers, Until: ts(t, "2025-04-01T00:00:00Z"), Details: "x"}, "signature-required"},
				{"unsigned profile", domain.RecordProfile{By: by("ivy", at), AddEstablishments: []string{"DE"}}, "signature-required"},
				{"unsigned note", domain.AddNote{By: by("sam", at), Text: "x"}, ""},
				{"signed false positive", domain.ClassifyIncident{By: as("sam", at), Classification: domain.ClassFalsePositive, RootCause: "x"}, ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := domain.Decide(h.state(), tt.c, ts(t, at))
					wantRule(t, err, tt.rule)
				})
			}
		})
	}
}

// TestPolicyKindsCoverEveryType: every event type a policy can require
// belongs to a policy kind, so a new event type cannot slip through the
// kinds; every type a kind names exists; "clocks" is ClockTypes.
func TestPolicyKindsCoverEveryType(t *testing.T) {
	inKind := map[string][]string{}
	for _, k := range domain.PolicyKinds() {
		if k.Name == "" || k.Meaning == "" || len(k.Types) == 0 {
			t.Errorf("kind %+v lacks a name, a meaning or types", k)
		}
		for _, typ := range k.Types {
			if !slices.Contains(domain.SignableTypes(), typ) {
				t.Errorf("kind %s names %q, not an event type a policy can require", k.Name, typ)
			}
			inKind[typ] = append(inKind[typ], k.Name)
		}
	}
	for _, typ := range domain.SignableTypes() {
		if len(inKind[typ]) == 0 {
			t.Errorf("event type %s belongs to no policy kind: add it to one (domain/signedmode.go)", typ)
		}
	}
	if got, _ := domain.PolicyKindTypes("clocks"); !cmp.Equal(sorted(got), domain.ClockTypes()) {
		t.Errorf("the clocks kind = %v, want ClockTypes %v", got, domain.ClockTypes())
	}
	for _, want := range []string{"IncidentClassified", "RiskDetermined", "DeterminationMade", "HoldRecorded", "HoldReleased", "EventCorrected", "NotificationSent", "RequestApproved"} {
		if !slices.Contains(domain.ClockTypes(), want) {
			t.Errorf("%s moves deadlines but is not a clock type", want)
		}
	}
}

// TestClockNeutralTypes proves the other half of ClockTypes: an incident
// fact of any other type changes no obligation's due time, status, hold
// or waiver. Each such type needs a sample here, so a new type must be
// placed: a clock type, or shown here not to move a clock.
func TestClockNeutralTypes(t *testing.T) {
	samples := map[string]domain.Event{
		"StageChanged":            domain.StageChanged{From: domain.StageDiagnose, To: domain.StageStabilize},
		"ActionTaken":             domain.ActionTaken{Kind: domain.ActionContainment, Description: "x"},
		"EvidenceRecorded":        domain.EvidenceRecorded{Description: "x", SHA256: strings.Repeat("a", 64)},
		"RiskFactorsRecorded":     domain.RiskFactorsRecorded{Exfiltrated: true, Subjects: 5000},
		"AcknowledgementReceived": domain.AcknowledgementReceived{Notice: "ev-notice", From: "CNIL"},
		"PostmortemCompleted":     domain.PostmortemCompleted{Summary: "x", Location: "vault", SHA256: strings.Repeat("b", 64)},
		"IncidentClosed":          domain.IncidentClosed{Summary: "x"},
		"IncidentReopened":        domain.IncidentReopened{Reason: "x", Stage: domain.StageDiagnose},
		"NoteAdded":               domain.NoteAdded{Text: "x"},
		"DataShredded":            domain.DataShredded{Basis: domain.ShredMistakenEntry, Reason: "x", KeyIDs: []string{"k"}},
	}
	for _, typ := range domain.SignableTypes() {
		if _, ok := samples[typ]; !ok && !isLedgerType(typ) && !slices.Contains(domain.ClockTypes(), typ) {
			t.Errorf("incident event type %s is neither a clock type nor shown here to move no clock", typ)
		}
	}
	type reading struct {
		ID, Status, Reason string
		DueAt, HeldUntil   time.Time
	}
	read := func(h *history, asOf string) []reading {
		var out []reading
		for _, o := range h.obligationsAt(asOf) {
			out = append(out, reading{o.ID, string(o.Status), o.Reason, o.DueAt, o.HeldUntil})
		}
		return out
	}
	for typ, e := range samples {
		t.Run(typ, func(t *testing.T) {
			h := newHistory(t)
			h.breach()
			h.add("lee", "2025-03-09T12:00:00Z", domain.EntityProfiled{Establishments: []string{"FR"}})
			h.add("ian", "2025-03-10T09:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Recipient: "soc@contoso", Customer: "contoso", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial})
			for _, asOf := range []string{"2025-03-11T00:00:00Z", "2025-03-20T00:00:00Z"} {
				before := read(h, asOf)
				if len(before) < 3 {
					t.Fatalf("only %d obligations: the scenario proves nothing", len(before))
				}
				h2 := *h
				h2.incident = slices.Clone(h.incident)
				h2.add("ian", "2025-03-10T12:00:00Z", e)
				if diff := cmp.Diff(before, read(&h2, asOf)); diff != "" {
					t.Errorf("a %s changed the obligations as of %s (-before +after):\n%s", typ, asOf, diff)
				}
			}
		})
	}
}
