package domain_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
)

// complete is a complete set of graded facts at their mildest: SE =
// 1 × 0.25 + 0 = 0.25, low.
func complete() domain.RiskFactorsRecorded {
	return domain.RiskFactorsRecorded{
		Method: domain.MethodENISA2013v1, Data: []domain.DataCategory{domain.DataSimple}, Identification: domain.EINegligible,
		Confidentiality: domain.ConfNone, Integrity: domain.IntegNone, Availability: domain.AvailNone, Intent: domain.IntentNone,
		Unintelligible: domain.UnintelligibleNo, People: "10", ExposureDays: "0",
	}
}

func severity(t *testing.T, f domain.RiskFactorsRecorded) domain.ENISASeverity {
	t.Helper()
	s, ok := domain.ComputeSeverity(&f)
	if !ok {
		t.Fatalf("incomplete facts: missing %v", domain.MissingFactors(&f))
	}
	return s
}

// Every level of every factor gives the score of the research's tables
// (regulatory.md §5), unknown the worst level.
func TestENISAFactorLevels(t *testing.T) {
	data := []struct {
		d    domain.DataCategory
		base int
	}{{domain.DataSimple, 1}, {domain.DataBehavioural, 2}, {domain.DataFinancial, 3}, {domain.DataSensitive, 4}, {domain.DataUnknown, 4}}
	for _, tt := range data {
		f := complete()
		f.Data = []domain.DataCategory{tt.d}
		if got := severity(t, f).DPC; got.Base != tt.base || got.Score != tt.base {
			t.Errorf("data %s: base %d score %d, want %d", tt.d, got.Base, got.Score, tt.base)
		}
	}
	eis := []struct {
		v    domain.Identification
		want float64
	}{{domain.EINegligible, 0.25}, {domain.EILimited, 0.5}, {domain.EISignificant, 0.75}, {domain.EIMaximum, 1}, {domain.EIUnknown, 1}}
	for _, tt := range eis {
		f := complete()
		f.Identification = tt.v
		if got := severity(t, f).EI.Score; got != tt.want {
			t.Errorf("EI %s = %v, want %v", tt.v, got, tt.want)
		}
	}
	cb := []struct {
		name string
		set  func(*domain.RiskFactorsRecorded)
		i    int
		want float64
	}{
		{"confidentiality none", func(f *domain.RiskFactorsRecorded) { f.Confidentiality = domain.ConfNone }, 0, 0},
		{"confidentiality exposed", func(f *domain.RiskFactorsRecorded) { f.Confidentiality = domain.ConfExposed }, 0, 0},
		{"confidentiality known recipients", func(f *domain.RiskFactorsRecorded) { f.Confidentiality = domain.ConfKnownRecipients }, 0, 0.25},
		{"confidentiality unknown recipients", func(f *domain.RiskFactorsRecorded) { f.Confidentiality = domain.ConfUnknownRecipients }, 0, 0.5},
		{"confidentiality unknown", func(f *domain.RiskFactorsRecorded) { f.Confidentiality = domain.ConfUnknown }, 0, 0.5},
		{"integrity none", func(f *domain.RiskFactorsRecorded) { f.Integrity = domain.IntegNone }, 1, 0},
		{"integrity recoverable", func(f *domain.RiskFactorsRecorded) { f.Integrity = domain.IntegRecoverable }, 1, 0},
		{"integrity not recoverable", func(f *domain.RiskFactorsRecorded) { f.Integrity = domain.IntegUnrecoverable }, 1, 0.25},
		{"integrity harmful use", func(f *domain.RiskFactorsRecorded) { f.Integrity = domain.IntegHarmfulUse }, 1, 0.5},
		{"integrity unknown", func(f *domain.RiskFactorsRecorded) { f.Integrity = domain.IntegUnknown }, 1, 0.5},
		{"availability none", func(f *domain.RiskFactorsRecorded) { f.Availability = domain.AvailNone }, 2, 0},
		{"availability recoverable", func(f *domain.RiskFactorsRecorded) { f.Availability = domain.AvailRecoverable }, 2, 0},
		{"availability temporary", func(f *domain.RiskFactorsRecorded) { f.Availability = domain.AvailTemporary }, 2, 0.25},
		{"availability permanent", func(f *domain.RiskFactorsRecorded) { f.Availability = domain.AvailPermanent }, 2, 0.5},
		{"availability unknown", func(f *domain.RiskFactorsRecorded) { f.Availability = domain.AvailUnknown }, 2, 0.5},
		{"intent non-malicious", func(f *domain.RiskFactorsRecorded) { f.Intent = domain.IntentNone }, 3, 0},
		{"intent malicious", func(f *domain.RiskFactorsRecorded) { f.Intent = domain.IntentMalicious }, 3, 0.5},
		{"intent unknown", func(f *domain.RiskFactorsRecorded) { f.Intent = domain.IntentUnknown }, 3, 0.5},
		{"unintelligible removes confidentiality", func(f *domain.RiskFactorsRecorded) {
			f.Confidentiality, f.Unintelligible = domain.ConfUnknownRecipients, domain.UnintelligibleYes
		}, 0, 0},
		{"unintelligible unknown read as no", func(f *domain.RiskFactorsRecorded) {
			f.Confidentiality, f.Unintelligible = domain.ConfUnknownRecipients, domain.UnintelligibleUnknown
		}, 0, 0.5},
	}
	for _, tt := range cb {
		t.Run(tt.name, func(t *testing.T) {
			f := complete()
			tt.set(&f)
			s := severity(t, f)
			if got := s.CB[tt.i].Score; got != tt.want {
				t.Errorf("%s = %v, want %v", s.CB[tt.i].Factor, got, tt.want)
			}
			if s.CBTotal != tt.want {
				t.Errorf("CB total %v, want %v", s.CBTotal, tt.want)
			}
		})
	}
}

