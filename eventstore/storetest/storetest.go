// Package storetest checks that an eventstore.Store meets its contract. The
// rules are written once and every implementation runs them from its own
// tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) eventstore.Store {
//			s, err := sqlite.Open(t.Context(), sqlite.Memory, sqlite.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Record counts are kept small (except where a rule is about paging) so the
// suite stays quick under the race detector.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
)

// Factory returns a new, empty store. It registers the store's cleanup with
// t.Cleanup.
type Factory func(t *testing.T) eventstore.Store

// Run runs the contract suite against stores made by newStore: one subtest
// per rule, each on a fresh store. The Importer rules run only for stores
// that implement eventstore.Importer.
func Run(t *testing.T, newStore Factory, opts ...Option) {
	cfg := config{largestPayload: eventstore.MaxPayloadSize}
	for _, o := range opts {
		o(&cfg)
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s eventstore.Store)
	}{
		{"AppendNoStreamToNewStream", testAppendNoStreamToNewStream},
		{"AppendNoStreamToExistingStream", testAppendNoStreamToExistingStream},
		{"AppendExact", testAppendExact},
		{"AppendExactWrong", testAppendExactWrong},
		{"AppendAny", testAppendAny},
		{"ConflictAppendsNothing", testConflictAppendsNothing},
		{"IdempotentRetry", testIdempotentRetry},
		{"IdempotentRetryAfterStreamMoved", testIdempotentRetryAfterStreamMoved},
		{"DuplicateEventInOtherStream", testDuplicateEventInOtherStream},
		{"DuplicateEventAtOtherPosition", testDuplicateEventAtOtherPosition},
		{"DuplicateEventLateInBatch", testDuplicateEventLateInBatch},
		{"RetryWithOtherTypeIsDuplicate", testRetryWithOtherTypeIsDuplicate},
		{"BatchIsAtomic", testBatchIsAtomic},
		{"AppendNothing", testAppendNothing},
		{"ReadStreamForwards", testReadStreamForwards},
		{"ReadStreamFromRevision", testReadStreamFromRevision},
		{"ReadStreamBackwardsFromEnd", testReadStreamBackwardsFromEnd},
		{"ReadStreamBackwardsFromRevision", testReadStreamBackwardsFromRevision},
		{"ReadStreamLimit", testReadStreamLimit},
		{"ReadStreamPastEnd", testReadStreamPastEnd},
		{"ReadStreamMissing", testReadStreamMissing},
		{"ReadAllInSequenceOrder", testReadAllInSequenceOrder},
		{"ReadAllFromAndLimit", testReadAllFromAndLimit},
		{"ReadAllAtEnd", testReadAllAtEnd},
		{"SequencesAndRevisions", testSequencesAndRevisions},
		{"RecordedAt", testRecordedAt},
		{"StoreFieldsIgnored", testStoreFieldsIgnored},
		{"EnvelopeRoundTrip", testEnvelopeRoundTrip},
		{"EmptyPayload", testEmptyPayload},
		{"MaxPayload", func(t *testing.T, s eventstore.Store) { testMaxPayload(t, s, cfg) }},
		{"TooLarge", testTooLarge},
		{"Invalid", testInvalid},
		{"StreamFilledIn", testStreamFilledIn},
		{"Head", testHead},
		{"FollowCatchesUpThenLive", testFollowCatchesUpThenLive},
		{"FollowFrom", testFollowFrom},
		{"FollowConsumerStops", testFollowConsumerStops},
		{"CancelledContext", testCancelledContext},
		{"ConcurrentAppendsOneWinner", testConcurrentAppendsOneWinner},
		{"StreamsDoNotInterfere", testStreamsDoNotInterfere},
		{"AllPages", testAllPages},
	}
	tests = append(tests, importTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// An Option adapts the suite to a store's documented limits.
type Option func(*config)

type config struct {
	largestPayload int
}

// LargestPayload tells the suite that the store takes payloads up to n
// bytes only, n below eventstore.MaxPayloadSize, because its own append cap
// also counts what it stores beside the payload (EventStoreDB caps an
// append at 1 MiB of data, metadata and type together). MaxPayload then
// checks that n bytes round-trip and that exactly MaxPayloadSize bytes
// round-trip too or are refused cleanly with ErrTooLarge.
func LargestPayload(n int) Option { return func(c *config) { c.largestPayload = n } }

// t0 is the business time of test events.
var t0 = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)

// cmpOpts compare records: times with Equal (cmp uses the method), and a nil
// payload or signature equal to an empty one.
var cmpOpts = []cmp.Option{cmpopts.EquateEmpty()}

// event returns a valid record for stream with a new UUIDv7.
func event(tb testing.TB, stream, typ string) eventstore.Record {
	tb.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		tb.Fatal(err)
	}
	return eventstore.Record{
		ID:         id,
		Stream:     stream,
		Type:       typ,
		OccurredAt: t0,
		Actor:      "alice@example.com",
		Payload:    fmt.Appendf(nil, `{"type":%q}`, typ),
	}
}

// events returns n valid records for stream, of types E0, E1...
func events(tb testing.TB, stream string, n int) []eventstore.Record {
	tb.Helper()
	recs := make([]eventstore.Record, n)
	for i := range recs {
		recs[i] = event(tb, stream, fmt.Sprintf("E%d", i))
	}
	return recs
}

func mustAppend(tb testing.TB, s eventstore.Store, stream string, expected eventstore.Expected, recs []eventstore.Record) []eventstore.Record {
	tb.Helper()
	got, err := s.Append(context.Background(), stream, expected, recs)
	if err != nil {
		tb.Fatalf("Append(%s, %v, %d records) error = %v", stream, expected, len(recs), err)
	}
	if len(got) != len(recs) {
		tb.Fatalf("Append(%s, %v, %d records) returned %d records", stream, expected, len(recs), len(got))
	}
	return got
}

func readAll(tb testing.TB, s eventstore.Store) []eventstore.Record {
	tb.Helper()
	got, err := s.ReadAll(context.Background(), 0, 0)
	if err != nil {
		tb.Fatalf("ReadAll(0, 0) error = %v", err)
	}
	return got
}

