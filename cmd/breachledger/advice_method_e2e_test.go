package main_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/keyfiles"
)

// firstAdvisorFactors is a RiskFactorsRecorded payload as the first
// advisor (edpb-2021) wrote it: no method, the yes/no factors. Today's
// factors command refuses those flags, so the event is written as an older
// binary wrote it, signed by sam's own key and checkpointed
// (recordFirstAdvisorFactors).
const firstAdvisorFactors = `{"encrypted":false,"key_compromised":false,"exfiltrated":true,"special_categories":true,"vulnerable_subjects":false,` +
	`"subjects":3200,"restore_hours":0,"recipient_trusted":false,"deletion_confirmed":false,"fraud_potential":true,"notes":"IBANs and balances: phishing and fraud"}`

// recordFirstAdvisorFactors appends, as the last event of the ledger, a
// factors event of the first advisor on incident inc, signed by sam at
// business time at, and checkpoints it with the ledger key, as an older
// binary's "factors --exfiltrated --special-categories --fraud --subjects
// 3200" did. The event before it must be inc's, recorded by the binary.
func recordFirstAdvisorFactors(t *testing.T, c *cli, inc, at string) {
	t.Helper()
	var log []logEntry
	c.json(&log, "log")
	n := uint64(len(log))
	prev := readRecord(t, c.ledger, n-1)
	if !strings.HasSuffix(prev.Stream, inc) {
		t.Fatalf("seq %d is of %s, not %s", n-1, prev.Stream, inc)
	}
	signer, err := keyfiles.ReadSSHSigner(signerKey("sam"), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := prev // same stream, same ledger basis (no ledger event since)
	f.ID, f.Sequence, f.Revision = uuid.Must(uuid.NewV7()), n, prev.Revision+1
	f.Type, f.Actor, f.OccurredAt = "RiskFactorsRecorded", "sam", mustTime(t, at)
	f.Payload = []byte(firstAdvisorFactors)
	f.Signer = integrity.Fingerprint(signer.PublicKey())
	f.RecordedAt = time.Now().UTC()
	if f.Signature, err = integrity.SignEnvelope(integrity.EnvelopeOf(f).Marshal(), signer); err != nil {
		t.Fatal(err)
	}
	insertRecord(t, c.ledger, f)
	signWithStolenKey(t, c.ledger) // the ledger key checkpoints it, as the writer's append did
}

// compareView is what these tests read of show --json --compare-method.
type compareView struct {
	Closed     bool `json:"closed"`
	RiskAdvice *struct {
		Method     string `json:"method"`
		Outcome    string `json:"outcome"`
		Superseded string `json:"superseded"`
	} `json:"risk_advice"`
	CurrentMethod *struct {
		Method       string `json:"method"`
		NotReadvised string `json:"not_readvised"`
		Advice       *struct {
			Method  string   `json:"method"`
			Outcome string   `json:"outcome"`
			Missing []string `json:"missing"`
		} `json:"advice"`
	} `json:"current_method"`
	FactsNeeded []struct {
		Rule   string   `json:"rule"`
		Record []string `json:"record"`
	} `json:"facts_needed"`
}

// TestCompareMethod: an incident whose factors were recorded by the first
// advisor (edpb-2021, yes/no flags) keeps that advice, marked OLD METHOD;
// show --compare-method prints the current method's reading beside it
// (cannot advise: the graded facts were never recorded), text and JSON; a
// closed incident is never re-advised. The first advisor's flags are a
// usage error for new recordings, naming the flags to use instead; the
// ledger with the old event verifies, so it is an honest history, not a
// tampered one.
func TestCompareMethod(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--at", "2025-09-01T09:00:00Z")
	for actor, role := range map[string]string{"oscar": "responder", "sam": "security-response", "ivy": "security-incident-manager", "ian": "incident-manager"} {
		c.ok("alice", "grant", actor, role, "--at", "2025-09-01T09:01:00Z")
	}
	c.register("2025-09-01T09:02:00Z", "oscar", "sam", "ivy", "ian")
	breach := func(summary string) string {
		inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--role", "controller", "--source", "customer-report",
			"--summary", summary, "--aware-at", "2025-10-01T09:30:00Z", "--at", "2025-10-01T09:30:00Z"))
		c.ok("oscar", "assess", inc, "-f", "low", "-r", "regular", "-i", "privacy-breach", "--at", "2025-10-01T10:00:00Z")
		recordFirstAdvisorFactors(t, c, inc, "2025-10-01T11:00:00Z")
		return inc
	}
	open := breach("recorded by the first advisor, still open")
	closed := breach("recorded by the first advisor, closed")
	c.ok("sam", "stage", closed, "diagnose", "--at", "2025-10-02T09:00:00Z")
	c.ok("sam", "classify", closed, "privacy-breach", "--reason", "customer records read", "--at", "2025-10-02T10:00:00Z")
	c.ok("sam", "stage", closed, "stabilize", "--reason", "contained", "--at", "2025-10-03T09:00:00Z")
	c.ok("ian", "postmortem", closed, "--summary", "done", "--location", "dms://ir/pm.pdf",
		"--sha256", "9a3e6f1c2b4d5e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f", "--at", "2025-10-20T10:00:00Z")
	c.ok("ian", "close", closed, "--summary", "closed", "--open-obligations-reason", "test: closed with its clocks open", "--at", "2025-10-21T10:00:00Z")
	if r := c.run("auditor", "verify"); r.code != 0 {
		t.Fatalf("verify of the ledger with the first advisor's events: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	asOf := []string{"--as-of", "2025-10-22T00:00:00Z"}

	t.Run("open: old method kept, the new reading beside it", func(t *testing.T) {
		c := c.with(t)
		show := c.ok("auditor", append([]string{"show", open}, asOf...)...)
		if !strings.Contains(show, "OLD METHOD") || strings.Contains(show, "Under the current method") {
			t.Errorf("show without --compare-method: want OLD METHOD and no comparison\n%s", show)
		}
		cmp := c.ok("auditor", append([]string{"show", open, "--compare-method"}, asOf...)...)
		if !strings.HasPrefix(cmp, show) {
			t.Errorf("show --compare-method does not begin with show's own output")
		}
		goldenIn(t, adviceDir, "compare-method-open.txt", []byte(strings.ReplaceAll(strings.TrimPrefix(cmp, show), open, "<INCIDENT>")))
		for _, want := range []string{"Under the current method, beside the pinned edpb-2021:", "Risk advice (enisa-2013.1): cannot-advise",
			"breachledger factors " + open + " --data ..."} {
			if !strings.Contains(cmp, want) {
				t.Errorf("show --compare-method lacks %q:\n%s", want, cmp)
			}
		}
		var v compareView
		raw := c.json(&v, append([]string{"show", open, "--compare-method"}, asOf...)...)
		if v.RiskAdvice == nil || v.RiskAdvice.Method != "edpb-2021" || v.RiskAdvice.Outcome != "notify-subjects" || v.RiskAdvice.Superseded == "" {
			t.Errorf("pinned advice: %+v, want edpb-2021 notify-subjects, superseded\n%s", v.RiskAdvice, raw)
		}
		if m := v.CurrentMethod; m == nil || m.Method != "enisa-2013.1" || m.Advice == nil || m.Advice.Outcome != "cannot-advise" || len(m.Advice.Missing) != 9 || m.NotReadvised != "" {
			b, _ := json.Marshal(m)
			t.Errorf("current_method: %s, want enisa-2013.1 cannot-advise with the 9 graded facts missing", b)
		}
		// The old advice is an advice: no "cannot advise" in facts needed.
		for _, n := range v.FactsNeeded {
			if n.Rule == "risk-advice" {
				t.Errorf("facts needed lists the advice of an incident the first advisor advised: %+v", n)
			}
		}
		// Without --compare-method, JSON has no current_method.
		if raw := c.json(nil, append([]string{"show", open}, asOf...)...); strings.Contains(string(raw), `"current_method"`) {
			t.Errorf("show --json without --compare-method has current_method")
		}
	})

	t.Run("closed: not re-advised", func(t *testing.T) {
		c := c.with(t)
		cmp := c.ok("auditor", append([]string{"show", closed, "--compare-method"}, asOf...)...)
		if !strings.Contains(cmp, "OLD METHOD") || !strings.Contains(cmp, "Under the current method (enisa-2013.1): not re-advised, the incident is closed") ||
			strings.Contains(cmp, "cannot-advise") {
			t.Errorf("show --compare-method of a closed incident:\n%s", cmp)
		}
		var v compareView
		raw := c.json(&v, append([]string{"show", closed, "--compare-method"}, asOf...)...)
		if !v.Closed || v.CurrentMethod == nil || v.CurrentMethod.Advice != nil || !strings.Contains(v.CurrentMethod.NotReadvised, "never re-advised") {
			t.Errorf("show --json --compare-method of a closed incident: %s", raw)
		}
	})

	t.Run("graded facts: nothing to compare", func(t *testing.T) {
		c := c.with(t)
		inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--role", "controller", "--source", "customer-report",
			"--summary", "graded", "--aware-at", "2025-10-01T09:30:00Z", "--at", "2025-10-01T09:30:00Z"))
		c.ok("oscar", "assess", inc, "-f", "low", "-r", "regular", "-i", "privacy-breach", "--at", "2025-10-01T10:00:00Z")
		c.ok("sam", "factors", inc, "--data", "simple", "--at", "2025-10-01T11:00:00Z")
		show := c.ok("auditor", append([]string{"show", inc}, asOf...)...)
		if cmp := c.ok("auditor", append([]string{"show", inc, "--compare-method"}, asOf...)...); cmp != show {
			t.Errorf("--compare-method under the current method changed show's output:\n%s", cmp)
		}
		var v compareView
		if raw := c.json(&v, append([]string{"show", inc, "--compare-method"}, asOf...)...); v.CurrentMethod != nil {
			t.Errorf("current_method under the current method: %s", raw)
		}
	})

	t.Run("the first advisor's flags are a usage error", func(t *testing.T) {
		c := c.with(t)
		for _, args := range [][]string{{"--exfiltrated"}, {"--special-categories", "--fraud", "--subjects", "3200"}, {"--restore-hours", "30"}} {
			before := c.dump()
			r := c.run("sam", append([]string{"factors", open}, args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, "edpb-2021") || !strings.Contains(r.stderr, "--confidentiality") ||
				!strings.Contains(r.stderr, "keep their advice") {
				t.Errorf("factors %v: exit %d %q, want 2 naming the graded flags and that old events keep their advice", args, r.code, r.stderr)
			}
			if c.dump() != before {
				t.Errorf("factors %v changed the ledger", args)
			}
		}
	})
}
