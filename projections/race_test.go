package projections_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/projections"
)

const (
	keyOscar = "SHA256:oscarOSCARoscarOSCARoscarOSCARoscarOSCARos"
	keyOther = "SHA256:otherOTHERotherOTHERotherOTHERotherOTHERot"
)

// raceLog is a log in which oscar's key is revoked at ledger revision 3
// (seq 4) and his responder role at revision 4 (seq 6).
func raceLog() []domain.Fact {
	ledger := func(seq, rev uint64, e domain.Event) domain.Fact {
		typ, _, _ := domain.Encode(e)
		return domain.Fact{ID: fmt.Sprintf("ev-%d", seq), Sequence: seq, Stream: domain.LedgerStream, Revision: rev, Type: typ, Actor: "alice", Basis: rev, Event: e}
	}
	return []domain.Fact{
		ledger(0, 0, domain.LedgerInitialized{Name: "t", Admin: "alice"}),
		ledger(1, 1, domain.RoleGranted{Actor: "oscar", Role: domain.RoleResponder}),
		ledger(2, 2, domain.SignerRegistered{Actor: "oscar", Key: "ssh-ed25519 AAAA", Fingerprint: keyOscar}),
		// seq 3: an incident event
		ledger(4, 3, domain.SignerRevoked{Actor: "oscar", Fingerprint: keyOscar, Reason: "laptop lost"}),
		// seq 5: an incident event
		ledger(6, 4, domain.RoleRevoked{Actor: "oscar", Role: domain.RoleResponder, Reason: "left"}),
		// seq 7: an incident event
		ledger(8, 5, domain.SignaturePolicySet{All: true, Reason: "signed mode"}),
	}
}

func note(seq, basis uint64, actor, signer string) domain.Fact {
	return domain.Fact{ID: fmt.Sprintf("ev-%d", seq), Sequence: seq, Stream: domain.IncidentStream("A"), Type: "NoteAdded", Actor: actor, Signer: signer, Basis: basis, Event: domain.NoteAdded{Text: "n"}}
}

func TestRacesJudge(t *testing.T) {
	keyRace := history.Race{Decided: 2, Revoked: 3, RevokedSeq: 4, RevokedBy: "ev-4", Type: "SignerRevoked", Key: keyOscar, Actor: "oscar"}
	roleRace := func(decided uint64) history.Race {
		return history.Race{Decided: decided, Revoked: 4, RevokedSeq: 6, RevokedBy: "ev-6", Type: "RoleRevoked", Role: domain.RoleResponder, Actor: "oscar"}
	}
	tests := []struct {
		name   string
		f      domain.Fact
		raced  bool
		want   history.Race
		substr string
	}{
		{name: "no basis recorded (an old event) never races", f: note(7, 0, "oscar", keyOscar)},
		{name: "decided before the key's revocation, landed after it", f: note(5, 3, "oscar", keyOscar), raced: true, want: keyRace,
			substr: "decided at ledger revision 2, revoked at 3 (oscar's key " + keyOscar + ", by event ev-4 at seq 4)"},
		{name: "decided before both revocations: the first in the log is named", f: note(7, 3, "oscar", keyOscar), raced: true, want: keyRace},
		{name: "landed before the revocation: not raced", f: note(3, 3, "oscar", keyOscar)},
		{name: "decided on the key's revocation: judged by the rules, not a race", f: note(5, 4, "oscar", keyOscar)},
		{name: "unsigned, decided before the role's revocation", f: note(7, 4, "oscar", ""), raced: true, want: roleRace(3),
			substr: "decided at ledger revision 3, revoked at 4 (oscar's role responder, by event ev-6 at seq 6)"},
		{name: "signed with another key, role revoked", f: note(7, 4, "oscar", keyOther), raced: true, want: roleRace(3)},
		{name: "decided on every revocation", f: note(7, 5, "oscar", keyOscar)},
		{name: "another actor is not concerned", f: note(7, 3, "ivy", keyOther)},
		{name: "unsigned, decided before the signature policy was set", f: note(9, 5, "ivy", ""), raced: true,
			want:   history.Race{Decided: 4, Revoked: 5, RevokedSeq: 8, RevokedBy: "ev-8", Type: "SignaturePolicySet", Actor: "alice"},
			substr: "decided at ledger revision 4, unsigned; the signature policy was set again at 5 (by alice, event ev-8 at seq 8)"},
		{name: "signed: a policy set since does not concern it", f: note(9, 5, "ivy", keyOther)},
		{name: "unsigned, decided on the policy", f: note(9, 6, "ivy", "")},
	}
	rs := history.RacesOf(raceLog())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, raced := rs.Judge(tt.f)
			if raced != tt.raced {
				t.Fatalf("Judge(seq %d, basis %d) raced = %v, want %v (%+v)", tt.f.Sequence, tt.f.Basis, raced, tt.raced, got)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Judge() race (-want +got):\n%s", diff)
			}
			if !strings.Contains(got.String(), tt.substr) {
				t.Errorf("String() = %q, want it to contain %q", got.String(), tt.substr)
			}
		})
	}
}

