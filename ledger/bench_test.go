package ledger_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"time"

	"go.uber.org/goleak"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections"
)

const (
	benchIncidents = 2500
	benchPerInc    = 20 // events per incident: 50,000 in all
)

var (
	benchDir   string
	benchOnce  sync.Once
	benchPath  string
	benchError error
)

// TestMain removes the benchmarks' ledger after the run, and fails the run
// if any test leaves a goroutine behind (ReadHistory starts some).
func TestMain(m *testing.M) {
	// The kept views' MAC key (readmodel) goes to a configuration directory
	// of the run's own.
	config, err := os.MkdirTemp("", "breachledger-config-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", config)
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(config)
		if benchDir != "" {
			os.RemoveAll(benchDir)
		}
		os.Exit(code)
	}))
}

// benchLedger builds, once per run, a ledger file of benchIncidents
// incidents with realistic events, appended 1,000 to a transaction.
func benchLedger(b *testing.B) string {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "breachledger-bench-")
		if err != nil {
			benchError = err
			return
		}
		benchDir, benchPath = dir, filepath.Join(dir, "bench.db")
		ctx := context.Background()
		st, err := sqlite.Open(ctx, benchPath, sqlite.Options{Create: true})
		if err != nil {
			benchError = err
			return
		}
		defer st.Close()
		t0 := time.Date(2025, 3, 7, 21, 40, 0, 0, time.UTC)
		for i := 0; i < benchIncidents; i++ {
			stream := domain.IncidentStream(fmt.Sprintf("INC%05d", i))
			events := []domain.Event{
				domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "bulk read of tenant blobs", AwareAt: t0, Role: domain.RoleBoth},
				domain.StageChanged{From: domain.StageDetect, To: domain.StageAssess},
				domain.IncidentAssessed{FunctionalImpact: domain.FunctionalMedium, Recoverability: domain.RecoverExtended, InformationImpact: domain.InfoPrivacy, DerivedSeverity: domain.SeverityHigh, DerivedPriority: domain.P1, Severity: domain.SeverityHigh, Priority: domain.P1},
				domain.StageChanged{From: domain.StageAssess, To: domain.StageDiagnose},
				domain.IncidentClassified{Classification: domain.ClassPrivacyBreach, Reason: "personal data read"},
				domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam"}, DataCategories: []string{"contact details"}, Subjects: 1200, Records: 5400, Jurisdictions: []string{"DE", "FR"}},
				domain.RiskDetermined{Level: domain.RiskHigh, Reasoning: "contact data of 1,200 people"},
				domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "access logs"},
			}
			for len(events) < benchPerInc {
				events = append(events, domain.NoteAdded{Text: fmt.Sprintf("status update %d: investigation continues", len(events))})
			}
			recs := make([]eventstore.Record, len(events))
			for j, e := range events {
				typ, payload, err := domain.Encode(e)
				if err != nil {
					benchError = err
					return
				}
				recs[j] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ, OccurredAt: t0.Add(time.Duration(j) * time.Hour), Actor: "oscar", Payload: payload}
			}
			if _, err := st.Append(ctx, stream, eventstore.NoStream, recs); err != nil {
				benchError = err
				return
			}
		}
	})
	if benchError != nil {
		b.Fatal(benchError)
	}
	return benchPath
}

func openBench(b *testing.B) eventstore.Store {
	st, err := sqlite.Open(context.Background(), benchLedger(b), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func eventsPerSecond(b *testing.B, perOp int) {
	b.ReportMetric(float64(perOp)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkReplayReadOnly is the baseline: read every row, decode nothing.
func BenchmarkReplayReadOnly(b *testing.B) {
	st := openBench(b)
	ctx := context.Background()
	for b.Loop() {
		n := 0
		for _, err := range eventstore.All(ctx, st, 0) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != benchIncidents*benchPerInc {
			b.Fatalf("read %d events", n)
		}
	}
	eventsPerSecond(b, benchIncidents*benchPerInc)
}

// BenchmarkReplayDecode reads and decodes every event.
func BenchmarkReplayDecode(b *testing.B) {
	st := openBench(b)
	ctx := context.Background()
	for b.Loop() {
		for r, err := range eventstore.All(ctx, st, 0) {
			if err != nil {
				b.Fatal(err)
			}
			if _, err := history.FactOf(r); err != nil {
				b.Fatal(err)
			}
		}
	}
	eventsPerSecond(b, benchIncidents*benchPerInc)
}

// BenchmarkReplayState is the full replay: read, decode, and fold every
// incident into its state and deadlines (the incident list).
func BenchmarkReplayState(b *testing.B) {
	st := openBench(b)
	ctx := context.Background()
	asOf := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		h, err := ledger.ReadHistory(ctx, st)
		if err != nil {
			b.Fatal(err)
		}
		if l := projections.List(h, domain.Cut{AsOf: asOf, KnownAt: asOf.AddDate(10, 0, 0)}, false); len(l.Incidents) != benchIncidents {
			b.Fatalf("%d incidents", len(l.Incidents))
		}
	}
	eventsPerSecond(b, benchIncidents*benchPerInc)
}
