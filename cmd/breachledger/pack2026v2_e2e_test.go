package main_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// Pack 2026.2 (issue 18) through the binary: the pack's text says what
// switches each rule on and carries every [VERIFY] note; an incident
// pinned to 2026.1 shows the known defect of its DORA initial
// notification with the fixed reading beside it; an entity type no rule
// reads is refused; an Art. 27 representative fans GDPR Art. 33 out per
// authority.

// packRuleSection returns the detail section of one rule in "packs"
// text: from its heading to the next blank line.
func packRuleSection(t *testing.T, text, id string) string {
	t.Helper()
	_, after, ok := strings.Cut(text, "\n"+id+" (")
	if !ok {
		t.Errorf("no detail section for rule %s", id)
		return ""
	}
	section, _, _ := strings.Cut(after, "\n\n")
	return section
}

func TestPacksTextTriggersAndVerifyNotes(t *testing.T) {
	c := newLedger(t)
	p, ok := domain.PackByVersion("2026.2")
	if !ok {
		t.Fatal("no pack 2026.2")
	}
	out := c.ok("auditor", "packs", "2026.2")
	if !strings.Contains(out, "Rule pack 2026.2 (current)") {
		t.Errorf("2026.2 is not shown as current:\n%s", out)
	}
	notes := 0
	for _, r := range p.Rules {
		section := packRuleSection(t, out, r.ID)
		if !strings.Contains(section, "applies when: ") {
			t.Errorf("rule %s: no \"applies when\" line:\n%s", r.ID, section)
		}
		if !strings.Contains(section, "clock: ") {
			t.Errorf("rule %s: no clock line:\n%s", r.ID, section)
		}
		if len(r.Exceptions) > 0 && !strings.Contains(section, "waived when: ") {
			t.Errorf("rule %s: exceptions not listed:\n%s", r.ID, section)
		}
		for _, e := range r.Exceptions {
			if !strings.Contains(section, string(e.When)+" ("+e.Citation+")") {
				t.Errorf("rule %s: exception %s (%s) not listed:\n%s", r.ID, e.When, e.Citation, section)
			}
		}
		want := []string{r.Verify, r.FanOut.Verify()}
		if r.Months != nil {
			want = append(want, r.Months.Verify, r.Months.Basis, r.Months.Why)
		}
		for _, s := range r.Scaled {
			want = append(want, s.Verify, s.Citation)
		}
		if r.FilingDay != nil {
			want = append(want, r.FilingDay.Verify, r.FilingDay.Citation, r.FilingDay.Cutoff)
		}
		for _, w := range want {
			if w == "" {
				continue
			}
			notes++
			if !strings.Contains(section, w) {
				t.Errorf("rule %s: %q missing from its section:\n%s", r.ID, w, section)
			}
		}
	}
	if notes < 15 {
		t.Errorf("only %d notes checked: the pack's conventions are not being read", notes)
	}
	// The new typed fields, each in words.
	for id, says := range map[string][]string{
		"gdpr-art33":      {"per-authority", "outside the EEA", "gdpr-art27-representative", "[VERIFY] per-authority notices, for a controller established outside the EEA"},
		"dora-initial":    {"limit: no later than 24h after awareness", "lapses"},
		"sg-pdpc":         {"not entity types (none of) sg-data-intermediary", "jurisdictions (any of) SG"},
		"sg-intermediary": {"entity types (any of) sg-data-intermediary"},
		"br-anpd":         {"scaled: ×2 for small-processing-agent"},
		"sec-8k-1.05":     {"filing day: a filing after 17:30"},
		"nis2-final":      {"months: end at the end of the last day", "stays"},
		"dora-final":      {"rule-rollover", "months why: "},
		"ca-ag":           {"at least 501 people affected in US-CA"},
	} {
		section := packRuleSection(t, out, id)
		for _, s := range says {
			if !strings.Contains(section, s) {
				t.Errorf("rule %s: %q missing:\n%s", id, s, section)
			}
		}
	}
	if !strings.Contains(out, "Known defects:\n  none known") {
		t.Errorf("2026.2 has no known defect, the text should say so:\n%s", out[strings.LastIndex(out, "Known defects"):])
	}

	old := c.ok("auditor", "packs", "2026.1")
	d := domain.KnownDefects("2026.1")
	if len(d) == 0 {
		t.Fatal("2026.1 lists no known defect")
	}
	for _, k := range d {
		for _, s := range []string{k.ID, k.Description, "fixed in pack " + k.FixedIn, strings.Join(k.Rules, ", ")} {
			if !strings.Contains(old, s) {
				t.Errorf("packs 2026.1: %q missing from the known defects", s)
			}
		}
	}
	if strings.Contains(old, "(current)") {
		t.Errorf("packs 2026.1 says it is current")
	}
}

