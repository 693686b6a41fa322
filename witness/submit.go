package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/transparency-dev/formats/log"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
)

// A Target is one witness the ledger's checkpoints go to.
type Target struct {
	Key *integrity.WitnessKey
	URL string // its submission prefix
}

// An Outcome is what one witness made of a submission.
type Outcome struct {
	Witness string // NAME+HASH
	Size    uint64 // the checkpoint submitted
	Lines   int    // cosignature lines saved
	Err     error
}

// Errors of a submission that say something is wrong with the ledger, not
// with the witness or the network.
var (
	// ErrWitnessAhead: a witness has cosigned a larger checkpoint of this
	// log than the ledger's newest: the ledger was rolled back, or another
	// copy of it is being checkpointed with the same key.
	ErrWitnessAhead = errors.New("a witness has seen more of this log than the ledger holds")
	// ErrFork: a witness refuses the consistency proof from the checkpoint
	// it cosigned: the ledger's history differs from what it saw.
	ErrFork = errors.New("the ledger's history differs from what a witness cosigned")
)

// A Submitter sends the ledger's newest checkpoint to its witnesses and
// saves their cosignatures. It keeps the leaf hashes it has read, so each
// submission reads only the records appended since the last, and what
// each witness last cosigned. Use one Submitter per process and store.
type Submitter struct {
	Store eventstore.Store // must also be an eventstore.CheckpointStore and CosignatureStore
	HTTP  *http.Client     // default: one with DefaultTimeout
	Log   *slog.Logger     // default: none

	mu     sync.Mutex
	leaves *integrity.Leaves
	known  map[string]uint64 // by witness key: the size it last cosigned
}

// Submit sends the newest stored checkpoint to every target, in parallel,
// and saves the cosignatures each returns. It returns the checkpoint's
// size (0 when none is stored yet: nothing to submit) and one Outcome per
// target; an error only when it could not submit at all (no checkpoint
// store, the log not giving the checkpoint's root).
func (s *Submitter) Submit(ctx context.Context, targets []Target) (uint64, []Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.Store.(eventstore.CheckpointStore)
	if !ok {
		return 0, nil, errors.New("submit to witnesses: the store keeps no checkpoints")
	}
	cos, ok := s.Store.(eventstore.CosignatureStore)
	if !ok {
		return 0, nil, errors.New("submit to witnesses: the store keeps no cosignatures")
	}
	if len(targets) == 0 {
		return 0, nil, nil
	}
	cp, err := cs.LatestCheckpoint(ctx)
	if errors.Is(err, eventstore.ErrNoCheckpoint) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("submit to witnesses: %w", err)
	}
	if err := s.readLeaves(ctx, cp); err != nil {
		return 0, nil, fmt.Errorf("submit the checkpoint of %d events to witnesses: %w", cp.Size, err)
	}
	if s.known == nil {
		s.known = map[string]uint64{}
	}
	out := make([]Outcome, len(targets))
	known := make([]uint64, len(targets))
	for i, t := range targets {
		known[i] = s.known[t.Key.String()]
	}
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			out[i], known[i] = s.submitOne(ctx, cos, cp, t, known[i])
		})
	}
	wg.Wait()
	for i, t := range targets {
		s.known[t.Key.String()] = known[i]
		o := out[i]
		if o.Err != nil {
			s.logger().Warn("witness refused or unreachable", "witness", o.Witness, "size", o.Size, "err", o.Err)
		} else {
			s.logger().Info("cosigned", "witness", o.Witness, "size", o.Size)
		}
	}
	return cp.Size, out, nil
}

