package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/safetext"
	"github.com/breachledger/breachledger/stores"
)

func (e *env) backupCommand() *cli.Command {
	return &cli.Command{
		Name:      "backup",
		Usage:     "write a consistent copy of a live SQLite ledger to DEST, verify the copy, and print its checkpoint",
		ArgsUsage: "DEST",
		Description: `Never "cp" a live ledger: its newest appends may still be in the ledger's
-wal file beside it, and a copy of the file alone silently lacks them (and
verifies as intact, being a shorter ledger). backup reads the ledger in one
read transaction (SQLite's VACUUM INTO), so the copy holds every append
acknowledged before it began, even while others keep appending.

It only reads the ledger: it writes nothing to it or beside it, and works
on a ledger in a read-only directory. DEST must not exist (rule
backup-file-exists); the copy is written to a temporary file beside DEST,
fsynced, then named DEST, so DEST is never a half copy. The copy holds the
ledger's events and checkpoints only (no kept views), in rollback-journal
mode, readable on read-only media.

Then it opens the copy read-only and verifies it as "verify" does, with the
same key (--key, else the key pinned for the ledger, else the ledger key
kept here), and prints the copy's newest checkpoint (size and root) and its
number of events; exit 6 if the copy does not verify (it is kept, for
inspection). --against checks the copy extends checkpoints kept earlier.

An auditor checks a copy with their own pinned key and kept checkpoint:
  breachledger --ledger DEST verify --key ledger.pub --against kept.checkpoint

An EventStoreDB ledger has no file to copy: export a bundle
("breachledger export --bundle FILE") or use the server's own backup.

Examples:
  breachledger backup /backups/ledger-2025-03-12.db
  breachledger backup --json --against kept.checkpoint /mnt/usb/ledger.db`,
		Flags: []cli.Flag{
			str("key", "the ledger's public key to verify the copy with: a file, or the key itself (default: the key pinned for the ledger, else the ledger key kept here)"),
			strs("against", "a checkpoint kept earlier that the copy must extend; repeatable"),
			boolean("json", "print JSON"),
		},
		Action: func(c *cli.Context) error {
			switch {
			case c.NArg() == 0:
				return usagef("missing argument DEST: give the new file to write the copy to")
			case c.NArg() > 1:
				return usagef("unexpected argument %q: backup takes one, DEST", c.Args().Get(1))
			}
			dest := c.Args().First()
			location := c.String("ledger")
			if strings.TrimSpace(location) == "" {
				return usagef("--ledger is empty: give the ledger's file PATH, or leave --ledger out (and BREACHLEDGER_LEDGER unset) for the default %s", stores.DefaultLocation)
			}
			if stores.IsESDB(location) {
				return &domain.RuleError{Rule: "backup-sqlite-only",
					Reason: fmt.Sprintf("%s is an EventStoreDB ledger: backup copies an embedded SQLite ledger's file, and this one has none", stores.Redact(location)),
					Hint:   `export it with "breachledger export --bundle FILE" (an auditor verifies it with "verify --bundle FILE --key PUB"), or use the server's own backup`}
			}
			if _, err := os.Lstat(dest); err == nil {
				return destExists(dest)
			}
			if err := stores.Backup(c.Context, location, dest); err != nil {
				if errors.Is(err, fs.ErrExist) {
					return destExists(dest)
				}
				return err
			}
			commit(c, "after the copy was written: it is verified and reported above") // signals.go
			return e.checkCopy(c, dest)
		},
	}
}

// destExists is the refusal of a backup over an existing file.
func destExists(dest string) error {
	return &domain.RuleError{Rule: "backup-file-exists",
		Reason: fmt.Sprintf("%s exists, and backup never overwrites a file", safetext.Line(dest)),
		Hint:   "give a new file name for the copy (or move the old one away first)"}
}

// checkCopy opens the copy at dest read-only, verifies it with the key
// verify would use for the ledger, and prints what it holds.
func (e *env) checkCopy(c *cli.Context, dest string) error {
	st, err := stores.Open(c.Context, dest, stores.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("verify the copy: %w", err)
	}
	defer st.Close()
	// The key for the ledger at --ledger (pinned there, --key, or kept);
	// the copy has the ledger's origin. A backup records no pin.
	key, _, rep, err := e.verifyTrusted(c, st, ledger.VerifyOptions{Now: e.now()})
	if err != nil {
		return fmt.Errorf("verify the copy %s: %w", dest, err)
	}
	var cp eventstore.Checkpoint
	if cs, ok := st.(eventstore.CheckpointStore); ok {
		if cp, err = cs.LatestCheckpoint(c.Context); err != nil && !errors.Is(err, eventstore.ErrNoCheckpoint) {
			return fmt.Errorf("read the copy's checkpoint: %w", err)
		}
	}
	if c.Bool("json") {
		type checkpoint struct {
			Size uint64 `json:"size"`
			Root []byte `json:"root"`
		}
		var newest *checkpoint
		if cp.Size > 0 {
			newest = &checkpoint{cp.Size, cp.Root}
		}
		if err := writeJSON(e.stdout, struct {
			Path        string              `json:"path"`
			Origin      string              `json:"origin"`
			Events      uint64              `json:"events"`
			Checkpoint  *checkpoint         `json:"checkpoint"`
			Checkpoints int                 `json:"checkpoints_checked"`
			Key         string              `json:"key_fingerprint"`
			Against     []uint64            `json:"against,omitempty"`
			OK          bool                `json:"ok"`
			Problems    []integrity.Problem `json:"problems"`
		}{dest, rep.Origin, rep.Events, newest, rep.Checkpoints, key.Fingerprint(), rep.Against, rep.OK(), append([]integrity.Problem{}, rep.Problems...)}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "backup of ledger %s written to %s: %d events\n", safetext.Line(rep.Origin), safetext.Line(dest), rep.Events)
		if cp.Size > 0 {
			fmt.Fprintf(e.stdout, "newest checkpoint: %d events, root %s\n", cp.Size, base64.StdEncoding.EncodeToString(cp.Root))
		} else {
			fmt.Fprintln(e.stdout, "no checkpoint in the copy")
		}
		for _, n := range rep.Against {
			fmt.Fprintf(e.stdout, "consistent with the kept checkpoint of %d events\n", n)
		}
		if rep.OK() {
			fmt.Fprintf(e.stdout, "copy verified with key %s: intact\n", key.Fingerprint())
		} else {
			fmt.Fprintf(e.stdout, "copy TAMPERED: %d problem(s)\nfirst bad event: %s\n", len(rep.Problems), rep.First())
		}
	}
	if !rep.OK() {
		fmt.Fprintf(e.stderr, "breachledger: integrity failure in the copy %s (kept for inspection; the ledger it was copied from is the same): %s\n", safetext.Line(dest), rep.First())
		return silentExit(exitIntegrity)
	}
	return nil
}
