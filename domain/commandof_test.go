package domain_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// step is one command of the round-trip corpus, built on the history so
// far (so it can name event IDs the history holds).
type step struct {
	name string
	cmd  func(h *history) domain.Command
}

// ledgerSteps exercise every ledger command on an unsigned ledger (admin
// and the cast of newHistory), ending with a signature policy.
func ledgerSteps() []step {
	hash := strings.Repeat("c3", 32)
	return []step{
		{"grant", func(*history) domain.Command {
			return domain.GrantRole{By: by("admin", "2025-02-01T00:00:00Z"), Grantee: "nia", Role: domain.RoleResponder, Reason: "on call"}
		}},
		{"revoke role", func(*history) domain.Command {
			return domain.RevokeRole{By: by("admin", "2025-02-01T00:01:00Z"), Grantee: "nia", Role: domain.RoleResponder, Reason: "rota ended"}
		}},
		{"setting", func(*history) domain.Command {
			return domain.ChangeSetting{By: by("admin", "2025-02-01T00:02:00Z"), Key: "due-soon-window", Value: "12h"}
		}},
		{"calendar set", func(*history) domain.Command {
			return domain.SetCalendar{By: by("admin", "2025-02-01T00:02:30Z"), Text: "* 2025-12-24 office closed\nDE 2025-12-31 Silvester\n", Reason: "year-end closure"}
		}},
		{"register signer", func(*history) domain.Command {
			return domain.RegisterSigner{By: by("admin", "2025-02-01T00:03:00Z"), Actor: "oscar", Key: keyOf("oscar"), Fingerprint: fp("oscar"), Reason: "laptop"}
		}},
		{"rotate signer", func(*history) domain.Command {
			return domain.RotateSigner{By: signed(by("oscar", "2025-02-01T00:04:00Z"), fp("oscar")), Actor: "oscar", Old: fp("oscar"), Key: keyOf("oscar2"), Fingerprint: fp("oscar2")}
		}},
		{"revoke signer", func(*history) domain.Command {
			return domain.RevokeSigner{By: by("admin", "2025-02-01T00:05:00Z"), Actor: "oscar", Fingerprint: fp("oscar2"), Reason: "laptop lost"}
		}},
		{"issue token", func(*history) domain.Command {
			return domain.IssueToken{By: by("admin", "2025-02-01T00:06:00Z"), Name: "grc", SHA256: strings.ToUpper(hash), ExpiresAt: mt("2026-02-01T00:00:00Z"), Reason: "GRC export"}
		}},
		{"revoke token", func(*history) domain.Command {
			return domain.RevokeToken{By: by("admin", "2025-02-01T00:07:00Z"), Token: "T1", Reason: "rotated"}
		}},
		{"add witness", func(*history) domain.Command {
			return domain.AddWitness{By: by("admin", "2025-02-01T00:07:10Z"), Key: witnessVKey("witness.example/w1", 0x04), URL: "HTTP://127.0.0.1:7380/", Reason: "the audit firm's"}
		}},
		{"remove witness", func(*history) domain.Command {
			return domain.RemoveWitness{By: by("admin", "2025-02-01T00:07:20Z"), Key: witnessVKey("witness.example/w1", 0x04), Reason: "contract ended"}
		}},
		{"reject foreign", func(*history) domain.Command {
			return domain.RejectForeign{By: by("admin", "2025-02-01T00:08:00Z"), Reason: "written around breachledger", Records: []domain.ForeignEventRejected{
				{Seq: 40, EventID: "01950000-0000-7000-8000-000000000001", LeafSHA256: strings.Repeat("a", 64), Type: "NoteAdded", Stream: "incident-INC"},
				{Seq: 41, EventID: "01950000-0000-7000-8000-000000000002", LeafSHA256: strings.Repeat("b", 64), Type: "NoteAdded", Stream: "incident-INC"},
			}}
		}},
		{"accept legacy tail", func(*history) domain.Command {
			return domain.AcceptLegacyTail{By: by("admin", "2025-02-01T00:09:00Z"), Reason: "left by 0.9", Tail: domain.LegacyTailAccepted{From: 30, To: 39, RootSHA256: strings.Repeat("d", 64)}}
		}},
	}
}

