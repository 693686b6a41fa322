package integrity

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/transparency-dev/formats/log"
	"golang.org/x/crypto/ssh"
	"golang.org/x/mod/sumdb/note"

	"github.com/breachledger/breachledger/internal/testsupport"
)

// encodedSigner returns priv encoded as a note signer key, as
// note.GenerateKey encodes one, and its verifier key.
func encodedSigner(t *testing.T, origin string, priv ed25519.PrivateKey) (skey, vkey string) {
	t.Helper()
	vkey, err := note.NewEd25519VerifierKey(origin, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(append([]byte(origin+"\n\x01"), priv.Public().(ed25519.PublicKey)...))
	skey = fmt.Sprintf("PRIVATE+KEY+%s+%02x%02x%02x%02x+%s", origin, h[0], h[1], h[2], h[3],
		base64.StdEncoding.EncodeToString(append([]byte{1}, priv.Seed()...)))
	return skey, vkey
}

// checkNote checks a signed checkpoint with the C2SP note verifier of
// golang.org/x/mod/sumdb/note alone, and the signature with crypto/ed25519
// alone: nothing of this package's.
func checkNote(t *testing.T, signed []byte, vkey string, pub ed25519.PublicKey, size uint64, root []byte) {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open: %v\n%s", err, signed)
	}
	var cp log.Checkpoint
	if _, err := cp.Unmarshal([]byte(n.Text)); err != nil || cp.Size != size || !bytes.Equal(cp.Hash, root) {
		t.Errorf("checkpoint %+v (%v), want size %d root %x", cp, err, size, root)
	}
	// The signature line: "— NAME BASE64(keyhash ‖ sig)".
	text, sigs, _ := bytes.Cut(signed, []byte("\n\n"))
	line := strings.TrimSuffix(string(sigs), "\n")
	b64 := line[strings.LastIndex(line, " ")+1:]
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 4+ed25519.SignatureSize {
		t.Fatalf("signature line %q: %v", line, err)
	}
	if !ed25519.Verify(pub, append(text, '\n'), raw[4:]) {
		t.Errorf("crypto/ed25519 does not verify the note's signature")
	}
}

// TestAgentKeySignsAsTheKeyFile: a checkpoint and a hand-over signed
// through ssh-agent are byte for byte those the same key signs from a key
// file (note.NewSigner), and verify with the ledger's public key.
func TestAgentKeySignsAsTheKeyFile(t *testing.T) {
	origin := Origin("Agent Test", uuid.MustParse("0195a1b2-0000-7000-8000-000000000001"))
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	sock := testsupport.ServeKeyring(t, other, priv)
	sshPub, _ := ssh.NewPublicKey(priv.Public())
	ak, err := FindAgentKey(sock, Fingerprint(sshPub))
	if err != nil {
		t.Fatal(err)
	}
	viaAgent, err := NewLedgerKey(origin, ak)
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey := encodedSigner(t, origin, priv)
	fromFile, err := ParseLedgerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := viaAgent.Public().String(), vkey; got != want {
		t.Errorf("the agent key's public key = %s, want %s", got, want)
	}
	ref, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []uint64{1, 2, 1000} {
		root := sha256.Sum256([]byte(fmt.Sprint(size)))
		want, err := note.Sign(&note.Note{Text: string(log.Checkpoint{Origin: origin, Size: size, Hash: root[:]}.Marshal())}, ref)
		if err != nil {
			t.Fatal(err)
		}
		for name, k := range map[string]*LedgerKey{"agent": viaAgent, "file": fromFile} {
			cp, err := k.Sign(size, root[:])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if diff := cmp.Diff(string(want), string(cp.Note)); diff != "" {
				t.Errorf("%s key, size %d: the note differs from note.Sign's (-want +got):\n%s", name, size, diff)
			}
			checkNote(t, cp.Note, vkey, priv.Public().(ed25519.PublicKey), size, root[:])
			if _, err := fromFile.Public().Open(cp.Note); err != nil {
				t.Errorf("%s key, size %d: the file key's public key does not open it: %v", name, size, err)
			}
		}
	}
	// A hand-over signed through the agent opens with the pinned key.
	cp, _ := viaAgent.Sign(7, make([]byte, HashSize))
	_, newPriv, _ := ed25519.GenerateKey(rand.Reader)
	next, _ := NewLedgerKey(origin, newPriv)
	h, err := viaAgent.SignHandover(next.Public(), cp)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := OpenHandover(h, fromFile.Public()); err != nil || got.New.String() != next.Public().String() || got.Size != 7 {
		t.Errorf("OpenHandover = %+v, %v; want a hand-over to %s at 7", got, err, next.Public())
	}
}

