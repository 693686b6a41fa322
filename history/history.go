// Package history folds a ledger's stored records into domain facts and
// splits them by stream (History): the facts that count, and those that
// lost a revocation race (Races), set apart. It lies below both the write
// path (package ledger) and the read side (package projections), and
// depends on domain and the eventstore interfaces only. Provenance, the
// part of the ledger a report was built from, is here too: the ledger
// reads it, a report prints it.
package history

import (
	"fmt"
	"sort"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
)

// FactOf decodes a stored record into a domain fact.
func FactOf(r eventstore.Record) (domain.Fact, error) {
	e, err := domain.Decode(r.Type, r.Payload)
	if err != nil {
		return domain.Fact{}, fmt.Errorf("decode event %s (seq %d): %w", r.ID, r.Sequence, err)
	}
	return domain.Fact{
		ID: r.ID.String(), Sequence: r.Sequence, Stream: r.Stream, Revision: r.Revision, Type: r.Type,
		At: r.OccurredAt.UTC(), Actor: r.Actor, Signer: r.Signer, RecordedAt: r.RecordedAt.UTC(), Basis: r.Basis, Event: e,
	}, nil
}

// FactsOf decodes records in order.
func FactsOf(recs []eventstore.Record) ([]domain.Fact, error) {
	out := make([]domain.Fact, 0, len(recs))
	for _, r := range recs {
		f, err := FactOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// History is a ledger's facts split by stream: those that count. A fact
// that lost a revocation race (races.go) is kept apart, in Raced, and no
// view folds it.
type History struct {
	Ledger    []domain.Fact
	Incidents map[string][]domain.Fact // by incident ID
	Raced     []RacedFact              // in the order they were added
	races     Races                    // the ledger's revocations so far
	order     []string                 // incident IDs in the order they were first recorded
}

// New returns an empty history.
func New() *History { return &History{Incidents: map[string][]domain.Fact{}} }

// Add appends one fact (facts must come in sequence order; or a stream
// at a time, the ledger stream first), or sets it apart in Raced when it
// lost a revocation race to a ledger fact added before it.
func (h *History) Add(f domain.Fact) {
	if r, raced := h.races.Judge(f); raced {
		h.Raced = append(h.Raced, RacedFact{Fact: f, Race: r})
		return
	}
	if f.Stream == domain.LedgerStream {
		h.races.Learn(f)
		h.Ledger = append(h.Ledger, f)
		return
	}
	if id, ok := domain.IncidentID(f.Stream); ok {
		facts, seen := h.Incidents[id]
		if !seen {
			h.order = append(h.order, id)
			facts = make([]domain.Fact, 0, 16) // most incidents have tens of facts: skip the small growth steps
		}
		h.Incidents[id] = append(facts, f)
	}
}

// IncidentIDs returns the incident IDs in the order they were first
// recorded (KSUIDs also sort by time).
func (h *History) IncidentIDs() []string {
	out := append([]string(nil), h.order...)
	sort.SliceStable(out, func(i, j int) bool {
		return h.Incidents[out[i]][0].Sequence < h.Incidents[out[j]][0].Sequence
	})
	return out
}

// LedgerAt returns the ledger state the cut sees.
func (h *History) LedgerAt(cut domain.Cut) domain.Ledger { return domain.ReplayLedger(h.Ledger, cut) }

// IncidentAt returns incident id as the cut sees it; Exists is false when
// the cut sees none of it.
func IncidentAt(id string, facts []domain.Fact, cut domain.Cut) domain.Incident {
	inc := domain.Replay(facts, cut)
	inc.ID = id
	if inc.Stream == "" {
		inc.Stream = domain.IncidentStream(id)
	}
	return inc
}