// The worst reading of an unknown is named in the reasons.
func TestENISAUnknownIsNamed(t *testing.T) {
	f := complete()
	f.Availability = domain.AvailUnknown
	a := domain.AdviseENISA(f, domain.AdviceContext{Role: domain.RoleController})
	if !strings.Contains(strings.Join(a.Reasons, "\n"), "availability 0.5: unknown (ENISA 2013, circumstances of the breach); unknown read as permanent, the worst level") {
		t.Errorf("reasons do not name the reading of unknown:\n  %s", strings.Join(a.Reasons, "\n  "))
	}
}

// The contextual adjustments move the DPC within 1-4, and the research's
// ENISA examples (regulatory.md §5, "Examples ENISA gives, as reproduced")
// come out at their scores when recorded as a base and its adjustments.
func TestENISADPCExamples(t *testing.T) {
	adj := func(s ...string) []domain.DPCAdjustment {
		var out []domain.DPCAdjustment
		for _, x := range s {
			a, err := domain.ParseDPCAdjustment(x)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, a)
		}
		return out
	}
	tests := []struct {
		example string
		data    []domain.DataCategory
		adjust  []domain.DPCAdjustment
		want    int
	}{
		{"a supermarket's customer list", []domain.DataCategory{domain.DataSimple}, nil, 1},
		{"a luxury-goods seller's list", []domain.DataCategory{domain.DataSimple}, adj("controller-nature"), 2},
		{"an adult bookshop's delivery addresses", []domain.DataCategory{domain.DataSimple}, adj("controller-nature=+2"), 3},
		{"a list of undercover officers", []domain.DataCategory{domain.DataSimple}, adj("vulnerable-people=+3"), 4},
		{"a week of call history", []domain.DataCategory{domain.DataBehavioural}, nil, 2},
		{"a year of call history", []domain.DataCategory{domain.DataBehavioural}, adj("more-data"), 3},
		{"calls to a psychological support line", []domain.DataCategory{domain.DataBehavioural}, adj("controller-nature=+2"), 4},
		{"one day of transactions without details", []domain.DataCategory{domain.DataFinancial}, adj("reveals-less"), 2},
		{"a month of balances", []domain.DataCategory{domain.DataFinancial}, nil, 3},
		{"a year of detailed statements", []domain.DataCategory{domain.DataFinancial}, adj("more-data"), 4},
		{"had general blood tests", []domain.DataCategory{domain.DataSensitive}, adj("reveals-less=-3"), 1},
		{"a test for a specific disease", []domain.DataCategory{domain.DataSensitive}, adj("reveals-less"), 3},
		{"the actual results", []domain.DataCategory{domain.DataSensitive}, nil, 4},
		{"several categories: the highest counts", []domain.DataCategory{domain.DataSimple, domain.DataFinancial, domain.DataBehavioural}, nil, 3},
		{"cards expired long ago", []domain.DataCategory{domain.DataFinancial}, adj("invalid-data=-2"), 1},
		{"already public", []domain.DataCategory{domain.DataSimple}, adj("public-data"), 1}, // kept within 1-4
		{"raised beyond 4", []domain.DataCategory{domain.DataSensitive}, adj("vulnerable-people", "more-data"), 4},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			f := complete()
			f.Data, f.DPCAdjustments = tt.data, tt.adjust
			if got := severity(t, f).DPC.Score; got != tt.want {
				t.Errorf("DPC = %d, want %d", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"more-data=-1", "reveals-less=+1", "more-data=4", "reveals-less=0", "bigger", "more-data=x"} {
		if _, err := domain.ParseDPCAdjustment(bad); err == nil {
			t.Errorf("ParseDPCAdjustment(%q) accepted", bad)
		}
	}
}

// The bands at their edges.
func TestENISABandEdges(t *testing.T) {
	tests := []struct {
		se   float64
		want domain.Band
	}{{0, domain.BandLow}, {1.99, domain.BandLow}, {2, domain.BandMedium}, {2.99, domain.BandMedium}, {3, domain.BandHigh},
		{3.99, domain.BandHigh}, {4, domain.BandVeryHigh}, {6, domain.BandVeryHigh}}
	for _, tt := range tests {
		if got := domain.BandOf(tt.se); got != tt.want {
			t.Errorf("BandOf(%v) = %s, want %s", tt.se, got, tt.want)
		}
	}
}

// Whole computations worked by hand, one per outcome, with the arithmetic.
func TestENISAWorkedCases(t *testing.T) {
	tests := []struct {
		name       string
		set        func(*domain.RiskFactorsRecorded)
		ctx        domain.AdviceContext
		se         float64
		band       domain.Band
		final      domain.Band
		want       domain.Outcome
		arithmetic string
	}{
		{"a supermarket's list mailed to one wrong customer: 1 × 1 + 0.25 = 1.25", func(f *domain.RiskFactorsRecorded) {
			f.Identification, f.Confidentiality = domain.EIMaximum, domain.ConfKnownRecipients
		}, domain.AdviceContext{}, 1.25, domain.BandLow, domain.BandLow, domain.OutcomeDocument, "SE = DPC × EI + CB = 1 × 1 + (0.25 + 0 + 0 + 0) = 1.25: low"},
		{"bank balances stolen by an intruder: 3 × 0.75 + 0.5 + 0.5 = 3.25", func(f *domain.RiskFactorsRecorded) {
			f.Data, f.Identification = []domain.DataCategory{domain.DataFinancial}, domain.EISignificant
			f.Confidentiality, f.Intent = domain.ConfUnknownRecipients, domain.IntentMalicious
		}, domain.AdviceContext{}, 3.25, domain.BandHigh, domain.BandHigh, domain.OutcomeSubjects, "SE = DPC × EI + CB = 3 × 0.75 + (0.5 + 0 + 0 + 0.5) = 3.25: high"},
		{"call history to known recipients, 2 × 1 + 0.25 = 2.25", func(f *domain.RiskFactorsRecorded) {
			f.Data, f.Identification, f.Confidentiality = []domain.DataCategory{domain.DataBehavioural}, domain.EIMaximum, domain.ConfKnownRecipients
		}, domain.AdviceContext{}, 2.25, domain.BandMedium, domain.BandMedium, domain.OutcomeAuthority, "SE = DPC × EI + CB = 2 × 1 + (0.25 + 0 + 0 + 0) = 2.25: medium"},
		{"the same to 12,000 people: raised to high", func(f *domain.RiskFactorsRecorded) {
			f.Data, f.Identification, f.Confidentiality, f.People = []domain.DataCategory{domain.DataBehavioural}, domain.EIMaximum, domain.ConfKnownRecipients, "12000"
		}, domain.AdviceContext{}, 2.25, domain.BandMedium, domain.BandHigh, domain.OutcomeSubjects, "SE = DPC × EI + CB = 2 × 1 + (0.25 + 0 + 0 + 0) = 2.25: medium, raised to high by the project's rules"},
		{"volume and exposure together raise one step", func(f *domain.RiskFactorsRecorded) {
			f.Identification, f.Confidentiality, f.People, f.ExposureDays = domain.EIMaximum, domain.ConfExposed, "unknown", "45"
		}, domain.AdviceContext{}, 1, domain.BandLow, domain.BandMedium, domain.OutcomeAuthority, ""},
		{"unintelligible data: no raise for volume", func(f *domain.RiskFactorsRecorded) {
			f.Data, f.Identification, f.Confidentiality = []domain.DataCategory{domain.DataSensitive}, domain.EIMaximum, domain.ConfUnknownRecipients
			f.Unintelligible, f.People, f.Intent = domain.UnintelligibleYes, "50000", domain.IntentMalicious
		}, domain.AdviceContext{}, 4.5, domain.BandVeryHigh, domain.BandVeryHigh, domain.OutcomeSubjects, "SE = DPC × EI + CB = 4 × 1 + (0 + 0 + 0 + 0.5) = 4.5: very-high"},
		{"high, with measures since (Art. 34(3)(b))", func(f *domain.RiskFactorsRecorded) {
			f.Data, f.Identification, f.Confidentiality = []domain.DataCategory{domain.DataSensitive}, domain.EIMaximum, domain.ConfKnownRecipients
			f.Art34Exception = domain.Art34RiskRemoved
		}, domain.AdviceContext{}, 4.25, domain.BandVeryHigh, domain.BandVeryHigh, domain.OutcomeException, ""},
		{"a processor tells its controllers", func(f *domain.RiskFactorsRecorded) {
			f.Data, f.Identification, f.Confidentiality = []domain.DataCategory{domain.DataSensitive}, domain.EIMaximum, domain.ConfKnownRecipients
		}, domain.AdviceContext{Role: domain.RoleProcessor, Controllers: []string{"Acme GmbH"}}, 4.25, domain.BandVeryHigh, domain.BandVeryHigh, domain.OutcomeControllers, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := complete()
			tt.set(&f)
			a := domain.AdviseENISA(f, tt.ctx)
			if a.Severity == nil {
				t.Fatalf("no severity; missing %v", a.Missing)
			}
			s := a.Severity
			if s.SE != tt.se || s.Band != tt.band || s.Final != tt.final || a.Outcome != tt.want {
				t.Errorf("SE %v band %s final %s outcome %s, want %v %s %s %s", s.SE, s.Band, s.Final, a.Outcome, tt.se, tt.band, tt.final, tt.want)
			}
			if tt.arithmetic != "" && s.Arithmetic() != tt.arithmetic {
				t.Errorf("arithmetic %q, want %q", s.Arithmetic(), tt.arithmetic)
			}
			if !slices.ContainsFunc(a.Reasons, func(r string) bool { return strings.Contains(r, s.Arithmetic()) }) {
				t.Errorf("the reasons do not show the arithmetic:\n  %s", strings.Join(a.Reasons, "\n  "))
			}
		})
	}
}

