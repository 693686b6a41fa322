package main_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/seal"
)

// Sealed personal fields on EventStoreDB (issue 25): the same as on SQLite,
// with the key store in the user's configuration directory, never in the
// cluster; migrate carries sealed payloads as they are.

// The personal data the tests below record, and pieces of it a search of
// stored bytes looks for too.
const (
	esSummary   = "laptop of jane.roe@example.com stolen"
	esRecipient = "dpo.marie.curie@cnil.example"
	esNote      = "called Jane Roe on +353 1 555 0101"
	esAckFrom   = "desk officer Pierre Dupont"
)

var esPlain = []string{esSummary, esRecipient, esNote, esAckFrom, "jane.roe", "555 0101", "Dupont"}

// sealedIncident records, with seal-personal-data on, an incident whose
// summary, notice recipient, acknowledgement and note hold personal data;
// it returns the ledger's init event ID, the incident and the note's event
// ID.
func sealedIncident(t *testing.T, c *cli) (initID, inc, noteID string) {
	t.Helper()
	init := c.ok("alice", "init", "--name", "Sealed on ESDB", "--at", "2025-03-01T00:00:00Z")
	m := regexp.MustCompile(`event ([0-9a-f-]{36})`).FindStringSubmatch(init)
	if m == nil {
		t.Fatalf("init printed no event ID:\n%s", init)
	}
	c.ok("alice", "setting", "seal-personal-data", "on", "--at", "2025-03-01T00:00:30Z", "--reason", "the tests record histories long after they happened")
	for _, g := range [][2]string{{"oscar", "responder"}, {"sam", "security-response"}, {"ivy", "security-incident-manager"},
		{"ian", "incident-manager"}, {"lee", "legal"}} {
		c.ok("alice", "grant", g[0], g[1], "--at", "2025-03-01T00:01:00Z")
	}
	c.register("2025-03-01T00:02:00Z", "oscar", "sam", "ivy", "ian", "lee")
	late := "recorded from the case file"
	inc = strings.TrimSpace(c.ok("oscar", "detect", "--source", "automated-alert", "--summary", esSummary, "--at", "2025-03-07T21:40:00Z", "--quiet"))
	c.ok("oscar", "assess", inc, "--functional-impact", "medium", "--recoverability", "extended", "--information-impact", "privacy-breach", "--at", "2025-03-07T22:30:00Z")
	c.ok("sam", "classify", inc, "privacy-breach", "--at", "2025-03-08T09:00:00Z")
	c.ok("sam", "scope", inc, "--customer", "contoso", "--subjects", "1200", "--at", "2025-03-08T09:30:00Z")
	c.ok("ivy", "risk", inc, "high", "--reasoning", "contact data", "--at", "2025-03-08T15:00:00Z")
	notice := strings.TrimSpace(c.ok("ian", "notify", inc, "--to", "supervisory-authority", "--recipient", esRecipient, "--channel", "portal",
		"--late-entry-reason", late, "--at", "2025-03-09T12:00:00Z", "--quiet"))
	c.ok("ian", "ack", inc, notice, "--from", esAckFrom, "--at", "2025-03-09T12:30:00Z")
	noteID = strings.TrimSpace(c.ok("oscar", "note", inc, esNote, "--at", "2025-03-09T13:00:00Z", "--quiet"))
	return m[1], inc, noteID
}

// keyStoreOf returns the path of the one key store of the ledger whose
// init event is initID, in the tests' configuration directory.
func keyStoreOf(t *testing.T, initID string) string {
	t.Helper()
	dir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "breachledger", "keystore")
	matches, _ := filepath.Glob(filepath.Join(dir, "*"+initID+".db"))
	if len(matches) != 1 {
		t.Fatalf("key stores of the ledger %s in %s: %v, want one", initID, dir, matches)
	}
	return matches[0]
}

