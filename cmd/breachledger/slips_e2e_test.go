package main_test

// Issue 11, "message and exit-code slips": each slip through the built
// binary, with the message's key words and the exact exit code.

import (
	"strings"
	"testing"
)

// slipsLedger is a ledger with a responder team and one incident in
// Detect; it returns the incident's ID.
func slipsLedger(t *testing.T) (*cli, string) {
	t.Helper()
	c := newLedger(t)
	c.ok("alice", "init", "--name", "slips", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "sam", "security-response", "--at", "2025-03-01T00:01:00Z")
	c.ok("alice", "grant", "ian", "incident-manager", "--at", "2025-03-01T00:01:00Z")
	inc := strings.TrimSpace(c.ok("sam", "detect", "-q", "--source", "customer-report", "--summary", "slips", "--at", "2025-03-07T21:40:00Z"))
	return c, inc
}

// expect checks a run's exit code and that its stderr says every one of
// want and none of not.
func expect(t *testing.T, r result, code int, want, not []string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr does not say %q:\n%s", w, r.stderr)
		}
	}
	for _, n := range not {
		if strings.Contains(r.stderr, n) {
			t.Errorf("stderr says %q:\n%s", n, r.stderr)
		}
	}
}

// TestSlipDoubleClose: closing a closed incident says it is already closed
// (and how to reopen it if the first close was a mistake), not "reopen it
// first" as if the close could then go ahead.
func TestSlipDoubleClose(t *testing.T) {
	c, inc := slipsLedger(t)
	c.ok("sam", "assess", inc, "-f", "low", "-r", "regular", "-i", "none", "--at", "2025-03-07T22:00:00Z")
	c.ok("sam", "classify", inc, "false-positive", "--root-cause", "pen test", "--at", "2025-03-07T23:00:00Z")
	c.ok("ian", "close", inc, "--summary", "pen test", "--at", "2025-03-08T00:00:00Z")
	before := c.dump()
	r := c.run("ian", "close", inc, "--summary", "again")
	expect(t, r, 4, []string{"already-closed", "is already closed", "closed 2025-03-08T00:00:00Z by ian", "nothing to do", "breachledger reopen " + inc, "nothing was recorded"},
		[]string{"reopen it first"})
	if c.dump() != before {
		t.Error("a refused close changed the ledger")
	}
}

// TestSlipFutureAwareAt: a future --aware-at is refused with advice about
// --aware-at, not about leaving --at out.
func TestSlipFutureAwareAt(t *testing.T) {
	c, _ := slipsLedger(t)
	r := c.run("sam", "detect", "--source", "customer-report", "--summary", "s", "--aware-at", "2999-01-01T00:00:00Z")
	expect(t, r, 4, []string{"future-time", "aware-at 2999-01-01T00:00:00Z is in the future", "give an --aware-at at or before now", "leave --aware-at out"},
		[]string{"leave --at out"})
	// --at keeps its own advice.
	r = c.run("sam", "detect", "--source", "customer-report", "--summary", "s", "--at", "2999-01-01T00:00:00Z")
	expect(t, r, 4, []string{"future-time", "leave --at out"}, []string{"--aware-at"})
}

// TestSlipAdviceAfterStageClose: after "stage X close", contain advised a
// move to diagnose, which stage then refused. The advice is now a reopen,
// and following it works.
func TestSlipAdviceAfterStageClose(t *testing.T) {
	c, inc := slipsLedger(t)
	c.ok("sam", "assess", inc, "-f", "low", "-r", "regular", "-i", "none", "--at", "2025-03-07T22:00:00Z")
	c.ok("sam", "classify", inc, "false-positive", "--root-cause", "pen test", "--at", "2025-03-07T23:00:00Z")
	c.ok("sam", "stage", inc, "close", "--at", "2025-03-08T00:00:00Z")

	r := c.run("sam", "contain", inc, "--description", "quarantine eu-3-07")
	expect(t, r, 4, []string{"action-stage", "reopen it at diagnose", "breachledger reopen " + inc + " --reason ... --stage diagnose"},
		[]string{"move the incident to diagnose", "stage " + inc + " diagnose"})
	// What the old advice led to: refused, and that refusal too advises the reopen.
	r = c.run("sam", "stage", inc, "diagnose")
	expect(t, r, 4, []string{"stage-move", "breachledger reopen " + inc}, nil)
	// Following the advice works.
	c.ok("ian", "reopen", inc, "--reason", "containment still needed", "--stage", "diagnose", "--at", "2025-03-08T01:00:00Z")
	c.ok("sam", "contain", inc, "--description", "quarantine eu-3-07", "--at", "2025-03-08T02:00:00Z")

	// On a closed incident every command but note, correct and reopen
	// advises the reopen.
	c.ok("sam", "stage", inc, "stabilize", "--at", "2025-03-08T03:00:00Z")
	c.ok("ian", "close", inc, "--at", "2025-03-08T04:00:00Z")
	for _, args := range [][]string{
		{"contain", inc, "--description", "more"},
		{"stage", inc, "diagnose"},
		{"classify", inc, "security-incident"},
	} {
		r := c.run("ian", args...)
		expect(t, r, 4, []string{"incident-closed", "reopen it first", "breachledger reopen " + inc}, nil)
	}
}
