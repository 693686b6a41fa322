package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
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
		ids, err := saveOurs(ctx, st, peerLoadAggs, nil)
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

// peerSaveAggs is how many incidents each append benchmark saves per op.
const peerSaveAggs = 200

// BenchmarkPeerAppend profiles the peer row's save loops on their own,
// each op a fresh file: go test -run XXX -bench PeerAppend -cpuprofile
// cpu.out. It reports the CPU time of a save (this process's user and
// system time: SQLite runs in it on both sides).
func BenchmarkPeerAppend(b *testing.B) {
	ctx := context.Background()
	registerOnce.Do(func() { aggregate.Register(&Incident{}) })
	dir := b.TempDir()
	b.Run("ours", func(b *testing.B) {
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			path := filepath.Join(dir, "ours.db")
			if err := freshSchema(ctx, path); err != nil {
				b.Fatal(err)
			}
			st, err := sqlite.Open(ctx, path, sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := cpuTime()
			if _, err := saveOurs(ctx, st, peerSaveAggs, nil); err != nil {
				b.Fatal(err)
			}
			cpu += cpuTime() - start
			b.StopTimer()
			st.Close()
			b.StartTimer()
		}
		reportSaves(b, cpu)
	})
	b.Run("theirs", func(b *testing.B) {
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			path := filepath.Join(dir, "theirs.db")
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				os.Remove(p)
			}
			db, err := sql.Open("sqlite", dsn(path))
			if err != nil {
				b.Fatal(err)
			}
			es, err := hsql.NewSQLiteSingelWriter(db)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := cpuTime()
			if _, err := saveTheirs(es, peerSaveAggs); err != nil {
				b.Fatal(err)
			}
			cpu += cpuTime() - start
			b.StopTimer()
			db.Close()
			b.StartTimer()
		}
		reportSaves(b, cpu)
	})
}

// reportSaves reports saves per second of wall time and the CPU time of
// a save.
func reportSaves(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.N*peerSaveAggs)/b.Elapsed().Seconds(), "saves/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*peerSaveAggs), "cpu-ns/save")
}
