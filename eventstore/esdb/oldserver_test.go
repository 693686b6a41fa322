package esdb_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// TestServersWithoutCaughtUp runs the adapter's reads and Follow against
// servers older than 23.10, which send no caught_up message on a
// subscription (esdbtest.Options.Version), and against newer ones. $all
// ends with events outside the ledger (another ledger's, and the server's
// own system streams), so a scan of $all cannot stop at the end of $all:
// on the older servers it stops at the ledger's newest event, found
// before subscribing (the fallback in scan), or it would wait for events
// that never come. TestScanWithoutLiveCheckpoint runs it where the
// server sends no checkpoint either.
func TestServersWithoutCaughtUp(t *testing.T) {
	for _, version := range []string{"21.10.0", "22.10.3", "23.10.0", esdbtest.DefaultVersion} {
		t.Run(version, func(t *testing.T) {
			srv := esdbtest.Start(t, esdbtest.Options{Version: version})
			empty := open(t, srv.URL("prefix=empty/"))
			if n, err := empty.Head(t.Context()); err != nil || n != 0 {
				t.Fatalf("Head() of a ledger with no events (only system streams in $all) = %d, %v, want 0", n, err)
			}
			writer := open(t, srv.URL())
			want := appendN(t, writer, "incident-1", 3)
			appendN(t, open(t, srv.URL("prefix=other/")), "incident-9", 2) // $all ends outside the ledger

			s := open(t, srv.URL()) // a fresh index: every read scans $all
			if n, err := s.Head(t.Context()); err != nil || n != 3 {
				t.Fatalf("Head() = %d, %v, want 3", n, err)
			}
			all, err := s.ReadAll(t.Context(), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ids(want), ids(all)); diff != "" {
				t.Errorf("ReadAll() event IDs (-want +got):\n%s", diff)
			}
			got, err := s.ReadStream(t.Context(), "incident-1", eventstore.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ids(want), ids(got)); diff != "" {
				t.Errorf("ReadStream() event IDs (-want +got):\n%s", diff)
			}

			// Follow: the three stored events, then one appended while it waits.
			followed := 0
			for r, err := range open(t, srv.URL()).Follow(t.Context(), 0) {
				if err != nil {
					t.Fatalf("Follow() error = %v", err)
				}
				if followed < len(want) && r.ID != want[followed].ID || r.Sequence != uint64(followed) {
					t.Errorf("Follow() event %d = %s at sequence %d, want %s at %d", followed, r.ID, r.Sequence, want[min(followed, len(want)-1)].ID, followed)
				}
				followed++
				if followed == len(want) {
					want = append(want, appendN(t, writer, "incident-1", 1)...)
				}
				if followed == 4 {
					break
				}
			}
		})
	}
}

func ids(recs []eventstore.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID.String()
	}
	return out
}
