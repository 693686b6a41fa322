package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/safetext"
)

// The key is the identity (README: Who signs).
//
// The actor of an event is the registered holder of the SSH key that
// signed it. --actor NAME (or the OS user) only selects which identity to
// sign as: without --sign-key or --ssh-agent, the CLI looks for NAME's key
// in the user's key directory ($XDG_CONFIG_HOME/breachledger/signers/NAME,
// made by "signer keygen NAME"), among ssh-agent's keys ($SSH_AUTH_SOCK),
// and in the standard ~/.ssh/id_ed25519, id_ecdsa and id_rsa, and signs
// with the first one the ledger's signer registry holds, active, for NAME.
// A key found but registered to someone else is never used for NAME.

// signerDir returns the user's key directory:
// $XDG_CONFIG_HOME/breachledger/signers (os.UserConfigDir).
func signerDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no key directory (%v): give --sign-key FILE, or set XDG_CONFIG_HOME", err)
	}
	return filepath.Join(dir, "breachledger", "signers"), nil
}

// foundKey is a key that may be an actor's, found but not yet loaded.
type foundKey struct {
	where string // for people: a file's path, or "ssh-agent"
	file  string // the private key file; "" for a key held by the agent
	pub   ssh.PublicKey
	fp    string
}

// keySearch is what findKeys found: the keys, in order of preference, and
// what it looked at (for a refusal that says where it looked).
type keySearch struct {
	keys       []foundKey
	looked     []string
	agent      []ssh.Signer // the agent's keys, when an agent answered
	closeAgent func() error
}

func (s *keySearch) close() {
	if s.closeAgent != nil {
		s.closeAgent()
		s.closeAgent = nil
	}
}

// findKeys lists the keys that may be name's: the key directory's NAME,
// ssh-agent's keys, then ~/.ssh/id_ed25519, id_ecdsa and id_rsa, each key
// once. A file that is missing or unreadable is only noted in looked:
// choosing among the keys is the caller's.
func findKeys(name string) *keySearch {
	s := &keySearch{}
	seen := map[string]bool{}
	add := func(k foundKey) {
		if !seen[k.fp] {
			seen[k.fp] = true
			s.keys = append(s.keys, k)
		}
	}
	addFile := func(path string) {
		pub, err := publicKeyOfFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			s.looked = append(s.looked, path+" (none)")
		case err != nil:
			s.looked = append(s.looked, fmt.Sprintf("%s (unreadable: %v)", path, err))
		default:
			s.looked = append(s.looked, path)
			add(foundKey{where: path, file: path, pub: pub, fp: integrity.Fingerprint(pub)})
		}
	}
	if dir, err := signerDir(); err == nil && domain.ValidActorName(name) { // a name is a file name there
		addFile(filepath.Join(dir, name))
	}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		signers, closeAgent, err := integrity.AgentSigners(sock)
		if err != nil {
			s.looked = append(s.looked, fmt.Sprintf("ssh-agent (%v)", err))
		} else {
			s.agent, s.closeAgent = signers, closeAgent
			s.looked = append(s.looked, fmt.Sprintf("ssh-agent (%d keys)", len(signers)))
			for _, sg := range signers {
				add(foundKey{where: "ssh-agent", pub: sg.PublicKey(), fp: integrity.Fingerprint(sg.PublicKey())})
			}
		}
	} else {
		s.looked = append(s.looked, "ssh-agent (SSH_AUTH_SOCK not set)")
	}
	if home, err := os.UserHomeDir(); err == nil {
		for _, f := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			addFile(filepath.Join(home, ".ssh", f))
		}
	}
	return s
}

// publicKeyOfFile returns the public key of the private key file path:
// from path.pub when there is one, else from the private key itself (an
// OpenSSH key keeps its public half readable even when it is encrypted).
// A missing private key is fs.ErrNotExist, whatever path.pub says.
func publicKeyOfFile(path string) (ssh.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if pb, err := os.ReadFile(path + ".pub"); err == nil {
		if pub, _, err := integrity.ParseSignerKey(string(pb)); err == nil {
			return pub, nil
		}
	}
	s, err := ssh.ParsePrivateKey(b)
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing) && missing.PublicKey != nil:
		return missing.PublicKey, nil
	case err != nil:
		return nil, fmt.Errorf("not an SSH private key: %w", err)
	}
	return s.PublicKey(), nil
}

// registeredTo returns the first key of s registered, active, to actor in
// l's signer registry.
func (s *keySearch) registeredTo(l domain.Ledger, actor string) (foundKey, bool) {
	for _, k := range s.keys {
		if reg, ok := l.Signers.Key(k.fp); ok && reg.Actor == actor && reg.Active() {
			return k, true
		}
	}
	return foundKey{}, false
}

