package sqlite

import (
	"os"
	"syscall"
)

// fOFDSetLK is Linux's F_OFD_SETLK: a record lock owned by the open file
// description, so that no other descriptor of the file closing (SQLite's,
// in this process) drops it, and it conflicts with SQLite's POSIX locks.
const fOFDSetLK = 0x25

// SQLite's lock bytes (os.h): a connection holding SHARED read-locks
// sharedFirst..sharedFirst+sharedSize; EXCLUSIVE write-locks them.
const (
	pendingByte = 0x40000000
	sharedFirst = pendingByte + 2
	sharedSize  = 510
)

// holdShared takes a SHARED lock on the ledger file at path, as every
// connection to a WAL database holds one, for a reader that reads it as
// immutable (which takes no lock): while it is held, no writer's last
// close gets the EXCLUSIVE lock it checkpoints the -wal into the file
// under, so the file does not change under the reader. It returns the
// release; nil when the lock cannot be taken (then Close's check of the
// file is all there is).
func holdShared(path string) func() {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	lk := syscall.Flock_t{Type: syscall.F_RDLCK, Whence: 0, Start: sharedFirst, Len: sharedSize}
	if err := syscall.FcntlFlock(f.Fd(), fOFDSetLK, &lk); err != nil {
		f.Close()
		return nil
	}
	return func() { f.Close() } // closing the description releases it
}
