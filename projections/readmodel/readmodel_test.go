package readmodel_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/projections/readmodel"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture is a SQLite ledger that events are appended to one at a time.
type fixture struct {
	t    *testing.T
	path string
	st   *sqlite.Store
	revs map[string]uint64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &fixture{t: t, path: path, st: st, revs: map[string]uint64{}}
}

// add appends one event, as the write path would, and returns its ID.
func (f *fixture) add(stream, when, actor string, e domain.Event) string {
	f.t.Helper()
	typ, payload, err := domain.Encode(e)
	if err != nil {
		f.t.Fatal(err)
	}
	id := uuid.Must(uuid.NewV7())
	rec := eventstore.Record{ID: id, Stream: stream, Type: typ, OccurredAt: at(when), Actor: actor, Payload: payload}
	if _, err := f.st.Append(context.Background(), stream, eventstore.After(f.revs[stream]), []eventstore.Record{rec}); err != nil {
		f.t.Fatal(err)
	}
	f.revs[stream]++
	return id.String()
}

// steps are the events of three incidents, interleaved: A, a privacy
// breach of two customers, declared, notified partly late, its awareness
// corrected earlier; B, a false positive closed early; C, a breach unlikely
// to result in a risk, never notified; and a change of the due-soon window.
func steps(f *fixture) []func() {
	a, b, c := domain.IncidentStream("A"), domain.IncidentStream("B"), domain.IncidentStream("C")
	var detA string
	pin := domain.PackPinned{Version: domain.CurrentPack().Version, Reason: "test"}
	return []func(){
		func() {
			f.add(domain.LedgerStream, "2025-01-01T00:00:00Z", "admin", domain.LedgerInitialized{Name: "t", Admin: "admin"})
		},
		func() {
			detA = f.add(a, "2025-03-07T21:40:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "bulk read", AwareAt: at("2025-03-07T23:30:00Z"), Role: domain.RoleBoth})
		},
		func() { f.add(a, "2025-03-07T21:40:00Z", "oscar", pin) },
		func() {
			f.add(b, "2025-03-08T08:00:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceRedBlueTeam, Summary: "port scan", AwareAt: at("2025-03-08T08:00:00Z"), Role: domain.RoleBoth})
		},
		func() {
			f.add(a, "2025-03-07T22:30:00Z", "oscar", domain.IncidentAssessed{FunctionalImpact: domain.FunctionalMedium, Recoverability: domain.RecoverExtended, InformationImpact: domain.InfoPrivacy, DerivedSeverity: domain.SeverityHigh, DerivedPriority: domain.P1, Severity: domain.SeverityHigh, Priority: domain.P1})
		},
		func() {
			f.add(b, "2025-03-08T08:20:00Z", "sam", domain.IncidentClassified{Classification: domain.ClassFalsePositive, RootCause: "red team"})
		},
		func() {
			f.add(b, "2025-03-08T08:30:00Z", "ian", domain.StageChanged{From: domain.StageDetect, To: domain.StageClose})
		},
		func() { f.add(b, "2025-03-08T08:30:00Z", "ian", domain.IncidentClosed{}) },
		func() {
			f.add(a, "2025-03-08T09:00:00Z", "sam", domain.IncidentClassified{Classification: domain.ClassPrivacyBreach})
		},
		func() {
			f.add(a, "2025-03-08T12:00:00Z", "sam", domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam"}, Subjects: 1200, Jurisdictions: []string{"DE"}})
		},
		func() {
			f.add(c, "2025-03-08T13:00:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceCustomerReport, Summary: "laptop lost", AwareAt: at("2025-03-08T13:00:00Z"), Role: domain.RoleController})
		},
		func() {
			f.add(c, "2025-03-08T13:10:00Z", "sam", domain.IncidentClassified{Classification: domain.ClassPrivacyBreach, Reason: "HR data on the laptop"})
		},
		func() {
			f.add(c, "2025-03-08T14:00:00Z", "ivy", domain.RiskDetermined{Level: domain.RiskUnlikely, Reasoning: "full-disk encryption, key not on the device"})
		},
		func() {
			f.add(a, "2025-03-08T15:00:00Z", "ivy", domain.RiskDetermined{Level: domain.RiskHigh, Reasoning: "contact data"})
		},
		func() {
			f.add(a, "2025-03-09T10:00:00Z", "ivy", domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "logs"})
		},
		func() {
			f.add(a, "2025-03-09T11:00:00Z", "oscar", domain.EventCorrected{Target: detA, TargetType: "IncidentDetected", At: at("2025-03-07T21:40:00Z"),
				Replacement: domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "bulk read", AwareAt: at("2025-03-07T22:15:00Z"), Role: domain.RoleBoth},
				Changed:     []string{"aware_at"}, Reason: "SOC ticket"})
		},
		func() {
			f.add(domain.LedgerStream, "2025-03-09T12:00:00Z", "admin", domain.SettingChanged{Key: "due-soon-window", Value: "36h"})
		},
		func() {
			f.add(a, "2025-03-10T20:00:00Z", "ian", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "CNIL", Channel: domain.ChannelPortal, Phase: domain.PhaseInitial,
				Art33Items: []domain.Art33Item{domain.Art33Nature, domain.Art33Contact}})
		},
		func() {
			f.add(a, "2025-03-12T11:00:00Z", "ian", domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Customer: "contoso", Recipient: "secops", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial, DelayReason: "late"})
		},
	}
}

