package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/notary"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/safetext"
)

func (e *env) checkpointCommand() *cli.Command {
	return &cli.Command{
		Name: "checkpoint", Usage: "sign a checkpoint of the ledger's head now, and write it for an auditor to keep",
		Description: `Every append already ends with one; this one is for keeping outside the ledger
("breachledger verify --against FILE" later checks the ledger still extends it).

Nothing is signed because of when it was recorded. A record that no
checkpoint covers on a SQLite ledger was written around breachledger (every
append there is checkpointed in its own transaction): readers and writers
stop at it (exit 6) until the holder of the ledger key decides:

  --reject SEQ --reason R   the record never counts anywhere; verify names it
                            for good (exit 6). Recorded as a signed event.
  --accept-legacy-tail --reason R
                            the uncovered records are a tail an older
                            breachledger left without its checkpoint: accept
                            them as genuine, once per ledger. Recorded as an
                            event and shown in reports.

Examples:
  breachledger checkpoint -o kept-2025-03-12.checkpoint
  breachledger checkpoint --reject 36 --reason "row inserted into the file by hand; not ours"`,
		Flags: []cli.Flag{
			str("output", "write the signed checkpoint to this file (default: stdout)", "o"),
			strs("reject", "reject the uncovered record at this sequence: it never counts (repeatable; needs --reason)"),
			boolean("accept-legacy-tail", "accept every uncovered record as a tail an older breachledger left unsigned (once per ledger; needs --reason)"),
			str("reason", "why the records are rejected or accepted"),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			if len(c.StringSlice("reject")) > 0 || c.Bool("accept-legacy-tail") {
				return e.decideCustody(c)
			}
			if c.IsSet("reason") {
				return usagef("--reason goes with --reject or --accept-legacy-tail")
			}
			return withStore(c, false, func(st eventstore.Store) error {
				if notary, err := ledger.NotaryMode(c.Context, st); err != nil {
					return err
				} else if notary {
					return e.notaryCheckpoint(c, st)
				}
				k, err := loadLedgerKey(c, st)
				if err != nil {
					return err
				}
				var cp eventstore.Checkpoint
				if ledger.Inline(st) {
					cp, err = ledger.Checkpointer{Store: st, Key: k}.Checkpoint(c.Context, nil)
				} else {
					cp, err = e.judge(c, st, k)
				}
				if err != nil {
					return err
				}
				commit(c, "after the checkpoint was signed and saved: it is printed or written as asked") // signals.go
				note, werr := e.witnessCheckpoint(c, st, cp)
				if err := e.output(c, note); err != nil {
					return err
				}
				if p := c.String("output"); p != "" && p != "-" {
					fmt.Fprintf(e.stdout, "checkpoint of %d events written to %s\n", cp.Size, p)
				}
				return werr
			})
		},
	}
}

