package notary_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/notary"
)

// Sealed personal fields (issue 25): the writer decides on plaintext and
// stores ciphertext under a random nonce, so two sealings of one recipient
// differ. The notary judges on what the writer decided on: the plaintext
// its Opener gives.

// sealedTeam is a team whose ledger seals personal data (when sealed),
// with bob an incident manager, and the key store its writers seal with.
type sealedTeam struct {
	*team
	ks     keystore.Store
	opener *ledger.Opener
	sealed bool
}

func newSealedTeam(t *testing.T, sealed bool) *sealedTeam {
	t.Helper()
	tm := newTeam(t)
	ks, err := keystore.New(tm.ctx, filepath.Join(t.TempDir(), "keys.db"), keystore.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ks.Close() })
	st := &sealedTeam{team: tm, ks: ks, sealed: sealed}
	st.opener = &ledger.Opener{Store: tm.st, Keys: func(context.Context) (keystore.Store, error) { return ks, nil }}
	// The writers' reads open, as every run's (cmd: withSealing).
	tm.ctx = ledger.WithOpener(tm.ctx, st.opener)
	if sealed {
		tm.write(tm.alice, "", domain.ChangeSetting{By: tm.by(tm.alice), Key: "seal-personal-data", Value: "on", Reason: "the tests record facts an hour after they happened"})
	}
	tm.write(tm.alice, "", domain.GrantRole{By: tm.by(tm.alice), Grantee: "bob", Role: domain.RoleIncidentManager})
	return st
}

// writeSealed runs c as tm.write does, sealing as "breachledger" does
// when seal-personal-data is on.
func (st *sealedTeam) writeSealed(a author, c domain.Command) ledger.Result {
	st.t.Helper()
	w := ledger.Writer{Store: st.st, Sign: a.sign, Seal: func(ctx context.Context, l domain.Ledger, incident string, r *eventstore.Record) error {
		if !l.Settings.At(time.Now()).SealsPersonalData() {
			return nil
		}
		return ledger.SealRecord(ctx, st.ks, incident, r)
	}}
	res, err := w.Execute(st.ctx, incident, c, time.Now())
	if err != nil {
		st.t.Fatalf("%T by %s: %v", c, a.name, err)
	}
	return res
}

func (st *sealedTeam) notice(a author, recipient string, phase domain.Phase) domain.SendNotification {
	return domain.SendNotification{By: st.by(a), NotificationSent: domain.NotificationSent{RecipientKind: domain.RecipientAuthority,
		Recipient: recipient, Channel: domain.ChannelPortal, Phase: phase}}
}

// forgedNotice appends, around Decide, bob's signed notice to recipient
// in phase, sealed as a writer would seal it: a follow-up the rules refuse
// when no earlier notice went to recipient.
func (st *sealedTeam) forgedNotice(recipient string, phase domain.Phase) []eventstore.Record {
	st.t.Helper()
	recs := st.forged(domain.IncidentStream(incident), st.bob.name, st.bob.fp, domain.NotificationSent{RecipientKind: domain.RecipientAuthority,
		Recipient: recipient, Channel: domain.ChannelPortal, Phase: phase})
	if st.sealed {
		for i := range recs {
			if err := ledger.SealRecord(st.ctx, st.ks, incident, &recs[i]); err != nil {
				st.t.Fatal(err)
			}
		}
	}
	return st.appendRaw(st.signWith(st.bob.signer, recs))
}

// storedSealed reports whether r's stored payload holds a sealed value.
func storedSealed(t *testing.T, r eventstore.Record) bool {
	t.Helper()
	sealed, _, err := ledger.SealedFields(r)
	if err != nil {
		t.Fatal(err)
	}
	return len(sealed) > 0
}

