package integrity

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Namespace is the SSHSIG namespace of actor signatures over content
// envelopes: what "ssh-keygen -Y sign -n" and "-Y verify -n" must be given.
// It keeps a signature made for breachledger from being taken for a git or
// file signature, and the other way round.
const Namespace = "breachledger-event@v1"

// SignEnvelope signs an encoded content envelope with an SSH key (from a
// file or an agent) and returns the SSHSIG signature in wire format
// (Armor turns it into ssh-keygen's armored form).
func SignEnvelope(envelope []byte, s ssh.Signer) ([]byte, error) {
	sig, err := sshsig.Sign(bytes.NewReader(envelope), s, sshsig.HashSHA512, Namespace)
	if err != nil {
		return nil, fmt.Errorf("sign envelope with %s: %w", Fingerprint(s.PublicKey()), err)
	}
	return sig.Marshal(), nil
}

// VerifyEnvelope checks an SSHSIG signature (wire format or armored) over an
// encoded content envelope against the public key key. It fails, matching
// ErrIntegrity, unless the signature is key's, in Namespace, over envelope.
func VerifyEnvelope(envelope, signature []byte, key ssh.PublicKey) error {
	sig, err := parseSignature(signature)
	if err != nil {
		return err
	}
	if err := sshsig.Verify(bytes.NewReader(envelope), sig, key, sig.HashAlgorithm, Namespace); err != nil {
		switch {
		case errors.Is(err, sshsig.ErrPublicKeyMismatch):
			return fmt.Errorf("signature is by %s, not by %s: %w", Fingerprint(sig.PublicKey), Fingerprint(key), ErrIntegrity)
		case errors.Is(err, sshsig.ErrNamespaceMismatch):
			return fmt.Errorf("signature is in namespace %q, not %q: %w", sig.Namespace, Namespace, ErrIntegrity)
		}
		return fmt.Errorf("signature by %s does not verify over the content envelope (%v): %w", Fingerprint(key), err, ErrIntegrity)
	}
	return nil
}

// SignatureKey returns the public key an SSHSIG signature names (which
// VerifyEnvelope checks it against).
func SignatureKey(signature []byte) (ssh.PublicKey, error) {
	sig, err := parseSignature(signature)
	if err != nil {
		return nil, err
	}
	return sig.PublicKey, nil
}

func parseSignature(b []byte) (*sshsig.Signature, error) {
	var (
		sig *sshsig.Signature
		err error
	)
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN")) {
		sig, err = sshsig.Unarmor(b)
	} else {
		sig, err = sshsig.ParseSignature(b)
	}
	if err != nil {
		return nil, fmt.Errorf("parse SSH signature: %v: %w", err, ErrMalformed)
	}
	return sig, nil
}

// Armor returns a wire-format SSHSIG signature in the armored form
// ssh-keygen reads and writes ("-----BEGIN SSH SIGNATURE-----").
func Armor(signature []byte) ([]byte, error) {
	sig, err := parseSignature(signature)
	if err != nil {
		return nil, err
	}
	return sshsig.Armor(sig), nil
}

// Fingerprint returns the SHA-256 fingerprint of an SSH public key as
// ssh-keygen -l prints it ("SHA256:..."): what a record's Signer holds.
func Fingerprint(key ssh.PublicKey) string { return ssh.FingerprintSHA256(key) }

// ParseSignerKey parses an SSH public key in authorized_keys form
// ("ssh-ed25519 AAAA... comment") and returns it and its fingerprint.
func ParseSignerKey(s string) (ssh.PublicKey, string, error) {
	key, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(s)))
	if err != nil {
		return nil, "", fmt.Errorf("parse SSH public key: %w", err)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, "", errors.New("parse SSH public key: more than one key")
	}
	return key, Fingerprint(key), nil
}

// AuthorizedKey returns key in authorized_keys form, without a comment.
func AuthorizedKey(key ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
}

// AgentSigners connects to the ssh-agent at socket and returns its keys.
// Close the returned closer when done signing.
func AgentSigners(socket string) ([]ssh.Signer, func() error, error) {
	if socket == "" {
		return nil, nil, errors.New("connect to ssh-agent: SSH_AUTH_SOCK is not set")
	}
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to ssh-agent: %w", err)
	}
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("list ssh-agent keys: %w", err)
	}
	return signers, conn.Close, nil
}
