package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
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
memory when there is nowhere to keep them), caught up before every request.
It prints the address it listens on, then one log line per request on
stderr.

TLS: --tls-cert FILE --tls-key FILE (both, PEM: the certificate with its
chain, and its private key) serve HTTPS, TLS 1.2 at least. The files are
read again when they change, so a renewed certificate (certbot, ACME) is
used from the next connection without a restart; one that does not load is
logged and the last good one kept.

Host check (against DNS rebinding): a request whose Host is not allowed
gets 421, before its token is looked at. On loopback (127.0.0.0/8, ::1,
localhost) localhost, 127.0.0.1, ::1 and the address listened on are
allowed, and any --allow-host NAME besides. Listening beyond loopback
(0.0.0.0, ::, a LAN address, a name resolving to one) needs at least one
--allow-host: then only the names given are allowed. It also needs TLS,
or --plaintext when a proxy in front terminates TLS: bearer tokens must
not cross a network in clear.

Examples:
  breachledger serve --listen 127.0.0.1:8080
  curl -H "Authorization: Bearer $TOKEN" 'http://127.0.0.1:8080/v1/deadlines?due_within=24h'
  open http://127.0.0.1:8080/board#token=$TOKEN

  breachledger serve --listen 0.0.0.0:8443 --allow-host ledger.example.com \
    --tls-cert /etc/letsencrypt/live/ledger.example.com/fullchain.pem \
    --tls-key /etc/letsencrypt/live/ledger.example.com/privkey.pem
  curl -H "Authorization: Bearer $TOKEN" https://ledger.example.com:8443/v1/position

  breachledger serve --listen 10.0.0.7:8080 --allow-host ledger.example.com --plaintext   # behind a TLS proxy`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", Usage: "the `ADDRESS` to listen on (port 0: any free port); beyond loopback it needs --allow-host, and TLS or --plaintext"},
			str("key", "check the signature of the checkpoints reports are built from with the ledger's public key"),
			cacheFlag,
			&cli.StringFlag{Name: "tls-cert", Usage: "serve HTTPS with the certificate (and chain) in PEM `FILE`; needs --tls-key; read again when it changes"},
			&cli.StringFlag{Name: "tls-key", Usage: "the private key of --tls-cert, in PEM `FILE`"},
			&cli.StringSliceFlag{Name: "allow-host", Usage: "answer requests for Host `NAME` (a host name or IP address, no port; repeatable); others get 421"},
			&cli.BoolFlag{Name: "plaintext", Usage: "serve plain HTTP beyond loopback: only when a proxy in front of it terminates TLS"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			// The network flags are checked before the ledger is opened:
			// a refusal serves nothing.
			nc, err := checkServeNet(c)
			if err != nil {
				return err
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
				ln, err := net.Listen("tcp", nc.listen)
				if err != nil {
					return usageError{fmt.Errorf("--listen: %w", err)}
				}
				defer ln.Close()
				log := slog.New(slog.NewTextHandler(e.stderr, nil))
				hosts, err := nc.allowed(ln.Addr())
				if err != nil {
					return err
				}
				api, err := httpapi.AllowHosts((&httpapi.Server{Store: st, Kept: kept, Now: e.now, Log: log, Key: key}).Handler(), hosts, log)
				if err != nil {
					return usageError{fmt.Errorf("--allow-host: %w", err)}
				}
				// Requests run on a context of their own, not the
				// command's: a signal stops the server taking new
				// requests, and lets those in flight finish.
				base, cancelRequests := context.WithCancel(context.WithoutCancel(c.Context))
				defer cancelRequests()
				srv := &http.Server{
					Handler:           api,
					ReadHeaderTimeout: 10 * time.Second,
					ReadTimeout:       30 * time.Second,
					WriteTimeout:      5 * time.Minute,
					IdleTimeout:       2 * time.Minute,
					BaseContext:       func(net.Listener) context.Context { return base },
					ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
				}
				scheme := "http"
				if nc.tls != nil {
					scheme = "https"
					nc.tls.log = log
					if leaf, now := nc.tls.cert.Leaf, e.now(); leaf != nil && (now.After(leaf.NotAfter) || now.Before(leaf.NotBefore)) {
						log.Warn("the TLS certificate is not valid now: clients will refuse it", "cert", nc.tls.certFile, "not_before", leaf.NotBefore.UTC().Format(time.RFC3339), "not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
					}
					srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: nc.tls.getCertificate}
				}
				fmt.Fprintf(e.stdout, "listening on %s://%s (read models at position %d; board at %s://%s/board)\n", scheme, ln.Addr(), p.To, scheme, ln.Addr())
				log.Info("host check", "allowed", strings.Join(hosts, ","))
				done := make(chan error, 1)
				go func() {
					if nc.tls != nil {
						done <- srv.ServeTLS(ln, "", "")
						return
					}
					done <- srv.Serve(ln)
				}()
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

// serveNet is what serve's network flags ask for, checked before anything
// is opened.
type serveNet struct {
	listen string
	// loopback: every address --listen names is a loopback one.
	loopback bool
	// name is --listen's host when it is a name (not an IP address).
	name string
	// hosts are the --allow-host names, normalized.
	hosts []string
	// tls is nil for plain HTTP.
	tls *certFiles
}

// checkServeNet checks --listen, --allow-host, --tls-cert, --tls-key and
// --plaintext together. Listening beyond loopback needs at least one
// --allow-host (the Host check against DNS rebinding), and TLS or
// --plaintext (a bearer token must not cross a network in clear unless a
// proxy in front terminates TLS).
func checkServeNet(c *cli.Context) (*serveNet, error) {
	nc := &serveNet{listen: c.String("listen")}
	for _, h := range c.StringSlice("allow-host") {
		n, err := httpapi.NormalizeHost(h)
		if err != nil {
			return nil, usageError{fmt.Errorf("--allow-host: %w", err)}
		}
		nc.hosts = append(nc.hosts, n)
	}
	certFile, keyFile := c.String("tls-cert"), c.String("tls-key")
	switch {
	case certFile != "" && keyFile == "":
		return nil, usagef("--tls-cert needs --tls-key: give the certificate's private key too (PEM)")
	case certFile == "" && keyFile != "":
		return nil, usagef("--tls-key needs --tls-cert: give the certificate (PEM, with its chain) too")
	case certFile != "" && c.Bool("plaintext"):
		return nil, usagef("--plaintext with --tls-cert: give one or the other (--plaintext is for a server behind a proxy that terminates TLS)")
	case certFile != "":
		cf, err := loadCertFiles(certFile, keyFile)
		if err != nil {
			return nil, usageError{err}
		}
		nc.tls = cf
	}
	host, _, err := net.SplitHostPort(nc.listen)
	if err != nil {
		return nil, usageError{fmt.Errorf("--listen: %w", err)}
	}
	if nc.loopback, err = loopbackOnly(c.Context, host); err != nil {
		return nil, usageError{fmt.Errorf("--listen: %w", err)}
	}
	if _, perr := netip.ParseAddr(host); perr != nil && host != "" {
		nc.name = strings.ToLower(host)
	}
	if nc.loopback {
		return nc, nil
	}
	if len(nc.hosts) == 0 {
		return nil, usagef("--listen %s listens beyond loopback: give the names clients reach this server by with --allow-host NAME (repeatable); a request for any other Host is refused (Host check against DNS rebinding)", nc.listen)
	}
	if nc.tls == nil && !c.Bool("plaintext") {
		return nil, usagef("--listen %s listens beyond loopback without TLS: bearer tokens would cross the network in clear; give --tls-cert FILE --tls-key FILE, or --plaintext when a proxy in front of serve terminates TLS", nc.listen)
	}
	return nc, nil
}

// loopbackOnly reports whether host (--listen's, "" for every interface)
// is a loopback address, or a name resolving to loopback addresses only.
func loopbackOnly(ctx context.Context, host string) (bool, error) {
	if host == "" {
		return false, nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().IsLoopback(), nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return false, fmt.Errorf("resolve %s: %w", host, err)
	}
	for _, a := range addrs {
		if !a.Unmap().IsLoopback() {
			return false, nil
		}
	}
	return len(addrs) > 0, nil
}

// allowed returns the Host allowlist for a listener bound to addr: the
// --allow-host names; on loopback, also localhost, 127.0.0.1, ::1, the
// address bound and the name --listen gave. A listener found bound beyond
// loopback when --listen named loopback (a resolver answering differently
// the second time) is refused.
func (nc *serveNet) allowed(addr net.Addr) ([]string, error) {
	if !nc.loopback {
		return nc.hosts, nil
	}
	ta, ok := addr.(*net.TCPAddr)
	if !ok || !ta.IP.IsLoopback() {
		return nil, usagef("--listen %s: bound to %s, beyond loopback: give that address to --listen with --allow-host NAME (Host check against DNS rebinding)", nc.listen, addr)
	}
	hosts := []string{"localhost", "127.0.0.1", "::1", ta.IP.String()}
	if nc.name != "" {
		hosts = append(hosts, nc.name)
	}
	return append(hosts, nc.hosts...), nil
}

// certFiles is a TLS certificate and its key read from PEM files, read
// again when either file changes (its modification time or size), so a
// renewal needs no restart. A pair that does not load is logged, once per
// change, and the last good pair is kept.
type certFiles struct {
	certFile, keyFile string
	log               *slog.Logger // set before serving

	mu         sync.Mutex
	cert       *tls.Certificate
	stamp      [2]fileStamp // of the pair loaded
	failed     [2]fileStamp // of the last pair that did not load
	lastFailed error
}

// fileStamp is what tells a changed file.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(name string) (fileStamp, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.ModTime(), fi.Size()}, nil
}

// loadCertFiles reads the pair at start-up; its error names the flag at
// fault.
func loadCertFiles(certFile, keyFile string) (*certFiles, error) {
	cf := &certFiles{certFile: certFile, keyFile: keyFile}
	st, err := cf.stamps()
	if err != nil {
		return nil, err
	}
	cert, err := loadPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	cf.cert, cf.stamp = cert, st
	return cf, nil
}

func (cf *certFiles) stamps() ([2]fileStamp, error) {
	c, err := stampOf(cf.certFile)
	if err != nil {
		return [2]fileStamp{}, fmt.Errorf("--tls-cert: %w", err)
	}
	k, err := stampOf(cf.keyFile)
	if err != nil {
		return [2]fileStamp{}, fmt.Errorf("--tls-key: %w", err)
	}
	return [2]fileStamp{c, k}, nil
}

// getCertificate is tls.Config.GetCertificate: the pair, read again first
// when a file changed.
func (cf *certFiles) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	st, err := cf.stamps()
	if err != nil || st == cf.stamp {
		if err != nil && (cf.lastFailed == nil || cf.lastFailed.Error() != err.Error()) {
			cf.lastFailed = err
			cf.logger().Error("TLS certificate not reloaded; serving the last one loaded", "error", err.Error())
		}
		return cf.cert, nil
	}
	if st == cf.failed {
		return cf.cert, nil
	}
	cert, err := loadPair(cf.certFile, cf.keyFile)
	if err != nil {
		// A renewal half written (the certificate, not yet its key) fails
		// here, and loads at the next handshake after the key is written.
		cf.failed, cf.lastFailed = st, err
		cf.logger().Error("TLS certificate not reloaded; serving the last one loaded", "error", err.Error())
		return cf.cert, nil
	}
	cf.cert, cf.stamp, cf.lastFailed = cert, st, nil
	cf.logger().Info("TLS certificate reloaded", "cert", cf.certFile, "subject", cert.Leaf.Subject.String(), "not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	return cert, nil
}

func (cf *certFiles) logger() *slog.Logger {
	if cf.log != nil {
		return cf.log
	}
	return slog.New(slog.DiscardHandler)
}

// loadPair reads a PEM certificate chain and its private key, and names the
// flag at fault when they do not load or do not match.
func loadPair(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert: %w", err)
	}
	var block *pem.Block
	for rest := certPEM; ; {
		if block, rest = pem.Decode(rest); block == nil || block.Type == "CERTIFICATE" {
			break
		}
	}
	if block == nil {
		return nil, fmt.Errorf("--tls-cert %s: no PEM CERTIFICATE block: give the certificate (then its chain) in PEM", certFile)
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return nil, fmt.Errorf("--tls-cert %s: parse certificate: %w", certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("--tls-key %s: %w: give the private key of the certificate in --tls-cert %s, in PEM", keyFile, err, certFile)
	}
	return &cert, nil
}