func readStream(tb testing.TB, s eventstore.Store, stream string, opts eventstore.ReadOptions) []eventstore.Record {
	tb.Helper()
	got, err := s.ReadStream(context.Background(), stream, opts)
	if err != nil {
		tb.Fatalf("ReadStream(%s, %+v) error = %v", stream, opts, err)
	}
	return got
}

func head(tb testing.TB, s eventstore.Store) uint64 {
	tb.Helper()
	n, err := s.Head(context.Background())
	if err != nil {
		tb.Fatalf("Head() error = %v", err)
	}
	return n
}

// stored returns what Append should return for sent: the records with
// Stream, Revision and Sequence set from first ones, and the recorded time
// the store chose (taken from got; checked by testRecordedAt).
func stored(sent, got []eventstore.Record, stream string, seq, rev uint64) []eventstore.Record {
	want := make([]eventstore.Record, len(sent))
	for i, r := range sent {
		r.Stream = stream
		r.Sequence = seq + uint64(i)
		r.Revision = rev + uint64(i)
		r.RecordedAt = time.Time{}
		if i < len(got) {
			r.RecordedAt = got[i].RecordedAt
		}
		want[i] = r
	}
	return want
}

func ids(recs []eventstore.Record) []uuid.UUID {
	out := make([]uuid.UUID, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// checkConflict checks that err is a *ConflictError saying the stream had
// length events.
func checkConflict(tb testing.TB, err error, length uint64) {
	tb.Helper()
	if !errors.Is(err, eventstore.ErrConflict) {
		tb.Fatalf("Append() error = %v, want ErrConflict", err)
	}
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) {
		tb.Fatalf("Append() error = %#v, want a *ConflictError", err)
	}
	if ce.Length != length {
		tb.Errorf("ConflictError.Length = %d, want %d", ce.Length, length)
	}
}

// unchanged checks that the whole ledger is still before.
func unchanged(tb testing.TB, s eventstore.Store, before []eventstore.Record) {
	tb.Helper()
	if got, want := head(tb, s), uint64(len(before)); got != want {
		tb.Errorf("Head() = %d, want %d (unchanged)", got, want)
	}
	if diff := cmp.Diff(before, readAll(tb, s), cmpOpts...); diff != "" {
		tb.Errorf("ledger changed (-before +after):\n%s", diff)
	}
}

func testAppendNoStreamToNewStream(t *testing.T, s eventstore.Store) {
	sent := events(t, "incident-1", 2)
	got := mustAppend(t, s, "incident-1", eventstore.NoStream, sent)
	if diff := cmp.Diff(stored(sent, got, "incident-1", 0, 0), got, cmpOpts...); diff != "" {
		t.Errorf("Append() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(got, readStream(t, s, "incident-1", eventstore.ReadOptions{}), cmpOpts...); diff != "" {
		t.Errorf("ReadStream() mismatch with Append() (-appended +read):\n%s", diff)
	}
}

func testAppendNoStreamToExistingStream(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "incident-1", eventstore.NoStream, events(t, "incident-1", 2))
	_, err := s.Append(t.Context(), "incident-1", eventstore.NoStream, events(t, "incident-1", 1))
	checkConflict(t, err, 2)
}

func testAppendExact(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "incident-1", eventstore.NoStream, events(t, "incident-1", 2))
	sent := events(t, "incident-1", 1)
	got := mustAppend(t, s, "incident-1", eventstore.Exact(1), sent)
	if diff := cmp.Diff(stored(sent, got, "incident-1", 2, 2), got, cmpOpts...); diff != "" {
		t.Errorf("Append(Exact(1)) mismatch (-want +got):\n%s", diff)
	}
	got = mustAppend(t, s, "incident-1", eventstore.After(3), events(t, "incident-1", 1))
	if got[0].Revision != 3 {
		t.Errorf("Append(After(3)) revision = %d, want 3", got[0].Revision)
	}
}

func testAppendExactWrong(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "incident-1", eventstore.NoStream, events(t, "incident-1", 2))
	for _, expected := range []eventstore.Expected{eventstore.Exact(0), eventstore.Exact(2), eventstore.Exact(7)} {
		_, err := s.Append(t.Context(), "incident-1", expected, events(t, "incident-1", 1))
		checkConflict(t, err, 2)
	}
	_, err := s.Append(t.Context(), "incident-2", eventstore.Exact(0), events(t, "incident-2", 1))
	checkConflict(t, err, 0)
}

func testAppendAny(t *testing.T, s eventstore.Store) {
	got := mustAppend(t, s, "incident-1", eventstore.Any, events(t, "incident-1", 1))
	if got[0].Revision != 0 {
		t.Errorf("Append(Any) to a new stream: revision = %d, want 0", got[0].Revision)
	}
	got = mustAppend(t, s, "incident-1", eventstore.Any, events(t, "incident-1", 2))
	if got[0].Revision != 1 || got[1].Revision != 2 {
		t.Errorf("Append(Any) revisions = %d, %d, want 1, 2", got[0].Revision, got[1].Revision)
	}
}

func testConflictAppendsNothing(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "incident-1", eventstore.NoStream, events(t, "incident-1", 2))
	mustAppend(t, s, "incident-2", eventstore.NoStream, events(t, "incident-2", 1))
	before := readAll(t, s)
	_, err := s.Append(t.Context(), "incident-1", eventstore.Exact(0), events(t, "incident-1", 3))
	checkConflict(t, err, 2)
	unchanged(t, s, before)
}

func testIdempotentRetry(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "incident-0", eventstore.NoStream, events(t, "incident-0", 1))
	for _, tt := range []struct {
		name     string
		expected eventstore.Expected
		given    int // events already in the stream
	}{
		{"NoStream", eventstore.NoStream, 0},
		{"Exact", eventstore.Exact(1), 2},
		{"Any", eventstore.Any, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stream := "incident-" + tt.name
			if tt.given > 0 {
				mustAppend(t, s, stream, eventstore.NoStream, events(t, stream, tt.given))
			}
			sent := events(t, stream, 3)
			first := mustAppend(t, s, stream, tt.expected, sent)
			before := readAll(t, s)
			again, err := s.Append(t.Context(), stream, tt.expected, sent)
			if err != nil {
				t.Fatalf("retried Append() error = %v, want nil", err)
			}
			if diff := cmp.Diff(first, again, cmpOpts...); diff != "" {
				t.Errorf("retried Append() mismatch (-first +retry):\n%s", diff)
			}
			unchanged(t, s, before)
		})
	}
}

