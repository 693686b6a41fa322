package esdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
)

var _ eventstore.CheckpointStore = (*Store)(nil)

// CheckpointStreamPrefix, followed by the ledger's prefix, names the
// stream that keeps the ledger's checkpoints. It lies outside the ledger's
// prefix, so checkpoints take no sequences; no ledger in the same database
// may have a prefix that is a prefix of it.
const CheckpointStreamPrefix = "breachledger-checkpoints:"

// Event types of the checkpoint stream.
const (
	checkpointType = "CheckpointSaved"
	leavesType     = "CheckpointLeaves"
)

// leavesChunk is how many bytes of leaves one event of the checkpoint
// stream carries at most; a checkpoint with more leaves is preceded by
// CheckpointLeaves events.
const leavesChunk = 512 << 10

// checkpointEvent is the data of a CheckpointSaved event. Attempt ties it
// to the CheckpointLeaves events written for it just before (Chunks of
// them); events of an attempt that never wrote its CheckpointSaved are
// ignored.
type checkpointEvent struct {
	Attempt    uuid.UUID `json:"attempt"`
	Size       uint64    `json:"size"`
	Root       []byte    `json:"root"`
	Note       []byte    `json:"note"`
	Range      [][]byte  `json:"range"`
	LeavesFrom uint64    `json:"leaves_from"`
	Leaves     [][]byte  `json:"leaves,omitempty"`
	Chunks     int       `json:"chunks,omitempty"`
	SavedAt    time.Time `json:"saved_at"`
	// Anchor is the $all position and event ID of the last event the
	// checkpoint covers (sequence Size-1), so a reader's rank file can be
	// checked against it (rankfile.go). Checkpoints saved before it have
	// none.
	Anchor *rankAnchor `json:"anchor,omitempty"`
}

// rankAnchor ties a sequence to the event at a position of $all.
type rankAnchor struct {
	Seq     uint64    `json:"seq"`
	Commit  uint64    `json:"commit"`
	Prepare uint64    `json:"prepare"`
	ID      uuid.UUID `json:"id"`
}

type leavesEvent struct {
	Attempt uuid.UUID `json:"attempt"`
	From    uint64    `json:"from"`
	Leaves  [][]byte  `json:"leaves"`
}

func (s *Store) checkpointStream() string { return CheckpointStreamPrefix + s.prefix }

