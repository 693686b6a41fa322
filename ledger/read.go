package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/projections"
)

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
