// Package readmodel keeps the projections that reporting jobs read (the
// incident list, the deadline view and the breach register) persisted with
// their position in the ledger (the number of events folded into them), and
// catches them up incrementally: only the incidents that new events touch
// are folded again.
//
// The read models live in a SQLite file of their own, never in the ledger
// (the caller picks it: a file under the user's cache directory, see
// package internal/cachedir), in tables of their own (rm_*; older builds
// kept them in the ledger's file, and writers drop them there: Tables), or,
// where nothing can be kept, in memory (Memory). This package reads the log
// through eventstore.Store like any reader. The models can always be
// rebuilt from the log, and a rebuild gives the same views.
//
// A kept incident is its state with every event up to the position folded
// in (no cut), its obligations evaluated at one instant, and the interval of
// instants in which those evaluations hold (domain.StatusWindow): a read at
// an instant inside it uses the kept rows; a read outside it, or before the
// incident's latest business time, folds the incident again from its stream.
// So the views read here are those the pure projections give for the same
// history and as-of time, whenever they were kept.
package readmodel

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/projections"
)

// schemaVersion is the version of the rm_* tables; a file with another
// version is rebuilt from the log. 3: deadline and register rows carry
// recorded_late_by (rows kept before lack it). 4: facts needed are kept
// (rm_facts_needed), deadline rows carry withdrawn_by, and register rows
// count the people recorded with "affected" (subjects_from). 5: a waived
// row carries recorded_late_by when the fact that waived it was recorded
// after the due time. 6: every row carries the position (and event) it was
// derived at, its successor's key and a MAC (mac.go); rows kept before
// have none and are rebuilt. 7: deadline rows carry known_defect, scaled,
// filed, deemed_filed_at and assumed (pack 2026.2, issue 18): rows of an
// incident pinned to an older pack, kept before, lack the known defect.
// 8: deadline rows carry a state (open, met, met-late, waived) instead of
// open, and their chain (and index) is (state, regime, due_at, incident,
// ord), so a read selects a due-time range of one state and regime (issue
// 22); the chain keys carry the regime. 9: the incidents' chain (and
// index) is (closed, first_seq), so list --open reads the open range.
// 10: every JSON column has a digest column beside it (its SHA-256), and
// the MAC covers the digest (mac.go). 11: a row keeps as SQL columns only
// its chain key and incident (and an incident its register entry); the
// rest, JSON included, is packed into one data column the MAC covers as it
// is (mac.go: a read pulls a few columns and computes one HMAC a row).
// 12: facts needed are chained by (regime, first_seq, ord), so a view
// filtered by regime reads only its regimes' facts needed (the risk
// advisor's need makes them one a breach, not a few).
const schemaVersion = "12"

// metaSchema creates rm_meta alone (to read the version first).
const metaSchema = `CREATE TABLE IF NOT EXISTS rm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;`

// schema creates the read-model tables. Times are unix nanoseconds.
const schema = `
CREATE TABLE IF NOT EXISTS rm_meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS rm_incidents (
	incident    TEXT PRIMARY KEY,
	closed      INTEGER NOT NULL,        -- a fact: the same at every instant from its latest fact on
	first_seq   INTEGER NOT NULL UNIQUE, -- the view's order: the incident's first event
	data        BLOB    NOT NULL,        -- latest_at, eval_at, valid_from, valid_until, list, SHA-256 of register, pos, last_event (mac.go: incidentsTable)
	register    BLOB,                    -- projections.RegisterEntry, JSON; NULL when not a breach
	next        BLOB,                    -- the successor's key in (closed, first_seq) order; NULL: the last
	mac         BLOB    NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS rm_deadlines (
	incident   TEXT    NOT NULL,
	ord        INTEGER NOT NULL,         -- the obligation's place in the incident's view
	state      INTEGER NOT NULL,         -- 0 open (pending, due-soon, overdue or held, by the instant), 1 met, 2 met-late, 3 waived: the same at every instant (stateOf)
	regime     TEXT    NOT NULL,
	due_at     INTEGER NOT NULL,
	data       BLOB    NOT NULL,         -- first_seq, obligation, rule, status, latest_at, valid_from, valid_until, row (JSON), pos, last_event (mac.go: deadlinesTable)
	next       BLOB,                     -- the successor's key in (state, regime, due_at, incident, ord) order
	mac        BLOB    NOT NULL,
	PRIMARY KEY (incident, ord)
) STRICT;
CREATE TABLE IF NOT EXISTS rm_facts_needed (
	incident  TEXT    NOT NULL,
	regime    TEXT    NOT NULL,
	first_seq INTEGER NOT NULL,
	ord       INTEGER NOT NULL,          -- its place in the incident's facts needed (the pack's rule order)
	data      BLOB    NOT NULL,          -- rule, latest_at, row (JSON), pos, last_event (mac.go: factsTable)
	next      BLOB,                      -- the successor's key in (regime, first_seq, ord) order
	mac       BLOB    NOT NULL,
	PRIMARY KEY (incident, ord)
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS rm_facts_needed_chain ON rm_facts_needed (regime, first_seq, ord);
CREATE UNIQUE INDEX IF NOT EXISTS rm_deadlines_chain ON rm_deadlines (state, regime, due_at, incident, ord);
CREATE UNIQUE INDEX IF NOT EXISTS rm_incidents_chain ON rm_incidents (closed, first_seq);
`

