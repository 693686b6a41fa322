package projections_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/projections"
)

// mdInjections are texts a responder may record to make a Markdown export
// link somewhere, load something or run a script: links, images and
// reference definitions; autolinks, CommonMark's and GFM's extended ones
// (www., http://, e-mail, mailto:); raw HTML and HTML blocks; a backslash
// that would cancel an escape; entity references; and what would start a
// block (heading, list, quote, fence, code block) at the start of a line.
var mdInjections = []string{
	"[click](javascript:alert(1))",
	"![pixel](http://evil.example/p.png)",
	`\[x](javascript:alert(1))`,
	`\\[x\\](http://evil.example)`,
	"&#91;x&#93;(javascript:alert(1))",
	"&lt;script&gt; &amp; &#x3C;b&#x3E;",
	"[x]: javascript:alert(1) \"t\"",
	"[x] [^1] [x][] [x][x]",
	"](http://evil.example)",
	"<http://evil.example/a>",
	"<mailto:a@evil.example>",
	"<a href=\"javascript:alert(1)\">a</a>",
	"<script>alert(1)</script>",
	"<div>block</div>",
	"<!-- c --> <?php ?> <![CDATA[x]]>",
	"http://evil.example/a",
	"see https://evil.example/b.",
	"(www.evil.example/c)",
	"www.evil.example",
	"ftp://evil.example/d",
	"mailto:a@evil.example xmpp:a@evil.example",
	"write to attacker@evil.example",
	"*attacker@evil.example*",
	"x`y` [z](http://evil.example) `",
	"# pwned",
	"pwned #",
	"- pwned",
	"+ pwned",
	"1. pwned",
	"1) pwned",
	"> pwned",
	"~~~ pwned",
	"``` pwned",
	"---",
	"___",
	"===",
	"    pwned",
	"|a|b|",
	"a\n[b](http://evil.example)\n# pwned",
	"\x1b[31m\u202e[r](http://evil.example)",
}

// injectionHistory is one history whose every free-text field, actor name
// and ledger name holds one of texts (and each incident ID too when
// hostileIDs), an incident per text,
// each a declared privacy breach (so that it has obligations, one per
// customer, named after the customer), with a notice, an action, evidence,
// a post-mortem and a correction.
func injectionHistory(t *testing.T, texts []string, hostileIDs bool) *history.History {
	t.Helper()
	h := history.New()
	seq := uint64(0)
	revs := map[string]uint64{}
	add := func(stream string, when time.Time, actor string, e domain.Event) {
		typ, _, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		h.Add(domain.Fact{ID: fmt.Sprintf("ev-%03d", seq), Sequence: seq, Stream: stream, Revision: revs[stream], Type: typ, At: when, Actor: actor, RecordedAt: when.Add(time.Minute), Event: e})
		seq++
		revs[stream]++
	}
	add(domain.LedgerStream, at("2025-01-01T00:00:00Z"), "admin", domain.LedgerInitialized{Name: strings.Join(texts[:3], " "), Admin: "admin"})
	for i, s := range texts {
		id := fmt.Sprintf("I%02d", i)
		if hostileIDs {
			id += s
		}
		inc := domain.IncidentStream(id)
		t0 := at("2025-03-07T21:40:00Z").Add(time.Duration(i) * time.Hour)
		step := func(n int) time.Time { return t0.Add(time.Duration(n) * 10 * time.Minute) }
		add(inc, step(0), s, domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: s, AwareAt: step(0), Role: domain.RoleBoth, Reference: s, AwareReason: s})
		add(inc, step(0), s, domain.PackPinned{Version: domain.CurrentPack().Version, Reason: s})
		add(inc, step(1), s, domain.StageChanged{From: domain.StageDetect, To: domain.StageAssess, Reason: s})
		add(inc, step(1), s, domain.IncidentAssessed{FunctionalImpact: domain.FunctionalMedium, Recoverability: domain.RecoverExtended, InformationImpact: domain.InfoPrivacy,
			DerivedSeverity: domain.SeverityHigh, DerivedPriority: domain.P1, Severity: domain.SeverityHigh, Priority: domain.P1})
		add(inc, step(2), s, domain.IncidentClassified{Classification: domain.ClassPrivacyBreach, Reason: s})
		add(inc, step(3), s, domain.ScopeRecorded{Customers: []string{s, "contoso"}, DataCategories: []string{s}, SubjectCategories: []string{s}, Subjects: 10, Records: 20})
		add(inc, step(4), s, domain.RiskDetermined{Level: domain.RiskHigh, Reasoning: s})
		add(inc, step(5), s, domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: s})
		add(inc, step(6), s, domain.ActionTaken{Kind: domain.ActionContainment, Description: s, Systems: []string{s}})
		add(inc, step(7), s, domain.EvidenceRecorded{Description: s, SHA256: s, Location: s})
		add(inc, step(8), s, domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Customer: s, Recipient: s, Channel: domain.ChannelEmail, Phase: domain.PhaseInitial,
			DelayReason: s, Reference: s, Summary: s})
		add(inc, step(9), s, domain.EventCorrected{Target: fmt.Sprintf("ev-%03d", seq-10), TargetType: "IncidentDetected", At: step(0), Changed: []string{"summary"}, Reason: s,
			Replacement: domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: s + " (corrected)", AwareAt: step(0), Role: domain.RoleBoth, Reference: s}})
		add(inc, step(10), s, domain.PostmortemCompleted{Summary: s, Location: s, SHA256: s})
	}
	return h
}

