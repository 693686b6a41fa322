package domain

import (
	"fmt"
	"time"
)

// A Pack is a versioned set of obligation rules. An incident records the
// pack it is evaluated under (PackPinned), so a history replayed years later
// by a newer binary computes the deadlines it computed then; the newer
// reading is available beside it (ObligationsUnder).
//
// Rules are data: who notifies whom, under which citation, from which
// anchor, after which period in which unit on which calendar, with which
// roll-over, phase, applicability and exceptions. The few behaviours that
// cannot be plain values (which anchor, how a rule fans out into one
// obligation per customer or authority, which exception waives it) are
// named, and the engine (obligations.go) implements each name once.
//
// Items the research marks [VERIFY] keep the marker in Verify, and every
// obligation derived from such a rule carries it to the output.
type Pack struct {
	Version  string    `json:"version"`
	Released time.Time `json:"released"` // when this pack was published
	Notes    string    `json:"notes"`
	Rules    []Rule    `json:"rules"`
}

// Rule is one obligation rule of a pack.
type Rule struct {
	ID        string        `json:"id"`
	Regime    string        `json:"regime"`
	Citation  string        `json:"citation"`
	Verify    string        `json:"verify,omitempty"` // what is still to be verified against the official text
	Who       string        `json:"who"`              // who notifies
	Whom      string        `json:"whom"`             // whom
	Recipient RecipientKind `json:"recipient"`        // the recipient kind a notice needs
	// Anchor names the event that starts the clock: awareness, declaration,
	// high-risk, determination:KIND, report:RULE (the first notice that met
	// RULE's obligation), latest-report:RULE, year-end:ANCHOR.
	Anchor Anchor `json:"anchor"`
	Period Period `json:"period"`
	// Setting, when set, takes the period from a ledger setting (in hours):
	// customer-notice-window, art34-target.
	Setting string `json:"setting,omitempty"`
	// Limit is a second limb: the obligation is due no later than Limit
	// after LimitAnchor, whichever comes first (DORA: within 4 hours of
	// classification, no later than 24 hours after awareness).
	Limit       *Period     `json:"limit,omitempty"`
	LimitAnchor Anchor      `json:"limit_anchor,omitempty"`
	LimitPassed LimitPassed `json:"limit_passed,omitempty"` // what the limb means when it has passed by the anchor (packs_conventions.go)
	EndOfDay    PeriodEnd   `json:"end_of_day,omitempty"`   // months, packs before 2026.2: EndOfDayLocal ends the period at the end of the day
	// Months states how a period in months is counted (2026.2 and later;
	// it replaces EndOfDay).
	Months *MonthConvention `json:"months,omitempty"`
	// FilingDay: the notice is a filing whose day the filing system
	// decides (EDGAR's 17:30 cut-off).
	FilingDay *FilingDay `json:"filing_day,omitempty"`
	// Scaled multiplies the period for some entity types (Brazil's small
	// processing agents).
	Scaled []Scaling `json:"scaled,omitempty"`
	// OutsideEEAIf: per-authority fan-out: entity types that mark a
	// controller established outside the EEA when no EEA establishment is
	// recorded (an Art. 27 representative).
	OutsideEEAIf []EntityType `json:"outside_eea_if,omitempty"`
	// Target marks an organisational target: the law says "without undue
	// delay" or similar and names no instant.
	Target bool `json:"target"`
	// Calendar is the jurisdiction whose calendar counts the period; empty:
	// the obligation's own jurisdiction (the authority's).
	Calendar       string       `json:"calendar,omitempty"`
	Jurisdiction   string       `json:"jurisdiction,omitempty"` // the authority's jurisdiction, for rules with one authority
	Rollover       Rollover     `json:"rollover,omitempty"`
	RolloverExcept []EntityType `json:"rollover_except,omitempty"` // entity types the roll-over does not apply to
	Phase          Phase        `json:"phase"`                     // what the obligation asks for
	Accepts        []Phase      `json:"accepts,omitempty"`         // notice phases that meet it (empty: any)
	// FanOut names how the rule becomes obligations: single,
	// per-customer, per-controller, per-authority (one per supervisory
	// authority where affected people live, for a controller established
	// outside the EEA; else one), per-establishment, per-state-over-500,
	// per-determination.
	FanOut     FanOut        `json:"fan_out"`
	Applies    Applicability `json:"applies"`
	Exceptions []Exception   `json:"exceptions,omitempty"`
	Holds      []HoldKind    `json:"holds,omitempty"`        // hold kinds that hold it
	HoldMode   HoldMode      `json:"hold_mode,omitempty"`    // pause (default: the clock stops while held) or extend (due no earlier than the hold's end)
	Requests   bool          `json:"requests,omitempty"`     // approved notification-delay requests (legal + executive incident manager) hold it
	DelayNote  bool          `json:"delay_notice,omitempty"` // DORA RTS 2025/301 Art. 5(3): a notice of delay is due by the limit
	Effective  time.Time     `json:"effective,omitzero"`     // the rule applies to anchors at or after this instant
	Until      time.Time     `json:"until,omitzero"`         // ...and before this one
	Summary    string        `json:"summary"`
}

