package projections

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/safetext"
)

// PeriodReport is the report over the incidents detected in a period: how
// many of each classification and category, how long detection took to
// become a declaration and a declaration to become a customer notice (median
// and 90th percentile), how often each obligation was met on time, and every
// late notice with its reason. Obligations are evaluated at the cut's as-of
// time.
//
// On time is judged on business time, as the status is: a notice dated
// (--at) by its due time counts as on time even when the ledger learnt of it
// only after the due time (the law asks when the notice was sent, and such
// an entry needs a late-entry reason). The report never counts one silently:
// the rate table counts them apart (OnTimeRate.RecordedLate, "of them
// recorded after due") and RecordedLate lists each with how late it was
// recorded.
type PeriodReport struct {
	Ledger    string    `json:"ledger"`
	From      time.Time `json:"from"` // detected at or after
	To        time.Time `json:"to"`   // detected before
	AsOf      time.Time `json:"as_of"`
	KnownAt   time.Time `json:"known_at"`
	Incidents int       `json:"incidents"`

	ByClassification []Count `json:"by_classification"`
	ByCategory       []Count `json:"by_category"`

	DetectionToDeclaration DurationStats `json:"detection_to_declaration"`
	DeclarationToNotice    DurationStats `json:"declaration_to_notice"` // to the first customer notice
	AwarenessToAuthority   DurationStats `json:"awareness_to_authority"`

	OnTime      []OnTimeRate     `json:"on_time"`
	LateNotices []LateNotice     `json:"late_notices"`
	Overdue     []LateNotice     `json:"overdue"`
	Rows        []PeriodIncident `json:"rows"`

	// RecordedLate lists the obligations met on time by a notice the
	// ledger learnt of only after the due time.
	RecordedLate []RecordedLateNotice `json:"recorded_late"`

	Integrity history.Provenance `json:"integrity"`
	Reproduce string             `json:"reproduce"`
}

// Count is how many incidents have one value.
type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// DurationStats summarises durations: median (the middle value, or the mean
// of the two middle ones) and 90th percentile (nearest rank: the smallest
// value at least 90% of the values are at or below).
type DurationStats struct {
	N      int    `json:"n"`
	Min    string `json:"min,omitempty"`
	Median string `json:"median,omitempty"`
	P90    string `json:"p90,omitempty"`
	Max    string `json:"max,omitempty"`

	MedianSeconds int64 `json:"median_seconds"`
	P90Seconds    int64 `json:"p90_seconds"`
}

// Stats computes DurationStats over ds.
func Stats(ds []time.Duration) DurationStats {
	s := DurationStats{N: len(ds)}
	if len(ds) == 0 {
		return s
	}
	v := append([]time.Duration(nil), ds...)
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	n := len(v)
	med := v[n/2]
	if n%2 == 0 {
		med = (v[n/2-1] + v[n/2]) / 2
	}
	rank := (9*n + 9) / 10 // ceil(0.9 n)
	p90 := v[rank-1]
	s.Min, s.Median, s.P90, s.Max = span(v[0]), span(med), span(p90), span(v[n-1])
	s.MedianSeconds, s.P90Seconds = int64(med/time.Second), int64(p90/time.Second)
	return s
}

// OnTimeRate is how the obligations of one rule fared.
type OnTimeRate struct {
	Rule     string `json:"rule"`
	Regime   string `json:"regime"`
	Citation string `json:"citation"`
	Total    int    `json:"total"`
	OnTime   int    `json:"on_time"`
	Late     int    `json:"late"`
	Overdue  int    `json:"overdue"`
	Open     int    `json:"open"` // pending, due-soon or held: not yet decided
	Waived   int    `json:"waived"`
	Rate     string `json:"rate"` // on time / (on time + late + overdue)
	// RecordedLate is how many of the on-time ones the ledger learnt of
	// only after their due time (counted on time: see PeriodReport).
	RecordedLate int `json:"recorded_late"`
}

