package domain_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// TestShippedPacksValidate runs Validate on every pack the binary ships, so
// the engine never meets an anchor, unit, trigger or fan-out it does not
// implement (resolveAnchor panics on an unknown anchor instead of dropping
// the obligation).
func TestShippedPacksValidate(t *testing.T) {
	packs := domain.Packs()
	if got, want := len(packs), 2; got < want {
		t.Fatalf("shipped packs: got %d, want at least %d", got, want)
	}
	for _, p := range packs {
		if err := p.Validate(); err != nil {
			t.Errorf("pack %s: %v", p.Version, err)
		}
	}
}

// validPack is a small pack that passes Validate; each case of
// TestPackValidateRefuses breaks one thing in it.
func validPack() domain.Pack {
	return domain.Pack{
		Version:  "9999.1",
		Released: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Rules: []domain.Rule{{
			ID: "first", Regime: "R", Citation: "Art. 1", Who: "controller", Whom: "the authority", Summary: "s",
			Recipient: domain.RecipientAuthority, Anchor: domain.AnchorAwareness, Period: domain.Hours(72), FanOut: domain.FanOutSingle,
			Exceptions: []domain.Exception{{When: domain.TriggerNegative(domain.DetSECMaterial), Citation: "not material"}},
		}, {
			ID: "second", Regime: "R", Citation: "Art. 2", Who: "controller", Whom: "the authority", Summary: "s",
			Recipient: domain.RecipientAuthority, Anchor: domain.AnchorReport("first"), Period: domain.Months(1),
			Months: &domain.MonthConvention{EndOfDay: domain.EndOfDayLocal, Zone: domain.ZoneAuthority, Closed: domain.ClosedStays, Basis: "Reg. 1182/71 Art. 3(2)(c)"},
			FanOut: domain.FanOutSingle, Holds: []domain.HoldKind{domain.HoldLawEnforcement}, HoldMode: domain.HoldExtend,
		}},
	}
}

