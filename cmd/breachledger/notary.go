package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/notary"
	"github.com/breachledger/breachledger/safetext"
)

// notaryCommand: a team ledger's notary (package notary): appointed once
// by an admin who holds the ledger key until then, then run where the
// notary's key is.
func (e *env) notaryCommand() *cli.Command {
	return &cli.Command{
		Name:  "notary",
		Usage: "a team ledger's notary: the one process that holds the ledger key, re-decides every append and checkpoints what the rules accept",
		Description: `A personal ledger checkpoints inline: every append is signed by the ledger key
its one writer holds. A team ledger has a notary instead: writers append
events signed with their own SSH keys and hold no ledger key; the notary
re-decides each append on the state before it and checkpoints what the
rules accept, and rejects the rest with a signed event naming the rule.

Switching to a notary hands the ledger over to a new key (the notary's):
the key until then signs the hand-over, which the appointment records, and
every checkpoint after it must be the notary's. Auditors' pins follow it.

On a ledger that seals personal data (setting seal-personal-data on) the
notary judges each append on its plaintext, as its writer decided it, with
the keys any run of its user has: the ledger's key store in its user's
configuration, or the team's key server (BREACHLEDGER_KEY_SERVER). An
append it cannot read is neither accepted nor rejected: the notary
checkpoints up to it, says so and exits 1, until it runs with the keys.

Example:
  breachledger --actor alice notary appoint --generate /etc/breachledger/notary.key --reason "team ledger"
  breachledger --ledger-key /etc/breachledger/notary.key notary run`,
		Subcommands: []*cli.Command{e.notaryAppointCommand(), e.notaryRunCommand()},
	}
}

func (e *env) notaryAppointCommand() *cli.Command {
	return &cli.Command{
		Name: "appoint", Usage: "switch the ledger to a notary holding a new ledger key (an admin holding the ledger key until now, in signed mode)",
		Flags: []cli.Flag{
			str("to", "the notary's ledger public key: a file, or the key itself (made for this ledger's origin); or agent:SHA256:FINGERPRINT"),
			str("generate", "make the notary's key: its private key to this `FILE` (mode 0600; move it to the notary's host), its public key to FILE.pub"),
			str("name", "the notary's actor name, which signs its rejections (default \"notary\")"),
			str("reason", "why the ledger gets a notary"),
			str("output", "also write the hand-over statement to this file, for auditors (\"breachledger pin accept-handover FILE\")", "o"),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			if (c.String("to") == "") == (c.String("generate") == "") || c.String("reason") == "" {
				return usagef("give the notary's public key with --to PUB (or make one with --generate FILE), and say why with --reason")
			}
			name := c.String("name")
			if name == "" {
				name = "notary"
			}
			who, err := actor(c)
			if err != nil {
				return err
			}
			sg, err := signerFrom(c)
			if err != nil {
				return usageError{err}
			}
			now := e.now().UTC()
			return withStore(c, false, func(st eventstore.Store) error {
				if sg == nil {
					if sg, err = findSigner(c, st, who); err != nil {
						return err
					}
				}
				signer := "" // the rules refuse an unsigned appointment (signed mode)
				if sg != nil {
					defer sg.close()
					signer = sg.fp
				}
				old, err := loadLedgerKey(c, st)
				if err != nil {
					return fmt.Errorf("the hand-over to the notary is signed with the ledger key until now: %w", err)
				}
				to, err := e.newLedgerKey(c, st, old.Origin(), "notary key", "move it to the notary's host")
				if err != nil {
					return err
				}
				cp, err := ledger.StoredCheckpoint(c.Context, st, old.Public(), 0)
				if err != nil {
					return fmt.Errorf("the newest checkpoint, which the hand-over names: %w", err)
				}
				stmt, err := old.SignHandover(to, cp)
				if err != nil {
					return usageError{err}
				}
				sshKey, err := to.SSHKey()
				if err != nil {
					return err
				}
				cmd := domain.AppointNotary{By: domain.By{Actor: who, At: now, Signer: signer}, Actor: name,
					Key: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshKey))), Fingerprint: integrity.Fingerprint(sshKey),
					LedgerKey: to.String(), Handover: string(stmt), Reason: c.String("reason")}
				// No checkpoint: the key until now never covers the
				// appointment; the notary's first checkpoint does.
				res, err := e.execute(c, st, nil, sg, "", cmd, now)
				if err != nil {
					if p := c.String("generate"); p != "" && (errors.Is(err, domain.ErrRefused) || errors.Is(err, domain.ErrInvalid)) {
						// Refused before the append: the key made for it
						// names nothing either (a refusal changes nothing).
						// Kept after any other failure: the append may have
						// landed, naming it.
						os.Remove(p)
						os.Remove(p + ".pub")
					}
					return err
				}
				if p := c.String("output"); p != "" {
					if err := os.WriteFile(p, stmt, 0o644); err != nil {
						return fmt.Errorf("the notary was appointed, but the hand-over was not written: %w", err)
					}
				}
				if err := e.printWrite(c, res, now); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "the notary %s holds the ledger key from now on (%s); run it where that key is: breachledger --ledger-key KEY notary run\n", name, to.Fingerprint())
				fmt.Fprintf(e.stderr, "the key until now (%s) signs no more checkpoints: remove it from every writer's machine\n", old.Public().Fingerprint())
				return nil
			})
		},
	}
}

