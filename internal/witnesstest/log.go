package witnesstest

import (
	"crypto/rand"
	"testing"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"
)

// A Log is a log of the test's own, in the shape of breachledger's: an RFC
// 6962 Merkle tree whose checkpoints (c2sp.org/tlog-checkpoint) are signed
// notes under an Ed25519 key named after the log's origin. It speaks to a
// witness without any breachledger code, so the protocol tests of both
// witnesses (litewitness, witness/cosigner) rest on nothing under test.
type Log struct {
	Origin string
	VKey   string // the log's note verifier key, as a witness onboards it
	signer note.Signer
	tree   *testonly.Tree
}

// NewLog makes a log with a fresh key and the given leaves.
func NewLog(t testing.TB, origin string, leaves ...string) *Log {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l := &Log{Origin: origin, VKey: vkey, signer: s, tree: testonly.New(rfc6962.DefaultHasher)}
	l.Add(leaves...)
	return l
}

// Add appends leaves.
func (l *Log) Add(leaves ...string) {
	for _, leaf := range leaves {
		l.tree.AppendData([]byte(leaf))
	}
}

// Checkpoint is the log's signed checkpoint at its current size.
func (l *Log) Checkpoint(t testing.TB) []byte {
	t.Helper()
	return l.Sign(t, log.Checkpoint{Origin: l.Origin, Size: l.tree.Size(), Hash: l.tree.Hash()}.Marshal())
}

// Sign signs a note text with the log's key.
func (l *Log) Sign(t testing.TB, text []byte) []byte {
	t.Helper()
	signed, err := note.Sign(&note.Note{Text: string(text)}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// Proof is the consistency proof from size old to the log's current size.
func (l *Log) Proof(t testing.TB, old uint64) [][]byte {
	t.Helper()
	return l.ProofBetween(t, old, l.tree.Size())
}

// ProofBetween is the consistency proof from size old to size cur.
func (l *Log) ProofBetween(t testing.TB, old, cur uint64) [][]byte {
	t.Helper()
	p, err := l.tree.ConsistencyProof(old, cur)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Fork is another log under l's origin and (stolen) key, with other leaves.
func (l *Log) Fork(t testing.TB, leaves ...string) *Log {
	t.Helper()
	f := NewLog(t, l.Origin, leaves...)
	f.signer, f.VKey = l.signer, l.VKey
	return f
}
