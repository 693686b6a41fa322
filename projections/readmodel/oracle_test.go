package readmodel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// The oracle: on generated ledgers of hundreds of incidents, caught up in
// chunks at random instants (with persisting reads between), the kept
// views answer every filter the CLI offers, at random instants (before,
// at and after due times, due-soon starts, holds and latest facts), with
// the rows the pure projections give over the history.
//
// BREACHLEDGER_ORACLE_SEEDS=N runs N more seeds after the fixed ones (each
// from the clock: the failing seed is printed, and
// BREACHLEDGER_ORACLE_SEED=S runs that one alone).

// oracleSeeds are the seeds every run checks.
var oracleSeeds = []uint64{1, 2, 3}

func TestOracleKeptEqualsProjections(t *testing.T) {
	seeds := slices.Clone(oracleSeeds)
	if s := os.Getenv("BREACHLEDGER_ORACLE_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("BREACHLEDGER_ORACLE_SEED=%q: want a number", s)
		}
		seeds = []uint64{n}
	}
	if s := os.Getenv("BREACHLEDGER_ORACLE_SEEDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("BREACHLEDGER_ORACLE_SEEDS=%q: want a number", s)
		}
		base := uint64(time.Now().UnixNano())
		for i := range n {
			seeds = append(seeds, base+uint64(i))
		}
	}
	incidents := 150
	switch {
	case raceDetector:
		incidents = 40
	case testing.Short():
		incidents = 60
	}
	if raceDetector && os.Getenv("BREACHLEDGER_ORACLE_SEED") == "" && os.Getenv("BREACHLEDGER_ORACLE_SEEDS") == "" {
		seeds = seeds[:1] // the others run without the race detector: make oracle
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			runOracle(t, seed, incidents)
			if t.Failed() {
				t.Logf("reproduce: BREACHLEDGER_ORACLE_SEED=%d go test -run 'TestOracleKeptEqualsProjections' ./projections/readmodel", seed)
			}
		})
	}
}

// genEvent is one generated event of the ledger.
type genEvent struct {
	stream string
	at     time.Time
	e      domain.Event
}

// oracleLedger generates n incidents' events (and a few settings changes)
// over a span of 60 days from start, in a random interleaving that keeps
// each stream's own order.
func oracleLedger(r *rand.Rand, n int, start time.Time) []genEvent {
	span := 60 * 24 * time.Hour
	var streams [][]genEvent
	ledgerEvents := []genEvent{{domain.LedgerStream, start.Add(-time.Hour), domain.LedgerInitialized{Name: "oracle", Admin: "admin"}}}
	for i := r.IntN(3); i > 0; i-- {
		w := []string{"12h", "24h", "36h", "48h"}[r.IntN(4)]
		ledgerEvents = append(ledgerEvents, genEvent{domain.LedgerStream, start.Add(time.Duration(r.Int64N(int64(span)))), domain.SettingChanged{Key: "due-soon-window", Value: w}})
	}
	sort.SliceStable(ledgerEvents[1:], func(i, j int) bool { return ledgerEvents[1+i].at.Before(ledgerEvents[1+j].at) })
	streams = append(streams, ledgerEvents)
	for i := range n {
		streams = append(streams, oracleIncident(r, fmt.Sprintf("INC-%04d", i), start.Add(time.Duration(r.Int64N(int64(span))))))
	}
	// Interleave: take the head of a random stream until all are empty.
	var out []genEvent
	for len(streams) > 0 {
		j := r.IntN(len(streams))
		if j != 0 && len(streams[0]) > 0 && r.IntN(4) == 0 {
			j = 0
		}
		out = append(out, streams[j][0])
		if streams[j] = streams[j][1:]; len(streams[j]) == 0 {
			streams = slices.Delete(streams, j, j+1)
		}
	}
	return out
}

