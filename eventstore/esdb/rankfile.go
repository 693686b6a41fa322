package esdb

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, as the embedded store uses
)

// The ranks of a ledger's events (its sequences) are kept in a rank file
// when Options.RankFile names one: a SQLite file beside nothing of the
// ledger's (in the user's cache directory, see package cachedir), one row
// per event: sequence, $all position, event ID, stream, revision. A Store
// then holds in memory only the rows of its current catch-up (flushed every
// rankFlush events) and SQLite's page cache (rankCacheKiB), so neither a
// command's time nor its memory grows with the ledger: it reads from the
// server only what was appended since the file was last brought up to date.
//
// Every row carries a MAC under the user's key (Options.RankKey, kept
// outside the cache, as the kept views' is), over the prefix and the whole
// row: a row that whoever can write the file changed, moved or renumbered
// fails it, and the file is rebuilt.
//
// The file is derived data, never evidence: it is rebuilt from $all
// whenever it disagrees with the server. Before a Store first uses it, the
// rows of the first and the newest event are read again from the server at
// their positions (same event ID, stream and revision, and the newest
// position is still the newest the file knows below the end of $all);
// every stream read compares each event's position, stream and revision
// with its row; a mismatch discards the file and reads the ledger again.
// A rank file from another ledger, another database at the same address,
// a history removed or rewritten since, or rows an insider edited in the
// file therefore cost one full read, never a wrong sequence.

// rankFlush is how many new rows a catch-up keeps in memory before it
// writes them to the rank file.
const rankFlush = 8192

// rankCacheKiB is SQLite's page cache for the rank file, in KiB.
const rankCacheKiB = 2048

// rankFile is an open rank file.
type rankFile struct {
	db     *sql.DB
	path   string
	prefix string
	key    []byte // the MAC key
}

// mac returns the MAC of a row.
func (f *rankFile) mac(seq uint64, e entry) []byte {
	m := hmac.New(sha256.New, f.key)
	var b [8]byte
	for _, v := range []uint64{uint64(len(f.prefix)), seq, e.pos.Commit, e.pos.Prepare, e.rev, uint64(len(e.stream))} {
		binary.BigEndian.PutUint64(b[:], v)
		m.Write(b[:])
	}
	m.Write([]byte(f.prefix))
	m.Write(e.id[:])
	m.Write([]byte(e.stream))
	return m.Sum(nil)
}

// checkMAC returns errRankFile unless mac is the row's.
func (f *rankFile) checkMAC(seq uint64, e entry, mac []byte) error {
	if !hmac.Equal(mac, f.mac(seq, e)) {
		return errRankFile
	}
	return nil
}

