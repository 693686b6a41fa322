package main_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/breachledger/breachledger/integrity"
)

// The revocation race through the binary, two processes: oscar's writer
// reads the ledger (he may detect incidents, with his key) and decides;
// before its append, alice's process revokes his key, or his role; then
// oscar's append goes on. The writer signs through an ssh-agent served by
// the test whose first signature waits until the revocation has landed,
// so the revocation lands between the writer's read and its append every
// time, on any store.

// blockingAgent is an ssh-agent whose first signature waits for release:
// whoever asked for it has read the ledger and decided, and waits there.
type blockingAgent struct {
	agent.ExtendedAgent
	once             sync.Once
	entered, release chan struct{}
	done             func() // closes release, once
	sock, pub, fp    string // the socket, the public key file, its fingerprint
}

func (a *blockingAgent) hold() {
	a.once.Do(func() {
		close(a.entered)
		select {
		case <-a.release:
		case <-time.After(time.Minute): // never hang the writer
		}
	})
}

func (a *blockingAgent) Sign(key ssh.PublicKey, data []byte) (*ssh.Signature, error) {
	a.hold()
	return a.ExtendedAgent.Sign(key, data)
}

func (a *blockingAgent) SignWithFlags(key ssh.PublicKey, data []byte, flags agent.SignatureFlags) (*ssh.Signature, error) {
	a.hold()
	return a.ExtendedAgent.SignWithFlags(key, data, flags)
}

// startBlockingAgent serves a blockingAgent holding a new key of its own
// on a Unix socket until the test ends.
func startBlockingAgent(t *testing.T) *blockingAgent {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: priv, Comment: "oscar"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a := &blockingAgent{ExtendedAgent: keyring.(agent.ExtendedAgent), entered: make(chan struct{}), release: make(chan struct{}), sock: filepath.Join(dir, "agent.sock")}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	a.pub, a.fp = filepath.Join(dir, "oscar.pub"), integrity.Fingerprint(signer.PublicKey())
	if err := os.WriteFile(a.pub, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", a.sock)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	a.done = sync.OnceFunc(func() { close(a.release) })
	t.Cleanup(func() {
		a.done()
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				agent.ServeAgent(a, conn) // until the writer hangs up
			}()
		}
	}()
	return a
}

// raceEntry is an entry of "log --json", with what a race adds to it.
type raceEntry struct {
	Seq      uint64 `json:"seq"`
	EventID  string `json:"event_id"`
	Stream   string `json:"stream"`
	Revision uint64 `json:"revision"`
	Type     string `json:"type"`
	Actor    string `json:"actor"`
	Basis    uint64 `json:"basis"`
	Raced    *struct {
		Decided   uint64 `json:"decided"`
		Revoked   uint64 `json:"revoked"`
		RevokedBy string `json:"revoked_by"`
	} `json:"raced"`
}

// race runs the race on c's new ledger: oscar's detection, decided before
// alice's process revokes what (his "key" or his "role"), appended after.
// It returns how the writer ended, what it printed, and the revocation's
// log entry.
func race(t *testing.T, c *cli, what string) (ending, *proc, raceEntry) {
	t.Helper()
	a := startBlockingAgent(t)
	c.ok("alice", "init", "--name", "race", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.ok("alice", "signer", "register", "oscar", a.pub, "--at", "2025-03-01T00:02:00Z")

	writer := exec.Command(binary, "--ledger", c.ledger, "--actor", "oscar", "--ssh-agent",
		"detect", "-q", "--source", "operator-escalation", "--summary", "decided before the revocation", "--at", "2025-03-07T10:00:00Z")
	// An empty HOME: no key of ~/.ssh is found.
	writer.Env = append(append(os.Environ(), "HOME="+t.TempDir(), "BREACHLEDGER_INCIDENT="), append(slices.Clone(c.env), "SSH_AUTH_SOCK="+a.sock)...)
	p := &proc{cmd: writer}
	writer.Stdout, writer.Stderr = &p.stdout, &p.stderr
	if err := writer.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.entered: // the writer has read the ledger and decided
	case <-time.After(time.Minute):
		writer.Process.Kill()
		p.wait(t)
		t.Fatalf("oscar's writer never asked the agent to sign\n%s%s", &p.stdout, &p.stderr)
	}
	switch what {
	case "key":
		c.ok("alice", "signer", "revoke", "oscar", a.fp, "--reason", "laptop stolen")
	case "role":
		c.ok("alice", "revoke", "oscar", "responder", "--reason", "left the team")
	}
	a.done()
	end := p.wait(t)

	var log []raceEntry
	c.json(&log, "log")
	for i := len(log) - 1; i >= 0; i-- {
		if e := log[i]; e.Type == "SignerRevoked" || e.Type == "RoleRevoked" {
			return end, p, e
		}
	}
	t.Fatalf("no revocation in the log: %+v", log)
	return end, p, raceEntry{}
}

