package history

import (
	"fmt"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// Provenance names the part of the ledger a report was built from: a
// checkpoint of the log (its tree size and Merkle root), so that anyone with
// a copy of the ledger can rebuild the report from the same events, check
// them against the root ("breachledger verify"), and get the same bytes.
// The caller reads it from the store; a report only prints it.
type Provenance struct {
	Origin   string `json:"origin"`    // the ledger's log origin, which names its checkpoint key
	TreeSize uint64 `json:"tree_size"` // the events covered: sequences 0 to TreeSize-1
	Root     string `json:"root"`      // their Merkle root (RFC 6962), base64 as in the checkpoint
	RootHex  string `json:"root_hex"`
	// Signed: a signed checkpoint stored in the ledger commits to exactly
	// these events; Note is it, verbatim (a C2SP signed note).
	Signed bool   `json:"signed"`
	Note   string `json:"checkpoint,omitempty"`
	// Recomputed: the root was recomputed from the events read and matched
	// the checkpoint's.
	Recomputed bool `json:"recomputed"`
	// Signature says whether the checkpoint's signature was checked, and
	// with which key.
	Signature string `json:"signature"`
	// Custody: what the ledger-key holder decided about records written
	// around breachledger among these events (rejected ones are left out
	// of the report; an accepted legacy tail is in it), one line each.
	Custody []string `json:"custody,omitempty"`
	// Raced: the events among these that lost a revocation race (left out
	// of the report, as every reader leaves them out), one line each
	// (RaceNotes).
	Raced []string `json:"raced,omitempty"`
	// Authorship says which events no signature proves the author of (a
	// ledger not in signed mode, or the events before its switch to it);
	// "" when every author is proven.
	Authorship string `json:"authorship,omitempty"`
}

// CustodyNotes returns the footer lines of the custody decisions among
// ledger facts (domain.ForeignEventRejected, domain.LegacyTailAccepted).
func CustodyNotes(ledgerFacts []domain.Fact) []string {
	var out []string
	for _, f := range ledgerFacts {
		switch e := f.Event.(type) {
		case domain.ForeignEventRejected:
			out = append(out, fmt.Sprintf("Sequence %d (event %s, claiming %q in %q) was written around breachledger, not by it, and was rejected by %q at %s (event %s): %q. It is left out of this report.",
				e.Seq, e.EventID, e.Type, e.Stream, f.Actor, stamp(f.At), f.ID, e.Reason))
		case domain.LegacyTailAccepted:
			out = append(out, fmt.Sprintf("Sequences %d–%d were left without a checkpoint by an older breachledger and were accepted as genuine by %q at %s (event %s): %q.",
				e.From, e.To, f.Actor, stamp(f.At), f.ID, e.Reason))
		}
	}
	return out
}

// RaceNotes returns the footer lines of the events that lost a revocation
// race (History.Raced), in the order given: which event, and "decided at
// ledger revision N, revoked at M" with the revocation (Race.String).
func RaceNotes(raced []RacedFact) []string {
	var out []string
	for _, rf := range raced {
		f := rf.Fact
		out = append(out, fmt.Sprintf("Sequence %d (event %s, %q by %q in %q) lost a revocation race: %s. It never counts, and is left out of this report.",
			f.Sequence, f.ID, f.Type, f.Actor, f.Stream, rf.Race))
	}
	return out
}

// stamp formats a time as the notes print it.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}
