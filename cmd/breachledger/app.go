package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/stores"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// run is the whole program: parse args, run the command, print any error,
// return the exit code. Nothing below it writes to os.Stdout or exits.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, now func() time.Time) int {
	ctx, o := withOutcome(ctx)
	app := newApp(stdout, stderr, now)
	err := app.RunContext(ctx, prepareArgs(app, args))
	// "help UNKNOWN" reaches here without an error (suggest.go).
	err = unknownTopic(app, err)
	err = settle(ctx, o, err, stderr) // what a signal did to it (signals.go)
	if err != nil {
		report(stderr, err)
	}
	return exitCode(err)
}

// env is what every command needs from the app: the clock and the outputs.
type env struct {
	now            func() time.Time
	stdout, stderr io.Writer
}

func newApp(stdout, stderr io.Writer, now func() time.Time) *cli.App {
	e := &env{now: now, stdout: stdout, stderr: stderr}
	app := &cli.App{
		Name:    "breachledger",
		Usage:   "a tamper-evident ledger of security incidents and personal-data breaches",
		Version: version,
		Description: `Every detection, assessment, classification, approval and notification is an
immutable event. Responders append one fact per command; readers replay the
events into the incident's state, its timeline and its notification deadlines,
as of any business time (--as-of) and as known at any moment (--known-at).

Exit codes: 0 ok; 1 internal or I/O error; 2 usage error; 3 not found;
4 refused by a rule (nothing was appended); 5 conflict persisted after
retries; 6 integrity failure; 7 a deadline is overdue or due within the
asked window (deadlines); 130/143 interrupted by SIGINT/SIGTERM before it
finished (nothing was appended; an append already begun is finished).`,
		Writer:         stdout,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {},
		// The hidden --generate-bash-completion the scripts of "completion"
		// end a request with (completion.go).
		EnableBashCompletion:  true,
		CommandNotFound:       notFound, // suggest.go
		CustomAppHelpTemplate: appHelpTemplate,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "ledger", Value: stores.DefaultLocation, EnvVars: []string{"BREACHLEDGER_LEDGER"}, Usage: "the ledger: a SQLite file `PATH`, or an EventStoreDB location esdb://HOST:2113?... (see README)"},
			&cli.StringFlag{Name: "actor", EnvVars: []string{"BREACHLEDGER_ACTOR"}, Usage: "whose identity to record as: writers sign with that person's registered SSH key, found in the key directory ($XDG_CONFIG_HOME/breachledger/signers/NAME), ssh-agent or ~/.ssh (default: the OS user)"},
			&cli.StringFlag{Name: "calendar", Hidden: true}, // removed: refused naming "calendar set" (calendar.go)
		},
		Before:   removedCalendarFlag, // calendar.go
		Commands: []*cli.Command{},
	}
	app.Commands = append(app.Commands, ledgerCommands(e)...)
	app.Commands = append(app.Commands, incidentCommands(e)...)
	app.Commands = append(app.Commands, e.shredCommand()) // shred.go: forget sealed personal fields
	app.Commands = append(app.Commands, readerCommands(e)...)
	app.Commands = append(app.Commands, e.migrateCommand())      // migrate.go: copy a ledger between stores
	app.Commands = append(app.Commands, integrityCommands(e)...) // keys.go: keys, signers, checkpoints, verify, prove, export
	app.Flags = append(app.Flags, integrityFlags...)
	app.Commands = append(app.Commands, e.witnessCommand()) // witnesscfg.go: the witnesses checkpoints go to
	app.Commands = append(app.Commands, regulatoryCommands(e)...)
	app.Commands = append(app.Commands, e.calendarCommand())     // calendar.go: the user calendar on the record
	app.Commands = append(app.Commands, reportingCommands(e)...) // report.go: reports, register, replay, tokens, serve
	app.Commands = append(app.Commands, e.completionCommand())   // completion.go: the shell completion scripts
	app.Commands = append(app.Commands, versionCommand(e))       // version.go: the version and the build
	app.OnUsageError = func(c *cli.Context, err error, _ bool) error {
		return usageProblem(err, c.App.Name, c.App.Flags, nil)
	}
	for _, c := range app.Commands {
		setUsageErrors(app, c, app.Name)
		e.setCompletion(c) // completion.go
	}
	categorize(app.Commands)
	describeValues(app.Commands)
	app.Action = func(c *cli.Context) error {
		if c.NArg() > 0 {
			return unknownCommand(c, c.Args().First())
		}
		return cli.ShowAppHelp(c)
	}
	return app
}

