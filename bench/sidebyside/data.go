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

// perIncident is how many events each generated incident has.
const perIncident = 20

var t0 = time.Date(2025, 3, 7, 21, 40, 0, 0, time.UTC)

// incidentEvents returns the 20 events of generated incident i: a
// detection, assessment, classification, scope, risk, declaration and
// notes, as a responder team records them (the shapes of ledger's replay
// benchmarks).
func incidentEvents(i int) []domain.Event {
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
	for len(events) < perIncident {
		events = append(events, domain.NoteAdded{Text: fmt.Sprintf("status update %d: investigation continues on cluster eu-%d; no further access seen since the token was revoked", len(events), i%9)})
	}
	return events
}

// incidentRecords returns generated incident i as records: event IDs
// (UUIDv7), types and payloads, business times an hour apart.
func incidentRecords(i int) ([]eventstore.Record, error) {
	stream := domain.IncidentStream(fmt.Sprintf("BENCH%07d", i))
	events := incidentEvents(i)
	recs := make([]eventstore.Record, len(events))
	for j, e := range events {
		typ, payload, err := domain.Encode(e)
		if err != nil {
			return nil, err
		}
		recs[j] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ,
			OccurredAt: t0.Add(time.Duration(j) * time.Hour), Actor: "oscar", Payload: payload, Revision: uint64(j)}
	}
	return recs, nil
}

// benchLedger is a ledger file made for a row, with its key.
type benchLedger struct {
	path    string
	keyPath string
	key     *integrity.LedgerKey
}

// newLedger creates a ledger at path the way breachledger init does (alice
// admin, oscar responder, a ledger key written beside it for the CLI's
// --ledger-key) and signs its first checkpoint.
func newLedger(ctx context.Context, path string) (*sqlite.Store, benchLedger, error) {
	st, err := sqlite.Open(ctx, path, sqlite.Options{Create: true})
	if err != nil {
		return nil, benchLedger{}, err
	}
	w := ledger.Writer{Store: st}
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	cmds := []domain.Command{
		domain.InitLedger{By: domain.By{Actor: "alice", At: at}, Name: "Bench", Unsigned: true},
		domain.GrantRole{By: domain.By{Actor: "alice", At: at}, Grantee: "oscar", Role: domain.RoleResponder},
		// The benches record facts of 2025 now (the CLI rows' notes):
		// widen the backdate-window, as a team importing a case file would.
		domain.ChangeSetting{By: domain.By{Actor: "alice", At: at}, Key: "backdate-window", Value: "36500d"},
	}
	for _, c := range cmds {
		if _, err := w.Execute(ctx, "", c, at); err != nil {
			st.Close()
			return nil, benchLedger{}, err
		}
	}
	origin, err := ledger.Origin(ctx, st)
	if err != nil {
		st.Close()
		return nil, benchLedger{}, err
	}
	skey, vkey, err := integrity.GenerateLedgerKey(origin)
	if err != nil {
		st.Close()
		return nil, benchLedger{}, err
	}
	bl := benchLedger{path: path, keyPath: filepath.Join(filepath.Dir(path), filepath.Base(path)+".key")}
	if err := writeKeyFiles(bl.keyPath, skey, vkey); err != nil {
		st.Close()
		return nil, benchLedger{}, err
	}
	if bl.key, err = integrity.ParseLedgerKey(skey); err != nil {
		st.Close()
		return nil, benchLedger{}, err
	}
	// The ledger's first events, appended above before the key existed,
	// are this writer's own: its first checkpoint covers them.
	own, err := st.ReadAll(ctx, 0, 0)
	if err != nil {
		st.Close()
		return nil, benchLedger{}, err
	}
	if _, err := (ledger.Checkpointer{Store: st, Key: bl.key}).Checkpoint(ctx, own); err != nil {
		st.Close()
		return nil, benchLedger{}, err
	}
	return st, bl, nil
}

// fillIncidents adds incidents [from, from+n) to the ledger, 1000 events
// per transaction (Import, which spans streams, as migrate does), each
// batch followed by its signed checkpoint, as a batch importer with
// integrity on would.
func fillIncidents(ctx context.Context, st *sqlite.Store, key *integrity.LedgerKey, from, n int, progress func(done int)) error {
	return fillIncidentsWith(ctx, st, key, from, n, progress, nil)
}

// fillIncidentsWith is fillIncidents with prepare (when not nil) called on
// each incident's records before they are imported: signSigned signs them.
func fillIncidentsWith(ctx context.Context, st *sqlite.Store, key *integrity.LedgerKey, from, n int, progress func(done int), prepare func([]eventstore.Record) error) error {
	head, err := st.Head(ctx)
	if err != nil {
		return err
	}
	cp := ledger.Checkpointer{Store: st, Key: key}
	const batch = 1000
	var pending []eventstore.Record
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		for i := range pending {
			pending[i].Sequence = head + uint64(i)
			pending[i].RecordedAt = now
		}
		if err := st.Import(ctx, pending); err != nil {
			return err
		}
		if _, err := cp.Checkpoint(ctx, pending); err != nil {
			return err
		}
		head += uint64(len(pending))
		pending = pending[:0]
		return nil
	}
	for i := from; i < from+n; i++ {
		recs, err := incidentRecords(i)
		if err != nil {
			return err
		}
		if prepare != nil {
			if err := prepare(recs); err != nil {
				return err
			}
		}
		pending = append(pending, recs...)
		if len(pending) >= batch {
			if err := flush(); err != nil {
				return err
			}
			if progress != nil {
				progress(i + 1 - from)
			}
		}
	}
	return flush()
}

// writeKeyFiles writes the ledger key files the CLI's --ledger-key reads:
// the private key at path (mode 0600), the public key at path.pub, as
// breachledger init does. The product's key-file code lives in the main
// module's internal/keyfiles, which this module cannot import.
func writeKeyFiles(path, skey, vkey string) error {
	if err := os.WriteFile(path, []byte(skey+"\n"), 0o600); err != nil {
		return err
	}
	return os.WriteFile(path+".pub", []byte(vkey+"\n"), 0o644)
}
