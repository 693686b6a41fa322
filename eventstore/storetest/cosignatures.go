package storetest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breachledger/breachledger/eventstore"
)

// RunCosignatures checks the eventstore.CosignatureStore contract against
// stores made by newStore, which must implement it and
// eventstore.CheckpointStore (cosignatures are kept beside checkpoints):
//
//	func TestCosignatures(t *testing.T) { storetest.RunCosignatures(t, newStore) }
//
// The store keeps cosignature lines without judging them, so these rules
// use made-up lines of the right shape.
func RunCosignatures(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, cs eventstore.CheckpointStore, ws eventstore.CosignatureStore)
	}{
		{"NoCosignatures", testNoCosignatures},
		{"SaveAndRead", testCosignaturesSaveAndRead},
		{"ApartByCheckpoint", testCosignaturesApart},
		{"NoCheckpoint", testCosignaturesNoCheckpoint},
		{"Invalid", testCosignaturesInvalid},
		{"Largest", testCosignaturesLargest},
		{"ConcurrentSaves", testConcurrentCosignatures},
		{"NeverChanged", testCosignaturesNeverChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			cs, ok := s.(eventstore.CheckpointStore)
			if !ok {
				t.Fatalf("%T does not implement eventstore.CheckpointStore", s)
			}
			ws, ok := s.(eventstore.CosignatureStore)
			if !ok {
				t.Fatalf("%T does not implement eventstore.CosignatureStore", s)
			}
			tt.fn(t, cs, ws)
		})
	}
}

// cosignatureLine returns a made-up cosignature line of witness name,
// distinct for each n: "— NAME BASE64\n".
func cosignatureLine(name string, n int) []byte {
	sig := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%s signature %d", name, n)))
	return []byte("— " + name + " " + sig + "\n")
}

func saveCosignatures(t *testing.T, ws eventstore.CosignatureStore, size uint64, lines ...[]byte) {
	t.Helper()
	if err := ws.SaveCosignatures(t.Context(), size, lines); err != nil {
		t.Fatalf("SaveCosignatures(%d, %d lines): %v", size, len(lines), err)
	}
}

func readCosignatures(t *testing.T, ws eventstore.CosignatureStore, size uint64) []eventstore.Cosignature {
	t.Helper()
	got, err := ws.ReadCosignatures(t.Context(), size)
	if err != nil {
		t.Fatalf("ReadCosignatures(%d): %v", size, err)
	}
	return got
}

// lineStrings returns the lines of cosignatures, as strings for messages.
func lineStrings(cos []eventstore.Cosignature) []string {
	out := make([]string, len(cos))
	for i, c := range cos {
		out[i] = string(c.Line)
	}
	return out
}

// checkLines reports unless got holds exactly want, in order, each with
// size set and a SavedAt set by the store (UTC, no earlier than since).
func checkLines(t *testing.T, got []eventstore.Cosignature, size uint64, since time.Time, want ...[]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d cosignatures of checkpoint %d, want %d: %q", len(got), size, len(want), lineStrings(got))
	}
	for i, c := range got {
		if !bytes.Equal(c.Line, want[i]) {
			t.Errorf("cosignature %d of checkpoint %d: line %q, want %q", i, size, c.Line, want[i])
		}
		if c.Size != size {
			t.Errorf("cosignature %d of checkpoint %d: Size %d", i, size, c.Size)
		}
		if c.SavedAt.IsZero() || c.SavedAt.Location() != time.UTC || c.SavedAt.Before(since) {
			t.Errorf("cosignature %d of checkpoint %d: SavedAt %v, want UTC, set by the store, not before %v", i, size, c.SavedAt, since)
		}
	}
}

func testNoCosignatures(t *testing.T, cs eventstore.CheckpointStore, ws eventstore.CosignatureStore) {
	save(t, cs, checkpoint(3, 0))
	for _, size := range []uint64{3, 2, 4, 0} { // stored; and none of these
		if got := readCosignatures(t, ws, size); len(got) != 0 {
			t.Errorf("ReadCosignatures(%d) with none saved = %q, want none", size, lineStrings(got))
		}
	}
}

func testCosignaturesSaveAndRead(t *testing.T, cs eventstore.CheckpointStore, ws eventstore.CosignatureStore) {
	since := time.Now().Add(-time.Second)
	save(t, cs, checkpoint(3, 0))
	a, b, c := cosignatureLine("witness-a", 1), cosignatureLine("witness-b", 1), cosignatureLine("witness-a", 2)
	saveCosignatures(t, ws, 3, a, b)
	checkLines(t, readCosignatures(t, ws, 3), 3, since, a, b)
	saveCosignatures(t, ws, 3, c) // a refresh: a new line, after the others
	got := readCosignatures(t, ws, 3)
	checkLines(t, got, 3, since, a, b, c)
	if len(got) == 3 && got[2].SavedAt.Before(got[0].SavedAt.Add(-time.Second)) {
		t.Errorf("the refresh was saved at %v, well before the first line (%v)", got[2].SavedAt, got[0].SavedAt)
	}
}

