package domain

import "testing"

// TestLazyRegexpsCompile: every expression compiled on first use compiles,
// and means what it meant when it was compiled at initialisation.
func TestLazyRegexpsCompile(t *testing.T) {
	for _, tt := range []struct {
		re        *lazyRegexp
		match, no string
	}{
		{actorName, "oscar", "Oscar"},
		{uuidRE, "01a24c9b-85ba-768b-9dcb-a826df81f69f", "01a24c9b85ba768b9dcba826df81f69f"},
		{jurisdictionRE, "DE-BY", "de"},
		{sha256RE, "5f0c3a1d2e4b6a8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e", "5f0c"},
		{daysRE, "30d", "30h"},
		{verifierKeyRE, "breachledger/t+3082ae96+AQ6romgZ+6qZ42ioo+CcD/F7KKyYLvOxLv9xKWICMAIP", "breachledger/t"},
		{fingerprintRE, "SHA256:VOhe8OMIOq+LdewULz4Qw48GFcoR89ehjnoHe8jpY30", "SHA256:VOhe"},
		{tokenIDRE, "T12", "T0"},
		{hexHashRE, "5f0c3a1d2e4b6a8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e", "xyz"},
	} {
		if got := tt.re.MatchString(tt.match); !got {
			t.Errorf("%s does not match %q", tt.re.expr, tt.match)
		}
		if got := tt.re.MatchString(tt.no); got {
			t.Errorf("%s matches %q", tt.re.expr, tt.no)
		}
	}
	if got, want := daysRE.FindStringSubmatch("30d12h"), []string{"30d12h", "30", "12h"}; len(got) != 3 || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("daysRE.FindStringSubmatch(30d12h) = %q, want %q", got, want)
	}
}
