package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/integrity"
)

// Integrity: the application side of package integrity. It signs
// checkpoints after appends, judges actor signatures with the domain's
// signer registry, and runs verification, proofs and bundles against a
// store.

// ErrUncoveredTail: on a store that checkpoints after the append
// (EventStoreDB), the log has events that no checkpoint covers and that
// this writer did not append: another writer's, or written around
// breachledger. A writer cannot tell which (nothing is covered because of
// when it was recorded), so it signs nothing over them: on a ledger with
// more than one writer the notary judges and checkpoints them ("breachledger
// notary appoint"); on one without, the ledger-key holder rejects them (or
// accepts a legacy tail, once).
var ErrUncoveredTail = fmt.Errorf("events not covered by a checkpoint: %w", integrity.ErrIntegrity)

// checkpointStore returns st's checkpoint store.
func checkpointStore(st eventstore.Store) (eventstore.CheckpointStore, error) {
	cs, ok := st.(eventstore.CheckpointStore)
	if !ok {
		return nil, fmt.Errorf("this store (%T) keeps no checkpoints", st)
	}
	return cs, nil
}

// Origin returns the log origin of the ledger in st, from its
// LedgerInitialized event (integrity.Origin).
func Origin(ctx context.Context, st eventstore.Store) (string, error) {
	recs, err := st.ReadStream(ctx, domain.LedgerStream, eventstore.ReadOptions{Limit: 1})
	if errors.Is(err, eventstore.ErrNotFound) || (err == nil && len(recs) == 0) {
		return "", fmt.Errorf("read ledger origin: the ledger was never initialised: %w", eventstore.ErrNoLedger)
	}
	if err != nil {
		return "", fmt.Errorf("read ledger origin: %w", err)
	}
	return originOf(recs[0])
}

func originOf(r eventstore.Record) (string, error) {
	e, err := domain.Decode(r.Type, r.Payload)
	if err != nil {
		return "", fmt.Errorf("read ledger origin: %w", err)
	}
	init, ok := e.(domain.LedgerInitialized)
	if !ok {
		return "", fmt.Errorf("read ledger origin: the ledger stream starts with %s, not LedgerInitialized", r.Type)
	}
	return integrity.Origin(init.Name, r.ID), nil
}

// Checkpointer signs checkpoints of a store's log with the ledger key.
//
// Nothing is covered because of when it was recorded. A checkpoint covers
// the records this writer appended (own) and records the ledger stream's
// custody events among own name (a rejected foreign record, bound by its
// leaf hash; a legacy tail accepted once, bound by the hash of its
// leaves); a notary's Seal covers what the notary judged. Another writer's
// record, on a store that checkpoints after the append (EventStoreDB), is
// not covered however recently it was recorded: a team's ledger there has
// a notary.
type Checkpointer struct {
	Store eventstore.Store
	Key   *integrity.LedgerKey
	// Previous is the key Key took over from by a hand-over (a notary's
	// appointment), which signed the checkpoints before: the newest stored
	// checkpoint may be its, until Key's first.
	Previous *integrity.PublicKey
}

// Checkpoint signs a checkpoint of the whole log as it reads it now and
// stores it, extending the newest stored checkpoint's compact range with
// the records after it: O(log n) plus the new records. It returns the
// checkpoint that covers the log (another writer's when that one already
// covered as much).
//
// own are records this writer just appended. Any other record it would
// cover must be named by a custody event among own; else, on an Inline
// store, it is foreign (a *ForeignError, ErrForeign) and nothing is
// signed; on another store it must have been recorded within Grace of Now,
// or nothing is signed and the error is ErrUncoveredTail, because it cannot
// tell a concurrent writer's record from one written around breachledger.
// An own record that a stored checkpoint already covers must
// be the one that checkpoint signed at its sequence: otherwise the log
// changed under this writer (history removed, and later sequences moved
// down) and it signs nothing.
func (c Checkpointer) Checkpoint(ctx context.Context, own []eventstore.Record) (eventstore.Checkpoint, error) {
	cs, latest, x, err := c.extendStored(ctx, own)
	if err != nil {
		return eventstore.Checkpoint{}, err
	}
	for r, err := range eventstore.All(ctx, c.Store, x.from) {
		if err != nil {
			return eventstore.Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
		}
		if err := x.add(r); err != nil {
			return eventstore.Checkpoint{}, err
		}
	}
	if err := c.checkCovered(ctx, cs, own, x.from); err != nil {
		return eventstore.Checkpoint{}, err
	}
	for _, r := range own {
		if r.Sequence >= x.tree.Size() {
			return eventstore.Checkpoint{}, fmt.Errorf("checkpoint: event %s was appended at sequence %d, but the log now ends at %d: the log changed under this writer (history was removed?); nothing was signed (run \"breachledger verify\"): %w",
				r.ID, r.Sequence, int64(x.tree.Size())-1, integrity.ErrIntegrity)
		}
	}
	if x.tree.Size() == x.from {
		if x.from == 0 {
			return eventstore.Checkpoint{}, fmt.Errorf("checkpoint: the ledger is empty: %w", eventstore.ErrNoLedger)
		}
		return *latest, nil
	}
	return c.save(ctx, cs, x)
}

// extendStored reads the store's newest checkpoint (nil when none) and
// starts extending it (extend) with own, the records this writer appended.
func (c Checkpointer) extendStored(ctx context.Context, own []eventstore.Record) (eventstore.CheckpointStore, *eventstore.Checkpoint, *extension, error) {
	cs, err := checkpointStore(c.Store)
	if err != nil {
		return nil, nil, nil, err
	}
	var latest *eventstore.Checkpoint
	stored, err := cs.LatestCheckpoint(ctx)
	switch {
	case errors.Is(err, eventstore.ErrNoCheckpoint):
	case err != nil:
		return nil, nil, nil, fmt.Errorf("checkpoint: %w", err)
	default:
		latest = &stored
	}
	x, err := c.extend(latest, own)
	if err != nil {
		return nil, nil, nil, err
	}
	return cs, latest, x, nil
}

// Seal signs and stores the checkpoint of the log's first size records,
// which the caller has judged (a notary: every record below size is
// accepted, or rejected by a rejection below size), extending the newest
// stored checkpoint. It returns the newest checkpoint unchanged when that
// covers size already.
func (c Checkpointer) Seal(ctx context.Context, size uint64) (eventstore.Checkpoint, error) {
	cs, latest, x, err := c.extendStored(ctx, nil)
	if err != nil {
		return eventstore.Checkpoint{}, err
	}
	if size <= x.from {
		if latest == nil {
			return eventstore.Checkpoint{}, fmt.Errorf("checkpoint: the ledger is empty: %w", eventstore.ErrNoLedger)
		}
		return *latest, nil
	}
	x.judged = true
	for r, err := range eventstore.All(ctx, c.Store, x.from) {
		if err != nil {
			return eventstore.Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
		}
		if r.Sequence >= size {
			break
		}
		if err := x.add(r); err != nil {
			return eventstore.Checkpoint{}, err
		}
	}
	if x.tree.Size() != size {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint: the log ends at %d records, short of the %d judged (run \"breachledger verify\"): %w", x.tree.Size(), size, integrity.ErrIntegrity)
	}
	return c.save(ctx, cs, x)
}

