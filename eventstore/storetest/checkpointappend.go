package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore"
)

// RunCheckpointAppender checks the eventstore.CheckpointAppender contract
// against stores made by newStore, which must implement it:
//
//	func TestCheckpointAppender(t *testing.T) { storetest.RunCheckpointAppender(t, newStore) }
//
// As in RunCheckpoints, checkpoints are made-up bytes; what matters is
// what the store gives the sign function and what it keeps.
func RunCheckpointAppender(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s eventstore.Store, ca eventstore.CheckpointAppender)
	}{
		{"AppendsAndCheckpoints", testAppendsAndCheckpoints},
		{"ExtendsNewest", testExtendsNewest},
		{"SignRefusesAppendsNothing", testSignRefusesAppendsNothing},
		{"CoversExactlyWhatItRead", testCoversExactlyWhatItRead},
		{"ConflictDoesNotSign", testConflictDoesNotSign},
		{"RetryDoesNotSign", testRetryDoesNotSign},
		{"NothingToAppend", testNothingToAppendDoesNotSign},
		{"ConcurrentAppendsTile", testConcurrentCheckpointedAppends},
		{"CancelledContext", testCheckpointedCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			ca, ok := s.(eventstore.CheckpointAppender)
			if !ok {
				t.Fatalf("%T does not implement eventstore.CheckpointAppender", s)
			}
			tt.fn(t, s, ca)
		})
	}
}

// signCall is what one call of a sign function was given.
type signCall struct {
	latest *eventstore.Checkpoint
	tail   []eventstore.Record
}

// signer is a sign function that covers whatever it is given with a
// made-up checkpoint (one leaf per record, naming its sequence and ID),
// and remembers its calls.
type signer struct {
	mu    sync.Mutex
	calls []signCall
}

func (sg *signer) sign(latest *eventstore.Checkpoint, tail []eventstore.Record) (eventstore.Checkpoint, error) {
	sg.mu.Lock()
	sg.calls = append(sg.calls, signCall{latest: latest, tail: tail})
	sg.mu.Unlock()
	return coverTail(latest, tail), nil
}

func (sg *signer) count() int {
	sg.mu.Lock()
	defer sg.mu.Unlock()
	return len(sg.calls)
}

// coverTail returns the made-up checkpoint over tail that extends latest.
func coverTail(latest *eventstore.Checkpoint, tail []eventstore.Record) eventstore.Checkpoint {
	from := uint64(0)
	if latest != nil {
		from = latest.Size
	}
	cp := checkpoint(from+uint64(len(tail)), from)
	cp.Leaves = nil
	for _, r := range tail {
		cp.Leaves = append(cp.Leaves, leafOf(r))
	}
	return cp
}

func leafOf(r eventstore.Record) []byte { return fmt.Appendf(nil, "leaf %d %s", r.Sequence, r.ID) }

func appendCheckpointed(t *testing.T, ca eventstore.CheckpointAppender, stream string, expected eventstore.Expected, recs []eventstore.Record, sign eventstore.SignFunc) ([]eventstore.Record, eventstore.Checkpoint) {
	t.Helper()
	got, cp, err := ca.AppendCheckpointed(t.Context(), stream, expected, recs, sign)
	if err != nil {
		t.Fatalf("AppendCheckpointed(%s, %v, %d records) error = %v", stream, expected, len(recs), err)
	}
	return got, cp
}

