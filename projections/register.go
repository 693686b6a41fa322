package projections

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/safetext"
)

// The breach register is the record GDPR Art. 33(5) asks a controller to
// keep of every personal data breach, notified or not: the facts, the
// effects, the remedial action taken, and (EDPB Guidelines 9/2022) the
// reasoning for notifying or not. UK GDPR Art. 33(5) asks the same; Brazil
// (Res. CD/ANPD 15/2024 Art. 10) and Canada (PIPEDA s. 10.3) ask for a
// record of every incident too, kept five years and 24 months. The
// register lists every incident that involved personal data at any point,
// including those later dismissed (with why), and every declared CRSPI.

// Register is the breach register at a cut.
type Register struct {
	Ledger    string             `json:"ledger"`
	AsOf      time.Time          `json:"as_of"`
	KnownAt   time.Time          `json:"known_at"`
	Entries   []RegisterEntry    `json:"entries"`
	Integrity history.Provenance `json:"integrity"`
	Reproduce string             `json:"reproduce"`
}

// RegisterEntry is one breach.
type RegisterEntry struct {
	Incident       string                   `json:"incident"`
	Status         string                   `json:"status"` // personal-data breach, security incident (CRSPI), not a breach: ...
	Summary        string                   `json:"summary"`
	Source         domain.Source            `json:"source"`
	DetectedAt     time.Time                `json:"detected_at"`
	AwareAt        time.Time                `json:"aware_at"`
	Role           domain.DataRole          `json:"role"`
	Classification domain.Classification    `json:"classification,omitempty"`
	Category       domain.InformationImpact `json:"category,omitempty"`
	Stage          domain.Stage             `json:"stage"`
	Closed         bool                     `json:"closed"`
	ClosedAt       time.Time                `json:"closed_at,omitzero"`

	// Facts.
	Customers         []string `json:"customers"`
	DataCategories    []string `json:"data_categories"`
	SubjectCategories []string `json:"subject_categories"`
	// Subjects: how many people are affected. Once counts are recorded
	// with "affected" (per jurisdiction), their sum, the number the rules'
	// thresholds count; before, the scope's approximate --subjects.
	// SubjectsFrom says which: "affected" or "scope".
	Subjects     int64  `json:"subjects"`
	SubjectsFrom string `json:"subjects_from"`
	Records      int64  `json:"records"`
	// Jurisdictions: the scope's jurisdictions and every jurisdiction with
	// a positive "affected" count, each once, sorted.
	Jurisdictions []string               `json:"jurisdictions"`
	Affected      []domain.AffectedCount `json:"affected"`

	// Effects.
	Severity      domain.Severity  `json:"severity,omitempty"`
	Priority      domain.Priority  `json:"priority,omitempty"`
	Risk          domain.RiskLevel `json:"risk,omitempty"`
	RiskReasoning string           `json:"risk_reasoning,omitempty"`
	RiskFactors   string           `json:"risk_factors,omitempty"`
	// RiskAdvice is the risk advisor's advice on one line: outcome,
	// method, DPC, EI, CB, SE and band, and where the determination
	// differs from it.
	RiskAdvice string `json:"risk_advice,omitempty"`

	// Remedial action.
	Actions    []string `json:"remedial_actions"`
	Postmortem string   `json:"postmortem,omitempty"`

	// Notification, and the reasoning for notifying or not.
	Notified    string             `json:"notified"` // who was told, or "not notified"
	Notices     []RegisterNotice   `json:"notices"`
	Obligations []RegisterDuty     `json:"obligations"`
	Reasoning   []string           `json:"reasoning"`
	RecordsFor  []string           `json:"records_for"` // the record-keeping duties this entry answers
	Pack        string             `json:"pack"`
	Declared    *RegisterDecl      `json:"declared,omitempty"`
	Exceptions  []RegisterApproval `json:"exceptions"`
}

// RegisterNotice is a notice sent.
type RegisterNotice struct {
	EventID      string               `json:"event_id"`
	At           time.Time            `json:"at"`
	To           domain.RecipientKind `json:"to"`
	Recipient    string               `json:"recipient"`
	Jurisdiction string               `json:"jurisdiction,omitempty"`
	Phase        domain.Phase         `json:"phase"`
}

// RegisterDuty is a notification duty and where it stands.
type RegisterDuty struct {
	ID       string        `json:"obligation"`
	Citation string        `json:"citation"`
	DueAt    time.Time     `json:"due_at"`
	Status   domain.Status `json:"status"`
	MetAt    time.Time     `json:"met_at,omitzero"`
	// RecordedLateBy: how long after due the ledger learnt of the notice
	// (domain.Obligation's); the cells say "met (recorded N after due)".
	RecordedLateBy string `json:"recorded_late_by,omitempty"`
	Reason         string `json:"reason,omitempty"`
}