// SaveCheckpoint stores cp if it is larger than the newest stored
// checkpoint, as eventstore.CheckpointStore documents: as an event of the
// checkpoint stream appended at the revision it read, so of two writers
// racing one wins and the other finds its checkpoint stale (or, if it is
// larger, tries again). A checkpoint with more leaves than fit in one
// append is preceded by events carrying them; a failure between leaves the
// newest checkpoint as it was.
func (s *Store) SaveCheckpoint(ctx context.Context, cp eventstore.Checkpoint) (eventstore.Checkpoint, error) {
	fail := func(err error) (eventstore.Checkpoint, error) {
		return eventstore.Checkpoint{}, fmt.Errorf("save checkpoint of size %d: %w", cp.Size, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := cp.Validate(); err != nil {
		return fail(err)
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer done()
	for range 20 { // each round loses only to a writer that saved meanwhile
		var out eventstore.Checkpoint
		err := s.retry(ctx, func(c *conn) error {
			var err error
			out, err = s.saveCheckpoint(ctx, c, cp)
			return err
		})
		if !errors.Is(err, errCheckpointRace) {
			if err != nil {
				return fail(err)
			}
			return out, nil
		}
	}
	return fail(errors.New("other writers kept saving checkpoints"))
}

var errCheckpointRace = errors.New("another checkpoint was saved meanwhile")

func (s *Store) saveCheckpoint(ctx context.Context, c *conn, cp eventstore.Checkpoint) (eventstore.Checkpoint, error) {
	latest, last, err := s.latestCheckpoint(ctx, c)
	newest := uint64(0)
	switch {
	case err == nil:
		newest = latest.Size
	case !errors.Is(err, eventstore.ErrNoCheckpoint):
		return eventstore.Checkpoint{}, err
	}
	if newest >= cp.Size {
		return eventstore.Checkpoint{}, fmt.Errorf("a checkpoint of size %d is stored: %w", newest, eventstore.ErrStaleCheckpoint)
	}
	from := cp.Size - uint64(len(cp.Leaves))
	if from > newest {
		return eventstore.Checkpoint{}, fmt.Errorf("leaves start at sequence %d, the newest checkpoint ends at %d: %w", from, newest, eventstore.ErrInvalid)
	}
	leaves := cp.Leaves[newest-from:]
	total := 0
	for i, leaf := range leaves {
		if len(leaf) == 0 {
			return eventstore.Checkpoint{}, fmt.Errorf("empty leaf at sequence %d: %w", newest+uint64(i), eventstore.ErrInvalid)
		}
		total += len(leaf)
	}
	anchor, err := s.anchorOf(ctx, c, cp.Size-1)
	if err != nil {
		return eventstore.Checkpoint{}, err
	}
	ev := checkpointEvent{
		Attempt: uuid.New(), Size: cp.Size, Root: cp.Root, Note: cp.Note, Range: cp.Range,
		LeavesFrom: newest, SavedAt: s.now().UTC().Truncate(time.Microsecond), Anchor: anchor,
	}
	var chunks []leavesEvent
	if total <= leavesChunk {
		ev.Leaves = leaves
	} else {
		at, size := 0, 0
		for i, leaf := range leaves {
			if size+len(leaf) > leavesChunk && i > at {
				chunks = append(chunks, leavesEvent{Attempt: ev.Attempt, From: newest + uint64(at), Leaves: leaves[at:i]})
				at, size = i, 0
			}
			size += len(leaf)
		}
		chunks = append(chunks, leavesEvent{Attempt: ev.Attempt, From: newest + uint64(at), Leaves: leaves[at:]})
		ev.Chunks = len(chunks)
	}
	expected := last
	write := func(typ string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = c.c.AppendToStream(ctx, s.checkpointStream(), esclient.AppendToStreamOptions{ExpectedRevision: expected},
			esclient.EventData{EventType: typ, ContentType: esclient.ContentTypeJson, Data: data})
		if classify(err).class == classConflict {
			return errCheckpointRace
		}
		if err != nil {
			return s.check(c, callError(ctx, "append to "+s.checkpointStream(), err))
		}
		if r, ok := expected.(esclient.StreamRevision); ok {
			expected = esclient.Revision(r.Value + 1)
		} else {
			expected = esclient.Revision(0)
		}
		return nil
	}
	for _, ch := range chunks {
		if err := write(leavesType, ch); err != nil {
			return eventstore.Checkpoint{}, err
		}
	}
	if err := write(checkpointType, ev); err != nil {
		return eventstore.Checkpoint{}, err
	}
	out := cp
	out.LeavesFrom, out.Leaves, out.SavedAt = newest, leaves, ev.SavedAt
	return out, nil
}

// latestCheckpoint returns the newest checkpoint (without leaves) and the
// revision to append the next one at.
func (s *Store) latestCheckpoint(ctx context.Context, c *conn) (eventstore.Checkpoint, esclient.ExpectedRevision, error) {
	rs, err := c.c.ReadStream(ctx, s.checkpointStream(), esclient.ReadStreamOptions{Direction: esclient.Backwards, From: esclient.End{}}, 1<<20)
	if err != nil {
		return eventstore.Checkpoint{}, nil, s.check(c, callError(ctx, "read checkpoints", err))
	}
	defer rs.Close()
	var last esclient.ExpectedRevision
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			if last == nil {
				last = esclient.NoStream{}
			}
			return eventstore.Checkpoint{}, last, eventstore.ErrNoCheckpoint
		}
		if classify(err).class == classNotFound {
			return eventstore.Checkpoint{}, esclient.NoStream{}, eventstore.ErrNoCheckpoint
		}
		if err != nil {
			return eventstore.Checkpoint{}, nil, s.check(c, callError(ctx, "read checkpoints", err))
		}
		ev := e.OriginalEvent()
		if last == nil {
			last = esclient.Revision(ev.EventNumber)
		}
		if ev.EventType != checkpointType {
			continue // leaves of an attempt that did not finish
		}
		cp, _, err := decodeCheckpoint(ev)
		if err != nil {
			return eventstore.Checkpoint{}, nil, err
		}
		cp.Leaves = nil
		return cp, last, nil
	}
}

// anchorOf returns the anchor of sequence seq, catching the index up to
// it; nil when the ledger has no such event (the store keeps checkpoints
// as opaque bytes, and does not judge them).
func (s *Store) anchorOf(ctx context.Context, c *conn, seq uint64) (*rankAnchor, error) {
	if s.idx.len() <= seq {
		if err := s.catchUp(ctx, c); err != nil {
			return nil, err
		}
	}
	s.idx.mu.Lock()
	defer s.idx.mu.Unlock()
	if seq >= s.idx.n {
		return nil, nil
	}
	e, err := s.idx.rowLocked(seq)
	if err != nil {
		return nil, err
	}
	return &rankAnchor{Seq: seq, Commit: e.pos.Commit, Prepare: e.pos.Prepare, ID: e.id}, nil
}

// latestAnchor returns the anchor of the newest checkpoint, if it has one.
func (s *Store) latestAnchor(ctx context.Context, c *conn) (rankAnchor, bool, error) {
	rs, err := c.c.ReadStream(ctx, s.checkpointStream(), esclient.ReadStreamOptions{Direction: esclient.Backwards, From: esclient.End{}}, 1<<20)
	if err != nil {
		return rankAnchor{}, false, s.check(c, callError(ctx, "read checkpoints", err))
	}
	defer rs.Close()
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return rankAnchor{}, false, nil
		}
		if classify(err).class == classNotFound {
			return rankAnchor{}, false, nil
		}
		if err != nil {
			return rankAnchor{}, false, s.check(c, callError(ctx, "read checkpoints", err))
		}
		ev := e.OriginalEvent()
		if ev.EventType != checkpointType {
			continue
		}
		_, ce, err := decodeCheckpoint(ev)
		if err != nil || ce.Anchor == nil || ce.Anchor.Seq != ce.Size-1 {
			return rankAnchor{}, false, err
		}
		return *ce.Anchor, true, nil
	}
}

