package esdb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

func record(tb testing.TB, typ string) eventstore.Record {
	tb.Helper()
	return eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: typ, OccurredAt: t0, Actor: "alice", Payload: fmt.Appendf(nil, `{"type":%q}`, typ)}
}

// appendN appends n events, one call each, to stream and returns them.
func appendN(tb testing.TB, s eventstore.Store, stream string, n int) []eventstore.Record {
	tb.Helper()
	var out []eventstore.Record
	for i := range n {
		got, err := s.Append(context.Background(), stream, eventstore.Any, []eventstore.Record{record(tb, fmt.Sprintf("E%d", i))})
		if err != nil {
			tb.Fatalf("Append() error = %v", err)
		}
		out = append(out, got...)
	}
	return out
}

// TestFollowSurvivesOutages follows a ledger while the server drops every
// connection, and while it stops and comes back on the same address, with
// events appended by another client in between: Follow yields every event
// exactly once, in order, with the sequences a fresh read gives.
func TestFollowSurvivesOutages(t *testing.T) {
	for _, tt := range []struct {
		name   string
		outage func(t *testing.T, srv *esdbtest.Server)
	}{
		{"DropConnections", func(t *testing.T, srv *esdbtest.Server) { srv.DropConnections() }},
		{"Restart", func(t *testing.T, srv *esdbtest.Server) {
			srv.Stop()
			time.Sleep(300 * time.Millisecond) // down long enough for the client to notice and retry
			if err := srv.Restart(); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := esdbtest.Start(t, esdbtest.Options{})
			follower, writer := open(t, srv.URL()), open(t, srv.URL())
			want := appendN(t, writer, "incident-1", 3)

			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			got := make(chan eventstore.Record)
			errc := make(chan error, 1)
			go func() {
				for r, err := range follower.Follow(ctx, 0) {
					if err != nil {
						errc <- err
						return
					}
					got <- r
				}
			}()
			var seen []eventstore.Record
			receive := func(n int) {
				t.Helper()
				for range n {
					select {
					case r := <-got:
						seen = append(seen, r)
					case err := <-errc:
						t.Fatalf("Follow() error after %d records: %v", len(seen), err)
					case <-ctx.Done():
						t.Fatalf("Follow() yielded %d records, want %d", len(seen), len(want))
					}
				}
			}
			receive(3)
			tt.outage(t, srv)
			// Appended while the follower is (or may be) disconnected.
			want = append(want, appendN(t, writer, "incident-2", 4)...)
			receive(4)
			tt.outage(t, srv)
			want = append(want, appendN(t, writer, "incident-1", 2)...)
			receive(2)
			select {
			case r := <-got:
				t.Errorf("Follow() yielded an extra record at sequence %d", r.Sequence)
			case <-time.After(100 * time.Millisecond):
			}
			if diff := cmp.Diff(want, seen); diff != "" {
				t.Errorf("Follow() across outages mismatch (-appended +followed):\n%s", diff)
			}
			all, err := open(t, srv.URL()).ReadAll(t.Context(), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(all, seen); diff != "" {
				t.Errorf("Follow() mismatch with a fresh ReadAll (-read +followed):\n%s", diff)
			}
		})
	}
}
