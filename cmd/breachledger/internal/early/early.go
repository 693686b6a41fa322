// Package early catches SIGINT and SIGTERM from the program's first
// moments: its init runs as soon as os/signal's has, before the
// initialisation of the larger packages (gRPC, SQLite, the CLI) that
// precede main. A signal before it still ends the process the default way;
// nothing has been done by then.
package early

import (
	"os"
	"os/signal"
	"syscall"
)

// Signals receives the first SIGINT or SIGTERM (later ones are dropped
// while it is full).
var Signals = make(chan os.Signal, 1)

func init() { signal.Notify(Signals, os.Interrupt, syscall.SIGTERM) }
