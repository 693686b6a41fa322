package main_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/stores"
)

// A team ledger (issue 13): the notary holds the ledger key, the
// responders hold only their own SSH keys. A responder who can write to
// the store (the SQLite file, or EventStoreDB with a user's rights) writes
// rows around the CLI: each the rules would refuse is rejected by the
// notary, named by verify, and counted by nothing; the honest events after
// it are still checkpointed.

// team is a team ledger: alice (admin) made it and appointed the notary;
// oscar (responder) and ivy (security incident manager) write with their
// own keys; the auditor pinned the ledger key before the hand-over.
type team struct {
	c         *cli
	notaryKey string // the notary's ledger key file
	oldKey    string // the ledger key before the hand-over, kept by nobody but an attacker
	overdue   string // an incident whose GDPR Art. 33 notice is overdue
	at        func(ago time.Duration) string
}

// newTeam makes the team ledger on c: the ledger and its first incident in
// inline mode, the auditor's pin, then the notary's appointment; the old
// ledger key is moved out of the key directory every writer shares here.
func newTeam(t *testing.T, c *cli) *team {
	t.Helper()
	now := time.Now().UTC()
	tm := &team{c: c, at: func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }}
	c.ok("alice", "init", "--name", "Team", "--at", tm.at(200*time.Hour))
	c.ok("alice", "grant", "oscar", "responder", "--at", tm.at(199*time.Hour))
	c.ok("alice", "grant", "ivy", "security-incident-manager", "--at", tm.at(199*time.Hour))
	c.register(tm.at(199*time.Hour), "oscar", "ivy")
	tm.overdue = strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "customer-report", "--summary", "Customer database exposed",
		"--aware-at", tm.at(80*time.Hour), "--role", "controller", "--at", tm.at(80*time.Hour)))
	c.ok("oscar", "assess", tm.overdue, "-f", "low", "-r", "regular", "-i", "privacy-breach", "--at", tm.at(79*time.Hour))
	c.ok("auditor", "verify") // pins the ledger key, as an auditor does on first use
	dir := t.TempDir()
	tm.notaryKey = filepath.Join(dir, "notary.key")
	c.ok("alice", "notary", "appoint", "--generate", tm.notaryKey, "--reason", "the team grows")
	origin := ledgerOrigin(t, c)
	kept := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "breachledger", "keys", strings.NewReplacer("/", "-").Replace(strings.TrimPrefix(origin, "breachledger/"))+".key")
	if _, err := os.Stat(kept); err != nil {
		t.Fatalf("the ledger key is not where init put it: %v", err)
	}
	tm.oldKey = filepath.Join(dir, "old.key")
	for _, ext := range []string{"", ".pub"} {
		if err := os.Rename(kept+ext, tm.oldKey+ext); err != nil {
			t.Fatal(err)
		}
	}
	tm.notarize()
	return tm
}

// ledgerOrigin reads the ledger's origin from verify --json.
func ledgerOrigin(t *testing.T, c *cli) string {
	t.Helper()
	var rep struct{ Origin string }
	c.json(&rep, "verify")
	if rep.Origin == "" {
		t.Fatal("verify --json names no origin")
	}
	return rep.Origin
}

