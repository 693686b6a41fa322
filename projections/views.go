package projections

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
)

// IncidentView is the state of one incident at a cut: what `show` prints.
type IncidentView struct {
	AsOf    time.Time `json:"as_of"`
	KnownAt time.Time `json:"known_at"`
	domain.Incident
	Obligations  []domain.Obligation `json:"obligations"`
	NextDeadline *domain.Obligation  `json:"next_deadline"`
	// FactsNeeded are the rules that apply but wait for a determination
	// never made: no clock runs for them yet.
	FactsNeeded []domain.FactNeeded `json:"facts_needed"`
	// RiskAdvice is the risk advisor's suggestion from the recorded risk
	// factors, and where the recorded determination differs from it.
	RiskAdvice *domain.Advice `json:"risk_advice,omitempty"`
	Events     int            `json:"events"` // facts the cut sees
}

// Show builds the view of incident id. ok is false when the cut sees none of it.
func Show(ledger domain.Ledger, id string, facts []domain.Fact, cut domain.Cut) (IncidentView, bool) {
	inc := history.IncidentAt(id, facts, cut)
	if !inc.Exists {
		return IncidentView{}, false
	}
	obs := domain.Obligations(&inc, ledger.Settings, cut.AsOf)
	v := IncidentView{AsOf: cut.AsOf, KnownAt: cut.KnownAt, Incident: inc, Obligations: obs, FactsNeeded: domain.FactsNeeded(&inc), Events: len(inc.Facts)}
	if next, ok := domain.Next(obs); ok {
		v.NextDeadline = &next
	}
	if a, ok := domain.AdviceFor(&inc); ok {
		v.RiskAdvice = &a
	}
	emptySlices(&v)
	return v, true
}

// TimelineEntry is one event of an incident's timeline.
type TimelineEntry struct {
	Sequence    uint64    `json:"seq"`
	EventID     string    `json:"event_id"`
	At          time.Time `json:"at"`
	RecordedAt  time.Time `json:"recorded_at"`
	Actor       string    `json:"actor"`
	Signer      string    `json:"signer,omitempty"`
	Type        string    `json:"type"`
	Kind        string    `json:"kind"`
	Summary     string    `json:"summary"`
	CorrectedBy string    `json:"corrected_by,omitempty"`
	Original    string    `json:"original,omitempty"` // what was first recorded, when corrected
	OriginalAt  time.Time `json:"original_at,omitzero"`
	// Correction says who corrected the event and whether they signed:
	// At and Summary are then theirs, Actor and Signer the original's.
	Correction *domain.Correction `json:"correction,omitempty"`
}

// correctionOf describes the correction of a timeline entry, or names it
// when the entry does not carry it.
func correctionOf(e TimelineEntry) string {
	if e.Correction == nil {
		return "corrected by " + e.CorrectedBy
	}
	return DescribeCorrection(e.Correction)
}

// Timeline is an incident's events at a cut, in business-time order (ties
// in sequence order).
type Timeline struct {
	Incident string          `json:"incident"`
	AsOf     time.Time       `json:"as_of"`
	KnownAt  time.Time       `json:"known_at"`
	Entries  []TimelineEntry `json:"entries"`
}

// BuildTimeline builds the timeline of incident id.
func BuildTimeline(id string, facts []domain.Fact, cut domain.Cut) Timeline {
	t := Timeline{Incident: id, AsOf: cut.AsOf, KnownAt: cut.KnownAt, Entries: []TimelineEntry{}}
	for _, f := range domain.Corrected(facts, cut) {
		e := TimelineEntry{
			Sequence: f.Sequence, EventID: f.ID, At: f.At, RecordedAt: f.RecordedAt, Actor: f.Actor, Signer: f.Signer,
			Type: f.Type, Kind: Kind(f.Type), Summary: Describe(f.Event), CorrectedBy: f.CorrectedBy, Correction: f.Correction,
		}
		if f.CorrectedBy != "" {
			e.Original, e.OriginalAt = Describe(f.Original), f.OriginalAt
		}
		t.Entries = append(t.Entries, e)
	}
	sortByTime(t.Entries)
	return t
}