// save signs the extended tree of x and stores it. Another writer's
// checkpoint of at least as much stored first is returned instead.
func (c Checkpointer) save(ctx context.Context, cs eventstore.CheckpointStore, x *extension) (eventstore.Checkpoint, error) {
	cp, err := x.sign()
	if err != nil {
		return eventstore.Checkpoint{}, err
	}
	// Saving is the point of no return, as an append is (Writer.Execute):
	// cancelled before it, nothing is saved; once begun, it is finished.
	if err := ctx.Err(); err != nil {
		return eventstore.Checkpoint{}, err
	}
	ctx = context.WithoutCancel(ctx)
	saved, err := cs.SaveCheckpoint(ctx, cp)
	if errors.Is(err, eventstore.ErrStaleCheckpoint) {
		return cs.LatestCheckpoint(ctx) // another writer covered at least as much
	}
	if err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	return saved, nil
}

// Append appends recs to stream in c.Store and covers them with a signed
// checkpoint in the same atomic step, on a store that can
// (eventstore.CheckpointAppender: SQLite, one transaction and one fsync
// for both). It returns the records as stored and the checkpoint. On a
// store that cannot (EventStoreDB), when the checkpoint cannot be signed
// inside the append (a tail nobody checkpointed, an altered checkpoint),
// or when nothing new was appended (a retry), it appends alone and
// returns a nil checkpoint: the caller then calls Checkpoint, which covers
// the records or says why it cannot. On a store that can, a checkpoint
// refused (a foreign record in the tail, an altered checkpoint) means
// nothing is appended: the error wraps eventstore.ErrNotCheckpointed and
// the reason (ErrForeign, integrity.ErrIntegrity).
func (c Checkpointer) Append(ctx context.Context, stream string, expected eventstore.Expected, recs []eventstore.Record) ([]eventstore.Record, *eventstore.Checkpoint, error) {
	return c.appendIf(ctx, stream, expected, recs, nil)
}

// appendIf is Append and, with cond, on a store that can check it in the
// same atomic step (eventstore.ConditionalAppender), appends nothing
// unless cond holds (a *eventstore.ConflictError for cond.Stream). A store
// that cannot appends without it.
func (c Checkpointer) appendIf(ctx context.Context, stream string, expected eventstore.Expected, recs []eventstore.Record, cond *eventstore.Condition) ([]eventstore.Record, *eventstore.Checkpoint, error) {
	ca, ok := c.Store.(eventstore.CheckpointAppender)
	if !ok {
		stored, err := c.Store.Append(ctx, stream, expected, recs)
		return stored, nil, err
	}
	var stored []eventstore.Record
	var cp eventstore.Checkpoint
	var err error
	if cca, ok := ca.(eventstore.ConditionalAppender); ok && cond != nil {
		stored, cp, err = cca.AppendCheckpointedIf(ctx, stream, expected, recs, *cond, c.signFunc(recs))
	} else {
		stored, cp, err = ca.AppendCheckpointed(ctx, stream, expected, recs, c.signFunc(recs))
	}
	switch {
	case errors.Is(err, eventstore.ErrNotCheckpointed):
		// Nothing was appended, and nothing will be without a
		// checkpoint: appending alone would leave a record that
		// readers must treat as foreign.
		return nil, nil, fmt.Errorf("nothing was recorded, because the log cannot be checkpointed: %w", err)
	case err != nil:
		return nil, nil, err
	case cp.Size == 0:
		return stored, nil, nil // nothing new appended
	}
	return stored, &cp, nil
}

// signFunc returns the eventstore.SignFunc that signs, inside an atomic
// append of own (eventstore.CheckpointAppender), the checkpoint over the
// records after the newest stored one: the same checks as Checkpoint, and
// every record of own must be among them (so the checkpoint covers what
// this writer appended).
func (c Checkpointer) signFunc(own []eventstore.Record) eventstore.SignFunc {
	return func(latest *eventstore.Checkpoint, tail []eventstore.Record) (eventstore.Checkpoint, error) {
		x, err := c.extend(latest, own)
		if err != nil {
			return eventstore.Checkpoint{}, err
		}
		x.anySeq = true // own are the records as sent: the store sets their sequences
		for _, r := range tail {
			if err := x.add(r); err != nil {
				return eventstore.Checkpoint{}, err
			}
		}
		if x.seen != len(own) {
			return eventstore.Checkpoint{}, fmt.Errorf("checkpoint: %d of the %d appended events are at sequences the newest checkpoint (%d events) already covers (run \"breachledger verify\"): %w",
				len(own)-x.seen, len(own), x.from, integrity.ErrIntegrity)
		}
		return x.sign()
	}
}

// extension extends a stored checkpoint over the records after it.
type extension struct {
	c       Checkpointer
	tree    *integrity.Tree
	from    uint64               // the size of the checkpoint extended
	mine    map[uuid.UUID]uint64 // this writer's records, by ID: their sequences
	anySeq  bool                 // the sequences of mine are not known yet
	judged  bool                 // every record was judged by the caller (a notary, Seal): no tail guard
	seen    int                  // records of mine added
	inline  bool                 // the store checkpoints inside the append
	custody custodyClaims        // records own's custody events name
	leaves  [][]byte
	others  []eventstore.Record // another writer's (or nobody's), on a store that checkpoints after the append
	foreign []eventstore.Record // named by nobody, on an inline store
}

// extend starts extending latest (nil: none), after checking that it is
// signed with the ledger key and that its stored compact range gives the
// root it signed.
func (c Checkpointer) extend(latest *eventstore.Checkpoint, own []eventstore.Record) (*extension, error) {
	claims, err := custodyOf(own)
	if err != nil {
		return nil, err
	}
	x := &extension{c: c, tree: integrity.NewTree(), mine: make(map[uuid.UUID]uint64, len(own)), inline: Inline(c.Store), custody: claims}
	for _, r := range own {
		x.mine[r.ID] = r.Sequence
	}
	if latest != nil {
		// A checkpoint this key signed over the state stored with it is
		// recognised by signing that state again (Ed25519 signatures are
		// deterministic), at a third of the cost of verifying it.
		if tree, err := integrity.TreeFromRange(latest.Size, latest.Range); err == nil {
			if again, err := c.Key.Sign(latest.Size, tree.Root()); err == nil && bytes.Equal(again.Note, latest.Note) {
				x.tree, x.from = tree, tree.Size()
				return x, nil
			}
		}
		signed, err := c.Key.Public().Open(latest.Note)
		if err != nil && c.Previous != nil {
			signed, err = c.Previous.Open(latest.Note)
		}
		if err != nil {
			return nil, fmt.Errorf("checkpoint: the newest stored checkpoint (%d events): %w", latest.Size, err)
		}
		tree, err := integrity.TreeFromRange(latest.Size, latest.Range)
		if err != nil || !bytes.Equal(tree.Root(), signed.Root) || signed.Size != latest.Size {
			return nil, fmt.Errorf("checkpoint: the stored state of checkpoint %d does not give the root it signed (it was altered; run \"breachledger verify\"): %w", latest.Size, integrity.ErrIntegrity)
		}
		x.tree = tree
	}
	x.from = x.tree.Size()
	return x, nil
}

