package stores_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/stores"
)

// TestOpenSQLite: a path, a file: and a sqlite: URL name the embedded
// store; an unknown scheme and an empty path are refused, saying so.
func TestOpenSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, loc := range []string{filepath.Join(dir, "a.db"), "file://" + filepath.Join(dir, "b.db"), "sqlite://" + filepath.Join(dir, "c.db")} {
		if _, err := stores.Open(ctx, loc, stores.Options{}); !errors.Is(err, eventstore.ErrNoLedger) {
			t.Errorf("Open(%s) without Create: %v, want ErrNoLedger", loc, err)
		}
		st, err := stores.Open(ctx, loc, stores.Options{Create: true, Ranks: func(string) (string, []byte) {
			t.Errorf("Ranks called for SQLite %s", loc)
			return "", nil
		}})
		if err != nil {
			t.Fatalf("Open(%s, Create): %v", loc, err)
		}
		st.Close()
		st, err = stores.Open(ctx, loc, stores.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("Open(%s, ReadOnly): %v", loc, err)
		}
		st.Close()
	}
	for loc, want := range map[string]string{
		"http://example.com/x": `open ledger http://example.com/x: unknown store "http" (use a file path for the embedded SQLite store, or esdb:// for EventStoreDB)`,
		"":                     "open ledger: empty path",
		"file://":              "open ledger: empty path",
	} {
		if _, err := stores.Open(ctx, loc, stores.Options{}); err == nil || err.Error() != want {
			t.Errorf("Open(%q) = %v, want %q", loc, err, want)
		}
	}
}

// TestBackupRefusals: Backup copies a SQLite file only.
func TestBackupRefusals(t *testing.T) {
	ctx := context.Background()
	dst := filepath.Join(t.TempDir(), "copy.db")
	err := stores.Backup(ctx, "esdb://u:secret@db1:2113", dst)
	if !errors.Is(err, stores.ErrBackupStore) || strings.Contains(err.Error(), "secret") {
		t.Errorf("Backup of an esdb location: %v, want ErrBackupStore without the password", err)
	}
	if err := stores.Backup(ctx, "http://x", dst); err == nil || err.Error() != `back up http://x: unknown store "http" (use a file path for the embedded SQLite store)` {
		t.Errorf("Backup of http://x: %v", err)
	}
	if err := stores.Backup(ctx, "file://", dst); err == nil || err.Error() != "back up file://: empty path" {
		t.Errorf("Backup of file://: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"esdb://u:pw@db1:2113?tls=false":      "esdb://u:xxxxx@db1:2113?tls=false",
		"esdb+discover://u:p@w@h:2113/?x=a@b": "esdb+discover://u:xxxxx@h:2113/?x=a@b",
		"esdb://u@db1:2113":                   "esdb://u@db1:2113",
		"esdb://db1:2113?tls=false":           "esdb://db1:2113?tls=false",
		"./ledger.db":                         "./ledger.db",
	} {
		if got := stores.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
