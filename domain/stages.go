package domain

import (
	"fmt"
	"slices"
)

// StageMove is one allowed move between stages of the process.
type StageMove struct {
	From, To Stage
	// OnlyIfDismissed: the move is allowed only when the incident is
	// classified false-positive or out-of-scope.
	OnlyIfDismissed bool
}

// StageMoves is the one table of allowed stage moves. Diagnose and
// Stabilize may alternate; an incident found to be a false positive or the
// customer's own responsibility may close early; nothing moves out of Close
// except an IncidentReopened event with a reason.
//
//	from       to         condition
//	detect     assess
//	assess     diagnose
//	assess     close      classified false-positive or out-of-scope
//	diagnose   stabilize
//	diagnose   close      classified false-positive or out-of-scope
//	stabilize  diagnose
//	stabilize  close
func StageMoves() []StageMove {
	return []StageMove{
		{From: StageDetect, To: StageAssess},
		{From: StageAssess, To: StageDiagnose},
		{From: StageAssess, To: StageClose, OnlyIfDismissed: true},
		{From: StageDiagnose, To: StageStabilize},
		{From: StageDiagnose, To: StageClose, OnlyIfDismissed: true},
		{From: StageStabilize, To: StageDiagnose},
		{From: StageStabilize, To: StageClose},
	}
}

// checkStageMove returns nil if inc may move to stage to, or the refusal.
// Its advice names only a move the table then allows (stageAdvice).
func checkStageMove(inc *Incident, to Stage) *RuleError {
	from := inc.Stage
	if from == to {
		return refuse("stage-move", "nothing to do", "the incident is already in %s", to.Title())
	}
	if from == StageClose {
		return refuse("stage-move", stageAdvice(inc, []Stage{to}),
			"the incident is in Close and Post-mortem; nothing moves out of Close except a reopen")
	}
	for _, m := range StageMoves() {
		if m.From != from || m.To != to {
			continue
		}
		if m.OnlyIfDismissed && !inc.Dismissed() {
			return refuse("stage-move", "classify it false-positive or out-of-scope first, or go on through Stabilize and Recover: "+stageAdvice(inc, []Stage{StageStabilize}),
				"moving from %s straight to %s is allowed only for a false positive or an out-of-scope incident", from.Title(), to.Title())
		}
		return nil
	}
	if path := stagePath(inc, []Stage{to}); path != nil {
		return refuse("stage-move", stageAdvice(inc, []Stage{to}),
			"the process does not allow a move from %s straight to %s", from.Title(), to.Title())
	}
	return refuse("stage-move", "move to one of: "+joinOr(names(nextStages(inc))),
		"the process does not allow a move from %s to %s", from.Title(), to.Title())
}

// nextStages are the stages inc may move to now.
func nextStages(inc *Incident) []Stage {
	var out []Stage
	for _, m := range StageMoves() {
		if m.From == inc.Stage && (!m.OnlyIfDismissed || inc.Dismissed()) {
			out = append(out, m.To)
		}
	}
	return out
}

// stagePath is the shortest run of allowed moves that brings inc from its
// stage into one of to (nil when it is there, or none leads there). Out of
// Close only a reopen leads, so no path starts there.
func stagePath(inc *Incident, to []Stage) []Stage {
	prev := map[Stage]Stage{inc.Stage: ""}
	queue := []Stage{inc.Stage}
	for len(queue) > 0 {
		at := queue[0]
		queue = queue[1:]
		if at != inc.Stage && slices.Contains(to, at) {
			var path []Stage
			for s := at; s != inc.Stage; s = prev[s] {
				path = append([]Stage{s}, path...)
			}
			return path
		}
		if at == StageClose {
			continue
		}
		for _, m := range StageMoves() {
			if _, seen := prev[m.To]; m.From == at && !seen && (!m.OnlyIfDismissed || inc.Dismissed()) {
				prev[m.To] = at
				queue = append(queue, m.To)
			}
		}
	}
	return nil
}

// stageAdvice says how to bring inc into one of the stages to, naming the
// one command to run next: a reopen out of Close, else the first move of
// the shortest allowed path. Decide accepts the command it names, and
// following the advice leads there (TestAdviceIsAccepted).
func stageAdvice(inc *Incident, to []Stage) string {
	if inc.Stage == StageClose {
		at := StageDiagnose
		for _, s := range to {
			if s == StageAssess || s == StageDiagnose || s == StageStabilize {
				at = s
				break
			}
		}
		return fmt.Sprintf(`reopen it at %s ("breachledger reopen %s --reason ... --stage %s")`, at, inc.ID, at)
	}
	path := stagePath(inc, to)
	switch len(path) {
	case 0:
		return "move to one of: " + joinOr(names(nextStages(inc)))
	case 1:
		return fmt.Sprintf(`move it to %s first ("breachledger stage %s %s")`, path[0], inc.ID, path[0])
	}
	return fmt.Sprintf(`move it to %s first ("breachledger stage %s %s"), then on to %s`, path[0], inc.ID, path[0], path[len(path)-1])
}

func joinOr(xs []string) string {
	switch len(xs) {
	case 0:
		return "(none)"
	case 1:
		return xs[0]
	}
	out := ""
	for i, x := range xs {
		switch {
		case i == 0:
			out = x
		case i == len(xs)-1:
			out += " or " + x
		default:
			out += ", " + x
		}
	}
	return out
}
