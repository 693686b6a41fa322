package projections

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
)

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
	Raced   *history.Race   `json:"raced,omitempty"`
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

// MarkRaced sets e.Raced when the event lost a revocation race judged by
// rs. Read the ledger stream for rs after the entries: a revocation
// precedes what it wins over.
func (e *LogEntry) MarkRaced(rs *history.Races) {
	if race, ok := rs.Check(e.Actor, e.Signer, e.Basis, e.Seq); ok {
		e.Raced = &race
	}
}