// LateNotice is an obligation met late, or overdue at the as-of time.
type LateNotice struct {
	Incident   string        `json:"incident"`
	Obligation string        `json:"obligation"`
	Citation   string        `json:"citation"`
	DueAt      time.Time     `json:"due_at"`
	SentAt     time.Time     `json:"sent_at,omitzero"`
	Notice     string        `json:"notice,omitempty"`
	Late       string        `json:"late"`
	Status     domain.Status `json:"status"`
	Reason     string        `json:"reason"`
	// RecordedLateBy: how long after due the ledger learnt of the notice.
	RecordedLateBy string `json:"recorded_late_by,omitempty"`
}

// RecordedLateNotice is an obligation met on time, in business time, by a
// notice the ledger learnt of only after the due time.
type RecordedLateNotice struct {
	Incident       string        `json:"incident"`
	Obligation     string        `json:"obligation"`
	Citation       string        `json:"citation"`
	DueAt          time.Time     `json:"due_at"`
	SentAt         time.Time     `json:"sent_at"`
	Notice         string        `json:"notice"`
	Status         domain.Status `json:"status"`
	RecordedLateBy string        `json:"recorded_late_by"`
}

// PeriodIncident is one incident of the period.
type PeriodIncident struct {
	Incident               string                   `json:"incident"`
	Summary                string                   `json:"summary"`
	DetectedAt             time.Time                `json:"detected_at"`
	Classification         domain.Classification    `json:"classification,omitempty"`
	Category               domain.InformationImpact `json:"category,omitempty"`
	DeclaredAt             time.Time                `json:"declared_at,omitzero"`
	DetectionToDeclaration string                   `json:"detection_to_declaration,omitempty"`
	DeclarationToNotice    string                   `json:"declaration_to_notice,omitempty"`
	Obligations            int                      `json:"obligations"`
	Late                   int                      `json:"late"`
	Overdue                int                      `json:"overdue"`
}