// incidentSteps take one incident from detection to closure and back,
// through every incident and regulatory command.
func incidentSteps() []step {
	idOf := func(h *history, typ string) string { return h.factOf(typ).ID }
	return []step{
		{"detect", func(*history) domain.Command {
			return domain.DetectIncident{By: by("oscar", "2025-03-07T21:40:00Z"), Source: domain.SourceAutomatedAlert, Summary: "bulk read",
				AwareAt: mt("2025-03-07T21:35:00Z"), AwareReason: "the on-call read the alert before it was filed", Role: domain.RoleBoth, Reference: "ALERT-7"}
		}},
		{"note", func(*history) domain.Command {
			return domain.AddNote{By: by("oscar", "2025-03-07T21:45:00Z"), Text: "paged the team"}
		}},
		{"shred the note (legal or admin)", func(h *history) domain.Command {
			return domain.ShredData{By: by("admin", "2025-03-07T21:46:00Z"), Event: idOf(h, "NoteAdded"), Basis: domain.ShredMistakenEntry,
				Reason: "pasted by mistake", KeyIDs: []string{"k1"}, Events: []string{idOf(h, "NoteAdded")}, Fields: []string{"text"}}
		}},
		{"assess in Detect (moves to Assess)", func(*history) domain.Command {
			return domain.AssessIncident{By: by("oscar", "2025-03-07T22:30:00Z"), FunctionalImpact: domain.FunctionalMedium, Recoverability: domain.RecoverExtended, InformationImpact: domain.InfoPrivacy, Escalated: true}
		}},
		{"stage", func(*history) domain.Command {
			return domain.MoveStage{By: by("sam", "2025-03-08T01:00:00Z"), To: domain.StageDiagnose, Reason: "escalated"}
		}},
		{"classify", func(*history) domain.Command {
			return domain.ClassifyIncident{By: by("sam", "2025-03-08T09:00:00Z"), Classification: domain.ClassPrivacyBreach, Reason: "contact data read"}
		}},
		{"scope", func(*history) domain.Command {
			return domain.RecordScope{By: by("sam", "2025-03-08T12:00:00Z"), AddCustomers: []string{"contoso", "fabrikam"}, AddDataCategories: []string{"contact"},
				AddJurisdictions: []string{"de", " fr"}, Subjects: i64(1200)}
		}},
		{"scope with removals", func(*history) domain.Command {
			return domain.RecordScope{By: by("sam", "2025-03-08T13:00:00Z"), RemoveCustomers: []string{"fabrikam"}, AddCustomers: []string{"northwind"},
				RemoveJurisdictions: []string{"FR"}, AddSubjectCategories: []string{"employees"}, Records: i64(5000)}
		}},
		{"assess with an override", func(*history) domain.Command {
			return domain.AssessIncident{By: by("ian", "2025-03-08T14:00:00Z"), FunctionalImpact: domain.FunctionalMedium, Recoverability: domain.RecoverExtended, InformationImpact: domain.InfoPrivacy,
				Severity: domain.SeverityCritical, OverrideReason: "regulator attention", Notes: "n"}
		}},
		{"risk", func(*history) domain.Command {
			return domain.DetermineRisk{By: by("ivy", "2025-03-08T15:00:00Z"), Level: domain.RiskHigh, Reasoning: "contact data"}
		}},
		{"declare", func(*history) domain.Command {
			return domain.DeclareCRSPI{By: by("ivy", "2025-03-09T10:00:00Z"), Basis: domain.BasisEvidence, Reasoning: "logs"}
		}},
		{"contain", func(*history) domain.Command {
			return domain.TakeAction{By: by("sam", "2025-03-09T10:30:00Z"), Kind: domain.ActionContainment, Description: "quarantined", Systems: []string{"db-1", "db-2"}}
		}},
		{"evidence", func(*history) domain.Command {
			return domain.RecordEvidence{By: by("sam", "2025-03-09T10:40:00Z"), Description: "access log", SHA256: strings.Repeat("AB", 32), Location: "s3://ev/1", Size: 42}
		}},
		{"request a delay", func(*history) domain.Command {
			return domain.OpenRequest{By: by("ian", "2025-03-09T11:00:00Z"), Kind: domain.RequestNotificationDelay, DelayReason: domain.DelayRiskToOthers,
				Until: mt("2025-03-13T00:00:00Z"), Customers: []string{"northwind"}, Details: "tipping off"}
		}},
		{"approve as legal", func(*history) domain.Command {
			return domain.ApproveRequest{By: by("lee", "2025-03-09T11:10:00Z"), Request: "R1", Comment: "ok"}
		}},
		{"approve as executive", func(*history) domain.Command {
			return domain.ApproveRequest{By: by("eve", "2025-03-09T11:20:00Z"), Request: "R1", As: domain.RoleExecutiveIM}
		}},
		{"request a transfer", func(*history) domain.Command {
			return domain.OpenRequest{By: by("sam", "2025-03-09T11:30:00Z"), Kind: domain.RequestDataTransfer, Destination: "forensics lab", Details: "disk image"}
		}},
		{"reject", func(*history) domain.Command {
			return domain.RejectRequest{By: by("ian", "2025-03-09T11:40:00Z"), Request: "R2", Reason: "not needed"}
		}},
		{"notify", func(*history) domain.Command {
			n := notice("ian", "2025-03-09T12:00:00Z", domain.RecipientSecurityContacts, "contoso")
			n.Reference = "CASE-1"
			return n
		}},
		{"profile", func(*history) domain.Command {
			return domain.RecordProfile{By: by("ivy", "2025-03-09T12:10:00Z"), AddEstablishments: []string{"de", "ie"}, AddSectors: []string{"health"},
				AddEntityTypes: []domain.EntityType{domain.EntityHIPAACovered}}
		}},
		{"profile with removals", func(*history) domain.Command {
			return domain.RecordProfile{By: by("ivy", "2025-03-09T12:20:00Z"), RemoveEstablishments: []string{"IE"}, AddControllers: []string{"contoso"}}
		}},
		{"affected", func(*history) domain.Command {
			return domain.RecordAffected{By: by("sam", "2025-03-09T12:30:00Z"), Set: []domain.AffectedCount{{Jurisdiction: "us-ca", Count: 600}, {Jurisdiction: "DE", Count: 5}}}
		}},
		{"affected with a removal", func(*history) domain.Command {
			return domain.RecordAffected{By: by("sam", "2025-03-09T12:40:00Z"), Remove: []string{"de"}, Set: []domain.AffectedCount{{Jurisdiction: "US-TX", Count: 0}}}
		}},
		{"determine", func(*history) domain.Command {
			return domain.MakeDetermination{By: by("ivy", "2025-03-09T12:50:00Z"), Kind: domain.DetDiscovery, Positive: true, Reasoning: "confirmed"}
		}},
		{"ack", func(h *history) domain.Command {
			return domain.RecordAcknowledgement{By: by("ian", "2025-03-09T13:00:00Z"), Notice: idOf(h, "NotificationSent"), From: "contoso SOC", Reference: "T-9"}
		}},
		{"hold", func(*history) domain.Command {
			return domain.RecordHold{By: by("lee", "2025-03-09T13:10:00Z"), Kind: domain.HoldLawEnforcement, Basis: "FBI: would impede", Authority: "FBI", Written: true,
				Until: mt("2025-04-09T13:10:00Z")}
		}},
		{"release hold", func(*history) domain.Command {
			return domain.ReleaseHold{By: by("lee", "2025-03-09T13:20:00Z"), Hold: "h1", Reason: "lifted"}
		}},
		{"risk factors", func(*history) domain.Command {
			return domain.RecordRiskFactors{By: by("sam", "2025-03-09T13:30:00Z"), RiskFactorsRecorded: domain.RiskFactorsRecorded{Exfiltrated: true, Subjects: 1200, RestoreHours: 4}}
		}},
		{"pin pack", func(*history) domain.Command {
			return domain.PinPack{By: by("ivy", "2025-03-09T13:40:00Z"), Version: domain.FirstPack().Version, Reason: "counsel's advice"}
		}},
		{"correct a note's text", func(h *history) domain.Command {
			return domain.CorrectEvent{By: by("oscar", "2025-03-09T14:00:00Z"), Target: idOf(h, "NoteAdded"), Changes: []domain.FieldChange{{Field: "text", Value: "paged the on-call team"}}, Reason: "typo"}
		}},
		{"correct awareness earlier, and the detection's time", func(h *history) domain.Command {
			return domain.CorrectEvent{By: by("oscar", "2025-03-09T14:10:00Z"), Target: idOf(h, "IncidentDetected"), NewAt: mt("2025-03-07T21:30:00Z"),
				Changes: []domain.FieldChange{{Field: "aware_at", Value: "2025-03-07T21:35:00+01:00"}, {Field: "aware_reason", Value: "the SOC log shows it read earlier"}, {Field: "reference", Value: ""}}, Reason: "log shows it earlier"}
		}},
		{"correct an assessment (rederived)", func(h *history) domain.Command {
			return domain.CorrectEvent{By: by("ian", "2025-03-09T14:20:00Z"), Target: idOf(h, "IncidentAssessed"),
				Changes: []domain.FieldChange{{Field: "functional_impact", Value: string(domain.FunctionalHigh)}, {Field: "escalated", Value: "false"}}, Reason: "wider outage"}
		}},
		{"correct an action's systems", func(h *history) domain.Command {
			return domain.CorrectEvent{By: by("sam", "2025-03-09T14:30:00Z"), Target: idOf(h, "ActionTaken"), Changes: []domain.FieldChange{{Field: "systems", Value: "db-1, db-3"}}, Reason: "wrong host"}
		}},
		{"correct evidence size", func(h *history) domain.Command {
			return domain.CorrectEvent{By: by("sam", "2025-03-09T14:40:00Z"), Target: idOf(h, "EvidenceRecorded"), Changes: []domain.FieldChange{{Field: "size", Value: "4096"}}, Reason: "re-measured"}
		}},
		{"stabilize", func(*history) domain.Command {
			return domain.MoveStage{By: by("sam", "2025-03-10T09:00:00Z"), To: domain.StageStabilize}
		}},
		{"recover", func(*history) domain.Command {
			return domain.TakeAction{By: by("sam", "2025-03-10T10:00:00Z"), Kind: domain.ActionRecovery, Description: "restored"}
		}},
		{"postmortem", func(*history) domain.Command {
			return domain.CompletePostmortem{By: by("ian", "2025-03-11T10:00:00Z"), Summary: "s", Location: "dms://pm", SHA256: strings.Repeat("EF", 32)}
		}},
		{"close (moves to Close)", func(*history) domain.Command {
			return domain.CloseIncident{By: by("ian", "2025-03-12T10:00:00Z"), Summary: "done", OpenObligationsReason: "the obligations are tracked in the legal case file"}
		}},
		{"reopen", func(*history) domain.Command {
			return domain.ReopenIncident{By: by("ian", "2025-03-13T10:00:00Z"), Reason: "new logs", Stage: domain.StageStabilize}
		}},
		{"move to Close", func(*history) domain.Command {
			return domain.MoveStage{By: by("ian", "2025-03-14T09:00:00Z"), To: domain.StageClose}
		}},
		{"close in Close", func(*history) domain.Command {
			return domain.CloseIncident{By: by("ian", "2025-03-14T10:00:00Z"), OpenObligationsReason: "the obligations are tracked in the legal case file"}
		}},
	}
}

