package domain

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// A Calendar says, for one jurisdiction, in which zone its days begin and
// end and which days are not working days (weekends, public holidays, user
// closures). The domain only defines the interface: the implementations,
// built from published holiday tables, live outside it (package calendars)
// and are installed with UseCalendars, the way database/sql drivers are.
type Calendar interface {
	// Name names the calendar and the source of its holidays, e.g.
	// "DE (rickar/cal de, national)".
	Name() string
	// Location is the zone in which the jurisdiction's days run.
	Location() *time.Location
	// Closed reports whether the day that contains t, read in Location, is
	// not a working day, and why ("Saturday", "Independence Day", ...).
	Closed(t time.Time) (why string, closed bool)
}

// CalendarSource returns the calendar of a jurisdiction code: an ISO
// 3166-1 alpha-2 country, optionally with a subdivision ("DE", "US-CA"),
// or "EU"/"EEA". It never returns nil.
type CalendarSource interface {
	Calendar(jurisdiction string) Calendar
}

var (
	calMu     sync.RWMutex
	calSource CalendarSource = weekendSource{}
)

// UseCalendars installs the calendars obligations are computed on. The
// program calls it once at start (package calendars does it on import);
// without it every jurisdiction runs on UTC with Saturday and Sunday closed
// and no holidays.
func UseCalendars(src CalendarSource) {
	calMu.Lock()
	defer calMu.Unlock()
	if src == nil {
		src = weekendSource{}
	}
	calSource = src
}

// CalendarFingerprint identifies the installed calendars, so that results
// kept from an evaluation (read models) are not reused on other calendars
// (another user calendar file). A source may say what it is by a
// Fingerprint() string method; otherwise its type names it.
func CalendarFingerprint() string {
	calMu.RLock()
	defer calMu.RUnlock()
	if f, ok := calSource.(interface{ Fingerprint() string }); ok {
		return f.Fingerprint()
	}
	return fmt.Sprintf("%T", calSource)
}

// CalendarFor returns the installed calendar of a jurisdiction.
func CalendarFor(jurisdiction string) Calendar {
	calMu.RLock()
	defer calMu.RUnlock()
	return calSource.Calendar(jurisdiction)
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

type weekendSource struct{}

func (weekendSource) Calendar(j string) Calendar { return WeekendCalendar{Jurisdiction: j} }

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

// Units lists every unit.
var Units = []Unit{UnitHours, UnitCalendarDays, UnitBusinessDays, UnitMonths}

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
		day := due.In(loc)
		for {
			day = time.Date(day.Year(), day.Month(), day.Day()+1, 12, 0, 0, 0, loc)
			if _, c := cal.Closed(day); !c {
				break
			}
		}
		return EndOfDay(day, loc), fmt.Sprintf("falls on %s (%s): end of the next working day, Reg. 1182/71 Art. 3(4)", due.In(loc).Format("Mon 2006-01-02"), why)
	case RollNoonNextWorkingDay:
		why, closed := cal.Closed(due)
		if !closed {
			return due, ""
		}
		day := due.In(loc)
		for {
			day = time.Date(day.Year(), day.Month(), day.Day()+1, 12, 0, 0, 0, loc)
			if _, c := cal.Closed(day); !c {
				break
			}
		}
		return day, fmt.Sprintf("falls on %s (%s): noon of the next working day, Delegated Reg. (EU) 2025/301 Art. 5(4)", due.In(loc).Format("Mon 2006-01-02"), why)
	}
	return due, ""
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
