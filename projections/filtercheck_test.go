package projections_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
)

// TestDeadlineFilterUnknown: every value of a filter that names nothing is
// one problem, named as the caller names its fields.
func TestDeadlineFilterUnknown(t *testing.T) {
	f := projections.DeadlineFilter{Regimes: []string{"GDPR", "FOO", "gdpr-art"}, Statuses: []domain.Status{"overdue", "late"}, Pack: "2026.1", ComparePack: "2024.1"}
	var got []string
	for _, err := range f.Unknown(func(name string) string { return "--" + name }) {
		got = append(got, strings.SplitN(err.Error(), ":", 2)[0])
	}
	if want := `--regime "FOO"|--regime "gdpr-art"|--compare-pack "2024.1"|--status "late"`; strings.Join(got, "|") != want {
		t.Errorf("got %s, want %s", strings.Join(got, "|"), want)
	}
	if errs := (projections.DeadlineFilter{Regimes: []string{"uk gdpr", "nis2", "sec-8k"}, Statuses: domain.Statuses(), Pack: "2025.1"}).Unknown(func(s string) string { return s }); len(errs) != 0 {
		t.Errorf("known values refused: %v", errs)
	}
}

// TestDeadlineStatusFilter, worked by hand on build() as of 2025-03-12T12Z:
// A's Art. 33 clock (due 2025-03-10T22:15Z) and fabrikam's notice (due
// 2025-03-12T10:00Z) are overdue, contoso's notice was met late. With GB
// in scope, pack 2026.1 adds uk-gdpr-art33 (72 h after awareness, overdue
// too): a row only under the compared pack, kept or dropped by --status
// like the others.
func TestDeadlineStatusFilter(t *testing.T) {
	h := build(t)
	h.Add(domain.Fact{ID: "ev-300", Sequence: 300, Stream: domain.IncidentStream("A"), Revision: 300, Type: "ScopeRecorded", At: at("2025-03-08T13:00:00Z"), Actor: "sam",
		RecordedAt: at("2025-03-08T13:01:00Z"), Event: domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam"}, Jurisdictions: []string{"GB"}}})
	cut := domain.Cut{AsOf: at("2025-03-12T12:00:00Z"), KnownAt: at("2025-04-01T00:00:00Z")}
	rows := func(f projections.DeadlineFilter) string {
		var out []string
		for _, r := range projections.Deadlines(h, cut, f).Deadlines {
			out = append(out, fmt.Sprintf("%s %s%s", r.ID, r.Status, map[bool]string{true: " (only under " + r.OnlyUnder + ")"}[r.OnlyUnder != ""]))
		}
		return strings.Join(out, ", ")
	}
	for _, tt := range []struct {
		f    projections.DeadlineFilter
		want string
	}{
		{projections.DeadlineFilter{Statuses: []domain.Status{domain.StatusOverdue}}, "gdpr-art33 overdue, customer-notice/fabrikam overdue"},
		{projections.DeadlineFilter{Statuses: []domain.Status{domain.StatusMetLate, domain.StatusMet}}, "customer-notice/contoso met-late"},
		{projections.DeadlineFilter{Statuses: []domain.Status{domain.StatusPending}}, ""},
		{projections.DeadlineFilter{Statuses: []domain.Status{domain.StatusOverdue}, ComparePack: "2026.1", Regimes: []string{"uk gdpr"}}, "uk-gdpr-art33 overdue (only under 2026.1)"},
		{projections.DeadlineFilter{Statuses: []domain.Status{domain.StatusMetLate}, ComparePack: "2026.1", Regimes: []string{"uk gdpr"}}, ""},
	} {
		if got := rows(tt.f); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.f, got, tt.want)
		}
	}
	if v := projections.Deadlines(h, cut, projections.DeadlineFilter{Statuses: []domain.Status{domain.StatusMetLate}}); v.Alert {
		t.Error("an overdue clock filtered out by --status raised the alert")
	}
}
