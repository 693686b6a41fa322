package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
)

// importTests are the rules for stores that implement eventstore.Importer.
var importTests = []struct {
	name string
	fn   func(t *testing.T, s eventstore.Store)
}{
	{"ImportKeepsEverything", testImportKeepsEverything},
	{"ImportThenAppend", testImportThenAppend},
	{"ImportWrongSequence", testImportWrongSequence},
	{"ImportRevisionMismatch", testImportRevisionMismatch},
	{"ImportDuplicateEvent", testImportDuplicateEvent},
	{"ImportInvalid", testImportInvalid},
}

func importer(t *testing.T, s eventstore.Store) eventstore.Importer {
	t.Helper()
	imp, ok := s.(eventstore.Importer)
	if !ok {
		t.Skipf("%T does not implement eventstore.Importer", s)
	}
	return imp
}

// copied returns n records as another ledger stored them, from sequence
// from on: interleaved over three streams (whose lengths so far are in
// length, updated), with recorded times of that other store (not
// monotonic, at nanosecond precision) and every envelope field set.
func copied(tb testing.TB, from uint64, n int, length map[string]uint64) []eventstore.Record {
	tb.Helper()
	streams := []string{"incident-a", "incident-b", "ledger"}
	recs := make([]eventstore.Record, n)
	for i := range recs {
		stream := streams[(int(from)+i)%len(streams)]
		r := event(tb, stream, "Copied")
		r.Sequence = from + uint64(i)
		r.Revision = length[stream]
		length[stream]++
		r.RecordedAt = time.Date(2021, 2, 3, 4, 5, 6, 123456789, time.UTC).Add(time.Duration(r.Sequence%4) * time.Hour)
		r.Signer = "SHA256:signer"
		r.Signature = []byte{1, 2, byte(i)}
		r.Basis = r.Sequence % 3 // some with a basis, some without
		recs[i] = r
	}
	return recs
}

func testImportKeepsEverything(t *testing.T, s eventstore.Store) {
	imp := importer(t, s)
	length := map[string]uint64{}
	want := copied(t, 0, 7, length)
	want = append(want, copied(t, 7, 5, length)...)
	for _, part := range [][]eventstore.Record{want[:7], want[7:]} {
		if err := imp.Import(t.Context(), part); err != nil {
			t.Fatalf("Import(%d records from %d) error = %v", len(part), part[0].Sequence, err)
		}
	}
	if diff := cmp.Diff(want, readAll(t, s), cmpOpts...); diff != "" {
		t.Errorf("ReadAll() after Import mismatch (-imported +read):\n%s", diff)
	}
	if diff := cmp.Diff(filter(want, "incident-b"), readStream(t, s, "incident-b", eventstore.ReadOptions{}), cmpOpts...); diff != "" {
		t.Errorf("ReadStream(incident-b) after Import mismatch (-imported +read):\n%s", diff)
	}
	if got := head(t, s); got != 12 {
		t.Errorf("Head() after Import = %d, want 12", got)
	}
}

func testImportThenAppend(t *testing.T, s eventstore.Store) {
	imp := importer(t, s)
	length := map[string]uint64{}
	recs := copied(t, 0, 4, length)
	if err := imp.Import(t.Context(), recs); err != nil {
		t.Fatalf("Import() error = %v", err)
	}
	got := mustAppend(t, s, "incident-a", eventstore.After(length["incident-a"]), events(t, "incident-a", 1))
	if got[0].Sequence != 4 || got[0].Revision != length["incident-a"] {
		t.Errorf("Append() after Import: Sequence, Revision = %d, %d, want 4, %d", got[0].Sequence, got[0].Revision, length["incident-a"])
	}
	if !got[0].RecordedAt.After(recs[len(recs)-1].RecordedAt) {
		t.Errorf("Append() after Import: RecordedAt %v is not after the imported %v", got[0].RecordedAt, recs[len(recs)-1].RecordedAt)
	}
	length["incident-a"]++
	// And an import continues after the append.
	more := copied(t, 5, 2, length)
	if err := imp.Import(t.Context(), more); err != nil {
		t.Fatalf("Import() after Append error = %v", err)
	}
	if diff := cmp.Diff(more, readAll(t, s)[5:], cmpOpts...); diff != "" {
		t.Errorf("ReadAll(5) mismatch (-imported +read):\n%s", diff)
	}
}

func testImportWrongSequence(t *testing.T, s eventstore.Store) {
	imp := importer(t, s)
	if err := imp.Import(t.Context(), copied(t, 3, 2, map[string]uint64{})); !errors.Is(err, eventstore.ErrSequence) {
		t.Errorf("Import(from 3) into an empty store error = %v, want ErrSequence", err)
	}
	mustAppend(t, s, "incident-0", eventstore.NoStream, events(t, "incident-0", 2))
	before := readAll(t, s)
	for _, from := range []uint64{0, 1, 3} {
		if err := imp.Import(t.Context(), copied(t, from, 2, map[string]uint64{})); !errors.Is(err, eventstore.ErrSequence) {
			t.Errorf("Import(from %d) into a store at 2 error = %v, want ErrSequence", from, err)
		}
	}
	unchanged(t, s, before)
}

func testImportRevisionMismatch(t *testing.T, s eventstore.Store) {
	imp := importer(t, s)
	mustAppend(t, s, "incident-a", eventstore.NoStream, events(t, "incident-a", 1))
	before := readAll(t, s)
	for _, rev := range []uint64{0, 2} {
		r := event(t, "incident-a", "Copied")
		r.Sequence, r.Revision, r.RecordedAt = 1, rev, t0
		err := imp.Import(t.Context(), []eventstore.Record{r})
		checkConflict(t, err, 1)
	}
	unchanged(t, s, before)
}

func testImportDuplicateEvent(t *testing.T, s eventstore.Store) {
	imp := importer(t, s)
	old := mustAppend(t, s, "incident-a", eventstore.NoStream, events(t, "incident-a", 1))
	before := readAll(t, s)
	recs := copied(t, 1, 3, map[string]uint64{"incident-a": 1})
	recs[2].ID = old[0].ID
	if err := imp.Import(t.Context(), recs); !errors.Is(err, eventstore.ErrDuplicateEvent) {
		t.Errorf("Import() of a stored event ID error = %v, want ErrDuplicateEvent", err)
	}
	unchanged(t, s, before)
}

func testImportInvalid(t *testing.T, s eventstore.Store) {
	imp := importer(t, s)
	for _, tt := range []struct {
		name  string
		spoil func(recs []eventstore.Record)
	}{
		{"NoRecordedAt", func(recs []eventstore.Record) { recs[1].RecordedAt = time.Time{} }},
		{"SequenceGap", func(recs []eventstore.Record) { recs[2].Sequence++ }},
		{"RevisionGap", func(recs []eventstore.Record) { recs[3].Revision++ }},
		{"NoStream", func(recs []eventstore.Record) { recs[0].Stream = "" }},
		{"NoID", func(recs []eventstore.Record) { recs[1].ID = uuid.Nil }},
		{"SameIDTwice", func(recs []eventstore.Record) { recs[2].ID = recs[0].ID }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			recs := copied(t, 0, 5, map[string]uint64{})
			tt.spoil(recs)
			if err := imp.Import(t.Context(), recs); !errors.Is(err, eventstore.ErrInvalid) {
				t.Errorf("Import() error = %v, want ErrInvalid", err)
			}
			unchanged(t, s, nil)
		})
	}
}
