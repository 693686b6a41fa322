package domain_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/domain"
)

// decide runs Decide against the history's state and records the events.
func (h *history) decide(c domain.Command) ([]domain.Event, error) {
	h.tb.Helper()
	by := domain.Origin(c)
	events, err := domain.Decide(h.state(), c, by.At)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		h.add(by.Actor, by.At.Format(time.RFC3339Nano), e)
	}
	return events, nil
}

func ruleOf(tb testing.TB, err error) string {
	tb.Helper()
	var re *domain.RuleError
	if !errors.As(err, &re) {
		tb.Fatalf("error %v is not a refusal", err)
	}
	return re.Rule
}

// HIPAA 45 CFR 164.412(b): an oral law-enforcement statement holds the
// individual notices at most 30 days; when it expires the clock re-arms
// with the time it had left.
func TestLawEnforcementHoldExpiresAndRearms(t *testing.T) {
	h := regulated(t, domain.RoleController, "2025-11-05T15:00:00Z", types(domain.EntityHIPAACovered))
	h.determine("2025-11-05T15:00:00Z", domain.DetDiscovery, true)
	// Without a hold: 2025-11-05 + 60 days = end of 2026-01-04 in New York.
	unheld := ts(t, "2026-01-05T04:59:59Z")
	if got := obligation(t, h.obligationsAt("2025-11-10T00:00:00Z"), "hipaa-individuals").DueAt; !got.Equal(unheld) {
		t.Fatalf("due without a hold = %s, want %s", got, unheld)
	}
	if _, err := h.decide(domain.RecordHold{By: by("lee", "2025-11-20T15:00:00Z"), Kind: domain.HoldLawEnforcement,
		Basis: "FBI: notice would impede the investigation", Authority: "FBI Boston field office"}); err != nil {
		t.Fatal(err)
	}
	// Held 2025-11-20T15:00Z to 2025-12-20T15:00Z (30 days): the due time moves 30 days.
	rearmed := unheld.Add(30 * 24 * time.Hour)
	for _, tt := range []struct {
		asOf   string
		status domain.Status
	}{
		{"2025-11-20T14:59:00Z", domain.StatusPending},
		{"2025-11-20T15:00:00Z", domain.StatusHeld},
		{"2025-12-20T14:59:00Z", domain.StatusHeld},
		{"2025-12-20T15:00:00Z", domain.StatusPending}, // the oral hold expired: the clock runs again
		{"2026-02-04T05:00:00Z", domain.StatusOverdue}, // 2026-01-04 end of day + 30 days held
	} {
		o := obligation(t, h.obligationsAt(tt.asOf), "hipaa-individuals")
		if o.Status != tt.status {
			t.Errorf("as of %s: status %s (%s), want %s", tt.asOf, o.Status, o.Reason, tt.status)
		}
		if !ts(t, tt.asOf).Before(ts(t, "2025-11-20T15:00:00Z")) && !o.DueAt.Equal(rearmed) {
			t.Errorf("as of %s: due %s, want %s", tt.asOf, o.DueAt, rearmed)
		}
		if o.Status == domain.StatusHeld && (!o.HeldUntil.Equal(ts(t, "2025-12-20T15:00:00Z")) || !slices.Equal(o.HeldBy, []string{"H1"}) || !strings.Contains(o.Reason, "164.412(b)")) {
			t.Errorf("held until %s by %v (%s)", o.HeldUntil, o.HeldBy, o.Reason)
		}
	}
	// Not every clock: the HHS annual log (164.408(c)) is not held.
	if o := obligation(t, h.obligationsAt("2025-11-21T00:00:00Z"), "hipaa-hhs-annual"); o.Status == domain.StatusHeld {
		t.Errorf("the annual HHS log is held")
	}
}

