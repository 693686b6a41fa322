package domain_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/domain"
)

// TestFactsNeeded: a rule that applies but counts from a determination
// never made is listed, with what it waits for and the command that
// records it; once the determination is made, positive or negative, it is
// not.
func TestFactsNeeded(t *testing.T) {
	type need struct{ rule, waiting, clock, note string }
	tests := []struct {
		name    string
		role    domain.DataRole
		aware   string
		profile domain.EntityProfiled
		build   func(h *history)
		want    []need
	}{
		{name: "HIPAA covered entity, no discovery yet: individuals and the annual log (under 500)",
			aware: "2026-02-02T09:00:00Z", profile: types(domain.EntityHIPAACovered),
			want: []need{
				{"hipaa-individuals", "discovery determination", "60 calendar days after discovery", ""},
				{"hipaa-hhs-annual", "discovery determination", "60 calendar days after the end of the calendar year of discovery", ""},
			}},
		{name: "HIPAA and California over 500 residents: every discovery clock, the media per state",
			aware: "2026-02-02T09:00:00Z", profile: types(domain.EntityHIPAACovered),
			build: func(h *history) { h.affected("2026-02-02T10:00:00Z", count("US-CA", 620)) },
			want: []need{
				{"hipaa-individuals", "discovery determination", "60 calendar days after discovery", ""},
				{"hipaa-hhs", "discovery determination", "60 calendar days after discovery", ""},
				{"hipaa-media", "discovery determination", "60 calendar days after discovery", ""},
				{"ca-residents", "discovery determination", "30 calendar days after discovery", ""},
			}},
		{name: "California before SB 446 is in force: waits, and says from when it applies",
			aware: "2025-12-20T09:00:00Z",
			build: func(h *history) { h.affected("2025-12-20T10:00:00Z", count("US-CA", 12)) },
			want: []need{
				{"ca-residents", "discovery determination", "30 calendar days after discovery", "in force for a discovery determined on or after 2026-01-01T08:00:00Z"},
			}},
		{name: "discovery determined: nothing waits",
			aware: "2026-02-02T09:00:00Z", profile: types(domain.EntityHIPAACovered),
			build: func(h *history) { h.determine("2026-02-03T09:00:00Z", domain.DetDiscovery, true) }},
		{name: "a negative determination is a determination made",
			aware: "2026-02-02T09:00:00Z", profile: types(domain.EntityHIPAACovered),
			build: func(h *history) { h.determine("2026-02-03T09:00:00Z", domain.DetDiscovery, false) }},
		{name: "another kind of determination does not count",
			aware: "2026-02-02T09:00:00Z", profile: types(domain.EntityHIPAABusinessAssoc),
			build: func(h *history) { h.determine("2026-02-03T09:00:00Z", domain.DetSECMaterial, true) },
			want:  []need{{"hipaa-ba", "discovery determination", "60 calendar days after discovery", ""}}},
		{name: "SEC registrant: the 8-K waits for materiality; the 8-K/A (per later determination) is not a fact needed",
			aware: "2025-10-02T06:00:00Z", profile: types(domain.EntitySECRegistrant),
			want: []need{{"sec-8k-1.05", "sec-material determination", "4 business days after sec-material determination", ""}}},
		{name: "DORA financial entity: waits for the classification as major",
			aware: "2025-09-01T06:00:00Z", profile: inDE(domain.EntityFinancial),
			want: []need{{"dora-initial", "dora-major determination", "4h after dora-major determination", ""}}},
		{name: "a dismissed incident waits for nothing: the law's own exception removes the duty",
			aware: "2026-02-02T09:00:00Z", profile: types(domain.EntityHIPAACovered),
			build: func(h *history) {
				h.add("sam", "2026-02-02T10:00:00Z", domain.IncidentClassified{Classification: domain.ClassFalsePositive, RootCause: "test data"})
			}},
		{name: "no entity type, no US jurisdiction: no discovery clock applies",
			role: domain.RoleController, aware: "2026-02-02T09:00:00Z", profile: inDE()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := regulated(t, tt.role, tt.aware, tt.profile)
			if tt.build != nil {
				tt.build(h)
			}
			inc := h.at(domain.Cut{})
			var got []need
			for _, n := range rulesWaiting(domain.FactsNeeded(&inc)) {
				got = append(got, need{n.Rule, n.WaitingFor, n.Clock, n.Note})
				if n.Command != `breachledger determine INC `+string(n.Determination)+` --reasoning "..."` || n.Pack != domain.CurrentPack().Version || n.Citation == "" || n.Regime == "" {
					t.Errorf("%s: command %q pack %q citation %q regime %q", n.Rule, n.Command, n.Pack, n.Citation, n.Regime)
				}
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(need{})); diff != "" {
				t.Errorf("facts needed (-want +got):\n%s", diff)
			}
			// A rule that waits has no obligation: no deadline row, no status.
			for _, o := range domain.Obligations(&inc, domain.DefaultSettings(), ts(t, "2026-03-01T00:00:00Z")) {
				for _, w := range tt.want {
					if o.Rule == w.rule {
						t.Errorf("%s waits for a determination but has an obligation %s (%s)", w.rule, o.ID, o.Status)
					}
				}
			}
		})
	}
}

// Once the determination is recorded the rule leaves "facts needed" and its
// clock runs from the determination's business time.
func TestFactsNeededThenClock(t *testing.T) {
	h := regulated(t, "", "2026-02-02T09:00:00Z", types(domain.EntityHIPAABusinessAssoc))
	inc := h.at(domain.Cut{})
	if n := rulesWaiting(domain.FactsNeeded(&inc)); len(n) != 1 || n[0].Rule != "hipaa-ba" {
		t.Fatalf("facts needed = %+v, want hipaa-ba", n)
	}
	det := h.determine("2026-02-05T15:00:00Z", domain.DetDiscovery, true)
	inc = h.at(domain.Cut{})
	if n := rulesWaiting(domain.FactsNeeded(&inc)); len(n) != 0 {
		t.Errorf("facts needed after the determination = %+v", n)
	}
	o := obligation(t, domain.Obligations(&inc, domain.DefaultSettings(), ts(t, "2026-02-06T00:00:00Z")), "hipaa-ba")
	// 2026-02-05 + 60 calendar days (23 left in February, 31 in March, 6
	// in April) = 2026-04-06, end of day in New York (EDT, UTC-4)
	if o.AnchorEvent != det || !o.DueAt.Equal(ts(t, "2026-04-07T03:59:59Z")) {
		t.Errorf("hipaa-ba anchored on %s due %s, want on %s due 2026-04-07T03:59:59Z", o.AnchorEvent, o.DueAt, det)
	}
	// As of before the determination, it is a fact needed again.
	before := h.at(domain.Cut{AsOf: ts(t, "2026-02-04T00:00:00Z")})
	if n := rulesWaiting(domain.FactsNeeded(&before)); len(n) != 1 {
		t.Errorf("as of before the determination: facts needed = %+v", n)
	}
}

// rulesWaiting leaves out the risk advisor's need (AdviceNeeded, tested in
// advice_needed_test.go): the rules that wait for a determination.
func rulesWaiting(needs []domain.FactNeeded) []domain.FactNeeded {
	var out []domain.FactNeeded
	for _, n := range needs {
		if n.Rule != "risk-advice" {
			out = append(out, n)
		}
	}
	return out
}
