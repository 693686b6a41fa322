package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/urfave/cli/v2"
)

func TestLiftGlobalFlags(t *testing.T) {
	app := newApp(&bytes.Buffer{}, &bytes.Buffer{}, time.Now)
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"after the command", "bl list --ledger x.db", "bl --ledger x.db list"},
		{"after the arguments, among the command's flags", "bl show INC --json --ledger x.db --actor sam", "bl --ledger x.db --actor sam show INC --json"},
		{"flag=value", "bl show INC --ledger=x.db", "bl --ledger=x.db show INC"},
		{"single dash", "bl list -ledger x.db", "bl -ledger x.db list"},
		{"a boolean global takes no value", "bl note INC --ssh-agent hello", "bl --ssh-agent note INC hello"},
		{"joins the global flags already in front", "bl --actor sam stage INC diagnose --ledger x.db --reason why", "bl --actor sam --ledger x.db stage INC diagnose --reason why"},
		{"after a subcommand", "bl key public --ledger x.db", "bl --ledger x.db key public"},
		{"between a command and its subcommand", "bl key --ledger x.db public", "bl --ledger x.db key public"},
		{"nothing after -- is touched", "bl note INC -- --ledger x.db", "bl note INC -- --ledger x.db"},
		{"before -- lifted, after it kept", "bl note INC --ledger x.db -- --actor sam", "bl --ledger x.db note INC -- --actor sam"},
		{"a command flag's value is its value", "bl stage INC diagnose --reason --ledger", "bl stage INC diagnose --reason --ledger"},
		{"a global flag's value may look like a flag", "bl list --actor --json", "bl --actor --json list"},
		{"-- among the global flags ends the pre-pass", "bl -- list --ledger x.db", "bl -- list --ledger x.db"},
		{"unknown command left alone", "bl lst --ledger x.db", "bl lst --ledger x.db"},
		{"unknown flags stay for the parser", "bl list --ledgr x.db", "bl list --ledgr x.db"},
		{"no global flag after the command", "bl show INC --json", "bl show INC --json"},
		{"a trailing global without its value", "bl list --ledger", "bl --ledger list"},
		{"the completion request stays last", "bl show --ledger x.db --generate-bash-completion", "bl --ledger x.db show --generate-bash-completion"},
		{"no command", "bl --version", "bl --version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.Fields(tt.in)
			orig := strings.Join(in, " ")
			got := strings.Join(liftGlobalFlags(app, in), " ")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("liftGlobalFlags(%q) (-want +got):\n%s", tt.in, diff)
			}
			if strings.Join(in, " ") != orig {
				t.Errorf("liftGlobalFlags changed its argument: %q", in)
			}
		})
	}
}

// A command's own flag of a global flag's name is the command's: it is
// not lifted, in the command or in its subcommand's.
func TestLiftGlobalFlagsCommandFlagWins(t *testing.T) {
	app := &cli.App{
		Flags: []cli.Flag{&cli.StringFlag{Name: "ledger"}, &cli.StringFlag{Name: "actor"}},
		Commands: []*cli.Command{
			{Name: "migrate", Flags: []cli.Flag{&cli.StringFlag{Name: "ledger"}}},
			{Name: "witness", Subcommands: []*cli.Command{{Name: "serve", Flags: []cli.Flag{&cli.StringFlag{Name: "actor"}}}}},
		},
	}
	tests := []struct{ in, want string }{
		{"bl migrate --ledger to.db --actor sam", "bl --actor sam migrate --ledger to.db"},
		{"bl migrate --ledger=to.db", "bl migrate --ledger=to.db"},
		{"bl witness serve --actor w --ledger x.db", "bl --ledger x.db witness serve --actor w"},
		{"bl witness --actor sam serve", "bl --actor sam witness serve"},
	}
	for _, tt := range tests {
		got := strings.Join(liftGlobalFlags(app, strings.Fields(tt.in)), " ")
		if got != tt.want {
			t.Errorf("liftGlobalFlags(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// No command of the CLI defines a flag of a global flag's name today: if
// one does, its own flag wins (TestLiftGlobalFlagsCommandFlagWins), and
// the global one can no longer be given after that command; this test
// makes the choice visible.
func TestNoCommandShadowsAGlobalFlag(t *testing.T) {
	app := newApp(&bytes.Buffer{}, &bytes.Buffer{}, time.Now)
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			for _, f := range c.Flags {
				for _, n := range f.Names() {
					if hasFlag(app.Flags, "--"+n) {
						t.Errorf("%s%s defines --%s, a global flag: it can no longer be given after %q", path, c.Name, n, c.Name)
					}
				}
			}
			walk(path+c.Name+" ", c.Subcommands)
		}
	}
	walk("", app.Commands)
}