func TestLawEnforcementHoldRules(t *testing.T) {
	base := func(t *testing.T) *history {
		h := regulated(t, domain.RoleController, "2025-11-05T15:00:00Z", types(domain.EntityHIPAACovered))
		h.determine("2025-11-05T15:00:00Z", domain.DetDiscovery, true)
		return h
	}
	t.Run("an oral statement cannot hold more than 30 days", func(t *testing.T) {
		h := base(t)
		_, err := h.decide(domain.RecordHold{By: by("lee", "2025-11-20T15:00:00Z"), Kind: domain.HoldLawEnforcement, Basis: "x", Authority: "FBI", Until: ts(t, "2026-01-20T00:00:00Z")})
		if got := ruleOf(t, err); got != "oral-hold-limit" {
			t.Errorf("rule = %s, want oral-hold-limit", got)
		}
	})
	t.Run("a written statement holds for the period it states, and a release re-arms early", func(t *testing.T) {
		h := base(t)
		if _, err := h.decide(domain.RecordHold{By: by("lee", "2025-11-20T15:00:00Z"), Kind: domain.HoldLawEnforcement, Basis: "x", Authority: "FBI", Written: true, Until: ts(t, "2026-02-20T15:00:00Z")}); err != nil {
			t.Fatal(err)
		}
		if o := obligation(t, h.obligationsAt("2026-02-01T00:00:00Z"), "hipaa-individuals"); o.Status != domain.StatusHeld {
			t.Errorf("status %s, want held (written, 92 days)", o.Status)
		}
		if _, err := h.decide(domain.ReleaseHold{By: by("lee", "2025-12-05T15:00:00Z"), Hold: "H1", Reason: "agency lifted it"}); err != nil {
			t.Fatal(err)
		}
		// held 15 days: 2026-01-04 end of day + 15 days
		o := obligation(t, h.obligationsAt("2025-12-06T00:00:00Z"), "hipaa-individuals")
		if o.Status != domain.StatusPending || !o.DueAt.Equal(ts(t, "2026-01-20T04:59:59Z")) {
			t.Errorf("after the release: %s due %s, want pending due 2026-01-20T04:59:59Z", o.Status, o.DueAt)
		}
	})
	t.Run("only legal records a hold", func(t *testing.T) {
		h := base(t)
		_, err := h.decide(domain.RecordHold{By: by("ian", "2025-11-20T15:00:00Z"), Kind: domain.HoldLawEnforcement, Basis: "x", Authority: "FBI"})
		if got := ruleOf(t, err); got != "hold-role" {
			t.Errorf("rule = %s, want hold-role", got)
		}
	})
	t.Run("a hold for a kind no obligation allows is refused", func(t *testing.T) {
		h := base(t)
		_, err := h.decide(domain.RecordHold{By: by("lee", "2025-11-20T15:00:00Z"), Kind: domain.HoldSECAttorneyGeneral, Basis: "x", Authority: "AG", Until: ts(t, "2025-12-01T00:00:00Z")})
		if got := ruleOf(t, err); got != "hold-kind" {
			t.Errorf("rule = %s, want hold-kind", got)
		}
	})
}

