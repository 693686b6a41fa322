package projections

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/safetext"
)

// The text renderings below are for people; scripts read the JSON forms.
// Like the views, they depend only on their arguments. Every piece of
// stored text goes through safetext.Line before it is printed: a newline
// inside a cell prints as ⏎, and no control, bidi or zero-width character
// reaches the terminal raw.

// WriteIncident writes the state of one incident.
func WriteIncident(w io.Writer, v IncidentView) error {
	p := &printer{w: w}
	p.f("Incident %s\n", safetext.Line(v.ID))
	p.f("  as of %s, known at %s (%d events)\n\n", secs(v.AsOf), secs(v.KnownAt), v.Events)
	tw := tabwriter.NewWriter(p, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) {
		fmt.Fprintf(tw, "  %s\t%s\n", k, safetext.Line(fmt.Sprintf(format, args...)))
	}
	d := v.Detection
	row("Summary:", "%s", d.Summary)
	row("Detected:", "%s via %s%s by %s%s", secs(d.At), d.Source, ref(d.Reference), d.Actor, correctedSuffix(d.Ref))
	row("Aware:", "%s", secs(d.AwareAt))
	row("Acting as:", "%s", d.Role)
	stage := v.Stage.Title()
	if v.Closed {
		stage += " (closed)"
	}
	row("Stage:", "%s", stage)
	if c := v.Classification; c != nil {
		row("Classification:", "%s (%s by %s)%s", Describe(c.IncidentClassified), secs(c.At), c.Actor, correctedSuffix(c.Ref))
	} else {
		row("Classification:", "not classified")
	}
	if a := v.Assessment; a != nil {
		row("Severity:", "%s, priority %s (%s by %s)%s", a.Severity, a.Priority, secs(a.At), a.Actor, correctedSuffix(a.Ref))
		row("Impact:", "functional %s, recoverability %s, information %s", a.FunctionalImpact, a.Recoverability, a.InformationImpact)
	} else {
		row("Severity:", "not assessed")
	}
	if r := v.Risk; r != nil {
		row("GDPR risk:", "%s (%s by %s)%s", Describe(r.RiskDetermined), secs(r.At), r.Actor, correctedSuffix(r.Ref))
	}
	if dc := v.Declaration; dc != nil {
		row("CRSPI declared:", "%s by %s, %s%s", secs(dc.At), dc.Actor, Describe(dc.CRSPIDeclared), correctedSuffix(dc.Ref))
	} else {
		row("CRSPI declared:", "no")
	}
	if v.Scope.Updated != nil {
		row("Scope:", "%s%s", describeScope(v.Scope.ScopeRecorded), correctedSuffix(*v.Scope.Updated))
	}
	if pm := v.Postmortem; pm != nil {
		row("Post-mortem:", "%s (%s by %s)%s", Describe(pm.PostmortemCompleted), secs(pm.At), pm.Actor, correctedSuffix(pm.Ref))
	}
	tw.Flush()
	if len(v.Requests) > 0 {
		p.f("\nRequests:\n")
		for _, r := range v.Requests {
			p.f("  [%s] %s\n", r.Status, safetext.Line(Describe(r.RequestOpened)))
			for _, a := range r.Approvals {
				p.f("      approved as %s by %s at %s\n", a.As, safetext.Line(a.Actor), secs(a.At))
			}
			if rj := r.Rejection; rj != nil {
				p.f("      rejected as %s by %s at %s: %s\n", rj.As, safetext.Line(rj.Actor), secs(rj.At), safetext.Line(rj.Reason))
			}
		}
	}
	list := func(title string, n int, item func(i int) string) {
		if n == 0 {
			return
		}
		p.f("\n%s:\n", title)
		for i := 0; i < n; i++ {
			p.f("  %s\n", safetext.Line(item(i)))
		}
	}
	list("Actions", len(v.Actions), func(i int) string {
		a := v.Actions[i]
		return fmt.Sprintf("%s  %s%s", secs(a.At), Describe(a.ActionTaken), correctedSuffix(a.Ref))
	})
	list("Evidence", len(v.Evidence), func(i int) string {
		e := v.Evidence[i]
		return fmt.Sprintf("%s  %s%s", secs(e.At), Describe(e.EvidenceRecorded), correctedSuffix(e.Ref))
	})
	list("Notifications", len(v.Notifications), func(i int) string {
		n := v.Notifications[i]
		return fmt.Sprintf("%s  %s (by %s)%s", secs(n.At), Describe(n.NotificationSent), n.Actor, correctedSuffix(n.Ref))
	})
	list("Corrections", len(v.Corrections), func(i int) string {
		c := v.Corrections[i]
		return fmt.Sprintf("%s  %s corrected %s %s (%s): %s", secs(c.At), c.Actor, Kind(c.TargetType), c.Target, strings.Join(c.Changed, ", "), c.Reason)
	})
	list("Notes", len(v.Notes), func(i int) string {
		n := v.Notes[i]
		return fmt.Sprintf("%s  %s: %s%s", secs(n.At), n.Actor, n.Text, correctedSuffix(n.Ref))
	})
	writeRegulatory(p, v)
	p.f("\nDeadlines:\n")
	if len(v.Obligations) == 0 {
		p.f("  none running\n")
	} else {
		writeObligationsOf(p, nil, v.Obligations, v.AsOf, nil)
	}
	writeFactsNeeded(p, nil, v.FactsNeeded)
	return p.err
}

