package domain

import (
	"fmt"
	"strconv"
	"strings"
)

// The graded facts of the ENISA severity method (enisa.go). Each is a
// recorded value; "unknown" is a value of every one of them and reads as
// the worst level; an empty value is a fact not recorded, and the advisor
// then cannot advise.

// Advice methods: the version of the risk advisor a RiskFactorsRecorded
// event was recorded under. The method is pinned by the event: an old
// event keeps the method it was recorded under.
const (
	// MethodEDPB2021 is the first advisor: yes/no factors weighed by the
	// examples of EDPB Guidelines 01/2021. Events without a method field
	// were recorded under it.
	MethodEDPB2021 = "edpb-2021"
	// MethodENISA2013v1 is ENISA's 2013 severity method, SE = DPC × EI +
	// CB, with the project's rules for volume and duration of exposure.
	MethodENISA2013v1 = "enisa-2013.1"
)

// CurrentAdviceMethod is the method the factors command records under.
func CurrentAdviceMethod() string { return MethodENISA2013v1 }

// AdviceMethods returns every advice method, oldest first, in a new slice.
func AdviceMethods() []string { return []string{MethodEDPB2021, MethodENISA2013v1} }

// Unknown is the value every graded fact takes when it is not known: the
// advisor reads it as the worst level of that fact.
const Unknown = "unknown"

// DataCategory is ENISA's kind of data, which gives the base of the data
// processing context (DPC).
type DataCategory string

// Data categories (ENISA 2013, data processing context).
const (
	DataSimple      DataCategory = "simple"      // base 1: name, contact details, biographical data, education, family life, professional experience
	DataBehavioural DataCategory = "behavioural" // base 2: location, traffic data, personal preferences and habits
	DataFinancial   DataCategory = "financial"   // base 3: income, transactions, balances, bank statements, credit cards, invoices, investments, social welfare
	DataSensitive   DataCategory = "sensitive"   // base 4: health, political affiliation, religious beliefs, sexual life, the other special categories
	DataUnknown     DataCategory = Unknown       // read as sensitive (4)
)

// DataCategories returns every data category, in a new slice.
func DataCategories() []DataCategory {
	return []DataCategory{DataSimple, DataBehavioural, DataFinancial, DataSensitive, DataUnknown}
}

// ParseDataCategory parses a data category.
func ParseDataCategory(s string) (DataCategory, error) { return parseEnum("data", s, DataCategories()) }

// Base is the category's DPC base score (unknown: the highest, 4).
func (d DataCategory) Base() int {
	switch d {
	case DataSimple:
		return 1
	case DataBehavioural:
		return 2
	case DataFinancial:
		return 3
	}
	return 4
}

// AdjustReason is a contextual adjustment of the DPC (ENISA 2013): the
// first three raise it, the last three lower it.
type AdjustReason string

// Adjustment reasons.
const (
	AdjustMoreData         AdjustReason = "more-data"         // more data per person (a year of call records rather than a week)
	AdjustControllerNature AdjustReason = "controller-nature" // the controller's nature reveals more (an online pharmacy's customers: health)
	AdjustVulnerable       AdjustReason = "vulnerable-people" // minors, protected witnesses, victims of abuse
	AdjustInvalidData      AdjustReason = "invalid-data"      // invalid or outdated data (cards expired long ago)
	AdjustPublicData       AdjustReason = "public-data"       // data already publicly available
	AdjustRevealsLess      AdjustReason = "reveals-less"      // reveals less than its category suggests (a generic health certificate, not a diagnosis)
)

// AdjustReasons returns every adjustment reason, raising ones first, in a new slice.
func AdjustReasons() []AdjustReason {
	return []AdjustReason{AdjustMoreData, AdjustControllerNature, AdjustVulnerable, AdjustInvalidData, AdjustPublicData, AdjustRevealsLess}
}

// Raises reports whether the reason raises the DPC (else it lowers it).
func (r AdjustReason) Raises() bool {
	return r == AdjustMoreData || r == AdjustControllerNature || r == AdjustVulnerable
}

// DPCAdjustment is one contextual adjustment of the DPC: a reason and how
// many points it moves the score (1 to 3; positive for a raising reason,
// negative for a lowering one).
type DPCAdjustment struct {
	Reason AdjustReason `json:"reason"`
	Delta  int          `json:"delta"`
}

func (a DPCAdjustment) String() string { return fmt.Sprintf("%s%+d", a.Reason, a.Delta) }

// ParseDPCAdjustment parses REASON or REASON=+N / REASON=-N (N 1 to 3); a
// bare reason moves the score one point its own way.
func ParseDPCAdjustment(s string) (DPCAdjustment, error) {
	name, n, hasN := strings.Cut(strings.TrimSpace(s), "=")
	r, err := parseEnum("dpc-adjust", name, AdjustReasons())
	if err != nil {
		return DPCAdjustment{}, err
	}
	a := DPCAdjustment{Reason: r, Delta: 1}
	if !r.Raises() {
		a.Delta = -1
	}
	if hasN {
		d, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil {
			return DPCAdjustment{}, &FieldError{Field: "dpc-adjust", Value: s, Problem: "write REASON=+N or REASON=-N with N from 1 to 3"}
		}
		a.Delta = d
	}
	if fe := a.check(); fe != nil {
		return DPCAdjustment{}, fe
	}
	return a, nil
}

