package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
)

// bashCompletionLib is the bash-completion package's library, which the
// bash script's _init_completion comes from (.ci/run installs it).
const bashCompletionLib = "/usr/share/bash-completion/bash_completion"

// TestCompletionInShells sources each script in the real shell and asks
// it to complete a line, as pressing Tab does: the values come from the
// ledger through the binary found on $PATH. It skips a shell that is not
// installed (.ci/run installs fish and bash-completion).
func TestCompletionInShells(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "Completion", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:02:00Z", "oscar")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "tab", "--at", "2025-03-07T10:00:00Z"))

	// The shells run "breachledger" by name: a directory on $PATH holding
	// a link to the built binary, and the ledger in the environment.
	bin := t.TempDir()
	if err := os.Symlink(binary, filepath.Join(bin, "breachledger")); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := func(sh string) string {
		r := runBinary(t, "", nil, "completion", sh)
		if r.code != 0 {
			t.Fatalf("completion %s: exit %d\n%s", sh, r.code, r.stderr)
		}
		f := filepath.Join(dir, sh)
		if err := os.WriteFile(f, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	env := append(os.Environ(), "HOME="+home, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "BREACHLEDGER_LEDGER="+c.ledger, "BREACHLEDGER_ACTOR=auditor")
	complete := func(t *testing.T, name string, arg ...string) []string {
		t.Helper()
		cmd := exec.Command(name, arg...)
		cmd.Env, cmd.Dir = env, dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		var words []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if w, _, _ := strings.Cut(l, "\t"); w != "" { // fish: "value\tdescription"
				words = append(words, w)
			}
		}
		slices.Sort(words)
		return words
	}
	stages := names(domain.Stages())
	slices.Sort(stages)
	lines := []struct {
		typed string // the line so far, ending where Tab is pressed
		want  []string
	}{
		{"breachledger show ", []string{inc}},
		{"breachledger stage " + inc + " ", stages},
		{"breachledger show --js", []string{"--json"}},
	}

	t.Run("fish", func(t *testing.T) {
		if _, err := exec.LookPath("fish"); err != nil {
			t.Skip("fish is not installed (.ci/run installs it)")
		}
		f := script("fish")
		for _, l := range lines {
			if got := complete(t, "fish", "--no-config", "-c", "source "+f+"; complete -C '"+l.typed+"'"); !slices.Equal(got, l.want) {
				t.Errorf("fish completes %q with %q, want %q", l.typed, got, l.want)
			}
		}
	})
	t.Run("bash", func(t *testing.T) {
		if _, err := os.Stat(bashCompletionLib); err != nil {
			t.Skip("bash-completion is not installed (.ci/run installs it)")
		}
		f := script("bash")
		for _, l := range lines {
			words := strings.Fields(l.typed)
			if strings.HasSuffix(l.typed, " ") {
				words = append(words, "")
			}
			quoted := make([]string, len(words))
			for i, w := range words {
				quoted[i] = "'" + w + "'"
			}
			prog := "source " + bashCompletionLib + "; source " + f + "; " +
				"COMP_WORDS=(" + strings.Join(quoted, " ") + "); COMP_CWORD=" + strconv.Itoa(len(words)-1) + "; " +
				"COMP_LINE='" + l.typed + "'; COMP_POINT=${#COMP_LINE}; _cli_bash_autocomplete; printf '%s\\n' \"${COMPREPLY[@]}\""
			if got := complete(t, "bash", "--norc", "--noprofile", "-c", prog); !slices.Equal(got, l.want) {
				t.Errorf("bash completes %q with %q, want %q", l.typed, got, l.want)
			}
		}
	})
}
