package keystore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/breachledger/breachledger/seal"
)

// KEKSize is the size of a key-encryption key in bytes.
const KEKSize = chacha20poly1305.KeySize

const (
	// applicationID marks a key store file ("BLKS"), so the ledger's
	// own file, or any other SQLite file, is never taken for one.
	applicationID = 0x424c4b53
	schemaVersion = 1
	wrapTag       = "breachledger/keystore wrap v1"
	kekCheckTag   = "breachledger/keystore kek-check v1"
)

// File is a Store in its own SQLite file, for one person: readable by its
// owner only (mode 0600), each data key wrapped (XChaCha20-Poly1305) by a
// key-encryption key (KEK) the caller gives.
//
// The file runs in rollback-journal mode DELETE with secure_delete on and
// synchronous EXTRA, not WAL:
//   - secure_delete makes SQLite overwrite with zeros the bytes a destroy
//     frees in a page, and pages it puts on the free list, so a destroyed
//     wrapped key is not left in the file's free space;
//   - in DELETE mode the journal that held the page before the destroy
//     (the only other copy) is unlinked when the transaction commits, and
//     synchronous EXTRA fsyncs the directory after that unlink, so a power
//     loss cannot bring the journal back and roll the destroy back. A WAL
//     would keep the frames that wrote each key when it was created until a
//     checkpoint truncates it, which a reader's snapshot can hold off; a
//     key store writes rarely (a key per incident or note, a destroy per
//     shred) and has one writer, so WAL's concurrency buys nothing here.
//
// Neither can reach bytes the file system or the disk keeps elsewhere: the
// unlinked journal's blocks until reused, copy-on-write file systems'
// (btrfs, ZFS) old extents and snapshots, an SSD's remapped flash cells,
// backups. That is why every key is wrapped: without the KEK, no copy of
// the file opens a key (README: limits).
type File struct {
	db   *sql.DB
	path string
	kek  [KEKSize]byte
}

var _ Store = (*File)(nil)

// GenerateKEK returns a new random key-encryption key.
func GenerateKEK() []byte {
	b := make([]byte, KEKSize)
	rand.Read(b) // never fails (crypto/rand, Go 1.24)
	return b
}

// New creates a key store at path (mode 0600; it must not exist) whose
// keys kek wraps.
func New(ctx context.Context, path string, kek []byte) (*File, error) {
	if len(kek) != KEKSize {
		return nil, kekSizeError(kek)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create key store: %w", err)
	}
	// The umask can only take bits away; make sure of 0600 anyway.
	if err := errors.Join(f.Chmod(0o600), f.Close()); err != nil {
		return nil, fmt.Errorf("create key store: %w", err)
	}
	s, err := open(ctx, path, kek, true, true)
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return s, nil
}

// Open opens the key store at path. It refuses a file others may read, a
// file that is not a key store, and a KEK that does not open it.
//
// Open does not finish pending destructions: only the caller can see
// whether their DataShredded events reached the ledger. The caller calls
// FinishPending right after opening (and after each shred).
func Open(ctx context.Context, path string, kek []byte) (*File, error) {
	if len(kek) != KEKSize {
		return nil, kekSizeError(kek)
	}
	return open(ctx, path, kek, false, true)
}

func kekSizeError(kek []byte) error {
	return fmt.Errorf("open key store: the key-encryption key has %d bytes, it must have %d: give the KEK the store was created with (keystore.GenerateKEK makes one)", len(kek), KEKSize)
}

func checkMode(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("open key store: %s does not exist: %w (create one first, or give the path of the existing one)", path, err)
		}
		return fmt.Errorf("open key store: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("open key store: %s is not a regular file: %w", path, ErrNotKeyStore)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("open key store: %s has mode %04o: %w; a key store must be readable and writable by its owner only: run chmod 600 %s (and ask whether its wrapped keys were copied meanwhile)", path, perm, ErrPermissions, path)
	}
	return nil
}