// Tables are the tables this package keeps, for tests and for removal.
var Tables = []string{"rm_meta", "rm_incidents", "rm_deadlines", "rm_facts_needed"}

const (
	minInstant = math.MinInt64
	maxInstant = math.MaxInt64
)

// pageSize is how many events a catch-up folds per transaction.
const pageSize = 1000

// Kept is the read models of one ledger, kept in a SQLite file.
type Kept struct {
	db   *sql.DB
	pin  *sql.Conn // Memory: the connection that keeps the database alive
	src  eventstore.Store
	path string

	mu         sync.Mutex    // one writer (catch-up, refresh) at a time
	pos        uint64        // events folded
	lastID     string        // event ID at pos-1, to notice a log that changed under the kept models
	ledger     []domain.Fact // the ledger stream's facts folded so far
	settingsAt time.Time     // the latest business time of a settings change
	maxLatest  int64         // no kept incident has a fact after this instant (rm_meta max_latest)

	m        *macer // the MAC key and the ledger's origin (mac.go)
	stmtMu   sync.Mutex
	stmts    map[string]*sql.Stmt // the reads' statements, prepared once
	tamperMu sync.Mutex
	tampered []*TamperError // found since Open (each then rebuilt from the log)

	forgets bool // a fold since the last purge saw a DataShredded (purge)
}

// Memory, as Open's path, keeps the read models in memory, for this Kept
// only: for a reader with nowhere to keep them (slower: every run folds the
// whole log), and for tests.
const Memory = ":memory:"

