// Package ledger is the application layer between the CLI and the rest: it
// opens a store from a location, runs the write path (load, decide, append,
// retry on conflict) and loads histories for the projections.
//
// It holds no rules of its own: the domain decides, the store stores.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/ksuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/projections"
)

// DefaultLocation is where the ledger is when none is given.
const DefaultLocation = "./breachledger.db"

// ErrConflictPersisted: other writers kept changing the stream and the
// command still conflicted after every retry.
var ErrConflictPersisted = errors.New("conflict persisted after retries")

// Open opens the store at location: a file path (or file: URL) for the
// embedded SQLite store. With create, a missing file is created; without,
// a missing ledger is eventstore.ErrNoLedger.
func Open(ctx context.Context, location string, create bool) (eventstore.Store, error) {
	path := location
	if scheme, rest, ok := strings.Cut(location, "://"); ok {
		switch scheme {
		case "file", "sqlite":
			path = rest
		default:
			return nil, fmt.Errorf("open ledger %s: unknown store %q (use a file path for the embedded SQLite store)", location, scheme)
		}
	}
	if path == "" {
		return nil, fmt.Errorf("open ledger: empty path")
	}
	st, err := sqlite.Open(ctx, path, sqlite.Options{Create: create})
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", location, err)
	}
	return st, nil
}

// NewIncidentID returns a new incident ID: a KSUID, time-sortable and easy
// to copy and paste.
func NewIncidentID() string { return ksuid.New().String() }

// Result is what a command appended.
type Result struct {
	Incident string              // the incident the command was about ("" for ledger commands)
	Records  []eventstore.Record // as stored
	Events   []domain.Event      // the events, in order
	Attempts int                 // 1 unless conflicts were retried
}

// Writer runs commands against a store.
type Writer struct {
	Store eventstore.Store
	// MaxAttempts bounds the retries on conflict (default 64).
	MaxAttempts int
}

// Execute runs the write path for one command: load the ledger stream and
// the incident's stream, let the domain decide at now, and append the
// events only if neither writer nor stream changed in between. On a
// conflict it reloads and decides again, so a command that is still valid
// lands and one that no longer is gets its refusal. Event IDs are chosen
// once, before the first attempt, so a retry after an unknown outcome is
// idempotent.
func (w Writer) Execute(ctx context.Context, incident string, c domain.Command, now time.Time) (Result, error) {
	attempts := w.MaxAttempts
	if attempts <= 0 {
		attempts = 64
	}
	stream := domain.LedgerStream
	if incident != "" {
		stream = domain.IncidentStream(incident)
	}
	var ids []uuid.UUID
	var lastConflict error
	for attempt := 1; attempt <= attempts; attempt++ {
		state, length, err := w.load(ctx, incident)
		if err != nil {
			return Result{}, err
		}
		events, err := domain.Decide(state, c, now)
		if err != nil {
			return Result{}, err
		}
		recs := make([]eventstore.Record, len(events))
		for i, e := range events {
			for len(ids) <= i {
				id, err := uuid.NewV7()
				if err != nil {
					return Result{}, fmt.Errorf("new event ID: %w", err)
				}
				ids = append(ids, id)
			}
			typ, payload, err := domain.Encode(e)
			if err != nil {
				return Result{}, err
			}
			by := domain.Origin(c)
			recs[i] = eventstore.Record{ID: ids[i], Stream: stream, Type: typ, OccurredAt: by.At.UTC(), Actor: by.Actor, Payload: payload}
		}
		stored, err := w.Store.Append(ctx, stream, eventstore.After(length), recs)
		if errors.Is(err, eventstore.ErrConflict) {
			lastConflict = err
			if err := backoff(ctx, attempt); err != nil {
				return Result{}, err
			}
			continue
		}
		if err != nil {
			return Result{}, fmt.Errorf("append to %s: %w", stream, err)
		}
		return Result{Incident: incident, Records: stored, Events: events, Attempts: attempt}, nil
	}
	return Result{}, fmt.Errorf("%w (%d attempts): %w", ErrConflictPersisted, attempts, lastConflict)
}

// backoff sleeps a random, growing while before attempt+1.
func backoff(ctx context.Context, attempt int) error {
	limit := time.Duration(min(1<<min(attempt, 8), 200)) * time.Millisecond
	t := time.NewTimer(time.Duration(rand.Int64N(int64(limit))) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (w Writer) load(ctx context.Context, incident string) (domain.State, uint64, error) {
	ledgerFacts, err := ReadStream(ctx, w.Store, domain.LedgerStream)
	if err != nil {
		return domain.State{}, 0, err
	}
	state := domain.State{Ledger: domain.ReplayLedger(ledgerFacts, domain.Cut{})}
	length := uint64(len(ledgerFacts))
	if incident != "" {
		facts, err := ReadStream(ctx, w.Store, domain.IncidentStream(incident))
		if err != nil {
			return domain.State{}, 0, err
		}
		state.Incident = projections.IncidentAt(incident, facts, domain.Cut{})
		length = uint64(len(facts))
	}
	return state, length, nil
}

// ReadStream returns the facts of one stream; a missing stream has none.
func ReadStream(ctx context.Context, s eventstore.Store, stream string) ([]domain.Fact, error) {
	recs, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if errors.Is(err, eventstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	return projections.FactsOf(recs)
}

// ReadHistory reads the whole ledger into a History.
func ReadHistory(ctx context.Context, s eventstore.Store) (*projections.History, error) {
	h := projections.NewHistory()
	for r, err := range eventstore.All(ctx, s, 0) {
		if err != nil {
			return nil, fmt.Errorf("read ledger: %w", err)
		}
		f, err := projections.FactOf(r)
		if err != nil {
			return nil, err
		}
		h.Add(f)
	}
	return h, nil
}
