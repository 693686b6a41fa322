package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// Each business-time rule refuses a fact dated before the fact it depends
// on, naming the rule and that fact's event; the same command dated after
// it is accepted (the control that makes each row able to fail).
func TestBusinessTimeRules(t *testing.T) {
	customerNotice := func(b domain.By) domain.Command {
		return domain.SendNotification{By: b, NotificationSent: domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts,
			Recipient: "soc@contoso", Customer: "contoso", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial}}
	}
	authority := func(phase domain.Phase) func(b domain.By) domain.Command {
		return func(b domain.By) domain.Command {
			return domain.SendNotification{By: b, NotificationSent: domain.NotificationSent{RecipientKind: domain.RecipientAuthority,
				Recipient: "CNIL", Channel: domain.ChannelPortal, Phase: phase}}
		}
	}
	tests := []struct {
		name   string
		setup  func(h *history) string // returns the event ID the refusal must name
		cmd    func(b domain.By) domain.Command
		before string // a time that breaks the rule
		after  string // a time that keeps it
		rule   string
	}{
		{
			name: "a note before the detection", rule: "before-detection",
			setup:  func(h *history) string { return h.incident[0].ID },
			cmd:    func(b domain.By) domain.Command { return domain.AddNote{By: b, Text: "x"} },
			before: "2025-03-07T21:00:00Z", after: "2025-03-07T21:40:00Z",
		},
		{
			name: "a stage move before the stage it leaves was entered", rule: "stage-before-entered",
			setup:  func(h *history) string { return h.factOfAt("StageChanged", "2025-03-08T01:00:00Z") },
			cmd:    func(b domain.By) domain.Command { return domain.MoveStage{By: b, To: domain.StageStabilize} },
			before: "2025-03-08T00:30:00Z", after: "2025-03-08T01:00:00Z",
		},
		{
			name: "containment before Diagnose was entered", rule: "before-stage-entered",
			setup: func(h *history) string { return h.factOfAt("StageChanged", "2025-03-08T01:00:00Z") },
			cmd: func(b domain.By) domain.Command {
				return domain.TakeAction{By: b, Kind: domain.ActionContainment, Description: "quarantine"}
			},
			before: "2025-03-08T00:59:00Z", after: "2025-03-08T01:01:00Z",
		},
		{
			name: "an approval before its request", rule: "decision-before-request",
			setup: func(h *history) string {
				h.mustDecide(domain.OpenRequest{By: by("ian", "2025-03-09T11:00:00Z"), Kind: domain.RequestNotificationDelay, DelayReason: domain.DelayRiskToOthers,
					Details: "tipping off", Until: mt("2025-03-12T10:00:00Z")})
				return h.factOf("RequestOpened").ID
			},
			cmd: func(b domain.By) domain.Command {
				return domain.ApproveRequest{By: b, Request: "R1", As: domain.RoleLegal}
			},
			before: "2025-03-09T10:59:00Z", after: "2025-03-09T11:00:00Z",
		},
		{
			name: "a rejection before its request", rule: "decision-before-request",
			setup: func(h *history) string {
				h.mustDecide(domain.OpenRequest{By: by("ian", "2025-03-09T11:00:00Z"), Kind: domain.RequestNotificationDelay, DelayReason: domain.DelayRiskToOthers,
					Details: "tipping off", Until: mt("2025-03-12T10:00:00Z")})
				return h.factOf("RequestOpened").ID
			},
			cmd: func(b domain.By) domain.Command {
				return domain.RejectRequest{By: b, Request: "R1", As: domain.RoleLegal, Reason: "no"}
			},
			before: "2025-03-09T10:00:00Z", after: "2025-03-09T12:00:00Z",
		},
		{
			name: "a customer notice before the declaration", rule: "notify-before-declaration",
			setup:  func(h *history) string { return h.factOf("CRSPIDeclared").ID },
			cmd:    customerNotice,
			before: "2025-03-09T09:00:00Z", after: "2025-03-09T10:00:00Z",
		},
		{
			name: "a notice to data subjects before the high-risk determination that starts its clock", rule: "notice-before-clock",
			setup: func(h *history) string { return h.factOf("RiskDetermined").ID },
			cmd: func(b domain.By) domain.Command {
				return domain.SendNotification{By: b, NotificationSent: domain.NotificationSent{RecipientKind: domain.RecipientDataSubjects,
					Recipient: "1,200 users", Channel: domain.ChannelEmail, Phase: domain.PhaseNotification}}
			},
			before: "2025-03-08T14:00:00Z", after: "2025-03-08T15:00:00Z",
		},
		{
			name: "a supplementary notice before the first", rule: "notify-phase",
			setup: func(h *history) string {
				h.mustDecideCmd(authority(domain.PhaseInitial)(by("ian", "2025-03-09T12:00:00Z")))
				return h.factOf("NotificationSent").ID
			},
			cmd:    authority(domain.PhaseSupplementary),
			before: "2025-03-09T11:00:00Z", after: "2025-03-09T13:00:00Z",
		},
		{
			name: "an acknowledgement before its notice", rule: "ack-before-notice",
			setup: func(h *history) string {
				h.mustDecideCmd(authority(domain.PhaseInitial)(by("ian", "2025-03-09T12:00:00Z")))
				return h.factOf("NotificationSent").ID
			},
			cmd:    nil, // built from the notice's ID below
			before: "2025-03-09T11:00:00Z", after: "2025-03-09T12:30:00Z",
		},
		{
			name: "a closure before its post-mortem", rule: "close-before-postmortem",
			setup: func(h *history) string {
				h.mustDecide(domain.MoveStage{By: by("sam", "2025-03-10T09:00:00Z"), To: domain.StageStabilize})
				h.mustDecide(domain.CompletePostmortem{By: by("ian", "2025-03-12T09:00:00Z"), Summary: "s", Location: "dms://pm", SHA256: strings.Repeat("a", 64)})
				return h.factOf("PostmortemCompleted").ID
			},
			cmd: func(b domain.By) domain.Command {
				return domain.CloseIncident{By: b, OpenObligationsReason: "tracked in the legal case file"}
			},
			before: "2025-03-11T09:00:00Z", after: "2025-03-12T09:00:00Z",
		},
		{
			name: "a reopening before the closure", rule: "reopen-before-close",
			setup: func(h *history) string {
				h.mustDecide(domain.MoveStage{By: by("sam", "2025-03-10T09:00:00Z"), To: domain.StageStabilize})
				h.mustDecide(domain.CompletePostmortem{By: by("ian", "2025-03-12T09:00:00Z"), Summary: "s", Location: "dms://pm", SHA256: strings.Repeat("a", 64)})
				h.mustDecide(domain.CloseIncident{By: by("ian", "2025-03-13T09:00:00Z"), OpenObligationsReason: "tracked in the legal case file"})
				return h.factOf("IncidentClosed").ID
			},
			cmd: func(b domain.By) domain.Command {
				return domain.ReopenIncident{By: b, Reason: "new evidence", Stage: domain.StageDiagnose}
			},
			before: "2025-03-12T10:00:00Z", after: "2025-03-13T10:00:00Z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, when := range []string{tt.before, tt.after} {
				h := newHistory(t)
				h.breach()
				want := tt.setup(h)
				cmd := tt.cmd
				if cmd == nil {
					cmd = func(b domain.By) domain.Command {
						return domain.RecordAcknowledgement{By: b, Notice: want, From: "CNIL", Reference: "ACK-1"}
					}
				}
				actor := "ian"
				switch tt.rule {
				case "stage-before-entered", "before-stage-entered":
					actor = "sam"
				case "decision-before-request":
					actor = "lee"
				}
				_, err := domain.Decide(h.state(), cmd(by(actor, when)), mt(when).Add(time.Hour))
				if when == tt.after {
					if err != nil {
						t.Fatalf("dated %s (after what it depends on): %v", when, err)
					}
					continue
				}
				var re *domain.RuleError
				if !errors.As(err, &re) || re.Rule != tt.rule {
					t.Fatalf("dated %s: err = %v, want rule %s", when, err, tt.rule)
				}
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q does not name event %s", err, want)
				}
			}
		})
	}
}

