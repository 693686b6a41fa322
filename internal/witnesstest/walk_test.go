package witnesstest

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/witness/cosigner"
)

// The protocol walk of TestWitness, against any tlog-witness: litewitness
// (a *Witness), and breachledger's own (witness/cosigner, what "breachledger
// witness serve" runs), so that both provably answer alike.

// A protocolWitness is a running witness the walk can onboard a log on,
// read the size of, stop and restart.
type protocolWitness interface {
	id() *Witness // its Name, URL and VKey
	AddLog(t testing.TB, origin string, vkeys ...string)
	Size(t testing.TB, origin string) uint64
	Stop(t testing.TB)
	Restart(t testing.TB)
}

func (w *Witness) id() *Witness { return w }

// walkProtocol walks the tlog-witness protocol against pw: a first
// checkpoint cosigned, an extension proven consistent cosigned, a stale old
// size answered with the witness's size, forks refused, and the witness's
// state kept across a restart. unknownOrigin is its answer to a log it does
// not know: the protocol says 404; litewitness v0.6.1 answers 403.
func walkProtocol(t *testing.T, pw protocolWitness, unknownOrigin int, start time.Time) {
	t.Helper()
	w := pw.id()
	l := NewLog(t, "breachledger/test/witnesstest", "e0", "e1", "e2")
	pw.AddLog(t, l.Origin, l.VKey)
	if got := pw.Size(t, l.Origin); got != 0 {
		t.Fatalf("Size of a log just added: %d, want 0", got)
	}

	// The first checkpoint: old 0, no proof.
	cp3 := l.Checkpoint(t)
	checkCosigned(t, w, cp3, addCheckpoint(t, w, 0, nil, cp3), start)
	if got := pw.Size(t, l.Origin); got != 3 {
		t.Fatalf("Size after cosigning 3 leaves: %d, want 3", got)
	}

	// An extension to 7: old 3 and the consistency proof from 3.
	l.Add("e3", "e4", "e5", "e6")
	cp7, proof3to7 := l.Checkpoint(t), l.Proof(t, 3)
	if len(proof3to7) == 0 {
		t.Fatal("the proof from 3 to 7 is empty")
	}
	checkCosigned(t, w, cp7, addCheckpoint(t, w, 3, proof3to7, cp7), start)
	if got := pw.Size(t, l.Origin); got != 7 {
		t.Fatalf("Size after the extension: %d, want 7", got)
	}

	// The same checkpoint again from a stale old size: 409 with the size
	// the witness holds, from which a client proves consistency.
	checkConflict(t, addCheckpoint(t, w, 0, nil, cp7), 7)
	checkConflict(t, addCheckpoint(t, w, 3, proof3to7, cp7), 7)

	// What the witness refuses. A fork is signed with the log's own
	// (stolen) key: a rewrite of the same 7 leaves, or one of 10, with its
	// own honest proof from its own 7, is not consistent with what the
	// witness cosigned.
	fork := NewLog(t, l.Origin, "e0", "e1", "e2", "X3", "e4", "e5", "e6")
	fork.signer = l.signer
	fork7 := fork.Checkpoint(t)
	fork.Add("e7", "e8", "e9")
	fork10, forkProof := fork.Checkpoint(t), fork.Proof(t, 7)
	good := NewLog(t, l.Origin, "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9")
	good.signer = l.signer
	good10 := good.Checkpoint(t)
	goodProof6, err := good.tree.ConsistencyProof(6, 10)
	if err != nil {
		t.Fatal(err)
	}
	stranger := NewLog(t, "breachledger/test/unknown", "e0")
	impostor := NewLog(t, l.Origin, "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9") // same origin, another key
	for _, tc := range []struct {
		name   string
		old    uint64
		proof  [][]byte
		signed []byte
		status int
	}{
		{"fork of the same size, old 7, no proof", 7, nil, fork7, http.StatusUnprocessableEntity},
		{"fork of the same size, old 7, a bogus proof", 7, [][]byte{make([]byte, 32)}, fork7, http.StatusUnprocessableEntity},
		{"fork of 10 with its own proof from its own 7", 7, forkProof, fork10, http.StatusUnprocessableEntity},
		{"extension to 10 with the proof from 6", 7, goodProof6, good10, http.StatusUnprocessableEntity},
		{"a log the witness does not know", 0, nil, stranger.Checkpoint(t), unknownOrigin},
		{"a checkpoint signed by another key", 7, good.Proof(t, 7), impostor.Checkpoint(t), http.StatusForbidden},
		{"old larger than the checkpoint", 11, nil, good10, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := addCheckpoint(t, w, tc.old, tc.proof, tc.signed)
			if got.status != tc.status {
				t.Errorf("status %d %q, want %d", got.status, got.body, tc.status)
			}
		})
	}
	if got := pw.Size(t, l.Origin); got != 7 {
		t.Fatalf("Size after the refusals: %d, want 7", got)
	}

	// Down: nothing listens on its port.
	pw.Stop(t)
	addr := strings.TrimPrefix(w.URL, "http://")
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("after Stop something still listens on %s", addr)
	}
	if got := pw.Size(t, l.Origin); got != 7 {
		t.Fatalf("Size while stopped: %d, want 7", got)
	}

	// Up again on the same URL, key and state: the stale old size still
	// gets 7, and the honest extension to 10 from 7 is cosigned with the
	// same key.
	vkey, url := w.VKey, w.URL
	pw.Restart(t)
	if w.VKey != vkey || w.URL != url {
		t.Fatalf("after Restart: %s %s, want %s %s", w.URL, w.VKey, url, vkey)
	}
	checkConflict(t, addCheckpoint(t, w, 0, nil, cp7), 7)
	checkCosigned(t, w, good10, addCheckpoint(t, w, 7, good.Proof(t, 7), good10), start)
	if got := pw.Size(t, l.Origin); got != 10 {
		t.Fatalf("Size after the extension to 10: %d, want 10", got)
	}
}

