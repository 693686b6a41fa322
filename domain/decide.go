package domain

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// State is what Decide needs to judge a command: the ledger (roles and
// settings) and the incident the command is about (zero for ledger commands
// and for DetectIncident).
type State struct {
	Ledger   Ledger
	Incident Incident
}

// CommandName names a command in the role table. The constants are the
// only names: a misspelt one does not compile, and TestCommandRoles checks
// that every constant has one row of the table and every needRole call
// passes a constant.
type CommandName string

// Command names, as refusals print them ("notify-role").
const (
	CmdDetect     CommandName = "detect"
	CmdAssess     CommandName = "assess"
	CmdStage      CommandName = "stage"
	CmdClassify   CommandName = "classify"
	CmdScope      CommandName = "scope"
	CmdRisk       CommandName = "risk"
	CmdDeclare    CommandName = "declare"
	CmdContain    CommandName = "contain"
	CmdEvidence   CommandName = "evidence"
	CmdRequest    CommandName = "request"
	CmdNotify     CommandName = "notify"
	CmdPostmortem CommandName = "postmortem"
	CmdClose      CommandName = "close"
	CmdReopen     CommandName = "reopen"
	CmdNote       CommandName = "note"
	CmdGrant      CommandName = "grant"
	CmdRevoke     CommandName = "revoke"
	CmdSetting    CommandName = "setting"
	CmdCalendar   CommandName = "calendar" // calendar set: the user calendar (calendar_user.go)
	CmdWitness    CommandName = "witness"
	CmdProfile    CommandName = "profile"
	CmdAffected   CommandName = "affected"
	CmdDetermine  CommandName = "determine"
	CmdAck        CommandName = "ack"
	CmdHold       CommandName = "hold"
	CmdFactors    CommandName = "factors"
	CmdPack       CommandName = "pack"
)

// CommandRole is one row of the role table: who may issue a command.
type CommandRole struct {
	Command CommandName
	Roles   []Role
}

// commandRoles is the one table of which roles may issue which command,
// built fresh on each call. Approvals and rejections need the roles
// RequiredApprovals names; corrections need a role that may record the
// corrected event.
func commandRoles() []CommandRole {
	return []CommandRole{
		{CmdDetect, writerRoles()},
		{CmdAssess, []Role{RoleResponder, RoleSecurityResponse, RoleIncidentManager, RoleSecurityIncidentManager}},
		{CmdStage, []Role{RoleResponder, RoleSecurityResponse, RoleIncidentManager, RoleSecurityIncidentManager}},
		{CmdClassify, []Role{RoleSecurityResponse, RoleIncidentManager, RoleSecurityIncidentManager}},
		{CmdScope, []Role{RoleSecurityResponse, RoleIncidentManager, RoleSecurityIncidentManager, RoleLegal}},
		{CmdRisk, []Role{RoleSecurityIncidentManager, RoleIncidentManager, RoleLegal}},
		{CmdDeclare, []Role{RoleSecurityIncidentManager}},
		{CmdContain, []Role{RoleResponder, RoleSecurityResponse, RoleIncidentManager, RoleSecurityIncidentManager}},
		{CmdEvidence, writerRoles()},
		{CmdRequest, writerRoles()},
		{CmdNotify, []Role{RoleSecurityResponse, RoleIncidentManager, RoleSecurityIncidentManager, RoleLegal}},
		{CmdPostmortem, []Role{RoleSecurityResponse, RoleIncidentManager, RoleSecurityIncidentManager}},
		{CmdClose, []Role{RoleIncidentManager, RoleSecurityIncidentManager}},
		{CmdReopen, []Role{RoleIncidentManager, RoleSecurityIncidentManager}},
		{CmdNote, writerRoles()},
		{CmdGrant, []Role{RoleAdmin}},
		{CmdRevoke, []Role{RoleAdmin}},
		{CmdSetting, []Role{RoleAdmin}},
		{CmdCalendar, []Role{RoleAdmin}},
		{CmdWitness, []Role{RoleAdmin}}, // the witnesses checkpoints go to (witnesses.go)
		// Regulatory facts (facts_decide.go).
		{CmdProfile, []Role{RoleSecurityIncidentManager, RoleIncidentManager, RoleLegal}},
		{CmdAffected, []Role{RoleSecurityResponse, RoleIncidentManager, RoleSecurityIncidentManager, RoleLegal}},
		{CmdDetermine, []Role{RoleSecurityIncidentManager, RoleIncidentManager, RoleLegal, RoleExecutiveIM}},
		{CmdAck, []Role{RoleSecurityResponse, RoleIncidentManager, RoleSecurityIncidentManager, RoleLegal}},
		{CmdHold, []Role{RoleLegal}},
		{CmdFactors, []Role{RoleSecurityResponse, RoleIncidentManager, RoleSecurityIncidentManager, RoleLegal}},
		{CmdPack, []Role{RoleSecurityIncidentManager, RoleIncidentManager, RoleLegal}},
		{CmdShred, []Role{RoleLegal, RoleAdmin}}, // forgetting personal data (shred.go)
	}
}

