package esdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/breachledger/breachledger/eventstore"
)

// attempts is how often a call that failed for a transient reason
// (unreachable server, leader change, timeout) is made in all. Retries send
// the same event IDs, metadata and expectation, so the server stores an
// append once however often it arrives.
const attempts = 3

// retryPause returns the pause before retry n (1-based).
func retryPause(n int) time.Duration { return time.Duration(n) * 100 * time.Millisecond }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// expectedRevision maps an expectation onto the client's (both count
// revisions from 0).
func expectedRevision(e eventstore.Expected) esclient.ExpectedRevision {
	if rev, ok := e.Revision(); ok {
		return esclient.Revision(rev)
	}
	if e.IsNoStream() {
		return esclient.NoStream{}
	}
	return esclient.Any{}
}

// checkTypes refuses event types that EventStoreDB reserves.
func checkTypes(recs []eventstore.Record) error {
	for _, r := range recs {
		if strings.HasPrefix(r.Type, "$") {
			return fmt.Errorf("event %s: type %q: types starting with $ are EventStoreDB's own: %w", r.ID, r.Type, eventstore.ErrInvalid)
		}
	}
	return nil
}

// Append adds recs to the stream, as eventstore.Store documents. The
// recorded time is stamped once, before the first attempt; the records go
// to the server in one append call, which is atomic.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.Expected, recs []eventstore.Record) ([]eventstore.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("append to %s: %w", stream, err)
	}
	if err := eventstore.ValidateAppend(stream, recs); err != nil {
		return nil, fmt.Errorf("append to %s: %w", stream, err)
	}
	if err := checkTypes(recs); err != nil {
		return nil, fmt.Errorf("append to %s: %w", stream, err)
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("append to %s: %w", stream, err)
	}
	defer done()

	b := &batch{recs: recs}
	for n := 1; ; n++ {
		var out []eventstore.Record
		err := s.with(func(c *conn) error {
			var err error
			out, err = s.appendOnce(ctx, c, stream, expected, b)
			return err
		})
		if err == nil {
			return out, nil
		}
		var ce *eventstore.ConflictError
		if errors.As(err, &ce) {
			return nil, err // its message names the append already
		}
		if n == attempts && transient(err) {
			return nil, fmt.Errorf("append to %s: the server did not answer after %d attempts with the same event IDs, so the append may or may not have landed (look for it with \"breachledger log\" before recording the fact again): %w", stream, attempts, err)
		}
		if n == attempts || !transient(err) || ctx.Err() != nil {
			return nil, fmt.Errorf("append to %s: %w", stream, err)
		}
		if err := sleep(ctx, retryPause(n)); err != nil {
			return nil, fmt.Errorf("append to %s: %w", stream, err)
		}
	}
}

// batch is the records of one Append and, from its first attempt on, the
// events sent for them, with the recorded time stamped then.
type batch struct {
	recs     []eventstore.Record
	recorded time.Time
	events   []esclient.EventData
}

// prepare stamps the recorded time and encodes the events, once: never
// before the newest recorded time the index has seen.
func (b *batch) prepare(s *Store) error {
	if b.events != nil || len(b.recs) == 0 {
		return nil
	}
	recorded := s.now().UTC().Truncate(time.Microsecond)
	s.idx.mu.Lock()
	if last := s.idx.lastRecorded; recorded.Before(last) {
		recorded = last
	}
	s.idx.mu.Unlock()
	events := make([]esclient.EventData, len(b.recs))
	for i, r := range b.recs {
		e, err := eventData(r, recorded, false)
		if err != nil {
			return err
		}
		events[i] = e
	}
	b.recorded, b.events = recorded, events
	return nil
}

// appendOnce is one attempt of Append.
func (s *Store) appendOnce(ctx context.Context, c *conn, stream string, expected eventstore.Expected, b *batch) ([]eventstore.Record, error) {
	recs := b.recs
	// Up to date with the ledger: every event ID stored so far is known,
	// and so is the newest recorded time.
	if err := s.catchUp(ctx, c); err != nil {
		return nil, err
	}
	if len(recs) > 0 {
		_, first, ok, err := s.idx.lookup(recs[0].ID)
		if err != nil {
			return nil, err
		}
		if ok {
			return s.retried(ctx, c, stream, expected, recs, first)
		}
		for _, r := range recs[1:] {
			_, _, ok, err := s.idx.lookup(r.ID)
			if err != nil {
				return nil, err
			}
			if ok {
				return nil, fmt.Errorf("event %s: %w", r.ID, eventstore.ErrDuplicateEvent)
			}
		}
	}
	if err := b.prepare(s); err != nil {
		return nil, err
	}
	wr, err := c.c.AppendToStream(ctx, s.prefix+stream, esclient.AppendToStreamOptions{ExpectedRevision: expectedRevision(expected)}, b.events...)
	if err != nil {
		return nil, s.appendError(ctx, c, stream, expected, b.events, err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	if err := s.catchUp(ctx, c); err != nil {
		return nil, err
	}
	first := wr.NextExpectedVersion + 1 - uint64(len(recs))
	out := make([]eventstore.Record, len(recs))
	for i, r := range recs {
		seq, e, ok, err := s.idx.lookup(r.ID)
		if err != nil {
			return nil, err
		}
		if !ok || e.stream != stream || e.rev != first+uint64(i) {
			return nil, fmt.Errorf("event %s: appended at revision %d but not found there in $all", r.ID, first+uint64(i))
		}
		out[i] = stored(r, stream, e.rev, seq, b.recorded)
	}
	return out, nil
}

// retried handles an append whose first event ID is already in the ledger
// (at first): if it is a retry of an append that landed (same IDs and
// types, in order, where the expectation held), it returns the records as
// stored; otherwise the ID is a duplicate.
func (s *Store) retried(ctx context.Context, c *conn, stream string, expected eventstore.Expected, recs []eventstore.Record, first entry) ([]eventstore.Record, error) {
	dup := fmt.Errorf("event %s: %w", recs[0].ID, eventstore.ErrDuplicateEvent)
	if first.stream != stream || !(expected.IsAny() || expected.Matches(first.rev)) {
		return nil, dup
	}
	got, err := s.readStream(ctx, c, stream, eventstore.ReadOptions{From: first.rev, Limit: len(recs)})
	if err != nil {
		return nil, err
	}
	if len(got) < len(recs) {
		return nil, dup
	}
	for i, r := range recs {
		if got[i].ID != r.ID || got[i].Type != r.Type {
			return nil, dup
		}
	}
	return got, nil
}
