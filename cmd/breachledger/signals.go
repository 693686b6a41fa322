package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/cmd/breachledger/internal/early"
)

// How SIGINT and SIGTERM end a command (README: Exit codes).
//
// The first signal cancels the command's context, with an *interrupted
// cause naming the signal. What the command has not begun stops there: it
// exits 130 (SIGINT) or 143 (SIGTERM) saying it was interrupted and that
// nothing was appended, and prints no answer that could pass for a whole
// one. What it has begun and must not leave half done (an append and its
// checkpoint, a key written, serve's shutdown) it finishes: the ledger
// writer never cuts an append short once begun (ledger.Writer.Execute),
// and from there on the command runs on a context that signals no longer
// cancel (commit). It then exits as it would have, saying on stderr that
// the signal came too late to stop it.
//
// Later signals are caught and dropped, so nothing is stopped part-way
// while it finishes; SIGKILL still ends the process at once (on SQLite an
// append is all or nothing even then).

// interrupted is the cause a signal cancels a command's context with.
type interrupted struct{ sig os.Signal }

func (e *interrupted) Error() string { return "interrupted by " + signalName(e.sig) }

// Is makes it a context.Canceled, as the context's own error is.
func (e *interrupted) Is(target error) bool { return target == context.Canceled }

func signalName(s os.Signal) string {
	switch s {
	case nil:
		return "no signal"
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// notifySignals returns parent cancelled by the first SIGINT or SIGTERM,
// with an *interrupted cause. The signals stay caught until the process
// exits, so a late one cannot turn a finished command's exit status into a
// kill.
// The handler is set by package early, as soon as the program starts.
func notifySignals(parent context.Context) context.Context {
	ctx, cancel := context.WithCancelCause(parent)
	go func() { cancel(&interrupted{sig: <-early.Signals}) }()
	return ctx
}

// signalOf returns the signal that cancelled ctx, or nil.
func signalOf(ctx context.Context) os.Signal {
	var in *interrupted
	if errors.As(context.Cause(ctx), &in) {
		return in.sig
	}
	return nil
}

// outcome is what a command tells run about its point of no return.
type outcome struct {
	mu        sync.Mutex
	committed bool
	note      string // what to say when a signal arrived after it
}

type outcomeKey struct{}

func withOutcome(ctx context.Context) (context.Context, *outcome) {
	o := &outcome{}
	return context.WithValue(ctx, outcomeKey{}, o), o
}

// commit marks the point from which the command no longer stops for a
// signal: it has begun a change that must not be left half done. From here
// on c.Context is one that signals do not cancel, so what follows (the
// checkpoint after an append, the key of a new ledger, the answer)
// finishes. If a signal arrived, run says so with note ("" says nothing:
// serve, which a signal ends normally), and the command's own result
// decides the exit status.
func commit(c *cli.Context, note string) {
	if o, ok := c.Context.Value(outcomeKey{}).(*outcome); ok {
		o.mu.Lock()
		if !o.committed {
			o.committed, o.note = true, note
		}
		o.mu.Unlock()
	}
	c.Context = context.WithoutCancel(c.Context)
}

// committedAppend is commit's note for a write whose append landed.
const committedAppend = "after the append had begun: it was finished, and what is printed above is recorded"

// stoppedPart is the error of a command a signal stopped after part of its
// work, which it can resume (migrate): done says how far it got, in place
// of "nothing was appended".
type stoppedPart struct {
	done string
	err  error
}

func (e *stoppedPart) Error() string { return e.done + ": " + e.err.Error() }
func (e *stoppedPart) Unwrap() error { return e.err }

// interruptedExit is a command stopped by a signal before it finished.
type interruptedExit struct {
	sig  os.Signal
	done string
}

func (e interruptedExit) Error() string {
	return fmt.Sprintf("interrupted by %s before it finished: %s", signalName(e.sig), e.done)
}

func (e interruptedExit) code() int {
	if e.sig == syscall.SIGTERM {
		return exitSIGTERM
	}
	return exitSIGINT
}

// settle returns what the command's result err becomes, given what a signal
// did to ctx. A command stopped before its point of no return (its error
// is the cancellation, or it returned nothing at all after the signal, so
// its answer may be incomplete) is an interruptedExit. A command past it,
// or one that failed for a reason of its own, keeps its result; the first
// gets a line on stderr saying the signal came too late to stop it.
func settle(ctx context.Context, o *outcome, err error, stderr io.Writer) error {
	sig := signalOf(ctx)
	if sig == nil {
		return err
	}
	o.mu.Lock()
	committed, note := o.committed, o.note
	o.mu.Unlock()
	if committed {
		if err == nil && note != "" {
			fmt.Fprintf(stderr, "breachledger: %s arrived %s\n", signalName(sig), note)
		}
		return err
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err // its own failure: a refusal, an integrity alarm, an overdue deadline
	}
	done := "nothing was appended"
	var part *stoppedPart
	if errors.As(err, &part) {
		done = part.done
	}
	return interruptedExit{sig: sig, done: done}
}
