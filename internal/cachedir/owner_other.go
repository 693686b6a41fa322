//go:build !unix

package cachedir

import "io/fs"

// OwnedByMe: ownership is not checked where there are no Unix owners; the
// directory's own permissions (the user's profile) protect it.
func OwnedByMe(fs.FileInfo) bool { return true }