func testIdempotentRetryAfterStreamMoved(t *testing.T, s eventstore.Store) {
	sent := events(t, "incident-1", 2)
	first := mustAppend(t, s, "incident-1", eventstore.NoStream, sent)
	mustAppend(t, s, "incident-1", eventstore.Exact(1), events(t, "incident-1", 1))
	mustAppend(t, s, "incident-2", eventstore.NoStream, events(t, "incident-2", 1))
	before := readAll(t, s)
	again, err := s.Append(t.Context(), "incident-1", eventstore.NoStream, sent)
	if err != nil {
		t.Fatalf("retried Append() error = %v, want nil", err)
	}
	if diff := cmp.Diff(first, again, cmpOpts...); diff != "" {
		t.Errorf("retried Append() mismatch (-first +retry):\n%s", diff)
	}
	// A retry of the first record alone is the same append's prefix.
	again, err = s.Append(t.Context(), "incident-1", eventstore.NoStream, sent[:1])
	if err != nil {
		t.Fatalf("retried Append(first record) error = %v, want nil", err)
	}
	if diff := cmp.Diff(first[:1], again, cmpOpts...); diff != "" {
		t.Errorf("retried Append(first record) mismatch (-first +retry):\n%s", diff)
	}
	unchanged(t, s, before)
}

// checkDuplicate checks that appending recs fails with ErrDuplicateEvent
// and appends nothing.
func checkDuplicate(tb testing.TB, s eventstore.Store, stream string, expected eventstore.Expected, recs []eventstore.Record) {
	tb.Helper()
	before := readAll(tb, s)
	_, err := s.Append(context.Background(), stream, expected, recs)
	if !errors.Is(err, eventstore.ErrDuplicateEvent) {
		tb.Errorf("Append(%s, %v) error = %v, want ErrDuplicateEvent", stream, expected, err)
	}
	unchanged(tb, s, before)
}

func testDuplicateEventInOtherStream(t *testing.T, s eventstore.Store) {
	first := events(t, "incident-1", 1)
	mustAppend(t, s, "incident-1", eventstore.NoStream, first)
	reused := first[0]
	reused.Stream = "incident-2"
	checkDuplicate(t, s, "incident-2", eventstore.NoStream, []eventstore.Record{reused})
	checkDuplicate(t, s, "incident-2", eventstore.Any, []eventstore.Record{reused})
}

func testDuplicateEventAtOtherPosition(t *testing.T, s eventstore.Store) {
	first := events(t, "incident-1", 1)
	mustAppend(t, s, "incident-1", eventstore.NoStream, first)
	mustAppend(t, s, "incident-1", eventstore.Exact(0), events(t, "incident-1", 1))
	// The same record again, but now claimed to go after revision 1.
	checkDuplicate(t, s, "incident-1", eventstore.Exact(1), first)
	// Or with an expectation that did not hold where it was stored.
	checkDuplicate(t, s, "incident-1", eventstore.Exact(0), first)
}

func testDuplicateEventLateInBatch(t *testing.T, s eventstore.Store) {
	old := mustAppend(t, s, "incident-1", eventstore.NoStream, events(t, "incident-1", 1))
	batch := events(t, "incident-2", 3)
	batch[2].ID = old[0].ID
	checkDuplicate(t, s, "incident-2", eventstore.NoStream, batch)

	// A retry of a stored append with one record more is not a retry.
	sent := events(t, "incident-3", 2)
	mustAppend(t, s, "incident-3", eventstore.NoStream, sent)
	checkDuplicate(t, s, "incident-3", eventstore.NoStream, append(sent, event(t, "incident-3", "Extra")))
}

func testRetryWithOtherTypeIsDuplicate(t *testing.T, s eventstore.Store) {
	sent := events(t, "incident-1", 2)
	mustAppend(t, s, "incident-1", eventstore.NoStream, sent)
	changed := append([]eventstore.Record(nil), sent...)
	changed[1].Type = "Other"
	checkDuplicate(t, s, "incident-1", eventstore.NoStream, changed)
}

func testBatchIsAtomic(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "incident-1", eventstore.NoStream, events(t, "incident-1", 1))
	before := readAll(t, s)
	for _, tt := range []struct {
		name    string
		spoil   func(r *eventstore.Record)
		wantErr error
	}{
		{"TooLarge", func(r *eventstore.Record) { r.Payload = make([]byte, eventstore.MaxPayloadSize+1) }, eventstore.ErrTooLarge},
		{"NoType", func(r *eventstore.Record) { r.Type = "" }, eventstore.ErrInvalid},
		{"NoID", func(r *eventstore.Record) { r.ID = uuid.Nil }, eventstore.ErrInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			batch := events(t, "incident-1", 4)
			tt.spoil(&batch[3])
			_, err := s.Append(t.Context(), "incident-1", eventstore.Exact(0), batch)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Append() error = %v, want %v", err, tt.wantErr)
			}
			unchanged(t, s, before)
		})
	}
}

func testAppendNothing(t *testing.T, s eventstore.Store) {
	got, err := s.Append(t.Context(), "incident-1", eventstore.NoStream, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("Append(nil) = %v, %v, want none, nil", got, err)
	}
	if n := head(t, s); n != 0 {
		t.Errorf("Head() after Append(nil) = %d, want 0", n)
	}
	mustAppend(t, s, "incident-1", eventstore.NoStream, events(t, "incident-1", 1))
	before := readAll(t, s)
	if _, err := s.Append(t.Context(), "incident-1", eventstore.Exact(0), []eventstore.Record{}); err != nil {
		t.Errorf("Append(Exact(0), no records) error = %v, want nil", err)
	}
	_, err = s.Append(t.Context(), "incident-1", eventstore.NoStream, nil)
	checkConflict(t, err, 1)
	unchanged(t, s, before)
}