// add extends the tree with r, the record at the next sequence.
func (x *extension) add(r eventstore.Record) error {
	if r.Sequence != x.tree.Size() {
		return fmt.Errorf("checkpoint: the log has sequence %d where %d should be (run \"breachledger verify\"): %w", r.Sequence, x.tree.Size(), integrity.ErrIntegrity)
	}
	seq, mine := x.mine[r.ID]
	leaf := integrity.LeafOf(r).Marshal()
	claimed, err := x.custody.claim(r, leaf)
	switch {
	case err != nil:
		return err
	case mine && !x.anySeq && seq != r.Sequence:
		return fmt.Errorf("checkpoint: event %s was appended at sequence %d, but the log now has it at %d: the log changed under this writer (run \"breachledger verify\"): %w", r.ID, seq, r.Sequence, integrity.ErrIntegrity)
	case mine:
		x.seen++
	case claimed, x.judged:
	case x.inline:
		x.foreign = append(x.foreign, r)
	default:
		x.others = append(x.others, r)
	}
	x.leaves = append(x.leaves, leaf)
	x.tree.Append(integrity.HashLeaf(leaf))
	return nil
}

// sign signs the extended tree, unless it holds records nobody should
// sign unasked (ErrUncoveredTail).
func (x *extension) sign() (eventstore.Checkpoint, error) {
	if len(x.foreign) > 0 {
		return eventstore.Checkpoint{}, &ForeignError{From: x.foreign[0].Sequence, Count: uint64(len(x.foreign)), First: x.foreign[:min(3, len(x.foreign))]}
	}
	if len(x.others) > 0 {
		r := x.others[0]
		return eventstore.Checkpoint{}, fmt.Errorf("%d event(s) from sequence %d (event %s, %q by %q, recorded %s) are another writer's, or written around breachledger, and no checkpoint covers them; nothing was signed: a ledger with more than one writer on this store is checkpointed by its notary (\"breachledger notary appoint\"), which judges them; on one without, the ledger-key holder checks them (\"breachledger verify\") and rejects them (\"breachledger checkpoint --reject %d --reason ...\"): %w",
			len(x.others), r.Sequence, r.ID, r.Type, r.Actor, r.RecordedAt.Format(time.RFC3339Nano), r.Sequence, ErrUncoveredTail)
	}
	if err := x.custody.complete(); err != nil {
		return eventstore.Checkpoint{}, err
	}
	signed, err := x.c.Key.Sign(x.tree.Size(), x.tree.Root())
	if err != nil {
		return eventstore.Checkpoint{}, err
	}
	return eventstore.Checkpoint{Size: signed.Size, Root: signed.Root, Note: signed.Note, Range: x.tree.Range(), Leaves: x.leaves}, nil
}

// checkCovered checks that each record of own below from (covered by a
// stored checkpoint, another writer's) is the record that checkpoint
// signed at its sequence.
func (c Checkpointer) checkCovered(ctx context.Context, cs eventstore.CheckpointStore, own []eventstore.Record, from uint64) error {
	for _, r := range own {
		if r.Sequence >= from {
			continue
		}
		cps, err := cs.ReadCheckpoints(ctx, r.Sequence, 1)
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		var copyLeaf []byte
		if len(cps) == 1 && r.Sequence >= cps[0].LeavesFrom && r.Sequence-cps[0].LeavesFrom < uint64(len(cps[0].Leaves)) {
			copyLeaf = cps[0].Leaves[r.Sequence-cps[0].LeavesFrom]
		}
		if !bytes.Equal(copyLeaf, integrity.LeafOf(r).Marshal()) {
			detail := "no leaf copy"
			if l, err := integrity.ParseLeaf(copyLeaf); err == nil {
				detail = fmt.Sprintf("event %s (%s by %s)", l.ID, l.Type, l.Actor)
			}
			return fmt.Errorf("checkpoint: event %s was appended at sequence %d, which the newest checkpoint (%d events) already covers with %s: the log has fewer events than its checkpoints (history was removed?); nothing was signed (run \"breachledger verify\"): %w",
				r.ID, r.Sequence, from, detail, integrity.ErrIntegrity)
		}
	}
	return nil
}

// sign fills in r's signature over its content envelope, reusing the
// signature made for the same envelope on an earlier attempt.
func (w Writer) sign(r *eventstore.Record, made map[string][]byte) error {
	if w.Sign == nil || r.Signer == "" {
		return nil
	}
	env := integrity.EnvelopeOf(*r).Marshal()
	if sig, ok := made[string(env)]; ok {
		r.Signature = sig
		return nil
	}
	sig, err := w.Sign(env)
	if err != nil {
		return fmt.Errorf("sign event %s: %w", r.ID, err)
	}
	made[string(env)] = sig
	r.Signature = sig
	return nil
}

// SignaturePolicy judges actor signatures as the domain's signer registry
// and signature policy stood at each event's place in the log: a fold of
// the ledger stream, one record at a time. An event that lost a revocation
// race (history.Races) is judged as its writer decided it: a key
// revoked at or after the ledger revision it was decided on still signs
// it, if the signature verifies; it is reported in Raced, not as a
// problem, and does not change the ledger state.
//
// A ledger made in signed mode starts with one append of two events, its
// LedgerInitialized and the SignerRegistered of the first admin's key,
// both signed with that key (domain.InitLedger): the pair is judged as of
// the ledger it makes, when the second is judged.
//
// The rules correction-unsigned and supersede-unsigned (an unsigned event
// may not amend or replace a signed fact) need the incident's state, which
// a record-at-a-time judgement does not fold. The policy only notes, at
// the cost of a map lookup per record, the incident streams that hold an
// unsigned event after a signed one (AmendSuspects); only those are folded
// afterwards (amendProblems).
type SignaturePolicy struct {
	l     domain.Ledger
	races history.Races
	raced []integrity.Problem
	init  *eventstore.Record // a signed LedgerInitialized, judged with the event after it

	signedIn map[string]bool // incident streams holding a signed event that counts
	suspects map[string]bool // ... and an unsigned one after it

	checked map[uint64]signatureCheck // by sequence: the signatures Ahead checked

	// rejected are the records the ledger stream rejects (Rejecting):
	// judged (their signature problems are reported beside the
	// rejection), never folded.
	rejected map[uint64]string

	// rulesFrom is the sequence of the first record that carries a basis:
	// the first a breachledger wrote that refuses unsigned amendments of
	// signed facts. Before it, such an amendment was allowed (a ledger
	// made before signed mode, under a partial policy), so it is no
	// problem there.
	rulesFrom    uint64
	rulesFromSet bool
}

// NewSignaturePolicy returns a policy for a log read from its start.
func NewSignaturePolicy() *SignaturePolicy { return &SignaturePolicy{l: domain.NewLedger()} }

var _ integrity.SignaturePolicy = (*SignaturePolicy)(nil)

// Raced returns the events judged so far that lost a revocation race, as
// problems of the kind "raced" (for integrity.Report.Raced: they never
// count, and are not tampering).
func (p *SignaturePolicy) Raced() []integrity.Problem { return p.raced }

// Rejecting tells the policy which records the ledger stream rejects
// (by sequence): it judges their signatures but folds none of them, so
// that a rejected ledger event (a forged revocation, say) changes no
// registry the later events are judged by.
func (p *SignaturePolicy) Rejecting(rejected map[uint64]string) { p.rejected = rejected }

