package main_test

// Issue 11, "message and exit-code slips": each slip through the built
// binary, with the message's key words and the exact exit code.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// slipsLedger is a ledger with a responder team and one incident in
// Detect; it returns the incident's ID.
func slipsLedger(t *testing.T) (*cli, string) {
	t.Helper()
	c := newLedger(t)
	c.ok("alice", "init", "--name", "slips", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "sam", "security-response", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:01:00Z", "sam")
	c.ok("alice", "grant", "ian", "incident-manager", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:01:00Z", "ian")
	inc := strings.TrimSpace(c.ok("sam", "detect", "-q", "--source", "customer-report", "--summary", "slips", "--at", "2025-03-07T21:40:00Z"))
	return c, inc
}

// expect checks a run's exit code and that its stderr says every one of
// want and none of not.
func expect(t *testing.T, r result, code int, want, not []string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr does not say %q:\n%s", w, r.stderr)
		}
	}
	for _, n := range not {
		if strings.Contains(r.stderr, n) {
			t.Errorf("stderr says %q:\n%s", n, r.stderr)
		}
	}
}

// TestSlipDoubleClose: closing a closed incident says it is already closed
// (and how to reopen it if the first close was a mistake), not "reopen it
// first" as if the close could then go ahead.
func TestSlipDoubleClose(t *testing.T) {
	c, inc := slipsLedger(t)
	c.ok("sam", "assess", inc, "-f", "low", "-r", "regular", "-i", "none", "--at", "2025-03-07T22:00:00Z")
	c.ok("sam", "classify", inc, "false-positive", "--root-cause", "pen test", "--at", "2025-03-07T23:00:00Z")
	c.ok("ian", "close", inc, "--summary", "pen test", "--at", "2025-03-08T00:00:00Z")
	before := c.dump()
	r := c.run("ian", "close", inc, "--summary", "again")
	expect(t, r, 4, []string{"already-closed", "is already closed", "closed 2025-03-08T00:00:00Z by ian", "nothing to do", "breachledger reopen " + inc, "nothing was recorded"},
		[]string{"reopen it first"})
	if c.dump() != before {
		t.Error("a refused close changed the ledger")
	}
}

// TestSlipFutureAwareAt: a future --aware-at is refused with advice about
// --aware-at, not about leaving --at out.
func TestSlipFutureAwareAt(t *testing.T) {
	c, _ := slipsLedger(t)
	r := c.run("sam", "detect", "--source", "customer-report", "--summary", "s", "--aware-at", "2999-01-01T00:00:00Z")
	expect(t, r, 4, []string{"future-time", "aware-at 2999-01-01T00:00:00Z is in the future", "give an --aware-at at or before now", "leave --aware-at out"},
		[]string{"leave --at out"})
	// --at keeps its own advice.
	r = c.run("sam", "detect", "--source", "customer-report", "--summary", "s", "--at", "2999-01-01T00:00:00Z")
	expect(t, r, 4, []string{"future-time", "leave --at out"}, []string{"--aware-at"})
}

