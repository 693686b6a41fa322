package main_test

import (
	"encoding/json"
	"strings"
	"testing"
)

const adviceDir = "testdata/advice"

// adviceView is what the advice scenarios read of show --json.
type adviceView struct {
	RiskAdvice *struct {
		Method     string   `json:"method"`
		Outcome    string   `json:"outcome"`
		Level      string   `json:"level"`
		Missing    []string `json:"missing"`
		Conditions []string `json:"conditions"`
		Differs    string   `json:"differs"`
		Severity   *struct {
			DPC struct {
				Score int `json:"score"`
			} `json:"dpc"`
			EI struct {
				Score float64 `json:"score"`
			} `json:"ei"`
			CBTotal float64 `json:"cb_total"`
			SE      float64 `json:"se"`
			Band    string  `json:"band"`
			Final   string  `json:"final_band"`
		} `json:"severity"`
	} `json:"risk_advice"`
}

// adviceSection is the "Risk advice" section of show's text.
func adviceSection(tb testing.TB, show, inc string) []byte {
	tb.Helper()
	i := strings.Index(show, "\nRisk advice")
	if i < 0 {
		tb.Fatalf("show has no risk advice:\n%s", show)
	}
	s := show[i+1:]
	s = s[:strings.Index(s, "\n\n")+1]
	return []byte(strings.ReplaceAll(s, inc, "<INCIDENT>"))
}

