package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
)

// The generated ledger is the one bench/sidebyside builds (its data.go:
// newLedger, incidentEvents, fillIncidents), copied here because both are
// package main: 20-event incidents, imported 1000 events per transaction.
// A personal ledger's are recorded by oscar, unsigned, each batch with its
// checkpoint signed by the ledger key (the writer's). A team ledger's
// (team.go) are recorded by the responders in turn, each command decided
// by the rules as the CLI would (decidedIncident), each event signed with
// its author's SSH key, and checkpointed by the notary's key every
// sealEvery events and at the end, as "breachledger notary run" leaves a
// ledger it has caught up with.

// perIncident is how many events each generated incident has.
const perIncident = 20

// target is the incident the measured commands touch.
const target = "BENCHCLI"

var t0 = time.Date(2025, 3, 7, 21, 40, 0, 0, time.UTC)

// incidentEvents returns the first n events of a generated incident: a
// detection, assessment, classification, scope, risk, declaration, then
// notes, as a responder team records them.
func incidentEvents(i, n int) []domain.Event {
	events := []domain.Event{
		domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: fmt.Sprintf("bulk read of tenant blobs on cluster eu-%d", i%9), AwareAt: t0, Role: domain.RoleBoth},
		domain.PackPinned{Version: "2026.1"},
		domain.StageChanged{From: domain.StageDetect, To: domain.StageAssess},
		domain.IncidentAssessed{FunctionalImpact: domain.FunctionalMedium, Recoverability: domain.RecoverExtended, InformationImpact: domain.InfoPrivacy, DerivedSeverity: domain.SeverityHigh, DerivedPriority: domain.P1, Severity: domain.SeverityHigh, Priority: domain.P1},
		domain.StageChanged{From: domain.StageAssess, To: domain.StageDiagnose},
		domain.IncidentClassified{Classification: domain.ClassPrivacyBreach, Reason: "personal data read"},
		domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam"}, DataCategories: []string{"contact details"}, Subjects: 1200, Records: 5400, Jurisdictions: []string{"DE", "FR"}},
		domain.RiskDetermined{Level: domain.RiskHigh, Reasoning: "contact data of 1,200 people"},
		domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "access logs show reads of both tenants' blobs"},
	}
	for len(events) < n {
		events = append(events, domain.NoteAdded{Text: fmt.Sprintf("status update %d: investigation continues on cluster eu-%d; no further access seen since the token was revoked", len(events), i%9)})
	}
	return events[:n]
}

// sealEvery is how many events a team ledger's notary checkpoints at a
// time while the ledger is built.
const sealEvery = 5000

// incidentRecords returns the first n events of generated incident i, in
// stream id, recorded by actor, as records: UUIDv7 IDs, business times an
// hour apart, decided on the ledger stream's first basis events.
func incidentRecords(i int, id, actor string, basis uint64, n int) ([]eventstore.Record, error) {
	stream := domain.IncidentStream(id)
	events := incidentEvents(i, n)
	recs := make([]eventstore.Record, len(events))
	for j, e := range events {
		typ, payload, err := domain.Encode(e)
		if err != nil {
			return nil, err
		}
		recs[j] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ,
			OccurredAt: t0.Add(time.Duration(j) * time.Hour), Actor: actor, Payload: payload, Basis: basis, Revision: uint64(j)}
	}
	return recs, nil
}

// benchLedger is a generated ledger file and its keys.
type benchLedger struct {
	path string
	team bool
	// keyPath is the private key file of key, the key that signs the
	// ledger's checkpoints: a personal ledger's ledger key (the CLI's
	// --ledger-key), or a team ledger's notary's key (keyPath.pub is the
	// public key that verifies the ledger).
	keyPath string
	key     *integrity.LedgerKey
	// A team ledger's: the ledger key before the notary's, the
	// responders' SSH keys by name, the ledger stream's length after the
	// appointment (the responders' appends' basis) and the ledger state
	// it makes (what their commands are decided on).
	previous *integrity.PublicKey
	signers  map[string]actorKey
	basis    uint64
	ledger   domain.Ledger
}

// newLedger creates a ledger at path as breachledger init does (alice
// admin, oscar responder, the backdate-window widened so that notes dated
// 2025 are accepted, a ledger key written beside it) and signs its first
// checkpoint.
func newLedger(ctx context.Context, path string) (*sqlite.Store, benchLedger, error) {
	st, err := sqlite.Open(ctx, path, sqlite.Options{Create: true})
	if err != nil {
		return nil, benchLedger{}, err
	}
	fail := func(err error) (*sqlite.Store, benchLedger, error) {
		st.Close()
		return nil, benchLedger{}, err
	}
	w := ledger.Writer{Store: st}
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	cmds := []domain.Command{
		domain.InitLedger{By: domain.By{Actor: "alice", At: at}, Name: "Bench", Unsigned: true},
		domain.GrantRole{By: domain.By{Actor: "alice", At: at}, Grantee: "oscar", Role: domain.RoleResponder},
		domain.ChangeSetting{By: domain.By{Actor: "alice", At: at}, Key: "backdate-window", Value: "36500d"},
	}
	for _, c := range cmds {
		if _, err := w.Execute(ctx, "", c, at); err != nil {
			return fail(err)
		}
	}
	origin, err := ledger.Origin(ctx, st)
	if err != nil {
		return fail(err)
	}
	skey, vkey, err := integrity.GenerateLedgerKey(origin)
	if err != nil {
		return fail(err)
	}
	bl := benchLedger{path: path, keyPath: filepath.Join(filepath.Dir(path), filepath.Base(path)+".key")}
	if err := writeKeyFiles(bl.keyPath, skey, vkey); err != nil {
		return fail(err)
	}
	if bl.key, err = integrity.ParseLedgerKey(skey); err != nil {
		return fail(err)
	}
	own, err := st.ReadAll(ctx, 0, 0)
	if err != nil {
		return fail(err)
	}
	if _, err := (ledger.Checkpointer{Store: st, Key: bl.key}).Checkpoint(ctx, own); err != nil {
		return fail(err)
	}
	return st, bl, nil
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
	cp := ledger.Checkpointer{Store: st, Key: bl.key, Previous: bl.previous}
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
		return incidentRecords(i, id, actor, 0, k)
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

// writeKeyFiles writes the ledger key files the CLI's --ledger-key reads:
// the private key at path (mode 0600), the public key at path.pub (what
// breachledger init writes; written here so that the benchmark does not
// depend on where the product keeps its key-file code).
func writeKeyFiles(path, skey, vkey string) error {
	if err := os.WriteFile(path, []byte(skey+"\n"), 0o600); err != nil {
		return err
	}
	return os.WriteFile(path+".pub", []byte(vkey+"\n"), 0o644)
}

// latestSize is how many events the newest checkpoint covers.
func latestSize(ctx context.Context, st *sqlite.Store) (uint64, error) {
	cp, err := st.LatestCheckpoint(ctx)
	if err != nil {
		return 0, err
	}
	return cp.Size, nil
}
