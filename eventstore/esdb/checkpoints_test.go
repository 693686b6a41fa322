package esdb_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
	"github.com/breachledger/breachledger/eventstore/storetest"
)

func leaves(from, to uint64, size int) [][]byte {
	var out [][]byte
	for i := from; i < to; i++ {
		out = append(out, bytes.Repeat([]byte(fmt.Sprint(i%10)), size))
	}
	return out
}

// TestCheckpointContract runs the CheckpointStore contract suite against
// the protocol test server.
func TestCheckpointContract(t *testing.T) {
	storetest.RunCheckpoints(t, func(t *testing.T) eventstore.Store {
		return open(t, esdbtest.Start(t, esdbtest.Options{}).URL())
	})
}

func TestCheckpointContractRealServer(t *testing.T) {
	url := realServer(t)
	storetest.RunCheckpoints(t, func(t *testing.T) eventstore.Store {
		return open(t, withQuery(url, "prefix=bltest-"+uuid.NewString()+"/"))
	})
}

// TestCheckpoints: checkpoints live in a stream outside the ledger's
// prefix (they take no sequences), only grow, keep each leaf once, and
// come back with their leaves, also when a checkpoint's leaves are too
// many for one append.
func TestCheckpoints(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	s := open(t, srv.URL())
	if _, err := s.LatestCheckpoint(t.Context()); !errors.Is(err, eventstore.ErrNoCheckpoint) {
		t.Fatalf("LatestCheckpoint() on a new ledger error = %v, want ErrNoCheckpoint", err)
	}
	appendN(t, s, "incident-1", 3)
	cp := func(size uint64, from uint64, leafSize int) eventstore.Checkpoint {
		return eventstore.Checkpoint{Size: size, Root: []byte{byte(size)}, Note: []byte(fmt.Sprintf("note %d", size)), Range: [][]byte{{1}, {2}}, Leaves: leaves(from, size, leafSize)}
	}
	first, err := s.SaveCheckpoint(t.Context(), cp(3, 0, 10))
	if err != nil {
		t.Fatal(err)
	}
	if first.LeavesFrom != 0 || len(first.Leaves) != 3 || first.SavedAt.IsZero() {
		t.Errorf("SaveCheckpoint() = from %d, %d leaves, saved %v", first.LeavesFrom, len(first.Leaves), first.SavedAt)
	}
	if _, err := s.SaveCheckpoint(t.Context(), cp(3, 0, 10)); !errors.Is(err, eventstore.ErrStaleCheckpoint) {
		t.Errorf("SaveCheckpoint(same size) error = %v, want ErrStaleCheckpoint", err)
	}
	if _, err := s.SaveCheckpoint(t.Context(), cp(5, 4, 10)); !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("SaveCheckpoint(leaves missing from 3) error = %v, want ErrInvalid", err)
	}
	// 3000 leaves of 400 bytes: more than one append can carry.
	big, err := s.SaveCheckpoint(t.Context(), cp(3003, 0, 400))
	if err != nil {
		t.Fatal(err)
	}
	if big.LeavesFrom != 3 || len(big.Leaves) != 3000 {
		t.Errorf("SaveCheckpoint(big) = from %d, %d leaves, want 3, 3000", big.LeavesFrom, len(big.Leaves))
	}
	latest, err := s.LatestCheckpoint(t.Context())
	if err != nil || latest.Size != 3003 || latest.Leaves != nil {
		t.Errorf("LatestCheckpoint() = size %d, %d leaves, %v; want 3003, none", latest.Size, len(latest.Leaves), err)
	}
	got, err := s.ReadCheckpoints(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// (cmp takes seconds over a megabyte of leaves: compare them apart.)
	noLeaves := cmpopts.IgnoreFields(eventstore.Checkpoint{}, "Leaves")
	if diff := cmp.Diff([]eventstore.Checkpoint{first, big}, got, cmpopts.EquateEmpty(), noLeaves); diff != "" {
		t.Errorf("ReadCheckpoints() mismatch (-saved +read):\n%s", diff)
	}
	for i, want := range []eventstore.Checkpoint{first, big} {
		if i < len(got) && !slices.EqualFunc(want.Leaves, got[i].Leaves, bytes.Equal) {
			t.Errorf("ReadCheckpoints()[%d] leaves differ from those saved", i)
		}
	}
	if got, err := s.ReadCheckpoints(t.Context(), 3, 0); err != nil || len(got) != 1 || got[0].Size != 3003 {
		t.Errorf("ReadCheckpoints(after 3) = %d checkpoints, %v; want the one of size 3003", len(got), err)
	}
	// Nothing of it under the ledger's prefix.
	if n, err := s.Head(t.Context()); err != nil || n != 3 {
		t.Errorf("Head() = %d, %v, want 3", n, err)
	}
	streams := map[string]bool{}
	for _, e := range srv.Memory().Events() {
		streams[e.Stream] = true
	}
	for name := range streams {
		if name != "breachledger/incident-1" && !strings.HasPrefix(name, "breachledger-checkpoints:") {
			t.Errorf("unexpected stream %s", name)
		}
	}
}