// RegisterDecl is the CRSPI declaration.
type RegisterDecl struct {
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Basis     string    `json:"basis"`
	Reasoning string    `json:"reasoning"`
}

// RegisterApproval is an exception asked for, and what became of it.
type RegisterApproval struct {
	Request string `json:"request"`
	Kind    string `json:"kind"`
	Status  string `json:"status"`
	Check   string `json:"check"`
}

// BuildRegister builds the breach register over every incident of h.
func BuildRegister(h *history.History, cut domain.Cut, p history.Provenance, format string) Register {
	l := h.LedgerAt(cut)
	r := Register{Ledger: l.Name, AsOf: cut.AsOf, KnownAt: cut.KnownAt, Integrity: p,
		Reproduce: strings.Replace(reproduce("--format "+format, p, cut.AsOf, cut.KnownAt), "breachledger report", "breachledger register", 1)}
	for _, id := range h.IncidentIDs() {
		inc := history.IncidentAt(id, h.Incidents[id], cut)
		if e, ok := RegisterEntryOf(&inc, domain.Obligations(&inc, l.Settings, cut.AsOf)); ok {
			r.Entries = append(r.Entries, e)
		}
	}
	emptySlices(&r)
	return r
}

// RegisterEntryOf returns the register entry of an incident replayed at a
// cut, with its obligations evaluated at the cut's as-of time; ok is false
// when it is not a breach to register.
func RegisterEntryOf(inc *domain.Incident, obs []domain.Obligation) (RegisterEntry, bool) {
	if !inc.Exists {
		return RegisterEntry{}, false
	}
	personal := everPersonal(inc)
	if !personal && inc.Declaration == nil {
		return RegisterEntry{}, false
	}
	d := inc.Detection
	sc := inc.Scope
	e := RegisterEntry{
		Incident: inc.ID, Summary: d.Summary, Source: d.Source, DetectedAt: d.At, AwareAt: d.AwareAt, Role: d.Role, Stage: inc.Stage, Closed: inc.Closed,
		Customers: sc.Customers, DataCategories: sc.DataCategories, SubjectCategories: sc.SubjectCategories, Records: sc.Records,
		Pack: inc.Regulatory.PackVersion(),
	}
	e.Subjects, e.SubjectsFrom, e.Jurisdictions = peopleOf(inc) // the scope's and those recorded with "affected"
	if g := inc.Regulatory.Affected; g != nil {
		e.Affected = g.Counts
	}
	if inc.Closed && len(inc.Closures) > 0 {
		e.ClosedAt = inc.Closures[len(inc.Closures)-1].At
	}
	if c := inc.Classification; c != nil {
		e.Classification = c.Classification
	}
	if a := inc.Assessment; a != nil {
		e.Category, e.Severity, e.Priority = a.InformationImpact, a.Severity, a.Priority
	}
	switch {
	case inc.Dismissed():
		e.Status = "not a breach: " + Describe(inc.Classification.IncidentClassified)
	case personal:
		e.Status = "personal-data breach"
	default:
		e.Status = "security incident (CRSPI declared)"
	}
	if rk := inc.Risk; rk != nil {
		e.Risk, e.RiskReasoning = rk.Level, rk.Reasoning
		e.Reasoning = append(e.Reasoning, fmt.Sprintf("GDPR risk level %s, determined %s by %s: %s", rk.Level, stamp(rk.At), rk.Actor, rk.Reasoning))
		if rk.Art34Exception != domain.Art34None {
			e.Reasoning = append(e.Reasoning, fmt.Sprintf("data subjects not told under the %s exception", rk.Art34Exception.Citation()))
		}
	} else if personal {
		e.Reasoning = append(e.Reasoning, "no GDPR risk determination recorded")
	}
	if f := inc.Regulatory.RiskFactors; f != nil {
		e.RiskFactors = describeFactors(f.RiskFactorsRecorded)
	}
	if a, ok := domain.AdviceFor(inc); ok {
		e.RiskAdvice = AdviceLine(a)
	}
	if dc := inc.Declaration; dc != nil {
		e.Declared = &RegisterDecl{At: dc.At, Actor: dc.Actor, Basis: string(dc.Basis), Reasoning: dc.Reasoning}
		e.Reasoning = append(e.Reasoning, fmt.Sprintf("CRSPI declared %s by %s on %s: %s", stamp(dc.At), dc.Actor, dc.Basis, dc.Reasoning))
	}
	for _, dt := range inc.Regulatory.Determinations {
		e.Reasoning = append(e.Reasoning, fmt.Sprintf("determined %s by %s: %s", stamp(dt.At), dt.Actor, Describe(dt.DeterminationMade)))
	}
	if inc.Dismissed() {
		c := inc.Classification
		e.Reasoning = append(e.Reasoning, fmt.Sprintf("classified %s %s by %s: %s", c.Classification, stamp(c.At), c.Actor, orDash(joinNonEmpty(c.RootCause, c.Reason))))
	}
	for _, a := range inc.Actions {
		s := fmt.Sprintf("%s %s: %s", stamp(a.At), a.Kind, a.Description)
		if len(a.Systems) > 0 {
			s += " (" + strings.Join(a.Systems, ", ") + ")"
		}
		e.Actions = append(e.Actions, s)
	}
	if pm := inc.Postmortem; pm != nil {
		e.Postmortem = fmt.Sprintf("%s (%s, sha256:%s)", pm.Summary, pm.Location, pm.SHA256)
	}
	var told []string
	for _, n := range inc.Notifications {
		if n.Phase == domain.PhaseDelayNotice || n.Phase == domain.PhaseWithdrawn {
			continue
		}
		e.Notices = append(e.Notices, RegisterNotice{EventID: n.EventID, At: n.At, To: n.RecipientKind, Recipient: n.Recipient, Jurisdiction: n.Jurisdiction, Phase: n.Phase})
		who := audience(n.NotificationSent)
		if !slices.Contains(told, who) {
			told = append(told, who)
		}
	}
	e.Notified = "not notified"
	if len(told) > 0 {
		e.Notified = strings.Join(told, ", ")
	}
	for _, o := range obs {
		e.Obligations = append(e.Obligations, RegisterDuty{ID: o.ID, Citation: citation(o), DueAt: o.DueAt, Status: o.Status, MetAt: o.MetAt, RecordedLateBy: o.RecordedLateBy, Reason: o.Reason})
		e.Reasoning = append(e.Reasoning, dutyReasoning(o))
	}
	if len(e.Obligations) == 0 {
		e.Reasoning = append(e.Reasoning, fmt.Sprintf("no notification duty arose under rule pack %s (as %s)", e.Pack, d.Role))
	}
	for _, q := range exceptions(inc) {
		e.Exceptions = append(e.Exceptions, RegisterApproval{Request: q.Request, Kind: string(q.Kind), Status: q.Status, Check: q.Check})
	}
	e.RecordsFor = recordDuties(inc)
	emptySlices(&e)
	return e, true
}

