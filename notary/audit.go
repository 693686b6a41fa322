package notary

import (
	"context"
	"fmt"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
)

// Audit judges a notary's ledger again, as its notary should have, from
// the appointment to the newest checkpoint, without the notary's key: an
// auditor's check of the notary itself ("breachledger verify --rules").
// The notary holds the ledger key, so its checkpoints verify whatever it
// accepted; Audit reports what the rules say of each append:
//
//   - "accepted-refused": the append counts (checkpointed, not rejected),
//     and the rules refuse it;
//   - "rejected-accepted": the notary rejected it, and the rules accept it.
//
// Each append is judged on the state the events that count before it make
// (what every reader applies), as the notary judges. The events up to the
// appointment were checkpointed inline under the rules of their day (the
// appointment itself is checked by its hand-over, KeyChain), and
// the events past the newest checkpoint are not judged yet: neither is
// audited. A ledger with no notary (as key sees it) has nothing to audit.
func Audit(ctx context.Context, st eventstore.Store, key *integrity.PublicKey) ([]integrity.Problem, error) {
	chain, err := ledger.ReadKeyChain(ctx, st, key)
	if err != nil {
		return nil, fmt.Errorf("audit the notary: %w", err)
	}
	if !chain.Notary() {
		return nil, nil
	}
	from := chain.Rotations[0].Seq + 1 // after the appointment's append, which it ends
	v, err := ledger.NewView(ctx, st, key)
	if err != nil {
		return nil, fmt.Errorf("audit the notary: %w", err)
	}
	cov := v.Coverage()
	n := blank(Options{})
	n.store = st
	var tail []eventstore.Record
	for r, err := range eventstore.All(ctx, st, 0) {
		if err != nil {
			return nil, fmt.Errorf("audit the notary: read the log: %w", err)
		}
		if r.Sequence >= cov.Size {
			break
		}
		if r.Sequence >= from {
			tail = append(tail, r)
			continue
		}
		if err := n.foldCounted(r, cov); err != nil {
			return nil, err
		}
	}
	var out []integrity.Problem
	for _, g := range appends(tail) {
		counts := cov.Counts(g[0].Sequence)
		err := n.judge(g)
		switch {
		case err == nil && !counts:
			out = append(out, integrity.Problem{Seq: g[0].Sequence, EventID: g[0].ID.String(), What: "rejected-accepted",
				Detail: fmt.Sprintf("the notary rejected this append of %d event(s) (%q by %q), and the rules accept it: judged again on the events that count before it, its signatures verify and Decide yields the very same events", len(g), g[0].Type, g[0].Actor)})
		case err != nil && counts && n.judgeSplit(g):
			// several appends the rules accept, folded by judgeSplit
			n.advance(g)
			continue
		case err != nil && counts:
			out = append(out, integrity.Problem{Seq: g[0].Sequence, EventID: g[0].ID.String(), What: "accepted-refused",
				Detail: fmt.Sprintf("the notary checkpointed this append of %d event(s) (%q by %q) without rejecting it, and the rules refuse it: %v; every reader counts it", len(g), g[0].Type, g[0].Actor, err)})
		}
		for _, r := range g {
			if err := n.foldCounted(r, cov); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// foldCounted folds r into the state when it counts under cov (what every
// reader applies), and moves the judged position past it.
func (n *Notary) foldCounted(r eventstore.Record, cov ledger.Coverage) error {
	if cov.Counts(r.Sequence) {
		if err := n.fold(r); err != nil {
			return err
		}
	}
	n.advance([]eventstore.Record{r})
	return nil
}

// advance moves the judged position past recs.
func (n *Notary) advance(recs []eventstore.Record) {
	for _, r := range recs {
		n.judged = r.Sequence + 1
		if r.Stream == domain.LedgerStream {
			n.ledgerLen++
		}
	}
}

// JudgePending judges, as the notary will, the records a writer decides
// on that no checkpoint covers yet (ledger.Writer.Judge): pending, those
// of the ledger stream and one incident's in sequence order, on the state
// that covered (the records of the same streams the newest checkpoint
// covers, those for which counts holds) and the pending appends accepted
// before them make. It returns the sequences of the pending appends the
// rules refuse.
func JudgePending(covered, pending []eventstore.Record, counts func(seq uint64) bool) map[uint64]bool {
	n := blank(Options{})
	for _, r := range covered {
		if counts(r.Sequence) {
			_ = n.fold(r) // one that does not decode counts for no reader either
		}
		n.advance([]eventstore.Record{r})
	}
	var refused map[uint64]bool
	for _, g := range appends(pending) {
		accepted := n.judge(g) == nil
		switch {
		case accepted:
			for _, r := range g {
				if n.fold(r) != nil {
					accepted = false
				}
			}
		case n.judgeSplit(g):
			accepted = true
		}
		if !accepted {
			if refused == nil {
				refused = map[uint64]bool{}
			}
			for _, r := range g {
				refused[r.Sequence] = true
			}
		}
		n.advance(g)
	}
	return refused
}