// WriteTimeline writes an incident's timeline.
func WriteTimeline(w io.Writer, t Timeline) error {
	p := &printer{w: w}
	p.f("Timeline of incident %s (as of %s, known at %s)\n\n", safetext.Line(t.Incident), secs(t.AsOf), secs(t.KnownAt))
	tw := tabwriter.NewWriter(p, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "SEQ\tWHEN (UTC)\tACTOR\tEVENT\tDETAILS\n")
	for _, e := range t.Entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Sequence, secs(e.At), safetext.Line(e.Actor), safetext.Line(e.Kind), safetext.Line(e.Summary))
		if e.CorrectedBy != "" {
			fmt.Fprintf(tw, "\t\t\t\t(%s; first recorded at %s as: %s)\n", safetext.Line(correctionOf(e)), secs(e.OriginalAt), safetext.Line(e.Original))
		}
	}
	tw.Flush()
	return p.err
}

// WriteDeadlines writes the deadline view.
func WriteDeadlines(w io.Writer, v DeadlineView) error {
	p := &printer{w: w}
	p.f("Deadlines as of %s (known at %s)", secs(v.AsOf), secs(v.KnownAt))
	if v.DueWithin != "" {
		p.f(", due within %s", safetext.Line(v.DueWithin))
	}
	p.f("\n\n")
	if len(v.Deadlines) == 0 {
		p.f("none\n")
		writeDeadlineNeeds(p, v.FactsNeeded)
		return p.err
	}
	obs := make([]domain.Obligation, len(v.Deadlines))
	incs := make([]string, len(v.Deadlines))
	extra := make([]string, len(v.Deadlines))
	for i, d := range v.Deadlines {
		obs[i], incs[i], extra[i] = d.Obligation, d.Incident, rowExtra(d)
	}
	writeObligationsOf(p, incs, obs, v.AsOf, extra)
	writeDeadlineNeeds(p, v.FactsNeeded)
	return p.err
}

// WriteList writes the incident list for a person: newest first (by
// detection time, the detect's --at; then by ID, newest first), with whole
// summaries. The JSON form keeps the list's own order.
func WriteList(w io.Writer, l IncidentList) error { return WriteListWidth(w, l, 0) }

