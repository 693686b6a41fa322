package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// Page sizes: a list returns DefaultLimit rows unless ?limit= asks for
// another number, at most MaxLimit.
const (
	DefaultLimit = 1000
	MaxLimit     = 10000
)

// query reads and checks a request's parameters, gathering every problem.
type query struct {
	v    url.Values
	now  time.Time
	errs []string
}

func newQuery(r *http.Request, now time.Time) *query { return &query{v: r.URL.Query(), now: now} }

func (q *query) failf(format string, args ...any) {
	q.errs = append(q.errs, fmt.Sprintf(format, args...))
}

func (q *query) err() error {
	if len(q.errs) == 0 {
		return nil
	}
	return badRequest("%s", strings.Join(q.errs, "; "))
}

func (q *query) str(name string) string { return strings.TrimSpace(q.v.Get(name)) }

// list returns a repeatable parameter's values, trimmed, without empties.
func (q *query) list(name string) []string {
	var out []string
	for _, v := range q.v[name] {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (q *query) time(name string) time.Time {
	s := q.str(name)
	if s == "" {
		return time.Time{}
	}
	if s == "now" {
		return q.now
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		q.failf("%s: %q is not an RFC 3339 time with a zone (e.g. 2025-03-07T22:15:00Z)", name, s)
		return time.Time{}
	}
	return t.UTC()
}

func (q *query) bool(name string) bool {
	s := q.str(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.failf("%s: %q is not true or false", name, s)
	}
	return b
}

func (q *query) uint(name string, def uint64) uint64 {
	s := q.str(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		q.failf("%s: %q is not a whole number", name, s)
	}
	return n
}

func (q *query) limit() int {
	n := q.uint("limit", DefaultLimit)
	if n == 0 || n > MaxLimit {
		q.failf("limit: must be 1 to %d", MaxLimit)
		return DefaultLimit
	}
	return int(n)
}

func (q *query) format(def string, allowed []string) string {
	f := q.str("format")
	if f == "" {
		return def
	}
	if !slices.Contains(allowed, f) {
		q.failf("format: %q is not one of %s", f, strings.Join(allowed, ", "))
	}
	return f
}

// cut reads as_of and known_at (both default now); explicit is true when
// either was given, so the view is rebuilt from the log.
func (q *query) cut() (cut domain.Cut, explicit bool) {
	cut = domain.Cut{AsOf: q.time("as_of"), KnownAt: q.time("known_at")}
	explicit = !cut.AsOf.IsZero() || !cut.KnownAt.IsZero()
	if cut.AsOf.IsZero() {
		cut.AsOf = q.now
	}
	if cut.KnownAt.IsZero() {
		cut.KnownAt = q.now
	}
	return cut, explicit
}

// cutTime is a cut's parameter as given: zero when it is absent or "now".
func (q *query) cutTime(name string) time.Time {
	if s := q.str(name); s == "" || s == "now" {
		return time.Time{}
	}
	return q.time(name)
}

// incidentID checks an incident ID taken from a request: it must name a
// stream the ledger could hold (valid UTF-8, no space or control
// character), else the request is a 400 that says so.
func incidentID(id string) (string, error) {
	if err := eventstore.ValidateStream(domain.IncidentStream(id)); err != nil {
		return "", badRequest("incident ID %q: an incident ID must be valid UTF-8 with no space or control character", id)
	}
	return id, nil
}

// visible returns not-found when the cut sees no detection of incident id.
func visible(id string, facts []domain.Fact, cut domain.Cut) error {
	if len(facts) == 0 || !domain.Replay(facts, cut).Exists {
		return &domain.NotFoundError{What: "incident", ID: id}
	}
	return nil
}

func (s *Server) position(w http.ResponseWriter, r *http.Request) error {
	head, err := s.Store.Head(r.Context())
	if err != nil {
		return err
	}
	origin, err := ledger.Origin(r.Context(), s.Store)
	if err != nil {
		return err
	}
	l := s.Kept.Ledger()
	return writeJSON(w, map[string]any{"origin": origin, "ledger": l.Name, "head": head, "kept": s.Kept.Position(), "now": s.now(), "authorship": projections.AuthorshipOf(l)})
}

// pageHead is what every page of a list says of itself: the cut it shows,
// the ledger position it was read at, and which events of the ledger a
// signature proves the author of.
type pageHead struct {
	AsOf       time.Time              `json:"as_of"`
	KnownAt    time.Time              `json:"known_at"`
	Position   uint64                 `json:"position"`
	Authorship projections.Authorship `json:"authorship"`
}

// pageHead is the head of a page of the kept views at cut.
func (s *Server) pageHead(cut domain.Cut) pageHead {
	return pageHead{AsOf: cut.AsOf, KnownAt: cut.KnownAt, Position: s.Kept.Position(), Authorship: s.authorship()}
}

// rebuiltAt says the page was cut from v, a view rebuilt from the log:
// its cut and the position it was built at.
func (h *pageHead) rebuiltAt(v *cutView) {
	h.AsOf, h.KnownAt, h.Position = v.cut.AsOf, v.cut.KnownAt, v.pos
}

// authorship says which events of the ledger a signature proves the
// author of, for the answers that give the ledger's position.
func (s *Server) authorship() projections.Authorship {
	return projections.AuthorshipOf(s.Kept.Ledger())
}

func (s *Server) incidents(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, s.now())
	open, limit, cursor := q.bool("open"), q.limit(), q.str("cursor")
	cut, explicit := q.cut()
	if err := q.err(); err != nil {
		return err
	}
	out := struct {
		pageHead
		Incidents any    `json:"incidents"`
		Next      string `json:"next_cursor"`
	}{pageHead: s.pageHead(cut)}
	if explicit {
		cq := newCutQuery("incidents", q, struct{ Open bool }{open})
		v, start, err := s.rebuilt(r.Context(), cq, cursor, func(ctx context.Context, pos uint64, cut domain.Cut, _ time.Time) (any, int, error) {
			h, err := s.historyAt(ctx, pos)
			if err != nil {
				return nil, 0, err
			}
			l := projections.List(h, cut, open)
			return l.Incidents, len(l.Incidents), nil
		})
		if err != nil {
			return err
		}
		out.Incidents, out.Next = cutRows(v.value.([]projections.ListEntry), v, cq, start, limit)
		out.pageHead.rebuiltAt(v)
		return writeJSON(w, out)
	}
	p, err := s.Kept.List(r.Context(), cut.AsOf, open, readmodel.Page{After: cursor, Limit: limit}, true)
	if err != nil {
		return err
	}
	out.Incidents, out.Next = p.Incidents, p.Next
	return writeJSON(w, out)
}

// incidentFacts reads one incident's stream and the ledger's state at the cut.
func (s *Server) incidentFacts(ctx context.Context, id string, cut domain.Cut) ([]domain.Fact, domain.Ledger, error) {
	facts, err := ledger.ReadStream(ctx, s.Store, domain.IncidentStream(id))
	if err != nil {
		return nil, domain.Ledger{}, err
	}
	if err := visible(id, facts, cut); err != nil {
		return nil, domain.Ledger{}, err
	}
	lf, err := ledger.ReadStream(ctx, s.Store, domain.LedgerStream)
	if err != nil {
		return nil, domain.Ledger{}, err
	}
	return facts, domain.ReplayLedger(lf, cut), nil
}

// incidentAt reads the incident a /v1/incidents/{id}/... request names,
// at the request's cut: its facts and the ledger's state then.
func (s *Server) incidentAt(r *http.Request) (id string, facts []domain.Fact, l domain.Ledger, cut domain.Cut, err error) {
	q := newQuery(r, s.now())
	cut, _ = q.cut()
	if err = q.err(); err != nil {
		return
	}
	if id, err = incidentID(r.PathValue("id")); err != nil {
		return
	}
	facts, l, err = s.incidentFacts(r.Context(), id, cut)
	return
}

func (s *Server) incident(w http.ResponseWriter, r *http.Request) error {
	id, facts, l, cut, err := s.incidentAt(r)
	if err != nil {
		return err
	}
	v, _ := projections.Show(l, id, facts, cut)
	return writeJSON(w, v)
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request) error {
	id, facts, _, cut, err := s.incidentAt(r)
	if err != nil {
		return err
	}
	return writeJSON(w, projections.BuildTimeline(id, facts, cut))
}

// contentTypes are the media types of the report formats.
var contentTypes = map[string]string{
	projections.FormatJSON:     "application/json",
	projections.FormatMarkdown: "text/markdown; charset=utf-8",
	projections.FormatHTML:     "text/html; charset=utf-8",
	projections.FormatCSV:      "text/csv; charset=utf-8",
}

// written writes a rendered document with its format's media type.
func written(w http.ResponseWriter, format string, render func(*bytes.Buffer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentTypes[format])
	if format == projections.FormatHTML {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (s *Server) report(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, s.now())
	cut, _ := q.cut()
	format := q.format(projections.FormatJSON, projections.ReportFormats)
	size := q.uint("checkpoint", 0)
	if err := q.err(); err != nil {
		return err
	}
	id, err := incidentID(r.PathValue("id"))
	if err != nil {
		return err
	}
	stream := domain.IncidentStream(id)
	h, p, err := ledger.ReadCheckpointed(r.Context(), s.Store, size, s.Key, func(rec eventstore.Record) bool {
		return rec.Stream == stream || rec.Stream == domain.LedgerStream
	})
	if err != nil {
		return err
	}
	if err := visible(id, h.Incidents[id], cut); err != nil {
		return err
	}
	rep, _ := projections.BuildReport(h.LedgerAt(cut), id, h.Incidents[id], cut, p, format)
	return written(w, format, func(b *bytes.Buffer) error { return projections.WriteReport(b, rep, format) })
}

func (s *Server) deadlines(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, s.now())
	cut, explicit := q.cut()
	f := projections.DeadlineFilter{Incident: q.str("incident"), Overdue: q.bool("overdue"), Open: q.bool("open"), Regimes: q.list("regime"),
		Pack: q.str("pack"), ComparePack: q.str("compare_pack")}
	for _, st := range q.list("status") {
		f.Statuses = append(f.Statuses, domain.Status(st))
	}
	for _, err := range f.Unknown(func(name string) string { return strings.ReplaceAll(name, "-", "_") }) {
		q.failf("%v", err) // 400, as the CLI's exit 2: a typo never answers "none"
	}
	if d := q.str("due_within"); d != "" {
		dw, err := domain.ParseDuration(d)
		if err != nil {
			q.failf("due_within: %v", err)
		}
		f.DueWithin = dw
	}
	if !q.time("known_at").IsZero() {
		f.NowKnownAt = q.now // beside what was known then, what is known now, as the CLI does
	}
	if f.Incident != "" {
		if _, err := incidentID(f.Incident); err != nil {
			q.failf("%v", err)
		}
	}
	limit, cursor := q.limit(), q.str("cursor")
	if err := q.err(); err != nil {
		return err
	}
	out := struct {
		pageHead
		DueWithin string `json:"due_within,omitempty"`
		Deadlines any    `json:"deadlines"`
		// FactsNeeded: rules that wait for a determination never made,
		// on the first page only.
		FactsNeeded any    `json:"facts_needed"`
		Alert       bool   `json:"alert"`
		Next        string `json:"next_cursor"`
	}{pageHead: s.pageHead(cut)}
	if f.DueWithin > 0 {
		out.DueWithin = domain.FormatDuration(f.DueWithin)
	}
	if f.Incident != "" {
		facts, err := ledger.ReadStream(r.Context(), s.Store, domain.IncidentStream(f.Incident))
		if err != nil {
			return err
		}
		if err := visible(f.Incident, facts, cut); err != nil {
			return err
		}
	}
	if !explicit && f.Pack == "" && f.ComparePack == "" {
		p, err := s.Kept.Deadlines(r.Context(), cut.AsOf, f, readmodel.Page{After: cursor, Limit: limit}, true)
		if err != nil {
			return err
		}
		out.Deadlines, out.FactsNeeded, out.Alert, out.Next = p.Deadlines, p.FactsNeeded, p.Alert, p.Next
		return writeJSON(w, out)
	}
	key := f
	key.NowKnownAt = time.Time{} // the instant of the view, in its key when it counts
	cq := newCutQuery("deadlines", q, key)
	cq.nowBound = cq.nowBound || !f.NowKnownAt.IsZero()
	cv, start, err := s.rebuilt(r.Context(), cq, cursor, func(ctx context.Context, pos uint64, cut domain.Cut, at time.Time) (any, int, error) {
		h, err := s.historyAt(ctx, pos)
		if err != nil {
			return nil, 0, err
		}
		f := f
		if !f.NowKnownAt.IsZero() {
			f.NowKnownAt = at
		}
		v := projections.Deadlines(h, cut, f)
		return v, len(v.Deadlines) + len(v.FactsNeeded), nil
	})
	if err != nil {
		return err
	}
	v := cv.value.(projections.DeadlineView)
	out.Deadlines, out.Next = cutRows(v.Deadlines, cv, cq, start, limit)
	out.pageHead.rebuiltAt(cv)
	out.Alert = v.Alert
	out.FactsNeeded = v.FactsNeeded
	if cursor != "" {
		out.FactsNeeded = []projections.FactsNeededRow{} // the first page had them
	}
	return writeJSON(w, out)
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, s.now())
	cut, explicit := q.cut()
	format := q.format(projections.FormatJSON, projections.RegisterFormats)
	limit, cursor := q.limit(), q.str("cursor")
	if err := q.err(); err != nil {
		return err
	}
	// JSON pages through the entries; the other formats are the whole
	// register as "breachledger register" writes it, integrity footer and all.
	out := struct {
		pageHead
		Entries any    `json:"entries"`
		Next    string `json:"next_cursor"`
	}{pageHead: s.pageHead(cut)}
	if format == projections.FormatJSON && !explicit {
		p, err := s.Kept.Register(r.Context(), cut.AsOf, readmodel.Page{After: cursor, Limit: limit}, true)
		if err != nil {
			return err
		}
		out.Entries, out.Next = p.Entries, p.Next
		return writeJSON(w, out)
	}
	if format == projections.FormatJSON {
		cq := newCutQuery("register", q, struct{ Format string }{format})
		v, start, err := s.rebuilt(r.Context(), cq, cursor, func(ctx context.Context, pos uint64, cut domain.Cut, _ time.Time) (any, int, error) {
			// Checkpointed as the other formats are; the entries are
			// those of the records below pos.
			h, p, err := ledger.ReadCheckpointed(ctx, s.Store, 0, s.Key, func(rec eventstore.Record) bool { return rec.Sequence < pos })
			if err != nil {
				return nil, 0, err
			}
			reg := projections.BuildRegister(h, cut, p, format)
			return reg.Entries, len(reg.Entries), nil
		})
		if err != nil {
			return err
		}
		out.Entries, out.Next = cutRows(v.value.([]projections.RegisterEntry), v, cq, start, limit)
		out.pageHead.rebuiltAt(v)
		return writeJSON(w, out)
	}
	h, p, err := ledger.ReadCheckpointed(r.Context(), s.Store, 0, s.Key, nil)
	if err != nil {
		return err
	}
	reg := projections.BuildRegister(h, cut, p, format)
	return written(w, format, func(b *bytes.Buffer) error { return projections.WriteRegister(b, reg, format) })
}

