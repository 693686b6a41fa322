package sqlite

// Reading a ledger without touching it (Options.ReadOnly).
//
// A reader must change nothing: not the ledger file, not its mode, and no
// file beside it. SQLite makes that subtle for a WAL database:
//
//   - mode=ro still creates the -wal and -shm files beside the database
//     when they are missing (and leaves them behind), and fails to open in a
//     read-only directory when the -shm is missing;
//   - immutable=1 creates nothing and takes no locks, but ignores the -wal:
//     with committed rows still in it, it answers from fewer events (even
//     none) without an error.
//
// So a reader opens the file as immutable only when no -wal with content
// exists beside it; with mode=ro when the -wal and -shm both exist (it then
// reads through them, with their locks, as any reader does); and when the
// -wal holds committed changes it cannot read in place (no -shm, which
// mode=ro would create, or one it cannot use), from a private copy of the
// file and its -wal in a temporary directory, removed at Close. When no
// copy can be made it refuses, naming the -wal: it never answers from fewer
// events.

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/breachledger/breachledger/eventstore"
)

// stamp is what tells whether a file changed: its size and modification
// time (absent: it does not exist).
type stamp struct {
	absent bool
	size   int64
	mod    int64 // unix nanoseconds
}

func stampOf(path string) (stamp, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return stamp{absent: true}, nil
	}
	if err != nil {
		return stamp{}, err
	}
	return stamp{size: fi.Size(), mod: fi.ModTime().UnixNano()}, nil
}

// sqliteMagic begins every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// checkHeader refuses, by reading the first bytes of the file only, a file
// that is not a ledger, before SQLite opens it (opening it as a writer does
// would switch another application's database to WAL, or turn an empty file
// into a database). wal is the size of the -wal beside it: when it has
// content, page 1 may be newer there, and the schema check after opening
// decides. An empty file is refused unless empty is allowed (a ledger being
// created).
func checkHeader(path string, wal int64, empty bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close() // read-only, and before SQLite opens it: no lock to lose
	var h [108]byte
	n, err := io.ReadFull(f, h[:])
	switch {
	case n == 0 && (empty || wal > 0):
		return nil
	case n == 0:
		return fmt.Errorf("the file is empty, no ledger was initialised in it (it was left as it was): %w", eventstore.ErrNoLedger)
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return err
	case n < len(h) || string(h[:len(sqliteMagic)]) != sqliteMagic:
		return fmt.Errorf("%w: the file is not a SQLite database (it was left as it was)", eventstore.ErrNotLedger)
	}
	appID := binary.BigEndian.Uint32(h[68:72])
	userVersion := binary.BigEndian.Uint32(h[60:64])
	switch {
	case appID == applicationID:
		return nil
	case appID != 0:
		return fmt.Errorf("%w: another application's SQLite database (application_id %#x; it was left as it was)", eventstore.ErrNotLedger, appID)
	case userVersion != 0:
		return fmt.Errorf("%w: another application's SQLite database (user_version %d without application_id; it was left as it was)", eventstore.ErrNotLedger, userVersion)
	case wal > 0:
		return nil
	case h[100] != 0x0d || binary.BigEndian.Uint16(h[103:105]) > 0:
		// Page 1 holds the schema: an interior page, or a leaf with
		// cells, means tables.
		return fmt.Errorf("%w: a SQLite database with tables of another application (it was left as it was)", eventstore.ErrNotLedger)
	}
	return nil // a blank database: a ledger never initialised
}

