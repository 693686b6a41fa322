package domain

import (
	"regexp"
	"sync"
)

// A lazyRegexp is a regular expression compiled on its first use, not when
// the package is initialised: every command of the CLI links this package,
// and compiling its expressions cost each start about 0.4 ms (issue 23),
// though most commands match none of them. The expressions are constants:
// TestLazyRegexpsCompile compiles every one.
type lazyRegexp struct {
	expr string
	re   func() *regexp.Regexp
}

// lazyRE returns the lazyRegexp of expr (regexp.MustCompile on first use).
func lazyRE(expr string) *lazyRegexp {
	return &lazyRegexp{expr: expr, re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })}
}

// MatchString is regexp.Regexp.MatchString.
func (r *lazyRegexp) MatchString(s string) bool { return r.re().MatchString(s) }

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (r *lazyRegexp) FindStringSubmatch(s string) []string { return r.re().FindStringSubmatch(s) }