func (a DPCAdjustment) check() *FieldError {
	if fe := checkEnum("dpc-adjust", a.Reason, AdjustReasons()); fe != nil {
		return fe
	}
	switch {
	case a.Delta == 0 || a.Delta > 3 || a.Delta < -3:
		return &FieldError{Field: "dpc-adjust", Value: a.String(), Problem: "moves the score 1 to 3 points"}
	case a.Reason.Raises() && a.Delta < 0:
		return &FieldError{Field: "dpc-adjust", Value: a.String(), Problem: "raises the score: give +N, or a lowering reason (invalid-data, public-data, reveals-less)"}
	case !a.Reason.Raises() && a.Delta > 0:
		return &FieldError{Field: "dpc-adjust", Value: a.String(), Problem: "lowers the score: give -N, or a raising reason (more-data, controller-nature, vulnerable-people)"}
	}
	return nil
}

// Identification is ENISA's ease of identification (EI): how easily the
// people can be identified from the breached data alone or with data the
// recipients can reasonably get.
type Identification string

// Ease of identification levels.
const (
	EINegligible  Identification = "negligible"  // 0.25
	EILimited     Identification = "limited"     // 0.5
	EISignificant Identification = "significant" // 0.75
	EIMaximum     Identification = "maximum"     // 1
	EIUnknown     Identification = Unknown       // read as maximum
)

// Identifications returns every EI level, in a new slice.
func Identifications() []Identification {
	return []Identification{EINegligible, EILimited, EISignificant, EIMaximum, EIUnknown}
}

// ParseIdentification parses an EI level.
func ParseIdentification(s string) (Identification, error) {
	return parseEnum("identification", s, Identifications())
}

// Confidentiality is the loss of confidentiality (ENISA 2013, CB).
type Confidentiality string

// Confidentiality levels.
const (
	ConfNone              Confidentiality = "none"               // no loss of confidentiality: 0
	ConfExposed           Confidentiality = "exposed"            // exposed to confidentiality risks without evidence of unlawful processing: 0
	ConfKnownRecipients   Confidentiality = "known-recipients"   // disclosed to a number of known recipients: +0.25
	ConfUnknownRecipients Confidentiality = "unknown-recipients" // disclosed to an unknown number of recipients: +0.5
	ConfUnknown           Confidentiality = Unknown              // read as unknown-recipients
)

// Confidentialities returns every confidentiality level, in a new slice.
func Confidentialities() []Confidentiality {
	return []Confidentiality{ConfNone, ConfExposed, ConfKnownRecipients, ConfUnknownRecipients, ConfUnknown}
}

// ParseConfidentiality parses a confidentiality level.
func ParseConfidentiality(s string) (Confidentiality, error) {
	return parseEnum("confidentiality", s, Confidentialities())
}

// Integrity is the loss of integrity (ENISA 2013, CB).
type Integrity string

// Integrity levels.
const (
	IntegNone          Integrity = "none"            // not altered: 0
	IntegRecoverable   Integrity = "recoverable"     // altered, possibly used wrongly, but recoverable: 0
	IntegUnrecoverable Integrity = "not-recoverable" // altered and possibly used wrongly, not recoverable: +0.25
	IntegHarmfulUse    Integrity = "harmful-use"     // altered and used in a way that harms the person: +0.5
	IntegUnknown       Integrity = Unknown           // read as harmful-use
)

// Integrities returns every integrity level, in a new slice.
func Integrities() []Integrity {
	return []Integrity{IntegNone, IntegRecoverable, IntegUnrecoverable, IntegHarmfulUse, IntegUnknown}
}

// ParseIntegrity parses an integrity level.
func ParseIntegrity(s string) (Integrity, error) { return parseEnum("integrity", s, Integrities()) }

// Availability is the loss of availability (ENISA 2013, CB).
type Availability string

// Availability levels.
const (
	AvailNone        Availability = "none"        // no loss: 0
	AvailRecoverable Availability = "recoverable" // recoverable without difficulty: 0
	AvailTemporary   Availability = "temporary"   // temporarily unavailable: +0.25
	AvailPermanent   Availability = "permanent"   // fully unavailable, cannot be recovered from the controller or the people: +0.5
	AvailUnknown     Availability = Unknown       // read as permanent
)

// Availabilities returns every availability level, in a new slice.
func Availabilities() []Availability {
	return []Availability{AvailNone, AvailRecoverable, AvailTemporary, AvailPermanent, AvailUnknown}
}

// ParseAvailability parses an availability level.
func ParseAvailability(s string) (Availability, error) {
	return parseEnum("availability", s, Availabilities())
}

// Intent is whether the breach comes from an intentional act to cause harm
// (ENISA 2013, CB: malicious intent).
type Intent string

