package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoHintWorks runs "make demo" into a directory of its own and then
// every command its closing "try:" hint suggests, from the repository's
// root as a person would: each must succeed (verify used to exit 1, the
// demo's key being under the demo's own XDG_CONFIG_HOME).
func TestDemoHintWorks(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make on this machine (apt-get install make)")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "demo")
	demo := exec.Command("make", "--no-print-directory", "demo", "DEMO_DIR="+dir)
	demo.Dir = root
	out, err := demo.CombinedOutput()
	if err != nil {
		t.Fatalf("make demo: %v\n%s", err, out)
	}
	_, hint, found := strings.Cut(string(out), "try:\n")
	if !found {
		t.Fatalf("make demo printed no \"try:\" hint:\n%s", out)
	}
	var tried int
	for _, line := range strings.Split(hint, "\n") {
		cmd, ok := strings.CutPrefix(line, "  ")
		if !ok {
			break
		}
		run := exec.Command("bash", "-c", cmd)
		run.Dir = root
		run.Env = append(os.Environ(), "XDG_CONFIG_HOME=/nonexistent") // the hint must set its own
		if got, err := run.CombinedOutput(); err != nil {
			t.Errorf("the demo's hint %q: %v\n%s", cmd, err, got)
		}
		tried++
	}
	if tried == 0 {
		t.Fatalf("the demo's hint names no command:\n%s", hint)
	}
}
