//go:build linux

package main_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// Issue 11: SIGINT and SIGTERM end the CLI and serve cleanly. An append is
// finished or not begun, never half: a writer stopped before its append
// exits 130 (SIGINT) or 143 (SIGTERM) saying nothing was appended; one
// whose append had begun finishes it, its checkpoint and its answer, exits
// 0 and says the signal came too late to stop it. serve stops taking
// requests, lets those in flight finish and exits 0. After every run the
// ledger verifies and every event is covered by a checkpoint.

// proc is the binary started in the background, to be signalled.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

func (c *cli) start(actor string, args ...string) *proc {
	c.tb.Helper()
	p := &proc{cmd: exec.Command(binary, append([]string{"--ledger", c.ledger, "--actor", actor}, args...)...)}
	p.cmd.Env = append(append(os.Environ(), "BREACHLEDGER_INCIDENT="), c.env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		c.tb.Fatal(err)
	}
	return p
}

// ending is how a process ended: its exit code, or the signal that killed
// it (code -1).
type ending struct {
	code   int
	killed syscall.Signal
}

func (e ending) String() string {
	if e.code == -1 {
		return "killed by " + sigName(e.killed)
	}
	return fmt.Sprintf("exit %d", e.code)
}

func (p *proc) wait(tb testing.TB) ending {
	tb.Helper()
	err := p.cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return ending{}
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return ending{code: -1, killed: ws.Signal()}
		}
		return ending{code: ee.ExitCode()}
	}
	tb.Fatal(err)
	return ending{}
}

