package readmodel

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
)

// keptNeed is a fact needed of one incident, as kept (rm_facts_needed) or
// from a fresh evaluation: where it goes in the view, what the filter
// reads, and its JSON.
type keptNeed struct {
	firstSeq, ord uint64
	incident      string
	n             domain.FactNeeded // the fields the filter reads
	row           []byte
}

// needsOf returns a fresh evaluation's facts needed (at its cut).
func needsOf(ev evaluation) ([]keptNeed, error) {
	out := make([]keptNeed, len(ev.needs))
	for i, n := range ev.needs {
		row, err := json.Marshal(n)
		if err != nil {
			return nil, err
		}
		out[i] = keptNeed{firstSeq: ev.firstSeq, ord: uint64(i), incident: ev.id, n: n.FactNeeded, row: row}
	}
	return out, nil
}

// factsQuery reads rm_facts_needed whole; factsRangeQuery one regime's
// rows with the row before them.
var (
	factsQuery      = `SELECT ` + factsTable.selectCols() + ` FROM rm_facts_needed ORDER BY ` + factsTable.order
	factsRangeQuery = `SELECT * FROM (SELECT ` + factsTable.selectCols() + ` FROM rm_facts_needed WHERE ` + factsTable.tuple + ` < (?, ?, ?) ORDER BY ` + factsTable.desc + ` LIMIT 1)
UNION ALL SELECT * FROM (SELECT ` + factsTable.selectCols() + ` FROM rm_facts_needed WHERE regime = ?)`
)

// factsNeeded returns the deadline view's facts needed at asOf, filtered
// (incident, regimes), in the view's order: the kept rows of incidents
// whose every fact is at or before asOf (facts needed do not change with
// the instant, only with the facts), and fresh the others' (future: the
// incidents with a fact after asOf, evaluated again at asOf). A view
// filtered by regime reads only those regimes' rows (the chain is in
// regime order), each range checked whole against the chain.
func (k *Kept) factsNeeded(ctx context.Context, asOf time.Time, f projections.DeadlineFilter, future []keptNeed) ([]json.RawMessage, error) {
	var rows []sealedRow
	if len(f.Regimes) == 0 {
		var err error
		if rows, err = k.factsAll(ctx); err != nil {
			return nil, err
		}
	} else {
		for _, regime := range regimesOf(f.Regimes) {
			rs, err := k.factsRange(ctx, regime)
			if err != nil {
				return nil, err
			}
			rows = append(rows, rs...)
		}
	}
	var all []keptNeed
	for _, r := range rows {
		v := r.vals
		if i64(v[5]) > asOf.UnixNano() || f.Incident != "" && str(v[0]) != f.Incident {
			continue
		}
		n := keptNeed{incident: str(v[0]), firstSeq: uint64(i64(v[2])), ord: uint64(i64(v[1])), row: blob(v[6])}
		n.n.Rule, n.n.Regime = str(v[3]), str(v[4])
		all = append(all, n)
	}
	for _, n := range future {
		if f.Incident == "" || n.incident == f.Incident {
			all = append(all, n)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].firstSeq != all[j].firstSeq {
			return all[i].firstSeq < all[j].firstSeq
		}
		return all[i].ord < all[j].ord
	})
	out := []json.RawMessage{}
	for _, n := range all {
		if f.AdmitNeed(n.n) {
			out = append(out, n.row)
		}
	}
	return out, nil
}

// factsAll reads every kept fact needed, checked against its MAC and the
// chain.
func (k *Kept) factsAll(ctx context.Context) ([]sealedRow, error) {
	t := factsTable
	rows, err := k.scan(ctx, t, false, factsQuery)
	if err != nil {
		return nil, err
	}
	head, rows := headOf(t, rows)
	if err := k.m.checkChain(t, head, rows, func(ckey) bool { return true }, k.Position()); err != nil {
		return nil, err
	}
	return rows, nil
}

// factsRange reads one regime's kept facts needed, proved whole by the
// row before them (the head row, at least) and the chain.
func (k *Kept) factsRange(ctx context.Context, regime string) ([]sealedRow, error) {
	t := factsTable
	rows, err := k.scan(ctx, t, false, factsRangeQuery, regime, int64(minInstant), int64(minInstant), regime)
	if err != nil {
		return nil, err
	}
	pred, rows := predecessorOf(rows, ckey{r: regime, b: minInstant, c: minInstant})
	inRange := func(x ckey) bool { return x.r == regime }
	if err := k.m.checkChain(t, pred, rows, inRange, k.Position()); err != nil {
		return nil, err
	}
	return rows, nil
}
