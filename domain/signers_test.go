package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/domain"
)

const (
	fpIvy   = "SHA256:ivyivyivyivyivyivyivyivyivyivyivyivyivyivyi"
	fpIvy2  = "SHA256:newnewnewnewnewnewnewnewnewnewnewnewnewnewn"
	fpAdmin = "SHA256:admadmadmadmadmadmadmadmadmadmadmadmadmadma"
)

// decideLedger runs a ledger command through Decide and, if accepted,
// records its events.
func (h *history) decideLedger(c domain.Command) ([]domain.Event, error) {
	h.tb.Helper()
	events, err := domain.Decide(h.state(), c, ts(h.tb, "2025-06-01T00:00:00Z"))
	if err == nil {
		by := domain.Origin(c)
		for _, e := range events {
			h.ledgerEvent(by.Actor, by.At.Format(time.RFC3339), e)
		}
	}
	return events, err
}

func signed(b domain.By, fp string) domain.By { b.Signer = fp; return b }

func TestSignerRegistry(t *testing.T) {
	h := newHistory(t)
	at := "2025-02-01T00:00:00Z"
	mustDecide := func(c domain.Command) []domain.Event {
		t.Helper()
		events, err := h.decideLedger(c)
		if err != nil {
			t.Fatalf("Decide(%T) = %v", c, err)
		}
		return events
	}
	mustDecide(domain.RegisterSigner{By: by("admin", at), Actor: "ivy", Key: "ssh-ed25519 AAAA ivy", Fingerprint: fpIvy})
	mustDecide(domain.SetSignaturePolicy{By: by("admin", at), Required: []string{"NotificationSent", "CRSPIDeclared", "CRSPIDeclared"}})
	l := h.state().Ledger
	// Declarations and notices move deadlines: the policy takes every
	// fact that moves one with them (the clocks kind).
	if got, want := l.Signers.Required(), domain.ClockTypes(); !cmp.Equal(got, want) {
		t.Errorf("required = %v, want %v", got, want)
	}
	if k, ok := l.Signers.Key(fpIvy); !ok || k.Actor != "ivy" || !k.Active() {
		t.Errorf("ivy's key = %+v, %v", k, ok)
	}

	// Rotation registers the new key and revokes the old, in that order.
	got := mustDecide(domain.RotateSigner{By: signed(by("ivy", at), fpIvy), Actor: "ivy", Old: fpIvy, Key: "ssh-ed25519 BBBB ivy", Fingerprint: fpIvy2})
	want := []domain.Event{
		domain.SignerRegistered{Actor: "ivy", Key: "ssh-ed25519 BBBB ivy", Fingerprint: fpIvy2},
		domain.SignerRevoked{Actor: "ivy", Fingerprint: fpIvy, Reason: "rotated to " + fpIvy2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rotate (-want +got):\n%s", diff)
	}
	l = h.state().Ledger
	if k, _ := l.Signers.Key(fpIvy); k.Active() {
		t.Errorf("the old key is still active after the rotation")
	}

	tests := []struct {
		name string
		typ  string
		by   domain.By
		rule string // "" when accepted
	}{
		{"unsigned where required", "CRSPIDeclared", by("ivy", at), "signature-required"},
		{"unsigned where not required", "NoteAdded", by("ivy", at), ""},
		{"signed with the active key", "CRSPIDeclared", signed(by("ivy", at), fpIvy2), ""},
		{"signed with a revoked key", "NoteAdded", signed(by("ivy", at), fpIvy), "signer-revoked"},
		{"signed with someone else's key", "NoteAdded", signed(by("oscar", at), fpIvy2), "signer-not-yours"},
		{"signed with an unknown key", "NoteAdded", signed(by("ivy", at), fpAdmin), "signer-unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.CheckSigner(l, tt.typ, tt.by.Actor, tt.by.Signer)
			var re *domain.RuleError
			switch {
			case tt.rule == "" && err != nil:
				t.Errorf("CheckSigner = %v, want accepted", err)
			case tt.rule != "" && (!errors.As(err, &re) || re.Rule != tt.rule):
				t.Errorf("CheckSigner = %v, want rule %s", err, tt.rule)
			}
		})
	}
}

