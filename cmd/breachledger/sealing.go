package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/ledger"
)

// Sealed personal fields (crypto-shredding, issue 25): where this user's
// key store is, and the glue that lets the writer seal and the readers open
// (ledger/seal.go does both).
//
// The key store of a ledger is a keystore.File in the user's configuration
// directory, never beside the ledger: $XDG_CONFIG_HOME/breachledger/
// keystore/NAME-ID.db (the ledger's origin, as for the ledger key), with
// its key-encryption key in NAME-ID.kek beside it (mode 0600, directory
// 0700), both made by the first write that seals. A reader without it sees
// "[sealed]".

// keyStoreDir is where key stores live.
func keyStoreDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", usagef("no place for the key store of sealed personal data (%v): set XDG_CONFIG_HOME", err)
	}
	return filepath.Join(dir, "breachledger", "keystore"), nil
}

// keyStorePaths returns the key store's and its KEK's paths for the
// ledger of origin.
func keyStorePaths(origin string) (db, kek string, err error) {
	dir, err := keyStoreDir()
	if err != nil {
		return "", "", err
	}
	name := strings.TrimSuffix(keyFileName(origin), ".key")
	return filepath.Join(dir, name+".db"), filepath.Join(dir, name+".kek"), nil
}

// openedTag names, in the kept views' file name, what the views can open:
// "" when this user has no key store for the ledger of origin (sealed
// values are kept as "[sealed]"), ".opened" when they have one, and
// ".opened-" and a tag of the actor with a team key server, which hands
// each actor the keys their role allows. Views kept with other keys are
// never read as these.
func openedTag(c *cli.Context, origin string) string {
	if os.Getenv(keyServerEnv) != "" {
		who, _ := actor(c)
		sum := sha256.Sum256([]byte(who))
		return ".opened-" + hex.EncodeToString(sum[:6])
	}
	db, _, err := keyStorePaths(origin)
	if err != nil {
		return ""
	}
	if _, err := os.Stat(db); err != nil {
		return ""
	}
	return ".opened"
}

// sealing opens the ledger's key store on first use and keeps it for the
// run; safe for concurrent use (the readers open on several goroutines).
type sealing struct {
	st eventstore.Store
	c  *cli.Context // the run's flags (the key server's caller); nil: the environment

	mu  sync.Mutex
	ks  keystore.Store
	err error
}

// get returns the key store, creating it (and its KEK) when create is set
// and it does not exist; nil and no error when it does not exist and
// create is not set. Opening it finishes a shred that a crash cut short
// (finishPending). With BREACHLEDGER_KEY_SERVER set, it is the client of
// that team key server (keyserve.go), which finishes shreds itself.
func (s *sealing) get(ctx context.Context, create bool) (keystore.Store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ks != nil || s.err != nil {
		return s.ks, s.err
	}
	if socket := os.Getenv(keyServerEnv); socket != "" {
		ks, err := keyServerStore(ctx, s.c, s.st, socket)
		if err != nil {
			s.err = err
			return nil, err
		}
		s.ks = ks
		return ks, nil
	}
	f, err := userKeyStore(ctx, s.st, create)
	if err != nil {
		s.err = err
		return nil, err
	}
	if f == nil {
		return nil, nil
	}
	if _, err := finishPending(ctx, s.st, f); err != nil {
		s.err = err
		f.Close()
		return nil, err
	}
	s.ks = f
	return f, nil
}

// userKeyStore opens this user's key store of the ledger in st, making it
// (and its KEK) when create is set and it does not exist; nil and no error
// when it does not exist and create is not set.
func userKeyStore(ctx context.Context, st eventstore.Store, create bool) (*keystore.File, error) {
	origin, err := ledger.Origin(ctx, st)
	if err != nil {
		return nil, err
	}
	dbPath, kekPath, err := keyStorePaths(origin)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dbPath); errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, nil
		}
		return newKeyStore(ctx, dbPath, kekPath)
	}
	kek, err := os.ReadFile(kekPath)
	if err != nil {
		return nil, fmt.Errorf("read the key store's key-encryption key: %w", err)
	}
	defer clear(kek)
	return keystore.Open(ctx, dbPath, kek)
}

