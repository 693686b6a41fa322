package main_test

import (
	"os"
	"os/signal"
	"syscall"
)

// The program catches SIGINT and SIGTERM from its first moments (package
// early), but only its main reads them: in this test binary, which links
// the program's packages without running its main, they would be caught
// and dropped, and Ctrl-C would not stop "go test". Give them back their
// default action. (The signal tests run the built binary.)
func init() { signal.Reset(os.Interrupt, syscall.SIGTERM) }
