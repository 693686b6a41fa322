package keyserver_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/keyserver"
	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/keystore/keystoretest"
)

// person is an actor with an SSH key.
type person struct {
	name   string
	signer ssh.Signer
}

func newPerson(t *testing.T, name string) person {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return person{name: name, signer: s}
}

// fakeLedger is a ledger stream (facts) and the DataShredded events the log
// holds, by ID, each naming the key IDs it forgets (nil: every key the
// store holds when asked, for the contract's made-up event IDs).
type fakeLedger struct {
	mu       sync.Mutex
	facts    []domain.Fact
	shredded map[string][]string
	store    keystore.Store
}

func (l *fakeLedger) add(e domain.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.facts = append(l.facts, domain.Fact{Sequence: uint64(len(l.facts)), Stream: domain.LedgerStream, Event: e})
}

func (l *fakeLedger) register(p person, roles ...domain.Role) {
	l.add(domain.SignerRegistered{Actor: p.name, Key: integrity.AuthorizedKey(p.signer.PublicKey()), Fingerprint: integrity.Fingerprint(p.signer.PublicKey())})
	for _, r := range roles {
		l.add(domain.RoleGranted{Actor: p.name, Role: r})
	}
}

func (l *fakeLedger) shred(id string, keys []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.shredded[id] = keys
}

func (l *fakeLedger) unshred(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.shredded, id)
}

func (l *fakeLedger) State(context.Context) (domain.Ledger, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return domain.ReplayLedger(l.facts, domain.Cut{}), nil
}

func (l *fakeLedger) Shredded(ctx context.Context, id string) ([]string, error) {
	l.mu.Lock()
	keys, ok := l.shredded[id]
	l.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("event %s: %w", id, keyserver.ErrNoShred)
	}
	if keys != nil {
		return keys, nil
	}
	infos, err := l.store.List(ctx, "")
	var all []string
	for _, in := range infos {
		all = append(all, in.ID)
	}
	return all, err
}

// world is a key server on a real Unix socket in a temp dir, its ledger and
// its store.
type world struct {
	socket string
	ledger *fakeLedger
	store  *keystore.File
}

func (w *world) client(p person) *keyserver.Client {
	return keyserver.NewClient(w.socket, p.name, p.signer)
}

// serve starts a key server of a new store, deciding with l.
func serve(t *testing.T, l *fakeLedger) *world {
	t.Helper()
	return serveIn(t, t.TempDir(), l, keyserver.Options{})
}

// serveIn starts a key server of a new store in dir, deciding with l; its
// socket is shared (mode 0666) when opts allows other uids.
func serveIn(t *testing.T, dir string, l *fakeLedger, opts keyserver.Options) *world {
	t.Helper()
	ctx := context.Background()
	st, err := keystore.New(ctx, filepath.Join(dir, "keys.db"), keystore.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l.store = st
	w := &world{socket: filepath.Join(dir, "keys.sock"), ledger: l, store: st}
	srv, err := keyserver.New(ctx, st, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := keyserver.Listen(w.socket, len(opts.UIDs) > 0)
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return w
}

func TestContract(t *testing.T) {
	keystoretest.Run(t, func(t *testing.T) keystore.Store {
		alice := newPerson(t, "alice")
		l := &fakeLedger{shredded: map[string][]string{"ds1": nil, "ds3": nil}}
		l.register(alice, domain.RoleLegal)
		return serve(t, l).client(alice)
	})
}

func TestSocketMode(t *testing.T) {
	w := serve(t, &fakeLedger{})
	fi, err := os.Stat(w.socket)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("socket mode %04o, want 0600", got)
	}
	if _, err := keyserver.Listen(w.socket, false); err == nil || !strings.Contains(err.Error(), "already answers") {
		t.Errorf("a second server on the same socket: %v", err)
	}
}

func TestCheckPeer(t *testing.T) {
	allowed := map[uint32]bool{1000: true, 1001: true}
	for _, tc := range []struct {
		name    string
		uid     uint32
		readErr error
		want    string // "" for allowed
	}{
		{"own uid", 1000, nil, ""},
		{"a uid given", 1001, nil, ""},
		{"another uid", 1002, nil, "uid 1002 may not"},
		{"root is not special", 0, nil, "uid 0 may not"},
		{"credentials unreadable", 1000, errors.New("not a Unix socket"), "could not be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := keyserver.CheckPeer(tc.uid, tc.readErr, allowed)
			got := ""
			if err != nil {
				got = err.Error()
				var re *domain.RuleError
				if !errors.As(err, &re) || re.Rule != "key-server-peer" {
					t.Errorf("refusal %v is not rule key-server-peer", err)
				}
			}
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("CheckPeer(%d) = %q, want %q", tc.uid, got, tc.want)
			}
		})
	}
}

