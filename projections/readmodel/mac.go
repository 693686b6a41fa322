package readmodel

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"unsafe"
)

// Kept rows are trusted only under their MAC (HMAC-SHA256, key.go). A
// row's MAC covers the ledger's origin, its table, every value of it (its
// chain key's columns, and its data: the other values packed, the JSON
// among them, and pos and last_event: the log position, and the event
// there, it was derived at; chainTable), and the key of its successor in the table's chain
// order (the order of the index its reads walk: the deadlines' (state,
// regime, due_at, incident, ord), the incidents' (closed, first_seq), the facts needed's
// (first_seq, ord)), kept in its next column (NULL: the last row). Each
// table starts with a head row whose key is below every other. So a read
// of a range of the chain proves it whole with the row before it (or the
// head): each row is the successor its predecessor names, and the last
// names one beyond the range. Editing a row breaks its MAC; deleting one
// leaves its predecessor naming a row that is not there; inserting one puts
// a row where its predecessor names another. rm_meta (position, last
// event, origin) carries a MAC over all of it.

// ErrTampered: a kept row (or rm_meta) does not check against its MAC or
// its chain. Errors of type *TamperError wrap it.
var ErrTampered = errors.New("kept view tampered with")

// TamperError names what did not check.
type TamperError struct {
	Table string   // rm_deadlines, rm_incidents, rm_facts_needed, rm_meta
	Rows  []string // the rows, named by their keys
	Why   string
}

func (e *TamperError) Error() string {
	return fmt.Sprintf("kept view %s tampered with: %s: %s", e.Table, strings.Join(e.Rows, "; "), e.Why)
}

func (e *TamperError) Unwrap() error { return ErrTampered }

// ckey is a row's place in its table's chain order: (a, r, b, s, c),
// compared in that order; a table uses the fields it needs.
type ckey struct {
	a int64
	r string
	b int64
	s string
	c int64
}

func (x ckey) less(y ckey) bool {
	switch {
	case x.a != y.a:
		return x.a < y.a
	case x.r != y.r:
		return x.r < y.r
	case x.b != y.b:
		return x.b < y.b
	case x.s != y.s:
		return x.s < y.s
	}
	return x.c < y.c
}

func (x ckey) encode() []byte {
	b := make([]byte, 0, 24+binary.MaxVarintLen64+len(x.r)+len(x.s))
	b = binary.BigEndian.AppendUint64(b, uint64(x.a))
	b = binary.BigEndian.AppendUint64(b, uint64(x.b))
	b = binary.BigEndian.AppendUint64(b, uint64(x.c))
	b = binary.AppendUvarint(b, uint64(len(x.r)))
	b = append(b, x.r...)
	return append(b, x.s...)
}

func decodeKey(b []byte) (ckey, bool) {
	if len(b) < 24 {
		return ckey{}, false
	}
	k := ckey{a: int64(binary.BigEndian.Uint64(b)), b: int64(binary.BigEndian.Uint64(b[8:])), c: int64(binary.BigEndian.Uint64(b[16:]))}
	n, w := binary.Uvarint(b[24:])
	if w <= 0 || uint64(len(b)-24-w) < n {
		return ckey{}, false
	}
	rest := b[24+w:]
	k.r, k.s = string(rest[:n]), string(rest[n:])
	return k, true
}

// chainTable describes one sealed table. Its chain key's columns (and the
// incident, which writes select on) are SQL columns; every other column is
// packed, in cols' order, into one data column (pack), which the MAC covers
// as it is: a read pulls a few columns a row, and the MAC is one HMAC over
// them, the JSON included. rm_incidents keeps its register entry apart (a
// list read does not pull it): data holds its SHA-256 (regCol).
type chainTable struct {
	name   string
	cols   []string // the row's values, in this order (sealedRow.vals)
	stored []int    // cols' indexes kept as SQL columns, in this order
	packed []int    // the others, packed into data in this order
	regCol int      // the index of a JSON column kept apart, its SHA-256 in data (0: none)
	order  string   // the chain order, as an ORDER BY list
	desc   string   // the same, descending
	tuple  string   // the key as a row value, for comparisons
	args   func(ckey) []any
	keyOf  func(v []any) ckey
	name_  func(k ckey) string
	head   []any // the head row's values of cols
}

