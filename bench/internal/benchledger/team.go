package benchledger

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
)

// An ActorKey is a person's own SSH key (Ed25519), in memory and as an
// OpenSSH private key file (the CLI's --sign-key, or its signers
// directory).
type ActorKey struct {
	Signer ssh.Signer
	FP     string // its fingerprint, as registered
	Path   string // the private key file
}

// NewActorKey makes an Ed25519 SSH key and writes it to dir/name (dir
// made, mode 0700, if missing; the file mode 0600, OpenSSH format: what
// "breachledger signer keygen" writes).
func NewActorKey(dir, name string) (ActorKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ActorKey{}, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return ActorKey{}, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return ActorKey{}, err
	}
	block, err := ssh.MarshalPrivateKey(priv, name+"@bench")
	if err != nil {
		return ActorKey{}, err
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return ActorKey{}, err
	}
	return ActorKey{Signer: signer, FP: integrity.Fingerprint(signer.PublicKey()), Path: path}, nil
}

// WritePublicKey writes k's public key to k.Path.pub (authorized_keys
// format), as "breachledger signer keygen" does.
func (k ActorKey) WritePublicKey() error {
	return os.WriteFile(k.Path+".pub", ssh.MarshalAuthorizedKey(k.Signer.PublicKey()), 0o644)
}

// SignWith returns a ledger.Writer's Sign that signs with k.
func SignWith(k ActorKey) func([]byte) ([]byte, error) {
	return func(env []byte) ([]byte, error) { return integrity.SignEnvelope(env, k.Signer) }
}

// Sign signs each record's content envelope with k, as the CLI signs what
// its actor records.
func (k ActorKey) Sign(recs []eventstore.Record) error {
	for i := range recs {
		recs[i].Signer = k.FP
		sig, err := integrity.SignEnvelope(integrity.EnvelopeOf(recs[i]).Marshal(), k.Signer)
		if err != nil {
			return err
		}
		recs[i].Signature = sig
	}
	return nil
}

// A Responder is one of a team ledger's writers, with their SSH key.
type Responder struct {
	Name string
	Key  ActorKey
}

// A TeamLedger is a ledger in signed mode (alice admin, her key registered
// at init) whose responders hold only their own SSH keys, with its ledger
// key until the notary's appointment (Old) and, once appointed, its
// notary's key.
type TeamLedger struct {
	Path       string
	Alice      ActorKey
	Old        *integrity.LedgerKey
	Notary     *integrity.LedgerKey // nil: the ledger checkpoints inline (no notary appointed)
	Responders []Responder
}

// Keys returns every registered author key, by fingerprint.
func (tl TeamLedger) Keys() map[string]ssh.PublicKey {
	m := map[string]ssh.PublicKey{tl.Alice.FP: tl.Alice.Signer.PublicKey()}
	for _, r := range tl.Responders {
		m[r.Key.FP] = r.Key.Signer.PublicKey()
	}
	return m
}

// TeamOptions is how NewTeamLedger makes a team ledger.
type TeamOptions struct {
	// Responders are the writers' names, granted
	// security-incident-manager (they may record every event of the
	// generated incidents) and their SSH keys registered.
	Responders []string
	// KeyDir returns the directory a person's SSH key is written to
	// (alice's too).
	KeyDir func(name string) string
	// PublicKeys writes each SSH key's public key beside it (name.pub).
	PublicKeys bool
	// BackdateWindow, when set, is the backdate-window setting changed
	// before the responders are granted their role (so that facts dated
	// 2025 are accepted).
	BackdateWindow string
	// Appoint appoints a notary holding a new ledger key, with
	// AppointReason; NotaryKeyPath, when set, is where its key files are
	// written (NotaryKeyPath.pub the public key).
	Appoint       bool
	AppointReason string
	NotaryKeyPath string
}

