package readmodel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
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
	facts, err := k.incidentFacts(ctx, id, history.RacesOf(k.ledger))
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
		prevMax := k.maxLatest
		s := newSealer(k.m)
		err = k.store(ctx, tx, ev, s, k.pos, k.lastID)
		if err == nil {
			err = s.seal(ctx, tx)
		}
		if err == nil {
			err = writeMeta(ctx, tx, map[string]string{"max_latest": strconv.FormatInt(k.maxLatest, 10)})
		}
		if err == nil {
			err = k.m.sealMeta(ctx, tx)
		}
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			k.maxLatest = prevMax
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

// The JSON columns of rm_incidents (incidentsTable.cols' indexes): a view
// reads the one it returns, and the other's digest.
const (
	listCol     = 7
	registerCol = 8
)

// incidents yields the kept incidents after the cursor, in the view's
// order, each valid at asOf (re-evaluated when the kept rows do not hold
// there); with open, only those not closed are read when that is proved
// enough (incidentRanges); keep chooses which count towards the limit.
// Of the JSON, only the view's (listCol or registerCol) is read: the
// other is nil in the rows returned.
func (k *Kept) incidents(ctx context.Context, asOf time.Time, after uint64, limit int, persist, open bool, view int, keep func(incidentRow) bool) ([]incidentRow, string, error) {
	var out []incidentRow
	cursor := after
	pos := k.Position()
	closed := k.incidentRanges(asOf, open)
	for {
		batch, more, err := k.incidentBatch(ctx, closed, cursor, 500, pos, view)
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
				if view == listCol {
					r.register = nil
				} else {
					r.list = nil
				}
			}
			if !keep(r) {
				continue
			}
			if limit > 0 && len(out) == limit {
				return out, strconv.FormatUint(out[len(out)-1].firstSeq, 10), nil
			}
			out = append(out, r)
		}
		if !more {
			return out, "", nil
		}
	}
}

// incidentRanges returns the closed values (0, 1) a read selects: only
// the open range for open incidents when no kept incident has a fact
// after asOf (whether it is closed is then a fact kept with it); else both
// (an incident kept closed may be open at asOf).
func (k *Kept) incidentRanges(asOf time.Time, open bool) []int64 {
	k.mu.Lock()
	maxLatest := k.maxLatest
	k.mu.Unlock()
	if open && asOf.UnixNano() >= maxLatest {
		return []int64{0}
	}
	return []int64{0, 1}
}

// incidentBatch reads at most n kept incidents after the cursor from each
// range (closed 0 or 1) asked for, each checked against its MACs and chain,
// and returns them in first_seq order up to where every range read is
// whole, and whether more may follow.
func (k *Kept) incidentBatch(ctx context.Context, closed []int64, after uint64, n int, pos uint64, view int) ([]incidentRow, bool, error) {
	var all []sealedRow
	bound, more := int64(math.MaxInt64), false
	for _, c := range closed {
		rows, err := k.incidentRange(ctx, c, after, n, pos, view)
		if err != nil {
			return nil, false, err
		}
		if len(rows) == n {
			more, bound = true, min(bound, rows[n-1].key.b)
		}
		all = append(all, rows...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key.b < all[j].key.b })
	out := make([]incidentRow, 0, len(all))
	for _, r := range all {
		if r.key.b > bound {
			break // beyond where a range read stopped: the next batch
		}
		v := r.vals
		row := incidentRow{id: str(v[0]), firstSeq: uint64(i64(v[1])), latestAt: i64(v[2]), validFrom: i64(v[4]), validTil: i64(v[5]), closed: i64(v[6]) != 0}
		if view == listCol {
			row.list = blob(v[listCol])
		} else if v[registerCol] != nil {
			row.register = blob(v[registerCol])
		}
		out = append(out, row)
	}
	return out, more, nil
}

// incidentRangeQueries are incidentRange's statements, by the view's JSON
// column: the register is read only for the register.
var incidentRangeQueries = map[int]string{listCol: incidentRangeQuery(incidentsTable.selectCols()), registerCol: incidentRangeQuery(incidentsTable.selectReg())}

