package eventstore_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/eventstore"
)

// TestValidateCosignatures: a batch is one to MaxCosignatures signature
// lines; a refusal wraps ErrInvalid and names the first bad line.
func TestValidateCosignatures(t *testing.T) {
	good := []byte("— witness.example AAEC\n")
	many := func(n int) [][]byte { return bytes.SplitAfter(bytes.Repeat(good, n), []byte("\n"))[:n] }
	tests := []struct {
		name  string
		lines [][]byte
		want  string // "" for valid, else a part of the error
	}{
		{"one", [][]byte{good}, ""},
		{"largest", many(eventstore.MaxCosignatures), ""},
		{"none", nil, "no cosignature lines"},
		{"empty", [][]byte{}, "no cosignature lines"},
		{"over the limit", many(eventstore.MaxCosignatures + 1), "17 cosignature lines, over 16"},
		{"second line bad", [][]byte{good, []byte("- witness.example AAEC\n"), []byte("nor this")}, "line 2: cosignature line does not start with"},
		{"no newline", [][]byte{good, good, []byte("— witness.example AAEC")}, "line 3: cosignature line must end in its only newline"},
		{"no signature", [][]byte{[]byte("— witness.example\n")}, "line 1: cosignature line must be"},
		{"an empty line", [][]byte{good, {}}, "line 2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := eventstore.ValidateCosignatures(tt.lines)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateCosignatures = %v, want nil", err)
			case tt.want != "" && (!errors.Is(err, eventstore.ErrInvalid) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("ValidateCosignatures = %v, want ErrInvalid saying %q", err, tt.want)
			}
		})
	}
}
