package domain_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// under evaluates h at asOf under the pack of the given version.
func under(t *testing.T, h *history, version, asOf string) []domain.Obligation {
	t.Helper()
	p, ok := domain.PackByVersion(version)
	if !ok {
		t.Fatalf("no pack %s", version)
	}
	at := ts(t, asOf)
	inc := h.at(domain.Cut{AsOf: at})
	return domain.ObligationsUnder(&inc, domain.DefaultSettings(), at, &p)
}

// packsFrom returns the shipped packs from version on.
func packsFrom(t *testing.T, version string) []domain.Pack {
	t.Helper()
	ps := domain.Packs()
	i := slices.IndexFunc(ps, func(p domain.Pack) bool { return p.Version == version })
	if i < 0 {
		t.Fatalf("no pack %s", version)
	}
	return ps[i:]
}

// TestPropertyNoDueBeforeTrigger: under every pack from 2026.2 on, no due
// time falls before the fact that starts its obligation, on generated
// histories at random instants. Under 2026.1 every such obligation is
// marked as the known defect, with 2026.2's reading beside it; the
// generator must produce some, or the property says nothing about them.
func TestPropertyNoDueBeforeTrigger(t *testing.T) {
	old, _ := domain.PackByVersion("2026.1")
	defects := 0
	for seed := uint64(1); seed <= 400; seed++ {
		r := rand.New(rand.NewPCG(seed, 18))
		h, _, aware := genHistory(t, r)
		asOf := aware.Add(time.Duration(r.IntN(60*24*60)) * time.Minute)
		inc := h.at(domain.Cut{AsOf: asOf})
		for _, p := range packsFrom(t, "2026.2") {
			for _, o := range domain.ObligationsUnder(&inc, domain.DefaultSettings(), asOf, &p) {
				if o.DueAt.Before(o.AnchorAt) {
					t.Errorf("seed %d pack %s: %s due %s before its trigger %s (%s)", seed, p.Version, o.ID, stamp(o.DueAt), o.Anchor, stamp(o.AnchorAt))
				}
				if o.Defect != nil {
					t.Errorf("seed %d pack %s: %s marked with a defect: %+v", seed, p.Version, o.ID, *o.Defect)
				}
			}
		}
		for _, o := range domain.ObligationsUnder(&inc, domain.DefaultSettings(), asOf, &old) {
			before := o.DueAt.Before(o.AnchorAt)
			if before != (o.Defect != nil) {
				t.Errorf("seed %d pack 2026.1: %s due %s, trigger %s: defect mark %v", seed, o.ID, stamp(o.DueAt), stamp(o.AnchorAt), o.Defect)
				continue
			}
			if !before {
				continue
			}
			defects++
			if d := o.Defect; d.FixedIn != "2026.2" || d.Absent || d.DueAt.Before(o.AnchorAt) || d.Status == "" {
				t.Errorf("seed %d pack 2026.1: %s: fixed reading %+v", seed, o.ID, *d)
			}
		}
	}
	if defects == 0 {
		t.Fatal("no generated history gave 2026.1 a due time before its trigger: the generator no longer covers the defect")
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// inDEAs is a profile established in Germany with the given entity types.
func inDEAs(ts ...domain.EntityType) domain.EntityProfiled {
	return domain.EntityProfiled{Establishments: []string{"DE"}, EntityTypes: ts}
}

// TestDORALateClassification works out DORA's initial notification by hand
// when the classification comes more than 24 h after awareness.
func TestDORALateClassification(t *testing.T) {
	// Aware Mon 2026-03-02T08:00Z (09:00 in Berlin).
	const aware = "2026-03-02T08:00:00Z"
	tests := []struct {
		name, classified, asOf string
		pack                   string
		due                    string
		status                 domain.Status
		lapsed                 bool
		fixedDue               string // the known defect's 2026.2 reading, "" for no defect
		fixedStatus            domain.Status
	}{
		// Classified Tue 2026-03-03T14:00Z, 30 h after awareness: the 24 h
		// limb (Tue 08:00Z) passed 6 h before. 2026.2: classification + 4 h
		// = Tue 2026-03-03T18:00Z (19:00 Berlin, a working day: no
		// roll-over); 3 h 30 left at 14:30Z, within the 48 h due-soon window.
		{name: "2026.2: 4 h after a late classification", classified: "2026-03-03T14:00:00Z", asOf: "2026-03-03T14:30:00Z",
			pack: "2026.2", due: "2026-03-03T18:00:00Z", status: domain.StatusDueSoon, lapsed: true},
		// 2026.1 keeps its answer: min(Tue 18:00Z, aware + 24 h = Tue
		// 08:00Z) = Tue 08:00Z, six hours before the classification that
		// creates it, overdue from the moment it exists: the known defect,
		// with 2026.2's Tue 18:00Z beside it.
		{name: "2026.1: due before the classification, marked", classified: "2026-03-03T14:00:00Z", asOf: "2026-03-03T14:30:00Z",
			pack: "2026.1", due: "2026-03-03T08:00:00Z", status: domain.StatusOverdue,
			fixedDue: "2026-03-03T18:00:00Z", fixedStatus: domain.StatusDueSoon},
		// Classified Tue 2026-03-03T07:00Z, 23 h after awareness: the limb
		// has not passed; min(07:00Z + 4 h = 11:00Z, aware + 24 h = 08:00Z)
		// = Tue 08:00Z, one hour after the classification, in both packs.
		{name: "2026.2: the limb still binds one hour after the classification", classified: "2026-03-03T07:00:00Z", asOf: "2026-03-03T07:30:00Z",
			pack: "2026.2", due: "2026-03-03T08:00:00Z", status: domain.StatusDueSoon},
		{name: "2026.1: same", classified: "2026-03-03T07:00:00Z", asOf: "2026-03-03T07:30:00Z",
			pack: "2026.1", due: "2026-03-03T08:00:00Z", status: domain.StatusDueSoon},
		// Classified Fri 2026-03-06T20:00Z (21:00 Berlin), four days on:
		// + 4 h = Sat 2026-03-07T00:00Z (01:00 Berlin), a Saturday: a
		// financial entity may report by noon of the next working day, Mon
		// 2026-03-09 12:00 Berlin = 11:00Z (Delegated Reg. 2025/301 Art. 5(4)).
		{name: "2026.2: late classification rolled to Monday noon", classified: "2026-03-06T20:00:00Z", asOf: "2026-03-06T21:00:00Z",
			pack: "2026.2", due: "2026-03-09T11:00:00Z", status: domain.StatusPending, lapsed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := regulated(t, domain.RoleController, aware, inDEAs(domain.EntityFinancial))
			h.add("oscar", aware, domain.PackPinned{Version: tt.pack, Reason: "test"})
			h.determine(tt.classified, domain.DetDORAMajor, true)
			o := obligation(t, h.obligationsAt(tt.asOf), "dora-initial")
			if got, want := stamp(o.DueAt), tt.due; got != want || o.Status != tt.status {
				t.Errorf("got due %s %s, want %s %s (limit %q)", got, o.Status, want, tt.status, o.Limit)
			}
			if o.LimitLapsed != tt.lapsed {
				t.Errorf("limit lapsed = %v (%q), want %v", o.LimitLapsed, o.Limit, tt.lapsed)
			}
			if tt.lapsed && (o.Reason != "" && o.Status == domain.StatusOverdue) {
				t.Errorf("reason %q", o.Reason)
			}
			switch {
			case tt.fixedDue == "" && o.Defect != nil:
				t.Errorf("defect %+v, want none", *o.Defect)
			case tt.fixedDue != "" && o.Defect == nil:
				t.Errorf("no defect mark, want the fixed due %s", tt.fixedDue)
			case tt.fixedDue != "":
				d := o.Defect
				if d.Defect != domain.DefectDueBeforeTrigger || d.FixedIn != "2026.2" || stamp(d.DueAt) != tt.fixedDue || d.Status != tt.fixedStatus {
					t.Errorf("defect %+v, want %s fixed in 2026.2: %s %s", *d, domain.DefectDueBeforeTrigger, tt.fixedDue, tt.fixedStatus)
				}
				if !strings.Contains(d.Description, "before the classification") {
					t.Errorf("defect description %q does not say what is wrong", d.Description)
				}
			}
		})
	}
}

// TestMonthConventions works out each month rule of 2026.2 by hand.
func TestMonthConventions(t *testing.T) {
	tests := []struct {
		name, pack, obligation string
		profile                domain.EntityProfiled
		build                  func(h *history)
		due                    string
		rolled                 bool
	}{
		// NIS2 final: notification Fri 2026-01-30T10:00Z. One month on: no
		// 30 February, so the last day of February, Sat 2026-02-28; the
		// period ends with its last hour in Berlin, 23:59:59 CET =
		// 22:59:59Z (Reg. 1182/71 Art. 3(2)(c)); a Saturday, and the pack
		// does not carry the limit (ClosedStays).
		{name: "nis2-final: end of day, Berlin, not carried over a Saturday", pack: "2026.2", obligation: "nis2-final",
			profile: inDEAs(domain.EntityNIS2Essential),
			build: func(h *history) {
				h.notice("2026-01-30T10:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Jurisdiction: "DE", Phase: domain.PhaseNotification})
			},
			due: "2026-02-28T22:59:59Z"},
		// DORA final, same day: intermediate Fri 2026-01-30T10:00Z, one
		// month → Sat 2026-02-28 23:59:59 CET; a Saturday, so noon of the
		// next working day, Mon 2026-03-02 12:00 CET = 11:00Z (Art. 5(4)).
		{name: "dora-final: end of day, then noon of the next working day", pack: "2026.2", obligation: "dora-final",
			profile: inDEAs(domain.EntityFinancial),
			build:   doraChain("2026-01-30T10:00:00Z"),
			due:     "2026-03-02T11:00:00Z", rolled: true},
		// DORA final on a working day: intermediate Tue 2026-03-10T10:00Z
		// (11:00 CET); one month → Fri 2026-04-10, a working day (Easter
		// Monday is 6 April). 2026.2 ends it at 23:59:59 CEST = 21:59:59Z;
		// 2026.1 counted to the instant, 11:00 CEST = 09:00Z.
		{name: "dora-final 2026.2: end of the day", pack: "2026.2", obligation: "dora-final",
			profile: inDEAs(domain.EntityFinancial), build: doraChain("2026-03-10T10:00:00Z"), due: "2026-04-10T21:59:59Z"},
		{name: "dora-final 2026.1: the instant", pack: "2026.1", obligation: "dora-final",
			profile: inDEAs(domain.EntityFinancial), build: doraChain("2026-03-10T10:00:00Z"), due: "2026-04-10T09:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := regulated(t, domain.RoleController, "2026-01-26T08:00:00Z", tt.profile)
			h.determine("2026-01-26T09:00:00Z", domain.DetNIS2Significant, true)
			tt.build(h)
			o := obligation(t, under(t, h, tt.pack, "2026-04-20T00:00:00Z"), tt.obligation)
			if got := stamp(o.DueAt); got != tt.due {
				t.Errorf("due %s (%s), want %s", got, o.DueLocal.Format(time.RFC3339), tt.due)
			}
			if rolled := o.Rolled != "" && !o.DueUnrolled.IsZero(); rolled != tt.rolled {
				t.Errorf("rolled %v (%q), want %v", rolled, o.Rolled, tt.rolled)
			}
		})
	}
	// Each month rule of 2026.2 states its convention, and the two that
	// differ say why.
	p, _ := domain.PackByVersion("2026.2")
	for _, id := range []string{"nis2-final", "dora-final"} {
		r, _ := p.Rule(id)
		if r.Months == nil || r.Months.Basis == "" || r.Months.Why == "" || !strings.Contains(r.Months.Basis, "1182/71") {
			t.Errorf("%s: convention %+v", id, r.Months)
		}
	}
}

// doraChain records a DORA major classification, the initial notification
// and the intermediate report at intermediate.
func doraChain(intermediate string) func(h *history) {
	return func(h *history) {
		h.determine("2026-01-26T09:00:00Z", domain.DetDORAMajor, true)
		h.notice("2026-01-26T10:00:00Z", domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Jurisdiction: "DE", Phase: domain.PhaseInitial, Obligations: []string{"dora-initial"}})
		h.notice(intermediate, domain.NotificationSent{RecipientKind: domain.RecipientRegulator, Jurisdiction: "DE", Phase: domain.PhaseIntermediate, Obligations: []string{"dora-intermediate"}})
	}
}