func i64(v any) int64 {
	n, _ := v.(int64)
	return n
}

func str(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	}
	return ""
}

const headSeq = -1 // the head rows' first_seq and ord: below every row's

// newTable fills in which of cols are packed (those not stored).
func newTable(t *chainTable) *chainTable {
	for i := range t.cols {
		if !slices.Contains(t.stored, i) {
			t.packed = append(t.packed, i)
		}
	}
	return t
}

var (
	deadlinesTable = newTable(&chainTable{
		name:   "rm_deadlines",
		cols:   []string{"incident", "ord", "first_seq", "obligation", "rule", "regime", "due_at", "state", "status", "latest_at", "valid_from", "valid_until", "row", "pos", "last_event"},
		stored: []int{0, 1, 7, 5, 6},
		order:  "state, regime, due_at, incident, ord",
		desc:   "state DESC, regime DESC, due_at DESC, incident DESC, ord DESC",
		tuple:  "(state, regime, due_at, incident, ord)",
		args:   func(k ckey) []any { return []any{k.a, k.r, k.b, k.s, k.c} },
		keyOf:  func(v []any) ckey { return ckey{a: i64(v[7]), r: str(v[5]), b: i64(v[6]), s: str(v[0]), c: i64(v[1])} },
		name_: func(k ckey) string {
			return fmt.Sprintf("(incident %q, ord %d, state %d, regime %q, due_at %d)", k.s, k.c, k.a, k.r, k.b)
		},
		head: []any{"", int64(headSeq), int64(headSeq), "", "", "", int64(minInstant), int64(headSeq), "", int64(minInstant), int64(0), int64(0), []byte{}, int64(0), ""},
	})
	incidentsTable = newTable(&chainTable{
		name:   "rm_incidents",
		cols:   []string{"incident", "first_seq", "latest_at", "eval_at", "valid_from", "valid_until", "closed", "list", "register", "pos", "last_event"},
		stored: []int{0, 6, 1},
		regCol: 8,
		order:  "closed, first_seq",
		desc:   "closed DESC, first_seq DESC",
		tuple:  "(closed, first_seq)",
		args:   func(k ckey) []any { return []any{k.a, k.b} },
		keyOf:  func(v []any) ckey { return ckey{a: i64(v[6]), b: i64(v[1])} },
		name_:  func(k ckey) string { return fmt.Sprintf("(closed %d, first_seq %d)", k.a, k.b) },
		head:   []any{"", int64(headSeq), int64(minInstant), int64(0), int64(0), int64(0), int64(headSeq), []byte{}, nil, int64(0), ""},
	})
	factsTable = newTable(&chainTable{
		name:   "rm_facts_needed",
		cols:   []string{"incident", "ord", "first_seq", "rule", "regime", "latest_at", "row", "pos", "last_event"},
		stored: []int{0, 4, 2, 1},
		order:  "regime, first_seq, ord",
		desc:   "regime DESC, first_seq DESC, ord DESC",
		tuple:  "(regime, first_seq, ord)",
		args:   func(k ckey) []any { return []any{k.r, k.b, k.c} },
		keyOf:  func(v []any) ckey { return ckey{r: str(v[4]), b: i64(v[2]), c: i64(v[1])} },
		name_:  func(k ckey) string { return fmt.Sprintf("(regime %q, first_seq %d, ord %d)", k.r, k.b, k.c) },
		head:   []any{"", int64(headSeq), int64(headSeq), "", "", int64(minInstant), []byte{}, int64(0), ""},
	})
	chainTables = []*chainTable{incidentsTable, deadlinesTable, factsTable}
)

