package main_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/keyfiles"
)

// Insider attacks on bundles, proofs, signatures and the schema (issue 10,
// items 2, 5, 6 and 7): each is performed on the file, as someone with
// write access to the ledger file or the bundle (and, where said, the
// ledger key) would, and must be refused or detected.

// bundleJSON is a bundle file read as a generic JSON object, so that an
// attack edits exactly the fields the file has.
type bundleJSON map[string]json.RawMessage

func readBundleJSON(tb testing.TB, path string) bundleJSON {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var b bundleJSON
	if err := json.Unmarshal(data, &b); err != nil {
		tb.Fatal(err)
	}
	return b
}

func (b bundleJSON) events(tb testing.TB, field string) []integrity.BundleEvent {
	tb.Helper()
	raw, ok := b[field]
	if !ok {
		tb.Fatalf("the bundle has no %q", field)
	}
	var out []integrity.BundleEvent
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatal(err)
	}
	return out
}

func (b bundleJSON) set(tb testing.TB, field string, v any) {
	tb.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	b[field] = raw
}

func (b bundleJSON) write(tb testing.TB) string {
	tb.Helper()
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(tb.TempDir(), "edited.bundle")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// stolenLedgerKey returns the ledger's private key, from where init put it
// (the tests' XDG_CONFIG_HOME), as a thief of the key would have it.
func stolenLedgerKey(tb testing.TB, origin string) *integrity.LedgerKey {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "breachledger", "keys", "*.key"))
	for _, f := range files {
		if k, err := keyfiles.ReadLedgerKey(f); err == nil && k.Origin() == origin {
			return k
		}
	}
	tb.Fatalf("no ledger key for %s among %v", origin, files)
	return nil
}

// forgeBundle rewrites the bundle at src as a thief of the ledger key
// would: history is the ledger's whole log (from a complete bundle),
// forged by mutate; the forged log is signed afresh, and every event the
// bundle holds is replaced by the forged event at its sequence with a
// proof in the new tree (events beyond the forged log are dropped), and
// the earlier checkpoints it carries are removed.
func forgeBundle(tb testing.TB, src string, history []eventstore.Record, mutate func([]eventstore.Record) []eventstore.Record) string {
	tb.Helper()
	b := readBundleJSON(tb, src)
	forged := mutate(append([]eventstore.Record(nil), history...))
	leaves := &integrity.Leaves{}
	tree := integrity.NewTree()
	for _, r := range forged {
		h := integrity.LeafOf(r).Hash()
		leaves.Append(h)
		tree.Append(h)
	}
	var origin string
	json.Unmarshal(b["origin"], &origin)
	cp, err := stolenLedgerKey(tb, origin).Sign(tree.Size(), tree.Root())
	if err != nil {
		tb.Fatal(err)
	}
	b.set(tb, "checkpoint", string(cp.Note))
	size := uint64(len(forged))
	for _, field := range []string{"events", "context"} {
		out := []integrity.BundleEvent{}
		for _, e := range b.events(tb, field) {
			if e.Seq >= size {
				continue
			}
			r := forged[e.Seq]
			p, err := leaves.Inclusion(r.Sequence, size)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, integrity.BundleEvent{Seq: r.Sequence, EventID: r.ID, Stream: r.Stream, Revision: r.Revision, Type: r.Type, At: r.OccurredAt,
				Actor: r.Actor, Signer: r.Signer, Signature: r.Signature, Basis: r.Basis, RecordedAt: r.RecordedAt, Payload: r.Payload, Proof: p})
		}
		b.set(tb, field, out)
	}
	// The genuine earlier checkpoints would betray the forgery: they go.
	b.set(tb, "checkpoints", []integrity.BundleCheckpoint{})
	var rng seqRange
	if err := json.Unmarshal(b["range"], &rng); err != nil {
		tb.Fatal(err)
	}
	rng.Last = min(rng.Last, size-1)
	b.set(tb, "range", rng)
	return b.write(tb)
}

// seqRange is a bundle's "range" as the file has it.
type seqRange struct {
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
}

