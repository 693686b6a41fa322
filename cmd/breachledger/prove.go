package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
)

func parseEventID(arg string) (uuid.UUID, error) {
	id, err := uuid.Parse(strings.TrimSpace(arg))
	if err != nil {
		return uuid.Nil, usagef("EVENT-ID %q is not an event ID (a UUID, as \"breachledger log\" prints it)", arg)
	}
	return id, nil
}

func (e *env) proveCommand() *cli.Command {
	keyFlag := str("key", "the ledger's public key, to check the checkpoint with (default: from the ledger's private key)")
	out := str("output", "write the proof to this file (default: stdout)", "o")
	return &cli.Command{
		Name: "prove", Usage: "write inclusion and consistency proofs an auditor verifies offline with \"breachledger verify --proof\"",
		Subcommands: []*cli.Command{
			{
				Name: "inclusion", Usage: "prove an event is in the ledger, unchanged, at its place (a C2SP tlog-proof)", ArgsUsage: "EVENT-ID",
				Description: "Example:\n  breachledger prove inclusion EVENT-ID -o event.tlog-proof\n" +
					"  breachledger verify --proof event.tlog-proof --key ledger.pub --event EVENT-ID",
				Flags: []cli.Flag{keyFlag, out, &cli.Uint64Flag{Name: "size", Usage: "against the stored checkpoint of this many events (default: the newest)"}},
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usagef("give one EVENT-ID")
					}
					arg := strings.TrimSpace(c.Args().First())
					if isEventPrefix(arg) {
						if err := checkEventPrefix("EVENT-ID", arg); err != nil {
							return err
						}
					} else if _, err := parseEventID(arg); err != nil {
						return err
					}
					return withReadStore(c, false, func(st eventstore.Store) error {
						id, err := resolveLoggedEvent(c.Context, st, arg)
						if err != nil {
							return err
						}
						key, err := publicKey(c, st)
						if err != nil {
							return err
						}
						p, err := ledger.ProveInclusion(c.Context, st, key, id, c.Uint64("size"))
						if err != nil {
							return err
						}
						return e.output(c, p.Marshal())
					})
				},
			},
			{
				Name: "consistency", Usage: "prove the ledger at NEW extends the ledger at OLD: each a checkpoint file, a stored checkpoint's size, or \"latest\"", ArgsUsage: "OLD NEW",
				Description: "Example:\n  breachledger prove consistency kept.checkpoint latest -o since-kept.proof\n" +
					"  breachledger verify --proof since-kept.proof --key ledger.pub --old kept.checkpoint",
				Flags: []cli.Flag{keyFlag, out},
				Action: func(c *cli.Context) error {
					if c.NArg() != 2 {
						return usagef("give OLD and NEW")
					}
					return withReadStore(c, false, func(st eventstore.Store) error {
						key, err := publicKey(c, st)
						if err != nil {
							return err
						}
						old, err := checkpointArg(c, st, key, c.Args().Get(0))
						if err != nil {
							return err
						}
						cur, err := checkpointArg(c, st, key, c.Args().Get(1))
						if err != nil {
							return err
						}
						p, err := ledger.ProveConsistency(c.Context, st, key, old, cur)
						if err != nil {
							return err
						}
						return e.output(c, p.Marshal())
					})
				},
			},
		},
	}
}

// checkpointArg reads OLD or NEW of "prove consistency": a file, a size, or
// "latest".
func checkpointArg(c *cli.Context, st eventstore.Store, key *integrity.PublicKey, arg string) (integrity.Checkpoint, error) {
	if arg == "latest" || arg == "head" {
		return ledger.StoredCheckpoint(c.Context, st, key, 0)
	}
	if _, err := os.Stat(arg); err == nil {
		return readCheckpointFile(arg, key)
	}
	n, err := strconv.ParseUint(arg, 10, 64)
	if err != nil || n == 0 {
		return integrity.Checkpoint{}, usagef("%q is neither a checkpoint file, a checkpoint size nor \"latest\"", arg)
	}
	return ledger.StoredCheckpoint(c.Context, st, key, n)
}