// TestSmallProcessingAgent: Brazil's deadlines doubled for a small
// processing agent under 2026.2.
func TestSmallProcessingAgent(t *testing.T) {
	// Knowledge that personal data was affected: Mon 2026-03-02T13:00Z
	// (10:00 in São Paulo). Working days after it: Tue 3, Wed 4, Thu 5,
	// Fri 6, Mon 9, Tue 10 March (no Brazilian holiday between).
	tests := []struct {
		name, pack string
		types      []domain.EntityType
		due        string
		window     string
	}{
		// 3 working days: end of Thu 2026-03-05 in São Paulo (-03:00) = 2026-03-06T02:59:59Z.
		{"2026.2, not a small agent", "2026.2", nil, "2026-03-06T02:59:59Z", "3 business days"},
		// 6 working days: end of Tue 2026-03-10 = 2026-03-11T02:59:59Z.
		{"2026.2, small agent: doubled", "2026.2", []domain.EntityType{domain.EntitySmallAgent}, "2026-03-11T02:59:59Z", "6 business days"},
		// 2026.1 read the type and did nothing: 3 working days.
		{"2026.1, small agent: not applied", "2026.1", []domain.EntityType{domain.EntitySmallAgent}, "2026-03-06T02:59:59Z", "3 business days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := regulated(t, domain.RoleController, "2026-03-02T12:00:00Z", domain.EntityProfiled{EntityTypes: tt.types})
			h.affected("2026-03-02T12:00:00Z", count("BR", 300))
			h.determine("2026-03-02T13:00:00Z", domain.DetBRPersonalData, true)
			obs := under(t, h, tt.pack, "2026-03-02T14:00:00Z")
			for _, id := range []string{"br-anpd", "br-data-subjects"} {
				o := obligation(t, obs, id)
				if got := stamp(o.DueAt); got != tt.due || o.Window != tt.window {
					t.Errorf("%s: due %s (%s), want %s (%s)", id, got, o.Window, tt.due, tt.window)
				}
				if doubled := tt.window == "6 business days"; doubled != strings.Contains(o.Scaled, "Resolução CD/ANPD nº 2/2022 Art. 14") {
					t.Errorf("%s: scaled note %q", id, o.Scaled)
				}
			}
		})
	}
}

