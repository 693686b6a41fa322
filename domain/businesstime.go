package domain

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Business time must tell a history that could have happened (BRIEF: time
// is bitemporal). Decide checks every new fact against the facts it
// depends on, whatever order they were recorded in, and checks a
// correction against the whole history as it would read corrected.
//
//	rule                          a fact ...                       may not be dated before ...
//	before-detection              any incident fact                the detection
//	aware-before-detection        awareness (--aware-at)           the detection, without --aware-reason
//	stage-before-entered          a stage move, a closure          the stage it leaves was entered
//	before-stage-entered          a classification, an action,     the stage it is recorded in was entered
//	                              a post-mortem
//	reopen-before-close           a reopening                      the closure it undoes
//	close-before-postmortem       a closure that needs one         the post-mortem
//	decision-before-request       an approval or rejection         its request
//	declare-before-classification a CRSPI declaration              the classification it rests on
//	notify-before-declaration     a customer notice                the CRSPI declaration
//	notice-before-clock           a notice                         what starts the clock of each obligation it answers
//	notify-phase                  a follow-up notice               the first notice to the same recipient
//	ack-before-notice             an acknowledgement               its notice
//	release-before-hold           a hold's release                 the hold
//
// Backdating is allowed and made visible: a fact dated further back than
// the ledger's backdate-window from the moment it is recorded, and a
// notice dated at or before its due time but recorded after it, need a
// late-entry reason (rule late-entry-needs-reason), and every status
// judged on business time says how late its deciding fact was recorded
// (Obligation.RecordedLateBy).

// Backdating is part of every incident event: why it was recorded late,
// when it was (rule late-entry-needs-reason). It is in the stored payload,
// so the author's signature covers it.
type Backdating struct {
	LateEntryReason string `json:"late_entry_reason,omitempty"`
}

// timeRule is one rule of business-time consistency.
type timeRule struct {
	Name      string // the rule a refusal names
	Fact      string // the fact that is dated
	NotBefore string // what it may not be dated before
	// dependsOn returns what f depends on in inc, the incident before f.
	dependsOn func(inc *Incident, s Settings, f Fact) []dependency
	// dated is the time of f the rule judges; nil: its business time.
	dated func(f Fact) time.Time
}

// dependency is a fact another depends on, and how a refusal names it.
type dependency struct {
	ref  Ref
	what string
}

// timeRules is the one table of business-time rules (see the table above).
func timeRules() []timeRule {
	return []timeRule{
		{Name: "before-detection", Fact: "any incident fact", NotBefore: "the detection", dependsOn: func(inc *Incident, _ Settings, f Fact) []dependency {
			if _, ok := f.Event.(IncidentDetected); ok || inc.Detection == nil {
				return nil
			}
			return []dependency{{inc.Detection.Ref, "the detection"}}
		}},
		{Name: "aware-before-detection", Fact: "awareness (--aware-at)", NotBefore: "the detection, without --aware-reason",
			// Later awareness is normal (an alert read the next morning);
			// earlier needs a reason.
			dependsOn: func(_ *Incident, _ Settings, f Fact) []dependency {
				if d, ok := f.Event.(IncidentDetected); ok && d.AwareReason == "" {
					return []dependency{{Ref{EventID: f.ID, At: f.At}, "the detection"}}
				}
				return nil
			},
			dated: func(f Fact) time.Time { return f.Event.(IncidentDetected).AwareAt },
		},
		{Name: "stage-before-entered", Fact: "a stage move, a closure", NotBefore: "the stage it leaves was entered", dependsOn: func(inc *Incident, _ Settings, f Fact) []dependency {
			switch f.Event.(type) {
			case StageChanged, IncidentClosed:
				if n := len(inc.StageLog); n > 0 {
					e := inc.StageLog[n-1]
					return []dependency{{e.Ref, "entering " + e.Stage.Title()}}
				}
			}
			return nil
		}},
		{Name: "before-stage-entered", Fact: "a classification, an action, a post-mortem", NotBefore: "the stage it is recorded in was entered", dependsOn: func(inc *Incident, _ Settings, f Fact) []dependency {
			var allowed []Stage
			switch e := f.Event.(type) {
			case IncidentClassified:
				allowed = []Stage{StageAssess, StageDiagnose, StageStabilize, StageClose}
			case ActionTaken:
				allowed = []Stage{StageDiagnose, StageStabilize}
				if e.Kind == ActionRecovery {
					allowed = []Stage{StageStabilize}
				}
			case PostmortemCompleted:
				allowed = []Stage{StageStabilize, StageClose}
			default:
				return nil
			}
			if e, ok := stageRun(inc, allowed); ok {
				return []dependency{{e.Ref, "entering " + e.Stage.Title()}}
			}
			return nil
		}},
		{Name: "reopen-before-close", Fact: "a reopening", NotBefore: "the closure it undoes", dependsOn: func(inc *Incident, _ Settings, f Fact) []dependency {
			if _, ok := f.Event.(IncidentReopened); ok && len(inc.Closures) > 0 {
				return []dependency{{inc.Closures[len(inc.Closures)-1].Ref, "the closure"}}
			}
			return nil
		}},
		{Name: "close-before-postmortem", Fact: "a closure that needs a post-mortem", NotBefore: "the post-mortem", dependsOn: func(inc *Incident, _ Settings, f Fact) []dependency {
			if _, ok := f.Event.(IncidentClosed); ok && inc.NeedsPostmortem() && inc.Postmortem != nil {
				return []dependency{{inc.Postmortem.Ref, "the post-mortem"}}
			}
			return nil
		}},
		{Name: "decision-before-request", Fact: "an approval or rejection", NotBefore: "its request", dependsOn: func(inc *Incident, _ Settings, f Fact) []dependency {
			var id string
			switch e := f.Event.(type) {
			case RequestApproved:
				id = e.Request
			case RequestRejected:
				id = e.Request
			default:
				return nil
			}
			if r := inc.Request(id); r != nil {
				return []dependency{{r.Ref, "request " + r.Request}}
			}
			return nil
		}},
		{Name: "declare-before-classification", Fact: "a CRSPI declaration", NotBefore: "the classification it rests on", dependsOn: func(inc *Incident, _ Settings, f Fact) []dependency {
			if _, ok := f.Event.(CRSPIDeclared); ok && inc.Classification != nil {
				return []dependency{{inc.Classification.Ref, "the classification " + string(inc.Classification.Classification)}}
			}
			return nil
		}},
		{Name: "notify-before-declaration", Fact: "a customer notice", NotBefore: "the CRSPI declaration", dependsOn: func(inc *Incident, _ Settings, f Fact) []dependency {
			if n, ok := f.Event.(NotificationSent); ok && n.RecipientKind.IsCustomer() && inc.Declaration != nil {
				return []dependency{{inc.Declaration.Ref, "the CRSPI declaration"}}
			}
			return nil
		}},
		{Name: "notice-before-clock", Fact: "a notice", NotBefore: "what starts the clock of each obligation it answers", dependsOn: func(inc *Incident, s Settings, f Fact) []dependency {
			n, ok := f.Event.(NotificationSent)
			if !ok {
				return nil
			}
			entry := NotificationEntry{Ref: f.ref(), NotificationSent: n}
			var out []dependency
			for _, o := range Obligations(inc, s, f.At) {
				answers := slices.Contains(n.Obligations, o.ID) || o.satisfies(entry)
				// A year-end anchor is a reporting period, not a fact: a notice
				// may go before it.
				if answers && o.AnchorEvent != "" && !strings.HasPrefix(string(o.rule.Anchor), "year-end:") {
					out = append(out, dependency{Ref{EventID: o.AnchorEvent, At: o.AnchorAt}, o.Anchor + ", which starts " + o.ID})
				}
			}
			return out
		}},
		{Name: "notify-phase", Fact: "a follow-up notice", NotBefore: "the first notice to the same recipient", dependsOn: func(inc *Incident, _ Settings, f Fact) []dependency {
			n, ok := f.Event.(NotificationSent)
			if !ok || n.Phase.Opens() {
				return nil
			}
			var first *NotificationEntry
			for i := range inc.Notifications {
				p := &inc.Notifications[i]
				if sameAudience(p.NotificationSent, n) && (first == nil || p.At.Before(first.At)) {
					first = p
				}
			}
			if first == nil {
				return nil
			}
			return []dependency{{first.Ref, "the first notice to the same recipient"}}
		}},
		{Name: "ack-before-notice", Fact: "an acknowledgement", NotBefore: "its notice", dependsOn: func(inc *Incident, _ Settings, f Fact) []dependency {
			if a, ok := f.Event.(AcknowledgementReceived); ok {
				if n, found := inc.Fact(a.Notice); found {
					return []dependency{{n.ref(), "the notice"}}
				}
			}
			return nil
		}},
		{Name: "release-before-hold", Fact: "a hold's release", NotBefore: "the hold", dependsOn: func(inc *Incident, _ Settings, f Fact) []dependency {
			if r, ok := f.Event.(HoldReleased); ok {
				if h := inc.Regulatory.Hold(r.Hold); h != nil {
					return []dependency{{h.Ref, "hold " + h.Hold}}
				}
			}
			return nil
		}},
	}
}

// stageRun returns the stage entry from which the incident has been, up to
// now, in one of the allowed stages without a break.
func stageRun(inc *Incident, allowed []Stage) (StageEntry, bool) {
	var from StageEntry
	found := false
	for i := len(inc.StageLog) - 1; i >= 0; i-- {
		if !slices.Contains(allowed, inc.StageLog[i].Stage) {
			break
		}
		from, found = inc.StageLog[i], true
	}
	return from, found
}

// timeConflict is a fact dated before a fact it depends on.
type timeConflict struct {
	rule *timeRule
	fact Fact
	with dependency
}

// key identifies a conflict across two readings of one history.
func (c timeConflict) key() string {
	return c.rule.Name + "\x00" + c.fact.ID + "\x00" + c.with.ref.EventID + "\x00" + c.with.what
}

// timeConflicts returns the conflicts of f with the incident before it.
func timeConflicts(inc *Incident, s Settings, f Fact) []timeConflict {
	var out []timeConflict
	rules := timeRules()
	for i := range rules {
		r := &rules[i]
		at := f.At
		for _, d := range r.dependsOn(inc, s, f) {
			if r.dated != nil {
				at = r.dated(f)
			}
			if at.Before(d.ref.At) {
				out = append(out, timeConflict{rule: r, fact: f, with: d})
			}
		}
	}
	return out
}

// checkNewFacts refuses events about to be recorded at by.At that are
// dated before a fact they depend on.
func checkNewFacts(s *State, events []Event, by By) error {
	for _, e := range events {
		f := Fact{Type: TypeOf(e), At: by.At, Actor: by.Actor, Event: e}
		if cs := timeConflicts(&s.Incident, s.Ledger.Settings, f); len(cs) > 0 {
			return cs[0].refusal("")
		}
	}
	return nil
}

// checkCorrection checks a correction against the business-time rules
// (checkCorrectedHistory) and the late-entry rule (checkLateCorrection).
func checkCorrection(s *State, c EventCorrected, by By, now time.Time) error {
	target, ok := s.Incident.Fact(c.Target)
	if !ok {
		return nil // Decide has already refused it
	}
	corrected := target
	corrected.At, corrected.Event = c.At, c.Replacement
	if err := checkCorrectedHistory(s, target, corrected); err != nil {
		return err
	}
	return checkLateCorrection(s, target, c.At, by, now)
}

// checkCorrectedHistory refuses a correction after which the history, read
// corrected, has a conflict it did not have before: a fact moved before
// one it depends on, or one that depends on it moved after it.
func checkCorrectedHistory(s *State, target, corrected Fact) error {
	known := map[string]bool{}
	for _, c := range historyConflicts(s.Incident.Facts, s.Ledger.Settings) {
		known[c.key()] = true
	}
	facts := slices.Clone(s.Incident.Facts)
	for i := range facts {
		if facts[i].ID == target.ID {
			facts[i] = corrected
		}
	}
	for _, c := range historyConflicts(facts, s.Ledger.Settings) {
		if !known[c.key()] {
			return c.refusal(target.ID)
		}
	}
	return nil
}

// historyConflicts folds facts in sequence order and returns every conflict
// of a fact with the incident before it.
func historyConflicts(facts []Fact, s Settings) []timeConflict {
	var inc Incident
	var out []timeConflict
	for _, f := range facts {
		out = append(out, timeConflicts(&inc, s, f)...)
		inc.apply(f)
		inc.Facts = append(inc.Facts, f)
	}
	return out
}

// refusal says which rule the conflict breaks, with which event, and what
// to do instead; corrected is the event a correction changes ("" for a new
// fact).
func (c timeConflict) refusal(corrected string) *RuleError {
	what := describeFact(c.fact)
	with := c.with.what
	if c.with.ref.EventID != "" && c.with.ref.EventID != c.fact.ID {
		with += " (event " + c.with.ref.EventID + ")"
	}
	if c.rule.Name == "aware-before-detection" {
		hint := "give --aware-reason saying how the organisation became aware before the detection, or an --aware-at at or after --at"
		if corrected != "" {
			hint = "give --aware-reason (--set aware_reason=...) saying how the organisation became aware before the detection, or an awareness at or after it"
		}
		d := c.fact.Event.(IncidentDetected)
		return refuse(c.rule.Name, hint, "awareness at %s is before the detection at %s, and no --aware-reason says why", stamp(d.AwareAt), stamp(c.fact.At))
	}
	hint := fmt.Sprintf("give an --at at or after %s (%s), or correct that event's time first", stamp(c.with.ref.At), c.with.what)
	if corrected != "" {
		hint = fmt.Sprintf("the correction of %s would leave it so; correct the other event first, or give a --new-at that keeps the order", corrected)
		if c.fact.ID == corrected {
			hint = fmt.Sprintf("give a --new-at at or after %s (%s), or correct that event's time first", stamp(c.with.ref.At), c.with.what)
		}
	}
	return refuse(c.rule.Name, hint, "%s dated %s would come before %s at %s: %s may not be dated before %s",
		what, stamp(c.fact.At), with, stamp(c.with.ref.At), c.rule.Fact, c.rule.NotBefore)
}

// factNames name the facts of an incident in refusals.
func factNames() map[string]string {
	return map[string]string{
		"IncidentDetected": "detection", "IncidentAssessed": "assessment", "StageChanged": "stage move",
		"IncidentClassified": "classification", "ScopeRecorded": "scope", "RiskDetermined": "risk determination",
		"CRSPIDeclared": "CRSPI declaration", "ActionTaken": "action", "EvidenceRecorded": "evidence",
		"RequestOpened": "request", "RequestApproved": "approval", "RequestRejected": "rejection",
		"NotificationSent": "notice", "PostmortemCompleted": "post-mortem", "IncidentClosed": "closure",
		"IncidentReopened": "reopening", "NoteAdded": "note", "EntityProfiled": "profile",
		"AffectedRecorded": "affected count", "DeterminationMade": "determination",
		"AcknowledgementReceived": "acknowledgement", "HoldRecorded": "hold", "HoldReleased": "release",
		"RiskFactorsRecorded": "risk factors", "PackPinned": "rule pack pin", "EventCorrected": "correction",
	}
}

// describeFact names a fact in a refusal: "this notice" for a new one,
// "notice EVENT-ID" for a recorded one.
func describeFact(f Fact) string {
	name, ok := factNames()[f.Type]
	if !ok {
		name = f.Type
	}
	if f.ID != "" {
		return name + " " + f.ID
	}
	return "this " + name
}

// checkLateEntry refuses a fact dated further back than the ledger's
// backdate-window from now without a late-entry reason.
func checkLateEntry(s *State, by By, now time.Time) error {
	w := s.Ledger.Settings.BackdateWindow
	if by.LateEntryReason != "" || w <= 0 || now.Sub(by.At) <= w {
		return nil
	}
	return lateEntryRefusal(fmt.Sprintf("this fact is dated %s, %s before it is recorded (%s), and the ledger's backdate-window is %s",
		stamp(by.At), FormatDuration(now.Sub(by.At).Round(time.Second)), stamp(now), FormatDuration(w)))
}

func lateEntryRefusal(why string) *RuleError {
	return refuse("late-entry-needs-reason",
		`give --late-entry-reason saying why it is recorded only now (it is kept with the fact and shown beside its status); an admin sets how far back facts may be dated without one with "breachledger setting backdate-window D"`,
		"%s", why)
}

// withLateEntry returns events with the late-entry reason recorded on each
// that carries Backdating.
func withLateEntry(events []Event, reason string) []Event {
	if reason == "" {
		return events
	}
	out := make([]Event, len(events))
	for i, e := range events {
		v := reflect.New(reflect.TypeOf(e)).Elem()
		v.Set(reflect.ValueOf(e))
		if f := v.FieldByName("Backdating"); f.IsValid() {
			f.Set(reflect.ValueOf(Backdating{LateEntryReason: reason}))
		}
		out[i] = v.Interface().(Event)
	}
	return out
}

// backdated is an incident event: it carries Backdating (the method is
// promoted from the embedded struct).
type backdated interface{ lateEntry() string }

func (b Backdating) lateEntry() string { return b.LateEntryReason }

// carriesBackdating reports whether e is an incident event.
func carriesBackdating(e Event) bool {
	_, ok := e.(backdated)
	return ok
}

// checkLateCorrection refuses, without a late-entry reason, a correction
// that dates a fact further back than the backdate-window from when it was
// recorded (when it was not so before), or that moves a notice recorded
// after its due time to at or before it: backdating through a correction
// is as visible as backdating a new fact.
func checkLateCorrection(s *State, target Fact, at time.Time, by By, now time.Time) error {
	if by.LateEntryReason != "" || at.Equal(target.At) || target.RecordedAt.IsZero() {
		return nil
	}
	rec := target.RecordedAt
	if w := s.Ledger.Settings.BackdateWindow; w > 0 && rec.Sub(at) > w && rec.Sub(target.At) <= w {
		return lateEntryRefusal(fmt.Sprintf("the correction dates event %s at %s, %s before it was recorded (%s), and the ledger's backdate-window is %s",
			target.ID, stamp(at), FormatDuration(rec.Sub(at).Round(time.Second)), stamp(rec), FormatDuration(w)))
	}
	if _, ok := target.Event.(NotificationSent); !ok {
		return nil
	}
	for _, o := range Obligations(&s.Incident, s.Ledger.Settings, now) {
		if o.MetBy == target.ID && target.At.After(o.DueAt) && !at.After(o.DueAt) && rec.After(o.DueAt) {
			return lateEntryRefusal(fmt.Sprintf("the correction moves notice %s to %s, at or before %s's due time %s, and the notice was recorded %s after it: it would show met on business time alone",
				target.ID, stamp(at), o.ID, stamp(o.DueAt), FormatDuration(rec.Sub(o.DueAt).Round(time.Second))))
		}
	}
	return nil
}

// LateEntryReason returns why e was recorded late, if it says so.
func LateEntryReason(e Event) string { return lateEntryOf(e) }

// lateEntryOf returns the late-entry reason recorded on e, if any.
func lateEntryOf(e Event) string {
	if b, ok := e.(backdated); ok {
		return b.lateEntry()
	}
	return ""
}
