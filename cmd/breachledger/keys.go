package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/keyfiles"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/notary"
	"github.com/breachledger/breachledger/safetext"
)

// integrityFlags are the global flags of the ledger key and of actor
// signatures.
var integrityFlags = []cli.Flag{
	&cli.StringFlag{Name: "ledger-key", EnvVars: []string{"BREACHLEDGER_LEDGER_KEY"}, Usage: "the ledger's private checkpoint key `FILE` (default: $XDG_CONFIG_HOME/breachledger/keys/NAME-ID.key, apart from the ledger), or agent:SHA256:FINGERPRINT for an Ed25519 key held by ssh-agent ($SSH_AUTH_SOCK; agent:KEY.pub names it by its public key file)"},
	&cli.StringFlag{Name: "sign-key", EnvVars: []string{"BREACHLEDGER_SIGN_KEY"}, Usage: "sign what you record with this SSH private key `FILE` (with --ssh-agent: the public key choosing the agent's key); default: the --actor's registered key, found in the key directory, ssh-agent or ~/.ssh"},
	&cli.BoolFlag{Name: "ssh-agent", EnvVars: []string{"BREACHLEDGER_SSH_AGENT"}, Usage: "sign what you record with a key held by ssh-agent ($SSH_AUTH_SOCK)"},
}

// integrityCommands are the commands of issue 4: keys, signers, checkpoints,
// verification, proofs and bundles.
func integrityCommands(e *env) []*cli.Command {
	return []*cli.Command{
		e.keyCommand(),
		e.signerCommand(),
		e.signaturePolicyCommand(),
		e.signatureCommand(),
		e.checkpointCommand(),
		e.verifyCommand(),
		e.backupCommand(), // backup.go: a consistent, verified copy of a live SQLite ledger
		e.proveCommand(),
		e.exportCommand(),
		e.pinCommand(),
		e.notaryCommand(),
		e.keysCommand(), // keyserve.go: a team's key server of sealed personal data
	}
}

// Ledger key location.

// defaultKeyDir is where ledger keys live unless --ledger-key says
// otherwise: the user's configuration directory, never beside the ledger.
func defaultKeyDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", usagef("no default place for the ledger key (%v): give --ledger-key FILE or set BREACHLEDGER_LEDGER_KEY", err)
	}
	return filepath.Join(dir, "breachledger", "keys"), nil
}

// keyFileName is the default file name of the key of origin
// ("breachledger/NAME/ID" gives "NAME-ID.key").
func keyFileName(origin string) string {
	name := strings.TrimPrefix(origin, "breachledger/")
	return strings.ReplaceAll(name, "/", "-") + ".key"
}

// ledgerKeyPath returns where the private key of the ledger in st is
// (without reading the ledger when --ledger-key says).
func ledgerKeyPath(c *cli.Context, st eventstore.Store) (string, error) {
	if p := c.String("ledger-key"); p != "" {
		return p, nil
	}
	path, _, err := ledgerKeyLocation(c, st)
	return path, err
}

// ledgerKeyLocation returns where the private key of the ledger in st is,
// and the ledger's origin (read once).
func ledgerKeyLocation(c *cli.Context, st eventstore.Store) (path, origin string, err error) {
	if origin, err = ledger.Origin(c.Context, st); err != nil {
		return "", "", err
	}
	path, err = ledgerKeyPathOf(c, origin)
	return path, origin, err
}

// ledgerKeyPathOf returns where the private key of the ledger of origin
// is: --ledger-key, else its file in the key directory.
func ledgerKeyPathOf(c *cli.Context, origin string) (string, error) {
	if p := c.String("ledger-key"); p != "" {
		return p, nil
	}
	dir, err := defaultKeyDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, keyFileName(origin)), nil
}

// agentKeyPrefix starts a --ledger-key that names a key held by ssh-agent:
// "agent:SHA256:FINGERPRINT", or "agent:FILE" with FILE the key's SSH
// public key (or its private key file).
const agentKeyPrefix = "agent:"

