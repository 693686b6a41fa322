package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// settingAt records a SettingChanged in force from at, recorded at rec.
func (h *history) settingAt(at, rec string, e domain.SettingChanged) {
	h.tb.Helper()
	f := h.fact(domain.LedgerStream, uint64(len(h.ledger)), "admin", ts(h.tb, at), e)
	f.RecordedAt = ts(h.tb, rec)
	h.ledger = append(h.ledger, f)
}

// customerNotice records a notice to contoso's security contacts.
func (h *history) customerNotice(at, customer string) {
	h.tb.Helper()
	h.add("ian", at, domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Recipient: customer + " security contacts",
		Customer: customer, Channel: domain.ChannelEmail, Phase: domain.PhaseInitial})
}

func TestSettingsAt(t *testing.T) {
	h := newHistory(t) // backdate-window 36500d from 2025-01-01T00:02Z
	h.settingAt("2025-03-01T00:00:00Z", "2025-03-01T00:00:01Z", domain.SettingChanged{Key: "customer-notice-window", Value: "12h"})
	h.settingAt("2025-04-01T00:00:00Z", "2025-04-01T00:00:01Z", domain.SettingChanged{Key: "customer-notice-window", Value: "24h"})
	// Recorded last, in force from between the two: the fold keeps the
	// history in order of effect, not of recording.
	h.settingAt("2025-03-15T00:00:00Z", "2025-05-01T00:00:00Z", domain.SettingChanged{Key: "customer-notice-window", Value: "2d", Reason: "contract amendment of 15 March"})
	s := domain.ReplayLedger(h.ledger, domain.Cut{}).Settings
	for _, tt := range []struct {
		at   string
		want time.Duration
	}{
		{"2025-01-01T00:00:00Z", 72 * time.Hour}, // the default, from the ledger's start
		{"2025-02-28T23:59:59Z", 72 * time.Hour},
		{"2025-03-01T00:00:00Z", 12 * time.Hour}, // in force from its business time, inclusive
		{"2025-03-14T00:00:00Z", 12 * time.Hour},
		{"2025-03-15T00:00:00Z", 48 * time.Hour}, // the backdated one
		{"2025-04-01T00:00:00Z", 24 * time.Hour},
		{"2030-01-01T00:00:00Z", 24 * time.Hour},
	} {
		if got := s.At(ts(t, tt.at)).CustomerNoticeWindow; got != tt.want {
			t.Errorf("At(%s).CustomerNoticeWindow = %v, want %v", tt.at, got, tt.want)
		}
	}
	if s.CustomerNoticeWindow != 24*time.Hour {
		t.Errorf("current customer-notice-window = %v, want 24h (the latest in effect, not the latest recorded)", s.CustomerNoticeWindow)
	}
	if got := s.At(ts(t, "2025-03-20T00:00:00Z")).At(ts(t, "2025-01-02T00:00:00Z")).CustomerNoticeWindow; got != 72*time.Hour {
		t.Errorf("At of At kept no history: %v, want 72h", got)
	}
	a := s.Applied("customer-notice-window", ts(t, "2025-03-20T00:00:00Z"))
	if a.Value != "48h" || !a.Since.Equal(ts(t, "2025-03-15T00:00:00Z")) || a.Default || a.Event == "" {
		t.Errorf("Applied = %+v, want 48h since 2025-03-15, not the default, with its event", a)
	}
	d := s.Applied("art34-target", ts(t, "2025-03-20T00:00:00Z"))
	if d.Value != "72h" || !d.Default || !d.Since.Equal(ts(t, "2025-01-01T00:00:00Z")) {
		t.Errorf("Applied(art34-target) = %+v, want the default 72h since the ledger's start", d)
	}
	if got, want := d.String(), "art34-target 72h (default, in force since 2025-01-01T00:00:00Z)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	// A cut before the backdated change was recorded does not know it.
	known := domain.ReplayLedger(h.ledger, domain.Cut{KnownAt: ts(t, "2025-04-15T00:00:00Z")}).Settings
	if got := known.At(ts(t, "2025-03-20T00:00:00Z")).CustomerNoticeWindow; got != 12*time.Hour {
		t.Errorf("known at 2025-04-15: At(2025-03-20) = %v, want 12h", got)
	}
}

