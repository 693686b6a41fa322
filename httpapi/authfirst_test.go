package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// A request is authenticated before any work: without a token, or with a
// wrong one, it is a 401 that leaves the kept read models where they were
// although the ledger grew; the token table follows the ledger stream on
// its own, so a token revoked or issued after the server started counts
// from the next request, still without catching the views up for a
// refused one.
func TestAuthenticateBeforeAnyWork(t *testing.T) {
	e := newEnv(t)
	if resp, body := e.do("GET", "/v1/position", goodToken); resp.StatusCode != 200 {
		t.Fatalf("the good token was refused: %d %s", resp.StatusCode, body)
	}
	before := e.srv.Kept.Position()
	if before == 0 {
		t.Fatal("the kept views were not caught up by an authenticated request")
	}
	e.add(domain.IncidentStream("A"), "2025-03-12T12:00:00Z", "sam", domain.ScopeRecorded{Customers: []string{"contoso", "fabrikam", "northwind"}, Subjects: 1500})
	for _, auth := range []string{"", "Bearer", "Bearer ", "Basic " + goodToken, "Bearer blt_wrong", "Bearer " + revokedToken, "Bearer " + expiredToken} {
		for _, path := range endpoints {
			resp, body := e.doAuth(path, auth)
			if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("GET %s with Authorization %q: %d %s", path, auth, resp.StatusCode, body)
			}
		}
	}
	if got := e.srv.Kept.Position(); got != before {
		t.Errorf("refused requests caught the kept views up from %d to %d", before, got)
	}

	// A token issued after the server started reads at once.
	const lateToken = "blt_issued-after-start"
	e.add(domain.LedgerStream, "2025-03-12T12:01:00Z", "admin", domain.APITokenIssued{Token: "T4", Name: "late", SHA256: hash(lateToken)})
	if resp, body := e.do("GET", "/v1/position", lateToken); resp.StatusCode != 200 {
		t.Fatalf("a token issued after the server started: %d %s", resp.StatusCode, body)
	}
	caught := e.srv.Kept.Position()
	if caught <= before {
		t.Errorf("an accepted request did not catch the kept views up: %d, was %d", caught, before)
	}

	// A token revoked after the server started is refused on the next
	// request, and the refusal does no catch-up either.
	e.add(domain.IncidentStream("A"), "2025-03-12T12:02:00Z", "sam", domain.ScopeRecorded{Customers: []string{"contoso"}, Subjects: 1})
	e.add(domain.LedgerStream, "2025-03-12T12:03:00Z", "admin", domain.APITokenRevoked{Token: "T1", Reason: "leaked"})
	resp, body := e.do("GET", "/v1/incidents", goodToken)
	var er struct {
		Error struct{ Code string } `json:"error"`
	}
	if resp.StatusCode != 401 || json.Unmarshal(body, &er) != nil || er.Error.Code != "unauthorized" {
		t.Errorf("a token revoked after the server started still reads: %d %s", resp.StatusCode, body)
	}
	if got := e.srv.Kept.Position(); got != caught {
		t.Errorf("a request with a revoked token caught the kept views up from %d to %d", caught, got)
	}
	if resp, body := e.do("GET", "/v1/incidents", lateToken); resp.StatusCode != 200 {
		t.Errorf("the other token was refused after T1's revocation: %d %s", resp.StatusCode, body)
	}
}

