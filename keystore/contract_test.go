package keystore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/keystore/keystoretest"
)

func TestFileContract(t *testing.T) {
	keystoretest.Run(t, func(t *testing.T) keystore.Store {
		s, err := keystore.New(context.Background(), filepath.Join(t.TempDir(), "keys.db"), keystore.GenerateKEK())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
