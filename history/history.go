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
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"

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
	return AppendFacts(make([]domain.Fact, 0, len(recs)), recs)
}

// AppendFacts decodes records in order and appends their facts to dst, as
// FactOf would make them. The facts' IDs share one string per call (one
// allocation, not one per fact): a replay keeps a million of them.
func AppendFacts(dst []domain.Fact, recs []eventstore.Record) ([]domain.Fact, error) {
	var b strings.Builder
	b.Grow(len(recs) * idLen)
	for _, r := range recs {
		b.Write(appendID(make([]byte, 0, idLen), r.ID)) // does not escape: no allocation
	}
	ids := b.String()
	for i, r := range recs {
		e, err := domain.Decode(r.Type, r.Payload)
		if err != nil {
			return dst, fmt.Errorf("decode event %s (seq %d): %w", r.ID, r.Sequence, err)
		}
		dst = append(dst, domain.Fact{
			ID: ids[i*idLen : (i+1)*idLen], Sequence: r.Sequence, Stream: r.Stream, Revision: r.Revision, Type: r.Type,
			At: r.OccurredAt.UTC(), Actor: r.Actor, Signer: r.Signer, RecordedAt: r.RecordedAt.UTC(), Basis: r.Basis, Event: e,
		})
	}
	return dst, nil
}

// idLen is the length of an event ID's string form (uuid.UUID.String).
const idLen = 36

// appendID appends id's string form, as uuid.UUID.String writes it
// (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, lower case).
func appendID(dst []byte, id uuid.UUID) []byte {
	const hexDigits = "0123456789abcdef"
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// History is a ledger's facts split by stream: those that count. A fact
// that lost a revocation race (races.go) is kept apart, in Raced, and no
// view folds it.
type History struct {
	Ledger    []domain.Fact
	Incidents map[string][]domain.Fact // by incident ID
	Raced     []RacedFact              // in the order they were added
	races     Races                    // the ledger's revocations so far
	order     []string                 // incident IDs in the order they were first added
	// ordered: order is also the order they were first recorded (each
	// incident's first fact came after the one before's, as when the log
	// is added in sequence order), so IncidentIDs need not sort it.
	ordered bool
	last    uint64 // the first sequence of order's last incident
}

// New returns an empty history.
func New() *History { return &History{Incidents: map[string][]domain.Fact{}, ordered: true} }

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
			h.first(id, f.Sequence)
			facts = make([]domain.Fact, 0, firstCap)
		}
		h.Incidents[id] = append(facts, f)
	}
}

// AddAll adds facts in order, as Add would one by one. Consecutive facts
// of one incident are added together: its slice is found once and grown
// once for them (a page of the log holds a few incidents' runs of facts,
// or, on a busy ledger, runs of one).
func (h *History) AddAll(facts []domain.Fact) {
	for len(facts) > 0 {
		run := 1
		for run < len(facts) && facts[run].Stream == facts[0].Stream {
			run++
		}
		h.addRun(facts[:run])
		facts = facts[run:]
	}
}

// addRun adds facts of one stream, in order.
func (h *History) addRun(facts []domain.Fact) {
	id, ok := domain.IncidentID(facts[0].Stream)
	if !ok {
		for _, f := range facts {
			h.Add(f)
		}
		return
	}
	inc, seen := h.Incidents[id]
	if seen {
		inc = slices.Grow(inc, len(facts))
	} else {
		inc = make([]domain.Fact, 0, max(len(facts), firstCap))
	}
	n := len(inc)
	for _, f := range facts {
		if r, raced := h.races.Judge(f); raced {
			h.Raced = append(h.Raced, RacedFact{Fact: f, Race: r})
			continue
		}
		inc = append(inc, f)
	}
	if len(inc) == n {
		return // every one lost a race: as Add, no entry for them
	}
	if !seen {
		h.first(id, inc[n].Sequence)
	}
	h.Incidents[id] = inc
}

// firstCap is the capacity an incident's facts start with: most incidents
// have tens of facts, so skip the small growth steps.
const firstCap = 16

// first records incident id, first seen at sequence seq.
func (h *History) first(id string, seq uint64) {
	if len(h.order) > 0 && seq < h.last {
		h.ordered = false
	}
	h.order = append(h.order, id)
	h.last = seq
}

// IncidentIDs returns the incident IDs in the order they were first
// recorded (KSUIDs also sort by time).
func (h *History) IncidentIDs() []string {
	out := append([]string(nil), h.order...)
	if h.ordered {
		return out
	}
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
