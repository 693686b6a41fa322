package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
)

// Unsigned amendments of signed facts, as an attack: breachledger refuses
// an unsigned event that corrects, replaces or withdraws a signed fact
// (rules correction-unsigned, supersede-unsigned), on any ledger. An
// insider who appends one around it (a writer that skips the domain's
// rules, with the ledger's ordinary checkpointing) must not get past
// verify: every reader would count it.

// amendLedger is a ledger not in signed mode (made with init --unsigned):
// alice, its admin, holds a registered key and the roles to detect,
// classify and declare; ivy is a security incident manager without a key.
// alice has detected INC1, assessed it, classified it a privacy breach and declared it,
// each signed.
type amendLedger struct {
	*raceLedger
	decl, class eventstore.Record
}

func newAmendLedger(t *testing.T, st eventstore.Store) *amendLedger {
	t.Helper()
	l := &amendLedger{raceLedger: newSwitchingLedger(t, st)}
	for _, grantee := range []string{"alice", "ivy"} {
		l.must(t, st, l.alice, "", domain.GrantRole{By: l.alice.by(), Grantee: grantee, Role: domain.RoleSecurityIncidentManager})
	}
	l.must(t, st, l.alice, "INC1", domain.DetectIncident{By: l.alice.by(), Source: domain.SourceOperatorEscalation, Summary: "bulk read", Role: domain.RoleBoth})
	l.must(t, st, l.alice, "INC1", domain.AssessIncident{By: l.alice.by(), FunctionalImpact: domain.FunctionalMedium, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoPrivacy})
	l.class = l.must(t, st, l.alice, "INC1", domain.ClassifyIncident{By: l.alice.by(), Classification: domain.ClassPrivacyBreach}).Records[0]
	l.decl = l.must(t, st, l.alice, "INC1", domain.DeclareCRSPI{By: l.alice.by(), Basis: domain.BasisEvidence, Reasoning: "logs"}).Records[0]
	return l
}

// around appends e to INC1 as actor, unsigned, without asking the domain:
// checkpointed as breachledger's own writers checkpoint (in the append on
// SQLite; right after it on EventStoreDB, where a checkpoint covers
// another writer's recent record).
func around(t *testing.T, l *raceLedger, actor string, e domain.Event) eventstore.Record {
	t.Helper()
	ctx := context.Background()
	typ, payload, err := domain.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	stream := domain.IncidentStream("INC1")
	recs, err := l.st.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := eventstore.Record{ID: id, Stream: stream, Type: typ, OccurredAt: raceAt, Actor: actor, Payload: payload}
	cp := ledger.Checkpointer{Store: l.st, Key: l.key}
	stored, done, err := cp.Append(ctx, stream, eventstore.After(uint64(len(recs))), []eventstore.Record{rec})
	if err != nil {
		t.Fatal(err)
	}
	if done == nil {
		if _, err := cp.Checkpoint(ctx, stored); err != nil {
			t.Fatal(err)
		}
	}
	return stored[0]
}

