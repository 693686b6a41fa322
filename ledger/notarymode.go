package ledger

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/integrity"
)

// Notary mode (domain.NotaryAppointed). A ledger checkpoints inline until
// an admin appoints a notary; from the appointment on, no writer holds the
// ledger key: writers append signed events, the notary re-decides and
// checkpoints them, and the log past the newest checkpoint is pending
// (lag), not foreign, on every store. The appointment carries the
// hand-over statement in which the ledger key until then names the
// notary's: checkpoints covering the appointment or anything after it are
// the notary's key's, and a checkpoint the old key signed there fails.

// An Appointment is a NotaryAppointed record of the ledger stream.
type Appointment struct {
	Seq   uint64
	Event domain.NotaryAppointed
	ID    string
}

// appointmentsIn returns the appointments among ledger-stream records, in
// order. A record whose payload does not decode is left to verify.
func appointmentsIn(recs []eventstore.Record) []Appointment {
	var out []Appointment
	for _, r := range recs {
		if r.Type != "NotaryAppointed" {
			continue
		}
		e, err := domain.Decode(r.Type, r.Payload)
		if err != nil {
			continue
		}
		out = append(out, Appointment{Seq: r.Sequence, Event: e.(domain.NotaryAppointed), ID: r.ID.String()})
	}
	return out
}

// A KeyChain is the keys that sign a ledger's checkpoints, as a reader who
// trusts one key follows the hand-overs the ledger records: First signs
// the checkpoints up to the first rotation, each rotation's key those
// after it.
type KeyChain struct {
	First     *integrity.PublicKey
	Rotations []integrity.Rotation
	// Invalid are appointments whose hand-over the chain's key does not
	// open: they appoint nobody.
	Invalid []integrity.Problem
}

// Notary reports whether the chain hands over to a notary.
func (k KeyChain) Notary() bool { return len(k.Rotations) > 0 }

// KeyAt returns the key that signs a checkpoint of size events.
func (k KeyChain) KeyAt(size uint64) *integrity.PublicKey {
	key, _ := integrity.KeyAt(k.First, k.Rotations, size)
	return key
}

// Open opens the signed note of a checkpoint of size events with the key
// that signs it.
func (k KeyChain) Open(size uint64, note []byte) (integrity.Checkpoint, error) {
	return integrity.OpenAt(k.First, k.Rotations, size, note)
}

// keyChainOf follows the appointments from trusted: an appointment counts
// when its hand-over opens with the key the chain has reached and names
// the key the appointment names. When trusted is already the key an
// appointment hands over to (a reader who pinned the notary's key), the
// key before it is taken from the statement, which that key signed.
func keyChainOf(trusted *integrity.PublicKey, apps []Appointment) KeyChain {
	chain := KeyChain{First: trusted}
	cur := trusted
	for _, a := range apps {
		note := []byte(a.Event.Handover)
		h, err := integrity.OpenHandover(note, cur)
		if err == nil && h.New.String() == a.Event.LedgerKey {
			chain.Rotations = append(chain.Rotations, integrity.Rotation{After: a.Seq, Key: h.New, Seq: a.Seq})
			cur = h.New
			continue
		}
		if len(chain.Rotations) == 0 && a.Event.LedgerKey == trusted.String() {
			if from, ferr := integrity.HandoverFrom(note); ferr == nil && from.New.String() == trusted.String() {
				chain.First = from.Old
				chain.Rotations = append(chain.Rotations, integrity.Rotation{After: a.Seq, Key: trusted, Seq: a.Seq})
				continue
			}
		}
		detail := fmt.Sprintf("the notary appointment's hand-over does not open with the ledger key %s: it appoints nobody", cur.Fingerprint())
		if err != nil {
			detail += fmt.Sprintf(" (%v)", err)
		} else {
			detail += " (it hands over to another key than the appointment names)"
		}
		chain.Invalid = append(chain.Invalid, integrity.Problem{Seq: a.Seq, EventID: a.ID, What: "appointment", Detail: detail})
	}
	return chain
}

// ReadKeyChain reads the ledger stream of st and follows its hand-overs
// from trusted.
func ReadKeyChain(ctx context.Context, st eventstore.Store, trusted *integrity.PublicKey) (KeyChain, error) {
	recs, err := readRecords(ctx, st, domain.LedgerStream)
	if err != nil {
		return KeyChain{}, err
	}
	return keyChainOf(trusted, appointmentsIn(recs)), nil
}

