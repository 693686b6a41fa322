package domain_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsStdlibOnly keeps the domain pure: no third-party code, no
// other package of this module but domain's own sub-packages (frozen data
// such as calendardata, held to the same rule), and nothing that does I/O
// or reads a clock behind the caller's back.
func TestImportsStdlibOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := filepath.Glob("*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, sub...)
	const own = "github.com/breachledger/breachledger/domain/"
	banned := []string{"os", "net", "database/sql", "log", "io/ioutil", "os/exec", "math/rand", "crypto/rand", "syscall"}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, own) && !strings.Contains(strings.TrimPrefix(path, own), "/") {
				continue // a sub-package of domain: its files are checked here too
			}
			if strings.Contains(strings.SplitN(path, "/", 2)[0], ".") {
				t.Errorf("%s imports non-standard %q", name, path)
			}
			for _, b := range banned {
				if path == b || strings.HasPrefix(path, b+"/") {
					t.Errorf("%s imports %q, which does I/O or reads the clock", name, path)
				}
			}
		}
	}
}
