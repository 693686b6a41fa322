package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
)

// pageCount returns the ledger file's size in pages.
func pageCount(tb testing.TB, path string) int {
	tb.Helper()
	db := openRaw(tb, path)
	defer db.Close()
	var n int
	if err := db.QueryRow(`PRAGMA page_count`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestDiskFullMaxPageCount: with the database capped by SQLite's
// max_page_count, the append that does not fit fails saying the database
// is full, stores none of its events (a multi-event append is all or
// nothing), and leaves every earlier row as it was; without the cap the
// ledger takes appends again.
func TestDiskFullMaxPageCount(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openFile(t, path)
	mustAppend(t, s, "incident-A", eventstore.NoStream, record(t, "Detected"))
	s.Close()

	full, err := sqlite.OpenMaxPages(ctx, path, pageCount(t, path)+6)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	payload := bytes.Repeat([]byte("x"), 3000)
	var failed error
	length := uint64(1)
	var before string
	for i := 0; i < 100 && failed == nil; i++ {
		recs := make([]eventstore.Record, 5)
		for j := range recs {
			recs[j] = record(t, "Noted")
			recs[j].Payload = payload
		}
		before = dump(t, full)
		got, err := full.Append(ctx, "incident-A", eventstore.After(length), recs)
		if err != nil {
			failed = err
			if after := dump(t, full); after != before {
				t.Errorf("the append that did not fit changed the ledger")
			}
			for _, r := range recs {
				if n := countEvent(t, full, r.ID); n != 0 {
					t.Errorf("event %s of the failed append is stored", r.ID)
				}
			}
			break
		}
		length += uint64(len(got))
	}
	if failed == nil {
		t.Fatal("100 appends of 15 KB fitted in 6 pages: max_page_count is not in force")
	}
	if !strings.Contains(failed.Error(), "disk or database full") {
		t.Errorf("append into a full database: %v, want it to say the disk or database is full", failed)
	}
	t.Logf("full after %d events: %v", length, failed)
	full.Close()

	s = openFile(t, path)
	if got := dump(t, s); got != before {
		t.Errorf("reopened without the cap, the ledger differs from before the failed append")
	}
	mustAppend(t, s, "incident-A", eventstore.After(length), record(t, "Noted"))
}

func countEvent(tb testing.TB, s *sqlite.Store, id uuid.UUID) int {
	tb.Helper()
	n := 0
	for r, err := range eventstore.All(context.Background(), s, 0) {
		if err != nil {
			tb.Fatal(err)
		}
		if r.ID == id {
			n++
		}
	}
	return n
}

// TestWriterDiskFull runs the ledger's whole write path (rules, append,
// signed checkpoint) into a database capped by max_page_count: the command
// that does not fit fails saying the database is full (its append and its
// checkpoint are one transaction: neither is stored); every acknowledged
// command is stored; and once the cap is gone the next write lands and the
// ledger verifies.
func TestWriterDiskFull(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openFile(t, path)
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	w := ledger.Writer{Store: s}
	var own []eventstore.Record
	for _, c := range []domain.Command{
		domain.InitLedger{By: domain.By{Actor: "alice", At: at}, Name: "Full", Unsigned: true},
		domain.GrantRole{By: domain.By{Actor: "alice", At: at}, Grantee: "oscar", Role: domain.RoleResponder},
	} {
		res, err := w.Execute(ctx, "", c, at)
		if err != nil {
			t.Fatal(err)
		}
		own = append(own, res.Records...)
	}
	origin, err := ledger.Origin(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	skey, _, err := integrity.GenerateLedgerKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	key, err := integrity.ParseLedgerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (ledger.Checkpointer{Store: s, Key: key}).Checkpoint(ctx, own); err != nil {
		t.Fatal(err)
	}
	cpr := &ledger.Checkpointer{Key: key}
	if _, err := (ledger.Writer{Store: s, Checkpointer: cpr}).Execute(ctx, "INC1", domain.DetectIncident{By: domain.By{Actor: "oscar", At: at}, Source: domain.SourceOperatorEscalation, Summary: "full", Role: domain.RoleBoth}, at); err != nil {
		t.Fatal(err)
	}
	s.Close()

	full, err := sqlite.OpenMaxPages(ctx, path, pageCount(t, path)+8)
	if err != nil {
		t.Fatal(err)
	}
	w = ledger.Writer{Store: full, Checkpointer: cpr}
	var acked []string
	var failed error
	for i := 0; i < 200 && failed == nil; i++ {
		text := fmt.Sprintf("note %d: %s", i, strings.Repeat("y", 2000))
		res, err := w.Execute(ctx, "INC1", domain.AddNote{By: domain.By{Actor: "oscar", At: at}, Text: text}, at)
		if err != nil {
			failed = err
			break
		}
		acked = append(acked, res.Records[0].ID.String())
	}
	full.Close()
	if failed == nil {
		t.Fatal("200 notes of 2 KB fitted in 8 pages: max_page_count is not in force")
	}
	if !strings.Contains(failed.Error(), "disk or database full") {
		t.Errorf("write into a full database: %v, want it to say the disk or database is full", failed)
	}
	t.Logf("%d notes acknowledged, then: %v", len(acked), failed)

	s = openFile(t, path)
	stored := map[string]bool{}
	for r, err := range eventstore.All(ctx, s, 0) {
		if err != nil {
			t.Fatal(err)
		}
		stored[r.ID.String()] = true
	}
	for _, id := range acked {
		if !stored[id] {
			t.Errorf("acknowledged event %s is missing", id)
		}
	}
	if _, err := (ledger.Writer{Store: s, Checkpointer: cpr}).Execute(ctx, "INC1", domain.AddNote{By: domain.By{Actor: "oscar", At: at}, Text: "room again"}, at); err != nil {
		t.Fatal(err)
	}
	rep, err := ledger.Verify(ctx, s, key.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("verify after the disk was full: %v", rep.Problems)
	}
	var ie error = rep.Err()
	if errors.Is(ie, integrity.ErrIntegrity) {
		t.Errorf("verify: %v", ie)
	}
}