func (e *env) notaryRunCommand() *cli.Command {
	return &cli.Command{
		Name: "run", Usage: "follow the log, judge every append and checkpoint what the rules accept (with --ledger-key: the notary's key)",
		Flags: []cli.Flag{
			boolean("once", "judge and checkpoint what the log holds now, then exit"),
			&cli.DurationFlag{Name: "interval", Value: 200 * time.Millisecond, Usage: "how long to wait for new events when the log is caught up"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			return withStore(c, false, func(st eventstore.Store) error {
				key, err := loadLedgerKey(c, st)
				if err != nil {
					return err
				}
				log := slog.New(slog.NewTextHandler(e.stderr, nil))
				// Sealed personal fields are judged on their plaintext,
				// opened with this run's keys (sealing.go).
				n, err := notary.New(c.Context, st, key, notary.Options{Now: e.now, Log: log, Opener: ledger.OpenerOf(c.Context)})
				if err != nil {
					return err
				}
				if !c.Bool("once") {
					log.Info("notary running", "key", key.Public().Fingerprint())
					return n.Run(c.Context, c.Duration("interval"))
				}
				var judged, rejected int
				var size uint64
				var stalled error // an append it cannot judge without keys (notary.ErrCannotOpen)
				for {
					res, err := n.Step(c.Context)
					if err != nil && !errors.Is(err, notary.ErrCannotOpen) {
						return err
					}
					judged += int(res.Judged)
					rejected += len(res.Rejected)
					if res.Checkpoint != nil {
						size = res.Checkpoint.Size
					}
					if stalled = err; stalled != nil || res.Judged == 0 && len(res.Rejected) == 0 {
						break
					}
				}
				fmt.Fprintf(e.stdout, "judged %d event(s), rejected %d append(s)", judged, rejected)
				if size > 0 {
					fmt.Fprintf(e.stdout, ", checkpoint of %d events", size)
				}
				fmt.Fprintln(e.stdout)
				if err := e.notaryWitness(c, n); err != nil {
					return err
				}
				return stalled
			})
		},
	}
}

// judge checkpoints a ledger on a store that checkpoints after the append
// (EventStoreDB) and has no notary: the holder of its ledger key judges
// the appends no checkpoint covers as the notary would (package notary),
// rejecting what the rules refuse as themself (an admin, signing the
// rejections with their own key), then covers the rest. A rejection is
// named and exits 6 once everything is recorded and checkpointed.
func (e *env) judge(c *cli.Context, st eventstore.Store, key *integrity.LedgerKey) (eventstore.Checkpoint, error) {
	who, err := actor(c)
	if err != nil {
		return eventstore.Checkpoint{}, err
	}
	sg, err := signerFrom(c)
	if err != nil {
		return eventstore.Checkpoint{}, usageError{err}
	}
	if sg == nil {
		if sg, err = findSigner(c, st, who); err != nil {
			return eventstore.Checkpoint{}, err
		}
	}
	var acting *notary.Acting
	if sg != nil {
		defer sg.close()
		acting = &notary.Acting{Actor: who, Signer: sg.s}
	}
	if acting == nil {
		return eventstore.Checkpoint{}, usagef("on this store a checkpoint of others' appends is signed only after judging them, and a rejection is signed by an admin: give your signing key (--sign-key KEY, or register one)")
	}
	n, err := notary.New(c.Context, st, key, notary.Options{Now: e.now, Acting: acting, Opener: ledger.OpenerOf(c.Context)})
	if err != nil {
		return eventstore.Checkpoint{}, err
	}
	var rejected []notary.Rejection
	for {
		res, err := n.Step(c.Context)
		if err != nil {
			return eventstore.Checkpoint{}, err
		}
		rejected = append(rejected, res.Rejected...)
		if res.Judged == 0 && len(res.Rejected) == 0 {
			break
		}
	}
	cp, err := st.(eventstore.CheckpointStore).LatestCheckpoint(c.Context)
	if err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	if len(rejected) > 0 {
		var b strings.Builder
		for _, r := range rejected {
			fmt.Fprintf(&b, "\n  - sequence %d: rule %s: %s", r.Seqs[0], r.Rule, safetext.Line(r.Err.Error()))
		}
		return eventstore.Checkpoint{}, fmt.Errorf("%d append(s) the rules refuse were rejected (each by a signed rejection, which the checkpoint of %d events covers with them); they never count:%s: %w",
			len(rejected), cp.Size, b.String(), integrity.ErrIntegrity)
	}
	return cp, nil
}

// notaryCheckpoint is "checkpoint" on a notary's ledger, whose checkpoints
// the notary alone signs: it prints (or writes, -o) the notary's newest
// checkpoint, opened with the key the reader trusts (--key, the pin, or
// the ledger key kept here) through the hand-over the ledger records, for
// an auditor to keep ("verify --against").
func (e *env) notaryCheckpoint(c *cli.Context, st eventstore.Store) error {
	key, _, err := e.ledgerTrust(c, st)
	if err != nil {
		return fmt.Errorf("this ledger's checkpoints come from its notary alone; to keep its newest, it is checked with the ledger's key: %w", err)
	}
	cp, err := ledger.StoredCheckpoint(c.Context, st, key, 0)
	if err != nil {
		return fmt.Errorf("the notary's newest checkpoint: %w", err)
	}
	if err := e.output(c, cosignedNote(c, st, cp.Size, cp.Note)); err != nil {
		return err
	}
	if p := c.String("output"); p != "" && p != "-" {
		fmt.Fprintf(e.stdout, "the notary's checkpoint of %d events written to %s (this ledger's checkpoints come from its notary alone: nothing was signed here)\n", cp.Size, p)
	}
	return nil
}

// notaryWitness is "notary run --once" submitting the newest checkpoint to
// the ledger's witnesses, as the running notary does after every
// checkpoint, saying on stderr what each made of it (submitToWitnesses).
func (e *env) notaryWitness(c *cli.Context, n *notary.Notary) error {
	if len(n.Witnesses()) == 0 {
		return nil
	}
	_, outs, err := n.SubmitToWitnesses(c.Context)
	if err != nil {
		return err
	}
	return e.sayOutcomes(outs)
}
