package esdb_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// rawClient is the plain v4 client on srv, for writing what breachledger
// would not.
func rawClient(tb testing.TB, srv *esdbtest.Server) *esclient.Client {
	tb.Helper()
	cfg, err := esclient.ParseConnectionString(srv.URL())
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Logger = esclient.NoopLogging()
	c, err := esclient.NewClient(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func rawAppend(tb testing.TB, c *esclient.Client, stream string, events ...esclient.EventData) {
	tb.Helper()
	if _, err := c.AppendToStream(context.Background(), stream, esclient.AppendToStreamOptions{}, events...); err != nil {
		tb.Fatalf("raw append to %s: %v", stream, err)
	}
}

func readAll(tb testing.TB, s eventstore.Store) []eventstore.Record {
	tb.Helper()
	got, err := s.ReadAll(context.Background(), 0, 0)
	if err != nil {
		tb.Fatalf("ReadAll() error = %v", err)
	}
	return got
}

// TestEnvelope checks where each part of the ledger envelope is kept on
// the server: the type, ID and payload as the event's own, the rest as
// JSON in its metadata, with the server's "created" beside it.
func TestEnvelope(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	clock := time.Date(2025, 3, 7, 21, 45, 0, 123456789, time.UTC)
	s, err := esdb.Open(t.Context(), srv.URL(), esdb.Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := record(t, "IncidentDetected")
	r.OccurredAt = time.Date(2025, 3, 7, 23, 40, 0, 5, time.FixedZone("CET", 3600))
	r.Signer, r.Signature = "SHA256:key", []byte{0, 1, 0xff}
	got, err := s.Append(t.Context(), "incident-1", eventstore.NoStream, []eventstore.Record{r})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2025, 3, 7, 21, 45, 0, 123456000, time.UTC); !got[0].RecordedAt.Equal(want) {
		t.Errorf("RecordedAt = %v, want %v (the adapter's clock, whole microseconds)", got[0].RecordedAt, want)
	}

	raw := srv.Memory().Events()
	if len(raw) != 1 {
		t.Fatalf("server holds %d events, want 1", len(raw))
	}
	e := raw[0]
	if e.Stream != "breachledger/incident-1" || e.ID != r.ID || e.Type != r.Type || string(e.Data) != string(r.Payload) || e.ContentType != "application/json" {
		t.Errorf("stored event = %s %s %s %q %s, want breachledger/incident-1 %s %s %q application/json", e.Stream, e.ID, e.Type, e.Data, e.ContentType, r.ID, r.Type, r.Payload)
	}
	var meta map[string]any
	if err := json.Unmarshal(e.Metadata, &meta); err != nil {
		t.Fatalf("metadata %q is not JSON: %v", e.Metadata, err)
	}
	want := map[string]any{
		"breachledger": 1.0,
		"occurred_at":  "2025-03-07T22:40:00.000000005Z",
		"recorded_at":  "2025-03-07T21:45:00.123456Z",
		"actor":        "alice",
		"signer":       "SHA256:key",
		"signature":    "AAH/",
	}
	if diff := cmp.Diff(want, meta); diff != "" {
		t.Errorf("metadata mismatch (-want +got):\n%s", diff)
	}

	evs, err := s.ReadEvents(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got[0], evs[0].Record); diff != "" {
		t.Errorf("ReadEvents() record mismatch (-appended +read):\n%s", diff)
	}
	if !evs[0].Created.Equal(e.Created) || evs[0].Position.Commit != e.Position || evs[0].Migrated {
		t.Errorf("ReadEvents() = created %v, position %d, migrated %v; want %v, %d, false", evs[0].Created, evs[0].Position.Commit, evs[0].Migrated, e.Created, e.Position)
	}
	// The adapter's clock was set years from the server's: the skew shows.
	if !evs[0].Suspect(esdb.DefaultClockTolerance) || evs[0].Skew() > -time.Hour {
		t.Errorf("Skew() = %v, Suspect() = false, want a large negative skew reported", evs[0].Skew())
	}

	// The basis, when there is one (above there was none, and the
	// metadata has no such key), is kept in the metadata too.
	based := record(t, "NoteAdded")
	based.Basis = 12
	got, err = s.Append(t.Context(), "incident-1", eventstore.Exact(0), []eventstore.Record{based})
	if err != nil {
		t.Fatal(err)
	}
	raw = srv.Memory().Events()
	meta = nil
	if err := json.Unmarshal(raw[len(raw)-1].Metadata, &meta); err != nil || meta["basis"] != 12.0 {
		t.Errorf("metadata of an event with basis 12 = %s (%v), want \"basis\":12", raw[len(raw)-1].Metadata, err)
	}
	if evs, err = s.ReadEvents(t.Context(), 1, 0); err != nil || len(evs) != 1 || evs[0].Basis != 12 || got[0].Basis != 12 {
		t.Errorf("ReadEvents() after an append with basis 12 = %+v, %v; want basis 12", evs, err)
	}
}

func TestSkewOfHonestAndMigratedEvents(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	s := open(t, srv.URL())
	appendN(t, s, "incident-1", 1)
	old := record(t, "Copied")
	old.Stream, old.Sequence, old.Revision = "incident-2", 1, 0
	old.RecordedAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Import(t.Context(), []eventstore.Record{old}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.ReadEvents(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if e := evs[0]; e.Suspect(esdb.DefaultClockTolerance) || e.Skew() > time.Second || e.Skew() < -time.Second {
		t.Errorf("appended now: Skew() = %v, Suspect() = %v, want about 0, false", e.Skew(), e.Suspect(esdb.DefaultClockTolerance))
	}
	if e := evs[1]; !e.Migrated || e.Suspect(esdb.DefaultClockTolerance) || !e.RecordedAt.Equal(old.RecordedAt) {
		t.Errorf("imported: Migrated %v, Suspect() %v, RecordedAt %v; want true, false, %v", e.Migrated, e.Suspect(esdb.DefaultClockTolerance), e.RecordedAt, old.RecordedAt)
	}
}

// TestRetryKeepsRecordedTime: an append retried later with the same
// records (the write path's retry after an unknown outcome) returns the
// recorded time of the first attempt, not a new one.
func TestRetryKeepsRecordedTime(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	clock := time.Date(2025, 3, 7, 21, 45, 0, 0, time.UTC)
	s, err := esdb.Open(t.Context(), srv.URL(), esdb.Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs := []eventstore.Record{record(t, "A"), record(t, "B")}
	first, err := s.Append(t.Context(), "incident-1", eventstore.NoStream, recs)
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	// From another process (a fresh store) as well as from this one.
	for _, st := range []*esdb.Store{s, open(t, srv.URL())} {
		again, err := st.Append(t.Context(), "incident-1", eventstore.NoStream, recs)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Errorf("retried Append() mismatch (-first +retry):\n%s", diff)
		}
	}
	if n := len(srv.Memory().Events()); n != 2 {
		t.Errorf("server holds %d events, want 2", n)
	}
}

// TestSequencesAreRanks: sequences count only the ledger's events in $all,
// whatever else the database holds (another ledger, stream metadata,
// streams whose names merely start alike, a tombstone), and every reader
// gives the same ones.
func TestSequencesAreRanks(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	raw := rawClient(t, srv)
	a, b := open(t, srv.URL("prefix=a/")), open(t, srv.URL("prefix=ab/"))
	var want []eventstore.Record
	for i := range 4 {
		want = append(want, appendN(t, a, "incident-1", 1)...)
		appendN(t, b, "incident-1", 2)
		rawAppend(t, raw, "orders-1", esclient.EventData{EventType: "OrderPlaced", ContentType: esclient.ContentTypeJson, Data: []byte(`{}`)})
		if i == 1 {
			if _, err := raw.SetStreamMetadata(t.Context(), "a/incident-1", esclient.AppendToStreamOptions{}, esclient.StreamMetadata{}); err != nil {
				t.Fatal(err)
			}
			want = append(want, appendN(t, a, "incident-2", 1)...)
			if _, err := raw.TombstoneStream(t.Context(), "a/incident-2", esclient.TombstoneStreamOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, r := range want {
		if r.Sequence != uint64(i) {
			t.Errorf("appended record %d has sequence %d", i, r.Sequence)
		}
	}
	for _, s := range []eventstore.Store{a, open(t, srv.URL("prefix=a/"))} {
		if diff := cmp.Diff(want, readAll(t, s)); diff != "" {
			t.Errorf("ReadAll() mismatch (-appended +read):\n%s", diff)
		}
	}
	// The tombstoned stream reads as deleted, and takes no more events.
	if _, err := a.ReadStream(t.Context(), "incident-2", eventstore.ReadOptions{}); !errors.Is(err, esdb.ErrStreamDeleted) {
		t.Errorf("ReadStream(tombstoned) error = %v, want ErrStreamDeleted", err)
	}
	if _, err := a.Append(t.Context(), "incident-2", eventstore.Any, []eventstore.Record{record(t, "Late")}); !errors.Is(err, esdb.ErrStreamDeleted) {
		t.Errorf("Append(tombstoned) error = %v, want ErrStreamDeleted", err)
	}
}

// TestHistoryRemoval: what a user with the default ACLs can do to a
// ledger, and what the store then reports. Deleting a stream hides it from
// stream reads at once; after a scavenge its events are gone from $all
// too, and a reader that had seen them fails instead of renumbering, while
// a new reader sees fewer, renumbered, events (which the ledger's own
// verification must catch).
func TestHistoryRemoval(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	raw := rawClient(t, srv)
	s := open(t, srv.URL())
	appendN(t, s, "incident-1", 2)
	appendN(t, s, "incident-2", 2)
	appendN(t, s, "incident-1", 1)
	if _, err := raw.DeleteStream(t.Context(), "breachledger/incident-2", esclient.DeleteStreamOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadStream(t.Context(), "incident-2", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrNotFound) {
		t.Errorf("ReadStream(deleted) error = %v, want ErrNotFound", err)
	}
	if n := len(readAll(t, s)); n != 5 {
		t.Errorf("ReadAll() before a scavenge = %d records, want 5 (still in $all)", n)
	}
	if removed := srv.Memory().Scavenge(); removed == 0 {
		t.Fatal("Scavenge() removed nothing")
	}
	if _, err := s.ReadAll(t.Context(), 0, 0); err == nil || !strings.Contains(err.Error(), "changed under this reader") {
		t.Errorf("ReadAll() by a reader that saw the history, after a scavenge: error = %v, want a report of changed history", err)
	}
	got := readAll(t, open(t, srv.URL()))
	if len(got) != 3 || got[2].Sequence != 2 || got[2].Revision != 2 {
		t.Errorf("a new reader after the scavenge: %d records, the last at sequence %d revision %d; want 3, 2, 2", len(got), got[len(got)-1].Sequence, got[len(got)-1].Revision)
	}
}

// TestForeignEventUnderPrefix: an event written under the ledger's prefix
// by something other than breachledger makes reads fail, naming it.
func TestForeignEventUnderPrefix(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	s := open(t, srv.URL())
	appendN(t, s, "incident-1", 1)
	id := uuid.New()
	rawAppend(t, rawClient(t, srv), "breachledger/incident-1", esclient.EventData{EventID: id, EventType: "Forged", ContentType: esclient.ContentTypeJson, Data: []byte(`{}`)})
	_, err := open(t, srv.URL()).ReadAll(t.Context(), 0, 0)
	if err == nil || !strings.Contains(err.Error(), id.String()) || !strings.Contains(err.Error(), "no breachledger envelope") {
		t.Errorf("ReadAll() error = %v, want one naming event %s without an envelope", err, id)
	}
}

// TestDuplicateIDFromAnotherProcess: an event ID already in the ledger is
// refused even when this store has never read it.
func TestDuplicateIDFromAnotherProcess(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	first := appendN(t, open(t, srv.URL()), "incident-1", 1)
	r := first[0]
	r.Stream = ""
	_, err := open(t, srv.URL()).Append(t.Context(), "incident-2", eventstore.NoStream, []eventstore.Record{r})
	if !errors.Is(err, eventstore.ErrDuplicateEvent) {
		t.Errorf("Append() of an ID stored by another store error = %v, want ErrDuplicateEvent", err)
	}
}

func TestReservedTypes(t *testing.T) {
	s := open(t, esdbtest.Start(t, esdbtest.Options{}).URL())
	r := record(t, "$metadata")
	if _, err := s.Append(t.Context(), "incident-1", eventstore.Any, []eventstore.Record{r}); !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("Append(type $metadata) error = %v, want ErrInvalid", err)
	}
}

// TestBatchOverAppendCap: a batch whose payloads are each well under the
// payload limit but together over the server's append cap is refused
// whole, as too large, naming the cap.
func TestBatchOverAppendCap(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	s := open(t, srv.URL())
	recs := []eventstore.Record{record(t, "A"), record(t, "B")}
	for i := range recs {
		recs[i].Payload = make([]byte, 600<<10)
	}
	_, err := s.Append(t.Context(), "incident-1", eventstore.NoStream, recs)
	var se *esdb.AppendSizeError
	if !errors.Is(err, eventstore.ErrTooLarge) || !errors.As(err, &se) || se.Max != esdbtest.MaxAppendSize {
		t.Fatalf("Append() error = %v, want an *AppendSizeError with the server's cap", err)
	}
	if n := len(srv.Memory().Events()); n != 0 {
		t.Errorf("server holds %d events, want none", n)
	}
}

// TestNotConditionalAppender: EventStoreDB appends name one stream, so the
// adapter does not claim to check a condition on another: writers record
// the ledger revision they decided on (Record.Basis, kept in the metadata
// as TestEnvelope shows) and readers judge by it.
func TestNotConditionalAppender(t *testing.T) {
	var s eventstore.Store = (*esdb.Store)(nil)
	if _, ok := s.(eventstore.ConditionalAppender); ok {
		t.Error("*esdb.Store implements eventstore.ConditionalAppender, but cannot check a condition in its append")
	}
}
