package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

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
// grows: the row of a sequence never changes once set, and a read that
// finds another event at a known sequence fails.
//
// Without a rank file every row is in memory (entries, ids). With one
// (rankfile.go), memory holds only the rows observed since the last flush,
// from sequence base on; the others are read from the file.
type index struct {
	mu           sync.Mutex
	entries      []entry // rows base..n-1 (every row without a file)
	ids          map[uuid.UUID]uint64
	names        map[string]string
	base         uint64 // sequence of entries[0]
	n            uint64 // rows known
	last         entry  // row n-1, when n > 0
	lastRecorded time.Time
	file         *rankFile   // nil: memory only
	checked      bool        // the file's rows were checked against the server (prepareIndex)
	anchor       *rankAnchor // the newest checkpoint's, while the index has not reached it

	catchUp sync.Mutex // one catch-up scan at a time
}

func (x *index) init() {
	x.ids = map[uuid.UUID]uint64{}
	x.names = map[string]string{}
}

func (x *index) len() uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.n
}

// rowLocked returns the row of seq < x.n; x.mu must be held.
func (x *index) rowLocked(seq uint64) (entry, error) {
	if seq >= x.base && seq-x.base < uint64(len(x.entries)) {
		return x.entries[seq-x.base], nil
	}
	if x.file == nil {
		return entry{}, fmt.Errorf("sequence %d is not in the index", seq)
	}
	e, ok, err := x.file.get(seq)
	if err != nil {
		return entry{}, err
	}
	if !ok {
		return entry{}, errRankFile
	}
	return e, nil
}

// after returns where a read of $all must start to see sequence seq
// (exclusive of the returned position), for seq at most the index length.
func (x *index) after(seq uint64) (esclient.AllPosition, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if seq == 0 || x.n == 0 {
		return esclient.Start{}, nil
	}
	if seq >= x.n {
		return x.last.pos, nil
	}
	e, err := x.rowLocked(seq - 1)
	if err != nil {
		return nil, err
	}
	return e.pos, nil
}

// lookup returns the row of an event ID.
// The first occurrence of an ID owns it: the file's rows come before the
// ones in memory.
func (x *index) lookup(id uuid.UUID) (uint64, entry, bool, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if seq, e, ok, err := x.fileID(id); ok || err != nil {
		e.stream = x.intern(e.stream)
		return seq, e, ok, err
	}
	if seq, ok := x.ids[id]; ok {
		e, err := x.rowLocked(seq)
		return seq, e, err == nil, err
	}
	return 0, entry{}, false, nil
}

func (x *index) intern(stream string) string {
	name, ok := x.names[stream]
	if !ok {
		name = stream
		x.names[name] = name
	}
	return name
}

// errChanged: the ledger's events in $all are not those this Store has
// seen at the same sequences: history was removed or rewritten.
var errChanged = eventstore.ErrHistoryChanged

// observe records that the ledger event ev has sequence seq.
func (x *index) observe(seq uint64, ev *esclient.RecordedEvent, stream string, recorded time.Time) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch {
	case seq < x.n:
		e, err := x.rowLocked(seq)
		if err != nil {
			return err
		}
		if e.pos != ev.Position || e.id != ev.EventID {
			if seq < x.base { // a row of the rank file: the file is wrong, or out of date
				return errRankFile
			}
			return fmt.Errorf("sequence %d was event %s at position %d, now event %s at %d: %w",
				seq, e.id, e.pos.Commit, ev.EventID, ev.Position.Commit, errChanged)
		}
		return nil
	case seq > x.n:
		return fmt.Errorf("sequence %d read before %d: %w", seq, x.n, errChanged)
	}
	if a := x.anchor; a != nil && seq == a.Seq {
		if ev.Position.Commit != a.Commit || ev.EventID != a.ID {
			return errRankFile // the rows before it miscount the ledger
		}
		x.anchor = nil
	}
	if x.n > 0 && !after(ev.Position, x.last.pos) {
		return fmt.Errorf("event %s at position %d is not after sequence %d at %d: %w",
			ev.EventID, ev.Position.Commit, x.n-1, x.last.pos.Commit, errChanged)
	}
	e := entry{pos: ev.Position, id: ev.EventID, stream: x.intern(stream), rev: ev.EventNumber}
	x.entries = append(x.entries, e)
	if _, dup := x.ids[ev.EventID]; !dup { // the first occurrence owns the ID (lookup asks the file first)
		x.ids[ev.EventID] = seq
	}
	x.n, x.last = seq+1, e
	if recorded.After(x.lastRecorded) {
		x.lastRecorded = recorded
	}
	if x.file != nil && len(x.entries) >= rankFlush {
		return x.flushLocked()
	}
	return nil
}