// CommandRoles returns the role table (a fresh copy), in its order.
func CommandRoles() []CommandRole { return commandRoles() }

// RolesFor returns the roles that may issue command (a fresh slice).
func RolesFor(command CommandName) []Role { return rolesFor(command) }

func rolesFor(command CommandName) []Role {
	for _, cr := range commandRoles() {
		if cr.Command == command {
			return cr.Roles
		}
	}
	panic(fmt.Sprintf("roles for %q: no row in the role table (add one to commandRoles)", command))
}

// correctable maps each event type that may be corrected to the command
// whose roles may correct it. Stage moves, requests and their decisions,
// closures and ledger events are not corrected: record a new fact instead.
func correctable() map[string]CommandName {
	return map[string]CommandName{
		"IncidentDetected":    "detect",
		"IncidentAssessed":    "assess",
		"IncidentClassified":  "classify",
		"ScopeRecorded":       "scope",
		"RiskDetermined":      "risk",
		"CRSPIDeclared":       "declare",
		"ActionTaken":         "contain",
		"EvidenceRecorded":    "evidence",
		"NotificationSent":    "notify",
		"PostmortemCompleted": "postmortem",
		"NoteAdded":           "note",
		// Regulatory facts (facts_events.go).
		"EntityProfiled":          "profile",
		"AffectedRecorded":        "affected",
		"DeterminationMade":       "determine",
		"AcknowledgementReceived": "ack",
		"RiskFactorsRecorded":     "factors",
	}
}

// MaxTextLength is the longest text any one field may hold (64 KiB).
const MaxTextLength = 64 << 10

// Decide returns the events that c produces against s at time now, or an
// error saying why not: a *RuleError (ErrRefused), a *NotFoundError
// (ErrNotFound) or a *ValidationError (ErrInvalid). It does not change s.
func Decide(s State, c Command, now time.Time) ([]Event, error) {
	by := c.origin()
	var fs fields
	fs.require("actor", by.Actor)
	if by.At.IsZero() {
		fs.add(&FieldError{Field: "at", Problem: "required"})
	}
	if err := fs.err(); err != nil {
		return nil, err
	}
	if by.At.After(now) {
		return nil, futureTime("at", by.At, now, "give an --at at or before now, or leave --at out for now")
	}
	if _, ok := c.(InitLedger); !ok && !s.Ledger.Initialized {
		return nil, &NotFoundError{What: "ledger", ID: s.Ledger.Name, Hint: `initialise it with "breachledger init --name NAME"`}
	}
	events, err := decide(&s, c, by, now)
	if err != nil {
		return nil, err
	}
	incidentFacts := len(events) > 0 && carriesBackdating(events[0])
	if incidentFacts {
		events = withLateEntry(events, by.LateEntryReason)
	}
	for _, e := range events {
		e.validate(&fs)
		checkText(&fs, reflect.ValueOf(e), "")
	}
	if err := fs.err(); err != nil {
		return nil, err
	}
	if err := checkDecidedSignatures(&s, c, by, events); err != nil {
		return nil, err
	}
	if incidentFacts {
		if corr, ok := events[0].(EventCorrected); ok {
			if err := checkCorrection(&s, corr, by, now); err != nil {
				return nil, err
			}
		} else if err := checkNewFacts(&s, events, by); err != nil {
			return nil, err
		}
		if err := checkLateEntry(&s, by, now); err != nil {
			return nil, err
		}
	}
	return events, nil
}

