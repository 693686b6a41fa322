package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/safetext"
	"github.com/breachledger/breachledger/witness/cosigner"
)

// Running a witness (issue 16): "breachledger witness keygen", "serve" and
// "log", for an auditor who wants one binary. The witness is
// witness/cosigner, a C2SP tlog-witness as litewitness is; its state is a
// SQLite file of its own (--db), never a ledger: none of these commands
// reads --ledger.

// defaultWitnessListen is the address "witness serve" listens on.
const defaultWitnessListen = "127.0.0.1:7380"

// witnessServeSubcommands returns "witness keygen", "serve" and "log".
func (e *env) witnessServeSubcommands() []*cli.Command {
	return []*cli.Command{e.witnessKeygenCommand(), e.witnessServeCommand(), e.witnessLogCommand()}
}

func witnessDBFlag() cli.Flag {
	return &cli.StringFlag{Name: "db", Usage: "the witness's state: a SQLite `FILE` of its own, never a ledger (required)"}
}

func (e *env) witnessKeygenCommand() *cli.Command {
	return &cli.Command{
		Name: "keygen", Usage: "make a witness's key (to run \"breachledger witness serve\" with)", ArgsUsage: "NAME",
		Description: `NAME is the witness's name, as its cosignatures give it (e.g. auditor.example/w1:
no spaces, no '+'). The key is an Ed25519 cosignature/v1 key (C2SP
tlog-cosignature): -o FILE gets the private key (mode 0600; an existing file is
never overwritten), FILE.pub its verifier key NAME+HASH+BASE64, which a
ledger's admin gives "witness add" and auditors give "verify --witness".
Example:
  breachledger witness keygen auditor.example/w1 -o w1.key`,
		Flags: []cli.Flag{str("output", "write the private key to this `FILE` (and FILE.pub) (required)", "o"), boolean("json", "print JSON")},
		Action: func(c *cli.Context) error {
			in := newInputs(c, e.now())
			name := in.arg("NAME")
			path := in.required("output")
			if err := in.err(); err != nil {
				return err
			}
			skey, vkey, err := cosigner.GenerateKey(rand.Reader, name)
			if err != nil {
				return usagef("NAME %s: a witness's name is a signed-note key name: not empty, no spaces, no '+' (e.g. auditor.example/w1)", safetext.Quote(name))
			}
			for _, p := range []string{path, path + ".pub"} {
				if _, err := os.Lstat(p); err == nil {
					return &domain.RuleError{Rule: "key-file-exists", Reason: fmt.Sprintf("%s exists, and keygen never overwrites a key", safetext.Line(p)),
						Hint: "run the witness with that key (witness serve --key FILE), or give -o another file"}
				}
			}
			commit(c, "while the key was being written: it was finished, as printed above") // signals.go
			if err := writeNew(path, []byte(skey+"\n"), 0o600); err != nil {
				return err
			}
			if err := writeNew(path+".pub", []byte(vkey+"\n"), 0o644); err != nil {
				os.Remove(path)
				return err
			}
			if c.Bool("json") {
				return writeJSON(e.stdout, map[string]any{"witness": name, "vkey": vkey, "private_key": path, "public_key": path + ".pub"})
			}
			fmt.Fprintf(e.stdout, "witness key: %s (private, mode 0600: whoever holds it can cosign as %s)\n", safetext.Line(path), safetext.Line(name))
			fmt.Fprintf(e.stdout, "verifier key (in %s.pub): %s\n", safetext.Line(path), vkey)
			fmt.Fprintf(e.stdout, "next: add the logs to witness (breachledger witness log add ORIGIN VKEY --db FILE), then\n  breachledger witness serve --db FILE --key %s\n", safetext.Line(path))
			return nil
		},
	}
}