// rankSchema is the rank file's schema; rankVersion changes when it does
// (an older file is discarded and rebuilt).
const (
	rankVersion = "2"
	rankSchema  = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ranks (
	seq     INTEGER PRIMARY KEY,
	commit_ INTEGER NOT NULL,
	prepare INTEGER NOT NULL,
	id      BLOB NOT NULL,
	stream  TEXT NOT NULL,
	rev     INTEGER NOT NULL,
	mac     BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS ranks_id ON ranks (id, seq);`
)

// openRankFile opens (creating when missing) the rank file at path for the
// ledger with the given prefix. A file that is not a rank file of this
// version and prefix is emptied.
func openRankFile(path, prefix string, key []byte) (*rankFile, error) {
	if len(key) < 16 {
		return nil, fmt.Errorf("open rank file %s: a MAC key of at least 16 bytes is needed (Options.RankKey)", path)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)") // derived data: a lost tail is read again
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", rankCacheKiB))
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open rank file %s: %w: %w", path, ErrRankFileUnusable, err)
	}
	db.SetMaxOpenConns(1)
	f := &rankFile{db: db, path: path, prefix: prefix, key: key}
	if err := f.init(prefix); err != nil {
		db.Close()
		return nil, fmt.Errorf("open rank file %s: %w: %w", path, ErrRankFileUnusable, err)
	}
	return f, nil
}

func (f *rankFile) init(prefix string) error {
	ctx := context.Background()
	if _, err := f.db.ExecContext(ctx, rankSchema); err != nil {
		return err
	}
	var version, pre string
	err1 := f.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'version'`).Scan(&version)
	err2 := f.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'prefix'`).Scan(&pre)
	if err1 == nil && err2 == nil && version == rankVersion && pre == prefix {
		return nil
	}
	for _, e := range []error{err1, err2} {
		if e != nil && !errors.Is(e, sql.ErrNoRows) {
			return e
		}
	}
	return f.reset(prefix)
}

// reset empties the file and labels it for prefix.
func (f *rankFile) reset(prefix string) error {
	tx, err := f.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM ranks`, `DELETE FROM meta`} {
		if _, err := tx.Exec(q); err != nil {
			return err
		}
	}
	for k, v := range map[string]string{"version": rankVersion, "prefix": prefix} {
		if _, err := tx.Exec(`INSERT INTO meta (key, value) VALUES (?, ?)`, k, v); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (f *rankFile) close() error { return f.db.Close() }

// length returns one more than the newest row's sequence: the rows the file
// claims, 0..n-1. It reads the newest row only (counting a million rows
// would cost a command 100 ms): a missing row is found where it matters,
// at sequence 0 and at the checkpoint's anchor before use (prepareIndex),
// and at use (an event with no row, though the file reaches past it).
func (f *rankFile) length() (uint64, error) {
	var last sql.NullInt64
	if err := f.db.QueryRow(`SELECT max(seq) FROM ranks`).Scan(&last); err != nil {
		return 0, fmt.Errorf("read rank file %s: %w", f.path, err)
	}
	if !last.Valid {
		return 0, nil
	}
	if last.Int64 < 0 {
		return 0, errRankFile
	}
	return uint64(last.Int64) + 1, nil
}

// errRankFile: the rank file disagrees with itself or with the server.
var errRankFile = errors.New("rank file out of date")

// ErrRankFileUnusable: Open could not open or make the rank file (not a
// SQLite file, a directory in its place, a disk full): nothing was
// opened. The caller may remove it and open again, or open without one.
var ErrRankFileUnusable = errors.New("rank file unusable")

// get returns the row of sequence seq.
func (f *rankFile) get(seq uint64) (entry, bool, error) {
	var e entry
	var id, mac []byte
	err := f.db.QueryRow(`SELECT commit_, prepare, id, stream, rev, mac FROM ranks WHERE seq = ?`, int64(seq)).
		Scan(&e.pos.Commit, &e.pos.Prepare, &id, &e.stream, &e.rev, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return entry{}, false, nil
	}
	if err != nil {
		return entry{}, false, fmt.Errorf("read rank file %s: %w", f.path, err)
	}
	if e.id, err = uuid.FromBytes(id); err != nil {
		return entry{}, false, errRankFile
	}
	if err := f.checkMAC(seq, e, mac); err != nil {
		return entry{}, false, err
	}
	return e, true, nil
}

// byID returns the first row with event ID id.
func (f *rankFile) byID(id uuid.UUID) (uint64, entry, bool, error) {
	var seq int64
	var e entry
	var mac []byte
	err := f.db.QueryRow(`SELECT seq, commit_, prepare, stream, rev, mac FROM ranks WHERE id = ? ORDER BY seq LIMIT 1`, id[:]).
		Scan(&seq, &e.pos.Commit, &e.pos.Prepare, &e.stream, &e.rev, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, entry{}, false, nil
	}
	if err != nil {
		return 0, entry{}, false, fmt.Errorf("read rank file %s: %w", f.path, err)
	}
	e.id = id
	if err := f.checkMAC(uint64(seq), e, mac); err != nil {
		return 0, entry{}, false, err
	}
	return uint64(seq), e, true, nil
}

// put writes rows from sequence first on. Rows another process wrote
// already must be the same; a different one is errRankFile.
func (f *rankFile) put(first uint64, es []entry) error {
	if len(es) == 0 {
		return nil
	}
	tx, err := f.db.Begin()
	if err != nil {
		return fmt.Errorf("write rank file %s: %w", f.path, err)
	}
	defer tx.Rollback()
	ins, err := tx.Prepare(`INSERT INTO ranks (seq, commit_, prepare, id, stream, rev, mac) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("write rank file %s: %w", f.path, err)
	}
	defer ins.Close()
	for i, e := range es {
		seq := int64(first) + int64(i)
		res, err := ins.Exec(seq, e.pos.Commit, e.pos.Prepare, e.id[:], e.stream, e.rev, f.mac(uint64(seq), e))
		if err != nil {
			return fmt.Errorf("write rank file %s: %w", f.path, err)
		}
		if n, _ := res.RowsAffected(); n == 0 { // another process wrote it: it must agree
			var commit, rev uint64
			var id []byte
			var stream string
			if err := tx.QueryRow(`SELECT commit_, id, stream, rev FROM ranks WHERE seq = ?`, seq).Scan(&commit, &id, &stream, &rev); err != nil {
				return fmt.Errorf("write rank file %s: %w", f.path, err)
			}
			if commit != e.pos.Commit || string(id) != string(e.id[:]) || stream != e.stream || rev != e.rev {
				return errRankFile
			}
		}
	}
	return tx.Commit()
}

// lastRecorded and setLastRecorded keep the newest recorded time seen.
func (f *rankFile) lastRecorded() (time.Time, error) {
	var v string
	err := f.db.QueryRow(`SELECT value FROM meta WHERE key = 'last_recorded'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read rank file %s: %w", f.path, err)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, errRankFile
	}
	return t, nil
}

func (f *rankFile) setLastRecorded(t time.Time) error {
	_, err := f.db.Exec(`INSERT INTO meta (key, value) VALUES ('last_recorded', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE excluded.value > meta.value`, t.UTC().Format("2006-01-02T15:04:05.000000Z07:00"))
	if err != nil {
		return fmt.Errorf("write rank file %s: %w", f.path, err)
	}
	return nil
}

// DetachRankFile makes s keep its ranks in memory, read from the server,
// from the next call on, leaving its rank file as it is. A process that
// signs over the ledger (a personal ledger's writer, which checkpoints
// every append) must number events from $all as it is now: a rank file
// kept from before events were removed from the middle of $all (a
// scavenge) still numbers them, and the writer must find the removal and
// refuse to sign over it. Readers and a team ledger's writers, which sign
// no checkpoint, keep using the file.
func (s *Store) DetachRankFile() error {
	x := &s.idx
	x.catchUp.Lock()
	defer x.catchUp.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	f := x.file
	if f == nil {
		return nil
	}
	x.file = nil
	x.entries, x.base, x.n, x.last, x.lastRecorded, x.anchor = nil, 0, 0, entry{}, time.Time{}, nil
	clear(x.ids)
	return f.close()
}
