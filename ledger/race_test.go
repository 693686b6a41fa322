package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/testsupport"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// The revocation race, as an attack: a writer reads the ledger stream
// (oscar may detect incidents, with his key), and before its append lands
// another process revokes oscar's key, or his role. The stores below land
// that revocation inside the writer's append call, before passing it on:
// between the writer's read and its append, deterministically.

var raceAt = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// actorKey is an actor's SSH key.
type actorKey struct {
	name   string
	signer ssh.Signer
	fp     string
}

func newActorKey(tb testing.TB, name string) actorKey {
	tb.Helper()
	s := testsupport.NewSSHSigner(tb)
	return actorKey{name: name, signer: s, fp: integrity.Fingerprint(s.PublicKey())}
}

func (k actorKey) by() domain.By { return domain.By{Actor: k.name, At: raceAt, Signer: k.fp} }

// raceLedger is a signed ledger: alice its admin, oscar a responder with
// a registered key.
type raceLedger struct {
	st           eventstore.Store
	key          *integrity.LedgerKey
	alice, oscar actorKey
}

func newRaceLedger(t *testing.T, st eventstore.Store) *raceLedger {
	t.Helper()
	ctx := context.Background()
	l := &raceLedger{st: st, alice: newActorKey(t, "alice"), oscar: newActorKey(t, "oscar")}
	// The first append makes the origin the ledger key is made for.
	res, err := ledger.Writer{Store: st, Sign: l.alice.sign}.Execute(ctx, "", domain.InitLedger{By: l.alice.by(), Name: "Race",
		AdminKey: integrity.AuthorizedKey(l.alice.signer.PublicKey()), AdminFingerprint: l.alice.fp}, raceAt)
	if err != nil {
		t.Fatal(err)
	}
	l.key = keyAndCheckpoint(t, st, res.Records)
	l.must(t, st, l.alice, "", domain.GrantRole{By: l.alice.by(), Grantee: "oscar", Role: domain.RoleResponder})
	l.must(t, st, l.alice, "", domain.RegisterSigner{By: l.alice.by(), Actor: "oscar", Key: integrity.AuthorizedKey(l.oscar.signer.PublicKey()), Fingerprint: l.oscar.fp})
	return l
}

func (k actorKey) sign(env []byte) ([]byte, error) { return integrity.SignEnvelope(env, k.signer) }

// exec runs c as k on st, as the CLI does: the checkpoint in the append
// where the store can, else right after it.
func (l *raceLedger) exec(st eventstore.Store, k actorKey, incident string, c domain.Command) (ledger.Result, error) {
	ctx := context.Background()
	cp := &ledger.Checkpointer{Store: st, Key: l.key}
	res, err := ledger.Writer{Store: st, Sign: k.sign, Checkpointer: cp}.Execute(ctx, incident, c, raceAt)
	if err == nil && res.Checkpoint == nil {
		_, err = cp.Checkpoint(ctx, res.Records)
	}
	return res, err
}

func (l *raceLedger) must(t *testing.T, st eventstore.Store, k actorKey, incident string, c domain.Command) ledger.Result {
	t.Helper()
	res, err := l.exec(st, k, incident, c)
	if err != nil {
		t.Fatalf("%T by %s: %v", c, k.name, err)
	}
	return res
}

// racer lands a revocation once, before the first append to another
// stream than the ledger's goes on.
type racer struct {
	once   sync.Once
	revoke func()
}

func (r *racer) before(stream string) {
	if stream != domain.LedgerStream {
		r.once.Do(r.revoke)
	}
}

// hooked is a store whose Append calls before with the stream as it
// begins, then appends: what before does (a racer's revocation, a
// signal's cancel) lands between the writer's read and its append. Wrap it
// in a twoStep for a store that checkpoints after the append
// (EventStoreDB).
type hooked struct {
	eventstore.Store
	before func(stream string)
}

func (s hooked) Append(ctx context.Context, stream string, exp eventstore.Expected, recs []eventstore.Record) ([]eventstore.Record, error) {
	s.before(stream)
	return s.Store.Append(ctx, stream, exp, recs)
}

// hookedSQLite is hooked for every append of a SQLite store, which
// checkpoints and checks a condition in its append.
type hookedSQLite struct {
	*sqlite.Store
	before func(stream string)
}

func (s hookedSQLite) Append(ctx context.Context, stream string, exp eventstore.Expected, recs []eventstore.Record) ([]eventstore.Record, error) {
	s.before(stream)
	return s.Store.Append(ctx, stream, exp, recs)
}