// CheckedHandover returns the hand-over of appointment a, checked without
// a key the caller trusts: signed by the key it hands over from, which
// signed the ledger's stored checkpoint the statement names (size and
// root), and handing over to the key the appointment names. Only the
// holder of the ledger key can make one that passes: a row written around
// breachledger cannot appoint a notary.
func CheckedHandover(ctx context.Context, st eventstore.Store, a domain.NotaryAppointed) (integrity.Handover, error) {
	h, err := integrity.HandoverFrom([]byte(a.Handover))
	if err != nil {
		return integrity.Handover{}, fmt.Errorf("its hand-over: %w", err)
	}
	if h.New.String() != a.LedgerKey {
		return integrity.Handover{}, fmt.Errorf("its hand-over is to key %s, not the key it names: %w", h.New.Fingerprint(), integrity.ErrIntegrity)
	}
	// A checkpoint no larger than the appointment's place is the old
	// key's own, whatever the ledger records after: no key chain to read.
	cp, err := storedCheckpoint(ctx, st, KeyChain{First: h.Old}, h.Size)
	if err != nil {
		return integrity.Handover{}, fmt.Errorf("its hand-over is from key %s, at the checkpoint of %d events: %w", h.Old.Fingerprint(), h.Size, err)
	}
	if !bytes.Equal(cp.Root, h.Root) {
		return integrity.Handover{}, fmt.Errorf("its hand-over names another root for the checkpoint of %d events than the ledger's: %w", h.Size, integrity.ErrIntegrity)
	}
	return h, nil
}

// NotaryMode reports whether the ledger in st has a notary appointed, as
// a writer, who holds no key it trusts, can tell: an appointment whose
// hand-over checks out (CheckedHandover). A reader follows the hand-over
// from the key it trusts (KeyChain).
func NotaryMode(ctx context.Context, st eventstore.Store) (bool, error) {
	recs, err := readRecords(ctx, st, domain.LedgerStream)
	if err != nil {
		return false, err
	}
	return appointedIn(ctx, st, recs), nil
}

// appointedIn reports whether the ledger-stream records recs hold an
// appointment whose hand-over checks out.
func appointedIn(ctx context.Context, st eventstore.Store, recs []eventstore.Record) bool {
	for _, a := range appointmentsIn(recs) {
		if _, err := CheckedHandover(ctx, st, a.Event); err == nil {
			return true
		}
	}
	return false
}

// notaryLag turns the "uncovered" problem of a verification of a ledger
// with a notary, whose ledger-stream records are recs, into rep.Pending: events the notary has not checkpointed
// yet are lag, and a problem ("lag") only when the oldest was recorded
// longer than the ledger's notary-lag before now.
func notaryLag(ctx context.Context, st eventstore.Store, recs []eventstore.Record, rep *integrity.Report, now time.Time) error {
	if now.IsZero() {
		now = time.Now()
	}
	kept := rep.Problems[:0]
	var uncovered *integrity.Problem
	for _, p := range rep.Problems {
		if p.What == "uncovered" && uncovered == nil {
			p := p
			uncovered = &p
			continue
		}
		kept = append(kept, p)
	}
	rep.Problems = kept
	if uncovered == nil {
		return nil
	}
	// The limit is the ledger's as its checkpointed, accepted events set
	// it: a setting waiting for the notary (or rejected) changes nothing,
	// so a forged "notary-lag 1000h" cannot hide a notary that stopped.
	rejected, err := rejectedIn(recs, uncovered.Seq)
	if err != nil {
		return err
	}
	facts, err := history.FactsOf(counting(recs, Coverage{Size: uncovered.Seq, Rejected: rejected}))
	if err != nil {
		return err
	}
	limit := domain.ReplayLedger(facts, domain.Cut{}).Settings.NotaryLag
	oldest, err := st.ReadAll(ctx, uncovered.Seq, 1)
	if err != nil {
		return fmt.Errorf("read the oldest record not yet checkpointed: %w", err)
	}
	p := &integrity.Pending{Count: rep.Events - uncovered.Seq, From: uncovered.Seq, Limit: domain.FormatDuration(limit)}
	if len(oldest) == 1 {
		p.OldestRecorded = oldest[0].RecordedAt
	}
	rep.Pending = p
	if waited := now.Sub(p.OldestRecorded); waited > limit {
		rep.Problems = append(rep.Problems, integrity.Problem{Seq: uncovered.Seq, EventID: uncovered.EventID, What: "lag",
			Detail: fmt.Sprintf("%s: the oldest has waited %s for the notary's checkpoint, longer than the ledger's notary-lag (%s): is the notary running? (\"breachledger notary run\")",
				p, waited.Round(time.Second), p.Limit)})
	}
	return nil
}
