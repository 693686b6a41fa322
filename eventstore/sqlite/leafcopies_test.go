package sqlite_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// TestCheckpointHeadsAndLeafCopies: the checkpoints without their leaves
// and the leaves read apart are what ReadCheckpoints reads together; a
// missing leaf row is a nil copy.
func TestCheckpointHeadsAndLeafCopies(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	leaves := func(from, to int) [][]byte {
		var out [][]byte
		for i := from; i < to; i++ {
			out = append(out, fmt.Appendf(nil, "leaf %d", i))
		}
		return out
	}
	for _, size := range []uint64{2, 5, 6} {
		cp := eventstore.Checkpoint{Size: size, Root: []byte{byte(size)}, Note: []byte("n"), Leaves: leaves(0, int(size))}
		if _, err := s.SaveCheckpoint(ctx, cp); err != nil {
			t.Fatal(err)
		}
	}
	full, err := s.ReadCheckpoints(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	heads, err := s.ReadCheckpointHeads(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(heads) != len(full) {
		t.Fatalf("%d heads, %d checkpoints", len(heads), len(full))
	}
	for i, h := range heads {
		if h.Leaves != nil {
			t.Errorf("head %d has %d leaves, want none", h.Size, len(h.Leaves))
		}
		copies, err := s.ReadLeafCopies(ctx, h.LeavesFrom, h.Size)
		if err != nil {
			t.Fatal(err)
		}
		h.Leaves = copies
		if !reflect.DeepEqual(h, full[i]) {
			t.Errorf("head and copies of %d = %+v, want %+v", h.Size, h, full[i])
		}
	}
	got, err := s.ReadCheckpointHeads(ctx, 2, 1)
	if err != nil || len(got) != 1 || got[0].Size != 5 {
		t.Errorf("ReadCheckpointHeads(2, 1) = %+v, %v; want the checkpoint of 5", got, err)
	}
	copies, err := s.ReadLeafCopies(ctx, 4, 8)
	if want := [][]byte{[]byte("leaf 4"), []byte("leaf 5"), nil, nil}; err != nil || !reflect.DeepEqual(copies, want) {
		t.Errorf("ReadLeafCopies(4, 8) = %q, %v; want %q", copies, err, want)
	}
}