// Form 8-K Item 1.05(c): the Attorney General's delay moves the filing to
// the end of the delay, up to 30 + 30 + 60 days; a fourth is refused.
func TestSECAttorneyGeneralDelay(t *testing.T) {
	h := regulated(t, domain.RoleController, "2025-06-30T12:00:00Z", types(domain.EntitySECRegistrant))
	h.determine("2025-07-02T19:00:00Z", domain.DetSECMaterial, true)
	due := ts(t, "2025-07-10T03:59:59Z") // end of Wed 2025-07-09 in New York
	first := due.Add(30 * 24 * time.Hour)
	if _, err := h.decide(domain.RecordHold{By: by("lee", "2025-07-08T14:00:00Z"), Kind: domain.HoldSECAttorneyGeneral, Basis: "national security", Authority: "US Attorney General", Until: first.Add(time.Second)}); ruleOf(t, err) != "sec-ag-delay-limit" {
		t.Errorf("a first delay of 30 days and a second: %v, want sec-ag-delay-limit", err)
	}
	steps := []time.Time{first, first.Add(30 * 24 * time.Hour), first.Add(90 * 24 * time.Hour)}
	for i, until := range steps {
		at := ts(t, "2025-07-08T14:00:00Z").Add(time.Duration(i) * 24 * time.Hour)
		if _, err := h.decide(domain.RecordHold{By: domain.By{Actor: "lee", At: at}, Kind: domain.HoldSECAttorneyGeneral, Basis: "national security", Authority: "US Attorney General", Until: until}); err != nil {
			t.Fatalf("delay %d: %v", i+1, err)
		}
		o := obligation(t, h.obligationsAt(at.Add(time.Hour).Format(time.RFC3339)), "sec-8k-1.05")
		if o.Status != domain.StatusHeld || !o.DueAt.Equal(until) {
			t.Errorf("after delay %d: %s due %s, want held due %s", i+1, o.Status, o.DueAt, until)
		}
	}
	_, err := h.decide(domain.RecordHold{By: by("lee", "2025-07-12T14:00:00Z"), Kind: domain.HoldSECAttorneyGeneral, Basis: "x", Authority: "US Attorney General", Until: steps[2].Add(time.Hour)})
	if got := ruleOf(t, err); got != "sec-ag-delay-limit" {
		t.Errorf("a fourth delay: rule %s, want sec-ag-delay-limit", got)
	}
	// When the last delay ends, the filing is due at once: overdue after it.
	if o := obligation(t, h.obligationsAt(steps[2].Add(time.Second).Format(time.RFC3339)), "sec-8k-1.05"); o.Status != domain.StatusOverdue {
		t.Errorf("after the delays: %s, want overdue", o.Status)
	}
}

// The seed's exception needs legal AND the executive incident manager: one
// approval does not hold the customer notice.
func TestExceptionNeedsBothRoles(t *testing.T) {
	h := newHistory(t)
	h.breach()
	h.add("ivy", "2025-03-10T10:00:00Z", domain.RequestOpened{Request: "R1", Kind: domain.RequestNotificationDelay, DelayReason: domain.DelayExtreme, Until: ts(t, "2025-03-13T10:00:00Z"), Details: "x"})
	if _, err := h.decide(domain.ApproveRequest{By: by("lee", "2025-03-10T11:00:00Z"), Request: "R1"}); err != nil {
		t.Fatal(err)
	}
	o := obligation(t, h.obligationsAt("2025-03-12T12:00:00Z"), "customer-notice/contoso")
	if o.Status != domain.StatusOverdue || !o.DueAt.Equal(ts(t, "2025-03-12T10:00:00Z")) {
		t.Errorf("with legal's approval only: %s due %s, want overdue due 2025-03-12T10:00Z", o.Status, o.DueAt)
	}
	if _, err := h.decide(domain.ApproveRequest{By: by("eve", "2025-03-10T12:00:00Z"), Request: "R1"}); err != nil {
		t.Fatal(err)
	}
	o = obligation(t, h.obligationsAt("2025-03-12T12:00:00Z"), "customer-notice/contoso")
	if o.Status != domain.StatusHeld || !slices.Equal(o.HeldBy, []string{"R1"}) {
		t.Errorf("with both approvals: %s %v, want held by R1", o.Status, o.HeldBy)
	}
}