// agentKeyFingerprint returns the fingerprint of the ssh-agent key that a
// --ledger-key value names, and whether it names one.
func agentKeyFingerprint(v string) (fp string, ok bool, err error) {
	rest, ok := strings.CutPrefix(v, agentKeyPrefix)
	if !ok {
		return "", false, nil
	}
	if strings.HasPrefix(rest, "SHA256:") {
		return rest, true, nil
	}
	if rest == "" {
		return "", true, usagef("--ledger-key agent: names no key: give agent:SHA256:FINGERPRINT (\"ssh-add -l\" lists them) or agent:KEY.pub")
	}
	if fp, err = fingerprintOfFile(rest); err != nil {
		return "", true, usagef("--ledger-key %s: %v", v, err)
	}
	return fp, true, nil
}

// ledgerKeyApartRule is the rule that keeps the ledger key apart from
// actors' keys.
const ledgerKeyApartRule = "ledger-key-apart"

// actorKeyAsLedgerKey is the refusal of an actor's SSH key (fingerprint
// fp, registered to or used by actor) as the ledger key.
func actorKeyAsLedgerKey(fp, actor string) error {
	return &domain.RuleError{Rule: ledgerKeyApartRule,
		Reason: fmt.Sprintf("the ssh-agent key %s is %s's own key, which signs the events they record; the ledger key signs checkpoints, and one key must never do both", fp, actor),
		Hint:   "make the ledger a key of its own (ssh-keygen -t ed25519 -f ~/.ssh/LEDGER_ledger; ssh-add it) and name it with --ledger-key agent:SHA256:FINGERPRINT"}
}

// agentLedgerKey returns the ledger key of the ledger in st held by
// ssh-agent with fingerprint fp. It refuses a key registered to an actor,
// except the notary's: the notary holds the ledger key and signs its
// rejections with it (the appointment registers it for the notary).
func agentLedgerKey(c *cli.Context, st eventstore.Store, origin, fp string) (*integrity.LedgerKey, error) {
	keys, _, err := ledger.SignerKeys(c.Context, st)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.Fingerprint != fp {
			continue
		}
		l, err := readLedger(c, st)
		if err != nil {
			return nil, err
		}
		if n, ok := l.Notary(); !ok || n.Actor != k.Actor {
			return nil, actorKeyAsLedgerKey(fp, k.Actor)
		}
	}
	ak, err := integrity.FindAgentKey(os.Getenv("SSH_AUTH_SOCK"), fp)
	if err != nil {
		return nil, fmt.Errorf("the ledger key (--ledger-key agent:%s): %w", fp, err)
	}
	return integrity.NewLedgerKey(origin, ak)
}

// loadLedgerKey reads the ledger's private key, or finds it in ssh-agent,
// and checks it is this ledger's. A key file beside the ledger draws a
// warning (warnKeyBeside).
func loadLedgerKey(c *cli.Context, st eventstore.Store) (*integrity.LedgerKey, error) {
	path, origin, err := ledgerKeyLocation(c, st)
	if err != nil {
		return nil, err
	}
	return ledgerKeyAt(c, st, origin, path)
}

// ledgerKeyAt is loadLedgerKey for a caller that has read the origin of
// the ledger in st already: the key at path (ledgerKeyPathOf), a file or
// agent:SHA256:FINGERPRINT.
func ledgerKeyAt(c *cli.Context, st eventstore.Store, origin, path string) (*integrity.LedgerKey, error) {
	if fp, ok, err := agentKeyFingerprint(path); ok {
		if err != nil {
			return nil, err
		}
		k, err := agentLedgerKey(c, st, origin, fp)
		if err != nil {
			return nil, err
		}
		return k, detachRanks(st)
	}
	warnKeyBeside(c, path)
	k, err := keyfiles.ReadLedgerKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no ledger key at %s: give --ledger-key FILE (or BREACHLEDGER_LEDGER_KEY), or make a key for a ledger that has none with \"breachledger key create\"", path)
	}
	if err != nil {
		return nil, err
	}
	if k.Origin() != origin {
		return nil, fmt.Errorf("the ledger key %s is for %q, not this ledger (%q)", path, k.Origin(), origin)
	}
	return k, detachRanks(st)
}

