package domain

import (
	"fmt"
	"strings"
	"time"

	"github.com/breachledger/breachledger/domain/calendardata"
)

// A Calendar says, for one jurisdiction, in which zone its days begin and
// end and which days are not working days (weekends, public holidays, user
// closures). Calendars are data, never process state: the public holidays
// come from a frozen calendar version (package calendardata, generated
// once from rickar/cal and never changed), which each incident pins like
// its rule pack (Regulatory.CalendarVersion), and the user closures from
// the ledger ("calendar set", carried in Settings). Two readers of one
// ledger therefore count on the same days, whatever files or library
// versions they have.
type Calendar interface {
	// Name names the calendar, its version and the source of its
	// holidays, e.g. "DE (rickar/cal de, calendar 2026.1)".
	Name() string
	// Location is the zone in which the jurisdiction's days run.
	Location() *time.Location
	// Closed reports whether the day that contains t, read in Location, is
	// not a working day, and why ("Saturday", "Independence Day", ...).
	Closed(t time.Time) (why string, closed bool)
}

// CalendarVersions lists the frozen calendar versions, oldest first.
func CalendarVersions() []calendardata.Version { return calendardata.Versions() }

// DefaultCalendarVersion is the version of an incident that pins none:
// every incident recorded before calendars were pinned, and every
// incident detected while it is also the current version (a detection
// records a calendar version only when it is not this one, so that
// detections recorded before pins decide again the same: Redecide).
func DefaultCalendarVersion() string { return calendardata.Versions()[0].Name }

// CurrentCalendarVersion is the newest frozen version: new incidents pin it.
func CurrentCalendarVersion() string {
	vs := calendardata.Versions()
	return vs[len(vs)-1].Name
}

// CalendarVersion describes a frozen version, e.g. "calendar 2026.1
// (rickar/cal v2.1.13, years 2020–2035)".
func CalendarVersion(name string) (calendardata.Version, bool) { return calendardata.Lookup(name) }

// CalendarOf returns the calendar of jurisdiction j (ISO 3166-1 alpha-2,
// optionally with a subdivision: "DE", "US-CA"; "EU"; "" for UTC) in the
// frozen version, with the closing days of user (nil: none). An unknown
// version counts weekends only, and says so.
func CalendarOf(version, j string, user *UserCalendar) Calendar {
	j = normalizeJurisdiction(j)
	c := &frozenCalendar{loc: time.UTC}
	v, ok := calendardata.Lookup(version)
	if !ok {
		c.name = j + " (unknown calendar version " + version + ": weekends only, UTC)"
		return c
	}
	c.version, c.frozen = v, true
	country, state, _ := strings.Cut(j, "-")
	ct, known := calendardata.CountryOf(version, country)
	switch {
	case j == "":
		c.name = "UTC"
	case known && ct.Source != "":
		c.country, c.loc = ct, zone(ct.Zone)
		c.name = j + " (" + ct.Source
		if country == "US" && state != "" {
			if z, ok := calendardata.StateZone(version, state); ok {
				c.loc = zone(z)
			}
			c.name += ": federal holidays"
		}
	case known:
		c.loc, c.name = zone(ct.Zone), j+" (no holiday table: weekends only"
	default:
		c.name = j + " (no calendar: weekends only, UTC"
	}
	if j != "" {
		c.name += ", calendar " + v.Name + ")"
	}
	if c.closed = user.closuresFor(j); len(c.closed) > 0 {
		c.name += fmt.Sprintf(" + %s recorded %s", plural(len(c.closed), "user closing day"), stamp(user.Recorded))
	}
	return c
}

// zone loads a zone of the frozen tables (the tz database is embedded by
// package calendardata, so it is found on every machine).
func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// frozenCalendar is a jurisdiction's calendar in a frozen version.
type frozenCalendar struct {
	version calendardata.Version
	frozen  bool
	country calendardata.Country
	name    string
	loc     *time.Location
	closed  map[string]string // user closing days by YYYY-MM-DD
}

// Name implements Calendar.
func (c *frozenCalendar) Name() string { return c.name }

// Location implements Calendar.
func (c *frozenCalendar) Location() *time.Location { return c.loc }

// Closed implements Calendar: user closing days, weekends, and the
// public holidays of the frozen tables on the day they are observed.
func (c *frozenCalendar) Closed(t time.Time) (string, bool) {
	local := t.In(c.loc)
	date := local.Format("2006-01-02")
	if what, ok := c.closed[date]; ok {
		return what, true
	}
	if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return wd.String(), true
	}
	return c.country.Holiday(date)
}

