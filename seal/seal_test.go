package seal_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/seal"
)

var note = seal.Place{EventID: "0190c8b2-7f00-7000-8000-000000000001", Stream: "incident-2abc", Type: "NoteAdded", Path: "text"}

func TestRoundTrip(t *testing.T) {
	k := seal.GenerateKey()
	for _, v := range []string{"", "a", "jane.doe@example.org", strings.Repeat("é", 40), strings.Repeat("x", 63), strings.Repeat("x", 64), strings.Repeat("y", 5000), "ends in zero\x00\x00", "ends in marker\x80"} {
		s, err := seal.Seal(k, note, v)
		if err != nil {
			t.Fatal(err)
		}
		if !seal.IsSealed(s) {
			t.Errorf("IsSealed(%q) = false", s)
		}
		if id, err := seal.KeyIDOf(s); err != nil || id != k.ID() {
			t.Errorf("KeyIDOf = %q, %v; want %q", id, err, k.ID())
		}
		got, err := seal.Open(k, note, s)
		if err != nil || got != v {
			t.Errorf("Open(Seal(%q)) = %q, %v", v, got, err)
		}
	}
}

// TestMovedValueDoesNotOpen is the attack: a sealed value copied into
// another event, stream, type, field or list position, or relabelled with
// another key's ID, does not open.
func TestMovedValueDoesNotOpen(t *testing.T) {
	k := seal.GenerateKey()
	s, err := seal.Seal(k, note, "call jane.doe@example.org")
	if err != nil {
		t.Fatal(err)
	}
	moved := map[string]seal.Place{
		"event":  {EventID: "0190c8b2-7f00-7000-8000-000000000002", Stream: note.Stream, Type: note.Type, Path: note.Path},
		"stream": {EventID: note.EventID, Stream: "incident-other", Type: note.Type, Path: note.Path},
		"type":   {EventID: note.EventID, Stream: note.Stream, Type: "IncidentClosed", Path: note.Path},
		"field":  {EventID: note.EventID, Stream: note.Stream, Type: note.Type, Path: "summary"},
		"index":  {EventID: note.EventID, Stream: note.Stream, Type: note.Type, Path: "text[1]"},
		// Length-prefixed parts: moving bytes between parts changes the
		// associated data.
		"boundary": {EventID: note.EventID + "i", Stream: strings.TrimPrefix(note.Stream, "i"), Type: note.Type, Path: note.Path},
	}
	for name, at := range moved {
		if _, err := seal.Open(k, at, s); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("moved to another %s: err = %v, want ErrOpen", name, err)
		}
	}
	// Relabelled with another key's ID and opened with that key.
	other := seal.GenerateKey()
	relabelled := strings.Replace(s, k.ID(), other.ID(), 1)
	if _, err := seal.Open(other, note, relabelled); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("relabelled: err = %v, want ErrOpen", err)
	}
	if _, err := seal.Open(other, note, s); !errors.Is(err, seal.ErrKeyMismatch) {
		t.Errorf("other key: err = %v, want ErrKeyMismatch", err)
	}
	// Tampered body.
	_, body, _ := seal.Parse(s)
	body[len(body)-1] ^= 1
	tampered := seal.Prefix + k.ID() + ":" + base64.RawURLEncoding.EncodeToString(body)
	if _, err := seal.Open(k, note, tampered); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("tampered: err = %v, want ErrOpen", err)
	}
	if got, err := seal.Open(k, note, s); err != nil || got != "call jane.doe@example.org" {
		t.Errorf("in place: %q, %v", got, err)
	}
}

