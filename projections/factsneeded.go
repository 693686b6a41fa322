package projections

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/safetext"
)

// FactsNeededRow is a rule of one incident that applies but waits for a
// determination nobody has made (domain.FactNeeded): it has no due time
// and no status, and never raises the deadline view's alert.
type FactsNeededRow struct {
	Incident string `json:"incident"`
	Summary  string `json:"summary"`
	domain.FactNeeded
}

// FactsNeededRowsOf returns the rows of an incident's facts needed.
func FactsNeededRowsOf(inc *domain.Incident, needs []domain.FactNeeded) []FactsNeededRow {
	rows := make([]FactsNeededRow, 0, len(needs))
	for _, n := range needs {
		rows = append(rows, FactsNeededRow{Incident: inc.ID, Summary: inc.Detection.Summary, FactNeeded: n})
	}
	return rows
}

// factsNeeded returns an incident's facts needed as the filter asks: under
// its recorded pack, or under filter.Pack; only the regimes asked for.
// The status filters (overdue, open, due within) choose deadline rows and
// leave facts needed alone: they have no status.
func (f DeadlineFilter) factsNeeded(inc *domain.Incident) []FactsNeededRow {
	needs := domain.FactsNeeded(inc)
	if f.Pack != "" {
		if p, ok := domain.PackByVersion(f.Pack); ok {
			needs = domain.FactsNeededUnder(inc, &p)
		}
	}
	var out []FactsNeededRow
	for _, r := range FactsNeededRowsOf(inc, needs) {
		if f.AdmitNeed(r.FactNeeded) {
			out = append(out, r)
		}
	}
	return out
}

// AdmitNeed applies the filter's regime choice to a fact needed.
func (f DeadlineFilter) AdmitNeed(n domain.FactNeeded) bool {
	return f.keepRegime(domain.Obligation{Regime: n.Regime, Rule: n.Rule})
}

// writeFactsNeeded writes the "Facts needed" section: one line per rule
// that waits ("waiting for: discovery determination"), then the command
// that records each determination waited for, once per incident; then
// the needs that are not determinations (the risk advisor's "cannot
// advise: record ..."), for which no clock waits: each says the clock that
// keeps running, and the command that records the facts.
func writeFactsNeeded(p *printer, incidents []string, needs []domain.FactNeeded) {
	if len(needs) == 0 {
		return
	}
	var waits, running []int
	for i, n := range needs {
		if len(n.Record) > 0 {
			running = append(running, i)
		} else {
			waits = append(waits, i)
		}
	}
	lead := func(i int) string {
		if incidents == nil {
			return "  "
		}
		return safetext.Line(incidents[i]) + "\t"
	}
	if len(waits) > 0 {
		p.f("\nFacts needed (no clock runs until they are recorded):\n")
		tw := tabwriter.NewWriter(p, 0, 0, 2, ' ', 0)
		for _, i := range waits {
			n := needs[i]
			then := "then " + n.Clock
			if n.Note != "" {
				then += "; " + n.Note
			}
			fmt.Fprintf(tw, "%s%s\t%s\twaiting for: %s\t%s\n", lead(i), safetext.Line(n.Rule), safetext.Line(n.Citation), safetext.Line(n.WaitingFor), safetext.Line(then))
		}
		tw.Flush()
		seen := map[string]bool{}
		for _, i := range waits {
			n := needs[i]
			key := n.Command
			if incidents != nil {
				key = incidents[i] + "\x00" + key
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			p.f("  record the %s: %s (--no if it is negative)\n", safetext.Line(n.WaitingFor), safetext.Line(n.Command))
		}
	}
	if len(running) == 0 {
		return
	}
	if len(waits) > 0 {
		p.f("Facts needed while the clocks run:\n")
	} else {
		p.f("\nFacts needed (the clocks run meanwhile):\n")
	}
	tw := tabwriter.NewWriter(p, 0, 0, 2, ' ', 0)
	for _, i := range running {
		n := needs[i]
		fmt.Fprintf(tw, "%s%s\t%s\tcannot advise: record %s\t%s\n", lead(i), safetext.Line(n.Rule), safetext.Line(n.Citation),
			safetext.Line(strings.Join(n.Record, ", ")), safetext.Line(n.ClockRunning))
	}
	tw.Flush()
	for _, i := range running {
		p.f("  record them: %s\n", safetext.Line(needs[i].Command))
	}
}

// FactsNeededLine describes a fact a write made needed, for writers to
// print: the rule, what it waits for and the command that records it;
// for a need no clock waits for (the risk advisor's), the clock that
// keeps running instead.
func FactsNeededLine(n domain.FactNeeded) string {
	if len(n.Record) > 0 {
		return safetext.Line(fmt.Sprintf("facts needed: %s (%s) cannot advise: record %s; %s — record them: %s", n.Rule, n.Citation, strings.Join(n.Record, ", "), n.ClockRunning, n.Command))
	}
	return safetext.Line(fmt.Sprintf("facts needed: %s (%s) waits for the %s, then runs %s — record it: %s", n.Rule, n.Citation, n.WaitingFor, n.Clock, n.Command))
}

// writeDeadlineNeeds writes the deadline view's facts needed, with the
// incident of each.
func writeDeadlineNeeds(p *printer, rows []FactsNeededRow) {
	incs := make([]string, len(rows))
	needs := make([]domain.FactNeeded, len(rows))
	for i, r := range rows {
		incs[i], needs[i] = r.Incident, r.FactNeeded
	}
	writeFactsNeeded(p, incs, needs)
}
