package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestUnknownValues: a regime, status or rule pack that names nothing this
// server knows is a 400 listing the valid values (the CLI's exit 2), never
// an empty page a dashboard would read as "nothing due"; the status filter
// keeps only the asked statuses.
func TestUnknownValues(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"regime=FOO", []string{`regime \"FOO\": unknown regime or rule`, "valid regimes: processor commitment, GDPR, UK GDPR, NIS2, DORA", "or a rule ID", "gdpr-art33, gdpr-art34"}},
		{"regime=GDRP", []string{`did you mean \"GDPR\"?`}},
		{"regime=GDPR&regime=gdpr-art33%2FFR", []string{`regime \"gdpr-art33/FR\": unknown regime or rule; did you mean \"gdpr-art33\"`}},
		{"status=overdu", []string{`status \"overdu\": unknown value; did you mean \"overdue\"? (allowed: pending, due-soon, overdue, met, met-late, held, waived)`}},
		{"pack=2026", []string{`pack \"2026\": unknown rule pack; did you mean \"2026.1\" or \"2026.2\"? (allowed: 2025.1, 2026.1, 2026.2)`}},
		{"compare_pack=1999.9", []string{`compare_pack \"1999.9\": unknown rule pack (allowed: 2025.1, 2026.1, 2026.2)`}},
	} {
		resp, body := e.do("GET", "/v1/deadlines?"+tt.query, goodToken)
		var er struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if resp.StatusCode != 400 || json.Unmarshal(body, &er) != nil || er.Error.Code != "bad_request" {
			t.Errorf("%s: %d %s, want 400 bad_request", tt.query, resp.StatusCode, body)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(string(body), w) {
				t.Errorf("%s: %s\nlacks %s", tt.query, body, w)
			}
		}
	}
	// Known values in any case, a rule ID's start, and empty values pass.
	for _, q := range []string{"regime=gdpr", "regime=uk%20gdpr", "regime=", "status=", "regime=customer-notice", "regime=nis2-notification"} {
		var d deadlines
		e.ok("/v1/deadlines?"+q, &d)
	}
	// Not a rule ID's start before a "-": no rule is selected by it.
	if resp, _ := e.do("GET", "/v1/deadlines?regime=gdpr-art", goodToken); resp.StatusCode != 400 {
		t.Errorf("regime=gdpr-art: %d, want 400 (gdpr-art33 is selected by gdpr, not gdpr-art)", resp.StatusCode)
	}
	// Worked by hand (newEnv): contoso's notice was sent late, fabrikam's
	// is overdue, the Art. 33 notice to the CNIL was met.
	for q, want := range map[string]string{
		"status=met-late":             "[A customer-notice/contoso met-late]",
		"status=met&status=overdue":   "[A gdpr-art33 met A customer-notice/fabrikam overdue]",
		"status=pending":              "[]",
		"status=overdue&regime=GDPR":  "[]",
		"status=overdue&regime=PROCE": "", // refused: "PROCE" is no regime's name nor a rule's start
	} {
		if want == "" {
			if resp, _ := e.do("GET", "/v1/deadlines?"+q, goodToken); resp.StatusCode != 400 {
				t.Errorf("%s: %d, want 400", q, resp.StatusCode)
			}
			continue
		}
		var d deadlines
		e.ok("/v1/deadlines?"+q, &d)
		if got := fmt.Sprint(ids(d.Deadlines)); got != want {
			t.Errorf("%s: %s, want %s", q, got, want)
		}
	}
}
