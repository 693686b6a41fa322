//go:build !noesdb

package stores_test

import (
	"regexp"
	"testing"

	"github.com/breachledger/breachledger/stores"
)

// TestRankFileName: one name per location (without its password) and
// prefix, a plain file name.
func TestRankFileName(t *testing.T) {
	name := func(loc string) string {
		t.Helper()
		n, err := stores.RankFileName(loc)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^esdb-[0-9a-f]{24}\.ranks\.db$`).MatchString(n) {
			t.Errorf("RankFileName(%s) = %q", loc, n)
		}
		return n
	}
	a := name("esdb://db1:2113?tls=false")
	if b := name("esdb://db1:2113?tls=false&prefix=acme/"); a == b {
		t.Errorf("two prefixes, one rank file %s", a)
	}
	if b := name("esdb://db2:2113?tls=false"); a == b {
		t.Errorf("two servers, one rank file %s", a)
	}
	if name("esdb://u:one@db1:2113?tlsVerifyCert=false") != name("esdb://u:two@db1:2113?tlsVerifyCert=false") {
		t.Errorf("the password changes the rank file")
	}
	if _, err := stores.RankFileName("esdb://u:pw@db1:2113?tls=false"); err == nil {
		t.Errorf("RankFileName of a location Open refuses: no error")
	}
}