// rowName names a row for a report: its incident and key.
func (t *chainTable) rowName(v []any, k ckey) string {
	if v != nil && str(v[0]) != "" && t != deadlinesTable {
		return fmt.Sprintf("(incident %q, %s)", str(v[0]), strings.TrimPrefix(t.name_(k), "("))
	}
	return t.name_(k)
}

// storedCols lists the SQL columns a row's values are kept in: the stored
// ones, then data.
func (t *chainTable) storedCols() []string {
	var out []string
	for _, i := range t.stored {
		out = append(out, t.cols[i])
	}
	return append(out, "data")
}

// selectCols selects a row as scanRows reads it (without regCol's JSON).
func (t *chainTable) selectCols() string {
	return strings.Join(t.storedCols(), ", ") + ", next, mac"
}

// selectReg selects a row with regCol's JSON.
func (t *chainTable) selectReg() string {
	return strings.Join(t.storedCols(), ", ") + ", register, next, mac"
}

// pack encodes the packed values of vals (regCol's by its SHA-256): each
// typed, a string or bytes with a 4-byte length, an integer in 8 bytes.
func (t *chainTable) pack(vals []any) []byte {
	var b []byte
	for _, i := range t.packed {
		v := vals[i]
		if _, d := v.(digestOf); i == t.regCol && t.regCol != 0 && v != nil && !d {
			v = digestOf(sha(blob(v)))
		}
		switch x := v.(type) {
		case nil:
			b = append(b, 'n')
		case int64:
			b = binary.BigEndian.AppendUint64(append(b, 'i'), uint64(x))
		case string:
			b = append(binary.BigEndian.AppendUint32(append(b, 's'), uint32(len(x))), x...)
		case []byte:
			b = append(binary.BigEndian.AppendUint32(append(b, 'b'), uint32(len(x))), x...)
		case digestOf:
			b = append(binary.BigEndian.AppendUint32(append(b, 'd'), uint32(len(x))), x...)
		default:
			panic(fmt.Sprintf("pack %T", v))
		}
	}
	return b
}

// unpack decodes data into vals' packed indexes (bytes as slices of
// data); false when data is not a packing of them.
func (t *chainTable) unpack(data []byte, vals []any) bool {
	for _, i := range t.packed {
		if len(data) == 0 {
			return false
		}
		c := data[0]
		data = data[1:]
		switch c {
		case 'n':
			vals[i] = nil
		case 'i':
			if len(data) < 8 {
				return false
			}
			vals[i] = int64(binary.BigEndian.Uint64(data))
			data = data[8:]
		case 's', 'b', 'd':
			if len(data) < 4 {
				return false
			}
			n := binary.BigEndian.Uint32(data)
			data = data[4:]
			if uint64(len(data)) < uint64(n) {
				return false
			}
			x := data[:n:n]
			data = data[n:]
			switch c {
			case 's':
				vals[i] = unsafe.String(unsafe.SliceData(x), len(x)) // data is never written after it is read
			case 'b':
				vals[i] = x
			default:
				vals[i] = digestOf(x)
			}
		default:
			return false
		}
	}
	return len(data) == 0
}

// macer computes MACs under one key for one ledger.
type macer struct {
	key    []byte
	origin string
}

// digestOf is a JSON column's SHA-256, as packed in place of a column
// kept apart (chainTable.regCol).
type digestOf []byte

// macWriter feeds the MAC input straight into the HMAC, through a small
// buffer (no growing copy of the row).
type macWriter struct {
	h   hash.Hash
	key []byte
	n   int
	buf [512]byte
}

// macWriters pools the HMACs (a reset HMAC keeps its keyed state).
var macWriters sync.Pool

func (w *macWriter) flush() {
	if w.n > 0 {
		w.h.Write(w.buf[:w.n])
		w.n = 0
	}
}

func (w *macWriter) byte(c byte) {
	if w.n == len(w.buf) {
		w.flush()
	}
	w.buf[w.n] = c
	w.n++
}