// open opens path; secureDelete is false only in the test that shows what
// destroy leaves behind without it.
func open(ctx context.Context, path string, kek []byte, create, secureDelete bool) (*File, error) {
	if err := checkMode(path); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open key store: %w", err)
	}
	sd := "1"
	if !secureDelete {
		sd = "0"
	}
	pragmas := "?_pragma=secure_delete(" + sd + ")&_pragma=journal_mode(DELETE)&_pragma=synchronous(EXTRA)&_pragma=busy_timeout(10000)&_txlock=immediate"
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(abs)+pragmas)
	if err != nil {
		return nil, fmt.Errorf("open key store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	s := &File{db: db, path: path}
	copy(s.kek[:], kek)
	if err := s.init(ctx, create, secureDelete); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// init checks the connection's settings, then creates the schema (create)
// or checks the file is a key store whose KEK is s.kek.
func (s *File) init(ctx context.Context, create, secureDelete bool) error {
	var secure, sync int
	var journal string
	if err := s.db.QueryRowContext(ctx, "PRAGMA secure_delete").Scan(&secure); err != nil {
		return fmt.Errorf("open key store %s: %w", s.path, err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
		return fmt.Errorf("open key store %s: %w", s.path, err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return fmt.Errorf("open key store %s: %w", s.path, err)
	}
	if (secure == 1) != secureDelete || journal != "delete" || sync != 3 {
		return fmt.Errorf("open key store %s: secure_delete=%d journal_mode=%s synchronous=%d, want 1, delete, 3 (EXTRA): the SQLite driver ignored a setting destroy relies on", s.path, secure, journal, sync)
	}
	var appID, version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("open key store %s: %w", s.path, err)
	}
	if create {
		return s.createSchema(ctx)
	}
	if appID != applicationID {
		return fmt.Errorf("open key store %s: %w (SQLite application_id %#x, a key store has %#x): give the key store's path, not the ledger's or another file's", s.path, ErrNotKeyStore, appID, applicationID)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("open key store %s: %w", s.path, err)
	}
	if version != schemaVersion {
		return fmt.Errorf("open key store %s: schema version %d, this binary reads %d: use the breachledger that wrote it", s.path, version, schemaVersion)
	}
	var check []byte
	if err := s.db.QueryRowContext(ctx, "SELECT v FROM meta WHERE k = 'kek-check'").Scan(&check); err != nil {
		return fmt.Errorf("open key store %s: read its KEK check: %w", s.path, err)
	}
	if _, err := s.unwrap(check, kekCheckTag); err != nil {
		return fmt.Errorf("open key store %s: %w: the key-encryption key given does not open it; give the KEK it was created with (its file beside the config, or the key server's), not another store's", s.path, ErrWrongKEK)
	}
	return nil
}

func (s *File) createSchema(ctx context.Context) error {
	check, err := s.wrap(make([]byte, KEKSize), kekCheckTag)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create key store %s: %w", s.path, err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		fmt.Sprintf("PRAGMA application_id = %d", applicationID),
		fmt.Sprintf("PRAGMA user_version = %d", schemaVersion),
		`CREATE TABLE meta (k TEXT PRIMARY KEY, v BLOB NOT NULL)`,
		// wrapped is NULL once the key is destroyed; the row stays so a
		// reader can say "forgotten" and verify can check a DataShredded.
		`CREATE TABLE keys (
			id TEXT PRIMARY KEY,
			incident TEXT NOT NULL,
			event TEXT NOT NULL,
			wrapped BLOB,
			created INTEGER NOT NULL,
			destroyed INTEGER,
			destroyed_by TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE UNIQUE INDEX keys_live_scope ON keys (incident, event) WHERE wrapped IS NOT NULL`,
		`CREATE INDEX keys_incident ON keys (incident)`,
		`CREATE TABLE pending (event_id TEXT PRIMARY KEY, key_ids TEXT NOT NULL, marked INTEGER NOT NULL)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create key store %s: %w", s.path, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO meta (k, v) VALUES ('kek-check', ?)", check); err != nil {
		return fmt.Errorf("create key store %s: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create key store %s: %w", s.path, err)
	}
	return nil
}

// aad is the associated data of a wrapped key: a tag, then each part
// length-prefixed, so a wrapped key moved to another row does not open.
func aad(tag string, parts ...string) []byte {
	b := []byte(tag)
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

func (s *File) wrap(key []byte, tag string, parts ...string) ([]byte, error) {
	a, err := chacha20poly1305.NewX(s.kek[:])
	if err != nil {
		return nil, fmt.Errorf("wrap key: %w", err)
	}
	out := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(key)+a.Overhead())
	rand.Read(out)
	return a.Seal(out, out, key, aad(tag, parts...)), nil
}

func (s *File) unwrap(wrapped []byte, tag string, parts ...string) ([]byte, error) {
	a, err := chacha20poly1305.NewX(s.kek[:])
	if err != nil {
		return nil, fmt.Errorf("unwrap key: %w", err)
	}
	if len(wrapped) < chacha20poly1305.NonceSizeX+a.Overhead() {
		return nil, fmt.Errorf("unwrap key: %d bytes, too short", len(wrapped))
	}
	return a.Open(nil, wrapped[:chacha20poly1305.NonceSizeX], wrapped[chacha20poly1305.NonceSizeX:], aad(tag, parts...))
}

func (s *File) unwrapKey(id string, sc Scope, wrapped []byte) (seal.Key, error) {
	b, err := s.unwrap(wrapped, wrapTag, id, sc.Incident, sc.Event)
	if err != nil {
		return seal.Key{}, fmt.Errorf("unwrap key %s: the KEK does not open it, or it was moved to another row: %w", id, err)
	}
	defer clear(b)
	k, err := seal.NewKey(b)
	if err != nil {
		return seal.Key{}, fmt.Errorf("unwrap key %s: %w", id, err)
	}
	if k.ID() != id {
		return seal.Key{}, fmt.Errorf("unwrap key %s: its bytes give ID %s: the store is corrupt", id, k.ID())
	}
	return k, nil
}

func checkScope(op string, sc Scope) error {
	if sc.Incident == "" {
		return fmt.Errorf("%s: a scope names an incident", op)
	}
	return nil
}

// Get returns the scope's live key.
func (s *File) Get(ctx context.Context, sc Scope) (seal.Key, error) {
	if err := checkScope("get data key", sc); err != nil {
		return seal.Key{}, err
	}
	return s.get(ctx, s.db, sc)
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func (s *File) get(ctx context.Context, q querier, sc Scope) (seal.Key, error) {
	var id string
	var wrapped []byte
	err := q.QueryRowContext(ctx, "SELECT id, wrapped FROM keys WHERE incident = ? AND event = ? AND wrapped IS NOT NULL", sc.Incident, sc.Event).Scan(&id, &wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		var n int
		var by string
		var at int64
		err := q.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(MAX(destroyed), 0), COALESCE(MAX(destroyed_by), '') FROM keys WHERE incident = ? AND event = ?", sc.Incident, sc.Event).Scan(&n, &at, &by)
		if err != nil {
			return seal.Key{}, fmt.Errorf("get data key of %s: %w", sc, err)
		}
		if n > 0 {
			return seal.Key{}, fmt.Errorf("get data key of %s: %w on %s by %s", sc, ErrDestroyed, time.Unix(at, 0).UTC().Format(time.RFC3339), orNone(by))
		}
		return seal.Key{}, fmt.Errorf("get data key of %s: %w", sc, ErrNotFound)
	}
	if err != nil {
		return seal.Key{}, fmt.Errorf("get data key of %s: %w", sc, err)
	}
	return s.unwrapKey(id, sc, wrapped)
}

func orNone(by string) string {
	if by == "" {
		return "no DataShredded event"
	}
	return "event " + by
}

// String names the scope in messages.
func (sc Scope) String() string {
	if sc.Event == "" {
		return "incident " + sc.Incident
	}
	return "event " + sc.Event + " of incident " + sc.Incident
}

// Create returns the scope's live key, making one when it has none.
func (s *File) Create(ctx context.Context, sc Scope) (seal.Key, error) {
	if err := checkScope("create data key", sc); err != nil {
		return seal.Key{}, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return seal.Key{}, fmt.Errorf("create data key of %s: %w", sc, err)
	}
	defer tx.Rollback()
	k, err := s.get(ctx, tx, sc)
	if err == nil {
		return k, tx.Commit()
	}
	if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrDestroyed) {
		return seal.Key{}, err
	}
	k = seal.GenerateKey()
	raw := k.Bytes()
	wrapped, err := s.wrap(raw, wrapTag, k.ID(), sc.Incident, sc.Event)
	clear(raw)
	if err != nil {
		return seal.Key{}, fmt.Errorf("create data key of %s: %w", sc, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO keys (id, incident, event, wrapped, created) VALUES (?, ?, ?, ?, ?)",
		k.ID(), sc.Incident, sc.Event, wrapped, time.Now().Unix()); err != nil {
		return seal.Key{}, fmt.Errorf("create data key of %s: %w", sc, err)
	}
	if err := tx.Commit(); err != nil {
		return seal.Key{}, fmt.Errorf("create data key of %s: %w", sc, err)
	}
	return k, nil
}

// Key returns a key by its ID.
func (s *File) Key(ctx context.Context, id string) (seal.Key, error) {
	var sc Scope
	var wrapped []byte
	var destroyed sql.NullInt64
	var by string
	err := s.db.QueryRowContext(ctx, "SELECT incident, event, wrapped, destroyed, destroyed_by FROM keys WHERE id = ?", id).Scan(&sc.Incident, &sc.Event, &wrapped, &destroyed, &by)
	if errors.Is(err, sql.ErrNoRows) {
		return seal.Key{}, fmt.Errorf("get data key %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return seal.Key{}, fmt.Errorf("get data key %s: %w", id, err)
	}
	if wrapped == nil {
		return seal.Key{}, fmt.Errorf("get data key %s of %s: %w on %s by %s", id, sc, ErrDestroyed, time.Unix(destroyed.Int64, 0).UTC().Format(time.RFC3339), orNone(by))
	}
	return s.unwrapKey(id, sc, wrapped)
}

// LiveKeys returns the live keys among ids, in queries of up to 500 IDs.
func (s *File) LiveKeys(ctx context.Context, ids []string) (map[string]seal.Key, error) {
	out := make(map[string]seal.Key, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		if err := s.liveKeys(ctx, ids[:n], out); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}

func (s *File) liveKeys(ctx context.Context, ids []string, out map[string]seal.Key) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, "SELECT id, incident, event, wrapped FROM keys WHERE wrapped IS NOT NULL AND id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", args...)
	if err != nil {
		return fmt.Errorf("get data keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var sc Scope
		var wrapped []byte
		if err := rows.Scan(&id, &sc.Incident, &sc.Event, &wrapped); err != nil {
			return fmt.Errorf("get data keys: %w", err)
		}
		k, err := s.unwrapKey(id, sc, wrapped)
		if err != nil {
			return err
		}
		out[id] = k
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("get data keys: %w", err)
	}
	return nil
}

// List describes the keys of an incident ("": every key).
func (s *File) List(ctx context.Context, incident string) ([]Info, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, incident, event, created, destroyed, destroyed_by FROM keys
		WHERE ? = '' OR incident = ? ORDER BY created, rowid`, incident, incident)
	if err != nil {
		return nil, fmt.Errorf("list data keys: %w", err)
	}
	defer rows.Close()
	var out []Info
	for rows.Next() {
		var in Info
		var created int64
		var destroyed sql.NullInt64
		if err := rows.Scan(&in.ID, &in.Scope.Incident, &in.Scope.Event, &created, &destroyed, &in.DestroyedBy); err != nil {
			return nil, fmt.Errorf("list data keys: %w", err)
		}
		in.Created = time.Unix(created, 0).UTC()
		if destroyed.Valid {
			in.Destroyed = time.Unix(destroyed.Int64, 0).UTC()
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list data keys: %w", err)
	}
	return out, nil
}

// Destroy destroys keys durably: the transaction commits with the journal
// unlinked and its directory fsynced, the freed bytes zeroed.
func (s *File) Destroy(ctx context.Context, by string, ids ...string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("destroy data keys: %w", err)
	}
	defer tx.Rollback()
	if err := destroy(ctx, tx, by, ids); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("destroy data keys: %w", err)
	}
	return nil
}

func destroy(ctx context.Context, tx *sql.Tx, by string, ids []string) error {
	now := time.Now().Unix()
	for _, id := range ids {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM keys WHERE id = ?", id).Scan(&n); err != nil {
			return fmt.Errorf("destroy data key %s: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("destroy data key %s: %w: nothing was destroyed; name keys this store holds (List)", id, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE keys SET wrapped = NULL, destroyed = ?, destroyed_by = ? WHERE id = ? AND wrapped IS NOT NULL", now, by, id); err != nil {
			return fmt.Errorf("destroy data key %s: %w", id, err)
		}
	}
	return nil
}

// MarkPending records the intent to destroy keyIDs once eventID is in the
// ledger.
func (s *File) MarkPending(ctx context.Context, keyIDs []string, eventID string) error {
	if eventID == "" {
		return fmt.Errorf("mark keys for destruction: no event ID: an intent names the DataShredded event that records it")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark keys for destruction: %w", err)
	}
	defer tx.Rollback()
	for _, id := range keyIDs {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM keys WHERE id = ?", id).Scan(&n); err != nil {
			return fmt.Errorf("mark key %s for destruction: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("mark key %s for destruction: %w", id, ErrNotFound)
		}
	}
	ids, _ := json.Marshal(keyIDs)
	if _, err := tx.ExecContext(ctx, "INSERT INTO pending (event_id, key_ids, marked) VALUES (?, ?, ?)", eventID, string(ids), time.Now().Unix()); err != nil {
		return fmt.Errorf("mark keys for destruction by %s: %w", eventID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("mark keys for destruction by %s: %w", eventID, err)
	}
	return nil
}

// PendingDestruction lists the intents not yet finished, oldest first.
func (s *File) PendingDestruction(ctx context.Context) ([]Pending, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT event_id, key_ids, marked FROM pending ORDER BY marked, rowid")
	if err != nil {
		return nil, fmt.Errorf("list pending destructions: %w", err)
	}
	defer rows.Close()
	var out []Pending
	for rows.Next() {
		var p Pending
		var ids string
		var marked int64
		if err := rows.Scan(&p.EventID, &ids, &marked); err != nil {
			return nil, fmt.Errorf("list pending destructions: %w", err)
		}
		if err := json.Unmarshal([]byte(ids), &p.KeyIDs); err != nil {
			return nil, fmt.Errorf("list pending destructions: event %s: %w", p.EventID, err)
		}
		p.Marked = time.Unix(marked, 0).UTC()
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pending destructions: %w", err)
	}
	return out, nil
}

// FinishPending destroys the keys of every intent whose event is in the
// ledger, each intent in one transaction with the removal of its record.
func (s *File) FinishPending(ctx context.Context, appended func(ctx context.Context, eventID string) (bool, error)) ([]Pending, error) {
	pending, err := s.PendingDestruction(ctx)
	if err != nil {
		return nil, err
	}
	var done []Pending
	for _, p := range pending {
		ok, err := appended(ctx, p.EventID)
		if err != nil {
			return done, fmt.Errorf("finish destruction by %s: is the event in the ledger: %w", p.EventID, err)
		}
		if !ok {
			continue
		}
		if err := s.finish(ctx, p); err != nil {
			return done, err
		}
		done = append(done, p)
	}
	return done, nil
}

func (s *File) finish(ctx context.Context, p Pending) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("finish destruction by %s: %w", p.EventID, err)
	}
	defer tx.Rollback()
	if err := destroy(ctx, tx, p.EventID, p.KeyIDs); err != nil {
		return fmt.Errorf("finish destruction by %s: %w", p.EventID, err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM pending WHERE event_id = ?", p.EventID); err != nil {
		return fmt.Errorf("finish destruction by %s: %w", p.EventID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("finish destruction by %s: %w", p.EventID, err)
	}
	return nil
}

// CancelPending drops the intent of eventID.
func (s *File) CancelPending(ctx context.Context, eventID string) error {
	res, err := s.db.ExecContext(ctx, "DELETE FROM pending WHERE event_id = ?", eventID)
	if err != nil {
		return fmt.Errorf("cancel destruction by %s: %w", eventID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("cancel destruction by %s: no such intent: %w", eventID, ErrNotFound)
	}
	return nil
}

// Close closes the store.
func (s *File) Close() error {
	clear(s.kek[:])
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close key store %s: %w", s.path, err)
	}
	return nil
}
