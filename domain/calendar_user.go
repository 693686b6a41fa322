package domain

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/breachledger/breachledger/domain/calendardata"
)

// A user calendar is the organisation's own closing days (an office closed
// between Christmas and New Year, a national holiday the frozen tables do
// not know), recorded on the ledger by an admin ("breachledger calendar
// set FILE") so that every reader counts on the same days: readers never
// read local calendar files. Each recording replaces the whole user
// calendar (an empty file removes it). Like a setting, it takes effect at
// its business time (--at; by default the moment it is recorded; earlier
// than that needs a reason, rule calendar-backdated-needs-reason): an
// obligation counts on the user calendar in force at its anchor's business
// time, so a calendar set later never moves the due date of a clock that
// started before it, and a closed incident is judged without the calendars
// recorded after its closure was recorded (never re-judged).

// CalendarSet records the content of a user calendar file (ledger stream):
// lines "JURISDICTION YYYY-MM-DD what" (ParseClosures).
type CalendarSet struct {
	Text   string `json:"text"`
	Reason string `json:"reason,omitempty"`
}

func (CalendarSet) isEvent() {}

func (e CalendarSet) validate(fs *fields) {
	if _, err := ParseClosures(e.Text); err != nil {
		fs.add(&FieldError{Field: "text", Value: "(calendar file)", Problem: err.Error()})
	}
}

// SetCalendar records a user calendar (admin only).
type SetCalendar struct {
	By
	Text   string // the file's content
	Reason string
}

// Closure is one closing day of a user calendar.
type Closure struct {
	Jurisdiction string `json:"jurisdiction"` // "DE", "US-CA", or "*" for every jurisdiction
	Date         string `json:"date"`         // YYYY-MM-DD, in the jurisdiction's zone
	What         string `json:"what"`
}

// ParseClosures reads a user calendar file: one closing day per line,
//
//	JURISDICTION YYYY-MM-DD what it is
//
// with "*" as the jurisdiction for a day closed everywhere; blank lines and
// lines starting with # are ignored. Every bad line is reported. The
// closures are returned sorted by jurisdiction and date; a day given twice
// for a jurisdiction keeps its first line.
func ParseClosures(text string) ([]Closure, error) {
	var out []Closure
	var errs []string
	seen := map[[2]string]bool{}
	for i, raw := range strings.Split(text, "\n") {
		line := i + 1
		t := strings.TrimSpace(raw)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		fields := strings.Fields(t)
		if len(fields) < 2 {
			errs = append(errs, fmt.Sprintf("line %d: want JURISDICTION YYYY-MM-DD [what]", line))
			continue
		}
		j := strings.ToUpper(fields[0])
		if j != "*" && !validJurisdictionCode(j) {
			errs = append(errs, fmt.Sprintf("line %d: %q is not a jurisdiction code (DE, US-CA) or *", line, fields[0]))
			continue
		}
		d, err := time.Parse("2006-01-02", fields[1])
		if err != nil {
			errs = append(errs, fmt.Sprintf("line %d: %q is not a date (YYYY-MM-DD)", line, fields[1]))
			continue
		}
		what := strings.Join(fields[2:], " ")
		if what == "" {
			what = "closing day (user calendar)"
		}
		date := d.Format("2006-01-02")
		if seen[[2]string{j, date}] {
			continue
		}
		seen[[2]string{j, date}] = true
		out = append(out, Closure{Jurisdiction: j, Date: date, What: what})
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("parse calendar file: %s", strings.Join(errs, "; "))
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Jurisdiction != out[b].Jurisdiction {
			return out[a].Jurisdiction < out[b].Jurisdiction
		}
		return out[a].Date < out[b].Date
	})
	return out, nil
}

func validJurisdictionCode(j string) bool {
	country, sub, hasSub := strings.Cut(j, "-")
	if len(country) != 2 || strings.ToUpper(country) != country {
		return false
	}
	return !hasSub || (len(sub) >= 1 && len(sub) <= 3)
}

// UserCalendar is one recorded user calendar.
type UserCalendar struct {
	Since    time.Time `json:"since"`    // business time of the CalendarSet: in force from then
	Recorded time.Time `json:"recorded"` // when the ledger recorded it
	Event    string    `json:"event"`    // the CalendarSet's event ID
	Actor    string    `json:"actor"`
	Reason   string    `json:"reason,omitempty"`
	Closures []Closure `json:"closures"`
}

// String is how show and reports name it: "user closures recorded
// 2026-01-05T09:00:00Z (3 days)".
func (u UserCalendar) String() string {
	return fmt.Sprintf("user closures recorded %s (%s)", stamp(u.Recorded), plural(len(u.Closures), "day"))
}

// closuresFor returns the closing days of jurisdiction j (its own, its
// country's, and those of "*"), by date.
func (u *UserCalendar) closuresFor(j string) map[string]string {
	if u == nil {
		return nil
	}
	country, _, _ := strings.Cut(j, "-")
	var out map[string]string
	for _, key := range []string{j, country, "*"} {
		for _, c := range u.Closures {
			if c.Jurisdiction != key {
				continue
			}
			if out == nil {
				out = map[string]string{}
			}
			if _, ok := out[c.Date]; !ok {
				out[c.Date] = c.What
			}
		}
	}
	return out
}

// userCalendars is the history of recorded user calendars. It is never
// changed once built (with returns a new one), so Settings values that
// share it stay independent.
type userCalendars struct {
	sets []UserCalendar
}