// Open opens (creating them when missing) the read models of the ledger in
// src, kept in the SQLite file at path (a file of their own, never the
// ledger's), or in memory for Memory. Models kept for another ledger, or by
// another schema version, are dropped and rebuilt by the next catch-up.
func Open(ctx context.Context, src eventstore.Store, path string) (*Kept, error) {
	name, err := dsn(path)
	if err != nil {
		return nil, fmt.Errorf("open read models %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("open read models %s: %w", path, err)
	}
	k := &Kept{db: db, src: src, path: path}
	if path == Memory {
		// The in-memory database lives while a connection to it is open:
		// hold one for the Kept's life.
		if k.pin, err = db.Conn(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("open read models %s: %w", path, err)
		}
	}
	if err := k.init(ctx); err != nil {
		k.Close()
		return nil, fmt.Errorf("open read models %s: %w", path, err)
	}
	return k, nil
}

// memories numbers the in-memory databases of this process.
var memories atomic.Uint64

// dsn returns the driver's data source name for path.
func dsn(path string) (string, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Set("_txlock", "immediate")
	if path == Memory {
		// SQLite's memdb VFS, under a name of its own: every connection of
		// the pool sees the same database (a plain ":memory:" is one per
		// connection).
		q.Set("vfs", "memdb")
		return fmt.Sprintf("file:/breachledger-views-%d-%d?%s", os.Getpid(), memories.Add(1), q.Encode()), nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "secure_delete(ON)")   // a row replaced or deleted leaves no copy of what it held (purge)
	q.Add("_pragma", "synchronous(NORMAL)") // kept models are rebuilt from the log after a crash at worst
	q.Add("_pragma", "cache_size(-32768)")  // 32 MiB: a deadline read touches rows all over rm_deadlines
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String(), nil
}

// Close closes the read models' connection (not the store).
func (k *Kept) Close() error {
	k.stmtMu.Lock()
	for _, st := range k.stmts {
		st.Close()
	}
	k.stmts = nil
	k.stmtMu.Unlock()
	if k.pin != nil {
		k.pin.Close()
	}
	return k.db.Close()
}

// init creates the tables, checks they are this ledger's and this
// version's, and loads the position and the ledger stream.
func (k *Kept) init(ctx context.Context) error {
	origin, err := ledgerOrigin(ctx, k.src)
	if err != nil {
		return err
	}
	key, fresh, err := loadKey(k.path)
	if err != nil {
		return err
	}
	k.m = &macer{key: key, origin: origin}
	tx, err := k.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, metaSchema); err != nil {
		return err
	}
	meta, err := readMeta(ctx, tx)
	if err != nil {
		return err
	}
	if meta["version"] != schemaVersion {
		// Tables of another schema: make them again.
		for _, t := range Tables[1:] {
			if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
				return err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return err
	}
	calendars := calendarsMeta()
	same := meta["version"] == schemaVersion && meta["origin"] == origin && meta["calendars"] == calendars && meta["regimes"] == regimesMeta()
	if same && !fresh && !k.m.metaOK(meta) {
		// The position, the last event or the origin was changed under
		// the MAC: nothing kept can be placed in the log.
		k.noteTamper(&TamperError{Table: "rm_meta", Rows: []string{fmt.Sprintf("position %q, last_event %q", meta["position"], meta["last_event"])}, Why: "its MAC does not match its contents"})
		same = false
	}
	if !same || fresh {
		// Another ledger, another schema, rows evaluated on other frozen
		// calendar versions (an older binary), a new MAC key, or rm_meta
		// tampered with: fold everything again.
		meta = map[string]string{"version": schemaVersion, "origin": origin, "calendars": calendars, "regimes": regimesMeta(), "position": "0", "last_event": "", "max_latest": strconv.FormatInt(minInstant, 10)}
		if err := k.reset(ctx, tx, meta); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	k.pos, _ = strconv.ParseUint(meta["position"], 10, 64)
	k.lastID = meta["last_event"]
	k.maxLatest, _ = strconv.ParseInt(meta["max_latest"], 10, 64)
	return k.loadLedger(ctx)
}

// ledgerOrigin identifies the ledger by its first ledger event: a kept
// model of another ledger is never reused.
func ledgerOrigin(ctx context.Context, st eventstore.Store) (string, error) {
	recs, err := st.ReadStream(ctx, domain.LedgerStream, eventstore.ReadOptions{Limit: 1})
	if errors.Is(err, eventstore.ErrNotFound) || (err == nil && len(recs) == 0) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read ledger origin: %w", err)
	}
	return recs[0].ID.String(), nil
}

// loadLedger reads the ledger stream's facts up to the position.
func (k *Kept) loadLedger(ctx context.Context) error {
	facts, err := k.streamFacts(ctx, domain.LedgerStream)
	if err != nil {
		return err
	}
	k.ledger, k.settingsAt = nil, time.Time{}
	for _, f := range facts {
		k.addLedger(f)
	}
	return nil
}

func (k *Kept) addLedger(f domain.Fact) {
	k.ledger = append(k.ledger, f)
	if movesClocks(f) && f.At.After(k.settingsAt) {
		k.settingsAt = f.At
	}
}

// incidentFacts reads incident id's facts below the position, without
// those that lost a revocation race (races: those the ledger facts folded
// so far decide; a revocation precedes the event it wins over, so it is
// folded before it).
func (k *Kept) incidentFacts(ctx context.Context, id string, races *history.Races) ([]domain.Fact, error) {
	facts, err := k.streamFacts(ctx, domain.IncidentStream(id))
	if err != nil {
		return nil, err
	}
	facts, _ = races.Counting(facts)
	return facts, nil
}

// streamFacts reads a stream's facts below the position.
func (k *Kept) streamFacts(ctx context.Context, stream string) ([]domain.Fact, error) {
	recs, err := k.src.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if errors.Is(err, eventstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	out := make([]domain.Fact, 0, len(recs))
	for _, r := range recs {
		if r.Sequence >= k.pos {
			continue
		}
		f, err := history.FactOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// reset empties the tables, puts their head rows and writes meta, all
// sealed.
func (k *Kept) reset(ctx context.Context, tx *sql.Tx, meta map[string]string) error {
	for _, t := range Tables {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t); err != nil {
			return err
		}
	}
	s := newSealer(k.m)
	if err := s.insertHeads(ctx, tx); err != nil {
		return err
	}
	if err := s.seal(ctx, tx); err != nil {
		return err
	}
	if err := writeMeta(ctx, tx, meta); err != nil {
		return err
	}
	return k.m.sealMeta(ctx, tx)
}

// query runs a read's query on the kept file, prepared once.
func (k *Kept) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	k.stmtMu.Lock()
	st := k.stmts[query]
	if st == nil {
		var err error
		if st, err = k.db.PrepareContext(ctx, query); err != nil {
			k.stmtMu.Unlock()
			return nil, err
		}
		if k.stmts == nil {
			k.stmts = map[string]*sql.Stmt{}
		}
		k.stmts[query] = st
	}
	k.stmtMu.Unlock()
	return st.QueryContext(ctx, args...)
}

// scan runs a read's query (which selects t.selectCols(), or
// t.selectReg() with reg), prepared once.
func (k *Kept) scan(ctx context.Context, t *chainTable, reg bool, query string, args ...any) ([]sealedRow, error) {
	rows, err := k.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rows, t, reg)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readMeta(ctx context.Context, q execer) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM rm_meta`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, rows.Err()
}

func writeMeta(ctx context.Context, q execer, m map[string]string) error {
	for k, v := range m {
		if _, err := q.ExecContext(ctx, `INSERT INTO rm_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
			return err
		}
	}
	return nil
}

