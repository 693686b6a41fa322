package history

import (
	"fmt"

	"github.com/breachledger/breachledger/domain"
)

// Revocation races. Every write is decided on the ledger stream as its
// writer read it (who holds which role, which keys are registered), and
// records how many ledger events that was (Fact.Basis). On a store that
// checks the ledger stream in the append's own transaction (SQLite), a
// write whose ledger stream changed after it was read never lands: its
// writer reads again and decides again. On a store that cannot
// (EventStoreDB), it may land after a ledger event its writer never saw.
// When that event revoked the key the write is signed with, or a role of
// its actor, or (for an unsigned write) set another signature policy, the
// write lost the race: it was decided on a view of the ledger that no
// longer held when it took its place in the log. Such an
// event never counts: no reader folds it, the writer does not decide on
// it, and verify reports it as a race, not as tampering (its signature was
// made with a key that was valid when it was decided).
//
// The judgement is Races.Judge, and only it: History.Add, the writer's
// load, the kept read models and verify all use it.

// A Race says why an event lost a revocation race.
type Race struct {
	// Decided is the ledger revision the write was decided on (its Basis
	// less one): the last ledger event its writer had read.
	Decided uint64 `json:"decided"`
	// Revoked is the ledger revision of the revocation it did not see,
	// RevokedSeq its sequence in the log, and RevokedBy its event ID.
	Revoked    uint64 `json:"revoked"`
	RevokedSeq uint64 `json:"revoked_seq"`
	RevokedBy  string `json:"revoked_by"`
	// Type is the revocation's event type (SignerRevoked, RoleRevoked, or
	// SignaturePolicySet for an unsigned event); Key is the fingerprint of
	// the key it revoked (SignerRevoked), Role the role it took
	// (RoleRevoked), Actor whose key or role it was (for a policy, who set
	// it).
	Type  string      `json:"type"`
	Key   string      `json:"key,omitempty"`
	Role  domain.Role `json:"role,omitempty"`
	Actor string      `json:"actor"`
}

// String says what the race was, for a person: "decided at ledger
// revision N, revoked at M (...)".
func (r Race) String() string {
	switch r.Type {
	case "SignaturePolicySet":
		return fmt.Sprintf("decided at ledger revision %d, unsigned; the signature policy was set again at %d (by %s, event %s at seq %d)",
			r.Decided, r.Revoked, r.Actor, r.RevokedBy, r.RevokedSeq)
	case "SignerRevoked":
		return fmt.Sprintf("decided at ledger revision %d, revoked at %d (%s's key %s, by event %s at seq %d)",
			r.Decided, r.Revoked, r.Actor, r.Key, r.RevokedBy, r.RevokedSeq)
	}
	return fmt.Sprintf("decided at ledger revision %d, revoked at %d (%s's role %s, by event %s at seq %d)",
		r.Decided, r.Revoked, r.Actor, r.Role, r.RevokedBy, r.RevokedSeq)
}

// A RacedFact is a fact that lost a revocation race, and the race.
type RacedFact struct {
	Fact domain.Fact `json:"fact"`
	Race Race        `json:"race"`
}

// Races holds the revocations of a ledger stream, to judge other events
// against. The zero value holds none. Learn it the ledger stream's facts
// (in any order: each revocation is judged by its own revision and
// sequence), then Judge any fact that follows them.
type Races struct {
	keys     map[string][]Race // SignerRevoked, by fingerprint
	actors   map[string][]Race // RoleRevoked, by actor
	policies []Race            // SignaturePolicySet
}

// RacesOf returns the races the ledger facts decide.
func RacesOf(ledger []domain.Fact) *Races {
	rs := &Races{}
	for _, f := range ledger {
		rs.Learn(f)
	}
	return rs
}

// Learn records f when it is a revocation of the ledger stream (a
// SignerRevoked or RoleRevoked) or a signature policy; other facts are
// ignored.
func (rs *Races) Learn(f domain.Fact) {
	if f.Stream != domain.LedgerStream {
		return
	}
	at := Race{Revoked: f.Revision, RevokedSeq: f.Sequence, RevokedBy: f.ID, Type: f.Type}
	switch e := f.Event.(type) {
	case domain.SignerRevoked:
		if rs.keys == nil {
			rs.keys = map[string][]Race{}
		}
		at.Key, at.Actor = e.Fingerprint, e.Actor
		rs.keys[e.Fingerprint] = append(rs.keys[e.Fingerprint], at)
	case domain.RoleRevoked:
		if rs.actors == nil {
			rs.actors = map[string][]Race{}
		}
		at.Role, at.Actor = e.Role, e.Actor
		rs.actors[e.Actor] = append(rs.actors[e.Actor], at)
	case domain.SignaturePolicySet:
		at.Actor = f.Actor
		rs.policies = append(rs.policies, at)
	}
}

// Judge reports whether f lost a revocation race, and which: f records
// the ledger stream's length it was decided on (Basis > 0), and a
// revocation of its signer key or of a role of its actor, or (f unsigned)
// a signature policy, at that ledger revision or later, precedes it in the
// log. The first such event in the log is the one named.
func (rs *Races) Judge(f domain.Fact) (Race, bool) {
	return rs.Check(f.Actor, f.Signer, f.Basis, f.Sequence)
}

// Check is Judge for an event given by its actor, signer key fingerprint
// ("" for an unsigned event: then the signature policy is judged instead
// of a key), basis and sequence. With an empty actor, its roles are not
// judged.
func (rs *Races) Check(actor, signer string, basis, seq uint64) (Race, bool) {
	if rs == nil || basis == 0 {
		return Race{}, false
	}
	var first Race
	found := false
	consider := func(revs []Race) {
		for _, r := range revs {
			if r.Revoked >= basis && r.RevokedSeq < seq && (!found || r.RevokedSeq < first.RevokedSeq) {
				first, found = r, true
			}
		}
	}
	if signer != "" {
		consider(rs.keys[signer])
	} else {
		consider(rs.policies)
	}
	if actor != "" {
		consider(rs.actors[actor])
	}
	if !found {
		return Race{}, false
	}
	first.Decided = basis - 1
	return first, true
}

// Counting returns the facts of facts that count (a new slice), and those
// that lost a revocation race.
func (rs *Races) Counting(facts []domain.Fact) ([]domain.Fact, []RacedFact) {
	out := make([]domain.Fact, 0, len(facts))
	var raced []RacedFact
	for _, f := range facts {
		if r, ok := rs.Judge(f); ok {
			raced = append(raced, RacedFact{Fact: f, Race: r})
			continue
		}
		out = append(out, f)
	}
	return out, raced
}