// WriteListWidth is WriteList with each summary cut, with "…", to what
// width columns leave of it (at least minSummary); width 0 cuts nothing.
// The other columns are never cut: a line wider than the terminal wraps.
func WriteListWidth(w io.Writer, l IncidentList, width int) error {
	p := &printer{w: w}
	if len(l.Incidents) == 0 {
		p.f("no incidents (as of %s, known at %s)\n", secs(l.AsOf), secs(l.KnownAt))
		return p.err
	}
	incidents := slices.Clone(l.Incidents)
	slices.SortStableFunc(incidents, func(a, b ListEntry) int {
		if c := b.DetectedAt.Compare(a.DetectedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	// The columns before the summary, padded alike; the summary after.
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "INCIDENT\tDETECTED\tSTAGE\tCLASSIFICATION\tSEVERITY\tNEXT DEADLINE\t\n")
	summaries := []string{"SUMMARY"}
	for _, e := range incidents {
		stage := string(e.Stage)
		if e.Closed {
			stage = "closed"
		}
		next := "-"
		if n := e.NextDeadline; n != nil {
			next = fmt.Sprintf("%s %s (%s)", n.ID, secs(n.DueAt), n.Status)
		}
		sev := "-"
		if e.Severity != "" {
			sev = fmt.Sprintf("%s/%s", e.Severity, e.Priority)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", safetext.Line(e.ID), secs(e.DetectedAt), safetext.Line(stage), safetext.Line(orDash(string(e.Classification))),
			safetext.Line(sev), safetext.Line(next))
		summaries = append(summaries, safetext.Line(e.Summary))
	}
	tw.Flush()
	i := 0
	for line := range strings.Lines(table.String()) {
		line = strings.TrimSuffix(line, "\n")
		room := 0
		if width > 0 {
			room = max(width-utf8.RuneCountInString(line), minSummary)
		}
		p.f("%s%s\n", line, cut(summaries[i], room))
		i++
	}
	return p.err
}

// minSummary is the fewest columns a cut summary keeps.
const minSummary = 24

// cut returns s cut to width runes, ending in "…" when it was cut; width 0
// cuts nothing. s is escaped already (safetext.Line): no rune of it moves
// the cursor.
func cut(s string, width int) string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	n := 0
	for i := range s {
		if n == width-1 {
			return strings.TrimRight(s[:i], " ") + "…"
		}
		n++
	}
	return s
}

// NextDeadlineLine describes the obligation due first, for writers to print.
func NextDeadlineLine(o *domain.Obligation, asOf time.Time) string {
	if o == nil {
		return "next deadline: none running"
	}
	return safetext.Line(fmt.Sprintf("next deadline: %s (%s) due %s, %s — %s", o.ID, o.Citation, secs(o.DueAt), dueNote(*o, asOf), o.Status))
}

// writeObligationsOf writes a table of obligations. Beside the due time,
// an open one says how far it is ("in 3h", "2h ago"), a met one when it
// was met; the DUE (LOCAL) column is there only when some row is due in
// another zone than UTC.
func writeObligationsOf(p *printer, incidents []string, obs []domain.Obligation, asOf time.Time, extra []string) {
	tw := tabwriter.NewWriter(p, 0, 0, 2, ' ', 0)
	local := false
	for _, o := range obs {
		local = local || localStamp(o) != "-"
	}
	head := "OBLIGATION\tCITATION\tDUE (UTC)\t"
	if local {
		head += "\tDUE (LOCAL)"
	}
	head += "\tSTATUS\tDETAIL\n"
	if incidents != nil {
		head = "INCIDENT\t" + head
	} else {
		head = "  " + head
	}
	fmt.Fprint(tw, head)
	for i, o := range obs {
		lead := "  "
		if incidents != nil {
			lead = safetext.Line(incidents[i]) + "\t"
		}
		detail := withRecordedLate(o, obligationDetail(o))
		if extra != nil && extra[i] != "" {
			detail += "; " + extra[i]
		}
		when := dueNote(o, asOf)
		if local {
			when += "\t" + localStamp(o)
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\n", lead, safetext.Line(o.ID), safetext.Line(citation(o)), secs(o.DueAt), when, o.Status, safetext.Line(detail))
	}
	tw.Flush()
}

// dueNote is what a table says beside a due time: for an open obligation
// how far it is from asOf, for a met one when it was met, for a waived one
// nothing (a finished duty has no clock left to read).
func dueNote(o domain.Obligation, asOf time.Time) string {
	switch {
	case o.Status.Open():
		return Relative(o.DueAt, asOf)
	case (o.Status == domain.StatusMet || o.Status == domain.StatusMetLate) && !o.MetAt.IsZero():
		return "met " + secs(o.MetAt)
	}
	return "-"
}

// secs is a time as a person reads it in text: UTC, to the second. The
// JSON forms (and the reports' reproduce lines) keep every digit.
func secs(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

func obligationDetail(o domain.Obligation) string {
	var parts []string
	parts = append(parts, fmt.Sprintf("%s after %s", o.Window, o.Anchor))
	if o.Setting != nil { // the ledger setting in force at the anchor (domain/settings_history.go)
		parts = append(parts, o.Setting.String())
	}
	if o.Target {
		parts = append(parts, "organisational target")
	}
	if o.Limit != "" {
		parts = append(parts, o.Limit)
	}
	if o.Rolled != "" {
		parts = append(parts, o.Rolled)
	}
	if o.Scaled != "" {
		parts = append(parts, "scaled "+o.Scaled)
	}
	if o.Assumed != "" {
		parts = append(parts, "assumed: "+o.Assumed)
	}
	switch o.Status {
	case domain.StatusMet, domain.StatusMetLate:
		parts = append(parts, fmt.Sprintf("sent %s", secs(o.MetAt)))
		if o.AckBy != "" {
			parts = append(parts, fmt.Sprintf("acknowledged %s by %s%s", secs(o.AckAt), o.AckBy, ref(o.AckReference)))
		}
	case domain.StatusHeld:
		parts = append(parts, fmt.Sprintf("held until %s", secs(o.HeldUntil)))
	}
	if o.Filed != "" && !strings.Contains(o.Reason, o.Filed) {
		parts = append(parts, o.Filed)
	}
	if o.Reason != "" {
		parts = append(parts, o.Reason)
	}
	if o.Pack != "" {
		parts = append(parts, "pack "+o.Pack)
	}
	if d := o.Defect; d != nil {
		parts = append(parts, defectDetail(o.Pack, d))
	}
	return strings.Join(parts, "; ")
}

// defectDetail describes a known defect of the pack an obligation was
// computed under, with the fixing pack's reading beside it.
func defectDetail(pack string, d *domain.DefectReading) string {
	if pack == "" {
		pack = "?"
	}
	s := fmt.Sprintf("known defect of pack %s: %s", pack, d.Description)
	switch {
	case d.FixedIn == "" || d.FixedIn == pack:
		return s + " (not yet fixed)"
	case d.Absent:
		return s + fmt.Sprintf("; pack %s: no such obligation", d.FixedIn)
	case d.DueAt.IsZero():
		return s + fmt.Sprintf("; fixed in pack %s", d.FixedIn)
	}
	return s + fmt.Sprintf("; pack %s: due %s, %s", d.FixedIn, secs(d.DueAt), d.Status)
}

// Relative says how far t is from now: "in 2d4h", "3h20m ago", "now";
// minutes are left out beyond two days.
func Relative(t, now time.Time) string {
	d := t.Sub(now)
	neg := d < 0
	if neg {
		d = -d
	}
	if d >= 48*time.Hour {
		d = d.Round(time.Hour)
	} else {
		d = d.Round(time.Minute)
	}
	switch {
	case d == 0:
		return "now"
	case neg:
		return dayClock(d) + " ago"
	}
	return "in " + dayClock(d)
}

func ref(r string) string {
	if r == "" {
		return ""
	}
	return " (ref " + r + ")"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printer keeps the first write error so renderers can report it once.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.w.Write(b)
	p.err = err
	return n, err
}

func (p *printer) f(format string, args ...any) { fmt.Fprintf(p, format, args...) }