// TestOtherUID: processes of other uids call the server's real socket
// (shared, mode 0666): one whose uid the server does not allow is refused
// by key-server-peer before anything else is read; one it allows gets as
// far as the signature check. It runs the test binary as those uids, so it
// needs root.
func TestOtherUID(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("calling as another uid needs root (SysProcAttr.Credential); TestCheckPeer covers the decision")
	}
	dir, err := os.MkdirTemp("", "keyserver-uid")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	helper := filepath.Join(dir, "helper.test")
	if err := os.WriteFile(helper, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "store")
	if err := os.Mkdir(store, 0o700); err != nil {
		t.Fatal(err)
	}
	w := serveIn(t, store, &fakeLedger{}, keyserver.Options{UIDs: []uint32{12345}})
	// The socket must be reachable by others: move it out of the 0700
	// directory by linking it into the 0755 one.
	socket := filepath.Join(dir, "keys.sock")
	if err := os.Link(w.socket, socket); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		uid  uint32
		want string
	}{
		{65534, "rule=key-server-peer"},
		{12345, "rule=key-server-signature"},
	} {
		cmd := exec.Command(helper, "-test.run=^TestPeerHelper$", "-test.v")
		cmd.Env = append(os.Environ(), "KEYSERVER_PEER_HELPER="+socket)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: tc.uid, Gid: tc.uid}}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("uid %d: %v, want %s in:\n%s", tc.uid, err, tc.want, out)
		}
	}
}

// TestPeerHelper is TestOtherUID's caller, run as another uid: it sends an
// unsigned request and prints the rule it is refused by.
func TestPeerHelper(t *testing.T) {
	socket := os.Getenv("KEYSERVER_PEER_HELPER")
	if socket == "" {
		t.Skip("run by TestOtherUID")
	}
	got := raw(t, socket, keyserver.Envelope{Request: []byte(`{"op":"key","actor":"alice"}`), Signature: []byte("not a signature")})
	if got.Error == nil {
		t.Fatalf("an unsigned call from uid %d was answered: %+v", os.Getuid(), got)
	}
	fmt.Printf("uid=%d rule=%s\n", os.Getuid(), got.Error.Rule)
}

// rule returns the rule an error refuses by, "" when it refuses by none.
func rule(err error) string {
	var re *domain.RuleError
	if errors.As(err, &re) {
		return re.Rule
	}
	return ""
}

