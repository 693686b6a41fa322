package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	breachledger "github.com/breachledger/breachledger/cmd/breachledger"
	"github.com/breachledger/breachledger/internal/witnesstest"
)

// Issue 16: independent witnesses cosign every checkpoint. These tests run
// a real litewitness (filippo.io/torchwood) on loopback: the ledger's
// checkpoints are submitted to it, its cosignatures kept and checked by
// verify, and the attacks of an insider holding the ledger key (a fork, a
// rollback) fail against it.

// witnessedLedger is a small personal ledger whose checkpoints go to a
// real witness that knows the ledger's key.
type witnessedLedger struct {
	c      *cli
	inc    string
	w      *witnesstest.Witness
	pub    string // the ledger's public key file
	origin string
	dir    string
}

func newWitnessedLedger(t *testing.T) *witnessedLedger {
	t.Helper()
	c, inc, _ := smallLedger(t)
	dir, pub := publicKeyIn(t, c)
	vkey, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	origin, _, _ := strings.Cut(strings.TrimSpace(string(vkey)), "+")
	w := witnesstest.Start(t, "witness.test/w1")
	w.AddLog(t, origin, strings.TrimSpace(string(vkey)))
	c.ok("alice", "witness", "add", w.VKey, w.URL, "--reason", "the DPO's witness")
	return &witnessedLedger{c: c, inc: inc, w: w, pub: pub, origin: origin, dir: dir}
}

// witnessReport is verify --json's "witnessed".
type witnessReport struct {
	OK        bool `json:"ok"`
	Witnessed *struct {
		Size      uint64 `json:"size"`
		Valid     int    `json:"valid"`
		Witnesses []struct {
			Witness string    `json:"witness"`
			Time    time.Time `json:"time"`
			Status  string    `json:"status"`
		} `json:"witnesses"`
	} `json:"witnessed"`
	Covered  uint64 `json:"covered"`
	Problems []struct {
		What   string `json:"what"`
		Detail string `json:"detail"`
	} `json:"problems"`
}

// verifyAt runs verify in this process with the clock at now (the binary
// reads the real clock): freshness is judged at an instant the test picks.
func verifyAt(t *testing.T, ledgerPath string, now time.Time, args ...string) (result, witnessReport) {
	t.Helper()
	var out, errb bytes.Buffer
	all := append([]string{"breachledger", "--ledger", ledgerPath, "--actor", "auditor", "verify", "--json"}, args...)
	code := breachledger.Run(context.Background(), all, &out, &errb, func() time.Time { return now })
	var rep witnessReport
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("verify --json: %v\n%s", err, out.String())
		}
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}, rep
}

