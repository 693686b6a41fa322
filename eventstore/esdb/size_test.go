package esdb

import (
	"context"
	"strings"
	"testing"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// sizeTypes are event types whose count differs between UTF-8 bytes and
// UTF-16 code units: ASCII (1 byte, 1 unit), Latin (2 bytes, 1 unit),
// CJK (3 bytes, 1 unit), beyond the BMP (4 bytes, 2 units).
var sizeTypes = []struct {
	typ  string
	want int // what size counts for the type
}{
	{"E", 2},
	{"BreachReported", 28},
	{"Meldung-übermittelt", 38}, // 20 bytes, 19 units
	{"通知", 6},                   // 6 bytes, 2 units: the bytes are more
	{"🔒Locked", 16},             // 10 bytes, 8 units
}

// TestSize: an event counts its data, its metadata and its type at two
// bytes a UTF-16 code unit, or at its UTF-8 bytes where those are more.
func TestSize(t *testing.T) {
	for _, tt := range sizeTypes {
		e := esclient.EventData{EventType: tt.typ, Data: []byte("12345"), Metadata: []byte("123")}
		if got, want := size(e), 8+tt.want; got != want {
			t.Errorf("size(type %q, 5 bytes of data, 3 of metadata) = %d, want %d", tt.typ, got, want)
		}
	}
}

// TestSizeBoundsTheServer: an append of one event fits under a cap of
// exactly size(event) on every server version (size counts at least what
// the server counts), and on 24.10.4, which counts data, metadata and the
// type at two bytes a UTF-16 unit, a cap one byte less refuses it where
// size is the server's count (a type without characters of three bytes).
func TestSizeBoundsTheServer(t *testing.T) {
	for _, version := range []string{"21.10.0", "24.10.3", esdbtest.DefaultVersion} {
		for _, tt := range sizeTypes {
			r := eventstore.Record{ID: uuid.New(), Type: tt.typ, OccurredAt: time.Now(), Actor: "alice", Payload: []byte(`{"a":1}`)}
			e, err := eventData(r, time.Now(), false)
			if err != nil {
				t.Fatal(err)
			}
			exact := !strings.ContainsRune(tt.typ, '通')
			for _, capped := range []int{size(e), size(e) - 1} {
				srv := esdbtest.Start(t, esdbtest.Options{Version: version, MaxAppendSize: capped})
				c := client(t, srv)
				_, err := c.AppendToStream(context.Background(), "s", esclient.AppendToStreamOptions{}, e)
				want := ""
				if capped < size(e) && exact && version == esdbtest.DefaultVersion {
					want = "too large"
				}
				got := ""
				if err != nil {
					got = classify(err).class.String()
				}
				if got != want {
					t.Errorf("server %s, cap %d: append of type %q, size %d: error %v (class %q), want class %q", version, capped, tt.typ, size(e), err, got, want)
				}
			}
		}
	}
}

func client(tb testing.TB, srv *esdbtest.Server) *esclient.Client {
	tb.Helper()
	cfg, err := esclient.ParseConnectionString(srv.URL())
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Logger = esclient.NoopLogging()
	c, err := esclient.NewClient(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}
