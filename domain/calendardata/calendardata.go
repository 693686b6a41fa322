// Package calendardata holds the frozen calendar versions: for each
// version, every jurisdiction's time zone and the days its public holidays
// are observed, over a stated range of years. The tables are data, written
// once by the generator (go run ./calendars/gen, from github.com/rickar/cal)
// and never edited: a released version must give the same due dates
// forever, whatever version of rickar/cal the binary is built with
// (calendars.TestFrozenVersionsRegenerate fails if regenerating one
// changes it). A new holiday table is a new version.
//
// The package is pure, like domain: constants and switches, no variables.
package calendardata

import (
	"strings"
	_ "time/tzdata" // the zones of the tables, on every machine
)

// Version describes one frozen calendar version.
type Version struct {
	Name      string // "2026.1"
	Source    string // where the holidays come from: "rickar/cal v2.1.13"
	FirstYear int    // the first year the tables cover
	LastYear  int    // the last year the tables cover
}

// Covers reports whether the tables cover year.
func (v Version) Covers(year int) bool { return year >= v.FirstYear && year <= v.LastYear }

// String names the version for people: "calendar 2026.1 (rickar/cal
// v2.1.13, years 2020–2035)".
func (v Version) String() string {
	return "calendar " + v.Name + " (" + v.Source + ", years " + itoa(v.FirstYear) + "–" + itoa(v.LastYear) + ")"
}

// Country is what a version knows of one country (or "EU"): its zone,
// where its holidays come from ("" when only the zone is known), and its
// observed public holidays, one "\nYYYY-MM-DD name" line each.
type Country struct {
	Zone     string
	Source   string
	Holidays string
}

// Holiday returns the name of the public holiday observed on the date
// "YYYY-MM-DD", if any.
func (c Country) Holiday(date string) (string, bool) {
	i := strings.Index(c.Holidays, "\n"+date+" ")
	if i < 0 {
		return "", false
	}
	rest := c.Holidays[i+len(date)+2:]
	if j := strings.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	return rest, true
}

// Versions lists the frozen versions, oldest first. The first is the
// version of incidents recorded before versions were pinned.
func Versions() []Version {
	return []Version{v2026_1()}
}

// Lookup returns the version named name.
func Lookup(name string) (Version, bool) {
	for _, v := range Versions() {
		if v.Name == name {
			return v, true
		}
	}
	return Version{}, false
}

// CountryOf returns what version knows of a country (ISO 3166-1 alpha-2,
// or "EU"), and whether it knows it at all.
func CountryOf(version, country string) (Country, bool) {
	switch version {
	case v2026_1Name:
		return v2026_1Country(country)
	}
	return Country{}, false
}

// StateZone returns the zone of a US state in version, when it is not New
// York's.
func StateZone(version, state string) (string, bool) {
	switch version {
	case v2026_1Name:
		return v2026_1StateZone(state)
	}
	return "", false
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
