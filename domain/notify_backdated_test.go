package domain_test

import (
	"testing"

	"github.com/breachledger/breachledger/domain"
)

// TestNoticeBackdatedBeforeDeclaration: a customer notice dated (--at)
// before the CRSPI declaration is refused even when decided after the
// declaration, as it is before it; the clock and the rule follow the
// declaration, not the moment the notice is written down. Before this
// rule, a notice backdated to before the declaration was accepted (and a
// row written around the CLI with that date redecided as valid).
func TestNoticeBackdatedBeforeDeclaration(t *testing.T) {
	tests := []struct {
		name     string
		at       string
		wantRule string
	}{
		{"dated before the declaration", "2025-03-09T09:59:59Z", "notify-before-declaration"},
		{"dated at the declaration", "2025-03-09T10:00:00Z", ""},
		{"dated after the declaration", "2025-03-09T11:00:00Z", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHistory(t)
			h.breach() // declared 2025-03-09T10:00Z
			_, err := domain.Decide(h.state(), notice("ian", tt.at, domain.RecipientSecurityContacts, "contoso"), ts(t, "2025-03-10T00:00:00Z"))
			wantRule(t, err, tt.wantRule)
		})
	}
}
