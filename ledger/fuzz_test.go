package ledger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/ledger"
)

// sourceRecord is one record of a fuzzed migrate source, as JSON.
type sourceRecord struct {
	ID        string `json:"id"`
	Stream    string `json:"stream"`
	Type      string `json:"type"`
	Actor     string `json:"actor"`
	Signer    string `json:"signer,omitempty"`
	Signature []byte `json:"sig,omitempty"`
	Payload   []byte `json:"payload"`
	Basis     uint64 `json:"basis,omitempty"`
	Revision  uint64 `json:"rev"`
	Sequence  uint64 `json:"seq"`
	At        int64  `json:"at"`  // Unix nanoseconds
	Rec       int64  `json:"rec"` // Unix nanoseconds
}

// fuzzSource is a migrate source that yields whatever records it was
// given, as a store that was written around breachledger might.
type fuzzSource struct{ recs []eventstore.Record }

func (s *fuzzSource) Append(context.Context, string, eventstore.Expected, []eventstore.Record) ([]eventstore.Record, error) {
	return nil, fmt.Errorf("read-only source")
}

func (s *fuzzSource) ReadStream(_ context.Context, stream string, _ eventstore.ReadOptions) ([]eventstore.Record, error) {
	var out []eventstore.Record
	for _, r := range s.recs {
		if r.Stream == stream {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, eventstore.ErrNotFound
	}
	return out, nil
}

func (s *fuzzSource) ReadAll(_ context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	if from >= uint64(len(s.recs)) {
		return nil, nil
	}
	end := uint64(len(s.recs))
	if limit > 0 {
		end = min(end, from+uint64(limit))
	}
	return s.recs[from:end], nil
}

func (s *fuzzSource) Head(context.Context) (uint64, error) { return uint64(len(s.recs)), nil }

func (s *fuzzSource) Follow(ctx context.Context, from uint64) iter.Seq2[eventstore.Record, error] {
	return eventstore.All(ctx, s, from)
}

func (s *fuzzSource) Close() error { return nil }

// FuzzMigrate feeds migrate a source ledger of arbitrary records (JSON:
// any IDs, streams, types, revisions, sequences, times, payloads): it never
// panics; it copies a history only when the copy is the source, field for
// field; and whatever it refuses, the target holds a prefix of the source
// and nothing else.
func FuzzMigrate(f *testing.F) {
	at := time.Date(2025, 3, 7, 22, 15, 0, 0, time.UTC).UnixNano()
	rec := at + int64(time.Hour)
	ok := []sourceRecord{
		{ID: "01a22000-0000-7000-8000-000000000001", Stream: "ledger", Type: "LedgerInitialized", Actor: "alice", Payload: []byte(`{"name":"x"}`), At: at, Rec: rec},
		{ID: "01a22000-0000-7000-8000-000000000002", Stream: "incident-A", Type: "IncidentDetected", Actor: "oscar", Payload: []byte(`{"source":"customer-report","summary":"s"}`), Sequence: 1, At: at, Rec: rec},
		{ID: "01a22000-0000-7000-8000-000000000003", Stream: "incident-A", Type: "NoteAdded", Actor: "oscar", Signer: "SHA256:x", Signature: []byte{1, 2}, Payload: []byte(`{"text":"t"}`), Basis: 1, Revision: 1, Sequence: 2, At: at, Rec: rec},
	}
	seed := func(recs []sourceRecord) {
		b, err := json.Marshal(recs)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seed(ok)
	gap := append([]sourceRecord(nil), ok...)
	gap[2].Sequence = 5
	seed(gap)
	dup := append([]sourceRecord(nil), ok...)
	dup[2].ID = dup[1].ID
	seed(dup)
	rev := append([]sourceRecord(nil), ok...)
	rev[2].Revision = 3
	seed(rev)
	bad := append([]sourceRecord(nil), ok...)
	bad[1].Stream, bad[2].Type, bad[0].At = "bad stream", "", 0
	seed(bad)
	f.Add([]byte(`[{"id":"00000000-0000-0000-0000-000000000000"}]`))
	f.Add([]byte(`[]`))

	f.Fuzz(func(t *testing.T, data []byte) {
		var in []sourceRecord
		if json.Unmarshal(data, &in) != nil || len(in) > 64 {
			return
		}
		src := &fuzzSource{}
		for _, r := range in {
			id, err := uuid.Parse(r.ID)
			if err != nil {
				return
			}
			src.recs = append(src.recs, eventstore.Record{ID: id, Stream: r.Stream, Type: r.Type, Actor: r.Actor,
				Signer: r.Signer, Signature: r.Signature, Payload: r.Payload, Basis: r.Basis, Revision: r.Revision, Sequence: r.Sequence,
				OccurredAt: time.Unix(0, r.At).UTC(), RecordedAt: time.Unix(0, r.Rec).UTC()})
		}
		ctx := context.Background()
		dst, err := sqlite.Open(ctx, sqlite.Memory, sqlite.Options{Create: true})
		if err != nil {
			t.Fatal(err)
		}
		defer dst.Close()
		rep, merr := ledger.Migrate(ctx, src, dst, ledger.MigrateOptions{Batch: 2})
		got, err := dst.ReadAll(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if merr == nil && (rep.Total != uint64(len(src.recs)) || len(got) != len(src.recs)) {
			t.Fatalf("migrate succeeded with %d of %d records copied (report %+v)", len(got), len(src.recs), rep)
		}
		if len(got) > len(src.recs) {
			t.Fatalf("the target holds %d records, the source %d", len(got), len(src.recs))
		}
		for i, g := range got {
			if !sameRecord(g, src.recs[i]) {
				t.Fatalf("target record %d differs from the source's (migrate error: %v):\n got %+v\nwant %+v", i, merr, g, src.recs[i])
			}
		}
	})
}

func sameRecord(a, b eventstore.Record) bool {
	return a.ID == b.ID && a.Stream == b.Stream && a.Type == b.Type && a.OccurredAt.Equal(b.OccurredAt) &&
		a.Actor == b.Actor && a.Signer == b.Signer && bytes.Equal(a.Signature, b.Signature) &&
		bytes.Equal(a.Payload, b.Payload) && a.Basis == b.Basis && a.Revision == b.Revision && a.Sequence == b.Sequence &&
		a.RecordedAt.Equal(b.RecordedAt)
}