// verified runs verify --json and fails unless the ledger is intact and
// every event is covered by a checkpoint; it returns the event count.
func verified(tb testing.TB, c *cli) uint64 {
	tb.Helper()
	r := c.run("auditor", "verify", "--json")
	var v struct {
		OK      bool   `json:"ok"`
		Events  uint64 `json:"events"`
		Covered uint64 `json:"covered"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); r.code != 0 || err != nil || !v.OK {
		tb.Fatalf("verify: exit %d (%v)\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if v.Covered != v.Events {
		tb.Fatalf("verify: %d events, %d covered by a checkpoint: an append was left without its checkpoint", v.Events, v.Covered)
	}
	return v.Events
}

func exitFor(sig syscall.Signal) int { return 128 + int(sig) }

func sigName(sig syscall.Signal) string {
	if sig == syscall.SIGINT {
		return "SIGINT"
	}
	return "SIGTERM"
}

// stoppedLine is what a command stopped before its append says, all it says.
func stoppedLine(sig syscall.Signal) string {
	return "breachledger: interrupted by " + sigName(sig) + " before it finished: nothing was appended\n"
}

// finishedLine is what a writer says when the signal came once its append
// had begun.
func finishedLine(sig syscall.Signal) string {
	return "breachledger: " + sigName(sig) + " arrived after the append had begun: it was finished, and what is printed above is recorded\n"
}

var noteLineRE = regexp.MustCompile(`: note — (.*) \[seq (\d+), event ([0-9a-f-]{36})\]`)

// signalLedger records a ledger with one incident through the binary.
func signalLedger(t *testing.T, c *cli) string {
	t.Helper()
	c.ok("alice", "init", "--name", "signals", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:01:00Z", "oscar")
	return strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "signals", "--at", "2025-03-07T10:00:00Z"))
}

// span is how long an uninterrupted run takes here, the median of a few:
// the signals are sent at random moments up to a little past it. (It only
// aims the signals; nothing is asserted about time.)
func span(t *testing.T, run func(i int)) time.Duration {
	t.Helper()
	var took []time.Duration
	for i := range 7 {
		start := time.Now()
		run(i)
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	return took[len(took)/2] * 12 / 10
}

// TestSignalAppend sends SIGTERM (and every fourth time SIGINT) to a
// writer at a random moment of its run, many times: before its signal
// handler is set, while it loads and decides, while it appends, while it
// prints. Each run ends in one of the allowed ways and the ledger says the
// same: appended and said so (exit 0, the note in the ledger once, at the
// sequence printed), or stopped with nothing appended (130/143 and one
// line saying so, or killed by the signal before the program began, with
// no output at all); and the ledger verifies, everything in it covered by
// a checkpoint.
func TestSignalAppend(t *testing.T) {
	runs := 120
	if testing.Short() {
		runs = 30
	}
	c := newLedger(t)
	inc := signalLedger(t, c)
	d := span(t, func(i int) { c.ok("oscar", "note", inc, fmt.Sprintf("timing %d", i)) })
	events := verified(t, c)

	var landed, landedNoted, stopped, killedEarly, tooLate int
	for i := range runs {
		sig := syscall.SIGTERM
		if i%4 == 3 {
			sig = syscall.SIGINT
		}
		text := fmt.Sprintf("run %d", i)
		delay := time.Duration(rand.Int64N(int64(d) + 1))
		p := c.start("oscar", "note", inc, text)
		time.Sleep(delay)
		sent := p.cmd.Process.Signal(sig) == nil
		end := p.wait(t)
		out, errOut := p.stdout.String(), p.stderr.String()
		desc := fmt.Sprintf("run %d: %s after %v: %v\nstdout: %q\nstderr: %q", i, sigName(sig), delay, end, out, errOut)
		after := verified(t, c)
		switch {
		case end.code == 0:
			m := noteLineRE.FindStringSubmatch(out)
			if m == nil || m[1] != text || m[2] != fmt.Sprint(events) {
				t.Fatalf("%s\nexit 0 without printing the note at sequence %d", desc, events)
			}
			if after != events+1 {
				t.Fatalf("%s\nexit 0, but the ledger went from %d to %d events", desc, events, after)
			}
			switch {
			case !sent:
				tooLate++
			case errOut == finishedLine(sig):
				landedNoted++
			case errOut == "":
				landed++ // the process had ended when the signal came (not yet reaped)
			default:
				t.Fatalf("%s\nexit 0 with an unexpected message", desc)
			}
		case end.code == exitFor(sig):
			if errOut != stoppedLine(sig) || out != "" {
				t.Fatalf("%s\nwant only %q", desc, stoppedLine(sig))
			}
			if after != events {
				t.Fatalf("%s\nsaid nothing was appended, but the ledger went from %d to %d events", desc, events, after)
			}
			stopped++
		case end.code == -1 && end.killed == sig:
			// The signal came before main had set its handler: the
			// program had done nothing yet.
			if out != "" || errOut != "" || after != events {
				t.Fatalf("%s\nkilled by the signal after it began (ledger %d → %d events)", desc, events, after)
			}
			killedEarly++
		default:
			t.Fatalf("%s\nnot an allowed ending", desc)
		}
		events = after
	}
	t.Logf("%d runs, signals within %v: appended %d (%d with the signal noted, %d after it had ended), stopped with nothing appended %d, killed before the handler was set %d, ended before the signal %d",
		runs, d, landed+landedNoted, landedNoted, landed, stopped, killedEarly, tooLate)
	if stopped == 0 {
		t.Errorf("no run was stopped by its signal (130/143): the signals did not reach the commands while they ran")
	}
}

// holdWriteLock takes the SQLite write lock of the ledger file (BEGIN
// IMMEDIATE) from this process, as another writer would; release rolls
// it back.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Error(err)
		}
		conn.Close()
		db.Close()
	}
	t.Cleanup(release)
	return release
}

// TestSignalDuringAppend signals a writer while its append waits for the
// ledger's write lock (another process holds it): the append had begun,
// so the writer finishes it once the lock is free, checkpoint and answer
// included, exits 0 and says the signal came too late to stop it. If the
// writer had not reached its append yet when the signal came, it stops
// with nothing appended, and the test waits longer before signalling.
func TestSignalDuringAppend(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sigName(sig), func(t *testing.T) {
			c := newLedger(t)
			inc := signalLedger(t, c)
			events := verified(t, c)
			for wait := 200 * time.Millisecond; ; wait *= 2 {
				if wait > 4*time.Second {
					t.Fatal("the writer never reached its append while the lock was held")
				}
				text := fmt.Sprintf("signalled after %v", wait)
				release := holdWriteLock(t, c.ledger)
				p := c.start("oscar", "note", inc, text)
				time.Sleep(wait) // the writer loads, decides and waits for the lock
				if err := p.cmd.Process.Signal(sig); err != nil {
					t.Fatalf("the writer ended while the lock was held: %v\n%s%s", err, &p.stdout, &p.stderr)
				}
				time.Sleep(100 * time.Millisecond) // the signal reaches it while it waits
				release()
				end := p.wait(t)
				after := verified(t, c)
				desc := fmt.Sprintf("%v\nstdout: %q\nstderr: %q", end, &p.stdout, &p.stderr)
				if end.code == exitFor(sig) && p.stderr.String() == stoppedLine(sig) && after == events {
					t.Logf("signalled after %v: stopped before its append; waiting longer", wait)
					continue
				}
				m := noteLineRE.FindStringSubmatch(p.stdout.String())
				if end.code != 0 || m == nil || m[1] != text || p.stderr.String() != finishedLine(sig) {
					t.Fatalf("%s\nwant exit 0, the note printed and %q", desc, finishedLine(sig))
				}
				if after != events+1 || m[2] != fmt.Sprint(events) {
					t.Fatalf("%s\nthe ledger went from %d to %d events", desc, events, after)
				}
				return
			}
		})
	}
}

// TestSignalDuringAppendESDB signals a writer on EventStoreDB while the
// server is storing its append (the test server holds it there until the
// signal was sent). The writer finishes the append and then the
// checkpoint EventStoreDB cannot store with it, exits 0 and says so; the
// ledger verifies with every event covered.
func TestSignalDuringAppendESDB(t *testing.T) {
	c, srv := newESDBLedger(t)
	inc := signalLedger(t, c)
	events := verified(t, c)

	var armed atomic.Bool
	entered, release := make(chan struct{}), make(chan struct{})
	srv.Memory().SetClock(func() time.Time {
		if inWrite() && armed.CompareAndSwap(true, false) {
			close(entered)
			select {
			case <-release:
			case <-time.After(time.Minute): // never hang the server
			}
		}
		return time.Now()
	})
	armed.Store(true)
	p := c.start("oscar", "note", inc, "signalled while stored")
	select {
	case <-entered:
	case <-time.After(time.Minute):
		t.Fatalf("the append never reached the server\n%s%s", &p.stdout, &p.stderr)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the signal reaches the writer while the server holds its append
	close(release)
	end := p.wait(t)
	m := noteLineRE.FindStringSubmatch(p.stdout.String())
	if end.code != 0 || m == nil || p.stderr.String() != finishedLine(syscall.SIGTERM) {
		t.Fatalf("%v\nstdout: %q\nstderr: %q\nwant exit 0, the note printed and %q", end, &p.stdout, &p.stderr, finishedLine(syscall.SIGTERM))
	}
	if after := verified(t, c); after != events+1 {
		t.Fatalf("the ledger went from %d to %d events", events, after)
	}
	if n := noteCounts(t, c)["signalled while stored"]; n != 1 {
		t.Fatalf("the note is in the ledger %d times", n)
	}
}

// TestSignalInit signals init at random moments: a new ledger is made
// whole (its first event, its key, its first checkpoint: verify passes) or
// not at all (130/143, or killed before the program began), and then init
// runs again as on a fresh file.
func TestSignalInit(t *testing.T) {
	runs := 30
	if testing.Short() {
		runs = 10
	}
	dir := t.TempDir()
	d := span(t, func(i int) {
		c := &cli{tb: t, ledger: filepath.Join(dir, fmt.Sprintf("timing-%d.db", i)), strictBackdating: true}
		c.ok("alice", "init", "--name", "timing")
	})
	var made, stopped, killedEarly int
	for i := range runs {
		sig := syscall.SIGTERM
		if i%3 == 2 {
			sig = syscall.SIGINT
		}
		c := &cli{tb: t, ledger: filepath.Join(dir, fmt.Sprintf("ledger-%d.db", i)), strictBackdating: true}
		delay := time.Duration(rand.Int64N(int64(d) + 1))
		p := c.start("alice", "init", "--name", "signals")
		time.Sleep(delay)
		p.cmd.Process.Signal(sig)
		end := p.wait(t)
		desc := fmt.Sprintf("run %d: %s after %v: %v\nstdout: %q\nstderr: %q", i, sigName(sig), delay, end, &p.stdout, &p.stderr)
		switch {
		case end.code == 0:
			if !strings.Contains(p.stdout.String(), "ledger key: ") {
				t.Fatalf("%s\ninit exited 0 without making the key", desc)
			}
			if e := p.stderr.String(); e != "" && e != finishedLine(sig) {
				t.Fatalf("%s\nexit 0 with an unexpected message", desc)
			}
			if n := verified(t, c); n != 2 { // initialised, and alice's key registered
				t.Fatalf("%s\nthe new ledger has %d events", desc, n)
			}
			made++
			continue
		case end.code == exitFor(sig) && p.stderr.String() == stoppedLine(sig) && p.stdout.String() == "":
			stopped++
		case end.code == -1 && end.killed == sig && p.stdout.Len()+p.stderr.Len() == 0:
			killedEarly++
		default:
			t.Fatalf("%s\nnot an allowed ending", desc)
		}
		// Nothing was made that stands in the way: init runs as on a
		// fresh file, and the ledger is whole.
		if r := c.run("alice", "init", "--name", "signals"); r.code != 0 {
			t.Fatalf("%s\ninit again: exit %d: it left a ledger half made\n%s", desc, r.code, r.stderr)
		}
		if n := verified(t, c); n != 2 {
			t.Fatalf("%s\ninit again: the ledger has %d events", desc, n)
		}
	}
	t.Logf("%d runs, signals within %v: ledger made %d, stopped with nothing appended %d, killed before the handler was set %d", runs, d, made, stopped, killedEarly)
}

// servedProc is "breachledger serve" with its log lines as they come.
type servedProc struct {
	cmd  *exec.Cmd
	url  string
	logs chan string
}

func startServeLogged(t *testing.T, c *cli) *servedProc {
	t.Helper()
	cmd := exec.Command(binary, "--ledger", c.ledger, "serve", "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), c.env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	s := &servedProc{cmd: cmd, logs: make(chan string, 100)}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := listeningRE.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("serve printed %q (%v)", line, err)
	}
	s.url = m[1]
	go io.Copy(io.Discard, stdout)
	go func() {
		defer close(s.logs)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), `msg="host check"`) {
				continue // said once at start: which Hosts are served
			}
			s.logs <- sc.Text()
		}
	}()
	return s
}

// next returns the next log line, or fails after a long wait (serve hung).
func (s *servedProc) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-s.logs:
		if !ok {
			t.Fatal("serve closed its log")
		}
		return l
	case <-time.After(time.Minute):
		t.Fatal("serve logged nothing for a minute")
	}
	return ""
}

// TestSignalServe sends serve SIGTERM (and SIGINT) while a request is in
// flight: the request waits for the write lock of the kept read models'
// file, held by another process, to catch them up. serve stops taking requests, lets
// that one finish with its whole answer, logs it after the shutdown began,
// and exits 0; the listener is closed and the ledger verifies.
func TestSignalServe(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sigName(sig), func(t *testing.T) {
			c := newLedger(t)
			inc := signalLedger(t, c)
			_, secret := issueToken(t, c, "job")
			s := startServeLogged(t, c)
			client := &http.Client{Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			get := func() (int, []byte, error) {
				req, _ := http.NewRequest("GET", s.url+"/v1/position", nil)
				req.Header.Set("Authorization", "Bearer "+secret)
				resp, err := client.Do(req)
				if err != nil {
					return 0, nil, err
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				return resp.StatusCode, b, err
			}
			if code, body, err := get(); code != 200 || err != nil {
				t.Fatalf("first request: %d %v %s", code, err, body)
			}
			if l := s.next(t); !strings.Contains(l, "msg=request") || !strings.Contains(l, "status=200") {
				t.Fatalf("log: %s", l)
			}
			// A new event, so the next request must write the read
			// models: it waits for the lock of their file (in the cache:
			// keptcache_e2e_test.go).
			c.ok("oscar", "note", inc, "after the first request")
			events := verified(t, c)
			release := holdWriteLock(t, keptFileOf(t, c.ledger))
			type answer struct {
				code int
				body []byte
				err  error
			}
			answered := make(chan answer, 1)
			go func() {
				code, body, err := get()
				answered <- answer{code, body, err}
			}()
			time.Sleep(200 * time.Millisecond) // the request reaches the server and waits
			if err := s.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if l := s.next(t); !strings.Contains(l, `msg="shutting down: no new requests`) || !strings.Contains(l, "signal="+sigName(sig)) {
				t.Fatalf("after the signal, serve logged %s", l)
			}
			// Shutting down, with the request in flight: a new connection
			// is refused.
			if _, err := http.Get(s.url + "/v1/openapi.json"); err == nil {
				t.Error("serve took a new request after the signal")
			}
			release()
			a := <-answered
			var pos struct {
				Head uint64 `json:"head"`
				Kept uint64 `json:"kept"`
			}
			if a.err != nil || a.code != 200 || json.Unmarshal(a.body, &pos) != nil || pos.Head != events || pos.Kept != events {
				t.Fatalf("the request in flight: %d %v %s, want 200 with head and kept %d", a.code, a.err, a.body, events)
			}
			if l := s.next(t); !strings.Contains(l, "msg=request request=2") || !strings.Contains(l, "status=200") {
				t.Fatalf("log after the request in flight: %s", l)
			}
			if l := s.next(t); !strings.Contains(l, "msg=stopped") {
				t.Fatalf("log at the end: %s", l)
			}
			if err := s.cmd.Wait(); err != nil {
				t.Fatalf("serve after %s: %v, want exit 0", sigName(sig), err)
			}
			if l, ok := <-s.logs; ok {
				t.Errorf("serve logged after it stopped: %s", l)
			}
			verified(t, c)
		})
	}
}

