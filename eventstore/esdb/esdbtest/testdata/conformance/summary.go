// Command summary reads the go test -json output of the conformance passes
// (run.sh) and prints passed / skipped / failed: counts of leaf tests (a
// test without subtests; passes split into those under a top-level test
// that started a server and the client-only ones), every skip with its reason (the skip table's
// CONFORMANCE-SKIP lines, and any test that skipped itself, with what it
// printed), and every failed test by name. It exits 1 when a test failed or
// a pass failed without a failed test (a build error, a panic, a timeout).
//
// Usage: go run summary.go [-status N] PASS=FILE...
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action string
	Test   string
	Output string
}

type result struct {
	pass, failed, skipped []string
	reasons               map[string]string // skipped test -> reason
	listed                []string          // the skip table, "name\treason"
	server                map[string]bool   // top-level tests that started a server
	pkgFailed             bool
	tail                  []string            // last output lines without a test, for a failed pass
	why                   map[string][]string // failed test -> what it printed (its last lines)
}

func main() {
	status := flag.Int("status", 0, "the exit status of go test (nonzero with no failed test is a failure)")
	flag.Parse()
	var nPass, nSkip, nFail int
	var lines []string
	// skips: "test: reason" -> the passes that skipped it, in first-seen order
	var skipOrder []string
	skipPasses := map[string][]string{}
	addSkip := func(pass, line string) {
		if skipPasses[line] == nil {
			skipOrder = append(skipOrder, line)
		}
		skipPasses[line] = append(skipPasses[line], pass)
	}
	for _, arg := range flag.Args() {
		name, file, ok := strings.Cut(arg, "=")
		if !ok {
			fmt.Fprintln(os.Stderr, "summary: want PASS=FILE, got", arg)
			os.Exit(2)
		}
		r, err := read(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "summary:", err)
			os.Exit(2)
		}
		skipped := len(r.listed) + len(r.skipped)
		failed := len(r.failed)
		if r.pkgFailed && failed == 0 {
			failed = 1 // the pass itself: a build error, a panic, a timeout
		}
		served := 0
		for _, test := range r.pass {
			if top, _, _ := strings.Cut(test, "/"); r.server[top] {
				served++
			}
		}
		fmt.Printf("%-5s passed %d (%d against the server, %d client-only), skipped %d, failed %d\n",
			name, len(r.pass), served, len(r.pass)-served, skipped, failed)
		nPass, nSkip, nFail = nPass+len(r.pass), nSkip+skipped, nFail+failed
		for _, l := range r.listed {
			test, reason, _ := strings.Cut(l, "\t")
			addSkip(name, test+": "+reason)
		}
		for _, test := range r.skipped {
			addSkip(name, test+": skipped itself: "+r.reasons[test])
		}
		for _, test := range r.failed {
			lines = append(lines, fmt.Sprintf("  FAIL %s %s", name, test))
			for _, l := range r.why[test] {
				lines = append(lines, "    "+l)
			}
		}
		if r.pkgFailed && len(r.failed) == 0 {
			lines = append(lines, fmt.Sprintf("  FAIL %s: the pass failed without a failed test:", name))
			for _, t := range r.tail {
				lines = append(lines, "    "+t)
			}
		}
	}
	if *status != 0 && nFail == 0 {
		nFail++
		lines = append(lines, fmt.Sprintf("  FAIL: go test exited %d with no failed test", *status))
	}
	fmt.Printf("total passed %d, skipped %d, failed %d\n", nPass, nSkip, nFail)
	for _, l := range skipOrder {
		fmt.Printf("  skip (%s) %s\n", strings.Join(skipPasses[l], ", "), l)
	}
	for _, l := range lines {
		fmt.Println(l)
	}
	if nFail > 0 {
		os.Exit(1)
	}
}

func read(file string) (*result, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	defer f.Close()
	r := &result{reasons: map[string]string{}, server: map[string]bool{}, why: map[string][]string{}}
	final := map[string]string{}    // test -> pass, fail or skip
	output := map[string][]string{} // test -> its output lines
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			r.tail = keep(r.tail, sc.Text()) // not JSON: e.g. a build error
			continue
		}
		switch {
		case e.Test == "" && e.Action == "output":
			if rest, ok := strings.CutPrefix(e.Output, "CONFORMANCE-SKIP\t"); ok {
				r.listed = append(r.listed, strings.TrimSpace(rest))
			} else {
				r.tail = keep(r.tail, strings.TrimRight(e.Output, "\n"))
			}
		case e.Test == "" && (e.Action == "fail" || e.Action == "build-fail"):
			r.pkgFailed = true
		case e.Action == "output":
			if strings.Contains(e.Output, "CONFORMANCE-SERVER") {
				top, _, _ := strings.Cut(e.Test, "/")
				r.server[top] = true
			}
			output[e.Test] = append(output[e.Test], strings.TrimSpace(e.Output))
		case e.Test != "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
			final[e.Test] = e.Action
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	names := make([]string, 0, len(final))
	for test := range final {
		names = append(names, test)
	}
	sort.Strings(names)
	for i, test := range names {
		// A parent is followed in sorted order by its subtests; count
		// leaves, and a failed parent only when none of its subtests failed.
		parent := i+1 < len(names) && strings.HasPrefix(names[i+1], test+"/")
		switch final[test] {
		case "pass":
			if !parent {
				r.pass = append(r.pass, test)
			}
		case "skip":
			r.skipped = append(r.skipped, test)
			r.reasons[test] = skipReason(output[test])
		case "fail":
			if !parent || !failedBelow(final, test) {
				r.failed = append(r.failed, test)
				for _, l := range output[test] {
					if l != "" && !strings.HasPrefix(l, "=== ") {
						r.why[test] = keep(r.why[test], l)
					}
				}
			}
		}
	}
	return r, nil
}

func failedBelow(final map[string]string, test string) bool {
	for t, a := range final {
		if a == "fail" && strings.HasPrefix(t, test+"/") {
			return true
		}
	}
	return false
}

// skipReason is what a self-skipping test printed besides go test's own
// "=== RUN" and "--- SKIP" lines.
func skipReason(out []string) string {
	var kept []string
	for _, l := range out {
		if l != "" && !strings.HasPrefix(l, "=== ") && !strings.HasPrefix(l, "--- ") {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		return "(no message)"
	}
	return strings.Join(kept, " ")
}

func keep(tail []string, line string) []string {
	tail = append(tail, line)
	if len(tail) > 20 {
		tail = tail[len(tail)-20:]
	}
	return tail
}
