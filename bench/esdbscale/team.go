package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/history"

	"github.com/breachledger/breachledger/bench/internal/benchledger"
)

// The team ledger is the one bench/sidebyside's notary rows build (both
// made by bench/internal/benchledger's NewTeamLedger): signed mode with
// alice the first admin, responders oscar and rita holding only their own
// SSH keys, and a notary appointed that alone holds the ledger key from
// then on.

// responders are the team's writers. oscar runs the measured commands and
// records the target incident; the others alternate with him.
var responders = []string{"oscar", "rita"}

// newTeamLedger makes a ledger at path as "breachledger init" does in
// signed mode (alice's SSH key registered in the same append), with the
// backdate-window widened so that notes dated 2025 are accepted, the
// responders granted security-incident-manager (they may record every
// event of the generated incidents) and their SSH keys registered, each of
// those appends checkpointed inline with the ledger key init made, and
// then appoints a notary holding a new key as "breachledger notary
// appoint --generate" does: the hand-over signed by the key until now at
// its newest checkpoint, the appointment appended without a checkpoint
// (the notary's first one covers it). oscar's key is written to
// signersDir/oscar, where the CLI looks for it; everyone else's, and the
// notary's key (notary.key, notary.key.pub), to keysDir.
func newTeamLedger(ctx context.Context, path, keysDir, signersDir string) (*sqlite.Store, benchLedger, error) {
	bl := benchLedger{team: true, signers: map[string]benchledger.ActorKey{}}
	bl.Path = path
	bl.KeyPath = filepath.Join(keysDir, "notary.key")
	st, tl, err := benchledger.NewTeamLedger(ctx, path, benchledger.TeamOptions{
		Responders: responders,
		KeyDir: func(name string) string {
			if name == "oscar" {
				return signersDir
			}
			return keysDir
		},
		PublicKeys:     true,
		BackdateWindow: "36500d",
		Appoint:        true,
		AppointReason:  "team ledger: writers hold no ledger key",
		NotaryKeyPath:  bl.KeyPath,
	})
	if err != nil {
		return nil, benchLedger{}, err
	}
	fail := func(err error) (*sqlite.Store, benchLedger, error) {
		st.Close()
		return nil, bl, err
	}
	bl.Key, bl.previous = tl.Notary, tl.Old.Public()
	for _, r := range tl.Responders {
		bl.signers[r.Name] = r.Key
	}
	// The responders' appends are decided on the ledger stream as it now
	// is: their basis is its length.
	var ledgerRecs []eventstore.Record
	for r, err := range eventstore.StreamRecords(ctx, st, domain.LedgerStream, 0) {
		if err != nil {
			return fail(err)
		}
		ledgerRecs = append(ledgerRecs, r)
	}
	bl.basis = uint64(len(ledgerRecs))
	facts, err := history.FactsOf(ledgerRecs)
	if err != nil {
		return fail(err)
	}
	bl.ledger = domain.ReplayLedger(facts, domain.Cut{})
	return st, bl, nil
}

// decidedIncident returns generated incident i of exactly n events (n >=
// 2), in stream id, recorded by actor and signed with his key, as the CLI
// would have written it: each command of benchledger.IncidentScript (on cluster eu-(i mod 9)) decided by the
// rules (domain.Decide) on the ledger state l and the incident as its
// earlier appends make it, at now, business times an hour apart; the
// scripted commands whose events would not fit in n are left out, and
// notes make up the rest. seq is the sequence of its first record and
// basis the ledger stream's length, as the records will be stored. So the
// notary, judging each append again, would accept every one
// ("breachledger verify --rules").
func decidedIncident(l domain.Ledger, i int, id, actor string, k benchledger.ActorKey, basis, seq uint64, n int, now time.Time) ([]eventstore.Record, error) {
	stream := domain.IncidentStream(id)
	var recs []eventstore.Record
	var facts []domain.Fact
	for step := 0; len(recs) < n; step++ {
		by := domain.By{Actor: actor, At: benchledger.T0.Add(time.Duration(step) * time.Hour), Signer: k.FP}
		c := benchledger.IncidentScript(step, by, fmt.Sprintf("eu-%d", i%9))
		state := domain.State{Ledger: l, Incident: history.IncidentAt(id, facts, domain.Cut{})}
		events, err := domain.Decide(state, c, now)
		if err != nil {
			return nil, fmt.Errorf("incident %s, %T: %w", id, c, err)
		}
		if len(recs)+len(events) > n {
			if step == 0 {
				return nil, fmt.Errorf("incident %s: its detection alone is %d events, more than %d", id, len(events), n)
			}
			// Too big to fit: notes (one event each) make up the rest.
			c = benchledger.IncidentScript(1<<20, by, fmt.Sprintf("eu-%d", i%9))
			if events, err = domain.Decide(state, c, now); err != nil {
				return nil, fmt.Errorf("incident %s, %T: %w", id, c, err)
			}
		}
		for _, e := range events {
			typ, payload, err := domain.Encode(e)
			if err != nil {
				return nil, err
			}
			r := eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ, OccurredAt: by.At, Actor: actor, Payload: payload,
				Basis: basis, Revision: uint64(len(recs)), Sequence: seq + uint64(len(recs)), RecordedAt: now}
			f, err := history.FactOf(r)
			if err != nil {
				return nil, err
			}
			recs = append(recs, r)
			facts = append(facts, f)
		}
	}
	if err := k.Sign(recs); err != nil {
		return nil, err
	}
	return recs, nil
}
