package projections

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

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
// that lost a revocation race (race.go) is kept apart, in Raced, and no
// view folds it.
type History struct {
	Ledger    []domain.Fact
	Incidents map[string][]domain.Fact // by incident ID
	Raced     []RacedFact              // in the order they were added
	races     Races                    // the ledger's revocations so far
	order     []string                 // incident IDs in the order they were first recorded
}

// NewHistory returns an empty history.
func NewHistory() *History { return &History{Incidents: map[string][]domain.Fact{}} }

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

// LogEntry is one record of the raw ledger log as readers print it
// ("breachledger log --json", the HTTP API's /v1/events): every envelope
// field and the payload, which is shown as JSON when it is JSON and as a
// hex string otherwise.
type LogEntry struct {
	Seq        uint64    `json:"seq"`
	EventID    string    `json:"event_id"`
	Stream     string    `json:"stream"`
	Revision   uint64    `json:"revision"`
	Type       string    `json:"type"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Signer     string    `json:"signer,omitempty"`
	RecordedAt time.Time `json:"recorded_at"`
	// Basis is the ledger stream's length the write was decided on (0:
	// not recorded); Raced, set by a reader that judged it (Races), says
	// why the event lost a revocation race and never counts.
	Basis   uint64          `json:"basis,omitempty"`
	Raced   *Race           `json:"raced,omitempty"`
	Payload json.RawMessage `json:"payload"`
}

// LogEntryOf returns the log entry of a stored record.
func LogEntryOf(r eventstore.Record) LogEntry {
	payload := json.RawMessage(r.Payload)
	if !json.Valid(payload) {
		payload, _ = json.Marshal(fmt.Sprintf("%x", r.Payload))
	}
	return LogEntry{Seq: r.Sequence, EventID: r.ID.String(), Stream: r.Stream, Revision: r.Revision, Type: r.Type,
		At: r.OccurredAt.UTC(), Actor: r.Actor, Signer: r.Signer, RecordedAt: r.RecordedAt.UTC(), Basis: r.Basis, Payload: payload}
}
