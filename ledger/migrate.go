package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"

	"github.com/breachledger/breachledger/eventstore"
)

// ErrMigrateMismatch: the target ledger of a migration does not hold the
// source's history (it was another ledger, or the copy came out different).
var ErrMigrateMismatch = errors.New("the target ledger does not match the source")

// MigrateOptions control Migrate.
type MigrateOptions struct {
	// Batch is how many records each read and import moves (default 500).
	Batch int
	// Progress, if set, is called after each batch with how many records
	// the target holds and how many the source has.
	Progress func(done, total uint64)
}

// MigrateReport says what Migrate did.
type MigrateReport struct {
	Total   uint64   // records of the source copied up to (its Head when Migrate began)
	Present uint64   // records the target already held, checked equal, from an earlier run
	Copied  uint64   // records copied by this run
	Digest  [32]byte // HistoryDigest of the first Total records, the same on both

	Checkpoints  uint64 // signed checkpoints copied (when both stores keep them)
	Cosignatures uint64 // witnesses' cosignature lines copied (when both stores keep them)
}

// Migrate copies the ledger in from to to, in sequence order, keeping every
// field of every record (event IDs, sequences, revisions, recorded times,
// actors, signatures), so every checkpoint and proof made on the source
// also verifies on the copy; then the signed checkpoints and the
// witnesses' cosignatures of each (when both stores keep them), so a
// cosigned checkpoint stays cosigned. to must be an eventstore.Importer.
//
// It copies the records the source holds when it begins. It is resumable:
// a target that already holds a prefix of the source's history (from an
// interrupted run) is checked record by record and the copy goes on from
// there; a target that holds anything else is refused. At the end it
// checks that both hold the same number of records and the same
// HistoryDigest over them. Stop writers on the source first: what they
// append after Migrate began is not copied (run it again to copy it).
func Migrate(ctx context.Context, from, to eventstore.Store, opts MigrateOptions) (MigrateReport, error) {
	imp, ok := to.(eventstore.Importer)
	if !ok {
		return MigrateReport{}, fmt.Errorf("migrate: the target store (%T) cannot import", to)
	}
	batch := opts.Batch
	if batch <= 0 {
		batch = 500
	}
	total, err := from.Head(ctx)
	if err != nil {
		return MigrateReport{}, fmt.Errorf("migrate: read the source: %w", err)
	}
	present, err := to.Head(ctx)
	if err != nil {
		return MigrateReport{}, fmt.Errorf("migrate: read the target: %w", err)
	}
	rep := MigrateReport{Total: total, Present: present}
	if present > total {
		return rep, fmt.Errorf("migrate: the target holds %d records, the source %d: %w", present, total, ErrMigrateMismatch)
	}
	if err := samePrefix(ctx, from, to, present, batch); err != nil {
		return rep, err
	}
	if opts.Progress != nil {
		opts.Progress(present, total)
	}
	for seq := present; seq < total; {
		page, err := from.ReadAll(ctx, seq, int(min(uint64(batch), total-seq)))
		if err != nil {
			return rep, fmt.Errorf("migrate: read the source at %d: %w", seq, err)
		}
		if len(page) == 0 {
			return rep, fmt.Errorf("migrate: the source ends at %d, before its head %d", seq, total)
		}
		if err := imp.Import(ctx, page); err != nil {
			return rep, fmt.Errorf("migrate: %w", err)
		}
		seq += uint64(len(page))
		rep.Copied += uint64(len(page))
		if opts.Progress != nil {
			opts.Progress(seq, total)
		}
	}

	// Verify: the same count, and the same digest of everything.
	n, err := to.Head(ctx)
	if err != nil {
		return rep, fmt.Errorf("migrate: verify: %w", err)
	}
	if n != total {
		return rep, fmt.Errorf("migrate: verify: the target holds %d records, want %d (did something else append to it?): %w", n, total, ErrMigrateMismatch)
	}
	src, err := HistoryDigest(ctx, from, total)
	if err != nil {
		return rep, fmt.Errorf("migrate: verify the source: %w", err)
	}
	dst, err := HistoryDigest(ctx, to, total)
	if err != nil {
		return rep, fmt.Errorf("migrate: verify the target: %w", err)
	}
	if src != dst {
		return rep, fmt.Errorf("migrate: verify: history digests differ: source sha256:%x, target sha256:%x: %w", src, dst, ErrMigrateMismatch)
	}
	rep.Digest = src
	if err := copyCheckpoints(ctx, from, to, total, &rep); err != nil {
		return rep, fmt.Errorf("migrate: %w", err)
	}
	return rep, nil
}

// copyCheckpoints copies the source's signed checkpoints of at most total
// records that the target lacks, in order of size, with their leaves, when
// both stores keep checkpoints; and, when both keep witnesses'
// cosignatures, each one's cosignatures right after it is saved. A run
// interrupted between a checkpoint and its cosignatures leaves that
// checkpoint the target's newest, so the next run begins by copying the
// cosignatures of the target's newest checkpoint that it lacks (which
// also brings over those a witness added on the source since).
func copyCheckpoints(ctx context.Context, from, to eventstore.Store, total uint64, rep *MigrateReport) error {
	src, ok1 := from.(eventstore.CheckpointStore)
	dst, ok2 := to.(eventstore.CheckpointStore)
	if !ok1 || !ok2 {
		return nil
	}
	after := uint64(0)
	latest, err := dst.LatestCheckpoint(ctx)
	switch {
	case err == nil:
		after = latest.Size
	case !errors.Is(err, eventstore.ErrNoCheckpoint):
		return fmt.Errorf("read the target's checkpoints: %w", err)
	}
	if after > 0 && after <= total {
		if err := copyCosignatures(ctx, from, to, after, rep); err != nil {
			return err
		}
	}
	for cp, err := range eventstore.Checkpoints(ctx, src, after) {
		if err != nil {
			return fmt.Errorf("read the source's checkpoints: %w", err)
		}
		if cp.Size > total {
			break
		}
		if _, err := dst.SaveCheckpoint(ctx, cp); err != nil {
			return fmt.Errorf("copy the checkpoint of size %d: %w", cp.Size, err)
		}
		rep.Checkpoints++
		if err := copyCosignatures(ctx, from, to, cp.Size, rep); err != nil {
			return err
		}
	}
	return nil
}

