package httpapi_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind.
// The kept views' MAC key (readmodel, key.go) goes to a configuration
// directory of the run's own, removed at the end.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "breachledger-config-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}
