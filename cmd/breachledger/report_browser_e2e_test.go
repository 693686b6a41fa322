package main_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// svgLabel is a text of the timeline as Chromium lays it out: its box in
// the SVG's own units (getBBox) and on the page (getBoundingClientRect).
type svgLabel struct {
	Class, Text string
	X, Y, W, H  float64 // getBBox, in viewBox units
	PX, PY      float64 // getBoundingClientRect, in CSS pixels
	PW, PH      float64
}

// timelineLabels is the script that lists every text of the timeline and
// the boxes of the SVG itself.
const timelineLabels = `(() => {
	const svg = document.querySelector("#timeline svg");
	const vb = svg.viewBox.baseVal, r = svg.getBoundingClientRect();
	const labels = [...svg.querySelectorAll("text")].map(t => {
		const b = t.getBBox(), p = t.getBoundingClientRect();
		return {Class: t.getAttribute("class") || "", Text: t.textContent, X: b.x, Y: b.y, W: b.width, H: b.height, PX: p.x, PY: p.y, PW: p.width, PH: p.height};
	});
	return {ViewBox: {X: vb.x, Y: vb.y, W: vb.width, H: vb.height, PX: r.x, PY: r.y, PW: r.width, PH: r.height}, Labels: labels};
})()`

// TestBrowserTimelineLabels opens an HTML report whose deadlines lie
// beyond its timeline's axis in headless Chromium and checks what a
// person sees: no axis or deadline label is clipped by the SVG's
// viewport, each deadline beyond the axis has a label naming it and its
// due time, and no two of those labels overlap.
//
// The privacy-breach scenario as of the CRSPI declaration,
// 2025-03-09T10:00Z: its events span 2025-03-07T21:40Z to the as-of time
// (36h20m), so the axis reaches deadlines up to two days later
// (2025-03-11T10:00Z, plus a fortieth of padding); the customer notices to
// contoso and fabrikam are due 72 hours after the declaration,
// 2025-03-12T10:00Z: two deadlines beyond the axis, at the same time.
func TestBrowserTimelineLabels(t *testing.T) {
	ctx := browser(t)
	dir := screenshotDir(t)
	c := newLedger(t)
	inc := runScenario(t, c)
	const asOf = "2025-03-09T10:00:00Z"
	report := filepath.Join(t.TempDir(), "report.html")
	c.ok("auditor", "report", "--incident", inc, "--format", "html", "-o", report, "--as-of", asOf)
	var rep jsonReport
	if err := json.Unmarshal([]byte(c.ok("auditor", "report", "--incident", inc, "--format", "json", "--as-of", asOf)), &rep); err != nil {
		t.Fatal(err)
	}
	due := time.Date(2025, 3, 12, 10, 0, 0, 0, time.UTC)
	var beyond []string
	for _, o := range rep.Obligations {
		if o.DueAt.Equal(due) {
			beyond = append(beyond, o.ID)
		}
	}
	if want := []string{"customer-notice/contoso", "customer-notice/fabrikam"}; fmt.Sprint(beyond) != fmt.Sprint(want) {
		t.Fatalf("obligations due %s: %v, want %v (the scenario changed?); all: %+v", due, beyond, want, rep.Obligations)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+report), chromedp.WaitVisible("#timeline svg")); err != nil {
		t.Fatal(err)
	}
	got := must(chromedp.Run(ctx, chromedp.Evaluate[struct {
		ViewBox svgLabel
		Labels  []svgLabel
	}](timelineLabels)))(t)
	shot := must(chromedp.Run(ctx, chromedp.FullScreenshot(90)))(t)
	save(t, filepath.Join(dir, "report-beyond-the-axis.png"), shot)
	if n := must(chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#timeline svg path.due").length`)))(t); n != len(rep.Obligations) {
		t.Errorf("the timeline shows %d deadlines, the report has %d", n, len(rep.Obligations))
	}

	vb := got.ViewBox
	const eps = 0.5
	var ticks, deadlines []svgLabel
	for _, l := range got.Labels {
		if l.W <= 0 || l.H <= 0 {
			t.Errorf("label %q (%s) has an empty box", l.Text, l.Class)
			continue
		}
		// Inside the viewBox, and inside the SVG element as drawn.
		if l.X < vb.X-eps || l.X+l.W > vb.X+vb.W+eps || l.Y < vb.Y-eps || l.Y+l.H > vb.Y+vb.H+eps {
			t.Errorf("label %q (%s) at x %.1f–%.1f, y %.1f–%.1f lies outside the viewBox %.0fx%.0f: it is clipped", l.Text, l.Class, l.X, l.X+l.W, l.Y, l.Y+l.H, vb.W, vb.H)
		}
		if l.PX < vb.PX-eps || l.PX+l.PW > vb.PX+vb.PW+eps || l.PY < vb.PY-eps || l.PY+l.PH > vb.PY+vb.PH+eps {
			t.Errorf("label %q (%s) is drawn outside the SVG element on the page", l.Text, l.Class)
		}
		switch {
		case strings.Contains(l.Class, "tick-label"):
			ticks = append(ticks, l)
		case strings.Contains(l.Text, " due "):
			deadlines = append(deadlines, l)
		}
	}
	if len(ticks) < 4 {
		t.Errorf("the axis has %d labels, want at least 4", len(ticks))
	}
	for _, id := range beyond {
		found := false
		for _, l := range deadlines {
			if strings.Contains(l.Text, id) && strings.Contains(l.Text, "2025-03-12 10:00") {
				found = true
			}
		}
		if !found {
			t.Errorf("no label names %s, due 2025-03-12 10:00 UTC beyond the axis; deadline labels: %v", id, texts(deadlines))
		}
	}
	// No two labels of the axis and the deadlines overlap.
	all := append(append([]svgLabel(nil), ticks...), deadlines...)
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if overlap(all[i], all[j], eps) {
				t.Errorf("labels %q and %q overlap", all[i].Text, all[j].Text)
			}
		}
	}
}

func overlap(a, b svgLabel, eps float64) bool {
	return a.X+a.W > b.X+eps && b.X+b.W > a.X+eps && a.Y+a.H > b.Y+eps && b.Y+b.H > a.Y+eps
}

func texts(ls []svgLabel) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Text)
	}
	return out
}
