package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hallgren/eventsourcing/aggregate"
	hsql "github.com/hallgren/eventsourcing/eventstore/sql"

	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// peerLoadAggs is how many incidents each aggregate-load benchmark loads
// per op.
const peerLoadAggs = 500

var registerOnce sync.Once

// BenchmarkAggregateLoad profiles the peer row's load loops on their own:
// go test -run XXX -bench AggregateLoad -cpuprofile cpu.out.
func BenchmarkAggregateLoad(b *testing.B) {
	ctx := context.Background()
	registerOnce.Do(func() { aggregate.Register(&Incident{}) })
	dir := b.TempDir()
	b.Run("ours", func(b *testing.B) {
		path := filepath.Join(dir, "ours.db")
		if err := freshSchema(ctx, path); err != nil {
			b.Fatal(err)
		}
		st, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		ids, err := saveOurs(ctx, st, peerLoadAggs)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		cpu := cpuTime()
		for b.Loop() {
			if err := loadOurs(ctx, st, ids); err != nil {
				b.Fatal(err)
			}
		}
		reportLoads(b, cpuTime()-cpu)
	})
	b.Run("theirs", func(b *testing.B) {
		db, err := sql.Open("sqlite", dsn(filepath.Join(dir, "theirs.db")))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		es, err := hsql.NewSQLiteSingelWriter(db)
		if err != nil {
			b.Fatal(err)
		}
		ids, err := saveTheirs(es, peerLoadAggs)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		cpu := cpuTime()
		for b.Loop() {
			if err := loadTheirs(ctx, es, ids); err != nil {
				b.Fatal(err)
			}
		}
		reportLoads(b, cpuTime()-cpu)
	})
}

// reportLoads reports loads per second of wall time and the CPU time of a
// load (the process's, garbage collection included): on a shared machine
// the second varies less.
func reportLoads(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.N*peerLoadAggs)/b.Elapsed().Seconds(), "loads/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*peerLoadAggs), "cpu-ns/load")
}

// cpuTime returns the user and system time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
