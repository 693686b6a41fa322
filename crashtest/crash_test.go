package crashtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
)

var binary, writerBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "breachledger-crash-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary, writerBin = filepath.Join(dir, "breachledger"), filepath.Join(dir, "writer")
	for pkg, out := range map[string]string{"../cmd/breachledger": binary, "./writer": writerBin} {
		cmd := exec.Command("go", "build", "-tags", "urfave_cli_no_docs", "-o", out, pkg) // as make build
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, b)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// ledgerEnv is a ledger file and the environment its CLI runs in.
type ledgerEnv struct {
	path string
	env  []string
}

func newLedgerEnv(t *testing.T) *ledgerEnv {
	dir := t.TempDir()
	return &ledgerEnv{path: filepath.Join(dir, "ledger.db"), env: append(os.Environ(),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "BREACHLEDGER_INCIDENT=", "BREACHLEDGER_LEDGER=", "BREACHLEDGER_LEDGER_KEY=")}
}

func (l *ledgerEnv) command(actor string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, append([]string{"--ledger", l.path, "--actor", actor}, args...)...)
	cmd.Env = l.env
	return cmd
}

// ok runs the CLI and returns its stdout, failing the test on a non-zero exit.
func (l *ledgerEnv) ok(t *testing.T, actor string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := l.command(actor, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("breachledger %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// TestDurablePragmas reads the SQLite settings back before the harness
// relies on them: a ledger made by the CLI is in WAL mode in the file
// itself (any connection sees it), and the store's connections run with
// synchronous=FULL, so an append that returned has been fsynced.
func TestDurablePragmas(t *testing.T) {
	l := newLedgerEnv(t)
	l.ok(t, "alice", "init", "--unsigned", "--name", "pragmas") // the store's pragmas, whoever signs

	db, err := sql.Open("sqlite", "file:"+l.path+"?mode=ro") // no pragmas of ours
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode of the ledger file = %q, want wal", mode)
	}

	st, err := sqlite.Open(context.Background(), l.path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for range 3 { // several connections of the pool
		journal, sync, err := st.Pragmas(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if journal != "wal" || sync != 2 {
			t.Errorf("store connection: journal_mode %q, synchronous %d; want wal, 2 (FULL)", journal, sync)
		}
	}
}

// soakConfig is how long the harness runs and how many kills it needs:
// a short form by default, minutes with BREACHLEDGER_SOAK (make soak).
func soakConfig(t *testing.T) (time.Duration, int) {
	d, kills := 4*time.Second, 12
	if s := os.Getenv("BREACHLEDGER_SOAK"); s != "" {
		v, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("BREACHLEDGER_SOAK=%q: %v", s, err)
		}
		d, kills = v, 200
	}
	if s := os.Getenv("BREACHLEDGER_SOAK_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("BREACHLEDGER_SOAK_KILLS=%q: %v", s, err)
		}
		kills = n
	}
	return d, kills
}

// acks gathers what writers were told had been appended.
type acks struct {
	mu       sync.Mutex
	events   map[string]bool // event IDs acknowledged
	appends  int
	cliKills atomic.Int64
	libKills atomic.Int64
	cliRuns  atomic.Int64
	failures []string
}

func (a *acks) add(ids ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.appends++
	for _, id := range ids {
		a.events[id] = true
	}
}

func (a *acks) fail(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failures = append(a.failures, fmt.Sprintf(format, args...))
}

func (a *acks) kills() int64 { return a.cliKills.Load() + a.libKills.Load() }

// TestCrashRecovery is the crash harness: CLI and library writers on one
// ledger, killed with SIGKILL at random moments and restarted.
func TestCrashRecovery(t *testing.T) {
	duration, minKills := soakConfig(t)
	l := newLedgerEnv(t)
	// Unsigned: what is under test is the store's durability across kills;
	// the library writer (crashtest/writer) records as oscar without an
	// SSH key, and signing changes nothing of what a kill can leave.
	l.ok(t, "alice", "init", "--unsigned", "--name", "crash", "--at", "2025-03-01T00:00:00Z")
	// The writers record facts of 2025 now: widen the backdate-window.
	l.ok(t, "alice", "setting", "backdate-window", "36500d", "--at", "2025-03-01T00:00:00Z", "--reason", "a 2025 history recorded now")
	l.ok(t, "alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:00:00Z")
	keyPath := strings.TrimSpace(l.ok(t, "alice", "key", "path"))
	detect := func(summary string) string {
		return strings.TrimSpace(l.ok(t, "oscar", "detect", "-q", "--source", "operator-escalation", "--summary", summary, "--at", "2025-03-07T00:00:00Z"))
	}
	cliIncidents := []string{detect("CLI writer 0"), detect("CLI writer 1")}
	libIncidents := []string{detect("library writer 0"), detect("library writer 1")}

	a := &acks{events: map[string]bool{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup

	// CLI writers: one process per append; about half are killed after a
	// random delay (during start-up, reads, the append, the checkpoint or
	// the output).
	for w, inc := range cliIncidents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				args := []string{"note", inc, fmt.Sprintf("cli %d note %d", w, n), "--json"}
				if rand.IntN(5) == 0 { // a two-event append: detection and rule pack
					args = []string{"detect", "--source", "customer-report", "--summary", fmt.Sprintf("cli %d incident %d", w, n), "--json"}
				}
				cliRun(a, l, args, rand.IntN(2) == 0)
			}
		}()
	}
	// Library writers: long-lived processes killed every 20-300 ms and
	// started again.
	for w, inc := range libIncidents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				libRun(a, l, keyPath, fmt.Sprintf("lib%d", w), inc, time.Duration(20+rand.IntN(280))*time.Millisecond)
			}
		}()
	}

	start := time.Now()
	for time.Since(start) < duration || a.kills() < int64(minKills) {
		time.Sleep(50 * time.Millisecond)
		if time.Since(start) > duration+10*time.Minute {
			break
		}
	}
	close(stop)
	wg.Wait()
	for _, f := range a.failures {
		t.Error(f)
	}
	t.Logf("%s: %d kills (%d CLI processes of %d, %d library writers), %d acknowledged appends (%d events)",
		time.Since(start).Round(time.Millisecond), a.kills(), a.cliKills.Load(), a.cliRuns.Load(), a.libKills.Load(), a.appends, len(a.events))
	if a.kills() < int64(minKills) {
		t.Fatalf("%d kills, want at least %d", a.kills(), minKills)
	}

	// A killed writer may have appended without signing its checkpoint:
	// the next writer does, as the harness's last (clean) run does here.
	l.ok(t, "alice", "checkpoint")
	checkLedger(t, l, a, libIncidents[0])
}

