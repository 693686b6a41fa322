package integrity_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"

	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/testsupport"
)

// testWitness is a witness key made in the test (testsupport.Cosigner).
type testWitness struct{ *testsupport.Cosigner }

func newTestWitness(t *testing.T, name string) *testWitness {
	t.Helper()
	return &testWitness{testsupport.NewCosigner(t, name)}
}

func (w *testWitness) key(t *testing.T) *integrity.WitnessKey {
	t.Helper()
	k, err := integrity.ParseWitnessKey(w.VKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// cosign returns w's cosignature line of the signed note's text at
// instant at.
func (w *testWitness) cosign(t *testing.T, signed []byte, at time.Time) []byte {
	t.Helper()
	return w.CosignNote(signed, at)
}

func signedCheckpoint(t *testing.T, size uint64) []byte {
	t.Helper()
	skey, _, err := integrity.GenerateLedgerKey("breachledger/test/0193c4f0-0000-7000-8000-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	k, err := integrity.ParseLedgerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := k.Sign(size, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return cp.Note
}

func TestParseWitnessKey(t *testing.T) {
	w := newTestWitness(t, "witness.test/w1")
	k := w.key(t)
	if got, want := k.Name(), "witness.test/w1"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	if got, want := k.ID(), fmt.Sprintf("witness.test/w1+%08x", w.Hash); got != want {
		t.Errorf("ID() = %q, want %q", got, want)
	}
	// The formats library agrees on the key hash: a verifier it makes
	// verifies a cosignature the test makes.
	v, err := fnote.NewVerifierForCosignatureV1(w.VKey)
	if err != nil || v.KeyHash() != w.Hash {
		t.Fatalf("formats/note: %v, hash %08x, want %08x", err, v.KeyHash(), w.Hash)
	}
	_, ledgerVKey, err := integrity.GenerateLedgerKey("breachledger/x/1")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "witness.test/w1", "a+b+c", ledgerVKey, strings.Replace(w.VKey, "+", "+0", 1)} {
		if _, err := integrity.ParseWitnessKey(bad); !errors.Is(err, integrity.ErrMalformed) {
			t.Errorf("ParseWitnessKey(%q) = %v, want ErrMalformed", bad, err)
		}
	}
	if _, err := integrity.ParseWitnessKey(ledgerVKey); err == nil || !strings.Contains(err.Error(), "not a cosignature key") {
		t.Errorf("a ledger key as a witness key: %v, want it named as a plain note key", err)
	}
}

func TestWitnessPolicy(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	signed := signedCheckpoint(t, 42)
	other := signedCheckpoint(t, 43) // another checkpoint of the same log
	w1, w2, w3 := newTestWitness(t, "witness.test/w1"), newTestWitness(t, "witness.test/w2"), newTestWitness(t, "witness.test/w3")
	impostor := newTestWitness(t, "witness.test/w1") // same name, another key
	keys := []*integrity.WitnessKey{w1.key(t), w2.key(t), w3.key(t)}
	hour := time.Hour
	tamper := func(line []byte) []byte { // flips a bit of the Ed25519 signature
		name, b64, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(string(line), "\u2014 "), "\n"), " ")
		sig, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		sig[len(sig)-10] ^= 1
		return fmt.Appendf(nil, "\u2014 %s %s\n", name, base64.StdEncoding.EncodeToString(sig))
	}
	tests := []struct {
		name      string
		quorum    int
		maxAge    time.Duration
		lines     [][]byte
		wantValid int
		wantErr   bool
		wantState []string
	}{
		{"all three", 0, 0, [][]byte{w1.cosign(t, signed, now), w2.cosign(t, signed, now), w3.cosign(t, signed, now)}, 3, false, []string{"cosigned", "cosigned", "cosigned"}},
		{"two of three, quorum 2", 2, 0, [][]byte{w1.cosign(t, signed, now), w3.cosign(t, signed, now)}, 2, false, []string{"cosigned", "none", "cosigned"}},
		{"two of three, quorum all", 0, 0, [][]byte{w1.cosign(t, signed, now), w3.cosign(t, signed, now)}, 2, true, []string{"cosigned", "none", "cosigned"}},
		{"none", 1, 0, nil, 0, true, []string{"none", "none", "none"}},
		{"stale", 1, hour, [][]byte{w1.cosign(t, signed, now.Add(-2*hour))}, 0, true, []string{"stale", "none", "none"}},
		{"a refresh makes it fresh", 1, hour, [][]byte{w1.cosign(t, signed, now.Add(-2*hour)), w1.cosign(t, signed, now.Add(-time.Minute))}, 1, false, []string{"cosigned", "none", "none"}},
		{"from the future", 1, hour, [][]byte{w1.cosign(t, signed, now.Add(time.Hour))}, 0, true, []string{"future", "none", "none"}},
		{"of another checkpoint", 1, 0, [][]byte{w1.cosign(t, other, now)}, 0, true, []string{"invalid", "none", "none"}},
		{"altered", 1, 0, [][]byte{tamper(w1.cosign(t, signed, now)), w2.cosign(t, signed, now)}, 1, true, []string{"invalid", "cosigned", "none"}},
		{"an impostor of the same name", 1, 0, [][]byte{impostor.cosign(t, signed, now)}, 0, true, []string{"none", "none", "none"}},
		{"one witness twice is one", 2, 0, [][]byte{w1.cosign(t, signed, now), w1.cosign(t, signed, now.Add(-time.Second))}, 1, true, []string{"cosigned", "none", "none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := integrity.WitnessPolicy{Witnesses: keys, Quorum: tt.quorum, MaxAge: tt.maxAge}
			rep, err := p.Check(signed, tt.lines, now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Check: %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, integrity.ErrIntegrity) {
				t.Errorf("Check: %v, want ErrIntegrity", err)
			}
			if got := rep.Valid; got != tt.wantValid {
				t.Errorf("Valid = %d, want %d", got, tt.wantValid)
			}
			var got []string
			for _, s := range rep.Cosigned {
				got = append(got, s.Status)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantState, ",") {
				t.Errorf("statuses = %v, want %v", got, tt.wantState)
			}
			if rep.Size != 42 {
				t.Errorf("Size = %d, want 42", rep.Size)
			}
		})
	}
}

