// Package sqlite is the embedded eventstore.Store: one SQLite file, written
// through the pure-Go driver modernc.org/sqlite, so the breachledger binary
// stays static and cgo-free.
//
// Every event is one row of the table events. The row's seq is the ledger
// sequence, assigned inside the append transaction as one more than the
// largest so far, so sequences are 0-based and gap-free; UNIQUE (stream,
// revision) backs the optimistic-concurrency check, and UNIQUE event_id makes
// a reused event ID fail. Triggers refuse UPDATE, DELETE and INSERT OR
// REPLACE on events, so even a stray SQL statement cannot rewrite history
// without first dropping them (which the ledger's Merkle checkpoints then
// expose).
//
// Connections use WAL with synchronous=FULL: an append that returned has been
// fsynced. Writers take the write lock when their transaction begins
// (BEGIN IMMEDIATE) and wait up to ten seconds for it, so several processes
// can append to one file; within a process appends are queued without
// busy-waiting on SQLite's lock.
//
// The schema is versioned with PRAGMA user_version and marked with PRAGMA
// application_id; Open upgrades it inside a transaction. A ledger of one of
// the two previous versions that cannot be written (a read-only file, an
// auditor's copy) is opened as it is, for reading only.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/breachledger/breachledger/eventstore"
)

var _ eventstore.Store = (*Store)(nil)

// Memory is the path of a private in-memory ledger, for tests. It lives as
// long as the Store.
const Memory = ":memory:"

// applicationID marks a SQLite file as a breachledger ledger ("BLDG").
const applicationID = 0x424c4447

// migrations[i] takes the schema from user_version i to i+1. Append only:
// never edit a migration that has shipped. Later tables (projections,
// checkpoints) come as new migrations; none may touch events except by
// INSERT.
var migrations = []string{
	`CREATE TABLE events (
	seq         INTEGER PRIMARY KEY CHECK (seq >= 0),
	event_id    BLOB    NOT NULL UNIQUE CHECK (length(event_id) = 16),
	stream      TEXT    NOT NULL,
	revision    INTEGER NOT NULL CHECK (revision >= 0),
	type        TEXT    NOT NULL,
	occurred_at INTEGER NOT NULL, -- unix nanoseconds
	actor       TEXT    NOT NULL,
	signer      TEXT    NOT NULL DEFAULT '',
	signature   BLOB,
	payload     BLOB    NOT NULL,
	recorded_at INTEGER NOT NULL, -- unix nanoseconds, UTC, whole microseconds
	UNIQUE (stream, revision)
) STRICT;
-- INSERT OR REPLACE deletes the conflicting row without firing DELETE
-- triggers (unless recursive_triggers is on), so refuse the conflict first.
CREATE TRIGGER events_no_replace BEFORE INSERT ON events
WHEN EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq OR event_id = NEW.event_id
	OR (stream = NEW.stream AND revision = NEW.revision))
BEGIN
	SELECT RAISE(ABORT, 'breachledger: events are append-only; INSERT over an existing event refused');
END;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'breachledger: events are append-only; UPDATE refused');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
	SELECT RAISE(ABORT, 'breachledger: events are append-only; DELETE refused');
END;`,
	checkpointsMigration,  // version 2: signed checkpoints and their leaves (checkpoints.go)
	basisMigration,        // version 3: each event's basis (Record.Basis)
	cosignaturesMigration, // version 4: witnesses' cosignatures (cosignatures.go)
}

// basisVersion is the schema version that added the basis column.
const basisVersion = 3

// basisMigration adds each event's basis: the ledger revision its writer
// decided on, plus one (eventstore.Record.Basis). Events stored before it
// have none (0), as they were written. ADD COLUMN rewrites no row, fires
// no trigger, and leaves the triggers as they were; an INSERT that does
// not name the column stores 0.
const basisMigration = `ALTER TABLE events ADD COLUMN basis INTEGER NOT NULL DEFAULT 0 CHECK (basis >= 0);`

// Options control Open.
type Options struct {
	// Create makes Open create and initialise the ledger file if it does
	// not exist (with mode 0600). Without it, Open of a missing or
	// uninitialised file returns an error wrapping eventstore.ErrNoLedger.
	Create bool
	// ReadOnly opens an existing ledger for reading only, changing
	// nothing: no schema is created or upgraded, no pragma is written,
	// and no file is created beside it (readonly.go). It works on
	// read-only media. A file that is not a ledger is refused untouched
	// (eventstore.ErrNotLedger); so is a schema too old to read as it is.
	ReadOnly bool
	// Live, with ReadOnly, is for a reader that runs on while others
	// append (serve): it reads through the -wal and -shm files, which
	// SQLite then creates beside the ledger if they are missing and the
	// directory lets it.
	Live bool
}

