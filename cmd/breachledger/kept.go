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
	"reflect"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/cachedir"
	"github.com/breachledger/breachledger/internal/viewkey"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections/readmodel"
	"github.com/breachledger/breachledger/stores"
)

// Kept views: where the read models live (never in the ledger's file; see
// package internal/cachedir for the location and its trust rule), and what
// a reader does when there is nowhere to keep them (answers from the log).

var cacheFlag = &cli.StringFlag{Name: "cache", EnvVars: []string{"BREACHLEDGER_CACHE"},
	Usage: "the SQLite `FILE` the kept views (read models) live in (default: one named after the ledger under the user cache directory, $XDG_CACHE_HOME/breachledger; never the ledger's own file)"}

// keptPath returns the file the read models of the ledger in st are kept
// in: --cache, or under the cache directory a file named after the
// ledger's origin, plus, for a SQLite ledger, a digest of the ledger file's
// absolute path. A copy of a ledger (the same origin) at another path keeps
// views of its own: the views are caught up in place by the process that
// holds them, and two processes reading a live ledger and a copy that is
// behind would otherwise rebuild the one file under each other. (Even so,
// the views never trust the file: they are rebuilt when the log no longer
// holds the event they were last caught up to at that place, Kept.CatchUp.)
// The error wraps cachedir.ErrNone when there is no cache directory, and
// cachedir.ErrUntrusted when the one there breaks the trust rule.
func keptPath(c *cli.Context, st eventstore.Store) (string, error) {
	file := ledgerFile(c.String("ledger")) // keyplace.go
	if p := c.String("cache"); p != "" {
		if file != "" && sameFile(p, file) {
			return "", usagef("--cache %s is the ledger file: views are never kept in the ledger; give another FILE, or leave --cache out to keep them under the user cache directory", p)
		}
		if err := cachedir.CheckFile(p); err != nil {
			return "", err
		}
		return p, nil
	}
	origin, err := ledger.Origin(c.Context, st)
	if err != nil {
		return "", err
	}
	name := strings.TrimSuffix(keyFileName(origin), ".key")
	if file != "" {
		name += "." + pathTag(file)
	}
	name += openedTag(c, origin) // sealing.go
	return cachedir.File(name + ".projections.db")
}

// pathTag is 12 hex digits of the SHA-256 of the file's absolute path,
// its symbolic links resolved when they can be.
func pathTag(file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = file
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	sum := sha256.Sum256([]byte(abs))
	return hex.EncodeToString(sum[:6])
}

// sameFile reports whether a and b name one existing file.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA != nil || errB != nil {
		pa, _ := filepath.Abs(a)
		pb, _ := filepath.Abs(b)
		return pa == pb
	}
	return os.SameFile(fa, fb)
}

// openKeptFile opens the read models kept in their file (keptPath),
// creating it with mode 0600 when missing.
func openKeptFile(c *cli.Context, st eventstore.Store) (*readmodel.Kept, error) {
	path, err := keptPath(c, st)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		f.Close() // SQLite has not opened it yet: closing drops no lock of its
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("create kept views %s: %w", path, err)
	}
	// The views open sealed personal fields as the run's readers do, and
	// purge them when a DataShredded forgets them (readmodel's purge).
	k, err := readmodel.Open(c.Context, ledger.OpeningStore(st, ledger.OpenerOf(c.Context)), path)
	if err != nil && c.Context.Err() == nil {
		return nil, fmt.Errorf("%w (if the file is damaged, remove it: the next reader keeps the views afresh)", err)
	}
	return k, err
}

// openKeptAt opens the read models kept in their file and catches them up,
// evaluating what is new at asOf, for a reader that answers from them when
// it can (deadlines, list, register, report --period). ok is false when
// they cannot answer: no cache directory, or one the trust rule refuses
// (said on stderr, keptFallback), or a catch-up that failed for another
// reason; the reader then folds the log. A ledger whose history changed
// under the models (eventstore.ErrHistoryChanged, integrity.ErrIntegrity)
// is an error: run verify. The caller closes the models when ok.
func openKeptAt(c *cli.Context, st eventstore.Store, asOf time.Time) (*readmodel.Kept, bool, error) {
	kept, err := openKeptFile(c, st)
	if err != nil {
		return nil, false, keptFallback(c, err, "answering from the log")
	}
	if _, err := kept.CatchUp(c.Context, asOf); err != nil {
		kept.Close()
		if errors.Is(err, eventstore.ErrHistoryChanged) || errors.Is(err, integrity.ErrIntegrity) {
			return nil, false, err
		}
		return nil, false, nil
	}
	return kept, true, nil
}

// fillEmpty replaces the nil slices and maps reachable from v (a pointer)
// with empty ones, as the projections give their views (JSON [] and {},
// never null), for views put together from kept rows: a kept row holds a
// view's entry as the projection made it, before its view filled it.
func fillEmpty(v any) { fillValue(reflect.ValueOf(v)) }

func fillValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			fillValue(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillValue(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.IsNil() && v.CanSet() {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
		for i := 0; i < v.Len(); i++ {
			fillValue(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() && v.CanSet() {
			v.Set(reflect.MakeMap(v.Type()))
		}
	}
}

// openKept opens the read models for a reader that needs them (serve,
// replay): in their file, or, when they cannot be kept there, in memory,
// folded from the log (slower, the same answer). Nothing is said on stdout;
// stderr notes, once, a cache location that exists but cannot be used (it
// breaks the trust rule, or its file is damaged), never the mere absence
// of one (an auditor's sandbox, a read-only home).
func openKept(c *cli.Context, st eventstore.Store) (*readmodel.Kept, error) {
	k, err := openKeptFile(c, st)
	if err == nil {
		return k, nil
	}
	if err := keptFallback(c, err, "answering from the log in memory"); err != nil {
		return nil, err
	}
	return readmodel.Open(c.Context, ledger.OpeningStore(st, ledger.OpenerOf(c.Context)), readmodel.Memory)
}

// keptFallback says whether a reader goes on without the kept file after
// err (nil: go on, from the log) or stops (a bad --cache, a cancelled
// command). Going on, it notes on stderr a location that exists but cannot
// be used, saying how the reader answers instead.
func keptFallback(c *cli.Context, err error, instead string) error {
	var usage usageError
	if errors.As(err, &usage) || c.Context.Err() != nil {
		return err
	}
	if !errors.Is(err, cachedir.ErrNone) {
		fmt.Fprintf(c.App.ErrWriter, "breachledger: the kept views cannot be used (%v); %s\n", err, instead)
	}
	return nil
}

// openWriter opens the ledger at loc for a writer and drops the views
// older builds kept in its file (dropOldViews). A writer keeps an
// EventStoreDB ledger's ranks in its rank file (openStore), as readers do,
// until it loads the ledger key to sign (ledgerKeyAt detaches the file): a
// rank file kept from before events were removed from the middle of $all
// (a scavenge) still numbers them, and a process that signs must find the
// removal and refuse to sign over it. A team ledger's writers hold no
// ledger key and sign no checkpoint: they keep the file.
func openWriter(c *cli.Context, loc string, create bool) (eventstore.Store, error) {
	st, err := openStore(c, loc, stores.Options{Create: create})
	if err != nil {
		return nil, err
	}
	dropOldViews(c, st)
	return st, nil
}

// dropOldViews drops from a SQLite ledger's file the read models older
// builds kept there (readmodel.Tables): readers never read them, and a
// forged row there must not outlive the build that could be fooled by it.
// With none there it only reads the schema (sqlite.Store.DropTables), so
// every writer can afford it. It never fails the writer: a read-only
// ledger is left alone quietly (the writer refuses on its own), any other
// failure is noted on stderr and the next writer tries again.
func dropOldViews(c *cli.Context, st eventstore.Store) {
	d, ok := st.(interface {
		DropTables(ctx context.Context, names ...string) ([]string, error)
	})
	if !ok {
		return
	}
	if _, err := d.DropTables(c.Context, readmodel.Tables...); err != nil && !sqlite.ReadOnly(err) && c.Context.Err() == nil {
		fmt.Fprintf(c.App.ErrWriter, "breachledger: the views older builds kept in the ledger file could not be dropped (%v); readers never read them, and the next writer tries again\n", err)
	}
}

// openStore opens the ledger at loc (package stores) for a reader, keeping
// an EventStoreDB ledger's ranks between commands in a rank file in the
// user cache directory (keptRanks): a command reads from the server only
// what was appended since the last.
// A rank file that cannot be opened (damaged: not a SQLite file) is
// removed, said once on stderr, and the ranks are kept in memory: the
// next reader keeps the file afresh.
func openStore(c *cli.Context, loc string, opts stores.Options) (eventstore.Store, error) {
	var file string
	opts.Ranks = func(name string) (string, []byte) {
		var key []byte
		file, key = keptRanks(c, name)
		return file, key
	}
	st, err := stores.Open(c.Context, loc, opts)
	if err == nil || file == "" || !errors.Is(err, stores.ErrRankFileUnusable) || c.Context.Err() != nil {
		return st, err
	}
	fmt.Fprintf(c.App.ErrWriter, "breachledger: the rank file cannot be used (%v); it is removed, and the ledger's ranks are read from the server\n", err)
	for _, p := range []string{file, file + "-wal", file + "-shm"} {
		os.Remove(p)
	}
	opts.Ranks = nil
	return stores.Open(c.Context, loc, opts)
}

// keptRanks returns the rank file of an EventStoreDB ledger (name, from
// stores.RankFileName) in the user cache directory and the key of its MACs
// (the kept views' key, package viewkey: kept outside the cache), or ""
// when there is nowhere to keep it: the ranks are then kept in memory, and
// the command reads the ledger's ranks from the server. The mere absence
// of a cache directory or a key says nothing; a cache location that breaks
// the trust rule is noted on stderr, as for the kept views.
func keptRanks(c *cli.Context, name string) (string, []byte) {
	path, err := cachedir.File(name)
	if err != nil {
		if errors.Is(err, cachedir.ErrUntrusted) {
			fmt.Fprintf(c.App.ErrWriter, "breachledger: the rank file cannot be used (%v); reading the ledger's ranks from the server\n", err)
		}
		return "", nil
	}
	key, err := viewkey.Load()
	if err != nil {
		return "", nil
	}
	return path, key
}