// between checks that the row of seq lies between its neighbours in $all
// (positions rise with sequences): a rank file whose rows were swapped is
// found out at the first use of one of them.
func (x *index) between(seq uint64) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.file == nil || seq >= x.n {
		return nil
	}
	row, err := x.rowLocked(seq)
	if err != nil {
		return err
	}
	if seq > 0 {
		prev, err := x.rowLocked(seq - 1)
		if err != nil {
			return err
		}
		if !after(row.pos, prev.pos) {
			return errRankFile
		}
	}
	if seq+1 < x.n {
		next, err := x.rowLocked(seq + 1)
		if err != nil {
			return err
		}
		if !after(next.pos, row.pos) {
			return errRankFile
		}
	}
	return nil
}

// fileID looks an ID up in the rank file's rows written before base (none
// without a file; rows another process wrote since are not this index's
// yet).
func (x *index) fileID(id uuid.UUID) (uint64, entry, bool, error) {
	if x.file == nil {
		return 0, entry{}, false, nil
	}
	seq, e, ok, err := x.file.byID(id)
	if !ok || err != nil || seq >= x.base {
		return 0, entry{}, false, err
	}
	return seq, e, true, nil
}

// flush writes the rows kept in memory to the rank file.
func (x *index) flush() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.flushLocked()
}

func (x *index) flushLocked() error {
	if x.file == nil || len(x.entries) == 0 {
		return nil
	}
	if err := x.file.put(x.base, x.entries); err != nil {
		return err
	}
	if err := x.file.setLastRecorded(x.lastRecorded); err != nil {
		return err
	}
	x.base, x.entries = x.n, nil
	clear(x.ids)
	return nil
}

// refreshLocked reads the rank file's length, newest row and newest
// recorded time, when nothing is waiting to be written (before the
// index's first use).
func (x *index) refreshLocked() error {
	if x.file == nil || len(x.entries) > 0 {
		return nil
	}
	n, err := x.file.length()
	if err != nil {
		return err
	}
	if n <= x.n {
		return nil
	}
	last, ok, err := x.file.get(n - 1)
	if err != nil {
		return err
	}
	if !ok {
		return errRankFile
	}
	rec, err := x.file.lastRecorded()
	if err != nil {
		return err
	}
	x.base, x.n, x.last = n, n, last
	if rec.After(x.lastRecorded) {
		x.lastRecorded = rec
	}
	return nil
}

// resetLocked empties the index and its rank file.
func (x *index) resetLocked(prefix string) error {
	x.entries, x.base, x.n, x.last, x.lastRecorded, x.anchor = nil, 0, 0, entry{}, time.Time{}, nil
	clear(x.ids)
	if x.file == nil {
		return nil
	}
	return x.file.reset(prefix)
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
// On servers since 23.10 it stops at the subscription's caught_up message
// (or an event or checkpoint at or past the newest position of $all read
// before subscribing). Older servers send no caught_up, and whether a
// filtered subscription gets a checkpoint when it goes live depends on the
// patch (21.10 releases after KurrentDB PRs #4023/#4035 send none), so a
// scan there first finds the newest event under the prefix, reading $all
// backwards (newestOfPrefix), and stops at it: it needs no checkpoint.
func (s *Store) scan(ctx context.Context, c *conn, from uint64, fn scanFunc) (err error) {
	if err := s.prepareIndex(ctx, c); err != nil {
		return err
	}
	defer func() { // what was observed is kept, however the scan ends
		if ferr := s.idx.flush(); err == nil {
			err = ferr
		}
	}()
	start := min(from, s.idx.len())
	pos, err := s.idx.after(start)
	if err != nil {
		return err
	}
	caughtUp, err := s.sendsCaughtUp(ctx, c)
	if err != nil {
		return err
	}
	var (
		end  esclient.Position
		none bool
	)
	if caughtUp {
		end, none, err = s.endOfAll(ctx, c)
	} else {
		end, none, err = s.newestOfPrefix(ctx, c, pos)
	}
	if err != nil || none {
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
				s.scanned.Add(1)
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
			return s.positionError(ctx, c, se.SubscriptionDropped.Error)
		}
	}
}

