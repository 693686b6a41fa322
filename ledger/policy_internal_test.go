package ledger

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/testsupport"
)

// TestSignaturePolicyJudgesTheInitPair: a ledger made in signed mode
// starts with its LedgerInitialized and the first admin's SignerRegistered,
// both signed with the key the second registers. verify judges the pair as
// of the ledger it makes, and nothing else: a pair whose registration is
// not of the key that signed the initialisation, for its admin, or whose
// signatures do not verify, is a problem, and so is a signed
// initialisation nothing registers a key for.
func TestSignaturePolicyJudgesTheInitPair(t *testing.T) {
	newKey := func() ssh.Signer { return testsupport.NewSSHSigner(t) }
	alice, mallory := newKey(), newKey()
	fp := func(s ssh.Signer) string { return integrity.Fingerprint(s.PublicKey()) }
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	record := func(seq uint64, actor string, signer ssh.Signer, e domain.Event) eventstore.Record {
		typ, payload, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		r := eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: domain.LedgerStream, Revision: seq, Sequence: seq, Type: typ, OccurredAt: at, Actor: actor, Payload: payload, RecordedAt: at}
		if signer != nil {
			r.Signer = fp(signer)
			if r.Signature, err = integrity.SignEnvelope(integrity.EnvelopeOf(r).Marshal(), signer); err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	init := func(signer ssh.Signer) eventstore.Record {
		return record(0, "alice", signer, domain.LedgerInitialized{Name: "T", Admin: "alice", Signed: true})
	}
	register := func(actor string, key, signer ssh.Signer) eventstore.Record {
		return record(1, "alice", signer, domain.SignerRegistered{Actor: actor, Key: integrity.AuthorizedKey(key.PublicKey()), Fingerprint: fp(key)})
	}
	altered := init(alice)
	altered.Payload = []byte(`{"name":"Other","admin":"alice","signed":true}`)

	tests := []struct {
		name    string
		log     []eventstore.Record
		signed  int
		problem string // in the first problem; "" for none
	}{
		{name: "the pair init makes", log: []eventstore.Record{init(alice), register("alice", alice, alice)}, signed: 2},
		{name: "another key registered, signed by itself", log: []eventstore.Record{init(alice), register("alice", mallory, mallory)},
			problem: "which the event after it does not register for alice"},
		{name: "the key registered for another actor", log: []eventstore.Record{init(alice), register("mallory", alice, alice)},
			problem: "which the event after it does not register for alice"},
		{name: "the initialisation altered after it was signed", log: []eventstore.Record{altered, register("alice", alice, alice)},
			problem: "the ledger's initialisation (seq 0"},
		{name: "a signed initialisation and nothing after it", log: []eventstore.Record{init(alice)}, signed: 1,
			problem: "no event registers that key for alice"},
		{name: "signed mode, the initialisation unsigned", log: []eventstore.Record{init(nil), register("alice", alice, alice)},
			problem: "this initialisation is not signed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewSignaturePolicy()
			signed := 0
			var problems []string
			for _, r := range tt.log {
				ok, err := p.Judge(r)
				if err != nil {
					problems = append(problems, err.Error())
				} else if ok {
					signed++
				}
			}
			if u := p.unjudged(); u != nil {
				problems = append(problems, u.Detail)
			}
			switch {
			case tt.problem == "" && len(problems) > 0:
				t.Errorf("problems %q, want none", problems)
			case tt.problem != "" && (len(problems) == 0 || !strings.Contains(problems[0], tt.problem)):
				t.Errorf("problems %q, want the first to say %q", problems, tt.problem)
			}
			if tt.problem == "" && signed != tt.signed {
				t.Errorf("%d signed events, want %d", signed, tt.signed)
			}
		})
	}
}
