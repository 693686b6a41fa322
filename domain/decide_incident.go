package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The commands on an existing incident, decided by family. decideIncident
// (decide.go) checks the incident exists and is open, then asks each family
// in turn; a family answers ok=false for a command that is not its own.

// decideAssessment decides what the incident is: assess, classify, scope,
// risk and declare.
func decideAssessment(s *State, c Command, by By, _ time.Time) (events []Event, ok bool, err error) {
	switch c := c.(type) {
	case AssessIncident:
		events, err = decideAssess(s, c, by)
	case ClassifyIncident:
		events, err = decideClassify(s, c, by)
	case RecordScope:
		if err = needRole(s, by, CmdScope); err == nil {
			events, err = decideScope(&s.Incident, c)
		}
	case DetermineRisk:
		events, err = decideRisk(s, c, by)
	case DeclareCRSPI:
		events, err = decideDeclare(s, c, by)
	default:
		return nil, false, nil
	}
	return events, true, err
}

func decideAssess(s *State, c AssessIncident, by By) ([]Event, error) {
	if err := needRole(s, by, CmdAssess); err != nil {
		return nil, err
	}
	sev, pri := DeriveSeverity(c.FunctionalImpact, c.Recoverability, c.InformationImpact)
	e := IncidentAssessed{
		FunctionalImpact: c.FunctionalImpact, Recoverability: c.Recoverability, InformationImpact: c.InformationImpact,
		Escalated: c.Escalated, DerivedSeverity: sev, DerivedPriority: pri, Severity: sev, Priority: pri,
		OverrideReason: c.OverrideReason, Notes: c.Notes,
	}
	if c.Severity != "" {
		e.Severity = c.Severity
	}
	if c.Priority != "" {
		e.Priority = c.Priority
	}
	if s.Incident.Stage == StageDetect {
		return []Event{StageChanged{From: StageDetect, To: StageAssess, Reason: "assessment started"}, e}, nil
	}
	return one(e)
}

func decideClassify(s *State, c ClassifyIncident, by By) ([]Event, error) {
	if err := needRole(s, by, CmdClassify); err != nil {
		return nil, err
	}
	if inc := &s.Incident; inc.Stage == StageDetect {
		return nil, refuse("classify-stage", fmt.Sprintf(`assess it first ("breachledger assess %s ...")`, inc.ID), "an incident is classified on evidence, after it has been assessed; it is still in Detect")
	}
	return one(IncidentClassified{Classification: c.Classification, RootCause: c.RootCause, Reason: c.Reason})
}

func decideRisk(s *State, c DetermineRisk, by By) ([]Event, error) {
	if err := needRole(s, by, CmdRisk); err != nil {
		return nil, err
	}
	if !s.Incident.PersonalData() {
		return nil, refuse("risk-needs-personal-data", "classify it privacy-breach, or assess its information impact as privacy-breach, first",
			"the GDPR risk determination is about a personal data breach, and no personal data is recorded as involved")
	}
	return one(RiskDetermined{Level: c.Level, Reasoning: c.Reasoning, Art34Exception: c.Art34Exception})
}

func decideDeclare(s *State, c DeclareCRSPI, by By) ([]Event, error) {
	if err := needRole(s, by, CmdDeclare); err != nil {
		return nil, err
	}
	inc := &s.Incident
	if inc.Declaration != nil {
		return nil, refuse("already-declared", "record a correction if the declaration's details were wrong",
			"incident %s was already declared a CRSPI at %s", inc.ID, stamp(inc.Declaration.At))
	}
	if inc.Classification == nil || inc.Classification.Classification.Dismissed() {
		return nil, refuse("declare-classification", classifyAdvice(inc, "security-incident or privacy-breach"),
			"a CRSPI is declared for a security incident or privacy breach; the incident is %s", classificationOf(inc))
	}
	return one(CRSPIDeclared{Basis: c.Basis, Reasoning: c.Reasoning})
}

