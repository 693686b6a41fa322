package ledger_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/ledger"
)

// sealNote is a note of 240 bytes with a pasted contact, as responders
// write them (seal's benchmarks use the same).
const sealNote = "Called the customer's DPO (Jane Doe, +44 20 7946 0958, jane.doe@example.org) at 14:05; " +
	"she confirms the export job ran twice and will send the affected account list by tomorrow noon. " +
	"Ticket SEC-4411 updated."

// BenchmarkSealing is issue 25's row: the cost of sealing personal fields,
// each case beside its baseline in one run, wall and CPU time per op.
//
//   - append/plain and append/sealed: one durable CLI-shaped append
//     (Writer.Execute with its signed checkpoint in the same transaction)
//     of a note, a new incident detected every 20th command; sealed, the
//     writer also loads the incident's earlier events opened (the domain
//     decides on plaintext) and seals the new note under a key of its own,
//     made in the key store (a file, as for one person).
//
//   - replay/plain and replay/sealed: ReadHistory of a ledger of 10,000
//     events (500 incidents: a detection, 19 notes), the sealed one opened
//     with the key store.
//
//     go test -run '^$' -bench Sealing -count 6 ./ledger
func BenchmarkSealing(b *testing.B) {
	ctx := context.Background()
	for _, sealed := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "sealed"}[sealed]
		b.Run("append/"+name, func(b *testing.B) {
			st := openLedger(b)
			k := initLedger(b, st)
			w := ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: k}}
			octx := ctx
			if sealed {
				ks := benchKeyStore(b)
				w.Seal = func(ctx context.Context, _ domain.Ledger, incident string, r *eventstore.Record) error {
					return ledger.SealRecord(ctx, ks, incident, r)
				}
				octx = ledger.WithOpener(ctx, &ledger.Opener{Store: st, Keys: func(context.Context) (keystore.Store, error) { return ks, nil }})
			}
			at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
			by := domain.By{Actor: "oscar", At: at}
			n, incident := 0, ""
			cpu := cpuTime()
			for b.Loop() {
				var c domain.Command = domain.AddNote{By: by, Text: sealNote}
				if n%20 == 0 {
					incident = fmt.Sprintf("INC%06d", n/20)
					c = domain.DetectIncident{By: by, Source: domain.SourceCustomerReport, Summary: "mail from jane.doe@example.org", Role: domain.RoleController}
				}
				if _, err := w.Execute(octx, incident, c, at); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
	for _, sealed := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "sealed"}[sealed]
		b.Run("replay/"+name, func(b *testing.B) {
			st := openLedger(b)
			octx := ctx
			var ks keystore.Store
			if sealed {
				ks = benchKeyStore(b)
				octx = ledger.WithOpener(ctx, &ledger.Opener{Store: st, Keys: func(context.Context) (keystore.Store, error) { return ks, nil }})
			}
			const incidents, perIncident = 500, 20
			fillSealBench(b, st, ks, incidents, perIncident)
			cpu := cpuTime()
			for b.Loop() {
				h, err := ledger.ReadHistory(octx, st)
				if err != nil {
					b.Fatal(err)
				}
				if len(h.Incidents) != incidents {
					b.Fatalf("%d incidents, want %d", len(h.Incidents), incidents)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(incidents*perIncident)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// benchKeyStore is a key store file in a directory of the benchmark's.
func benchKeyStore(b *testing.B) *keystore.File {
	b.Helper()
	ks, err := keystore.New(context.Background(), filepath.Join(b.TempDir(), "keys.db"), keystore.GenerateKEK())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ks.Close() })
	return ks
}

// fillSealBench appends incidents of perIncident events (a detection, then
// notes), sealed with ks when it is not nil, as the writer seals them.
func fillSealBench(b *testing.B, st eventstore.Store, ks keystore.Store, incidents, perIncident int) {
	b.Helper()
	ctx := context.Background()
	t0 := time.Date(2025, 3, 7, 21, 40, 0, 0, time.UTC)
	for i := 0; i < incidents; i++ {
		id := fmt.Sprintf("INC%05d", i)
		stream := domain.IncidentStream(id)
		recs := make([]eventstore.Record, perIncident)
		for j := range recs {
			var e domain.Event = domain.NoteAdded{Text: sealNote}
			if j == 0 {
				e = domain.IncidentDetected{Source: domain.SourceCustomerReport, Summary: "mail from jane.doe@example.org", AwareAt: t0, Role: domain.RoleController}
			}
			typ, payload, err := domain.Encode(e)
			if err != nil {
				b.Fatal(err)
			}
			recs[j] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ, OccurredAt: t0.Add(time.Duration(j) * time.Minute), Actor: "oscar", Payload: payload}
			if ks != nil {
				if err := ledger.SealRecord(ctx, ks, id, &recs[j]); err != nil {
					b.Fatal(err)
				}
			}
		}
		if _, err := st.Append(ctx, stream, eventstore.NoStream, recs); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is this process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
