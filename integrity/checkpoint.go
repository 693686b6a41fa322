package integrity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// ErrIntegrity: something does not verify: a signature, a root, a proof, a
// leaf. Every verification failure of this package matches it.
var ErrIntegrity = errors.New("integrity check failed")

// Origin returns the log origin of a ledger, which is also the name of its
// key: "breachledger/" + the ledger's name, lower-cased with anything but
// letters, digits, '.', '_' and '-' made '-', + "/" + the event ID of its
// LedgerInitialized event. The event ID makes it unique; the name makes it
// readable.
func Origin(ledgerName string, initEvent uuid.UUID) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(ledgerName) {
		ok := c < unicode.MaxASCII && (unicode.IsLetter(c) || unicode.IsDigit(c) || c == '.' || c == '_' || c == '-')
		switch {
		case ok:
			b.WriteRune(c)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	slug := strings.Trim(b.String(), "-")
	if slug == "" {
		slug = "ledger"
	}
	return "breachledger/" + slug + "/" + initEvent.String()
}

// A Checkpoint is a verified, parsed C2SP tlog-checkpoint: the ledger's
// first Size events have the Merkle root Root. Note is the signed note as
// published, byte for byte.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
	Note   []byte
}

// A LedgerKey is the ledger's private key: it signs checkpoints. Its name is
// the ledger's origin. It signs through a KeySigner: a key file's key
// (ParseLedgerKey; package internal/keyfiles reads the file) or a key held
// by ssh-agent (NewLedgerKey with an AgentKey).
type LedgerKey struct {
	signer note.Signer
	public *PublicKey
}

// GenerateLedgerKey makes a new Ed25519 ledger key named origin and returns
// it encoded as a note signer key ("PRIVATE+KEY+...") and verifier key.
func GenerateLedgerKey(origin string) (skey, vkey string, err error) {
	skey, vkey, err = note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", "", fmt.Errorf("generate ledger key for %s: %w", origin, err)
	}
	return skey, vkey, nil
}

// ParseLedgerKey parses an encoded note signer key.
func ParseLedgerKey(skey string) (*LedgerKey, error) {
	skey = strings.TrimSpace(skey)
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("parse ledger key: %v", err)
	}
	// The encoding is PRIVATE+KEY+name+hash+base64(0x01 ‖ seed).
	// The base64 may hold '+' too: split off the first four fields only.
	parts := strings.SplitN(skey, "+", 5)
	raw, err := base64.StdEncoding.DecodeString(parts[len(parts)-1])
	if err != nil || len(raw) != 1+ed25519.SeedSize {
		return nil, errors.New("parse ledger key: not an Ed25519 key")
	}
	k, err := NewLedgerKey(s.Name(), ed25519.NewKeyFromSeed(raw[1:]))
	if err != nil {
		return nil, fmt.Errorf("parse ledger key: %w", err)
	}
	if k.signer.KeyHash() != s.KeyHash() {
		return nil, errors.New("parse ledger key: its key hash is not its key's")
	}
	return k, nil
}

// Origin returns the origin the key signs for.
func (k *LedgerKey) Origin() string { return k.signer.Name() }

// Public returns the key's public half.
func (k *LedgerKey) Public() *PublicKey { return k.public }

// Sign returns a signed checkpoint of a tree of size leaves with root.
func (k *LedgerKey) Sign(size uint64, root []byte) (Checkpoint, error) {
	body := log.Checkpoint{Origin: k.Origin(), Size: size, Hash: root}.Marshal()
	msg, err := note.Sign(&note.Note{Text: string(body)}, k.signer)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("sign checkpoint of size %d: %w", size, err)
	}
	return Checkpoint{Origin: k.Origin(), Size: size, Root: bytes.Clone(root), Note: msg}, nil
}

// A PublicKey verifies checkpoints: a note verifier key
// ("NAME+HASH+BASE64"), whose name is the ledger's origin.
type PublicKey struct {
	v    note.Verifier
	vkey string
}

// ParsePublicKey parses an encoded note verifier key.
func ParsePublicKey(vkey string) (*PublicKey, error) {
	vkey = strings.TrimSpace(vkey)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("parse ledger public key %q: %v: %w", vkey, err, ErrMalformed)
	}
	return &PublicKey{v: v, vkey: vkey}, nil
}

// String returns the encoded key.
func (p *PublicKey) String() string { return p.vkey }

// Origin returns the origin of the ledger the key belongs to.
func (p *PublicKey) Origin() string { return p.v.Name() }

// signerNames lists who signed a note no given key verifies, as
// NAME+KEYHASH.
func signerNames(unverified *note.UnverifiedNoteError) string {
	names := make([]string, 0, len(unverified.Note.UnverifiedSigs))
	for _, s := range unverified.Note.UnverifiedSigs {
		names = append(names, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
	}
	return strings.Join(names, ", ")
}

// Open verifies a signed checkpoint and parses it. It fails, matching
// ErrIntegrity, unless the note carries a valid signature of this key and
// its origin is the key's.
func (p *PublicKey) Open(signed []byte) (Checkpoint, error) {
	n, err := note.Open(signed, note.VerifierList(p.v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return Checkpoint{}, fmt.Errorf("checkpoint is not signed by the ledger key %s+%08x (signed by: %s): %w",
				p.v.Name(), p.v.KeyHash(), signerNames(unverified), ErrIntegrity)
		case errors.As(err, &invalid):
			return Checkpoint{}, fmt.Errorf("checkpoint signature by %s does not verify (the checkpoint was altered): %w", invalid.Name, ErrIntegrity)
		}
		return Checkpoint{}, fmt.Errorf("open checkpoint: %v: %w", err, ErrIntegrity)
	}
	var cp log.Checkpoint
	rest, err := cp.Unmarshal([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("parse checkpoint: %v: %w", err, ErrMalformed)
	}
	if len(rest) > 0 {
		return Checkpoint{}, fmt.Errorf("parse checkpoint: unexpected extension lines: %w", ErrMalformed)
	}
	if cp.Origin != p.Origin() {
		return Checkpoint{}, fmt.Errorf("checkpoint is for log %q, the key for %q: %w", cp.Origin, p.Origin(), ErrIntegrity)
	}
	if len(cp.Hash) != HashSize {
		return Checkpoint{}, fmt.Errorf("parse checkpoint: root of %d bytes: %w", len(cp.Hash), ErrMalformed)
	}
	return Checkpoint{Origin: cp.Origin, Size: cp.Size, Root: cp.Hash, Note: bytes.Clone(signed)}, nil
}