// testCosignaturesApart: the cosignatures of one checkpoint are never
// returned for another, whichever was saved first.
func testCosignaturesApart(t *testing.T, cs eventstore.CheckpointStore, ws eventstore.CosignatureStore) {
	since := time.Now().Add(-time.Second)
	save(t, cs, checkpoint(2, 0))
	save(t, cs, checkpoint(5, 2))
	small1, large, small2 := cosignatureLine("w", 21), cosignatureLine("w", 51), cosignatureLine("w", 22)
	saveCosignatures(t, ws, 2, small1)
	saveCosignatures(t, ws, 5, large)
	saveCosignatures(t, ws, 2, small2)
	checkLines(t, readCosignatures(t, ws, 2), 2, since, small1, small2)
	checkLines(t, readCosignatures(t, ws, 5), 5, since, large)
	for _, size := range []uint64{1, 3, 4, 6} {
		if got := readCosignatures(t, ws, size); len(got) != 0 {
			t.Errorf("ReadCosignatures(%d), between or beside the checkpoints 2 and 5 = %q, want none", size, lineStrings(got))
		}
	}
}

// testCosignaturesNoCheckpoint: a cosignature of a checkpoint that is not
// stored is refused, and nothing of it is kept, not even for a checkpoint
// of that size stored later.
func testCosignaturesNoCheckpoint(t *testing.T, cs eventstore.CheckpointStore, ws eventstore.CosignatureStore) {
	line := cosignatureLine("w", 1)
	if err := ws.SaveCosignatures(t.Context(), 2, [][]byte{line}); !errors.Is(err, eventstore.ErrNoCheckpoint) {
		t.Errorf("SaveCosignatures(2) on a store with no checkpoint = %v, want ErrNoCheckpoint", err)
	}
	save(t, cs, checkpoint(2, 0))
	for _, size := range []uint64{0, 1, 3, 5} {
		if err := ws.SaveCosignatures(t.Context(), size, [][]byte{line}); !errors.Is(err, eventstore.ErrNoCheckpoint) {
			t.Errorf("SaveCosignatures(%d) beside checkpoint 2 = %v, want ErrNoCheckpoint", size, err)
		}
	}
	save(t, cs, checkpoint(5, 2))
	for _, size := range []uint64{2, 5} {
		if got := readCosignatures(t, ws, size); len(got) != 0 {
			t.Errorf("ReadCosignatures(%d) after refused saves = %q, want none", size, lineStrings(got))
		}
	}
}

// testCosignaturesInvalid: a batch with a line that is not one signature
// line, too many lines or none is refused whole.
func testCosignaturesInvalid(t *testing.T, cs eventstore.CheckpointStore, ws eventstore.CosignatureStore) {
	save(t, cs, checkpoint(4, 0))
	valid := cosignatureLine("w", 1)
	tooMany := make([][]byte, eventstore.MaxCosignatures+1)
	for i := range tooMany {
		tooMany[i] = cosignatureLine("w", i)
	}
	// A line one byte over the limit: "— w " (6 bytes), signature, "\n".
	long := []byte("— w " + strings.Repeat("A", eventstore.MaxCosignatureLine-6) + "\n")
	tests := []struct {
		name  string
		lines [][]byte
	}{
		{"no dash", [][]byte{valid, []byte("- w c2ln\n")}},
		{"two newlines", [][]byte{valid, []byte("— w c2ln\n\n")}},
		{"a newline inside", [][]byte{valid, []byte("— w c2ln\n— v c2ln\n")}},
		{"no newline", [][]byte{valid, []byte("— w c2ln")}},
		{"invalid UTF-8", [][]byte{valid, []byte("— w\xff c2ln\n")}},
		{"no signature", [][]byte{valid, []byte("— w\n")}},
		{"empty line", [][]byte{valid, {}}},
		{"over MaxCosignatureLine", [][]byte{valid, long}},
		{"more than MaxCosignatures", tooMany},
		{"invalid first", [][]byte{[]byte("— w c2ln"), valid}},
		{"empty batch", nil},
	}
	for _, tt := range tests {
		if err := ws.SaveCosignatures(t.Context(), 4, tt.lines); !errors.Is(err, eventstore.ErrInvalid) {
			t.Errorf("%s: SaveCosignatures = %v, want ErrInvalid", tt.name, err)
		}
	}
	if got := readCosignatures(t, ws, 4); len(got) != 0 {
		t.Errorf("refused batches stored %d lines: %q", len(got), lineStrings(got))
	}
	// Invalid lines for a checkpoint not stored: refused, either way.
	if err := ws.SaveCosignatures(t.Context(), 9, [][]byte{[]byte("x")}); err == nil {
		t.Errorf("SaveCosignatures(9) of an invalid line with no checkpoint 9 = nil, want an error")
	}
}

