package esdbtest

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
)

// fill appends n events to name, in batches, straight to the memory.
func fill(tb testing.TB, m *Memory, name string, n int) {
	tb.Helper()
	for n > 0 {
		k := min(n, 1000)
		evs := make([]*Event, k)
		for i := range evs {
			evs[i] = &Event{ID: uuid.New(), Type: "E", ContentType: "application/json", Data: []byte(`{}`)}
		}
		if _, err := m.append(name, expectation{kind: expectAny}, evs); err != nil {
			tb.Fatal(err)
		}
		n -= k
	}
}

func setMeta(tb testing.TB, m *Memory, name string, meta map[string]any) {
	tb.Helper()
	data, err := json.Marshal(meta)
	if err != nil {
		tb.Fatal(err)
	}
	e := &Event{ID: uuid.New(), Type: "$metadata", ContentType: "application/json", Data: data}
	if _, err := m.append("$$"+name, expectation{kind: expectAny}, []*Event{e}); err != nil {
		tb.Fatal(err)
	}
}

// examine returns how many stored events f looked at.
func examine(m *Memory, f func()) int64 {
	before := m.examined.Load()
	f()
	return m.examined.Load() - before
}

// TestCostFollowsTheAnswer: a read of the last 10 events of a 100,000-event
// stream, a subscription's next batch near its end, an idempotent retry and
// a $all read near the end look at O(10 + log n) events, not n. (Before,
// every stream read copied and filtered the whole stream, the
// subscription and the idempotency check scanned it from the start.)
func TestCostFollowsTheAnswer(t *testing.T) {
	const n = 100_000
	m := NewMemory()
	fill(t, m, "big", n)
	fill(t, m, "other", 10)
	s := &streamsServer{srv: &Server{mem: m}}
	limit := int64(10 + 4*bits.Len(n) + 4)

	check := func(what string, wantEvents int, f func() int) {
		t.Helper()
		var got int
		if ex := examine(m, func() { got = f() }); ex > limit {
			t.Errorf("%s examined %d events of %d, want at most %d (10 + O(log n))", what, ex, n, limit)
		}
		if got != wantEvents {
			t.Errorf("%s returned %d events, want %d", what, got, wantEvents)
		}
	}
	read := func(r readOpts) func() int {
		return func() int {
			evs, found, _ := s.readStream(r)
			if !found {
				t.Errorf("readStream(%+v) found no stream", r)
			}
			return len(evs)
		}
	}
	check("forwards read from revision n-10", 10, read(readOpts{stream: "big", from: n - 10, count: 10}))
	check("forwards read from revision n-10, count 1000", 10, read(readOpts{stream: "big", from: n - 10, count: 1000}))
	check("backwards read from the end", 10, read(readOpts{stream: "big", end: true, backwards: true, count: 10}))
	check("backwards read from revision n/2", 10, read(readOpts{stream: "big", from: n / 2, backwards: true, count: 10}))
	check("forwards read from the start", 10, read(readOpts{stream: "big", start: true, count: 10}))
	check("subscription batch after revision n-11", 10, func() int {
		evs, _, _ := s.next(readOpts{stream: "big"}, n-11, true)
		return len(evs)
	})
	check("$all read from near the end", 10, func() int {
		m.mu.RLock()
		pos := m.all[len(m.all)-20].Position
		m.mu.RUnlock()
		return len(s.readAll(readOpts{all: true, from: pos, count: 10}))
	})
	check("idempotent retry of the last event", 0, func() int {
		m.mu.RLock()
		last := m.streams["big"].events[n-1]
		m.mu.RUnlock()
		retry := &Event{ID: last.ID, Type: "E", ContentType: "application/json"}
		res, err := m.append("big", expectation{kind: expectRevision, rev: n - 2}, []*Event{retry})
		if err != nil || res.written || res.wrong || res.current != n-1 {
			t.Errorf("retry of the last event = %+v, %v; want an idempotent success at revision %d", res, err, n-1)
		}
		return 0
	})

	// Truncation: the window is found by binary search, not by a scan.
	setMeta(t, m, "big", map[string]any{"$maxCount": 50, "$maxAge": 3600, "$tb": 10})
	check("forwards read from the start under $maxCount 50", 10, read(readOpts{stream: "big", start: true, count: 10}))
	check("backwards read under $maxCount 50 and $maxAge", 10, read(readOpts{stream: "big", end: true, backwards: true, count: 10}))
	setMeta(t, m, "big", map[string]any{"$tb": n - 5})
	check("forwards read from the start under $tb n-5", 5, read(readOpts{stream: "big", start: true, count: 10}))
}

