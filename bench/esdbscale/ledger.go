package main

import (
	"context"
	"fmt"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"

	"github.com/breachledger/breachledger/bench/internal/benchledger"
)

// The generated ledger is the one bench/sidebyside builds (the incidents
// and the personal ledger are bench/internal/benchledger's, shared with
// it; the import loop is like its data.go fillIncidents): 20-event
// incidents, imported 1000 events per transaction.
// A personal ledger's are recorded by oscar, unsigned, each batch with its
// checkpoint signed by the ledger key (the writer's). A team ledger's
// (team.go) are recorded by the responders in turn, each command decided
// by the rules as the CLI would (decidedIncident), each event signed with
// its author's SSH key, and checkpointed by the notary's key every
// sealEvery events and at the end, as "breachledger notary run" leaves a
// ledger it has caught up with.

// perIncident is how many events each generated incident has.
const perIncident = benchledger.PerIncident

// target is the incident the measured commands touch.
const target = "BENCHCLI"

// sealEvery is how many events a team ledger's notary checkpoints at a
// time while the ledger is built.
const sealEvery = 5000

// benchLedger is a generated ledger file and its keys.
type benchLedger struct {
	// Its path; KeyPath is the private key file of Key, the key that
	// signs the ledger's checkpoints: a personal ledger's ledger key (the
	// CLI's --ledger-key), or a team ledger's notary's key (KeyPath.pub is
	// the public key that verifies the ledger).
	benchledger.Ledger
	team bool
	// A team ledger's: the ledger key before the notary's, the
	// responders' SSH keys by name, the ledger stream's length after the
	// appointment (the responders' appends' basis) and the ledger state
	// it makes (what their commands are decided on).
	previous *integrity.PublicKey
	signers  map[string]benchledger.ActorKey
	basis    uint64
	ledger   domain.Ledger
}

// newLedger creates a personal ledger at path (benchledger.NewLedger: as
// breachledger init does, a ledger key written beside it) and signs its
// first checkpoint.
func newLedger(ctx context.Context, path string) (*sqlite.Store, benchLedger, error) {
	st, l, err := benchledger.NewLedger(ctx, path)
	return st, benchLedger{Ledger: l}, err
}

// buildLedger creates a SQLite ledger of exactly n events at path: the
// ledger's own first events, then 20-event incidents, with the target
// incident (targetEvents events) in the middle of them, so that a command
// on it reads a small answer out of a big ledger. A personal ledger's key
// file is written beside it; a team ledger (team.go) writes oscar's SSH
// key to signersDir and every other key to keysDir.
func buildLedger(ctx context.Context, path string, n, targetEvents int, team bool, keysDir, signersDir string) (benchLedger, error) {
	var st *sqlite.Store
	var bl benchLedger
	var err error
	if team {
		st, bl, err = newTeamLedger(ctx, path, keysDir, signersDir)
	} else {
		st, bl, err = newLedger(ctx, path)
	}
	if err != nil {
		return benchLedger{}, err
	}
	defer st.Close()
	head, err := st.Head(ctx)
	if err != nil {
		return benchLedger{}, err
	}
	rest := n - int(head) - targetEvents
	if rest < 0 {
		return benchLedger{}, fmt.Errorf("a ledger of %d events cannot hold the ledger's %d own events and the %d-event target incident", n, head, targetEvents)
	}
	cp := ledger.Checkpointer{Store: st, Key: bl.Key, Previous: bl.previous}
	const batch = 1000
	var pending []eventstore.Record
	sealed := uint64(0) // a team ledger: what the notary's newest checkpoint covers
	// A team ledger's events are decided at recorded, and recorded then:
	// the time the notary decides them again at.
	recorded := time.Now().UTC().Truncate(time.Microsecond)
	flush := func() error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		if bl.team {
			now = recorded
		}
		for i := range pending {
			pending[i].Sequence = head + uint64(i)
			pending[i].RecordedAt = now
		}
		if err := st.Import(ctx, pending); err != nil {
			return err
		}
		head += uint64(len(pending))
		if !bl.team {
			if _, err := cp.Checkpoint(ctx, pending); err != nil {
				return err
			}
		} else if head-sealed >= sealEvery || head == uint64(n) {
			// The notary has judged every append so far (they are
			// honest: the rules would decide them so) and checkpoints
			// the whole ledger.
			c, err := cp.Seal(ctx, head)
			if err != nil {
				return err
			}
			sealed = c.Size
		}
		pending = pending[:0]
		return nil
	}
	add := func(recs []eventstore.Record) error {
		pending = append(pending, recs...)
		if len(pending) >= batch {
			return flush()
		}
		return nil
	}
	// gen returns generated incident i: a team ledger's decided by the
	// rules and signed by its author, a personal ledger's unsigned.
	gen := func(i int, id, actor string, k int) ([]eventstore.Record, error) {
		if bl.team {
			return decidedIncident(bl.ledger, i, id, actor, bl.signers[actor], bl.basis, head+uint64(len(pending)), k, recorded)
		}
		return benchledger.IncidentRecords(i, id, actor, 0, k)
	}
	placed := false
	for i := 0; rest > 0 || !placed; i++ {
		if !placed && (rest <= (n-targetEvents)/2 || rest == 0) {
			recs, err := gen(i, target, "oscar", targetEvents)
			if err != nil {
				return benchLedger{}, err
			}
			if err := add(recs); err != nil {
				return benchLedger{}, err
			}
			placed = true
			continue
		}
		k := min(perIncident, rest)
		if rest-k == 1 { // no incident of one event: this one takes it
			k++
		}
		actor := "oscar"
		if bl.team {
			actor = responders[i%len(responders)]
		}
		recs, err := gen(i, fmt.Sprintf("BENCH%07d", i), actor, k)
		if err != nil {
			return benchLedger{}, err
		}
		if err := add(recs); err != nil {
			return benchLedger{}, err
		}
		rest -= k
	}
	if len(pending) > 0 {
		if err := flush(); err != nil {
			return benchLedger{}, err
		}
	}
	if head != uint64(n) {
		return benchLedger{}, fmt.Errorf("built a ledger of %d events, want %d", head, n)
	}
	if size, err := latestSize(ctx, st); err != nil || size != head {
		return benchLedger{}, fmt.Errorf("the newest checkpoint covers %d of the ledger's %d events (%v)", size, head, err)
	}
	return bl, nil
}

// latestSize is how many events the newest checkpoint covers.
func latestSize(ctx context.Context, st *sqlite.Store) (uint64, error) {
	cp, err := st.LatestCheckpoint(ctx)
	if err != nil {
		return 0, err
	}
	return cp.Size, nil
}