func audience(n domain.NotificationSent) string {
	switch {
	case n.RecipientKind.IsCustomer():
		return "customers"
	case n.RecipientKind == domain.RecipientAuthority:
		return "supervisory authority"
	case n.RecipientKind == domain.RecipientDataSubjects:
		return "data subjects"
	}
	return string(n.RecipientKind)
}

func dutyReasoning(o domain.Obligation) string {
	head := fmt.Sprintf("%s (%s)", o.ID, citation(o))
	recorded := ""
	if o.RecordedLateBy != "" {
		recorded = " (" + RecordedLate(o) + ")"
	}
	switch o.Status {
	case domain.StatusMet:
		return fmt.Sprintf("%s: notified %s, due %s%s", head, stamp(o.MetAt), stamp(o.DueAt), recorded)
	case domain.StatusMetLate:
		return fmt.Sprintf("%s: notified late %s, due %s%s; reason: %s", head, stamp(o.MetAt), stamp(o.DueAt), recorded, orDash(o.Reason))
	case domain.StatusWaived:
		return fmt.Sprintf("%s: not notified: %s", head, o.Reason)
	case domain.StatusOverdue:
		return fmt.Sprintf("%s: overdue since %s, no notice recorded", head, stamp(o.DueAt))
	case domain.StatusHeld:
		return fmt.Sprintf("%s: held until %s: %s", head, stamp(o.HeldUntil), o.Reason)
	}
	return fmt.Sprintf("%s: due %s (%s)", head, stamp(o.DueAt), o.Status)
}

// everPersonal reports whether personal data was involved at any point.
func everPersonal(inc *domain.Incident) bool {
	return inc.PersonalData() ||
		slices.ContainsFunc(inc.Classifications, func(c domain.ClassificationEntry) bool { return c.Classification == domain.ClassPrivacyBreach }) ||
		slices.ContainsFunc(inc.Assessments, func(a domain.Assessment) bool { return a.InformationImpact == domain.InfoPrivacy })
}

