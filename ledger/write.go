package ledger

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
)

// ErrConflictPersisted: other writers kept changing the stream and the
// command still conflicted after every retry.
var ErrConflictPersisted = errors.New("conflict persisted after retries")

// Result is what a command appended.
type Result struct {
	Incident string              // the incident the command was about ("" for ledger commands)
	Records  []eventstore.Record // as stored
	Events   []domain.Event      // the events, in order
	Attempts int                 // 1 unless conflicts were retried
	// Checkpoint is the signed checkpoint stored with Records in the
	// append's own atomic step (Writer.Checkpointer set, on a store that
	// is an eventstore.CheckpointAppender); nil when the caller still has
	// to checkpoint them (Checkpointer.Checkpoint).
	Checkpoint *eventstore.Checkpoint
	// Ledger is the ledger state the command was decided on, and
	// Facts the incident's facts through this append (nil for ledger
	// commands): what the writer knew when it wrote, for printing the
	// next deadline without reading the streams again.
	Ledger domain.Ledger
	Facts  []domain.Fact
}

// Writer runs commands against a store.
type Writer struct {
	Store eventstore.Store
	// MaxAttempts bounds the retries on conflict (default 64).
	MaxAttempts int
	// Sign, when set, signs the content envelope of every event of a
	// command whose By.Signer names a key (the fingerprint of the key Sign
	// signs with), before the first append attempt; a retry whose events
	// are unchanged reuses the signatures (integrity.go).
	Sign func(envelope []byte) ([]byte, error)
	// Checkpointer, when set, signs the checkpoint covering each append
	// in the append's own transaction on a store that can
	// (eventstore.CheckpointAppender: one commit, one fsync), and leaves
	// it to the caller on a store that cannot (Result.Checkpoint is then
	// nil). If it refuses to sign inside the transaction (the tail guard,
	// an altered checkpoint), the records are appended without it, and the
	// caller's Checkpointer.Checkpoint reports why. Its Store is ignored:
	// the writer's is used.
	Checkpointer *Checkpointer
	// Judge, when set, judges the records past the newest checkpoint that
	// a write on a ledger not checkpointed inline is decided on (the
	// notary's, or one on EventStoreDB): pending are those of the ledger
	// stream and the incident's, in sequence order, and covered the
	// records of the same streams the newest checkpoint covers, with
	// counts telling which of them count. It returns the sequences of the
	// pending appends the rules refuse, which the decision leaves out, as
	// the notary will: a forged record waiting for the notary then neither
	// blocks an honest write nor makes the notary reject it (decided on
	// it, the write would not be what the rules decide on the state the
	// notary judges it on). Package notary's PendingJudge gives one. Unset,
	// every pending record not rejected counts.
	Judge func(covered, pending []eventstore.Record, counts func(seq uint64) bool) map[uint64]bool
	// Seal, when set, seals the personal fields of each record of an
	// incident's stream once its payload is final and its ID chosen, before
	// it is signed (seal.go: SealRecord); l is the ledger state decided
	// on (its settings say whether sealing is on). A retry whose payload
	// is unchanged reuses the sealed payload, so its bytes and signature
	// are those of the first attempt.
	Seal func(ctx context.Context, l domain.Ledger, incident string, r *eventstore.Record) error
	// BeforeAppend, when set, runs before each append attempt with the
	// records as they will be stored; an error stops the command with
	// nothing appended. A shred records there its intent to destroy keys
	// (keystore.Store.MarkPending) under the DataShredded's event ID.
	BeforeAppend func(ctx context.Context, recs []eventstore.Record) error
}

