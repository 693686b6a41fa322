package domain

import (
	"slices"
	"strings"
	"time"
)

// The facts below decide which regulatory obligations apply to an incident
// (packs.go) and when their clocks start: who the organisation is (entity
// profile), where the affected people live (counts per jurisdiction), the
// determinations that anchor clocks (materiality, major classification,
// notifiable assessment, discovery...), the authorities' acknowledgements,
// holds with a legal basis and an expiry, the structured risk factors the
// advisor reads, and the rule pack the incident is evaluated under.

// EntityType is a regulatory status of the organisation for an incident.
type EntityType string

// Entity types.
const (
	EntityFinancial          EntityType = "financial-entity"          // DORA Art. 2(1): a financial entity
	EntityCreditInstitution  EntityType = "credit-institution"        // DORA Art. 2(1)(a); no DORA roll-over for initial/intermediate (RTS 2025/301 Art. 5(5))
	EntityCCP                EntityType = "central-counterparty"      // DORA Art. 2(1)(i); same exclusion
	EntityTradingVenue       EntityType = "trading-venue"             // DORA Art. 2(1)(h) operator of a trading venue; same exclusion
	EntityNIS2Essential      EntityType = "nis2-essential"            // NIS2 Art. 3(1)
	EntityNIS2Important      EntityType = "nis2-important"            // NIS2 Art. 3(2)
	EntityTrustService       EntityType = "trust-service-provider"    // NIS2 Art. 23(4)(b): notification within 24 hours
	EntitySECRegistrant      EntityType = "sec-registrant"            // files Form 8-K (Exchange Act registrant)
	EntityHIPAACovered       EntityType = "hipaa-covered-entity"      // 45 CFR 160.103
	EntityHIPAABusinessAssoc EntityType = "hipaa-business-associate"  // 45 CFR 164.410
	EntityNYDFSCovered       EntityType = "nydfs-covered-entity"      // 23 NYCRR 500.1
	EntitySmallAgent         EntityType = "small-processing-agent"    // Brazil: Resolução CD/ANPD 2/2022, deadlines doubled
	EntitySGDataIntermediary EntityType = "sg-data-intermediary"      // Singapore PDPA s. 26C(3)
	EntityDORARolloverOff    EntityType = "dora-rollover-disapplied"  // DORA RTS 2025/301 Art. 5(6): the NCA disapplied Art. 5(4)
	EntityCaliforniaBusiness EntityType = "california-business"       // Cal. Civ. Code 1798.82: conducts business in California
	EntityEEAEstablishedRep  EntityType = "gdpr-art27-representative" // has an Art. 27 representative (does not trigger the one-stop shop)
)

// EntityTypes returns every entity type, in a new slice.
func EntityTypes() []EntityType {
	return []EntityType{EntityFinancial, EntityCreditInstitution, EntityCCP, EntityTradingVenue, EntityNIS2Essential, EntityNIS2Important,
		EntityTrustService, EntitySECRegistrant, EntityHIPAACovered, EntityHIPAABusinessAssoc, EntityNYDFSCovered, EntitySmallAgent,
		EntitySGDataIntermediary, EntityDORARolloverOff, EntityCaliforniaBusiness, EntityEEAEstablishedRep}
}

// ParseEntityType parses an entity type.
func ParseEntityType(s string) (EntityType, error) { return parseEnum("entity-type", s, EntityTypes()) }

// DeterminationKind is a decision or finding that anchors a clock or
// decides whether a regime applies.
type DeterminationKind string

// Determination kinds.
const (
	DetDiscovery        DeterminationKind = "discovery"               // HIPAA 164.404(a)(2), US state laws: the breach is discovered
	DetSECMaterial      DeterminationKind = "sec-material"            // SEC Form 8-K Item 1.05: the incident is determined material
	DetSECInfoAvailable DeterminationKind = "sec-info-available"      // Item 1.05 Instr. 2: information not determined at filing is now determined (8-K/A)
	DetDORAMajor        DeterminationKind = "dora-major"              // DORA Art. 18, Delegated Reg. 2024/1772: classified as major
	DetNIS2Significant  DeterminationKind = "nis2-significant"        // NIS2 Art. 23(3): the incident is significant
	DetSGNotifiable     DeterminationKind = "sg-notifiable"           // Singapore PDPA s. 26C/26B: assessed as notifiable
	DetBRPersonalData   DeterminationKind = "br-personal-data"        // Brazil Res. CD/ANPD 15/2024: knowledge that the incident affected personal data
	DetBRRelevantRisk   DeterminationKind = "br-relevant-risk"        // Brazil LGPD Art. 48: may entail relevant risk or damage
	DetNYDFSReportable  DeterminationKind = "nydfs-reportable"        // 23 NYCRR 500.17(a): a reportable cybersecurity incident occurred
	DetHIPAALowProb     DeterminationKind = "hipaa-low-probability"   // 45 CFR 164.402(2): low probability that PHI was compromised
	DetNIS2Intermediate DeterminationKind = "nis2-intermediate-asked" // NIS2 Art. 23(4)(c): the CSIRT asked for an intermediate report
	DetDORARecovered    DeterminationKind = "dora-regular-activities-recovered"
)

