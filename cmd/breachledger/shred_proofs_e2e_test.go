package main_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/witnesstest"
)

// TestShredKeepsProofs (issue 25): on a sealed, witnessed ledger an auditor
// keeps a checkpoint and an inclusion proof of a note holding personal
// data. The note is shredded, then the whole incident. After each:
// verify passes (against the kept checkpoint too); a fresh inclusion proof
// of the forgotten note verifies offline and commits to the same payload
// bytes as the kept one; a consistency proof from the kept checkpoint
// verifies; a bundle verifies offline with and without --with-keys, counts
// its sealed values, opens with its keys exactly those not forgotten, and
// carries no key material without --with-keys and never a destroyed key;
// and the witness, which cosigns only consistent extensions of what it
// saw, cosigns the checkpoint after the shred. A key whose bytes are
// swapped in a bundle fails verification naming it.
func TestShredKeepsProofs(t *testing.T) {
	c := newLedger(t)
	init := c.ok("alice", "init", "--name", "Shred proofs", "--at", "2025-03-01T00:00:00Z")
	m := regexp.MustCompile(`event ([0-9a-f-]{36})`).FindStringSubmatch(init)
	if m == nil {
		t.Fatalf("init printed no event ID:\n%s", init)
	}
	c.ok("alice", "setting", "seal-personal-data", "on", "--at", "2025-03-01T00:00:30Z", "--reason", "the tests record histories long after they happened")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.ok("alice", "grant", "lee", "legal", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:02:00Z", "oscar", "lee")
	const (
		summary = "laptop of jane.roe@example.com stolen"
		pasted  = "called Jane Roe on +353 1 555 0101"
		kept    = "disk image taken to the evidence locker"
	)
	inc := strings.TrimSpace(c.ok("oscar", "detect", "--source", "automated-alert", "--summary", summary, "--at", "2025-03-07T21:40:00Z", "--quiet"))
	noteID := strings.TrimSpace(c.ok("oscar", "note", inc, pasted, "--at", "2025-03-07T22:00:00Z", "--quiet"))
	c.ok("oscar", "note", inc, kept, "--at", "2025-03-07T22:10:00Z")

	// A witness that knows the ledger's key; it cosigns from the next
	// checkpoint on.
	dir, pub := publicKeyIn(t, c)
	vkey, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	origin, _, _ := strings.Cut(strings.TrimSpace(string(vkey)), "+")
	w := witnesstest.Start(t, "witness.test/w1")
	w.AddLog(t, origin, strings.TrimSpace(string(vkey)))
	c.ok("alice", "witness", "add", w.VKey, w.URL, "--reason", "the DPO's witness")
	c.ok("auditor", "witness", "submit")

	// What the auditor keeps before any shred.
	keptCP := filepath.Join(dir, "kept.checkpoint")
	c.ok("auditor", "checkpoint", "-o", keptCP)
	keptProof := filepath.Join(dir, "note-kept.tlog-proof")
	c.ok("auditor", "prove", "inclusion", noteID, "-o", keptProof)
	offline := &cli{tb: t, ledger: filepath.Join(dir, "no", "such.db")}
	payloadLine := regexp.MustCompile(`payload SHA-256 [0-9a-f]{64}`)
	keptSum := payloadLine.FindString(offline.ok("auditor", "verify", "--proof", keptProof, "--key", pub, "--event", noteID))
	if keptSum == "" {
		t.Fatal("verify --proof printed no payload SHA-256")
	}
	keptSize := w.Size(t, origin)

	// Every key of the incident, read before any is destroyed.
	ksPath := keyStoreOf(t, m[1])                                            // esdb_seal_e2e_test.go
	liveKeys := func() map[string][]byte { return liveKeys(t, ksPath, inc) } // esdb_seal_e2e_test.go
	allKeys := liveKeys()
	// The detection's summary and its pack pin's reason, and each note's
	// text: four values, each under its own event's key.
	if len(allKeys) != 4 {
		t.Fatalf("%d keys, want 4 (the detection's, its pack pin's, each note's)", len(allKeys))
	}
	keyNeedles := func(b []byte) [][]byte {
		return [][]byte{b, []byte(base64.StdEncoding.EncodeToString(b)), []byte(base64.RawURLEncoding.EncodeToString(b)), []byte(hex.EncodeToString(b))}
	}

	check := func(step string, forgotten int, inClear, notInClear []string) {
		t.Helper()
		if r := c.run("auditor", "verify", "--against", keptCP, "--witness", w.VKey); r.code != 0 || !strings.Contains(r.stdout, "consistent with the kept checkpoint") ||
			!strings.Contains(r.stdout, "cosigned by 1 of 1") || strings.Contains(r.stderr, "shred-keys-exist") {
			t.Errorf("%s: verify --against --witness: exit %d\n%s%s", step, r.code, r.stdout, r.stderr)
		}
		// The witness cosigned the checkpoint after the shred: it only
		// does so for a consistent extension of the one it had.
		if got := w.Size(t, origin); got <= keptSize {
			t.Errorf("%s: the witness's size is %d, not beyond the %d it cosigned before", step, got, keptSize)
		}

		// A fresh proof of the forgotten note, offline: the same stored
		// payload as the kept proof's.
		p := filepath.Join(dir, "note.tlog-proof")
		c.ok("auditor", "prove", "inclusion", noteID, "-o", p)
		out := offline.ok("auditor", "verify", "--proof", p, "--key", pub, "--event", noteID, "--witness", w.VKey)
		if got := payloadLine.FindString(out); got != keptSum {
			t.Errorf("%s: the note's proof says %q, the kept one %q", step, got, keptSum)
		}
		offline.ok("auditor", "verify", "--proof", keptProof, "--key", pub, "--event", noteID)
		cp := filepath.Join(dir, "since-kept.proof")
		c.ok("auditor", "prove", "consistency", keptCP, "latest", "-o", cp)
		if out := offline.ok("auditor", "verify", "--proof", cp, "--key", pub, "--old", keptCP); !strings.Contains(out, "consistency proof OK") {
			t.Errorf("%s: verify of the consistency proof:\n%s", step, out)
		}

		live := liveKeys()
		for _, withKeys := range []bool{false, true} {
			name, args := "bare.bundle", []string{}
			if withKeys {
				name, args = "keys.bundle", []string{"--with-keys"}
			}
			path := filepath.Join(dir, name)
			if withKeys { // an existing file readable by others is made 0600 too
				if err := os.WriteFile(path, []byte("old"), 0o644); err != nil || os.Chmod(path, 0o644) != nil {
					t.Fatal(err)
				}
			}
			out := c.ok("auditor", append([]string{"export", "--bundle", path}, args...)...)
			if says := strings.Contains(out, "personal data keys"); says != withKeys {
				t.Errorf("%s: export %v says it carries personal data keys: %v\n%s", step, args, says, out)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if mode := fi.Mode().Perm(); withKeys && mode != 0o600 {
				t.Errorf("%s: the bundle with keys is mode %o, want 600", step, mode)
			}
			data, _ := os.ReadFile(path)
			for id, b := range allKeys {
				_, isLive := live[id]
				for _, n := range keyNeedles(b) {
					if bytes.Contains(data, n) && !(withKeys && isLive) {
						t.Errorf("%s: bundle %v holds the bytes of key %s (live: %v)", step, args, id, isLive)
					}
				}
			}
			for _, plain := range []string{summary, pasted, kept, "jane.roe"} {
				if bytes.Contains(data, []byte(plain)) {
					t.Errorf("%s: bundle %v holds the plaintext %q", step, args, plain)
				}
			}
			opened, keys := 0, 0
			if withKeys {
				opened, keys = 4-forgotten, len(live)
			}
			r := offline.run("auditor", "verify", "--bundle", path, "--key", pub, "--against", keptCP, "--witness", w.VKey, "--replay")
			wantCounts := "sealed personal values: 4; opened with the bundle's " + strconv.Itoa(keys) + " keys: " + strconv.Itoa(opened) + "; forgotten: " + strconv.Itoa(forgotten)
			if r.code != 0 || !strings.Contains(r.stdout, "intact") || !strings.Contains(r.stdout, wantCounts) {
				t.Errorf("%s: verify --bundle %v: exit %d, want 0 saying %q\n%s%s", step, args, r.code, wantCounts, r.stdout, r.stderr)
			}
			replay := r.stdout
			var js struct {
				OK     bool `json:"ok"`
				Sealed struct {
					Sealed, Opened, Forgotten, Keys int
				} `json:"sealed"`
			}
			r = offline.run("auditor", "verify", "--bundle", path, "--key", pub, "--json")
			if err := json.Unmarshal([]byte(r.stdout), &js); err != nil || !js.OK || js.Sealed.Sealed != 4 || js.Sealed.Opened != opened || js.Sealed.Forgotten != forgotten || js.Sealed.Keys != keys {
				t.Errorf("%s: verify --bundle %v --json: %+v (%v), want 4 sealed, %d opened, %d forgotten, %d keys\n%s", step, args, js, err, opened, forgotten, keys, r.stdout)
			}
			for _, plain := range inClear {
				if strings.Contains(replay, plain) != withKeys {
					t.Errorf("%s: the replay of bundle %v prints %q: %v", step, args, plain, !withKeys)
				}
			}
			for _, plain := range notInClear {
				if strings.Contains(replay, plain) {
					t.Errorf("%s: the replay of bundle %v prints the forgotten %q", step, args, plain)
				}
			}
			if !strings.Contains(replay, "[forgotten on ") {
				t.Errorf("%s: the replay of bundle %v shows no [forgotten on ...]:\n%s", step, args, replay)
			}
			// Without keys every value not forgotten reads [sealed]; with
			// them, none.
			if sealed := strings.Contains(replay, "[sealed]"); sealed != (!withKeys && forgotten < 4) {
				t.Errorf("%s: the replay of bundle %v shows [sealed]: %v\n%s", step, args, sealed, replay)
			}
		}
	}

	// Forget the pasted note alone.
	c.ok("lee", "shred", inc, "--event", noteID, "--basis", "mistaken-entry", "--reason", "pasted into a note by mistake")
	check("the note", 1, []string{summary, kept}, []string{pasted})

	// An attack on the bundle's keys: one key's bytes swapped with
	// another's. The events are intact; the keys fail, each named.
	t.Run("a swapped key fails naming it", func(t *testing.T) {
		path := filepath.Join(dir, "keys.bundle")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := integrity.ParseBundle(data)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Keys) != 3 {
			t.Fatalf("the bundle carries %d keys, want 3 (all but the note's)", len(b.Keys))
		}
		b.Keys[0].Key, b.Keys[1].Key = b.Keys[1].Key, b.Keys[0].Key
		out, _ := b.Marshal()
		swapped := filepath.Join(dir, "swapped.bundle")
		if err := os.WriteFile(swapped, out, 0o600); err != nil {
			t.Fatal(err)
		}
		r := offline.run("auditor", "verify", "--bundle", swapped, "--key", pub)
		if r.code != 6 || !strings.Contains(r.stdout+r.stderr, b.Keys[0].ID) || !strings.Contains(r.stdout+r.stderr, b.Keys[1].ID) {
			t.Errorf("verify of a bundle with swapped keys: exit %d, want 6 naming %s and %s\n%s%s", r.code, b.Keys[0].ID, b.Keys[1].ID, r.stdout, r.stderr)
		}
	})

	// Without this user's key store, --with-keys is refused (exit 2).
	t.Run("no key store here", func(t *testing.T) {
		other := c.with(t)
		other.env = append(append([]string{}, c.env...), "XDG_CONFIG_HOME="+t.TempDir())
		r := other.run("auditor", "export", "--bundle", filepath.Join(dir, "elsewhere.bundle"), "--with-keys", "--key", pub)
		if r.code != 2 || !strings.Contains(r.stderr, "no key store for this ledger here") {
			t.Errorf("export --with-keys without the key store: exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	// Forget the whole incident.
	c.ok("lee", "shred", inc, "--basis", "erasure-request", "--reason", "the data subject asked for erasure")
	check("the incident", 4, nil, []string{summary, pasted, kept})
}