// prepareArgs is the argv pre-pass before parsing: the global flags lifted
// in front of the command from wherever they stand (argv.go), "help CMD
// SUB" made "CMD SUB --help", and each command's flags moved in front of
// its arguments. A completion request (completion.go) is not reordered:
// its last word is the one being completed, and the completer reads the
// words as typed.
func prepareArgs(app *cli.App, args []string) []string {
	args = liftGlobalFlags(app, args)
	if n := len(args); n > 1 && args[n-1] == completionFlag {
		if app.Metadata == nil {
			app.Metadata = map[string]any{}
		}
		app.Metadata[completionWordsKey] = args[:n-1]
		return args
	}
	return reorderArgs(app, helpOfSubcommand(app, args))
}

// setUsageErrors makes every usage error of c and its subcommands a
// usageError (exit 2), an unknown flag suggesting the names it may have
// meant among c's own flags and the global ones (suggest.go).
func setUsageErrors(app *cli.App, c *cli.Command, parent string) {
	path := parent + " " + c.Name
	c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return usageProblem(err, path, c.Flags, app.Flags)
	}
	for _, sub := range c.Subcommands {
		setUsageErrors(app, sub, path)
	}
}

// usageProblem is the usage error for a parse error of the command named
// path, whose flags are own and global.
func usageProblem(err error, path string, own, global []cli.Flag) error {
	if cerr := calendarUsage(err); cerr != nil {
		return cerr // the removed --calendar (calendar.go)
	}
	if uerr := unknownFlag(err, path, append(append([]cli.Flag{}, own...), global...)); uerr != nil {
		return uerr // suggest.go
	}
	return usageError{err}
}

// categories are the groups "breachledger help" lists the commands in, in
// this order (urfave/cli sorts categories by name: the numbers keep the
// order, and the help templates cut them from what they print).
var categories = map[string]string{
	"detect": catRecord, "assess": catRecord, "stage": catRecord, "classify": catRecord, "scope": catRecord,
	"risk": catRecord, "declare": catRecord, "contain": catRecord, "evidence": catRecord, "postmortem": catRecord,
	"close": catRecord, "reopen": catRecord, "note": catRecord, "correct": catRecord, "shred": catRecord,

	"request": catNotices, "approve": catNotices, "reject": catNotices, "notify": catNotices, "ack": catNotices,
	"hold": catNotices, "release": catNotices,

	"profile": catRegulatory, "affected": catRegulatory, "determine": catRegulatory, "factors": catRegulatory,
	"pack": catRegulatory, "packs": catRegulatory, "calendar": catRegulatory,

	"show": catRead, "timeline": catRead, "list": catRead, "deadlines": catRead, "log": catRead,
	"report": catRead, "register": catRead, "roles": catRead, "settings": catRead, "serve": catRead,

	"verify": catIntegrity, "checkpoint": catIntegrity, "prove": catIntegrity, "export": catIntegrity,
	"backup": catIntegrity, "replay": catIntegrity, "signature": catIntegrity, "pin": catIntegrity,
	"witness": catIntegrity, "notary": catIntegrity, "key": catIntegrity, "keys": catIntegrity,

	"init": catAdmin, "grant": catAdmin, "revoke": catAdmin, "setting": catAdmin, "signer": catAdmin,
	"signature-policy": catAdmin, "token": catAdmin, "migrate": catAdmin, "completion": catAdmin, "version": catAdmin,
}

