package projections

import (
	"slices"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// The row builders below are shared by the views built from a history
// (List, Deadlines, BuildRegister) and the read models kept with their
// position (package readmodel), so both give the same rows.

// ListEntryOf returns the list entry of an incident replayed at a cut, with
// its obligations evaluated at the cut's as-of time.
func ListEntryOf(inc *domain.Incident, obs []domain.Obligation) ListEntry {
	e := ListEntry{ID: inc.ID, Summary: inc.Detection.Summary, DetectedAt: inc.Detection.At, AwareAt: inc.Detection.AwareAt, Stage: inc.Stage, Closed: inc.Closed, Declared: inc.Declaration != nil}
	if inc.Classification != nil {
		e.Classification = inc.Classification.Classification
	}
	if inc.Assessment != nil {
		e.Severity, e.Priority = inc.Assessment.Severity, inc.Assessment.Priority
	}
	if next, ok := domain.Next(obs); ok {
		e.NextDeadline = &next
	}
	emptySlices(&e)
	return e
}

// DeadlineRowsOf returns a deadline row for every obligation of an incident.
func DeadlineRowsOf(inc *domain.Incident, obs []domain.Obligation) []DeadlineRow {
	rows := make([]DeadlineRow, 0, len(obs))
	for _, o := range obs {
		rows = append(rows, DeadlineRow{Incident: inc.ID, Summary: inc.Detection.Summary, Obligation: o})
	}
	emptySlices(&rows)
	return rows
}

// keepStatus reports whether o passes the --status filter.
func (f DeadlineFilter) keepStatus(o domain.Obligation) bool {
	return len(f.Statuses) == 0 || slices.Contains(f.Statuses, o.Status)
}

// Admit applies the filter's regime, status, overdue, due-within and open
// choices to one obligation evaluated at asOf: keep is whether the view
// shows it, alert whether it makes the view alert (overdue, or open and
// due within the window).
func (f DeadlineFilter) Admit(o domain.Obligation, asOf time.Time) (keep, alert bool) {
	if !f.keepRegime(o) || !f.keepStatus(o) {
		return false, false
	}
	overdue := o.Status == domain.StatusOverdue
	dueSoon := o.Status.Open() && o.Status != domain.StatusHeld && f.DueWithin > 0 && !o.DueAt.After(asOf.Add(f.DueWithin))
	switch {
	case f.Overdue && !overdue:
		return false, false
	case f.DueWithin > 0 && !overdue && !dueSoon:
		return false, false
	case f.Open && !o.Status.Open():
		return false, false
	}
	return true, overdue || dueSoon
}
