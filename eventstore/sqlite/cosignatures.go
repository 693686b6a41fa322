package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/breachledger/breachledger/eventstore"
)

var _ eventstore.CosignatureStore = (*Store)(nil)

// cosignaturesVersion is the schema version that added the cosignatures
// table.
const cosignaturesVersion = 4

// cosignaturesMigration adds the table of eventstore.CosignatureStore: one
// row per witness's cosignature line, beside the checkpoint it cosigns,
// in the order saved (id). Like checkpoints it is append-only, and a row
// must name a stored checkpoint: the REFERENCES clause says so (SQLite
// enforces it only with PRAGMA foreign_keys, which the store does not
// set), and the trigger cosignatures_of_checkpoint enforces it. The
// migration touches no other table.
const cosignaturesMigration = `CREATE TABLE cosignatures (
	id       INTEGER PRIMARY KEY,
	size     INTEGER NOT NULL REFERENCES checkpoints(size) CHECK (size > 0),
	line     BLOB    NOT NULL CHECK (length(line) > 0),
	saved_at INTEGER NOT NULL -- unix nanoseconds, UTC
) STRICT;
CREATE INDEX cosignatures_by_size ON cosignatures (size);
CREATE TRIGGER cosignatures_of_checkpoint BEFORE INSERT ON cosignatures
WHEN NOT EXISTS (SELECT 1 FROM checkpoints WHERE size = NEW.size)
BEGIN
	SELECT RAISE(ABORT, 'breachledger: a cosignature must cosign a stored checkpoint; INSERT refused');
END;
CREATE TRIGGER cosignatures_no_replace BEFORE INSERT ON cosignatures
WHEN EXISTS (SELECT 1 FROM cosignatures WHERE id = NEW.id)
BEGIN
	SELECT RAISE(ABORT, 'breachledger: cosignatures are append-only; INSERT over an existing cosignature refused');
END;
CREATE TRIGGER cosignatures_no_update BEFORE UPDATE ON cosignatures
BEGIN
	SELECT RAISE(ABORT, 'breachledger: cosignatures are append-only; UPDATE refused');
END;
CREATE TRIGGER cosignatures_no_delete BEFORE DELETE ON cosignatures
BEGIN
	SELECT RAISE(ABORT, 'breachledger: cosignatures are append-only; DELETE refused');
END;`

// errNoCosignatureTable refuses to save cosignatures in a ledger opened as
// it was, before the cosignatures table, because it could not be written.
var errNoCosignatureTable = fmt.Errorf("%w, and of schema version %d (before witnesses' cosignatures were kept): this program reads it but cannot keep cosignatures in it; open it once where it can be written to upgrade it", errReadOnly, cosignaturesVersion-1)

// SaveCosignatures stores lines as cosignatures of the stored checkpoint of
// size events, as eventstore.CosignatureStore documents, in one IMMEDIATE
// transaction that first checks the checkpoint is stored, durably
// committed.
func (s *Store) SaveCosignatures(ctx context.Context, size uint64, lines [][]byte) error {
	fail := func(err error) error {
		return fmt.Errorf("save cosignatures of checkpoint %d: %w", size, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := eventstore.ValidateCosignatures(lines); err != nil {
		return fail(err)
	}
	if err := s.writable(); err != nil {
		return fail(err)
	}
	if s.noCosignatures {
		return fail(errNoCosignatureTable)
	}
	if size == 0 || size > math.MaxInt64 {
		return fail(fmt.Errorf("no checkpoint of that size is stored: %w", eventstore.ErrNoCheckpoint))
	}

	select {
	case s.writer <- struct{}{}:
		defer func() { <-s.writer }()
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(dbError(ctx, err))
	}
	defer tx.Rollback()
	var stored int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM checkpoints WHERE size = ?`, int64(size)).Scan(&stored); err != nil {
		return fail(dbError(ctx, err))
	}
	if stored == 0 {
		return fail(fmt.Errorf("no checkpoint of that size is stored: %w", eventstore.ErrNoCheckpoint))
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO cosignatures (size, line, saved_at) VALUES (?, ?, ?)`)
	if err != nil {
		return fail(dbError(ctx, err))
	}
	defer ins.Close()
	saved := s.now().UTC().UnixNano()
	for _, l := range lines {
		if _, err := ins.ExecContext(ctx, int64(size), l, saved); err != nil {
			return fail(dbError(ctx, err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(dbError(ctx, err))
	}
	return nil
}

// ReadCosignatures returns the cosignatures of the checkpoint of size
// events, in the order saved. A ledger opened as it was, before the
// cosignatures table, has none (unless a writer has added the table
// since).
func (s *Store) ReadCosignatures(ctx context.Context, size uint64) ([]eventstore.Cosignature, error) {
	fail := func(err error) ([]eventstore.Cosignature, error) {
		return nil, fmt.Errorf("read cosignatures of checkpoint %d: %w", size, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if size == 0 || size > math.MaxInt64 {
		return nil, nil
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fail(dbError(ctx, err))
	}
	defer tx.Rollback()
	if s.noCosignatures {
		present, err := s.tablesPresent(ctx, tx, []string{"cosignatures"})
		if err != nil {
			return fail(err)
		}
		if len(present) == 0 {
			return nil, nil
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT line, saved_at FROM cosignatures WHERE size = ? ORDER BY id`, int64(size))
	if err != nil {
		return fail(dbError(ctx, err))
	}
	defer rows.Close()
	var out []eventstore.Cosignature
	for rows.Next() {
		c := eventstore.Cosignature{Size: size}
		var saved int64
		if err := rows.Scan(&c.Line, &saved); err != nil {
			return fail(dbError(ctx, err))
		}
		c.SavedAt = time.Unix(0, saved).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return fail(dbError(ctx, err))
	}
	return out, nil
}

// ownTriggers returns the triggers this ledger's schema must have, by name,
// for Audit: those the migrations make, less the cosignatures table's in a
// ledger opened as it was, before that table.
func (s *Store) ownTriggers() (map[string]trigger, error) {
	want, err := schemaTriggers()
	if err != nil || !s.noCosignatures {
		return want, err
	}
	want = maps.Clone(want)
	for name, t := range want {
		if t.table == "cosignatures" {
			delete(want, name)
		}
	}
	return want, nil
}
