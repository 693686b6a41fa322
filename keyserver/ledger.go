package keyserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
)

// Ledger is what the server reads of the ledger to decide a call.
type Ledger interface {
	// State returns the ledger stream's state as it stands now: the
	// signer registry and the roles.
	State(ctx context.Context) (domain.Ledger, error)
	// Shredded returns the key IDs the DataShredded event eventID forgets,
	// once the ledger holds it, accepted, signed by its author's key and
	// recorded by someone who may shred; an error matching ErrNoShred
	// (saying why) otherwise.
	Shredded(ctx context.Context, eventID string) ([]string, error)
}

// ErrNoShred: the ledger holds no DataShredded by that ID that may destroy
// keys.
var ErrNoShred = errors.New("no DataShredded event in the ledger")

// StoreLedger is the Ledger of an event store: the ledger the server reads
// on every call (open the store live, so appends made by others are seen).
type StoreLedger struct {
	Store eventstore.Store
}

var _ Ledger = StoreLedger{}

// State implements Ledger.
func (l StoreLedger) State(ctx context.Context) (domain.Ledger, error) {
	facts, err := ledger.ReadStream(ctx, l.Store, domain.LedgerStream)
	if err != nil {
		return domain.Ledger{}, fmt.Errorf("read the ledger stream: %w", err)
	}
	return domain.ReplayLedger(facts, domain.Cut{}), nil
}

// Shredded implements Ledger: it finds eventID in the log, and checks it is
// a DataShredded that no rejection struck out, signed by its author's key
// registered and active before it, by an actor who held a role that may
// shred at that point of the log.
func (l StoreLedger) Shredded(ctx context.Context, eventID string) ([]string, error) {
	var (
		rec   eventstore.Record
		found bool
	)
	for r, err := range eventstore.All(ctx, l.Store, 0) {
		if err != nil {
			return nil, fmt.Errorf("read the ledger: %w", err)
		}
		if r.ID.String() == eventID {
			rec, found = r, true
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("event %s: %w (it is not in the log yet, or never will be)", eventID, ErrNoShred)
	}
	if rec.Type != "DataShredded" {
		return nil, fmt.Errorf("event %s is a %s: %w", eventID, rec.Type, ErrNoShred)
	}
	facts, err := ledger.ReadStream(ctx, l.Store, domain.LedgerStream)
	if err != nil {
		return nil, fmt.Errorf("read the ledger stream: %w", err)
	}
	if ref, ok := domain.ReplayLedger(facts, domain.Cut{}).Custody.Rejected(rec.Sequence); ok {
		return nil, fmt.Errorf("the DataShredded %s was rejected by event %s: %w", eventID, ref.EventID, ErrNoShred)
	}
	before := slices.DeleteFunc(slices.Clone(facts), func(f domain.Fact) bool { return f.Sequence >= rec.Sequence })
	then := domain.ReplayLedger(before, domain.Cut{})
	if rec.Signer == "" {
		return nil, fmt.Errorf("the DataShredded %s is unsigned: %w (a key server destroys keys only on a signed shred)", eventID, ErrNoShred)
	}
	reg, ok := then.Signers.Key(rec.Signer)
	if !ok || !reg.Active() || reg.Actor != rec.Actor {
		return nil, fmt.Errorf("the DataShredded %s is signed by %s, not a key registered and active to %s before it: %w", eventID, rec.Signer, rec.Actor, ErrNoShred)
	}
	pub, _, err := integrity.ParseSignerKey(reg.Key)
	if err != nil {
		return nil, fmt.Errorf("the DataShredded %s: its signer's key: %w", eventID, err)
	}
	if err := integrity.VerifyEnvelope(integrity.EnvelopeOf(rec).Marshal(), rec.Signature, pub); err != nil {
		return nil, fmt.Errorf("the DataShredded %s: %v: %w", eventID, err, ErrNoShred)
	}
	if !then.HasAny(rec.Actor, domain.RolesFor(domain.CmdShred)) {
		return nil, fmt.Errorf("the DataShredded %s was recorded by %s, who held no role that may shred then: %w", eventID, rec.Actor, ErrNoShred)
	}
	var e domain.DataShredded
	if err := json.Unmarshal(rec.Payload, &e); err != nil {
		return nil, fmt.Errorf("the DataShredded %s: decode: %w", eventID, err)
	}
	return e.KeyIDs, nil
}
