// Package keystoretest is the contract every keystore.Store meets: the
// file store, a team's key server, an adapter to an external key service.
// Run it from the implementation's tests:
//
//	func TestContract(t *testing.T) {
//		keystoretest.Run(t, func(t *testing.T) keystore.Store { return newStore(t) })
//	}
//
// What only one implementation can show (that destroyed key bytes are gone
// from its files, that it survives a crash) stays in its own tests.
package keystoretest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/seal"
)

// Run runs the contract; open returns a new, empty store, closed by the
// test's cleanup or by Run.
func Run(t *testing.T, open func(t *testing.T) keystore.Store) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, keystore.Store)
	}{
		{"ScopesAndIDs", scopesAndIDs},
		{"Destroy", destroy},
		{"List", list},
		{"Pending", pending},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.run(t, s)
		})
	}
}

var (
	inc  = keystore.Scope{Incident: "2abc"}
	note = keystore.Scope{Incident: "2abc", Event: "e1"}
)

func mustCreate(t *testing.T, s keystore.Store, sc keystore.Scope) seal.Key {
	t.Helper()
	k, err := s.Create(context.Background(), sc)
	if err != nil {
		t.Fatalf("Create(%v): %v", sc, err)
	}
	return k
}

func scopesAndIDs(t *testing.T, s keystore.Store) {
	ctx := context.Background()
	if _, err := s.Get(ctx, inc); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("Get before Create: %v, want ErrNotFound", err)
	}
	if _, err := s.Key(ctx, "no-such-id"); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("Key of an unknown ID: %v, want ErrNotFound", err)
	}
	if _, err := s.Create(ctx, keystore.Scope{Event: "e1"}); err == nil {
		t.Error("Create of a scope without an incident")
	}
	k := mustCreate(t, s, inc)
	if k.ID() != seal.KeyID(k.Bytes()) {
		t.Errorf("key ID %s is not seal.KeyID of its bytes", k.ID())
	}
	for name, get := range map[string]func() (seal.Key, error){
		"Create again": func() (seal.Key, error) { return s.Create(ctx, inc) },
		"Get":          func() (seal.Key, error) { return s.Get(ctx, inc) },
		"Key":          func() (seal.Key, error) { return s.Key(ctx, k.ID()) },
	} {
		got, err := get()
		if err != nil || got.ID() != k.ID() || string(got.Bytes()) != string(k.Bytes()) {
			t.Errorf("%s: %s, %v; want key %s", name, got.ID(), err, k.ID())
		}
	}
	kn := mustCreate(t, s, note)
	if kn.ID() == k.ID() {
		t.Error("the event's key is the incident's")
	}
	// A value sealed under a key opens with the key fetched by the ID the
	// sealed value names.
	at := seal.Place{EventID: "e1", Stream: "incident-2abc", Type: "NoteAdded", Path: "text"}
	sealed, err := seal.Seal(kn, at, "jane.doe@example.org")
	if err != nil {
		t.Fatal(err)
	}
	id, _ := seal.KeyIDOf(sealed)
	got, err := s.Key(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := seal.Open(got, at, sealed); err != nil || v != "jane.doe@example.org" {
		t.Errorf("Open = %q, %v", v, err)
	}
}

func destroy(t *testing.T, s keystore.Store) {
	ctx := context.Background()
	k := mustCreate(t, s, inc)
	kn := mustCreate(t, s, note)
	if err := s.Destroy(ctx, "ds1", kn.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key(ctx, kn.ID()); !errors.Is(err, keystore.ErrDestroyed) || !strings.Contains(err.Error(), "ds1") {
		t.Errorf("Key after Destroy: %v, want ErrDestroyed naming ds1", err)
	}
	if _, err := s.Get(ctx, note); !errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("Get after Destroy: %v, want ErrDestroyed", err)
	}
	if err := s.Destroy(ctx, "ds2", kn.ID()); err != nil {
		t.Errorf("destroying a destroyed key again: %v", err)
	}
	if err := s.Destroy(ctx, "ds3", k.ID(), "no-such-key"); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("Destroy naming an unknown ID: %v, want ErrNotFound", err)
	}
	if _, err := s.Key(ctx, k.ID()); err != nil {
		t.Errorf("a refused Destroy destroyed %s: %v", k.ID(), err)
	}
	// New values of a forgotten scope get a new key.
	kn2, err := s.Create(ctx, note)
	if err != nil || kn2.ID() == kn.ID() {
		t.Errorf("Create after Destroy: %s, %v; want a new key", kn2.ID(), err)
	}
}

