package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore"
)

// condStream is the stream the conditions of these tests are on: the
// ledger stream, as for a write decided on the ledger's roles and signers.
const condStream = "ledger"

// RunConditionalAppender checks the eventstore.ConditionalAppender
// contract against stores made by newStore, which must implement it
// (EventStoreDB does not: one append names one stream):
//
//	func TestConditionalAppender(t *testing.T) { storetest.RunConditionalAppender(t, newStore) }
func RunConditionalAppender(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s eventstore.Store, ca eventstore.ConditionalAppender)
	}{
		{"ConditionHolds", testConditionHolds},
		{"ConditionFails", testConditionFails},
		{"ConditionFailsNotCheckpointed", testConditionFailsNotCheckpointed},
		{"ConditionOnItsOwnStream", testConditionOnOwnStream},
		{"ConditionInvalid", testConditionInvalid},
		{"ConditionalRetry", testConditionalRetry},
		{"ConditionalNothingToAppend", testConditionalNothing},
		{"ConditionalCancelled", testConditionalCancelled},
		{"ConditionalRace", func(t *testing.T, s eventstore.Store, ca eventstore.ConditionalAppender) {
			RunConditionalRace(t, s, s)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			ca, ok := s.(eventstore.ConditionalAppender)
			if !ok {
				t.Fatalf("%T does not implement eventstore.ConditionalAppender", s)
			}
			tt.fn(t, s, ca)
		})
	}
}

// onLedger returns the condition that the ledger stream holds exactly n
// events: what a writer that read n events of it requires.
func onLedger(n uint64) eventstore.Condition {
	return eventstore.Condition{Stream: condStream, Expected: eventstore.After(n)}
}

// checkCondConflict checks that err is the *ConflictError of a failed
// condition on the ledger stream, which held length events.
func checkCondConflict(tb testing.TB, err error, length uint64) {
	tb.Helper()
	var ce *eventstore.ConflictError
	if !errors.Is(err, eventstore.ErrConflict) || !errors.As(err, &ce) {
		tb.Fatalf("error = %v, want a *ConflictError (ErrConflict)", err)
	}
	if ce.Stream != condStream || ce.Length != length {
		tb.Errorf("ConflictError is for %s at length %d, want %s (the condition's stream) at %d", ce.Stream, ce.Length, condStream, length)
	}
}

// testConditionHolds: with the condition met (the ledger stream as read,
// also when it does not exist yet) the records are appended as Append
// appends them, and AppendCheckpointedIf saves their checkpoint.
func testConditionHolds(t *testing.T, s eventstore.Store, ca eventstore.ConditionalAppender) {
	recs := events(t, "incident-1", 2)
	got, err := ca.AppendIf(t.Context(), "incident-1", eventstore.NoStream, recs, onLedger(0))
	if err != nil {
		t.Fatalf("AppendIf(ledger stream absent, as read) error = %v", err)
	}
	if diff := cmp.Diff(stored(recs, got, "incident-1", 0, 0), got, cmpOpts...); diff != "" {
		t.Errorf("AppendIf records (-want +got):\n%s", diff)
	}
	mustAppend(t, s, condStream, eventstore.NoStream, events(t, condStream, 3))
	more := events(t, "incident-1", 1)
	more[0].Basis = 3
	got, err = ca.AppendIf(t.Context(), "incident-1", eventstore.Exact(1), more, onLedger(3))
	if err != nil {
		t.Fatalf("AppendIf(ledger at revision 2, as read) error = %v", err)
	}
	if got[0].Sequence != 5 || got[0].Revision != 2 || got[0].Basis != 3 {
		t.Errorf("AppendIf = sequence %d, revision %d, basis %d; want 5, 2, 3", got[0].Sequence, got[0].Revision, got[0].Basis)
	}
	sg := &signer{}
	got, cp, err := ca.AppendCheckpointedIf(t.Context(), "incident-2", eventstore.NoStream, events(t, "incident-2", 1), onLedger(3), sg.sign)
	if err != nil {
		t.Fatalf("AppendCheckpointedIf(condition met) error = %v", err)
	}
	if cp.Size != 7 || got[0].Sequence != 6 || sg.count() != 1 {
		t.Errorf("AppendCheckpointedIf = sequence %d, checkpoint of %d, sign called %d times; want 6, 7, once", got[0].Sequence, cp.Size, sg.count())
	}
	if diff := cmp.Diff(readAll(t, s)[6:], got, cmpOpts...); diff != "" {
		t.Errorf("stored (-read +returned):\n%s", diff)
	}
}

