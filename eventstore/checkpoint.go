package eventstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"
)

// Checkpoint errors.
var (
	// ErrNoCheckpoint: no checkpoint has been stored yet.
	ErrNoCheckpoint = errors.New("no checkpoint")
	// ErrStaleCheckpoint: a checkpoint of the same or a larger size is
	// already stored; nothing was stored. Checkpoints only grow.
	ErrStaleCheckpoint = errors.New("checkpoint does not extend the newest stored")
)

// A Checkpoint is the ledger's signed commitment to its first Size records,
// with what a writer needs to extend it and what a verifier needs to name
// the first record that no longer matches it. The store keeps it as opaque
// bytes: package integrity makes and checks the contents.
type Checkpoint struct {
	Size  uint64   // the records covered: sequences [0, Size); never 0
	Root  []byte   // the Merkle root of their leaves
	Note  []byte   // the signed checkpoint (a C2SP signed note), verbatim
	Range [][]byte // the compact range of [0, Size): hashes a writer extends

	// Leaves are the encoded leaves of sequences [LeavesFrom, Size), as
	// they were when the checkpoint was signed: the stored checkpoints'
	// leaves tile [0, newest Size) without overlap, so a verifier can say
	// which record differs from what was signed, and how.
	LeavesFrom uint64
	Leaves     [][]byte

	SavedAt time.Time // set by the store when it saved the checkpoint
}

// Validate checks what every store requires of a checkpoint before saving
// it: it covers at least one record, has a root and a signed note, and
// keeps no more leaves than records.
func (cp Checkpoint) Validate() error {
	switch {
	case cp.Size == 0:
		return fmt.Errorf("a checkpoint covers at least one record: %w", ErrInvalid)
	case len(cp.Root) == 0 || len(cp.Note) == 0:
		return fmt.Errorf("no root or no signed note: %w", ErrInvalid)
	case uint64(len(cp.Leaves)) > cp.Size:
		return fmt.Errorf("%d leaves for %d records: %w", len(cp.Leaves), cp.Size, ErrInvalid)
	}
	return nil
}

// CheckpointStore is implemented by stores that keep the ledger's
// checkpoints with the log (the SQLite store in its own tables; a store
// whose log is shared with other writers, such as EventStoreDB, in a stream
// outside the ledger's prefix). Like the log, it is append-only: a
// checkpoint, once saved, is never changed or removed.
type CheckpointStore interface {
	// SaveCheckpoint stores cp as the newest checkpoint, atomically, if
	// cp.Size is larger than the newest stored checkpoint's; otherwise it
	// returns ErrStaleCheckpoint and stores nothing (another writer already
	// covered as much or more). cp.Leaves must cover at least the
	// sequences from the newest stored checkpoint's Size (0 if none) to
	// cp.Size; the store keeps only those, and sets LeavesFrom to match. It
	// returns the checkpoint as stored (with SavedAt). Errors: ErrInvalid
	// for a checkpoint of size 0, with no note or root, or whose leaves do
	// not cover what is needed.
	SaveCheckpoint(ctx context.Context, cp Checkpoint) (Checkpoint, error)

	// LatestCheckpoint returns the newest checkpoint without its Leaves
	// (nil), or ErrNoCheckpoint.
	LatestCheckpoint(ctx context.Context) (Checkpoint, error)

	// ReadCheckpoints returns at most limit checkpoints (all when
	// limit <= 0) whose Size is larger than after, in order of size, with
	// their leaves.
	ReadCheckpoints(ctx context.Context, after uint64, limit int) ([]Checkpoint, error)
}

// checkpointPage is how many checkpoints Checkpoints reads per call.
const checkpointPage = 100

// Checkpoints yields every checkpoint of cs larger than after, in order of
// size, paging through ReadCheckpoints. It stops at the first error,
// yielding it.
func Checkpoints(ctx context.Context, cs CheckpointStore, after uint64) iter.Seq2[Checkpoint, error] {
	return func(yield func(Checkpoint, error) bool) {
		for {
			page, err := cs.ReadCheckpoints(ctx, after, checkpointPage)
			if err != nil {
				yield(Checkpoint{}, err)
				return
			}
			for _, cp := range page {
				if !yield(cp, nil) {
					return
				}
			}
			if len(page) < checkpointPage {
				return
			}
			after = page[len(page)-1].Size
		}
	}
}
