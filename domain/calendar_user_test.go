package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// secDue evaluates the SEC 8-K obligation of a registrant that determined
// materiality at det, with the ledger's recorded user calendars.
func secDue(t *testing.T, h *history, asOf string) domain.Obligation {
	t.Helper()
	at := ts(t, asOf)
	inc := h.at(domain.Cut{AsOf: at})
	l := domain.ReplayLedger(h.ledger, domain.Cut{})
	return obligation(t, domain.Obligations(&inc, l.Settings, at), "sec-8k-1.05")
}

// A recorded user calendar moves a business-day deadline whose clock
// starts after it was recorded, and no other.
func TestUserCalendarMovesBusinessDays(t *testing.T) {
	tests := []struct {
		name     string
		calendar string // business time of the CalendarSet, "" for none
		text     string
		due      string
		inName   string
	}{
		// Wed 07-02: Thu 3 (1), Fri 4 Independence Day, Mon 7 (2), Tue 8 (3), Wed 9 (4)
		{name: "no user calendar", due: "2025-07-10T03:59:59Z", inName: "US (rickar/cal us, calendar 2026.1)"},
		// Mon 7 closed by the user calendar: Tue 8 (2), Wed 9 (3), Thu 10 (4) → end of Thu 2025-07-10 in New York
		{name: "a closing day recorded before the determination", calendar: "2025-07-01T00:00:00Z", text: "US 2025-07-07 office closed\n",
			due: "2025-07-11T03:59:59Z", inName: "+ 1 user closing day recorded 2025-07-01T00:01:00Z"},
		{name: "a closing day everywhere (*)", calendar: "2025-07-01T00:00:00Z", text: "# year plan\n* 2025-07-07 summer closure\n* 2025-07-08 summer closure\n",
			due: "2025-07-12T03:59:59Z", inName: "+ 2 user closing days"},
		{name: "another jurisdiction's closing day does not count", calendar: "2025-07-01T00:00:00Z", text: "DE 2025-07-07 Betriebsruhe\n",
			due: "2025-07-10T03:59:59Z"},
		// recorded after the clock started: the deadline stays where it was
		{name: "recorded after the determination", calendar: "2025-07-03T00:00:00Z", text: "US 2025-07-07 office closed\n", due: "2025-07-10T03:59:59Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := regulated(t, domain.RoleController, "2025-06-30T12:00:00Z", types(domain.EntitySECRegistrant))
			if tt.calendar != "" {
				h.ledgerEvent("admin", tt.calendar, domain.CalendarSet{Text: tt.text})
			}
			h.determine("2025-07-02T19:00:00Z", domain.DetSECMaterial, true)
			o := secDue(t, h, "2025-07-03T12:00:00Z")
			if got := o.DueAt.Format(time.RFC3339); got != tt.due {
				t.Errorf("due %s, want %s (%s)", got, tt.due, o.Calendar)
			}
			if !strings.Contains(o.Calendar, tt.inName) {
				t.Errorf("calendar %q, want it to name %q", o.Calendar, tt.inName)
			}
		})
	}
}

// A later calendar replaces the earlier one for clocks that start after
// it; an empty one removes the user closures.
func TestUserCalendarReplaced(t *testing.T) {
	h := regulated(t, domain.RoleController, "2025-06-30T12:00:00Z", types(domain.EntitySECRegistrant))
	h.ledgerEvent("admin", "2025-06-01T00:00:00Z", domain.CalendarSet{Text: "US 2025-07-07 office closed"})
	h.ledgerEvent("admin", "2025-07-01T00:00:00Z", domain.CalendarSet{Text: "", Reason: "office open after all"})
	h.determine("2025-07-02T19:00:00Z", domain.DetSECMaterial, true)
	if got := secDue(t, h, "2025-07-03T12:00:00Z").DueAt.Format(time.RFC3339); got != "2025-07-10T03:59:59Z" {
		t.Errorf("due %s, want 2025-07-10T03:59:59Z (the closure was removed)", got)
	}
	s := domain.ReplayLedger(h.ledger, domain.Cut{}).Settings
	if n := len(s.UserCalendars()); n != 2 {
		t.Errorf("%d user calendars, want 2", n)
	}
	if u := s.UserCalendarAt(ts(t, "2025-06-15T00:00:00Z")); u == nil || len(u.Closures) != 1 || u.Closures[0] != (domain.Closure{Jurisdiction: "US", Date: "2025-07-07", What: "office closed"}) {
		t.Errorf("in force 2025-06-15: %+v", u)
	}
	if u := s.UserCalendarAt(ts(t, "2025-05-15T00:00:00Z")); u != nil {
		t.Errorf("in force before any: %+v", u)
	}
	// The settings at an instant keep the user calendars (settings_history.go).
	if got := s.At(ts(t, "2025-06-15T00:00:00Z")).UserCalendarAt(ts(t, "2025-06-15T00:00:00Z")); got == nil {
		t.Error("Settings.At drops the user calendars")
	}
}

