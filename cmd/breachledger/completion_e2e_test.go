package main_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
)

// "completion SHELL" prints a script for the shell that names the program
// and asks it for values with the hidden completion flag.
func TestCompletionScripts(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		t.Run(sh, func(t *testing.T) {
			r := runBinary(t, "", nil, "completion", sh)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("completion %s: exit %d\n%s", sh, r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, "breachledger") {
				t.Errorf("completion %s does not name the program:\n%s", sh, r.stdout)
			}
			if sh != "fish" && !strings.Contains(r.stdout, "--generate-bash-completion") {
				t.Errorf("completion %s does not ask the program for values:\n%s", sh, r.stdout)
			}
			if sh == "fish" && !strings.Contains(r.stdout, "complete -c breachledger") {
				t.Errorf("completion fish has no completions:\n%s", r.stdout)
			}
		})
	}
	if r := runBinary(t, "", nil, "completion", "fsh"); r.code != 2 || !strings.Contains(r.stderr, "did you mean fish?") {
		t.Errorf("completion fsh: exit %d, want 2 suggesting fish\n%s", r.code, r.stderr)
	}
}

// The values a completion request lists: the incidents' IDs, the stages,
// the roles, an incident's obligations; read from the ledger read-only.
func TestCompletionValues(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "Completion", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:02:00Z", "oscar")
	var incs []string
	for _, s := range []string{"first", "second"} {
		incs = append(incs, strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", s, "--at", "2025-03-07T10:00:00Z")))
	}
	before := c.dump()
	lines := func(args ...string) []string {
		t.Helper()
		r := c.run("auditor", append(args, "--generate-bash-completion")...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("%v --generate-bash-completion: exit %d\n%s", args, r.code, r.stderr)
		}
		return strings.Fields(r.stdout)
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"show"}, incs},
		{[]string{"stage"}, incs},
		{[]string{"timeline", "--json"}, incs},
		{[]string{"stage", incs[0]}, names(domain.Stages())},
		{[]string{"grant", "sam"}, names(domain.Roles())},
		{[]string{"classify", incs[1]}, names(domain.Classifications())},
		{[]string{"reopen", incs[0], "--stage"}, names(domain.Stages())},
		{[]string{"show", incs[0]}, nil}, // show takes one INCIDENT
		{[]string{"note", incs[0], "--reason"}, nil},
	}
	for _, tt := range tests {
		if got := lines(tt.args...); !slices.Equal(got, tt.want) {
			t.Errorf("%v: completes %q, want %q", tt.args, got, tt.want)
		}
	}
	if got := lines("show", "--js"); !slices.Contains(got, "--json") {
		t.Errorf("show --js: completes %q, want --json among them", got)
	}
	if after := c.dump(); after != before {
		t.Errorf("completion changed the ledger")
	}
}

// An incident's obligations complete after notify --for.
func TestCompletionObligations(t *testing.T) {
	c := newLedger(t)
	inc := runScenario(t, c)
	var dl struct{ Deadlines []obligation }
	c.json(&dl, "deadlines", inc)
	var want []string
	for _, o := range dl.Deadlines {
		want = append(want, o.ID)
	}
	slices.Sort(want)
	want = slices.Compact(want)
	if len(want) == 0 {
		t.Fatal("the scenario's incident has no obligations")
	}
	r := c.run("auditor", "notify", inc, "--for", "--generate-bash-completion")
	got := strings.Fields(r.stdout)
	slices.Sort(got)
	if r.code != 0 || !slices.Equal(got, want) {
		t.Errorf("notify INCIDENT --for: completes %q (exit %d, %s), want %q", r.stdout, r.code, r.stderr, want)
	}
}

// A completion request on a ledger that does not exist prints nothing and
// creates nothing: no file, no -wal or -shm, no directory entry at all.
func TestCompletionMissingLedger(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	for _, args := range [][]string{
		{"--ledger", missing, "show", "--generate-bash-completion"},
		{"show", "--ledger", missing, "--generate-bash-completion"},
		{"--ledger", missing, "notify", "INC", "--for", "--generate-bash-completion"},
	} {
		r := runBinary(t, dir, nil, args...)
		if r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 0 and nothing", args, r.code, r.stdout, r.stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a completion request created %v", entries)
	}
}

func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
