package notary_test

import (
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/notary"
)

// TestAudit: a notary that its key makes trusted but that does not follow
// the rules is caught by Audit, which judges again without its key: an
// append the rules refuse that it checkpointed anyway, and an honest
// append it rejected. Plain verify, which checks signatures and
// checkpoints, finds nothing wrong with either (the notary signed them).
func TestAudit(t *testing.T) {
	tm := newTeam(t)
	tm.detect()
	n := tm.notary()
	tm.step(n)
	if got, err := notary.Audit(tm.ctx, tm.st, tm.oldKey.Public()); err != nil || len(got) != 0 {
		t.Fatalf("Audit of an honest notary's ledger = %v, %v; want nothing", got, err)
	}
	// The compromised notary checkpoints a token a responder issued
	// himself (signed with his own key: only the rules refuse it)...
	forged := tm.appendRaw(tm.signWith(tm.oscar.signer, tm.forged(domain.LedgerStream, "oscar", tm.oscar.fp,
		domain.APITokenIssued{Token: "T1", Name: "backdoor", SHA256: "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4"})))
	// ...and rejects an honest note of bob's, signing the rejection with
	// its own key.
	honest := tm.note(tm.bob, "an honest note")
	rej := ledger.RejectionOf(honest)
	rej.Rule = "signature-invalid"
	rej.Reason = "not true"
	s, err := tm.notaryKey.SSHSigner()
	if err != nil {
		t.Fatal(err)
	}
	tm.appendRaw(tm.signWith(s, tm.forged(domain.LedgerStream, "notary", tm.notaryFP, rej)))
	if _, err := (ledger.Checkpointer{Store: tm.st, Key: tm.notaryKey}).Seal(tm.ctx, tm.head()); err != nil {
		t.Fatal(err)
	}
	rep, err := ledger.VerifyWith(tm.ctx, tm.st, tm.oldKey.Public(), ledger.VerifyOptions{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		if p.Seq == forged[0].Sequence {
			t.Errorf("plain verify already names the checkpointed forgery (%v): this test needs one only the rules refuse", p)
		}
	}
	got, err := notary.Audit(tm.ctx, tm.st, tm.oldKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint64]string{forged[0].Sequence: "accepted-refused", honest.Sequence: "rejected-accepted"}
	if len(got) != len(want) {
		t.Fatalf("Audit = %v, want %v", got, want)
	}
	for _, p := range got {
		if want[p.Seq] != p.What {
			t.Errorf("Audit: seq %d is %q, want %q (%s)", p.Seq, p.What, want[p.Seq], p.Detail)
		}
	}
}
