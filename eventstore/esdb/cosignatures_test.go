package esdb_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
	"github.com/breachledger/breachledger/eventstore/storetest"
)

// TestCosignatureContract runs the CosignatureStore contract suite against
// the protocol test server.
func TestCosignatureContract(t *testing.T) {
	storetest.RunCosignatures(t, func(t *testing.T) eventstore.Store {
		return open(t, esdbtest.Start(t, esdbtest.Options{}).URL())
	})
}

func TestCosignatureContractRealServer(t *testing.T) {
	url := realServer(t)
	storetest.RunCosignatures(t, func(t *testing.T) eventstore.Store {
		return open(t, withQuery(url, "prefix=bltest-"+uuid.NewString()+"/"))
	})
}

func cosignatureLine(name string) []byte { return []byte("— " + name + " c2lnbmF0dXJl\n") }

// saveCheckpoint saves a made-up checkpoint of size whose leaves start at
// from.
func saveCheckpoint(t *testing.T, s *esdb.Store, size, from uint64) {
	t.Helper()
	cp := eventstore.Checkpoint{Size: size, Root: []byte{byte(size)}, Note: []byte("note"), Leaves: leaves(from, size, 4)}
	if _, err := s.SaveCheckpoint(t.Context(), cp); err != nil {
		t.Fatal(err)
	}
}

