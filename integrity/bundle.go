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

// BundleFormat names the version of the bundle format.
const BundleFormat = "breachledger-bundle/v1"

// A Bundle is what an auditor takes away: events with their payloads and
// signatures, an inclusion proof of each in one signed checkpoint (the
// anchor), earlier checkpoints with consistency proofs to the anchor, and
// the ledger stream (roles, settings, the signer registry and the signature
// policy), so that signatures can be judged and the projections replayed
// with no access to the ledger. It is one JSON document; byte strings are
// base64.
//
// A complete bundle holds every event up to the anchor, so its verifier
// recomputes the whole tree and knows nothing was left out. A selection (one
// incident, a window of recorded time) holds the selected events and the
// whole ledger stream: each event is proved to be in the ledger unchanged,
// and each stream's revisions must follow on without a gap, but a selection
// cannot prove that the exporter left out nothing after its last event.
type Bundle struct {
	Format      string             `json:"format"`
	Origin      string             `json:"origin"`
	PublicKey   string             `json:"public_key"` // for reading; verification uses the auditor's copy
	Checkpoint  string             `json:"checkpoint"` // the anchor: a signed note
	Complete    bool               `json:"complete"`
	Selection   Selection          `json:"selection"`
	Events      []BundleEvent      `json:"events"`
	Checkpoints []BundleCheckpoint `json:"checkpoints"`
}

// Selection says which events a bundle holds besides the ledger stream.
type Selection struct {
	Incident string    `json:"incident,omitempty"` // only this incident's stream
	From     time.Time `json:"from,omitzero"`      // only events recorded at or after
	To       time.Time `json:"to,omitzero"`        // only events recorded at or before
}

// Empty reports whether the selection selects everything.
func (s Selection) Empty() bool { return s.Incident == "" && s.From.IsZero() && s.To.IsZero() }

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
	RecordedAt time.Time `json:"recorded_at"`
	Payload    []byte    `json:"payload"`
	Proof      [][]byte  `json:"proof"`
}

// Record returns the event as a store returns it.
func (e BundleEvent) Record() eventstore.Record {
	return eventstore.Record{ID: e.EventID, Stream: e.Stream, Type: e.Type, OccurredAt: e.At.UTC(), Actor: e.Actor,
		Signer: e.Signer, Signature: e.Signature, Payload: e.Payload, Revision: e.Revision, Sequence: e.Seq, RecordedAt: e.RecordedAt.UTC()}
}

// BundleCheckpoint is an earlier signed checkpoint and the consistency
// proof from it to the anchor.
type BundleCheckpoint struct {
	Note  string   `json:"note"`
	Proof [][]byte `json:"proof"`
}

// BuildBundle makes a bundle of recs (in sequence order) against anchor,
// whose tree is the first anchor.Size hashes of leaves; earlier are
// checkpoints to prove consistent with it.
func BuildBundle(anchor Checkpoint, key *PublicKey, leaves *Leaves, recs []eventstore.Record, earlier []Checkpoint, sel Selection, complete bool) (*Bundle, error) {
	b := &Bundle{Format: BundleFormat, Origin: anchor.Origin, PublicKey: key.String(), Checkpoint: string(anchor.Note),
		Complete: complete, Selection: sel, Events: []BundleEvent{}, Checkpoints: []BundleCheckpoint{}}
	for _, r := range recs {
		p, err := leaves.Inclusion(r.Sequence, anchor.Size)
		if err != nil {
			return nil, fmt.Errorf("build bundle: event %s: %w", r.ID, err)
		}
		b.Events = append(b.Events, BundleEvent{Seq: r.Sequence, EventID: r.ID, Stream: r.Stream, Revision: r.Revision, Type: r.Type,
			At: r.OccurredAt.UTC(), Actor: r.Actor, Signer: r.Signer, Signature: r.Signature, RecordedAt: r.RecordedAt.UTC(), Payload: r.Payload, Proof: p})
	}
	for _, cp := range earlier {
		if cp.Size > anchor.Size {
			continue
		}
		p, err := leaves.Consistency(cp.Size, anchor.Size)
		if err != nil {
			return nil, fmt.Errorf("build bundle: checkpoint %d: %w", cp.Size, err)
		}
		b.Checkpoints = append(b.Checkpoints, BundleCheckpoint{Note: string(cp.Note), Proof: p})
	}
	return b, nil
}

