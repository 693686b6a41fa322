package integrity

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Key hand-over. A ledger's key changes only by a statement that the
// current (pinned) key signs: a C2SP signed note whose text is
//
//	breachledger.org/key-handover/v1
//	origin ORIGIN
//	old OLD-VERIFIER-KEY
//	new NEW-VERIFIER-KEY
//	size N
//	root BASE64-ROOT
//
// each line ending in a newline, signed by the old key (its signature line
// is named ORIGIN, as on checkpoints). It says: the checkpoint of the first
// N events with root ROOT is the last the old key vouches for; from there
// on, the new key signs this ledger's checkpoints. Both keys carry the
// name ORIGIN. A verifier who pinned the old key moves its pin to the new
// one only after opening the statement with the old key. The first line
// names the format version; a later version is a new first line.

// HandoverHeader is the first line of a hand-over statement.
const HandoverHeader = "breachledger.org/key-handover/v1"

// A Handover is a parsed, verified hand-over statement.
type Handover struct {
	Origin string
	Old    *PublicKey
	New    *PublicKey
	Size   uint64 // the checkpoint at which New takes over
	Root   []byte
	Note   []byte // the signed note, verbatim
}

// handoverText returns the statement's text.
func handoverText(origin string, old, new *PublicKey, size uint64, root []byte) string {
	return fmt.Sprintf("%s\norigin %s\nold %s\nnew %s\nsize %d\nroot %s\n",
		HandoverHeader, origin, old.String(), new.String(), size, base64.StdEncoding.EncodeToString(root))
}

// SignHandover returns a hand-over statement to key new, at checkpoint cp
// (which must be signed by k), signed by k.
func (k *LedgerKey) SignHandover(new *PublicKey, cp Checkpoint) ([]byte, error) {
	if new.Origin() != k.Origin() {
		return nil, fmt.Errorf("hand-over: the new key is for %q, the ledger is %q (make the new key for the ledger's origin)", new.Origin(), k.Origin())
	}
	if new.String() == k.Public().String() {
		return nil, errors.New("hand-over: the new key is the current key")
	}
	if cp.Origin != k.Origin() {
		return nil, fmt.Errorf("hand-over: checkpoint of %q, the ledger is %q", cp.Origin, k.Origin())
	}
	msg, err := note.Sign(&note.Note{Text: handoverText(k.Origin(), k.Public(), new, cp.Size, cp.Root)}, k.signer)
	if err != nil {
		return nil, fmt.Errorf("sign hand-over: %w", err)
	}
	return msg, nil
}

// HandoverOrigin returns the origin a hand-over statement names, without
// checking anything else: to find the pinned key to open it with.
func HandoverOrigin(signed []byte) (string, error) {
	text, _, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		return "", fmt.Errorf("read hand-over: not a signed note: %w", ErrMalformed)
	}
	lines := strings.Split(string(text), "\n")
	if len(lines) < 2 || lines[0] != HandoverHeader {
		return "", fmt.Errorf("read hand-over: the first line is not %q: %w", HandoverHeader, ErrMalformed)
	}
	origin, ok := strings.CutPrefix(lines[1], "origin ")
	if !ok || origin == "" {
		return "", fmt.Errorf("read hand-over: line 2 is not \"origin ORIGIN\": %w", ErrMalformed)
	}
	return origin, nil
}

// HandoverFrom returns the key a hand-over statement hands over from, as
// its text names it, checking only that this key signed it: for a
// verifier who trusts the key handed over to, to check the checkpoints
// the old key signed before (the new key's checkpoints cover them too).
func HandoverFrom(signed []byte) (Handover, error) {
	text, _, _ := bytes.Cut(signed, []byte("\n\n"))
	for _, line := range strings.Split(string(text), "\n") {
		if v, ok := strings.CutPrefix(line, "old "); ok {
			old, err := ParsePublicKey(v)
			if err != nil {
				return Handover{}, fmt.Errorf("read hand-over: old key: %w", err)
			}
			return OpenHandover(signed, old)
		}
	}
	return Handover{}, fmt.Errorf("read hand-over: no \"old\" line: %w", ErrMalformed)
}

// OpenHandover verifies a hand-over statement with pinned, the key the
// verifier trusts for the ledger now, and parses it. It fails, matching
// ErrIntegrity, unless pinned signed it and it hands over from pinned.
func OpenHandover(signed []byte, pinned *PublicKey) (Handover, error) {
	n, err := note.Open(signed, note.VerifierList(pinned.v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return Handover{}, fmt.Errorf("hand-over is not signed by the pinned key %s (signed by: %s): %w", pinned.Fingerprint(), signerNames(unverified), ErrIntegrity)
		}
		return Handover{}, fmt.Errorf("hand-over does not verify with the pinned key %s: %v: %w", pinned.Fingerprint(), err, ErrIntegrity)
	}
	fail := func(format string, args ...any) (Handover, error) {
		return Handover{}, fmt.Errorf("read hand-over: "+format+": %w", append(args, ErrMalformed)...)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 7 || lines[6] != "" {
		return fail("%d lines, want 6", len(lines)-1)
	}
	if lines[0] != HandoverHeader {
		return fail("first line %q, want %q", lines[0], HandoverHeader)
	}
	var f [5]string
	for i, name := range []string{"origin", "old", "new", "size", "root"} {
		v, ok := strings.CutPrefix(lines[i+1], name+" ")
		if !ok || v == "" {
			return fail("line %d is not %q VALUE", i+2, name)
		}
		f[i] = v
	}
	h := Handover{Origin: f[0], Note: bytes.Clone(signed)}
	if h.Old, err = ParsePublicKey(f[1]); err != nil {
		return fail("old key: %v", err)
	}
	if h.New, err = ParsePublicKey(f[2]); err != nil {
		return fail("new key: %v", err)
	}
	if h.Size, err = strconv.ParseUint(f[3], 10, 64); err != nil {
		return fail("size: %v", err)
	}
	if h.Root, err = base64.StdEncoding.DecodeString(f[4]); err != nil || len(h.Root) != HashSize {
		return fail("root is not a base64 SHA-256 hash")
	}
	switch {
	case h.Origin != pinned.Origin():
		return Handover{}, fmt.Errorf("hand-over names origin %q, signed for %q: %w", h.Origin, pinned.Origin(), ErrIntegrity)
	case h.Old.String() != pinned.String():
		return Handover{}, fmt.Errorf("hand-over is from key %s, not the pinned key %s: %w", h.Old.Fingerprint(), pinned.Fingerprint(), ErrIntegrity)
	case h.New.Origin() != h.Origin:
		return Handover{}, fmt.Errorf("hand-over to a key for %q, not %q: %w", h.New.Origin(), h.Origin, ErrIntegrity)
	case h.New.String() == h.Old.String():
		return Handover{}, fmt.Errorf("hand-over to the same key: %w", ErrMalformed)
	}
	return h, nil
}
