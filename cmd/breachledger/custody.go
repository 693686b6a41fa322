package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
)

// decideCustody records the ledger-key holder's decision on records no
// checkpoint covers ("checkpoint --reject" and "--accept-legacy-tail"):
// one event in the ledger stream, covered with them by the checkpoint the
// append signs (domain.RejectForeign, domain.AcceptLegacyTail).
func (e *env) decideCustody(c *cli.Context) error {
	rejects := c.StringSlice("reject")
	switch {
	case len(rejects) > 0 && c.Bool("accept-legacy-tail"):
		return usagef("give --reject or --accept-legacy-tail, not both")
	case c.String("output") != "":
		return usagef("--output goes with a plain checkpoint, not with --reject or --accept-legacy-tail")
	case c.String("reason") == "":
		return usagef("--reason is required: say why the records are rejected or accepted")
	}
	seqs := make([]uint64, len(rejects))
	for i, s := range rejects {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return usagef("--reject %q: want a sequence number (\"breachledger verify\" names the uncovered ones)", s)
		}
		seqs[i] = n
	}
	who, err := actor(c)
	if err != nil {
		return err
	}
	now := e.now().UTC()
	by := domain.By{Actor: who, At: now}
	build := func(st eventstore.Store, signer string) (domain.Command, error) {
		by.Signer = signer
		if len(seqs) == 0 {
			tail, err := ledger.LegacyTail(c.Context, st)
			if err != nil {
				return nil, err
			}
			return domain.AcceptLegacyTail{By: by, Tail: tail, Reason: c.String("reason")}, nil
		}
		recs, err := ledger.Rejections(c.Context, st, seqs)
		if err != nil {
			return nil, err
		}
		return domain.RejectForeign{By: by, Records: recs, Reason: c.String("reason")}, nil
	}
	return e.recordLedgerFactFrom(c, build, now, func(_ eventstore.Store, res ledger.Result) error {
		return e.printWrite(c, res, now)
	})
}

// sayLag says, on stderr, what of a ledger its newest checkpoint does not
// cover yet (on a notary's ledger, or on a store that checkpoints after
// the append): lag, which readers leave out, and a failure (exit 6) once
// the oldest has waited longer than the ledger's notary-lag.
func (e *env) sayLag(c *cli.Context, v *ledger.View) error {
	cov := v.Coverage()
	if cov.Pending == 0 {
		return nil
	}
	l, err := readLedger(c, v)
	if err != nil {
		return err
	}
	p := integrity.Pending{Count: cov.Pending, From: cov.Size, OldestRecorded: cov.OldestPending}
	waited := e.now().Sub(cov.OldestPending)
	if limit := l.Settings.NotaryLag; waited > limit {
		return fmt.Errorf("%s: the oldest has waited %s for the notary's checkpoint, longer than the ledger's notary-lag (%s): is the notary running? (\"breachledger notary run\"): %w",
			p, waited.Round(time.Second), domain.FormatDuration(limit), integrity.ErrIntegrity)
	}
	fmt.Fprintf(e.stderr, "%s: left out until the notary checkpoints them\n", p)
	return nil
}

// withReader opens the ledger for a reader: fn gets the part of it that
// counts (ledger.View): records covered by a checkpoint signed with the
// ledger's key, never a rejected one. A record written around breachledger
// stops every reader (exit 6, naming it), so that a forged row can neither
// add a fact nor silence an alarm. The key is the one verify trusts
// (ledgerTrust: --key, the pinned key, or on first use the ledger's own);
// a reader never pins.
func (e *env) withReader(c *cli.Context, fn func(st eventstore.Store) error) error {
	return e.withView(c, false, fn)
}

// withLiveReader is withReader for serve, which sees appends made while
// it runs (ledger.OpenReader's live).
func (e *env) withLiveReader(c *cli.Context, fn func(st eventstore.Store) error) error {
	return e.withView(c, true, fn)
}

func (e *env) withView(c *cli.Context, live bool, fn func(st eventstore.Store) error) error {
	return withReadStore(c, live, func(st eventstore.Store) error {
		key, _, err := e.ledgerTrust(c, st)
		if err != nil {
			return fmt.Errorf("readers count only events covered by a checkpoint signed with the ledger's key: %w", err)
		}
		v, err := ledger.NewView(c.Context, st, key)
		if err != nil {
			return err
		}
		if err := e.sayLag(c, v); err != nil {
			return err
		}
		// Once, on stderr (stdout stays the document asked for): which
		// authors no signature proves (authorship.go).
		a, err := readAuthorship(c, v)
		if err != nil {
			return err
		}
		a.say(e.stderr)
		return fn(v)
	})
}
