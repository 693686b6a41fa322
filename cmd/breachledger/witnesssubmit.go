package main

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/safetext"
	"github.com/breachledger/breachledger/witness"
)

func (e *env) witnessSubmitCommand() *cli.Command {
	return &cli.Command{
		Name:  "submit",
		Usage: "send the ledger's newest checkpoint to its witnesses now, and keep their cosignatures",
		Description: `The notary ("breachledger notary run") does this after every checkpoint and
again every witness-refresh. On a personal ledger, "breachledger checkpoint"
does it, and this command from cron, at least every witness-refresh, keeps
the cosignatures fresh for auditors who verify with --max-age.

A checkpoint is public and signed: submitting it needs no key.

Exit 0: every witness cosigned. Exit 6: a witness has cosigned more of
this log than the ledger holds (rolled back, or another copy checkpointed
with its key), or refuses the proof that the ledger extends what it
cosigned (a fork). Exit 1: a witness could not be reached or refused for
another reason (named). Exit 3: the ledger names no witness.`,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			return withStore(c, false, func(st eventstore.Store) error {
				_, err := e.submitToWitnesses(c, st, &witness.Submitter{Store: st})
				return err
			})
		},
	}
}

// submitToWitnesses sends the newest checkpoint to the witnesses the
// ledger names, says on stderr what each made of it, and returns the
// cosigned checkpoint's size. The error is an integrity failure (exit 6)
// when a witness shows the ledger rolled back or forked, and a plain one
// (exit 1) when some witness did not cosign for another reason.
func (e *env) submitToWitnesses(c *cli.Context, st eventstore.Store, sub *witness.Submitter) (uint64, error) {
	targets, err := e.ledgerWitnesses(c, st)
	if err != nil {
		return 0, err
	}
	if len(targets) == 0 {
		return 0, fmt.Errorf(`no witness to submit to: the ledger names none (an admin adds one with "breachledger witness add VKEY URL"): %w`, domain.ErrNotFound)
	}
	size, outs, err := sub.Submit(c.Context, targets)
	if err != nil {
		return 0, err
	}
	return size, e.sayOutcomes(outs)
}

// sayOutcomes says on stderr what each witness made of a submission. The
// error is an integrity failure (exit 6) when a witness shows the ledger
// rolled back or forked, and a plain one (exit 1) when some witness did
// not cosign for another reason.
func (e *env) sayOutcomes(outs []witness.Outcome) error {
	var failed, forked int
	var size uint64
	for _, o := range outs {
		size = o.Size
		switch {
		case o.Err == nil:
			fmt.Fprintf(e.stderr, "witness %s cosigned the checkpoint of %d events\n", safetext.Line(o.Witness), o.Size)
		case errors.Is(o.Err, witness.ErrFork), errors.Is(o.Err, witness.ErrWitnessAhead):
			forked++
			fmt.Fprintf(e.stderr, "breachledger: INTEGRITY: %s\n", safetext.Line(o.Err.Error()))
		default:
			failed++
			fmt.Fprintf(e.stderr, "breachledger: witness %s did not cosign: %s\n", safetext.Line(o.Witness), safetext.Line(o.Err.Error()))
		}
	}
	switch {
	case forked > 0:
		return fmt.Errorf("%d witness(es) saw another history of this ledger than it holds now: %w", forked, integrity.ErrIntegrity)
	case failed > 0:
		return fmt.Errorf("%d of %d witness(es) did not cosign the checkpoint of %d events (named above); it is submitted again by the next checkpoint or \"breachledger witness submit\"", failed, len(outs), size)
	}
	return nil
}

// ledgerWitnesses returns the witnesses the ledger names (witness add),
// saying on stderr which it leaves out because their key does not parse.
func (e *env) ledgerWitnesses(c *cli.Context, st eventstore.Store) ([]witness.Target, error) {
	l, err := readLedger(c, st)
	if err != nil {
		return nil, err
	}
	return e.witnessTargets(l), nil
}

// witnessTargets returns the witnesses l names, saying on stderr which it
// leaves out because their key does not parse.
func (e *env) witnessTargets(l domain.Ledger) []witness.Target {
	targets, bad := witness.TargetsOf(l.Witnesses.Active())
	for _, err := range bad {
		fmt.Fprintf(e.stderr, "breachledger: %s\n", safetext.Line(err.Error()))
	}
	return targets
}

// witnessCheckpoint submits the checkpoint just signed (cp, the newest)
// to the ledger's witnesses, if it names any, and returns its note with
// the cosignatures they gave: what "checkpoint" writes for an auditor to
// keep. The error is submitToWitnesses'; the note is returned with it.
func (e *env) witnessCheckpoint(c *cli.Context, st eventstore.Store, cp eventstore.Checkpoint) ([]byte, error) {
	targets, err := e.ledgerWitnesses(c, st)
	if err != nil || len(targets) == 0 {
		return cp.Note, err
	}
	_, serr := e.submitToWitnesses(c, st, &witness.Submitter{Store: st})
	return cosignedNote(c, st, cp.Size, cp.Note), serr
}

// cosignedNote returns note, the stored checkpoint of size events, with
// the cosignatures kept beside it (ledger.CosignedNote); note itself if
// they cannot be read.
func cosignedNote(c *cli.Context, st eventstore.Store, size uint64, note []byte) []byte {
	n, err := ledger.CosignedNote(c.Context, st, size, note)
	if err != nil {
		return note
	}
	return n
}

// writeWitnessTimeout bounds a writer's submission to each witness: the
// fact is recorded and checkpointed already, and a responder under
// pressure does not wait long for a witness.
const writeWitnessTimeout = 5 * time.Second

// witnessAfter submits the checkpoint a writer holding the ledger key (a
// personal ledger's) just signed to the witnesses the ledger names, as a
// notary does after each checkpoint, so each is cosigned as it is made. A
// witness that cannot be reached or refuses is a warning on stderr, not a
// failure of the write: the fact is recorded and checkpointed, and the
// next write, "checkpoint" or "witness submit" sends the newest again.
func (e *env) witnessAfter(c *cli.Context, st eventstore.Store, key *integrity.LedgerKey, res ledger.Result) {
	if key == nil {
		return
	}
	targets := e.witnessTargets(res.Ledger)
	if len(targets) == 0 {
		return
	}
	sub := &witness.Submitter{Store: st, HTTP: &http.Client{Timeout: writeWitnessTimeout}}
	_, outs, err := sub.Submit(c.Context, targets)
	if err != nil {
		fmt.Fprintf(e.stderr, "breachledger: recorded and checkpointed; not submitted to the witnesses: %s\n", safetext.Line(err.Error()))
		return
	}
	for _, o := range outs {
		switch {
		case o.Err == nil:
		case errors.Is(o.Err, witness.ErrFork), errors.Is(o.Err, witness.ErrWitnessAhead):
			fmt.Fprintf(e.stderr, "breachledger: INTEGRITY: recorded and checkpointed, but %s\n", safetext.Line(o.Err.Error()))
		default:
			fmt.Fprintf(e.stderr, "breachledger: recorded and checkpointed; witness %s did not cosign (\"breachledger witness submit\" tries again): %s\n", safetext.Line(o.Witness), safetext.Line(o.Err.Error()))
		}
	}
}
