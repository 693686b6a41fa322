package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/transparency-dev/formats/note"
	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/safetext"
)

// The ledger's witnesses (issue 16): which independent C2SP tlog-witnesses
// the ledger's checkpoints are submitted to, recorded by an admin on the
// ledger stream (domain/witnesses.go). This file is the configuration:
// add, remove, list. Talking to a witness is elsewhere.

// witnessCommand is "breachledger witness" and its subcommands.
func (e *env) witnessCommand() *cli.Command {
	return &cli.Command{
		Name:  "witness",
		Usage: "the independent witnesses that cosign the ledger's checkpoints: add, remove, list (admin), submit; keygen, serve, log (running a witness)",
		Description: `A witness (C2SP tlog-witness, e.g. litewitness) cosigns a checkpoint only as a
consistent extension of the last one it saw, so a history rewritten and
re-signed with the ledger key gets no cosignature. The ledger records which
witnesses its checkpoints are submitted to, by each one's cosignature/v1
verifier key (NAME+HASH+BASE64: litewitness prints it as "verifier key" at
start-up) and its submission URL; the ledger key's holder (the notary)
submits to them, and resubmits the newest checkpoint every witness-refresh
("breachledger setting witness-refresh 30m"; default 1h); "witness submit"
sends the newest checkpoint now. "witness keygen", "witness serve" and
"witness log" run a witness of your own, for an auditor who wants one
binary.`,
		Subcommands: e.witnessSubcommands(),
	}
}

// witnessSubcommands returns the subcommands of "witness": add, remove and
// list (here), submit (witnesssubmit.go), and keygen, serve and log, to
// run a witness (witnessserve.go).
func (e *env) witnessSubcommands() []*cli.Command {
	return append([]*cli.Command{e.witnessAddCommand(), e.witnessRemoveCommand(), e.witnessListCommand(), e.witnessSubmitCommand()}, e.witnessServeSubcommands()...)
}

func (e *env) witnessAddCommand() *cli.Command {
	return &cli.Command{
		Name: "add", Usage: "submit the ledger's checkpoints to a witness from now on (admin)", ArgsUsage: "VKEY URL",
		Description: `VKEY is the witness's cosignature/v1 verifier key, or a file holding it; URL
its submission prefix (add-checkpoint is URL/add-checkpoint).
Example:
  breachledger --actor alice witness add witness.example/w1+3a9c1f02+BKx... http://127.0.0.1:7380 --reason "the audit firm's witness"`,
		Flags: []cli.Flag{
			str("reason", "why this witness"),
			&cli.StringFlag{Name: "at", Usage: "when (RFC 3339 or \"now\"; default now)"},
			boolean("json", "print JSON"),
		},
		Action: func(c *cli.Context) error {
			now := e.now().UTC()
			in := newInputs(c, now)
			vkey := witnessKeyArg(in, in.arg("VKEY"))
			url := in.arg("URL")
			if vkey != "" {
				if _, err := note.NewVerifierForCosignatureV1(vkey); err != nil {
					in.failf("VKEY %s is not a witness's verifier key (NAME+HASH+BASE64, a cosignature/v1 key: litewitness prints it as \"verifier key\" at start-up): %v",
						safetext.Quote(abridgeArg(vkey)), err)
				}
			}
			who, err := actor(c)
			if err != nil {
				in.fail(err)
			}
			by := domain.By{Actor: who, At: in.at()}
			if err := in.err(); err != nil {
				return err
			}
			build := func(_ eventstore.Store, signer string) (domain.Command, error) {
				by.Signer = signer
				return domain.AddWitness{By: by, Key: vkey, URL: url, Reason: c.String("reason")}, nil
			}
			return e.recordLedgerFactFrom(c, build, now, func(_ eventstore.Store, res ledger.Result) error {
				added := res.Events[0].(domain.WitnessAdded)
				w := domain.WitnessState{Name: domain.WitnessName(added.Key), Key: added.Key, URL: added.URL}
				if c.Bool("json") {
					return writeJSON(e.stdout, map[string]any{"witness": w.Name, "key": w.Key, "url": w.URL, "add_checkpoint": w.AddCheckpointURL(),
						"event_id": res.Records[0].ID.String(), "seq": res.Records[0].Sequence})
				}
				fmt.Fprintf(e.stdout, "witness %s added: checkpoints go to %s [seq %d, event %s]\n",
					safetext.Line(w.Name), safetext.Line(w.AddCheckpointURL()), res.Records[0].Sequence, res.Records[0].ID)
				return nil
			})
		},
	}
}