// BuildPeriodReport builds the report over the incidents of h detected in
// [from, to), at the cut.
func BuildPeriodReport(h *history.History, from, to time.Time, cut domain.Cut, p history.Provenance, format string) PeriodReport {
	l := h.LedgerAt(cut)
	r := PeriodReport{Ledger: l.Name, From: from, To: to, AsOf: cut.AsOf, KnownAt: cut.KnownAt, Integrity: p,
		Reproduce: reproduce(fmt.Sprintf("--from %s --to %s --format %s", stamp(from), stamp(to), format), p, cut.AsOf, cut.KnownAt)}
	classes, categories := map[string]int{}, map[string]int{}
	var d2d, d2n, a2a []time.Duration
	rates := map[string]*OnTimeRate{}
	var order []string
	for _, id := range h.IncidentIDs() {
		inc := history.IncidentAt(id, h.Incidents[id], cut)
		if !inc.Exists || inc.Detection.At.Before(from) || !inc.Detection.At.Before(to) {
			continue
		}
		r.Incidents++
		row := PeriodIncident{Incident: id, Summary: inc.Detection.Summary, DetectedAt: inc.Detection.At}
		cls, cat := "unclassified", "not assessed"
		if c := inc.Classification; c != nil {
			cls = string(c.Classification)
			row.Classification = c.Classification
		}
		if a := inc.Assessment; a != nil {
			cat = string(a.InformationImpact)
			row.Category = a.InformationImpact
		}
		classes[cls]++
		categories[cat]++
		if dc := inc.Declaration; dc != nil {
			row.DeclaredAt = dc.At
			d := dc.At.Sub(inc.Detection.At)
			d2d = append(d2d, d)
			row.DetectionToDeclaration = span(d)
			if first, _ := customerNotices(&inc); !first.IsZero() {
				d := first.Sub(dc.At)
				d2n = append(d2n, d)
				row.DeclarationToNotice = span(d)
			}
		}
		for _, n := range inc.Notifications {
			if n.RecipientKind == domain.RecipientAuthority && n.Phase != domain.PhaseDelayNotice && n.Phase != domain.PhaseWithdrawn {
				a2a = append(a2a, n.At.Sub(inc.Detection.AwareAt))
				break
			}
		}
		for _, o := range domain.Obligations(&inc, l.Settings, cut.AsOf) {
			row.Obligations++
			rt, ok := rates[o.Rule]
			if !ok {
				rt = &OnTimeRate{Rule: o.Rule, Regime: o.Regime, Citation: o.Citation}
				rates[o.Rule] = rt
				order = append(order, o.Rule)
			}
			rt.Total++
			switch o.Status {
			case domain.StatusMet:
				rt.OnTime++
				if o.RecordedLateBy != "" {
					rt.RecordedLate++
					r.RecordedLate = append(r.RecordedLate, RecordedLateNotice{Incident: id, Obligation: o.ID, Citation: citation(o), DueAt: o.DueAt, SentAt: o.MetAt, Notice: o.MetBy,
						Status: o.Status, RecordedLateBy: o.RecordedLateBy})
				}
			case domain.StatusMetLate:
				rt.Late++
				row.Late++
				r.LateNotices = append(r.LateNotices, LateNotice{Incident: id, Obligation: o.ID, Citation: citation(o), DueAt: o.DueAt, SentAt: o.MetAt, Notice: o.MetBy,
					Late: span(o.MetAt.Sub(o.DueAt)), Status: o.Status, Reason: orDash(o.Reason), RecordedLateBy: o.RecordedLateBy})
			case domain.StatusOverdue:
				rt.Overdue++
				row.Overdue++
				r.Overdue = append(r.Overdue, LateNotice{Incident: id, Obligation: o.ID, Citation: citation(o), DueAt: o.DueAt, Late: span(cut.AsOf.Sub(o.DueAt)),
					Status: o.Status, Reason: orDash(o.Reason)})
			case domain.StatusWaived:
				rt.Waived++
			default:
				rt.Open++
			}
		}
		r.Rows = append(r.Rows, row)
	}
	r.ByClassification = counts(classes, append(names(domain.Classifications()), "unclassified"))
	r.ByCategory = counts(categories, append(names(domain.InformationImpacts()), "not assessed"))
	r.DetectionToDeclaration, r.DeclarationToNotice, r.AwarenessToAuthority = Stats(d2d), Stats(d2n), Stats(a2a)
	sort.Strings(order)
	for _, rule := range order {
		rt := rates[rule]
		if den := rt.OnTime + rt.Late + rt.Overdue; den > 0 {
			rt.Rate = strconv.FormatFloat(100*float64(rt.OnTime)/float64(den), 'f', 1, 64) + "%"
		} else {
			rt.Rate = "-"
		}
		r.OnTime = append(r.OnTime, *rt)
	}
	sort.SliceStable(r.LateNotices, func(i, j int) bool { return r.LateNotices[i].DueAt.Before(r.LateNotices[j].DueAt) })
	sort.SliceStable(r.Overdue, func(i, j int) bool { return r.Overdue[i].DueAt.Before(r.Overdue[j].DueAt) })
	sort.SliceStable(r.RecordedLate, func(i, j int) bool { return r.RecordedLate[i].DueAt.Before(r.RecordedLate[j].DueAt) })
	emptySlices(&r)
	return r
}

// counts lists every key in order (known keys first, then any other,
// sorted), with zero counts for the known keys.
func counts(m map[string]int, known []string) []Count {
	var out []Count
	for _, k := range known {
		out = append(out, Count{Key: k, Count: m[k]})
	}
	var rest []string
	for k := range m {
		found := false
		for _, kk := range known {
			found = found || kk == k
		}
		if !found {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, Count{Key: k, Count: m[k]})
	}
	return out
}

// WritePeriodReport writes a period report in format (md, html, json, csv).
func WritePeriodReport(w io.Writer, r PeriodReport, format string) error {
	switch format {
	case FormatMarkdown:
		return writePeriodMarkdown(w, r)
	case FormatHTML:
		return periodHTML().Execute(w, r)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatCSV:
		return writePeriodCSV(w, r)
	}
	return fmt.Errorf("unknown report format %q (use %s)", format, strings.Join(ReportFormats, ", "))
}