// One scenario per outcome of the risk advisor, recorded through the
// binary: the golden files show the arithmetic as show prints it, and the
// scores are checked against values worked by hand from the research's
// tables (regulatory.md §5).
func TestAdviceScenarios(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--at", "2025-09-01T09:00:00Z")
	for actor, role := range map[string]string{"oscar": "responder", "sam": "security-response", "ivy": "security-incident-manager"} {
		c.ok("alice", "grant", actor, role, "--at", "2025-09-01T09:01:00Z")
		c.register("2025-09-01T09:01:00Z", actor)
	}
	graded := func(extra ...string) []string {
		return append([]string{"--integrity", "none", "--availability", "none", "--unintelligible", "no", "--exposure-days", "0"}, extra...)
	}
	tests := []struct {
		name    string
		role    string
		setup   func(inc string)
		factors []string
		outcome string
		// worked by hand: DPC, EI, CB, SE, band after the project rules
		dpc            int
		ei, cb, se     float64
		band           string
		missing        int
		conditionsHave string
	}{
		{
			name: "document-only", role: "controller",
			// a supermarket's customer list mailed to one wrong customer:
			// 1 × 1 + 0.25 = 1.25, low
			factors: graded("--data", "simple", "--identification", "maximum", "--confidentiality", "known-recipients", "--intent", "non-malicious", "--people", "1"),
			outcome: "document-only", dpc: 1, ei: 1, cb: 0.25, se: 1.25, band: "low",
			conditionsHave: "if the data were sensitive: notify-subjects",
		},
		{
			name: "authority", role: "controller",
			// a week of call history sent to known recipients: 2 × 1 + 0.25 = 2.25, medium
			factors: graded("--data", "behavioural", "--identification", "maximum", "--confidentiality", "known-recipients", "--intent", "non-malicious", "--people", "800"),
			outcome: "notify-authority", dpc: 2, ei: 1, cb: 0.25, se: 2.25, band: "medium",
			conditionsHave: "if 10,000 or more people were affected: notify-subjects",
		},
		{
			name: "authority-and-people", role: "controller",
			// a year of bank statements stolen by an intruder:
			// (3 + 1) × 0.75 + 0.5 + 0.5 = 4, very high
			factors: graded("--data", "financial", "--data", "simple", "--dpc-adjust", "more-data", "--identification", "significant", "--confidentiality", "unknown-recipients", "--intent", "malicious", "--people", "3200"),
			outcome: "notify-subjects", dpc: 4, ei: 0.75, cb: 1, se: 4, band: "very-high",
			conditionsHave: "unless an Art. 34(3) exception holds",
		},
		{
			name: "art34-exception", role: "controller",
			// the same, with no contact details for the people: Art. 34(3)(c)
			factors: graded("--data", "financial", "--dpc-adjust", "more-data", "--identification", "significant", "--confidentiality", "unknown-recipients", "--intent", "malicious", "--people", "3200",
				"--art34-exception", "disproportionate", "--notes", "no contact details: public notice on the website"),
			outcome: "notify-authority-art34-exception", dpc: 4, ei: 0.75, cb: 1, se: 4, band: "very-high",
		},
		{
			name: "processor", role: "processor",
			setup: func(inc string) {
				c.ok("ivy", "profile", inc, "--controller", "Acme GmbH", "--controller", "Globex SA", "--at", "2025-10-01T10:30:00Z")
			},
			// health records of a controller's patients, unknown recipients,
			// unknown intent: 4 × 1 + 0.5 + 0.5 = 5, very high; the processor
			// tells the controllers, who decide
			factors: graded("--data", "sensitive", "--identification", "maximum", "--confidentiality", "unknown-recipients", "--intent", "unknown", "--people", "unknown"),
			outcome: "notify-controllers", dpc: 4, ei: 1, cb: 1, se: 5, band: "very-high",
		},
		{
			name: "cannot-advise", role: "controller",
			factors: []string{"--data", "sensitive", "--identification", "unknown"},
			outcome: "cannot-advise", missing: 7,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := c.with(t)
			inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--role", tt.role, "--source", "customer-report",
				"--summary", "advice scenario "+tt.name, "--aware-at", "2025-10-01T09:30:00Z", "--at", "2025-10-01T09:30:00Z"))
			c.ok("oscar", "assess", inc, "-f", "low", "-r", "regular", "-i", "privacy-breach", "--at", "2025-10-01T10:00:00Z")
			if tt.setup != nil {
				tt.setup(inc)
			}
			wrote := c.ok("sam", append([]string{"factors", inc, "--at", "2025-10-01T11:00:00Z"}, tt.factors...)...)
			if tt.outcome == "cannot-advise" && !strings.Contains(wrote, "risk-advice") {
				t.Errorf("the factors write does not say which facts the advice still needs:\n%s", wrote)
			}
			r := c.run("auditor", "show", inc, "--as-of", "2025-10-02T00:00:00Z")
			if r.code != 0 {
				t.Fatalf("show: exit %d\n%s", r.code, r.stderr)
			}
			goldenIn(t, adviceDir, tt.name+".txt", adviceSection(t, r.stdout, inc))

			var v adviceView
			raw := c.json(&v, "show", inc, "--as-of", "2025-10-02T00:00:00Z")
			a := v.RiskAdvice
			if a == nil {
				t.Fatalf("no risk_advice in show --json:\n%s", raw)
			}
			if a.Method != "enisa-2013.1" || a.Outcome != tt.outcome || len(a.Missing) != tt.missing {
				t.Errorf("method %s outcome %s missing %v, want enisa-2013.1 %s and %d missing", a.Method, a.Outcome, a.Missing, tt.outcome, tt.missing)
			}
			if tt.missing > 0 {
				if a.Severity != nil {
					t.Errorf("a severity without every fact: %+v", a.Severity)
				}
				return
			}
			s := a.Severity
			if s == nil {
				b, _ := json.Marshal(a)
				t.Fatalf("no severity: %s", b)
			}
			if s.DPC.Score != tt.dpc || s.EI.Score != tt.ei || s.CBTotal != tt.cb || s.SE != tt.se || s.Final != tt.band {
				t.Errorf("DPC %d EI %v CB %v SE %v band %s, want %d %v %v %v %s", s.DPC.Score, s.EI.Score, s.CBTotal, s.SE, s.Final, tt.dpc, tt.ei, tt.cb, tt.se, tt.band)
			}
			if tt.conditionsHave != "" && !strings.Contains(strings.Join(a.Conditions, "\n"), tt.conditionsHave) {
				t.Errorf("conditions lack %q: %v", tt.conditionsHave, a.Conditions)
			}
		})
	}

	// The advice beside a determination that differs from it: said so.
	t.Run("decision differs", func(t *testing.T) {
		c := c.with(t)
		inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--role", "controller", "--source", "customer-report",
			"--summary", "advice differs", "--aware-at", "2025-10-01T09:30:00Z", "--at", "2025-10-01T09:30:00Z"))
		c.ok("oscar", "assess", inc, "-f", "low", "-r", "regular", "-i", "privacy-breach", "--at", "2025-10-01T10:00:00Z")
		c.ok("sam", append([]string{"factors", inc, "--at", "2025-10-01T11:00:00Z"}, graded("--data", "sensitive", "--identification", "maximum", "--confidentiality", "known-recipients", "--intent", "non-malicious", "--people", "40")...)...)
		c.ok("ivy", "risk", inc, "unlikely", "--reasoning", "the clinic deleted the misdirected letter", "--at", "2025-10-01T12:00:00Z")
		r := c.run("auditor", "show", inc, "--as-of", "2025-10-02T00:00:00Z")
		goldenIn(t, adviceDir, "differs.txt", adviceSection(t, r.stdout, inc))
		if !strings.Contains(r.stdout, `DIFFERS: the determination of 2025-10-01T12:00:00Z by ivy is "unlikely"; the advice is "high" (notify-subjects)`) {
			t.Errorf("show does not say the determination differs:\n%s", r.stdout)
		}
	})

	// The first advisor's flags, with graded facts or without, are a usage
	// error naming the graded facts to use instead (advice_method_e2e_test.go
	// has the old events they recorded, still advised by the old method).
	t.Run("no old flags", func(t *testing.T) {
		c := c.with(t)
		inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--role", "controller", "--source", "customer-report",
			"--summary", "mixing", "--aware-at", "2025-10-01T09:30:00Z", "--at", "2025-10-01T09:30:00Z"))
		c.ok("oscar", "assess", inc, "-f", "low", "-r", "regular", "-i", "privacy-breach", "--at", "2025-10-01T10:00:00Z")
		if r := c.run("sam", "factors", inc, "--exfiltrated", "--data", "simple"); r.code != 2 || !strings.Contains(r.stderr, "--exfiltrated: the yes/no flags of the first advisor (edpb-2021) no longer record") ||
			!strings.Contains(r.stderr, "--confidentiality known-recipients|unknown-recipients") {
			t.Errorf("exit %d %q, want 2 naming the rule and the flag to use instead", r.code, r.stderr)
		}
		if r := c.run("sam", "factors", inc, "--data", "secret", "--people", "many"); r.code != 2 || !strings.Contains(r.stderr, "--data") || !strings.Contains(r.stderr, "--people") {
			t.Errorf("exit %d %q, want 2 naming --data and --people", r.code, r.stderr)
		}
	})
}
