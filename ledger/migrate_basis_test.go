package ledger_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/ledger"
)

// basisSource returns an in-memory ledger of five records, four of them
// with a basis (the ledger revision their writer decided on, plus one).
func basisSource(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), sqlite.Memory, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	at := time.Date(2025, 3, 7, 22, 15, 0, 0, time.UTC)
	rec := func(typ string, basis uint64) eventstore.Record {
		return eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: typ, OccurredAt: at, Actor: "alice", Payload: []byte(`{}`), Basis: basis}
	}
	appends := []struct {
		stream   string
		expected eventstore.Expected
		recs     []eventstore.Record
	}{
		{"ledger", eventstore.NoStream, []eventstore.Record{rec("LedgerInitialized", 0), rec("SignerRegistered", 1)}},
		{"incident-A", eventstore.NoStream, []eventstore.Record{rec("IncidentDetected", 2)}},
		{"ledger", eventstore.Exact(1), []eventstore.Record{rec("RoleGranted", 2)}},
		{"incident-A", eventstore.Exact(0), []eventstore.Record{rec("NoteAdded", 3)}},
	}
	for _, a := range appends {
		if _, err := s.Append(t.Context(), a.stream, a.expected, a.recs); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func readAllRecords(t *testing.T, s eventstore.Store) []eventstore.Record {
	t.Helper()
	recs, err := s.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestMigrateKeepsBasis: SQLite to EventStoreDB and back to SQLite, every
// record keeps its basis as it is, and both hops end with the source's
// history digest.
func TestMigrateKeepsBasis(t *testing.T) {
	src := basisSource(t)
	want := readAllRecords(t, src)
	if got := []uint64{want[0].Basis, want[1].Basis, want[2].Basis, want[3].Basis, want[4].Basis}; !cmp.Equal(got, []uint64{0, 1, 2, 2, 3}) {
		t.Fatalf("source bases = %v", got)
	}

	srv := esdbtest.Start(t, esdbtest.Options{})
	mid, err := esdb.Open(t.Context(), srv.URL(), esdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer mid.Close()
	rep1, err := ledger.Migrate(t.Context(), src, mid, ledger.MigrateOptions{Batch: 2})
	if err != nil {
		t.Fatalf("migrate to EventStoreDB: %v", err)
	}
	dst, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "copy.db"), sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	rep2, err := ledger.Migrate(t.Context(), mid, dst, ledger.MigrateOptions{Batch: 2})
	if err != nil {
		t.Fatalf("migrate back to SQLite: %v", err)
	}
	if rep1.Digest != rep2.Digest {
		t.Errorf("history digests differ: %x, %x", rep1.Digest, rep2.Digest)
	}
	for name, s := range map[string]eventstore.Store{"EventStoreDB": mid, "SQLite": dst} {
		if diff := cmp.Diff(want, readAllRecords(t, s), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s copy (-source +copy):\n%s", name, diff)
		}
	}
}

// TestMigrateRefusesOtherBasis: a target that holds the source's records
// but one with another basis is not taken for the source's copy, and the
// history digest tells the two apart.
func TestMigrateRefusesOtherBasis(t *testing.T) {
	src := basisSource(t)
	recs := readAllRecords(t, src)
	dst, err := sqlite.Open(t.Context(), sqlite.Memory, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	forged := append([]eventstore.Record(nil), recs[:3]...)
	forged[2].Basis = 1 // decided before the RoleGranted it followed
	if err := dst.Import(t.Context(), forged); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := ledger.HistoryDigest(ctx, src, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ledger.HistoryDigest(ctx, dst, 3)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("the history digest is the same for two ledgers whose event 2 has basis %d and %d", recs[2].Basis, forged[2].Basis)
	}
	if _, err := ledger.Migrate(t.Context(), src, dst, ledger.MigrateOptions{}); !errors.Is(err, ledger.ErrMigrateMismatch) {
		t.Errorf("Migrate onto a target with another basis = %v, want ErrMigrateMismatch", err)
	}
	if n, _ := dst.Head(ctx); n != 3 {
		t.Errorf("the target holds %d records after the refusal, want 3 (untouched)", n)
	}
}
