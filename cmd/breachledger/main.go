// Command breachledger records security incidents and personal-data breaches
// as an immutable, tamper-evident ledger of events, and reads their state,
// timeline and notification deadlines back.
package main

import (
	"context"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args, os.Stdout, os.Stderr, time.Now)
	stop()
	os.Exit(code)
}
