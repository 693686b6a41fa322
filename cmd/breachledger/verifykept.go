package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
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
// and every kept projection against its replay from the log at now, as
// replay does. A view tampered with, or differing from its replay, is
// rebuilt from the log, named on stderr, and exits 6.
func (e *env) verifyKept(c *cli.Context, st eventstore.Store) error {
	path, err := keptPath(c, st)
	if err != nil {
		return nil // nowhere to keep views: none to check
	}
	if !readmodel.HasViews(path) {
		return nil // none kept: verify makes none
	}
	now := e.now().UTC()
	res, err := e.replayAll(c.Context, c, st, domain.Cut{AsOf: now, KnownAt: now}, now)
	if err != nil {
		return err
	}
	var differ []string
	for _, p := range res.Projections {
		if p.Kept != nil && !p.Kept.Same {
			differ = append(differ, p.Projection)
		}
	}
	switch {
	case len(res.Tampered) > 0:
		fmt.Fprintf(e.stderr, "breachledger: the kept views in %s were tampered with (%s); they were rebuilt from the log (readers never answered from those rows: each is checked against its MAC)\n", path, strings.Join(res.Tampered, "; "))
		return silentExit(exitIntegrity)
	case len(differ) > 0:
		k, err := openKept(c, st)
		if err != nil {
			return err
		}
		defer k.Close()
		if _, err := k.Rebuild(c.Context, now); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "breachledger: the kept views in %s differ from their replay from the log (%s); they were rebuilt from the log\n", path, strings.Join(differ, ", "))
		return silentExit(exitIntegrity)
	}
	return nil
}
