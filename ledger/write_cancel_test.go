package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/ledger"
)

// TestExecuteCancelled: a context cancelled before the append stops the
// command with its error and nothing appended; one cancelled once the
// append has begun does not cut it short: the append lands with its
// checkpoint and Execute reports it, with a nil error.
func TestExecuteCancelled(t *testing.T) {
	st := openLedger(t)
	k := initLedger(t, st)
	at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	note := func(text string) domain.Command {
		return domain.AddNote{By: domain.By{Actor: "oscar", At: at}, Text: text}
	}
	if _, err := (ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: k}}).Execute(context.Background(), "INC1",
		domain.DetectIncident{By: domain.By{Actor: "oscar", At: at}, Source: domain.SourceOperatorEscalation, Summary: "s", Role: domain.RoleBoth}, at); err != nil {
		t.Fatal(err)
	}
	head := func() uint64 {
		n, err := st.Head(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("before", func(t *testing.T) {
		before := head()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := (ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: k}}).Execute(ctx, "INC1", note("cancelled before"), at)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Execute = %v, want context.Canceled", err)
		}
		if n := head(); n != before {
			t.Fatalf("the ledger went from %d to %d events", before, n)
		}
	})

	for _, inline := range []bool{true, false} {
		name := "during, checkpoint in the append"
		if !inline {
			name = "during, checkpoint after"
		}
		t.Run(name, func(t *testing.T) {
			before := head()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// The store cancels the writer's context as an append begins,
			// as a signal arriving then would.
			cancelling := func(string) { cancel() }
			var store eventstore.Store = hookedSQLite{Store: st, before: cancelling}
			if !inline {
				store = twoStep{Store: hooked{Store: st, before: cancelling}, CheckpointStore: st}
			}
			res, err := (ledger.Writer{Store: store, Checkpointer: &ledger.Checkpointer{Store: store, Key: k}}).Execute(ctx, "INC1", note(name), at)
			if err != nil {
				t.Fatalf("Execute = %v, want the append finished", err)
			}
			if ctx.Err() == nil {
				t.Fatal("the context was not cancelled during the append")
			}
			if len(res.Records) != 1 || res.Records[0].Sequence != before || head() != before+1 {
				t.Fatalf("appended %+v; the ledger went from %d to %d events", res.Records, before, head())
			}
			if inline != (res.Checkpoint != nil) {
				t.Fatalf("checkpoint in the append: %v, want %v", res.Checkpoint != nil, inline)
			}
			if !inline {
				// The caller checkpoints, on a context signals do not cancel.
				if _, err := (ledger.Checkpointer{Store: st, Key: k}).Checkpoint(context.WithoutCancel(ctx), res.Records); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := ledger.Verify(context.Background(), st, k.Public(), nil)
			if err != nil || !rep.OK() {
				t.Fatalf("verify: %v %+v", err, rep)
			}
		})
	}
}