// Intent levels.
const (
	IntentNone      Intent = "non-malicious" // error, loss, misconfiguration: 0
	IntentMalicious Intent = "malicious"     // theft, hacking, selling data: +0.5
	IntentUnknown   Intent = Unknown         // read as malicious
)

// Intents returns every intent level, in a new slice.
func Intents() []Intent { return []Intent{IntentNone, IntentMalicious, IntentUnknown} }

// ParseIntent parses an intent.
func ParseIntent(s string) (Intent, error) { return parseEnum("intent", s, Intents()) }

// Unintelligibility is whether the data are unintelligible to whoever got
// them: encrypted or hashed with a state-of-the-art algorithm and a key
// (or secret salt) that is not compromised.
type Unintelligibility string

// Unintelligibility values.
const (
	UnintelligibleYes     Unintelligibility = "yes"
	UnintelligibleNo      Unintelligibility = "no"
	UnintelligibleUnknown Unintelligibility = Unknown // read as no
)

// Unintelligibilities returns every value, in a new slice.
func Unintelligibilities() []Unintelligibility {
	return []Unintelligibility{UnintelligibleYes, UnintelligibleNo, UnintelligibleUnknown}
}

// ParseUnintelligibility parses an unintelligibility value.
func ParseUnintelligibility(s string) (Unintelligibility, error) {
	return parseEnum("unintelligible", s, Unintelligibilities())
}

// Art34FactorExceptions are the Art. 34(3) exceptions the factors record:
// (b) measures since and (c) disproportionate effort. (a) is the
// unintelligible fact, which removes the confidentiality element.
func Art34FactorExceptions() []Art34Exception {
	return []Art34Exception{Art34RiskRemoved, Art34Disproportionate}
}

// ParseArt34FactorException parses an Art. 34(3) exception the factors record.
func ParseArt34FactorException(s string) (Art34Exception, error) {
	return parseEnum("art34-exception", s, Art34FactorExceptions())
}

// ParseCountOrUnknown checks a whole number of zero or more, or "unknown".
func ParseCountOrUnknown(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == Unknown {
		return s, nil
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil || n < 0 {
		return "", &FieldError{Field: field, Value: s, Problem: "write a whole number of zero or more, or unknown"}
	}
	return strconv.FormatInt(n, 10), nil
}

// countOf reads a recorded count: ok false when not recorded; unknown
// true when recorded as unknown.
func countOf(s string) (n int64, unknown, ok bool) {
	switch s {
	case "":
		return 0, false, false
	case Unknown:
		return 0, true, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, false, err == nil
}

// validateENISA checks the graded facts of an event recorded under the
// ENISA method: every value recorded is one of its allowed values; empty
// values are facts not recorded (the advisor cannot advise) and are not
// refused. The first advisor's yes/no fields mean nothing under this
// method and are refused.
func (e RiskFactorsRecorded) validateENISA(fs *fields) {
	for _, d := range e.Data {
		fs.add(checkEnum("data", d, DataCategories()))
	}
	for _, a := range e.DPCAdjustments {
		fs.add(a.check())
	}
	check := func(field, v string, allowed []string) {
		if v != "" {
			fs.add(checkEnum(field, v, allowed))
		}
	}
	check("identification", string(e.Identification), names(Identifications()))
	check("confidentiality", string(e.Confidentiality), names(Confidentialities()))
	check("integrity", string(e.Integrity), names(Integrities()))
	check("availability", string(e.Availability), names(Availabilities()))
	check("intent", string(e.Intent), names(Intents()))
	check("unintelligible", string(e.Unintelligible), names(Unintelligibilities()))
	check("art34-exception", string(e.Art34Exception), names(Art34FactorExceptions()))
	for field, v := range map[string]string{"people": e.People, "exposure-days": e.ExposureDays} {
		if _, _, ok := countOf(v); v != "" && !ok {
			fs.problem(field, v, "a whole number of zero or more, or unknown")
		}
	}
	if e.Encrypted || e.KeyCompromised || e.Exfiltrated || e.SpecialCategories || e.VulnerableSubjects || e.Subjects != 0 ||
		e.RestoreHours != 0 || e.RecipientTrusted || e.DeletionConfirmed || e.FraudPotential {
		fs.problem("method", e.Method, "the yes/no factors of %s mean nothing under %s: record the graded facts (--data, --identification, --confidentiality...)", MethodEDPB2021, e.Method)
	}
}

// validateLegacy refuses graded facts on an event of the first advisor,
// which would not read them.
func (e RiskFactorsRecorded) validateLegacy(fs *fields) {
	if len(e.Data) > 0 || len(e.DPCAdjustments) > 0 || e.Identification != "" || e.Confidentiality != "" || e.Integrity != "" ||
		e.Availability != "" || e.Intent != "" || e.Unintelligible != "" || e.People != "" || e.ExposureDays != "" || e.Art34Exception != "" {
		fs.problem("method", e.Method, "graded facts are read only under %s: record them with that method", MethodENISA2013v1)
	}
}
