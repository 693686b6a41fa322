package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/breachledger/breachledger/bench/internal/benchledger"
)

// helloWorld is the baseline of the version row: a Go hello world.
const helloWorld = `package main

import "fmt"

func main() { fmt.Println("hello, world") }
`

// version: "breachledger --version" (the start-up every command pays: the
// runtime, every linked package's initialisers, the command tree, parsing)
// against a Go hello world built the same way (CGO_ENABLED=0, -trimpath),
// interleaved run by run; CPU time (user and system) per run beside it.
func version(cfg config) ([]row, error) {
	runs, warmup := 200, 10
	if cfg.short {
		runs, warmup = 20, 2
	}
	dir := filepath.Join(cfg.dir, "version")
	hello := filepath.Join(dir, "hello")
	if err := os.MkdirAll(hello, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(hello, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(hello, "main.go"), []byte(helloWorld), 0o644); err != nil {
		return nil, err
	}
	bin, base := filepath.Join(dir, "breachledger"), filepath.Join(dir, "hello.bin")
	if err := benchledger.GoBuild(cfg.root, "./cmd/breachledger", bin); err != nil {
		return nil, err
	}
	if err := benchledger.GoBuild(hello, ".", base); err != nil {
		return nil, err
	}
	var binCPU, baseCPU []time.Duration
	timed := func(cpu *[]time.Duration, name string, args ...string) func() (time.Duration, error) {
		return func() (time.Duration, error) {
			d, c, err := timeExecHome(dir, name, args...)
			*cpu = append(*cpu, c)
			return d, err
		}
	}
	prod, raw, err := alternate(warmup, runs, timed(&binCPU, bin, "--version"), timed(&baseCPU, base))
	if err != nil {
		return nil, err
	}
	binCPU, baseCPU = binCPU[warmup:], baseCPU[warmup:]
	size := func(p string) string {
		fi, err := os.Stat(p)
		if err != nil {
			return "?"
		}
		return fmt.Sprintf("%.1f MB", float64(fi.Size())/1e6)
	}
	ratio := float64(median(prod)) / float64(median(raw))
	return []row{{
		notes: []string{
			fmt.Sprintf("CPU time (user+system) per run: median %s against %s (%.2f×)", ms(median(binCPU)), ms(median(baseCPU)), float64(median(binCPU))/float64(median(baseCPU))),
			fmt.Sprintf("binaries: %s against %s", size(bin), size(base)),
		},
		name:      "breachledger --version, process start to exit",
		product:   fmt.Sprintf("median %s, p90 %s (%d runs)", ms(median(prod)), ms(quantile(prod, 0.9)), len(prod)),
		baseline:  fmt.Sprintf("a Go hello world built the same way: median %s, p90 %s", ms(median(raw)), ms(quantile(raw, 0.9))),
		ratio:     ratio,
		ratioText: "time ÷ baseline time",
		goal:      "≤ 2×",
		met:       ratio <= 2,
	}}, nil
}
