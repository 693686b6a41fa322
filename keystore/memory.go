package keystore

import (
	"context"
	"errors"
	"fmt"

	"github.com/breachledger/breachledger/seal"
)

// ErrReadOnly: the key store makes, destroys and records nothing.
var ErrReadOnly = errors.New("read-only key store")

// ReadOnly is a Store of given keys held in memory, known by ID only: the
// keys an auditor's bundle carries (export --with-keys), to open its
// sealed fields. It has no scopes (Get finds nothing), and it makes,
// destroys and records nothing: Create, Destroy and MarkPending are
// ErrReadOnly, and it never has an intent pending. Safe for concurrent
// use: nothing changes after NewReadOnly.
type ReadOnly struct {
	keys  map[string]seal.Key
	order []string
}

// NewReadOnly returns a read-only store of keys; a key given twice is
// kept once.
func NewReadOnly(keys ...seal.Key) *ReadOnly {
	s := &ReadOnly{keys: make(map[string]seal.Key, len(keys))}
	for _, k := range keys {
		if _, ok := s.keys[k.ID()]; ok || k.ID() == "" {
			continue
		}
		s.keys[k.ID()] = k
		s.order = append(s.order, k.ID())
	}
	return s
}

// Get finds no key: a read-only store knows keys by ID, not by scope.
func (s *ReadOnly) Get(_ context.Context, sc Scope) (seal.Key, error) {
	return seal.Key{}, fmt.Errorf("key of %s: a read-only key store knows keys by ID only: %w", sc, ErrNotFound)
}

// Create is refused.
func (s *ReadOnly) Create(_ context.Context, sc Scope) (seal.Key, error) {
	return seal.Key{}, fmt.Errorf("create a key for %s: %w (it holds the keys it was given)", sc, ErrReadOnly)
}

// Key returns the key of the ID, or ErrNotFound.
func (s *ReadOnly) Key(_ context.Context, id string) (seal.Key, error) {
	k, ok := s.keys[id]
	if !ok {
		return seal.Key{}, fmt.Errorf("key %s: %w", id, ErrNotFound)
	}
	return k, nil
}

// List describes every key, in the order given, when incident is "";
// none for an incident (the store knows no scopes).
func (s *ReadOnly) List(_ context.Context, incident string) ([]Info, error) {
	if incident != "" {
		return nil, nil
	}
	out := make([]Info, len(s.order))
	for i, id := range s.order {
		out[i] = Info{ID: id}
	}
	return out, nil
}

// Destroy is refused.
func (s *ReadOnly) Destroy(_ context.Context, _ string, ids ...string) error {
	return fmt.Errorf("destroy %d keys: %w (forget them by deleting what holds them)", len(ids), ErrReadOnly)
}

// MarkPending is refused.
func (s *ReadOnly) MarkPending(_ context.Context, keyIDs []string, _ string) error {
	return fmt.Errorf("record the intent to destroy %d keys: %w", len(keyIDs), ErrReadOnly)
}

// PendingDestruction lists nothing: no intent is ever recorded.
func (s *ReadOnly) PendingDestruction(context.Context) ([]Pending, error) { return nil, nil }

// FinishPending finishes nothing: no intent is ever recorded.
func (s *ReadOnly) FinishPending(context.Context, func(context.Context, string) (bool, error)) ([]Pending, error) {
	return nil, nil
}

// CancelPending finds no intent.
func (s *ReadOnly) CancelPending(_ context.Context, eventID string) error {
	return fmt.Errorf("cancel the intent of %s: %w", eventID, ErrNotFound)
}

// Close does nothing.
func (s *ReadOnly) Close() error { return nil }

var _ Store = (*ReadOnly)(nil)
