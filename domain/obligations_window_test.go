package domain_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// Within the window StatusWindow returns, the obligations evaluate to the
// same bytes at every instant: its start, just before its end and a random
// instant between; and at its end at least one status has changed, unless
// the window is unbounded there.
func TestPropertyStatusWindow(t *testing.T) {
	changed, bounded := 0, 0
	for seed := uint64(1); seed <= 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 33))
		h, _, aware := genHistory(t, r)
		inc := h.at(domain.Cut{})
		for _, days := range []int{0, 2, 30, 900} {
			asOf := aware.Add(time.Duration(days)*24*time.Hour + time.Duration(r.IntN(24*60))*time.Minute)
			eval := func(at time.Time) string {
				b, err := json.Marshal(domain.Obligations(&inc, domain.DefaultSettings(), at))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			want := eval(asOf)
			from, until := domain.StatusWindow(&inc, domain.Obligations(&inc, domain.DefaultSettings(), asOf), domain.DefaultSettings(), asOf)
			if !from.IsZero() && from.After(asOf) || !until.IsZero() && !until.After(asOf) {
				t.Fatalf("seed %d: window [%s, %s) does not hold %s", seed, from, until, asOf)
			}
			probes := []time.Time{asOf}
			if !from.IsZero() {
				probes = append(probes, from)
			} else {
				probes = append(probes, asOf.Add(-1000*24*time.Hour))
			}
			if !until.IsZero() {
				bounded++
				probes = append(probes, until.Add(-time.Nanosecond), asOf.Add(time.Duration(r.Int64N(int64(until.Sub(asOf))))))
				if eval(until) != want {
					changed++
				}
			} else {
				probes = append(probes, asOf.Add(5000*24*time.Hour))
			}
			for _, p := range probes {
				if got := eval(p); got != want {
					t.Errorf("seed %d: obligations at %s differ from those at %s, both in the window [%s, %s)", seed, p, asOf, from, until)
				}
			}
		}
	}
	if bounded < 100 || changed < bounded/2 {
		t.Errorf("%d bounded windows, %d of them changing at their end: the property was hardly exercised", bounded, changed)
	}
}

// A settled incident's window is unbounded; an open one ends when its
// clock next moves: the Art. 33 notice of the acceptance scenario is due
// 2025-03-10T22:15Z and becomes due-soon 24 hours before.
func TestStatusWindowByHand(t *testing.T) {
	h := newHistory(t)
	h.breach()
	inc := h.at(domain.Cut{})
	asOf := ts(t, "2025-03-09T12:00:00Z")
	from, until := domain.StatusWindow(&inc, domain.Obligations(&inc, domain.DefaultSettings(), asOf), domain.DefaultSettings(), asOf)
	// Art. 33 (due 03-10T22:15Z) is due-soon from 03-09T22:15Z; the
	// customer notices (due 03-12T10:00Z) from 03-11T10:00Z; Art. 34 (high
	// risk 03-08T15:00Z + 72h = 03-11T15:00Z) from 03-10T15:00Z.
	if want := ts(t, "2025-03-09T22:15:00Z"); !until.Equal(want) {
		t.Errorf("until = %s, want %s", until, want)
	}
	// Every clock is pending until then: with the facts as they are, no
	// earlier instant changes a status.
	if !from.IsZero() {
		t.Errorf("from = %s, want unbounded", from)
	}
	// After everything is sent, nothing moves any more.
	h.add("ian", "2025-03-10T20:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "CNIL", Channel: domain.ChannelPortal, Phase: domain.PhaseInitial})
	h.add("ian", "2025-03-11T14:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientDataSubjects, Recipient: "users", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial})
	for _, c := range []string{"contoso", "fabrikam"} {
		h.add("ian", "2025-03-12T09:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Customer: c, Recipient: "secops", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial})
	}
	inc = h.at(domain.Cut{})
	if from, until := domain.StatusWindow(&inc, domain.Obligations(&inc, domain.DefaultSettings(), ts(t, "2025-03-13T00:00:00Z")), domain.DefaultSettings(), ts(t, "2025-03-13T00:00:00Z")); !from.IsZero() || !until.IsZero() {
		t.Errorf("settled incident: window [%s, %s), want unbounded", from, until)
	}
}