// testAppendsAndCheckpoints: the first checkpointed append gives sign no
// checkpoint and exactly the records it stored, and keeps what sign
// returned as the newest checkpoint, with its leaves.
func testAppendsAndCheckpoints(t *testing.T, s eventstore.Store, ca eventstore.CheckpointAppender) {
	sg := &signer{}
	recs := events(t, "incident-1", 2)
	got, cp := appendCheckpointed(t, ca, "incident-1", eventstore.NoStream, recs, sg.sign)
	if diff := cmp.Diff(stored(recs, got, "incident-1", 0, 0), got, cmpOpts...); diff != "" {
		t.Errorf("AppendCheckpointed records (-want +got):\n%s", diff)
	}
	if len(sg.calls) != 1 {
		t.Fatalf("sign called %d times, want once", len(sg.calls))
	}
	if call := sg.calls[0]; call.latest != nil {
		t.Errorf("sign got latest checkpoint %+v on a store with none", call.latest)
	}
	if diff := cmp.Diff(got, sg.calls[0].tail, cmpOpts...); diff != "" {
		t.Errorf("sign got a tail other than the records as stored (-stored +tail):\n%s", diff)
	}
	if cp.Size != 2 || cp.LeavesFrom != 0 || len(cp.Leaves) != 2 || cp.SavedAt.IsZero() {
		t.Errorf("returned checkpoint = size %d, leaves from %d, %d leaves, saved %v; want 2, 0, 2, a time", cp.Size, cp.LeavesFrom, len(cp.Leaves), cp.SavedAt)
	}
	cs := ca.(eventstore.CheckpointStore)
	latest, err := cs.LatestCheckpoint(t.Context())
	if err != nil || latest.Size != 2 || !bytes.Equal(latest.Note, cp.Note) {
		t.Errorf("LatestCheckpoint = %+v, %v; want the one signed", latest, err)
	}
	all, err := cs.ReadCheckpoints(t.Context(), 0, 0)
	if err != nil || len(all) != 1 {
		t.Fatalf("ReadCheckpoints = %v, %v", all, err)
	}
	if diff := cmp.Diff([][]byte{leafOf(got[0]), leafOf(got[1])}, all[0].Leaves); diff != "" {
		t.Errorf("stored leaves (-want +got):\n%s", diff)
	}
	if n := head(t, s); n != 2 {
		t.Errorf("Head = %d, want 2", n)
	}
}

// testExtendsNewest: sign gets the newest stored checkpoint and every
// record after it, also records appended without a checkpoint.
func testExtendsNewest(t *testing.T, s eventstore.Store, ca eventstore.CheckpointAppender) {
	sg := &signer{}
	appendCheckpointed(t, ca, "incident-1", eventstore.NoStream, events(t, "incident-1", 1), sg.sign)
	uncovered := mustAppend(t, s, "incident-2", eventstore.NoStream, events(t, "incident-2", 2))
	got, cp := appendCheckpointed(t, ca, "incident-1", eventstore.Exact(0), events(t, "incident-1", 1), sg.sign)
	call := sg.calls[len(sg.calls)-1]
	if call.latest == nil || call.latest.Size != 1 {
		t.Fatalf("sign got latest %+v, want the checkpoint of 1", call.latest)
	}
	if diff := cmp.Diff(append(uncovered, got...), call.tail, cmpOpts...); diff != "" {
		t.Errorf("tail (-want +got):\n%s", diff)
	}
	if cp.Size != 4 || cp.LeavesFrom != 1 || len(cp.Leaves) != 3 {
		t.Errorf("checkpoint = size %d, leaves from %d, %d leaves; want 4, 1, 3", cp.Size, cp.LeavesFrom, len(cp.Leaves))
	}
}

var errRefused = errors.New("refused to sign")

// testSignRefusesAppendsNothing: when sign fails, neither the records nor
// a checkpoint are stored, and the error says so.
func testSignRefusesAppendsNothing(t *testing.T, s eventstore.Store, ca eventstore.CheckpointAppender) {
	sg := &signer{}
	appendCheckpointed(t, ca, "incident-1", eventstore.NoStream, events(t, "incident-1", 1), sg.sign)
	refuse := func(*eventstore.Checkpoint, []eventstore.Record) (eventstore.Checkpoint, error) {
		return eventstore.Checkpoint{}, errRefused
	}
	_, _, err := ca.AppendCheckpointed(t.Context(), "incident-2", eventstore.NoStream, events(t, "incident-2", 2), refuse)
	if !errors.Is(err, eventstore.ErrNotCheckpointed) || !errors.Is(err, errRefused) {
		t.Errorf("AppendCheckpointed with a refusing sign: error = %v, want ErrNotCheckpointed and sign's error", err)
	}
	checkUnchanged(t, s, ca, 1, "incident-2")
}

