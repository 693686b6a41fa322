// Package seal seals one personal field value of an event so that it can
// later be forgotten by destroying its data key (crypto-shredding, issue
// 25), while the ledger keeps verifying: the stored payload holds the sealed
// form, and the Merkle leaf and every signature commit to those bytes, never
// to the plaintext.
//
// # Design
//
//   - AEAD: XChaCha20-Poly1305 (golang.org/x/crypto/chacha20poly1305, already
//     a direct dependency). Its 192-bit nonce is drawn at random for every
//     value: several writers (a team's machines, a notary) seal under the same
//     incident key without sharing a counter, and a random 192-bit nonce
//     never repeats in practice however many values a key seals over an
//     incident's years, whereas AES-256-GCM's random 96-bit nonce is bounded
//     to about 2^32 values per key and fails catastrophically on a repeat.
//     AES-GCM would be a little faster on AES hardware; for fields of a few
//     hundred bytes both cost far less than the JSON around them (see
//     BenchmarkNote).
//   - Key commitment: AEADs are not key-committing ("invisible salamanders":
//     whoever holds keys could craft one sealed value that opens to two
//     plaintexts under two keys). A key's ID is SHA-256 of a domain tag and
//     the key (KeyID), written in every sealed form and checked by Open, so a
//     sealed value names the one key that opens it. The ID reveals nothing
//     of the plaintext and, the key being 256 random bits, nothing usable of
//     the key.
//   - Associated data: the event ID, stream, event type, the concrete JSON
//     path of the field (with list indexes: "systems[1]",
//     "replacement.text") and the key ID, each length-prefixed after a
//     version tag (Place.aad). A sealed value moved to another event, stream,
//     type, field or list position, or relabelled with another key ID, does
//     not open.
//   - Padding: the plaintext is padded (ISO/IEC 7816-4: 0x80 then zeros) to a
//     bucket before sealing: 64, 128, 256, ... 4096 bytes, then the next
//     multiple of 4096. Every value in a bucket gives a sealed form of the
//     same length, so a length cannot confirm a guess (an email address, a
//     name): short values, the guessable ones, all take 64 bytes. Above 4 KiB
//     the block count shows, which confirms nothing short.
//   - Encoding: "sealed:v1:KEYID:BODY", KEYID and BODY base64url without
//     padding, BODY = nonce ‖ ciphertext ‖ tag. It is a JSON string, so a
//     sealed field keeps its payload's shape; a list of strings is sealed
//     element by element.
//
// Nothing here hashes a plaintext, salted or not: the only thing derived from
// the plaintext is the ciphertext, under a fresh random nonce, so sealing one
// value twice gives different bytes and the ledger holds no fingerprint a
// guess could be checked against.
package seal

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// KeySize is the size of a data key in bytes.
const KeySize = chacha20poly1305.KeySize

// Prefix starts every sealed form of version 1.
const Prefix = "sealed:v1:"

const (
	keyIDTag = "breachledger/seal key-id v1\x00"
	aadTag   = "breachledger/seal aad v1"
	minPad   = 64
	bigPad   = 4096
)

var (
	// ErrNotSealed is returned by Open and Parse for a value that is not a
	// sealed form (a field recorded before sealing, or a plaintext).
	ErrNotSealed = errors.New("not a sealed value")
	// ErrKeyMismatch is returned by Open when the key is not the one the
	// sealed form names.
	ErrKeyMismatch = errors.New("the key is not the one the sealed value names")
	// ErrOpen is returned by Open when the sealed form does not
	// authenticate: tampered, or moved from the event or field it was
	// sealed for.
	ErrOpen = errors.New("sealed value does not authenticate")
)

// A Key is a data key and its ID. The zero Key seals nothing.
type Key struct {
	id  string
	key [KeySize]byte
}

// NewKey returns the key of the given bytes (KeySize of them).
func NewKey(b []byte) (Key, error) {
	if len(b) != KeySize {
		return Key{}, fmt.Errorf("new key: %d bytes, a data key has %d", len(b), KeySize)
	}
	var k Key
	copy(k.key[:], b)
	k.id = KeyID(b)
	return k, nil
}

// GenerateKey returns a new random data key.
func GenerateKey() Key {
	b := make([]byte, KeySize)
	rand.Read(b) // never fails (crypto/rand, Go 1.24)
	k, _ := NewKey(b)
	clear(b)
	return k
}

