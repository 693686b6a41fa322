package esdb_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// refusesPosition checks the set-up of a test: the server at srv refuses a
// read of $all from pos (a position inside its log that no event had), as
// KurrentDB does since 23.10.
func refusesPosition(tb testing.TB, srv *esdbtest.Server, pos esclient.Position) {
	tb.Helper()
	rs, err := rawClient(tb, srv).ReadAll(context.Background(), esclient.ReadAllOptions{From: pos}, 1)
	if err == nil {
		_, err = rs.Recv()
		rs.Close()
	}
	if got := esdb.ClassOf(err); got != "invalid position" {
		tb.Fatalf("set-up: read $all from %d = %v (class %s), want the server's refusal of an invalid position", pos.Commit, err, got)
	}
}

// padded is an event whose payload is n bytes longer than record's.
func padded(tb testing.TB, n int) eventstore.Record {
	r := record(tb, "E")
	r.Payload = []byte(`{"pad":"` + strings.Repeat("x", n) + `"}`)
	return r
}

// TestRankFileOfAnotherDatabaseInsideItsLog: a rank file written for
// another database whose first row's position lies inside the new
// database's log but at no event (the server refuses to read from there)
// is found out and rebuilt, as one whose rows name other events is.
func TestRankFileOfAnotherDatabaseInsideItsLog(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "ranks.db")
	old := esdbtest.Start(t, esdbtest.Options{})
	s := openRanked(t, old.URL(), file)
	appendN(t, s, "incident-a", 2)
	evs, err := s.ReadEvents(ctx, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	now := esdbtest.Start(t, esdbtest.Options{})
	w := open(t, now.URL())
	// One event bigger than the old database's first: its position is past
	// the old first row's, which is then inside the log at no event.
	recs, err := w.Append(ctx, "incident-z", eventstore.Any, []eventstore.Record{padded(t, 4096)})
	if err != nil {
		t.Fatal(err)
	}
	recs = append(recs, appendN(t, w, "incident-z", 2)...)
	refusesPosition(t, now, evs[0].Position)

	s2 := openRanked(t, now.URL(), file)
	got, err := s2.ReadStream(ctx, "incident-z", eventstore.ReadOptions{})
	if err != nil {
		t.Fatalf("ReadStream() with the other database's rank file: %v", err)
	}
	if len(got) != len(recs) {
		t.Fatalf("ReadStream() = %d records, want %d", len(got), len(recs))
	}
	for i, r := range got {
		if r.ID != recs[i].ID || r.Sequence != uint64(i) {
			t.Errorf("record %d: got %s at sequence %d, want %s at %d", i, r.ID, r.Sequence, recs[i].ID, i)
		}
	}
}

// TestRankFileRowAtNoEvent: a row of the rank file moved to a position
// inside $all at no event, and signed again (as by someone who holds the
// rank key), between the rows prepareIndex checks (the first and the
// newest), is found out when a read of the ledger starts from it (the
// server refuses the position): the file is rebuilt and the answer is the
// ledger's, not an error.
func TestRankFileRowAtNoEvent(t *testing.T) {
	ctx := context.Background()
	srv := esdbtest.Start(t, esdbtest.Options{})
	file := filepath.Join(t.TempDir(), "ranks.db")
	s := openRanked(t, srv.URL(), file)
	want := appendN(t, s, "incident-a", 4)
	evs, err := s.ReadEvents(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	moved := evs[1].Position
	moved.Commit++
	moved.Prepare++
	refusesPosition(t, srv, moved)
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	var (
		id     []byte
		stream string
		rev    uint64
	)
	if err := db.QueryRow(`SELECT id, stream, rev FROM ranks WHERE seq = 1`).Scan(&id, &stream, &rev); err != nil {
		t.Fatalf("read the rank file: %v", err)
	}
	mac := esdb.RankRowMAC(esdb.DefaultPrefix, rankKey, 1, moved, uuid.UUID(id), stream, rev)
	if _, err := db.Exec(`UPDATE ranks SET commit_ = ?, prepare = ?, mac = ? WHERE seq = 1`, moved.Commit, moved.Prepare, mac); err != nil {
		t.Fatalf("edit the rank file: %v", err)
	}
	db.Close()

	got, err := openRanked(t, srv.URL(), file).ReadAll(ctx, 2, 0) // a read of $all from row 1's position
	if err != nil {
		t.Fatalf("ReadAll(2) with a row at no event: %v", err)
	}
	if len(got) != 2 || got[0].ID != want[2].ID || got[1].ID != want[3].ID || got[0].Sequence != 2 {
		t.Errorf("ReadAll(2) = %v, want %s, %s from sequence 2", got, want[2].ID, want[3].ID)
	}
}