// checkUnchanged checks that the store still has n records and a
// checkpoint of n, and no stream named stream.
func checkUnchanged(t *testing.T, s eventstore.Store, ca eventstore.CheckpointAppender, n uint64, stream string) {
	t.Helper()
	if got := head(t, s); got != n {
		t.Errorf("Head = %d, want %d: records were appended", got, n)
	}
	if _, err := s.ReadStream(t.Context(), stream, eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrNotFound) {
		t.Errorf("ReadStream(%s) = %v, want ErrNotFound", stream, err)
	}
	if latest, err := ca.LatestCheckpoint(t.Context()); err != nil || latest.Size != n {
		t.Errorf("LatestCheckpoint = %d, %v; want %d", latest.Size, err, n)
	}
}

// testCoversExactlyWhatItRead: a checkpoint that does not cover exactly
// the records sign was given (another size, other leaves, none new) is
// not saved, and nothing is appended.
func testCoversExactlyWhatItRead(t *testing.T, s eventstore.Store, ca eventstore.CheckpointAppender) {
	sg := &signer{}
	appendCheckpointed(t, ca, "incident-1", eventstore.NoStream, events(t, "incident-1", 1), sg.sign)
	tests := []struct {
		name   string
		change func(cp *eventstore.Checkpoint)
	}{
		{"one record more", func(cp *eventstore.Checkpoint) { cp.Size++; cp.Leaves = append(cp.Leaves, []byte("leaf x")) }},
		{"one record less", func(cp *eventstore.Checkpoint) { cp.Size--; cp.Leaves = cp.Leaves[1:] }},
		{"a leaf missing", func(cp *eventstore.Checkpoint) { cp.Leaves = cp.Leaves[1:] }},
		{"leaves from the start", func(cp *eventstore.Checkpoint) { cp.Leaves = append([][]byte{[]byte("leaf 0")}, cp.Leaves...) }},
		{"an empty leaf", func(cp *eventstore.Checkpoint) { cp.Leaves[0] = nil }},
		{"no signed note", func(cp *eventstore.Checkpoint) { cp.Note = nil }},
		{"the newest checkpoint again", func(cp *eventstore.Checkpoint) { *cp = checkpoint(1, 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sign := func(latest *eventstore.Checkpoint, tail []eventstore.Record) (eventstore.Checkpoint, error) {
				cp := coverTail(latest, tail)
				tt.change(&cp)
				return cp, nil
			}
			_, _, err := ca.AppendCheckpointed(t.Context(), "incident-2", eventstore.NoStream, events(t, "incident-2", 2), sign)
			if !errors.Is(err, eventstore.ErrNotCheckpointed) || !(errors.Is(err, eventstore.ErrInvalid) || errors.Is(err, eventstore.ErrStaleCheckpoint)) {
				t.Errorf("AppendCheckpointed = %v, want ErrNotCheckpointed and ErrInvalid", err)
			}
			checkUnchanged(t, s, ca, 1, "incident-2")
		})
	}
}

// testConflictDoesNotSign: an append that does not meet its expectation
// fails as Append does, without calling sign.
func testConflictDoesNotSign(t *testing.T, s eventstore.Store, ca eventstore.CheckpointAppender) {
	sg := &signer{}
	appendCheckpointed(t, ca, "incident-1", eventstore.NoStream, events(t, "incident-1", 1), sg.sign)
	_, _, err := ca.AppendCheckpointed(t.Context(), "incident-1", eventstore.NoStream, events(t, "incident-1", 1), sg.sign)
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || ce.Length != 1 {
		t.Errorf("AppendCheckpointed with a wrong expectation = %v, want a *ConflictError at length 1", err)
	}
	if sg.count() != 1 {
		t.Errorf("sign called %d times, want once (not for the conflict)", sg.count())
	}
	if n := head(t, s); n != 1 {
		t.Errorf("Head = %d, want 1", n)
	}
}

// testRetryDoesNotSign: a retry of an append that landed returns the
// records as first stored and a zero checkpoint, without calling sign.
func testRetryDoesNotSign(t *testing.T, s eventstore.Store, ca eventstore.CheckpointAppender) {
	sg := &signer{}
	recs := events(t, "incident-1", 2)
	first, _ := appendCheckpointed(t, ca, "incident-1", eventstore.NoStream, recs, sg.sign)
	again, cp := appendCheckpointed(t, ca, "incident-1", eventstore.NoStream, recs, sg.sign)
	if diff := cmp.Diff(first, again, cmpOpts...); diff != "" {
		t.Errorf("retry (-first +again):\n%s", diff)
	}
	if cp.Size != 0 || sg.count() != 1 {
		t.Errorf("retry: checkpoint of size %d, sign called %d times; want 0, once", cp.Size, sg.count())
	}
	if n := head(t, s); n != 2 {
		t.Errorf("Head = %d, want 2", n)
	}
}

func testNothingToAppendDoesNotSign(t *testing.T, s eventstore.Store, ca eventstore.CheckpointAppender) {
	sg := &signer{}
	got, cp := appendCheckpointed(t, ca, "incident-1", eventstore.NoStream, nil, sg.sign)
	if len(got) != 0 || cp.Size != 0 || sg.count() != 0 {
		t.Errorf("appending nothing: %d records, checkpoint of %d, sign called %d times; want none", len(got), cp.Size, sg.count())
	}
	if _, err := ca.LatestCheckpoint(t.Context()); !errors.Is(err, eventstore.ErrNoCheckpoint) {
		t.Errorf("LatestCheckpoint = %v, want ErrNoCheckpoint", err)
	}
}

// testConcurrentCheckpointedAppends: writers appending with their
// checkpoints at once leave checkpoints that tile the log, each covering
// exactly the head at its append, and the newest covers everything.
func testConcurrentCheckpointedAppends(t *testing.T, s eventstore.Store, ca eventstore.CheckpointAppender) {
	const writers, each = 4, 5
	sg := &signer{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("incident-%d", w)
			for i := range each {
				got, cp, err := ca.AppendCheckpointed(t.Context(), stream, eventstore.After(uint64(i)), events(t, stream, 1), sg.sign)
				if err != nil {
					t.Error(err)
					return
				}
				if cp.Size != got[0].Sequence+1 {
					t.Errorf("the append at sequence %d saved a checkpoint of %d", got[0].Sequence, cp.Size)
				}
			}
		}()
	}
	wg.Wait()
	all, err := ca.ReadCheckpoints(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, s)
	var leaves [][]byte
	for i, cp := range all {
		if i > 0 && cp.LeavesFrom != all[i-1].Size {
			t.Errorf("checkpoint %d keeps leaves from %d, the previous ends at %d", cp.Size, cp.LeavesFrom, all[i-1].Size)
		}
		leaves = append(leaves, cp.Leaves...)
	}
	var want [][]byte
	for _, r := range recs {
		want = append(want, leafOf(r))
	}
	if diff := cmp.Diff(want, leaves); diff != "" {
		t.Errorf("the stored leaves are not the log's (-log +leaves):\n%s", diff)
	}
	if len(all) != writers*each || all[len(all)-1].Size != writers*each {
		t.Errorf("%d checkpoints, newest %d; want %d, %d", len(all), all[len(all)-1].Size, writers*each, writers*each)
	}
}

func testCheckpointedCancelled(t *testing.T, s eventstore.Store, ca eventstore.CheckpointAppender) {
	sg := &signer{}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := ca.AppendCheckpointed(ctx, "incident-1", eventstore.Any, events(t, "incident-1", 1), sg.sign); !errors.Is(err, context.Canceled) {
		t.Errorf("AppendCheckpointed(cancelled) error = %v, want context.Canceled", err)
	}
	if n := head(t, s); n != 0 || sg.count() != 0 {
		t.Errorf("after a cancelled append: Head = %d, sign called %d times; want 0, 0", n, sg.count())
	}
}