// DeterminationKinds returns every determination kind, in a new slice.
func DeterminationKinds() []DeterminationKind {
	return []DeterminationKind{DetDiscovery, DetSECMaterial, DetSECInfoAvailable, DetDORAMajor, DetNIS2Significant, DetSGNotifiable,
		DetBRPersonalData, DetBRRelevantRisk, DetNYDFSReportable, DetHIPAALowProb, DetNIS2Intermediate, DetDORARecovered}
}

// ParseDeterminationKind parses a determination kind.
func ParseDeterminationKind(s string) (DeterminationKind, error) {
	return parseEnum("kind", s, DeterminationKinds())
}

// HoldKind is the legal basis on which a notification is held.
type HoldKind string

// Hold kinds.
const (
	// HoldLawEnforcement: a law-enforcement official states that notice
	// would impede a criminal investigation or damage national security.
	// 45 CFR 164.412: a written statement holds for the period it
	// specifies; an oral one for at most 30 days from the statement unless
	// a written one follows. (Cal. Civ. Code 1798.82(c) and others are alike.)
	HoldLawEnforcement HoldKind = "law-enforcement"
	// HoldSECAttorneyGeneral: Form 8-K Item 1.05(c): the US Attorney
	// General determines that disclosure poses a substantial risk to
	// national security or public safety and tells the SEC in writing: up
	// to 30 days, extended by up to 30 days, then up to 60 days in
	// extraordinary circumstances; beyond that only an SEC exemptive order.
	HoldSECAttorneyGeneral HoldKind = "sec-ag-delay"
)

// HoldKinds returns every hold kind, in a new slice.
func HoldKinds() []HoldKind {
	return []HoldKind{HoldLawEnforcement, HoldSECAttorneyGeneral}
}

// ParseHoldKind parses a hold kind.
func ParseHoldKind(s string) (HoldKind, error) { return parseEnum("kind", s, HoldKinds()) }

// AffectedCount is how many people one jurisdiction counts among the
// affected (data subjects, residents, individuals).
type AffectedCount struct {
	Jurisdiction string `json:"jurisdiction"`
	Count        int64  `json:"count"`
}

// EntityProfiled records who the organisation is for this incident, in
// full (each event holds the whole profile).
type EntityProfiled struct {
	Backdating
	// Establishments are the jurisdictions where the organisation is
	// established, main establishment first (GDPR Art. 4(16), NIS2 Art. 26).
	Establishments []string     `json:"establishments"`
	Sectors        []string     `json:"sectors"`      // e.g. banking, digital-infrastructure, health
	EntityTypes    []EntityType `json:"entity_types"` // regulatory statuses
	Controllers    []string     `json:"controllers"`  // when acting as processor: the controllers to tell (GDPR Art. 33(2))
}

// AffectedRecorded records the affected people per jurisdiction, in full.
type AffectedRecorded struct {
	Backdating
	Counts []AffectedCount `json:"counts"`
}

// DeterminationMade records a determination; its business time is when it
// was made, which is when clocks anchored on it start.
type DeterminationMade struct {
	Backdating
	Kind      DeterminationKind `json:"kind"`
	Positive  bool              `json:"positive"` // false: determined not (e.g. not material, not major)
	Reasoning string            `json:"reasoning"`
}

// AcknowledgementReceived records that a recipient (an authority)
// acknowledged a notice.
type AcknowledgementReceived struct {
	Backdating
	Notice    string `json:"notice"` // event ID of the notice acknowledged
	From      string `json:"from"`
	Reference string `json:"reference,omitempty"` // the authority's case number
}