// TestSignalReader interrupts a reader (log --json) at random moments: it
// prints its whole answer and exits 0, or exits 130 saying it was
// interrupted; never a partial answer with exit 0.
func TestSignalReader(t *testing.T) {
	runs := 60
	if testing.Short() {
		runs = 15
	}
	c := newLedger(t)
	runScenario(t, c)
	whole := string(c.json(nil, "log"))
	d := span(t, func(int) { c.json(nil, "log") })
	var whole0, stopped, killedEarly int
	for i := range runs {
		delay := time.Duration(rand.Int64N(int64(d) + 1))
		p := c.start("auditor", "log", "--json")
		time.Sleep(delay)
		p.cmd.Process.Signal(syscall.SIGINT)
		end := p.wait(t)
		desc := fmt.Sprintf("run %d: SIGINT after %v: %v\nstderr: %q", i, delay, end, &p.stderr)
		switch {
		case end.code == 0:
			if p.stdout.String() != whole {
				t.Fatalf("%s\nexit 0 with a partial answer (%d of %d bytes)", desc, p.stdout.Len(), len(whole))
			}
			whole0++
		case end.code == 130:
			if p.stderr.String() != stoppedLine(syscall.SIGINT) {
				t.Fatalf("%s\nwant %q", desc, stoppedLine(syscall.SIGINT))
			}
			stopped++
		case end.code == -1 && end.killed == syscall.SIGINT && p.stdout.Len()+p.stderr.Len() == 0:
			killedEarly++
		default:
			t.Fatalf("%s\nnot an allowed ending", desc)
		}
	}
	t.Logf("%d runs, signals within %v: whole answer %d, stopped (130) %d, killed before the handler was set %d", runs, d, whole0, stopped, killedEarly)
}

