package domain

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The ENISA severity method (ENISA, Recommendations for a methodology of
// the assessment of severity of personal data breaches, 2013, by the Greek
// and German data protection authorities), as the project reads it:
//
//	SE = DPC × EI + CB
//
// DPC (data processing context, 1-4) is the highest base of the kinds of
// data, moved by contextual adjustments and kept within 1-4; EI (ease of
// identification) is 0.25, 0.5, 0.75 or 1; CB (circumstances of the
// breach) adds the loss of confidentiality, integrity and availability and
// malicious intent. The bands: low SE < 2, medium 2 ≤ SE < 3, high
// 3 ≤ SE < 4, very high SE ≥ 4. Every number is [VERIFY] against the
// original document (the research holds secondary reproductions).
//
// Beyond ENISA, by the project's own documented rules: unintelligible data
// remove the confidentiality element; a large number of people, or a long
// exposure, raise the band one step (ProjectRaise); the band maps to the
// GDPR outcome (low: document only; medium: notify the authority; high and
// very high: also tell the people, unless an Art. 34(3) exception holds);
// a processor tells its controllers instead (Art. 33(2)).

// Band is ENISA's severity band.
type Band string

// Bands, from least to most.
const (
	BandLow      Band = "low"       // SE < 2: unaffected, or a few inconveniences
	BandMedium   Band = "medium"    // 2 ≤ SE < 3: significant inconveniences they can overcome
	BandHigh     Band = "high"      // 3 ≤ SE < 4: significant consequences overcome with serious difficulty
	BandVeryHigh Band = "very-high" // SE ≥ 4: significant or irreversible consequences they may not overcome
)

// BandOf returns the band of a severity score.
func BandOf(se float64) Band {
	switch {
	case se < 2:
		return BandLow
	case se < 3:
		return BandMedium
	case se < 4:
		return BandHigh
	}
	return BandVeryHigh
}

func (b Band) next() Band {
	switch b {
	case BandLow:
		return BandMedium
	case BandMedium:
		return BandHigh
	}
	return BandVeryHigh
}

// VolumeRaise is the project's volume rule: this many people affected or
// more (or a number recorded as unknown) raises the band one step. ENISA
// leaves the number of people to judgment; the threshold is the project's
// [VERIFY].
const VolumeRaise = 10000

// ExposureRaiseDays is the project's duration rule: data exposed this many
// days or more (or for an unknown time) raises the band one step. The
// duration of exposure is not an ENISA criterion; the rule is the
// project's [VERIFY].
const ExposureRaiseDays = 30

// Term is one term of the severity: a factor, the value recorded, the
// score it gives and, when the value was read as another (unknown as the
// worst level, a confidentiality loss removed by unintelligible data), how.
type Term struct {
	Factor string  `json:"factor"`
	Value  string  `json:"value"`
	Score  float64 `json:"score"`
	Read   string  `json:"read,omitempty"`
}

// DPC is the data processing context term.
type DPC struct {
	Data        []DataCategory  `json:"data"`
	Base        int             `json:"base"`
	Adjustments []DPCAdjustment `json:"adjustments"`
	Score       int             `json:"score"`
	Read        string          `json:"read,omitempty"`
}

// ENISASeverity is the ENISA computation with every term, the band, and the
// project's rules applied to it.
type ENISASeverity struct {
	DPC     DPC     `json:"dpc"`
	EI      Term    `json:"ei"`
	CB      []Term  `json:"cb"` // confidentiality, integrity, availability, intent
	CBTotal float64 `json:"cb_total"`
	SE      float64 `json:"se"`
	// Band is ENISA's band of SE; Final the band after the project's rules.
	Band  Band     `json:"band"`
	Rules []string `json:"project_rules"` // the project rules that raised the band
	Final Band     `json:"final_band"`
}

// Arithmetic writes the computation out: "SE = DPC × EI + CB = 4 × 1 +
// (0.5 + 0 + 0 + 0.5) = 5: very-high".
func (s *ENISASeverity) Arithmetic() string {
	cb := make([]string, len(s.CB))
	for i, t := range s.CB {
		cb[i] = num(t.Score)
	}
	out := fmt.Sprintf("SE = DPC × EI + CB = %d × %s + (%s) = %s: %s", s.DPC.Score, num(s.EI.Score), strings.Join(cb, " + "), num(s.SE), s.Band)
	if s.Final != s.Band {
		out += fmt.Sprintf(", raised to %s by the project's rules", s.Final)
	}
	return out
}

// num writes a score without trailing zeros (0.25, 0.5, 1, 2.75).
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// AdviceContext is what the advisor reads besides the factors: whether the
// organisation acts as controller or processor, and the controllers it
// processes for.
type AdviceContext struct {
	Role        DataRole
	Controllers []string
}

// FactorFlags names each graded fact by the flag that records it, in the
// order the advisor asks for them; a new slice on each call.
func FactorFlags() []string {
	return []string{"--data", "--identification", "--confidentiality", "--integrity", "--availability", "--intent", "--unintelligible", "--people", "--exposure-days"}
}

// MissingFactors returns the flags of the graded facts not recorded.
func MissingFactors(f *RiskFactorsRecorded) []string {
	recorded := []bool{len(f.Data) > 0, f.Identification != "", f.Confidentiality != "", f.Integrity != "", f.Availability != "",
		f.Intent != "", f.Unintelligible != "", f.People != "", f.ExposureDays != ""}
	flags := FactorFlags()
	var out []string
	for i, ok := range recorded {
		if !ok {
			out = append(out, flags[i])
		}
	}
	return out
}

// ComputeSeverity computes the severity of complete graded facts; ok is
// false when a fact is missing (MissingFactors says which).
func ComputeSeverity(f *RiskFactorsRecorded) (ENISASeverity, bool) {
	if len(MissingFactors(f)) > 0 {
		return ENISASeverity{}, false
	}
	var s ENISASeverity
	// DPC: the highest base, then the adjustments, within 1-4.
	s.DPC.Data = slices.Clone(f.Data)
	s.DPC.Adjustments = slices.Clone(f.DPCAdjustments)
	for _, d := range f.Data {
		s.DPC.Base = max(s.DPC.Base, d.Base())
	}
	if slices.Contains(f.Data, DataUnknown) {
		s.DPC.Read = "unknown data read as sensitive (4)"
	}
	score := s.DPC.Base
	for _, a := range f.DPCAdjustments {
		score += a.Delta
	}
	s.DPC.Score = min(max(score, 1), 4)
	if s.DPC.Score != score {
		s.DPC.Read = strings.TrimPrefix(s.DPC.Read+fmt.Sprintf("; %d kept within 1-4", score), "; ")
	}

	s.EI = eiTerm(f.Identification)
	s.CB = []Term{confTerm(f.Confidentiality, f.Unintelligible), integTerm(f.Integrity), availTerm(f.Availability), intentTerm(f.Intent)}
	for _, t := range s.CB {
		s.CBTotal += t.Score
	}
	s.SE = float64(s.DPC.Score)*s.EI.Score + s.CBTotal
	s.Band = BandOf(s.SE)
	s.Rules = projectRules(f)
	s.Final = s.Band
	if len(s.Rules) > 0 {
		s.Final = s.Band.next()
	}
	return s, true
}

func eiTerm(v Identification) Term {
	t := Term{Factor: "EI", Value: string(v)}
	switch v {
	case EINegligible:
		t.Score = 0.25
	case EILimited:
		t.Score = 0.5
	case EISignificant:
		t.Score = 0.75
	default:
		t.Score = 1
		if v == EIUnknown {
			t.Read = "unknown read as maximum, the worst level"
		}
	}
	return t
}

func confTerm(v Confidentiality, u Unintelligibility) Term {
	t := Term{Factor: "confidentiality", Value: string(v)}
	switch v {
	case ConfKnownRecipients:
		t.Score = 0.25
	case ConfUnknownRecipients:
		t.Score = 0.5
	case ConfUnknown:
		t.Score, t.Read = 0.5, "unknown read as disclosed to an unknown number of recipients, the worst level"
	}
	if u == UnintelligibleYes && t.Score > 0 {
		t.Score, t.Read = 0, "removed: the data are unintelligible (encrypted or hashed, key not compromised) [VERIFY]"
	}
	return t
}

func integTerm(v Integrity) Term {
	t := Term{Factor: "integrity", Value: string(v)}
	switch v {
	case IntegUnrecoverable:
		t.Score = 0.25
	case IntegHarmfulUse:
		t.Score = 0.5
	case IntegUnknown:
		t.Score, t.Read = 0.5, "unknown read as altered and used in a way that harms the person, the worst level"
	}
	return t
}

func availTerm(v Availability) Term {
	t := Term{Factor: "availability", Value: string(v)}
	switch v {
	case AvailTemporary:
		t.Score = 0.25
	case AvailPermanent:
		t.Score = 0.5
	case AvailUnknown:
		t.Score, t.Read = 0.5, "unknown read as permanent, the worst level"
	}
	return t
}

func intentTerm(v Intent) Term {
	t := Term{Factor: "malicious intent", Value: string(v)}
	switch v {
	case IntentMalicious:
		t.Score = 0.5
	case IntentUnknown:
		t.Score, t.Read = 0.5, "unknown read as malicious, the worst level"
	}
	return t
}

// projectRules returns the project rules that raise the band: the number
// of people and the duration of exposure. Neither applies to data that are
// unintelligible: nothing readable was exposed. Together they raise the
// band one step, not two.
func projectRules(f *RiskFactorsRecorded) []string {
	if f.Unintelligible == UnintelligibleYes {
		return nil
	}
	var out []string
	if n, unknown, _ := countOf(f.People); unknown || n >= VolumeRaise {
		what := fmt.Sprintf("%s people affected, %s or more", group(n), group(VolumeRaise))
		if unknown {
			what = "the number of people affected is unknown, read as " + group(VolumeRaise) + " or more,"
		}
		out = append(out, "volume: "+what+" raises the band one step (project rule [VERIFY])")
	}
	if n, unknown, _ := countOf(f.ExposureDays); unknown || n >= ExposureRaiseDays {
		what := fmt.Sprintf("exposed %d days, %d or more,", n, ExposureRaiseDays)
		if unknown {
			what = fmt.Sprintf("exposed for an unknown time, read as %d days or more,", ExposureRaiseDays)
		}
		out = append(out, "duration of exposure: "+what+" raises the band one step (project rule [VERIFY])")
	}
	return out
}

// group writes n with thousands separators (12,000).
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// AdviseENISA advises from graded facts under MethodENISA2013v1: the
// severity with every term, the outcome, the reasons (each naming its
// factor and score) and the conditions (the facts that would change the
// outcome). A fact not recorded gives OutcomeCannotAdvise, with Missing
// naming the flags that record them; a processor is advised to tell its
// controllers whatever the facts.
func AdviseENISA(f RiskFactorsRecorded, ctx AdviceContext) Advice {
	a := adviseENISA(&f, ctx)
	a.Conditions = conditions(&f, ctx, a)
	return a
}

func adviseENISA(f *RiskFactorsRecorded, ctx AdviceContext) Advice {
	a := Advice{Method: MethodENISA2013v1, Missing: MissingFactors(f)}
	sev, complete := ComputeSeverity(f)
	if complete {
		a.Severity = &sev
		a.Reasons = severityReasons(&sev)
	}
	if ctx.Role == RoleProcessor {
		a.Outcome = OutcomeControllers
		to := "its controllers"
		if len(ctx.Controllers) > 0 {
			to = strings.Join(ctx.Controllers, ", ")
		}
		a.Reasons = append(a.Reasons, fmt.Sprintf("as processor: notify %s without undue delay after becoming aware (GDPR Art. 33(2)); the controller assesses the risk and decides on Art. 33(1) and 34(1)", to))
		if !complete {
			a.Reasons = append(a.Reasons, "the severity cannot be computed until "+strings.Join(a.Missing, ", ")+" are recorded; the controllers will need them")
		}
		return a
	}
	if !complete {
		a.Outcome = OutcomeCannotAdvise
		a.Reasons = append(a.Reasons, "cannot advise until every graded fact is recorded: a fact not recorded is never read as harmless; a notification clock that applies (GDPR Art. 33(1): 72 hours from awareness) keeps running meanwhile")
		return a
	}
	switch sev.Final {
	case BandLow:
		a.Outcome = OutcomeDocument
		a.Reasons = append(a.Reasons, "band low → document only: unlikely to result in a risk (GDPR Art. 33(1)); project reading of the band [VERIFY]")
	case BandMedium:
		a.Outcome = OutcomeAuthority
		a.Reasons = append(a.Reasons, "band medium → notify the supervisory authority (GDPR Art. 33(1)); project reading of the band [VERIFY]")
	default:
		a.Outcome = OutcomeSubjects
		why := fmt.Sprintf("band %s → a high risk: notify the supervisory authority (GDPR Art. 33(1)) and tell the people (Art. 34(1)); project reading of the band [VERIFY]", sev.Final)
		switch f.Art34Exception {
		case Art34RiskRemoved:
			a.Outcome = OutcomeException
			why = fmt.Sprintf("band %s → a high risk: notify the supervisory authority (GDPR Art. 33(1)); the people need not be told: measures taken since make the high risk no longer likely to materialise (%s, recorded)", sev.Final, Art34RiskRemoved.Citation())
		case Art34Disproportionate:
			a.Outcome = OutcomeException
			why = fmt.Sprintf("band %s → a high risk: notify the supervisory authority (GDPR Art. 33(1)); telling each person would involve disproportionate effort (%s, recorded): make a public communication or a similarly effective measure instead", sev.Final, Art34Disproportionate.Citation())
		}
		a.Reasons = append(a.Reasons, why)
	}
	if ctx.Role == RoleBoth {
		a.Reasons = append(a.Reasons, "acting as processor too: notify the controllers without undue delay (GDPR Art. 33(2))")
	}
	a.Reasons = append(a.Reasons, "document the breach, this reasoning and the decision whatever the outcome (GDPR Art. 33(5); EDPB Guidelines 9/2022: document the reasoning, especially for not notifying)")
	a.Level = a.Outcome.Level()
	return a
}

// severityReasons says each term with its factor and score.
func severityReasons(s *ENISASeverity) []string {
	adj := ""
	for _, x := range s.DPC.Adjustments {
		adj += fmt.Sprintf(", %s %+d", x.Reason, x.Delta)
	}
	dpc := fmt.Sprintf("DPC %d: data %s, highest base %d%s (ENISA 2013, data processing context)", s.DPC.Score, joinNames(s.DPC.Data), s.DPC.Base, adj)
	if s.DPC.Read != "" {
		dpc += "; " + s.DPC.Read
	}
	out := []string{dpc, termReason(s.EI, "ENISA 2013, ease of identification")}
	for _, t := range s.CB {
		out = append(out, termReason(t, "ENISA 2013, circumstances of the breach"))
	}
	out = append(out, s.Arithmetic())
	for _, r := range s.Rules {
		if s.Final == s.Band {
			out = append(out, fmt.Sprintf("%s: the band is %s already", r, s.Band))
		} else {
			out = append(out, fmt.Sprintf("%s: %s → %s", r, s.Band, s.Final))
		}
	}
	if len(s.Rules) > 1 {
		out = append(out, "the project's rules raise the band one step in all, however many apply")
	}
	return out
}

func termReason(t Term, source string) string {
	s := fmt.Sprintf("%s %s: %s (%s)", t.Factor, num(t.Score), t.Value, source)
	if t.Read != "" {
		s += "; " + t.Read
	}
	return s
}

func joinNames[T ~string](vs []T) string { return strings.Join(names(vs), ", ") }

// conditions says which single recorded fact, at another level, would
// change the outcome: the unknowns read as their worst, each fact at its
// mildest and at its gravest, and an Art. 34(3) exception.
func conditions(f *RiskFactorsRecorded, ctx AdviceContext, a Advice) []string {
	if a.Outcome == OutcomeCannotAdvise || a.Outcome == OutcomeControllers {
		return nil
	}
	var out []string
	for _, v := range variations(f) {
		g := *f
		v.set(&g)
		if o := adviseENISA(&g, ctx).Outcome; o != a.Outcome {
			out = append(out, fmt.Sprintf("if %s: %s", v.what, o))
		}
	}
	if a.Outcome == OutcomeSubjects {
		out = append(out, fmt.Sprintf("unless an Art. 34(3) exception holds: record --art34-exception %s (%s)", joinNames(Art34FactorExceptions()), OutcomeException))
	}
	return out
}

type variation struct {
	what string
	set  func(*RiskFactorsRecorded)
}

// variations are the single-fact changes conditions tries, each differing
// from f: for each fact its mildest and gravest level.
func variations(f *RiskFactorsRecorded) []variation {
	var vs []variation
	try := func(cur, to, what string, set func(*RiskFactorsRecorded)) {
		if cur != to {
			vs = append(vs, variation{what: what, set: set})
		}
	}
	both := func(cur, mild, grave, name string, set func(*RiskFactorsRecorded, string)) {
		try(cur, mild, name+" were "+mild, func(g *RiskFactorsRecorded) { set(g, mild) })
		try(cur, grave, name+" were "+grave, func(g *RiskFactorsRecorded) { set(g, grave) })
	}
	data := joinNames(f.Data)
	try(data, string(DataSimple), "the data were simple", func(g *RiskFactorsRecorded) { g.Data, g.DPCAdjustments = []DataCategory{DataSimple}, nil })
	try(data, string(DataSensitive), "the data were sensitive", func(g *RiskFactorsRecorded) { g.Data = []DataCategory{DataSensitive} })
	both(string(f.Identification), string(EINegligible), string(EIMaximum), "identification", func(g *RiskFactorsRecorded, v string) { g.Identification = Identification(v) })
	both(string(f.Confidentiality), string(ConfNone), string(ConfUnknownRecipients), "confidentiality", func(g *RiskFactorsRecorded, v string) { g.Confidentiality = Confidentiality(v) })
	both(string(f.Integrity), string(IntegNone), string(IntegHarmfulUse), "integrity", func(g *RiskFactorsRecorded, v string) { g.Integrity = Integrity(v) })
	both(string(f.Availability), string(AvailNone), string(AvailPermanent), "availability", func(g *RiskFactorsRecorded, v string) { g.Availability = Availability(v) })
	both(string(f.Intent), string(IntentNone), string(IntentMalicious), "intent", func(g *RiskFactorsRecorded, v string) { g.Intent = Intent(v) })
	try(string(f.Unintelligible), string(UnintelligibleYes), "the data were unintelligible (encrypted or hashed, key not compromised)", func(g *RiskFactorsRecorded) { g.Unintelligible = UnintelligibleYes })
	try(string(f.Unintelligible), string(UnintelligibleNo), "the data were intelligible after all", func(g *RiskFactorsRecorded) { g.Unintelligible = UnintelligibleNo })
	if n, unknown, _ := countOf(f.People); unknown || n >= VolumeRaise {
		try("", "x", fmt.Sprintf("fewer than %s people were affected", group(VolumeRaise)), func(g *RiskFactorsRecorded) { g.People = "0" })
	} else {
		try("", "x", fmt.Sprintf("%s or more people were affected", group(VolumeRaise)), func(g *RiskFactorsRecorded) { g.People = strconv.Itoa(VolumeRaise) })
	}
	if n, unknown, _ := countOf(f.ExposureDays); unknown || n >= ExposureRaiseDays {
		try("", "x", fmt.Sprintf("the data were exposed fewer than %d days", ExposureRaiseDays), func(g *RiskFactorsRecorded) { g.ExposureDays = "0" })
	} else {
		try("", "x", fmt.Sprintf("the data were exposed %d days or more", ExposureRaiseDays), func(g *RiskFactorsRecorded) { g.ExposureDays = strconv.Itoa(ExposureRaiseDays) })
	}
	return vs
}
