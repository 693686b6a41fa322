package calendars_test

import (
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/calendars"
	"github.com/breachledger/breachledger/domain"
)

func day(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		t.Fatal(err)
	}
	return d.Add(12 * time.Hour)
}

// Holidays come from rickar/cal, on the day they are observed.
func TestClosedDays(t *testing.T) {
	src := calendars.New(nil)
	tests := []struct {
		jurisdiction, day string
		closed            bool
		why               string
	}{
		{"US", "2025-07-04", true, "Independence Day"},
		{"US", "2025-07-03", false, ""},
		{"US", "2026-07-03", true, "Independence Day"}, // 4 July 2026 is a Saturday: observed Friday
		{"US", "2025-11-27", true, "Thanksgiving Day"},
		{"US", "2025-11-28", false, ""}, // the day after is not a federal holiday
		{"US-CA", "2025-12-25", true, "Christmas Day"},
		{"DE", "2025-10-03", true, "Tag der Deutschen Einheit"},
		{"DE", "2025-10-31", false, ""}, // Reformationstag is regional, not national
		{"FR", "2025-07-14", true, "Fête Nationale"},
		{"GB", "2025-08-25", true, "Summer Bank Holiday"},
		{"BR", "2025-04-21", true, "Tiradentes"},
		{"BR", "2025-11-20", false, ""}, // Consciência Negra (national since 2024) is not in rickar/cal: see TestUserClosures
		{"DE", "2025-09-06", true, "Saturday"},
		{"SG", "2025-12-28", true, "Sunday"},
		{"XX", "2025-12-25", false, ""}, // no calendar: weekends only
	}
	for _, tt := range tests {
		c := src.Calendar(tt.jurisdiction)
		why, closed := c.Closed(day(t, tt.day))
		if closed != tt.closed || (tt.why != "" && why != tt.why) {
			t.Errorf("%s %s: closed %v (%q), want %v (%q)", tt.jurisdiction, tt.day, closed, why, tt.closed, tt.why)
		}
	}
	for j, zone := range map[string]string{"": "UTC", "US": "America/New_York", "US-CA": "America/Los_Angeles", "DE": "Europe/Berlin", "SG": "Asia/Singapore", "BR": "America/Sao_Paulo"} {
		if got := src.Calendar(j).Location().String(); got != zone {
			t.Errorf("%q zone %s, want %s", j, got, zone)
		}
	}
}

// A user calendar file adds closing days that rickar/cal does not know.
func TestUserClosures(t *testing.T) {
	closures, err := calendars.ParseClosures(strings.NewReader(`
# Dia Nacional de Zumbi e da Consciência Negra, national holiday since Lei 14.759/2023
BR 2025-11-20 Consciência Negra
* 2025-12-24 office closed everywhere
`))
	if err != nil {
		t.Fatal(err)
	}
	if closures.Len() != 2 {
		t.Fatalf("%d closures, want 2", closures.Len())
	}
	from := time.Date(2025, 11, 18, 13, 0, 0, 0, time.UTC) // Tue 10:00 in São Paulo
	for _, tt := range []struct {
		name     string
		closures calendars.Closures
		want     string
	}{
		// Wed 19 (1), Thu 20 (2), Fri 21 (3)
		{"rickar/cal alone", nil, "2025-11-21T23:59:59-03:00"},
		// Wed 19 (1), Thu 20 closed, Fri 21 (2), Mon 24 (3)
		{"with the calendar file", closures, "2025-11-24T23:59:59-03:00"},
	} {
		c := calendars.New(tt.closures).Calendar("BR")
		if got := domain.AddPeriod(from, domain.BusinessDays(3), false, c).Format(time.RFC3339); got != tt.want {
			t.Errorf("%s: 3 working days from %s = %s, want %s", tt.name, from, got, tt.want)
		}
	}
	if why, closed := calendars.New(closures).Calendar("US").Closed(day(t, "2025-12-24")); !closed || why != "office closed everywhere" {
		t.Errorf("a * closure: %v %q", closed, why)
	}
	if !strings.Contains(calendars.New(closures).Calendar("BR").Name(), "closing day") {
		t.Errorf("the calendar's name does not say it has closures from the file")
	}
	for _, bad := range []string{"BR", "Brazil 2025-11-20 x", "BR 20-11-2025 x"} {
		if _, err := calendars.ParseClosures(strings.NewReader(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// Periods on real calendars: units kept apart, clock changes, month ends.
func TestAddPeriod(t *testing.T) {
	src := calendars.New(nil)
	tests := []struct {
		name     string
		from     string
		p        domain.Period
		endOfDay bool
		j        string
		want     string
	}{
		{"hours ignore the weekend and the clock change", "2025-03-28T12:00:00Z", domain.Hours(72), false, "DE", "2025-03-31T14:00:00+02:00"},
		{"calendar days end at the end of the day, across DST", "2026-02-20T18:00:00Z", domain.CalendarDays(30), false, "US-CA", "2026-03-22T23:59:59-07:00"},
		{"business days skip a holiday", "2025-07-02T19:00:00Z", domain.BusinessDays(4), false, "US", "2025-07-09T23:59:59-04:00"},
		{"a month at the month end clamps", "2025-01-31T10:00:00Z", domain.Months(1), true, "DE", "2025-02-28T23:59:59+01:00"},
		{"a month keeps the wall clock", "2025-09-03T10:00:00Z", domain.Months(1), false, "DE", "2025-10-03T12:00:00+02:00"},
		{"a month over the year end", "2025-12-15T10:00:00Z", domain.Months(1), false, "FR", "2026-01-15T11:00:00+01:00"},
	}
	for _, tt := range tests {
		from, err := time.Parse(time.RFC3339, tt.from)
		if err != nil {
			t.Fatal(err)
		}
		c := src.Calendar(tt.j)
		if got := domain.AddPeriod(from, tt.p, tt.endOfDay, c).In(c.Location()).Format(time.RFC3339); got != tt.want {
			t.Errorf("%s: %s + %s = %s, want %s", tt.name, tt.from, tt.p, got, tt.want)
		}
	}
	// Roll-over: Reg. 1182/71 Art. 3(4) carries days, never hours.
	c := src.Calendar("DE")
	sat := time.Date(2025, 10, 4, 23, 59, 59, 0, c.Location())
	if got, why := domain.Roll(sat, domain.RollNextWorkingDay, domain.UnitCalendarDays, c); got.Format(time.RFC3339) != "2025-10-06T23:59:59+02:00" || why == "" {
		t.Errorf("days ending Saturday roll to %s (%q), want the end of Monday", got.Format(time.RFC3339), why)
	}
	if got, _ := domain.Roll(sat, domain.RollNextWorkingDay, domain.UnitHours, c); !got.Equal(sat) {
		t.Errorf("hours rolled over to %s", got)
	}
}
