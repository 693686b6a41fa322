package esdb

import (
	"context"
	"errors"
	"fmt"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/breachledger/breachledger/eventstore"
)

// MaxAppendSize is the server's default cap on one append, in bytes of
// data, custom metadata and type (the type at two bytes a UTF-16 code unit
// since server 24.10.4): Import splits its appends to stay under it,
// counting each event as the newest servers do (size).
const MaxAppendSize = 1 << 20

// Import appends records copied from another ledger, keeping their event
// IDs, sequences, revisions and recorded times, as eventstore.Importer
// documents. The records go to the server as one append per run of
// consecutive records of one stream (split to stay under MaxAppendSize), in
// sequence order, so $all gets them in that order and their ranks are their
// sequences as long as nobody else appends to the ledger meanwhile; Import
// checks that at the end. Each append is atomic; a failure between two
// leaves a prefix of recs in the ledger, which Head reports. Events
// imported are marked as migrated in their envelope: their recorded time is
// the source's, not the moment the server got them.
func (s *Store) Import(ctx context.Context, recs []eventstore.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := eventstore.ValidateImport(recs); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := checkTypes(recs); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if len(recs) == 0 {
		return nil
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer done()

	events := make([]esclient.EventData, len(recs))
	for i, r := range recs {
		if events[i], err = eventData(r, r.RecordedAt, true); err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
	if err := s.retry(ctx, func(c *conn) error { return s.catchUp(ctx, c) }); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if head := s.idx.len(); recs[0].Sequence != head {
		return fmt.Errorf("import at sequence %d: the ledger's next sequence is %d: %w", recs[0].Sequence, head, eventstore.ErrSequence)
	}
	for _, r := range recs {
		_, _, ok, err := s.idx.lookup(r.ID)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if ok {
			return fmt.Errorf("import: event %s: %w", r.ID, eventstore.ErrDuplicateEvent)
		}
	}
	for start := 0; start < len(recs); {
		end, total := start, 0
		for end < len(recs) && recs[end].Stream == recs[start].Stream && (end == start || total+size(events[end]) <= MaxAppendSize) {
			total += size(events[end])
			end++
		}
		stream := recs[start].Stream
		expected := eventstore.After(recs[start].Revision)
		err := s.retry(ctx, func(c *conn) error {
			_, err := c.c.AppendToStream(ctx, s.prefix+stream, esclient.AppendToStreamOptions{ExpectedRevision: expectedRevision(expected)}, events[start:end]...)
			if err != nil {
				return s.appendError(ctx, c, stream, expected, events[start:end], err)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("import at sequence %d: %w", recs[start].Sequence, err)
		}
		start = end
	}
	if err := s.retry(ctx, func(c *conn) error { return s.catchUp(ctx, c) }); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	for _, r := range recs {
		seq, e, ok, err := s.idx.lookup(r.ID)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if !ok || seq != r.Sequence || e.rev != r.Revision || e.stream != r.Stream {
			return fmt.Errorf("import: event %s landed at sequence %d, revision %d, not %d, %d: did another writer append meanwhile? %w",
				r.ID, seq, e.rev, r.Sequence, r.Revision, eventstore.ErrSequence)
		}
	}
	return nil
}

// retry calls fn with the current client, again (up to attempts in all)
// while it fails for a transient reason.
func (s *Store) retry(ctx context.Context, fn func(c *conn) error) error {
	for n := 1; ; n++ {
		err := s.with(fn)
		var ce *eventstore.ConflictError
		if err == nil || errors.As(err, &ce) || n == attempts || !transient(err) || ctx.Err() != nil {
			return err
		}
		if err := sleep(ctx, retryPause(n)); err != nil {
			return err
		}
	}
}
