package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/safetext"
	"github.com/breachledger/breachledger/stores"
)

// Pinned trust. verify trusts a ledger key only when the user gave it
// (--key) or pinned it: the pin file (integrity.Pins, like ssh's
// known_hosts) binds each origin to one key, and each live ledger's
// location to its origin. The first verify of a live ledger pins the key
// it finds; afterwards a ledger at a pinned location with another origin,
// or a key other than the pinned one, is an integrity failure (exit 6). A
// key changes only by a hand-over statement that the pinned key signed
// ("breachledger pin accept-handover").

// pinFilePath is where pins are kept: the user's configuration directory.
func pinFilePath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", usagef("no place for the pin file (%v): set XDG_CONFIG_HOME or HOME", err)
	}
	return filepath.Join(dir, "breachledger", "pinned"), nil
}

// readPins reads the pin file at path; a missing file holds no pins. A
// corrupt file, or one that others may write, is an error.
func readPins(path string) (integrity.Pins, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read pin file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read pin file: %w", err)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("pin file %s: mode %04o lets others change your pins; make it 0600 (chmod 600 %s) after checking its contents", path, fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read pin file %s: %w", path, err)
	}
	ps, err := integrity.ParsePins(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (a corrupt pin file is never read as \"no pins\": fix or remove the line, or use \"breachledger pin remove ORIGIN\")", path, err)
	}
	return ps, nil
}

// updatePins changes the pin file under a lock: it reads the pins, applies
// fn and writes the result atomically (mode 0600).
func updatePins(path string, fn func(integrity.Pins) (integrity.Pins, error)) error {
	unlock, err := lockPins(path)
	if err != nil {
		return err
	}
	defer unlock()
	ps, err := readPins(path)
	if err != nil {
		return err
	}
	ps, err = fn(ps)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, integrity.MarshalPins(ps))
}

// pinLockStale is how old a lock file must be to be taken as left behind
// by a process that died: an update takes milliseconds.
const pinLockStale = 30 * time.Second

// lockPins takes the pin file's lock (a file created exclusively beside
// it) and returns its release.
func lockPins(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("pin file: %w", err)
	}
	lock := path + ".lock"
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(lock) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock pin file: %w", err)
		}
		if fi, err := os.Stat(lock); err == nil && time.Since(fi.ModTime()) > pinLockStale {
			os.Remove(lock)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("lock pin file: %s is held by another breachledger (remove it if none is running)", lock)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writeFileAtomic replaces path with b (mode 0600): a temporary file in
// the same directory, synced, then renamed over path.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every platform syncs directories
		d.Close()
	}
	return nil
}

