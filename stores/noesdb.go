//go:build noesdb

package stores

import (
	"context"
	"errors"
	"fmt"

	"github.com/breachledger/breachledger/eventstore"
)

func openESDB(_ context.Context, location string, _ Options) (eventstore.Store, error) {
	return nil, fmt.Errorf("open ledger %s: %w", Redact(location), ErrNoESDB)
}

// ErrRankFileUnusable is never returned by this binary, which opens no
// EventStoreDB ledger.
var ErrRankFileUnusable = errors.New("rank file unusable")

// ESDBPrefix returns ErrNoESDB: this binary cannot open EventStoreDB
// ledgers.
func ESDBPrefix(location string) (string, error) {
	return "", fmt.Errorf("open %s: %w", Redact(location), ErrNoESDB)
}

// RankFileName returns ErrNoESDB: this binary cannot open EventStoreDB
// ledgers.
func RankFileName(location string) (string, error) {
	return "", fmt.Errorf("open %s: %w", Redact(location), ErrNoESDB)
}
