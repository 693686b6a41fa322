package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/keyfiles"
	"github.com/breachledger/breachledger/ledger"
)

// Attacker model (c): an EventStoreDB user with the default ACLs, who may
// delete, tombstone and truncate any stream, and whose operators scavenge
// (README: Tamper evidence). Every case builds its ledger through the
// binary on the protocol test server, removes history from one incident
// stream with the plain client, and runs "breachledger verify" (a fresh
// process, as an auditor would): first while the events are only hidden
// from stream reads and still in $all, then after a scavenge has removed
// them from $all and moved every later sequence down.

// esdbRaw is the plain v4 client on srv: what a user of the database has.
func esdbRaw(tb testing.TB, srv *esdbtest.Server) *esclient.Client {
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

// appendForeignNote appends, with the plain EventStoreDB client (around
// breachledger, unsigned and uncovered by any checkpoint), a note by oscar
// with text, stamped recordedAt, to the stream of last, right after it; it
// returns the note's event ID.
func appendForeignNote(tb testing.TB, srv *esdbtest.Server, last logEntry, recordedAt time.Time, text string) uuid.UUID {
	tb.Helper()
	id := uuid.Must(uuid.NewV7())
	meta, _ := json.Marshal(map[string]any{
		"breachledger": 1,
		"occurred_at":  "2025-03-07T10:30:00Z",
		"recorded_at":  recordedAt.UTC().Format(time.RFC3339Nano),
		"actor":        "oscar",
	})
	data, _ := json.Marshal(map[string]string{"text": text})
	if _, err := esdbRaw(tb, srv).AppendToStream(context.Background(), "breachledger/"+last.Stream, esclient.AppendToStreamOptions{ExpectedRevision: esclient.Revision(last.Revision)},
		esclient.EventData{EventID: id, EventType: "NoteAdded", ContentType: esclient.ContentTypeJson, Data: data, Metadata: meta}); err != nil {
		tb.Fatal(err)
	}
	return id
}

// esdbTamperLedger records two incidents through the binary on a test
// server, interleaved, so that incident B's events have others after them:
// A detected, a note on A, B detected (two events: the detection and the
// rule pack pinned), two notes on B, a note on A. It
// returns the ledger, the server, the two incident streams and the log.
func esdbTamperLedger(tb testing.TB) (*cli, *esdbtest.Server, string, string, []logEntry) {
	tb.Helper()
	c, srv := newESDBLedger(tb)
	c.ok("alice", "init", "--name", "ESDB Tamper Test", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:01:00Z", "oscar")
	a := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "odd logins", "--at", "2025-03-07T10:00:00Z"))
	c.ok("oscar", "note", a, "first note on A", "--at", "2025-03-07T10:10:00Z")
	b := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "automated-alert", "--summary", "bulk reads", "--at", "2025-03-07T11:00:00Z"))
	c.ok("oscar", "note", b, "first note on B", "--at", "2025-03-07T11:10:00Z")
	c.ok("oscar", "note", b, "second note on B", "--at", "2025-03-07T11:20:00Z")
	c.ok("oscar", "note", a, "second note on A", "--at", "2025-03-07T12:00:00Z")
	var log []logEntry
	c.json(&log, "log")
	if r := c.run("auditor", "verify"); r.code != 0 {
		tb.Fatalf("verify of the untouched ledger: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return c, srv, "incident-" + a, "incident-" + b, log
}

// TestTamperESDB is attacker model (c): each removal a user with the
// default ACLs can make, before and after a scavenge, is caught by verify
// (exit 6), which names the first event removed.
func TestTamperESDB(t *testing.T) {
	setMeta := func(set func(m *esclient.StreamMetadata)) func(t *testing.T, c *esclient.Client, stream string) {
		return func(t *testing.T, c *esclient.Client, stream string) {
			var m esclient.StreamMetadata
			set(&m)
			if _, err := c.SetStreamMetadata(t.Context(), stream, esclient.AppendToStreamOptions{}, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name   string
		remove func(t *testing.T, c *esclient.Client, stream string)
		// first is the revision of B whose event is the first bad one:
		// the first hidden, and after the scavenge the first removed.
		first  uint64
		hidden []string // what the first-bad-event line says before the scavenge
	}{
		{name: "soft delete", remove: func(t *testing.T, c *esclient.Client, stream string) {
			if _, err := c.DeleteStream(t.Context(), stream, esclient.DeleteStreamOptions{}); err != nil {
				t.Fatal(err)
			}
		}, hidden: []string{"hidden: stream reads of", "no longer return its 4 events", "the stream was soft-deleted"}},
		{name: "tombstone", remove: func(t *testing.T, c *esclient.Client, stream string) {
			if _, err := c.TombstoneStream(t.Context(), stream, esclient.TombstoneStreamOptions{}); err != nil {
				t.Fatal(err)
			}
		}, hidden: []string{"hidden: stream reads of", "no longer return its 4 events", "the stream was tombstoned (hard-deleted)"}},
		{name: "$maxCount", remove: setMeta(func(m *esclient.StreamMetadata) { m.SetMaxCount(1) }),
			hidden: []string{"hidden:", "no longer return 3 of its events in $all (revisions 0 to 2)", "$maxCount = 1"}},
		{name: "truncate before ($tb)", remove: setMeta(func(m *esclient.StreamMetadata) { m.SetTruncateBefore(2) }),
			hidden: []string{"hidden:", "no longer return 2 of its events in $all (revisions 0 to 1)", "$tb = 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv, streamA, streamB, log := esdbTamperLedger(t)
			var b []logEntry
			for _, e := range log {
				if e.Stream == streamB {
					b = append(b, e)
				}
			}
			if len(b) != 4 || log[len(log)-1].Stream != streamA {
				t.Fatalf("incident B has %d events, the last event is on %s; want 4 and A", len(b), log[len(log)-1].Stream)
			}
			first := b[tt.first]
			tt.remove(t, esdbRaw(t, srv), "breachledger/"+streamB)

			// Hidden from stream reads, still in $all: sequences have not
			// moved, the checkpoints still match, and only the store knows.
			r := verifyFails(t, c, first.Seq, append([]string{first.EventID}, tt.hidden...)...)
			if !strings.Contains(r.stderr, "integrity failure") {
				t.Errorf("verify's stderr does not report an integrity failure:\n%s", r.stderr)
			}
			t.Logf("verify, events hidden:\n%s", r.stdout)

			// Removed from $all: every later sequence moved down, and the
			// leaf copies kept with the checkpoints name what is gone.
			if n := srv.Memory().Scavenge(); n == 0 {
				t.Fatal("Scavenge() removed nothing")
			}
			r = verifyFails(t, c, first.Seq, first.EventID, "missing: event "+first.EventID, "is gone from the log (removed)", "moved down")
			t.Logf("verify, events scavenged:\n%s", r.stdout)

			// A writer appending now finds its event at a sequence the
			// checkpoints signed for another, and signs nothing.
			inc := strings.TrimPrefix(streamA, "incident-")
			w := c.run("oscar", "note", inc, "after the scavenge")
			if w.code != 6 || !strings.Contains(w.stderr, "recorded, but not checkpointed") || !strings.Contains(w.stderr, "history was removed") {
				t.Errorf("an append after the scavenge: exit %d, want 6 saying the history was removed\n%s%s", w.code, w.stdout, w.stderr)
			}
		})
	}
}

// TestRecordedTimeESDB is issue 3's clock duty: on EventStoreDB, verify
// reports a recorded time further than the tolerance from the server's own
// "created", unless the event arrived by migrate. Honest appends and a
// migrated ledger verify; an event written with a forged stamp (through
// the plain client, then accepted with "checkpoint --accept-legacy-tail",
// as an operator fooled by it would) fails, named, until the tolerance is
// widened past its skew.
func TestRecordedTimeESDB(t *testing.T) {
	t.Run("honest appends", func(t *testing.T) {
		c, _ := newESDBLedger(t)
		c.ok("alice", "init", "--name", "Clock Test", "--at", "2025-03-01T00:00:00Z")
		c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
		c.register("2025-03-01T00:01:00Z", "oscar")
		if r := c.run("auditor", "verify"); r.code != 0 {
			t.Errorf("verify of honest appends: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("migrated events", func(t *testing.T) {
		// A ledger kept on SQLite for a day, then copied to EventStoreDB:
		// the copies keep their recorded times, a day before "created",
		// and are exempt; events appended after the copy are not.
		src := &cli{tb: t, ledger: filepath.Join(t.TempDir(), "src.db")}
		src.ok("alice", "init", "--name", "Clock Test", "--at", "2025-03-01T00:00:00Z")
		src.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
		src.register("2025-03-01T00:01:00Z", "oscar")
		old := dayOld(t, src.ledger)
		es, _ := newESDBLedger(t)
		migrate(t, old, es.ledger)
		var log []logEntry
		es.json(&log, "log")
		if len(log) != 5 || time.Since(log[0].RecordedAt) < 23*time.Hour { // init and alice's key, the backdate-window, the grant, oscar's key
			t.Fatalf("log after migrate: %+v, want 5 events recorded a day ago", log)
		}
		es.ok("alice", "grant", "ivy", "security-incident-manager", "--at", "2025-03-01T00:02:00Z")
		es.register("2025-03-01T00:02:00Z", "ivy")
		if r := es.run("auditor", "verify"); r.code != 0 {
			t.Errorf("verify of a migrated ledger: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	forgedStamps := []struct {
		name string
		skew time.Duration
		want []string
	}{
		// A notice backdated by three hours: recorded before it was sent,
		// as --known-at would then believe. It also breaks the order of
		// recorded times.
		{"a stamp three hours early", -3 * time.Hour, []string{"order: recorded time", "recorded time: recorded time", "3h0m0s before the server's time of arrival", "beyond the tolerance of 5m0s"}},
		// Stamped three hours ahead: in order, but not when it arrived.
		{"a stamp three hours late", 3 * time.Hour, []string{"recorded time: recorded time", "3h0m0s after the server's time of arrival", "beyond the tolerance of 5m0s"}},
	}
	for _, tt := range forgedStamps {
		t.Run(tt.name, func(t *testing.T) {
			// A ledger from before signed mode: only there can an
			// unsigned tail be taken for one an older writer left.
			c, srv := newESDBLedger(t)
			c.ok("alice", "init", "--unsigned", "--name", "Clock Test", "--at", "2025-03-01T00:00:00Z")
			c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
			c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "odd logins", "--at", "2025-03-07T10:00:00Z")
			var log []logEntry
			c.json(&log, "log")
			forged := appendForeignNote(t, srv, log[len(log)-1], time.Now().Add(tt.skew), "forged stamp")
			c.ok("alice", "checkpoint", "--accept-legacy-tail", "--reason", "fooled: taken for a tail an older writer left")
			r := verifyFails(t, c, uint64(len(log)), append([]string{forged.String()}, tt.want...)...)
			// Only the forged stamp and what followed it (recorded times
			// never decrease along the sequence, so the acceptance
			// appended after it inherits a late stamp) are reported.
			for seq := range uint64(len(log)) {
				if strings.Contains(r.stdout, fmt.Sprintf("seq %d, ", seq)) {
					t.Errorf("verify reports event %d, recorded before the forged one:\n%s", seq, r.stdout)
				}
			}
			if tt.skew > 0 {
				if r := c.run("auditor", "verify", "--clock-tolerance", "4h"); r.code != 0 {
					t.Errorf("verify --clock-tolerance 4h (past the forged skew): exit %d\n%s", r.code, r.stdout)
				}
			}
			if r := c.run("auditor", "verify", "--clock-tolerance", "-1m"); r.code != 2 {
				t.Errorf("verify --clock-tolerance -1m: exit %d, want 2", r.code)
			}
		})
	}
}

// dayOld copies the SQLite ledger at path into a new one whose events were
// recorded a day earlier (imported, as migrate does), signed with the same
// ledger key, and returns its path.
func dayOld(tb testing.TB, path string) string {
	tb.Helper()
	ctx := context.Background()
	src, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	recs, err := src.ReadAll(ctx, 0, 0)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range recs {
		recs[i].RecordedAt = recs[i].RecordedAt.Add(-24 * time.Hour)
	}
	out := filepath.Join(tb.TempDir(), "day-old.db")
	dst, err := sqlite.Open(ctx, out, sqlite.Options{Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer dst.Close()
	if err := dst.Import(ctx, recs); err != nil {
		tb.Fatal(err)
	}
	key := testLedgerKey(tb, dst)
	if _, err := (ledger.Checkpointer{Store: dst, Key: key}).Checkpoint(ctx, recs); err != nil {
		tb.Fatal(err)
	}
	return out
}

// testLedgerKey reads the private key of the ledger in st from the tests'
// configuration directory, where init made it.
func testLedgerKey(tb testing.TB, st eventstore.Store) *integrity.LedgerKey {
	tb.Helper()
	origin, err := ledger.Origin(context.Background(), st)
	if err != nil {
		tb.Fatal(err)
	}
	name := strings.ReplaceAll(strings.TrimPrefix(origin, "breachledger/"), "/", "-") + ".key"
	key, err := keyfiles.ReadLedgerKey(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "breachledger", "keys", name))
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

// TestForeignEventESDB: on EventStoreDB, where an append and its
// checkpoint are two calls, an event written with the plain client is
// never signed by the next writer's checkpoint, however recently it was
// recorded (no grace window): readers leave it out (and, once it has
// waited longer than notary-lag, exit 6), the next writer's append lands
// and waits behind it, and the ledger-key holder's "checkpoint" judges it
// as the notary would: rejected under the rule it breaks, named, exit 6,
// with the honest append behind it covered; verify names it for good.
func TestForeignEventESDB(t *testing.T) {
	c, srv := newESDBLedger(t)
	c.ok("alice", "init", "--name", "Foreign Test", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:01:00Z", "oscar")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "odd logins", "--at", "2025-03-07T10:00:00Z"))
	var log []logEntry
	c.json(&log, "log")
	forged := appendForeignNote(t, srv, log[len(log)-1], time.Now(), "forged on the server")
	if tl := c.ok("auditor", "timeline", inc); strings.Contains(tl, "forged on the server") {
		t.Errorf("a reader applies an event no checkpoint covers:\n%s", tl)
	}
	r := c.run("oscar", "note", inc, "honest note")
	if r.code != 0 || !strings.Contains(r.stderr, "not yet checkpointed") || !strings.Contains(r.stderr, forged.String()) {
		t.Errorf("an honest append behind a foreign event: exit %d, want 0, recorded and waiting behind it\n%s", r.code, r.stderr)
	}
	if tl := c.ok("auditor", "timeline", inc); strings.Contains(tl, "honest note") {
		t.Errorf("a reader applies an append behind an uncovered event:\n%s", tl)
	}
	r = c.run("alice", "checkpoint")
	if r.code != 6 || !strings.Contains(r.stderr, "rule signature-required") || !strings.Contains(r.stderr, fmt.Sprintf("sequence %d", len(log))) {
		t.Errorf("checkpoint over a foreign event: exit %d, want 6 naming it under rule signature-required\n%s", r.code, r.stderr)
	}
	if tl := c.ok("auditor", "timeline", inc); strings.Contains(tl, "forged on the server") || !strings.Contains(tl, "honest note") {
		t.Errorf("timeline after the judgement:\n%s", tl)
	}
	r = c.run("auditor", "verify")
	if r.code != 6 || !strings.Contains(r.stdout, "rejected") || !strings.Contains(r.stdout, forged.String()) || !strings.Contains(r.stdout, "rule signature-required") {
		t.Errorf("verify after the rejection: exit %d, want 6 naming the rejected event\n%s", r.code, r.stdout)
	}
}