// Each obligation is computed with the settings in force at its anchor:
// the breach is declared 2025-03-09T10:00Z (customer-notice's anchor), the
// high risk determined 2025-03-08T15:00Z (art34-target's).
func TestObligationsUseSettingsAtAnchor(t *testing.T) {
	asOf := "2025-03-09T11:00:00Z"
	for _, tt := range []struct {
		name             string
		changeAt         string
		customerDue      string
		customerSetting  string
		art34Due         string
		wantDefaultSince bool
	}{
		// 72h after the declaration, the default in force then.
		{"changed after the anchors", "2025-03-09T10:30:00Z", "2025-03-12T10:00:00Z", "customer-notice-window 72h (default, in force since 2025-01-01T00:00:00Z)", "2025-03-11T15:00:00Z", true},
		// 12h after the declaration: 2025-03-09T22:00Z; art34 12h after the determination.
		{"changed before the anchors", "2025-03-08T00:00:00Z", "2025-03-09T22:00:00Z", "customer-notice-window 12h (in force since 2025-03-08T00:00:00Z)", "2025-03-09T03:00:00Z", false},
		// Between the two anchors: art34 keeps 72h, the customer notice gets 12h.
		{"changed between the anchors", "2025-03-09T00:00:00Z", "2025-03-09T22:00:00Z", "customer-notice-window 12h (in force since 2025-03-09T00:00:00Z)", "2025-03-11T15:00:00Z", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHistory(t)
			h.breach()
			h.settingAt(tt.changeAt, tt.changeAt, domain.SettingChanged{Key: "customer-notice-window", Value: "12h"})
			h.settingAt(tt.changeAt, tt.changeAt, domain.SettingChanged{Key: "art34-target", Value: "12h"})
			obs := obligationsSeen(t, h, asOf)
			c := obligation(t, obs, "customer-notice/contoso")
			if !c.DueAt.Equal(ts(t, tt.customerDue)) {
				t.Errorf("customer-notice due %s, want %s", c.DueAt, tt.customerDue)
			}
			if c.Setting == nil || c.Setting.String() != tt.customerSetting {
				t.Errorf("customer-notice setting = %v, want %q", c.Setting, tt.customerSetting)
			}
			if a := obligation(t, obs, "gdpr-art34"); !a.DueAt.Equal(ts(t, tt.art34Due)) || a.Setting == nil || a.Setting.Key != "art34-target" {
				t.Errorf("gdpr-art34 due %s (setting %v), want %s", a.DueAt, a.Setting, tt.art34Due)
			}
			if o := obligation(t, obs, "gdpr-art33"); o.Setting != nil {
				t.Errorf("gdpr-art33 (a period in law) names a setting: %v", o.Setting)
			}
		})
	}
}

// obligationsSeen evaluates the incident and the ledger as a reader does
// at asOf (both cut at asOf).
func obligationsSeen(t *testing.T, h *history, asOf string) []domain.Obligation {
	t.Helper()
	cut := domain.Cut{AsOf: ts(t, asOf)}
	inc := h.at(cut)
	return domain.Obligations(&inc, domain.ReplayLedger(h.ledger, cut).Settings, cut.AsOf)
}

// The due-soon window is the one in force at the anchor too.
func TestDueSoonWindowAtAnchor(t *testing.T) {
	h := newHistory(t)
	h.breach()
	// After the declaration: the customer notice (due 2025-03-12T10:00Z)
	// keeps the 24h window, so at 2025-03-11T09:00Z (25h before) it is pending.
	h.settingAt("2025-03-10T00:00:00Z", "2025-03-10T00:00:00Z", domain.SettingChanged{Key: "due-soon-window", Value: "48h"})
	if o := obligation(t, obligationsSeen(t, h, "2025-03-11T09:00:00Z"), "customer-notice/contoso"); o.Status != domain.StatusPending {
		t.Errorf("status = %s, want pending (24h window in force at the declaration)", o.Status)
	}
	// The status window agrees: the customer notices turn due-soon at
	// 2025-03-11T10:00Z (24h before due), the first change after 09:00.
	asOf := ts(t, "2025-03-11T09:00:00Z")
	inc := h.at(domain.Cut{AsOf: asOf})
	s := domain.ReplayLedger(h.ledger, domain.Cut{AsOf: asOf}).Settings
	if _, until := domain.StatusWindow(&inc, domain.Obligations(&inc, s, asOf), s, asOf); !until.Equal(ts(t, "2025-03-11T10:00:00Z")) {
		t.Errorf("StatusWindow until = %s, want 2025-03-11T10:00:00Z", until)
	}
	h2 := newHistory(t)
	h2.settingAt("2025-03-01T00:00:00Z", "2025-03-01T00:00:00Z", domain.SettingChanged{Key: "due-soon-window", Value: "48h"})
	h2.breach()
	if o := obligation(t, obligationsSeen(t, h2, "2025-03-11T09:00:00Z"), "customer-notice/contoso"); o.Status != domain.StatusDueSoon {
		t.Errorf("status = %s, want due-soon (48h window in force at the declaration)", o.Status)
	}
}