// cliRun runs one CLI writer process, killing it after a random delay
// when kill is set, and records its acknowledgement when it exits 0.
func cliRun(a *acks, l *ledgerEnv, args []string, kill bool) {
	cmd := l.command("oscar", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		a.fail("start %v: %v", args, err)
		return
	}
	a.cliRuns.Add(1)
	if kill {
		t := time.AfterFunc(time.Duration(rand.IntN(30_000))*time.Microsecond, func() { cmd.Process.Signal(syscall.SIGKILL) })
		defer t.Stop()
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		a.cliKills.Add(1)
		return
	}
	if err != nil {
		a.fail("breachledger %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		return
	}
	var out struct {
		Events []struct {
			EventID string `json:"event_id"`
		} `json:"events"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || len(out.Events) == 0 {
		a.fail("breachledger %s: exit 0 with output %q", strings.Join(args, " "), stdout.String())
		return
	}
	ids := make([]string, len(out.Events))
	for i, e := range out.Events {
		ids[i] = e.EventID
	}
	a.add(ids...)
}

// libRun runs the library writer for about life, then kills it, recording
// every append it acknowledged before.
func libRun(a *acks, l *ledgerEnv, keyPath, name, incident string, life time.Duration) {
	cmd := exec.Command(writerBin, "-ledger", l.path, "-ledger-key", keyPath, "-name", name, "-incident", incident)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		a.fail("writer: %v", err)
		return
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		a.fail("start writer: %v", err)
		return
	}
	t := time.AfterFunc(life, func() { cmd.Process.Signal(syscall.SIGKILL) })
	defer t.Stop()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		ids, ok := strings.CutPrefix(line, "ACK ")
		if !ok {
			a.fail("writer %s printed %q", name, line)
			continue
		}
		a.add(strings.Split(ids, ",")...)
	}
	cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		a.libKills.Add(1)
		return
	}
	a.fail("writer %s ended by itself (%v):\n%s", name, cmd.ProcessState, stderr.String())
}

// libNote matches a library writer's note: "NAME NONCE I/K".
type libNote struct {
	append string // NAME NONCE
	i, k   int
}

func parseLibNote(text string) (libNote, bool) {
	f := strings.Fields(text)
	if len(f) != 3 || !strings.HasPrefix(f[0], "lib") {
		return libNote{}, false
	}
	var n libNote
	if _, err := fmt.Sscanf(f[2], "%d/%d", &n.i, &n.k); err != nil {
		return libNote{}, false
	}
	n.append = f[0] + " " + f[1]
	return n, true
}

// checkLedger checks what the crashes left.
func checkLedger(t *testing.T, l *ledgerEnv, a *acks, incident string) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, l.path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var recs []eventstore.Record
	for r, err := range eventstore.All(ctx, st, 0) {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}

	// The ledger sequence and every stream's revisions have no gaps.
	present := map[string]bool{}
	byStream := map[string][]eventstore.Record{}
	for i, r := range recs {
		if r.Sequence != uint64(i) {
			t.Fatalf("record %d has sequence %d: a gap or a repeat", i, r.Sequence)
		}
		if r.Revision != uint64(len(byStream[r.Stream])) {
			t.Errorf("%s: revision %d at position %d of the stream: a gap or a repeat", r.Stream, r.Revision, len(byStream[r.Stream]))
		}
		byStream[r.Stream] = append(byStream[r.Stream], r)
		present[r.ID.String()] = true
	}

	// Every acknowledged append is there.
	lost := 0
	for id := range a.events {
		if !present[id] {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged event %s is missing", id)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged events are missing", lost, len(a.events))
	}

	// No multi-event append is there in part: each library append's k
	// notes are all there, in order, at consecutive sequences; each CLI
	// detection is followed by its rule pack.
	libAppends := map[string][]eventstore.Record{}
	unacked := 0
	for _, r := range recs {
		if !a.events[r.ID.String()] {
			unacked++
		}
		switch r.Type {
		case "NoteAdded":
			e, err := domain.Decode(r.Type, r.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if n, ok := parseLibNote(e.(domain.NoteAdded).Text); ok {
				libAppends[n.append] = append(libAppends[n.append], r)
			}
		case "IncidentDetected":
			s := byStream[r.Stream]
			if r.Revision != 0 || len(s) < 2 || s[1].Type != "PackPinned" || s[1].Sequence != r.Sequence+1 {
				t.Errorf("%s: the detection at sequence %d is not followed by its rule pack: a partial append", r.Stream, r.Sequence)
			}
		}
	}
	for name, rs := range libAppends {
		for i, r := range rs {
			e, _ := domain.Decode(r.Type, r.Payload)
			n, _ := parseLibNote(e.(domain.NoteAdded).Text)
			if n.i != i+1 || len(rs) != n.k || r.Sequence != rs[0].Sequence+uint64(i) {
				t.Errorf("append %q: %d of its %d notes stored, note %d/%d at sequence %d: a partial append", name, len(rs), n.k, n.i, n.k, r.Sequence)
				break
			}
		}
	}
	t.Logf("ledger: %d events in %d streams, %d multi-event library appends; %d events landed without an acknowledgement (their writer was killed after the commit)",
		len(recs), len(byStream), countMulti(libAppends), unacked)

	// verify passes.
	var out bytes.Buffer
	cmd := l.command("auditor", "verify")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("verify after the crashes: %v\n%s", err, out.String())
	}

	// Projections rebuild to the same digests: on the ledger twice, and on
	// a copy made by migrate (a fresh file, every record imported again).
	// A fixed cut after every write, so that every incident is in view
	// and all rebuilds evaluate the same instant.
	cut := time.Now().UTC().Add(time.Second).Format(time.RFC3339Nano)
	digest := func(path string) string {
		h := sha256.New()
		for _, args := range [][]string{
			{"list", "--json"},
			{"deadlines", "--json"},
			{"timeline", incident, "--json"},
		} {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(binary, append([]string{"--ledger", path}, append(args, "--as-of", cut, "--known-at", cut)...)...)
			cmd.Env, cmd.Stdout, cmd.Stderr = l.env, &stdout, &stderr
			if err := cmd.Run(); err != nil {
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
					t.Fatalf("%s on %s: %v\n%s", args[0], path, err, stderr.String())
				}
			}
			h.Write(stdout.Bytes())
		}
		return fmt.Sprintf("%x", h.Sum(nil))
	}
	first := digest(l.path)
	if again := digest(l.path); again != first {
		t.Errorf("projections of the same ledger differ between two rebuilds: %s, %s", first, again)
	}
	cp := filepath.Join(t.TempDir(), "copy.db")
	l.ok(t, "alice", "migrate", "--from", l.path, "--to", cp)
	if got := digest(cp); got != first {
		t.Errorf("projections rebuilt from a migrated copy differ: %s, want %s", got, first)
	}
}

func countMulti(m map[string][]eventstore.Record) int {
	n := 0
	for _, rs := range m {
		if len(rs) > 1 {
			n++
		}
	}
	return n
}