// failedConditions are conditions that a ledger stream of 3 events does
// not meet, with how each is wrong.
var failedConditions = []struct {
	name string
	cond eventstore.Condition
}{
	{"no stream, but it has events", eventstore.Condition{Stream: condStream, Expected: eventstore.NoStream}},
	{"revision behind (revoked since)", eventstore.Condition{Stream: condStream, Expected: eventstore.Exact(1)}},
	{"revision ahead", eventstore.Condition{Stream: condStream, Expected: eventstore.Exact(5)}},
}

// testConditionFails: a condition the ledger stream does not meet is a
// *ConflictError for that stream, and nothing is appended, also when the
// appended stream's own expectation holds.
func testConditionFails(t *testing.T, s eventstore.Store, ca eventstore.ConditionalAppender) {
	mustAppend(t, s, condStream, eventstore.NoStream, events(t, condStream, 3))
	mustAppend(t, s, "incident-1", eventstore.NoStream, events(t, "incident-1", 1))
	before := readAll(t, s)
	for _, tt := range failedConditions {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ca.AppendIf(t.Context(), "incident-1", eventstore.Exact(0), events(t, "incident-1", 2), tt.cond)
			checkCondConflict(t, err, 3)
			unchanged(t, s, before)
		})
	}
	// A condition on a stream that has no events, expecting some.
	_, err := ca.AppendIf(t.Context(), "incident-1", eventstore.Any, events(t, "incident-1", 1), eventstore.Condition{Stream: "incident-9", Expected: eventstore.Exact(0)})
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || ce.Stream != "incident-9" || ce.Length != 0 {
		t.Errorf("AppendIf on a missing stream expecting revision 0 = %v, want a *ConflictError for incident-9 at length 0", err)
	}
	unchanged(t, s, before)
}

// testConditionFailsNotCheckpointed: AppendCheckpointedIf with a failed
// condition calls no sign, saves no checkpoint, appends nothing.
func testConditionFailsNotCheckpointed(t *testing.T, s eventstore.Store, ca eventstore.ConditionalAppender) {
	sg := &signer{}
	appendCheckpointed(t, ca, condStream, eventstore.NoStream, events(t, condStream, 3), sg.sign)
	before := readAll(t, s)
	for _, tt := range failedConditions {
		t.Run(tt.name, func(t *testing.T) {
			_, cp, err := ca.AppendCheckpointedIf(t.Context(), "incident-1", eventstore.NoStream, events(t, "incident-1", 1), tt.cond, sg.sign)
			checkCondConflict(t, err, 3)
			if cp.Size != 0 || sg.count() != 1 {
				t.Errorf("checkpoint of %d returned, sign called %d times; want none, once (before)", cp.Size, sg.count())
			}
			unchanged(t, s, before)
			checkUnchanged(t, s, ca, 3, "incident-1")
		})
	}
}

// testConditionOnOwnStream: a condition may name the stream appended to;
// both it and the expectation must then hold.
func testConditionOnOwnStream(t *testing.T, s eventstore.Store, ca eventstore.ConditionalAppender) {
	mustAppend(t, s, condStream, eventstore.NoStream, events(t, condStream, 2))
	before := readAll(t, s)
	_, err := ca.AppendIf(t.Context(), condStream, eventstore.Any, events(t, condStream, 1), onLedger(1))
	checkCondConflict(t, err, 2)
	unchanged(t, s, before)
	if _, err := ca.AppendIf(t.Context(), condStream, eventstore.Exact(1), events(t, condStream, 1), onLedger(2)); err != nil {
		t.Errorf("AppendIf with the condition and expectation on one stream both met: %v", err)
	}
}

func testConditionInvalid(t *testing.T, s eventstore.Store, ca eventstore.ConditionalAppender) {
	for _, stream := range []string{"", "led ger", "ledger\x00"} {
		_, err := ca.AppendIf(t.Context(), "incident-1", eventstore.Any, events(t, "incident-1", 1), eventstore.Condition{Stream: stream, Expected: eventstore.Any})
		if !errors.Is(err, eventstore.ErrInvalid) {
			t.Errorf("AppendIf with a condition on stream %q: error = %v, want ErrInvalid", stream, err)
		}
		_, _, err = ca.AppendCheckpointedIf(t.Context(), "incident-1", eventstore.Any, events(t, "incident-1", 1), eventstore.Condition{Stream: stream}, (&signer{}).sign)
		if !errors.Is(err, eventstore.ErrInvalid) {
			t.Errorf("AppendCheckpointedIf with a condition on stream %q: error = %v, want ErrInvalid", stream, err)
		}
	}
	if n := head(t, s); n != 0 {
		t.Errorf("Head = %d, want 0", n)
	}
}