func (w *macWriter) uint64(x uint64) {
	if len(w.buf)-w.n < 8 {
		w.flush()
	}
	binary.BigEndian.PutUint64(w.buf[w.n:], x)
	w.n += 8
}

func (w *macWriter) bytes(b []byte) {
	if len(b) > len(w.buf)-w.n {
		w.flush()
		if len(b) > len(w.buf) {
			w.h.Write(b)
			return
		}
	}
	w.n += copy(w.buf[w.n:], b)
}

func (w *macWriter) string(s string) {
	if len(s) > len(w.buf)-w.n {
		w.flush()
		if len(s) > len(w.buf) {
			io.WriteString(w.h, s)
			return
		}
	}
	w.n += copy(w.buf[w.n:], s)
}

// put writes v, typed and length-prefixed.
func (w *macWriter) put(v any) {
	switch x := v.(type) {
	case nil:
		w.byte('n')
	case int64:
		w.byte('i')
		w.uint64(uint64(x))
	case string:
		w.byte('s')
		w.uint64(uint64(len(x)))
		w.string(x)
	case []byte:
		w.byte('b')
		w.uint64(uint64(len(x)))
		w.bytes(x)
	case digestOf:
		w.byte('d')
		w.uint64(uint64(len(x)))
		w.bytes(x)
	default:
		w.byte('?')
		w.string(fmt.Sprintf("%T", v)) // never matches a value written as another type
	}
}

// sum is the MAC of rm_meta's entries (vals), under the name table.
func (m *macer) sum(table string, vals []any) []byte {
	w := m.writer()
	w.put("breachledger kept row v2")
	w.put(m.origin)
	w.put(table)
	for _, v := range vals {
		w.put(v)
	}
	w.put(nil)
	return m.done(w)
}

func (m *macer) writer() *macWriter {
	w, _ := macWriters.Get().(*macWriter)
	if w == nil || !bytes.Equal(w.key, m.key) {
		w = &macWriter{h: hmac.New(sha256.New, m.key), key: m.key}
	}
	w.h.Reset()
	w.n = 0
	return w
}

func (m *macer) done(w *macWriter) []byte {
	w.flush()
	out := w.h.Sum(nil)
	macWriters.Put(w)
	return out
}

// rowSum is the MAC of a row of t as kept, naming next as its successor:
// over its stored columns and its data as they are (the JSON in it, and
// regCol's SHA-256).
func (m *macer) rowSum(t *chainTable, r *sealedRow, next []byte) []byte {
	w := m.writer()
	w.put("breachledger kept row v3")
	w.put(m.origin)
	w.put(t.name)
	for _, i := range t.stored {
		w.put(r.vals[i])
	}
	w.put(r.data)
	if next == nil {
		w.put(nil)
	} else {
		w.put(next)
	}
	return m.done(w)
}

// sealedRow is a kept row as read: its values (t.cols), its key, the key
// of its successor it names (nil: none), and its MAC; data is its packed
// values as kept, unpacked into vals (ok false when they are not a
// packing); reg is regCol's JSON when read (hasReg).
type sealedRow struct {
	vals   []any
	key    ckey
	next   []byte
	mac    []byte
	data   []byte
	ok     bool
	reg    []byte
	hasReg bool
}

