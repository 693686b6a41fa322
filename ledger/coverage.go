package ledger

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
)

// Coverage: what of the log counts. A reader applies only records covered
// by a checkpoint signed with the ledger key, and never a record the
// ledger-key holder rejected (domain.ForeignEventRejected). On a store
// that checkpoints every append in the append's own transaction
// (eventstore.CheckpointAppender: SQLite), a record no checkpoint covers
// cannot have come from breachledger: it is foreign, and reading stops
// with ErrForeign naming it, so that a row inserted into the file can
// neither add a fact nor silence an alarm. On a store that checkpoints
// after the append (EventStoreDB), the newest records may still be
// waiting for their writer's checkpoint: readers leave them out until
// they are covered.

// ErrForeign: the log holds records no checkpoint covers on a ledger
// where every append is checkpointed in its own transaction.
var ErrForeign = fmt.Errorf("records written around breachledger: %w", integrity.ErrIntegrity)

// ForeignError names the uncovered records of an inline-checkpointed log.
type ForeignError struct {
	From  uint64              // the first uncovered sequence
	Count uint64              // how many records are uncovered
	First []eventstore.Record // the first few of them
}

func (e *ForeignError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d record(s) from sequence %d on are covered by no checkpoint", e.Count, e.From)
	for i, r := range e.First {
		sep := "; "
		if i == 0 {
			sep = " ("
		}
		fmt.Fprintf(&b, "%ssequence %d: event %s, %q in %q by %q, recorded %s", sep, r.Sequence, r.ID, r.Type, r.Stream, r.Actor, r.RecordedAt.Format(time.RFC3339Nano))
	}
	if len(e.First) > 0 {
		if uint64(len(e.First)) < e.Count {
			b.WriteString("; ...")
		}
		b.WriteString(")")
	}
	b.WriteString(": on this ledger every append is checkpointed in its own transaction, so they were written around breachledger, and nothing counts them. ")
	b.WriteString("The holder of the ledger key rejects them with \"breachledger checkpoint")
	for s := e.From; s < e.From+e.Count && s < e.From+5; s++ {
		fmt.Fprintf(&b, " --reject %d", s)
	}
	if e.Count > 5 {
		b.WriteString(" ...")
	}
	b.WriteString(" --reason ...\" (a tail an older breachledger left without its checkpoint is accepted, once, with \"breachledger checkpoint --accept-legacy-tail --reason ...\")")
	return b.String()
}

func (e *ForeignError) Unwrap() error { return ErrForeign }

// foreignError reads the first few records from seq on for a ForeignError.
func foreignError(ctx context.Context, st eventstore.Store, from, head uint64) error {
	recs, err := st.ReadAll(ctx, from, 3)
	if err != nil {
		return fmt.Errorf("read uncovered records: %w", err)
	}
	return &ForeignError{From: from, Count: head - from, First: recs}
}

// Inline reports whether st checkpoints every append in the append's own
// transaction, so that an uncovered record is foreign.
func Inline(st eventstore.Store) bool {
	_, ok := st.(eventstore.CheckpointAppender)
	return ok
}

// Coverage is the part of a log that counts.
type Coverage struct {
	Size     uint64            // records covered by the newest checkpoint
	Rejected map[uint64]string // rejected sequences: the ID of the rejecting event
	// Notary: the ledger has a notary (its hand-over opens with the key
	// the reader trusts): the records after Size are Pending, waiting for
	// the notary's checkpoint, the oldest recorded at OldestPending.
	Notary        bool
	Pending       uint64
	OldestPending time.Time

	head uint64 // the log's length when read
}

// Counts reports whether the record at seq counts.
func (c Coverage) Counts(seq uint64) bool {
	_, rejected := c.Rejected[seq]
	return seq < c.Size && !rejected
}

// CoverageOf reads the coverage of the log in st: the newest stored
// checkpoint, whose signature it checks with key, and the rejections the
// ledger stream records below it. On an inline store (Inline) a record
// after the newest checkpoint is ErrForeign; on any store a log shorter
// than its checkpoint is an integrity failure.
func CoverageOf(ctx context.Context, st eventstore.Store, key *integrity.PublicKey) (Coverage, error) {
	return coverageAfter(ctx, st, key, nil)
}

