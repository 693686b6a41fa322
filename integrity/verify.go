package integrity

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/safetext"
)

// A SignaturePolicy judges actor signatures. Verify calls Judge once for
// every record, in sequence order, so a policy can learn from the log as it
// goes (the signer registry and the policy are ledger events). Judge
// reports whether r carries a valid signature, and an error (matching
// ErrIntegrity) when r's signature, or its absence, is not acceptable as of
// r's place in the log.
type SignaturePolicy interface {
	Judge(r eventstore.Record) (signed bool, err error)
}

// Options are what Verify checks a log with.
type Options struct {
	// Key verifies the checkpoints. Required.
	Key *PublicKey
	// Policy judges actor signatures; nil judges none.
	Policy SignaturePolicy
	// Against are checkpoints kept elsewhere (already opened with Key):
	// the log must be a consistent extension of each.
	Against []Checkpoint
	// StampSlack is how far a recorded time may fall behind the latest
	// one before it in the sequence. 0 for stores that stamp under the
	// append's own lock, whose recorded times never decrease (SQLite);
	// stores whose writers stamp before the append takes its place in the
	// total order (EventStoreDB) declare theirs (eventstore.StampSlacker).
	StampSlack time.Duration
	// Rotations are the ledger key's hand-overs, in order: a checkpoint
	// of more events than a rotation's After is signed by its Key, and
	// one signed by a key a rotation retired fails.
	Rotations []Rotation
	// LeafCopies, when set, reads the leaf copies kept for sequences
	// [from, to) (a nil entry for one missing); the checkpoints Verify is
	// given then carry none (Leaves), and it reads a checkpoint's copies
	// only when they can tell something: when the checkpoint does not
	// open, when the events it covers do not give the root it signed, when
	// the log lacks one of them or ends before it, or when an earlier
	// event is out of place. The copies of an intact interval are the
	// events the log has there; reading them would change nothing Verify
	// reports of the log, so an altered copy beside intact events is then
	// not reported.
	LeafCopies func(from, to uint64) ([][]byte, error)
}

// A Rotation is one hand-over of the ledger key, as the ledger records it
// (a notary's appointment): checkpoints covering more than After events
// are signed by Key, no longer by the key before it.
type Rotation struct {
	After uint64     // the last checkpoint size the previous key may sign
	Key   *PublicKey // the key that signs every checkpoint after
	Seq   uint64     // the sequence of the event that records the hand-over
}

// KeyAt returns the key that signs a checkpoint of size events of a
// ledger whose first key is key and whose key was handed over by
// rotations (in order), and the keys retired before it, newest first.
func KeyAt(key *PublicKey, rotations []Rotation, size uint64) (*PublicKey, []*PublicKey) {
	var retired []*PublicKey
	for _, r := range rotations {
		if size > r.After {
			retired = append([]*PublicKey{key}, retired...)
			key = r.Key
		}
	}
	return key, retired
}

// openCheckpoint opens a checkpoint note of size events with the key that
// signs it (keyFor); one that opens only with a retired key says so.
func (o Options) openCheckpoint(size uint64, signed []byte) (Checkpoint, error) {
	return OpenAt(o.Key, o.Rotations, size, signed)
}

// OpenAt opens a checkpoint note of size events with the key that signs
// it (KeyAt); one that opens only with a retired key says so.
func OpenAt(first *PublicKey, rotations []Rotation, size uint64, signed []byte) (Checkpoint, error) {
	key, retired := KeyAt(first, rotations, size)
	cp, err := key.Open(signed)
	if err == nil {
		return cp, nil
	}
	for _, old := range retired {
		if _, oerr := old.Open(signed); oerr == nil {
			return Checkpoint{}, fmt.Errorf("signed with the retired ledger key %s, which a hand-over replaced with %s: after the hand-over only the new key signs checkpoints: %w", old.Fingerprint(), key.Fingerprint(), ErrIntegrity)
		}
	}
	return Checkpoint{}, err
}

// A Problem is one thing that does not verify, at one place in the log.
type Problem struct {
	Seq     uint64 `json:"seq"`                // the event's sequence (for a checkpoint, the first it covers)
	EventID string `json:"event_id,omitempty"` // the event concerned, when known
	What    string `json:"what"`               // a short kind: "changed", "missing", "signature", "checkpoint", ...
	Detail  string `json:"detail"`             // what differs, for a person
}