// detachRanks makes a process that is about to sign over the ledger number
// its events from the server as the ledger is now, not from an EventStoreDB
// rank file kept on this machine (esdb.Store.DetachRankFile): only then
// does it find events removed from the middle of $all, and refuse to sign
// over the removal.
func detachRanks(st eventstore.Store) error {
	if d, ok := st.(interface{ DetachRankFile() error }); ok {
		return d.DetachRankFile()
	}
	return nil
}

// publicKey returns the key that commands producing proofs and bundles
// (prove, export) check the ledger's own checkpoints with: --key when
// given, else the public half of this ledger's private key. verify never
// uses it: it trusts only --key or a pinned key (ledgerTrust, fileKey in
// pin.go).
func publicKey(c *cli.Context, st eventstore.Store) (*integrity.PublicKey, error) {
	if k := c.String("key"); k != "" {
		return readPublicKey(k)
	}
	if st == nil {
		return nil, usagef("--key PUB is required: the ledger's public key, as \"breachledger key public\" printed it")
	}
	lk, err := loadLedgerKey(c, st)
	if err != nil {
		return nil, fmt.Errorf("%w (or give the public key with --key)", err)
	}
	return lk.Public(), nil
}

func readPublicKey(arg string) (*integrity.PublicKey, error) {
	k, err := keyfiles.ReadPublicKey(arg)
	if err != nil {
		return nil, usageError{fmt.Errorf("--key: %w", err)}
	}
	return k, nil
}

// createLedgerKey makes the key of a new ledger whose LedgerInitialized
// record is init, writes it, and tells the user where.
func (e *env) createLedgerKey(c *cli.Context, st eventstore.Store) (*integrity.LedgerKey, error) {
	path, origin, err := ledgerKeyLocation(c, st)
	if err != nil {
		return nil, err
	}
	out := e.stdout
	if c.Bool("json") || c.Bool("quiet") {
		out = e.stderr
	}
	if fp, ok, err := agentKeyFingerprint(path); ok {
		// The key exists already, in the agent: the ledger adopts it.
		if err != nil {
			return nil, err
		}
		k, err := agentLedgerKey(c, st, origin, fp)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "ledger key: %s, held by ssh-agent (its private key never leaves the agent; keep the key file you added to it backed up, apart from the ledger)\n", fp)
		fmt.Fprintf(out, "public key: %s\n", k.Public())
		fmt.Fprintf(out, "(give auditors the public key, also from \"breachledger --ledger-key %s key public\")\n", path)
		return k, nil
	}
	warnKeyBeside(c, path)
	skey, vkey, err := integrity.GenerateLedgerKey(origin)
	if err != nil {
		return nil, err
	}
	commit(c, "while the ledger key was being made: it was finished, as printed above") // signals.go
	if err := keyfiles.WriteLedgerKey(path, skey, vkey); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "ledger key: %s (private, mode 0600; keep it apart from the ledger and back it up)\n", path)
	fmt.Fprintf(out, "public key: %s\n", vkey)
	fmt.Fprintf(out, "(give auditors the public key, also in %s.pub and from \"breachledger key public\")\n", path)
	return integrity.ParseLedgerKey(skey)
}

// appendKey loads the ledger key: every append ends with a checkpoint it
// signs, so without it nothing is appended. On a ledger with a notary it
// returns nil: writers hold no ledger key there, the notary checkpoints.
func appendKey(c *cli.Context, st eventstore.Store) (*integrity.LedgerKey, error) {
	notary, err := ledger.NotaryMode(c.Context, st)
	if err != nil {
		return nil, err
	}
	if notary {
		return nil, nil
	}
	key, err := loadLedgerKey(c, st)
	if err != nil {
		return nil, fmt.Errorf("every append ends with a checkpoint signed with the ledger key, so nothing was recorded: %w", err)
	}
	return key, nil
}