// Applicability says when a rule applies. Every field set must hold.
type Applicability struct {
	Roles        []DataRole   `json:"roles,omitempty"`         // the organisation acts as one of these
	PersonalData bool         `json:"personal_data,omitempty"` // personal data is (or was) involved
	Declared     bool         `json:"declared,omitempty"`      // a CRSPI was declared
	EntityTypes  []EntityType `json:"entity_types,omitempty"`  // the profile records one of these
	// NotEntityTypes: the profile records none of these (a Singapore data
	// intermediary notifies the organisation, not the Commission).
	NotEntityTypes []EntityType `json:"not_entity_types,omitempty"`
	// Jurisdictions: the incident touches one of these (affected people,
	// scope or establishment); "EEA" stands for every EEA state. With
	// Unless-no-jurisdictions, an incident that records no jurisdiction at
	// all also qualifies (histories from before jurisdictions were kept).
	Jurisdictions     []string `json:"jurisdictions,omitempty"`
	IfNoJurisdictions bool     `json:"if_no_jurisdictions,omitempty"`
	// MinAffected / BelowAffected: thresholds on the people affected in
	// CountIn (a jurisdiction code, "US" for every US state and the US
	// itself, "" for all).
	MinAffected   int64  `json:"min_affected,omitempty"`
	BelowAffected int64  `json:"below_affected,omitempty"`
	CountIn       string `json:"count_in,omitempty"`
}

// Exception is a condition under which the law removes the duty; the
// obligation is then waived, with the citation as the reason.
type Exception struct {
	When     Trigger `json:"when"` // dismissed(), risk-unlikely, risk-not-high, art34-exception, negative:KIND, positive:KIND, dora-applies
	Citation string  `json:"citation"`
}

// Phases beyond those of the seed (initial, supplementary, final).
const (
	PhaseEarlyWarning Phase = "early-warning" // NIS2 Art. 23(4)(a)
	PhaseNotification Phase = "notification"  // NIS2 Art. 23(4)(b) incident notification
	PhaseIntermediate Phase = "intermediate"  // NIS2 Art. 23(4)(c), DORA intermediate report
	PhaseDelayNotice  Phase = "delay-notice"  // DORA RTS 2025/301 Art. 5(3): the limit cannot be met, with reasons
	PhaseWithdrawn    Phase = "withdrawn"     // a notice withdrawn (e.g. not a breach after all)
)

// Opens reports whether a notice of this phase may be the first one to its
// recipient; the others follow an earlier notice.
func (p Phase) Opens() bool {
	return p == PhaseInitial || p == PhaseEarlyWarning || p == PhaseNotification || p == PhaseDelayNotice
}

// Recipient kinds beyond those of the seed.
const (
	RecipientRegulator     RecipientKind = "regulator"      // CSIRT, financial supervisor, superintendent, HHS, attorney general
	RecipientPublicFiling  RecipientKind = "public-filing"  // a public filing: SEC Form 8-K on EDGAR
	RecipientMedia         RecipientKind = "media"          // prominent media outlets (45 CFR 164.406)
	RecipientCoveredEntity RecipientKind = "covered-entity" // HIPAA business associate → covered entity (45 CFR 164.410)
)

// IsAuthority reports whether notices of this kind go to one authority of
// one jurisdiction (so an obligation to a jurisdiction's authority needs a
// notice to that jurisdiction).
func (k RecipientKind) IsAuthority() bool {
	return k == RecipientAuthority || k == RecipientRegulator || k == RecipientPublicFiling
}

// The building blocks of the packs are functions returning fresh values,
// so that no two packs (and no caller) share a slice or a rule: a released
// pack cannot be changed through another one.

func gdprRoles() []DataRole      { return []DataRole{RoleController, RoleBoth} }
func processorRoles() []DataRole { return []DataRole{RoleProcessor, RoleBoth} }
func dismissed() Exception {
	return Exception{When: TriggerDismissed, Citation: "classified false-positive or out-of-scope: no breach to notify"}
}
func doraNoRoll() []EntityType {
	return []EntityType{EntityCreditInstitution, EntityCCP, EntityTradingVenue, EntityNIS2Essential, EntityNIS2Important, EntityDORARolloverOff}
}
func doraFinalNoRoll() []EntityType { return []EntityType{EntityDORARolloverOff} }