// threeStreams appends to incident-a (5 events), incident-b (3) and
// incident-c (2), interleaved, and returns what was stored in sequence order.
func threeStreams(tb testing.TB, s eventstore.Store) []eventstore.Record {
	tb.Helper()
	var all []eventstore.Record
	length := map[string]uint64{}
	for _, step := range []struct {
		stream string
		n      int
	}{{"incident-a", 1}, {"incident-b", 2}, {"incident-a", 2}, {"incident-c", 2}, {"incident-a", 1}, {"incident-b", 1}, {"incident-a", 1}} {
		got := mustAppend(tb, s, step.stream, eventstore.After(length[step.stream]), events(tb, step.stream, step.n))
		length[step.stream] += uint64(step.n)
		all = append(all, got...)
	}
	return all
}

func filter(recs []eventstore.Record, stream string) []eventstore.Record {
	var out []eventstore.Record
	for _, r := range recs {
		if r.Stream == stream {
			out = append(out, r)
		}
	}
	return out
}

func reversed(recs []eventstore.Record) []eventstore.Record {
	out := make([]eventstore.Record, len(recs))
	for i, r := range recs {
		out[len(recs)-1-i] = r
	}
	return out
}

func testReadStreamForwards(t *testing.T, s eventstore.Store) {
	a := filter(threeStreams(t, s), "incident-a")
	if diff := cmp.Diff(a, readStream(t, s, "incident-a", eventstore.ReadOptions{}), cmpOpts...); diff != "" {
		t.Errorf("ReadStream(incident-a) mismatch (-want +got):\n%s", diff)
	}
}

func testReadStreamFromRevision(t *testing.T, s eventstore.Store) {
	a := filter(threeStreams(t, s), "incident-a")
	for from := range uint64(5) {
		got := readStream(t, s, "incident-a", eventstore.ReadOptions{From: from})
		if diff := cmp.Diff(a[from:], got, cmpOpts...); diff != "" {
			t.Errorf("ReadStream(incident-a, From %d) mismatch (-want +got):\n%s", from, diff)
		}
	}
	got := readStream(t, s, "incident-a", eventstore.ReadOptions{From: eventstore.End})
	if diff := cmp.Diff(a[4:], got, cmpOpts...); diff != "" {
		t.Errorf("ReadStream(incident-a, From End) mismatch (-want +got):\n%s", diff)
	}
}

func testReadStreamBackwardsFromEnd(t *testing.T, s eventstore.Store) {
	a := filter(threeStreams(t, s), "incident-a")
	got := readStream(t, s, "incident-a", eventstore.ReadOptions{From: eventstore.End, Backwards: true})
	if diff := cmp.Diff(reversed(a), got, cmpOpts...); diff != "" {
		t.Errorf("ReadStream(incident-a, backwards from End) mismatch (-want +got):\n%s", diff)
	}
}

func testReadStreamBackwardsFromRevision(t *testing.T, s eventstore.Store) {
	a := filter(threeStreams(t, s), "incident-a")
	for from := range uint64(5) {
		got := readStream(t, s, "incident-a", eventstore.ReadOptions{From: from, Backwards: true})
		if diff := cmp.Diff(reversed(a[:from+1]), got, cmpOpts...); diff != "" {
			t.Errorf("ReadStream(incident-a, backwards from %d) mismatch (-want +got):\n%s", from, diff)
		}
	}
}

func testReadStreamLimit(t *testing.T, s eventstore.Store) {
	a := filter(threeStreams(t, s), "incident-a")
	for _, tt := range []struct {
		opts eventstore.ReadOptions
		want []eventstore.Record
	}{
		{eventstore.ReadOptions{Limit: 2}, a[:2]},
		{eventstore.ReadOptions{From: 1, Limit: 3}, a[1:4]},
		{eventstore.ReadOptions{From: 3, Limit: 10}, a[3:]},
		{eventstore.ReadOptions{From: eventstore.End, Backwards: true, Limit: 2}, reversed(a[3:])},
		{eventstore.ReadOptions{From: 2, Backwards: true, Limit: 2}, reversed(a[1:3])},
		{eventstore.ReadOptions{From: eventstore.End, Backwards: true, Limit: 1}, a[4:]},
	} {
		got := readStream(t, s, "incident-a", tt.opts)
		if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
			t.Errorf("ReadStream(incident-a, %+v) mismatch (-want +got):\n%s", tt.opts, diff)
		}
	}
}

func testReadStreamPastEnd(t *testing.T, s eventstore.Store) {
	a := filter(threeStreams(t, s), "incident-a")
	if got := readStream(t, s, "incident-a", eventstore.ReadOptions{From: 5}); len(got) != 0 {
		t.Errorf("ReadStream(incident-a, From 5) = %d records, want none", len(got))
	}
	got := readStream(t, s, "incident-a", eventstore.ReadOptions{From: 99, Backwards: true})
	if diff := cmp.Diff(reversed(a), got, cmpOpts...); diff != "" {
		t.Errorf("ReadStream(incident-a, backwards from 99) mismatch (-want +got):\n%s", diff)
	}
}

func testReadStreamMissing(t *testing.T, s eventstore.Store) {
	threeStreams(t, s)
	for _, opts := range []eventstore.ReadOptions{{}, {From: eventstore.End, Backwards: true}, {From: 3}} {
		_, err := s.ReadStream(t.Context(), "incident-missing", opts)
		if !errors.Is(err, eventstore.ErrNotFound) {
			t.Errorf("ReadStream(incident-missing, %+v) error = %v, want ErrNotFound", opts, err)
		}
	}
	// A conflicting append does not bring a stream into being.
	_, err := s.Append(t.Context(), "incident-z", eventstore.Exact(3), events(t, "incident-z", 1))
	checkConflict(t, err, 0)
	if _, err := s.ReadStream(t.Context(), "incident-z", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrNotFound) {
		t.Errorf("ReadStream(incident-z) error = %v, want ErrNotFound", err)
	}
}