// An awareness earlier than the detection needs a reason; later is normal.
func TestAwareBeforeDetection(t *testing.T) {
	detect := func(aware, reason string) domain.Command {
		return domain.DetectIncident{By: by("oscar", "2025-03-07T21:40:00Z"), Source: domain.SourceAutomatedAlert, Summary: "x",
			AwareAt: mt(aware), AwareReason: reason, Role: domain.RoleBoth}
	}
	now := mt("2025-03-07T23:00:00Z") // after every awareness below
	for _, tt := range []struct {
		aware, reason, rule string
	}{
		{"2025-03-07T22:15:00Z", "", ""},
		{"2025-03-07T21:40:00Z", "", ""},
		{"2025-03-07T21:00:00Z", "", "aware-before-detection"},
		{"2025-03-07T21:00:00Z", "the SOC read the alert before the ticket was filed", ""},
	} {
		events, err := domain.Decide(newHistory(t).state(), detect(tt.aware, tt.reason), now)
		wantRule(t, err, tt.rule)
		if err == nil && events[0].(domain.IncidentDetected).AwareReason != tt.reason {
			t.Errorf("aware reason recorded = %q, want %q", events[0].(domain.IncidentDetected).AwareReason, tt.reason)
		}
	}
}

// A correction is judged on the history as it would read corrected: it may
// not move a fact before one it depends on, nor one that others depend on
// after them.
func TestBusinessTimeCorrections(t *testing.T) {
	type setup struct {
		h      *history
		notice string
	}
	build := func(t *testing.T) setup {
		h := newHistory(t)
		h.breach()
		notice := h.mustDecideCmd(domain.SendNotification{By: by("ian", "2025-03-09T12:00:00Z"), NotificationSent: domain.NotificationSent{
			RecipientKind: domain.RecipientSecurityContacts, Recipient: "soc@contoso", Customer: "contoso", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial}})
		return setup{h, notice}
	}
	tests := []struct {
		name   string
		target func(s setup) string
		change func(c *domain.CorrectEvent)
		rule   string
	}{
		{"the declaration moved after a customer notice", func(s setup) string { return s.h.factOf("CRSPIDeclared").ID },
			func(c *domain.CorrectEvent) { c.NewAt = mt("2025-03-09T13:00:00Z") }, "notify-before-declaration"},
		{"the declaration moved earlier, still after the classification", func(s setup) string { return s.h.factOf("CRSPIDeclared").ID },
			func(c *domain.CorrectEvent) { c.NewAt = mt("2025-03-09T08:00:00Z") }, ""},
		{"the declaration moved before the classification", func(s setup) string { return s.h.factOf("CRSPIDeclared").ID },
			func(c *domain.CorrectEvent) { c.NewAt = mt("2025-03-08T08:00:00Z") }, "declare-before-classification"},
		{"a customer notice moved before the declaration", func(s setup) string { return s.notice },
			func(c *domain.CorrectEvent) { c.NewAt = mt("2025-03-09T09:00:00Z") }, "notify-before-declaration"},
		{"a note moved before the detection", func(s setup) string {
			return s.h.mustDecideCmd(domain.AddNote{By: by("ivy", "2025-03-09T13:00:00Z"), Text: "bridge call"})
		}, func(c *domain.CorrectEvent) { c.NewAt = mt("2025-03-07T21:00:00Z") }, "before-detection"},
		{"the detection moved after its awareness, without a reason", func(s setup) string { return s.h.incident[0].ID },
			func(c *domain.CorrectEvent) { c.NewAt = mt("2025-03-07T22:20:00Z") }, "aware-before-detection"},
		{"awareness moved before the detection without a reason", func(s setup) string { return s.h.incident[0].ID },
			func(c *domain.CorrectEvent) {
				c.Changes = []domain.FieldChange{{Field: "aware_at", Value: "2025-03-07T21:00:00Z"}}
			}, "aware-before-detection"},
		{"awareness moved before the detection with a reason", func(s setup) string { return s.h.incident[0].ID },
			func(c *domain.CorrectEvent) {
				c.Changes = []domain.FieldChange{{Field: "aware_at", Value: "2025-03-07T21:00:00Z"}, {Field: "aware_reason", Value: "SOC log"}}
			}, ""},
		{"the classification moved before Assess was entered", func(s setup) string { return s.h.factOf("IncidentClassified").ID },
			func(c *domain.CorrectEvent) { c.NewAt = mt("2025-03-07T22:00:00Z") }, "before-stage-entered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := build(t)
			c := domain.CorrectEvent{By: by("ivy", "2025-03-10T09:00:00Z"), Target: tt.target(s), Reason: "the log says so"}
			tt.change(&c)
			_, err := domain.Decide(s.h.state(), c, mt("2025-03-10T09:00:00Z"))
			wantRule(t, err, tt.rule)
		})
	}
}