// execute appends cmd, as every writer does: its events signed with sg
// (when set), and, when key is set, their checkpoint signed in the
// append's own transaction on a store that can (SQLite). Once appended,
// the rest of the command (init's key, the answer, the checkpoint) is
// finished whatever signal comes (signals.go).
func (e *env) execute(c *cli.Context, st eventstore.Store, key *integrity.LedgerKey, sg *actorSigner, incident string, cmd domain.Command, now time.Time) (ledger.Result, error) {
	// What no checkpoint covers yet is decided on only as far as the
	// notary will accept it (on a ledger not checkpointed inline).
	w := ledger.Writer{Store: st, Judge: notary.PendingJudge(c.Context, ledger.OpenerOf(c.Context)), Seal: sealFunc(st, now), BeforeAppend: beforeAppendOf(c.Context)} // sealing.go, shred.go
	if sg != nil {
		w.Sign = sg.sign
	}
	if key != nil {
		w.Checkpointer = &ledger.Checkpointer{Store: st, Key: key}
	}
	res, err := w.Execute(c.Context, incident, cmd, now)
	if err != nil {
		return res, err
	}
	commit(c, committedAppend)
	return res, nil
}

// checkpointAfter signs a checkpoint covering what a writer appended,
// unless the append signed one in its own transaction.
func (e *env) checkpointAfter(c *cli.Context, st eventstore.Store, key *integrity.LedgerKey, res ledger.Result) error {
	if res.Checkpoint != nil || key == nil { // nil: the notary checkpoints (appendKey)
		return nil
	}
	_, err := ledger.Checkpointer{Store: st, Key: key}.Checkpoint(c.Context, res.Records)
	if errors.Is(err, ledger.ErrUncoveredTail) && !ledger.Inline(st) {
		// On EventStoreDB a writer covers only its own appends: another
		// writer's before it wait for whoever judges them. Recorded, and
		// pending: lag, which readers report, not a failure of this write.
		fmt.Fprintf(e.stderr, "recorded; not yet checkpointed: %v\n", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("recorded, but not checkpointed: %w", err)
	}
	return nil
}

func (e *env) keyCommand() *cli.Command {
	return &cli.Command{
		Name: "key", Usage: "the ledger's checkpoint key: print the public key, or make a key for a ledger that has none",
		Subcommands: []*cli.Command{
			{
				Name: "public", Usage: "print the ledger's public key (give it to auditors)",
				Description: "Example:\n  breachledger key public -o contoso.pub",
				Flags:       []cli.Flag{str("output", "write it to this file", "o")},
				Action: func(c *cli.Context) error {
					if c.NArg() > 0 {
						return usagef("unexpected argument %q", c.Args().First())
					}
					return withReadStore(c, false, func(st eventstore.Store) error {
						k, err := loadLedgerKey(c, st)
						if err != nil {
							return err
						}
						return e.output(c, []byte(k.Public().String()+"\n"))
					})
				},
			},
			{
				Name: "path", Usage: "print where the ledger's private key is looked for",
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					return withReadStore(c, false, func(st eventstore.Store) error {
						p, err := ledgerKeyPath(c, st)
						if err != nil {
							return err
						}
						fmt.Fprintln(e.stdout, p)
						return nil
					})
				},
			},
			e.keyHandoverCommand(),
			{
				Name: "create", Usage: "make the checkpoint key of a ledger that has none yet (made before checkpoints existed)",
				Description: "The events already in the ledger are then covered by no checkpoint: nothing signs them\n" +
					"unasked. Check them (\"breachledger log\"), then accept them, once, with\n" +
					"  breachledger checkpoint --accept-legacy-tail --reason \"recorded before the ledger had checkpoints\"",
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					return withStore(c, false, func(st eventstore.Store) error {
						cs, ok := st.(eventstore.CheckpointStore)
						if !ok {
							return fmt.Errorf("this store keeps no checkpoints")
						}
						if _, err := cs.LatestCheckpoint(c.Context); err == nil {
							return &domain.RuleError{Rule: "key-exists", Reason: "this ledger already has signed checkpoints, so it has a key", Hint: "use that key (--ledger-key FILE)"}
						} else if !errors.Is(err, eventstore.ErrNoCheckpoint) {
							return err
						}
						if _, err := e.createLedgerKey(c, st); err != nil {
							return err
						}
						head, err := st.Head(c.Context)
						if err != nil {
							return err
						}
						fmt.Fprintf(e.stdout, "the %d events already in the ledger are covered by no checkpoint: check them, then accept them once with\n  breachledger checkpoint --accept-legacy-tail --reason \"recorded before the ledger had checkpoints\"\n", head)
						return nil
					})
				},
			},
		},
	}
}

