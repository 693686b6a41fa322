package readmodel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
)

// ErrUnsupported: the kept models cannot answer this question (a reading
// under another rule pack, or beside another knowledge cut); build the view
// from the history instead.
var ErrUnsupported = errors.New("not answered by the kept read models")

// ErrBadCursor: a page cursor that this package did not return.
var ErrBadCursor = errors.New("bad page cursor")

// Page selects part of a view: the rows after the cursor a previous page
// returned ("" for the first page), at most Limit of them (0: all).
type Page struct {
	After string
	Limit int
}

// ListPage is a page of the incident list.
type ListPage struct {
	Incidents []json.RawMessage // projections.ListEntry
	Next      string            // the cursor of the next page; "" at the end
}

// DeadlinePage is a page of the deadline view.
type DeadlinePage struct {
	Deadlines []json.RawMessage // projections.DeadlineRow
	// FactsNeeded are projections.FactsNeededRow: every incident's, on the
	// first page (page.After ""), none on the others.
	FactsNeeded []json.RawMessage
	Alert       bool // a row of this page is overdue, or open and due within the window
	Next        string
}

// RegisterPage is a page of the breach register.
type RegisterPage struct {
	Entries []json.RawMessage // projections.RegisterEntry
	Next    string
}

// valid reports whether kept rows hold at instant t.
func valid(latestAt, from, until int64, t time.Time) bool {
	n := t.UnixNano()
	return latestAt <= n && from <= n && n < until
}

// reevaluate folds incident id again and evaluates it at asOf; with
// persist (asOf is now), it keeps the result. ok is false when the
// incident did not exist at asOf.
func (k *Kept) reevaluate(ctx context.Context, id string, asOf time.Time, persist bool) (evaluation, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	facts, err := k.incidentFacts(ctx, id, projections.RacesOf(k.ledger))
	if err != nil {
		return evaluation{}, false, err
	}
	l := domain.ReplayLedger(k.ledger, domain.Cut{AsOf: asOf})
	ev, ok := evaluate(id, facts, l, domain.Cut{AsOf: asOf}, asOf, k.settingsAt)
	if !ok {
		return ev, false, nil
	}
	if err := ev.encode(); err != nil {
		return ev, false, err
	}
	if persist && ev.from != maxInstant {
		tx, err := k.db.BeginTx(ctx, nil)
		if err != nil {
			return ev, false, err
		}
		defer tx.Rollback()
		if err := store(ctx, tx, ev); err != nil {
			return ev, false, err
		}
		if err := tx.Commit(); err != nil {
			return ev, false, err
		}
	}
	return ev, true, nil
}

// incidentRow is an incident as kept.
type incidentRow struct {
	id                            string
	firstSeq                      uint64
	latestAt, validFrom, validTil int64
	closed                        bool
	list, register                []byte
}

// incidents yields the kept incidents after the cursor, in the view's
// order, each valid at asOf (re-evaluated when the kept rows do not hold
// there); keep chooses which count towards the limit.
func (k *Kept) incidents(ctx context.Context, asOf time.Time, after uint64, limit int, persist bool, keep func(incidentRow) bool) ([]incidentRow, string, error) {
	var out []incidentRow
	next := ""
	cursor := after
	for {
		batch, err := k.incidentBatch(ctx, cursor, 500)
		if err != nil {
			return nil, "", err
		}
		for _, r := range batch {
			cursor = r.firstSeq
			if !valid(r.latestAt, r.validFrom, r.validTil, asOf) {
				ev, ok, err := k.reevaluate(ctx, r.id, asOf, persist)
				if err != nil {
					return nil, "", err
				}
				if !ok {
					continue
				}
				r.closed, r.list, r.register = ev.closed, ev.listJSON, ev.regJSON
			}
			if !keep(r) {
				continue
			}
			if limit > 0 && len(out) == limit {
				return out, strconv.FormatUint(out[len(out)-1].firstSeq, 10), nil
			}
			out = append(out, r)
		}
		if len(batch) < 500 {
			return out, next, nil
		}
	}
}