// KeyID returns the ID of the key b: base64url of SHA-256 over a domain tag
// and b. It commits to the key (see the package comment).
func KeyID(b []byte) string {
	h := sha256.New()
	h.Write([]byte(keyIDTag))
	h.Write(b)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// ID returns the key's ID.
func (k Key) ID() string { return k.id }

// Bytes returns a copy of the key's bytes, for a key store to wrap.
func (k Key) Bytes() []byte { return append([]byte(nil), k.key[:]...) }

// A Place is where a sealed value lives; with the key ID it is the
// associated data, so a value opens only where it was sealed.
type Place struct {
	EventID string
	Stream  string
	Type    string // stored event type
	Path    string // concrete JSON path: "text", "systems[1]", "replacement.summary"
}

// aad encodes the place and key ID: a version tag, then each part
// length-prefixed, so no two different places give the same bytes.
func (p Place) aad(keyID string) []byte {
	b := make([]byte, 0, len(aadTag)+len(p.EventID)+len(p.Stream)+len(p.Type)+len(p.Path)+len(keyID)+5*binary.MaxVarintLen64)
	b = append(b, aadTag...)
	for _, s := range []string{p.EventID, p.Stream, p.Type, p.Path, keyID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// PaddedLen returns the length a plaintext of n bytes is padded to before
// sealing: at least n+1 (the 0x80 marker), rounded up to its bucket.
func PaddedLen(n int) int {
	n++ // the marker byte
	if n <= bigPad {
		b := minPad
		for b < n {
			b *= 2
		}
		return b
	}
	return (n + bigPad - 1) / bigPad * bigPad
}

// Seal seals plaintext under k for the place at.
func Seal(k Key, at Place, plaintext string) (string, error) {
	if k.id == "" {
		return "", fmt.Errorf("seal %s: no key", at.Path)
	}
	aead, err := chacha20poly1305.NewX(k.key[:])
	if err != nil {
		return "", fmt.Errorf("seal %s: %w", at.Path, err)
	}
	// body = nonce ‖ padded plaintext, sealed in place after the nonce.
	n := chacha20poly1305.NonceSizeX
	body := make([]byte, n+PaddedLen(len(plaintext)), n+PaddedLen(len(plaintext))+aead.Overhead())
	rand.Read(body[:n])
	copy(body[n:], plaintext)
	body[n+len(plaintext)] = 0x80
	body = aead.Seal(body[:n], body[:n], body[n:], at.aad(k.id))
	var sb strings.Builder
	sb.Grow(len(Prefix) + len(k.id) + 1 + base64.RawURLEncoding.EncodedLen(len(body)))
	sb.WriteString(Prefix)
	sb.WriteString(k.id)
	sb.WriteByte(':')
	sb.WriteString(base64.RawURLEncoding.EncodeToString(body))
	return sb.String(), nil
}

// IsSealed reports whether s has the form of a sealed value.
func IsSealed(s string) bool { return strings.HasPrefix(s, Prefix) }

// Parse returns the key ID a sealed form names and its body (nonce,
// ciphertext and tag), so a reader knows which key to ask for.
func Parse(sealed string) (keyID string, body []byte, err error) {
	rest, ok := strings.CutPrefix(sealed, Prefix)
	if !ok {
		if strings.HasPrefix(sealed, "sealed:") {
			v, _, _ := strings.Cut(strings.TrimPrefix(sealed, "sealed:"), ":")
			return "", nil, fmt.Errorf("parse sealed value: version %q is unknown to this binary (it reads v1): upgrade breachledger", v)
		}
		return "", nil, ErrNotSealed
	}
	keyID, enc, ok := strings.Cut(rest, ":")
	if !ok || keyID == "" {
		return "", nil, fmt.Errorf("parse sealed value: no key ID: %w", ErrNotSealed)
	}
	body, err = base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", nil, fmt.Errorf("parse sealed value: body is not base64url: %w", err)
	}
	if len(body) < chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead+minPad {
		return "", nil, fmt.Errorf("parse sealed value: body of %d bytes is too short: %w", len(body), ErrOpen)
	}
	return keyID, body, nil
}

// KeyIDOf returns the key ID a sealed form names.
func KeyIDOf(sealed string) (string, error) {
	id, _, err := Parse(sealed)
	return id, err
}

// Open returns the plaintext of a value sealed under k for the place at.
func Open(k Key, at Place, sealed string) (string, error) {
	keyID, body, err := Parse(sealed)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", at.Path, err)
	}
	if keyID != k.id {
		return "", fmt.Errorf("open %s: sealed under key %s, given key %s: %w", at.Path, keyID, k.id, ErrKeyMismatch)
	}
	aead, err := chacha20poly1305.NewX(k.key[:])
	if err != nil {
		return "", fmt.Errorf("open %s: %w", at.Path, err)
	}
	nonce, ct := body[:chacha20poly1305.NonceSizeX], body[chacha20poly1305.NonceSizeX:]
	padded, err := aead.Open(ct[:0], nonce, ct, at.aad(keyID)) // in place: body is ours
	if err != nil {
		return "", fmt.Errorf("open %s of event %s: %w (tampered, or moved from another event or field)", at.Path, at.EventID, ErrOpen)
	}
	i := len(padded) - 1
	for i >= 0 && padded[i] == 0 {
		i--
	}
	if i < 0 || padded[i] != 0x80 {
		return "", fmt.Errorf("open %s: bad padding: %w", at.Path, ErrOpen)
	}
	return string(padded[:i]), nil
}