// output writes b to --output, or to stdout.
func (e *env) output(c *cli.Context, b []byte) error {
	if p := c.String("output"); p != "" && p != "-" {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		return nil
	}
	_, err := e.stdout.Write(printable(c, b))
	return err
}

// printable returns a document (a report, a register, a proof) for a
// terminal: JSON through safetext.JSON, anything else through safetext.Text,
// so no stored text acts on the terminal. Clean documents are unchanged;
// files written with --output keep their bytes.
func printable(c *cli.Context, b []byte) []byte {
	if c.String("format") == "json" {
		return safetext.JSON(b)
	}
	return []byte(safetext.Text(string(b)))
}

// Actor signatures.

// actorSigner signs content envelopes with an actor's SSH key.
type actorSigner struct {
	s     ssh.Signer
	fp    string // its fingerprint, "SHA256:..."
	key   string // its public key, authorized_keys form
	where string // where it was found: a file, or "ssh-agent"
	close func() error
}

func (a *actorSigner) sign(env []byte) ([]byte, error) { return integrity.SignEnvelope(env, a.s) }

// newActorSigner returns the signer of s, found at where; closing it does
// nothing.
func newActorSigner(s ssh.Signer, where string) *actorSigner {
	return &actorSigner{s: s, fp: integrity.Fingerprint(s.PublicKey()), key: integrity.AuthorizedKey(s.PublicKey()), where: where, close: func() error { return nil }}
}

// signKeyFile loads the SSH private key file path, decrypted with
// $BREACHLEDGER_SIGN_KEY_PASSPHRASE when set.
func signKeyFile(path string) (ssh.Signer, error) {
	var pass []byte
	if p, ok := os.LookupEnv("BREACHLEDGER_SIGN_KEY_PASSPHRASE"); ok {
		pass = []byte(p)
	}
	return keyfiles.ReadSSHSigner(path, pass)
}

// signerFrom returns the actor's signer chosen by --sign-key and
// --ssh-agent, or nil when the actor does not sign.
func signerFrom(c *cli.Context) (*actorSigner, error) {
	path, agentOn := c.String("sign-key"), c.Bool("ssh-agent")
	if path == "" && !agentOn {
		return nil, nil
	}
	if !agentOn {
		s, err := signKeyFile(path)
		if err != nil {
			return nil, usageError{fmt.Errorf("--sign-key: %w", err)}
		}
		return newActorSigner(s, path), nil
	}
	signers, closeAgent, err := integrity.AgentSigners(os.Getenv("SSH_AUTH_SOCK"))
	if err != nil {
		return nil, err
	}
	want := ""
	if path != "" {
		if want, err = fingerprintOfFile(path); err != nil {
			closeAgent()
			return nil, usageError{fmt.Errorf("--sign-key: %w", err)}
		}
	}
	var chosen []ssh.Signer
	for _, s := range signers {
		if want == "" || integrity.Fingerprint(s.PublicKey()) == want {
			chosen = append(chosen, s)
		}
	}
	switch {
	case len(chosen) == 1:
		sg := newActorSigner(chosen[0], "ssh-agent")
		sg.close = closeAgent
		return sg, nil
	case len(chosen) == 0 && want != "":
		closeAgent()
		return nil, fmt.Errorf("ssh-agent holds no key %s", want)
	case len(chosen) == 0:
		closeAgent()
		return nil, errors.New("ssh-agent holds no keys (ssh-add KEY)")
	}
	closeAgent()
	return nil, usagef("ssh-agent holds %d keys: choose one with --sign-key KEY.pub", len(chosen))
}

