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
	if recs, err = openRecords(ctx, recs); err != nil { // seal.go
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
// overlap: pages of records are read from the store and decoded on as many
// goroutines at once as there are CPUs, and the facts are added in
// sequence order, as a plain loop would add them. The log is read a page
// at a time, each page decoded while the next is read: reading takes
// about as long as decoding, so on two CPUs that keeps both busy. With
// more CPUs, and a store that can read any page at once (pageReader:
// SQLite), the pages below the head are read side by side instead, each
// by the goroutine that decodes it.
//
// A read is whole or an error: once ctx is done, ReadHistory returns its
// error (errors.Is(err, context.Canceled) after a cancel), never the part
// read so far, and its goroutines end.
func ReadHistory(ctx context.Context, s eventstore.Store) (*history.History, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	pages := make(chan chan decodedPage, workers+1) // in sequence order
	free := make(chan []domain.Fact, workers+2)     // pages' facts, added: to decode the next pages into
	go readPages(ctx, s, pages, free, workers)
	h := history.New()
	for next := range pages {
		p := <-next
		if p.err != nil {
			return nil, p.err
		}
		h.AddAll(p.facts)
		select {
		case free <- p.facts[:0]:
		default:
		}
	}
	// readPages stops early, without an error page, when ctx is done; the
	// pages so far are then not the ledger.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	return h, nil
}

// pageReader is a store whose ReadAll costs the rows it returns from any
// sequence, and whose ReadAll calls may run at once (sqlite.Store).
type pageReader interface {
	ReadsPagesAtOnce() bool
}

// decodedPage is one page of the log, decoded, or the error that ended the read.
type decodedPage struct {
	facts []domain.Fact
	err   error
}

// readPages reads the log a page at a time and, for each page in order,
// sends a channel on which the page's decoded facts arrive (decoded in a
// goroutine of its own, at most workers at once, into a slice from free
// when there is one). Of a pageReader, with more than two workers, the
// pages below the head (read first) are read in those goroutines too, a
// range of sequences each; the rest of the log, appended since, is read
// here, a page after another.
// Every channel it sends receives its page. It closes pages at the end of
// the log, after the first error, or when ctx is done.
func readPages(ctx context.Context, s eventstore.Store, pages chan<- chan decodedPage, free chan []domain.Fact, workers int) {
	defer close(pages)
	sem := make(chan struct{}, workers)
	// spawn runs page in a goroutine of its own once a worker is free, and
	// sends the channel its result arrives on; false when ctx is done.
	spawn := func(page func(facts []domain.Fact) decodedPage) bool {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return false
		}
		ch := make(chan decodedPage, 1) // buffered: the decoder never waits for a reader that left
		go func() {
			defer func() { <-sem }()
			var facts []domain.Fact
			select {
			case facts = <-free:
			default:
			}
			ch <- page(facts)
		}()
		select {
		case pages <- ch:
			return true
		case <-ctx.Done():
			return false
		}
	}
	fail := func(err error) {
		ch := make(chan decodedPage, 1)
		ch <- decodedPage{err: fmt.Errorf("read ledger: %w", err)}
		select {
		case pages <- ch:
		case <-ctx.Done():
		}
	}
	const size = eventstore.DefaultPageSize
	from := uint64(0)
	if pr, ok := s.(pageReader); ok && pr.ReadsPagesAtOnce() && workers > 2 {
		head, err := s.Head(ctx)
		if err != nil {
			fail(err)
			return
		}
		for ; from < head; from += size {
			start := from
			if !spawn(func(facts []domain.Fact) decodedPage { return readRange(ctx, s, start, start+size, facts) }) {
				return
			}
		}
	}
	for {
		recs, err := s.ReadAll(ctx, from, size)
		if err != nil {
			fail(err)
			return
		}
		if len(recs) == 0 {
			return
		}
		if !spawn(func(facts []domain.Fact) decodedPage { return decode(ctx, recs, facts) }) {
			return
		}
		if len(recs) < size {
			return
		}
		from = recs[len(recs)-1].Sequence + 1
	}
}

// readRange reads and decodes the records of sequences from to end-1 (all
// there are of them: the log may lack some) into facts.
func readRange(ctx context.Context, s eventstore.Store, from, end uint64, facts []domain.Fact) decodedPage {
	recs, err := s.ReadAll(ctx, from, int(end-from))
	if err != nil {
		return decodedPage{err: fmt.Errorf("read ledger: %w", err)}
	}
	n := len(recs)
	for n > 0 && recs[n-1].Sequence >= end { // past a gap, the next range's
		n--
	}
	return decode(ctx, recs[:n], facts)
}

// decode returns the page of recs decoded, appended to facts[:0], their
// sealed fields opened by ctx's Opener (seal.go).
func decode(ctx context.Context, recs []eventstore.Record, facts []domain.Fact) decodedPage {
	recs, err := openRecords(ctx, recs)
	if err != nil {
		return decodedPage{err: err}
	}
	if cap(facts) < len(recs) {
		facts = make([]domain.Fact, 0, len(recs))
	}
	facts, err = history.AppendFacts(facts[:0], recs)
	if err != nil {
		return decodedPage{err: err}
	}
	return decodedPage{facts: facts}
}