// liveKeys returns the bytes of every live data key of incident in the key
// store at path.
func liveKeys(t *testing.T, path, incident string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	kek, err := os.ReadFile(strings.TrimSuffix(path, ".db") + ".kek")
	if err != nil {
		t.Fatal(err)
	}
	ks, err := keystore.Open(ctx, path, kek)
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	infos, err := ks.List(ctx, incident)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, in := range infos {
		if k, err := ks.Key(ctx, in.ID); err == nil {
			out[in.ID] = k.Bytes()
		}
	}
	return out
}

// keyNeedles returns what a search of stored bytes looks for: the
// plaintexts, and each key and the key store's KEK raw and encoded.
func keyNeedles(t *testing.T, ksPath string, keys map[string][]byte) map[string][]byte {
	t.Helper()
	kek, err := os.ReadFile(strings.TrimSuffix(ksPath, ".db") + ".kek")
	if err != nil {
		t.Fatal(err)
	}
	needles := map[string][]byte{}
	for _, p := range esPlain {
		needles["plaintext "+p] = []byte(p)
	}
	secrets := map[string][]byte{"the key store's KEK": kek}
	for id, b := range keys {
		secrets["key "+id] = b
	}
	for what, b := range secrets {
		needles[what] = b
		needles[what+" (hex)"] = []byte(hex.EncodeToString(b))
		needles[what+" (base64)"] = []byte(base64.StdEncoding.EncodeToString(b))
		needles[what+" (base64url)"] = []byte(base64.RawURLEncoding.EncodeToString(b))
		needles[what+" (base64, unpadded)"] = []byte(base64.RawStdEncoding.EncodeToString(b))
	}
	return needles
}

// searchServer reports every needle found in what the server stores: each
// event's stream, type, data and metadata, system streams included.
func searchServer(t *testing.T, srv *esdbtest.Server, needles map[string][]byte) {
	t.Helper()
	evs := srv.Memory().Events()
	if len(evs) == 0 {
		t.Fatal("the server holds no events")
	}
	for _, e := range evs {
		for part, b := range map[string][]byte{"stream": []byte(e.Stream), "type": []byte(e.Type), "data": e.Data, "metadata": e.Metadata} {
			for what, n := range needles {
				if bytes.Contains(b, n) {
					t.Errorf("%s found in the %s of %s event %s (stream %s)", what, part, e.Type, e.ID, e.Stream)
				}
			}
		}
		if s := strings.ToLower(e.Stream + " " + e.Type); strings.Contains(s, "keystore") || strings.Contains(s, "datakey") || strings.Contains(s, "kek") {
			t.Errorf("a key-like event on the server: %s in %s", e.Type, e.Stream)
		}
	}
}

// readersShow runs show and timeline of inc, and list (from the kept
// views), and returns their outputs.
func readersShow(c *cli, inc string) string {
	c.tb.Helper()
	return c.ok("auditor", "show", inc) + c.ok("auditor", "timeline", inc) + c.ok("auditor", "list")
}

// checkShown fails unless every one of shown is in out and none of hidden.
func checkShown(t *testing.T, step, out string, shown, hidden []string) {
	t.Helper()
	for _, p := range shown {
		if !strings.Contains(out, p) {
			t.Errorf("%s: %q is not printed:\n%s", step, p, out)
		}
	}
	for _, p := range hidden {
		if strings.Contains(out, p) {
			t.Errorf("%s: %q is printed", step, p)
		}
	}
}

// forgottenRE matches what readers print of a forgotten field.
func forgottenRE(basis string) *regexp.Regexp {
	return regexp.MustCompile(`\[forgotten on \d{4}-\d\d-\d\d, ` + basis + `\]`)
}

// verifySealed fails unless verify passes and warns of no shred whose keys
// still exist.
func verifySealed(t *testing.T, c *cli, step string) {
	t.Helper()
	if r := c.run("auditor", "verify"); r.code != 0 || strings.Contains(r.stderr, "shred-keys-exist") {
		t.Errorf("%s: verify exit %d, or a shred's keys still exist\n%s%s", step, r.code, r.stdout, r.stderr)
	}
}