// injectionCut sees every fact of injectionHistory.
var injectionCut = domain.Cut{AsOf: at("2025-06-01T00:00:00Z"), KnownAt: at("2025-06-01T00:00:00Z")}

// injectionProvenance has a signed note whose text tries to close its code
// fence.
var injectionProvenance = history.Provenance{Origin: "breachledger/t/0", TreeSize: 14, Root: "cm9vdA==", RootHex: "726f6f74", Signed: true, Recomputed: true,
	Note: "breachledger/t/0\n```\n[x](javascript:alert(1)) <b>x</b>\n````\n14\ncm9vdA==\n\n— breachledger/t/0 c2ln\n"}

// markdownExports renders every Markdown export of h: each incident's
// report, the register and the period report (the CLI and the API share
// these renderers).
func markdownExports(t *testing.T, h *history.History, format string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for id, facts := range h.Incidents {
		r, ok := projections.BuildReport(h.LedgerAt(injectionCut), id, facts, injectionCut, injectionProvenance, format)
		if !ok {
			t.Fatalf("no report of incident %q", id)
		}
		var b bytes.Buffer
		if err := projections.WriteReport(&b, r, format); err != nil {
			t.Fatal(err)
		}
		out["report "+id] = b.Bytes()
	}
	var b bytes.Buffer
	if err := projections.WriteRegister(&b, projections.BuildRegister(h, injectionCut, injectionProvenance, format), format); err != nil {
		t.Fatal(err)
	}
	out["register"] = b.Bytes()
	b = bytes.Buffer{}
	p := projections.BuildPeriodReport(h, at("2025-01-01T00:00:00Z"), at("2025-06-01T00:00:00Z"), injectionCut, injectionProvenance, format)
	if err := projections.WritePeriodReport(&b, p, format); err != nil {
		t.Fatal(err)
	}
	out["period"] = b.Bytes()
	return out
}

// mdViolations parses doc as CommonMark with GitHub's extensions and
// returns every link, image, autolink or piece of HTML in it (the reports
// write none of their own, so each came from the ledger), and every block
// the reports never write (a list, quote, thematic break, indented code, a
// heading or fence that ledger text opened).
func mdViolations(doc []byte) []string {
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	root := md.Parser().Parse(text.NewReader(doc))
	var bad []string
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		line := func() string {
			if l := n.Lines(); l != nil && l.Len() > 0 {
				s := l.At(0)
				return string(s.Value(doc))
			}
			return ""
		}
		switch n := n.(type) {
		case *ast.Link:
			bad = append(bad, fmt.Sprintf("link to %q (%s)", n.Destination, destKind(n.Destination)))
		case *ast.Image:
			bad = append(bad, fmt.Sprintf("image from %q (%s)", n.Destination, destKind(n.Destination)))
		case *ast.AutoLink:
			bad = append(bad, fmt.Sprintf("autolink to %q", n.URL(doc)))
		case *ast.RawHTML:
			bad = append(bad, fmt.Sprintf("raw HTML %q", n.Segments.Value(doc)))
		case *ast.HTMLBlock:
			bad = append(bad, fmt.Sprintf("HTML block %q", line()))
		case *ast.List, *ast.Blockquote, *ast.ThematicBreak, *ast.CodeBlock:
			bad = append(bad, fmt.Sprintf("%s opened by ledger text", n.Kind()))
		case *ast.FencedCodeBlock:
			if !strings.HasPrefix(line(), "breachledger") {
				bad = append(bad, fmt.Sprintf("a code fence opened by ledger text: %q", line()))
			}
		case *ast.Heading:
			if h := string(n.Lines().Value(doc)); strings.HasPrefix(h, "pwned") {
				bad = append(bad, fmt.Sprintf("a heading opened by ledger text: %q", h))
			}
		}
		return ast.WalkContinue, nil
	})
	return bad
}