// scanRows reads rows of t.selectCols() (t.selectReg() with reg) and
// closes them. A row's data, register, next and mac are copied into one
// buffer, which its packed values (strings too) then point into.
func scanRows(rows *sql.Rows, t *chainTable, reg bool) ([]sealedRow, error) {
	defer rows.Close()
	var out []sealedRow
	n := len(t.cols)
	ns := len(t.stored)
	extra := 3 // data, next, mac
	if reg {
		extra = 4
	}
	ptrs := make([]any, ns+extra)
	var raw [4]sql.RawBytes
	var buf []any // the rows' values, allocated a few rows at a time
	for rows.Next() {
		if len(buf) < n {
			buf = make([]any, n*32)
		}
		vals := buf[:n:n]
		buf = buf[n:]
		for j, i := range t.stored {
			ptrs[j] = &vals[i]
		}
		for j := range extra {
			ptrs[ns+j] = &raw[j]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		size := 0
		for _, b := range raw[:extra] {
			size += len(b)
		}
		slab := make([]byte, 0, size)
		keep := func(b sql.RawBytes) []byte {
			if b == nil {
				return nil
			}
			slab = append(slab, b...)
			return slab[len(slab)-len(b) : len(slab) : len(slab)]
		}
		r := sealedRow{vals: vals, data: keep(raw[0])}
		if r.data == nil {
			r.data = []byte{}
		}
		if reg {
			r.hasReg, r.reg = true, keep(raw[1])
		}
		r.next, r.mac = keep(raw[extra-2]), keep(raw[extra-1])
		r.ok = t.unpack(r.data, vals)
		r.key = t.keyOf(r.vals)
		out = append(out, r)
	}
	return out, rows.Err()
}

// checkRow checks a row against its MAC (naming the successor it names),
// its packing, and regCol's JSON, when read, against its SHA-256 in data
// (which then becomes the row's value of regCol).
func (m *macer) checkRow(t *chainTable, r *sealedRow) string {
	if !hmac.Equal(r.mac, m.rowSum(t, r, r.next)) {
		return "its MAC does not match its contents"
	}
	if !r.ok {
		return "its packed values are unreadable"
	}
	if r.hasReg {
		d, _ := r.vals[t.regCol].(digestOf)
		switch {
		case (r.reg == nil) != (d == nil), d != nil && !bytes.Equal(d, sha(r.reg)):
			return "its " + t.cols[t.regCol] + " does not match the digest its MAC covers"
		}
		r.vals[t.regCol] = nil
		if r.reg != nil {
			r.vals[t.regCol] = r.reg
		}
	}
	return ""
}

func blob(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}

// checkChain checks rows, a range of t's chain in order, against their
// MACs and their chain: pred is the row before the range (the head row for
// a range from the start; nil when none was found), and inRange says
// whether a key belongs to the range (what the last row names next must
// not). maxPos is the kept position: no row is derived after it.
func (m *macer) checkChain(t *chainTable, pred *sealedRow, rows []sealedRow, inRange func(ckey) bool, maxPos uint64) error {
	bad := func(v []any, k ckey, why string) error {
		return &TamperError{Table: t.name, Rows: []string{t.rowName(v, k)}, Why: why}
	}
	if pred == nil {
		if len(rows) > 0 {
			return bad(rows[0].vals, rows[0].key, "no row before it names it (the head row is gone)")
		}
		return &TamperError{Table: t.name, Rows: []string{"head"}, Why: "the head row is gone"}
	}
	check := func(r *sealedRow) error {
		if why := m.checkRow(t, r); why != "" {
			return bad(r.vals, r.key, why)
		}
		if p := i64(r.vals[len(r.vals)-2]); p < 0 || uint64(p) > maxPos {
			return bad(r.vals, r.key, fmt.Sprintf("derived at position %d, after the kept position %d", p, maxPos))
		}
		return nil
	}
	if err := check(pred); err != nil {
		return err
	}
	expect := pred.next
	for i := range rows {
		r := &rows[i]
		if err := check(r); err != nil {
			return err
		}
		if expect == nil || !bytes.Equal(expect, r.key.encode()) {
			if k, ok := decodeKey(expect); ok && k.less(r.key) {
				return bad(nil, k, "the row before it names it, and it is gone")
			}
			return bad(r.vals, r.key, "no row names it as its successor (inserted)")
		}
		expect = r.next
	}
	if expect != nil {
		k, ok := decodeKey(expect)
		if !ok {
			return &TamperError{Table: t.name, Rows: []string{"next of the last row read"}, Why: "unreadable key"}
		}
		if inRange(k) {
			return bad(nil, k, "the row before it names it, and it is gone")
		}
	}
	return nil
}

// sealer collects the keys whose rows a transaction changed, per table,
// and seals them and their predecessors at the end.
type sealer struct {
	m       *macer
	touched map[*chainTable]map[ckey]bool
}

func newSealer(m *macer) *sealer {
	return &sealer{m: m, touched: map[*chainTable]map[ckey]bool{}}
}

func (s *sealer) touch(t *chainTable, k ckey) {
	if s.touched[t] == nil {
		s.touched[t] = map[ckey]bool{}
	}
	s.touched[t][k] = true
}

// seal recomputes the next key and MAC of every touched row still there
// and of the row before each touched key: every row whose successor the
// changes moved is one of those. For each touched key k it reads k's row
// and the one before (one statement) and the key after k (another): k's row
// names that key next, the row before names k's row, or the key after k
// when k's row is gone. A row whose next and MAC are already right is not
// written; a row the transaction did not write is sealed again only if it
// checks against its MAC (else *TamperError: the caller rebuilds).
func (s *sealer) seal(ctx context.Context, tx *sql.Tx) error {
	for _, t := range chainTables {
		if len(s.touched[t]) == 0 {
			continue
		}
		keys := make([]ckey, 0, len(s.touched[t]))
		for k := range s.touched[t] {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i].less(keys[j]) })
		if err := s.sealTable(ctx, tx, t, keys); err != nil {
			return fmt.Errorf("seal %s: %w", t.name, err)
		}
	}
	s.touched = map[*chainTable]map[ckey]bool{}
	return nil
}

