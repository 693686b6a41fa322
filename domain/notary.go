package domain

// verifierKeyRE is the form of a C2SP note verifier key: NAME+HASH+KEY,
// where the name holds no '+' and the base64 key may.
var verifierKeyRE = lazyRE(`^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$`)

// Notary mode. On a team ledger no writer holds the ledger key: one notary
// process does. It follows the log, re-decides every append (Redecide)
// and checkpoints what the rules accept; an append they refuse it rejects
// with a ForeignEventRejected naming the rule, signed with its own key
// (the ledger key, registered as an SSH signer for the notary's actor).
//
// NotaryAppointed switches a ledger to notary mode. It carries the
// hand-over statement (integrity.SignHandover) in which the ledger key
// until then names the notary's key: checkpoints of the log up to the
// appointment are the old key's, every later checkpoint is the notary's.
// The domain does no cryptography: the caller makes and checks the
// statement; the domain records who appointed whom, under which rules.

// NotaryAppointed appoints Actor as the ledger's notary, holding the
// ledger key LedgerKey (a C2SP note verifier key) from this event on.
type NotaryAppointed struct {
	Actor     string `json:"actor"`
	LedgerKey string `json:"ledger_key"` // the notary's ledger public key (note verifier key)
	Handover  string `json:"handover"`   // the hand-over statement, signed by the ledger key before it
	Reason    string `json:"reason"`
}

func (NotaryAppointed) isEvent() {}

func (e NotaryAppointed) validate(fs *fields) {
	fs.require("actor", e.Actor)
	if !verifierKeyRE.MatchString(e.LedgerKey) {
		fs.problem("ledger_key", e.LedgerKey, "must be a note verifier key (NAME+HASH+KEY)")
	}
	fs.require("handover", e.Handover)
	fs.require("reason", e.Reason)
}

// AppointNotary appoints a notary (admin, on a ledger in signed mode): it
// registers the notary's SSH key (Key, Fingerprint: the ledger key's) for
// Actor and records the appointment with the hand-over.
type AppointNotary struct {
	By
	Actor, Key, Fingerprint string
	LedgerKey, Handover     string
	Reason                  string
}

// Notary is the ledger's notary, once one is appointed.
type Notary struct {
	NotaryAppointed
	Appointed Ref // the appointment
}

// Notary returns the ledger's notary, and false on a ledger that
// checkpoints inline (none was appointed).
func (l Ledger) Notary() (Notary, bool) {
	if l.notary == nil {
		return Notary{}, false
	}
	return *l.notary, true
}

func decideNotary(s *State, c AppointNotary, by By) ([]Event, error) {
	l := s.Ledger
	if !l.Has(by.Actor, RoleAdmin) {
		return nil, refuse("notary-role", "ask an admin", "a notary is appointed by an admin; %s holds %s", by.Actor, rolesOrNone(l, by.Actor))
	}
	if _, ok := l.SignedSince(); !ok {
		return nil, refuse("notary-signed-mode", "switch the ledger to signed mode first (\"breachledger signature policy --all\")",
			"a notary accepts an append only when its author's signature verifies; on a ledger not in signed mode an author is only a name")
	}
	if n, ok := l.Notary(); ok {
		return nil, refuse("notary-once", "keep the notary; to move it, rotate its key with a hand-over",
			"%s was appointed notary %s", n.Actor, stamp(n.Appointed.At))
	}
	if err := checkNewActorName("notary", c.Actor); err != nil {
		return nil, err
	}
	if l.Has(c.Actor, RoleAdmin) || len(l.RolesOf(c.Actor)) > 0 {
		return nil, refuse("notary-apart", "name an actor of its own for the notary (e.g. \"notary\")",
			"%s holds %s: the notary records only rejections and must not be a writer", c.Actor, rolesOrNone(l, c.Actor))
	}
	if _, taken := l.Signers.Key(c.Fingerprint); taken {
		return nil, refuse("notary-key-new", "give the notary a ledger key of its own (\"breachledger key hand-over --generate\")",
			"key %s is registered already", c.Fingerprint)
	}
	return []Event{
		SignerRegistered{Actor: c.Actor, Key: c.Key, Fingerprint: c.Fingerprint, Reason: c.Reason},
		NotaryAppointed{Actor: c.Actor, LedgerKey: c.LedgerKey, Handover: c.Handover, Reason: c.Reason},
	}, nil
}