func (e *env) verifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "check the ledger (or a bundle, or a proof) against its signed checkpoints; exit 0 intact, 6 tampered",
		Description: `With no file: recompute every leaf and the Merkle tree from the raw log,
check every stored checkpoint (signature and root) and actor signature, and
name the first event that differs and how.

  breachledger verify [--key PUB] [--against KEPT.checkpoint ...]
  breachledger verify --bundle FILE --key PUB [--against KEPT.checkpoint ...] [--replay]   (no ledger needed)
  breachledger verify --proof FILE --key PUB [--event ID] [--checkpoint CP] [--old CP]
  breachledger verify ... --witness W.vkey [--witness ...] [--quorum N] [--max-age 2h]

--against checks the ledger is a consistent extension of a checkpoint kept
earlier: it catches a rewritten or truncated history even when whoever did
it also re-signed the ledger's own checkpoints with a stolen key. With
--bundle it checks the bundle's checkpoint extends the kept one: from the
bundle's events when they start at sequence 0, else with the consistency
proof "breachledger export --against KEPT" put in the bundle.

A bundle's sealed personal values are counted: how many, how many the keys
it carries (export --with-keys) open, and how many a shred in it forgot.
The keys are signed by nothing: each must give its ID and open the values
naming it, or verify names it (exit 6). --replay shows the fields they open,
"[sealed]" for the others.

--rules checks a team ledger's notary itself: it judges every append from
the notary's appointment to the newest checkpoint again, as the notary
should have (signatures against the registry at its place, then the
rules), and reports each append the notary checkpointed that the rules
refuse, and each it rejected that they accept. The notary's key verifies
whatever it accepted; this does not trust it.

--witness VKEY (repeatable), --quorum N (default: all) and --max-age D
check, in every mode, that the checkpoint (the ledger's newest valid one,
the bundle's, the proof's) carries valid cosignatures of at least N of the
witnesses whose keys you trust, each made within D before now: a fork
signed with a stolen ledger key gets none, and a rollback to an earlier,
cosigned state has only old ones. Use a --max-age of at least twice the
ledger's witness-refresh (breachledger settings).

Each flag goes with its mode: a flag of another mode is a usage error.

On EventStoreDB it also reports events that stream reads no longer return
(a stream deleted or truncated), stream revisions gone from $all (a
scavenge), and recorded times further than --clock-tolerance (default 5m)
from the server's own time of arrival.

The leaf copies kept with each checkpoint are read only where the events
do not give the root their checkpoint signed (to name the event and what
differs); --all-leaf-copies reads every one, and also reports a copy
altered beside intact events.`,
		Flags: append([]cli.Flag{
			str("key", "the ledger's public key: a file, or the key itself (default: the key pinned for the ledger's origin; a live ledger's first verify pins the key it finds)"),
			strs("against", "a checkpoint (or proof) kept earlier that the ledger (or the bundle) must extend; repeatable"),
			str("bundle", "verify this auditor bundle instead of the ledger"),
			boolean("replay", "with --bundle: replay the incidents' state and deadlines from the bundle"),
			str("proof", "verify this inclusion or consistency proof instead of the ledger"),
			str("event", "with --proof: the event ID the inclusion proof must be for"),
			str("checkpoint", "with --proof: the checkpoint the proof must be against (the auditor's)"),
			str("old", "with a consistency --proof: the old checkpoint the auditor kept"),
			boolean("json", "print JSON"),
			boolean("rules", "a team ledger: judge every append since the notary's appointment again, and report what the notary accepted that the rules refuse (and rejected that they accept)"),
			&cli.DurationFlag{Name: "clock-tolerance", Usage: "EventStoreDB: how far a recorded time may be from the server's time of arrival (default 5m)"},
			boolean("all-leaf-copies", "read every checkpoint's leaf copies, not only where its events do not match, and report a copy altered beside intact events"),
		}, witnessFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			if c.Duration("clock-tolerance") < 0 {
				return usagef("--clock-tolerance %s: want a positive duration", c.Duration("clock-tolerance"))
			}
			mode := "ledger"
			switch {
			case c.String("bundle") != "" && c.String("proof") != "":
				return usagef("give --bundle or --proof, not both")
			case c.String("bundle") != "":
				mode = "--bundle"
			case c.String("proof") != "":
				mode = "--proof"
			}
			if err := refuseFlags(c, mode, verifyFlagModes); err != nil {
				return err
			}
			wp, err := witnessPolicy(c)
			if err != nil {
				return err
			}
			switch mode {
			case "--bundle":
				return e.verifyBundle(c, wp)
			case "--proof":
				return e.verifyProof(c, wp)
			}
			return withAuditStore(c, func(st eventstore.Store) error { // app.go
				key, pending, rep, err := e.verifyTrusted(c, st, ledger.VerifyOptions{ClockTolerance: c.Duration("clock-tolerance"), Now: e.now(), AllLeafCopies: c.Bool("all-leaf-copies")})
				if err != nil {
					return err
				}
				if wp != nil {
					if err := e.witnessLedger(c, st, rep, wp); err != nil {
						return err
					}
				}
				if c.Bool("rules") {
					found, err := notary.Audit(c.Context, st, key)
					if err != nil {
						return err
					}
					rep.Problems = append(rep.Problems, found...)
					sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Seq < rep.Problems[j].Seq })
				}
				commit(c, "after the verification had finished: its report above is whole") // signals.go
				a, err := e.sayAuthorship(c, st, nil)
				if err != nil {
					return err
				}
				if err := e.printReport(c, rep, a, "ledger", nil); err != nil {
					return err
				}
				if err := e.commitPin(c, pending); err != nil {
					return err
				}
				e.warnShreddedKeys(c, st)  // shred.go: forgotten keys that still exist
				return e.verifyKept(c, st) // the views kept for it, under their MACs
			})
		},
	}
}

// verifyFlagModes says which modes of verify each of its flags goes with
// ("ledger": no --bundle or --proof); a flag not listed goes with all.
var verifyFlagModes = map[string][]string{
	"against":         {"ledger", "--bundle"},
	"clock-tolerance": {"ledger"},
	"all-leaf-copies": {"ledger"},
	"rules":           {"ledger"},
	"bundle":          {"--bundle"},
	"replay":          {"--bundle"},
	"proof":           {"--proof"},
	"event":           {"--proof"},
	"checkpoint":      {"--proof"},
	"old":             {"--proof"},
}

