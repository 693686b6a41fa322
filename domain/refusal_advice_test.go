package domain_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// adviceClock hands out business times one minute apart, before now.
type adviceClock struct{ t time.Time }

func (c *adviceClock) by() domain.By {
	c.t = c.t.Add(time.Minute)
	return domain.By{Actor: "root", At: c.t}
}

func omnipotent(t *testing.T) *history {
	h := newHistory(t)
	for _, r := range domain.Roles() {
		h.ledgerEvent("admin", "2025-01-01T00:02:00Z", domain.RoleGranted{Actor: "root", Role: r})
	}
	return h
}

// Commands that move an incident along, by whoever the clock says.
func detectCmd(b domain.By) domain.Command {
	return domain.DetectIncident{By: b, Source: domain.SourceAutomatedAlert, Summary: "s", Role: domain.RoleBoth}
}
func assessCmd(b domain.By) domain.Command {
	return domain.AssessIncident{By: b, FunctionalImpact: domain.FunctionalLow, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoNone}
}
func classifyCmd(class domain.Classification) func(domain.By) domain.Command {
	return func(b domain.By) domain.Command {
		return domain.ClassifyIncident{By: b, Classification: class, RootCause: "test", Reason: "test"}
	}
}
func stageCmd(to domain.Stage) func(domain.By) domain.Command {
	return func(b domain.By) domain.Command { return domain.MoveStage{By: b, To: to} }
}
func postmortemCmd(b domain.By) domain.Command {
	return domain.CompletePostmortem{By: b, Summary: "s", Location: "dms://pm", SHA256: strings.Repeat("a", 64)}
}
func closeCmd(b domain.By) domain.Command {
	return domain.CloseIncident{By: b, Summary: "done", OpenObligationsReason: "the obligations are tracked in the legal case file"}
}
func reopenCmd(b domain.By) domain.Command {
	return domain.ReopenIncident{By: b, Reason: "r", Stage: domain.StageDiagnose}
}

