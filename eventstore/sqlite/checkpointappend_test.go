package sqlite_test

import (
	"testing"

	"github.com/breachledger/breachledger/eventstore/storetest"
)

func TestCheckpointAppender(t *testing.T) {
	storetest.RunCheckpointAppender(t, newFileStore)
}

func TestCheckpointAppenderMemory(t *testing.T) {
	storetest.RunCheckpointAppender(t, newMemoryStore)
}