func testReadAllInSequenceOrder(t *testing.T, s eventstore.Store) {
	all := threeStreams(t, s)
	if diff := cmp.Diff(all, readAll(t, s), cmpOpts...); diff != "" {
		t.Errorf("ReadAll(0, 0) mismatch (-appended +read):\n%s", diff)
	}
}

func testReadAllFromAndLimit(t *testing.T, s eventstore.Store) {
	all := threeStreams(t, s)
	n := uint64(len(all))
	for from := range n + 1 {
		got, err := s.ReadAll(t.Context(), from, 0)
		if err != nil {
			t.Fatalf("ReadAll(%d, 0) error = %v", from, err)
		}
		if diff := cmp.Diff(all[from:], got, cmpOpts...); diff != "" {
			t.Errorf("ReadAll(%d, 0) mismatch (-want +got):\n%s", from, diff)
		}
		got, err = s.ReadAll(t.Context(), from, 3)
		if err != nil {
			t.Fatalf("ReadAll(%d, 3) error = %v", from, err)
		}
		if diff := cmp.Diff(all[from:min(from+3, n)], got, cmpOpts...); diff != "" {
			t.Errorf("ReadAll(%d, 3) mismatch (-want +got):\n%s", from, diff)
		}
	}
}

func testReadAllAtEnd(t *testing.T, s eventstore.Store) {
	if got, err := s.ReadAll(t.Context(), 0, 10); err != nil || len(got) != 0 {
		t.Errorf("ReadAll(0, 10) on an empty store = %d records, %v, want none, nil", len(got), err)
	}
	all := threeStreams(t, s)
	for _, from := range []uint64{uint64(len(all)), uint64(len(all)) + 5, eventstore.End} {
		if got, err := s.ReadAll(t.Context(), from, 10); err != nil || len(got) != 0 {
			t.Errorf("ReadAll(%d, 10) = %d records, %v, want none, nil", from, len(got), err)
		}
	}
}

func testSequencesAndRevisions(t *testing.T, s eventstore.Store) {
	threeStreams(t, s)
	length := map[string]uint64{}
	for i, r := range readAll(t, s) {
		if r.Sequence != uint64(i) {
			t.Errorf("record %d: Sequence = %d, want %d", i, r.Sequence, i)
		}
		if r.Revision != length[r.Stream] {
			t.Errorf("record %d: Revision = %d in %s, want %d", i, r.Revision, r.Stream, length[r.Stream])
		}
		length[r.Stream]++
	}
	want := map[string]uint64{"incident-a": 5, "incident-b": 3, "incident-c": 2}
	if diff := cmp.Diff(want, length); diff != "" {
		t.Errorf("stream lengths mismatch (-want +got):\n%s", diff)
	}
	if got, want := head(t, s), uint64(10); got != want {
		t.Errorf("Head() = %d, want %d", got, want)
	}
}

func testRecordedAt(t *testing.T, s eventstore.Store) {
	// Stores may use their own clock (a server's); allow some skew.
	const skew = time.Minute
	before := time.Now()
	var appended []eventstore.Record
	for i := range 4 {
		stream := fmt.Sprintf("incident-%d", i%2)
		appended = append(appended, mustAppend(t, s, stream, eventstore.Any, events(t, stream, 2))...)
	}
	after := time.Now()
	read := readAll(t, s)
	if diff := cmp.Diff(appended, read, cmpOpts...); diff != "" {
		t.Errorf("ReadAll() mismatch with Append() (-appended +read):\n%s", diff)
	}
	var last time.Time
	for _, r := range read {
		switch {
		case r.RecordedAt.IsZero():
			t.Errorf("sequence %d: RecordedAt is zero", r.Sequence)
		case r.RecordedAt.Location() != time.UTC:
			t.Errorf("sequence %d: RecordedAt %v is not in UTC", r.Sequence, r.RecordedAt)
		case r.RecordedAt.Before(before.Add(-skew)) || r.RecordedAt.After(after.Add(skew)):
			t.Errorf("sequence %d: RecordedAt %v is not between %v and %v", r.Sequence, r.RecordedAt, before, after)
		case r.RecordedAt.Before(last):
			t.Errorf("sequence %d: RecordedAt %v is before the previous event's %v", r.Sequence, r.RecordedAt, last)
		}
		last = r.RecordedAt
	}
}

func testStoreFieldsIgnored(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "incident-0", eventstore.NoStream, events(t, "incident-0", 2))
	sent := events(t, "incident-1", 2)
	for i := range sent {
		sent[i].Revision = 41 + uint64(i)
		sent[i].Sequence = 99
		sent[i].RecordedAt = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	got := mustAppend(t, s, "incident-1", eventstore.NoStream, sent)
	for i, r := range got {
		if r.Revision != uint64(i) || r.Sequence != 2+uint64(i) {
			t.Errorf("record %d: Revision, Sequence = %d, %d, want %d, %d", i, r.Revision, r.Sequence, i, 2+i)
		}
		if r.RecordedAt.Year() == 1999 {
			t.Errorf("record %d: RecordedAt = %v, the writer's value", i, r.RecordedAt)
		}
	}
	if diff := cmp.Diff(got, readStream(t, s, "incident-1", eventstore.ReadOptions{}), cmpOpts...); diff != "" {
		t.Errorf("ReadStream() mismatch with Append() (-appended +read):\n%s", diff)
	}
}

