package cosigner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// Errors a caller tells apart with errors.Is.
var (
	// ErrInvalid: a bad argument (a key, an origin, a name): the command
	// line's fault.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound: the witness database, a log or a key does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNotWitnessDB: the file is not a witness's database (a
	// breachledger ledger, some other SQLite file, not SQLite at all).
	ErrNotWitnessDB = errors.New("not a witness database")
)

// applicationID marks a witness database ("blwt"): a ledger, or any other
// SQLite file, is never taken for one, nor changed.
const applicationID = 0x626c7774

// emptyRoot is the root of the empty tree (RFC 6962 §2.1: the hash of the
// empty string), the state of a log just added.
var emptyRoot = func() []byte { h := sha256.Sum256(nil); return h[:] }()

// schema is the witness's state: per log (origin) the size and root of
// the checkpoint it last cosigned, and the log's verifier keys. Triggers
// keep what the protocol relies on even against a hand-made change: an
// origin is never removed (re-adding it would start it again from 0 and
// allow a split view), and a log never goes back.
const schema = `
CREATE TABLE log (
	origin TEXT PRIMARY KEY,
	size   INTEGER NOT NULL CHECK (size >= 0),
	root   BLOB NOT NULL CHECK (length(root) = 32)
) STRICT;
CREATE TABLE key (
	origin TEXT NOT NULL REFERENCES log(origin),
	vkey   TEXT NOT NULL,
	PRIMARY KEY (origin, vkey)
) STRICT;
CREATE TRIGGER log_never_removed BEFORE DELETE ON log BEGIN
	SELECT RAISE(ABORT, 'a witness never removes a log: re-adding it would start it again from 0 and allow a split view');
END;
CREATE TRIGGER log_never_back BEFORE UPDATE ON log
WHEN NEW.origin IS NOT OLD.origin OR NEW.size < OLD.size OR (NEW.size = OLD.size AND NEW.root IS NOT OLD.root) BEGIN
	SELECT RAISE(ABORT, 'a witness never takes a log back to a smaller size, nor another root of the same size');
END;
`

// A DB is a witness's state, in a SQLite file of its own.
type DB struct {
	db   *sql.DB
	path string
}

// A Log is what the witness holds of one log.
type Log struct {
	Origin string   `json:"origin"`
	Size   uint64   `json:"size"` // of the checkpoint last cosigned (0: none yet)
	Root   []byte   `json:"root"` // its root hash
	Keys   []string `json:"keys"` // the log's verifier keys, sorted
}

// Open opens the witness database at path. With create, a file that does
// not exist is made (mode 0600); without, its absence is ErrNotFound. A
// file that is not a witness database is ErrNotWitnessDB, and is not
// changed.
func Open(ctx context.Context, path string, create bool) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open witness database %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist) && create:
		f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create witness database %s: %w", path, err)
		}
		if err == nil {
			f.Close()
		}
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("witness database %s: %w", path, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("open witness database %s: %w", path, err)
	case fi.IsDir():
		return nil, fmt.Errorf("witness database %s is a directory: %w", path, ErrNotWitnessDB)
	}
	// First look, read-only: a file that is not a witness database is
	// left exactly as it was (journal_mode(WAL) alone would change it).
	ro, err := sql.Open("sqlite", dsn(abs, true))
	if err != nil {
		return nil, fmt.Errorf("open witness database %s: %w", path, err)
	}
	_, err = checkOurs(ctx, ro, path)
	ro.Close()
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn(abs, false))
	if err != nil {
		return nil, fmt.Errorf("open witness database %s: %w", path, err)
	}
	d := &DB{db: db, path: path}
	if err := d.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// dsn is the driver's name for the file at abs, read-only or not.
