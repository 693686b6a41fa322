package domain

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The typed conventions below were added with pack 2026.2: each states, as
// data an auditor can read beside the obligation, a choice the engine used
// to make silently (how a month ends, when a limb that has passed stops
// counting, which day a filing counts as filed, whose deadlines are
// doubled). Older packs leave them empty and keep their answers.

// LimitPassed says what a rule's second limb means when it has already
// passed at the anchor: DORA's "no later than 24 hours from awareness"
// for an incident classified as major more than 24 hours after awareness.
type LimitPassed string

// Readings of a limb that has passed.
const (
	// LimitPassedApplies (the default, written ""): the limb applies as
	// written, so the obligation is due before the fact that creates it.
	// Packs 2026.1 and earlier read it so: a known defect (KnownDefects).
	LimitPassedApplies LimitPassed = ""
	// LimitPassedLapses: a limb that has passed by the anchor no longer
	// applies; the period from the anchor alone decides.
	LimitPassedLapses LimitPassed = "lapses"
)

// MonthConvention is how a rule counts a period in months: where it ends,
// in which zone, what a last day on a weekend or holiday does, and why,
// with the legal basis and what is still to verify. Two month rules of one
// pack that count differently each say why (Why).
type MonthConvention struct {
	// EndOfDay: the period ends with the last second of the day N months
	// on (EndOfDayLocal), or at the anchor's wall-clock time (EndAtInstant).
	EndOfDay PeriodEnd `json:"end_of_day"`
	// Zone is whose clock counts the days: ZoneAuthority.
	Zone Zone `json:"zone"`
	// Closed is what a last day on a weekend or public holiday does.
	Closed ClosedDay `json:"closed_day"`
	Basis  string    `json:"basis"`            // the legal basis of the convention
	Why    string    `json:"why,omitempty"`    // why it differs from another month rule of the pack
	Verify string    `json:"verify,omitempty"` // what is a reading, to verify against the official text
}

// Zone names the clock a convention counts days on.
type Zone string

// Zones.
const (
	// ZoneAuthority: the zone of the calendar that counts the rule, the
	// authority's jurisdiction (for NIS2 and DORA the Member State of
	// establishment).
	ZoneAuthority Zone = "authority"
)

// ClosedDay says what a period's last day on a weekend or public holiday
// does.
type ClosedDay string

// Closed-day conventions.
const (
	// ClosedStays: the period ends on that day all the same.
	ClosedStays ClosedDay = "stays"
	// ClosedRollsOver: the rule's Rollover moves it (and the rule has one).
	ClosedRollsOver ClosedDay = "rule-rollover"
)

// FilingDay is a filing system's day: a filing transmitted after the
// cut-off (local time on the rule's calendar), or on a day that calendar
// is closed, is deemed filed on the next day it is open (EDGAR: Regulation
// S-T Rule 13(a)).
type FilingDay struct {
	Cutoff   string `json:"cutoff"` // "17:30"
	Citation string `json:"citation"`
	Verify   string `json:"verify,omitempty"`
}

// cutoff returns the cut-off's hour and minute.
func (f FilingDay) cutoff() (hour, minute int, err error) {
	h, m, ok := strings.Cut(f.Cutoff, ":")
	hour, errH := strconv.Atoi(h)
	minute, errM := strconv.Atoi(m)
	if !ok || errH != nil || errM != nil || hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return 0, 0, fmt.Errorf("filing day cut-off %q: write HH:MM (e.g. 17:30)", f.Cutoff)
	}
	return hour, minute, nil
}

// Deemed returns when a filing transmitted at t counts as filed on cal:
// t itself on an open day up to the cut-off, else the start of the next
// open day; and why, when it moved.
func (f FilingDay) Deemed(t time.Time, cal Calendar) (time.Time, string) {
	hour, minute, err := f.cutoff()
	if err != nil {
		panic(err) // Pack.Validate refuses it
	}
	loc := cal.Location()
	local := t.In(loc)
	y, m, d := local.Date()
	limit := time.Date(y, m, d, hour, minute, 0, 0, loc)
	closedWhy, closed := cal.Closed(local)
	if !closed && !local.After(limit) {
		return t, ""
	}
	day := nextOpenDay(local, cal)
	next := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	why := fmt.Sprintf("transmitted %s, after the %s cut-off", local.Format("Mon 2006-01-02 15:04 MST"), f.Cutoff)
	if closed {
		why = fmt.Sprintf("transmitted %s, a day the filing system counts as closed (%s)", local.Format("Mon 2006-01-02 15:04 MST"), closedWhy)
	}
	return next, fmt.Sprintf("%s: deemed filed %s (%s)", why, next.Format("Mon 2006-01-02"), f.Citation)
}

// endOfDay reports whether a period in months ends at the end of its last
// day: the convention's word (2026.2 and later), else EndOfDay.
func (r *Rule) endOfDay() bool {
	if r.Months != nil {
		return bool(r.Months.EndOfDay)
	}
	return bool(r.EndOfDay)
}

// Scaling multiplies a rule's period for the entity types it names
// (Brazil: small processing agents get double the time).
type Scaling struct {
	For      []EntityType `json:"for"`
	Factor   int          `json:"factor"`
	Citation string       `json:"citation"`
	Verify   string       `json:"verify,omitempty"`
}

// scaled returns the period of r for inc (the rule's, multiplied by the
// first scaling whose entity type the profile records) and a note saying
// why, when it was.
func (r *Rule) scaled(inc *Incident) (Period, string, string) {
	p := r.Period
	for _, s := range r.Scaled {
		if inc.Regulatory.HasEntityType(s.For...) {
			p.N *= s.Factor
			return p, fmt.Sprintf("×%d for a %s (%s)", s.Factor, strings.ReplaceAll(joinTypes(s.For), ", ", " or "), s.Citation), s.Verify
		}
	}
	return p, "", ""
}

