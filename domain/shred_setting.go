package domain

import (
	"fmt"
	"strings"
	"time"
)

// The seal-personal-data setting (crypto-shredding, issue 25). Settings
// hold durations; this one is on or off, kept as 1 or 0 so that it is a
// bitemporal fact like the others: in force from its business time.

// sealSettingKey is the setting that turns sealing on.
const sealSettingKey = "seal-personal-data"

// SealSettingKey is the key of the setting that turns sealing on.
const SealSettingKey = sealSettingKey

// SealsPersonalData reports whether seal-personal-data is on in s.
func (s Settings) SealsPersonalData() bool { return s.sealPersonal > 0 }

// settingValue parses the value of the setting key.
func settingValue(key, value string) (time.Duration, error) {
	if key != sealSettingKey {
		return ParseDuration(value)
	}
	switch strings.TrimSpace(value) {
	case "on":
		return 1, nil
	case "off":
		return 0, nil
	}
	return 0, fmt.Errorf("seal-personal-data is on or off, not %q", value)
}

// formatSetting writes the value d of the setting key as settingValue
// reads it.
func formatSetting(key string, d time.Duration) string {
	if key != sealSettingKey {
		return FormatDuration(d)
	}
	if d > 0 {
		return "on"
	}
	return "off"
}
