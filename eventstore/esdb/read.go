package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/breachledger/breachledger/eventstore"
)

// ReadStream returns records of one stream, as eventstore.Store documents.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	if err := eventstore.ValidateStream(stream); err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	defer done()
	for n := 1; ; n++ {
		var recs []eventstore.Record
		err := s.with(func(c *conn) error {
			var err error
			recs, err = s.readStream(ctx, c, stream, opts)
			return err
		})
		if err == nil || n == attempts || !transient(err) || ctx.Err() != nil {
			if err != nil {
				return nil, fmt.Errorf("read stream %s: %w", stream, err)
			}
			return recs, nil
		}
		if err := sleep(ctx, retryPause(n)); err != nil {
			return nil, fmt.Errorf("read stream %s: %w", stream, err)
		}
	}
}

// readStream reads a stream and gives each record its sequence from the
// index (catching the index up if the stream has newer events).
func (s *Store) readStream(ctx context.Context, c *conn, stream string, opts eventstore.ReadOptions) ([]eventstore.Record, error) {
	ro := esclient.ReadStreamOptions{From: esclient.Revision(opts.From)}
	count := uint64(math.MaxInt64)
	if opts.Limit > 0 {
		count = uint64(opts.Limit)
	}
	switch {
	case opts.Backwards && opts.From == eventstore.End:
		ro = esclient.ReadStreamOptions{Direction: esclient.Backwards, From: esclient.End{}}
	case opts.Backwards:
		ro.Direction = esclient.Backwards
	case opts.From == eventstore.End: // forwards from the newest: the newest alone
		ro = esclient.ReadStreamOptions{Direction: esclient.Backwards, From: esclient.End{}}
		count = 1
	}
	rs, err := c.c.ReadStream(ctx, s.prefix+stream, ro, count)
	if err != nil {
		return nil, s.check(c, callError(ctx, "read", err))
	}
	defer rs.Close()
	var evs []*esclient.RecordedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, s.readError(ctx, c, stream, err)
		}
		if ev := e.OriginalEvent(); ev != nil {
			evs = append(evs, ev)
		}
	}
	if len(evs) == 0 {
		return nil, nil
	}
	out := make([]eventstore.Record, 0, len(evs))
	for _, ev := range evs {
		seq, err := s.sequenceOf(ctx, c, ev)
		if err != nil {
			return nil, err
		}
		e, err := s.decode(seq, ev)
		if err != nil {
			return nil, err
		}
		out = append(out, e.Record)
	}
	return out, nil
}

// sequenceOf returns the sequence of ev, read from one of the ledger's
// streams.
//
// With a rank file, the row found is checked against the event as read:
// a row at another position than the event's is the file's fault (a stale
// file, or one edited by hand), never a reason to give the event that
// sequence: the file is emptied and the ledger read again, once.
//
// With a rank file, the row found is checked against the event as read
// (its position) and against its neighbours (positions rise with
// sequences); a row that fails, or an event with no row although the file
// reaches past it, is the file's fault (errRankFile: Store.with empties
// the file and the call reads the ledger again), never a reason to give
// the event another sequence.
func (s *Store) sequenceOf(ctx context.Context, c *conn, ev *esclient.RecordedEvent) (uint64, error) {
	file := s.idx.file != nil
	for range 2 {
		seq, e, ok, err := s.idx.lookup(ev.EventID)
		if err != nil {
			return 0, err
		}
		if ok {
			if e.stream != ev.StreamID[len(s.prefix):] || e.rev != ev.EventNumber {
				return 0, fmt.Errorf("event %s of %s at revision %d: its ID is the ledger's event at sequence %d, of %s at revision %d: %w",
					ev.EventID, ev.StreamID, ev.EventNumber, seq, e.stream, e.rev, eventstore.ErrDuplicateEvent)
			}
			if file && e.pos != ev.Position {
				return 0, errRankFile
			}
			if err := s.idx.between(seq); err != nil {
				return 0, err
			}
			return seq, nil
		}
		if file && s.caughtUpPast(ev) {
			return 0, errRankFile // the file reaches past the event and has no row for it
		}
		if err := s.catchUp(ctx, c); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("event %s of %s at revision %d is not in $all under the prefix %q: %w",
		ev.EventID, ev.StreamID, ev.EventNumber, s.prefix, errChanged)
}

// caughtUpPast reports whether the index has rows beyond ev's position.
func (s *Store) caughtUpPast(ev *esclient.RecordedEvent) bool {
	s.idx.mu.Lock()
	defer s.idx.mu.Unlock()
	return s.idx.n > 0 && !after(ev.Position, s.idx.last.pos)
}

// ReadAll returns records of the whole ledger in sequence order, as
// eventstore.Store documents: the ledger's events in $all from the
// position of sequence from.
func (s *Store) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	evs, err := s.readEvents(ctx, from, limit)
	if err != nil {
		return nil, err
	}
	out := make([]eventstore.Record, len(evs))
	for i, e := range evs {
		out[i] = e.Record
	}
	return out, nil
}

// ReadEvents is ReadAll with what only the server knows of each event: its
// position in $all and its "created" timestamp, and whether it arrived by
// migrate.
func (s *Store) ReadEvents(ctx context.Context, from uint64, limit int) ([]Event, error) {
	return s.readEvents(ctx, from, limit)
}

