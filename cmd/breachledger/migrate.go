package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/stores"
)

// migrateFailure is a migration whose copy did not match its source: exit
// code 6, an integrity failure.
type migrateFailure struct{ err error }

func (e migrateFailure) Error() string { return e.err.Error() }
func (e migrateFailure) Unwrap() error { return e.err }
func (e migrateFailure) ExitCode() int { return exitIntegrity }

// migrateCommand copies a ledger between stores.
func (e *env) migrateCommand() *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "copy a whole ledger to another store (SQLite or EventStoreDB), event by event as stored; resumable, verified",
		Description: `Copies every event of --from to --to in order, keeping event IDs,
sequences, revisions, recorded times, actors and signatures, so checkpoints
and proofs made on the source verify on the copy; signed checkpoints, and
the witnesses' cosignatures kept beside them, are copied too when both
stores keep them. Progress goes to stderr.

Interrupted, it resumes: run it again, and it checks what the target already
holds against the source, then copies the rest. A target holding anything
else is refused. At the end it compares the number of events and a SHA-256
digest of the whole history on both sides (exit 6 if they differ).

Stop writers on the source first: events appended after the copy began are
not copied (run it again to copy them).

Example:
  breachledger migrate --from ./ir.db --to "esdb://admin:PASSWORD@db1:2113?tlsCAFile=ca.pem"`,
		Flags: []cli.Flag{
			str("from", "the `LEDGER` to copy (a SQLite file, or an esdb:// location)"),
			str("to", "the `LEDGER` to copy into (a new SQLite file is created)"),
			&cli.IntFlag{Name: "batch", Value: 500, Usage: "events per read and import"},
			boolean("json", "print the result as JSON"),
		},
		Action: func(c *cli.Context) error {
			from, to := c.String("from"), c.String("to")
			switch {
			case c.NArg() > 0:
				return noArgs(c)
			case from == "" || to == "":
				return usagef("migrate needs --from LEDGER and --to LEDGER")
			case from == to:
				return usagef("--from and --to name the same ledger")
			case c.Int("batch") <= 0:
				return usagef("--batch must be at least 1")
			}
			src, err := stores.Open(c.Context, from, stores.Options{})
			if err != nil {
				return err
			}
			defer src.Close()
			dst, err := openWriter(c, to, true) // kept.go: drops the views older builds kept in a ledger file
			if err != nil {
				return err
			}
			defer dst.Close()
			rep, err := ledger.Migrate(c.Context, src, dst, ledger.MigrateOptions{
				Batch: c.Int("batch"),
				Progress: func(done, total uint64) {
					fmt.Fprintf(e.stderr, "migrate: %d of %d events in the target\n", done, total)
				},
			})
			if errors.Is(err, ledger.ErrMigrateMismatch) {
				return migrateFailure{err}
			}
			if errors.Is(err, context.Canceled) {
				// A signal (signals.go): each batch is imported whole or
				// not at all; say how far the copy got, as the target
				// holds it now.
				n, herr := dst.Head(context.WithoutCancel(c.Context))
				if herr != nil {
					return &stoppedPart{done: fmt.Sprintf("nothing was appended to %s; how much of it the target %s holds is unknown (%v): run the same migrate again to check and go on", stores.Redact(from), stores.Redact(to), herr), err: err}
				}
				return &stoppedPart{done: fmt.Sprintf("the target %s holds the first %d events of %s (run the same migrate again to check them and go on)", stores.Redact(to), n, stores.Redact(from)), err: err}
			}
			if err != nil {
				return err
			}
			if err := dst.Close(); err != nil {
				return fmt.Errorf("close %s: %w", stores.Redact(to), err)
			}
			digest := "sha256:" + hex.EncodeToString(rep.Digest[:])
			if c.Bool("json") {
				return writeJSON(e.stdout, struct {
					From         string `json:"from"`
					To           string `json:"to"`
					Events       uint64 `json:"events"`
					Present      uint64 `json:"already_present"`
					Copied       uint64 `json:"copied"`
					Checkpoints  uint64 `json:"checkpoints_copied"`
					Cosignatures uint64 `json:"cosignatures_copied"`
					Digest       string `json:"history_digest"`
				}{stores.Redact(from), stores.Redact(to), rep.Total, rep.Present, rep.Copied, rep.Checkpoints, rep.Cosignatures, digest})
			}
			fmt.Fprintf(e.stdout, "migrated %s to %s: %d events (%d copied now, %d already there and checked), %d checkpoints and %d cosignatures copied\n",
				stores.Redact(from), stores.Redact(to), rep.Total, rep.Copied, rep.Present, rep.Checkpoints, rep.Cosignatures)
			fmt.Fprintf(e.stdout, "verified: both hold %d events with history digest %s\n", rep.Total, digest)
			return nil
		},
	}
}