// TestRevocationRaceCLI: on SQLite the revocation stops the write decided
// before it: the writer's append finds the ledger stream changed, the
// writer decides again and is refused by the rules (exit 4); nothing of
// oscar's lands, and the ledger verifies.
func TestRevocationRaceCLI(t *testing.T) {
	for what, rule := range map[string]string{"key": "signer-revoked", "role": "detect-role"} {
		t.Run(what, func(t *testing.T) {
			c := newLedger(t)
			end, p, revocation := race(t, c, what)
			if end.code != 4 || !strings.Contains(p.stderr.String(), rule) {
				t.Errorf("oscar's detection, decided before his %s was revoked: %v, want exit 4 refused by rule %s\nstdout: %s\nstderr: %s", what, end, rule, &p.stdout, &p.stderr)
			}
			var log []raceEntry
			c.json(&log, "log")
			if last := log[len(log)-1]; last.EventID != revocation.EventID {
				t.Errorf("the log ends with %s by %s, want the revocation: nothing of oscar's after it", last.Type, last.Actor)
			}
			verified(t, c)
		})
	}
}

// TestRevocationRaceCLIESDB: on EventStoreDB (the protocol test server),
// which cannot condition an append on another stream, the detection lands,
// recording the ledger revision it was decided on; no reader counts it
// (show, list), log marks it, and verify exits 0 naming it "decided at
// ledger revision N, revoked at N+1".
func TestRevocationRaceCLIESDB(t *testing.T) {
	for _, what := range []string{"key", "role"} {
		t.Run(what, func(t *testing.T) {
			c, _ := newESDBLedger(t)
			end, p, revocation := race(t, c, what)
			inc := strings.TrimSpace(p.stdout.String())
			if end.code != 0 || inc == "" {
				t.Fatalf("oscar's detection: %v, want it appended (exit 0, the incident ID)\nstdout: %s\nstderr: %s", end, &p.stdout, &p.stderr)
			}
			want := fmt.Sprintf("decided at ledger revision %d, revoked at %d", revocation.Revision-1, revocation.Revision)

			// log shows the raced events, marked.
			var log []raceEntry
			c.json(&log, "log")
			raced := 0
			for _, e := range log {
				if e.Stream != "incident-"+inc {
					continue
				}
				raced++
				if e.Raced == nil || e.Raced.RevokedBy != revocation.EventID || e.Basis != revocation.Revision || e.Seq < revocation.Seq {
					t.Errorf("log --json: %+v, want it after the revocation (seq %d), with basis %d, raced by %s", e, revocation.Seq, revocation.Revision, revocation.EventID)
				}
			}
			if raced == 0 {
				t.Fatalf("log --json: no event of incident %s", inc)
			}
			if out := c.ok("auditor", "log"); strings.Count(out, "RACED, never counts: "+want) != raced {
				t.Errorf("log: want %d lines marked %q:\n%s", raced, "RACED, never counts: "+want, out)
			}

			// No reader counts them.
			if r := c.run("auditor", "show", inc); r.code != 3 {
				t.Errorf("show %s: exit %d, want 3 (not found: its detection never counts)\n%s%s", inc, r.code, r.stdout, r.stderr)
			}
			var list struct{ Incidents []json.RawMessage }
			c.json(&list, "list")
			if len(list.Incidents) != 0 {
				t.Errorf("list: %s, want no incident", list.Incidents)
			}

			// verify: intact, every event covered, the race named.
			verified(t, c)
			r := c.run("auditor", "verify")
			if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%d event(s) lost a revocation race", raced)) || strings.Count(r.stdout, want) != raced {
				t.Errorf("verify: exit %d, want 0 naming %d raced event(s): %q\n%s%s", r.code, raced, want, r.stdout, r.stderr)
			}
			var rep struct {
				OK     bool `json:"ok"`
				Signed int  `json:"signed"`
				Events int  `json:"events"`
				Raced  []struct {
					EventID string `json:"event_id"`
					Detail  string `json:"detail"`
				} `json:"raced"`
			}
			if err := json.Unmarshal([]byte(c.run("auditor", "verify", "--json").stdout), &rep); err != nil {
				t.Fatal(err)
			}
			if !rep.OK || len(rep.Raced) != raced {
				t.Errorf("verify --json: ok %v, raced %+v; want ok, %d raced", rep.OK, rep.Raced, raced)
			}

			// Migrated to SQLite, where every append checks the ledger
			// stream, verify says where such a race can come from.
			to := filepath.Join(t.TempDir(), "migrated.db")
			if m := runBinary(t, "", c.env, "migrate", "--from", c.ledger, "--to", to); m.code != 0 {
				t.Fatalf("migrate: exit %d\n%s%s", m.code, m.stdout, m.stderr)
			}
			sq := &cli{tb: t, ledger: to, env: c.env}
			r = sq.run("auditor", "verify")
			if r.code != 0 || strings.Count(r.stdout, "no breachledger writer appended it this way here: it came from a store that cannot (a ledger migrated from EventStoreDB)") != raced {
				t.Errorf("verify of the migrated ledger: exit %d, want 0 saying of each of the %d raced event(s) that it came from a store that cannot condition an append\n%s%s", r.code, raced, r.stdout, r.stderr)
			}
		})
	}
}
