//go:build noesdb

package stores_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/stores"
)

// TestNoESDB: a binary built with -tags noesdb refuses esdb:// locations,
// saying how to get one that opens them, without the password.
func TestNoESDB(t *testing.T) {
	for _, loc := range []string{"esdb://u:secret@db1:2113", "esdb+discover://cluster:2113"} {
		_, err := stores.Open(context.Background(), loc, stores.Options{})
		if !errors.Is(err, stores.ErrNoESDB) || strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "-tags noesdb") {
			t.Errorf("Open(%s): %v, want ErrNoESDB without the password", loc, err)
		}
		if _, err := stores.ESDBPrefix(loc); !errors.Is(err, stores.ErrNoESDB) {
			t.Errorf("ESDBPrefix(%s): %v, want ErrNoESDB", loc, err)
		}
	}
}