func (e *env) witnessRemoveCommand() *cli.Command {
	return &cli.Command{
		Name: "remove", Usage: "stop submitting the ledger's checkpoints to a witness (admin)", ArgsUsage: "VKEY",
		Description: `VKEY is the witness's verifier key, or a file holding it ("breachledger witness
list" shows them).
Example:
  breachledger --actor alice witness remove witness.example/w1+3a9c1f02+BKx... --reason "the audit contract ended"`,
		Flags: []cli.Flag{
			str("reason", "why (required)"),
			&cli.StringFlag{Name: "at", Usage: "when (RFC 3339 or \"now\"; default now)"},
			boolean("json", "print JSON"),
		},
		Action: func(c *cli.Context) error {
			now := e.now().UTC()
			in := newInputs(c, now)
			vkey := witnessKeyArg(in, in.arg("VKEY"))
			reason := in.required("reason")
			who, err := actor(c)
			if err != nil {
				in.fail(err)
			}
			by := domain.By{Actor: who, At: in.at()}
			if err := in.err(); err != nil {
				return err
			}
			build := func(_ eventstore.Store, signer string) (domain.Command, error) {
				by.Signer = signer
				return domain.RemoveWitness{By: by, Key: vkey, Reason: reason}, nil
			}
			return e.recordLedgerFactFrom(c, build, now, func(_ eventstore.Store, res ledger.Result) error {
				removed := res.Events[0].(domain.WitnessRemoved)
				w := domain.WitnessState{Name: domain.WitnessName(removed.Key), Key: removed.Key}
				for _, a := range res.Ledger.Witnesses.Active() { // as decided on: the witness was active
					if a.Key == removed.Key {
						w = a
					}
				}
				if c.Bool("json") {
					return writeJSON(e.stdout, map[string]any{"witness": w.Name, "key": w.Key, "url": w.URL,
						"event_id": res.Records[0].ID.String(), "seq": res.Records[0].Sequence})
				}
				fmt.Fprintf(e.stdout, "witness %s removed: checkpoints no longer go to %s [seq %d, event %s]\n",
					safetext.Line(w.Name), safetext.Line(w.AddCheckpointURL()), res.Records[0].Sequence, res.Records[0].ID)
				return nil
			})
		},
	}
}

func (e *env) witnessListCommand() *cli.Command {
	return &cli.Command{
		Name: "list", Usage: "list the witnesses the ledger's checkpoints are submitted to (--all: and the removed ones, when and why)",
		Description: "Example:\n  breachledger witness list --all",
		Flags:       []cli.Flag{boolean("json", "print JSON"), boolean("all", "include removed witnesses")},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return e.withReader(c, func(st eventstore.Store) error {
				l, err := readLedger(c, st)
				if err != nil {
					return err
				}
				ws := l.Witnesses.Active()
				if c.Bool("all") {
					ws = l.Witnesses.All()
				}
				if ws == nil {
					ws = []domain.WitnessState{}
				}
				if c.Bool("json") {
					return writeJSON(e.stdout, ws)
				}
				if len(l.Witnesses.Active()) == 0 {
					fmt.Fprintln(e.stderr, `no active witness: nothing cosigns the ledger's checkpoints (an admin adds one with "breachledger witness add VKEY URL")`)
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
				header := "NAME\tADD-CHECKPOINT\tADDED\tBY\tREASON"
				if c.Bool("all") {
					header += "\tSTATE"
				}
				fmt.Fprintln(tw, header+"\tKEY")
				for _, w := range ws {
					row := []string{w.Name, w.AddCheckpointURL(), w.Added.At.UTC().Format(time.RFC3339), w.Added.Actor, w.Reason}
					if c.Bool("all") {
						state := "active"
						if w.Removed != nil {
							state = fmt.Sprintf("removed %s by %s: %s", w.Removed.At.UTC().Format(time.RFC3339), w.Removed.Actor, w.RemoveReason)
						}
						row = append(row, state)
					}
					row = append(row, w.Key)
					for i := range row {
						row[i] = safetext.Line(row[i])
					}
					fmt.Fprintln(tw, strings.Join(row, "\t"))
				}
				return tw.Flush()
			})
		},
	}
}

// witnessKeyArg returns the witness key arg gives: the key itself
// (NAME+HASH+BASE64), or the contents of a file holding it (as --key takes
// a ledger's public key), trimmed. A problem is recorded in in.
func witnessKeyArg(in *inputs, arg string) string {
	if arg == "" {
		return ""
	}
	b, err := os.ReadFile(arg)
	switch {
	case err == nil:
		k := strings.TrimSpace(string(b))
		if k == "" {
			in.failf("VKEY file %s is empty: want a witness's verifier key NAME+HASH+BASE64", safetext.Quote(arg))
		}
		return k
	case strings.Count(arg, "+") >= 2:
		if _, serr := os.Stat(arg); serr != nil { // not a file: the key itself
			return strings.TrimSpace(arg)
		}
	}
	in.failf("VKEY %s: neither a witness's verifier key (NAME+HASH+BASE64) nor a file holding one: %v", safetext.Quote(abridgeArg(arg)), err)
	return ""
}

// abridgeArg shortens a long argument for a message (an ML-DSA-44 key is 1.7 KB).
func abridgeArg(s string) string {
	if len(s) > 80 {
		return s[:60] + "…"
	}
	return s
}
