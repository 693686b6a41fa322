//go:build unix

package cachedir

import (
	"io/fs"
	"os"
	"syscall"
)

// OwnedByMe reports whether fi is owned by the effective user (the one
// ownership test of everything kept: the cache and the views key).
func OwnedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
