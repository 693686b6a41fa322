package projections

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/breachledger/breachledger/safetext"
)

// Report formats.
const (
	FormatMarkdown = "md"
	FormatHTML     = "html"
	FormatJSON     = "json"
	FormatCSV      = "csv"
)

// ReportFormats lists the formats every report is written in.
var ReportFormats = []string{FormatMarkdown, FormatHTML, FormatJSON, FormatCSV}

// WriteJSON writes v as indented JSON and a newline, the form every
// breachledger reader prints.
func WriteJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err = w.Write(append(safetext.JSON(b), '\n'))
	return err
}

// WriteReport writes an incident report in format (md, html, json, csv).
func WriteReport(w io.Writer, r IncidentReport, format string) error {
	switch format {
	case FormatMarkdown:
		return writeReportMarkdown(w, r)
	case FormatHTML:
		return writeReportHTML(w, r)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatCSV:
		return writeReportCSV(w, r)
	}
	return fmt.Errorf("unknown report format %q (use %s)", format, strings.Join(ReportFormats, ", "))
}

// table is a titled table, rendered as Markdown, HTML or CSV.
type table struct {
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// md writes the table as a GitHub-flavoured Markdown table.
func (t table) md(p *printer) {
	if len(t.rows) == 0 {
		p.f("None.\n\n")
		return
	}
	p.f("| %s |\n|%s\n", strings.Join(mdCells(t.head), " | "), strings.Repeat("---|", len(t.head)))
	for _, r := range t.rows {
		p.f("| %s |\n", strings.Join(mdCells(r), " | "))
	}
	p.f("\n")
}

// mdEscape escapes Markdown syntax in text that safetext.Line has made one
// line with no control, bidi or zero-width character left raw, so that
// text from the ledger never forms a link, an image, an autolink or HTML
// in CommonMark or GitHub-flavoured Markdown, whatever renders it:
//
//   - \ first, so that a backslash of the text cannot cancel one of ours;
//   - [ and ] (links, images, link reference definitions, footnotes);
//   - < and > as &lt; and &gt; (autolinks, raw HTML, HTML blocks), and &
//     as &amp;, so that an entity reference (&#91;) shows as written;
//   - GFM's extended autolinks: the : of "://" (http://, https://, ftp://),
//     the . after "www" (www.example.com) and every @ (e-mail, mailto:,
//     xmpp:) are backslash-escaped;
//   - | * ` and # (table cells, emphasis, code, a heading's closing #s).
//
// A backslash-escaped character renders as itself, so the text reads as
// recorded. What could start a block at the start of a line is mdLine's.
// The reports themselves write no link.
func mdEscape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '[' || c == ']' || c == '|' || c == '*' || c == '`' || c == '#' || c == '@':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '<':
			b.WriteString("&lt;")
		case c == '>':
			b.WriteString("&gt;")
		case c == '&':
			b.WriteString("&amp;")
		case c == '\n' || c == '\r':
			b.WriteByte(' ')
		case c == ':' && strings.HasPrefix(s[i+1:], "//"),
			c == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www"):
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func mdCells(cs []string) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		if c == "" {
			c = "–"
		}
		out[i] = md(c)
	}
	return out
}

// md returns ledger text for a Markdown table cell or inside a line.
func md(s string) string { return mdEscape(safetext.Line(s)) }