// Store is a ledger kept in one SQLite file. It is safe for concurrent use,
// also by several processes sharing the file.
type Store struct {
	db   *sql.DB
	path string

	// writer is a one-slot semaphore: appends of this process queue here,
	// cancellably, instead of spinning in SQLite's busy handler.
	writer chan struct{}

	// now is the store's clock; only tests replace it (export_test.go).
	now func() time.Time

	mu       sync.Mutex
	appended chan struct{} // closed and replaced after every append

	stmts appendStmts // the append path's statements, prepared once
	reads readStmts   // the read path's, prepared once each

	// legacy is set for a ledger of schema version 2 that could not be
	// upgraded because it is read-only: it is read as it is (columns),
	// and writes are refused (writable).
	legacy bool

	// noCosignatures is set for a ledger of a schema version before the
	// cosignatures table (cosignatures.go) read as it is: it has no
	// cosignatures, and SaveCosignatures is refused.
	noCosignatures bool

	// readOnly is set by Options.ReadOnly (readonly.go); copyDir is the
	// private copy it reads, if any; unlocked is the stamp of a file read
	// as immutable, checked at Close.
	readOnly bool
	copyDir  string
	unlocked *stamp
	release  func() // the lock holdShared took, if any
}

// Open opens the ledger at path, or a private in-memory ledger for Memory.
// It upgrades the schema if it is older than this package's.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if opts.ReadOnly {
		s, err := openReadOnly(ctx, path, opts.Live)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		return s, nil
	}
	memory := path == Memory
	if !memory {
		if err := prepareFile(path, opts.Create); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		// Before SQLite opens it: a writer's connection switches the
		// file to WAL at once.
		wal, err := stampOf(path + "-wal")
		if err == nil {
			err = checkHeader(path, wal.size, opts.Create)
		}
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	name, err := dsn(path, readWrite)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %v", path, err)
	}
	if memory {
		db.SetMaxOpenConns(1) // each connection to ":memory:" is a database of its own
	}
	s := &Store{
		db:       db,
		path:     path,
		writer:   make(chan struct{}, 1),
		now:      time.Now,
		appended: make(chan struct{}),
	}
	if err := s.migrate(ctx, opts.Create || memory); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// errReadOnly: the ledger file (or its directory, or the file system) is
// read-only.
var errReadOnly = errors.New("ledger is read-only")

// errLegacyReadOnly refuses writes to a ledger opened as it was.
var errLegacyReadOnly = fmt.Errorf("%w, and of schema version %d (before each event's basis was kept): this program reads it but cannot write it; open it once where it can be written to upgrade it", errReadOnly, basisVersion-1)

// columns returns what reads select for scanRecords: columnsNow, or
// columnsV2 for a ledger opened as it was.
func (s *Store) columns() string {
	if s.legacy {
		return columnsV2
	}
	return columnsNow
}

// writable returns errLegacyReadOnly for a ledger opened as it was.
func (s *Store) writable() error {
	if s.readOnly {
		return fmt.Errorf("%w: opened for reading only", errReadOnly)
	}
	if s.legacy {
		return errLegacyReadOnly
	}
	return nil
}

// prepareFile checks that the ledger file exists, or creates it empty with
// mode 0600 when create is set. SQLite would create a missing file itself,
// with a mode from the umask; creating it first fixes the mode, and SQLite
// gives its -wal and -shm files the same.
func prepareFile(path string, create bool) error {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	case !create:
		return eventstore.ErrNoLedger
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil // created by someone else meanwhile
	}
	if err != nil {
		return err
	}
	// Closing here is safe: SQLite holds no lock on the file yet. Never
	// open and close a ledger file SQLite has open: closing any descriptor
	// drops the process's POSIX locks on it.
	return f.Close()
}

// access is how a DSN opens a ledger.
type access int

const (
	readWrite access = iota
	readOnly         // mode=ro: changes nothing in the file
	immutable        // mode=ro&immutable=1: also takes no locks and creates no -wal or -shm
)