// doraLateLedger records a financial entity established in DE, aware at
// 2025-09-01T06:00Z, classified major at 2025-09-02T12:00Z (30 h later);
// pinned to pack (when not "") right after detection.
func doraLateLedger(t *testing.T, pack string) (*cli, string) {
	c := newLedger(t)
	c.ok("alice", "init", "--at", "2025-09-01T00:00:00Z")
	for actor, role := range map[string]string{"oscar": "responder", "ivy": "security-incident-manager", "lee": "legal"} {
		c.ok("alice", "grant", actor, role, "--at", "2025-09-01T00:01:00Z")
		c.register("2025-09-01T00:01:00Z", actor)
	}
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--role", "controller", "--source", "automated-alert", "--summary", "payments API down", "--at", "2025-09-01T06:00:00Z"))
	if pack != "" {
		c.ok("lee", "pack", inc, pack, "--reason", "evaluate under the pack in force then", "--at", "2025-09-01T06:05:00Z")
	}
	c.ok("ivy", "profile", inc, "--establishment", "DE", "--sector", "banking", "--entity-type", "financial-entity", "--at", "2025-09-01T06:10:00Z")
	c.ok("ivy", "determine", inc, "dora-major", "--reasoning", "critical service down, classified late", "--at", "2025-09-02T12:00:00Z")
	return c, inc
}

type defectRow struct {
	ID          string    `json:"obligation"`
	Pack        string    `json:"pack"`
	DueAt       time.Time `json:"due_at"`
	Status      string    `json:"status"`
	Limit       string    `json:"limit"`
	KnownDefect *struct {
		Defect      string    `json:"defect"`
		Description string    `json:"description"`
		FixedIn     string    `json:"fixed_in"`
		FixedDueAt  time.Time `json:"fixed_due_at"`
		FixedStatus string    `json:"fixed_status"`
		Absent      bool      `json:"absent_in_fix"`
	} `json:"known_defect"`
	UnderPack *struct {
		Pack   string    `json:"pack"`
		DueAt  time.Time `json:"due_at"`
		Status string    `json:"status"`
	} `json:"under_pack"`
}

func doraInitial(t *testing.T, c *cli, args ...string) defectRow {
	t.Helper()
	var v struct {
		Deadlines []defectRow `json:"deadlines"`
	}
	c.json(&v, append([]string{"deadlines", "--as-of", "2025-09-02T13:00:00Z", "--regime", "dora-initial"}, args...)...)
	if len(v.Deadlines) != 1 {
		t.Fatalf("dora-initial rows: %+v, want one", v.Deadlines)
	}
	return v.Deadlines[0]
}