func (s hookedSQLite) AppendCheckpointed(ctx context.Context, stream string, exp eventstore.Expected, recs []eventstore.Record, sign eventstore.SignFunc) ([]eventstore.Record, eventstore.Checkpoint, error) {
	s.before(stream)
	return s.Store.AppendCheckpointed(ctx, stream, exp, recs, sign)
}

func (s hookedSQLite) AppendIf(ctx context.Context, stream string, exp eventstore.Expected, recs []eventstore.Record, cond eventstore.Condition) ([]eventstore.Record, error) {
	s.before(stream)
	return s.Store.AppendIf(ctx, stream, exp, recs, cond)
}

func (s hookedSQLite) AppendCheckpointedIf(ctx context.Context, stream string, exp eventstore.Expected, recs []eventstore.Record, cond eventstore.Condition, sign eventstore.SignFunc) ([]eventstore.Record, eventstore.Checkpoint, error) {
	s.before(stream)
	return s.Store.AppendCheckpointedIf(ctx, stream, exp, recs, cond, sign)
}

var _ eventstore.ConditionalAppender = hookedSQLite{}

// revocations are the two ways oscar loses the right to detect: his key,
// or his role.
func revocations(l *raceLedger) map[string]domain.Command {
	return map[string]domain.Command{
		"key revoked":  domain.RevokeSigner{By: l.alice.by(), Actor: "oscar", Fingerprint: l.oscar.fp, Reason: "laptop stolen"},
		"role revoked": domain.RevokeRole{By: l.alice.by(), Grantee: "oscar", Role: domain.RoleResponder, Reason: "left the team"},
	}
}

func detect(l *raceLedger) domain.Command {
	return domain.DetectIncident{By: l.oscar.by(), Source: domain.SourceOperatorEscalation, Summary: "raced detection", Role: domain.RoleBoth}
}