// TestSlipAdviceAfterStageClose: after "stage X close", contain advised a
// move to diagnose, which stage then refused. The advice is now a reopen,
// and following it works.
func TestSlipAdviceAfterStageClose(t *testing.T) {
	c, inc := slipsLedger(t)
	c.ok("sam", "assess", inc, "-f", "low", "-r", "regular", "-i", "none", "--at", "2025-03-07T22:00:00Z")
	c.ok("sam", "classify", inc, "false-positive", "--root-cause", "pen test", "--at", "2025-03-07T23:00:00Z")
	c.ok("sam", "stage", inc, "close", "--at", "2025-03-08T00:00:00Z")

	r := c.run("sam", "contain", inc, "--description", "quarantine eu-3-07")
	expect(t, r, 4, []string{"action-stage", "reopen it at diagnose", "breachledger reopen " + inc + " --reason ... --stage diagnose"},
		[]string{"move the incident to diagnose", "stage " + inc + " diagnose"})
	// What the old advice led to: refused, and that refusal too advises the reopen.
	r = c.run("sam", "stage", inc, "diagnose")
	expect(t, r, 4, []string{"stage-move", "breachledger reopen " + inc}, nil)
	// Following the advice works.
	c.ok("ian", "reopen", inc, "--reason", "containment still needed", "--stage", "diagnose", "--at", "2025-03-08T01:00:00Z")
	c.ok("sam", "contain", inc, "--description", "quarantine eu-3-07", "--at", "2025-03-08T02:00:00Z")

	// On a closed incident every command but note, correct and reopen
	// advises the reopen.
	c.ok("sam", "stage", inc, "stabilize", "--at", "2025-03-08T03:00:00Z")
	c.ok("ian", "close", inc, "--at", "2025-03-08T04:00:00Z")
	for _, args := range [][]string{
		{"contain", inc, "--description", "more"},
		{"stage", inc, "diagnose"},
		{"classify", inc, "security-incident"},
	} {
		r := c.run("ian", args...)
		expect(t, r, 4, []string{"incident-closed", "reopen it first", "breachledger reopen " + inc}, nil)
	}
}

// TestSlipEmptyLedger: --ledger "" (or an empty BREACHLEDGER_LEDGER) is a
// usage error that says what to give, not an I/O error (exit 1).
func TestSlipEmptyLedger(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"--ledger", "", "list"}, {"--ledger", " ", "init"}, {"--ledger=", "show", "XXXXXXXX"}} {
		r := bin(t, dir, nil, args...)
		expect(t, r, 2, []string{"--ledger is empty", "give the ledger's file PATH or its esdb:// location", "usage error"}, []string{"empty path"})
	}
	r := bin(t, dir, []string{"BREACHLEDGER_LEDGER="}, "list")
	expect(t, r, 2, []string{"--ledger is empty", "BREACHLEDGER_LEDGER"}, nil)
	nothingIn(t, dir)
}

// bin runs the binary in dir with exactly args (no --ledger, no --actor),
// env added to the environment.
func bin(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return runBinary(t, dir, append([]string{"BREACHLEDGER_INCIDENT=", "BREACHLEDGER_ACTOR=alice"}, env...), args...)
}

// nothingIn fails unless dir is empty: a refused command created nothing.
func nothingIn(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("%s was created", filepath.Join(dir, e.Name()))
	}
}

// TestSlipMissingStageOnce: "stage INCIDENT" with no stage reports the
// missing argument once, not twice ("missing argument STAGE" and "STAGE is
// required").
func TestSlipMissingStageOnce(t *testing.T) {
	c, inc := slipsLedger(t)
	r := c.run("sam", "stage", inc)
	expect(t, r, 2, []string{"missing argument STAGE", "usage error"}, []string{"STAGE is required", "problems"})
	if n := strings.Count(r.stderr, "STAGE"); n != 1 {
		t.Errorf("STAGE named %d times, want once:\n%s", n, r.stderr)
	}
	// The same for every writer whose enumerated argument is missing.
	for _, tt := range []struct {
		arg  string
		args []string
	}{
		{"CLASSIFICATION", []string{"classify", inc}},
		{"LEVEL", []string{"risk", inc, "--reasoning", "r"}},
		{"KIND", []string{"request", inc, "--details", "d"}},
		{"ROLE", []string{"grant", "bob"}},
	} {
		r := c.run("alice", tt.args...)
		expect(t, r, 2, []string{"missing argument " + tt.arg}, []string{tt.arg + " is required"})
	}
}

// command is a leaf command as the binary's help shows it.
type command struct {
	path     []string // e.g. ["key", "public"]
	required []string // positional arguments it needs
	optional []string // [ARG]
	variadic bool     // ARG...
	flags    map[string]bool
}