func list(t *testing.T, s keystore.Store) {
	ctx := context.Background()
	k := mustCreate(t, s, inc)
	kn := mustCreate(t, s, note)
	other := mustCreate(t, s, keystore.Scope{Incident: "9xyz"})
	if err := s.Destroy(ctx, "ds1", kn.ID()); err != nil {
		t.Fatal(err)
	}
	kn2 := mustCreate(t, s, note)
	show := func(l []keystore.Info) string {
		var out []string
		for _, in := range l {
			out = append(out, fmt.Sprintf("%s %s destroyed=%v %s", in.ID, in.Scope, !in.Destroyed.IsZero(), in.DestroyedBy))
		}
		return strings.Join(out, "\n")
	}
	l, err := s.List(ctx, "2abc")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		k.ID() + " incident 2abc destroyed=false ",
		kn.ID() + " event e1 of incident 2abc destroyed=true ds1",
		kn2.ID() + " event e1 of incident 2abc destroyed=false ",
	}, "\n")
	if got := show(l); got != want {
		t.Errorf("List(2abc):\n%s\nwant:\n%s", got, want)
	}
	all, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(all))
	for i, in := range all {
		ids[i] = in.ID
	}
	if len(all) != 4 || !slices.Contains(ids, other.ID()) {
		t.Errorf("List(\"\"): %v, want the 4 keys", ids)
	}
	if l, _ := s.List(ctx, "none"); len(l) != 0 {
		t.Errorf("List of an incident without keys: %v", l)
	}
}

func pending(t *testing.T, s keystore.Store) {
	ctx := context.Background()
	k := mustCreate(t, s, inc)
	kn := mustCreate(t, s, note)
	if err := s.MarkPending(ctx, []string{"no-such-key"}, "ds0"); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("MarkPending of an unknown key: %v, want ErrNotFound", err)
	}
	if err := s.MarkPending(ctx, []string{kn.ID()}, ""); err == nil {
		t.Error("MarkPending without an event ID")
	}
	if err := s.MarkPending(ctx, []string{kn.ID()}, "ds1"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkPending(ctx, []string{k.ID()}, "ds2"); err != nil {
		t.Fatal(err)
	}
	p, err := s.PendingDestruction(ctx)
	if err != nil || len(p) != 2 || p[0].EventID != "ds1" || !slices.Equal(p[0].KeyIDs, []string{kn.ID()}) {
		t.Fatalf("PendingDestruction: %+v, %v", p, err)
	}
	// Only ds1 reached the ledger.
	done, err := s.FinishPending(ctx, func(_ context.Context, id string) (bool, error) { return id == "ds1", nil })
	if err != nil || len(done) != 1 || done[0].EventID != "ds1" {
		t.Fatalf("FinishPending: %+v, %v", done, err)
	}
	if _, err := s.Key(ctx, kn.ID()); !errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("finished intent left its key: %v", err)
	}
	if _, err := s.Key(ctx, k.ID()); err != nil {
		t.Errorf("an intent whose event is not in the ledger destroyed its key: %v", err)
	}
	// An error asking the ledger stops and destroys nothing more.
	if _, err := s.FinishPending(ctx, func(context.Context, string) (bool, error) { return false, errors.New("ledger unreachable") }); err == nil || !strings.Contains(err.Error(), "ledger unreachable") {
		t.Errorf("FinishPending with the ledger unreachable: %v", err)
	}
	if err := s.CancelPending(ctx, "ds2"); err != nil {
		t.Fatal(err)
	}
	if err := s.CancelPending(ctx, "ds2"); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("CancelPending twice: %v, want ErrNotFound", err)
	}
	if p, _ := s.PendingDestruction(ctx); len(p) != 0 {
		t.Errorf("pending after finish and cancel: %+v", p)
	}
	if _, err := s.Key(ctx, k.ID()); err != nil {
		t.Errorf("a cancelled intent destroyed its key: %v", err)
	}
}