// String describes p on one line for a person. Detail may quote what the
// file holds (a type, an actor, a stream from a row or a leaf copy): it is
// printed through safetext.Line, so nothing in it acts on a terminal.
func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seq %d", p.Seq)
	if p.EventID != "" {
		fmt.Fprintf(&b, ", event %s", p.EventID)
	}
	fmt.Fprintf(&b, ": %s: %s", p.What, p.Detail)
	return safetext.Line(b.String())
}

// A Report is the outcome of Verify.
type Report struct {
	Origin      string    `json:"origin"`
	Events      uint64    `json:"events"`            // records read
	Checkpoints int       `json:"checkpoints"`       // stored checkpoints checked
	Covered     uint64    `json:"covered"`           // events covered by the newest valid checkpoint
	Signed      int       `json:"signed"`            // events with a valid actor signature
	Root        []byte    `json:"root"`              // the recomputed root of every event
	Against     []uint64  `json:"against,omitempty"` // kept checkpoints the log (or bundle) is shown to extend
	Range       *Range    `json:"range,omitempty"`   // a bundle's range of sequences
	Problems    []Problem `json:"problems"`
	// Pending are, on a ledger with a notary, the events its newest
	// checkpoint does not cover yet: lag, not a problem, unless the oldest
	// has waited longer than the ledger's notary-lag (a "lag" problem).
	Pending *Pending `json:"pending,omitempty"`
	// Raced are events that lost a revocation race (a key or role revoked
	// after the ledger revision they were decided on, before their place
	// in the log), as the Policy reported them: no reader counts them,
	// and they are not problems (OK ignores them).
	Raced []Problem `json:"raced,omitempty"`
	// Witnessed says which trusted witnesses cosigned the newest valid
	// checkpoint (or a bundle's or proof's), when the caller checked
	// (WitnessPolicy); a policy not met is also a "witness" problem.
	Witnessed *WitnessReport `json:"witnessed,omitempty"`
}

// Pending is the part of a notary's ledger not yet checkpointed.
type Pending struct {
	Count          uint64    `json:"count"`
	From           uint64    `json:"from"` // the first sequence not checkpointed
	OldestRecorded time.Time `json:"oldest_recorded"`
	Limit          string    `json:"notary_lag"` // the ledger's notary-lag setting
}

// String says what is pending, for a person.
func (p Pending) String() string {
	return fmt.Sprintf("not yet checkpointed: %d (oldest recorded %s)", p.Count, p.OldestRecorded.UTC().Format(time.RFC3339))
}

// OK reports whether nothing failed.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// First returns the first problem in sequence order, or nil.
func (r *Report) First() *Problem {
	if len(r.Problems) == 0 {
		return nil
	}
	return &r.Problems[0]
}

// Err returns nil for an intact log, and otherwise an error matching
// ErrIntegrity that names the first problem.
func (r *Report) Err() error {
	if p := r.First(); p != nil {
		return fmt.Errorf("%d problem(s), first: %s: %w", len(r.Problems), p, ErrIntegrity)
	}
	return nil
}