// A conflict already in the history (recorded before these rules) does not
// block an unrelated correction; only a conflict the correction makes does.
func TestCorrectionKeepsOldConflicts(t *testing.T) {
	h := newHistory(t)
	h.breach()
	h.add("ian", "2025-03-09T09:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Recipient: "soc@contoso",
		Customer: "contoso", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial}) // before the declaration, recorded as it was allowed then
	scope := h.factOf("ScopeRecorded").ID
	c := domain.CorrectEvent{By: by("sam", "2025-03-10T09:00:00Z"), Target: scope, Changes: []domain.FieldChange{{Field: "subjects", Value: "1300"}}, Reason: "recount"}
	if _, err := domain.Decide(h.state(), c, mt("2025-03-10T09:00:00Z")); err != nil {
		t.Fatalf("an unrelated correction: %v", err)
	}
}

// Backdating is allowed within the ledger's backdate-window; further back
// it needs a late-entry reason, which is recorded on the fact and survives
// the notary's re-decision.
func TestLateEntry(t *testing.T) {
	h := newHistory(t)
	h.ledgerEvent("admin", "2025-01-01T00:03:00Z", domain.SettingChanged{Key: "backdate-window", Value: "24h"})
	h.breach()
	now := mt("2025-03-12T12:00:00Z")
	note := func(at, reason string) domain.Command {
		b := by("ian", at)
		b.LateEntryReason = reason
		return domain.AddNote{By: b, Text: "bridge call"}
	}
	if _, err := domain.Decide(h.state(), note("2025-03-11T12:00:00Z", ""), now); err != nil {
		t.Fatalf("dated exactly the window back: %v", err)
	}
	_, err := domain.Decide(h.state(), note("2025-03-11T11:59:00Z", ""), now)
	wantRule(t, err, "late-entry-needs-reason")
	if err != nil && !strings.Contains(err.Error(), "24h0m") && !strings.Contains(err.Error(), "backdate-window is 24h") {
		t.Errorf("refusal %q does not give the window", err)
	}
	events, err := domain.Decide(h.state(), note("2025-03-11T11:59:00Z", "transcribed from the bridge-call minutes"), now)
	if err != nil {
		t.Fatal(err)
	}
	if got := events[0].(domain.NoteAdded).LateEntryReason; got != "transcribed from the bridge-call minutes" {
		t.Errorf("late-entry reason recorded = %q", got)
	}
	by := domain.By{Actor: "ian", At: mt("2025-03-11T11:59:00Z")}
	if err := domain.Redecide(h.state(), by, events, now); err != nil {
		t.Errorf("Redecide of a late entry with its reason: %v", err)
	}
	typ, payload, err := domain.Encode(events[0])
	if err != nil || !strings.Contains(string(payload), `"late_entry_reason":"transcribed from the bridge-call minutes"`) {
		t.Errorf("stored payload %s %s (%v) does not carry the reason", typ, payload, err)
	}
	// Ledger facts carry no late-entry rule; a setting dated back needs
	// its own reason instead (settings_history.go).
	_, err = domain.Decide(h.state(), domain.ChangeSetting{By: domain.By{Actor: "admin", At: mt("2025-03-01T00:00:00Z")}, Key: "due-soon-window", Value: "12h"}, now)
	wantRule(t, err, "setting-backdated-needs-reason")
	if _, err := domain.Decide(h.state(), domain.ChangeSetting{By: domain.By{Actor: "admin", At: mt("2025-03-01T00:00:00Z")}, Key: "due-soon-window", Value: "12h", Reason: "board decision of 1 March"}, now); err != nil {
		t.Errorf("a ledger setting dated back with a reason: %v", err)
	}
}

