package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/projections"
)

// folds counts the folds of the log through a store: reads of the whole
// log start with ReadAll from sequence 0. With a gate, a fold waits for
// the gate to close.
type folds struct {
	eventstore.Store
	n       *atomic.Int64
	gate    chan struct{}
	waiting *atomic.Int64 // folds waiting at the gate
}

func (f folds) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	if from == 0 {
		f.n.Add(1)
		if f.gate != nil {
			f.waiting.Add(1)
			<-f.gate
		}
	}
	return f.Store.ReadAll(ctx, from, limit)
}

// newPagedEnv is newEnv's ledger with five more incidents, C to G (C to F
// declared privacy breaches), served through a store that counts the
// folds of the log; the server's clock is just after they were recorded.
// known is an instant after A and B were recorded and before C to G were.
func newPagedEnv(t *testing.T) (e *env, n *atomic.Int64, known time.Time) {
	e = newEnv(t)
	known = time.Now().UTC()
	for i, id := range []string{"C", "D", "E", "F", "G"} {
		s := domain.IncidentStream(id)
		day := fmt.Sprintf("2025-04-%02d", 10+i)
		e.add(s, day+"T08:00:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceCustomerReport, Summary: "report " + id, AwareAt: at(day + "T08:00:00Z"), Role: domain.RoleBoth})
		if id == "G" {
			continue
		}
		e.add(s, day+"T09:00:00Z", "sam", domain.IncidentClassified{Classification: domain.ClassPrivacyBreach})
		e.add(s, day+"T10:00:00Z", "sam", domain.ScopeRecorded{Customers: []string{"contoso"}, Subjects: int64(10 * (i + 1))})
		e.add(s, day+"T11:00:00Z", "ivy", domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "logs"})
	}
	e.now = time.Now().UTC()
	n = new(atomic.Int64)
	e.srv.Store = folds{Store: e.st, n: n}
	return e, n, known
}

// pages pages through path (which has a query) with limit 2, following
// next_cursor, and returns the rows under key, the number of pages, and
// the first page.
func (e *env) pages(path, key string) (rows []json.RawMessage, pages int, first map[string]json.RawMessage) {
	e.t.Helper()
	cursor := ""
	for pages < 100 {
		p := path + "&limit=2"
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		var page map[string]json.RawMessage
		e.ok(p, &page)
		if first == nil {
			first = page
		}
		pages++
		var these []json.RawMessage
		if err := json.Unmarshal(page[key], &these); err != nil {
			e.t.Fatalf("GET %s: %s: %v", p, key, err)
		}
		rows = append(rows, these...)
		if err := json.Unmarshal(page["next_cursor"], &cursor); err != nil || cursor == "" {
			break
		}
	}
	return rows, pages, first
}

// rowsOf is the rows under key of one page of path with limit 10000.
func (e *env) rowsOf(path, key string) []json.RawMessage {
	e.t.Helper()
	var page map[string]json.RawMessage
	e.ok(path+"&limit=10000", &page)
	var rows []json.RawMessage
	if err := json.Unmarshal(page[key], &rows); err != nil {
		e.t.Fatalf("GET %s: %s: %v", path, key, err)
	}
	return rows
}

// page is one page of path: its rows under key, its as_of, its next_cursor.
func (e *env) page(path, key string) (rows []json.RawMessage, asOf time.Time, next string) {
	e.t.Helper()
	var page map[string]json.RawMessage
	e.ok(path, &page)
	for k, v := range map[string]any{key: &rows, "as_of": &asOf, "next_cursor": &next} {
		if err := json.Unmarshal(page[k], v); err != nil {
			e.t.Fatalf("GET %s: %s: %v", path, k, err)
		}
	}
	return rows, asOf, next
}