func testEnvelopeRoundTrip(t *testing.T, s eventstore.Store) {
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	r := event(t, "incident-1", "breach.Declared")
	r.OccurredAt = time.Date(2024, 5, 1, 11, 30, 15, 123456789, time.FixedZone("CEST", 2*60*60))
	r.Actor = "Zoë O'Brien <zoe@example.com>"
	r.Signer = "SHA256:kZ3p8x+2m0/Qa1bc9TtZ0aT5m1xE3jv9pY0kqQmYy0s"
	r.Signature = append([]byte{0, 0, 0xff}, allBytes...)
	r.Payload = append([]byte("{\"x\":\"\x00\"}\n"), allBytes...)
	r.Basis = 1<<40 + 3 // the ledger revision its writer decided on, plus one
	noBasis := event(t, "incident-1", "breach.Assessed")
	largest := event(t, "incident-1", "breach.Classified")
	largest.Basis = 1<<63 - 1
	sent := []eventstore.Record{r, noBasis, largest}
	got := mustAppend(t, s, "incident-1", eventstore.NoStream, sent)
	read := readStream(t, s, "incident-1", eventstore.ReadOptions{})
	for name, recs := range map[string][]eventstore.Record{"Append": got, "ReadStream": read, "ReadAll": readAll(t, s)} {
		if diff := cmp.Diff(stored(sent, recs, "incident-1", 0, 0), recs, cmpOpts...); diff != "" {
			t.Errorf("%s() mismatch (-want +got):\n%s", name, diff)
		}
		if !bytes.Equal(recs[0].Payload, r.Payload) || !bytes.Equal(recs[0].Signature, r.Signature) {
			t.Errorf("%s() payload or signature bytes differ", name)
		}
		if !recs[0].OccurredAt.Equal(r.OccurredAt) {
			t.Errorf("%s() OccurredAt = %v, want %v", name, recs[0].OccurredAt, r.OccurredAt)
		}
		if got := []uint64{recs[0].Basis, recs[1].Basis, recs[2].Basis}; !cmp.Equal(got, []uint64{1<<40 + 3, 0, 1<<63 - 1}) {
			t.Errorf("%s() Basis = %v, want the writer's", name, got)
		}
	}
}

func testEmptyPayload(t *testing.T, s eventstore.Store) {
	nilPayload := event(t, "incident-1", "Nil")
	nilPayload.Payload = nil
	emptyPayload := event(t, "incident-1", "Empty")
	emptyPayload.Payload = []byte{}
	sent := []eventstore.Record{nilPayload, emptyPayload}
	got := mustAppend(t, s, "incident-1", eventstore.NoStream, sent)
	for _, r := range append(got, readAll(t, s)...) {
		if len(r.Payload) != 0 || len(r.Signature) != 0 || r.Signer != "" {
			t.Errorf("%s: Payload, Signature, Signer = %q, %q, %q, want empty", r.Type, r.Payload, r.Signature, r.Signer)
		}
	}
}

func testMaxPayload(t *testing.T, s eventstore.Store, cfg config) {
	sizes := []int{cfg.largestPayload}
	if cfg.largestPayload < eventstore.MaxPayloadSize {
		sizes = append(sizes, eventstore.MaxPayloadSize)
	}
	for i, n := range sizes {
		stream := fmt.Sprintf("incident-%d", i)
		r := event(t, stream, "Big")
		r.Payload = bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
		r.Payload[len(r.Payload)-1] = 0xff
		before := head(t, s)
		_, err := s.Append(t.Context(), stream, eventstore.NoStream, []eventstore.Record{r})
		if err != nil {
			if n <= cfg.largestPayload || !errors.Is(err, eventstore.ErrTooLarge) {
				t.Fatalf("Append(payload of %d bytes) error = %v, want nil", n, err)
			}
			// Over the store's own cap: refused cleanly. (Not unchanged():
			// cmp takes seconds over a 1 MiB payload.)
			if got := head(t, s); got != before {
				t.Errorf("Head() after a refused append = %d, want %d", got, before)
			}
			if _, err := s.ReadStream(t.Context(), stream, eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrNotFound) {
				t.Errorf("ReadStream(%s) after a refused append error = %v, want ErrNotFound", stream, err)
			}
			continue
		}
		got := readStream(t, s, stream, eventstore.ReadOptions{})
		if !bytes.Equal(got[0].Payload, r.Payload) {
			t.Errorf("ReadStream() payload of %d bytes differs from the %d bytes appended", len(got[0].Payload), len(r.Payload))
		}
	}
}

func testTooLarge(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "incident-0", eventstore.NoStream, events(t, "incident-0", 1))
	before := readAll(t, s)
	r := event(t, "incident-1", "Big")
	r.Payload = make([]byte, eventstore.MaxPayloadSize+1)
	_, err := s.Append(t.Context(), "incident-1", eventstore.NoStream, []eventstore.Record{r})
	if !errors.Is(err, eventstore.ErrTooLarge) {
		t.Fatalf("Append() error = %v, want ErrTooLarge", err)
	}
	var tle *eventstore.TooLargeError
	if !errors.As(err, &tle) {
		t.Fatalf("Append() error = %#v, want a *TooLargeError", err)
	}
	if tle.ID != r.ID || tle.Size != eventstore.MaxPayloadSize+1 {
		t.Errorf("TooLargeError = {%s, %d}, want {%s, %d}", tle.ID, tle.Size, r.ID, eventstore.MaxPayloadSize+1)
	}
	unchanged(t, s, before)
}

func testInvalid(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "incident-0", eventstore.NoStream, events(t, "incident-0", 1))
	before := readAll(t, s)
	twice := event(t, "incident-1", "Twice")
	tests := []struct {
		name   string
		stream string
		spoil  func(r *eventstore.Record)
		recs   []eventstore.Record // instead of one spoiled record
	}{
		{name: "NilID", spoil: func(r *eventstore.Record) { r.ID = uuid.Nil }},
		{name: "NoType", spoil: func(r *eventstore.Record) { r.Type = "" }},
		{name: "NoBusinessTime", spoil: func(r *eventstore.Record) { r.OccurredAt = time.Time{} }},
		{name: "BusinessTimeOutOfRange", spoil: func(r *eventstore.Record) { r.OccurredAt = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{name: "OtherStream", spoil: func(r *eventstore.Record) { r.Stream = "incident-2" }},
		{name: "BasisOutOfRange", spoil: func(r *eventstore.Record) { r.Basis = 1 << 63 }},
		{name: "EmptyStreamName", stream: ""},
		{name: "StreamNameWithSpace", stream: "incident 1"},
		{name: "StreamNameWithTab", stream: "incident\t1"},
		{name: "StreamNameWithNUL", stream: "incident\x001"},
		{name: "StreamNameWithDEL", stream: "incident\x7f"},
		{name: "StreamNameNotUTF8", stream: "incident-\xff"},
		{name: "SameIDTwice", recs: []eventstore.Record{twice, twice}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream := "incident-1"
			if tt.spoil == nil && tt.recs == nil {
				stream = tt.stream
			}
			recs := tt.recs
			if recs == nil {
				r := event(t, stream, "Valid")
				if tt.spoil != nil {
					tt.spoil(&r)
				}
				recs = []eventstore.Record{r}
			}
			_, err := s.Append(t.Context(), stream, eventstore.Any, recs)
			if !errors.Is(err, eventstore.ErrInvalid) {
				t.Errorf("Append() error = %v, want ErrInvalid", err)
			}
			unchanged(t, s, before)
		})
	}
	if _, err := s.ReadStream(t.Context(), "incident 1", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("ReadStream(%q) error = %v, want ErrInvalid", "incident 1", err)
	}
}

