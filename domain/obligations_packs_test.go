package domain_test

import (
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// regulated starts an incident under the current pack: detected and aware
// at aware, acting as role, with personal data involved when role is a
// controller or processor of it.
func regulated(t *testing.T, role domain.DataRole, aware string, p domain.EntityProfiled) *history {
	t.Helper()
	h := newHistory(t)
	h.add("oscar", aware, domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "regulated", AwareAt: ts(t, aware), Role: role})
	h.add("oscar", aware, domain.PackPinned{Version: domain.CurrentPack().Version, Reason: "test"})
	h.add("oscar", aware, domain.IncidentAssessed{FunctionalImpact: domain.FunctionalHigh, Recoverability: domain.RecoverExtended, InformationImpact: domain.InfoPrivacy,
		DerivedSeverity: domain.SeverityCritical, DerivedPriority: domain.P1, Severity: domain.SeverityCritical, Priority: domain.P1})
	h.add("ivy", aware, p)
	return h
}

func (h *history) determine(at string, k domain.DeterminationKind, positive bool) string {
	return h.add("ivy", at, domain.DeterminationMade{Kind: k, Positive: positive, Reasoning: "test: " + string(k)})
}

func (h *history) affected(at string, counts ...domain.AffectedCount) {
	h.add("sam", at, domain.AffectedRecorded{Counts: counts})
}

func (h *history) notice(at string, n domain.NotificationSent) string {
	if n.Channel == "" {
		n.Channel = domain.ChannelPortal
	}
	if n.Phase == "" {
		n.Phase = domain.PhaseInitial
	}
	if n.Recipient == "" {
		n.Recipient = "authority"
	}
	return h.add("ian", at, n)
}

// obligationsAt evaluates every obligation as of asOf, everything known.
func (h *history) obligationsAt(asOf string) []domain.Obligation {
	h.tb.Helper()
	at := ts(h.tb, asOf)
	inc := h.at(domain.Cut{AsOf: at})
	return domain.Obligations(&inc, domain.DefaultSettings(), at)
}

func count(j string, n int64) domain.AffectedCount {
	return domain.AffectedCount{Jurisdiction: j, Count: n}
}

func types(ts ...domain.EntityType) domain.EntityProfiled {
	return domain.EntityProfiled{EntityTypes: ts}
}

func inDE(ts ...domain.EntityType) domain.EntityProfiled {
	return domain.EntityProfiled{Establishments: []string{"DE"}, EntityTypes: ts}
}

