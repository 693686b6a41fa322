package main_test

import (
	"bufio"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/projections/readmodel"
)

// keptReaders are the readers compared with and without a cache (issue 15
// part B): each as a reporting job or an auditor runs it.
func keptReaders(inc, bundle string) [][]string {
	return [][]string{
		{"show", inc, "--as-of", "2025-03-12T12:00:00Z", "--json"},
		{"timeline", inc, "--as-of", "2025-04-01T00:00:00Z", "--json"},
		{"deadlines", "--as-of", "2025-03-12T12:00:00Z", "--json"},
		{"deadlines", "--as-of", "2025-03-12T12:00:00Z"},
		{"deadlines", "--as-of", "2025-03-12T12:00:00Z", "--overdue"},
		{"list", "--as-of", "2025-04-01T00:00:00Z", "--json"},
		{"log", "--json"},
		{"report", "--incident", inc, "--format", "json", "--as-of", "2025-04-01T00:00:00Z"},
		{"register", "--as-of", "2025-04-01T00:00:00Z", "--format", "json"},
		{"replay", "--as-of", "2025-04-01T00:00:00Z", "--json"},
		{"verify"},
		{"export", "--bundle", bundle},
	}
}

// keptTables returns the rm_* tables and indexes in the SQLite file at
// path, read without changing it.
func keptTables(tb testing.TB, path string) []string {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_schema WHERE name LIKE 'rm\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			tb.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// keptFiles returns the kept-view files under the cache directory base
// ($XDG_CACHE_HOME).
func keptFiles(tb testing.TB, base string) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(base, "breachledger", "*.projections.db"))
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// keptFileOf returns the file the kept views of the SQLite ledger at
// ledgerPath live in, under the tests' $XDG_CACHE_HOME: named after the
// ledger's origin and 12 hex digits of the SHA-256 of the ledger file's
// absolute path, its symbolic links resolved (README: Kept views).
func keptFileOf(tb testing.TB, ledgerPath string) string {
	tb.Helper()
	abs, err := filepath.Abs(ledgerPath)
	if err != nil {
		tb.Fatal(err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	sum := sha256.Sum256([]byte(abs))
	files, err := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "breachledger", "*."+hex.EncodeToString(sum[:6])+".projections.db"))
	if err != nil || len(files) != 1 {
		tb.Fatalf("kept views of %s: %v (%v), want one file", ledgerPath, files, err)
	}
	return files[0]
}

var (
	bundlePath = regexp.MustCompile(`\S*bundle\.json`)
	knownAtArg = regexp.MustCompile(`--known-at [0-9T:.\-]+Z`) // report's "reproduce" line
	// replay's digest of the reports, which say when they were known at
	// (now): the one projection no view keeps, built from the log.
	reportsDigest = regexp.MustCompile(`("projection": "reports",\s*"rows": \d+,\s*"sha256": ")[^"]*`)
)