// Outside the years a frozen version covers, a business-day obligation
// says its holidays are not known ([VERIFY]).
func TestCalendarOutOfRangeVerify(t *testing.T) {
	h := regulated(t, domain.RoleController, "2036-06-30T12:00:00Z", types(domain.EntitySECRegistrant))
	h.determine("2036-07-02T19:00:00Z", domain.DetSECMaterial, true)
	o := secDue(t, h, "2036-07-03T12:00:00Z")
	if !strings.Contains(o.Verify, "calendar 2026.1 (rickar/cal v2.1.13, years 2020–2035) covers public holidays of years 2020–2035 only") {
		t.Errorf("verify %q", o.Verify)
	}
	in := regulated(t, domain.RoleController, "2025-06-30T12:00:00Z", types(domain.EntitySECRegistrant))
	in.determine("2025-07-02T19:00:00Z", domain.DetSECMaterial, true)
	if o := secDue(t, in, "2025-07-03T12:00:00Z"); strings.Contains(o.Verify, "calendar") {
		t.Errorf("in range, verify %q", o.Verify)
	}
}

func TestSetCalendarRefusals(t *testing.T) {
	tests := []struct {
		name string
		prep func(h *history)
		cmd  domain.SetCalendar
		rule string // "" for a usage error (FieldError)
	}{
		{name: "not an admin", cmd: domain.SetCalendar{By: by("ivy", "2025-03-01T00:00:00Z"), Text: "DE 2025-12-24 closed"}, rule: "calendar-role"},
		{name: "a bad line", cmd: domain.SetCalendar{By: by("admin", "2025-03-01T00:00:00Z"), Text: "DE 2025-12-24 closed\nGermany 24.12.2025"}},
		{name: "nothing to record", cmd: domain.SetCalendar{By: by("admin", "2025-03-01T00:00:00Z"), Text: "# nothing\n"}, rule: "calendar-unchanged"},
		{name: "the same as in force", prep: func(h *history) {
			h.ledgerEvent("admin", "2025-02-01T00:00:00Z", domain.CalendarSet{Text: "de 2025-12-24   closed"})
		},
			cmd: domain.SetCalendar{By: by("admin", "2025-03-01T00:00:00Z"), Text: "# same\nDE 2025-12-24 closed\n"}, rule: "calendar-unchanged"},
		{name: "backdated without a reason", cmd: domain.SetCalendar{By: by("admin", "2025-02-01T00:00:00Z"), Text: "DE 2025-12-24 closed"}, rule: "calendar-backdated-needs-reason"},
	}
	now := mt("2025-03-01T00:00:00Z")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHistory(t)
			if tt.prep != nil {
				tt.prep(h)
			}
			_, err := domain.Decide(h.state(), tt.cmd, now)
			var re *domain.RuleError
			var fe *domain.FieldError
			switch {
			case tt.rule != "" && (!errors.As(err, &re) || re.Rule != tt.rule):
				t.Errorf("Decide = %v, want rule %s", err, tt.rule)
			case tt.rule == "" && !errors.As(err, &fe):
				t.Errorf("Decide = %v, want a field error", err)
			}
		})
	}
	h := newHistory(t)
	events, err := domain.Decide(h.state(), domain.SetCalendar{By: by("admin", "2025-03-01T00:00:00Z"), Text: "DE 2025-12-24 closed", Reason: "plan"}, now)
	if err != nil || len(events) != 1 || events[0] != (domain.CalendarSet{Text: "DE 2025-12-24 closed", Reason: "plan"}) {
		t.Errorf("Decide = %v, %v", events, err)
	}
}

