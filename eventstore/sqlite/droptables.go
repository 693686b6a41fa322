package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ownTables are the store's own tables, which DropTables never drops.
var ownTables = map[string]bool{"events": true, "checkpoints": true, "checkpoint_leaves": true, "cosignatures": true}

// DropTables drops those of the named tables the ledger file holds (with
// their indexes and triggers), in one transaction, and returns the names
// it dropped. It is for tables other packages once kept in the ledger file
// (the read models of older builds, which now live in a cache of their
// own): with none of them there, it only reads the schema (no lock, no
// write), so a writer can call it on every open. The store's own tables
// are refused. A ledger that cannot be written returns an error for which
// ReadOnly holds.
func (s *Store) DropTables(ctx context.Context, names ...string) ([]string, error) {
	for _, n := range names {
		if ownTables[n] {
			return nil, fmt.Errorf("drop table %s: it is the ledger's own", n)
		}
	}
	present, err := s.tablesPresent(ctx, s.db, names)
	if err != nil || len(present) == 0 {
		return nil, err
	}
	if err := s.writable(); err != nil {
		return nil, fmt.Errorf("drop tables %s: %w", strings.Join(present, ", "), err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("drop tables %s: %w", strings.Join(present, ", "), dbError(ctx, err))
	}
	defer tx.Rollback()
	// Again, under the write lock: another writer may have dropped them.
	if present, err = s.tablesPresent(ctx, tx, names); err != nil {
		return nil, err
	}
	for _, n := range present {
		if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteIdent(n)); err != nil {
			return nil, fmt.Errorf("drop table %s: %w", n, dbError(ctx, err))
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("drop tables %s: %w", strings.Join(present, ", "), dbError(ctx, err))
	}
	return present, nil
}

// ReadOnly reports whether err says the ledger (its file, its directory or
// its file system) cannot be written.
func ReadOnly(err error) bool { return errors.Is(err, errReadOnly) }

// tablesPresent returns those of names that are tables in the file, in the
// order given.
func (s *Store) tablesPresent(ctx context.Context, q rowsQueryer, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table'`)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", dbError(ctx, err))
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("read schema: %w", dbError(ctx, err))
		}
		have[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema: %w", dbError(ctx, err))
	}
	var out []string
	for _, n := range names {
		if have[n] {
			out = append(out, n)
		}
	}
	return out, nil
}