// Judge implements integrity.SignaturePolicy.
func (p *SignaturePolicy) Judge(r eventstore.Record) (bool, error) {
	if _, ok := p.rejected[r.Sequence]; ok {
		signed, err := p.judge(p.l, r, "")
		if err != nil {
			return false, fmt.Errorf("%w: %w", err, integrity.ErrIntegrity)
		}
		return signed, nil
	}
	if p.init != nil {
		return p.judgeInit(r)
	}
	if r.Stream == domain.LedgerStream && r.Revision == 0 && r.Type == "LedgerInitialized" && r.Signer != "" {
		// Judged with the key the next event registers (judgeInit).
		rr := r
		p.init = &rr
		p.evolve(r)
		return true, nil
	}
	if r.Basis > 0 && !p.rulesFromSet {
		p.rulesFrom, p.rulesFromSet = r.Sequence, true
	}
	race, raced := p.races.Check(r.Actor, r.Signer, r.Basis, r.Sequence)
	// What the race excuses: the key revoked since the event was decided,
	// or, of an unsigned event, a signature policy set since.
	excused := ""
	if _, ok := p.races.Check("", r.Signer, r.Basis, r.Sequence); raced && ok {
		excused = "signer-revoked"
		if r.Signer == "" {
			excused = "signature-required"
		}
	}
	signed, err := p.judge(p.l, r, excused)
	if raced && err == nil {
		p.raced = append(p.raced, integrity.Problem{Seq: r.Sequence, EventID: r.ID.String(), What: "raced", Detail: race.String()})
	}
	if !raced {
		p.evolve(r)
		p.note(r)
	}
	if err != nil {
		return false, fmt.Errorf("%w: %w", err, integrity.ErrIntegrity)
	}
	return signed, nil
}

// note remembers r's stream when r is a signed incident event, and marks
// it a suspect when r is an unsigned one after a signed one: it may amend
// a signed fact (AmendSuspects).
func (p *SignaturePolicy) note(r eventstore.Record) {
	if r.Stream == domain.LedgerStream {
		return
	}
	switch {
	case r.Signer != "":
		if !p.signedIn[r.Stream] {
			if p.signedIn == nil {
				p.signedIn = map[string]bool{}
			}
			p.signedIn[r.Stream] = true
		}
	case p.signedIn[r.Stream]:
		if p.suspects == nil {
			p.suspects = map[string]bool{}
		}
		p.suspects[r.Stream] = true
	}
}

