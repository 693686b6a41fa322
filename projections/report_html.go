package projections

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/safetext"
)

// The HTML renderings are single self-contained files: the style sheet and
// the SVG timeline are inline, nothing is fetched, and a print style sheet
// lays them out for A4 paper, so "print to PDF" gives a report to file.

//go:embed report.css
var reportCSS string

var htmlFuncs = template.FuncMap{
	"stamp": func(t time.Time) string { return ts(t) },
	"css":   func() template.CSS { return template.CSS(reportCSS) },
	"cell": func(s string) string {
		if s == "" {
			return "–"
		}
		return s
	},
	"join":   strings.Join,
	"status": func(s domain.Status) string { return "st-" + string(s) },
	"slug":   func(s string) string { return strings.ReplaceAll(strings.ToLower(s), " ", "-") },
	"inc":    func(i int) int { return i + 1 },
	"citation": func(o domain.Obligation) string {
		return citation(o)
	},
	"detail": func(o domain.Obligation) string { return obligationDetail(o) },
	// recordedLate is "recorded N after due", or "" (recordedlate.go).
	"recordedLate": RecordedLate,
	"correction": func(c *CorrectionNote) string {
		return correctionText(c)
	},
	"title":  noticeTitle,
	"facts":  noticeFacts,
	"footer": footer,
	"stage":  func(s domain.Stage) string { return s.Title() },
	"dict":   dict,
	"countRecordedLate": func(obs []ReportObligation) int {
		n := 0
		for _, o := range obs {
			if o.RecordedLateBy != "" {
				n++
			}
		}
		return n
	},
	"count": func(obs []ReportObligation, st string) int {
		n := 0
		for _, o := range obs {
			if string(o.Status) == st {
				n++
			}
		}
		return n
	},
}

