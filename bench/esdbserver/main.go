// Command esdbserver runs the in-process EventStoreDB test server
// (eventstore/esdb/esdbtest) as a process of its own, so that a benchmark
// can measure breachledger CLI processes against it without the server's
// work being counted in theirs:
//
//	esdbserver -addr 127.0.0.1:0
//
// It listens on -addr (plain gRPC, no TLS, no users), prints the
// connection string (esdb://127.0.0.1:PORT?tls=false) on a line of stdout,
// and serves from memory until SIGTERM or SIGINT. It is test support, not a
// database: everything is lost when it exits.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (host:port; port 0 picks a free one)")
	flag.Parse()
	srv, err := esdbtest.Listen(esdbtest.Options{Addr: *addr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "esdbserver:", err)
		os.Exit(1)
	}
	fmt.Println(srv.URL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	srv.Stop()
}
