package main_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// The scenarios record histories of 2025 now, so every notice in them was
// recorded after its due time, by an amount that grows run to run.
// recordedLatePlaceholders replaces it in the reports' golden files
// (recorded.placeholders): the JSON field, the words every reader shows
// ("recorded 633d21h36m54s after due"), and the value column of the period
// report's recorded-late CSV rows.
var (
	lateJSONRE = regexp.MustCompile(`"recorded_late_by": "[^"]*"`)
	lateTextRE = regexp.MustCompile(`recorded [0-9]+d?[0-9hmsµn.]* after due`)
	lateCSVRE  = regexp.MustCompile(`(?m)^(recorded-late,[^,]*,,)[^,]*,`)
)

func recordedLatePlaceholders(s string) string {
	s = lateJSONRE.ReplaceAllString(s, `"recorded_late_by": "<RECORDED-LATE>"`)
	s = lateTextRE.ReplaceAllString(s, "recorded <RECORDED-LATE> after due")
	return lateCSVRE.ReplaceAllString(s, "${1}<RECORDED-LATE>,")
}

func TestRecordedLatePlaceholders(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"recorded_late_by": "633d21h36m54s",`, `"recorded_late_by": "<RECORDED-LATE>",`},
		{"met       recorded 74h after due; 72h after awareness", "met       recorded <RECORDED-LATE> after due; 72h after awareness"},
		{"met (recorded 8d2h30m after due) due", "met (recorded <RECORDED-LATE> after due) due"},
		{"recorded 1m2.5s after due", "recorded <RECORDED-LATE> after due"},
		{"recorded-late,A gdpr-art33,,633d21h36m54s,\"due x\"\nlate,A x,,3h,y", "recorded-late,A gdpr-art33,,<RECORDED-LATE>,\"due x\"\nlate,A x,,3h,y"},
		{"recorded 2025-03-10T20:00:00Z", "recorded 2025-03-10T20:00:00Z"},
	}
	for _, tt := range tests {
		if got := recordedLatePlaceholders(tt.in); got != tt.want {
			t.Errorf("recordedLatePlaceholders(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRecordedLateEveryReader: the privacy-breach scenario's notice to the
// authority is dated 2025-03-10T20:00Z, before gdpr-art33's due time
// (awareness corrected to 2025-03-07T22:15Z, + 72 h = 2025-03-10T22:15Z),
// and recorded when the scenario ran. Its status stays met, and every
// reader says how long after the due time it was recorded: the JSON ones
// in recorded_late_by, the others in the words "recorded N after due".
func TestRecordedLateEveryReader(t *testing.T) {
	r := record(t, scenario, 1)
	inc := r.incidents[0]
	cut := []string{"--as-of", "2025-04-01T00:00:00Z", "--known-at", r.knownAt}
	var v metDeadlines
	if err := json.Unmarshal([]byte(r.c.ok("auditor", append([]string{"deadlines", "--json"}, cut...)...)), &v); err != nil {
		t.Fatal(err)
	}
	due := mustTime(t, "2025-03-10T22:15:00Z")
	var want string
	for _, d := range v.Deadlines {
		if d.ID != "gdpr-art33" {
			continue
		}
		var recorded time.Time
		for _, e := range r.log {
			if e.EventID == d.MetBy {
				recorded = e.RecordedAt
			}
		}
		if d.Status != "met" || !d.DueAt.Equal(due) || recorded.Sub(due) < 365*24*time.Hour {
			t.Fatalf("gdpr-art33 = %s due %s, met by %s recorded %s; want met, due %s, recorded over a year after", d.Status, d.DueAt, d.MetBy, recorded, due)
		}
		want = domain.FormatDuration(recorded.Sub(due))
		if d.RecordedLateBy != want {
			t.Errorf("gdpr-art33 recorded_late_by = %q, want %q", d.RecordedLateBy, want)
		}
	}
	if want == "" {
		t.Fatal("no gdpr-art33 deadline")
	}
	words, field := "recorded "+want+" after due", `"recorded_late_by": "`+want+`"`
	reads := []struct {
		args []string
		want string
	}{
		{[]string{"deadlines"}, words},
		{[]string{"show", inc}, words},
		{[]string{"show", inc, "--json"}, field},
		{[]string{"report", "--incident", inc, "--format", "md"}, "met (" + words + ")"},
		{[]string{"report", "--incident", inc, "--format", "html"}, words},
		{[]string{"report", "--incident", inc, "--format", "csv"}, words},
		{[]string{"report", "--incident", inc, "--format", "json"}, field},
		{[]string{"register", "--format", "md"}, "met (" + words + ")"},
		{[]string{"register", "--format", "html"}, words},
		{[]string{"register", "--format", "csv"}, "met (" + words + ")"},
		{[]string{"register", "--format", "json"}, field},
		{[]string{"report", "--from", "2025-01-01T00:00:00Z", "--to", "2025-04-01T00:00:00Z", "--format", "md"}, "met (" + words + ")"},
		{[]string{"report", "--from", "2025-01-01T00:00:00Z", "--to", "2025-04-01T00:00:00Z", "--format", "html"}, words},
		{[]string{"report", "--from", "2025-01-01T00:00:00Z", "--to", "2025-04-01T00:00:00Z", "--format", "csv"}, words},
		{[]string{"report", "--from", "2025-01-01T00:00:00Z", "--to", "2025-04-01T00:00:00Z", "--format", "json"}, field},
	}
	for _, rd := range reads {
		t.Run(strings.Join(rd.args, " "), func(t *testing.T) {
			res := r.c.with(t).run("auditor", append(rd.args, cut...)...)
			if res.code != 0 && res.code != 7 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			if !strings.Contains(res.stdout, rd.want) {
				t.Errorf("no %q in:\n%s", rd.want, res.stdout)
			}
		})
	}
}
