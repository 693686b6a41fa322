package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/ledger"
)

// cancellingStore cancels a read's context during its n-th page: before
// the store reads it (the store itself then fails), or after the store has
// returned it whole (so only ReadHistory can notice).
type cancellingStore struct {
	eventstore.Store
	cancel context.CancelFunc
	at     int64 // which ReadAll call cancels, counting from 1
	after  bool  // cancel after the page was read, not before
	calls  atomic.Int64
}

func (s *cancellingStore) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	n := s.calls.Add(1)
	if n == s.at && !s.after {
		s.cancel()
	}
	recs, err := s.Store.ReadAll(ctx, from, limit)
	if n == s.at && s.after {
		s.cancel()
	}
	return recs, err
}

// historyLedger is a ledger of pages full pages and a part page of notes on
// a handful of incidents.
func historyLedger(t *testing.T, pages int) (eventstore.Store, int) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Memory, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t0 := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	total := pages*eventstore.DefaultPageSize + 17
	for inc, left := 0, total; left > 0; inc++ {
		n := min(left, 500)
		recs := make([]eventstore.Record, n)
		for i := range recs {
			var e domain.Event = domain.NoteAdded{Text: fmt.Sprintf("note %d", i)}
			if i == 0 {
				e = domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "s", AwareAt: t0, Role: domain.RoleBoth}
			}
			typ, payload, err := domain.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			recs[i] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: typ, OccurredAt: t0, Actor: "oscar", Payload: payload}
		}
		if _, err := st.Append(ctx, domain.IncidentStream(fmt.Sprintf("INC%d", inc)), eventstore.NoStream, recs); err != nil {
			t.Fatal(err)
		}
		left -= n
	}
	return st, total
}

// readWithin runs ReadHistory and fails the test if it has not returned
// after a minute: a hang, not a slow read.
func readWithin(t *testing.T, ctx context.Context, st eventstore.Store) (int, error) {
	t.Helper()
	type result struct {
		facts int
		err   error
	}
	done := make(chan result, 1)
	go func() {
		h, err := ledger.ReadHistory(ctx, st)
		n := 0
		if h != nil {
			for _, facts := range h.Incidents {
				n += len(facts)
			}
		}
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		return r.facts, r.err
	case <-time.After(time.Minute):
		t.Fatal("ReadHistory did not return a minute after its context was cancelled")
		return 0, nil
	}
}

// Cancelled at any page, before or after the store read it, ReadHistory
// returns the context's error and no history: never a partial history
// with a nil error, never a hang.
func TestReadHistoryCancelledAtEveryPage(t *testing.T) {
	const pages = 2
	st, _ := historyLedger(t, pages)
	rng := rand.New(rand.NewPCG(11, 6))
	for i := range 150 {
		ctx, cancel := context.WithCancel(context.Background())
		cs := &cancellingStore{Store: st, cancel: cancel, at: 1 + rng.Int64N(pages+1), after: rng.IntN(2) == 0}
		n, err := readWithin(t, ctx, cs)
		cancel()
		if !errors.Is(err, context.Canceled) || n != 0 {
			t.Fatalf("run %d (cancelled in read %d, after=%v): %d facts, error %v; want no history and context.Canceled", i, cs.at, cs.after, n, err)
		}
	}
}

// Cancelled at a random moment, up to a little longer than a whole read
// takes, ReadHistory returns either the whole history or the context's
// error.
func TestReadHistoryCancelledAtRandomMoments(t *testing.T) {
	st, total := historyLedger(t, 2)
	start := time.Now()
	if n, err := readWithin(t, context.Background(), st); err != nil || n != total {
		t.Fatalf("uncancelled read: %d of %d facts, error %v", n, total, err)
	}
	span := int64(time.Since(start)) * 5 / 4
	rng := rand.New(rand.NewPCG(11, 7))
	var whole, cancelled int
	for i := range 150 {
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(time.Duration(rng.Int64N(span)), cancel)
		n, err := readWithin(t, ctx, st)
		timer.Stop()
		cancel()
		switch {
		case err == nil && n == total:
			whole++
		case errors.Is(err, context.Canceled) && n == 0:
			cancelled++
		default:
			t.Fatalf("run %d: %d of %d facts, error %v; want all of them or context.Canceled", i, n, total, err)
		}
	}
	t.Logf("%d whole histories, %d cancelled reads", whole, cancelled)
}
