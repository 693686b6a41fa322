package main_test

import (
	"strings"
	"testing"
	"time"
)

// Attack tests of issue 12 through the binary: on a ledger whose policy
// requires only some kinds signed, facts that move a deadline, and
// amendments of signed facts, must not escape signing.
//
// The ledgers here are made in the old, unsigned mode ("init --unsigned";
// init signs by default) so that a policy can require only part of
// the events signed; every signed fact is signed with --sign-key
// explicitly, with keys an admin registered.

// clockLedger records, through the binary, a declared privacy breach
// whose facts are each signed by their author: two customers in scope,
// declared 2025-03-09T10:00Z, contoso notified (signed) 2025-03-10T09:00Z,
// fabrikam never. With policy, the policy requires the declaration,
// approvals and notices signed (as in the issue). It returns the runner,
// the incident, and the key file of each actor.
func clockLedger(t *testing.T, policy bool) (c *cli, inc string, keys map[string]string) {
	t.Helper()
	c = newLedger(t)
	c.ok("alice", "init", "--unsigned", "--name", "Clocks", "--at", "2025-03-01T00:00:00Z") // init signs by default: ask for the old mode
	keys = map[string]string{}
	for _, g := range []struct{ who, role string }{
		{"oscar", "responder"}, {"sam", "security-response"}, {"ivy", "security-incident-manager"}, {"ian", "incident-manager"},
	} {
		c.ok("alice", "grant", g.who, g.role, "--at", "2025-03-01T00:01:00Z")
		keys[g.who] = sshKey(t, g.who)
		c.ok("alice", "signer", "register", g.who, keys[g.who]+".pub", "--at", "2025-03-01T00:02:00Z")
	}
	if policy {
		c.ok("alice", "signature-policy", "declaration", "approvals", "notifications", "--reason", "regulator-facing facts", "--at", "2025-03-01T00:03:00Z")
	}
	as := func(who string, args ...string) string {
		t.Helper()
		return c.ok(who, append([]string{"--sign-key", keys[who]}, args...)...)
	}
	inc = strings.TrimSpace(as("oscar", "detect", "-q", "--source", "automated-alert", "--summary", "bulk read", "--role", "both", "--at", "2025-03-07T21:40:00Z"))
	as("oscar", "assess", inc, "--functional-impact", "medium", "--recoverability", "extended", "--information-impact", "privacy-breach", "--at", "2025-03-07T22:30:00Z")
	as("sam", "stage", inc, "diagnose", "--at", "2025-03-08T01:00:00Z")
	as("sam", "classify", inc, "privacy-breach", "--at", "2025-03-08T09:00:00Z")
	as("sam", "scope", inc, "--customer", "contoso", "--customer", "fabrikam", "--subjects", "1200", "--at", "2025-03-08T12:00:00Z")
	as("ivy", "declare", inc, "--basis", "evidence", "--reasoning", "access logs", "--at", "2025-03-09T10:00:00Z")
	as("ian", "notify", inc, "--to", "security-contacts", "--customer", "contoso", "--recipient", "secops@contoso.example", "--channel", "email", "--at", "2025-03-10T09:00:00Z", "--late-entry-reason", "recorded from the case file")
	return c, inc, keys
}

// clockState is what the attacks try to move: the declaration's time and
// the customer notice obligations.
type clockState struct {
	Declaration struct {
		EventID string    `json:"event_id"`
		At      time.Time `json:"at"`
		Actor   string    `json:"actor"`
	} `json:"declaration"`
	Notifications []struct {
		EventID string    `json:"event_id"`
		At      time.Time `json:"at"`
	} `json:"notifications"`
	Obligations []obligation `json:"obligations"`
}

func readClocks(t *testing.T, c *cli, inc string) (clockState, string) {
	t.Helper()
	var s clockState
	raw := c.json(&s, "show", inc)
	if s.Declaration.EventID == "" || len(s.Notifications) != 1 {
		t.Fatalf("show %s: no declaration or not one notice:\n%s", inc, raw)
	}
	return s, string(raw)
}

