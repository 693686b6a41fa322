package projections_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/projections"
)

// TestCorrectionsSayWhoAndWhetherSigned: a signed declaration corrected
// by someone else is never shown as its signer's act. show (text and
// JSON), the timeline and the report name the corrector and whether the
// correction was signed. (The unsigned correction of a signed fact is
// refused today, rule correction-unsigned; a ledger may hold one recorded
// before that rule.)
func TestCorrectionsSayWhoAndWhetherSigned(t *testing.T) {
	const (
		ivyKey = "SHA256:ivyivyivyivyivyivyivyivyivyivyivyivyivyivyi"
		samKey = "SHA256:samsamsamsamsamsamsamsamsamsamsamsamsamsams"
	)
	tests := []struct {
		name   string
		signer string // the corrector's key; "" unsigned
		how    string // as the text says it
	}{
		{"unsigned correction", "", "(unsigned)"},
		{"signed correction", samKey, "(signed with " + samKey + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := build(t)
			facts := h.Incidents["A"]
			var decl domain.Fact
			for i, f := range facts {
				if f.Type == "CRSPIDeclared" {
					facts[i].Signer = ivyKey // ivy signed her declaration
					decl = facts[i]
				}
			}
			last := facts[len(facts)-1]
			correctedAt := at("2025-03-10T10:00:00Z") // a day later: the customer clocks move with it
			fix := domain.EventCorrected{Target: decl.ID, TargetType: decl.Type, At: correctedAt, Replacement: decl.Event, Changed: []string{"at"}, Reason: "declared later than recorded"}
			h.Add(domain.Fact{ID: "ev-fix", Sequence: last.Sequence + 1, Stream: decl.Stream, Revision: last.Revision + 1, Type: "EventCorrected",
				At: at("2025-03-12T12:00:00Z"), Actor: "sam", Signer: tt.signer, RecordedAt: at("2025-03-12T12:01:00Z"), Event: fix})
			cut := domain.Cut{AsOf: at("2025-03-20T00:00:00Z"), KnownAt: at("2025-04-01T00:00:00Z")}

			v, ok := projections.Show(h.LedgerAt(cut), "A", h.Incidents["A"], cut)
			if !ok {
				t.Fatal("incident A not visible")
			}
			var text bytes.Buffer
			if err := projections.WriteIncident(&text, v); err != nil {
				t.Fatal(err)
			}
			var line string
			for _, l := range strings.Split(text.String(), "\n") {
				if strings.Contains(l, "CRSPI declared:") {
					line = l
				}
			}
			want := "CRSPI declared:  2025-03-10T10:00:00Z by ivy, basis evidence: logs [at corrected by sam " + tt.how +
				" at 2025-03-12T12:00:00Z in event ev-fix — declared later than recorded; first recorded by ivy at 2025-03-09T10:00:00Z]"
			if got := strings.TrimSpace(line); got != want {
				t.Errorf("show:\n got %s\nwant %s", got, want)
			}

			// JSON: the declaration carries who corrected it.
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var js struct {
				Declaration struct {
					At        time.Time          `json:"at"`
					Actor     string             `json:"actor"`
					Corrected *domain.Correction `json:"corrected"`
				} `json:"declaration"`
			}
			if err := json.Unmarshal(b, &js); err != nil {
				t.Fatal(err)
			}
			c := js.Declaration.Corrected
			switch {
			case c == nil:
				t.Fatalf("show --json: the corrected declaration says nothing of its correction: %s", b)
			case c.Actor != "sam" || c.Signed != (tt.signer != "") || c.Signer != tt.signer || c.EventID != "ev-fix":
				t.Errorf("show --json: corrected = %+v, want sam's, signed %v", *c, tt.signer != "")
			case !c.OriginalAt.Equal(at("2025-03-09T10:00:00Z")) || !js.Declaration.At.Equal(correctedAt) || js.Declaration.Actor != "ivy":
				t.Errorf("show --json: declaration at %s by %s, first %s; want %s by ivy, first 2025-03-09T10:00:00Z", js.Declaration.At, js.Declaration.Actor, c.OriginalAt, correctedAt)
			}

			// The timeline: JSON and text.
			tl := projections.BuildTimeline("A", h.Incidents["A"], cut)
			var entry projections.TimelineEntry
			for _, e := range tl.Entries {
				if e.EventID == decl.ID {
					entry = e
				}
			}
			if entry.Correction == nil || entry.Correction.Actor != "sam" || entry.Correction.Signed != (tt.signer != "") || entry.Signer != ivyKey {
				t.Errorf("timeline entry = %+v, want ivy's signed declaration with sam's correction", entry)
			}
			var tltext bytes.Buffer
			if err := projections.WriteTimeline(&tltext, tl); err != nil {
				t.Fatal(err)
			}
			if want := "(at corrected by sam " + tt.how + " at 2025-03-12T12:00:00Z in event ev-fix"; !strings.Contains(tltext.String(), want) {
				t.Errorf("timeline text lacks %q:\n%s", want, tltext.String())
			}

			// The report, for people (Markdown, HTML) and for tools (JSON).
			signedWord := map[bool]string{false: "(unsigned)", true: "(signed)"}[tt.signer != ""]
			for format, want := range map[string]string{
				"md":   "[at corrected by sam " + tt.how,
				"html": "corrected by sam " + signedWord + " in <code>ev-fix</code>",
				"json": `"correction":{"event_id":"ev-fix","at":"2025-03-12T12:00:00Z","actor":"sam",`,
			} {
				r, ok := projections.BuildReport(h.LedgerAt(cut), "A", h.Incidents["A"], cut, history.Provenance{}, format)
				if !ok {
					t.Fatal("no report")
				}
				var rep bytes.Buffer
				if err := projections.WriteReport(&rep, r, format); err != nil {
					t.Fatal(err)
				}
				got := rep.String()
				if format == "json" {
					var compact bytes.Buffer
					if err := json.Compact(&compact, rep.Bytes()); err != nil {
						t.Fatal(err)
					}
					got = compact.String()
				}
				if !strings.Contains(got, want) {
					t.Errorf("the %s report lacks %q", format, want)
				}
			}
		})
	}
}