// copyCosignatures copies, in order, the source's cosignature lines of the
// checkpoint of size events that the target does not hold yet (each line
// as many times as the source holds it), when both stores keep
// cosignatures; the checkpoint must be stored in the target. It saves at
// most eventstore.MaxCosignatures lines per call.
func copyCosignatures(ctx context.Context, from, to eventstore.Store, size uint64, rep *MigrateReport) error {
	src, ok1 := from.(eventstore.CosignatureStore)
	dst, ok2 := to.(eventstore.CosignatureStore)
	if !ok1 || !ok2 {
		return nil
	}
	want, err := src.ReadCosignatures(ctx, size)
	if err != nil {
		return fmt.Errorf("read the source's cosignatures: %w", err)
	}
	if len(want) == 0 {
		return nil
	}
	have, err := dst.ReadCosignatures(ctx, size)
	if err != nil {
		return fmt.Errorf("read the target's cosignatures: %w", err)
	}
	held := make(map[string]int, len(have))
	for _, c := range have {
		held[string(c.Line)]++
	}
	var missing [][]byte
	for _, c := range want {
		if held[string(c.Line)] > 0 {
			held[string(c.Line)]--
			continue
		}
		missing = append(missing, c.Line)
	}
	for len(missing) > 0 {
		n := min(len(missing), eventstore.MaxCosignatures)
		if err := dst.SaveCosignatures(ctx, size, missing[:n]); err != nil {
			return fmt.Errorf("copy the cosignatures of the checkpoint of size %d: %w", size, err)
		}
		rep.Cosignatures += uint64(n)
		missing = missing[n:]
	}
	return nil
}

// samePrefix checks that the first n records of a and b are equal.
func samePrefix(ctx context.Context, a, b eventstore.Store, n uint64, batch int) error {
	for seq := uint64(0); seq < n; {
		want, err := a.ReadAll(ctx, seq, int(min(uint64(batch), n-seq)))
		if err != nil {
			return fmt.Errorf("migrate: read the source at %d: %w", seq, err)
		}
		got, err := b.ReadAll(ctx, seq, len(want))
		if err != nil {
			return fmt.Errorf("migrate: read the target at %d: %w", seq, err)
		}
		for i, w := range want {
			if i >= len(got) || !sameRecord(w, got[i]) {
				return fmt.Errorf("migrate: the target's record at sequence %d is not the source's (event %s): the target is another ledger, or was changed: %w",
					w.Sequence, w.ID, ErrMigrateMismatch)
			}
		}
		if len(want) == 0 {
			return fmt.Errorf("migrate: the source ends at %d, before %d", seq, n)
		}
		seq += uint64(len(want))
	}
	return nil
}

func sameRecord(a, b eventstore.Record) bool {
	return a.ID == b.ID && a.Stream == b.Stream && a.Type == b.Type && a.OccurredAt.Equal(b.OccurredAt) &&
		a.Actor == b.Actor && a.Signer == b.Signer && bytes.Equal(a.Signature, b.Signature) &&
		bytes.Equal(a.Payload, b.Payload) && a.Basis == b.Basis && a.Revision == b.Revision && a.Sequence == b.Sequence &&
		a.RecordedAt.Equal(b.RecordedAt)
}

// HistoryDigest returns the SHA-256 of the first n records of s, in
// sequence order, each encoded with every field: sequence, revision, event
// ID, stream, type, business time, recorded time, basis, actor, signer,
// signature and payload. Two ledgers have the same digest exactly when they hold the
// same history. It fails if s has fewer than n records or its sequences
// are not 0, 1, 2...
func HistoryDigest(ctx context.Context, s eventstore.Store, n uint64) ([32]byte, error) {
	h := sha256.New()
	h.Write([]byte("breachledger history digest v2\n")) // v2: with the basis
	seq := uint64(0)
	for r, err := range eventstore.All(ctx, s, 0) {
		if err != nil {
			return [32]byte{}, err
		}
		if seq == n {
			break
		}
		if r.Sequence != seq {
			return [32]byte{}, fmt.Errorf("record %s has sequence %d, want %d", r.ID, r.Sequence, seq)
		}
		writeRecord(h, r)
		seq++
	}
	if seq < n {
		return [32]byte{}, fmt.Errorf("the ledger has %d records, want %d", seq, n)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum, nil
}

func writeRecord(h hash.Hash, r eventstore.Record) {
	var b []byte
	b = binary.BigEndian.AppendUint64(b, r.Sequence)
	b = binary.BigEndian.AppendUint64(b, r.Revision)
	b = append(b, r.ID[:]...)
	field := func(p []byte) {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	field([]byte(r.Stream))
	field([]byte(r.Type))
	b = binary.BigEndian.AppendUint64(b, uint64(r.OccurredAt.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(r.RecordedAt.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, r.Basis)
	field([]byte(r.Actor))
	field([]byte(r.Signer))
	field(r.Signature)
	field(r.Payload)
	h.Write(b)
}