// openReadOnly opens the ledger at path for reading only (Options.ReadOnly).
func openReadOnly(ctx context.Context, path string, live bool) (*Store, error) {
	if path == Memory {
		return nil, errors.New("a private in-memory ledger cannot be opened read-only: it would be empty")
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, eventstore.ErrNoLedger
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file", eventstore.ErrNotLedger)
	}
	wal, err := stampOf(path + "-wal")
	if err != nil {
		return nil, err
	}
	shm, err := stampOf(path + "-shm")
	if err != nil {
		return nil, err
	}
	if err := checkHeader(path, wal.size, false); err != nil {
		return nil, err
	}
	s := &Store{
		path:     path,
		writer:   make(chan struct{}, 1),
		now:      time.Now,
		appended: make(chan struct{}),
		readOnly: true,
	}
	// In place, through the -wal and -shm, when both exist (or for a
	// live reader, which must see appends made after it opened: SQLite
	// then creates them if the directory lets it).
	var inPlace error
	if live || (!wal.absent && !shm.absent) {
		inPlace = s.openDB(ctx, path, readOnly)
		if inPlace == nil || errors.Is(inPlace, eventstore.ErrNoLedger) {
			return s, inPlace
		}
	}
	if wal.size == 0 {
		// Nothing in a -wal: the file alone is the ledger. Immutable
		// takes no locks: a SHARED lock of our own keeps writers from
		// checkpointing into the file meanwhile (holdShared), and Close
		// checks that it did not change.
		s.release = holdShared(path)
		st, err := stampOf(path)
		if err == nil {
			s.unlocked = &st
			err = s.openDB(ctx, path, immutable)
		}
		if err != nil {
			s.closeReadOnly()
			return nil, err
		}
		return s, nil
	}
	// Committed changes in a -wal this user cannot read in place: read a
	// private copy of both files.
	dir, err := privateCopy(path)
	if err != nil {
		why := "no -shm file is beside it, and a reader creates none"
		if inPlace != nil {
			why = fmt.Sprintf("it cannot be read in place (%v)", inPlace)
		}
		return nil, fmt.Errorf("%s-wal holds %d bytes of changes not yet in the ledger file; %s, and no private copy could be made (%w): read the ledger where its -shm can be created or used, or copy it with \"breachledger backup\" where it is written", path, wal.size, why, err)
	}
	s.copyDir = dir
	if err := s.openDB(ctx, filepath.Join(dir, filepath.Base(path)), readOnly); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// openDB opens the database at path with access a, and checks that it is a
// ledger this package can read without changing it.
func (s *Store) openDB(ctx context.Context, path string, a access) error {
	name, err := dsn(path, a)
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return err
	}
	if err := s.readable(ctx, db); err != nil {
		db.Close()
		return err
	}
	s.db = db
	return nil
}

// readable checks that db holds a ledger of a schema this package reads as
// it is: the current one, or one of the two before (read as they were:
// legacy, noCosignatures).
func (s *Store) readable(ctx context.Context, db *sql.DB) error {
	version, err := s.schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	switch {
	case version == len(migrations):
		return nil
	case version == cosignaturesVersion-1:
		s.noCosignatures = true
		return nil
	case version == basisVersion-1:
		s.legacy, s.noCosignatures = true, true
		return nil
	case version == 0:
		var tables int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&tables); err != nil {
			return fmt.Errorf("read schema: %w", dbError(ctx, err))
		}
		if tables > 0 {
			return fmt.Errorf("%w: a SQLite database with tables of another application (it was left as it was)", eventstore.ErrNotLedger)
		}
		return fmt.Errorf("ledger not initialised: %w", eventstore.ErrNoLedger)
	}
	return fmt.Errorf("%w: ledger schema version %d is too old to read without upgrading it, which a reader never does: open it once with a write command where it can be written (that upgrades it), then read it", errReadOnly, version)
}

// privateCopy copies the ledger at path and its -wal into a new temporary
// directory, and returns it. A writer may change them meanwhile: the copy
// counts only if neither changed while it was made.
func privateCopy(path string) (dir string, err error) {
	dir, err = os.MkdirTemp("", "breachledger-read-")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	to := filepath.Join(dir, filepath.Base(path))
	for range 5 {
		b1, err := stampOf(path)
		if err != nil {
			return "", err
		}
		b2, err := stampOf(path + "-wal")
		if err != nil {
			return "", err
		}
		if err := copyFile(path, to); err != nil {
			return "", err
		}
		if err := copyFile(path+"-wal", to+"-wal"); err != nil {
			return "", err
		}
		a1, err := stampOf(path)
		if err != nil {
			return "", err
		}
		a2, err := stampOf(path + "-wal")
		if err != nil {
			return "", err
		}
		if a1 == b1 && a2 == b2 {
			return dir, nil
		}
	}
	return "", errors.New("the ledger and its -wal kept changing while they were copied")
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// closeReadOnly ends what openReadOnly began: it removes the private copy,
// and for a file read without locks, reports whether it changed meanwhile.
func (s *Store) closeReadOnly() error {
	if s.release != nil {
		defer s.release()
	}
	if s.copyDir != "" {
		if err := os.RemoveAll(s.copyDir); err != nil {
			return fmt.Errorf("remove the private copy of the ledger: %w", err)
		}
	}
	if s.unlocked != nil {
		now, err := stampOf(s.path)
		if err == nil && now != *s.unlocked {
			return errors.New("the ledger file changed while it was read without locks (a writer checkpointed its -wal into it): what was read may be incomplete; read it again")
		}
	}
	return nil
}
