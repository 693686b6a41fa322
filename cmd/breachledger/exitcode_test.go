package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/failure"
)

// TestExitCodeIntegrity: what a reader finds when the ledger's history is
// not what it was, or does not verify, is an integrity failure (exit 6),
// not an I/O error, and says what to do.
func TestExitCodeIntegrity(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{fmt.Errorf("read ledger from 12: sequence 5 was event a, now event b: %w", eventstore.ErrHistoryChanged), exitIntegrity},
		{fmt.Errorf("recorded, but not checkpointed: %w", integrity.ErrIntegrity), exitIntegrity},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	var b bytes.Buffer
	report(&b, tests[0].err)
	if !strings.Contains(b.String(), `run "breachledger verify"`) {
		t.Errorf("report of changed history says %q, want it to point to verify", b.String())
	}
}

// TestExitCodesAreTheSharedTable: the CLI's exit codes are the shared
// table's (internal/failure), which the API's statuses come from too.
func TestExitCodesAreTheSharedTable(t *testing.T) {
	tests := []struct {
		kind failure.Kind
		want int
	}{
		{failure.Internal, exitInternal},
		{failure.Usage, exitUsage},
		{failure.NotFound, exitNotFound},
		{failure.Refused, exitRefused},
		{failure.Conflict, exitConflict},
		{failure.Integrity, exitIntegrity},
	}
	for _, tt := range tests {
		if got := tt.kind.ExitCode(); got != tt.want {
			t.Errorf("%s: the shared table says exit %d, the CLI's constant is %d", tt.kind, got, tt.want)
		}
	}
}
