package integrity_test

import (
	"bytes"
	"testing"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
)

// Fuzz targets for everything an auditor's copy of the binary parses from
// files it was handed: bundles, signed checkpoints, proofs and leaves.
// Seeds made here and the corpora in testdata/fuzz (real files from a
// ledger recorded with the CLI) run in every go test; make fuzz mutates them.

// fuzzKey is a fixed ledger key for seeds made in the test.
func fuzzKey(tb testing.TB) *integrity.LedgerKey {
	tb.Helper()
	skey, _, err := integrity.GenerateLedgerKey("breachledger/fuzz/01a22000-0000-7000-8000-000000000000")
	if err != nil {
		tb.Fatal(err)
	}
	k, err := integrity.ParseLedgerKey(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// fuzzRecords returns n stored records (leaf_test.go's record).
func fuzzRecords(tb testing.TB, n int) []eventstore.Record {
	out := make([]eventstore.Record, n)
	for i := range out {
		out[i] = record(tb, uint64(i))
	}
	return out
}

// withBases gives every record but the first a basis (content envelope
// version 2), as a ledger's records have once writers record one.
func withBases(rs []eventstore.Record) []eventstore.Record {
	for i := range rs {
		rs[i].Basis = uint64(i)
	}
	return rs
}

// fuzzBundle returns a complete bundle of n records signed by k.
func fuzzBundle(tb testing.TB, k *integrity.LedgerKey, n int) []byte {
	return fuzzBundleOf(tb, k, fuzzRecords(tb, n))
}

// fuzzBundleOf returns a complete bundle of rs signed by k, marshalled
// (bundle_test.go's bundleOf).
func fuzzBundleOf(tb testing.TB, k *integrity.LedgerKey, rs []eventstore.Record) []byte {
	tb.Helper()
	out, err := bundleOf(tb, k, rs).Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// FuzzParseBundle: ParseBundle and VerifyBundle never panic on any input;
// a bundle that parses writes out and parses again to the same bundle; a
// bundle that verifies clean under the key it names still does after that
// round trip.
func FuzzParseBundle(f *testing.F) {
	k := fuzzKey(f)
	f.Add(fuzzBundle(f, k, 3))
	f.Add(fuzzBundle(f, k, 1))
	f.Add(fuzzBundleOf(f, k, withBases(fuzzRecords(f, 3))))
	f.Add([]byte(`{"format":"breachledger-bundle/v2","range":{"first":3,"last":1},"events":[{"seq":18446744073709551615}],"checkpoints":[{"note":"x"}]}`))
	f.Add([]byte(`{"format":"breachledger-bundle/v2","complete":true,"events":[{"seq":0},{"seq":0}],"context":[{"seq":0,"stream":"x"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := integrity.ParseBundle(data)
		if err != nil {
			return
		}
		out, err := b.Marshal()
		if err != nil {
			t.Fatalf("a parsed bundle does not marshal: %v", err)
		}
		b2, err := integrity.ParseBundle(out)
		if err != nil {
			t.Fatalf("a marshalled bundle does not parse: %v\n%s", err, out)
		}
		out2, _ := b2.Marshal()
		if !bytes.Equal(out, out2) {
			t.Fatalf("bundle round trip is not stable:\n%s\n%s", out, out2)
		}
		key, err := integrity.ParsePublicKey(b.PublicKey)
		if err != nil {
			key = k.Public()
		}
		rep, _, err := integrity.VerifyBundle(b, key, nil, nil)
		if err != nil {
			return
		}
		rep2, _, err := integrity.VerifyBundle(b2, key, nil, nil)
		if err != nil || rep.OK() != rep2.OK() {
			t.Fatalf("verify before and after a round trip: %v / %v (%v)", rep.Problems, rep2, err)
		}
	})
}

// FuzzOpenCheckpoint: opening any bytes as a signed checkpoint under any
// key never panics; what opens is the note given, and opens again the same.
func FuzzOpenCheckpoint(f *testing.F) {
	k := fuzzKey(f)
	cp, err := k.Sign(3, bytes.Repeat([]byte{7}, integrity.HashSize))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(k.Public().String(), cp.Note)
	f.Add(k.Public().String(), bytes.Replace(cp.Note, []byte("\n3\n"), []byte("\n4\n"), 1))
	f.Add(k.Public().String(), []byte("breachledger/x\n1\nAAAA\n\n— x AAAA\n"))
	f.Add("not a key", []byte{})
	f.Fuzz(func(t *testing.T, vkey string, note []byte) {
		pub, err := integrity.ParsePublicKey(vkey)
		if err != nil {
			return
		}
		c, err := pub.Open(note)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Note, note) || c.Origin != pub.Origin() || len(c.Root) != integrity.HashSize {
			t.Fatalf("opened %q as %+v", note, c)
		}
		c2, err := pub.Open(c.Note)
		if err != nil || c2.Size != c.Size || !bytes.Equal(c2.Root, c.Root) {
			t.Fatalf("reopening gives %+v, %v", c2, err)
		}
	})
}

// FuzzParseProof: inclusion and consistency proofs, and the leaves they
// carry, never panic the parsers or Verify; a leaf that parses encodes
// back to the same bytes.
func FuzzParseProof(f *testing.F) {
	k := fuzzKey(f)
	rs := fuzzRecords(f, 4)
	leaves := &integrity.Leaves{}
	for _, r := range rs {
		leaves.Append(integrity.LeafOf(r).Hash())
	}
	root, err := leaves.Root(4)
	if err != nil {
		f.Fatal(err)
	}
	cp, err := k.Sign(4, root)
	if err != nil {
		f.Fatal(err)
	}
	hashes, err := leaves.Inclusion(2, 4)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(integrity.InclusionProof{Leaf: integrity.LeafOf(rs[2]), Hashes: hashes, Checkpoint: cp.Note}.Marshal())
	root2, _ := leaves.Root(2)
	old, err := k.Sign(2, root2)
	if err != nil {
		f.Fatal(err)
	}
	cons, err := leaves.Consistency(2, 4)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(integrity.ConsistencyProof{OldSize: 2, NewSize: 4, Hashes: cons, Old: old.Note, New: cp.Note}.Marshal())
	f.Add(integrity.LeafOf(rs[0]).Marshal())
	f.Add([]byte("BLLF\x01"))
	based := withBases(fuzzRecords(f, 3))[2]
	f.Add(integrity.LeafOf(based).Marshal())     // a leaf with a version-2 envelope
	f.Add(integrity.EnvelopeOf(based).Marshal()) // version 2
	f.Add(integrity.EnvelopeOf(rs[1]).Marshal()) // version 1
	f.Add([]byte("BLCE\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := integrity.ParseInclusionProof(data); err == nil {
			p.Verify(k.Public())
		}
		if p, err := integrity.ParseConsistencyProof(data); err == nil {
			p.Verify(k.Public())
		}
		if l, err := integrity.ParseLeaf(data); err == nil {
			if got := l.Marshal(); !bytes.Equal(got, data) {
				t.Fatalf("leaf %x encodes back as %x", data, got)
			}
		}
		if e, err := integrity.ParseEnvelope(data); err == nil {
			if got := e.Marshal(); !bytes.Equal(got, data) {
				t.Fatalf("envelope %x encodes back as %x", data, got)
			}
		}
	})
}