// fingerprintOfFile reads a public key (authorized_keys form) or a private
// key file (publicKeyOfFile, identity.go) and returns its fingerprint.
func fingerprintOfFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if _, fp, err := integrity.ParseSignerKey(string(b)); err == nil {
		return fp, nil
	}
	pub, err := publicKeyOfFile(path)
	if err != nil {
		return "", fmt.Errorf("%s is neither an SSH public key nor an SSH private key", path)
	}
	return integrity.Fingerprint(pub), nil
}

// signerKeyArg reads an SSH public key given as a file or as the key
// itself, and returns it in authorized_keys form with its fingerprint.
func signerKeyArg(in *inputs, arg string) (key, fp string) {
	if arg == "" {
		return "", ""
	}
	text := arg
	if b, err := os.ReadFile(arg); err == nil {
		text = string(b)
	} else if !strings.HasPrefix(arg, "ssh-") && !strings.HasPrefix(arg, "ecdsa-") && !strings.HasPrefix(arg, "sk-") {
		in.failf("KEY: %v", err)
		return "", ""
	}
	pub, fp, err := integrity.ParseSignerKey(text)
	if err != nil {
		in.failf("KEY: %v", err)
		return "", ""
	}
	return integrity.AuthorizedKey(pub), fp
}

func (e *env) signerCommand() *cli.Command {
	return &cli.Command{
		Name: "signer", Usage: "the SSH keys actors sign with: make one, register, rotate, revoke, list",
		Subcommands: []*cli.Command{
			e.keygenCommand(), // identity.go
			e.writer(writerSpec{
				name: "register", usage: "register an SSH public key an actor signs with (admin)", argsUsage: "ACTOR KEY",
				example: `breachledger signer register ivy ~/ivy_ed25519.pub --reason "SIM rota"`,
				flags:   []cli.Flag{str("reason", "why")},
				build: func(in *inputs, by domain.By) domain.Command {
					who := in.arg("ACTOR")
					key, fp := signerKeyArg(in, in.arg("KEY"))
					return domain.RegisterSigner{By: by, Actor: who, Key: key, Fingerprint: fp, Reason: in.c.String("reason")}
				},
			}),
			e.writer(writerSpec{
				name: "revoke", usage: "revoke a key: its signatures on events recorded from now on are refused (admin, or the key's actor)", argsUsage: "ACTOR FINGERPRINT",
				example: `breachledger signer revoke ivy SHA256:abc... --reason "laptop lost"`,
				flags:   []cli.Flag{str("reason", "why (required)")},
				build: func(in *inputs, by domain.By) domain.Command {
					return domain.RevokeSigner{By: by, Actor: in.arg("ACTOR"), Fingerprint: in.arg("FINGERPRINT"), Reason: in.required("reason")}
				},
			}),
			e.writer(writerSpec{
				name: "rotate", usage: "register a new key and revoke the old one in one step (admin, or the key's actor)", argsUsage: "ACTOR OLD-FINGERPRINT NEW-KEY",
				example: `breachledger signer rotate ivy SHA256:abc... ~/ivy_new.pub`,
				flags:   []cli.Flag{str("reason", "why")},
				build: func(in *inputs, by domain.By) domain.Command {
					who, old := in.arg("ACTOR"), in.arg("OLD-FINGERPRINT")
					key, fp := signerKeyArg(in, in.arg("NEW-KEY"))
					return domain.RotateSigner{By: by, Actor: who, Old: old, Key: key, Fingerprint: fp, Reason: in.c.String("reason")}
				},
			}),
			{
				Name: "list", Usage: "list registered keys and the signature policy",
				Flags: []cli.Flag{boolean("json", "print JSON")},
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					return e.withReader(c, func(st eventstore.Store) error {
						l, err := readLedger(c, st) // once: the keys, the policy and the signed mode
						if err != nil {
							return err
						}
						keys, required, a := l.Signers.Keys(), l.Signers.Required(), authorshipOf(l)
						var since *uint64 // in signed mode: from which sequence every event is signed
						if a.signed {
							since = &a.since
						}
						if c.Bool("json") {
							if keys == nil {
								keys = []domain.SignerKey{}
							}
							return writeJSON(e.stdout, struct {
								Keys        []domain.SignerKey `json:"keys"`
								Required    []string           `json:"required"`
								SignedSince *uint64            `json:"signed_since,omitempty"`
							}{keys, required, since})
						}
						tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
						fmt.Fprintln(tw, "ACTOR\tFINGERPRINT\tREGISTERED\tREVOKED")
						for _, k := range keys {
							rev := "-"
							if k.Revoked != nil {
								rev = k.Revoked.At.Format(time.RFC3339) + " " + k.RevokeReason
							}
							fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", safetext.Line(k.Actor), safetext.Line(k.Fingerprint), k.Registered.At.Format(time.RFC3339), safetext.Line(rev))
						}
						if err := tw.Flush(); err != nil {
							return err
						}
						if since != nil {
							fmt.Fprintf(e.stdout, "signatures required for: every event from seq %d on (signed mode)\n", *since)
							return nil
						}
						fmt.Fprintf(e.stdout, "signatures required for: %s\n", orNone(required))
						return nil
					})
				},
			},
		},
	}
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "(none)"
	}
	return strings.Join(xs, ", ")
}

