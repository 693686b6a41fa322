package projections

import (
	"fmt"
	"strings"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// Short names of event types, as the timeline shows them.
var kindNames = map[string]string{
	"LedgerInitialized":   "ledger initialised",
	"RoleGranted":         "role granted",
	"RoleRevoked":         "role revoked",
	"SettingChanged":      "setting changed",
	"CalendarSet":         "user calendar recorded",
	"IncidentDetected":    "detected",
	"IncidentAssessed":    "assessed",
	"StageChanged":        "stage",
	"IncidentClassified":  "classified",
	"ScopeRecorded":       "scope",
	"RiskDetermined":      "risk",
	"CRSPIDeclared":       "declared CRSPI",
	"ActionTaken":         "action",
	"EvidenceRecorded":    "evidence",
	"RequestOpened":       "request",
	"RequestApproved":     "approved",
	"RequestRejected":     "rejected",
	"NotificationSent":    "notified",
	"PostmortemCompleted": "post-mortem",
	"IncidentClosed":      "closed",
	"IncidentReopened":    "reopened",
	"NoteAdded":           "note",
	"EventCorrected":      "correction",
	"DataShredded":        "personal data forgotten",
	// Signer registry and signature policy.
	"SignerRegistered":   "signer registered",
	"SignerRevoked":      "signer revoked",
	"SignaturePolicySet": "signature policy",
	// Regulatory facts.
	"EntityProfiled":          "profile",
	"AffectedRecorded":        "affected",
	"DeterminationMade":       "determination",
	"AcknowledgementReceived": "acknowledged",
	"HoldRecorded":            "hold",
	"HoldReleased":            "hold released",
	"RiskFactorsRecorded":     "risk factors",
	"PackPinned":              "rule pack",
	// API tokens.
	"APITokenIssued":  "API token issued",
	"APITokenRevoked": "API token revoked",
	// Witnesses.
	"WitnessAdded":   "witness added",
	"WitnessRemoved": "witness removed",
	// Custody of the log.
	"ForeignEventRejected": "foreign record rejected",
	"LegacyTailAccepted":   "legacy tail accepted",
	"NotaryAppointed":      "notary appointed",
}

// Kind returns the short name of a stored event type.
func Kind(typ string) string {
	if k, ok := kindNames[typ]; ok {
		return k
	}
	return typ
}

// Describe returns a one-line, human account of an event, with why it was
// recorded late when it says so (domain rule late-entry-needs-reason).
func Describe(e domain.Event) string {
	s := describe(e)
	if r := domain.LateEntryReason(e); r != "" {
		s = joinDescribed(s, "late entry: "+r)
	}
	return s
}

func joinDescribed(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func describe(e domain.Event) string {
	switch e := e.(type) {
	case domain.LedgerInitialized:
		s := fmt.Sprintf("named %q; %s is its first admin", e.Name, e.Admin)
		if e.Signed {
			s += "; signed mode: every event is signed by its author's registered key"
		}
		return s
	case domain.RoleGranted:
		return withReason(fmt.Sprintf("%s granted %s", e.Actor, e.Role), e.Reason)
	case domain.RoleRevoked:
		return withReason(fmt.Sprintf("%s revoked %s", e.Actor, e.Role), e.Reason)
	case domain.SettingChanged:
		return fmt.Sprintf("%s = %s", e.Key, e.Value)
	case domain.CalendarSet:
		n := 0
		if cs, err := domain.ParseClosures(e.Text); err == nil {
			n = len(cs)
		}
		return withReason(fmt.Sprintf("user calendar: %d closing day(s)", n), e.Reason)
	case domain.IncidentDetected:
		s := fmt.Sprintf("%s via %s; aware %s; acting as %s", e.Summary, e.Source, stamp(e.AwareAt), e.Role)
		if e.Reference != "" {
			s += "; ref " + e.Reference
		}
		if e.AwareReason != "" {
			s += "; aware before detected: " + e.AwareReason
		}
		return s
	case domain.IncidentAssessed:
		s := fmt.Sprintf("functional %s, recoverability %s, information %s → %s/%s", e.FunctionalImpact, e.Recoverability, e.InformationImpact, e.Severity, e.Priority)
		if e.Severity != e.DerivedSeverity || e.Priority != e.DerivedPriority {
			s += fmt.Sprintf(" (derived %s/%s, overridden: %s)", e.DerivedSeverity, e.DerivedPriority, e.OverrideReason)
		}
		if e.Escalated {
			s += "; escalated to security response"
		}
		return s
	case domain.StageChanged:
		return withReason(fmt.Sprintf("%s → %s", e.From.Title(), e.To.Title()), e.Reason)
	case domain.IncidentClassified:
		s := string(e.Classification)
		if e.RootCause != "" {
			s += "; root cause: " + e.RootCause
		}
		return withReason(s, e.Reason)
	case domain.ScopeRecorded:
		return describeScope(e)
	case domain.RiskDetermined:
		s := fmt.Sprintf("%s: %s", e.Level, e.Reasoning)
		if e.Art34Exception != domain.Art34None {
			s += fmt.Sprintf(" (%s exception)", e.Art34Exception.Citation())
		}
		return s
	case domain.CRSPIDeclared:
		return fmt.Sprintf("basis %s: %s", e.Basis, e.Reasoning)
	case domain.ActionTaken:
		s := fmt.Sprintf("%s: %s", e.Kind, e.Description)
		if len(e.Systems) > 0 {
			s += " (" + strings.Join(e.Systems, ", ") + ")"
		}
		return s
	case domain.EvidenceRecorded:
		s := fmt.Sprintf("%s sha256:%s", e.Description, e.SHA256)
		if e.Location != "" {
			s += " at " + e.Location
		}
		return s
	case domain.RequestOpened:
		switch e.Kind {
		case domain.RequestNotificationDelay:
			who := "every customer"
			if len(e.Customers) > 0 {
				who = strings.Join(e.Customers, ", ")
			}
			return fmt.Sprintf("%s %s (%s) for %s until %s: %s", e.Request, e.Kind, e.DelayReason, who, stamp(e.Until), e.Details)
		default:
			return fmt.Sprintf("%s %s to %s: %s", e.Request, e.Kind, e.Destination, e.Details)
		}
	case domain.RequestApproved:
		return withReason(fmt.Sprintf("%s as %s", e.Request, e.As), e.Comment)
	case domain.RequestRejected:
		return withReason(fmt.Sprintf("%s as %s", e.Request, e.As), e.Reason)
	case domain.NotificationSent:
		return describeNotice(e)
	case domain.PostmortemCompleted:
		return fmt.Sprintf("%s (document at %s, sha256:%s)", e.Summary, e.Location, e.SHA256)
	case domain.IncidentClosed:
		if len(e.OpenObligations) > 0 {
			return joinDescribed(e.Summary, fmt.Sprintf("closed with %s open: %s", strings.Join(e.OpenObligations, ", "), e.OpenObligationsReason))
		}
		return e.Summary
	case domain.IncidentReopened:
		return fmt.Sprintf("at %s: %s", e.Stage.Title(), e.Reason)
	case domain.NoteAdded:
		return e.Text
	case domain.DataShredded:
		what := "the incident's personal fields"
		if e.Event != "" {
			what = "the personal fields of event " + e.Event
		}
		return fmt.Sprintf("%s (%s; %s, %s): %s", what, e.Basis, countOf(len(e.KeyIDs), "key", "keys"), countOf(len(e.Events), "event", "events"), e.Reason)
	case domain.EventCorrected:
		return fmt.Sprintf("corrects %s %s (%s): %s", Kind(e.TargetType), e.Target, strings.Join(e.Changed, ", "), e.Reason)
	case domain.SignerRegistered:
		return withReason(fmt.Sprintf("%s signs with %s", e.Actor, e.Fingerprint), e.Reason)
	case domain.SignerRevoked:
		return withReason(fmt.Sprintf("%s's key %s revoked", e.Actor, e.Fingerprint), e.Reason)
	case domain.SignaturePolicySet:
		req := "none"
		if len(e.Required) > 0 {
			req = strings.Join(e.Required, ", ")
		}
		if e.All {
			return withReason("signed mode from here on, for good: every event must be signed by its author's registered key", e.Reason)
		}
		return withReason("signatures required for: "+req, e.Reason)
	case domain.APITokenIssued:
		s := fmt.Sprintf("%s %q (sha256:%s…)", e.Token, e.Name, e.SHA256[:min(12, len(e.SHA256))])
		if !e.ExpiresAt.IsZero() {
			s += " until " + stamp(e.ExpiresAt)
		}
		return withReason(s, e.Reason)
	case domain.APITokenRevoked:
		return withReason(e.Token+" revoked", e.Reason)
	case domain.WitnessAdded:
		return withReason(fmt.Sprintf("checkpoints go to witness %s (key hash %s) at %s/add-checkpoint", domain.WitnessName(e.Key), witnessKeyHash(e.Key), e.URL), e.Reason)
	case domain.WitnessRemoved:
		return withReason(fmt.Sprintf("checkpoints no longer go to witness %s (key hash %s)", domain.WitnessName(e.Key), witnessKeyHash(e.Key)), e.Reason)
	case domain.ForeignEventRejected:
		if e.Rule != "" {
			return withReason(fmt.Sprintf("the record at sequence %d (event %s, %q in %q) never counts: the notary found that its append breaks rule %s", e.Seq, e.EventID, e.Type, e.Stream, e.Rule), e.Reason)
		}
		return withReason(fmt.Sprintf("the record at sequence %d (event %s, claiming %q in %q) never counts: it was written around breachledger", e.Seq, e.EventID, e.Type, e.Stream), e.Reason)
	case domain.LegacyTailAccepted:
		return withReason(fmt.Sprintf("the records at sequences %d to %d, left without a checkpoint by an older breachledger, were accepted as genuine", e.From, e.To), e.Reason)
	case domain.NotaryAppointed:
		return withReason(fmt.Sprintf("%s is the ledger's notary from here on: it alone holds the ledger key (%s), re-decides every append and checkpoints what the rules accept; the key before signed the hand-over", e.Actor, e.LedgerKey), e.Reason)
	}
	if s, ok := describeRegulatory(e); ok {
		return s
	}
	return fmt.Sprintf("%T", e)
}

func describeScope(e domain.ScopeRecorded) string {
	var parts []string
	add := func(label string, xs []string) {
		if len(xs) > 0 {
			parts = append(parts, label+" "+strings.Join(xs, ", "))
		}
	}
	add("customers", e.Customers)
	add("data", e.DataCategories)
	add("subjects", e.SubjectCategories)
	add("jurisdictions", e.Jurisdictions)
	if e.Subjects > 0 {
		parts = append(parts, fmt.Sprintf("~%d subjects", e.Subjects))
	}
	if e.Records > 0 {
		parts = append(parts, fmt.Sprintf("~%d records", e.Records))
	}
	if len(parts) == 0 {
		return "empty"
	}
	return strings.Join(parts, "; ")
}

func describeNotice(e domain.NotificationSent) string {
	to := string(e.RecipientKind)
	if e.Customer != "" {
		to += " of " + e.Customer
	}
	s := fmt.Sprintf("%s %s (%s) via %s", e.Phase, to, e.Recipient, e.Channel)
	if e.NoSecurityContact {
		s += "; no security contact configured"
	}
	if len(e.Art33Items) > 0 {
		items := make([]string, len(e.Art33Items))
		for i, it := range e.Art33Items {
			items[i] = string(it)
		}
		s += "; Art. 33(3): " + strings.Join(items, ", ")
	}
	if e.DelayReason != "" {
		s += "; delay reason: " + e.DelayReason
	}
	return s
}

// DescribeCorrection says who corrected a value, and whether they signed
// the correction: "at corrected by bob (unsigned) at T in event E: why".
// Every view that shows a corrected value says it, so that a corrected time
// is never read as the original author's act. It returns "" for nil.
func DescribeCorrection(c *domain.Correction) string {
	if c == nil {
		return ""
	}
	how := signedWith(c.Signed, c.Signer)
	what := strings.Join(c.Changed, ", ")
	if what == "" {
		what = "the event"
	}
	return withReason(fmt.Sprintf("%s corrected by %s (%s) at %s in event %s", what, c.Actor, how, stamp(c.At), c.EventID), c.Reason)
}

// signedWith says how a correction was made: "signed with KEY" or
// "unsigned".
func signedWith(signed bool, signer string) string {
	if signed {
		return "signed with " + signer
	}
	return "unsigned"
}

// correctedSuffix is what a row showing an entry adds when the entry's
// value was corrected: who corrected it, signed or not, and when the fact
// was first dated.
func correctedSuffix(r domain.Ref) string {
	if r.Corrected == nil {
		return ""
	}
	return fmt.Sprintf(" [%s; first recorded by %s at %s]", DescribeCorrection(r.Corrected), r.Actor, stamp(r.Corrected.OriginalAt))
}

// witnessKeyHash is the HASH of a NAME+HASH+BASE64 key (what tells two
// keys of one name apart), or "?".
func witnessKeyHash(vkey string) string {
	_, rest, _ := strings.Cut(vkey, "+")
	if hash, _, ok := strings.Cut(rest, "+"); ok && hash != "" {
		return hash
	}
	return "?"
}

func withReason(s, reason string) string {
	if reason == "" {
		return s
	}
	return s + " — " + reason
}

// stamp formats an instant as RFC 3339 in UTC, with fractions only when present.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// countOf says n of a thing, in the singular for one.
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
