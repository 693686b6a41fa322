package main_test

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Impersonation on a ledger made by a plain "init" (issue 12): before,
// the actor of an event was whatever --actor (or the OS user) said, so
// anyone who could write to the ledger file, with a copy of its ledger
// key, recorded facts as anyone: "--actor alice grant oscar admin", then
// "--actor oscar grant oscar security-incident-manager". Now the key is
// the identity: each person signs with their own SSH key, and a name on
// the command line only selects which identity to sign as.
//
// These tests use only what the binary had before (init, grant, signer
// register with a key made by ssh-keygen), so they run, and fail, on the
// code from before the change.

// impersonationLedger is a ledger made by "init" as alice, with oscar a
// responder whose own SSH key (made by ssh-keygen) is registered; and
// where a copy of its ledger key is, as an insider with write access to
// the file would have it.
func impersonationLedger(t *testing.T) (c *cli, oscarKey, ledgerKey string) {
	t.Helper()
	c = newLedger(t)
	c.ok("alice", "init", "--name", "Impersonation Test", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	oscarKey = sshKey(t, "oscar")
	c.ok("alice", "signer", "register", "oscar", oscarKey+".pub", "--at", "2025-03-01T00:02:00Z")
	b, err := os.ReadFile(strings.TrimSpace(c.ok("alice", "key", "path")))
	if err != nil {
		t.Fatal(err)
	}
	ledgerKey = filepath.Join(t.TempDir(), "stolen-ledger.key")
	if err := os.WriteFile(ledgerKey, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return c, oscarKey, ledgerKey
}

// insider returns the ledger of c as run by someone with a home and a
// configuration directory of their own: they hold the ledger key given
// with --ledger-key, no SSH key of alice's, no agent.
func insider(t *testing.T, c *cli) *cli {
	t.Helper()
	dir := t.TempDir()
	return &cli{tb: t, ledger: c.ledger, env: []string{"HOME=" + filepath.Join(dir, "home"), "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "SSH_AUTH_SOCK="}}
}

// refusedUnchanged checks that r was refused (exit 4) by rule, saying
// what to do, and that the ledger is as it was before.
func refusedUnchanged(t *testing.T, c *cli, before string, r result, what, rule string, says ...string) {
	t.Helper()
	if r.code != 4 || !strings.Contains(r.stderr, "refused by rule "+rule) {
		t.Errorf("%s: exit %d, want 4 refused by rule %s\n%s%s", what, r.code, rule, r.stdout, r.stderr)
	}
	for _, s := range says {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("%s: the refusal does not say %q:\n%s", what, s, r.stderr)
		}
	}
	if after := c.dump(); after != before {
		t.Errorf("%s: the ledger changed:\n%s", what, cmp.Diff(before, after))
	}
}

// TestImpersonationRefused: an insider with the ledger file and its key
// cannot record a fact as alice, with no key, with their own key, or with
// their own key named as alice's.
func TestImpersonationRefused(t *testing.T) {
	c, oscarKey, ledgerKey := impersonationLedger(t)
	before := c.dump()
	in := insider(t, c)
	grant := []string{"--ledger-key", ledgerKey, "grant", "oscar", "admin", "--reason", "covering the night shift"}

	// No key at all: the name alone is no identity.
	r := in.run("alice", grant...)
	refusedUnchanged(t, c, before, r, "--actor alice with no key", "signature-required", "signer keygen alice", "signer register alice")

	// oscar's own key, as his ~/.ssh/id_ed25519, acting as alice.
	copyFile(t, oscarKey, filepath.Join(homeOf(in), ".ssh", "id_ed25519"), 0o600)
	copyFile(t, oscarKey+".pub", filepath.Join(homeOf(in), ".ssh", "id_ed25519.pub"), 0o644)
	r = in.run("alice", grant...)
	refusedUnchanged(t, c, before, r, "--actor alice holding only oscar's key", "signature-required", "registered to oscar, not alice")

	// oscar's key put where alice's is looked for: still oscar's.
	copyFile(t, oscarKey, filepath.Join(configOf(in), "breachledger", "signers", "alice"), 0o600)
	r = in.run("alice", grant...)
	refusedUnchanged(t, c, before, r, "oscar's key as the key directory's alice", "signature-required", "registered to oscar, not alice")

	// oscar's key named on the command line.
	r = in.run("alice", append([]string{"--sign-key", oscarKey}, grant...)...)
	refusedUnchanged(t, c, before, r, "--actor alice --sign-key oscar's key", "signer-not-yours", "registered to oscar, not alice")
}

// TestSelfGrantedRoles: the insider's two steps to a role nobody gave
// them, "--actor alice grant oscar admin" then "--actor oscar grant oscar
// security-incident-manager", are both refused, and oscar holds only what
// alice gave him.
func TestSelfGrantedRoles(t *testing.T) {
	c, oscarKey, ledgerKey := impersonationLedger(t)
	before := c.dump()
	oscar := insider(t, c) // oscar himself: his own key, the ledger key
	sign := []string{"--sign-key", oscarKey, "--ledger-key", ledgerKey}
	r := oscar.run("alice", append(sign, "grant", "oscar", "admin")...)
	refusedUnchanged(t, c, before, r, "oscar granting himself admin as alice", "signer-not-yours")
	r = oscar.run("alice", "--ledger-key", ledgerKey, "grant", "oscar", "admin")
	refusedUnchanged(t, c, before, r, "oscar granting himself admin as alice, unsigned", "signature-required")
	r = oscar.run("oscar", append(sign, "grant", "oscar", "security-incident-manager")...)
	refusedUnchanged(t, c, before, r, "oscar granting himself security-incident-manager", "grant-role")
	var roles []struct {
		Actor string   `json:"actor"`
		Roles []string `json:"roles"`
	}
	c.json(&roles, "roles")
	for _, ar := range roles {
		if ar.Actor == "oscar" && strings.Join(ar.Roles, ",") != "responder" {
			t.Errorf("oscar holds %v, want only responder", ar.Roles)
		}
	}
}

// TestImpersonationByOSUser: the OS user nobody, with a copy of the
// ledger file and of its ledger key, records nothing, as nobody (the OS
// user, no --actor) or as alice.
func TestImpersonationByOSUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("runs the binary as the OS user nobody: needs root")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no OS user nobody")
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	c, _, ledgerKey := impersonationLedger(t)
	// A directory nobody can use: the binary, the ledger, the key.
	dir, err := os.MkdirTemp("", "breachledger-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{dir, filepath.Join(dir, "home"), filepath.Join(dir, "config")} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, 0o777)
	}
	bin := filepath.Join(dir, "breachledger")
	copyFile(t, binary, bin, 0o755)
	copyFile(t, c.ledger, filepath.Join(dir, "ledger.db"), 0o666)
	copyFile(t, ledgerKey, filepath.Join(dir, "ledger.key"), 0o600)
	if err := os.Chown(filepath.Join(dir, "ledger.key"), int(uid), int(gid)); err != nil {
		t.Fatal(err)
	}
	theirs := &cli{tb: t, ledger: filepath.Join(dir, "ledger.db")}
	before := theirs.dump()
	asNobody := func(args ...string) result {
		cmd := exec.Command(bin, append([]string{"--ledger", theirs.ledger, "--ledger-key", filepath.Join(dir, "ledger.key")}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+filepath.Join(dir, "home"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "BREACHLEDGER_ACTOR=", "SSH_AUTH_SOCK=", "USER=nobody")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return result{stdout: out.String(), stderr: errb.String(), code: code}
	}
	r := asNobody("--actor", "alice", "grant", "oscar", "admin")
	refusedUnchanged(t, theirs, before, r, "nobody as alice", "signature-required", "signer keygen alice")
	r = asNobody("grant", "oscar", "admin")
	refusedUnchanged(t, theirs, before, r, "nobody as nobody", "signature-required", "signer keygen nobody")
}

// configOf returns the XDG_CONFIG_HOME that c's runs are given.
func configOf(c *cli) string { return envOf(c, "XDG_CONFIG_HOME") }

// homeOf returns the HOME that c's runs are given.
func homeOf(c *cli) string { return envOf(c, "HOME") }

func envOf(c *cli, name string) string {
	for _, e := range c.env {
		if v, ok := strings.CutPrefix(e, name+"="); ok {
			return v
		}
	}
	return os.Getenv(name)
}

func copyFile(tb testing.TB, from, to string, mode os.FileMode) {
	tb.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(to, mode); err != nil {
		tb.Fatal(err)
	}
}
