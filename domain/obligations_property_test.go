package domain_test

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// genHistory builds a random incident under the current pack from a seeded
// source: a profile, counts, determinations, a risk, a declaration, holds
// and notices at random times after awareness. It returns the history, the
// detection's event ID, and the awareness.
func genHistory(t *testing.T, r *rand.Rand) (*history, string, time.Time) {
	h := newHistory(t)
	aware := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(700*24*60)) * time.Minute)
	at := func(maxHours int) string {
		return aware.Add(time.Duration(r.IntN(maxHours*60)+1) * time.Minute).Format(time.RFC3339)
	}
	pick := func(xs []string, max int) []string {
		var out []string
		for _, i := range r.Perm(len(xs))[:r.IntN(max+1)] {
			out = append(out, xs[i])
		}
		return out
	}
	role := []domain.DataRole{domain.RoleController, domain.RoleProcessor, domain.RoleBoth}[r.IntN(3)]
	det := h.add("oscar", aware.Format(time.RFC3339), domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "generated", AwareAt: aware, Role: role})
	h.add("oscar", aware.Format(time.RFC3339), domain.PackPinned{Version: domain.CurrentPack().Version, Reason: "generated"})
	h.add("oscar", at(2), domain.IncidentAssessed{FunctionalImpact: domain.FunctionalHigh, Recoverability: domain.RecoverExtended, InformationImpact: domain.InfoPrivacy,
		DerivedSeverity: domain.SeverityCritical, DerivedPriority: domain.P1, Severity: domain.SeverityCritical, Priority: domain.P1})
	var ets []domain.EntityType
	for _, e := range domain.EntityTypes() {
		if r.IntN(3) == 0 {
			ets = append(ets, e)
		}
	}
	h.add("ivy", at(4), domain.EntityProfiled{Establishments: pick([]string{"DE", "FR", "US", "IE"}, 2), Sectors: pick([]string{"banking", "digital-infrastructure", "health"}, 2),
		EntityTypes: ets, Controllers: pick([]string{"acme", "globex"}, 2)})
	var counts []domain.AffectedCount
	for _, j := range pick([]string{"BR", "DE", "FR", "GB", "SG", "US-CA", "US-NY", "US-TX"}, 5) {
		counts = append(counts, count(j, int64(r.IntN(2000))))
	}
	slices.SortFunc(counts, func(a, b domain.AffectedCount) int { return compare(a.Jurisdiction, b.Jurisdiction) })
	h.add("sam", at(6), domain.AffectedRecorded{Counts: counts})
	h.add("sam", at(6), domain.ScopeRecorded{Customers: pick([]string{"contoso", "fabrikam"}, 2), Jurisdictions: pick([]string{"DE", "GB", "US-CA"}, 2), Subjects: int64(r.IntN(2000))})
	for _, k := range domain.DeterminationKinds() {
		if r.IntN(2) == 0 {
			h.add("ivy", at(48), domain.DeterminationMade{Kind: k, Positive: r.IntN(5) > 0, Reasoning: "generated"})
		}
	}
	if r.IntN(2) == 0 {
		h.add("ivy", at(24), domain.RiskDetermined{Level: domain.RiskLevels()[r.IntN(3)], Reasoning: "generated"})
	}
	if r.IntN(2) == 0 {
		h.add("sam", at(24), domain.IncidentClassified{Classification: domain.ClassPrivacyBreach})
		h.add("ivy", at(30), domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "generated"})
	}
	if r.IntN(3) == 0 {
		h.add("lee", at(72), domain.HoldRecorded{Hold: "H1", Kind: domain.HoldLawEnforcement, Basis: "generated", Authority: "agency"})
	}
	targets := []string{"gdpr-art33", "gdpr-art33/DE", "gdpr-art33/FR", "uk-gdpr-art33", "nis2-early-warning", "nis2-notification", "nis2-final",
		"dora-initial", "dora-intermediate", "dora-final", "sec-8k-1.05", "hipaa-individuals", "hipaa-hhs", "ca-residents", "br-anpd", "sg-pdpc", "nydfs-500.17"}
	kinds := []domain.RecipientKind{domain.RecipientAuthority, domain.RecipientRegulator, domain.RecipientDataSubjects, domain.RecipientSecurityContacts, domain.RecipientPublicFiling, domain.RecipientController}
	for i := r.IntN(8); i > 0; i-- {
		n := domain.NotificationSent{RecipientKind: kinds[r.IntN(len(kinds))], Recipient: []string{"acme", "authority"}[r.IntN(2)], Channel: domain.ChannelPortal,
			Phase: domain.Phases()[r.IntN(len(domain.Phases()))]}
		if n.RecipientKind.IsCustomer() {
			n.Customer = []string{"contoso", "fabrikam"}[r.IntN(2)]
		}
		if r.IntN(2) == 0 {
			n.Obligations = []string{targets[r.IntN(len(targets))]}
		}
		if r.IntN(2) == 0 {
			n.Jurisdiction = []string{"DE", "FR", "GB"}[r.IntN(3)]
		}
		h.add("ian", at(24*45), n)
	}
	return h, det, aware
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// limit is the due time before any roll-over: DORA's roll-over to noon of
// the next working day is not monotone (a limit on a Saturday morning rolls
// to Monday noon, one on Monday morning does not), so the property is about
// the limit the law computes before it.
func limit(o domain.Obligation) time.Time {
	if !o.DueUnrolled.IsZero() {
		return o.DueUnrolled
	}
	return o.DueAt
}

