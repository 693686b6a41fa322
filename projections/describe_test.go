package projections_test

import (
	"testing"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
)

// TestDescribeSignedMode: the events that make and switch a ledger to
// signed mode say so in every listing (log, report).
func TestDescribeSignedMode(t *testing.T) {
	tests := []struct {
		e    domain.Event
		want string
	}{
		{domain.LedgerInitialized{Name: "IR", Admin: "alice"}, `named "IR"; alice is its first admin`},
		{domain.LedgerInitialized{Name: "IR", Admin: "alice", Signed: true}, `named "IR"; alice is its first admin; signed mode: every event is signed by its author's registered key`},
		{domain.SignaturePolicySet{Required: []string{"CRSPIDeclared"}}, "signatures required for: CRSPIDeclared"},
		{domain.SignaturePolicySet{Required: []string{}, All: true, Reason: "issue 12"}, "signed mode from here on, for good: every event must be signed by its author's registered key — issue 12"},
	}
	for _, tt := range tests {
		if got := projections.Describe(tt.e); got != tt.want {
			t.Errorf("Describe(%+v) =\n %s\nwant\n %s", tt.e, got, tt.want)
		}
	}
}
