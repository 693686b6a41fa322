package testsupport

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"testing"
	"time"
)

// A Cosigner is a witness key made in a test: it makes C2SP
// tlog-cosignature (cosignature/v1, Ed25519) lines at any timestamp, so
// that freshness can be tested without waiting, and for witnesses faked
// in a test.
type Cosigner struct {
	Name string
	VKey string // its verifier key, NAME+HASH+BASE64(0x04 ‖ key)
	Hash uint32
	priv ed25519.PrivateKey
}

// NewCosigner makes a cosigner named name with a fresh key.
func NewCosigner(tb testing.TB, name string) *Cosigner {
	tb.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	key := append([]byte{0x04}, pub...)
	h := sha256.Sum256(append([]byte(name+"\n"), key...))
	c := &Cosigner{Name: name, Hash: binary.BigEndian.Uint32(h[:4]), priv: priv}
	c.VKey = fmt.Sprintf("%s+%08x+%s", name, c.Hash, base64.StdEncoding.EncodeToString(key))
	return c
}

// Cosign returns the cosignature line ("— NAME BASE64\n") of a note
// text (a checkpoint body, ending in its newline) at instant at.
func (c *Cosigner) Cosign(text []byte, at time.Time) []byte {
	ts := uint64(at.Unix())
	msg := fmt.Appendf(nil, "cosignature/v1\ntime %d\n%s", ts, text)
	sig := binary.BigEndian.AppendUint32(nil, c.Hash)
	sig = binary.BigEndian.AppendUint64(sig, ts)
	sig = append(sig, ed25519.Sign(c.priv, msg)...)
	return fmt.Appendf(nil, "\u2014 %s %s\n", c.Name, base64.StdEncoding.EncodeToString(sig))
}

// CosignNote is Cosign of a signed note's text.
func (c *Cosigner) CosignNote(signed []byte, at time.Time) []byte {
	return c.Cosign(signed[:bytes.LastIndex(signed, []byte("\n\n"))+1], at)
}
