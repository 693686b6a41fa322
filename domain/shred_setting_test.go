package domain_test

import (
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// TestSealSetting: seal-personal-data is off by default, on from the
// business time of "setting seal-personal-data on", and off again after
// "off"; any other value is refused.
func TestSealSetting(t *testing.T) {
	if domain.DefaultSettings().SealsPersonalData() {
		t.Fatal("sealing is on by default")
	}
	h := signedModeHistory(t)
	h.mustRun(domain.ChangeSetting{By: as("admin", "2025-03-08T00:00:00Z"), Key: domain.SealSettingKey, Value: "on", Reason: "test: dated back"})
	s := h.state().Ledger.Settings
	at := func(v string) time.Time { t0, _ := time.Parse(time.RFC3339, v); return t0 }
	for _, tt := range []struct {
		at   string
		want bool
	}{{"2025-03-07T23:59:59Z", false}, {"2025-03-08T00:00:00Z", true}, {"2025-03-09T00:00:00Z", true}} {
		if got := s.At(at(tt.at)).SealsPersonalData(); got != tt.want {
			t.Errorf("SealsPersonalData at %s = %v, want %v", tt.at, got, tt.want)
		}
	}
	if got := s.Changes(domain.SealSettingKey); len(got) != 1 || got[0].Value != "on" {
		t.Errorf("Changes = %+v, want one change to on", got)
	}
	h.mustRun(domain.ChangeSetting{By: as("admin", "2025-03-10T00:00:00Z"), Key: domain.SealSettingKey, Value: "off", Reason: "test: dated back"})
	if h.state().Ledger.Settings.SealsPersonalData() {
		t.Error("sealing is still on after off")
	}
	if _, err := h.run(domain.ChangeSetting{By: as("admin", "2025-03-11T00:00:00Z"), Key: domain.SealSettingKey, Value: "yes", Reason: "test"}); err == nil {
		t.Error("seal-personal-data yes is accepted")
	}
}
