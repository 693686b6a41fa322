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

	"github.com/breachledger/breachledger/domain"
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
// saves their cosignatures. It remembers what each witness last cosigned;
// the consistency proof from there is made from the compact range stored
// with that checkpoint and the records appended since, so a submission
// costs the events it adds, not the ledger's size. Use one Submitter per
// process and store.
type Submitter struct {
	Store eventstore.Store // must also be an eventstore.CheckpointStore and CosignatureStore
	HTTP  *http.Client     // default: one with DefaultTimeout
	Log   *slog.Logger     // default: none

	mu    sync.Mutex
	known map[string]uint64 // by witness key: the size it last cosigned
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
	pr, err := newProver(s.Store, cs, cp)
	if err != nil {
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
			out[i], known[i] = s.submitOne(ctx, cos, pr, t, known[i])
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
func (s *Submitter) submitOne(ctx context.Context, cos eventstore.CosignatureStore, pr *prover, t Target, old uint64) (Outcome, uint64) {
	cp := pr.cp
	o := Outcome{Witness: t.Key.ID(), Size: cp.Size}
	c := &Client{URL: t.URL, Key: t.Key, HTTP: s.HTTP}
	for attempt := 0; ; attempt++ {
		if old > cp.Size {
			o.Err = fmt.Errorf("witness %s has cosigned a checkpoint of %d events, and the ledger's newest covers %d: the ledger was rolled back, or another copy of it is checkpointed with its key: %w", o.Witness, old, cp.Size, ErrWitnessAhead)
			return o, old
		}
		proof, err := pr.proof(ctx, old)
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

// A prover makes the consistency proofs of one submission, from each size
// a witness last cosigned to the checkpoint submitted, once per size.
type prover struct {
	st   eventstore.Store
	cs   eventstore.CheckpointStore
	cp   eventstore.Checkpoint
	root []byte // the root cp's note signs

	mu   sync.Mutex
	done map[uint64]proved
}

type proved struct {
	hashes [][]byte
	err    error
}

func newProver(st eventstore.Store, cs eventstore.CheckpointStore, cp eventstore.Checkpoint) (*prover, error) {
	var body log.Checkpoint
	i := bytes.LastIndex(cp.Note, []byte("\n\n"))
	if i < 0 {
		return nil, fmt.Errorf("the stored checkpoint is not a signed note: %w", integrity.ErrMalformed)
	}
	if _, err := body.Unmarshal(cp.Note[:i+1]); err != nil || body.Size != cp.Size {
		return nil, fmt.Errorf("the stored checkpoint of %d events does not parse as one: %w", cp.Size, integrity.ErrMalformed)
	}
	return &prover{st: st, cs: cs, cp: cp, root: body.Hash, done: map[uint64]proved{}}, nil
}

// proof returns the consistency proof from old events to the checkpoint
// (none from 0, or from its own size), after checking that the log,
// extended from the compact range of old, gives the root the checkpoint
// signs: nothing is submitted for a log that does not.
func (p *prover) proof(ctx context.Context, old uint64) ([][]byte, error) {
	if old == 0 || old == p.cp.Size {
		return nil, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if d, ok := p.done[old]; ok {
		return d.hashes, d.err
	}
	hashes, err := p.prove(ctx, old)
	p.done[old] = proved{hashes, err}
	return hashes, err
}

func (p *prover) prove(ctx context.Context, old uint64) ([][]byte, error) {
	rng, err := p.rangeAt(ctx, old)
	if err != nil {
		return nil, err
	}
	after, err := leafHashes(ctx, p.st, old, p.cp.Size)
	if err != nil {
		return nil, err
	}
	root, hashes, err := integrity.ExtendProof(old, rng, after)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(root, p.root) {
		return nil, fmt.Errorf("the log, extended from the checkpoint of %d events, does not give the root its checkpoint of %d signs; nothing is submitted (run \"breachledger verify\"): %w", old, p.cp.Size, integrity.ErrIntegrity)
	}
	return hashes, nil
}

// rangeAt returns the compact range of the tree of size events: the one
// stored with the checkpoint of that size, or, when none is stored (the
// witness cosigned a size this ledger never checkpointed), the one the
// log's first size events give.
func (p *prover) rangeAt(ctx context.Context, size uint64) ([][]byte, error) {
	cps, err := p.cs.ReadCheckpoints(ctx, size-1, 1)
	if err != nil {
		return nil, fmt.Errorf("read the checkpoint of %d events: %w", size, err)
	}
	if len(cps) == 1 && cps[0].Size == size && len(cps[0].Range) > 0 {
		return cps[0].Range, nil
	}
	hs, err := leafHashes(ctx, p.st, 0, size)
	if err != nil {
		return nil, err
	}
	t := integrity.NewTree()
	for _, h := range hs {
		t.Append(h)
	}
	return t.Range(), nil
}

// leafHashes returns the leaf hashes of the log's sequences [from, to).
func leafHashes(ctx context.Context, st eventstore.Store, from, to uint64) ([][]byte, error) {
	out := make([][]byte, 0, to-from)
	if from == to {
		return out, nil
	}
	for r, err := range eventstore.All(ctx, st, from) {
		if err != nil {
			return nil, fmt.Errorf("read the log: %w", err)
		}
		if r.Sequence != from+uint64(len(out)) {
			return nil, fmt.Errorf("the log has sequence %d where %d should be (run \"breachledger verify\"): %w", r.Sequence, from+uint64(len(out)), integrity.ErrIntegrity)
		}
		out = append(out, integrity.LeafOf(r).Hash())
		if r.Sequence+1 == to {
			return out, nil
		}
	}
	return nil, fmt.Errorf("the log ends at %d events, before its checkpoint of %d (run \"breachledger verify\"): %w", from+uint64(len(out)), to, integrity.ErrIntegrity)
}

// TargetsOf returns the witnesses ws name (the ledger's, as domain folds
// them) as targets, and, for each whose key does not parse (the domain
// checks a key's form, not its cryptography), why it is left out.
func TargetsOf(ws []domain.WitnessState) ([]Target, []error) {
	var out []Target
	var bad []error
	for _, w := range ws {
		k, err := integrity.ParseWitnessKey(w.Key)
		if err != nil {
			bad = append(bad, fmt.Errorf("witness %s: its key does not parse; not submitted to: %w", w.Key, err))
			continue
		}
		out = append(out, Target{Key: k, URL: w.URL})
	}
	return out, bad
}
