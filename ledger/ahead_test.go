package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
)

// TestSignaturesCheckedAheadJudgeAsInOrder: Verify checks the SSH
// signatures ahead, on every CPU (SignaturePolicy.Ahead); its report must
// be the one a judgement of each record in order gives, signature by
// signature: good ones counted, and a forged one (signed with another
// registered key than the one it names, or altered) named with the same
// words.
func TestSignaturesCheckedAheadJudgeAsInOrder(t *testing.T) {
	ctx := context.Background()
	st := openLedger(t)
	l := newRaceLedger(t, st)
	for i := range 3 {
		l.must(t, st, l.oscar, fmt.Sprintf("INC%d", i), domain.DetectIncident{By: l.oscar.by(), Source: domain.SourceOperatorEscalation, Summary: "bulk read", Role: domain.RoleBoth})
	}
	forge := func(incident string, sign func(env []byte) ([]byte, error), alter func(sig []byte)) {
		t.Helper()
		typ, payload, err := domain.Encode(domain.NoteAdded{Text: "forged"})
		if err != nil {
			t.Fatal(err)
		}
		stream := domain.IncidentStream(incident)
		recs, err := st.ReadStream(ctx, stream, eventstore.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rec := eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ, OccurredAt: raceAt, Actor: "oscar", Signer: l.oscar.fp, Payload: payload}
		if rec.Signature, err = sign(integrity.EnvelopeOf(rec).Marshal()); err != nil {
			t.Fatal(err)
		}
		alter(rec.Signature)
		if _, _, err := (ledger.Checkpointer{Store: st, Key: l.key}).Append(ctx, stream, eventstore.After(uint64(len(recs))), []eventstore.Record{rec}); err != nil {
			t.Fatal(err)
		}
	}
	forge("INC0", l.alice.sign, func([]byte) {})                           // alice's key, naming oscar's
	forge("INC1", l.oscar.sign, func(sig []byte) { sig[len(sig)-1] ^= 1 }) // oscar's, altered
	forge("INC2", l.oscar.sign, func([]byte) {})                           // oscar's, genuine

	got, err := ledger.Verify(ctx, st, l.key.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := integrity.Verify(ctx, eventstore.All(ctx, st, 0), eventstore.Checkpoints(ctx, st, 0),
		integrity.Options{Key: l.key.Public(), Policy: ledger.NewSignaturePolicy()})
	if err != nil {
		t.Fatal(err)
	}
	if got.Signed != want.Signed || got.Events != want.Events {
		t.Errorf("signed %d of %d events, want %d of %d", got.Signed, got.Events, want.Signed, want.Events)
	}
	if g, w := fmt.Sprint(got.Problems), fmt.Sprint(want.Problems); g != w {
		t.Errorf("problems\n got %s\nwant %s", g, w)
	}
	if len(want.Problems) != 2 {
		t.Errorf("judged in order: %d problems %v, want the two forged signatures", len(want.Problems), want.Problems)
	}
}
