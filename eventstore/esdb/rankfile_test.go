package esdb_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
	"github.com/breachledger/breachledger/eventstore/storetest"
)

// rankKey is the tests' MAC key for rank files.
var rankKey = []byte("0123456789abcdef0123456789abcdef")

// openRanked opens the ledger at location keeping its ranks in file.
func openRanked(tb testing.TB, location, file string) *esdb.Store {
	tb.Helper()
	s, err := esdb.Open(context.Background(), location, esdb.Options{RankFile: file, RankKey: rankKey})
	if err != nil {
		tb.Fatalf("Open(%s, rank file %s) error = %v", location, file, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestStoreRankFile runs the contract suite with the ranks kept in a rank
// file, each rule with a file of its own, shared by every Store the rule
// opens on its server.
func TestStoreRankFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		srv := esdbtest.Start(t, esdbtest.Options{})
		return openRanked(t, srv.URL(), filepath.Join(t.TempDir(), "ranks.db"))
	}, storetest.LargestPayload(eventstore.MaxPayloadSize-envelopeRoom))
}

// TestRankFileReadsOnlyWhatIsNew: a second process (a new Store on the
// same rank file) reads from the server only the events appended since
// the file was last brought up to date, and gives every event the
// sequence a Store without a file gives it.
func TestRankFileReadsOnlyWhatIsNew(t *testing.T) {
	ctx := context.Background()
	srv := esdbtest.Start(t, esdbtest.Options{})
	file := filepath.Join(t.TempDir(), "ranks.db")
	first := openRanked(t, srv.URL(), file)
	appendN(t, first, "incident-a", 300)
	appendN(t, first, "incident-b", 3)
	first.Close()

	writer := open(t, srv.URL()) // another writer, with no file
	appendN(t, writer, "incident-b", 2)

	second := openRanked(t, srv.URL(), file)
	got, err := second.ReadStream(ctx, "incident-b", eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := esdb.Scanned(second); n != 2 {
		t.Errorf("the second process read %d ledger events from $all, want 2 (the ones appended since)", n)
	}
	fresh := open(t, srv.URL()) // ranks from a full read
	want, err := fresh.ReadStream(ctx, "incident-b", eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Sequence != want[i].Sequence || got[i].ID != want[i].ID {
			t.Errorf("record %d: got sequence %d (%s), want %d (%s)", i, got[i].Sequence, got[i].ID, want[i].Sequence, want[i].ID)
		}
	}
	head, err := second.Head(ctx)
	if err != nil || head != 305 {
		t.Errorf("Head = %d, %v; want 305", head, err)
	}
}

// TestRankFileOfAnotherDatabase: a rank file written for another database
// at the same address (a server that was wiped and filled again) is found
// out before use and rebuilt: every sequence is the new database's.
func TestRankFileOfAnotherDatabase(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "ranks.db")
	old := esdbtest.Start(t, esdbtest.Options{})
	s := openRanked(t, old.URL(), file)
	appendN(t, s, "incident-a", 5)
	s.Close()

	now := esdbtest.Start(t, esdbtest.Options{})
	recs := appendN(t, open(t, now.URL()), "incident-z", 3)
	s2 := openRanked(t, now.URL(), file)
	got, err := s2.ReadStream(ctx, "incident-z", eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if r.ID != recs[i].ID || r.Sequence != uint64(i) {
			t.Errorf("record %d: got %s at sequence %d, want %s at %d", i, r.ID, r.Sequence, recs[i].ID, i)
		}
	}
}

