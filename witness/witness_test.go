package witness_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/testsupport"
	"github.com/breachledger/breachledger/internal/witnesstest"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/witness"
)

// fakeWitness is a C2SP tlog-witness in the test: it keeps the size and
// root it last cosigned and checks consistency proofs, as litewitness
// does (the real peer is exercised in cmd/breachledger); answer, when
// set, replaces its answer, for the misbehaviours a real witness would
// not show.
type fakeWitness struct {
	*testsupport.Cosigner

	mu     sync.Mutex
	size   uint64
	root   []byte
	calls  []string // the "old N" line of each request
	answer func(w http.ResponseWriter, body []byte) bool
}

func newFakeWitness(t *testing.T, name string) (*fakeWitness, *httptest.Server) {
	t.Helper()
	fw := &fakeWitness{Cosigner: testsupport.NewCosigner(t, name)}
	srv := httptest.NewServer(http.HandlerFunc(fw.serve))
	t.Cleanup(srv.Close)
	return fw, srv
}

func (fw *fakeWitness) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fw.mu.Lock()
	defer fw.mu.Unlock()
	head, signed, _ := bytes.Cut(body, []byte("\n\n"))
	lines := strings.Split(string(head), "\n")
	fw.calls = append(fw.calls, lines[0])
	if fw.answer != nil && fw.answer(w, body) {
		return
	}
	old, _ := strconv.ParseUint(strings.TrimPrefix(lines[0], "old "), 10, 64)
	i := bytes.LastIndex(signed, []byte("\n\n"))
	text := signed[:i+1]
	var cp log.Checkpoint
	if _, err := cp.Unmarshal(text); err != nil {
		http.Error(w, "bad checkpoint", http.StatusBadRequest)
		return
	}
	if old != fw.size {
		w.Header().Set("Content-Type", "text/x.tlog.size")
		w.WriteHeader(http.StatusConflict)
		fmt.Fprintf(w, "%d\n", fw.size)
		return
	}
	var hashes [][]byte
	for _, l := range lines[1:] {
		h, _ := base64.StdEncoding.DecodeString(l)
		hashes = append(hashes, h)
	}
	switch {
	case old == cp.Size && !bytes.Equal(fw.root, cp.Hash):
		http.Error(w, "same size, another root", http.StatusUnprocessableEntity)
		return
	case old > 0 && old < cp.Size:
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, old, cp.Size, hashes, fw.root, cp.Hash); err != nil {
			http.Error(w, "bad proof", http.StatusUnprocessableEntity)
			return
		}
	}
	fw.size, fw.root = cp.Size, cp.Hash
	w.Write(fw.Cosign(text, time.Now()))
}

func (fw *fakeWitness) target(t *testing.T, url string) witness.Target {
	t.Helper()
	k, err := integrity.ParseWitnessKey(fw.VKey)
	if err != nil {
		t.Fatal(err)
	}
	return witness.Target{Key: k, URL: url}
}

