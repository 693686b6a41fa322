package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/ledger"
)

// TestWriterRecordsBasis: every record a writer appends records the ledger
// stream's length it was decided on, to the ledger stream or another.
func TestWriterRecordsBasis(t *testing.T) {
	st := openLedger(t)
	k := initLedger(t, st) // two ledger events: the init and a grant
	ctx := context.Background()
	at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	w := ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Key: k}}
	tests := []struct {
		incident string
		c        domain.Command
		want     uint64
	}{
		{"INC1", domain.DetectIncident{By: domain.By{Actor: "oscar", At: at}, Source: domain.SourceOperatorEscalation, Summary: "s", Role: domain.RoleBoth}, 2},
		{"", domain.GrantRole{By: domain.By{Actor: "alice", At: at}, Grantee: "ivy", Role: domain.RoleLegal}, 2},
		{"INC1", domain.AddNote{By: domain.By{Actor: "oscar", At: at}, Text: "after the grant"}, 3},
	}
	for _, tt := range tests {
		res, err := w.Execute(ctx, tt.incident, tt.c, at)
		if err != nil {
			t.Fatalf("%T: %v", tt.c, err)
		}
		for _, r := range res.Records {
			if r.Basis != tt.want {
				t.Errorf("%T: %s recorded basis %d, want %d (the ledger stream's length it was decided on)", tt.c, r.Type, r.Basis, tt.want)
			}
		}
		stored, err := st.ReadAll(ctx, res.Records[0].Sequence, 1)
		if err != nil || len(stored) != 1 || stored[0].Basis != tt.want {
			t.Errorf("%T: stored basis %v (%v), want %d", tt.c, stored, err, tt.want)
		}
	}
}
