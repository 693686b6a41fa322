package integrity

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: the
// ssh-agent tests serve an agent, one goroutine per connection.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
