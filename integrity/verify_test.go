package integrity_test

import (
	"context"
	"iter"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
)

// memLog is a log of n records with a checkpoint after each size in cuts,
// as a writer would have stored them.
func memLog(tb testing.TB, k *integrity.LedgerKey, n int, cuts ...uint64) ([]eventstore.Record, []eventstore.Checkpoint) {
	tb.Helper()
	var recs []eventstore.Record
	for i := 0; i < n; i++ {
		recs = append(recs, record(tb, uint64(i)))
	}
	return memLogOf(tb, k, recs, cuts...)
}

// memLogOf signs checkpoints over the given records after each size in cuts.
func memLogOf(tb testing.TB, k *integrity.LedgerKey, recs []eventstore.Record, cuts ...uint64) ([]eventstore.Record, []eventstore.Checkpoint) {
	tb.Helper()
	tree := integrity.NewTree()
	var cps []eventstore.Checkpoint
	var leaves [][]byte
	from := uint64(0)
	for _, r := range recs {
		leaf := integrity.LeafOf(r).Marshal()
		leaves = append(leaves, leaf)
		tree.Append(integrity.HashLeaf(leaf))
		if slices.Contains(cuts, tree.Size()) {
			cp, err := k.Sign(tree.Size(), tree.Root())
			if err != nil {
				tb.Fatal(err)
			}
			cps = append(cps, eventstore.Checkpoint{Size: cp.Size, Root: cp.Root, Note: cp.Note, Range: tree.Range(), LeavesFrom: from, Leaves: leaves[from:]})
			from = tree.Size()
		}
	}
	return recs, cps
}

func seq2[T any](xs []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, x := range xs {
			if !yield(x, nil) {
				return
			}
		}
	}
}