// oracleIncident generates one incident aware at aware: a profile, counts,
// determinations, a risk, a classification, a declaration, holds and
// delay exceptions, notices, a post-mortem and closure, some reopened,
// some corrected, each at a random time after awareness.
func oracleIncident(r *rand.Rand, id string, aware time.Time) []genEvent {
	stream := domain.IncidentStream(id)
	var evs []genEvent
	add := func(at time.Time, e domain.Event) { evs = append(evs, genEvent{stream, at, e}) }
	after := func(maxHours int) time.Time {
		return aware.Add(time.Duration(r.IntN(maxHours*60)+1) * time.Minute)
	}
	pick := func(xs []string, max int) []string {
		var out []string
		for _, i := range r.Perm(len(xs))[:r.IntN(max+1)] {
			out = append(out, xs[i])
		}
		return out
	}
	role := []domain.DataRole{domain.RoleController, domain.RoleProcessor, domain.RoleBoth}[r.IntN(3)]
	det := domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "generated " + id, AwareAt: aware, Role: role}
	detectedAt := aware.Add(-time.Duration(r.IntN(120)) * time.Minute)
	add(detectedAt, det)
	packs := domain.Packs()
	add(detectedAt, domain.PackPinned{Version: packs[r.IntN(len(packs))].Version, Reason: "generated"})
	info := []domain.InformationImpact{domain.InfoPrivacy, domain.InfoPrivacy, domain.InfoNone, domain.InfoProprietary}[r.IntN(4)]
	add(after(2), domain.IncidentAssessed{FunctionalImpact: domain.FunctionalHigh, Recoverability: domain.RecoverExtended, InformationImpact: info,
		DerivedSeverity: domain.SeverityCritical, DerivedPriority: domain.P1, Severity: domain.SeverityCritical, Priority: domain.P1})
	if r.IntN(2) == 0 {
		var ets []domain.EntityType
		for _, e := range domain.EntityTypes() {
			if r.IntN(3) == 0 {
				ets = append(ets, e)
			}
		}
		add(after(4), domain.EntityProfiled{Establishments: pick([]string{"DE", "FR", "US", "IE"}, 2), Sectors: pick([]string{"banking", "digital-infrastructure", "health"}, 2),
			EntityTypes: ets, Controllers: pick([]string{"acme", "globex"}, 2)})
	}
	if r.IntN(2) == 0 {
		var counts []domain.AffectedCount
		for _, j := range pick([]string{"BR", "DE", "FR", "GB", "SG", "US-CA", "US-NY", "US-TX"}, 4) {
			counts = append(counts, domain.AffectedCount{Jurisdiction: j, Count: int64(r.IntN(2000))})
		}
		slices.SortFunc(counts, func(a, b domain.AffectedCount) int { return cmpString(a.Jurisdiction, b.Jurisdiction) })
		add(after(6), domain.AffectedRecorded{Counts: counts})
	}
	if r.IntN(3) > 0 {
		add(after(6), domain.ScopeRecorded{Customers: pick([]string{"contoso", "fabrikam"}, 2), Jurisdictions: pick([]string{"DE", "GB", "US-CA"}, 2), Subjects: int64(r.IntN(2000))})
	}
	for _, k := range domain.DeterminationKinds() {
		if r.IntN(3) == 0 {
			add(after(48), domain.DeterminationMade{Kind: k, Positive: r.IntN(4) > 0, Reasoning: "generated"})
		}
	}
	if r.IntN(2) == 0 {
		add(after(24), domain.RiskDetermined{Level: domain.RiskLevels()[r.IntN(3)], Reasoning: "generated"})
	}
	switch r.IntN(4) {
	case 0, 1:
		add(after(24), domain.IncidentClassified{Classification: domain.ClassPrivacyBreach, Reason: "generated"})
		if r.IntN(2) == 0 {
			add(after(30), domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "generated"})
		}
	case 2:
		add(after(24), domain.IncidentClassified{Classification: domain.ClassSecurityIncident, Reason: "generated"})
	default:
		add(after(24), domain.IncidentClassified{Classification: domain.ClassFalsePositive, RootCause: "generated"})
	}
	if r.IntN(4) == 0 {
		h := domain.HoldRecorded{Hold: "H1", Kind: []domain.HoldKind{domain.HoldLawEnforcement, domain.HoldSECAttorneyGeneral}[r.IntN(2)], Basis: "generated", Authority: "agency", Written: r.IntN(2) == 0}
		at := after(72)
		if r.IntN(2) == 0 {
			h.Until = at.Add(time.Duration(r.IntN(20*24)+1) * time.Hour)
		}
		add(at, h)
		if r.IntN(3) == 0 {
			add(at.Add(time.Duration(r.IntN(10*24)+1)*time.Hour), domain.HoldReleased{Hold: "H1", Reason: "generated"})
		}
	}
	if r.IntN(5) == 0 {
		at := after(48)
		add(at, domain.RequestOpened{Request: "R1", Kind: domain.RequestNotificationDelay, DelayReason: domain.DelayReasons()[r.IntN(len(domain.DelayReasons()))],
			Until: at.Add(time.Duration(r.IntN(10*24)+1) * time.Hour), Customers: pick([]string{"contoso", "fabrikam"}, 1), Details: "generated"})
		add(at.Add(time.Hour), domain.RequestApproved{Request: "R1", As: domain.RoleLegal})
		if r.IntN(4) > 0 {
			add(at.Add(2*time.Hour), domain.RequestApproved{Request: "R1", As: domain.RoleExecutiveIM})
		}
	}
	targets := []string{"gdpr-art33", "gdpr-art34", "uk-gdpr-art33", "nis2-early-warning", "nis2-notification", "dora-initial", "sec-8k-1.05",
		"hipaa-individuals", "hipaa-hhs", "ca-residents", "br-anpd", "sg-pdpc", "nydfs-500.17", "customer-notice/contoso"}
	kinds := []domain.RecipientKind{domain.RecipientAuthority, domain.RecipientRegulator, domain.RecipientDataSubjects, domain.RecipientSecurityContacts, domain.RecipientPublicFiling, domain.RecipientController}
	for i := r.IntN(6); i > 0; i-- {
		n := domain.NotificationSent{RecipientKind: kinds[r.IntN(len(kinds))], Recipient: "authority", Channel: domain.ChannelPortal, Phase: domain.Phases()[r.IntN(len(domain.Phases()))]}
		if n.RecipientKind.IsCustomer() {
			n.Customer = []string{"contoso", "fabrikam"}[r.IntN(2)]
		}
		if r.IntN(2) == 0 {
			n.Obligations = []string{targets[r.IntN(len(targets))]}
		}
		if r.IntN(2) == 0 {
			n.Jurisdiction = []string{"DE", "FR", "GB"}[r.IntN(3)]
		}
		add(after(24*20), n)
	}
	sort.SliceStable(evs[1:], func(i, j int) bool { return evs[1+i].at.Before(evs[1+j].at) })
	if r.IntN(4) == 0 {
		last := evs[len(evs)-1].at
		add(last.Add(time.Hour), domain.PostmortemCompleted{Summary: "generated", Location: "vault", SHA256: "00"})
		add(last.Add(2*time.Hour), domain.IncidentClosed{Summary: "generated"})
		if r.IntN(4) == 0 {
			add(last.Add(time.Duration(r.IntN(20*24)+3)*time.Hour), domain.IncidentReopened{Reason: "generated", Stage: domain.StageDiagnose})
		}
	}
	if r.IntN(6) == 0 {
		// A backdated fact, recorded last: its business time is early.
		add(after(3), domain.NoteAdded{Text: "recorded late"})
	}
	return evs
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// oracleFilters are the deadline filters compared: each CLI flag alone and
// in combination.
func oracleFilters(r *rand.Rand, ids []string) []projections.DeadlineFilter {
	regimes := [][]string{nil, {"GDPR"}, {"HIPAA"}, {"gdpr-art33"}, {"processor commitment", "NIS2"}, {"nis2"}, {"SEC", "California"}}
	statuses := [][]domain.Status{nil, {domain.StatusPending}, {domain.StatusDueSoon}, {domain.StatusOverdue}, {domain.StatusHeld}, {domain.StatusMet}, {domain.StatusWaived, domain.StatusMetLate}, {domain.StatusPending, domain.StatusHeld}}
	withins := []time.Duration{0, time.Hour, 24 * time.Hour, 72 * time.Hour, 30 * 24 * time.Hour}
	var out []projections.DeadlineFilter
	// Every flag alone.
	out = append(out, projections.DeadlineFilter{}, projections.DeadlineFilter{Open: true}, projections.DeadlineFilter{Overdue: true})
	for _, w := range withins[1:] {
		out = append(out, projections.DeadlineFilter{DueWithin: w})
	}
	for _, rg := range regimes[1:] {
		out = append(out, projections.DeadlineFilter{Regimes: rg})
	}
	for _, s := range statuses[1:] {
		out = append(out, projections.DeadlineFilter{Statuses: s})
	}
	out = append(out, projections.DeadlineFilter{Incident: ids[r.IntN(len(ids))]}, projections.DeadlineFilter{Incident: "NONE"})
	// Random combinations.
	for range 12 {
		f := projections.DeadlineFilter{Open: r.IntN(3) == 0, Overdue: r.IntN(4) == 0, DueWithin: withins[r.IntN(len(withins))],
			Regimes: regimes[r.IntN(len(regimes))], Statuses: statuses[r.IntN(len(statuses))]}
		if r.IntN(5) == 0 {
			f.Incident = ids[r.IntN(len(ids))]
		}
		out = append(out, f)
	}
	return out
}

