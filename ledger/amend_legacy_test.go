package ledger_test

import (
	"context"
	"io"
	"os"
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

// legacyFixture is a ledger made before signed mode and before writers
// recorded their basis (testdata/legacy/before-signed-mode/README.md).
const legacyFixture = "../testdata/legacy/before-signed-mode"

// openLegacyFixture opens a copy of the fixture's ledger (never the fixture
// itself) and returns it with the fixture's ledger key.
func openLegacyFixture(t *testing.T) (*sqlite.Store, *integrity.LedgerKey) {
	t.Helper()
	src, err := os.Open(filepath.Join(legacyFixture, "ledger.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), "ledger.sqlite")
	dst, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	skey, err := os.ReadFile(filepath.Join(legacyFixture, "ledger.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := integrity.ParseLedgerKey(strings.TrimSpace(string(skey)))
	if err != nil {
		t.Fatal(err)
	}
	return st, key
}

// appendAsBefore appends e to stream as a breachledger from before the
// basis did: unsigned, no basis, checkpointed in its own transaction.
func appendAsBefore(t *testing.T, st *sqlite.Store, key *integrity.LedgerKey, stream, actor string, e domain.Event) eventstore.Record {
	t.Helper()
	ctx := context.Background()
	typ, payload, err := domain.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := st.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ, OccurredAt: time.Date(2025, 4, 3, 0, 0, 0, 0, time.UTC), Actor: actor, Payload: payload}
	stored, _, err := ledger.Checkpointer{Store: st, Key: key}.Append(ctx, stream, eventstore.After(uint64(len(recs))), []eventstore.Record{rec})
	if err != nil {
		t.Fatal(err)
	}
	return stored[0]
}

// TestLegacyUnsignedAmendmentStands: a ledger written before breachledger
// refused unsigned amendments of signed facts may hold one honestly (under
// a partial policy it was allowed); verify does not hold it against the
// ledger. Once a writer that records its basis has written, the rule
// binds: the same amendment appended around breachledger after that fails
// verify, naming it.
func TestLegacyUnsignedAmendmentStands(t *testing.T) {
	ctx := context.Background()
	st, key := openLegacyFixture(t)
	const inc = "3N5J5lwuPMnUDHcuw8Wtnn99KH1"
	stream := domain.IncidentStream(inc)
	recs, err := st.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	note := recs[len(recs)-1] // ivy's signed note, seq 36
	if note.Signer == "" || note.Type != "NoteAdded" {
		t.Fatalf("the fixture's last incident event is %s signed by %q, want ivy's signed note", note.Type, note.Signer)
	}
	correction := func(text string) domain.Event {
		return domain.EventCorrected{Target: note.ID.String(), TargetType: "NoteAdded", At: note.OccurredAt,
			Replacement: domain.NoteAdded{Text: text}, Changed: []string{"text"}, Reason: "reworded"}
	}
	appendAsBefore(t, st, key, stream, "lee", correction("reworded before the rule"))
	rep, err := ledger.Verify(ctx, st, key.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify of the legacy amendment: %v, want intact (it was allowed when it was recorded)", rep.Problems)
	}

	// A writer of today appends (its record carries a basis) ...
	if _, err := (ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: key}}).Execute(ctx, inc,
		domain.AddNote{By: domain.By{Actor: "ivy", At: time.Date(2025, 4, 4, 0, 0, 0, 0, time.UTC), LateEntryReason: "transcribed from the 2025 notes"}, Text: "after the upgrade"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	// ... then the same kind of amendment, around it.
	forged := appendAsBefore(t, st, key, stream, "lee", correction("reworded around breachledger"))
	rep, err = ledger.Verify(ctx, st, key.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Seq != forged.Sequence || !strings.Contains(rep.Problems[0].Detail, "rule correction-unsigned") {
		t.Fatalf("verify after the upgrade: %v, want one problem: seq %d, rule correction-unsigned", rep.Problems, forged.Sequence)
	}
}