func decide(s *State, c Command, by By, now time.Time) ([]Event, error) {
	switch c := c.(type) {
	case InitLedger:
		return decideInit(s, c, by)
	case GrantRole:
		if err := needRole(s, by, CmdGrant); err != nil {
			return nil, err
		}
		if err := checkNewActorName("grantee", c.Grantee); err != nil {
			return nil, err
		}
		if s.Ledger.Has(c.Grantee, c.Role) {
			return nil, refuse("grant-unchanged", "nothing to do", "%s already holds %s", c.Grantee, c.Role)
		}
		return one(RoleGranted{Actor: c.Grantee, Role: c.Role, Reason: c.Reason})
	case RevokeRole:
		if err := needRole(s, by, CmdRevoke); err != nil {
			return nil, err
		}
		if !s.Ledger.Has(c.Grantee, c.Role) {
			return nil, refuse("revoke-unchanged", "nothing to do", "%s does not hold %s", c.Grantee, c.Role)
		}
		if c.Role == RoleAdmin && countHolders(s.Ledger, RoleAdmin) == 1 {
			return nil, refuse("last-admin", "grant admin to someone else first", "%s is the last admin; a ledger without an admin cannot grant roles", c.Grantee)
		}
		return one(RoleRevoked{Actor: c.Grantee, Role: c.Role, Reason: c.Reason})
	case SetCalendar:
		return decideCalendar(s, c, by, now) // calendar_user.go
	case ChangeSetting:
		if err := needRole(s, by, CmdSetting); err != nil {
			return nil, err
		}
		if err := checkSettingTime(s, c, by, now); err != nil {
			return nil, err
		}
		return one(SettingChanged{Key: c.Key, Value: c.Value, Reason: c.Reason})
	case RegisterSigner, RevokeSigner, RotateSigner, SetSignaturePolicy:
		return decideSigners(s, c, by)
	case IssueToken, RevokeToken:
		return decideTokens(s, c, by)
	case AddWitness, RemoveWitness:
		return decideWitnesses(s, c, by)
	case RejectForeign, AcceptLegacyTail:
		return decideCustody(s, c, by)
	case AppointNotary:
		return decideNotary(s, c, by)
	case ShredData:
		return decideShred(s, c, by) // shred.go: also on a closed incident
	case DetectIncident:
		if s.Incident.Exists {
			return nil, refuse("incident-exists", "record further facts with the other commands", "incident %s already exists", s.Incident.ID)
		}
		if err := needRole(s, by, CmdDetect); err != nil {
			return nil, err
		}
		aware := c.AwareAt
		if aware.IsZero() {
			aware = by.At
		}
		if aware.After(now) {
			return nil, futureTime("aware-at", aware, now, "give an --aware-at at or before now (when the organisation became aware), or leave --aware-at out to take --at")
		}
		pin := PackPinned{Version: CurrentPack().Version, Reason: "the rule pack in force when the incident was detected"}
		if c.Pack != "" && c.Pack != pin.Version {
			pin = PackPinned{Version: c.Pack, Reason: "pinned at detection (--pack)"}
		}
		calendar, err := detectionCalendar(c) // calendar_user.go
		if err != nil {
			return nil, err
		}
		pin.Calendar = calendar
		return []Event{IncidentDetected{Source: c.Source, Summary: c.Summary, AwareAt: aware.UTC(), AwareReason: c.AwareReason, Role: c.Role, Reference: c.Reference}, pin}, nil
	}
	return decideIncident(s, c, by, now)
}

