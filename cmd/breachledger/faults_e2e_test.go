//go:build linux

package main_test

import (
	"encoding/json"

	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/internal/testsupport"
)

// Issue 7: faults. A read-only ledger, a full disk and an EventStoreDB
// connection dropped in the middle of an append each fail with a clear
// error, and nothing already recorded is damaged: the ledger is the same
// as before (or holds exactly the one append whose outcome the writer could
// not know), and verify passes afterwards. The disk full through SQLite's
// max_page_count, which needs no mounting, is in eventstore/sqlite
// (TestDiskFullMaxPageCount) and ledger (TestWriterDiskFull).

// faultLedger records a few events through the binary and returns the
// incident.
func faultLedger(t *testing.T, c *cli) string {
	t.Helper()
	c.ok("alice", "init", "--name", "faults", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:01:00Z", "oscar")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "faults", "--at", "2025-03-07T10:00:00Z"))
	c.ok("oscar", "note", inc, "before the fault", "--at", "2025-03-07T11:00:00Z")
	return inc
}

// noteCounts returns how often each note text is in the ledger.
func noteCounts(t *testing.T, c *cli) map[string]int {
	t.Helper()
	var log []logEntry
	c.json(&log, "log")
	out := map[string]int{}
	for _, e := range log {
		if e.Type != "NoteAdded" {
			continue
		}
		var p struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		out[p.Text]++
	}
	return out
}

func verifyClean(t *testing.T, c *cli) {
	t.Helper()
	if r := c.run("auditor", "verify"); r.code != 0 {
		t.Errorf("verify after the fault: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestFaultReadOnlyLedger: writers on a ledger file they cannot write say
// it is read-only (exit 1) and change nothing.
func TestFaultReadOnlyLedger(t *testing.T) {
	c := newLedger(t)
	inc := faultLedger(t, c)
	before := c.dump()
	digest := sourceDigest(t, c.ledger)

	if os.Geteuid() == 0 {
		// Root writes through file modes: make the file immutable.
		if err := testsupport.SetImmutable(c.ledger, true); err != nil {
			t.Skipf("cannot make the ledger file immutable as root here (%v), and modes do not stop root", err)
		}
		t.Cleanup(func() { testsupport.SetImmutable(c.ledger, false) })
	} else {
		dir := filepath.Dir(c.ledger)
		if err := os.Chmod(c.ledger, 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755); os.Chmod(c.ledger, 0o600) })
	}
	for _, args := range [][]string{
		{"oscar", "note", inc, "while read-only"},
		{"alice", "grant", "sam", "security-response"},
		{"oscar", "detect", "--source", "customer-report", "--summary", "while read-only"},
		{"alice", "setting", "due-soon-window", "12h"},
	} {
		r := c.run(args[0], args[1:]...)
		if r.code != 1 || !strings.Contains(r.stderr, "read-only") {
			t.Errorf("%s on a read-only ledger: exit %d, want 1 saying it is read-only:\n%s", args[1], r.code, r.stderr)
		}
	}

	if os.Geteuid() == 0 {
		if err := testsupport.SetImmutable(c.ledger, false); err != nil {
			t.Fatal(err)
		}
	} else {
		os.Chmod(filepath.Dir(c.ledger), 0o755)
		os.Chmod(c.ledger, 0o600)
	}
	if after := c.dump(); after != before {
		t.Errorf("the read-only ledger changed:\n%s", cmp.Diff(before, after))
	}
	if got := sourceDigest(t, c.ledger); got != digest {
		t.Errorf("history digest %s, was %s", got, digest)
	}
	verifyClean(t, c)
	c.ok("oscar", "note", inc, "writable again")
	verifyClean(t, c)
}

// TestFaultDiskFull fills a real size-limited filesystem (a tmpfs of 2 MiB,
// where the test may mount one) under a ledger being written: the append
// that does not fit fails saying the disk is full, every acknowledged note
// is there once, and once space is freed the next append and verify pass.
func TestFaultDiskFull(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=2m,mode=0700"); err != nil {
		t.Skipf("cannot mount a size-limited tmpfs here (%v); the disk-full fault is still tested through SQLite's max_page_count (eventstore/sqlite TestDiskFullMaxPageCount, ledger TestWriterDiskFull)", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	c := &cli{tb: t, ledger: filepath.Join(mnt, "ledger.db")}
	inc := faultLedger(t, c)

	// Leave about 300 KiB free, then write 20 KiB notes until one fails.
	var st syscall.Statfs_t
	if err := syscall.Statfs(mnt, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, max(0, free-300<<10)), 0o600); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	var failed procResult
	var failedText, before string
	for i := 0; i < 200 && failedText == ""; i++ {
		text := fmt.Sprintf("note %d %s", i, strings.Repeat("x", 20<<10))
		before = c.dump()
		r := c.exec("oscar", "note", inc, text)
		switch {
		case r.err != nil:
			t.Fatal(r.err)
		case r.code == 0:
			acked[text] = true
		default:
			failed, failedText = r, text
		}
	}
	if failedText == "" {
		t.Fatalf("%d notes of 20 KiB fitted in 300 KiB: the filesystem never filled", len(acked))
	}
	full := strings.Contains(failed.stderr, "disk or database full") || strings.Contains(failed.stderr, "no space left on device")
	if failed.code != 1 || !full {
		t.Errorf("the append that did not fit: exit %d, want 1 saying the disk is full:\n%s", failed.code, failed.stderr)
	}
	recorded := strings.Contains(failed.stderr, "recorded, but not checkpointed")
	if after := c.dump(); !recorded && after != before {
		t.Errorf("a failed append that says nothing was recorded changed the ledger:\n%s", cmp.Diff(before, after))
	}
	t.Logf("%d notes acknowledged before the disk filled; the next one failed with: %s", len(acked), strings.TrimSpace(failed.stderr))

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	c.ok("oscar", "note", inc, "after freeing space")
	got := noteCounts(t, c)
	for text := range acked {
		if got[text] != 1 {
			t.Errorf("an acknowledged note is in the ledger %d times, want once", got[text])
		}
	}
	if n := got[failedText]; n > 1 || (n == 1) != recorded {
		t.Errorf("the failed note is in the ledger %d times; its writer said recorded=%v", n, recorded)
	}
	verifyClean(t, c)
}

// TestFaultESDBConnectionDropped drops the connection to EventStoreDB in
// the middle of an append, after the server has stored the events and
// before it answers: once (the writer retries with the same event IDs and
// the append lands once), and for good (the server stops: the writer fails
// saying so; after a restart the ledger holds that append at most once and
// everything before it unchanged, and verify passes).
func TestFaultESDBConnectionDropped(t *testing.T) {
	c, srv := newESDBLedger(t)
	inc := faultLedger(t, c)

	// The memory's clock is read while an append is being written: the
	// hook fires there, between storing and answering.
	const (
		none = iota
		drop
		stop
	)
	var fault atomic.Int32
	var fired atomic.Int32
	srv.Memory().SetClock(func() time.Time {
		if !inWrite() { // reads consult the clock too ($maxAge)
			return time.Now()
		}
		switch fault.Swap(none) {
		case drop:
			fired.Add(1)
			srv.DropConnections()
		case stop:
			fired.Add(1)
			go srv.Stop()
			time.Sleep(200 * time.Millisecond) // let Stop close every connection first
		}
		return time.Now()
	})

	t.Run("dropped once", func(t *testing.T) {
		c := c.with(t)
		var log []logEntry
		c.json(&log, "log")
		fault.Store(drop)
		r := c.exec("oscar", "note", inc, "connection dropped once")
		if fired.Load() != 1 {
			t.Fatal("the fault did not fire during the append")
		}
		switch {
		case r.err != nil:
			t.Fatal(r.err)
		case r.code == 0:
			// retried with the same event IDs: stored once
		case strings.Contains(r.stderr, "EventStoreDB") || strings.Contains(r.stderr, "connection") || strings.Contains(r.stderr, "Unavailable"):
			t.Logf("the writer failed after the drop: %s", strings.TrimSpace(r.stderr))
		default:
			t.Errorf("after a dropped connection: exit %d with an unclear message:\n%s", r.code, r.stderr)
		}
		if n := noteCounts(t, c)["connection dropped once"]; n != 1 && !(r.code != 0 && n == 0) {
			t.Errorf("the note is in the ledger %d times (writer exit %d)", n, r.code)
		}
		checkPrefix(t, c, log)
		if r.code != 0 {
			c.ok("alice", "checkpoint")
		}
		verifyClean(t, c)
	})

	t.Run("server gone", func(t *testing.T) {
		c := c.with(t)
		var log []logEntry
		c.json(&log, "log")
		fired.Store(0)
		fault.Store(stop)
		r := c.exec("oscar", "note", inc, "server stopped mid-append")
		if fired.Load() != 1 {
			t.Fatal("the fault did not fire during the append")
		}
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.code == 0 {
			t.Fatalf("the append succeeded with the server stopped:\n%s", r.stdout)
		}
		// The connection is gone: the writer cannot know whether the server
		// stored the events, and must say it failed, naming the store.
		if !strings.Contains(r.stderr, "append to incident-"+inc) || !(strings.Contains(r.stderr, "EventStoreDB") || strings.Contains(r.stderr, "connect") || strings.Contains(r.stderr, "navailable")) {
			t.Errorf("exit %d with an unclear message:\n%s", r.code, r.stderr)
		}
		t.Logf("exit %d: %s", r.code, strings.TrimSpace(r.stderr))
		if err := srv.Restart(); err != nil {
			t.Fatal(err)
		}
		if n := noteCounts(t, c)["server stopped mid-append"]; n > 1 {
			t.Errorf("the note is in the ledger %d times", n)
		}
		checkPrefix(t, c, log)
		// Its events may have been stored before the drop, with no
		// checkpoint: the next writer covers them (they are recent).
		c.ok("alice", "checkpoint")
		verifyClean(t, c)
		c.ok("oscar", "note", inc, "after the restart")
		verifyClean(t, c)
	})
}

// inWrite reports whether the test server's memory is storing an append:
// whether its write method is on the caller's stack.
func inWrite() bool {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.Function, "esdbtest.(*Memory).write") {
			return true
		}
		if !more {
			return false
		}
	}
}

// checkPrefix checks that the ledger still starts with log, entry for
// entry.
func checkPrefix(t *testing.T, c *cli, log []logEntry) {
	t.Helper()
	var now []logEntry
	c.json(&now, "log")
	if len(now) < len(log) {
		t.Fatalf("the ledger has %d events, had %d", len(now), len(log))
	}
	for i, e := range log {
		n := now[i]
		if n.EventID != e.EventID || n.Seq != e.Seq || n.Revision != e.Revision || !n.RecordedAt.Equal(e.RecordedAt) || string(n.Payload) != string(e.Payload) {
			t.Errorf("event at sequence %d changed: %+v, was %+v", i, n, e)
		}
	}
	if len(now) > len(log)+1 {
		t.Errorf("%d events were added by one append of one note", len(now)-len(log))
	}
}