// Marshal writes the bundle as indented JSON.
func (b *Bundle) Marshal() ([]byte, error) {
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write bundle: %w", err)
	}
	return append(out, '\n'), nil
}

// ParseBundle reads a bundle, refusing unknown fields.
func ParseBundle(data []byte) (*Bundle, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("read bundle: %v: %w", err, ErrMalformed)
	}
	if b.Format != BundleFormat {
		return nil, fmt.Errorf("read bundle: format %q, this program reads %q: %w", b.Format, BundleFormat, ErrMalformed)
	}
	return &b, nil
}

// VerifyBundle checks a bundle with nothing but the ledger's public key
// (and a policy for actor signatures, nil for none). It returns a report
// whose problems name the event or checkpoint that fails and why, and the
// bundle's events as records, in sequence order, for replaying.
func VerifyBundle(b *Bundle, key *PublicKey, policy SignaturePolicy) (*Report, []eventstore.Record, error) {
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
	if b.Origin != anchor.Origin {
		add(0, "", "bundle", "the bundle names log %q, its checkpoint %q", b.Origin, anchor.Origin)
	}

	events := append([]BundleEvent(nil), b.Events...)
	sort.SliceStable(events, func(i, j int) bool { return events[i].Seq < events[j].Seq })
	recs := make([]eventstore.Record, 0, len(events))
	tree := NewTree()
	lastRev := map[string]uint64{}
	for i, e := range events {
		id := e.EventID.String()
		r := e.Record()
		switch {
		case i > 0 && events[i-1].Seq == e.Seq:
			add(e.Seq, id, "bundle", "sequence %d appears twice", e.Seq)
			continue
		case e.Seq >= anchor.Size:
			add(e.Seq, id, "bundle", "the event is beyond the bundle's checkpoint of %d events", anchor.Size)
			continue
		}
		leaf := LeafOf(r)
		if err := VerifyInclusion(e.Seq, anchor.Size, leaf.Hash(), e.Proof, anchor.Root); err != nil {
			add(e.Seq, id, "changed", "the event does not match checkpoint %d (its inclusion proof fails): a field, the payload or the proof was changed in the bundle", anchor.Size)
		}
		if b.Complete {
			if e.Seq != tree.Size() {
				add(tree.Size(), "", "missing", "a complete bundle lacks the event at sequence %d", tree.Size())
				for tree.Size() < e.Seq {
					tree.Append(make([]byte, HashSize))
				}
			}
			tree.Append(leaf.Hash())
		}
		prev, seen := lastRev[e.Stream]
		switch {
		case seen && e.Revision != prev+1:
			add(e.Seq, id, "missing", "stream %s goes from revision %d to %d: the event(s) between were left out", e.Stream, prev, e.Revision)
		case !seen && e.Revision != 0 && (b.Complete || e.Stream == "ledger" || b.Selection.From.IsZero()):
			add(e.Seq, id, "missing", "stream %s starts at revision %d: its first events were left out", e.Stream, e.Revision)
		}
		lastRev[e.Stream] = e.Revision
		recs = append(recs, r)
		rep.Events++
		if policy != nil {
			signed, err := policy.Judge(r)
			if err != nil {
				add(e.Seq, id, "signature", "%v", err)
			} else if signed {
				rep.Signed++
			}
		}
	}
	if b.Complete {
		if tree.Size() != anchor.Size {
			add(tree.Size(), "", "missing", "a complete bundle of %d events lacks events from sequence %d on", anchor.Size, tree.Size())
		} else if !bytes.Equal(tree.Root(), anchor.Root) {
			add(anchor.Size-1, "", "checkpoint", "the events do not give the root of the bundle's checkpoint")
		}
	}
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
		}
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Seq < rep.Problems[j].Seq })
	return rep, recs, nil
}
