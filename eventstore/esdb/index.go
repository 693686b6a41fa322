package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/breachledger/breachledger/eventstore"
)

// entry is what the index keeps of one ledger event.
type entry struct {
	pos    esclient.Position
	id     uuid.UUID
	stream string // logical name, interned
	rev    uint64
}

// index maps ledger sequences (ranks in $all) to events and back. It only
// grows: entries[seq] never changes once set, and a read that finds
// another event at a known sequence fails.
type index struct {
	mu           sync.Mutex
	entries      []entry
	ids          map[uuid.UUID]uint64
	names        map[string]string
	lastRecorded time.Time // of the newest event seen

	catchUp sync.Mutex // one catch-up scan at a time
}

func (x *index) init() {
	x.ids = map[uuid.UUID]uint64{}
	x.names = map[string]string{}
}

func (x *index) len() uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return uint64(len(x.entries))
}

// after returns where a read of $all must start to see sequence seq
// (exclusive of the returned position), for seq at most the index length.
func (x *index) after(seq uint64) esclient.AllPosition {
	x.mu.Lock()
	defer x.mu.Unlock()
	if seq == 0 || len(x.entries) == 0 {
		return esclient.Start{}
	}
	return x.entries[min(seq, uint64(len(x.entries)))-1].pos
}

// lookup returns the entry of an event ID.
func (x *index) lookup(id uuid.UUID) (uint64, entry, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	seq, ok := x.ids[id]
	if !ok {
		return 0, entry{}, false
	}
	return seq, x.entries[seq], true
}

// errChanged: the ledger's events in $all are not those this Store has
// seen at the same sequences: history was removed or rewritten.
var errChanged = eventstore.ErrHistoryChanged

// observe records that the ledger event ev has sequence seq.
func (x *index) observe(seq uint64, ev *esclient.RecordedEvent, stream string, recorded time.Time) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := uint64(len(x.entries))
	switch {
	case seq < n:
		if e := x.entries[seq]; e.pos != ev.Position || e.id != ev.EventID {
			return fmt.Errorf("sequence %d was event %s at position %d, now event %s at %d: %w",
				seq, e.id, e.pos.Commit, ev.EventID, ev.Position.Commit, errChanged)
		}
		return nil
	case seq > n:
		return fmt.Errorf("sequence %d read before %d: %w", seq, n, errChanged)
	}
	if n > 0 && !after(ev.Position, x.entries[n-1].pos) {
		return fmt.Errorf("event %s at position %d is not after sequence %d at %d: %w",
			ev.EventID, ev.Position.Commit, n-1, x.entries[n-1].pos.Commit, errChanged)
	}
	name, ok := x.names[stream]
	if !ok {
		name = stream
		x.names[name] = name
	}
	x.entries = append(x.entries, entry{pos: ev.Position, id: ev.EventID, stream: name, rev: ev.EventNumber})
	if _, dup := x.ids[ev.EventID]; !dup { // the first occurrence owns the ID
		x.ids[ev.EventID] = seq
	}
	if recorded.After(x.lastRecorded) {
		x.lastRecorded = recorded
	}
	return nil
}

func after(a, b esclient.Position) bool {
	return a.Commit > b.Commit || a.Commit == b.Commit && a.Prepare > b.Prepare
}

// scanFunc sees one ledger event; it returns false to stop the scan.
type scanFunc func(seq uint64, ev *esclient.RecordedEvent) (bool, error)

// scan reads the ledger's events in $all order from sequence from (or from
// the end of the index, if that is earlier) to the end of $all as it was
// when the scan began, through a subscription to $all filtered on the
// prefix, recording every event in the index and passing it to fn.
//
// It stops at the subscription's caught_up message or, for servers that do
// not send one, at an event or checkpoint at or past the newest position of
// $all read before subscribing.
func (s *Store) scan(ctx context.Context, c *conn, from uint64, fn scanFunc) error {
	start := min(from, s.idx.len())
	end, empty, err := s.endOfAll(ctx, c)
	if err != nil || empty {
		return err
	}
	sub, err := c.c.SubscribeToAll(ctx, esclient.SubscribeToAllOptions{
		From:   s.idx.after(start),
		Filter: &esclient.SubscriptionFilter{Type: esclient.StreamFilterType, Prefixes: []string{s.prefix}},
	})
	if err != nil {
		return s.check(c, callError(ctx, "read $all", err))
	}
	defer sub.Close()
	seq := start
	reached := func(p esclient.Position) bool { return !after(end, p) }
	for {
		se := sub.Recv()
		switch {
		case se.EventAppeared != nil:
			ev := se.EventAppeared.OriginalEvent()
			if ev == nil {
				continue
			}
			if s.isLedgerEvent(ev) {
				if err := s.record(seq, ev); err != nil {
					return err
				}
				more, err := fn(seq, ev)
				if err != nil || !more {
					return err
				}
				seq++
			}
			if reached(ev.Position) {
				return nil
			}
		case se.CheckPointReached != nil:
			if reached(*se.CheckPointReached) {
				return nil
			}
		case se.CaughtUp != nil:
			return nil
		case se.SubscriptionDropped != nil:
			return s.check(c, callError(ctx, "read $all", se.SubscriptionDropped.Error))
		}
	}
}

