// Command esdbscale measures breachledger CLI commands on EventStoreDB as
// the ledger grows (issue 19): for each size it starts the in-process test
// server as a process of its own (bench/esdbserver), puts a ledger of that
// many events on it, then runs the CLI as its own process, one warm-up run
// and then -runs timed runs of each command:
//
//   - note BENCHCLI TEXT        (an append)
//   - show BENCHCLI
//   - log --incident BENCHCLI
//
// BENCHCLI is a 40-event incident in the middle of 20-event ones, so show
// and log read a small answer out of a big ledger. It prints a Markdown
// table of the median and slowest wall time, start to exit, and the CLI
// process's peak RSS (getrusage ru_maxrss), then each command's largest-size
// figures against its 1,000-event ones.
//
//	go run ./esdbscale                     # 1,000, 100,000 and 1,000,000 events
//	go run ./esdbscale -short              # 1,000 and 10,000: a quick look
//	go run ./esdbscale -sizes 1000,100000
//
// The ledger measured is a team ledger, the deployment EventStoreDB is for
// (README: "A team on EventStoreDB"): signed mode, alice its first admin,
// responders oscar and rita holding only their own SSH keys, a notary
// appointed that alone holds the ledger key and has checkpointed the whole
// ledger, every event signed by its author. The CLI runs as oscar: no
// --ledger-key, his private SSH key in $XDG_CONFIG_HOME/breachledger/
// signers/oscar, --actor oscar, the notary's public key pinned
// ("breachledger pin add --key"). Each size has HOME and XDG directories of
// its own, so the rank file (eventstore/esdb: the ledger's ranks, kept in
// the user cache) starts empty; the warm-up run fills it. The CLI's notes
// stay pending (no notary runs during the measurement). At the first size,
// before measuring, "breachledger verify --rules --key NOTARY.pub" must
// find the ledger intact (with a cache of its own): every checkpoint signed
// by the notary's key (or the key before it, which handed over to it), and
// every append what the rules decide, as the notary would have judged it.
//
// -personal measures a personal ledger instead: unsigned, recorded by
// oscar, every batch checkpointed with the ledger key, and the CLI run
// with --ledger-key: a writer that signs a checkpoint after every append,
// and so numbers events from the server as it now is (esdb.DetachRankFile).
//
// The ledger is built as a SQLite file with the library (batched imports
// with signed checkpoints, as bench/sidebyside builds its ledgers), then
// copied onto the server with "breachledger migrate", as a team moving to
// EventStoreDB would; the time both take is printed. The server keeps
// everything in memory (about 1 KiB per event).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/breachledger/breachledger/bench/internal/benchledger"
)

type config struct {
	root, dir    string // the repository; the scratch directory
	bin, server  string // the built CLI and esdbserver
	runs         int
	targetEvents int
	personal     bool // a personal ledger, the CLI with --ledger-key; else a team ledger, the CLI as a responder
}

// A result is one command measured at one size.
type result struct {
	command string
	events  int
	times   []time.Duration // the timed runs, not the warm-up
	maxRSS  int64           // KiB, the largest of the timed runs'
	warmRSS int64           // KiB, the warm-up run's (it fills the rank file)
}

// A command is what the CLI runs after its global flags.
type command struct {
	name string
	args []string
}

var commands = []command{
	{"note", []string{"note", target, "status update: investigation continues on cluster eu-3, no further access seen", "--at", "2025-03-08T00:00:00Z"}},
	{"show", []string{"show", target}},
	{"log --incident", []string{"log", "--incident", target}},
}

func main() {
	short := flag.Bool("short", false, "sizes 1,000 and 10,000: a quick look, not figures to record")
	sizes := flag.String("sizes", "1000,100000,1000000", "comma-separated ledger sizes, in events (the first is the ratios' base)")
	runs := flag.Int("runs", 5, "timed runs of each command at each size, after one warm-up run")
	dir := flag.String("dir", "", "scratch directory (default: a new one under $TMPDIR, removed at the end)")
	personal := flag.Bool("personal", false, "a personal ledger (the CLI with --ledger-key, checkpointing every append) instead of a team ledger with a notary (the CLI as responder oscar)")
	flag.Parse()
	spec := *sizes
	if *short {
		spec = "1000,10000"
	}
	var ns []int
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(f), "_", ""))
		if err != nil || n <= 0 {
			fail(fmt.Errorf("bad size %q in -sizes", f))
		}
		ns = append(ns, n)
	}
	cfg := config{runs: *runs, targetEvents: 40, personal: *personal}
	root, err := benchledger.RepoRoot()
	if err != nil {
		fail(err)
	}
	cfg.root = root
	d, cleanup, err := benchledger.ScratchDir(*dir, "breachledger-esdbscale-")
	if err != nil {
		fail(err)
	}
	defer cleanup()
	cfg.dir = d
	cfg.bin = filepath.Join(cfg.dir, "breachledger")
	cfg.server = filepath.Join(cfg.dir, "esdbserver")
	if err := benchledger.GoBuild(cfg.root, "./cmd/breachledger", cfg.bin); err != nil {
		fail(err)
	}
	if err := benchledger.GoBuild(filepath.Join(cfg.root, "bench"), "./esdbserver", cfg.server); err != nil {
		fail(err)
	}

	var results []result
	var notes []string
	for i, n := range ns {
		rs, note, err := measure(cfg, n, i == 0)
		if err != nil {
			fail(fmt.Errorf("%d events: %w", n, err))
		}
		results = append(results, rs...)
		notes = append(notes, note...)
	}
	fmt.Println(setup(cfg))
	fmt.Println()
	printTable(results, ns)
	fmt.Println()
	for _, n := range notes {
		fmt.Println("- " + n)
	}
}