// elsewhere returns the CLI on c's ledger as another user, an auditor: a
// configuration directory (no key store, no keys) and a cache of their
// own, the ledger's public key pinned by a first verify, which must pass.
func elsewhere(t *testing.T, c *cli) *cli {
	t.Helper()
	dir := t.TempDir()
	pub := filepath.Join(dir, "ledger.pub")
	c.ok("alice", "key", "public", "-o", pub)
	other := &cli{tb: t, ledger: c.ledger, env: append(c.env[:len(c.env):len(c.env)],
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))}
	other.ok("auditor", "verify", "--key", pub)
	return other
}

// TestSealESDB: with seal-personal-data on, an incident recorded on
// EventStoreDB (the protocol test server) is stored with its personal
// fields sealed: the events the server holds carry no plaintext, and no
// key, KEK or key store reached the cluster (the key store is in the
// user's configuration directory). Readers with the key store print the
// plaintext, another user's print "[sealed]". Shredding a note, then the
// incident: verify passes after each and the readers print "[forgotten on
// DATE, basis]", the deadlines unchanged.
func TestSealESDB(t *testing.T) {
	c, srv := newESDBLedger(t)
	cache := t.TempDir() // the kept views of this test's user, searched below
	c.env = append(c.env, "XDG_CACHE_HOME="+cache)
	initID, inc, noteID := sealedIncident(t, c)

	ksPath := keyStoreOf(t, initID)
	keys := liveKeys(t, ksPath, inc)
	if len(keys) < 4 {
		t.Fatalf("%d live keys, want at least the summary's, the late entry's, the note's and the incident's", len(keys))
	}
	needles := keyNeedles(t, ksPath, keys)
	searchServer(t, srv, needles)
	sealed := 0
	for _, e := range srv.Memory().Events() {
		sealed += bytes.Count(e.Data, []byte(`"`+seal.Prefix))
	}
	if sealed < 5 { // summary, late entry reason, recipient, from, note
		t.Errorf("%d sealed values on the server, want at least 5", sealed)
	}

	checkShown(t, "with the key store", readersShow(c, inc), []string{esSummary, esRecipient, esNote, esAckFrom}, nil)
	// list answers from the kept views, kept in each user's cache.
	checkShown(t, "list, with the key store", c.ok("auditor", "list"), []string{esSummary}, nil)
	other := elsewhere(t, c)
	out := readersShow(other, inc)
	checkShown(t, "without the key store", out, []string{"[sealed]"}, esPlain)
	checkShown(t, "list, without the key store", other.ok("auditor", "list"), []string{"[sealed]"}, esPlain)
	verifySealed(t, other, "without the key store")

	// The deadlines as of a fixed business time, without the header line
	// that names the moment of the read (exit 7: one is overdue), and with
	// the one personal field they print (who acknowledged the notice: its
	// value, sealed form or placeholder) made one word: every due time,
	// status and count must be unchanged by the shreds.
	personal := regexp.MustCompile(regexp.QuoteMeta(esAckFrom) + `|\[forgotten on [^\]]*\]|\[sealed\]|sealed:v1:[A-Za-z0-9_:-]+`)
	deadlines := func() string {
		t.Helper()
		r := c.run("auditor", "deadlines", "--as-of", "2025-03-20T00:00:00Z")
		if r.code != 7 {
			t.Fatalf("deadlines: exit %d, want 7\n%s%s", r.code, r.stdout, r.stderr)
		}
		_, rest, _ := strings.Cut(r.stdout, "\n")
		return personal.ReplaceAllString(rest, "<personal>")
	}
	before := deadlines()

	c.ok("lee", "shred", inc, "--event", noteID, "--basis", "mistaken-entry", "--reason", "pasted into a note by mistake")
	verifySealed(t, c, "the note shredded")
	out = readersShow(c, inc)
	checkShown(t, "the note shredded", out, []string{esSummary, esRecipient, esAckFrom}, []string{esNote})
	if !forgottenRE("mistaken-entry").MatchString(out) {
		t.Errorf("the note shredded: no [forgotten on DATE, mistaken-entry] in:\n%s", out)
	}
	if got := deadlines(); got != before {
		t.Errorf("the note shredded: deadlines changed:\n%s\nwant:\n%s", got, before)
	}
	if live := liveKeys(t, ksPath, inc); len(live) != len(keys)-1 {
		t.Errorf("after the note's shred %d live keys, want %d", len(live), len(keys)-1)
	}

	c.ok("lee", "shred", inc, "--basis", "erasure-request", "--reason", "the data subject asked for erasure")
	verifySealed(t, c, "the incident shredded")
	out = readersShow(c, inc)
	checkShown(t, "the incident shredded", out, nil, esPlain)
	if !forgottenRE("erasure-request").MatchString(out) {
		t.Errorf("the incident shredded: no [forgotten on DATE, erasure-request] in:\n%s", out)
	}
	if got := deadlines(); got != before {
		t.Errorf("the incident shredded: deadlines changed:\n%s\nwant:\n%s", got, before)
	}
	if left := liveKeys(t, ksPath, inc); len(left) != 0 {
		t.Errorf("%d keys of the incident left after its shred", len(left))
	}
	// The other user sees the same: forgotten is in the ledger, not in a
	// key store.
	out = readersShow(other, inc)
	checkShown(t, "the incident shredded, without the key store", out, nil, esPlain)
	if !forgottenRE("erasure-request").MatchString(out) {
		t.Errorf("the incident shredded, without the key store: no [forgotten on DATE, erasure-request] in:\n%s", out)
	}
	for who, cc := range map[string]*cli{"with the key store": c, "without the key store": other} {
		l := cc.ok("auditor", "list")
		checkShown(t, "list, the incident shredded, "+who, l, nil, esPlain)
		if !forgottenRE("erasure-request").MatchString(l) {
			t.Errorf("list, the incident shredded, %s: no [forgotten on DATE, erasure-request] in:\n%s", who, l)
		}
	}
	searchServer(t, srv, needles)

	// Nor in the kept views of this user (purged when they saw the
	// DataShredded), nor in the key store and its journal: the plaintexts
	// and the destroyed keys.
	var files []string
	filepath.WalkDir(cache, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatalf("no kept views in %s", cache)
	}
	stores, _ := filepath.Glob(strings.TrimSuffix(ksPath, ".db") + "*")
	for _, f := range stores {
		if !strings.HasSuffix(f, ".kek") {
			files = append(files, f)
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a journal gone between the walk and the read
		}
		for what, n := range needles {
			if bytes.Contains(b, n) && !strings.HasPrefix(what, "the key store's KEK") {
				t.Errorf("%s found in %s", what, f)
			}
		}
	}
}