func (h *userCalendars) with(f Fact, e CalendarSet) *userCalendars {
	closures, err := ParseClosures(e.Text)
	if err != nil {
		return h // validate refused it on append; a stored bad one changes nothing
	}
	rec := f.RecordedAt
	if rec.IsZero() {
		rec = f.At
	}
	out := &userCalendars{}
	if h != nil {
		out.sets = append(out.sets, h.sets...)
	}
	out.sets = append(out.sets, UserCalendar{Since: f.At.UTC(), Recorded: rec.UTC(), Event: f.ID, Actor: f.Actor, Reason: e.Reason, Closures: closures})
	return out
}

// UserCalendars returns every recorded user calendar, in ledger order.
func (s Settings) UserCalendars() []UserCalendar {
	if s.calendars == nil {
		return nil
	}
	return append([]UserCalendar(nil), s.calendars.sets...)
}

// UserCalendarAt returns the user calendar in force at business time t:
// the last recorded whose business time is at or before t, or nil.
func (s Settings) UserCalendarAt(t time.Time) *UserCalendar {
	if s.calendars == nil {
		return nil
	}
	var in *UserCalendar
	for i := range s.calendars.sets {
		if u := &s.calendars.sets[i]; !u.Since.After(t) {
			in = u
		}
	}
	return in
}

// CalendarAt returns the calendar of jurisdiction j that inc counts on for
// a clock anchored at t: the frozen tables of the version inc pins, plus the
// user calendar in force at t; for a closed incident (not reopened), the
// last one in force at t among those recorded by the time its closure was
// recorded.
func (s Settings) CalendarAt(inc *Incident, j string, t time.Time) Calendar {
	return CalendarOf(inc.Regulatory.CalendarVersion(), j, s.userCalendarFor(inc, t))
}

func (s Settings) userCalendarFor(inc *Incident, t time.Time) *UserCalendar {
	if s.calendars == nil {
		return nil
	}
	var closed time.Time
	if inc.Closed && len(inc.Closures) > 0 {
		ref := inc.Closures[len(inc.Closures)-1].Ref
		if closed = ref.RecordedAt; closed.IsZero() {
			closed = ref.At
		}
	}
	var in *UserCalendar
	for i := range s.calendars.sets {
		u := &s.calendars.sets[i]
		if !u.Since.After(t) && (closed.IsZero() || !u.Recorded.After(closed)) {
			in = u
		}
	}
	return in
}

func decideCalendar(s *State, c SetCalendar, by By, now time.Time) ([]Event, error) {
	if err := needRole(s, by, CmdCalendar); err != nil {
		return nil, err
	}
	if now.Sub(by.At) > SettingBackdateGrace && strings.TrimSpace(c.Reason) == "" {
		return nil, refuse("calendar-backdated-needs-reason", "give --reason saying why it takes effect from then, or leave --at out so that it takes effect now",
			"the user calendar is dated %s, %s before now: backdated, it moves the business-day deadlines of open incidents anchored after then (never of closed ones)",
			stamp(by.At), FormatDuration(now.Sub(by.At).Round(time.Second)))
	}
	if _, err := ParseClosures(c.Text); err != nil {
		return nil, &FieldError{Field: "FILE", Value: "(calendar file)", Problem: err.Error()}
	}
	if u := s.Ledger.Settings.UserCalendarAt(by.At); u != nil {
		if cur, _ := ParseClosures(c.Text); closuresEqual(cur, u.Closures) {
			return nil, refuse("calendar-unchanged", `nothing to do; "breachledger calendar show" prints the calendar in force`,
				"the user calendar recorded %s already has these %s", stamp(u.Recorded), plural(len(u.Closures), "closing day"))
		}
	} else if cur, _ := ParseClosures(c.Text); len(cur) == 0 {
		return nil, refuse("calendar-unchanged", "give a file with at least one line \"JURISDICTION YYYY-MM-DD what\"",
			"no user calendar is recorded, and this file has no closing day")
	}
	return one(CalendarSet{Text: c.Text, Reason: c.Reason})
}

func closuresEqual(a, b []Closure) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// pinnedCalendar is the calendar version a recorded detection's pin names:
// DefaultCalendarVersion when it names none (every detection recorded
// before calendars were pinned), so that deciding it again gives the same
// pin.
func pinnedCalendar(pin PackPinned) string {
	if pin.Calendar == "" {
		return DefaultCalendarVersion()
	}
	return pin.Calendar
}

// detectionCalendar returns the calendar version a detection pins, as the
// PackPinned field records it ("" for DefaultCalendarVersion), or a
// refusal for an unknown version.
func detectionCalendar(c DetectIncident) (string, error) {
	v := c.Calendar
	if v == "" {
		v = CurrentCalendarVersion()
	}
	if _, ok := calendardata.Lookup(v); !ok {
		var names []string
		for _, k := range calendardata.Versions() {
			names = append(names, k.Name)
		}
		return "", &FieldError{Field: "calendar", Value: v, Problem: "unknown calendar version", Allowed: names}
	}
	if v == DefaultCalendarVersion() {
		return "", nil
	}
	return v, nil
}

// CalendarDescription names the incident's pinned calendar version for
// show and reports: "calendar 2026.1 (rickar/cal v2.1.13, years
// 2020–2035)". User closures are named per obligation (Obligation.Calendar),
// since each counts on the user calendar in force at its own anchor.
func (g *Regulatory) CalendarDescription() string {
	v := g.CalendarVersion()
	if d, ok := calendardata.Lookup(v); ok {
		return d.String()
	}
	return "calendar " + v + " (unknown to this binary: weekends only)"
}
