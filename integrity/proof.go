package integrity

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/transparency-dev/formats/proof"
)

// An InclusionProof shows that Leaf is leaf Leaf.Sequence of the tree that
// Checkpoint signs. It is written as a C2SP tlog-proof whose "extra" line
// carries the encoded leaf, so it verifies with nothing else but the
// ledger's public key.
type InclusionProof struct {
	Leaf       Leaf
	Hashes     [][]byte
	Checkpoint []byte // the signed note, verbatim
}

// Marshal returns the proof as a C2SP tlog-proof (c2sp.org/tlog-proof@v1).
func (p InclusionProof) Marshal() []byte {
	tp := proof.TLogProof{Index: p.Leaf.Sequence, Checkpoint: p.Checkpoint, ExtraData: p.Leaf.Marshal()}
	for _, h := range p.Hashes {
		tp.Hashes = append(tp.Hashes, [HashSize]byte(h))
	}
	return tp.Marshal()
}

// ParseInclusionProof parses what Marshal wrote. It checks the form only;
// Verify checks the contents.
func ParseInclusionProof(b []byte) (InclusionProof, error) {
	var tp proof.TLogProof
	if err := tp.Unmarshal(b); err != nil {
		return InclusionProof{}, fmt.Errorf("parse inclusion proof: %v: %w", err, ErrMalformed)
	}
	if tp.ExtraData == nil {
		return InclusionProof{}, fmt.Errorf("parse inclusion proof: no leaf (the \"extra\" line): %w", ErrMalformed)
	}
	leaf, err := ParseLeaf(tp.ExtraData)
	if err != nil {
		return InclusionProof{}, fmt.Errorf("parse inclusion proof: %w", err)
	}
	if leaf.Sequence != tp.Index {
		return InclusionProof{}, fmt.Errorf("inclusion proof for index %d carries the leaf of sequence %d: %w", tp.Index, leaf.Sequence, ErrIntegrity)
	}
	p := InclusionProof{Leaf: leaf, Checkpoint: tp.Checkpoint}
	for _, h := range tp.Hashes {
		p.Hashes = append(p.Hashes, bytes.Clone(h[:]))
	}
	return p, nil
}

// Verify checks the proof with the ledger's public key and returns the
// checkpoint it is against. It fails (ErrIntegrity) when the checkpoint is
// not signed by key, or the leaf is not in the tree it signs.
func (p InclusionProof) Verify(key *PublicKey) (Checkpoint, error) {
	cp, err := key.Open(p.Checkpoint)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("inclusion proof: %w", err)
	}
	if p.Leaf.Sequence >= cp.Size {
		return Checkpoint{}, fmt.Errorf("inclusion proof: event at sequence %d is beyond the checkpoint's %d events: %w", p.Leaf.Sequence, cp.Size, ErrIntegrity)
	}
	if err := VerifyInclusion(p.Leaf.Sequence, cp.Size, p.Leaf.Hash(), p.Hashes, cp.Root); err != nil {
		return Checkpoint{}, fmt.Errorf("inclusion proof: event %s at sequence %d is not in the tree of checkpoint %d (%v): %w",
			p.Leaf.ID, p.Leaf.Sequence, cp.Size, err, ErrIntegrity)
	}
	return cp, nil
}

const consistencyHeader = "breachledger/consistency-proof@v1"

// A ConsistencyProof shows that the tree signed by Old is a prefix of the
// tree signed by New: nothing in the first Old.Size events was changed,
// removed or reordered by the time of New. It is written in the line format
// of C2SP tlog-proof:
//
//	breachledger/consistency-proof@v1
//	old SIZE1
//	new SIZE2
//	base64 hash, one a line
//	(blank line)
//	old checkpoint, verbatim
//	new checkpoint, verbatim
type ConsistencyProof struct {
	OldSize, NewSize uint64
	Hashes           [][]byte
	Old, New         []byte // signed notes, verbatim
}

// Marshal writes the proof.
func (p ConsistencyProof) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nold %d\nnew %d\n", consistencyHeader, p.OldSize, p.NewSize)
	for _, h := range p.Hashes {
		b.WriteString(base64.StdEncoding.EncodeToString(h) + "\n")
	}
	b.WriteByte('\n')
	b.Write(p.Old)
	b.Write(p.New)
	return b.Bytes()
}

