package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/httpapi"
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

// The secrets of the test tokens; the ledger holds their SHA-256 only.
const (
	goodToken    = "blt_good-token-for-the-tests"
	revokedToken = "blt_revoked-token"
	expiredToken = "blt_expired-token"
)

func hash(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}

type env struct {
	t    *testing.T
	now  time.Time // the server's clock: fixed, just after the events were recorded
	st   eventstore.Store
	srv  *httpapi.Server
	url  string
	revs map[string]uint64
	logs *strings.Builder
}

func (e *env) add(stream, when, actor string, ev domain.Event) string {
	e.t.Helper()
	typ, payload, err := domain.Encode(ev)
	if err != nil {
		e.t.Fatal(err)
	}
	id := uuid.Must(uuid.NewV7())
	rec := eventstore.Record{ID: id, Stream: stream, Type: typ, OccurredAt: at(when), Actor: actor, Payload: payload}
	if _, err := e.st.Append(context.Background(), stream, eventstore.After(e.revs[stream]), []eventstore.Record{rec}); err != nil {
		e.t.Fatal(err)
	}
	e.revs[stream]++
	return id.String()
}

// newEnv serves a ledger of two incidents: A, a declared privacy breach of
// two customers with fabrikam's notice overdue as of now; B, a false
// positive, closed. The server's clock is the real one (the store records
// when events are appended), so every clock of A has run out. Three tokens: one good, one revoked, one expired.
func newEnv(t *testing.T) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, revs: map[string]uint64{}, logs: &strings.Builder{}}
	a, b := domain.IncidentStream("A"), domain.IncidentStream("B")
	e.add(domain.LedgerStream, "2025-01-01T00:00:00Z", "admin", domain.LedgerInitialized{Name: "HTTP test", Admin: "admin"})
	e.add(domain.LedgerStream, "2025-01-01T00:01:00Z", "admin", domain.APITokenIssued{Token: "T1", Name: "grc", SHA256: hash(goodToken)})
	e.add(domain.LedgerStream, "2025-01-01T00:02:00Z", "admin", domain.APITokenIssued{Token: "T2", Name: "old", SHA256: hash(revokedToken)})
	e.add(domain.LedgerStream, "2025-01-01T00:03:00Z", "admin", domain.APITokenRevoked{Token: "T2", Reason: "retired"})
	e.add(domain.LedgerStream, "2025-01-01T00:04:00Z", "admin", domain.APITokenIssued{Token: "T3", Name: "trial", SHA256: hash(expiredToken), ExpiresAt: at("2025-02-01T00:00:00Z")})
	e.add(a, "2025-03-07T21:40:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: "bulk read", AwareAt: at("2025-03-07T22:15:00Z"), Role: domain.RoleBoth})
	e.add(a, "2025-03-07T22:30:00Z", "oscar", domain.IncidentAssessed{FunctionalImpact: domain.FunctionalMedium, Recoverability: domain.RecoverExtended, InformationImpact: domain.InfoPrivacy, DerivedSeverity: domain.SeverityHigh, DerivedPriority: domain.P1, Severity: domain.SeverityHigh, Priority: domain.P1})
	e.add(b, "2025-03-08T08:00:00Z", "oscar", domain.IncidentDetected{Source: domain.SourceRedBlueTeam, Summary: "port scan", AwareAt: at("2025-03-08T08:00:00Z"), Role: domain.RoleBoth})
	e.add(b, "2025-03-08T08:20:00Z", "sam", domain.IncidentClassified{Classification: domain.ClassFalsePositive, RootCause: "red team"})
	e.add(b, "2025-03-08T08:30:00Z", "ian", domain.StageChanged{From: domain.StageDetect, To: domain.StageClose})
	e.add(b, "2025-03-08T08:30:00Z", "ian", domain.IncidentClosed{})
	e.add(a, "2025-03-08T09:00:00Z", "sam", domain.IncidentClassified{Classification: domain.ClassPrivacyBreach})
	e.add(a, "2025-03-08T12:00:00Z", "sam", domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam"}, Subjects: 1200})
	e.add(a, "2025-03-09T10:00:00Z", "ivy", domain.CRSPIDeclared{Basis: domain.BasisEvidence, Reasoning: "logs"})
	e.add(a, "2025-03-10T20:00:00Z", "ian", domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "CNIL", Channel: domain.ChannelPortal, Phase: domain.PhaseInitial,
		Art33Items: []domain.Art33Item{domain.Art33Nature, domain.Art33Contact, domain.Art33Consequences}})
	e.add(a, "2025-03-12T11:00:00Z", "ian", domain.NotificationSent{RecipientKind: domain.RecipientSecurityContacts, Customer: "contoso", Recipient: "secops", Channel: domain.ChannelEmail, Phase: domain.PhaseInitial, DelayReason: "late"})
	e.serve(st)
	return e
}