// Position returns the number of events folded into the kept models.
func (k *Kept) Position() uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.pos
}

// Ledger returns the ledger's state (roles, settings, signers, API tokens)
// as of the kept position.
func (k *Kept) Ledger() domain.Ledger {
	k.mu.Lock()
	defer k.mu.Unlock()
	return domain.ReplayLedger(k.ledger, domain.Cut{})
}

// Progress says what a catch-up did.
type Progress struct {
	From, To  uint64 // positions before and after
	Incidents int    // incidents folded again
	Rebuilt   bool   // the kept models were dropped and rebuilt from the log
}

// CatchUp folds the events appended since the kept position, evaluating
// the incidents they touch at now. When the log no longer holds the event
// last folded at its place (it was replaced or rewritten), it drops the
// kept models and rebuilds them from the log.
//
// A kept row it reads that does not check against its MAC (the incidents
// a settings change folds again) makes it rebuild the views from the log.
func (k *Kept) CatchUp(ctx context.Context, now time.Time) (Progress, error) {
	p, err := k.catchUp(ctx, now)
	var te *TamperError
	if !errors.As(err, &te) {
		return p, err
	}
	k.noteTamper(te)
	k.mu.Lock()
	err = k.rebuild(ctx)
	k.mu.Unlock()
	if err != nil {
		return p, err
	}
	p, err = k.catchUp(ctx, now)
	p.From, p.Rebuilt = 0, true
	return p, err
}

func (k *Kept) catchUp(ctx context.Context, now time.Time) (Progress, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	p := Progress{From: k.pos}
	if k.pos > 0 {
		last, err := k.src.ReadAll(ctx, k.pos-1, 1)
		if err != nil {
			return p, fmt.Errorf("catch up read models: %w", err)
		}
		if len(last) == 0 || last[0].ID.String() != k.lastID {
			if err := k.rebuild(ctx); err != nil {
				return p, err
			}
			p.Rebuilt, p.From = true, 0
		}
	}
	for {
		page, err := k.src.ReadAll(ctx, k.pos, pageSize)
		if err != nil {
			return p, fmt.Errorf("catch up read models: %w", err)
		}
		if len(page) == 0 {
			break
		}
		n, err := k.fold(ctx, page, now)
		if err != nil {
			return p, fmt.Errorf("catch up read models: %w", err)
		}
		p.Incidents += n
		if len(page) < pageSize {
			break
		}
	}
	p.To = k.pos
	return p, k.purge(ctx)
}