func BenchmarkReadStreamTail(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			m := NewMemory()
			fill(b, m, "s", n)
			s := &streamsServer{srv: &Server{mem: m}}
			r := readOpts{stream: "s", from: uint64(n - 10), count: 10}
			before := m.examined.Load()
			b.ResetTimer()
			for b.Loop() {
				if evs, _, _ := s.readStream(r); len(evs) != 10 {
					b.Fatalf("read %d events, want 10", len(evs))
				}
			}
			b.ReportMetric(float64(m.examined.Load()-before)/float64(b.N), "examined/op")
		})
	}
}

// The reference: stream reads, subscription batches and the idempotency
// check as they were written before reads were made proportional to the
// answer (copy the visible stream, then scan it). The property test below
// holds the new code to exactly their answers.

func refVisible(m *Memory, name string) []*Event {
	st := m.streams[name]
	if st == nil {
		return nil
	}
	sm := m.metaLocked(name)
	now := m.now()
	var out []*Event
	for _, e := range st.events {
		if !m.hiddenLocked(st, sm, e, now) {
			out = append(out, e)
		}
	}
	return out
}

func refReadStream(m *Memory, r readOpts) (evs []*Event, found, deleted bool) {
	if st := m.streams[r.stream]; st != nil && st.tombstoned {
		return nil, true, true
	}
	visible := refVisible(m, r.stream)
	if len(visible) == 0 {
		return nil, false, false
	}
	if r.start {
		r.from = 0
	}
	if r.backwards {
		for i := len(visible) - 1; i >= 0 && uint64(len(evs)) < r.count; i-- {
			if r.end || visible[i].Revision <= r.from {
				evs = append(evs, visible[i])
			}
		}
		return evs, true, false
	}
	if r.end {
		return nil, true, false
	}
	for _, e := range visible {
		if uint64(len(evs)) >= r.count {
			break
		}
		if e.Revision >= r.from {
			evs = append(evs, e)
		}
	}
	return evs, true, false
}

func refNext(m *Memory, name string, cursor uint64, started bool) (out []*Event, last uint64, scanned int) {
	st := m.streams[name]
	if st == nil {
		return nil, 0, 0
	}
	for _, e := range st.events {
		if started && e.Revision <= cursor || e.Revision == tombstoneRevision {
			continue
		}
		out = append(out, e)
		last = e.Revision
		scanned++
		if scanned == subscriptionBatch {
			break
		}
	}
	return out, last, scanned
}

func refIdempotent(st *stream, exp expectation, evs []*Event) (appendResult, bool) {
	if st == nil || len(evs) == 0 {
		return appendResult{}, false
	}
	first := -1
	for i, e := range st.events {
		if e.ID == evs[0].ID {
			first = i
			break
		}
	}
	if first < 0 {
		return appendResult{}, false
	}
	rev := st.events[first].Revision
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
		if st.events[first+i].ID != e.ID {
			return appendResult{}, false
		}
	}
	last := st.events[first+len(evs)-1]
	return appendResult{current: int64(last.Revision), position: last.Position}, true
}

