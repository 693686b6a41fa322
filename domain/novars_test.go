package domain_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// beingConverted lists the package-level variables that issue 17's other
// parts own and are converting (S: settings, C: calendars, P: packs and the
// role table). Each entry says who. The lead empties this list when the
// parts land; it must not grow.
var beingConverted = map[string]string{}

// immutableInits are the initialisers whose result cannot be changed
// through the variable in practice, and why.
var immutableInits = map[string]string{
	"regexp.MustCompile": "a compiled *regexp.Regexp is safe for concurrent use and has no setters that change what it matches",
	"errors.New":         "an error sentinel is compared by identity and has no state",
	"reflect.TypeOf":     "a reflect.Type is an immutable descriptor of a Go type",
	"lazyRE":             "a lazyRegexp is regexp.MustCompile of a constant expression on first use (sync.OnceValue): safe for concurrent use, with no field or setter that changes what it matches",
}

// TestNoPackageLevelMutableState lists every package-level variable of the
// domain package (non-test files) and fails on each one that is not an
// immutable value (immutableInits) or still being converted by another
// part of issue 17 (beingConverted). Everything the domain needs is a
// constant, a function returning a fresh value, or an argument: nothing a
// caller (or an import) can change behind Decide's back.
func TestNoPackageLevelMutableState(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	seen := map[string]bool{}
	var bad []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if id.Name == "_" {
						continue // a compile-time assertion holds nothing
					}
					seen[id.Name] = true
					if owner, ok := beingConverted[id.Name]; ok {
						t.Logf("%s: var %s: still mutable, being converted by issue 17 part %s", fset.Position(id.Pos()), id.Name, owner)
						continue
					}
					var init ast.Expr
					if i < len(vs.Values) {
						init = vs.Values[i]
					}
					if fn := callee(init); immutableInits[fn] != "" {
						continue
					}
					bad = append(bad, fset.Position(id.Pos()).String()+": var "+id.Name)
				}
			}
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("%s is package-level mutable state: make it a constant, a function returning a fresh value (e.g. func Sources() []Source), a switch, or build it inside the function that uses it", b)
	}
	var stale []string
	for name := range beingConverted {
		if !seen[name] {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	for _, name := range stale {
		t.Logf("beingConverted[%q] is no longer a package-level variable: remove it from the list", name)
	}
}

// callee names the package-qualified function an initialiser calls
// ("regexp.MustCompile"), or the package's own function ("lazyRE"), or ""
// if it is not such a call.
func callee(e ast.Expr) string {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return ""
	}
	if id, ok := call.Fun.(*ast.Ident); ok {
		return id.Name
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok {
		return ""
	}
	return pkg.Name + "." + sel.Sel.Name
}