// A condition names the fact that would change the outcome.
func TestENISAConditions(t *testing.T) {
	f := complete()
	f.Data, f.Identification, f.Confidentiality = []domain.DataCategory{domain.DataBehavioural}, domain.EIMaximum, domain.ConfKnownRecipients
	a := domain.AdviseENISA(f, domain.AdviceContext{})
	got := strings.Join(a.Conditions, "\n")
	for _, want := range []string{"if identification were negligible: document-only", "if 10,000 or more people were affected: notify-subjects", "if the data were sensitive: notify-subjects"} {
		if !strings.Contains(got, want) {
			t.Errorf("conditions lack %q:\n  %s", want, strings.ReplaceAll(got, "\n", "\n  "))
		}
	}
}

// A fact not recorded: cannot advise, naming it; a processor is still
// told to notify its controllers.
func TestENISAMissingFactCannotAdvise(t *testing.T) {
	for _, flag := range domain.FactorFlags() {
		f := complete()
		clear(&f, flag)
		a := domain.AdviseENISA(f, domain.AdviceContext{Role: domain.RoleController})
		if a.Outcome != domain.OutcomeCannotAdvise || !slices.Equal(a.Missing, []string{flag}) || a.Severity != nil || a.Level != "" {
			t.Errorf("without %s: %s missing %v", flag, a.Outcome, a.Missing)
		}
		if p := domain.AdviseENISA(f, domain.AdviceContext{Role: domain.RoleProcessor}); p.Outcome != domain.OutcomeControllers {
			t.Errorf("processor without %s: %s", flag, p.Outcome)
		}
	}
}

