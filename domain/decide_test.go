package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

var now = time.Date(2025, 3, 25, 0, 0, 0, 0, time.UTC)

func TestDecideRefusals(t *testing.T) {
	tests := []struct {
		name     string
		given    func(h *history)
		when     domain.Command
		wantErr  error
		wantRule string // for refusals
		wantText string // a part of the message
	}{
		{
			name: "unknown incident", given: func(*history) {},
			when:    domain.AddNote{By: by("oscar", "2025-03-08T00:00:00Z"), Text: "x"},
			wantErr: domain.ErrNotFound, wantText: `incident "INC" not found`,
		},
		{
			name: "declare without the role", given: func(h *history) { h.breachUndeclared() },
			when:    domain.DeclareCRSPI{By: by("sam", "2025-03-09T10:00:00Z"), Basis: domain.BasisEvidence, Reasoning: "logs"},
			wantErr: domain.ErrRefused, wantRule: "declare-role", wantText: "security-incident-manager",
		},
		{
			name: "declare a false positive", given: func(h *history) {
				h.breachUndeclared()
				h.add("sam", "2025-03-09T09:00:00Z", domain.IncidentClassified{Classification: domain.ClassFalsePositive, RootCause: "pen test"})
			},
			when:    domain.DeclareCRSPI{By: by("ivy", "2025-03-09T10:00:00Z"), Basis: domain.BasisEvidence, Reasoning: "logs"},
			wantErr: domain.ErrRefused, wantRule: "declare-classification",
		},
		{
			name: "declare twice", given: func(h *history) { h.breach() },
			when:    domain.DeclareCRSPI{By: by("ivy", "2025-03-10T10:00:00Z"), Basis: domain.BasisEvidence, Reasoning: "again"},
			wantErr: domain.ErrRefused, wantRule: "already-declared",
		},
		{
			name: "notify a customer before the declaration", given: func(h *history) { h.breachUndeclared() },
			when:    notice("ian", "2025-03-09T10:00:00Z", domain.RecipientSecurityContacts, "contoso"),
			wantErr: domain.ErrRefused, wantRule: "notify-before-declaration",
		},
		{
			name: "notify a customer not in scope", given: func(h *history) { h.breach() },
			when:    notice("ian", "2025-03-10T10:00:00Z", domain.RecipientSecurityContacts, "tailspin"),
			wantErr: domain.ErrRefused, wantRule: "notify-customer-scope",
		},
		{
			name: "subscription admins without saying no security contact", given: func(h *history) { h.breach() },
			when:    notice("ian", "2025-03-10T10:00:00Z", domain.RecipientSubscriptionAdmins, "contoso"),
			wantErr: domain.ErrRefused, wantRule: "notify-admins-fallback",
		},
		{
			name: "a late notice without a reason", given: func(h *history) { h.breach() },
			when:    notice("ian", "2025-03-12T10:00:01Z", domain.RecipientSecurityContacts, "contoso"),
			wantErr: domain.ErrRefused, wantRule: "late-needs-reason", wantText: "customer-notice/contoso was due 2025-03-12T10:00:00Z",
		},
		{
			name: "a supplementary notice before any initial one", given: func(h *history) { h.breach() },
			when: func() domain.Command {
				n := notice("ian", "2025-03-10T10:00:00Z", domain.RecipientAuthority, "")
				n.Phase = domain.PhaseSupplementary
				return n
			}(),
			wantErr: domain.ErrRefused, wantRule: "notify-phase",
		},
		{
			name: "a delay approved twice by one person", given: func(h *history) {
				h.breach()
				h.add("ivy", "2025-03-10T10:00:00Z", delayRequest(h))
				h.add("bea", "2025-03-10T11:00:00Z", domain.RequestApproved{Request: "R1", As: domain.RoleLegal})
			},
			when:    domain.ApproveRequest{By: by("bea", "2025-03-10T12:00:00Z"), Request: "R1", As: domain.RoleExecutiveIM},
			wantErr: domain.ErrRefused, wantRule: "approval-same-person", wantText: "two distinct people",
		},
		{
			name: "a delay approved by someone without either role", given: func(h *history) {
				h.breach()
				h.add("ivy", "2025-03-10T10:00:00Z", delayRequest(h))
			},
			when:    domain.ApproveRequest{By: by("ian", "2025-03-10T12:00:00Z"), Request: "R1"},
			wantErr: domain.ErrRefused, wantRule: "approval-role",
		},
		{
			name: "a delay approved as a role the approver does not hold", given: func(h *history) {
				h.breach()
				h.add("ivy", "2025-03-10T10:00:00Z", delayRequest(h))
			},
			when:    domain.ApproveRequest{By: by("lee", "2025-03-10T12:00:00Z"), Request: "R1", As: domain.RoleExecutiveIM},
			wantErr: domain.ErrRefused, wantRule: "approval-role",
		},
		{
			name: "a second legal approval", given: func(h *history) {
				h.breach()
				h.add("ivy", "2025-03-10T10:00:00Z", delayRequest(h))
				h.add("lee", "2025-03-10T11:00:00Z", domain.RequestApproved{Request: "R1", As: domain.RoleLegal})
			},
			when:    domain.ApproveRequest{By: by("bea", "2025-03-10T12:00:00Z"), Request: "R1", As: domain.RoleLegal},
			wantErr: domain.ErrRefused, wantRule: "approval-duplicate-role",
		},
		{
			name: "a data transfer approved by legal", given: func(h *history) {
				h.breach()
				h.add("sam", "2025-03-10T10:00:00Z", domain.RequestOpened{Request: "R1", Kind: domain.RequestDataTransfer, Destination: "lab", Details: "image"})
			},
			when:    domain.ApproveRequest{By: by("lee", "2025-03-10T12:00:00Z"), Request: "R1", As: domain.RoleLegal},
			wantErr: domain.ErrRefused, wantRule: "approval-role", wantText: "incident-manager",
		},
		{
			name: "approve an unknown request", given: func(h *history) { h.breach() },
			when:    domain.ApproveRequest{By: by("lee", "2025-03-10T12:00:00Z"), Request: "R9"},
			wantErr: domain.ErrNotFound, wantText: `request "R9" not found`,
		},
		{
			name: "close a privacy breach without a post-mortem", given: func(h *history) {
				h.breach()
				h.add("sam", "2025-03-10T10:00:00Z", domain.StageChanged{From: domain.StageDiagnose, To: domain.StageStabilize})
			},
			when:    domain.CloseIncident{By: by("ian", "2025-03-20T10:00:00Z")},
			wantErr: domain.ErrRefused, wantRule: "close-needs-postmortem",
		},
		{
			name: "a stage move the process does not allow", given: func(h *history) { h.breach() },
			when:    domain.MoveStage{By: by("sam", "2025-03-10T10:00:00Z"), To: domain.StageClose},
			wantErr: domain.ErrRefused, wantRule: "stage-move", wantText: "only for a false positive",
		},
		{
			name: "detect back to assess", given: func(h *history) { h.breach() },
			when:    domain.MoveStage{By: by("sam", "2025-03-10T10:00:00Z"), To: domain.StageAssess},
			wantErr: domain.ErrRefused, wantRule: "stage-move", wantText: "move to one of: stabilize",
		},
		{
			name: "a move out of close", given: func(h *history) {
				h.breach()
				h.add("sam", "2025-03-10T10:00:00Z", domain.StageChanged{From: domain.StageDiagnose, To: domain.StageStabilize})
				h.add("sam", "2025-03-11T10:00:00Z", domain.StageChanged{From: domain.StageStabilize, To: domain.StageClose})
			},
			when:    domain.MoveStage{By: by("sam", "2025-03-12T10:00:00Z"), To: domain.StageDiagnose},
			wantErr: domain.ErrRefused, wantRule: "stage-move", wantText: "reopen",
		},
		{
			name: "a time in the future", given: func(h *history) { h.breach() },
			when:    domain.AddNote{By: by("ian", "2025-03-25T00:00:01Z"), Text: "x"},
			wantErr: domain.ErrRefused, wantRule: "future-time",
		},
		{
			name: "an awareness in the future", given: func(*history) {},
			when:    domain.DetectIncident{By: by("oscar", "2025-03-07T21:40:00Z"), Source: domain.SourceAutomatedAlert, Summary: "x", AwareAt: now.Add(time.Hour), Role: domain.RoleBoth},
			wantErr: domain.ErrRefused, wantRule: "future-time",
		},
		{
			name: "moving awareness later", given: func(h *history) { h.breach() },
			when: domain.CorrectEvent{By: by("oscar", "2025-03-10T10:00:00Z"), Target: "ev-NEXT", Reason: "x",
				Changes: []domain.FieldChange{{Field: "aware_at", Value: "2025-03-08T00:00:00Z"}}},
			wantErr: domain.ErrRefused, wantRule: "awareness-later",
		},
		{
			name: "correcting a stage move", given: func(h *history) { h.breach() },
			when:    domain.CorrectEvent{By: by("sam", "2025-03-10T10:00:00Z"), Target: "ev-STAGE", Reason: "x", NewAt: ts(t, "2025-03-07T23:00:00Z")},
			wantErr: domain.ErrRefused, wantRule: "correct-kind",
		},
		{
			name: "an unknown field in a correction", given: func(h *history) { h.breach() },
			when: domain.CorrectEvent{By: by("oscar", "2025-03-10T10:00:00Z"), Target: "ev-NEXT", Reason: "x",
				Changes: []domain.FieldChange{{Field: "awareness", Value: "2025-03-07T00:00:00Z"}}},
			wantErr: domain.ErrInvalid, wantText: "allowed: aware_at, aware_reason, reference, role, source, summary",
		},
		{
			name: "an unknown enum value", given: func(h *history) { h.breach() },
			when:    domain.DetermineRisk{By: by("ivy", "2025-03-09T10:00:00Z"), Level: "severe", Reasoning: "x"},
			wantErr: domain.ErrInvalid, wantText: "allowed: unlikely, risk, high",
		},
		{
			name: "several bad fields at once", given: func(*history) {},
			when:    domain.DetectIncident{By: by("oscar", "2025-03-07T21:40:00Z"), Source: "pager", Role: "owner"},
			wantErr: domain.ErrInvalid, wantText: "3 invalid fields",
		},
		{
			name: "a NUL byte in text", given: func(h *history) { h.breach() },
			when:    domain.AddNote{By: by("ian", "2025-03-10T10:00:00Z"), Text: "a\x00b"},
			wantErr: domain.ErrInvalid, wantText: "control character",
		},
		{
			name: "invalid UTF-8", given: func(h *history) { h.breach() },
			when:    domain.AddNote{By: by("ian", "2025-03-10T10:00:00Z"), Text: "a\xffb"},
			wantErr: domain.ErrInvalid, wantText: "not valid UTF-8",
		},
		{
			name: "a field over 64 KiB", given: func(h *history) { h.breach() },
			when:    domain.AddNote{By: by("ian", "2025-03-10T10:00:00Z"), Text: strings.Repeat("x", domain.MaxTextLength+1)},
			wantErr: domain.ErrInvalid, wantText: "over the 65536-byte limit",
		},
		{
			name: "an auditor writes", given: func(h *history) { h.breach() },
			when:    domain.AddNote{By: by("aud", "2025-03-10T10:00:00Z"), Text: "x"},
			wantErr: domain.ErrRefused, wantRule: "note-role",
		},
		{
			name: "a write to a closed incident", given: func(h *history) {
				h.breach()
				h.add("ian", "2025-03-10T10:00:00Z", domain.StageChanged{From: domain.StageDiagnose, To: domain.StageStabilize})
				h.add("ian", "2025-03-11T10:00:00Z", domain.PostmortemCompleted{Summary: "s", Location: "l", SHA256: strings.Repeat("a", 64)})
				h.add("ian", "2025-03-11T11:00:00Z", domain.StageChanged{From: domain.StageStabilize, To: domain.StageClose})
				h.add("ian", "2025-03-11T11:00:00Z", domain.IncidentClosed{})
			},
			when:    domain.TakeAction{By: by("sam", "2025-03-12T10:00:00Z"), Kind: domain.ActionContainment, Description: "x"},
			wantErr: domain.ErrRefused, wantRule: "incident-closed", wantText: "reopen",
		},
		{
			name: "recovery during diagnose", given: func(h *history) { h.breach() },
			when:    domain.TakeAction{By: by("sam", "2025-03-10T10:00:00Z"), Kind: domain.ActionRecovery, Description: "restore"},
			wantErr: domain.ErrRefused, wantRule: "action-stage",
		},
		{
			name: "a fact before the detection", given: func(h *history) { h.breach() },
			when:    domain.AddNote{By: by("ian", "2025-03-07T21:00:00Z"), Text: "x"},
			wantErr: domain.ErrRefused, wantRule: "before-detection",
		},
		{
			name: "a risk determination without personal data", given: func(h *history) {
				h.add("oscar", "2025-03-07T21:40:00Z", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "ddos", AwareAt: ts(h.tb, "2025-03-07T21:40:00Z"), Role: domain.RoleBoth})
			},
			when:    domain.DetermineRisk{By: by("ivy", "2025-03-08T10:00:00Z"), Level: domain.RiskRisk, Reasoning: "x"},
			wantErr: domain.ErrRefused, wantRule: "risk-needs-personal-data",
		},
		{
			name: "revoking the last admin", given: func(*history) {},
			when:    domain.RevokeRole{By: by("admin", "2025-03-08T10:00:00Z"), Grantee: "admin", Role: domain.RoleAdmin},
			wantErr: domain.ErrRefused, wantRule: "last-admin",
		},
		{
			name: "granting without being admin", given: func(*history) {},
			when:    domain.GrantRole{By: by("ivy", "2025-03-08T10:00:00Z"), Grantee: "ivy", Role: domain.RoleAdmin},
			wantErr: domain.ErrRefused, wantRule: "grant-role",
		},
		{
			name: "initialising twice", given: func(*history) {},
			when:    domain.InitLedger{By: by("admin", "2025-03-08T10:00:00Z"), Name: "again"},
			wantErr: domain.ErrRefused, wantRule: "already-initialised",
		},
		{
			name: "an unknown setting", given: func(*history) {},
			when:    domain.ChangeSetting{By: by("admin", "2025-03-08T10:00:00Z"), Key: "grace", Value: "1h"},
			wantErr: domain.ErrInvalid, wantText: "allowed: customer-notice-window, art34-target, due-soon-window",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHistory(t)
			tt.given(h)
			c := resolveTargets(h, tt.when)
			got, err := domain.Decide(h.state(), c, now)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Decide() = %v, %v; want error %v", got, err, tt.wantErr)
			}
			if got != nil {
				t.Errorf("Decide() returned events %v with an error", got)
			}
			if tt.wantRule != "" {
				var re *domain.RuleError
				if !errors.As(err, &re) || re.Rule != tt.wantRule {
					t.Fatalf("Decide() error = %v, want rule %q", err, tt.wantRule)
				}
				if re.Hint == "" {
					t.Errorf("refusal %q says nothing about what to do instead", re.Rule)
				}
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
		})
	}
}

