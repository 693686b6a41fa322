package main

import (
	"errors"
	"slices"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestSuggestCommands(t *testing.T) {
	names := []string{"detect", "deadlines", "declare", "verify", "stage", "signer", "signature", "signature-policy", "show", "help"}
	tests := []struct {
		in   string
		want []string
	}{
		{"detec", []string{"detect"}},
		{"DETECT", []string{"detect"}},
		{"verfy", []string{"verify"}},
		{"dead", []string{"deadlines"}},
		{"declair", []string{"declare"}},
		{"sign", []string{"signature", "signature-policy", "signer"}},
		{"zzzzqq", nil},
		{"x", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := suggestCommands(tt.in, names); !slices.Equal(got, tt.want) {
			t.Errorf("suggestCommands(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnknownFlag(t *testing.T) {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "ledger"}, &cli.StringFlag{Name: "ledger-key"}, &cli.BoolFlag{Name: "json"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}}, &cli.StringFlag{Name: "calendar", Hidden: true},
	}
	tests := []struct {
		err  string
		want string // "" for no unknown-flag error
	}{
		{"flag provided but not defined: -ledgr", `unknown flag --ledgr; did you mean --ledger? (flag provided but not defined: -ledgr; "breachledger list --help" lists its flags)`},
		{"flag provided but not defined: -jsn", `unknown flag --jsn; did you mean --json? (flag provided but not defined: -jsn; "breachledger list --help" lists its flags)`},
		{"flag provided but not defined: -ledger-ky", `unknown flag --ledger-ky; did you mean --ledger-key or --ledger? (flag provided but not defined: -ledger-ky; "breachledger list --help" lists its flags)`},
		{"flag provided but not defined: -calendr", `unknown flag --calendr (flag provided but not defined: -calendr; "breachledger list --help" lists its flags)`},
		{"flag provided but not defined: -x", `unknown flag -x (flag provided but not defined: -x; "breachledger list --help" lists its flags)`},
		{"flag provided but not defined: -quiett", `unknown flag --quiett; did you mean --quiet? (flag provided but not defined: -quiett; "breachledger list --help" lists its flags)`},
		{"flag provided but not defined: -zzzzzz", `unknown flag --zzzzzz (flag provided but not defined: -zzzzzz; "breachledger list --help" lists its flags)`},
		{"flag needs an argument: -ledger", ""},
	}
	for _, tt := range tests {
		err := unknownFlag(errors.New(tt.err), "breachledger list", flags)
		got := ""
		if err != nil {
			got = err.Error()
			if exitCode(err) != exitUsage {
				t.Errorf("unknownFlag(%q): exit %d, want %d", tt.err, exitCode(err), exitUsage)
			}
		}
		if got != tt.want {
			t.Errorf("unknownFlag(%q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