// purge, after folds that saw a DataShredded, empties the write-ahead log
// into the file and truncates it, so that no older page image keeps a value
// the event forgot: the incident's rows were written again from reads that
// no longer open it, and secure_delete zeroed what they held before, in the
// b-tree and on free pages. (A reader holding an old snapshot open delays
// the checkpoint; the next catch-up's purge finishes it.) The views keep
// what their source opened: plaintext personal data when it had the keys
// (ledger.OpeningStore).
func (k *Kept) purge(ctx context.Context) error {
	if !k.forgets || k.path == Memory {
		return nil
	}
	var busy, frames, done int
	if err := k.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("purge forgotten values from the read models: %w", err)
	}
	if busy == 0 {
		k.forgets = false
	}
	return nil
}

// Rebuild drops the kept models and folds the whole log again, evaluating
// every incident at now.
func (k *Kept) Rebuild(ctx context.Context, now time.Time) (Progress, error) {
	k.mu.Lock()
	if err := k.rebuild(ctx); err != nil {
		k.mu.Unlock()
		return Progress{}, err
	}
	k.mu.Unlock()
	p, err := k.catchUp(ctx, now)
	p.From, p.Rebuilt = 0, true
	return p, err
}

func (k *Kept) rebuild(ctx context.Context) error {
	tx, err := k.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rebuild read models: %w", err)
	}
	defer tx.Rollback()
	meta := map[string]string{"version": schemaVersion, "origin": k.m.origin, "calendars": calendarsMeta(), "regimes": regimesMeta(), "position": "0", "last_event": "", "max_latest": strconv.FormatInt(minInstant, 10)}
	if err := k.reset(ctx, tx, meta); err != nil {
		return fmt.Errorf("rebuild read models: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rebuild read models: %w", err)
	}
	k.pos, k.lastID, k.ledger, k.settingsAt, k.maxLatest = 0, "", nil, time.Time{}, minInstant
	return nil
}