// A cosigned note carries one line per witness (the newest), verifies with
// the ledger key as before, and satisfies the policy on its own.
func TestCosigned(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	skey, vkey, err := integrity.GenerateLedgerKey("breachledger/test/1")
	if err != nil {
		t.Fatal(err)
	}
	k, _ := integrity.ParseLedgerKey(skey)
	pub, _ := integrity.ParsePublicKey(vkey)
	cp, err := k.Sign(9, bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	w1, w2 := newTestWitness(t, "witness.test/w1"), newTestWitness(t, "witness.test/w2")
	old, fresh := w1.cosign(t, cp.Note, now.Add(-3*time.Hour)), w1.cosign(t, cp.Note, now)
	got, err := integrity.Cosigned(cp.Note, [][]byte{old, w2.cosign(t, cp.Note, now), fresh, []byte("not a line\n")})
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(got, []byte("\u2014 ")); n != 3 {
		t.Errorf("cosigned note has %d signature lines, want 3 (the ledger's and one per witness):\n%s", n, got)
	}
	if bytes.Contains(got, bytes.TrimSuffix(old, []byte("\n"))) {
		t.Errorf("the older cosignature of w1 was kept over the newer one")
	}
	if _, err := pub.Open(got); err != nil {
		t.Errorf("the ledger key no longer opens the cosigned note: %v", err)
	}
	p := integrity.WitnessPolicy{Witnesses: []*integrity.WitnessKey{w1.key(t), w2.key(t)}, MaxAge: time.Hour}
	if _, err := p.Check(got, nil, now); err != nil {
		t.Errorf("Check(cosigned note) = %v", err)
	}
	if _, err := p.Check(cp.Note, nil, now); !errors.Is(err, integrity.ErrIntegrity) {
		t.Errorf("Check(plain note) = %v, want ErrIntegrity", err)
	}
}