// ours is breachledger's own witness (witness/cosigner) on 127.0.0.1, as
// "breachledger witness serve" runs it, with its own key and database.
type ours struct {
	w    *Witness
	skey string
	db   string
	addr string
	srv  *http.Server
	cdb  *cosigner.DB
	done chan error
}

func startOurs(t *testing.T, name string) *ours {
	t.Helper()
	skey, vkey, err := cosigner.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	o := &ours{w: &Witness{Name: name, VKey: vkey}, skey: skey, db: filepath.Join(t.TempDir(), "witness.db"), addr: "127.0.0.1:0"}
	o.start(t)
	o.w.URL = "http://" + o.addr
	t.Cleanup(func() { o.Stop(t) })
	return o
}

func (o *ours) start(t testing.TB) {
	t.Helper()
	db, err := cosigner.Open(context.Background(), o.db, true)
	if err != nil {
		t.Fatal(err)
	}
	w, err := cosigner.New(db, o.skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		db.Close()
		t.Fatalf("listen on %s: %v", o.addr, err)
	}
	o.addr, o.cdb, o.done = ln.Addr().String(), db, make(chan error, 1)
	o.srv = &http.Server{Handler: w, ReadHeaderTimeout: 5 * time.Second}
	go func() { o.done <- o.srv.Serve(ln) }()
}

func (o *ours) id() *Witness { return o.w }

// AddLog adds the log through the database, as "breachledger witness log
// add" does, while the witness runs.
func (o *ours) AddLog(t testing.TB, origin string, vkeys ...string) {
	t.Helper()
	db, err := cosigner.Open(context.Background(), o.db, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.AddLog(context.Background(), origin, vkeys...); err != nil {
		t.Fatal(err)
	}
}

func (o *ours) Size(t testing.TB, origin string) uint64 {
	t.Helper()
	db, err := cosigner.Open(context.Background(), o.db, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, ok, err := db.Log(context.Background(), origin)
	if err != nil || !ok {
		t.Fatalf("log %q: %v (known: %v)", origin, err, ok)
	}
	return l.Size
}

func (o *ours) Stop(t testing.TB) {
	t.Helper()
	if o.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := o.srv.Shutdown(ctx); err != nil {
		t.Errorf("shut the witness down: %v", err)
	}
	if err := <-o.done; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("the witness's server: %v", err)
	}
	o.cdb.Close()
	o.srv = nil
}

func (o *ours) Restart(t testing.TB) {
	t.Helper()
	o.Stop(t)
	o.start(t)
}

// TestOurWitness walks the protocol against breachledger's own witness:
// the walk litewitness passes in TestWitness, with the protocol's 404 for
// a log it does not know.
func TestOurWitness(t *testing.T) {
	start := time.Now()
	o := startOurs(t, "witness.test/ours")
	if !strings.HasPrefix(o.w.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %q, want http://127.0.0.1:PORT", o.w.URL)
	}
	walkProtocol(t, o, http.StatusNotFound, start)
}