// AmendSuspects returns, sorted, the streams judged so far that hold an
// unsigned event after a signed one (raced events left out): the only
// streams where an unsigned event can amend a signed fact. None before
// any record carries a basis: the ledger was written only by a
// breachledger that allowed such amendments.
func (p *SignaturePolicy) AmendSuspects() []string {
	if !p.rulesFromSet {
		return nil
	}
	out := make([]string, 0, len(p.suspects))
	for s := range p.suspects {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// amendProblems judges the records of one incident stream, in order, by
// the rules correction-unsigned and supersede-unsigned, as Decide judges a
// write: each unsigned event against the incident as the events before it
// that count (those that did not lose a revocation race to races) make it.
// Each unsigned event that amends or replaces a signed fact is a problem:
// breachledger refuses to record it, so it was written around it, and
// every reader counts it.
//
// Events before rulesFrom (the first record that carries a basis) were
// recorded by a breachledger that allowed unsigned amendments, and are
// folded but not judged.
func amendProblems(recs []eventstore.Record, races *history.Races, rulesFrom uint64, rejected map[uint64]string) []integrity.Problem {
	var out []integrity.Problem
	facts := make([]domain.Fact, 0, len(recs))
	signed := false
	for _, r := range recs {
		if _, ok := rejected[r.Sequence]; ok {
			continue
		}
		f, err := history.FactOf(r)
		if err != nil {
			continue // not an event any reader counts
		}
		if _, raced := races.Judge(f); raced {
			continue
		}
		if f.Signer == "" && signed && f.Sequence >= rulesFrom {
			id, _ := domain.IncidentID(f.Stream)
			inc := history.IncidentAt(id, facts, domain.Cut{})
			var re *domain.RuleError
			if err := domain.CheckAmendsSigned(&inc, f.Event, f.Actor); errors.As(err, &re) {
				amended, _ := domain.AmendsSigned(&inc, f.Event)
				out = append(out, integrity.Problem{Seq: f.Sequence, EventID: f.ID, What: "signature",
					Detail: fmt.Sprintf("rule %s: %s; the signed fact it amends is %s at seq %d; breachledger refuses such an event (it was written around it), and every reader counts it", re.Rule, re.Reason, amended.Type, amended.Sequence)})
			}
		}
		signed = signed || f.Signer != ""
		facts = append(facts, f)
	}
	return out
}

// report adds to rep what the policy found besides each record's
// judgement: the events that lost a revocation race (Raced), a signed
// initialisation no event followed (unjudged), and the unsigned amendments
// of signed facts in the streams it suspects (AmendSuspects), whose
// records streamRecs returns in order. It fails only as streamRecs does.
func (p *SignaturePolicy) report(rep *integrity.Report, streamRecs func(stream string) ([]eventstore.Record, error)) error {
	rep.Raced = p.Raced()
	if u := p.unjudged(); u != nil {
		rep.Problems = append(rep.Problems, *u)
	}
	for _, stream := range p.AmendSuspects() {
		recs, err := streamRecs(stream)
		if err != nil {
			return err
		}
		addProblems(rep, amendProblems(recs, &p.races, p.rulesFrom, p.rejected))
	}
	return nil
}

// addProblems adds ps to rep: each merged into the problem of the same
// kind already reported for its event, or added; then in sequence order.
func addProblems(rep *integrity.Report, ps []integrity.Problem) {
	for _, p := range ps {
		merged := false
		for i := range rep.Problems {
			if q := &rep.Problems[i]; q.Seq == p.Seq && q.EventID == p.EventID && q.What == p.What {
				q.Detail += "; " + p.Detail
				merged = true
				break
			}
		}
		if !merged {
			rep.Problems = append(rep.Problems, p)
		}
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Seq < rep.Problems[j].Seq })
}

// evolve folds r into the ledger state when it is a ledger event.
func (p *SignaturePolicy) evolve(r eventstore.Record) {
	if r.Stream != domain.LedgerStream {
		return
	}
	if f, err := history.FactOf(r); err == nil {
		p.l = domain.EvolveLedger(p.l, f)
		p.races.Learn(f)
	}
}

// judgeInit judges r, the event after a signed LedgerInitialized, and the
// initialisation with it: when r registers the key that signed it, for
// the same actor, both are judged as of the ledger they make; otherwise r
// is judged as any event, and the initialisation's signature is a problem
// reported on r.
func (p *SignaturePolicy) judgeInit(r eventstore.Record) (bool, error) {
	init := *p.init
	p.init = nil
	before := p.l
	var initErr error
	registers := false
	if r.Stream == domain.LedgerStream && r.Revision == 1 && r.Type == "SignerRegistered" {
		if e, err := domain.Decode(r.Type, r.Payload); err == nil {
			reg := e.(domain.SignerRegistered)
			registers = reg.Fingerprint == init.Signer && reg.Actor == init.Actor
		}
	}
	p.evolve(r)
	l := before
	if registers {
		l = p.l // the pair, as of the ledger it makes
		_, initErr = p.judge(l, init, "")
	} else {
		initErr = fmt.Errorf("it is signed with key %s, which the event after it does not register for %s", init.Signer, init.Actor)
	}
	signed, err := p.judge(l, r, "")
	if initErr != nil {
		initErr = fmt.Errorf("the ledger's initialisation (seq %d, event %s, signed as the first admin's): %w", init.Sequence, init.ID, initErr)
		if err != nil {
			initErr = fmt.Errorf("%w; and this event: %w", initErr, err)
		}
		return false, fmt.Errorf("%w: %w", initErr, integrity.ErrIntegrity)
	}
	if err != nil {
		return false, fmt.Errorf("%w: %w", err, integrity.ErrIntegrity)
	}
	return signed, nil
}

// unjudged returns the problem of a signed initialisation that no event
// followed to register its key (the log ends with it), or nil.
func (p *SignaturePolicy) unjudged() *integrity.Problem {
	if p.init == nil {
		return nil
	}
	return &integrity.Problem{Seq: p.init.Sequence, EventID: p.init.ID.String(), What: "signature",
		Detail: fmt.Sprintf("the ledger's initialisation is signed with key %s, and no event registers that key for %s (the log ends with it)", p.init.Signer, p.init.Actor)}
}

// judge judges r's signature as of l, except by the rule excused ("" for
// none): a race excuses a key revoked (signer-revoked), or a signature
// policy set (signature-required), since the ledger revision r was decided
// on. A revoked key's signature must still verify.
func (p *SignaturePolicy) judge(l domain.Ledger, r eventstore.Record, excused string) (bool, error) {
	if r.Type == "LedgerInitialized" && r.Signer == "" {
		if e, err := domain.Decode(r.Type, r.Payload); err == nil && e.(domain.LedgerInitialized).Signed {
			return false, errors.New("a ledger made in signed mode is initialised with its first admin's signature; this initialisation is not signed")
		}
	}
	if r.Type == "SignerRegistered" && r.Stream == domain.LedgerStream {
		if e, err := domain.Decode(r.Type, r.Payload); err == nil {
			reg := e.(domain.SignerRegistered)
			if _, fp, err := integrity.ParseSignerKey(reg.Key); err != nil || fp != reg.Fingerprint {
				return false, fmt.Errorf("the key this event registers does not have the fingerprint it states (%s)", reg.Fingerprint)
			}
		}
	}
	if err := domain.CheckSigner(l, r.Type, r.Actor, r.Signer); err != nil {
		var re *domain.RuleError
		switch {
		case errors.As(err, &re) && excused != "" && re.Rule == excused:
			// changed after the write was decided: a race (Judge)
		case errors.As(err, &re):
			return false, fmt.Errorf("rule %s: %s", re.Rule, re.Reason)
		default:
			return false, err
		}
	}
	switch {
	case r.Signer == "" && len(r.Signature) > 0:
		return false, errors.New("the event carries a signature but names no signer key")
	case r.Signer == "":
		return false, nil
	case len(r.Signature) == 0:
		return false, fmt.Errorf("the event names signer key %s but carries no signature", r.Signer)
	}
	k, _ := l.Signers.Key(r.Signer)
	pub, fp, err := integrity.ParseSignerKey(k.Key)
	if err != nil || fp != r.Signer {
		return false, fmt.Errorf("the registered key %s does not parse to that fingerprint", r.Signer)
	}
	if err := p.verifySignature(r, pub, fp); err != nil {
		return false, fmt.Errorf("%s's signature: %w", r.Actor, err)
	}
	return true, nil
}

// verifySignature checks r's SSH signature with pub, the registered key of
// fingerprint fp: from the check Ahead made of it, when that check used
// the same key (the one the signature names, of fingerprint fp), else
// here.
func (p *SignaturePolicy) verifySignature(r eventstore.Record, pub ssh.PublicKey, fp string) error {
	if c, ok := p.checked[r.Sequence]; ok && c.id == r.ID && c.fp == fp {
		delete(p.checked, r.Sequence)
		return c.err
	}
	return integrity.VerifyEnvelope(integrity.EnvelopeOf(r).Marshal(), r.Signature, pub)
}

// aheadChunk is how many records Ahead checks at once.
const aheadChunk = 2048

// signatureCheck is the outcome of one signature's cryptographic check,
// made by Ahead with the key the signature names.
type signatureCheck struct {
	id  uuid.UUID
	fp  string // fingerprint of the key the signature names
	err error
}

// Ahead returns recs as they are, after checking, a chunk at a time and on
// every CPU, the SSH signature of each signed record with the key the
// signature names. The cryptography is most of what judging a signed
// record costs, and it does not depend on the record's place in the log
// (a fingerprint names one key); Judge, in order, still decides everything
// that does (whose key it is, whether it is active, the rules) and takes
// the outcome from here when the key it finds registered is that one.
func (p *SignaturePolicy) Ahead(recs iter.Seq2[eventstore.Record, error]) iter.Seq2[eventstore.Record, error] {
	return func(yield func(eventstore.Record, error) bool) {
		chunk := make([]eventstore.Record, 0, aheadChunk)
		flush := func() bool {
			p.checkAhead(chunk)
			for _, r := range chunk {
				if !yield(r, nil) {
					return false
				}
			}
			chunk = chunk[:0]
			return true
		}
		for r, err := range recs {
			if err != nil {
				if flush() {
					yield(r, err)
				}
				return
			}
			if chunk = append(chunk, r); len(chunk) == aheadChunk && !flush() {
				return
			}
		}
		flush()
	}
}

// checkAhead checks the signatures of recs on every CPU, keeping the
// outcomes by sequence for verifySignature.
func (p *SignaturePolicy) checkAhead(recs []eventstore.Record) {
	clear(p.checked)
	if !slices.ContainsFunc(recs, func(r eventstore.Record) bool { return r.Signer != "" && len(r.Signature) > 0 }) {
		return // nothing to check: no goroutines to start and wait for
	}
	if p.checked == nil {
		p.checked = make(map[uint64]signatureCheck, aheadChunk)
	}
	out := make([]signatureCheck, len(recs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(recs); i = int(next.Add(1)) - 1 {
				r := recs[i]
				if r.Signer == "" || len(r.Signature) == 0 {
					continue
				}
				key, err := integrity.SignatureKey(r.Signature)
				if err != nil {
					continue // judged in order, with the registered key
				}
				out[i] = signatureCheck{id: r.ID, fp: integrity.Fingerprint(key), err: integrity.VerifyEnvelope(integrity.EnvelopeOf(r).Marshal(), r.Signature, key)}
			}
		})
	}
	wg.Wait()
	for i, c := range out {
		if c.fp != "" {
			p.checked[recs[i].Sequence] = c
		}
	}
}

// Verify checks the whole ledger in st against its stored checkpoints and
// the kept checkpoints against, with the ledger's public key
// (integrity.Verify), judging actor signatures with the signer registry:
// VerifyWith with default options.
func Verify(ctx context.Context, st eventstore.Store, key *integrity.PublicKey, against []integrity.Checkpoint) (*integrity.Report, error) {
	return VerifyWith(ctx, st, key, VerifyOptions{Against: against})
}

// VerifyOptions are what VerifyWith checks a ledger with beside its key.
type VerifyOptions struct {
	// Against are checkpoints kept elsewhere: the ledger must extend each.
	Against []integrity.Checkpoint
	// ClockTolerance is how far a recorded time may be from the store's
	// own time of arrival, on stores that know it (EventStoreDB's
	// "created"); 0 for the store's default.
	ClockTolerance time.Duration
	// Now is when the verification runs: on a ledger with a notary, events
	// not yet checkpointed for longer than its notary-lag before Now are a
	// problem. Zero: time.Now.
	Now time.Time
	// AllLeafCopies reads every checkpoint's leaf copies with it, so a copy
	// altered beside intact events is reported too; by default a
	// checkpoint's copies are read only where its events do not give its
	// root (integrity.Options.LeafCopies).
	AllLeafCopies bool
}