// Applicability follows the facts; the law's own exceptions waive.
func TestApplicabilityAndExceptions(t *testing.T) {
	t.Run("a controller established in the EEA notifies its lead authority once", func(t *testing.T) {
		h := regulated(t, domain.RoleController, "2025-03-07T22:15:00Z", domain.EntityProfiled{Establishments: []string{"IE"}})
		h.affected("2025-03-08T00:00:00Z", count("DE", 800), count("FR", 400))
		got := ids(h.obligationsAt("2025-03-08T01:00:00Z"))
		if !slices.Contains(got, "gdpr-art33") || slices.ContainsFunc(got, func(id string) bool { return strings.HasPrefix(id, "gdpr-art33/") }) {
			t.Errorf("obligations %v, want one gdpr-art33", got)
		}
	})
	t.Run("a controller outside the EEA notifies every authority where subjects live, each with its own acknowledgement", func(t *testing.T) {
		h := regulated(t, domain.RoleController, "2025-03-07T22:15:00Z", domain.EntityProfiled{Establishments: []string{"US"}, EntityTypes: []domain.EntityType{domain.EntityEEAEstablishedRep}})
		h.affected("2025-03-08T00:00:00Z", count("DE", 800), count("FR", 400), count("US-CA", 10))
		de := h.notice("2025-03-09T09:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "BfDI", Jurisdiction: "DE"})
		h.add("ian", "2025-03-09T11:00:00Z", domain.AcknowledgementReceived{Notice: de, From: "BfDI", Reference: "BfDI-2025-11"})
		obs := h.obligationsAt("2025-03-11T00:00:00Z")
		var art33 []string
		for _, o := range obs {
			if o.Rule == "gdpr-art33" {
				art33 = append(art33, o.ID)
			}
		}
		if diff := cmp.Diff([]string{"gdpr-art33/DE", "gdpr-art33/FR"}, art33); diff != "" {
			t.Errorf("Art. 33 obligations (-want +got):\n%s", diff)
		}
		d, f := obligation(t, obs, "gdpr-art33/DE"), obligation(t, obs, "gdpr-art33/FR")
		if d.Status != domain.StatusMet || d.AckBy != "BfDI" || d.AckReference != "BfDI-2025-11" {
			t.Errorf("DE: %s ack %q %q, want met and acknowledged", d.Status, d.AckBy, d.AckReference)
		}
		if f.Status != domain.StatusOverdue || f.AckBy != "" {
			t.Errorf("FR: %s ack %q, want overdue, no acknowledgement (the DE notice does not answer it)", f.Status, f.AckBy)
		}
	})
	t.Run("NIS2 is displaced by DORA for a financial entity in financial sectors only", func(t *testing.T) {
		for _, tt := range []struct {
			sectors []string
			status  domain.Status
		}{
			{[]string{"banking"}, domain.StatusWaived},
			{[]string{"banking", "digital-infrastructure"}, domain.StatusPending},
		} {
			h := regulated(t, domain.RoleController, "2025-05-30T18:00:00Z", domain.EntityProfiled{Establishments: []string{"DE"}, Sectors: tt.sectors,
				EntityTypes: []domain.EntityType{domain.EntityCreditInstitution, domain.EntityNIS2Essential}})
			h.determine("2025-05-30T20:00:00Z", domain.DetNIS2Significant, true)
			if o := obligation(t, h.obligationsAt("2025-05-30T21:00:00Z"), "nis2-notification"); o.Status != tt.status {
				t.Errorf("sectors %v: %s (%s), want %s", tt.sectors, o.Status, o.Reason, tt.status)
			}
		}
	})
	t.Run("negative determinations waive, with the reasoning", func(t *testing.T) {
		h := regulated(t, domain.RoleController, "2025-06-30T12:00:00Z", types(domain.EntitySECRegistrant, domain.EntityHIPAACovered))
		h.determine("2025-07-02T19:00:00Z", domain.DetSECMaterial, true)
		h.determine("2025-07-03T19:00:00Z", domain.DetSECMaterial, false)
		h.determine("2025-07-02T19:00:00Z", domain.DetDiscovery, true)
		h.determine("2025-07-05T19:00:00Z", domain.DetHIPAALowProb, true)
		obs := h.obligationsAt("2025-07-06T00:00:00Z")
		for _, id := range []string{"sec-8k-1.05", "hipaa-individuals"} {
			if o := obligation(t, obs, id); o.Status != domain.StatusWaived || !strings.Contains(o.Reason, "test:") {
				t.Errorf("%s: %s %q, want waived with the determination's reasoning", id, o.Status, o.Reason)
			}
		}
	})
	t.Run("no clock before its anchor; California only from SB 446", func(t *testing.T) {
		h := regulated(t, domain.RoleController, "2025-12-20T18:00:00Z", types(domain.EntitySECRegistrant))
		h.affected("2025-12-20T18:00:00Z", count("US-CA", 900))
		h.determine("2025-12-20T18:00:00Z", domain.DetDiscovery, true)
		got := ids(h.obligationsAt("2025-12-21T00:00:00Z"))
		for _, absent := range []string{"sec-8k-1.05", "ca-residents", "ca-ag", "hipaa-individuals", "dora-initial", "nis2-early-warning"} {
			if slices.Contains(got, absent) {
				t.Errorf("%s runs (obligations %v)", absent, got)
			}
		}
	})
}

// A history recorded under pack N is replayed under N, whatever the binary
// ships; the newer pack's reading is there beside it.
func TestOldPackHistoryReplaysOldDeadlines(t *testing.T) {
	h := newHistory(t)
	// Recorded before packs were pinned (the first engine): no PackPinned.
	h.add("oscar", "2025-03-07T21:40:00Z", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "x", AwareAt: ts(t, "2025-03-07T22:15:00Z"), Role: domain.RoleController})
	h.add("oscar", "2025-03-07T22:30:00Z", domain.IncidentAssessed{FunctionalImpact: domain.FunctionalLow, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoPrivacy})
	h.add("sam", "2025-03-08T12:00:00Z", domain.ScopeRecorded{Jurisdictions: []string{"DE", "GB"}, Subjects: 300})
	asOf := ts(t, "2025-03-09T00:00:00Z")
	inc := h.at(domain.Cut{AsOf: asOf})
	if got := inc.Regulatory.PackVersion(); got != "2025.1" {
		t.Fatalf("pack of an unpinned history = %s, want 2025.1", got)
	}
	old := domain.Obligations(&inc, domain.DefaultSettings(), asOf)
	if diff := cmp.Diff([]string{"gdpr-art33"}, ids(old)); diff != "" {
		t.Errorf("under 2025.1 (-want +got):\n%s", diff)
	}
	if o := old[0]; o.Pack != "2025.1" || !o.DueAt.Equal(ts(t, "2025-03-10T22:15:00Z")) {
		t.Errorf("gdpr-art33 = pack %s due %s", o.Pack, o.DueAt)
	}
	p, _ := domain.PackByVersion("2026.1")
	now := domain.ObligationsUnder(&inc, domain.DefaultSettings(), asOf, &p)
	if diff := cmp.Diff([]string{"gdpr-art33", "uk-gdpr-art33"}, ids(now)); diff != "" {
		t.Errorf("under 2026.1 (-want +got):\n%s", diff)
	}
	// Pinning the newer pack is a recorded decision; the view follows it.
	if _, err := h.decide(domain.PinPack{By: by("lee", "2025-03-08T13:00:00Z"), Version: "2026.1", Reason: "legal review"}); err != nil {
		t.Fatal(err)
	}
	inc = h.at(domain.Cut{AsOf: asOf})
	if got := ids(domain.Obligations(&inc, domain.DefaultSettings(), asOf)); !slices.Contains(got, "uk-gdpr-art33") {
		t.Errorf("after the pin: %v", got)
	}
	// And known at before the pin, the old reading stands.
	before := h.at(domain.Cut{AsOf: asOf, KnownAt: ts(t, "2025-03-08T13:00:30Z")})
	if got := ids(domain.Obligations(&before, domain.DefaultSettings(), asOf)); slices.Contains(got, "uk-gdpr-art33") {
		t.Errorf("known at before the pin: %v", got)
	}
}