// TestUnsignedAmendmentVerify: an unsigned correction of a signed
// declaration, or an unsigned reclassification over a signed
// classification, appended around breachledger on SQLite or on the
// EventStoreDB test server, fails verify (and the verification of an
// auditor's bundle), naming the event, its sequence, the signed fact it
// amends and the rule. The same amendment signed, or an unsigned event
// that amends nothing signed, leaves the ledger intact. (Before verify
// judged these rules, every case verified intact.)
func TestUnsignedAmendmentVerify(t *testing.T) {
	stores := map[string]func(t *testing.T) eventstore.Store{
		"SQLite": func(t *testing.T) eventstore.Store { return openLedger(t) },
		"ESDB": func(t *testing.T) eventstore.Store {
			srv := esdbtest.Start(t, esdbtest.Options{})
			st, err := esdb.Open(context.Background(), srv.URL(), esdb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
	}
	newAt := raceAt.Add(-24 * time.Hour)
	// Through breachledger the time cannot move (every fact of this ledger
	// is at raceAt, now: earlier is before the detection, later in the
	// future), so the corrections the writer decides change the reasoning.
	reworded := []domain.FieldChange{{Field: "reasoning", Value: "logs and the SOC ticket"}}
	tests := []struct {
		name string
		// amend records the amendment and returns it with the signed fact
		// it amends; rule is the rule verify must name, "" for intact.
		amend func(t *testing.T, l *amendLedger) (amendment, amended eventstore.Record)
		rule  string
	}{
		{"unsigned correction of the signed declaration", func(t *testing.T, l *amendLedger) (eventstore.Record, eventstore.Record) {
			// ivy may correct a declaration, but only signed: the writer refuses.
			_, err := l.exec(l.st, actorKey{name: "ivy"}, "INC1", domain.CorrectEvent{By: domain.By{Actor: "ivy", At: raceAt}, Target: l.decl.ID.String(), Changes: reworded, Reason: "moves the customer clock a day"})
			var re *domain.RuleError
			if !errors.As(err, &re) || re.Rule != "correction-unsigned" {
				t.Fatalf("ivy's unsigned correction through breachledger: %v, want refused by rule correction-unsigned", err)
			}
			return around(t, l.raceLedger, "ivy", domain.EventCorrected{Target: l.decl.ID.String(), TargetType: "CRSPIDeclared", At: newAt,
				Replacement: domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "logs"}, Changed: []string{"at"}, Reason: "moves the customer clock a day"}), l.decl
		}, "correction-unsigned"},
		{"unsigned reclassification over the signed classification", func(t *testing.T, l *amendLedger) (eventstore.Record, eventstore.Record) {
			return around(t, l.raceLedger, "ivy", domain.IncidentClassified{Classification: domain.ClassFalsePositive, RootCause: "waives the clocks"}), l.class
		}, "supersede-unsigned"},
		{"signed correction of the signed declaration", func(t *testing.T, l *amendLedger) (eventstore.Record, eventstore.Record) {
			res := l.must(t, l.st, l.alice, "INC1", domain.CorrectEvent{By: l.alice.by(), Target: l.decl.ID.String(), Changes: reworded, Reason: "typo"})
			return res.Records[0], l.decl
		}, ""},
		{"unsigned note after signed facts", func(t *testing.T, l *amendLedger) (eventstore.Record, eventstore.Record) {
			return around(t, l.raceLedger, "ivy", domain.NoteAdded{Text: "amends nothing"}), eventstore.Record{}
		}, ""},
	}
	for sname, open := range stores {
		for _, tt := range tests {
			t.Run(sname+"/"+tt.name, func(t *testing.T) {
				ctx := context.Background()
				l := newAmendLedger(t, open(t))
				amendment, amended := tt.amend(t, l)

				rep, err := ledger.Verify(ctx, l.st, l.key.Public(), nil)
				if err != nil {
					t.Fatal(err)
				}
				b, err := ledger.ExportBundle(ctx, l.st, l.key.Public(), ledger.BundleSelection{Incident: "INC1"}, nil)
				if err != nil {
					t.Fatal(err)
				}
				brep, _, err := ledger.VerifyBundle(b, l.key.Public(), nil)
				if err != nil {
					t.Fatal(err)
				}
				for what, rep := range map[string]*integrity.Report{"verify": rep, "verify --bundle": brep} {
					if tt.rule == "" {
						if !rep.OK() {
							t.Errorf("%s: %v, want intact", what, rep.Problems)
						}
						continue
					}
					if len(rep.Problems) != 1 {
						t.Fatalf("%s: %d problems %v, want 1: the amendment", what, len(rep.Problems), rep.Problems)
					}
					p := rep.Problems[0]
					t.Logf("%s: %s", what, p)
					if p.Seq != amendment.Sequence || p.EventID != amendment.ID.String() {
						t.Errorf("%s: problem at seq %d, event %s; want the amendment's, seq %d, event %s", what, p.Seq, p.EventID, amendment.Sequence, amendment.ID)
					}
					for _, want := range []string{"rule " + tt.rule, amended.ID.String(), fmt.Sprintf("%s at seq %d", amended.Type, amended.Sequence), "ivy did not sign"} {
						if !strings.Contains(p.Detail, want) {
							t.Errorf("%s: %q, want it to say %q", what, p.Detail, want)
						}
					}
				}
			})
		}
	}
}

// TestUnsignedAmendmentSignedMode: in signed mode an unsigned event fails
// verify by rule signature-required already; an unsigned correction of a
// signed fact is named by both rules, in one problem.
func TestUnsignedAmendmentSignedMode(t *testing.T) {
	ctx := context.Background()
	st := openLedger(t)
	l := newRaceLedger(t, st)
	det := l.must(t, st, l.oscar, "INC1", detect(l)).Records[0]
	corr := around(t, l, "oscar", domain.EventCorrected{Target: det.ID.String(), TargetType: "IncidentDetected", At: raceAt.Add(-time.Hour),
		Replacement: domain.IncidentDetected{Source: domain.SourceOperatorEscalation, Summary: "raced detection", Role: domain.RoleBoth, AwareAt: raceAt.Add(-time.Hour)}, Changed: []string{"at"}, Reason: "unsigned"})
	rep, err := ledger.Verify(ctx, st, l.key.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].EventID != corr.ID.String() {
		t.Fatalf("verify: %v, want one problem, of the correction %s", rep.Problems, corr.ID)
	}
	for _, want := range []string{"rule signature-required", "rule correction-unsigned", det.ID.String()} {
		if !strings.Contains(rep.Problems[0].Detail, want) {
			t.Errorf("verify: %q, want it to say %q", rep.Problems[0].Detail, want)
		}
	}
}
