package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/breachledger/breachledger/eventstore"
)

var _ eventstore.CheckpointStore = (*Store)(nil)

// checkpointsMigration adds the tables of eventstore.CheckpointStore: one
// row per signed checkpoint, and the leaf copies each checkpoint brought,
// one row per sequence. Like events, both are append-only, and the
// migration touches nothing else.
const checkpointsMigration = `CREATE TABLE checkpoints (
	size         INTEGER PRIMARY KEY CHECK (size > 0),
	root         BLOB    NOT NULL CHECK (length(root) > 0),
	note         BLOB    NOT NULL CHECK (length(note) > 0),
	range_hashes BLOB    NOT NULL, -- count, then each hash, as uvarint-length-prefixed bytes
	leaves_from  INTEGER NOT NULL CHECK (leaves_from >= 0 AND leaves_from < size),
	saved_at     INTEGER NOT NULL  -- unix nanoseconds, UTC
) STRICT;
CREATE TABLE checkpoint_leaves (
	seq  INTEGER PRIMARY KEY CHECK (seq >= 0),
	leaf BLOB    NOT NULL
) STRICT;
CREATE TRIGGER checkpoints_no_replace BEFORE INSERT ON checkpoints
WHEN EXISTS (SELECT 1 FROM checkpoints WHERE size = NEW.size)
BEGIN
	SELECT RAISE(ABORT, 'breachledger: checkpoints are append-only; INSERT over an existing checkpoint refused');
END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN
	SELECT RAISE(ABORT, 'breachledger: checkpoints are append-only; UPDATE refused');
END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN
	SELECT RAISE(ABORT, 'breachledger: checkpoints are append-only; DELETE refused');
END;
CREATE TRIGGER checkpoint_leaves_no_replace BEFORE INSERT ON checkpoint_leaves
WHEN EXISTS (SELECT 1 FROM checkpoint_leaves WHERE seq = NEW.seq)
BEGIN
	SELECT RAISE(ABORT, 'breachledger: leaves are append-only; INSERT over an existing leaf refused');
END;
CREATE TRIGGER checkpoint_leaves_no_update BEFORE UPDATE ON checkpoint_leaves
BEGIN
	SELECT RAISE(ABORT, 'breachledger: leaves are append-only; UPDATE refused');
END;
CREATE TRIGGER checkpoint_leaves_no_delete BEFORE DELETE ON checkpoint_leaves
BEGIN
	SELECT RAISE(ABORT, 'breachledger: leaves are append-only; DELETE refused');
END;`

