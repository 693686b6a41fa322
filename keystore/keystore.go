// Package keystore keeps the data keys that seal personal fields (package
// seal), apart from the ledger, so that destroying a key forgets every value
// sealed under it while the ledger, which is never edited, keeps verifying
// (crypto-shredding, issue 25).
//
// A key belongs to a Scope: an incident (its structured personal fields:
// recipients, contact addresses, evidence locations) or one event of an
// incident (its free text, so one pasted note can be forgotten alone);
// domain.PersonalFields says which field takes which. A key's ID is
// seal.KeyID of its bytes: it is written in every sealed value and commits
// to the key.
//
// Forgetting is an event: the caller records the intent (MarkPending: the
// keys and the ID of the DataShredded event about to be appended), appends
// the event durably, then calls FinishPending, which destroys the keys. A
// crash between the append and the destruction leaves the intent in the
// store; the next shred, or the next opening of the store, calls
// FinishPending again with a function that says whether the event reached
// the ledger (destroy) or not (keep the keys; retry the append under the
// same event ID, or CancelPending).
//
// Store is the interface; File implements it for one person (see New and
// Open). A team's key server (the notary, or a "keys serve" process that
// checks the caller's signature and role) or an external key service
// implements the same interface: a HashiCorp Vault transit key or a cloud
// KMS key (AWS KMS, Google Cloud KMS, Azure Key Vault) as the key-encryption
// key, wrapping data keys generated locally (GenerateDataKey / datakey
// endpoints) and stored wrapped beside their scope; or an HSM through
// PKCS#11 holding the key-encryption key (CKM_AES_KEY_WRAP_KWP) or the data
// keys themselves as extractable secret objects (C_DestroyObject as
// Destroy). A Store hands out key bytes (seal seals in this process), so a
// service that never releases a key would need sealing behind an interface
// too.
package keystore

import (
	"context"
	"errors"
	"time"

	"github.com/breachledger/breachledger/seal"
)

// A Scope names whose data key it is: an incident's, or one event's of an
// incident.
type Scope struct {
	Incident string // the incident's ID
	Event    string // an event ID for a per-event key; "" for the incident's key
}

// Info describes a key without its bytes.
type Info struct {
	ID      string
	Scope   Scope
	Created time.Time
	// Destroyed is when the key was destroyed, zero while it exists, and
	// DestroyedBy the DataShredded event that destroyed it ("" when
	// destroyed without one).
	Destroyed   time.Time
	DestroyedBy string
}

// Pending is an intent to destroy keys once the event that records it is
// in the ledger.
type Pending struct {
	EventID string   // the DataShredded event
	KeyIDs  []string // the keys it forgets
	Marked  time.Time
}

// Store keeps data keys.
type Store interface {
	// Get returns the live key of a scope: ErrNotFound when it never had
	// one, ErrDestroyed when its key was destroyed.
	Get(ctx context.Context, s Scope) (seal.Key, error)
	// Create returns the scope's live key, making one when it has none
	// (also after its key was destroyed: new values get a new key).
	Create(ctx context.Context, s Scope) (seal.Key, error)
	// Key returns a key by the ID a sealed value names: ErrNotFound or
	// ErrDestroyed.
	Key(ctx context.Context, id string) (seal.Key, error)
	// List describes the keys of an incident ("": every key), destroyed
	// ones included, in order of creation.
	List(ctx context.Context, incident string) ([]Info, error)
	// Destroy destroys keys durably, recording by (the DataShredded
	// event's ID) as why. A key already destroyed is left as it is; an
	// unknown ID is ErrNotFound and destroys nothing.
	Destroy(ctx context.Context, by string, ids ...string) error
	// MarkPending durably records the intent to destroy keyIDs once the
	// event eventID is in the ledger.
	MarkPending(ctx context.Context, keyIDs []string, eventID string) error
	// PendingDestruction lists the intents not yet finished.
	PendingDestruction(ctx context.Context) ([]Pending, error)
	// FinishPending destroys the keys of every intent whose event
	// appended reports is in the ledger, and returns those it finished.
	// An intent whose event is not there stays pending.
	FinishPending(ctx context.Context, appended func(ctx context.Context, eventID string) (bool, error)) ([]Pending, error)
	// CancelPending drops an intent whose event will never be appended.
	CancelPending(ctx context.Context, eventID string) error
	Close() error
}

// A BatchStore also hands out many keys in one call: a reader opening a
// page of records asks for all their keys at once (ledger.Opener).
type BatchStore interface {
	Store
	// LiveKeys returns the live keys among ids. An ID missing from the
	// result is unknown or destroyed: Key says which.
	LiveKeys(ctx context.Context, ids []string) (map[string]seal.Key, error)
}

var (
	// ErrNotFound: no such key.
	ErrNotFound = errors.New("no such data key")
	// ErrDestroyed: the key was destroyed; what it sealed is forgotten.
	ErrDestroyed = errors.New("data key destroyed")
	// ErrWrongKEK: the key-encryption key does not open this store.
	ErrWrongKEK = errors.New("wrong key-encryption key")
	// ErrPermissions: the file may be read by others than its owner.
	ErrPermissions = errors.New("key store readable by others")
	// ErrNotKeyStore: the file is not a key store.
	ErrNotKeyStore = errors.New("not a key store")
)
