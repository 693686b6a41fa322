package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
)

// The team ledger is the one bench/sidebyside's notary rows build (its
// notary.go: newTeamLedger), copied here because both are package main:
// signed mode with alice the first admin, responders oscar and rita
// holding only their own SSH keys, and a notary appointed that alone holds
// the ledger key from then on.

// actorKey is a person's own SSH key (Ed25519), in memory and as an
// OpenSSH private key file.
type actorKey struct {
	signer ssh.Signer
	fp     string
	path   string
}

// newActorKey makes an Ed25519 SSH key and writes it to dir/name (mode
// 0600, OpenSSH format: what "breachledger signer keygen" writes) and its
// public key to dir/name.pub.
func newActorKey(dir, name string) (actorKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return actorKey{}, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return actorKey{}, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return actorKey{}, err
	}
	block, err := ssh.MarshalPrivateKey(priv, name+"@bench")
	if err != nil {
		return actorKey{}, err
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return actorKey{}, err
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644); err != nil {
		return actorKey{}, err
	}
	return actorKey{signer: signer, fp: integrity.Fingerprint(signer.PublicKey()), path: path}, nil
}

func signWith(k actorKey) func([]byte) ([]byte, error) {
	return func(env []byte) ([]byte, error) { return integrity.SignEnvelope(env, k.signer) }
}

// sign signs each record's content envelope with k, as the CLI signs what
// its actor records.
func (k actorKey) sign(recs []eventstore.Record) error {
	for i := range recs {
		recs[i].Signer = k.fp
		sig, err := integrity.SignEnvelope(integrity.EnvelopeOf(recs[i]).Marshal(), k.signer)
		if err != nil {
			return err
		}
		recs[i].Signature = sig
	}
	return nil
}

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
	bl := benchLedger{path: path, team: true, signers: map[string]actorKey{}}
	st, err := sqlite.Open(ctx, path, sqlite.Options{Create: true})
	if err != nil {
		return nil, bl, err
	}
	fail := func(err error) (*sqlite.Store, benchLedger, error) {
		st.Close()
		return nil, bl, err
	}
	alice, err := newActorKey(keysDir, "alice")
	if err != nil {
		return fail(err)
	}
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	by := domain.By{Actor: "alice", At: at, Signer: alice.fp}
	init := domain.InitLedger{By: by, Name: "Bench team", AdminKey: integrity.AuthorizedKey(alice.signer.PublicKey()), AdminFingerprint: alice.fp}
	if _, err := (ledger.Writer{Store: st, Sign: signWith(alice)}).Execute(ctx, "", init, at); err != nil {
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
	old, err := integrity.ParseLedgerKey(skey)
	if err != nil {
		return fail(err)
	}
	own, err := st.ReadAll(ctx, 0, 0)
	if err != nil {
		return fail(err)
	}
	if _, err := (ledger.Checkpointer{Store: st, Key: old}).Checkpoint(ctx, own); err != nil {
		return fail(err)
	}
	admin := ledger.Writer{Store: st, Sign: signWith(alice), Checkpointer: &ledger.Checkpointer{Key: old}}
	cmds := []domain.Command{domain.ChangeSetting{By: by, Key: "backdate-window", Value: "36500d"}}
	for _, name := range responders {
		dir := keysDir
		if name == "oscar" {
			dir = signersDir
		}
		k, err := newActorKey(dir, name)
		if err != nil {
			return fail(err)
		}
		bl.signers[name] = k
		cmds = append(cmds,
			domain.GrantRole{By: by, Grantee: name, Role: domain.RoleSecurityIncidentManager, Reason: "on call"},
			domain.RegisterSigner{By: by, Actor: name, Key: integrity.AuthorizedKey(k.signer.PublicKey()), Fingerprint: k.fp})
	}
	for _, c := range cmds {
		if _, err := admin.Execute(ctx, "", c, at); err != nil {
			return fail(fmt.Errorf("%T: %w", c, err))
		}
	}

	nskey, nvkey, err := integrity.GenerateLedgerKey(origin)
	if err != nil {
		return fail(err)
	}
	bl.keyPath = filepath.Join(keysDir, "notary.key")
	if err := writeKeyFiles(bl.keyPath, nskey, nvkey); err != nil {
		return fail(err)
	}
	if bl.key, err = integrity.ParseLedgerKey(nskey); err != nil {
		return fail(err)
	}
	bl.previous = old.Public()
	to := bl.key.Public()
	cp, err := ledger.StoredCheckpoint(ctx, st, old.Public(), 0)
	if err != nil {
		return fail(err)
	}
	handover, err := old.SignHandover(to, cp)
	if err != nil {
		return fail(err)
	}
	sshKey, err := to.SSHKey()
	if err != nil {
		return fail(err)
	}
	appointment := domain.AppointNotary{By: by, Actor: "notary", Key: integrity.AuthorizedKey(sshKey), Fingerprint: integrity.Fingerprint(sshKey),
		LedgerKey: to.String(), Handover: string(handover), Reason: "team ledger: writers hold no ledger key"}
	if _, err := (ledger.Writer{Store: st, Sign: signWith(alice)}).Execute(ctx, "", appointment, at); err != nil {
		return fail(fmt.Errorf("appoint the notary: %w", err))
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

// incidentScript is a responder's writes to incident inc (the i-th
// generated), one command per append, as a team records it: a detection,
// assessment, classification, scope, risk, declaration, then notes.
func incidentScript(step, i int, by domain.By, inc string) domain.Command {
	switch step {
	case 0:
		return domain.DetectIncident{By: by, Source: domain.SourceAutomatedAlert, Summary: fmt.Sprintf("bulk read of tenant blobs on cluster eu-%d", i%9), Role: domain.RoleBoth}
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
	return domain.AddNote{By: by, Text: fmt.Sprintf("status update %d: investigation continues on cluster eu-%d; no further access seen since the token was revoked", step, i%9)}
}

// decidedIncident returns generated incident i of exactly n events (n >=
// 2), in stream id, recorded by actor and signed with his key, as the CLI
// would have written it: each command of incidentScript decided by the
// rules (domain.Decide) on the ledger state l and the incident as its
// earlier appends make it, at now, business times an hour apart; the
// scripted commands whose events would not fit in n are left out, and
// notes make up the rest. seq is the sequence of its first record and
// basis the ledger stream's length, as the records will be stored. So the
// notary, judging each append again, would accept every one
// ("breachledger verify --rules").
func decidedIncident(l domain.Ledger, i int, id, actor string, k actorKey, basis, seq uint64, n int, now time.Time) ([]eventstore.Record, error) {
	stream := domain.IncidentStream(id)
	var recs []eventstore.Record
	var facts []domain.Fact
	for step := 0; len(recs) < n; step++ {
		by := domain.By{Actor: actor, At: t0.Add(time.Duration(step) * time.Hour), Signer: k.fp}
		c := incidentScript(step, i, by, id)
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
			c = incidentScript(1<<20, i, by, id)
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
	if err := k.sign(recs); err != nil {
		return nil, err
	}
	return recs, nil
}