// leafCommands reads every leaf command from the binary's own help, so
// that a command added later is checked too.
func leafCommands(t *testing.T, dir string, parent ...string) []command {
	t.Helper()
	r := bin(t, dir, nil, append(append([]string{}, parent...), "--help")...)
	if r.code != 0 {
		t.Fatalf("%v --help: exit %d\n%s", parent, r.code, r.stderr)
	}
	sections := helpSections(r.stdout)
	if cmds, ok := sections["COMMANDS"]; ok {
		var out []command
		for _, line := range cmds {
			if strings.HasSuffix(line, ":") {
				continue // a group's title ("read:", app.go's categories)
			}
			name := strings.TrimSuffix(strings.Fields(line)[0], ",")
			if name == "help" || name == "h" {
				continue
			}
			out = append(out, leafCommands(t, dir, append(append([]string{}, parent...), name)...)...)
		}
		return out
	}
	c := command{path: parent, flags: map[string]bool{}}
	usage := strings.Join(sections["USAGE"], " ")
	_, args, _ := strings.Cut(usage, "[command options]")
	for _, a := range strings.Fields(args) {
		switch {
		case strings.HasPrefix(a, "["):
			c.optional = append(c.optional, strings.Trim(a, "[]"))
		case strings.HasSuffix(a, "..."):
			c.variadic = true
			c.required = append(c.required, strings.TrimSuffix(a, "..."))
		default:
			c.required = append(c.required, a)
		}
	}
	for _, line := range sections["OPTIONS"] {
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "--") {
				c.flags[strings.TrimSuffix(f, ",")] = true
			}
		}
	}
	return []command{c}
}

// helpSections splits help output into its sections ("USAGE:", ...).
func helpSections(out string) map[string][]string {
	s := map[string][]string{}
	section := ""
	for _, line := range strings.Split(out, "\n") {
		if line != "" && !strings.HasPrefix(line, " ") && strings.HasSuffix(line, ":") {
			section = strings.TrimSuffix(line, ":")
			continue
		}
		if strings.TrimSpace(line) != "" && section != "" {
			s[section] = append(s[section], strings.TrimSpace(line))
		}
	}
	return s
}

// TestSlipArgsBeforeLedger: every command checks its arguments and flag
// values before it opens the ledger. Against a ledger that does not
// exist, a missing or an extra argument, or a malformed time, is a usage
// error (exit 2) with the usage message, not "no ledger" (exit 3); and
// nothing is created, neither the ledger nor a key.
func TestSlipArgsBeforeLedger(t *testing.T) {
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"XDG_CONFIG_HOME=" + filepath.Join(work, "config")}
	cmds := leafCommands(t, dir)
	if len(cmds) < 50 {
		t.Fatalf("%d commands read from the help, want them all (50 or more)", len(cmds))
	}
	checked := map[string]int{}
	for _, cmd := range cmds {
		name := strings.Join(cmd.path, " ")
		t.Run(name, func(t *testing.T) {
			runIt := func(args ...string) result {
				return bin(t, work, env, append(append([]string{"--ledger", filepath.Join(work, "none.db"), "--actor", "alice"}, cmd.path...), args...)...)
			}
			fill := func(names []string) []string {
				out := make([]string, len(names))
				for i := range names {
					out[i] = "X"
				}
				return out
			}
			usage := func(what string, r result, words ...string) {
				t.Helper()
				checked[what]++
				if r.code != 2 || !strings.Contains(r.stderr, `(usage error: see "breachledger help COMMAND")`) {
					t.Errorf("%s: exit %d, want 2 with the usage message\nstderr: %s", what, r.code, r.stderr)
					return
				}
				for _, w := range words {
					if strings.Contains(r.stderr, w) {
						return
					}
				}
				t.Errorf("%s: stderr says none of %q:\n%s", what, words, r.stderr)
			}
			if !cmd.variadic {
				args := append(fill(cmd.required), fill(cmd.optional)...)
				usage("an extra argument", runIt(append(args, "EXTRA")...), `unexpected argument "EXTRA"`, "give ")
			}
			if len(cmd.required) > 0 {
				usage("a missing argument", runIt(), "missing argument", "give ")
			}
			for _, flag := range []string{"--at", "--as-of", "--known-at"} {
				if cmd.flags[flag] {
					usage("a malformed "+flag, runIt(append([]string{flag, "yesterday"}, fill(cmd.required)...)...), `"yesterday" is not a time`)
				}
			}
		})
	}
	nothingIn(t, work)
	t.Logf("%d commands; checked %v", len(cmds), checked)
}

