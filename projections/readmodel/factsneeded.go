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

// factsNeeded returns the deadline view's facts needed at asOf, filtered
// (incident, regimes), in the view's order: the kept rows of incidents
// whose every fact is at or before asOf (facts needed do not change with
// the instant, only with the facts), and fresh the others' (future: the
// incidents with a fact after asOf, evaluated again at asOf).
func (k *Kept) factsNeeded(ctx context.Context, asOf time.Time, f projections.DeadlineFilter, future []keptNeed) ([]json.RawMessage, error) {
	q := `SELECT incident, first_seq, ord, rule, regime, row FROM rm_facts_needed WHERE latest_at <= ?`
	args := []any{asOf.UnixNano()}
	if f.Incident != "" {
		q += ` AND incident = ?`
		args = append(args, f.Incident)
	}
	rows, err := k.db.QueryContext(ctx, q+` ORDER BY first_seq, ord`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []keptNeed
	for rows.Next() {
		var n keptNeed
		var seq, ord int64
		if err := rows.Scan(&n.incident, &seq, &ord, &n.n.Rule, &n.n.Regime, &n.row); err != nil {
			return nil, err
		}
		n.firstSeq, n.ord = uint64(seq), uint64(ord)
		all = append(all, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
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