func TestPackValidateRefuses(t *testing.T) {
	if err := validPack().Validate(); err != nil {
		t.Fatalf("the valid pack: %v", err)
	}
	tests := []struct {
		name   string
		break_ func(p *domain.Pack)
		want   string // a part of the error
	}{
		{"no version", func(p *domain.Pack) { p.Version = "" }, "pack has no version"},
		{"no rules", func(p *domain.Pack) { p.Rules = nil }, "pack has no rules"},
		{"unknown anchor", func(p *domain.Pack) { p.Rules[0].Anchor = "awarenes" }, `rule first: anchor: unknown anchor "awarenes"`},
		{"empty anchor", func(p *domain.Pack) { p.Rules[0].Anchor = "" }, "rule first: anchor: empty anchor"},
		{"unknown determination", func(p *domain.Pack) { p.Rules[0].Anchor = domain.AnchorDetermination("sec-materiel") }, `unknown determination kind "sec-materiel"`},
		{"report of a later rule", func(p *domain.Pack) { p.Rules[0].Anchor = domain.AnchorReport("second") }, `names rule "second", which is not an earlier rule`},
		{"report of an unknown rule", func(p *domain.Pack) { p.Rules[1].Anchor = domain.AnchorLatestReport("nope") }, `names rule "nope"`},
		{"nested year-end", func(p *domain.Pack) {
			p.Rules[0].Anchor = domain.AnchorYearEnd(domain.AnchorYearEnd(domain.AnchorAwareness))
		}, "a year-end anchor wraps a fact"},
		{"unknown unit", func(p *domain.Pack) { p.Rules[0].Period = domain.Period{N: 3, Unit: "fortnights"} }, `rule first: period: unknown unit "fortnights"`},
		{"zero period", func(p *domain.Pack) { p.Rules[0].Period = domain.Hours(0) }, "length 0 hours"},
		{"end of day on hours", func(p *domain.Pack) { p.Rules[0].EndOfDay = domain.EndOfDayLocal }, "end_of_day with a period in hours"},
		{"unknown fan-out", func(p *domain.Pack) { p.Rules[0].FanOut = "per-planet" }, `unknown fan-out "per-planet"`},
		{"empty fan-out", func(p *domain.Pack) { p.Rules[0].FanOut = "" }, `unknown fan-out ""`},
		{"per-determination without determination", func(p *domain.Pack) { p.Rules[0].FanOut = domain.FanOutPerDetermination }, "needs a determination anchor"},
		{"per-customer off the declaration", func(p *domain.Pack) { p.Rules[0].FanOut = domain.FanOutPerCustomer }, "use AnchorDeclaration"},
		{"duplicate rule ID", func(p *domain.Pack) { p.Rules[1].ID = "first" }, "rule first: duplicate rule ID"},
		{"empty rule ID", func(p *domain.Pack) { p.Rules[1].ID = "" }, "rule #2: empty ID"},
		{"empty citation", func(p *domain.Pack) { p.Rules[0].Citation = "" }, "rule first: empty citation"},
		{"empty regime", func(p *domain.Pack) { p.Rules[0].Regime = "" }, "rule first: empty regime"},
		{"empty exception citation", func(p *domain.Pack) { p.Rules[0].Exceptions[0].Citation = "" }, "exception \"negative:sec-material\": empty citation"},
		{"unknown trigger", func(p *domain.Pack) { p.Rules[0].Exceptions[0].When = "dismised" }, `unknown trigger "dismised"`},
		{"unknown trigger determination", func(p *domain.Pack) { p.Rules[0].Exceptions[0].When = domain.TriggerPositive("x") }, `unknown determination kind "x" in trigger`},
		{"unknown setting", func(p *domain.Pack) { p.Rules[0].Setting = "customer-window" }, `unknown setting "customer-window"`},
		{"setting on days", func(p *domain.Pack) {
			p.Rules[0].Setting, p.Rules[0].Period = "art34-target", domain.CalendarDays(3)
		}, "a setting is a duration"},
		{"limit without anchor", func(p *domain.Pack) { p.Rules[0].Limit = &domain.Period{N: 24, Unit: domain.UnitHours} }, "without a limit anchor"},
		{"limit anchor without limit", func(p *domain.Pack) { p.Rules[0].LimitAnchor = domain.AnchorAwareness }, "without a limit: set Limit"},
		{"unknown limit anchor", func(p *domain.Pack) {
			p.Rules[0].Limit, p.Rules[0].LimitAnchor = &domain.Period{N: 24, Unit: domain.UnitHours}, "aware"
		}, `limit anchor: unknown anchor "aware"`},
		{"unknown hold mode", func(p *domain.Pack) { p.Rules[1].HoldMode = "stretch" }, `unknown hold mode "stretch"`},
		{"hold mode without holds", func(p *domain.Pack) { p.Rules[1].Holds = nil }, "without holds"},
		{"unknown hold kind", func(p *domain.Pack) { p.Rules[1].Holds = []domain.HoldKind{"police"} }, `unknown hold kind "police"`},
		{"unknown rollover", func(p *domain.Pack) { p.Rules[0].Rollover = "next-monday" }, `unknown roll-over "next-monday"`},
		{"unknown phase", func(p *domain.Pack) { p.Rules[0].Phase = "penultimate" }, `unknown phase "penultimate"`},
		{"unknown recipient", func(p *domain.Pack) { p.Rules[0].Recipient = "press" }, `unknown recipient "press"`},
		{"unknown role", func(p *domain.Pack) { p.Rules[0].Applies.Roles = []domain.DataRole{"owner"} }, `unknown role "owner"`},
		{"unknown entity type", func(p *domain.Pack) { p.Rules[0].Applies.EntityTypes = []domain.EntityType{"bank"} }, `unknown entity type "bank"`},
		{"count_in without threshold", func(p *domain.Pack) { p.Rules[0].Applies.CountIn = "US" }, "count_in \"US\" without a threshold"},
		// The typed conventions of 2026.2 and later.
		{"months without a convention", func(p *domain.Pack) { p.Rules[1].Months = nil }, "rule second: a period in months without a months convention"},
		{"old end_of_day beside a convention", func(p *domain.Pack) { p.Rules[1].EndOfDay = domain.EndOfDayLocal }, "both end_of_day and a months convention"},
		{"convention on hours", func(p *domain.Pack) { p.Rules[0].Months = p.Rules[1].Months }, "rule first: months convention with a period in hours"},
		{"convention without basis", func(p *domain.Pack) { p.Rules[1].Months.Basis = "" }, "months convention without a basis"},
		{"unknown zone", func(p *domain.Pack) { p.Rules[1].Months.Zone = "mars" }, `unknown zone "mars"`},
		{"rolls over without a roll-over", func(p *domain.Pack) { p.Rules[1].Months.Closed = domain.ClosedRollsOver }, "without a roll-over"},
		{"stays with a roll-over", func(p *domain.Pack) { p.Rules[1].Rollover = domain.RollNextWorkingDay }, `closed_day "stays" with roll-over`},
		{"two month rules differ without why", func(p *domain.Pack) {
			r := p.Rules[1]
			r.ID, r.Anchor, r.Rollover = "third", domain.AnchorReport("second"), domain.RollNextWorkingDay
			r.Months = &domain.MonthConvention{EndOfDay: domain.EndAtInstant, Zone: domain.ZoneAuthority, Closed: domain.ClosedRollsOver, Basis: "b", Why: "because"}
			p.Rules = append(p.Rules, r)
		}, "rule second: counts months unlike rule third and does not say why"},
		{"limit without limit_passed", func(p *domain.Pack) {
			p.Rules[0].Limit, p.Rules[0].LimitAnchor = &domain.Period{N: 24, Unit: domain.UnitHours}, domain.AnchorAwareness
		}, "a limit without limit_passed"},
		{"limit_passed without a limit", func(p *domain.Pack) { p.Rules[0].LimitPassed = domain.LimitPassedLapses }, "without a limit: drop it"},
		{"bad filing cut-off", func(p *domain.Pack) { p.Rules[0].FilingDay = &domain.FilingDay{Cutoff: "5:30pm", Citation: "Rule 13"} }, `cut-off "5:30pm": write HH:MM`},
		{"filing day to data subjects", func(p *domain.Pack) {
			p.Rules[0].Recipient, p.Rules[0].FilingDay = domain.RecipientDataSubjects, &domain.FilingDay{Cutoff: "17:30", Citation: "Rule 13"}
		}, "only filings with an authority"},
		{"scaling by one", func(p *domain.Pack) {
			p.Rules[0].Scaled = []domain.Scaling{{For: []domain.EntityType{domain.EntitySmallAgent}, Factor: 1, Citation: "x"}}
		}, "a factor of 2 or more"},
		{"outside-EEA marker on a single fan-out", func(p *domain.Pack) { p.Rules[0].OutsideEEAIf = []domain.EntityType{domain.EntityEEAEstablishedRep} }, "for the per-authority fan-out only"},
		{"entity type required and excluded", func(p *domain.Pack) {
			p.Rules[0].Applies.EntityTypes = []domain.EntityType{domain.EntitySGDataIntermediary}
			p.Rules[0].Applies.NotEntityTypes = []domain.EntityType{domain.EntitySGDataIntermediary}
		}, "both required and excluded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPack()
			tt.break_(&p)
			err := p.Validate()
			if err == nil {
				t.Fatalf("Validate: got nil, want an error containing %q", tt.want)
			}
			if got := err.Error(); !strings.Contains(got, tt.want) || !strings.HasPrefix(got, "validate pack ") {
				t.Errorf("Validate:\n got %q\nwant it to contain %q", got, tt.want)
			}
		})
	}
}