const (
	catRecord     = "1 record an incident"
	catNotices    = "2 approvals and notices"
	catRegulatory = "3 regulatory facts"
	catRead       = "4 read"
	catIntegrity  = "5 integrity"
	catAdmin      = "6 administer"
)

// categorize sets each command's Category from categories: in one place,
// so that the command files need not know the help's grouping. A command
// missing from the table stays without one (TestEveryCommandHasACategory).
func categorize(cmds []*cli.Command) {
	for _, c := range cmds {
		cat, ok := categories[c.Name]
		if !ok {
			continue
		}
		c.Category = cat
		if c.CustomHelpTemplate == "" {
			c.CustomHelpTemplate = commandHelpTemplate
			if len(c.Subcommands) > 0 {
				c.CustomHelpTemplate = subcommandHelpTemplate
			}
		}
	}
}

// The help templates are urfave/cli's with the ordering number cut from
// each category's name ("1 record an incident" prints as "record an
// incident"): the list of commands is urfave/cli's category list, written
// out here so that it can cut the number (text/template's slice).
var (
	appHelpTemplate = strings.Replace(cli.AppHelpTemplate, `COMMANDS:{{template "visibleCommandCategoryTemplate" .}}`,
		`COMMANDS:{{range .VisibleCategories}}{{if .Name}}

   {{slice .Name 2}}:{{range .VisibleCommands}}
     {{join .Names ", "}}{{"\t"}}{{.Usage}}{{end}}{{else}}{{range .VisibleCommands}}
   {{join .Names ", "}}{{"\t"}}{{.Usage}}{{end}}{{end}}{{end}}`, 1)
	commandHelpTemplate    = strings.Replace(cli.CommandHelpTemplate, "{{.Category}}", "{{slice .Category 2}}", 1)
	subcommandHelpTemplate = strings.Replace(cli.SubcommandHelpTemplate, "{{.Category}}", "{{slice .Category 2}}", 1)
)

// valueList is an argument or flag whose values come from a list of the
// domain's.
type valueList struct {
	name   string          // "STAGE", "--basis"
	values func() []string // the domain's list
}

// allowedValues are the enumerated arguments and flags whose values the
// command's own usage does not list: describeValues adds them to the
// Description, from the domain's lists (never a copy).
var allowedValues = map[string][]valueList{
	"stage":     {{"STAGE", func() []string { return names(domain.Stages()) }}},
	"grant":     {{"ROLE", func() []string { return names(domain.Roles()) }}},
	"revoke":    {{"ROLE", func() []string { return names(domain.Roles()) }}},
	"classify":  {{"CLASSIFICATION", func() []string { return names(domain.Classifications()) }}},
	"risk":      {{"LEVEL", func() []string { return names(domain.RiskLevels()) }}},
	"declare":   {{"--basis", func() []string { return names(domain.DeclarationBases()) }}},
	"request":   {{"KIND", func() []string { return names(domain.RequestKinds()) }}},
	"determine": {{"KIND", func() []string { return names(domain.DeterminationKinds()) }}},
	"hold":      {{"KIND", func() []string { return names(domain.HoldKinds()) }}},
	"pack":      {{"VERSION", domain.PackVersions}},
	"packs":     {{"VERSION", domain.PackVersions}},
	"detect":    {{"--pack", domain.PackVersions}},
	"setting": {{"KEY", func() []string {
		var keys []string
		for _, k := range domain.SettingKeys() {
			keys = append(keys, k.Key)
		}
		return keys
	}}},
	"deadlines": {
		{"--regime", domain.Regimes},
		{"--pack, --compare-pack", domain.PackVersions},
	},
}