// seal signs, with the ledger key in keyFile, a checkpoint of the whole
// log, as whoever holds that key can, bypassing every judgement;
// previousPub is the public key file of the key that signed the newest
// checkpoint, when it is another ("" when the same).
func (tm *team) seal(t *testing.T, keyFile, previousPub string) {
	t.Helper()
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := integrity.ParseLedgerKey(string(b))
	if err != nil {
		t.Fatal(err)
	}
	c := ledger.Checkpointer{Key: key}
	if previousPub != "" {
		pb, err := os.ReadFile(previousPub)
		if err != nil {
			t.Fatal(err)
		}
		if c.Previous, err = integrity.ParsePublicKey(string(pb)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if c.Store, err = stores.Open(ctx, tm.c.ledger, stores.Options{}); err != nil {
		t.Fatal(err)
	}
	defer c.Store.Close()
	head, err := c.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Seal(ctx, head); err != nil {
		t.Fatal(err)
	}
}

// notarize runs the notary once over what the log holds, and returns what
// it printed.
func (tm *team) notarize() string {
	tm.c.tb.Helper()
	return tm.c.ok("alice", "--ledger-key", tm.notaryKey, "notary", "run", "--once")
}

// forge appends events to stream straight into the store, as actor,
// signed with signer's own SSH key ("" for unsigned), around the CLI: no
// rule is asked. It returns the records as stored.
func (tm *team) forge(t *testing.T, stream, actor, signer string, at time.Time, events ...domain.Event) []eventstore.Record {
	t.Helper()
	ctx := context.Background()
	st, err := stores.Open(ctx, tm.c.ledger, stores.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	length := func(s string) uint64 {
		recs, err := st.ReadStream(ctx, s, eventstore.ReadOptions{})
		if err != nil && !strings.Contains(err.Error(), "not found") {
			t.Fatal(err)
		}
		return uint64(len(recs))
	}
	var sg ssh.Signer
	if signer != "" {
		b, err := os.ReadFile(signerKey(signer))
		if err != nil {
			t.Fatal(err)
		}
		if sg, err = ssh.ParsePrivateKey(b); err != nil {
			t.Fatal(err)
		}
	}
	basis := length(domain.LedgerStream)
	recs := make([]eventstore.Record, len(events))
	for i, e := range events {
		typ, payload, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ, OccurredAt: at.UTC(), Actor: actor, Payload: payload, Basis: basis}
		if sg != nil {
			recs[i].Signer = integrity.Fingerprint(sg.PublicKey())
			if recs[i].Signature, err = integrity.SignEnvelope(integrity.EnvelopeOf(recs[i]).Marshal(), sg); err != nil {
				t.Fatal(err)
			}
		}
	}
	stored, err := st.Append(ctx, stream, eventstore.After(length(stream)), recs)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

// TestNotaryTeamLedger is the acceptance of issue 13 on SQLite.
func TestNotaryTeamLedger(t *testing.T) { testNotaryTeam(t, newLedger(t)) }

// TestNotaryTeamLedgerESDB is the same on the EventStoreDB test server.
func TestNotaryTeamLedgerESDB(t *testing.T) {
	c, _ := newESDBLedger(t)
	testNotaryTeam(t, c)
}

func testNotaryTeam(t *testing.T, c *cli) {
	tm := newTeam(t, c)
	stream := domain.IncidentStream(tm.overdue)
	if r := c.run("auditor", "deadlines", "--overdue"); r.code != 7 {
		t.Fatalf("deadlines --overdue before any forgery: exit %d, want 7\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The writers hold no ledger key: they append, the notary checkpoints.
	c.ok("oscar", "note", tm.overdue, "honest note before the forgeries")
	if r := c.run("auditor", "log"); r.code != 0 || !strings.Contains(r.stderr, "not yet checkpointed: 1") {
		t.Errorf("a reader before the notary's checkpoint: exit %d, want 0 and the lag on stderr\n%s", r.code, r.stderr)
	}
	// Nobody but the notary signs a checkpoint: "checkpoint" gives the
	// notary's newest, for an auditor to keep, and covers nothing new.
	kept := filepath.Join(t.TempDir(), "kept.checkpoint")
	if r := c.run("auditor", "checkpoint", "-o", kept); r.code != 0 || !strings.Contains(r.stdout, "nothing was signed here") {
		t.Errorf("checkpoint on a notary's ledger: exit %d, want the notary's newest written\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := c.run("auditor", "log"); !strings.Contains(r.stderr, "not yet checkpointed: 1") {
		t.Errorf("checkpoint covered the pending note:\n%s", r.stderr)
	}

	now := time.Now().UTC()
	backdoor := "blt_backdoor"
	sum := sha256.Sum256([]byte(backdoor))
	notice := domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "CNIL", Jurisdiction: "FR",
		Channel: domain.ChannelPortal, Phase: domain.PhaseInitial}
	noticeAt := mustTime(t, tm.at(76*time.Hour)) // before the Art. 33 notice was due
	forgeries := []struct {
		name   string
		rule   string
		forged []eventstore.Record
	}{
		{"an unsigned note", "signature-required",
			tm.forge(t, stream, "oscar", "", now, domain.NoteAdded{Text: "unsigned"})},
		{"a token by a responder, signed with his own key", "token-role",
			tm.forge(t, domain.LedgerStream, "oscar", "oscar", now, domain.APITokenIssued{Token: "T1", Name: "backdoor", SHA256: hex.EncodeToString(sum[:])})},
		{"a notice by a responder, backdated, signed with his own key", "notify-role",
			tm.forge(t, stream, "oscar", "oscar", noticeAt, notice)},
		{"a notice signed with another's key", "signer-not-yours",
			tm.forge(t, stream, "ivy", "oscar", noticeAt, notice)},
		{"a rejection of an honest event by an admin", "custody-notary",
			tm.forge(t, domain.LedgerStream, "alice", "alice", now, domain.ForeignEventRejected{Seq: 1, EventID: uuid.Must(uuid.NewV7()).String(), LeafSHA256: strings.Repeat("0", 64), Reason: "hide it"})},
	}
	c.ok("ivy", "note", tm.overdue, "honest note after the forgeries")
	out := tm.notarize()
	if !strings.Contains(out, "rejected 5 append(s)") {
		t.Errorf("the notary: %q, want 5 appends rejected", out)
	}
	tm.notarize() // covers the rejections

	var log []logEntry
	c.json(&log, "log")
	counted := map[string]bool{}
	for _, e := range log {
		counted[e.EventID] = true
	}
	for _, text := range []string{"honest note before the forgeries", "honest note after the forgeries"} {
		if r := c.ok("auditor", "timeline", tm.overdue); !strings.Contains(r, text) {
			t.Errorf("the timeline does not show %q: honest events after a forgery must still be checkpointed\n%s", text, r)
		}
	}
	r := c.run("auditor", "verify")
	if r.code != 6 {
		t.Errorf("verify over rejected forgeries: exit %d, want 6\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, f := range forgeries {
		for _, rec := range f.forged {
			if counted[rec.ID.String()] {
				t.Errorf("%s: event %s counts in the log", f.name, rec.ID)
			}
			if !strings.Contains(r.stdout, rec.ID.String()) || !strings.Contains(r.stdout, "rule "+f.rule) {
				t.Errorf("%s: verify does not name event %s with rule %s\n%s", f.name, rec.ID, f.rule, r.stdout)
			}
		}
	}
	if strings.Contains(r.stdout, "not yet checkpointed") {
		t.Errorf("verify after the notary caught up still reports lag:\n%s", r.stdout)
	}
	// Judged again without the notary's key, the notary did as the rules
	// say: nothing accepted that they refuse, nothing rejected they accept.
	if r := c.run("auditor", "verify", "--rules"); r.code != 6 || strings.Contains(r.stdout, "accepted-refused") || strings.Contains(r.stdout, "rejected-accepted") {
		t.Errorf("verify --rules of an honest notary: exit %d, want 6 for the rejected forgeries only\n%s", r.code, r.stdout)
	}
	if r := c.run("auditor", "verify", "--against", kept); !strings.Contains(r.stdout, "consistent with the kept checkpoint") {
		t.Errorf("verify --against the notary's checkpoint kept earlier:\n%s%s", r.stdout, r.stderr)
	}
	// The forged token opens nothing.
	if out := c.ok("auditor", "token", "list"); strings.Contains(out, "backdoor") {
		t.Errorf("the forged token is listed:\n%s", out)
	}
	_, secret := issueToken(t, c, "grc")
	tm.notarize()
	srv := startServe(t, c)
	if code, body := srv.get(t, "GET", "/v1/incidents", backdoor); code != 401 {
		t.Errorf("the forged token reads the API: %d %s", code, body)
	}
	if code, body := srv.get(t, "GET", "/v1/incidents", secret); code != 200 {
		t.Errorf("an honest token after the forgeries: %d %s", code, body)
	}
	// The forged notices silence no alarm: the same notice, recorded by
	// ivy through the CLI, does.
	if r := c.run("auditor", "deadlines", "--overdue"); r.code != 7 {
		t.Errorf("deadlines --overdue over forged notices: exit %d, want 7 (the alarm rings)\n%s%s", r.code, r.stdout, r.stderr)
	}
	c.ok("ivy", "notify", tm.overdue, "--to", "supervisory-authority", "--recipient", "CNIL", "--jurisdiction", "FR", "--channel", "portal", "--at", tm.at(76*time.Hour), "--late-entry-reason", "recorded from the portal receipt")
	tm.notarize()
	if r := c.run("auditor", "deadlines", "--overdue"); r.code != 0 {
		t.Errorf("deadlines --overdue after ivy's own notice: exit %d, want 0 (the control: this notice silences the alarm when it counts)\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestNotaryKeyRotation: after the hand-over the key before it signs
// nothing that verifies, and the auditor's pin of it follows the hand-over.
func TestNotaryKeyRotation(t *testing.T) {
	c := newLedger(t)
	tm := newTeam(t, c)
	c.ok("oscar", "note", tm.overdue, "after the hand-over")
	tm.notarize()
	r := c.run("auditor", "verify")
	if r.code != 0 || !strings.Contains(r.stdout, "intact") {
		t.Fatalf("verify with the pin of the key before the hand-over: exit %d, want 0 (the pin follows the recorded hand-over)\n%s%s", r.code, r.stdout, r.stderr)
	}
	if out := c.ok("auditor", "pin", "list"); !strings.Contains(out, ledgerOrigin(t, c)) {
		t.Errorf("the pin is gone:\n%s", out)
	}
	// Whoever kept the old key signs a checkpoint of the log with it.
	c.ok("oscar", "note", tm.overdue, "covered by a stolen key")
	tm.seal(t, tm.oldKey, tm.notaryKey+".pub")
	r = c.run("auditor", "verify")
	if r.code != 6 || !strings.Contains(r.stdout, "retired ledger key") {
		t.Errorf("verify over a checkpoint the old key signed after the hand-over: exit %d, want 6 naming the retired key\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := c.run("auditor", "log"); r.code != 6 {
		t.Errorf("a reader over it: exit %d, want 6\n%s", r.code, r.stderr)
	}
}

// TestNotaryKeyInAgent: the notary's key may live in ssh-agent, as the
// ledger key may: appointed by its fingerprint, the notary runs with it,
// and signs its rejections through the agent (the key it holds is the one
// the appointment registered for it, which no actor may use as a ledger
// key).
func TestNotaryKeyInAgent(t *testing.T) {
	sock := startOpenSSHAgent(t)
	fp, _ := agentHeldKey(t, sock, "notary")
	c := newLedger(t)
	c.env = append(c.env, "SSH_AUTH_SOCK="+sock)
	c.ok("alice", "init", "--name", "Agent Notary", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:01:00Z", "oscar")
	c.ok("alice", "notary", "appoint", "--to", "agent:"+fp, "--reason", "the notary's key never leaves the agent")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "odd logins", "--at", "2025-03-07T10:00:00Z"))
	tm := &team{c: c}
	forged := tm.forge(t, domain.IncidentStream(inc), "oscar", "", time.Now(), domain.NoteAdded{Text: "unsigned"})
	if out := c.ok("alice", "--ledger-key", "agent:"+fp, "notary", "run", "--once"); !strings.Contains(out, "rejected 1 append(s)") {
		t.Fatalf("the notary with its key in ssh-agent: %q, want 1 append rejected", out)
	}
	c.ok("alice", "--ledger-key", "agent:"+fp, "notary", "run", "--once")
	r := c.run("auditor", "verify")
	if r.code != 6 || !strings.Contains(r.stdout, forged[0].ID.String()) || !strings.Contains(r.stdout, "rule signature-required") {
		t.Errorf("verify: exit %d, want 6 naming the rejected note\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Every event but the forged one is signed and verifies: the notary's
	// rejection too, signed through the agent.
	if !strings.Contains(r.stdout, ": 11 events,") || !strings.Contains(r.stdout, " 10 signed events") {
		t.Errorf("the rejection the notary signed through the agent does not verify:\n%s", r.stdout)
	}
}

// TestNotaryLag: events the notary has not checkpointed yet are lag, not
// tampering (readers leave them out and say so, verify exits 0), until the
// oldest has waited longer than the ledger's notary-lag; the limit is the
// one the ledger's checkpointed events set, so a forged setting waiting
// for the notary cannot stretch it.
func TestNotaryLag(t *testing.T) {
	c := newLedger(t)
	tm := newTeam(t, c)
	// A short limit, but one the checks "within" it below take far less
	// than, even on a loaded machine.
	const lag = 5 * time.Second
	c.ok("alice", "setting", "notary-lag", "5s")
	tm.notarize()
	written := time.Now()
	c.ok("oscar", "note", tm.overdue, "waiting for the notary")
	// A responder's setting, signed with his own key: only the notary, which
	// applies the rules, refuses it (verify checks signatures, not roles).
	forged := tm.forge(t, domain.LedgerStream, "oscar", "oscar", time.Now(), domain.SettingChanged{Key: "notary-lag", Value: "1000h"})
	if r := c.run("auditor", "log"); r.code != 0 || !strings.Contains(r.stderr, "not yet checkpointed: 2") {
		t.Errorf("a reader within notary-lag: exit %d, want 0 saying what is not yet checkpointed\n%s", r.code, r.stderr)
	}
	if r := c.run("auditor", "verify"); r.code != 0 || !strings.Contains(r.stdout, "not yet checkpointed: 2") {
		t.Errorf("verify within notary-lag: exit %d, want 0 (lag is not tampering)\n%s%s", r.code, r.stdout, r.stderr)
	}
	if waited := time.Since(written); waited >= lag {
		t.Fatalf("the checks within notary-lag took %s, longer than the lag itself: the machine is too slow for this test", waited)
	}
	time.Sleep(time.Until(written.Add(lag + 500*time.Millisecond))) // past the ledger's notary-lag
	if r := c.run("auditor", "log"); r.code != 6 || !strings.Contains(r.stderr, "longer than the ledger's notary-lag (5s)") {
		t.Errorf("a reader past notary-lag: exit %d, want 6 (the forged 1000h setting does not count)\n%s", r.code, r.stderr)
	}
	if r := c.run("auditor", "verify"); r.code != 6 || !strings.Contains(r.stdout, "lag: ") {
		t.Errorf("verify past notary-lag: exit %d, want 6 with a lag problem\n%s%s", r.code, r.stdout, r.stderr)
	}
	tm.notarize()
	tm.notarize()
	if r := c.run("auditor", "log"); r.code != 0 || strings.Contains(r.stderr, "not yet checkpointed") {
		t.Errorf("a reader once the notary caught up: exit %d\n%s", r.code, r.stderr)
	}
	if r := c.run("auditor", "verify"); r.code != 6 || strings.Contains(r.stdout, "lag: ") || !strings.Contains(r.stdout, "rejected") || !strings.Contains(r.stdout, forged[0].ID.String()) {
		t.Errorf("verify once the notary caught up: exit %d, want 6 for the rejected forged setting only\n%s", r.code, r.stdout)
	}
}

// TestNotaryRefusals: an appointment the rules refuse, or a notary that is
// not the ledger's, says why and what to do instead, and appends nothing.
func TestNotaryRefusals(t *testing.T) {
	signed := newLedger(t)
	signed.ok("alice", "init", "--name", "Refusals", "--at", "2025-03-01T00:00:00Z")
	signed.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	signed.register("2025-03-01T00:01:00Z", "oscar")
	unsigned := newLedger(t)
	unsigned.ok("alice", "init", "--unsigned", "--name", "Unsigned", "--at", "2025-03-01T00:00:00Z")
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.key")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		c      *cli
		actor  string
		args   []string
		code   int
		stderr string
	}{
		{"no reason", signed, "alice", []string{"notary", "appoint", "--generate", filepath.Join(dir, "a.key")}, 2, "--reason"},
		{"no key", signed, "alice", []string{"notary", "appoint", "--reason", "r"}, 2, "--to PUB"},
		{"a key file that exists", signed, "alice", []string{"notary", "appoint", "--generate", existing, "--reason", "r"}, 2, "never overwrites"},
		{"not an admin", signed, "oscar", []string{"notary", "appoint", "--generate", filepath.Join(dir, "b.key"), "--reason", "r"}, 4, "notary-role"},
		{"an actor with a role", signed, "alice", []string{"notary", "appoint", "--generate", filepath.Join(dir, "c.key"), "--name", "oscar", "--reason", "r"}, 4, "notary-apart"},
		{"not in signed mode", unsigned, "alice", []string{"notary", "appoint", "--generate", filepath.Join(dir, "d.key"), "--reason", "r"}, 4, "notary-signed-mode"},
		{"no notary to run", signed, "alice", []string{"notary", "run", "--once"}, 1, "no notary appointed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c.with(t)
			before := countEvents(t, c.ledger)
			r := c.run(tt.actor, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, want %d naming %q\n%s", r.code, tt.code, tt.stderr, r.stderr)
			}
			if after := countEvents(t, c.ledger); after != before {
				t.Errorf("%d events appended by a refusal", after-before)
			}
			for i, a := range tt.args {
				if a == "--generate" && tt.args[i+1] != existing {
					if _, err := os.Stat(tt.args[i+1]); err == nil {
						t.Errorf("the refused appointment left the key it made: %s", tt.args[i+1])
					}
				}
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Error("--generate overwrote an existing file")
	}
	signed.ok("alice", "notary", "appoint", "--generate", filepath.Join(dir, "notary.key"), "--reason", "r")
	before := countEvents(t, signed.ledger)
	if r := signed.run("alice", "notary", "appoint", "--generate", filepath.Join(dir, "again.key"), "--reason", "r"); r.code != 4 || !strings.Contains(r.stderr, "notary-once") {
		t.Errorf("a second appointment: exit %d, want 4 (notary-once)\n%s", r.code, r.stderr)
	}
	if r := signed.run("alice", "--ledger-key", filepath.Join(dir, "a-stranger.key"), "notary", "run", "--once"); r.code == 0 {
		t.Errorf("a notary run without the notary's key: exit 0\n%s", r.stdout)
	}
	if after := countEvents(t, signed.ledger); after != before {
		t.Errorf("%d events appended by refusals", after-before)
	}
}

// TestCompromisedNotary: whoever runs the notary holds the ledger key, so
// a checkpoint it signs over a forged row verifies; verify --rules judges
// every append since the appointment again, without trusting that key,
// and names the row the rules refuse.
func TestCompromisedNotary(t *testing.T) {
	c := newLedger(t)
	tm := newTeam(t, c)
	// oscar issues himself a token, signed with his own key, and the
	// notary's key covers it without a rejection.
	forged := tm.forge(t, domain.LedgerStream, "oscar", "oscar", time.Now(), domain.APITokenIssued{Token: "T1", Name: "backdoor", SHA256: strings.Repeat("ab", 32)})
	tm.seal(t, tm.notaryKey, "")
	if r := c.run("auditor", "verify"); r.code != 0 {
		t.Fatalf("plain verify over the notary's own checkpoint: exit %d (this test needs a forgery only the rules refuse)\n%s", r.code, r.stdout)
	}
	r := c.run("auditor", "verify", "--rules")
	if r.code != 6 || !strings.Contains(r.stdout, "accepted-refused") || !strings.Contains(r.stdout, forged[0].ID.String()) || !strings.Contains(r.stdout, "token-role") {
		t.Errorf("verify --rules over a row the notary checkpointed against the rules: exit %d, want 6 naming it\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestPendingForgeryCannotSpoilAnHonestWrite: a forged record waiting for
// the notary is left out of the decisions writers make meanwhile, as the
// notary will leave it out: decided on it, an honest stage move would
// record the forged stage as where it came from, and the notary, which
// judges it without the forgery, would reject it.
func TestPendingForgeryCannotSpoilAnHonestWrite(t *testing.T) {
	c := newLedger(t)
	tm := newTeam(t, c)
	forged := tm.forge(t, domain.IncidentStream(tm.overdue), "oscar", "", time.Now(),
		domain.StageChanged{From: domain.StageAssess, To: domain.StageStabilize, Reason: "forged"})
	c.ok("oscar", "stage", tm.overdue, "diagnose", "--reason", "honest")
	if out := tm.notarize(); !strings.Contains(out, "rejected 1 append(s)") {
		t.Fatalf("the notary: %q, want only the forgery rejected", out)
	}
	tm.notarize()
	var show struct {
		Stage string `json:"stage"`
	}
	c.json(&show, "show", tm.overdue)
	if show.Stage != "diagnose" {
		t.Errorf("the incident is in stage %q, want diagnose (the honest move, decided without the pending forgery)", show.Stage)
	}
	r := c.run("auditor", "verify")
	if r.code != 6 || !strings.Contains(r.stdout, forged[0].ID.String()) || strings.Count(r.stdout, "rejected:") != 1 {
		t.Errorf("verify: exit %d, want 6 naming the forgery alone\n%s", r.code, r.stdout)
	}
}