// A reader keeps its views in the user's cache directory, named after the
// ledger, and never in the ledger file; with no cache directory, or one
// the trust rule refuses, every reader answers the same, from the log; a
// cache directory that cannot be trusted is said on stderr, none at all
// is not.
func TestKeptViewsLiveInTheCache(t *testing.T) {
	c := newLedger(t)
	inc := runScenario(t, c)
	var log []logEntry
	c.json(&log, "log")
	if tables := keptTables(t, c.ledger); len(tables) != 0 {
		t.Fatalf("after the writers the ledger holds %v", tables)
	}

	c.ok("auditor", "verify") // pins the ledger key: later runs print the same
	dir := t.TempDir()
	notDir := filepath.Join(dir, "a-file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	untrusted := filepath.Join(dir, "untrusted")
	if err := os.MkdirAll(filepath.Join(untrusted, "breachledger"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(untrusted, "breachledger"), 0o777); err != nil {
		t.Fatal(err)
	}
	cached := filepath.Join(dir, "cache")
	configs := []struct {
		name string
		env  []string
		note bool   // stderr says the views cannot be kept
		only string // run only this reader (the others open no views)
	}{
		{"cache", []string{"XDG_CACHE_HOME=" + cached}, false, ""},
		{"no HOME nor XDG_CACHE_HOME", []string{"XDG_CACHE_HOME=", "HOME="}, false, ""},
		{"cache dir cannot be made", []string{"XDG_CACHE_HOME=" + filepath.Join(notDir, "cache"), "HOME=" + notDir}, false, ""},
		{"untrusted cache dir", []string{"XDG_CACHE_HOME=" + untrusted}, true, "deadlines replay"},
	}
	want := map[string]result{}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			for _, args := range keptReaders(inc, filepath.Join(t.TempDir(), "bundle.json")) {
				if cfg.only != "" && !strings.Contains(cfg.only, args[0]) {
					continue
				}
				name := strings.Join(args[:min(len(args), 2)], " ")
				if args[0] == "export" {
					name = "export"
				}
				key := strings.Join(args, " ")
				if args[0] == "export" {
					key = "export"
				}
				res := runBinary(t, "", append([]string{"BREACHLEDGER_INCIDENT="}, cfg.env...), append([]string{"--ledger", c.ledger, "--actor", "auditor"}, args...)...)
				res.stdout = string(placeholders([]byte(res.stdout), inc, log))
				res.stdout = bundlePath.ReplaceAllString(res.stdout, "<BUNDLE>")
				res.stdout = knownAtArg.ReplaceAllString(res.stdout, "--known-at <NOW>")
				res.stdout = reportsDigest.ReplaceAllString(res.stdout, "${1}<NOW-DEPENDENT>")
				if res.code != 0 && res.code != 7 {
					t.Errorf("%s: exit %d\n%s", name, res.code, res.stderr)
					continue
				}
				// Only deadlines and replay (and serve) open the views.
				opens := args[0] == "deadlines" || args[0] == "replay"
				if got := strings.Contains(res.stderr, "kept views cannot be used"); got != (cfg.note && opens) {
					t.Errorf("%s: stderr notes the kept views: %v, want %v\n%s", name, got, cfg.note && opens, res.stderr)
				}
				if cfg.name == "cache" {
					want[key] = res
					continue
				}
				if w := want[key]; res.stdout != w.stdout || res.code != w.code {
					t.Errorf("%s: exit %d and\n%s\nwant exit %d and\n%s", key, res.code, res.stdout, w.code, w.stdout)
				}
			}
		})
	}

	// Worked by hand: as of 2025-03-12T12:00Z fabrikam's customer notice,
	// due 72h after the declaration (2025-03-09T10:00Z), is overdue: exit 7.
	dl := want["deadlines --as-of 2025-03-12T12:00:00Z --json"]
	var v deadlineView
	if err := json.Unmarshal([]byte(dl.stdout), &v); err != nil {
		t.Fatal(err)
	}
	if o := byID(t, v.Deadlines)["customer-notice/fabrikam"]; dl.code != 7 || !v.Alert || o.Status != "overdue" || !o.DueAt.Equal(mustTime(t, "2025-03-12T10:00:00Z")) {
		t.Errorf("deadlines: exit %d, alert %v, fabrikam %+v; want 7, true, overdue due 2025-03-12T10:00:00Z", dl.code, v.Alert, o)
	}

	// The views were kept in one file under the cache directory, 0600 in
	// a 0700 directory, named after the ledger; at the position replay
	// gives; none under the others; and the ledger file holds none.
	files := keptFiles(t, cached)
	t.Setenv("XDG_CACHE_HOME", cached) // for keptFileOf
	if want := keptFileOf(t, c.ledger); len(files) != 1 || !strings.HasPrefix(filepath.Base(want), "contoso-cloud-ir-"+log[0].EventID+".") {
		t.Fatalf("kept files under %s: %v, want one: %s named after the ledger (contoso-cloud-ir-ORIGIN-ID.PATH-DIGEST.projections.db)", cached, files, want)
	}
	for path, mode := range map[string]os.FileMode{files[0]: 0o600, filepath.Dir(files[0]): 0o700} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v (%v), want mode %04o", path, fi.Mode(), err, mode)
		}
	}
	if got := keptFiles(t, untrusted); len(got) != 0 {
		t.Errorf("kept files under the untrusted directory: %v", got)
	}
	var replay replayResult
	if err := json.Unmarshal([]byte(want["replay --as-of 2025-04-01T00:00:00Z --json"].stdout), &replay); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+files[0]+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var position uint64
	if err := db.QueryRow(`SELECT value FROM rm_meta WHERE key = 'position'`).Scan(&position); err != nil || position != uint64(len(log)) || replay.Events != uint64(len(log)) || !replay.Compared || !replay.Same {
		t.Errorf("kept at position %d (%v); replay of %d events, compared %v, same %v; want all %d", position, err, replay.Events, replay.Compared, replay.Same, len(log))
	}
	// --cache naming the ledger file itself is refused (a usage error).
	for _, cmd := range []string{"deadlines", "replay"} {
		if r := c.run("auditor", cmd, "--cache", c.ledger); r.code != 2 || !strings.Contains(r.stderr, "never kept in the ledger") {
			t.Errorf("%s --cache LEDGER: exit %d\n%s%s", cmd, r.code, r.stdout, r.stderr)
		}
	}
	if tables := keptTables(t, c.ledger); len(tables) != 0 {
		t.Errorf("after the readers the ledger holds %v", tables)
	}

	// A damaged cache file: the same answer, from the log, and stderr says
	// what to do.
	db.Close()
	if err := os.WriteFile(files[0], []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"deadlines", "--as-of", "2025-03-12T12:00:00Z", "--json"}, {"replay", "--as-of", "2025-04-01T00:00:00Z", "--json"}} {
		key := strings.Join(args, " ")
		r := runBinary(t, "", []string{"BREACHLEDGER_INCIDENT=", "XDG_CACHE_HOME=" + cached}, append([]string{"--ledger", c.ledger, "--actor", "auditor"}, args...)...)
		got := reportsDigest.ReplaceAllString(string(placeholders([]byte(r.stdout), inc, log)), "${1}<NOW-DEPENDENT>")
		if w := want[key]; got != w.stdout || r.code != w.code || !strings.Contains(r.stderr, "kept views cannot be used") || !strings.Contains(r.stderr, "remove it") {
			t.Errorf("%s on a damaged cache file: exit %d\n%s%s\nwant exit %d and\n%s", key, r.code, got, r.stderr, w.code, w.stdout)
		}
	}

	// serve with nowhere to keep the views answers from memory: the
	// deadline alert the CLI gives.
	_, secret := issueToken(t, c, "siem")
	s := startServeEnv(t, c, "XDG_CACHE_HOME=", "HOME=")
	code, body := s.get(t, "GET", "/v1/deadlines?as_of=2025-03-12T12:00:00Z", secret)
	var hv deadlineView
	if err := json.Unmarshal(body, &hv); code != 200 || err != nil || !hv.Alert || byID(t, hv.Deadlines)["customer-notice/fabrikam"].Status != "overdue" {
		t.Errorf("serve without a cache: %d %v %s", code, err, body)
	}
}

