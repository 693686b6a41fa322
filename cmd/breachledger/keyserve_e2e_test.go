package main_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/keyserver"
	"github.com/breachledger/breachledger/keystore"
)

// TestKeyServerScenario (issue 25): a team's key server. An admin turns
// sealing on; "keys serve" runs with a configuration directory of its own
// (the team's key store and KEK are there, nowhere else); every other run
// sets BREACHLEDGER_KEY_SERVER. A responder's writes are sealed with keys
// from the server; the responder and legal read them in clear; an auditor
// (registered, role auditor) is refused a key and reads "[sealed]"; legal's
// shred goes through the server, which destroys the keys once it reads the
// DataShredded in the ledger; everyone then reads "[forgotten on DATE,
// basis]", verify passes, and no run made a key store of its own.
func TestKeyServerScenario(t *testing.T) {
	c := newLedger(t)
	init := c.ok("alice", "init", "--name", "Key server scenario", "--at", "2025-03-01T00:00:00Z")
	ledgerID := regexp.MustCompile(`event ([0-9a-f-]{36})`).FindStringSubmatch(init)
	if ledgerID == nil {
		t.Fatalf("init printed no event ID:\n%s", init)
	}
	c.ok("alice", "setting", "seal-personal-data", "on", "--at", "2025-03-01T00:00:30Z", "--reason", "the tests record histories long after they happened")
	for _, g := range [][2]string{{"oscar", "responder"}, {"lee", "legal"}, {"ned", "auditor"}} {
		c.ok("alice", "grant", g[0], g[1], "--at", "2025-03-01T00:01:00Z")
	}
	c.register("2025-03-01T00:02:00Z", "oscar", "lee", "ned")

	// The key server, with its own configuration directory.
	serverCfg := t.TempDir()
	socket := filepath.Join(t.TempDir(), "keys.sock")
	srv := exec.Command(binary, "--ledger", c.ledger, "keys", "serve", "--socket", socket)
	srv.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+serverCfg, "BREACHLEDGER_KEY_SERVER=")
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	var srvLog bytes.Buffer
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
	}
	t.Cleanup(stop)
	lines := bufio.NewScanner(stderr)
	for lines.Scan() { // until it listens; an exit ends the scan
		srvLog.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "serving the ledger's data keys on "+socket) {
			break
		}
	}
	if !strings.Contains(srvLog.String(), "serving") {
		srv.Wait()
		t.Fatalf("keys serve did not start:\n%s", srvLog.String())
	}
	go func() { // keep draining its stderr
		for lines.Scan() {
		}
	}()

	// A run through the key server, as actor (the environment names the
	// actor too: the key server's caller is read from it).
	run := func(actor string, args ...string) result {
		t.Helper()
		return runBinary(t, "", []string{"BREACHLEDGER_INCIDENT=", "BREACHLEDGER_KEY_SERVER=" + socket, "BREACHLEDGER_ACTOR=" + actor},
			append([]string{"--ledger", c.ledger, "--actor", actor}, args...)...)
	}
	ok := func(actor string, args ...string) string {
		t.Helper()
		r := run(actor, args...)
		if r.code != 0 {
			t.Fatalf("breachledger %s as %s: exit %d\n%s%s", strings.Join(args, " "), actor, r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	const (
		summary = "laptop of jane.roe@example.com stolen"
		note    = "called Jane Roe on +353 1 555 0101"
	)
	inc := strings.TrimSpace(ok("oscar", "detect", "--source", "automated-alert", "--summary", summary, "--at", "2025-03-07T21:40:00Z", "--quiet"))
	noteID := strings.TrimSpace(ok("oscar", "note", inc, note, "--at", "2025-03-07T22:00:00Z", "--quiet"))
	led, err := os.ReadFile(c.ledger)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(led, []byte("jane.roe")) || bytes.Contains(led, []byte("555 0101")) {
		t.Fatal("the ledger file holds the plaintext: nothing was sealed")
	}

	for _, who := range []string{"oscar", "lee"} {
		tl := ok(who, "timeline", inc)
		for _, plain := range []string{summary, note} {
			if !strings.Contains(tl, plain) {
				t.Errorf("%s (may read personal data) does not see %q:\n%s", who, plain, tl)
			}
		}
	}
	tl := ok("ned", "timeline", inc)
	if strings.Contains(tl, "jane.roe") || strings.Contains(tl, "555 0101") || strings.Count(tl, "[sealed]") < 2 {
		t.Errorf("the auditor's timeline shows personal data, or not [sealed] twice:\n%s", tl)
	}
	// The auditor's writes are refused a key, naming the rule (an auditor
	// records nothing anyway: the domain refuses first).
	if r := run("ned", "note", inc, "a note", "--at", "2025-03-07T22:10:00Z"); r.code != 4 {
		t.Errorf("the auditor's note: exit %d, want 4\n%s", r.code, r.stderr)
	}

	// The server reads the ledger, not the caller's word: legal (who may
	// shred) naming an event that is no DataShredded, or one not in the
	// log, destroys nothing.
	ctx := context.Background()
	pem, err := os.ReadFile(signerKey("lee"))
	if err != nil {
		t.Fatal(err)
	}
	leeKey, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	lee := keyserver.NewClient(socket, "lee", leeKey)
	defer lee.Close()
	infos, err := lee.List(ctx, inc)
	if err != nil || len(infos) < 2 {
		t.Fatalf("legal lists the incident's keys: %v, %v", infos, err)
	}
	var ids []string
	for _, in := range infos {
		ids = append(ids, in.ID)
	}
	for by, want := range map[string]string{noteID: "is a NoteAdded", "0193c0de-0000-7000-8000-000000000000": "not in the log"} {
		err := lee.Destroy(ctx, by, ids...)
		var re *domain.RuleError
		if !errors.As(err, &re) || re.Rule != "key-server-shred" || !strings.Contains(err.Error(), want) {
			t.Errorf("Destroy by %s: %v, want key-server-shred (%s)", by, err, want)
		}
	}
	if tl := ok("oscar", "timeline", inc); !strings.Contains(tl, note) {
		t.Errorf("a refused Destroy destroyed keys:\n%s", tl)
	}

	// Legal forgets the incident through the server.
	ok("lee", "shred", inc, "--basis", "erasure-request", "--reason", "the data subject asked for erasure")
	for _, who := range []string{"oscar", "lee", "ned"} {
		tl := ok(who, "timeline", inc)
		if strings.Contains(tl, "jane.roe") || strings.Contains(tl, "555 0101") {
			t.Errorf("%s still reads the shredded fields:\n%s", who, tl)
		}
		if !regexp.MustCompile(`\[forgotten on \d{4}-\d\d-\d\d, erasure-request\]`).MatchString(tl) {
			t.Errorf("%s: no [forgotten on DATE, erasure-request] in:\n%s", who, tl)
		}
	}
	if r := c.run("ned", "verify"); r.code != 0 || strings.Contains(r.stderr, "shred-keys-exist") {
		t.Errorf("verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	stop()

	// The server's key store: every key of the incident destroyed by the
	// DataShredded.
	var log []logEntry
	c.json(&log, "log")
	shredID := ""
	for _, e := range log {
		if e.Type == "DataShredded" {
			shredID = e.EventID
		}
	}
	dbs, _ := filepath.Glob(filepath.Join(serverCfg, "breachledger", "keystore", "*"+ledgerID[1]+".db"))
	if len(dbs) != 1 || shredID == "" {
		t.Fatalf("the server's key stores: %v; the DataShredded: %q", dbs, shredID)
	}
	kek, err := os.ReadFile(strings.TrimSuffix(dbs[0], ".db") + ".kek")
	if err != nil {
		t.Fatal(err)
	}
	ks, err := keystore.Open(context.Background(), dbs[0], kek)
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	infos, err = ks.List(context.Background(), inc)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) < 2 {
		t.Errorf("the server holds %d keys of the incident, want its own and the note's at least", len(infos))
	}
	for _, in := range infos {
		if in.Destroyed.IsZero() || in.DestroyedBy != shredID {
			t.Errorf("key %s of %s: destroyed %v by %q, want by the DataShredded %s", in.ID, in.Scope, in.Destroyed, in.DestroyedBy, shredID)
		}
	}
	// No run through the server made a key store of its own.
	if local, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "breachledger", "keystore", "*"+ledgerID[1]+"*")); len(local) > 0 {
		t.Errorf("key stores beside the clients' configuration: %v", local)
	}
}