// ledgerLocation names where a live ledger is, for its pin: the absolute
// path of a SQLite file ("sqlite:/abs/path"), or an EventStoreDB location
// without credentials or connection settings, plus its stream prefix
// ("esdb://HOSTS?prefix=P").
func ledgerLocation(location string) (string, error) {
	if stores.IsESDB(location) {
		prefix, err := stores.ESDBPrefix(location)
		if err != nil {
			return "", err
		}
		scheme, rest, _ := strings.Cut(location, "://")
		hosts := rest
		if i := strings.IndexAny(rest, "/?"); i >= 0 {
			hosts = rest[:i]
		}
		if at := strings.LastIndex(hosts, "@"); at >= 0 {
			hosts = hosts[at+1:]
		}
		return scheme + "://" + strings.ToLower(hosts) + "?prefix=" + prefix, nil
	}
	path := location
	if scheme, rest, ok := strings.Cut(location, "://"); ok && (scheme == "file" || scheme == "sqlite") {
		path = rest
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("ledger location %s: %w", location, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return "sqlite:" + abs, nil
}

// pinMismatch is an integrity failure of pinned trust: a ledger, bundle,
// proof or key that is not the one pinned. It exits 6.
type pinMismatch struct{ msg string }

func (e pinMismatch) Error() string { return e.msg }
func (e pinMismatch) Unwrap() error { return integrity.ErrIntegrity }

// mismatch is the message of a pin mismatch: what failed, the pin, what
// was found instead, and what to do.
func mismatch(head string, pinned *integrity.Pin, found, hint string) pinMismatch {
	return pinMismatch{fmt.Sprintf("pin mismatch %s\n  pinned: %s\n  found: %s\n  %s", head, describePin(pinned), found, hint)}
}

// describePin is how messages name a pin.
func describePin(p *integrity.Pin) string {
	return fmt.Sprintf("ledger %s, key %s, pinned %s", p.Origin, p.Fingerprint, p.PinnedAt.Format(time.RFC3339))
}

// keyChangeHint says how a pinned key may change.
func keyChangeHint(origin string) string {
	return fmt.Sprintf("a ledger key changes only by a hand-over that the pinned key signed (\"breachledger pin accept-handover FILE\");\n  if you are sure the pin itself is wrong: \"breachledger pin remove %s\", then pin again and compare the fingerprint out of band", origin)
}

// givenKeyAgrees fails loudly (exit 6) when a key given with --key is not
// the one pinned for its origin; a key whose origin has no pin agrees.
func givenKeyAgrees(pins integrity.Pins, key *integrity.PublicKey) error {
	if p := pins.ForOrigin(key.Origin()); p != nil && p.Key != key.String() {
		return mismatch(fmt.Sprintf("for %s: --key is not the pinned key", p.Origin), p, "key "+key.Fingerprint()+" (--key)", keyChangeHint(p.Origin))
	}
	return nil
}

// handedOver reports whether the ledger in st records a hand-over, signed
// by the pinned key (or a key it handed over to), to key: a notary's
// appointment. A pin follows it without being moved.
func handedOver(c *cli.Context, st eventstore.Store, pin *integrity.Pin, key *integrity.PublicKey) bool {
	pinned, err := pin.PublicKey()
	if err != nil {
		return false
	}
	chain, err := ledger.ReadKeyChain(c.Context, st, pinned)
	if err != nil {
		return false
	}
	for _, r := range chain.Rotations {
		if r.Key.String() == key.String() {
			return true
		}
	}
	return false
}

// pendingPin is a pin to record once a verification came out intact.
type pendingPin struct {
	path  string
	pin   integrity.Pin
	first bool // no key was pinned for the origin before
}

// ledgerTrust returns the key to verify the live ledger st with: --key,
// else the pinned key of its origin, else (first use) the public half of
// the ledger key found for it, and the pin to record when it verifies. It
// fails with exit 6 when the ledger's location is pinned to another
// origin, or the key differs from the pinned one.
func (e *env) ledgerTrust(c *cli.Context, st eventstore.Store) (*integrity.PublicKey, *pendingPin, error) {
	origin, err := ledger.Origin(c.Context, st)
	if err != nil {
		return nil, nil, err
	}
	loc, err := ledgerLocation(c.String("ledger"))
	if err != nil {
		return nil, nil, err
	}
	path, err := pinFilePath()
	if err != nil {
		return nil, nil, err
	}
	pins, err := readPins(path)
	if err != nil {
		return nil, nil, err
	}
	var key *integrity.PublicKey
	from := "--key"
	if k := c.String("key"); k != "" {
		if key, err = readPublicKey(k); err != nil {
			return nil, nil, err
		}
	}
	// keptKey loads the ledger key kept here for origin (read once above),
	// and says where it is.
	keptKey := func() (*integrity.LedgerKey, string, error) {
		path, err := ledgerKeyPathOf(c, origin)
		if err != nil {
			return nil, "", err
		}
		lk, err := ledgerKeyAt(c, st, origin, path)
		return lk, path, err
	}
	// foundKey describes the key this ledger comes with, for messages.
	foundKey := func() string {
		if key != nil {
			return fmt.Sprintf("key %s (%s)", key.Fingerprint(), from)
		}
		if lk, _, err := keptKey(); err == nil {
			return "key " + lk.Public().Fingerprint()
		}
		return "no ledger key for it here"
	}
	if p := pins.AtLocation(loc); p != nil && p.Origin != origin {
		return nil, nil, mismatch(fmt.Sprintf("at %s: the ledger there is not the one you pinned (it was replaced or re-initialised)", strings.TrimPrefix(loc, "sqlite:")),
			p, fmt.Sprintf("ledger %s, %s", origin, foundKey()),
			fmt.Sprintf("if you replaced it on purpose: \"breachledger pin remove %s\", then verify again and compare the new fingerprint out of band", p.Origin))
	}
	pin := pins.ForOrigin(origin)
	switch {
	case key != nil:
		if pin != nil && pin.Key != key.String() && handedOver(c, st, pin, key) {
			break // --key is the key a hand-over from the pinned key names
		}
		if err := givenKeyAgrees(pins, key); err != nil {
			return nil, nil, err
		}
	case pin != nil:
		if key, err = pin.PublicKey(); err != nil {
			return nil, nil, fmt.Errorf("pin of %s: %w", origin, err)
		}
		// The ledger key kept for this origin, if any, must be the pinned
		// one: a ledger re-keyed under the same origin fails here, loudly.
		if lk, kp, err := keptKey(); err == nil && lk.Public().String() != pin.Key && !handedOver(c, st, pin, lk.Public()) {
			return nil, nil, mismatch(fmt.Sprintf("at %s: the ledger key kept for it is not the pinned key (the ledger was re-keyed)", strings.TrimPrefix(loc, "sqlite:")),
				pin, fmt.Sprintf("key %s in %s", lk.Public().Fingerprint(), kp), keyChangeHint(origin))
		}
	default:
		lk, _, err := keptKey()
		if err != nil {
			return nil, nil, fmt.Errorf("%w (no key is pinned for %s yet: give the ledger's public key with --key, as its holder gave it to you)", err, origin)
		}
		key = lk.Public()
	}
	if key.Origin() != origin || (pin != nil && pins.AtLocation(loc) != nil) {
		return key, nil, nil // nothing to pin: another ledger's key (verify fails), or pinned already
	}
	return key, &pendingPin{path: path, pin: integrity.NewPin(key, loc, e.now()), first: pin == nil}, nil
}

// commitPin records a pending pin after an intact verification and tells
// the user (on stderr when the output is JSON).
func (e *env) commitPin(c *cli.Context, pp *pendingPin) error {
	if pp == nil {
		return nil
	}
	w := e.stdout
	if c.Bool("json") {
		w = e.stderr
	}
	if err := updatePins(pp.path, func(ps integrity.Pins) (integrity.Pins, error) {
		out, err := ps.Add(pp.pin)
		if err != nil {
			return nil, pinMismatch{fmt.Sprintf("pin mismatch: %v (pinned meanwhile by another run?); %s", err, keyChangeHint(pp.pin.Origin))}
		}
		return out, nil
	}); err != nil {
		var mm pinMismatch
		if errors.As(err, &mm) {
			return err
		}
		// A reader may run where nothing of the user's can be written
		// (an auditor's read-only machine): the verification stands,
		// only the pin is not kept.
		fmt.Fprintf(e.stderr, "not pinned: %v\n  (the verification above stands; nothing remembers key %s for ledger %s: give it with --key next time, or pin it where the config directory can be written: \"breachledger pin add --key PUB\")\n", err, pp.pin.Fingerprint, pp.pin.Origin)
		return nil
	}
	loc := strings.TrimPrefix(pp.pin.Location, "sqlite:")
	if pp.first {
		fmt.Fprintf(w, "pinned now: compare fingerprint %s out of band with the ledger key holder's\n  (ledger %s at %s, pinned in %s)\n", pp.pin.Fingerprint, pp.pin.Origin, loc, pp.path)
	} else {
		fmt.Fprintf(w, "pinned now: %s is ledger %s (its key %s was pinned before)\n", loc, pp.pin.Origin, pp.pin.Fingerprint)
	}
	return nil
}

// fileKey returns the key to verify a bundle or proof for origin with:
// --key, else the key pinned for origin. claimed is the key the file
// names for itself ("" if none): it must be the pinned one. what names the
// flag for messages ("--bundle", "--proof").
func fileKey(c *cli.Context, what, origin, claimed string) (*integrity.PublicKey, error) {
	path, err := pinFilePath()
	if err != nil {
		return nil, err
	}
	pins, err := readPins(path)
	if err != nil {
		return nil, err
	}
	if k := c.String("key"); k != "" {
		key, err := readPublicKey(k)
		if err != nil {
			return nil, err
		}
		if err := givenKeyAgrees(pins, key); err != nil {
			return nil, err
		}
		return key, nil
	}
	p := pins.ForOrigin(origin)
	if p == nil {
		return nil, usagef("%s needs --key PUB: no ledger key is pinned for %q (in %s). Get the ledger's public key from its holder (never from the file you verify), compare its fingerprint out of band, and give it with --key (or pin it: \"breachledger pin add --key PUB\")", what, origin, path)
	}
	key, err := p.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("pin of %s: %w", origin, err)
	}
	if claimed != "" && strings.TrimSpace(claimed) != p.Key {
		found := "a malformed key"
		if ck, err := integrity.ParsePublicKey(claimed); err == nil {
			found = "key " + ck.Fingerprint()
		}
		return nil, mismatch(fmt.Sprintf("for %s: the %s file names another key than the pinned one", origin, strings.TrimPrefix(what, "--")), p, found+" (named by the file)", keyChangeHint(origin))
	}
	return key, nil
}

// proofOrigin returns the origin named by the checkpoint inside a proof
// (the new one of a consistency proof), unverified, or "" when it cannot
// tell: to look up the pinned key.
func proofOrigin(data []byte) string {
	var cp []byte
	if p, err := integrity.ParseInclusionProof(data); err == nil {
		cp = p.Checkpoint
	} else if p, err := integrity.ParseConsistencyProof(data); err == nil {
		cp = p.New
	}
	origin, _, _ := strings.Cut(string(cp), "\n")
	return origin
}

func (e *env) pinCommand() *cli.Command {
	return &cli.Command{
		Name:  "pin",
		Usage: "the ledger keys you trust (like ssh's known_hosts): list, add, remove, accept a hand-over",
		Description: `verify trusts a ledger key only if you gave it (--key) or pinned it. The
first verify of a live ledger pins the key it finds and prints its
fingerprint: compare it out of band with the ledger key holder. Pins live
in $XDG_CONFIG_HOME/breachledger/pinned (mode 0600), one line each:
ORIGIN KEY FINGERPRINT PINNED-AT LOCATION.`,
		Subcommands: []*cli.Command{
			{
				Name: "list", Usage: "list the pinned keys",
				Flags: []cli.Flag{boolean("json", "print JSON")},
				Action: func(c *cli.Context) error {
					if c.NArg() > 0 {
						return usagef("unexpected argument %q", c.Args().First())
					}
					path, err := pinFilePath()
					if err != nil {
						return err
					}
					ps, err := readPins(path)
					if err != nil {
						return err
					}
					if c.Bool("json") {
						type row struct {
							Origin      string    `json:"origin"`
							Key         string    `json:"key"`
							Fingerprint string    `json:"fingerprint"`
							PinnedAt    time.Time `json:"pinned_at"`
							Location    string    `json:"location,omitempty"`
						}
						rows := []row{}
						for _, p := range ps {
							r := row{p.Origin, p.Key, p.Fingerprint, p.PinnedAt, p.Location}
							if r.Location == integrity.NoLocation {
								r.Location = ""
							}
							rows = append(rows, r)
						}
						return writeJSON(e.stdout, struct {
							File string `json:"file"`
							Pins []row  `json:"pins"`
						}{path, rows})
					}
					fmt.Fprintf(e.stdout, "pins in %s\n", path)
					tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "ORIGIN\tFINGERPRINT\tPINNED\tLOCATION")
					for _, p := range ps {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", safetext.Line(p.Origin), p.Fingerprint, p.PinnedAt.Format(time.RFC3339), safetext.Quote(p.Location))
					}
					return tw.Flush()
				},
			},
			{
				Name: "add", Usage: "pin a ledger's public key you were given (for verifying bundles and proofs without --key)",
				Description: "Example:\n  breachledger pin add --key contoso.pub",
				Flags:       []cli.Flag{str("key", "the ledger's public key: a file, or the key itself")},
				Action: func(c *cli.Context) error {
					if c.NArg() > 0 {
						return usagef("unexpected argument %q", c.Args().First())
					}
					if c.String("key") == "" {
						return usagef("give the key to pin with --key PUB")
					}
					key, err := readPublicKey(c.String("key"))
					if err != nil {
						return err
					}
					path, err := pinFilePath()
					if err != nil {
						return err
					}
					if err := updatePins(path, func(ps integrity.Pins) (integrity.Pins, error) {
						if err := givenKeyAgrees(ps, key); err != nil {
							return nil, err
						}
						if ps.ForOrigin(key.Origin()) != nil {
							return ps, nil // pinned already, at a location or without
						}
						return ps.Add(integrity.NewPin(key, integrity.NoLocation, e.now()))
					}); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "pinned now: compare fingerprint %s out of band with the ledger key holder's\n  (ledger %s, pinned in %s)\n", key.Fingerprint(), key.Origin(), path)
					return nil
				},
			},
			{
				Name: "remove", Usage: "forget the pinned key of a ledger (every location), e.g. after replacing the ledger on purpose", ArgsUsage: "ORIGIN",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usagef("give the ORIGIN whose pin to remove (\"breachledger pin list\" shows them)")
					}
					origin := c.Args().First()
					path, err := pinFilePath()
					if err != nil {
						return err
					}
					removed := 0
					if err := updatePins(path, func(ps integrity.Pins) (integrity.Pins, error) {
						var out integrity.Pins
						out, removed = ps.Remove(origin)
						if removed == 0 {
							return nil, &domain.NotFoundError{What: "pin of ledger", ID: origin, Hint: "\"breachledger pin list\" shows the pins"}
						}
						return out, nil
					}); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "removed %d pin(s) of %s: the next verify pins the key it finds (compare its fingerprint out of band)\n", removed, origin)
					return nil
				},
			},
			{
				Name: "accept-handover", Usage: "move a pin to a new ledger key, by a hand-over statement the pinned key signed", ArgsUsage: "FILE",
				Description: "The ledger key holder writes FILE with \"breachledger key hand-over\".\n\nExample:\n  breachledger pin accept-handover contoso.handover",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usagef("give the hand-over FILE")
					}
					data, err := os.ReadFile(c.Args().First())
					if err != nil {
						return usageError{err}
					}
					origin, err := integrity.HandoverOrigin(data)
					if err != nil {
						return err
					}
					path, err := pinFilePath()
					if err != nil {
						return err
					}
					var h integrity.Handover
					if err := updatePins(path, func(ps integrity.Pins) (integrity.Pins, error) {
						p := ps.ForOrigin(origin)
						if p == nil {
							return nil, &domain.NotFoundError{What: "pin of ledger", ID: origin, Hint: "a hand-over moves a pin: pin the current key first (verify, or \"breachledger pin add --key PUB\")"}
						}
						pinned, err := p.PublicKey()
						if err != nil {
							return nil, err
						}
						if h, err = integrity.OpenHandover(data, pinned); err != nil {
							return nil, fmt.Errorf("hand-over refused, the pin is unchanged: %w", err)
						}
						return ps.Rekey(origin, h.New, e.now()), nil
					}); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "pin of %s moved from key %s to key %s, which signs from the checkpoint of %d events on\n", origin, h.Old.Fingerprint(), h.New.Fingerprint(), h.Size)
					fmt.Fprintf(e.stdout, "pinned now: compare fingerprint %s out of band with the ledger key holder's\n", h.New.Fingerprint())
					return nil
				},
			},
		},
	}
}

