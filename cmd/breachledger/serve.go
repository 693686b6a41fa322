package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/httpapi"
	"github.com/breachledger/breachledger/integrity"
)

func (e *env) serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the read-only HTTP API for reporting jobs, and the deadline board",
		Description: `JSON for incidents, one incident, deadlines (the CLI's filters), the breach
register, reports and the raw events after a position; the OpenAPI document
at /v1/openapi.json; the deadline board at /board. Every data endpoint needs a
bearer token ("breachledger token issue NAME"); nothing can be written.

The views come from read models kept with their position in a file under
the user cache directory (--cache FILE; never the ledger's own file; in
memory when there is nowhere to keep them), caught up before every request. It prints the address it listens on, then one log line per request
on stderr.

Examples:
  breachledger serve --listen 127.0.0.1:8080
  curl -H "Authorization: Bearer $TOKEN" 'http://127.0.0.1:8080/v1/deadlines?due_within=24h'
  open http://127.0.0.1:8080/board#token=$TOKEN`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", Usage: "the `ADDRESS` to listen on (port 0: any free port)"},
			str("key", "check the signature of the checkpoints reports are built from with the ledger's public key"),
			cacheFlag,
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			var key *integrity.PublicKey
			if k := c.String("key"); k != "" {
				var err error
				if key, err = readPublicKey(k); err != nil {
					return err
				}
			}
			return e.withLiveReader(c, func(st eventstore.Store) error {
				if _, err := readLedger(c, st); err != nil {
					return err
				}
				kept, err := openKept(c, st)
				if err != nil {
					return err
				}
				defer kept.Close()
				p, err := kept.CatchUp(c.Context, e.now())
				if err != nil {
					return err
				}
				ln, err := net.Listen("tcp", c.String("listen"))
				if err != nil {
					return usageError{fmt.Errorf("--listen: %w", err)}
				}
				log := slog.New(slog.NewTextHandler(e.stderr, nil))
				// Requests run on a context of their own, not the
				// command's: a signal stops the server taking new
				// requests, and lets those in flight finish.
				base, cancelRequests := context.WithCancel(context.WithoutCancel(c.Context))
				defer cancelRequests()
				srv := &http.Server{
					Handler:           (&httpapi.Server{Store: st, Kept: kept, Now: e.now, Log: log, Key: key}).Handler(),
					ReadHeaderTimeout: 10 * time.Second,
					ReadTimeout:       30 * time.Second,
					WriteTimeout:      5 * time.Minute,
					IdleTimeout:       2 * time.Minute,
					BaseContext:       func(net.Listener) context.Context { return base },
				}
				fmt.Fprintf(e.stdout, "listening on http://%s (read models at position %d; board at http://%s/board)\n", ln.Addr(), p.To, ln.Addr())
				done := make(chan error, 1)
				go func() { done <- srv.Serve(ln) }()
				select {
				case err := <-done:
					return err
				case <-c.Context.Done():
				}
				// A signal is how serve ends: close the listener, let the
				// requests in flight finish, and exit 0 (signals.go).
				sig := signalOf(c.Context)
				commit(c, "")
				var once sync.Once // Shutdown runs this once the listener is closed (twice past the grace)
				srv.RegisterOnShutdown(func() {
					once.Do(func() {
						log.Info("shutting down: no new requests; waiting for those in flight", "signal", signalName(sig), "grace", shutdownGrace.String())
					})
				})
				err = shutdown(srv, cancelRequests)
				if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
					err = serr
				}
				if err != nil {
					return err
				}
				log.Info("stopped")
				return nil
			})
		},
	}
}

// shutdownGrace is how long serve waits, after a signal, for the requests
// in flight to finish.
const shutdownGrace = 10 * time.Second

// shutdown stops srv taking requests and waits up to shutdownGrace for
// those in flight. Past it, it cancels them (cancelRequests), waits up to
// 2 s more for them to return (one still running then may find the store
// closed under it), closes their connections and reports it: exit 1.
func shutdown(srv *http.Server, cancelRequests context.CancelFunc) error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err == nil {
		return nil
	}
	cancelRequests()
	ctx, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	_ = srv.Shutdown(ctx) // waits for them to see it (its error: the listener, closed already)
	srv.Close()
	return fmt.Errorf("serve: requests still running %s after the signal were cancelled: %w", shutdownGrace, err)
}
