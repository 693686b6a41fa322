package domain

import (
	"fmt"
)

// Custody of the log. A record that no signed checkpoint covers was not
// appended through breachledger on a ledger whose appends are checkpointed
// in their own transaction: it was written around it (a row inserted into
// the file). Nothing signs such a record because of when it was recorded.
// The holder of the ledger key decides, and the decision is an event:
//
//   - ForeignEventRejected: the record never counts anywhere (readers skip
//     it, verify names it); the log keeps it, since nothing recorded is ever
//     removed, and the checkpoint signed with the rejection covers it.
//   - LegacyTailAccepted: records left uncovered by an older breachledger
//     (which could stop between an append and its checkpoint) are accepted
//     as genuine, once per ledger; reports show it.
//
// The domain records the decision; the write path checks that the records
// it names are the uncovered ones at those sequences (ledger.Checkpointer).

// ForeignEventRejected rejects the record at Seq, which no checkpoint
// covered: it is identified by its event ID and the SHA-256 of its Merkle
// leaf, so a rejection cannot be moved to another record.
type ForeignEventRejected struct {
	Seq        uint64 `json:"seq"`
	EventID    string `json:"event_id"`
	LeafSHA256 string `json:"leaf_sha256"` // hex SHA-256 of the record's leaf (integrity.Leaf)
	Type       string `json:"type"`        // as the record claimed, for reading
	Stream     string `json:"stream"`      // as the record claimed, for reading
	// Rule is the rule the record's append broke, when a notary rejected
	// it (its RuleError's rule: not-what-the-rules-decide,
	// signature-required, ...); empty for an admin's rejection of a
	// record written around breachledger.
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason"`
}

// LegacyTailAccepted accepts the uncovered records From..To (inclusive)
// as genuine: a tail an older breachledger left without a checkpoint.
// RootSHA256 is the hex SHA-256 over their leaf hashes in order, binding
// the acceptance to exactly those records.
type LegacyTailAccepted struct {
	From       uint64 `json:"from"`
	To         uint64 `json:"to"`
	RootSHA256 string `json:"leaves_sha256"`
	Reason     string `json:"reason"`
}

func (ForeignEventRejected) isEvent() {}
func (LegacyTailAccepted) isEvent()   {}

var uuidRE = lazyRE(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func (e ForeignEventRejected) validate(fs *fields) {
	if !uuidRE.MatchString(e.EventID) {
		fs.problem("event_id", e.EventID, "must be a lower-case UUID")
	}
	if !hexHashRE.MatchString(e.LeafSHA256) {
		fs.problem("leaf_sha256", e.LeafSHA256, "must be 64 lower-case hex digits")
	}
	fs.require("reason", e.Reason)
}

func (e LegacyTailAccepted) validate(fs *fields) {
	if e.To < e.From {
		fs.problem("to", fmt.Sprint(e.To), "must be at or after from (%d)", e.From)
	}
	if !hexHashRE.MatchString(e.RootSHA256) {
		fs.problem("leaves_sha256", e.RootSHA256, "must be 64 lower-case hex digits")
	}
	fs.require("reason", e.Reason)
}

// RejectForeign rejects uncovered records (admin, holding the ledger key:
// the write path signs the checkpoint that covers the decision).
type RejectForeign struct {
	By
	Records []ForeignEventRejected // Reason is taken from the command
	Reason  string
}

// AcceptLegacyTail accepts an uncovered tail as genuine (admin, holding
// the ledger key), once per ledger.
type AcceptLegacyTail struct {
	By
	Tail   LegacyTailAccepted // Reason is taken from the command
	Reason string
}

// Custody is what the ledger stream says of records written around
// breachledger.
type Custody struct {
	rejected   map[uint64]Ref
	legacyTail *LegacyTailAccepted
	legacyRef  Ref
}

// Rejected reports whether the record at seq was rejected, and by which
// event.
func (c Custody) Rejected(seq uint64) (Ref, bool) {
	r, ok := c.rejected[seq]
	return r, ok
}

// LegacyTail returns the legacy tail accepted, if one was, and the event
// that accepted it.
func (c Custody) LegacyTail() (LegacyTailAccepted, Ref, bool) {
	if c.legacyTail == nil {
		return LegacyTailAccepted{}, Ref{}, false
	}
	return *c.legacyTail, c.legacyRef, true
}

func (c *Custody) apply(f Fact) {
	switch e := f.Event.(type) {
	case ForeignEventRejected:
		if c.rejected == nil {
			c.rejected = map[uint64]Ref{}
		}
		if _, dup := c.rejected[e.Seq]; !dup {
			c.rejected[e.Seq] = f.ref()
		}
	case LegacyTailAccepted:
		if c.legacyTail == nil {
			t := e
			c.legacyTail, c.legacyRef = &t, f.ref()
		}
	}
}

func decideCustody(s *State, c Command, by By) ([]Event, error) {
	l := s.Ledger
	if n, ok := l.Notary(); ok {
		// The notary holds the ledger key: it alone judges the log.
		if by.Actor != n.Actor {
			return nil, refuse("custody-notary", "the notary rejects what the rules refuse, by itself",
				"on a ledger with a notary (%s, appointed %s), only the notary rejects or accepts records; %s is not it", n.Actor, stamp(n.Appointed.At), by.Actor)
		}
		if _, ok := c.(AcceptLegacyTail); ok {
			return nil, refuse("custody-notary", "nothing to accept: the notary checkpoints what the rules accept",
				"a notary accepts records by checkpointing them, not with a legacy-tail acceptance")
		}
	} else if !l.Has(by.Actor, RoleAdmin) {
		return nil, refuse("custody-role", "ask the admin who holds the ledger key",
			"records written around breachledger are rejected or accepted by an admin holding the ledger key; %s holds %s", by.Actor, rolesOrNone(l, by.Actor))
	}
	switch c := c.(type) {
	case RejectForeign:
		if len(c.Records) == 0 {
			return nil, refuse("reject-nothing", "name the uncovered records (\"breachledger verify\" lists them)", "no record to reject")
		}
		out := make([]Event, 0, len(c.Records))
		seen := map[uint64]bool{}
		for _, r := range c.Records {
			if ref, ok := l.Custody.Rejected(r.Seq); ok {
				return nil, refuse("reject-again", "nothing to do for it", "the record at sequence %d was already rejected (%s)", r.Seq, stamp(ref.At))
			}
			if seen[r.Seq] {
				return nil, refuse("reject-again", "name each record once", "sequence %d is named twice", r.Seq)
			}
			seen[r.Seq] = true
			r.Reason = c.Reason
			out = append(out, r)
		}
		return out, nil
	case AcceptLegacyTail:
		if t, ref, ok := l.Custody.LegacyTail(); ok {
			return nil, refuse("legacy-tail-once", "reject the uncovered records instead (\"breachledger checkpoint --reject SEQ --reason ...\")",
				"a legacy tail (sequences %d to %d) was already accepted %s; it can be accepted once per ledger", t.From, t.To, stamp(ref.At))
		}
		t := c.Tail
		t.Reason = c.Reason
		return one(t)
	}
	return nil, fmt.Errorf("decide: unknown custody command %T", c)
}
