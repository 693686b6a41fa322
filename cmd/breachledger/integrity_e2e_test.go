package main_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/keyfiles"
	"github.com/breachledger/breachledger/internal/testsupport"
	"github.com/breachledger/breachledger/ledger"
)

// The tamper suite: one attacker model at a time (README: Tamper evidence).
// Every case builds its ledger through the binary, tampers with the file
// directly (triggers dropped), and runs "breachledger verify".

// smallLedger records a few events through the binary: init (alice's key
// registered with it), two grants and their holders' keys, an incident and
// four notes, each append signed by its author and ending with its
// checkpoint.
func smallLedger(tb testing.TB) (*cli, string, []logEntry) {
	tb.Helper()
	return recordSmall(tb, false)
}

// recordSmall is smallLedger; unsigned, it is made with "init --unsigned"
// and registers no key.
func recordSmall(tb testing.TB, unsigned bool) (*cli, string, []logEntry) {
	tb.Helper()
	c := newLedger(tb)
	init := []string{"init", "--name", "Tamper Test", "--at", "2025-03-01T00:00:00Z"}
	if unsigned {
		init = append(init, "--unsigned")
	}
	c.ok("alice", init...)
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.ok("alice", "grant", "ivy", "security-incident-manager", "--at", "2025-03-01T00:02:00Z")
	if !unsigned {
		c.register("2025-03-01T00:02:00Z", "oscar", "ivy")
	}
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "odd logins", "--at", "2025-03-07T10:00:00Z"))
	for i, text := range []string{"first note", "second note", "third note", "fourth note"} {
		c.ok("oscar", "note", inc, text, "--at", fmt.Sprintf("2025-03-07T1%d:00:00Z", i+1))
	}
	var log []logEntry
	c.json(&log, "log")
	return c, inc, log
}

