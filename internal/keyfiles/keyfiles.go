// Package keyfiles reads and writes the key files of breachledger: the
// ledger key and its public key, witness keys, SSH private keys. Package
// integrity parses and checks keys from their bytes; the files, their
// places and their modes are here.
package keyfiles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/integrity"
)

// Key files. The private key file holds the encoded signer key and nothing
// else; the public key file (the same path + ".pub") the verifier key.

// WriteLedgerKey writes a new ledger key to path (mode 0600, in a directory
// created with mode 0700 if missing) and its public key to path+".pub"
// (mode 0644). It never overwrites a key.
func WriteLedgerKey(path, skey, vkey string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write ledger key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write ledger key: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write ledger key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write ledger key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write ledger key: %w", err)
	}
	if err := os.WriteFile(path+".pub", []byte(vkey+"\n"), 0o644); err != nil {
		return fmt.Errorf("write ledger public key: %w", err)
	}
	return nil
}

// ReadLedgerKey reads a private key file written by WriteLedgerKey. It
// refuses a file that others than its owner may read.
func ReadLedgerKey(path string) (*integrity.LedgerKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read ledger key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("read ledger key %s: mode %04o lets others read it; make it 0600 (chmod 600 %s)", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ledger key: %w", err)
	}
	k, err := integrity.ParseLedgerKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("read ledger key %s: %w", path, err)
	}
	return k, nil
}

// ReadPublicKey reads a public key: the contents of file arg, or arg itself
// when it is not a file but an encoded key.
func ReadPublicKey(arg string) (*integrity.PublicKey, error) {
	b, err := os.ReadFile(arg)
	switch {
	case err == nil:
		return integrity.ParsePublicKey(string(b))
	case errors.Is(err, fs.ErrNotExist) && strings.Count(arg, "+") >= 2:
		return integrity.ParsePublicKey(arg)
	}
	return nil, fmt.Errorf("read ledger public key: %w", err)
}

// ReadWitnessKey reads a witness key: the contents of file arg, or arg
// itself when it is not a file but an encoded key.
func ReadWitnessKey(arg string) (*integrity.WitnessKey, error) {
	b, err := os.ReadFile(arg)
	switch {
	case err == nil:
		return integrity.ParseWitnessKey(string(b))
	case errors.Is(err, fs.ErrNotExist) && strings.Count(arg, "+") >= 2:
		return integrity.ParseWitnessKey(arg)
	}
	return nil, fmt.Errorf("read witness key: %w", err)
}

// ReadSSHSigner reads an SSH private key file (as ssh-keygen writes it).
// An encrypted key needs its passphrase; nil means none.
func ReadSSHSigner(path string, passphrase []byte) (ssh.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read SSH key: %w", err)
	}
	var s ssh.Signer
	if passphrase != nil {
		s, err = ssh.ParsePrivateKeyWithPassphrase(b, passphrase)
	} else {
		s, err = ssh.ParsePrivateKey(b)
	}
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("read SSH key %s: it is encrypted; load it into ssh-agent and sign with --ssh-agent, or set BREACHLEDGER_SIGN_KEY_PASSPHRASE", path)
	}
	if err != nil {
		return nil, fmt.Errorf("read SSH key %s: %w", path, err)
	}
	return s, nil
}
