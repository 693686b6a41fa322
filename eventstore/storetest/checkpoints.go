package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore"
)

// RunCheckpoints checks the eventstore.CheckpointStore contract against
// stores made by newStore, which must implement it:
//
//	func TestCheckpoints(t *testing.T) { storetest.RunCheckpoints(t, newStore) }
//
// The store treats checkpoints as opaque bytes, so these rules use made-up
// roots, notes and leaves.
func RunCheckpoints(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s eventstore.Store, cs eventstore.CheckpointStore)
	}{
		{"NoCheckpoint", testNoCheckpoint},
		{"SaveAndRead", testSaveAndRead},
		{"OnlyGrow", testCheckpointsOnlyGrow},
		{"LeavesTile", testLeavesTile},
		{"Invalid", testCheckpointInvalid},
		{"ConcurrentSaves", testConcurrentSaves},
		{"Paging", testCheckpointPaging},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			cs, ok := s.(eventstore.CheckpointStore)
			if !ok {
				t.Fatalf("%T does not implement eventstore.CheckpointStore", s)
			}
			tt.fn(t, s, cs)
		})
	}
}

// checkpoint returns a made-up checkpoint of size whose leaves start at from.
func checkpoint(size, from uint64) eventstore.Checkpoint {
	cp := eventstore.Checkpoint{
		Size:  size,
		Root:  bytes.Repeat([]byte{byte(size)}, 32),
		Note:  []byte(fmt.Sprintf("origin\n%d\nroot\n\n— origin sig\n", size)),
		Range: [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{byte(size)}, 32)},
	}
	for seq := from; seq < size; seq++ {
		cp.Leaves = append(cp.Leaves, []byte(fmt.Sprintf("leaf %d", seq)))
	}
	return cp
}

func save(t *testing.T, cs eventstore.CheckpointStore, cp eventstore.Checkpoint) eventstore.Checkpoint {
	t.Helper()
	got, err := cs.SaveCheckpoint(t.Context(), cp)
	if err != nil {
		t.Fatalf("SaveCheckpoint(%d): %v", cp.Size, err)
	}
	return got
}

func testNoCheckpoint(t *testing.T, _ eventstore.Store, cs eventstore.CheckpointStore) {
	if _, err := cs.LatestCheckpoint(t.Context()); !errors.Is(err, eventstore.ErrNoCheckpoint) {
		t.Errorf("LatestCheckpoint of a new store = %v, want ErrNoCheckpoint", err)
	}
	if cps, err := cs.ReadCheckpoints(t.Context(), 0, 0); err != nil || len(cps) != 0 {
		t.Errorf("ReadCheckpoints of a new store = %v, %v", cps, err)
	}
}