func (s *Store) readEvents(ctx context.Context, from uint64, limit int) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read ledger from %d: %w", from, err)
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("read ledger from %d: %w", from, err)
	}
	defer done()
	for n := 1; ; n++ {
		var out []Event
		err := s.with(func(c *conn) error {
			out = out[:0] // Store.with may call this again, after emptying a rank file at fault
			return s.scan(ctx, c, from, func(seq uint64, ev *esclient.RecordedEvent) (bool, error) {
				if seq < from {
					return true, nil
				}
				e, err := s.decode(seq, ev)
				if err != nil {
					return false, err
				}
				out = append(out, e)
				return limit <= 0 || len(out) < limit, nil
			})
		})
		if err == nil {
			return out, nil
		}
		if n == attempts || !transient(err) || ctx.Err() != nil {
			return nil, fmt.Errorf("read ledger from %d: %w", from, err)
		}
		if err := sleep(ctx, retryPause(n)); err != nil {
			return nil, fmt.Errorf("read ledger from %d: %w", from, err)
		}
	}
}

// Head returns the number of events in the ledger.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("read head: %w", err)
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("read head: %w", err)
	}
	defer done()
	for n := 1; ; n++ {
		err := s.with(func(c *conn) error { return s.catchUp(ctx, c) })
		if err == nil {
			return s.idx.len(), nil
		}
		if n == attempts || !transient(err) || ctx.Err() != nil {
			return 0, fmt.Errorf("read head: %w", err)
		}
		if err := sleep(ctx, retryPause(n)); err != nil {
			return 0, fmt.Errorf("read head: %w", err)
		}
	}
}

// Follow yields the ledger from sequence from on, then new events as they
// are appended, through one subscription to $all filtered on the prefix.
// When the subscription drops (the server restarts, the connection breaks,
// the leader changes), Follow subscribes again from the position of the
// last event it passed, so nothing is lost and nothing repeated, waiting
// between attempts (up to FollowRetryMax) for as long as ctx allows. It
// gives up only on errors that waiting cannot cure (access denied, an
// event that is not the ledger's).
func (s *Store) Follow(ctx context.Context, from uint64) iter.Seq2[eventstore.Record, error] {
	return func(yield func(eventstore.Record, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(eventstore.Record{}, err)
			return
		}
		outer := ctx
		ctx, done, err := s.begin(ctx)
		if err != nil {
			yield(eventstore.Record{}, fmt.Errorf("follow: %w", err))
			return
		}
		defer done()
		fail := func(err error) {
			if ctxErr := outer.Err(); ctxErr != nil {
				err = ctxErr
			}
			yield(eventstore.Record{}, err)
		}
		seq := min(from, s.idx.len())
		pause := FollowRetryMin
		for {
			err := s.followOnce(ctx, &seq, from, yield)
			if errors.Is(err, errStop) {
				return
			}
			if ctx.Err() != nil || !resumable(err) {
				fail(fmt.Errorf("follow: %w", err))
				return
			}
			if err := sleep(ctx, pause); err != nil {
				fail(err)
				return
			}
			pause = min(2*pause, FollowRetryMax)
		}
	}
}

// How long Follow waits before subscribing again after a drop: doubling
// from FollowRetryMin to FollowRetryMax.
const (
	FollowRetryMin = 50 * time.Millisecond
	FollowRetryMax = 2 * time.Second
)

// errStop: the consumer of Follow stopped.
var errStop = errors.New("consumer stopped")

// followOnce subscribes after sequence *seq-1 and yields events until the
// subscription drops (returning why) or the consumer stops (errStop).
// *seq is the next sequence expected; events before from are not yielded.
func (s *Store) followOnce(ctx context.Context, seq *uint64, from uint64, yield func(eventstore.Record, error) bool) error {
	return s.with(func(c *conn) error { return s.follow(ctx, c, seq, from, yield) })
}

func (s *Store) follow(ctx context.Context, c *conn, seq *uint64, from uint64, yield func(eventstore.Record, error) bool) error {
	if s.idx.len() < *seq { // the index was emptied (Store.with): read up to where Follow is first
		if err := s.catchUp(ctx, c); err != nil {
			return err
		}
	}
	pos, err := s.idx.after(*seq)
	if err != nil {
		return err
	}
	sub, err := c.c.SubscribeToAll(ctx, esclient.SubscribeToAllOptions{
		From:   pos,
		Filter: &esclient.SubscriptionFilter{Type: esclient.StreamFilterType, Prefixes: []string{s.prefix}},
	})
	if err != nil {
		return s.positionError(ctx, c, err)
	}
	defer sub.Close()
	for {
		se := sub.Recv()
		switch {
		case se.EventAppeared != nil:
			ev := se.EventAppeared.OriginalEvent()
			if ev == nil || !s.isLedgerEvent(ev) {
				continue
			}
			if err := s.record(*seq, ev); err != nil {
				return err
			}
			e, err := s.decode(*seq, ev)
			if err != nil {
				return err
			}
			*seq++
			if e.Sequence < from {
				continue
			}
			if !yield(e.Record, nil) {
				return errStop
			}
		case se.SubscriptionDropped != nil:
			return s.positionError(ctx, c, se.SubscriptionDropped.Error)
		}
	}
}
