// Package httpapi is the read-only HTTP API that reporting jobs read the
// ledger with: JSON for the incident list, one incident, the deadline view
// (with the CLI's filters), the breach register, reports, and the raw events
// after a position for incremental jobs; an OpenAPI document; and a
// deadline board page that refreshes itself.
//
// Every data endpoint needs a bearer token issued by an admin
// ("breachledger token issue"); the ledger keeps only the tokens' SHA-256.
// There is no write endpoint: anything but GET and HEAD is 405. Errors are
// JSON with a code and a message; an internal error's detail goes to the
// server's log, never to the client.
//
// A request's token is checked first, against the API tokens held in
// memory and refreshed from the ledger stream; views at the current time
// come from the read models kept with their position (package readmodel),
// caught up for each authenticated request; a view at
// another time (as_of, known_at, or the deadlines under another rule
// pack) is rebuilt from the log up to its head, once per query rather than
// once per page: the view is kept in a small cache (entries and rows
// bounded, least recently used out; see cutCache), and its pages' cursors
// name the ledger position and instant it was built at, so every page of
// a query is of the same ledger state even while the ledger grows, and a
// page whose view was evicted is built again at that position. The
// register in another format than JSON is rebuilt for each request.
//
// AllowHosts puts a Host allowlist in front of the handler: a request for
// any other Host, or none, gets 421 host_not_allowed before authentication
// or any store work (DNS rebinding); serve always wraps Server.Handler in
// it, and serves TLS when given a certificate. Errors get their status
// from the table the CLI's exit codes come from (internal/failure).
//
// The package sits above ledger and projections: it reads the store
// through ledger and renders with projections, which import neither it
// nor ledger.
package httpapi

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/failure"
	"github.com/breachledger/breachledger/projections/readmodel"
)

//go:embed openapi.json
var openAPI []byte

//go:embed board.html
var boardHTML []byte

// Server serves the API over a store and its kept read models.
type Server struct {
	Store eventstore.Store
	Kept  *readmodel.Kept
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives one line per request and the detail of internal errors
	// (default: discarded).
	Log *slog.Logger
	// Key, when set, checks the signature of the checkpoints reports are
	// built from.
	Key *integrity.PublicKey
	// CutCacheEntries and CutCacheRows bound the cache of views rebuilt
	// from the log (0: DefaultCutCacheEntries, DefaultCutCacheRows).
	CutCacheEntries, CutCacheRows int

	requests atomic.Uint64
	tokens   tokenTable
	cuts     cutCache
}

// Handler returns the API's handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/board", http.StatusFound) })
	mux.HandleFunc("GET /board", s.board)
	mux.HandleFunc("GET /v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
	})
	for _, rt := range s.routes() {
		mux.Handle("GET "+rt.pattern, s.authenticated(rt.handle))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &apiError{status: http.StatusNotFound, code: "not_found", msg: "no such endpoint: see /v1/openapi.json"})
	})
	return s.guard(mux)
}

// route is one authenticated endpoint.
type route struct {
	pattern string
	handle  func(w http.ResponseWriter, r *http.Request) error
}

// Routes lists the authenticated endpoints' patterns, for the OpenAPI
// document's test.
func (s *Server) Routes() []string {
	var out []string
	for _, rt := range s.routes() {
		out = append(out, rt.pattern)
	}
	return out
}

func (s *Server) routes() []route {
	return []route{
		{"/v1/position", s.position},
		{"/v1/incidents", s.incidents},
		{"/v1/incidents/{id}", s.incident},
		{"/v1/incidents/{id}/timeline", s.timeline},
		{"/v1/incidents/{id}/report", s.report},
		{"/v1/deadlines", s.deadlines},
		{"/v1/register", s.register},
		{"/v1/reports/period", s.period},
		{"/v1/events", s.events},
	}
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// guard refuses every method but GET and HEAD, recovers from panics
// without showing them, and logs each request.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := s.requests.Add(1)
		r = r.WithContext(context.WithValue(context.WithValue(r.Context(), requestKey{}, id), tokenKey{}, new(string)))
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				s.log().Error("panic", "request", id, "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
				s.fail(rec, r, fmt.Errorf("panic: %v", p))
			}
			s.log().Info("request", "request", id, "method", r.Method, "path", r.URL.Path, "status", rec.status, "token", tokenOf(r.Context()), "ms", time.Since(start).Milliseconds())
		}()
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			rec.Header().Set("Allow", "GET, HEAD")
			s.fail(rec, r, &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", msg: "this API is read-only: only GET and HEAD are allowed"})
			return
		}
		next.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