// TestReadsAsBefore drives random histories (appends, retries, repeated
// IDs, $tb, $maxCount, $maxAge, soft deletes, a clock that goes back,
// scavenges, tombstones) and checks every stream read, subscription batch
// and idempotency verdict against the reference.
func TestReadsAsBefore(t *testing.T) {
	for seed := range uint64(10) {
		rng := rand.New(rand.NewPCG(seed, 19))
		m := NewMemory()
		clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		m.now = func() time.Time { return clock }
		s := &streamsServer{srv: &Server{mem: m}}
		names := []string{"a", "b", "c"}
		var batches [][]uuid.UUID // earlier batches, for retries
		for step := range 120 {
			name := names[rng.IntN(len(names))]
			switch op := rng.IntN(20); {
			case op < 10: // an append: new events, or a retry of an earlier batch
				var ids []uuid.UUID
				if len(batches) > 0 && rng.IntN(3) == 0 {
					ids = batches[rng.IntN(len(batches))]
				} else {
					for range 1 + rng.IntN(3) {
						ids = append(ids, uuid.New())
					}
					batches = append(batches, ids)
				}
				evs := make([]*Event, len(ids))
				for i, id := range ids {
					evs[i] = &Event{ID: id, Type: "E", ContentType: "application/json"}
				}
				var exp expectation
				cur := int64(-1)
				if st := m.streams[name]; st != nil {
					cur = st.last
				}
				switch rng.IntN(5) {
				case 0:
					exp = expectation{kind: expectAny}
				case 1:
					exp = expectation{kind: expectNoStream}
				case 2:
					exp = expectation{kind: expectExists}
				default:
					exp = expectation{kind: expectRevision, rev: uint64(max(0, cur+int64(rng.IntN(3))-2))}
				}
				m.mu.RLock()
				st := m.streams[name]
				gotRes, gotOK := m.idempotent(st, exp, evs)
				wantRes, wantOK := refIdempotent(st, exp, evs)
				m.mu.RUnlock()
				if gotOK != wantOK || gotRes != wantRes {
					t.Fatalf("seed %d step %d: idempotent(%s, %v, %d events) = %+v, %v; want %+v, %v", seed, step, name, exp, len(evs), gotRes, gotOK, wantRes, wantOK)
				}
				_, _ = m.append(name, exp, evs)
			case op < 13:
				meta := map[string]any{}
				if rng.IntN(2) == 0 {
					meta["$maxCount"] = rng.IntN(6)
				}
				if rng.IntN(2) == 0 {
					meta["$maxAge"] = 1 + rng.IntN(100)
				}
				if rng.IntN(2) == 0 {
					meta["$tb"] = rng.IntN(12) - 1
				}
				setMeta(t, m, name, meta)
			case op < 14:
				_, _, _ = m.softDelete(name, expectation{kind: expectAny})
			case op < 18: // the clock moves, now and then backwards
				clock = clock.Add(time.Duration(rng.IntN(60)-10) * time.Second)
			case op < 19:
				m.Scavenge()
			default:
				if rng.IntN(4) == 0 {
					_, _, _ = m.tombstone(name, expectation{kind: expectAny})
				}
			}
			for _, name := range append(names, "$$a", "missing") {
				compareReads(t, m, s, name, fmt.Sprintf("seed %d step %d", seed, step))
			}
		}
	}
}

func compareReads(t *testing.T, m *Memory, s *streamsServer, name, at string) {
	t.Helper()
	m.mu.RLock()
	last := int64(-1)
	if st := m.streams[name]; st != nil {
		last = st.last
	}
	m.mu.RUnlock()
	for _, backwards := range []bool{false, true} {
		for _, count := range []uint64{0, 1, 3, 1000} {
			var reads []readOpts
			reads = append(reads, readOpts{start: true}, readOpts{end: true})
			for _, rev := range []int64{0, 1, 2, last / 2, last - 1, last, last + 1, last + 2} {
				if rev >= 0 {
					reads = append(reads, readOpts{from: uint64(rev)})
				}
			}
			for _, r := range reads {
				r.stream, r.backwards, r.count = name, backwards, count
				gotEvs, gotFound, gotDeleted := s.readStream(r)
				m.mu.RLock()
				wantEvs, wantFound, wantDeleted := refReadStream(m, r)
				m.mu.RUnlock()
				if !slices.Equal(gotEvs, wantEvs) || gotFound != wantFound || gotDeleted != wantDeleted {
					t.Fatalf("%s: readStream(%+v) = %v, found %v, deleted %v; want %v, found %v, deleted %v",
						at, r, revs(gotEvs), gotFound, gotDeleted, revs(wantEvs), wantFound, wantDeleted)
				}
			}
		}
	}
	for _, cursor := range []int64{0, 1, last / 2, last - 1, last, last + 1} {
		if cursor < 0 {
			continue
		}
		for _, started := range []bool{false, true} {
			gotEvs, gotLast, gotN := s.next(readOpts{stream: name}, uint64(cursor), started)
			m.mu.RLock()
			wantEvs, wantLast, wantN := refNext(m, name, uint64(cursor), started)
			m.mu.RUnlock()
			if !slices.Equal(gotEvs, wantEvs) || gotLast != wantLast || gotN != wantN {
				t.Fatalf("%s: next(%s, %d, %v) = %v, %d, %d; want %v, %d, %d",
					at, name, cursor, started, revs(gotEvs), gotLast, gotN, revs(wantEvs), wantLast, wantN)
			}
		}
	}
}

func revs(evs []*Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, e := range evs {
		out[i] = e.Revision
	}
	return out
}