// signedSteps run on a ledger made in signed mode: init itself, and
// commands whose decision depends on the signer.
func signedSteps() []step {
	return []step{
		{"policy in signed mode", func(*history) domain.Command {
			return domain.SetSignaturePolicy{By: as("admin", "2025-02-01T00:00:00Z"), All: true, Required: []string{"NoteAdded"}, Reason: "keep"}
		}},
		{"signed grant", func(*history) domain.Command {
			return domain.GrantRole{By: as("admin", "2025-02-01T00:01:00Z"), Grantee: "oscar", Role: domain.RoleSecurityResponse}
		}},
		{"signed detect", func(*history) domain.Command {
			return domain.DetectIncident{By: as("oscar", "2025-03-07T21:40:00Z"), Source: domain.SourceCustomerReport, Summary: "x", Role: domain.RoleController, Pack: domain.FirstPack().Version}
		}},
		{"signed note", func(*history) domain.Command {
			return domain.AddNote{By: as("oscar", "2025-03-07T21:45:00Z"), Text: "signed"}
		}},
		{"appoint a notary", func(*history) domain.Command {
			return domain.AppointNotary{By: as("admin", "2025-03-08T00:00:00Z"), Actor: "notary", Key: keyOf("notary"), Fingerprint: fp("notary"),
				LedgerKey: "ledger+0badc0de+AQ+/=", Handover: "breachledger.org/key-handover/v1\n...", Reason: "team ledger"}
		}},
		{"the notary rejects an append", func(*history) domain.Command {
			return domain.RejectForeign{By: as("notary", "2025-03-08T00:05:00Z"), Reason: "event 1 of 1 (NoteAdded): field text differs", Records: []domain.ForeignEventRejected{
				{Seq: 12, EventID: "01950000-0000-7000-8000-000000000003", LeafSHA256: strings.Repeat("e", 64), Type: "NoteAdded", Stream: "incident-INC", Rule: "not-what-the-rules-decide"},
			}}
		}},
	}
}