func testSaveAndRead(t *testing.T, _ eventstore.Store, cs eventstore.CheckpointStore) {
	before := time.Now().Add(-time.Second)
	first := save(t, cs, checkpoint(3, 0))
	second := save(t, cs, checkpoint(5, 3))
	if first.SavedAt.Before(before) || second.LeavesFrom != 3 {
		t.Errorf("saved = %+v, %+v", first, second)
	}
	latest, err := cs.LatestCheckpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := checkpoint(5, 3)
	want.LeavesFrom, want.Leaves, want.SavedAt = 3, nil, second.SavedAt
	if diff := cmp.Diff(want, latest); diff != "" {
		t.Errorf("LatestCheckpoint (-want +got):\n%s", diff)
	}
	all, err := cs.ReadCheckpoints(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Size != 3 || all[1].Size != 5 {
		t.Fatalf("ReadCheckpoints = %d checkpoints", len(all))
	}
	if diff := cmp.Diff([][]byte{[]byte("leaf 3"), []byte("leaf 4")}, all[1].Leaves); diff != "" {
		t.Errorf("leaves of the second checkpoint (-want +got):\n%s", diff)
	}
	if after, err := cs.ReadCheckpoints(t.Context(), 3, 0); err != nil || len(after) != 1 || after[0].Size != 5 {
		t.Errorf("ReadCheckpoints after 3 = %v, %v", after, err)
	}
}

func testCheckpointsOnlyGrow(t *testing.T, _ eventstore.Store, cs eventstore.CheckpointStore) {
	save(t, cs, checkpoint(4, 0))
	for _, size := range []uint64{4, 2} {
		if _, err := cs.SaveCheckpoint(t.Context(), checkpoint(size, 0)); !errors.Is(err, eventstore.ErrStaleCheckpoint) {
			t.Errorf("SaveCheckpoint(%d) after 4 = %v, want ErrStaleCheckpoint", size, err)
		}
	}
	if latest, _ := cs.LatestCheckpoint(t.Context()); latest.Size != 4 || !bytes.Equal(latest.Root, checkpoint(4, 0).Root) {
		t.Errorf("a stale save changed the latest checkpoint: %+v", latest)
	}
}

// testLeavesTile: a checkpoint made from an older base keeps only the leaves
// beyond the newest stored checkpoint.
func testLeavesTile(t *testing.T, _ eventstore.Store, cs eventstore.CheckpointStore) {
	save(t, cs, checkpoint(2, 0))
	save(t, cs, checkpoint(3, 2))
	got := save(t, cs, checkpoint(6, 2)) // computed from checkpoint 2 by a slower writer
	if got.LeavesFrom != 3 || len(got.Leaves) != 3 || string(got.Leaves[0]) != "leaf 3" {
		t.Errorf("saved leaves from %d: %q", got.LeavesFrom, got.Leaves)
	}
	all, _ := cs.ReadCheckpoints(t.Context(), 0, 0)
	var seqs []string
	for _, cp := range all {
		for i, l := range cp.Leaves {
			if want := fmt.Sprintf("leaf %d", cp.LeavesFrom+uint64(i)); string(l) != want {
				t.Errorf("checkpoint %d: leaf %q, want %q", cp.Size, l, want)
			}
			seqs = append(seqs, string(l))
		}
	}
	if len(seqs) != 6 {
		t.Errorf("the stored leaves do not tile [0, 6): %q", seqs)
	}
}

func testCheckpointInvalid(t *testing.T, _ eventstore.Store, cs eventstore.CheckpointStore) {
	save(t, cs, checkpoint(2, 0))
	noNote := checkpoint(5, 2)
	noNote.Note = nil
	tests := []struct {
		name string
		cp   eventstore.Checkpoint
	}{
		{"size 0", eventstore.Checkpoint{Root: []byte{1}, Note: []byte{1}}},
		{"no note", noNote},
		{"leaves start after the newest checkpoint", checkpoint(5, 3)},
	}
	for _, tt := range tests {
		if _, err := cs.SaveCheckpoint(t.Context(), tt.cp); !errors.Is(err, eventstore.ErrInvalid) {
			t.Errorf("%s: SaveCheckpoint = %v, want ErrInvalid", tt.name, err)
		}
	}
}

// testConcurrentSaves: writers racing to save checkpoints of growing sizes
// never store one that does not grow.
func testConcurrentSaves(t *testing.T, _ eventstore.Store, cs eventstore.CheckpointStore) {
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for size := uint64(1); size <= 6; size++ {
				_, err := cs.SaveCheckpoint(t.Context(), checkpoint(size, 0))
				if err != nil && !errors.Is(err, eventstore.ErrStaleCheckpoint) {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	all, err := cs.ReadCheckpoints(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Size <= all[i-1].Size || all[i].LeavesFrom != all[i-1].Size {
			t.Errorf("checkpoint %d after %d (leaves from %d)", all[i].Size, all[i-1].Size, all[i].LeavesFrom)
		}
	}
	if all[len(all)-1].Size != 6 {
		t.Errorf("newest = %d, want 6", all[len(all)-1].Size)
	}
}

func testCheckpointPaging(t *testing.T, _ eventstore.Store, cs eventstore.CheckpointStore) {
	const n = 150 // more than one page of Checkpoints
	for size := uint64(1); size <= n; size++ {
		save(t, cs, checkpoint(size, size-1))
	}
	var got uint64
	for cp, err := range eventstore.Checkpoints(t.Context(), cs, 0) {
		if err != nil {
			t.Fatal(err)
		}
		got++
		if cp.Size != got {
			t.Fatalf("checkpoint %d at position %d", cp.Size, got)
		}
	}
	if got != n {
		t.Errorf("Checkpoints yielded %d, want %d", got, n)
	}
	if page, _ := cs.ReadCheckpoints(t.Context(), 10, 5); len(page) != 5 || page[0].Size != 11 {
		t.Errorf("ReadCheckpoints(10, 5) = %d checkpoints", len(page))
	}
}
