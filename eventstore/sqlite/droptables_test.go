package sqlite_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/eventstore"
)

// rmTables are the tables an older build's read models left in a ledger.
var rmTables = []string{"rm_meta", "rm_incidents", "rm_deadlines", "rm_facts_needed"}

// DropTables drops the named tables a ledger file holds, with their
// indexes, and leaves the events as they were; with none there it takes no
// lock (it returns at once while another connection holds the write lock)
// and writes nothing; the store's own tables are refused.
func TestDropTables(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openFile(t, path)
	mustAppend(t, s, "incident-A", eventstore.NoStream, record(t, "Detected"), record(t, "Assessed"))
	raw := openRaw(t, path)
	// As an older build kept them (three of the four; no rm_facts_needed).
	if _, err := raw.Exec(`CREATE TABLE rm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE rm_incidents (incident TEXT PRIMARY KEY, latest_at INTEGER NOT NULL) STRICT;
CREATE TABLE rm_deadlines (incident TEXT NOT NULL, ord INTEGER NOT NULL, open INTEGER NOT NULL, due_at INTEGER NOT NULL, PRIMARY KEY (incident, ord)) STRICT;
CREATE INDEX rm_deadlines_open_due ON rm_deadlines (open, due_at);
INSERT INTO rm_deadlines VALUES ('A', 0, 1, 0);`); err != nil {
		t.Fatal(err)
	}
	before := dumpEvents(t, s)

	got, err := s.DropTables(ctx, rmTables...)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"rm_meta", "rm_incidents", "rm_deadlines"}; !reflect.DeepEqual(got, want) {
		t.Errorf("dropped %v, want %v", got, want)
	}
	var left int
	if err := raw.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name LIKE 'rm\_%' ESCAPE '\'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d rm_* tables or indexes left (%v), want 0", left, err)
	}
	if after := dumpEvents(t, s); after != before {
		t.Errorf("the events changed:\n%s\nwant\n%s", after, before)
	}

	// Nothing to drop: no lock taken, even with the write lock held.
	tx, err := raw.BeginTx(ctx, nil) // the DSN's _txlock=immediate: the write lock
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`CREATE TABLE held (x)`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, err = s.DropTables(ctx, rmTables...)
	if err != nil || got != nil || time.Since(start) > 2*time.Second {
		t.Errorf("DropTables with nothing to drop = %v, %v after %s; want nil, nil at once", got, err, time.Since(start))
	}
	tx.Rollback()

	for _, own := range []string{"events", "checkpoints", "checkpoint_leaves", "cosignatures"} {
		if _, err := s.DropTables(ctx, "rm_meta", own); err == nil || !strings.Contains(err.Error(), own) {
			t.Errorf("DropTables(%s) = %v, want a refusal naming it", own, err)
		}
	}
	if n := len(mustReadAll(t, s)); n != 2 {
		t.Errorf("%d events after the refusals, want 2", n)
	}
}

func dumpEvents(tb testing.TB, s interface {
	ReadAll(context.Context, uint64, int) ([]eventstore.Record, error)
}) string {
	tb.Helper()
	var b strings.Builder
	for _, r := range mustReadAll(tb, s) {
		b.WriteString(r.ID.String() + " " + r.Stream + " " + r.Type + "\n")
	}
	return b.String()
}

func mustReadAll(tb testing.TB, s interface {
	ReadAll(context.Context, uint64, int) ([]eventstore.Record, error)
}) []eventstore.Record {
	tb.Helper()
	recs, err := s.ReadAll(context.Background(), 0, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return recs
}
