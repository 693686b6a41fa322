package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/stores"
)

// Shell completion. "breachledger completion bash|zsh|fish" prints the
// script for the shell. The bash and zsh scripts are urfave/cli v2's own
// (github.com/urfave/cli/v2@v2.27.7/autocomplete/bash_autocomplete and
// zsh_autocomplete), with the program's name written in: each asks the
// binary for the words that may follow, by running the line typed so far
// with the hidden flag --generate-bash-completion at its end. The fish
// script is urfave/cli's App.ToFishCompletion (fish.go, which the build
// tag urfave_cli_no_docs keeps): commands and flags; then fishValues asks
// the binary for values the same way.
//
// The values come from completeArgs: incident IDs where a command takes
// INCIDENT, the stages, roles and other words of the domain's lists, and
// an incident's obligation IDs after "notify --for" and "hold
// --obligation". The ledger is opened read-only (stores.Options.ReadOnly:
// no file created, no write lock taken, no kept view written) and only for
// a SQLite file; any error prints nothing.

// completionWordsKey is where prepareArgs leaves the words of a completion
// request, as typed (global flags lifted), in the app's Metadata.
const completionWordsKey = "breachledger.completion-words"

const bashCompletion = `#! /bin/bash
# breachledger completion for bash: source it, or put it in
# /etc/bash_completion.d/ (from urfave/cli v2.27.7 autocomplete/bash_autocomplete)

: ${PROG:=breachledger}

# Macs have bash3 for which the bash-completion package doesn't include
# _init_completion. This is a minimal version of that function.
_cli_init_completion() {
  COMPREPLY=()
  _get_comp_words_by_ref "$@" cur prev words cword
}

_cli_bash_autocomplete() {
  if [[ "${COMP_WORDS[0]}" != "source" ]]; then
    local cur opts base words
    COMPREPLY=()
    cur="${COMP_WORDS[COMP_CWORD]}"
    if declare -F _init_completion >/dev/null 2>&1; then
      _init_completion -n "=:" || return
    else
      _cli_init_completion -n "=:" || return
    fi
    words=("${words[@]:0:$cword}")
    if [[ "$cur" == "-"* ]]; then
      requestComp="${words[*]} ${cur} --generate-bash-completion"
    else
      requestComp="${words[*]} --generate-bash-completion"
    fi
    opts=$(eval "${requestComp}" 2>/dev/null)
    COMPREPLY=($(compgen -W "${opts}" -- ${cur}))
    return 0
  fi
}

complete -o bashdefault -o default -o nospace -F _cli_bash_autocomplete $PROG
unset PROG
`

const zshCompletion = `#compdef breachledger
# breachledger completion for zsh: put it in a directory of $fpath as
# _breachledger (from urfave/cli v2.27.7 autocomplete/zsh_autocomplete)

_cli_zsh_autocomplete() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion)}")
  fi

  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}

compdef _cli_zsh_autocomplete breachledger
`

// fishValues follows urfave/cli's fish script: once a command is typed,
// fish asks the program for the values that may follow, as the bash and
// zsh scripts do (the words typed so far, the current one when it starts
// a flag, then the hidden completion flag).
const fishValues = `
# Values (incident IDs, stages, roles, obligation IDs) from breachledger
# itself, reading the ledger read-only, as the bash and zsh scripts ask.
function __fish_breachledger_values
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    if string match -q -- '-*' $cur
        $words $cur --generate-bash-completion 2>/dev/null
    else
        $words --generate-bash-completion 2>/dev/null
    end
end
complete -c breachledger -f -n 'not __fish_breachledger_no_subcommand' -a '(__fish_breachledger_values)'
`

func (e *env) completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "SHELL",
		Description: `Allowed values:
  SHELL: bash, zsh, fish

bash:  source <(breachledger completion bash)       # in ~/.bashrc
zsh:   breachledger completion zsh > "${fpath[1]}/_breachledger"
fish:  breachledger completion fish > ~/.config/fish/completions/breachledger.fish

bash, zsh and fish complete incident IDs, stages, roles and obligation IDs too,
reading the ledger (--ledger, $BREACHLEDGER_LEDGER) read-only.`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("give one SHELL: bash, zsh or fish")
			}
			switch sh := c.Args().First(); sh {
			case "bash":
				_, err := fmt.Fprint(e.stdout, bashCompletion)
				return err
			case "zsh":
				_, err := fmt.Fprint(e.stdout, zshCompletion)
				return err
			case "fish":
				s, err := c.App.ToFishCompletion()
				if err != nil {
					return fmt.Errorf("write the fish completion: %w", err)
				}
				_, err = fmt.Fprint(e.stdout, s, fishValues)
				return err
			default:
				if s := domain.Nearest(sh, []string{"bash", "zsh", "fish"}); len(s) > 0 {
					return usagef("no completion for the shell %q: did you mean %s? (bash, zsh or fish)", sh, s[0])
				}
				return usagef("no completion for the shell %q: bash, zsh or fish", sh)
			}
		},
	}
}

// setCompletion gives c and its subcommands the completer of their
// arguments' values (completeArgs).
func (e *env) setCompletion(c *cli.Command) {
	c.BashComplete = func(ctx *cli.Context) { e.completeArgs(ctx, c) }
	for _, sub := range c.Subcommands {
		e.setCompletion(sub)
	}
}