// signer loads k: through the agent when the agent holds it (an encrypted
// key file then needs no passphrase), else from its file, decrypted with
// $BREACHLEDGER_SIGN_KEY_PASSPHRASE when set.
func (s *keySearch) signer(k foundKey) (*actorSigner, error) {
	for _, sg := range s.agent {
		if integrity.Fingerprint(sg.PublicKey()) == k.fp {
			return newActorSigner(sg, "ssh-agent"), nil
		}
	}
	sg, err := signKeyFile(k.file) // keys.go
	if err != nil {
		return nil, err
	}
	if a := newActorSigner(sg, k.file); a.fp == k.fp {
		return a, nil
	}
	return nil, fmt.Errorf("the private key does not match %s.pub", k.file)
}

// findSigner returns the key actor signs with on the ledger in st: the
// first key found (findKeys) that the ledger's signer registry holds,
// active, for actor. With none, a ledger in signed mode refuses (rule
// signature-required, saying what was found and how to get a key
// registered); on an unsigned ledger the event is then recorded unsigned
// (nil, nil), and the domain judges whether it may be.
func findSigner(c *cli.Context, st eventstore.Store, actor string) (*actorSigner, error) {
	facts, err := ledger.ReadStream(c.Context, st, domain.LedgerStream)
	if err != nil {
		return nil, err
	}
	l := domain.ReplayLedger(facts, domain.Cut{})
	keys := findKeys(actor)
	k, ok := keys.registeredTo(l, actor)
	if !ok {
		keys.close()
		if since, signed := signedSince(l); signed {
			return nil, &domain.RuleError{Rule: "signature-required",
				Reason: fmt.Sprintf("this ledger is in signed mode (from seq %d on, every event is signed by its author's registered key), and no key registered to %s was found: %s", since, actor, keys.describe(l, actor)),
				Hint:   noKeyHint(actor)}
		}
		return nil, nil
	}
	return keys.load(k)
}

// initSigner returns the key the first admin signs a new ledger with, and
// which init registers as theirs: actor's key in the key directory, else
// ~/.ssh/id_ed25519, id_ecdsa or id_rsa, else the agent's only key.
func initSigner(actor string) (*actorSigner, error) {
	keys := findKeys(actor)
	var agentKeys []foundKey
	for _, k := range keys.keys {
		if k.file != "" {
			return keys.load(k)
		}
		agentKeys = append(agentKeys, k)
	}
	if len(agentKeys) == 1 {
		return keys.load(agentKeys[0])
	}
	keys.close()
	found := "no key of " + actor + "'s was found (looked at " + strings.Join(keys.looked, ", ") + ")"
	if len(agentKeys) > 1 {
		found = fmt.Sprintf("ssh-agent holds %d keys and no key file of %s's was found: choose one with --ssh-agent --sign-key KEY.pub", len(agentKeys), actor)
	}
	return nil, &domain.RuleError{Rule: "signature-required",
		Reason: "a new ledger is signed from its first event: init registers the first admin's SSH key and signs with it, and " + found,
		Hint: fmt.Sprintf(`make a key with "breachledger signer keygen %s" and run init again, or give your key with --sign-key FILE (or --ssh-agent); `+
			`"breachledger init --unsigned" makes a ledger whose authorship stays unproven, only for trying breachledger out alone`, actor)}
}

// load returns the signer of k; closing it closes the agent connection.
func (s *keySearch) load(k foundKey) (*actorSigner, error) {
	sg, err := s.signer(k)
	if err != nil {
		s.close()
		return nil, usageError{fmt.Errorf("the key %s (%s): %w", k.where, k.fp, err)}
	}
	sg.close = func() error { s.close(); return nil }
	return sg, nil
}

// describe says, for a refusal, what each found key is to actor in l.
func (s *keySearch) describe(l domain.Ledger, actor string) string {
	var parts []string
	for _, k := range s.keys {
		state := "not registered in this ledger"
		if reg, ok := l.Signers.Key(k.fp); ok {
			switch {
			case reg.Actor != actor:
				state = "registered to " + reg.Actor + ", not " + actor
			case !reg.Active():
				state = "revoked"
			default:
				state = "registered to " + actor
			}
		}
		parts = append(parts, fmt.Sprintf("%s %s: %s", k.where, k.fp, state))
	}
	if len(parts) == 0 {
		return "no key found (looked at " + strings.Join(s.looked, ", ") + ")"
	}
	return "found " + strings.Join(parts, "; ")
}

