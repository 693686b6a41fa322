package sqlite_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore"
)

// rowCounts are append sizes either side of the 16 rows one INSERT
// statement of an append takes (append.go's maxInsertRows).
var rowCounts = []int{1, 5, 15, 16, 17, 32, 33, 40}

// records returns n records of types "T0", "T1", ... with distinct
// payloads.
func records(tb testing.TB, n int) []eventstore.Record {
	recs := make([]eventstore.Record, n)
	for i := range recs {
		recs[i] = record(tb, fmt.Sprintf("T%d", i))
		recs[i].Payload = []byte(fmt.Sprintf(`{"i":%d}`, i))
	}
	return recs
}

// TestAppendManyRows appends batches that take one, two and three INSERT
// statements and reads every row back where the append said it put it:
// sequences gap-free across appends, revisions from 0, nothing lost or
// reordered at a statement's edge.
func TestAppendManyRows(t *testing.T) {
	s := openFile(t, filepath.Join(t.TempDir(), "ledger.db"))
	var next uint64
	for _, n := range rowCounts {
		stream := fmt.Sprintf("incident-%d", n)
		sent := records(t, n)
		got := mustAppend(t, s, stream, eventstore.NoStream, sent...)
		if len(got) != n {
			t.Fatalf("Append of %d records returned %d", n, len(got))
		}
		for i, r := range got {
			if r.ID != sent[i].ID || r.Sequence != next+uint64(i) || r.Revision != uint64(i) || r.Stream != stream {
				t.Errorf("append of %d: record %d is %s at sequence %d, %s revision %d; want %s at %d, %s revision %d",
					n, i, r.ID, r.Sequence, r.Stream, r.Revision, sent[i].ID, next+uint64(i), stream, i)
			}
		}
		read, err := s.ReadStream(t.Context(), stream, eventstore.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, read); diff != "" {
			t.Errorf("append of %d: read back differs from what Append returned (-returned +read):\n%s", n, diff)
		}
		next += uint64(n)
	}
	head, err := s.Head(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if head != next {
		t.Errorf("Head() = %d, want %d", head, next)
	}
}

// TestAppendManyRowsFailsWhole: a batch whose third INSERT statement
// fails (an event ID stored before, or a row SQLite refuses) stores
// nothing, names the duplicate, and leaves no gap in the sequence.
func TestAppendManyRowsFailsWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openFile(t, path)
	stored := mustAppend(t, s, "incident-1", eventstore.NoStream, record(t, "A"))
	db := openRaw(t, path)
	if _, err := db.Exec(`CREATE TRIGGER inject BEFORE INSERT ON events WHEN NEW.type = 'Poison'
		BEGIN SELECT RAISE(ABORT, 'injected failure'); END`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec(`DROP TRIGGER inject`) })
	before := dump(t, s)

	const late = 35 // in the third statement of 40 rows
	for _, tt := range []struct {
		name string
		set  func(r *eventstore.Record)
		want func(err error) bool
	}{
		{"DuplicateID", func(r *eventstore.Record) { r.ID = stored[0].ID }, func(err error) bool {
			return errors.Is(err, eventstore.ErrDuplicateEvent) && strings.Contains(err.Error(), stored[0].ID.String())
		}},
		{"Refused", func(r *eventstore.Record) { r.Type = "Poison" }, func(err error) bool {
			return strings.Contains(err.Error(), "injected failure")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			batch := records(t, 40)
			tt.set(&batch[late])
			_, err := s.Append(t.Context(), "incident-2", eventstore.NoStream, batch)
			if err == nil || !tt.want(err) {
				t.Errorf("Append() error = %v, want the %s of record %d", err, tt.name, late)
			}
			if diff := cmp.Diff(before, dump(t, s)); diff != "" {
				t.Errorf("ledger changed (-before +after):\n%s", diff)
			}
		})
	}
	got := mustAppend(t, s, "incident-2", eventstore.NoStream, records(t, 40)...)
	if got[0].Sequence != 1 || got[39].Sequence != 40 {
		t.Errorf("sequences after failed appends = %d..%d, want 1..40 (no gap)", got[0].Sequence, got[39].Sequence)
	}
}
