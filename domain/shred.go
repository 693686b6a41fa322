package domain

import "strings"

// Forgetting personal data (crypto-shredding, issue 25). Personal fields
// are stored sealed (personal.go); a DataShredded records that the data
// keys sealing some of an incident's fields are destroyed, so those fields
// are forgotten while the ledger, which commits to the sealed bytes, keeps
// verifying. It names what is forgotten without any of it: key IDs, event
// IDs and field paths. The keys are destroyed after it is appended (the
// CLI's shred); the domain only decides whether it may be recorded.

// CmdShred is the command that forgets personal fields.
const CmdShred CommandName = "shred"

// ShredBasis is why personal data is forgotten.
type ShredBasis string

// The bases of a shred.
const (
	// ShredRetention: the incident's retention period is over (a closed
	// incident only).
	ShredRetention ShredBasis = "retention"
	// ShredErasureRequest: a data subject asked for erasure (GDPR Art. 17).
	ShredErasureRequest ShredBasis = "erasure-request"
	// ShredMistakenEntry: personal data was recorded by mistake (a pasted
	// address in a note).
	ShredMistakenEntry ShredBasis = "mistaken-entry"
)

// ShredBases lists the bases, a fresh slice on each call.
func ShredBases() []ShredBasis {
	return []ShredBasis{ShredRetention, ShredErasureRequest, ShredMistakenEntry}
}

// ShredData forgets the personal fields of an incident, or of one of its
// events (Event set): the keys KeyIDs seal them (the caller reads them
// from the stored, sealed payloads: the domain sees only plaintext).
type ShredData struct {
	By
	Event  string // one event's own fields; "" for the whole incident
	Basis  ShredBasis
	Reason string
	KeyIDs []string // the live keys to destroy
	Events []string // the events whose fields they seal
	Fields []string // the field paths they seal ("text", "recipient")
	// Unsealed is how many of the chosen events hold personal fields in
	// clear (recorded before seal-personal-data was on): they cannot be
	// forgotten.
	Unsealed int
}

func (c ShredData) origin() By { return c.By }

// DataShredded records that the keys sealing some personal fields of the
// incident are destroyed: what it forgets, named without any of it.
type DataShredded struct {
	Event  string     `json:"event,omitempty"` // one event's own fields; "" for the incident's
	Basis  ShredBasis `json:"basis"`
	Reason string     `json:"reason"`
	KeyIDs []string   `json:"key_ids"`
	Events []string   `json:"events"`
	Fields []string   `json:"fields"`
}

func (DataShredded) isEvent() {}

func (e DataShredded) validate(fs *fields) {
	fs.add(checkEnum("basis", e.Basis, ShredBases()))
	fs.require("reason", e.Reason)
}

// decideShred decides a shred: legal or admin, on an existing incident,
// retention only once it is closed, and only what is sealed.
func decideShred(s *State, c ShredData, by By) ([]Event, error) {
	inc := &s.Incident
	if !inc.Exists {
		return nil, &NotFoundError{What: "incident", ID: inc.ID, Hint: `list incidents with "breachledger list"`}
	}
	if err := needRole(s, by, CmdShred); err != nil {
		return nil, err
	}
	if c.Basis == ShredRetention && !inc.Closed {
		return nil, refuse("shred-retention-open", "close the incident first, or give --basis erasure-request or mistaken-entry",
			"incident %s is open: a retention period runs from its closure", inc.ID)
	}
	if len(c.KeyIDs) == 0 {
		what := "incident " + inc.ID
		if c.Event != "" {
			what = "event " + c.Event
		}
		if c.Unsealed > 0 {
			return nil, refuse("shred-not-sealed", "nothing can forget them: record personal data only after \"breachledger setting seal-personal-data on\"",
				"the personal fields of %s were recorded before seal-personal-data was on: they are stored in clear, and a ledger is never edited", what)
		}
		return nil, refuse("shred-nothing-sealed", "nothing to do",
			"%s has no personal field sealed under a key that still exists: nothing is left to forget", what)
	}
	return one(DataShredded{Event: c.Event, Basis: c.Basis, Reason: strings.TrimSpace(c.Reason),
		KeyIDs: c.KeyIDs, Events: c.Events, Fields: c.Fields})
}
