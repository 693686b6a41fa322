package calendars_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/calendars"
	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/domain/calendardata"
)

// A released calendar version never changes: regenerating it from
// rickar/cal (in memory) gives the committed file byte for byte. When this
// fails after upgrading rickar/cal, do not regenerate the old version:
// add a new one to calendars.Frozen and run "go run ./calendars/gen".
func TestFrozenVersionsRegenerate(t *testing.T) {
	frozen := calendars.Frozen()
	if got, want := len(frozen), len(calendardata.Versions()); got != want {
		t.Fatalf("calendars.Frozen has %d versions, domain/calendardata %d", got, want)
	}
	for i, v := range frozen {
		got, err := calendars.Generate(v.Name, v.First, v.Last)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "domain", "calendardata", calendars.FileName(v.Name))
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v (go run ./calendars/gen writes a new version)", path, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("regenerating calendar %s changes %s: a released version is frozen; add a new version instead", v.Name, path)
		}
		dv := calendardata.Versions()[i]
		if dv.Name != v.Name || dv.FirstYear != v.First || dv.LastYear != v.Last || dv.Source != "rickar/cal "+calendars.RickarCal {
			t.Errorf("calendardata version %d is %+v, the generator's %+v", i, dv, v)
		}
	}
}

// The generator says which rickar/cal it read: the one in go.mod.
func TestRickarCalVersion(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`github.com/rickar/cal/v2 (v\S+)`).FindSubmatch(mod)
	if m == nil || string(m[1]) != calendars.RickarCal {
		t.Errorf("go.mod requires rickar/cal %s, calendars.RickarCal is %s", m, calendars.RickarCal)
	}
}

// The frozen tables say what the live rickar/cal says for every day of
// every year they cover, in every jurisdiction, and the same zones.
func TestFrozenMatchesLive(t *testing.T) {
	live := calendars.New(nil)
	v := calendardata.Versions()[0]
	js := append(calendars.Jurisdictions(), "SG", "FI", "US-CA", "US-TX", "XX", "")
	for _, j := range js {
		lc, fc := live.Calendar(j), domain.CalendarOf(v.Name, j, nil)
		if lc.Location().String() != fc.Location().String() {
			t.Errorf("%s: zone %s, live %s", j, fc.Location(), lc.Location())
		}
		for d := time.Date(v.FirstYear, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() <= v.LastYear; d = d.AddDate(0, 0, 1) {
			lw, lok := lc.Closed(d)
			fw, fok := fc.Closed(d)
			if lw != fw || lok != fok {
				t.Fatalf("%s %s: frozen %q %v, live %q %v", j, d.Format("2006-01-02"), fw, fok, lw, lok)
			}
		}
	}
}

// Hand-checked days of calendar 2026.1, and its name.
func TestFrozenDays(t *testing.T) {
	tests := []struct {
		j, day string
		closed bool
		why    string
	}{
		{"US", "2026-07-03", true, "Independence Day"}, // 4 July 2026 is a Saturday: observed Friday
		{"US", "2026-11-26", true, "Thanksgiving Day"}, // fourth Thursday of November 2026
		{"DE", "2026-10-03", true, "Saturday"},         // Tag der Deutschen Einheit on a Saturday: the weekend says why
		{"DE", "2027-10-04", false, ""},
		{"FR", "2030-07-15", false, ""},
		{"FR", "2030-07-14", true, "Sunday"},
		{"GB", "2035-12-25", true, "Christmas Day"},
	}
	for _, tt := range tests {
		why, closed := domain.CalendarOf("2026.1", tt.j, nil).Closed(day(t, tt.day))
		if closed != tt.closed || why != tt.why {
			t.Errorf("%s %s: %q %v, want %q %v", tt.j, tt.day, why, closed, tt.why, tt.closed)
		}
	}
	if got, want := domain.CalendarOf("2026.1", "DE", nil).Name(), "DE (rickar/cal de, calendar 2026.1)"; got != want {
		t.Errorf("name %q, want %q", got, want)
	}
	if got := calendardata.Versions()[0].String(); got != "calendar 2026.1 (rickar/cal v2.1.13, years 2020–2035)" {
		t.Errorf("version %q", got)
	}
	// Out of the range the tables cover, only weekends are known: a
	// 2036 Christmas is not counted.
	if _, closed := domain.CalendarOf("2026.1", "GB", nil).Closed(day(t, "2036-12-25")); closed {
		t.Error("2036-12-25 closed in GB, outside calendar 2026.1's years")
	}
	if !strings.Contains(domain.CalendarOf("2027.9", "GB", nil).Name(), "unknown calendar version") {
		t.Error("an unknown version does not say so")
	}
}