// A backdated setting never re-judges a closed incident: closed (recorded
// 2025-03-20T12:01Z) before the setting was recorded, the incident keeps
// the 72h window its on-time notices were judged under; reopened, it is
// judged with the setting.
func TestBackdatedSettingNeverRejudgesClosed(t *testing.T) {
	build := func(t *testing.T, reopen bool) *history {
		h := newHistory(t)
		h.breach()
		h.customerNotice("2025-03-11T09:00:00Z", "contoso") // 47h after the declaration: on time under 72h, late under 12h
		h.customerNotice("2025-03-11T09:00:00Z", "fabrikam")
		h.add("ivy", "2025-03-20T12:00:00Z", domain.IncidentClosed{Summary: "done"})
		if reopen {
			h.add("ivy", "2025-04-02T12:00:00Z", domain.IncidentReopened{Reason: "new evidence", Stage: domain.StageDiagnose})
		}
		h.settingAt("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z", domain.SettingChanged{Key: "customer-notice-window", Value: "12h", Reason: "contract amendment effective 1 March"})
		return h
	}
	asOf := "2025-04-10T00:00:00Z"
	if o := obligation(t, obligationsSeen(t, build(t, false), asOf), "customer-notice/contoso"); o.Status != domain.StatusMet || !o.DueAt.Equal(ts(t, "2025-03-12T10:00:00Z")) || !o.Setting.Default {
		t.Errorf("closed: %s due %s (%v), want met, due 2025-03-12T10:00Z under the default", o.Status, o.DueAt, o.Setting)
	}
	// Read as of before the setting was recorded, the same answer.
	if o := obligation(t, obligationsSeen(t, build(t, false), "2025-03-25T00:00:00Z"), "customer-notice/contoso"); o.Status != domain.StatusMet {
		t.Errorf("closed, as of 2025-03-25: %s, want met", o.Status)
	}
	o := obligation(t, obligationsSeen(t, build(t, true), asOf), "customer-notice/contoso")
	if o.Status != domain.StatusMetLate || !o.DueAt.Equal(ts(t, "2025-03-09T22:00:00Z")) {
		t.Errorf("reopened: %s due %s, want met-late, due 2025-03-09T22:00Z (12h)", o.Status, o.DueAt)
	}
}

func TestSettingBackdatedNeedsReason(t *testing.T) {
	h := newHistory(t)
	now := ts(t, "2025-06-01T12:00:00Z")
	change := func(at, reason string) domain.ChangeSetting {
		return domain.ChangeSetting{By: by("admin", at), Key: "customer-notice-window", Value: "12h", Reason: reason}
	}
	for _, tt := range []struct {
		name, at, reason, rule string
	}{
		{"now", "2025-06-01T12:00:00Z", "", ""},
		{"within the grace (dated to the second, redecided at its recorded time)", "2025-06-01T11:59:00Z", "", ""},
		{"backdated without a reason", "2025-06-01T11:58:59Z", "", "setting-backdated-needs-reason"},
		{"backdated with a blank reason", "2025-05-01T00:00:00Z", "  ", "setting-backdated-needs-reason"},
		{"backdated with a reason", "2025-05-01T00:00:00Z", "contract amendment effective 1 May", ""},
		{"before the ledger's start", "2024-12-31T00:00:00Z", "why not", "setting-before-ledger"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			events, err := domain.Decide(h.state(), change(tt.at, tt.reason), now)
			if tt.rule != "" {
				wantRule(t, err, tt.rule)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := events[0].(domain.SettingChanged); got.Reason != tt.reason {
				t.Errorf("reason recorded = %q, want %q", got.Reason, tt.reason)
			}
			// The notary decides it again at its recorded time.
			if err := domain.Redecide(h.state(), by("admin", tt.at), events, now); err != nil {
				t.Errorf("Redecide: %v", err)
			}
		})
	}
	// A recorded reason is part of what the notary compares.
	events, err := domain.Decide(h.state(), change("2025-05-01T00:00:00Z", "contract amendment"), now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := domain.CommandOf(by("admin", "2025-05-01T00:00:00Z"), events)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.(domain.ChangeSetting); got.Reason != "contract amendment" || got.Value != "12h" {
		t.Errorf("CommandOf = %+v", got)
	}
	stripped := []domain.Event{domain.SettingChanged{Key: "customer-notice-window", Value: "12h"}}
	err = domain.Redecide(h.state(), by("admin", "2025-05-01T00:00:00Z"), stripped, now)
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Rule != "setting-backdated-needs-reason" {
		t.Errorf("Redecide of a backdated setting without its reason = %v, want setting-backdated-needs-reason", err)
	}
}

// Old events without a reason decode the same: the field is omitted.
func TestSettingChangedReasonOmitted(t *testing.T) {
	_, payload, err := domain.Encode(domain.SettingChanged{Key: "art34-target", Value: "48h"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(payload), `{"key":"art34-target","value":"48h"}`; got != want {
		t.Errorf("payload = %s, want %s", got, want)
	}
}
