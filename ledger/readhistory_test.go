package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/ledger"
)

// pagedStore reads pages at once (as sqlite.Store says it can), lacks the
// sequences in hidden (a log with gaps: ReadHistory must give what a plain
// loop gives, checking nothing more), and reports a head short by behind
// (events appended after the head was read).
type pagedStore struct {
	eventstore.Store
	hidden map[uint64]bool
	behind uint64
	heads  atomic.Int64
}

func (s *pagedStore) ReadsPagesAtOnce() bool { return true }

func (s *pagedStore) Head(ctx context.Context) (uint64, error) {
	s.heads.Add(1)
	h, err := s.Store.Head(ctx)
	return h - min(h, s.behind), err
}

func (s *pagedStore) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	recs, err := s.Store.ReadAll(ctx, from, limit+len(s.hidden))
	if err != nil {
		return nil, err
	}
	var out []eventstore.Record
	for _, r := range recs {
		if !s.hidden[r.Sequence] && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

// mixedLedger is a ledger of pages full pages and a part page, in blocks
// of 10 events rotating over 7 incidents, so pages mix streams.
func mixedLedger(t *testing.T, pages int) eventstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Memory, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t0 := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	revs := map[string]uint64{}
	for block := 0; block*10 < pages*eventstore.DefaultPageSize+123; block++ {
		stream := domain.IncidentStream(fmt.Sprintf("INC%d", block%7))
		var recs []eventstore.Record
		for j := range 10 {
			var e domain.Event = domain.NoteAdded{Text: fmt.Sprintf("note %d.%d", block, j)}
			if revs[stream] == 0 && j == 0 {
				e = domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: stream, AwareAt: t0, Role: domain.RoleBoth}
			}
			typ, payload, err := domain.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ, OccurredAt: t0.Add(time.Duration(block) * time.Minute), Actor: "oscar", Payload: payload})
		}
		if _, err := st.Append(ctx, stream, eventstore.After(revs[stream]), recs); err != nil {
			t.Fatal(err)
		}
		revs[stream] += uint64(len(recs))
	}
	return st
}

// plainHistory is the history a plain loop over the log builds.
func plainHistory(t *testing.T, st eventstore.Store) *history.History {
	t.Helper()
	h := history.New()
	for r, err := range eventstore.All(context.Background(), st, 0) {
		if err != nil {
			t.Fatal(err)
		}
		f, err := history.FactOf(r)
		if err != nil {
			t.Fatal(err)
		}
		h.Add(f)
	}
	return h
}

// sameHistory fails the test unless got has want's facts, in its order.
func sameHistory(t *testing.T, got, want *history.History) {
	t.Helper()
	if g, w := got.IncidentIDs(), want.IncidentIDs(); !reflect.DeepEqual(g, w) {
		t.Fatalf("incidents = %v, want %v", g, w)
	}
	for _, id := range want.IncidentIDs() {
		if g, w := got.Incidents[id], want.Incidents[id]; !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: %d facts, want %d (or they differ)", id, len(g), len(w))
		}
	}
	if !reflect.DeepEqual(got.Ledger, want.Ledger) || !reflect.DeepEqual(got.Raced, want.Raced) {
		t.Fatal("ledger or raced facts differ")
	}
}

// withCPUs runs the test with GOMAXPROCS n: ReadHistory reads pages side
// by side only with more than two CPUs.
func withCPUs(t *testing.T, n int) {
	prev := runtime.GOMAXPROCS(n)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

// With more than two CPUs, ReadHistory reads the pages below the head of
// a store that can side by side, a range of sequences each, then what was
// appended since a page after another: the history is the one a plain
// loop builds, also where the log lacks sequences (a range then holds
// fewer records, and a page read past a gap reaches into the next range).
func TestReadHistoryReadsRangesAtOnce(t *testing.T) {
	withCPUs(t, 4)
	ctx := context.Background()
	st := mixedLedger(t, 5)
	rng := rand.New(rand.NewPCG(22, 3))
	tests := []struct {
		name   string
		hidden []uint64
		behind uint64
	}{
		{"whole", nil, 0},
		{"appended since the head", nil, 1500},
		{"all appended since", nil, 6000},
		{"gaps", []uint64{0, 999, 1000, 1001, 2500, 5122}, 0},
		{"a range missing", seqs(2000, 3000), 0},
		{"random gaps and appended since", randomSeqs(rng, 200, 5123), 700},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := &pagedStore{Store: st, hidden: map[uint64]bool{}, behind: tt.behind}
			for _, s := range tt.hidden {
				ps.hidden[s] = true
			}
			want := plainHistory(t, ps)
			got, err := ledger.ReadHistory(ctx, ps)
			if err != nil {
				t.Fatal(err)
			}
			sameHistory(t, got, want)
			// The ranges start at the head, read once.
			if n := ps.heads.Load(); n != 1 {
				t.Errorf("ReadHistory read the head %d times, want once", n)
			}
		})
	}
}

