package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReorderArgs(t *testing.T) {
	app := newApp(&bytes.Buffer{}, &bytes.Buffer{}, time.Now)
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"flags after the argument move in front", "bl show INC --json --as-of 2025-03-12T12:00:00Z", "bl show --json --as-of 2025-03-12T12:00:00Z INC"},
		{"global flags stay global", "bl --ledger x.db --actor sam stage INC diagnose --reason why", "bl --ledger x.db --actor sam stage --reason why INC diagnose"},
		{"flag=value", "bl note INC hello --at=2025-03-10T10:00:00Z", "bl note --at=2025-03-10T10:00:00Z INC hello"},
		{"boolean flags take no value", "bl assess INC --escalated -f low", "bl assess --escalated -f low INC"},
		{"unknown flags stay flags, for the parser to report", "bl note INC x --colour red", "bl note --colour INC x red"},
		{"a dash-led positional after -- stays positional", "bl note INC -- -5 degrees", "bl note -- INC -5 degrees"},
		{"unknown command left alone", "bl frobnicate --json", "bl frobnicate --json"},
		{"no command", "bl --version", "bl --version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(reorderArgs(app, strings.Fields(tt.in)), " ")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reorderArgs(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2025, 3, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{in: "now", want: now},
		{in: "2025-03-07T22:15:00Z", want: time.Date(2025, 3, 7, 22, 15, 0, 0, time.UTC)},
		{in: "2025-03-07T23:15:00+01:00", want: time.Date(2025, 3, 7, 22, 15, 0, 0, time.UTC)},
		{in: "2025-03-07T22:15Z", want: time.Date(2025, 3, 7, 22, 15, 0, 0, time.UTC)},
		{in: "2025-03-07T22:15:00.5Z", want: time.Date(2025, 3, 7, 22, 15, 0, 5e8, time.UTC)},
		{in: "2025-03-07T22:15:00", wantErr: "no time zone"},
		{in: "yesterday", wantErr: "not a time"},
		{in: "", wantErr: "not a time"},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in, now)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseTime(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v in UTC", tt.in, got, err, tt.want)
		}
	}
}

func TestExitCodesInProcess(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	ctx := t.Context()
	now := func() time.Time { return time.Date(2025, 3, 25, 0, 0, 0, 0, time.UTC) }
	run := func(args ...string) int {
		out.Reset()
		errb.Reset()
		return run(ctx, append([]string{"breachledger", "--ledger", dir + "/l.db", "--actor", "alice"}, args...), &out, &errb, now)
	}
	if code := run("list"); code != exitNotFound {
		t.Errorf("list without a ledger: exit %d, want %d (%s)", code, exitNotFound, errb.String())
	}
	if code := run("init"); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, errb.String())
	}
	if code := run("init"); code != exitRefused || !strings.Contains(errb.String(), "already-initialised") {
		t.Errorf("second init: exit %d, %s", code, errb.String())
	}
	if code := run("deadlines", "--due-within", "soon"); code != exitUsage {
		t.Errorf("bad --due-within: exit %d, want %d", code, exitUsage)
	}
	if code := run("deadlines", "--due-within", "24h"); code != exitOK {
		t.Errorf("deadlines on an empty ledger: exit %d: %s", code, errb.String())
	}
}
