package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// decideLedger decides a ledger command against h and records its events.
func decideLedger(t *testing.T, h *history, c domain.Command, now time.Time) ([]domain.Event, error) {
	t.Helper()
	events, err := domain.Decide(domain.State{Ledger: domain.ReplayLedger(h.ledger, domain.Cut{})}, c, now)
	if err != nil {
		return nil, err
	}
	by := domain.Origin(c)
	for _, e := range events {
		h.ledgerEvent(by.Actor, by.At.Format(time.RFC3339Nano), e)
	}
	return events, nil
}

func TestAPITokens(t *testing.T) {
	h := newHistory(t)
	now := ts(t, "2025-06-01T00:00:00Z")
	hash1, hash2 := strings.Repeat("a1", 32), strings.Repeat("b2", 32)

	// Only an admin issues tokens.
	_, err := decideLedger(t, h, domain.IssueToken{By: by("ian", "2025-05-01T00:00:00Z"), Name: "grc", SHA256: hash1}, now)
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Rule != "token-role" {
		t.Fatalf("issue by a non-admin = %v, want refused by token-role", err)
	}
	events, err := decideLedger(t, h, domain.IssueToken{By: by("admin", "2025-05-01T00:00:00Z"), Name: "grc", SHA256: strings.ToUpper(hash1), Reason: "GRC export"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if e := events[0].(domain.APITokenIssued); e.Token != "T1" || e.SHA256 != hash1 {
		t.Errorf("issued %+v, want T1 with the hash in lower case", e)
	}
	if _, err := decideLedger(t, h, domain.IssueToken{By: by("admin", "2025-05-01T00:01:00Z"), Name: "again", SHA256: hash1}, now); !errors.As(err, &re) || re.Rule != "token-exists" {
		t.Errorf("the same hash twice = %v, want token-exists", err)
	}
	if _, err := decideLedger(t, h, domain.IssueToken{By: by("admin", "2025-05-02T00:00:00Z"), Name: "siem", SHA256: hash2, ExpiresAt: ts(t, "2025-05-01T00:00:00Z")}, now); !errors.As(err, &re) || re.Rule != "token-expired" {
		t.Errorf("an expiry before the issue = %v, want token-expired", err)
	}
	if _, err := decideLedger(t, h, domain.IssueToken{By: by("admin", "2025-05-02T00:00:00Z"), Name: "siem", SHA256: hash2, ExpiresAt: ts(t, "2025-05-09T00:00:00Z")}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := decideLedger(t, h, domain.IssueToken{By: by("admin", "2025-05-02T00:00:00Z"), Name: "bad", SHA256: "not-a-hash"}, now); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("a malformed hash = %v, want invalid", err)
	}

	l := domain.ReplayLedger(h.ledger, domain.Cut{})
	if tok, ok := l.Tokens.Authenticate(hash1, now); !ok || tok.Token != "T1" || tok.Name != "grc" || tok.Issued.Actor != "admin" {
		t.Errorf("Authenticate(T1) = %+v, %v", tok, ok)
	}
	if _, ok := l.Tokens.Authenticate(hash2, ts(t, "2025-05-08T23:59:59Z")); !ok {
		t.Errorf("T2 refused before its expiry")
	}
	if _, ok := l.Tokens.Authenticate(hash2, ts(t, "2025-05-09T00:00:00Z")); ok {
		t.Errorf("T2 accepted at its expiry")
	}
	if _, ok := l.Tokens.Authenticate(strings.Repeat("c3", 32), now); ok {
		t.Errorf("an unknown hash authenticated")
	}

	if _, err := decideLedger(t, h, domain.RevokeToken{By: by("admin", "2025-05-03T00:00:00Z"), Token: "T9", Reason: "x"}, now); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("revoke T9 = %v, want not found", err)
	}
	if _, err := decideLedger(t, h, domain.RevokeToken{By: by("admin", "2025-05-03T00:00:00Z"), Token: "T1", Reason: "job retired"}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := decideLedger(t, h, domain.RevokeToken{By: by("admin", "2025-05-03T00:01:00Z"), Token: "T1", Reason: "again"}, now); !errors.As(err, &re) || re.Rule != "token-revoked" {
		t.Errorf("revoke twice = %v, want token-revoked", err)
	}
	l = domain.ReplayLedger(h.ledger, domain.Cut{})
	if _, ok := l.Tokens.Authenticate(hash1, now); ok {
		t.Errorf("a revoked token authenticated")
	}
	// As known before the revocation, it still did.
	before := domain.ReplayLedger(h.ledger, domain.Cut{KnownAt: ts(t, "2025-05-03T00:00:30Z")})
	if _, ok := before.Tokens.Authenticate(hash1, now); !ok {
		t.Errorf("T1 refused as known before its revocation")
	}
	all := l.Tokens.All()
	if len(all) != 2 || all[0].Revoked == nil || all[0].RevokedBy != "job retired" || all[1].Revoked != nil {
		t.Errorf("tokens = %+v", all)
	}
	// Once an admin has a registered key, token events must be signed like
	// every other ledger event.
	if req, _ := domain.SignatureRequired(l, "APITokenIssued"); req {
		t.Errorf("signature required without any registered key")
	}
}
