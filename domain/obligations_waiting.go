package domain

import (
	"fmt"
	"strings"
)

// FactNeeded is a rule that applies to an incident but whose clock waits
// for a determination nobody has made yet: HIPAA and California count from
// the discovery of the breach, SEC Form 8-K from the materiality
// determination, DORA from the classification as major. Until the
// determination is recorded the rule has no obligation, so no due time and
// no status word; readers list it under "facts needed" so the clock is
// never silently absent.
//
// The risk advisor's need is listed with them (AdviceNeeded): it cannot
// advise until the risk factors it names (Record) are recorded, and unlike
// a rule's, no clock waits for it: ClockRunning says which keeps running.
type FactNeeded struct {
	Rule     string `json:"rule"`
	Regime   string `json:"regime"`
	Citation string `json:"citation"`
	Pack     string `json:"pack"` // the rule pack it was read under
	// Determination is the kind of determination the clock starts from,
	// WaitingFor the same in words ("discovery determination").
	Determination DeterminationKind `json:"determination,omitempty"`
	WaitingFor    string            `json:"waiting_for"`
	// Clock is what the determination will start, e.g. "60 calendar days
	// after discovery".
	Clock string `json:"clock"`
	// Command records the determination (with --no for a negative one).
	Command string `json:"command"`
	// Note qualifies the wait, e.g. a rule in force only for
	// determinations made from a date on.
	Note string `json:"note,omitempty"`
	// Record names the flags of the facts to record, for a need that is
	// not a determination (the risk advisor's: "cannot advise: record
	// --data, ..."); ClockRunning then says that the notification clocks
	// do not wait for them.
	Record       []string `json:"record,omitempty"`
	ClockRunning string   `json:"clock_running,omitempty"`
}

// FactsNeeded lists the rules of the incident's pack that apply to inc but
// wait for a determination never made (see FactNeeded), in the pack's rule
// order, then the risk advisor's need when it cannot advise
// (AdviceNeeded). A negative determination is a determination made: its rule does
// not wait. A rule the law's own exception already removes (a dismissed
// incident) does not wait either. Like Obligations, inc must have been
// replayed with the reader's cut; the answer does not depend on the
// instant, only on the facts.
func FactsNeeded(inc *Incident) []FactNeeded {
	p, ok := PackByVersion(inc.Regulatory.PackVersion())
	if !ok {
		p = CurrentPack()
	}
	return FactsNeededUnder(inc, &p)
}

// FactsNeededUnder is FactsNeeded under pack p, whatever pack the
// incident is pinned to (the risk advisor's need does not depend on the
// pack: it reads the method its factors pinned).
func FactsNeededUnder(inc *Incident, p *Pack) []FactNeeded {
	if !inc.Exists {
		return nil
	}
	var out []FactNeeded
	for i := range p.Rules {
		r := &p.Rules[i]
		kind, ok := waitsFor(inc, r)
		if !ok {
			continue
		}
		n := FactNeeded{Rule: r.ID, Regime: r.Regime, Citation: r.Citation, Pack: p.Version, Determination: kind,
			WaitingFor: string(kind) + " determination", Clock: describeClock(r, kind), Command: determineCommand(inc.ID, kind)}
		if !r.Effective.IsZero() && (inc.Detection == nil || inc.Detection.AwareAt.Before(r.Effective)) {
			n.Note = fmt.Sprintf("in force for a %s determined on or after %s", kind, stamp(r.Effective))
		}
		out = append(out, n)
	}
	if n, ok := AdviceNeeded(inc); ok {
		out = append(out, n)
	}
	return out
}

// waitsFor reports whether rule r applies to inc but waits for a
// determination of the kind it returns that was never made. The cheap
// checks come first: most rules do not anchor on a determination, and
// most incidents made the ones theirs do.
func waitsFor(inc *Incident, r *Rule) (DeterminationKind, bool) {
	name := strings.TrimPrefix(string(r.Anchor), "year-end:")
	if !strings.HasPrefix(name, "determination:") || r.FanOut == FanOutPerDetermination {
		// per-determination rules (an 8-K/A per piece of information
		// determined later) are follow-ups that may never be owed.
		return "", false
	}
	kind := DeterminationKind(strings.TrimPrefix(name, "determination:"))
	if _, _, made := inc.Regulatory.Determination(kind); made {
		return "", false
	}
	if !r.Until.IsZero() && inc.Detection != nil && !inc.Detection.AwareAt.Before(r.Until) {
		return "", false // any determination now comes after the rule's end
	}
	if !applies(inc, r) || exception(inc, r) != "" {
		return "", false
	}
	switch r.FanOut { // fan-outs that would give no obligation even once determined
	case FanOutPerStateOver500:
		if !anyStateOver500(inc) {
			return "", false
		}
	case FanOutPerController:
		if g := inc.Regulatory.Profile; g == nil || len(g.Controllers) == 0 {
			return "", false
		}
	}
	return kind, true
}

func anyStateOver500(inc *Incident) bool {
	if a := inc.Regulatory.Affected; a != nil {
		for _, c := range a.Counts {
			if strings.HasPrefix(c.Jurisdiction, "US-") && c.Count > 500 {
				return true
			}
		}
	}
	return false
}

// describeClock says what a determination of kind will start under r.
func describeClock(r *Rule, kind DeterminationKind) string {
	from := string(kind) + " determination"
	if kind == DetDiscovery {
		from = "discovery"
	}
	if strings.HasPrefix(string(r.Anchor), "year-end:") {
		from = "the end of the calendar year of " + from
	}
	return describeWindow(r.Period) + " after " + from
}

// determineCommand is the command that records a determination of kind
// for incident id.
func determineCommand(id string, kind DeterminationKind) string {
	if id == "" {
		id = "INCIDENT"
	}
	return fmt.Sprintf(`breachledger determine %s %s --reasoning "..."`, id, kind)
}
