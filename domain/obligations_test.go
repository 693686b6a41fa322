package domain_test

import (
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// The values of the core issue's acceptance list, worked by hand:
// awareness 2025-03-07T22:15Z → Art. 33 notice due 2025-03-10T22:15Z;
// declaration 2025-03-09T10:00Z with two customers in scope → two notices
// due 2025-03-12T10:00Z; one sent 11:00 with a reason is met-late, the other
// is overdue as of 12:00.
func TestObligationsAcceptanceValues(t *testing.T) {
	h := newHistory(t)
	h.breach()
	h.add("ian", "2025-03-12T11:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Customer: "contoso", Recipient: "secops@contoso", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial, DelayReason: "contacts had to be verified"})

	asOf := ts(t, "2025-03-12T12:00:00Z")
	inc := h.at(domain.Cut{AsOf: asOf})
	obs := domain.Obligations(&inc, domain.DefaultSettings(), asOf)

	art33 := obligation(t, obs, "gdpr-art33")
	if got, want := art33.DueAt, ts(t, "2025-03-10T22:15:00Z"); !got.Equal(want) {
		t.Errorf("Art. 33 due = %s, want %s", got, want)
	}
	if got, want := art33.Status, domain.StatusOverdue; got != want {
		t.Errorf("Art. 33 status = %s, want %s (no authority notice)", got, want)
	}
	for _, c := range []string{"contoso", "fabrikam"} {
		o := obligation(t, obs, "customer-notice/"+c)
		if got, want := o.DueAt, ts(t, "2025-03-12T10:00:00Z"); !got.Equal(want) {
			t.Errorf("%s notice due = %s, want %s", c, got, want)
		}
	}
	contoso := obligation(t, obs, "customer-notice/contoso")
	if got, want := contoso.Status, domain.StatusMetLate; got != want {
		t.Errorf("contoso status = %s, want %s", got, want)
	}
	if got, want := contoso.Reason, "contacts had to be verified"; got != want {
		t.Errorf("contoso reason = %q, want %q", got, want)
	}
	if got, want := obligation(t, obs, "customer-notice/fabrikam").Status, domain.StatusOverdue; got != want {
		t.Errorf("fabrikam status = %s, want %s", got, want)
	}
	art34 := obligation(t, obs, "gdpr-art34")
	if got, want := art34.DueAt, ts(t, "2025-03-11T15:00:00Z"); !got.Equal(want) {
		t.Errorf("Art. 34 due = %s, want %s (high risk at 2025-03-08T15:00Z + 72h target)", got, want)
	}
	if !art34.Target {
		t.Errorf("Art. 34 is not marked as an organisational target")
	}
}

// Each status word, at fixed instants around the 72-hour Art. 33 clock.
func TestArt33StatusOverTime(t *testing.T) {
	h := newHistory(t)
	h.breach()
	h.add("ian", "2025-03-10T20:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "CNIL", Channel: domain.ChannelPortal, Phase: domain.PhaseInitial})
	tests := []struct {
		asOf string
		want domain.Status
	}{
		{"2025-03-08T09:00:00Z", domain.StatusPending}, // 61h15m before due
		{"2025-03-09T22:15:00Z", domain.StatusDueSoon}, // exactly 24h before due
		{"2025-03-09T22:14:59Z", domain.StatusPending}, // one second more than 24h before
		{"2025-03-10T20:00:00Z", domain.StatusMet},     // the notice is sent
		{"2025-03-20T00:00:00Z", domain.StatusMet},     // and stays met
	}
	for _, tt := range tests {
		t.Run(tt.asOf, func(t *testing.T) {
			asOf := ts(t, tt.asOf)
			inc := h.at(domain.Cut{AsOf: asOf})
			got := obligation(t, domain.Obligations(&inc, domain.DefaultSettings(), asOf), "gdpr-art33").Status
			if got != tt.want {
				t.Errorf("status as of %s = %s, want %s", tt.asOf, got, tt.want)
			}
		})
	}
}

func TestArt33OverdueThenMetLate(t *testing.T) {
	h := newHistory(t)
	h.breach()
	h.add("ian", "2025-03-11T01:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "CNIL", Channel: domain.ChannelPortal, Phase: domain.PhaseInitial, DelayReason: "scope unknown until forensics"})
	for _, tt := range []struct {
		asOf string
		want domain.Status
	}{
		{"2025-03-10T22:15:00Z", domain.StatusDueSoon}, // due now: not yet overdue
		{"2025-03-10T22:15:01Z", domain.StatusOverdue},
		{"2025-03-11T01:00:00Z", domain.StatusMetLate},
	} {
		asOf := ts(t, tt.asOf)
		inc := h.at(domain.Cut{AsOf: asOf})
		o := obligation(t, domain.Obligations(&inc, domain.DefaultSettings(), asOf), "gdpr-art33")
		if o.Status != tt.want {
			t.Errorf("as of %s: status = %s, want %s", tt.asOf, o.Status, tt.want)
		}
		if o.Status == domain.StatusMetLate && o.Reason != "scope unknown until forensics" {
			t.Errorf("met-late reason = %q", o.Reason)
		}
	}
}

// An exception approved by both legal and the executive incident manager
// holds the customer clock (paused while it runs); one approval does not.
func TestNotificationDelayHold(t *testing.T) {
	base := func(t *testing.T) *history {
		h := newHistory(t)
		h.breach()
		h.add("ivy", "2025-03-10T10:00:00Z", domain.RequestOpened{Request: "R1", Kind: domain.RequestNotificationDelay, DelayReason: domain.DelayRiskToOthers, Until: ts(t, "2025-03-11T10:00:00Z"), Customers: []string{"fabrikam"}, Details: "tipping off"})
		h.add("lee", "2025-03-10T12:00:00Z", domain.RequestApproved{Request: "R1", As: domain.RoleLegal})
		return h
	}
	t.Run("one approval does not hold", func(t *testing.T) {
		h := base(t)
		asOf := ts(t, "2025-03-10T18:00:00Z")
		inc := h.at(domain.Cut{AsOf: asOf})
		o := obligation(t, domain.Obligations(&inc, domain.DefaultSettings(), asOf), "customer-notice/fabrikam")
		if o.Status == domain.StatusHeld || !o.DueAt.Equal(ts(t, "2025-03-12T10:00:00Z")) {
			t.Errorf("status %s due %s, want not held, due 2025-03-12T10:00Z", o.Status, o.DueAt)
		}
	})
	t.Run("both approvals hold and pause the clock", func(t *testing.T) {
		h := base(t)
		h.add("eve", "2025-03-10T14:00:00Z", domain.RequestApproved{Request: "R1", As: domain.RoleExecutiveIM})
		// Held from 2025-03-10T14:00Z to 2025-03-11T10:00Z: 20h, so the
		// notice due 2025-03-12T10:00Z moves to 2025-03-13T06:00Z.
		for _, tt := range []struct {
			asOf string
			want domain.Status
		}{
			{"2025-03-10T13:59:00Z", domain.StatusPending},
			{"2025-03-10T14:00:00Z", domain.StatusHeld},
			{"2025-03-11T09:59:00Z", domain.StatusHeld},
			{"2025-03-11T10:00:00Z", domain.StatusPending},
			{"2025-03-12T12:00:00Z", domain.StatusDueSoon},
			{"2025-03-13T06:00:01Z", domain.StatusOverdue},
		} {
			asOf := ts(t, tt.asOf)
			inc := h.at(domain.Cut{AsOf: asOf})
			obs := domain.Obligations(&inc, domain.DefaultSettings(), asOf)
			o := obligation(t, obs, "customer-notice/fabrikam")
			if o.Status != tt.want {
				t.Errorf("as of %s: fabrikam status = %s, want %s", tt.asOf, o.Status, tt.want)
			}
			if !asOf.Before(ts(t, "2025-03-10T14:00:00Z")) && !o.DueAt.Equal(ts(t, "2025-03-13T06:00:00Z")) {
				t.Errorf("as of %s: fabrikam due = %s, want 2025-03-13T06:00:00Z", tt.asOf, o.DueAt)
			}
			if c := obligation(t, obs, "customer-notice/contoso"); c.Status == domain.StatusHeld {
				t.Errorf("contoso is held by a request that names only fabrikam")
			}
		}
	})
	t.Run("a rejection ends the request", func(t *testing.T) {
		h := base(t)
		h.add("eve", "2025-03-10T14:00:00Z", domain.RequestRejected{Request: "R1", As: domain.RoleExecutiveIM, Reason: "no"})
		asOf := ts(t, "2025-03-10T15:00:00Z")
		inc := h.at(domain.Cut{AsOf: asOf})
		if o := obligation(t, domain.Obligations(&inc, domain.DefaultSettings(), asOf), "customer-notice/fabrikam"); o.Status == domain.StatusHeld {
			t.Errorf("rejected request holds the clock")
		}
		if got := inc.Request("R1").Status; got != domain.RequestStatusRejected {
			t.Errorf("request status = %s, want rejected", got)
		}
	})
}

func TestWaivers(t *testing.T) {
	tests := []struct {
		name       string
		then       func(h *history)
		obligation string
	}{
		{"risk unlikely waives Art. 33", func(h *history) {
			h.add("ivy", "2025-03-09T12:00:00Z", domain.RiskDetermined{Level: domain.RiskUnlikely, Reasoning: "data was encrypted"})
		}, "gdpr-art33"},
		{"Art. 34(3)(a) waives Art. 34", func(h *history) {
			h.add("ivy", "2025-03-09T12:00:00Z", domain.RiskDetermined{Level: domain.RiskHigh, Reasoning: "encrypted, key safe", Art34Exception: domain.Art34Unintelligible})
		}, "gdpr-art34"},
		{"false positive waives the customer notices", func(h *history) {
			h.add("sam", "2025-03-09T12:00:00Z", domain.IncidentClassified{Classification: domain.ClassFalsePositive, RootCause: "pen test"})
		}, "customer-notice/contoso"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHistory(t)
			h.breach()
			tt.then(h)
			asOf := ts(t, "2025-03-15T00:00:00Z")
			inc := h.at(domain.Cut{AsOf: asOf})
			o := obligation(t, domain.Obligations(&inc, domain.DefaultSettings(), asOf), tt.obligation)
			if o.Status != domain.StatusWaived || o.Reason == "" {
				t.Errorf("status = %s (%q), want waived with a reason", o.Status, o.Reason)
			}
		})
	}
}

func TestNoObligationsBeforeTheyApply(t *testing.T) {
	h := newHistory(t)
	h.breach()
	// As of before the classification, only the assessment says personal
	// data (privacy-breach impact), so Art. 33 runs; no declaration yet,
	// so no customer notice; no risk yet, so no Art. 34.
	asOf := ts(t, "2025-03-08T00:00:00Z")
	inc := h.at(domain.Cut{AsOf: asOf})
	got := ids(domain.Obligations(&inc, domain.DefaultSettings(), asOf))
	if len(got) != 1 || got[0] != "gdpr-art33" {
		t.Errorf("obligations as of %s = %v, want [gdpr-art33]", asOf, got)
	}
	// A processor-only incident has no Art. 33 clock of its own.
	p := newHistory(t)
	p.add("oscar", "2025-03-07T21:40:00Z", domain.IncidentDetected{Source: domain.SourceCustomerReport, Summary: "x", AwareAt: ts(t, "2025-03-07T21:40:00Z"), Role: domain.RoleProcessor})
	p.add("oscar", "2025-03-07T22:30:00Z", domain.IncidentAssessed{FunctionalImpact: domain.FunctionalLow, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoPrivacy})
	pinc := p.at(domain.Cut{})
	if got := domain.Obligations(&pinc, domain.DefaultSettings(), asOf); len(got) != 0 {
		t.Errorf("processor obligations before a declaration = %v, want none", ids(got))
	}
}

// A correction moves awareness earlier; a view known-at before the
// correction was recorded still shows the deadline then believed.
func TestAwarenessCorrectionKnownAt(t *testing.T) {
	h := newHistory(t)
	det := h.add("oscar", "2025-03-07T21:40:00Z", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "x", AwareAt: ts(t, "2025-03-07T23:30:00Z"), Role: domain.RoleController})
	h.add("oscar", "2025-03-07T22:30:00Z", domain.StageChanged{From: domain.StageDetect, To: domain.StageAssess})
	h.add("oscar", "2025-03-07T22:30:00Z", domain.IncidentAssessed{FunctionalImpact: domain.FunctionalLow, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoPrivacy, DerivedSeverity: domain.SeverityHigh, DerivedPriority: domain.P1, Severity: domain.SeverityHigh, Priority: domain.P1})
	h.apply(domain.CorrectEvent{By: by("oscar", "2025-03-09T11:00:00Z"), Target: det, Changes: []domain.FieldChange{{Field: "aware_at", Value: "2025-03-07T22:15:00Z"}}, Reason: "SOC ticket"}, ts(t, "2025-03-09T11:00:00Z"))
	corrRecorded := h.incident[len(h.incident)-1].RecordedAt

	asOf := ts(t, "2025-03-10T23:00:00Z")
	tests := []struct {
		name    string
		knownAt time.Time
		due     string
		status  domain.Status
	}{
		{"known before the correction", corrRecorded.Add(-time.Second), "2025-03-10T23:30:00Z", domain.StatusDueSoon},
		{"known after the correction", corrRecorded, "2025-03-10T22:15:00Z", domain.StatusOverdue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc := h.at(domain.Cut{AsOf: asOf, KnownAt: tt.knownAt})
			o := obligation(t, domain.Obligations(&inc, domain.DefaultSettings(), asOf), "gdpr-art33")
			if !o.DueAt.Equal(ts(t, tt.due)) || o.Status != tt.status {
				t.Errorf("Art. 33 = due %s %s, want due %s %s", o.DueAt.Format(time.RFC3339), o.Status, tt.due, tt.status)
			}
		})
	}
	inc := h.at(domain.Cut{AsOf: asOf})
	if got, want := obligation(t, domain.Obligations(&inc, domain.DefaultSettings(), asOf), "gdpr-art33").AnchorEvent, inc.Corrections[0].EventID; got != want {
		t.Errorf("anchor event = %s, want the correction %s", got, want)
	}
}

// A customer added to the scope after the declaration gets a clock from
// the moment it entered the scope.
func TestCustomerAddedAfterDeclaration(t *testing.T) {
	h := newHistory(t)
	h.breach()
	h.add("sam", "2025-03-10T08:00:00Z", domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam", "tailspin"}})
	inc := h.at(domain.Cut{})
	o := obligation(t, domain.Obligations(&inc, domain.DefaultSettings(), ts(t, "2025-03-10T09:00:00Z")), "customer-notice/tailspin")
	if got, want := o.DueAt, ts(t, "2025-03-13T08:00:00Z"); !got.Equal(want) {
		t.Errorf("tailspin due = %s, want %s", got, want)
	}
	if o.Anchor != "customer entered scope" {
		t.Errorf("anchor = %q", o.Anchor)
	}
	if got, want := obligation(t, domain.Obligations(&inc, domain.DefaultSettings(), ts(t, "2025-03-10T09:00:00Z")), "customer-notice/contoso").DueAt, ts(t, "2025-03-12T10:00:00Z"); !got.Equal(want) {
		t.Errorf("contoso due = %s, want %s (unchanged)", got, want)
	}
}

func TestSettingsChangeWindows(t *testing.T) {
	h := newHistory(t)
	h.ledgerEvent("admin", "2025-01-02T00:00:00Z", domain.SettingChanged{Key: "art34-target", Value: "48h"})
	h.ledgerEvent("admin", "2025-01-02T00:00:00Z", domain.SettingChanged{Key: "customer-notice-window", Value: "2d"})
	h.breach()
	l := domain.ReplayLedger(h.ledger, domain.Cut{})
	inc := h.at(domain.Cut{})
	obs := domain.Obligations(&inc, l.Settings, ts(t, "2025-03-09T12:00:00Z"))
	if got, want := obligation(t, obs, "gdpr-art34").DueAt, ts(t, "2025-03-10T15:00:00Z"); !got.Equal(want) {
		t.Errorf("Art. 34 due = %s, want %s", got, want)
	}
	if got, want := obligation(t, obs, "customer-notice/contoso").DueAt, ts(t, "2025-03-11T10:00:00Z"); !got.Equal(want) {
		t.Errorf("customer due = %s, want %s", got, want)
	}
}