func incidentRangeQuery(cols string) string {
	return `SELECT * FROM (SELECT ` + cols + ` FROM rm_incidents WHERE (closed, first_seq) <= (?, ?) ORDER BY ` + incidentsTable.desc + ` LIMIT 1)
UNION ALL SELECT * FROM (SELECT ` + cols + ` FROM rm_incidents WHERE closed = ? AND first_seq > ? ORDER BY first_seq LIMIT ?)`
}

// incidentRange reads at most n kept incidents of one closed value after
// the cursor, with the row before them (in one statement), and checks them
// against their MACs and chain (kept at position pos at most); the
// register's JSON is read only for its view (registerCol).
func (k *Kept) incidentRange(ctx context.Context, closed int64, after uint64, n int, pos uint64, view int) ([]sealedRow, error) {
	t := incidentsTable
	start := int64(after)
	if after == 0 {
		start = -1
	}
	rows, err := k.scan(ctx, t, view == registerCol, incidentRangeQueries[view], closed, start, closed, start, n)
	if err != nil {
		return nil, err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].key.less(rows[j].key) })
	var pred *sealedRow
	if len(rows) > 0 && !(ckey{a: closed, b: start}).less(rows[0].key) {
		pred, rows = &rows[0], rows[1:]
	}
	full := len(rows) == n
	inRange := func(x ckey) bool {
		return x.a == closed && x.b > start && (!full || !rows[len(rows)-1].key.less(x))
	}
	if err := k.m.checkChain(t, pred, rows, inRange, pos); err != nil {
		return nil, err
	}
	return rows, nil
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
	var p ListPage
	err := k.checked(ctx, asOf, func() (err error) {
		p, err = k.list(ctx, asOf, open, page, persist)
		return err
	})
	return p, err
}

func (k *Kept) list(ctx context.Context, asOf time.Time, open bool, page Page, persist bool) (ListPage, error) {
	after, err := parseCursor(page.After)
	if err != nil {
		return ListPage{}, err
	}
	rows, next, err := k.incidents(ctx, asOf, after, page.Limit, persist, open, listCol, func(r incidentRow) bool { return !open || !r.closed })
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
	var p RegisterPage
	err := k.checked(ctx, asOf, func() (err error) {
		p, err = k.register(ctx, asOf, page, persist)
		return err
	})
	return p, err
}

func (k *Kept) register(ctx context.Context, asOf time.Time, page Page, persist bool) (RegisterPage, error) {
	after, err := parseCursor(page.After)
	if err != nil {
		return RegisterPage{}, err
	}
	rows, next, err := k.incidents(ctx, asOf, after, page.Limit, persist, false, registerCol, func(r incidentRow) bool { return r.register != nil })
	if err != nil {
		return RegisterPage{}, err
	}
	p := RegisterPage{Entries: []json.RawMessage{}, Next: next}
	for _, r := range rows {
		p.Entries = append(p.Entries, r.register)
	}
	return p, nil
}

// Deadlines returns the deadline view at asOf, filtered as the CLI filters
// it (incident, regimes, due within, overdue, open), a page at a time.
// Readings under another pack or beside another knowledge cut are
// ErrUnsupported. With persist, incidents evaluated again are kept.
//
// Every kept row it answers from is checked against its MAC, and the rows
// of each range it reads against their chain (mac.go); kept views that do
// not check are rebuilt from the log (Tampered names them) and the answer
// is read again.
func (k *Kept) Deadlines(ctx context.Context, asOf time.Time, f projections.DeadlineFilter, page Page, persist bool) (DeadlinePage, error) {
	var p DeadlinePage
	err := k.checked(ctx, asOf, func() (err error) {
		p, err = k.deadlines(ctx, asOf, f, page, persist)
		return err
	})
	return p, err
}

// checked runs read; when it finds a kept view tampered with, it notes
// that, rebuilds the views from the log (evaluated at asOf) and runs read
// again.
func (k *Kept) checked(ctx context.Context, asOf time.Time, read func() error) error {
	err := read()
	var te *TamperError
	if !errors.As(err, &te) {
		return err
	}
	k.noteTamper(te)
	if _, err := k.Rebuild(ctx, asOf); err != nil {
		return err
	}
	return read()
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
