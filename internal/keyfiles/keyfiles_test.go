package keyfiles_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/keyfiles"
)

// TestLedgerKeyFiles: the private key is written with mode 0600 in a
// directory made with mode 0700, the public key beside it with 0644, a
// key is never overwritten, and a private key others may read is refused.
func TestLedgerKeyFiles(t *testing.T) {
	skey, vkey, err := integrity.GenerateLedgerKey("example.org/ledger")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys", "ledger.key")
	if err := keyfiles.WriteLedgerKey(path, skey, vkey); err != nil {
		t.Fatal(err)
	}
	for p, mode := range map[string]fs.FileMode{filepath.Dir(path): 0o700, path: 0o600, path + ".pub": 0o644} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&^mode != 0 {
			t.Errorf("%s: %v, mode %v, want at most %v", p, err, fi.Mode(), mode)
		}
	}
	if err := keyfiles.WriteLedgerKey(path, skey, vkey); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteLedgerKey over a key: %v, want fs.ErrExist", err)
	}
	k, err := keyfiles.ReadLedgerKey(path)
	if err != nil || k.Origin() != "example.org/ledger" {
		t.Fatalf("ReadLedgerKey: %v, %v", k, err)
	}
	for _, arg := range []string{path + ".pub", vkey} {
		if _, err := keyfiles.ReadPublicKey(arg); err != nil {
			t.Errorf("ReadPublicKey(%s): %v", arg, err)
		}
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := keyfiles.ReadLedgerKey(path); err == nil || !strings.Contains(err.Error(), "lets others read it; make it 0600") {
		t.Errorf("ReadLedgerKey of a key others may read: %v", err)
	}
	if _, err := keyfiles.ReadWitnessKey(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadWitnessKey of a missing file: %v", err)
	}
}