func clear(f *domain.RiskFactorsRecorded, flag string) {
	switch flag {
	case "--data":
		f.Data = nil
	case "--identification":
		f.Identification = ""
	case "--confidentiality":
		f.Confidentiality = ""
	case "--integrity":
		f.Integrity = ""
	case "--availability":
		f.Availability = ""
	case "--intent":
		f.Intent = ""
	case "--unintelligible":
		f.Unintelligible = ""
	case "--people":
		f.People = ""
	case "--exposure-days":
		f.ExposureDays = ""
	default:
		panic(flag)
	}
}

// rank orders the outcomes of a controller, graver higher.
func rank(o domain.Outcome) int {
	return slices.Index([]domain.Outcome{domain.OutcomeDocument, domain.OutcomeAuthority, domain.OutcomeException, domain.OutcomeSubjects}, o)
}

// randomFacts is a complete fact set drawn from every level of every fact.
func randomFacts(r *rand.Rand) domain.RiskFactorsRecorded {
	pick := func(n int) int { return r.IntN(n) }
	f := domain.RiskFactorsRecorded{Method: domain.MethodENISA2013v1}
	cats := domain.DataCategories()
	for range 1 + pick(3) {
		f.Data = append(f.Data, cats[pick(len(cats))])
	}
	for range pick(3) {
		reasons := domain.AdjustReasons()
		a := domain.DPCAdjustment{Reason: reasons[pick(len(reasons))], Delta: 1 + pick(3)}
		if !a.Reason.Raises() {
			a.Delta = -a.Delta
		}
		f.DPCAdjustments = append(f.DPCAdjustments, a)
	}
	f.Identification = domain.Identifications()[pick(5)]
	f.Confidentiality = domain.Confidentialities()[pick(5)]
	f.Integrity = domain.Integrities()[pick(5)]
	f.Availability = domain.Availabilities()[pick(5)]
	f.Intent = domain.Intents()[pick(3)]
	f.Unintelligible = domain.Unintelligibilities()[pick(3)]
	f.People = []string{"1", "500", "9999", "10000", "1000000", "unknown"}[pick(6)]
	f.ExposureDays = []string{"0", "3", "29", "30", "400", "unknown"}[pick(6)]
	if pick(4) == 0 {
		f.Art34Exception = domain.Art34FactorExceptions()[pick(2)]
	}
	return f
}