// fold folds one page of records, in one transaction, and returns how many
// incidents it evaluated again.
func (k *Kept) fold(ctx context.Context, page []eventstore.Record, now time.Time) (int, error) {
	start := k.pos
	type touched struct {
		facts []domain.Fact // this page's facts of the incident
		first uint64
	}
	byID := map[string]*touched{}
	var order []string
	var ledgerFacts []domain.Fact
	settings := false
	next := start // sequences only grow; a source may leave records out (ledger.View: rejected ones)
	for _, r := range page {
		if r.Sequence < next {
			return 0, fmt.Errorf("the log has sequence %d where %d or later should be", r.Sequence, next)
		}
		next = r.Sequence + 1
		f, err := history.FactOf(r)
		if err != nil {
			return 0, err
		}
		if _, ok := f.Event.(domain.DataShredded); ok {
			k.forgets = true
		}
		if f.Stream == domain.LedgerStream {
			ledgerFacts = append(ledgerFacts, f)
			settings = settings || movesClocks(f)
			continue
		}
		id, ok := domain.IncidentID(f.Stream)
		if !ok {
			continue
		}
		t := byID[id]
		if t == nil {
			t = &touched{first: f.Sequence}
			byID[id] = t
			order = append(order, id)
		}
		t.facts = append(t.facts, f)
	}
	end := next
	tx, err := k.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// The new position applies to what is read from here on.
	prevPos, prevLedger, prevSettings := k.pos, k.ledger, k.settingsAt
	k.pos = end
	for _, f := range ledgerFacts {
		k.addLedger(f)
	}
	prevMax := k.maxLatest
	restore := func() { k.pos, k.ledger, k.settingsAt, k.maxLatest = prevPos, prevLedger, prevSettings, prevMax }
	lastID := page[len(page)-1].ID.String()
	seal := newSealer(k.m)
	l := domain.ReplayLedger(k.ledger, domain.Cut{})
	races := history.RacesOf(k.ledger)
	if settings {
		// A settings change moves every clock: evaluate every incident.
		ids, err := k.keptIncidents(ctx, tx, prevPos)
		if err != nil {
			restore()
			return 0, err
		}
		for _, id := range ids {
			if _, ok := byID[id]; !ok {
				byID[id] = &touched{}
				order = append(order, id)
			}
		}
	}
	n := 0
	for _, id := range order {
		t := byID[id]
		var facts []domain.Fact
		firstSeq, known, err := k.keptFirstSeq(ctx, tx, id)
		if err != nil {
			restore()
			return 0, err
		}
		if !known && len(t.facts) > 0 && t.facts[0].Revision == 0 {
			// The incident starts in this page: every fact of it is here.
			facts, _ = races.Counting(t.facts)
			firstSeq = t.first
		} else if facts, err = k.incidentFacts(ctx, id, races); err != nil {
			restore()
			return 0, err
		} else if len(facts) > 0 {
			firstSeq = facts[0].Sequence
		}
		// Evaluated where the whole history is seen (at now, or at its
		// latest fact or settings change when later): the kept rows' state,
		// regime and due time, the chain keys reads select on, are then
		// those of every instant from there on (an evaluation at a cut that
		// leaves facts out would key them by the cut's rows, where a
		// selective read never looks for the incident's rows).
		at := latestOf(facts, now, k.settingsAt)
		ev, ok := evaluate(id, facts, l, domain.Cut{AsOf: at}, at, k.settingsAt)
		if !ok {
			continue
		}
		ev.firstSeq = firstSeq
		if err := k.store(ctx, tx, ev, seal, end, lastID); err != nil {
			restore()
			return 0, err
		}
		n++
	}
	if err := seal.seal(ctx, tx); err != nil {
		restore()
		return 0, err
	}
	if err := writeMeta(ctx, tx, map[string]string{"position": strconv.FormatUint(end, 10), "last_event": lastID, "max_latest": strconv.FormatInt(k.maxLatest, 10)}); err != nil {
		restore()
		return 0, err
	}
	if err := k.m.sealMeta(ctx, tx); err != nil {
		restore()
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		restore()
		return 0, err
	}
	k.lastID = lastID
	return n, nil
}

// keptIncidents returns every kept incident, in first_seq order, checked
// against their MACs and chain (kept at position pos at most).
func (k *Kept) keptIncidents(ctx context.Context, q execer, pos uint64) ([]string, error) {
	all, err := k.allIncidents(ctx, q, pos)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(all))
	for i, r := range all {
		out[i] = str(r.vals[0])
	}
	return out, nil
}

// allIncidents reads rm_incidents whole, checked, without its head row.
func (k *Kept) allIncidents(ctx context.Context, q execer, pos uint64) ([]sealedRow, error) {
	t := incidentsTable
	rs, err := q.QueryContext(ctx, `SELECT `+t.selectCols()+` FROM rm_incidents ORDER BY `+t.order)
	if err != nil {
		return nil, err
	}
	rows, err := scanRows(rs, t, false)
	if err != nil {
		return nil, err
	}
	head, rows := headOf(t, rows)
	if err := k.m.checkChain(t, head, rows, func(ckey) bool { return true }, pos); err != nil {
		return nil, err
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].key.b < rows[j].key.b }) // first_seq order
	return rows, nil
}

// keptFirstSeq returns incident id's first_seq as kept (its row checked
// against its MAC); known is false when none is kept.
func (k *Kept) keptFirstSeq(ctx context.Context, q execer, id string) (uint64, bool, error) {
	t := incidentsTable
	rs, err := q.QueryContext(ctx, `SELECT `+t.selectCols()+` FROM rm_incidents WHERE incident = ?`, id)
	if err != nil {
		return 0, false, err
	}
	rows, err := scanRows(rs, t, false)
	if err != nil || len(rows) == 0 {
		return 0, false, err
	}
	r := rows[0]
	if why := k.m.checkRow(t, &r); why != "" {
		return 0, false, &TamperError{Table: t.name, Rows: []string{t.rowName(r.vals, r.key)}, Why: why}
	}
	return uint64(r.key.b), true, nil
}