// TestRevocationRaceSQLite: on a store that checks the ledger stream in the
// append's own transaction, the write decided before the revocation does
// not land: the writer reads again, decides again and is refused by the
// rules. Nothing of oscar's is in the ledger, which verifies.
func TestRevocationRaceSQLite(t *testing.T) {
	for name := range revocations(&raceLedger{}) {
		t.Run(name, func(t *testing.T) {
			raw := openLedger(t)
			l := newRaceLedger(t, raw)
			revoke := revocations(l)[name]
			r := &racer{revoke: func() { l.must(t, raw, l.alice, "", revoke) }}
			st := hookedSQLite{Store: raw, before: r.before}
			ctx := context.Background()
			before, _ := raw.Head(ctx)

			_, err := l.exec(st, l.oscar, "INC1", detect(l))
			var re *domain.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("oscar's detection, decided before %s landed: error %v, want a refusal by a rule (the writer decides again on the ledger as it is)", name, err)
			}
			t.Logf("refused after the race: %v", err)
			if head, _ := raw.Head(ctx); head != before+1 {
				t.Errorf("the ledger went from %d to %d events, want only the revocation added", before, head)
			}
			h, err := ledger.ReadHistory(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			if len(h.Incidents) != 0 || len(h.Raced) != 0 {
				t.Errorf("incidents %v, raced %v: want none", h.IncidentIDs(), h.Raced)
			}
			rep, err := ledger.Verify(ctx, raw, l.key.Public(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() || len(rep.Raced) != 0 {
				t.Errorf("verify: problems %v, raced %v; want intact, no race", rep.Problems, rep.Raced)
			}
		})
	}
}

// TestRevocationRaceESDB: on EventStoreDB, which cannot condition an append
// on another stream, the write decided before the revocation lands, with
// the ledger revision it was decided on. No reader counts it: not the
// history, not a stream read, not the next writer, not the kept read
// models; and verify exits intact, naming it as raced ("decided at ledger
// revision N, revoked at N+1"), not as tampering.
func TestRevocationRaceESDB(t *testing.T) {
	for name := range revocations(&raceLedger{}) {
		t.Run(name, func(t *testing.T) {
			srv := esdbtest.Start(t, esdbtest.Options{})
			ctx := context.Background()
			raw, err := esdb.Open(ctx, srv.URL(), esdb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
			l := newRaceLedger(t, raw)
			revoke := revocations(l)[name]
			var revocation eventstore.Record
			r := &racer{revoke: func() { revocation = l.must(t, raw, l.alice, "", revoke).Records[0] }}
			st := twoStep{Store: hooked{Store: raw, before: r.before}, CheckpointStore: raw}

			res, err := l.exec(st, l.oscar, "INC1", detect(l))
			if err != nil {
				t.Fatalf("oscar's detection: %v (EventStoreDB appends it: it cannot check the ledger stream in the append)", err)
			}
			raced := res.Records[0]
			if raced.Sequence <= revocation.Sequence || raced.Basis != revocation.Revision {
				t.Fatalf("the detection landed at seq %d with basis %d; the revocation at seq %d, ledger revision %d: not the race this test stages",
					raced.Sequence, raced.Basis, revocation.Sequence, revocation.Revision)
			}

			// No reader counts it.
			h, err := ledger.ReadHistory(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			if len(h.Incidents) != 0 {
				t.Errorf("ReadHistory: incidents %v, want none (the raced detection does not count)", h.IncidentIDs())
			}
			if len(h.Raced) != len(res.Records) {
				t.Errorf("ReadHistory: %d raced facts, want the %d of oscar's append", len(h.Raced), len(res.Records))
			}
			for i, rf := range h.Raced {
				if i >= len(res.Records) || rf.Fact.ID != res.Records[i].ID.String() || rf.Race.RevokedBy != revocation.ID.String() {
					t.Errorf("ReadHistory: raced %+v, want %s, lost to %s", rf, res.Records[min(i, len(res.Records)-1)].ID, revocation.ID)
				}
			}
			facts, err := ledger.ReadStream(ctx, raw, domain.IncidentStream("INC1"))
			if err != nil || len(facts) != 0 {
				t.Errorf("ReadStream(INC1) = %d facts (%v), want none", len(facts), err)
			}
			_, err = l.exec(raw, l.alice, "INC1", domain.AddNote{By: l.alice.by(), Text: "on the raced incident"})
			var nf *domain.NotFoundError
			if !errors.As(err, &nf) {
				t.Errorf("a note on the incident only the raced detection made: error %v, want not found (the writer does not decide on it)", err)
			}
			kept, err := readmodel.Open(ctx, raw, filepath.Join(t.TempDir(), "cache.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer kept.Close()
			if _, err := kept.CatchUp(ctx, raceAt.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			page, err := kept.List(ctx, raceAt.Add(time.Hour), false, readmodel.Page{}, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Incidents) != 0 {
				t.Errorf("kept read models list %d incidents, want none", len(page.Incidents))
			}

			// verify: intact, the race named.
			rep, err := ledger.Verify(ctx, raw, l.key.Public(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Errorf("verify: %v; want intact (a race, not tampering)", rep.Problems)
			}
			want := fmt.Sprintf("decided at ledger revision %d, revoked at %d", revocation.Revision-1, revocation.Revision)
			if len(rep.Raced) != len(res.Records) {
				t.Errorf("verify: %d raced events, want the %d of oscar's append: %v", len(rep.Raced), len(res.Records), rep.Raced)
			}
			for i, p := range rep.Raced {
				if i >= len(res.Records) || p.EventID != res.Records[i].ID.String() || !strings.Contains(p.Detail, want) || !strings.Contains(p.Detail, revocation.ID.String()) {
					t.Errorf("verify raced %v, want event %s: %q, by %s", p, res.Records[min(i, len(res.Records)-1)].ID, want, revocation.ID)
				}
			}
			if rep.Signed != int(rep.Events) {
				t.Errorf("verify: %d of %d events signed, want all (the raced ones too: their key was valid when they were decided)", rep.Signed, rep.Events)
			}

			// A report's provenance footer names it, left out.
			_, prov, err := ledger.ReadCheckpointed(ctx, raw, 0, l.key.Public(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(prov.Raced) != len(res.Records) || !strings.Contains(prov.Raced[0], res.Records[0].ID.String()) || !strings.Contains(prov.Raced[0], want) {
				t.Errorf("report provenance: raced %q, want the %d of oscar's append: %q", prov.Raced, len(res.Records), want)
			}

			// An auditor's bundle says the same, offline.
			b, err := ledger.ExportBundle(ctx, raw, l.key.Public(), ledger.BundleSelection{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			brep, bh, err := ledger.VerifyBundle(b, l.key.Public(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !brep.OK() || len(brep.Raced) != len(res.Records) || len(bh.Incidents) != 0 {
				t.Errorf("verify --bundle: problems %v, raced %v, incidents %v; want intact, %d raced, no incident", brep.Problems, brep.Raced, bh.IncidentIDs(), len(res.Records))
			}
		})
	}
}

// newSwitchingLedger is a ledger made unsigned, as before signed mode:
// alice its admin with a registered key, oscar a responder without one.
func newSwitchingLedger(t *testing.T, st eventstore.Store) *raceLedger {
	t.Helper()
	ctx := context.Background()
	l := &raceLedger{st: st, alice: newActorKey(t, "alice"), oscar: newActorKey(t, "oscar")}
	unsigned := domain.By{Actor: "alice", At: raceAt}
	res, err := ledger.Writer{Store: st}.Execute(ctx, "", domain.InitLedger{By: unsigned, Name: "Switching", Unsigned: true}, raceAt)
	if err != nil {
		t.Fatal(err)
	}
	l.key = keyAndCheckpoint(t, st, res.Records)
	l.must(t, st, actorKey{name: "alice"}, "", domain.RegisterSigner{By: unsigned, Actor: "alice", Key: integrity.AuthorizedKey(l.alice.signer.PublicKey()), Fingerprint: l.alice.fp})
	l.must(t, st, l.alice, "", domain.GrantRole{By: l.alice.by(), Grantee: "oscar", Role: domain.RoleResponder})
	return l
}

// TestPolicyRace: an unsigned write decided before the ledger is switched
// to signed mode, appended after the switch. On SQLite it is refused when
// decided again (signature-required); on EventStoreDB it lands and never
// counts, and verify is intact, naming it (before, verify failed:
// signature-required, for good).
func TestPolicyRace(t *testing.T) {
	switchOn := func(l *raceLedger) domain.Command {
		return domain.SetSignaturePolicy{By: l.alice.by(), All: true, Reason: "signed mode"}
	}
	unsignedDetect := domain.DetectIncident{By: domain.By{Actor: "oscar", At: raceAt}, Source: domain.SourceOperatorEscalation, Summary: "unsigned", Role: domain.RoleBoth}
	t.Run("SQLite", func(t *testing.T) {
		raw := openLedger(t)
		l := newSwitchingLedger(t, raw)
		r := &racer{revoke: func() { l.must(t, raw, l.alice, "", switchOn(l)) }}
		st := hookedSQLite{Store: raw, before: r.before}
		_, err := l.exec(st, actorKey{name: "oscar"}, "INC1", unsignedDetect)
		var re *domain.RuleError
		if !errors.As(err, &re) || re.Rule != "signature-required" {
			t.Fatalf("oscar's unsigned detection, decided before the switch: error %v, want refused by rule signature-required", err)
		}
		rep, err := ledger.Verify(context.Background(), raw, l.key.Public(), nil)
		if err != nil || !rep.OK() || len(rep.Raced) != 0 {
			t.Errorf("verify: %v, problems %v, raced %v; want intact, no race", err, rep.Problems, rep.Raced)
		}
	})
	t.Run("ESDB", func(t *testing.T) {
		srv := esdbtest.Start(t, esdbtest.Options{})
		ctx := context.Background()
		raw, err := esdb.Open(ctx, srv.URL(), esdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		l := newSwitchingLedger(t, raw)
		var policy eventstore.Record
		r := &racer{revoke: func() { policy = l.must(t, raw, l.alice, "", switchOn(l)).Records[0] }}
		st := twoStep{Store: hooked{Store: raw, before: r.before}, CheckpointStore: raw}
		res, err := l.exec(st, actorKey{name: "oscar"}, "INC1", unsignedDetect)
		if err != nil {
			t.Fatalf("oscar's unsigned detection: %v (EventStoreDB appends it)", err)
		}
		h, err := ledger.ReadHistory(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Incidents) != 0 || len(h.Raced) != len(res.Records) {
			t.Errorf("ReadHistory: incidents %v, %d raced; want none, %d raced", h.IncidentIDs(), len(h.Raced), len(res.Records))
		}
		rep, err := ledger.Verify(ctx, raw, l.key.Public(), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("decided at ledger revision %d, unsigned; the signature policy was set again at %d", policy.Revision-1, policy.Revision)
		if !rep.OK() || len(rep.Raced) != len(res.Records) || !strings.Contains(rep.Raced[0].Detail, want) {
			t.Errorf("verify: problems %v, raced %v; want intact, %d raced: %q", rep.Problems, rep.Raced, len(res.Records), want)
		}
	})
}