// TestRankFileEditedByHand: an insider who edits the rank file (swaps the
// ranks of two events, or points a row at another position) does not
// change any sequence a reader is given: rows are checked against the
// event as the server returns it, and the file is rebuilt. A full read of
// the ledger (verification) compares every row with $all.
func TestRankFileEditedByHand(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		edit string
	}{
		{"two ranks swapped", `UPDATE ranks SET seq = -1 WHERE seq = 1; UPDATE ranks SET seq = 1 WHERE seq = 2; UPDATE ranks SET seq = 2 WHERE seq = -1`},
		{"a row moved to another position", `UPDATE ranks SET commit_ = commit_ + 1, prepare = prepare + 1 WHERE seq = 2`},
		{"a row removed and the rest shifted", `DELETE FROM ranks WHERE seq = 1; UPDATE ranks SET seq = seq - 1 WHERE seq > 1`},
		{"the newest row removed", `DELETE FROM ranks WHERE seq = (SELECT max(seq) FROM ranks)`},
		{"a row removed, a gap left", `DELETE FROM ranks WHERE seq = 1`},
		{"the first row removed", `DELETE FROM ranks WHERE seq = 0`},
		{"the rows after the checkpoint swapped", `UPDATE ranks SET seq = -1 WHERE seq = 3; UPDATE ranks SET seq = 3 WHERE seq = 4; UPDATE ranks SET seq = 4 WHERE seq = -1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := esdbtest.Start(t, esdbtest.Options{})
			file := filepath.Join(t.TempDir(), "ranks.db")
			s := openRanked(t, srv.URL(), file)
			appendN(t, s, "incident-a", 2)
			appendN(t, s, "incident-b", 2)
			checkpoint(t, s, 4) // as the notary does: its anchor checks the file's count
			appendN(t, s, "incident-b", 1)
			s.Close()

			db, err := sql.Open("sqlite", file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(tt.edit); err != nil {
				t.Fatalf("edit the rank file: %v", err)
			}
			db.Close()

			want, err := open(t, srv.URL()).ReadAll(ctx, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			r := openRanked(t, srv.URL(), file)
			for _, stream := range []string{"incident-b", "incident-a"} { // b's events are the ones renumbered
				got, err := r.ReadStream(ctx, stream, eventstore.ReadOptions{})
				if err != nil {
					t.Fatalf("read %s: %v", stream, err)
				}
				for _, g := range got {
					if w := want[g.Sequence]; w.ID != g.ID {
						t.Errorf("%s: event %s given sequence %d, which is %s's", stream, g.ID, g.Sequence, w.ID)
					}
				}
			}
			all, err := openRanked(t, srv.URL(), file).ReadAll(ctx, 0, 0)
			if err != nil {
				t.Fatalf("full read: %v", err)
			}
			for i := range want {
				if all[i].ID != want[i].ID || all[i].Sequence != want[i].Sequence {
					t.Errorf("full read %d: got %s at %d, want %s at %d", i, all[i].ID, all[i].Sequence, want[i].ID, want[i].Sequence)
				}
			}
		})
	}
}

// TestRankFileTwoProcesses: two Stores on one rank file, appending in
// turn, each see the other's events at the same sequences.
func TestRankFileTwoProcesses(t *testing.T) {
	ctx := context.Background()
	srv := esdbtest.Start(t, esdbtest.Options{})
	file := filepath.Join(t.TempDir(), "ranks.db")
	a, b := openRanked(t, srv.URL(), file), openRanked(t, srv.URL(), file)
	var ids []uuid.UUID
	for i := range 20 {
		s := a
		if i%2 == 1 {
			s = b
		}
		got := appendN(t, s, "incident-x", 1)
		if got[0].Sequence != uint64(i) {
			t.Errorf("append %d: sequence %d", i, got[0].Sequence)
		}
		ids = append(ids, got[0].ID)
	}
	for _, s := range []*esdb.Store{a, b} {
		got, err := s.ReadAll(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range got {
			if r.ID != ids[i] {
				t.Errorf("sequence %d: %s, want %s", i, r.ID, ids[i])
			}
		}
	}
	_, err := a.Append(ctx, "incident-y", eventstore.Any, []eventstore.Record{{ID: ids[3], Type: "Noted", OccurredAt: t0}})
	if !errors.Is(err, eventstore.ErrDuplicateEvent) {
		t.Errorf("append with an ID the other process wrote: got %v, want ErrDuplicateEvent", err)
	}
}

// checkpoint saves a checkpoint of the first size events (its contents are
// the store's business only as opaque bytes).
func checkpoint(tb testing.TB, s eventstore.CheckpointStore, size uint64) {
	tb.Helper()
	leaves := make([][]byte, size)
	for i := range leaves {
		leaves[i] = []byte{byte(i) + 1}
	}
	cp := eventstore.Checkpoint{Size: size, Root: []byte("root"), Note: []byte("note"), Leaves: leaves}
	if _, err := s.SaveCheckpoint(context.Background(), cp); err != nil {
		tb.Fatalf("save checkpoint: %v", err)
	}
}

// TestRankFileWithoutCheckpoint: with no checkpoint to count against, a
// renumbered rank file is found out by the first full read of the ledger
// (verification reads it all), which compares every row with $all and
// rebuilds the file; reads after it are right.
func TestRankFileWithoutCheckpoint(t *testing.T) {
	ctx := context.Background()
	srv := esdbtest.Start(t, esdbtest.Options{})
	file := filepath.Join(t.TempDir(), "ranks.db")
	s := openRanked(t, srv.URL(), file)
	appendN(t, s, "incident-a", 2)
	appendN(t, s, "incident-b", 2)
	s.Close()
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM ranks WHERE seq = 1; UPDATE ranks SET seq = seq - 1 WHERE seq > 1`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	want, err := open(t, srv.URL()).ReadAll(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := openRanked(t, srv.URL(), file)
	all, err := r.ReadAll(ctx, 0, 0)
	if err != nil {
		t.Fatalf("full read: %v", err)
	}
	for i := range want {
		if all[i].ID != want[i].ID || all[i].Sequence != want[i].Sequence {
			t.Errorf("full read %d: got %s at %d, want %s at %d", i, all[i].ID, all[i].Sequence, want[i].ID, want[i].Sequence)
		}
	}
	got, err := openRanked(t, srv.URL(), file).ReadStream(ctx, "incident-b", eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range got {
		if want[g.Sequence].ID != g.ID {
			t.Errorf("after the full read: event %s given sequence %d", g.ID, g.Sequence)
		}
	}
}

// TestRankFileUnderAnotherKey: rows made under another MAC key (another
// user's file copied in, or the key replaced) are not trusted: the file is
// read again from the ledger, and every sequence is right.
func TestRankFileUnderAnotherKey(t *testing.T) {
	ctx := context.Background()
	srv := esdbtest.Start(t, esdbtest.Options{})
	file := filepath.Join(t.TempDir(), "ranks.db")
	want := appendN(t, openRanked(t, srv.URL(), file), "incident-a", 5)
	other, err := esdb.Open(ctx, srv.URL(), esdb.Options{RankFile: file, RankKey: []byte("another key, another user......")})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	got, err := other.ReadStream(ctx, "incident-a", eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Sequence != want[i].Sequence {
			t.Errorf("record %d: got %s at %d, want %s at %d", i, got[i].ID, got[i].Sequence, want[i].ID, want[i].Sequence)
		}
	}
	if n := esdb.Scanned(other); n != 5 {
		t.Errorf("read %d events from $all, want the whole ledger (5): the rows under the other key must not be used", n)
	}
}

// TestDetachRankFile: a Store that signs (DetachRankFile) numbers events
// from $all as it is now, whatever the rank file says.
func TestDetachRankFile(t *testing.T) {
	ctx := context.Background()
	srv := esdbtest.Start(t, esdbtest.Options{})
	file := filepath.Join(t.TempDir(), "ranks.db")
	appendN(t, openRanked(t, srv.URL(), file), "incident-a", 3)
	s := openRanked(t, srv.URL(), file)
	if err := s.DetachRankFile(); err != nil {
		t.Fatal(err)
	}
	head, err := s.Head(ctx)
	if err != nil || head != 3 {
		t.Fatalf("Head = %d, %v; want 3", head, err)
	}
	if n := esdb.Scanned(s); n != 3 {
		t.Errorf("read %d events from $all, want all 3: a detached Store does not use the file", n)
	}
}
