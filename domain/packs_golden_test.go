package domain_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

var updatePacks = flag.Bool("update", false, "rewrite the golden files under testdata/ (domain/testdata/packs)")

// packFactSets are fixed histories that, together, trigger every rule of
// every shipped pack (some rules exclude each other: a trust service
// provider's NIS2 notification, HIPAA's 500-or-more and fewer-than-500
// reports), with the instant each is evaluated at.
func packFactSets(t *testing.T) []struct {
	name string
	h    *history
	asOf string
} {
	// "all": a controller and processor established in Germany, under
	// NIS2, DORA, SEC, HIPAA (covered entity and business associate),
	// NYDFS; people affected in DE, GB, California (600), New York, Brazil
	// and Singapore; declared, high risk, every determination; the first
	// report of each chain sent so the chained rules start.
	all := regulated(t, domain.RoleBoth, "2026-03-02T08:00:00Z", domain.EntityProfiled{
		Establishments: []string{"DE"}, Sectors: []string{"banking"}, Controllers: []string{"acme-bank"},
		EntityTypes: []domain.EntityType{domain.EntityNIS2Essential, domain.EntityFinancial, domain.EntitySECRegistrant,
			domain.EntityHIPAACovered, domain.EntityHIPAABusinessAssoc, domain.EntityNYDFSCovered},
	})
	all.add("sam", "2026-03-02T09:00:00Z", domain.ScopeRecorded{Customers: []string{"contoso"}, Jurisdictions: []string{"DE", "GB", "US-CA", "US-NY", "BR", "SG"}})
	all.affected("2026-03-02T09:00:00Z", count("DE", 100), count("GB", 50), count("US-CA", 600), count("US-NY", 10), count("BR", 20), count("SG", 5))
	all.add("ivy", "2026-03-02T10:00:00Z", domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "test"})
	all.add("ivy", "2026-03-02T11:00:00Z", domain.RiskDetermined{Level: domain.RiskHigh, Reasoning: "test"})
	for _, k := range []domain.DeterminationKind{domain.DetDiscovery, domain.DetSECMaterial, domain.DetDORAMajor, domain.DetNIS2Significant,
		domain.DetBRPersonalData, domain.DetSGNotifiable, domain.DetNYDFSReportable} {
		all.determine("2026-03-02T12:00:00Z", k, true)
	}
	all.determine("2026-03-04T12:00:00Z", domain.DetSECInfoAvailable, true)
	all.notice("2026-03-03T09:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Recipient: "BSI", Jurisdiction: "DE", Phase: domain.PhaseNotification, Obligations: []string{"nis2-notification"}})
	all.notice("2026-03-02T14:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Recipient: "BaFin", Jurisdiction: "DE", Phase: domain.PhaseInitial, Obligations: []string{"dora-initial"}})
	all.notice("2026-03-04T14:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Recipient: "BaFin", Jurisdiction: "DE", Phase: domain.PhaseIntermediate, Obligations: []string{"dora-intermediate"}})
	all.notice("2026-03-04T08:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientDataSubjects, Recipient: "California residents", Jurisdiction: "US-CA", Obligations: []string{"ca-residents"}})
	all.notice("2026-03-04T09:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "ANPD", Jurisdiction: "BR", Obligations: []string{"br-anpd"}})
	all.notice("2026-03-04T10:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "BfDI", Jurisdiction: "DE", Obligations: []string{"gdpr-art33"}})

	// "tsp-small": a trust service provider and HIPAA covered entity with
	// ten people affected in Texas.
	small := regulated(t, domain.RoleController, "2026-03-02T08:00:00Z", domain.EntityProfiled{
		Establishments: []string{"FR"}, EntityTypes: []domain.EntityType{domain.EntityTrustService, domain.EntityHIPAACovered},
	})
	small.affected("2026-03-02T09:00:00Z", count("US-TX", 10))
	small.determine("2026-03-02T12:00:00Z", domain.DetDiscovery, true)

	// "dora-late" (2026.2's fixes): a financial entity with no
	// establishment recorded, classified major 30 h after awareness; a
	// small processing agent in Brazil; an SEC registrant filing at 18:00
	// ET on the due day.
	late := regulated(t, domain.RoleController, "2026-03-02T08:00:00Z", domain.EntityProfiled{
		EntityTypes: []domain.EntityType{domain.EntityFinancial, domain.EntitySmallAgent, domain.EntitySECRegistrant},
	})
	late.affected("2026-03-02T09:00:00Z", count("BR", 20))
	late.determine("2026-03-02T13:00:00Z", domain.DetBRPersonalData, true)
	late.determine("2026-03-02T15:00:00Z", domain.DetSECMaterial, true)
	late.determine("2026-03-03T14:00:00Z", domain.DetDORAMajor, true)
	late.notice("2026-03-06T23:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientPublicFiling, Recipient: "EDGAR", Jurisdiction: "US", Obligations: []string{"sec-8k-1.05"}})

	// "outside-eea": a controller with an Art. 27 representative and no
	// establishment, people in Germany, France and Singapore, acting as a
	// Singapore data intermediary for acme.
	outside := regulated(t, domain.RoleBoth, "2026-03-02T08:00:00Z", domain.EntityProfiled{
		Controllers: []string{"acme"}, EntityTypes: []domain.EntityType{domain.EntityEEAEstablishedRep, domain.EntitySGDataIntermediary},
	})
	outside.affected("2026-03-02T09:00:00Z", count("DE", 10), count("FR", 5), count("SG", 30))
	outside.determine("2026-03-02T12:00:00Z", domain.DetSGNotifiable, true)

	return []struct {
		name string
		h    *history
		asOf string
	}{
		{"all", all, "2026-03-05T00:00:00Z"},
		{"tsp-small", small, "2026-03-05T00:00:00Z"},
		{"dora-late", late, "2026-03-10T00:00:00Z"},
		{"outside-eea", outside, "2026-03-03T00:00:00Z"},
	}
}

// TestPackGoldens freezes every shipped pack: each rule's evaluation on
// the fixed fact sets (obligation, status, anchor, window, due time in UTC
// and local) must equal domain/testdata/packs/VERSION.golden. A released
// pack never changes its answers; a changed rule goes into a new pack (and
// a new golden, written with go test ./domain -run TestPackGoldens -update).
func TestPackGoldens(t *testing.T) {
	sets := packFactSets(t)
	for _, p := range domain.Packs() {
		t.Run(p.Version, func(t *testing.T) {
			var b strings.Builder
			fmt.Fprintf(&b, "pack %s released %s, %d rules\n", p.Version, p.Released.Format("2006-01-02"), len(p.Rules))
			seen := map[string]bool{}
			for _, fs := range sets {
				asOf := ts(t, fs.asOf)
				inc := fs.h.at(domain.Cut{AsOf: asOf})
				obs := domain.ObligationsUnder(&inc, domain.DefaultSettings(), asOf, &p)
				fmt.Fprintf(&b, "\n== %s as of %s: %d obligations\n", fs.name, fs.asOf, len(obs))
				for _, o := range obs {
					seen[o.Rule] = true
					fmt.Fprintf(&b, "%s\t%s\tdue %s (%s %s)\t%s after %s", o.ID, o.Status, o.DueAt.Format(time.RFC3339),
						o.DueLocal.Format("2006-01-02T15:04:05"), o.TimeZone, o.Window, o.Anchor)
					defect := ""
					if d := o.Defect; d != nil {
						defect = fmt.Sprintf("%s, fixed in %s: due %s %s", d.Defect, d.FixedIn, d.DueAt.Format(time.RFC3339), d.Status)
					}
					for _, x := range []struct{ k, v string }{{"limit", o.Limit}, {"rolled", o.Rolled}, {"reason", o.Reason},
						{"scaled", o.Scaled}, {"filed", o.Filed}, {"assumed", o.Assumed}, {"known defect", defect}} {
						if x.v != "" {
							fmt.Fprintf(&b, "\t%s: %s", x.k, x.v)
						}
					}
					b.WriteString("\n")
				}
			}
			for _, r := range p.Rules {
				if !seen[r.ID] {
					t.Errorf("rule %s of pack %s is triggered by no fact set: extend packFactSets", r.ID, p.Version)
				}
			}
			path := filepath.Join("testdata", "packs", p.Version+".golden")
			if *updatePacks {
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden: %v (a new pack: run go test ./domain -run TestPackGoldens -update once)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("pack %s evaluates differently from %s: a released pack must not change (put the change in a new pack)\n got:\n%s\nwant:\n%s", p.Version, path, got, want)
			}
		})
	}
}

// TestPackGoldensByHand checks, under each pack, due times worked out by
// hand on the "all" fact set, so the goldens cannot simply bless what the
// engine printed.
func TestPackGoldensByHand(t *testing.T) {
	all := packFactSets(t)[0]
	asOf := ts(t, all.asOf)
	inc := all.h.at(domain.Cut{AsOf: asOf})
	tests := []struct {
		pack, obligation, due string
		status                domain.Status
	}{
		// aware 2026-03-02T08:00Z + 72 h; notified 2026-03-04T10:00Z.
		{"2025.1", "gdpr-art33", "2026-03-05T08:00:00Z", domain.StatusMet},
		{"2026.1", "gdpr-art33", "2026-03-05T08:00:00Z", domain.StatusMet},
		// declared 2026-03-02T10:00Z + 72 h (customer-notice-window); no
		// notice yet, 34 h left at asOf: within the 48 h due-soon window.
		{"2025.1", "customer-notice/contoso", "2026-03-05T10:00:00Z", domain.StatusDueSoon},
		{"2026.1", "customer-notice/contoso", "2026-03-05T10:00:00Z", domain.StatusDueSoon},
		// high risk 2026-03-02T11:00Z + 72 h (art34-target), 35 h left.
		{"2026.1", "gdpr-art34", "2026-03-05T11:00:00Z", domain.StatusDueSoon},
		// NIS2 early warning: aware + 24 h; a banking entity under DORA: waived (NIS2 Art. 4).
		{"2026.1", "nis2-early-warning", "2026-03-03T08:00:00Z", domain.StatusWaived},
		// DORA initial: dora-major determined 12:00Z + 4 h (before the 24 h limb), sent 14:00Z.
		{"2026.1", "dora-initial", "2026-03-02T16:00:00Z", domain.StatusMet},
		// DORA intermediate: initial sent 2026-03-02T14:00Z + 72 h (Thursday), sent 2026-03-04T14:00Z.
		{"2026.1", "dora-intermediate", "2026-03-05T14:00:00Z", domain.StatusMet},
		// NYDFS: determined 2026-03-02T12:00Z + 72 h.
		{"2026.1", "nydfs-500.17", "2026-03-05T12:00:00Z", domain.StatusDueSoon},
		// California: discovery 2026-03-02 + 30 calendar days, end of day in Los Angeles (PDT from 8 March): 2026-04-01T23:59:59-07:00.
		{"2026.1", "ca-residents", "2026-04-02T06:59:59Z", domain.StatusMet},
		// California AG: the residents' notice 2026-03-04T08:00Z (00:00 PST) + 15 calendar days: 2026-03-19T23:59:59-07:00.
		{"2026.1", "ca-ag", "2026-03-20T06:59:59Z", domain.StatusPending},
	}
	for _, tt := range tests {
		p, ok := domain.PackByVersion(tt.pack)
		if !ok {
			t.Fatalf("no pack %s", tt.pack)
		}
		obs := domain.ObligationsUnder(&inc, domain.DefaultSettings(), asOf, &p)
		i := slices.IndexFunc(obs, func(o domain.Obligation) bool { return o.ID == tt.obligation })
		if i < 0 {
			t.Errorf("%s %s: absent", tt.pack, tt.obligation)
			continue
		}
		if o := obs[i]; !o.DueAt.Equal(ts(t, tt.due)) || o.Status != tt.status {
			t.Errorf("%s %s: got due %s %s, want %s %s", tt.pack, tt.obligation, o.DueAt.Format(time.RFC3339), o.Status, tt.due, tt.status)
		}
	}
	p25, _ := domain.PackByVersion("2025.1")
	if got, want := len(domain.ObligationsUnder(&inc, domain.DefaultSettings(), asOf, &p25)), 3; got != want {
		t.Errorf("2025.1 on the all fact set: got %d obligations, want %d (customer-notice/contoso, gdpr-art33, gdpr-art34)", got, want)
	}
}