// raw sends a hand-made envelope and returns the answer.
func raw(t *testing.T, socket string, env keyserver.Envelope) keyserver.Response {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", socket)
	}}}
	defer hc.CloseIdleConnections()
	b, _ := json.Marshal(env)
	res, err := hc.Post("http://keyserver"+keyserver.Path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out keyserver.Response
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func signed(t *testing.T, p person, req keyserver.Request) keyserver.Envelope {
	t.Helper()
	body, _ := json.Marshal(req)
	sig, err := sshsig.Sign(bytes.NewReader(body), p.signer, sshsig.HashSHA512, keyserver.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	return keyserver.Envelope{Request: body, Signature: sig.Marshal()}
}

// TestAttacks: each caller or request the server must refuse, by its rule.
func TestAttacks(t *testing.T) {
	ctx := context.Background()
	var (
		resp    = newPerson(t, "rita")    // responder
		legal   = newPerson(t, "lena")    // legal
		auditor = newPerson(t, "otto")    // auditor
		mallory = newPerson(t, "mallory") // no key registered
		revoked = newPerson(t, "rex")     // responder whose key was revoked
	)
	l := &fakeLedger{shredded: map[string][]string{}}
	l.add(domain.LedgerInitialized{Name: "t", Admin: "ada"})
	l.register(resp, domain.RoleResponder)
	l.register(legal, domain.RoleLegal)
	l.register(auditor, domain.RoleAuditor)
	l.register(revoked, domain.RoleResponder)
	l.add(domain.SignerRevoked{Actor: "rex", Fingerprint: integrity.Fingerprint(revoked.signer.PublicKey()), Reason: "lost"})
	w := serve(t, l)
	inc := keystore.Scope{Incident: "2abc"}
	k, err := w.client(resp).Create(ctx, inc)
	if err != nil {
		t.Fatalf("a responder creating a key: %v", err)
	}
	if got, err := w.client(legal).Key(ctx, k.ID()); err != nil || got.ID() != k.ID() {
		t.Fatalf("legal reading a key: %v", err)
	}
	fresh := func(op string) keyserver.Request {
		n := make([]byte, 16)
		rand.Read(n)
		return keyserver.Request{Op: op, Time: time.Now().UTC(), Nonce: fmt.Sprintf("%x", n), ID: k.ID()}
	}

	t.Run("auditor reads a key", func(t *testing.T) {
		_, err := w.client(auditor).Key(ctx, k.ID())
		if rule(err) != "key-server-role" || !strings.Contains(err.Error(), "auditor") {
			t.Errorf("auditor's Key: %v, want key-server-role naming the role", err)
		}
		if _, err := w.client(auditor).Get(ctx, inc); rule(err) != "key-server-role" {
			t.Errorf("auditor's Get: %v", err)
		}
	})
	t.Run("auditor creates a key", func(t *testing.T) {
		if _, err := w.client(auditor).Create(ctx, keystore.Scope{Incident: "9xyz"}); rule(err) != "key-server-role" {
			t.Errorf("auditor's Create: %v", err)
		}
	})
	t.Run("responder destroys", func(t *testing.T) {
		l.shred("ds-real", []string{k.ID()}) // even with a shred in the ledger
		defer l.unshred("ds-real")
		c := w.client(resp)
		for name, err := range map[string]error{
			"Destroy":     c.Destroy(ctx, "ds-real", k.ID()),
			"MarkPending": c.MarkPending(ctx, []string{k.ID()}, "ds-real"),
			"Cancel":      c.CancelPending(ctx, "ds-real"),
		} {
			if rule(err) != "key-server-role" {
				t.Errorf("responder's %s: %v, want key-server-role", name, err)
			}
		}
		if _, err := c.FinishPending(ctx, func(context.Context, string) (bool, error) { return true, nil }); rule(err) != "key-server-role" {
			t.Errorf("responder's FinishPending: %v", err)
		}
		if _, err := w.store.Key(ctx, k.ID()); err != nil {
			t.Errorf("the key is gone: %v", err)
		}
	})
	t.Run("destroy with no DataShredded in the ledger", func(t *testing.T) {
		err := w.client(legal).Destroy(ctx, "ds-not-appended", k.ID())
		if rule(err) != "key-server-shred" {
			t.Errorf("legal's Destroy without a shred: %v, want key-server-shred", err)
		}
		if _, err := w.store.Key(ctx, k.ID()); err != nil {
			t.Errorf("the key is gone: %v", err)
		}
	})
	t.Run("destroy a key the DataShredded does not name", func(t *testing.T) {
		other, err := w.client(resp).Create(ctx, keystore.Scope{Incident: "9xyz"})
		if err != nil {
			t.Fatal(err)
		}
		l.shred("ds-other", []string{k.ID()})
		err = w.client(legal).Destroy(ctx, "ds-other", k.ID(), other.ID())
		if rule(err) != "key-server-shred" {
			t.Errorf("Destroy beyond the shred: %v, want key-server-shred", err)
		}
		for _, id := range []string{k.ID(), other.ID()} {
			if _, err := w.store.Key(ctx, id); err != nil {
				t.Errorf("key %s is gone: %v", id, err)
			}
		}
	})
	t.Run("finish an intent whose DataShredded is not in the ledger", func(t *testing.T) {
		c := w.client(legal)
		if err := c.MarkPending(ctx, []string{k.ID()}, "ds-pending"); err != nil {
			t.Fatal(err)
		}
		// The caller says it is there; the ledger says not.
		done, err := c.FinishPending(ctx, func(context.Context, string) (bool, error) { return true, nil })
		if err != nil || len(done) != 0 {
			t.Errorf("FinishPending on the caller's word: %+v, %v; want nothing finished", done, err)
		}
		if _, err := w.store.Key(ctx, k.ID()); err != nil {
			t.Errorf("the key is gone: %v", err)
		}
		// Once it is, a cancel is refused.
		l.shred("ds-pending", []string{k.ID()})
		defer l.unshred("ds-pending")
		if err := c.CancelPending(ctx, "ds-pending"); rule(err) != "key-server-shred" {
			t.Errorf("cancelling an intent whose shred is in the ledger: %v, want key-server-shred", err)
		}
		l.unshred("ds-pending")
		if err := c.CancelPending(ctx, "ds-pending"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("key not registered", func(t *testing.T) {
		if _, err := w.client(mallory).Key(ctx, k.ID()); rule(err) != "key-server-signature" || !strings.Contains(err.Error(), "not in the ledger's signer registry") {
			t.Errorf("an unregistered key: %v", err)
		}
	})
	t.Run("revoked key", func(t *testing.T) {
		if _, err := w.client(revoked).Key(ctx, k.ID()); rule(err) != "key-server-signature" || !strings.Contains(err.Error(), "revoked") {
			t.Errorf("a revoked key: %v", err)
		}
	})
	t.Run("another's name with one's own key", func(t *testing.T) {
		c := keyserver.NewClient(w.socket, "lena", auditor.signer)
		if _, err := c.Key(ctx, k.ID()); rule(err) != "key-server-signature" || !strings.Contains(err.Error(), "registered to otto") {
			t.Errorf("the auditor's key as lena: %v", err)
		}
	})
	t.Run("forged signature", func(t *testing.T) {
		// The auditor asks as legal: the signature names legal's key but
		// is the auditor's, over the request.
		req := fresh(keyserver.OpKey)
		req.Actor = "lena"
		env := signed(t, auditor, req)
		forged := signed(t, legal, fresh(keyserver.OpKey)) // legal's signature over another request
		env.Signature = forged.Signature
		if got := raw(t, w.socket, env); got.Error == nil || got.Error.Rule != "key-server-signature" || got.Key != nil {
			t.Errorf("a signature over another request: %+v", got.Error)
		}
		// A request changed after signing.
		env = signed(t, legal, func() keyserver.Request { r := fresh(keyserver.OpKey); r.Actor = "lena"; return r }())
		env.Request = bytes.Replace(env.Request, []byte(`"op":"key"`), []byte(`"op":"get"`), 1)
		if got := raw(t, w.socket, env); got.Error == nil || got.Error.Rule != "key-server-signature" {
			t.Errorf("a request changed after signing: %+v", got.Error)
		}
		// An event signature (another namespace) over the same bytes.
		req = fresh(keyserver.OpKey)
		req.Actor = "lena"
		body, _ := json.Marshal(req)
		evsig, err := integrity.SignEnvelope(body, legal.signer)
		if err != nil {
			t.Fatal(err)
		}
		if got := raw(t, w.socket, keyserver.Envelope{Request: body, Signature: evsig}); got.Error == nil || got.Error.Rule != "key-server-signature" {
			t.Errorf("an event signature taken for a request's: %+v", got.Error)
		}
	})
	t.Run("replayed request", func(t *testing.T) {
		req := fresh(keyserver.OpKey)
		req.Actor = "lena"
		env := signed(t, legal, req)
		if got := raw(t, w.socket, env); got.Error != nil || got.Key == nil {
			t.Fatalf("the first sending: %+v", got.Error)
		}
		if got := raw(t, w.socket, env); got.Error == nil || got.Error.Rule != "key-server-replay" || got.Key != nil {
			t.Errorf("the same request again: %+v", got.Error)
		}
	})
	t.Run("stale request", func(t *testing.T) {
		req := fresh(keyserver.OpKey)
		req.Actor = "lena"
		req.Time = req.Time.Add(-time.Hour)
		if got := raw(t, w.socket, signed(t, legal, req)); got.Error == nil || got.Error.Rule != "key-server-stale" {
			t.Errorf("a request an hour old: %+v", got.Error)
		}
	})
	t.Run("auditor asks for many keys", func(t *testing.T) {
		c := w.client(auditor)
		if _, err := c.LiveKeys(ctx, []string{k.ID()}); rule(err) != "key-server-role" {
			t.Errorf("auditor's LiveKeys: %v, want key-server-role", err)
		}
		// The refusal holds for the client's life (a run): granted a
		// reader's role now, the auditor's next run reads, this one not.
		l.add(domain.RoleGranted{Actor: "otto", Role: domain.RoleLegal})
		defer l.add(domain.RoleRevoked{Actor: "otto", Role: domain.RoleLegal})
		if _, err := c.Key(ctx, k.ID()); rule(err) != "key-server-role" {
			t.Errorf("the same client's Key after a refusal: %v, want the refusal again", err)
		}
		if _, err := w.client(auditor).Key(ctx, k.ID()); err != nil {
			t.Errorf("a new client once granted legal: %v", err)
		}
	})
	t.Run("role revoked", func(t *testing.T) {
		c := w.client(resp)
		if _, err := c.Get(ctx, inc); err != nil {
			t.Fatal(err)
		}
		l.add(domain.RoleRevoked{Actor: "rita", Role: domain.RoleResponder})
		if _, err := w.client(resp).Get(ctx, inc); rule(err) != "key-server-role" {
			t.Errorf("after the role is revoked: %v", err)
		}
	})
}

// TestLiveKeys: many keys in one call, the live ones alone; a destroyed or
// unknown ID is left out (Key says which).
func TestLiveKeys(t *testing.T) {
	ctx := context.Background()
	lena := newPerson(t, "lena")
	l := &fakeLedger{shredded: map[string][]string{}}
	l.register(lena, domain.RoleLegal)
	w := serve(t, l)
	k1, err := w.store.Create(ctx, keystore.Scope{Incident: "2abc"})
	if err != nil {
		t.Fatal(err)
	}
	k2, err := w.store.Create(ctx, keystore.Scope{Incident: "2abc", Event: "e1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.Destroy(ctx, "ds1", k2.ID()); err != nil {
		t.Fatal(err)
	}
	got, err := w.client(lena).LiveKeys(ctx, []string{k1.ID(), k2.ID(), "no-such-key"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || string(got[k1.ID()].Bytes()) != string(k1.Bytes()) {
		t.Errorf("LiveKeys = %v, want %s alone", got, k1.ID())
	}
}

// TestShredThroughServer: legal records the intent, the DataShredded
// reaches the ledger, and the destruction finishes; a server started with
// an intent whose shred is in the ledger finishes it itself.
func TestShredThroughServer(t *testing.T) {
	ctx := context.Background()
	legal := newPerson(t, "lena")
	l := &fakeLedger{shredded: map[string][]string{}}
	l.register(legal, domain.RoleLegal)
	w := serve(t, l)
	c := w.client(legal)
	k, err := c.Create(ctx, keystore.Scope{Incident: "2abc"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.MarkPending(ctx, []string{k.ID()}, "ds1"); err != nil {
		t.Fatal(err)
	}
	l.shred("ds1", []string{k.ID()})
	if err := c.Destroy(ctx, "ds1", k.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Key(ctx, k.ID()); !errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("Key after the shred: %v, want ErrDestroyed (the client forgets it too)", err)
	}
	done, err := c.FinishPending(ctx, func(context.Context, string) (bool, error) { return true, nil })
	if err != nil || len(done) != 1 {
		t.Errorf("FinishPending: %+v, %v", done, err)
	}

	// A crash after the append: the intent is left; the next server start
	// finishes it.
	k2, err := w.store.Create(ctx, keystore.Scope{Incident: "9xyz"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.MarkPending(ctx, []string{k2.ID()}, "ds2"); err != nil {
		t.Fatal(err)
	}
	if err := w.store.MarkPending(ctx, []string{k2.ID()}, "ds3"); err != nil {
		t.Fatal(err)
	}
	l.shred("ds3", []string{"another-key"}) // an intent naming keys its event does not forget
	if _, err := keyserver.New(ctx, w.store, l, keyserver.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Key(ctx, k2.ID()); err != nil {
		t.Errorf("a start destroyed a key no DataShredded forgets: %v", err)
	}
	l.shred("ds2", []string{k2.ID()})
	if _, err := keyserver.New(ctx, w.store, l, keyserver.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Key(ctx, k2.ID()); !errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("a start left the key of a DataShredded in the ledger: %v", err)
	}
	p, _ := w.store.PendingDestruction(ctx)
	if !slices.EqualFunc(p, []keystore.Pending{{EventID: "ds3"}}, func(a, b keystore.Pending) bool { return a.EventID == b.EventID }) {
		t.Errorf("pending after the start: %+v, want ds3 alone", p)
	}
}
