package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// StreamsWithPrefix returns the names of the streams that start with
// prefix, in byte order, at most limit of them (all when limit <= 0). It
// walks the (stream, revision) index one stream at a time, in one
// snapshot, so its cost follows the streams found, not the ledger's length.
func (s *Store) StreamsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list streams %q: %w", prefix, err)
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list streams %q: %w", prefix, dbError(ctx, err))
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `SELECT stream FROM events WHERE stream >= ? AND stream > ? ORDER BY stream LIMIT 1`)
	if err != nil {
		return nil, fmt.Errorf("list streams %q: %w", prefix, dbError(ctx, err))
	}
	defer stmt.Close()
	var out []string
	last := ""
	for limit <= 0 || len(out) < limit {
		var stream string
		err := stmt.QueryRowContext(ctx, prefix, last).Scan(&stream)
		if err == sql.ErrNoRows {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list streams %q: %w", prefix, dbError(ctx, err))
		}
		if !strings.HasPrefix(stream, prefix) {
			break
		}
		out = append(out, stream)
		last = stream
	}
	return out, nil
}
