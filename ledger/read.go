package ledger

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
)

// ReadStream returns the facts of one stream that count; a missing stream
// has none. Of a stream other than the ledger stream, it leaves out the
// facts that lost a revocation race (history.Races), judged with the
// ledger stream, which it reads after the stream: a revocation that
// precedes one of the stream's facts is then read too.
func ReadStream(ctx context.Context, s eventstore.Store, stream string) ([]domain.Fact, error) {
	recs, err := readRecords(ctx, s, stream)
	if err != nil {
		return nil, err
	}
	facts, err := history.FactsOf(recs)
	if err != nil || stream == domain.LedgerStream || !anyBasis(recs) {
		return facts, err
	}
	ledgerFacts, err := ReadStream(ctx, s, domain.LedgerStream)
	if err != nil {
		return nil, err
	}
	facts, _ = history.RacesOf(ledgerFacts).Counting(facts)
	return facts, nil
}

// ReadRaces reads the ledger stream's revocations, to judge with them which
// events lost a revocation race (history.Races): those of the log
// before the read.
func ReadRaces(ctx context.Context, s eventstore.Store) (*history.Races, error) {
	facts, err := ReadStream(ctx, s, domain.LedgerStream)
	if err != nil {
		return nil, err
	}
	return history.RacesOf(facts), nil
}

// anyBasis reports whether any of recs records the ledger revision it was
// decided on: only those can have lost a revocation race.
func anyBasis(recs []eventstore.Record) bool {
	for _, r := range recs {
		if r.Basis > 0 {
			return true
		}
	}
	return false
}

// readRecords returns the records of one stream; a missing stream has none.
func readRecords(ctx context.Context, s eventstore.Store, stream string) ([]eventstore.Record, error) {
	recs, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if errors.Is(err, eventstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	return recs, nil
}

// ReadHistory reads the whole ledger into a History. Reading and decoding
// overlap: one goroutine reads pages of records from the store while others
// decode the pages already read (as many at once as there are CPUs), and
// the facts are added in sequence order, as a plain loop would add them.
//
// A read is whole or an error: once ctx is done, ReadHistory returns its
// error (errors.Is(err, context.Canceled) after a cancel), never the part
// read so far, and its goroutines end.
func ReadHistory(ctx context.Context, s eventstore.Store) (*history.History, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan chan decodedPage, runtime.GOMAXPROCS(0)+1) // in sequence order
	go readPages(ctx, s, pages)
	h := history.New()
	for next := range pages {
		p := <-next
		if p.err != nil {
			return nil, p.err
		}
		for _, f := range p.facts {
			h.Add(f)
		}
	}
	// readPages stops early, without an error page, when ctx is done; the
	// pages so far are then not the ledger.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	return h, nil
}

// decodedPage is one page of the log, decoded, or the error that ended the read.
type decodedPage struct {
	facts []domain.Fact
	err   error
}

// readPages reads the log a page at a time and, for each page in order,
// sends a channel on which the page's decoded facts arrive (decoded in a
// goroutine of its own, at most GOMAXPROCS at once). Every channel it sends
// receives its page. It closes pages at the end of the log, after the first
// error, or when ctx is done.
func readPages(ctx context.Context, s eventstore.Store, pages chan<- chan decodedPage) {
	defer close(pages)
	workers := make(chan struct{}, runtime.GOMAXPROCS(0))
	send := func(ch chan decodedPage) bool {
		select {
		case pages <- ch:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for from := uint64(0); ; {
		recs, err := s.ReadAll(ctx, from, eventstore.DefaultPageSize)
		if err != nil {
			ch := make(chan decodedPage, 1)
			ch <- decodedPage{err: fmt.Errorf("read ledger: %w", err)}
			send(ch)
			return
		}
		if len(recs) == 0 {
			return
		}
		select {
		case workers <- struct{}{}:
		case <-ctx.Done():
			return
		}
		ch := make(chan decodedPage, 1) // buffered: the decoder never waits for a reader that left
		go func() {
			defer func() { <-workers }()
			facts, err := history.FactsOf(recs)
			ch <- decodedPage{facts: facts, err: err}
		}()
		if !send(ch) {
			return
		}
		if len(recs) < eventstore.DefaultPageSize {
			return
		}
		from = recs[len(recs)-1].Sequence + 1
	}
}
