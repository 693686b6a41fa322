package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestReplayESDB: the same history on SQLite and, copied by migrate, on
// EventStoreDB replays to the same digests; on EventStoreDB the read models
// are kept in a local cache file, caught up incrementally, equal to the
// replay, and rebuilt from the log when the file is lost.
func TestReplayESDB(t *testing.T) {
	src := newLedger(t)
	inc := runScenario(t, src)
	es, _ := newESDBLedger(t)
	migrate(t, src.ledger, es.ledger)
	cache := filepath.Join(t.TempDir(), "projections.db")
	var log []logEntry
	src.json(&log, "log")
	knownAt := log[len(log)-1].RecordedAt.Add(1e9).Format("2006-01-02T15:04:05.999999999Z07:00")
	replay := func(c *cli, extra ...string) replayResult {
		t.Helper()
		var res replayResult
		out := c.ok("auditor", append([]string{"replay", "--json", "--as-of", "2025-03-12T12:00:00Z", "--known-at", knownAt}, extra...)...)
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return res
	}
	digests := func(res replayResult) map[string]string {
		m := map[string]string{}
		for _, p := range res.Projections {
			m[p.Projection] = p.SHA256
		}
		return m
	}
	onSQLite := replay(src)
	onESDB := replay(es, "--cache", cache)
	if !onESDB.Compared || !onESDB.Same {
		t.Errorf("EventStoreDB: the kept read models were not compared or differ: %+v", onESDB)
	}
	for _, name := range []string{"incidents", "deadlines", "register", "timelines"} {
		if a, b := digests(onSQLite)[name], digests(onESDB)[name]; a != b || a == "" {
			t.Errorf("%s: SQLite %s, EventStoreDB %s", name, a, b)
		}
	}
	if _, err := os.Stat(cache); err != nil {
		t.Errorf("no cache file: %v", err)
	}
	// Caught up incrementally after one more event, then rebuilt without
	// the cache file: the same digests each way.
	es.ok("ian", "note", inc, "kept in a cache", "--at", "2025-03-12T09:00:00Z")
	es.json(&log, "log")
	knownAt = log[len(log)-1].RecordedAt.Add(1e9).Format("2006-01-02T15:04:05.999999999Z07:00")
	caught := replay(es, "--cache", cache)
	if !caught.Same || caught.Position != uint64(len(log)) {
		t.Errorf("after one more event: %+v", caught)
	}
	if err := os.Remove(cache); err != nil {
		t.Fatal(err)
	}
	rebuilt := replay(es, "--cache", cache)
	if !rebuilt.Same || digests(rebuilt)["deadlines"] != digests(caught)["deadlines"] {
		t.Errorf("rebuilt from the log: %+v", rebuilt)
	}
}
