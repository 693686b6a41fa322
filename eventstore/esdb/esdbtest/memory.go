package esdbtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Event is one event as the server stores it.
type Event struct {
	ID          uuid.UUID
	Stream      string
	Revision    uint64 // math.MaxInt64 for a tombstone ($streamDeleted)
	Position    uint64 // commit and prepare position in $all: rising, with gaps, never 0
	Type        string
	ContentType string
	Created     time.Time // the server's timestamp, in .NET ticks (100 ns) precision
	Metadata    []byte    // custom (user) metadata
	Data        []byte
}

// ticks returns Created as the decimal .NET ticks since the Unix epoch the
// protocol's "created" metadata carries.
func (e *Event) ticks() string { return fmt.Sprint(e.Created.UnixNano() / 100) }

// Revisions and expectations, as on the wire.
const (
	tombstoneRevision = math.MaxInt64
	deletedTB         = math.MaxInt64 // $tb of a soft-deleted stream
)

type expectation struct {
	kind int // expectAny, expectNoStream, expectExists, expectRevision
	rev  uint64
}

const (
	expectAny = iota
	expectNoStream
	expectExists
	expectRevision
)

// stream is one stream's events, in revision order. Scavenging removes
// events from the front; revisions are never reused.
type stream struct {
	events     []*Event
	last       int64 // revision of the last event written; -1 for none
	tombstoned bool
	// ids maps each event ID to the first stored event of the stream
	// with it (an append that is not an idempotent retry may repeat an
	// ID), so that the idempotency check needs no scan.
	ids map[uuid.UUID]*Event
	// unordered is set when an event was stamped earlier than the one
	// before it (the clock went back): $maxAge then cannot be found by
	// binary search and is checked event by event.
	unordered bool
}

// streamMeta is what the server honours of a stream's metadata (the latest
// event of its metastream, "$$" + name).
type streamMeta struct {
	maxCount, maxAge, tb *int64
}

// Memory is the server's storage: $all (every event, in position order) and
// the streams. Several servers may share one Memory (a cluster whose nodes
// all see the same log). It is safe for concurrent use.
type Memory struct {
	mu      sync.RWMutex
	all     []*Event
	streams map[string]*stream
	lastPos uint64
	// bounds is every position ever given to an event, rising: the valid
	// starts of a read of $all (a scavenge does not take them back).
	bounds  []uint64
	changed chan struct{} // closed and replaced on every write
	now     func() time.Time

	// seedEnd is the position of the last event NewMemory wrote (the
	// system streams every server starts with); Events leaves them out.
	seedEnd uint64

	// examined counts the stored events a request looked at (binary
	// search probes included), so that tests can check that a request's
	// cost follows its answer, not the size of a stream or of $all.
	examined atomic.Int64
}

// NewMemory returns a store holding what a new server's database holds:
// the system streams of its two default users (SystemUsers).
func NewMemory() *Memory {
	m := &Memory{streams: map[string]*stream{}, changed: make(chan struct{}), now: time.Now}
	for _, u := range SystemUsers {
		data, _ := json.Marshal(map[string]any{"loginName": u.Login, "fullName": u.FullName, "disabled": false, "groups": u.Groups})
		m.write("$user-"+u.Login, []*Event{{ID: uuid.New(), Type: "$UserCreated", ContentType: "application/json", Data: data}})
		m.write("$users", []*Event{{ID: uuid.New(), Type: "$User", ContentType: "application/octet-stream", Data: []byte(u.Login)}})
	}
	m.seedEnd = m.lastPos
	return m
}

// SystemUser is a user a new server has.
type SystemUser struct {
	Login, FullName string
	Groups          []string
}

// SystemUsers are the users every new server has, as the system streams
// NewMemory writes record them: "$users" lists their logins ($User events
// whose data is the login, which the official client's tests wait for)
// and "$user-<login>" holds each one's $UserCreated (without the password
// hash and salt a real server keeps there). Their stream names and event
// types start with "$", so a subscription filtered on a stream prefix or
// excluding system events never sees them. The server checks no
// passwords against them: Options.Users does that.
var SystemUsers = []SystemUser{
	{Login: "admin", FullName: "Event Store Administrator", Groups: []string{"$admins"}},
	{Login: "ops", FullName: "Event Store Operations", Groups: []string{"$ops"}},
}

// SetClock replaces the clock that stamps "created" and judges $maxAge.
func (m *Memory) SetClock(now func() time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = now
}

