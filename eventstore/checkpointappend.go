package eventstore

import (
	"context"
	"errors"
)

// ErrNotCheckpointed: an AppendCheckpointed whose sign function refused to
// sign (or signed something the store could not save) appended nothing.
// The error wraps sign's own error too.
var ErrNotCheckpointed = errors.New("not checkpointed, so nothing was appended")

// SignFunc makes the checkpoint that extends latest, the newest stored
// checkpoint (nil when there is none), over tail: every record after it, up
// to the head, in sequence order, as the store read them inside the append
// that called it (the appended records among them, as stored). It returns
// the checkpoint to save, with Size latest.Size + len(tail) (0 for a nil
// latest) and one leaf per record of tail; or an error, and nothing is
// appended.
type SignFunc func(latest *Checkpoint, tail []Record) (Checkpoint, error)

// CheckpointAppender is implemented by stores that can append records and
// save the checkpoint covering them in one atomic step (SQLite: one
// transaction, one fsync). A store whose log and checkpoints are written
// by separate calls (EventStoreDB) does not implement it: writers append,
// then save the checkpoint (CheckpointStore.SaveCheckpoint).
type CheckpointAppender interface {
	CheckpointStore

	// AppendCheckpointed appends recs to stream as Append does and, in the
	// same atomic step, under the same write lock, reads the newest stored
	// checkpoint and every record after it up to the new head, calls sign
	// with them, and saves the checkpoint sign returns. Either the records
	// and their checkpoint are both stored, or neither. It returns the
	// records as stored and the checkpoint as stored (with LeavesFrom and
	// SavedAt set).
	//
	// The store saves only a checkpoint that covers exactly the records it
	// gave sign: Size is the new head, it is larger than the newest stored
	// checkpoint, and it has one non-empty leaf per record of the tail.
	// Anything else is an error wrapping ErrNotCheckpointed and ErrInvalid.
	// When sign fails, the error wraps ErrNotCheckpointed and sign's error.
	//
	// Errors of the append itself are Append's (a *ConflictError,
	// ErrTooLarge, ErrInvalid, ErrDuplicateEvent); sign is then not called.
	// When the call appends nothing (no records, or an idempotent retry of
	// an append that already landed) sign is not called either, and the
	// checkpoint returned is the zero Checkpoint: whether the records are
	// covered is for the caller to find out, as after Append.
	AppendCheckpointed(ctx context.Context, stream string, expected Expected, recs []Record, sign SignFunc) ([]Record, Checkpoint, error)
}

// A Condition is a further requirement of an append: another stream (the
// ledger stream, for a write decided on its roles and signers) must still
// be as the writer read it.
type Condition struct {
	Stream   string
	Expected Expected
}

// ConditionalAppender is implemented by stores that can check a Condition
// in the same atomic step as an append (SQLite: in its transaction, under
// its write lock). EventStoreDB cannot (one append names one stream) and
// does not implement it; writers record the ledger revision they decided
// on (Record.Basis) instead, and readers judge by it.
type ConditionalAppender interface {
	CheckpointAppender

	// AppendIf is Append, appending nothing unless cond holds when the
	// records are appended: otherwise it returns a *ConflictError for
	// cond.Stream (wrapping ErrConflict). An idempotent retry of an append
	// that already landed returns the stored records whatever cond says
	// now: it held when they landed.
	AppendIf(ctx context.Context, stream string, expected Expected, recs []Record, cond Condition) ([]Record, error)
	// AppendCheckpointedIf is AppendCheckpointed under the same condition.
	AppendCheckpointedIf(ctx context.Context, stream string, expected Expected, recs []Record, cond Condition, sign SignFunc) ([]Record, Checkpoint, error)
}