// A detection pins the current calendar version; while that is the
// default version (the first), the pin leaves the field out, as every
// detection recorded before pins did, so both decide again alike.
func TestDetectionPinsCalendar(t *testing.T) {
	h := newHistory(t)
	now := mt("2025-03-01T00:00:00Z")
	events, err := domain.Decide(h.state(), domain.DetectIncident{By: by("oscar", "2025-03-01T00:00:00Z"), Source: domain.SourceAutomatedAlert, Summary: "x", Role: domain.RoleController}, now)
	if err != nil {
		t.Fatal(err)
	}
	pin := events[1].(domain.PackPinned)
	if pin.Calendar != "" || domain.CurrentCalendarVersion() != "2026.1" || domain.DefaultCalendarVersion() != "2026.1" {
		t.Errorf("pin %+v, current %s, default %s", pin, domain.CurrentCalendarVersion(), domain.DefaultCalendarVersion())
	}
	for _, e := range events {
		h.add("oscar", "2025-03-01T00:00:00Z", e)
	}
	st := h.state()
	if got := st.Incident.Regulatory.CalendarVersion(); got != "2026.1" {
		t.Errorf("calendar version %s, want 2026.1", got)
	}
	if _, err := domain.Decide(newHistory(t).state(), domain.DetectIncident{By: by("oscar", "2025-03-01T00:00:00Z"), Source: domain.SourceAutomatedAlert, Summary: "x", Role: domain.RoleController, Calendar: "1999.1"}, now); err == nil {
		t.Error("an unknown calendar version is accepted")
	}
	// A pin that names a version counts on it.
	g := &domain.Regulatory{PackHistory: []domain.PackEntry{{PackPinned: domain.PackPinned{Version: "2026.1", Calendar: "2026.1"}}}}
	if got := g.CalendarVersion(); got != "2026.1" {
		t.Errorf("named pin: %s", got)
	}
}

// Closures parse as calendar set records them: sorted, a repeated day kept once.
func TestParseClosures(t *testing.T) {
	got, err := domain.ParseClosures("# plan\n\nus-ca 2025-12-26 office closed\n* 2025-12-31 Silvester\nUS-CA 2025-12-26 again\nBR 2025-11-20\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.Closure{{"*", "2025-12-31", "Silvester"}, {"BR", "2025-11-20", "closing day (user calendar)"}, {"US-CA", "2025-12-26", "office closed"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("closure %d = %v, want %v", i, got[i], want[i])
		}
	}
	if _, err := domain.ParseClosures("Germany 2025-12-24\nDE 24.12.2025\nDE\n"); err == nil || !strings.Contains(err.Error(), "line 1") || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("bad lines: %v", err)
	}
}

// A user calendar backdated after an incident was closed never re-judges
// it; an open incident with the same history counts on it.
func TestUserCalendarNeverRejudgesClosed(t *testing.T) {
	for _, closed := range []bool{false, true} {
		h := regulated(t, domain.RoleController, "2025-06-30T12:00:00Z", types(domain.EntitySECRegistrant))
		h.determine("2025-07-02T19:00:00Z", domain.DetSECMaterial, true)
		if closed {
			h.add("ian", "2025-07-20T00:00:00Z", domain.IncidentClosed{Summary: "filed", OpenObligationsReason: "test"})
		}
		f := h.fact(domain.LedgerStream, uint64(len(h.ledger)), "admin", ts(t, "2025-07-01T00:00:00Z"), domain.CalendarSet{Text: "US 2025-07-07 office closed", Reason: "found the rota late"})
		f.RecordedAt = ts(t, "2025-08-01T00:00:00Z") // recorded after the closure, dated before the determination
		h.ledger = append(h.ledger, f)
		want := "2025-07-11T03:59:59Z" // Mon 7 closed: Tue 8, Wed 9, Thu 10
		if closed {
			want = "2025-07-10T03:59:59Z" // as it was closed: Mon 7, Tue 8, Wed 9
		}
		if got := secDue(t, h, "2025-08-02T00:00:00Z").DueAt.Format(time.RFC3339); got != want {
			t.Errorf("closed %v: due %s, want %s", closed, got, want)
		}
	}
}