// TestEDGARFilingDay: a Form 8-K transmitted after 17:30 ET is filed the
// next business day (Regulation S-T Rule 13(a)(2)) under 2026.2.
func TestEDGARFilingDay(t *testing.T) {
	// Material: Mon 2026-03-02T15:00Z (10:00 EST). Four business days:
	// Tue 3, Wed 4, Thu 5, Fri 6 March: due end of Fri 2026-03-06 in New
	// York, 23:59:59 EST = 2026-03-07T04:59:59Z.
	const due = "2026-03-07T04:59:59Z"
	tests := []struct {
		name, pack, filed string
		status            domain.Status
		deemed            string // "" when the filing counts on its own day
	}{
		// Fri 2026-03-06T22:29Z = 17:29 EST: before the cut-off, filed Friday.
		{"17:29 on the due day", "2026.2", "2026-03-06T22:29:00Z", domain.StatusMet, ""},
		// 17:30:00 EST exactly is not after the cut-off.
		{"17:30 on the due day", "2026.2", "2026-03-06T22:30:00Z", domain.StatusMet, ""},
		// Fri 2026-03-06T23:00Z = 18:00 EST: deemed filed on the next
		// business day, Mon 2026-03-09; US daylight time starts Sun 8 March,
		// so 00:00 EDT = 04:00Z; after the due time: late.
		{"18:00 on the due day", "2026.2", "2026-03-06T23:00:00Z", domain.StatusMetLate, "2026-03-09T04:00:00Z"},
		// Thu 2026-03-05T23:00Z = 18:00 EST: deemed Fri 2026-03-06 00:00 EST = 05:00Z, in time.
		{"18:00 the day before", "2026.2", "2026-03-05T23:00:00Z", domain.StatusMet, "2026-03-06T05:00:00Z"},
		// 2026.1 did not model the filing day.
		{"2026.1: 18:00 on the due day", "2026.1", "2026-03-06T23:00:00Z", domain.StatusMet, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := regulated(t, domain.RoleController, "2026-03-02T14:00:00Z", domain.EntityProfiled{EntityTypes: []domain.EntityType{domain.EntitySECRegistrant}})
			h.determine("2026-03-02T15:00:00Z", domain.DetSECMaterial, true)
			h.notice(tt.filed, domain.NotificationSent{RecipientKind: domain.RecipientPublicFiling, Recipient: "EDGAR", Jurisdiction: "US", DelayReason: "late", Obligations: []string{"sec-8k-1.05"}})
			o := obligation(t, under(t, h, tt.pack, "2026-03-10T00:00:00Z"), "sec-8k-1.05")
			if stamp(o.DueAt) != due || o.Status != tt.status {
				t.Errorf("got due %s %s, want %s %s", stamp(o.DueAt), o.Status, due, tt.status)
			}
			if got := ""; !o.DeemedFiledAt.IsZero() {
				got = stamp(o.DeemedFiledAt)
				if got != tt.deemed {
					t.Errorf("deemed filed %s, want %q", got, tt.deemed)
				}
			} else if tt.deemed != "" {
				t.Errorf("not deemed filed later, want %s", tt.deemed)
			}
			if tt.deemed != "" && !strings.Contains(o.Filed, "Regulation S-T Rule 13(a)(2)") {
				t.Errorf("filed note %q does not cite Rule 13(a)(2)", o.Filed)
			}
			if tt.status == domain.StatusMetLate && !strings.Contains(o.Reason, "deemed filed Mon 2026-03-09") {
				t.Errorf("reason %q does not say when it was filed", o.Reason)
			}
		})
	}
}