func dsn(abs string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// checkOurs returns whether the database q holds a witness's state (true)
// or nothing yet (false), and ErrNotWitnessDB for anything else.
func checkOurs(ctx context.Context, q querier, path string) (bool, error) {
	notOurs := func(why string) error {
		return fmt.Errorf("%s is not a witness database (%s): give the file \"breachledger witness log add\" made, or a new file name: %w", path, why, ErrNotWitnessDB)
	}
	var id, tables int64
	if err := q.QueryRowContext(ctx, "PRAGMA application_id").Scan(&id); err != nil {
		if strings.Contains(err.Error(), "not a database") {
			return false, notOurs("not SQLite")
		}
		return false, fmt.Errorf("read witness database %s: %w", path, err)
	}
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
		return false, fmt.Errorf("read witness database %s: %w", path, err)
	}
	switch {
	case id == applicationID:
		return true, nil
	case id != 0 || tables > 0:
		return false, notOurs("it holds tables of something else: a breachledger ledger?")
	}
	return false, nil
}

// init makes an empty file a witness database (checking again, in the
// write transaction, that it is still empty).
func (d *DB) init(ctx context.Context) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("open witness database %s: %w", d.path, err)
	}
	defer tx.Rollback()
	ours, err := checkOurs(ctx, tx, d.path)
	if err != nil || ours {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d;", applicationID)+schema); err != nil {
		return fmt.Errorf("initialise witness database %s: %w", d.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("initialise witness database %s: %w", d.path, err)
	}
	return nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Added is what AddLog did.
type Added struct {
	NewLog  bool     // the origin was not known: it starts at size 0
	Keys    []string // keys added
	Already []string // keys the log already had
}

// AddLog adds the log origin (at size 0, the empty tree's root) if the
// witness does not know it, and its verifier keys vkeys (each named
// origin: ParseLogKey). Keys already there are left as they are.
func (d *DB) AddLog(ctx context.Context, origin string, vkeys ...string) (Added, error) {
	var out Added
	if origin == "" || strings.ContainsAny(origin, "\n") {
		return out, fmt.Errorf("add log %q: an origin is one non-empty line: %w", origin, ErrInvalid)
	}
	if len(vkeys) == 0 {
		return out, fmt.Errorf("add log %s: no key: a log is added with the key its checkpoints are signed with: %w", origin, ErrInvalid)
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return out, fmt.Errorf("add log %s: %w", origin, err)
	}
	defer tx.Rollback()
	have, err := keysOf(ctx, tx, origin)
	if err != nil {
		return out, fmt.Errorf("add log %s: %w", origin, err)
	}
	hashes := map[uint32]string{}
	for _, k := range have {
		if v, err := ParseLogKey(origin, k); err == nil {
			hashes[v.KeyHash()] = k
		}
	}
	for _, k := range vkeys {
		k = strings.TrimSpace(k)
		v, err := ParseLogKey(origin, k)
		if err != nil {
			return Added{}, fmt.Errorf("add log %s: %w", origin, err)
		}
		if other, ok := hashes[v.KeyHash()]; ok && other != k {
			return Added{}, fmt.Errorf("add log %s: key %q has the key hash %08x of another of its keys, %q: a checkpoint's signature could not say which it is; remove that key first (witness log remove-key): %w", origin, k, v.KeyHash(), other, ErrInvalid)
		}
		hashes[v.KeyHash()] = k
	}
	res, err := tx.ExecContext(ctx, "INSERT INTO log (origin, size, root) VALUES (?, 0, ?) ON CONFLICT (origin) DO NOTHING", origin, emptyRoot)
	if err != nil {
		return Added{}, fmt.Errorf("add log %s: %w", origin, err)
	}
	n, _ := res.RowsAffected()
	out.NewLog = n == 1
	for _, k := range vkeys {
		k = strings.TrimSpace(k)
		res, err := tx.ExecContext(ctx, "INSERT INTO key (origin, vkey) VALUES (?, ?) ON CONFLICT DO NOTHING", origin, k)
		if err != nil {
			return Added{}, fmt.Errorf("add key to log %s: %w", origin, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out.Keys = append(out.Keys, k)
		} else {
			out.Already = append(out.Already, k)
		}
	}
	if err := tx.Commit(); err != nil {
		return Added{}, fmt.Errorf("add log %s: %w", origin, err)
	}
	return out, nil
}

// RemoveKey removes one of a log's keys: checkpoints it signs are no
// longer cosigned. The log itself stays, with its size: an origin is never
// removed.
func (d *DB) RemoveKey(ctx context.Context, origin, vkey string) (left int, err error) {
	vkey = strings.TrimSpace(vkey)
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("remove key of log %s: %w", origin, err)
	}
	defer tx.Rollback()
	if _, _, known, err := stateOf(ctx, tx, origin); err != nil {
		return 0, fmt.Errorf("remove key of log %s: %w", origin, err)
	} else if !known {
		return 0, fmt.Errorf("log %q: %w", origin, ErrNotFound)
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM key WHERE origin = ? AND vkey = ?", origin, vkey)
	if err != nil {
		return 0, fmt.Errorf("remove key of log %s: %w", origin, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, fmt.Errorf("key %q of log %q: %w", vkey, origin, ErrNotFound)
	}
	keys, err := keysOf(ctx, tx, origin)
	if err != nil {
		return 0, fmt.Errorf("remove key of log %s: %w", origin, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("remove key of log %s: %w", origin, err)
	}
	return len(keys), nil
}

// Logs returns every log the witness knows, by origin.
func (d *DB) Logs(ctx context.Context) ([]Log, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT origin, size, root FROM log ORDER BY origin")
	if err != nil {
		return nil, fmt.Errorf("read logs: %w", err)
	}
	var out []Log
	for rows.Next() {
		var l Log
		var size int64
		if err := rows.Scan(&l.Origin, &size, &l.Root); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read logs: %w", err)
		}
		l.Size = uint64(size)
		out = append(out, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read logs: %w", err)
	}
	for i := range out {
		if out[i].Keys, err = keysOf(ctx, d.db, out[i].Origin); err != nil {
			return nil, fmt.Errorf("read logs: %w", err)
		}
	}
	return out, nil
}

// Log returns what the witness holds of origin; false when it does not
// know it.
func (d *DB) Log(ctx context.Context, origin string) (Log, bool, error) {
	size, root, known, err := stateOf(ctx, d.db, origin)
	if err != nil || !known {
		return Log{}, false, err
	}
	keys, err := keysOf(ctx, d.db, origin)
	if err != nil {
		return Log{}, false, err
	}
	return Log{Origin: origin, Size: size, Root: root, Keys: keys}, true, nil
}

// advance moves origin from the checkpoint of old events and root oldRoot
// to size and root, in one IMMEDIATE transaction that first checks the log
// is still at old and oldRoot: two requests checked against the same state
// cannot both be cosigned, and the second, whichever it is, never takes
// the log back (c2sp.org/tlog-witness, the race of its add-checkpoint
// section). It returns false and the size the log is at when it moved on
// meanwhile.
func (d *DB) advance(ctx context.Context, origin string, old uint64, oldRoot []byte, size uint64, root []byte) (uint64, bool, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("persist log %s: %w", origin, err)
	}
	defer tx.Rollback()
	cur, curRoot, known, err := stateOf(ctx, tx, origin)
	if err != nil {
		return 0, false, fmt.Errorf("persist log %s: %w", origin, err)
	}
	if !known {
		return 0, false, fmt.Errorf("persist log %s: it is gone from the witness database", origin)
	}
	if cur != old || !bytes.Equal(curRoot, oldRoot) {
		return cur, false, nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE log SET size = ?, root = ? WHERE origin = ? AND size = ?", int64(size), root, origin, int64(old)); err != nil {
		return 0, false, fmt.Errorf("persist log %s at %d: %w", origin, size, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("persist log %s at %d: %w", origin, size, err)
	}
	return size, true, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func stateOf(ctx context.Context, q querier, origin string) (size uint64, root []byte, known bool, err error) {
	var s int64
	err = q.QueryRowContext(ctx, "SELECT size, root FROM log WHERE origin = ?", origin).Scan(&s, &root)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, err
	}
	return uint64(s), root, true, nil
}

func keysOf(ctx context.Context, q querier, origin string) ([]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT vkey FROM key WHERE origin = ?", origin)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	keys := []string{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, rows.Err()
}

// maxSize is the largest tree size the database holds (SQLite's INTEGER).
const maxSize = math.MaxInt64
