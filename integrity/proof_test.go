package integrity_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/breachledger/breachledger/integrity"
)

// leaves returns the leaf hashes of n records.
func leaves(tb testing.TB, n int) (*integrity.Leaves, [][]byte) {
	l := &integrity.Leaves{}
	var encoded [][]byte
	for i := 0; i < n; i++ {
		b := integrity.LeafOf(record(tb, uint64(i))).Marshal()
		encoded = append(encoded, b)
		l.Append(integrity.HashLeaf(b))
	}
	return l, encoded
}

// TestTreeMatchesTlog checks the compact-range tree against an independent
// RFC 6962 implementation (golang.org/x/mod/sumdb/tlog), and rebuilding a
// tree from its range.
func TestTreeMatchesTlog(t *testing.T) {
	const n = 70
	_, encoded := leaves(t, n)
	var stored []tlog.Hash
	tree := integrity.NewTree()
	if got := tree.Root(); hex.EncodeToString(got) != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("the empty tree's root is %x, want SHA-256 of nothing", got)
	}
	for i, b := range encoded {
		hs, err := tlog.StoredHashes(int64(i), b, hashReader(stored))
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		tree.Append(integrity.HashLeaf(b))
		want, err := tlog.TreeHash(int64(i+1), hashReader(stored))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(tree.Root(), want[:]) {
			t.Fatalf("root of %d leaves = %x, tlog says %x", i+1, tree.Root(), want)
		}
		again, err := integrity.TreeFromRange(tree.Size(), tree.Range())
		if err != nil || !bytes.Equal(again.Root(), tree.Root()) {
			t.Fatalf("tree of %d rebuilt from its range: %v", i+1, err)
		}
	}
	if _, err := integrity.TreeFromRange(5, tree.Range()); !errors.Is(err, integrity.ErrMalformed) {
		t.Errorf("TreeFromRange with the range of another size = %v, want ErrMalformed", err)
	}
}

type hashReader []tlog.Hash

func (h hashReader) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = h[x]
	}
	return out, nil
}

// TestProofsAllSizes proves and verifies every inclusion and consistency in
// trees up to 33 leaves, and refuses each proof for the wrong leaf, size or
// root.
func TestProofsAllSizes(t *testing.T) {
	const n = 33
	l, _ := leaves(t, n)
	roots := make([][]byte, n+1)
	for s := uint64(0); s <= n; s++ {
		roots[s], _ = l.Root(s)
	}
	for size := uint64(1); size <= n; size++ {
		for i := uint64(0); i < size; i++ {
			p, err := l.Inclusion(i, size)
			if err != nil {
				t.Fatal(err)
			}
			leaf := l2(t, l, i)
			if err := integrity.VerifyInclusion(i, size, leaf, p, roots[size]); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", i, size, err)
			}
			other := l2(t, l, (i+1)%size)
			if size > 1 && integrity.VerifyInclusion(i, size, other, p, roots[size]) == nil {
				t.Fatalf("inclusion of %d in %d accepted another leaf", i, size)
			}
		}
		for old := uint64(1); old <= size; old++ {
			p, err := l.Consistency(old, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := integrity.VerifyConsistency(old, size, p, roots[old], roots[size]); err != nil {
				t.Fatalf("consistency %d→%d: %v", old, size, err)
			}
			if old < size && integrity.VerifyConsistency(old, size, p, roots[old-1], roots[size]) == nil {
				t.Fatalf("consistency %d→%d accepted another old root", old, size)
			}
		}
	}
}

func l2(tb testing.TB, l *integrity.Leaves, i uint64) []byte {
	tb.Helper()
	b := integrity.LeafOf(record(tb, i)).Marshal()
	return integrity.HashLeaf(b)
}