// A fact that lost a race is never in a history's views: it is set apart,
// whether the history is added in sequence order or a stream at a time.
func TestHistorySetsRacedFactsApart(t *testing.T) {
	log := raceLog()
	incident := []domain.Fact{
		{ID: "ev-3", Sequence: 3, Stream: domain.IncidentStream("A"), Revision: 0, Type: "IncidentDetected", Actor: "oscar", Signer: keyOscar, Basis: 3, Event: domain.IncidentDetected{Summary: "s"}},
		{ID: "ev-5", Sequence: 5, Stream: domain.IncidentStream("A"), Revision: 1, Type: "NoteAdded", Actor: "oscar", Signer: keyOscar, Basis: 3, Event: domain.NoteAdded{Text: "after the revocation"}},
	}
	inOrder := append(append(append([]domain.Fact{}, log[:3]...), incident[0], log[3]), append([]domain.Fact{incident[1]}, log[4:]...)...)
	byStream := append(append([]domain.Fact{}, log...), incident...)
	for name, facts := range map[string][]domain.Fact{"sequence order": inOrder, "ledger stream first": byStream} {
		t.Run(name, func(t *testing.T) {
			h := history.New()
			for _, f := range facts {
				h.Add(f)
			}
			var ids []string
			for _, f := range h.Incidents["A"] {
				ids = append(ids, f.ID)
			}
			if diff := cmp.Diff([]string{"ev-3"}, ids); diff != "" {
				t.Errorf("incident A's facts (-want +got):\n%s", diff)
			}
			if len(h.Raced) != 1 || h.Raced[0].Fact.ID != "ev-5" || h.Raced[0].Race.RevokedBy != "ev-4" {
				t.Errorf("Raced = %+v, want ev-5, lost to ev-4", h.Raced)
			}
			if got := len(h.Ledger); got != len(log) {
				t.Errorf("%d ledger facts, want %d", got, len(log))
			}
		})
	}
}

// TestRaceNotesInReports: a report's provenance footer names each event
// left out because it lost a revocation race, in every format, as it
// names rejected records (the line written out by hand).
func TestRaceNotesInReports(t *testing.T) {
	det := domain.Fact{ID: "ev-3", Sequence: 3, Stream: domain.IncidentStream("A"), Type: "IncidentDetected", Actor: "oscar", Signer: keyOscar, Basis: 3,
		At: at("2025-03-07T21:40:00Z"), Event: domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "bulk read", AwareAt: at("2025-03-07T21:40:00Z"), Role: domain.RoleBoth}}
	h := history.New()
	log := raceLog()
	for _, f := range append(log[:3:3], det, log[3], note(5, 3, "oscar", keyOscar)) {
		h.Add(f)
	}
	if len(h.Raced) != 1 {
		t.Fatalf("raced %v, want the note at seq 5", h.Raced)
	}
	want := `Sequence 5 (event ev-5, "NoteAdded" by "oscar" in "` + domain.IncidentStream("A") + `") lost a revocation race: decided at ledger revision 2, revoked at 3 (oscar's key ` + keyOscar + `, by event ev-4 at seq 4). It never counts, and is left out of this report.`
	notes := history.RaceNotes(h.Raced)
	if diff := cmp.Diff([]string{want}, notes); diff != "" {
		t.Fatalf("history.RaceNotes (-want +got):\n%s", diff)
	}
	p := history.Provenance{Origin: "example.org/ledger", TreeSize: 6, Root: "cm9vdA==", RootHex: "726f6f74", Raced: notes}
	cut := domain.Cut{AsOf: at("2025-03-10T00:00:00Z"), KnownAt: at("2025-03-10T00:00:00Z")}
	for _, format := range projections.ReportFormats {
		r, _ := projections.BuildReport(h.LedgerAt(cut), "A", h.Incidents["A"], cut, p, format)
		var b strings.Builder
		if err := projections.WriteReport(&b, r, format); err != nil {
			t.Fatal(err)
		}
		var reg strings.Builder
		if err := projections.WriteRegister(&reg, projections.BuildRegister(h, cut, p, format), format); err != nil {
			t.Fatal(err)
		}
		outs := map[string]string{"report": b.String(), "register": reg.String()}
		if format == projections.FormatCSV {
			delete(outs, "register") // its CSV is the rows alone, with no footer
		}
		for what, out := range outs {
			if !strings.Contains(out, "lost a revocation race: decided at ledger revision 2, revoked at 3 (oscar") || !strings.Contains(out, "ev-5") {
				t.Errorf("the %s's %s footer does not name the raced event:\n%s", format, what, out)
			}
			if format == projections.FormatMarkdown && !strings.Contains(out, want) {
				t.Errorf("the md %s does not say %q", what, want)
			}
		}
	}
}
