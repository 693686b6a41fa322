package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/keyfiles"
	"github.com/breachledger/breachledger/ledger"
)

// witnessFlags are verify's flags for checking cosignatures: they go with
// every mode (a ledger, a bundle, a proof).
func witnessFlags() []cli.Flag {
	return []cli.Flag{
		strs("witness", "a witness's cosignature key (a file, or the key itself) whose cosignature the checkpoint must carry; repeatable"),
		&cli.IntFlag{Name: "quorum", Usage: "with --witness: how many of the witnesses must have cosigned (default: all of them)"},
		str("max-age", "with --witness: a cosignature counts only if made within this long before now (e.g. 2h, 1d); use at least twice the ledger's witness-refresh"),
	}
}

// witnessPolicy returns the policy verify's flags ask for, or nil when no
// --witness is given.
func witnessPolicy(c *cli.Context) (*integrity.WitnessPolicy, error) {
	keys := c.StringSlice("witness")
	if len(keys) == 0 {
		for _, f := range []string{"quorum", "max-age"} {
			if c.IsSet(f) {
				return nil, usagef("--%s goes with --witness: give the keys of the witnesses you trust", f)
			}
		}
		return nil, nil
	}
	p := &integrity.WitnessPolicy{}
	var ids []string
	for _, arg := range keys {
		k, err := keyfiles.ReadWitnessKey(arg)
		if err != nil {
			return nil, usageError{fmt.Errorf("--witness %s: %w", arg, err)}
		}
		if slices.Contains(ids, k.ID()) {
			return nil, usagef("--witness %s is given twice: each witness counts once towards the quorum", k.ID())
		}
		ids = append(ids, k.ID())
		p.Witnesses = append(p.Witnesses, k)
	}
	if c.IsSet("quorum") {
		q := c.Int("quorum")
		if q < 1 || q > len(p.Witnesses) {
			return nil, usagef("--quorum %d: want 1 to %d, the number of --witness keys given", q, len(p.Witnesses))
		}
		p.Quorum = q
	}
	if s := c.String("max-age"); s != "" {
		d, err := domain.ParseDuration(s)
		if err != nil {
			return nil, usagef("--max-age: %v", err)
		}
		p.MaxAge = d
	}
	return p, nil
}

// witnessLedger checks the cosignatures of the ledger's newest valid
// checkpoint (the one rep says covers the most), kept beside it in the
// store, and adds the outcome to rep: a "witness" problem when the policy
// is not met.
func (e *env) witnessLedger(c *cli.Context, st eventstore.Store, rep *integrity.Report, p *integrity.WitnessPolicy) error {
	if rep.Covered == 0 {
		rep.Problems = append(rep.Problems, integrity.Problem{What: "witness", Detail: "the ledger has no valid checkpoint for a witness to have cosigned"})
		return nil
	}
	cs, ok := st.(eventstore.CheckpointStore)
	if !ok {
		return fmt.Errorf("verify witnesses: the store keeps no checkpoints")
	}
	cps, err := cs.ReadCheckpoints(c.Context, rep.Covered-1, 1)
	if err != nil {
		return fmt.Errorf("verify witnesses: %w", err)
	}
	if len(cps) == 0 || cps[0].Size != rep.Covered {
		return fmt.Errorf("verify witnesses: the checkpoint of %d events is gone from the store: %w", rep.Covered, integrity.ErrIntegrity)
	}
	lines, err := ledger.Cosignatures(c.Context, st, rep.Covered)
	if err != nil {
		return fmt.Errorf("verify witnesses: %w", err)
	}
	addWitnessed(rep, p, cps[0].Note, lines, e.now())
	return nil
}

// addWitnessed checks the cosignatures of the checkpoint note (its own
// lines and extra) and adds the outcome to rep.
func addWitnessed(rep *integrity.Report, p *integrity.WitnessPolicy, note []byte, extra [][]byte, now time.Time) {
	wr, err := p.Check(note, extra, now)
	rep.Witnessed = wr
	if err != nil {
		var seq uint64
		if wr != nil && wr.Size > 0 {
			seq = wr.Size - 1
		}
		rep.Problems = append(rep.Problems, integrity.Problem{Seq: seq, What: "witness", Detail: err.Error()})
	}
}

// checkProofWitnessed checks the cosignatures a proof's checkpoint
// carries, when --witness asks (nil, nil otherwise).
func checkProofWitnessed(p *integrity.WitnessPolicy, note []byte, now time.Time) (*integrity.WitnessReport, error) {
	if p == nil {
		return nil, nil
	}
	wr, err := p.Check(note, nil, now)
	if err != nil {
		return nil, fmt.Errorf("the proof's checkpoint: %w", err)
	}
	return wr, nil
}
