package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// Every command "breachledger help" lists is in one of its groups.
func TestEveryCommandHasACategory(t *testing.T) {
	app := newApp(&bytes.Buffer{}, &bytes.Buffer{}, time.Now)
	seen := map[string]bool{}
	for _, c := range app.Commands {
		seen[c.Name] = true
		if c.Hidden {
			continue
		}
		if c.Category == "" {
			t.Errorf("command %q has no category: add it to categories (app.go)", c.Name)
		}
	}
	for name := range categories {
		if !seen[name] {
			t.Errorf("categories names %q, which is no command", name)
		}
	}
}

// The values help lists (valuesDescription) are the domain's, whole.
func TestDescribeValues(t *testing.T) {
	app := newApp(&bytes.Buffer{}, &bytes.Buffer{}, time.Now)
	for _, tt := range []struct {
		cmd  string
		want []string
	}{
		{"stage", names(domain.Stages())},
		{"grant", names(domain.Roles())},
		{"classify", names(domain.Classifications())},
		{"request", names(domain.RequestKinds())},
		{"hold", names(domain.HoldKinds())},
		{"deadlines", domain.Regimes()},
	} {
		c := findCommand(app.Commands, tt.cmd)
		if c == nil {
			t.Fatalf("no command %q", tt.cmd)
		}
		for _, v := range tt.want {
			if d := valuesDescription(c); !strings.Contains(d, v) {
				t.Errorf("%s's description does not list %q:\n%s", tt.cmd, v, d)
			}
		}
	}
	if stage := findCommand(app.Commands, "stage"); strings.Contains(stage.Usage+valuesDescription(stage), "README") {
		t.Errorf("stage's help points to the README: %q", stage.Usage)
	}
}