func periodTables(r PeriodReport) (classT, catT, statsT, rateT, lateT, overdueT, recordedT, rowsT table) {
	classT = table{head: []string{"Classification", "Incidents"}}
	for _, c := range r.ByClassification {
		classT.add(c.Key, strconv.Itoa(c.Count))
	}
	catT = table{head: []string{"Category (information impact)", "Incidents"}}
	for _, c := range r.ByCategory {
		catT.add(c.Key, strconv.Itoa(c.Count))
	}
	statsT = table{head: []string{"Interval", "n", "Median", "90th percentile", "Min", "Max"}}
	for _, s := range []struct {
		name string
		s    DurationStats
	}{{"detection to CRSPI declaration", r.DetectionToDeclaration}, {"declaration to first customer notice", r.DeclarationToNotice}, {"awareness to first supervisory-authority notice", r.AwarenessToAuthority}} {
		statsT.add(s.name, strconv.Itoa(s.s.N), s.s.Median, s.s.P90, s.s.Min, s.s.Max)
	}
	rateT = table{head: []string{"Obligation", "Citation", "Total", "On time", "Of them recorded after due", "Late", "Overdue", "Open", "Waived", "On-time rate"}}
	for _, o := range r.OnTime {
		rateT.add(o.Rule, o.Citation, strconv.Itoa(o.Total), strconv.Itoa(o.OnTime), strconv.Itoa(o.RecordedLate), strconv.Itoa(o.Late), strconv.Itoa(o.Overdue), strconv.Itoa(o.Open), strconv.Itoa(o.Waived), o.Rate)
	}
	lateT = table{head: []string{"Incident", "Obligation", "Citation", "Due (UTC)", "Sent (UTC)", "Late by", "Reason"}}
	for _, l := range r.LateNotices {
		lateT.add(l.Incident, l.Obligation, l.Citation, stamp(l.DueAt), stamp(l.SentAt), lateBy(l), l.Reason)
	}
	recordedT = table{head: []string{"Incident", "Obligation", "Citation", "Due (UTC)", "Sent (UTC)", "Status"}}
	for _, l := range r.RecordedLate {
		recordedT.add(l.Incident, l.Obligation, l.Citation, stamp(l.DueAt), stamp(l.SentAt), statusWith(l.Status, l.RecordedLateBy))
	}
	overdueT = table{head: []string{"Incident", "Obligation", "Citation", "Due (UTC)", "Overdue by", "Detail"}}
	for _, l := range r.Overdue {
		overdueT.add(l.Incident, l.Obligation, l.Citation, stamp(l.DueAt), l.Late, l.Reason)
	}
	rowsT = table{head: []string{"Incident", "Detected (UTC)", "Classification", "Category", "Detection to declaration", "Declaration to notice", "Obligations", "Late", "Overdue", "Summary"}}
	for _, x := range r.Rows {
		rowsT.add(x.Incident, stamp(x.DetectedAt), string(x.Classification), string(x.Category), x.DetectionToDeclaration, x.DeclarationToNotice,
			strconv.Itoa(x.Obligations), strconv.Itoa(x.Late), strconv.Itoa(x.Overdue), x.Summary)
	}
	return
}