// SaveCheckpoint stores cp if it is larger than the newest stored
// checkpoint, as eventstore.CheckpointStore documents, in one IMMEDIATE
// transaction, durably committed.
func (s *Store) SaveCheckpoint(ctx context.Context, cp eventstore.Checkpoint) (eventstore.Checkpoint, error) {
	fail := func(err error) (eventstore.Checkpoint, error) {
		return eventstore.Checkpoint{}, fmt.Errorf("save checkpoint of size %d: %w", cp.Size, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := cp.Validate(); err != nil {
		return fail(err)
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

	var newest int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(size), 0) FROM checkpoints`).Scan(&newest); err != nil {
		return fail(dbError(ctx, err))
	}
	out, err := s.saveCheckpointTx(ctx, tx, cp, uint64(newest))
	if err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(dbError(ctx, err))
	}
	return out, nil
}

// saveCheckpointTx stores cp inside tx, newest being the size of the
// newest stored checkpoint (0 if none), and returns it as stored.
func (s *Store) saveCheckpointTx(ctx context.Context, tx *sql.Tx, cp eventstore.Checkpoint, newest uint64) (eventstore.Checkpoint, error) {
	if newest >= cp.Size {
		return eventstore.Checkpoint{}, fmt.Errorf("a checkpoint of size %d is stored: %w", newest, eventstore.ErrStaleCheckpoint)
	}
	from := cp.Size - uint64(len(cp.Leaves))
	if from > newest {
		return eventstore.Checkpoint{}, fmt.Errorf("leaves start at sequence %d, the newest checkpoint ends at %d: %w", from, newest, eventstore.ErrInvalid)
	}
	leaves := cp.Leaves[newest-from:]
	ins, err := tx.PrepareContext(ctx, `INSERT INTO checkpoint_leaves (seq, leaf) VALUES (?, ?)`)
	if err != nil {
		return eventstore.Checkpoint{}, dbError(ctx, err)
	}
	defer ins.Close()
	for i, leaf := range leaves {
		if len(leaf) == 0 {
			return eventstore.Checkpoint{}, fmt.Errorf("empty leaf at sequence %d: %w", newest+uint64(i), eventstore.ErrInvalid)
		}
		if _, err := ins.ExecContext(ctx, int64(newest)+int64(i), leaf); err != nil {
			return eventstore.Checkpoint{}, dbError(ctx, err)
		}
	}
	saved := s.now().UTC()
	_, err = tx.ExecContext(ctx, `INSERT INTO checkpoints (size, root, note, range_hashes, leaves_from, saved_at) VALUES (?, ?, ?, ?, ?, ?)`,
		int64(cp.Size), cp.Root, cp.Note, encodeList(cp.Range), int64(newest), saved.UnixNano())
	if err != nil {
		return eventstore.Checkpoint{}, dbError(ctx, err)
	}
	out := cp
	out.LeavesFrom, out.Leaves, out.SavedAt = newest, leaves, time.Unix(0, saved.UnixNano()).UTC()
	return out, nil
}

const checkpointColumns = `size, root, note, range_hashes, leaves_from, saved_at`

func scanCheckpoint(sc interface{ Scan(...any) error }) (eventstore.Checkpoint, error) {
	var (
		cp                eventstore.Checkpoint
		size, from, saved int64
		ranges            []byte
	)
	if err := sc.Scan(&size, &cp.Root, &cp.Note, &ranges, &from, &saved); err != nil {
		return eventstore.Checkpoint{}, err
	}
	hashes, err := decodeList(ranges)
	if err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint of size %d: compact range: %w", size, err)
	}
	cp.Size, cp.Range, cp.LeavesFrom = uint64(size), hashes, uint64(from)
	cp.SavedAt = time.Unix(0, saved).UTC()
	return cp, nil
}

// LatestCheckpoint returns the newest checkpoint, without its leaves.
func (s *Store) LatestCheckpoint(ctx context.Context) (eventstore.Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("read latest checkpoint: %w", err)
	}
	row := s.db.QueryRowContext(ctx, `SELECT `+checkpointColumns+` FROM checkpoints ORDER BY size DESC LIMIT 1`)
	cp, err := scanCheckpoint(row)
	if errors.Is(err, sql.ErrNoRows) {
		return eventstore.Checkpoint{}, fmt.Errorf("read latest checkpoint: %w", eventstore.ErrNoCheckpoint)
	}
	if err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("read latest checkpoint: %w", dbError(ctx, err))
	}
	return cp, nil
}

// ReadCheckpoints returns checkpoints larger than after with their leaves,
// from one snapshot. A leaf row that is missing is a nil entry of Leaves.
func (s *Store) ReadCheckpoints(ctx context.Context, after uint64, limit int) ([]eventstore.Checkpoint, error) {
	fail := func(err error) ([]eventstore.Checkpoint, error) {
		return nil, fmt.Errorf("read checkpoints after %d: %w", after, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fail(dbError(ctx, err))
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+checkpointColumns+` FROM checkpoints WHERE size > ? ORDER BY size LIMIT ?`,
		clamp(after), sqlLimit(limit))
	if err != nil {
		return fail(dbError(ctx, err))
	}
	var out []eventstore.Checkpoint
	for rows.Next() {
		cp, err := scanCheckpoint(rows)
		if err != nil {
			rows.Close()
			return fail(dbError(ctx, err))
		}
		out = append(out, cp)
	}
	if err := rows.Err(); err != nil {
		return fail(dbError(ctx, err))
	}
	rows.Close()
	for i := range out {
		cp := &out[i]
		if cp.LeavesFrom >= cp.Size {
			continue
		}
		cp.Leaves = make([][]byte, cp.Size-cp.LeavesFrom)
		lr, err := tx.QueryContext(ctx, `SELECT seq, leaf FROM checkpoint_leaves WHERE seq >= ? AND seq < ? ORDER BY seq`,
			int64(cp.LeavesFrom), int64(cp.Size))
		if err != nil {
			return fail(dbError(ctx, err))
		}
		for lr.Next() {
			var (
				seq  int64
				leaf []byte
			)
			if err := lr.Scan(&seq, &leaf); err != nil {
				lr.Close()
				return fail(dbError(ctx, err))
			}
			cp.Leaves[uint64(seq)-cp.LeavesFrom] = leaf
		}
		if err := lr.Err(); err != nil {
			return fail(dbError(ctx, err))
		}
		lr.Close()
	}
	return out, nil
}

// ReadCheckpointHeads returns at most limit checkpoints (all when limit
// <= 0) larger than after, smallest first, without their leaf copies
// (LeavesFrom set, Leaves nil): ReadLeafCopies reads those apart, for a
// verifier that needs them only where the log does not match.
func (s *Store) ReadCheckpointHeads(ctx context.Context, after uint64, limit int) ([]eventstore.Checkpoint, error) {
	fail := func(err error) ([]eventstore.Checkpoint, error) {
		return nil, fmt.Errorf("read checkpoints after %d: %w", after, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+checkpointColumns+` FROM checkpoints WHERE size > ? ORDER BY size LIMIT ?`,
		clamp(after), sqlLimit(limit))
	if err != nil {
		return fail(dbError(ctx, err))
	}
	defer rows.Close()
	var out []eventstore.Checkpoint
	for rows.Next() {
		cp, err := scanCheckpoint(rows)
		if err != nil {
			return fail(dbError(ctx, err))
		}
		out = append(out, cp)
	}
	if err := rows.Err(); err != nil {
		return fail(dbError(ctx, err))
	}
	return out, nil
}

// ReadLeafCopies returns the leaf copies kept for sequences [from, to), in
// order; a copy that is missing is a nil entry.
func (s *Store) ReadLeafCopies(ctx context.Context, from, to uint64) ([][]byte, error) {
	fail := func(err error) ([][]byte, error) {
		return nil, fmt.Errorf("read leaf copies %d to %d: %w", from, int64(to)-1, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if to <= from {
		return nil, nil
	}
	if to-from > math.MaxInt32 {
		return fail(fmt.Errorf("too many (%d): %w", to-from, eventstore.ErrInvalid))
	}
	stmt, err := s.reads.get(ctx, s.db, `seq, leaf`, ` FROM checkpoint_leaves WHERE seq >= ? AND seq < ? ORDER BY seq`)
	if err != nil {
		return fail(dbError(ctx, err))
	}
	rows, err := stmt.QueryContext(ctx, clamp(from), clamp(to))
	if err != nil {
		return fail(dbError(ctx, err))
	}
	defer rows.Close()
	out := make([][]byte, to-from)
	var (
		seq  int64
		leaf []byte
	)
	for rows.Next() {
		if err := rows.Scan(&seq, &leaf); err != nil {
			return fail(dbError(ctx, err))
		}
		out[uint64(seq)-from] = leaf
	}
	if err := rows.Err(); err != nil {
		return fail(dbError(ctx, err))
	}
	return out, nil
}

// encodeList writes byte strings as a uvarint count, then each as a uvarint
// length and its bytes.
func encodeList(items [][]byte) []byte {
	b := binary.AppendUvarint(nil, uint64(len(items)))
	for _, it := range items {
		b = binary.AppendUvarint(b, uint64(len(it)))
		b = append(b, it...)
	}
	return b
}

func decodeList(b []byte) ([][]byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errors.New("malformed list")
	}
	b = b[k:]
	out := make([][]byte, 0, n)
	for i := uint64(0); i < n; i++ {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, errors.New("malformed list")
		}
		out = append(out, append([]byte(nil), b[k:k+int(l)]...))
		b = b[k+int(l):]
	}
	if len(b) > 0 {
		return nil, errors.New("malformed list: trailing bytes")
	}
	return out, nil
}