// TestSignedDecisions: Decide refuses an unsigned declaration under the
// policy, and once an admin has a key, unsigned ledger events.
func TestSignedDecisions(t *testing.T) {
	h := newHistory(t)
	h.breach()
	at := "2025-02-01T00:00:00Z"
	for _, c := range []domain.Command{
		domain.RegisterSigner{By: by("admin", at), Actor: "ivy", Key: "ssh-ed25519 AAAA", Fingerprint: fpIvy},
		domain.SetSignaturePolicy{By: by("admin", at), Required: []string{"NoteAdded"}},
	} {
		if _, err := h.decideLedger(c); err != nil {
			t.Fatal(err)
		}
	}
	now := ts(t, "2025-06-01T00:00:00Z")
	_, err := domain.Decide(h.state(), domain.AddNote{By: by("ivy", "2025-03-10T00:00:00Z"), Text: "x"}, now)
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Rule != "signature-required" || !strings.Contains(re.Hint, "--sign-key") {
		t.Errorf("an unsigned note under the policy = %v, want signature-required with a hint", err)
	}
	if _, err := domain.Decide(h.state(), domain.AddNote{By: signed(by("ivy", "2025-03-10T00:00:00Z"), fpIvy), Text: "x"}, now); err != nil {
		t.Errorf("a signed note = %v", err)
	}

	// Ledger events are unsigned until an admin has a key...
	if _, err := h.decideLedger(domain.GrantRole{By: by("admin", at), Grantee: "zed", Role: domain.RoleLegal}); err != nil {
		t.Fatalf("an unsigned grant before any admin key: %v", err)
	}
	if _, err := h.decideLedger(domain.RegisterSigner{By: by("admin", at), Actor: "admin", Key: "ssh-ed25519 CCCC", Fingerprint: fpAdmin}); err != nil {
		t.Fatal(err)
	}
	// ...and signed after.
	for _, c := range []domain.Command{
		domain.GrantRole{By: by("admin", at), Grantee: "zoe", Role: domain.RoleLegal},
		domain.SetSignaturePolicy{By: by("admin", at)},
		domain.RegisterSigner{By: by("admin", at), Actor: "zoe", Key: "ssh-ed25519 DDDD", Fingerprint: fpIvy2},
	} {
		if _, err := domain.Decide(h.state(), c, now); !errors.As(err, &re) || re.Rule != "signature-required" {
			t.Errorf("unsigned %T once an admin has a key = %v, want signature-required", c, err)
		}
	}
	if _, err := h.decideLedger(domain.GrantRole{By: signed(by("admin", at), fpAdmin), Grantee: "zoe", Role: domain.RoleLegal}); err != nil {
		t.Errorf("a signed grant: %v", err)
	}
}

func TestSignerRefusals(t *testing.T) {
	h := newHistory(t)
	at := "2025-02-01T00:00:00Z"
	if _, err := h.decideLedger(domain.RegisterSigner{By: by("admin", at), Actor: "ivy", Key: "ssh-ed25519 AAAA", Fingerprint: fpIvy}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.decideLedger(domain.RevokeSigner{By: by("admin", at), Actor: "ivy", Fingerprint: fpIvy, Reason: "lost"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    domain.Command
		want error
		rule string
	}{
		{"register by a non-admin", domain.RegisterSigner{By: by("oscar", at), Actor: "oscar", Key: "k", Fingerprint: fpIvy2}, domain.ErrRefused, "signer-register-role"},
		{"a revoked key again", domain.RegisterSigner{By: by("admin", at), Actor: "ivy", Key: "k", Fingerprint: fpIvy}, domain.ErrRefused, "signer-exists"},
		{"revoke someone else's key", domain.RevokeSigner{By: by("oscar", at), Actor: "ivy", Fingerprint: fpIvy, Reason: "x"}, domain.ErrRefused, "signer-role"},
		{"revoke twice", domain.RevokeSigner{By: by("ivy", at), Actor: "ivy", Fingerprint: fpIvy, Reason: "x"}, domain.ErrRefused, "signer-revoked"},
		{"revoke an unknown key", domain.RevokeSigner{By: by("admin", at), Actor: "ivy", Fingerprint: fpAdmin, Reason: "x"}, domain.ErrNotFound, ""},
		{"a malformed fingerprint", domain.RegisterSigner{By: by("admin", at), Actor: "ivy", Key: "k", Fingerprint: "MD5:aa"}, domain.ErrInvalid, ""},
		{"a policy naming no event", domain.SetSignaturePolicy{By: by("admin", at), Required: []string{"Bogus"}}, domain.ErrInvalid, ""},
		{"a policy by a non-admin", domain.SetSignaturePolicy{By: by("ivy", at), Required: []string{"NoteAdded"}}, domain.ErrRefused, "signature-policy-role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.Decide(h.state(), tt.c, ts(t, "2025-06-01T00:00:00Z"))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decide = %v, want %v", err, tt.want)
			}
			var re *domain.RuleError
			if tt.rule != "" && (!errors.As(err, &re) || re.Rule != tt.rule) {
				t.Errorf("Decide = %v, want rule %s", err, tt.rule)
			}
		})
	}
}