// TestSlipInitMessage: init printed "ledger: ledger initialised — ledger
// "NAME" initialised; alice is admin"; each word once now. A close
// without --summary printed "closed —  [seq ...": nothing dangles now.
func TestSlipInitMessage(t *testing.T) {
	c := newLedger(t)
	r := c.run("alice", "init", "--name", "Contoso IR", "--at", "2025-03-01T00:00:00Z")
	if r.code != 0 {
		t.Fatalf("init: exit %d\n%s", r.code, r.stderr)
	}
	// The last two lines: the initialisation, and the registration of
	// alice's key that signs it (signed mode).
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	init := lines[len(lines)-2]
	if want := `ledger: initialised — named "Contoso IR"; alice is its first admin; signed mode`; !strings.HasPrefix(init, want) || !strings.Contains(init, " [seq 0, event ") {
		t.Errorf("init says\n%s\nwant it to begin\n%s", init, want)
	}
	if strings.Count(init, "ledger") != 1 || strings.Count(init, "initialised") != 1 {
		t.Errorf("init repeats itself: %s", init)
	}
	if want := "ledger: signer registered — alice signs with " + fingerprint(t, signerKey("alice")); !strings.HasPrefix(lines[len(lines)-1], want) {
		t.Errorf("init says\n%s\nwant its last line to begin\n%s", lines[len(lines)-1], want)
	}
	// Other ledger writers keep their kind: "ledger: role granted — ...".
	if out := c.ok("alice", "grant", "ian", "incident-manager", "--at", "2025-03-01T00:01:00Z"); !strings.HasPrefix(out, "ledger: role granted — ian granted incident-manager [seq 3, event ") {
		t.Errorf("grant says %q", out)
	}
	c.register("2025-03-01T00:01:00Z", "ian")
	c.ok("alice", "grant", "sam", "security-response", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:01:00Z", "sam")
	inc := strings.TrimSpace(c.ok("sam", "detect", "-q", "--source", "customer-report", "--summary", "s", "--at", "2025-03-07T21:40:00Z"))
	c.ok("sam", "assess", inc, "-f", "low", "-r", "regular", "-i", "none", "--at", "2025-03-07T22:00:00Z")
	c.ok("sam", "classify", inc, "false-positive", "--root-cause", "test", "--at", "2025-03-07T23:00:00Z")
	out := c.ok("ian", "close", inc, "--at", "2025-03-08T00:00:00Z")
	if !strings.Contains(out, "incident "+inc+": closed [seq ") || strings.Contains(out, "—  [") {
		t.Errorf("close without a summary says:\n%s", out)
	}
}

// TestSlipQuietHelp: every writer's --quiet help said "(detect)"; each
// now says what that writer prints, and prints it.
func TestSlipQuietHelp(t *testing.T) {
	dir := t.TempDir()
	writers := 0
	for _, cmd := range leafCommands(t, dir) {
		if !cmd.flags["--quiet"] {
			continue
		}
		writers++
		name := strings.Join(cmd.path, " ")
		r := bin(t, dir, nil, append(cmd.path, "--help")...)
		var quiet string
		for _, line := range helpSections(r.stdout)["OPTIONS"] {
			if strings.HasPrefix(line, "--quiet") {
				quiet = line
			}
		}
		want := fmt.Sprintf("print only the ID of the event %q records", cmd.path[len(cmd.path)-1])
		if name == "detect" {
			want = "print only the new incident's ID"
		}
		if !strings.Contains(quiet, want) || strings.Contains(quiet, "(detect)") {
			t.Errorf("%s --help: %q, want %q", name, quiet, want)
		}
	}
	if writers < 30 {
		t.Errorf("%d writers with --quiet, want 30 or more", writers)
	}
	// And they print what they say.
	c, inc := slipsLedger(t)
	if !regexp.MustCompile(`^[0-9A-Za-z]{27}$`).MatchString(inc) {
		t.Errorf("detect -q printed %q, want an incident ID", inc)
	}
	if out := strings.TrimSpace(c.ok("sam", "note", inc, "-q", "hello")); !uuidRE.MatchString(out) || out != uuidRE.FindString(out) {
		t.Errorf("note -q printed %q, want one event ID", out)
	}
}

// TestSlipHelpUnknown: "help detec" printed nothing and exited 0. An
// unknown command, in every form, is a usage error (exit 2) with "did you
// mean" suggestions; help for a real command still works (exit 0).
func TestSlipHelpUnknown(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"help", "detec"}, []string{`unknown command "detec"`, `did you mean "detect"?`}},
		{[]string{"h", "detec"}, []string{`unknown command "detec"`, `did you mean "detect"?`}},
		{[]string{"detec", "--help"}, []string{`unknown command "detec"`, `did you mean "detect"?`}},
		{[]string{"--help", "detec"}, []string{`unknown command "detec"`, `did you mean "detect"?`}},
		{[]string{"detec"}, []string{`unknown command "detec"`, `did you mean "detect"?`}},
		{[]string{"verfy"}, []string{`did you mean "verify"?`}},
		{[]string{"help", "dead"}, []string{`did you mean "deadlines"?`}},
		{[]string{"key", "pubic"}, []string{`unknown command "key pubic"`, `did you mean "key public"?`, `"breachledger key --help" lists the commands`}},
		{[]string{"key", "help", "pubic"}, []string{`unknown command "key pubic"`, `did you mean "key public"?`}},
		{[]string{"help", "key", "pubic"}, []string{`unknown command "key pubic"`, `did you mean "key public"?`}},
		{[]string{"signer", "lst"}, []string{`did you mean "signer list"?`}},
		{[]string{"help", "zzzzqq"}, []string{`unknown command "zzzzqq"`, `"breachledger help" lists the commands`}},
	}
	for _, tt := range tests {
		r := bin(t, dir, nil, tt.args...)
		expect(t, r, 2, append(tt.want, `(usage error: see "breachledger help COMMAND")`), nil)
		if r.stdout != "" {
			t.Errorf("%v printed %q to stdout", tt.args, r.stdout)
		}
	}
	if r := bin(t, dir, nil, "help", "zzzzqq"); strings.Contains(r.stderr, "did you mean") {
		t.Errorf("a word like no command gets a suggestion: %s", r.stderr)
	}
	for _, args := range [][]string{{"help", "detect"}, {"detect", "--help"}, {"help"}, {"key", "--help"}, {"help", "key"}, {"key", "public", "--help"}} {
		r := bin(t, dir, nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "USAGE:") || r.stderr != "" {
			t.Errorf("%v: exit %d, want 0 and the help\nstdout: %.200s\nstderr: %s", args, r.code, r.stdout, r.stderr)
		}
	}
	nothingIn(t, dir)
}

// TestSlipHelpOfSubcommand: "help key public" showed the help of "key";
// it shows that of "key public", as "key public --help" does.
func TestSlipHelpOfSubcommand(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"help", "key", "public"}, {"--ledger", "x.db", "help", "signer", "keygen"}} {
		r := bin(t, dir, nil, args...)
		name := strings.Join(args[len(args)-2:], " ")
		expect(t, r, 0, nil, nil)
		if !strings.Contains(r.stdout, "breachledger "+name+" - ") {
			t.Errorf("%v: stdout does not name %q:\n%s", args, name, r.stdout)
		}
	}
	nothingIn(t, dir)
}
