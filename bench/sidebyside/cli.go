package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"

	"github.com/breachledger/breachledger/bench/internal/benchledger"
)

// dsn is the data source name the embedded store opens a ledger file with
// (eventstore/sqlite: WAL, synchronous=FULL, busy_timeout, BEGIN
// IMMEDIATE); baselines use it so that both sides run with the same
// settings.
func dsn(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// checkPragmas reads back journal_mode and synchronous through db, so a
// baseline provably runs with the store's settings.
func checkPragmas(db *sql.DB) error {
	var mode string
	var sync int
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		return err
	}
	if err := db.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil {
		return err
	}
	if mode != "wal" || sync != 2 {
		return fmt.Errorf("baseline connection has journal_mode %s, synchronous %d; want wal, 2 (FULL)", mode, sync)
	}
	return nil
}

// timeExec runs a command and returns how long it took from start to exit.
func timeExec(name string, args ...string) (time.Duration, error) {
	d, _, err := timeExecHome(os.Getenv("HOME"), name, args...)
	return d, err
}

// timeExecHome runs a command with PATH and HOME=home alone in its
// environment and returns how long it took from start to exit, and the
// CPU time (user and system) the process used.
func timeExecHome(home, name string, args ...string) (wall, cpu time.Duration, err error) {
	cmd := exec.Command(name, args...)
	cmd.Stdout = io.Discard
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %v\n%s", filepath.Base(name), err, stderr.b)
	}
	return d, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if len(l.b) < 4096 {
		l.b = append(l.b, p[:min(len(p), 4096-len(l.b))]...)
	}
	return len(p), nil
}

