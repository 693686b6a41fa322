package esdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
)

var _ eventstore.Auditor = (*Store)(nil)

var _ eventstore.StampSlacker = (*Store)(nil)

// StampSlack is DefaultClockTolerance: each writer stamps its events before
// the append reaches $all, so writers racing on different streams may land
// out of their stamps' order, by about an append's latency. Audit holds
// every stamp to within the same tolerance of the server's own time.
func (s *Store) StampSlack() time.Duration { return DefaultClockTolerance }

// Audit checks what only the server knows about the ledger, as
// eventstore.Auditor documents. It reads the ledger's events in $all once
// more (after whatever verification read them) and each of its streams'
// first event and metadata, and finds:
//
//   - events that are in $all but that stream reads no longer return
//     ("hidden"): their stream was soft-deleted, tombstoned, or truncated
//     by $tb, $maxCount or $maxAge, which any user with the default ACLs
//     may do. A scavenge will remove them from $all for good, and every
//     later sequence will move down. The finding names the first hidden
//     event and the cause, from the stream's metadata.
//   - streams whose first revisions, or revisions in between, $all no
//     longer has ("removed"): a scavenge already removed them. (The
//     sequences of everything after them have moved down: verification
//     against the checkpoints' leaf copies names the first removed event.)
//   - events whose recorded time is further than the tolerance
//     (DefaultClockTolerance unless given) from the server's "created"
//     ("recorded time"): a writer's clock was wrong, or the stamp was
//     forged. Events copied by migrate keep their source's recorded time,
//     and are exempt, but they must come first (migrate copies a ledger
//     from its start) and cannot have been recorded after the server
//     received them.
func (s *Store) Audit(ctx context.Context, opts eventstore.AuditOptions) ([]eventstore.Finding, error) {
	tol := opts.ClockTolerance
	if tol <= 0 {
		tol = DefaultClockTolerance
	}
	var (
		out      []eventstore.Finding
		streams  = map[string]*auditStream{}
		appended *eventstore.Record // the first event appended here (not by migrate), without its payload
	)
	for from := uint64(0); ; {
		evs, err := s.ReadEvents(ctx, from, eventstore.DefaultPageSize)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		for i := range evs {
			e := &evs[i]
			if f, ok := clockFinding(e, appended, tol); ok {
				out = append(out, f)
			}
			if !e.Migrated && appended == nil {
				appended = &eventstore.Record{ID: e.ID, Sequence: e.Sequence}
			}
			st := streams[e.Stream]
			if st == nil {
				st = &auditStream{name: e.Stream, firstSeq: e.Sequence, firstID: e.ID, next: e.Revision}
				streams[e.Stream] = st
				if e.Revision > 0 {
					out = append(out, removedFinding(e.Record, 0))
				}
			} else if e.Revision != st.next {
				out = append(out, removedFinding(e.Record, st.next))
			}
			st.next = e.Revision + 1
			st.revs = append(st.revs, e.Revision)
		}
		if len(evs) < eventstore.DefaultPageSize {
			break
		}
		from = evs[len(evs)-1].Sequence + 1
	}
	names := make([]string, 0, len(streams))
	for name := range streams {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return streams[names[i]].firstSeq < streams[names[j]].firstSeq })
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer done()
	hidden, err := s.hiddenFindings(ctx, streams, names)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	out = append(out, hidden...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

// auditReaders is how many streams Audit reads at once.
const auditReaders = 16

// hiddenFindings runs hiddenFinding for the streams names, auditReaders at
// a time, and returns the findings in the order of names.
func (s *Store) hiddenFindings(ctx context.Context, streams map[string]*auditStream, names []string) ([]eventstore.Finding, error) {
	type result struct {
		f   eventstore.Finding
		ok  bool
		err error
	}
	results := make([]result, len(names))
	sem := make(chan struct{}, auditReaders)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f, ok, err := s.hiddenFinding(ctx, streams[name])
			results[i] = result{f, ok, err}
		}()
	}
	wg.Wait()
	var out []eventstore.Finding
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		if r.ok {
			out = append(out, r.f)
		}
	}
	return out, nil
}

