package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/keyfiles"
	"github.com/breachledger/breachledger/stores"
)

// Where the ledger key is kept. Whoever holds the ledger key can rewrite
// history and re-sign it, so the key must not travel with the ledger: a key
// file in the same directory as the ledger file goes wherever the ledger's
// directory goes (a shared team folder, a backup, a copy for an auditor),
// and is read by whoever reads it. Such a key still works (refusing it
// would stop the ledger at night, under a clock), but every use of it
// draws a warning on stderr saying what to do instead. A key file that
// others than its owner may read is refused outright
// (keyfiles.ReadLedgerKey).

// keyBesideRule names the warning.
const keyBesideRule = "key-beside-ledger"

// ledgerFile returns the path of the SQLite file that --ledger names, or
// "" for a ledger that is not a file (EventStoreDB).
func ledgerFile(location string) string {
	if stores.IsESDB(location) {
		return ""
	}
	if scheme, rest, ok := strings.Cut(location, "://"); ok {
		if scheme != "file" && scheme != "sqlite" {
			return ""
		}
		location = rest
	}
	return location
}

// sameDir reports whether the files a and b are in one directory (after
// symbolic links).
func sameDir(a, b string) bool {
	dir := func(p string) string {
		d, err := filepath.Abs(filepath.Dir(p))
		if err != nil {
			return ""
		}
		if r, err := filepath.EvalSymlinks(d); err == nil {
			d = r
		}
		return d
	}
	da, db := dir(a), dir(b)
	return da != "" && da == db
}

// keyBesideWarning returns the warning for a ledger key file at keyPath
// used with the ledger at location, or "" when it is kept apart.
func keyBesideWarning(keyPath, location string) string {
	file := ledgerFile(location)
	if file == "" || !sameDir(keyPath, file) {
		return ""
	}
	where := "the key directory ($XDG_CONFIG_HOME/breachledger/keys)"
	if dir, err := defaultKeyDir(); err == nil {
		where = dir
	}
	return fmt.Sprintf("warning (%s): the ledger key %s is in the same directory as the ledger file %s: "+
		"whoever can read or copy that directory (a shared folder, a backup, a copy for an auditor) gets the key with the ledger, "+
		"and with it can rewrite history and re-sign it so that verify says intact. "+
		"Instead: move the key to %s with mode 0600 (chmod 600) and give its new path with --ledger-key, "+
		"or hold it in ssh-agent (README: The ledger key in ssh-agent; --ledger-key agent:SHA256:FINGERPRINT)",
		keyBesideRule, keyPath, file, where)
}

// warnKeyBeside prints keyBesideWarning on stderr, once per run.
func warnKeyBeside(c *cli.Context, keyPath string) {
	w := keyBesideWarning(keyPath, c.String("ledger"))
	if w == "" {
		return
	}
	if c.App.Metadata == nil {
		c.App.Metadata = map[string]any{}
	}
	if c.App.Metadata[keyBesideRule] == keyPath {
		return
	}
	c.App.Metadata[keyBesideRule] = keyPath
	fmt.Fprintln(c.App.ErrWriter, w)
}

// newLedgerKey returns the key a hand-over hands over to: made with
// --generate FILE (its private key to FILE, mode 0600, never over an
// existing file, and its public key to FILE.pub; what names it in the
// message, advice what to do with it), or named with --to
// (handoverTarget).
func (e *env) newLedgerKey(c *cli.Context, st eventstore.Store, origin, what, advice string) (*integrity.PublicKey, error) {
	p := c.String("generate")
	if p == "" {
		return handoverTarget(c, st, origin, c.String("to"))
	}
	if _, err := os.Stat(p); err == nil {
		return nil, usagef("--generate %s exists: a new key never overwrites one", p)
	}
	skey, vkey, err := integrity.GenerateLedgerKey(origin)
	if err != nil {
		return nil, err
	}
	if err := keyfiles.WriteLedgerKey(p, skey, vkey); err != nil {
		return nil, err
	}
	fmt.Fprintf(e.stderr, "%s: %s (private, mode 0600: %s), public key in %s.pub\n", what, p, advice, p)
	return integrity.ParsePublicKey(vkey)
}

// handoverTarget returns the new key a hand-over names with --to: a
// public key (a file, or the key itself), or agent:SHA256:FINGERPRINT for
// a key held by ssh-agent, made the key of origin (never an actor's key).
func handoverTarget(c *cli.Context, st eventstore.Store, origin, arg string) (*integrity.PublicKey, error) {
	fp, ok, err := agentKeyFingerprint(arg)
	if !ok {
		return readPublicKey(arg)
	}
	if err != nil {
		return nil, err
	}
	k, err := agentLedgerKey(c, st, origin, fp)
	if err != nil {
		return nil, fmt.Errorf("the new ledger key (--to %s): %w", arg, err)
	}
	return k.Public(), nil
}