// describeValues marks each command of allowedValues for the help
// printer (describingHelpPrinter), which adds to its Description the
// values its arguments and flags take, when its help is shown; and points
// stage's usage to the moves listed there instead of the README. Listing
// the values builds the shipped rule packs (several times, about 0.4 ms),
// work no command but help needs at start-up.
func describeValues(cmds []*cli.Command) {
	for _, c := range cmds {
		if _, ok := allowedValues[c.Name]; !ok {
			continue
		}
		if c.CustomHelpTemplate == "" {
			c.CustomHelpTemplate = commandHelpTemplate
		}
		c.CustomHelpTemplate += valuesMarker
		if c.Name == "stage" {
			c.Usage = strings.Replace(c.Usage, `(allowed moves: README, "Stages")`, "(allowed moves: below)", 1)
		}
	}
}

// valuesMarker ends the help template of the commands describeValues
// marks: a template comment, so it prints nothing.
const valuesMarker = "{{/* allowed values */}}"

func init() { cli.HelpPrinter = describingHelpPrinter(cli.HelpPrinter) }

// describingHelpPrinter wraps urfave/cli's help printer: a command whose
// template carries valuesMarker is printed with valuesDescription as its
// Description (on a copy: the command is left as it was).
func describingHelpPrinter(next func(w io.Writer, templ string, data any)) func(w io.Writer, templ string, data any) {
	return func(w io.Writer, templ string, data any) {
		if c, ok := data.(*cli.Command); ok && strings.Contains(templ, valuesMarker) {
			described := *c
			described.Description = valuesDescription(c)
			data = &described
		}
		next(w, templ, data)
	}
}

// valuesDescription is c's Description followed by the values its
// arguments and flags take (allowedValues, from the domain's lists);
// stage's also the moves between stages (domain.StageMoves).
func valuesDescription(c *cli.Command) string {
	var b strings.Builder
	b.WriteString("Allowed values:")
	for _, v := range allowedValues[c.Name] {
		fmt.Fprintf(&b, "\n  %s: %s", v.name, strings.Join(v.values(), ", "))
	}
	if c.Name == "stage" {
		b.WriteString("\n\nAllowed moves (an incident in Close and Post-mortem moves only by \"reopen\"):")
		for _, m := range domain.StageMoves() {
			fmt.Fprintf(&b, "\n  %s -> %s", m.From, m.To)
			if m.OnlyIfDismissed {
				fmt.Fprintf(&b, " (only when classified %s or %s)", domain.ClassFalsePositive, domain.ClassOutOfScope)
			}
		}
	}
	d := c.Description
	if d != "" {
		d = strings.TrimRight(d, "\n") + "\n\n"
	}
	return d + b.String()
}

// names converts a domain list of words to strings.
func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// actor returns whose identity the command acts as: --actor,
// $BREACHLEDGER_ACTOR, or the OS user. A writer then signs with that
// person's registered key (identity.go): the name alone proves nothing.
func actor(c *cli.Context) (string, error) {
	if a := strings.TrimSpace(c.String("actor")); a != "" {
		return a, checkActor(a) // actor_check.go
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, nil
	}
	if u := os.Getenv("USER"); u != "" {
		return u, nil
	}
	return "", usagef("no actor: give --actor NAME or set BREACHLEDGER_ACTOR")
}

// reorderArgs moves a command's flags in front of its positional arguments,
// so "breachledger show ID --json" means what it says. (urfave/cli v2 stops
// parsing flags at the first positional argument and would silently take
// "--json" as a second argument.) Unknown flags stay among the flags, so the
// parser still reports them.
func reorderArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "--" {
		out = append(out, args[i])
		if takesValue(app.Flags, args[i]) && i+1 < len(args) {
			out = append(out, args[i+1])
			i++
		}
		i++
	}
	if i >= len(args) {
		return out
	}
	cmd := findCommand(app.Commands, args[i])
	if cmd == nil {
		return append(out, args[i:]...)
	}
	out = append(out, args[i])
	return append(out, reorderCommandArgs(cmd, args[i+1:])...)
}

