package domain

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// Commands that record regulatory facts.

// RecordProfile changes the entity profile: lists are added to and removed from.
type RecordProfile struct {
	By
	AddEstablishments, RemoveEstablishments []string
	AddSectors, RemoveSectors               []string
	AddEntityTypes, RemoveEntityTypes       []EntityType
	AddControllers, RemoveControllers       []string
	Replace                                 bool // the Add lists are the whole new lists (see RecordScope.Replace)
}

// RecordAffected sets the affected count of jurisdictions (a count of 0
// keeps the jurisdiction with nobody affected) and removes others.
//
// With Replace, Set is every count (Remove must be empty): the counts
// recorded before and not in Set are removed.
type RecordAffected struct {
	By
	Set     []AffectedCount
	Remove  []string
	Replace bool
}

// MakeDetermination records a determination.
type MakeDetermination struct {
	By
	Kind      DeterminationKind
	Positive  bool
	Reasoning string
}

// RecordAcknowledgement records that a recipient acknowledged a notice.
type RecordAcknowledgement struct {
	By
	Notice    string
	From      string
	Reference string
}

// RecordHold records a hold of notification on a legal basis.
type RecordHold struct {
	By
	Kind        HoldKind
	Obligations []string
	Basis       string
	Authority   string
	Written     bool
	Until       time.Time
}

// ReleaseHold ends a hold before its expiry.
type ReleaseHold struct {
	By
	Hold   string
	Reason string
}

// RecordRiskFactors records the structured risk factors (in full).
type RecordRiskFactors struct {
	By
	RiskFactorsRecorded
}

// PinPack moves the incident to another rule pack.
type PinPack struct {
	By
	Version string
	Reason  string
}

// SECAttorneyGeneralDelays are the successive delays Form 8-K Item 1.05(c)
// allows on the Attorney General's written notice: up to 30 days, then up
// to 30 more, then up to 60 more in extraordinary circumstances; beyond
// that only an SEC exemptive order. A new slice on each call.
func SECAttorneyGeneralDelays() []time.Duration {
	return []time.Duration{30 * 24 * time.Hour, 30 * 24 * time.Hour, 60 * 24 * time.Hour}
}

// decideRegulatory decides the regulatory commands; ok is false for any other.
func decideRegulatory(s *State, c Command, by By, now time.Time) (events []Event, ok bool, err error) {
	switch c := c.(type) {
	case RecordProfile:
		events, err = decideProfile(s, c, by)
	case RecordAffected:
		events, err = decideAffected(s, c, by)
	case MakeDetermination:
		events, err = decideDetermination(s, c, by)
	case RecordAcknowledgement:
		events, err = decideAcknowledgement(s, c, by)
	case RecordHold:
		events, err = decideRecordHold(s, c, by)
	case ReleaseHold:
		events, err = decideReleaseHold(s, c, by)
	case RecordRiskFactors:
		events, err = decideRiskFactors(s, c, by)
	case PinPack:
		events, err = decidePinPack(s, c, by)
	default:
		return nil, false, nil
	}
	return events, true, err
}

func decideProfile(s *State, c RecordProfile, by By) ([]Event, error) {
	g := &s.Incident.Regulatory
	if err := needRole(s, by, CmdProfile); err != nil {
		return nil, err
	}
	var cur EntityProfiled
	if g.Profile != nil {
		cur = g.Profile.EntityProfiled
	}
	if c.Replace {
		if err := replaceOnly(len(c.RemoveEstablishments) + len(c.RemoveSectors) + len(c.RemoveEntityTypes) + len(c.RemoveControllers)); err != nil {
			return nil, err
		}
		c.RemoveEstablishments, c.RemoveSectors, c.RemoveEntityTypes, c.RemoveControllers = cur.Establishments, cur.Sectors, cur.EntityTypes, cur.Controllers
	}
	if err := refuseNoEffect(g.PackVersion(), cur.EntityTypes, c.AddEntityTypes); err != nil {
		return nil, err
	}
	next := EntityProfiled{
		Establishments: edit(cur.Establishments, upper(c.AddEstablishments), upper(c.RemoveEstablishments)),
		Sectors:        edit(cur.Sectors, c.AddSectors, c.RemoveSectors),
		EntityTypes:    editEnum(cur.EntityTypes, c.AddEntityTypes, c.RemoveEntityTypes),
		Controllers:    edit(cur.Controllers, c.AddControllers, c.RemoveControllers),
	}
	if g.Profile != nil && reflect.DeepEqual(next, cur) {
		return nil, &ValidationError{Fields: []*FieldError{{Field: "profile", Problem: "nothing changes"}}}
	}
	return []Event{next}, nil
}