// HoldRecorded starts a hold of notification on a legal basis. The actor
// who records it (legal) approves it; Authority is who asked for it.
type HoldRecorded struct {
	Backdating
	Hold        string    `json:"hold"` // H1, H2... within the incident
	Kind        HoldKind  `json:"kind"`
	Obligations []string  `json:"obligations,omitempty"` // obligation or rule IDs held; empty: every obligation whose rule allows this kind
	Basis       string    `json:"basis"`                 // the legal basis and what was stated
	Authority   string    `json:"authority"`             // who asked: the agency, the Attorney General
	Written     bool      `json:"written"`               // law-enforcement: a written statement (else oral)
	Until       time.Time `json:"until,omitzero"`        // when the hold ends (an oral law-enforcement hold ends 30 days after it at most)
}

// HoldReleased ends a hold before its expiry.
type HoldReleased struct {
	Backdating
	Hold   string `json:"hold"`
	Reason string `json:"reason"`
}

// RiskFactorsRecorded records the structured risk factors of a personal
// data breach, in full; the risk advisor (advice.go) reads them under the
// method the event names. An event without a method was recorded under the
// first advisor (MethodEDPB2021) and is read by it alone, with its yes/no
// fields; an event under MethodENISA2013v1 records the graded facts below
// (enisa_facts.go), where an empty value is a fact not recorded.
type RiskFactorsRecorded struct {
	Backdating
	Method string `json:"method,omitempty"` // the advice method pinned by this event; empty: MethodEDPB2021
	// The graded facts of MethodENISA2013v1.
	Data            []DataCategory    `json:"data,omitempty"`            // the kinds of data; the highest base counts
	DPCAdjustments  []DPCAdjustment   `json:"dpc_adjustments,omitempty"` // contextual adjustments of the DPC
	Identification  Identification    `json:"identification,omitempty"`  // ease of identification (EI)
	Confidentiality Confidentiality   `json:"confidentiality,omitempty"`
	Integrity       Integrity         `json:"integrity,omitempty"`
	Availability    Availability      `json:"availability,omitempty"`
	Intent          Intent            `json:"intent,omitempty"`
	Unintelligible  Unintelligibility `json:"unintelligible,omitempty"`
	People          string            `json:"people,omitempty"`          // people affected: a whole number or unknown
	ExposureDays    string            `json:"exposure_days,omitempty"`   // days the data stayed exposed: a whole number or unknown
	Art34Exception  Art34Exception    `json:"art34_exception,omitempty"` // an Art. 34(3)(b) or (c) exception that holds
	// The yes/no factors of MethodEDPB2021.
	Encrypted          bool   `json:"encrypted"`           // the data was encrypted (or hashed) with a state-of-the-art algorithm
	KeyCompromised     bool   `json:"key_compromised"`     // ...and the key (or secret salt) was compromised too
	Exfiltrated        bool   `json:"exfiltrated"`         // evidence or likelihood that data left the controller's control (copied out, stolen, sent to the wrong recipient)
	SpecialCategories  bool   `json:"special_categories"`  // GDPR Art. 9/10 data, or data of a highly personal nature (financial, credentials)
	VulnerableSubjects bool   `json:"vulnerable_subjects"` // children, patients, other vulnerable people
	Subjects           int64  `json:"subjects"`            // volume: people affected
	RestoreHours       int64  `json:"restore_hours"`       // availability: hours until the data was (or will be) available again; 0 = no availability loss
	RecipientTrusted   bool   `json:"recipient_trusted"`   // the recipient is trusted (bound to confidentiality)
	DeletionConfirmed  bool   `json:"deletion_confirmed"`  // ...and confirmed deleting or returning the data
	FraudPotential     bool   `json:"fraud_potential"`     // identity theft or fraud is possible with the data
	Notes              string `json:"notes,omitempty"`
}

// PackPinned records the rule pack an incident is evaluated under. Detect
// pins the pack in force; a later pin moves the incident to another pack
// deliberately. A history without a pin was recorded before packs were
// versioned and is evaluated under the first pack.
type PackPinned struct {
	Backdating
	Version string `json:"version"`
	Reason  string `json:"reason"`
	// Calendar is the frozen calendar version (calendardata) pinned with
	// the pack; empty: DefaultCalendarVersion (a detection leaves it out
	// when it pins that one, as every detection before pins did).
	Calendar string `json:"calendar,omitempty"`
}

