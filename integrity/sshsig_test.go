package integrity_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/keyfiles"
	"github.com/breachledger/breachledger/internal/testsupport"
)

// sshKeygen returns the path of ssh-keygen; CI installs it (.ci/run).
func sshKeygen(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("ssh-keygen")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("ssh-keygen is missing: .ci/run installs openssh-client")
		}
		tb.Skip("ssh-keygen not installed (apt-get install openssh-client)")
	}
	return p
}

func run(tb testing.TB, stdin []byte, name string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestSSHKeygenInterop signs a content envelope with ssh-keygen -Y sign and
// checks it here, and signs here and checks it with ssh-keygen -Y verify.
func TestSSHKeygenInterop(t *testing.T) {
	keygen := sshKeygen(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "ivy")
	run(t, nil, keygen, "-q", "-t", "ed25519", "-N", "", "-C", "ivy", "-f", key)
	pubText, _ := os.ReadFile(key + ".pub")
	pub, fp, err := integrity.ParseSignerKey(string(pubText))
	if err != nil {
		t.Fatal(err)
	}
	if out := run(t, nil, keygen, "-l", "-f", key+".pub"); !strings.Contains(out, fp) {
		t.Errorf("ssh-keygen -l says %q, we say %s", out, fp)
	}
	env := integrity.EnvelopeOf(record(t, 4)).Marshal()
	envFile := filepath.Join(dir, "envelope")
	os.WriteFile(envFile, env, 0o644)

	t.Run("ssh-keygen signs, we verify", func(t *testing.T) {
		run(t, nil, keygen, "-Y", "sign", "-f", key, "-n", integrity.Namespace, envFile)
		sig, err := os.ReadFile(envFile + ".sig")
		if err != nil {
			t.Fatal(err)
		}
		if err := integrity.VerifyEnvelope(env, sig, pub); err != nil {
			t.Fatalf("VerifyEnvelope of ssh-keygen's signature: %v", err)
		}
		changed := bytes.Clone(env)
		changed[len(changed)-1] ^= 1
		if err := integrity.VerifyEnvelope(changed, sig, pub); !errors.Is(err, integrity.ErrIntegrity) {
			t.Errorf("a signature over another envelope verified: %v", err)
		}
		gitFile := filepath.Join(dir, "envelope-git")
		os.WriteFile(gitFile, env, 0o644)
		run(t, nil, keygen, "-Y", "sign", "-f", key, "-n", "git", "-O", "hashalg=sha256", gitFile)
		git, _ := os.ReadFile(gitFile + ".sig")
		if err := integrity.VerifyEnvelope(env, git, pub); !errors.Is(err, integrity.ErrIntegrity) || !strings.Contains(err.Error(), "namespace") {
			t.Errorf("a signature in git's namespace = %v, want refused for its namespace", err)
		}
	})

	t.Run("we sign, ssh-keygen verifies", func(t *testing.T) {
		signer, err := keyfiles.ReadSSHSigner(key, nil)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := integrity.SignEnvelope(env, signer)
		if err != nil {
			t.Fatal(err)
		}
		armored, err := integrity.Armor(sig)
		if err != nil {
			t.Fatal(err)
		}
		sigFile := filepath.Join(dir, "ours.sig")
		os.WriteFile(sigFile, armored, 0o644)
		allowed := filepath.Join(dir, "allowed_signers")
		os.WriteFile(allowed, []byte(`ivy namespaces="`+integrity.Namespace+`" `+strings.TrimSpace(string(pubText))+"\n"), 0o644)
		out := run(t, env, keygen, "-Y", "verify", "-f", allowed, "-I", "ivy", "-n", integrity.Namespace, "-s", sigFile)
		if !strings.Contains(out, "Good \""+integrity.Namespace+"\" signature for ivy") {
			t.Errorf("ssh-keygen -Y verify: %s", out)
		}
		cmd := exec.Command(keygen, "-Y", "verify", "-f", allowed, "-I", "ivy", "-n", integrity.Namespace, "-s", sigFile)
		cmd.Stdin = bytes.NewReader(append(bytes.Clone(env), 'x'))
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("ssh-keygen verified our signature over another message: %s", out)
		}
	})
}

func TestVerifyEnvelopeRefuses(t *testing.T) {
	s, s2 := testsupport.NewSSHSigner(t), testsupport.NewSSHSigner(t)
	env := integrity.EnvelopeOf(record(t, 1)).Marshal()
	sig, err := integrity.SignEnvelope(env, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := integrity.VerifyEnvelope(env, sig, s.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if err := integrity.VerifyEnvelope(env, sig, s2.PublicKey()); !errors.Is(err, integrity.ErrIntegrity) || !strings.Contains(err.Error(), "not by") {
		t.Errorf("verify with another key = %v", err)
	}
	if err := integrity.VerifyEnvelope(env, []byte("junk"), s.PublicKey()); !errors.Is(err, integrity.ErrMalformed) {
		t.Errorf("verify of junk = %v", err)
	}
}

// TestSignatureBindsBasis: a signature over an envelope with a basis (the
// ledger revision its writer decided on) does not verify for the same
// event with another basis, or with none: the basis cannot be moved
// after signing, nor dropped to pass the event off as decided on nothing.
func TestSignatureBindsBasis(t *testing.T) {
	s := testsupport.NewSSHSigner(t)
	r := record(t, 1)
	r.Basis = 3
	sig, err := integrity.SignEnvelope(integrity.EnvelopeOf(r).Marshal(), s)
	if err != nil {
		t.Fatal(err)
	}
	if err := integrity.VerifyEnvelope(integrity.EnvelopeOf(r).Marshal(), sig, s.PublicKey()); err != nil {
		t.Fatalf("verify as signed: %v", err)
	}
	for _, basis := range []uint64{0, 2, 4} {
		moved := r
		moved.Basis = basis
		if err := integrity.VerifyEnvelope(integrity.EnvelopeOf(moved).Marshal(), sig, s.PublicKey()); !errors.Is(err, integrity.ErrIntegrity) {
			t.Errorf("verify with basis %d (signed with 3) = %v, want ErrIntegrity", basis, err)
		}
	}
}