// Verify checks a log (records in sequence order, as eventstore.All yields
// them) against its stored checkpoints (in order of size, as
// eventstore.Checkpoints yields them), and against the kept checkpoints of
// opts.Against. It recomputes every leaf and the whole tree from the raw
// records, checks every checkpoint's signature and root, compares each
// record with the leaf copy its checkpoint kept, judges actor signatures,
// and reports every problem in sequence order. It returns an error only
// when it cannot read; a tampered log gives a report with problems.
//
// Each checkpoint is also checked on its own: the tree of the previous
// checkpoint (its stored compact range, once its root matches the signed
// one) extended with this checkpoint's events must give the signed root.
// That tells which checkpoint interval an altered event is in even when
// later ones all fail, and whether the leaf copies of that interval can be
// trusted to say which event and what changed.
func Verify(ctx context.Context, records iter.Seq2[eventstore.Record, error], checkpoints iter.Seq2[eventstore.Checkpoint, error], opts Options) (*Report, error) {
	if opts.Key == nil {
		return nil, fmt.Errorf("verify: no ledger public key")
	}
	next, stop := iter.Pull2(checkpoints)
	defer stop()
	v := &verifier{
		ctx: ctx, opts: opts, pull: next, raw: NewTree(),
		rep:      &Report{Origin: opts.Key.Origin()},
		problems: map[uint64]*Problem{},
		logAt:    map[uuid.UUID]uint64{}, copyAt: map[uuid.UUID]uint64{}, signedAt: map[uuid.UUID]uint64{},
		base: NewTree(), ivRawShared: true, ivCopyShared: true, ivCopyComplete: true,
	}
	against := append([]Checkpoint(nil), opts.Against...)
	sort.Slice(against, func(i, j int) bool { return against[i].Size < against[j].Size })
	v.against = against
	if err := v.load(); err != nil {
		return nil, err
	}
	for r, err := range records {
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		if r.Sequence < v.pos {
			v.add(r.Sequence, r.ID.String(), "order", fmt.Sprintf("sequence %d appears again, or out of order, after sequence %d", r.Sequence, v.pos-1))
			continue
		}
		for v.pos < r.Sequence {
			if err := v.position(nil); err != nil {
				return nil, err
			}
		}
		rr := r
		if err := v.position(&rr); err != nil {
			return nil, err
		}
	}
	if err := v.end(); err != nil {
		return nil, err
	}
	return v.report(), nil
}

type verifier struct {
	ctx     context.Context
	opts    Options
	pull    func() (eventstore.Checkpoint, error, bool)
	rep     *Report
	against []Checkpoint

	raw          *Tree  // every position from scratch: the raw log
	pos          uint64 // next sequence
	lastRecorded time.Time
	rawFailed    int // checkpoints the raw tree did not match

	cp       *eventstore.Checkpoint // the stored checkpoint covering pos; nil past the newest
	prevSize uint64                 // size of the last checkpoint finished

	// The current interval: from the last authenticated checkpoint to cp.
	// ivRaw is the authenticated tree extended with the log's leaves, ivCopy
	// with their copies'; neither is kept while it is another tree: ivRaw
	// while it is raw (the interval extends the raw tree's own state: the
	// usual case), ivCopy while it is ivRaw (every copy so far is its
	// leaf). The interval's trees are unknown when base is nil.
	base           *Tree // the authenticated tree the interval extends; nil: unknown
	ivRaw, ivCopy  *Tree
	ivRawShared    bool // ivRaw is raw
	ivCopyShared   bool // ivCopy is ivRaw
	ivCopyComplete bool
	ivStart        uint64
	ivEvents       []ivEvent

	// With Options.LeafCopies: whether cp's copies are in hand, and the
	// events of cp whose comparison with their copy waits for them (with
	// the copies' tree as it was before the first).
	loaded      bool
	pending     []pendingCopy
	pendingTree *Tree
	pendingFull bool // ivCopyComplete before the first

	uncovered, uncoveredFrom uint64
	uncoveredID              string
	gaps, firstGap           uint64 // sequences the log has no event at, and the first
	problems                 map[uint64]*Problem
	extra                    []Problem // problems beyond one per sequence

	// Where the log has another event than the leaf copy signed at the
	// same sequence (the first maxMismatches of them): which event each
	// side has, so the report can say which were removed and how far the
	// others moved.
	mismatches       []mismatch
	mismatchesCapped bool                 // there were more than maxMismatches
	logAt            map[uuid.UUID]uint64 // the log's event at a mismatch → its sequence
	copyAt           map[uuid.UUID]uint64 // the copy's event at a mismatch → its sequence
	signedAt         map[uuid.UUID]uint64 // a log event of logAt → where a leaf copy has it
}

// maxMismatches bounds how many mismatches the verifier explains.
const maxMismatches = 64

type mismatch struct {
	seq    uint64
	logID  uuid.UUID
	signed Leaf // the leaf copy at seq
}

type ivEvent struct {
	seq   uint64
	id    string // "" when unknown
	diffs []string
}

// pendingCopy is an event whose comparison with its leaf copy waits for
// the copies of its checkpoint (Options.LeafCopies).
type pendingCopy struct {
	seq       uint64
	leaf      Leaf
	leafBytes []byte
	rawHash   []byte
	id        string
	ev        int // its entry of ivEvents
}

// ivKnown reports whether the interval's trees are known (an
// authenticated tree to extend).
func (v *verifier) ivKnown() bool { return v.base != nil }

