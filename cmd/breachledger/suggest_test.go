package main

import (
	"slices"
	"testing"
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