// roundTrip decides each step on h, checks that CommandOf gives back a
// command of the same type and that Redecide accepts the decided events as
// stored, then records them; it returns the command types it covered.
func roundTrip(t *testing.T, h *history, steps []step, covered map[string]bool) {
	t.Helper()
	for _, st := range steps {
		c := st.cmd(h)
		b := domain.Origin(c)
		now := b.At.Add(time.Minute)
		s := h.state()
		events, err := domain.Decide(s, c, now)
		if err != nil {
			t.Fatalf("%s: Decide(%T) = %v", st.name, c, err)
		}
		stored := storedForm(t, events)
		got, err := domain.CommandOf(b, stored)
		if err != nil {
			t.Errorf("%s: CommandOf = %v", st.name, err)
		} else if gotT, wantT := reflect.TypeOf(got), reflect.TypeOf(c); gotT != wantT {
			t.Errorf("%s: CommandOf is a %v, want a %v", st.name, gotT, wantT)
		}
		if err := domain.Redecide(s, b, stored, now); err != nil {
			t.Errorf("%s: Redecide(Decide(%T)) = %v, want accepted", st.name, c, err)
		}
		covered[reflect.TypeOf(c).Name()] = true
		for _, e := range events {
			h.record(b, e)
		}
	}
}

// storedForm returns events as a store gives them back: encoded and decoded.
func storedForm(t *testing.T, events []domain.Event) []domain.Event {
	t.Helper()
	out := make([]domain.Event, len(events))
	for i, e := range events {
		typ, payload, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if out[i], err = domain.Decode(typ, payload); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestRedecideRoundTrip: for every command over realistic states,
// Redecide(s, by, Decide(s, c), now) accepts; and every command type the
// domain declares is in this corpus, so a new command without CommandOf
// support fails here.
func TestRedecideRoundTrip(t *testing.T) {
	covered := map[string]bool{}

	t.Run("init", func(t *testing.T) {
		for _, c := range []domain.InitLedger{
			{By: as("admin", "2025-01-01T00:00:00Z"), Name: "signed", AdminKey: keyOf("admin"), AdminFingerprint: fp("admin")},
			{By: by("admin", "2025-01-01T00:00:00Z"), Name: "unsigned", Unsigned: true},
		} {
			now := c.At.Add(time.Minute)
			events, err := domain.Decide(domain.State{}, c, now)
			if err != nil {
				t.Fatal(err)
			}
			if err := domain.Redecide(domain.State{}, c.By, storedForm(t, events), now); err != nil {
				t.Errorf("Redecide(init %s) = %v, want accepted", c.Name, err)
			}
			covered["InitLedger"] = true
		}
	})
	t.Run("ledger", func(t *testing.T) { roundTrip(t, newHistory(t), ledgerSteps(), covered) })
	t.Run("policy", func(t *testing.T) {
		roundTrip(t, newHistory(t), []step{{"policy", func(*history) domain.Command {
			return domain.SetSignaturePolicy{By: by("admin", "2025-02-01T00:00:00Z"), Required: []string{"CRSPIDeclared"}, Reason: "declarations"}
		}}}, covered)
	})
	t.Run("switch to signed mode", func(t *testing.T) {
		h := newHistory(t)
		roundTrip(t, h, []step{
			{"register admin key", func(*history) domain.Command {
				return domain.RegisterSigner{By: by("admin", "2025-02-01T00:00:00Z"), Actor: "admin", Key: keyOf("admin"), Fingerprint: fp("admin")}
			}},
			{"switch", func(*history) domain.Command {
				return domain.SetSignaturePolicy{By: as("admin", "2025-02-01T00:01:00Z"), All: true, Reason: "issue 12"}
			}},
		}, covered)
	})
	t.Run("incident", func(t *testing.T) { roundTrip(t, newHistory(t), incidentSteps(), covered) })
	t.Run("signed mode", func(t *testing.T) { roundTrip(t, signedModeHistory(t), signedSteps(), covered) })

	t.Run("every command type is covered", func(t *testing.T) {
		var missing []string
		for _, name := range commandTypes(t) {
			if !covered[name] {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			t.Errorf("command types without a round trip through CommandOf and Redecide: %s (add them to the corpus, and to CommandOf)", strings.Join(missing, ", "))
		}
	})
}

// commandTypes returns the name of every struct type of package domain
// that embeds By: every Command.
func commandTypes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			for _, field := range st.Fields.List {
				if id, ok := field.Type.(*ast.Ident); ok && len(field.Names) == 0 && id.Name == "By" {
					out = append(out, ts.Name.Name)
				}
			}
			return true
		})
	}
	sort.Strings(out)
	if len(out) < 30 {
		t.Fatalf("found only %d command types (%v): the parse is wrong", len(out), out)
	}
	return out
}

