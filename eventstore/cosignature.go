package eventstore

import (
	"bytes"
	"context"
	"fmt"
	"time"
	"unicode/utf8"
)

// A Cosignature is one witness's cosignature of a stored checkpoint (C2SP
// tlog-cosignature): a signed-note signature line, "— NAME BASE64\n", as
// the witness returned it. The store keeps it beside the checkpoint it
// cosigns and never judges it: package integrity checks it against the
// witness keys an auditor trusts.
type Cosignature struct {
	Size    uint64    // the size of the checkpoint it cosigns
	Line    []byte    // one signature line, from "— " to its newline
	SavedAt time.Time // set by the store when it saved the line
}

// Limits of a cosignature line: an ML-DSA-44 cosignature is about 3.3 KB
// in base64; nothing a witness returns comes near these.
const (
	MaxCosignatureLine = 8 << 10 // bytes in one line, its newline included
	MaxCosignatures    = 16      // lines in one SaveCosignatures call
)

// CosignatureStore is implemented by stores that keep witnesses'
// cosignatures beside the checkpoints they cosign (the SQLite store in a
// table of its own; EventStoreDB in a stream outside the ledger's prefix).
// Like checkpoints, cosignatures are append-only: once saved, a line is
// never changed or removed. A witness that cosigns the same checkpoint
// again (a refresh) adds a line with a newer timestamp.
type CosignatureStore interface {
	// SaveCosignatures stores lines, in order, as cosignatures of the
	// stored checkpoint of size events, atomically. It fails, storing
	// nothing, with an error matching ErrNoCheckpoint when no checkpoint
	// of that size is stored, and ErrInvalid when the batch fails
	// ValidateCosignatures (none, more than MaxCosignatures, or a line
	// that is not one signature line). Each line is kept as a new
	// cosignature, even one equal to a line already saved.
	SaveCosignatures(ctx context.Context, size uint64, lines [][]byte) error

	// ReadCosignatures returns every cosignature saved for the checkpoint
	// of size events, oldest first (none when there are none, or no such
	// checkpoint).
	ReadCosignatures(ctx context.Context, size uint64) ([]Cosignature, error)
}

// ValidateCosignatures checks a batch of lines as every store's
// SaveCosignatures requires before saving any: one to MaxCosignatures
// lines, each a signature line (ValidateCosignatureLine). Its error wraps
// ErrInvalid and, for a bad line, says which one (counting from 1).
func ValidateCosignatures(lines [][]byte) error {
	switch {
	case len(lines) == 0:
		return fmt.Errorf("no cosignature lines to save: %w", ErrInvalid)
	case len(lines) > MaxCosignatures:
		return fmt.Errorf("%d cosignature lines, over %d: %w", len(lines), MaxCosignatures, ErrInvalid)
	}
	for i, l := range lines {
		if err := ValidateCosignatureLine(l); err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	return nil
}

// ValidateCosignatureLine checks what every store requires of a line
// before saving it: valid UTF-8, "— " (U+2014, space) then a name and a
// base64 signature separated by one space, ending in its only newline,
// at most MaxCosignatureLine bytes.
func ValidateCosignatureLine(line []byte) error {
	const dash = "— "
	switch {
	case len(line) > MaxCosignatureLine:
		return fmt.Errorf("cosignature line of %d bytes, over %d: %w", len(line), MaxCosignatureLine, ErrInvalid)
	case !utf8.Valid(line):
		return fmt.Errorf("cosignature line is not valid UTF-8: %w", ErrInvalid)
	case !bytes.HasPrefix(line, []byte(dash)):
		return fmt.Errorf("cosignature line does not start with %q: %w", dash, ErrInvalid)
	case len(line) == 0 || line[len(line)-1] != '\n' || bytes.Count(line, []byte("\n")) != 1:
		return fmt.Errorf("cosignature line must end in its only newline: %w", ErrInvalid)
	}
	rest := bytes.TrimSuffix(line[len(dash):], []byte("\n"))
	name, sig, ok := bytes.Cut(rest, []byte(" "))
	if !ok || len(name) == 0 || len(sig) == 0 || bytes.ContainsAny(sig, " \t\r") {
		return fmt.Errorf("cosignature line must be \"— NAME SIGNATURE\": %w", ErrInvalid)
	}
	return nil
}