func sortByTime(es []TimelineEntry) {
	// insertion sort keeps it stable and is fast on the nearly-sorted input
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && less(es[j], es[j-1]); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

func less(a, b TimelineEntry) bool {
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	return a.Sequence < b.Sequence
}

// DeadlineRow is one obligation of one incident.
type DeadlineRow struct {
	Incident string `json:"incident"`
	Summary  string `json:"summary"`
	domain.Obligation
	// NowKnown is the same deadline as known at the filter's NowKnownAt,
	// when it differs from what the view's cut knew.
	NowKnown *Belief `json:"now_known,omitempty"`
	// UnderPack is the same obligation under the filter's ComparePack.
	UnderPack *PackReading `json:"under_pack,omitempty"`
	// OnlyUnder names the compared pack when only that pack has the obligation.
	OnlyUnder string `json:"only_under,omitempty"`
}

// DeadlineView is the deadline view at a cut.
type DeadlineView struct {
	AsOf      time.Time     `json:"as_of"`
	KnownAt   time.Time     `json:"known_at"`
	DueWithin string        `json:"due_within,omitempty"`
	Deadlines []DeadlineRow `json:"deadlines"`
	// FactsNeeded are the rules that apply but wait for a determination
	// never made, per incident: no due time, no status, never an alert.
	FactsNeeded []FactsNeededRow `json:"facts_needed"`
	// Alert is true when something is overdue, or (with DueWithin) open and
	// due within the window: the CLI then exits 7.
	Alert bool `json:"alert"`
}

// KeptDeadlineView is the deadline view with its rows still in the JSON
// the kept read models hold them in (projections/readmodel): it encodes to
// the same JSON as the DeadlineView it decodes to, so a reader that prints
// JSON need not decode every row.
type KeptDeadlineView struct {
	AsOf      time.Time         `json:"as_of"`
	KnownAt   time.Time         `json:"known_at"`
	DueWithin string            `json:"due_within,omitempty"`
	Deadlines []json.RawMessage `json:"deadlines"`
	// FactsNeeded are FactsNeededRow, as kept.
	FactsNeeded []json.RawMessage `json:"facts_needed"`
	Alert       bool              `json:"alert"`
}

// Decode returns the view with its rows decoded.
func (v KeptDeadlineView) Decode() (DeadlineView, error) {
	out := DeadlineView{AsOf: v.AsOf, KnownAt: v.KnownAt, DueWithin: v.DueWithin, Deadlines: make([]DeadlineRow, len(v.Deadlines)),
		FactsNeeded: make([]FactsNeededRow, len(v.FactsNeeded)), Alert: v.Alert}
	for i, raw := range v.Deadlines {
		if err := json.Unmarshal(raw, &out.Deadlines[i]); err != nil {
			return DeadlineView{}, fmt.Errorf("decode kept deadline %d: %w", i, err)
		}
	}
	for i, raw := range v.FactsNeeded {
		if err := json.Unmarshal(raw, &out.FactsNeeded[i]); err != nil {
			return DeadlineView{}, fmt.Errorf("decode kept fact needed %d: %w", i, err)
		}
	}
	return out, nil
}

// DeadlineFilter narrows the deadline view.
type DeadlineFilter struct {
	Incident  string        // only this incident
	DueWithin time.Duration // only open obligations due within this of AsOf (overdue included)
	Overdue   bool          // only overdue obligations
	Open      bool          // only open obligations
	Regimes   []string      // only these regimes (GDPR, NIS2, DORA, SEC, HIPAA...) or rule IDs
	// Statuses: only obligations with one of these status words.
	Statuses []domain.Status
	// Pack evaluates every incident under this pack instead of the one it
	// recorded; ComparePack shows that pack's reading beside the recorded one.
	Pack, ComparePack string
	// NowKnownAt, later than the cut's KnownAt, shows beside each deadline
	// the same deadline as known then, when it differs.
	NowKnownAt time.Time
}

// Deadlines builds the deadline view over every incident of h.
func Deadlines(h *history.History, cut domain.Cut, filter DeadlineFilter) DeadlineView {
	ledger := h.LedgerAt(cut)
	v := DeadlineView{AsOf: cut.AsOf, KnownAt: cut.KnownAt, Deadlines: []DeadlineRow{}}
	if filter.DueWithin > 0 {
		v.DueWithin = domain.FormatDuration(filter.DueWithin)
	}
	ids := h.IncidentIDs()
	if filter.Incident != "" {
		ids = slices.DeleteFunc(ids, func(id string) bool { return id != filter.Incident })
	}
	type incidentRows struct {
		rows  []DeadlineRow
		needs []FactsNeededRow
		alert bool
	}
	for _, ir := range eachIndex(len(ids), func(i int) incidentRows {
		id := ids[i]
		inc := history.IncidentAt(id, h.Incidents[id], cut)
		if !inc.Exists {
			return incidentRows{}
		}
		var out incidentRows
		for _, row := range DeadlineRowsOf(&inc, filter.obligations(&inc, ledger.Settings, cut.AsOf)) {
			keep, alert := filter.Admit(row.Obligation, cut.AsOf)
			if !keep {
				continue
			}
			out.alert = out.alert || alert
			out.rows = append(out.rows, row)
		}
		filter.beside(h, id, out.rows, cut)
		out.rows = append(out.rows, filter.onlyUnder(h, id, out.rows, cut)...)
		out.needs = filter.factsNeeded(&inc)
		return out
	}) {
		v.Alert = v.Alert || ir.alert
		v.Deadlines = append(v.Deadlines, ir.rows...)
		v.FactsNeeded = append(v.FactsNeeded, ir.needs...)
	}
	emptySlices(&v)
	return v
}

// ListEntry is one incident in the incident list.
type ListEntry struct {
	ID             string                `json:"id"`
	Summary        string                `json:"summary"`
	DetectedAt     time.Time             `json:"detected_at"`
	AwareAt        time.Time             `json:"aware_at"`
	Stage          domain.Stage          `json:"stage"`
	Closed         bool                  `json:"closed"`
	Classification domain.Classification `json:"classification,omitempty"`
	Severity       domain.Severity       `json:"severity,omitempty"`
	Priority       domain.Priority       `json:"priority,omitempty"`
	Declared       bool                  `json:"declared"`
	NextDeadline   *domain.Obligation    `json:"next_deadline"`
}

// IncidentList is the list of incidents at a cut.
type IncidentList struct {
	AsOf      time.Time   `json:"as_of"`
	KnownAt   time.Time   `json:"known_at"`
	Incidents []ListEntry `json:"incidents"`
}

// List builds the incident list; with open, closed incidents are left out.
func List(h *history.History, cut domain.Cut, open bool) IncidentList {
	ledger := h.LedgerAt(cut)
	l := IncidentList{AsOf: cut.AsOf, KnownAt: cut.KnownAt, Incidents: []ListEntry{}}
	ids := h.IncidentIDs()
	for _, e := range eachIndex(len(ids), func(i int) *ListEntry {
		inc := history.IncidentAt(ids[i], h.Incidents[ids[i]], cut)
		if !inc.Exists || (open && inc.Closed) {
			return nil
		}
		e := ListEntryOf(&inc, domain.Obligations(&inc, ledger.Settings, cut.AsOf))
		return &e
	}) {
		if e != nil {
			l.Incidents = append(l.Incidents, *e)
		}
	}
	emptySlices(&l)
	return l
}

// emptySlices replaces nil slices and maps reachable from v with empty ones,
// so JSON shows [] and {} rather than null: stable shapes for scripts.
func emptySlices(v any) { fill(reflect.ValueOf(v)) }

func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			fill(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.IsNil() && v.CanSet() {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() && v.CanSet() {
			v.Set(reflect.MakeMap(v.Type()))
		}
	}
}
