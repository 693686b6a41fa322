package integrity_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
)

// bundleOf returns a complete bundle of rs signed by k.
func bundleOf(tb testing.TB, k *integrity.LedgerKey, rs []eventstore.Record) *integrity.Bundle {
	tb.Helper()
	leaves := &integrity.Leaves{}
	tree := integrity.NewTree()
	for _, r := range rs {
		h := integrity.LeafOf(r).Hash()
		leaves.Append(h)
		tree.Append(h)
	}
	cp, err := k.Sign(tree.Size(), tree.Root())
	if err != nil {
		tb.Fatal(err)
	}
	b, err := integrity.BuildBundle(cp, k.Public(), leaves, rs, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestBundleCarriesBasis: a bundle carries each event's basis as it is
// (none for an event without one, so a bundle of old events is written
// as before), its records give it back, and a basis changed in the
// bundle fails the event's inclusion proof.
func TestBundleCarriesBasis(t *testing.T) {
	k := fuzzKey(t)
	rs := fuzzRecords(t, 3)
	rs[1].Basis = 5
	rs[2].Basis = 6
	b := bundleOf(t, k, rs)
	out, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(out, []byte(`"basis"`)); n != 2 {
		t.Errorf("the bundle has %d basis fields, want 2 (none for the event without one):\n%s", n, out)
	}
	parsed, err := integrity.ParseBundle(out)
	if err != nil {
		t.Fatal(err)
	}
	rep, recs, err := integrity.VerifyBundle(parsed, k.Public(), nil, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("VerifyBundle = %+v, %v; want clean", rep.Problems, err)
	}
	if diff := cmp.Diff(rs, recs); diff != "" {
		t.Errorf("records from the bundle (-stored +bundle):\n%s", diff)
	}

	tests := []struct {
		name  string
		seq   int
		basis uint64
	}{
		{"basis moved", 1, 4},
		{"basis dropped", 2, 0},
		{"basis added", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tampered, err := integrity.ParseBundle(out)
			if err != nil {
				t.Fatal(err)
			}
			tampered.Events[tt.seq].Basis = tt.basis
			rep, _, err := integrity.VerifyBundle(tampered, k.Public(), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || rep.Problems[0].Seq != uint64(tt.seq) || rep.Problems[0].What != "changed" {
				t.Errorf("problems = %+v, want first: sequence %d changed", rep.Problems, tt.seq)
			}
		})
	}

	old := bundleOf(t, k, fuzzRecords(t, 2))
	oldOut, err := old.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(oldOut), "basis") {
		t.Errorf("a bundle of events without a basis names one:\n%s", oldOut)
	}
}