func decideAffected(s *State, c RecordAffected, by By) ([]Event, error) {
	g := &s.Incident.Regulatory
	if err := needRole(s, by, CmdAffected); err != nil {
		return nil, err
	}
	var counts []AffectedCount
	if g.Affected != nil {
		counts = slices.Clone(g.Affected.Counts)
	}
	if c.Replace {
		if err := replaceOnly(len(c.Remove)); err != nil {
			return nil, err
		}
		counts = nil // Set is every count: none recorded before is kept
	}
	var fs fields
	for _, j := range upper(c.Remove) {
		i := slices.IndexFunc(counts, func(x AffectedCount) bool { return x.Jurisdiction == j })
		if i < 0 {
			fs.problem("remove", j, "no count recorded for it")
			continue
		}
		counts = slices.Delete(counts, i, i+1)
	}
	for _, x := range c.Set {
		x.Jurisdiction = normalizeJurisdiction(x.Jurisdiction)
		if i := slices.IndexFunc(counts, func(y AffectedCount) bool { return y.Jurisdiction == x.Jurisdiction }); i >= 0 {
			counts[i] = x
		} else {
			counts = append(counts, x)
		}
	}
	if err := fs.err(); err != nil {
		return nil, err
	}
	sort.SliceStable(counts, func(i, j int) bool { return counts[i].Jurisdiction < counts[j].Jurisdiction })
	if counts == nil {
		counts = []AffectedCount{}
	}
	if g.Affected != nil && reflect.DeepEqual(counts, g.Affected.Counts) {
		return nil, &ValidationError{Fields: []*FieldError{{Field: "count", Problem: "nothing changes"}}}
	}
	return []Event{AffectedRecorded{Counts: counts}}, nil
}

func decideDetermination(s *State, c MakeDetermination, by By) ([]Event, error) {
	inc := &s.Incident
	g := &s.Incident.Regulatory
	if err := needRole(s, by, CmdDetermine); err != nil {
		return nil, err
	}
	if c.Kind == DetSECInfoAvailable && !g.Positive(DetSECMaterial) {
		return nil, refuse("determination-order", fmt.Sprintf(`determine materiality first ("breachledger determine %s sec-material ...")`, inc.ID),
			"an 8-K/A (Item 1.05 Instruction 2) amends the Item 1.05 filing, and the incident was not determined material")
	}
	return []Event{DeterminationMade{Kind: c.Kind, Positive: c.Positive, Reasoning: c.Reasoning}}, nil
}

func decideAcknowledgement(s *State, c RecordAcknowledgement, by By) ([]Event, error) {
	inc := &s.Incident
	if err := needRole(s, by, CmdAck); err != nil {
		return nil, err
	}
	f, found := inc.Fact(c.Notice)
	if !found {
		return nil, &NotFoundError{What: "notice", ID: c.Notice, Hint: fmt.Sprintf(`notice event IDs are listed by "breachledger timeline %s"`, inc.ID)}
	}
	if _, isNotice := f.Event.(NotificationSent); !isNotice {
		return nil, refuse("ack-not-notice", "name the event ID of a notice (notify)", "event %s is a %s, not a notice", c.Notice, f.Type)
	}
	return []Event{AcknowledgementReceived{Notice: c.Notice, From: c.From, Reference: c.Reference}}, nil
}

func decideRecordHold(s *State, c RecordHold, by By) ([]Event, error) {
	if err := needRole(s, by, CmdHold); err != nil {
		return nil, err
	}
	e, err := decideHold(s, c, by)
	if err != nil {
		return nil, err
	}
	return []Event{e}, nil
}

func decideReleaseHold(s *State, c ReleaseHold, by By) ([]Event, error) {
	g := &s.Incident.Regulatory
	if err := needRole(s, by, CmdHold); err != nil {
		return nil, err
	}
	h := g.Hold(strings.ToUpper(c.Hold))
	if h == nil {
		return nil, &NotFoundError{What: "hold", ID: c.Hold, Hint: "holds of this incident are listed by \"breachledger show\""}
	}
	if h.Released != nil || !h.end().After(by.At) {
		return nil, refuse("hold-ended", "nothing to do", "hold %s already ended at %s", h.Hold, stamp(h.end()))
	}
	return []Event{HoldReleased{Hold: h.Hold, Reason: c.Reason}}, nil
}

func decideRiskFactors(s *State, c RecordRiskFactors, by By) ([]Event, error) {
	inc := &s.Incident
	if err := needRole(s, by, CmdFactors); err != nil {
		return nil, err
	}
	if !inc.PersonalData() {
		return nil, refuse("risk-needs-personal-data", "classify it privacy-breach, or assess its information impact as privacy-breach, first",
			"the risk factors are those of a personal data breach, and no personal data is recorded as involved")
	}
	return []Event{c.RiskFactorsRecorded}, nil
}