// Events returns a copy of $all without the system streams a new server
// starts with (SystemUsers): every event written since, still physically
// stored, in position order, including events hidden from stream reads
// (deleted, truncated) until Scavenge removes them. It is for tests that
// inspect the store and costs a copy of the whole log; no request of the
// protocol uses it (reads of $all do show the system streams).
func (m *Memory) Events() []Event {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Event, 0, len(m.all))
	for _, e := range m.all {
		if e.Position > m.seedEnd {
			out = append(out, *e)
		}
	}
	return out
}

// wait returns a channel closed at the next write.
func (m *Memory) wait() <-chan struct{} {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.changed
}

// broadcast wakes subscriptions; m.mu must be held for writing.
func (m *Memory) broadcast() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// write stores events in name as the next revisions; m.mu must be held.
func (m *Memory) write(name string, evs []*Event) {
	st := m.streams[name]
	if st == nil {
		st = &stream{last: -1, ids: map[uuid.UUID]*Event{}}
		m.streams[name] = st
	}
	now := m.now().UTC().Truncate(100 * time.Nanosecond)
	if n := len(st.events); n > 0 && now.Before(st.events[n-1].Created) {
		st.unordered = true
	}
	for _, e := range evs {
		e.Stream = name
		if e.Type == "$streamDeleted" {
			e.Revision = tombstoneRevision
			st.tombstoned = true
		} else {
			st.last++
			e.Revision = uint64(st.last)
		}
		m.lastPos += uint64(128 + len(e.Type) + len(e.Metadata) + len(e.Data))
		e.Position = m.lastPos
		m.bounds = append(m.bounds, e.Position)
		e.Created = now
		st.events = append(st.events, e)
		if _, dup := st.ids[e.ID]; !dup {
			st.ids[e.ID] = e
		}
		m.all = append(m.all, e)
	}
}

// appendResult is the outcome of an append that did not fail outright.
type appendResult struct {
	wrong    bool  // wrong expected version: nothing written
	current  int64 // the stream's last revision after the append (-1: no stream)
	position uint64
	written  bool
}

// errStreamDeleted: the stream is tombstoned.
var errStreamDeleted = errors.New("stream deleted")

// errNoStream: a delete of a stream that does not exist.
var errNoStream = errors.New("stream not found")

// append checks exp against name and writes evs, with the server's
// idempotency rule: a batch whose IDs already sit at the place the
// expectation names (or, for any, anywhere in the stream) is not written
// again and succeeds.
func (m *Memory) append(name string, exp expectation, evs []*Event) (appendResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.streams[name]
	if st != nil && st.tombstoned {
		return appendResult{}, errStreamDeleted
	}
	cur := int64(-1)
	if st != nil {
		cur = st.last
	}
	deleted := st != nil && m.metaLocked(name).deleted()

	if res, ok := m.idempotent(st, exp, evs); ok {
		return res, nil
	}
	ok := false
	switch exp.kind {
	case expectAny:
		ok = true
	case expectNoStream:
		ok = cur < 0 || deleted
	case expectExists:
		ok = cur >= 0 && !deleted
	case expectRevision:
		ok = cur == int64(exp.rev)
	}
	if !ok {
		return appendResult{wrong: true, current: cur}, nil
	}
	if len(evs) == 0 {
		return appendResult{current: cur}, nil
	}
	m.write(name, evs)
	if deleted {
		// Writing to a soft-deleted stream brings it back, from the first
		// new event: the server rewrites $tb.
		meta := m.rawMetaLocked(name)
		meta["$tb"] = json.Number(fmt.Sprint(cur + 1))
		m.writeMetaLocked(name, meta)
	}
	m.broadcast()
	return appendResult{current: m.streams[name].last, position: evs[len(evs)-1].Position, written: true}, nil
}

// idempotent reports whether evs were already written where exp says.
func (m *Memory) idempotent(st *stream, exp expectation, evs []*Event) (appendResult, bool) {
	if st == nil || len(evs) == 0 {
		return appendResult{}, false
	}
	e0, ok := st.ids[evs[0].ID]
	if !ok {
		return appendResult{}, false
	}
	rev := e0.Revision
	first := m.searchLocked(st, 0, len(st.events), func(e *Event) bool { return e.Revision >= rev })
	switch exp.kind {
	case expectNoStream:
		if rev != 0 {
			return appendResult{}, false
		}
	case expectRevision:
		if rev != exp.rev+1 {
			return appendResult{}, false
		}
	case expectExists:
		if rev == 0 {
			return appendResult{}, false
		}
	}
	if first+len(evs) > len(st.events) {
		return appendResult{}, false
	}
	for i, e := range evs {
		m.examined.Add(1)
		if st.events[first+i].ID != e.ID {
			return appendResult{}, false
		}
	}
	last := st.events[first+len(evs)-1]
	return appendResult{current: int64(last.Revision), position: last.Position}, true
}