// TestCosignaturesStream: cosignatures live in a stream of their own
// outside the ledger's prefix (they take no sequences, and Audit finds
// nothing in them), one CosignaturesSaved event per save, whose data is
// the size, the lines in base64 and the saving client's time, to the
// microsecond.
func TestCosignaturesStream(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	clock := time.Date(2025, 3, 7, 21, 45, 0, 123456789, time.UTC)
	srv.Memory().SetClock(func() time.Time { return clock }) // the server's "created" too, for Audit
	s, err := esdb.Open(t.Context(), srv.URL(), esdb.Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	appendN(t, s, "incident-1", 3)
	saveCheckpoint(t, s, 3, 0)
	a, b := cosignatureLine("witness-a"), cosignatureLine("witness-b")
	if err := s.SaveCosignatures(t.Context(), 3, [][]byte{a, b}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadCosignatures(t.Context(), 3)
	if err != nil {
		t.Fatal(err)
	}
	saved := time.Date(2025, 3, 7, 21, 45, 0, 123456000, time.UTC)
	want := []eventstore.Cosignature{{Size: 3, Line: a, SavedAt: saved}, {Size: 3, Line: b, SavedAt: saved}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadCosignatures(3) (-want +got):\n%s", diff)
	}

	const stream = "breachledger-cosignatures:breachledger/"
	var evs []esdbtest.Event
	for _, e := range srv.Memory().Events() {
		switch {
		case e.Stream == stream:
			evs = append(evs, e)
		case e.Stream != "breachledger/incident-1" && !strings.HasPrefix(e.Stream, esdb.CheckpointStreamPrefix):
			t.Errorf("unexpected stream %s", e.Stream)
		}
	}
	if len(evs) != 1 || evs[0].Type != "CosignaturesSaved" {
		t.Fatalf("the cosignature stream holds %+v, want one CosignaturesSaved event", evs)
	}
	var data map[string]any
	if err := json.Unmarshal(evs[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	wantData := map[string]any{
		"size":     3.0,
		"lines":    []any{"4oCUIHdpdG5lc3MtYSBjMmxuYm1GMGRYSmwK", "4oCUIHdpdG5lc3MtYiBjMmxuYm1GMGRYSmwK"}, // base64 of the lines
		"saved_at": "2025-03-07T21:45:00.123456Z",
	}
	if diff := cmp.Diff(wantData, data); diff != "" {
		t.Errorf("the event's data (-want +got):\n%s", diff)
	}
	if n, err := s.Head(t.Context()); err != nil || n != 3 {
		t.Errorf("Head() = %d, %v; want 3: cosignatures take no sequences", n, err)
	}
	if findings, err := s.Audit(t.Context(), eventstore.AuditOptions{}); err != nil || len(findings) != 0 {
		t.Errorf("Audit() = %+v, %v; want no findings", findings, err)
	}
}

// TestCosignaturesSharedDatabase: two ledgers in one database keep their
// cosignatures apart, and one cannot cosign the other's checkpoint.
func TestCosignaturesSharedDatabase(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	la, lb := open(t, srv.URL("prefix=ledger-a/")), open(t, srv.URL("prefix=ledger-b/"))
	saveCheckpoint(t, la, 2, 0)
	if err := la.SaveCosignatures(t.Context(), 2, [][]byte{cosignatureLine("w")}); err != nil {
		t.Fatal(err)
	}
	if err := lb.SaveCosignatures(t.Context(), 2, [][]byte{cosignatureLine("w")}); !errors.Is(err, eventstore.ErrNoCheckpoint) {
		t.Errorf("ledger b's SaveCosignatures(2), a checkpoint of ledger a only = %v, want ErrNoCheckpoint", err)
	}
	saveCheckpoint(t, lb, 2, 0)
	if got, err := lb.ReadCosignatures(t.Context(), 2); err != nil || len(got) != 0 {
		t.Errorf("ledger b's ReadCosignatures(2) = %+v, %v; want none (ledger a's are apart)", got, err)
	}
	if got, err := la.ReadCosignatures(t.Context(), 2); err != nil || len(got) != 1 {
		t.Errorf("ledger a's ReadCosignatures(2) = %+v, %v; want its one", got, err)
	}
}

// TestCosignaturesStreamOddities: a read takes an event the server
// stored twice (the same ID) once, skips events of other types, and
// refuses a malformed CosignaturesSaved naming it.
func TestCosignaturesStreamOddities(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	s := open(t, srv.URL())
	saveCheckpoint(t, s, 1, 0)
	if err := s.SaveCosignatures(t.Context(), 1, [][]byte{cosignatureLine("w")}); err != nil {
		t.Fatal(err)
	}
	const stream = esdb.CosignatureStreamPrefix + "breachledger/"
	var first esdbtest.Event
	for _, e := range srv.Memory().Events() {
		if e.Stream == stream {
			first = e
		}
	}
	c := rawClient(t, srv)
	// The same event again, at the next revision: the test server takes
	// it as new (as a real server's idempotency check may, past its cache).
	again := esclient.EventData{EventID: first.ID, EventType: first.Type, ContentType: esclient.ContentTypeJson, Data: first.Data}
	if _, err := c.AppendToStream(t.Context(), stream, esclient.AppendToStreamOptions{ExpectedRevision: esclient.Revision(0)}, again); err != nil {
		t.Fatal(err)
	}
	rawAppend(t, c, stream, esclient.EventData{EventID: uuid.New(), EventType: "SomethingElse", ContentType: esclient.ContentTypeJson, Data: []byte(`{}`)})
	n := 0
	for _, e := range srv.Memory().Events() {
		if e.Stream == stream {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("the cosignature stream holds %d events, want 3 (the test needs the duplicate stored)", n)
	}
	got, err := s.ReadCosignatures(t.Context(), 1)
	if err != nil || len(got) != 1 || !bytes.Equal(got[0].Line, cosignatureLine("w")) {
		t.Errorf("ReadCosignatures(1) = %+v, %v; want the one line once", got, err)
	}

	bad := uuid.New()
	rawAppend(t, c, stream, esclient.EventData{EventID: bad, EventType: "CosignaturesSaved", ContentType: esclient.ContentTypeJson, Data: []byte(`{"size":1}`)})
	if _, err := s.ReadCosignatures(t.Context(), 1); err == nil || !strings.Contains(err.Error(), bad.String()) {
		t.Errorf("ReadCosignatures(1) over a malformed event = %v, want an error naming event %s", err, bad)
	}
}

// TestCosignaturesAfterDroppedConnections: a save made just after the
// server dropped every connection is retried on a new one, and stored
// once.
func TestCosignaturesAfterDroppedConnections(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	s := open(t, srv.URL())
	saveCheckpoint(t, s, 1, 0)
	srv.DropConnections()
	if err := s.SaveCosignatures(t.Context(), 1, [][]byte{cosignatureLine("w")}); err != nil {
		t.Fatalf("SaveCosignatures after dropped connections: %v", err)
	}
	if got, err := s.ReadCosignatures(t.Context(), 1); err != nil || len(got) != 1 {
		t.Errorf("ReadCosignatures(1) = %+v, %v; want the one line", got, err)
	}
}