// A notice dated at or before its due time but recorded after it needs a
// late-entry reason whatever the window, and then shows met with how late
// it was recorded; an honest late notice needs only its delay reason.
func TestNoticeRecordedAfterDue(t *testing.T) {
	h := newHistory(t)
	h.breach() // aware 2025-03-07T22:15Z: GDPR Art. 33 due 2025-03-10T22:15Z
	due := mt("2025-03-10T22:15:00Z")
	recorded := due.Add(633*24*time.Hour + 2*time.Hour)
	notice := func(at, late, delay string) domain.Command {
		b := by("ian", at)
		b.LateEntryReason = late
		return domain.SendNotification{By: b, NotificationSent: domain.NotificationSent{RecipientKind: domain.RecipientAuthority,
			Recipient: "CNIL", Channel: domain.ChannelPortal, Phase: domain.PhaseInitial, DelayReason: delay}}
	}
	_, err := domain.Decide(h.state(), notice("2025-03-10T20:00:00Z", "", ""), recorded)
	wantRule(t, err, "late-entry-needs-reason")
	if err != nil && !strings.Contains(err.Error(), "gdpr-art33") {
		t.Errorf("refusal %q does not name the obligation", err)
	}
	// Recorded before the due time: no reason needed.
	if _, err := domain.Decide(h.state(), notice("2025-03-10T20:00:00Z", "", ""), due.Add(-time.Minute)); err != nil {
		t.Errorf("recorded in time: %v", err)
	}
	// An honest late notice: only the delay reason (GDPR Art. 33(1)).
	if _, err := domain.Decide(h.state(), notice("2025-03-11T09:00:00Z", "", "forensics took longer"), mt("2025-03-11T09:05:00Z")); err != nil {
		t.Errorf("an honest late notice: %v", err)
	}
	events, err := domain.Decide(h.state(), notice("2025-03-10T20:00:00Z", "the portal receipt was found in the DPO's mailbox", ""), recorded)
	if err != nil {
		t.Fatal(err)
	}
	f := h.fact(domain.IncidentStream("INC"), uint64(len(h.incident)), "ian", mt("2025-03-10T20:00:00Z"), events[0])
	f.RecordedAt = recorded
	h.incident = append(h.incident, f)
	inc := h.at(domain.Cut{})
	o := obligation(t, domain.Obligations(&inc, h.state().Ledger.Settings, recorded), "gdpr-art33")
	if o.Status != domain.StatusMet || o.RecordedLateBy != "633d2h" {
		t.Errorf("gdpr-art33 = %s, recorded late by %q; want met, recorded late by 633d2h", o.Status, o.RecordedLateBy)
	}
	// Moving it later by a correction and back before the due time again
	// is the same backdating: refused without a reason.
	h2 := newHistory(t)
	h2.breach()
	late := h2.add("ian", "2025-03-11T09:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "CNIL",
		Channel: domain.ChannelPortal, Phase: domain.PhaseInitial, DelayReason: "forensics"})
	c := domain.CorrectEvent{By: by("ian", "2025-03-11T10:00:00Z"), Target: late, NewAt: mt("2025-03-10T21:00:00Z"), Reason: "typo"}
	_, err = domain.Decide(h2.state(), c, mt("2025-03-11T10:00:00Z"))
	wantRule(t, err, "late-entry-needs-reason")
	c.LateEntryReason = "the portal receipt shows 21:00"
	if _, err := domain.Decide(h2.state(), c, mt("2025-03-11T10:00:00Z")); err != nil {
		t.Errorf("with a late-entry reason: %v", err)
	}
}

