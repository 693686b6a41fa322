package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/keystore"
)

// TestShreddedKeysLeft: verify's check finds a DataShredded whose key
// still exists, and nothing once the key is destroyed.
func TestShreddedKeysLeft(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Memory, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ks, err := keystore.New(ctx, filepath.Join(t.TempDir(), "keys.db"), keystore.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	k, err := ks.Create(ctx, keystore.Scope{Incident: "INC1"})
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.Must(uuid.NewV7())
	rec := eventstore.Record{ID: id, Stream: "incident-INC1", Type: "DataShredded", OccurredAt: time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC), Actor: "lee",
		Payload: fmt.Appendf(nil, `{"basis":"erasure-request","reason":"asked","key_ids":[%q],"events":[],"fields":[]}`, k.ID())}
	if _, err := st.Append(ctx, rec.Stream, eventstore.NoStream, []eventstore.Record{rec}); err != nil {
		t.Fatal(err)
	}
	left, err := shreddedKeysLeft(ctx, st, ks)
	if err != nil {
		t.Fatal(err)
	}
	if got := left[id.String()]; len(got) != 1 || got[0] != k.ID() {
		t.Errorf("left = %v, want %s's key %s", left, id, k.ID())
	}
	if err := ks.Destroy(ctx, id.String(), k.ID()); err != nil {
		t.Fatal(err)
	}
	if left, err = shreddedKeysLeft(ctx, st, ks); err != nil || len(left) != 0 {
		t.Errorf("after the destruction left = %v, %v; want none", left, err)
	}
}