// doAuth fetches a path with the Authorization header as given ("" for
// none).
func (e *env) doAuth(path, auth string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.url+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
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

// Malformed incident IDs (control characters, invalid UTF-8, spaces) are
// a 400 that names the rule, never a 500.
func TestMalformedPathsAre400(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{
		"/v1/incidents/%00",
		"/v1/incidents/A%00",
		"/v1/incidents/%1b%5b31m",
		"/v1/incidents/%7f",
		"/v1/incidents/%ff%fe",
		"/v1/incidents/A%20B",
		"/v1/incidents/%00/timeline",
		"/v1/incidents/%c3%28/report",
		"/v1/deadlines?incident=%00",
		"/v1/deadlines?incident=%ff",
	} {
		resp, body := e.do("GET", path, goodToken)
		var er struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Status  int    `json:"status"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &er); err != nil || resp.StatusCode != 400 || er.Error.Code != "bad_request" || er.Error.Status != 400 {
			t.Errorf("GET %s: %d %s, want 400 bad_request", path, resp.StatusCode, body)
			continue
		}
		if !strings.Contains(er.Error.Message, "valid UTF-8 with no space or control character") {
			t.Errorf("GET %s: the message does not name the rule: %s", path, er.Error.Message)
		}
	}
	// Without a token the same paths are a 401: nothing is read first.
	if resp, body := e.do("GET", "/v1/incidents/%00", ""); resp.StatusCode != 401 {
		t.Errorf("GET /v1/incidents/%%00 without a token: %d %s", resp.StatusCode, body)
	}
}

// No other site may frame the board.
func TestBoardCannotBeFramed(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.do("GET", "/board", "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /board: %d", resp.StatusCode)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	var directives []string
	for _, d := range strings.Split(csp, ";") {
		directives = append(directives, strings.TrimSpace(d))
	}
	for _, want := range []string{"frame-ancestors 'none'", "default-src 'none'", "connect-src 'self'"} {
		found := false
		for _, d := range directives {
			found = found || d == want
		}
		if !found {
			t.Errorf("the board's Content-Security-Policy %q has no %q", csp, want)
		}
	}
	if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("the board's X-Frame-Options: %q, want DENY", got)
	}
}

// The token table notices a ledger replaced under the server (the stream
// no longer holds, at the last revision it folded, the event it folded
// there) and folds the new ledger stream from the start.
func TestTokenTableFollowsAReplacedLedger(t *testing.T) {
	e := newEnv(t)
	if resp, body := e.do("GET", "/v1/position", goodToken); resp.StatusCode != 200 {
		t.Fatalf("the good token was refused: %d %s", resp.StatusCode, body)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "other.db"), sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// As many ledger events as the served ledger has, the last of them
	// at the same revision, but here the good token is revoked.
	o := &env{t: t, st: st, revs: map[string]uint64{}}
	o.add(domain.LedgerStream, "2025-01-01T00:00:00Z", "admin", domain.LedgerInitialized{Name: "HTTP test", Admin: "admin"})
	o.add(domain.LedgerStream, "2025-01-01T00:01:00Z", "admin", domain.APITokenIssued{Token: "T1", Name: "grc", SHA256: hash(goodToken)})
	o.add(domain.LedgerStream, "2025-01-01T00:02:00Z", "admin", domain.APITokenRevoked{Token: "T1", Reason: "leaked"})
	o.add(domain.LedgerStream, "2025-01-01T00:03:00Z", "admin", domain.APITokenIssued{Token: "T2", Name: "old", SHA256: hash(revokedToken)})
	o.add(domain.LedgerStream, "2025-01-01T00:04:00Z", "admin", domain.APITokenIssued{Token: "T3", Name: "trial", SHA256: hash(expiredToken), ExpiresAt: at("2025-02-01T00:00:00Z")})
	if o.revs[domain.LedgerStream] != e.revs[domain.LedgerStream] {
		t.Fatalf("the ledgers' streams differ in length: %d and %d", o.revs[domain.LedgerStream], e.revs[domain.LedgerStream])
	}
	e.srv.Store = st
	if resp, body := e.do("GET", "/v1/incidents", goodToken); resp.StatusCode != 401 {
		t.Errorf("a token revoked in the replacing ledger still reads: %d %s", resp.StatusCode, body)
	}
}

// reads counts the reads of a store.
type reads struct {
	eventstore.Store
	n *atomic.Int64
}

func (r reads) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Record, error) {
	r.n.Add(1)
	return r.Store.ReadStream(ctx, stream, opts)
}

func (r reads) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	r.n.Add(1)
	return r.Store.ReadAll(ctx, from, limit)
}

func (r reads) Head(ctx context.Context) (uint64, error) {
	r.n.Add(1)
	return r.Store.Head(ctx)
}

// A request without a well-formed bearer header reads nothing at all.
func TestNoTokenReadsNothing(t *testing.T) {
	e := newEnv(t)
	n := new(atomic.Int64)
	e.srv.Store = reads{Store: e.st, n: n}
	for _, auth := range []string{"", "Bearer", "Bearer   ", "Basic " + goodToken, goodToken} {
		for _, path := range endpoints {
			if resp, body := e.doAuth(path, auth); resp.StatusCode != 401 {
				t.Errorf("GET %s with Authorization %q: %d %s", path, auth, resp.StatusCode, body)
			}
		}
	}
	if got := n.Load(); got != 0 {
		t.Errorf("requests without a bearer token read the store %d times", got)
	}
	if resp, _ := e.do("GET", "/v1/position", goodToken); resp.StatusCode != 200 || n.Load() == 0 {
		t.Errorf("the good token: %d after %d reads", resp.StatusCode, n.Load())
	}
}