// ivRawTree is the interval's tree of the log's leaves.
func (v *verifier) ivRawTree() *Tree {
	if v.ivRawShared {
		return v.raw
	}
	return v.ivRaw
}

// ivCopyTree is the interval's tree of the leaf copies.
func (v *verifier) ivCopyTree() *Tree {
	if v.ivCopyShared {
		return v.ivRawTree()
	}
	return v.ivCopy
}

// load moves to the next stored checkpoint, checking that its leaf copies
// start where the previous one ended.
func (v *verifier) load() error {
	cp, err, ok := v.pull()
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !ok {
		v.cp = nil
		return nil
	}
	v.cp = &cp
	v.loaded = v.opts.LeafCopies == nil
	if cp.Size <= v.prevSize {
		v.add(v.prevSize, "", "checkpoint", fmt.Sprintf("stored checkpoints are out of order: %d after %d", cp.Size, v.prevSize))
	}
	if cp.LeavesFrom != v.prevSize {
		v.add(v.prevSize, "", "checkpoint", fmt.Sprintf("checkpoint %d keeps leaf copies from sequence %d, the previous checkpoint ended at %d (a checkpoint was removed or altered)", cp.Size, cp.LeavesFrom, v.prevSize))
	}
	return nil
}

// copyOf returns the leaf copy kept for seq, or nil.
func (v *verifier) copyOf(seq uint64) []byte {
	if v.cp == nil || seq < v.cp.LeavesFrom || seq >= v.cp.Size || seq-v.cp.LeavesFrom >= uint64(len(v.cp.Leaves)) {
		return nil
	}
	return v.cp.Leaves[seq-v.cp.LeavesFrom]
}

// position handles sequence v.pos: r is its record, or nil when the log has
// none there.
func (v *verifier) position(r *eventstore.Record) error {
	seq := v.pos
	v.pos++
	covered := v.cp != nil
	if covered && !v.loaded && (r == nil || len(v.logAt) > 0) {
		// A gap takes its place in the tree from the copy; an event
		// out of place is explained with the copies.
		if err := v.loadCopies(); err != nil {
			return err
		}
	}
	var (
		leaf      Leaf
		leafBytes []byte
		rawHash   []byte
		id        string
	)
	if r != nil {
		leaf = LeafOf(*r)
		leafBytes = leaf.Marshal()
		rawHash = HashLeaf(leafBytes)
		id = r.ID.String()
	}
	var c comparison
	deferred := covered && !v.loaded
	if deferred {
		// Taken to be its leaf until the copies are read (loadCopies).
		if len(v.pending) == 0 && v.ivKnown() {
			v.pendingTree, v.pendingFull = v.ivCopyTree().Clone(), v.ivCopyComplete
		}
		v.pending = append(v.pending, pendingCopy{seq: seq, leaf: leaf, leafBytes: leafBytes, rawHash: rawHash, id: id, ev: len(v.ivEvents)})
		c.hash = rawHash
	} else {
		c = v.compare(seq, r != nil, leaf, leafBytes, rawHash, covered)
	}
	if r != nil {
		if !v.lastRecorded.IsZero() && r.RecordedAt.Before(v.lastRecorded.Add(-v.opts.StampSlack)) {
			detail := fmt.Sprintf("recorded time %s is before an earlier event's %s", stamp(r.RecordedAt), stamp(v.lastRecorded))
			if v.opts.StampSlack > 0 {
				detail += fmt.Sprintf(", by more than this store's %s of slack", v.opts.StampSlack)
			}
			v.add(seq, id, "order", detail)
		}
		if r.RecordedAt.After(v.lastRecorded) {
			v.lastRecorded = r.RecordedAt
		}
		v.rep.Events++
		if v.opts.Policy != nil {
			signed, err := v.opts.Policy.Judge(*r)
			if err != nil {
				v.add(seq, id, "signature", err.Error())
			} else if signed {
				v.rep.Signed++
			}
		}
	} else {
		detail := "the log has no event at this sequence (removed)"
		if c.ok {
			id = c.leaf.ID.String()
			detail = fmt.Sprintf("event %s (%s by %s, recorded %s) is missing from the log (removed)", c.leaf.ID, safetext.Line(c.leaf.Type), safetext.Line(c.leaf.Actor), stamp(c.leaf.RecordedAt))
		}
		v.add(seq, id, "missing", detail)
		if v.gaps == 0 {
			v.firstGap = seq
		}
		v.gaps++
		rawHash = c.hash // keep the tree aligned; the gap is reported
		if rawHash == nil {
			rawHash = make([]byte, HashSize)
		}
	}
	if !deferred {
		v.settle(seq, id, c)
	}
	if covered && v.ivKnown() && v.ivCopyShared && !bytes.Equal(c.hash, rawHash) {
		// The copies part from the leaves here: their tree is the
		// leaves' so far, then goes its own way.
		v.ivCopy, v.ivCopyShared = v.ivRawTree().Clone(), false
	}
	v.raw.Append(rawHash)
	if !covered {
		if v.uncovered == 0 {
			v.uncoveredFrom, v.uncoveredID = seq, id
		}
		v.uncovered++
	} else {
		if v.ivKnown() && !v.ivRawShared {
			v.ivRaw.Append(rawHash)
		}
		if v.ivKnown() && !v.ivCopyShared && c.hash != nil {
			v.ivCopy.Append(c.hash)
		}
		v.ivEvents = append(v.ivEvents, ivEvent{seq: seq, id: id, diffs: c.diffs})
	}
	for len(v.against) > 0 && v.against[0].Size == v.raw.Size() {
		v.checkAgainst(v.against[0])
		v.against = v.against[1:]
	}
	if covered && v.pos == v.cp.Size {
		if err := v.finish(); err != nil {
			return err
		}
		return v.load()
	}
	return nil
}

