package notary

import (
	"context"
	"time"

	"github.com/breachledger/breachledger/witness"
)

// retryAfter is how soon a submission that a witness refused, or could not
// be reached for, is tried again (or at the next checkpoint, or refresh,
// whichever comes first).
const retryAfter = 30 * time.Second

// witnessing is the notary's part in witnessing: when it last submitted,
// and whether every witness took it.
type witnessing struct {
	sub       *witness.Submitter
	last      time.Time // the last submission
	failed    bool      // some witness did not cosign it
	badKeys   map[string]bool
	submitted bool
}

// Witnesses returns the witnesses the ledger names (witness add), as far
// as the notary has judged it. A key that does not parse is left out
// (logged once).
func (n *Notary) Witnesses() []witness.Target {
	targets, bad := witness.TargetsOf(n.l.Witnesses.Active())
	for _, err := range bad {
		if !n.wit.badKeys[err.Error()] {
			n.log.Warn("witness left out", "err", err)
			if n.wit.badKeys == nil {
				n.wit.badKeys = map[string]bool{}
			}
			n.wit.badKeys[err.Error()] = true
		}
	}
	return targets
}

// SubmitToWitnesses sends the newest checkpoint to the ledger's witnesses
// now and saves their cosignatures. It returns the checkpoint's size (0
// with no checkpoint or no witness) and what each witness made of it.
func (n *Notary) SubmitToWitnesses(ctx context.Context) (uint64, []witness.Outcome, error) {
	targets := n.Witnesses()
	if len(targets) == 0 {
		return 0, nil, nil
	}
	if n.wit.sub == nil {
		n.wit.sub = &witness.Submitter{Store: n.store, Log: n.log}
	}
	size, outs, err := n.wit.sub.Submit(ctx, targets)
	n.wit.last, n.wit.submitted = n.now(), true
	n.wit.failed = err != nil
	for _, o := range outs {
		if o.Err != nil {
			n.wit.failed = true
		}
	}
	return size, outs, err
}

// witnessDue reports whether the witnesses are due a submission: a
// checkpoint they have not been sent, the ledger's witness-refresh since
// the last, or a failed one retryAfter ago.
func (n *Notary) witnessDue(newCheckpoint bool) bool {
	if !n.wit.submitted || newCheckpoint {
		return true
	}
	since := n.now().Sub(n.wit.last)
	refresh := n.l.Settings.WitnessRefresh
	return since >= refresh || (n.wit.failed && since >= min(retryAfter, refresh))
}

// witness submits to the witnesses when they are due a submission. A
// witness that refuses or cannot be reached does not stop the notary: it
// is logged (SubmitToWitnesses) and tried again.
func (n *Notary) witness(ctx context.Context, newCheckpoint bool) {
	if len(n.l.Witnesses.Active()) == 0 || !n.witnessDue(newCheckpoint) {
		return
	}
	if _, _, err := n.SubmitToWitnesses(ctx); err != nil && ctx.Err() == nil {
		n.log.Error("submit to witnesses", "err", err)
	}
}
