package main

import (
	"context"
	"fmt"

	"github.com/breachledger/breachledger/projections/readmodel"
)

// list is the row "list --open at 50,000 incidents, p99, against a raw
// indexed SELECT of the same rows plus one read of the ledger's head"
// (issue 22), on the deadlines rows' ledger (deadlines.go): the incidents
// notified in time are closed, so about 6% of those older than a day, and
// every younger one, are open. Each round times the kept incident list
// (readmodel.Kept.List with open: the open range read, checked against its
// MACs and chain, each row's evaluation checked to hold at the instant, in
// first-event order) against the ledger's head read and a SELECT of the
// same rows' data (the list entry's JSON and the packed values) from
// rm_incidents through the same index.
func list(cfg config) ([]row, error) {
	ctx := context.Background()
	kl, err := sharedKeptLedger(cfg)
	if err != nil {
		return nil, err
	}
	r, err := keptRow(ctx, kl, "list --open",
		func() (int, error) {
			p, err := kl.kept.List(ctx, kl.asOf, true, readmodel.Page{}, false)
			return len(p.Incidents), err
		},
		func() (int, error) {
			return kl.baseline(ctx, `SELECT data FROM rm_incidents WHERE closed = 0 AND first_seq >= 0 ORDER BY closed, first_seq`)
		})
	if err != nil {
		return nil, fmt.Errorf("list --open: %w", err)
	}
	return []row{r}, nil
}
