package esdb_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

func audit(tb testing.TB, s *esdb.Store, opts eventstore.AuditOptions) []eventstore.Finding {
	tb.Helper()
	got, err := s.Audit(context.Background(), opts)
	if err != nil {
		tb.Fatalf("Audit() error = %v", err)
	}
	return got
}

// TestAuditRemovals: what each removal by a user with the default ACLs
// looks like to Audit. Before a scavenge the events are still in $all,
// and Audit names the first one stream reads no longer return, with the
// cause; after it, a stream whose first revisions are gone is named at
// its first event left. (A stream removed whole leaves nothing in $all:
// only the checkpoints' leaf copies show it, which ledger.Verify reads.)
func TestAuditRemovals(t *testing.T) {
	meta := func(set func(m *esclient.StreamMetadata)) func(t *testing.T, c *esclient.Client, srv *esdbtest.Server) {
		return func(t *testing.T, c *esclient.Client, srv *esdbtest.Server) {
			var m esclient.StreamMetadata
			set(&m)
			if _, err := c.SetStreamMetadata(t.Context(), "breachledger/incident-2", esclient.AppendToStreamOptions{}, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name   string
		remove func(t *testing.T, c *esclient.Client, srv *esdbtest.Server)
		hidden string // what the finding before a scavenge says (all at incident-2's first event)
		// after a scavenge: the revision of incident-2 the finding names,
		// or -1 for none (the whole stream is gone)
		afterRev int
	}{
		{"soft delete", func(t *testing.T, c *esclient.Client, _ *esdbtest.Server) {
			if _, err := c.DeleteStream(t.Context(), "breachledger/incident-2", esclient.DeleteStreamOptions{}); err != nil {
				t.Fatal(err)
			}
		}, "its 3 events in $all from revision 0, the first this event: the stream was soft-deleted", -1},
		{"tombstone", func(t *testing.T, c *esclient.Client, _ *esdbtest.Server) {
			if _, err := c.TombstoneStream(t.Context(), "breachledger/incident-2", esclient.TombstoneStreamOptions{}); err != nil {
				t.Fatal(err)
			}
		}, "its 3 events in $all from revision 0, the first this event: the stream was tombstoned", -1},
		{"$maxCount", meta(func(m *esclient.StreamMetadata) { m.SetMaxCount(1) }),
			"2 of its events in $all (revisions 0 to 1), the first this event: the stream was truncated (its metadata has $maxCount = 1)", 2},
		{"truncate before ($tb)", meta(func(m *esclient.StreamMetadata) { m.SetTruncateBefore(2) }),
			"2 of its events in $all (revisions 0 to 1), the first this event: the stream was truncated (its metadata has $tb = 2)", 2},
		{"$maxAge", func(t *testing.T, c *esclient.Client, srv *esdbtest.Server) {
			meta(func(m *esclient.StreamMetadata) { m.SetMaxAge(time.Hour) })(t, c, srv)
			later := time.Now().Add(2 * time.Hour)
			srv.Memory().SetClock(func() time.Time { return later })
		}, "its 3 events in $all from revision 0, the first this event: the stream was truncated (its metadata has $maxAge = 3600 s)", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := esdbtest.Start(t, esdbtest.Options{})
			s := open(t, srv.URL())
			appendN(t, s, "incident-1", 2)
			inc2 := appendN(t, s, "incident-2", 3)
			appendN(t, s, "incident-1", 1)
			appendN(t, s, "incident-3", 1)
			if got := audit(t, s, eventstore.AuditOptions{}); len(got) != 0 {
				t.Fatalf("Audit() of an intact ledger = %+v", got)
			}
			tt.remove(t, rawClient(t, srv), srv)

			got := audit(t, open(t, srv.URL()), eventstore.AuditOptions{})
			if len(got) != 1 || got[0].Seq != 2 || got[0].EventID != inc2[0].ID || got[0].What != "hidden" || !strings.Contains(got[0].Detail, tt.hidden) {
				t.Errorf("Audit() before a scavenge = %+v\nwant one finding: seq 2, event %s, hidden: %q", got, inc2[0].ID, tt.hidden)
			}

			if removed := srv.Memory().Scavenge(); removed == 0 {
				t.Fatal("Scavenge() removed nothing")
			}
			if _, err := s.Audit(t.Context(), eventstore.AuditOptions{}); !errors.Is(err, eventstore.ErrHistoryChanged) {
				t.Errorf("Audit() by a store that had read the history, after a scavenge: error = %v, want ErrHistoryChanged", err)
			}
			got = audit(t, open(t, srv.URL()), eventstore.AuditOptions{})
			switch {
			case tt.afterRev < 0 && len(got) != 0:
				t.Errorf("Audit() after the scavenge = %+v, want none (nothing of the stream is left in $all)", got)
			case tt.afterRev >= 0 && (len(got) != 1 || got[0].Seq != 2 || got[0].EventID != inc2[tt.afterRev].ID || got[0].What != "removed" ||
				!strings.Contains(got[0].Detail, "revisions 0 to 1 of incident-2 are no longer in $all")):
				t.Errorf("Audit() after the scavenge = %+v\nwant one finding: seq 2 (now), event %s, revisions 0 to 1 removed", got, inc2[tt.afterRev].ID)
			}
		})
	}
}

// forge writes an event under the ledger's prefix with the client alone,
// as a user with the default ACLs may: a breachledger envelope whose
// recorded time and migrated mark are whatever the writer says.
func forge(tb testing.TB, c *esclient.Client, stream string, recorded time.Time, migrated bool) uuid.UUID {
	tb.Helper()
	meta, err := json.Marshal(map[string]any{
		"breachledger": 1,
		"occurred_at":  t0.Format(time.RFC3339Nano),
		"recorded_at":  recorded.UTC().Format(time.RFC3339Nano),
		"actor":        "mallory",
		"migrated":     migrated,
	})
	if err != nil {
		tb.Fatal(err)
	}
	id := uuid.Must(uuid.NewV7())
	rawAppend(tb, c, "breachledger/"+stream, esclient.EventData{EventID: id, EventType: "NoteAdded", ContentType: esclient.ContentTypeJson, Data: []byte(`{"text":"forged"}`), Metadata: meta})
	return id
}

// TestAuditClock: a recorded time far from the server's "created" is
// reported, unless the event arrived by migrate, which may only come
// first and never be recorded after the server received it.
func TestAuditClock(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	s := open(t, srv.URL())
	copied := record(t, "Copied")
	copied.Stream, copied.Sequence, copied.Revision = "incident-1", 0, 0
	copied.RecordedAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) // years before "created"
	if err := s.Import(t.Context(), []eventstore.Record{copied}); err != nil {
		t.Fatal(err)
	}
	honest := appendN(t, s, "incident-2", 1)[0]
	if got := audit(t, s, eventstore.AuditOptions{}); len(got) != 0 {
		t.Fatalf("Audit() of an honest and a migrated event = %+v, want none", got)
	}

	c := rawClient(t, srv)
	now := time.Now()
	tests := []struct {
		name     string
		recorded time.Time
		migrated bool
		opts     eventstore.AuditOptions
		want     string // "" for no finding
	}{
		{"a stamp three hours early", now.Add(-3 * time.Hour), false, eventstore.AuditOptions{},
			"before the server's time of arrival (created "},
		{"a stamp a day late", now.Add(24 * time.Hour), false, eventstore.AuditOptions{}, "after the server's time of arrival"},
		{"two minutes off, within the default tolerance", now.Add(-2 * time.Minute), false, eventstore.AuditOptions{}, ""},
		{"two minutes off, beyond a tolerance of one", now.Add(-2 * time.Minute), false, eventstore.AuditOptions{ClockTolerance: time.Minute}, "beyond the tolerance of 1m0s"},
		{"a migrated mark after appended events", now.Add(-3 * time.Hour), true, eventstore.AuditOptions{},
			"it follows event " + honest.ID.String() + " at sequence 1, which was appended here: migrate copies a ledger from its start, so the mark was forged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := forge(t, c, "incident-2", tt.recorded, tt.migrated)
			var mine []eventstore.Finding
			for _, f := range audit(t, open(t, srv.URL()), tt.opts) {
				if f.EventID == id {
					mine = append(mine, f)
				}
			}
			switch {
			case tt.want == "" && len(mine) != 0:
				t.Errorf("Audit() = %+v, want nothing about event %s", mine, id)
			case tt.want != "" && (len(mine) != 1 || mine[0].What != "recorded time" || !strings.Contains(mine[0].Detail, tt.want)):
				t.Errorf("Audit() about event %s = %+v, want a recorded time finding saying %q", id, mine, tt.want)
			}
		})
	}

	// A migrated mark on the first events, with a recorded time after the
	// server received them: no copy is recorded after it arrived.
	srv2 := esdbtest.Start(t, esdbtest.Options{})
	late := forge(t, rawClient(t, srv2), "incident-1", time.Now().Add(time.Hour), true)
	got := audit(t, open(t, srv2.URL()), eventstore.AuditOptions{})
	if len(got) != 1 || got[0].EventID != late || !strings.Contains(got[0].Detail, "after the server received it") {
		t.Errorf("Audit() of a migrated event recorded after it arrived = %+v, want one finding naming %s", got, late)
	}
}