// canonical decodes JSON rows, for comparing them whatever their spacing.
func canonical(t *testing.T, rows any) []any {
	t.Helper()
	b, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	var out []any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The pages of a query for a view at another time than now are cut from
// one fold of the log: every page of it, and the same query's one-page
// answer, read the whole log once together; put together, the pages are
// the one-page answer and the projection's view.
func TestPagedCutFoldsOnce(t *testing.T) {
	e, n, known := newPagedEnv(t)
	h := e.history()
	const asOf = "2025-04-20T00:00:00Z"
	cutAt := domain.Cut{AsOf: at(asOf), KnownAt: e.now}
	for _, c := range []struct {
		path, key string
		minPages  int
		want      any
	}{
		{"/v1/incidents?as_of=" + asOf, "incidents", 4, projections.List(h, cutAt, false).Incidents},
		{"/v1/incidents?open=true&as_of=" + asOf, "incidents", 3, projections.List(h, cutAt, true).Incidents},
		{"/v1/deadlines?as_of=" + asOf, "deadlines", 3, projections.Deadlines(h, cutAt, projections.DeadlineFilter{}).Deadlines},
		{"/v1/deadlines?as_of=" + asOf + "&known_at=" + known.Format(time.RFC3339Nano), "deadlines", 2,
			projections.Deadlines(h, domain.Cut{AsOf: at(asOf), KnownAt: known}, projections.DeadlineFilter{NowKnownAt: e.now}).Deadlines},
		{"/v1/deadlines?pack=2026.1", "deadlines", 3, projections.Deadlines(h, domain.Cut{AsOf: e.now, KnownAt: e.now}, projections.DeadlineFilter{Pack: "2026.1"}).Deadlines},
		{"/v1/deadlines?compare_pack=2026.1&as_of=" + asOf, "deadlines", 3, projections.Deadlines(h, cutAt, projections.DeadlineFilter{ComparePack: "2026.1"}).Deadlines},
		{"/v1/register?as_of=" + asOf, "entries", 3, projections.BuildRegister(h, cutAt, history.Provenance{}, projections.FormatJSON).Entries},
	} {
		before := n.Load()
		rows, pages, _ := e.pages(c.path, c.key)
		whole := e.rowsOf(c.path, c.key)
		if got := n.Load() - before; got != 1 {
			t.Errorf("%s: %d pages and the one-page answer read the log %d times, want once", c.path, pages, got)
		}
		if pages < c.minPages {
			t.Errorf("%s: %d pages of 2, want at least %d", c.path, pages, c.minPages)
		}
		if diff := cmp.Diff(canonical(t, whole), canonical(t, rows)); diff != "" {
			t.Errorf("%s: the pages differ from the one-page answer (-whole +pages):\n%s", c.path, diff)
		}
		if diff := cmp.Diff(canonical(t, c.want), canonical(t, rows)); diff != "" {
			t.Errorf("%s: the pages differ from the projection (-projection +pages):\n%s", c.path, diff)
		}
	}
	// The same query asked again at the same head: from the cache.
	before := n.Load()
	e.rowsOf("/v1/incidents?as_of="+asOf, "incidents")
	if got := n.Load() - before; got != 0 {
		t.Errorf("the same first page at the same head read the log %d times, want none", got)
	}
}

// Every page of a query is of the ledger as it stood at its first page:
// an event appended in between is not on a later page, and the position
// stays the first page's; a new first page sees it.
func TestPagesKeepTheirPosition(t *testing.T) {
	e, n, _ := newPagedEnv(t)
	for i, path := range []string{
		"/v1/incidents?as_of=2026-01-01T00:00:00Z",
		"/v1/incidents?as_of=2026-01-01T00:00:00Z&known_at=2100-01-01T00:00:00Z", // the position alone keeps later events out
	} {
		folded := n.Load()
		whole := e.rowsOf(path, "incidents")
		var first struct {
			Position uint64          `json:"position"`
			Rows     json.RawMessage `json:"incidents"`
			Next     string          `json:"next_cursor"`
		}
		e.ok(path+"&limit=2", &first)
		late := fmt.Sprint("H", i)
		e.add(domain.IncidentStream(late), "2025-05-01T08:00:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceCustomerReport, Summary: "late", AwareAt: at("2025-05-01T08:00:00Z"), Role: domain.RoleBoth})
		e.now = time.Now().UTC()

		var rows []json.RawMessage
		if err := json.Unmarshal(first.Rows, &rows); err != nil {
			t.Fatal(err)
		}
		cursor := first.Next
		for cursor != "" {
			var page struct {
				Position uint64            `json:"position"`
				Rows     []json.RawMessage `json:"incidents"`
				Next     string            `json:"next_cursor"`
			}
			e.ok(path+"&limit=2&cursor="+url.QueryEscape(cursor), &page)
			if page.Position != first.Position {
				t.Errorf("%s: a later page says position %d, the first %d", path, page.Position, first.Position)
			}
			rows, cursor = append(rows, page.Rows...), page.Next
		}
		if diff := cmp.Diff(canonical(t, whole), canonical(t, rows)); diff != "" {
			t.Errorf("%s: pages after an append differ from the view before it (-before +pages):\n%s", path, diff)
		}
		if got := n.Load() - folded; got != 1 {
			t.Errorf("%s: the log was read %d times for one query, want once", path, got)
		}
		now := e.rowsOf(path, "incidents")
		if len(now) != len(whole)+1 || !strings.Contains(string(now[len(now)-1]), `"id":"`+late+`"`) {
			t.Errorf("%s: a new first page after the append: %d rows, want %d ending with %s", path, len(now), len(whole)+1, late)
		}
	}
}

// A page whose view was evicted is built again at its cursor's position
// and instant: the same rows (not the event appended since), the same
// as_of.
func TestEvictedViewRebuiltAtItsPosition(t *testing.T) {
	e, n, _ := newPagedEnv(t)
	e.srv.CutCacheEntries = 1
	for _, c := range []struct{ path, key string }{
		{"/v1/incidents?as_of=2026-01-01T00:00:00Z&known_at=2100-01-01T00:00:00Z", "incidents"}, // the position alone keeps later events out
		{"/v1/deadlines?known_at=now", "deadlines"},                                             // as_of now: the cursor's instant counts
		{"/v1/register?as_of=2026-01-01T00:00:00Z", "entries"},
	} {
		whole := e.rowsOf(c.path, c.key)
		var first struct {
			AsOf time.Time `json:"as_of"`
			Next string    `json:"next_cursor"`
		}
		e.ok(c.path+"&limit=2", &first)
		rows := whole[:2]
		// The ledger grows, the clock moves, and another query takes the
		// only place in the cache.
		e.add(domain.IncidentStream("X"+c.key), "2025-05-01T08:00:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceCustomerReport, Summary: "late", AwareAt: at("2025-05-01T08:00:00Z"), Role: domain.RoleBoth})
		e.now = time.Now().UTC().Add(time.Hour)
		e.rowsOf("/v1/incidents?as_of=2025-01-01T00:00:00Z", "incidents")
		before, builds := n.Load(), e.srv.CutCacheStats().Builds
		these, asOf, next := e.page(c.path+"&limit=2&cursor="+url.QueryEscape(first.Next), c.key)
		if n.Load()-before != 1 || e.srv.CutCacheStats().Builds != builds+1 {
			t.Errorf("%s: the evicted view's page read the log %d times, want once", c.path, n.Load()-before)
		}
		if !asOf.Equal(first.AsOf) {
			t.Errorf("%s: the rebuilt page's as_of %s, the first page's %s", c.path, asOf, first.AsOf)
		}
		rows = append(rows, these...)
		for next != "" { // the pages after it, from the rebuilt view
			these, _, next = e.page(c.path+"&limit=2&cursor="+url.QueryEscape(next), c.key)
			rows = append(rows, these...)
		}
		if diff := cmp.Diff(canonical(t, whole), canonical(t, rows)); diff != "" {
			t.Errorf("%s: the pages of the rebuilt view differ (-before +pages):\n%s", c.path, diff)
		}
		if st := e.srv.CutCacheStats(); st.Entries != 1 {
			t.Errorf("a cache of one entry holds %d", st.Entries)
		}
	}
}

// Identical first pages asked at the same time wait for one build.
func TestConcurrentFirstPagesFoldOnce(t *testing.T) {
	e, _, _ := newPagedEnv(t)
	n, waiting, gate := new(atomic.Int64), new(atomic.Int64), make(chan struct{})
	e.srv.Store = folds{Store: e.st, n: n, gate: gate, waiting: waiting}
	const requests = 4
	const path = "/v1/deadlines?as_of=2025-04-20T00:00:00Z&limit=2"
	bodies := make([]string, requests)
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			resp, body := e.do("GET", path, goodToken)
			bodies[i] = fmt.Sprint(resp.StatusCode, " ", string(body))
		})
	}
	// Every request is either folding (held at the gate) or waiting for
	// another's fold; then the folds go on.
	for waiting.Load()+int64(e.srv.CutCacheStats().Joined) < requests {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	if got := n.Load(); got != 1 {
		t.Errorf("%d identical requests at once read the log %d times, want once", requests, got)
	}
	for i, b := range bodies {
		if !strings.HasPrefix(b, "200 ") || b != bodies[0] {
			t.Errorf("request %d: %.200s", i, b)
		}
	}
}

// A refused request never reaches the cache: a bad token after a cached
// query leaves its counts as they were.
func TestRefusedRequestsSkipTheCache(t *testing.T) {
	e, n, _ := newPagedEnv(t)
	const path = "/v1/incidents?as_of=2026-01-01T00:00:00Z&limit=2"
	var first struct {
		Next string `json:"next_cursor"`
	}
	e.ok(path, &first)
	stats, folded := e.srv.CutCacheStats(), n.Load()
	for _, tok := range []string{"", "blt_wrong", revokedToken, expiredToken} {
		for _, p := range []string{path, path + "&cursor=" + url.QueryEscape(first.Next)} {
			if resp, body := e.do("GET", p, tok); resp.StatusCode != 401 {
				t.Errorf("GET %s with token %q: %d %s", p, tok, resp.StatusCode, body)
			}
		}
	}
	if got := e.srv.CutCacheStats(); got != stats || n.Load() != folded {
		t.Errorf("refused requests changed the cache: %+v, was %+v; %d folds, was %d", got, stats, n.Load(), folded)
	}
}

// A cursor this query did not return is a 400 that says so: malformed,
// another query's, past the head, past the view's end, from the future.
func TestBadPageCursors(t *testing.T) {
	e, _, _ := newPagedEnv(t)
	const path = "/v1/incidents?as_of=2026-01-01T00:00:00Z&limit=2"
	var first struct {
		Position uint64 `json:"position"`
		Next     string `json:"next_cursor"`
	}
	e.ok(path, &first)
	var other struct {
		Next string `json:"next_cursor"`
	}
	e.ok("/v1/incidents?as_of=2025-12-01T00:00:00Z&limit=2", &other)
	parts := strings.Split(strings.TrimPrefix(first.Next, "@"), ".")
	if len(parts) != 4 || parts[0] != fmt.Sprint(first.Position) || parts[1] != "2" {
		t.Fatalf("cursor %q, want @%d.2.AT.TAG", first.Next, first.Position)
	}
	with := func(i int, v string) string {
		p := slicesWith(parts, i, v)
		return "@" + strings.Join(p, ".")
	}
	for _, cursor := range []string{
		"bogus", "@2", "2", "@1.2.3", "@" + strings.Join(parts, ".") + ".x", first.Next[1:],
		other.Next,                            // another query's
		with(0, fmt.Sprint(first.Position+1)), // past the head
		with(1, "99"),                         // past the view's end
		with(1, "-1"),                         // not a row
		with(2, fmt.Sprint(e.now.Add(time.Hour).UnixNano())), // from the future
		with(2, "0"),
		with(3, "00000000"),
	} {
		resp, body := e.do("GET", path+"&cursor="+url.QueryEscape(cursor), goodToken)
		if resp.StatusCode != 400 || !strings.Contains(string(body), "cursor") {
			t.Errorf("cursor %q: %d %s", cursor, resp.StatusCode, body)
		}
	}
	// And the deadlines' own cursor on the incidents: another query's.
	var d struct {
		Next string `json:"next_cursor"`
	}
	e.ok("/v1/deadlines?as_of=2026-01-01T00:00:00Z&limit=2", &d)
	if resp, body := e.do("GET", path+"&cursor="+url.QueryEscape(d.Next), goodToken); resp.StatusCode != 400 {
		t.Errorf("a deadline cursor on the incidents: %d %s", resp.StatusCode, body)
	}
}

func slicesWith(s []string, i int, v string) []string {
	out := append([]string(nil), s...)
	out[i] = v
	return out
}

// The OpenAPI document lists the 400 of a malformed incident ID in every
// path that takes one.
func TestOpenAPIIDPathsList400(t *testing.T) {
	e := newEnv(t)
	_, body := e.do("GET", "/v1/openapi.json", "")
	var doc struct {
		Paths map[string]struct {
			Get struct {
				Parameters []struct {
					Ref string `json:"$ref"`
				} `json:"parameters"`
				Responses map[string]json.RawMessage `json:"responses"`
			} `json:"get"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	var withID []string
	for path, p := range doc.Paths {
		if !strings.Contains(path, "{id}") {
			continue
		}
		withID = append(withID, path)
		if _, ok := p.Get.Responses["400"]; !ok {
			t.Errorf("%s takes an incident ID but lists no 400", path)
		}
	}
	if len(withID) != 3 {
		t.Errorf("paths with an incident ID: %v, want 3", withID)
	}
}
