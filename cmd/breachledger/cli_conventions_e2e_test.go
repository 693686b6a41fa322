package main_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
)

// Global flags work anywhere on the line (README: flags come before or
// after the arguments); after "--" they are text.
func TestGlobalFlagsAnywhere(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "Anywhere", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:02:00Z", "oscar")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "where the flags go", "--at", "2025-03-07T10:00:00Z"))
	dir := t.TempDir() // no ledger here: only --ledger finds it
	for _, args := range [][]string{
		{"list", "--ledger", c.ledger},
		{"list", "--ledger=" + c.ledger, "--json"},
		{"show", inc, "--json", "--ledger", c.ledger, "--actor", "auditor"},
		{"--actor", "auditor", "show", "--ledger", c.ledger, inc},
		{"key", "public", "--ledger", c.ledger},
		{"key", "--ledger", c.ledger, "public"},
	} {
		if r := runBinary(t, dir, nil, args...); r.code != 0 {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	// A writer, the actor after the arguments, and a note whose text after
	// "--" names the global flags: it is text.
	r := runBinary(t, dir, nil, "note", inc, "--ledger", c.ledger, "--actor", "oscar", "--at", "2025-03-07T11:00:00Z", "--", "--ledger", "elsewhere.db", "--actor", "mallory")
	if r.code != 0 {
		t.Fatalf("note with global flags after the incident: exit %d\n%s", r.code, r.stderr)
	}
	var tl struct {
		Entries []struct {
			Actor string `json:"actor"`
		} `json:"entries"`
	}
	c.json(&tl, "timeline", inc)
	var log []logEntry
	c.json(&log, "log")
	if actor, note := tl.Entries[len(tl.Entries)-1].Actor, string(log[len(log)-1].Payload); actor != "oscar" || !strings.Contains(note, "--ledger elsewhere.db --actor mallory") {
		t.Errorf("the note after --: actor %q, payload %s; want oscar's, with the text after -- as given", actor, note)
	}
}

// A mistyped flag is a usage error naming the flags it may have meant.
func TestUnknownFlagSuggests(t *testing.T) {
	c := newLedger(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "--ledgr", "x.db"}, "unknown flag --ledgr; did you mean --ledger?"},
		{[]string{"--ledgr", "x.db", "list"}, "unknown flag --ledgr; did you mean --ledger?"},
		{[]string{"show", "INC", "--jsn"}, "unknown flag --jsn; did you mean --json?"},
		{[]string{"key", "public", "--outpt", "f"}, "unknown flag --outpt; did you mean --output?"},
	} {
		r := c.run("auditor", tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 saying %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// "version" prints the version, the Go release and the build; --version
// the version alone.
func TestVersion(t *testing.T) {
	r := runBinary(t, "", nil, "version")
	if r.code != 0 {
		t.Fatalf("version: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"breachledger dev\n", "go:         go1.", "module:     github.com/breachledger/breachledger", "build tags: urfave_cli_no_docs", "stores:     SQLite file, EventStoreDB"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("version does not say %q:\n%s", want, r.stdout)
		}
	}
	var v struct {
		Version string `json:"version"`
		Go      string `json:"go"`
		ESDB    *bool  `json:"eventstoredb"`
	}
	r = runBinary(t, "", nil, "version", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Version != "dev" || !strings.HasPrefix(v.Go, "go1.") || v.ESDB == nil || !*v.ESDB {
		t.Errorf("version --json = %+v (%v)\n%s", v, err, r.stdout)
	}
	if r := runBinary(t, "", nil, "--version"); r.code != 0 || r.stdout != "breachledger version dev\n" {
		t.Errorf("--version: exit %d, %q", r.code, r.stdout)
	}
}

// "help" lists the commands in groups, in the order a responder meets
// them; a command's help lists the values its arguments take.
func TestHelpGroupsAndValues(t *testing.T) {
	r := runBinary(t, "", nil, "help")
	if r.code != 0 {
		t.Fatalf("help: exit %d\n%s", r.code, r.stderr)
	}
	at := -1
	for _, group := range []string{"record an incident:", "approvals and notices:", "regulatory facts:", "read:", "integrity:", "administer:"} {
		i := strings.Index(r.stdout, "\n   "+group+"\n")
		if i < at {
			t.Errorf("help: group %q missing or out of order:\n%s", group, r.stdout)
		}
		at = i
	}
	for _, cmd := range []string{"\n     detect ", "\n     notify ", "\n     determine ", "\n     deadlines ", "\n     verify ", "\n     completion "} {
		if !strings.Contains(r.stdout, cmd) {
			t.Errorf("help does not list %q in a group", strings.TrimSpace(cmd))
		}
	}
	for _, tt := range []struct {
		cmd  string
		want []string
	}{
		{"stage", names(domain.Stages())},
		{"grant", names(domain.Roles())},
		{"classify", names(domain.Classifications())},
		{"request", names(domain.RequestKinds())},
	} {
		r := runBinary(t, "", nil, tt.cmd, "--help")
		for _, v := range tt.want {
			if !strings.Contains(r.stdout, v) {
				t.Errorf("%s --help does not list %q:\n%s", tt.cmd, v, r.stdout)
			}
		}
	}
	if r := runBinary(t, "", nil, "stage", "--help"); strings.Contains(r.stdout, "README") || !strings.Contains(r.stdout, "diagnose -> stabilize") {
		t.Errorf("stage --help points to the README, or lists no moves:\n%s", r.stdout)
	}
}
