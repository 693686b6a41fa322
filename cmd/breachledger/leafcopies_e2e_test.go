package main_test

import (
	"strings"
	"testing"
)

// TestAlteredLeafCopyBesideIntactEvents: an insider edits a leaf copy kept
// with a checkpoint (through the file, the triggers dropped and put back)
// and leaves the events as they were. The events still give the root the
// checkpoint signed, so what the ledger says is unchanged, and the default
// verify, which reads a checkpoint's copies only where its events do not
// match, finds nothing; --all-leaf-copies reads every copy and names the
// altered one (exit 6).
func TestAlteredLeafCopyBesideIntactEvents(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "Copies", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:02:00Z", "oscar")
	c.ok("oscar", "detect", "-q", "--source", "customer-report", "--summary", "Lost laptop", "--at", "2025-03-02T00:00:00Z")
	if r := c.run("auditor", "verify", "--all-leaf-copies"); r.code != 0 {
		t.Fatalf("verify --all-leaf-copies of an intact ledger: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	tamper(t, c.ledger, `UPDATE checkpoint_leaves SET leaf = (SELECT leaf FROM checkpoint_leaves WHERE seq = 0) WHERE seq = 1`)

	if r := c.run("auditor", "verify"); r.code != 0 {
		t.Errorf("verify (copies read only where events differ): exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := c.run("auditor", "verify", "--all-leaf-copies")
	if r.code != 6 || !strings.Contains(r.stdout+r.stderr, "leaf copy") {
		t.Errorf("verify --all-leaf-copies: exit %d, want 6 naming the leaf copy\n%s%s", r.code, r.stdout, r.stderr)
	}
}