// refused runs an attack that must be refused by one of rules, with exit 4
// and nothing appended.
func refused(t *testing.T, c *cli, rules []string, actor string, args ...string) {
	t.Helper()
	before := c.dump()
	r := c.run(actor, args...)
	hit := false
	for _, rule := range rules {
		hit = hit || strings.Contains(r.stderr, "refused by rule "+rule+":")
	}
	if r.code != 4 || !hit {
		t.Errorf("%s %s: exit %d, want 4 refused by %s\n%s%s", actor, strings.Join(args, " "), r.code, strings.Join(rules, " or "), r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "instead:") {
		t.Errorf("the refusal says nothing of what to do instead:\n%s", r.stderr)
	}
	if after := c.dump(); after != before {
		t.Errorf("%s %s: the refused attack changed the ledger", actor, strings.Join(args, " "))
	}
}

// TestUnsignedCorrectionOfSignedFacts: an unsigned "correct" of a signed
// declaration moves every customer clock by a day, and of a signed notice
// dates it before the declaration it answers. Refused whatever the policy
// (correction-unsigned), and under a partial policy by the policy itself
// (it takes the corrections with the declaration); signed, the correction
// lands and every reader says who made it.
func TestUnsignedCorrectionOfSignedFacts(t *testing.T) {
	for _, tt := range []struct {
		name   string
		policy bool
		rules  []string
	}{
		{"no policy", false, []string{"correction-unsigned"}},
		{"partial policy", true, []string{"signature-required", "correction-unsigned"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, inc, keys := clockLedger(t, tt.policy)
			s, _ := readClocks(t, c, inc)
			decl, notice := s.Declaration.EventID, s.Notifications[0].EventID
			before := byID(t, s.Obligations)

			refused(t, c, tt.rules, "ivy", "correct", inc, decl, "--new-at", "2025-03-10T10:00:00Z", "--reason", "declared a day later", "--at", "2025-03-12T12:00:00Z")
			refused(t, c, tt.rules, "ian", "correct", inc, notice, "--new-at", "2025-03-09T09:00:00Z", "--reason", "sent a day earlier", "--at", "2025-03-12T12:00:00Z")
			// Someone else's key does not make it signed.
			refused(t, c, []string{"signer-not-yours"}, "ivy", "--sign-key", keys["sam"], "correct", inc, decl, "--new-at", "2025-03-10T10:00:00Z", "--reason", "x", "--at", "2025-03-12T12:00:00Z")

			after, _ := readClocks(t, c, inc)
			if !after.Declaration.At.Equal(mustTime(t, "2025-03-09T10:00:00Z")) || !after.Notifications[0].At.Equal(mustTime(t, "2025-03-10T09:00:00Z")) {
				t.Errorf("after the refused corrections: declared %s, notified %s; want 2025-03-09T10:00:00Z, 2025-03-10T09:00:00Z", after.Declaration.At, after.Notifications[0].At)
			}
			// Computed by hand: 72 hours after the declaration.
			if got := byID(t, after.Obligations)["customer-notice/fabrikam"]; !got.DueAt.Equal(mustTime(t, "2025-03-12T10:00:00Z")) || got.DueAt != before["customer-notice/fabrikam"].DueAt {
				t.Errorf("customer-notice/fabrikam due %s, want 2025-03-12T10:00:00Z as before", got.DueAt)
			}

			// Signed by the SIM herself, the correction lands: the clocks
			// move, and show says who moved them, signed.
			c.ok("ivy", "--sign-key", keys["ivy"], "correct", inc, decl, "--new-at", "2025-03-09T12:00:00Z", "--reason", "declared at noon", "--at", "2025-03-12T12:00:00Z")
			moved, raw := readClocks(t, c, inc)
			if got := byID(t, moved.Obligations)["customer-notice/fabrikam"]; !got.DueAt.Equal(mustTime(t, "2025-03-12T12:00:00Z")) {
				t.Errorf("after the signed correction customer-notice/fabrikam is due %s, want 2025-03-12T12:00:00Z", got.DueAt)
			}
			if !strings.Contains(raw, `"corrected": {`) || !strings.Contains(raw, `"signed": true`) {
				t.Errorf("show --json does not say the declaration was corrected, signed:\n%s", raw)
			}
			text := c.ok("auditor", "show", inc)
			if !strings.Contains(text, "at corrected by ivy (signed with "+fingerprint(t, keys["ivy"])+")") {
				t.Errorf("show does not say who corrected the declaration:\n%s", text)
			}
		})
	}
}

// TestUnsignedClockFactsUnderPartialPolicy: with the declaration, approvals
// and notices required signed, an unsigned "classify false-positive" would
// waive the overdue customer clock of fabrikam, an unsigned risk or scope
// change would drop duties, an unsigned determination would start new
// ones. Each is refused (signature-required); signed, the
// reclassification lands.
func TestUnsignedClockFactsUnderPartialPolicy(t *testing.T) {
	c, inc, keys := clockLedger(t, true)
	s, _ := readClocks(t, c, inc)
	if o := byID(t, s.Obligations)["customer-notice/fabrikam"]; o.Status != "overdue" {
		t.Fatalf("customer-notice/fabrikam is %s before the attack, want overdue", o.Status)
	}
	at := []string{"--at", "2025-03-20T00:00:00Z"}
	for _, attack := range []struct {
		actor string
		args  []string
	}{
		{"sam", []string{"classify", inc, "false-positive", "--root-cause", "it was a test"}},
		{"ivy", []string{"risk", inc, "unlikely", "--reasoning", "nothing sensitive"}},
		{"sam", []string{"scope", inc, "--remove-customer", "fabrikam"}},
		{"ivy", []string{"determine", inc, "discovery", "--reasoning", "x"}},
		{"ivy", []string{"correct", inc, s.Declaration.EventID, "--new-at", "2025-03-19T10:00:00Z", "--reason", "x"}},
	} {
		t.Run(attack.args[0], func(t *testing.T) {
			refused(t, c, []string{"signature-required"}, attack.actor, append(attack.args, at...)...)
		})
	}
	after, _ := readClocks(t, c, inc)
	if o := byID(t, after.Obligations)["customer-notice/fabrikam"]; o.Status != "overdue" {
		t.Errorf("customer-notice/fabrikam is %s after the refused attacks, want overdue", o.Status)
	}
	// A note moves no clock: unsigned, it is still accepted.
	c.ok("sam", "note", inc, "false positive? checking", "--at", "2025-03-20T00:00:00Z")

	// Signed, the reclassification is the security responder's act.
	c.ok("sam", append([]string{"--sign-key", keys["sam"], "classify", inc, "false-positive", "--root-cause", "it was a test"}, at...)...)
	waived, _ := readClocks(t, c, inc)
	if o := byID(t, waived.Obligations)["customer-notice/fabrikam"]; o.Status != "waived" {
		t.Errorf("after the signed reclassification customer-notice/fabrikam is %s, want waived", o.Status)
	}
}
