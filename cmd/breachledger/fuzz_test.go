package main

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseTime: the CLI's time parser never panics; what it accepts is in
// UTC and reads back to the same instant from its RFC 3339 form; what it
// refuses, it refuses with a message that says what to write instead.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"now", " now ", "2025-03-07T22:15:00Z", "2025-03-07T23:15:00+01:00", "2025-03-07T22:15Z",
		"2025-03-07 22:15:00Z", "2025-03-07 22:15+05:30", "2025-03-07T22:15:00.123456789Z",
		"2025-03-07T22:15:00", "2025-02-30T00:00:00Z", "10000-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
		"2025-03-07T24:00:00Z", "2025-03-07T22:15:00+24:00", "yesterday", "", "\x00", "2025-03-07T22:15:00\xffZ",
	} {
		f.Add(s)
	}
	now := time.Date(2025, 3, 25, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime(s, now)
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, "RFC 3339") && !strings.Contains(msg, "time zone") {
				t.Fatalf("parseTime(%q) refused with %q, which does not say what to write", s, msg)
			}
			if !strings.Contains(msg, strconv.Quote(strings.TrimSpace(s))) {
				t.Fatalf("parseTime(%q) refused with %q, which does not name the input", s, msg)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("parseTime(%q) = %v, not in UTC", s, got)
		}
		back, err := parseTime(got.Format(time.RFC3339Nano), now)
		if err != nil || !back.Equal(got) {
			t.Fatalf("parseTime(%q) = %v, which reads back as %v, %v", s, got, back, err)
		}
	})
}