// dateOf parses a constant RFC 3339 instant of a pack (a typo is caught by
// the tests that build every pack).
func dateOf(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(fmt.Sprintf("parse pack date %q: %v", s, err))
	}
	return t
}

// The seed's three rules, as the first engine computed them. Pack 2025.1
// is exactly these; later packs keep them unchanged (same IDs, same due
// times) and add the other regimes. Each call returns a fresh rule.

func ruleCustomerNotice() Rule {
	return Rule{
		ID: "customer-notice", Regime: "processor commitment", Citation: "Processor commitment to customers",
		Who: "the organisation as processor", Whom: "each customer in scope: its security contacts, or its subscription admins when none is configured",
		Recipient: RecipientSecurityContacts, Anchor: AnchorDeclaration, Setting: "customer-notice-window", Period: Hours(72),
		FanOut: FanOutPerCustomer, Applies: Applicability{Roles: processorRoles(), Declared: true},
		Exceptions: []Exception{{When: TriggerDismissedAfterDeclaration, Citation: "reclassified after the declaration"}},
		Requests:   true,
		Summary:    "where the organisation acts as processor, every customer in scope of a declared CRSPI is notified within the customer-notice window of the declaration, or of the customer entering scope if later; an approved notification-delay exception (legal and the executive incident manager) holds the clock",
	}
}

func ruleArt33Single() Rule {
	return Rule{
		ID: "gdpr-art33", Regime: "GDPR", Citation: "GDPR Art. 33(1)",
		Who: "controller", Whom: "the competent supervisory authority (Art. 55; the lead authority, Art. 56)",
		Recipient: RecipientAuthority, Anchor: AnchorAwareness, Period: Hours(72), FanOut: FanOutSingle,
		Applies: Applicability{Roles: gdprRoles(), PersonalData: true},
		Exceptions: []Exception{dismissed(),
			{When: TriggerRiskUnlikely, Citation: "breach determined unlikely to result in a risk to the rights and freedoms of natural persons (GDPR Art. 33(1)); documented under Art. 33(5)"}},
		Summary: "a controller notifies the supervisory authority of a personal data breach not later than 72 hours after becoming aware, unless it is unlikely to result in a risk; a late notice carries the reasons for the delay",
	}
}

func ruleArt34() Rule {
	return Rule{
		ID: "gdpr-art34", Regime: "GDPR", Citation: "GDPR Art. 34(1)",
		Who: "controller", Whom: "the data subjects",
		Recipient: RecipientDataSubjects, Anchor: AnchorHighRisk, Setting: "art34-target", Period: Hours(72), Target: true, FanOut: FanOutSingle,
		Applies: Applicability{Roles: gdprRoles()},
		Exceptions: []Exception{dismissed(),
			{When: TriggerRiskNotHigh, Citation: "risk no longer high"},
			{When: TriggerArt34Exception, Citation: "GDPR Art. 34(3)"}},
		Summary: "a controller tells data subjects of a high-risk personal data breach without undue delay (tracked against the art34-target setting); Art. 34(3) exceptions waive it",
	}
}

// Packs returns the rule packs this binary ships, oldest first, as fresh
// values: a caller may change what it gets without changing a released
// pack. A pack is never changed once released (its golden file under
// domain/testdata/packs fails the tests if it is): a changed rule goes into
// a new pack.
func Packs() []Pack { return []Pack{pack2025(), pack2026(), pack2026v2()} }

// pack2025 is the seed's engine.
func pack2025() Pack {
	return Pack{
		Version:  "2025.1",
		Released: dateOf("2025-03-01T00:00:00Z"),
		Notes:    "the seed's engine: the processor's customer-notice commitment, GDPR Art. 33(1) to one (lead) supervisory authority, GDPR Art. 34(1) against an organisational target",
		Rules:    []Rule{ruleCustomerNotice(), ruleArt33Single(), ruleArt34()},
	}
}

// pack2026 is the multi-regime pack.
func pack2026() Pack {
	return Pack{
		Version:  "2026.1",
		Released: dateOf("2026-11-30T00:00:00Z"),
		Notes:    "multi-regime: GDPR Art. 33 per supervisory authority for controllers established outside the EEA, Art. 33(2), UK GDPR, NIS2 Art. 23, DORA, HIPAA, SEC Form 8-K Item 1.05, California, NYDFS, Brazil, Singapore; calendars with public holidays; holds",
		Rules:    rules2026(),
	}
}

