package main_test

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/stores"
)

// TestNotarySealedNotices (issue 25): on a team ledger with
// seal-personal-data on, the notary judges appends on their plaintext, as
// their writers decided them. A notice to an authority and a follow-up to
// the same recipient (two different ciphertexts of one address) are both
// accepted; a follow-up to another recipient, written around the CLI and
// sealed as a writer seals, is rejected by rule notify-phase, as in clear.
// A notary without the key store neither accepts nor rejects what it
// cannot read: it exits 1 saying it needs the keys, its checkpoint stops
// before the first sealed append, and the notary with the keys then
// judges it.
func TestNotarySealedNotices(t *testing.T) {
	c := newLedger(t)
	tm := newTeam(t, c)
	c.ok("alice", "setting", "seal-personal-data", "on")
	c.ok("alice", "grant", "ian", "incident-manager")
	c.ok("alice", "grant", "lee", "legal")
	c.register(time.Now().UTC().Format(time.RFC3339), "ian", "lee")
	tm.notarize()

	// A notary whose user has no key store: the same binary, another
	// configuration directory (the key stores live in the user's).
	keyless := c.with(t)
	keyless.env = append(append([]string(nil), c.env...), "XDG_CONFIG_HOME="+t.TempDir())
	before := checkpointSize(t, c)

	const recipient = "dpo.marie.curie@cnil.example"
	inc := strings.TrimSpace(c.ok("oscar", "detect", "--source", "customer-report", "--summary", "laptop of jane.roe@example.com stolen", "--quiet"))
	c.ok("oscar", "assess", inc, "-f", "low", "-r", "regular", "-i", "privacy-breach")
	// Written before the notary judges the incident: each writer decides
	// on the appends pending before it (notary.PendingJudge).
	c.ok("ian", "notify", inc, "--to", "supervisory-authority", "--recipient", recipient, "--channel", "portal", "--phase", "initial")
	c.ok("ian", "notify", inc, "--to", "supervisory-authority", "--recipient", recipient, "--channel", "portal", "--phase", "intermediate")

	r := keyless.run("alice", "--ledger-key", tm.notaryKey, "notary", "run", "--once")
	if r.code != 1 || !strings.Contains(r.stderr, "neither accepted nor rejected") || !strings.Contains(r.stderr, "give it the keys") ||
		!strings.Contains(r.stdout, "rejected 0 append(s)") {
		t.Errorf("a notary without the keys: exit %d, want 1, nothing rejected, and why it judged nothing\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := checkpointSize(t, c); got != before {
		t.Errorf("the keyless notary's checkpoint covers %d events, want %d (up to the first sealed append)", got, before)
	}

	if out := tm.notarize(); !strings.Contains(out, "rejected 0 append(s)") {
		t.Errorf("the notary with the keys: %q, want nothing rejected", out)
	}
	if r := c.run("auditor", "verify"); r.code != 0 {
		t.Errorf("verify after the notary accepted the notices: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	if out := c.ok("auditor", "timeline", inc); strings.Count(out, recipient) != 2 {
		t.Errorf("the timeline shows the recipient %d times, want 2 (both notices count)\n%s", strings.Count(out, recipient), out)
	}

	forged := forgeSealed(t, c, domain.IncidentStream(inc), "ian", domain.NotificationSent{RecipientKind: domain.RecipientAuthority,
		Recipient: "someone.else@other.example", Channel: domain.ChannelPortal, Phase: domain.PhaseFinal})
	if out := tm.notarize(); !strings.Contains(out, "rejected 1 append(s)") {
		t.Errorf("the notary over a final notice to another recipient: %q, want 1 append rejected", out)
	}
	tm.notarize() // covers the rejection
	r = c.run("auditor", "verify")
	if r.code != 6 || !strings.Contains(r.stdout, forged.ID.String()) || !strings.Contains(r.stdout, "rule notify-phase") {
		t.Errorf("verify: exit %d, want 6 naming the forged notice %s, rule notify-phase\n%s%s", r.code, forged.ID, r.stdout, r.stderr)
	}
	// Judged again by an auditor with the keys: the notary did as the
	// rules say on the plaintext.
	if r := c.run("auditor", "verify", "--rules"); strings.Contains(r.stdout, "accepted-refused") || strings.Contains(r.stdout, "rejected-accepted") || strings.Contains(r.stdout, "not-judged") {
		t.Errorf("verify --rules with the keys: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Without them, the rules are not checked on the sealed appends, and
	// verify --rules says so rather than pass or blame the notary.
	if r := keyless.run("auditor", "verify", "--rules", "--key", tm.notaryKey+".pub"); r.code != 6 || !strings.Contains(r.stdout, "not-judged") || strings.Contains(r.stdout, "accepted-refused") || strings.Contains(r.stdout, "rejected-accepted") {
		t.Errorf("verify --rules without the keys: exit %d, want 6 with not-judged appends only\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Once the incident is shredded, its values read "[forgotten on DATE,
	// basis]" to everyone: the rules' own texts among them (a rule pack
	// pin's reason) are left aside, and verify --rules still finds the
	// notary did as the rules say, with or without the keys.
	c.ok("lee", "shred", inc, "--basis", "erasure-request", "--reason", "the data subject asked")
	if out := tm.notarize(); !strings.Contains(out, "rejected 0 append(s)") {
		t.Errorf("the notary over the shred: %q, want nothing rejected", out)
	}
	for _, who := range []*cli{c, keyless} {
		if r := who.run("auditor", "verify", "--rules", "--key", tm.notaryKey+".pub"); strings.Contains(r.stdout, "accepted-refused") || strings.Contains(r.stdout, "rejected-accepted") || strings.Contains(r.stdout, "not-judged") {
			t.Errorf("verify --rules after the shred: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
}

// checkpointSize reads the size of the ledger's newest checkpoint.
func checkpointSize(t *testing.T, c *cli) uint64 {
	t.Helper()
	ctx := context.Background()
	st, err := stores.Open(ctx, c.ledger, stores.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cp, err := st.(eventstore.CheckpointStore).LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return cp.Size
}

// forgeSealed appends e to stream straight into the store, as actor,
// sealed with the ledger's key store in the shared configuration (as a
// writer seals) and signed with actor's own key: around every rule.
func forgeSealed(t *testing.T, c *cli, stream, actor string, e domain.Event) eventstore.Record {
	t.Helper()
	ctx := context.Background()
	ks := openSharedKeyStore(t, c)
	defer ks.Close()
	st, err := stores.Open(ctx, c.ledger, stores.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	length := func(s string) uint64 {
		recs, err := st.ReadStream(ctx, s, eventstore.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return uint64(len(recs))
	}
	b, err := os.ReadFile(signerKey(actor))
	if err != nil {
		t.Fatal(err)
	}
	sg, err := ssh.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	typ, payload, err := domain.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	r := eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ, OccurredAt: time.Now().UTC().Truncate(time.Second),
		Actor: actor, Payload: payload, Basis: length(domain.LedgerStream), Signer: integrity.Fingerprint(sg.PublicKey())}
	id, _ := domain.IncidentID(stream)
	if err := ledger.SealRecord(ctx, ks, id, &r); err != nil {
		t.Fatal(err)
	}
	if sealed, _, err := ledger.SealedFields(r); err != nil || len(sealed) == 0 {
		t.Fatalf("the forged %s holds no sealed value (%v)", typ, err)
	}
	if r.Signature, err = integrity.SignEnvelope(integrity.EnvelopeOf(r).Marshal(), sg); err != nil {
		t.Fatal(err)
	}
	stored, err := st.Append(ctx, stream, eventstore.After(length(stream)), []eventstore.Record{r})
	if err != nil {
		t.Fatal(err)
	}
	return stored[0]
}

// openSharedKeyStore opens the key store of c's ledger in the
// configuration directory its users share here.
func openSharedKeyStore(t *testing.T, c *cli) *keystore.File {
	t.Helper()
	dir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "breachledger", "keystore")
	matches, _ := filepath.Glob(filepath.Join(dir, "*"+path.Base(ledgerOrigin(t, c))+".db"))
	if len(matches) != 1 {
		t.Fatalf("key stores of this ledger in %s: %v, want one", dir, matches)
	}
	kek, err := os.ReadFile(strings.TrimSuffix(matches[0], ".db") + ".kek")
	if err != nil {
		t.Fatal(err)
	}
	ks, err := keystore.Open(context.Background(), matches[0], kek)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}
