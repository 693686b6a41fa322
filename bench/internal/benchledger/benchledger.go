// Package benchledger is what bench's commands (sidebyside, esdbscale) build
// their ledgers with: the generated incidents, a personal ledger as
// "breachledger init" makes it, a team ledger in signed mode with its
// responders' SSH keys and (optionally) an appointed notary, the ledger key
// files the CLI reads, and building the CLI from the repository. It lives
// here, and not in each command, because both are package main.
package benchledger

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
)

// PerIncident is how many events each generated incident has.
const PerIncident = 20

// T0 is when the generated incidents begin: their detection's awareness
// time, and the first of their business times (an hour apart).
var T0 = time.Date(2025, 3, 7, 21, 40, 0, 0, time.UTC)

// IncidentEvents returns the first n events of generated incident i: a
// detection, assessment, classification, scope, risk, declaration, then
// notes, as a responder team records them (the shapes of ledger's replay
// benchmarks).
func IncidentEvents(i, n int) []domain.Event {
	events := []domain.Event{
		domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: fmt.Sprintf("bulk read of tenant blobs on cluster eu-%d", i%9), AwareAt: T0, Role: domain.RoleBoth},
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

// IncidentRecords returns the first n events of generated incident i, in
// stream id, recorded by actor, as records: UUIDv7 IDs, types and payloads,
// business times an hour apart, decided on the ledger stream's first basis
// events. Their sequences and recording times are left for the importer.
func IncidentRecords(i int, id, actor string, basis uint64, n int) ([]eventstore.Record, error) {
	stream := domain.IncidentStream(id)
	events := IncidentEvents(i, n)
	recs := make([]eventstore.Record, len(events))
	for j, e := range events {
		typ, payload, err := domain.Encode(e)
		if err != nil {
			return nil, err
		}
		recs[j] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ,
			OccurredAt: T0.Add(time.Duration(j) * time.Hour), Actor: actor, Payload: payload, Basis: basis, Revision: uint64(j)}
	}
	return recs, nil
}

// A Ledger is a generated ledger file and the key that signs its
// checkpoints.
type Ledger struct {
	Path string
	// KeyPath is the private key file of Key (KeyPath.pub is its public
	// key), what the CLI's --ledger-key reads.
	KeyPath string
	Key     *integrity.LedgerKey
}

// NewLedger creates a ledger at path as breachledger init does (alice
// admin, oscar responder, the backdate-window widened so that notes dated
// 2025 are accepted, a ledger key written beside it at path.key for the
// CLI's --ledger-key) and signs its first checkpoint.
func NewLedger(ctx context.Context, path string) (*sqlite.Store, Ledger, error) {
	st, err := sqlite.Open(ctx, path, sqlite.Options{Create: true})
	if err != nil {
		return nil, Ledger{}, err
	}
	fail := func(err error) (*sqlite.Store, Ledger, error) {
		st.Close()
		return nil, Ledger{}, err
	}
	w := ledger.Writer{Store: st}
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	cmds := []domain.Command{
		domain.InitLedger{By: domain.By{Actor: "alice", At: at}, Name: "Bench", Unsigned: true},
		domain.GrantRole{By: domain.By{Actor: "alice", At: at}, Grantee: "oscar", Role: domain.RoleResponder},
		// The benches record facts of 2025 now (the CLI's notes): widen
		// the backdate-window, as a team importing a case file would.
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
	bl := Ledger{Path: path, KeyPath: filepath.Join(filepath.Dir(path), filepath.Base(path)+".key")}
	if err := WriteKeyFiles(bl.KeyPath, skey, vkey); err != nil {
		return fail(err)
	}
	if bl.Key, err = integrity.ParseLedgerKey(skey); err != nil {
		return fail(err)
	}
	// The ledger's first events, appended above before the key existed,
	// are this writer's own: its first checkpoint covers them.
	own, err := st.ReadAll(ctx, 0, 0)
	if err != nil {
		return fail(err)
	}
	if _, err := (ledger.Checkpointer{Store: st, Key: bl.Key}).Checkpoint(ctx, own); err != nil {
		return fail(err)
	}
	return st, bl, nil
}

// WriteKeyFiles writes the ledger key files the CLI's --ledger-key reads:
// the private key at path (mode 0600), the public key at path.pub, as
// breachledger init does. The product's key-file code lives in the main
// module's internal/keyfiles, which this module cannot import.
func WriteKeyFiles(path, skey, vkey string) error {
	if err := os.WriteFile(path, []byte(skey+"\n"), 0o600); err != nil {
		return err
	}
	return os.WriteFile(path+".pub", []byte(vkey+"\n"), 0o644)
}

// GoBuild builds package pkg of the module in dir into out, as make build
// does.
func GoBuild(dir, pkg, out string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "urfave_cli_no_docs", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// RepoRoot finds the main module: the directory above bench/ with go.mod.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/breachledger/breachledger\n") {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("run from inside the breachledger repository (no go.mod of github.com/breachledger/breachledger above %s)", wd)
		}
	}
}

// ScratchDir returns dir, made if missing, or, when dir is "", a new
// directory under $TMPDIR named after pattern (os.MkdirTemp); cleanup
// removes the new directory (it leaves dir alone).
func ScratchDir(dir, pattern string) (path string, cleanup func(), err error) {
	if dir == "" {
		d, err := os.MkdirTemp("", pattern)
		if err != nil {
			return "", nil, err
		}
		return d, func() { os.RemoveAll(d) }, nil
	}
	return dir, func() {}, os.MkdirAll(dir, 0o755)
}
