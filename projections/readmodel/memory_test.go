package readmodel_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// Kept in memory (a reader with nowhere to keep them), the read models
// give the digests the history gives; two of them are apart (each its own
// database); concurrent reads share the one database; and closed, the
// memory is gone (a new one starts at position 0).
func TestMemory(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ss := steps(f)
	for _, step := range ss {
		step()
	}
	h := readHistory(t, f.st)
	k := openKept(t, f.st, readmodel.Memory)
	p, err := k.CatchUp(ctx, at("2025-04-01T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(len(ss)); p.To != want {
		t.Errorf("caught up to %d, want %d (every event)", p.To, want)
	}
	for _, s := range asOfs {
		got, err := k.Digests(ctx, at(s))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(reference(t, h, at(s)), got); diff != "" {
			t.Errorf("as of %s: digests differ from the replay (-replay +kept):\n%s", s, diff)
		}
	}

	// Another ledger's models in memory at the same time: apart.
	other := newFixture(t)
	other.add(domain.LedgerStream, "2025-01-01T00:00:00Z", "admin", domain.LedgerInitialized{Name: "other", Admin: "admin"})
	k2 := openKept(t, other.st, readmodel.Memory)
	if _, err := k2.CatchUp(ctx, at("2025-04-01T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	if k2.Position() != 1 || k.Position() != p.To {
		t.Errorf("positions %d and %d, want 1 and %d", k2.Position(), k.Position(), p.To)
	}
	if l, err := k2.List(ctx, at("2025-04-01T00:00:00Z"), false, readmodel.Page{}, false); err != nil || len(l.Incidents) != 0 {
		t.Errorf("the other ledger lists %d incidents (%v), want 0", len(l.Incidents), err)
	}

	// Concurrent reads (serve's requests) on the pool's connections.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dl, err := k.Deadlines(ctx, at("2025-03-12T12:00:00Z"), projections.DeadlineFilter{Overdue: true}, readmodel.Page{}, true)
			if err == nil && len(dl.Deadlines) != 2 {
				t.Errorf("overdue rows = %d, want 2 (A's Art. 34 communication and fabrikam's notice)", len(dl.Deadlines))
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}

	k.Close()
	again := openKept(t, f.st, readmodel.Memory)
	if again.Position() != 0 {
		t.Errorf("a new in-memory Kept starts at %d, want 0", again.Position())
	}
}
