package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/safetext"
)

// ledgerCommands set the ledger up: initialise it, grant and revoke roles,
// change settings, and list roles and settings.
func ledgerCommands(e *env) []*cli.Command {
	return []*cli.Command{
		e.writer(writerSpec{
			name: "init", usage: "create a ledger in signed mode; you become its first admin, and your SSH key is registered as yours",
			example: lines(`breachledger signer keygen alice   # once: your key, in your key directory`,
				`breachledger --ledger ./ir.db --actor alice init --name "Contoso IR"`),
			create: true,
			flags: []cli.Flag{
				str("name", "the ledger's name (default: the file's name)"),
				boolean("unsigned", "make a ledger whose events need no signature (authorship unproven: only for trying breachledger out alone)"),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				name := in.c.String("name")
				if name == "" {
					base := filepath.Base(in.c.String("ledger"))
					name = strings.TrimSuffix(base, filepath.Ext(base))
				}
				if in.c.Bool("unsigned") {
					if by.Signer != "" {
						in.failf("--unsigned makes a ledger whose events need no signature: give --sign-key/--ssh-agent without --unsigned, or --unsigned without them")
					}
					return domain.InitLedger{By: by, Name: name, Unsigned: true}
				}
				// Signed mode: the key that signs init is registered as the admin's.
				return domain.InitLedger{By: by, Name: name, AdminKey: in.signerKey, AdminFingerprint: by.Signer}
			},
		}),
		e.writer(writerSpec{
			name: "grant", usage: "give an actor a role (admin): " + allowed(domain.Roles()), argsUsage: "ACTOR ROLE",
			example: `breachledger grant sam security-incident-manager --reason "on-call SIM rota 2025-Q1"`,
			flags:   []cli.Flag{str("reason", "why")},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.GrantRole{By: by, Grantee: in.arg("ACTOR"), Role: enum(in, in.arg("ROLE"), true, "ROLE", domain.ParseRole), Reason: in.c.String("reason")}
			},
		}),
		e.writer(writerSpec{
			name: "revoke", usage: "take a role from an actor (admin)", argsUsage: "ACTOR ROLE",
			example: `breachledger revoke sam security-incident-manager --reason "left the rota"`,
			flags:   []cli.Flag{str("reason", "why")},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.RevokeRole{By: by, Grantee: in.arg("ACTOR"), Role: enum(in, in.arg("ROLE"), true, "ROLE", domain.ParseRole), Reason: in.c.String("reason")}
			},
		}),
		e.writer(writerSpec{
			name: "setting", usage: "change a ledger setting (admin), in force from --at (default now) for incidents whose deadlines start after it; \"breachledger settings\" lists them", argsUsage: "KEY VALUE",
			example: lines(`breachledger setting art34-target 48h`,
				`breachledger setting customer-notice-window 48h --at 2025-03-01T00:00:00Z --reason "contract amendment effective 1 March"`,
				`breachledger setting retention-after-close 1095d   # then "breachledger shred --due" forgets closed incidents' personal data after 3 years`),
			flags: []cli.Flag{str("reason", "why it takes effect from --at: needed when --at is before now (rule setting-backdated-needs-reason); a closed incident is never judged again under it")},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.ChangeSetting{By: by, Key: in.arg("KEY"), Value: in.arg("VALUE"), Reason: in.c.String("reason")}
			},
		}),
		{
			Name: "roles", Usage: "list actors and their roles", Description: "Example:\n  breachledger roles --json",
			Flags: []cli.Flag{boolean("json", "print JSON")},
			Action: func(c *cli.Context) error {
				if err := noArgs(c); err != nil {
					return err
				}
				return e.withReader(c, func(st eventstore.Store) error {
					l, err := readLedger(c, st)
					if err != nil {
						return err
					}
					type actorRoles struct {
						Actor string        `json:"actor"`
						Roles []domain.Role `json:"roles"`
					}
					out := []actorRoles{}
					for _, a := range l.Actors() {
						out = append(out, actorRoles{Actor: a, Roles: l.RolesOf(a)})
					}
					if c.Bool("json") {
						return writeJSON(e.stdout, out)
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "ACTOR\tROLES")
					for _, ar := range out {
						fmt.Fprintf(tw, "%s\t%s\n", safetext.Line(ar.Actor), allowed(ar.Roles))
					}
					return tw.Flush()
				})
			},
		},
		{
			Name: "settings", Usage: "list the ledger's settings", Description: "Example:\n  breachledger settings",
			Flags: []cli.Flag{boolean("json", "print JSON")},
			Action: func(c *cli.Context) error {
				if err := noArgs(c); err != nil {
					return err
				}
				return e.withReader(c, func(st eventstore.Store) error {
					l, err := readLedger(c, st)
					if err != nil {
						return err
					}
					if c.Bool("json") {
						return writeJSON(e.stdout, l.Settings)
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "KEY\tVALUE\tMEANING")
					for _, k := range domain.SettingKeys() {
						v, _ := l.Settings.Text(k.Key) // a duration, on or off
						fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Key, v, k.Meaning)
					}
					return tw.Flush()
				})
			},
		},
	}
}

// readLedger returns the ledger state, or not-found if it was never initialised.
func readLedger(c *cli.Context, st eventstore.Store) (domain.Ledger, error) {
	facts, err := ledger.ReadStream(c.Context, st, domain.LedgerStream)
	if err != nil {
		return domain.Ledger{}, err
	}
	l := domain.ReplayLedger(facts, domain.Cut{})
	if !l.Initialized {
		return l, &domain.NotFoundError{What: "ledger", ID: c.String("ledger"), Hint: `initialise it with "breachledger init --name NAME"`}
	}
	return l, nil
}