// resolveTargets fills the event IDs that depend on the history:
// "ev-NEXT" is the detection, "ev-STAGE" the first stage change.
func resolveTargets(h *history, c domain.Command) domain.Command {
	ce, ok := c.(domain.CorrectEvent)
	if !ok {
		return c
	}
	for _, f := range h.incident {
		switch {
		case ce.Target == "ev-NEXT" && f.Type == "IncidentDetected", ce.Target == "ev-STAGE" && f.Type == "StageChanged":
			ce.Target = f.ID
			return ce
		}
	}
	return ce
}

func (h *history) breachUndeclared() {
	h.breach()
	h.incident = h.incident[:len(h.incident)-1]
}

func notice(actor, at string, kind domain.RecipientKind, customer string) domain.SendNotification {
	return domain.SendNotification{By: by(actor, at), NotificationSent: domain.NotificationSent{RecipientKind: kind, Recipient: "someone", Customer: customer, Channel: domain.ChannelEmail, Phase: domain.PhaseInitial}}
}

func delayRequest(h *history) domain.RequestOpened {
	return domain.RequestOpened{Request: "R1", Kind: domain.RequestNotificationDelay, DelayReason: domain.DelayRiskToOthers, Until: ts(h.tb, "2025-03-13T00:00:00Z"), Details: "tipping off"}
}

