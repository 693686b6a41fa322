package readmodel_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// streamCounter counts the incident streams read through it.
type streamCounter struct {
	eventstore.Store
	reads atomic.Int64
}

func (s *streamCounter) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Record, error) {
	if strings.HasPrefix(stream, domain.IncidentStream("")) {
		s.reads.Add(1)
	}
	return s.Store.ReadStream(ctx, stream, opts)
}

// Paging through the deadline view at a past instant, when every incident
// has a fact after it (each is then folded again at the instant), folds
// each incident about once over all the pages: a page folds the incidents
// its own rows come from, not every incident after its cursor (that was
// quadratic in the incidents), and the pages together are the whole view.
func TestPastPagesFoldTheirOwnIncidents(t *testing.T) {
	ctx := context.Background()
	const n = 24
	f := newFixture(t)
	f.add(domain.LedgerStream, "2025-01-01T00:00:00Z", "admin", domain.LedgerInitialized{Name: "t", Admin: "admin"})
	aware := at("2025-03-01T00:00:00Z")
	for i := range n {
		s := domain.IncidentStream(fmt.Sprintf("P%03d", i))
		when := aware.Add(time.Duration(i) * time.Hour)
		w := when.Format(time.RFC3339)
		f.add(s, w, "oscar", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "export", AwareAt: when, Role: domain.RoleController})
		f.add(s, w, "oscar", domain.PackPinned{Version: domain.CurrentPack().Version, Reason: "test"})
		f.add(s, w, "oscar", domain.StageChanged{From: domain.StageDetect, To: domain.StageAssess})
		f.add(s, w, "oscar", domain.IncidentAssessed{FunctionalImpact: domain.FunctionalLow, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoPrivacy, DerivedSeverity: domain.SeverityHigh, DerivedPriority: domain.P1, Severity: domain.SeverityHigh, Priority: domain.P1})
		f.add(s, w, "oscar", domain.StageChanged{From: domain.StageAssess, To: domain.StageDiagnose})
		f.add(s, w, "oscar", domain.IncidentClassified{Classification: domain.ClassPrivacyBreach, Reason: "customer records read"})
		// A fact after the instant read: the kept rows do not hold there.
		f.add(s, "2025-04-01T00:00:00Z", "oscar", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "authority", Channel: domain.ChannelPortal, Phase: domain.PhaseInitial})
	}
	st := &streamCounter{Store: f.st}
	k := openKept(t, st, filepath.Join(t.TempDir(), "views.db"))
	if _, err := k.CatchUp(ctx, at("2025-04-02T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	asOf := aware.Add(time.Duration(n) * time.Hour) // before every incident's notice
	whole, err := k.Deadlines(ctx, asOf, projections.DeadlineFilter{}, readmodel.Page{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.Deadlines) < n {
		t.Fatalf("the whole view has %d rows, want at least %d", len(whole.Deadlines), n)
	}
	st.reads.Store(0)
	var got []string
	pages := 0
	for page := (readmodel.Page{Limit: 1}); ; pages++ {
		p, err := k.Deadlines(ctx, asOf, projections.DeadlineFilter{}, page, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Deadlines {
			got = append(got, string(r))
		}
		if p.Next == "" {
			break
		}
		page.After = p.Next
	}
	var want []string
	for _, r := range whole.Deadlines {
		want = append(want, string(r))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the pages give\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The first page folds every incident (its facts needed are every
	// incident's); each later one the incident at its cursor, the one its
	// row comes from, and the next (to know whether a row follows).
	if got, most := st.reads.Load(), int64(n+3*pages); got > most {
		t.Errorf("%d pages of one row folded incidents %d times, want at most %d", pages+1, got, most)
	}
}
