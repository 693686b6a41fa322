package witnesstest

import (
	"os"
	"syscall"
)

// procAttr puts a child in a process group of its own, so that stopping
// it stops everything it started, and has the kernel kill it if the test
// process dies first (a test binary killed by -timeout runs no cleanup).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to p's process group (p leads it: procAttr).
func signalGroup(p *os.Process, sig os.Signal) {
	if s, ok := sig.(syscall.Signal); ok {
		syscall.Kill(-p.Pid, s)
		return
	}
	p.Signal(sig)
}