func testStreamFilledIn(t *testing.T, s eventstore.Store) {
	r := event(t, "", "NoStreamName")
	got := mustAppend(t, s, "incident-1", eventstore.NoStream, []eventstore.Record{r})
	if got[0].Stream != "incident-1" {
		t.Errorf("Append() Stream = %q, want %q", got[0].Stream, "incident-1")
	}
	if read := readStream(t, s, "incident-1", eventstore.ReadOptions{}); read[0].Stream != "incident-1" {
		t.Errorf("ReadStream() Stream = %q, want %q", read[0].Stream, "incident-1")
	}
}

func testHead(t *testing.T, s eventstore.Store) {
	if got := head(t, s); got != 0 {
		t.Errorf("Head() on an empty store = %d, want 0", got)
	}
	mustAppend(t, s, "incident-1", eventstore.NoStream, events(t, "incident-1", 3))
	if got := head(t, s); got != 3 {
		t.Errorf("Head() = %d, want 3", got)
	}
	mustAppend(t, s, "incident-2", eventstore.NoStream, events(t, "incident-2", 1))
	if got := head(t, s); got != 4 {
		t.Errorf("Head() = %d, want 4", got)
	}
}

// follow collects what s.Follow(ctx, from) yields, calling each(n) after the
// n-th record; it fails the test if the sequence does not end with
// context.Canceled within a few seconds.
func follow(tb testing.TB, s eventstore.Store, from uint64, each func(n int, cancel context.CancelFunc)) []eventstore.Record {
	tb.Helper()
	deadline, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	ctx, cancel := context.WithCancel(deadline)
	defer cancel()
	var (
		got     []eventstore.Record
		lastErr error
	)
	for r, err := range s.Follow(ctx, from) {
		if lastErr != nil {
			tb.Fatalf("Follow() yielded %+v, %v after the error %v", r, err, lastErr)
		}
		if err != nil {
			lastErr = err
			continue
		}
		got = append(got, r)
		each(len(got), cancel)
	}
	if !errors.Is(lastErr, context.Canceled) {
		tb.Fatalf("Follow() ended with error %v, want context.Canceled (after %d records)", lastErr, len(got))
	}
	return got
}

func testFollowCatchesUpThenLive(t *testing.T, s eventstore.Store) {
	first := mustAppend(t, s, "incident-1", eventstore.NoStream, events(t, "incident-1", 3))
	var (
		wg           sync.WaitGroup
		more1, more2 = events(t, "incident-2", 1), events(t, "incident-1", 1)
		later        []eventstore.Record
		err          error
	)
	got := follow(t, s, 0, func(n int, cancel context.CancelFunc) {
		switch n {
		case 3: // caught up: append more from elsewhere, while Follow waits
			wg.Go(func() {
				time.Sleep(20 * time.Millisecond)
				var a, b []eventstore.Record
				a, err = s.Append(context.Background(), "incident-2", eventstore.NoStream, more1)
				if err != nil {
					cancel()
					return
				}
				b, err = s.Append(context.Background(), "incident-1", eventstore.Exact(2), more2)
				later = append(a, b...)
				if err != nil {
					cancel()
				}
			})
		case 5:
			cancel()
		}
	})
	wg.Wait()
	if err != nil {
		t.Fatalf("Append() from another goroutine error = %v", err)
	}
	if diff := cmp.Diff(append(first, later...), got, cmpOpts...); diff != "" {
		t.Errorf("Follow(0) mismatch (-want +got):\n%s", diff)
	}
}

func testFollowFrom(t *testing.T, s eventstore.Store) {
	all := threeStreams(t, s)
	got := follow(t, s, 7, func(n int, cancel context.CancelFunc) {
		if n == len(all)-7 {
			cancel()
		}
	})
	if diff := cmp.Diff(all[7:], got, cmpOpts...); diff != "" {
		t.Errorf("Follow(7) mismatch (-want +got):\n%s", diff)
	}
}

func testFollowConsumerStops(t *testing.T, s eventstore.Store) {
	all := threeStreams(t, s)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var got []eventstore.Record
	for r, err := range s.Follow(ctx, 0) {
		if err != nil {
			t.Fatalf("Follow() error = %v", err)
		}
		got = append(got, r)
		if len(got) == 2 {
			break
		}
	}
	if diff := cmp.Diff(all[:2], got, cmpOpts...); diff != "" {
		t.Errorf("Follow(0) mismatch (-want +got):\n%s", diff)
	}
	// The store is still usable.
	mustAppend(t, s, "incident-d", eventstore.NoStream, events(t, "incident-d", 1))
}

