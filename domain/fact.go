package domain

import (
	"cmp"
	"slices"
	"time"
)

// A Fact is an event as recorded in the ledger: the event and its envelope.
type Fact struct {
	ID         string    `json:"event_id"`
	Sequence   uint64    `json:"seq"`
	Stream     string    `json:"stream"`
	Revision   uint64    `json:"revision"`
	Type       string    `json:"type"`
	At         time.Time `json:"at"` // business time: when the fact happened
	Actor      string    `json:"actor"`
	Signer     string    `json:"signer,omitempty"`
	RecordedAt time.Time `json:"recorded_at"`
	// Basis is how many ledger-stream events the writer decided on (the
	// ledger revision plus one); 0 when not recorded.
	Basis uint64 `json:"basis,omitempty"`
	Event Event  `json:"-"`

	// Set by Corrected when a later correction replaced what was recorded:
	// At and Event are then the correction's, Actor and Signer still the
	// original author's, and Correction says who corrected it.
	CorrectedBy string      `json:"corrected_by,omitempty"`
	Correction  *Correction `json:"correction,omitempty"`
	OriginalAt  time.Time   `json:"original_at,omitzero"`
	Original    Event       `json:"-"`
}

// Correction is who replaced a fact's recorded value, and whether they
// signed it: a corrected value is the corrector's act, never the original
// author's, so every view that shows it names them.
type Correction struct {
	EventID string    `json:"event_id"` // the EventCorrected
	At      time.Time `json:"at"`       // its business time
	Actor   string    `json:"actor"`
	Signer  string    `json:"signer,omitempty"` // fingerprint of the key it was signed with; "" when unsigned
	Signed  bool      `json:"signed"`
	Reason  string    `json:"reason"`
	Changed []string  `json:"changed"` // the fields it changed ("at" for the business time)
	// OriginalAt is the business time first recorded, before any correction.
	OriginalAt time.Time `json:"original_at"`
	// RecordedAt is when the correction was recorded.
	RecordedAt time.Time `json:"-"`
}

// Ref is the part of a fact that state entries keep: which event, when, by
// whom, and, for a corrected fact, who corrected it.
type Ref struct {
	EventID string    `json:"event_id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	// Corrected is set when the entry shows a corrected value (At and the
	// entry's fields are the correction's): Actor recorded the fact,
	// Corrected.Actor changed it.
	Corrected *Correction `json:"corrected,omitempty"`
	// RecordedAt is when the ledger learnt what the entry shows: the
	// fact's recorded time, or its correction's when that is later. A
	// status judged on business time says how late this was (Obligation's
	// RecordedLateBy).
	RecordedAt time.Time `json:"-"`
}

func (f Fact) ref() Ref {
	r := Ref{EventID: f.ID, At: f.At, Actor: f.Actor, Corrected: f.Correction, RecordedAt: f.RecordedAt}
	if f.Correction != nil && f.Correction.RecordedAt.After(r.RecordedAt) {
		r.RecordedAt = f.Correction.RecordedAt
	}
	return r
}

// signedNow reports whether what f shows was signed: f itself, or the
// correction that set its current value.
func (f Fact) signedNow() bool {
	return f.Signer != "" || (f.Correction != nil && f.Correction.Signed)
}

// Cut selects the part of a history a reader asks about (BRIEF: time is
// bitemporal). A zero field does not cut.
type Cut struct {
	// AsOf keeps the facts whose business time is at or before it; clocks
	// are evaluated at it.
	AsOf time.Time
	// KnownAt keeps the facts recorded at or before it: what the ledger knew then.
	KnownAt time.Time
}

// Known reports whether f had been recorded by the cut's KnownAt.
func (c Cut) Known(f Fact) bool { return c.KnownAt.IsZero() || !f.RecordedAt.After(c.KnownAt) }

// Happened reports whether f's business time is at or before AsOf.
func (c Cut) Happened(f Fact) bool { return c.AsOf.IsZero() || !f.At.After(c.AsOf) }

// Corrected returns the facts of one stream as the cut sees them, in
// sequence order: only facts known at KnownAt; every fact that a known
// correction targets read as its latest correction (business time and
// payload), with the original kept beside it; then only facts whose business
// time is at or before AsOf. Corrections themselves are kept (at their own
// business time), so a view can show what was corrected and why.
func Corrected(facts []Fact, cut Cut) []Fact {
	if untouched(facts, cut) {
		return slices.Clip(facts) // nothing to cut or correct: no copy
	}
	known := make([]Fact, 0, len(facts))
	latest := map[string]Fact{} // target ID → latest correction fact
	for _, f := range facts {
		if !cut.Known(f) {
			continue
		}
		known = append(known, f)
		if c, ok := f.Event.(EventCorrected); ok {
			if prev, seen := latest[c.Target]; !seen || f.Sequence > prev.Sequence {
				latest[c.Target] = f
			}
		}
	}
	if !slices.IsSortedFunc(known, bySequence) {
		slices.SortStableFunc(known, bySequence)
	}
	out := known[:0]
	for _, f := range known {
		if cf, ok := latest[f.ID]; ok {
			c := cf.Event.(EventCorrected)
			if c.TargetType == f.Type && c.Replacement != nil {
				f.OriginalAt, f.Original = f.At, f.Event
				f.At, f.Event, f.CorrectedBy = c.At, c.Replacement, cf.ID
				f.Correction = &Correction{EventID: cf.ID, At: cf.At, Actor: cf.Actor, Signer: cf.Signer, Signed: cf.Signer != "", Reason: c.Reason,
					Changed: c.Changed, OriginalAt: f.OriginalAt, RecordedAt: cf.RecordedAt}
			}
		}
		if cut.Happened(f) {
			out = append(out, f)
		}
	}
	return out
}

// untouched reports whether Corrected would return facts as they are: in
// sequence order, every one known and happened at the cut, none a
// correction.
func untouched(facts []Fact, cut Cut) bool {
	for i, f := range facts {
		if i > 0 && f.Sequence < facts[i-1].Sequence {
			return false
		}
		if !cut.Known(f) || !cut.Happened(f) {
			return false
		}
		if _, ok := f.Event.(EventCorrected); ok {
			return false
		}
	}
	return true
}

func bySequence(a, b Fact) int { return cmp.Compare(a.Sequence, b.Sequence) }

// Replay folds the facts of one incident stream, as the cut sees them, into
// the incident's state.
func Replay(facts []Fact, cut Cut) Incident {
	var inc Incident
	folded := Corrected(facts, cut)
	for _, f := range folded {
		inc.apply(f)
	}
	inc.Facts = folded
	return inc
}

// ReplayLedger folds the facts of the ledger stream into the ledger's state.
// Ledger facts are never corrected, so only the cut applies.
func ReplayLedger(facts []Fact, cut Cut) Ledger {
	l := NewLedger()
	for _, f := range facts {
		if cut.Known(f) && cut.Happened(f) {
			l.apply(f)
		}
	}
	return l
}

// Evolve returns the incident after f. It never fails: events are facts.
// Evolve does not apply corrections to earlier facts; use Replay for that.
func Evolve(inc Incident, f Fact) Incident {
	inc.apply(f)
	inc.Facts = append(slices.Clip(inc.Facts), f)
	return inc
}