// ParseConsistencyProof parses what Marshal wrote.
func ParseConsistencyProof(data []byte) (ConsistencyProof, error) {
	var p ConsistencyProof
	fail := func(format string, args ...any) (ConsistencyProof, error) {
		return ConsistencyProof{}, fmt.Errorf("parse consistency proof: "+format+": %w", append(args, ErrMalformed)...)
	}
	head, notes, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		return fail("no blank line before the checkpoints")
	}
	sc := bufio.NewScanner(bytes.NewReader(head))
	lineNo := 0
	for sc.Scan() {
		line := sc.Text()
		lineNo++
		var err error
		switch {
		case lineNo == 1:
			if line != consistencyHeader {
				return fail("first line is %q, want %q", line, consistencyHeader)
			}
		case lineNo == 2:
			v, ok := strings.CutPrefix(line, "old ")
			if p.OldSize, err = strconv.ParseUint(v, 10, 64); !ok || err != nil {
				return fail("line 2 is %q, want \"old SIZE\"", line)
			}
		case lineNo == 3:
			v, ok := strings.CutPrefix(line, "new ")
			if p.NewSize, err = strconv.ParseUint(v, 10, 64); !ok || err != nil {
				return fail("line 3 is %q, want \"new SIZE\"", line)
			}
		default:
			h, err := base64.StdEncoding.DecodeString(line)
			if err != nil || len(h) != HashSize {
				return fail("line %d is not a base64 SHA-256 hash", lineNo)
			}
			p.Hashes = append(p.Hashes, h)
		}
	}
	if lineNo < 3 {
		return fail("too short")
	}
	old, rest, err := splitNote(notes)
	if err != nil {
		return fail("old checkpoint: %v", err)
	}
	if len(rest) == 0 {
		return fail("no new checkpoint")
	}
	p.Old, p.New = old, rest
	return p, nil
}

// splitNote splits the first signed note off b: its text up to the blank
// line, then every signature line ("— name sig").
func splitNote(b []byte) (note, rest []byte, err error) {
	i := bytes.Index(b, []byte("\n\n"))
	if i < 0 {
		return nil, nil, errors.New("no signature block")
	}
	end := i + 2
	for end < len(b) && bytes.HasPrefix(b[end:], []byte("\u2014 ")) {
		nl := bytes.IndexByte(b[end:], '\n')
		if nl < 0 {
			end = len(b)
			break
		}
		end += nl + 1
	}
	if end == i+2 {
		return nil, nil, errors.New("no signature lines")
	}
	return b[:end], b[end:], nil
}

// Verify checks both checkpoints with key and the proof between them, and
// returns them.
func (p ConsistencyProof) Verify(key *PublicKey) (old, cur Checkpoint, err error) {
	if old, err = key.Open(p.Old); err != nil {
		return Checkpoint{}, Checkpoint{}, fmt.Errorf("consistency proof: old %w", err)
	}
	if cur, err = key.Open(p.New); err != nil {
		return Checkpoint{}, Checkpoint{}, fmt.Errorf("consistency proof: new %w", err)
	}
	if old.Size != p.OldSize || cur.Size != p.NewSize {
		return Checkpoint{}, Checkpoint{}, fmt.Errorf("consistency proof is for sizes %d and %d, its checkpoints are of sizes %d and %d: %w",
			p.OldSize, p.NewSize, old.Size, cur.Size, ErrIntegrity)
	}
	if old.Size > cur.Size {
		return Checkpoint{}, Checkpoint{}, fmt.Errorf("consistency proof: the old checkpoint (%d events) is larger than the new one (%d): %w", old.Size, cur.Size, ErrIntegrity)
	}
	if old.Size == 0 {
		if !bytes.Equal(old.Root, hasher.EmptyRoot()) {
			return Checkpoint{}, Checkpoint{}, fmt.Errorf("consistency proof: an empty tree with a root other than the empty root: %w", ErrIntegrity)
		}
		return old, cur, nil
	}
	if err := VerifyConsistency(old.Size, cur.Size, p.Hashes, old.Root, cur.Root); err != nil {
		return Checkpoint{}, Checkpoint{}, fmt.Errorf("consistency proof: the tree of %d events is not a prefix of the tree of %d events (%v): history was rewritten: %w",
			old.Size, cur.Size, err, ErrIntegrity)
	}
	return old, cur, nil
}

// SameCheckpoint reports an error when got and want are not the same tree
// head: used to refuse a proof that is against another checkpoint than the
// one the auditor holds.
func SameCheckpoint(what string, got, want Checkpoint) error {
	switch {
	case got.Origin != want.Origin:
		return fmt.Errorf("%s is for log %q, the given checkpoint for %q: %w", what, got.Origin, want.Origin, ErrIntegrity)
	case got.Size != want.Size:
		return fmt.Errorf("%s is against a checkpoint of %d events, the given checkpoint has %d (an older or newer checkpoint): %w", what, got.Size, want.Size, ErrIntegrity)
	case !bytes.Equal(got.Root, want.Root):
		return fmt.Errorf("%s is against a checkpoint of %d events with another root than the given checkpoint's (a fork: two histories signed): %w", what, got.Size, ErrIntegrity)
	}
	return nil
}