// uncovered returns, when the frozen tables do not cover every year from
// a to b (so a holiday in them could be missed), what an obligation's
// [VERIFY] says; else "".
func uncovered(cal Calendar, a, b time.Time) string {
	c, ok := cal.(*frozenCalendar)
	if !ok || !c.frozen || c.country.Source == "" {
		return ""
	}
	ya, yb := a.In(c.loc).Year(), b.In(c.loc).Year()
	if c.version.Covers(ya) && c.version.Covers(yb) {
		return ""
	}
	return fmt.Sprintf("%s covers public holidays of years %d–%d only: holidays of %d–%d are not counted", c.version, c.version.FirstYear, c.version.LastYear, ya, yb)
}

// WeekendCalendar closes Saturday and Sunday in a zone and knows no holidays.
type WeekendCalendar struct {
	Jurisdiction string
	Loc          *time.Location
}

// Name implements Calendar.
func (c WeekendCalendar) Name() string {
	if c.Jurisdiction == "" {
		return "weekends only"
	}
	return c.Jurisdiction + " (weekends only)"
}

// Location implements Calendar.
func (c WeekendCalendar) Location() *time.Location {
	if c.Loc == nil {
		return time.UTC
	}
	return c.Loc
}

// Closed implements Calendar.
func (c WeekendCalendar) Closed(t time.Time) (string, bool) {
	switch wd := t.In(c.Location()).Weekday(); wd {
	case time.Saturday, time.Sunday:
		return wd.String(), true
	}
	return "", false
}

// Unit is how a period is counted. The units are kept apart because the
// laws keep them apart (research/regulatory.md §0).
type Unit string

// Units.
const (
	// UnitHours are clock hours: weekends, holidays and clock changes
	// count like any other hour, and a period in hours is never extended
	// (Reg. (EEC, Euratom) No 1182/71 Art. 3(4) covers only periods in
	// days, weeks, months or years).
	UnitHours Unit = "hours"
	// UnitCalendarDays: the day of the anchor is not counted (Reg.
	// 1182/71 Art. 3(1)); the period ends at the end of the last day in
	// the calendar's zone.
	UnitCalendarDays Unit = "calendar-days"
	// UnitBusinessDays are working days of the calendar (business days,
	// dias úteis): weekends and the jurisdiction's public holidays do not
	// count; the day of the anchor is not counted.
	UnitBusinessDays Unit = "business-days"
	// UnitMonths: the same date N months later (the last day of that month
	// when it has no such date, Reg. 1182/71 Art. 3(2)(c)).
	UnitMonths Unit = "months"
)

// Units lists every unit (a fresh slice each call).
func Units() []Unit { return []Unit{UnitHours, UnitCalendarDays, UnitBusinessDays, UnitMonths} }

// Period is a length of time in one unit.
type Period struct {
	N    int  `json:"n"`
	Unit Unit `json:"unit"`
}

// Hours returns a period of n clock hours.
func Hours(n int) Period { return Period{N: n, Unit: UnitHours} }

// CalendarDays returns a period of n calendar days.
func CalendarDays(n int) Period { return Period{N: n, Unit: UnitCalendarDays} }

// BusinessDays returns a period of n business (working) days.
func BusinessDays(n int) Period { return Period{N: n, Unit: UnitBusinessDays} }

// Months returns a period of n calendar months.
func Months(n int) Period { return Period{N: n, Unit: UnitMonths} }

// String writes the period for people: "72h", "60 calendar days",
// "4 business days", "1 month".
func (p Period) String() string {
	switch p.Unit {
	case UnitHours:
		return fmt.Sprintf("%dh", p.N)
	case UnitCalendarDays:
		return plural(p.N, "calendar day")
	case UnitBusinessDays:
		return plural(p.N, "business day")
	case UnitMonths:
		return plural(p.N, "month")
	}
	return fmt.Sprintf("%d %s", p.N, p.Unit)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Rollover says what happens to a time limit that falls on a day that is
// not a working day.
type Rollover string

// Rollovers.
const (
	// RollNone: the limit stays where it falls.
	RollNone Rollover = ""
	// RollNextWorkingDay carries a limit in days or months that ends on a
	// Saturday, Sunday or public holiday to the end of the next working day
	// (Reg. 1182/71 Art. 3(4)); limits in hours are never carried.
	RollNextWorkingDay Rollover = "end-of-next-working-day"
	// RollNoonNextWorkingDay: DORA, Commission Delegated Reg. (EU)
	// 2025/301 Art. 5(4): a limit that falls on a weekend day or bank
	// holiday in the Member State of the reporting entity may be met by
	// noon of the next working day (hours included).
	RollNoonNextWorkingDay Rollover = "noon-next-working-day"
)

// EndOfDay is the last second of the day that contains t, in loc.
func EndOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 23, 59, 59, 0, loc)
}