func (e *env) witnessServeCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run a C2SP tlog-witness: cosign the checkpoints of the logs in --db, each only as a consistent extension of the last",
		Description: `POST /add-checkpoint (C2SP tlog-witness): a log's signed checkpoint, with the
consistency proof from the size the witness last cosigned for it, gets a
cosignature/v1 line; anything else is refused with the protocol's status (400,
403, 404 unknown log, 409 with the witness's size, 422 not consistent). The
logs and their keys are in --db ("breachledger witness log add"); the key is
--key ("breachledger witness keygen"), the witness's name its name. It prints
the address and the verifier key, then one log line per request on stderr;
SIGINT or SIGTERM stops it after the requests in flight. Any ledger
(breachledger's own, or another C2SP log) can submit to it.
Example:
  breachledger witness serve --db witness.db --key w1.key --listen 0.0.0.0:7380`,
		Flags: []cli.Flag{
			witnessDBFlag(),
			str("key", "the witness's private key `FILE` (witness keygen -o FILE) (required)"),
			&cli.StringFlag{Name: "listen", Value: defaultWitnessListen, Usage: "the `ADDRESS` to listen on (port 0: any free port)"},
		},
		Action: func(c *cli.Context) error {
			in := newInputs(c, e.now())
			dbPath := in.required("db")
			keyPath := in.required("key")
			if err := in.err(); err != nil {
				return err
			}
			if fi, err := os.Stat(keyPath); err == nil && fi.Mode().Perm()&0o077 != 0 {
				return usagef("--key %s: mode %04o lets others read the witness's private key; make it 0600 (chmod 600 %s)", safetext.Quote(keyPath), fi.Mode().Perm(), safetext.Quote(keyPath))
			}
			skey, err := os.ReadFile(keyPath)
			if err != nil {
				return usagef("--key %s: %v (make one with \"breachledger witness keygen NAME -o FILE\")", safetext.Quote(keyPath), err)
			}
			db, err := openWitnessDB(c.Context, dbPath, false)
			if err != nil {
				return err
			}
			defer db.Close()
			log := slog.New(slog.NewTextHandler(e.stderr, nil))
			w, err := cosigner.New(db, string(skey), log)
			if err != nil {
				return usageError{fmt.Errorf("--key %s: %w", keyPath, err)}
			}
			logs, err := db.Logs(c.Context)
			if err != nil {
				return err
			}
			if len(logs) == 0 {
				fmt.Fprintf(e.stderr, "no log in %s: every submission is answered 404 until one is added (breachledger witness log add ORIGIN VKEY --db %s)\n", safetext.Line(dbPath), safetext.Line(dbPath))
			}
			ln, err := net.Listen("tcp", c.String("listen"))
			if err != nil {
				return usageError{fmt.Errorf("--listen: %w", err)}
			}
			base, cancelRequests := context.WithCancel(context.WithoutCancel(c.Context))
			defer cancelRequests()
			srv := &http.Server{
				Handler:           w,
				ReadHeaderTimeout: 5 * time.Second,
				ReadTimeout:       10 * time.Second,
				WriteTimeout:      10 * time.Second,
				IdleTimeout:       2 * time.Minute,
				MaxHeaderBytes:    16 << 10,
				BaseContext:       func(net.Listener) context.Context { return base },
			}
			fmt.Fprintf(e.stdout, "listening on http://%s\n", ln.Addr())
			fmt.Fprintf(e.stdout, "witness %s, verifier key %s\n", safetext.Line(w.Name()), w.VerifierKey())
			for _, l := range logs {
				log.Info("log", "origin", safetext.Line(l.Origin), "size", l.Size, "keys", len(l.Keys))
			}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return err
			case <-c.Context.Done():
			}
			// A signal is how it ends: no new requests, those in flight
			// finish (each persists before it answers), exit 0.
			sig := signalOf(c.Context)
			commit(c, "")
			var once sync.Once
			srv.RegisterOnShutdown(func() {
				once.Do(func() {
					log.Info("shutting down: no new requests; waiting for those in flight", "signal", signalName(sig), "grace", shutdownGrace.String())
				})
			})
			err = shutdown(srv, cancelRequests) // serve.go
			if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
				err = serr
			}
			if err != nil {
				return err
			}
			log.Info("stopped")
			return nil
		},
	}
}

