package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"detec", "detect", 1}, {"kitten", "sitting", 3}, {"stage", "", 5}, {"ä", "a", 1},
		{"gdrp", "gdpr", 1}, // an adjacent transposition is one edit
		{"ca", "abc", 3},    // optimal string alignment: no edit of a transposed pair
	} {
		if got := EditDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNearest(t *testing.T) {
	regimes := []string{"processor commitment", "GDPR", "UK GDPR", "NIS2", "DORA", "SEC", "HIPAA"}
	for _, tt := range []struct {
		in    string
		names []string
		want  []string
	}{
		{"GDRP", regimes, []string{"GDPR"}},
		{"gpdr", regimes, []string{"GDPR"}},
		{"nis", regimes, []string{"NIS2"}},
		{"FOO", regimes, nil},
		{"2026", []string{"2025.1", "2026.1", "2026.2"}, []string{"2026.1", "2026.2"}},
		{"overdu", []string{"pending", "due-soon", "overdue", "met", "met-late"}, []string{"overdue"}},
		{"", regimes, nil},
	} {
		if got := Nearest(tt.in, tt.names); !slices.Equal(got, tt.want) {
			t.Errorf("Nearest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestUnknownRegime: a --regime value is known when it can select some rule
// of some shipped pack the way the deadline view selects (RegimeMatches).
func TestUnknownRegime(t *testing.T) {
	for _, v := range []string{"GDPR", "gdpr", "UK GDPR", "uk gdpr", "processor commitment", "nis2", "gdpr-art33", "GDPR-ART33", "gdpr-art33-2", "sec-8k", "uk", "hipaa-hhs", " DORA "} {
		if fe := UnknownRegime("--regime", v); fe != nil {
			t.Errorf("%q: %v", v, fe)
		}
	}
	for _, tt := range []struct{ v, near string }{
		{"FOO", ""}, {"GDRP", `did you mean "GDPR"?`}, {"gdpr-art33/FR", `did you mean "gdpr-art33"`}, {"gdpr-art", `"gdpr-art33"`}, {"art33", ""},
	} {
		fe := UnknownRegime("--regime", tt.v)
		if fe == nil {
			t.Errorf("%q: accepted", tt.v)
			continue
		}
		msg := fe.Error()
		for _, want := range []string{`--regime "` + tt.v + `": unknown regime or rule`, "valid regimes: processor commitment, GDPR, UK GDPR, NIS2, DORA, SEC, HIPAA, California, NYDFS, LGPD, PDPA", "gdpr-art33, gdpr-art34", "sg-pdpc", tt.near} {
			if !strings.Contains(msg, want) {
				t.Errorf("%q: %q lacks %q", tt.v, msg, want)
			}
		}
		if tt.near == "" && strings.Contains(msg, "did you mean") {
			t.Errorf("%q: %q suggests a value that is not near", tt.v, msg)
		}
		if !errors.Is(fe, ErrInvalid) {
			t.Errorf("%q: not ErrInvalid", tt.v)
		}
	}
	// Every regime and rule of every pack is listed, and each is accepted.
	n := 0
	for _, p := range Packs() {
		n += len(p.Rules)
		for _, r := range p.Rules {
			if !slices.Contains(Regimes(), r.Regime) || !slices.Contains(RuleIDs(), r.ID) {
				t.Errorf("%s/%s: not listed", r.Regime, r.ID)
			}
		}
	}
	if len(RuleIDs()) == 0 || len(RuleIDs()) > n {
		t.Errorf("%d rule IDs from %d rules", len(RuleIDs()), n)
	}
}

func TestUnknownPackAndStatus(t *testing.T) {
	if fe := UnknownPack("pack", CurrentPack().Version); fe != nil {
		t.Errorf("current pack: %v", fe)
	}
	if got, want := UnknownPack("--pack", "2026").Error(), `--pack "2026": unknown rule pack; did you mean "2026.1" or "2026.2"? (allowed: 2025.1, 2026.1, 2026.2)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := UnknownPack("--pack", "9").Error(), `--pack "9": unknown rule pack (allowed: 2025.1, 2026.1, 2026.2)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, s := range Statuses() {
		if got, err := ParseStatus(string(s)); err != nil || got != s {
			t.Errorf("ParseStatus(%q) = %q, %v", s, got, err)
		}
	}
	_, err := ParseStatus("overdu")
	if want := `status "overdu": unknown value; did you mean "overdue"? (allowed: pending, due-soon, overdue, met, met-late, held, waived)`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// TestNoSuchObligation: an obligation the incident does not hold is not
// found (exit 3), naming those it holds, the nearest first.
func TestNoSuchObligation(t *testing.T) {
	obs := []Obligation{{ID: "gdpr-art33/DE", Rule: "gdpr-art33"}, {ID: "gdpr-art33/FR", Rule: "gdpr-art33"}, {ID: "customer-notice/contoso", Rule: "customer-notice"}}
	for _, tt := range []struct {
		id    string
		obs   []Obligation
		rules bool
		want  string
	}{
		{"gdpr-art33/XX", obs, false, `obligation "gdpr-art33/XX" not found; did you mean "gdpr-art33/DE" or "gdpr-art33/FR"? obligations of this incident: gdpr-art33/DE, gdpr-art33/FR, customer-notice/contoso`},
		{"nis2-final", obs, true, `obligation "nis2-final" not found; obligations of this incident: gdpr-art33/DE, gdpr-art33/FR, customer-notice/contoso (or their rule IDs)`},
		{"gdpr-art33/XX", nil, false, `obligation "gdpr-art33/XX" not found; this incident has no obligations running ("breachledger deadlines INCIDENT" lists its clocks)`},
	} {
		err := noSuchObligation(tt.id, tt.obs, tt.rules)
		if err.Error() != tt.want {
			t.Errorf("got  %q\nwant %q", err.Error(), tt.want)
		}
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%q: not ErrNotFound", tt.id)
		}
	}
}