// evaluation is one incident's kept rows.
type evaluation struct {
	id                string
	firstSeq          uint64
	latestAt, evalAt  time.Time
	from, until       int64
	closed            bool
	list              projections.ListEntry
	deadlines         []projections.DeadlineRow
	register          *projections.RegisterEntry
	listJSON, regJSON []byte
	rowJSON           [][]byte
	// needs are the facts needed at the evaluation's cut; kept, those of
	// the whole history (what every instant from latestAt on sees).
	needs, kept []projections.FactsNeededRow
	keptJSON    [][]byte
}

// evaluate folds an incident's facts at the cut and evaluates its rows at
// the cut's as-of time (at when the cut has none), with the window in
// which they hold. ok is false when the cut sees no detection.
func evaluate(id string, facts []domain.Fact, l domain.Ledger, cut domain.Cut, at time.Time, settingsAt time.Time) (evaluation, bool) {
	inc := history.IncidentAt(id, facts, cut)
	if !inc.Exists {
		return evaluation{}, false
	}
	asOf := cut.AsOf
	if asOf.IsZero() {
		asOf = at
	}
	obs := domain.Obligations(&inc, l.Settings, asOf)
	ev := evaluation{id: id, evalAt: asOf, closed: inc.Closed, list: projections.ListEntryOf(&inc, obs), deadlines: projections.DeadlineRowsOf(&inc, obs)}
	if len(facts) > 0 {
		ev.firstSeq = facts[0].Sequence
	}
	ev.latestAt = latestFact(facts, cut.KnownAt)
	if e, ok := projections.RegisterEntryOf(&inc, obs); ok {
		ev.register = &e
	}
	ev.needs = projections.FactsNeededRowsOf(&inc, domain.FactsNeeded(&inc))
	ev.kept = ev.needs
	if !cut.AsOf.IsZero() && ev.latestAt.After(cut.AsOf) {
		// The cut leaves facts out: keep what the whole history needs.
		all := history.IncidentAt(id, facts, domain.Cut{KnownAt: cut.KnownAt})
		ev.kept = projections.FactsNeededRowsOf(&all, domain.FactsNeeded(&all))
	}
	from, until := domain.StatusWindow(&inc, obs, l.Settings, asOf)
	ev.from, ev.until = minInstant, maxInstant
	if !from.IsZero() {
		ev.from = from.UnixNano()
	}
	if !until.IsZero() {
		ev.until = until.UnixNano()
	}
	// Kept rows hold only where the whole history is seen: at or after the
	// latest business time of the incident and of the ledger's settings.
	for _, t := range []time.Time{ev.latestAt, settingsAt} {
		if !t.IsZero() && t.UnixNano() > ev.from {
			ev.from = t.UnixNano()
		}
	}
	if cut.AsOf.IsZero() || asOf.UnixNano() < ev.from || asOf.UnixNano() >= ev.until {
		ev.from, ev.until = maxInstant, maxInstant // evaluated outside its window: valid nowhere
	}
	return ev, true
}

// latestFact returns the latest business time among facts, as corrected
// (as known at knownAt; zero: everything).
func latestFact(facts []domain.Fact, knownAt time.Time) time.Time {
	var latest time.Time
	for _, f := range domain.Corrected(facts, domain.Cut{KnownAt: knownAt}) {
		if f.At.After(latest) {
			latest = f.At
		}
	}
	return latest
}

// latestOf returns the instant a catch-up evaluates an incident at: now,
// or the incident's latest fact or the latest settings change when later.
func latestOf(facts []domain.Fact, now, settingsAt time.Time) time.Time {
	at := now
	for _, t := range []time.Time{latestFact(facts, time.Time{}), settingsAt} {
		if t.After(at) {
			at = t
		}
	}
	return at
}

func (ev *evaluation) encode() error {
	var err error
	if ev.listJSON, err = json.Marshal(ev.list); err != nil {
		return err
	}
	ev.regJSON = nil
	if ev.register != nil {
		if ev.regJSON, err = json.Marshal(ev.register); err != nil {
			return err
		}
	}
	ev.rowJSON = make([][]byte, len(ev.deadlines))
	for i, d := range ev.deadlines {
		if ev.rowJSON[i], err = json.Marshal(d); err != nil {
			return err
		}
	}
	ev.keptJSON = make([][]byte, len(ev.kept))
	for i, n := range ev.kept {
		if ev.keptJSON[i], err = json.Marshal(n); err != nil {
			return err
		}
	}
	return nil
}