// storedPayloads returns the payload of every event of a ledger (a SQLite
// file or an esdb:// location), by event ID, as its store reads it.
func storedPayloads(t *testing.T, location string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	var st eventstore.Store
	var err error
	if strings.HasPrefix(location, "esdb://") {
		st, err = esdb.Open(ctx, location, esdb.Options{})
	} else {
		st, err = sqlite.Open(ctx, location, sqlite.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string][]byte{}
	for r, err := range eventstore.All(ctx, st, 0) {
		if err != nil {
			t.Fatal(err)
		}
		out[r.ID.String()] = r.Payload
	}
	return out
}

// samePayloads fails unless got holds every event of want with the same
// payload bytes, and nothing else.
func samePayloads(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d events, want %d", what, len(got), len(want))
	}
	for id, p := range want {
		if g, ok := got[id]; !ok {
			t.Errorf("%s: event %s missing", what, id)
		} else if !bytes.Equal(g, p) {
			t.Errorf("%s: event %s payload\n%s\nwant\n%s", what, id, g, p)
		}
	}
}

// TestSealMigrate: migrate carries sealed payloads as they are. A SQLite
// ledger with sealed personal fields, one note shredded, is copied to
// EventStoreDB and back to SQLite: every payload is the same bytes on all
// three (and on the server's own records), each copy verifies, and the
// same key store, found by the ledger's origin that migrate keeps, opens
// the fields on each while the shredded note stays forgotten. A note
// recorded on EventStoreDB after the move is sealed with the same key
// store, and the incident shredded there is forgotten on the copy back.
func TestSealMigrate(t *testing.T) {
	src := newLedger(t)
	initID, inc, noteID := sealedIncident(t, src)
	ksPath := keyStoreOf(t, initID)
	src.ok("lee", "shred", inc, "--event", noteID, "--basis", "mistaken-entry", "--reason", "pasted into a note by mistake")
	keys := liveKeys(t, ksPath, inc)
	want := storedPayloads(t, src.ledger)
	if n := bytes.Count(bytes.Join(mapValues(want), nil), []byte(`"`+seal.Prefix)); n < 5 {
		t.Fatalf("%d sealed values in the source, want at least 5", n)
	}
	kept := []string{esSummary, esRecipient, esAckFrom}

	es, srv := newESDBLedger(t)
	migrate(t, src.ledger, es.ledger)
	samePayloads(t, "SQLite → EventStoreDB", storedPayloads(t, es.ledger), want)
	raw := map[string][]byte{}
	for _, e := range srv.Memory().Events() {
		if _, ok := want[e.ID.String()]; ok {
			raw[e.ID.String()] = e.Data
		}
	}
	samePayloads(t, "SQLite → EventStoreDB, the server's records", raw, want)
	searchServer(t, srv, keyNeedles(t, ksPath, keys))
	verifySealed(t, es, "on EventStoreDB")
	out := readersShow(es, inc)
	checkShown(t, "on EventStoreDB", out, kept, []string{esNote})
	if !forgottenRE("mistaken-entry").MatchString(out) {
		t.Errorf("on EventStoreDB: the note shredded before migrate is not [forgotten on DATE, mistaken-entry]:\n%s", out)
	}
	checkShown(t, "on EventStoreDB, without the key store", readersShow(elsewhere(t, es), inc), []string{"[sealed]"}, esPlain)

	// Written on EventStoreDB, sealed with the same key store: no other is
	// made for the copy.
	const later = "second call to Jane Roe, mobile +353 87 555 0199"
	es.ok("oscar", "note", inc, later, "--at", "2025-03-10T09:00:00Z")
	if got := keyStoreOf(t, initID); got != ksPath {
		t.Errorf("the key store on EventStoreDB is %s, want the source's %s", got, ksPath)
	}
	if live := liveKeys(t, ksPath, inc); len(live) != len(keys)+1 {
		t.Errorf("after a note on EventStoreDB the key store holds %d live keys, want %d", len(live), len(keys)+1)
	}
	checkShown(t, "a note written on EventStoreDB", readersShow(es, inc), append(kept, later), []string{esNote})
	searchServer(t, srv, map[string][]byte{"plaintext of the later note": []byte(later), "its phone number": []byte("87 555 0199")})

	// And back to SQLite, after forgetting the incident on EventStoreDB.
	es.ok("lee", "shred", inc, "--basis", "erasure-request", "--reason", "the data subject asked for erasure")
	verifySealed(t, es, "the incident shredded on EventStoreDB")
	onES := storedPayloads(t, es.ledger)
	final := &cli{tb: t, ledger: filepath.Join(t.TempDir(), "final.db")}
	migrate(t, es.ledger, final.ledger)
	samePayloads(t, "EventStoreDB → SQLite", storedPayloads(t, final.ledger), onES)
	verifySealed(t, final, "back on SQLite")
	out = readersShow(final, inc)
	checkShown(t, "back on SQLite", out, nil, append(esPlain, later))
	for _, basis := range []string{"mistaken-entry", "erasure-request"} {
		if !forgottenRE(basis).MatchString(out) {
			t.Errorf("back on SQLite: no [forgotten on DATE, %s] in:\n%s", basis, out)
		}
	}
	if left := liveKeys(t, ksPath, inc); len(left) != 0 {
		t.Errorf("%d keys of the incident left after its shred", len(left))
	}
}

func mapValues(m map[string][]byte) [][]byte {
	out := make([][]byte, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