func TestVerifyEngine(t *testing.T) {
	k := newKey(t, "breachledger/test/1")
	other := newKey(t, "breachledger/test/1")
	cuts := []uint64{3, 4, 8, 10}
	tests := []struct {
		name    string
		change  func(recs []eventstore.Record, cps []eventstore.Checkpoint) ([]eventstore.Record, []eventstore.Checkpoint)
		against func(recs []eventstore.Record) []integrity.Checkpoint
		first   string // start of the first problem; "" for intact
	}{
		{name: "intact", change: nil},
		{name: "a payload", change: func(r []eventstore.Record, c []eventstore.Checkpoint) ([]eventstore.Record, []eventstore.Checkpoint) {
			r[5].Payload = []byte(`{"text":"changed"}`)
			return r, c
		}, first: "seq 5, event " + record(t, 5).ID.String() + ": changed: payload changed"},
		{name: "a removed event, the later ones moved down", change: func(r []eventstore.Record, c []eventstore.Checkpoint) ([]eventstore.Record, []eventstore.Checkpoint) {
			r = append(r[:5:5], r[6:]...)
			for i := 5; i < len(r); i++ {
				r[i].Sequence--
			}
			return r, c
		}, first: "seq 5, event " + record(t, 6).ID.String() + ": missing: event " + record(t, 5).ID.String() + " (NoteAdded by oscar, revision 5 of incident-X), signed at this sequence, is gone from the log (removed); the event here, " + record(t, 6).ID.String() + ", was signed at sequence 6: it moved down 1 place(s); event ID is"},
		{name: "two events swapped", change: func(r []eventstore.Record, c []eventstore.Checkpoint) ([]eventstore.Record, []eventstore.Checkpoint) {
			r[5], r[6] = r[6], r[5]
			r[5].Sequence, r[6].Sequence = 5, 6
			return r, c
		}, first: "seq 5, event " + record(t, 6).ID.String() + ": changed: event " + record(t, 5).ID.String() + ", signed at this sequence, is at sequence 6 in the log; the event here, " + record(t, 6).ID.String() + ", was signed at sequence 6: it moved down 1 place(s)"},
		{name: "a stored compact range", change: func(r []eventstore.Record, c []eventstore.Checkpoint) ([]eventstore.Record, []eventstore.Checkpoint) {
			c[1].Range[0] = make([]byte, 32)
			return r, c
		}, first: "seq 3: checkpoint: checkpoint 4: the stored compact range"},
		{name: "a checkpoint signed with another key", change: func(r []eventstore.Record, c []eventstore.Checkpoint) ([]eventstore.Record, []eventstore.Checkpoint) {
			cp, _ := other.Sign(c[2].Size, c[2].Root)
			c[2].Note = cp.Note
			return r, c
		}, first: "seq 7: checkpoint: checkpoint 8: checkpoint is not signed by the ledger key"},
		{name: "a removed checkpoint row", change: func(r []eventstore.Record, c []eventstore.Checkpoint) ([]eventstore.Record, []eventstore.Checkpoint) {
			return r, append(c[:1:1], c[2:]...)
		}, first: "seq 3: checkpoint: checkpoint 8 keeps leaf copies from sequence 4"},
		{name: "events after the newest checkpoint", change: func(r []eventstore.Record, c []eventstore.Checkpoint) ([]eventstore.Record, []eventstore.Checkpoint) {
			return append(r, record(t, 10), record(t, 11)), c
		}, first: "seq 10, event " + record(t, 10).ID.String() + ": uncovered: 2 event(s)"},
		{name: "a removed event, a gap left", change: func(r []eventstore.Record, c []eventstore.Checkpoint) ([]eventstore.Record, []eventstore.Checkpoint) {
			return append(r[:5:5], r[6:]...), c
		}, first: "seq 5, event " + record(t, 5).ID.String() + ": missing: event " + record(t, 5).ID.String() + " (NoteAdded by oscar"},
		{name: "the tail removed", change: func(r []eventstore.Record, c []eventstore.Checkpoint) ([]eventstore.Record, []eventstore.Checkpoint) {
			return r[:6], c
		}, first: "seq 6, event " + record(t, 6).ID.String() + ": missing: the log ends at sequence 5"},
		{name: "an event and its leaf copy changed together", change: func(r []eventstore.Record, c []eventstore.Checkpoint) ([]eventstore.Record, []eventstore.Checkpoint) {
			r[5].Payload = []byte(`{"text":"changed"}`)
			c[2].Leaves[5-c[2].LeavesFrom] = integrity.LeafOf(r[5]).Marshal()
			return r, c
		}, first: "seq 4, event " + record(t, 4).ID.String() + ": changed: the events at sequences 4 to 7 do not give the root checkpoint 8 signed"},
		{name: "a payload after a checkpoint signed with another key", change: func(r []eventstore.Record, c []eventstore.Checkpoint) ([]eventstore.Record, []eventstore.Checkpoint) {
			cp, _ := other.Sign(c[1].Size, c[1].Root)
			c[1].Note = cp.Note
			r[6].Payload = []byte(`{"text":"changed"}`)
			return r, c
		}, first: "seq 3: checkpoint: checkpoint 4: checkpoint is not signed by the ledger key"},
		{name: "against a kept checkpoint of another history", against: func(r []eventstore.Record) []integrity.Checkpoint {
			l := &integrity.Leaves{}
			for _, x := range r[:6] {
				x.Actor = "mallory"
				l.Append(integrity.LeafOf(x).Hash())
			}
			root, _ := l.Root(6)
			cp, _ := k.Sign(6, root)
			return []integrity.Checkpoint{cp}
		}, first: "seq 5: against: the first 6 events do not give the root of the kept checkpoint"},
		{name: "against a kept checkpoint beyond the end", against: func(r []eventstore.Record) []integrity.Checkpoint {
			cp, _ := k.Sign(12, make([]byte, 32))
			return []integrity.Checkpoint{cp}
		}, first: "seq 10: against: the log has 10 events, but the kept checkpoint covers 12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, cps := memLog(t, k, 10, cuts...)
			if tt.change != nil {
				recs, cps = tt.change(recs, cps)
			}
			var against []integrity.Checkpoint
			if tt.against != nil {
				against = tt.against(recs)
			}
			rep, err := integrity.Verify(context.Background(), seq2(recs), seq2(cps), integrity.Options{Key: k.Public(), Against: against})
			if err != nil {
				t.Fatal(err)
			}
			// The same report when the copies are read only where they
			// can tell something; none read of an intact log.
			lazy, reads := verifyLazily(t, recs, cps, integrity.Options{Key: k.Public(), Against: against})
			if !reflect.DeepEqual(lazy, rep) {
				t.Errorf("with the leaf copies read on demand:\n%+v\nwith them all:\n%+v", lazy, rep)
			}
			if tt.first == "" && reads != 0 {
				t.Errorf("an intact log: %d reads of leaf copies, want none", reads)
			}
			switch {
			case tt.first == "" && !rep.OK():
				t.Errorf("problems in an intact log: %v", rep.Problems)
			case tt.first != "" && (rep.OK() || !strings.HasPrefix(rep.First().String(), tt.first)):
				t.Errorf("first problem = %v\nwant it to start %q\nall: %v", rep.First(), tt.first, rep.Problems)
			}
			if tt.first == "" && (rep.Events != 10 || rep.Checkpoints != 4 || rep.Covered != 10) {
				t.Errorf("report = %+v", rep)
			}
		})
	}
}

