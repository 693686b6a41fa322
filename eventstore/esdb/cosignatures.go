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

var _ eventstore.CosignatureStore = (*Store)(nil)

// CosignatureStreamPrefix, followed by the ledger's prefix, names the
// stream that keeps witnesses' cosignatures of the ledger's checkpoints.
// Like the checkpoint stream it lies outside the ledger's prefix, so
// cosignatures take no sequences and Audit never reads them as the
// ledger's; no ledger in the same database may have a prefix that is a
// prefix of it.
const CosignatureStreamPrefix = "breachledger-cosignatures:"

// cosignaturesType is the event type of the cosignature stream: one event
// per SaveCosignatures call.
const cosignaturesType = "CosignaturesSaved"

// cosignaturesEvent is the data of a CosignaturesSaved event. Lines are
// base64 in the JSON (encoding/json's []byte), as saved; SavedAt is the
// saving client's clock, as for checkpoints.
type cosignaturesEvent struct {
	Size    uint64    `json:"size"`
	Lines   [][]byte  `json:"lines"`
	SavedAt time.Time `json:"saved_at"`
}

func (s *Store) cosignatureStream() string { return CosignatureStreamPrefix + s.prefix }

// SaveCosignatures stores lines as cosignatures of the stored checkpoint of
// size events, as eventstore.CosignatureStore documents: it reads the
// checkpoint stream to check the checkpoint is there (a checkpoint, once
// saved, stays), then appends one event carrying every line to the
// cosignature stream at any revision, so concurrent saves all land. The
// event's ID is chosen before the first attempt: a retry after an append
// the server took but did not acknowledge is not stored twice.
func (s *Store) SaveCosignatures(ctx context.Context, size uint64, lines [][]byte) error {
	fail := func(err error) error {
		return fmt.Errorf("save cosignatures of checkpoint %d: %w", size, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := eventstore.ValidateCosignatures(lines); err != nil {
		return fail(err)
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer done()
	data, err := json.Marshal(cosignaturesEvent{Size: size, Lines: lines, SavedAt: s.now().UTC().Truncate(time.Microsecond)})
	if err != nil {
		return fail(err)
	}
	ev := esclient.EventData{EventID: uuid.New(), EventType: cosignaturesType, ContentType: esclient.ContentTypeJson, Data: data}
	err = s.retry(ctx, func(c *conn) error {
		ok, err := s.hasCheckpoint(ctx, c, size)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("no checkpoint of that size is stored: %w", eventstore.ErrNoCheckpoint)
		}
		_, err = c.c.AppendToStream(ctx, s.cosignatureStream(), esclient.AppendToStreamOptions{ExpectedRevision: esclient.Any{}}, ev)
		if err != nil {
			return s.check(c, callError(ctx, "append to "+s.cosignatureStream(), err))
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return nil
}

// hasCheckpoint reports whether a checkpoint of size is stored. It reads
// the checkpoint stream backwards, where sizes only fall, so it stops at
// the first checkpoint no larger than size: for the newest checkpoint,
// which witnesses cosign, that is the first one read.
func (s *Store) hasCheckpoint(ctx context.Context, c *conn, size uint64) (bool, error) {
	if size == 0 {
		return false, nil
	}
	rs, err := c.c.ReadStream(ctx, s.checkpointStream(), esclient.ReadStreamOptions{Direction: esclient.Backwards, From: esclient.End{}}, 1<<62)
	if err != nil {
		return false, s.check(c, callError(ctx, "read checkpoints", err))
	}
	defer rs.Close()
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if classify(err).class == classNotFound {
			return false, nil
		}
		if err != nil {
			return false, s.check(c, callError(ctx, "read checkpoints", err))
		}
		ev := e.OriginalEvent()
		if ev.EventType != checkpointType {
			continue // leaves of a checkpoint
		}
		var cp struct {
			Size uint64 `json:"size"`
		}
		if err := json.Unmarshal(ev.Data, &cp); err != nil || cp.Size == 0 {
			return false, fmt.Errorf("checkpoint event %s at revision %d of %s is malformed", ev.EventID, ev.EventNumber, ev.StreamID)
		}
		if cp.Size <= size {
			return cp.Size == size, nil
		}
	}
}

// ReadCosignatures returns the cosignatures of the checkpoint of size
// events, in the order saved. It reads the whole cosignature stream
// forwards and keeps the lines of size: fine while the stream is small,
// but it grows by one event per witness refresh (every witness-refresh,
// even with no new checkpoint), so a ledger that lives for years will want
// an index (a stream per checkpoint, or reading backwards from the newest)
// before this read gets slow.
func (s *Store) ReadCosignatures(ctx context.Context, size uint64) ([]eventstore.Cosignature, error) {
	fail := func(err error) ([]eventstore.Cosignature, error) {
		return nil, fmt.Errorf("read cosignatures of checkpoint %d: %w", size, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer done()
	var out []eventstore.Cosignature
	err = s.retry(ctx, func(c *conn) error {
		var err error
		out, err = s.readCosignatures(ctx, c, size)
		return err
	})
	if err != nil {
		return fail(err)
	}
	return out, nil
}

func (s *Store) readCosignatures(ctx context.Context, c *conn, size uint64) ([]eventstore.Cosignature, error) {
	rs, err := c.c.ReadStream(ctx, s.cosignatureStream(), esclient.ReadStreamOptions{}, 1<<62)
	if err != nil {
		return nil, s.check(c, callError(ctx, "read cosignatures", err))
	}
	defer rs.Close()
	var (
		out  []eventstore.Cosignature
		seen = map[uuid.UUID]bool{}
	)
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if classify(err).class == classNotFound {
			return out, nil
		}
		if err != nil {
			return nil, s.check(c, callError(ctx, "read cosignatures", err))
		}
		ev := e.OriginalEvent()
		if ev.EventType != cosignaturesType || seen[ev.EventID] {
			continue // not ours; or an append repeated (the server took the first)
		}
		seen[ev.EventID] = true
		var ce cosignaturesEvent
		if err := json.Unmarshal(ev.Data, &ce); err != nil || ce.Size == 0 || len(ce.Lines) == 0 {
			return nil, fmt.Errorf("cosignatures event %s at revision %d of %s is malformed", ev.EventID, ev.EventNumber, ev.StreamID)
		}
		if ce.Size != size {
			continue
		}
		for _, l := range ce.Lines {
			out = append(out, eventstore.Cosignature{Size: ce.Size, Line: l, SavedAt: ce.SavedAt.UTC()})
		}
	}
}
