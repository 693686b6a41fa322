package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/eventstore/storetest"
)

func TestCheckpointAppender(t *testing.T) {
	storetest.RunCheckpointAppender(t, func(t *testing.T) eventstore.Store {
		return openFile(t, filepath.Join(t.TempDir(), "ledger.db"))
	})
}

func TestCheckpointAppenderMemory(t *testing.T) {
	storetest.RunCheckpointAppender(t, func(t *testing.T) eventstore.Store {
		s, err := sqlite.Open(t.Context(), sqlite.Memory, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
