package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/domain"
)

// TestDueForRetention: a closed incident is due once its latest closure's
// business time plus the retention-after-close in force at the instant
// asked is at or before that instant (not one second earlier); open,
// reopened and unknown incidents never are; without the setting in force,
// or for a role that may not shred, shred --due is refused naming the rule.
func TestDueForRetention(t *testing.T) {
	closed := func(id string, at ...string) domain.Incident {
		inc := domain.Incident{ID: id, Exists: true, Closed: len(at) > 0}
		for _, a := range at {
			inc.Closures = append(inc.Closures, domain.ClosureEntry{Ref: domain.Ref{At: mt(a)}})
		}
		return inc
	}
	reopened := closed("REOPENED", "2025-01-10T00:00:00Z")
	reopened.Closed = false
	incs := []domain.Incident{
		closed("OLD", "2025-03-20T10:00:00Z"),
		closed("TWICE", "2025-01-05T00:00:00Z", "2025-04-01T00:00:00Z"), // reopened and closed again: the latest counts
		closed("OPEN"),
		reopened,
		{ID: "UNSEEN"}, // the cut sees none of it
		closed("NEW", "2027-12-01T00:00:00Z"),
	}
	h := newHistory(t)
	h.ledgerEvent("admin", "2025-02-01T00:00:00Z", domain.SettingChanged{Key: domain.RetentionSettingKey, Value: "1095d"})
	h.ledgerEvent("admin", "2029-01-01T00:00:00Z", domain.SettingChanged{Key: domain.RetentionSettingKey, Value: "off"})
	l := h.state().Ledger
	// 2025-03-20T10:00 + 1095 days (2028 is a leap year).
	oldDue := mt("2028-03-19T10:00:00Z")
	if got := mt("2025-03-20T10:00:00Z").Add(1095 * 24 * time.Hour); !got.Equal(oldDue) {
		t.Fatalf("by hand: %v, want %v", got, oldDue)
	}
	for _, tt := range []struct {
		name     string
		actor    string
		at       time.Time
		want     []string
		wantRule string
	}{
		{"one second before the first is due", "lee", oldDue.Add(-time.Second), nil, ""},
		{"the first at its due time", "lee", oldDue, []string{"OLD"}, ""},
		{"an admin may too", "admin", oldDue, []string{"OLD"}, ""},
		{"the latest closure counts", "lee", mt("2028-04-01T00:00:00Z"), []string{"OLD", "TWICE"}, ""},
		{"before the setting", "lee", mt("2025-01-31T23:59:59Z"), nil, "retention-not-set"},
		{"after it was turned off", "lee", mt("2029-01-01T00:00:00Z"), nil, "retention-not-set"},
		{"a responder", "oscar", oldDue, nil, "shred-role"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			due, err := domain.DueForRetention(l, by(tt.actor, "2028-06-01T00:00:00Z"), incs, tt.at)
			if tt.wantRule != "" {
				var re *domain.RuleError
				if !errors.As(err, &re) || re.Rule != tt.wantRule {
					t.Fatalf("DueForRetention = %v, %v; want rule %s", due, err, tt.wantRule)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range due {
				got = append(got, d.Incident)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("due (-want +got):\n%s", diff)
			}
		})
	}
	due, err := domain.DueForRetention(l, by("lee", "2028-06-01T00:00:00Z"), incs[:1], oldDue)
	if err != nil || len(due) != 1 {
		t.Fatalf("DueForRetention = %v, %v", due, err)
	}
	want := domain.RetentionDue{Incident: "OLD", ClosedAt: mt("2025-03-20T10:00:00Z"), Period: 1095 * 24 * time.Hour, Due: oldDue}
	if diff := cmp.Diff(want, due[0]); diff != "" {
		t.Errorf("due (-want +got):\n%s", diff)
	}
	if got, want := due[0].Reason(), "retention: closed on 2025-03-20; retention-after-close 1095d"; got != want {
		t.Errorf("Reason = %q, want %q", got, want)
	}
}

// TestRetentionSetting: retention-after-close is off by default, takes a
// duration or off, and reads back as it was given.
func TestRetentionSetting(t *testing.T) {
	if got, _ := domain.DefaultSettings().Text(domain.RetentionSettingKey); got != "off" {
		t.Errorf("default = %q, want off", got)
	}
	for _, tt := range []struct{ value, want string }{{"1095d", "1095d"}, {"36h", "36h"}, {"off", "off"}, {"0", ""}, {"forever", ""}} {
		h := signedModeHistory(t)
		_, err := h.run(domain.ChangeSetting{By: as("admin", "2025-03-08T00:00:00Z"), Key: domain.RetentionSettingKey, Value: tt.value, Reason: "test: dated back"})
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: accepted", tt.value)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.value, err)
		}
		if got, _ := h.state().Ledger.Settings.Text(domain.RetentionSettingKey); got != tt.want {
			t.Errorf("%s reads back %q, want %q", tt.value, got, tt.want)
		}
	}
}