func decidePinPack(s *State, c PinPack, by By) ([]Event, error) {
	inc := &s.Incident
	g := &s.Incident.Regulatory
	if err := needRole(s, by, CmdPack); err != nil {
		return nil, err
	}
	if c.Version == g.PackVersion() {
		return nil, refuse("pack-unchanged", "nothing to do", "incident %s is already evaluated under pack %s", inc.ID, c.Version)
	}
	return []Event{PackPinned{Version: c.Version, Reason: c.Reason}}, nil
}

func editEnum[T ~string](cur, add, remove []T) []T {
	out := []T{}
	for _, x := range cur {
		if !slices.Contains(remove, x) {
			out = append(out, x)
		}
	}
	for _, x := range add {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// decideHold checks a hold against the law it relies on.
func decideHold(s *State, c RecordHold, by By) (HoldRecorded, error) {
	inc := &s.Incident
	g := &inc.Regulatory
	e := HoldRecorded{Hold: fmt.Sprintf("H%d", len(g.Holds)+1), Kind: c.Kind, Obligations: c.Obligations, Basis: c.Basis,
		Authority: c.Authority, Written: c.Written, Until: c.Until.UTC()}
	if c.Until.IsZero() {
		e.Until = time.Time{}
	}
	if !e.Until.IsZero() && !e.Until.After(by.At) {
		return e, &ValidationError{Fields: []*FieldError{{Field: "until", Value: stamp(e.Until), Problem: "must be after the hold's own time " + stamp(by.At)}}}
	}
	obs := Obligations(inc, s.Ledger.Settings, by.At)
	var holdable []string
	for _, o := range obs {
		if slices.Contains(o.rule.Holds, c.Kind) && (len(c.Obligations) == 0 || slices.Contains(c.Obligations, o.ID) || slices.Contains(c.Obligations, o.Rule)) {
			holdable = append(holdable, o.ID)
		}
	}
	for _, id := range c.Obligations {
		if !slices.ContainsFunc(obs, func(o Obligation) bool { return o.ID == id || o.Rule == id }) {
			return e, noSuchObligation(id, obs, true)
		}
	}
	if len(holdable) == 0 {
		return e, refuse("hold-kind", "check which obligations run (\"breachledger deadlines INCIDENT\") and the legal basis",
			"no obligation of incident %s can be held by a %s hold", inc.ID, c.Kind)
	}
	switch c.Kind {
	case HoldLawEnforcement:
		if !c.Written && !e.Until.IsZero() && e.Until.Sub(by.At) > OralHoldLimit {
			return e, refuse("oral-hold-limit", "record the official's written statement as a new hold (--written --until)",
				"an oral law-enforcement statement holds a notice for at most 30 days from the statement (45 CFR 164.412(b)); %s is %s later",
				stamp(e.Until), FormatDuration(e.Until.Sub(by.At)))
		}
	case HoldSECAttorneyGeneral:
		var prev []*HoldState
		for _, h := range g.Holds {
			if h.Kind == HoldSECAttorneyGeneral {
				prev = append(prev, h)
			}
		}
		if len(prev) >= len(SECAttorneyGeneralDelays()) {
			return e, refuse("sec-ag-delay-limit", "beyond 120 days only an SEC exemptive order delays the filing; record it as a note and file",
				"Form 8-K Item 1.05(c) allows three Attorney General delays (30, 30 and 60 days); %d are recorded", len(prev))
		}
		base := by.At
		if len(prev) > 0 {
			base = prev[len(prev)-1].end()
		} else {
			for _, o := range obs {
				if o.Rule == "sec-8k-1.05" && o.DueAt.After(base) {
					base = o.DueAt
				}
			}
		}
		if limit := SECAttorneyGeneralDelays()[len(prev)]; e.Until.Sub(base) > limit {
			return e, refuse("sec-ag-delay-limit", fmt.Sprintf("give an --until no later than %s", stamp(base.Add(limit))),
				"delay %d of Form 8-K Item 1.05(c) is at most %s after %s", len(prev)+1, FormatDuration(limit), stamp(base))
		}
	}
	return e, nil
}

func obligationIDs(obs []Obligation) []string {
	out := make([]string, len(obs))
	for i, o := range obs {
		out[i] = o.ID
	}
	return out
}

// checkNoticeObligations checks a notice against the obligations it
// answers: obligations named with --for exist and go to that kind of
// recipient; a notice that names none answers one regime only (else it is
// ambiguous); a late notice carries the reasons for the delay.
func checkNoticeObligations(s *State, n NotificationSent, by By, now time.Time) error {
	inc := &s.Incident
	obs := Obligations(inc, s.Ledger.Settings, by.At)
	entry := NotificationEntry{Ref: Ref{At: by.At, Actor: by.Actor}, NotificationSent: n}
	for _, id := range n.Obligations {
		i := slices.IndexFunc(obs, func(o Obligation) bool { return o.ID == id })
		if i < 0 {
			return noSuchObligation(id, obs, false)
		}
		o := obs[i]
		if o.Recipient != n.RecipientKind && !(o.Recipient.IsCustomer() && n.RecipientKind.IsCustomer()) {
			return refuse("notify-recipient", fmt.Sprintf("give --to %s", o.Recipient),
				"%s is a notice to %s (%s), not to %s", o.ID, o.Recipient, o.Whom, n.RecipientKind)
		}
	}
	var answers []Obligation
	for _, o := range obs {
		if o.satisfies(entry) {
			answers = append(answers, o)
		}
	}
	if len(n.Obligations) == 0 && n.Phase != PhaseDelayNotice && n.Phase != PhaseWithdrawn {
		var open []Obligation
		regimes := map[string]bool{}
		rules := map[string]int{}
		for _, o := range answers {
			if o.Status.Open() {
				open = append(open, o)
				regimes[o.Regime] = true
				rules[o.Rule]++
			}
		}
		ambiguous := len(regimes) > 1
		for _, n := range rules {
			ambiguous = ambiguous || n > 1
		}
		if ambiguous {
			return refuse("notify-ambiguous", "name the obligations this notice answers with --for (repeatable), or the authority's --jurisdiction",
				"this notice would answer %s", strings.Join(obligationIDs(open), ", "))
		}
	}
	if by.LateEntryReason == "" {
		for _, o := range answers {
			if o.Status.Open() && !by.At.After(o.DueAt) && now.After(o.DueAt) {
				return lateEntryRefusal(fmt.Sprintf("this notice is dated %s, at or before %s's due time %s, but recorded %s after it: it would show met on business time alone",
					stamp(by.At), o.ID, stamp(o.DueAt), FormatDuration(now.Sub(o.DueAt).Round(time.Second))))
			}
		}
	}
	if n.DelayReason != "" {
		return nil
	}
	for _, o := range answers {
		if o.Status.Open() && by.At.After(o.DueAt) {
			hint := "give --delay-reason"
			if o.Rule == "gdpr-art33" || o.Rule == "uk-gdpr-art33" {
				hint = "give --delay-reason: a notification after 72 hours shall be accompanied by reasons for the delay (GDPR Art. 33(1))"
			}
			return refuse("late-needs-reason", hint, "this notice is late: %s was due %s (%s)", o.ID, stamp(o.DueAt), o.Citation)
		}
	}
	return nil
}

// checkRegulatoryCorrection refuses a correction that moves a
// determination later: like awareness, the anchor of a clock only moves
// earlier, so a correction can never buy time.
func checkRegulatoryCorrection(target Fact, at time.Time) error {
	if d, ok := target.Event.(DeterminationMade); ok && at.After(target.At) {
		return refuse("determination-later", "a determination's time may only be corrected earlier; if the facts show it later, record a note with the evidence",
			"the correction moves the %s determination from %s to the later %s", d.Kind, stamp(target.At), stamp(at))
	}
	return nil
}

// replaceOnly refuses Remove lists beside Replace: the Add lists (or Set)
// already say the whole new value.
func replaceOnly(removes int) error {
	if removes == 0 {
		return nil
	}
	return &ValidationError{Fields: []*FieldError{{Field: "remove", Problem: "not with replace: the lists given are the whole new value"}}}
}

// refuseNoEffect refuses adding an entity type that no rule of the
// incident's pack reads, for incidents pinned to a pack held to that rule
// (2026.2 and later): recording it would change nothing, silently. A type
// already in the profile stays. An incident pinned to an older pack is
// decided as it was when its history was recorded, so the notary's
// re-decision of an old profile gives the same answer.
func refuseNoEffect(version string, cur, add []EntityType) error {
	p, ok := PackByVersion(version)
	if !ok || !p.checksConventions() {
		return nil
	}
	used := p.EntityTypesUsed()
	for _, t := range add {
		if slices.Contains(cur, t) || slices.Contains(used, t) {
			continue
		}
		return refuse("entity-type-no-effect", fmt.Sprintf("record what decides the rules instead (%s); the entity types that change a rule are: %s", noEffectHint(t), joinTypes(used)),
			"entity type %s changes no rule of pack %s", t, p.Version)
	}
	return nil
}

// noEffectHint says what to record instead of an entity type that changes
// nothing.
func noEffectHint(t EntityType) string {
	if t == EntityCaliforniaBusiness {
		return "Cal. Civ. Code 1798.82 follows from the people affected in California: affected --count US-CA=N"
	}
	return "the facts the rules read: profile --establishment, affected --count, determine"
}
