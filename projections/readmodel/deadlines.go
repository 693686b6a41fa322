package readmodel

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
)

// A deadline read selects ranges of the deadline chain (state, regime,
// due_at, incident, ord) in SQL: an obligation's state (open, met,
// met-late, waived), regime and due time are the same at every instant at
// or after its incident's latest fact, while which open status it has
// (pending, due-soon, overdue, held) is a function of the asked instant.
// So "open and due within W of T" is the range (open, regime, ≤ T+W) of
// each regime asked for, "overdue at T" (open, regime, < T), a settled
// status its state's ranges; each range is read with the row before it
// and proved whole by the chain (mac.go), and the filter then applies to
// the rows, evaluated at T, as the pure projection applies it.

// Deadline states, the chain's first key: the same at every instant.
const (
	stateOpen    = 0 // pending, due-soon, overdue or held, by the instant
	stateMet     = 1
	stateMetLate = 2
	stateWaived  = 3
)

// stateOf returns the kept state of an obligation's status.
func stateOf(s domain.Status) int64 {
	switch {
	case s.Open():
		return stateOpen
	case s == domain.StatusMet:
		return stateMet
	case s == domain.StatusMetLate:
		return stateMetLate
	}
	return stateWaived
}

// ruleRegimes are the (regime, rule ID) pairs of every rule of every
// shipped pack: every obligation's regime is one of theirs.
var ruleRegimes = sync.OnceValue(func() [][2]string {
	var out [][2]string
	for _, p := range domain.Packs() {
		for _, r := range p.Rules {
			if x := [2]string{r.Regime, r.ID}; !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	return out
})

// regimesMeta is what rm_meta says the rows' regimes can be: a binary that
// knows other regimes reads other ranges, so it rebuilds the views.
func regimesMeta() string {
	return strings.Join(allRegimes(), "\x1f")
}

func allRegimes() []string {
	var out []string
	for _, x := range ruleRegimes() {
		if !slices.Contains(out, x[0]) {
			out = append(out, x[0])
		}
	}
	sort.Strings(out)
	return out
}

// regimesOf returns the regimes whose rows the filter's --regime values
// can select (domain.RegimeMatches), sorted; every regime without any.
func regimesOf(values []string) []string {
	if len(values) == 0 {
		return allRegimes()
	}
	var out []string
	for _, x := range ruleRegimes() {
		if slices.Contains(out, x[0]) {
			continue
		}
		if slices.ContainsFunc(values, func(v string) bool { return domain.RegimeMatches(v, x[0], x[1]) }) {
			out = append(out, x[0])
		}
	}
	sort.Strings(out)
	return out
}

// deadlinePlan is what a deadline read selects: for each state and regime,
// the rows due in [lo, hi] (every due time for a settled state).
type deadlinePlan struct {
	states  []int64
	regimes []string
	lo, hi  int64 // the open rows' due times, inclusive
}

// planDeadlines returns the ranges holding every row the filter can admit
// at asOf (projections.DeadlineFilter.Admit): never fewer.
func planDeadlines(f projections.DeadlineFilter, asOf time.Time) deadlinePlan {
	p := deadlinePlan{states: []int64{stateOpen, stateMet, stateMetLate, stateWaived}, regimes: regimesOf(f.Regimes), lo: minInstant, hi: maxInstant}
	n := asOf.UnixNano()
	if f.Open || f.Overdue || f.DueWithin > 0 {
		p.states = []int64{stateOpen}
	}
	if f.Overdue {
		p.hi = min(p.hi, n-1) // overdue just after its due time
	}
	if f.DueWithin > 0 {
		p.hi = min(p.hi, asOf.Add(f.DueWithin).UnixNano()) // overdue, or due by then
	}
	if len(f.Statuses) > 0 {
		p.narrowByStatus(f.Statuses, n)
	}
	return p
}

// narrowByStatus keeps the states of the statuses asked for and, for the
// open ones, the hull of their due ranges at instant n.
func (p *deadlinePlan) narrowByStatus(statuses []domain.Status, n int64) {
	var states []int64
	lo, hi := int64(maxInstant), int64(minInstant)
	for _, s := range statuses {
		st := stateOf(s)
		if !slices.Contains(states, st) {
			states = append(states, st)
		}
		if st != stateOpen {
			continue
		}
		l, h := int64(minInstant), int64(maxInstant)
		switch s {
		case domain.StatusOverdue:
			h = n - 1
		case domain.StatusPending:
			l = n + 1 // before its due time less the due-soon window
		case domain.StatusDueSoon:
			l = n // from its due time less the window to its due time
		}
		lo, hi = min(lo, l), max(hi, h)
	}
	p.states = slices.DeleteFunc(p.states, func(s int64) bool { return !slices.Contains(states, s) })
	if slices.Contains(states, stateOpen) {
		p.lo, p.hi = max(p.lo, lo), min(p.hi, hi)
	}
}

// dueRange returns the due times read for a state.
func (p deadlinePlan) dueRange(state int64) (lo, hi int64) {
	if state == stateOpen {
		return p.lo, p.hi
	}
	return minInstant, maxInstant
}

// admits reports whether a row is in one of the plan's ranges.
func (p deadlinePlan) admits(state int64, regime string, due int64) bool {
	lo, hi := p.dueRange(state)
	return slices.Contains(p.states, state) && slices.Contains(p.regimes, regime) && lo <= due && due <= hi
}

// deadlineRow is a deadline row, kept or from a fresh evaluation.
type deadlineRow struct {
	firstSeq, ord uint64
	incident      string
	o             domain.Obligation // the fields the filter reads
	state         int64
	row           []byte
}

// keptDeadline is a kept deadline row and whether it holds at the instant.
type keptDeadline struct {
	deadlineRow
	valid bool
}

// parseDeadlineCursor reads "FIRSTSEQ.ORD".
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

// deadlineRead is one deadline read in progress: what it asks, and the
// page it fills.
type deadlineRead struct {
	k          *Kept
	asOf       time.Time
	f          projections.DeadlineFilter
	page       Page
	persist    bool
	plan       deadlinePlan
	cseq, cord int64
	p          DeadlinePage
	done       map[string]bool // incidents folded again and emitted whole
}

// after reports whether a row comes after the page's cursor.
func (r *deadlineRead) after(d deadlineRow) bool {
	return int64(d.firstSeq) > r.cseq || (int64(d.firstSeq) == r.cseq && int64(d.ord) > r.cord)
}

// emit adds a row the filter admits; false when the page is full.
func (r *deadlineRead) emit(d deadlineRow) bool {
	keep, alert := r.f.Admit(d.o, r.asOf)
	if !keep {
		return true
	}
	if r.page.Limit > 0 && len(r.p.Deadlines) == r.page.Limit {
		return false
	}
	r.p.Deadlines = append(r.p.Deadlines, d.row)
	r.p.Alert = r.p.Alert || alert
	r.p.Next = fmt.Sprintf("%d.%d", d.firstSeq, d.ord)
	return true
}

func (k *Kept) deadlines(ctx context.Context, asOf time.Time, f projections.DeadlineFilter, page Page, persist bool) (DeadlinePage, error) {
	if f.Pack != "" || f.ComparePack != "" || !f.NowKnownAt.IsZero() {
		return DeadlinePage{}, ErrUnsupported
	}
	cseq, cord, err := parseDeadlineCursor(page.After)
	if err != nil {
		return DeadlinePage{}, err
	}
	r := &deadlineRead{k: k, asOf: asOf, f: f, page: page, persist: persist, plan: planDeadlines(f, asOf), cseq: cseq, cord: cord,
		p: DeadlinePage{Deadlines: []json.RawMessage{}, FactsNeeded: []json.RawMessage{}}, done: map[string]bool{}}
	future, err := k.futureIncidents(ctx, asOf, f.Incident, cseq)
	if err != nil {
		return DeadlinePage{}, err
	}
	if page.After == "" {
		// The first page has every incident's facts needed: the incidents
		// with a fact after the instant are all folded again here.
		var needs []keptNeed
		for _, x := range future {
			ns, err := r.fold(ctx, x)
			if err != nil {
				return DeadlinePage{}, err
			}
			needs = append(needs, ns...)
		}
		if r.p.FactsNeeded, err = k.factsNeeded(ctx, asOf, f, needs); err != nil {
			return DeadlinePage{}, err
		}
	}
	kept, err := r.keptRows(ctx)
	if err != nil {
		return DeadlinePage{}, err
	}
	full, err := r.merge(ctx, kept, future)
	if err != nil || full {
		return r.p, err
	}
	r.p.Next = ""
	return r.p, nil
}

// futureIncident is a kept incident with a fact after the instant: its
// rows then may differ in any way, so it is folded again at the instant
// (fold) when the page reaches it, or for the first page's facts needed.
type futureIncident struct {
	id     string
	seq    uint64
	folded bool
	rows   []deadlineRow // after the cursor, in the view's order
}

// fold folds x again at the instant, keeps its rows after the cursor, and
// returns its facts needed.
func (r *deadlineRead) fold(ctx context.Context, x *futureIncident) ([]keptNeed, error) {
	x.folded = true
	ev, ok, err := r.k.reevaluate(ctx, x.id, r.asOf, false)
	if err != nil || !ok {
		return nil, err
	}
	for _, d := range rowsOf(ev) {
		if r.after(d) {
			x.rows = append(x.rows, d)
		}
	}
	return needsOf(ev)
}

// emitFuture emits a future incident's rows, folding it first; false
// when the page is full.
func (r *deadlineRead) emitFuture(ctx context.Context, x *futureIncident) (bool, error) {
	if !x.folded {
		if _, err := r.fold(ctx, x); err != nil {
			return false, err
		}
	}
	for _, d := range x.rows {
		if !r.emit(d) {
			return false, nil
		}
	}
	return true, nil
}

// merge emits the kept rows and the future incidents' in the view's
// order, folding again the incidents whose kept rows do not hold at the
// instant, and each future one only when the page reaches it (a page
// costs its own rows' folds, not every later incident's); full is true
// when the page filled before the end.
func (r *deadlineRead) merge(ctx context.Context, kept []*keptDeadline, future []*futureIncident) (full bool, err error) {
	fi := 0
	for _, d := range kept {
		for ; fi < len(future) && future[fi].seq < d.firstSeq; fi++ {
			if more, err := r.emitFuture(ctx, future[fi]); err != nil || !more {
				return !more, err
			}
		}
		more, err := r.visit(ctx, *d)
		if err != nil || !more {
			return !more, err
		}
	}
	for ; fi < len(future); fi++ {
		if more, err := r.emitFuture(ctx, future[fi]); err != nil || !more {
			return !more, err
		}
	}
	return false, nil
}

// visit emits a kept row that holds at the instant, or else its
// incident's rows folded again at the instant (once per incident).
func (r *deadlineRead) visit(ctx context.Context, d keptDeadline) (bool, error) {
	if d.valid {
		return r.emit(d.deadlineRow), nil
	}
	if r.done[d.incident] {
		return true, nil
	}
	r.done[d.incident] = true
	ev, ok, err := r.k.reevaluate(ctx, d.incident, r.asOf, r.persist)
	if err != nil || !ok {
		return true, err
	}
	for _, x := range rowsOf(ev) {
		if r.plan.admits(x.state, x.o.Regime, x.o.DueAt.UnixNano()) && r.after(x) && !r.emit(x) {
			return false, nil
		}
	}
	return true, nil
}

// keptRows reads the plan's ranges of the kept deadline rows, each checked
// against its MACs and chain before any row is used, and returns the rows
// after the cursor (of the one incident asked for) whose incident has no
// fact after the instant, in the view's order (first_seq, ord).
func (r *deadlineRead) keptRows(ctx context.Context) ([]*keptDeadline, error) {
	pos := r.k.Position()
	n := r.asOf.UnixNano()
	var out []*keptDeadline // pointers: an Obligation is large, and sorting moves them
	for _, state := range r.plan.states {
		for _, regime := range r.plan.regimes {
			lo, hi := r.plan.dueRange(state)
			rows, err := r.k.deadlineRange(ctx, state, regime, lo, hi, pos)
			if err != nil {
				return nil, err
			}
			for _, x := range rows {
				d := keptDeadlineOf(x, n)
				if !r.after(d.deadlineRow) || r.f.Incident != "" && d.incident != r.f.Incident || d.latest > n {
					continue // a later fact: folded again at asOf (futureRows)
				}
				out = append(out, &d.keptDeadline)
			}
		}
	}
	slices.SortFunc(out, func(a, b *keptDeadline) int {
		if c := cmp.Compare(a.firstSeq, b.firstSeq); c != 0 {
			return c
		}
		return cmp.Compare(a.ord, b.ord)
	})
	return out, nil
}

// rangeQuery reads one range of the deadline chain with the row before it.
var rangeQuery = `SELECT * FROM (SELECT ` + deadlinesTable.selectCols() + ` FROM rm_deadlines WHERE ` + deadlinesTable.tuple + ` < (?, ?, ?, '', ?) ORDER BY ` + deadlinesTable.desc + ` LIMIT 1)
UNION ALL SELECT * FROM (SELECT ` + deadlinesTable.selectCols() + ` FROM rm_deadlines WHERE state = ? AND regime = ? AND due_at BETWEEN ? AND ?)`

// deadlineRange returns the kept rows of one state and regime due in
// [lo, hi], in chain order, checked against their MACs and chain (kept at
// position pos at most): the row before the range names the first, each
// the next, and the last one beyond the range.
func (k *Kept) deadlineRange(ctx context.Context, state int64, regime string, lo, hi int64, pos uint64) ([]sealedRow, error) {
	t := deadlinesTable
	rows, err := k.scan(ctx, t, false, rangeQuery, state, regime, lo, int64(minInstant), state, regime, lo, hi)
	if err != nil {
		return nil, err
	}
	pred, rows := predecessorOf(rows, ckey{a: state, r: regime, b: lo, c: minInstant})
	inRange := func(x ckey) bool { return x.a == state && x.r == regime && lo <= x.b && x.b <= hi }
	if err := k.m.checkChain(t, pred, rows, inRange, pos); err != nil {
		return nil, err
	}
	return rows, nil
}

// readDeadline is a kept deadline row with its incident's latest fact.
type readDeadline struct {
	keptDeadline
	latest int64
}

// keptDeadlineOf decodes a kept row (deadlinesTable.cols) and whether it
// holds at instant n.
func keptDeadlineOf(x sealedRow, n int64) readDeadline {
	v := x.vals
	d := readDeadline{latest: i64(v[9])}
	d.firstSeq, d.ord, d.incident, d.state, d.row = uint64(i64(v[2])), uint64(i64(v[1])), str(v[0]), i64(v[7]), blob(v[12])
	d.o.ID, d.o.Rule, d.o.Regime = str(v[3]), str(v[4]), str(v[5])
	d.o.DueAt, d.o.Status = time.Unix(0, i64(v[6])).UTC(), domain.Status(str(v[8]))
	from, until := i64(v[10]), i64(v[11])
	d.valid = d.latest <= n && from <= n && n < until
	return d
}

// rowsOf returns an evaluation's deadline rows.
func rowsOf(ev evaluation) []deadlineRow {
	out := make([]deadlineRow, len(ev.deadlines))
	for i, d := range ev.deadlines {
		out[i] = deadlineRow{firstSeq: ev.firstSeq, ord: uint64(i), incident: ev.id, o: d.Obligation, state: stateOf(d.Status), row: ev.rowJSON[i]}
	}
	return out
}

// futureIncidents returns the kept incidents with a fact after asOf (the
// one incident when only one is asked for), from the cursor's on, in the
// view's order.
func (k *Kept) futureIncidents(ctx context.Context, asOf time.Time, only string, afterSeq int64) ([]*futureIncident, error) {
	k.mu.Lock()
	maxLatest, pos := k.maxLatest, k.pos
	k.mu.Unlock()
	if asOf.UnixNano() >= maxLatest {
		return nil, nil // no kept incident has a fact after asOf (rm_meta, under its MAC)
	}
	// A read before some incident's latest fact: every kept incident,
	// checked, is looked at.
	all, err := k.allIncidents(ctx, k.db, pos)
	if err != nil {
		return nil, err
	}
	var out []*futureIncident
	for _, r := range all {
		id, seq, latest := str(r.vals[0]), i64(r.vals[1]), i64(r.vals[2])
		if latest > asOf.UnixNano() && seq >= afterSeq && (only == "" || id == only) {
			out = append(out, &futureIncident{id: id, seq: uint64(seq)})
		}
	}
	return out, nil
}