func TestWitnessCosignsCheckpoints(t *testing.T) {
	wl := newWitnessedLedger(t)
	c, w := wl.c, wl.w

	// No cosignature yet: the newest checkpoint (which covers the
	// witness's addition) was never submitted.
	r := c.run("auditor", "verify", "--witness", w.VKey, "--quorum", "1")
	if r.code != 6 || !strings.Contains(r.stdout+r.stderr, "0 valid cosignatures of the 1 required") {
		t.Fatalf("verify --witness before any submission: exit %d, want 6 saying none cosigned\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = c.run("auditor", "witness", "submit")
	if r.code != 0 || !strings.Contains(r.stderr, "witness.test/w1") || !strings.Contains(r.stderr, "cosigned the checkpoint of") {
		t.Fatalf("witness submit: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep witnessReport
	c.json(&rep, "verify")
	if got := w.Size(t, wl.origin); got != rep.Covered || got == 0 {
		t.Fatalf("the witness cosigned %d events, the ledger's newest checkpoint covers %d", got, rep.Covered)
	}

	t.Run("verify checks the kept cosignature", func(t *testing.T) {
		r, rep := verifyAt(t, c.ledger, time.Now(), "--witness", w.VKey, "--max-age", "1h")
		if r.code != 0 || !rep.OK || rep.Witnessed == nil || rep.Witnessed.Valid != 1 || rep.Witnessed.Witnesses[0].Status != "cosigned" {
			t.Fatalf("verify --witness: exit %d, %+v\n%s%s", r.code, rep, r.stdout, r.stderr)
		}
		out := c.ok("auditor", "verify", "--witness", w.VKey)
		if !strings.Contains(out, "cosigned by 1 of 1 trusted witnesses") {
			t.Errorf("verify's text does not say the checkpoint is witnessed:\n%s", out)
		}
	})

	t.Run("a stranger's key is not a witness", func(t *testing.T) {
		other := witnesstest.Start(t, "witness.test/w1") // same name, another key
		r := c.run("auditor", "verify", "--witness", other.VKey)
		if r.code != 6 || !strings.Contains(r.stdout+r.stderr, "0 valid cosignatures") {
			t.Errorf("verify with another witness's key: exit %d, want 6\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("each write's checkpoint is cosigned as it is made; the submitter learns the witness's size from its 409", func(t *testing.T) {
		c := c.with(t)
		before := w.Size(t, wl.origin)
		// A new process knows nothing of the witness: it asks from 0,
		// learns the size from the 409, and proves from there.
		c.ok("oscar", "note", wl.inc, "after the witness", "--at", "2025-03-08T10:00:00Z")
		if after := w.Size(t, wl.origin); after != before+1 {
			t.Errorf("witness size %d after one more event, want %d", after, before+1)
		}
		c.ok("auditor", "verify", "--witness", w.VKey)
		// checkpoint submits too (a refresh of the same size), and writes
		// the cosigned checkpoint.
		kept := filepath.Join(t.TempDir(), "kept.checkpoint")
		c.ok("auditor", "checkpoint", "-o", kept)
		b, _ := os.ReadFile(kept)
		if !bytes.Contains(b, []byte("\u2014 witness.test/w1 ")) {
			t.Errorf("the kept checkpoint carries no cosignature:\n%s", b)
		}
		c.ok("auditor", "verify", "--witness", w.VKey, "--against", kept)
	})

	t.Run("a witness down does not stop a write", func(t *testing.T) {
		c := c.with(t)
		w.Stop(t)
		r := c.run("oscar", "note", wl.inc, "while the witness is down", "--at", "2025-03-08T11:00:00Z")
		w.Restart(t)
		if r.code != 0 || !strings.Contains(r.stderr, "did not cosign") {
			t.Fatalf("a write with the witness down: exit %d, want 0 with a warning\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r := c.run("auditor", "verify", "--witness", w.VKey); r.code != 6 {
			t.Errorf("verify --witness while the newest checkpoint is not cosigned: exit %d, want 6", r.code)
		}
		c.ok("auditor", "witness", "submit")
		c.ok("auditor", "verify", "--witness", w.VKey)
	})

	t.Run("bundles and proofs carry the cosignature", func(t *testing.T) {
		c := c.with(t)
		dir := t.TempDir()
		bundle := exportBundle(c, dir, "ledger.bundle")
		offline := &cli{tb: t, ledger: filepath.Join(dir, "no", "such.db")}
		if r := offline.run("auditor", "verify", "--bundle", bundle, "--key", wl.pub, "--witness", w.VKey, "--max-age", "1h"); r.code != 0 || !strings.Contains(r.stdout, "cosigned by 1 of 1") {
			t.Errorf("verify --bundle --witness: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		var log []logEntry
		c.json(&log, "log")
		proof := filepath.Join(dir, "event.tlog-proof")
		c.ok("auditor", "prove", "inclusion", log[len(log)-1].EventID, "-o", proof)
		if r := offline.run("auditor", "verify", "--proof", proof, "--key", wl.pub, "--witness", w.VKey); r.code != 0 || !strings.Contains(r.stdout, "witnessed: checkpoint of") {
			t.Errorf("verify --proof --witness: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// TestWitnessForkAttacks: an insider holding the ledger key forks the
// ledger (a rewrite: a copy taken earlier, extended otherwise, signed with
// the same key). The witness, which cosigned the real history, cosigns
// none of the fork: verify --witness fails on the forked ledger and on a
// bundle exported from it.
func TestWitnessForkAttacks(t *testing.T) {
	wl := newWitnessedLedger(t)
	c, w := wl.c, wl.w
	c.ok("auditor", "witness", "submit")
	snapshot := copyLedger(t, c) // the history the witness has cosigned
	c.ok("oscar", "note", wl.inc, "the true fifth note", "--at", "2025-03-08T10:00:00Z")
	c.ok("auditor", "witness", "submit")
	honest := w.Size(t, wl.origin)

	for _, tt := range []struct {
		name  string
		notes []string
	}{
		{"the same size, another last event", []string{"a forged fifth note"}},
		{"longer than the real history", []string{"a forged fifth note", "and a sixth"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fork := copyLedger(t, snapshot).with(t)
			for i, n := range tt.notes {
				fork.ok("oscar", "note", wl.inc, n, "--at", fmt.Sprintf("2025-03-08T1%d:00:00Z", i))
			}
			// The fork is intact by its own checkpoints: the key signs them.
			fork.ok("auditor", "verify", "--key", wl.pub)

			r := fork.run("auditor", "witness", "submit")
			if r.code != 6 || !strings.Contains(r.stderr, "differs from what it saw") {
				t.Errorf("witness submit of the fork: exit %d, want 6 naming the fork\n%s%s", r.code, r.stdout, r.stderr)
			}
			if got := w.Size(t, wl.origin); got != honest {
				t.Errorf("the witness moved to %d events on the fork's submission, want %d", got, honest)
			}
			r = fork.run("auditor", "verify", "--key", wl.pub, "--witness", w.VKey, "--quorum", "1")
			if r.code != 6 || !strings.Contains(r.stdout+r.stderr, "0 valid cosignatures") {
				t.Errorf("verify --witness of the fork: exit %d, want 6\n%s%s", r.code, r.stdout, r.stderr)
			}
			dir := t.TempDir()
			bundle := exportBundle(fork, dir, "fork.bundle")
			offline := &cli{tb: t, ledger: filepath.Join(dir, "no", "such.db")}
			r = offline.run("auditor", "verify", "--bundle", bundle, "--key", wl.pub, "--witness", w.VKey)
			if r.code != 6 || !strings.Contains(r.stdout+r.stderr, "0 valid cosignatures") {
				t.Errorf("verify --bundle --witness of the fork: exit %d, want 6\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}

	t.Run("cosignature lines copied from the real ledger do not fit the fork", func(t *testing.T) {
		// The fork's checkpoint of the real size with the real
		// checkpoint's cosignature pasted under it.
		var rep witnessReport
		c.json(&rep, "verify")
		honestBundle := exportBundle(c, t.TempDir(), "honest.bundle")
		hb := readBundleJSON(t, honestBundle)
		var honestNote string
		json.Unmarshal(hb["checkpoint"], &honestNote)
		i := strings.Index(honestNote, "\u2014 witness.test/w1 ")
		if i < 0 {
			t.Fatalf("the honest bundle's checkpoint carries no cosignature:\n%s", honestNote)
		}
		fork := copyLedger(t, snapshot).with(t)
		fork.ok("oscar", "note", wl.inc, "a forged fifth note", "--at", "2025-03-08T10:00:00Z")
		fb := readBundleJSON(t, exportBundle(fork, t.TempDir(), "fork.bundle"))
		var forkNote string
		json.Unmarshal(fb["checkpoint"], &forkNote)
		fb.set(t, "checkpoint", forkNote+honestNote[i:])
		offline := &cli{tb: t, ledger: filepath.Join(t.TempDir(), "no", "such.db")}
		r := offline.run("auditor", "verify", "--bundle", fb.write(t), "--key", wl.pub, "--witness", w.VKey)
		if r.code != 6 || !strings.Contains(r.stdout+r.stderr, "does not verify") {
			t.Errorf("a pasted cosignature: exit %d, want 6 saying it does not verify\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// TestWitnessRollback: an insider puts back an earlier copy of the ledger,
// whose newest checkpoint the witness did cosign. Its cosignature is real:
// the rollback is caught by freshness (--max-age: the witness cosigns
// that old checkpoint no more, since it has seen a larger one) or by a
// checkpoint kept after it (--against).
func TestWitnessRollback(t *testing.T) {
	wl := newWitnessedLedger(t)
	c, w := wl.c, wl.w
	c.ok("auditor", "witness", "submit")
	rolledBack := copyLedger(t, c)
	_, old := verifyAt(t, rolledBack.ledger, time.Now(), "--witness", w.VKey)
	if old.Witnessed == nil || old.Witnessed.Valid != 1 {
		t.Fatalf("the copy's checkpoint is not cosigned: %+v", old)
	}
	// Cosignature timestamps are whole seconds: let the clock move on.
	for time.Since(old.Witnessed.Witnesses[0].Time) < 3*time.Second {
		time.Sleep(200 * time.Millisecond)
	}
	c.ok("oscar", "note", wl.inc, "after the copy", "--at", "2025-03-08T10:00:00Z")
	kept := filepath.Join(t.TempDir(), "kept.checkpoint")
	c.ok("auditor", "checkpoint", "-o", kept) // submits: the witness moves on
	_, cur := verifyAt(t, c.ledger, time.Now(), "--witness", w.VKey)
	if cur.Witnessed == nil || cur.Witnessed.Valid != 1 {
		t.Fatalf("the ledger's checkpoint is not cosigned: %+v", cur)
	}
	// Judged at the instant of the newest cosignature, with a max age
	// shorter than the time between the two: the honest ledger is fresh,
	// the rolled-back copy stale.
	now := cur.Witnessed.Witnesses[0].Time
	maxAge := fmt.Sprintf("%ds", int(now.Sub(old.Witnessed.Witnesses[0].Time).Seconds())-1)

	if r, rep := verifyAt(t, c.ledger, now, "--witness", w.VKey, "--max-age", maxAge); r.code != 0 || !rep.OK {
		t.Errorf("the honest ledger under --max-age %s: exit %d\n%s%s", maxAge, r.code, r.stdout, r.stderr)
	}
	r, rep := verifyAt(t, rolledBack.ledger, now, "--witness", w.VKey, "--max-age", maxAge)
	if r.code != 6 || rep.Witnessed == nil || rep.Witnessed.Witnesses[0].Status != "stale" {
		t.Errorf("the rolled-back copy under --max-age %s: exit %d, %+v, want 6 with a stale cosignature\n%s%s", maxAge, r.code, rep.Witnessed, r.stdout, r.stderr)
	}
	// Without --max-age its cosignature is valid: what a rollback cannot
	// hide is its age.
	if r, _ := verifyAt(t, rolledBack.ledger, now, "--witness", w.VKey); r.code != 0 {
		t.Errorf("the rolled-back copy without --max-age: exit %d, want 0 (its cosignature is genuine)\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The kept checkpoint catches it too.
	if r := rolledBack.run("auditor", "verify", "--witness", w.VKey, "--against", kept); r.code != 6 || !strings.Contains(r.stdout+r.stderr, "(truncated)") {
		t.Errorf("the rolled-back copy --against the kept checkpoint: exit %d, want 6\n%s%s", r.code, r.stdout, r.stderr)
	}
	// And the witness will not cosign it again: it has seen more.
	if r := rolledBack.run("auditor", "witness", "submit"); r.code != 6 || !strings.Contains(r.stderr, "rolled back") {
		t.Errorf("witness submit of the rolled-back copy: exit %d, want 6 saying it was rolled back\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A bundle from it: stale too.
	dir := t.TempDir()
	bundle := exportBundle(rolledBack, dir, "rolled-back.bundle")
	var out, errb bytes.Buffer
	code := breachledger.Run(context.Background(), []string{"breachledger", "--ledger", filepath.Join(dir, "none.db"), "verify", "--bundle", bundle, "--key", wl.pub, "--witness", w.VKey, "--max-age", maxAge}, &out, &errb, func() time.Time { return now })
	if code != 6 || !strings.Contains(out.String()+errb.String(), "stale") {
		t.Errorf("verify --bundle of the rolled-back copy under --max-age: exit %d, want 6\n%s%s", code, out.String(), errb.String())
	}
}

// TestWitnessSubmitWithoutWitnesses: submitting on a ledger that names no
// witness says so and exits 3; nothing is appended.
func TestWitnessSubmitWithoutWitnesses(t *testing.T) {
	c, _, log := smallLedger(t)
	r := c.run("auditor", "witness", "submit")
	if r.code != 3 || !strings.Contains(r.stderr, "witness add") {
		t.Errorf("witness submit with no witness: exit %d, want 3 saying how to add one\n%s%s", r.code, r.stdout, r.stderr)
	}
	var after []logEntry
	c.json(&after, "log")
	if len(after) != len(log) {
		t.Errorf("%d events after, want %d", len(after), len(log))
	}
}