func (e *env) signaturePolicyCommand() *cli.Command {
	var kinds []string
	for _, k := range domain.PolicyKinds() {
		kinds = append(kinds, k.Name)
	}
	return e.writer(writerSpec{
		name: "signature-policy", usage: "switch the ledger to signed mode (--all), or set which event kinds must be signed (admin): " + strings.Join(kinds, ", ") + ", or event type names; --none for none",
		argsUsage: "KIND...",
		example: lines(`breachledger signature-policy --all --reason "every event signed by its author"   # signed mode, for good`,
			`breachledger signature-policy declaration approvals notifications --reason "non-repudiation for regulator-facing facts"`),
		flags: []cli.Flag{
			boolean("all", "signed mode: from this event on, every event of every kind must be signed by its author's registered key (one-way: never relaxed); sign this with your own key"),
			boolean("none", "require no signatures"), str("reason", "why"),
		},
		build: func(in *inputs, by domain.By) domain.Command {
			var req []string
			for in.used < in.c.NArg() {
				k := in.arg("KIND")
				if types, ok := domain.PolicyKindTypes(k); ok {
					req = append(req, types...)
				} else {
					req = append(req, k)
				}
			}
			all := in.c.Bool("all")
			switch {
			case all && in.c.Bool("none"):
				in.failf("--all and --none contradict each other: signed mode requires every event signed")
			case len(req) == 0 && !all && !in.c.Bool("none"):
				in.failf("give --all (signed mode), the kinds to require (%s, or event types), or --none", strings.Join(kinds, ", "))
			}
			return domain.SetSignaturePolicy{By: by, Required: req, All: all, Reason: in.c.String("reason")}
		},
	})
}