// store replaces an incident's kept rows, derived at position pos (whose
// last event is lastID); s seals them (and their neighbours) before the
// transaction commits.
func (k *Kept) store(ctx context.Context, q execer, ev evaluation, s *sealer, pos uint64, lastID string) error {
	if err := ev.encode(); err != nil {
		return err
	}
	var reg any
	if ev.regJSON != nil {
		reg = ev.regJSON
	}
	// The rows it replaces: their keys leave the chains.
	gone := func(t *chainTable, query string) error {
		rows, err := q.QueryContext(ctx, query, ev.id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var x ckey
			var err error
			switch t {
			case deadlinesTable:
				err = rows.Scan(&x.a, &x.r, &x.b, &x.s, &x.c)
			case incidentsTable:
				err = rows.Scan(&x.a, &x.b)
			default:
				err = rows.Scan(&x.r, &x.b, &x.c)
			}
			if err != nil {
				return err
			}
			s.touch(t, x)
		}
		return rows.Err()
	}
	if err := gone(incidentsTable, `DELETE FROM rm_incidents WHERE incident = ? RETURNING closed, first_seq`); err != nil {
		return err
	}
	closed := int64(0)
	if ev.closed {
		closed = 1
	}
	if err := insertRow(ctx, q, incidentsTable, []any{ev.id, int64(ev.firstSeq), ev.latestAt.UnixNano(), ev.evalAt.UnixNano(), ev.from, ev.until, closed, ev.listJSON, reg, int64(pos), lastID}); err != nil {
		return err
	}
	s.touch(incidentsTable, ckey{a: closed, b: int64(ev.firstSeq)})
	if n := ev.latestAt.UnixNano(); n > k.maxLatest {
		k.maxLatest = n
	}
	if err := gone(deadlinesTable, `DELETE FROM rm_deadlines WHERE incident = ? RETURNING state, regime, due_at, incident, ord`); err != nil {
		return err
	}
	for i, d := range ev.deadlines {
		state := stateOf(d.Status)
		if err := insertRow(ctx, q, deadlinesTable, []any{ev.id, int64(i), int64(ev.firstSeq), d.ID, d.Rule, d.Regime, d.DueAt.UnixNano(), state, string(d.Status), ev.latestAt.UnixNano(), ev.from, ev.until, ev.rowJSON[i], int64(pos), lastID}); err != nil {
			return err
		}
		s.touch(deadlinesTable, ckey{a: state, r: d.Regime, b: d.DueAt.UnixNano(), s: ev.id, c: int64(i)})
	}
	if err := gone(factsTable, `DELETE FROM rm_facts_needed WHERE incident = ? RETURNING regime, first_seq, ord`); err != nil {
		return err
	}
	for i, n := range ev.kept {
		if err := insertRow(ctx, q, factsTable, []any{ev.id, int64(i), int64(ev.firstSeq), n.Rule, n.Regime, ev.latestAt.UnixNano(), ev.keptJSON[i], int64(pos), lastID}); err != nil {
			return err
		}
		s.touch(factsTable, ckey{r: n.Regime, b: int64(ev.firstSeq), c: int64(i)})
	}
	return nil
}

// sha returns a JSON column's SHA-256 (as data keeps regCol's).
func sha(b []byte) []byte {
	d := sha256.Sum256(b)
	return d[:]
}

// noteTamper records a tampered view found (the caller rebuilds it).
func (k *Kept) noteTamper(e *TamperError) {
	k.tamperMu.Lock()
	defer k.tamperMu.Unlock()
	k.tampered = append(k.tampered, e)
}

// Tampered returns the tampered rows found since Open (each time the views
// were then rebuilt from the log), and forgets them.
func (k *Kept) Tampered() []*TamperError {
	k.tamperMu.Lock()
	defer k.tamperMu.Unlock()
	out := k.tampered
	k.tampered = nil
	return out
}