// positionError translates the error of a read of or a subscription to
// $all from a position the index gave. The server's refusal of a position
// inside the log that no event had (classInvalidPosition) is the rank
// file's fault when there is one (a file of another database, or edited:
// errRankFile, so Store.with empties it and reads the ledger again), and
// otherwise the ledger's history changed under this Store (its positions
// were read from this server). Anything else is passed on as callError
// and check make it.
func (s *Store) positionError(ctx context.Context, c *conn, err error) error {
	if ctx.Err() == nil && classify(err).class == classInvalidPosition {
		if s.idx.file != nil {
			return errRankFile
		}
		return fmt.Errorf("read $all from a position this store read before: the server has no event there (was the database replaced?): %w: %w", errChanged, err)
	}
	return s.check(c, callError(ctx, "read $all", err))
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

// sendsCaughtUp reports whether the server c is connected to sends
// caught_up on subscriptions (version 23.10 on). A server too old to say
// its version (no server-features call: version 0.0.0) does not.
func (s *Store) sendsCaughtUp(ctx context.Context, c *conn) (bool, error) {
	v, err := c.c.GetServerVersion()
	if err != nil {
		return false, s.check(c, callError(ctx, "read the server's version", err))
	}
	return v.Major > 23 || v.Major == 23 && v.Minor >= 10, nil
}

// newestOfPrefix returns the position of the newest event in $all whose
// stream is under the prefix (the last a subscription filtered on the
// prefix delivers), reading $all backwards from its end in pages that
// grow from one event, down to the position after which a scan starts
// (start, exclusive); none is true when no such event is after start.
// It reads the events of other streams appended since the ledger's
// newest, which a scan would have to wait past otherwise.
func (s *Store) newestOfPrefix(ctx context.Context, c *conn, start esclient.AllPosition) (pos esclient.Position, none bool, err error) {
	from := esclient.AllPosition(esclient.End{})
	for page := uint64(1); ; page = min(2*page, 512) {
		rs, err := c.c.ReadAll(ctx, esclient.ReadAllOptions{Direction: esclient.Backwards, From: from}, page)
		if err != nil {
			return esclient.Position{}, false, s.check(c, callError(ctx, "read $all", err))
		}
		n, found, done := uint64(0), false, false
		for !found && !done {
			e, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rs.Close()
				return esclient.Position{}, false, s.check(c, callError(ctx, "read $all", err))
			}
			n++
			ev := e.OriginalEvent()
			if ev == nil {
				continue
			}
			from = ev.Position
			if p, ok := start.(esclient.Position); ok && !after(ev.Position, p) {
				done = true // back at the scan's start: nothing newer under the prefix
			} else if strings.HasPrefix(ev.StreamID, s.prefix) {
				pos, found = ev.Position, true
			}
		}
		rs.Close()
		switch {
		case found:
			return pos, false, nil
		case done || n < page: // the start of $all
			return esclient.Position{}, true, nil
		}
	}
}