func (s *Submitter) logger() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// submitOne submits cp to one witness, which last cosigned old events as
// far as known, learning the size it did cosign from a 409. It returns the
// outcome and the size the witness is now known to have cosigned.
func (s *Submitter) submitOne(ctx context.Context, cos eventstore.CosignatureStore, cp eventstore.Checkpoint, t Target, old uint64) (Outcome, uint64) {
	o := Outcome{Witness: t.Key.ID(), Size: cp.Size}
	c := &Client{URL: t.URL, Key: t.Key, HTTP: s.HTTP}
	for attempt := 0; ; attempt++ {
		if old > cp.Size {
			o.Err = fmt.Errorf("witness %s has cosigned a checkpoint of %d events, and the ledger's newest covers %d: the ledger was rolled back, or another copy of it is checkpointed with its key: %w", o.Witness, old, cp.Size, ErrWitnessAhead)
			return o, old
		}
		proof, err := s.proof(old, cp.Size)
		if err != nil {
			o.Err = err
			return o, old
		}
		lines, err := c.AddCheckpoint(ctx, old, proof, cp.Note)
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt == 0 {
			old = conflict.Size
			continue
		}
		var se *StatusError
		if errors.As(err, &se) && se.Status == http.StatusUnprocessableEntity && old > 0 {
			o.Err = fmt.Errorf("witness %s refuses the proof that the ledger's %d events extend the %d it cosigned: the ledger's history differs from what it saw: %w (%v)", o.Witness, cp.Size, old, ErrFork, err)
			return o, old
		}
		if err != nil {
			o.Err = err
			return o, old
		}
		if err := cos.SaveCosignatures(context.WithoutCancel(ctx), cp.Size, lines); err != nil {
			o.Err = fmt.Errorf("save witness %s's cosignature: %w", o.Witness, err)
			return o, cp.Size
		}
		o.Lines = len(lines)
		return o, cp.Size
	}
}

// proof returns the consistency proof from old to size events (none from
// 0, or between equal sizes).
func (s *Submitter) proof(old, size uint64) ([][]byte, error) {
	if old == 0 || old == size {
		return nil, nil
	}
	return s.leaves.Consistency(old, size)
}

// readLeaves extends the leaf hashes to cp.Size and checks they give the
// root cp's note signs; a mismatch with leaves read earlier (the log
// changed under the process) is retried once from the start.
func (s *Submitter) readLeaves(ctx context.Context, cp eventstore.Checkpoint) error {
	var body log.Checkpoint
	i := bytes.LastIndex(cp.Note, []byte("\n\n"))
	if i < 0 {
		return fmt.Errorf("the stored checkpoint is not a signed note: %w", integrity.ErrMalformed)
	}
	if _, err := body.Unmarshal(cp.Note[:i+1]); err != nil || body.Size != cp.Size {
		return fmt.Errorf("the stored checkpoint of %d events does not parse as one: %w", cp.Size, integrity.ErrMalformed)
	}
	for attempt := 0; ; attempt++ {
		if s.leaves == nil || s.leaves.Len() > cp.Size {
			s.leaves = &integrity.Leaves{}
		}
		if err := s.extend(ctx, cp.Size); err != nil {
			return err
		}
		root, err := s.leaves.Root(cp.Size)
		if err != nil {
			return err
		}
		if bytes.Equal(root, body.Hash) {
			return nil
		}
		if attempt > 0 {
			return fmt.Errorf("the log does not give the root its newest checkpoint signs; nothing is submitted (run \"breachledger verify\"): %w", integrity.ErrIntegrity)
		}
		s.leaves = nil
	}
}

// extend reads the records from the leaves held up to size.
func (s *Submitter) extend(ctx context.Context, size uint64) error {
	if s.leaves.Len() >= size {
		return nil
	}
	for r, err := range eventstore.All(ctx, s.Store, s.leaves.Len()) {
		if err != nil {
			return fmt.Errorf("read the log: %w", err)
		}
		if r.Sequence != s.leaves.Len() {
			return fmt.Errorf("the log has sequence %d where %d should be (run \"breachledger verify\"): %w", r.Sequence, s.leaves.Len(), integrity.ErrIntegrity)
		}
		s.leaves.Append(integrity.LeafOf(r).Hash())
		if s.leaves.Len() == size {
			return nil
		}
	}
	return fmt.Errorf("the log ends at %d events, before its checkpoint of %d (run \"breachledger verify\"): %w", s.leaves.Len(), size, integrity.ErrIntegrity)
}