func (EntityProfiled) isEvent()          {}
func (AffectedRecorded) isEvent()        {}
func (DeterminationMade) isEvent()       {}
func (AcknowledgementReceived) isEvent() {}
func (HoldRecorded) isEvent()            {}
func (HoldReleased) isEvent()            {}
func (RiskFactorsRecorded) isEvent()     {}
func (PackPinned) isEvent()              {}

func (e EntityProfiled) validate(fs *fields) {
	for _, j := range e.Establishments {
		if !jurisdictionRE.MatchString(j) {
			fs.problem("establishment", j, "must be an ISO 3166-1 alpha-2 country code, optionally with a subdivision (DE, US-NY)")
		}
	}
	for _, t := range e.EntityTypes {
		fs.add(checkEnum("entity-type", t, EntityTypes()))
	}
	for _, s := range e.Sectors {
		if strings.TrimSpace(s) == "" {
			fs.problem("sector", s, "must not be empty")
		}
	}
	for _, c := range e.Controllers {
		if strings.TrimSpace(c) == "" {
			fs.problem("controller", c, "must not be empty")
		}
	}
}

func (e AffectedRecorded) validate(fs *fields) {
	seen := map[string]bool{}
	for _, c := range e.Counts {
		if !jurisdictionRE.MatchString(c.Jurisdiction) {
			fs.problem("count", c.Jurisdiction, "must be an ISO 3166-1 alpha-2 country code, optionally with a subdivision (DE, US-CA)")
		}
		if c.Count < 0 {
			fs.problem("count", c.Jurisdiction, "must not be negative")
		}
		if seen[c.Jurisdiction] {
			fs.problem("count", c.Jurisdiction, "given twice")
		}
		seen[c.Jurisdiction] = true
	}
}

func (e DeterminationMade) validate(fs *fields) {
	fs.add(checkEnum("kind", e.Kind, DeterminationKinds()))
	fs.require("reasoning", e.Reasoning)
}

func (e AcknowledgementReceived) validate(fs *fields) {
	fs.require("notice", e.Notice)
	fs.require("from", e.From)
}

func (e HoldRecorded) validate(fs *fields) {
	fs.require("hold", e.Hold)
	fs.add(checkEnum("kind", e.Kind, HoldKinds()))
	fs.require("basis", e.Basis)
	fs.require("authority", e.Authority)
	if e.Until.IsZero() && (e.Kind != HoldLawEnforcement || e.Written) {
		fs.problem("until", "", "required: a %s hold must say when it ends", e.Kind)
	}
}

func (e HoldReleased) validate(fs *fields) {
	fs.require("hold", e.Hold)
	fs.require("reason", e.Reason)
}

func (e RiskFactorsRecorded) validate(fs *fields) {
	switch e.Method {
	case "", MethodEDPB2021:
		e.validateLegacy(fs)
	case MethodENISA2013v1:
		e.validateENISA(fs)
		return
	default:
		fs.problem("method", e.Method, "unknown advice method; this binary knows %s", strings.Join(AdviceMethods(), ", "))
		return
	}
	if e.Subjects < 0 {
		fs.problem("subjects", "", "must not be negative")
	}
	if e.RestoreHours < 0 {
		fs.problem("restore-hours", "", "must not be negative")
	}
	if e.KeyCompromised && !e.Encrypted {
		fs.problem("key-compromised", "", "only meaningful when the data was encrypted")
	}
	if e.DeletionConfirmed && !e.RecipientTrusted {
		fs.problem("deletion-confirmed", "", "only meaningful with a trusted recipient (--recipient-trusted)")
	}
}

func (e PackPinned) validate(fs *fields) {
	fs.add(UnknownPack("pack", e.Version))
	fs.require("reason", e.Reason)
}

// Regulatory is the part of an incident's state that the regulatory
// facts above fold into.
type Regulatory struct {
	Profile          *ProfileEntry        `json:"profile,omitempty"`
	Affected         *AffectedEntry       `json:"affected,omitempty"`
	Determinations   []DeterminationEntry `json:"determinations"`
	Acknowledgements []AckEntry           `json:"acknowledgements"`
	Holds            []*HoldState         `json:"holds"`
	RiskFactors      *RiskFactorsEntry    `json:"risk_factors,omitempty"`
	Pack             *PackEntry           `json:"pack,omitempty"`
	PackHistory      []PackEntry          `json:"pack_history"`
}

// ProfileEntry is the entity profile as last recorded.
type ProfileEntry struct {
	Ref
	EntityProfiled
}

// AffectedEntry is the affected counts as last recorded.
type AffectedEntry struct {
	Ref
	AffectedRecorded
}