// TestDORAWithoutEstablishment: a DORA entity with no establishment
// recorded is counted on the EU calendar, and the obligation says so.
func TestDORAWithoutEstablishment(t *testing.T) {
	h := regulated(t, domain.RoleController, "2026-03-02T08:00:00Z", types(domain.EntityFinancial))
	h.determine("2026-03-02T09:00:00Z", domain.DetDORAMajor, true)
	o := obligation(t, h.obligationsAt("2026-03-02T10:00:00Z"), "dora-initial")
	if !strings.Contains(o.Assumed, "no establishment in the EEA is recorded") || !strings.Contains(o.Assumed, o.Calendar) || !strings.Contains(o.Assumed, "--establishment") {
		t.Errorf("assumed %q (calendar %s)", o.Assumed, o.Calendar)
	}
	h2 := regulated(t, domain.RoleController, "2026-03-02T08:00:00Z", inDEAs(domain.EntityFinancial))
	h2.determine("2026-03-02T09:00:00Z", domain.DetDORAMajor, true)
	if o := obligation(t, h2.obligationsAt("2026-03-02T10:00:00Z"), "dora-initial"); o.Assumed != "" {
		t.Errorf("established in DE: assumed %q", o.Assumed)
	}
}

// entityScenario is a history in which every regime has its facts: people
// affected in the EEA, Brazil, Singapore, California and New York, every
// clock-starting determination, a controller to notify. Aware Sat
// 2026-03-07T08:00Z, so DORA's limits fall on a weekend.
func entityScenario(t *testing.T, p domain.EntityProfiled) []domain.Obligation {
	t.Helper()
	p.Controllers = []string{"acme"}
	h := regulated(t, domain.RoleBoth, "2026-03-07T08:00:00Z", p)
	h.add("sam", "2026-03-07T08:30:00Z", domain.ScopeRecorded{Jurisdictions: []string{"DE", "FR", "BR", "SG", "US-CA", "US-NY"}})
	h.affected("2026-03-07T08:30:00Z", count("DE", 100), count("FR", 50), count("BR", 20), count("SG", 30), count("US-CA", 600), count("US-NY", 10))
	for _, k := range []domain.DeterminationKind{domain.DetDiscovery, domain.DetSECMaterial, domain.DetDORAMajor, domain.DetNIS2Significant,
		domain.DetBRPersonalData, domain.DetSGNotifiable, domain.DetNYDFSReportable} {
		h.determine("2026-03-07T09:00:00Z", k, true)
	}
	return h.obligationsAt("2026-03-08T00:00:00Z")
}