// VerifyWith checks the whole ledger in st against its stored checkpoints
// and opts.Against, with the ledger's public key (integrity.Verify),
// judging actor signatures with the signer registry. On a store that knows
// more about its records than they show (eventstore.Auditor: EventStoreDB,
// whose users may hide events from stream reads, whose scavenges remove
// them, and whose server time bounds the writers' stamps), what it finds
// is reported too.
func VerifyWith(ctx context.Context, st eventstore.Store, key *integrity.PublicKey, opts VerifyOptions) (*integrity.Report, error) {
	cs, err := checkpointStore(st)
	if err != nil {
		return nil, err
	}
	var slack time.Duration
	if s, ok := st.(eventstore.StampSlacker); ok {
		slack = s.StampSlack()
		if opts.ClockTolerance > 0 {
			slack = opts.ClockTolerance
		}
	}
	// The ledger stream says which key signs which checkpoint (the
	// hand-overs its notary appointments record) and which records its
	// rejections leave out.
	ledgerRecs, err := readRecords(ctx, st, domain.LedgerStream)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	chain := keyChainOf(key, appointmentsIn(ledgerRecs))
	policy := NewSignaturePolicy()
	rejected, err := rejectedIn(ledgerRecs, ^uint64(0))
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	policy.Rejecting(rejected)
	vopts := integrity.Options{Key: chain.First, Rotations: chain.Rotations, Policy: policy, Against: opts.Against, StampSlack: slack}
	checkpoints := eventstore.Checkpoints(ctx, cs, 0)
	if lc, ok := st.(leafCopyReader); ok && !opts.AllLeafCopies {
		checkpoints = checkpointHeads(ctx, lc)
		vopts.LeafCopies = func(from, to uint64) ([][]byte, error) { return lc.ReadLeafCopies(ctx, from, to) }
	}
	rep, err := integrity.Verify(ctx, policy.Ahead(eventstore.All(ctx, st, 0)), checkpoints, vopts)
	if err != nil {
		return nil, err
	}
	rep.Problems = append(rep.Problems, chain.Invalid...)
	if chain.Notary() {
		if err := notaryLag(ctx, st, ledgerRecs, rep, opts.Now); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
	}
	if err := policy.report(rep, func(stream string) ([]eventstore.Record, error) { return readRecords(ctx, st, stream) }); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if _, ok := st.(eventstore.ConditionalAppender); ok {
		for i := range rep.Raced {
			rep.Raced[i].Detail += "; this store checks the ledger stream in every append, so no breachledger writer appended it this way here: it came from a store that cannot (a ledger migrated from EventStoreDB), or it was written around breachledger"
		}
	}
	if a, ok := st.(eventstore.Auditor); ok {
		findings, err := a.Audit(ctx, eventstore.AuditOptions{ClockTolerance: opts.ClockTolerance})
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		addFindings(rep, findings)
	}
	custody, err := custodyProblems(ctx, st, ledgerRecs)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	rep.Problems = append(rep.Problems, custody...)
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Seq < rep.Problems[j].Seq })
	origin, err := Origin(ctx, st)
	switch {
	case errors.Is(err, eventstore.ErrNoLedger):
		// reported by the log itself (missing events)
	case err != nil:
		rep.Problems = append([]integrity.Problem{{Seq: 0, What: "origin", Detail: err.Error()}}, rep.Problems...)
	case origin != key.Origin():
		rep.Problems = append([]integrity.Problem{{Seq: 0, What: "origin", Detail: fmt.Sprintf("the key is for ledger %q, this ledger is %q (a wrong key, or a rewritten ledger stream)", key.Origin(), origin)}}, rep.Problems...)
	}
	return rep, nil
}

// leafCopyReader is a checkpoint store that reads its checkpoints without
// their leaf copies, and the copies apart (SQLite): verify reads the
// copies of a checkpoint only when they can tell something
// (integrity.Options.LeafCopies), not a second copy of every intact leaf.
type leafCopyReader interface {
	ReadCheckpointHeads(ctx context.Context, after uint64, limit int) ([]eventstore.Checkpoint, error)
	ReadLeafCopies(ctx context.Context, from, to uint64) ([][]byte, error)
}

// headsPage is how many checkpoints checkpointHeads reads at once.
const headsPage = 1000

// checkpointHeads yields every stored checkpoint of lc in order of size,
// without its leaf copies, as eventstore.Checkpoints yields them with.
func checkpointHeads(ctx context.Context, lc leafCopyReader) iter.Seq2[eventstore.Checkpoint, error] {
	return func(yield func(eventstore.Checkpoint, error) bool) {
		for after := uint64(0); ; {
			page, err := lc.ReadCheckpointHeads(ctx, after, headsPage)
			if err != nil {
				yield(eventstore.Checkpoint{}, err)
				return
			}
			for _, cp := range page {
				if !yield(cp, nil) {
					return
				}
			}
			if len(page) < headsPage {
				return
			}
			after = page[len(page)-1].Size
		}
	}
}

// addFindings adds a store's findings to rep as problems: each merged
// into the problem already reported for its event, or added in sequence
// order (after the problems of events at the same sequence).
func addFindings(rep *integrity.Report, findings []eventstore.Finding) {
	if len(findings) == 0 {
		return
	}
	for _, f := range findings {
		id := ""
		if f.EventID != uuid.Nil {
			id = f.EventID.String()
		}
		if f.Leaf != nil {
			if l, err := integrity.ParseLeaf(f.Leaf); err == nil {
				if id == "" {
					id = l.ID.String()
				}
				f.Detail += fmt.Sprintf("; the first is of event %s (%s by %s, recorded %s)", l.ID, l.Type, l.Actor, l.RecordedAt.UTC().Format(time.RFC3339Nano))
			}
		}
		merged := false
		for i := range rep.Problems {
			if p := &rep.Problems[i]; p.Seq == f.Seq && p.EventID != "" && p.EventID == id {
				p.Detail += "; " + f.What + ": " + f.Detail
				merged = true
				break
			}
		}
		if !merged {
			rep.Problems = append(rep.Problems, integrity.Problem{Seq: f.Seq, EventID: id, What: f.What, Detail: f.Detail})
		}
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool {
		if rep.Problems[i].Seq != rep.Problems[j].Seq {
			return rep.Problems[i].Seq < rep.Problems[j].Seq
		}
		return rep.Problems[i].EventID != "" && rep.Problems[j].EventID == ""
	})
}

