package ledger

import (
	"context"
	"fmt"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
)

// Cosignatures returns the witnesses' cosignature lines kept beside the
// stored checkpoint of size events (none on a store that keeps none).
func Cosignatures(ctx context.Context, st eventstore.Store, size uint64) ([][]byte, error) {
	cos, ok := st.(eventstore.CosignatureStore)
	if !ok {
		return nil, nil
	}
	got, err := cos.ReadCosignatures(ctx, size)
	if err != nil {
		return nil, fmt.Errorf("read the cosignatures of the checkpoint of %d events: %w", size, err)
	}
	lines := make([][]byte, len(got))
	for i, c := range got {
		lines[i] = c.Line
	}
	return lines, nil
}

// CosignedNote returns note, the signed checkpoint of size events, with
// the newest cosignature of each witness kept beside the stored checkpoint
// of that size added to its signature lines (integrity.Cosigned), as an
// auditor receives it in a proof, a bundle or a kept checkpoint. The lines
// are not judged here: the auditor checks them against the witness keys
// they trust.
func CosignedNote(ctx context.Context, st eventstore.Store, size uint64, note []byte) ([]byte, error) {
	lines, err := Cosignatures(ctx, st, size)
	if err != nil || len(lines) == 0 {
		return note, err
	}
	n, err := integrity.Cosigned(note, lines)
	if err != nil {
		return note, fmt.Errorf("cosign the checkpoint of %d events: %w", size, err)
	}
	return n, nil
}

// Cosign returns cp with its note cosigned (CosignedNote).
func Cosign(ctx context.Context, st eventstore.Store, cp integrity.Checkpoint) (integrity.Checkpoint, error) {
	n, err := CosignedNote(ctx, st, cp.Size, cp.Note)
	cp.Note = n
	return cp, err
}