// TestAdviceIsAccepted: every refusal of a command on an incident, at every
// stage, names what to do instead; when that advice names a command, Decide
// accepts it; and following the advice, step by step, ends with the
// command accepted (or with "nothing to do"). Issue 11: after "stage X
// close", contain advised moving to diagnose, which stage then refused.
func TestAdviceIsAccepted(t *testing.T) {
	type build func(domain.By) domain.Command
	states := []struct {
		name  string
		steps []build
	}{
		{"detect", nil},
		{"assess", []build{assessCmd}},
		{"assess, unclassified, diagnose", []build{assessCmd, stageCmd(domain.StageDiagnose)}},
		{"assess, false positive", []build{assessCmd, classifyCmd(domain.ClassFalsePositive)}},
		{"assess, privacy breach", []build{assessCmd, classifyCmd(domain.ClassPrivacyBreach)}},
		{"diagnose, privacy breach", []build{assessCmd, classifyCmd(domain.ClassPrivacyBreach), stageCmd(domain.StageDiagnose)}},
		{"stabilize, privacy breach", []build{assessCmd, classifyCmd(domain.ClassPrivacyBreach), stageCmd(domain.StageDiagnose), stageCmd(domain.StageStabilize)}},
		{"stage close, privacy breach (not closed)", []build{assessCmd, classifyCmd(domain.ClassPrivacyBreach), stageCmd(domain.StageDiagnose), stageCmd(domain.StageStabilize), stageCmd(domain.StageClose)}},
		{"stage close, false positive (not closed)", []build{assessCmd, classifyCmd(domain.ClassFalsePositive), stageCmd(domain.StageClose)}},
		{"closed, security incident", []build{assessCmd, classifyCmd(domain.ClassSecurityIncident), stageCmd(domain.StageDiagnose), stageCmd(domain.StageStabilize), closeCmd}},
		{"closed, privacy breach", []build{assessCmd, classifyCmd(domain.ClassPrivacyBreach), stageCmd(domain.StageDiagnose), stageCmd(domain.StageStabilize), postmortemCmd, closeCmd}},
		{"closed, false positive", []build{assessCmd, classifyCmd(domain.ClassFalsePositive), closeCmd}},
		{"reopened at assess", []build{assessCmd, classifyCmd(domain.ClassFalsePositive), closeCmd, func(b domain.By) domain.Command {
			return domain.ReopenIncident{By: b, Reason: "r", Stage: domain.StageAssess}
		}}},
	}
	commands := []struct {
		name string
		cmd  build
	}{
		{"contain", func(b domain.By) domain.Command {
			return domain.TakeAction{By: b, Kind: domain.ActionContainment, Description: "quarantine"}
		}},
		{"contain --kind recovery", func(b domain.By) domain.Command {
			return domain.TakeAction{By: b, Kind: domain.ActionRecovery, Description: "restore"}
		}},
		{"postmortem", postmortemCmd},
		{"classify", classifyCmd(domain.ClassSecurityIncident)},
		{"declare", func(b domain.By) domain.Command {
			return domain.DeclareCRSPI{By: b, Basis: domain.BasisEvidence, Reasoning: "logs"}
		}},
		{"close", closeCmd},
		{"reopen", reopenCmd},
		{"assess", assessCmd},
		{"note", func(b domain.By) domain.Command { return domain.AddNote{By: b, Text: "n"} }},
	}
	for _, s := range domain.Stages() {
		commands = append(commands, struct {
			name string
			cmd  build
		}{"stage " + string(s), stageCmd(s)})
	}
	for _, st := range states {
		for _, c := range commands {
			t.Run(st.name+"/"+c.name, func(t *testing.T) {
				h := omnipotent(t)
				clock := &adviceClock{t: ts(t, "2025-03-08T00:00:00Z")}
				h.apply(detectCmd(clock.by()), now)
				for _, step := range st.steps {
					h.apply(step(clock.by()), now)
				}
				var followed []string
				for range 8 {
					_, err := domain.Decide(h.state(), c.cmd(clock.by()), now)
					if err == nil {
						return // accepted, possibly after following the advice
					}
					var re *domain.RuleError
					if !errors.As(err, &re) {
						t.Fatalf("%s: %v, want a refusal or acceptance", c.name, err)
					}
					if re.Hint == "" {
						t.Fatalf("refusal %s names nothing to do instead: %v", re.Rule, re)
					}
					next, ok := advisedCommand(t, re.Hint, clock.by())
					if !ok {
						if strings.HasPrefix(re.Hint, "nothing to do") || strings.HasPrefix(re.Hint, "move to one of") {
							return // a move the process never allows, or one already made
						}
						t.Fatalf("refusal %s names no command to run: %v", re.Rule, re)
					}
					if _, err := domain.Decide(h.state(), next, now); err != nil {
						t.Fatalf("after %v\n%s is refused with %v\nand advises %q, which is refused in turn: %v", followed, c.name, re, re.Hint, err)
					}
					if strings.HasPrefix(re.Hint, "nothing to do") {
						return // the advice for "if that was a mistake" is accepted; nothing more to follow
					}
					followed = append(followed, fmt.Sprintf("%T", next))
					h.apply(next, now)
				}
				t.Fatalf("following the advice (%v) never led to %s being accepted", followed, c.name)
			})
		}
	}
}

var quotedCommand = regexp.MustCompile(`"breachledger ([^"]+)"`)

// advisedCommand turns the first command quoted in a hint into the domain
// command it runs, with placeholder values filled in.
func advisedCommand(t *testing.T, hint string, b domain.By) (domain.Command, bool) {
	t.Helper()
	m := quotedCommand.FindStringSubmatch(hint)
	if m == nil {
		return nil, false
	}
	f := strings.Fields(m[1])
	if len(f) < 2 || f[1] != "INC" {
		t.Fatalf("advice %q does not name the incident", hint)
	}
	flag := func(name, def string) string {
		for i := 2; i+1 < len(f); i++ {
			if f[i] == name {
				return f[i+1]
			}
		}
		return def
	}
	switch f[0] {
	case "stage":
		to, err := domain.ParseStage(f[2])
		if err != nil {
			t.Fatalf("advice %q: %v", hint, err)
		}
		return domain.MoveStage{By: b, To: to}, true
	case "reopen":
		at, err := domain.ParseStage(flag("--stage", "diagnose"))
		if err != nil {
			t.Fatalf("advice %q: %v", hint, err)
		}
		return domain.ReopenIncident{By: b, Reason: "r", Stage: at}, true
	case "assess":
		return assessCmd(b), true
	case "classify":
		class := domain.ClassSecurityIncident
		if f[2] != "CLASSIFICATION" {
			var err error
			if class, err = domain.ParseClassification(f[2]); err != nil {
				t.Fatalf("advice %q: %v", hint, err)
			}
		}
		return classifyCmd(class)(b), true
	case "postmortem":
		return postmortemCmd(b), true
	}
	t.Fatalf("advice %q names a command this test cannot run: add it to advisedCommand", hint)
	return nil, false
}

