package projections

import (
	"encoding/csv"
	"html/template"
	"io"
	"sync"
)

func newCSV(w io.Writer) *csv.Writer { return csv.NewWriter(w) }

var registerHTML = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("register").Funcs(htmlFuncs).Funcs(template.FuncMap{
		"notified": func(es []RegisterEntry) (n int) {
			for _, e := range es {
				if e.Notified != "not notified" {
					n++
				}
			}
			return n
		},
	}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="breachledger">
<title>Breach register — {{.Ledger}}</title>
<style>{{css}}</style>
</head>
<body>
<header class="masthead">
<p class="kicker">Breach register · GDPR Art. 33(5)</p>
<h1 id="title">{{.Ledger}}</h1>
<p class="meta">As of {{stamp .AsOf}} · known at {{stamp .KnownAt}} · every personal data breach, notified or not, with its facts, effects, remedial action and the reasoning for notifying or not</p>
<div class="cards">
<div class="card"><span class="big">{{len .Entries}}</span><span class="label">entries</span></div>
<div class="card"><span class="big">{{notified .Entries}}</span><span class="label">notified to someone</span></div>
</div>
</header>
<section id="entries">
<h2>Entries</h2>
<table><thead><tr><th>Incident</th><th>Detected (UTC)</th><th>Status</th><th>Risk</th><th>Notified</th></tr></thead><tbody>
{{range .Entries}}<tr><td><a href="#{{.Incident}}"><code>{{.Incident}}</code></a><br><small>{{.Summary}}</small></td><td>{{stamp .DetectedAt}}</td><td>{{.Status}}</td><td>{{cell (print .Risk)}}</td><td>{{.Notified}}</td></tr>
{{end}}</tbody></table>
</section>
{{range .Entries}}<section class="entry" id="{{.Incident}}">
<h2>{{.Summary}}</h2>
<p class="meta">Incident <code>{{.Incident}}</code> · {{.Status}} · records for {{join .RecordsFor "; "}}</p>
<table class="kv">
<tr><th>Detected</th><td>{{stamp .DetectedAt}} via {{.Source}}; aware {{stamp .AwareAt}}; acting as {{.Role}}</td></tr>
<tr><th>Classification</th><td>{{cell (print .Classification)}} · category {{cell (print .Category)}} · stage {{stage .Stage}}{{if .Closed}}, closed {{stamp .ClosedAt}}{{end}}</td></tr>
<tr><th>Facts</th><td>{{if .Customers}}customers {{join .Customers ", "}}; {{end}}{{if .DataCategories}}data {{join .DataCategories ", "}}; {{end}}{{if .SubjectCategories}}subjects {{join .SubjectCategories ", "}}; {{end}}{{if eq .SubjectsFrom "affected"}}{{.Subjects}} people counted{{else}}~{{.Subjects}} people{{end}}, ~{{.Records}} records{{if .Jurisdictions}}; {{join .Jurisdictions ", "}}{{end}}{{range .Affected}}; {{.Jurisdiction}} {{.Count}}{{end}}</td></tr>
<tr><th>Effects</th><td>{{if .Severity}}severity {{.Severity}}/{{.Priority}}; {{end}}GDPR risk level {{cell (print .Risk)}}{{if .RiskReasoning}}: {{.RiskReasoning}}{{end}}{{if .RiskFactors}}<br><small>factors: {{.RiskFactors}}</small>{{end}}{{if .RiskAdvice}}<br><small>advice: {{.RiskAdvice}}</small>{{end}}</td></tr>
<tr><th>Remedial action</th><td>{{range .Actions}}<div>{{.}}</div>{{else}}none recorded{{end}}{{if .Postmortem}}<div><small>post-mortem: {{.Postmortem}}</small></div>{{end}}</td></tr>
<tr><th>Notified</th><td>{{.Notified}}{{range .Notices}}<div><small>{{stamp .At}} {{.Phase}} {{.To}} ({{.Recipient}}{{if .Jurisdiction}}, {{.Jurisdiction}}{{end}})</small></div>{{end}}</td></tr>
<tr><th>Obligations</th><td>{{range .Obligations}}<div><code>{{.ID}}</code> <span class="badge {{status .Status}}">{{.Status}}</span>{{if .RecordedLateBy}} <small class="recorded-late">recorded {{.RecordedLateBy}} after due</small>{{end}} due {{stamp .DueAt}}</div>{{else}}none{{end}}</td></tr>
<tr><th>Reasoning</th><td><ul>{{range .Reasoning}}<li>{{.}}</li>{{end}}</ul></td></tr>
</table>
</section>
{{end}}
<footer id="integrity">
<h2>Integrity</h2>
{{range footer .Integrity}}<p>{{.}}</p>
{{end}}{{if .Integrity.Note}}<pre class="note-text">{{.Integrity.Note}}</pre>{{end}}
<p>Rebuild this register byte for byte:</p>
<pre>{{.Reproduce}}</pre>
</footer>
</body>
</html>
`))
})
