package keyserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/seal"
)

// A Client is a keystore.Store served by a key server: each call is signed
// with the caller's SSH key, as Actor. It keeps the keys it was given for
// its life (one run of the CLI), so a reader opening many sealed values of
// a key asks once; destroying keys through it forgets them.
type Client struct {
	actor  string
	signer ssh.Signer
	socket string
	hc     *http.Client
	now    func() time.Time

	mu   sync.Mutex
	keys map[string]seal.Key // by ID
	// denied is the refusal of a read (a rule: the caller's uid, key or
	// role), given again to every later read of the run without asking.
	denied error
}

var _ keystore.BatchStore = (*Client)(nil)

// NewClient returns a client of the key server listening on the Unix
// socket at socket, calling as actor, signing with signer.
func NewClient(socket, actor string, signer ssh.Signer) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}
	return &Client{actor: actor, signer: signer, socket: socket, hc: &http.Client{Transport: tr},
		now: time.Now, keys: map[string]seal.Key{}}
}

// call signs req, sends it and decodes the answer, turning a WireError
// back into an error that matches keystore's and domain's.
func (c *Client) call(ctx context.Context, req Request) (Response, error) {
	req.Actor, req.Time = c.actor, c.now().UTC()
	nonce := make([]byte, 16)
	rand.Read(nonce) // never fails (crypto/rand, Go 1.24)
	req.Nonce = base64.StdEncoding.EncodeToString(nonce)
	body, err := json.Marshal(req)
	if err != nil {
		return Response{}, fmt.Errorf("key server %s: encode: %w", req.Op, err)
	}
	sig, err := sshsig.Sign(bytes.NewReader(body), c.signer, sshsig.HashSHA512, Namespace)
	if err != nil {
		return Response{}, fmt.Errorf("key server %s: sign the request: %w", req.Op, err)
	}
	env, err := json.Marshal(Envelope{Request: body, Signature: sig.Marshal()})
	if err != nil {
		return Response{}, fmt.Errorf("key server %s: encode: %w", req.Op, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://keyserver"+Path, bytes.NewReader(env))
	if err != nil {
		return Response{}, fmt.Errorf("key server %s: %w", req.Op, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	res, err := c.hc.Do(hr)
	if err != nil {
		return Response{}, fmt.Errorf("call the key server at %s (is \"breachledger keys serve\" running there?): %w", c.socket, err)
	}
	defer res.Body.Close()
	var out Response
	if err := json.NewDecoder(io.LimitReader(res.Body, 64<<20)).Decode(&out); err != nil {
		return Response{}, fmt.Errorf("key server %s: decode the answer (HTTP %d): %w", req.Op, res.StatusCode, err)
	}
	if e := out.Error; e != nil {
		return Response{}, e.err()
	}
	return out, nil
}

// err turns a WireError into an error matching keystore.ErrNotFound,
// keystore.ErrDestroyed or domain.ErrRefused (a *domain.RuleError) as the
// server's did.
func (e *WireError) err() error {
	switch e.Kind {
	case KindRefused:
		return &domain.RuleError{Rule: e.Rule, Reason: "key server: " + e.Message, Hint: e.Hint}
	case KindNotFound:
		return fmt.Errorf("key server: %s: %w", e.Message, keystore.ErrNotFound)
	case KindDestroyed:
		return fmt.Errorf("key server: %s: %w", e.Message, keystore.ErrDestroyed)
	}
	return fmt.Errorf("key server: %s", e.Message)
}

// key decodes a key from an answer, checking the ID asked for.
func (c *Client) key(res Response, err error, want string) (seal.Key, error) {
	if err != nil {
		return seal.Key{}, err
	}
	k, err := seal.NewKey(res.Key)
	clear(res.Key)
	if err != nil {
		return seal.Key{}, fmt.Errorf("key server: the key sent: %w", err)
	}
	if want != "" && k.ID() != want {
		return seal.Key{}, fmt.Errorf("key server: sent key %s for %s", k.ID(), want)
	}
	c.mu.Lock()
	c.keys[k.ID()] = k
	c.mu.Unlock()
	return k, nil
}

// read calls a read operation (get, key, live-keys). A refusal by a rule
// is remembered: the caller's uid, key and roles do not change within a
// run, and a reader without access opening many sealed values then asks
// once, not once a value.
func (c *Client) read(ctx context.Context, req Request) (Response, error) {
	c.mu.Lock()
	denied := c.denied
	c.mu.Unlock()
	if denied != nil {
		return Response{}, denied
	}
	res, err := c.call(ctx, req)
	var re *domain.RuleError
	if errors.As(err, &re) {
		c.mu.Lock()
		c.denied = err
		c.mu.Unlock()
	}
	return res, err
}

// Get implements keystore.Store.
func (c *Client) Get(ctx context.Context, s keystore.Scope) (seal.Key, error) {
	res, err := c.read(ctx, Request{Op: OpGet, Scope: s})
	return c.key(res, err, "")
}

// Create implements keystore.Store.
func (c *Client) Create(ctx context.Context, s keystore.Scope) (seal.Key, error) {
	if s.Incident == "" {
		return seal.Key{}, errors.New("create data key: a scope names an incident")
	}
	res, err := c.call(ctx, Request{Op: OpCreate, Scope: s})
	return c.key(res, err, "")
}

// Key implements keystore.Store; a key already given is not asked again.
func (c *Client) Key(ctx context.Context, id string) (seal.Key, error) {
	c.mu.Lock()
	k, ok := c.keys[id]
	c.mu.Unlock()
	if ok {
		return k, nil
	}
	res, err := c.read(ctx, Request{Op: OpKey, ID: id})
	return c.key(res, err, id)
}

// LiveKeys implements keystore.BatchStore: the keys not given yet are
// asked for in one call.
func (c *Client) LiveKeys(ctx context.Context, ids []string) (map[string]seal.Key, error) {
	out := map[string]seal.Key{}
	var ask []string
	c.mu.Lock()
	for _, id := range ids {
		if k, ok := c.keys[id]; ok {
			out[id] = k
		} else {
			ask = append(ask, id)
		}
	}
	c.mu.Unlock()
	if len(ask) == 0 {
		return out, nil
	}
	res, err := c.read(ctx, Request{Op: OpLive, IDs: ask})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, b := range res.Keys {
		k, err := seal.NewKey(b)
		clear(b)
		if err != nil {
			return nil, fmt.Errorf("key server: the key sent for %s: %w", id, err)
		}
		if k.ID() != id || !slices.Contains(ask, id) {
			return nil, fmt.Errorf("key server: sent key %s for %s", k.ID(), id)
		}
		c.keys[id] = k
		out[id] = k
	}
	return out, nil
}

// List implements keystore.Store.
func (c *Client) List(ctx context.Context, incident string) ([]keystore.Info, error) {
	res, err := c.call(ctx, Request{Op: OpList, Incident: incident})
	return res.Infos, err
}

// forget drops keys from the client's memory.
func (c *Client) forget(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		delete(c.keys, id)
	}
}

// Destroy implements keystore.Store: the server destroys only keys a
// DataShredded by in the ledger forgets.
func (c *Client) Destroy(ctx context.Context, by string, ids ...string) error {
	c.forget(ids...)
	_, err := c.call(ctx, Request{Op: OpDestroy, By: by, IDs: ids})
	return err
}

// MarkPending implements keystore.Store.
func (c *Client) MarkPending(ctx context.Context, keyIDs []string, eventID string) error {
	_, err := c.call(ctx, Request{Op: OpMark, IDs: keyIDs, Event: eventID})
	return err
}

// PendingDestruction implements keystore.Store.
func (c *Client) PendingDestruction(ctx context.Context) ([]keystore.Pending, error) {
	res, err := c.call(ctx, Request{Op: OpPending})
	return res.Pending, err
}

// FinishPending implements keystore.Store: it asks appended about each
// intent here, then the server finishes those its own reading of the
// ledger confirms too.
func (c *Client) FinishPending(ctx context.Context, appended func(ctx context.Context, eventID string) (bool, error)) ([]keystore.Pending, error) {
	pending, err := c.PendingDestruction(ctx)
	if err != nil || len(pending) == 0 {
		return nil, err
	}
	var saw []string
	for _, p := range pending {
		ok, err := appended(ctx, p.EventID)
		if err != nil {
			return nil, fmt.Errorf("finish destruction by %s: is the event in the ledger: %w", p.EventID, err)
		}
		if ok {
			saw = append(saw, p.EventID)
		}
	}
	if len(saw) == 0 {
		return nil, nil
	}
	res, err := c.call(ctx, Request{Op: OpFinish, Events: saw})
	for _, p := range res.Pending {
		c.forget(p.KeyIDs...)
	}
	return res.Pending, err
}

// CancelPending implements keystore.Store.
func (c *Client) CancelPending(ctx context.Context, eventID string) error {
	_, err := c.call(ctx, Request{Op: OpCancel, Event: eventID})
	return err
}

// Close forgets the keys given and closes the connections.
func (c *Client) Close() error {
	c.mu.Lock()
	clear(c.keys)
	c.mu.Unlock()
	c.hc.CloseIdleConnections()
	return nil
}