type requestKey struct{}
type tokenKey struct{}

func requestID(ctx context.Context) uint64 {
	id, _ := ctx.Value(requestKey{}).(uint64)
	return id
}

func tokenOf(ctx context.Context) string {
	t, _ := ctx.Value(tokenKey{}).(*string)
	if t == nil {
		return ""
	}
	return *t
}

// authenticated checks the bearer token first: a request without a
// well-formed "Authorization: Bearer TOKEN" is refused before any read,
// and a token is checked against the ledger's API tokens held in memory,
// brought up to date from the ledger stream alone (so a revocation counts
// at once, and no incident view is caught up for a request that is then
// refused). Only a request whose token is accepted catches the read models
// up and runs h.
func (s *Server) authenticated(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="breachledger"`)
			s.fail(w, r, &apiError{status: http.StatusUnauthorized, code: "unauthorized", msg: "a bearer token is required: Authorization: Bearer TOKEN (an admin issues one with \"breachledger token issue\")"})
			return
		}
		now := s.now()
		sum := sha256.Sum256([]byte(secret))
		tok, ok, err := s.tokens.authenticate(r.Context(), s.Store, hex.EncodeToString(sum[:]), now)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="breachledger", error="invalid_token"`)
			s.fail(w, r, &apiError{status: http.StatusUnauthorized, code: "unauthorized", msg: "the token is unknown, revoked or expired"})
			return
		}
		if slot, _ := r.Context().Value(tokenKey{}).(*string); slot != nil {
			*slot = tok.Token + " " + tok.Name // for the request log: who read what
		}
		if _, err := s.Kept.CatchUp(r.Context(), now); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
		// Kept rows that did not check against their MACs: the views were
		// rebuilt from the log and the answer is the log's; say so.
		for _, te := range s.Kept.Tampered() {
			s.log().Error("kept view tampered with; rebuilt from the log, and answered from it", "request", requestID(r.Context()), "error", te.Error())
		}
	})
}

// bearer returns the secret of an "Authorization: Bearer TOKEN" header,
// and false when the header is missing or not of that form.
func bearer(auth string) (string, bool) {
	scheme, secret, ok := strings.Cut(auth, " ")
	secret = strings.TrimSpace(secret)
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return "", false
	}
	return secret, true
}

// tokenTable is the ledger's API tokens, held in memory: the ledger's
// state folded from the ledger stream with the domain's own rules
// (domain.EvolveLedger, as domain.ReplayLedger folds it), and brought up
// to date before each check by reading only the ledger stream's records
// after the last one it folded. The incident streams and the kept read
// models are not touched.
type tokenTable struct {
	mu     sync.Mutex
	ledger domain.Ledger
	folded bool      // the ledger holds the stream up to last
	last   uint64    // the revision of the last record folded
	lastID uuid.UUID // and its event ID
}

// authenticate brings the table up to date and checks the hex SHA-256 of a
// secret at instant at.
func (t *tokenTable) authenticate(ctx context.Context, st eventstore.Store, hash string, at time.Time) (domain.TokenState, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.refresh(ctx, st); err != nil {
		return domain.TokenState{}, false, err
	}
	tok, ok := t.ledger.Tokens.Authenticate(hash, at)
	return tok, ok, nil
}

