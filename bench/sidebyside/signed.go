package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"

	"github.com/breachledger/breachledger/bench/internal/benchledger"
)

// registerKey records k as oscar's signer key, checkpointed in its append
// (alice, the admin, has no key of her own in these ledgers, so the
// registration needs no signature).
func registerKey(ctx context.Context, st eventstore.Store, ledgerKey *integrity.LedgerKey, k benchledger.ActorKey) error {
	at := time.Date(2025, 3, 1, 0, 5, 0, 0, time.UTC)
	w := ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: ledgerKey}}
	_, err := w.Execute(ctx, "", domain.RegisterSigner{By: domain.By{Actor: "alice", At: at},
		Actor: "oscar", Key: integrity.AuthorizedKey(k.Signer.PublicKey()), Fingerprint: k.FP}, at)
	return err
}

// newSignedLedger is newLedger at path with oscar's SSH key made in dir
// and registered.
func newSignedLedger(ctx context.Context, path, dir string) (*sqlite.Store, benchLedger, benchledger.ActorKey, error) {
	st, bl, err := benchledger.NewLedger(ctx, path)
	if err != nil {
		return nil, benchLedger{}, benchledger.ActorKey{}, err
	}
	key, err := benchledger.NewActorKey(dir, "oscar")
	if err == nil {
		err = registerKey(ctx, st, bl.Key, key)
	}
	if err != nil {
		st.Close()
		return nil, benchLedger{}, benchledger.ActorKey{}, err
	}
	return st, bl, key, nil
}

// signedCLIAppend: one "breachledger note" signed with the actor's SSH key
// file (--sign-key) beside the same note unsigned, the same binary on the
// same ledger of 20,000 events, interleaved run by run: what signing every
// event costs a responder.
func signedCLIAppend(cfg config) ([]row, error) {
	ctx := context.Background()
	prefill, runs, warmup := 20_000, 200, 10
	if cfg.short {
		prefill, runs, warmup = 2_000, 20, 2
	}
	dir := filepath.Join(cfg.dir, "signed-cli")
	home := filepath.Join(dir, "home") // no keys, no agent: unsigned means unsigned
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "breachledger")
	if err := benchledger.GoBuild(cfg.root, "./cmd/breachledger", bin); err != nil {
		return nil, err
	}
	st, bl, key, err := newSignedLedger(ctx, filepath.Join(dir, "ledger.db"), dir)
	if err != nil {
		return nil, err
	}
	err = fillIncidents(ctx, st, bl.Key, 0, prefill/perIncident, nil)
	inc := "BENCHSIGNED"
	if err == nil {
		err = detectIncident(ctx, st, bl.Key, inc, "side-by-side signed append")
	}
	head, _ := st.Head(ctx)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	// timeExec hands the CLI PATH and HOME alone (no XDG_CONFIG_HOME, no
	// SSH_AUTH_SOCK): with HOME an empty directory, it finds no key of its
	// own and no agent.
	oldHome := os.Getenv("HOME")
	os.Setenv("HOME", home)
	defer os.Setenv("HOME", oldHome)
	args := func(extra ...string) []string {
		a := append([]string{"--ledger", bl.Path, "--ledger-key", bl.KeyPath, "--actor", "oscar"}, extra...)
		return append(a, "note", inc, "status update: investigation continues on cluster eu-3, no further access seen", "--at", "2025-03-08T00:00:00Z")
	}
	signedArgs, unsignedArgs := args("--sign-key", key.Path), args()
	signed, unsigned, err := alternate(warmup, runs,
		func() (time.Duration, error) { return timeExec(bin, signedArgs...) },
		func() (time.Duration, error) { return timeExec(bin, unsignedArgs...) })
	if err != nil {
		return nil, err
	}
	if err := checkSignedNotes(ctx, bl.Path, inc, warmup+runs, warmup+runs); err != nil {
		return nil, err
	}
	ratio := float64(median(signed)) / float64(median(unsigned))
	return []row{{
		name:      "one CLI append (note) signed with the actor's SSH key file, process start to exit",
		product:   fmt.Sprintf("median %s, p90 %s (%d runs, ledger of %d events, --sign-key Ed25519 file)", ms(median(signed)), ms(quantile(signed, 0.9)), len(signed), head),
		baseline:  fmt.Sprintf("the same note unsigned, same binary and ledger: median %s, p90 %s", ms(median(unsigned)), ms(quantile(unsigned, 0.9))),
		ratio:     ratio,
		ratioText: "time ÷ baseline time",
		goal:      "≤ 1.1×",
		met:       ratio <= 1.1,
	}}, nil
}