// TestRedecideRefusesForgedAppends performs the attacks of issue 13: rows
// written around the CLI that the rules would refuse, each refused with
// its rule.
func TestRedecideRefusesForgedAppends(t *testing.T) {
	hash := strings.Repeat("a1", 32)
	tests := []struct {
		name     string
		given    func(t *testing.T) *history
		by       domain.By
		events   []domain.Event
		wantRule string
		wantText string
	}{
		{
			name:     "a customer notice dated before the declaration",
			given:    breached,
			by:       by("ian", "2025-03-09T09:00:00Z"),
			events:   []domain.Event{domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Recipient: "soc@contoso", Customer: "contoso", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial}},
			wantRule: "notify-before-declaration",
		},
		{
			name: "a customer notice recorded before any declaration",
			given: func(t *testing.T) *history {
				h := newHistory(t)
				h.breachUndeclared()
				return h
			},
			by:       by("ian", "2025-03-09T11:00:00Z"),
			events:   []domain.Event{domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Recipient: "soc@contoso", Customer: "contoso", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial}},
			wantRule: "notify-before-declaration",
		},
		{
			name:     "an API token issued by a non-admin",
			given:    fresh,
			by:       by("ian", "2025-05-01T00:00:00Z"),
			events:   []domain.Event{domain.APITokenIssued{Token: "T1", Name: "mine", SHA256: hash}},
			wantRule: "token-role",
		},
		{
			name:     "an API token whose ID is not the next one",
			given:    fresh,
			by:       by("admin", "2025-05-01T00:00:00Z"),
			events:   []domain.Event{domain.APITokenIssued{Token: "T7", Name: "grc", SHA256: hash}},
			wantRule: domain.RuleNotDecided, wantText: "field token",
		},
		{
			name:     "a witness added by a non-admin",
			given:    fresh,
			by:       by("ian", "2025-05-01T00:00:00Z"),
			events:   []domain.Event{domain.WitnessAdded{Key: witnessVKey("witness.example/mine", 0x04), URL: "http://127.0.0.1:7380"}},
			wantRule: "witness-role",
		},
		{
			name:     "a witness added by a plain note key",
			given:    fresh,
			by:       by("admin", "2025-05-01T00:00:00Z"),
			events:   []domain.Event{domain.WitnessAdded{Key: "filippo.io/debian-archive+6c61b70b+Aaw9ASjgICSzfKJDcCqz7l3FtSpKvQYCvaRfdfOiIRun", URL: "http://127.0.0.1:7380"}},
			wantRule: "witness-key",
		},
		{
			name:     "a witness's URL recorded other than the rules record it",
			given:    fresh,
			by:       by("admin", "2025-05-01T00:00:00Z"),
			events:   []domain.Event{domain.WitnessAdded{Key: witnessVKey("witness.example/w1", 0x06), URL: "http://127.0.0.1:7380/"}},
			wantRule: domain.RuleNotDecided, wantText: "field url",
		},
		{
			name:     "a self-grant",
			given:    fresh,
			by:       by("oscar", "2025-05-01T00:00:00Z"),
			events:   []domain.Event{domain.RoleGranted{Actor: "oscar", Role: domain.RoleAdmin}},
			wantRule: "grant-role",
		},
		{
			name:     "an unsigned event in signed mode",
			given:    signedBreached,
			by:       by("oscar", "2025-03-10T00:00:00Z"),
			events:   []domain.Event{domain.NoteAdded{Text: "unsigned"}},
			wantRule: "signature-required",
		},
		{
			name:     "an event signed with someone else's key in signed mode",
			given:    signedBreached,
			by:       signed(by("oscar", "2025-03-10T00:00:00Z"), fp("sam")),
			events:   []domain.Event{domain.NoteAdded{Text: "borrowed key"}},
			wantRule: "signer-not-yours",
		},
		{
			name:  "a severity that does not follow the assessment",
			given: breached,
			by:    by("oscar", "2025-03-10T00:00:00Z"),
			events: []domain.Event{domain.IncidentAssessed{FunctionalImpact: domain.FunctionalHigh, Recoverability: domain.RecoverNotRecoverable, InformationImpact: domain.InfoPrivacy,
				DerivedSeverity: domain.SeverityLow, DerivedPriority: domain.P1, Severity: domain.SeverityLow, Priority: domain.P1}},
			wantRule: domain.RuleNotDecided, wantText: "field derived_severity",
		},
		{
			name: "an assessment in Detect without its stage move",
			given: func(t *testing.T) *history {
				h := newHistory(t)
				h.add("oscar", "2025-03-07T21:40:00Z", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "x", AwareAt: ts(t, "2025-03-07T21:40:00Z"), Role: domain.RoleBoth})
				return h
			},
			by: by("oscar", "2025-03-07T22:00:00Z"),
			events: []domain.Event{domain.IncidentAssessed{FunctionalImpact: domain.FunctionalLow, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoNone,
				DerivedSeverity: domain.SeverityLow, DerivedPriority: domain.P3, Severity: domain.SeverityLow, Priority: domain.P3}},
			wantRule: domain.RuleNotDecided, wantText: "the rules decide 2 events",
		},
		{
			name:     "events no command decides together",
			given:    fresh,
			by:       by("admin", "2025-05-01T00:00:00Z"),
			events:   []domain.Event{domain.RoleGranted{Actor: "oscar", Role: domain.RoleAdmin}, domain.RoleGranted{Actor: "sam", Role: domain.RoleAdmin}},
			wantRule: domain.RuleNotDecided, wantText: "RoleGranted, RoleGranted",
		},
		{
			name:     "an empty append",
			given:    fresh,
			by:       by("admin", "2025-05-01T00:00:00Z"),
			wantRule: domain.RuleNotDecided,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.given(t)
			err := domain.Redecide(h.state(), tt.by, tt.events, tt.by.At.Add(time.Minute))
			var re *domain.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("Redecide = %v, want a refusal by rule %s", err, tt.wantRule)
			}
			if got, want := re.Rule, tt.wantRule; got != want {
				t.Errorf("rule = %s (%v), want %s", got, err, want)
			}
			if !errors.Is(err, domain.ErrRefused) || re.Hint == "" {
				t.Errorf("Redecide = %v: want a refusal (ErrRefused) with a hint", err)
			}
			if got := err.Error(); !strings.Contains(got, tt.wantText) {
				t.Errorf("Redecide = %q, want it to say %q", got, tt.wantText)
			}
		})
	}
}

