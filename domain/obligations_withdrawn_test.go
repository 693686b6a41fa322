package domain_test

import (
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
)

// TestTriggerWithdrawn: an obligation whose trigger a later fact withdraws
// (a customer out of scope, a jurisdiction or count removed, an entity type
// out of the profile) stays in the view as waived, naming the event that
// withdrew it and what it withdrew; a notice that met it first keeps it
// met; a trigger that comes back brings the obligation back with it.
func TestTriggerWithdrawn(t *testing.T) {
	type want struct {
		status    domain.Status
		withdrawn bool   // WithdrawnBy is the narrowing event
		reason    string // the reason, with EVENT for the narrowing event's ID
		due       string // "" to skip
	}
	tests := []struct {
		name       string
		build      func(h *history) string // records the history, returns the narrowing event's ID
		obligation string
		asOf       string
		want       want
		others     map[string]domain.Status // other obligations, unaffected
	}{
		{name: "customer removed from scope",
			build: func(h *history) string {
				h.breach()
				return h.add("sam", "2025-03-10T08:00:00Z", domain.ScopeRecorded{Customers: []string{"fabrikam"}, Subjects: 1200})
			},
			obligation: "customer-notice/contoso", asOf: "2025-03-13T00:00:00Z",
			// declared 2025-03-09T10:00Z + 72 h: it would be overdue now
			want:   want{status: domain.StatusWaived, withdrawn: true, reason: "trigger withdrawn by EVENT (customer contoso removed from scope)", due: "2025-03-12T10:00:00Z"},
			others: map[string]domain.Status{"customer-notice/fabrikam": domain.StatusOverdue}},
		{name: "as of before the removal the clock runs as before",
			build: func(h *history) string {
				h.breach()
				return h.add("sam", "2025-03-10T08:00:00Z", domain.ScopeRecorded{Customers: []string{"fabrikam"}, Subjects: 1200})
			},
			obligation: "customer-notice/contoso", asOf: "2025-03-10T07:00:00Z",
			want: want{status: domain.StatusPending, due: "2025-03-12T10:00:00Z"}},
		{name: "met before the removal stays met",
			build: func(h *history) string {
				h.breach()
				h.notice("2025-03-10T09:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Recipient: "contoso security", Customer: "contoso"})
				return h.add("sam", "2025-03-10T12:00:00Z", domain.ScopeRecorded{Customers: []string{"fabrikam"}, Subjects: 1200})
			},
			obligation: "customer-notice/contoso", asOf: "2025-03-13T00:00:00Z",
			want: want{status: domain.StatusMet, withdrawn: true, due: "2025-03-12T10:00:00Z"}},
		{name: "re-added: the obligation is back, its clock from the customer's return",
			build: func(h *history) string {
				h.breach()
				h.add("sam", "2025-03-10T08:00:00Z", domain.ScopeRecorded{Customers: []string{"fabrikam"}, Subjects: 1200})
				return h.add("sam", "2025-03-11T06:00:00Z", domain.ScopeRecorded{Customers: []string{"fabrikam", "contoso"}, Subjects: 1200})
			},
			obligation: "customer-notice/contoso", asOf: "2025-03-12T00:00:00Z",
			// back in scope 2025-03-11T06:00Z + 72 h
			want: want{status: domain.StatusPending, due: "2025-03-14T06:00:00Z"}},
		{name: "removed, re-added, removed again: the last removal withdrew it",
			build: func(h *history) string {
				h.breach()
				h.add("sam", "2025-03-10T08:00:00Z", domain.ScopeRecorded{Customers: []string{"fabrikam"}, Subjects: 1200})
				h.add("sam", "2025-03-11T06:00:00Z", domain.ScopeRecorded{Customers: []string{"fabrikam", "contoso"}, Subjects: 1200})
				return h.add("sam", "2025-03-11T07:00:00Z", domain.ScopeRecorded{Customers: []string{"fabrikam"}, Subjects: 1200})
			},
			obligation: "customer-notice/contoso", asOf: "2025-03-12T00:00:00Z",
			want: want{status: domain.StatusWaived, withdrawn: true, reason: "trigger withdrawn by EVENT (customer contoso removed from scope)", due: "2025-03-14T06:00:00Z"}},
		{name: "the law's own exception keeps its reason",
			build: func(h *history) string {
				h.breach()
				id := h.add("sam", "2025-03-10T08:00:00Z", domain.ScopeRecorded{Customers: []string{"fabrikam"}, Subjects: 1200})
				h.add("sam", "2025-03-10T09:00:00Z", domain.IncidentClassified{Classification: domain.ClassFalsePositive, RootCause: "test data"})
				return id
			},
			obligation: "customer-notice/contoso", asOf: "2025-03-13T00:00:00Z",
			want: want{status: domain.StatusWaived, withdrawn: true, reason: "reclassified false-positive after the declaration"}},
		{name: "jurisdiction removed from scope: UK GDPR",
			build: func(h *history) string {
				h.add("oscar", "2025-10-24T16:00:00Z", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "uk", AwareAt: ts(h.tb, "2025-10-24T16:00:00Z"), Role: domain.RoleController})
				h.add("oscar", "2025-10-24T16:00:00Z", domain.PackPinned{Version: domain.CurrentPack().Version, Reason: "test"})
				h.add("sam", "2025-10-24T16:30:00Z", domain.IncidentClassified{Classification: domain.ClassPrivacyBreach})
				h.add("sam", "2025-10-24T17:00:00Z", domain.ScopeRecorded{Jurisdictions: []string{"DE", "GB"}, Subjects: 40})
				return h.add("sam", "2025-10-25T09:00:00Z", domain.ScopeRecorded{Jurisdictions: []string{"DE"}, Subjects: 40})
			},
			obligation: "uk-gdpr-art33", asOf: "2025-10-26T00:00:00Z",
			// awareness Fri 2025-10-24T16:00Z + 72 h
			want:   want{status: domain.StatusWaived, withdrawn: true, reason: "trigger withdrawn by EVENT (jurisdiction GB removed from scope)", due: "2025-10-27T16:00:00Z"},
			others: map[string]domain.Status{"gdpr-art33": domain.StatusPending}},
		{name: "the first jurisdiction recorded is outside the EEA: the GDPR clock that ran while none was recorded",
			build: func(h *history) string {
				h.add("oscar", "2025-10-24T16:00:00Z", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "ca only", AwareAt: ts(h.tb, "2025-10-24T16:00:00Z"), Role: domain.RoleController})
				h.add("oscar", "2025-10-24T16:00:00Z", domain.PackPinned{Version: domain.CurrentPack().Version, Reason: "test"})
				h.add("sam", "2025-10-24T16:30:00Z", domain.IncidentClassified{Classification: domain.ClassPrivacyBreach})
				return h.add("sam", "2025-10-25T09:00:00Z", domain.ScopeRecorded{Jurisdictions: []string{"US-CA"}, Subjects: 40})
			},
			obligation: "gdpr-art33", asOf: "2025-10-28T00:00:00Z",
			// awareness + 72 h; overdue by now were it not withdrawn
			want: want{status: domain.StatusWaived, withdrawn: true, reason: "trigger withdrawn by EVENT (jurisdictions first recorded: US-CA)", due: "2025-10-27T16:00:00Z"}},
		{name: "affected count removed: California",
			build: func(h *history) string {
				h.add("oscar", "2026-02-20T18:00:00Z", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "ca", AwareAt: ts(h.tb, "2026-02-20T18:00:00Z"), Role: domain.RoleController})
				h.add("oscar", "2026-02-20T18:00:00Z", domain.PackPinned{Version: domain.CurrentPack().Version, Reason: "test"})
				h.affected("2026-02-20T19:00:00Z", count("US-CA", 620), count("US-NY", 90))
				h.determine("2026-02-21T09:00:00Z", domain.DetDiscovery, true)
				return h.add("sam", "2026-02-23T09:00:00Z", domain.AffectedRecorded{Counts: []domain.AffectedCount{count("US-NY", 90)}})
			},
			obligation: "ca-residents", asOf: "2026-02-24T00:00:00Z",
			want: want{status: domain.StatusWaived, withdrawn: true, reason: "trigger withdrawn by EVENT (affected count for US-CA removed)"}},
		{name: "entity type removed from the profile",
			build: func(h *history) string {
				h.add("oscar", "2026-02-02T09:00:00Z", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "phi", AwareAt: ts(h.tb, "2026-02-02T09:00:00Z")})
				h.add("oscar", "2026-02-02T09:00:00Z", domain.PackPinned{Version: domain.CurrentPack().Version, Reason: "test"})
				h.add("ivy", "2026-02-02T09:10:00Z", types(domain.EntityHIPAACovered, domain.EntitySECRegistrant))
				h.determine("2026-02-03T09:00:00Z", domain.DetDiscovery, true)
				return h.add("ivy", "2026-02-04T09:00:00Z", types(domain.EntitySECRegistrant))
			},
			obligation: "hipaa-individuals", asOf: "2026-02-05T00:00:00Z",
			want: want{status: domain.StatusWaived, withdrawn: true, reason: "trigger withdrawn by EVENT (entity type hipaa-covered-entity removed from the profile)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHistory(t)
			ev := tt.build(h)
			obs := h.obligationsAt(tt.asOf)
			o := obligation(t, obs, tt.obligation)
			w := tt.want
			if o.Status != w.status {
				t.Errorf("%s: status %s (%s), want %s", o.ID, o.Status, o.Reason, w.status)
			}
			if want := strings.ReplaceAll(w.reason, "EVENT", ev); w.reason != "" && o.Reason != want {
				t.Errorf("%s: reason %q, want %q", o.ID, o.Reason, want)
			}
			if (o.WithdrawnBy == ev) != w.withdrawn || (!w.withdrawn && o.WithdrawnBy != "") {
				t.Errorf("%s: withdrawn by %q, want withdrawn %v (by %s)", o.ID, o.WithdrawnBy, w.withdrawn, ev)
			}
			if w.due != "" && !o.DueAt.Equal(ts(t, w.due)) {
				t.Errorf("%s: due %s, want %s", o.ID, o.DueAt, w.due)
			}
			for id, st := range tt.others {
				if got := obligation(t, obs, id); got.Status != st || got.WithdrawnBy != "" {
					t.Errorf("%s: %s withdrawn by %q, want %s and not withdrawn", id, got.Status, got.WithdrawnBy, st)
				}
			}
			seen := map[string]bool{}
			for _, o := range obs {
				if seen[o.ID] {
					t.Errorf("%s appears twice", o.ID)
				}
				seen[o.ID] = true
			}
		})
	}
}