// Detect pins the current pack, or the one asked for.
func TestDetectPinsThePack(t *testing.T) {
	h := newHistory(t)
	events, err := h.decide(domain.DetectIncident{By: by("oscar", "2025-03-07T21:40:00Z"), Source: domain.SourceAutomatedAlert, Summary: "x", Role: domain.RoleBoth})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := events[1].(domain.PackPinned); !ok || p.Version != domain.CurrentPack().Version {
		t.Errorf("events = %#v, want a pin of the current pack", events)
	}
	g := newHistory(t)
	_, err = g.decide(domain.DetectIncident{By: by("oscar", "2025-03-07T21:40:00Z"), Source: domain.SourceAutomatedAlert, Summary: "x", Role: domain.RoleBoth, Pack: "1999.1"})
	if !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("an unknown pack: %v, want invalid", err)
	}
}

// A correction that moves a determination earlier recomputes the clock; a
// view known at before it shows the deadline then believed. Moving it later
// is refused.
func TestDeterminationCorrections(t *testing.T) {
	h := regulated(t, domain.RoleController, "2025-06-30T12:00:00Z", types(domain.EntitySECRegistrant))
	det := h.determine("2025-07-02T19:00:00Z", domain.DetSECMaterial, true)
	if _, err := h.decide(domain.CorrectEvent{By: by("ivy", "2025-07-03T12:00:00Z"), Target: det, NewAt: ts(t, "2025-07-01T19:00:00Z"), Reason: "minutes show Tuesday"}); err != nil {
		t.Fatal(err)
	}
	recorded := h.incident[len(h.incident)-1].RecordedAt
	asOf := ts(t, "2025-07-03T12:00:00Z")
	for _, tt := range []struct {
		knownAt time.Time
		due     string
	}{
		{recorded.Add(-time.Second), "2025-07-10T03:59:59Z"}, // Wed 07-02 → Wed 07-09
		{recorded, "2025-07-09T03:59:59Z"},                   // Tue 07-01: Wed 2, Thu 3, (Fri 4), Mon 7, Tue 8
	} {
		inc := h.at(domain.Cut{AsOf: asOf, KnownAt: tt.knownAt})
		if got := obligation(t, domain.Obligations(&inc, domain.DefaultSettings(), asOf), "sec-8k-1.05").DueAt; !got.Equal(ts(t, tt.due)) {
			t.Errorf("known at %s: due %s, want %s", tt.knownAt, got, tt.due)
		}
	}
	_, err := h.decide(domain.CorrectEvent{By: by("ivy", "2025-07-03T13:00:00Z"), Target: det, NewAt: ts(t, "2025-07-02T20:00:00Z"), Reason: "later"})
	if got := ruleOf(t, err); got != "determination-later" {
		t.Errorf("moving it later: rule %s, want determination-later", got)
	}
}