// decideIncident decides a command on an existing incident: it checks the
// incident exists and is open (a note, a correction and a reopen are
// allowed on a closed one), then asks each command family in turn
// (decide_incident.go, facts_decide.go).
func decideIncident(s *State, c Command, by By, now time.Time) ([]Event, error) {
	inc := &s.Incident
	if !inc.Exists {
		return nil, &NotFoundError{What: "incident", ID: inc.ID, Hint: `list incidents with "breachledger list"`}
	}
	switch c.(type) {
	case AddNote, CorrectEvent, ReopenIncident:
	default:
		if inc.Closed {
			return nil, closedRefusal(inc, c)
		}
	}
	families := []func(*State, Command, By, time.Time) ([]Event, bool, error){
		decideAssessment, decideResponse, decideNotifying, decideLifecycle, decideRegulatory,
	}
	for _, family := range families {
		if events, ok, err := family(s, c, by, now); ok {
			return events, err
		}
	}
	return nil, fmt.Errorf("decide %T: unknown command", c)
}

func decideScope(inc *Incident, c RecordScope) ([]Event, error) {
	cur := inc.Scope.ScopeRecorded
	if c.Replace {
		if err := replaceOnly(len(c.RemoveCustomers) + len(c.RemoveDataCategories) + len(c.RemoveSubjectCategories) + len(c.RemoveJurisdictions)); err != nil {
			return nil, err
		}
		c.RemoveCustomers, c.RemoveDataCategories, c.RemoveSubjectCategories, c.RemoveJurisdictions = cur.Customers, cur.DataCategories, cur.SubjectCategories, cur.Jurisdictions
	}
	next := ScopeRecorded{
		Customers:         edit(cur.Customers, c.AddCustomers, c.RemoveCustomers),
		DataCategories:    edit(cur.DataCategories, c.AddDataCategories, c.RemoveDataCategories),
		SubjectCategories: edit(cur.SubjectCategories, c.AddSubjectCategories, c.RemoveSubjectCategories),
		Jurisdictions:     edit(cur.Jurisdictions, upper(c.AddJurisdictions), upper(c.RemoveJurisdictions)),
		Subjects:          cur.Subjects,
		Records:           cur.Records,
	}
	if c.Subjects != nil {
		next.Subjects = *c.Subjects
	}
	if c.Records != nil {
		next.Records = *c.Records
	}
	var fs fields
	for _, r := range [][2][]string{{c.RemoveCustomers, cur.Customers}, {c.RemoveDataCategories, cur.DataCategories}, {c.RemoveSubjectCategories, cur.SubjectCategories}, {upper(c.RemoveJurisdictions), cur.Jurisdictions}} {
		for _, x := range r[0] {
			if !slices.Contains(r[1], x) {
				fs.problem("remove", x, "not in the recorded scope")
			}
		}
	}
	if err := fs.err(); err != nil {
		return nil, err
	}
	if reflect.DeepEqual(normalizeScope(next), normalizeScope(cur)) {
		return nil, &ValidationError{Fields: []*FieldError{{Field: "scope", Problem: "nothing changes: give at least one --customer, --data-category, --subject-category, --jurisdiction, --subjects or --records"}}}
	}
	return one(next)
}

func normalizeScope(s ScopeRecorded) ScopeRecorded {
	for _, p := range []*[]string{&s.Customers, &s.DataCategories, &s.SubjectCategories, &s.Jurisdictions} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	return s
}

