// Package viewkey keeps the user's MAC key for what breachledger keeps in
// the user cache directory (the kept views, package readmodel; the
// EventStoreDB rank files, esdb.Options.RankKey).
//
// Kept rows are trusted for an answer only under a MAC whose
// key is kept outside the cache: whoever can write the cache file (it is
// derived data, and a copy may travel) must not be able to forge rows. The
// key is the reading user's: 32 random bytes, hex, in
// os.UserConfigDir()/breachledger/views.key (mode 0600, in a directory of
// mode 0700), made on first use.
//
// The trust rule: the directory must be a directory owned by the user and
// writable by no one else, or no key is used (ErrNoKey: the caller keeps no
// views and answers from the log). A key file that is not a regular file
// owned by the user with mode 0600 (others may have read it, or put it
// there), or that does not hold a key, is replaced by a fresh key: rows
// kept under the old one are then rebuilt from the log, never trusted.
package viewkey

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/breachledger/breachledger/internal/cachedir"
)

// KeyFile is the key's file name in the user's configuration directory
// (under breachledger/).
const KeyFile = "views.key"

// ErrNoKey: there is no trusted place for the MAC key (no configuration
// directory, or one that others may write). Kept views are not used then:
// answer from the log. With no configuration directory at all (or one that
// cannot be made) it also wraps cachedir.ErrNone: nowhere, as with no cache.
var ErrNoKey = errors.New("no place to keep the kept views' MAC key")

// keyLen is the MAC key's length in bytes.
const keyLen = 32

// Load returns the user's key, from its file, made when missing. The error
// wraps ErrNoKey when there is no trusted place for it.
func Load() ([]byte, error) {
	key, _, err := LoadFresh()
	return key, err
}

// LoadFresh is Load, and says whether the key was made now (fresh): what
// was kept under a key before cannot be under this one.
func LoadFresh() (key []byte, fresh bool, err error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w (%v): set XDG_CONFIG_HOME or HOME", ErrNoKey, cachedir.ErrNone, err)
	}
	return keyIn(filepath.Join(base, "breachledger"))
}

// Random returns a fresh random key of the same length, for what is kept
// in memory only (nothing outlives it).
func Random() []byte {
	b := make([]byte, keyLen)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	return b
}

// keyIn reads (or makes) the key file in dir, under the trust rule.
func keyIn(dir string) ([]byte, bool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("%w: %w: %v", ErrNoKey, cachedir.ErrNone, err) // a read-only home: nowhere, as with no cache
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrNoKey, err)
	}
	if !fi.IsDir() || !cachedir.OwnedByMe(fi) || fi.Mode().Perm()&0o022 != 0 {
		return nil, false, fmt.Errorf("%w: %s is not a directory of yours that only you may write (mode %04o); make it so (chmod 700 %s)", ErrNoKey, dir, fi.Mode().Perm(), dir)
	}
	path := filepath.Join(dir, KeyFile)
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() && cachedir.OwnedByMe(fi) && fi.Mode().Perm()&0o077 == 0 {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, false, fmt.Errorf("%w: %v", ErrNoKey, err)
		}
		if k, err := hex.DecodeString(strings.TrimSpace(string(b))); err == nil && len(k) == keyLen {
			return k, false, nil
		}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("%w: %v", ErrNoKey, err)
	}
	// Missing, or not to be trusted: a fresh key, written whole under a
	// temporary name first. A key file that another process made meanwhile
	// wins (Link refuses to replace), unless there was one to replace.
	key := Random()
	tmp, err := os.CreateTemp(dir, ".views.key-*")
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrNoKey, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return nil, false, fmt.Errorf("%w: %v", ErrNoKey, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, false, fmt.Errorf("%w: %v", ErrNoKey, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrNoKey, err)
	}
	if _, err := os.Lstat(path); err == nil {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return nil, false, fmt.Errorf("%w: %v", ErrNoKey, err)
		}
		return key, true, nil
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return keyIn(dir) // another process made it first
	} else if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrNoKey, err)
	}
	return key, true, nil
}
