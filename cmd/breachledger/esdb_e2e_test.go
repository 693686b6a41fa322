package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/ledger"
)

// realESDBEnv names a real EventStoreDB/KurrentDB server to run the
// scenario against as well, e.g. esdb://localhost:2113?tls=false.
const realESDBEnv = "BREACHLEDGER_ESDB_URL"

// newESDBLedger starts an EventStoreDB test server in this process and
// returns the CLI on a ledger there: --ledger esdb://127.0.0.1:PORT?tls=false.
func newESDBLedger(tb testing.TB) (*cli, *esdbtest.Server) {
	srv := esdbtest.Start(tb, esdbtest.Options{})
	c := &cli{tb: tb, ledger: srv.URL()}
	tb.Cleanup(func() { forgetPinsAt(c, srv.Addr()) })
	return c, srv
}

// forgetPinsAt removes the pins of the ledgers served at addr: the tests
// share one pin file, and a later test server may get the same port, so
// the same location, for a ledger of another origin.
func forgetPinsAt(c *cli, addr string) {
	var pins []struct {
		Origin   string `json:"origin"`
		Location string `json:"location"`
	}
	r := c.run("auditor", "pin", "list", "--json")
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &pins) != nil {
		return // nothing pinned, or no pin file
	}
	for _, p := range pins {
		if strings.Contains(p.Location, addr) {
			c.run("auditor", "pin", "remove", p.Origin)
		}
	}
}

// realESDBLedger returns the CLI on a new ledger (a fresh prefix) of the
// real server named by BREACHLEDGER_ESDB_URL, or skips.
func realESDBLedger(tb testing.TB) *cli {
	url := os.Getenv(realESDBEnv)
	if url == "" {
		tb.Skipf("no real EventStoreDB/KurrentDB server: set %s (e.g. esdb://localhost:2113?tls=false) to run this test against one", realESDBEnv)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return &cli{tb: tb, ledger: url + sep + "prefix=bltest-" + uuid.NewString() + "/"}
}

// TestScenarioESDB records the scenario through the binary into
// EventStoreDB (the protocol test server) and checks the readers against
// the same golden files and hand-computed values as on SQLite.
func TestScenarioESDB(t *testing.T) {
	c, _ := newESDBLedger(t)
	testScenario(t, c)
}

func TestScenarioRealESDB(t *testing.T) { testScenario(t, realESDBLedger(t)) }

// TestConcurrentWritersESDB: processes appending to one incident through
// EventStoreDB at once all land (conflicts are retried), and the
// incident's revisions stay gap-free.
func TestConcurrentWritersESDB(t *testing.T) {
	c, _ := newESDBLedger(t)
	testConcurrentWriters(t, c)
}

func TestConcurrentWritersRealESDB(t *testing.T) { testConcurrentWriters(t, realESDBLedger(t)) }

// migrateEvents is the size of the ledger TestMigrateRoundTrip copies:
// 10,000 events, or migrateEventsRace under the race detector.
func migrateEvents() uint64 {
	if migrateEventsRace > 0 {
		return migrateEventsRace
	}
	return 10_000
}

// TestMigrateRoundTrip copies a 10,000-event ledger (2,000 under the race
// detector; make test runs both) from SQLite to
// EventStoreDB and back to SQLite with the binary, killing each migrate
// process (SIGKILL) halfway and running it again: the resumed copy checks
// what is there and finishes, both runs report the source's history
// digest, and the final SQLite ledger is the source, event for event.
func TestMigrateRoundTrip(t *testing.T) {
	src := newLedger(t)
	inc := runScenario(t, src)
	src.ok("alice", "grant", "ned", "responder", "--at", "2025-04-01T00:00:00Z")
	src.register("2025-04-01T00:00:00Z", "ned")
	filler := strings.TrimSpace(src.ok("ned", "detect", "-q", "--source", "operator-escalation", "--summary", "bulk notes", "--at", "2025-04-01T00:00:00Z"))
	n := addNotes(t, src.ledger, filler, migrateEvents())

	want := sourceDigest(t, src.ledger)
	es, srv := newESDBLedger(t)
	killHalfway(t, src.ledger, es.ledger, n)
	if got := esdbHead(t, srv); got == 0 || got >= n {
		t.Fatalf("after the kill the target holds %d of %d events: not interrupted halfway", got, n)
	}
	rep := migrate(t, src.ledger, es.ledger)
	checkReport(t, rep, n, want)
	if rep.Present == 0 || rep.Copied == 0 {
		t.Errorf("resumed migrate: %d already there, %d copied; want both non-zero", rep.Present, rep.Copied)
	}

	final := &cli{tb: t, ledger: filepath.Join(t.TempDir(), "final.db")}
	killHalfway(t, es.ledger, final.ledger, n)
	rep = migrate(t, es.ledger, final.ledger)
	checkReport(t, rep, n, want)

	// Nothing left to do: a third run copies nothing and verifies again.
	if rep := migrate(t, es.ledger, final.ledger); rep.Copied != 0 || rep.Present != n || rep.Digest != want {
		t.Errorf("migrate of a complete copy = %+v, want nothing copied, %d present, digest %s", rep, n, want)
	}

	// Event for event: the raw log, every field, is the same on all three.
	srcLog := src.run("auditor", "log", "--json").stdout
	for _, c := range []*cli{es, final} {
		if got := c.run("auditor", "log", "--json").stdout; got != srcLog {
			t.Errorf("log --json of %s differs from the source's:\n%s", c.ledger, firstDiff(srcLog, got))
		}
		for _, args := range [][]string{
			{"show", inc, "--as-of", "2025-03-12T12:00:00Z", "--json"},
			{"timeline", inc, "--as-of", "2025-04-01T00:00:00Z", "--json"},
			{"deadlines", "--as-of", "2025-03-12T12:00:00Z", "--json"},
		} {
			// known_at defaults to now: the one field that may differ.
			got := storeTimes.ReplaceAllString(c.run("auditor", args...).stdout, "")
			want := storeTimes.ReplaceAllString(src.run("auditor", args...).stdout, "")
			if got != want {
				t.Errorf("%s on %s differs from the source:\n%s", args[0], c.ledger, firstDiff(want, got))
			}
		}
	}
}

// addNotes appends notes to an incident directly through the store, in
// batches, until the ledger holds total events, and returns its size.
func addNotes(tb testing.TB, path, incident string, total uint64) uint64 {
	tb.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	head, err := s.Head(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	stream := domain.IncidentStream(incident)
	last, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{From: eventstore.End, Backwards: true, Limit: 1})
	if err != nil {
		tb.Fatal(err)
	}
	length := last[0].Revision + 1
	at := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	cpr := ledger.Checkpointer{Store: s, Key: testLedgerKey(tb, s)} // every append on SQLite carries its checkpoint
	for head < total {
		batch := make([]eventstore.Record, min(500, total-head))
		for i := range batch {
			typ, payload, err := domain.Encode(domain.NoteAdded{Text: fmt.Sprintf("note %d", head+uint64(i))})
			if err != nil {
				tb.Fatal(err)
			}
			batch[i] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: typ, OccurredAt: at.Add(time.Duration(head+uint64(i)) * time.Second), Actor: "ned", Payload: payload}
		}
		got, _, err := cpr.Append(ctx, stream, eventstore.After(length), batch)
		if err != nil {
			tb.Fatal(err)
		}
		length += uint64(len(got))
		head += uint64(len(got))
	}
	return head
}