func (s *Server) period(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, s.now())
	cut, _ := q.cut()
	from, to := q.time("from"), q.time("to")
	format := q.format(projections.FormatJSON, projections.ReportFormats)
	switch {
	case from.IsZero() || to.IsZero():
		q.failf("from and to are required (RFC 3339)")
	case !from.Before(to):
		q.failf("from is not before to")
	}
	if err := q.err(); err != nil {
		return err
	}
	h, p, err := ledger.ReadCheckpointed(r.Context(), s.Store, 0, s.Key, nil)
	if err != nil {
		return err
	}
	rep := projections.BuildPeriodReport(h, from, to, cut, p, format)
	return written(w, format, func(b *bytes.Buffer) error { return projections.WritePeriodReport(b, rep, format) })
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, s.now())
	from, limit := q.uint("from", 0), q.limit()
	if err := q.err(); err != nil {
		return err
	}
	recs, err := s.Store.ReadAll(r.Context(), from, limit)
	if err != nil {
		return err
	}
	races, err := ledger.ReadRaces(r.Context(), s.Store) // after the page: every revocation a record of it lost to is read
	if err != nil {
		return err
	}
	head, err := s.Store.Head(r.Context())
	if err != nil {
		return err
	}
	out := struct {
		From   uint64                 `json:"from"`
		Next   uint64                 `json:"next"`   // pass as from for the next page
		Head   uint64                 `json:"head"`   // events in the ledger
		Events []projections.LogEntry `json:"events"` // as "breachledger log --json" prints them
		// Authorship: which events a signature proves the author of.
		Authorship projections.Authorship `json:"authorship"`
	}{From: from, Next: from, Head: head, Events: []projections.LogEntry{}, Authorship: s.authorship()}
	for _, rec := range recs {
		e := projections.LogEntryOf(rec)
		e.MarkRaced(races)
		out.Events = append(out.Events, e)
		out.Next = rec.Sequence + 1
	}
	return writeJSON(w, out)
}