func (e *env) exportCommand() *cli.Command {
	return &cli.Command{
		Name: "export", Usage: "write an auditor bundle: a range of events, proofs, checkpoints and the signer registry in one file",
		Description: `The bundle verifies on another machine with nothing but this binary and the
ledger's public key ("breachledger verify --bundle FILE --key PUB").

A bundle holds one contiguous range of sequences, every event in it with its
inclusion proof, and the ledger stream's events before it (the roles and the
signer registry its signatures are judged with). Without --incident, --from
and --to the range is every event, so its verifier knows nothing was left
out. --incident takes the range from the incident's first event to its last
(other incidents' events in between come with it); --from and --to, from the
first event recorded at or after --from to the last recorded at or before
--to. The verifier checks that no event of the range is missing; it cannot
know of events outside it: whoever reads a range bundle of an incident
should compare its last event with what they expect.

--against KEPT adds the consistency proof from a checkpoint the auditor kept,
so that "verify --bundle --against KEPT" can check, offline, that the bundle
extends it.

Sealed personal fields stay sealed in a bundle: its reader sees "[sealed]".
--with-keys adds the data keys of its events' sealed fields from this user's
key store, so that its reader can open them; never a key a shred forgot (its
fields stay "[forgotten on DATE, basis]"). The keys are signed by nothing and
change no proof: the bundle verifies with or without them, and its verifier
checks each key against its ID. A bundle with keys holds personal data: it
is written mode 0600; give it only to whom may read that data.

Example:
  breachledger export --bundle contoso-2025-03.bundle --incident INCIDENT --against kept.checkpoint`,
		Flags: []cli.Flag{
			str("bundle", "the bundle file to write (required)"),
			str("incident", "the range from this incident's first event to its last"),
			str("from", "the range from the first event recorded at or after this time"),
			str("to", "the range up to the last event recorded at or before this time"),
			strs("against", "a checkpoint the auditor kept: include the consistency proof from it; repeatable"),
			str("key", "the ledger's public key, to check the checkpoint with (default: from the ledger's private key)"),
			boolean("with-keys", "also write the data keys of the events' sealed personal fields (not forgotten ones): the bundle then holds personal data, and is written mode 0600"),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			in := newInputs(c, e.now())
			path := in.required("bundle")
			sel := ledger.BundleSelection{Incident: in.incidentArg("--incident", c.String("incident")), From: in.time("from"), To: in.time("to")}
			if err := in.err(); err != nil {
				return err
			}
			return withReadStore(c, false, func(st eventstore.Store) error {
				key, err := publicKey(c, st)
				if err != nil {
					return err
				}
				against, err := readAgainst(c, key)
				if err != nil {
					return err
				}
				if sel.Incident, err = resolveIncident(c.Context, st, sel.Incident); err != nil {
					return err
				}
				b, err := ledger.ExportBundle(c.Context, st, key, sel, against)
				if err != nil {
					return err
				}
				keys := 0
				if c.Bool("with-keys") {
					if keys, err = addBundleKeys(c, st, b); err != nil {
						return err
					}
				}
				data, err := b.Marshal()
				if err != nil {
					return err
				}
				if err := writeBundle(path, data, c.Bool("with-keys")); err != nil {
					return err
				}
				what := "every event"
				if !b.Complete {
					what = fmt.Sprintf("a range, %s, with %d ledger-stream events before it", b.Range, len(b.Context))
				}
				fmt.Fprintf(e.stdout, "bundle of %d events (%s; %d earlier checkpoints) against the checkpoint of %d events written to %s\n",
					len(b.Events), what, len(b.Checkpoints), anchorSize(b), path)
				if c.Bool("with-keys") {
					fmt.Fprintf(e.stdout, "it carries %d personal data keys: whoever holds the bundle can read the sealed personal data they open (written mode 0600; give it only to whom may read that data)\n", keys)
				}
				return nil
			})
		},
	}
}

func anchorSize(b *integrity.Bundle) uint64 {
	lines := strings.SplitN(b.Checkpoint, "\n", 3)
	if len(lines) < 2 {
		return 0
	}
	n, _ := strconv.ParseUint(lines[1], 10, 64)
	return n
}

// addBundleKeys adds to b the live keys of its sealed fields from this
// user's key store (export --with-keys), and returns how many. A sealed
// value whose key is not here is refused: the bundle would not carry what
// was asked.
func addBundleKeys(c *cli.Context, st eventstore.Store, b *integrity.Bundle) (int, error) {
	ks, err := sealingOf(c.Context, st).get(c.Context, false) // sealing.go
	if err != nil {
		return 0, err
	}
	n, without, err := ledger.AddBundleKeys(c.Context, st, ks, b)
	if err != nil {
		return 0, err
	}
	if without > 0 {
		where := "this user's key store does not hold them"
		if ks == nil {
			where = "there is no key store for this ledger here"
		}
		return 0, usagef("--with-keys: %d sealed values of the bundle have no key (%s): export where the key store of the ledger's sealed fields is (README: Personal data that can be forgotten), or without --with-keys", without, where)
	}
	return n, nil
}

// writeBundle writes a bundle to path; one with personal data keys as a
// new file of mode 0600 (replacing one that was there, whatever its mode).
func writeBundle(path string, data []byte, private bool) error {
	if !private {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("write bundle: %w", err)
		}
		return nil
	}
	return writeFileAtomic(path, data) // pin.go: a new file of mode 0600, whatever was there
}