// anchored reads the stored checkpoint of size (the newest when 0),
// checks its signature, and reads every leaf it covers, checking the log
// still gives its root.
func anchored(ctx context.Context, st eventstore.Store, key *integrity.PublicKey, size uint64, visit func(eventstore.Record)) (integrity.Checkpoint, *integrity.Leaves, error) {
	cs, err := checkpointStore(st)
	if err != nil {
		return integrity.Checkpoint{}, nil, err
	}
	var stored eventstore.Checkpoint
	if size == 0 {
		if stored, err = cs.LatestCheckpoint(ctx); err != nil {
			return integrity.Checkpoint{}, nil, err
		}
	} else {
		cps, err := cs.ReadCheckpoints(ctx, size-1, 1)
		if err != nil {
			return integrity.Checkpoint{}, nil, err
		}
		if len(cps) == 0 || cps[0].Size != size {
			return integrity.Checkpoint{}, nil, fmt.Errorf("no stored checkpoint of %d events: %w", size, domain.ErrNotFound)
		}
		stored = cps[0]
	}
	chain, err := ReadKeyChain(ctx, st, key)
	if err != nil {
		return integrity.Checkpoint{}, nil, err
	}
	cp, err := chain.Open(stored.Size, stored.Note)
	if err != nil {
		return integrity.Checkpoint{}, nil, fmt.Errorf("stored checkpoint of %d events: %w", stored.Size, err)
	}
	leaves := &integrity.Leaves{}
	for r, err := range eventstore.All(ctx, st, 0) {
		if err != nil {
			return integrity.Checkpoint{}, nil, err
		}
		if r.Sequence >= cp.Size {
			break
		}
		if r.Sequence != leaves.Len() {
			return integrity.Checkpoint{}, nil, fmt.Errorf("the log has sequence %d where %d should be (run \"breachledger verify\"): %w", r.Sequence, leaves.Len(), integrity.ErrIntegrity)
		}
		leaves.Append(integrity.LeafOf(r).Hash())
		if visit != nil {
			visit(r)
		}
	}
	root, err := leaves.Root(cp.Size)
	if err != nil || !bytes.Equal(root, cp.Root) {
		return integrity.Checkpoint{}, nil, fmt.Errorf("the ledger does not give the root of its checkpoint of %d events (run \"breachledger verify\"): %w", cp.Size, integrity.ErrIntegrity)
	}
	return cp, leaves, nil
}

// ProveInclusion returns the inclusion proof of event id in the stored
// checkpoint of size events (the newest when 0).
func ProveInclusion(ctx context.Context, st eventstore.Store, key *integrity.PublicKey, id uuid.UUID, size uint64) (integrity.InclusionProof, error) {
	var target *eventstore.Record
	cp, leaves, err := anchored(ctx, st, key, size, func(r eventstore.Record) {
		if r.ID == id {
			rr := r
			target = &rr
		}
	})
	if err != nil {
		return integrity.InclusionProof{}, fmt.Errorf("prove inclusion of %s: %w", id, err)
	}
	if target == nil {
		return integrity.InclusionProof{}, fmt.Errorf("prove inclusion: %w", &domain.NotFoundError{What: "event", ID: id.String(), Hint: fmt.Sprintf("no such event among the %d the checkpoint covers", cp.Size)})
	}
	hashes, err := leaves.Inclusion(target.Sequence, cp.Size)
	if err != nil {
		return integrity.InclusionProof{}, err
	}
	if cp, err = Cosign(ctx, st, cp); err != nil {
		return integrity.InclusionProof{}, fmt.Errorf("prove inclusion of %s: %w", id, err)
	}
	return integrity.InclusionProof{Leaf: integrity.LeafOf(*target), Hashes: hashes, Checkpoint: cp.Note}, nil
}

// ProveConsistency returns the consistency proof from old to cur, two
// checkpoints signed by key (stored ones, or one kept elsewhere), after
// checking that the ledger gives both roots.
func ProveConsistency(ctx context.Context, st eventstore.Store, key *integrity.PublicKey, old, cur integrity.Checkpoint) (integrity.ConsistencyProof, error) {
	if old.Size > cur.Size {
		// A checkpoint never shrinks: a newest one smaller than the old
		// is a ledger truncated or rolled back; otherwise the arguments
		// were given the wrong way round.
		latest, err := StoredCheckpoint(ctx, st, key, 0)
		if err != nil {
			return integrity.ConsistencyProof{}, fmt.Errorf("prove consistency: the newest stored checkpoint: %w", err)
		}
		if latest.Size < old.Size {
			return integrity.ConsistencyProof{}, fmt.Errorf("prove consistency: the old checkpoint covers %d events, but the ledger's newest checkpoint only %d: the ledger was truncated or rolled back (run \"breachledger verify --against\"): %w", old.Size, latest.Size, integrity.ErrIntegrity)
		}
		return integrity.ConsistencyProof{}, fmt.Errorf("prove consistency: the old checkpoint (%d events) is larger than the new one (%d): %w", old.Size, cur.Size, domain.ErrInvalid)
	}
	_, leaves, err := anchored(ctx, st, key, cur.Size, nil)
	if err != nil {
		return integrity.ConsistencyProof{}, fmt.Errorf("prove consistency: %w", err)
	}
	root, err := leaves.Root(old.Size)
	if err != nil {
		return integrity.ConsistencyProof{}, err
	}
	if !bytes.Equal(root, old.Root) {
		return integrity.ConsistencyProof{}, fmt.Errorf("prove consistency: the ledger's first %d events do not give the old checkpoint's root: the ledger is not an extension of it: %w", old.Size, integrity.ErrIntegrity)
	}
	hashes, err := leaves.Consistency(old.Size, cur.Size)
	if err != nil {
		return integrity.ConsistencyProof{}, err
	}
	if cur, err = Cosign(ctx, st, cur); err != nil {
		return integrity.ConsistencyProof{}, fmt.Errorf("prove consistency: %w", err)
	}
	return integrity.ConsistencyProof{OldSize: old.Size, NewSize: cur.Size, Hashes: hashes, Old: old.Note, New: cur.Note}, nil
}

// StoredCheckpoint returns the stored checkpoint of size events (the newest
// when 0), opened with the key that signs it: key, or the key a hand-over
// from key that the ledger records names (KeyChain).
func StoredCheckpoint(ctx context.Context, st eventstore.Store, key *integrity.PublicKey, size uint64) (integrity.Checkpoint, error) {
	chain, err := ReadKeyChain(ctx, st, key)
	if err != nil {
		return integrity.Checkpoint{}, err
	}
	return storedCheckpoint(ctx, st, chain, size)
}

// storedCheckpoint is StoredCheckpoint with the key chain read.
func storedCheckpoint(ctx context.Context, st eventstore.Store, chain KeyChain, size uint64) (integrity.Checkpoint, error) {
	cs, err := checkpointStore(st)
	if err != nil {
		return integrity.Checkpoint{}, err
	}
	var stored eventstore.Checkpoint
	if size == 0 {
		stored, err = cs.LatestCheckpoint(ctx)
	} else {
		var cps []eventstore.Checkpoint
		cps, err = cs.ReadCheckpoints(ctx, size-1, 1)
		if err == nil && (len(cps) == 0 || cps[0].Size != size) {
			err = fmt.Errorf("no stored checkpoint of %d events: %w", size, domain.ErrNotFound)
		}
		if err == nil {
			stored = cps[0]
		}
	}
	if err != nil {
		return integrity.Checkpoint{}, err
	}
	return chain.Open(stored.Size, stored.Note)
}

// BundleSelection says which events an auditor's bundle holds. A bundle
// holds one contiguous range of sequences (integrity.Bundle), so a
// selection is turned into the smallest range that contains every event
// it selects: from the incident's first event to its last, from the first
// event recorded at or after From to the last recorded at or before To.
// The range may then hold other incidents' events too; the verifier checks
// the range, not how it was chosen. The zero selection is every event.
type BundleSelection struct {
	Incident string    // the incident's first to last event
	From, To time.Time // events recorded at or after From, at or before To
}