func writePeriodMarkdown(w io.Writer, r PeriodReport) error {
	p := &printer{w: w}
	classT, catT, statsT, rateT, lateT, overdueT, recordedT, rowsT := periodTables(r)
	p.f("# Period report — %s\n\n", md(r.Ledger))
	p.f("Incidents detected from %s to %s (not included): %d. Obligations as of %s, known at %s.\n\n", stamp(r.From), stamp(r.To), r.Incidents, stamp(r.AsOf), stamp(r.KnownAt))
	p.f("## Incidents by classification\n\n")
	classT.md(p)
	p.f("## Incidents by category\n\n")
	catT.md(p)
	p.f("## Response times\n\n")
	p.f("Median: the middle value (the mean of the two middle ones); 90th percentile: nearest rank.\n\n")
	statsT.md(p)
	p.f("## On-time rate per obligation\n\n")
	p.f("%s\n\n", onTimeNote)
	rateT.md(p)
	p.f("## Late notices\n\n")
	lateT.md(p)
	p.f("## Recorded after due\n\n")
	p.f("Met on time by a notice the ledger learnt of only after the due time.\n\n")
	recordedT.md(p)
	p.f("## Overdue at %s\n\n", stamp(r.AsOf))
	overdueT.md(p)
	p.f("## Incidents\n\n")
	rowsT.md(p)
	p.f("## Integrity\n\n")
	for _, l := range footer(r.Integrity) {
		p.f("%s\n\n", mdLine(l))
	}
	p.f("Rebuild this report byte for byte:\n\n%s", mdFence(safetext.Line(r.Reproduce)))
	return p.err
}

func writePeriodCSV(w io.Writer, r PeriodReport) error {
	c := &csvWriter{w: newCSV(w)}
	c.row("section", "key", "n", "value", "detail")
	c.row("period", stamp(r.From), strconv.Itoa(r.Incidents), stamp(r.To), fmt.Sprintf("as of %s, known at %s", stamp(r.AsOf), stamp(r.KnownAt)))
	for _, x := range r.ByClassification {
		c.row("classification", x.Key, strconv.Itoa(x.Count), "", "")
	}
	for _, x := range r.ByCategory {
		c.row("category", x.Key, strconv.Itoa(x.Count), "", "")
	}
	for _, s := range []struct {
		name string
		s    DurationStats
	}{{"detection-to-declaration", r.DetectionToDeclaration}, {"declaration-to-notice", r.DeclarationToNotice}, {"awareness-to-authority", r.AwarenessToAuthority}} {
		c.row("median", s.name, strconv.Itoa(s.s.N), strconv.FormatInt(s.s.MedianSeconds, 10), s.s.Median)
		c.row("p90", s.name, strconv.Itoa(s.s.N), strconv.FormatInt(s.s.P90Seconds, 10), s.s.P90)
	}
	for _, o := range r.OnTime {
		c.row("on-time", o.Rule, strconv.Itoa(o.Total), o.Rate, fmt.Sprintf("on time %d (of them recorded after due %d), late %d, overdue %d, open %d, waived %d; %s", o.OnTime, o.RecordedLate, o.Late, o.Overdue, o.Open, o.Waived, o.Citation))
	}
	for _, l := range r.LateNotices {
		c.row("late", l.Incident+" "+l.Obligation, "", l.Late, fmt.Sprintf("due %s, sent %s: %s", stamp(l.DueAt), stamp(l.SentAt), joinNonEmpty(l.Reason, recordedLateBy(l.RecordedLateBy))))
	}
	for _, l := range r.RecordedLate {
		c.row("recorded-late", l.Incident+" "+l.Obligation, "", l.RecordedLateBy, fmt.Sprintf("due %s, sent %s: %s, %s", stamp(l.DueAt), stamp(l.SentAt), l.Status, recordedLateBy(l.RecordedLateBy)))
	}
	for _, l := range r.Overdue {
		c.row("overdue", l.Incident+" "+l.Obligation, "", l.Late, fmt.Sprintf("due %s: %s", stamp(l.DueAt), l.Reason))
	}
	for _, x := range r.Rows {
		c.row("incident", x.Incident, strconv.Itoa(x.Obligations), string(x.Classification), fmt.Sprintf("%s; detected %s; %s; late %d, overdue %d", x.Summary, stamp(x.DetectedAt), x.Category, x.Late, x.Overdue))
	}
	p := r.Integrity
	c.row("integrity", p.Origin, strconv.FormatUint(p.TreeSize, 10), p.Root, strings.Join(footer(p), " "))
	c.row("reproduce", "", "", r.Reproduce, "")
	return c.flush()
}

