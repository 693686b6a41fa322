package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// TestNewAppBuildsLittle: building the command tree, which every run does
// before it parses its arguments, allocates little; the values help lists
// (which build the rule packs) are computed when help is shown
// (describingHelpPrinter), not for every command.
func TestNewAppBuildsLittle(t *testing.T) {
	const budget = 2000 // allocations: the 52 commands with their flags took about 1,300 without the packs, 2,700 with them
	got := testing.AllocsPerRun(5, func() { newApp(io.Discard, io.Discard, time.Now) })
	if got > budget {
		t.Errorf("newApp allocates %.0f times, over the budget of %d: compute help text on first use", got, budget)
	}
}

// TestHelpListsValues: the values describeValues marks are in the help
// each command prints, and in no other command's (token revoke is not
// revoke).
func TestHelpListsValues(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
		bare bool // the help lists no values
	}{
		{args: []string{"stage", "--help"}, want: "Allowed moves"},
		{args: []string{"help", "deadlines"}, want: "--regime: "},
		{args: []string{"revoke", "-h"}, want: "ROLE: "},
		{args: []string{"help", "token", "revoke"}, bare: true},
		{args: []string{"signer", "revoke", "--help"}, bare: true},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), append([]string{"breachledger"}, tt.args...), &stdout, &stderr, time.Now); code != 0 {
			t.Fatalf("%s: exit %d\n%s", tt.args, code, stderr.Bytes())
		}
		got := stdout.String()
		switch {
		case tt.bare && strings.Contains(got, "Allowed values"):
			t.Errorf("%s lists values:\n%s", tt.args, got)
		case !tt.bare && !strings.Contains(got, tt.want):
			t.Errorf("%s does not list %q:\n%s", tt.args, tt.want, got)
		}
	}
}