// destKind says whether a link the reports wrote themselves would be
// allowed: http(s) or an in-document anchor.
func destKind(dest []byte) string {
	d := strings.ToLower(string(dest))
	if strings.HasPrefix(d, "http://") || strings.HasPrefix(d, "https://") || strings.HasPrefix(d, "#") {
		return "http(s) or #anchor, but from ledger text"
	}
	return "neither http(s) nor #anchor"
}

// No text from the ledger forms a link, an image, an autolink, HTML or a
// block in any Markdown export, as goldmark with GitHub's extensions parses
// it; and the same exports of a history without injections parse to no
// such node either, so the reports write none of their own.
func TestMarkdownExportsFormNoLinkOrHTML(t *testing.T) {
	for name, doc := range markdownExports(t, injectionHistory(t, mdInjections, false), projections.FormatMarkdown) {
		for _, v := range mdViolations(doc) {
			t.Errorf("%s: %s", name, v)
		}
	}
	// An incident ID is a stream name, which a tampered store may hold as
	// it likes: every export escapes it too.
	for name, doc := range markdownExports(t, injectionHistory(t, mdInjections, true), projections.FormatMarkdown) {
		for _, v := range mdViolations(doc) {
			t.Errorf("incident IDs, %s: %s", name, v)
		}
	}
	for name, doc := range markdownExports(t, injectionHistory(t, []string{"plain", "text", "only"}, false), projections.FormatMarkdown) {
		for _, v := range mdViolations(doc) {
			t.Errorf("clean %s: %s", name, v)
		}
	}
}

// The parser finds what the test looks for: each injection, written raw,
// forms the node it aims at (so the test above cannot pass for want of a
// parser that sees them).
func TestMarkdownInjectionsWorkWhenRaw(t *testing.T) {
	for _, s := range []string{"[click](javascript:alert(1))", "![p](http://e.example/p.png)", "<http://e.example>", "www.evil.example", "http://evil.example/a",
		"write to attacker@evil.example", "<b>x</b>", "<div>block</div>", "# pwned", "- pwned", "> pwned", "    pwned", "~~~ pwned", "---"} {
		if v := mdViolations([]byte("text\n\n" + s + "\n")); len(v) == 0 {
			t.Errorf("%q forms nothing the test sees", s)
		}
	}
}

// csvFormulas are cell starts a spreadsheet runs (OWASP's CSV injection).
var csvFormulas = []string{"=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "  =1+1"}

// Every CSV export (incident report, register, period report: every
// renderer that offers FormatCSV) neutralises a cell that would start a
// formula, whichever field of the ledger it comes from.
func TestCSVExportsStartNoFormula(t *testing.T) {
	exports := markdownExports(t, injectionHistory(t, csvFormulas, true), projections.FormatCSV)
	if len(exports) != len(csvFormulas)+2 {
		t.Fatalf("%d CSV exports, want %d", len(exports), len(csvFormulas)+2)
	}
	for name, doc := range exports {
		rows, err := csv.NewReader(bytes.NewReader(doc)).ReadAll()
		if err != nil {
			t.Fatalf("%s: not CSV: %v", name, err)
		}
		seen := 0
		for _, row := range rows {
			for _, cell := range row {
				if strings.Contains(cell, "=1+1") || strings.Contains(cell, "cmd|") {
					seen++
				}
				if t0 := strings.TrimLeft(cell, " "); t0 != "" && t0 != "-" && strings.ContainsRune("=+-@\t\r", rune(t0[0])) {
					t.Errorf("%s: a cell starts a formula: %q", name, cell)
				}
			}
		}
		if seen == 0 {
			t.Errorf("%s: no cell holds the recorded formulas; the test checked nothing", name)
		}
	}
}