// testConditionalRetry: a retry of a conditional append that landed
// returns the records as stored, appending nothing and signing nothing,
// even though the ledger stream has moved on since (the condition held
// when they landed).
func testConditionalRetry(t *testing.T, s eventstore.Store, ca eventstore.ConditionalAppender) {
	mustAppend(t, s, condStream, eventstore.NoStream, events(t, condStream, 1))
	recs := events(t, "incident-1", 2)
	first, err := ca.AppendIf(t.Context(), "incident-1", eventstore.NoStream, recs, onLedger(1))
	if err != nil {
		t.Fatal(err)
	}
	sg := &signer{}
	recs2 := events(t, "incident-2", 1)
	first2, _, err := ca.AppendCheckpointedIf(t.Context(), "incident-2", eventstore.NoStream, recs2, onLedger(1), sg.sign)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, condStream, eventstore.Exact(0), events(t, condStream, 1)) // the ledger moves on
	n := head(t, s)

	again, err := ca.AppendIf(t.Context(), "incident-1", eventstore.NoStream, recs, onLedger(1))
	if err != nil {
		t.Fatalf("retry of AppendIf that landed: %v", err)
	}
	if diff := cmp.Diff(first, again, cmpOpts...); diff != "" {
		t.Errorf("retry (-first +again):\n%s", diff)
	}
	again2, cp, err := ca.AppendCheckpointedIf(t.Context(), "incident-2", eventstore.NoStream, recs2, onLedger(1), sg.sign)
	if err != nil {
		t.Fatalf("retry of AppendCheckpointedIf that landed: %v", err)
	}
	if diff := cmp.Diff(first2, again2, cmpOpts...); diff != "" {
		t.Errorf("checkpointed retry (-first +again):\n%s", diff)
	}
	if cp.Size != 0 || sg.count() != 1 {
		t.Errorf("checkpointed retry: checkpoint of %d, sign called %d times; want none, once", cp.Size, sg.count())
	}
	if got := head(t, s); got != n {
		t.Errorf("Head after the retries = %d, want %d", got, n)
	}
	// A new append with the stale condition is refused.
	_, err = ca.AppendIf(t.Context(), "incident-1", eventstore.Exact(1), events(t, "incident-1", 1), onLedger(1))
	checkCondConflict(t, err, 2)
}

// testConditionalNothing: appending no records appends nothing but still
// checks the condition, as Append still checks its expectation.
func testConditionalNothing(t *testing.T, s eventstore.Store, ca eventstore.ConditionalAppender) {
	mustAppend(t, s, condStream, eventstore.NoStream, events(t, condStream, 1))
	if got, err := ca.AppendIf(t.Context(), "incident-1", eventstore.NoStream, nil, onLedger(1)); err != nil || len(got) != 0 {
		t.Errorf("AppendIf(nothing, condition met) = %v, %v; want nothing, nil", got, err)
	}
	_, err := ca.AppendIf(t.Context(), "incident-1", eventstore.NoStream, nil, onLedger(0))
	checkCondConflict(t, err, 1)
}

func testConditionalCancelled(t *testing.T, s eventstore.Store, ca eventstore.ConditionalAppender) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := ca.AppendIf(ctx, "incident-1", eventstore.Any, events(t, "incident-1", 1), onLedger(0)); !errors.Is(err, context.Canceled) {
		t.Errorf("AppendIf(cancelled) error = %v, want context.Canceled", err)
	}
	sg := &signer{}
	if _, _, err := ca.AppendCheckpointedIf(ctx, "incident-1", eventstore.Any, events(t, "incident-1", 1), onLedger(0), sg.sign); !errors.Is(err, context.Canceled) {
		t.Errorf("AppendCheckpointedIf(cancelled) error = %v, want context.Canceled", err)
	}
	if n := head(t, s); n != 0 || sg.count() != 0 {
		t.Errorf("after cancelled appends: Head = %d, sign called %d times; want 0, 0", n, sg.count())
	}
}