func (e *env) witnessLogCommand() *cli.Command {
	return &cli.Command{
		Name:  "log",
		Usage: "the logs a witness (witness serve) cosigns, and their keys: add, list, remove-key",
		Description: `A log is its origin (the first line of its checkpoints) and the note verifier
keys its checkpoints are signed with, each named after the origin. For a
breachledger ledger: the origin is the text before the first '+' of
"breachledger key public", and the key is what it prints (and, on a team
ledger, the notary's key too). A log, once added, is never removed: added
again, it would start again from size 0, and the log could show two histories.
Its keys can be removed.`,
		Subcommands: []*cli.Command{
			{
				Name: "add", Usage: "cosign a log's checkpoints from now on (or add another key of a log)", ArgsUsage: "ORIGIN VKEY...",
				Description: `VKEY is a note verifier key NAME+HASH+BASE64 named ORIGIN, or a file holding one.
Example:
  breachledger key public -o ledger.pub
  breachledger witness log add "$(cut -d+ -f1 ledger.pub)" ledger.pub --db witness.db`,
				Flags: []cli.Flag{witnessDBFlag(), boolean("json", "print JSON")},
				Action: func(c *cli.Context) error {
					in := newInputs(c, e.now())
					origin := in.arg("ORIGIN")
					var vkeys []string
					for first := true; first || in.used < c.NArg(); first = false {
						if k := logKeyArg(in, in.arg("VKEY")); k != "" {
							vkeys = append(vkeys, k)
						}
					}
					dbPath := in.required("db")
					if err := in.err(); err != nil {
						return err
					}
					for _, k := range vkeys {
						if _, err := cosigner.ParseLogKey(origin, k); err != nil {
							return logKeyRefusal(err)
						}
					}
					commit(c, "while the witness database was being changed: it was finished, as printed above")
					db, err := openWitnessDB(c.Context, dbPath, true)
					if err != nil {
						return err
					}
					defer db.Close()
					added, err := db.AddLog(c.Context, origin, vkeys...)
					if err != nil {
						return witnessDBError(err)
					}
					l, _, err := db.Log(c.Context, origin)
					if err != nil {
						return err
					}
					if c.Bool("json") {
						return writeJSON(e.stdout, map[string]any{"log": l, "new_log": added.NewLog, "added": nonNil(added.Keys), "already": nonNil(added.Already)})
					}
					if added.NewLog {
						fmt.Fprintf(e.stdout, "log %s added at size 0: its first checkpoint is cosigned as it comes, each later one as a consistent extension\n", safetext.Line(origin))
					}
					for _, k := range added.Keys {
						fmt.Fprintf(e.stdout, "key %s added to log %s\n", safetext.Line(k), safetext.Line(origin))
					}
					for _, k := range added.Already {
						fmt.Fprintf(e.stdout, "key %s: log %s has it already\n", safetext.Line(k), safetext.Line(origin))
					}
					return nil
				},
			},
			{
				Name: "list", Usage: "list the logs the witness cosigns: the size and root it last cosigned, their keys",
				Flags: []cli.Flag{witnessDBFlag(), boolean("json", "print JSON")},
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					in := newInputs(c, e.now())
					dbPath := in.required("db")
					if err := in.err(); err != nil {
						return err
					}
					db, err := openWitnessDB(c.Context, dbPath, false)
					if err != nil {
						return err
					}
					defer db.Close()
					logs, err := db.Logs(c.Context)
					if err != nil {
						return err
					}
					if logs == nil {
						logs = []cosigner.Log{}
					}
					if c.Bool("json") {
						return writeJSON(e.stdout, logs)
					}
					if len(logs) == 0 {
						fmt.Fprintln(e.stderr, `no log: the witness cosigns nothing (add one with "breachledger witness log add ORIGIN VKEY --db FILE")`)
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "ORIGIN\tSIZE\tROOT\tKEY")
					for _, l := range logs {
						keys := l.Keys
						if len(keys) == 0 {
							keys = []string{"(none: its checkpoints are refused, 403)"}
						}
						for _, k := range keys {
							fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", safetext.Line(l.Origin), l.Size, base64.StdEncoding.EncodeToString(l.Root), safetext.Line(k))
						}
					}
					return tw.Flush()
				},
			},
			{
				Name: "remove-key", Usage: "stop trusting one of a log's keys (the log stays: an origin is never removed)", ArgsUsage: "ORIGIN VKEY",
				Description: "VKEY is the key as \"witness log list\" shows it, or a file holding it.",
				Flags:       []cli.Flag{witnessDBFlag()},
				Action: func(c *cli.Context) error {
					in := newInputs(c, e.now())
					origin := in.arg("ORIGIN")
					vkey := logKeyArg(in, in.arg("VKEY"))
					dbPath := in.required("db")
					if err := in.err(); err != nil {
						return err
					}
					db, err := openWitnessDB(c.Context, dbPath, false)
					if err != nil {
						return err
					}
					defer db.Close()
					commit(c, "while the witness database was being changed: it was finished, as printed above")
					left, err := db.RemoveKey(c.Context, origin, vkey)
					if err != nil {
						return witnessDBError(err)
					}
					fmt.Fprintf(e.stdout, "key %s removed from log %s: %d key(s) left\n", safetext.Line(vkey), safetext.Line(origin), left)
					if left == 0 {
						fmt.Fprintf(e.stdout, "log %s has no key left: its checkpoints are refused (403) until one is added (witness log add)\n", safetext.Line(origin))
					}
					return nil
				},
			},
		},
	}
}

