package readmodel_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// forgettingStore stands for ledger.OpeningStore: it reads secret in
// clear until forget is set (a DataShredded appended, its keys destroyed),
// and "[forgotten]" after.
type forgettingStore struct {
	eventstore.Store
	secret []byte
	forget bool
}

func (s *forgettingStore) open(recs []eventstore.Record, err error) ([]eventstore.Record, error) {
	if err != nil || !s.forget {
		return recs, err
	}
	out := make([]eventstore.Record, len(recs))
	for i, r := range recs {
		r.Payload = bytes.ReplaceAll(r.Payload, s.secret, []byte("[forgotten]"))
		out[i] = r
	}
	return out, nil
}

func (s *forgettingStore) ReadStream(ctx context.Context, stream string, o eventstore.ReadOptions) ([]eventstore.Record, error) {
	return s.open(s.Store.ReadStream(ctx, stream, o))
}

func (s *forgettingStore) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	return s.open(s.Store.ReadAll(ctx, from, limit))
}

// filesHolding returns the files of the kept views (the database, its
// write-ahead log and shared memory) that hold b anywhere, free pages and
// old frames included.
func filesHolding(t *testing.T, path string, b []byte) []string {
	t.Helper()
	var out []string
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		data, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(data, b) {
			out = append(out, filepath.Base(p))
		}
	}
	return out
}

// A value the views kept in clear (read through an opening source) is gone
// from every byte of their files once they fold the DataShredded that
// forgets it: the row written again from the forgetting read, the old one
// zeroed (secure_delete), the write-ahead log's old frames truncated away.
func TestDataShreddedPurgesKeptValues(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	secret := []byte("jane.roe.4711@example.com")
	src := &forgettingStore{Store: f.st, secret: secret}
	inc := domain.IncidentStream("A")
	f.add(domain.LedgerStream, "2025-01-01T00:00:00Z", "admin", domain.LedgerInitialized{Name: "t", Admin: "admin"})
	f.add(inc, "2025-03-07T21:40:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceCustomerReport, Summary: "mail from " + string(secret), AwareAt: at("2025-03-07T23:30:00Z"), Role: domain.RoleController})
	path := filepath.Join(t.TempDir(), "views.db")
	k := openKept(t, src, path)
	if _, err := k.CatchUp(ctx, at("2025-03-08T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	// Each catch-up writes the incident's rows again: several copies of
	// the value in the log's frames and the file's free space.
	f.add(inc, "2025-03-07T22:30:00Z", "oscar", domain.IncidentAssessed{FunctionalImpact: domain.FunctionalLow, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoPrivacy, DerivedSeverity: domain.SeverityMedium, DerivedPriority: domain.P2, Severity: domain.SeverityMedium, Priority: domain.P2})
	if _, err := k.CatchUp(ctx, at("2025-03-08T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	if got := filesHolding(t, path, secret); len(got) == 0 {
		t.Fatal("the kept views hold the value nowhere before the shred: the search finds nothing")
	}

	f.add(inc, "2025-03-09T10:00:00Z", "lee", domain.DataShredded{Basis: domain.ShredErasureRequest, Reason: "asked", KeyIDs: []string{"k1"}, Events: []string{"e1"}, Fields: []string{"summary"}})
	src.forget = true
	if _, err := k.CatchUp(ctx, at("2025-03-10T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	if got := filesHolding(t, path, secret); len(got) != 0 {
		t.Errorf("after the DataShredded, %v still hold the forgotten value", got)
	}
	page, err := k.List(ctx, at("2025-03-10T00:00:00Z"), false, readmodel.Page{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Incidents) != 1 || !strings.Contains(string(page.Incidents[0]), "mail from [forgotten]") {
		t.Errorf("list: %s, want the one incident, its summary forgotten", page.Incidents)
	}
}