// TestLengthDoesNotConfirmAGuess: values of different lengths within a
// bucket give sealed forms of one length.
func TestLengthDoesNotConfirmAGuess(t *testing.T) {
	k := seal.GenerateKey()
	buckets := []struct {
		lens []int
		want int // padded length
	}{
		{[]int{0, 1, 5, 20, 40, 63}, 64},
		{[]int{64, 100, 127}, 128},
		{[]int{128, 200, 255}, 256},
		{[]int{2048, 4095}, 4096},
		{[]int{4096, 5000, 8191}, 8192},
		{[]int{8192, 12287}, 12288},
	}
	for _, b := range buckets {
		lens := map[int]bool{}
		for _, n := range b.lens {
			if got := seal.PaddedLen(n); got != b.want {
				t.Errorf("PaddedLen(%d) = %d, want %d", n, got, b.want)
			}
			s, err := seal.Seal(k, note, strings.Repeat("a", n))
			if err != nil {
				t.Fatal(err)
			}
			lens[len(s)] = true
		}
		if len(lens) != 1 {
			t.Errorf("bucket %d: sealed lengths %v, want one", b.want, lens)
		}
	}
	// Two guesses of an address, same bucket: same length.
	a, _ := seal.Seal(k, note, "jo@example.org")
	c, _ := seal.Seal(k, note, "jonathan.smithson-williams@mail.example.org")
	if len(a) != len(c) {
		t.Errorf("addresses of 14 and 43 bytes sealed to %d and %d bytes", len(a), len(c))
	}
}

// TestGuessCannotBeConfirmed: sealing a value twice gives different bytes,
// and nothing computed from the plaintext alone (itself, its encodings, its
// unsalted digests) appears in the sealed form.
func TestGuessCannotBeConfirmed(t *testing.T) {
	k := seal.GenerateKey()
	const v = "jane.doe@example.org"
	s1, _ := seal.Seal(k, note, v)
	s2, _ := seal.Seal(k, note, v)
	if s1 == s2 {
		t.Fatalf("sealing %q twice gave the same form %s", v, s1)
	}
	_, b1, _ := seal.Parse(s1)
	_, b2, _ := seal.Parse(s2)
	if bytes.Equal(b1[24:], b2[24:]) {
		t.Error("same ciphertext under two seals")
	}
	sum := sha256.Sum256([]byte(v))
	derived := map[string]string{
		"plaintext":        v,
		"base64":           base64.StdEncoding.EncodeToString([]byte(v)),
		"base64url":        base64.RawURLEncoding.EncodeToString([]byte(v)),
		"hex":              hex.EncodeToString([]byte(v)),
		"sha256 hex":       hex.EncodeToString(sum[:]),
		"sha256 base64url": base64.RawURLEncoding.EncodeToString(sum[:]),
		"sha256 prefix":    base64.RawURLEncoding.EncodeToString(sum[:8]),
	}
	for _, s := range []string{s1, s2} {
		_, body, _ := seal.Parse(s)
		for name, d := range derived {
			if strings.Contains(s, d) || strings.Contains(string(body), d) {
				t.Errorf("sealed form holds the %s of the plaintext", name)
			}
		}
		if bytes.Contains(body, sum[:8]) || bytes.Contains(body, []byte(v)) {
			t.Error("sealed body holds the plaintext or its digest")
		}
	}
	// The key ID depends on the key only.
	if seal.KeyID(k.Bytes()) != k.ID() {
		t.Error("KeyID(bytes) differs from the key's ID")
	}
}

func TestParseRefusals(t *testing.T) {
	k := seal.GenerateKey()
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"jane.doe@example.org", "not a sealed value"},
		{"sealed:v9:abc:def", "upgrade breachledger"},
		{"sealed:v1:", "no key ID"},
		{"sealed:v1:" + k.ID() + ":!!!", "not base64url"},
		{"sealed:v1:" + k.ID() + ":AAAA", "too short"},
	} {
		_, err := seal.Open(k, note, tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want an error saying %q", tc.in, err, tc.want)
		}
	}
	if !errors.Is(func() error { _, err := seal.Open(k, note, "plain"); return err }(), seal.ErrNotSealed) {
		t.Error("a plaintext is not ErrNotSealed")
	}
	if _, err := seal.NewKey(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
	if _, err := seal.Seal(seal.Key{}, note, "x"); err == nil {
		t.Error("the zero Key sealed")
	}
}