// openWitnessDB opens --db, saying what to do when it is missing or not a
// witness database.
func openWitnessDB(ctx context.Context, path string, create bool) (*cosigner.DB, error) {
	db, err := cosigner.Open(ctx, path, create)
	switch {
	case errors.Is(err, cosigner.ErrNotFound):
		return nil, &domain.NotFoundError{What: "witness database", ID: path, Hint: "add a log first, which makes it: breachledger witness log add ORIGIN VKEY --db " + path}
	case errors.Is(err, cosigner.ErrNotWitnessDB):
		return nil, usageError{fmt.Errorf("--db: %s", strings.TrimSuffix(err.Error(), ": "+cosigner.ErrNotWitnessDB.Error()))}
	}
	return db, err
}

// witnessDBError maps the witness database's errors to exit codes.
func witnessDBError(err error) error {
	switch {
	case errors.Is(err, cosigner.ErrInvalid):
		return logKeyRefusal(err)
	case errors.Is(err, cosigner.ErrNotFound):
		return &domain.NotFoundError{What: "log or key", ID: strings.TrimSuffix(err.Error(), ": "+cosigner.ErrNotFound.Error()), Hint: `"breachledger witness log list --db FILE" lists them`}
	}
	return err
}

// logKeyRefusal is a log key the witness does not take: a usage error
// (exit 2) naming the rule.
func logKeyRefusal(err error) error {
	return usageError{fmt.Errorf("refused by rule witness-log-key: %s", strings.TrimSuffix(err.Error(), ": "+cosigner.ErrInvalid.Error()))}
}

// logKeyArg returns the log key arg gives: the key, or the contents of a
// file holding it. A problem is recorded in in.
func logKeyArg(in *inputs, arg string) string {
	if arg == "" {
		return ""
	}
	b, err := os.ReadFile(arg)
	switch {
	case err == nil:
		if k := strings.TrimSpace(string(b)); k != "" {
			return k
		}
		in.failf("VKEY file %s is empty: want a log's verifier key NAME+HASH+BASE64", safetext.Quote(arg))
		return ""
	case errors.Is(err, fs.ErrNotExist) && strings.Count(arg, "+") >= 2:
		return strings.TrimSpace(arg)
	}
	in.failf("VKEY %s: neither a log's verifier key (NAME+HASH+BASE64) nor a file holding one: %v", safetext.Quote(abridgeArg(arg)), err)
	return ""
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
