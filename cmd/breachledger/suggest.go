package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
)

// An unknown command, in any form ("breachledger detec", "help detec",
// "--help detec", "key nope"), is a usage error (exit 2) that suggests
// the commands it may have meant. urfave/cli's own suggestion (App.Suggest,
// cli.SuggestCommand) always names the one nearest command by Jaro-Winkler
// similarity, even for a word like nothing the CLI has, and its "help
// UNKNOWN" prints nothing and exits 0 once CommandNotFound is set; so the
// CLI finds the names itself (suggestCommands) and records the miss where
// run picks it up (unknownTopic).

// unknownTopicKey is where CommandNotFound leaves the error for run, in the
// app's Metadata: urfave/cli calls it for "help UNKNOWN" and "UNKNOWN
// --help" and then returns no error of its own.
const unknownTopicKey = "breachledger.unknown-topic"

// notFound is the app's CommandNotFound: it records the usage error.
func notFound(c *cli.Context, name string) {
	if c.App.Metadata == nil {
		c.App.Metadata = map[string]any{}
	}
	c.App.Metadata[unknownTopicKey] = unknownCommand(c, name)
}

// unknownTopic returns err, or the unknown command CommandNotFound recorded
// when the run itself returned no error.
func unknownTopic(app *cli.App, err error) error {
	if err != nil {
		return err
	}
	if u, ok := app.Metadata[unknownTopicKey].(error); ok {
		return u
	}
	return nil
}

// unknownCommand is the usage error for a command name that c does not
// have, with the commands it may have meant.
func unknownCommand(c *cli.Context, name string) error {
	cmds, parent := c.App.Commands, ""
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name && len(c.Command.Subcommands) > 0 {
		cmds, parent = c.Command.Subcommands, c.Command.Name+" "
	}
	var names []string
	for _, cmd := range cmds {
		if cmd.Hidden {
			continue
		}
		for _, n := range cmd.Names() {
			if len(n) > 1 { // not "h": a one-letter alias is no suggestion
				names = append(names, n)
			}
		}
	}
	list := fmt.Sprintf(`"breachledger %s--help" lists the commands`, parent)
	if parent == "" {
		list = `"breachledger help" lists the commands`
	}
	if s := suggestCommands(name, names); len(s) > 0 {
		return usagef("unknown command %q: did you mean %s? (%s)", parent+name, quoteOr(parent, s), list)
	}
	return usagef("unknown command %q (%s)", parent+name, list)
}

// quoteOr writes "a", "b" or "c", each name after prefix.
func quoteOr(prefix string, names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", prefix+n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// suggestCommands returns the names a mistyped name may have meant, best
// first (at most four): those within a small edit distance of it, and
// those it begins (domain.Nearest, which every "did you mean" of the CLI
// uses). A name like nothing here gets no suggestion.
func suggestCommands(name string, names []string) []string { return domain.Nearest(name, names) }

// unknownFlag is the usage error for an unknown flag, with the flags it
// may have meant among flags (hidden ones left out): "unknown flag
// --ledgr; did you mean --ledger? (flag provided but not defined: -ledgr;
// ...)". It is nil when err is not Go's
// "flag provided but not defined".
func unknownFlag(err error, path string, flags []cli.Flag) error {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return nil
	}
	name = strings.TrimPrefix(name, "-")
	var known []string
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		for _, n := range f.Names() {
			if len([]rune(n)) > 1 { // not "q": a one-letter alias is no suggestion
				known = append(known, n)
			}
		}
	}
	// The parser's own words stay, for scripts that match them.
	list := fmt.Sprintf("%s; %q lists its flags", err, path+" --help")
	if s := domain.Nearest(name, known); len(s) > 0 {
		dashed := make([]string, len(s))
		for i, n := range s {
			dashed[i] = dashes(n)
		}
		return usagef("unknown flag %s; did you mean %s? (%s)", dashes(name), orList(dashed), list)
	}
	return usagef("unknown flag %s (%s)", dashes(name), list)
}

// dashes writes a flag's name as it is typed: "-q", "--quiet".
func dashes(name string) string {
	if len([]rune(name)) == 1 {
		return "-" + name
	}
	return "--" + name
}

// orList writes "a", "a or b", "a, b or c".
func orList(xs []string) string {
	if len(xs) == 1 {
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}
