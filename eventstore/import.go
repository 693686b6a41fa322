package eventstore

import (
	"context"
	"errors"
	"fmt"
)

// ErrSequence: imported records do not start at the store's next sequence
// (Head), or did not land at the sequences they carry.
var ErrSequence = errors.New("not the ledger's next sequence")

// Importer is implemented by stores that can take a copy of another
// ledger's history: breachledger migrate uses it. Unlike Append, Import
// keeps what a store otherwise sets itself (Sequence, Revision and
// RecordedAt), so every checkpoint and proof made on the source still
// verifies on the copy.
type Importer interface {
	// Import appends recs, which carry everything a stored record has
	// (see ValidateImport), in order. recs[0].Sequence must be the store's
	// Head; otherwise Import returns an error wrapping ErrSequence and
	// appends nothing. Each record's Revision must be its stream's length at
	// that point (a *ConflictError otherwise), its ID new to the store
	// (ErrDuplicateEvent otherwise), and its RecordedAt is stored as given.
	//
	// A store appends recs all or nothing where it can (SQLite: one
	// transaction). A store that cannot (EventStoreDB: one append per run
	// of one stream's records) may keep a prefix of recs, in sequence
	// order, when it fails midway; Head tells how far it got, so an
	// interrupted copy resumes from there.
	Import(ctx context.Context, recs []Record) error
}

// ValidateImport checks records for Import without a store: each is valid
// (Validate) and names its stream (ValidateStream), has a recorded time,
// and carries a Sequence one more than the previous record's; event IDs
// are distinct, and the revisions of each stream's records count up by one.
func ValidateImport(recs []Record) error {
	seen := make(map[string]bool, len(recs))
	next := map[string]uint64{}
	for i, r := range recs {
		if err := r.Validate(); err != nil {
			return err
		}
		if err := ValidateStream(r.Stream); err != nil {
			return fmt.Errorf("event %s: %w", r.ID, err)
		}
		switch {
		case r.RecordedAt.IsZero():
			return fmt.Errorf("event %s without a recorded time: %w", r.ID, ErrInvalid)
		case r.RecordedAt.Before(minTime) || r.RecordedAt.After(maxTime):
			return fmt.Errorf("event %s: recorded time %s is outside the years 1678 to 2262: %w", r.ID, r.RecordedAt, ErrInvalid)
		case i > 0 && r.Sequence != recs[i-1].Sequence+1:
			return fmt.Errorf("event %s at sequence %d follows sequence %d: %w", r.ID, r.Sequence, recs[i-1].Sequence, ErrInvalid)
		case seen[string(r.ID[:])]:
			return fmt.Errorf("event %s appears twice in one import: %w", r.ID, ErrInvalid)
		}
		if want, ok := next[r.Stream]; ok && r.Revision != want {
			return fmt.Errorf("event %s: revision %d of %s follows revision %d: %w", r.ID, r.Revision, r.Stream, want-1, ErrInvalid)
		}
		seen[string(r.ID[:])] = true
		next[r.Stream] = r.Revision + 1
	}
	return nil
}
