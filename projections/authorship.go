package projections

import (
	"fmt"

	"github.com/breachledger/breachledger/domain"
)

// Authorship says which of a ledger's events a signature proves the
// author of (README: Who signs), as JSON answers give it beside their
// ledger information; the CLI's readers say the same in one line on
// stderr (Note). Exactly one shape:
//
//   - a ledger made in signed mode: {"proven_from_seq": 0};
//   - a ledger switched to signed mode at seq N: {"proven_from_seq": N,
//     "reason": "events before seq N: authorship unproven (...)"};
//   - a ledger not in signed mode: {"unproven": true, "reason": "..."}.
type Authorship struct {
	// ProvenFromSeq: from this sequence on, every event is signed by its
	// author's registered key; absent when the ledger is not in signed mode.
	ProvenFromSeq *uint64 `json:"proven_from_seq,omitempty"`
	// Unproven: no signature proves who recorded any event.
	Unproven bool `json:"unproven,omitempty"`
	// Reason says which authors are unproven and why, in the words of the
	// CLI's "authorship unproven" line; absent when every author is proven.
	Reason string `json:"reason,omitempty"`
}

// AuthorshipOf returns what the signed mode of the ledger l proves. Of a
// ledger not initialised there is nothing to say: every author is
// proven, of no event.
func AuthorshipOf(l domain.Ledger) Authorship {
	since, signed := l.SignedSince()
	if !l.Initialized {
		since, signed = 0, true
	}
	return AuthorshipFrom(signed, since)
}

// AuthorshipFrom returns the authorship of a ledger in signed mode from
// seq since (signed), or not in signed mode.
func AuthorshipFrom(signed bool, since uint64) Authorship {
	if !signed {
		return Authorship{Unproven: true, Reason: `authorship unproven: this ledger is not in signed mode, so no signature proves who recorded its events (an admin switches it on with "breachledger signature-policy --all")`}
	}
	a := Authorship{ProvenFromSeq: &since}
	if since > 0 {
		a.Reason = fmt.Sprintf("events before seq %d: authorship unproven (recorded before the ledger was switched to signed mode; from seq %d on, every event is signed by its author's registered key)", since, since)
	}
	return a
}

// Note is the one line a reader prints on authorship, "" when every
// author is proven.
func (a Authorship) Note() string { return a.Reason }
