package main_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRankFileESDB: on EventStoreDB each reader keeps the ledger's ranks
// in a rank file in the user cache directory (esdb-HEX.ranks.db, rows under
// the kept views' MAC key), so the next reader reads from the server only
// what was appended since: after another writer (with a cache of its own)
// appended, a command that kept the file answers the same as one that
// reads the whole ledger, and so does verify. With no cache directory the
// ranks are kept in memory, silently; a cache directory that breaks the
// trust rule, or a damaged rank file (removed), is said once on stderr,
// and the command answers all the same.
func TestRankFileESDB(t *testing.T) {
	c, _ := newESDBLedger(t)
	cache := t.TempDir()
	c.env = []string{"XDG_CACHE_HOME=" + cache}
	c.ok("alice", "init", "--name", "ESDB Rank File Test", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:01:00Z", "oscar")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "odd logins", "--at", "2025-03-07T10:00:00Z"))
	c.ok("oscar", "note", inc, "first note", "--at", "2025-03-07T10:10:00Z")

	var log []logEntry
	c.json(&log, "log") // a reader: writers keep the ranks in memory
	files, _ := filepath.Glob(filepath.Join(cache, "breachledger", "esdb-*.ranks.db"))
	if len(files) != 1 {
		t.Fatalf("rank files in the cache directory after the first reader: %v, want one", files)
	}
	rows := func() int {
		t.Helper()
		db, err := sql.Open("sqlite", "file:"+files[0]+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ranks`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := rows(); got != len(log) {
		t.Errorf("the rank file holds %d rows, the ledger %d events", got, len(log))
	}

	// Another writer appends.
	other := c.with(t)
	other.env = []string{"XDG_CACHE_HOME=" + t.TempDir()}
	other.ok("oscar", "note", inc, "second note", "--at", "2025-03-07T10:20:00Z")
	other.ok("oscar", "note", inc, "third note", "--at", "2025-03-07T10:30:00Z")

	// No cache directory (a relative XDG_CACHE_HOME is none): the ranks
	// are kept in memory, read from the whole ledger, and nothing is said.
	memory := c.with(t)
	memory.env = []string{"XDG_CACHE_HOME=relative/cache"}
	var want, got []logEntry
	memory.json(&want, "log", "--incident", inc)
	if r := memory.run("auditor", "show", inc); r.code != 0 || r.stderr != "" {
		t.Errorf("show without a cache directory: exit %d, stderr %q", r.code, r.stderr)
	}
	c.json(&got, "log", "--incident", inc)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log --incident from the rank file, after another writer appended (-from the whole ledger +from the rank file):\n%s", diff)
	}
	if len(got) == 0 || !strings.Contains(string(got[len(got)-1].Payload), "third note") {
		t.Errorf("log --incident from the rank file does not end with the other writer's note: %+v", got)
	}
	c.json(&log, "log")
	if got := rows(); got != len(log) {
		t.Errorf("after another writer appended, the rank file holds %d rows, the ledger %d events", got, len(log))
	}
	for _, v := range []*cli{c, memory} {
		if r := v.run("auditor", "verify"); r.code != 0 {
			t.Errorf("verify (%v): exit %d\n%s%s", v.env, r.code, r.stdout, r.stderr)
		}
	}

	// A cache directory others may write: said once, and answered from
	// the server.
	dir := filepath.Join(cache, "breachledger")
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	r := c.run("auditor", "log", "--incident", inc, "--json")
	if r.code != 0 || strings.Count(r.stderr, "the rank file cannot be used") != 1 || !strings.Contains(r.stderr, "untrusted cache location") {
		t.Errorf("log with an untrusted cache directory: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "third note") {
		t.Errorf("log with an untrusted cache directory:\n%s", r.stdout)
	}

	// A damaged rank file: said once, removed, and kept afresh by the
	// next reader.
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{files[0], files[0] + "-wal", files[0] + "-shm"} {
		os.Remove(p)
	}
	if err := os.WriteFile(files[0], []byte("not a rank file"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, wantNote := range []int{1, 0} {
		r := c.run("auditor", "log", "--incident", inc, "--json")
		if r.code != 0 || strings.Count(r.stderr, "the rank file cannot be used") != wantNote || !strings.Contains(r.stdout, "third note") {
			t.Errorf("log %d with a damaged rank file: exit %d, stderr:\n%s", i+1, r.code, r.stderr)
		}
	}
	if got := rows(); got != len(log) {
		t.Errorf("the rank file kept afresh holds %d rows, the ledger %d events", got, len(log))
	}
}