// TestEveryShippedObligation: one or more cases for every rule of the
// current pack, each with its citation and a due time worked out by hand
// (in the comment), crossing weekends, public holidays, month ends, clock
// changes and year ends.
func TestEveryShippedObligation(t *testing.T) {
	ctrl, proc := domain.RoleController, domain.RoleProcessor
	tests := []struct {
		name       string
		obligation string
		citation   string
		build      func(h *history)
		role       domain.DataRole
		aware      string
		profile    domain.EntityProfiled
		asOf       string
		due        string // UTC
		local      string // in the calendar's zone ("" to skip)
		status     domain.Status
		rolled     bool
	}{
		// GDPR Art. 33(1): 72 clock hours, weekends and clock changes included.
		{name: "GDPR Art. 33 across the spring clock change (lead SA in DE)", obligation: "gdpr-art33", citation: "GDPR Art. 33(1)",
			role: ctrl, aware: "2025-03-28T12:00:00Z", profile: domain.EntityProfiled{Establishments: []string{"DE"}},
			// Fri 13:00 CET + 72 h = Mon 2025-03-31T12:00Z, 14:00 CEST (clocks went forward on the Sunday)
			asOf: "2025-03-29T00:00:00Z", due: "2025-03-31T12:00:00Z", local: "2025-03-31T14:00:00+02:00", status: domain.StatusPending},
		{name: "GDPR Art. 33 per SA, controller outside the EEA: DE", obligation: "gdpr-art33/DE", citation: "GDPR Art. 33(1)",
			role: ctrl, aware: "2025-03-07T22:15:00Z", profile: domain.EntityProfiled{Establishments: []string{"US"}},
			build: func(h *history) {
				h.affected("2025-03-08T10:00:00Z", count("DE", 800), count("FR", 400), count("US-CA", 620))
			},
			// Fri 22:15Z + 72 h = Mon 2025-03-10T22:15Z (23:15 CET)
			asOf: "2025-03-09T00:00:00Z", due: "2025-03-10T22:15:00Z", local: "2025-03-10T23:15:00+01:00", status: domain.StatusPending},
		{name: "GDPR Art. 33 per SA, controller outside the EEA: FR", obligation: "gdpr-art33/FR", citation: "GDPR Art. 33(1)",
			role: ctrl, aware: "2025-03-07T22:15:00Z", profile: domain.EntityProfiled{Establishments: []string{"US"}},
			build: func(h *history) { h.affected("2025-03-08T10:00:00Z", count("DE", 800), count("FR", 400)) },
			asOf:  "2025-03-09T23:00:00Z", due: "2025-03-10T22:15:00Z", local: "2025-03-10T23:15:00+01:00", status: domain.StatusDueSoon},
		{name: "GDPR Art. 34 high risk, organisational target", obligation: "gdpr-art34", citation: "GDPR Art. 34(1)",
			role: ctrl, aware: "2025-03-07T22:15:00Z",
			build: func(h *history) {
				h.add("ivy", "2025-03-08T15:00:00Z", domain.RiskDetermined{Level: domain.RiskHigh, Reasoning: "contact data"})
			},
			// high risk 2025-03-08T15:00Z + art34-target 72 h
			asOf: "2025-03-09T00:00:00Z", due: "2025-03-11T15:00:00Z", status: domain.StatusPending},
		{name: "GDPR Art. 33(2) processor to controller", obligation: "gdpr-art33-2/acme-bank", citation: "GDPR Art. 33(2)",
			role: proc, aware: "2025-03-07T22:15:00Z", profile: domain.EntityProfiled{Controllers: []string{"acme-bank"}},
			// awareness + the 48 h target
			asOf: "2025-03-08T00:00:00Z", due: "2025-03-09T22:15:00Z", status: domain.StatusPending},
		{name: "UK GDPR Art. 33 to the ICO", obligation: "uk-gdpr-art33", citation: "UK GDPR Art. 33(1); DPA 2018",
			role: ctrl, aware: "2025-10-24T16:00:00Z",
			build: func(h *history) { h.affected("2025-10-24T17:00:00Z", count("GB", 5000)) },
			// Fri 17:00 BST + 72 h = Mon 2025-10-27T16:00Z, 16:00 GMT after the autumn change
			asOf: "2025-10-25T00:00:00Z", due: "2025-10-27T16:00:00Z", local: "2025-10-27T16:00:00Z", status: domain.StatusPending},
		{name: "UK GDPR Art. 34", obligation: "uk-gdpr-art34", citation: "UK GDPR Art. 34(1)",
			role: ctrl, aware: "2025-10-24T16:00:00Z",
			build: func(h *history) {
				h.affected("2025-10-24T17:00:00Z", count("GB", 5000))
				h.add("ivy", "2025-10-25T09:00:00Z", domain.RiskDetermined{Level: domain.RiskHigh, Reasoning: "passwords"})
			},
			asOf: "2025-10-25T10:00:00Z", due: "2025-10-28T09:00:00Z", local: "2025-10-28T09:00:00Z", status: domain.StatusPending},

		// NIS2 Art. 23(4): 24 h and 72 h in clock hours, never rolled over.
		{name: "NIS2 early warning (acceptance), due on a Saturday", obligation: "nis2-early-warning", citation: "NIS2 Directive (EU) 2022/2555 Art. 23(4)(a)",
			aware: "2025-05-30T18:00:00Z", profile: inDE(domain.EntityNIS2Essential),
			build: func(h *history) { h.determine("2025-05-30T20:00:00Z", domain.DetNIS2Significant, true) },
			// aware Fri 2025-05-30T18:00Z + 24 h = Sat 2025-05-31T18:00Z: hours do not roll over
			asOf: "2025-05-31T00:00:00Z", due: "2025-05-31T18:00:00Z", local: "2025-05-31T20:00:00+02:00", status: domain.StatusDueSoon},
		{name: "NIS2 incident notification (acceptance)", obligation: "nis2-notification", citation: "NIS2 Directive (EU) 2022/2555 Art. 23(4)(b)",
			aware: "2025-05-30T18:00:00Z", profile: inDE(domain.EntityNIS2Important),
			build: func(h *history) { h.determine("2025-05-30T20:00:00Z", domain.DetNIS2Significant, true) },
			// + 72 h = Mon 2025-06-02T18:00Z
			asOf: "2025-05-31T00:00:00Z", due: "2025-06-02T18:00:00Z", local: "2025-06-02T20:00:00+02:00", status: domain.StatusPending},
		{name: "NIS2 trust service provider: notification within 24 h", obligation: "nis2-notification-tsp", citation: "NIS2 Directive (EU) 2022/2555 Art. 23(4)",
			aware: "2025-05-30T18:00:00Z", profile: inDE(domain.EntityTrustService, domain.EntityNIS2Essential),
			build: func(h *history) { h.determine("2025-05-30T20:00:00Z", domain.DetNIS2Significant, true) },
			asOf:  "2025-05-31T00:00:00Z", due: "2025-05-31T18:00:00Z", status: domain.StatusDueSoon},
		{name: "NIS2 final report: one month, at a month end", obligation: "nis2-final", citation: "NIS2 Directive (EU) 2022/2555 Art. 23(4)(d)",
			aware: "2025-01-30T12:00:00Z", profile: inDE(domain.EntityNIS2Essential),
			build: func(h *history) {
				h.determine("2025-01-30T13:00:00Z", domain.DetNIS2Significant, true)
				h.notice("2025-01-31T10:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Recipient: "BSI", Jurisdiction: "DE", Phase: domain.PhaseNotification})
			},
			// notification 2025-01-31 + 1 month: no 31 February, so the last day, 2025-02-28, end of day in Berlin
			asOf: "2025-02-01T00:00:00Z", due: "2025-02-28T22:59:59Z", local: "2025-02-28T23:59:59+01:00", status: domain.StatusPending},
		{name: "NIS2 final report in a leap year", obligation: "nis2-final", citation: "NIS2 Directive (EU) 2022/2555 Art. 23(4)(d)",
			aware: "2024-01-30T12:00:00Z", profile: inDE(domain.EntityNIS2Essential),
			build: func(h *history) {
				h.determine("2024-01-30T13:00:00Z", domain.DetNIS2Significant, true)
				h.notice("2024-01-31T10:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Recipient: "BSI", Jurisdiction: "DE", Phase: domain.PhaseNotification})
			},
			asOf: "2024-02-01T00:00:00Z", due: "2024-02-29T22:59:59Z", local: "2024-02-29T23:59:59+01:00", status: domain.StatusPending},

		// DORA, Delegated Reg. 2025/301 Art. 5.
		{name: "DORA initial (acceptance): 4 h after classification", obligation: "dora-initial", citation: "DORA Reg. (EU) 2022/2554 Art. 19(4)(a); Delegated Reg. (EU) 2025/301 Art. 5(1)(a)",
			aware: "2025-09-01T06:00:00Z", profile: inDE(domain.EntityFinancial),
			build: func(h *history) { h.determine("2025-09-01T09:00:00Z", domain.DetDORAMajor, true) },
			// min(09:00 + 4 h, 06:00 + 24 h) = 13:00Z
			asOf: "2025-09-01T10:00:00Z", due: "2025-09-01T13:00:00Z", local: "2025-09-01T15:00:00+02:00", status: domain.StatusDueSoon},
		{name: "DORA initial: the 24 h limb after awareness comes first", obligation: "dora-initial", citation: "DORA Reg. (EU) 2022/2554 Art. 19(4)(a); Delegated Reg. (EU) 2025/301 Art. 5(1)(a)",
			aware: "2025-09-01T06:00:00Z", profile: inDE(domain.EntityFinancial),
			build: func(h *history) { h.determine("2025-09-02T04:00:00Z", domain.DetDORAMajor, true) },
			// min(04:00 + 4 h, 06:00 + 24 h) = 2025-09-02T06:00Z
			asOf: "2025-09-02T05:00:00Z", due: "2025-09-02T06:00:00Z", status: domain.StatusDueSoon},
		{name: "DORA initial on a Saturday rolls to noon Monday", obligation: "dora-initial", citation: "DORA Reg. (EU) 2022/2554 Art. 19(4)(a); Delegated Reg. (EU) 2025/301 Art. 5(1)(a)",
			aware: "2025-09-06T07:00:00Z", profile: inDE(domain.EntityFinancial),
			build: func(h *history) { h.determine("2025-09-06T08:00:00Z", domain.DetDORAMajor, true) },
			// Sat 08:00Z + 4 h = Sat 12:00Z (14:00 in Berlin) → noon of Mon 2025-09-08 in Berlin = 10:00Z
			asOf: "2025-09-06T09:00:00Z", due: "2025-09-08T10:00:00Z", local: "2025-09-08T12:00:00+02:00", status: domain.StatusPending, rolled: true},
		{name: "DORA initial: no roll-over for a credit institution (Art. 5(5))", obligation: "dora-initial", citation: "DORA Reg. (EU) 2022/2554 Art. 19(4)(a); Delegated Reg. (EU) 2025/301 Art. 5(1)(a)",
			aware: "2025-09-06T07:00:00Z", profile: inDE(domain.EntityFinancial, domain.EntityCreditInstitution),
			build: func(h *history) { h.determine("2025-09-06T08:00:00Z", domain.DetDORAMajor, true) },
			asOf:  "2025-09-06T09:00:00Z", due: "2025-09-06T12:00:00Z", status: domain.StatusDueSoon},
		{name: "DORA initial: no roll-over for a NIS2 entity (Art. 5(5))", obligation: "dora-initial", citation: "DORA Reg. (EU) 2022/2554 Art. 19(4)(a); Delegated Reg. (EU) 2025/301 Art. 5(1)(a)",
			aware: "2025-09-06T07:00:00Z", profile: inDE(domain.EntityFinancial, domain.EntityNIS2Important),
			build: func(h *history) { h.determine("2025-09-06T08:00:00Z", domain.DetDORAMajor, true) },
			asOf:  "2025-09-06T09:00:00Z", due: "2025-09-06T12:00:00Z", status: domain.StatusDueSoon},
		{name: "DORA intermediate: 72 h after the initial, across the autumn clock change", obligation: "dora-intermediate", citation: "Delegated Reg. (EU) 2025/301 Art. 5(1)(b)",
			aware: "2025-10-24T06:00:00Z", profile: inDE(domain.EntityFinancial),
			build: func(h *history) {
				h.determine("2025-10-24T07:00:00Z", domain.DetDORAMajor, true)
				h.notice("2025-10-24T09:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Recipient: "BaFin", Jurisdiction: "DE", Obligations: []string{"dora-initial"}})
			},
			// Fri 09:00Z (11:00 CEST) + 72 h = Mon 2025-10-27T09:00Z, 10:00 CET
			asOf: "2025-10-24T10:00:00Z", due: "2025-10-27T09:00:00Z", local: "2025-10-27T10:00:00+01:00", status: domain.StatusPending},
		{name: "DORA final: a month after the latest intermediate, rolled over a public holiday even for a credit institution", obligation: "dora-final", citation: "Delegated Reg. (EU) 2025/301 Art. 5(1)(c)",
			aware: "2025-08-25T06:00:00Z", profile: inDE(domain.EntityFinancial, domain.EntityCreditInstitution),
			build: func(h *history) {
				h.determine("2025-08-25T07:00:00Z", domain.DetDORAMajor, true)
				h.notice("2025-08-25T09:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Recipient: "BaFin", Jurisdiction: "DE", Obligations: []string{"dora-initial"}})
				h.notice("2025-08-28T10:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Recipient: "BaFin", Jurisdiction: "DE", Phase: domain.PhaseIntermediate, Obligations: []string{"dora-intermediate"}})
				h.notice("2025-09-03T10:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Recipient: "BaFin", Jurisdiction: "DE", Phase: domain.PhaseIntermediate, Obligations: []string{"dora-intermediate"}})
			},
			// latest intermediate 2025-09-03T10:00Z (12:00 CEST) + 1 month = Fri 2025-10-03 12:00, Tag der Deutschen Einheit
			// → noon of the next working day, Mon 2025-10-06 = 10:00Z
			asOf: "2025-09-04T00:00:00Z", due: "2025-10-06T10:00:00Z", local: "2025-10-06T12:00:00+02:00", status: domain.StatusPending, rolled: true},

		// SEC Form 8-K Item 1.05: four business days on the US federal calendar.
		{name: "SEC 8-K (acceptance): over Independence Day", obligation: "sec-8k-1.05", citation: "SEC Form 8-K Item 1.05; General Instruction B.1 (Release 33-11216)",
			aware: "2025-06-30T12:00:00Z", profile: types(domain.EntitySECRegistrant),
			build: func(h *history) { h.determine("2025-07-02T19:00:00Z", domain.DetSECMaterial, true) },
			// Wed 07-02: Thu 3 (1), Fri 4 holiday, Mon 7 (2), Tue 8 (3), Wed 9 (4) → end of Wed 2025-07-09 in New York
			asOf: "2025-07-03T00:00:00Z", due: "2025-07-10T03:59:59Z", local: "2025-07-09T23:59:59-04:00", status: domain.StatusPending},
		{name: "SEC 8-K over Thanksgiving", obligation: "sec-8k-1.05", citation: "SEC Form 8-K Item 1.05; General Instruction B.1 (Release 33-11216)",
			aware: "2025-11-20T12:00:00Z", profile: types(domain.EntitySECRegistrant),
			build: func(h *history) { h.determine("2025-11-25T15:00:00Z", domain.DetSECMaterial, true) },
			// Tue 11-25: Wed 26 (1), Thu 27 Thanksgiving, Fri 28 (2), Mon 12-01 (3), Tue 12-02 (4)
			asOf: "2025-11-26T00:00:00Z", due: "2025-12-03T04:59:59Z", local: "2025-12-02T23:59:59-05:00", status: domain.StatusPending},
		{name: "SEC 8-K over the year end", obligation: "sec-8k-1.05", citation: "SEC Form 8-K Item 1.05; General Instruction B.1 (Release 33-11216)",
			aware: "2025-12-22T12:00:00Z", profile: types(domain.EntitySECRegistrant),
			build: func(h *history) { h.determine("2025-12-29T15:00:00Z", domain.DetSECMaterial, true) },
			// Mon 12-29: Tue 30 (1), Wed 31 (2), Thu 01-01 New Year's Day, Fri 2 (3), Mon 5 (4)
			asOf: "2025-12-30T00:00:00Z", due: "2026-01-06T04:59:59Z", local: "2026-01-05T23:59:59-05:00", status: domain.StatusPending},
		{name: "SEC 8-K/A after information becomes available", obligation: "sec-8k-a/1", citation: "SEC Form 8-K Item 1.05, Instruction 2",
			aware: "2025-06-30T12:00:00Z", profile: types(domain.EntitySECRegistrant),
			build: func(h *history) {
				h.determine("2025-07-02T19:00:00Z", domain.DetSECMaterial, true)
				h.determine("2025-08-04T14:00:00Z", domain.DetSECInfoAvailable, true)
			},
			// Mon 08-04: Tue 5, Wed 6, Thu 7, Fri 8 → end of 2025-08-08 in New York
			asOf: "2025-08-05T00:00:00Z", due: "2025-08-09T03:59:59Z", local: "2025-08-08T23:59:59-04:00", status: domain.StatusPending},

		// HIPAA, 45 CFR 164.404–164.410: 60 calendar days.
		{name: "HIPAA individuals (acceptance): over the year end", obligation: "hipaa-individuals", citation: "45 CFR 164.404(b)",
			aware: "2025-11-05T15:00:00Z", profile: types(domain.EntityHIPAACovered),
			build: func(h *history) { h.determine("2025-11-05T15:00:00Z", domain.DetDiscovery, true) },
			// discovery 2025-11-05 + 60 days = 2026-01-04, end of day in New York (EST)
			asOf: "2025-11-06T00:00:00Z", due: "2026-01-05T04:59:59Z", local: "2026-01-04T23:59:59-05:00", status: domain.StatusPending},
		{name: "HIPAA HHS with the individual notices at 500 or more", obligation: "hipaa-hhs", citation: "45 CFR 164.408(b)",
			aware: "2025-11-05T15:00:00Z", profile: types(domain.EntityHIPAACovered),
			build: func(h *history) {
				h.determine("2025-11-05T15:00:00Z", domain.DetDiscovery, true)
				h.affected("2025-11-06T15:00:00Z", count("US-CA", 620), count("US-NY", 90))
			},
			asOf: "2025-11-07T00:00:00Z", due: "2026-01-05T04:59:59Z", status: domain.StatusPending},
		{name: "HIPAA media: more than 500 residents of a State", obligation: "hipaa-media/US-CA", citation: "45 CFR 164.406",
			aware: "2025-11-05T15:00:00Z", profile: types(domain.EntityHIPAACovered),
			build: func(h *history) {
				h.determine("2025-11-05T15:00:00Z", domain.DetDiscovery, true)
				h.affected("2025-11-06T15:00:00Z", count("US-CA", 620), count("US-NY", 90))
			},
			asOf: "2025-11-07T00:00:00Z", due: "2026-01-05T04:59:59Z", status: domain.StatusPending},
		{name: "HIPAA HHS annual log under 500: 60 days after the year end", obligation: "hipaa-hhs-annual", citation: "45 CFR 164.408(c)",
			aware: "2025-06-10T15:00:00Z", profile: types(domain.EntityHIPAACovered),
			build: func(h *history) {
				h.determine("2025-06-10T15:00:00Z", domain.DetDiscovery, true)
				h.affected("2025-06-11T15:00:00Z", count("US-TX", 120))
			},
			// end of 2025 + 60 days: 31 in January, 28 in February, 1 in March → 2026-03-01
			asOf: "2025-06-12T00:00:00Z", due: "2026-03-02T04:59:59Z", local: "2026-03-01T23:59:59-05:00", status: domain.StatusPending},
		{name: "HIPAA business associate to covered entity", obligation: "hipaa-ba", citation: "45 CFR 164.410",
			aware: "2025-11-05T15:00:00Z", profile: types(domain.EntityHIPAABusinessAssoc),
			build: func(h *history) { h.determine("2025-11-05T15:00:00Z", domain.DetDiscovery, true) },
			asOf:  "2025-11-06T00:00:00Z", due: "2026-01-05T04:59:59Z", status: domain.StatusPending},

		// US states and NYDFS.
		{name: "California: 30 days, across the spring clock change", obligation: "ca-residents", citation: "Cal. Civ. Code 1798.82(a), as amended by SB 446",
			aware: "2026-02-20T18:00:00Z",
			build: func(h *history) {
				h.determine("2026-02-20T18:00:00Z", domain.DetDiscovery, true)
				h.affected("2026-02-21T18:00:00Z", count("US-CA", 620))
			},
			// 2026-02-20 + 30 = 2026-03-22, end of day in Los Angeles, PDT since 03-08
			asOf: "2026-02-22T00:00:00Z", due: "2026-03-23T06:59:59Z", local: "2026-03-22T23:59:59-07:00", status: domain.StatusPending},
		{name: "California Attorney General: 15 days after notifying more than 500 residents", obligation: "ca-ag", citation: "Cal. Civ. Code 1798.82(f), as amended by SB 446",
			aware: "2026-02-20T18:00:00Z",
			build: func(h *history) {
				h.determine("2026-02-20T18:00:00Z", domain.DetDiscovery, true)
				h.affected("2026-02-21T18:00:00Z", count("US-CA", 620))
				h.notice("2026-03-10T17:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientDataSubjects, Recipient: "620 California residents", Obligations: []string{"ca-residents"}})
			},
			// 2026-03-10 + 15 = 2026-03-25, end of day PDT
			asOf: "2026-03-11T00:00:00Z", due: "2026-03-26T06:59:59Z", local: "2026-03-25T23:59:59-07:00", status: domain.StatusPending},
		{name: "NYDFS: 72 h after the determination, over the year end", obligation: "nydfs-500.17", citation: "23 NYCRR 500.17(a)",
			aware: "2025-12-31T12:00:00Z", profile: types(domain.EntityNYDFSCovered),
			build: func(h *history) { h.determine("2025-12-31T20:00:00Z", domain.DetNYDFSReportable, true) },
			asOf:  "2026-01-01T00:00:00Z", due: "2026-01-03T20:00:00Z", local: "2026-01-03T15:00:00-05:00", status: domain.StatusPending},

		// Brazil: dias úteis on the Brazilian calendar.
		{name: "Brazil ANPD: 3 working days over Good Friday and Tiradentes", obligation: "br-anpd", citation: "LGPD Art. 48; Resolução CD/ANPD nº 15/2024 Art. 6",
			role: ctrl, aware: "2025-04-17T12:00:00Z",
			build: func(h *history) {
				h.affected("2025-04-17T12:00:00Z", count("BR", 300))
				h.determine("2025-04-17T13:00:00Z", domain.DetBRPersonalData, true)
			},
			// Thu 04-17: Fri 18 Good Friday, Mon 21 Tiradentes, Tue 22 (1), Wed 23 (2), Thu 24 (3)
			asOf: "2025-04-18T00:00:00Z", due: "2025-04-25T02:59:59Z", local: "2025-04-24T23:59:59-03:00", status: domain.StatusPending},
		{name: "Brazil data subjects: 3 working days", obligation: "br-data-subjects", citation: "LGPD Art. 48; Resolução CD/ANPD nº 15/2024 Art. 9",
			role: ctrl, aware: "2025-04-17T12:00:00Z",
			build: func(h *history) {
				h.affected("2025-04-17T12:00:00Z", count("BR", 300))
				h.determine("2025-04-17T13:00:00Z", domain.DetBRPersonalData, true)
			},
			asOf: "2025-04-18T00:00:00Z", due: "2025-04-25T02:59:59Z", status: domain.StatusPending},
		{name: "Brazil supplement: 20 working days over Labour Day", obligation: "br-anpd-supplement", citation: "Resolução CD/ANPD nº 15/2024 Art. 6",
			role: ctrl, aware: "2025-04-17T12:00:00Z",
			build: func(h *history) {
				h.affected("2025-04-17T12:00:00Z", count("BR", 300))
				h.determine("2025-04-17T13:00:00Z", domain.DetBRPersonalData, true)
				h.notice("2025-04-24T15:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "ANPD", Jurisdiction: "BR", Obligations: []string{"br-anpd"}})
			},
			// from Thu 04-24: Apr 25, 28, 29, 30 (4), May 1 holiday, May 2–23 (16 more) → Fri 2025-05-23
			asOf: "2025-04-25T00:00:00Z", due: "2025-05-24T02:59:59Z", local: "2025-05-23T23:59:59-03:00", status: domain.StatusPending},

		// Singapore: a data intermediary tells the organisation it processes for, against a 24 h target.
		{name: "Singapore data intermediary: the organisation, without undue delay", obligation: "sg-intermediary/acme", citation: "Singapore PDPA s. 26C(3)",
			role: domain.RoleProcessor, aware: "2025-12-20T02:00:00Z",
			profile: domain.EntityProfiled{EntityTypes: []domain.EntityType{domain.EntitySGDataIntermediary}, Controllers: []string{"acme"}},
			build:   func(h *history) { h.affected("2025-12-20T02:00:00Z", count("SG", 40)) },
			// aware 2025-12-20T02:00Z + 24 h (an organisational target, elapsed hours)
			asOf: "2025-12-20T03:00:00Z", due: "2025-12-21T02:00:00Z", status: domain.StatusDueSoon},
		// Singapore: 3 calendar days after the day of the assessment.
		{name: "Singapore PDPC: 3 calendar days over the year end", obligation: "sg-pdpc", citation: "Singapore PDPA s. 26D(1)",
			aware: "2025-12-20T02:00:00Z",
			build: func(h *history) {
				h.affected("2025-12-20T02:00:00Z", count("SG", 600))
				h.determine("2025-12-30T02:00:00Z", domain.DetSGNotifiable, true)
			},
			// assessed Tue 2025-12-30 (10:00 SGT): the day itself does not count → end of Fri 2026-01-02 SGT
			asOf: "2025-12-30T03:00:00Z", due: "2026-01-02T15:59:59Z", local: "2026-01-02T23:59:59+08:00", status: domain.StatusPending},
	}
	covered := map[string]bool{"customer-notice": true} // covered by TestObligationsAcceptanceValues
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role := tt.role
			if role == "" {
				role = domain.RoleController
			}
			h := regulated(t, role, tt.aware, tt.profile)
			if tt.build != nil {
				tt.build(h)
			}
			o := obligation(t, h.obligationsAt(tt.asOf), tt.obligation)
			covered[o.Rule] = true
			if o.Citation != tt.citation {
				t.Errorf("citation = %q, want %q", o.Citation, tt.citation)
			}
			if got, want := o.DueAt, ts(t, tt.due); !got.Equal(want) {
				t.Errorf("due = %s, want %s", got.Format(time.RFC3339), tt.due)
			}
			if tt.local != "" {
				if got := o.DueLocal.Format(time.RFC3339); got != tt.local {
					t.Errorf("due local = %s (%s), want %s", got, o.TimeZone, tt.local)
				}
			}
			if o.Status != tt.status {
				t.Errorf("status = %s (%s), want %s", o.Status, o.Reason, tt.status)
			}
			if rolled := !o.DueUnrolled.IsZero(); rolled != tt.rolled {
				t.Errorf("rolled over = %v (%q), want %v", rolled, o.Rolled, tt.rolled)
			}
			if o.Pack != domain.CurrentPack().Version {
				t.Errorf("pack = %q", o.Pack)
			}
		})
	}
	for _, r := range domain.CurrentPack().Rules {
		if !covered[r.ID] {
			t.Errorf("rule %s (%s) has no case", r.ID, r.Citation)
		}
	}
}