// refresh folds the ledger stream's records after the last one folded.
//
// Head comes first: on a store that is a view of what counts
// (ledger.View), it reads the coverage again, so the stream read sees the
// records checkpointed since. The read starts at the last record folded,
// to check the stream still holds it there; when it does not (the ledger
// was replaced), or when a record folded now rejects an earlier one (which
// then no longer counts), the stream is folded again from the start.
func (t *tokenTable) refresh(ctx context.Context, st eventstore.Store) error {
	if _, err := st.Head(ctx); err != nil {
		return fmt.Errorf("read the API tokens: %w", err)
	}
	return t.fold(ctx, st)
}

func (t *tokenTable) fold(ctx context.Context, st eventstore.Store) error {
	incremental := t.folded
	opts := eventstore.ReadOptions{}
	if incremental {
		opts.From = t.last
	}
	recs, err := st.ReadStream(ctx, domain.LedgerStream, opts)
	if errors.Is(err, eventstore.ErrNotFound) {
		recs, err = nil, nil
	}
	if err != nil {
		return fmt.Errorf("read the API tokens: %w", err)
	}
	if incremental {
		if len(recs) == 0 || recs[0].ID != t.lastID || recs[0].Revision != t.last {
			t.folded = false
			return t.fold(ctx, st)
		}
		recs = recs[1:]
	} else {
		t.ledger = domain.NewLedger()
	}
	facts, err := history.FactsOf(recs)
	if err != nil {
		return fmt.Errorf("read the API tokens: %w", err)
	}
	for _, f := range facts {
		if _, rejects := f.Event.(domain.ForeignEventRejected); rejects && incremental {
			t.folded = false
			return t.fold(ctx, st)
		}
		t.ledger = domain.EvolveLedger(t.ledger, f)
	}
	if len(recs) > 0 {
		t.folded, t.last, t.lastID = true, recs[len(recs)-1].Revision, recs[len(recs)-1].ID
	}
	return nil
}

// apiError is an error meant for the client.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, code: "bad_request", msg: fmt.Sprintf(format, args...)}
}

// fail writes err as a JSON error, with the status and code of its kind
// in the table the CLI's exit codes come from too (internal/failure).
// Errors meant for the client (bad requests, not found) say what is wrong;
// anything else is an internal error whose detail goes to the log only.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = s.clientError(r, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(ae.status)
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": ae.code, "message": ae.msg, "status": ae.status}})
	w.Write(append(b, '\n'))
}

// clientError is what the client is told of err: its kind's status and
// code, and a message that names what is wrong without the server's
// detail (logged with the request's number, which the message gives).
func (s *Server) clientError(r *http.Request, err error) *apiError {
	kind := failure.Of(err)
	ae := &apiError{status: kind.HTTPStatus(), code: kind.Code()}
	var nf *domain.NotFoundError
	switch {
	case errors.As(err, &nf):
		ae.msg = fmt.Sprintf("%s %q not found", nf.What, nf.ID)
	case errors.Is(err, readmodel.ErrBadCursor):
		ae.msg = "bad cursor: pass the next_cursor a previous page returned"
	case kind == failure.Canceled:
		ae.msg = "the request was canceled"
	case kind == failure.Integrity:
		s.log().Error("integrity", "request", requestID(r.Context()), "error", err.Error())
		ae.msg = fmt.Sprintf("the ledger does not verify against its checkpoint; run \"breachledger verify\" (request %d)", requestID(r.Context()))
	case kind == failure.Usage:
		ae.msg = err.Error() // about the request's own input
	case kind == failure.Internal:
		s.log().Error("internal error", "request", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "error", err.Error())
		ae.msg = fmt.Sprintf("internal error; the server's log has the details (request %d)", requestID(r.Context()))
	default: // the server's own state (no ledger, say): its kind, not its detail
		s.log().Error(kind.Code(), "request", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "error", err.Error())
		ae.msg = fmt.Sprintf("%s; the server's log has the details (request %d)", strings.ReplaceAll(kind.Code(), "_", " "), requestID(r.Context()))
	}
	return ae
}

// writeJSON writes v as JSON.
func writeJSON(w http.ResponseWriter, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(append(b, '\n'))
	return err
}

func (s *Server) board(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// No other site may frame the board (clickjacking): frame-ancestors for
	// browsers that read CSP, X-Frame-Options for those that do not.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Write(boardHTML)
}
