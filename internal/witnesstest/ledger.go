package witnesstest

import (
	"context"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
)

// A Ledger is a small SQLite ledger whose every append is checkpointed
// with a ledger key made for it: what a witness is shown, for the tests
// of submitters and witnesses.
type Ledger struct {
	Store  *sqlite.Store
	Writer ledger.Writer // appends and checkpoints with Key
	Key    *integrity.LedgerKey
	Origin string
	At     time.Time // the business time of the last append
}

// NewLedger initialises an unsigned ledger at path (closed at cleanup),
// makes its key and checkpoints the initialisation.
func NewLedger(t testing.TB, path string) *Ledger {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	res, err := (ledger.Writer{Store: st}).Execute(ctx, "", domain.InitLedger{By: domain.By{Actor: "alice", At: at}, Name: "Witnessed", Unsigned: true}, at)
	if err != nil {
		t.Fatal(err)
	}
	origin, err := ledger.Origin(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	skey, _, err := integrity.GenerateLedgerKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	k, err := integrity.ParseLedgerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (ledger.Checkpointer{Store: st, Key: k}).Checkpoint(ctx, res.Records); err != nil {
		t.Fatal(err)
	}
	return WithStore(st, k, origin, at)
}

// WithStore is a Ledger over an open store (a copy of another ledger,
// checkpointed with the same key).
func WithStore(st *sqlite.Store, key *integrity.LedgerKey, origin string, at time.Time) *Ledger {
	return &Ledger{Store: st, Key: key, Origin: origin, At: at, Writer: ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: key}}}
}

// Grant appends one checkpointed ledger event, a minute after the last.
func (l *Ledger) Grant(t testing.TB, who string) {
	t.Helper()
	l.At = l.At.Add(time.Minute)
	if _, err := l.Writer.Execute(context.Background(), "", domain.GrantRole{By: domain.By{Actor: "alice", At: l.At}, Grantee: who, Role: domain.RoleResponder}, l.At); err != nil {
		t.Fatal(err)
	}
}

// Head returns the size of the newest checkpoint.
func (l *Ledger) Head(t testing.TB) uint64 {
	t.Helper()
	cp, err := l.Store.LatestCheckpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cp.Size
}