// Empty reports whether s selects every event.
func (s BundleSelection) Empty() bool { return s.Incident == "" && s.From.IsZero() && s.To.IsZero() }

func (s BundleSelection) matches(r eventstore.Record) bool {
	switch {
	case s.Incident != "" && r.Stream != domain.IncidentStream(s.Incident):
		return false
	case !s.From.IsZero() && r.RecordedAt.Before(s.From):
		return false
	case !s.To.IsZero() && r.RecordedAt.After(s.To):
		return false
	}
	return true
}

// ExportBundle makes an auditor's bundle of the ledger as of its newest
// checkpoint: the range of sequences sel selects (every event when it is
// empty), each event with its inclusion proof, and the ledger stream's
// events before the range as context. The first checkpoint that covered
// each event of the range is included with its consistency proof to the
// newest, and so is each checkpoint of against (kept by an auditor, after
// checking the ledger gives its root), so that the bundle verifies against
// it offline.
func ExportBundle(ctx context.Context, st eventstore.Store, key *integrity.PublicKey, sel BundleSelection, against []integrity.Checkpoint) (*integrity.Bundle, error) {
	// Kept in memory: the ledger stream before the range (its context),
	// and the log from the range's first event on, cut at its last.
	var context, recs []eventstore.Record
	last, found := uint64(0), false
	cp, leaves, err := anchored(ctx, st, key, 0, func(r eventstore.Record) {
		if sel.Empty() || sel.matches(r) {
			last, found = r.Sequence, true
		}
		switch {
		case found:
			recs = append(recs, r)
		case r.Stream == domain.LedgerStream:
			context = append(context, r)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("export bundle: %w", err)
	}
	if !found {
		if sel.Incident != "" {
			return nil, &domain.NotFoundError{What: "incident", ID: sel.Incident, Hint: `list incidents with "breachledger list" (only events covered by the newest checkpoint are exported)`}
		}
		return nil, fmt.Errorf("export bundle: no event among the %d the newest checkpoint covers was recorded in the window asked for: %w", cp.Size, domain.ErrNotFound)
	}
	recs = recs[:last-recs[0].Sequence+1]
	var earlier []integrity.Checkpoint
	for _, k := range against {
		if k.Size > cp.Size {
			return nil, fmt.Errorf("export bundle: the kept checkpoint covers %d events, the ledger's newest checkpoint only %d: the ledger was truncated or rolled back (run \"breachledger verify --against\"): %w", k.Size, cp.Size, integrity.ErrIntegrity)
		}
		if root, err := leaves.Root(k.Size); err != nil || !bytes.Equal(root, k.Root) {
			return nil, fmt.Errorf("export bundle: the ledger's first %d events do not give the kept checkpoint's root: the ledger is not an extension of it (run \"breachledger verify --against\"): %w", k.Size, integrity.ErrIntegrity)
		}
		earlier = append(earlier, k)
	}
	chain, err := ReadKeyChain(ctx, st, key)
	if err != nil {
		return nil, fmt.Errorf("export bundle: %w", err)
	}
	if chain.Notary() && chain.KeyAt(cp.Size).String() != key.String() {
		// A bundle is checked with one key (integrity.VerifyBundle).
		return nil, fmt.Errorf("export bundle: the ledger's newest checkpoint is signed by its notary's key %s, a hand-over from %s: export with --key set to the notary's public key", chain.KeyAt(cp.Size).Fingerprint(), key.Fingerprint())
	}
	cs, _ := checkpointStore(st)
	i := 0
	for sc, err := range eventstore.Checkpoints(ctx, cs, 0) {
		if err != nil {
			return nil, fmt.Errorf("export bundle: %w", err)
		}
		if sc.Size >= cp.Size || i >= len(recs) {
			break
		}
		if recs[i].Sequence >= sc.Size {
			continue
		}
		c, err := chain.Open(sc.Size, sc.Note)
		if err != nil {
			return nil, fmt.Errorf("export bundle: stored checkpoint of %d events: %w", sc.Size, err)
		}
		if chain.KeyAt(sc.Size).String() != key.String() {
			continue // signed before the hand-over: the bundle's key does not open it
		}
		earlier = append(earlier, c)
		for i < len(recs) && recs[i].Sequence < sc.Size {
			i++
		}
	}
	if cp, err = Cosign(ctx, st, cp); err != nil {
		return nil, fmt.Errorf("export bundle: %w", err)
	}
	return integrity.BuildBundle(cp, key, leaves, recs, context, earlier)
}

// VerifyBundle checks a bundle with the ledger's public key alone
// (integrity.VerifyBundle, judging actor signatures with the bundle's
// ledger stream) and against the checkpoints an auditor kept, and returns
// its events as a history to replay.
func VerifyBundle(b *integrity.Bundle, key *integrity.PublicKey, against []integrity.Checkpoint) (*integrity.Report, *history.History, error) {
	policy := NewSignaturePolicy()
	rep, recs, err := integrity.VerifyBundle(b, key, policy, against)
	if err != nil {
		return nil, nil, err
	}
	_ = policy.report(rep, func(stream string) ([]eventstore.Record, error) {
		var of []eventstore.Record
		for _, r := range recs {
			if r.Stream == stream {
				of = append(of, r)
			}
		}
		return of, nil
	})
	h := history.New()
	for _, r := range recs {
		if r.Stream == domain.LedgerStream && r.Revision == 0 {
			if origin, err := originOf(r); err == nil && origin != key.Origin() {
				rep.Problems = append([]integrity.Problem{{Seq: r.Sequence, EventID: r.ID.String(), What: "origin", Detail: fmt.Sprintf("the key is for ledger %q, the bundle's ledger is %q", key.Origin(), origin)}}, rep.Problems...)
			}
		}
		f, err := history.FactOf(r)
		if err != nil {
			rep.Problems = append(rep.Problems, integrity.Problem{Seq: r.Sequence, EventID: r.ID.String(), What: "payload", Detail: err.Error()})
			continue
		}
		h.Add(f)
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Seq < rep.Problems[j].Seq })
	return rep, h, nil
}

// SignerKeys returns the registered keys as of now.
func SignerKeys(ctx context.Context, st eventstore.Store) ([]domain.SignerKey, []string, error) {
	facts, err := ReadStream(ctx, st, domain.LedgerStream)
	if err != nil {
		return nil, nil, err
	}
	l := domain.ReplayLedger(facts, domain.Cut{})
	return l.Signers.Keys(), slices.Clone(l.Signers.Required()), nil
}

// SignerKeysAt returns the keys registered, and not revoked, before the
// event at sequence seq: the signer registry its signature is judged with.
func SignerKeysAt(ctx context.Context, st eventstore.Store, seq uint64) ([]domain.SignerKey, error) {
	facts, err := ReadStream(ctx, st, domain.LedgerStream)
	if err != nil {
		return nil, err
	}
	before := facts[:0:0]
	for _, f := range facts {
		if f.Sequence < seq {
			before = append(before, f)
		}
	}
	l := domain.ReplayLedger(before, domain.Cut{})
	var out []domain.SignerKey
	for _, k := range l.Signers.Keys() {
		if k.Revoked == nil {
			out = append(out, k)
		}
	}
	return out, nil
}