func TestDORALateClassificationKnownDefect(t *testing.T) {
	aware := mustTime(t, "2025-09-01T06:00:00Z")
	t.Run("pinned to 2026.1", func(t *testing.T) {
		c, inc := doraLateLedger(t, "2026.1")
		o := doraInitial(t, c, inc)
		if o.Pack != "2026.1" || !o.DueAt.Equal(aware.Add(24*time.Hour)) || o.Status != "overdue" {
			t.Errorf("under 2026.1: pack %s due %s %s, want 2026.1 due %s overdue", o.Pack, o.DueAt, o.Status, aware.Add(24*time.Hour))
		}
		d := o.KnownDefect
		if d == nil {
			t.Fatalf("under 2026.1: no known_defect on %+v", o)
		}
		if d.Defect != domain.DefectDueBeforeTrigger || d.FixedIn != "2026.2" || !d.FixedDueAt.Equal(aware.Add(34*time.Hour)) || d.FixedStatus == "" || d.Absent || d.Description == "" {
			t.Errorf("known_defect %+v, want %s fixed in 2026.2, due %s with a status", d, domain.DefectDueBeforeTrigger, aware.Add(34*time.Hour))
		}
		text := c.run("auditor", "deadlines", "--as-of", "2025-09-02T13:00:00Z", inc)
		if text.code != 7 {
			t.Errorf("deadlines text: exit %d, want 7 (overdue)\n%s", text.code, text.stderr)
		}
		want := "known defect of pack 2026.1: " + d.Description + "; pack 2026.2: due 2025-09-02T16:00:00Z, " + d.FixedStatus
		if !strings.Contains(text.stdout, want) {
			t.Errorf("deadlines text lacks %q:\n%s", want, text.stdout)
		}
		show := c.ok("auditor", "show", inc, "--as-of", "2025-09-02T13:00:00Z")
		if !strings.Contains(show, "known defect of pack 2026.1") {
			t.Errorf("show lacks the known defect:\n%s", show)
		}
		// The newer pack's reading beside it, on request.
		o = doraInitial(t, c, inc, "--compare-pack", "2026.2")
		if u := o.UnderPack; u == nil || u.Pack != "2026.2" || !u.DueAt.Equal(aware.Add(34*time.Hour)) || u.Status != d.FixedStatus {
			t.Errorf("--compare-pack 2026.2: %+v, want due %s %s", o.UnderPack, aware.Add(34*time.Hour), d.FixedStatus)
		}
		text = c.run("auditor", "deadlines", "--as-of", "2025-09-02T13:00:00Z", inc, "--compare-pack", "2026.2")
		if !strings.Contains(text.stdout, "under pack 2026.2: due 2025-09-02T16:00:00Z") {
			t.Errorf("--compare-pack 2026.2 text:\n%s", text.stdout)
		}
		// An entity type 2026.1 does not read (the Art. 27 representative
		// counts from 2026.2 on) is recorded, and marked on the profile.
		c.ok("ivy", "profile", inc, "--entity-type", "gdpr-art27-representative", "--at", "2025-09-02T12:30:00Z")
		show = c.ok("auditor", "show", inc, "--as-of", "2025-09-02T13:00:00Z")
		if !strings.Contains(show, "entity types financial-entity, gdpr-art27-representative (no effect under pack 2026.1)") {
			t.Errorf("show: the profile line does not mark the type 2026.1 does not read:\n%s", show)
		}
		// The kept views (no --incident) give the same row.
		var v struct {
			Deadlines []defectRow `json:"deadlines"`
		}
		c.json(&v, "deadlines", "--as-of", "2025-09-02T13:00:00Z", "--regime", "dora-initial")
		if len(v.Deadlines) != 1 || v.Deadlines[0].KnownDefect == nil || !v.Deadlines[0].KnownDefect.FixedDueAt.Equal(aware.Add(34*time.Hour)) {
			t.Errorf("deadlines without --incident: %+v", v.Deadlines)
		}
	})
	t.Run("pinned to 2026.2", func(t *testing.T) {
		c, inc := doraLateLedger(t, "")
		o := doraInitial(t, c, inc)
		if o.Pack != "2026.2" || !o.DueAt.Equal(aware.Add(34*time.Hour)) || o.KnownDefect != nil {
			t.Errorf("under 2026.2: %+v, want pack 2026.2 due %s and no known defect", o, aware.Add(34*time.Hour))
		}
		if !strings.Contains(o.Limit, "had passed") {
			t.Errorf("limit %q: want it to say the 24 h limb had passed", o.Limit)
		}
		text := c.ok("auditor", "deadlines", "--as-of", "2025-09-02T13:00:00Z", inc)
		if strings.Contains(text, "known defect") {
			t.Errorf("2026.2 text names a known defect:\n%s", text)
		}
	})
}