// TestBundleAgainstKept (item 2): "verify --bundle --against KEPT" checks
// the bundle extends the kept checkpoint; truncation, rewrite and
// rollback all fail offline, naming what is inconsistent.
func TestBundleAgainstKept(t *testing.T) {
	c, inc, log := smallLedger(t)
	dir, pub := publicKeyIn(t, c)
	old := exportBundle(c, dir, "old.bundle")
	kept := filepath.Join(dir, "kept.checkpoint")
	c.ok("oscar", "note", inc, "after the first export", "--at", "2025-03-07T20:00:00Z")
	c.ok("auditor", "checkpoint", "-o", kept)
	n := len(log) + 1
	c.ok("oscar", "note", inc, "after the kept checkpoint", "--at", "2025-03-07T21:00:00Z")
	full := exportBundle(c, dir, "full.bundle")
	one := exportBundle(c, dir, "incident.bundle", "--incident", inc)

	var history []eventstore.Record
	for _, e := range readBundleJSON(t, full).events(t, "events") {
		history = append(history, e.Record())
	}
	noteK := -1 // the "second note": rewritten below
	for i, r := range history {
		if strings.Contains(string(r.Payload), "second note") {
			noteK = i
		}
	}
	if noteK < 0 || len(history) != n+1 {
		t.Fatalf("the complete bundle holds %d events (second note at %d), want %d", len(history), noteK, n+1)
	}
	rewrite := func(rs []eventstore.Record) []eventstore.Record {
		rs[noteK].Payload = []byte(strings.Replace(string(rs[noteK].Payload), "second note", "SECOND NOTE", 1))
		return rs
	}
	truncate := func(rs []eventstore.Record) []eventstore.Record { return rs[:n-2] }
	// Truncated, then new events appended past the kept size: a rewrite.
	truncateAndRefill := func(rs []eventstore.Record) []eventstore.Record {
		out := rs[:n-2]
		for _, r := range rs[n-1:] {
			r.Sequence -= 1
			out = append(out, r)
		}
		for len(out) < n+2 {
			r := out[len(out)-1]
			r.Sequence++
			r.Payload = []byte(`{"text":"filler"}`)
			out = append(out, r)
		}
		return out
	}

	offline := &cli{tb: t, ledger: filepath.Join(dir, "no", "such.db")}
	tests := []struct {
		name   string
		bundle string
		code   int
		want   string
	}{
		{"a complete bundle", full, 0, fmt.Sprintf("consistent with the kept checkpoint of %d events", n)},
		{"a range bundle", one, 0, fmt.Sprintf("consistent with the kept checkpoint of %d events", n)},
		{"an honest bundle older than the kept checkpoint (rollback)", old, 6, "truncated or rolled back"},
		{"a complete bundle of a rewritten, re-signed history", forgeBundle(t, full, history, rewrite), 6,
			fmt.Sprintf("the bundle's first %d events do not give the root of the kept checkpoint", n)},
		{"a range bundle of a rewritten, re-signed history", forgeBundle(t, one, history, rewrite), 6, "against: the bundle carries no consistency proof from the kept checkpoint"},
		{"a complete bundle of a truncated, re-signed history", forgeBundle(t, full, history, truncate), 6, "truncated or rolled back"},
		{"a range bundle of a truncated, re-signed history", forgeBundle(t, one, history, truncate), 6, "truncated or rolled back"},
		{"a truncated history refilled past the kept size", forgeBundle(t, full, history, truncateAndRefill), 6, "do not give the root of the kept checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := offline.with(t).run("auditor", "verify", "--bundle", tt.bundle, "--key", pub, "--against", kept)
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("verify --bundle --against: exit %d, want %d saying %q\n%s%s", r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
			if tt.code != 0 && strings.Contains(r.stdout, "consistent with the kept checkpoint") {
				t.Errorf("a failed check still says it is consistent:\n%s", r.stdout)
			}
			// A thief of the ledger key makes proofs that hold: only
			// what was kept outside can tell the forgery.
			if strings.Contains(r.stdout, "inclusion proof fails") {
				t.Errorf("the bundle fails by its own inclusion proofs, so it does not show what --against catches:\n%s", r.stdout)
			}
		})
	}

	t.Run("a range bundle without the consistency proof", func(t *testing.T) {
		b := readBundleJSON(t, one)
		b.set(t, "checkpoints", []integrity.BundleCheckpoint{})
		r := offline.with(t).run("auditor", "verify", "--bundle", b.write(t), "--key", pub, "--against", kept)
		if r.code != 6 || !strings.Contains(r.stdout, "no consistency proof from the kept checkpoint") {
			t.Errorf("exit %d, want 6 saying the proof is missing\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("export --against puts the proof in", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "since-kept.bundle")
		c.with(t).ok("auditor", "export", "--bundle", p, "--from", log[len(log)-1].RecordedAt.Add(1).Format("2006-01-02T15:04:05.999999999Z07:00"), "--against", kept)
		r := offline.with(t).run("auditor", "verify", "--bundle", p, "--key", pub, "--against", kept, "--json")
		var rep struct {
			OK      bool     `json:"ok"`
			Against []uint64 `json:"against"`
			Range   struct{ First, Last uint64 }
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || !rep.OK || len(rep.Against) != 1 || rep.Against[0] != uint64(n) || rep.Range.First != uint64(n-1) {
			t.Errorf("verify --bundle --against --json: exit %d, %+v (%v)\n%s%s", r.code, rep, err, r.stdout, r.stderr)
		}
	})
	t.Run("a kept checkpoint that does not exist", func(t *testing.T) {
		r := offline.with(t).run("auditor", "verify", "--bundle", full, "--key", pub, "--against", filepath.Join(dir, "no-such.checkpoint"))
		if r.code != 2 || !strings.Contains(r.stderr, "no-such.checkpoint") {
			t.Errorf("exit %d, want 2 naming the file\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// TestVerbsRefuseUnusedFlags (item 2): a flag of another mode is a usage
// error naming it and the mode it goes with.
func TestVerbsRefuseUnusedFlags(t *testing.T) {
	c, _, log := smallLedger(t)
	dir, pub := publicKeyIn(t, c)
	b := exportBundle(c, dir, "full.bundle")
	proof := filepath.Join(dir, "event.tlog-proof")
	c.ok("auditor", "prove", "inclusion", log[2].EventID, "-o", proof)
	kept := filepath.Join(dir, "kept.checkpoint")
	c.ok("auditor", "checkpoint", "-o", kept)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"verify", "--bundle", b, "--key", pub, "--event", log[2].EventID}, "--event does not go with --bundle: it goes with --proof"},
		{[]string{"verify", "--bundle", b, "--key", pub, "--checkpoint", kept}, "--checkpoint does not go with --bundle"},
		{[]string{"verify", "--bundle", b, "--key", pub, "--old", kept}, "--old does not go with --bundle"},
		{[]string{"verify", "--bundle", b, "--key", pub, "--clock-tolerance", "1m"}, "--clock-tolerance does not go with --bundle"},
		{[]string{"verify", "--proof", proof, "--key", pub, "--against", kept}, "--against does not go with --proof"},
		{[]string{"verify", "--proof", proof, "--key", pub, "--replay"}, "--replay does not go with --proof"},
		{[]string{"verify", "--replay"}, "--replay does not go with a ledger"},
		{[]string{"verify", "--event", log[2].EventID}, "--event does not go with a ledger"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:2], " ")+" "+tt.want[:strings.Index(tt.want, " ")], func(t *testing.T) {
			r := c.with(t).run("auditor", tt.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("%v: exit %d, want 2 saying %q\n%s%s", tt.args, r.code, tt.want, r.stdout, r.stderr)
			}
		})
	}
}

// TestBundleRangeAttacks (item 5): the range a bundle claims is checked,
// not trusted: events left out at either end or in the middle, a rewritten
// "complete", context left out, an old format all fail.
func TestBundleRangeAttacks(t *testing.T) {
	c, inc, log := smallLedger(t)
	dir, pub := publicKeyIn(t, c)
	full := exportBundle(c, dir, "full.bundle")
	one := exportBundle(c, dir, "incident.bundle", "--incident", inc)
	first, last := -1, -1 // the incident's first and last events
	for i, e := range log {
		if strings.HasSuffix(e.Stream, inc) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	offline := &cli{tb: t, ledger: filepath.Join(dir, "no", "such.db")}
	if r := offline.run("auditor", "verify", "--bundle", one, "--key", pub); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("sequences %d to %d", first, last)) {
		t.Errorf("the honest incident bundle: exit %d, want 0 naming its range\n%s%s", r.code, r.stdout, r.stderr)
	}
	drop := func(src string, seq int) func(t *testing.T) string {
		return func(t *testing.T) string {
			b := readBundleJSON(t, src)
			var kept []integrity.BundleEvent
			for _, e := range b.events(t, "events") {
				if e.Seq != uint64(seq) {
					kept = append(kept, e)
				}
			}
			b.set(t, "events", kept)
			return b.write(t)
		}
	}
	tests := []struct {
		name string
		edit func(t *testing.T) string
		want string
	}{
		{"the incident's first event dropped", drop(one, first), fmt.Sprintf("seq %d", first)},
		{"the incident's last event dropped", drop(one, last), fmt.Sprintf("seq %d", last)},
		{"a middle event dropped", drop(one, first+2), fmt.Sprintf("seq %d", first+2)},
		{"the last event of a complete bundle dropped", drop(full, len(log)-1), fmt.Sprintf("seq %d", len(log)-1)},
		{"a range bundle claimed complete", func(t *testing.T) string {
			b := readBundleJSON(t, one)
			b.set(t, "complete", true)
			return b.write(t)
		}, "left out"},
		{"a complete bundle claimed a selection", func(t *testing.T) string {
			b := readBundleJSON(t, full)
			b.set(t, "complete", false)
			return b.write(t)
		}, "complete"},
		{"the last event of a range dropped and the selection narrowed", func(t *testing.T) string {
			b := readBundleJSON(t, drop(one, last)(t))
			b.set(t, "range", seqRange{First: uint64(first), Last: uint64(last)})
			return b.write(t)
		}, fmt.Sprintf("seq %d", last)},
		{"a ledger event of the context dropped", func(t *testing.T) string {
			b := readBundleJSON(t, one)
			var kept []integrity.BundleEvent
			for _, e := range b.events(t, "context") {
				if e.Seq != 1 {
					kept = append(kept, e)
				}
			}
			b.set(t, "context", kept)
			return b.write(t)
		}, "seq 2"},
		{"an old format", func(t *testing.T) string {
			b := readBundleJSON(t, full)
			b.set(t, "format", "breachledger-bundle/v1")
			return b.write(t)
		}, "export the bundle again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := offline.with(t).run("auditor", "verify", "--bundle", tt.edit(t), "--key", pub)
			if r.code != 6 || !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("exit %d, want 6 saying %q\n%s%s", r.code, tt.want, r.stdout, r.stderr)
			}
		})
	}
}

// TestSignatureAllowedSignersAttack (item 6): a payload re-signed with
// another SSH key, written into the file, no longer comes out "Good
// signature" from the README's ssh-keygen check: the allowed signers are
// the registered keys, not the key inside the signature.
func TestSignatureAllowedSignersAttack(t *testing.T) {
	needSSHKeygen(t)
	base, inc, _ := smallLedger(t)
	key := sshKey(t, "oscar")
	base.ok("alice", "signer", "register", "oscar", key+".pub")
	id := strings.TrimSpace(base.ok("oscar", "--sign-key", key, "note", inc, "signed note", "-q"))
	var log []logEntry
	base.json(&log, "log")
	seq := log[len(log)-1].Seq
	mallory := sshKey(t, "mallory")
	signer, err := keyfiles.ReadSSHSigner(mallory, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		keepSigner bool // the signer column keeps oscar's fingerprint
	}{
		{"re-signed with another key", true},
		{"re-signed with another key that the event names", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := copyLedger(t, base)
			r := readRecord(t, c.ledger, seq)
			if !tt.keepSigner {
				r.Signer = integrity.Fingerprint(signer.PublicKey())
			}
			sig, err := integrity.SignEnvelope(integrity.EnvelopeOf(r).Marshal(), signer)
			if err != nil {
				t.Fatal(err)
			}
			tamper(t, c.ledger, fmt.Sprintf(`UPDATE events SET signer = '%s', signature = X'%x' WHERE seq = %d`, r.Signer, sig, seq))
			dir := t.TempDir()
			env, sigPath, allowed := filepath.Join(dir, "ev.bin"), filepath.Join(dir, "ev.sig"), filepath.Join(dir, "allowed")
			res := c.run("auditor", "signature", id, "--envelope", env, "--signature", sigPath, "--allowed-signers", allowed)
			out, err := sshKeygenVerify(t, allowed, "oscar", sigPath, env)
			if err == nil || strings.Contains(out, "Good") {
				t.Errorf("ssh-keygen -Y verify with the allowed signers \"signature\" wrote vouches for the other key:\n%s", out)
			}
			if res.code != 6 || !strings.Contains(res.stderr, id) {
				t.Errorf("signature of a re-signed event: exit %d, want 6 naming %s\n%s%s", res.code, id, res.stdout, res.stderr)
			}
		})
	}
}