func (s *sealer) sealTable(ctx context.Context, tx *sql.Tx, t *chainTable, keys []ckey) error {
	ph := placeholders(len(t.args(ckey{})))
	around, err := tx.PrepareContext(ctx, `SELECT `+t.selectCols()+` FROM `+t.name+` WHERE `+t.tuple+` <= (`+ph+`) ORDER BY `+t.desc+` LIMIT 2`)
	if err != nil {
		return err
	}
	defer around.Close()
	after, err := tx.PrepareContext(ctx, `SELECT `+t.order+` FROM `+t.name+` WHERE `+t.tuple+` > (`+ph+`) ORDER BY `+t.order+` LIMIT 1`)
	if err != nil {
		return err
	}
	defer after.Close()
	update, err := tx.PrepareContext(ctx, `UPDATE `+t.name+` SET next = ?, mac = ? WHERE `+t.tuple+` = (`+ph+`)`)
	if err != nil {
		return err
	}
	defer update.Close()
	done := map[ckey]bool{}
	write := func(r sealedRow, next []byte) error {
		if done[r.key] {
			return nil
		}
		done[r.key] = true
		if !s.touched[t][r.key] && (!r.ok || !hmac.Equal(r.mac, s.m.rowSum(t, &r, r.next))) {
			// A row this transaction did not write must check before it is
			// sealed again: else sealing would launder an edit.
			return &TamperError{Table: t.name, Rows: []string{t.rowName(r.vals, r.key)}, Why: "its MAC does not match its contents (found sealing the row after it)"}
		}
		mac := s.m.rowSum(t, &r, next)
		if bytes.Equal(mac, r.mac) && bytes.Equal(next, r.next) && (next == nil) == (r.next == nil) {
			return nil // already right
		}
		var nextArg any
		if next != nil {
			nextArg = next
		}
		_, err := update.ExecContext(ctx, append([]any{nextArg, mac}, t.args(r.key)...)...)
		return err
	}
	for _, k := range keys {
		rows, err := scanStmt(ctx, around, t, t.args(k)...)
		if err != nil {
			return err
		}
		succ, err := keyAfter(ctx, after, t, k)
		if err != nil {
			return err
		}
		switch {
		case len(rows) > 0 && rows[0].key == k:
			if err := write(rows[0], succ); err != nil {
				return err
			}
			if len(rows) > 1 {
				if err := write(rows[1], k.encode()); err != nil {
					return err
				}
			}
		case len(rows) > 0:
			if err := write(rows[0], succ); err != nil {
				return err
			}
		}
	}
	return nil
}

