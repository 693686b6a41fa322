package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/breachledger/breachledger/eventstore"
)

// Backup writes a consistent copy of the ledger at src to the new file dst,
// while writers may be appending to src.
//
// The copy is one snapshot: SQLite's VACUUM INTO reads the whole database,
// the events still in src's -wal included, in one read transaction, so it
// holds every append acknowledged before Backup began and no part of one
// made meanwhile. (A plain copy of the file loses the appends still in
// its -wal, silently.)
//
// Backup is a reader of src: it opens it read-only, creates nothing beside
// it, and works on a ledger in a read-only directory. A ledger no
// connection has open (no -wal beside it) is read as immutable, and the
// file is checked unchanged afterwards; a -wal that cannot be used where it
// is (a read-only directory without its -shm) is read from a private copy
// of the file and its -wal in a temporary directory.
//
// The copy holds the ledger's own schema only (events, checkpoints,
// cosignatures and their triggers): tables, views, indexes and triggers
// of anything else in the file (kept views an older build wrote there,
// rm_*) are left out. It is in rollback-journal mode, so it reads on
// read-only media without a -wal or -shm.
//
// Backup never overwrites: an existing dst is an error wrapping
// fs.ErrExist, and dst is left as it was. The copy is written to a
// temporary file beside dst, fsynced, and only then given dst's name, so
// dst is never a half copy; on any error the temporary file is removed.
func Backup(ctx context.Context, src, dst string) error {
	if err := backup(ctx, src, dst); err != nil {
		return fmt.Errorf("back up %s to %s: %w", src, dst, err)
	}
	return nil
}

func backup(ctx context.Context, src, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s: %w", dst, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if _, err := os.Stat(src); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = eventstore.ErrNoLedger
		}
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".backup-*")
	if err != nil {
		return fmt.Errorf("create the copy: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmpPath)
			os.Remove(tmpPath + "-journal")
		}
	}()
	if err := snapshot(ctx, src, tmpPath); err != nil {
		return err
	}
	if err := keepLedgerOnly(ctx, tmpPath); err != nil {
		return fmt.Errorf("trim the copy: %w", err)
	}
	if err := syncFile(tmpPath); err != nil {
		return fmt.Errorf("sync the copy: %w", err)
	}
	if err := renameNew(tmpPath, dst); err != nil {
		return err
	}
	done = true
	if err := syncFile(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("sync the directory of the copy: %w", err)
	}
	return nil
}

// snapshot writes src's database, as of one read transaction, into the
// empty file to. It opens src as every reader does (Options.ReadOnly:
// immutable when no -wal holds changes, else through the -wal and -shm, or
// from a private copy of the file and its -wal), so it creates nothing
// beside src and never reads the file without the events in its -wal. A
// file read without locks that a writer checkpointed into meanwhile is
// read again.
func snapshot(ctx context.Context, src, to string) error {
	var err error
	for range 3 {
		var again bool
		if again, err = snapshotOnce(ctx, src, to); !again {
			return err
		}
		if terr := os.Truncate(to, 0); terr != nil {
			return terr
		}
	}
	return err
}

// snapshotOnce is one attempt of snapshot; again reports an error of
// closing the ledger after the copy was written (a file read without locks
// that changed meanwhile: the copy may be incomplete, and is made again).
func snapshotOnce(ctx context.Context, src, to string) (again bool, err error) {
	s, err := openReadOnly(ctx, src, false)
	if err != nil {
		return false, err
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, to); err != nil {
		s.Close()
		return false, fmt.Errorf("copy the ledger: %w", dbError(ctx, err))
	}
	if err := s.Close(); err != nil {
		return ctx.Err() == nil, err
	}
	return false, nil
}

// keepLedgerOnly drops from the copy at path every table, view, index and
// trigger that is not of the ledger's own schema, and leaves it in
// rollback-journal mode, compacted.
func keepLedgerOnly(ctx context.Context, path string) error {
	own, err := ownSchema(ctx)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	name := "file:" + filepath.ToSlash(abs) + "?_pragma=journal_mode(DELETE)&_pragma=synchronous(FULL)"
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	dropped := false
	// Tables first (their indexes and triggers go with them), then what
	// is left over.
	for _, types := range [][]string{{"table", "view"}, {"index", "trigger"}} {
		foreign, err := foreignObjects(ctx, db, own, types)
		if err != nil {
			return err
		}
		for _, o := range foreign {
			if _, err := db.ExecContext(ctx, "DROP "+strings.ToUpper(o.typ)+" IF EXISTS "+quoteIdent(o.name)); err != nil {
				return fmt.Errorf("drop %s %s: %w", o.typ, o.name, dbError(ctx, err))
			}
			dropped = true
		}
	}
	if dropped {
		if _, err := db.ExecContext(ctx, `VACUUM`); err != nil {
			return fmt.Errorf("compact: %w", dbError(ctx, err))
		}
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return dbError(ctx, err)
	}
	if mode != "delete" {
		return fmt.Errorf("the copy is in journal mode %q, want delete", mode)
	}
	return dbError(ctx, db.Close())
}

type schemaObject struct{ typ, name string }

// foreignObjects lists the objects of the given types in db's schema that
// own does not name (SQLite's own, sqlite_*, aside).
func foreignObjects(ctx context.Context, db *sql.DB, own map[string]bool, types []string) ([]schemaObject, error) {
	rows, err := db.QueryContext(ctx, `SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", dbError(ctx, err))
	}
	defer rows.Close()
	var out []schemaObject
	for rows.Next() {
		var o schemaObject
		if err := rows.Scan(&o.typ, &o.name); err != nil {
			return nil, fmt.Errorf("read schema: %w", dbError(ctx, err))
		}
		for _, t := range types {
			if o.typ == t && !own[o.typ+" "+o.name] {
				out = append(out, o)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema: %w", dbError(ctx, err))
	}
	return out, nil
}

// ownSchema returns the objects ("type name") the ledger's migrations
// create, read from a fresh in-memory ledger.
func ownSchema(ctx context.Context) (map[string]bool, error) {
	s, err := Open(ctx, Memory, Options{})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	rows, err := s.db.QueryContext(ctx, `SELECT type, name FROM sqlite_schema`)
	if err != nil {
		return nil, dbError(ctx, err)
	}
	defer rows.Close()
	own := map[string]bool{}
	for rows.Next() {
		var typ, name string
		if err := rows.Scan(&typ, &name); err != nil {
			return nil, dbError(ctx, err)
		}
		own[typ+" "+name] = true
	}
	return own, dbError(ctx, rows.Err())
}

// renameNew gives the file at from the name to, which must not exist: a
// hard link fails if to exists (so a file made there meanwhile is never
// replaced), then from is removed. Where hard links are not supported it
// checks and renames.
func renameNew(from, to string) error {
	err := os.Link(from, to)
	switch {
	case err == nil:
		return os.Remove(from)
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s: %w", to, fs.ErrExist)
	}
	if _, serr := os.Lstat(to); serr == nil {
		return fmt.Errorf("%s: %w", to, fs.ErrExist)
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("name the copy: %w", err)
	}
	return nil
}

// syncFile fsyncs the file or directory at path.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