func reorderCommandArgs(cmd *cli.Command, args []string) []string {
	if len(cmd.Subcommands) > 0 && len(args) > 0 {
		if sub := findCommand(cmd.Subcommands, args[0]); sub != nil {
			return append([]string{args[0]}, reorderCommandArgs(sub, args[1:])...)
		}
	}
	var flags, positional []string
	for j := 0; j < len(args); j++ {
		a := args[j]
		if a == "--" {
			positional = append(positional, args[j+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			if takesValue(cmd.Flags, a) && j+1 < len(args) {
				flags = append(flags, args[j+1])
				j++
			}
			continue
		}
		positional = append(positional, a)
	}
	out := flags
	for _, p := range positional {
		if strings.HasPrefix(p, "-") {
			out = append(out, "--")
			break
		}
	}
	return append(out, positional...)
}

// helpOfSubcommand rewrites "help CMD SUB..." as "CMD SUB... --help", so
// "breachledger help key public" shows the help of "key public" (urfave/cli's
// help command looks one level down only, and would show "key"'s), and
// "help key nope" as "key nope", refused with suggestions. Global flags
// before "help" stay where they are.
func helpOfSubcommand(app *cli.App, args []string) []string {
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "--" {
		if takesValue(app.Flags, args[i]) {
			i++
		}
		i++
	}
	if i+2 >= len(args) || args[i] != "help" {
		return args
	}
	cmd := findCommand(app.Commands, args[i+1])
	if cmd == nil || len(cmd.Subcommands) == 0 {
		return args
	}
	out := append(append([]string{}, args[:i]...), args[i+1:]...)
	if findCommand(cmd.Subcommands, args[i+2]) == nil {
		return out // "key nope": an unknown command, with suggestions (suggest.go)
	}
	return append(out, "--help")
}

// takesValue reports whether arg names a flag of flags that takes a value
// in the next argument (a non-boolean flag written without "=").
func takesValue(flags []cli.Flag, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	if strings.Contains(name, "=") {
		return false
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				_, isBool := f.(*cli.BoolFlag)
				return !isBool
			}
		}
	}
	return false
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// withStore opens the ledger named by --ledger for writing, runs fn, and
// closes it. Readers use withReadStore.
func withStore(c *cli.Context, create bool, fn func(st eventstore.Store) error) error {
	return withOpened(c, func(loc string) (eventstore.Store, error) { return openWriter(c, loc, create) }, fn) // kept.go: drops old views from the file
}

// withReadStore opens the ledger named by --ledger for reading only, runs
// fn, and closes it: the ledger file and everything beside it are left as
// they were, and a read-only directory will do (stores.Options.ReadOnly).
// live is for serve, which must see appends made while it runs.
func withReadStore(c *cli.Context, live bool, fn func(st eventstore.Store) error) error {
	return withOpened(c, func(loc string) (eventstore.Store, error) {
		return openStore(c, loc, stores.Options{ReadOnly: true, Live: live}) // kept.go
	}, fn)
}

// withAuditStore is withReadStore for verify, the auditor's full read: it
// keeps no EventStoreDB rank file, reading the ledger's ranks from the
// server (it reads every event anyway), so an audit rests on nothing kept
// on this machine.
func withAuditStore(c *cli.Context, fn func(st eventstore.Store) error) error {
	return withOpened(c, func(loc string) (eventstore.Store, error) {
		return stores.Open(c.Context, loc, stores.Options{ReadOnly: true})
	}, fn)
}

func withOpened(c *cli.Context, open func(location string) (eventstore.Store, error), fn func(st eventstore.Store) error) error {
	if strings.TrimSpace(c.String("ledger")) == "" {
		return usagef("--ledger is empty: give the ledger's file PATH or its esdb:// location, or leave --ledger out (and BREACHLEDGER_LEDGER unset) for the default %s", stores.DefaultLocation)
	}
	st, err := open(c.String("ledger"))
	if err != nil {
		return err
	}
	ctx, closeKeys := withSealing(c, st) // sealing.go: readers open sealed fields
	c.Context = ctx
	err = fn(st)
	if cerr := closeKeys(); cerr != nil && err == nil {
		err = fmt.Errorf("close key store: %w", cerr)
	}
	if cerr := st.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close ledger: %w", cerr)
	}
	return err
}