// Execute runs the write path for one command: load the ledger stream and
// the incident's stream, let the domain decide at now, and append the
// events only if neither writer nor stream changed in between. On a
// conflict it reloads and decides again, so a command that is still valid
// lands and one that no longer is gets its refusal. Event IDs are chosen
// once, before the first attempt, so a retry after an unknown outcome is
// idempotent.
//
// ctx stops the loading, deciding and waiting between attempts: cancelled
// there, Execute returns ctx's error and nothing was appended. It does not
// stop an append attempt once begun: that attempt (with its checkpoint, on
// a store that stores both at once) runs to its end, so a cancellation
// never leaves an append half done or its outcome unknown. A cancelled ctx
// with a nil error therefore means the append landed.
func (w Writer) Execute(ctx context.Context, incident string, c domain.Command, now time.Time) (Result, error) {
	attempts := w.MaxAttempts
	if attempts <= 0 {
		attempts = 64
	}
	stream := domain.LedgerStream
	if incident != "" {
		stream = domain.IncidentStream(incident)
	}
	var ids []uuid.UUID
	var lastConflict error
	signatures := map[string][]byte{} // by content envelope, across attempts
	sealed := map[string][]byte{}     // by event ID and plaintext payload, across attempts
	for attempt := 1; attempt <= attempts; attempt++ {
		state, facts, basis, length, err := w.load(ctx, incident)
		if err != nil {
			return Result{}, err
		}
		events, err := domain.Decide(state, c, now)
		if err != nil {
			return Result{}, err
		}
		recs := make([]eventstore.Record, len(events))
		for i, e := range events {
			for len(ids) <= i {
				id, err := uuid.NewV7()
				if err != nil {
					return Result{}, fmt.Errorf("new event ID: %w", err)
				}
				ids = append(ids, id)
			}
			typ, payload, err := domain.Encode(e)
			if err != nil {
				return Result{}, err
			}
			by := domain.Origin(c)
			recs[i] = eventstore.Record{ID: ids[i], Stream: stream, Type: typ, OccurredAt: by.At.UTC(), Actor: by.Actor, Signer: by.Signer, Payload: payload, Basis: basis}
			if err := w.seal(ctx, state.Ledger, incident, &recs[i], sealed); err != nil {
				return Result{}, err
			}
			if err := w.sign(&recs[i], signatures); err != nil {
				return Result{}, err
			}
		}
		// The append is the point of no return: a cancellation before it
		// stops the command with nothing appended; once it has begun it is
		// never cut short (a cancelled context could interrupt the commit
		// and leave its outcome unknown), so it is finished, checkpoint
		// included, and the caller learns what was recorded.
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if w.BeforeAppend != nil {
			if err := w.BeforeAppend(ctx, recs); err != nil {
				return Result{}, err
			}
		}
		// A write to another stream than the ledger's is decided on the
		// ledger stream too (roles, signers): it lands only if that is
		// still as read, on a store that can check both at once.
		var cond *eventstore.Condition
		if stream != domain.LedgerStream {
			cond = &eventstore.Condition{Stream: domain.LedgerStream, Expected: eventstore.After(basis)}
		}
		stored, cp, err := w.append(context.WithoutCancel(ctx), stream, eventstore.After(length), recs, cond)
		if errors.Is(err, eventstore.ErrConflict) {
			lastConflict = err
			if err := backoff(ctx, attempt); err != nil {
				return Result{}, err
			}
			continue
		}
		if err != nil {
			return Result{}, err // the store names the stream
		}
		res := Result{Incident: incident, Records: stored, Events: events, Attempts: attempt, Checkpoint: cp, Ledger: state.Ledger}
		if incident != "" {
			opened, err := openRecords(ctx, stored) // seal.go
			if err != nil {
				return Result{}, err
			}
			written, err := history.FactsOf(opened)
			if err != nil {
				return Result{}, err
			}
			res.Facts = append(facts, written...)
		}
		return res, nil
	}
	return Result{}, fmt.Errorf("%w (%d attempts): %w", ErrConflictPersisted, attempts, lastConflict)
}

// append appends recs to stream and, when w.Checkpointer is set and the
// store can, stores their signed checkpoint in the same atomic step. With
// cond, on a store that can check it in the same step
// (eventstore.ConditionalAppender), nothing is appended unless it holds
// (a *eventstore.ConflictError for cond.Stream); a store that cannot
// appends without it, and readers judge the records by their Basis.
func (w Writer) append(ctx context.Context, stream string, expected eventstore.Expected, recs []eventstore.Record, cond *eventstore.Condition) ([]eventstore.Record, *eventstore.Checkpoint, error) {
	if w.Checkpointer == nil {
		if ca, ok := w.Store.(eventstore.ConditionalAppender); ok && cond != nil {
			stored, err := ca.AppendIf(ctx, stream, expected, recs, *cond)
			return stored, nil, err
		}
		stored, err := w.Store.Append(ctx, stream, expected, recs)
		return stored, nil, err
	}
	c := *w.Checkpointer
	c.Store = w.Store
	return c.appendIf(ctx, stream, expected, recs, cond)
}

// seal seals r's personal fields with w.Seal, reusing what an earlier
// attempt sealed from the same payload.
func (w Writer) seal(ctx context.Context, l domain.Ledger, incident string, r *eventstore.Record, made map[string][]byte) error {
	if w.Seal == nil || incident == "" {
		return nil
	}
	key := r.ID.String() + "\x00" + string(r.Payload)
	if p, ok := made[key]; ok {
		r.Payload = p
		return nil
	}
	if err := w.Seal(ctx, l, incident, r); err != nil {
		return err
	}
	made[key] = r.Payload
	return nil
}

