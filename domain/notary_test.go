package domain_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// TestNotaryRules: who may appoint a notary, and that once one is
// appointed it alone rejects records.
func TestNotaryRules(t *testing.T) {
	appoint := func(actor, by string) domain.AppointNotary {
		return domain.AppointNotary{By: as(by, "2025-03-08T00:00:00Z"), Actor: actor, Key: keyOf("notary"), Fingerprint: fp("notary"),
			LedgerKey: "breachledger/x/y+0badc0de+AbR7TPuT+V+o1qL913O=", Handover: "statement", Reason: "team"}
	}
	reject := func(by string) domain.RejectForeign {
		return domain.RejectForeign{By: as(by, "2025-03-08T00:05:00Z"), Reason: "r", Records: []domain.ForeignEventRejected{
			{Seq: 3, EventID: "01950000-0000-7000-8000-000000000003", LeafSHA256: strings.Repeat("e", 64), Type: "NoteAdded", Stream: "incident-INC", Rule: "signature-required"}}}
	}
	tests := []struct {
		name     string
		before   []domain.Command
		cmd      domain.Command
		wantRule string // "" when accepted
	}{
		{"an admin appoints", nil, appoint("notary", "admin"), ""},
		{"a non-admin cannot", nil, appoint("notary", "oscar"), "notary-role"},
		{"only once", []domain.Command{appoint("notary", "admin")}, appoint("notary2", "admin"), "notary-once"},
		{"not an actor with a role", nil, appoint("oscar", "admin"), "notary-apart"},
		{"the notary rejects", []domain.Command{appoint("notary", "admin")}, reject("notary"), ""},
		{"an admin no longer rejects", []domain.Command{appoint("notary", "admin")}, reject("admin"), "custody-notary"},
		{"an admin rejects without a notary", nil, reject("admin"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := signedModeHistory(t)
			for _, c := range tt.before {
				h.mustRun(c)
			}
			_, err := domain.Decide(h.state(), tt.cmd, domain.Origin(tt.cmd).At.Add(1))
			var re *domain.RuleError
			switch {
			case tt.wantRule == "" && err != nil:
				t.Errorf("Decide = %v, want accepted", err)
			case tt.wantRule != "" && (!errors.As(err, &re) || re.Rule != tt.wantRule):
				t.Errorf("Decide = %v, want rule %s", err, tt.wantRule)
			}
		})
	}
	t.Run("the appointment is the ledger's notary", func(t *testing.T) {
		h := signedModeHistory(t)
		h.mustRun(appoint("notary", "admin"))
		n, ok := h.state().Ledger.Notary()
		if !ok || n.Actor != "notary" || n.LedgerKey != appoint("notary", "admin").LedgerKey {
			t.Errorf("Notary() = %+v, %v", n, ok)
		}
	})
}

// TestSettingValues: every setting key reads back the value it was set
// to, as the settings table prints it (Text): a duration, given in days
// and hours, in the form FormatDuration writes (31h); seal-personal-data
// on; retention-after-close a duration like the others.
func TestSettingValues(t *testing.T) {
	given := map[string][2]string{domain.SealSettingKey: {"on", "on"}} // on or off, not a duration
	for _, k := range domain.SettingKeys() {
		v, ok := given[k.Key]
		if !ok {
			v = [2]string{"1d7h", "31h"}
		}
		h := signedModeHistory(t)
		h.mustRun(domain.ChangeSetting{By: as("admin", "2025-03-08T00:00:00Z"), Key: k.Key, Value: v[0], Reason: "test: dated back"})
		s := h.state().Ledger.Settings
		if got, ok := s.Text(k.Key); !ok || got != v[1] {
			t.Errorf("Text(%q) = %q, %v; want %q", k.Key, got, ok, v[1])
		}
		if d, _ := s.Value(k.Key); k.Key != domain.SealSettingKey && d != 31*time.Hour {
			t.Errorf("Value(%q) = %v, want 31h", k.Key, d)
		}
	}
	if !slices.ContainsFunc(domain.SettingKeys(), func(k struct{ Key, Meaning string }) bool { return k.Key == domain.SealSettingKey }) ||
		!slices.ContainsFunc(domain.SettingKeys(), func(k struct{ Key, Meaning string }) bool { return k.Key == domain.RetentionSettingKey }) {
		t.Errorf("SettingKeys does not list %s and %s", domain.SealSettingKey, domain.RetentionSettingKey)
	}
	if _, ok := domain.DefaultSettings().Value("no-such-setting"); ok {
		t.Error("Value of an unknown key is found")
	}
}
