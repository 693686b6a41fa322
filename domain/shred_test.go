package domain_test

import (
	"errors"
	"testing"

	"github.com/breachledger/breachledger/domain"
)

// TestDecideShred: legal or admin forget what is sealed; each refusal
// names its rule.
func TestDecideShred(t *testing.T) {
	h := newHistory(t)
	h.mustRun(domain.DetectIncident{By: by("oscar", "2025-03-07T21:40:00Z"), Source: domain.SourceAutomatedAlert, Summary: "s", Role: domain.RoleBoth})
	shred := func(actor string, basis domain.ShredBasis, keys []string, unsealed int) domain.ShredData {
		return domain.ShredData{By: by(actor, "2025-03-07T22:00:00Z"), Basis: basis, Reason: "asked by the subject", KeyIDs: keys, Unsealed: unsealed}
	}
	for _, tt := range []struct {
		name     string
		c        domain.ShredData
		wantRule string
	}{
		{"legal", shred("bea", domain.ShredErasureRequest, []string{"k"}, 0), ""},
		{"admin", shred("admin", domain.ShredMistakenEntry, []string{"k"}, 0), ""},
		{"a responder", shred("oscar", domain.ShredErasureRequest, []string{"k"}, 0), "shred-role"},
		{"retention on an open incident", shred("bea", domain.ShredRetention, []string{"k"}, 0), "shred-retention-open"},
		{"recorded before sealing", shred("bea", domain.ShredErasureRequest, nil, 2), "shred-not-sealed"},
		{"nothing left", shred("bea", domain.ShredErasureRequest, nil, 0), "shred-nothing-sealed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			events, err := h.run(tt.c)
			var re *domain.RuleError
			switch {
			case tt.wantRule == "" && err != nil:
				t.Fatalf("Decide = %v, want accepted", err)
			case tt.wantRule == "":
				if e, ok := events[0].(domain.DataShredded); !ok || e.Basis != tt.c.Basis || len(e.KeyIDs) != 1 {
					t.Errorf("events = %+v, want one DataShredded", events)
				}
			case !errors.As(err, &re) || re.Rule != tt.wantRule:
				t.Errorf("Decide = %v, want rule %s", err, tt.wantRule)
			}
		})
	}
}