// dsn returns the driver's data source name for path: a file: URI with the
// pragmas set explicitly (never relying on driver defaults).
func dsn(path string, a access) (string, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	switch a {
	case readWrite:
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Set("_txlock", "immediate")
	case readOnly:
		q.Set("mode", "ro")
	case immutable:
		q.Set("mode", "ro")
		q.Set("immutable", "1")
	}
	if path == Memory {
		return Memory + "?" + q.Encode(), nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String(), nil
}

// migrate brings the schema up to date. A file with no schema yet is
// initialised only when create is set.
func (s *Store) migrate(ctx context.Context, create bool) error {
	version, err := s.schemaVersion(ctx, s.db)
	if err != nil {
		return err
	}
	if version == len(migrations) {
		return nil
	}
	if version == 0 && !create {
		return fmt.Errorf("ledger not initialised: %w", eventstore.ErrNoLedger)
	}
	err = s.upgrade(ctx)
	if errors.Is(err, errReadOnly) {
		switch version {
		case basisVersion - 1:
			// Only the basis column and the cosignatures table are
			// missing, and every event of this version has no basis:
			// read it as it is.
			s.legacy, s.noCosignatures = true, true
			return nil
		case cosignaturesVersion - 1:
			// Only the cosignatures table is missing: it has none.
			s.noCosignatures = true
			return nil
		}
	}
	return err
}

// upgrade runs the migrations the file lacks, in one transaction.
func (s *Store) upgrade(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate schema: %w", dbError(ctx, err))
	}
	defer tx.Rollback()
	// Again, under the write lock: another process may have migrated.
	version, err := s.schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if version == 0 {
		var tables int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&tables); err != nil {
			return fmt.Errorf("migrate schema: %w", dbError(ctx, err))
		}
		if tables > 0 {
			return fmt.Errorf("%w: the database already has tables", eventstore.ErrNotLedger)
		}
	}
	for v := version; v < len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", v+1, dbError(ctx, err))
		}
	}
	// PRAGMA takes no parameters; both values are integers of ours.
	pragmas := fmt.Sprintf("PRAGMA application_id = %d; PRAGMA user_version = %d", applicationID, len(migrations))
	if _, err := tx.ExecContext(ctx, pragmas); err != nil {
		return fmt.Errorf("migrate schema: %w", dbError(ctx, err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate schema: %w", dbError(ctx, err))
	}
	return nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// schemaVersion returns the schema version of the file, checking that it is
// a breachledger ledger (or a blank database) this package can read.
func (s *Store) schemaVersion(ctx context.Context, q queryer) (int, error) {
	var appID, version int
	if err := q.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
		return 0, fmt.Errorf("read schema version: %w", dbError(ctx, err))
	}
	if err := q.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return 0, fmt.Errorf("read schema version: %w", dbError(ctx, err))
	}
	switch {
	case appID != 0 && appID != applicationID:
		return 0, fmt.Errorf("%w (application_id %#x)", eventstore.ErrNotLedger, appID)
	case appID == 0 && version != 0:
		return 0, fmt.Errorf("%w (user_version %d without application_id)", eventstore.ErrNotLedger, version)
	case version > len(migrations):
		return 0, fmt.Errorf("ledger schema version %d is newer than this program's (%d)", version, len(migrations))
	}
	return version, nil
}

// Close closes the database. Follow iterators still running end with an
// error.
func (s *Store) Close() error {
	s.stmts.close()
	s.reads.close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, dbError(context.Background(), err))
	}
	if s.readOnly {
		if err := s.closeReadOnly(); err != nil {
			return fmt.Errorf("close %s: %w", s.path, err)
		}
	}
	return nil
}

// Pragmas reads back the journal mode ("wal" for a file ledger, "memory" for
// Memory) and the synchronous level (2 is FULL) of a connection.
func (s *Store) Pragmas(ctx context.Context) (journalMode string, synchronous int, err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("read pragmas: %w", dbError(ctx, err))
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&journalMode); err != nil {
		return "", 0, fmt.Errorf("read pragmas: %w", dbError(ctx, err))
	}
	if err := conn.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&synchronous); err != nil {
		return "", 0, fmt.Errorf("read pragmas: %w", dbError(ctx, err))
	}
	return journalMode, synchronous, nil
}

// changed returns a channel that is closed at the next append.
func (s *Store) changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appended
}

// broadcast wakes every Follow waiting on changed.
func (s *Store) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.appended)
	s.appended = make(chan struct{})
}

// codeSuffix matches the result codes the driver appends to its messages.
var codeSuffix = regexp.MustCompile(`(\s*\((\d+|SQLITE_[A-Z_]+)\))+$`)

// dbError translates an error from database/sql or the driver at the
// package boundary: ctx.Err() when ctx is done (the driver reports an
// interrupted statement in its own way), and otherwise an error that keeps
// the driver's message but neither its type nor its result codes.
func dbError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY:
		return errors.New("ledger is locked by another connection (timed out waiting)")
	case sqlite3.SQLITE_READONLY:
		return errReadOnly
	case sqlite3.SQLITE_FULL:
		return errors.New("disk or database full")
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return errors.New("ledger file is corrupt or not a SQLite database")
	}
	return errors.New("sqlite: " + codeSuffix.ReplaceAllString(se.Error(), ""))
}
