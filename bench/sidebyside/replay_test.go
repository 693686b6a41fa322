package main

import (
	"context"
	"os"
	"testing"
	"time"
)

// benchDir holds the ledger the benchmarks build, once per test binary.
var benchDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "breachledger-sidebyside-test-")
	if err != nil {
		panic(err)
	}
	benchDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// benchBig returns the -short rows' ledger (100,000 events).
func benchBig(b *testing.B) (benchLedger, uint64) {
	bl, n, err := bigLedger(config{short: true, dir: benchDir})
	if err != nil {
		b.Fatal(err)
	}
	return bl, n
}

// BenchmarkReplay and BenchmarkVerify profile the replay and verify rows'
// two sides on their own, at the -short size:
// go test -run XXX -bench 'Verify/ours' -cpuprofile cpu.out.
func BenchmarkReplay(b *testing.B) {
	bl, n := benchBig(b)
	product, baseline := replaySides(context.Background(), bl, n)
	b.Run("ours", func(b *testing.B) {
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			if _, err := product(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline", func(b *testing.B) {
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			if _, err := baseline(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	bl, n := benchBig(b)
	product, baseline := verifySides(context.Background(), bl, n, nil)
	b.Run("ours", func(b *testing.B) {
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			if _, _, err := product(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline", func(b *testing.B) {
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			if _, _, err := baseline(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// reportCPU reports the CPU time per op since start (the process's, every
// goroutine and the garbage collector included).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
}