// comparison is what the leaf copy at a sequence says of the event there.
type comparison struct {
	hash  []byte // the copy's leaf hash; nil without a copy
	leaf  Leaf   // the copy, parsed
	ok    bool   // leaf is set
	diffs []string
	err   string // why the copy does not parse
}

// compare compares the event at seq (has: the log has one, of leaf,
// encoded as leafBytes with hash rawHash) with its leaf copy, noting where
// the log has another event than the one signed there.
func (v *verifier) compare(seq uint64, has bool, leaf Leaf, leafBytes, rawHash []byte, covered bool) comparison {
	var c comparison
	copyBytes := v.copyOf(seq)
	switch {
	case copyBytes != nil && has && bytes.Equal(leafBytes, copyBytes):
		// The usual case: the event is the one signed here. No need to
		// parse the copy or hash it again.
		c.hash, c.leaf, c.ok = rawHash, leaf, true
	case copyBytes != nil:
		c.hash = HashLeaf(copyBytes)
		l, err := ParseLeaf(copyBytes)
		if err != nil {
			c.err = err.Error()
		} else {
			c.leaf, c.ok = l, true
		}
	case covered:
		v.ivCopyComplete = false
	}
	if has && c.ok && !bytes.Equal(leafBytes, copyBytes) {
		c.diffs = leaf.Diff(c.leaf)
		if leaf.ID != c.leaf.ID {
			if len(v.mismatches) < maxMismatches {
				v.mismatches = append(v.mismatches, mismatch{seq: seq, logID: leaf.ID, signed: c.leaf})
				v.logAt[leaf.ID], v.copyAt[c.leaf.ID] = seq, seq
			} else {
				v.mismatchesCapped = true
			}
		}
	}
	return c
}

// settle records what the comparison c at seq found beside the event's
// other checks.
func (v *verifier) settle(seq uint64, id string, c comparison) {
	if c.ok {
		v.sawCopy(seq, c.leaf.ID)
	}
	if c.err != "" {
		v.add(seq, id, "leaf copy", "the leaf copy kept with checkpoint is malformed: "+c.err)
	}
}

// loadCopies reads the leaf copies of v.cp (Options.LeafCopies) and
// compares the events that waited for them, building the copies' tree
// again from where they started.
func (v *verifier) loadCopies() error {
	cp := v.cp
	if cp.LeavesFrom < cp.Size {
		leaves, err := v.opts.LeafCopies(cp.LeavesFrom, cp.Size)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if uint64(len(leaves)) != cp.Size-cp.LeavesFrom {
			return fmt.Errorf("verify: read %d leaf copies of checkpoint %d from sequence %d, want %d", len(leaves), cp.Size, cp.LeavesFrom, cp.Size-cp.LeavesFrom)
		}
		cp.Leaves = leaves
	}
	v.loaded = true
	if len(v.pending) == 0 {
		return nil
	}
	if v.ivKnown() {
		v.ivCopy, v.ivCopyShared, v.ivCopyComplete = v.pendingTree, false, v.pendingFull
	}
	for _, p := range v.pending {
		c := v.compare(p.seq, true, p.leaf, p.leafBytes, p.rawHash, true)
		v.settle(p.seq, p.id, c)
		if v.ivKnown() && c.hash != nil {
			v.ivCopy.Append(c.hash)
		}
		v.ivEvents[p.ev].diffs = c.diffs
	}
	v.pending, v.pendingTree = v.pending[:0], nil
	return nil
}

