package cosigner_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/witnesstest"
	"github.com/breachledger/breachledger/witness/cosigner"
)

// server is a witness under test, on httptest, and what it logs.
type server struct {
	w    *cosigner.Witness
	db   *cosigner.DB
	srv  *httptest.Server
	logs *syncBuffer
	path string
	skey string
}

func newServer(t testing.TB, name string) *server {
	t.Helper()
	skey, _, err := cosigner.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{path: filepath.Join(t.TempDir(), "witness.db"), skey: skey}
	s.start(t)
	return s
}

func (s *server) start(t testing.TB) {
	t.Helper()
	db, err := cosigner.Open(context.Background(), s.path, true)
	if err != nil {
		t.Fatal(err)
	}
	s.logs = &syncBuffer{}
	w, err := cosigner.New(db, s.skey, slog.New(slog.NewTextHandler(s.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.w, s.db, s.srv = w, db, httptest.NewServer(w)
	t.Cleanup(s.stop)
}

func (s *server) stop() {
	if s.srv != nil {
		s.srv.Close()
		s.db.Close()
		s.srv = nil
	}
}

func (s *server) addLog(t testing.TB, l *witnesstest.Log) {
	t.Helper()
	if _, err := s.db.AddLog(context.Background(), l.Origin, l.VKey); err != nil {
		t.Fatal(err)
	}
}

func (s *server) size(t testing.TB, origin string) uint64 {
	t.Helper()
	l, ok, err := s.db.Log(context.Background(), origin)
	if err != nil || !ok {
		t.Fatalf("Log(%q): %v, known %v", origin, err, ok)
	}
	return l.Size
}

type response struct {
	status      int
	contentType string
	body        string
}

func requestBody(old uint64, proof [][]byte, signed []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", old)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h) + "\n")
	}
	b.WriteString("\n")
	b.Write(signed)
	return b.Bytes()
}

func (s *server) post(t testing.TB, body []byte) response {
	t.Helper()
	return s.do(t, http.MethodPost, "/add-checkpoint", body)
}

func (s *server) do(t testing.TB, method, path string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

func (s *server) add(t testing.TB, old uint64, proof [][]byte, signed []byte) response {
	t.Helper()
	return s.post(t, requestBody(old, proof, signed))
}

// checkCosigned checks a 200 answer: one cosignature/v1 line by the
// witness, which an auditor's policy (integrity.WitnessPolicy) accepts for
// the checkpoint, dated between from and now.
func checkCosigned(t testing.TB, s *server, signed []byte, got response, from time.Time) {
	t.Helper()
	if got.status != http.StatusOK {
		t.Fatalf("add-checkpoint: %d %q, want 200", got.status, got.body)
	}
	lines := strings.SplitAfter(got.body, "\n")
	if len(lines) != 2 || lines[1] != "" || !strings.HasPrefix(lines[0], "\u2014 "+s.w.Name()+" ") {
		t.Fatalf("add-checkpoint: body %q, want one cosignature line by %s", got.body, s.w.Name())
	}
	k, err := integrity.ParseWitnessKey(s.w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := (integrity.WitnessPolicy{Witnesses: []*integrity.WitnessKey{k}, Quorum: 1, MaxAge: time.Minute}).Check(signed, [][]byte{[]byte(lines[0])}, time.Now())
	if err != nil {
		t.Fatalf("the cosignature does not pass an auditor's check: %v", err)
	}
	if ts := rep.Cosigned[0].Time; ts.Before(from.Truncate(time.Second)) || ts.After(time.Now().Add(time.Second)) {
		t.Errorf("cosignature time %s, want within [%s, now]", ts, from)
	}
}

func checkConflict(t testing.TB, got response, size uint64) {
	t.Helper()
	want := response{http.StatusConflict, "text/x.tlog.size", strconv.FormatUint(size, 10) + "\n"}
	if got != want {
		t.Fatalf("add-checkpoint: got %+v, want %+v", got, want)
	}
}

func TestGenerateKey(t *testing.T) {
	skey, vkey, err := cosigner.GenerateKey(rand.Reader, "auditor.example/w1")
	if err != nil {
		t.Fatal(err)
	}
	// The verifier key by hand: NAME+HASH+BASE64(0x04 || public key), HASH
	// the first 4 bytes of SHA-256(NAME "\n" 0x04 || public key).
	parts := strings.SplitN(skey, "+", 5) // the base64 may hold '+'
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" || parts[2] != "auditor.example/w1" {
		t.Fatalf("skey %q, want PRIVATE+KEY+NAME+HASH+BASE64", skey)
	}
	raw, _ := base64.StdEncoding.DecodeString(parts[4])
	if len(raw) != 33 || raw[0] != 0x04 {
		t.Fatalf("skey's key bytes %x, want 0x04 and a 32-byte seed", raw)
	}
	pub := append([]byte{0x04}, ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)...)
	h := sha256.Sum256(append([]byte("auditor.example/w1\n"), pub...))
	want := fmt.Sprintf("auditor.example/w1+%08x+%s", binary.BigEndian.Uint32(h[:4]), base64.StdEncoding.EncodeToString(pub))
	if vkey != want {
		t.Fatalf("vkey %q, want %q", vkey, want)
	}
	if parts[3] != fmt.Sprintf("%08x", binary.BigEndian.Uint32(h[:4])) {
		t.Errorf("skey's hash %s, want the verifier key's", parts[3])
	}
	// What the ledger (witness add) and an auditor (verify --witness)
	// accept, and what formats takes as a cosignature/v1 key.
	if _, err := domain.ParseWitnessKey(vkey); err != nil {
		t.Errorf("the ledger refuses the key: %v", err)
	}
	if _, err := integrity.ParseWitnessKey(vkey); err != nil {
		t.Errorf("verify --witness refuses the key: %v", err)
	}
	s, got, err := cosigner.NewSigner(skey + "\n")
	if err != nil || got != vkey || s.Name() != "auditor.example/w1" {
		t.Fatalf("NewSigner: %v, %q, %v; want the same key", s, got, err)
	}
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	if err != nil || v.KeyHash() != s.KeyHash() {
		t.Fatalf("verifier %v (%v), want hash %08x", v, err, s.KeyHash())
	}

	t.Run("a plain note signer key signs the same cosignatures", func(t *testing.T) {
		skey01, vkey01, _ := note.GenerateKey(rand.Reader, "auditor.example/w2")
		_, got, err := cosigner.NewSigner(skey01)
		want, _ := fnote.VKeyToCosignatureV1(vkey01)
		if err != nil || got != want {
			t.Errorf("NewSigner of a 0x01 key: %q, %v; want %q", got, err, want)
		}
	})
	for _, name := range []string{"", "two words", "a+b", "tab\there"} {
		if _, _, err := cosigner.GenerateKey(rand.Reader, name); !errors.Is(err, cosigner.ErrInvalid) {
			t.Errorf("GenerateKey(%q): %v, want ErrInvalid", name, err)
		}
	}
	for _, bad := range []string{"", "PRIVATE+KEY+x", vkey} {
		if _, _, err := cosigner.NewSigner(bad); !errors.Is(err, cosigner.ErrInvalid) {
			t.Errorf("NewSigner(%q): %v, want ErrInvalid", bad, err)
		}
	}
}

func TestParseLogKey(t *testing.T) {
	l := witnesstest.NewLog(t, "breachledger/test/log")
	_, wkey, _ := cosigner.GenerateKey(rand.Reader, "breachledger/test/log")
	other := witnesstest.NewLog(t, "breachledger/test/other")
	name, rest, _ := strings.Cut(l.VKey, "+")
	badHash := name + "+00000000" + rest[8:]
	for _, tc := range []struct {
		name, vkey, want string
	}{
		{"the log's key", l.VKey, ""},
		{"another log's key", other.VKey, "not the origin"},
		{"a witness's key", wkey, "witness's cosignature key"},
		{"a hash that does not match", badHash, "not a signed-note verifier key"},
		{"not a key", "hello", "not a signed-note verifier key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cosigner.ParseLogKey(l.Origin, tc.vkey)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("ParseLogKey: %v", err)
			case tc.want != "" && (!errors.Is(err, cosigner.ErrInvalid) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("ParseLogKey: %v, want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
}

func TestDB(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "witness.db")
	if _, err := cosigner.Open(ctx, path, false); !errors.Is(err, cosigner.ErrNotFound) {
		t.Fatalf("Open of a missing file without create: %v, want ErrNotFound", err)
	}
	db, err := cosigner.Open(ctx, path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the database's mode: %v (%v), want 0600", fi.Mode(), err)
	}
	l := witnesstest.NewLog(t, "breachledger/test/db")
	k2 := witnesstest.NewLog(t, l.Origin) // a second key of the same log (a notary's)

	added, err := db.AddLog(ctx, l.Origin, l.VKey)
	if err != nil || !added.NewLog || len(added.Keys) != 1 {
		t.Fatalf("AddLog: %+v, %v", added, err)
	}
	got, ok, err := db.Log(ctx, l.Origin)
	empty := sha256.Sum256(nil) // RFC 6962: the empty tree's root
	if err != nil || !ok || got.Size != 0 || !bytes.Equal(got.Root, empty[:]) {
		t.Fatalf("a log just added: %+v %v %v, want size 0 and the empty tree's root %x", got, ok, err, empty)
	}
	added, err = db.AddLog(ctx, l.Origin, l.VKey, k2.VKey)
	if err != nil || added.NewLog || len(added.Keys) != 1 || added.Keys[0] != k2.VKey || len(added.Already) != 1 {
		t.Fatalf("AddLog again with a second key: %+v, %v", added, err)
	}
	for _, tc := range []struct {
		name   string
		origin string
		keys   []string
	}{
		{"a key named otherwise", l.Origin, []string{witnesstest.NewLog(t, "breachledger/test/else").VKey}},
		{"no key", l.Origin, nil},
		{"an empty origin", "", []string{l.VKey}},
	} {
		if _, err := db.AddLog(ctx, tc.origin, tc.keys...); !errors.Is(err, cosigner.ErrInvalid) {
			t.Errorf("AddLog %s: %v, want ErrInvalid", tc.name, err)
		}
	}
	logs, err := db.Logs(ctx)
	if err != nil || len(logs) != 1 || len(logs[0].Keys) != 2 {
		t.Fatalf("Logs: %+v, %v; want one log with two keys (nothing of the refused added)", logs, err)
	}

	if left, err := db.RemoveKey(ctx, l.Origin, k2.VKey); err != nil || left != 1 {
		t.Errorf("RemoveKey: %d left, %v; want 1", left, err)
	}
	if _, err := db.RemoveKey(ctx, l.Origin, k2.VKey); !errors.Is(err, cosigner.ErrNotFound) {
		t.Errorf("RemoveKey of a key removed: %v, want ErrNotFound", err)
	}
	if _, err := db.RemoveKey(ctx, "breachledger/test/none", l.VKey); !errors.Is(err, cosigner.ErrNotFound) {
		t.Errorf("RemoveKey of an unknown log: %v, want ErrNotFound", err)
	}

	t.Run("the triggers keep a log from going back or away", func(t *testing.T) {
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec("UPDATE log SET size = 5"); err != nil {
			t.Fatalf("moving a log forward: %v", err)
		}
		for _, stmt := range []string{
			"DELETE FROM log",
			"UPDATE log SET size = 4",
			"UPDATE log SET root = zeroblob(32)",
			"UPDATE log SET origin = 'x'",
		} {
			if _, err := raw.Exec(stmt); err == nil || !strings.Contains(err.Error(), "never") {
				t.Errorf("%s: %v, want the trigger's refusal", stmt, err)
			}
		}
	})

	t.Run("a file that is not a witness database is refused and left as it was", func(t *testing.T) {
		other := filepath.Join(dir, "other.db")
		raw, err := sql.Open("sqlite", other)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec("CREATE TABLE events (seq INTEGER)"); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		text := filepath.Join(dir, "notes.txt")
		os.WriteFile(text, bytes.Repeat([]byte("not sqlite\n"), 100), 0o600)
		for _, p := range []string{other, text} {
			before, _ := os.ReadFile(p)
			if _, err := cosigner.Open(ctx, p, true); !errors.Is(err, cosigner.ErrNotWitnessDB) {
				t.Errorf("Open(%s): %v, want ErrNotWitnessDB", filepath.Base(p), err)
			}
			if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
				t.Errorf("Open(%s) changed the file", filepath.Base(p))
			}
		}
	})
}

// TestAddCheckpoint walks every answer of c2sp.org/tlog-witness's
// add-checkpoint.
func TestAddCheckpoint(t *testing.T) {
	start := time.Now()
	s := newServer(t, "witness.test/ours")
	l := witnesstest.NewLog(t, "breachledger/test/cosigner", "e0", "e1", "e2")
	s.addLog(t, l)

	cp3 := l.Checkpoint(t)
	checkCosigned(t, s, cp3, s.add(t, 0, nil, cp3), start)
	if got := s.size(t, l.Origin); got != 3 {
		t.Fatalf("size after cosigning 3: %d", got)
	}
	l.Add("e3", "e4", "e5", "e6")
	cp7, proof3 := l.Checkpoint(t), l.Proof(t, 3)
	checkCosigned(t, s, cp7, s.add(t, 3, proof3, cp7), start)
	// The same checkpoint again (a refresh): from its own size, no proof.
	checkCosigned(t, s, cp7, s.add(t, 7, nil, cp7), start)
	checkConflict(t, s.add(t, 0, nil, cp7), 7)
	checkConflict(t, s.add(t, 3, proof3, cp7), 7)

	// The checkpoint of 10 the log goes on to, and what is refused.
	good := l.Fork(t, "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9")
	good10, proof7 := good.Checkpoint(t), good.Proof(t, 7)
	proof6 := good.ProofBetween(t, 6, 10)
	fork := l.Fork(t, "e0", "e1", "e2", "X3", "e4", "e5", "e6")
	fork7 := fork.Checkpoint(t)
	fork.Add("e7", "e8", "e9")
	fork10, forkProof := fork.Checkpoint(t), fork.Proof(t, 7)
	impostor := witnesstest.NewLog(t, l.Origin, "e0") // same origin, another key
	stranger := witnesstest.NewLog(t, "breachledger/test/unknown", "e0")
	// A signature line of the trusted key, altered.
	altered := bytes.Clone(good10)
	i := bytes.LastIndexByte(altered[:len(altered)-1], '\n') + len("\u2014 "+l.Origin+" ") + 1
	sigb64 := altered[i : len(altered)-1]
	sig, _ := base64.StdEncoding.DecodeString(string(sigb64))
	sig[len(sig)-1] ^= 1
	altered = append(altered[:i], base64.StdEncoding.EncodeToString(sig)+"\n"...)
	// A note with a control character; signed text that is no checkpoint.
	notCheckpoint := l.Sign(t, []byte(l.Origin+"\nhello\n"))
	shortRoot := l.Sign(t, []byte(l.Origin+"\n10\n"+base64.StdEncoding.EncodeToString(make([]byte, 31))+"\n"))
	manyLines := bytes.Repeat([]byte(base64.StdEncoding.EncodeToString(make([]byte, 32))+"\n"), 64)

	for _, tc := range []struct {
		name   string
		body   []byte
		status int
	}{
		{"fork of the same size, no proof", requestBody(7, nil, fork7), http.StatusUnprocessableEntity},
		{"fork of the same size, a bogus proof", requestBody(7, [][]byte{make([]byte, 32)}, fork7), http.StatusUnprocessableEntity},
		{"fork of 10 with its own proof from its own 7", requestBody(7, forkProof, fork10), http.StatusUnprocessableEntity},
		{"extension to 10 with the proof from 6", requestBody(7, proof6, good10), http.StatusUnprocessableEntity},
		{"extension to 10 without a proof", requestBody(7, nil, good10), http.StatusUnprocessableEntity},
		{"a log the witness does not know", requestBody(0, nil, stranger.Checkpoint(t)), http.StatusNotFound},
		{"signed by another key of the same name", requestBody(7, proof7, impostor.Checkpoint(t)), http.StatusForbidden},
		{"a trusted key's signature altered", requestBody(7, proof7, altered), http.StatusForbidden},
		{"old larger than the checkpoint", requestBody(11, nil, good10), http.StatusBadRequest},
		{"no empty line", []byte("old 7\n" + string(good10)), http.StatusBadRequest},
		{"no old line", requestBody(7, proof7, good10)[len("old 7\n"):], http.StatusBadRequest},
		{"old with a leading zero", append([]byte("old 07\n"), requestBody(7, proof7, good10)[len("old 7\n"):]...), http.StatusBadRequest},
		{"old negative", append([]byte("old -1\n\n"), good10...), http.StatusBadRequest},
		{"64 proof lines", append(append([]byte("old 7\n"), manyLines...), append([]byte("\n"), good10...)...), http.StatusBadRequest},
		{"a proof line not base64", append([]byte("old 7\n!!!!\n\n"), good10...), http.StatusBadRequest},
		{"a proof hash of 31 bytes", requestBody(7, [][]byte{make([]byte, 31)}, good10), http.StatusBadRequest},
		{"a note with a control character", requestBody(7, proof7, bytes.Replace(good10, []byte("\n10\n"), []byte("\n10\x1b\n"), 1)), http.StatusBadRequest},
		{"a signed note that is no checkpoint", requestBody(7, nil, notCheckpoint), http.StatusBadRequest},
		{"a root of 31 bytes", requestBody(7, nil, shortRoot), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.post(t, tc.body); got.status != tc.status {
				t.Errorf("status %d %q, want %d", got.status, got.body, tc.status)
			}
		})
	}
	t.Run("not add-checkpoint", func(t *testing.T) {
		if got := s.do(t, http.MethodGet, "/add-checkpoint", nil); got.status != http.StatusMethodNotAllowed {
			t.Errorf("GET /add-checkpoint: %d, want 405", got.status)
		}
		if got := s.do(t, http.MethodPost, "/checkpoint", requestBody(7, proof7, good10)); got.status != http.StatusNotFound {
			t.Errorf("POST /checkpoint: %d, want 404", got.status)
		}
	})
	t.Run("a body over 10 KiB", func(t *testing.T) {
		body := append(requestBody(7, proof7, good10), bytes.Repeat([]byte("\u2014 x AAAAAAAAAAAAAAAAAAAA\n"), 500)...)
		if got := s.post(t, body); got.status != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", got.status)
		}
	})
	if got := s.size(t, l.Origin); got != 7 {
		t.Fatalf("size after the refusals: %d, want 7", got)
	}

	// Refused, an honest extension still goes through; a checkpoint may
	// carry signatures of keys the witness does not know.
	withOther := append(bytes.Clone(good10), impostor.Sign(t, []byte("x\n"))[len("x\n\n"):]...)
	checkCosigned(t, s, withOther, s.add(t, 7, proof7, withOther), start)

	t.Run("the log records a fork's checkpoint as evidence, and escapes what a request says", func(t *testing.T) {
		logs := s.logs.String()
		if n := strings.Count(logs, "msg=add-checkpoint"); n < 20 {
			t.Errorf("%d log lines, want one per request:\n%s", n, logs)
		}
		if !strings.Contains(logs, "level=WARN msg=add-checkpoint") || !strings.Contains(logs, "status=422") || !strings.Contains(logs, "checkpoint=") {
			t.Errorf("no warning with the checkpoint of a 422:\n%s", logs)
		}
		evil := append([]byte("breachledger/\x1b[31mevil\nrest\n\n"), cp3[bytes.IndexByte(cp3, '\n')+1:]...)
		if got := s.add(t, 0, nil, evil); got.status != http.StatusNotFound && got.status != http.StatusBadRequest {
			t.Errorf("an origin with an escape: %d", got.status)
		}
		if strings.ContainsRune(s.logs.String(), 0x1b) {
			t.Errorf("a request's text reached the log unescaped")
		}
	})

	t.Run("the origin's only key removed: 403", func(t *testing.T) {
		if _, err := s.db.RemoveKey(context.Background(), l.Origin, l.VKey); err != nil {
			t.Fatal(err)
		}
		defer s.addLog(t, l)
		if got := s.add(t, 10, nil, good10); got.status != http.StatusForbidden {
			t.Errorf("status %d %q, want 403", got.status, got.body)
		}
	})
}

// TestSizeZero: a log's first checkpoint may be of the empty tree, whose
// root is SHA-256 of nothing (RFC 6962 §2.1); any other root at size 0 is
// 422, as a proof from 0 is.
func TestSizeZero(t *testing.T) {
	s := newServer(t, "witness.test/zero")
	l := witnesstest.NewLog(t, "breachledger/test/zero")
	s.addLog(t, l)
	empty := sha256.Sum256(nil)
	zero := l.Sign(t, log.Checkpoint{Origin: l.Origin, Size: 0, Hash: empty[:]}.Marshal())
	bad := l.Sign(t, log.Checkpoint{Origin: l.Origin, Size: 0, Hash: make([]byte, 32)}.Marshal())
	if got := s.add(t, 0, nil, bad); got.status != http.StatusUnprocessableEntity {
		t.Errorf("size 0 with another root: %d %q, want 422", got.status, got.body)
	}
	checkCosigned(t, s, zero, s.add(t, 0, nil, zero), time.Now())
	l.Add("e0", "e1")
	cp2 := l.Checkpoint(t)
	if got := s.add(t, 0, [][]byte{make([]byte, 32)}, cp2); got.status != http.StatusUnprocessableEntity {
		t.Errorf("a proof from 0: %d %q, want 422", got.status, got.body)
	}
	checkCosigned(t, s, cp2, s.add(t, 0, nil, cp2), time.Now())
	if got := s.size(t, l.Origin); got != 2 {
		t.Errorf("size %d, want 2", got)
	}
}

// TestRace is the race c2sp.org/tlog-witness warns of: requests A (size N)
// and B (size N+K) from the same old size are both checked before either
// persists. Whichever persists second gets 409 with the other's size, and
// the log never goes back, in either order.
func TestRace(t *testing.T) {
	for _, bFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("N+K persists first: %v", bFirst), func(t *testing.T) {
			s := newServer(t, "witness.test/race")
			l := witnesstest.NewLog(t, "breachledger/test/race", "e0", "e1", "e2")
			s.addLog(t, l)
			cp3 := l.Checkpoint(t)
			checkCosigned(t, s, cp3, s.add(t, 0, nil, cp3), time.Now())
			l.Add("e3", "e4")
			cp5, proof5 := l.Checkpoint(t), l.Proof(t, 3) // N = 5
			l.Add("e5", "e6", "e7")
			cp8, proof8 := l.Checkpoint(t), l.Proof(t, 3) // N+K = 8

			held := make(chan chan struct{})
			cosigner.SetBeforePersist(s.w, func() {
				release := make(chan struct{})
				held <- release
				<-release
			})
			type answer struct {
				size uint64
				r    response
			}
			answers := make(chan answer, 2)
			send := func(size uint64, proof [][]byte, cp []byte) {
				go func() { answers <- answer{size, s.add(t, 3, proof, cp)} }()
			}
			send(5, proof5, cp5)
			releaseA := <-held // A checked against 3
			send(8, proof8, cp8)
			releaseB := <-held // B checked against 3
			first, second, firstSize, secondSize := releaseA, releaseB, uint64(5), uint64(8)
			if bFirst {
				first, second, firstSize, secondSize = releaseB, releaseA, 8, 5
			}
			close(first)
			a1 := <-answers
			close(second)
			a2 := <-answers
			if a1.size != firstSize || a1.r.status != http.StatusOK {
				t.Fatalf("the first to persist (size %d): %d %q, want 200 for size %d", a1.size, a1.r.status, a1.r.body, firstSize)
			}
			if a2.size != secondSize {
				t.Fatalf("answers out of order: %d then %d", a1.size, a2.size)
			}
			checkConflict(t, a2.r, firstSize)
			if got := s.size(t, l.Origin); got != firstSize {
				t.Errorf("the log is at %d, want %d (never back)", got, firstSize)
			}
		})
	}

	t.Run("many at once", func(t *testing.T) {
		s := newServer(t, "witness.test/race")
		l := witnesstest.NewLog(t, "breachledger/test/race", "e0")
		s.addLog(t, l)
		cp1 := l.Checkpoint(t)
		checkCosigned(t, s, cp1, s.add(t, 0, nil, cp1), time.Now())
		type req struct {
			cp    []byte
			proof [][]byte
		}
		var reqs []req
		for i := range 6 {
			l.Add(fmt.Sprintf("e%d", i+1))
			reqs = append(reqs, req{l.Checkpoint(t), l.Proof(t, 1)})
		}
		var wg sync.WaitGroup
		got := make([]response, len(reqs))
		for i, r := range reqs {
			wg.Go(func() { got[i] = s.add(t, 1, r.proof, r.cp) })
		}
		wg.Wait()
		var ok []int
		for i, r := range got {
			switch r.status {
			case http.StatusOK:
				ok = append(ok, i)
			case http.StatusConflict:
			default:
				t.Errorf("request %d: %d %q, want 200 or 409", i, r.status, r.body)
			}
		}
		if len(ok) != 1 {
			t.Fatalf("%d requests cosigned, want exactly one", len(ok))
		}
		want := uint64(ok[0] + 2)
		if size := s.size(t, l.Origin); size != want {
			t.Errorf("the log is at %d, want %d, the one cosigned", size, want)
		}
		for i, r := range got {
			if i != ok[0] && r.body != fmt.Sprintf("%d\n", want) {
				t.Errorf("request %d: 409 %q, want %d", i, r.body, want)
			}
		}
	})
}

// TestRestart: the state is in the file: a witness started again on it
// answers from the size it had, with the same key.
func TestRestart(t *testing.T) {
	s := newServer(t, "witness.test/restart")
	l := witnesstest.NewLog(t, "breachledger/test/restart", "e0", "e1")
	s.addLog(t, l)
	cp2 := l.Checkpoint(t)
	checkCosigned(t, s, cp2, s.add(t, 0, nil, cp2), time.Now())
	vkey := s.w.VerifierKey()
	s.stop()
	s.start(t)
	if s.w.VerifierKey() != vkey {
		t.Fatalf("key after a restart: %s, want %s", s.w.VerifierKey(), vkey)
	}
	checkConflict(t, s.add(t, 0, nil, cp2), 2)
	l.Add("e2")
	cp3 := l.Checkpoint(t)
	checkCosigned(t, s, cp3, s.add(t, 2, l.Proof(t, 2), cp3), time.Now())
}

// syncBuffer is a bytes.Buffer safe for a logger and a test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