// TestSchemaAndLeafAudit (item 7): dropped, altered or added append-only
// triggers and orphaned leaf copies are reported by verify; prove
// consistency of a truncated ledger exits 6; verify --against says
// "consistent" only when it is.
func TestSchemaAndLeafAudit(t *testing.T) {
	base, _, log := smallLedger(t)
	n := len(log)
	kept := filepath.Join(t.TempDir(), "kept.checkpoint")
	base.ok("auditor", "checkpoint", "-o", kept)
	verify := func(t *testing.T, c *cli, want ...string) string {
		t.Helper()
		r := c.run("auditor", "verify")
		if r.code != 6 {
			t.Fatalf("verify: exit %d, want 6\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, w := range want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("verify does not say %q:\n%s", w, r.stdout)
			}
		}
		return r.stdout
	}
	raw := func(t *testing.T, path string, stmts ...string) {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, s := range stmts {
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	t.Run("a dropped trigger", func(t *testing.T) {
		c := copyLedger(t, base)
		raw(t, c.ledger, `DROP TRIGGER events_no_update`)
		verify(t, c, "events_no_update", "dropped")
	})
	t.Run("an altered trigger", func(t *testing.T) {
		c := copyLedger(t, base)
		raw(t, c.ledger, `DROP TRIGGER checkpoint_leaves_no_delete`,
			`CREATE TRIGGER checkpoint_leaves_no_delete BEFORE DELETE ON checkpoint_leaves WHEN 0 BEGIN SELECT RAISE(ABORT, 'no'); END`)
		verify(t, c, "checkpoint_leaves_no_delete", "altered")
	})
	t.Run("an added trigger", func(t *testing.T) {
		c := copyLedger(t, base)
		raw(t, c.ledger, `CREATE TRIGGER relabel AFTER INSERT ON events BEGIN SELECT 1; END`)
		verify(t, c, "relabel", "added")
	})
	t.Run("orphaned leaf copies of a truncated tail", func(t *testing.T) {
		c := copyLedger(t, base)
		k := n - 2
		tamper(t, c.ledger, fmt.Sprintf(`DELETE FROM events WHERE seq >= %d`, k), fmt.Sprintf(`DELETE FROM checkpoints WHERE size > %d`, k))
		verify(t, c, fmt.Sprintf("seq %d, event %s: orphaned leaf", k, log[k].EventID), fmt.Sprintf("sequences %d to %d have no events", k, n-1))
	})
	t.Run("prove consistency of a truncated ledger", func(t *testing.T) {
		c := copyLedger(t, base)
		k := n - 2
		tamper(t, c.ledger, fmt.Sprintf(`DELETE FROM events WHERE seq >= %d`, k), fmt.Sprintf(`DELETE FROM checkpoints WHERE size > %d`, k))
		r := c.run("auditor", "prove", "consistency", kept, "latest")
		if r.code != 6 || !strings.Contains(r.stderr, "truncated") {
			t.Errorf("prove consistency from the kept checkpoint: exit %d, want 6\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("verify --against with a middle event deleted", func(t *testing.T) {
		c := copyLedger(t, base)
		tamper(t, c.ledger, fmt.Sprintf(`DELETE FROM events WHERE seq = %d`, n/2))
		r := c.run("auditor", "verify", "--against", kept)
		if r.code != 6 || strings.Contains(r.stdout, "consistent with the kept checkpoint") || !strings.Contains(r.stdout, "against") {
			t.Errorf("verify --against: exit %d, want 6 without \"consistent\"\n%s", r.code, r.stdout)
		}
		r = c.run("auditor", "verify", "--against", kept, "--json")
		var rep struct {
			Against []uint64 `json:"against"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 6 || len(rep.Against) != 0 {
			t.Errorf("verify --against --json: exit %d, against %v (%v)", r.code, rep.Against, err)
		}
	})
}
