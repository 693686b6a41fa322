package sqlite_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/eventstore/storetest"
)

func TestCheckpointStore(t *testing.T) {
	storetest.RunCheckpoints(t, newFileStore)
}

// TestCheckpointsAppendOnly: like events, stored checkpoints and leaves
// cannot be changed or removed without dropping the triggers first.
func TestCheckpointsAppendOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	cp := eventstore.Checkpoint{Size: 1, Root: []byte{1}, Note: []byte("n"), Leaves: [][]byte{[]byte("leaf")}}
	if _, err := s.SaveCheckpoint(t.Context(), cp); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{
		`UPDATE checkpoints SET root = X'02'`,
		`DELETE FROM checkpoints`,
		`INSERT OR REPLACE INTO checkpoints (size, root, note, range_hashes, leaves_from, saved_at) VALUES (1, X'02', X'02', X'00', 0, 0)`,
		`UPDATE checkpoint_leaves SET leaf = X'02'`,
		`DELETE FROM checkpoint_leaves`,
		`INSERT OR REPLACE INTO checkpoint_leaves (seq, leaf) VALUES (0, X'02')`,
	} {
		if _, err := db.Exec(stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", stmt, err)
		}
	}
}

// TestMigrateToCheckpoints opens a ledger of schema version 1 (before
// checkpoints): the new tables are added and the events stay as they were.
func TestMigrateToCheckpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(sqlite.SchemaV1 + `; PRAGMA application_id = 1112294471; PRAGMA user_version = 1;
		INSERT INTO events (seq, event_id, stream, revision, type, occurred_at, actor, payload, recorded_at)
		VALUES (0, X'0192a0000000700080000000000000aa', 'ledger', 0, 'LedgerInitialized', 1, 'alice', X'7b7d', 1000)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.LatestCheckpoint(t.Context()); !errors.Is(err, eventstore.ErrNoCheckpoint) {
		t.Errorf("LatestCheckpoint after the migration = %v, want ErrNoCheckpoint", err)
	}
	if recs, err := s.ReadAll(t.Context(), 0, 0); err != nil || len(recs) != 1 || recs[0].Type != "LedgerInitialized" {
		t.Errorf("events after the migration = %v, %v", recs, err)
	}
}