// testCosignaturesLargest: a batch at both limits (MaxCosignatures lines
// of MaxCosignatureLine bytes) is kept whole.
func testCosignaturesLargest(t *testing.T, cs eventstore.CheckpointStore, ws eventstore.CosignatureStore) {
	since := time.Now().Add(-time.Second)
	save(t, cs, checkpoint(1, 0))
	batch := make([][]byte, eventstore.MaxCosignatures)
	for i := range batch {
		name := fmt.Sprintf("w%02d", i)
		// "— " is 4 bytes, then the name, a space, the signature, "\n".
		sig := strings.Repeat(string(rune('A'+i)), eventstore.MaxCosignatureLine-4-len(name)-2)
		batch[i] = []byte("— " + name + " " + sig + "\n")
		if len(batch[i]) != eventstore.MaxCosignatureLine {
			t.Fatalf("made a line of %d bytes, want %d", len(batch[i]), eventstore.MaxCosignatureLine)
		}
	}
	saveCosignatures(t, ws, 1, batch...)
	checkLines(t, readCosignatures(t, ws, 1), 1, since, batch...)
}

// testConcurrentCosignatures: writers saving cosignatures at once lose
// none, and each batch stays whole and in order.
func testConcurrentCosignatures(t *testing.T, cs eventstore.CheckpointStore, ws eventstore.CosignatureStore) {
	save(t, cs, checkpoint(3, 0))
	const writers, saves = 4, 5
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("witness-%d", w)
			for n := range saves {
				batch := [][]byte{cosignatureLine(name, 2*n), cosignatureLine(name, 2*n+1)}
				if err := ws.SaveCosignatures(t.Context(), 3, batch); err != nil {
					t.Errorf("%s: SaveCosignatures: %v", name, err)
				}
			}
		}()
	}
	wg.Wait()
	got := readCosignatures(t, ws, 3)
	if len(got) != writers*saves*2 {
		t.Fatalf("read %d cosignatures after %d saves of 2 lines, want %d", len(got), writers*saves, writers*saves*2)
	}
	// Each batch's two lines are adjacent and in order, and each writer's
	// batches come in the order it saved them.
	next := map[string]int{}
	for i := 0; i < len(got); i += 2 {
		name, _, _ := strings.Cut(strings.TrimPrefix(string(got[i].Line), "— "), " ")
		n := next[name]
		if !bytes.Equal(got[i].Line, cosignatureLine(name, 2*n)) || !bytes.Equal(got[i+1].Line, cosignatureLine(name, 2*n+1)) {
			t.Fatalf("lines %d and %d are %q, %q: want batch %d of %s, whole", i, i+1, got[i].Line, got[i+1].Line, n, name)
		}
		next[name] = n + 1
	}
	for w := range writers {
		if name := fmt.Sprintf("witness-%d", w); next[name] != saves {
			t.Errorf("%s: %d batches read, want %d", name, next[name], saves)
		}
	}
}

// testCosignaturesNeverChanged: later saves, of the same checkpoint or
// another, and a caller reusing its buffers, change no saved line.
func testCosignaturesNeverChanged(t *testing.T, cs eventstore.CheckpointStore, ws eventstore.CosignatureStore) {
	save(t, cs, checkpoint(2, 0))
	buf := cosignatureLine("w", 1)
	want := bytes.Clone(buf)
	saveCosignatures(t, ws, 2, buf)
	first := readCosignatures(t, ws, 2)
	copy(buf, cosignatureLine("v", 9)) // the caller reuses its buffer
	save(t, cs, checkpoint(4, 2))
	saveCosignatures(t, ws, 2, cosignatureLine("w", 1)) // the same line again: kept twice
	saveCosignatures(t, ws, 4, cosignatureLine("w", 2))
	got := readCosignatures(t, ws, 2)
	if len(first) != 1 || len(got) != 2 {
		t.Fatalf("read %d then %d cosignatures of checkpoint 2, want 1 then 2", len(first), len(got))
	}
	if !bytes.Equal(got[0].Line, want) || !got[0].SavedAt.Equal(first[0].SavedAt) {
		t.Errorf("the first line reads %q saved at %v; it was %q saved at %v", got[0].Line, got[0].SavedAt, want, first[0].SavedAt)
	}
	if !bytes.Equal(got[1].Line, want) {
		t.Errorf("the same line saved again reads %q, want %q", got[1].Line, want)
	}
}