// keyHandoverCommand writes a hand-over statement from the ledger key to
// a new one, signed by the ledger key.
func (e *env) keyHandoverCommand() *cli.Command {
	return &cli.Command{
		Name: "hand-over", Usage: "hand the ledger over to a new checkpoint key: write a statement the current key signs (run by the holder of the ledger key)",
		Description: `The statement (a C2SP signed note, format breachledger.org/key-handover/v1,
README: Key hand-over) names the ledger's origin, the old and the new key,
and the newest stored checkpoint: the last the old key vouches for. Everyone
who pinned the old key moves their pin with "breachledger pin accept-handover FILE".

Example:
  breachledger key hand-over --generate notary.key -o contoso.handover`,
		Flags: []cli.Flag{
			str("to", "the new key's public key: a file, or the key itself (made for this ledger's origin); or agent:SHA256:FINGERPRINT, an Ed25519 key held by ssh-agent"),
			str("generate", "make the new key: its private key to this `FILE` (mode 0600), its public key to FILE.pub"),
			str("output", "write the statement to this file (default: stdout)", "o"),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			if (c.String("to") == "") == (c.String("generate") == "") {
				return usagef("give the new key with --to PUB, or make one with --generate FILE (one of them)")
			}
			return withStore(c, false, func(st eventstore.Store) error {
				old, err := loadLedgerKey(c, st)
				if err != nil {
					return err
				}
				cs, ok := st.(eventstore.CheckpointStore)
				if !ok {
					return fmt.Errorf("this store keeps no checkpoints")
				}
				latest, err := cs.LatestCheckpoint(c.Context)
				if err != nil {
					return fmt.Errorf("hand-over: the newest checkpoint: %w", err)
				}
				cp, err := old.Public().Open(latest.Note)
				if err != nil {
					return fmt.Errorf("hand-over: the newest stored checkpoint is not the current key's (verify the ledger first): %w", err)
				}
				commit(c, "while the hand-over was being written: it was finished, as printed above") // signals.go
				to, err := e.newLedgerKey(c, st, old.Origin(), "new ledger key", "keep it apart from the ledger")
				if err != nil {
					return err
				}
				msg, err := old.SignHandover(to, cp)
				if err != nil {
					return usageError{err}
				}
				if err := e.output(c, msg); err != nil {
					return err
				}
				if p := c.String("output"); p != "" && p != "-" {
					fmt.Fprintf(e.stdout, "hand-over of %s from key %s to key %s at the checkpoint of %d events written to %s\n", old.Origin(), old.Public().Fingerprint(), to.Fingerprint(), cp.Size, p)
					fmt.Fprintf(e.stdout, "whoever pinned %s accepts it with: breachledger pin accept-handover %s\n", old.Public().Fingerprint(), p)
				}
				return nil
			})
		},
	}
}