// Notices name the obligation they answer when several could be meant; a
// late one carries its reasons, whatever the regime.
func TestNoticeChecks(t *testing.T) {
	base := func(t *testing.T) *history {
		h := regulated(t, domain.RoleController, "2025-09-01T06:00:00Z", domain.EntityProfiled{Establishments: []string{"DE"}, Sectors: []string{"banking", "digital-infrastructure"},
			EntityTypes: []domain.EntityType{domain.EntityCreditInstitution, domain.EntityNIS2Essential}})
		h.determine("2025-09-01T07:00:00Z", domain.DetNIS2Significant, true)
		h.determine("2025-09-01T09:00:00Z", domain.DetDORAMajor, true)
		return h
	}
	notice := func(at string, n domain.NotificationSent) domain.SendNotification {
		n.Channel, n.Recipient = domain.ChannelPortal, "BaFin"
		if n.Phase == "" {
			n.Phase = domain.PhaseInitial
		}
		return domain.SendNotification{By: by("ian", at), NotificationSent: n}
	}
	t.Run("a notice that could answer NIS2 and DORA is ambiguous", func(t *testing.T) {
		h := base(t)
		_, err := h.decide(notice("2025-09-01T10:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Jurisdiction: "DE"}))
		if got := ruleOf(t, err); got != "notify-ambiguous" {
			t.Errorf("rule %s, want notify-ambiguous", got)
		}
		if _, err := h.decide(notice("2025-09-01T10:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Jurisdiction: "DE", Obligations: []string{"dora-initial"}})); err != nil {
			t.Fatal(err)
		}
		obs := h.obligationsAt("2025-09-01T11:00:00Z")
		if o := obligation(t, obs, "dora-initial"); o.Status != domain.StatusMet {
			t.Errorf("dora-initial %s, want met", o.Status)
		}
		if o := obligation(t, obs, "nis2-early-warning"); o.Status == domain.StatusMet {
			t.Errorf("nis2-early-warning met by a notice --for dora-initial")
		}
		if o := obligation(t, obs, "dora-intermediate"); !o.AnchorAt.Equal(ts(t, "2025-09-01T10:00:00Z")) || !o.DueAt.Equal(ts(t, "2025-09-04T10:00:00Z")) {
			t.Errorf("dora-intermediate anchored %s due %s, want 72 h after the initial", o.AnchorAt, o.DueAt)
		}
	})
	t.Run("--for an obligation that does not exist", func(t *testing.T) {
		h := base(t)
		_, err := h.decide(notice("2025-09-01T10:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Obligations: []string{"dora-final"}}))
		if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("err %v, want not found", err)
		}
	})
	t.Run("late needs a reason under any regime, and DORA wants the notice of delay", func(t *testing.T) {
		h := base(t)
		_, err := h.decide(notice("2025-09-01T14:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Obligations: []string{"dora-initial"}}))
		if got := ruleOf(t, err); got != "late-needs-reason" {
			t.Errorf("rule %s, want late-needs-reason", got)
		}
		o := obligation(t, h.obligationsAt("2025-09-01T14:00:00Z"), "dora-initial")
		if o.Status != domain.StatusOverdue || !strings.Contains(o.Reason, "no notice of delay") {
			t.Errorf("%s %q, want overdue without a notice of delay", o.Status, o.Reason)
		}
		if _, err := h.decide(notice("2025-09-01T12:30:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Phase: domain.PhaseDelayNotice, Obligations: []string{"dora-initial"}, DelayReason: "classification data incomplete"})); err != nil {
			t.Fatal(err)
		}
		o = obligation(t, h.obligationsAt("2025-09-01T14:00:00Z"), "dora-initial")
		if o.Status != domain.StatusOverdue || o.DelayNotice == "" || !strings.Contains(o.Reason, "notice of delay sent") {
			t.Errorf("%s %q %q, want overdue with the notice of delay", o.Status, o.Reason, o.DelayNotice)
		}
	})
	t.Run("an acknowledgement names a notice", func(t *testing.T) {
		h := base(t)
		_, err := h.decide(domain.RecordAcknowledgement{By: by("ian", "2025-09-01T10:00:00Z"), Notice: h.incident[0].ID, From: "BaFin"})
		if got := ruleOf(t, err); got != "ack-not-notice" {
			t.Errorf("rule %s, want ack-not-notice", got)
		}
	})
}

// A notice withdrawn later (not a breach after all, EDPB 9/2022) stays the
// notice that met the obligation, and the obligation says it was withdrawn.
func TestWithdrawnNotice(t *testing.T) {
	h := newHistory(t)
	h.breach()
	h.notice("2025-03-09T09:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "CNIL"})
	h.notice("2025-03-12T09:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "CNIL", Phase: domain.PhaseWithdrawn, Summary: "forensics: no personal data left the tenant"})
	o := obligation(t, h.obligationsAt("2025-03-13T00:00:00Z"), "gdpr-art33")
	if o.Status != domain.StatusMet || !o.MetAt.Equal(ts(t, "2025-03-09T09:00:00Z")) || !strings.Contains(o.Reason, "withdrawn 2025-03-12T09:00:00Z") {
		t.Errorf("%s met %s %q, want met by the first notice, saying it was withdrawn", o.Status, o.MetAt, o.Reason)
	}
}
