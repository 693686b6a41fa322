package projections_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/projections"
)

// TestRegisterCountsAffected (issue 14): the register counts the people
// and jurisdictions recorded with "affected", not only the scope's
// approximate --subjects and --jurisdiction. Worked by hand on incident A
// of build():
//
//   - scope: ~300 subjects in FR and DE → 300 people (from the scope),
//     jurisdictions DE, FR (sorted);
//   - affected FR=120, IT=7, AT=0 → 120 + 7 + 0 = 127 people (from the
//     counts), jurisdictions DE (scope), FR (both), IT (counted); not AT,
//     whose count is 0.
func TestRegisterCountsAffected(t *testing.T) {
	h := build(t)
	seq := uint64(200)
	add := func(when string, e domain.Event) {
		typ, _, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		h.Add(domain.Fact{ID: fmt.Sprintf("ev-%03d", seq), Sequence: seq, Stream: domain.IncidentStream("A"), Revision: seq, Type: typ, At: at(when), Actor: "sam",
			RecordedAt: at(when).Add(time.Minute), Event: e})
		seq++
	}
	entry := func(asOf string) projections.RegisterEntry {
		t.Helper()
		reg := projections.BuildRegister(h, domain.Cut{AsOf: at(asOf), KnownAt: at("2025-04-01T00:00:00Z")}, testProvenance, "json")
		if len(reg.Entries) != 1 || reg.Entries[0].Incident != "A" {
			t.Fatalf("register as of %s: %+v, want A", asOf, reg.Entries)
		}
		return reg.Entries[0]
	}

	// Before any scope or count: nothing to count.
	if e := entry("2025-03-08T10:00:00Z"); e.Subjects != 0 || e.SubjectsFrom != projections.SubjectsScope || len(e.Jurisdictions) != 0 {
		t.Errorf("before the scope: %d people from %q in %v, want 0 from the scope in none", e.Subjects, e.SubjectsFrom, e.Jurisdictions)
	}
	add("2025-03-10T10:00:00Z", domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam"}, Subjects: 300, Jurisdictions: []string{"FR", "DE"}})
	if e := entry("2025-03-10T12:00:00Z"); e.Subjects != 300 || e.SubjectsFrom != projections.SubjectsScope || !slices.Equal(e.Jurisdictions, []string{"DE", "FR"}) {
		t.Errorf("with the scope only: %d people from %q in %v, want 300 from the scope in DE, FR", e.Subjects, e.SubjectsFrom, e.Jurisdictions)
	}
	add("2025-03-11T10:00:00Z", domain.AffectedRecorded{Counts: []domain.AffectedCount{{Jurisdiction: "AT", Count: 0}, {Jurisdiction: "FR", Count: 120}, {Jurisdiction: "IT", Count: 7}}})
	e := entry("2025-03-11T12:00:00Z")
	if e.Subjects != 127 || e.SubjectsFrom != projections.SubjectsAffected || !slices.Equal(e.Jurisdictions, []string{"DE", "FR", "IT"}) {
		t.Errorf("with affected counts: %d people from %q in %v, want 127 from the counts in DE, FR, IT", e.Subjects, e.SubjectsFrom, e.Jurisdictions)
	}
	// The same in every format: the CSV's subjects and jurisdictions
	// columns, the HTML's "counted" (not "~", the scope's approximation).
	reg := projections.BuildRegister(h, domain.Cut{AsOf: at("2025-03-11T12:00:00Z"), KnownAt: at("2025-04-01T00:00:00Z")}, testProvenance, "csv")
	var b bytes.Buffer
	if err := projections.WriteRegister(&b, reg, projections.FormatCSV); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("register CSV: %v, %d rows", err, len(rows))
	}
	col := func(name string) string { return rows[1][slices.Index(rows[0], name)] }
	if col("subjects") != "127" || col("jurisdictions") != "DE; FR; IT" || col("affected") != "AT=0; FR=120; IT=7" {
		t.Errorf("CSV: subjects %q, jurisdictions %q, affected %q", col("subjects"), col("jurisdictions"), col("affected"))
	}
	b.Reset()
	if err := projections.WriteRegister(&b, reg, projections.FormatHTML); err != nil {
		t.Fatal(err)
	}
	if html := b.String(); !strings.Contains(html, "127 people counted, ~0 records; DE, FR, IT") || strings.Contains(html, "~127") {
		t.Errorf("HTML facts do not count the affected people:\n%s", html)
	}
	// The register's count is the one the rules' thresholds count.
	inc := history.IncidentAt("A", h.Incidents["A"], domain.Cut{AsOf: at("2025-03-11T12:00:00Z"), KnownAt: at("2025-04-01T00:00:00Z")})
	if n, counted := inc.PeopleAffected(); n != e.Subjects || !counted {
		t.Errorf("PeopleAffected = %d, %v; the register says %d", n, counted, e.Subjects)
	}
}
