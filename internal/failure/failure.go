// Package failure sorts errors into the kinds a caller acts on, and gives
// each kind its exit code (the CLI's, README: Exit codes) and its HTTP
// status (the API's): one table for both, so a refusal, a missing incident
// or a ledger that does not verify reads the same from either side.
//
// Errors are sorted by errors.Is against the packages' sentinels, never by
// their text. What only the CLI knows (a bad command line, a signal, a
// build without EventStoreDB) it sorts itself before asking Of.
package failure

import (
	"context"
	"errors"
	"net/http"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// Kind is what went wrong, as a caller acts on it.
type Kind int

// The kinds, in the order of their exit codes.
const (
	Internal  Kind = iota // an internal or I/O error: the detail is for the operator
	Usage                 // bad input: an unknown flag or value, a malformed ID or cursor, too large
	NotFound              // the incident, event, request or ledger named does not exist
	Refused               // a rule of the process forbids it; nothing was appended
	Conflict              // other writers kept changing the stream; nothing was appended
	Integrity             // the ledger does not verify, or its history changed under the reader
	Canceled              // the caller went away (the API's client hung up)
)

// entry is one row of the table.
type entry struct {
	exit   int    // the CLI's exit code
	status int    // the API's HTTP status
	code   string // the API's error code
}

// StatusClientClosed is the status logged for a request its client
// cancelled (nginx's 499: no client reads it).
const StatusClientClosed = 499

var table = [...]entry{
	Internal:  {1, http.StatusInternalServerError, "internal"},
	Usage:     {2, http.StatusBadRequest, "bad_request"},
	NotFound:  {3, http.StatusNotFound, "not_found"},
	Refused:   {4, http.StatusUnprocessableEntity, "refused"},
	Conflict:  {5, http.StatusConflict, "conflict"},
	Integrity: {6, http.StatusInternalServerError, "integrity"},
	Canceled:  {1, StatusClientClosed, "canceled"},
}

// ExitCode is the CLI's exit code for the kind.
func (k Kind) ExitCode() int { return table[k].exit }

// HTTPStatus is the API's status for the kind.
func (k Kind) HTTPStatus() int { return table[k].status }

// Code is the API's error code for the kind ("not_found", "bad_request", …).
func (k Kind) Code() string { return table[k].code }

func (k Kind) String() string { return table[k].code }

// Of sorts err. A nil error has no kind: Of(nil) is Internal, so callers
// check for nil first.
func Of(err error) Kind {
	switch {
	case errors.Is(err, domain.ErrInvalid), errors.Is(err, eventstore.ErrTooLarge), errors.Is(err, readmodel.ErrBadCursor):
		return Usage
	case errors.Is(err, domain.ErrRefused):
		return Refused
	case errors.Is(err, domain.ErrNotFound), errors.Is(err, eventstore.ErrNoLedger):
		return NotFound
	case errors.Is(err, ledger.ErrConflictPersisted):
		return Conflict
	case errors.Is(err, integrity.ErrIntegrity), errors.Is(err, integrity.ErrMalformed), errors.Is(err, eventstore.ErrHistoryChanged):
		return Integrity
	case errors.Is(err, context.Canceled):
		return Canceled
	}
	return Internal
}