var migrateStoppedRE = regexp.MustCompile(`^breachledger: interrupted by SIGINT before it finished: the target (\S+) holds the first (\d+) events of (\S+) \(run the same migrate again to check them and go on\)$`)

// TestSignalMigrate interrupts migrate (SIGINT) while it copies: it exits
// 130 saying how many events the target holds, which is what the target
// holds, and the same migrate run again checks those, copies the rest and
// ends with the source's history digest.
func TestSignalMigrate(t *testing.T) {
	src := newLedger(t)
	inc := signalLedger(t, src)
	total := addNotes(t, src.ledger, inc, 2000)

	var to string
	var lines []string
	for attempt := 1; ; attempt++ {
		to = filepath.Join(t.TempDir(), "copy.db")
		cmd := exec.Command(binary, "migrate", "--from", src.ledger, "--to", to, "--batch", "100")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		lines = nil
		signalled := false
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if m := progressRE.FindStringSubmatch(sc.Text()); m != nil && !signalled && m[1] != "0" {
				signalled = cmd.Process.Signal(syscall.SIGINT) == nil
			}
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 130 {
			break
		}
		if err != nil || attempt == 5 {
			t.Fatalf("migrate: %v (signalled: %v), want exit 130\n%s", err, signalled, strings.Join(lines, "\n"))
		}
		// This test read the progress too late: the copy was done.
		t.Logf("migrate finished before the signal reached it; again")
	}
	m := migrateStoppedRE.FindStringSubmatch(lines[len(lines)-1])
	if m == nil || m[1] != to || m[3] != src.ledger {
		t.Fatalf("migrate's last line: %q", lines[len(lines)-1])
	}
	s, err := sqlite.Open(context.Background(), to, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	held, err := s.Head(context.Background())
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if m[2] != fmt.Sprint(held) || held == 0 || held >= total {
		t.Fatalf("migrate said the target holds %s events; it holds %d of %d", m[2], held, total)
	}
	rep := migrate(t, src.ledger, to)
	checkReport(t, rep, total, sourceDigest(t, src.ledger))
	if rep.Present != held || rep.Copied != total-held {
		t.Errorf("the resumed migrate found %d events and copied %d; want %d and %d", rep.Present, rep.Copied, held, total-held)
	}
	t.Logf("interrupted with %d of %d events copied; resumed", held, total)
}