// edit returns cur with add appended (once each, in order) and remove taken out.
func edit(cur, add, remove []string) []string {
	out := []string{}
	for _, x := range cur {
		if !slices.Contains(remove, x) {
			out = append(out, x)
		}
	}
	for _, x := range add {
		x = strings.TrimSpace(x)
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func upper(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strings.ToUpper(strings.TrimSpace(x))
	}
	return out
}

func decideRequest(s *State, c OpenRequest, by By) ([]Event, error) {
	if err := needRole(s, by, CmdRequest); err != nil {
		return nil, err
	}
	inc := &s.Incident
	e := RequestOpened{
		Request: fmt.Sprintf("R%d", len(inc.Requests)+1), Kind: c.Kind, DelayReason: c.DelayReason,
		Until: c.Until.UTC(), Customers: c.Customers, Destination: c.Destination, Details: c.Details,
	}
	if c.Until.IsZero() {
		e.Until = time.Time{}
	}
	if c.Kind == RequestNotificationDelay {
		if !c.Until.IsZero() && !c.Until.After(by.At) {
			return nil, &ValidationError{Fields: []*FieldError{{Field: "until", Value: stamp(c.Until), Problem: "must be after the request's own time " + stamp(by.At)}}}
		}
		for _, cust := range c.Customers {
			if !slices.Contains(inc.Scope.Customers, cust) {
				return nil, refuse("request-customer-scope", fmt.Sprintf(`add the customer to the scope first ("breachledger scope %s --customer %s")`, inc.ID, cust),
					"customer %q is not in the incident's scope", cust)
			}
		}
	}
	return one(e)
}

// decideOnRequest checks an approval or rejection: the request exists and
// is pending, and the actor acts in a role the request needs.
func decideOnRequest(s *State, id string, as Role, by By, verb string) (*RequestState, Role, error) {
	inc := &s.Incident
	req := inc.Request(id)
	if req == nil {
		var ids []string
		for _, r := range inc.Requests {
			ids = append(ids, r.Request)
		}
		hint := "the incident has no requests"
		if len(ids) > 0 {
			hint = "its requests are " + strings.Join(ids, ", ")
		}
		return nil, "", &NotFoundError{What: "request", ID: id, Hint: hint}
	}
	if req.Status != RequestStatusPending {
		return nil, "", refuse("request-decided", "open a new request if circumstances changed", "request %s is already %s", req.Request, req.Status)
	}
	needed := RequiredApprovals(req.Kind)
	if as == "" {
		var open []Role
		for _, r := range needed {
			done := slices.ContainsFunc(req.Approvals, func(a Approval) bool { return a.As == r })
			if s.Ledger.Has(by.Actor, r) && (!done || verb == "reject") {
				open = append(open, r)
			}
		}
		switch len(open) {
		case 0:
			return nil, "", refuse("approval-role", fmt.Sprintf("ask someone who holds %s", joinOr(names(needed))),
				"to %s a %s request one must hold %s; %s holds %s", verb, req.Kind, joinOr(names(needed)), by.Actor, rolesOrNone(s.Ledger, by.Actor))
		case 1:
			as = open[0]
		default:
			return nil, "", &ValidationError{Fields: []*FieldError{{Field: "as", Problem: "required: " + by.Actor + " holds more than one role this request needs", Allowed: names(open)}}}
		}
	}
	if !slices.Contains(needed, as) {
		return nil, "", refuse("approval-role", fmt.Sprintf("%s as %s", verb, joinOr(names(needed))),
			"a %s request is decided by %s, not by %s", req.Kind, joinAnd(needed), as)
	}
	if !s.Ledger.Has(by.Actor, as) {
		return nil, "", refuse("approval-role", fmt.Sprintf("ask someone who holds %s", as),
			"%s does not hold the %s role", by.Actor, as)
	}
	return req, as, nil
}

func decideNotification(s *State, c SendNotification, by By, now time.Time) ([]Event, error) {
	inc := &s.Incident
	n := c.NotificationSent
	if n.RecipientKind.IsCustomer() {
		if inc.Declaration == nil {
			return nil, refuse("notify-before-declaration", fmt.Sprintf(`a security incident manager declares the CRSPI first ("breachledger declare %s --basis ... --reasoning ...")`, inc.ID),
				"customer notices follow a CRSPI declaration, and incident %s has not been declared", inc.ID)
		}
		if !slices.Contains(inc.Scope.Customers, n.Customer) {
			return nil, refuse("notify-customer-scope", fmt.Sprintf(`add the customer to the scope first ("breachledger scope %s --customer %s")`, inc.ID, n.Customer),
				"customer %q is not in the incident's scope", n.Customer)
		}
		if n.RecipientKind == RecipientSubscriptionAdmins && !n.NoSecurityContact {
			return nil, refuse("notify-admins-fallback", "notify the security contacts, or pass --no-security-contact to record that none is configured",
				"subscription admins are notified only when the customer has no security contact configured")
		}
	}
	if !n.Phase.Opens() {
		// Dated before the first notice, it is refused by the business-time
		// rule notify-phase (businesstime.go).
		earlier := slices.ContainsFunc(inc.Notifications, func(p NotificationEntry) bool {
			return sameAudience(p.NotificationSent, n)
		})
		if !earlier {
			return nil, refuse("notify-phase", "record the first notice first (--phase initial, early-warning or notification)",
				"a %s notice follows an earlier notice to the same recipient, and there is none", n.Phase)
		}
	}
	if err := checkNoticeObligations(s, n, by, now); err != nil {
		return nil, err
	}
	return one(n)
}

func sameAudience(a, b NotificationSent) bool {
	if a.RecipientKind.IsCustomer() && b.RecipientKind.IsCustomer() {
		return a.Customer == b.Customer
	}
	return a.RecipientKind == b.RecipientKind && (a.RecipientKind == RecipientDataSubjects || a.Recipient == b.Recipient)
}

func decideCorrection(s *State, c CorrectEvent, by By, now time.Time) ([]Event, error) {
	inc := &s.Incident
	var fs fields
	fs.require("event", c.Target)
	fs.require("reason", c.Reason)
	if err := fs.err(); err != nil {
		return nil, err
	}
	target, ok := inc.Fact(c.Target)
	if !ok {
		return nil, &NotFoundError{What: "event", ID: c.Target, Hint: fmt.Sprintf(`event IDs of this incident are listed by "breachledger timeline %s"`, inc.ID)}
	}
	command, ok := correctable()[target.Type]
	if !ok {
		return nil, refuse("correct-kind", "record a new fact instead (a stage move, a new request, a reopen...)",
			"%s events cannot be corrected", target.Type)
	}
	if err := needRole(s, by, command); err != nil {
		return nil, err
	}
	repl, changed, err := applyChanges(target.Event, c.Changes)
	if err != nil {
		return nil, err
	}
	at := target.At
	if !c.NewAt.IsZero() && !c.NewAt.Equal(target.At) {
		if c.NewAt.After(now) {
			return nil, futureTime("new at", c.NewAt, now, "give a --new-at at or before now")
		}
		at = c.NewAt.UTC()
		changed = append(changed, "at")
	}
	if a, ok := repl.(IncidentAssessed); ok {
		repl = rederive(a, target.Event.(IncidentAssessed))
	}
	if len(changed) == 0 {
		return nil, &ValidationError{Fields: []*FieldError{{Field: "set", Problem: "nothing changes: give --set FIELD=VALUE or --new-at"}}}
	}
	if err := checkRegulatoryCorrection(target, at); err != nil {
		return nil, err
	}
	if d, ok := repl.(IncidentDetected); ok {
		old := target.Event.(IncidentDetected)
		if d.AwareAt.After(old.AwareAt) {
			return nil, refuse("awareness-later", "awareness may only be corrected earlier; if the facts show it later, record a note with the evidence",
				"the correction moves awareness from %s to the later %s", stamp(old.AwareAt), stamp(d.AwareAt))
		}
		if d.AwareAt.After(now) {
			return nil, futureTime("aware_at", d.AwareAt, now, "give an awareness time (--aware-at, or --set aware_at=T) at or before now")
		}
	}
	return one(EventCorrected{Target: target.ID, TargetType: target.Type, At: at, Replacement: repl, Changed: changed, Reason: c.Reason})
}

// rederive recomputes the derived severity and priority of a corrected
// assessment; values that followed the derivation follow it again.
func rederive(a, old IncidentAssessed) IncidentAssessed {
	sev, pri := DeriveSeverity(a.FunctionalImpact, a.Recoverability, a.InformationImpact)
	if a.Severity == old.DerivedSeverity {
		a.Severity = sev
	}
	if a.Priority == old.DerivedPriority {
		a.Priority = pri
	}
	a.DerivedSeverity, a.DerivedPriority = sev, pri
	return a
}

func needRole(s *State, by By, command CommandName) error {
	roles := rolesFor(command)
	if s.Ledger.HasAny(by.Actor, roles) {
		return nil
	}
	return refuse(string(command)+"-role", fmt.Sprintf(`ask someone who holds %s, or an admin to grant a role ("breachledger grant %s %s")`, joinOr(names(roles)), by.Actor, roles[0]),
		"%s needs the %s role; %s holds %s", command, joinOr(names(roles)), by.Actor, rolesOrNone(s.Ledger, by.Actor))
}

func rolesOrNone(l Ledger, actor string) string {
	rs := l.RolesOf(actor)
	if len(rs) == 0 {
		return "no role"
	}
	return roleList(rs)
}

func countHolders(l Ledger, r Role) int {
	n := 0
	for _, a := range l.Actors() {
		if l.Has(a, r) {
			n++
		}
	}
	return n
}

// futureTime refuses a time later than now; hint names the input that
// gave it (--at, --aware-at, a correction's time) and what to give instead.
func futureTime(field string, t, now time.Time, hint string) *RuleError {
	return refuse("future-time", hint,
		"%s %s is in the future (now is %s); a fact is recorded after it happens", field, stamp(t), stamp(now))
}

// closedRefusal refuses a command on a closed incident: a second close is
// nothing to do; anything else waits for a reopen.
func closedRefusal(inc *Incident, c Command) *RuleError {
	reopen := fmt.Sprintf(`"breachledger reopen %s --reason ..."`, inc.ID)
	if _, ok := c.(CloseIncident); ok {
		when := ""
		if n := len(inc.Closures); n > 0 {
			last := inc.Closures[n-1]
			when = fmt.Sprintf(" (closed %s by %s)", stamp(last.At), last.Actor)
		}
		return refuse("already-closed", "nothing to do; if it was closed by mistake or must be worked on again, reopen it ("+reopen+")",
			"incident %s is already closed%s", inc.ID, when)
	}
	return refuse("incident-closed", "reopen it first ("+reopen+")", "incident %s is closed", inc.ID)
}

// classifyAdvice says how to classify inc (as kinds, when given): in
// Detect it is assessed first (classify-stage).
func classifyAdvice(inc *Incident, kinds string) string {
	if kinds != "" {
		kinds = " " + kinds
	}
	if inc.Stage == StageDetect {
		return fmt.Sprintf(`assess it first ("breachledger assess %s ..."), then classify it%s`, inc.ID, kinds)
	}
	return fmt.Sprintf(`classify it%s first ("breachledger classify %s CLASSIFICATION")`, kinds, inc.ID)
}

func classificationOf(inc *Incident) string {
	if inc.Classification == nil {
		return "not classified yet"
	}
	return "classified " + string(inc.Classification.Classification)
}

func breachKind(inc *Incident) string {
	if inc.Declaration != nil {
		return "declared CRSPI"
	}
	return "privacy breach"
}

func joinAnd(rs []Role) string {
	s := names(rs)
	if len(s) == 2 {
		return s[0] + " and " + s[1]
	}
	return strings.Join(s, ", ")
}

func one(e Event) ([]Event, error) { return []Event{e}, nil }

// stamp formats a time for messages: UTC, RFC 3339.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// checkText walks the strings of an event: each must be valid UTF-8,
// without NUL or other control characters (tab and newline allowed), and at
// most MaxTextLength bytes.
func checkText(fs *fields, v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if !v.IsNil() {
			checkText(fs, v.Elem(), name)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				field := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
				if field == "" || field == "-" {
					field = strings.ToLower(t.Field(i).Name)
				}
				checkText(fs, v.Field(i), field)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			for i := 0; i < v.Len(); i++ {
				checkText(fs, v.Index(i), name)
			}
		}
	case reflect.String:
		s := v.String()
		switch {
		case len(s) > MaxTextLength:
			fs.problem(name, "", "%d bytes is over the %d-byte limit for one field; keep long documents outside the ledger and record their SHA-256", len(s), MaxTextLength)
		case !utf8.ValidString(s):
			fs.problem(name, "", "not valid UTF-8")
		case strings.ContainsFunc(s, func(r rune) bool { return r < ' ' && r != '\n' && r != '\t' || r == 0x7f }):
			fs.problem(name, "", "contains a NUL or another control character")
		}
	}
}