func TestDecideProducesEvents(t *testing.T) {
	t.Run("assess in Detect moves to Assess and derives severity", func(t *testing.T) {
		h := newHistory(t)
		h.add("oscar", "2025-03-07T21:40:00Z", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "x", AwareAt: ts(t, "2025-03-07T21:40:00Z"), Role: domain.RoleBoth})
		got := h.apply(domain.AssessIncident{By: by("oscar", "2025-03-07T22:00:00Z"), FunctionalImpact: domain.FunctionalHigh, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoProprietary}, now)
		if len(got) != 2 {
			t.Fatalf("events = %v, want a stage change and an assessment", got)
		}
		a := got[1].(domain.IncidentAssessed)
		if a.Severity != domain.SeverityHigh || a.Priority != domain.P2 {
			t.Errorf("severity/priority = %s/%s, want high/P2", a.Severity, a.Priority)
		}
		if s := h.state().Incident.Stage; s != domain.StageAssess {
			t.Errorf("stage = %s, want assess", s)
		}
	})
	t.Run("an override needs a reason", func(t *testing.T) {
		h := newHistory(t)
		h.breach()
		_, err := domain.Decide(h.state(), domain.AssessIncident{By: by("oscar", "2025-03-08T00:00:00Z"), FunctionalImpact: domain.FunctionalLow, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoNone, Severity: domain.SeverityCritical}, now)
		if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "override-reason") {
			t.Fatalf("err = %v, want override-reason required", err)
		}
	})
	t.Run("delay approved by legal and executive IM, two people", func(t *testing.T) {
		h := newHistory(t)
		h.breach()
		h.apply(domain.OpenRequest{By: by("ivy", "2025-03-10T10:00:00Z"), Kind: domain.RequestNotificationDelay, DelayReason: domain.DelayExtreme, Until: ts(t, "2025-03-12T00:00:00Z"), Details: "x"}, now)
		h.apply(domain.ApproveRequest{By: by("lee", "2025-03-10T11:00:00Z"), Request: "R1"}, now)
		inc := h.state().Incident
		if st := inc.Request("R1").Status; st != domain.RequestStatusPending {
			t.Errorf("after one approval status = %s, want pending", st)
		}
		h.apply(domain.ApproveRequest{By: by("eve", "2025-03-10T12:00:00Z"), Request: "R1"}, now)
		inc = h.state().Incident
		r := inc.Request("R1")
		if r.Status != domain.RequestStatusApproved || !r.ApprovedAt.Equal(ts(t, "2025-03-10T12:00:00Z")) {
			t.Errorf("request = %s at %s, want approved at 2025-03-10T12:00Z", r.Status, r.ApprovedAt)
		}
	})
	t.Run("close from stabilize moves to close and closes; reopen", func(t *testing.T) {
		h := newHistory(t)
		h.breach()
		h.apply(domain.MoveStage{By: by("sam", "2025-03-10T10:00:00Z"), To: domain.StageStabilize}, now)
		h.apply(domain.CompletePostmortem{By: by("ian", "2025-03-11T10:00:00Z"), Summary: "s", Location: "dms://pm", SHA256: strings.Repeat("ab", 32)}, now)
		got := h.apply(domain.CloseIncident{By: by("ian", "2025-03-12T10:00:00Z"), OpenObligationsReason: "the obligations are tracked in the legal case file"}, now)
		if len(got) != 2 {
			t.Fatalf("close events = %v, want stage change and closure", got)
		}
		if inc := h.state().Incident; !inc.Closed || inc.Stage != domain.StageClose {
			t.Errorf("closed=%v stage=%s", inc.Closed, inc.Stage)
		}
		h.apply(domain.ReopenIncident{By: by("ivy", "2025-03-13T10:00:00Z"), Reason: "second path", Stage: domain.StageDiagnose}, now)
		if inc := h.state().Incident; inc.Closed || inc.Stage != domain.StageDiagnose {
			t.Errorf("after reopen closed=%v stage=%s", inc.Closed, inc.Stage)
		}
	})
	t.Run("false positive closes from assess", func(t *testing.T) {
		h := newHistory(t)
		h.add("oscar", "2025-03-07T21:40:00Z", domain.IncidentDetected{Source: domain.SourceRedBlueTeam, Summary: "x", AwareAt: ts(t, "2025-03-07T21:40:00Z"), Role: domain.RoleBoth})
		h.apply(domain.AssessIncident{By: by("oscar", "2025-03-07T22:00:00Z"), FunctionalImpact: domain.FunctionalNone, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoNone}, now)
		h.apply(domain.ClassifyIncident{By: by("sam", "2025-03-07T23:00:00Z"), Classification: domain.ClassFalsePositive, RootCause: "red team exercise"}, now)
		got := h.apply(domain.CloseIncident{By: by("ian", "2025-03-08T09:00:00Z"), OpenObligationsReason: "the obligations are tracked in the legal case file"}, now)
		if len(got) != 2 {
			t.Errorf("events = %v", got)
		}
	})
	t.Run("scope edits keep the whole scope in each event", func(t *testing.T) {
		h := newHistory(t)
		h.breach()
		n := int64(1500)
		got := h.apply(domain.RecordScope{By: by("sam", "2025-03-10T10:00:00Z"), AddCustomers: []string{"tailspin"}, RemoveCustomers: []string{"contoso"}, AddJurisdictions: []string{"us-ca"}, Subjects: &n}, now)
		s := got[0].(domain.ScopeRecorded)
		if strings.Join(s.Customers, ",") != "fabrikam,tailspin" || s.Subjects != 1500 || strings.Join(s.Jurisdictions, ",") != "US-CA" {
			t.Errorf("scope = %+v", s)
		}
	})
	t.Run("correcting an assessment re-derives severity", func(t *testing.T) {
		h := newHistory(t)
		h.breach()
		var target string
		for _, f := range h.incident {
			if f.Type == "IncidentAssessed" {
				target = f.ID
			}
		}
		got := h.apply(domain.CorrectEvent{By: by("oscar", "2025-03-10T10:00:00Z"), Target: target, Reason: "typo", Changes: []domain.FieldChange{{Field: "functional_impact", Value: "high"}}}, now)
		c := got[0].(domain.EventCorrected)
		a := c.Replacement.(domain.IncidentAssessed)
		if a.Severity != domain.SeverityCritical || a.DerivedSeverity != domain.SeverityCritical {
			t.Errorf("corrected severity = %s (derived %s), want critical", a.Severity, a.DerivedSeverity)
		}
		if got := h.state().Incident.Assessment.Severity; got != domain.SeverityCritical {
			t.Errorf("state severity after correction = %s", got)
		}
		if strings.Join(c.Changed, ",") != "functional_impact" {
			t.Errorf("changed = %v", c.Changed)
		}
	})
}