// signatureCommand exports an event's content envelope and signature, so
// that anyone can check it with OpenSSH's own tool.
func (e *env) signatureCommand() *cli.Command {
	return &cli.Command{
		Name: "signature", Usage: "write an event's content envelope, its SSH signature and an allowed_signers line, for ssh-keygen -Y verify",
		ArgsUsage: "EVENT-ID",
		Description: "Example:\n  breachledger signature EVENT-ID --envelope ev.bin --signature ev.sig --allowed-signers allowed\n" +
			"  ssh-keygen -Y verify -f allowed -I ACTOR -n " + integrity.Namespace + " -s ev.sig < ev.bin",
		Flags: []cli.Flag{
			str("envelope", "write the content envelope (the signed bytes) to this file"),
			str("signature", "write the armored SSH signature to this file"),
			str("allowed-signers", "write the actor's registered keys (as the signer registry stood before the event; for the first append of a ledger made in signed mode, the key it registers) to this allowed_signers file"),
		},
		Action: func(c *cli.Context) error {
			in := newInputs(c, e.now())
			arg := in.arg("EVENT-ID")
			envPath, sigPath := in.required("envelope"), in.required("signature")
			if err := in.err(); err != nil {
				return err
			}
			return withReadStore(c, false, func(st eventstore.Store) error {
				r, err := findEvent(c, st, arg)
				if err != nil {
					return err
				}
				if r.Signer == "" || len(r.Signature) == 0 {
					return &domain.NotFoundError{What: "signature of event", ID: arg, Hint: "the event was not signed"}
				}
				armored, err := integrity.Armor(r.Signature)
				if err != nil {
					return err
				}
				if err := os.WriteFile(envPath, integrity.EnvelopeOf(r).Marshal(), 0o644); err != nil {
					return err
				}
				if err := os.WriteFile(sigPath, armored, 0o644); err != nil {
					return err
				}
				// The allowed signers are the keys the signer registry held
				// for the actor before this event, never the key found
				// inside the signature (that would vouch for any key).
				var mismatch error
				if p := c.String("allowed-signers"); p != "" {
					at := r.Sequence
					if at < 2 {
						// A ledger made in signed mode registers, in its
						// first append (seq 0 and 1), the key that signs it.
						l, err := readLedger(c, st)
						if err != nil {
							return err
						}
						if since, ok := l.SignedSince(); ok && since == 0 {
							at = 2
						}
					}
					keys, err := ledger.SignerKeysAt(c.Context, st, at)
					if err != nil {
						return err
					}
					var lines strings.Builder
					registered := false
					for _, k := range keys {
						if k.Actor != r.Actor {
							continue
						}
						pub, _, err := integrity.ParseSignerKey(k.Key)
						if err != nil {
							return fmt.Errorf("the registered key %s of %s: %w", k.Fingerprint, r.Actor, err)
						}
						fmt.Fprintf(&lines, "%s namespaces=%q %s\n", principal(r.Actor), integrity.Namespace, integrity.AuthorizedKey(pub))
						registered = registered || k.Fingerprint == r.Signer
					}
					if err := os.WriteFile(p, []byte(lines.String()), 0o644); err != nil {
						return err
					}
					inside, err := integrity.SignatureKey(r.Signature)
					switch {
					case lines.Len() == 0:
						mismatch = fmt.Errorf("%s had no registered key before event %s (sequence %d): %s lists none, and nothing vouches for its signature: %w", r.Actor, r.ID, r.Sequence, p, integrity.ErrIntegrity)
					case !registered:
						mismatch = fmt.Errorf("event %s (sequence %d) names signer key %s, which was not registered to %s before it: %w", r.ID, r.Sequence, r.Signer, r.Actor, integrity.ErrIntegrity)
					case err != nil || integrity.Fingerprint(inside) != r.Signer:
						mismatch = fmt.Errorf("the signature of event %s (sequence %d) was made with another key than %s's registered %s: %w", r.ID, r.Sequence, r.Actor, r.Signer, integrity.ErrIntegrity)
					}
				}
				fmt.Fprintf(e.stdout, "event %s signed by %s with %s\ncheck: ssh-keygen -Y verify -f ALLOWED_SIGNERS -I %s -n %s -s %s < %s\n",
					r.ID, safetext.Line(r.Actor), safetext.Line(r.Signer), safetext.Line(principal(r.Actor)), integrity.Namespace, sigPath, envPath)
				return mismatch
			})
		},
	}
}

// principal quotes an actor name for an allowed_signers file when needed.
func principal(actor string) string {
	if strings.ContainsAny(actor, " \t\",*?!") {
		b, _ := json.Marshal(actor)
		return string(b)
	}
	return actor
}

// findEvent returns the stored event with the given ID.
func findEvent(c *cli.Context, st eventstore.Store, arg string) (eventstore.Record, error) {
	id, err := parseEventID(arg)
	if err != nil {
		return eventstore.Record{}, err
	}
	for r, err := range eventstore.All(c.Context, st, 0) {
		if err != nil {
			return eventstore.Record{}, err
		}
		if r.ID == id {
			return r, nil
		}
	}
	return eventstore.Record{}, &domain.NotFoundError{What: "event", ID: arg, Hint: `list events with "breachledger log"`}
}