// oracleInstants returns instants to compare at: around every due time and
// due-soon start of the rows the history gives at base, around holds'
// ends, at the latest facts, and at random.
func oracleInstants(r *rand.Rand, h *history.History, evs []genEvent, n int) []time.Time {
	base := evs[len(evs)-1].at
	var cands []time.Time
	for _, e := range evs {
		cands = append(cands, e.at, e.at.Add(-time.Nanosecond))
		if hr, ok := e.e.(domain.HoldRecorded); ok && !hr.Until.IsZero() {
			cands = append(cands, hr.Until, hr.Until.Add(-time.Nanosecond))
		}
		if q, ok := e.e.(domain.RequestOpened); ok {
			cands = append(cands, q.Until, q.Until.Add(-time.Nanosecond))
		}
	}
	// The edges where a status or a filter's range changes: a due time
	// itself and a nanosecond either side (overdue starts just after it),
	// and a due time less each due-soon window and each --due-within.
	var edges []time.Time
	for _, at := range []time.Time{evs[0].at, base, base.Add(90 * 24 * time.Hour)} {
		for _, d := range projections.Deadlines(h, domain.Cut{AsOf: at}, projections.DeadlineFilter{}).Deadlines {
			edges = append(edges, d.DueAt, d.DueAt.Add(time.Nanosecond), d.DueAt.Add(-time.Nanosecond))
			for _, off := range []time.Duration{-time.Hour, -12 * time.Hour, -24 * time.Hour, -36 * time.Hour, -48 * time.Hour, -72 * time.Hour, -30 * 24 * time.Hour} {
				cands = append(cands, d.DueAt.Add(off))
			}
		}
	}
	span := base.Sub(evs[0].at) + 40*24*time.Hour
	out := []time.Time{evs[0].at.Add(-24 * time.Hour), base, base.Add(365 * 24 * time.Hour)}
	for len(out) < n {
		if len(edges) > 0 && r.IntN(2) == 0 {
			out = append(out, edges[r.IntN(len(edges))])
			continue
		}
		if r.IntN(3) == 0 {
			out = append(out, evs[0].at.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Second))
		} else {
			out = append(out, cands[r.IntN(len(cands))])
		}
	}
	return out
}

