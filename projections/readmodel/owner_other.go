//go:build !unix

package readmodel

import "io/fs"

// ownedByMe: ownership is not checked where there are no Unix owners; the
// directory's own permissions (the user's profile) protect it.
func ownedByMe(fs.FileInfo) bool { return true }