// prepareIndex brings the index up to what its rank file holds (another
// process may have brought it further) and, the first time, checks the
// file against the server: the rows of the first and the newest event
// must name the events at their positions in $all. A file that does not
// is emptied, and the ledger is read again.
//
// The newest checkpoint's anchor (the position and ID of its last event,
// checkpoints.go) checks the count: the file's row at that sequence must be
// that event, so a file that lost, gained or renumbered rows before it is
// found out; the rows after it are read again from $all (the events
// since the newest checkpoint) and must agree with the file. With no
// anchor (no checkpoint yet, or checkpoints saved before anchors), the
// newest row is read again at its position instead.
func (s *Store) prepareIndex(ctx context.Context, c *conn) error {
	x := &s.idx
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.file == nil || x.checked {
		return nil // once checked, the index catches up from $all itself
	}
	err := x.refreshLocked()
	if err == nil && x.n > 0 {
		err = s.checkFileLocked(ctx, c)
	}
	switch {
	case errors.Is(err, errRankFile):
		if err := x.resetLocked(s.prefix); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	x.checked = true
	return nil
}

// checkFileLocked checks the file's first row, and its count against the
// newest checkpoint's anchor (see prepareIndex).
func (s *Store) checkFileLocked(ctx context.Context, c *conn) error {
	x := &s.idx
	if err := s.checkRowsLocked(ctx, c, 0); err != nil {
		return err
	}
	a, ok, err := s.latestAnchor(ctx, c)
	switch {
	case err != nil:
		return err
	case !ok:
		return s.checkRowsLocked(ctx, c, x.n-1)
	case a.Seq >= x.n: // the file is behind the checkpoint: check the anchor when the catch-up reaches it
		x.anchor = &a
		return s.checkRowsLocked(ctx, c, x.n-1)
	}
	row, err := x.rowLocked(a.Seq)
	if err != nil {
		return err
	}
	if row.pos.Commit != a.Commit || row.id != a.ID {
		return errRankFile
	}
	if err := s.checkRowsLocked(ctx, c, a.Seq); err != nil {
		return err
	}
	x.base, x.n, x.last = a.Seq+1, a.Seq+1, row // the rows after it are read again, and must agree
	return nil
}

// checkRowsLocked reads the events at the positions of the given rows
// from $all and returns errRankFile unless each is the row's event.
func (s *Store) checkRowsLocked(ctx context.Context, c *conn, seqs ...uint64) error {
	for _, seq := range seqs {
		e, err := s.idx.rowLocked(seq)
		if err != nil {
			return err
		}
		rs, err := c.c.ReadAll(ctx, esclient.ReadAllOptions{From: e.pos}, 1)
		if err != nil {
			return s.positionError(ctx, c, err)
		}
		ev, err := rs.Recv()
		rs.Close()
		if errors.Is(err, io.EOF) { // past the end of $all
			return errRankFile
		}
		if err != nil { // a position inside $all that no event had is the file's fault too
			return s.positionError(ctx, c, err)
		}
		got := ev.OriginalEvent()
		if got == nil || got.Position != e.pos || got.EventID != e.id || got.StreamID != s.prefix+e.stream || got.EventNumber != e.rev {
			return errRankFile
		}
	}
	return nil
}

// reset empties the index and its rank file (Store.with does, when the
// file is found at fault), so the next call reads the ledger again, and
// says whether it did: an index without a file (rows this process read
// itself) is never at fault, and stays as it is.
func (x *index) reset(prefix string) (bool, error) {
	x.catchUp.Lock()
	defer x.catchUp.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.file == nil {
		return false, nil
	}
	x.checked = true // an empty file needs no check
	return true, x.resetLocked(prefix)
}

// catchUp brings the index up to the end of $all.
func (s *Store) catchUp(ctx context.Context, c *conn) error {
	s.idx.catchUp.Lock()
	defer s.idx.catchUp.Unlock()
	if err := s.scan(ctx, c, eventstore.End, func(uint64, *esclient.RecordedEvent) (bool, error) { return true, nil }); err != nil {
		return err
	}
	s.idx.mu.Lock()
	defer s.idx.mu.Unlock()
	if s.idx.anchor != nil { // the end of $all and still short of the checkpoint: the file's rows miscount the ledger
		return errRankFile
	}
	return nil
}