// Moving awareness earlier (by a correction, the only way the ledger allows)
// never moves a deadline later, and never adds or removes an obligation.
// One exception is the law's own: a limb counted from awareness that has
// passed by the time the obligation arises no longer applies (DORA: a
// classification as major more than 24 h after awareness is due 4 h after
// the classification, Rule.LimitPassed), so an earlier awareness can make
// the limb lapse and the due time later. Such obligations are checked
// instead by TestPropertyNoDueBeforeTrigger.
func TestPropertyEarlierAwarenessNeverLater(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		r := rand.New(rand.NewPCG(seed, 2026))
		h, det, aware := genHistory(t, r)
		earlier := aware.Add(-time.Duration(r.IntN(96*60)+1) * time.Minute)
		asOf := aware.Add(time.Duration(r.IntN(60*24)) * time.Hour)
		before := h.at(domain.Cut{AsOf: asOf})
		was := domain.Obligations(&before, domain.DefaultSettings(), asOf)
		corr := domain.CorrectEvent{By: domain.By{Actor: "oscar", At: aware.Add(time.Minute)}, Target: det,
			Changes: []domain.FieldChange{{Field: "aware_at", Value: earlier.Format(time.RFC3339)}, {Field: "aware_reason", Value: "the alert was read before it was filed"}}, Reason: "earlier"}
		if _, err := h.decide(corr); err != nil {
			t.Fatalf("seed %d: correct awareness: %v", seed, err)
		}
		after := h.at(domain.Cut{AsOf: asOf})
		now := domain.Obligations(&after, domain.DefaultSettings(), asOf)
		if a, b := ids(was), ids(now); !slices.Equal(sorted(a), sorted(b)) {
			t.Errorf("seed %d: awareness %s → %s changed the obligations %v → %v", seed, aware, earlier, a, b)
			continue
		}
		for _, o := range was {
			n := obligation(t, now, o.ID)
			if n.LimitLapsed && !o.LimitLapsed {
				continue
			}
			if limit(n).After(limit(o)) {
				t.Errorf("seed %d: awareness %s → %s moved %s later: %s → %s", seed, aware.Format(time.RFC3339), earlier.Format(time.RFC3339), o.ID, limit(o), limit(n))
			}
		}
	}
}

func sorted(xs []string) []string { s := slices.Clone(xs); slices.Sort(s); return s }

// Every overdue obligation has no notice that answers it before its due
// time, checked against the history's notices directly: one that names it
// (--for), or one to its kind of recipient (its customer or controller, its
// authority's jurisdiction when both name one) in a phase its rule accepts.
func TestPropertyOverdueHasNoTimelyNotice(t *testing.T) {
	overdue := 0
	for seed := uint64(1); seed <= 300; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		h, _, aware := genHistory(t, r)
		for _, days := range []int{1, 5, 40, 400} {
			asOf := aware.Add(time.Duration(days) * 24 * time.Hour)
			inc := h.at(domain.Cut{AsOf: asOf})
			for _, o := range domain.Obligations(&inc, domain.DefaultSettings(), asOf) {
				if o.Status != domain.StatusOverdue {
					continue
				}
				overdue++
				if !asOf.After(o.DueAt) {
					t.Errorf("seed %d: %s overdue as of %s but due %s", seed, o.ID, asOf, o.DueAt)
				}
				rule, _ := domain.CurrentPack().Rule(o.Rule)
				for _, f := range h.incident {
					n, ok := f.Event.(domain.NotificationSent)
					if !ok || f.At.After(o.DueAt) || n.Phase == domain.PhaseDelayNotice || n.Phase == domain.PhaseWithdrawn {
						continue
					}
					answers := slices.Contains(n.Obligations, o.ID)
					if len(n.Obligations) == 0 {
						kind := n.RecipientKind == o.Recipient || (n.RecipientKind.IsCustomer() && o.Recipient.IsCustomer())
						answers = kind && (o.Customer == "" || n.Customer == o.Customer) && (o.Controller == "" || n.Recipient == o.Controller) &&
							(!o.Recipient.IsAuthority() || o.Jurisdiction == "" || n.Jurisdiction == "" || n.Jurisdiction == o.Jurisdiction) &&
							(len(rule.Accepts) == 0 || slices.Contains(rule.Accepts, n.Phase)) && !f.At.Before(o.AnchorAt) && f.ID != o.AnchorEvent
					}
					if answers {
						t.Errorf("seed %d: %s overdue as of %s (due %s) though notice %s at %s answers it", seed, o.ID, asOf, o.DueAt, f.ID, f.At)
					}
				}
			}
		}
	}
	if overdue < 50 {
		t.Errorf("only %d overdue obligations generated: the property was hardly exercised", overdue)
	}
}

// The same history and the same cut give byte-identical obligations.
func TestPropertyDeterministic(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		h, _, aware := genHistory(t, r)
		asOf := aware.Add(20 * 24 * time.Hour)
		var outs [2][]byte
		for i := range outs {
			inc := h.at(domain.Cut{AsOf: asOf})
			b, err := json.Marshal(domain.Obligations(&inc, domain.DefaultSettings(), asOf))
			if err != nil {
				t.Fatal(err)
			}
			outs[i] = b
		}
		if string(outs[0]) != string(outs[1]) {
			t.Errorf("seed %d: two evaluations differ", seed)
		}
	}
}
