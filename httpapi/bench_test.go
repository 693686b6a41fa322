package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/httpapi"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// benchIncidents is how many incidents the read benchmarks keep:
// 100,000, or $BENCH_INCIDENTS.
func benchIncidents(b *testing.B) int {
	if s := os.Getenv("BENCH_INCIDENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("BENCH_INCIDENTS=%q", s)
		}
		return n
	}
	return 100_000
}

// benchLedger builds a SQLite ledger of n incidents with batched imports
// (one transaction per 20,000 events): most closed and settled, every
// fiftieth recent and open, so the deadline view has overdue, due-soon and
// pending rows. It returns the store and the incident IDs.
func benchLedger(b *testing.B, n int, now time.Time) (*sqlite.Store, string, []string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "ledger.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	r := rand.New(rand.NewPCG(1, 2))
	var batch []eventstore.Record
	seq := uint64(0)
	revs := map[string]uint64{}
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := st.Import(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	add := func(stream string, at time.Time, actor string, e domain.Event) {
		typ, payload, err := domain.Encode(e)
		if err != nil {
			b.Fatal(err)
		}
		batch = append(batch, eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ, OccurredAt: at, Actor: actor, Payload: payload,
			Sequence: seq, Revision: revs[stream], RecordedAt: at.Add(time.Minute)})
		seq++
		revs[stream]++
		if len(batch) >= 20_000 {
			flush()
		}
	}
	start := now.Add(-2 * 365 * 24 * time.Hour)
	add(domain.LedgerStream, start.Add(-time.Hour), "admin", domain.LedgerInitialized{Name: "bench", Admin: "admin"})
	add(domain.LedgerStream, start.Add(-time.Hour), "admin", domain.APITokenIssued{Token: "T1", Name: "bench", SHA256: hash(goodToken)})
	pin := domain.PackPinned{Version: domain.CurrentPack().Version, Reason: "bench"}
	ids := make([]string, n)
	for i := range n {
		id := fmt.Sprintf("BENCH%07d", i)
		ids[i] = id
		s := domain.IncidentStream(id)
		recent := i%50 == 49
		at := start.Add(time.Duration(float64(now.Sub(start)-96*time.Hour) * float64(i) / float64(n)))
		if recent {
			at = now.Add(-time.Duration(r.IntN(90*60)) * time.Minute) // aware up to 90 h ago: some overdue, some due soon, some pending
		}
		add(s, at, "oscar", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "generated incident " + id, AwareAt: at, Role: domain.RoleBoth})
		add(s, at, "oscar", pin)
		add(s, at.Add(10*time.Minute), "oscar", domain.IncidentAssessed{FunctionalImpact: domain.FunctionalLow, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoPrivacy,
			DerivedSeverity: domain.SeverityHigh, DerivedPriority: domain.P1, Severity: domain.SeverityHigh, Priority: domain.P1})
		add(s, at.Add(time.Hour), "sam", domain.ScopeRecorded{Customers: []string{fmt.Sprintf("customer-%02d", i%40)}, Subjects: int64(r.IntN(5000)), Jurisdictions: []string{"DE"}})
		add(s, at.Add(2*time.Hour), "ivy", domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "generated"})
		if recent {
			continue
		}
		add(s, at.Add(30*time.Hour), "ian", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "BfDI", Channel: domain.ChannelPortal, Phase: domain.PhaseInitial,
			Art33Items: domain.Art33Items()})
		add(s, at.Add(40*time.Hour), "ian", domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Customer: fmt.Sprintf("customer-%02d", i%40), Recipient: "soc",
			Channel: domain.ChannelEmail, Phase: domain.PhaseInitial})
	}
	flush()
	return st, path, ids
}

// latencies times op b.N times and reports the 50th and 99th percentiles.
func latencies(b *testing.B, op func()) {
	b.Helper()
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		op()
		ds = append(ds, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(ds)
	p := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	b.ReportMetric(float64(p(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p(0.99).Microseconds())/1000, "p99-ms")
	b.Logf("%d runs: p50 %s, p99 %s", len(ds), p(0.50).Round(time.Microsecond), p(0.99).Round(time.Microsecond))
}

// BenchmarkRead100k reads the deadline view and the HTTP API at 100,000
// incidents ($BENCH_INCIDENTS) from the read models kept in the ledger's
// file, and reports p50 and p99. It first builds the ledger (batched
// imports) and catches the read models up, which it reports too.
func BenchmarkRead100k(b *testing.B) {
	n := benchIncidents(b)
	now := time.Now().UTC()
	t0 := time.Now()
	st, path, ids := benchLedger(b, n, now)
	head, _ := st.Head(context.Background())
	fmt.Printf("BenchmarkRead100k: built a ledger of %d incidents, %d events, with batched imports in %s\n", n, head, time.Since(t0).Round(time.Millisecond))
	kept, err := readmodel.Open(context.Background(), st, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { kept.Close() })
	t0 = time.Now()
	if _, err := kept.CatchUp(context.Background(), now); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("BenchmarkRead100k: kept read models caught up from scratch in %s\n", time.Since(t0).Round(time.Millisecond))
	ctx := context.Background()
	var view readmodel.DeadlinePage

	b.Run("deadlines-due-within-24h", func(b *testing.B) {
		latencies(b, func() {
			if view, err = kept.Deadlines(ctx, time.Now().UTC(), projections.DeadlineFilter{DueWithin: 24 * time.Hour}, readmodel.Page{}, true); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(float64(len(view.Deadlines)), "rows")
	})
	b.Run("deadlines-open", func(b *testing.B) {
		latencies(b, func() {
			if view, err = kept.Deadlines(ctx, time.Now().UTC(), projections.DeadlineFilter{Open: true}, readmodel.Page{Limit: httpapi.DefaultLimit}, true); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(float64(len(view.Deadlines)), "rows")
	})

	srv := httptest.NewServer((&httpapi.Server{Store: st, Kept: kept}).Handler())
	b.Cleanup(srv.Close)
	get := func(b *testing.B, path string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+goodToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	b.Run("http-deadlines-due-within-24h", func(b *testing.B) {
		latencies(b, func() { get(b, "/v1/deadlines?due_within=24h") })
	})
	r := rand.New(rand.NewPCG(3, 4))
	b.Run("http-incident", func(b *testing.B) {
		latencies(b, func() { get(b, "/v1/incidents/"+ids[r.IntN(len(ids))]) })
	})
	b.Run("http-incidents-page", func(b *testing.B) {
		latencies(b, func() { get(b, "/v1/incidents?open=true&limit=100") })
	})
}