// flagValues are the flags whose values completion offers, by name.
var flagValues = map[string]string{
	"incident":   "INCIDENT",
	"for":        "OBLIGATION",
	"obligation": "OBLIGATION",
	"stage":      "STAGE",
	"status":     "STATUS",
	"pack":       "VERSION",
}

// completeArgs prints the values that may come next on a completion
// request for cmd: after a flag that takes a value, that flag's (or
// nothing); otherwise the next argument's by its name in cmd's ArgsUsage;
// a flag name being typed, or a command with subcommands and no argument
// yet, gets urfave/cli's own completion (flags, subcommands).
func (e *env) completeArgs(c *cli.Context, cmd *cli.Command) {
	words, _ := c.App.Metadata[completionWordsKey].([]string)
	args := argsAfter(c.App, cmd, words)
	last := ""
	if len(words) > 0 {
		last = words[len(words)-1]
	}
	var want string
	switch {
	case isFlag(last) && takesValue(cmd.Flags, last) && !strings.Contains(last, "="):
		want = flagValues[flagName(last)]
		if want == "" {
			return // a value only the user knows
		}
	case isFlag(last) && !hasFlag(cmd.Flags, last) && !hasFlag(c.App.Flags, last),
		hasSubcommands(cmd) && len(args) == 0:
		// A flag being typed ("--js"; a whole one, "--json", is done: the
		// request cannot tell "--json" from "--json ", and the next
		// argument is the likelier want), or a subcommand to come.
		cli.DefaultCompleteWithFlags(cmd)(c)
		return
	default:
		fields := strings.Fields(cmd.ArgsUsage)
		if len(fields) == 0 {
			return
		}
		n := min(len(args), len(fields)-1)
		if len(args) >= len(fields) && !strings.HasSuffix(fields[n], "...") {
			return
		}
		want = strings.Trim(fields[n], "[].")
	}
	for _, v := range e.valuesOf(c, cmd, want, args) {
		fmt.Fprintln(c.App.Writer, v)
	}
}

// hasSubcommands reports whether cmd has subcommands of its own (urfave/cli
// gives every command a "help" one).
func hasSubcommands(cmd *cli.Command) bool {
	return slices.ContainsFunc(cmd.Subcommands, func(s *cli.Command) bool { return s.Name != "help" })
}

// argsAfter returns the positional arguments of words (a line as typed)
// after cmd's name: every word that is neither a flag nor a flag's value.
func argsAfter(app *cli.App, cmd *cli.Command, words []string) []string {
	i := slices.Index(words, cmd.Name)
	if i < 0 {
		return nil
	}
	var args []string
	for j := i + 1; j < len(words); j++ {
		switch w := words[j]; {
		case isFlag(w):
			if takesValue(cmd.Flags, w) || takesValue(app.Flags, w) {
				j++
			}
		default:
			args = append(args, w)
		}
	}
	return args
}

// valuesOf returns the values of the argument or flag named want ("STAGE",
// "INCIDENT", ...) for cmd, args the positional arguments typed so far.
func (e *env) valuesOf(c *cli.Context, cmd *cli.Command, want string, args []string) []string {
	switch want {
	case "INCIDENT":
		return e.ledgerValues(c, func(h *history.History, _ domain.Cut) []string { return h.IncidentIDs() })
	case "OBLIGATION":
		if len(args) == 0 || !strings.HasPrefix(cmd.ArgsUsage, "INCIDENT") {
			return nil
		}
		id := args[0]
		return e.ledgerValues(c, func(h *history.History, cut domain.Cut) []string {
			facts, ok := h.Incidents[id]
			if !ok {
				return nil
			}
			inc := history.IncidentAt(id, facts, cut)
			var ids []string
			for _, o := range domain.Obligations(&inc, h.LedgerAt(cut).Settings, cut.AsOf) {
				ids = append(ids, o.ID)
			}
			return ids
		})
	case "STAGE":
		return names(domain.Stages())
	case "STATUS":
		return names(domain.Statuses())
	case "ROLE":
		return names(domain.Roles())
	case "SHELL":
		return []string{"bash", "zsh", "fish"}
	}
	for _, v := range allowedValues[cmd.Name] {
		if v.name == want {
			return v.values()
		}
	}
	if want == "VERSION" {
		return domain.PackVersions()
	}
	return nil
}

// ledgerValues opens the ledger read-only, reads its history and returns
// what values finds in it as of now; nothing, on any error, and nothing for
// an EventStoreDB ledger (a completion waits for no server).
func (e *env) ledgerValues(c *cli.Context, values func(*history.History, domain.Cut) []string) []string {
	loc := strings.TrimSpace(c.String("ledger"))
	if loc == "" || stores.IsESDB(loc) {
		return nil
	}
	st, err := stores.Open(c.Context, loc, stores.Options{ReadOnly: true})
	if err != nil {
		return nil
	}
	defer st.Close()
	h, err := ledger.ReadHistory(c.Context, st)
	if err != nil {
		return nil
	}
	now := e.now().UTC()
	return values(h, domain.Cut{AsOf: now, KnownAt: now})
}