// refuseFlags returns a usage error naming the first flag given on c's
// command line that does not go with mode (modes: flag → the modes it goes
// with; a flag not listed goes with every mode), and nil when there is
// none.
func refuseFlags(c *cli.Context, mode string, modes map[string][]string) error {
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		goes, listed := modes[name]
		if !listed || slices.Contains(goes, mode) || !c.IsSet(name) {
			continue
		}
		what := mode
		if mode == "ledger" {
			what = "a ledger (no --bundle or --proof)"
		}
		with := make([]string, len(goes))
		for i, m := range goes {
			with[i] = m
			if m == "ledger" {
				with[i] = "a ledger"
			}
		}
		return usagef("--%s does not go with %s: it goes with %s", name, what, strings.Join(with, " or "))
	}
	return nil
}

// readAgainst reads the checkpoints --against names, opened with key.
func readAgainst(c *cli.Context, key *integrity.PublicKey) ([]integrity.Checkpoint, error) {
	var against []integrity.Checkpoint
	for _, p := range c.StringSlice("against") {
		cp, err := readCheckpointFile(p, key)
		if err != nil {
			return nil, fmt.Errorf("--against %s: %w", p, err)
		}
		against = append(against, cp)
	}
	return against, nil
}

// readAgainstChain is readAgainst for a live ledger whose key chain is
// known: a kept checkpoint opens with the key that signs a checkpoint of
// its size (one the notary signed after a hand-over, with the notary's).
func readAgainstChain(c *cli.Context, chain ledger.KeyChain) ([]integrity.Checkpoint, error) {
	var against []integrity.Checkpoint
	for _, p := range c.StringSlice("against") {
		cp, err := readCheckpointFile(p, chain.First)
		for i := len(chain.Rotations) - 1; err != nil && i >= 0; i-- {
			var rerr error
			if cp, rerr = readCheckpointFile(p, chain.Rotations[i].Key); rerr == nil {
				if chain.KeyAt(cp.Size).String() == chain.Rotations[i].Key.String() {
					err = nil
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("--against %s: %w", p, err)
		}
		against = append(against, cp)
	}
	return against, nil
}

// readCheckpointFile reads a signed checkpoint kept in a file (or the
// checkpoint inside a tlog-proof) and opens it with key.
func readCheckpointFile(path string, key *integrity.PublicKey) (integrity.Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return integrity.Checkpoint{}, usageError{err}
	}
	if bytes.HasPrefix(b, []byte("c2sp.org/tlog-proof@")) {
		p, err := integrity.ParseInclusionProof(b)
		if err != nil {
			return integrity.Checkpoint{}, err
		}
		b = p.Checkpoint
	}
	return key.Open(b)
}

// printReport prints a verification report and returns the exit: nil when
// intact, exit 6 when not. Its JSON says, beside the report, which authors
// the ledger's signatures prove (a, the authorship object; the text form
// has sayAuthorship's line).
//
// sealed, for a bundle, counts its sealed personal values (nil for a
// ledger).
func (e *env) printReport(c *cli.Context, rep *integrity.Report, a authorship, what string, sealed *ledger.BundleSeal) error {
	if c.Bool("json") {
		if err := writeJSON(e.stdout, struct {
			OK         bool                   `json:"ok"`
			Authorship projections.Authorship `json:"authorship"`
			Sealed     *ledger.BundleSeal     `json:"sealed,omitempty"`
			*integrity.Report
		}{rep.OK(), a.json(), sealed, rep}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "%s %s: %d events, %d checkpoints checked, %d signed events\n", what, safetext.Line(rep.Origin), rep.Events, rep.Checkpoints, rep.Signed)
		switch {
		case rep.Covered > 0 && rep.Covered == rep.Events:
			fmt.Fprintf(e.stdout, "newest valid checkpoint covers %d events; root %s\n", rep.Covered, base64.StdEncoding.EncodeToString(rep.Root))
		case rep.Covered > 0:
			// The root is of every event read, not of the checkpoint's.
			fmt.Fprintf(e.stdout, "newest valid checkpoint covers %d of the %d events; root of all %d: %s\n", rep.Covered, rep.Events, rep.Events, base64.StdEncoding.EncodeToString(rep.Root))
		}
		for _, n := range rep.Against {
			fmt.Fprintf(e.stdout, "consistent with the kept checkpoint of %d events\n", n)
		}
		if rep.Witnessed != nil {
			fmt.Fprintf(e.stdout, "witnessed: %s\n", rep.Witnessed)
		}
		if rep.Pending != nil {
			fmt.Fprintf(e.stdout, "%s: waiting for the notary's checkpoint (lag, not tampering, until the oldest has waited longer than notary-lag, %s)\n", rep.Pending, rep.Pending.Limit)
		}
		if len(rep.Raced) > 0 {
			fmt.Fprintf(e.stdout, "%d event(s) lost a revocation race: decided before a revocation of their key or role, recorded after it; they never count (a race, not tampering):\n", len(rep.Raced))
			for _, p := range rep.Raced {
				fmt.Fprintf(e.stdout, "  - %s\n", p)
			}
		}
		if sealed != nil && (sealed.Sealed > 0 || sealed.Keys > 0) {
			fmt.Fprintf(e.stdout, "sealed personal values: %d; opened with the bundle's %d keys: %d; forgotten: %d\n", sealed.Sealed, sealed.Keys, sealed.Opened, sealed.Forgotten)
		}
		if rep.OK() {
			fmt.Fprintln(e.stdout, "intact")
		} else {
			fmt.Fprintf(e.stdout, "TAMPERED: %d problem(s)\nfirst bad event: %s\n", len(rep.Problems), rep.First())
			for i, p := range rep.Problems {
				if i == 0 {
					continue
				}
				if i == 50 {
					fmt.Fprintf(e.stdout, "  ... and %d more\n", len(rep.Problems)-i)
					break
				}
				fmt.Fprintf(e.stdout, "  - %s\n", p)
			}
		}
	}
	if !rep.OK() {
		fmt.Fprintf(e.stderr, "breachledger: integrity failure: %s\n", rep.First())
		return silentExit(exitIntegrity)
	}
	return nil
}

func (e *env) verifyBundle(c *cli.Context, wp *integrity.WitnessPolicy) error {
	data, err := os.ReadFile(c.String("bundle"))
	if err != nil {
		return usageError{err}
	}
	b, err := integrity.ParseBundle(data)
	if err != nil {
		return err
	}
	key, err := fileKey(c, "--bundle", b.Origin, b.PublicKey)
	if err != nil {
		return err
	}
	against, err := readAgainst(c, key)
	if err != nil {
		return err
	}
	rep, h, sealed, err := ledger.VerifyBundleSealed(c.Context, b, key, against)
	if err != nil {
		return err
	}
	if wp != nil {
		addWitnessed(rep, wp, []byte(b.Checkpoint), nil, e.now())
	}
	a, err := e.sayAuthorship(c, nil, h)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("bundle (complete: %s)", b.Range)
	if !b.Complete {
		what = fmt.Sprintf("bundle (a range: %s, with the ledger stream's %d events before it; no event in the range was left out, events outside it are not in the bundle)", b.Range, len(b.Context))
	}
	if err := e.printReport(c, rep, a, what, &sealed); err != nil {
		return err
	}
	if c.Bool("replay") && !c.Bool("json") {
		return e.replay(h)
	}
	return nil
}

// replay prints each incident of a verified bundle as of now, as "show"
// would, and the deadlines.
func (e *env) replay(h *history.History) error {
	now := e.now().UTC()
	cut := domain.Cut{AsOf: now, KnownAt: now}
	l := domain.ReplayLedger(h.Ledger, cut)
	for _, id := range h.IncidentIDs() {
		v, ok := projections.Show(l, id, h.Incidents[id], cut)
		if !ok {
			continue
		}
		fmt.Fprintln(e.stdout)
		if err := projections.WriteIncident(e.stdout, v); err != nil {
			return err
		}
	}
	fmt.Fprintln(e.stdout)
	return projections.WriteDeadlines(e.stdout, projections.Deadlines(h, cut, projections.DeadlineFilter{}))
}

func (e *env) verifyProof(c *cli.Context, wp *integrity.WitnessPolicy) error {
	data, err := os.ReadFile(c.String("proof"))
	if err != nil {
		return usageError{err}
	}
	key, err := fileKey(c, "--proof", proofOrigin(data), "")
	if err != nil {
		return err
	}
	var given, old *integrity.Checkpoint
	for _, f := range []struct {
		flag string
		dst  **integrity.Checkpoint
	}{{"checkpoint", &given}, {"old", &old}} {
		if p := c.String(f.flag); p != "" {
			cp, err := readCheckpointFile(p, key)
			if err != nil {
				return fmt.Errorf("--%s %s: %w", f.flag, p, err)
			}
			*f.dst = &cp
		}
	}
	if bytes.HasPrefix(data, []byte("c2sp.org/tlog-proof@")) {
		if old != nil {
			return usagef("--old goes with a consistency proof")
		}
		p, err := integrity.ParseInclusionProof(data)
		if err != nil {
			return err
		}
		cp, err := p.Verify(key)
		if err != nil {
			return err
		}
		wr, err := checkProofWitnessed(wp, p.Checkpoint, e.now())
		if err != nil {
			return err
		}
		if given != nil {
			if err := integrity.SameCheckpoint("the proof", cp, *given); err != nil {
				return err
			}
		}
		if want := c.String("event"); want != "" && !strings.EqualFold(want, p.Leaf.ID.String()) {
			return fmt.Errorf("the proof is for event %s (sequence %d), not %s: %w", p.Leaf.ID, p.Leaf.Sequence, want, integrity.ErrIntegrity)
		}
		if c.Bool("json") {
			return writeJSON(e.stdout, map[string]any{"ok": true, "kind": "inclusion", "checkpoint_size": cp.Size, "event_id": p.Leaf.ID, "witnessed": wr,
				"seq": p.Leaf.Sequence, "stream": p.Leaf.Stream, "revision": p.Leaf.Revision, "type": p.Leaf.Type, "actor": p.Leaf.Actor,
				"signer": p.Leaf.Signer, "at": p.Leaf.OccurredAt, "recorded_at": p.Leaf.RecordedAt, "payload_sha256": fmt.Sprintf("%x", p.Leaf.PayloadSHA256)})
		}
		l := p.Leaf
		fmt.Fprintf(e.stdout, "inclusion proof OK: event %s is sequence %d of the %d events of %s\n", l.ID, l.Sequence, cp.Size, safetext.Line(cp.Origin))
		fmt.Fprintf(e.stdout, "  %s, revision %d of %s, by %s", safetext.Line(l.Type), l.Revision, safetext.Line(l.Stream), safetext.Line(l.Actor))
		if l.Signer != "" {
			fmt.Fprintf(e.stdout, " (signed with %s)", safetext.Line(l.Signer))
		}
		fmt.Fprintf(e.stdout, "\n  at %s, recorded %s, payload SHA-256 %x\n", l.OccurredAt.Format("2006-01-02T15:04:05.999999999Z07:00"), l.RecordedAt.Format("2006-01-02T15:04:05.999999999Z07:00"), l.PayloadSHA256)
		if wr != nil {
			fmt.Fprintf(e.stdout, "witnessed: %s\n", wr)
		}
		return nil
	}
	if c.String("event") != "" {
		return usagef("--event goes with an inclusion proof")
	}
	p, err := integrity.ParseConsistencyProof(data)
	if err != nil {
		return err
	}
	o, n, err := p.Verify(key)
	if err != nil {
		return err
	}
	wr, err := checkProofWitnessed(wp, p.New, e.now())
	if err != nil {
		return err
	}
	if old != nil {
		if err := integrity.SameCheckpoint("the proof's old checkpoint", o, *old); err != nil {
			return err
		}
	}
	if given != nil {
		if err := integrity.SameCheckpoint("the proof's new checkpoint", n, *given); err != nil {
			return err
		}
	}
	if c.Bool("json") {
		return writeJSON(e.stdout, map[string]any{"ok": true, "kind": "consistency", "old_size": o.Size, "new_size": n.Size, "origin": n.Origin, "witnessed": wr})
	}
	fmt.Fprintf(e.stdout, "consistency proof OK: the %d events of the old checkpoint are the first %d of the new one's %d (%s)\n", o.Size, o.Size, n.Size, safetext.Line(n.Origin))
	if wr != nil {
		fmt.Fprintf(e.stdout, "witnessed: %s\n", wr)
	}
	return nil
}

// verifyTrusted verifies the ledger in st with the key verify trusts
// (ledgerTrust: --key, the pin, the kept key) and, with --against, against
// a kept checkpoint, which may be the notary's after a hand-over from the
// trusted key the ledger records. It returns the key, and the pin to
// record if any.
func (e *env) verifyTrusted(c *cli.Context, st eventstore.Store, opts ledger.VerifyOptions) (*integrity.PublicKey, *pendingPin, *integrity.Report, error) {
	key, pending, err := e.ledgerTrust(c, st)
	if err != nil {
		return nil, nil, nil, err
	}
	chain, err := ledger.ReadKeyChain(c.Context, st, key)
	if err != nil {
		return nil, nil, nil, err
	}
	if opts.Against, err = readAgainstChain(c, chain); err != nil {
		return nil, nil, nil, err
	}
	rep, err := ledger.VerifyWith(c.Context, st, key, opts)
	return key, pending, rep, err
}
