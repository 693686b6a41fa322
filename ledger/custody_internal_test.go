package ledger

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
)

// TestCustodyProblemsOfRejectionsThatDoNotHold: verify's reading of the
// rejections in the ledger stream, as a thief of the ledger key could
// write them (breachledger's own checkpointer refuses both): a rejection
// of a record a checkpoint had covered before it, and one naming another
// record than the log's, are each reported for what they are.
func TestCustodyProblemsOfRejectionsThatDoNotHold(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "l.db"), sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	res, err := Writer{Store: st}.Execute(ctx, "", domain.InitLedger{By: domain.By{Actor: "alice", At: at}, Name: "T", Unsigned: true}, at)
	if err != nil {
		t.Fatal(err)
	}
	origin, _ := Origin(ctx, st)
	skey, _, _ := integrity.GenerateLedgerKey(origin)
	key, _ := integrity.ParseLedgerKey(skey)
	if _, err := (Checkpointer{Store: st, Key: key}).Checkpoint(ctx, res.Records); err != nil {
		t.Fatal(err)
	}
	covered := res.Records[0] // covered by the checkpoint of 1 event
	reject := func(rej domain.ForeignEventRejected) eventstore.Record {
		typ, payload, err := domain.Encode(rej)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := st.Append(ctx, domain.LedgerStream, eventstore.Any, []eventstore.Record{{ID: uuid.Must(uuid.NewV7()), Type: typ, OccurredAt: at, Actor: "mallory", Payload: payload}})
		if err != nil {
			t.Fatal(err)
		}
		return stored[0]
	}
	reject(domain.ForeignEventRejected{Seq: 0, EventID: covered.ID.String(), LeafSHA256: LeafHash(covered), Reason: "hide the init"})
	reject(domain.ForeignEventRejected{Seq: 1, EventID: uuid.Must(uuid.NewV7()).String(), LeafSHA256: strings.Repeat("0", 64), Reason: "another record"})
	recs, err := readRecords(ctx, st, domain.LedgerStream)
	if err != nil {
		t.Fatal(err)
	}
	got, err := custodyProblems(ctx, st, recs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"already covered before it", "not the record the log has"}
	if len(got) != len(want) {
		t.Fatalf("%d problems, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].What != "rejected" || !strings.Contains(got[i].Detail, w) {
			t.Errorf("problem %d = %v, want %q", i, got[i], w)
		}
	}
}
