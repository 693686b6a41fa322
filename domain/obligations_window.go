package domain

import "time"

// StatusWindow returns the interval [from, until) around asOf in which every
// obligation of inc, obs as Obligations(inc, s, asOf) returned them, has
// the same status, reason and hold as at asOf: the facts stay as they are,
// only the instant moves. A zero from means the interval is unbounded below, a zero
// until that it is unbounded above (every obligation is settled: met,
// met-late or waived).
//
// Only open obligations change with the instant alone: an obligation
// becomes due-soon at its due time less the due-soon window, overdue just
// after its due time, and is held from the start of an approved exception
// or a hold to its end. A read model keeps obligations evaluated at one
// instant and reuses them for any instant of the window (a persisted
// deadline view), and evaluates again outside it. Like Obligations, inc
// must have been replayed with a cut that holds everything up to asOf.
func StatusWindow(inc *Incident, obs []Obligation, s Settings, asOf time.Time) (from, until time.Time) {
	var points []time.Time
	for _, o := range obs {
		if !o.Status.Open() || o.rule == nil {
			continue
		}
		soon := s.DueSoonWindow
		if o.dueSoon > 0 { // the window in force at its anchor (settings_history.go)
			soon = o.dueSoon
		}
		points = append(points, o.DueAt.Add(-soon), o.DueAt.Add(time.Nanosecond))
		for _, h := range o.holds(inc) {
			points = append(points, h.start, h.end)
		}
	}
	for _, p := range points {
		switch {
		case !p.After(asOf):
			if from.IsZero() || p.After(from) {
				from = p
			}
		default:
			if until.IsZero() || p.Before(until) {
				until = p
			}
		}
	}
	return from, until
}
