package esdb_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
	"github.com/breachledger/breachledger/eventstore/storetest"
)

// RealServerEnv names an EventStoreDB/KurrentDB server for the tests that
// run against a real one, e.g. esdb://localhost:2113?tls=false.
const RealServerEnv = "BREACHLEDGER_ESDB_URL"

// envelopeRoom is what the tests allow an event's envelope and type
// beside its payload under the server's 1 MiB append cap.
const envelopeRoom = 4 << 10

var t0 = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)

// TestStore runs the contract suite against the protocol test server, one
// server per rule.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		srv := esdbtest.Start(t, esdbtest.Options{})
		return open(t, srv.URL())
	}, storetest.LargestPayload(eventstore.MaxPayloadSize-envelopeRoom))
}

// TestStoreSharedPrefixes runs the suite with two ledgers in one database:
// the other ledger's events (and stream names that merely start alike)
// must not count in this one's sequences.
func TestStoreSharedPrefixes(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		srv := esdbtest.Start(t, esdbtest.Options{})
		other := open(t, srv.URL("prefix=ledger-b/"))
		noise(t, other)
		s := open(t, srv.URL("prefix=ledger-a/"))
		go noiseWhile(t, other)
		return s
	}, storetest.LargestPayload(eventstore.MaxPayloadSize-envelopeRoom))
}

// noise appends a few events to another ledger in the same database.
func noise(tb testing.TB, s eventstore.Store) {
	tb.Helper()
	for i := range 3 {
		r := eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: "Noise", OccurredAt: t0, Payload: []byte(`{}`)}
		if _, err := s.Append(context.Background(), "incident-a", eventstore.Any, []eventstore.Record{r}); err != nil {
			tb.Fatalf("noise %d: %v", i, err)
		}
	}
}

// noiseWhile keeps appending to another ledger until the test ends.
func noiseWhile(tb testing.TB, s eventstore.Store) {
	ctx := context.Background()
	for i := 0; ; i++ {
		r := eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: "Noise", OccurredAt: t0}
		if _, err := s.Append(ctx, "incident-a", eventstore.Any, []eventstore.Record{r}); err != nil {
			return // the store was closed: the test is over
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStoreRealServer runs the suite against the server named by
// BREACHLEDGER_ESDB_URL, each rule under a fresh prefix.
func TestStoreRealServer(t *testing.T) {
	url := realServer(t)
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		return open(t, withQuery(url, "prefix=bltest-"+uuid.NewString()+"/"))
	}, storetest.LargestPayload(eventstore.MaxPayloadSize-envelopeRoom))
}

func realServer(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv(RealServerEnv)
	if url == "" {
		tb.Skipf("no real EventStoreDB/KurrentDB server: set %s (e.g. esdb://localhost:2113?tls=false) to run this test against one; see README, \"Running on EventStoreDB/KurrentDB\"", RealServerEnv)
	}
	return url
}

func withQuery(url, q string) string {
	if strings.Contains(url, "?") {
		return url + "&" + q
	}
	return url + "?" + q
}

// open opens the store at location and closes it when the test ends.
func open(tb testing.TB, location string) *esdb.Store {
	tb.Helper()
	s, err := esdb.Open(context.Background(), location, esdb.Options{})
	if err != nil {
		tb.Fatalf("Open(%s) error = %v", location, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