// coverageAfter is CoverageOf for a reader that read prev before (nil:
// none): while the newest checkpoint is the same size, its signature and
// the rejections below it are prev's, and only the head is read again.
func coverageAfter(ctx context.Context, st eventstore.Store, key *integrity.PublicKey, prev *Coverage) (Coverage, error) {
	size, err := newestSize(ctx, st)
	if err != nil {
		return Coverage{}, err
	}
	head, err := st.Head(ctx)
	if err != nil {
		return Coverage{}, fmt.Errorf("read the log's head: %w", err)
	}
	if prev != nil && prev.Size == size && (prev.head == head || prev.Notary) {
		// The same checkpoint: the same rejections below it, and a notary
		// once appointed stays; only what waits past it may have grown.
		cov := *prev
		cov.head = head
		err := cov.pendingFrom(ctx, st)
		return cov, err
	}
	// The ledger stream says whether a notary checkpoints the log (and
	// with which key), and which records were rejected.
	ledgerRecs, err := readRecords(ctx, st, domain.LedgerStream)
	if err != nil {
		return Coverage{}, err
	}
	chain := keyChainOf(key, appointmentsIn(ledgerRecs))
	cov := Coverage{Size: size, head: head, Notary: chain.Notary()}
	if size > 0 {
		cp, err := storedCheckpoint(ctx, st, chain, 0)
		if err != nil {
			return Coverage{}, fmt.Errorf("the newest stored checkpoint (%d events) does not open with the ledger's key (run \"breachledger verify\"): %w", size, err)
		}
		if cov.Size = cp.Size; cov.Size != size {
			return Coverage{}, fmt.Errorf("the newest stored checkpoint is filed as %d events but signs %d (run \"breachledger verify\"): %w", size, cp.Size, integrity.ErrIntegrity)
		}
		if cov.Rejected, err = rejectedIn(ledgerRecs, size); err != nil {
			return Coverage{}, err
		}
	}
	err = cov.pendingFrom(ctx, st)
	return cov, err
}

// pendingFrom sets what of the log in st (of c.head records) waits past
// c.Size: on an inline ledger with no notary nothing may (a record there
// is foreign: ErrForeign), elsewhere it is pending.
func (c *Coverage) pendingFrom(ctx context.Context, st eventstore.Store) error {
	c.Pending, c.OldestPending = 0, time.Time{}
	switch {
	case c.head < c.Size:
		return fmt.Errorf("the log has %d records, fewer than the %d its newest checkpoint covers: history was removed (run \"breachledger verify\"): %w", c.head, c.Size, integrity.ErrIntegrity)
	case c.head > c.Size && Inline(st) && !c.Notary:
		return foreignError(ctx, st, c.Size, c.head)
	case c.head > c.Size:
		oldest, err := st.ReadAll(ctx, c.Size, 1)
		if err != nil {
			return fmt.Errorf("read the oldest record not yet checkpointed: %w", err)
		}
		c.Pending = c.head - c.Size
		if len(oldest) == 1 {
			c.OldestPending = oldest[0].RecordedAt
		}
	}
	return nil
}

// newestSize returns the size of the newest stored checkpoint (0 when
// none), unchecked: writers check it when they extend it, readers with
// StoredCheckpoint.
func newestSize(ctx context.Context, st eventstore.Store) (uint64, error) {
	cs, err := checkpointStore(st)
	if err != nil {
		return 0, err
	}
	latest, err := cs.LatestCheckpoint(ctx)
	switch {
	case errors.Is(err, eventstore.ErrNoCheckpoint):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("read the newest checkpoint: %w", err)
	}
	return latest.Size, nil
}

// rejectedIn returns the sequences rejected by the ledger-stream records
// recs below size. A rejection only ever names an earlier record, and one
// that is itself rejected (a forged rejection a notary refused) rejects
// nothing: so the rejections are read from the newest back.
func rejectedIn(recs []eventstore.Record, size uint64) (map[uint64]string, error) {
	var out map[uint64]string
	bySeq := make(map[uint64]eventstore.Record, len(recs))
	for _, r := range recs {
		bySeq[r.Sequence] = r
	}
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		if r.Sequence >= size || r.Type != "ForeignEventRejected" {
			continue
		}
		if _, rejected := out[r.Sequence]; rejected {
			continue
		}
		e, err := domain.Decode(r.Type, r.Payload)
		if err != nil {
			return nil, fmt.Errorf("read rejection %s: %w", r.ID, err)
		}
		rej := e.(domain.ForeignEventRejected)
		if rej.Seq >= r.Sequence {
			continue // names no earlier record: verify reports it
		}
		if target, ok := bySeq[rej.Seq]; ok && (target.ID.String() != rej.EventID || LeafHash(target) != rej.LeafSHA256) {
			continue // names another ledger record than the log's: verify reports it
		}
		if out == nil {
			out = map[uint64]string{}
		}
		out[rej.Seq] = r.ID.String() // read from the newest back: the first rejection wins
	}
	return out, nil
}

// counting returns the records of recs that count under cov (a new slice).
func counting(recs []eventstore.Record, cov Coverage) []eventstore.Record {
	out := make([]eventstore.Record, 0, len(recs))
	for _, r := range recs {
		if cov.Counts(r.Sequence) {
			out = append(out, r)
		}
	}
	return out
}

// View is a read-only eventstore.Store over the part of a log that counts
// (Coverage): records past the newest checkpoint and rejected records are
// not there. A read of the log that reaches the end of what the view knows
// (ReadAll, Head, Follow) reads the coverage again, so a long-running
// reader sees new checkpoints and meets ErrForeign as soon as a foreign
// record appears; a stream read answers from the coverage as last read
// (never more than it covers).
type View struct {
	st  eventstore.Store
	key *integrity.PublicKey

	mu  sync.Mutex
	cov *Coverage // as last read; nil before the first read
}

// ErrReadOnlyView: a View was asked to append.
var ErrReadOnlyView = errors.New("this view of the ledger is read-only")

