package notary_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind (the SQLite
// stores these tests open, and a notary's Run, must stop with them).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
