package ledger

import (
	"context"
	"fmt"
	"strings"

	"github.com/segmentio/ksuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// DefaultLocation is where the ledger is when none is given.
const DefaultLocation = "./breachledger.db"

// Open opens the store at location: a file path (or file: URL) for the
// embedded SQLite store, or an esdb:// or esdb+discover:// connection
// string for EventStoreDB / KurrentDB (see package esdb). With create, a
// missing file is created; without, a missing ledger is
// eventstore.ErrNoLedger. An EventStoreDB ledger needs no creating.
func Open(ctx context.Context, location string, create bool) (eventstore.Store, error) {
	return open(ctx, location, sqlite.Options{Create: create})
}

// OpenReader opens the store at location for reading only. A SQLite ledger
// is then left exactly as it was, file and directory: no schema created or
// upgraded, no mode switched, no -wal or -shm created (sqlite.Options.
// ReadOnly), so it can be read on read-only media; a file that is not a
// ledger is refused (eventstore.ErrNotLedger). live is for a reader that
// runs on while others append (serve): it sees their appends, reading
// through the -wal and -shm files, which SQLite creates if they are
// missing and the directory lets it.
func OpenReader(ctx context.Context, location string, live bool) (eventstore.Store, error) {
	return open(ctx, location, sqlite.Options{ReadOnly: true, Live: live})
}

func open(ctx context.Context, location string, opts sqlite.Options) (eventstore.Store, error) {
	if esdb.IsLocation(location) {
		st, err := esdb.Open(ctx, location, esdb.Options{})
		if err != nil {
			return nil, fmt.Errorf("open ledger: %w", err) // names the location, without its password
		}
		return st, nil
	}
	path := location
	if scheme, rest, ok := strings.Cut(location, "://"); ok {
		switch scheme {
		case "file", "sqlite":
			path = rest
		default:
			return nil, fmt.Errorf("open ledger %s: unknown store %q (use a file path for the embedded SQLite store, or esdb:// for EventStoreDB)", location, scheme)
		}
	}
	if path == "" {
		return nil, fmt.Errorf("open ledger: empty path")
	}
	st, err := sqlite.Open(ctx, path, opts)
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", location, err)
	}
	return st, nil
}

// NewIncidentID returns a new incident ID: a KSUID, time-sortable and easy
// to copy and paste.
func NewIncidentID() string { return ksuid.New().String() }
