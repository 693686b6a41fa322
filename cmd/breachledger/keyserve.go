package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/keyserver"
	"github.com/breachledger/breachledger/keystore"
)

// A team's key server (crypto-shredding, issue 25; package keyserver).
// "breachledger keys serve --socket PATH" runs where the team's key store
// and its key-encryption key are (the server's user's configuration
// directory, as for one person: sealing.go), and serves the data keys on
// a Unix socket. Every other run with BREACHLEDGER_KEY_SERVER=PATH asks it
// for keys instead of opening a key store of its own, signing each call
// with the actor's registered SSH key; the server decides by the ledger's
// roles, so a reader it refuses sees "[sealed]".

// keyServerEnv names the socket of the key server runs use.
const keyServerEnv = "BREACHLEDGER_KEY_SERVER"

// keysCommand: the data keys of sealed personal data.
func (e *env) keysCommand() *cli.Command {
	return &cli.Command{
		Name:  "keys",
		Usage: "the data keys that seal personal data: serve them to a team",
		Description: `In a team, one process holds the key store of sealed personal data and
its key-encryption key: "keys serve", run by the user whose configuration
directory holds them. Every other run sets BREACHLEDGER_KEY_SERVER to its
socket and asks it for keys, signing each call with the actor's registered
SSH key; the server hands a key only to the roles that may read personal
data, and destroys keys only for a DataShredded it reads in the ledger.

Example:
  breachledger keys serve --socket /run/breachledger/keys.sock
  BREACHLEDGER_KEY_SERVER=/run/breachledger/keys.sock breachledger show INCIDENT`,
		Subcommands: []*cli.Command{e.keysServeCommand()},
	}
}

func (e *env) keysServeCommand() *cli.Command {
	return &cli.Command{
		Name: "serve", Usage: "serve this user's key store of the ledger on a Unix socket, to the callers the ledger allows",
		Description: `Example:
  breachledger keys serve --socket /run/breachledger/keys.sock --allow-uid 1001`,
		Flags: []cli.Flag{
			str("socket", "listen on a Unix socket at this `PATH` (mode 0600, or 0666 with --allow-uid: the peer's uid decides)"),
			&cli.StringSliceFlag{Name: "allow-uid", Usage: "also let this `UID` call (repeat for more); by default only the server's own uid may"},
			&cli.DurationFlag{Name: "window", Value: 2 * time.Minute, Usage: "how far a request's time may be from the server's clock"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			socket := c.String("socket")
			if socket == "" {
				return usagef("give the socket to listen on with --socket PATH")
			}
			var uids []uint32
			for _, s := range c.StringSlice("allow-uid") {
				u, err := strconv.ParseUint(s, 10, 32)
				if err != nil {
					return usagef("--allow-uid %q: a uid is a number (id -u NAME prints it)", s)
				}
				uids = append(uids, uint32(u))
			}
			if os.Getenv(keyServerEnv) != "" {
				return usagef("%s is set: the key server holds the key store itself; unset it for keys serve", keyServerEnv)
			}
			return withReadStore(c, true, func(st eventstore.Store) error {
				ks, err := userKeyStore(c.Context, st, true) // sealing.go: this account's, as a personal run's
				if err != nil {
					return err
				}
				defer ks.Close()
				srv, err := keyserver.New(c.Context, ks, keyserver.StoreLedger{Store: st}, keyserver.Options{UIDs: uids, Window: c.Duration("window")})
				if err != nil {
					return err
				}
				ln, err := keyserver.Listen(socket, len(uids) > 0)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "serving the ledger's data keys on %s (uids: this one%s); stop with SIGINT or SIGTERM\n", socket, uidList(uids))
				return srv.Serve(c.Context, ln)
			})
		},
	}
}

func uidList(uids []uint32) string {
	out := ""
	for _, u := range uids {
		out += fmt.Sprintf(", %d", u)
	}
	return out
}

// keyServerStore returns the client of the key server at socket, calling
// as the run's actor with the key the ledger in st registers to them.
// c gives --actor, --sign-key and --ssh-agent; nil reads them from the
// environment (BREACHLEDGER_ACTOR, BREACHLEDGER_SIGN_KEY,
// BREACHLEDGER_SSH_AGENT, else the OS user and their registered key).
func keyServerStore(ctx context.Context, c *cli.Context, st eventstore.Store, socket string) (keystore.Store, error) {
	if c == nil {
		c = envContext(ctx)
	}
	who, err := actor(c)
	if err != nil {
		return nil, err
	}
	sg, err := signerFrom(c)
	if err != nil {
		return nil, err
	}
	if sg == nil {
		if sg, err = findSigner(c, st, who); err != nil {
			return nil, err
		}
	}
	if sg == nil {
		return nil, &domain.RuleError{Rule: "key-server-signature",
			Reason: fmt.Sprintf("the key server at %s (%s) takes only calls signed by a registered key, and no key registered to %s was found", socket, keyServerEnv, who),
			Hint:   noKeyHint(who)}
	}
	return &closingStore{Client: keyserver.NewClient(socket, who, sg.s), close: sg.close}, nil
}

// closingStore closes the signer (an ssh-agent connection) with the
// client; it hands out many keys at once as the client does.
type closingStore struct {
	*keyserver.Client
	close func() error
}

var _ keystore.BatchStore = (*closingStore)(nil)

func (s *closingStore) Close() error { return errors.Join(s.Client.Close(), s.close()) }

// envContext returns a cli.Context whose --actor, --sign-key and
// --ssh-agent are read from their environment variables alone.
func envContext(ctx context.Context) *cli.Context {
	set := flag.NewFlagSet("environment", flag.ContinueOnError)
	for _, f := range []cli.Flag{
		&cli.StringFlag{Name: "actor", EnvVars: []string{"BREACHLEDGER_ACTOR"}},
		&cli.StringFlag{Name: "sign-key", EnvVars: []string{"BREACHLEDGER_SIGN_KEY"}},
		&cli.BoolFlag{Name: "ssh-agent", EnvVars: []string{"BREACHLEDGER_SSH_AGENT"}},
	} {
		f.Apply(set)
	}
	c := cli.NewContext(nil, set, nil)
	c.Context = ctx
	return c
}
