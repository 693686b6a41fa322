package esdb

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
)

// envelopeVersion is the version of the metadata layout below.
const envelopeVersion = 1

// envelope is the custom metadata of every ledger event: the parts of the
// ledger envelope that are neither the event's type, ID, stream and
// revision, which EventStoreDB keeps itself, nor its payload, which is the
// event's data. Times are RFC 3339 in UTC with nanoseconds, readable in the
// server's UI. A field added later is left out when empty, so the metadata
// of an event without it is written as before (the basis came so).
type envelope struct {
	V          int    `json:"breachledger"`
	OccurredAt string `json:"occurred_at"`
	RecordedAt string `json:"recorded_at"`
	Actor      string `json:"actor,omitempty"`
	Signer     string `json:"signer,omitempty"`
	Signature  []byte `json:"signature,omitempty"`
	// Basis is Record.Basis: the ledger revision the writer decided on,
	// plus one. A writer cannot check it in its append (one append names
	// one stream), so readers judge the event by it.
	Basis uint64 `json:"basis,omitempty"`
	// Migrated marks an event copied from another ledger by Import: its
	// recorded time is the source's and may be far from "created".
	Migrated bool `json:"migrated,omitempty"`
}

// eventData returns r as the client's event: type, data and metadata.
func eventData(r eventstore.Record, recorded time.Time, migrated bool) (esclient.EventData, error) {
	meta, err := json.Marshal(envelope{
		V:          envelopeVersion,
		OccurredAt: r.OccurredAt.UTC().Format(time.RFC3339Nano),
		RecordedAt: recorded.UTC().Format(time.RFC3339Nano),
		Actor:      r.Actor,
		Signer:     r.Signer,
		Signature:  r.Signature,
		Basis:      r.Basis,
		Migrated:   migrated,
	})
	if err != nil {
		return esclient.EventData{}, fmt.Errorf("encode envelope of event %s: %w", r.ID, err)
	}
	ct := esclient.ContentTypeBinary
	if len(r.Payload) > 0 && json.Valid(r.Payload) {
		ct = esclient.ContentTypeJson // shown as JSON in the server's UI
	}
	return esclient.EventData{EventID: r.ID, EventType: r.Type, ContentType: ct, Data: r.Payload, Metadata: meta}, nil
}

// size is what an event counts towards the server's append cap, at least
// as much as any server version counts: its data, its custom metadata and
// its type at two bytes a UTF-16 code unit, as servers since 24.10.4 count
// (the server's Event.SizeOnDisk; earlier ones count the data alone), or at
// its UTF-8 bytes where those are more (characters of three bytes), so
// the bound holds however a server counts the type.
func size(e esclient.EventData) int {
	return len(e.Data) + len(e.Metadata) + max(len(e.EventType), 2*utf16Len(e.EventType))
}

// utf16Len is the length of s in UTF-16 code units (.NET's string length).
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// isLedgerEvent reports whether ev, from a read of $all, is an event of the
// ledger: in a stream under the prefix, and not a system event (a
// tombstone, a link).
func (s *Store) isLedgerEvent(ev *esclient.RecordedEvent) bool {
	return strings.HasPrefix(ev.StreamID, s.prefix) && !strings.HasPrefix(ev.EventType, "$")
}

// Event is a ledger event as EventStoreDB stores it: the record, and what
// only the server knows.
type Event struct {
	eventstore.Record
	Position esclient.Position // in $all
	Created  time.Time         // the server's own timestamp ("created")
	Migrated bool              // copied from another ledger: RecordedAt is the source's
}

// DefaultClockTolerance is how far a recorded time (stamped by the writer's
// clock) may be from the server's "created" before Suspect reports it. It
// covers clock skew between the writers' machines and the cluster, whose
// nodes must agree within a minute, and a slow append.
const DefaultClockTolerance = 5 * time.Minute

// Skew returns how far the recorded time is from the server's "created":
// positive when the writer's stamp is later.
func (e Event) Skew() time.Duration { return e.RecordedAt.Sub(e.Created) }

// Suspect reports whether the recorded time is further from "created" than
// tolerance, on an event that did not arrive by migrate (whose recorded
// time is legitimately the source's).
func (e Event) Suspect(tolerance time.Duration) bool {
	if e.Migrated {
		return false
	}
	skew := e.Skew()
	return skew > tolerance || skew < -tolerance
}

// decode turns ev, the event of the ledger at seq, into an Event.
func (s *Store) decode(seq uint64, ev *esclient.RecordedEvent) (Event, error) {
	var env envelope
	if err := json.Unmarshal(ev.UserMetadata, &env); err != nil || env.V != envelopeVersion {
		return Event{}, fmt.Errorf("event %s in %s (position %d) has no breachledger envelope in its metadata: not written by breachledger",
			ev.EventID, ev.StreamID, ev.Position.Commit)
	}
	occurred, err1 := time.Parse(time.RFC3339Nano, env.OccurredAt)
	recorded, err2 := time.Parse(time.RFC3339Nano, env.RecordedAt)
	if err1 != nil || err2 != nil {
		return Event{}, fmt.Errorf("event %s in %s: bad time in its envelope: %q, %q", ev.EventID, ev.StreamID, env.OccurredAt, env.RecordedAt)
	}
	r := eventstore.Record{
		ID:         ev.EventID,
		Stream:     strings.TrimPrefix(ev.StreamID, s.prefix),
		Type:       ev.EventType,
		OccurredAt: occurred.UTC(),
		Actor:      env.Actor,
		Signer:     env.Signer,
		Basis:      env.Basis,
		Revision:   ev.EventNumber,
		Sequence:   seq,
		RecordedAt: recorded.UTC(),
	}
	if ev.EventID == uuid.Nil {
		return Event{}, fmt.Errorf("event in %s at revision %d has no ID", ev.StreamID, ev.EventNumber)
	}
	if len(env.Signature) > 0 {
		r.Signature = env.Signature
	}
	if len(ev.Data) > 0 {
		r.Payload = ev.Data
	}
	return Event{Record: r, Position: ev.Position, Created: ev.CreatedDate, Migrated: env.Migrated}, nil
}

// stored returns r as a store returns it after an append.
func stored(r eventstore.Record, stream string, rev, seq uint64, recorded time.Time) eventstore.Record {
	r.Stream = stream
	r.Revision = rev
	r.Sequence = seq
	r.OccurredAt = time.Unix(0, r.OccurredAt.UnixNano()).UTC()
	r.RecordedAt = recorded.UTC()
	if len(r.Signature) == 0 {
		r.Signature = nil
	}
	if len(r.Payload) == 0 {
		r.Payload = nil
	}
	return r
}