// graver lists the single changes that make a fact graver (or leave it):
// each level of an ordered fact replaced by a graver one, an added raising
// adjustment, more people, a longer exposure, the exception taken away.
func graver(f domain.RiskFactorsRecorded) []domain.RiskFactorsRecorded {
	var out []domain.RiskFactorsRecorded
	with := func(set func(*domain.RiskFactorsRecorded)) {
		g := f
		g.Data = slices.Clone(f.Data)
		g.DPCAdjustments = slices.Clone(f.DPCAdjustments)
		set(&g)
		out = append(out, g)
	}
	// each ordered list runs from mildest to gravest; unknown is the gravest.
	up := func(levels []string, cur string, set func(*domain.RiskFactorsRecorded, string)) {
		i := slices.Index(levels, cur)
		for _, l := range levels[i+1:] {
			with(func(g *domain.RiskFactorsRecorded) { set(g, l) })
		}
	}
	up([]string{"negligible", "limited", "significant", "maximum", "unknown"}, string(f.Identification), func(g *domain.RiskFactorsRecorded, v string) { g.Identification = domain.Identification(v) })
	up([]string{"none", "exposed", "known-recipients", "unknown-recipients", "unknown"}, string(f.Confidentiality), func(g *domain.RiskFactorsRecorded, v string) { g.Confidentiality = domain.Confidentiality(v) })
	up([]string{"none", "recoverable", "not-recoverable", "harmful-use", "unknown"}, string(f.Integrity), func(g *domain.RiskFactorsRecorded, v string) { g.Integrity = domain.Integrity(v) })
	up([]string{"none", "recoverable", "temporary", "permanent", "unknown"}, string(f.Availability), func(g *domain.RiskFactorsRecorded, v string) { g.Availability = domain.Availability(v) })
	up([]string{"non-malicious", "malicious", "unknown"}, string(f.Intent), func(g *domain.RiskFactorsRecorded, v string) { g.Intent = domain.Intent(v) })
	up([]string{"yes", "no", "unknown"}, string(f.Unintelligible), func(g *domain.RiskFactorsRecorded, v string) { g.Unintelligible = domain.Unintelligibility(v) })
	up([]string{"1", "500", "9999", "10000", "1000000", "unknown"}, f.People, func(g *domain.RiskFactorsRecorded, v string) { g.People = v })
	up([]string{"0", "3", "29", "30", "400", "unknown"}, f.ExposureDays, func(g *domain.RiskFactorsRecorded, v string) { g.ExposureDays = v })
	for _, d := range domain.DataCategories() {
		with(func(g *domain.RiskFactorsRecorded) { g.Data = append(g.Data, d) }) // another kind of data
	}
	for _, r := range []domain.AdjustReason{domain.AdjustMoreData, domain.AdjustControllerNature, domain.AdjustVulnerable} {
		with(func(g *domain.RiskFactorsRecorded) {
			g.DPCAdjustments = append(g.DPCAdjustments, domain.DPCAdjustment{Reason: r, Delta: 1})
		})
	}
	for i, a := range f.DPCAdjustments {
		if !a.Reason.Raises() { // a mitigation taken away
			with(func(g *domain.RiskFactorsRecorded) { g.DPCAdjustments = slices.Delete(g.DPCAdjustments, i, i+1) })
		}
	}
	if f.Art34Exception != "" {
		with(func(g *domain.RiskFactorsRecorded) { g.Art34Exception = "" })
	}
	return out
}