// finish checks the stored checkpoint v.cp once every position it covers
// has been seen.
func (v *verifier) finish() error {
	signed, err := v.opts.openCheckpoint(v.cp.Size, v.cp.Note)
	if !v.loaded && (err != nil || !v.ivKnown() || signed.Size != v.cp.Size || !bytes.Equal(v.ivRawTree().Root(), signed.Root)) {
		if err := v.loadCopies(); err != nil {
			return err
		}
	}
	v.pending, v.pendingTree = v.pending[:0], nil // intact: the copies are the events
	cp := *v.cp
	v.rep.Checkpoints++
	start := v.ivStart
	at := func(what, format string, args ...any) {
		v.extra = append(v.extra, Problem{Seq: cp.Size - 1, What: what, Detail: fmt.Sprintf("checkpoint %d: ", cp.Size) + fmt.Sprintf(format, args...)})
	}
	if err != nil {
		at("checkpoint", "%v", err)
		v.prevSize = cp.Size
		return nil // unauthenticated: its interval merges into the next
	}
	if signed.Size != cp.Size {
		at("checkpoint", "the signed note is for %d events, the row says %d", signed.Size, cp.Size)
	}
	if !bytes.Equal(signed.Root, cp.Root) {
		at("checkpoint", "the stored root differs from the signed one")
	}
	var rangeTree *Tree
	if t, err := TreeFromRange(signed.Size, cp.Range); err != nil {
		at("checkpoint", "the stored compact range is malformed: %v", err)
	} else if !bytes.Equal(t.Root(), signed.Root) {
		at("checkpoint", "the stored compact range (the state the next append extends) does not give the signed root: it was altered")
	} else {
		rangeTree = t
	}
	if signed.Size == v.raw.Size() {
		if !bytes.Equal(v.raw.Root(), signed.Root) {
			if v.rawFailed == 0 {
				at("checkpoint", "the tree recomputed from the first %d events does not give the root this checkpoint signed", signed.Size)
			}
			v.rawFailed++
		} else if signed.Size > v.rep.Covered {
			v.rep.Covered = signed.Size
		}
	}

	// The interval [start, cp.Size), checked from the last authenticated tree.
	if v.ivKnown() {
		rawRoot := v.ivRawTree().Root()
		rawOK := bytes.Equal(rawRoot, signed.Root)
		copyOK := v.ivCopyComplete && (v.ivCopyShared && rawOK || !v.ivCopyShared && bytes.Equal(v.ivCopy.Root(), signed.Root))
		found := false
		for _, e := range v.ivEvents {
			if len(e.diffs) == 0 {
				continue
			}
			found = true
			switch {
			case rawOK:
				v.add(e.seq, e.id, "leaf copy", "the event matches its checkpoint, but the leaf copy kept with it was altered: "+strings.Join(e.diffs, "; "))
			case copyOK:
				v.add(e.seq, e.id, "changed", strings.Join(e.diffs, "; ")+fmt.Sprintf(" (checkpoint %d signed the leaf)", cp.Size))
			default:
				v.add(e.seq, e.id, "changed", strings.Join(e.diffs, "; ")+fmt.Sprintf(" (checkpoint %d does not match the log, and the leaf copies of sequences %d to %d were altered too)", cp.Size, start, cp.Size-1))
			}
		}
		if !rawOK && !found && len(v.ivEvents) > 0 {
			first := v.ivEvents[0]
			ids := make([]string, len(v.ivEvents))
			for i, e := range v.ivEvents {
				ids[i] = fmt.Sprintf("%d=%s", e.seq, e.id)
			}
			detail := fmt.Sprintf("the events at sequences %d to %d do not give the root checkpoint %d signed, and their leaf copies were altered to match them: one of them was changed (%s)",
				start, cp.Size-1, cp.Size, strings.Join(ids, ", "))
			if len(v.ivEvents) == 1 {
				detail = fmt.Sprintf("this event does not give the root checkpoint %d signed, and its leaf copy was altered to match it: it was changed", cp.Size)
			}
			v.add(first.seq, first.id, "changed", detail)
		}
	} else {
		for _, e := range v.ivEvents {
			if len(e.diffs) > 0 {
				v.add(e.seq, e.id, "changed", strings.Join(e.diffs, "; "))
			}
		}
	}

	// The next interval starts from this checkpoint's tree, if it can be
	// trusted: the stored range, or else the raw tree when it matched.
	switch {
	case rangeTree != nil:
		v.base = rangeTree
	case signed.Size == v.raw.Size() && bytes.Equal(v.raw.Root(), signed.Root):
		v.base = v.raw.Clone()
	default:
		v.base = nil
	}
	v.prevSize = cp.Size
	v.ivStart = cp.Size
	v.ivEvents = v.ivEvents[:0]
	v.ivCopyComplete = true
	v.ivCopy, v.ivCopyShared = nil, true
	switch {
	case v.base == nil:
		v.ivRaw, v.ivRawShared = nil, false
	case v.base.equal(v.raw):
		v.ivRaw, v.ivRawShared = nil, true
	default:
		v.ivRaw, v.ivRawShared = v.base.Clone(), false
	}
	return nil
}

