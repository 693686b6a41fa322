package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/safetext"
)

// newAPIToken returns a new API token secret and the hex SHA-256 that the
// ledger records in its place: "blt_" and 32 random bytes, base64url.
func newAPIToken() (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("make a token: %w", err)
	}
	secret = "blt_" + base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(secret))
	return secret, hex.EncodeToString(sum[:]), nil
}

// tokenCommand issues, revokes and lists the read-only API's bearer tokens.
func (e *env) tokenCommand() *cli.Command {
	return &cli.Command{
		Name:  "token",
		Usage: "bearer tokens for the read-only HTTP API (\"serve\"): issue, revoke, list (admin)",
		Description: `A token is shown once, when it is issued; the ledger records only its
SHA-256, with who issued it, for what and until when, so every token is
auditable and none is stored in clear. Revoking one is an event too; the
server refuses it from its next request.`,
		Subcommands: []*cli.Command{
			{
				Name: "issue", Usage: "issue a token (admin); prints it once", ArgsUsage: "NAME",
				Description: "Example:\n  breachledger --actor alice token issue grc-export --expires-in 90d --reason \"quarterly GRC export\"",
				Flags: []cli.Flag{
					str("expires-in", "the token stops working this long after it is issued (e.g. 90d, 720h; default: never)"),
					str("reason", "what it is for"),
					&cli.StringFlag{Name: "at", Usage: "when it is issued (RFC 3339 or \"now\"; default now)"},
					boolean("json", "print JSON"),
				},
				Action: func(c *cli.Context) error {
					now := e.now().UTC()
					in := newInputs(c, now)
					name := in.arg("NAME")
					by := domain.By{At: in.at()}
					who, err := actor(c)
					if err != nil {
						in.fail(err)
					}
					by.Actor = who
					var expires time.Time
					if s := c.String("expires-in"); s != "" {
						d, err := parseDuration(s)
						if err != nil {
							in.failf("--expires-in: %v", err)
						}
						expires = by.At.Add(d)
					}
					secret, hash, err := newAPIToken()
					if err != nil {
						return err
					}
					cmd := domain.IssueToken{By: by, Name: name, SHA256: hash, ExpiresAt: expires, Reason: c.String("reason")}
					if err := in.err(); err != nil {
						return err
					}
					return e.recordLedgerFact(c, cmd, now, func(st eventstore.Store, res ledger.Result) error {
						issued := res.Events[0].(domain.APITokenIssued)
						if c.Bool("json") {
							return writeJSON(e.stdout, map[string]any{"token": issued.Token, "name": issued.Name, "secret": secret, "sha256": issued.SHA256,
								"expires_at": issued.ExpiresAt, "event_id": res.Records[0].ID.String(), "seq": res.Records[0].Sequence})
						}
						fmt.Fprintf(e.stdout, "token %s (%s) issued [seq %d, event %s]\n", issued.Token, safetext.Line(issued.Name), res.Records[0].Sequence, res.Records[0].ID)
						if !issued.ExpiresAt.IsZero() {
							fmt.Fprintf(e.stdout, "expires %s\n", issued.ExpiresAt.Format(time.RFC3339))
						}
						fmt.Fprintf(e.stdout, "%s\n", secret)
						fmt.Fprintln(e.stderr, "(this is the only time the token is shown: the ledger keeps only its SHA-256; use it as \"Authorization: Bearer TOKEN\")")
						return nil
					})
				},
			},
			{
				Name: "revoke", Usage: "revoke a token (admin)", ArgsUsage: "TOKEN-ID",
				Description: "Example:\n  breachledger --actor alice token revoke T1 --reason \"the export job was retired\"",
				Flags: []cli.Flag{
					str("reason", "why (required)"),
					&cli.StringFlag{Name: "at", Usage: "when (RFC 3339 or \"now\"; default now)"},
				},
				Action: func(c *cli.Context) error {
					now := e.now().UTC()
					in := newInputs(c, now)
					id := in.arg("TOKEN-ID")
					reason := in.required("reason")
					who, err := actor(c)
					if err != nil {
						in.fail(err)
					}
					cmd := domain.RevokeToken{By: domain.By{Actor: who, At: in.at()}, Token: id, Reason: reason}
					if err := in.err(); err != nil {
						return err
					}
					return e.recordLedgerFact(c, cmd, now, func(st eventstore.Store, res ledger.Result) error {
						fmt.Fprintf(e.stdout, "token %s revoked [seq %d, event %s]\n", id, res.Records[0].Sequence, res.Records[0].ID)
						return nil
					})
				},
			},
			{
				Name: "list", Usage: "list every token ever issued, with who issued it and whether it was revoked",
				Flags: []cli.Flag{boolean("json", "print JSON")},
				Action: func(c *cli.Context) error {
					if c.NArg() > 0 {
						return usagef("unexpected argument %q", c.Args().First())
					}
					return e.withReader(c, func(st eventstore.Store) error {
						l, err := readLedger(c, st)
						if err != nil {
							return err
						}
						ts := l.Tokens.All()
						if c.Bool("json") {
							return writeJSON(e.stdout, ts)
						}
						now := e.now().UTC()
						tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
						fmt.Fprintln(tw, "TOKEN\tNAME\tISSUED\tBY\tEXPIRES\tSTATE\tSHA-256")
						for _, t := range ts {
							state := "valid"
							switch {
							case t.Revoked != nil:
								state = fmt.Sprintf("revoked %s by %s: %s", t.Revoked.At.Format(time.RFC3339), t.Revoked.Actor, t.RevokedBy)
							case !t.Valid(now):
								state = "expired"
							}
							exp := "never"
							if !t.ExpiresAt.IsZero() {
								exp = t.ExpiresAt.Format(time.RFC3339)
							}
							fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Token, safetext.Line(t.Name), t.Issued.At.Format(time.RFC3339), safetext.Line(t.Issued.Actor), safetext.Line(exp), safetext.Line(state), t.SHA256)
						}
						return tw.Flush()
					})
				},
			},
		},
	}
}

