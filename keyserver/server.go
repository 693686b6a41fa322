package keyserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/hiddeco/sshsig"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/keystore"
)

// maxRequest is the largest envelope the server reads.
const maxRequest = 1 << 20

// Options configure a Server.
type Options struct {
	// UIDs are the uids allowed to connect besides the server's own.
	UIDs []uint32
	// Window is how far a request's time may be from the server's clock
	// (default 2 minutes); the server remembers nonces for twice as long.
	Window time.Duration
	// Now is the server's clock (default time.Now).
	Now func() time.Time
}

// A Server serves a key store to the callers its ledger allows.
type Server struct {
	store  keystore.Store
	ledger Ledger
	uids   map[uint32]bool
	window time.Duration
	now    func() time.Time

	mu     sync.Mutex
	nonces map[string]time.Time // seen, with the request's time
}

// New returns a server of store, deciding with l. It finishes first the
// destructions whose DataShredded the ledger holds (a crash, or a client
// gone, between the append and the destruction).
func New(ctx context.Context, store keystore.Store, l Ledger, opts Options) (*Server, error) {
	s := &Server{store: store, ledger: l, uids: map[uint32]bool{uint32(os.Getuid()): true},
		window: opts.Window, now: opts.Now, nonces: map[string]time.Time{}}
	for _, u := range opts.UIDs {
		s.uids[u] = true
	}
	if s.window <= 0 {
		s.window = 2 * time.Minute
	}
	if s.now == nil {
		s.now = time.Now
	}
	if _, err := store.FinishPending(ctx, s.confirmed(nil)); err != nil {
		return nil, fmt.Errorf("start key server: finish pending destructions: %w", err)
	}
	return s, nil
}

// confirmed returns FinishPending's question for the server: is the
// intent's DataShredded in the ledger (and, when callerSaw is not nil,
// among those the caller found there). An intent whose event the ledger
// does not hold stays pending.
func (s *Server) confirmed(callerSaw []string) func(ctx context.Context, eventID string) (bool, error) {
	return func(ctx context.Context, eventID string) (bool, error) {
		if callerSaw != nil && !slices.Contains(callerSaw, eventID) {
			return false, nil
		}
		keys, err := s.ledger.Shredded(ctx, eventID)
		if errors.Is(err, ErrNoShred) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		pending, err := s.store.PendingDestruction(ctx)
		if err != nil {
			return false, err
		}
		for _, p := range pending {
			if p.EventID == eventID {
				for _, id := range p.KeyIDs {
					if !slices.Contains(keys, id) {
						return false, nil // an intent naming keys its event does not forget
					}
				}
			}
		}
		return true, nil
	}
}

// peerKey finds a connection's peer uid (or the error reading it) in a
// request's context.
type peerKey struct{}

type peer struct {
	uid uint32
	err error
}

// Serve serves calls on ln (a Unix socket listener) until ctx is done.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			uid, err := peerUID(c)
			return context.WithValue(ctx, peerKey{}, peer{uid: uid, err: err})
		},
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			hs.Close()
		case <-done:
		}
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve keys: %w", err)
	}
	return nil
}

// ServeHTTP answers one call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, status := s.handle(r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(resp)
}

func (s *Server) handle(r *http.Request) (Response, int) {
	p, _ := r.Context().Value(peerKey{}).(peer)
	if err := CheckPeer(p.uid, p.err, s.uids); err != nil {
		return failure(err), http.StatusForbidden
	}
	if r.Method != http.MethodPost || r.URL.Path != Path {
		return failure(invalid("a call is a POST to %s", Path)), http.StatusNotFound
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxRequest))
	if err != nil {
		return failure(invalid("read the request: %v", err)), http.StatusBadRequest
	}
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return failure(invalid("decode the envelope: %v", err)), http.StatusBadRequest
	}
	req, who, err := s.authenticate(r.Context(), env)
	if err != nil {
		return failure(err), http.StatusForbidden
	}
	if err := s.allow(who, req.Op); err != nil {
		return failure(err), http.StatusForbidden
	}
	resp, err := s.do(r.Context(), req)
	if err != nil {
		return failure(err), http.StatusOK
	}
	return resp, http.StatusOK
}

// CheckPeer decides a connection by its peer's uid (or the error reading
// it): rule key-server-peer unless uid is allowed.
func CheckPeer(uid uint32, readErr error, allowed map[uint32]bool) error {
	if readErr != nil {
		return &domain.RuleError{Rule: "key-server-peer", Reason: fmt.Sprintf("the caller's uid could not be read (%v)", readErr),
			Hint: "call the key server over its Unix socket, on Linux"}
	}
	if !allowed[uid] {
		return &domain.RuleError{Rule: "key-server-peer", Reason: fmt.Sprintf("uid %d may not call this key server", uid),
			Hint: "run as a user the key server allows, or have its operator add your uid (breachledger keys serve --allow-uid UID)"}
	}
	return nil
}