var periodHTML = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("period").Funcs(htmlFuncs).Funcs(template.FuncMap{"onTimeNote": func() string { return onTimeNote }}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="breachledger">
<title>Period report — {{.Ledger}}</title>
<style>{{css}}</style>
</head>
<body>
<header class="masthead">
<p class="kicker">Period report · {{.Ledger}}</p>
<h1 id="title">Incidents detected {{stamp .From}} to {{stamp .To}}</h1>
<p class="meta">Obligations as of {{stamp .AsOf}} · known at {{stamp .KnownAt}}</p>
<div class="cards">
<div class="card"><span class="big">{{.Incidents}}</span><span class="label">incidents</span></div>
<div class="card"><span class="big">{{cell .DetectionToDeclaration.Median}}</span><span class="label">median detection → declaration (p90 {{cell .DetectionToDeclaration.P90}})</span></div>
<div class="card"><span class="big">{{cell .DeclarationToNotice.Median}}</span><span class="label">median declaration → customer notice (p90 {{cell .DeclarationToNotice.P90}})</span></div>
<div class="card"><span class="big">{{len .LateNotices}}</span><span class="label">late notices</span></div>
<div class="card"><span class="big">{{len .Overdue}}</span><span class="label">overdue</span></div>
</div>
</header>
<section><h2>Incidents by classification and category</h2>
<table class="narrow"><thead><tr><th>Classification</th><th class="num">Incidents</th></tr></thead><tbody>{{range .ByClassification}}<tr><td>{{.Key}}</td><td class="num">{{.Count}}</td></tr>{{end}}</tbody></table>
<table class="narrow"><thead><tr><th>Category</th><th class="num">Incidents</th></tr></thead><tbody>{{range .ByCategory}}<tr><td>{{.Key}}</td><td class="num">{{.Count}}</td></tr>{{end}}</tbody></table>
</section>
<section><h2>Response times</h2>
<p class="note">Median: the middle value (the mean of the two middle ones); 90th percentile: nearest rank.</p>
<table><thead><tr><th>Interval</th><th class="num">n</th><th class="num">Median</th><th class="num">90th percentile</th><th class="num">Min</th><th class="num">Max</th></tr></thead><tbody>
<tr><td>detection to CRSPI declaration</td><td class="num">{{.DetectionToDeclaration.N}}</td><td class="num">{{cell .DetectionToDeclaration.Median}}</td><td class="num">{{cell .DetectionToDeclaration.P90}}</td><td class="num">{{cell .DetectionToDeclaration.Min}}</td><td class="num">{{cell .DetectionToDeclaration.Max}}</td></tr>
<tr><td>declaration to first customer notice</td><td class="num">{{.DeclarationToNotice.N}}</td><td class="num">{{cell .DeclarationToNotice.Median}}</td><td class="num">{{cell .DeclarationToNotice.P90}}</td><td class="num">{{cell .DeclarationToNotice.Min}}</td><td class="num">{{cell .DeclarationToNotice.Max}}</td></tr>
<tr><td>awareness to first supervisory-authority notice</td><td class="num">{{.AwarenessToAuthority.N}}</td><td class="num">{{cell .AwarenessToAuthority.Median}}</td><td class="num">{{cell .AwarenessToAuthority.P90}}</td><td class="num">{{cell .AwarenessToAuthority.Min}}</td><td class="num">{{cell .AwarenessToAuthority.Max}}</td></tr>
</tbody></table></section>
<section><h2>On-time rate per obligation</h2>
<p class="note">{{onTimeNote}}</p>
<table><thead><tr><th>Obligation</th><th>Citation</th><th class="num">Total</th><th class="num">On time</th><th class="num">Of them recorded after due</th><th class="num">Late</th><th class="num">Overdue</th><th class="num">Open</th><th class="num">Waived</th><th class="num">Rate</th></tr></thead><tbody>
{{range .OnTime}}<tr><td><code>{{.Rule}}</code></td><td>{{.Citation}}</td><td class="num">{{.Total}}</td><td class="num">{{.OnTime}}</td><td class="num">{{.RecordedLate}}</td><td class="num">{{.Late}}</td><td class="num">{{.Overdue}}</td><td class="num">{{.Open}}</td><td class="num">{{.Waived}}</td><td class="num"><strong>{{.Rate}}</strong></td></tr>
{{end}}</tbody></table></section>
<section><h2>Late notices</h2>
{{if .LateNotices}}<table><thead><tr><th>Incident</th><th>Obligation</th><th>Due (UTC)</th><th>Sent (UTC)</th><th class="num">Late by</th><th>Reason</th></tr></thead><tbody>
{{range .LateNotices}}<tr class="st-met-late"><td><code>{{.Incident}}</code></td><td><code>{{.Obligation}}</code><br><small>{{.Citation}}</small></td><td>{{stamp .DueAt}}</td><td>{{stamp .SentAt}}</td><td class="num">{{.Late}}{{with .RecordedLateBy}}<br><small class="recorded-late">recorded {{.}} after due</small>{{end}}</td><td>{{.Reason}}</td></tr>
{{end}}</tbody></table>{{else}}<p>None.</p>{{end}}
<h3>Recorded after due</h3>
<p class="note">Met on time by a notice the ledger learnt of only after the due time.</p>
{{if .RecordedLate}}<table><thead><tr><th>Incident</th><th>Obligation</th><th>Due (UTC)</th><th>Sent (UTC)</th><th>Status</th></tr></thead><tbody>
{{range .RecordedLate}}<tr class="st-met"><td><code>{{.Incident}}</code></td><td><code>{{.Obligation}}</code><br><small>{{.Citation}}</small></td><td>{{stamp .DueAt}}</td><td>{{stamp .SentAt}}</td><td><span class="badge st-{{.Status}}">{{.Status}}</span> <small class="recorded-late">recorded {{.RecordedLateBy}} after due</small></td></tr>
{{end}}</tbody></table>{{else}}<p>None.</p>{{end}}
<h3>Overdue at {{stamp .AsOf}}</h3>
{{if .Overdue}}<table><thead><tr><th>Incident</th><th>Obligation</th><th>Due (UTC)</th><th class="num">Overdue by</th><th>Detail</th></tr></thead><tbody>
{{range .Overdue}}<tr class="st-overdue"><td><code>{{.Incident}}</code></td><td><code>{{.Obligation}}</code><br><small>{{.Citation}}</small></td><td>{{stamp .DueAt}}</td><td class="num">{{.Late}}</td><td>{{.Reason}}</td></tr>
{{end}}</tbody></table>{{else}}<p>None.</p>{{end}}
</section>
<section><h2>Incidents</h2>
<table><thead><tr><th>Incident</th><th>Detected (UTC)</th><th>Classification</th><th>Category</th><th class="num">Detection → declaration</th><th class="num">Declaration → notice</th><th class="num">Late</th><th class="num">Overdue</th></tr></thead><tbody>
{{range .Rows}}<tr><td><code>{{.Incident}}</code><br><small>{{.Summary}}</small></td><td>{{stamp .DetectedAt}}</td><td>{{cell (print .Classification)}}</td><td>{{cell (print .Category)}}</td><td class="num">{{cell .DetectionToDeclaration}}</td><td class="num">{{cell .DeclarationToNotice}}</td><td class="num">{{.Late}}</td><td class="num">{{.Overdue}}</td></tr>
{{end}}</tbody></table></section>
<footer id="integrity">
<h2>Integrity</h2>
{{range footer .Integrity}}<p>{{.}}</p>
{{end}}{{if .Integrity.Note}}<pre class="note-text">{{.Integrity.Note}}</pre>{{end}}
<p>Rebuild this report byte for byte:</p>
<pre>{{.Reproduce}}</pre>
</footer>
</body>
</html>
`))
})