// RunConditionalRace races writers against the ledger stream. Writers
// append to incident streams through s, which must implement
// eventstore.ConditionalAppender: each reads the ledger stream, decides
// (recording how many events it held as the basis), and appends on the
// condition that the ledger stream is still as read, reading again when
// the condition fails. Meanwhile another writer keeps appending to the
// ledger stream through ledger: s itself, or another handle on the same
// ledger, as a second process would hold. Every conditional append that
// landed must follow exactly as many ledger-stream events, in the total
// order, as its basis says: no ledger event (a revocation) came between
// its writer's read and its append.
func RunConditionalRace(t *testing.T, s, ledger eventstore.Store) {
	ca, ok := s.(eventstore.ConditionalAppender)
	if !ok {
		t.Fatalf("%T does not implement eventstore.ConditionalAppender", s)
	}
	const (
		writers   = 3
		each      = 6
		maxLedger = 300 // ledger appends at most, one every pause while the writers run
		pause     = 200 * time.Microsecond
		// Each refusal of a writer needs a ledger append after its read,
		// so a writer is refused at most maxLedger times; more is a
		// condition failing on a ledger as read.
		maxRefused = maxLedger + 1
	)
	ctx := t.Context()
	mustAppend(t, ledger, condStream, eventstore.NoStream, events(t, condStream, 1))

	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		conflicts int
	)
	done, started := make(chan struct{}), make(chan struct{})
	wg.Add(1)
	go func() { // the ledger stream moves on: roles granted and revoked
		defer wg.Done()
		for i := range maxLedger {
			if i == 1 {
				close(started)
			}
			select {
			case <-done:
				return
			case <-time.After(pause):
			}
			if _, err := ledger.Append(ctx, condStream, eventstore.Any, events(t, condStream, 1)); err != nil {
				t.Errorf("ledger append %d: %v", i, err)
				return
			}
		}
	}()
	<-started // the writers start once the ledger is moving
	var writersWG sync.WaitGroup
	for w := range writers {
		writersWG.Add(1)
		go func() {
			defer writersWG.Done()
			stream := fmt.Sprintf("incident-%d", w)
			for i := range each {
				for try := 0; ; try++ {
					if try == maxRefused {
						t.Errorf("%s: %d conditional appends refused in a row", stream, maxRefused)
						return
					}
					// Read the ledger stream, decide, append under the
					// condition that it is still as read.
					n, err := StreamLength(ctx, s, condStream)
					if err != nil {
						t.Error(err)
						return
					}
					if try%2 == 0 {
						time.Sleep(pause) // let the ledger move between the read and the append
					}
					r := event(t, stream, fmt.Sprintf("E%d", i))
					r.Basis = n
					_, err = ca.AppendIf(ctx, stream, eventstore.After(uint64(i)), []eventstore.Record{r}, onLedger(n))
					var ce *eventstore.ConflictError
					switch {
					case err == nil:
					case errors.As(err, &ce) && ce.Stream == condStream:
						mu.Lock()
						conflicts++
						mu.Unlock()
						continue
					default:
						t.Errorf("%s: AppendIf: %v", stream, err)
						return
					}
					break
				}
			}
		}()
	}
	writersWG.Wait()
	close(done)
	wg.Wait()

	var ledgerEvents, landed uint64
	for _, r := range readAll(t, s) {
		if r.Stream == condStream {
			ledgerEvents++
			continue
		}
		landed++
		if r.Basis != ledgerEvents {
			t.Errorf("%s (sequence %d) was decided on %d ledger events, but %d preceded it", r.Stream, r.Sequence, r.Basis, ledgerEvents)
		}
	}
	if landed != writers*each {
		t.Errorf("%d conditional appends landed, want %d", landed, writers*each)
	}
	t.Logf("%d conditional appends landed among %d ledger appends; %d refused by their condition and retried", landed, ledgerEvents, conflicts)
}

// StreamLength returns how many events stream holds (0 when it has none),
// for tests that read it as a writer does before deciding.
func StreamLength(ctx context.Context, s eventstore.Store, stream string) (uint64, error) {
	recs, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{From: eventstore.End})
	switch {
	case errors.Is(err, eventstore.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("read %s: %w", stream, err)
	case len(recs) == 0:
		return 0, nil
	}
	return recs[0].Revision + 1, nil
}
