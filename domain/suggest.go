package domain

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Nearest returns the names a mistyped name may have meant, best first (at
// most four): those within a small edit distance of it (a third of its
// length, at least 1; an adjacent transposition counts one edit: "GDRP"
// for GDPR), then those it begins (at least two letters: "dead" for
// deadlines). Letter case does not count. A name like nothing in names
// gets none. Every refusal of an unknown value (a command, a regime, a rule
// pack, a status, an obligation) suggests through it.
func Nearest(name string, names []string) []string {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return nil
	}
	limit := max(1, len([]rune(name))/3)
	type scored struct {
		name string
		d    int
	}
	var found []scored
	for _, n := range names {
		ln := strings.ToLower(n)
		d := EditDistance(name, ln)
		switch {
		case d <= limit:
		case len(name) >= 2 && strings.HasPrefix(ln, name):
			d = limit + 1 // after the near misses
		default:
			continue
		}
		if !slices.ContainsFunc(found, func(s scored) bool { return s.name == n }) {
			found = append(found, scored{n, d})
		}
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].d != found[j].d {
			return found[i].d < found[j].d
		}
		return found[i].name < found[j].name
	})
	var out []string
	for _, f := range found {
		if len(out) == 4 {
			break
		}
		out = append(out, f.name)
	}
	return out
}

// DidYouMean is "did you mean "a" or "b"?" for the nearest names
// (Nearest), or "" when none is near.
func DidYouMean(name string, names []string) string {
	s := Nearest(name, names)
	if len(s) == 0 {
		return ""
	}
	q := make([]string, len(s))
	for i, n := range s {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return "did you mean " + q[0] + "?"
	}
	return "did you mean " + strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1] + "?"
}

// EditDistance is the optimal-string-alignment distance between a and b, by
// runes: insertions, deletions, substitutions and transpositions of two
// adjacent runes, each one edit.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	rows := [3][]int{make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)}
	for j := range rows[1] {
		rows[1][j] = j
	}
	pp, prev, cur := rows[0], rows[1], rows[2] // rows i-2, i-1 and i
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
		pp, prev, cur = prev, cur, pp
	}
	return prev[len(rb)]
}