func TestProfileEntityTypeNoEffectRefused(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--at", "2025-09-01T00:00:00Z")
	for actor, role := range map[string]string{"oscar": "responder", "ivy": "security-incident-manager"} {
		c.ok("alice", "grant", actor, role, "--at", "2025-09-01T00:01:00Z")
		c.register("2025-09-01T00:01:00Z", actor)
	}
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--role", "controller", "--source", "customer-report", "--summary", "orders leaked", "--at", "2025-09-01T06:00:00Z"))
	before := c.dump()
	r := c.run("ivy", "profile", inc, "--entity-type", "california-business", "--at", "2025-09-01T06:10:00Z")
	if r.code != 4 || !strings.Contains(r.stderr, "entity-type-no-effect") || !strings.Contains(r.stderr, "california-business") {
		t.Errorf("profile --entity-type california-business: exit %d %q, want 4 naming entity-type-no-effect", r.code, r.stderr)
	}
	if c.dump() != before {
		t.Errorf("the refused profile changed the ledger")
	}
	help := c.ok("auditor", "profile", "--help")
	flagLine := func(name string) string {
		for _, l := range strings.Split(help, "\n") {
			if strings.Contains(l, "--"+name+" value") {
				return l
			}
		}
		t.Fatalf("no --%s in the help:\n%s", name, help)
		return ""
	}
	if strings.Contains(flagLine("entity-type"), "california-business") || !strings.Contains(flagLine("remove-entity-type"), "california-business") {
		t.Errorf("--entity-type lists california-business, or --remove-entity-type does not:\n%s", help)
	}
	if strings.Contains(help, "--establishment US --entity-type gdpr-art27-representative") {
		t.Errorf("the help still gives the Art. 27 example with a US establishment:\n%s", help)
	}
}

func TestArt27RepresentativeFansOutPerAuthority(t *testing.T) {
	obligations := func(t *testing.T, withRep bool) []string {
		c := newLedger(t)
		c.ok("alice", "init", "--at", "2025-09-01T00:00:00Z")
		for actor, role := range map[string]string{"oscar": "responder", "ivy": "security-incident-manager"} {
			c.ok("alice", "grant", actor, role, "--at", "2025-09-01T00:01:00Z")
			c.register("2025-09-01T00:01:00Z", actor)
		}
		inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--role", "controller", "--source", "customer-report", "--summary", "orders leaked", "--at", "2025-09-01T06:00:00Z"))
		c.ok("oscar", "assess", inc, "-f", "low", "-r", "regular", "-i", "privacy-breach", "--at", "2025-09-01T06:30:00Z")
		if withRep {
			c.ok("ivy", "profile", inc, "--entity-type", "gdpr-art27-representative", "--at", "2025-09-01T06:40:00Z")
			show := c.ok("auditor", "show", inc, "--as-of", "2025-09-01T07:00:00Z")
			if !strings.Contains(show, "entity types gdpr-art27-representative") || strings.Contains(show, "no effect") {
				t.Errorf("show: profile line:\n%s", show)
			}
		}
		c.ok("ivy", "affected", inc, "--count", "DE=10", "--count", "FR=5", "--at", "2025-09-01T06:50:00Z")
		var v struct {
			Deadlines []struct {
				ID     string `json:"obligation"`
				Verify string `json:"verify"`
			} `json:"deadlines"`
		}
		c.json(&v, "deadlines", "--as-of", "2025-09-01T07:00:00Z", "--regime", "gdpr-art33", inc)
		var ids []string
		for _, o := range v.Deadlines {
			if strings.HasPrefix(o.ID, "gdpr-art33") && !strings.HasPrefix(o.ID, "gdpr-art33-2") {
				ids = append(ids, o.ID)
			}
			if withRep && !strings.Contains(o.Verify, "no lead authority") {
				t.Errorf("%s: verify %q lacks the per-authority note", o.ID, o.Verify)
			}
		}
		slices.Sort(ids)
		return ids
	}
	if got := obligations(t, true); !slices.Equal(got, []string{"gdpr-art33/DE", "gdpr-art33/FR"}) {
		t.Errorf("with an Art. 27 representative: %v, want gdpr-art33/DE and gdpr-art33/FR", got)
	}
	if got := obligations(t, false); !slices.Equal(got, []string{"gdpr-art33"}) {
		t.Errorf("without: %v, want one gdpr-art33", got)
	}
}