// NewTeamLedger makes a ledger at path as "breachledger init" does in
// signed mode (alice's SSH key registered in the same append), optionally
// changes its backdate-window, grants the responders
// security-incident-manager and registers their SSH keys, each of those
// appends checkpointed inline with the ledger key init made, and, with
// opts.Appoint, appoints a notary holding a new key as "breachledger
// notary appoint --generate" does: the hand-over signed by the key until
// now at its newest checkpoint, the appointment appended without a
// checkpoint (the notary's first one covers it).
func NewTeamLedger(ctx context.Context, path string, opts TeamOptions) (*sqlite.Store, TeamLedger, error) {
	tl := TeamLedger{Path: path}
	st, err := sqlite.Open(ctx, path, sqlite.Options{Create: true})
	if err != nil {
		return nil, tl, err
	}
	fail := func(err error) (*sqlite.Store, TeamLedger, error) {
		st.Close()
		return nil, tl, err
	}
	newKey := func(name string) (ActorKey, error) {
		k, err := NewActorKey(opts.KeyDir(name), name)
		if err == nil && opts.PublicKeys {
			err = k.WritePublicKey()
		}
		return k, err
	}
	if tl.Alice, err = newKey("alice"); err != nil {
		return fail(err)
	}
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	by := domain.By{Actor: "alice", At: at, Signer: tl.Alice.FP}
	init := domain.InitLedger{By: by, Name: "Bench team", AdminKey: integrity.AuthorizedKey(tl.Alice.Signer.PublicKey()), AdminFingerprint: tl.Alice.FP}
	if _, err := (ledger.Writer{Store: st, Sign: SignWith(tl.Alice)}).Execute(ctx, "", init, at); err != nil {
		return fail(fmt.Errorf("init: %w", err))
	}
	origin, err := ledger.Origin(ctx, st)
	if err != nil {
		return fail(err)
	}
	skey, _, err := integrity.GenerateLedgerKey(origin)
	if err != nil {
		return fail(err)
	}
	if tl.Old, err = integrity.ParseLedgerKey(skey); err != nil {
		return fail(err)
	}
	own, err := st.ReadAll(ctx, 0, 0)
	if err != nil {
		return fail(err)
	}
	if _, err := (ledger.Checkpointer{Store: st, Key: tl.Old}).Checkpoint(ctx, own); err != nil {
		return fail(err)
	}
	admin := ledger.Writer{Store: st, Sign: SignWith(tl.Alice), Checkpointer: &ledger.Checkpointer{Key: tl.Old}}
	if opts.BackdateWindow != "" {
		c := domain.ChangeSetting{By: by, Key: "backdate-window", Value: opts.BackdateWindow}
		if _, err := admin.Execute(ctx, "", c, at); err != nil {
			return fail(fmt.Errorf("%T: %w", c, err))
		}
	}
	for _, name := range opts.Responders {
		k, err := newKey(name)
		if err != nil {
			return fail(err)
		}
		tl.Responders = append(tl.Responders, Responder{Name: name, Key: k})
		for _, c := range []domain.Command{
			domain.GrantRole{By: by, Grantee: name, Role: domain.RoleSecurityIncidentManager, Reason: "on call"},
			domain.RegisterSigner{By: by, Actor: name, Key: integrity.AuthorizedKey(k.Signer.PublicKey()), Fingerprint: k.FP},
		} {
			if _, err := admin.Execute(ctx, "", c, at); err != nil {
				return fail(fmt.Errorf("%T %s: %w", c, name, err))
			}
		}
	}
	if !opts.Appoint {
		return st, tl, nil
	}
	nskey, nvkey, err := integrity.GenerateLedgerKey(origin)
	if err != nil {
		return fail(err)
	}
	if opts.NotaryKeyPath != "" {
		if err := WriteKeyFiles(opts.NotaryKeyPath, nskey, nvkey); err != nil {
			return fail(err)
		}
	}
	if tl.Notary, err = integrity.ParseLedgerKey(nskey); err != nil {
		return fail(err)
	}
	to, err := integrity.ParsePublicKey(nvkey)
	if err != nil {
		return fail(err)
	}
	cp, err := ledger.StoredCheckpoint(ctx, st, tl.Old.Public(), 0)
	if err != nil {
		return fail(err)
	}
	handover, err := tl.Old.SignHandover(to, cp)
	if err != nil {
		return fail(err)
	}
	sshKey, err := to.SSHKey()
	if err != nil {
		return fail(err)
	}
	appointment := domain.AppointNotary{By: by, Actor: "notary", Key: integrity.AuthorizedKey(sshKey), Fingerprint: integrity.Fingerprint(sshKey),
		LedgerKey: to.String(), Handover: string(handover), Reason: opts.AppointReason}
	if _, err := (ledger.Writer{Store: st, Sign: SignWith(tl.Alice)}).Execute(ctx, "", appointment, at); err != nil {
		return fail(fmt.Errorf("appoint the notary: %w", err))
	}
	return st, tl, nil
}

// IncidentScript is a responder's writes to one incident, as a team
// records it, each command one append: a detection of a bulk read on
// cluster, assessment, classification, scope, risk, declaration, then
// notes. It returns the command of the incident's step-th append.
func IncidentScript(step int, by domain.By, cluster string) domain.Command {
	switch step {
	case 0:
		return domain.DetectIncident{By: by, Source: domain.SourceAutomatedAlert, Summary: "bulk read of tenant blobs on cluster " + cluster, Role: domain.RoleBoth}
	case 1:
		return domain.AssessIncident{By: by, FunctionalImpact: domain.FunctionalMedium, Recoverability: domain.RecoverExtended, InformationImpact: domain.InfoPrivacy}
	case 2:
		return domain.ClassifyIncident{By: by, Classification: domain.ClassPrivacyBreach, Reason: "personal data read"}
	case 3:
		return domain.RecordScope{By: by, AddCustomers: []string{"contoso", "fabrikam"}, AddDataCategories: []string{"contact details"}, AddJurisdictions: []string{"DE", "FR"}}
	case 4:
		return domain.DetermineRisk{By: by, Level: domain.RiskHigh, Reasoning: "contact data of 1,200 people"}
	case 5:
		return domain.DeclareCRSPI{By: by, Basis: domain.BasisEvidence, Reasoning: "access logs show reads of both tenants' blobs"}
	}
	return domain.AddNote{By: by, Text: fmt.Sprintf("status update %d: investigation continues on cluster %s; no further access seen since the token was revoked", step, cluster)}
}