// checkExpected checks exp against name for a delete or tombstone.
func (m *Memory) checkExpected(name string, exp expectation) (int64, bool) {
	st := m.streams[name]
	cur := int64(-1)
	if st != nil {
		cur = st.last
	}
	switch exp.kind {
	case expectNoStream:
		return cur, cur < 0
	case expectExists:
		return cur, cur >= 0
	case expectRevision:
		return cur, cur == int64(exp.rev)
	}
	return cur, true
}

// softDelete hides every event of name from stream reads (metadata $tb at
// its maximum), as the Delete call does. The events stay in $all until
// Scavenge.
func (m *Memory) softDelete(name string, exp expectation) (uint64, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.streams[name]
	if st != nil && st.tombstoned {
		return 0, 0, errStreamDeleted
	}
	if cur, ok := m.checkExpected(name, exp); !ok {
		return 0, cur, errWrongExpected
	}
	if st == nil || st.last < 0 {
		return 0, -1, errNoStream
	}
	meta := m.rawMetaLocked(name)
	meta["$tb"] = json.Number(fmt.Sprint(int64(deletedTB)))
	pos := m.writeMetaLocked(name, meta)
	m.broadcast()
	return pos, st.last, nil
}

var errWrongExpected = errors.New("wrong expected version")

// tombstone deletes name for good: a $streamDeleted event is written to it,
// and every read or append of it fails from then on.
func (m *Memory) tombstone(name string, exp expectation) (uint64, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.streams[name]
	if st != nil && st.tombstoned {
		return 0, 0, errStreamDeleted
	}
	if cur, ok := m.checkExpected(name, exp); !ok {
		return 0, cur, errWrongExpected
	}
	e := &Event{ID: uuid.New(), Type: "$streamDeleted", ContentType: "application/octet-stream"}
	m.write(name, []*Event{e})
	m.broadcast()
	return e.Position, 0, nil
}

// rawMetaLocked returns the latest metadata object of name (empty if none).
func (m *Memory) rawMetaLocked(name string) map[string]any {
	ms := m.streams["$$"+name]
	if ms == nil || len(ms.events) == 0 {
		return map[string]any{}
	}
	return decodeObject(ms.events[len(ms.events)-1].Data)
}

// writeMetaLocked writes meta as the new metadata of name.
func (m *Memory) writeMetaLocked(name string, meta map[string]any) uint64 {
	data, _ := json.Marshal(meta)
	e := &Event{ID: uuid.New(), Type: "$metadata", ContentType: "application/json", Data: data}
	m.write("$$"+name, []*Event{e})
	return e.Position
}

// metaLocked returns what the server honours of name's metadata.
func (m *Memory) metaLocked(name string) streamMeta {
	if strings.HasPrefix(name, "$$") {
		one := int64(1) // a metastream keeps only its latest event
		return streamMeta{maxCount: &one}
	}
	raw := m.rawMetaLocked(name)
	var sm streamMeta
	for key, dst := range map[string]**int64{"$maxCount": &sm.maxCount, "$maxAge": &sm.maxAge, "$tb": &sm.tb} {
		if n, ok := raw[key].(json.Number); ok {
			if v, err := n.Int64(); err == nil {
				*dst = &v
			}
		}
	}
	return sm
}

func (sm streamMeta) deleted() bool { return sm.tb != nil && *sm.tb == deletedTB }

// exists reports whether a read of name finds the stream: it was written
// and is neither soft-deleted nor tombstoned. A stream whose events $tb,
// $maxCount or $maxAge all hide exists, and reads of it are empty, as on a
// real server.
func (m *Memory) exists(name string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	st := m.streams[name]
	return st != nil && st.last >= 0 && !st.tombstoned && !m.metaLocked(name).deleted()
}