// TestSealedFollowUp: a follow-up notice to the recipient of an earlier
// one is accepted on a sealed ledger as on one in clear (the two sealed
// recipients are different ciphertexts of one plaintext), and a follow-up
// to another recipient is rejected by the same rule on both.
func TestSealedFollowUp(t *testing.T) {
	const noEarlier = "notify-phase: refused by rule notify-phase: a final notice follows an earlier notice to the same recipient, and there is none; instead: record the first notice first (--phase initial, early-warning or notification)"
	type outcome struct {
		Rejected []string // each rejection's rule and reason
		Covered  bool     // the step's checkpoint covers the whole log
	}
	run := func(t *testing.T, sealed bool) []outcome {
		st := newSealedTeam(t, sealed)
		n, err := notary.New(st.ctx, st.st, st.notaryKey, notary.Options{Opener: st.opener})
		if err != nil {
			t.Fatal(err)
		}
		// step steps until a step judges nothing (a rejection is
		// covered by the step after it).
		step := func() outcome {
			t.Helper()
			var o outcome
			for {
				res := st.step(n)
				for _, r := range res.Rejected {
					o.Rejected = append(o.Rejected, r.Rule+": "+r.Err.Error())
				}
				if res.Judged == 0 {
					break
				}
			}
			o.Covered = st.checkpointSize() == st.head()
			return o
		}
		var got []outcome
		st.writeSealed(st.oscar, domain.DetectIncident{By: st.by(st.oscar), Source: domain.SourceOperatorEscalation, Summary: "a laptop of jane.roe@example.com", Role: domain.RoleBoth})
		initial := st.writeSealed(st.bob, st.notice(st.bob, "dpo@cnil.example", domain.PhaseInitial)).Records[0]
		if got = append(got, step()); got[0].Rejected != nil {
			return got // the incident's first appends rejected: nothing more to write
		}
		followUp := st.writeSealed(st.bob, st.notice(st.bob, "dpo@cnil.example", domain.PhaseIntermediate)).Records[0]
		got = append(got, step())
		if storedSealed(t, initial) != sealed || storedSealed(t, followUp) != sealed {
			t.Fatalf("the notices' stored recipients sealed: %v and %v, want %v", storedSealed(t, initial), storedSealed(t, followUp), sealed)
		}
		forged := st.forgedNotice("dpo@other.example", domain.PhaseFinal)
		got = append(got, step())
		st.checkRejected(forged, "notify-phase")
		return got
	}
	want := []outcome{{Covered: true}, {Covered: true}, {Rejected: []string{noEarlier}, Covered: true}}
	for _, sealed := range []bool{false, true} {
		t.Run(map[bool]string{false: "clear", true: "sealed"}[sealed], func(t *testing.T) {
			if diff := cmp.Diff(want, run(t, sealed)); diff != "" {
				t.Errorf("the notary's steps (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSealedWithoutKeys: a notary that cannot open a sealed value an
// append is judged on (no key store, or not the key) neither accepts nor
// rejects it: its checkpoint stops before it, nothing is rejected, and
// Step says the append needs a notary with keys. Given the keys, the next
// notary judges it.
func TestSealedWithoutKeys(t *testing.T) {
	// team records, on a team ledger of its own, an incident whose every
	// append is sealed, and returns the sequence of the first sealed append.
	team := func(t *testing.T) (*sealedTeam, uint64) {
		st := newSealedTeam(t, true)
		detected := st.head()
		st.writeSealed(st.oscar, domain.DetectIncident{By: st.by(st.oscar), Source: domain.SourceOperatorEscalation, Summary: "a laptop of jane.roe@example.com", Role: domain.RoleBoth})
		st.writeSealed(st.bob, st.notice(st.bob, "dpo@cnil.example", domain.PhaseInitial))
		st.writeSealed(st.bob, st.notice(st.bob, "dpo@cnil.example", domain.PhaseIntermediate))
		return st, detected
	}
	// Each case on a ledger of its own, so that no case's checkpoint is
	// taken for another's.
	for _, tc := range []struct {
		name   string
		opener func(st *sealedTeam) *ledger.Opener
	}{
		{"no key store", func(st *sealedTeam) *ledger.Opener { return &ledger.Opener{Store: st.st} }},
		{"another key store", func(st *sealedTeam) *ledger.Opener {
			return &ledger.Opener{Store: st.st, Keys: func(ctx context.Context) (keystore.Store, error) {
				return keystore.NewReadOnly(), nil
			}}
		}},
		{"no opener", func(*sealedTeam) *ledger.Opener { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, detected := team(t)
			n, err := notary.New(st.ctx, st.st, st.notaryKey, notary.Options{Opener: tc.opener(st)})
			if err != nil {
				t.Fatal(err)
			}
			res, err := n.Step(st.ctx)
			if !errors.Is(err, notary.ErrCannotOpen) {
				t.Fatalf("step: %v, want ErrCannotOpen", err)
			}
			if len(res.Rejected) != 0 {
				t.Errorf("rejected %v, want nothing: an append it cannot read is not judged", res.Rejected)
			}
			if got := st.checkpointSize(); got != detected {
				t.Errorf("the checkpoint covers %d events, want %d (up to the first sealed append)", got, detected)
			}
		})
	}
	// Given the keys, the next notary judges what a notary without them
	// stopped at.
	st, _ := team(t)
	head := st.head()
	keyless, err := notary.New(st.ctx, st.st, st.notaryKey, notary.Options{Opener: &ledger.Opener{Store: st.st}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyless.Step(st.ctx); !errors.Is(err, notary.ErrCannotOpen) {
		t.Fatalf("step without keys: %v, want ErrCannotOpen", err)
	}
	n, err := notary.New(st.ctx, st.st, st.notaryKey, notary.Options{Opener: st.opener})
	if err != nil {
		t.Fatal(err)
	}
	if res := st.step(n); len(res.Rejected) != 0 || st.checkpointSize() != head {
		t.Errorf("with the keys: rejected %v, checkpoint of %d; want nothing rejected, %d covered", res.Rejected, st.checkpointSize(), head)
	}
}

// TestSealedForgotten: an incident shredded (its keys destroyed, the
// DataShredded recorded) before the notary judged its notices: the
// recipients, sealed under the incident's one key, all read "[forgotten on
// DATE, basis]" to the notary and compare equal, so the follow-up is
// accepted as its writer decided it on the plaintext; a notary without
// keys reads them the same and judges them too.
func TestSealedForgotten(t *testing.T) {
	for _, keys := range []bool{true, false} {
		t.Run(map[bool]string{true: "keys", false: "no keys"}[keys], func(t *testing.T) {
			st := newSealedTeam(t, true)
			st.write(st.alice, "", domain.GrantRole{By: st.by(st.alice), Grantee: "bob", Role: domain.RoleLegal})
			st.writeSealed(st.oscar, domain.DetectIncident{By: st.by(st.oscar), Source: domain.SourceOperatorEscalation, Summary: "a laptop of jane.roe@example.com", Role: domain.RoleBoth})
			st.writeSealed(st.bob, st.notice(st.bob, "dpo@cnil.example", domain.PhaseInitial))
			st.writeSealed(st.bob, st.notice(st.bob, "dpo@cnil.example", domain.PhaseIntermediate))
			infos, err := st.ks.List(st.ctx, incident)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, in := range infos {
				ids = append(ids, in.ID)
			}
			shred := st.writeSealed(st.bob, domain.ShredData{By: st.by(st.bob), Basis: domain.ShredErasureRequest, Reason: "the data subject asked", KeyIDs: ids})
			if err := st.ks.Destroy(st.ctx, shred.Records[0].ID.String(), ids...); err != nil {
				t.Fatal(err)
			}
			o := st.opener
			if !keys {
				o = nil
			}
			n, err := notary.New(st.ctx, st.st, st.notaryKey, notary.Options{Opener: o})
			if err != nil {
				t.Fatal(err)
			}
			if res := st.step(n); len(res.Rejected) != 0 || st.checkpointSize() != st.head() {
				t.Errorf("rejected %v, checkpoint of %d; want nothing rejected, the whole log (%d) covered", res.Rejected, st.checkpointSize(), st.head())
			}
		})
	}
}

// TestSealedForgeries: what a notary judges without opening a value. A
// value that does not open with the key it names (here a recipient copied
// from an earlier notice, whose associated data names that notice) is
// rejected by rule sealed-value-invalid; an append whose signature fails is rejected on it even
// when its sealed value does not open for the notary: a forged row cannot
// stop the notary.
func TestSealedForgeries(t *testing.T) {
	st := newSealedTeam(t, true)
	st.writeSealed(st.oscar, domain.DetectIncident{By: st.by(st.oscar), Source: domain.SourceOperatorEscalation, Summary: "a laptop of jane.roe@example.com", Role: domain.RoleBoth})
	initial := st.writeSealed(st.bob, st.notice(st.bob, "dpo@cnil.example", domain.PhaseInitial)).Records[0]
	n, err := notary.New(st.ctx, st.st, st.notaryKey, notary.Options{Opener: st.opener})
	if err != nil {
		t.Fatal(err)
	}
	st.step(n)

	// The initial notice's sealed recipient, copied into a follow-up.
	e, err := domain.Decode(initial.Type, initial.Payload)
	if err != nil {
		t.Fatal(err)
	}
	copied := e.(domain.NotificationSent)
	copied.Phase = domain.PhaseIntermediate
	moved := st.appendRaw(st.signWith(st.bob.signer, st.forged(domain.IncidentStream(incident), st.bob.name, st.bob.fp, copied)))
	if res := st.step(n); len(res.Rejected) != 1 || res.Rejected[0].Rule != "sealed-value-invalid" {
		t.Fatalf("a recipient moved from another notice: rejected %v, want one by rule sealed-value-invalid", res.Rejected)
	}
	st.step(n) // covers the rejection
	st.checkRejected(moved, "sealed-value-invalid")

	// Sealed under a key the notary's store does not hold, and signed by
	// oscar as bob: rejected on the signature, not left unjudged.
	other, err := keystore.New(st.ctx, filepath.Join(t.TempDir(), "other.db"), keystore.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	sealedElsewhere := func() []eventstore.Record {
		recs := st.forged(domain.IncidentStream(incident), st.bob.name, st.bob.fp, domain.NotificationSent{RecipientKind: domain.RecipientAuthority,
			Recipient: "dpo@cnil.example", Channel: domain.ChannelPortal, Phase: domain.PhaseIntermediate})
		if err := ledger.SealRecord(st.ctx, other, incident, &recs[0]); err != nil {
			t.Fatal(err)
		}
		return recs
	}
	badSig := st.appendRaw(st.signWith(st.oscar.signer, sealedElsewhere()))
	res, err := n.Step(st.ctx)
	if err != nil || len(res.Rejected) != 1 || res.Rejected[0].Rule != "signature-invalid" {
		t.Fatalf("a badly signed append holding a value the notary cannot open: %v, rejected %v; want one rejected by rule signature-invalid", err, res.Rejected)
	}
	st.step(n)
	st.checkRejected(badSig, "signature-invalid")
	if st.checkpointSize() != st.head() {
		t.Errorf("the checkpoint covers %d events, want the whole log (%d)", st.checkpointSize(), st.head())
	}

	// The same, well signed: the notary cannot tell what bob decided on.
	unread := st.appendRaw(st.signWith(st.bob.signer, sealedElsewhere()))
	if _, err := n.Step(st.ctx); !errors.Is(err, notary.ErrCannotOpen) || !strings.Contains(err.Error(), fmt.Sprintf("sequence %d", unread[0].Sequence)) {
		t.Errorf("a signed append sealed with a key the notary does not have: %v, want ErrCannotOpen naming sequence %d", err, unread[0].Sequence)
	}
}

// TestSealedForgottenStillJudged: leaving forgotten values aside hides no
// other difference. A stage change written around the CLI, from a stage
// the incident is not in, then its incident shredded before the notary
// judged either: the detection is accepted (its summary and the rules' own
// texts forgotten), and the stage change rejected by
// not-what-the-rules-decide, naming field from, though its reason is
// forgotten.
func TestSealedForgottenStillJudged(t *testing.T) {
	st := newSealedTeam(t, true)
	st.write(st.alice, "", domain.GrantRole{By: st.by(st.alice), Grantee: "bob", Role: domain.RoleLegal})
	st.writeSealed(st.oscar, domain.DetectIncident{By: st.by(st.oscar), Source: domain.SourceOperatorEscalation, Summary: "a laptop of jane.roe@example.com", Role: domain.RoleBoth})
	forged := st.forged(domain.IncidentStream(incident), st.oscar.name, st.oscar.fp,
		domain.StageChanged{From: domain.StageDiagnose, To: domain.StageAssess, Reason: "jane.roe@example.com called"})
	if err := ledger.SealRecord(st.ctx, st.ks, incident, &forged[0]); err != nil {
		t.Fatal(err)
	}
	forged = st.appendRaw(st.signWith(st.oscar.signer, forged))

	infos, err := st.ks.List(st.ctx, incident)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, in := range infos {
		ids = append(ids, in.ID)
	}
	shred := st.writeSealed(st.bob, domain.ShredData{By: st.by(st.bob), Basis: domain.ShredErasureRequest, Reason: "the data subject asked", KeyIDs: ids})
	if err := st.ks.Destroy(st.ctx, shred.Records[0].ID.String(), ids...); err != nil {
		t.Fatal(err)
	}

	n, err := notary.New(st.ctx, st.st, st.notaryKey, notary.Options{Opener: st.opener})
	if err != nil {
		t.Fatal(err)
	}
	res := st.step(n)
	if len(res.Rejected) != 1 || res.Rejected[0].Seqs[0] != forged[0].Sequence || res.Rejected[0].Rule != domain.RuleNotDecided ||
		!strings.Contains(res.Rejected[0].Err.Error(), "field from") {
		t.Errorf("rejected %v, want the forged stage change (sequence %d) alone, by %s naming field from", res.Rejected, forged[0].Sequence, domain.RuleNotDecided)
	}
}

// TestSealedPending: a writer judges the appends pending before it as the
// notary will (ledger.Writer.Judge). PendingJudge, opening with the
// writer's keys, refuses a pending follow-up to another recipient and
// accepts the honest ones; PendingJudge without keys, refuses none
// of them: what it cannot read counts, for the notary to judge.
func TestSealedPending(t *testing.T) {
	st := newSealedTeam(t, true)
	covered := st.head()
	st.writeSealed(st.oscar, domain.DetectIncident{By: st.by(st.oscar), Source: domain.SourceOperatorEscalation, Summary: "a laptop of jane.roe@example.com", Role: domain.RoleBoth})
	st.writeSealed(st.bob, st.notice(st.bob, "dpo@cnil.example", domain.PhaseInitial))
	st.writeSealed(st.bob, st.notice(st.bob, "dpo@cnil.example", domain.PhaseIntermediate))
	forged := st.forgedNotice("dpo@other.example", domain.PhaseFinal)

	all, err := st.st.ReadAll(st.ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var before, pending []eventstore.Record
	for _, r := range all {
		if r.Sequence < covered {
			before = append(before, r)
		} else {
			pending = append(pending, r)
		}
	}
	counts := func(uint64) bool { return true }
	if got, want := notary.PendingJudge(st.ctx, st.opener)(before, pending, counts), map[uint64]bool{forged[0].Sequence: true}; !cmp.Equal(got, want) {
		t.Errorf("PendingJudge with the keys refuses %v, want %v (the forged notice alone)", got, want)
	}
	if got := notary.PendingJudge(context.Background(), nil)(before, pending, counts); len(got) != 0 {
		t.Errorf("PendingJudge without keys refuses %v, want nothing (what it cannot read counts)", got)
	}
}
