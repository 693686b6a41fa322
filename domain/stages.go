package domain

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
var StageMoves = []StageMove{
	{From: StageDetect, To: StageAssess},
	{From: StageAssess, To: StageDiagnose},
	{From: StageAssess, To: StageClose, OnlyIfDismissed: true},
	{From: StageDiagnose, To: StageStabilize},
	{From: StageDiagnose, To: StageClose, OnlyIfDismissed: true},
	{From: StageStabilize, To: StageDiagnose},
	{From: StageStabilize, To: StageClose},
}

// checkStageMove returns nil if inc may move to stage to, or the refusal.
func checkStageMove(inc *Incident, to Stage) *RuleError {
	from := inc.Stage
	if from == StageClose {
		return refuse("stage-move", `reopen it with "breachledger reopen ID --reason ..."`,
			"the incident is in Close and Post-mortem; nothing moves out of Close except a reopen")
	}
	if from == to {
		return refuse("stage-move", "nothing to do", "the incident is already in %s", to.Title())
	}
	for _, m := range StageMoves {
		if m.From != from || m.To != to {
			continue
		}
		if m.OnlyIfDismissed && !inc.Dismissed() {
			return refuse("stage-move", "classify it false-positive or out-of-scope first, or go on through Stabilize and Recover",
				"moving from %s straight to %s is allowed only for a false positive or an out-of-scope incident", from.Title(), to.Title())
		}
		return nil
	}
	var allowed []string
	for _, m := range StageMoves {
		if m.From == from {
			allowed = append(allowed, string(m.To))
		}
	}
	return refuse("stage-move", "move to one of: "+joinOr(allowed),
		"the process does not allow a move from %s to %s", from.Title(), to.Title())
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
