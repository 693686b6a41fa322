package integrity

import (
	"bytes"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

var (
	hasher  = rfc6962.DefaultHasher
	factory = &compact.RangeFactory{Hash: hasher.HashChildren}
)

// HashSize is the size of every hash of the tree (SHA-256).
const HashSize = 32

// A Tree is the RFC 6962 Merkle tree of a ledger's first Size leaves, kept as
// a compact range: at most log2(Size)+1 hashes, so appending costs O(log n).
type Tree struct{ r *compact.Range }

// NewTree returns the empty tree.
func NewTree() *Tree { return &Tree{r: factory.NewEmptyRange(0)} }

// TreeFromRange rebuilds a tree of size leaves from the hashes of its
// compact range (what Range returned).
func TreeFromRange(size uint64, hashes [][]byte) (*Tree, error) {
	for i, h := range hashes {
		if len(h) != HashSize {
			return nil, fmt.Errorf("rebuild tree of size %d: hash %d has %d bytes: %w", size, i, len(h), ErrMalformed)
		}
	}
	r, err := factory.NewRange(0, size, cloneHashes(hashes))
	if err != nil {
		return nil, fmt.Errorf("rebuild tree of size %d: %v: %w", size, err, ErrMalformed)
	}
	return &Tree{r: r}, nil
}

// Append adds a leaf hash (HashLeaf of an encoded leaf).
func (t *Tree) Append(leafHash []byte) {
	// Append fails only for a range not starting at 0, which a Tree never is.
	if err := t.r.Append(leafHash, nil); err != nil {
		panic(err)
	}
}

// Size returns the number of leaves.
func (t *Tree) Size() uint64 { return t.r.End() }

// Root returns the tree's root hash; the empty tree's is SHA-256("").
func (t *Tree) Root() []byte {
	if t.r.End() == 0 {
		return hasher.EmptyRoot()
	}
	root, err := t.r.GetRootHash(nil)
	if err != nil {
		panic(err) // only for a range not starting at 0
	}
	return root
}

// Range returns a copy of the compact range's hashes, left to right: the
// state TreeFromRange needs to go on appending.
func (t *Tree) Range() [][]byte { return cloneHashes(t.r.Hashes()) }

// equal reports whether t and u are the same tree state: the same size and
// compact range, so that appending the same leaves to both gives the same
// roots.
func (t *Tree) equal(u *Tree) bool {
	if t.Size() != u.Size() {
		return false
	}
	th, uh := t.r.Hashes(), u.r.Hashes()
	if len(th) != len(uh) {
		return false
	}
	for i := range th {
		if !bytes.Equal(th[i], uh[i]) {
			return false
		}
	}
	return true
}

// Clone returns an independent copy of t.
func (t *Tree) Clone() *Tree {
	c, _ := TreeFromRange(t.Size(), t.r.Hashes())
	return c
}

func cloneHashes(hs [][]byte) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = bytes.Clone(h)
	}
	return out
}

// Leaves holds every leaf hash of a tree, in order, and builds proofs over
// any prefix of it. It costs 32 bytes a leaf (32 MB for a million events).
type Leaves struct{ hashes [][]byte }

// Append adds the next leaf hash.
func (l *Leaves) Append(leafHash []byte) { l.hashes = append(l.hashes, leafHash) }

// Len returns the number of leaves.
func (l *Leaves) Len() uint64 { return uint64(len(l.hashes)) }

// Root returns the root hash of the tree of the first size leaves.
func (l *Leaves) Root(size uint64) ([]byte, error) {
	if size > l.Len() {
		return nil, fmt.Errorf("tree of size %d: only %d leaves", size, l.Len())
	}
	t := NewTree()
	for _, h := range l.hashes[:size] {
		t.Append(h)
	}
	return t.Root(), nil
}

// Inclusion returns the RFC 6962 inclusion proof of leaf index in the tree
// of the first size leaves.
func (l *Leaves) Inclusion(index, size uint64) ([][]byte, error) {
	if size > l.Len() {
		return nil, fmt.Errorf("prove inclusion in a tree of size %d: only %d leaves", size, l.Len())
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("prove inclusion: %w", err)
	}
	return l.rehash(nodes)
}

// Consistency returns the RFC 6962 consistency proof between the trees of
// the first size1 and size2 leaves.
func (l *Leaves) Consistency(size1, size2 uint64) ([][]byte, error) {
	if size2 > l.Len() {
		return nil, fmt.Errorf("prove consistency with a tree of size %d: only %d leaves", size2, l.Len())
	}
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, fmt.Errorf("prove consistency: %w", err)
	}
	return l.rehash(nodes)
}

func (l *Leaves) rehash(nodes proof.Nodes) ([][]byte, error) {
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		hashes[i] = l.node(id.Level, id.Index)
	}
	return nodes.Rehash(hashes, hasher.HashChildren)
}

// node returns the hash of the perfect subtree (level, index).
func (l *Leaves) node(level uint, index uint64) []byte {
	if level == 0 {
		return l.hashes[index]
	}
	return hasher.HashChildren(l.node(level-1, 2*index), l.node(level-1, 2*index+1))
}

// VerifyInclusion checks that leafHash is leaf index of the tree of size
// leaves with root.
func VerifyInclusion(index, size uint64, leafHash []byte, hashes [][]byte, root []byte) error {
	return proof.VerifyInclusion(hasher, index, size, leafHash, hashes, root)
}

// VerifyConsistency checks that the tree of size1 leaves with root1 is a
// prefix of the tree of size2 leaves with root2.
func VerifyConsistency(size1, size2 uint64, hashes [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(hasher, size1, size2, hashes, root1, root2)
}

// ExtendProof extends the tree of size leaves whose compact range is rng
// (what Range returned, as a stored checkpoint keeps it) by leafHashes, and
// returns the root of the extended tree and the RFC 6962 consistency proof
// from size to it (none from 0, or when nothing is added). It reads no
// other leaf: every node the proof needs left of size is in the compact
// range, and the others are made by the appends, so the cost is that of
// the leaves added. Whether rng is the genuine range is the caller's
// question: the returned root, checked against a signed one, answers it.
func ExtendProof(size uint64, rng [][]byte, leafHashes [][]byte) (root []byte, hashes [][]byte, err error) {
	t, err := TreeFromRange(size, rng)
	if err != nil {
		return nil, nil, err
	}
	nodes := map[compact.NodeID][]byte{}
	for i, id := range compact.RangeNodes(0, size, nil) {
		nodes[id] = t.r.Hashes()[i]
	}
	keep := func(id compact.NodeID, h []byte) { nodes[id] = h }
	for _, h := range leafHashes {
		if err := t.r.Append(h, keep); err != nil {
			return nil, nil, fmt.Errorf("extend the tree of size %d: %w", size, err)
		}
	}
	root = t.Root()
	end := t.Size()
	if size == 0 || size == end {
		return root, nil, nil
	}
	p, err := proof.Consistency(size, end)
	if err != nil {
		return nil, nil, fmt.Errorf("prove consistency from %d to %d: %w", size, end, err)
	}
	hs := make([][]byte, len(p.IDs))
	for i, id := range p.IDs {
		h, ok := nodes[id]
		if !ok {
			return nil, nil, fmt.Errorf("prove consistency from %d to %d: node %+v is neither in the compact range nor made by the appends", size, end, id)
		}
		hs[i] = h
	}
	hashes, err = p.Rehash(hs, hasher.HashChildren)
	return root, hashes, err
}
