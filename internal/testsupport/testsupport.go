// Package testsupport holds what several packages' tests need from the
// machine: SSH keys made in memory, an ssh-agent (in-process, or
// OpenSSH's own), and a file's immutable attribute. It is for tests only
// and imports nothing of breachledger's, so every package's tests may use
// it, internal ones included.
package testsupport

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// NewSSHSigner makes a new Ed25519 SSH key in memory.
func NewSSHSigner(tb testing.TB) ssh.Signer {
	tb.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// ServeKeyring serves an in-process ssh-agent holding keys (private keys
// as agent.AddedKey takes them) on a Unix socket of the test's, and
// returns the socket. It stops with the test.
func ServeKeyring(tb testing.TB, keys ...any) string {
	tb.Helper()
	keyring := agent.NewKeyring()
	for _, k := range keys {
		if err := keyring.Add(agent.AddedKey{PrivateKey: k}); err != nil {
			tb.Fatal(err)
		}
	}
	sock := filepath.Join(tb.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				agent.ServeAgent(keyring, conn)
			}()
		}
	}()
	return sock
}

// StartOpenSSHAgent starts OpenSSH's ssh-agent on a socket of the test's
// and returns the socket; the test's end stops it. The caller checks the
// tools are installed.
func StartOpenSSHAgent(tb testing.TB) string {
	tb.Helper()
	sock := filepath.Join(tb.TempDir(), "agent.sock")
	ag := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := ag.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ag.Process.Kill(); ag.Wait() })
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			return sock
		}
		if i == 200 {
			tb.Fatal("ssh-agent did not make its socket")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
