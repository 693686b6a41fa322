// Command breachledger records security incidents and personal-data breaches
// as an immutable, tamper-evident ledger of events, and reads their state,
// timeline and notification deadlines back.
package main

import (
	"context"
	"os"
	"time"
)

func main() {
	// SIGINT and SIGTERM cancel the command's context (signals.go).
	os.Exit(run(notifySignals(context.Background()), os.Args, os.Stdout, os.Stderr, time.Now))
}