func sourceDigest(tb testing.TB, path string) string {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	n, err := s.Head(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	sum, err := ledger.HistoryDigest(context.Background(), s, n)
	if err != nil {
		tb.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(sum[:])
}

func esdbHead(tb testing.TB, srv *esdbtest.Server) uint64 {
	tb.Helper()
	s, err := esdb.Open(context.Background(), srv.URL(), esdb.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	n, err := s.Head(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

var progressRE = regexp.MustCompile(`^migrate: (\d+) of (\d+) events in the target$`)

// killHalfway runs migrate from → to in small batches and kills the
// process (SIGKILL) once it reports half the events copied.
func killHalfway(tb testing.TB, from, to string, total uint64) {
	tb.Helper()
	cmd := exec.Command(binary, "migrate", "--from", from, "--to", to, "--batch", "100")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	killed := false
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		m := progressRE.FindStringSubmatch(sc.Text())
		if m == nil || killed {
			continue
		}
		if done, _ := strconv.ParseUint(m[1], 10, 64); done >= total/2 {
			if err := cmd.Process.Kill(); err != nil {
				tb.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		tb.Fatalf("migrate %s → %s ended (%v) before it was killed:\n%s", from, to, err, strings.Join(lines, "\n"))
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
		tb.Fatalf("migrate after SIGKILL: %v, want killed by a signal", err)
	}
}

type migrateReport struct {
	Events  uint64 `json:"events"`
	Present uint64 `json:"already_present"`
	Copied  uint64 `json:"copied"`
	Digest  string `json:"history_digest"`
}

func migrate(tb testing.TB, from, to string) migrateReport {
	tb.Helper()
	cmd := exec.Command(binary, "migrate", "--from", from, "--to", to, "--json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("migrate %s → %s: %v\n%s", from, to, err, stderr.String())
	}
	var rep migrateReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		tb.Fatalf("migrate output: %v\n%s", err, stdout.String())
	}
	return rep
}

func checkReport(tb testing.TB, rep migrateReport, n uint64, digest string) {
	tb.Helper()
	if rep.Events != n || rep.Present+rep.Copied != n || rep.Digest != digest {
		tb.Errorf("migrate = %+v, want %d events (present + copied) with digest %s", rep, n, digest)
	}
}

// firstDiff shows where two long outputs first differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		if i >= len(al) || i >= len(bl) || al[i] != bl[i] {
			lo := max(0, i-3)
			return cmp.Diff(strings.Join(al[lo:min(len(al), i+4)], "\n"), strings.Join(bl[lo:min(len(bl), i+4)], "\n"))
		}
	}
	return "(equal)"
}

// TestMigrateRefusesOtherLedger: a target that holds another ledger is
// not overwritten or mixed: migrate exits 6 and says why.
func TestMigrateRefusesOtherLedger(t *testing.T) {
	a, b := newLedger(t), newLedger(t)
	a.ok("alice", "init", "--name", "a", "--at", "2025-03-01T00:00:00Z")
	b.ok("alice", "init", "--name", "b", "--at", "2025-03-01T00:00:00Z")
	before := b.dump()
	cmd := exec.Command(binary, "migrate", "--from", a.ledger, "--to", b.ledger)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 6 {
		t.Fatalf("migrate onto another ledger: %v, want exit 6\n%s", err, out)
	}
	if !strings.Contains(string(out), "not the source's") {
		t.Errorf("migrate onto another ledger said:\n%s", out)
	}
	if after := b.dump(); after != before {
		t.Errorf("the target changed:\n%s", cmp.Diff(before, after))
	}
}