func decodeCheckpoint(ev *esclient.RecordedEvent) (eventstore.Checkpoint, checkpointEvent, error) {
	var ce checkpointEvent
	if err := json.Unmarshal(ev.Data, &ce); err != nil || ce.Size == 0 {
		return eventstore.Checkpoint{}, ce, fmt.Errorf("checkpoint event %s at revision %d of %s is malformed", ev.EventID, ev.EventNumber, ev.StreamID)
	}
	return eventstore.Checkpoint{
		Size: ce.Size, Root: ce.Root, Note: ce.Note, Range: ce.Range,
		LeavesFrom: ce.LeavesFrom, Leaves: ce.Leaves, SavedAt: ce.SavedAt.UTC(),
	}, ce, nil
}

// LatestCheckpoint returns the newest checkpoint, without its leaves.
func (s *Store) LatestCheckpoint(ctx context.Context) (eventstore.Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("read latest checkpoint: %w", err)
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("read latest checkpoint: %w", err)
	}
	defer done()
	var cp eventstore.Checkpoint
	err = s.retry(ctx, func(c *conn) error {
		var err error
		cp, _, err = s.latestCheckpoint(ctx, c)
		return err
	})
	if err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("read latest checkpoint: %w", err)
	}
	return cp, nil
}

// ReadCheckpoints returns checkpoints larger than after with their leaves,
// reading the checkpoint stream from its start. A leaf a checkpoint lacks
// is a nil entry of Leaves.
func (s *Store) ReadCheckpoints(ctx context.Context, after uint64, limit int) ([]eventstore.Checkpoint, error) {
	fail := func(err error) ([]eventstore.Checkpoint, error) {
		return nil, fmt.Errorf("read checkpoints after %d: %w", after, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer done()
	var out []eventstore.Checkpoint
	err = s.retry(ctx, func(c *conn) error {
		var err error
		out, err = s.readCheckpoints(ctx, c, after, limit)
		return err
	})
	if err != nil {
		return fail(err)
	}
	return out, nil
}

func (s *Store) readCheckpoints(ctx context.Context, c *conn, after uint64, limit int) ([]eventstore.Checkpoint, error) {
	rs, err := c.c.ReadStream(ctx, s.checkpointStream(), esclient.ReadStreamOptions{}, 1<<62)
	if err != nil {
		return nil, s.check(c, callError(ctx, "read checkpoints", err))
	}
	defer rs.Close()
	var (
		out     []eventstore.Checkpoint
		pending = map[uuid.UUID][]leavesEvent{}
	)
	for limit <= 0 || len(out) < limit {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if classify(err).class == classNotFound {
			break
		}
		if err != nil {
			return nil, s.check(c, callError(ctx, "read checkpoints", err))
		}
		ev := e.OriginalEvent()
		switch ev.EventType {
		case leavesType:
			var le leavesEvent
			if err := json.Unmarshal(ev.Data, &le); err != nil {
				return nil, fmt.Errorf("checkpoint leaves event %s is malformed: %w", ev.EventID, err)
			}
			pending[le.Attempt] = append(pending[le.Attempt], le)
		case checkpointType:
			cp, ce, err := decodeCheckpoint(ev)
			if err != nil {
				return nil, err
			}
			chunks := pending[ce.Attempt]
			delete(pending, ce.Attempt)
			if cp.Size <= after {
				continue
			}
			if ce.Chunks > 0 {
				cp.Leaves = make([][]byte, cp.Size-cp.LeavesFrom)
				for _, ch := range chunks {
					for i, leaf := range ch.Leaves {
						if k := ch.From + uint64(i); k >= cp.LeavesFrom && k < cp.Size {
							cp.Leaves[k-cp.LeavesFrom] = leaf
						}
					}
				}
			}
			out = append(out, cp)
		}
	}
	return out, nil
}
