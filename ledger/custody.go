package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/safetext"
)

// LeafHash returns the hex Merkle leaf hash of r, by which a custody event
// names the record it rejects (domain.ForeignEventRejected.LeafSHA256).
func LeafHash(r eventstore.Record) string { return leafHash(integrity.LeafOf(r).Marshal()) }

// leafHash is LeafHash of a marshalled leaf (integrity.Leaf.Marshal).
func leafHash(leaf []byte) string { return hex.EncodeToString(integrity.HashLeaf(leaf)) }

// TailHasher returns the hash a legacy-tail acceptance binds its records
// with (domain.LegacyTailAccepted.RootSHA256): SHA-256 over their Merkle
// leaf hashes in sequence order. Add each record, then Sum.
type TailHasher struct{ h hash.Hash }

// NewTailHasher starts a legacy-tail hash.
func NewTailHasher() *TailHasher { return &TailHasher{h: sha256.New()} }

// Add adds the record with the given leaf (integrity.Leaf.Marshal).
func (t *TailHasher) Add(leaf []byte) { t.h.Write(integrity.HashLeaf(leaf)) }

// Sum returns the hex hash of the records added.
func (t *TailHasher) Sum() string { return hex.EncodeToString(t.h.Sum(nil)) }

// custodyClaims are the records that custody events among a writer's own
// records name: a checkpoint may cover them, and must cover each exactly.
type custodyClaims struct {
	rejects  map[uint64]domain.ForeignEventRejected
	claimed  map[uint64]bool
	tail     *domain.LegacyTailAccepted
	tailHash *TailHasher
	tailNext uint64
}

// custodyOf collects the custody events among own.
func custodyOf(own []eventstore.Record) (custodyClaims, error) {
	var c custodyClaims
	for _, r := range own {
		if r.Stream != domain.LedgerStream || (r.Type != "ForeignEventRejected" && r.Type != "LegacyTailAccepted") {
			continue
		}
		e, err := domain.Decode(r.Type, r.Payload)
		if err != nil {
			return c, fmt.Errorf("checkpoint: read custody event %s: %w", r.ID, err)
		}
		switch e := e.(type) {
		case domain.ForeignEventRejected:
			if c.rejects == nil {
				c.rejects, c.claimed = map[uint64]domain.ForeignEventRejected{}, map[uint64]bool{}
			}
			c.rejects[e.Seq] = e
		case domain.LegacyTailAccepted:
			t := e
			c.tail, c.tailHash, c.tailNext = &t, NewTailHasher(), e.From
		}
	}
	return c, nil
}

// claim reports whether r (with its marshalled leaf) is a record a custody
// event names, and fails when one names r's sequence but not r.
func (c *custodyClaims) claim(r eventstore.Record, leaf []byte) (bool, error) {
	if rej, ok := c.rejects[r.Sequence]; ok {
		got := leafHash(leaf)
		if rej.EventID != r.ID.String() || rej.LeafSHA256 != got {
			return false, fmt.Errorf("checkpoint: the rejection names event %s (leaf %s) at sequence %d, but the log has event %s (leaf %s) there; nothing was signed: %w",
				rej.EventID, rej.LeafSHA256, r.Sequence, r.ID, got, integrity.ErrIntegrity)
		}
		c.claimed[r.Sequence] = true
		return true, nil
	}
	if t := c.tail; t != nil && r.Sequence >= t.From && r.Sequence <= t.To {
		if r.Sequence != c.tailNext {
			return false, fmt.Errorf("checkpoint: the legacy tail accepted runs from sequence %d, but the log's uncovered records start at %d; nothing was signed: %w", c.tailNext, r.Sequence, integrity.ErrIntegrity)
		}
		c.tailHash.Add(leaf)
		c.tailNext++
		return true, nil
	}
	return false, nil
}

// complete checks that every record the custody events name was among the
// records covered, exactly as named.
func (c *custodyClaims) complete() error {
	for seq := range c.rejects {
		if !c.claimed[seq] {
			return fmt.Errorf("checkpoint: the rejection names sequence %d, which is not among the records no checkpoint covers (it is covered already, or past the head); nothing was signed: %w", seq, integrity.ErrIntegrity)
		}
	}
	if t := c.tail; t != nil {
		if c.tailNext != t.To+1 {
			return fmt.Errorf("checkpoint: the legacy tail accepted runs to sequence %d, but only %d records of it were uncovered; nothing was signed: %w", t.To, c.tailNext-t.From, integrity.ErrIntegrity)
		}
		if got := c.tailHash.Sum(); got != t.RootSHA256 {
			return fmt.Errorf("checkpoint: the records at sequences %d to %d are not the ones accepted (their leaves hash to %s, the acceptance names %s); nothing was signed: %w", t.From, t.To, got, t.RootSHA256, integrity.ErrIntegrity)
		}
	}
	return nil
}

