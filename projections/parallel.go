package projections

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
)

// eachIndex runs fn for every i in [0, n) on up to GOMAXPROCS goroutines
// and returns the results in index order, so a fold over many incidents
// uses every CPU and still gives the same bytes. fn must only read what it
// shares with the other calls.
func eachIndex[T any](n int, fn func(i int) T) []T {
	out := make([]T, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			out[i] = fn(i)
		}
		return out
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				out[i] = fn(i)
			}
		}()
	}
	wg.Wait()
	return out
}

// States folds every incident of h into its state at the cut, in the order
// the incidents were first recorded (IncidentIDs), on every CPU.
func States(h *history.History, cut domain.Cut) []domain.Incident {
	ids := h.IncidentIDs()
	return eachIndex(len(ids), func(i int) domain.Incident {
		return history.IncidentAt(ids[i], h.Incidents[ids[i]], cut)
	})
}
