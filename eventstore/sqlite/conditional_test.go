package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/breachledger/breachledger/eventstore/storetest"
)

func TestConditionalAppender(t *testing.T) {
	storetest.RunConditionalAppender(t, newFileStore)
}

func TestConditionalAppenderMemory(t *testing.T) {
	storetest.RunConditionalAppender(t, newMemoryStore)
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
