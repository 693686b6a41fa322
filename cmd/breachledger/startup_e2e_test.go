package main_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Start-up (issue 23): nothing is initialised that the command does not
// use. Every command links every package of the module, so a table, a
// regular expression or a template a package builds when it is
// initialised is paid by each "breachledger" run, --version included.
// TestStartupInitialisesLittle holds each of the module's packages to a
// small budget of bytes allocated by its initialisation, as
// GODEBUG=inittrace=1 reports them for "breachledger --version" (the
// counts are deterministic: no clock is involved).
func TestStartupInitialisesLittle(t *testing.T) {
	const budget = 16 << 10 // bytes: a few maps and flag lists; one compiled regexp is about 16 KiB
	cmd := exec.Command(binary, "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("breachledger --version: %v\n%s", err, stderr.Bytes())
	}
	inits := parseInitTrace(t, stderr.String())
	if len(inits) == 0 {
		t.Fatalf("no init trace in the output of GODEBUG=inittrace=1 breachledger --version:\n%s", stderr.Bytes())
	}
	ours := 0
	for pkg, bytes := range inits {
		if pkg != "main" && !strings.HasPrefix(pkg, "github.com/breachledger/breachledger/") {
			continue
		}
		ours++
		if bytes > budget {
			t.Errorf("the initialisation of %s allocates %d bytes, over the budget of %d: build its tables, regular expressions or templates on first use (sync.OnceValue)", pkg, bytes, budget)
		}
	}
	if ours < 5 {
		t.Errorf("the init trace names %d packages of the module, want them all (main, domain, ...):\n%s", ours, stderr.Bytes())
	}
}

// parseInitTrace reads GODEBUG=inittrace=1 lines ("init PKG @T ms, C ms
// clock, B bytes, A allocs") into the bytes each package allocated.
func parseInitTrace(t *testing.T, trace string) map[string]int {
	t.Helper()
	out := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(trace))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 11 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		n, err := strconv.Atoi(f[7])
		if err != nil {
			t.Fatalf("init trace line %q: %v", sc.Text(), err)
		}
		out[f[1]] += n
	}
	return out
}
