package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// Kept views are trusted for an answer only under their MACs
// (projections/readmodel, mac.go): a reader that finds a kept row that does
// not check rebuilds the views from the log and answers from them, and
// says so on stderr; verify checks them all and exits 6.

// warnTampered says on stderr which kept rows did not check against their
// MACs since k was opened (k rebuilt the views from the log then, and the
// answer is the log's), and returns them.
func warnTampered(c *cli.Context, k *readmodel.Kept) []*readmodel.TamperError {
	ts := k.Tampered()
	for _, te := range ts {
		fmt.Fprintf(c.App.ErrWriter, "breachledger: %v; the kept views were rebuilt from the log and this answer is the log's (someone with write access to the cache file changed it: run \"breachledger verify\")\n", te)
	}
	return ts
}

// verifyKept checks the views kept for the ledger in st, when some are
// kept (verify never makes them): every kept row against its MAC and chain,
// and the kept projections (incidents, deadlines, register) against their
// replay from the log at now, as replay does (only those: verify need not
// build every timeline and report again). A view tampered with, or
// differing from its replay, is rebuilt from the log, named on stderr, and
// exits 6.
func (e *env) verifyKept(c *cli.Context, st eventstore.Store) error {
	path, err := keptPath(c, st)
	if err != nil {
		return nil // nowhere to keep views: none to check
	}
	if !readmodel.HasViews(path) {
		return nil // none kept: verify makes none
	}
	ctx := c.Context
	now := e.now().UTC()
	cut := domain.Cut{AsOf: now, KnownAt: now}
	h, p, err := ledger.ReadCheckpointed(ctx, st, 0, nil, nil)
	if err != nil {
		return err
	}
	k, err := openKept(c, st)
	if err != nil {
		return err
	}
	defer k.Close()
	if _, err := k.CatchUp(ctx, now); err != nil {
		return err
	}
	var differ []string
	if k.Position() == p.TreeSize {
		kept, err := k.Digests(ctx, now)
		if err != nil {
			return err
		}
		replayed, err := replayedKept(h, cut, p)
		if err != nil {
			return err
		}
		for i, d := range replayed {
			if i < len(kept) && kept[i] != d {
				differ = append(differ, d.Projection)
			}
		}
	}
	var tampered []string
	for _, te := range k.Tampered() {
		tampered = append(tampered, te.Error())
	}
	switch {
	case len(tampered) > 0:
		fmt.Fprintf(e.stderr, "breachledger: the kept views in %s were tampered with (%s); they were rebuilt from the log (readers never answered from those rows: each is checked against its MAC)\n", path, strings.Join(tampered, "; "))
		return silentExit(exitIntegrity)
	case len(differ) > 0:
		if _, err := k.Rebuild(ctx, now); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "breachledger: the kept views in %s differ from their replay from the log (%s); they were rebuilt from the log\n", path, strings.Join(differ, ", "))
		return silentExit(exitIntegrity)
	}
	return nil
}

// replayedKept returns the digests of the kept projections (incidents,
// deadlines, register) replayed from the history at the cut, in the order
// Kept.Digests gives them (as projections.Digests computes them).
func replayedKept(h *history.History, cut domain.Cut, p history.Provenance) ([]projections.Digest, error) {
	ds := []*projections.Digester{projections.NewDigester(projections.ProjectionIncidents), projections.NewDigester(projections.ProjectionDeadlines), projections.NewDigester(projections.ProjectionRegister)}
	for _, x := range projections.List(h, cut, false).Incidents {
		ds[0].Add(x)
	}
	for _, x := range projections.Deadlines(h, cut, projections.DeadlineFilter{}).Deadlines {
		ds[1].Add(x)
	}
	for _, x := range projections.BuildRegister(h, cut, p, projections.FormatJSON).Entries {
		ds[2].Add(x)
	}
	out := make([]projections.Digest, 0, len(ds))
	for _, d := range ds {
		dg, err := d.Digest()
		if err != nil {
			return nil, err
		}
		out = append(out, dg)
	}
	return out, nil
}