func joinTypes(ts []EntityType) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return strings.Join(out, ", ")
}

// EntityTypesUsed returns the entity types some rule of the pack reads
// (applicability, exclusions, roll-over exceptions, scalings, the
// per-authority fan-out's markers), in EntityTypes order: the others change
// nothing under this pack.
func (p Pack) EntityTypesUsed() []EntityType {
	used := map[EntityType]bool{}
	for _, r := range p.Rules {
		for _, ts := range [][]EntityType{r.Applies.EntityTypes, r.Applies.NotEntityTypes, r.RolloverExcept, r.OutsideEEAIf} {
			for _, t := range ts {
				used[t] = true
			}
		}
		for _, s := range r.Scaled {
			for _, t := range s.For {
				used[t] = true
			}
		}
	}
	var out []EntityType
	for _, t := range EntityTypes() {
		if used[t] {
			out = append(out, t)
		}
	}
	return out
}

// RecordableEntityTypes are the entity types a new incident's profile may
// record: those the current pack reads. The others are refused for
// incidents pinned to a pack from 2026.2 on (rule entity-type-no-effect);
// old events that carry them still replay, and incidents pinned to older
// packs are decided as their histories were.
func RecordableEntityTypes() []EntityType { return CurrentPack().EntityTypesUsed() }

// KnownDefect is a fault found in a released pack after its release. The
// pack keeps its answers (a history replayed under it must compute what it
// computed then); every obligation it touches is marked, with the reading
// of the pack that fixed it beside it.
type KnownDefect struct {
	ID          string   `json:"id"`
	Pack        string   `json:"pack"`
	Rules       []string `json:"rules,omitempty"` // the rules known to show it
	Description string   `json:"description"`
	FixedIn     string   `json:"fixed_in"`
}

// DefectDueBeforeTrigger is the known defect of a due time before the fact
// that creates the obligation.
const DefectDueBeforeTrigger = "due-before-trigger"

// KnownDefects returns the known defects of a pack version.
func KnownDefects(version string) []KnownDefect {
	var out []KnownDefect
	for _, d := range knownDefects() {
		if d.Pack == version {
			out = append(out, d)
		}
	}
	return out
}

func knownDefects() []KnownDefect {
	return []KnownDefect{
		{ID: DefectDueBeforeTrigger, Pack: "2025.1", FixedIn: "2026.2",
			Description: "the pack does not check that a due time falls at or after the fact that starts its obligation (none of its three rules is known to produce one)"},
		{ID: DefectDueBeforeTrigger, Pack: "2026.1", Rules: []string{"dora-initial"}, FixedIn: "2026.2",
			Description: "DORA: an incident classified as major more than 24 h after awareness is due at awareness + 24 h, before the classification that creates the obligation, so it is overdue from the moment it exists and 'no notice of delay was sent by the limit' could not have been done; 2026.2 makes it due 4 h after the classification"},
	}
}

// DefectReading marks an obligation computed under a pack with a known
// defect, with the fixing pack's reading of the same obligation.
type DefectReading struct {
	Defect      string    `json:"defect"`
	Description string    `json:"description"`
	FixedIn     string    `json:"fixed_in,omitempty"`
	DueAt       time.Time `json:"fixed_due_at,omitzero"` // under FixedIn
	Status      Status    `json:"fixed_status,omitempty"`
	Absent      bool      `json:"absent_in_fix,omitempty"` // FixedIn has no such obligation
}

// markDefects marks the obligations of out (computed under p) that are
// due before their trigger, and fills in the fixing pack's reading.
func markDefects(inc *Incident, s Settings, asOf time.Time, p *Pack, out []Obligation) {
	d := KnownDefect{ID: DefectDueBeforeTrigger, Pack: p.Version,
		Description: "due before the fact that starts the obligation (a defect not yet listed for this pack)"}
	listed := KnownDefects(p.Version)
	if i := slices.IndexFunc(listed, func(k KnownDefect) bool { return k.ID == DefectDueBeforeTrigger }); i >= 0 {
		d = listed[i]
	}
	var fixes []Obligation
	fixed := false
	for i := range out {
		o := &out[i]
		if !o.DueAt.Before(o.AnchorAt) {
			continue
		}
		o.Defect = &DefectReading{Defect: d.ID, Description: d.Description, FixedIn: d.FixedIn}
		fix, ok := PackByVersion(d.FixedIn)
		if !ok || d.FixedIn == p.Version {
			continue
		}
		if !fixed {
			fixes, fixed = ObligationsUnder(inc, s, asOf, &fix), true
		}
		j := slices.IndexFunc(fixes, func(f Obligation) bool { return f.ID == o.ID })
		if j < 0 {
			o.Defect.Absent = true
			continue
		}
		o.Defect.DueAt, o.Defect.Status = fixes[j].DueAt, fixes[j].Status
	}
}

// comparePackVersions orders two pack versions ("2026.1" < "2026.2" <
// "2027.1").
func comparePackVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, errX := strconv.Atoi(pa[i])
		y, errY := strconv.Atoi(pb[i])
		if errX != nil || errY != nil {
			return strings.Compare(a, b)
		}
		if x != y {
			return x - y
		}
	}
	return len(pa) - len(pb)
}

// checksConventions reports whether the pack is held to the typed
// conventions (2026.2 and later): every month rule states its convention,
// every limb says what it means once passed.
func (p Pack) checksConventions() bool { return comparePackVersions(p.Version, "2026.2") >= 0 }
