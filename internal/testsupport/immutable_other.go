//go:build !linux

package testsupport

import "errors"

// SetImmutable is Linux's chattr +i; elsewhere it fails, and the tests
// that need it fall back or skip as they do when it is not permitted.
func SetImmutable(path string, on bool) error {
	return errors.New("the immutable attribute is set only on Linux here")
}
