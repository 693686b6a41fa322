package esdb_test

import (
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// TestImportUnderTheCapOfNewServers: Import splits its appends so that a
// 24.10.4 server, which counts an event's type at two bytes a UTF-16 code
// unit beside its data and metadata, accepts every one: records whose
// types are long count about twice what their bytes do, and 400 of them
// are over 1 MiB as the server counts, under it in bytes.
func TestImportUnderTheCapOfNewServers(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{Version: "24.10.4"})
	s := open(t, srv.URL())
	typ := "Reported" + strings.Repeat("X", 2000)
	var recs []eventstore.Record
	for i := range 400 {
		r := record(t, typ)
		r.Stream, r.Sequence, r.Revision = "incident-1", uint64(i), uint64(i)
		r.RecordedAt = time.Date(2020, 1, 1, 0, 0, i, 0, time.UTC)
		recs = append(recs, r)
	}
	if err := s.Import(t.Context(), recs); err != nil {
		t.Fatalf("Import() of 400 events with 2008-character types = %v, want them split into appends the server accepts", err)
	}
	got, err := open(t, srv.URL()).ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("ReadAll() after Import = %d records, want %d", len(got), len(recs))
	}
	for i, r := range got {
		if r.ID != recs[i].ID || r.Sequence != uint64(i) {
			t.Errorf("record %d: got %s at sequence %d, want %s at %d", i, r.ID, r.Sequence, recs[i].ID, i)
		}
	}
}