// checkSignedNotes checks that incident inc of the ledger at path holds
// signedRuns signed notes and unsignedRuns unsigned ones: each side of a
// CLI row did what it is named for.
func checkSignedNotes(ctx context.Context, path, inc string, signedRuns, unsignedRuns int) error {
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	recs, err := st.ReadStream(ctx, domain.IncidentStream(inc), eventstore.ReadOptions{})
	if err != nil {
		return err
	}
	var signed, unsigned int
	for _, r := range recs {
		switch {
		case r.Type != domain.TypeOf(domain.NoteAdded{}): // the detection's, the bench's own
		case r.Signer != "":
			signed++
		default:
			unsigned++
		}
	}
	if signed != signedRuns || unsigned != unsignedRuns {
		return fmt.Errorf("%s holds %d signed and %d unsigned notes, want %d and %d", inc, signed, unsigned, signedRuns, unsignedRuns)
	}
	return nil
}

// signedVerify: ledger.Verify of a ledger whose every incident event is
// signed with its author's SSH key, against a baseline redefined to do the
// same cryptography: read the rows, hash the leaves, fold the compact
// range, verify every event's SSH signature with its registered key, and
// every stored checkpoint's signature and root (baselineVerify).
func signedVerify(cfg config) ([]row, error) {
	ctx := context.Background()
	n := bigSize(cfg)
	rounds := 3
	if cfg.short {
		rounds = 1
	}
	dir := filepath.Join(cfg.dir, "signed-verify")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	st, bl, key, err := newSignedLedger(ctx, filepath.Join(dir, "signed.db"), dir)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	err = fillIncidentsWith(ctx, st, bl.Key, 0, (n-3)/perIncident, nil, func(recs []eventstore.Record) error { return key.Sign(recs) })
	head, _ := st.Head(ctx)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	fmt.Printf("   built a ledger of %d events, every incident event signed, in %s\n", head, time.Since(start).Round(time.Second))

	product, baseline := verifySides(ctx, bl, head, key.Signer.PublicKey())
	var root, rawRoot []byte
	var signedEvents, checkpoints int
	var raw baselineResult
	prod, base, err := interleave(rounds, func() (time.Duration, error) {
		d, rep, err := product()
		if err == nil {
			root, signedEvents, checkpoints = rep.Root, rep.Signed, rep.Checkpoints
		}
		return d, err
	}, func() (time.Duration, error) {
		d, b, err := baseline()
		raw, rawRoot = b, b.root
		return d, err
	})
	if err != nil {
		return nil, err
	}
	if string(root) != string(rawRoot) || signedEvents != raw.signed || checkpoints != raw.checkpoints {
		return nil, fmt.Errorf("verify's root %x, %d signatures and %d checkpoints differ from the baseline's %x, %d and %d", root, signedEvents, checkpoints, rawRoot, raw.signed, raw.checkpoints)
	}
	rawSigned := raw.signed
	ratio := medianF(prod) / medianF(base)
	return []row{{
		name:      fmt.Sprintf("verify of %s events, %s of them signed by their author's SSH key", fmtInt(int(head)), fmtInt(signedEvents)),
		product:   fmt.Sprintf("%s (%s)", secs(prod), rates(ratesOf(head, prod), "events/s")),
		baseline:  fmt.Sprintf("read the same rows, hash the leaves, fold the compact range, verify the same %s SSH signatures and %s checkpoint signatures and roots: %s", fmtInt(rawSigned), fmtInt(raw.checkpoints), secs(base)),
		ratio:     ratio,
		ratioText: "time ÷ baseline time",
		goal:      "≤ 1.3×",
		met:       ratio <= 1.3,
	}}, nil
}