// Recorded times never decrease on a store that stamps under the append's
// lock; on one whose writers stamp before the append (EventStoreDB) they
// may fall behind by at most the store's slack.
func TestVerifyStampSlack(t *testing.T) {
	k := newKey(t, "breachledger/test/1")
	tests := []struct {
		name  string
		back  time.Duration // how far record 6 is stamped before record 5
		slack time.Duration
		want  string // start of the first problem; "" for intact
	}{
		{name: "in order", back: 0, slack: 0},
		{name: "a step back without slack", back: 2 * time.Second, slack: 0, want: "seq 6, event " + record(t, 6).ID.String() + ": order: recorded time"},
		{name: "a step back within the slack", back: 2 * time.Second, slack: 5 * time.Minute},
		{name: "a step back beyond the slack", back: 10 * time.Minute, slack: 5 * time.Minute, want: "seq 6, event " + record(t, 6).ID.String() + ": order: recorded time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var recs []eventstore.Record
			for i := 0; i < 10; i++ {
				recs = append(recs, record(t, uint64(i)))
			}
			if tt.back > 0 {
				recs[6].RecordedAt = recs[5].RecordedAt.Add(-tt.back)
			}
			recs, cps := memLogOf(t, k, recs, 10)
			rep, err := integrity.Verify(context.Background(), seq2(recs), seq2(cps), integrity.Options{Key: k.Public(), StampSlack: tt.slack})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if p := rep.First(); p != nil {
				got = p.String()
			}
			if !strings.HasPrefix(got, tt.want) || (tt.want == "") != (got == "") {
				t.Errorf("first problem = %q, want it to start with %q", got, tt.want)
			}
		})
	}
}

// verifyLazily verifies recs against cps with their leaf copies left out
// and read on demand (Options.LeafCopies), and returns the report and how
// many times copies were read.
func verifyLazily(t *testing.T, recs []eventstore.Record, cps []eventstore.Checkpoint, opts integrity.Options) (*integrity.Report, int) {
	t.Helper()
	copies := map[uint64][]byte{}
	heads := make([]eventstore.Checkpoint, len(cps))
	for i, cp := range cps {
		for j, l := range cp.Leaves {
			copies[cp.LeavesFrom+uint64(j)] = l
		}
		cp.Leaves = nil
		heads[i] = cp
	}
	reads := 0
	opts.LeafCopies = func(from, to uint64) ([][]byte, error) {
		reads++
		out := make([][]byte, to-from)
		for seq := from; seq < to; seq++ {
			out[seq-from] = copies[seq]
		}
		return out, nil
	}
	rep, err := integrity.Verify(context.Background(), seq2(recs), seq2(heads), opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep, reads
}

// A leaf copy altered beside intact events: read with the rest, it is
// reported; read on demand, it is not read (the events give the root their
// checkpoint signed: the copy would change nothing said of the log), and
// the log verifies.
func TestVerifyAlteredCopyOfIntactEvent(t *testing.T) {
	k := newKey(t, "breachledger/test/1")
	recs, cps := memLog(t, k, 10, 3, 4, 8, 10)
	other := recs[5]
	other.Actor = "mallory"
	cps[2].Leaves[5-cps[2].LeavesFrom] = integrity.LeafOf(other).Marshal()
	opts := integrity.Options{Key: k.Public()}
	rep, err := integrity.Verify(context.Background(), seq2(recs), seq2(cps), opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := "seq 5, event " + recs[5].ID.String() + ": leaf copy: the event matches its checkpoint, but the leaf copy kept with it was altered"; rep.OK() || !strings.HasPrefix(rep.First().String(), want) {
		t.Errorf("all copies read: first problem %v, want it to start %q", rep.First(), want)
	}
	lazy, reads := verifyLazily(t, recs, cps, opts)
	if !lazy.OK() || reads != 0 || lazy.Events != 10 || lazy.Covered != 10 {
		t.Errorf("copies read on demand: %d reads, report %+v; want none and intact", reads, lazy)
	}
}