func testCancelledContext(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "incident-1", eventstore.NoStream, events(t, "incident-1", 2))
	before := readAll(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	if _, err := s.Append(ctx, "incident-1", eventstore.Any, events(t, "incident-1", 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Append(cancelled) error = %v, want context.Canceled", err)
	}
	if _, err := s.Append(ctx, "incident-2", eventstore.NoStream, events(t, "incident-2", 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Append(cancelled, new stream) error = %v, want context.Canceled", err)
	}
	if _, err := s.ReadAll(ctx, 0, 10); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadAll(cancelled) error = %v, want context.Canceled", err)
	}
	if _, err := s.ReadStream(ctx, "incident-1", eventstore.ReadOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadStream(cancelled) error = %v, want context.Canceled", err)
	}
	if _, err := s.Head(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Head(cancelled) error = %v, want context.Canceled", err)
	}
	n := 0
	for _, err := range s.Follow(ctx, 0) {
		n++
		if err == nil {
			continue // a store may yield what it has before noticing
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Follow(cancelled) error = %v, want context.Canceled", err)
		}
	}
	if n == 0 {
		t.Errorf("Follow(cancelled) yielded nothing, want context.Canceled")
	}
	unchanged(t, s, before)
}

func testConcurrentAppendsOneWinner(t *testing.T, s eventstore.Store) {
	const writers = 8
	mustAppend(t, s, "incident-1", eventstore.NoStream, events(t, "incident-1", 1))
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, writers)
		sent  = make([][]eventstore.Record, writers)
	)
	for i := range writers {
		sent[i] = events(t, "incident-1", 2)
		wg.Go(func() {
			<-start
			_, errs[i] = s.Append(context.Background(), "incident-1", eventstore.Exact(0), sent[i])
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both appended at revision 1", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, eventstore.ErrConflict):
			t.Errorf("writer %d: Append() error = %v, want ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer appended")
	}
	got := readStream(t, s, "incident-1", eventstore.ReadOptions{})
	if diff := cmp.Diff(ids(sent[winner]), ids(got[1:])); diff != "" {
		t.Errorf("stream after the race mismatch (-winner's +stored):\n%s", diff)
	}
	if n := head(t, s); n != 3 {
		t.Errorf("Head() = %d, want 3", n)
	}
}

func testStreamsDoNotInterfere(t *testing.T, s eventstore.Store) {
	a := mustAppend(t, s, "incident-a", eventstore.NoStream, events(t, "incident-a", 2))
	b := mustAppend(t, s, "incident-b", eventstore.NoStream, events(t, "incident-b", 1))
	if b[0].Revision != 0 {
		t.Errorf("first event of incident-b: Revision = %d, want 0", b[0].Revision)
	}
	a = append(a, mustAppend(t, s, "incident-a", eventstore.Exact(1), events(t, "incident-a", 1))...)
	b = append(b, mustAppend(t, s, "incident-b", eventstore.Exact(0), events(t, "incident-b", 1))...)
	_, err := s.Append(t.Context(), "incident-b", eventstore.Exact(2), events(t, "incident-b", 1))
	checkConflict(t, err, 2)
	if diff := cmp.Diff(a, readStream(t, s, "incident-a", eventstore.ReadOptions{}), cmpOpts...); diff != "" {
		t.Errorf("ReadStream(incident-a) mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(b, readStream(t, s, "incident-b", eventstore.ReadOptions{}), cmpOpts...); diff != "" {
		t.Errorf("ReadStream(incident-b) mismatch (-want +got):\n%s", diff)
	}
	// A prefix of a stream name is another stream.
	if _, err := s.ReadStream(t.Context(), "incident-", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrNotFound) {
		t.Errorf("ReadStream(incident-) error = %v, want ErrNotFound", err)
	}
}

// countingStore counts calls of ReadAll.
type countingStore struct {
	eventstore.Store
	calls int
}

func (c *countingStore) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	c.calls++
	return c.Store.ReadAll(ctx, from, limit)
}

func testAllPages(t *testing.T, s eventstore.Store) {
	const (
		n     = 2*eventstore.DefaultPageSize + 3
		batch = 500
	)
	length := map[string]uint64{}
	for i := 0; i < n; i += batch {
		stream := fmt.Sprintf("incident-%d", i/batch%3)
		mustAppend(t, s, stream, eventstore.After(length[stream]), events(t, stream, min(batch, n-i)))
		length[stream] += uint64(min(batch, n-i))
	}
	cs := &countingStore{Store: s}
	var got []uint64
	for r, err := range eventstore.All(t.Context(), cs, 0) {
		if err != nil {
			t.Fatalf("All() error = %v", err)
		}
		got = append(got, r.Sequence)
	}
	want := make([]uint64, n)
	for i := range want {
		want[i] = uint64(i)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("All(0) sequences mismatch (-want +got):\n%s", diff)
	}
	if cs.calls != 3 {
		t.Errorf("All(0) called ReadAll %d times, want 3", cs.calls)
	}

	got = got[:0]
	for r, err := range eventstore.All(t.Context(), s, 1500) {
		if err != nil {
			t.Fatalf("All(1500) error = %v", err)
		}
		got = append(got, r.Sequence)
	}
	if diff := cmp.Diff(want[1500:], got); diff != "" {
		t.Errorf("All(1500) sequences mismatch (-want +got):\n%s", diff)
	}

	got = got[:0]
	for r, err := range eventstore.All(t.Context(), s, 0) {
		if err != nil {
			t.Fatalf("All(0) error = %v", err)
		}
		got = append(got, r.Sequence)
		if len(got) == 3 {
			break
		}
	}
	if diff := cmp.Diff(want[:3], got); diff != "" {
		t.Errorf("All(0) stopped after 3 mismatch (-want +got):\n%s", diff)
	}

	// StreamRecords pages through one stream: incident-0 holds the
	// batches that start at 0 and 1500, a page and a half of records.
	var seqs, revs []uint64
	for r, err := range eventstore.StreamRecords(t.Context(), s, "incident-0", 0) {
		if err != nil {
			t.Fatalf("StreamRecords() error = %v", err)
		}
		seqs, revs = append(seqs, r.Sequence), append(revs, r.Revision)
	}
	wantSeqs := append(slices.Clone(want[:batch]), want[1500:1500+batch]...)
	if diff := cmp.Diff(wantSeqs, seqs); diff != "" {
		t.Errorf("StreamRecords(incident-0) sequences mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[:2*batch], revs); diff != "" {
		t.Errorf("StreamRecords(incident-0) revisions mismatch (-want +got):\n%s", diff)
	}
	for r, err := range eventstore.StreamRecords(t.Context(), s, "incident-none", 0) {
		t.Errorf("StreamRecords of a stream never written yielded %+v, %v", r, err)
	}
}
