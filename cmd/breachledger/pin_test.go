package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/integrity"
)

// TestUpdatePinsConcurrent: updates from many processes at once lose no
// pin (the lock), and the file stays 0600 and parseable (the atomic
// rename).
func TestUpdatePinsConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "breachledger", "pinned")
	const n = 8
	keys := make([]*integrity.PublicKey, n)
	for i := range keys {
		skey, _, err := integrity.GenerateLedgerKey(integrity.Origin(fmt.Sprintf("ledger %d", i), uuid.New()))
		if err != nil {
			t.Fatal(err)
		}
		k, err := integrity.ParseLedgerKey(skey)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k.Public()
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, k := range keys {
		wg.Go(func() {
			errs[i] = updatePins(path, func(ps integrity.Pins) (integrity.Pins, error) {
				return ps.Add(integrity.NewPin(k, fmt.Sprintf("sqlite:/l%d.db", i), time.Now()))
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	ps, err := readPins(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != n {
		t.Errorf("%d pins after %d concurrent updates, want %d", len(ps), n, n)
	}
	for _, k := range keys {
		if ps.ForOrigin(k.Origin()) == nil {
			t.Errorf("pin of %s lost", k.Origin())
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("pin file: %v, %v; want mode 0600", fi, err)
	}
	if _, err := os.Stat(path + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock left behind: %v", err)
	}
	// A failed update leaves the file as it was.
	before, _ := os.ReadFile(path)
	if err := updatePins(path, func(integrity.Pins) (integrity.Pins, error) { return nil, errors.New("no") }); err == nil {
		t.Error("a failing update reported success")
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("a failing update changed the file")
	}
}

func TestLedgerLocation(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		in, want string
	}{
		{filepath.Join(dir, "l.db"), "sqlite:" + filepath.Join(dir, "l.db")},
		{"file://" + filepath.Join(dir, "l.db"), "sqlite:" + filepath.Join(dir, "l.db")},
		{"esdb://admin:changeit@DB1:2113,db2:2113?tls=true&prefix=acme-ir/", "esdb://db1:2113,db2:2113?prefix=acme-ir/"},
		{"esdb://db1:2113?tls=false", "esdb://db1:2113?prefix=breachledger/"},
	}
	for _, tt := range tests {
		got, err := ledgerLocation(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ledgerLocation(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	// A relative path and its absolute form are one location.
	wd, _ := os.Getwd()
	rel, _ := ledgerLocation("x.db")
	abs, _ := ledgerLocation(filepath.Join(wd, "x.db"))
	if rel != abs {
		t.Errorf("relative %q, absolute %q", rel, abs)
	}
}