// TestPackValidateReportsAll: several problems come back at once.
func TestPackValidateReportsAll(t *testing.T) {
	p := validPack()
	p.Rules[0].Anchor, p.Rules[1].FanOut = "nowhere", "everywhere"
	err := p.Validate()
	if err == nil {
		t.Fatal("Validate: got nil, want two problems")
	}
	for _, want := range []string{`rule first: anchor: unknown anchor "nowhere"`, `rule second: unknown fan-out "everywhere"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %q lacks %q", err, want)
		}
	}
}

// TestPacksFrozen: what a caller gets is a copy; changing it (a rule's
// period, a shared slice, a pointer limb) changes no released pack, and the
// two packs share no rule value (2025.1's customer-notice is not 2026.1's).
func TestPacksFrozen(t *testing.T) {
	before := domain.Packs()
	got := domain.Packs()
	for i := range got {
		for j := range got[i].Rules {
			r := &got[i].Rules[j]
			r.Period.N = 999
			r.Citation = "changed"
			for k := range r.Applies.Roles {
				r.Applies.Roles[k] = "changed"
			}
			for k := range r.Exceptions {
				r.Exceptions[k].Citation = "changed"
			}
			for k := range r.RolloverExcept {
				r.RolloverExcept[k] = "changed"
			}
			if r.Limit != nil {
				r.Limit.N = 999
			}
			if r.Months != nil {
				r.Months.Basis = "changed"
			}
			for k := range r.Scaled {
				r.Scaled[k].Factor = 999
			}
		}
	}
	cur := domain.CurrentPack()
	cur.Rules[0].Period.N = 1
	first, _ := domain.PackByVersion("2025.1")
	first.Rules[0].Applies.Roles[0] = "changed"
	after := domain.Packs()
	for i := range before {
		for j := range before[i].Rules {
			b, a := before[i].Rules[j], after[i].Rules[j]
			if (b.Months != nil && *a.Months != *b.Months) || (len(b.Scaled) > 0 && a.Scaled[0].Factor != b.Scaled[0].Factor) {
				t.Errorf("pack %s rule %s: convention changed through a copy", before[i].Version, b.ID)
			}
			if a.Period != b.Period || a.Citation != b.Citation || (b.Limit != nil && *a.Limit != *b.Limit) ||
				!equalStrings(a.Applies.Roles, b.Applies.Roles) || len(a.Exceptions) != len(b.Exceptions) {
				t.Errorf("pack %s rule %s changed through a copy", before[i].Version, b.ID)
			}
			for k := range b.Exceptions {
				if a.Exceptions[k] != b.Exceptions[k] {
					t.Errorf("pack %s rule %s exception %d changed through a copy", before[i].Version, b.ID, k)
				}
			}
		}
	}
	// Hand-checked values of the frozen packs.
	p25, _ := domain.PackByVersion("2025.1")
	r, _ := p25.Rule("customer-notice")
	if r.Period != domain.Hours(72) || r.Anchor != domain.AnchorDeclaration || r.FanOut != domain.FanOutPerCustomer {
		t.Errorf("2025.1 customer-notice: got %s after %s, %s; want 72 hours after declaration, per-customer", r.Period, r.Anchor, r.FanOut)
	}
	if got, want := len(p25.Rules), 3; got != want {
		t.Errorf("2025.1 rules: got %d, want %d", got, want)
	}
	if got, want := domain.CurrentPack().Version, "2026.2"; got != want {
		t.Errorf("CurrentPack: got %s, want %s", got, want)
	}
	if got, want := domain.FirstPack().Version, "2025.1"; got != want {
		t.Errorf("FirstPack: got %s, want %s", got, want)
	}
}

func equalStrings[T ~string](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAnchorConstructors: the parameterised anchors read back what they
// were built from, and keep the spelling recorded outputs use.
func TestAnchorConstructors(t *testing.T) {
	tests := []struct {
		got, want domain.Anchor
	}{
		{domain.AnchorDetermination(domain.DetDiscovery), "determination:discovery"},
		{domain.AnchorReport("nis2-notification", "nis2-notification-tsp"), "report:nis2-notification|nis2-notification-tsp"},
		{domain.AnchorLatestReport("dora-intermediate"), "latest-report:dora-intermediate"},
		{domain.AnchorYearEnd(domain.AnchorDetermination(domain.DetDiscovery)), "year-end:determination:discovery"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if k, ok := domain.AnchorDetermination(domain.DetSECMaterial).Determination(); !ok || k != domain.DetSECMaterial {
		t.Errorf("Determination: got %q %v", k, ok)
	}
	if rules, latest, ok := domain.AnchorLatestReport("a", "b").Reports(); !ok || !latest || len(rules) != 2 || rules[1] != "b" {
		t.Errorf("Reports: got %v %v %v", rules, latest, ok)
	}
	if !domain.AnchorReport("x").Chained() || domain.AnchorAwareness.Chained() {
		t.Error("Chained: report: anchors are chained, awareness is not")
	}
	if k, pos, ok := domain.TriggerPositive(domain.DetHIPAALowProb).Determination(); !ok || !pos || k != domain.DetHIPAALowProb {
		t.Errorf("Trigger.Determination: got %q %v %v", k, pos, ok)
	}
}

// TestUnknownAnchorIsAProgrammingError: a pack that skipped Validate and
// names an unknown anchor makes the engine panic naming the anchor; it
// never silently drops the obligation (which would read as "nothing due").
func TestUnknownAnchorIsAProgrammingError(t *testing.T) {
	h := regulated(t, domain.RoleController, "2026-03-02T08:00:00Z", domain.EntityProfiled{Establishments: []string{"DE"}})
	asOf := ts(t, "2026-03-03T00:00:00Z")
	inc := h.at(domain.Cut{AsOf: asOf})
	p := validPack()
	p.Rules = p.Rules[:1]
	if obs := domain.ObligationsUnder(&inc, domain.DefaultSettings(), asOf, &p); len(obs) != 1 || !obs[0].DueAt.Equal(ts(t, "2026-03-05T08:00:00Z")) {
		t.Fatalf("the valid rule: got %v, want one obligation due 72 h after awareness", obs)
	}
	p.Rules[0].Anchor = "awarness"
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), `resolve anchor "awarness": unknown anchor`) {
			t.Errorf("ObligationsUnder with an unknown anchor: recovered %v, want a panic naming the anchor", r)
		}
	}()
	domain.ObligationsUnder(&inc, domain.DefaultSettings(), asOf, &p)
}
