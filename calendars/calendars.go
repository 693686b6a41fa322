// Package calendars is the home of the frozen calendar generator: it
// reads each jurisdiction's zone and public holidays from
// github.com/rickar/cal/v2 (no hand-typed holiday lists) and writes them,
// once per version, as data into domain/calendardata (Generate; go run
// ./calendars/gen). The domain never calls rickar/cal: due dates count on
// the frozen tables an incident pins, so upgrading rickar/cal cannot move a
// past due date (TestFrozenVersionsRegenerate fails instead).
//
// Source is the live rickar/cal calendar the tables are generated from,
// kept for tests that compare the two. User closing days are recorded on
// the ledger ("breachledger calendar set", domain.ParseClosures).
package calendars

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // the same zone rules on every machine

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/ch"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/ecb"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"
	"github.com/rickar/cal/v2/sk"
	"github.com/rickar/cal/v2/us"

	"github.com/breachledger/breachledger/domain"
)

// country is what rickar/cal publishes for one country: its zone and its
// national public holidays.
type country struct {
	zone     string
	holidays []*cal.Holiday
	source   string
}

// countries maps ISO 3166-1 alpha-2 codes to their calendar. A country
// with several zones gets its capital's; US states have their own below.
var countries = map[string]country{
	"AT": {"Europe/Vienna", at.Holidays, "at"},
	"BE": {"Europe/Brussels", be.Holidays, "be"},
	"BG": {"Europe/Sofia", bg.Holidays, "bg"},
	"BR": {"America/Sao_Paulo", br.Holidays, "br"},
	"CA": {"America/Toronto", ca.Holidays, "ca"},
	"CH": {"Europe/Zurich", ch.Holidays, "ch"},
	"CZ": {"Europe/Prague", cz.Holidays, "cz"},
	"DE": {"Europe/Berlin", de.Holidays, "de"},
	"DK": {"Europe/Copenhagen", dk.Holidays, "dk"},
	"ES": {"Europe/Madrid", es.Holidays, "es"},
	"FR": {"Europe/Paris", fr.Holidays, "fr"},
	"GB": {"Europe/London", gb.Holidays, "gb"},
	"GR": {"Europe/Athens", gr.Holidays, "gr"},
	"HR": {"Europe/Zagreb", hr.Holidays, "hr"},
	"IE": {"Europe/Dublin", ie.Holidays, "ie"},
	"IT": {"Europe/Rome", it.Holidays, "it"},
	"LT": {"Europe/Vilnius", lt.Holidays, "lt"},
	"LV": {"Europe/Riga", lv.Holidays, "lv"},
	"NL": {"Europe/Amsterdam", nl.Holidays, "nl"},
	"NO": {"Europe/Oslo", no.Holidays, "no"},
	"PL": {"Europe/Warsaw", pl.Holidays, "pl"},
	"RO": {"Europe/Bucharest", ro.Holidays, "ro"},
	"SE": {"Europe/Stockholm", se.Holidays, "se"},
	"SI": {"Europe/Ljubljana", si.Holidays, "si"},
	"SK": {"Europe/Bratislava", sk.Holidays, "sk"},
	"US": {"America/New_York", us.Holidays, "us"},
	// EU-level obligations with no Member State recorded count on the
	// TARGET2 closing days the ECB publishes.
	"EU": {"Europe/Brussels", ecb.Holidays, "ecb"},
}

// zonesOnly are jurisdictions whose zone is known but whose holidays
// rickar/cal does not publish: they count weekends only, and say so.
var zonesOnly = map[string]string{
	"SG": "Asia/Singapore", "FI": "Europe/Helsinki", "PT": "Europe/Lisbon", "LU": "Europe/Luxembourg", "EE": "Europe/Tallinn",
	"HU": "Europe/Budapest", "CY": "Asia/Nicosia", "MT": "Europe/Malta", "IS": "Atlantic/Reykjavik", "LI": "Europe/Vaduz",
	"IN": "Asia/Kolkata", "AU": "Australia/Sydney", "JP": "Asia/Tokyo", "KR": "Asia/Seoul",
}

// usStateZones are the zones of US states whose clocks are not New York's
// (a state spanning zones gets its most populous one). US states count the
// federal holidays; state holidays are not in rickar/cal.
var usStateZones = map[string]string{
	"CA": "America/Los_Angeles", "WA": "America/Los_Angeles", "OR": "America/Los_Angeles", "NV": "America/Los_Angeles",
	"AZ": "America/Phoenix", "CO": "America/Denver", "UT": "America/Denver", "NM": "America/Denver", "MT": "America/Denver",
	"ID": "America/Boise", "WY": "America/Denver", "TX": "America/Chicago", "IL": "America/Chicago", "MN": "America/Chicago",
	"WI": "America/Chicago", "MO": "America/Chicago", "IA": "America/Chicago", "LA": "America/Chicago", "AL": "America/Chicago",
	"MS": "America/Chicago", "AR": "America/Chicago", "OK": "America/Chicago", "KS": "America/Chicago", "NE": "America/Chicago",
	"SD": "America/Chicago", "ND": "America/Chicago", "TN": "America/Chicago", "AK": "America/Anchorage", "HI": "Pacific/Honolulu",
}

// Closures are extra closing days from a user calendar file, by
// jurisdiction ("*" for every jurisdiction) and day.
type Closures map[string]map[civilDate]string

type civilDate struct {
	y int
	m time.Month
	d int
}

// Len returns the number of closing days.
func (c Closures) Len() int {
	n := 0
	for _, days := range c {
		n += len(days)
	}
	return n
}