func runOracle(t *testing.T, seed uint64, incidents int) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 22))
	start := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	evs := oracleLedger(r, incidents, start)
	var ids []string
	for i := range incidents {
		ids = append(ids, fmt.Sprintf("INC-%04d", i))
	}
	f := newFixture(t)
	k := openKept(t, f.st, f.path)
	// Append in chunks, each caught up at a random instant, with reads that
	// keep what they evaluate again (as the CLI's and the server's do).
	chunks := 4
	per := (len(evs) + chunks - 1) / chunks
	for c := range chunks {
		part := evs[min(c*per, len(evs)):min((c+1)*per, len(evs))]
		appendGen(t, f, part)
		now := start.Add(time.Duration(r.Int64N(int64(90 * 24 * time.Hour))))
		if _, err := k.CatchUp(ctx, now); err != nil {
			t.Fatalf("seed %d: catch up at %s: %v", seed, now, err)
		}
		for range 3 {
			at := start.Add(time.Duration(r.Int64N(int64(90 * 24 * time.Hour))))
			if _, err := k.Deadlines(ctx, at, projections.DeadlineFilter{DueWithin: 24 * time.Hour}, readmodel.Page{}, true); err != nil {
				t.Fatalf("seed %d: persisting read at %s: %v", seed, at, err)
			}
			if _, err := k.List(ctx, at, true, readmodel.Page{}, true); err != nil {
				t.Fatalf("seed %d: persisting list at %s: %v", seed, at, err)
			}
		}
		if c == chunks/2-1 || c == chunks-1 {
			compareOracle(t, seed, r, k, f.st, evs[:min((c+1)*per, len(evs))], ids)
		}
	}
	if tampered := k.Tampered(); len(tampered) > 0 {
		t.Errorf("seed %d: the kept views were found tampered with: %v", seed, tampered)
	}
}

// appendGen appends generated events one at a time, as the write path would.
func appendGen(t *testing.T, f *fixture, evs []genEvent) {
	t.Helper()
	for _, g := range evs {
		typ, payload, err := domain.Encode(g.e)
		if err != nil {
			t.Fatal(err)
		}
		rec := eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: g.stream, Type: typ, OccurredAt: g.at, Actor: "oscar", Payload: payload}
		if _, err := f.st.Append(context.Background(), g.stream, eventstore.After(f.revs[g.stream]), []eventstore.Record{rec}); err != nil {
			t.Fatalf("append %s %T: %v", g.stream, g.e, err)
		}
		f.revs[g.stream]++
	}
}

