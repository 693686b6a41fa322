// Package stores chooses the store a ledger location names: a file path
// (or file: / sqlite: URL) for the embedded SQLite store, or an esdb:// or
// esdb+discover:// connection string for EventStoreDB / KurrentDB. It is
// the one place that knows the concrete stores; package ledger works on
// the eventstore interfaces only, and cmd/breachledger wires the two.
//
// The EventStoreDB client (and gRPC, protobuf) is linked unless the binary
// is built with the tag noesdb; such a binary refuses esdb:// locations
// (ErrNoESDB) and does everything else, bundle verification included.
package stores

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb/esdburl"
	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// DefaultLocation is where the ledger is when none is given.
const DefaultLocation = "./breachledger.db"

// Options control Open.
type Options struct {
	// Create makes a missing SQLite file (mode 0600). Without it, a
	// missing ledger is eventstore.ErrNoLedger. An EventStoreDB ledger
	// needs no creating.
	Create bool
	// ReadOnly opens the ledger for reading only. A SQLite ledger is then
	// left exactly as it was, file and directory: no schema created or
	// upgraded, no mode switched, no -wal or -shm created (sqlite.Options.
	// ReadOnly), so it can be read on read-only media; a file that is not
	// a ledger is refused (eventstore.ErrNotLedger).
	ReadOnly bool
	// Live, with ReadOnly, is for a reader that runs on while others
	// append (serve): it sees their appends, reading through the -wal and
	// -shm files, which SQLite creates if they are missing and the
	// directory lets it.
	Live bool
	// Ranks, when set, says where an EventStoreDB ledger's ranks are kept
	// between processes (esdb.Options.RankFile, RankKey): given a file
	// name unique to the ledger (RankFileName), it returns the file's path
	// and the MAC key of its rows, or "" to keep them in memory. It is not
	// called for a SQLite ledger.
	Ranks func(name string) (file string, key []byte)
}

// ErrBackupStore: the ledger is not kept in a file Backup can copy (an
// EventStoreDB ledger: export a bundle, or back up the server).
var ErrBackupStore = errors.New("backup copies an embedded SQLite ledger only")

// ErrNoESDB: this binary was built without the EventStoreDB client (the
// build tag noesdb) and cannot open an esdb:// location.
var ErrNoESDB = errors.New("this breachledger was built without EventStoreDB support (-tags noesdb): build it without the tag")

// IsESDB reports whether location names an EventStoreDB ledger, whether
// or not this binary can open one.
func IsESDB(location string) bool { return esdburl.IsLocation(location) }

// Open opens the store at location (see the package documentation).
func Open(ctx context.Context, location string, opts Options) (eventstore.Store, error) {
	if IsESDB(location) {
		return openESDB(ctx, location, opts) // esdb.go, or noesdb.go
	}
	path, err := filePath(location)
	switch {
	case errors.Is(err, errEmptyPath):
		return nil, fmt.Errorf("open ledger: %w", err)
	case err != nil:
		return nil, fmt.Errorf("open ledger %s: %w (use a file path for the embedded SQLite store, or esdb:// for EventStoreDB)", location, err)
	}
	st, err := sqlite.Open(ctx, path, sqlite.Options{Create: opts.Create, ReadOnly: opts.ReadOnly, Live: opts.Live})
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", location, err)
	}
	return st, nil
}

// Backup writes a consistent copy of the SQLite ledger at location (a file
// path or file: URL, as Open takes) to the new file dst while writers may
// be appending to it, as sqlite.Backup does: it reads the ledger without
// writing to it or beside it, never overwrites dst (an error wrapping
// fs.ErrExist), and leaves no half copy. An EventStoreDB location is
// ErrBackupStore.
func Backup(ctx context.Context, location, dst string) error {
	if IsESDB(location) {
		return fmt.Errorf("back up %s: %w", Redact(location), ErrBackupStore)
	}
	path, err := filePath(location)
	if err != nil {
		if !errors.Is(err, errEmptyPath) {
			err = fmt.Errorf("%w (use a file path for the embedded SQLite store)", err)
		}
		return fmt.Errorf("back up %s: %w", location, err)
	}
	return sqlite.Backup(ctx, path, dst)
}

var errEmptyPath = errors.New("empty path")

// filePath returns the file path of a SQLite location: the location
// itself, or what follows file:// or sqlite://.
func filePath(location string) (string, error) {
	path := location
	if scheme, rest, ok := strings.Cut(location, "://"); ok {
		switch scheme {
		case "file", "sqlite":
			path = rest
		default:
			return "", fmt.Errorf("unknown store %q", scheme)
		}
	}
	if path == "" {
		return "", errEmptyPath
	}
	return path, nil
}

// Redact returns location with the password of its credentials, if any,
// replaced by "xxxxx", for messages (esdburl.Redact).
func Redact(location string) string { return esdburl.Redact(location) }
