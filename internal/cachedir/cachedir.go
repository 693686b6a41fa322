// Package cachedir says where breachledger keeps what it derives from a
// ledger and can always derive again (the kept views, and EventStoreDB
// ledgers' rank files), and which places it trusts for that. There is
// one location and one trust rule for every kept thing:
//
//   - the location is breachledger/ under the user's cache directory
//     (os.UserCacheDir: $XDG_CACHE_HOME, else $HOME/.cache on Unix), made
//     with mode 0700 when missing; never beside or inside the ledger file;
//   - the directory is trusted only if it is a directory (not a symbolic
//     link), owned by the user running breachledger, and writable by no one
//     else (no group or world write bit), and its parent is writable by no
//     one else either unless it has the sticky bit (as /tmp): otherwise
//     another user could swap what a reader takes for its views;
//   - a kept file in it is trusted only if it is a regular file owned by the
//     user and writable by no one else;
//   - what is kept there is still never trusted for an answer that matters
//     without its own check against the log (the views carry the position
//     and the last event they were derived from, and are rebuilt when the
//     log no longer has that event there).
//
// When there is no such location (no HOME or XDG_CACHE_HOME, a read-only
// home, a container), Dir returns an error wrapping ErrNone, and callers
// answer from the log instead: slower, never failing. When the location
// exists but breaks the trust rule, the error wraps ErrUntrusted and says
// what to do.
package cachedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Name is the directory under the user's cache directory.
const Name = "breachledger"

var (
	// ErrNone: no cache location can be used here (none is configured, or
	// it cannot be created or written).
	ErrNone = errors.New("no cache directory")
	// ErrUntrusted: the cache location, or a file in it, breaks the trust
	// rule (owned by another user, writable by others, a symbolic link).
	ErrUntrusted = errors.New("untrusted cache location")
)

// Dir returns the cache directory, making it (mode 0700) when missing,
// after checking it against the trust rule.
func Dir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find cache directory: %w: %v", ErrNone, err)
	}
	return In(base)
}

// In is Dir with base in place of the user's cache directory.
func In(base string) (string, error) {
	if !filepath.IsAbs(base) {
		return "", fmt.Errorf("find cache directory: %w: %s is not an absolute path", ErrNone, base)
	}
	dir := filepath.Join(base, Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("make cache directory %s: %w: %v", dir, ErrNone, err)
	}
	if err := checkDir(dir); err != nil {
		return "", err
	}
	if err := checkParent(filepath.Dir(dir)); err != nil {
		return "", err
	}
	if err := writable(dir); err != nil {
		return "", fmt.Errorf("use cache directory %s: %w: %v", dir, ErrNone, err)
	}
	return dir, nil
}

// File returns the path of the kept file named name in the cache
// directory, checking the directory and, when it exists, the file.
func File(name string) (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	return fileIn(dir, name)
}

// FileIn is File with base in place of the user's cache directory.
func FileIn(base, name string) (string, error) {
	dir, err := In(base)
	if err != nil {
		return "", err
	}
	return fileIn(dir, name)
}

func fileIn(dir, name string) (string, error) {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("name kept file %q: a plain file name is needed", name)
	}
	path := filepath.Join(dir, name)
	if err := CheckFile(path); err != nil {
		return "", err
	}
	return path, nil
}

// CheckFile checks a kept file against the trust rule: when it exists, a
// regular file (not a symbolic link) owned by this user and writable by no
// one else. A missing file passes.
func CheckFile(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check kept file %s: %w", path, err)
	}
	switch {
	case !fi.Mode().IsRegular():
		return fmt.Errorf("check kept file %s: %w: it is not a regular file (%s): remove it", path, ErrUntrusted, fi.Mode().Type())
	case !OwnedByMe(fi):
		return fmt.Errorf("check kept file %s: %w: it is owned by another user: remove it", path, ErrUntrusted)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("check kept file %s: %w: others may write it (mode %04o): remove it, or chmod go-w it", path, ErrUntrusted, fi.Mode().Perm())
	}
	return nil
}

func checkDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check cache directory %s: %w: %v", dir, ErrNone, err)
	}
	switch {
	case !fi.IsDir():
		return fmt.Errorf("check cache directory %s: %w: it is not a directory (%s): remove it, or set XDG_CACHE_HOME elsewhere", dir, ErrUntrusted, fi.Mode().Type())
	case !OwnedByMe(fi):
		return fmt.Errorf("check cache directory %s: %w: it is owned by another user: set XDG_CACHE_HOME to a directory of your own", dir, ErrUntrusted)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("check cache directory %s: %w: others may write it (mode %04o): chmod 700 it", dir, ErrUntrusted, fi.Mode().Perm())
	}
	return nil
}

// checkParent refuses a parent others may write (they could replace the
// directory), unless its sticky bit stops them (as /tmp's).
func checkParent(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("check cache directory %s: %w: %v", dir, ErrNone, err)
	}
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("check cache directory %s: %w: others may write it (mode %04o) and could replace %s in it: chmod go-w it, or set XDG_CACHE_HOME elsewhere", dir, ErrUntrusted, fi.Mode().Perm(), Name)
	}
	return nil
}

// writable checks that a file can be made in dir (root passes every mode
// check; a read-only file system does not).
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
