package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/ledger"
)

// ReadHistory reads and decodes pages concurrently; the history it builds
// must be the one a plain loop over the log builds, in the same order.
func TestReadHistoryMatchesAPlainLoop(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Memory, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	// 5 pages and a bit, in blocks of 10 events rotating over 7 incidents,
	// so pages mix streams.
	revs := map[string]uint64{}
	for block := 0; block*10 < 5*eventstore.DefaultPageSize+123; block++ {
		stream := domain.IncidentStream(fmt.Sprintf("INC%d", block%7))
		var recs []eventstore.Record
		for j := 0; j < 10; j++ {
			var e domain.Event = domain.NoteAdded{Text: fmt.Sprintf("note %d.%d", block, j)}
			if revs[stream] == 0 && j == 0 {
				e = domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: stream, AwareAt: t0, Role: domain.RoleBoth}
			}
			typ, payload, err := domain.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ, OccurredAt: t0.Add(time.Duration(block) * time.Minute), Actor: "oscar", Payload: payload})
		}
		if _, err := st.Append(ctx, stream, eventstore.After(revs[stream]), recs); err != nil {
			t.Fatal(err)
		}
		revs[stream] += uint64(len(recs))
	}
	want := history.New()
	for r, err := range eventstore.All(ctx, st, 0) {
		if err != nil {
			t.Fatal(err)
		}
		f, err := history.FactOf(r)
		if err != nil {
			t.Fatal(err)
		}
		want.Add(f)
	}
	got, err := ledger.ReadHistory(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := fmt.Sprint(got.IncidentIDs()), fmt.Sprint(want.IncidentIDs()); g != w {
		t.Fatalf("incidents = %s, want %s", g, w)
	}
	for _, id := range want.IncidentIDs() {
		g, w := got.Incidents[id], want.Incidents[id]
		if len(g) != len(w) {
			t.Fatalf("%s: %d facts, want %d", id, len(g), len(w))
		}
		for i := range w {
			if g[i].Sequence != w[i].Sequence || g[i].ID != w[i].ID {
				t.Fatalf("%s fact %d = seq %d %s, want seq %d %s", id, i, g[i].Sequence, g[i].ID, w[i].Sequence, w[i].ID)
			}
		}
	}
}

// failingStore fails its third page.
type failingStore struct {
	eventstore.Store
	calls int
}

var errPage = errors.New("disk read error")

func (s *failingStore) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	s.calls++
	if s.calls == 3 {
		return nil, errPage
	}
	return s.Store.ReadAll(ctx, from, limit)
}

func TestReadHistoryStopsAtAReadError(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Memory, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	var recs []eventstore.Record
	for i := 0; i < 4*eventstore.DefaultPageSize; i++ {
		typ, payload, _ := domain.Encode(domain.NoteAdded{Text: "x"})
		recs = append(recs, eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: typ, OccurredAt: t0, Actor: "oscar", Payload: payload})
	}
	if _, err := st.Append(ctx, domain.IncidentStream("A"), eventstore.NoStream, recs); err != nil {
		t.Fatal(err)
	}
	_, err = ledger.ReadHistory(ctx, &failingStore{Store: st})
	if !errors.Is(err, errPage) {
		t.Fatalf("ReadHistory = %v, want the page's error", err)
	}
}
