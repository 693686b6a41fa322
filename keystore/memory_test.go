package keystore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/seal"
)

// TestReadOnly: the store of a bundle's keys gives each by its ID and
// opens what it sealed, knows no scopes, and makes, destroys and records
// nothing (the keystoretest contract needs Create, so it does not apply).
func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	a, b := seal.GenerateKey(), seal.GenerateKey()
	s := keystore.NewReadOnly(a, b, a, seal.Key{})
	defer s.Close()

	for _, k := range []seal.Key{a, b} {
		got, err := s.Key(ctx, k.ID())
		if err != nil || got.ID() != k.ID() || string(got.Bytes()) != string(k.Bytes()) {
			t.Errorf("Key(%s) = %s, %v", k.ID(), got.ID(), err)
		}
	}
	at := seal.Place{EventID: "e1", Stream: "incident-2abc", Type: "NoteAdded", Path: "text"}
	sealed, err := seal.Seal(b, at, "jane.doe@example.org")
	if err != nil {
		t.Fatal(err)
	}
	id, _ := seal.KeyIDOf(sealed)
	k, err := s.Key(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := seal.Open(k, at, sealed); err != nil || v != "jane.doe@example.org" {
		t.Errorf("Open = %q, %v", v, err)
	}
	if _, err := s.Key(ctx, seal.GenerateKey().ID()); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("Key of an unknown ID: %v, want ErrNotFound", err)
	}

	sc := keystore.Scope{Incident: "2abc"}
	if _, err := s.Get(ctx, sc); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}
	if _, err := s.Create(ctx, sc); !errors.Is(err, keystore.ErrReadOnly) {
		t.Errorf("Create: %v, want ErrReadOnly", err)
	}
	if err := s.Destroy(ctx, "ds1", a.ID()); !errors.Is(err, keystore.ErrReadOnly) {
		t.Errorf("Destroy: %v, want ErrReadOnly", err)
	}
	if _, err := s.Key(ctx, a.ID()); err != nil {
		t.Errorf("a refused Destroy lost the key: %v", err)
	}
	if err := s.MarkPending(ctx, []string{a.ID()}, "ds1"); !errors.Is(err, keystore.ErrReadOnly) {
		t.Errorf("MarkPending: %v, want ErrReadOnly", err)
	}
	if p, err := s.PendingDestruction(ctx); err != nil || len(p) != 0 {
		t.Errorf("PendingDestruction = %v, %v; want none", p, err)
	}
	called := false
	if p, err := s.FinishPending(ctx, func(context.Context, string) (bool, error) { called = true; return true, nil }); err != nil || len(p) != 0 || called {
		t.Errorf("FinishPending = %v, %v (asked the ledger: %v); want nothing", p, err, called)
	}
	if err := s.CancelPending(ctx, "ds1"); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("CancelPending: %v, want ErrNotFound", err)
	}

	l, err := s.List(ctx, "")
	if err != nil || len(l) != 2 || l[0].ID != a.ID() || l[1].ID != b.ID() {
		t.Errorf("List(\"\") = %+v, %v; want a and b once each, in order", l, err)
	}
	if l, _ := s.List(ctx, "2abc"); len(l) != 0 {
		t.Errorf("List of an incident = %+v; want none (no scopes)", l)
	}
}