// caller is an authenticated caller: the actor and the ledger state their
// call is decided on.
type caller struct {
	actor string
	l     domain.Ledger
}

// authenticate checks the envelope's signature against the ledger's
// signer registry, then the request's time and nonce.
func (s *Server) authenticate(ctx context.Context, env Envelope) (Request, caller, error) {
	var req Request
	if err := json.Unmarshal(env.Request, &req); err != nil {
		return req, caller{}, invalid("decode the request: %v", err)
	}
	sig, err := sshsig.ParseSignature(env.Signature)
	if err != nil {
		return req, caller{}, refusal("key-server-signature", "sign each request with your registered SSH key (breachledger does)",
			"the request's signature does not parse (%v)", err)
	}
	l, err := s.ledger.State(ctx)
	if err != nil {
		return req, caller{}, err
	}
	fp := integrity.Fingerprint(sig.PublicKey)
	reg, ok := l.Signers.Key(fp)
	switch {
	case !ok:
		return req, caller{}, refusal("key-server-signature", "sign with a key an admin registered for you (breachledger signer register)",
			"the key %s is not in the ledger's signer registry", fp)
	case !reg.Active():
		return req, caller{}, refusal("key-server-signature", "sign with your active key",
			"the key %s was revoked", fp)
	case reg.Actor != req.Actor:
		return req, caller{}, refusal("key-server-signature", "call as the actor your key is registered to",
			"the key %s is registered to %s, not to %q", fp, reg.Actor, req.Actor)
	}
	pub, _, err := integrity.ParseSignerKey(reg.Key)
	if err != nil {
		return req, caller{}, fmt.Errorf("the registered key %s: %w", fp, err)
	}
	if err := sshsig.Verify(bytes.NewReader(env.Request), sig, pub, sig.HashAlgorithm, Namespace); err != nil {
		return req, caller{}, refusal("key-server-signature", "sign the request's exact bytes in namespace "+Namespace,
			"the signature by %s does not verify over the request (%v)", fp, err)
	}
	if err := s.fresh(req); err != nil {
		return req, caller{}, err
	}
	return req, caller{actor: reg.Actor, l: l}, nil
}

