package failure_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/failure"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// TestOf: each package's sentinel, wrapped as callers wrap it, sorts into
// one kind, and that kind has the exit code the README lists and the
// status the OpenAPI document lists.
func TestOf(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("read incident x: %w", err) }
	tests := []struct {
		err        error
		kind       failure.Kind
		exit, http int
	}{
		{wrap(&domain.FieldError{Field: "severity", Problem: "unknown value"}), failure.Usage, 2, http.StatusBadRequest},
		{wrap(eventstore.ErrTooLarge), failure.Usage, 2, http.StatusBadRequest},
		{wrap(readmodel.ErrBadCursor), failure.Usage, 2, http.StatusBadRequest},
		{wrap(&domain.RuleError{Rule: "declare-role"}), failure.Refused, 4, http.StatusUnprocessableEntity},
		{wrap(&domain.NotFoundError{What: "incident", ID: "x"}), failure.NotFound, 3, http.StatusNotFound},
		{wrap(eventstore.ErrNoLedger), failure.NotFound, 3, http.StatusNotFound},
		{wrap(ledger.ErrConflictPersisted), failure.Conflict, 5, http.StatusConflict},
		{wrap(integrity.ErrIntegrity), failure.Integrity, 6, http.StatusInternalServerError},
		{wrap(integrity.ErrMalformed), failure.Integrity, 6, http.StatusInternalServerError},
		{wrap(eventstore.ErrHistoryChanged), failure.Integrity, 6, http.StatusInternalServerError},
		{wrap(context.Canceled), failure.Canceled, 1, failure.StatusClientClosed},
		{errors.New("disk full"), failure.Internal, 1, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		got := failure.Of(tt.err)
		if got != tt.kind || got.ExitCode() != tt.exit || got.HTTPStatus() != tt.http {
			t.Errorf("Of(%v) = %s (exit %d, HTTP %d), want %s (exit %d, HTTP %d)", tt.err, got, got.ExitCode(), got.HTTPStatus(), tt.kind, tt.exit, tt.http)
		}
	}
}