// auditStream is what Audit saw of one stream in $all.
type auditStream struct {
	name     string
	firstSeq uint64    // the sequence of its first event in $all
	firstID  uuid.UUID // and its ID
	next     uint64    // the revision expected next
	revs     []uint64  // the revisions of its events in $all, in order
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// clockFinding judges e's recorded time against the server's "created".
// appended is the first event of the ledger not copied by migrate, if one
// came before e.
func clockFinding(e *Event, appended *eventstore.Record, tol time.Duration) (eventstore.Finding, bool) {
	f := eventstore.Finding{Seq: e.Sequence, EventID: e.ID, What: "recorded time"}
	skew := e.Skew()
	switch {
	case e.Migrated && appended != nil:
		f.Detail = fmt.Sprintf("the event is marked as copied by migrate (so exempt from the clock check), but it follows event %s at sequence %d, which was appended here: migrate copies a ledger from its start, so the mark was forged; its recorded time %s is %s from the server's time of arrival (created %s)",
			appended.ID, appended.Sequence, stamp(e.RecordedAt), signed(skew), stamp(e.Created))
	case e.Migrated && skew > tol:
		f.Detail = fmt.Sprintf("the event is marked as copied by migrate, but its recorded time %s is %s the server received it (created %s), beyond the tolerance of %s: a copied event keeps its earlier recorded time, so the stamp was forged",
			stamp(e.RecordedAt), signed(skew), stamp(e.Created), tol)
	case e.Migrated:
		return f, false
	case e.Suspect(tol):
		f.Detail = fmt.Sprintf("recorded time %s is %s the server's time of arrival (created %s), beyond the tolerance of %s: the writer's clock was wrong, or the stamp was forged (and the recorded time, which --known-at reads, cannot be trusted)",
			stamp(e.RecordedAt), signed(skew), stamp(e.Created), tol)
	default:
		return f, false
	}
	return f, true
}

// signed describes a skew, to the second: "2h0m0s before", "3m0s after".
func signed(d time.Duration) string {
	if d.Abs() >= time.Second {
		d = d.Round(time.Second)
	}
	if d < 0 {
		return (-d).String() + " before"
	}
	return d.String() + " after"
}

// removedFinding reports that $all has e, at revision e.Revision of its
// stream, where revision want was expected: the revisions between are
// gone.
func removedFinding(e eventstore.Record, want uint64) eventstore.Finding {
	gone := fmt.Sprintf("revisions %d to %d", want, e.Revision-1)
	if e.Revision-1 == want {
		gone = fmt.Sprintf("revision %d", want)
	}
	return eventstore.Finding{Seq: e.Sequence, EventID: e.ID, What: "removed", Detail: fmt.Sprintf(
		"%s of %s are no longer in $all before this event (revision %d): a scavenge removed them after the stream was deleted or truncated, and every later sequence moved down",
		gone, e.Stream, e.Revision)}
}

// visibility is what a stream read shows of a stream.
type visibility int

const (
	visible    visibility = iota // from the revision returned
	notFound                     // nothing: soft-deleted, or truncated past its end
	tombstoned                   // deleted for good
)

// hiddenFinding reports the first event of st in $all that stream reads
// no longer return, with the cause.
func (s *Store) hiddenFinding(ctx context.Context, st *auditStream) (eventstore.Finding, bool, error) {
	var (
		vis   visibility
		first uint64
		meta  streamMeta
	)
	err := s.retry(ctx, func(c *conn) error {
		var err error
		if vis, first, err = s.firstVisible(ctx, c, s.prefix+st.name); err != nil {
			return err
		}
		if vis != visible || first > st.revs[0] {
			meta = s.metadata(ctx, c, s.prefix+st.name)
		}
		return nil
	})
	if err != nil {
		return eventstore.Finding{}, false, err
	}
	// The events of st in $all that stream reads do not return: the
	// stream's first ones (reads hide a stream from its start: deleted,
	// or truncated before a revision, to a count or an age).
	hidden := len(st.revs)
	if vis == visible {
		hidden = sort.Search(len(st.revs), func(i int) bool { return st.revs[i] >= first })
	}
	if hidden == 0 {
		return eventstore.Finding{}, false, nil
	}
	count := fmt.Sprintf("its %d events in $all from revision %d", hidden, st.revs[0])
	if hidden == 1 {
		count = fmt.Sprintf("its event at revision %d", st.revs[0])
	} else if hidden < len(st.revs) {
		count = fmt.Sprintf("%d of its events in $all (revisions %d to %d)", hidden, st.revs[0], st.revs[hidden-1])
	}
	var cause string
	switch {
	case vis == tombstoned:
		cause = "the stream was tombstoned (hard-deleted)"
	case meta.deleted():
		cause = "the stream was soft-deleted (its metadata has $tb = " + meta.tb.String() + ")"
	default:
		var parts []string
		if meta.tb != "" {
			parts = append(parts, "$tb = "+meta.tb.String())
		}
		if meta.maxCount != "" {
			parts = append(parts, "$maxCount = "+meta.maxCount.String())
		}
		if meta.maxAge != "" {
			parts = append(parts, "$maxAge = "+meta.maxAge.String()+" s")
		}
		cause = "the stream was truncated"
		if len(parts) > 0 {
			cause += " (its metadata has " + strings.Join(parts, ", ") + ")"
		}
	}
	return eventstore.Finding{Seq: st.firstSeq, EventID: st.firstID, What: "hidden", Detail: fmt.Sprintf(
		"stream reads of %s no longer return %s, the first this event: %s; they are still in $all, so the ledger's sequences have not moved yet, but a scavenge will remove them for good",
		st.name, count, cause)}, true, nil
}

// firstVisible reads the first event a forward stream read of name
// returns.
func (s *Store) firstVisible(ctx context.Context, c *conn, name string) (visibility, uint64, error) {
	rs, err := c.c.ReadStream(ctx, name, esclient.ReadStreamOptions{Direction: esclient.Forwards, From: esclient.Start{}}, 1)
	if err != nil {
		return 0, 0, s.check(c, callError(ctx, "read "+name, err))
	}
	defer rs.Close()
	e, err := rs.Recv()
	switch class := classify(err).class; {
	case errors.Is(err, io.EOF), class == classNotFound:
		return notFound, 0, nil
	case class == classDeleted:
		return tombstoned, 0, nil
	case err != nil:
		return 0, 0, s.check(c, callError(ctx, "read "+name, err))
	}
	if ev := e.OriginalEvent(); ev != nil {
		return visible, ev.EventNumber, nil
	}
	return notFound, 0, nil
}

// streamMeta is what the server honours of a stream's metadata, as
// written (numbers as JSON has them; "" when not set).
type streamMeta struct {
	tb, maxCount, maxAge json.Number
}

// deleted reports whether the metadata marks a soft-deleted stream ($tb
// at its maximum).
func (m streamMeta) deleted() bool {
	f, err := m.tb.Float64()
	return err == nil && f >= math.MaxInt64
}

// metadata reads the stream metadata of name, for explaining what hides
// its events; what cannot be read is left out.
func (s *Store) metadata(ctx context.Context, c *conn, name string) streamMeta {
	rs, err := c.c.ReadStream(ctx, "$$"+name, esclient.ReadStreamOptions{Direction: esclient.Backwards, From: esclient.End{}}, 1)
	if err != nil {
		return streamMeta{}
	}
	defer rs.Close()
	e, err := rs.Recv()
	if err != nil || e.OriginalEvent() == nil {
		return streamMeta{}
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(e.OriginalEvent().Data, &raw) != nil {
		return streamMeta{}
	}
	num := func(key string) json.Number {
		d := json.NewDecoder(bytes.NewReader(raw[key]))
		d.UseNumber()
		var n json.Number
		if d.Decode(&n) != nil {
			return ""
		}
		return n
	}
	return streamMeta{tb: num("$tb"), maxCount: num("$maxCount"), maxAge: num("$maxAge")}
}