func (k *Kept) incidentBatch(ctx context.Context, after uint64, n int) ([]incidentRow, error) {
	q := `SELECT incident, first_seq, latest_at, valid_from, valid_until, closed, list, register FROM rm_incidents WHERE first_seq > ? ORDER BY first_seq LIMIT ?`
	start := int64(after)
	if after == 0 {
		start = -1
	}
	rows, err := k.db.QueryContext(ctx, q, start, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []incidentRow
	for rows.Next() {
		var r incidentRow
		var seq int64
		if err := rows.Scan(&r.id, &seq, &r.latestAt, &r.validFrom, &r.validTil, &r.closed, &r.list, &r.register); err != nil {
			return nil, err
		}
		r.firstSeq = uint64(seq)
		out = append(out, r)
	}
	return out, rows.Err()
}

// parseCursor reads an incident-list cursor.
func parseCursor(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w %q", ErrBadCursor, s)
	}
	return n, nil
}

// List returns the incident list at asOf (open: only incidents not
// closed), a page at a time. With persist, incidents evaluated again are
// kept (asOf is now).
func (k *Kept) List(ctx context.Context, asOf time.Time, open bool, page Page, persist bool) (ListPage, error) {
	after, err := parseCursor(page.After)
	if err != nil {
		return ListPage{}, err
	}
	rows, next, err := k.incidents(ctx, asOf, after, page.Limit, persist, func(r incidentRow) bool { return !open || !r.closed })
	if err != nil {
		return ListPage{}, err
	}
	p := ListPage{Incidents: []json.RawMessage{}, Next: next}
	for _, r := range rows {
		p.Incidents = append(p.Incidents, r.list)
	}
	return p, nil
}

// Register returns the breach register's entries at asOf, a page at a time.
func (k *Kept) Register(ctx context.Context, asOf time.Time, page Page, persist bool) (RegisterPage, error) {
	after, err := parseCursor(page.After)
	if err != nil {
		return RegisterPage{}, err
	}
	rows, next, err := k.incidents(ctx, asOf, after, page.Limit, persist, func(r incidentRow) bool { return r.register != nil })
	if err != nil {
		return RegisterPage{}, err
	}
	p := RegisterPage{Entries: []json.RawMessage{}, Next: next}
	for _, r := range rows {
		p.Entries = append(p.Entries, r.register)
	}
	return p, nil
}

// deadlineRow is a kept deadline row.
type deadlineRow struct {
	firstSeq, ord uint64
	incident      string
	o             domain.Obligation // the fields the filter reads
	open          bool
	row           []byte
}

// deadlineCursor is "FIRSTSEQ.ORD".
func parseDeadlineCursor(s string) (seq, ord int64, err error) {
	if s == "" {
		return -1, -1, nil
	}
	a, b, ok := strings.Cut(s, ".")
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || x < 0 || y < 0 {
		return 0, 0, fmt.Errorf("%w %q", ErrBadCursor, s)
	}
	return x, y, nil
}