// DeterminationEntry is one determination.
type DeterminationEntry struct {
	Ref
	DeterminationMade
}

// AckEntry is one acknowledgement.
type AckEntry struct {
	Ref
	AcknowledgementReceived
}

// HoldState is a hold with its release, if any.
type HoldState struct {
	Ref
	HoldRecorded
	Released *HoldReleaseEntry `json:"released,omitempty"`
}

// HoldReleaseEntry is the early end of a hold.
type HoldReleaseEntry struct {
	Ref
	Reason string `json:"reason"`
}

// RiskFactorsEntry is the risk factors as last recorded.
type RiskFactorsEntry struct {
	Ref
	RiskFactorsRecorded
}

// PackEntry is one pin of a rule pack.
type PackEntry struct {
	Ref
	PackPinned
}

// apply folds one regulatory fact; other events are ignored.
func (g *Regulatory) apply(f Fact, r Ref) {
	switch e := f.Event.(type) {
	case EntityProfiled:
		g.Profile = &ProfileEntry{Ref: r, EntityProfiled: e}
	case AffectedRecorded:
		g.Affected = &AffectedEntry{Ref: r, AffectedRecorded: e}
	case DeterminationMade:
		g.Determinations = append(g.Determinations, DeterminationEntry{Ref: r, DeterminationMade: e})
	case AcknowledgementReceived:
		g.Acknowledgements = append(g.Acknowledgements, AckEntry{Ref: r, AcknowledgementReceived: e})
	case HoldRecorded:
		g.Holds = append(g.Holds, &HoldState{Ref: r, HoldRecorded: e})
	case HoldReleased:
		if h := g.Hold(e.Hold); h != nil && h.Released == nil {
			h.Released = &HoldReleaseEntry{Ref: r, Reason: e.Reason}
		}
	case RiskFactorsRecorded:
		g.RiskFactors = &RiskFactorsEntry{Ref: r, RiskFactorsRecorded: e}
	case PackPinned:
		p := PackEntry{Ref: r, PackPinned: e}
		g.Pack = &p
		g.PackHistory = append(g.PackHistory, p)
	}
}

// Hold returns the hold with the given ID, or nil.
func (g *Regulatory) Hold(id string) *HoldState {
	for _, h := range g.Holds {
		if h.Hold == id {
			return h
		}
	}
	return nil
}

// PackVersion is the version of the pack the incident is evaluated under:
// the last pin, or the first pack for a history recorded before pins.
func (g *Regulatory) PackVersion() string {
	if g.Pack != nil {
		return g.Pack.Version
	}
	return FirstPack().Version
}

// CalendarVersion is the frozen calendar version the incident's clocks
// count on: the last pin that names one, or DefaultCalendarVersion for a
// history recorded before calendars were pinned.
func (g *Regulatory) CalendarVersion() string {
	for i := len(g.PackHistory) - 1; i >= 0; i-- {
		if v := g.PackHistory[i].Calendar; v != "" {
			return v
		}
	}
	return DefaultCalendarVersion()
}

// HasEntityType reports whether the profile records any of ts.
func (g *Regulatory) HasEntityType(ts ...EntityType) bool {
	if g.Profile == nil {
		return false
	}
	return slices.ContainsFunc(g.Profile.EntityTypes, func(t EntityType) bool { return slices.Contains(ts, t) })
}

// Determination returns the latest determination of kind k: whether one was
// made, whether it is positive, and the entry that anchors a clock (the
// first positive one after the last negative one).
func (g *Regulatory) Determination(k DeterminationKind) (anchor DeterminationEntry, latest DeterminationEntry, ok bool) {
	var prevPositive bool
	for _, d := range g.Determinations {
		if d.Kind != k {
			continue
		}
		if d.Positive && !prevPositive {
			anchor = d
		}
		prevPositive = d.Positive
		latest, ok = d, true
	}
	return anchor, latest, ok
}

// Positive reports whether the latest determination of kind k is positive.
func (g *Regulatory) Positive(k DeterminationKind) bool {
	_, latest, ok := g.Determination(k)
	return ok && latest.Positive
}

// Count returns the affected count of a jurisdiction (0 when none is recorded).
func (g *Regulatory) Count(j string) int64 {
	if g.Affected == nil {
		return 0
	}
	for _, c := range g.Affected.Counts {
		if c.Jurisdiction == j {
			return c.Count
		}
	}
	return 0
}
