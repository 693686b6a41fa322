package projections_test

import (
	"encoding/json"
	"testing"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
)

// TestAuthorshipOf: the three shapes of the authorship object, each
// written out by hand.
func TestAuthorshipOf(t *testing.T) {
	fact := func(seq uint64, e domain.Event) domain.Fact {
		return domain.Fact{ID: "ev", Sequence: seq, Stream: domain.LedgerStream, Revision: seq, Type: domain.TypeOf(e), Actor: "admin", Event: e}
	}
	tests := []struct {
		name  string
		facts []domain.Fact
		want  string
	}{
		{"made in signed mode", []domain.Fact{fact(0, domain.LedgerInitialized{Name: "L", Admin: "admin", Signed: true})}, `{"proven_from_seq":0}`},
		{"not in signed mode", []domain.Fact{fact(0, domain.LedgerInitialized{Name: "L", Admin: "admin"})},
			`{"unproven":true,"reason":"authorship unproven: this ledger is not in signed mode, so no signature proves who recorded its events (an admin switches it on with \"breachledger signature-policy --all\")"}`},
		{"switched at seq 5", []domain.Fact{fact(0, domain.LedgerInitialized{Name: "L", Admin: "admin"}), fact(5, domain.SignaturePolicySet{All: true})},
			`{"proven_from_seq":5,"reason":"events before seq 5: authorship unproven (recorded before the ledger was switched to signed mode; from seq 5 on, every event is signed by its author's registered key)"}`},
		{"no ledger", nil, `{"proven_from_seq":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := projections.AuthorshipOf(domain.ReplayLedger(tt.facts, domain.Cut{}))
			got, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("AuthorshipOf = %s, want %s", got, tt.want)
			}
			if a.Note() != a.Reason {
				t.Errorf("Note() = %q, want the reason", a.Note())
			}
		})
	}
}
