package esdbtest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: the server
// starts one per connection.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