// noKeyHint is what an actor without a usable key does.
func noKeyHint(actor string) string {
	return fmt.Sprintf(`make a key with "breachledger signer keygen %s" and ask an admin to register it ("breachledger signer register %s KEY.pub"), or sign with a key already registered to %s (--sign-key FILE, or --ssh-agent)`, actor, actor, actor)
}

// keygenCommand makes an actor's SSH key pair (issue 12).
func (e *env) keygenCommand() *cli.Command {
	return &cli.Command{
		Name:      "keygen",
		Usage:     "make an Ed25519 SSH key pair to sign as ACTOR, in your key directory; an admin then registers its public key",
		ArgsUsage: "ACTOR",
		Description: "The key goes to $XDG_CONFIG_HOME/breachledger/signers/ACTOR (private, mode 0600) and ACTOR.pub,\n" +
			"where \"--actor ACTOR\" finds it; -o FILE writes it elsewhere. An existing file is never overwritten.\n" +
			"With BREACHLEDGER_SIGN_KEY_PASSPHRASE set, the private key is encrypted with it. The files are\n" +
			"OpenSSH's own format: ssh-keygen, ssh-add and git read them.\n\n" +
			"Example:\n  breachledger signer keygen ivy",
		Flags: []cli.Flag{str("output", "write the private key to this `FILE` (and FILE.pub) instead", "o"), boolean("json", "print JSON")},
		Action: func(c *cli.Context) error {
			in := newInputs(c, e.now())
			name := in.arg("ACTOR")
			if err := in.err(); err != nil {
				return err
			}
			if !domain.ValidActorName(name) {
				return usagef("ACTOR %s: an actor name matches %s (lowercase letters, digits, \".\", \"_\" or \"-\", starting with a letter)", safetext.Quote(name), domain.ActorNamePattern)
			}
			path := c.String("output")
			if path == "" {
				dir, err := signerDir()
				if err != nil {
					return err
				}
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return fmt.Errorf("make the key directory: %w", err)
				}
				path = filepath.Join(dir, name)
			}
			for _, p := range []string{path, path + ".pub"} {
				if _, err := os.Lstat(p); err == nil {
					return &domain.RuleError{Rule: "key-file-exists", Reason: fmt.Sprintf("%s exists, and keygen never overwrites a key", p),
						Hint: "sign with that key (it is found as " + name + "'s), or give -o FILE to make another one elsewhere"}
				}
			}
			pub, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return fmt.Errorf("generate key: %w", err)
			}
			var block *pem.Block
			if p := os.Getenv("BREACHLEDGER_SIGN_KEY_PASSPHRASE"); p != "" {
				block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, name, []byte(p))
			} else {
				block, err = ssh.MarshalPrivateKey(priv, name)
			}
			if err != nil {
				return fmt.Errorf("encode key: %w", err)
			}
			sshPub, err := ssh.NewPublicKey(pub)
			if err != nil {
				return fmt.Errorf("encode public key: %w", err)
			}
			authorized := integrity.AuthorizedKey(sshPub)
			commit(c, "while the key was being written: it was finished, as printed above") // signals.go
			if err := writeNew(path, pem.EncodeToMemory(block), 0o600); err != nil {
				return err
			}
			if err := writeNew(path+".pub", []byte(authorized+" "+name+"\n"), 0o644); err != nil {
				os.Remove(path)
				return err
			}
			fp := integrity.Fingerprint(sshPub)
			register := fmt.Sprintf("breachledger signer register %s '%s'", name, authorized)
			if c.Bool("json") {
				return writeJSON(e.stdout, struct {
					Actor       string `json:"actor"`
					PrivateKey  string `json:"private_key"`
					PublicKey   string `json:"public_key"`
					Fingerprint string `json:"fingerprint"`
					Register    string `json:"register"`
				}{name, path, authorized, fp, register})
			}
			fmt.Fprintf(e.stdout, "signer key: %s (private, mode 0600: it is %s's identity, keep it to yourself)\n", safetext.Line(path), name)
			fmt.Fprintf(e.stdout, "public key: %s.pub\n", safetext.Line(path))
			fmt.Fprintf(e.stdout, "fingerprint: %s\n", fp)
			fmt.Fprintf(e.stdout, "an admin registers it with:\n  %s\n", register)
			return nil
		},
	}
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("write key %s: %w", path, err)
	}
	return nil
}

// signedSince returns from which sequence every event of the ledger l must
// be signed; false for a ledger not in signed mode.
func signedSince(l domain.Ledger) (uint64, bool) {
	if !l.Initialized {
		return 0, false
	}
	return l.SignedSince()
}