// startServeEnv is startServe with env added to the server's environment.
func startServeEnv(t *testing.T, c *cli, env ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, "--ledger", c.ledger, "serve", "--listen", "127.0.0.1:0")
	cmd.Env = append(append(os.Environ(), "HOME="+home), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd}
	t.Cleanup(func() { s.stop(t) })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := listeningRE.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("serve printed %q (%v)", line, err)
	}
	go io.Copy(io.Discard, stdout)
	s.url = m[1]
	return s
}

// A writer drops the views an older build kept in the ledger file (made
// here by hand, with a forged "met" row that silenced an alarm); readers
// neither read nor drop them; migrate's target never has them.
func TestWriterDropsOldViews(t *testing.T) {
	c := newLedger(t)
	inc := runScenario(t, c)
	// As an older build left them: the four tables, an index, rows.
	db, err := sql.Open("sqlite", "file:"+c.ledger+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE rm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE rm_incidents (incident TEXT PRIMARY KEY, first_seq INTEGER NOT NULL) STRICT;
CREATE TABLE rm_deadlines (incident TEXT NOT NULL, ord INTEGER NOT NULL, status TEXT NOT NULL, open INTEGER NOT NULL, due_at INTEGER NOT NULL, PRIMARY KEY (incident, ord)) STRICT;
CREATE TABLE rm_facts_needed (incident TEXT NOT NULL, ord INTEGER NOT NULL, PRIMARY KEY (incident, ord)) STRICT;
CREATE INDEX rm_deadlines_open_due ON rm_deadlines (open, due_at);
INSERT INTO rm_meta VALUES ('version', '5'), ('position', '999');
INSERT INTO rm_deadlines VALUES ('` + inc + `', 3, 'met', 0, 0);`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	old := []string{"rm_deadlines", "rm_deadlines_open_due", "rm_facts_needed", "rm_incidents", "rm_meta"}
	for _, n := range readmodel.Tables {
		if !strings.HasPrefix(n, "rm_") {
			t.Fatalf("readmodel.Tables has %s", n)
		}
	}
	if got := keptTables(t, c.ledger); strings.Join(got, " ") != strings.Join(old, " ") {
		t.Fatalf("made %v", got)
	}
	// A reader reads around them: fabrikam's notice is overdue all the same.
	if r := c.run("auditor", "deadlines", "--as-of", "2025-03-12T12:00:00Z", "--overdue"); r.code != 7 || !strings.Contains(r.stdout, "customer-notice/fabrikam") {
		t.Errorf("deadlines --overdue beside the old views: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := keptTables(t, c.ledger); len(got) != len(old) {
		t.Errorf("a reader changed the old views: %v", got)
	}

	// migrate copies events only: its target never holds views.
	to := filepath.Join(t.TempDir(), "copy.db")
	c.ok("auditor", "migrate", "--from", c.ledger, "--to", to)
	if got := keptTables(t, to); len(got) != 0 {
		t.Errorf("migrate's target holds %v", got)
	}

	// The next writer drops them, and writes its fact as ever.
	start := time.Now()
	c.ok("sam", "note", inc, "the old views are gone", "--at", "2025-03-20T10:00:00Z")
	if got := keptTables(t, c.ledger); len(got) != 0 {
		t.Errorf("after a writer the ledger holds %v", got)
	}
	// With nothing left to drop, a writer only reads the schema.
	c.ok("sam", "note", inc, "and stay gone", "--at", "2025-03-20T10:01:00Z")
	if d := time.Since(start); d > time.Minute {
		t.Errorf("two notes took %s", d)
	}
	if out := c.ok("auditor", "verify"); !strings.Contains(out, "intact") {
		t.Errorf("verify after the drop:\n%s", out)
	}
}
