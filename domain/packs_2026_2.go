package domain

import "slices"

// pack2026v2 is 2026.1 with the faults found after its release fixed: no
// due time before its trigger (DORA's late classification), a stated
// convention for every period in months, citations no finer than the
// research holds, EDGAR's filing day, and no entity type that changes
// nothing (Brazil's small processing agents, Singapore's data
// intermediaries, Art. 27 representatives). 2026.1 keeps its answers and
// its defects are marked (KnownDefects).
func pack2026v2() Pack {
	return Pack{
		Version:  "2026.2",
		Released: dateOf("2026-12-06T00:00:00Z"),
		Notes:    "2026.1 with its faults fixed: DORA's initial notification due 4 h after a classification made past the 24-hour limb; every period in months states its convention; citations no finer than the research holds; the EDGAR filing day (17:30 ET); small processing agents' doubled Brazilian deadlines; a Singapore data intermediary notifies its organisation; an Art. 27 representative marks a controller outside the EEA",
		Rules:    rules2026v2(),
	}
}

// Conventions of the two month rules of 2026.2 (Reg. (EEC, Euratom)
// 1182/71 as regulatory.md §0 records it).
const (
	basis1182  = "Reg. (EEC, Euratom) 1182/71 Art. 3(1) (the day of the event is not counted) and Art. 3(2)(c) (a period in months ends with the last hour of the day that has the same date as the day it runs from)"
	verify1182 = "Reg. 1182/71 Art. 3(2)(c) as the research reads it, not yet checked against the text"
)

func rules2026v2() []Rule {
	rules := rules2026()
	edit := func(id string, f func(r *Rule)) {
		i := slices.IndexFunc(rules, func(r Rule) bool { return r.ID == id })
		if i < 0 {
			panic("pack 2026.2: no rule " + id + " in 2026.1 to change")
		}
		f(&rules[i])
	}
	edit("gdpr-art33", func(r *Rule) {
		r.OutsideEEAIf = []EntityType{EntityEEAEstablishedRep}
		r.Whom += "; a controller with an Art. 27 representative and no establishment recorded counts as established outside the EEA"
	})
	edit("nis2-notification-tsp", func(r *Rule) {
		r.Citation = "NIS2 Directive (EU) 2022/2555 Art. 23(4)"
		r.Verify = "[VERIFY subparagraph]: the research places the trust-service 24-hour limit in Art. 23(4) without naming the point or sentence"
	})
	edit("nis2-final", func(r *Rule) {
		r.EndOfDay = EndAtInstant
		r.Verify = ""
		r.Months = &MonthConvention{
			EndOfDay: EndOfDayLocal, Zone: ZoneAuthority, Closed: ClosedStays,
			Basis:  basis1182,
			Why:    "differs from dora-final on a last day that is a weekend or holiday: NIS2 is a directive, so the month binds through each Member State's transposition, whose own rule on closed days the pack cannot know; it applies the stricter reading and does not carry the limit (Reg. 1182/71 Art. 3(4) would carry it to the end of the next working day)",
			Verify: verify1182 + "; whether the national transposition carries a limit on a closed day is for counsel [VERIFY per Member State]",
		}
	})
	edit("dora-initial", func(r *Rule) {
		r.LimitPassed = LimitPassedLapses
		r.Verify = "a classification as major more than 24 h after awareness: due 4 h after that classification (Delegated Reg. (EU) 2025/301 Art. 5(1)(a) as the research reads it, a reading to verify); major-incident criteria (Delegated Reg. 2024/1772 Art. 8) are recorded as a determination, not computed"
		r.Summary = "initial notification within 4 hours of the classification as major, and no later than 24 hours after becoming aware of the incident; classified later than that, within 4 hours of the classification; a limit on a weekend or bank holiday may be met by noon of the next working day, except for credit institutions, CCPs, trading venues and NIS2 entities"
	})
	edit("dora-final", func(r *Rule) {
		r.Months = &MonthConvention{
			EndOfDay: EndOfDayLocal, Zone: ZoneAuthority, Closed: ClosedRollsOver,
			Basis:  basis1182 + "; Delegated Reg. (EU) 2025/301 Art. 5(4) for a last day on a weekend or bank holiday",
			Why:    "differs from nis2-final on a last day that is a weekend or holiday: a Commission delegated regulation applies directly and brings its own closed-day rule, Art. 5(4) (noon of the next working day), which displaces Reg. 1182/71 Art. 3(4); 2026.1 counted this month to the instant",
			Verify: verify1182,
		}
	})
	edit("sec-8k-1.05", func(r *Rule) {
		r.Verify = "due at the end of the fourth business day in New York"
		r.FilingDay = edgarFilingDay()
	})
	edit("sec-8k-a", func(r *Rule) { r.FilingDay = edgarFilingDay() })
	brScale := func(r *Rule) {
		r.Scaled = []Scaling{{For: []EntityType{EntitySmallAgent}, Factor: 2, Citation: "Resolução CD/ANPD nº 2/2022 Art. 14",
			Verify: "[VERIFY article]: small processing agents' deadlines doubled, as the research records it"}}
	}
	edit("br-anpd", func(r *Rule) {
		r.Verify = ""
		brScale(r)
	})
	edit("br-data-subjects", brScale)
	edit("br-anpd-supplement", func(r *Rule) {
		r.Citation = "Resolução CD/ANPD nº 15/2024 Art. 6"
		r.Verify = "[VERIFY subparagraph]: the research places the 20 working days in a paragraph of Art. 6 without its number"
		brScale(r)
	})
	edit("sg-pdpc", func(r *Rule) {
		r.Applies.NotEntityTypes = []EntityType{EntitySGDataIntermediary}
		r.Summary += "; a data intermediary processing for another organisation notifies that organisation instead (s. 26C(3)), which assesses and notifies the Commission"
	})
	return append(rules, Rule{
		ID: "sg-intermediary", Regime: "PDPA", Citation: "Singapore PDPA s. 26C(3)",
		Verify: "no hour limit in the law ('without undue delay'): the 24 h target is the pack's",
		Who:    "data intermediary", Whom: "each organisation it processes the data for (the controllers recorded in the profile)",
		Recipient: RecipientController, Anchor: AnchorAwareness, Period: Hours(24), Target: true, FanOut: FanOutPerController,
		Applies:    Applicability{EntityTypes: []EntityType{EntitySGDataIntermediary}, Jurisdictions: []string{"SG"}},
		Exceptions: []Exception{dismissed()},
		Summary:    "a data intermediary that has reason to believe a data breach occurred in data it processes for another organisation notifies that organisation without undue delay",
	})
}

// edgarFilingDay is EDGAR's filing day for a Form 8-K.
func edgarFilingDay() *FilingDay {
	return &FilingDay{Cutoff: "17:30", Citation: "Regulation S-T Rule 13(a)(2), 17 CFR 232.13",
		Verify: "[VERIFY] a filing transmitted after 17:30 Eastern time, or on a day EDGAR is closed, is deemed filed the next business day; Form 8-K is not among the Rule 13(a)(4) filings that may be made until 22:00"}
}