func (v *verifier) checkAgainst(k Checkpoint) {
	if v.gaps > 0 {
		// The raw tree stood in the leaf copies for the missing events:
		// its root says nothing of the log.
		v.extra = append(v.extra, Problem{Seq: v.firstGap, What: "against", Detail: fmt.Sprintf(
			"the log lacks %d of the first %d events the kept checkpoint covers (from sequence %d on): it is not the history that checkpoint signed", v.gaps, k.Size, v.firstGap)})
		return
	}
	if !bytes.Equal(v.raw.Root(), k.Root) {
		v.extra = append(v.extra, Problem{Seq: k.Size - 1, What: "against", Detail: fmt.Sprintf(
			"the first %d events do not give the root of the kept checkpoint of %d events: history up to there was rewritten (and re-signed with the ledger key, if the ledger's own checkpoints agree with it)", k.Size, k.Size)})
		return
	}
	v.rep.Against = append(v.rep.Against, k.Size)
}

// end reports what the log lacks: checkpoints beyond its end, kept
// checkpoints beyond its end, and events no checkpoint covers.
func (v *verifier) end() error {
	n := v.pos
	if v.cp != nil && !v.loaded {
		if err := v.loadCopies(); err != nil {
			return err
		}
	}
	if v.cp != nil {
		// The log ends inside this checkpoint's interval, which cannot be
		// checked against its root: its events are compared with their
		// leaf copies alone.
		for _, e := range v.ivEvents {
			if len(e.diffs) > 0 {
				v.add(e.seq, e.id, "changed", strings.Join(e.diffs, "; ")+fmt.Sprintf(" (the log ends before checkpoint %d is complete; compared with its leaf copy)", v.cp.Size))
			}
		}
		first := v.copyOf(n)
		detail := fmt.Sprintf("the log ends at sequence %d, but checkpoint %d covers events up to sequence %d: the tail was removed (truncated)", int64(n)-1, v.cp.Size, v.cp.Size-1)
		id := ""
		if l, err := ParseLeaf(first); first != nil && err == nil {
			id = l.ID.String()
			detail += fmt.Sprintf("; the first missing event is %s (%s by %s)", l.ID, safetext.Line(l.Type), safetext.Line(l.Actor))
		}
		v.add(n, id, "missing", detail)
		for v.cp != nil {
			if len(v.logAt) > 0 && !v.loaded {
				if err := v.loadCopies(); err != nil {
					return err
				}
			}
			for seq := max(n, v.cp.LeavesFrom); seq < v.cp.Size && len(v.logAt) > 0; seq++ {
				if l, err := ParseLeaf(v.copyOf(seq)); err == nil {
					v.sawCopy(seq, l.ID)
				}
			}
			v.rep.Checkpoints++
			if _, err := v.opts.openCheckpoint(v.cp.Size, v.cp.Note); err != nil {
				v.extra = append(v.extra, Problem{Seq: v.cp.Size - 1, What: "checkpoint", Detail: fmt.Sprintf("checkpoint %d: %v", v.cp.Size, err)})
			}
			v.prevSize = v.cp.Size
			if err := v.load(); err != nil {
				return err
			}
		}
	}
	for _, k := range v.against {
		v.extra = append(v.extra, Problem{Seq: n, What: "against", Detail: fmt.Sprintf(
			"the log has %d events, but the kept checkpoint covers %d: events from sequence %d on were removed (truncated)", n, k.Size, n)})
	}
	if v.uncovered > 0 {
		v.add(v.uncoveredFrom, v.uncoveredID, "uncovered", fmt.Sprintf(
			"%d event(s) from sequence %d on are not covered by any signed checkpoint: written outside breachledger, or a writer stopped before checkpointing (if writers are running, verify again)",
			v.uncovered, v.uncoveredFrom))
	}
	v.rep.Root = v.raw.Root()
	return nil
}