// Over complete fact sets drawn at random (a fixed seed): an aggravating
// fact never lowers the advice and, read the other way, a mitigating one
// never raises it; taking any one fact away gives cannot-advise.
func TestENISAProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(24, 2013))
	ctx := domain.AdviceContext{Role: domain.RoleController}
	for i := range 1000 {
		f := randomFacts(r)
		a := domain.AdviseENISA(f, ctx)
		if a.Outcome == domain.OutcomeCannotAdvise {
			t.Fatalf("case %d: cannot advise on complete facts %+v", i, f)
		}
		for _, g := range graver(f) {
			b := domain.AdviseENISA(g, ctx)
			// f → g adds an aggravating fact; g → f a mitigating one.
			if rank(b.Outcome) < rank(a.Outcome) {
				t.Fatalf("case %d: an aggravating fact lowered the advice %s → %s (a mitigating one raised it back)\n from %+v\n to   %+v\n %s\n %s",
					i, a.Outcome, b.Outcome, f, g, strings.Join(a.Reasons, "; "), strings.Join(b.Reasons, "; "))
			}
			if a.Severity == nil || b.Severity == nil {
				t.Fatalf("case %d: no severity on complete facts: %s, %s", i, a.Outcome, b.Outcome)
			}
			if b.Severity.SE < a.Severity.SE && slices.Equal(f.Data, g.Data) && f.Unintelligible == g.Unintelligible {
				t.Fatalf("case %d: SE fell %v → %v\n from %+v\n to   %+v", i, a.Severity.SE, b.Severity.SE, f, g)
			}
		}
		flag := domain.FactorFlags()[r.IntN(len(domain.FactorFlags()))]
		clear(&f, flag)
		if c := domain.AdviseENISA(f, ctx); c.Outcome != domain.OutcomeCannotAdvise || !slices.Contains(c.Missing, flag) {
			t.Fatalf("case %d: without %s: %s", i, flag, c.Outcome)
		}
	}
}