// asOfs are the instants the views are compared at: before, between and
// after the clocks move.
var asOfs = []string{"2025-03-08T00:00:00Z", "2025-03-09T10:30:00Z", "2025-03-10T23:00:00Z", "2025-03-12T12:00:00Z", "2025-06-01T00:00:00Z"}

func readHistory(t *testing.T, st eventstore.Store) *history.History {
	t.Helper()
	h, err := ledger.ReadHistory(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// reference returns the digests of the kept projections rebuilt from the
// history, as replay computes them.
func reference(t *testing.T, h *history.History, asOf time.Time) []projections.Digest {
	t.Helper()
	ds, err := projections.Digests(h, domain.Cut{AsOf: asOf}, history.Provenance{})
	if err != nil {
		t.Fatal(err)
	}
	return ds[:3] // incidents, deadlines, register
}

func openKept(t *testing.T, st eventstore.Store, path string) *readmodel.Kept {
	t.Helper()
	k, err := readmodel.Open(context.Background(), st, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// Caught up one event at a time, with each catch-up evaluating at another
// instant, the kept projections give the same digests as the projections
// rebuilt from the history, at every instant compared; so does a kept set
// rebuilt from scratch into a cache file.
func TestIncrementalEqualsReplay(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k := openKept(t, f.st, f.path)
	for i, step := range steps(f) {
		step()
		// The catch-up instant walks through the clocks.
		now := at("2025-03-07T22:00:00Z").Add(time.Duration(i) * 7 * time.Hour)
		p, err := k.CatchUp(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if p.To != uint64(i+1) {
			t.Fatalf("step %d: caught up to %d, want %d", i, p.To, i+1)
		}
	}
	h := readHistory(t, f.st)
	rebuilt := openKept(t, f.st, filepath.Join(t.TempDir(), "cache.db"))
	if _, err := rebuilt.CatchUp(ctx, at("2025-04-01T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	for _, s := range asOfs {
		want := reference(t, h, at(s))
		for name, kk := range map[string]*readmodel.Kept{"incremental": k, "rebuilt": rebuilt} {
			got, err := kk.Digests(ctx, at(s))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s as of %s: digests differ from the replay (-replay +kept):\n%s", name, s, diff)
			}
		}
	}
	// Worked by hand: as of 2025-03-12T12:00Z, A's Art. 33 notice (due
	// 22:15 on the 10th after the correction) was met, contoso's notice met
	// late, fabrikam's overdue; B closed; C registered, never notified.
	dl, err := k.Deadlines(ctx, at("2025-03-12T12:00:00Z"), projections.DeadlineFilter{Overdue: true}, readmodel.Page{}, false)
	if err != nil {
		t.Fatal(err)
	}
	var rows []projections.DeadlineRow
	for _, r := range dl.Deadlines {
		var row projections.DeadlineRow
		if err := json.Unmarshal(r, &row); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	// A's Art. 34 communication: high risk 2025-03-08T15:00Z + the 72h target.
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s %s %s", r.Incident, r.ID, r.DueAt.Format(time.RFC3339)))
	}
	if want := "[A gdpr-art34 2025-03-11T15:00:00Z A customer-notice/fabrikam 2025-03-12T10:00:00Z]"; fmt.Sprint(got) != want || !dl.Alert {
		t.Errorf("overdue as of 2025-03-12T12:00Z = %v (alert %v), want %s", got, dl.Alert, want)
	}
	rg, err := k.Register(ctx, at("2025-04-01T00:00:00Z"), readmodel.Page{}, false)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rg.Entries {
		var e projections.RegisterEntry
		if err := json.Unmarshal(r, &e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.Incident+":"+e.Notified)
	}
	if got, want := strings.Join(ids, " "), "A:supervisory authority, customers C:not notified"; got != want {
		t.Errorf("register = %s, want %s", got, want)
	}
}

// Every CLI filter, and paging one row at a time, give the rows the
// history's deadline view gives.
func TestDeadlinesMatchHistory(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, step := range steps(f) {
		step()
	}
	k := openKept(t, f.st, f.path)
	if _, err := k.CatchUp(ctx, at("2025-03-10T23:00:00Z")); err != nil {
		t.Fatal(err)
	}
	h := readHistory(t, f.st)
	filters := []projections.DeadlineFilter{
		{}, {Open: true}, {Overdue: true}, {DueWithin: 24 * time.Hour}, {DueWithin: 72 * time.Hour, Regimes: []string{"GDPR"}},
		{Incident: "A"}, {Incident: "C", Open: true}, {Regimes: []string{"processor commitment"}},
	}
	for _, s := range asOfs {
		for _, flt := range filters {
			want := projections.Deadlines(h, domain.Cut{AsOf: at(s)}, flt)
			var wantRows []string
			for _, r := range want.Deadlines {
				b, _ := json.Marshal(r)
				wantRows = append(wantRows, string(b))
			}
			for _, limit := range []int{0, 1, 2} {
				var got []string
				alert := false
				page := readmodel.Page{Limit: limit}
				for n := 0; ; n++ {
					p, err := k.Deadlines(ctx, at(s), flt, page, false)
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range p.Deadlines {
						got = append(got, string(r))
					}
					alert = alert || p.Alert
					if p.Next == "" || n > 50 {
						break
					}
					page.After = p.Next
				}
				if diff := cmp.Diff(wantRows, got); diff != "" {
					t.Errorf("as of %s, filter %+v, limit %d: rows differ (-history +kept):\n%s", s, flt, limit, diff)
				}
				if alert != want.Alert {
					t.Errorf("as of %s, filter %+v, limit %d: alert %v, want %v", s, flt, limit, alert, want.Alert)
				}
			}
		}
	}
	if _, err := k.Deadlines(ctx, at(asOfs[0]), projections.DeadlineFilter{Pack: "2026.1"}, readmodel.Page{}, false); err != readmodel.ErrUnsupported {
		t.Errorf("a pack reading = %v, want ErrUnsupported", err)
	}
}

// A read at an instant past a kept incident's window folds it again; with
// persist it keeps the new evaluation, so the next read uses it.
func TestStaleRowsAreEvaluatedAgain(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, step := range steps(f)[:15] { // up to A's declaration
		step()
	}
	k := openKept(t, f.st, f.path)
	if _, err := k.CatchUp(ctx, at("2025-03-09T12:00:00Z")); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, f.path)
	evalAt := func() int64 {
		rows, err := readmodel.ReadKept(db, "rm_incidents", "incident = 'A'")
		if err != nil || len(rows) != 1 {
			t.Fatal(rows, err)
		}
		return rows[0]["eval_at"].(int64)
	}
	before := evalAt()
	// At 2025-03-11T00:00Z A's Art. 33 notice (due 2025-03-10T23:30Z, the
	// correction is not yet recorded) is overdue: the kept rows (pending)
	// no longer hold.
	later := at("2025-03-11T00:00:00Z")
	p, err := k.Deadlines(ctx, later, projections.DeadlineFilter{Incident: "A", Overdue: true}, readmodel.Page{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Deadlines) != 1 || !bytes.Contains(p.Deadlines[0], []byte(`"obligation":"gdpr-art33"`)) || !bytes.Contains(p.Deadlines[0], []byte(`"due_at":"2025-03-10T23:30:00Z"`)) {
		t.Fatalf("overdue at %s = %s", later, p.Deadlines)
	}
	if got := evalAt(); got != later.UnixNano() || got == before {
		t.Errorf("eval_at = %d, want %d (the read kept the new evaluation)", got, later.UnixNano())
	}
	rows, err := readmodel.ReadKept(db, "rm_deadlines", "incident = 'A'")
	if err != nil {
		t.Fatal(err)
	}
	var status any
	for _, v := range rows {
		if v["obligation"] == "gdpr-art33" {
			status = v["status"]
		}
	}
	if status != "overdue" {
		t.Errorf("kept status = %v; want overdue", status)
	}
}

// The read models live in tables of their own: the events table and the
// store's schema version are untouched, and the store opens the file as
// before. Kept models of another ledger are dropped.
func TestTablesApart(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, step := range steps(f) {
		step()
	}
	db := rawDB(t, f.path)
	events := func() string {
		var b strings.Builder
		for _, q := range []string{
			`SELECT seq, hex(event_id), stream, revision, type, occurred_at, actor, hex(payload), recorded_at FROM events ORDER BY seq`,
			`SELECT type, name, coalesce(sql, '') FROM sqlite_schema WHERE tbl_name NOT LIKE 'rm\_%' ESCAPE '\' ORDER BY name`,
			`PRAGMA user_version`, `PRAGMA application_id`,
		} {
			rows, err := db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				fmt.Fprintln(&b, vals...)
			}
			rows.Close()
		}
		return b.String()
	}
	before := events()
	k := openKept(t, f.st, f.path)
	if _, err := k.CatchUp(ctx, at("2025-04-01T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, events()); diff != "" {
		t.Errorf("keeping the read models changed the ledger's own tables:\n%s", diff)
	}
	again, err := sqlite.Open(ctx, f.path, sqlite.Options{})
	if err != nil {
		t.Fatalf("the store no longer opens its file: %v", err)
	}
	again.Close()

	// The same file names another ledger's models: they are dropped.
	other := newFixture(t)
	other.add(domain.LedgerStream, "2025-01-01T00:00:00Z", "admin", domain.LedgerInitialized{Name: "other", Admin: "admin"})
	cache := filepath.Join(t.TempDir(), "cache.db")
	k1 := openKept(t, f.st, cache)
	if _, err := k1.CatchUp(ctx, at("2025-04-01T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	k1.Close()
	k2 := openKept(t, other.st, cache)
	if k2.Position() != 0 {
		t.Errorf("position %d in a cache of another ledger, want 0", k2.Position())
	}
	l, err := k2.List(ctx, at("2025-04-01T00:00:00Z"), false, readmodel.Page{}, false)
	if err != nil || len(l.Incidents) != 0 {
		t.Errorf("another ledger's incidents survived: %d, %v", len(l.Incidents), err)
	}
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The list pages by the incidents' first events.
func TestListPages(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, step := range steps(f) {
		step()
	}
	k := openKept(t, f.st, f.path)
	if _, err := k.CatchUp(ctx, at("2025-04-01T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	var ids []string
	page := readmodel.Page{Limit: 1}
	for i := 0; i < 10; i++ {
		p, err := k.List(ctx, at("2025-04-01T00:00:00Z"), false, page, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Incidents {
			var e projections.ListEntry
			if err := json.Unmarshal(r, &e); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, e.ID)
		}
		if p.Next == "" {
			break
		}
		page.After = p.Next
	}
	if got := fmt.Sprint(ids); got != "[A B C]" {
		t.Errorf("paged list = %s, want [A B C]", got)
	}
	open, err := k.List(ctx, at("2025-04-01T00:00:00Z"), true, readmodel.Page{}, false)
	if err != nil || len(open.Incidents) != 2 {
		t.Errorf("open incidents = %d, %v; want 2 (B is closed)", len(open.Incidents), err)
	}
	if _, err := k.List(ctx, at("2025-04-01T00:00:00Z"), false, readmodel.Page{After: "x"}, false); err == nil {
		t.Errorf("a bad cursor was accepted")
	}
}
