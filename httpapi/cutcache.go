package httpapi

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// Bounds of the cache of views rebuilt from the log, when the Server's
// CutCacheEntries and CutCacheRows are 0.
const (
	DefaultCutCacheEntries = 8
	DefaultCutCacheRows    = 200_000
)

// cutCache keeps the views rebuilt from the log (a list, deadlines or
// register at another time than now), so that the pages of one query are
// cut from one fold of the log instead of one fold each.
//
// An entry is keyed by the query (the endpoint and its normalised
// parameters: the cut, the filters, the format; never the cursor or the
// limit), the ledger's position the view was built at (Store.Head), and,
// for a view that depends on the instant it is built at (as_of left to
// now, or the deadlines' "as known now" beside a known_at), that instant.
// A first page reads the head and is served from an entry with its key at
// that head, or builds one; identical requests arriving while it builds
// wait for that one build instead of folding the log again. Later pages
// name the entry by their cursor (see pageCursor), and are cut from it:
// every page of a query is of the same ledger state, however the ledger
// grew in between.
//
// The cache is bounded by entries (DefaultCutCacheEntries) and by rows
// over all entries (DefaultCutCacheRows), least recently used first out;
// a single view over the row bound is kept alone, since it was built in
// memory for its request anyway. Entries of an older head are not dropped
// when the head moves: a client paging through a query still needs its
// entry, and only the LRU order knows when it stopped. When a page's entry
// is gone (evicted, or the server restarted) the view is built again from
// the log up to the cursor's position, at the cursor's instant: the same
// rows, one fold more.
//
// What it holds is the ledger's, never anything per token: it is reached
// only after the request's token was accepted (Server.authenticated).
type cutCache struct {
	mu       sync.Mutex
	lru      *list.List // of *cutEntry, the most recently used first
	byKey    map[cutKey]*list.Element
	building map[cutKey]*cutBuild
	rows     int
	stats    CutCacheStats
}

// CutCacheStats counts what the cache of views rebuilt from the log did.
type CutCacheStats struct {
	Entries, Rows int    // held now
	Builds        uint64 // views built: folds of the log
	Hits          uint64 // pages served from an entry
	Joined        uint64 // requests that waited for an identical one's build
}

// cutKey names a view rebuilt from the log.
type cutKey struct {
	query string // the endpoint and its normalised parameters
	pos   uint64 // the ledger's head it was built at
	at    int64  // the instant it was built at (Unix ns), when the view depends on it; else 0
}

// cutView is a view rebuilt from the log, as kept.
type cutView struct {
	pos   uint64
	at    time.Time // the instant now stood for in its cut
	cut   domain.Cut
	rows  int // its size, for the cache's bound
	value any
}

type cutEntry struct {
	key  cutKey
	view *cutView
}

// cutBuild is a build under way, that identical requests wait for.
type cutBuild struct {
	done chan struct{}
	view *cutView
	err  error
}

// CutCacheStats returns what the cache of views rebuilt from the log holds
// and did so far.
func (s *Server) CutCacheStats() CutCacheStats {
	c := &s.cuts
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.stats
	st.Entries, st.Rows = len(c.byKey), c.rows
	return st
}

// get returns the view of key, from the cache or built (once for all the
// requests asking for it at the same time).
func (c *cutCache) get(ctx context.Context, key cutKey, maxEntries, maxRows int, build func(context.Context) (*cutView, error)) (*cutView, error) {
	for {
		c.mu.Lock()
		if c.byKey == nil {
			c.lru, c.byKey, c.building = list.New(), map[cutKey]*list.Element{}, map[cutKey]*cutBuild{}
		}
		if el, ok := c.byKey[key]; ok {
			c.lru.MoveToFront(el)
			c.stats.Hits++
			c.mu.Unlock()
			return el.Value.(*cutEntry).view, nil
		}
		if b, ok := c.building[key]; ok {
			c.stats.Joined++
			c.mu.Unlock()
			select {
			case <-b.done:
			case <-ctx.Done():
				return nil, fmt.Errorf("wait for the view: %w", ctx.Err())
			}
			// The builder's request was canceled, not this one: try again.
			if b.err != nil && (errors.Is(b.err, context.Canceled) || errors.Is(b.err, context.DeadlineExceeded)) && ctx.Err() == nil {
				continue
			}
			return b.view, b.err
		}
		b := &cutBuild{done: make(chan struct{})}
		c.building[key] = b
		c.stats.Builds++
		c.mu.Unlock()

		c.run(key, b, maxEntries, maxRows, func() { b.view, b.err = build(ctx) })
		return b.view, b.err
	}
}

