package sqlite_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
)

func TestStreamsWithPrefix(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "l.db"), sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, stream := range []string{"incident-abc1", "incident-abc2", "incident-abd", "ledger", "incident-abc1", "incident-ab"} {
		rec := eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: "t", OccurredAt: time.Unix(1700000000, 0), Actor: "a", Payload: []byte("{}")}
		if _, err := st.Append(ctx, stream, eventstore.Any, []eventstore.Record{rec}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"incident-abc", 0, []string{"incident-abc1", "incident-abc2"}},
		{"incident-ab", 0, []string{"incident-ab", "incident-abc1", "incident-abc2", "incident-abd"}},
		{"incident-ab", 2, []string{"incident-ab", "incident-abc1"}},
		{"incident-abc1", 0, []string{"incident-abc1"}},
		{"incident-x", 0, nil},
		{"ledger", 0, []string{"ledger"}},
	} {
		got, err := st.StreamsWithPrefix(ctx, tc.prefix, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("StreamsWithPrefix(%q, %d) = %q, want %q", tc.prefix, tc.limit, got, tc.want)
		}
	}
}
