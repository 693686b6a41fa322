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
//
// Sealed personal fields are judged on their plaintext, opened by the
// Opener in ctx (ledger.WithOpener): an append judged on a value it cannot
// open is reported as "not-judged" (the rules were not checked there:
// judge again with the keys), never as accepted or refused. Values
// forgotten since (shred) are judged as the notary judges them, left
// aside where the rules write their own text; where the outcome then
// differs from the notary's, it read what nobody can read any more, and
// its judgment stands unchecked.
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
	n := blank(Options{Opener: ledger.OpenerOf(ctx)})
	n.store = st
	n.readsForgotten(st)
	var raw []eventstore.Record
	for r, err := range eventstore.All(ctx, st, 0) {
		if err != nil {
			return nil, fmt.Errorf("audit the notary: read the log: %w", err)
		}
		if r.Sequence >= cov.Size {
			break
		}
		raw = append(raw, r)
	}
	all, err := n.open(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("audit the notary: %w", err)
	}
	start := len(raw)
	for i, r := range raw {
		if r.Sequence >= from {
			start = i
			break
		}
		if err := n.foldCounted(all.slice(i, i+1), cov); err != nil {
			return nil, err
		}
	}
	tail := all.slice(start, len(raw))
	var out []integrity.Problem
	at := 0
	for _, rg := range appends(tail.raw) {
		o := tail.slice(at, at+len(rg))
		at += len(rg)
		g := o.raw
		counts := cov.Counts(g[0].Sequence)
		if err := n.readable(o); err != nil {
			out = append(out, integrity.Problem{Seq: g[0].Sequence, EventID: g[0].ID.String(), What: "not-judged",
				Detail: fmt.Sprintf("this append of %d event(s) (%q by %q) is judged on sealed personal data that does not open here, so the rules were not checked on it: verify --rules again with the ledger's keys (its key store in your configuration, or the team's key server): %v", len(g), g[0].Type, g[0].Actor, err)})
			for i := range g {
				if err := n.foldCounted(o.slice(i, i+1), cov); err != nil {
					return nil, err
				}
			}
			continue
		}
		err := n.judge(o)
		if (err == nil) != counts && o.forgotten() != nil {
			// The append's own values were forgotten since the notary
			// judged them on their plaintext: "[forgotten on DATE, basis]"
			// equals every other value its key sealed (an incident's
			// recipients), so a judgment that reads them cannot be checked
			// any more, by anyone. It is taken as the notary's, not blamed
			// on it. An append whose own values are all readable is judged
			// (redecideForgotten leaves the forgotten fields of what it is
			// compared with aside).
			for i := range g {
				if err := n.foldCounted(o.slice(i, i+1), cov); err != nil {
					return nil, err
				}
			}
			continue
		}
		switch {
		case err == nil && !counts:
			out = append(out, integrity.Problem{Seq: g[0].Sequence, EventID: g[0].ID.String(), What: "rejected-accepted",
				Detail: fmt.Sprintf("the notary rejected this append of %d event(s) (%q by %q), and the rules accept it: judged again on the events that count before it, its signatures verify and Decide yields the very same events", len(g), g[0].Type, g[0].Actor)})
		case err != nil && counts && n.judgeSplit(o):
			// several appends the rules accept, folded by judgeSplit
			n.advance(g)
			continue
		case err != nil && counts:
			out = append(out, integrity.Problem{Seq: g[0].Sequence, EventID: g[0].ID.String(), What: "accepted-refused",
				Detail: fmt.Sprintf("the notary checkpointed this append of %d event(s) (%q by %q) without rejecting it, and the rules refuse it: %v; every reader counts it", len(g), g[0].Type, g[0].Actor, err)})
		}
		for i := range g {
			if err := n.foldCounted(o.slice(i, i+1), cov); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// foldCounted folds o, one record, into the state when it counts under
// cov (what every reader applies), and moves the judged position past it.
func (n *Notary) foldCounted(o records, cov ledger.Coverage) error {
	r := o.raw[0]
	if cov.Counts(r.Sequence) {
		if err := n.fold(o.read[0], o.unopened[r.Sequence]); err != nil {
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

// PendingJudge returns a ledger.Writer.Judge that judges, as the notary
// will, the records a writer decides on that no checkpoint covers yet:
// pending, those of the ledger stream and one incident's in sequence
// order, on the state that covered (the records of the same streams the
// newest checkpoint covers, those for which counts holds) and the pending
// appends accepted before them make. It returns the sequences of the
// pending appends the rules refuse. It opens sealed fields with o in ctx
// (ledger.OpenerOf); with a nil o it has no keys, and a pending append
// judged on a sealed value counts, unjudged (the notary judges it on its
// plaintext).
func PendingJudge(ctx context.Context, o *ledger.Opener) func(covered, pending []eventstore.Record, counts func(seq uint64) bool) map[uint64]bool {
	return func(covered, pending []eventstore.Record, counts func(seq uint64) bool) map[uint64]bool {
		return judgePending(ctx, o, covered, pending, counts)
	}
}

func judgePending(ctx context.Context, o *ledger.Opener, covered, pending []eventstore.Record, counts func(seq uint64) bool) map[uint64]bool {
	n := blank(Options{Opener: o})
	cov, err := n.open(ctx, covered)
	if err != nil {
		return nil // not judged: every pending append counts, as without a judge
	}
	for i, r := range covered {
		if counts(r.Sequence) {
			_ = n.fold(cov.read[i], cov.unopened[r.Sequence]) // one that does not decode counts for no reader either
		}
		n.advance([]eventstore.Record{r})
	}
	all, err := n.open(ctx, pending)
	if err != nil {
		return nil
	}
	var refused map[uint64]bool
	at := 0
	for _, g := range appends(pending) {
		o := all.slice(at, at+len(g))
		at += len(g)
		if n.readable(o) != nil {
			// Judged on a value not opened here: it counts, as the
			// notary's to judge (and folded: what the writer reads).
			for i, r := range o.read {
				_ = n.fold(r, o.unopened[g[i].Sequence])
			}
			n.advance(g)
			continue
		}
		accepted := n.judge(o) == nil
		switch {
		case accepted:
			for i, r := range o.read {
				if n.fold(r, o.unopened[g[i].Sequence]) != nil {
					accepted = false
				}
			}
		case n.judgeSplit(o):
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