// run runs a build under way, then keeps its view and lets the requests
// waiting for it go on; a build that panics leaves them an error (the
// panic goes on to the builder's request).
func (c *cutCache) run(key cutKey, b *cutBuild, maxEntries, maxRows int, build func()) {
	b.err = errors.New("build the view: the build failed; the server's log has the details")
	defer func() {
		c.mu.Lock()
		delete(c.building, key)
		if b.err == nil {
			c.add(key, b.view, maxEntries, maxRows)
		}
		c.mu.Unlock()
		close(b.done)
	}()
	build()
}

// add keeps v and evicts the least recently used entries beyond the
// bounds; the newest entry stays even when it alone is over the row bound.
func (c *cutCache) add(key cutKey, v *cutView, maxEntries, maxRows int) {
	c.byKey[key] = c.lru.PushFront(&cutEntry{key: key, view: v})
	c.rows += v.rows
	for c.lru.Len() > 1 && (c.lru.Len() > maxEntries || c.rows > maxRows) {
		e := c.lru.Remove(c.lru.Back()).(*cutEntry)
		delete(c.byKey, e.key)
		c.rows -= e.view.rows
	}
}

// cutQuery is a query for a view rebuilt from the log.
type cutQuery struct {
	key     string    // the endpoint and its normalised parameters
	asOf    time.Time // as given; zero for now
	knownAt time.Time // as given; zero for now
	// nowBound: the view depends on the instant it is built at (as_of is
	// now, or the deadlines show beside a known_at what is known now).
	nowBound bool
}

// newCutQuery normalises a query's parameters (the cut's "now" or an
// instant in UTC, and params as JSON) into its key.
func newCutQuery(endpoint string, q *query, params any) cutQuery {
	cq := cutQuery{asOf: q.cutTime("as_of"), knownAt: q.cutTime("known_at")}
	cq.nowBound = cq.asOf.IsZero()
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "now"
		}
		return t.Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(params) // plain values: never fails
	cq.key = endpoint + " as_of=" + stamp(cq.asOf) + " known_at=" + stamp(cq.knownAt) + " " + string(b)
	return cq
}

// cut is the query's cut with now at instant at.
func (cq cutQuery) cut(at time.Time) domain.Cut {
	cut := domain.Cut{AsOf: cq.asOf, KnownAt: cq.knownAt}
	if cut.AsOf.IsZero() {
		cut.AsOf = at
	}
	if cut.KnownAt.IsZero() {
		cut.KnownAt = at
	}
	return cut
}

// tag names the query in its cursors, so that a cursor of another query
// is refused.
func (cq cutQuery) tag() string {
	sum := sha256.Sum256([]byte(cq.key))
	return hex.EncodeToString(sum[:4])
}

// pageCursor is the cursor of a page of a view rebuilt from the log:
// "@POS.N.AT.TAG", the ledger's position the view was built at, the rows
// already returned, the instant now stood for (Unix ns), and the query's
// tag.
type pageCursor struct {
	pos  uint64
	n    int
	at   time.Time
	tag  string
	none bool // no cursor: a first page
}

func (pc pageCursor) String() string {
	return fmt.Sprintf("@%d.%d.%d.%s", pc.pos, pc.n, pc.at.UnixNano(), pc.tag)
}