// add records a problem at seq, merging with one already there.
func (v *verifier) add(seq uint64, id, what, detail string) {
	if p, ok := v.problems[seq]; ok {
		if p.EventID == "" {
			p.EventID = id
		}
		p.Detail += "; " + what + ": " + detail
		return
	}
	v.problems[seq] = &Problem{Seq: seq, EventID: id, What: what, Detail: detail}
}

// sawCopy notes that the leaf copy at seq is of event id: where an event
// the log has at another sequence was signed.
func (v *verifier) sawCopy(seq uint64, id uuid.UUID) {
	if s, ok := v.logAt[id]; ok && s != seq {
		v.signedAt[id] = seq
	}
}

// explain says, at each sequence where the log has another event than the
// one signed there, what became of the signed one (removed, or moved) and
// where the one there now was signed; a signed event that is not in the
// log at all makes the problem "missing".
func (v *verifier) explain() {
	for _, m := range v.mismatches {
		p, ok := v.problems[m.seq]
		if !ok {
			continue
		}
		var notes []string
		removed := false
		signed := fmt.Sprintf("event %s (%s by %s, revision %d of %s), signed at this sequence,", m.signed.ID, safetext.Line(m.signed.Type), safetext.Line(m.signed.Actor), m.signed.Revision, safetext.Line(m.signed.Stream))
		switch at, ok := v.logAt[m.signed.ID]; {
		case ok:
			notes = append(notes, fmt.Sprintf("event %s, signed at this sequence, is at sequence %d in the log", m.signed.ID, at))
		case v.mismatchesCapped:
			notes = append(notes, fmt.Sprintf("%s is at none of the first %d sequences that differ (removed, or moved further)", signed, maxMismatches))
		default:
			removed = true
			notes = append(notes, signed+" is gone from the log (removed)")
		}
		switch t, ok := v.signedAt[m.logID]; {
		case ok && t > m.seq:
			notes = append(notes, fmt.Sprintf("the event here, %s, was signed at sequence %d: it moved down %d place(s)", m.logID, t, t-m.seq))
		case ok:
			notes = append(notes, fmt.Sprintf("the event here, %s, was signed at sequence %d: it moved up %d place(s)", m.logID, t, m.seq-t))
		default:
			if at, ok := v.copyAt[m.logID]; ok {
				notes = append(notes, fmt.Sprintf("the event here, %s, was signed at sequence %d", m.logID, at))
			}
		}
		if removed {
			p.What = "missing"
		}
		p.Detail = strings.Join(notes, "; ") + "; " + p.Detail
	}
}

func (v *verifier) report() *Report {
	v.explain()
	out := make([]Problem, 0, len(v.problems)+len(v.extra))
	for _, p := range v.problems {
		out = append(out, *p)
	}
	out = append(out, v.extra...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Seq != out[j].Seq {
			return out[i].Seq < out[j].Seq
		}
		return out[i].EventID != "" && out[j].EventID == "" // an event before a checkpoint at the same place
	})
	if v.rawFailed > 1 {
		out = append(out, Problem{Seq: v.pos, What: "checkpoint", Detail: fmt.Sprintf("%d later checkpoints do not match the recomputed tree either (they cover the same changes)", v.rawFailed-1)})
	}
	v.rep.Problems = out
	return v.rep
}
