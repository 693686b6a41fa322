//go:build !linux

package keyserver

import (
	"errors"
	"net"
)

// peerUID refuses every caller off Linux: the key server checks its
// callers' uids with SO_PEERCRED, which only Linux has in this form.
func peerUID(net.Conn) (uint32, error) {
	return 0, errors.New("read peer credentials: the key server checks SO_PEERCRED, on Linux only: run it on Linux")
}
