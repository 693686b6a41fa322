package integrity

import (
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/mod/sumdb/note"
)

// Where the ledger key lives. A LedgerKey signs through a KeySigner: the
// Ed25519 private key of a key file, held in memory, or an Ed25519 key held
// by ssh-agent (AgentKey), whose private half never leaves the agent. Both
// make the same plain Ed25519 signature over the same bytes, so a
// checkpoint's signed note is byte for byte the same whichever holds the
// key, and verifies with the same public key.

// A KeySigner makes the ledger key's signatures: its Public is an
// ed25519.PublicKey, and Sign(rand, msg, crypto.Hash(0)) returns the plain
// Ed25519 signature of msg (RFC 8032, no pre-hashing), as C2SP signed notes
// use. An ed25519.PrivateKey is one; an *AgentKey is another.
type KeySigner interface {
	crypto.Signer
}

// NewLedgerKey returns the ledger key of origin that signs with s. It fails
// unless s holds an Ed25519 key.
func NewLedgerKey(origin string, s KeySigner) (*LedgerKey, error) {
	pub, ok := s.Public().(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("ledger key of %s: a %T key; the ledger key must be Ed25519 (C2SP signed notes): make one with \"ssh-keygen -t ed25519\"", origin, s.Public())
	}
	vkey, err := note.NewEd25519VerifierKey(origin, pub)
	if err != nil {
		return nil, fmt.Errorf("ledger key of %s: %w", origin, err)
	}
	pk, err := ParsePublicKey(vkey)
	if err != nil {
		return nil, err
	}
	return &LedgerKey{signer: &noteSigner{name: origin, hash: pk.v.KeyHash(), pub: pub, s: s}, public: pk}, nil
}

// noteSigner is a note.Signer that signs through a KeySigner: what
// note.NewSigner makes of an encoded key, for a key that need not be in
// memory.
type noteSigner struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
	s    KeySigner
}

func (n *noteSigner) Name() string    { return n.name }
func (n *noteSigner) KeyHash() uint32 { return n.hash }

// Sign signs msg, and checks the signature before anyone relies on it: a
// signer that does not make plain Ed25519 signatures of msg with its public
// key fails here, not later in a verifier.
func (n *noteSigner) Sign(msg []byte) ([]byte, error) {
	sig, err := n.s.Sign(nil, msg, crypto.Hash(0))
	if err != nil {
		return nil, err
	}
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(n.pub, msg, sig) {
		return nil, fmt.Errorf("the ledger key's signature does not verify with its public key (not a plain Ed25519 signature): %w", ErrIntegrity)
	}
	return sig, nil
}

// An AgentKey is an Ed25519 key held by the ssh-agent listening on a Unix
// socket: a KeySigner whose every signature is made by the agent. Each
// signature opens its own connection to the agent, so an AgentKey needs no
// closing.
type AgentKey struct {
	socket string
	key    ssh.PublicKey
	pub    ed25519.PublicKey
}

// FindAgentKey returns the key with the SHA-256 fingerprint fp
// ("SHA256:...") that the ssh-agent at socket holds. It fails unless the
// agent holds that key and the key is Ed25519.
func FindAgentKey(socket, fp string) (*AgentKey, error) {
	if socket == "" {
		return nil, errors.New("connect to ssh-agent: SSH_AUTH_SOCK is not set (start the agent holding the ledger key, or give the socket in SSH_AUTH_SOCK)")
	}
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return nil, fmt.Errorf("connect to ssh-agent: %w", err)
	}
	defer conn.Close()
	keys, err := agent.NewClient(conn).List()
	if err != nil {
		return nil, fmt.Errorf("list ssh-agent keys: %w", err)
	}
	held := make([]string, 0, len(keys))
	for _, k := range keys {
		held = append(held, Fingerprint(k))
		if held[len(held)-1] != fp {
			continue
		}
		if k.Type() != ssh.KeyAlgoED25519 {
			return nil, fmt.Errorf("the ssh-agent key %s is %s; the ledger key must be Ed25519 (C2SP signed notes): make one with \"ssh-keygen -t ed25519\" and ssh-add it", fp, k.Type())
		}
		pk, err := ssh.ParsePublicKey(k.Marshal())
		if err != nil {
			return nil, fmt.Errorf("the ssh-agent key %s: %w", fp, err)
		}
		var pub ed25519.PublicKey
		cpk, ok := pk.(ssh.CryptoPublicKey)
		if ok {
			pub, ok = cpk.CryptoPublicKey().(ed25519.PublicKey)
		}
		if !ok {
			return nil, fmt.Errorf("the ssh-agent key %s: no Ed25519 public key in it", fp)
		}
		return &AgentKey{socket: socket, key: pk, pub: pub}, nil
	}
	if len(held) == 0 {
		return nil, fmt.Errorf("ssh-agent holds no keys, so not the ledger key %s: add it with \"ssh-add KEY\"", fp)
	}
	return nil, fmt.Errorf("ssh-agent holds no key %s (it holds %s): add the ledger key with \"ssh-add KEY\"", fp, strings.Join(held, ", "))
}

