package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/internal/failure"
	"github.com/breachledger/breachledger/safetext"
	"github.com/breachledger/breachledger/stores"
)

// Exit codes, one table for the whole CLI (README: Exit codes).
const (
	exitOK        = 0   // success
	exitInternal  = 1   // internal or I/O error
	exitUsage     = 2   // usage error: unknown flag, bad value
	exitNotFound  = 3   // not found: incident, event, request, ledger
	exitRefused   = 4   // refused by a rule; nothing was appended
	exitConflict  = 5   // conflict persisted after retries
	exitIntegrity = 6   // integrity failure (verify)
	exitDeadline  = 7   // a deadline is overdue or due within the asked window
	exitSIGINT    = 130 // interrupted by SIGINT before it finished; nothing was appended (signals.go)
	exitSIGTERM   = 143 // interrupted by SIGTERM before it finished; nothing was appended
)

// usageError is a bad command line: an unknown flag, a malformed value, a
// missing argument. It may hold several problems at once.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// silentExit ends the process with a code after the command printed its
// output (deadlines exits 7 this way).
type silentExit int

func (e silentExit) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// exitCode maps an error to the process exit status: what only the CLI
// knows (a bad command line, a signal, a build without EventStoreDB) here,
// everything else by the one table the API shares (internal/failure).
func exitCode(err error) int {
	var silent silentExit
	var usage usageError
	var ec cli.ExitCoder
	var stopped interruptedExit
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &silent):
		return int(silent)
	case errors.As(err, &stopped):
		return stopped.code()
	case errors.As(err, &usage), errors.Is(err, stores.ErrNoESDB):
		return exitUsage
	}
	if kind := failure.Of(err); kind != failure.Internal && kind != failure.Canceled {
		return kind.ExitCode()
	}
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return exitInternal
}

// report prints err for a person: every problem of a multi-error on its own
// line, with the program name in front.
func report(w io.Writer, err error) {
	var silent silentExit
	if errors.As(err, &silent) {
		return
	}
	var merr *multierror.Error
	var verr *domain.ValidationError
	switch {
	case errors.As(err, &merr) && len(merr.Errors) > 1:
		fmt.Fprintf(w, "breachledger: %d problems:\n", len(merr.Errors))
		for _, e := range merr.Errors {
			fmt.Fprintf(w, "  - %s\n", safetext.Line(e.Error()))
		}
	case errors.As(err, &verr) && len(verr.Fields) > 1:
		fmt.Fprintf(w, "breachledger: %d invalid fields:\n", len(verr.Fields))
		for _, f := range verr.Fields {
			fmt.Fprintf(w, "  - %s\n", safetext.Line(f.Error()))
		}
	default:
		// Error messages may quote stored values (an actor, a type, a
		// summary): none reaches the terminal raw.
		fmt.Fprintf(w, "breachledger: %s\n", safetext.Text(strings.TrimSpace(err.Error())))
	}
	switch code := exitCode(err); {
	case errors.Is(err, stores.ErrNoESDB):
		// exit 2, and the message says what to do: no usage hint
	case code == exitUsage:
		fmt.Fprintln(w, `(usage error: see "breachledger help COMMAND")`)
	case errors.Is(err, eventstore.ErrNotLedger):
		fmt.Fprintln(w, `(nothing was changed: point --ledger / BREACHLEDGER_LEDGER at your ledger; "breachledger init" makes a new one, in a file of its own)`)
	case errors.Is(err, eventstore.ErrNoLedger):
		fmt.Fprintln(w, `(no ledger here: create one with "breachledger init --name NAME", or point --ledger / BREACHLEDGER_LEDGER at yours)`)
	case code == exitRefused:
		fmt.Fprintln(w, "(nothing was recorded)")
	case code == exitConflict:
		fmt.Fprintln(w, "(other writers kept changing this incident; nothing was recorded: run the command again)")
	}
}