// setup says which deployment the table is for.
func setup(cfg config) string {
	if cfg.personal {
		return "Setup: a personal ledger (unsigned, checkpointed by the ledger key); the CLI runs as oscar with --ledger-key, checkpointing after every append."
	}
	return "Setup: a team ledger (signed mode; alice admin; responders oscar and rita with their own SSH keys; every event signed by its author; a notary appointed whose key checkpointed the whole ledger); the CLI runs as responder oscar with his SSH key only (--actor oscar, no --ledger-key), ranks kept in the rank file in his user cache; no notary runs during the measurement, so the notes stay pending."
}

// measure builds a ledger of n events on a fresh server and measures every
// command on it. With check, it first verifies the ledger on the server
// with the CLI.
func measure(cfg config, n int, check bool) ([]result, []string, error) {
	ctx := context.Background()
	dir := filepath.Join(cfg.dir, strconv.Itoa(n))
	config := filepath.Join(dir, "config")
	for _, d := range []string{dir, filepath.Join(dir, "home"), config, filepath.Join(dir, "cache"), filepath.Join(dir, "keys")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, nil, err
		}
	}
	defer os.RemoveAll(dir)
	progress("%d events: building the SQLite ledger", n)
	start := time.Now()
	bl, err := buildLedger(ctx, filepath.Join(dir, "ledger.db"), n, cfg.targetEvents, !cfg.personal,
		filepath.Join(dir, "keys"), filepath.Join(config, "breachledger", "signers"))
	if err != nil {
		return nil, nil, err
	}
	built := time.Since(start)

	srv, url, err := startServer(cfg.server)
	if err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_CONFIG_HOME=" + config,
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"TZ=UTC",
	}
	// apart gives a command HOME and XDG directories of its own under
	// dir/name, as another person's (the admin who migrates, the auditor
	// who verifies): what it keeps is not in oscar's cache or config.
	apart := func(name string) []string {
		e := slices.Clone(env)
		for i, v := range e {
			if k, _, _ := strings.Cut(v, "="); k == "HOME" || k == "XDG_CACHE_HOME" || k == "XDG_CONFIG_HOME" {
				e[i] = k + "=" + filepath.Join(dir, name, k)
			}
		}
		return e
	}
	progress("%d events: built in %s; migrate to %s", n, built.Round(time.Millisecond), url)
	start = time.Now()
	if _, err := run(cfg.bin, apart("admin"), "migrate", "--from", bl.Path, "--to", url); err != nil {
		return nil, nil, err
	}
	migrated := time.Since(start)
	if err := os.Remove(bl.Path); err != nil { // the server holds it now
		return nil, nil, err
	}

	var notes []string
	if !cfg.personal {
		// oscar trusts the ledger's key because he pinned it, as the
		// notary's holder gave it to him: readers count only what a
		// checkpoint signed by the pinned key (or one it handed over to)
		// covers.
		if _, err := run(cfg.bin, env, "pin", "add", "--key", bl.KeyPath+".pub"); err != nil {
			return nil, nil, err
		}
	}
	if check {
		// As an auditor: the measured commands' rank file starts empty,
		// and their pins are what the setup made.
		venv := apart("auditor")
		key := bl.KeyPath + ".pub"
		progress("%d events: verify --rules --key %s", n, filepath.Base(key))
		m, err := run(cfg.bin, venv, "--ledger", url, "verify", "--rules", "--key", key)
		if err != nil {
			return nil, nil, fmt.Errorf("verify: %w", err)
		}
		who := "the ledger key's public key"
		if bl.team {
			who = "the notary's public key"
		}
		notes = append(notes, fmt.Sprintf("%s events: \"breachledger verify --rules --key\" with %s on the server, before the measurement: %s",
			fmtInt(n), who, strings.Join(strings.Fields(strings.TrimSpace(string(m.out))), " ")))
	}

	if cached, err := os.ReadDir(filepath.Join(dir, "cache")); err != nil || len(cached) > 0 {
		return nil, nil, fmt.Errorf("oscar's cache directory is not empty before the warm-up (%d entries, %v)", len(cached), err)
	}
	global := []string{"--ledger", url, "--actor", "oscar"}
	if cfg.personal {
		global = append(global, "--ledger-key", bl.KeyPath)
	}
	var out []result
	for _, c := range commands {
		progress("%d events: %s", n, c.name)
		r := result{command: c.name, events: n}
		for i := range 1 + cfg.runs {
			m, err := run(cfg.bin, env, append(slices.Clone(global), c.args...)...)
			if err != nil {
				return nil, nil, err
			}
			if i == 0 {
				r.warmRSS = m.maxRSS
				continue
			}
			r.maxRSS = max(r.maxRSS, m.maxRSS)
			r.times = append(r.times, m.wall)
		}
		out = append(out, r)
	}
	serverRSS, err := srv.stop()
	if err != nil {
		return nil, nil, err
	}
	var files []string
	var size int64
	err = filepath.WalkDir(filepath.Join(dir, "cache"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(dir, "cache"), p)
		files = append(files, rel)
		size += fi.Size()
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	notes = append(notes, fmt.Sprintf("%s events: oscar's cache after the runs: %d file(s), %.1f MiB (%s)", fmtInt(n), len(files), mib(size/1024), strings.Join(files, ", ")))
	notes = append(notes, fmt.Sprintf("%s events: SQLite ledger built in %s, migrated onto the server in %s; the server's peak RSS %.0f MiB",
		fmtInt(n), built.Round(time.Millisecond), migrated.Round(time.Millisecond), mib(serverRSS)))
	return out, notes, nil
}

