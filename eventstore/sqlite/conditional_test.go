package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/eventstore/storetest"
)

func TestConditionalAppender(t *testing.T) {
	storetest.RunConditionalAppender(t, func(t *testing.T) eventstore.Store {
		return openFile(t, filepath.Join(t.TempDir(), "ledger.db"))
	})
}

func TestConditionalAppenderMemory(t *testing.T) {
	storetest.RunConditionalAppender(t, func(t *testing.T) eventstore.Store {
		s, err := sqlite.Open(t.Context(), sqlite.Memory, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestConditionalRaceTwoHandles races conditional appends through one
// Store against ledger-stream appends through another on the same file,
// as two processes would: the condition is checked under SQLite's own
// write lock, not only this process's queue.
func TestConditionalRaceTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	writer := openFile(t, path)
	other := openFile(t, path)
	storetest.RunConditionalRace(t, writer, other)
}
