package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/seal"
)

// ErrNoKeyStore: the reader has no key store, so no sealed value opens.
var ErrNoKeyStore = errors.New("no key store")

// Unopened is a sealed value an Opener did not open: its reader sees
// "[sealed]" in its place, or, Forgotten, what a DataShredded made of it
// ("[forgotten on DATE, basis]").
type Unopened struct {
	Seq     uint64 // the record's sequence
	EventID string
	Stream  string
	Path    string // the field's concrete path ("recipient", "systems[1]")
	KeyID   string // "" when the value names no key it can be read with
	// Err says why: ErrNoKeyStore; the key store's error for KeyID
	// (keystore.ErrNotFound, or a failure to reach it); or, the key
	// found, why the value does not open with it (seal.ErrOpen: it was
	// not sealed with that key for that place). Nil when Forgotten.
	Err       error
	Forgotten bool // its key was destroyed: nobody opens it any more
}

// Invalid reports whether the value cannot be one its writer sealed: it
// names no key, or does not open with the key it names (a ciphertext
// changed, or copied from another field or event). Any other unopened
// value may open for a reader with the key.
func (u Unopened) Invalid() bool {
	if u.Forgotten {
		return false
	}
	return u.KeyID == "" || errors.Is(u.Err, seal.ErrOpen) || errors.Is(u.Err, seal.ErrKeyMismatch) || errors.Is(u.Err, seal.ErrNotSealed)
}

func (u Unopened) Error() string {
	if u.Forgotten {
		return fmt.Sprintf("the %s of event %s (sequence %d) is forgotten (key %s)", u.Path, u.EventID, u.Seq, u.KeyID)
	}
	return fmt.Sprintf("the %s of event %s (sequence %d) does not open (key %s): %v", u.Path, u.EventID, u.Seq, u.KeyID, u.Err)
}

// OpenReport is Open that also returns the sealed values of recs that it
// did not open, forgotten or left "[sealed]", and why: a reader that must
// not act on a value it could not read (the notary, which re-decides
// appends on their plaintext) tells them from a value whose plaintext
// reads "[sealed]" or "[forgotten ...]".
func (o *Opener) OpenReport(ctx context.Context, recs []eventstore.Record) ([]eventstore.Record, []Unopened, error) {
	if !anySealed(recs) {
		return recs, nil, nil
	}
	opened, err := o.Open(ctx, recs)
	if err != nil {
		return nil, nil, err
	}
	var (
		out       []Unopened
		forgotten = &forgottenKeys{keys: ForgottenKeys(recs), store: o.Store}
		sealed    = []byte(`"` + SealedPlaceholder + `"`)
		forgot    = []byte(`"[forgotten`)
	)
	for i := range recs {
		// Only a record whose opened payload holds "[sealed]" or
		// "[forgotten" may hold an unopened value: its values are looked
		// at one by one.
		if !bytes.Contains(opened[i].Payload, sealed) && !bytes.Contains(opened[i].Payload, forgot) {
			continue
		}
		r := &recs[i]
		doc, err := decodeDoc(r.Payload)
		if err != nil {
			return nil, nil, fmt.Errorf("open event %s: %w", r.ID, err)
		}
		err = o.eachSealed(r, doc, func(path, v string) (string, error) {
			if u, ok := o.unopened(ctx, r, path, v, forgotten); ok {
				out = append(out, u)
			}
			return v, nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return opened, out, nil
}

// unopened says whether sealed value v, at path of r, reads "[sealed]",
// and why.
func (o *Opener) unopened(ctx context.Context, r *eventstore.Record, path, v string, forgotten *forgottenKeys) (Unopened, bool) {
	u := Unopened{Seq: r.Sequence, EventID: r.ID.String(), Stream: r.Stream, Path: path}
	id, err := seal.KeyIDOf(v)
	if err != nil {
		u.Err = err
		return u, true
	}
	u.KeyID = id
	if _, ok := forgotten.keys[id]; ok {
		u.Forgotten = true
		return u, true
	}
	if _, ok := forgotten.inStream(ctx, r.Stream)[id]; ok {
		u.Forgotten = true
		return u, true
	}
	if o.Keys == nil {
		u.Err = ErrNoKeyStore
		return u, true
	}
	ks, err := o.Keys(ctx)
	if err != nil {
		u.Err = fmt.Errorf("open the key store: %w", err)
		return u, true
	}
	if ks == nil {
		u.Err = ErrNoKeyStore
		return u, true
	}
	k, err := ks.Key(ctx, id)
	if errors.Is(err, keystore.ErrDestroyed) {
		u.Forgotten = true // "[forgotten]"
		return u, true
	}
	if err != nil {
		u.Err = err
		return u, true
	}
	if _, err := seal.Open(k, seal.Place{EventID: r.ID.String(), Stream: r.Stream, Type: r.Type, Path: path}, v); err != nil {
		u.Err = err
		return u, true
	}
	return u, false // its plaintext is "[sealed]"
}