// record adds ev, the ledger event at seq, to the index.
func (s *Store) record(seq uint64, ev *esclient.RecordedEvent) error {
	e, err := s.decode(seq, ev)
	if err != nil {
		return err
	}
	return s.idx.observe(seq, ev, e.Stream, e.RecordedAt)
}

// endOfAll returns the position of the newest event in $all (empty when
// there is none).
func (s *Store) endOfAll(ctx context.Context, c *conn) (esclient.Position, bool, error) {
	rs, err := c.c.ReadAll(ctx, esclient.ReadAllOptions{Direction: esclient.Backwards, From: esclient.End{}}, 1)
	if err != nil {
		return esclient.Position{}, false, s.check(c, callError(ctx, "read $all", err))
	}
	defer rs.Close()
	ev, err := rs.Recv()
	if errors.Is(err, io.EOF) {
		return esclient.Position{}, true, nil
	}
	if err != nil {
		return esclient.Position{}, false, s.check(c, callError(ctx, "read $all", err))
	}
	if ev.OriginalEvent() == nil {
		return esclient.Position{}, true, nil
	}
	return ev.OriginalEvent().Position, false, nil
}

// catchUp brings the index up to the end of $all.
func (s *Store) catchUp(ctx context.Context, c *conn) error {
	s.idx.catchUp.Lock()
	defer s.idx.catchUp.Unlock()
	return s.scan(ctx, c, eventstore.End, func(uint64, *esclient.RecordedEvent) (bool, error) { return true, nil })
}

// callError wraps an error of the client for op: ctx's error when ctx is
// done (the client reports cancellation in its own ways).
func callError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", op, ctxErr)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// code returns the client's error code of err.
func code(err error) (esclient.ErrorCode, bool) {
	var e *esclient.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

// transient reports whether a call that failed with err may succeed if
// made again: the server was unreachable, the leader changed, the call
// timed out or was aborted, or the connection broke.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if c, ok := code(err); ok {
		switch c {
		case esclient.ErrorUnavailable, esclient.ErrorAborted, esclient.ErrorCodeDeadlineExceeded,
			esclient.ErrorCodeNotLeader, esclient.ErrorCodeConnectionClosed:
			return true
		}
	}
	if clientGaveUp(err) {
		return true
	}
	switch status.Code(unwrapStatus(err)) {
	case codes.Unavailable, codes.Aborted, codes.Internal, codes.DeadlineExceeded, codes.ResourceExhausted:
		return true
	case codes.Unknown:
		return strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection")
	}
	return false
}

// unwrapStatus returns the gRPC status error inside err, or err.
func unwrapStatus(err error) error {
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return se.GRPCStatus().Err()
	}
	return err
}

// maxAppendSize returns the cap named by err if it is the server's refusal
// of an append over its maximum append size.
func maxAppendSize(err error) (int, bool) {
	st, ok := status.FromError(unwrapStatus(err))
	if !ok || st.Code() != codes.InvalidArgument {
		return 0, false
	}
	m := maxAppendRE.FindStringSubmatch(st.Message())
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	return n, true
}

var maxAppendRE = regexp.MustCompile(`Maximum Append Size of (\d+) Exceeded`)

// AppendSizeError is the server's refusal of an append whose events
// (payloads, envelopes and types together) exceed its maximum append size.
// Nothing was appended. errors.Is(err, eventstore.ErrTooLarge) is true.
type AppendSizeError struct {
	Stream string
	Size   int // bytes the append counted
	Max    int // the server's cap
}

func (e *AppendSizeError) Error() string {
	return fmt.Sprintf("%d bytes of events (payloads, envelopes and types) are over the server's maximum append size of %d bytes (EventStoreDB's MaxAppendSize): %v",
		e.Size, e.Max, eventstore.ErrTooLarge)
}

// Is makes errors.Is(err, eventstore.ErrTooLarge) true.
func (e *AppendSizeError) Is(target error) bool { return target == eventstore.ErrTooLarge }