// NewView returns the view of st that counts, checking checkpoints with
// key. It fails as CoverageOf does.
func NewView(ctx context.Context, st eventstore.Store, key *integrity.PublicKey) (*View, error) {
	v := &View{st: st, key: key}
	if _, err := v.refresh(ctx); err != nil {
		return nil, err
	}
	return v, nil
}

var (
	_ eventstore.Store           = (*View)(nil)
	_ eventstore.CheckpointStore = (*View)(nil)
)

// Coverage returns the coverage as last read.
func (v *View) Coverage() Coverage {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cov == nil {
		return Coverage{}
	}
	return *v.cov
}

func (v *View) refresh(ctx context.Context) (Coverage, error) {
	v.mu.Lock()
	prev := v.cov
	v.mu.Unlock()
	cov, err := coverageAfter(ctx, v.st, v.key, prev)
	if err != nil {
		return Coverage{}, err
	}
	v.mu.Lock()
	v.cov = &cov
	v.mu.Unlock()
	return cov, nil
}

// Append refuses: readers never write through a View.
func (v *View) Append(context.Context, string, eventstore.Expected, []eventstore.Record) ([]eventstore.Record, error) {
	return nil, ErrReadOnlyView
}

// ReadStream returns the records of stream that count.
func (v *View) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Record, error) {
	cov := v.Coverage()
	limit := opts.Limit
	opts.Limit = 0
	recs, err := v.st.ReadStream(ctx, stream, opts)
	if err != nil {
		return nil, err
	}
	out := recs[:0]
	for _, r := range recs {
		if cov.Counts(r.Sequence) {
			out = append(out, r)
		}
		if limit > 0 && len(out) == limit {
			break
		}
	}
	if len(out) == 0 && len(recs) > 0 && !opts.Backwards && opts.From == 0 {
		return nil, fmt.Errorf("read %s: %w", stream, eventstore.ErrNotFound)
	}
	return out, nil
}

// ReadAll returns at most limit records that count from sequence from on.
func (v *View) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	cov := v.Coverage()
	if limit <= 0 || from+uint64(limit) > cov.Size {
		var err error
		if cov, err = v.refresh(ctx); err != nil {
			return nil, err
		}
	}
	var out []eventstore.Record
	for from < cov.Size && (limit <= 0 || len(out) < limit) {
		n := int(min(cov.Size-from, eventstore.DefaultPageSize))
		if limit > 0 {
			n = min(n, limit-len(out))
		}
		page, err := v.st.ReadAll(ctx, from, n)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return nil, fmt.Errorf("the log ends at sequence %d, inside its checkpoint of %d records (run \"breachledger verify\"): %w", from, cov.Size, integrity.ErrIntegrity)
		}
		for _, r := range page {
			if r.Sequence >= cov.Size {
				break
			}
			if cov.Counts(r.Sequence) {
				out = append(out, r)
			}
		}
		from = page[len(page)-1].Sequence + 1
	}
	return out, nil
}

// Head returns the number of records the newest checkpoint covers.
func (v *View) Head(ctx context.Context) (uint64, error) {
	cov, err := v.refresh(ctx)
	return cov.Size, err
}

// Follow yields the records that count from sequence from on, waiting for
// each to be covered.
func (v *View) Follow(ctx context.Context, from uint64) iter.Seq2[eventstore.Record, error] {
	return func(yield func(eventstore.Record, error) bool) {
		for r, err := range v.st.Follow(ctx, from) {
			if err != nil {
				yield(eventstore.Record{}, err)
				return
			}
			cov := v.Coverage()
			for r.Sequence >= cov.Size {
				if cov, err = v.refresh(ctx); err != nil {
					yield(eventstore.Record{}, err)
					return
				}
				if r.Sequence < cov.Size {
					break
				}
				select {
				case <-ctx.Done():
					yield(eventstore.Record{}, ctx.Err())
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
			if cov.Counts(r.Sequence) && !yield(r, nil) {
				return
			}
		}
	}
}

// Close closes the store under the view.
func (v *View) Close() error { return v.st.Close() }

// SaveCheckpoint refuses: readers never write through a View.
func (v *View) SaveCheckpoint(context.Context, eventstore.Checkpoint) (eventstore.Checkpoint, error) {
	return eventstore.Checkpoint{}, ErrReadOnlyView
}

// LatestCheckpoint returns the store's newest checkpoint.
func (v *View) LatestCheckpoint(ctx context.Context) (eventstore.Checkpoint, error) {
	cs, err := checkpointStore(v.st)
	if err != nil {
		return eventstore.Checkpoint{}, err
	}
	return cs.LatestCheckpoint(ctx)
}

// ReadCheckpoints returns the store's checkpoints, as
// eventstore.CheckpointStore documents.
func (v *View) ReadCheckpoints(ctx context.Context, after uint64, limit int) ([]eventstore.Checkpoint, error) {
	cs, err := checkpointStore(v.st)
	if err != nil {
		return nil, err
	}
	return cs.ReadCheckpoints(ctx, after, limit)
}