// decideResponse decides what responders do and keep: actions, evidence,
// notes and corrections.
func decideResponse(s *State, c Command, by By, now time.Time) (events []Event, ok bool, err error) {
	switch c := c.(type) {
	case TakeAction:
		events, err = decideAction(s, c, by)
	case RecordEvidence:
		if err = needRole(s, by, CmdEvidence); err == nil {
			events, err = one(EvidenceRecorded{Description: c.Description, SHA256: strings.ToLower(c.SHA256), Location: c.Location, Size: c.Size})
		}
	case AddNote:
		if err = needRole(s, by, CmdNote); err == nil {
			events, err = one(NoteAdded{Text: c.Text})
		}
	case CorrectEvent:
		events, err = decideCorrection(s, c, by, now)
	default:
		return nil, false, nil
	}
	return events, true, err
}

func decideAction(s *State, c TakeAction, by By) ([]Event, error) {
	if err := needRole(s, by, CmdContain); err != nil {
		return nil, err
	}
	inc := &s.Incident
	allowed := []Stage{StageDiagnose, StageStabilize}
	if c.Kind == ActionRecovery {
		allowed = []Stage{StageStabilize}
	}
	if !slices.Contains(allowed, inc.Stage) {
		return nil, refuse("action-stage", stageAdvice(inc, allowed),
			"%s actions are taken during %s; the incident is in %s", c.Kind, joinOr(names(allowed)), inc.Stage.Title())
	}
	return one(ActionTaken{Kind: c.Kind, Description: c.Description, Systems: c.Systems})
}

// decideNotifying decides requests (exceptions and data transfers), their
// approvals and rejections, and notices.
func decideNotifying(s *State, c Command, by By, now time.Time) (events []Event, ok bool, err error) {
	switch c := c.(type) {
	case OpenRequest:
		events, err = decideRequest(s, c, by)
	case ApproveRequest:
		events, err = decideApproval(s, c, by)
	case RejectRequest:
		var req *RequestState
		var as Role
		if req, as, err = decideOnRequest(s, c.Request, c.As, by, "reject"); err == nil {
			events, err = one(RequestRejected{Request: req.Request, As: as, Reason: c.Reason})
		}
	case SendNotification:
		if err = needRole(s, by, CmdNotify); err == nil {
			events, err = decideNotification(s, c, by, now)
		}
	default:
		return nil, false, nil
	}
	return events, true, err
}

func decideApproval(s *State, c ApproveRequest, by By) ([]Event, error) {
	req, as, err := decideOnRequest(s, c.Request, c.As, by, "approve")
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(req.Approvals, func(a Approval) bool { return a.As == as }) {
		return nil, refuse("approval-duplicate-role", "the other required role must approve",
			"request %s already has an approval as %s", req.Request, as)
	}
	if slices.ContainsFunc(req.Approvals, func(a Approval) bool { return a.Actor == by.Actor }) {
		return nil, refuse("approval-same-person", "the other approval must come from a different person",
			"%s already approved request %s; a %s needs %s, two distinct people", by.Actor, req.Request, req.Kind, joinAnd(RequiredApprovals(req.Kind)))
	}
	return one(RequestApproved{Request: req.Request, As: as, Comment: c.Comment})
}

// decideLifecycle decides where the incident is in the process: stage
// moves, the post-mortem, closing and reopening.
func decideLifecycle(s *State, c Command, by By, _ time.Time) (events []Event, ok bool, err error) {
	switch c := c.(type) {
	case MoveStage:
		events, err = decideMove(s, c, by)
	case CompletePostmortem:
		events, err = decidePostmortem(s, c, by)
	case CloseIncident:
		events, err = decideClose(s, c, by)
	case ReopenIncident:
		events, err = decideReopen(s, c, by)
	default:
		return nil, false, nil
	}
	return events, true, err
}