// AddPeriod returns when a period that starts at anchor ends on cal. Hours
// are added as elapsed time (so a clock change moves the local wall time,
// not the instant); days and business days end at the end of the last day
// in the calendar's zone; months end at the same wall-clock time on the
// same date N months on (clamped to the month's last day), or at the end of
// that day when endOfDay is set.
func AddPeriod(anchor time.Time, p Period, endOfDay bool, cal Calendar) time.Time {
	loc := cal.Location()
	local := anchor.In(loc)
	switch p.Unit {
	case UnitHours:
		return anchor.Add(time.Duration(p.N) * time.Hour)
	case UnitCalendarDays:
		y, m, d := local.Date()
		return EndOfDay(time.Date(y, m, d+p.N, 12, 0, 0, 0, loc), loc)
	case UnitBusinessDays:
		y, m, d := local.Date()
		day := time.Date(y, m, d, 12, 0, 0, 0, loc)
		for counted := 0; counted < p.N; {
			day = time.Date(day.Year(), day.Month(), day.Day()+1, 12, 0, 0, 0, loc)
			if _, closed := cal.Closed(day); !closed {
				counted++
			}
		}
		return EndOfDay(day, loc)
	case UnitMonths:
		y, m, d := local.Date()
		target := time.Date(y, m+time.Month(p.N), 1, 12, 0, 0, 0, loc)
		if last := daysIn(target.Year(), target.Month(), loc); d > last {
			d = last
		}
		if endOfDay {
			return time.Date(target.Year(), target.Month(), d, 23, 59, 59, 0, loc)
		}
		h, mi, s := local.Clock()
		return time.Date(target.Year(), target.Month(), d, h, mi, s, local.Nanosecond(), loc)
	}
	return anchor
}

func daysIn(y int, m time.Month, loc *time.Location) int {
	return time.Date(y, m+1, 0, 12, 0, 0, 0, loc).Day()
}

// Roll applies a roll-over rule to a due time on cal. It returns the new
// due time and, when it moved, why (for the obligation's detail).
func Roll(due time.Time, r Rollover, unit Unit, cal Calendar) (time.Time, string) {
	loc := cal.Location()
	switch r {
	case RollNextWorkingDay:
		if unit == UnitHours {
			return due, ""
		}
		why, closed := cal.Closed(due)
		if !closed {
			return due, ""
		}
		return EndOfDay(nextOpenDay(due, cal), loc), fmt.Sprintf("falls on %s (%s): end of the next working day, Reg. 1182/71 Art. 3(4)", due.In(loc).Format("Mon 2006-01-02"), why)
	case RollNoonNextWorkingDay:
		why, closed := cal.Closed(due)
		if !closed {
			return due, ""
		}
		return nextOpenDay(due, cal), fmt.Sprintf("falls on %s (%s): noon of the next working day, Delegated Reg. (EU) 2025/301 Art. 5(4)", due.In(loc).Format("Mon 2006-01-02"), why)
	}
	return due, ""
}

// nextOpenDay returns noon, in cal's zone, of the first day after t's day
// on which cal is open.
func nextOpenDay(t time.Time, cal Calendar) time.Time {
	loc := cal.Location()
	day := t.In(loc)
	for {
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 12, 0, 0, 0, loc)
		if _, closed := cal.Closed(day); !closed {
			return day
		}
	}
}

// describeWindow writes a rule's offset for the obligation's "window".
func describeWindow(p Period) string {
	if p.Unit == UnitHours {
		return FormatDuration(time.Duration(p.N) * time.Hour)
	}
	return p.String()
}

// normalizeJurisdiction upper-cases and trims a jurisdiction code.
func normalizeJurisdiction(j string) string { return strings.ToUpper(strings.TrimSpace(j)) }