// parsePageCursor reads a cursor this package returned for cq; anything
// else is readmodel.ErrBadCursor.
func parsePageCursor(s string, cq cutQuery) (pageCursor, error) {
	if s == "" {
		return pageCursor{none: true}, nil
	}
	bad := fmt.Errorf("%w %q: not a cursor of this query", readmodel.ErrBadCursor, s)
	rest, ok := strings.CutPrefix(s, "@")
	parts := strings.Split(rest, ".")
	if !ok || len(parts) != 4 || parts[3] != cq.tag() {
		return pageCursor{}, bad
	}
	pos, err1 := strconv.ParseUint(parts[0], 10, 64)
	n, err2 := strconv.ParseUint(parts[1], 10, 31)
	at, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || at <= 0 {
		return pageCursor{}, bad
	}
	return pageCursor{pos: pos, n: int(n), at: time.Unix(0, at).UTC(), tag: parts[3]}, nil
}

// rebuilt returns the view cq asks for, and the row its page starts at:
// for a first page, the view at the ledger's head, now; for a later one,
// the view the cursor names. build builds the view from the ledger up to
// position pos, with cut.
func (s *Server) rebuilt(ctx context.Context, cq cutQuery, cursor string, build func(ctx context.Context, pos uint64, cut domain.Cut, at time.Time) (value any, rows int, err error)) (*cutView, int, error) {
	pc, err := parsePageCursor(cursor, cq)
	if err != nil {
		return nil, 0, err
	}
	head, err := s.Store.Head(ctx)
	if err != nil {
		return nil, 0, err
	}
	now := s.now()
	if pc.none {
		pc.pos, pc.at = head, now
	} else if pc.pos > head || pc.at.After(now) {
		return nil, 0, fmt.Errorf("%w %q: past the ledger's head or the server's clock", readmodel.ErrBadCursor, cursor)
	}
	key := cutKey{query: cq.key, pos: pc.pos}
	if cq.nowBound {
		key.at = pc.at.UnixNano()
	}
	v, err := s.cuts.get(ctx, key, orDefault(s.CutCacheEntries, DefaultCutCacheEntries), orDefault(s.CutCacheRows, DefaultCutCacheRows), func(ctx context.Context) (*cutView, error) {
		cut := cq.cut(pc.at)
		value, rows, err := build(ctx, pc.pos, cut, pc.at)
		if err != nil {
			return nil, err
		}
		return &cutView{pos: pc.pos, at: pc.at, cut: cut, rows: rows, value: value}, nil
	})
	if err != nil {
		return nil, 0, err
	}
	if pc.n > v.rows {
		return nil, 0, fmt.Errorf("%w %q: past the view's end", readmodel.ErrBadCursor, cursor)
	}
	return v, pc.n, nil
}

// cutRows returns the page of rows from start, at most limit long, and
// the cursor of the next page ("" after the last).
func cutRows[T any](rows []T, v *cutView, cq cutQuery, start, limit int) ([]T, string) {
	start = min(start, len(rows))
	end := min(start+limit, len(rows))
	next := ""
	if end < len(rows) {
		next = pageCursor{pos: v.pos, n: end, at: v.at, tag: cq.tag()}.String()
	}
	return rows[start:end], next
}

// orDefault is n, or def when n is not above 0.
func orDefault(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

// historyAt reads the ledger as it stood at position pos: the records
// below it.
func (s *Server) historyAt(ctx context.Context, pos uint64) (*history.History, error) {
	return ledger.ReadHistory(ctx, before{Store: s.Store, pos: pos})
}

// before is the log of a store cut at position pos, for ledger.ReadHistory
// alone: ReadAll and Head stop at pos; the stream reads do not.
type before struct {
	eventstore.Store
	pos uint64
}

func (b before) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	if from >= b.pos {
		return nil, nil
	}
	left := b.pos - from
	if limit <= 0 || uint64(limit) > left {
		limit = int(min(left, math.MaxInt32))
	}
	recs, err := b.Store.ReadAll(ctx, from, limit)
	if err != nil {
		return nil, err
	}
	for i, r := range recs {
		if r.Sequence >= b.pos {
			return recs[:i], nil
		}
	}
	return recs, nil
}

func (b before) Head(ctx context.Context) (uint64, error) {
	h, err := b.Store.Head(ctx)
	return min(h, b.pos), err
}