func compareOracle(t *testing.T, seed uint64, r *rand.Rand, k *readmodel.Kept, st eventstore.Store, evs []genEvent, ids []string) {
	t.Helper()
	ctx := context.Background()
	h := readHistory(t, st)
	filters := oracleFilters(r, ids)
	for _, asOf := range oracleInstants(r, h, evs, 12) {
		cut := domain.Cut{AsOf: asOf}
		for _, flt := range filters {
			want := projections.Deadlines(h, cut, flt)
			limit := []int{0, 0, 0, 40}[r.IntN(4)] // paging at a past instant folds the later incidents again on every page
			got, err := keptDeadlinePages(ctx, k, asOf, flt, limit)
			if err != nil {
				t.Fatalf("seed %d: deadlines as of %s, filter %+v: %v", seed, asOf.Format(time.RFC3339Nano), flt, err)
			}
			if diff := cmp.Diff(jsonRows(t, want.Deadlines), got.rows); diff != "" {
				t.Errorf("seed %d: deadlines as of %s, filter %+v, limit %d: rows differ (-projection +kept):\n%s", seed, asOf.Format(time.RFC3339Nano), flt, limit, diff)
			}
			if diff := cmp.Diff(jsonRows(t, want.FactsNeeded), got.needs); diff != "" {
				t.Errorf("seed %d: deadlines as of %s, filter %+v: facts needed differ (-projection +kept):\n%s", seed, asOf.Format(time.RFC3339Nano), flt, diff)
			}
			if got.alert != want.Alert {
				t.Errorf("seed %d: deadlines as of %s, filter %+v: alert %v, want %v", seed, asOf.Format(time.RFC3339Nano), flt, got.alert, want.Alert)
			}
		}
		for _, open := range []bool{false, true} {
			want := jsonRows(t, projections.List(h, cut, open).Incidents)
			limit := []int{0, 0, 37}[r.IntN(3)]
			var got []string
			page := readmodel.Page{Limit: limit}
			for {
				p, err := k.List(ctx, asOf, open, page, false)
				if err != nil {
					t.Fatalf("seed %d: list as of %s: %v", seed, asOf, err)
				}
				for _, x := range p.Incidents {
					got = append(got, string(x))
				}
				if p.Next == "" {
					break
				}
				page.After = p.Next
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("seed %d: list (open %v) as of %s, limit %d: rows differ (-projection +kept):\n%s", seed, open, asOf.Format(time.RFC3339Nano), limit, diff)
			}
		}
		want := jsonRows(t, projections.BuildRegister(h, cut, history.Provenance{}, "json").Entries)
		var got []string
		page := readmodel.Page{Limit: []int{0, 0, 9}[r.IntN(3)]}
		for {
			p, err := k.Register(ctx, asOf, page, false)
			if err != nil {
				t.Fatalf("seed %d: register as of %s: %v", seed, asOf, err)
			}
			for _, x := range p.Entries {
				got = append(got, string(x))
			}
			if p.Next == "" {
				break
			}
			page.After = p.Next
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("seed %d: register as of %s: entries differ (-projection +kept):\n%s", seed, asOf.Format(time.RFC3339Nano), diff)
		}
	}
}

// keptPages is a kept deadline view read page by page.
type keptPages struct {
	rows, needs []string
	alert       bool
}

func keptDeadlinePages(ctx context.Context, k *readmodel.Kept, asOf time.Time, flt projections.DeadlineFilter, limit int) (keptPages, error) {
	var out keptPages
	page := readmodel.Page{Limit: limit}
	for {
		p, err := k.Deadlines(ctx, asOf, flt, page, false)
		if err != nil {
			return out, err
		}
		for _, x := range p.Deadlines {
			out.rows = append(out.rows, string(x))
		}
		for _, x := range p.FactsNeeded {
			out.needs = append(out.needs, string(x))
		}
		out.alert = out.alert || p.Alert
		if p.Next == "" {
			return out, nil
		}
		page.After = p.Next
	}
}

// jsonRows marshals each row as the kept views store it.
func jsonRows[T any](t *testing.T, rows []T) []string {
	t.Helper()
	var out []string
	for _, x := range rows {
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}