func seqs(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s < to; s++ {
		out = append(out, s)
	}
	return out
}

func randomSeqs(rng *rand.Rand, n int, below uint64) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = rng.Uint64N(below)
	}
	return out
}

// pagedCancellingStore is a cancellingStore that reads pages at once.
type pagedCancellingStore struct{ *cancellingStore }

func (pagedCancellingStore) ReadsPagesAtOnce() bool { return true }

// Reading ranges side by side, cancelled at any page, before or after the
// store read it, ReadHistory returns the context's error and no history.
func TestReadHistoryRangesCancelledAtEveryPage(t *testing.T) {
	withCPUs(t, 4)
	const pages = 3
	st, _ := historyLedger(t, pages)
	rng := rand.New(rand.NewPCG(22, 4))
	for i := range 100 {
		ctx, cancel := context.WithCancel(context.Background())
		cs := pagedCancellingStore{&cancellingStore{Store: st, cancel: cancel, at: 1 + rng.Int64N(pages+1), after: rng.IntN(2) == 0}}
		n, err := readWithin(t, ctx, cs)
		cancel()
		if !errors.Is(err, context.Canceled) || n != 0 {
			t.Fatalf("run %d (cancelled in read %d, after=%v): %d facts, error %v; want no history and context.Canceled", i, cs.at, cs.after, n, err)
		}
	}
}

// Reading ranges side by side, a failed read ends ReadHistory with its
// error, whichever range it was.
func TestReadHistoryRangeReadError(t *testing.T) {
	withCPUs(t, 4)
	st := mixedLedger(t, 4)
	for at := int64(1); at <= 5; at++ {
		fs := &failingAt{Store: st, at: at}
		if _, err := ledger.ReadHistory(context.Background(), fs); !errors.Is(err, errPage) {
			t.Fatalf("failing read %d: ReadHistory = %v, want the page's error", at, err)
		}
	}
}

// failingAt reads pages at once and fails its at-th ReadAll call.
type failingAt struct {
	eventstore.Store
	at    int64
	calls atomic.Int64
}

func (s *failingAt) ReadsPagesAtOnce() bool { return true }

func (s *failingAt) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	if s.calls.Add(1) == s.at {
		return nil, errPage
	}
	return s.Store.ReadAll(ctx, from, limit)
}

// ReadHistory allocates what reading and decoding the log allocate (the
// work every reader does), the facts it keeps, and little more: not a
// second copy of every fact for each page decoded, nor an incident's
// slice grown in steps of twice its size, nor a string per event ID.
func TestReadHistoryAllocations(t *testing.T) {
	withCPUs(t, 2) // the pages decoded at once, and so the page buffers, depend on it
	ctx := context.Background()
	st := bulkLedger(t, 250, 20)
	n := 250 * 20
	shared := bytesOf(t, func() {
		for r, err := range eventstore.All(ctx, st, 0) {
			if err != nil {
				t.Fatal(err)
			}
			if _, err := domain.Decode(r.Type, r.Payload); err != nil {
				t.Fatal(err)
			}
		}
	})
	got := bytesOf(t, func() {
		if _, err := ledger.ReadHistory(ctx, st); err != nil {
			t.Fatal(err)
		}
	})
	// The facts kept, and some room for slices rounded up to a size class;
	// the page buffers of the pages decoded at once (the two CPUs' and one
	// waiting to be added) and one waiting in the channel.
	fact := uint64(unsafe.Sizeof(domain.Fact{}))
	t.Logf("ReadHistory of %d events allocated %d bytes; reading and decoding %d, the facts %d", n, got, shared, uint64(n)*fact)
	if want := shared + uint64(n)*fact*5/4 + 4*eventstore.DefaultPageSize*fact; got > want {
		t.Errorf("ReadHistory of %d events allocated %d bytes, want at most %d: reading and decoding allocate %d, the facts %d", n, got, want, shared, uint64(n)*fact)
	}
}

// bulkLedger is a ledger of incidents with perIncident notes each,
// appended an incident at a time (as a bulk import would).
func bulkLedger(t *testing.T, incidents, perIncident int) eventstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Memory, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t0 := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	for inc := range incidents {
		recs := make([]eventstore.Record, perIncident)
		for i := range recs {
			typ, payload, err := domain.Encode(domain.NoteAdded{Text: fmt.Sprintf("note %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			recs[i] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: typ, OccurredAt: t0, Actor: "oscar", Payload: payload}
		}
		if _, err := st.Append(ctx, domain.IncidentStream(fmt.Sprintf("INC%d", inc)), eventstore.NoStream, recs); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// bytesOf returns the bytes fn allocates, the least of three runs (a
// garbage collection's own allocations can fall in one).
func bytesOf(t *testing.T, fn func()) uint64 {
	t.Helper()
	least := uint64(math.MaxUint64)
	for range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		fn()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}