// cliAppend: one "breachledger note" process as make demo records it, in
// signed mode (rules, the note signed with oscar's own SSH key, found in
// his key directory, append, signed checkpoint, next deadline printed) on a
// ledger of 20,000 events, start to exit, against appendone (the same
// signature work with the same libraries, then one row inserted into a
// copy of the same file by a minimal Go program with the same DSN),
// interleaved run by run; CPU time (user and system) per run beside it.
func cliAppend(cfg config) ([]row, error) {
	ctx := context.Background()
	prefill, runs, warmup := 20_000, 200, 10
	if cfg.short {
		prefill, runs, warmup = 2_000, 20, 2
	}
	dir := filepath.Join(cfg.dir, "cli")
	// HOME is all the CLI gets (timeExecHome): oscar's key is where
	// "signer keygen oscar" puts it, $HOME/.config/breachledger/signers.
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	bin, base := filepath.Join(dir, "breachledger"), filepath.Join(dir, "appendone")
	if err := benchledger.GoBuild(cfg.root, "./cmd/breachledger", bin); err != nil {
		return nil, err
	}
	if err := benchledger.GoBuild(filepath.Join(cfg.root, "bench"), "./appendone", base); err != nil {
		return nil, err
	}

	st, bl, err := benchledger.NewLedger(ctx, filepath.Join(dir, "cli.db"))
	if err != nil {
		return nil, err
	}
	key, err := benchledger.NewActorKey(filepath.Join(home, ".config", "breachledger", "signers"), "oscar")
	if err == nil {
		err = key.WritePublicKey()
	}
	if err == nil {
		err = registerKey(ctx, st, bl.Key, key)
	}
	if err == nil {
		err = fillIncidents(ctx, st, bl.Key, 0, prefill/perIncident, nil)
	}
	inc := "BENCHCLI"
	if err == nil {
		err = detectIncident(ctx, st, bl.Key, inc, "side-by-side CLI append")
	}
	head, _ := st.Head(ctx)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	basePath := filepath.Join(dir, "base.db")
	b, err := os.ReadFile(bl.Path)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(basePath, b, 0o600); err != nil {
		return nil, err
	}

	cliArgs := []string{"--ledger", bl.Path, "--ledger-key", bl.KeyPath, "--actor", "oscar",
		"note", inc, "status update: investigation continues on cluster eu-3, no further access seen", "--at", "2025-03-08T00:00:00Z"}
	baseArgs := []string{"-db", basePath, "-stream", domain.IncidentStream(inc), "-key", key.Path, "-ledger-key", bl.KeyPath}
	var cliCPU, baseCPU []time.Duration
	timed := func(cpu *[]time.Duration, name string, args []string) func() (time.Duration, error) {
		return func() (time.Duration, error) {
			d, c, err := timeExecHome(home, name, args...)
			*cpu = append(*cpu, c)
			return d, err
		}
	}
	cli, raw, err := alternate(warmup, runs, timed(&cliCPU, bin, cliArgs), timed(&baseCPU, base, baseArgs))
	if err != nil {
		return nil, err
	}
	cliCPU, baseCPU = cliCPU[warmup:], baseCPU[warmup:]
	if err := checkSignedNotes(ctx, bl.Path, inc, warmup+runs, 0); err != nil {
		return nil, err
	}
	// What the product's time is made of, for the notes: the binary's own
	// start-up (--version: no ledger opened) and a read of the same ledger
	// (show: open, read the ledger and incident streams, fold, print).
	var startup, show []time.Duration
	for i := range runs / 2 {
		d, err := timeExec(bin, "--version")
		if err != nil {
			return nil, err
		}
		if i >= warmup/2 {
			startup = append(startup, d)
		}
		d, err = timeExec(bin, "--ledger", bl.Path, "--ledger-key", bl.KeyPath, "show", inc)
		if err != nil {
			return nil, err
		}
		if i >= warmup/2 {
			show = append(show, d)
		}
	}
	ratio := float64(median(cli)) / float64(median(raw))
	return []row{{
		notes: []string{
			fmt.Sprintf("CPU time (user+system) per run: median %s against %s (%.2f×)", ms(median(cliCPU)), ms(median(baseCPU)), float64(median(cliCPU))/float64(median(baseCPU))),
			fmt.Sprintf("the same binary's start-up alone (--version): median %s; a read of the same incident (show): median %s", ms(median(startup)), ms(median(show))),
		},
		name:      "one CLI append (note) as make demo records it: signed with the actor's own SSH key (key directory), durable, checkpointed, process start to exit",
		product:   fmt.Sprintf("median %s, p90 %s (%d runs, ledger of %d events)", ms(median(cli)), ms(quantile(cli, 0.9)), len(cli), head),
		baseline:  fmt.Sprintf("median %s, p90 %s (minimal Go program: reads the same SSH key and ledger key files, signs the envelope (SSHSIG) and a checkpoint note with the same libraries, same file and DSN, inserts one row)", ms(median(raw)), ms(quantile(raw, 0.9))),
		ratio:     ratio,
		ratioText: "time ÷ baseline time",
		goal:      "≤ 1.5×",
		met:       ratio <= 1.5,
	}}, nil
}

// detectIncident records oscar's detection of incident inc, then its
// signed checkpoint: the incident the CLI rows append their notes to.
func detectIncident(ctx context.Context, st *sqlite.Store, key *integrity.LedgerKey, inc, summary string) error {
	at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	res, err := ledger.Writer{Store: st}.Execute(ctx, inc, domain.DetectIncident{By: domain.By{Actor: "oscar", At: at}, Source: domain.SourceOperatorEscalation, Summary: summary, Role: domain.RoleBoth}, at)
	if err != nil {
		return err
	}
	_, err = ledger.Checkpointer{Store: st, Key: key}.Checkpoint(ctx, res.Records)
	return err
}

// alternate runs a and b warmup+runs times each, alternating which goes
// first, and returns their times after the warm-up.
func alternate(warmup, runs int, a, b func() (time.Duration, error)) (as, bs []time.Duration, err error) {
	fns := [2]func() (time.Duration, error){a, b}
	var times [2][]time.Duration
	for i := range warmup + runs {
		for k := range 2 {
			which := (k + i) % 2 // a first on even runs, b first on odd ones
			d, err := fns[which]()
			if err != nil {
				return nil, nil, err
			}
			if i >= warmup {
				times[which] = append(times[which], d)
			}
		}
	}
	return times[0], times[1], nil
}