// A history without a narrowing fact shows no withdrawn obligation: adding
// to the scope narrows nothing.
func TestNoNarrowingNoWithdrawal(t *testing.T) {
	h := newHistory(t)
	h.breach()
	h.add("sam", "2025-03-10T08:00:00Z", domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam", "northwind"}, Subjects: 1500, Jurisdictions: []string{"DE"}})
	for _, o := range h.obligationsAt("2025-03-11T00:00:00Z") {
		if o.WithdrawnBy != "" || strings.Contains(o.Reason, "withdrawn") {
			t.Errorf("%s: withdrawn by %q (%s)", o.ID, o.WithdrawnBy, o.Reason)
		}
	}
}

// BenchmarkObligationsWithdrawn: an incident without a narrowing fact pays
// only a scan of its facts for the withdrawal check; one with a narrowing
// fact pays a fold and two derivations per narrowing fact.
func BenchmarkObligationsWithdrawn(b *testing.B) {
	for _, narrowed := range []bool{false, true} {
		name := "no narrowing fact"
		if narrowed {
			name = "a customer removed"
		}
		b.Run(name, func(b *testing.B) {
			h := newHistory(b)
			h.breach()
			if narrowed {
				h.add("sam", "2025-03-10T08:00:00Z", domain.ScopeRecorded{Customers: []string{"fabrikam"}, Subjects: 1200})
			}
			inc := h.at(domain.Cut{})
			asOf := ts(b, "2025-03-11T00:00:00Z")
			b.ReportAllocs()
			for b.Loop() {
				domain.Obligations(&inc, domain.DefaultSettings(), asOf)
			}
		})
	}
}