func TestSubmitter(t *testing.T) {
	ctx := context.Background()
	l := witnesstest.NewLedger(t, filepath.Join(t.TempDir(), "ledger.db"))
	fw, srv := newFakeWitness(t, "witness.test/w1")
	targets := []witness.Target{fw.target(t, srv.URL)}
	sub := &witness.Submitter{Store: l.Store}

	size, outs, err := sub.Submit(ctx, targets)
	if err != nil || len(outs) != 1 || outs[0].Err != nil || size != l.Head(t) {
		t.Fatalf("first submission: size %d, %+v, %v", size, outs, err)
	}
	l.Grant(t, "oscar")
	l.Grant(t, "ivy")
	if _, outs, err = sub.Submit(ctx, targets); err != nil || outs[0].Err != nil {
		t.Fatalf("second submission: %+v, %v", outs, err)
	}
	if got, want := fw.calls[len(fw.calls)-1], fmt.Sprintf("old %d", size); got != want {
		t.Errorf("the second submission proved from %q, want %q (the size the witness cosigned)", got, want)
	}
	// Both checkpoints carry their cosignature, and the newest verifies.
	lines, err := ledger.Cosignatures(ctx, l.Store, l.Head(t))
	if err != nil || len(lines) != 1 {
		t.Fatalf("cosignatures of the newest checkpoint: %d (%v), want 1", len(lines), err)
	}
	cp, _ := l.Store.LatestCheckpoint(ctx)
	k := targets[0].Key
	if _, err := (integrity.WitnessPolicy{Witnesses: []*integrity.WitnessKey{k}}).Check(cp.Note, lines, time.Now()); err != nil {
		t.Errorf("the kept cosignature does not verify: %v", err)
	}

	t.Run("a new submitter learns the witness's size from its 409", func(t *testing.T) {
		l.Grant(t, "sam")
		fresh := &witness.Submitter{Store: l.Store}
		n := len(fw.calls)
		if _, outs, err := fresh.Submit(ctx, targets); err != nil || outs[0].Err != nil {
			t.Fatalf("submission: %+v, %v", outs, err)
		}
		if got := fw.calls[n:]; len(got) != 2 || got[0] != "old 0" || got[1] != fmt.Sprintf("old %d", l.Head(t)-1) {
			t.Errorf("requests %q, want old 0 then old %d", got, l.Head(t)-1)
		}
	})

	t.Run("a refresh cosigns the same checkpoint again", func(t *testing.T) {
		before, _ := l.Store.ReadCosignatures(ctx, l.Head(t))
		if _, outs, err := sub.Submit(ctx, targets); err != nil || outs[0].Err != nil {
			t.Fatalf("refresh: %+v, %v", outs, err)
		}
		after, _ := l.Store.ReadCosignatures(ctx, l.Head(t))
		if len(after) != len(before)+1 {
			t.Errorf("%d cosignatures after a refresh, want %d", len(after), len(before)+1)
		}
	})
}

func TestSubmitterAttacks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	honest := witnesstest.NewLedger(t, filepath.Join(dir, "honest.db"))
	fw, srv := newFakeWitness(t, "witness.test/w1")
	targets := []witness.Target{fw.target(t, srv.URL)}
	honest.Grant(t, "oscar")
	if _, outs, err := (&witness.Submitter{Store: honest.Store}).Submit(ctx, targets); err != nil || outs[0].Err != nil {
		t.Fatalf("honest submission: %+v, %v", outs, err)
	}

	t.Run("a witness ahead of the ledger: rolled back", func(t *testing.T) {
		fw.mu.Lock()
		fw.size += 5
		fw.mu.Unlock()
		defer func() { fw.mu.Lock(); fw.size -= 5; fw.mu.Unlock() }()
		_, outs, err := (&witness.Submitter{Store: honest.Store}).Submit(ctx, targets)
		if err != nil || !errors.Is(outs[0].Err, witness.ErrWitnessAhead) {
			t.Errorf("submission to a witness that saw more: %+v, %v; want ErrWitnessAhead", outs, err)
		}
	})

	t.Run("another history of the same log: a fork", func(t *testing.T) {
		// A copy taken now, extended otherwise than the ledger, each
		// signed with the same key: two histories of one log.
		copyPath := filepath.Join(dir, "fork.db")
		if err := sqlite.Backup(ctx, filepath.Join(dir, "honest.db"), copyPath); err != nil {
			t.Fatal(err)
		}
		fst, err := sqlite.Open(ctx, copyPath, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer fst.Close()
		fork := witnesstest.WithStore(fst, honest.Key, honest.Origin, honest.At)
		honest.Grant(t, "ivy")
		if _, outs, err := (&witness.Submitter{Store: honest.Store}).Submit(ctx, targets); err != nil || outs[0].Err != nil {
			t.Fatalf("honest submission: %+v, %v", outs, err)
		}
		saved := honest.Head(t)
		for _, who := range []string{"mallory", "trent"} {
			fork.Grant(t, who)
			_, outs, err := (&witness.Submitter{Store: fork.Store}).Submit(ctx, targets)
			if err != nil || !errors.Is(outs[0].Err, witness.ErrFork) {
				t.Errorf("the fork at %d events: %+v, %v; want ErrFork", fork.Head(t), outs, err)
			}
			fw.mu.Lock()
			if fw.size != saved {
				t.Errorf("the witness moved to %d on the fork's submission", fw.size)
			}
			fw.mu.Unlock()
			if lines, _ := ledger.Cosignatures(ctx, fork.Store, fork.Head(t)); len(lines) != 0 {
				t.Errorf("the fork's checkpoint got %d cosignatures", len(lines))
			}
		}
	})

	t.Run("answers a client must not take", func(t *testing.T) {
		other, _ := newFakeWitness(t, "witness.test/w1")
		cases := []struct {
			name   string
			answer func(w http.ResponseWriter, body []byte) bool
			want   string
		}{
			{"500", func(w http.ResponseWriter, _ []byte) bool { http.Error(w, "boom\x1b[31m", 500); return true }, "answered 500"},
			{"409 without a size", func(w http.ResponseWriter, _ []byte) bool {
				w.WriteHeader(http.StatusConflict)
				fmt.Fprint(w, "soon")
				return true
			}, "without a tree size"},
			{"200 without a cosignature", func(w http.ResponseWriter, _ []byte) bool { fmt.Fprint(w, "ok\n"); return true }, "without a cosignature line"},
			{"200 with another key's cosignature", func(w http.ResponseWriter, body []byte) bool {
				_, signed, _ := bytes.Cut(body, []byte("\n\n"))
				w.Write(other.CosignNote(signed, time.Now()))
				return true
			}, "0 valid cosignatures"},
		}
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				fw.mu.Lock()
				fw.answer = tt.answer
				fw.mu.Unlock()
				defer func() { fw.mu.Lock(); fw.answer = nil; fw.mu.Unlock() }()
				before, _ := honest.Store.ReadCosignatures(ctx, honest.Head(t))
				_, outs, err := (&witness.Submitter{Store: honest.Store}).Submit(ctx, targets)
				if err != nil || outs[0].Err == nil || !strings.Contains(outs[0].Err.Error(), tt.want) {
					t.Errorf("outcome %+v (%v), want an error saying %q", outs, err, tt.want)
				}
				if outs[0].Err != nil && strings.ContainsRune(outs[0].Err.Error(), 0x1b) {
					t.Errorf("the witness's answer reaches the error unescaped: %q", outs[0].Err)
				}
				after, _ := honest.Store.ReadCosignatures(ctx, honest.Head(t))
				if len(after) != len(before) {
					t.Errorf("%d cosignatures kept after a bad answer, want %d", len(after), len(before))
				}
			})
		}
	})
}

