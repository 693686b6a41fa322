package domain_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
)

// TestCommandRoles: the role table has one row per CommandName constant
// declared in the package, no row twice, no row without roles; every
// needRole call names its command by a constant (a literal string would
// compile against the typed parameter and could be misspelt); and what
// RolesFor returns is a copy.
func TestCommandRoles(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var consts []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "CommandName" {
					for i, nm := range n.Names {
						if i < len(n.Values) {
							if lit, ok := n.Values[i].(*ast.BasicLit); ok {
								consts = append(consts, strings.Trim(lit.Value, `"`))
								continue
							}
						}
						t.Errorf("%s: CommandName %s is not a string constant", fset.Position(nm.Pos()), nm.Name)
					}
				}
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "needRole" && len(n.Args) == 3 {
					if _, lit := n.Args[2].(*ast.BasicLit); lit {
						t.Errorf("%s: needRole with a literal command name: use a Cmd constant", fset.Position(n.Pos()))
					}
				}
			}
			return true
		})
	}
	if len(consts) < 26 {
		t.Fatalf("found %d CommandName constants, want at least 26", len(consts))
	}
	var rows []string
	for _, cr := range domain.CommandRoles() {
		if slices.Contains(rows, string(cr.Command)) {
			t.Errorf("role table: %s has two rows", cr.Command)
		}
		if len(cr.Roles) == 0 {
			t.Errorf("role table: %s has no roles", cr.Command)
		}
		rows = append(rows, string(cr.Command))
	}
	slices.Sort(consts)
	slices.Sort(rows)
	if !slices.Equal(consts, rows) {
		t.Errorf("role table rows %v\nwant one per CommandName constant %v", rows, consts)
	}
	// Hand-checked rows.
	if got := domain.RolesFor(domain.CmdDeclare); !slices.Equal(got, []domain.Role{domain.RoleSecurityIncidentManager}) {
		t.Errorf("RolesFor(declare) = %v, want [security-incident-manager]", got)
	}
	if got := domain.RolesFor(domain.CmdHold); !slices.Equal(got, []domain.Role{domain.RoleLegal}) {
		t.Errorf("RolesFor(hold) = %v, want [legal]", got)
	}
	// A copy: changing it changes nothing.
	rs := domain.RolesFor(domain.CmdDetect)
	want := slices.Clone(rs)
	rs[0] = "changed"
	if got := domain.RolesFor(domain.CmdDetect); !slices.Equal(got, want) {
		t.Errorf("RolesFor(detect) after changing a copy = %v, want %v", got, want)
	}
}