var reportHTML = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(htmlFuncs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="breachledger">
<title>Incident report {{.R.Incident}}</title>
<style>{{css}}</style>
</head>
<body>
<header class="masthead">
<p class="kicker">Incident report · {{.R.Ledger}}</p>
<h1 id="title">{{.R.Overview.Summary}}</h1>
<p class="meta">Incident <code>{{.R.Incident}}</code> · as of {{stamp .R.AsOf}} · known at {{stamp .R.KnownAt}}</p>
<div class="cards">
<div class="card"><span class="big">{{stage .R.Overview.Stage}}</span><span class="label">stage{{if .R.Overview.Closed}} · closed {{stamp .R.Overview.ClosedAt}}{{end}}</span></div>
<div class="card"><span class="big">{{cell (print .R.Overview.Classification)}}</span><span class="label">classification · {{cell (print .R.Overview.Category)}}</span></div>
<div class="card"><span class="big">{{cell (print .R.Overview.Severity)}}{{if .R.Overview.Priority}} / {{.R.Overview.Priority}}{{end}}</span><span class="label">severity · GDPR risk {{cell (print .R.Overview.Risk)}}</span></div>
<div class="card"><span class="big">{{len .R.Obligations}}</span><span class="label">obligations: {{count .R.Obligations "met"}} met, {{count .R.Obligations "met-late"}} late, {{count .R.Obligations "overdue"}} overdue, {{count .R.Obligations "waived"}} waived{{with countRecordedLate .R.Obligations}}; {{.}} of them recorded after due{{end}}</span></div>
<div class="card"><span class="big">{{len .R.Notices}}</span><span class="label">notices sent</span></div>
<div class="card"><span class="big">{{len .R.Corrections}}</span><span class="label">corrections</span></div>
</div>
</header>

<section id="timeline">
<h2>Timeline</h2>
<p class="note">Stages as coloured bands, every event as a dot, every deadline as a numbered diamond coloured by its status (the numbers are those of the obligations table); the red line is the as-of time.</p>
<figure class="timeline">{{.SVG}}</figure>
<ul class="legend">
<li><span class="sw stage-detect"></span>Detect</li><li><span class="sw stage-assess"></span>Assess</li><li><span class="sw stage-diagnose"></span>Diagnose</li><li><span class="sw stage-stabilize"></span>Stabilize and Recover</li><li><span class="sw stage-close"></span>Close and Post-mortem</li>
<li><span class="dot ev-notice"></span>notice</li><li><span class="dot ev-correction"></span>correction</li><li><span class="dot ev-other"></span>other event</li>
<li><span class="dia st-met"></span>met</li><li><span class="dia st-met-late"></span>met late</li><li><span class="dia st-overdue"></span>overdue</li><li><span class="dia st-pending"></span>pending</li><li><span class="dia st-held"></span>held</li><li><span class="dia st-waived"></span>waived</li>
</ul>
</section>

<section id="overview">
<h2>Overview</h2>
<table class="kv">
<tr><th>Summary</th><td>{{.R.Overview.Summary}}</td></tr>
<tr><th>Detected</th><td>{{stamp .R.Overview.DetectedAt}} via {{.R.Overview.Source}}{{if .R.Overview.Reference}} (ref {{.R.Overview.Reference}}){{end}} by {{.R.Overview.DetectedBy}}</td></tr>
<tr><th>Aware</th><td>{{stamp .R.Overview.AwareAt}}</td></tr>
<tr><th>Acting as</th><td>{{.R.Overview.Role}}</td></tr>
<tr><th>CRSPI declared</th><td>{{if .R.Overview.Declared}}{{stamp .R.Overview.DeclaredAt}} by {{.R.Overview.DeclaredBy}}: {{.R.Overview.Declaration}}{{else}}no{{end}}</td></tr>
<tr><th>Scope</th><td>{{.R.Overview.Scope}}</td></tr>
<tr><th>Rule pack</th><td>{{.R.Overview.Pack}}</td></tr>
<tr><th>Calendar</th><td>{{.R.Overview.Calendar}}</td></tr>
<tr><th>Events</th><td>{{.R.Overview.Events}}</td></tr>
</table>
<h3>Milestones</h3>
{{if .R.Milestones}}<table><thead><tr><th>Milestone</th><th>From (UTC)</th><th>To (UTC)</th><th class="num">Time</th></tr></thead><tbody>
{{range .R.Milestones}}<tr><td>{{.Name}}</td><td>{{stamp .FromAt}}</td><td>{{stamp .ToAt}}</td><td class="num">{{.Duration}}</td></tr>
{{end}}</tbody></table>{{end}}
</section>

<section id="stages">
<h2>Stages</h2>
<table><thead><tr><th>Stage</th><th>Entered (UTC)</th><th>Left (UTC)</th><th class="num">Time</th><th>By</th><th>Reason</th></tr></thead><tbody>
{{range .R.Stages}}<tr><td><span class="sw stage-{{.Stage}}"></span>{{.Title}}</td><td>{{stamp .EnteredAt}}</td><td>{{if .Ongoing}}still there at {{stamp $.R.AsOf}}{{else if .LeftAt.IsZero}}closed{{else}}{{stamp .LeftAt}}{{end}}</td><td class="num">{{cell .Duration}}</td><td>{{.Actor}}</td><td>{{cell .Reason}}</td></tr>
{{end}}</tbody></table>
<h3>Time in each stage</h3>
<table class="narrow"><thead><tr><th>Stage</th><th class="num">Stays</th><th class="num">Total</th></tr></thead><tbody>
{{range .R.StageTotals}}<tr><td>{{.Title}}</td><td class="num">{{.Stays}}</td><td class="num">{{cell .Duration}}</td></tr>
{{end}}</tbody></table>
</section>

<section id="history">
<h2>Classification, severity and risk</h2>
<p class="note">Each value as recorded; a correction is shown beside the value it corrected, with what was first recorded.</p>
{{template "history" (dict "Title" "Classification" "Items" .R.Classifications)}}
{{template "history" (dict "Title" "Severity and priority" "Items" .R.Severities)}}
{{template "history" (dict "Title" "GDPR risk" "Items" .R.Risks)}}
<h3>Every correction</h3>
{{if .R.Corrections}}<table><thead><tr><th class="num">Seq</th><th>When (UTC)</th><th>By</th><th>Corrected</th><th>Before</th><th>After</th><th>Reason</th></tr></thead><tbody>
{{range .R.Corrections}}<tr><td class="num">{{.Seq}}</td><td>{{stamp .At}}<br><small>recorded {{stamp .RecordedAt}}</small></td><td>{{.Actor}}</td><td>{{.TargetKind}} <code>{{.Target}}</code> ({{join .Changed ", "}})</td><td class="before">{{.Before}}</td><td class="after">{{.After}}</td><td>{{.Reason}}</td></tr>
{{end}}</tbody></table>{{else}}<p>None.</p>{{end}}
</section>

<section id="obligations">
<h2>Obligations</h2>
{{if .R.Obligations}}<table><thead><tr><th class="num">#</th><th>Obligation</th><th>Citation</th><th>Due (UTC)</th><th>Status</th><th>Met by</th><th>Detail</th></tr></thead><tbody>
{{range $i, $o := .R.Obligations}}<tr class="{{status $o.Status}}"><td class="num">{{inc $i}}</td><td><code>{{$o.ID}}</code></td><td>{{citation $o.Obligation}}</td><td>{{stamp $o.DueAt}}</td><td><span class="badge {{status $o.Status}}">{{$o.Status}}</span>{{with recordedLate $o.Obligation}} <small class="recorded-late">{{.}}</small>{{end}}{{if $o.Late}}<br><small>{{$o.Late}}</small>{{end}}</td><td>{{with $o.Notice}}{{stamp .At}} {{.Phase}} {{.To}} ({{.Recipient}}){{else}}–{{end}}</td><td>{{detail $o.Obligation}}</td></tr>
{{end}}</tbody></table>{{else}}<p>No obligation.</p>{{end}}
</section>

<section id="exceptions">
<h2>Exceptions and holds</h2>
<h3>Requests and their approvals</h3>
{{if .R.Exceptions}}<table><thead><tr><th>Request</th><th>Kind</th><th>Opened</th><th>For</th><th>Approvals</th><th>Check</th></tr></thead><tbody>
{{range .R.Exceptions}}<tr><td>{{.Request}}<br><span class="badge rq-{{.Status}}">{{.Status}}</span></td><td>{{.Kind}}{{if .Ground}}<br><small>{{.Ground}}</small>{{end}}</td><td>{{stamp .OpenedAt}} by {{.OpenedBy}}</td><td>{{.Details}}{{if not .Until.IsZero}}<br><small>until {{stamp .Until}}</small>{{end}}{{if .Customers}}<br><small>customers {{join .Customers ", "}}</small>{{end}}{{if .Destination}}<br><small>to {{.Destination}}</small>{{end}}</td><td>{{range .Approvals}}<div>{{.Actor}} as {{.As}}, {{stamp .At}}{{if .Comment}}: {{.Comment}}{{end}}</div>{{end}}{{with .Rejection}}<div class="rejected">rejected by {{.Actor}} as {{.As}}, {{stamp .At}}: {{.Comment}}</div>{{end}}</td><td>{{.Check}}</td></tr>
{{end}}</tbody></table>{{else}}<p>None.</p>{{end}}
<h3>Holds</h3>
{{if .R.Holds}}<table><thead><tr><th>Hold</th><th>Kind</th><th>Asked by</th><th>Basis</th><th>Recorded (approved by)</th><th>Until</th><th>Released</th></tr></thead><tbody>
{{range .R.Holds}}<tr><td>{{.Hold}}</td><td>{{.Kind}}{{if .Written}} (written){{end}}</td><td>{{.Authority}}</td><td>{{.Basis}}</td><td>{{stamp .RecordedAt}} by {{.ApprovedBy}}</td><td>{{cell (stamp .Until)}}</td><td>{{if not .ReleasedAt.IsZero}}{{stamp .ReleasedAt}} by {{.ReleasedBy}}: {{.Release}}{{else}}–{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p>None.</p>{{end}}
</section>

<section id="notices">
<h2>Notices and their content</h2>
<p class="note">Each notice's content, as the ledger records it, against what the law requires of it.</p>
{{range .R.Notices}}<div class="notice">
<h3>{{title .}} <span class="badge v-{{slug .Verdict}}">{{.Verdict}}</span></h3>
<p class="small">{{facts .}}</p>
{{if .Checks}}<table class="checks"><thead><tr><th>Citation</th><th>Item</th><th>Status</th><th>Detail</th></tr></thead><tbody>
{{range .Checks}}<tr><td>{{.Citation}}</td><td>{{.Item}}</td><td><span class="badge c-{{.Status}}">{{.Status}}</span></td><td>{{cell .Detail}}</td></tr>
{{end}}</tbody></table>{{end}}
</div>
{{else}}<p>No notice was sent.</p>{{end}}
</section>

<section id="response">
<h2>Remedial actions, evidence and post-mortem</h2>
<h3>Remedial actions</h3>
{{if .R.Actions}}<table><thead><tr><th>When (UTC)</th><th>By</th><th>Kind</th><th>Action</th></tr></thead><tbody>
{{range .R.Actions}}<tr><td>{{stamp .At}}</td><td>{{.Actor}}</td><td>{{.Kind}}</td><td>{{.Description}}{{if .Systems}} <small>({{join .Systems ", "}})</small>{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p>None.</p>{{end}}
<h3>Evidence</h3>
{{if .R.Evidence}}<table><thead><tr><th>When (UTC)</th><th>By</th><th>Evidence</th><th>SHA-256 and location</th></tr></thead><tbody>
{{range .R.Evidence}}<tr><td>{{stamp .At}}</td><td>{{.Actor}}</td><td>{{.Description}}</td><td><code class="hash">{{.SHA256}}</code><br><small>{{.Location}}</small></td></tr>
{{end}}</tbody></table>{{else}}<p>None.</p>{{end}}
<h3>Post-mortem</h3>
{{with .R.Postmortem}}<blockquote>{{.Summary}}</blockquote><p class="small">Completed {{stamp .At}} by {{.Actor}}; the confidential document is at {{.Location}}, SHA-256 <code class="hash">{{.SHA256}}</code>.</p>{{else}}<p>None recorded.</p>{{end}}
</section>

<section id="events">
<h2>Events</h2>
<p class="note">Every event the cut sees, in business-time order, with who recorded it, the key that signed it, and when the ledger recorded it.</p>
<table class="events"><thead><tr><th class="num">Seq</th><th>Business time (UTC)</th><th>Recorded (UTC)</th><th>Actor</th><th>Signer</th><th>Event</th><th>Details</th></tr></thead><tbody>
{{range .R.Events}}<tr{{if .CorrectedBy}} class="corrected"{{end}}><td class="num">{{.Sequence}}</td><td>{{stamp .At}}</td><td>{{stamp .RecordedAt}}</td><td>{{.Actor}}</td><td>{{cell .Signer}}</td><td>{{.Kind}}</td><td>{{.Summary}}{{if .CorrectedBy}}<div class="was">{{with .Correction}}corrected by {{.Actor}} ({{if .Signed}}signed{{else}}unsigned{{end}}) in <code>{{.EventID}}</code>{{else}}corrected by <code>{{.CorrectedBy}}</code>{{end}}; first recorded at {{stamp .OriginalAt}} as: {{.Original}}</div>{{end}}</td></tr>
{{end}}</tbody></table>
</section>

<footer id="integrity">
<h2>Integrity</h2>
{{range footer .R.Integrity}}<p>{{.}}</p>
{{end}}{{if .R.Integrity.Note}}<pre class="note-text">{{.R.Integrity.Note}}</pre>{{end}}
<p>Rebuild this report byte for byte:</p>
<pre>{{.R.Reproduce}}</pre>
</footer>
</body>
</html>
{{define "history"}}<h3>{{.Title}}</h3>
{{if .Items}}<table><thead><tr><th class="num">Seq</th><th>Business time (UTC)</th><th>Recorded (UTC)</th><th>By</th><th>Value</th><th>Detail</th><th>Correction</th></tr></thead><tbody>
{{range .Items}}<tr{{if .Correction}} class="corrected"{{end}}><td class="num">{{.Seq}}</td><td>{{stamp .At}}</td><td>{{stamp .RecordedAt}}</td><td>{{.Actor}}</td><td><strong>{{.Value}}</strong></td><td>{{cell .Detail}}</td><td>{{with .Correction}}<div class="was">{{correction .}}</div>{{else}}–{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p>None recorded.</p>{{end}}{{end}}
`))
})

func dict(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func writeReportHTML(w io.Writer, r IncidentReport) error {
	return reportHTML().Execute(w, struct {
		R   IncidentReport
		SVG template.HTML
	}{r, template.HTML(timelineSVG(r))})
}

// timelineSVG draws the incident on one time axis: a band per stage stay,
// a dot per event, a numbered diamond per deadline, and the as-of line.
// A deadline beyond the axis's end is an arrow at its right edge, in a row
// of its own below the axis, labelled with its number, obligation ID and
// due time, so several never overlap. The plot keeps a margin of
// half a tick label on either side, so no label is clipped.
func timelineSVG(r IncidentReport) string {
	const (
		width, left, right = 1000.0, 40.0, 40.0
		bandY, bandH       = 20.0, 26.0
		eventY             = 84.0
		dueY               = 140.0
		axisY              = 172.0
		baseHeight         = 192.0
		rowY, rowH         = 210.0, 14.0 // the rows of deadlines beyond the axis
	)
	start, end := r.Overview.DetectedAt, r.Overview.DetectedAt
	widen := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if t.Before(start) {
			start = t
		}
		if t.After(end) {
			end = t
		}
	}
	widen(r.Overview.AwareAt)
	for _, e := range r.Events {
		widen(e.At)
	}
	for _, s := range r.Stages {
		widen(s.EnteredAt)
	}
	if !r.Overview.Closed {
		widen(r.AsOf)
	}
	// Deadlines widen the axis up to as far again as the events span (two
	// days at least); those further out sit at its right edge, pointing on.
	reach := end.Add(max(end.Sub(start), 48*time.Hour))
	for _, o := range r.Obligations {
		if !o.DueAt.After(reach) {
			widen(o.DueAt)
		}
	}
	total := end.Sub(start)
	if total <= 0 {
		total = time.Hour
	}
	pad := total / 40
	start, end = start.Add(-pad), end.Add(pad)
	total = end.Sub(start)
	x := func(t time.Time) float64 {
		if t.After(end) {
			t = end
		}
		if t.Before(start) {
			t = start
		}
		return left + (width-left-right)*float64(t.Sub(start))/float64(total)
	}
	// A deadline before the events widens the axis (widen), so only those
	// after its end are off the chart.
	offChart := 0
	for _, o := range r.Obligations {
		if o.DueAt.After(end) {
			offChart++
		}
	}
	height := baseHeight
	if offChart > 0 {
		height = rowY + float64(offChart-1)*rowH + 8
	}
	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="Timeline of incident %s">`, width, height, esc(r.Incident))
	fmt.Fprintf(&b, `<text x="%.0f" y="12" class="tl-label">Stages</text><text x="%.0f" y="%.0f" class="tl-label">Events</text><text x="%.0f" y="%.0f" class="tl-label">Deadlines</text>`,
		left, left, eventY-20, left, dueY-18)
	// Stage bands.
	for _, s := range r.Stages {
		x0 := x(s.EnteredAt)
		var x1 float64
		switch {
		case !s.LeftAt.IsZero():
			x1 = x(s.LeftAt)
		case s.Ongoing:
			x1 = x(r.AsOf)
		default:
			x1 = x0 + 6
		}
		w := math.Max(x1-x0, 1.5)
		fmt.Fprintf(&b, `<rect class="band stage-%s" x="%.1f" y="%.0f" width="%.1f" height="%.0f"><title>%s: %s to %s (%s)</title></rect>`,
			esc(string(s.Stage)), x0, bandY, w, bandH, esc(s.Title), esc(stamp(s.EnteredAt)), esc(orDash(ts(s.LeftAt))), esc(orDash(s.Duration)))
		if w > 60 {
			fmt.Fprintf(&b, `<text class="band-label" x="%.1f" y="%.0f">%s</text>`, x0+4, bandY+bandH/2+4, esc(shortStage(s.Stage, w)))
		}
	}
	// Events, stacked when they fall close together.
	lastX, stack := -100.0, 0
	for _, e := range r.Events {
		ex := x(e.At)
		if ex-lastX < 5 {
			stack = (stack + 1) % 4
		} else {
			stack = 0
		}
		lastX = ex
		class := "ev-other"
		switch e.Type {
		case "NotificationSent":
			class = "ev-notice"
		case "EventCorrected":
			class = "ev-correction"
		}
		fmt.Fprintf(&b, `<circle class="ev %s" cx="%.1f" cy="%.0f" r="4"><title>seq %d, %s: %s — %s by %s</title></circle>`,
			class, ex, eventY+float64(stack)*8-12, e.Sequence, esc(stamp(e.At)), esc(e.Kind), esc(e.Summary), esc(e.Actor))
	}
	// Deadlines.
	row := 0
	for i, o := range r.Obligations {
		dx := x(o.DueAt)
		title := fmt.Sprintf("#%d %s (%s) due %s: %s", i+1, o.ID, o.Citation, stamp(o.DueAt), StatusLabel(o.Obligation))
		st := esc(string(o.Status))
		if o.DueAt.After(end) {
			// Beyond the axis: an arrow at its right edge, in a row of its
			// own, after a label that names the deadline.
			y := rowY + float64(row)*rowH
			row++
			label := fmt.Sprintf("#%d %s due %s", i+1, clip(safetext.Line(o.ID), 40), o.DueAt.UTC().Format("2006-01-02 15:04 UTC"))
			fmt.Fprintf(&b, `<path class="due st-%s" d="M%.1f %.0f l8 5 l-8 5 z"><title>%s (beyond the axis)</title></path>`, st, width-right-8, y-5, esc(title))
			fmt.Fprintf(&b, `<text class="due-label beyond-end" x="%.1f" y="%.0f">%s →</text>`, width-right-12, y+4, esc(label))
			continue
		}
		fmt.Fprintf(&b, `<line class="due-line st-%s" x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f"/>`, st, dx, bandY, dx, dueY)
		fmt.Fprintf(&b, `<path class="due st-%s" d="M%.1f %.0f l6 6 l-6 6 l-6 -6 z"><title>%s</title></path>`, st, dx, dueY-6, esc(title))
		fmt.Fprintf(&b, `<text class="due-num" x="%.1f" y="%.0f">%d</text>`, dx, dueY+17+float64(i%2)*9, i+1)
	}
	// The as-of line.
	if !r.AsOf.Before(start) && !r.AsOf.After(end) {
		ax := x(r.AsOf)
		fmt.Fprintf(&b, `<line class="asof" x1="%.1f" y1="18" x2="%.1f" y2="%.0f"/><text class="asof-label" x="%.1f" y="14">as of</text>`, ax, ax, axisY, ax-2)
	}
	// The axis, with ticks at a step that gives a handful of labels.
	fmt.Fprintf(&b, `<line class="axis" x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f"/>`, left, axisY, width-right, axisY)
	step, layout := tickStep(total)
	for t := start.Truncate(step).Add(step); t.Before(end); t = t.Add(step) {
		tx := x(t)
		fmt.Fprintf(&b, `<line class="tick" x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f"/><text class="tick-label" x="%.1f" y="%.0f">%s</text>`,
			tx, axisY, tx, axisY+4, tx, axisY+16, esc(t.UTC().Format(layout)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// clip shortens s to n runes, ending it with an ellipsis, so a long
// obligation ID cannot push its label off the chart (the full ID is in the
// deadline's tooltip and the obligations table).
func clip(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}

func shortStage(s domain.Stage, w float64) string {
	if w > 150 {
		return s.Title()
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// tickStep returns a step that gives 4 to 12 ticks over total, and how to
// label them.
func tickStep(total time.Duration) (time.Duration, string) {
	steps := []struct {
		d      time.Duration
		layout string
	}{
		{time.Hour, "Jan 2 15:04"}, {3 * time.Hour, "Jan 2 15:04"}, {6 * time.Hour, "Jan 2 15:04"}, {12 * time.Hour, "Jan 2 15:04"},
		{24 * time.Hour, "Jan 2"}, {2 * 24 * time.Hour, "Jan 2"}, {7 * 24 * time.Hour, "Jan 2"}, {14 * 24 * time.Hour, "Jan 2"},
		{30 * 24 * time.Hour, "Jan 2006"}, {91 * 24 * time.Hour, "Jan 2006"}, {365 * 24 * time.Hour, "2006"},
	}
	for _, s := range steps {
		if total/s.d <= 12 {
			return s.d, s.layout
		}
	}
	last := steps[len(steps)-1]
	return time.Duration(math.Ceil(float64(total)/float64(last.d)/12)) * last.d, last.layout
}