// windowLocked returns the part of st (the stream name) that stream reads
// may show, st.events[lo:hi], found by binary search without copying:
// never the tombstone, nothing below $tb or outside the last $maxCount
// revisions, nothing older than $maxAge. When the stream's stamps are not
// in order (the clock went back), $maxAge cannot be searched for and
// hidden, if not nil, reports the events of the window it hides.
func (m *Memory) windowLocked(name string, st *stream) (lo, hi int, hidden func(*Event) bool) {
	hi = len(st.events)
	if hi > 0 && st.events[hi-1].Revision == tombstoneRevision {
		hi--
	}
	sm := m.metaLocked(name)
	floor := int64(0)
	if sm.tb != nil && *sm.tb > floor {
		floor = *sm.tb
	}
	if sm.maxCount != nil {
		if c := st.last - *sm.maxCount + 1; c > floor {
			floor = c
		}
	}
	lo = m.searchLocked(st, 0, hi, func(e *Event) bool { return int64(e.Revision) >= floor })
	if sm.maxAge != nil {
		cutoff := m.now().Add(-time.Duration(*sm.maxAge) * time.Second)
		if st.unordered {
			hidden = func(e *Event) bool { return e.Created.Before(cutoff) }
		} else {
			lo = m.searchLocked(st, lo, hi, func(e *Event) bool { return !e.Created.Before(cutoff) })
		}
	}
	return lo, hi, hidden
}

// searchLocked returns the first index in [lo, hi) of st.events where ok
// holds (hi if none); ok must be false then true along the range.
func (m *Memory) searchLocked(st *stream, lo, hi int, ok func(*Event) bool) int {
	return lo + sort.Search(hi-lo, func(i int) bool {
		m.examined.Add(1)
		return ok(st.events[lo+i])
	})
}

// hiddenLocked reports whether e of st is hidden from stream reads.
func (m *Memory) hiddenLocked(st *stream, sm streamMeta, e *Event, now time.Time) bool {
	switch {
	case e.Revision == tombstoneRevision:
		return true
	case sm.tb != nil && int64(e.Revision) < *sm.tb:
		return true
	case sm.maxCount != nil && int64(e.Revision) <= st.last-*sm.maxCount:
		return true
	case sm.maxAge != nil && e.Created.Before(now.Add(-time.Duration(*sm.maxAge)*time.Second)):
		return true
	}
	return false
}

// Scavenge physically removes from $all (and the streams) every event that
// stream reads no longer show: truncated by $tb, $maxCount or $maxAge,
// soft-deleted, old metadata, and the events of tombstoned streams (the
// tombstone itself stays), as a server scavenge does. It returns how many
// events it removed. Revisions are not reused afterwards.
func (m *Memory) Scavenge() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	gone := map[*Event]bool{}
	for name, st := range m.streams {
		sm := m.metaLocked(name)
		kept := st.events[:0:0]
		for _, e := range st.events {
			drop := e.Revision != tombstoneRevision && (st.tombstoned || m.hiddenLocked(st, sm, e, now))
			if drop {
				gone[e] = true
				continue
			}
			kept = append(kept, e)
		}
		st.events = kept
		st.ids = make(map[uuid.UUID]*Event, len(kept))
		for _, e := range kept {
			if _, dup := st.ids[e.ID]; !dup {
				st.ids[e.ID] = e
			}
		}
	}
	if len(gone) == 0 {
		return 0
	}
	kept := m.all[:0:0]
	for _, e := range m.all {
		if !gone[e] {
			kept = append(kept, e)
		}
	}
	m.all = kept
	m.broadcast()
	return len(gone)
}

// validStartLocked reports whether a read of $all may start at pos: 0 (the
// start), the position of an event (also one a scavenge removed since), or
// past the end of the log. Any other position lies inside an event's
// record, and a real server refuses it.
func (m *Memory) validStartLocked(pos uint64) bool {
	if pos == 0 || pos > m.lastPos {
		return true
	}
	_, ok := slices.BinarySearch(m.bounds, pos)
	return ok
}

// after returns the index in m.all of the first event with a position above
// pos; m.mu must be held.
func (m *Memory) afterLocked(pos uint64) int {
	return sort.Search(len(m.all), func(i int) bool {
		m.examined.Add(1)
		return m.all[i].Position > pos
	})
}

// fromLocked returns the index of the first event at or above pos.
func (m *Memory) fromLocked(pos uint64) int {
	return sort.Search(len(m.all), func(i int) bool {
		m.examined.Add(1)
		return m.all[i].Position >= pos
	})
}