// TestCommandOfShapes: the command CommandOf reads from multi-event
// appends, field for field.
func TestCommandOfShapes(t *testing.T) {
	b := by("admin", "2025-05-01T00:00:00Z")
	tests := []struct {
		name   string
		events []domain.Event
		want   domain.Command
	}{
		{"signed init", []domain.Event{domain.LedgerInitialized{Name: "n", Admin: "admin", Signed: true}, domain.SignerRegistered{Actor: "admin", Key: "k", Fingerprint: "f"}},
			domain.InitLedger{By: b, Name: "n", AdminKey: "k", AdminFingerprint: "f"}},
		{"unsigned init", []domain.Event{domain.LedgerInitialized{Name: "n", Admin: "admin"}},
			domain.InitLedger{By: b, Name: "n", Unsigned: true}},
		{"rotation", []domain.Event{domain.SignerRegistered{Actor: "a", Key: "k2", Fingerprint: "f2", Reason: "r"}, domain.SignerRevoked{Actor: "a", Fingerprint: "f1", Reason: "r"}},
			domain.RotateSigner{By: b, Actor: "a", Old: "f1", Key: "k2", Fingerprint: "f2", Reason: "r"}},
		{"close with its stage move", []domain.Event{domain.StageChanged{From: domain.StageStabilize, To: domain.StageClose}, domain.IncidentClosed{Summary: "s"}},
			domain.CloseIncident{By: b, Summary: "s"}},
		{"assessment following its derivation", []domain.Event{domain.IncidentAssessed{DerivedSeverity: domain.SeverityHigh, Severity: domain.SeverityHigh, DerivedPriority: domain.P1, Priority: domain.P2, OverrideReason: "o"}},
			domain.AssessIncident{By: b, Priority: domain.P2, OverrideReason: "o"}},
		{"scope in its replace form", []domain.Event{domain.ScopeRecorded{Customers: []string{"c"}, Subjects: 3}},
			domain.RecordScope{By: b, AddCustomers: []string{"c"}, Subjects: i64(3), Records: i64(0), Replace: true}},
		{"correction", []domain.Event{domain.EventCorrected{Target: "ev-1", TargetType: "ActionTaken", At: ts(t, "2025-03-01T00:00:00Z"),
			Replacement: domain.ActionTaken{Kind: domain.ActionContainment, Description: "d", Systems: []string{"a", "b"}}, Changed: []string{"at", "systems"}, Reason: "r"}},
			domain.CorrectEvent{By: b, Target: "ev-1", NewAt: ts(t, "2025-03-01T00:00:00Z"), Changes: []domain.FieldChange{{Field: "systems", Value: "a,b"}}, Reason: "r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.CommandOf(b, tt.events)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CommandOf = %#v\nwant %#v", got, tt.want)
			}
		})
	}
	if _, err := domain.CommandOf(b, []domain.Event{domain.NoteAdded{Text: "x"}, domain.IncidentClosed{}}); !errors.Is(err, domain.ErrRefused) {
		t.Errorf("CommandOf(note, close) = %v, want a refusal", err)
	}
}

// fresh is newHistory for a table's given.
func fresh(t *testing.T) *history { return newHistory(t) }

// breached is a history through the acceptance scenario (breach).
func breached(t *testing.T) *history {
	h := newHistory(t)
	h.breach()
	return h
}

// signedBreached is a ledger in signed mode through the acceptance
// scenario, every fact signed (signedBreach).
func signedBreached(t *testing.T) *history {
	h := signedModeHistory(t)
	h.signedBreach()
	return h
}
