package projections_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
)

// dueLabel is a label of a deadline beyond the timeline's axis.
var dueLabel = regexp.MustCompile(`<text class="due-label beyond-end" x="([0-9.]+)" y="([0-9.]+)">([^<]*)</text>`)

// As of the declaration (2025-03-09T10:00Z) the events of lateRecorded span
// 36h20m from 2025-03-07T21:40Z, so the axis reaches two days on
// (2025-03-11T10:00Z plus a fortieth); the three customer notices, due
// 72 h after the declaration at 2025-03-12T10:00Z, lie beyond it: each gets
// a label of its own row naming it and its due time, and the same report
// is drawn byte for byte the same.
func TestTimelineLabelsDeadlinesBeyondTheAxis(t *testing.T) {
	h := lateRecorded(t)
	cut := domain.Cut{AsOf: at("2025-03-09T10:00:00Z"), KnownAt: at("2025-04-01T00:00:00Z")}
	render := func() []byte {
		r, ok := projections.BuildReport(h.LedgerAt(cut), "A", h.Incidents["A"], cut, testProvenance, "html")
		if !ok {
			t.Fatal("no report of A")
		}
		var b bytes.Buffer
		if err := projections.WriteReport(&b, r, "html"); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	got := render()
	if again := render(); !bytes.Equal(got, again) {
		t.Error("the same report drawn twice differs")
	}
	labels := dueLabel.FindAllStringSubmatch(string(got), -1)
	var texts []string
	ys := map[string]bool{}
	for _, l := range labels {
		texts = append(texts, l[3])
		if ys[l[2]] {
			t.Errorf("two labels beyond the axis share the row y=%s", l[2])
		}
		ys[l[2]] = true
	}
	want := []string{
		"#2 customer-notice/contoso due 2025-03-12 10:00 UTC →",
		"#3 customer-notice/fabrikam due 2025-03-12 10:00 UTC →",
		"#4 customer-notice/northwind due 2025-03-12 10:00 UTC →",
	}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") {
		t.Errorf("labels beyond the axis:\n%s\nwant:\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
}