// Rejections returns the rejections of the records at seqs, each of which
// no checkpoint covers, for domain.RejectForeign.
func Rejections(ctx context.Context, st eventstore.Store, seqs []uint64) ([]domain.ForeignEventRejected, error) {
	size, err := newestSize(ctx, st)
	if err != nil {
		return nil, err
	}
	out := make([]domain.ForeignEventRejected, 0, len(seqs))
	for _, seq := range seqs {
		if seq < size {
			return nil, &domain.RuleError{Rule: "reject-covered", Reason: fmt.Sprintf("the record at sequence %d is covered by the signed checkpoint of %d events: only a record no checkpoint covers can be rejected", seq, size),
				Hint: "a wrong fact that was recorded is corrected with a new event (\"breachledger correct\"); list the uncovered records with \"breachledger verify\""}
		}
		recs, err := st.ReadAll(ctx, seq, 1)
		if err != nil {
			return nil, fmt.Errorf("read sequence %d: %w", seq, err)
		}
		if len(recs) == 0 || recs[0].Sequence != seq {
			return nil, &domain.NotFoundError{What: "record at sequence", ID: fmt.Sprint(seq), Hint: "list the uncovered records with \"breachledger verify\""}
		}
		out = append(out, RejectionOf(recs[0]))
	}
	return out, nil
}

// RejectionOf returns the rejection of record r, bound to it by its event
// ID and leaf hash (the Reason and Rule are the rejecter's to give).
func RejectionOf(r eventstore.Record) domain.ForeignEventRejected {
	return domain.ForeignEventRejected{Seq: r.Sequence, EventID: r.ID.String(), LeafSHA256: LeafHash(r), Type: claimed(r.Type), Stream: claimed(r.Stream)}
}

// LegacyTail returns the acceptance of every record after the newest
// checkpoint, for domain.AcceptLegacyTail.
func LegacyTail(ctx context.Context, st eventstore.Store) (domain.LegacyTailAccepted, error) {
	size, err := newestSize(ctx, st)
	if err != nil {
		return domain.LegacyTailAccepted{}, err
	}
	t := domain.LegacyTailAccepted{From: size}
	h := NewTailHasher()
	for r, err := range eventstore.All(ctx, st, size) {
		if err != nil {
			return domain.LegacyTailAccepted{}, fmt.Errorf("read the uncovered tail: %w", err)
		}
		h.Add(integrity.LeafOf(r).Marshal())
		t.To = r.Sequence
	}
	if t.To < t.From {
		return domain.LegacyTailAccepted{}, &domain.RuleError{Rule: "legacy-tail-none", Reason: fmt.Sprintf("every record is covered by the signed checkpoint of %d events", size), Hint: "nothing to accept"}
	}
	t.RootSHA256 = h.Sum()
	return t, nil
}

// custodyProblems reports, for verify, every record the ledger stream
// rejected (it stays in the log, and never counts: an integrity failure
// for good), and every rejection that does not hold: one naming a record a
// checkpoint had already covered before it, or another record than the one
// at its sequence. recs are the ledger stream's records.
func custodyProblems(ctx context.Context, st eventstore.Store, recs []eventstore.Record) ([]integrity.Problem, error) {
	cs, err := checkpointStore(st)
	if err != nil {
		return nil, err
	}
	// A rejection that is itself rejected (a forged one a notary refused)
	// rejects nothing: it is named as a rejected record instead.
	counting, err := rejectedIn(recs, ^uint64(0))
	if err != nil {
		return nil, err
	}
	var out []integrity.Problem
	for _, r := range recs {
		if _, rejected := counting[r.Sequence]; r.Type != "ForeignEventRejected" || rejected {
			continue
		}
		e, err := domain.Decode(r.Type, r.Payload)
		if err != nil {
			continue // reported as a payload problem by the log's own checks
		}
		rej := e.(domain.ForeignEventRejected)
		// The first checkpoint that covered the rejected record must be
		// the one that covered the rejection too (or a later one): one
		// stored before the rejection means the record was covered.
		first, err := cs.ReadCheckpoints(ctx, rej.Seq, 1)
		if err != nil {
			return nil, fmt.Errorf("read checkpoints: %w", err)
		}
		before := uint64(0)
		if len(first) == 1 && first[0].Size <= r.Sequence {
			before = first[0].Size
		}
		p := integrity.Problem{Seq: rej.Seq, EventID: rej.EventID, What: "rejected"}
		got, err := st.ReadAll(ctx, rej.Seq, 1)
		switch {
		case err != nil:
			return nil, fmt.Errorf("read sequence %d: %w", rej.Seq, err)
		case before > 0:
			p.Detail = fmt.Sprintf("rejection %s names a record the checkpoint of %d events had already covered before it: a covered record cannot be rejected", r.ID, before)
		case len(got) == 0 || got[0].Sequence != rej.Seq || got[0].ID.String() != rej.EventID || LeafHash(got[0]) != rej.LeafSHA256:
			p.Detail = fmt.Sprintf("rejection %s names event %s (leaf %s), which is not the record the log has at that sequence", r.ID, rej.EventID, rej.LeafSHA256)
		case rej.Rule != "":
			p.Detail = fmt.Sprintf("an append the rules refuse (%q in %q by %q), rejected by the notary %q %s (event %s): rule %s: %q; it never counts",
				rej.Type, rej.Stream, got[0].Actor, r.Actor, r.OccurredAt.UTC().Format(time.RFC3339), r.ID, rej.Rule, rej.Reason)
		default:
			p.Detail = fmt.Sprintf("a record written around breachledger (claiming %q in %q), rejected by %q %s (event %s): %q; it never counts", rej.Type, rej.Stream, r.Actor, r.OccurredAt.UTC().Format(time.RFC3339), r.ID, rej.Reason)
		}
		out = append(out, p)
	}
	return out, nil
}

// claimed returns what a foreign record claims (its type, its stream) as
// text a ledger event may hold: forbidden runes escaped visibly, at most
// 200 runes. The rejection binds the record by its leaf hash; this is
// only for reading.
func claimed(s string) string {
	s = safetext.Line(s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