// scanStmt runs a prepared statement that selects t.selectCols().
func scanStmt(ctx context.Context, st *sql.Stmt, t *chainTable, args ...any) ([]sealedRow, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rows, t, false)
}

// keyAfter returns the encoded key of the row after k (nil: none).
func keyAfter(ctx context.Context, st *sql.Stmt, t *chainTable, k ckey) ([]byte, error) {
	n := len(t.args(k))
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	err := st.QueryRowContext(ctx, t.args(k)...).Scan(ptrs...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var x ckey
	switch t {
	case deadlinesTable:
		x = ckey{a: i64(vals[0]), r: str(vals[1]), b: i64(vals[2]), s: str(vals[3]), c: i64(vals[4])}
	case incidentsTable:
		x = ckey{a: i64(vals[0]), b: i64(vals[1])}
	case factsTable:
		x = ckey{r: str(vals[0]), b: i64(vals[1]), c: i64(vals[2])}
	}
	return x.encode(), nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// insertHeads puts the head row of every table (after a reset).
func (s *sealer) insertHeads(ctx context.Context, q execer) error {
	for _, t := range chainTables {
		if err := insertRow(ctx, q, t, t.head); err != nil {
			return fmt.Errorf("insert %s head: %w", t.name, err)
		}
		s.touch(t, t.keyOf(t.head))
	}
	return nil
}

// insertRow inserts a row of t (vals: t.cols), unsealed.
func insertRow(ctx context.Context, q execer, t *chainTable, vals []any) error {
	cols := t.storedCols()
	args := make([]any, 0, len(cols)+1)
	for _, i := range t.stored {
		args = append(args, vals[i])
	}
	args = append(args, t.pack(vals))
	if t.regCol != 0 {
		cols = append(cols, t.cols[t.regCol])
		args = append(args, vals[t.regCol])
	}
	_, err := q.ExecContext(ctx, `INSERT INTO `+t.name+` (`+strings.Join(cols, ", ")+`, mac) VALUES (`+placeholders(len(cols))+`, x'')`, args...)
	return err
}

// metaMAC is the MAC of rm_meta's entries other than "mac".
func (m *macer) metaMAC(meta map[string]string) string {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k != "mac" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	vals := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		vals = append(vals, k, meta[k])
	}
	return fmt.Sprintf("%x", m.sum("rm_meta", vals))
}

// sealMeta writes rm_meta's MAC.
func (m *macer) sealMeta(ctx context.Context, q execer) error {
	meta, err := readMeta(ctx, q)
	if err != nil {
		return err
	}
	return writeMeta(ctx, q, map[string]string{"mac": m.metaMAC(meta)})
}

// metaOK reports whether rm_meta checks against its MAC.
func (m *macer) metaOK(meta map[string]string) bool {
	return hmac.Equal([]byte(meta["mac"]), []byte(m.metaMAC(meta)))
}

// HasViews reports whether the SQLite file at path holds kept views
// (rm_meta), reading it without changing it; false for a missing file.
func HasViews(path string) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return false
	}
	defer db.Close()
	var n int
	return db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'rm_meta'`).Scan(&n) == nil && n == 1
}

// predecessorOf sorts the rows a range read returned (the range and the
// row before it, start being the range's lowest key) into chain order, and
// splits off that row before it, if one was read.
func predecessorOf(rows []sealedRow, start ckey) (*sealedRow, []sealedRow) {
	sort.Slice(rows, func(i, j int) bool { return rows[i].key.less(rows[j].key) })
	if len(rows) > 0 && rows[0].key.less(start) {
		return &rows[0], rows[1:]
	}
	return nil, rows
}

// headOf splits a whole table read in chain order into its head row (nil
// when it is missing: the chain check then says so) and its rows.
func headOf(t *chainTable, rows []sealedRow) (*sealedRow, []sealedRow) {
	if len(rows) > 0 && rows[0].key == t.keyOf(t.head) {
		return &rows[0], rows[1:]
	}
	return nil, rows
}