// newKeyStore makes a key store at dbPath and its KEK at kekPath.
func newKeyStore(ctx context.Context, dbPath, kekPath string) (*keystore.File, error) {
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		return nil, fmt.Errorf("make the key store's directory: %w", err)
	}
	kek := keystore.GenerateKEK()
	defer clear(kek)
	f, err := os.OpenFile(kekPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("make the key store's key-encryption key: %w", err)
	}
	if _, err := f.Write(kek); err != nil {
		f.Close()
		return nil, fmt.Errorf("write the key store's key-encryption key: %w", err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return nil, fmt.Errorf("write the key store's key-encryption key: %w", err)
	}
	return keystore.New(ctx, dbPath, kek)
}

// close closes the key store, if it was opened.
func (s *sealing) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ks == nil {
		return nil
	}
	err := s.ks.Close()
	s.ks = nil
	return err
}

// sealingKey finds the run's sealing in a context.
type sealingKey struct{}

// withSealing returns c's context with the readers' Opener (ledger/seal.go)
// and the run's sealing, and a function that closes the key store.
func withSealing(c *cli.Context, st eventstore.Store) (context.Context, func() error) {
	s := &sealing{st: st, c: c}
	o := &ledger.Opener{Store: st, Keys: func(ctx context.Context) (keystore.Store, error) {
		ks, err := s.get(ctx, false)
		if err != nil || ks == nil {
			return nil, err
		}
		return ks, nil
	}}
	ctx := context.WithValue(ledger.WithOpener(c.Context, o), sealingKey{}, s)
	return ctx, s.close
}

// sealingOf returns the run's sealing, or a new one for st.
func sealingOf(ctx context.Context, st eventstore.Store) *sealing {
	if s, ok := ctx.Value(sealingKey{}).(*sealing); ok {
		return s
	}
	return &sealing{st: st}
}

// sealFunc is the writer's Writer.Seal: when seal-personal-data is in
// force at now, the personal fields of incident events are sealed with
// keys from the user's key store (made on first use).
func sealFunc(st eventstore.Store, now time.Time) func(ctx context.Context, l domain.Ledger, incident string, r *eventstore.Record) error {
	return func(ctx context.Context, l domain.Ledger, incident string, r *eventstore.Record) error {
		if !l.Settings.At(now).SealsPersonalData() {
			return nil
		}
		ks, err := sealingOf(ctx, st).get(ctx, true)
		if err != nil {
			return fmt.Errorf("seal personal data (seal-personal-data is on): %w", err)
		}
		return ledger.SealRecord(ctx, ks, incident, r)
	}
}

// finishPending destroys the keys of every shred whose DataShredded is in
// the ledger (a crash came between its append and the destruction), and
// returns those it finished; an intent whose event is not there stays. The
// log is read once, however many intents there are.
func finishPending(ctx context.Context, st eventstore.Store, ks keystore.Store) ([]keystore.Pending, error) {
	pending, err := ks.PendingDestruction(ctx)
	if err != nil || len(pending) == 0 {
		return nil, err
	}
	landed, err := eventsInLedger(ctx, st, pending)
	if err != nil {
		return nil, err
	}
	return ks.FinishPending(ctx, func(_ context.Context, eventID string) (bool, error) { return landed[eventID], nil })
}

// eventsInLedger returns which of the pending intents' events are in the
// ledger in st, reading the log once (and no further than the last found).
func eventsInLedger(ctx context.Context, st eventstore.Store, pending []keystore.Pending) (map[string]bool, error) {
	want := map[string]bool{}
	for _, p := range pending {
		want[p.EventID] = true
	}
	found := map[string]bool{}
	for r, err := range eventstore.All(ctx, st, 0) {
		if err != nil {
			return nil, fmt.Errorf("look for the shreds' events in the ledger: %w", err)
		}
		if id := r.ID.String(); want[id] {
			found[id] = true
			if len(found) == len(want) {
				break
			}
		}
	}
	return found, nil
}
