package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// TestReadStreamCostsARawSelect: reading a short stream (an incident's
// load) allocates no more than a prepared SELECT of the same rows and
// columns on the same driver and file, scanned into reused variables, plus
// a few for the call, none per record: no transaction around the read,
// no SQL parsed again, no variable escaping per row. Counted allocations,
// not time: the same on a busy machine.
func TestReadStreamCostsARawSelect(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const n = 5
	recs := make([]eventstore.Record, n)
	for i := range recs {
		recs[i] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: "breach.Assessed", OccurredAt: t0, Actor: "alice", Payload: []byte(`{"n":1}`)}
	}
	if _, err := st.Append(ctx, "incident-a", eventstore.NoStream, recs); err != nil {
		t.Fatal(err)
	}

	dsn, err := sqlite.DSN(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmt, err := db.PrepareContext(ctx, `SELECT seq, event_id, stream, revision, type, occurred_at, actor, signer, signature, payload, recorded_at, basis FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	var (
		seq, rev, occurred, recorded, basis int64
		id                                  sql.RawBytes
		stream, typ, actor, signer          string
		signature, payload                  []byte
	)
	dest := []any{&seq, &id, &stream, &rev, &typ, &occurred, &actor, &signer, &signature, &payload, &recorded, &basis}
	raw := func() {
		rows, err := stmt.QueryContext(ctx, "incident-a", 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := 0
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			got++
		}
		if err := rows.Err(); err != nil || got != n {
			t.Fatalf("raw select: %d rows, %v", got, err)
		}
	}
	ours := func() {
		got, err := st.ReadStream(ctx, "incident-a", eventstore.ReadOptions{})
		if err != nil || len(got) != n {
			t.Fatalf("ReadStream: %d records, %v", len(got), err)
		}
	}
	raw()
	ours()
	base := testing.AllocsPerRun(50, raw)
	got := testing.AllocsPerRun(50, ours)
	// The records' slice, the scanned variables and their pointers, the
	// arguments: a few per read, none per record.
	if limit := base + 8; got > limit {
		t.Errorf("ReadStream of %d records: %.0f allocations, want at most %.0f (the raw select's %.0f and 8 per read)", n, got, limit, base)
	}
	t.Logf("ReadStream %.0f allocations, raw select %.0f", got, base)
}

// TestReadKeepsOneCopyOfRepeats: the records of a read share one copy of
// a stream, type and actor repeated from row to row, so that a replay of a
// long log does not hold a million copies of a few strings.
func TestReadKeepsOneCopyOfRepeats(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ledger.db"), sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs := make([]eventstore.Record, 3)
	for i := range recs {
		recs[i] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: "breach.Assessed", OccurredAt: t0, Actor: "alice", Payload: []byte(`{}`)}
	}
	if _, err := st.Append(ctx, "incident-a", eventstore.NoStream, recs); err != nil {
		t.Fatal(err)
	}
	all, err := st.ReadAll(ctx, 0, 0)
	if err != nil || len(all) != 3 {
		t.Fatalf("ReadAll: %d records, %v", len(all), err)
	}
	for _, r := range all[1:] {
		for _, f := range []struct{ name, got, want string }{{"stream", r.Stream, all[0].Stream}, {"type", r.Type, all[0].Type}, {"actor", r.Actor, all[0].Actor}} {
			if f.got != f.want || unsafe.StringData(f.got) != unsafe.StringData(f.want) {
				t.Errorf("record %d's %s %q is another copy of record 0's %q", r.Sequence, f.name, f.got, f.want)
			}
		}
	}
}