// fresh refuses a request whose time is outside the window, or whose
// nonce was seen, and remembers its nonce.
func (s *Server) fresh(req Request) error {
	now := s.now()
	if d := now.Sub(req.Time); d > s.window || d < -s.window {
		return refusal("key-server-stale", "check both clocks (NTP), and send a new request",
			"the request was made at %s, more than %s from the key server's clock (%s)", req.Time.UTC().Format(time.RFC3339), s.window, now.UTC().Format(time.RFC3339))
	}
	if len(req.Nonce) < 16 {
		return invalid("the request's nonce is missing or short: give 16 random bytes, base64")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, at := range s.nonces {
		if now.Sub(at) > 2*s.window {
			delete(s.nonces, n)
		}
	}
	if _, seen := s.nonces[req.Nonce]; seen {
		return refusal("key-server-replay", "send a new request (a fresh nonce): a request is taken once",
			"the request's nonce was seen before")
	}
	s.nonces[req.Nonce] = req.Time
	return nil
}

// allow decides the operation by the caller's roles (Rules).
func (s *Server) allow(who caller, op string) error {
	roles, ok := Rules()[op]
	if !ok {
		return invalid("no operation %q", op)
	}
	if who.l.HasAny(who.actor, roles) {
		return nil
	}
	held := "no role"
	if rs := who.l.RolesOf(who.actor); len(rs) > 0 {
		held = fmt.Sprint(rs)
	}
	return refusal("key-server-role", "ask an admin for a role that may, or ask someone who holds one",
		"%s holds %s, and %s needs one of %v", who.actor, held, op, roles)
}

// do runs an authenticated, allowed call on the store.
func (s *Server) do(ctx context.Context, req Request) (Response, error) {
	switch req.Op {
	case OpGet:
		return keyResponse(s.store.Get(ctx, req.Scope))
	case OpCreate:
		return keyResponse(s.store.Create(ctx, req.Scope))
	case OpKey:
		return keyResponse(s.store.Key(ctx, req.ID))
	case OpLive:
		return s.liveKeys(ctx, req.IDs)
	case OpList:
		infos, err := s.store.List(ctx, req.Incident)
		return Response{Infos: infos}, err
	case OpDestroy:
		return Response{}, s.destroy(ctx, req.By, req.IDs)
	case OpMark:
		return Response{}, s.store.MarkPending(ctx, req.IDs, req.Event)
	case OpPending:
		p, err := s.store.PendingDestruction(ctx)
		return Response{Pending: p}, err
	case OpFinish:
		done, err := s.store.FinishPending(ctx, s.confirmed(req.Events))
		return Response{Pending: done}, err
	case OpCancel:
		if _, err := s.ledger.Shredded(ctx, req.Event); err == nil {
			return Response{}, refusal("key-server-shred", "let the destruction finish (breachledger shred again, or restart the key server)",
				"the DataShredded %s is in the ledger: its keys are to be destroyed, not kept", req.Event)
		} else if !errors.Is(err, ErrNoShred) {
			return Response{}, err
		}
		return Response{}, s.store.CancelPending(ctx, req.Event)
	}
	return Response{}, invalid("no operation %q", req.Op)
}

// maxLive is the most keys one live-keys call asks for.
const maxLive = 10000

// liveKeys returns the live keys among ids: in one query when the store
// hands out many at once, else one by one.
func (s *Server) liveKeys(ctx context.Context, ids []string) (Response, error) {
	if len(ids) > maxLive {
		return Response{}, invalid("live-keys asks for %d keys, at most %d a call: ask in parts", len(ids), maxLive)
	}
	out := map[string][]byte{}
	if bs, ok := s.store.(keystore.BatchStore); ok {
		keys, err := bs.LiveKeys(ctx, ids)
		if err != nil {
			return Response{}, err
		}
		for id, k := range keys {
			out[id] = k.Bytes()
		}
		return Response{Keys: out}, nil
	}
	for _, id := range ids {
		k, err := s.store.Key(ctx, id)
		if errors.Is(err, keystore.ErrNotFound) || errors.Is(err, keystore.ErrDestroyed) {
			continue
		}
		if err != nil {
			return Response{}, err
		}
		out[id] = k.Bytes()
	}
	return Response{Keys: out}, nil
}

// destroy destroys ids for the DataShredded by, once the ledger holds it
// and it forgets every one of them still alive. Unknown IDs are
// ErrNotFound; keys already destroyed need no shred.
func (s *Server) destroy(ctx context.Context, by string, ids []string) error {
	infos, err := s.store.List(ctx, "")
	if err != nil {
		return err
	}
	var live []string
	for _, id := range ids {
		i := slices.IndexFunc(infos, func(in keystore.Info) bool { return in.ID == id })
		if i < 0 {
			return fmt.Errorf("destroy data key %s: %w: nothing was destroyed; name keys this store holds (List)", id, keystore.ErrNotFound)
		}
		if infos[i].Destroyed.IsZero() {
			live = append(live, id)
		}
	}
	if len(live) == 0 {
		return nil
	}
	forgets, err := s.ledger.Shredded(ctx, by)
	if errors.Is(err, ErrNoShred) {
		return refusal("key-server-shred", "record the shred first (breachledger shred appends the DataShredded, then destroys)",
			"the key server destroys keys only for a DataShredded it reads in the ledger: %v", err)
	}
	if err != nil {
		return err
	}
	for _, id := range live {
		if !slices.Contains(forgets, id) {
			return refusal("key-server-shred", "destroy only the keys the DataShredded names",
				"the DataShredded %s does not forget key %s; nothing was destroyed", by, id)
		}
	}
	return s.store.Destroy(ctx, by, live...)
}

func keyResponse(k interface{ Bytes() []byte }, err error) (Response, error) {
	if err != nil {
		return Response{}, err
	}
	return Response{Key: k.Bytes()}, nil
}

// failure turns an error into the response that carries it.
func failure(err error) Response {
	var re *domain.RuleError
	var bad *invalidError
	switch {
	case errors.As(err, &re):
		return Response{Error: &WireError{Kind: KindRefused, Rule: re.Rule, Message: re.Reason, Hint: re.Hint}}
	case errors.As(err, &bad):
		return Response{Error: &WireError{Kind: KindInvalid, Message: bad.msg}}
	case errors.Is(err, keystore.ErrDestroyed):
		return Response{Error: &WireError{Kind: KindDestroyed, Message: err.Error()}}
	case errors.Is(err, keystore.ErrNotFound):
		return Response{Error: &WireError{Kind: KindNotFound, Message: err.Error()}}
	}
	return Response{Error: &WireError{Kind: KindInternal, Message: err.Error()}}
}

func refusal(rule, hint, format string, args ...any) error {
	return &domain.RuleError{Rule: rule, Reason: fmt.Sprintf(format, args...), Hint: hint}
}

// invalidError is a malformed call.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }

func invalid(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// Listen listens on a Unix socket at path, mode 0600 (0666 when shared:
// other uids are allowed, and SO_PEERCRED decides who may call). A socket
// left by a server that is gone is replaced; one a server answers on is
// refused.
func Listen(path string, shared bool) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("listen on %s: it exists and is not a socket: give a new path", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("listen on %s: a key server already answers there: stop it first, or give another path", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("listen on %s: remove the stale socket: %w", path, err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	mode := os.FileMode(0o600)
	if shared {
		mode = 0o666
	}
	if err := os.Chmod(path, mode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	return ln, nil
}