// recordLedgerFact runs the write path for a ledger command, as every
// writer does (the ledger key signs the append's checkpoint; an
// actor's SSH key signs the event when asked), then prints with show.
func (e *env) recordLedgerFact(c *cli.Context, cmd domain.Command, now time.Time, show func(eventstore.Store, ledger.Result) error) error {
	build := func(_ eventstore.Store, signer string) (domain.Command, error) {
		switch x := cmd.(type) {
		case domain.IssueToken:
			x.Signer = signer
			return x, nil
		case domain.RevokeToken:
			x.Signer = signer
			return x, nil
		}
		return cmd, nil
	}
	return e.recordLedgerFactFrom(c, build, now, show)
}

// recordLedgerFactFrom is recordLedgerFact for a command built from what
// the ledger holds: build gets the open store and the fingerprint of the
// actor's signing key ("" when unsigned).
func (e *env) recordLedgerFactFrom(c *cli.Context, build func(st eventstore.Store, signer string) (domain.Command, error), now time.Time, show func(eventstore.Store, ledger.Result) error) error {
	sg, err := signerFrom(c)
	if err != nil {
		return usageError{err}
	}
	signer := ""
	if sg != nil {
		defer sg.close()
		signer = sg.fp
	}
	return withStore(c, false, func(st eventstore.Store) error {
		key, err := appendKey(c, st) // keys.go
		if err != nil {
			return err
		}
		if sg == nil { // the actor's own key, as the signer registry knows it (identity.go)
			who, err := actor(c)
			if err != nil {
				return err
			}
			if sg, err = findSigner(c, st, who); err != nil {
				return err
			}
			if sg != nil {
				defer sg.close()
				signer = sg.fp
			}
		}
		cmd, err := build(st, signer)
		if err != nil {
			return err
		}
		res, err := e.execute(c, st, key, sg, "", cmd, now)
		if err != nil {
			return err
		}
		if err := show(st, res); err != nil {
			return err
		}
		return e.checkpointAfter(c, st, key, res)
	})
}
