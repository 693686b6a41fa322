package projections_test

import (
	"testing"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
)

// TestKindEveryType: every stored event type has a short name of its own
// in listings (a new type without one would print its Go name).
func TestKindEveryType(t *testing.T) {
	seen := map[string]string{}
	for _, typ := range domain.EventTypes() {
		k := projections.Kind(typ)
		if k == typ {
			t.Errorf("Kind(%s) has no short name", typ)
		}
		if other, dup := seen[k]; dup {
			t.Errorf("Kind(%s) = Kind(%s) = %q", typ, other, k)
		}
		seen[k] = typ
	}
}

// TestDescribeWitnesses: a witness's events name the witness, its key hash
// and where checkpoints go, never the whole key.
func TestDescribeWitnesses(t *testing.T) {
	key := "witness.example/w1+0f1e2d3c+BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := []struct {
		e    domain.Event
		want string
	}{
		{domain.WitnessAdded{Key: key, URL: "http://127.0.0.1:7380", Reason: "the audit firm's"},
			"checkpoints go to witness witness.example/w1 (key hash 0f1e2d3c) at http://127.0.0.1:7380/add-checkpoint — the audit firm's"},
		{domain.WitnessAdded{Key: key, URL: "https://w.example/w1"},
			"checkpoints go to witness witness.example/w1 (key hash 0f1e2d3c) at https://w.example/w1/add-checkpoint"},
		{domain.WitnessRemoved{Key: key, Reason: "contract ended"},
			"checkpoints no longer go to witness witness.example/w1 (key hash 0f1e2d3c) — contract ended"},
		{domain.WitnessRemoved{Key: "garbage", Reason: "x"}, "checkpoints no longer go to witness garbage (key hash ?) — x"},
	}
	for _, tt := range tests {
		if got := projections.Describe(tt.e); got != tt.want {
			t.Errorf("Describe(%+v) =\n %s\nwant\n %s", tt.e, got, tt.want)
		}
	}
	for typ, want := range map[string]string{"WitnessAdded": "witness added", "WitnessRemoved": "witness removed"} {
		if got := projections.Kind(typ); got != want {
			t.Errorf("Kind(%s) = %q, want %q", typ, got, want)
		}
	}
}