// ParseClosures reads a user calendar file: one closing day per line,
//
//	JURISDICTION YYYY-MM-DD what it is
//
// with "*" as the jurisdiction for a day closed everywhere; blank lines and
// lines starting with # are ignored. Every bad line is reported.
func ParseClosures(r io.Reader) (Closures, error) {
	c := Closures{}
	sc := bufio.NewScanner(r)
	var errs []string
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) < 2 {
			errs = append(errs, fmt.Sprintf("line %d: want JURISDICTION YYYY-MM-DD [what]", line))
			continue
		}
		j := strings.ToUpper(fields[0])
		if j != "*" && !validCode(j) {
			errs = append(errs, fmt.Sprintf("line %d: %q is not a jurisdiction code (DE, US-CA) or *", line, fields[0]))
			continue
		}
		t, err := time.Parse("2006-01-02", fields[1])
		if err != nil {
			errs = append(errs, fmt.Sprintf("line %d: %q is not a date (YYYY-MM-DD)", line, fields[1]))
			continue
		}
		what := strings.Join(fields[2:], " ")
		if what == "" {
			what = "closing day (calendar file)"
		}
		if c[j] == nil {
			c[j] = map[civilDate]string{}
		}
		y, m, d := t.Date()
		c[j][civilDate{y, m, d}] = what
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read calendar file: %w", err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("calendar file: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

func validCode(j string) bool {
	country, sub, hasSub := strings.Cut(j, "-")
	if len(country) != 2 || strings.ToUpper(country) != country {
		return false
	}
	return !hasSub || (len(sub) >= 1 && len(sub) <= 3)
}

// Source is the live calendars of rickar/cal, with closures.
type Source struct {
	closures Closures
}

// New returns the calendars, with extra closing days.
func New(c Closures) *Source { return &Source{closures: c} }

// Fingerprint identifies these calendars: the holiday source and every
// user closure, in order.
func (s *Source) Fingerprint() string {
	h := sha256.New()
	var js []string
	for j := range s.closures {
		js = append(js, j)
	}
	sort.Strings(js)
	for _, j := range js {
		var days []civilDate
		for d := range s.closures[j] {
			days = append(days, d)
		}
		sort.Slice(days, func(a, b int) bool {
			x, y := days[a], days[b]
			return x.y < y.y || x.y == y.y && (x.m < y.m || x.m == y.m && x.d < y.d)
		})
		for _, d := range days {
			fmt.Fprintf(h, "%s %04d-%02d-%02d\n", j, d.y, d.m, d.d)
		}
	}
	return fmt.Sprintf("rickar/cal v2; closures sha256:%x", h.Sum(nil))
}

// Calendar returns the live calendar of a jurisdiction.
func (s *Source) Calendar(jurisdiction string) domain.Calendar {
	j := strings.ToUpper(strings.TrimSpace(jurisdiction))
	c := &Calendar{jurisdiction: j}
	countryCode, state, _ := strings.Cut(j, "-")
	switch ct, ok := countries[countryCode]; {
	case j == "":
		c.loc, c.name = time.UTC, "UTC"
	case ok:
		c.loc = mustZone(ct.zone)
		c.holidays = &cal.Calendar{Name: countryCode, Holidays: ct.holidays}
		c.name = fmt.Sprintf("%s (rickar/cal %s)", j, ct.source)
		if countryCode == "US" && state != "" {
			if z, ok := usStateZones[state]; ok {
				c.loc = mustZone(z)
			}
			c.name = fmt.Sprintf("%s (rickar/cal us: federal holidays)", j)
		}
	default:
		zone, ok := zonesOnly[countryCode]
		if !ok {
			c.loc, c.name = time.UTC, j+" (no calendar: weekends only, UTC)"
			break
		}
		c.loc, c.name = mustZone(zone), j+" (no holiday table: weekends only)"
	}
	for _, key := range []string{j, countryCode, "*"} {
		for day, what := range s.closures[key] {
			if c.closed == nil {
				c.closed = map[civilDate]string{}
			}
			if _, seen := c.closed[day]; !seen {
				c.closed[day] = what
			}
		}
	}
	if n := len(c.closed); n > 0 {
		c.name += fmt.Sprintf(" + %d closing day(s) from the calendar file", n)
	}
	return c
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("calendars: zone %s: %v (time/tzdata is embedded, so this is a typo)", name, err))
	}
	return loc
}

// Calendar is one jurisdiction's working-day calendar.
type Calendar struct {
	jurisdiction string
	name         string
	loc          *time.Location
	holidays     *cal.Calendar
	closed       map[civilDate]string
}

// Name implements domain.Calendar.
func (c *Calendar) Name() string { return c.name }

// Location implements domain.Calendar.
func (c *Calendar) Location() *time.Location { return c.loc }

// Closed implements domain.Calendar: weekends, the jurisdiction's public
// holidays on the day they are observed, and user closing days.
func (c *Calendar) Closed(t time.Time) (string, bool) {
	local := t.In(c.loc)
	y, m, d := local.Date()
	if what, ok := c.closed[civilDate{y, m, d}]; ok {
		return what, true
	}
	if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return wd.String(), true
	}
	if c.holidays != nil {
		// rickar/cal compares the calendar date only; noon UTC on that date
		// avoids any zone shift.
		if _, observed, h := c.holidays.IsHoliday(time.Date(y, m, d, 12, 0, 0, 0, time.UTC)); observed && h != nil {
			return h.Name, true
		}
	}
	return "", false
}

// Jurisdictions lists the jurisdictions with a holiday table, sorted.
func Jurisdictions() []string {
	var out []string
	for j := range countries {
		out = append(out, j)
	}
	sort.Strings(out)
	return out
}
