//go:build !linux

package witnesstest

import (
	"os"
	"syscall"
)

// procAttr: elsewhere than on Linux a child runs in the test's process
// group (litewitness and ssh-agent -D start no children of their own).
func procAttr() *syscall.SysProcAttr { return nil }

// signalGroup sends sig to p alone; where a signal cannot be sent
// (os.Interrupt on Windows), it kills p.
func signalGroup(p *os.Process, sig os.Signal) {
	if err := p.Signal(sig); err != nil && sig != os.Kill {
		p.Kill()
	}
}