// copyLedger returns a copy of c's ledger file (keys are found by the
// ledger's identity, so the copy uses the same key).
func copyLedger(tb testing.TB, c *cli) *cli {
	tb.Helper()
	b, err := os.ReadFile(c.ledger)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(c.ledger + "-wal"); err == nil {
		tb.Fatalf("%s-wal exists: a process still has the ledger open", c.ledger)
	}
	cp := &cli{tb: tb, ledger: filepath.Join(tb.TempDir(), "copy.db")}
	if err := os.WriteFile(cp.ledger, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return cp
}

// tamper runs SQL on a ledger file as a careful attacker with write access
// would: it drops the append-only triggers, runs stmts, and creates the
// triggers again as they were (verify reports a trigger left dropped).
func tamper(tb testing.TB, path string, stmts ...string) {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	drop := []string{"events_no_update", "events_no_delete", "events_no_replace",
		"checkpoints_no_update", "checkpoints_no_delete", "checkpoint_leaves_no_update", "checkpoint_leaves_no_delete"}
	var restore []string
	for _, t := range drop {
		var stmt string
		if err := db.QueryRow(`SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?`, t).Scan(&stmt); err == nil {
			restore = append(restore, stmt)
		}
		if _, err := db.Exec("DROP TRIGGER IF EXISTS " + t); err != nil {
			tb.Fatal(err)
		}
	}
	for _, s := range append(stmts, restore...) {
		if _, err := db.Exec(s); err != nil {
			tb.Fatalf("%s: %v", s, err)
		}
	}
}

// readRecord reads one stored event straight from the file.
func readRecord(tb testing.TB, path string, seq uint64) eventstore.Record {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var (
		r                   eventstore.Record
		id, sig, payload    []byte
		rev, occ, rec, sq64 int64
		basis               int64
	)
	err = db.QueryRow(`SELECT seq, event_id, stream, revision, type, occurred_at, actor, signer, signature, payload, recorded_at, basis FROM events WHERE seq = ?`, int64(seq)).
		Scan(&sq64, &id, &r.Stream, &rev, &r.Type, &occ, &r.Actor, &r.Signer, &sig, &payload, &rec, &basis)
	if err != nil {
		tb.Fatal(err)
	}
	r.ID = uuid.Must(uuid.FromBytes(id))
	r.Sequence, r.Revision, r.Signature, r.Payload, r.Basis = uint64(sq64), uint64(rev), sig, payload, uint64(basis)
	r.OccurredAt, r.RecordedAt = time.Unix(0, occ).UTC(), time.Unix(0, rec).UTC()
	return r
}

// insertRecord inserts a forged event row.
func insertRecord(tb testing.TB, path string, r eventstore.Record) {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var sig any
	if len(r.Signature) > 0 {
		sig = r.Signature
	}
	_, err = db.Exec(`INSERT INTO events (seq, event_id, stream, revision, type, occurred_at, actor, signer, signature, payload, recorded_at, basis) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		int64(r.Sequence), r.ID[:], r.Stream, int64(r.Revision), r.Type, r.OccurredAt.UnixNano(), r.Actor, r.Signer, sig, r.Payload, r.RecordedAt.UnixNano(), int64(r.Basis))
	if err != nil {
		tb.Fatal(err)
	}
}

// verifyFails runs verify and checks it exits 6 naming seq and every
// string of want on its first-bad-event line.
func verifyFails(tb testing.TB, c *cli, seq uint64, want ...string) result {
	tb.Helper()
	r := c.run("auditor", "verify")
	if r.code != 6 {
		tb.Fatalf("verify exit %d, want 6\n%s%s", r.code, r.stdout, r.stderr)
	}
	first := ""
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "first bad event: ") {
			first = line
		}
	}
	if !strings.HasPrefix(first, fmt.Sprintf("first bad event: seq %d,", seq)) && !strings.HasPrefix(first, fmt.Sprintf("first bad event: seq %d:", seq)) {
		tb.Errorf("first bad event is not seq %d:\n%s", seq, r.stdout)
	}
	for _, w := range want {
		if !strings.Contains(first, w) {
			tb.Errorf("first bad event line does not say %q:\n%s", w, r.stdout)
		}
	}
	return r
}

func TestVerifyIntact(t *testing.T) {
	c, _, log := smallLedger(t)
	r := c.run("auditor", "verify")
	if r.code != 0 || !strings.Contains(r.stdout, "intact") {
		t.Fatalf("verify of an untouched ledger: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Every append ended with a checkpoint of the new head: init (which
	// registers alice's key), the backdate-window, two grants, two keys
	// registered, the detection and four notes. Every event is signed by
	// its author.
	want := fmt.Sprintf("%d events, %d checkpoints checked, %d signed events", len(log), 11, len(log))
	if !strings.Contains(r.stdout, want) {
		t.Errorf("verify says\n%s\nwant %q (one checkpoint per command)", r.stdout, want)
	}
	var rep struct {
		OK      bool   `json:"ok"`
		Events  uint64 `json:"events"`
		Covered uint64 `json:"covered"`
	}
	c.json(&rep, "verify")
	if !rep.OK || rep.Events != uint64(len(log)) || rep.Covered != uint64(len(log)) {
		t.Errorf("verify --json = %+v, want ok with %d events covered", rep, len(log))
	}
	if r := c.run("auditor", "verify", "--bogus"); r.code != 2 {
		t.Errorf("verify with an unknown flag: exit %d, want 2", r.code)
	}
	if r := c.run("auditor", "verify", "--proof", "x", "--bundle", "y"); r.code != 2 {
		t.Errorf("verify --proof --bundle: exit %d, want 2", r.code)
	}
}

// TestTamperWithoutKey is attacker model (a): write access to the ledger
// file, not to the ledger key.
func TestTamperWithoutKey(t *testing.T) {
	base, _, log := smallLedger(t)
	// The second note: in the middle of the log, followed by two more.
	k := uint64(len(log) - 3)
	target := log[k]
	if !strings.Contains(string(target.Payload), "second note") {
		t.Fatalf("seq %d is not the second note: %s", k, target.Payload)
	}
	next := log[k+1]
	forged := uuid.Must(uuid.NewV7())
	// forgedRow inserts a forged note at seq, copied from the row at from.
	forgedRow := func(seq, from uint64) string {
		return fmt.Sprintf(`INSERT INTO events (seq, event_id, stream, revision, type, occurred_at, actor, signer, signature, payload, recorded_at)
			SELECT %d, X'%x', stream, (SELECT max(revision) + 1 FROM events WHERE stream = e.stream), type, occurred_at, 'oscar', '', NULL,
				CAST('{"text":"forged"}' AS BLOB), recorded_at FROM events e WHERE seq = %d`,
			seq, forged[:], from)
	}
	tests := []struct {
		name  string
		sql   []string
		seq   uint64
		want  []string
		other func(t *testing.T, r result)
	}{
		{name: "one byte of a payload", sql: []string{fmt.Sprintf(`UPDATE events SET payload = CAST(replace(CAST(payload AS TEXT), 'second', 'Second') AS BLOB) WHERE seq = %d`, k)},
			seq: k, want: []string{target.EventID, "payload changed"}},
		{name: "a recorded time", sql: []string{fmt.Sprintf(`UPDATE events SET recorded_at = recorded_at - 1000 WHERE seq = %d`, k)},
			seq: k, want: []string{target.EventID, "recorded time is"}},
		{name: "an actor", sql: []string{fmt.Sprintf(`UPDATE events SET actor = 'mallory' WHERE seq = %d`, k)},
			seq: k, want: []string{target.EventID, `actor is "mallory", the checkpointed leaf has "oscar"`}},
		{name: "a deleted row", sql: []string{fmt.Sprintf(`DELETE FROM events WHERE seq = %d`, k)},
			seq: k, want: []string{target.EventID, "missing from the log"}},
		{name: "a deleted row, later rows renumbered", sql: []string{
			fmt.Sprintf(`DELETE FROM events WHERE seq = %d`, k),
			fmt.Sprintf(`UPDATE events SET seq = seq + 1000000 WHERE seq > %d`, k),
			`UPDATE events SET seq = seq - 1000001 WHERE seq >= 1000000`},
			seq: k, want: []string{next.EventID, "the checkpointed leaf has " + target.EventID}},
		{name: "two rows swapped", sql: []string{
			fmt.Sprintf(`UPDATE events SET seq = 1000000 WHERE seq = %d`, k),
			fmt.Sprintf(`UPDATE events SET seq = %d WHERE seq = %d`, k, k+1),
			fmt.Sprintf(`UPDATE events SET seq = %d WHERE seq = 1000000`, k+1)},
			seq: k, want: []string{next.EventID, "the checkpointed leaf has " + target.EventID},
			other: func(t *testing.T, r result) {
				if !strings.Contains(r.stdout, fmt.Sprintf("seq %d, event %s", k+1, target.EventID)) {
					t.Errorf("the other swapped event (seq %d) is not reported:\n%s", k+1, r.stdout)
				}
			}},
		{name: "a forged row inserted in the middle", sql: []string{
			fmt.Sprintf(`UPDATE events SET seq = seq + 1000000 WHERE seq >= %d`, k),
			`UPDATE events SET seq = seq - 999999 WHERE seq >= 1000000`,
			forgedRow(k, k+1)},
			seq: k, want: []string{forged.String(), "the checkpointed leaf has " + target.EventID}},
		{name: "a forged row appended at the end", sql: []string{forgedRow(uint64(len(log)), k)},
			seq: uint64(len(log)), want: []string{forged.String(), "not covered by any signed checkpoint"}},
		{name: "the tail truncated", sql: []string{fmt.Sprintf(`DELETE FROM events WHERE seq >= %d`, k)},
			seq: k, want: []string{target.EventID, "truncated"}},
		{name: "an event and its leaf copy changed together", seq: k, want: []string{target.EventID, "signer-not-yours"},
			other: func(t *testing.T, r result) {
				if !strings.Contains(r.stdout, "its leaf copy was altered to match it") {
					t.Errorf("the altered leaf copy is not reported:\n%s", r.stdout)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := copyLedger(t, base)
			if tt.sql == nil {
				// A careful attacker rewrites the leaf copy kept with the
				// checkpoint too, so the two agree.
				r := readRecord(t, c.ledger, k)
				r.Actor = "mallory"
				tamper(t, c.ledger, fmt.Sprintf(`UPDATE events SET actor = 'mallory' WHERE seq = %d`, k),
					fmt.Sprintf(`UPDATE checkpoint_leaves SET leaf = X'%x' WHERE seq = %d`, integrity.LeafOf(r).Marshal(), k))
			} else {
				tamper(t, c.ledger, tt.sql...)
			}
			r := verifyFails(t, c, tt.seq, tt.want...)
			if tt.other != nil {
				tt.other(t, r)
			}
		})
	}

	t.Run("a forged row at the end is not signed by the next append", func(t *testing.T) {
		c := copyLedger(t, base)
		row := readRecord(t, c.ledger, k)
		row.ID, row.Sequence, row.Revision = forged, uint64(len(log)), log[len(log)-1].Revision+1
		// Not recorded by a writer now at work: here an hour ahead (in
		// life, usually long before the next append).
		row.RecordedAt = time.Now().Add(time.Hour).UTC()
		row.Payload = []byte(`{"text":"forged"}`)
		insertRecord(t, c.ledger, row)
		inc := strings.TrimPrefix(log[len(log)-1].Stream, "incident-")
		r := c.run("oscar", "note", inc, "after the forgery")
		if r.code != 6 || !strings.Contains(r.stderr, "nothing was recorded") || !strings.Contains(r.stderr, forged.String()) {
			t.Errorf("an append after a forged tail: exit %d, want 6 naming %s\n%s%s", r.code, forged, r.stdout, r.stderr)
		}
		verifyFails(t, c, uint64(len(log)), forged.String(), "not covered by any signed checkpoint")
	})

	t.Run("truncating events and checkpoints together needs a kept checkpoint", func(t *testing.T) {
		c := copyLedger(t, base)
		kept := filepath.Join(t.TempDir(), "kept.checkpoint")
		c.ok("auditor", "checkpoint", "-o", kept)
		var cps int
		db, err := sql.Open("sqlite", c.ledger)
		if err != nil {
			t.Fatal(err)
		}
		db.QueryRow(`SELECT count(*) FROM checkpoints WHERE size <= ?`, k).Scan(&cps)
		db.Close()
		tamper(t, c.ledger, fmt.Sprintf(`DELETE FROM events WHERE seq >= %d`, k),
			fmt.Sprintf(`DELETE FROM checkpoints WHERE size > %d`, k), fmt.Sprintf(`DELETE FROM checkpoint_leaves WHERE seq >= %d`, k))
		// What is left is a consistent, shorter ledger: only the auditor's
		// copy of a later checkpoint shows what is gone.
		if r := c.run("auditor", "verify"); r.code != 0 {
			t.Errorf("verify of a cleanly truncated ledger: exit %d (expected to pass: nothing in the file remembers the tail)\n%s", r.code, r.stdout)
		}
		r := c.run("auditor", "verify", "--against", kept)
		if r.code != 6 || !strings.Contains(r.stdout, fmt.Sprintf("the log has %d events, but the kept checkpoint covers %d", k, len(log))) {
			t.Errorf("verify --against a kept checkpoint of a truncated ledger: exit %d\n%s", r.code, r.stdout)
		}
	})
}

// sshKey makes an Ed25519 key pair with ssh-keygen when it is installed
// (CI installs it: .ci/run), or in Go otherwise, and returns the private
// key file (the public key is beside it, + ".pub").
func sshKey(tb testing.TB, name string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if _, err := exec.LookPath("ssh-keygen"); err == nil {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path).CombinedOutput(); err != nil {
			tb.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		return path
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, name)
	if err != nil {
		tb.Fatal(err)
	}
	signer, _ := ssh.NewSignerFromKey(priv)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func needSSHKeygen(tb testing.TB) {
	tb.Helper()
	needOpenSSH(tb, "ssh-keygen")
}

// needOpenSSH skips the test when one of OpenSSH's tools is not installed;
// in CI, where .ci/run installs openssh-client, it fails it instead.
func needOpenSSH(tb testing.TB, tools ...string) {
	tb.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				tb.Fatalf("%s is missing: .ci/run installs openssh-client", tool)
			}
			tb.Skipf("%s not installed (apt-get install openssh-client)", tool)
		}
	}
}

// sshKeygenVerify runs OpenSSH's "ssh-keygen -Y verify" of the signature
// file sig over the file envelope, for principal, with the allowed signers
// file allowed (as "signature" writes them), and returns what it says.
func sshKeygenVerify(tb testing.TB, allowed, principal, sig, envelope string) (string, error) {
	tb.Helper()
	cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed, "-I", principal, "-n", integrity.Namespace, "-s", sig)
	f, err := os.Open(envelope)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	cmd.Stdin = f
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func fingerprint(tb testing.TB, keyPath string) string {
	tb.Helper()
	b, err := os.ReadFile(keyPath + ".pub")
	if err != nil {
		tb.Fatal(err)
	}
	_, fp, err := integrity.ParseSignerKey(string(b))
	if err != nil {
		tb.Fatal(err)
	}
	return fp
}

// signedLedger is smallLedger with a second key of ivy's registered (made
// with ssh-keygen), and an incident assessed and classified, ready for
// ivy's declaration. Unsigned, it is made with "init --unsigned", ivy's
// key is the only one registered, and a policy requires declarations,
// approvals and notices to be signed.
func signedLedger(tb testing.TB, unsigned bool) (c *cli, inc, ivyKey string, log []logEntry) {
	tb.Helper()
	c, inc, _ = recordSmall(tb, unsigned)
	ivyKey = sshKey(tb, "ivy")
	c.ok("alice", "grant", "sam", "security-response", "--at", "2025-03-01T00:03:00Z")
	if !unsigned {
		c.register("2025-03-01T00:03:00Z", "sam")
	}
	c.ok("alice", "signer", "register", "ivy", ivyKey+".pub", "--reason", "SIM rota", "--at", "2025-03-01T00:04:00Z")
	c.ok("oscar", "assess", inc, "-f", "medium", "-r", "extended", "-i", "privacy-breach", "--at", "2025-03-07T16:00:00Z")
	c.ok("sam", "stage", inc, "diagnose", "--at", "2025-03-07T17:00:00Z")
	c.ok("sam", "classify", inc, "privacy-breach", "--at", "2025-03-07T18:00:00Z")
	if unsigned {
		// Set after the unsigned assessment and classification: it
		// requires every fact that moves a clock signed too.
		c.ok("alice", "signature-policy", "declaration", "approvals", "notifications", "--at", "2025-03-07T18:30:00Z")
	}
	c.json(&log, "log")
	return c, inc, ivyKey, log
}

// TestSignedEvents: a policy refuses unsigned declarations; a signed one
// lands and verifies; a revoked key's later signatures are refused.
func TestSignedEvents(t *testing.T) {
	c, inc, ivyKey, _ := signedLedger(t, true)
	declare := []string{"declare", inc, "--basis", "evidence", "--reasoning", "logs", "--at", "2025-03-08T09:00:00Z"}
	r := c.run("ivy", declare...)
	if r.code != 4 || !strings.Contains(r.stderr, "signature-required") {
		t.Fatalf("an unsigned declaration under the policy: exit %d, want 4 signature-required\n%s", r.code, r.stderr)
	}
	other := sshKey(t, "other")
	if r := c.run("ivy", append([]string{"--sign-key", other}, declare...)...); r.code != 4 || !strings.Contains(r.stderr, "signer-unknown") {
		t.Errorf("a declaration signed with an unregistered key: exit %d, want 4 signer-unknown\n%s", r.code, r.stderr)
	}
	if r := c.run("oscar", append([]string{"--sign-key", ivyKey}, "note", inc, "signed by someone else's key")...); r.code != 4 || !strings.Contains(r.stderr, "signer-not-yours") {
		t.Errorf("oscar signing with ivy's key: exit %d, want 4 signer-not-yours\n%s", r.code, r.stderr)
	}
	c.ok("ivy", append([]string{"--sign-key", ivyKey}, declare...)...)
	r = c.run("auditor", "verify")
	if r.code != 0 || !strings.Contains(r.stdout, "1 signed events") {
		t.Fatalf("verify after a signed declaration: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var signers struct {
		Keys []struct {
			Actor, Fingerprint string
		} `json:"keys"`
		Required []string `json:"required"`
	}
	c.json(&signers, "signer", "list")
	if len(signers.Keys) != 1 || signers.Keys[0].Actor != "ivy" || signers.Keys[0].Fingerprint != fingerprint(t, ivyKey) {
		t.Errorf("signer list = %+v", signers)
	}
	if got, want := strings.Join(signers.Required, ","), strings.Join(domain.ClockTypes(), ","); got != want {
		t.Errorf("required = %s, want %s", got, want)
	}
	if !strings.Contains(r.stdout, "authorship unproven: this ledger is not in signed mode") {
		t.Errorf("verify of a ledger made with init --unsigned does not say its authorship is unproven:\n%s", r.stdout)
	}

	// Revoking the key: later signatures with it are refused; the
	// declaration signed before stays valid.
	c.ok("ivy", "--sign-key", ivyKey, "signer", "revoke", "ivy", fingerprint(t, ivyKey), "--reason", "laptop lost")
	if r := c.run("ivy", "--sign-key", ivyKey, "note", inc, "with a revoked key"); r.code != 4 || !strings.Contains(r.stderr, "signer-revoked") {
		t.Errorf("signing with a revoked key: exit %d, want 4 signer-revoked\n%s", r.code, r.stderr)
	}
	if r := c.run("auditor", "verify"); r.code != 0 {
		t.Errorf("verify after the revocation: exit %d\n%s", r.code, r.stdout)
	}
}

// TestTamperWithKey is attacker model (b): the file and the ledger key.
func TestTamperWithKey(t *testing.T) {
	base, inc, ivyKey, log := signedLedger(t, false)
	c0 := base
	c0.ok("ivy", "--sign-key", ivyKey, "declare", inc, "--basis", "evidence", "--reasoning", "logs", "--at", "2025-03-08T09:00:00Z")
	c0.json(&log, "log")
	kept := filepath.Join(t.TempDir(), "kept.checkpoint")
	base.ok("auditor", "checkpoint", "-o", kept)
	n := uint64(len(log))
	// resign drops every checkpoint and signs the tampered log afresh with
	// the stolen key, as a thief of the key would.
	resign := func(t *testing.T, c *cli) {
		tamper(t, c.ledger, `DELETE FROM checkpoints`, `DELETE FROM checkpoint_leaves`)
		signWithStolenKey(t, c.ledger)
	}

	t.Run("history rewritten and re-signed", func(t *testing.T) {
		c := copyLedger(t, base)
		var k uint64 // a note in the middle
		for _, e := range log {
			if strings.Contains(string(e.Payload), "second note") {
				k = e.Seq
			}
		}
		if k == 0 {
			t.Fatal("no second note in the log")
		}
		tamper(t, c.ledger, fmt.Sprintf(`UPDATE events SET payload = CAST(replace(CAST(payload AS TEXT), 'note', 'NOTE') AS BLOB) WHERE seq = %d`, k))
		resign(t, c)
		// The ledger key re-signs the tree, but the note was signed by
		// its author, whose key the thief does not hold.
		verifyFails(t, c, k, log[k].EventID, "oscar's signature", "does not verify")
		r := c.run("auditor", "verify", "--against", kept)
		if r.code != 6 || !strings.Contains(r.stdout, fmt.Sprintf("the first %d events do not give the root of the kept checkpoint", n)) {
			t.Errorf("verify --against the kept checkpoint: exit %d, want 6\n%s", r.code, r.stdout)
		}
	})

	forge := func(t *testing.T, c *cli, mutate func(r *eventstore.Record)) eventstore.Record {
		decl := readRecord(t, c.ledger, n-1)
		if decl.Type != "CRSPIDeclared" {
			t.Fatalf("seq %d is %s", n-1, decl.Type)
		}
		f := decl
		f.ID, f.Sequence, f.Revision = uuid.Must(uuid.NewV7()), n, decl.Revision+1
		f.Payload = []byte(`{"basis":"legal-duty","reasoning":"forged"}`)
		f.Signer, f.Signature = "", nil
		mutate(&f)
		insertRecord(t, c.ledger, f)
		signWithStolenKey(t, c.ledger)
		return f
	}
	t.Run("a forged unsigned declaration", func(t *testing.T) {
		c := copyLedger(t, base)
		f := forge(t, c, func(*eventstore.Record) {})
		verifyFails(t, c, n, f.ID.String(), "signature-required")
	})
	t.Run("a forged declaration with a made-up signature", func(t *testing.T) {
		c := copyLedger(t, base)
		decl := readRecord(t, c.ledger, n-1)
		f := forge(t, c, func(r *eventstore.Record) { r.Signer, r.Signature = decl.Signer, decl.Signature })
		verifyFails(t, c, n, f.ID.String(), "does not verify")
	})
	t.Run("a declaration signed with ivy's key after its revocation", func(t *testing.T) {
		c := copyLedger(t, base)
		c.ok("alice", "signer", "revoke", "ivy", fingerprint(t, ivyKey), "--reason", "laptop stolen")
		n := n + 1
		signer, err := keyfiles.ReadSSHSigner(ivyKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		decl := readRecord(t, c.ledger, n-2)
		f := decl
		f.ID, f.Sequence, f.Revision = uuid.Must(uuid.NewV7()), n, decl.Revision+1
		f.Payload = []byte(`{"basis":"legal-duty","reasoning":"signed by the thief"}`)
		f.Basis = readRecord(t, c.ledger, n-1).Revision + 1 // decided on the ledger with the revocation: no race (race_e2e_test.go has that case)
		f.Signer = integrity.Fingerprint(signer.PublicKey())
		f.RecordedAt = time.Now().UTC()
		if f.Signature, err = integrity.SignEnvelope(integrity.EnvelopeOf(f).Marshal(), signer); err != nil {
			t.Fatal(err)
		}
		insertRecord(t, c.ledger, f)
		signWithStolenKey(t, c.ledger)
		verifyFails(t, c, n, f.ID.String(), "signer-revoked")
	})
}

// signWithStolenKey signs a checkpoint over everything in the ledger file
// at path with its ledger key, as a thief of the key would with a program
// of their own (breachledger itself signs only what it appended).
func signWithStolenKey(tb testing.TB, path string) {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	recs, err := st.ReadAll(ctx, 0, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := (ledger.Checkpointer{Store: st, Key: testLedgerKey(tb, st)}).Checkpoint(ctx, recs); err != nil {
		tb.Fatal(err)
	}
}

// publicKeyIn writes the ledger's public key into a new directory, as its
// holder gives it to an auditor, and returns both.
func publicKeyIn(t testing.TB, c *cli) (dir, pub string) {
	t.Helper()
	dir = t.TempDir()
	pub = filepath.Join(dir, "ledger.pub")
	c.ok("alice", "key", "public", "-o", pub)
	return dir, pub
}

// exportBundle exports a bundle (export flags in args) to dir/name and
// returns its path.
func exportBundle(c *cli, dir, name string, args ...string) string {
	c.tb.Helper()
	path := filepath.Join(dir, name)
	c.ok("auditor", append([]string{"export", "--bundle", path}, args...)...)
	return path
}

// TestProofs: inclusion and consistency proofs verify offline with only
// the proof, a checkpoint and the public key; a proof for a different
// event, against an old checkpoint, or under a wrong key is refused.
func TestProofs(t *testing.T) {
	c, inc, log := smallLedger(t)
	dir, pub := publicKeyIn(t, c)
	old := filepath.Join(dir, "old.checkpoint")
	c.ok("auditor", "checkpoint", "-o", old)
	c.ok("oscar", "note", inc, "after the old checkpoint", "--at", "2025-03-07T20:00:00Z")
	cur := filepath.Join(dir, "new.checkpoint")
	c.ok("auditor", "checkpoint", "-o", cur)

	target := log[len(log)-3]
	proof := filepath.Join(dir, "event.tlog-proof")
	c.ok("auditor", "prove", "inclusion", target.EventID, "-o", proof)
	b, _ := os.ReadFile(proof)
	if !bytes.HasPrefix(b, []byte("c2sp.org/tlog-proof@v1\nextra ")) {
		t.Errorf("the proof is not a C2SP tlog-proof with its leaf:\n%s", b)
	}
	consistency := filepath.Join(dir, "since-old.proof")
	c.ok("auditor", "prove", "consistency", old, "latest", "-o", consistency)

	// Another ledger's key: a wrong key.
	other, _, _ := smallLedger(t)
	wrongPub := filepath.Join(dir, "other.pub")
	other.ok("alice", "key", "public", "-o", wrongPub)
	tampered := filepath.Join(dir, "tampered.tlog-proof")
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if i > 2 && len(l) == 44 { // the first hash of the path
			lines[i] = "AAAA" + l[4:]
			break
		}
	}
	os.WriteFile(tampered, []byte(strings.Join(lines, "\n")), 0o644)

	// Offline: no ledger is reachable.
	offline := &cli{tb: t, ledger: filepath.Join(dir, "no", "such.db")}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"inclusion", []string{"--proof", proof, "--key", pub, "--event", target.EventID}, 0, "inclusion proof OK: event " + target.EventID},
		{"inclusion against the checkpoint it names", []string{"--proof", proof, "--key", pub, "--checkpoint", cur}, 0, "inclusion proof OK"},
		{"inclusion of a different event", []string{"--proof", proof, "--key", pub, "--event", log[1].EventID}, 6, "not " + log[1].EventID},
		{"inclusion against an old checkpoint", []string{"--proof", proof, "--key", pub, "--checkpoint", old}, 6, "an older or newer checkpoint"},
		{"inclusion under a wrong key", []string{"--proof", proof, "--key", wrongPub}, 6, "not signed by the ledger key"},
		{"a tampered inclusion proof", []string{"--proof", tampered, "--key", pub}, 6, "is not in the tree"},
		{"consistency", []string{"--proof", consistency, "--key", pub, "--old", old, "--checkpoint", cur}, 0, "consistency proof OK"},
		{"consistency from another old checkpoint", []string{"--proof", consistency, "--key", pub, "--old", cur}, 6, "an older or newer checkpoint"},
		{"consistency under a wrong key", []string{"--proof", consistency, "--key", wrongPub}, 6, "not signed by the ledger key"},
		{"a proof without a key", []string{"--proof", proof}, 2, "--key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := offline.with(t).run("auditor", append([]string{"verify"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("exit %d, want %d saying %q\n%s%s", r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
		})
	}

	// A consistency proof is not made for a ledger that does not extend
	// the old checkpoint.
	if r := c.run("auditor", "prove", "consistency", filepath.Join(dir, "other.checkpoint"), "latest"); r.code != 2 {
		t.Errorf("prove consistency from a missing file: exit %d, want 2", r.code)
	}
}

// TestBundle: a bundle verifies with only the binary and the public key;
// a modified bundle is refused, naming what changed.
func TestBundle(t *testing.T) {
	c, inc, log := smallLedger(t)
	dir, pub := publicKeyIn(t, c)
	full := exportBundle(c, dir, "full.bundle")
	one := exportBundle(c, dir, "incident.bundle", "--incident", inc)

	// "Another machine": a directory with the bundle and the public key, and
	// no ledger.
	elsewhere := t.TempDir()
	for _, f := range []string{full, one, pub} {
		b, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(elsewhere, filepath.Base(f)), b, 0o644)
	}
	offline := &cli{tb: t, ledger: filepath.Join(elsewhere, "absent.db")}
	pubThere := filepath.Join(elsewhere, "ledger.pub")
	r := offline.run("auditor", "verify", "--bundle", filepath.Join(elsewhere, "full.bundle"), "--key", pubThere, "--replay")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%d events", len(log))) || !strings.Contains(r.stdout, "intact") || !strings.Contains(r.stdout, "odd logins") {
		t.Fatalf("verify --bundle --replay: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := offline.run("auditor", "verify", "--bundle", filepath.Join(elsewhere, "incident.bundle"), "--key", pubThere); r.code != 0 || !strings.Contains(r.stdout, "a range: sequences ") {
		t.Fatalf("verify of the incident bundle: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	edit := func(t *testing.T, src string, fn func(b *integrity.Bundle)) string {
		data, _ := os.ReadFile(src)
		b, err := integrity.ParseBundle(data)
		if err != nil {
			t.Fatal(err)
		}
		fn(b)
		out, _ := b.Marshal()
		p := filepath.Join(t.TempDir(), "edited.bundle")
		os.WriteFile(p, out, 0o644)
		return p
	}
	k := len(log) - 3
	tests := []struct {
		name string
		src  string
		fn   func(b *integrity.Bundle)
		want string
	}{
		{"a payload byte", full, func(b *integrity.Bundle) { b.Events[k].Payload[3] ^= 1 },
			fmt.Sprintf("first bad event: seq %d, event %s: changed", k, log[k].EventID)},
		{"an actor", full, func(b *integrity.Bundle) { b.Events[k].Actor = "mallory" },
			fmt.Sprintf("first bad event: seq %d, event %s: changed", k, log[k].EventID)},
		{"an event removed from a complete bundle", full, func(b *integrity.Bundle) { b.Events = append(b.Events[:k], b.Events[k+1:]...) },
			fmt.Sprintf("first bad event: seq %d: missing", k)},
		{"an event removed from a selection", one, func(b *integrity.Bundle) {
			for i, e := range b.Events {
				if e.EventID.String() == log[k].EventID {
					b.Events = append(b.Events[:i], b.Events[i+1:]...)
					return
				}
			}
			t.Fatal("event not in the bundle")
		}, "they were left out"},
		{"the checkpoint's signature", full, func(b *integrity.Bundle) {
			b.Checkpoint = strings.Replace(b.Checkpoint, "\n\u2014 ", "\n\u2014 x", 1)
		}, "the bundle's checkpoint"},
		{"the checkpoint's size", full, func(b *integrity.Bundle) {
			lines := strings.SplitN(b.Checkpoint, "\n", 3)
			b.Checkpoint = lines[0] + "\n999\n" + lines[2]
		}, "does not verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := edit(t, tt.src, tt.fn)
			r := offline.with(t).run("auditor", "verify", "--bundle", p, "--key", pubThere)
			if r.code != 6 || !strings.Contains(r.stdout, tt.want) {
				t.Errorf("exit %d, want 6 saying %q\n%s%s", r.code, tt.want, r.stdout, r.stderr)
			}
		})
	}
	t.Run("malformed", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "bad.bundle")
		os.WriteFile(p, []byte(`{"format":"breachledger-bundle/v2","events":[{"seq":"x"}]}`), 0o644)
		if r := offline.with(t).run("auditor", "verify", "--bundle", p, "--key", pubThere); r.code != 6 || !strings.Contains(r.stderr, "read bundle") {
			t.Errorf("a malformed bundle: exit %d\n%s", r.code, r.stderr)
		}
	})
}

// TestSSHKeygenInterop: an event signed by this tool verifies with
// "ssh-keygen -Y verify", from the files "breachledger signature" writes.
func TestSSHKeygenInterop(t *testing.T) {
	needSSHKeygen(t)
	c, inc, _ := smallLedger(t)
	key := sshKey(t, "oscar")
	c.ok("alice", "signer", "register", "oscar", key+".pub")
	id := strings.TrimSpace(c.ok("oscar", "--sign-key", key, "note", inc, "signed note", "-q"))
	dir := t.TempDir()
	env, sig, allowed := filepath.Join(dir, "ev.bin"), filepath.Join(dir, "ev.sig"), filepath.Join(dir, "allowed")
	c.ok("auditor", "signature", id, "--envelope", env, "--signature", sig, "--allowed-signers", allowed)
	verify := func(envelope string) (string, error) { return sshKeygenVerify(t, allowed, "oscar", sig, envelope) }
	out, err := verify(env)
	if err != nil || !strings.Contains(out, `Good "breachledger-event@v1" signature for oscar`) {
		t.Fatalf("ssh-keygen -Y verify: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(env)
	b[len(b)-1] ^= 1
	os.WriteFile(env+".x", b, 0o644)
	if out, err := verify(env + ".x"); err == nil {
		t.Errorf("ssh-keygen accepted the signature over an altered envelope:\n%s", out)
	}
}

// TestSSHAgent signs through an ssh-agent (an in-process one serving the
// agent protocol on a Unix socket).
func TestSSHAgent(t *testing.T) {
	c, inc, _ := smallLedger(t)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sock := testsupport.ServeKeyring(t, priv) // identity_e2e_test.go
	signer, _ := ssh.NewSignerFromKey(priv)
	pubFile := filepath.Join(t.TempDir(), "ivy.pub")
	os.WriteFile(pubFile, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644)
	c.ok("alice", "signer", "register", "ivy", pubFile)
	t.Setenv("SSH_AUTH_SOCK", sock)
	c.ok("ivy", "--ssh-agent", "note", inc, "signed through the agent")
	c.ok("ivy", "--ssh-agent", "--sign-key", pubFile, "note", inc, "signed through the agent, key named")
	r := c.run("auditor", "verify")
	var log []logEntry
	c.json(&log, "log")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%d signed events", len(log))) { // all: the two through the agent among them
		t.Errorf("verify after signing with the agent: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestLedgerKey: init makes the key apart from the ledger with mode 0600;
// without the key nothing is appended.
func TestLedgerKey(t *testing.T) {
	c := newLedger(t)
	out := c.ok("alice", "init", "--name", "Key Test", "--at", "2025-03-01T00:00:00Z")
	if !strings.Contains(out, "public key: breachledger/key-test/") {
		t.Errorf("init does not print the public key:\n%s", out)
	}
	path := strings.TrimSpace(c.ok("alice", "key", "path"))
	if filepath.Dir(path) == filepath.Dir(c.ledger) {
		t.Errorf("the key %s is beside the ledger", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %o, want 0600", fi.Mode().Perm())
	}
	pub := strings.TrimSpace(c.ok("alice", "key", "public"))
	b, _ := os.ReadFile(path + ".pub")
	if strings.TrimSpace(string(b)) != pub {
		t.Errorf("key public = %q, %s.pub = %q", pub, path, b)
	}
	before := c.dump()
	moved := path + ".moved"
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	if r := c.run("alice", "grant", "oscar", "responder"); r.code == 0 || !strings.Contains(r.stderr, "nothing was recorded") {
		t.Errorf("a write without the ledger key: exit %d\n%s", r.code, r.stderr)
	}
	if after := c.dump(); after != before {
		t.Errorf("a write without the key changed the ledger")
	}
	c.ok("alice", "--ledger-key", moved, "grant", "oscar", "responder")
	t.Setenv("BREACHLEDGER_LEDGER_KEY", moved)
	if r := c.run("auditor", "verify"); r.code != 0 {
		t.Errorf("verify with BREACHLEDGER_LEDGER_KEY: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	os.Chmod(moved, 0o644)
	if r := c.run("alice", "grant", "ivy", "responder"); r.code == 0 || !strings.Contains(r.stderr, "lets others read it") {
		t.Errorf("a world-readable key: exit %d\n%s", r.code, r.stderr)
	}
}
