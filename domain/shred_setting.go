package domain

import (
	"fmt"
	"strings"
	"time"
)

// The settings of forgetting (crypto-shredding, issue 25). Settings hold
// durations; seal-personal-data is on or off, kept as 1 or 0, and
// retention-after-close is a duration or off (0, the default), so that
// both are bitemporal facts like the others: in force from their business
// time.

// sealSettingKey is the setting that turns sealing on.
const sealSettingKey = "seal-personal-data"

// SealSettingKey is the key of the setting that turns sealing on.
const SealSettingKey = sealSettingKey

// SealsPersonalData reports whether seal-personal-data is on in s.
func (s Settings) SealsPersonalData() bool { return s.sealPersonal > 0 }

// settingValue parses the value of the setting key.
func settingValue(key, value string) (time.Duration, error) {
	switch key {
	case sealSettingKey:
		switch strings.TrimSpace(value) {
		case "on":
			return 1, nil
		case "off":
			return 0, nil
		}
		return 0, fmt.Errorf("seal-personal-data is on or off, not %q", value)
	case RetentionSettingKey:
		if strings.TrimSpace(value) == "off" {
			return 0, nil
		}
		d, err := ParseDuration(value)
		if err != nil {
			return 0, fmt.Errorf("%w, or off", err)
		}
		return d, nil
	}
	return ParseDuration(value)
}

// formatSetting writes the value d of the setting key as settingValue
// reads it.
func formatSetting(key string, d time.Duration) string {
	switch {
	case key == sealSettingKey && d > 0:
		return "on"
	case key == sealSettingKey, key == RetentionSettingKey && d <= 0:
		return "off"
	}
	return FormatDuration(d)
}

// Text returns the value of the setting key (one of SettingKeys) as
// "breachledger setting" takes it: a duration, "on" or "off".
func (s Settings) Text(key string) (string, bool) {
	d, ok := s.Value(key)
	if !ok {
		return "", false
	}
	return formatSetting(key, d), true
}