func rules2026() []Rule {
	return []Rule{
		ruleCustomerNotice(),
		func() Rule {
			r := ruleArt33Single()
			r.FanOut = FanOutPerAuthority
			r.Whom = "the competent supervisory authority: the lead authority (Art. 56), or, for a controller whose main establishment is outside the EEA, every authority of a Member State where affected data subjects live (EDPB Guidelines 9/2022 para. 73)"
			r.Applies.Jurisdictions = []string{"EEA"}
			r.Applies.IfNoJurisdictions = true
			return r
		}(),
		func() Rule {
			r := ruleArt34()
			r.Applies.Jurisdictions = []string{"EEA"}
			r.Applies.IfNoJurisdictions = true
			return r
		}(),
		{
			ID: "gdpr-art33-2", Regime: "GDPR", Citation: "GDPR Art. 33(2)",
			Verify: "no hour limit in the law: the 48h target stands for the Art. 28 contract's term, which often fixes 24–48 h",
			Who:    "processor", Whom: "each controller recorded in the entity profile",
			Recipient: RecipientController, Anchor: AnchorAwareness, Period: Hours(48), Target: true, FanOut: FanOutPerController,
			Applies:    Applicability{Roles: processorRoles(), PersonalData: true},
			Exceptions: []Exception{dismissed()},
			Summary:    "a processor notifies the controller without undue delay after becoming aware of a personal data breach (the processor does not assess the risk; its delay eats into the controller's 72 hours, EDPB 9/2022)",
		},
		{
			ID: "uk-gdpr-art33", Regime: "UK GDPR", Citation: "UK GDPR Art. 33(1); DPA 2018",
			Who: "controller", Whom: "the Information Commissioner (ICO)",
			Recipient: RecipientAuthority, Anchor: AnchorAwareness, Period: Hours(72), FanOut: FanOutSingle, Jurisdiction: "GB",
			Applies: Applicability{Roles: gdprRoles(), PersonalData: true, Jurisdictions: []string{"GB"}},
			Exceptions: []Exception{dismissed(),
				{When: TriggerRiskUnlikely, Citation: "breach determined unlikely to result in a risk (UK GDPR Art. 33(1)); documented under Art. 33(5)"}},
			Summary: "same text as the EU GDPR: 72 clock hours after becoming aware, weekends included; reasons if late",
		},
		{
			ID: "uk-gdpr-art34", Regime: "UK GDPR", Citation: "UK GDPR Art. 34(1)",
			Who: "controller", Whom: "the data subjects in the UK",
			Recipient: RecipientDataSubjects, Anchor: AnchorHighRisk, Setting: "art34-target", Period: Hours(72), Target: true, FanOut: FanOutSingle, Calendar: "GB",
			Applies: Applicability{Roles: gdprRoles(), Jurisdictions: []string{"GB"}},
			Exceptions: []Exception{dismissed(),
				{When: TriggerRiskNotHigh, Citation: "risk no longer high"},
				{When: TriggerArt34Exception, Citation: "UK GDPR Art. 34(3)"}},
			Summary: "without undue delay when the risk is high (organisational target)",
		},
		{
			ID: "nis2-early-warning", Regime: "NIS2", Citation: "NIS2 Directive (EU) 2022/2555 Art. 23(4)(a)",
			Verify: "anchor: the pack counts from the incident's awareness, the earlier and safer reading of 'becoming aware of the significant incident'; national transpositions may add fields or change channels",
			Who:    "essential or important entity", Whom: "the CSIRT or competent authority of the Member State of establishment (Art. 26)",
			Recipient: RecipientRegulator, Anchor: AnchorAwareness, Period: Hours(24), FanOut: FanOutPerEstablishment,
			Phase: PhaseEarlyWarning, Accepts: []Phase{PhaseEarlyWarning, PhaseNotification, PhaseInitial},
			Applies: Applicability{EntityTypes: []EntityType{EntityNIS2Essential, EntityNIS2Important, EntityTrustService}},
			Exceptions: []Exception{dismissed(), {When: TriggerNegative(DetNIS2Significant), Citation: "determined not significant (NIS2 Art. 23(3))"},
				{When: TriggerDORAApplies, Citation: "NIS2 Art. 4: DORA's reporting applies instead for a financial entity in a financial sector only"}},
			Summary: "early warning without undue delay and in any case within 24 hours of becoming aware of a significant incident: whether it is suspected malicious, whether it may have cross-border impact",
		},
		{
			ID: "nis2-notification", Regime: "NIS2", Citation: "NIS2 Directive (EU) 2022/2555 Art. 23(4)(b)",
			Verify: "anchor as for the early warning",
			Who:    "essential or important entity", Whom: "the CSIRT or competent authority of the Member State of establishment",
			Recipient: RecipientRegulator, Anchor: AnchorAwareness, Period: Hours(72), FanOut: FanOutPerEstablishment,
			Phase: PhaseNotification, Accepts: []Phase{PhaseNotification},
			Applies: Applicability{EntityTypes: []EntityType{EntityNIS2Essential, EntityNIS2Important}},
			Exceptions: []Exception{dismissed(), {When: TriggerNegative(DetNIS2Significant), Citation: "determined not significant (NIS2 Art. 23(3))"},
				{When: TriggerDORAApplies, Citation: "NIS2 Art. 4: DORA's reporting applies instead for a financial entity in a financial sector only"}},
			Summary: "incident notification within 72 hours of becoming aware: update of the early warning, initial assessment of severity and impact, indicators of compromise",
		},
		{
			ID: "nis2-notification-tsp", Regime: "NIS2", Citation: "NIS2 Directive (EU) 2022/2555 Art. 23(4)(b), second sentence",
			Who: "trust service provider", Whom: "the CSIRT or competent authority of the Member State of establishment",
			Recipient: RecipientRegulator, Anchor: AnchorAwareness, Period: Hours(24), FanOut: FanOutPerEstablishment,
			Phase: PhaseNotification, Accepts: []Phase{PhaseNotification},
			Applies:    Applicability{EntityTypes: []EntityType{EntityTrustService}},
			Exceptions: []Exception{dismissed(), {When: TriggerNegative(DetNIS2Significant), Citation: "determined not significant (NIS2 Art. 23(3))"}},
			Summary:    "a trust service provider's incident notification is due within 24 hours of becoming aware, for significant incidents affecting its trust services",
		},
		{
			ID: "nis2-final", Regime: "NIS2", Citation: "NIS2 Directive (EU) 2022/2555 Art. 23(4)(d)",
			Verify: "whether Reg. 1182/71 Art. 3(4) carries the month over weekends in the national transposition is for counsel: the pack does not carry it",
			Who:    "essential or important entity", Whom: "the CSIRT or competent authority",
			Recipient: RecipientRegulator, Anchor: AnchorReport("nis2-notification", "nis2-notification-tsp"), Period: Months(1), EndOfDay: EndOfDayLocal, FanOut: FanOutPerEstablishment,
			Phase: PhaseFinal, Accepts: []Phase{PhaseFinal},
			Applies: Applicability{EntityTypes: []EntityType{EntityNIS2Essential, EntityNIS2Important, EntityTrustService}},
			Exceptions: []Exception{dismissed(),
				{When: TriggerDORAApplies, Citation: "NIS2 Art. 4: DORA's reporting applies instead"}},
			Summary: "final report not later than one month after the submission of the incident notification (a progress report then if the incident is still ongoing, the final report within a month of handling it)",
		},
		{
			ID: "dora-initial", Regime: "DORA", Citation: "DORA Reg. (EU) 2022/2554 Art. 19(4)(a); Delegated Reg. (EU) 2025/301 Art. 5(1)(a)",
			Verify: "a classification made more than 24 h after awareness: the research reads 4 h from that classification; the pack keeps the literal 'no later than 24 hours' limb, so such a notice is overdue when classified (the stricter reading). Major-incident criteria (Delegated Reg. 2024/1772 Art. 8) are recorded as a determination, not computed",
			Who:    "financial entity", Whom: "the competent authority of the home Member State",
			Recipient: RecipientRegulator, Anchor: AnchorDetermination(DetDORAMajor), Period: Hours(4), Limit: &Period{N: 24, Unit: UnitHours}, LimitAnchor: AnchorAwareness,
			FanOut: FanOutPerEstablishment, Rollover: RollNoonNextWorkingDay, RolloverExcept: doraNoRoll(),
			Phase: PhaseInitial, Accepts: []Phase{PhaseInitial}, DelayNote: true,
			Applies:    Applicability{EntityTypes: []EntityType{EntityFinancial, EntityCreditInstitution, EntityCCP, EntityTradingVenue}},
			Exceptions: []Exception{dismissed(), {When: TriggerNegative(DetDORAMajor), Citation: "reclassified not major (Delegated Reg. 2024/1772)"}},
			Summary:    "initial notification within 4 hours of the classification as major, and no later than 24 hours after becoming aware of the incident; a limit on a weekend or bank holiday may be met by noon of the next working day, except for credit institutions, CCPs, trading venues and NIS2 entities",
		},
		{
			ID: "dora-intermediate", Regime: "DORA", Citation: "Delegated Reg. (EU) 2025/301 Art. 5(1)(b)",
			Who: "financial entity", Whom: "the competent authority",
			Recipient: RecipientRegulator, Anchor: AnchorReport("dora-initial"), Period: Hours(72),
			FanOut: FanOutPerEstablishment, Rollover: RollNoonNextWorkingDay, RolloverExcept: doraNoRoll(),
			Phase: PhaseIntermediate, Accepts: []Phase{PhaseIntermediate}, DelayNote: true,
			Applies:    Applicability{EntityTypes: []EntityType{EntityFinancial, EntityCreditInstitution, EntityCCP, EntityTradingVenue}},
			Exceptions: []Exception{dismissed()},
			Summary:    "intermediate report at the latest within 72 hours of the submission of the initial notification, even when nothing changed; updated reports follow without undue delay",
		},
		{
			ID: "dora-final", Regime: "DORA", Citation: "Delegated Reg. (EU) 2025/301 Art. 5(1)(c)",
			Who: "financial entity", Whom: "the competent authority",
			Recipient: RecipientRegulator, Anchor: AnchorLatestReport("dora-intermediate"), Period: Months(1),
			FanOut: FanOutPerEstablishment, Rollover: RollNoonNextWorkingDay, RolloverExcept: doraFinalNoRoll(),
			Phase: PhaseFinal, Accepts: []Phase{PhaseFinal}, DelayNote: true,
			Applies:    Applicability{EntityTypes: []EntityType{EntityFinancial, EntityCreditInstitution, EntityCCP, EntityTradingVenue}},
			Exceptions: []Exception{dismissed()},
			Summary:    "final report no later than one month after the intermediate report, or after the latest updated intermediate report; the roll-over covers the final report for every entity (Art. 5(5))",
		},
		{
			ID: "sec-8k-1.05", Regime: "SEC", Citation: "SEC Form 8-K Item 1.05; General Instruction B.1 (Release 33-11216)",
			Verify: "due at the end of the fourth business day in New York; the EDGAR filing-date cut-off (Reg. S-T Rule 13) is not modelled",
			Who:    "registrant", Whom: "the public, on EDGAR",
			Recipient: RecipientPublicFiling, Anchor: AnchorDetermination(DetSECMaterial), Period: BusinessDays(4), FanOut: FanOutSingle, Jurisdiction: "US",
			Phase: PhaseInitial, Accepts: []Phase{PhaseInitial},
			Applies:    Applicability{EntityTypes: []EntityType{EntitySECRegistrant}},
			Exceptions: []Exception{{When: TriggerNegative(DetSECMaterial), Citation: "later determined not material"}},
			Holds:      []HoldKind{HoldSECAttorneyGeneral}, HoldMode: HoldExtend,
			Summary: "Form 8-K within four business days after the registrant determines a cybersecurity incident is material; a request to the Attorney General does not toll it, only the Attorney General's written notice to the SEC does (Item 1.05(c))",
		},
		{
			ID: "sec-8k-a", Regime: "SEC", Citation: "SEC Form 8-K Item 1.05, Instruction 2",
			Who: "registrant", Whom: "the public, on EDGAR (Form 8-K/A)",
			Recipient: RecipientPublicFiling, Anchor: AnchorDetermination(DetSECInfoAvailable), Period: BusinessDays(4), FanOut: FanOutPerDetermination, Jurisdiction: "US",
			Phase: PhaseSupplementary, Accepts: []Phase{PhaseSupplementary},
			Applies: Applicability{EntityTypes: []EntityType{EntitySECRegistrant}},
			Summary: "an amendment (8-K/A) within four business days after information not determined or unavailable at the initial filing is determined or becomes available",
		},
		{
			ID: "hipaa-individuals", Regime: "HIPAA", Citation: "45 CFR 164.404(b)",
			Who: "covered entity", Whom: "each individual whose unsecured PHI was breached",
			Recipient: RecipientDataSubjects, Anchor: AnchorDetermination(DetDiscovery), Period: CalendarDays(60), FanOut: FanOutSingle, Calendar: "US",
			Applies: Applicability{EntityTypes: []EntityType{EntityHIPAACovered}},
			Exceptions: []Exception{dismissed(), {When: TriggerPositive(DetHIPAALowProb),
				Citation: "documented risk assessment shows a low probability that the PHI was compromised (45 CFR 164.402(2))"}},
			Holds:   []HoldKind{HoldLawEnforcement},
			Verify:  "law-enforcement hold: the pack pauses the 60 days while the hold runs (45 CFR 164.412) rather than making notice due when it ends",
			Summary: "without unreasonable delay and in no case later than 60 calendar days after discovery (the first day known, or by reasonable diligence would have been known, 164.404(a)(2))",
		},
		{
			ID: "hipaa-hhs", Regime: "HIPAA", Citation: "45 CFR 164.408(b)",
			Who: "covered entity", Whom: "the Secretary of HHS (breach portal)",
			Recipient: RecipientRegulator, Anchor: AnchorDetermination(DetDiscovery), Period: CalendarDays(60), FanOut: FanOutSingle, Calendar: "US", Jurisdiction: "US",
			Applies: Applicability{EntityTypes: []EntityType{EntityHIPAACovered}, MinAffected: 500, CountIn: "US"},
			Exceptions: []Exception{dismissed(), {When: TriggerPositive(DetHIPAALowProb),
				Citation: "low probability that the PHI was compromised (45 CFR 164.402(2))"}},
			Holds:   []HoldKind{HoldLawEnforcement},
			Summary: "500 or more individuals: the Secretary is told contemporaneously with the individual notices, so within the same 60 days",
		},
		{
			ID: "hipaa-hhs-annual", Regime: "HIPAA", Citation: "45 CFR 164.408(c)",
			Who: "covered entity", Whom: "the Secretary of HHS (annual log)",
			Recipient: RecipientRegulator, Anchor: AnchorYearEnd(AnchorDetermination(DetDiscovery)), Period: CalendarDays(60), FanOut: FanOutSingle, Calendar: "US", Jurisdiction: "US",
			Applies: Applicability{EntityTypes: []EntityType{EntityHIPAACovered}, BelowAffected: 500, CountIn: "US"},
			Exceptions: []Exception{dismissed(), {When: TriggerPositive(DetHIPAALowProb),
				Citation: "low probability that the PHI was compromised (45 CFR 164.402(2))"}},
			Summary: "fewer than 500 individuals: logged and submitted no later than 60 days after the end of the calendar year of discovery",
		},
		{
			ID: "hipaa-media", Regime: "HIPAA", Citation: "45 CFR 164.406",
			Who: "covered entity", Whom: "prominent media outlets serving the State",
			Recipient: RecipientMedia, Anchor: AnchorDetermination(DetDiscovery), Period: CalendarDays(60), FanOut: FanOutPerStateOver500, Calendar: "US",
			Applies: Applicability{EntityTypes: []EntityType{EntityHIPAACovered}},
			Exceptions: []Exception{dismissed(), {When: TriggerPositive(DetHIPAALowProb),
				Citation: "low probability that the PHI was compromised (45 CFR 164.402(2))"}},
			Holds:   []HoldKind{HoldLawEnforcement},
			Summary: "more than 500 residents of a State or jurisdiction: prominent media outlets there, within 60 calendar days of discovery",
		},
		{
			ID: "hipaa-ba", Regime: "HIPAA", Citation: "45 CFR 164.410",
			Who: "business associate", Whom: "the covered entity",
			Recipient: RecipientCoveredEntity, Anchor: AnchorDetermination(DetDiscovery), Period: CalendarDays(60), FanOut: FanOutSingle, Calendar: "US",
			Applies:    Applicability{EntityTypes: []EntityType{EntityHIPAABusinessAssoc}},
			Exceptions: []Exception{dismissed()},
			Holds:      []HoldKind{HoldLawEnforcement},
			Summary:    "a business associate tells the covered entity without unreasonable delay and no later than 60 calendar days after discovery",
		},
		{
			ID: "ca-residents", Regime: "California", Citation: "Cal. Civ. Code 1798.82(a), as amended by SB 446",
			Verify: "statutes change often; SB 446 in force from 2026-01-01 — earlier breaches fall under 'most expedient time possible' and get no clock here",
			Who:    "business", Whom: "each California resident affected",
			Recipient: RecipientDataSubjects, Anchor: AnchorDetermination(DetDiscovery), Period: CalendarDays(30), FanOut: FanOutSingle, Jurisdiction: "US-CA",
			Applies:    Applicability{Jurisdictions: []string{"US-CA"}, MinAffected: 1, CountIn: "US-CA"},
			Exceptions: []Exception{dismissed()},
			Holds:      []HoldKind{HoldLawEnforcement},
			Effective:  dateOf("2026-01-01T00:00:00-08:00"),
			Summary:    "within 30 calendar days of discovery or notification of the breach; law-enforcement needs may delay it",
		},
		{
			ID: "ca-ag", Regime: "California", Citation: "Cal. Civ. Code 1798.82(f), as amended by SB 446",
			Verify: "statutes change often",
			Who:    "business", Whom: "the Attorney General (sample notice)",
			Recipient: RecipientRegulator, Anchor: AnchorReport("ca-residents"), Period: CalendarDays(15), FanOut: FanOutSingle, Jurisdiction: "US-CA",
			Applies:   Applicability{Jurisdictions: []string{"US-CA"}, MinAffected: 501, CountIn: "US-CA"},
			Effective: dateOf("2026-01-01T00:00:00-08:00"),
			Summary:   "more than 500 California residents: a sample of the notice to the Attorney General within 15 calendar days of notifying them",
		},
		{
			ID: "nydfs-500.17", Regime: "NYDFS", Citation: "23 NYCRR 500.17(a)",
			Verify: "the whole rule (research marks it VERIFY)",
			Who:    "covered entity", Whom: "the Superintendent of Financial Services",
			Recipient: RecipientRegulator, Anchor: AnchorDetermination(DetNYDFSReportable), Period: Hours(72), FanOut: FanOutSingle, Jurisdiction: "US-NY",
			Applies:    Applicability{EntityTypes: []EntityType{EntityNYDFSCovered}},
			Exceptions: []Exception{{When: TriggerNegative(DetNYDFSReportable), Citation: "later determined not reportable"}},
			Summary:    "as promptly as possible and no later than 72 hours after determining that a reportable cybersecurity incident occurred",
		},
		{
			ID: "br-anpd", Regime: "LGPD", Citation: "LGPD Art. 48; Resolução CD/ANPD nº 15/2024 Art. 6",
			Verify: "small processing agents get double the time (Res. CD/ANPD 2/2022 Art. 14 [VERIFY article]); not applied here",
			Who:    "controller", Whom: "the ANPD",
			Recipient: RecipientAuthority, Anchor: AnchorDetermination(DetBRPersonalData), Period: BusinessDays(3), FanOut: FanOutSingle, Jurisdiction: "BR",
			Applies: Applicability{Roles: gdprRoles(), Jurisdictions: []string{"BR"}},
			Exceptions: []Exception{dismissed(), {When: TriggerNegative(DetBRRelevantRisk),
				Citation: "the incident may not entail relevant risk or damage (LGPD Art. 48; Res. 15/2024 Art. 5); registered under Art. 10"}},
			Summary: "3 working days (dias úteis) from knowing that the incident affected personal data; late communication must be justified",
		},
		{
			ID: "br-data-subjects", Regime: "LGPD", Citation: "LGPD Art. 48; Resolução CD/ANPD nº 15/2024 Art. 9",
			Who: "controller", Whom: "the data subjects",
			Recipient: RecipientDataSubjects, Anchor: AnchorDetermination(DetBRPersonalData), Period: BusinessDays(3), FanOut: FanOutSingle, Jurisdiction: "BR",
			Applies: Applicability{Roles: gdprRoles(), Jurisdictions: []string{"BR"}},
			Exceptions: []Exception{dismissed(), {When: TriggerNegative(DetBRRelevantRisk),
				Citation: "the incident may not entail relevant risk or damage (LGPD Art. 48)"}},
			Summary: "3 working days from knowing that the incident affected personal data",
		},
		{
			ID: "br-anpd-supplement", Regime: "LGPD", Citation: "Resolução CD/ANPD nº 15/2024 Art. 6 §",
			Who: "controller", Whom: "the ANPD",
			Recipient: RecipientAuthority, Anchor: AnchorReport("br-anpd"), Period: BusinessDays(20), FanOut: FanOutSingle, Jurisdiction: "BR",
			Phase: PhaseSupplementary, Accepts: []Phase{PhaseSupplementary, PhaseFinal},
			Applies: Applicability{Roles: gdprRoles(), Jurisdictions: []string{"BR"}},
			Summary: "supplementary information within 20 working days of the communication",
		},
		{
			ID: "sg-pdpc", Regime: "PDPA", Citation: "Singapore PDPA s. 26D(1)",
			Who: "organisation", Whom: "the Personal Data Protection Commission",
			Recipient: RecipientAuthority, Anchor: AnchorDetermination(DetSGNotifiable), Period: CalendarDays(3), FanOut: FanOutSingle, Jurisdiction: "SG",
			Applies:    Applicability{Jurisdictions: []string{"SG"}},
			Exceptions: []Exception{dismissed(), {When: TriggerNegative(DetSGNotifiable), Citation: "assessed not notifiable (PDPA s. 26B)"}},
			Summary:    "as soon as practicable and no later than 3 calendar days after the day the organisation assesses the breach as notifiable",
		},
	}
}

// CurrentPack returns the newest pack (a fresh value): new incidents are
// pinned to it.
func CurrentPack() Pack { return pack2026v2() }

// FirstPack returns the oldest pack (a fresh value): histories recorded
// before pins are evaluated under it.
func FirstPack() Pack { return pack2025() }

// PackByVersion returns the pack with the given version, as a fresh value.
func PackByVersion(v string) (Pack, bool) {
	for _, p := range Packs() {
		if p.Version == v {
			return p, true
		}
	}
	return Pack{}, false
}

// PackVersions lists the versions of the shipped packs, oldest first.
func PackVersions() []string {
	ps := Packs()
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Version
	}
	return out
}

// Rule returns the rule with the given ID.
func (p Pack) Rule(id string) (Rule, bool) {
	for _, r := range p.Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
