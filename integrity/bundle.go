package integrity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
)

// BundleFormat names the version of the bundle format. Version 2 replaced
// the unchecked "selection" of version 1 (an incident, a window of time)
// with a contiguous sequence range that the verifier checks; a version 1
// bundle is refused, not read as something it is not.
const BundleFormat = "breachledger-bundle/v2"

// LedgerStream is the stream of the ledger's own events (roles, settings,
// the signer registry, the signature policy): the context a bundle
// carries so that signatures can be judged. It is domain.LedgerStream,
// which this package cannot import.
const LedgerStream = "ledger"

// A Bundle is what an auditor takes away: every event of a contiguous
// range of sequences [Range.First, Range.Last] with an inclusion proof of
// each in one signed checkpoint (the anchor), the ledger-stream events
// before the range (Context, each proved too: the signer registry and
// roles the range's signatures are judged with), and earlier checkpoints
// with consistency proofs to the anchor, so that it verifies with no
// access to the ledger. It is one JSON document; byte strings are base64.
//
// Nothing in the bundle is trusted for what it says about itself: the
// verifier checks that Events hold exactly the sequences of Range, each
// proved against the anchor, and that Complete is true exactly when the
// range is every event the anchor covers (a complete bundle's verifier
// recomputes the whole tree). A range proves that no event between its
// first and last was left out; it says nothing of events outside it.
type Bundle struct {
	Format      string             `json:"format"`
	Origin      string             `json:"origin"`
	PublicKey   string             `json:"public_key"` // for reading; verification uses the auditor's copy
	Checkpoint  string             `json:"checkpoint"` // the anchor: a signed note
	Complete    bool               `json:"complete"`   // the range is every event of the anchor (checked)
	Range       Range              `json:"range"`
	Events      []BundleEvent      `json:"events"`  // every event of Range, in sequence order
	Context     []BundleEvent      `json:"context"` // the ledger stream's events before Range
	Checkpoints []BundleCheckpoint `json:"checkpoints"`
	// Keys are data keys of the events' sealed personal fields, only when
	// the exporter asked for them (export --with-keys); without, the
	// bundle carries no key material at all. They are not part of any
	// signed or Merkle-committed data: the verifier checks each against
	// its ID and the values naming it (ledger.CheckBundleKeys).
	Keys []BundleKey `json:"keys,omitempty"`
}

// BundleKey is a data key of sealed personal fields and its ID, which
// seal.KeyID of the key's bytes must give (the ID commits to the key).
type BundleKey struct {
	ID  string `json:"id"`
	Key []byte `json:"key"`
}

// Range is a contiguous range of sequences, both ends included.
type Range struct {
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
}

func (r Range) String() string { return fmt.Sprintf("sequences %d to %d", r.First, r.Last) }

// Len returns the number of sequences in r.
func (r Range) Len() uint64 { return r.Last - r.First + 1 }