// Deadlines returns the deadline view at asOf, filtered as the CLI filters
// it (incident, regimes, due within, overdue, open), a page at a time.
// Readings under another pack or beside another knowledge cut are
// ErrUnsupported. With persist, incidents evaluated again are kept.
func (k *Kept) Deadlines(ctx context.Context, asOf time.Time, f projections.DeadlineFilter, page Page, persist bool) (DeadlinePage, error) {
	if f.Pack != "" || f.ComparePack != "" || !f.NowKnownAt.IsZero() {
		return DeadlinePage{}, ErrUnsupported
	}
	cseq, cord, err := parseDeadlineCursor(page.After)
	if err != nil {
		return DeadlinePage{}, err
	}
	// The prefilter: an obligation's due time and whether it is open do not
	// change with the instant, so SQL may select on them.
	where := []string{"(d.first_seq, d.ord) > (?, ?)"}
	args := []any{cseq, cord}
	pre := func(d domain.Obligation) bool { return true }
	if f.Incident != "" {
		where = append(where, "d.incident = ?")
		args = append(args, f.Incident)
	}
	selective := f.Open || f.Overdue || f.DueWithin > 0
	if selective {
		where = append(where, "d.open = 1")
		pre = func(d domain.Obligation) bool { return d.Status.Open() }
	}
	var limitDue int64
	switch {
	case f.DueWithin > 0:
		limitDue = asOf.Add(f.DueWithin).UnixNano()
	case f.Overdue:
		limitDue = asOf.UnixNano()
	}
	if limitDue != 0 {
		where = append(where, "d.due_at <= ?")
		args = append(args, limitDue)
		prev := pre
		pre = func(d domain.Obligation) bool { return prev(d) && d.DueAt.UnixNano() <= limitDue }
	}
	// Incidents whose latest fact is after asOf are folded again at asOf:
	// their rows then may differ in any way.
	future, err := k.futureIncidents(ctx, asOf, f.Incident, cseq)
	if err != nil {
		return DeadlinePage{}, err
	}
	var futureRows []deadlineRow // every row of those, in the view's order
	var futureNeeds []keptNeed
	for _, fi := range future {
		ev, ok, err := k.reevaluate(ctx, fi, asOf, false)
		if err != nil {
			return DeadlinePage{}, err
		}
		if ok {
			futureRows = append(futureRows, rowsOf(ev)...)
			ns, err := needsOf(ev)
			if err != nil {
				return DeadlinePage{}, err
			}
			futureNeeds = append(futureNeeds, ns...)
		}
	}
	sort.SliceStable(futureRows, func(i, j int) bool { return futureRows[i].firstSeq < futureRows[j].firstSeq })

	p := DeadlinePage{Deadlines: []json.RawMessage{}, FactsNeeded: []json.RawMessage{}}
	if page.After == "" {
		if p.FactsNeeded, err = k.factsNeeded(ctx, asOf, f, futureNeeds); err != nil {
			return DeadlinePage{}, err
		}
	}
	emit := func(d deadlineRow) bool {
		keep, alert := f.Admit(d.o, asOf)
		if !keep {
			return true
		}
		if page.Limit > 0 && len(p.Deadlines) == page.Limit {
			return false
		}
		p.Deadlines = append(p.Deadlines, d.row)
		p.Alert = p.Alert || alert
		p.Next = fmt.Sprintf("%d.%d", d.firstSeq, d.ord)
		return true
	}
	after := func(d deadlineRow) bool {
		return int64(d.firstSeq) > cseq || (int64(d.firstSeq) == cseq && int64(d.ord) > cord)
	}
	done := map[string]bool{} // stale incidents already emitted from a fresh evaluation
	fi := 0
	full := false
	visit := func(d keptDeadline) (bool, error) {
		for fi < len(futureRows) && futureRows[fi].firstSeq < d.firstSeq {
			if after(futureRows[fi]) && !emit(futureRows[fi]) {
				return false, nil
			}
			fi++
		}
		if d.valid {
			return emit(d.deadlineRow), nil
		}
		// The kept rows do not hold at asOf: fold the incident again.
		if done[d.incident] {
			return true, nil
		}
		done[d.incident] = true
		ev, ok, err := k.reevaluate(ctx, d.incident, asOf, persist)
		if err != nil || !ok {
			return true, err
		}
		for _, r := range rowsOf(ev) {
			if pre(r.o) && after(r) && !emit(r) {
				return false, nil
			}
		}
		return true, nil
	}
	err = k.keptDeadlines(ctx, strings.Join(where, " AND "), args, asOf, selective, func(d keptDeadline) (bool, error) {
		more, err := visit(d)
		full = full || !more
		return more, err
	})
	if err != nil {
		return DeadlinePage{}, err
	}
	if full {
		return p, nil
	}
	for ; fi < len(futureRows); fi++ {
		if after(futureRows[fi]) && !emit(futureRows[fi]) {
			return p, nil
		}
	}
	p.Next = ""
	return p, nil
}

// deadlineBatch is how many kept deadline rows an ordered read takes at a time.
const deadlineBatch = 2000

// keptDeadline is a kept deadline row and whether it holds at the instant.
type keptDeadline struct {
	deadlineRow
	valid bool
}

// keptDeadlines calls visit with the kept deadline rows that meet the
// prefilter where (its first two arguments are the cursor's first_seq and
// ord), in the view's order, with their JSON, until visit returns false.
// A selective prefilter (open rows only) is read through the (open,
// due_at) index and sorted here; otherwise the rows are read in order, a
// batch at a time.
func (k *Kept) keptDeadlines(ctx context.Context, where string, args []any, asOf time.Time, selective bool, visit func(keptDeadline) (bool, error)) error {
	const cols = `SELECT d.first_seq, d.ord, d.incident, d.obligation, d.rule, d.regime, d.due_at, d.open, d.status, d.latest_at, d.valid_from, d.valid_until, d.row
FROM rm_deadlines d WHERE `
	n := asOf.UnixNano()
	if selective {
		rows, err := k.scanDeadlines(ctx, cols+where+` AND d.latest_at <= ?`, append(append([]any{}, args...), n), n)
		if err != nil {
			return err
		}
		sort.Slice(rows, func(i, j int) bool {
			if rows[i].firstSeq != rows[j].firstSeq {
				return rows[i].firstSeq < rows[j].firstSeq
			}
			return rows[i].ord < rows[j].ord
		})
		for _, r := range rows {
			if more, err := visit(r); err != nil || !more {
				return err
			}
		}
		return nil
	}
	a := append([]any{}, args...)
	for {
		rows, err := k.scanDeadlines(ctx, cols+where+` AND d.latest_at <= ? ORDER BY d.first_seq, d.ord LIMIT ?`, append(append([]any{}, a...), n, deadlineBatch), n)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if more, err := visit(r); err != nil || !more {
				return err
			}
		}
		if len(rows) < deadlineBatch {
			return nil
		}
		last := rows[len(rows)-1]
		a[0], a[1] = int64(last.firstSeq), int64(last.ord)
	}
}

