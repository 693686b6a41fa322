package main_test

import (
	"strings"
	"testing"
	"time"
)

// TestUnknownValues (issue 14): a regime, rule pack or status that names
// nothing this binary knows is a usage error (exit 2) listing the valid
// values, with the nearest suggested — "deadlines --regime FOO" in a cron
// job must fail, not print "none" and exit 0 — and an obligation the
// incident does not hold is not found (exit 3), naming those it holds. A
// refused writer appends nothing: the ledger's dump is byte for byte what
// it was.
func TestUnknownValues(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--at", "2025-03-01T00:00:00Z")
	for actor, role := range map[string]string{"oscar": "responder", "sam": "security-response", "ivy": "security-incident-manager", "ian": "incident-manager", "lee": "legal"} {
		c.ok("alice", "grant", actor, role, "--at", "2025-03-01T00:01:00Z")
		c.register("2025-03-01T00:01:00Z", actor)
	}
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "customer-report", "--summary", "tenant data on a paste site",
		"--role", "controller", "--aware-at", "2025-03-07T22:15:00Z", "--at", "2025-03-07T21:40:00Z"))
	c.ok("oscar", "assess", inc, "-f", "medium", "-r", "extended", "-i", "privacy-breach", "--at", "2025-03-07T22:30:00Z")
	c.ok("sam", "scope", inc, "--subjects", "300", "--jurisdiction", "DE", "--at", "2025-03-08T09:00:00Z")

	// Worked by hand: one clock, GDPR Art. 33, 72 hours after awareness
	// (2025-03-07T22:15Z): due 2025-03-10T22:15Z, pending on 2025-03-09.
	const asOf = "2025-03-09T00:00:00Z"
	var v regView
	c.json(&v, "deadlines", "--as-of", asOf)
	if ids := regIDs(v); len(ids) != 1 || ids[0] != "gdpr-art33" {
		t.Fatalf("deadlines: %v, want the one GDPR Art. 33 clock", ids)
	}
	if o := v.Deadlines[0]; !o.DueAt.Equal(mustTime(t, "2025-03-10T22:15:00Z")) || o.Status != "pending" {
		t.Fatalf("gdpr-art33: due %s %s, want 2025-03-10T22:15:00Z pending", o.DueAt.Format(time.RFC3339), o.Status)
	}

	validRegimes := "valid regimes: processor commitment, GDPR, UK GDPR, NIS2, DORA, SEC, HIPAA, California, NYDFS, LGPD, PDPA"
	statuses := "(allowed: pending, due-soon, overdue, met, met-late, held, waived)"
	packs := "(allowed: 2025.1, 2026.1, 2026.2)"
	for _, tt := range []struct {
		name   string
		actor  string
		args   []string
		code   int
		stderr []string // each must appear
		not    string   // must not appear
	}{
		// Readers.
		{"a typo of a regime", "auditor", []string{"deadlines", "--regime", "FOO"}, 2,
			[]string{`--regime "FOO": unknown regime or rule`, validRegimes, `or a rule ID, or its start before a "-"`, "gdpr-art33, gdpr-art34", "sg-pdpc", "usage error"}, "did you mean"},
		{"a typo of a regime, for cron", "auditor", []string{"deadlines", "--regime", "FOO", "--due-within", "24h", "--json"}, 2, []string{`--regime "FOO"`}, ""},
		{"a near regime", "auditor", []string{"deadlines", "--regime", "GDRP"}, 2, []string{`--regime "GDRP": unknown regime or rule; did you mean "GDPR"?`}, ""},
		{"an obligation ID is no regime", "auditor", []string{"deadlines", inc, "--regime", "gdpr-art33/DE"}, 2, []string{`--regime "gdpr-art33/DE"`, `did you mean "gdpr-art33"`}, ""},
		{"one bad regime among good ones", "auditor", []string{"deadlines", "--regime", "GDPR", "--regime", "NIS3"}, 2, []string{`--regime "NIS3"`, `did you mean "NIS2"?`}, `--regime "GDPR"`},
		{"an unknown status", "auditor", []string{"deadlines", "--status", "overdu"}, 2, []string{`--status "overdu": unknown value; did you mean "overdue"? ` + statuses}, ""},
		{"a status of another vocabulary", "auditor", []string{"deadlines", "--status", "late"}, 2, []string{`--status "late": unknown value ` + statuses}, ""},
		{"an unknown pack", "auditor", []string{"deadlines", "--pack", "2026"}, 2, []string{`--pack "2026": unknown rule pack; did you mean "2026.1" or "2026.2"? ` + packs}, ""},
		{"an unknown pack to compare", "auditor", []string{"deadlines", "--compare-pack", "1999.1"}, 2, []string{`--compare-pack "1999.1": unknown rule pack ` + packs}, ""},
		{"all at once", "auditor", []string{"deadlines", "--regime", "FOO", "--status", "x", "--pack", "y"}, 2, []string{"3 problems", `--regime "FOO"`, `--status "x"`, `--pack "y"`}, ""},
		{"packs VERSION", "auditor", []string{"packs", "2026"}, 2, []string{`VERSION "2026": unknown rule pack; did you mean "2026.1" or "2026.2"? ` + packs}, ""},
		// Writers: nothing appended.
		{"detect --pack", "oscar", []string{"detect", "--source", "customer-report", "--summary", "x", "--pack", "2025"}, 2,
			[]string{`--pack "2025": unknown rule pack; did you mean "2025.1"? ` + packs}, ""},
		{"pack VERSION", "ivy", []string{"pack", inc, "2026.3", "--reason", "x"}, 2, []string{`VERSION "2026.3": unknown rule pack; did you mean`, `"2026.1"`, packs}, ""},
		// A usage error comes before the roles: oscar may not pin a pack,
		// but the word he typed is wrong whoever types it.
		{"pack VERSION by someone without the role", "oscar", []string{"pack", inc, "9", "--reason", "x"}, 2, []string{`VERSION "9": unknown rule pack ` + packs}, "pack-role"},
		{"notify --for an obligation it does not hold", "ian", []string{"notify", inc, "--to", "supervisory-authority", "--recipient", "BfDI",
			"--for", "gdpr-art33/XX", "--at", "2025-03-09T10:00:00Z"}, 3,
			[]string{`obligation "gdpr-art33/XX" not found; did you mean "gdpr-art33"? obligations of this incident: gdpr-art33`}, ""},
		{"notify --for a rule of another regime", "ian", []string{"notify", inc, "--to", "regulator", "--recipient", "BSI",
			"--for", "nis2-early-warning", "--at", "2025-03-09T10:00:00Z"}, 3,
			[]string{`obligation "nis2-early-warning" not found; obligations of this incident: gdpr-art33`}, "did you mean"},
		{"hold --obligation it does not hold", "lee", []string{"hold", inc, "law-enforcement", "--authority", "BKA", "--basis", "x",
			"--obligation", "gdpr-art3", "--at", "2025-03-09T10:00:00Z"}, 3,
			[]string{`obligation "gdpr-art3" not found; did you mean "gdpr-art33"? obligations of this incident: gdpr-art33 (or their rule IDs)`}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := c.dump()
			r := c.run(tt.actor, tt.args...)
			if r.code != tt.code {
				t.Errorf("%v: exit %d, want %d\n%s", tt.args, r.code, tt.code, r.stderr)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("%v: stderr lacks %q:\n%s", tt.args, w, r.stderr)
				}
			}
			if tt.not != "" && strings.Contains(r.stderr, tt.not) {
				t.Errorf("%v: stderr has %q:\n%s", tt.args, tt.not, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("%v: printed %q; a refusal prints nothing on stdout", tt.args, r.stdout)
			}
			if c.dump() != before {
				t.Errorf("%v changed the ledger", tt.args)
			}
		})
	}

	// What --regime accepted before, it still accepts: a regime name or a
	// rule ID in any case, a rule ID's start before a "-".
	for _, regime := range []string{"GDPR", "gdpr", "gdpr-art33", "GDPR-ART33", "UK GDPR", "uk gdpr", "uk", "nis2", "processor commitment", "customer-notice"} {
		c.json(&v, "deadlines", "--as-of", asOf, "--regime", regime)
		want := 0
		if strings.HasPrefix(strings.ToLower(regime), "gdpr") {
			want = 1
		}
		if len(v.Deadlines) != want {
			t.Errorf("--regime %q: %v, want %d rows", regime, regIDs(v), want)
		}
	}
	// The status filter, from the kept read models (all incidents) and
	// from the history (one incident): pending shows the one clock;
	// overdue none until it runs out at 2025-03-10T22:15Z.
	for _, args := range [][]string{{"deadlines"}, {"deadlines", inc}} {
		for _, tt := range []struct {
			asOf, status string
			want         int
		}{
			{asOf, "pending", 1}, {asOf, "overdue", 0}, {"2025-03-10T22:15:01Z", "overdue", 1}, {"2025-03-10T22:15:01Z", "pending", 0}, {"2025-03-10T22:15:01Z", "met", 0},
		} {
			c.json(&v, append(args, "--as-of", tt.asOf, "--status", tt.status)...)
			if len(v.Deadlines) != tt.want || (tt.want == 1 && v.Deadlines[0].Status != tt.status) {
				t.Errorf("%v --as-of %s --status %s: %v, want %d rows", args, tt.asOf, tt.status, regIDs(v), tt.want)
			}
		}
	}
	// An overdue clock filtered out by --status does not page anyone.
	if r := c.run("auditor", "deadlines", "--as-of", "2025-03-10T22:15:01Z", "--status", "met"); r.code != 0 {
		t.Errorf("--status met with one overdue clock: exit %d, want 0", r.code)
	}
	if r := c.run("auditor", "deadlines", "--as-of", "2025-03-10T22:15:01Z", "--status", "overdue"); r.code != 7 {
		t.Errorf("--status overdue with one overdue clock: exit %d, want 7", r.code)
	}
}