// Closing with an obligation still open needs a reason, kept with the
// closure with the obligations it left open.
func TestCloseWithOpenObligations(t *testing.T) {
	h := newHistory(t)
	h.breach()
	h.mustDecide(domain.MoveStage{By: by("sam", "2025-03-10T09:00:00Z"), To: domain.StageStabilize})
	h.mustDecide(domain.CompletePostmortem{By: by("ian", "2025-03-10T10:00:00Z"), Summary: "s", Location: "dms://pm", SHA256: strings.Repeat("a", 64)})
	_, err := domain.Decide(h.state(), domain.CloseIncident{By: by("ian", "2025-03-10T11:00:00Z")}, mt("2025-03-10T11:00:00Z"))
	wantRule(t, err, "close-open-obligations")
	if err != nil && !strings.Contains(err.Error(), "gdpr-art33") {
		t.Errorf("refusal %q does not list the open GDPR Art. 33 notice", err)
	}
	events, err := domain.Decide(h.state(), domain.CloseIncident{By: by("ian", "2025-03-10T11:00:00Z"), OpenObligationsReason: "the DPO notifies the CNIL from the legal case"}, mt("2025-03-10T11:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	closed := events[len(events)-1].(domain.IncidentClosed)
	if closed.OpenObligationsReason == "" || !strings.Contains(strings.Join(closed.OpenObligations, " "), "gdpr-art33") {
		t.Errorf("closure = %+v, want the open obligations and the reason", closed)
	}
}

func (h *history) mustDecide(c domain.Command) {
	h.tb.Helper()
	if _, err := h.decide(c); err != nil {
		h.tb.Fatalf("Decide(%T) = %v", c, err)
	}
}

// mustDecideCmd records c and returns the ID of the last event it made.
func (h *history) mustDecideCmd(c domain.Command) string {
	h.tb.Helper()
	h.mustDecide(c)
	return h.incident[len(h.incident)-1].ID
}

// factOfAt returns the ID of the fact of a type at a business time.
func (h *history) factOfAt(typ, at string) string {
	h.tb.Helper()
	for _, f := range h.incident {
		if f.Type == typ && f.At.Equal(mt(at)) {
			return f.ID
		}
	}
	h.tb.Fatalf("no %s at %s", typ, at)
	return ""
}

// A waiver is judged on business time too, and says how late the fact
// that waived it was recorded.
func TestWaiverRecordedAfterDue(t *testing.T) {
	h := newHistory(t)
	h.breach() // GDPR Art. 33 due 2025-03-10T22:15Z
	f := h.fact(domain.IncidentStream("INC"), uint64(len(h.incident)), "ivy", mt("2025-03-10T20:00:00Z"),
		domain.RiskDetermined{Level: domain.RiskUnlikely, Reasoning: "the data was encrypted"})
	f.RecordedAt = mt("2025-03-12T00:00:00Z")
	h.incident = append(h.incident, f)
	inc := h.at(domain.Cut{})
	o := obligation(t, domain.Obligations(&inc, domain.DefaultSettings(), mt("2025-03-12T00:00:00Z")), "gdpr-art33")
	if o.Status != domain.StatusWaived || o.RecordedLateBy != "25h45m" {
		t.Errorf("gdpr-art33 = %s, recorded late by %q; want waived, recorded late by 25h45m", o.Status, o.RecordedLateBy)
	}
	// As the ledger knew it before the determination was recorded, it was
	// overdue, and nothing was recorded late.
	known := h.at(domain.Cut{KnownAt: mt("2025-03-11T00:00:00Z")})
	if o := obligation(t, domain.Obligations(&known, domain.DefaultSettings(), mt("2025-03-11T00:00:00Z")), "gdpr-art33"); o.Status != domain.StatusOverdue || o.RecordedLateBy != "" {
		t.Errorf("as known before: gdpr-art33 = %s, recorded late by %q; want overdue", o.Status, o.RecordedLateBy)
	}
}

// BenchmarkBusinessTime measures what the business-time rules add to a
// decision on the acceptance scenario's history, beside the fold of that
// history (the baseline: what every writer already pays to decide).
func BenchmarkBusinessTime(b *testing.B) {
	h := newHistory(b)
	h.breach()
	notice := h.mustDecideCmd(domain.SendNotification{By: by("ian", "2025-03-09T12:00:00Z"), NotificationSent: domain.NotificationSent{
		RecipientKind: domain.RecipientSecurityContacts, Recipient: "soc@contoso", Customer: "contoso", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial}})
	s := h.state()
	now := mt("2025-03-10T09:00:00Z")
	cmds := map[string]domain.Command{
		"note": domain.AddNote{By: by("ian", "2025-03-10T09:00:00Z"), Text: "bridge call"},
		"notice": domain.SendNotification{By: by("ian", "2025-03-10T09:00:00Z"), NotificationSent: domain.NotificationSent{
			RecipientKind: domain.RecipientAuthority, Recipient: "CNIL", Channel: domain.ChannelPortal, Phase: domain.PhaseInitial}},
		"correction": domain.CorrectEvent{By: by("ian", "2025-03-10T09:00:00Z"), Target: notice, NewAt: mt("2025-03-09T13:00:00Z"), Reason: "typo"},
	}
	for _, name := range []string{"note", "notice", "correction"} {
		b.Run("Decide/"+name, func(b *testing.B) {
			for b.Loop() {
				if _, err := domain.Decide(s, cmds[name], now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("baseline/Replay", func(b *testing.B) {
		for b.Loop() {
			domain.Replay(h.incident, domain.Cut{})
		}
	})
}