func (k *Kept) scanDeadlines(ctx context.Context, q string, args []any, asOf int64) ([]keptDeadline, error) {
	rows, err := k.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []keptDeadline
	for rows.Next() {
		var d keptDeadline
		var seq, ord, due, latest, from, until int64
		var status string
		var row []byte
		if err := rows.Scan(&seq, &ord, &d.incident, &d.o.ID, &d.o.Rule, &d.o.Regime, &due, &d.open, &status, &latest, &from, &until, &row); err != nil {
			return nil, err
		}
		d.row = row
		d.firstSeq, d.ord = uint64(seq), uint64(ord)
		d.o.DueAt, d.o.Status = time.Unix(0, due).UTC(), domain.Status(status)
		d.valid = latest <= asOf && from <= asOf && asOf < until
		out = append(out, d)
	}
	return out, rows.Err()
}

// rowsOf returns an evaluation's deadline rows.
func rowsOf(ev evaluation) []deadlineRow {
	out := make([]deadlineRow, len(ev.deadlines))
	for i, d := range ev.deadlines {
		out[i] = deadlineRow{firstSeq: ev.firstSeq, ord: uint64(i), incident: ev.id, o: d.Obligation, open: d.Status.Open(), row: ev.rowJSON[i]}
	}
	return out
}

// futureIncidents returns the kept incidents with a fact after asOf (the
// one incident when only one is asked for), after the cursor.
func (k *Kept) futureIncidents(ctx context.Context, asOf time.Time, only string, afterSeq int64) ([]string, error) {
	// Through the latest_at index (few rows are after any instant worth
	// asking about), sorted here.
	q := `SELECT incident, first_seq FROM rm_incidents INDEXED BY rm_incidents_latest WHERE latest_at > ? AND first_seq >= ?`
	args := []any{asOf.UnixNano(), afterSeq}
	if only != "" {
		q += ` AND incident = ?`
		args = append(args, only)
	}
	rows, err := k.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type found struct {
		id  string
		seq int64
	}
	var fs []found
	for rows.Next() {
		var f found
		if err := rows.Scan(&f.id, &f.seq); err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].seq < fs[j].seq })
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.id
	}
	return out, nil
}

// Digests returns the digests of the kept projections (incidents,
// deadlines, register) at asOf, in the form projections.Digests gives them
// for the history at the same position; incidents whose kept rows do not
// hold at asOf are folded again (and not kept).
func (k *Kept) Digests(ctx context.Context, asOf time.Time) ([]projections.Digest, error) {
	var out []projections.Digest
	l, err := k.List(ctx, asOf, false, Page{}, false)
	if err != nil {
		return nil, err
	}
	d := projections.NewDigester(projections.ProjectionIncidents)
	for _, r := range l.Incidents {
		d.AddJSON(r)
	}
	dl, err := k.Deadlines(ctx, asOf, projections.DeadlineFilter{}, Page{}, false)
	if err != nil {
		return nil, err
	}
	dd := projections.NewDigester(projections.ProjectionDeadlines)
	for _, r := range dl.Deadlines {
		dd.AddJSON(r)
	}
	rg, err := k.Register(ctx, asOf, Page{}, false)
	if err != nil {
		return nil, err
	}
	dr := projections.NewDigester(projections.ProjectionRegister)
	for _, r := range rg.Entries {
		dr.AddJSON(r)
	}
	for _, x := range []*projections.Digester{d, dd, dr} {
		dg, err := x.Digest()
		if err != nil {
			return nil, err
		}
		out = append(out, dg)
	}
	return out, nil
}
