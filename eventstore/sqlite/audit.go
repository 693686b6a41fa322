package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/breachledger/breachledger/eventstore"
)

var _ eventstore.Auditor = (*Store)(nil)

// Audit implements eventstore.Auditor. It reports what the records, their
// checkpoints and leaf copies cannot show of themselves:
//
//   - the append-only schema: every trigger the migrations made (on
//     events, checkpoints, checkpoint_leaves and cosignatures) must still
//     be there, unaltered, and no other trigger may sit on those tables
//     (a ledger read as it was, before cosignatures, has none). A dropped
//     trigger is how history gets rewritten with plain SQL; an added one
//     can rewrite what later appends insert.
//   - orphaned leaf copies: rows of checkpoint_leaves past the log's last
//     event, the copies of events removed from the log (a truncated tail
//     whose checkpoints were removed too), one finding per run of
//     sequences, carrying the first copy so the verifier can name its
//     event. (An event missing inside the log is the log's own finding:
//     its sequences have a gap.)
//
// It reads one snapshot. opts are not used: SQLite sets recorded times
// itself, under the append's lock.
func (s *Store) Audit(ctx context.Context, _ eventstore.AuditOptions) ([]eventstore.Finding, error) {
	want, err := s.ownTriggers()
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("audit: %w", dbError(ctx, err))
	}
	defer tx.Rollback()
	have, err := readTriggers(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", dbError(ctx, err))
	}
	findings := triggerFindings(want, have)
	orphans, err := orphanedLeaves(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", dbError(ctx, err))
	}
	return append(findings, orphans...), nil
}

// trigger is one trigger of the schema: its table and its SQL.
type trigger struct{ table, sql string }

// rowsQueryer is what readTriggers reads with: a *sql.DB or a *sql.Tx.
type rowsQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readTriggers returns every trigger in the database, by name.
func readTriggers(ctx context.Context, q rowsQueryer) (map[string]trigger, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, tbl_name, coalesce(sql, '') FROM sqlite_schema WHERE type = 'trigger'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]trigger{}
	for rows.Next() {
		var name string
		var t trigger
		if err := rows.Scan(&name, &t.table, &t.sql); err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, rows.Err()
}

var (
	triggersOnce sync.Once
	triggersWant map[string]trigger
	triggersErr  error
)

// schemaTriggers returns the triggers the migrations make, by name: the
// migrations run once on a private in-memory database, so the list can
// never fall behind the schema.
func schemaTriggers() (map[string]trigger, error) {
	triggersOnce.Do(func() {
		db, err := sql.Open("sqlite", Memory)
		if err != nil {
			triggersErr = fmt.Errorf("the schema's triggers: %w", err)
			return
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		ctx := context.Background()
		for v, m := range migrations {
			if _, err := db.ExecContext(ctx, m); err != nil {
				triggersErr = fmt.Errorf("the schema's triggers: migration %d: %w", v+1, err)
				return
			}
		}
		triggersWant, triggersErr = readTriggers(ctx, db)
	})
	return triggersWant, triggersErr
}

// triggerFindings compares the triggers a ledger has with those its schema
// made: one finding for each dropped, altered or added trigger, at
// sequence 0 (they concern the whole log).
func triggerFindings(want, have map[string]trigger) []eventstore.Finding {
	tables := map[string]bool{}
	for _, t := range want {
		tables[t.table] = true
	}
	var out []eventstore.Finding
	for _, name := range slices.Sorted(maps.Keys(want)) {
		w := want[name]
		h, ok := have[name]
		switch {
		case !ok:
			out = append(out, eventstore.Finding{What: "schema", Detail: fmt.Sprintf(
				"the append-only trigger %s on %s was dropped: rows of %s can be changed or deleted with plain SQL, and this ledger's history may have been", name, w.table, w.table)})
		case h.table != w.table || normalizeSQL(h.sql) != normalizeSQL(w.sql):
			out = append(out, eventstore.Finding{What: "schema", Detail: fmt.Sprintf(
				"the append-only trigger %s on %s was altered (it now reads %q): it may no longer refuse what it should", name, w.table, h.sql)})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(have)) {
		h := have[name]
		if _, ok := want[name]; ok || !tables[h.table] {
			continue
		}
		out = append(out, eventstore.Finding{What: "schema", Detail: fmt.Sprintf(
			"a trigger breachledger never made, %s, was added on %s (%q): it can change what is appended", name, h.table, h.sql)})
	}
	return out
}

func normalizeSQL(s string) string { return strings.Join(strings.Fields(s), " ") }

// orphanedLeaves returns one finding for each run of consecutive
// sequences past the log's last event at which checkpoint_leaves keeps a
// leaf copy: a range scan of the primary key, not a probe per leaf.
func orphanedLeaves(ctx context.Context, tx *sql.Tx) ([]eventstore.Finding, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, leaf FROM checkpoint_leaves
		WHERE seq > coalesce((SELECT max(seq) FROM events), -1) ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []eventstore.Finding
	var first, last int64 = -1, -1
	var leaf []byte
	flush := func() {
		if first < 0 {
			return
		}
		detail := fmt.Sprintf("the leaf copy kept at sequence %d has no event in the log (removed)", first)
		if last > first {
			detail = fmt.Sprintf("the leaf copies kept at sequences %d to %d have no events in the log (removed)", first, last)
		}
		out = append(out, eventstore.Finding{Seq: uint64(first), What: "orphaned leaf", Detail: detail, Leaf: leaf})
	}
	for rows.Next() {
		var seq int64
		var l []byte
		if err := rows.Scan(&seq, &l); err != nil {
			return nil, err
		}
		if seq != last+1 || first < 0 {
			flush()
			first, leaf = seq, l
		}
		last = seq
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	flush()
	return out, nil
}
