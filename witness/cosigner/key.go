package cosigner

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Signed-note key algorithms (c2sp.org/signed-note, tlog-cosignature).
const (
	algEd25519      = 0x01 // a plain Ed25519 note key: a log's
	algCosignatureV = 0x04 // an Ed25519 cosignature/v1 key: a witness's
)

// GenerateKey makes a witness key named name: the signer key
// "PRIVATE+KEY+NAME+HASH+BASE64" and the verifier key "NAME+HASH+BASE64",
// both of type 0x04 (Ed25519 cosignature/v1, c2sp.org/tlog-cosignature),
// with the key hash of the cosignature/v1 key. The verifier key is what a
// ledger's "witness add" and an auditor's "verify --witness" take. A name
// is a signed-note key name: not empty, no spaces, no '+'.
func GenerateKey(rand io.Reader, name string) (skey, vkey string, err error) {
	skey01, _, err := note.GenerateKey(rand, name)
	if err != nil {
		return "", "", fmt.Errorf("generate witness key: %w", err)
	}
	if _, err := note.NewSigner(skey01); err != nil { // x/mod's GenerateKey does not check the name
		return "", "", fmt.Errorf("generate witness key %q: a key name is not empty and has no spaces or '+': %w", name, ErrInvalid)
	}
	s, err := fnote.NewSignerForCosignatureV1(skey01)
	if err != nil {
		return "", "", fmt.Errorf("generate witness key: %w", err)
	}
	seed := decodeSeed(skey01)
	skey = fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, s.KeyHash(), base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV}, seed...)))
	return skey, verifierKey(name, s.KeyHash(), seed), nil
}

// NewSigner returns the cosignature/v1 signer of a witness's signer key
// (as GenerateKey makes, or a plain Ed25519 note signer key, type 0x01,
// which formats signs cosignatures with the same way) and its verifier
// key, type 0x04.
func NewSigner(skey string) (*fnote.Signer, string, error) {
	skey = strings.TrimSpace(skey)
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return nil, "", fmt.Errorf("parse witness key: %v (want PRIVATE+KEY+NAME+HASH+BASE64, as \"breachledger witness keygen\" writes): %w", err, ErrInvalid)
	}
	seed := decodeSeed(skey)
	if len(seed) != ed25519.SeedSize {
		return nil, "", fmt.Errorf("parse witness key: not an Ed25519 key (type 0x01 or 0x04): %w", ErrInvalid)
	}
	return s, verifierKey(s.Name(), s.KeyHash(), seed), nil
}

// decodeSeed returns the Ed25519 seed of a signer key of type 0x01 or
// 0x04, or nil.
func decodeSeed(skey string) []byte {
	parts := strings.SplitN(skey, "+", 5) // PRIVATE+KEY+NAME+HASH+BASE64: base64 may hold '+'
	if len(parts) != 5 {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(b) != 1+ed25519.SeedSize || (b[0] != algEd25519 && b[0] != algCosignatureV) {
		return nil
	}
	return b[1:]
}

// verifierKey encodes the cosignature/v1 verifier key of seed.
func verifierKey(name string, hash uint32, seed []byte) string {
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	return fmt.Sprintf("%s+%08x+%s", name, hash, base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV}, pub...)))
}

// ParseLogKey parses one of a log's note verifier keys, the key its
// checkpoints are signed with, for the log origin: the key's name must be
// the origin (c2sp.org/tlog-checkpoint: a log's key is named after it),
// and a witness's cosignature key (type 0x04 or 0x06) is not a log's.
func ParseLogKey(origin, vkey string) (note.Verifier, error) {
	vkey = strings.TrimSpace(vkey)
	name, _, _ := strings.Cut(vkey, "+")
	if parts := strings.SplitN(vkey, "+", 3); len(parts) == 3 { // NAME+HASH+BASE64: base64 may hold '+'
		if b, err := base64.StdEncoding.DecodeString(parts[2]); err == nil && len(b) > 0 && (b[0] == algCosignatureV || b[0] == 0x06) {
			return nil, fmt.Errorf("key %q is a witness's cosignature key (type 0x%02x), not a log's checkpoint key: for a breachledger ledger, give what \"breachledger key public\" prints: %w", vkey, b[0], ErrInvalid)
		}
	}
	v, err := fnote.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("key %q is not a signed-note verifier key NAME+HASH+BASE64 (%v): %w", vkey, err, ErrInvalid)
	}
	if name != origin {
		return nil, fmt.Errorf("key %q is named %q, not the origin %q: a log signs its checkpoints with a key named after its origin (breachledger: the text before the first '+' of \"breachledger key public\"): %w", vkey, name, origin, ErrInvalid)
	}
	return v, nil
}