// mdLine returns ledger text for the start of a line of its own (a
// paragraph): md, and then nothing at its start that opens a block: a
// list item (- + 1. 1)), a quote (>), a thematic break or setext
// underline (- _ =), a fence (~~~) or, by four spaces, a code block.
func mdLine(s string) string {
	s = md(s)
	t := strings.TrimLeft(s, " ")
	lead := strings.Repeat("&#32;", len(s)-len(t))
	if t == "" {
		return lead
	}
	switch c := t[0]; {
	case strings.IndexByte("-+=_~>", c) >= 0:
		return lead + `\` + t
	case c >= '0' && c <= '9':
		if j := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' }); j > 0 && (t[j] == '.' || t[j] == ')') {
			return lead + t[:j] + `\` + t[j:]
		}
	}
	return lead + t
}

// mdCode returns s as a code span whose backticks outnumber any run of
// backticks in s, so s cannot end it early.
func mdCode(s string) string {
	s = safetext.Line(s)
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return ticks + s + ticks
}

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// mdFence returns s as a fenced code block whose fence is longer than any
// run of backticks in s, so no line of s can close it.
func mdFence(s string) string {
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return fence + "\n" + s + fence + "\n"
}

// ts formats an instant for a table cell.
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return stamp(t)
}

func reportTables(r IncidentReport) (overviewT, milestonesT, stagesT, totalsT, obligationsT, exceptionsT, holdsT, actionsT, evidenceT, eventsT, correctionsT table) {
	o := r.Overview
	overviewT = table{head: []string{"Field", "Value"}}
	overviewT.add("Summary", o.Summary)
	overviewT.add("Detected", fmt.Sprintf("%s via %s%s by %s", stamp(o.DetectedAt), o.Source, ref(o.Reference), o.DetectedBy))
	overviewT.add("Aware", stamp(o.AwareAt))
	overviewT.add("Acting as", string(o.Role))
	stage := o.Stage.Title()
	if o.Closed {
		stage += ", closed " + stamp(o.ClosedAt)
	}
	overviewT.add("Stage", stage)
	overviewT.add("Classification", orDash(string(o.Classification)))
	overviewT.add("Category (information impact)", orDash(string(o.Category)))
	sev := "-"
	if o.Severity != "" {
		sev = fmt.Sprintf("%s, priority %s", o.Severity, o.Priority)
	}
	overviewT.add("Severity", sev)
	overviewT.add("GDPR risk", orDash(string(o.Risk)))
	decl := "no"
	if o.Declared {
		decl = fmt.Sprintf("%s by %s: %s", stamp(o.DeclaredAt), o.DeclaredBy, o.Declaration)
	}
	overviewT.add("CRSPI declared", decl)
	overviewT.add("Scope", o.Scope)
	overviewT.add("Rule pack", o.Pack)
	overviewT.add("Calendar", o.Calendar)
	overviewT.add("Events", strconv.Itoa(o.Events))

	milestonesT = table{head: []string{"Milestone", "From (UTC)", "To (UTC)", "Time"}}
	for _, m := range r.Milestones {
		milestonesT.add(m.Name, stamp(m.FromAt), stamp(m.ToAt), m.Duration)
	}
	stagesT = table{head: []string{"Stage", "Entered (UTC)", "Left (UTC)", "Time", "By", "Reason"}}
	for _, s := range r.Stages {
		left := ts(s.LeftAt)
		switch {
		case s.Ongoing:
			left = "still there at " + stamp(r.AsOf)
		case left == "":
			left = "closed"
		}
		stagesT.add(s.Title, stamp(s.EnteredAt), left, s.Duration, s.Actor, s.Reason)
	}
	totalsT = table{head: []string{"Stage", "Stays", "Total time"}}
	for _, t := range r.StageTotals {
		totalsT.add(t.Title, strconv.Itoa(t.Stays), orDash(t.Duration))
	}
	obligationsT = table{head: []string{"Obligation", "Citation", "Due (UTC)", "Status", "Met by", "Detail"}}
	for _, ob := range r.Obligations {
		met := ""
		if n := ob.Notice; n != nil {
			met = fmt.Sprintf("%s %s %s (%s) %s", stamp(n.At), n.Phase, n.To, n.Recipient, n.EventID)
		}
		detail := obligationDetail(ob.Obligation)
		if ob.Late != "" {
			detail = ob.Late + "; " + detail
		}
		obligationsT.add(ob.ID, citation(ob.Obligation), stamp(ob.DueAt), StatusLabel(ob.Obligation), met, detail)
	}
	exceptionsT = table{head: []string{"Request", "Kind", "Opened", "For", "Status", "Approvals", "Check"}}
	for _, x := range r.Exceptions {
		what := x.Details
		if x.Ground != "" {
			what = x.Ground + ": " + what
		}
		if !x.Until.IsZero() {
			what += "; until " + stamp(x.Until)
		}
		if len(x.Customers) > 0 {
			what += "; customers " + strings.Join(x.Customers, ", ")
		}
		if x.Destination != "" {
			what += "; to " + x.Destination
		}
		var appr []string
		for _, a := range x.Approvals {
			appr = append(appr, withReason(fmt.Sprintf("%s as %s at %s", a.Actor, a.As, stamp(a.At)), a.Comment))
		}
		if rj := x.Rejection; rj != nil {
			appr = append(appr, withReason(fmt.Sprintf("rejected by %s as %s at %s", rj.Actor, rj.As, stamp(rj.At)), rj.Comment))
		}
		exceptionsT.add(x.Request, string(x.Kind), fmt.Sprintf("%s by %s", stamp(x.OpenedAt), x.OpenedBy), what, x.Status, strings.Join(appr, "; "), x.Check)
	}
	holdsT = table{head: []string{"Hold", "Kind", "Asked by", "Basis", "Recorded (approved by)", "Until", "Released"}}
	for _, h := range r.Holds {
		kind := string(h.Kind)
		if h.Written {
			kind += " (written)"
		} else if h.Kind == "law-enforcement" {
			kind += " (oral)"
		}
		rel := ""
		if !h.ReleasedAt.IsZero() {
			rel = fmt.Sprintf("%s by %s: %s", stamp(h.ReleasedAt), h.ReleasedBy, h.Release)
		}
		holdsT.add(h.Hold, kind, h.Authority, h.Basis, fmt.Sprintf("%s by %s", stamp(h.RecordedAt), h.ApprovedBy), ts(h.Until), rel)
	}
	actionsT = table{head: []string{"When (UTC)", "By", "Kind", "Action"}}
	for _, a := range r.Actions {
		d := a.Description
		if len(a.Systems) > 0 {
			d += " (" + strings.Join(a.Systems, ", ") + ")"
		}
		actionsT.add(stamp(a.At), a.Actor, string(a.Kind), d)
	}
	evidenceT = table{head: []string{"When (UTC)", "By", "Evidence", "SHA-256", "Location"}}
	for _, e := range r.Evidence {
		evidenceT.add(stamp(e.At), e.Actor, e.Description, e.SHA256, e.Location)
	}
	eventsT = table{head: []string{"Seq", "Business time (UTC)", "Recorded (UTC)", "Actor", "Signer", "Event", "Details"}}
	for _, e := range r.Events {
		d := e.Summary
		if e.CorrectedBy != "" {
			d += fmt.Sprintf(" [%s; first recorded at %s as: %s]", correctionOf(e), stamp(e.OriginalAt), e.Original)
		}
		eventsT.add(strconv.FormatUint(e.Sequence, 10), stamp(e.At), stamp(e.RecordedAt), e.Actor, orDash(e.Signer), e.Kind, d)
	}
	correctionsT = table{head: []string{"Seq", "When (UTC)", "Recorded (UTC)", "By", "Corrected", "Changed", "Before", "After", "Reason"}}
	for _, c := range r.Corrections {
		correctionsT.add(strconv.FormatUint(c.Seq, 10), stamp(c.At), stamp(c.RecordedAt), c.Actor, c.TargetKind+" "+c.Target, strings.Join(c.Changed, ", "), c.Before, c.After, c.Reason)
	}
	return
}

func historyTable(items []HistoryItem) table {
	t := table{head: []string{"Seq", "Business time (UTC)", "Recorded (UTC)", "By", "Value", "Detail", "Correction"}}
	for _, h := range items {
		t.add(strconv.FormatUint(h.Seq, 10), stamp(h.At), stamp(h.RecordedAt), h.Actor, h.Value, h.Detail, correctionText(h.Correction))
	}
	return t
}

func correctionText(c *CorrectionNote) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf("corrected by %s (%s; %s, %s): %s; first recorded at %s as: %s", c.Actor, signedWith(c.Signed, c.Signer), stamp(c.At), c.EventID, c.Reason, stamp(c.OriginalAt), c.Original)
}

func noticeTable(n NoticeCheck) table {
	t := table{head: []string{"Citation", "Item", "Status", "Detail"}}
	for _, c := range n.Checks {
		t.add(c.Citation, c.Item, c.Status, c.Detail)
	}
	return t
}

func noticeTitle(n NoticeCheck) string {
	to := string(n.To)
	if n.Customer != "" {
		to += " of " + n.Customer
	}
	if n.Jurisdiction != "" {
		to += " (" + n.Jurisdiction + ")"
	}
	return fmt.Sprintf("%s: %s notice to %s, %s, via %s", stamp(n.At), n.Phase, to, n.Recipient, n.Channel)
}

func noticeFacts(n NoticeCheck) string {
	parts := []string{fmt.Sprintf("seq %d, event %s, recorded %s by %s", n.Seq, n.EventID, stamp(n.RecordedAt), n.Actor)}
	if n.Signer != "" {
		parts = append(parts, "signed "+n.Signer)
	}
	if n.Reference != "" {
		parts = append(parts, "ref "+n.Reference)
	}
	if len(n.Meets) > 0 {
		parts = append(parts, "meets "+strings.Join(n.Meets, ", "))
	}
	if n.Summary != "" {
		parts = append(parts, "summary: "+n.Summary)
	}
	if n.DelayReason != "" {
		parts = append(parts, "delay reason: "+n.DelayReason)
	}
	return strings.Join(parts, "; ")
}

func writeReportMarkdown(w io.Writer, r IncidentReport) error {
	p := &printer{w: w}
	overviewT, milestonesT, stagesT, totalsT, obligationsT, exceptionsT, holdsT, actionsT, evidenceT, eventsT, correctionsT := reportTables(r)
	p.f("# Incident report %s\n\n", md(r.Incident))
	p.f("%s\n\n", mdLine(r.Overview.Summary))
	p.f("Ledger %s; as of %s, known at %s.\n\n", md(r.Ledger), stamp(r.AsOf), stamp(r.KnownAt))
	p.f("## Overview\n\n")
	overviewT.md(p)
	p.f("## Milestones\n\n")
	milestonesT.md(p)
	p.f("## Stages\n\n")
	stagesT.md(p)
	p.f("Time in each stage:\n\n")
	totalsT.md(p)
	p.f("## Classification, severity and risk\n\n")
	p.f("Corrections are shown beside the value they corrected.\n\n")
	p.f("### Classification\n\n")
	historyTable(r.Classifications).md(p)
	p.f("### Severity and priority\n\n")
	historyTable(r.Severities).md(p)
	p.f("### GDPR risk\n\n")
	historyTable(r.Risks).md(p)
	p.f("### Every correction\n\n")
	correctionsT.md(p)
	p.f("## Obligations\n\n")
	obligationsT.md(p)
	p.f("## Exceptions and holds\n\n")
	p.f("### Requests and their approvals\n\n")
	exceptionsT.md(p)
	p.f("### Holds\n\n")
	holdsT.md(p)
	p.f("## Notices and their content\n\n")
	p.f("Each notice's content, as recorded, against what the law requires of it.\n\n")
	if len(r.Notices) == 0 {
		p.f("No notice was sent.\n\n")
	}
	for _, n := range r.Notices {
		p.f("### %s — %s\n\n", md(noticeTitle(n)), md(n.Verdict))
		p.f("%s\n\n", mdLine(noticeFacts(n)))
		if len(n.Checks) > 0 {
			noticeTable(n).md(p)
		}
	}
	p.f("## Remedial actions\n\n")
	actionsT.md(p)
	p.f("## Evidence\n\n")
	evidenceT.md(p)
	p.f("## Post-mortem\n\n")
	if pm := r.Postmortem; pm != nil {
		p.f("%s\n\nCompleted %s by %s; the document is at %s, SHA-256 %s.\n\n", mdLine(pm.Summary), stamp(pm.At), md(pm.Actor), md(pm.Location), mdCode(pm.SHA256))
	} else {
		p.f("None recorded.\n\n")
	}
	p.f("## Events\n\n")
	p.f("Every event the cut sees, in business-time order.\n\n")
	eventsT.md(p)
	p.f("## Integrity\n\n")
	for _, l := range footer(r.Integrity) {
		p.f("%s\n\n", mdLine(l))
	}
	if r.Integrity.Note != "" {
		p.f("%s\n", mdFence(safetext.Text(r.Integrity.Note)))
	}
	p.f("Rebuild this report byte for byte:\n\n%s", mdFence(safetext.Line(r.Reproduce)))
	return p.err
}

// csvWriter writes rows of a fixed header, keeping the first error.
type csvWriter struct {
	w   *csv.Writer
	err error
}

// row writes one row, every cell neutralised for spreadsheets
// (safetext.CSVCell): a responder's "=cmd|..." in a reason must not run in
// the DPO's spreadsheet.
func (c *csvWriter) row(cells ...string) {
	if c.err != nil {
		return
	}
	safe := make([]string, len(cells))
	for i, cell := range cells {
		safe[i] = safetext.CSVCell(cell)
	}
	c.err = c.w.Write(safe)
}

func (c *csvWriter) flush() error {
	c.w.Flush()
	if c.err != nil {
		return c.err
	}
	return c.w.Error()
}

// reportCSVHead is the header of an incident report as CSV: one table,
// one row per item, the section naming what a row is.
var reportCSVHead = []string{"section", "seq", "id", "at", "until", "recorded_at", "actor", "signer", "kind", "status", "duration", "citation", "value", "detail"}

func writeReportCSV(w io.Writer, r IncidentReport) error {
	c := &csvWriter{w: csv.NewWriter(w)}
	c.row(reportCSVHead...)
	o := r.Overview
	c.row("incident", "", r.Incident, stamp(r.AsOf), "", stamp(r.KnownAt), "", "", string(o.Classification), string(o.Stage), "", "", o.Summary, r.Ledger)
	for _, m := range r.Milestones {
		c.row("milestone", "", m.Name, stamp(m.FromAt), stamp(m.ToAt), "", "", "", "", "", m.Duration, "", strconv.FormatInt(m.Seconds, 10), "")
	}
	for _, s := range r.Stages {
		status := ""
		if s.Ongoing {
			status = "ongoing"
		}
		c.row("stage", "", string(s.Stage), stamp(s.EnteredAt), ts(s.LeftAt), "", s.Actor, "", s.EventID, status, s.Duration, "", strconv.FormatInt(s.Seconds, 10), s.Reason)
	}
	history := func(section string, items []HistoryItem) {
		for _, h := range items {
			c.row(section, strconv.FormatUint(h.Seq, 10), h.EventID, stamp(h.At), "", stamp(h.RecordedAt), h.Actor, h.Signer, "", "", "", "", h.Value,
				joinNonEmpty(h.Detail, correctionText(h.Correction)))
		}
	}
	history("classification", r.Classifications)
	history("severity", r.Severities)
	history("risk", r.Risks)
	for _, x := range r.Corrections {
		c.row("correction", strconv.FormatUint(x.Seq, 10), x.EventID, stamp(x.At), "", stamp(x.RecordedAt), x.Actor, x.Signer, x.TargetKind, strings.Join(x.Changed, " "), "", "",
			x.After, fmt.Sprintf("corrects %s; before: %s; reason: %s", x.Target, x.Before, x.Reason))
	}
	for _, ob := range r.Obligations {
		met := ""
		if n := ob.Notice; n != nil {
			met = n.EventID
		}
		c.row("obligation", "", ob.ID, stamp(ob.DueAt), ts(ob.MetAt), "", "", "", ob.Regime, string(ob.Status), ob.Late, citation(ob.Obligation), met, withRecordedLate(ob.Obligation, obligationDetail(ob.Obligation)))
	}
	for _, x := range r.Exceptions {
		var appr []string
		for _, a := range x.Approvals {
			appr = append(appr, fmt.Sprintf("%s as %s at %s", a.Actor, a.As, stamp(a.At)))
		}
		c.row("exception", "", x.Request, stamp(x.OpenedAt), ts(x.Until), "", x.OpenedBy, "", string(x.Kind), x.Status, "", "", strings.Join(appr, "; "), x.Check)
	}
	for _, h := range r.Holds {
		c.row("hold", "", h.Hold, stamp(h.RecordedAt), ts(h.Until), "", h.ApprovedBy, "", string(h.Kind), "", "", "", h.Authority, h.Basis)
	}
	for _, n := range r.Notices {
		c.row("notice", strconv.FormatUint(n.Seq, 10), n.EventID, stamp(n.At), "", stamp(n.RecordedAt), n.Actor, n.Signer, string(n.To), n.Verdict, "", "", n.Recipient, noticeFacts(n))
		for _, ck := range n.Checks {
			c.row("notice-content", strconv.FormatUint(n.Seq, 10), n.EventID, "", "", "", "", "", "", ck.Status, "", ck.Citation, ck.Item, ck.Detail)
		}
	}
	for _, a := range r.Actions {
		c.row("action", "", "", stamp(a.At), "", "", a.Actor, "", string(a.Kind), "", "", "", a.Description, strings.Join(a.Systems, " "))
	}
	for _, e := range r.Evidence {
		c.row("evidence", "", e.SHA256, stamp(e.At), "", "", e.Actor, "", "", "", "", "", e.Description, e.Location)
	}
	if pm := r.Postmortem; pm != nil {
		c.row("postmortem", "", pm.SHA256, stamp(pm.At), "", "", pm.Actor, "", "", "", "", "", pm.Summary, pm.Location)
	}
	for _, e := range r.Events {
		d := e.Summary
		if e.CorrectedBy != "" {
			d += fmt.Sprintf(" [%s; first recorded at %s as: %s]", correctionOf(e), stamp(e.OriginalAt), e.Original)
		}
		c.row("event", strconv.FormatUint(e.Sequence, 10), e.EventID, stamp(e.At), "", stamp(e.RecordedAt), e.Actor, e.Signer, e.Type, "", "", "", e.Kind, d)
	}
	p := r.Integrity
	c.row("integrity", strconv.FormatUint(p.TreeSize, 10), p.Origin, "", "", "", "", "", "checkpoint", strconv.FormatBool(p.Signed), "", "", p.Root, strings.Join(footer(p), " "))
	c.row("reproduce", "", "", "", "", "", "", "", "", "", "", "", r.Reproduce, "")
	return c.flush()
}
