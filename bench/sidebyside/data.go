package main

import (
	"context"
	"fmt"
	"time"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"

	"github.com/breachledger/breachledger/bench/internal/benchledger"
)

// perIncident is how many events each generated incident has.
const perIncident = benchledger.PerIncident

// incidentRecords returns generated incident i, BENCH and i in seven
// digits, recorded by oscar, as records (benchledger.IncidentRecords).
func incidentRecords(i int) ([]eventstore.Record, error) {
	return benchledger.IncidentRecords(i, fmt.Sprintf("BENCH%07d", i), "oscar", 0, perIncident)
}

// benchLedger is a ledger file made for a row, with its key.
type benchLedger = benchledger.Ledger

// fillIncidents adds incidents [from, from+n) to the ledger, 1000 events
// per transaction (Import, which spans streams, as migrate does), each
// batch followed by its signed checkpoint, as a batch importer with
// integrity on would.
func fillIncidents(ctx context.Context, st *sqlite.Store, key *integrity.LedgerKey, from, n int, progress func(done int)) error {
	return fillIncidentsWith(ctx, st, key, from, n, progress, nil)
}

// fillIncidentsWith is fillIncidents with prepare (when not nil) called on
// each incident's records before they are imported: signSigned signs them.
func fillIncidentsWith(ctx context.Context, st *sqlite.Store, key *integrity.LedgerKey, from, n int, progress func(done int), prepare func([]eventstore.Record) error) error {
	head, err := st.Head(ctx)
	if err != nil {
		return err
	}
	cp := ledger.Checkpointer{Store: st, Key: key}
	const batch = 1000
	var pending []eventstore.Record
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		for i := range pending {
			pending[i].Sequence = head + uint64(i)
			pending[i].RecordedAt = now
		}
		if err := st.Import(ctx, pending); err != nil {
			return err
		}
		if _, err := cp.Checkpoint(ctx, pending); err != nil {
			return err
		}
		head += uint64(len(pending))
		pending = pending[:0]
		return nil
	}
	for i := from; i < from+n; i++ {
		recs, err := incidentRecords(i)
		if err != nil {
			return err
		}
		if prepare != nil {
			if err := prepare(recs); err != nil {
				return err
			}
		}
		pending = append(pending, recs...)
		if len(pending) >= batch {
			if err := flush(); err != nil {
				return err
			}
			if progress != nil {
				progress(i + 1 - from)
			}
		}
	}
	return flush()
}