func describeObligations(obs []domain.Obligation) []string {
	var out []string
	for _, o := range obs {
		out = append(out, fmt.Sprintf("%s %s %s %s", o.ID, stamp(o.DueAt), o.Status, o.Window))
	}
	return out
}

// TestEveryEntityTypeChangesARule: each entity type a new profile may
// record changes at least one obligation of the current pack; every other
// type is refused for new profile records and still replays.
func TestEveryEntityTypeChangesARule(t *testing.T) {
	de := []string{"DE"}
	tests := map[domain.EntityType]struct {
		base           []domain.EntityType // recorded with and without the type
		establishments []string
	}{
		domain.EntityFinancial:          {establishments: de},
		domain.EntityCreditInstitution:  {establishments: de},
		domain.EntityCCP:                {establishments: de},
		domain.EntityTradingVenue:       {establishments: de},
		domain.EntityNIS2Essential:      {establishments: de},
		domain.EntityNIS2Important:      {establishments: de},
		domain.EntityTrustService:       {establishments: de},
		domain.EntitySECRegistrant:      {establishments: de},
		domain.EntityHIPAACovered:       {establishments: de},
		domain.EntityHIPAABusinessAssoc: {establishments: de},
		domain.EntityNYDFSCovered:       {establishments: de},
		domain.EntitySmallAgent:         {establishments: de},
		domain.EntitySGDataIntermediary: {establishments: de},
		// DORA's limit falls on Saturday: without the NCA's decision it
		// rolls to Monday noon, with it it stays.
		domain.EntityDORARolloverOff: {base: []domain.EntityType{domain.EntityFinancial}, establishments: de},
		// No establishment recorded: the representative marks a controller
		// outside the EEA, so one notice per authority (DE, FR).
		domain.EntityEEAEstablishedRep: {},
	}
	recordable := domain.RecordableEntityTypes()
	for _, et := range recordable {
		tt, ok := tests[et]
		if !ok {
			t.Errorf("entity type %s may be recorded but has no scenario showing what it changes: add one", et)
			continue
		}
		without := entityScenario(t, domain.EntityProfiled{Establishments: tt.establishments, EntityTypes: tt.base})
		with := entityScenario(t, domain.EntityProfiled{Establishments: tt.establishments, EntityTypes: append(slices.Clone(tt.base), et)})
		if slices.Equal(describeObligations(without), describeObligations(with)) {
			t.Errorf("entity type %s changes no obligation of pack %s", et, domain.CurrentPack().Version)
		}
	}
	for _, et := range domain.EntityTypes() {
		if slices.Contains(recordable, et) {
			continue
		}
		h := regulated(t, domain.RoleController, "2026-03-07T08:00:00Z", domain.EntityProfiled{Establishments: []string{"DE"}})
		_, err := h.decide(domain.RecordProfile{By: domain.By{Actor: "ivy", At: ts(t, "2026-03-07T09:00:00Z")}, AddEntityTypes: []domain.EntityType{et}})
		var re *domain.RuleError
		if !errors.As(err, &re) || re.Rule != "entity-type-no-effect" {
			t.Errorf("profile --entity-type %s: got %v, want the entity-type-no-effect refusal", et, err)
		}
		// An old event that carries it replays, and changes nothing.
		old := entityScenario(t, domain.EntityProfiled{Establishments: []string{"DE"}, EntityTypes: []domain.EntityType{et}})
		if none := entityScenario(t, domain.EntityProfiled{Establishments: []string{"DE"}}); !slices.Equal(describeObligations(old), describeObligations(none)) {
			t.Errorf("entity type %s is refused but changes obligations", et)
		}
	}
	// An incident pinned to 2026.1 is decided as its history was: the type
	// is accepted there (so the notary's re-decision of an old profile
	// stands), and changes nothing.
	h := regulated(t, domain.RoleController, "2026-03-07T08:00:00Z", domain.EntityProfiled{Establishments: []string{"DE"}})
	h.add("oscar", "2026-03-07T08:00:00Z", domain.PackPinned{Version: "2026.1", Reason: "test"})
	if _, err := h.decide(domain.RecordProfile{By: domain.By{Actor: "ivy", At: ts(t, "2026-03-07T09:00:00Z")}, AddEntityTypes: []domain.EntityType{domain.EntityCaliforniaBusiness}}); err != nil {
		t.Errorf("profile --entity-type california-business under 2026.1: %v", err)
	}
	if got, want := len(domain.EntityTypes())-len(recordable), 1; got != want {
		t.Errorf("%d entity types refused, want %d (california-business)", got, want)
	}
}
