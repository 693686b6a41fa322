//go:build !noesdb

package stores

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
)

func openESDB(ctx context.Context, location string, opts Options) (eventstore.Store, error) {
	var eo esdb.Options
	if opts.Ranks != nil {
		name, err := RankFileName(location)
		if err != nil {
			return nil, fmt.Errorf("open ledger: %w", err)
		}
		eo.RankFile, eo.RankKey = opts.Ranks(name)
		if eo.RankFile == "" {
			eo.RankKey = nil
		}
	}
	st, err := esdb.Open(ctx, location, eo)
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err) // names the location, without its password
	}
	return st, nil
}

// ErrRankFileUnusable: the EventStoreDB rank file named by Options.Ranks
// could not be opened or made (esdb.ErrRankFileUnusable); nothing was
// opened.
var ErrRankFileUnusable = esdb.ErrRankFileUnusable

// ESDBPrefix returns the stream prefix of the EventStoreDB ledger at
// location, after checking the location as Open would (without
// connecting).
func ESDBPrefix(location string) (string, error) {
	loc, err := esdb.ParseLocation(location)
	if err != nil {
		return "", err
	}
	return loc.Prefix, nil
}

// RankFileName returns the name of the file an EventStoreDB ledger's
// ranks are kept in (Options.Ranks): "esdb-" and 24 hex digits of the
// SHA-256 of the location without its password and of its stream prefix,
// then ".ranks.db". Two spellings of one location (hosts in another
// order) keep two files: each is checked against the server before use.
func RankFileName(location string) (string, error) {
	loc, err := esdb.ParseLocation(location)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(loc.Display + "\x00" + loc.Prefix))
	return "esdb-" + hex.EncodeToString(sum[:12]) + ".ranks.db", nil
}