// backoff sleeps a random, growing while before attempt+1.
func backoff(ctx context.Context, attempt int) error {
	limit := time.Duration(min(1<<min(attempt, 8), 200)) * time.Millisecond
	t := time.NewTimer(time.Duration(rand.Int64N(int64(limit))) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// judgePending leaves out of cov the pending records (past the newest
// checkpoint) of recs that w.Judge finds the rules refuse.
func (w Writer) judgePending(ctx context.Context, cov *Coverage, recs ...[]eventstore.Record) error {
	size, err := newestSize(ctx, w.Store)
	if err != nil {
		return err
	}
	var covered, pending []eventstore.Record
	for _, rs := range recs {
		for _, r := range rs {
			switch {
			case r.Sequence < size:
				covered = append(covered, r)
			case cov.Counts(r.Sequence):
				pending = append(pending, r)
			}
		}
	}
	if len(pending) == 0 {
		return nil
	}
	bySeq := func(a, b eventstore.Record) int { return cmp.Compare(a.Sequence, b.Sequence) }
	slices.SortFunc(covered, bySeq)
	slices.SortFunc(pending, bySeq)
	rejectedBelow := cov.Rejected
	refused := w.Judge(covered, pending, func(seq uint64) bool { _, no := rejectedBelow[seq]; return !no })
	if len(refused) == 0 {
		return nil
	}
	all := make(map[uint64]string, len(cov.Rejected)+len(refused))
	for seq, id := range cov.Rejected {
		all[seq] = id
	}
	for seq := range refused {
		all[seq] = "" // refused by the rules, not rejected yet
	}
	cov.Rejected = all
	return nil
}

// load reads the state a command is decided on: the ledger stream and
// the incident's stream, without the records that do not count (rejected
// ones, on an Inline store those no checkpoint covers: they are foreign,
// and the append's checkpoint will refuse them, and those that lost a
// revocation race). basis is the ledger stream's stored length and length
// the written stream's, every record included: the append's Basis and
// expected revisions.
func (w Writer) load(ctx context.Context, incident string) (state domain.State, facts []domain.Fact, basis, length uint64, err error) {
	var incidentRecs []eventstore.Record
	if incident != "" {
		// The incident's stream first: a revocation that precedes any of
		// its records is then in the ledger stream read after it.
		if incidentRecs, err = readRecords(ctx, w.Store, domain.IncidentStream(incident)); err != nil {
			return domain.State{}, nil, 0, 0, err
		}
	}
	ledgerRecs, err := readRecords(ctx, w.Store, domain.LedgerStream)
	if err != nil {
		return domain.State{}, nil, 0, 0, err
	}
	basis, length = uint64(len(ledgerRecs)), uint64(len(ledgerRecs))
	if incident != "" {
		length = uint64(len(incidentRecs))
	}
	// Read after the streams: checkpoints only grow, so every record
	// another writer appended before the streams were read is covered.
	// A ledger with no checkpoint yet (one being initialised, or made
	// before checkpoints existed) has nothing covered: all of it counts
	// here, and its first checkpoint decides.
	// On a ledger with a notary, the records past the newest checkpoint
	// are waiting for it, not foreign: a writer decides on them too (the
	// notary decides again, and rejects what the rules refuse).
	cov := Coverage{Size: ^uint64(0)}
	if Inline(w.Store) && !appointedIn(ctx, w.Store, ledgerRecs) {
		size, err := newestSize(ctx, w.Store)
		if err != nil {
			return domain.State{}, nil, 0, 0, err
		}
		if size > 0 {
			cov.Size = size
		}
	}
	if cov.Rejected, err = rejectedIn(ledgerRecs, cov.Size); err != nil {
		return domain.State{}, nil, 0, 0, err
	}
	if cov.Size == ^uint64(0) && w.Judge != nil {
		if err := w.judgePending(ctx, &cov, ledgerRecs, incidentRecs); err != nil {
			return domain.State{}, nil, 0, 0, err
		}
	}
	ledgerFacts, err := history.FactsOf(counting(ledgerRecs, cov))
	if err != nil {
		return domain.State{}, nil, 0, 0, err
	}
	state.Ledger = domain.ReplayLedger(ledgerFacts, domain.Cut{})
	if incident != "" {
		if incidentRecs, err = openRecords(ctx, incidentRecs); err != nil { // seal.go: the domain decides on plaintext
			return domain.State{}, nil, 0, 0, err
		}
		if facts, err = history.FactsOf(counting(incidentRecs, cov)); err != nil {
			return domain.State{}, nil, 0, 0, err
		}
		facts, _ = history.RacesOf(ledgerFacts).Counting(facts)
		state.Incident = history.IncidentAt(incident, facts, domain.Cut{})
	}
	return state, facts, basis, length, nil
}