// The method is pinned by the event: an event without a method keeps the
// first advisor's reading, marked as superseded; graded facts on it, or
// yes/no facts on an ENISA event, are refused.
func TestAdviceMethodPinned(t *testing.T) {
	h := newHistory(t)
	h.breach()
	if _, err := h.decide(domain.RecordRiskFactors{By: by("sam", "2025-03-09T12:00:00Z"), RiskFactorsRecorded: domain.RiskFactorsRecorded{Exfiltrated: true, Subjects: 1}}); err != nil {
		t.Fatal(err)
	}
	a, _ := domain.AdviceFor(ptr(h.at(domain.Cut{})))
	if a.Method != domain.MethodEDPB2021 || a.Superseded == "" || a.Outcome != domain.OutcomeAuthority {
		t.Errorf("old event: method %q superseded %q outcome %s", a.Method, a.Superseded, a.Outcome)
	}
	if c, ok := domain.CurrentMethodAdvice(ptr(h.at(domain.Cut{}))); !ok || c.Outcome != domain.OutcomeCannotAdvise || len(c.Missing) != len(domain.FactorFlags()) {
		t.Errorf("current method on an old event: %s missing %v", c.Outcome, c.Missing)
	}
	mixed := complete()
	mixed.Exfiltrated = true
	if _, err := h.decide(domain.RecordRiskFactors{By: by("sam", "2025-03-09T12:10:00Z"), RiskFactorsRecorded: mixed}); err == nil {
		t.Errorf("yes/no factors accepted under %s", domain.MethodENISA2013v1)
	}
	legacy := complete()
	legacy.Method = ""
	if _, err := h.decide(domain.RecordRiskFactors{By: by("sam", "2025-03-09T12:10:00Z"), RiskFactorsRecorded: legacy}); err == nil {
		t.Errorf("graded facts accepted without a method")
	}
	f := complete()
	f.Data, f.Confidentiality = []domain.DataCategory{domain.DataSensitive}, domain.ConfUnknownRecipients
	f.Identification = domain.EIMaximum
	if _, err := h.decide(domain.RecordRiskFactors{By: by("sam", "2025-03-09T12:20:00Z"), RiskFactorsRecorded: f}); err != nil {
		t.Fatal(err)
	}
	a, _ = domain.AdviceFor(ptr(h.at(domain.Cut{})))
	if a.Method != domain.MethodENISA2013v1 || a.Superseded != "" || a.Outcome != domain.OutcomeSubjects || a.Differs != "" {
		t.Errorf("new event: method %q superseded %q outcome %s differs %q", a.Method, a.Superseded, a.Outcome, a.Differs)
	}
}
