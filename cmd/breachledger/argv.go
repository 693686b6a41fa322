package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// Global flags go anywhere on the line, as kubectl's and gh's do:
// "breachledger list --ledger x.db" is "breachledger --ledger x.db list".
// urfave/cli v2 parses the app's flags only before the command name, and
// would refuse the first form ("flag provided but not defined"); so before
// parsing, liftGlobalFlags moves every global flag it finds after the
// command in front of it. Three things stay where they are:
//   - everything after "--" (a note's text "--ledger" is text);
//   - a flag the command itself defines under the same name: the
//     command's own flag wins over the global one;
//   - the value of a flag that takes one ("--reason --ledger" gives the
//     reason "--ledger", as the parser would read it).

// completionFlag is the hidden flag the shell completion scripts end a
// request with (cli.BashCompletionFlag, EnableBashCompletion).
const completionFlag = "--generate-bash-completion"

// liftGlobalFlags returns args with the app's global flags that follow the
// command moved in front of it, in their order; args itself is left as it
// was. A line whose command is unknown is returned as it is, for the
// parser to refuse with suggestions (suggest.go).
func liftGlobalFlags(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	i := 1
	for i < len(args) && isFlag(args[i]) {
		if args[i] == "--" {
			return args
		}
		if takesValue(app.Flags, args[i]) {
			i++
		}
		i++
	}
	if i >= len(args) {
		return args
	}
	cmd := findCommand(app.Commands, args[i])
	if cmd == nil {
		return args
	}
	head := append([]string{}, args[:i]...) // the program and the flags before the command
	var lifted, rest []string
	rest = append(rest, args[i])
	positional := false // a positional argument was given: no subcommand follows
	for j := i + 1; j < len(args); j++ {
		a := args[j]
		switch {
		case a == "--":
			rest = append(rest, args[j:]...)
			j = len(args)
		case isFlag(a) && !hasFlag(cmd.Flags, a) && hasFlag(app.Flags, a):
			lifted = append(lifted, a)
			if takesValue(app.Flags, a) && j+1 < len(args) {
				lifted = append(lifted, args[j+1])
				j++
			}
		case isFlag(a):
			rest = append(rest, a)
			if takesValue(cmd.Flags, a) && j+1 < len(args) {
				rest = append(rest, args[j+1])
				j++
			}
		default:
			rest = append(rest, a)
			if sub := findCommand(cmd.Subcommands, a); sub != nil && !positional {
				cmd = sub
				continue
			}
			positional = true
		}
	}
	if len(lifted) == 0 {
		return args
	}
	return append(append(head, lifted...), rest...)
}

// isFlag reports whether arg is written as a flag: "-x", "--name",
// "--name=value" or "--" (not "-", which names standard input).
func isFlag(arg string) bool { return len(arg) > 1 && arg[0] == '-' }

// flagName returns the name arg gives a flag: "--ledger=x" is "ledger".
func flagName(arg string) string {
	name := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
	if k, _, ok := strings.Cut(name, "="); ok {
		return k
	}
	return name
}

// hasFlag reports whether arg names one of flags, by any of its names.
func hasFlag(flags []cli.Flag, arg string) bool {
	name := flagName(arg)
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}
