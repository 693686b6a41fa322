package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// ErrBackupStore: the ledger is not kept in a file Backup can copy (an
// EventStoreDB ledger: export a bundle, or back up the server).
var ErrBackupStore = errors.New("backup copies an embedded SQLite ledger only")

// Backup writes a consistent copy of the SQLite ledger at location (a file
// path or file: URL, as Open takes) to the new file dst while writers may
// be appending to it, as sqlite.Backup does: it reads the ledger without
// writing to it or beside it, never overwrites dst (an error wrapping
// fs.ErrExist), and leaves no half copy. An EventStoreDB location is
// ErrBackupStore.
func Backup(ctx context.Context, location, dst string) error {
	if esdb.IsLocation(location) {
		return fmt.Errorf("back up %s: %w", esdb.Redact(location), ErrBackupStore)
	}
	path, err := filePath(location)
	if err != nil {
		return fmt.Errorf("back up %s: %w", location, err)
	}
	return sqlite.Backup(ctx, path, dst)
}

// filePath returns the file path of a SQLite location.
func filePath(location string) (string, error) {
	path := location
	if scheme, rest, ok := strings.Cut(location, "://"); ok {
		switch scheme {
		case "file", "sqlite":
			path = rest
		default:
			return "", fmt.Errorf("unknown store %q (use a file path for the embedded SQLite store)", scheme)
		}
	}
	if path == "" {
		return "", errors.New("empty path")
	}
	return path, nil
}
