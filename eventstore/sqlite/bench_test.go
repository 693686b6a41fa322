package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// benchStreams is how many streams the benchmarks spread events over.
const benchStreams = 100

// benchPayload is a payload of the size limits.md measured with (~400 B).
var benchPayload = []byte(`{"incident_id":"2fJ6rQx0bT1mC7kqV9hW3sYp4Ld","actor":{"id":"u-1842","name":"Alice Example","role":"incident-manager"},` +
	`"action":"assess","target":{"kind":"system","id":"storage-eu-west-3"},"from":"detected","to":"assessed",` +
	`"severity":"high","summary":"Anomalous read volume on customer blob storage; possible exfiltration of personal data",` +
	`"tags":["privacy","gdpr","eu"],"seq":1842,"occurred_at":"2024-05-01T09:00:00Z"}`)

func benchRecord(b *testing.B) eventstore.Record {
	id, err := uuid.NewV7()
	if err != nil {
		b.Fatal(err)
	}
	return eventstore.Record{ID: id, Type: "breach.Assessed", OccurredAt: t0, Actor: "alice", Payload: benchPayload}
}

func reportRate(b *testing.B, events int) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendDurable appends one event per Append (one fsynced commit
// each) to a file ledger.
func BenchmarkAppendDurable(b *testing.B) {
	s := openFile(b, filepath.Join(b.TempDir(), "ledger.db"))
	ctx := context.Background()
	length := make([]uint64, benchStreams)
	events := 0
	for b.Loop() {
		i := events % benchStreams
		stream := fmt.Sprintf("incident-%08d", i)
		if _, err := s.Append(ctx, stream, eventstore.After(length[i]), []eventstore.Record{benchRecord(b)}); err != nil {
			b.Fatal(err)
		}
		length[i]++
		events++
	}
	reportRate(b, events)
}

// BenchmarkAppendBatch appends 100 events per Append.
func BenchmarkAppendBatch(b *testing.B) {
	const batch = 100
	s := openFile(b, filepath.Join(b.TempDir(), "ledger.db"))
	ctx := context.Background()
	length := make([]uint64, benchStreams)
	recs := make([]eventstore.Record, batch)
	events, appends := 0, 0
	for b.Loop() {
		for j := range recs {
			recs[j] = benchRecord(b)
		}
		i := appends % benchStreams
		stream := fmt.Sprintf("incident-%08d", i)
		if _, err := s.Append(ctx, stream, eventstore.After(length[i]), recs); err != nil {
			b.Fatal(err)
		}
		length[i] += batch
		appends++
		events += batch
	}
	reportRate(b, events)
}

// BenchmarkRawInsert is the baseline for BenchmarkAppendDurable: the same
// row, inserted in one IMMEDIATE transaction per event with database/sql on
// the same driver, DSN and schema, but with positions computed in Go and no
// checks.
func BenchmarkRawInsert(b *testing.B) {
	path := filepath.Join(b.TempDir(), "ledger.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	name, err := sqlite.DSN(path)
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	length := make([]int64, benchStreams)
	events := 0
	for b.Loop() {
		i := events % benchStreams
		r := benchRecord(b)
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO events
			(seq, event_id, stream, revision, type, occurred_at, actor, signer, signature, payload, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			events, r.ID[:], fmt.Sprintf("incident-%08d", i), length[i], r.Type, r.OccurredAt.UnixNano(),
			r.Actor, r.Signer, nil, r.Payload, time.Now().UTC().Truncate(time.Microsecond).UnixNano())
		if err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		length[i]++
		events++
	}
	reportRate(b, events)
}