func TestDeriveSeverityTable(t *testing.T) {
	tests := []struct {
		f        domain.FunctionalImpact
		r        domain.Recoverability
		i        domain.InformationImpact
		sev      domain.Severity
		priority domain.Priority
	}{
		{domain.FunctionalNone, domain.RecoverRegular, domain.InfoNone, domain.SeverityLow, domain.P4},
		{domain.FunctionalLow, domain.RecoverSupplemented, domain.InfoNone, domain.SeverityLow, domain.P4},
		{domain.FunctionalMedium, domain.RecoverRegular, domain.InfoNone, domain.SeverityMedium, domain.P3},
		{domain.FunctionalLow, domain.RecoverRegular, domain.InfoProprietary, domain.SeverityMedium, domain.P3},
		{domain.FunctionalHigh, domain.RecoverRegular, domain.InfoNone, domain.SeverityHigh, domain.P2},
		{domain.FunctionalNone, domain.RecoverRegular, domain.InfoPrivacy, domain.SeverityHigh, domain.P1},
		{domain.FunctionalLow, domain.RecoverNotRecoverable, domain.InfoProprietary, domain.SeverityHigh, domain.P2},
		{domain.FunctionalHigh, domain.RecoverNotRecoverable, domain.InfoNone, domain.SeverityCritical, domain.P1},
		{domain.FunctionalMedium, domain.RecoverExtended, domain.InfoIntegrityLoss, domain.SeverityHigh, domain.P1},
		{domain.FunctionalHigh, domain.RecoverExtended, domain.InfoPrivacy, domain.SeverityCritical, domain.P1},
	}
	for _, tt := range tests {
		sev, pri := domain.DeriveSeverity(tt.f, tt.r, tt.i)
		if sev != tt.sev || pri != tt.priority {
			t.Errorf("DeriveSeverity(%s, %s, %s) = %s/%s, want %s/%s", tt.f, tt.r, tt.i, sev, pri, tt.sev, tt.priority)
		}
	}
}

func TestCodecRoundTrip(t *testing.T) {
	for _, name := range domain.EventTypes() {
		if _, err := domain.Decode(name, []byte(`{}`)); err != nil && name != "EventCorrected" {
			t.Errorf("Decode(%s, {}) = %v", name, err)
		}
	}
	if _, err := domain.Decode("Bogus", []byte(`{}`)); err == nil {
		t.Errorf("Decode of an unknown type did not fail")
	}
	c := domain.EventCorrected{Target: "x", TargetType: "NoteAdded", At: ts(t, "2025-01-01T00:00:00Z"), Replacement: domain.NoteAdded{Text: "fixed"}, Changed: []string{"text"}, Reason: "typo"}
	typ, payload, err := domain.Encode(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := domain.Decode(typ, payload)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.(domain.EventCorrected).Replacement.(domain.NoteAdded).Text; got != "fixed" {
		t.Errorf("replacement text = %q", got)
	}
}
