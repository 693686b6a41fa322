// Command writer is the library-level writer of the crash harness
// (package crashtest): a long-lived process that appends to one incident
// through the ledger package and the embedded store, as a program built on
// breachledger would, until it is killed.
//
// Each round it appends 1 to 5 notes in one append: one note through the
// write path (ledger.Writer: rules, conflict retry), several through
// Store.Append directly (one transaction). Every note's text names its
// append ("lib W NONCE i/k"), so the harness can tell a partial append.
// Every append carries its signed checkpoint in its own transaction (the
// embedded store's rule: a record no checkpoint covers is foreign), or,
// when it could not sign there, is checkpointed right after, as by the
// CLI. Once an append is checkpointed, the writer prints "ACK" and the
// event IDs on one line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/keyfiles"
	"github.com/breachledger/breachledger/ledger"
)

func main() {
	path := flag.String("ledger", "", "the ledger file")
	keyPath := flag.String("ledger-key", "", "the ledger key")
	name := flag.String("name", "lib", "this writer's name, in its notes")
	incident := flag.String("incident", "", "the incident to append to")
	flag.Parse()
	if err := run(*path, *keyPath, *name, *incident); err != nil {
		fmt.Fprintln(os.Stderr, "writer:", err)
		os.Exit(1)
	}
}

func run(path, keyPath, name, incident string) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := keyfiles.ReadLedgerKey(keyPath)
	if err != nil {
		return err
	}
	stream := domain.IncidentStream(incident)
	for {
		k := 1 + rand.IntN(5)
		nonce := rand.Uint64()
		var stored []eventstore.Record
		var cp *eventstore.Checkpoint
		if k == 1 {
			res, err := ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Key: key}}.Execute(ctx, incident, domain.AddNote{By: domain.By{Actor: "oscar", At: time.Now().UTC().Truncate(time.Second)}, Text: fmt.Sprintf("%s %016x 1/1", name, nonce)}, time.Now())
			if err != nil {
				return err
			}
			stored, cp = res.Records, res.Checkpoint
		} else {
			if stored, cp, err = appendNotes(ctx, st, key, stream, name, nonce, k); err != nil {
				return err
			}
		}
		if cp == nil { // the append could not sign in its own transaction (ledger.Checkpointer.Append): as the CLI, sign after it
			if _, err := (ledger.Checkpointer{Store: st, Key: key}).Checkpoint(ctx, stored); err != nil {
				return fmt.Errorf("recorded, but not checkpointed: %w", err)
			}
		}
		ids := make([]string, len(stored))
		for i, r := range stored {
			ids[i] = r.ID.String()
		}
		// One write: a kill cannot leave half a line.
		if _, err := os.Stdout.WriteString("ACK " + strings.Join(ids, ",") + "\n"); err != nil {
			return err
		}
	}
}

// appendNotes appends k notes in one checkpointed append, retrying on
// conflict.
func appendNotes(ctx context.Context, st *sqlite.Store, key *integrity.LedgerKey, stream, name string, nonce uint64, k int) ([]eventstore.Record, *eventstore.Checkpoint, error) {
	recs := make([]eventstore.Record, k)
	at := time.Now().UTC().Truncate(time.Second)
	for i := range recs {
		typ, payload, err := domain.Encode(domain.NoteAdded{Text: fmt.Sprintf("%s %016x %d/%d", name, nonce, i+1, k)})
		if err != nil {
			return nil, nil, err
		}
		recs[i] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: typ, OccurredAt: at, Actor: "oscar", Payload: payload}
	}
	for {
		last, err := st.ReadStream(ctx, stream, eventstore.ReadOptions{From: eventstore.End, Backwards: true, Limit: 1})
		if err != nil {
			return nil, nil, err
		}
		stored, cp, err := ledger.Checkpointer{Store: st, Key: key}.Append(ctx, stream, eventstore.After(last[0].Revision+1), recs)
		if errors.Is(err, eventstore.ErrConflict) {
			time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
			continue
		}
		return stored, cp, err
	}
}