// BundleEvent is one stored event and its inclusion proof in the anchor.
type BundleEvent struct {
	Seq        uint64    `json:"seq"`
	EventID    uuid.UUID `json:"event_id"`
	Stream     string    `json:"stream"`
	Revision   uint64    `json:"revision"`
	Type       string    `json:"type"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Signer     string    `json:"signer,omitempty"`
	Signature  []byte    `json:"signature,omitempty"`
	Basis      uint64    `json:"basis,omitempty"` // the ledger revision decided on, plus one; 0 (left out) when not recorded
	RecordedAt time.Time `json:"recorded_at"`
	Payload    []byte    `json:"payload"`
	Proof      [][]byte  `json:"proof"`
}

// Record returns the event as a store returns it.
func (e BundleEvent) Record() eventstore.Record {
	return eventstore.Record{ID: e.EventID, Stream: e.Stream, Type: e.Type, OccurredAt: e.At.UTC(), Actor: e.Actor,
		Signer: e.Signer, Signature: e.Signature, Payload: e.Payload, Basis: e.Basis, Revision: e.Revision, Sequence: e.Seq, RecordedAt: e.RecordedAt.UTC()}
}

// BundleCheckpoint is an earlier signed checkpoint and the consistency
// proof from it to the anchor.
type BundleCheckpoint struct {
	Note  string   `json:"note"`
	Proof [][]byte `json:"proof"`
}

// BuildBundle makes a bundle against anchor, whose tree is the first
// anchor.Size hashes of leaves: recs are the events of one contiguous
// range of sequences, in order; context the ledger-stream events before
// it; earlier are checkpoints (stored ones, or ones an auditor kept) to
// prove consistent with the anchor.
func BuildBundle(anchor Checkpoint, key *PublicKey, leaves *Leaves, recs, context []eventstore.Record, earlier []Checkpoint) (*Bundle, error) {
	if len(recs) == 0 {
		return nil, fmt.Errorf("build bundle: no events")
	}
	rng := Range{First: recs[0].Sequence, Last: recs[len(recs)-1].Sequence}
	if rng.Last < rng.First || rng.Len() != uint64(len(recs)) {
		return nil, fmt.Errorf("build bundle: the events are not one contiguous range of sequences")
	}
	b := &Bundle{Format: BundleFormat, Origin: anchor.Origin, PublicKey: key.String(), Checkpoint: string(anchor.Note),
		Complete: rng.First == 0 && rng.Last+1 == anchor.Size, Range: rng,
		Events: []BundleEvent{}, Context: []BundleEvent{}, Checkpoints: []BundleCheckpoint{}}
	for i, r := range recs {
		if r.Sequence != rng.First+uint64(i) {
			return nil, fmt.Errorf("build bundle: event %s at sequence %d breaks the range from %d", r.ID, r.Sequence, rng.First)
		}
		e, err := bundleEvent(anchor, leaves, r)
		if err != nil {
			return nil, err
		}
		b.Events = append(b.Events, e)
	}
	for _, r := range context {
		if r.Stream != LedgerStream || r.Sequence >= rng.First {
			return nil, fmt.Errorf("build bundle: context event %s (%s at sequence %d) is not a ledger-stream event before the range", r.ID, r.Stream, r.Sequence)
		}
		e, err := bundleEvent(anchor, leaves, r)
		if err != nil {
			return nil, err
		}
		b.Context = append(b.Context, e)
	}
	seen := map[uint64]bool{}
	for _, cp := range earlier {
		if cp.Size > anchor.Size || seen[cp.Size] {
			continue
		}
		seen[cp.Size] = true
		p, err := leaves.Consistency(cp.Size, anchor.Size)
		if err != nil {
			return nil, fmt.Errorf("build bundle: checkpoint %d: %w", cp.Size, err)
		}
		b.Checkpoints = append(b.Checkpoints, BundleCheckpoint{Note: string(cp.Note), Proof: p})
	}
	return b, nil
}

func bundleEvent(anchor Checkpoint, leaves *Leaves, r eventstore.Record) (BundleEvent, error) {
	p, err := leaves.Inclusion(r.Sequence, anchor.Size)
	if err != nil {
		return BundleEvent{}, fmt.Errorf("build bundle: event %s: %w", r.ID, err)
	}
	return BundleEvent{Seq: r.Sequence, EventID: r.ID, Stream: r.Stream, Revision: r.Revision, Type: r.Type,
		At: r.OccurredAt.UTC(), Actor: r.Actor, Signer: r.Signer, Signature: r.Signature, Basis: r.Basis, RecordedAt: r.RecordedAt.UTC(), Payload: r.Payload, Proof: p}, nil
}

// Marshal writes the bundle as indented JSON.
func (b *Bundle) Marshal() ([]byte, error) {
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write bundle: %w", err)
	}
	return append(out, '\n'), nil
}

// ParseBundle reads a bundle, refusing unknown fields and other formats
// (a version 1 bundle must be exported again). The document is decoded
// once; only when that fails is its format read on its own, so that a
// bundle of another format is refused for its format, not for a field
// this one lacks.
func ParseBundle(data []byte) (*Bundle, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		var head struct {
			Format string `json:"format"`
		}
		if json.Unmarshal(data, &head) != nil || head.Format == BundleFormat {
			return nil, fmt.Errorf("read bundle: %v: %w", err, ErrMalformed)
		}
		b.Format = head.Format
	}
	if b.Format != BundleFormat {
		return nil, fmt.Errorf("read bundle: format %q, this program reads %q (export the bundle again with this version): %w", b.Format, BundleFormat, ErrMalformed)
	}
	return &b, nil
}

// VerifyBundle checks a bundle with nothing but the ledger's public key, a
// policy for actor signatures (nil for none) and the checkpoints the
// auditor kept (against: the bundle's anchor must be a consistent
// extension of each). It returns a report whose problems name the event or
// checkpoint that fails and why, and the bundle's events (context first,
// all in sequence order) as records, for replaying.
//
// The range is checked, not trusted: the events must be exactly the
// sequences Range.First to Range.Last, each proved in the anchor, and
// Complete must say whether that is every event of the anchor. A kept
// checkpoint is checked from the leaves when the range starts at 0 and
// reaches it, else with the bundle's consistency proof from its size; a
// bundle that has neither, or whose anchor is smaller than the kept
// checkpoint (a rolled-back or truncated ledger), fails.
func VerifyBundle(b *Bundle, key *PublicKey, policy SignaturePolicy, against []Checkpoint) (*Report, []eventstore.Record, error) {
	rep := &Report{Origin: key.Origin()}
	add := func(seq uint64, id, what, format string, args ...any) {
		rep.Problems = append(rep.Problems, Problem{Seq: seq, EventID: id, What: what, Detail: fmt.Sprintf(format, args...)})
	}
	anchor, err := key.Open([]byte(b.Checkpoint))
	if err != nil {
		add(0, "", "checkpoint", "the bundle's checkpoint: %v", err)
		return rep, nil, nil
	}
	rep.Covered, rep.Root = anchor.Size, anchor.Root
	rng := b.Range
	rep.Range = &rng
	if b.Origin != anchor.Origin {
		add(0, "", "bundle", "the bundle names log %q, its checkpoint %q", b.Origin, anchor.Origin)
	}

	// The range: within the anchor, and what Complete says of it.
	rangeOK := rng.First <= rng.Last && rng.Last < anchor.Size
	if !rangeOK {
		add(rng.First, "", "bundle", "the bundle's range, sequences %d to %d, is not within its checkpoint of %d events", rng.First, rng.Last, anchor.Size)
	}
	complete := rangeOK && rng.First == 0 && rng.Last+1 == anchor.Size
	switch {
	case b.Complete && !complete:
		add(rng.First, "", "bundle", "the bundle says it is complete, but its range is sequences %d to %d of the %d events its checkpoint covers: events were left out", rng.First, rng.Last, anchor.Size)
	case !b.Complete && complete:
		add(rng.First, "", "bundle", "the bundle says it is not complete, but its range is every event its checkpoint covers (the field was altered)")
	}

	events := append([]BundleEvent(nil), b.Events...)
	sort.SliceStable(events, func(i, j int) bool { return events[i].Seq < events[j].Seq })
	context := append([]BundleEvent(nil), b.Context...)
	sort.SliceStable(context, func(i, j int) bool { return context[i].Seq < context[j].Seq })

	// prove checks e's inclusion proof; it reports whether e is in the
	// anchor.
	prove := func(e BundleEvent, leaf Leaf) bool {
		if e.Seq >= anchor.Size {
			add(e.Seq, e.EventID.String(), "bundle", "the event is beyond the bundle's checkpoint of %d events", anchor.Size)
			return false
		}
		if err := VerifyInclusion(e.Seq, anchor.Size, leaf.Hash(), e.Proof, anchor.Root); err != nil {
			add(e.Seq, e.EventID.String(), "changed", "the event does not match checkpoint %d (its inclusion proof fails): a field, the payload or the proof was changed in the bundle", anchor.Size)
			return false
		}
		return true
	}

	// The context: proved ledger-stream events before the range.
	for i, e := range context {
		id := e.EventID.String()
		switch {
		case i > 0 && context[i-1].Seq == e.Seq:
			add(e.Seq, id, "bundle", "context sequence %d appears twice", e.Seq)
			continue
		case e.Stream != LedgerStream:
			add(e.Seq, id, "bundle", "a context event must be of the ledger stream, this one is of %s", e.Stream)
		case e.Seq >= rng.First:
			add(e.Seq, id, "bundle", "a context event must come before the range (sequence %d), this one is at %d", rng.First, e.Seq)
		}
		prove(e, LeafOf(e.Record()))
	}

	// The range: exactly the sequences First to Last, each proved. When it
	// starts at 0 the leaves give every prefix's root.
	var leaves *Leaves
	if rng.First == 0 {
		leaves = &Leaves{}
	}
	next := rng.First
	for i, e := range events {
		id := e.EventID.String()
		switch {
		case i > 0 && events[i-1].Seq == e.Seq:
			add(e.Seq, id, "bundle", "sequence %d appears twice", e.Seq)
			continue
		case e.Seq < rng.First || e.Seq > rng.Last:
			add(e.Seq, id, "bundle", "the event is outside the bundle's range (sequences %d to %d)", rng.First, rng.Last)
			continue
		}
		if e.Seq != next {
			add(next, "", "missing", "the bundle's range is sequences %d to %d, but it lacks the event(s) at sequences %d to %d: they were left out", rng.First, rng.Last, next, e.Seq-1)
			leaves = nil // the prefix can no longer be recomputed
		}
		next = e.Seq + 1
		leaf := LeafOf(e.Record())
		prove(e, leaf)
		if leaves != nil {
			leaves.Append(leaf.Hash())
		}
	}
	if rangeOK && next <= rng.Last {
		add(next, "", "missing", "the bundle's range is sequences %d to %d, but it lacks the event(s) from sequence %d to %d: they were left out", rng.First, rng.Last, next, rng.Last)
		leaves = nil
	}
	if leaves != nil && complete {
		if root, err := leaves.Root(anchor.Size); err != nil || !bytes.Equal(root, anchor.Root) {
			add(anchor.Size-1, "", "checkpoint", "the events do not give the root of the bundle's checkpoint")
		}
	}

	// Signatures, stream revisions and the records, context and range
	// merged in sequence order.
	all := make([]BundleEvent, 0, len(context)+len(events))
	all = append(all, context...)
	all = append(all, events...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Seq < all[j].Seq })
	recs := make([]eventstore.Record, 0, len(all))
	lastRev := map[string]uint64{}
	inRange := func(e BundleEvent) bool { return e.Seq >= rng.First && e.Seq <= rng.Last }
	for i, e := range all {
		if i > 0 && all[i-1].Seq == e.Seq {
			continue // reported above
		}
		id := e.EventID.String()
		r := e.Record()
		prev, seen := lastRev[e.Stream]
		switch {
		case seen && e.Revision != prev+1:
			add(e.Seq, id, "missing", "stream %s goes from revision %d to %d: the event(s) between were left out", e.Stream, prev, e.Revision)
		case !seen && e.Revision != 0 && (e.Stream == LedgerStream || rng.First == 0):
			add(e.Seq, id, "missing", "stream %s starts at revision %d: its first events were left out", e.Stream, e.Revision)
		}
		lastRev[e.Stream] = e.Revision
		recs = append(recs, r)
		if inRange(e) {
			rep.Events++
		}
		if policy != nil {
			signed, err := policy.Judge(r)
			if err != nil {
				add(e.Seq, id, "signature", "%v", err)
			} else if signed && inRange(e) {
				rep.Signed++
			}
		}
	}

	// Earlier checkpoints the bundle carries.
	proofs := map[uint64][][]byte{}
	for i, c := range b.Checkpoints {
		cp, err := key.Open([]byte(c.Note))
		if err != nil {
			add(anchor.Size, "", "checkpoint", "earlier checkpoint %d of the bundle: %v", i+1, err)
			continue
		}
		rep.Checkpoints++
		if cp.Size == 0 || cp.Size > anchor.Size {
			add(anchor.Size, "", "checkpoint", "earlier checkpoint of %d events is not earlier than the bundle's of %d", cp.Size, anchor.Size)
			continue
		}
		if err := VerifyConsistency(cp.Size, anchor.Size, c.Proof, cp.Root, anchor.Root); err != nil {
			add(cp.Size-1, "", "checkpoint", "the checkpoint of %d events is not consistent with the bundle's checkpoint of %d (%v): two histories were signed", cp.Size, anchor.Size, err)
			continue
		}
		proofs[cp.Size] = c.Proof
	}

	// The checkpoints the auditor kept.
	for _, k := range against {
		switch p, ok := proofs[k.Size]; {
		case k.Size > anchor.Size:
			add(anchor.Size, "", "against", "the bundle's checkpoint covers %d events, the kept checkpoint %d: the bundle is of a ledger that was truncated or rolled back since", anchor.Size, k.Size)
			continue
		case k.Size == anchor.Size:
			if !bytes.Equal(k.Root, anchor.Root) {
				add(k.Size-1, "", "against", "the kept checkpoint of %d events has another root than the bundle's checkpoint of as many: history was rewritten", k.Size)
				continue
			}
		case leaves != nil && k.Size <= leaves.Len():
			if root, err := leaves.Root(k.Size); err != nil || !bytes.Equal(root, k.Root) {
				add(k.Size-1, "", "against", "the bundle's first %d events do not give the root of the kept checkpoint of %d events: history up to there was rewritten", k.Size, k.Size)
				continue
			}
		case ok:
			if err := VerifyConsistency(k.Size, anchor.Size, p, k.Root, anchor.Root); err != nil {
				add(k.Size-1, "", "against", "the bundle's checkpoint of %d events is not a consistent extension of the kept checkpoint of %d (%v): history was rewritten", anchor.Size, k.Size, err)
				continue
			}
		default:
			add(k.Size-1, "", "against", "the bundle carries no consistency proof from the kept checkpoint of %d events to its checkpoint of %d, and its events cannot give it: nothing shows it extends what you kept (ask for a bundle exported with --against KEPT)", k.Size, anchor.Size)
			continue
		}
		rep.Against = append(rep.Against, k.Size)
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Seq < rep.Problems[j].Seq })
	return rep, recs, nil
}