// A measurement is one CLI process: wall time, start to exit, and its peak
// resident set.
type measurement struct {
	wall   time.Duration
	maxRSS int64  // KiB on Linux
	out    []byte // stdout and stderr, the first 4 KiB
}

// run runs the CLI with env and args and measures it.
func run(bin string, env []string, args ...string) (measurement, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stderr limitedBuffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return measurement{}, fmt.Errorf("breachledger %s: %v\n%s", strings.Join(args, " "), err, stderr.b)
	}
	return measurement{wall: wall, maxRSS: maxRSS(cmd.ProcessState), out: stderr.b}, nil
}

func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Maxrss)
	}
	return 0
}

// server is a running esdbserver process.
type server struct {
	cmd    *exec.Cmd
	done   chan error
	stderr *limitedBuffer
}

// startServer starts esdbserver on a free port and returns it with the
// connection string it printed.
func startServer(bin string) (*server, string, error) {
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	s := &server{cmd: cmd, done: make(chan error, 1), stderr: &limitedBuffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, "", fmt.Errorf("esdbserver printed no address: %v\n%s", err, s.stderr.b)
	}
	done := s.done
	go func() { done <- cmd.Wait() }()
	return s, strings.TrimSpace(line), nil
}

// stop sends SIGTERM, waits for the exit and returns the server's peak RSS
// in KiB. Stopping a stopped server returns 0.
func (s *server) stop() (int64, error) {
	if s.done == nil {
		return 0, nil
	}
	done := s.done
	s.done = nil
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			return 0, fmt.Errorf("esdbserver: %v\n%s", err, s.stderr.b)
		}
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
		return 0, errors.New("esdbserver did not stop within 30 s of SIGTERM")
	}
	return maxRSS(s.cmd.ProcessState), nil
}

// printTable prints the results as Markdown, then each command's figures
// at the largest size against the first (smallest).
func printTable(rs []result, ns []int) {
	fmt.Println("| command | events | median ms | p-max ms | peak RSS MiB | warm-up peak RSS MiB |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	for _, r := range rs {
		fmt.Printf("| %s | %s | %.1f | %.1f | %.1f | %.1f |\n", r.command, fmtInt(r.events), msec(median(r.times)), msec(slices.Max(r.times)), mib(r.maxRSS), mib(r.warmRSS))
	}
	if len(ns) < 2 {
		return
	}
	lo, hi := ns[0], slices.Max(ns)
	fmt.Println()
	fmt.Printf("| command | median, %s ÷ %s events | peak RSS, %s − %s events |\n", fmtInt(hi), fmtInt(lo), fmtInt(hi), fmtInt(lo))
	fmt.Println("|---|---:|---:|")
	for _, c := range commands {
		var a, b result
		for _, r := range rs {
			if r.command == c.name && r.events == lo {
				a = r
			}
			if r.command == c.name && r.events == hi {
				b = r
			}
		}
		fmt.Printf("| %s | %.2f× | %+.1f MiB |\n", c.name, float64(median(b.times))/float64(median(a.times)), mib(b.maxRSS)-mib(a.maxRSS))
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(0.5*float64(len(s)))) - 1
	return s[max(0, i)]
}

func msec(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mib(kib int64) float64 { return float64(kib) / 1024 }

func fmtInt(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "esdbscale: "+format+"\n", args...)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "esdbscale:", err)
	os.Exit(1)
}

type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if len(l.b) < 4096 {
		l.b = append(l.b, p[:min(len(p), 4096-len(l.b))]...)
	}
	return len(p), nil
}