// Public returns the key's ed25519.PublicKey.
func (k *AgentKey) Public() crypto.PublicKey { return k.pub }

// Sign has the agent sign msg with the key. An ssh-ed25519 signature is the
// plain Ed25519 signature of the data (RFC 8709 §6), so opts must ask for
// no pre-hashing (crypto.Hash(0)). rand is unused: the agent signs.
func (k *AgentKey) Sign(_ io.Reader, msg []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts != nil && opts.HashFunc() != crypto.Hash(0) {
		return nil, errors.New("ssh-agent ledger key: Ed25519 signs the message itself, not a hash of it")
	}
	conn, err := net.Dial("unix", k.socket)
	if err != nil {
		return nil, fmt.Errorf("connect to ssh-agent to sign with the ledger key %s: %w", Fingerprint(k.key), err)
	}
	defer conn.Close()
	sig, err := agent.NewClient(conn).Sign(k.key, msg)
	if err != nil {
		return nil, fmt.Errorf("ssh-agent signing with the ledger key %s: %w", Fingerprint(k.key), err)
	}
	if sig.Format != ssh.KeyAlgoED25519 || len(sig.Blob) != ed25519.SignatureSize {
		return nil, fmt.Errorf("ssh-agent signed with the ledger key %s in format %q (%d bytes), not an Ed25519 signature", Fingerprint(k.key), sig.Format, len(sig.Blob))
	}
	return sig.Blob, nil
}

// SSHSigner returns the ledger key as an SSH signer: a notary, which holds
// the ledger key, signs the events it writes (its rejections) with it, as
// every author signs theirs (SignEnvelope), under the key's SSH
// fingerprint.
func (k *LedgerKey) SSHSigner() (ssh.Signer, error) {
	ns, ok := k.signer.(*noteSigner)
	if !ok {
		return nil, errors.New("the ledger key cannot sign SSH signatures")
	}
	s, err := ssh.NewSignerFromSigner(ns.s)
	if err != nil {
		return nil, fmt.Errorf("the ledger key as an SSH signer: %w", err)
	}
	return s, nil
}

// SSHKey returns the public key as an SSH public key (an Ed25519 key in
// both formats): the key a notary's events are signed with, registered
// for the notary's actor when the notary is appointed.
func (p *PublicKey) SSHKey() (ssh.PublicKey, error) {
	// The encoding is name+hash+base64(0x01 ‖ public key); a name has
	// no '+', the base64 may.
	parts := strings.SplitN(p.vkey, "+", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("ledger public key %s: not NAME+HASH+KEY: %w", p.Fingerprint(), ErrMalformed)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 1 {
		return nil, fmt.Errorf("ledger public key %s: not an Ed25519 key: %w", p.Fingerprint(), ErrMalformed)
	}
	k, err := ssh.NewPublicKey(ed25519.PublicKey(raw[1:]))
	if err != nil {
		return nil, fmt.Errorf("ledger public key %s: %w", p.Fingerprint(), err)
	}
	return k, nil
}