// TestAgentKeyRefusals: the agent must hold the key, and the key must be
// Ed25519; each refusal says what to do.
func TestAgentKeyRefusals(t *testing.T) {
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPub, _ := ssh.NewPublicKey(&ec.PublicKey)
	edPub, _ := ssh.NewPublicKey(ed.Public())
	sock := testsupport.ServeKeyring(t, ec)
	for _, tc := range []struct {
		name, socket, fp string
		want             []string
	}{
		{"no socket", "", Fingerprint(edPub), []string{"SSH_AUTH_SOCK is not set"}},
		{"not held", sock, Fingerprint(edPub), []string{"holds no key " + Fingerprint(edPub), Fingerprint(ecPub), "ssh-add"}},
		{"not Ed25519", sock, Fingerprint(ecPub), []string{"must be Ed25519", "ssh-keygen -t ed25519"}},
		{"empty agent", testsupport.ServeKeyring(t), Fingerprint(edPub), []string{"holds no keys", "ssh-add"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FindAgentKey(tc.socket, tc.fp)
			if err == nil {
				t.Fatal("FindAgentKey succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := NewLedgerKey("breachledger/x/y", ec); err == nil || !strings.Contains(err.Error(), "must be Ed25519") {
		t.Errorf("NewLedgerKey with an ECDSA key: %v, want a refusal naming Ed25519", err)
	}
}

// wrongSigner signs with another key than the one it names.
type wrongSigner struct{ ed25519.PrivateKey }

func (w wrongSigner) Public() crypto.PublicKey {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	return pub
}

// TestLedgerKeyChecksItsSignatures: a signer whose signature does not
// verify with its public key signs no checkpoint.
func TestLedgerKeyChecksItsSignatures(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	k, err := NewLedgerKey("breachledger/x/y", wrongSigner{priv})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Sign(1, make([]byte, HashSize)); !errors.Is(err, ErrIntegrity) {
		t.Errorf("Sign with a mismatched signer: %v, want ErrIntegrity", err)
	}
}

// TestOpenSSHAgent signs a checkpoint through OpenSSH's own ssh-agent,
// holding a key ssh-keygen made and ssh-add added: the note verifies with
// the C2SP note verifier and is the one the key file's would be.
func TestOpenSSHAgent(t *testing.T) {
	for _, tool := range []string{"ssh-agent", "ssh-add", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := t.TempDir()
	sock := testsupport.StartOpenSSHAgent(t)
	keyFile := filepath.Join(dir, "ledger_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ledger key", "-f", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	add := exec.Command("ssh-add", keyFile)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ssh.ParseRawPrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	priv := *raw.(*ed25519.PrivateKey)
	sshPub, _ := ssh.NewPublicKey(priv.Public())

	origin := Origin("OpenSSH Agent", uuid.MustParse("0195a1b2-0000-7000-8000-000000000002"))
	ak, err := FindAgentKey(sock, Fingerprint(sshPub))
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewLedgerKey(origin, ak)
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey := encodedSigner(t, origin, priv)
	ref, _ := note.NewSigner(skey)
	root := sha256.Sum256([]byte("openssh"))
	cp, err := k.Sign(42, root[:])
	if err != nil {
		t.Fatal(err)
	}
	want, _ := note.Sign(&note.Note{Text: string(log.Checkpoint{Origin: origin, Size: 42, Hash: root[:]}.Marshal())}, ref)
	if !bytes.Equal(cp.Note, want) {
		t.Errorf("OpenSSH's agent signed\n%s\nthe key file signs\n%s", cp.Note, want)
	}
	checkNote(t, cp.Note, vkey, priv.Public().(ed25519.PublicKey), 42, root[:])
}

// TestLedgerKeyAsSSH: the ledger key's SSH signer and its public key's SSH
// form are the same key, for many keys (their base64 often holds '+').
func TestLedgerKeyAsSSH(t *testing.T) {
	for i := range 50 {
		skey, vkey, err := GenerateLedgerKey("example.org/ledger")
		if err != nil {
			t.Fatal(err)
		}
		k, err := ParseLedgerKey(skey)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ParsePublicKey(vkey)
		if err != nil {
			t.Fatal(err)
		}
		s, err := k.SSHSigner()
		if err != nil {
			t.Fatal(err)
		}
		sshPub, err := pub.SSHKey()
		if err != nil {
			t.Fatalf("key %d (%s): %v", i, vkey, err)
		}
		if got, want := Fingerprint(sshPub), Fingerprint(s.PublicKey()); got != want {
			t.Fatalf("key %d: SSH form of the public key %s, of the signer %s", i, got, want)
		}
		env := []byte("envelope")
		sig, err := SignEnvelope(env, s)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyEnvelope(env, sig, sshPub); err != nil {
			t.Fatalf("key %d: a signature by the SSH signer does not verify with the SSH public key: %v", i, err)
		}
	}
}