// recordDuties names the record-keeping duties an entry answers, from the
// jurisdictions the incident touches (GDPR Art. 33(5) when none is known).
func recordDuties(inc *domain.Incident) []string {
	var js []string
	js = append(js, inc.Scope.Jurisdictions...)
	if a := inc.Regulatory.Affected; a != nil {
		for _, c := range a.Counts {
			if c.Count > 0 {
				js = append(js, c.Jurisdiction)
			}
		}
	}
	if p := inc.Regulatory.Profile; p != nil {
		js = append(js, p.Establishments...)
	}
	has := func(f func(string) bool) bool { return slices.ContainsFunc(js, f) }
	country := func(c string) func(string) bool {
		return func(j string) bool { return j == c || strings.HasPrefix(j, c+"-") }
	}
	var out []string
	if len(js) == 0 || has(domain.IsEEA) {
		out = append(out, "GDPR Art. 33(5)")
	}
	if has(country("GB")) {
		out = append(out, "UK GDPR Art. 33(5)")
	}
	if has(country("BR")) {
		out = append(out, "LGPD, Res. CD/ANPD 15/2024 Art. 10 (keep at least 5 years)")
	}
	if has(country("CA")) {
		out = append(out, "PIPEDA s. 10.3, SOR/2018-64 s. 6 (keep 24 months)")
	}
	if len(out) == 0 {
		out = append(out, "GDPR Art. 33(5) (no record duty of another jurisdiction recorded)")
	}
	return out
}

// Register formats: those of reports.
var RegisterFormats = []string{FormatCSV, FormatJSON, FormatHTML, FormatMarkdown}

// WriteRegister writes the register in format (csv, json, html, md).
func WriteRegister(w io.Writer, r Register, format string) error {
	switch format {
	case FormatCSV:
		return writeRegisterCSV(w, r)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatHTML:
		return registerHTML().Execute(w, r)
	case FormatMarkdown:
		return writeRegisterMarkdown(w, r)
	}
	return fmt.Errorf("unknown register format %q (use %s)", format, strings.Join(RegisterFormats, ", "))
}

var registerCSVHead = []string{"incident", "status", "summary", "detected_at", "aware_at", "role", "classification", "category", "stage", "closed_at",
	"customers", "data_categories", "subject_categories", "subjects", "records", "jurisdictions", "affected",
	"severity", "risk", "risk_reasoning", "risk_factors", "risk_advice", "remedial_actions", "postmortem",
	"notified", "notices", "obligations", "reasoning", "records_for"}

func (e RegisterEntry) cells() []string {
	var notices, duties, affected []string
	for _, n := range e.Notices {
		notices = append(notices, fmt.Sprintf("%s %s %s (%s)", stamp(n.At), n.Phase, n.To, n.Recipient))
	}
	for _, o := range e.Obligations {
		duties = append(duties, fmt.Sprintf("%s %s due %s", o.ID, statusWith(o.Status, o.RecordedLateBy), stamp(o.DueAt)))
	}
	for _, c := range e.Affected {
		affected = append(affected, fmt.Sprintf("%s=%d", c.Jurisdiction, c.Count))
	}
	sev := ""
	if e.Severity != "" {
		sev = fmt.Sprintf("%s/%s", e.Severity, e.Priority)
	}
	return []string{e.Incident, e.Status, e.Summary, stamp(e.DetectedAt), stamp(e.AwareAt), string(e.Role), string(e.Classification), string(e.Category),
		string(e.Stage), ts(e.ClosedAt), strings.Join(e.Customers, "; "), strings.Join(e.DataCategories, "; "), strings.Join(e.SubjectCategories, "; "),
		strconv.FormatInt(e.Subjects, 10), strconv.FormatInt(e.Records, 10), strings.Join(e.Jurisdictions, "; "), strings.Join(affected, "; "),
		sev, string(e.Risk), e.RiskReasoning, e.RiskFactors, e.RiskAdvice, strings.Join(e.Actions, "; "), e.Postmortem,
		e.Notified, strings.Join(notices, "; "), strings.Join(duties, "; "), strings.Join(e.Reasoning, "; "), strings.Join(e.RecordsFor, "; ")}
}

func writeRegisterCSV(w io.Writer, r Register) error {
	c := &csvWriter{w: newCSV(w)}
	c.row(registerCSVHead...)
	for _, e := range r.Entries {
		c.row(e.cells()...)
	}
	return c.flush()
}

func writeRegisterMarkdown(w io.Writer, r Register) error {
	p := &printer{w: w}
	p.f("# Breach register — %s\n\n", md(r.Ledger))
	p.f("As of %s, known at %s: %d entries. GDPR Art. 33(5): every personal data breach, notified or not, with its facts, effects, remedial action and the reasoning for notifying or not.\n\n",
		stamp(r.AsOf), stamp(r.KnownAt), len(r.Entries))
	for _, e := range r.Entries {
		p.f("## %s — %s\n\n", md(e.Incident), md(e.Summary))
		t := table{head: []string{"Field", "Value"}}
		for i, h := range registerCSVHead[1:] {
			t.add(strings.ReplaceAll(h, "_", " "), e.cells()[i+1])
		}
		t.md(p)
	}
	p.f("## Integrity\n\n")
	for _, l := range footer(r.Integrity) {
		p.f("%s\n\n", mdLine(l))
	}
	p.f("Rebuild this register byte for byte:\n\n%s", mdFence(safetext.Line(r.Reproduce)))
	return p.err
}