func newKey(tb testing.TB, origin string) *integrity.LedgerKey {
	tb.Helper()
	skey, _, err := integrity.GenerateLedgerKey(origin)
	if err != nil {
		tb.Fatal(err)
	}
	k, err := integrity.ParseLedgerKey(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func TestCheckpoints(t *testing.T) {
	k := newKey(t, "breachledger/test/1")
	other := newKey(t, "breachledger/other/2")
	impostor := newKey(t, "breachledger/test/1") // same name, another key
	root := bytes.Repeat([]byte{7}, 32)
	cp, err := k.Sign(12, root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.Public().Open(cp.Note)
	if err != nil || got.Size != 12 || !bytes.Equal(got.Root, root) || got.Origin != "breachledger/test/1" {
		t.Fatalf("Open = %+v, %v", got, err)
	}
	if !strings.HasPrefix(string(cp.Note), "breachledger/test/1\n12\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n\u2014 breachledger/test/1 ") {
		t.Errorf("not a C2SP checkpoint:\n%s", cp.Note)
	}
	pk, err := integrity.ParsePublicKey(k.Public().String())
	if err != nil || pk.Origin() != k.Origin() {
		t.Fatalf("ParsePublicKey(String()) = %v, %v", pk, err)
	}
	altered := bytes.Replace(cp.Note, []byte("\n12\n"), []byte("\n13\n"), 1)
	tests := []struct {
		name string
		key  *integrity.PublicKey
		note []byte
		want string
	}{
		{"another ledger's key", other.Public(), cp.Note, "not signed by the ledger key"},
		{"another key of the same name", impostor.Public(), cp.Note, "not signed by the ledger key"},
		{"an altered size", k.Public(), altered, "does not verify"},
		{"garbage", k.Public(), []byte("hello"), "open checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.key.Open(tt.note)
			if !errors.Is(err, integrity.ErrIntegrity) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open = %v, want ErrIntegrity saying %q", err, tt.want)
			}
		})
	}
}

func TestProofFiles(t *testing.T) {
	k := newKey(t, "breachledger/test/1")
	l, _ := leaves(t, 20)
	root12, _ := l.Root(12)
	root20, _ := l.Root(20)
	cp12, _ := k.Sign(12, root12)
	cp20, _ := k.Sign(20, root20)

	hashes, _ := l.Inclusion(5, 20)
	ip := integrity.InclusionProof{Leaf: integrity.LeafOf(record(t, 5)), Hashes: hashes, Checkpoint: cp20.Note}
	parsed, err := integrity.ParseInclusionProof(ip.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := parsed.Verify(k.Public()); err != nil || got.Size != 20 {
		t.Fatalf("inclusion proof: %v", err)
	}
	wrongLeaf := parsed
	wrongLeaf.Leaf = integrity.LeafOf(record(t, 6))
	wrongLeaf.Leaf.Sequence = 5
	if _, err := wrongLeaf.Verify(k.Public()); !errors.Is(err, integrity.ErrIntegrity) {
		t.Errorf("a proof with another event's leaf verified: %v", err)
	}
	oldCP := parsed
	oldCP.Checkpoint = cp12.Note
	if _, err := oldCP.Verify(k.Public()); !errors.Is(err, integrity.ErrIntegrity) {
		t.Errorf("a proof against another checkpoint verified: %v", err)
	}
	if err := integrity.SameCheckpoint("the proof", cp20, cp12); err == nil || !strings.Contains(err.Error(), "older or newer") {
		t.Errorf("SameCheckpoint of different sizes = %v", err)
	}

	ch, _ := l.Consistency(12, 20)
	cpf := integrity.ConsistencyProof{OldSize: 12, NewSize: 20, Hashes: ch, Old: cp12.Note, New: cp20.Note}
	back, err := integrity.ParseConsistencyProof(cpf.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if o, n, err := back.Verify(k.Public()); err != nil || o.Size != 12 || n.Size != 20 {
		t.Fatalf("consistency proof: %v", err)
	}
	// A fork: the same size signed with another root.
	forked, _ := k.Sign(12, bytes.Repeat([]byte{1}, 32))
	back.Old = forked.Note
	if _, _, err := back.Verify(k.Public()); !errors.Is(err, integrity.ErrIntegrity) || !strings.Contains(err.Error(), "history was rewritten") {
		t.Errorf("consistency from a forked checkpoint = %v", err)
	}
	if _, err := integrity.ParseConsistencyProof([]byte("breachledger/consistency-proof@v1\nold x\n")); !errors.Is(err, integrity.ErrMalformed) {
		t.Errorf("a malformed consistency proof = %v", err)
	}
}

// ExtendProof gives, from a compact range and the leaves after it alone,
// the root and the proof Leaves gives from every leaf.
func TestExtendProof(t *testing.T) {
	all, _ := leaves(t, 70)
	for _, size := range []uint64{0, 1, 2, 3, 7, 8, 9, 31, 32, 33, 50, 64, 69} {
		for _, end := range []uint64{size, size + 1, size + 2, 64, 70} {
			if end < size || end > 70 {
				continue
			}
			tree := integrity.NewTree()
			for i := uint64(0); i < size; i++ {
				tree.Append(l2(t, all, i))
			}
			var after [][]byte
			for i := size; i < end; i++ {
				after = append(after, l2(t, all, i))
			}
			root, hashes, err := integrity.ExtendProof(size, tree.Range(), after)
			if err != nil {
				t.Fatalf("ExtendProof(%d → %d): %v", size, end, err)
			}
			wantRoot, _ := all.Root(end)
			if !bytes.Equal(root, wantRoot) {
				t.Errorf("ExtendProof(%d → %d): root differs from the tree of every leaf", size, end)
			}
			if size == 0 || size == end {
				if len(hashes) != 0 {
					t.Errorf("ExtendProof(%d → %d): %d hashes, want none", size, end, len(hashes))
				}
				continue
			}
			want, err := all.Consistency(size, end)
			if err != nil {
				t.Fatal(err)
			}
			if len(hashes) != len(want) {
				t.Fatalf("ExtendProof(%d → %d): %d hashes, want %d", size, end, len(hashes), len(want))
			}
			for i := range want {
				if !bytes.Equal(hashes[i], want[i]) {
					t.Errorf("ExtendProof(%d → %d): hash %d differs", size, end, i)
				}
			}
			oldRoot, _ := all.Root(size)
			if err := integrity.VerifyConsistency(size, end, hashes, oldRoot, root); err != nil {
				t.Errorf("ExtendProof(%d → %d): the proof does not verify: %v", size, end, err)
			}
		}
	}
}
