package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
)

func TestValidActorName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"ivy", true},
		{"ivy.chen", true},
		{"a", true},
		{"oncall-2_b", true},
		{"a" + strings.Repeat("b", 63), true},
		{"a" + strings.Repeat("b", 64), false}, // 65 characters
		{"", false},
		{"IVY", false},
		{"Ivy", false},
		{"2ivy", false},
		{".ivy", false},
		{"ivy chen", false},
		{"ivy\n", false},
		{"i\u200bvy", false},   // zero-width space
		{"ivy\u202e", false},   // right-to-left override
		{"\x1b[2Kivy", false},  // an escape sequence
		{"zoë", false},         // letters beyond ASCII look alike across scripts
		{"іvy", false},         // Cyrillic і
		{"ivy@example", false}, // not an e-mail address
	}
	for _, tt := range tests {
		if got := domain.ValidActorName(tt.name); got != tt.want {
			t.Errorf("ValidActorName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestNewActorNames: a name entering the ledger (init's admin, a grantee,
// a signer's holder) must match the pattern, refused with rule actor-name;
// a name already stored is still honoured.
func TestNewActorNames(t *testing.T) {
	at := "2025-02-01T00:00:00Z"
	tests := []struct {
		what string
		cmd  domain.Command
	}{
		{"init", domain.InitLedger{By: by("IVY", at), Name: "x"}},
		{"grant", domain.GrantRole{By: by("admin", at), Grantee: "i\u200bvy", Role: domain.RoleResponder}},
		{"grant upper case", domain.GrantRole{By: by("admin", at), Grantee: "Oscar", Role: domain.RoleResponder}},
		{"signer register", domain.RegisterSigner{By: by("admin", at), Actor: "ivy\u202e", Key: "ssh-ed25519 AAAA x", Fingerprint: fpIvy}},
	}
	for _, tt := range tests {
		t.Run(tt.what, func(t *testing.T) {
			var s domain.State
			if _, ok := tt.cmd.(domain.InitLedger); !ok {
				s = newHistory(t).state()
			}
			_, err := domain.Decide(s, tt.cmd, ts(t, "2025-06-01T00:00:00Z"))
			var rerr *domain.RuleError
			if !errors.As(err, &rerr) || rerr.Rule != "actor-name" || !errors.Is(err, domain.ErrRefused) {
				t.Fatalf("Decide = %v, want a refusal by rule actor-name", err)
			}
			if msg := err.Error(); !strings.Contains(msg, domain.ActorNamePattern) || !strings.Contains(msg, "instead:") {
				t.Errorf("the refusal does not name the pattern and what to do instead: %s", msg)
			}
			for _, r := range err.Error() {
				if r == 0x1b || r == 0x200b || r == 0x202e {
					t.Errorf("the refusal quotes the name raw: %q", err.Error())
				}
			}
		})
	}

	// A name stored before the rule (an old ledger's "IVY") still acts.
	h := newHistory(t)
	h.ledgerEvent("admin", "2025-01-01T00:02:00Z", domain.RoleGranted{Actor: "IVY", Role: domain.RoleAdmin})
	if _, err := domain.Decide(h.state(), domain.GrantRole{By: by("IVY", at), Grantee: "newcomer", Role: domain.RoleResponder}, ts(t, "2025-06-01T00:00:00Z")); err != nil {
		t.Errorf("a grant by a stored legacy name: %v", err)
	}
}