var _ eventstore.CosignatureStore = (*sqlite.Store)(nil)

// alteredRanges is a store whose stored compact ranges were altered (by
// someone with the file): a proof made from them would not hold.
type alteredRanges struct{ *sqlite.Store }

func (a alteredRanges) ReadCheckpoints(ctx context.Context, after uint64, limit int) ([]eventstore.Checkpoint, error) {
	cps, err := a.Store.ReadCheckpoints(ctx, after, limit)
	for i := range cps {
		if len(cps[i].Range) > 0 {
			h := bytes.Clone(cps[i].Range[0])
			h[0] ^= 1
			cps[i].Range[0] = h
		}
	}
	return cps, err
}

// TestSubmitterChecksTheRoot: the proof is made from the compact range
// stored with the checkpoint the witness cosigned and the records since;
// when they do not give the root the newest checkpoint signs, nothing is
// submitted.
func TestSubmitterChecksTheRoot(t *testing.T) {
	ctx := context.Background()
	l := witnesstest.NewLedger(t, filepath.Join(t.TempDir(), "ledger.db"))
	fw, srv := newFakeWitness(t, "witness.test/w1")
	targets := []witness.Target{fw.target(t, srv.URL)}
	l.Grant(t, "oscar")
	if _, outs, err := (&witness.Submitter{Store: l.Store}).Submit(ctx, targets); err != nil || outs[0].Err != nil {
		t.Fatalf("first submission: %+v, %v", outs, err)
	}
	l.Grant(t, "ivy")
	n := len(fw.calls)
	_, outs, err := (&witness.Submitter{Store: alteredRanges{l.Store}}).Submit(ctx, targets)
	if err != nil || !errors.Is(outs[0].Err, integrity.ErrIntegrity) || !strings.Contains(outs[0].Err.Error(), "nothing is submitted") {
		t.Fatalf("submission from an altered range: %+v, %v; want ErrIntegrity, nothing submitted", outs, err)
	}
	if got := fw.calls[n:]; len(got) != 1 || got[0] != "old 0" {
		t.Errorf("requests %q, want only the first (old 0, answered 409): no checkpoint sent with a bad proof", got)
	}
}
