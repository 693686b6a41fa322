package esdbtest_test

import (
	"slices"
	"testing"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// TestAfterAppend: Options.AfterAppend turns the success of a stored
// append into its error, for an append and for its idempotent retry
// alike: the writer sees an unknown outcome, the event is stored once, and
// other appends are answered as usual.
func TestAfterAppend(t *testing.T) {
	var calls [][]string
	srv := esdbtest.Start(t, esdbtest.Options{AfterAppend: func(stream string, types []string) error {
		calls = append(calls, append([]string{stream}, types...))
		if slices.Contains(types, "Lost") {
			return status.Error(codes.Aborted, "connection lost after the commit")
		}
		return nil
	}})
	c := client(t, srv)
	lost := ev("Lost")
	for try := range 2 {
		_, err := c.AppendToStream(t.Context(), "s-1", esclient.AppendToStreamOptions{ExpectedRevision: esclient.NoStream{}}, lost)
		if !isCode(err, esclient.ErrorAborted) {
			t.Errorf("append %d of the lost event: error %v, want Aborted", try+1, err)
		}
	}
	appendTo(t, c, "s-1", esclient.Revision(0), ev("Kept"))
	types, revs, err := read(c, "s-1", esclient.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Lost", "Kept"}; !slices.Equal(types, want) || !slices.Equal(revs, []uint64{0, 1}) {
		t.Errorf("stream s-1 = %v at %v, want %v at [0 1]: the lost append stored once", types, revs, want)
	}
	if want := [][]string{{"s-1", "Lost"}, {"s-1", "Lost"}, {"s-1", "Kept"}}; !slices.EqualFunc(calls, want, slices.Equal) {
		t.Errorf("AfterAppend calls = %v, want %v", calls, want)
	}
}