func (e *env) serve(st eventstore.Store) {
	kept, err := readmodel.Open(context.Background(), e.st, filepath.Join(e.t.TempDir(), "kept.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { kept.Close() })
	e.now = time.Now().UTC()
	e.srv = &httpapi.Server{Store: st, Kept: kept, Now: func() time.Time { return e.now }}
	ts := httptest.NewServer(e.srv.Handler())
	e.t.Cleanup(ts.Close)
	e.url = ts.URL
}

// get fetches a path with a token ("" for none) and returns the response
// and its body.
func (e *env) do(method, path, token string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, body
}

// ok fetches a path that must answer 200 with JSON, decoded into v.
func (e *env) ok(path string, v any) []byte {
	e.t.Helper()
	resp, body := e.do("GET", path, goodToken)
	if resp.StatusCode != 200 {
		e.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if v != nil {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			e.t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		if err := json.Unmarshal(body, v); err != nil {
			e.t.Fatalf("GET %s: %v\n%s", path, err, body)
		}
	}
	return body
}

func (e *env) history() *history.History {
	e.t.Helper()
	h, err := ledger.ReadHistory(context.Background(), e.st)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// endpoints is every authenticated endpoint, with a valid query.
var endpoints = []string{
	"/v1/position",
	"/v1/incidents",
	"/v1/incidents/A",
	"/v1/incidents/A/timeline",
	"/v1/incidents/A/report",
	"/v1/deadlines",
	"/v1/register",
	"/v1/reports/period?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
	"/v1/events",
}

type deadlines struct {
	AsOf      time.Time                 `json:"as_of"`
	Deadlines []projections.DeadlineRow `json:"deadlines"`
	Alert     bool                      `json:"alert"`
	Next      string                    `json:"next_cursor"`
}

func ids(rows []projections.DeadlineRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %s %s", r.Incident, r.ID, r.Status))
	}
	return out
}

// Every endpoint answers JSON with the values the projections give.
func TestEndpointsJSON(t *testing.T) {
	e := newEnv(t)
	h := e.history()
	cut := domain.Cut{AsOf: e.now, KnownAt: e.now}

	var pos struct {
		Ledger     string `json:"ledger"`
		Head, Kept uint64
	}
	e.ok("/v1/position", &pos)
	if pos.Ledger != "HTTP test" || pos.Head != 16 || pos.Kept != 16 {
		t.Errorf("position = %+v, want ledger \"HTTP test\", head 16, kept 16", pos)
	}

	var list struct {
		Incidents []projections.ListEntry `json:"incidents"`
	}
	e.ok("/v1/incidents", &list)
	if diff := cmp.Diff(jsonOf(t, projections.List(h, cut, false).Incidents), jsonOf(t, list.Incidents)); diff != "" {
		t.Errorf("/v1/incidents differs from the list (-want +got):\n%s", diff)
	}
	e.ok("/v1/incidents?open=true", &list)
	if len(list.Incidents) != 1 || list.Incidents[0].ID != "A" || list.Incidents[0].NextDeadline == nil || list.Incidents[0].NextDeadline.ID != "customer-notice/fabrikam" {
		t.Errorf("open incidents = %+v", list.Incidents)
	}

	var show projections.IncidentView
	e.ok("/v1/incidents/A", &show)
	if show.ID != "A" || show.Stage != domain.StageDetect || len(show.Obligations) != 3 {
		t.Errorf("/v1/incidents/A = id %s stage %s, %d obligations; want A, detect, 3", show.ID, show.Stage, len(show.Obligations))
	}
	var tl projections.Timeline
	e.ok("/v1/incidents/A/timeline", &tl)
	if len(tl.Entries) != 7 || tl.Entries[0].Kind != "detected" {
		t.Errorf("timeline has %d entries, want 7 starting with the detection", len(tl.Entries))
	}

	var rep projections.IncidentReport
	e.ok("/v1/incidents/A/report", &rep)
	// This store keeps checkpoints but none was signed: the report is built
	// from every event, and says so.
	if rep.Incident != "A" || rep.Integrity.TreeSize != 16 || rep.Integrity.Signed || len(rep.Integrity.Root) != 44 {
		t.Errorf("report integrity = %+v", rep.Integrity)
	}
	if n := rep.Notices[0]; n.To != domain.RecipientAuthority || n.Verdict != projections.VerdictIncomplete || n.Checks[3].Status != projections.ContentMissing {
		t.Errorf("the CNIL notice carried 3 of the 4 Art. 33(3) items: verdict %q, checks %+v", n.Verdict, n.Checks)
	}
	for format, ct := range map[string]string{"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8"} {
		resp, body := e.do("GET", "/v1/incidents/A/report?format="+format, goodToken)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ct || !strings.Contains(string(body), "customer-notice/fabrikam") {
			t.Errorf("report as %s: %d %q", format, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}

	// Deadlines with the CLI's filters, against the history's view.
	for _, q := range []struct {
		query  string
		filter projections.DeadlineFilter
	}{
		{"", projections.DeadlineFilter{}},
		{"?overdue=true", projections.DeadlineFilter{Overdue: true}},
		{"?open=true", projections.DeadlineFilter{Open: true}},
		{"?due_within=24h", projections.DeadlineFilter{DueWithin: 24 * time.Hour}},
		{"?regime=GDPR", projections.DeadlineFilter{Regimes: []string{"GDPR"}}},
		{"?status=met&status=overdue", projections.DeadlineFilter{Statuses: []domain.Status{domain.StatusMet, domain.StatusOverdue}}},
		{"?incident=B", projections.DeadlineFilter{Incident: "B"}},
		{"?pack=2026.1&overdue=true", projections.DeadlineFilter{Pack: "2026.1", Overdue: true}},
	} {
		var d deadlines
		e.ok("/v1/deadlines"+q.query, &d)
		want := projections.Deadlines(h, cut, q.filter)
		if diff := cmp.Diff(ids(want.Deadlines), ids(d.Deadlines)); diff != "" || d.Alert != want.Alert {
			t.Errorf("/v1/deadlines%s (alert %v, want %v):\n%s", q.query, d.Alert, want.Alert, diff)
		}
	}
	// Worked by hand: fabrikam's notice (declared 2025-03-09T10:00Z + 72h)
	// is overdue; contoso's was met late; the Art. 33 notice was met.
	var d deadlines
	e.ok("/v1/deadlines?overdue=true", &d)
	if got := fmt.Sprint(ids(d.Deadlines)); got != "[A customer-notice/fabrikam overdue]" || !d.Alert || !d.Deadlines[0].DueAt.Equal(at("2025-03-12T10:00:00Z")) {
		t.Errorf("overdue = %s (alert %v)", got, d.Alert)
	}
	// A past view is rebuilt from the log.
	e.ok("/v1/deadlines?as_of=2025-03-10T00:00:00Z&due_within=24h", &d)
	if got := fmt.Sprint(ids(d.Deadlines)); got != "[A gdpr-art33 due-soon]" || !d.AsOf.Equal(at("2025-03-10T00:00:00Z")) {
		t.Errorf("due within 24h as of 2025-03-10T00:00Z = %s", got)
	}

	var reg struct {
		Entries []projections.RegisterEntry `json:"entries"`
	}
	e.ok("/v1/register", &reg)
	if len(reg.Entries) != 1 || reg.Entries[0].Incident != "A" || reg.Entries[0].Notified != "supervisory authority, customers" {
		t.Errorf("register = %+v, want A only (B was never about personal data)", reg.Entries)
	}
	// The same shape when the register is rebuilt from the log for a past time.
	var past struct {
		AsOf    time.Time                   `json:"as_of"`
		Entries []projections.RegisterEntry `json:"entries"`
	}
	e.ok("/v1/register?as_of=2025-03-08T10:00:00Z", &past)
	if len(past.Entries) != 1 || past.Entries[0].Notified != "not notified" || !past.AsOf.Equal(at("2025-03-08T10:00:00Z")) {
		t.Errorf("register as of 2025-03-08T10:00Z = %+v", past)
	}
	if resp, body := e.do("GET", "/v1/register?format=csv", goodToken); resp.StatusCode != 200 || !strings.HasPrefix(string(body), "incident,status,") {
		t.Errorf("register as CSV: %d %.60s", resp.StatusCode, body)
	}

	var period projections.PeriodReport
	e.ok("/v1/reports/period?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", &period)
	if period.Incidents != 2 || period.DetectionToDeclaration.N != 1 || period.DetectionToDeclaration.Median != "1d12h20m" {
		t.Errorf("period: %d incidents, detection to declaration %+v", period.Incidents, period.DetectionToDeclaration)
	}

	var ev struct {
		From, Next, Head uint64
		Events           []struct {
			Seq  uint64 `json:"seq"`
			Type string `json:"type"`
		}
	}
	e.ok("/v1/events?from=5&limit=2", &ev)
	if ev.From != 5 || ev.Next != 7 || ev.Head != 16 || len(ev.Events) != 2 || ev.Events[0].Seq != 5 || ev.Events[0].Type != "IncidentDetected" {
		t.Errorf("events from 5 = %+v", ev)
	}
}

// Lists page by position: events by sequence, incidents and deadlines by
// cursor; the pages put together are the whole view, in order.
func TestPagination(t *testing.T) {
	e := newEnv(t)
	var seqs []uint64
	from := uint64(0)
	for i := 0; i < 20; i++ {
		var ev struct {
			Next, Head uint64
			Events     []struct {
				Seq uint64 `json:"seq"`
			}
		}
		e.ok(fmt.Sprintf("/v1/events?from=%d&limit=3", from), &ev)
		for _, x := range ev.Events {
			seqs = append(seqs, x.Seq)
		}
		if len(ev.Events) == 0 {
			break
		}
		from = ev.Next
	}
	for i, s := range seqs {
		if s != uint64(i) {
			t.Fatalf("events paged by position: %v, want 0 to 15 without gaps", seqs)
		}
	}
	if len(seqs) != 16 {
		t.Errorf("%d events paged, want 16", len(seqs))
	}

	var all deadlines
	e.ok("/v1/deadlines", &all)
	for _, base := range []string{"/v1/deadlines?limit=1", "/v1/deadlines?limit=2&as_of=2025-03-12T12:00:00Z"} {
		var got []string
		cursor := ""
		for i := 0; i < 20; i++ {
			var d deadlines
			path := base
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			e.ok(path, &d)
			got = append(got, ids(d.Deadlines)...)
			if d.Next == "" {
				break
			}
			cursor = d.Next
		}
		if diff := cmp.Diff(ids(all.Deadlines), got); diff != "" {
			t.Errorf("%s paged differs from the whole view:\n%s", base, diff)
		}
	}
	var page struct {
		Incidents []projections.ListEntry `json:"incidents"`
		Next      string                  `json:"next_cursor"`
	}
	e.ok("/v1/incidents?limit=1", &page)
	if len(page.Incidents) != 1 || page.Incidents[0].ID != "A" || page.Next == "" {
		t.Fatalf("first page = %+v", page)
	}
	e.ok("/v1/incidents?limit=1&cursor="+page.Next, &page)
	if len(page.Incidents) != 1 || page.Incidents[0].ID != "B" {
		t.Errorf("second page = %+v", page)
	}
	if resp, body := e.do("GET", "/v1/incidents?cursor=bogus", goodToken); resp.StatusCode != 400 || !strings.Contains(string(body), "cursor") {
		t.Errorf("a bogus cursor: %d %s", resp.StatusCode, body)
	}
}

// Without a valid token every data endpoint answers 401 and says how to
// authenticate; the OpenAPI document and the board page need none.
func TestUnauthorized(t *testing.T) {
	e := newEnv(t)
	for _, path := range endpoints {
		for _, tok := range []string{"", "blt_wrong", revokedToken, expiredToken} {
			resp, body := e.do("GET", path, tok)
			if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("GET %s with token %q: %d %s", path, tok, resp.StatusCode, body)
			}
			var er struct {
				Error struct{ Code string } `json:"error"`
			}
			if err := json.Unmarshal(body, &er); err != nil || er.Error.Code != "unauthorized" {
				t.Errorf("GET %s: body %s", path, body)
			}
		}
	}
	for _, path := range []string{"/v1/openapi.json", "/board"} {
		if resp, _ := e.do("GET", path, ""); resp.StatusCode != 200 {
			t.Errorf("GET %s without a token: %d", path, resp.StatusCode)
		}
	}
	// A revocation counts from the next request on.
	if resp, _ := e.do("GET", "/v1/incidents", goodToken); resp.StatusCode != 200 {
		t.Fatalf("the good token was refused")
	}
	e.add(domain.LedgerStream, "2025-03-12T11:59:00Z", "admin", domain.APITokenRevoked{Token: "T1", Reason: "leaked"})
	if resp, _ := e.do("GET", "/v1/incidents", goodToken); resp.StatusCode != 401 {
		t.Errorf("a revoked token still reads: %d", resp.StatusCode)
	}
}

// Nothing can be written: every other method is 405, with Allow, and the
// ledger is unchanged.
func TestWritesRefused(t *testing.T) {
	e := newEnv(t)
	head := func() uint64 {
		n, err := e.st.Head(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := head()
	for _, path := range append(slices.Clone(endpoints), "/v1/openapi.json", "/board", "/v1/incidents/A/notes") {
		for _, m := range []string{"POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
			resp, body := e.do(m, path, goodToken)
			if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" || !strings.Contains(string(body), `"method_not_allowed"`) {
				t.Errorf("%s %s: %d, Allow %q, %s", m, path, resp.StatusCode, resp.Header.Get("Allow"), body)
			}
		}
	}
	if resp, _ := e.do("HEAD", "/v1/incidents", goodToken); resp.StatusCode != 200 {
		t.Errorf("HEAD: %d", resp.StatusCode)
	}
	if got := head(); got != before {
		t.Errorf("the ledger grew from %d to %d events", before, got)
	}
}

// failing is a store whose reads fail with an error that names an
// internal path, or panic.
type failing struct {
	eventstore.Store
	panic bool
}

var errDisk = errors.New("read /srv/secret/ledger.db: disk I/O error (eventstore/sqlite/read.go:42)")

func (f failing) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Record, error) {
	if stream != domain.LedgerStream {
		if f.panic {
			panic("index out of range [3] with length 2")
		}
		return nil, errDisk
	}
	return f.Store.ReadStream(ctx, stream, opts)
}

func (f failing) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	if limit != 1 && limit != 1000 { // the read models' catch-up reads 1 and 1000
		return nil, errDisk
	}
	return f.Store.ReadAll(ctx, from, limit)
}

// Errors say what is wrong without a stack trace or an internal path; the
// detail of an internal error goes to the server's log.
func TestErrorsHideInternals(t *testing.T) {
	for _, panics := range []bool{false, true} {
		e := newEnv(t)
		var logs strings.Builder
		e.srv.Store = failing{Store: e.st, panic: panics}
		e.srv.Log = newLogger(&logs)
		for _, path := range []string{"/v1/incidents/A", "/v1/incidents/A/timeline", "/v1/events?limit=5"} {
			resp, body := e.do("GET", path, goodToken)
			if resp.StatusCode != 500 {
				t.Errorf("GET %s (panic %v): %d %s", path, panics, resp.StatusCode, body)
			}
			for _, leak := range []string{"/srv/secret", ".go:", "goroutine", "disk I/O", "index out of range", "panic"} {
				if strings.Contains(string(body), leak) {
					t.Errorf("GET %s: the error shows %q: %s", path, leak, body)
				}
			}
			if !strings.Contains(string(body), `"internal"`) || !strings.Contains(string(body), "request ") {
				t.Errorf("GET %s: %s", path, body)
			}
		}
		if !strings.Contains(logs.String(), "disk I/O") && !strings.Contains(logs.String(), "index out of range") {
			t.Errorf("the log does not have the detail:\n%s", logs.String())
		}
	}
	e := newEnv(t)
	for path, code := range map[string]int{
		"/v1/incidents/NOPE":                           404,
		"/v1/incidents/NOPE/report":                    404,
		"/v1/deadlines?incident=NOPE":                  404,
		"/v1/nothing-here":                             404,
		"/v1/deadlines?due_within=soon":                400,
		"/v1/deadlines?as_of=yesterday":                400,
		"/v1/deadlines?pack=1999.9":                    400,
		"/v1/incidents?limit=0":                        400,
		"/v1/reports/period?from=2025-01-01T00:00:00Z": 400,
		"/v1/incidents/A/report?format=pdf":            400,
	} {
		resp, body := e.do("GET", path, goodToken)
		var er struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Status  int    `json:"status"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &er); err != nil || resp.StatusCode != code || er.Error.Status != code || er.Error.Message == "" {
			t.Errorf("GET %s: %d %s, want %d with a JSON error", path, resp.StatusCode, body, code)
		}
		if strings.Contains(string(body), "/tmp") || strings.Contains(string(body), ".go:") {
			t.Errorf("GET %s: the error shows an internal path: %s", path, body)
		}
	}
}

// The OpenAPI document describes every endpoint the server has, and no
// other.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	resp, body := e.do("GET", "/v1/openapi.json", "")
	if resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("the OpenAPI document: %v", err)
	}
	want := append(e.srv.Routes(), "/v1/openapi.json", "/board")
	var got []string
	for p := range doc.Paths {
		got = append(got, p)
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the OpenAPI paths differ from the routes (-routes +document):\n%s", diff)
	}
}

// The deadline board is one page with no outside asset.
func TestBoardPage(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do("GET", "/board", "")
	page := string(body)
	if resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(page, "Deadline board") || !strings.Contains(page, "/v1/deadlines?open=true") {
		t.Errorf("board: %q", resp.Header.Get("Content-Type"))
	}
	for _, ext := range []string{"src=\"http", "href=\"http", "@import", "url(http"} {
		if strings.Contains(page, ext) {
			t.Errorf("the board loads an outside asset (%s)", ext)
		}
	}
	if resp, _ := e.do("GET", "/", ""); resp.Request.URL.Path != "/board" {
		t.Errorf("/ does not lead to the board: %s", resp.Request.URL.Path)
	}
}

func newLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// jsonOf returns v as indented JSON, for comparisons.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every answer that gives the ledger's position says which events a
// signature proves the author of (the authorship object), as the CLI's
// "authorship unproven" line does: this ledger is not in signed mode;
// after an admin switches it on at seq 16, the events from 16 on are.
func TestAuthorshipInAnswers(t *testing.T) {
	e := newEnv(t)
	paths := []string{"/v1/position", "/v1/incidents", "/v1/deadlines", "/v1/register", "/v1/events"}
	check := func(want string) {
		t.Helper()
		for _, path := range paths {
			var got struct {
				Authorship json.RawMessage `json:"authorship"`
			}
			e.ok(path, &got)
			if string(got.Authorship) != want {
				t.Errorf("GET %s: authorship %s, want %s", path, got.Authorship, want)
			}
		}
	}
	unproven, _ := json.Marshal(projections.Authorship{Unproven: true, Reason: `authorship unproven: this ledger is not in signed mode, so no signature proves who recorded its events (an admin switches it on with "breachledger signature-policy --all")`})
	check(string(unproven))
	e.add(domain.LedgerStream, "2025-03-13T00:00:00Z", "admin", domain.SignaturePolicySet{All: true, Reason: "signed mode"})
	check(`{"proven_from_seq":16,"reason":"events before seq 16: authorship unproven (recorded before the ledger was switched to signed mode; from seq 16 on, every event is signed by its author's registered key)"}`)
}

// The OpenAPI document gives the authorship object in every answer that has it.
func TestOpenAPIAuthorship(t *testing.T) {
	e := newEnv(t)
	_, body := e.do("GET", "/v1/openapi.json", "")
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
		Paths map[string]struct {
			Get struct {
				Responses map[string]struct {
					Content map[string]struct {
						Schema struct {
							Properties map[string]json.RawMessage `json:"properties"`
						} `json:"schema"`
					} `json:"content"`
				} `json:"responses"`
			} `json:"get"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	var props []string
	for p := range doc.Components.Schemas["Authorship"].Properties {
		props = append(props, p)
	}
	slices.Sort(props)
	if diff := cmp.Diff([]string{"proven_from_seq", "reason", "unproven"}, props); diff != "" {
		t.Errorf("the Authorship schema's properties (-want +got):\n%s", diff)
	}
	for _, path := range []string{"/v1/position", "/v1/incidents", "/v1/deadlines", "/v1/events"} {
		ref := string(doc.Paths[path].Get.Responses["200"].Content["application/json"].Schema.Properties["authorship"])
		if ref != `{"$ref": "#/components/schemas/Authorship"}` {
			t.Errorf("%s: authorship %q, want the Authorship schema", path, ref)
		}
	}
}