func decideMove(s *State, c MoveStage, by By) ([]Event, error) {
	if err := needRole(s, by, CmdStage); err != nil {
		return nil, err
	}
	if err := checkStageMove(&s.Incident, c.To); err != nil {
		return nil, err
	}
	return one(StageChanged{From: s.Incident.Stage, To: c.To, Reason: c.Reason})
}

func decidePostmortem(s *State, c CompletePostmortem, by By) ([]Event, error) {
	if err := needRole(s, by, CmdPostmortem); err != nil {
		return nil, err
	}
	if inc := &s.Incident; inc.Stage != StageStabilize && inc.Stage != StageClose {
		return nil, refuse("postmortem-stage", stageAdvice(inc, []Stage{StageStabilize, StageClose}),
			"a post-mortem is written in Stabilize and Recover or Close and Post-mortem; the incident is in %s", inc.Stage.Title())
	}
	return one(PostmortemCompleted{Summary: c.Summary, Location: c.Location, SHA256: strings.ToLower(c.SHA256)})
}

func decideClose(s *State, c CloseIncident, by By) ([]Event, error) {
	if err := needRole(s, by, CmdClose); err != nil {
		return nil, err
	}
	inc := &s.Incident
	if inc.Classification == nil {
		return nil, refuse("close-unclassified", classifyAdvice(inc, ""), "incident %s has no classification", inc.ID)
	}
	if inc.NeedsPostmortem() && inc.Postmortem == nil {
		hint := fmt.Sprintf(`record the post-mortem first ("breachledger postmortem %s --summary ... --location ... --file DOC")`, inc.ID)
		if inc.Stage != StageStabilize && inc.Stage != StageClose {
			// A post-mortem is written in Stabilize or Close.
			hint = stageAdvice(inc, []Stage{StageStabilize}) + ", then record the post-mortem there"
		}
		return nil, refuse("close-needs-postmortem", hint, "a %s needs a post-mortem before it is closed", breachKind(inc))
	}
	closed, err := closeWithOpenObligations(s, c, by)
	if err != nil {
		return nil, err
	}
	if inc.Stage == StageClose {
		return one(closed)
	}
	if err := checkStageMove(inc, StageClose); err != nil {
		return nil, err
	}
	return []Event{StageChanged{From: inc.Stage, To: StageClose, Reason: "closing"}, closed}, nil
}

// closeWithOpenObligations is the closure, naming the obligations still
// open at its business time; it refuses them open without a reason.
func closeWithOpenObligations(s *State, c CloseIncident, by By) (IncidentClosed, error) {
	inc := &s.Incident
	closed := IncidentClosed{Summary: c.Summary}
	var open, described []string
	for _, o := range Obligations(inc, s.Ledger.Settings, by.At) {
		if o.Status.Open() {
			open = append(open, o.ID)
			described = append(described, fmt.Sprintf("%s (%s, due %s)", o.ID, o.Status, stamp(o.DueAt)))
		}
	}
	if len(open) == 0 {
		return closed, nil
	}
	if c.OpenObligationsReason == "" {
		return closed, refuse("close-open-obligations",
			fmt.Sprintf(`meet them first ("breachledger deadlines %s"), or give --open-obligations-reason saying why the incident closes with them open (it is kept with the closure)`, inc.ID),
			"incident %s still has open obligations: %s", inc.ID, strings.Join(described, ", "))
	}
	closed.OpenObligations, closed.OpenObligationsReason = open, c.OpenObligationsReason
	return closed, nil
}

func decideReopen(s *State, c ReopenIncident, by By) ([]Event, error) {
	if err := needRole(s, by, CmdReopen); err != nil {
		return nil, err
	}
	if inc := &s.Incident; inc.Stage != StageClose {
		return nil, refuse("reopen-not-closed", "nothing to do", "incident %s is not in Close and Post-mortem (it is in %s)", inc.ID, inc.Stage.Title())
	}
	stage := c.Stage
	if stage == "" {
		stage = StageDiagnose
	}
	return one(IncidentReopened{Reason: c.Reason, Stage: stage})
}