// TestRefusalWording: the messages issue 11 found wrong.
func TestRefusalWording(t *testing.T) {
	tests := []struct {
		name     string
		fresh    bool // no incident yet (the command detects one)
		given    []func(domain.By) domain.Command
		when     func(domain.By) domain.Command
		wantRule string
		want     []string // in the message
		not      []string // not in it
	}{
		{
			name:  "closing a closed incident says it is already closed",
			given: []func(domain.By) domain.Command{assessCmd, classifyCmd(domain.ClassFalsePositive), closeCmd},
			when:  closeCmd, wantRule: "already-closed",
			want: []string{"incident INC is already closed", "closed 2025-03-08T00:04:00Z by root", "nothing to do", "closed by mistake", `"breachledger reopen INC --reason ..."`},
			not:  []string{"reopen it first"},
		},
		{
			name:  "contain after stage close advises a reopen, not a stage move",
			given: []func(domain.By) domain.Command{assessCmd, classifyCmd(domain.ClassFalsePositive), stageCmd(domain.StageClose)},
			when: func(b domain.By) domain.Command {
				return domain.TakeAction{By: b, Kind: domain.ActionContainment, Description: "d"}
			},
			wantRule: "action-stage",
			want:     []string{"reopen it at diagnose", `"breachledger reopen INC --reason ... --stage diagnose"`},
			not:      []string{"move the incident to"},
		},
		{
			name: "contain in Detect advises the one move the process allows",
			when: func(b domain.By) domain.Command {
				return domain.TakeAction{By: b, Kind: domain.ActionContainment, Description: "d"}
			},
			wantRule: "action-stage",
			want:     []string{`move it to assess first ("breachledger stage INC assess"), then on to diagnose`},
		},
		{
			name:  "closing a breach in Diagnose advises Stabilize before the post-mortem",
			given: []func(domain.By) domain.Command{assessCmd, classifyCmd(domain.ClassPrivacyBreach), stageCmd(domain.StageDiagnose)},
			when:  closeCmd, wantRule: "close-needs-postmortem",
			want: []string{`"breachledger stage INC stabilize"`, "then record the post-mortem"},
		},
		{
			name: "a future --aware-at names --aware-at", fresh: true,
			when: func(b domain.By) domain.Command {
				return domain.DetectIncident{By: b, Source: domain.SourceAutomatedAlert, Summary: "x", AwareAt: now.Add(time.Hour), Role: domain.RoleBoth}
			},
			wantRule: "future-time",
			want:     []string{"aware-at 2025-03-25T01:00:00Z is in the future", "give an --aware-at at or before now", "leave --aware-at out"},
			not:      []string{"leave --at out"},
		},
		{
			name: "a future --at names --at",
			when: func(domain.By) domain.Command {
				return domain.AddNote{By: domain.By{Actor: "root", At: now.Add(time.Second)}, Text: "x"}
			},
			wantRule: "future-time",
			want:     []string{"at 2025-03-25T00:00:01Z is in the future", "leave --at out"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := omnipotent(t)
			clock := &adviceClock{t: ts(t, "2025-03-08T00:00:00Z")}
			if !tt.fresh {
				h.apply(detectCmd(clock.by()), now)
			}
			for _, g := range tt.given {
				h.apply(g(clock.by()), now)
			}
			_, err := domain.Decide(h.state(), tt.when(clock.by()), now)
			var re *domain.RuleError
			if !errors.As(err, &re) || !errors.Is(err, domain.ErrRefused) {
				t.Fatalf("Decide = %v, want a refusal by %s", err, tt.wantRule)
			}
			if re.Rule != tt.wantRule {
				t.Errorf("rule %s, want %s: %v", re.Rule, tt.wantRule, re)
			}
			for _, w := range tt.want {
				if !strings.Contains(re.Error(), w) {
					t.Errorf("message does not say %q:\n%v", w, re)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(re.Error(), n) {
					t.Errorf("message says %q:\n%v", n, re)
				}
			}
		})
	}
}
