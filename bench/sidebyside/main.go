// Command sidebyside is make bench's side-by-side run: every row of issue
// 7's table, each figure beside a baseline measured in the same run (the two
// interleaved, round by round, so a slow period of this shared machine hits
// both), printed with their ratio and whether the goal is met.
//
//	go run ./sidebyside            # the full run (a 1,000,000-event ledger; ~15 minutes)
//	go run ./sidebyside -short     # a quick look at every row (~1 minute)
//	go run ./sidebyside -rows cli,peer
//
// It lives in its own module (bench/) so that the product's go.mod does not
// depend on the peer (github.com/hallgren/eventsourcing) or the baselines.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/breachledger/breachledger/bench/internal/benchledger"
)

// config is what every row reads.
type config struct {
	short bool
	dir   string // scratch directory
	root  string // the breachledger repository (the main module)
}

// A row is one line of the table: a figure of breachledger, its baseline,
// and the goal on their ratio.
type row struct {
	name      string // as in the table
	product   string // what was measured, with its figure
	baseline  string
	ratio     float64
	ratioText string // how the ratio is defined ("time ÷ baseline time")
	goal      string
	met       bool
	pending   string // set when the row cannot be measured yet
	notes     []string
}

type runner struct {
	key  string
	desc string
	run  func(cfg config) ([]row, error)
}

var runners = []runner{
	{"cli", "one CLI append as make demo records it (signed), process start to exit, vs a minimal Go program doing the same signature work and inserting one row", cliAppend},
	{"version", "breachledger --version, process start to exit, vs a Go hello world", version},
	{"bulk", "bulk append/import, 1000 events per transaction, vs raw inserts", bulk},
	{"replay", "replay of 1,000,000 events into the state projection, vs a raw read-and-decode loop", replay},
	{"verify", "verify of 1,000,000 events, vs reading rows, hashing leaves, folding compact ranges", verify},
	{"deadlines", "deadlines --due-within 24h (about 3,000 rows, and none: --regime HIPAA) at 50,000 incidents, p99, vs the ledger's head and an indexed SELECT of the same rows", deadlines},
	{"list", "list --open at 50,000 incidents, p99, vs the ledger's head and an indexed SELECT of the same rows", list},
	{"peer", "append (5 events per save) and aggregate load vs hallgren/eventsourcing on SQLite", peer},
	{"signed-cli", "one CLI append signed with the actor's SSH key file, vs the same append unsigned", signedCLIAppend},
	{"signed-verify", "verify of 1,000,000 events signed by their authors, vs read + hash + the same signature checks", signedVerify},
	{"notary", "a team ledger's notary: judging and checkpointing a backlog of signed appends, vs the same signature checks and checkpoint without the rules; its lag behind writers at the soak test's write rate, vs writers checkpointing inline", notaryRows},
}

func main() {
	short := flag.Bool("short", false, "small sizes and few rounds: a quick look, not figures to record")
	rows := flag.String("rows", "", "comma-separated rows to run (default all): "+keys())
	dir := flag.String("dir", "", "scratch directory (default: a new one under $TMPDIR, removed at the end)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (this process: not the CLI processes) to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}

	cfg := config{short: *short}
	root, err := benchledger.RepoRoot()
	if err != nil {
		fail(err)
	}
	cfg.root = root
	d, cleanup, err := benchledger.ScratchDir(*dir, "breachledger-sidebyside-")
	if err != nil {
		fail(err)
	}
	defer cleanup()
	cfg.dir = d
	want := map[string]bool{}
	for _, k := range strings.Split(*rows, ",") {
		if k = strings.TrimSpace(k); k != "" {
			want[k] = true
		}
	}
	for k := range want {
		if !slices.ContainsFunc(runners, func(r runner) bool { return r.key == k }) {
			fail(fmt.Errorf("unknown row %q (rows: %s)", k, keys()))
		}
	}

	mode := "full"
	if cfg.short {
		mode = "short (-short: small sizes, few rounds; not figures to record)"
	}
	host, _ := os.Hostname()
	fmt.Printf("breachledger side-by-side benchmarks — %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("machine: %s, %d CPUs, %s/%s, %s; mode: %s\n\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), mode)
	_ = host

	var all []row
	failed := false
	for _, r := range runners {
		if len(want) > 0 && !want[r.key] {
			continue
		}
		fmt.Printf("== %s: %s\n", r.key, r.desc)
		start := time.Now()
		got, err := r.run(cfg)
		if err != nil {
			fmt.Printf("   FAILED: %v\n\n", err)
			failed = true
			continue
		}
		for _, x := range got {
			printRow(x)
		}
		fmt.Printf("   (%s)\n\n", time.Since(start).Round(time.Second))
		all = append(all, got...)
	}
	printTable(all)
	if failed {
		os.Exit(1)
	}
}

func keys() string {
	var k []string
	for _, r := range runners {
		k = append(k, r.key)
	}
	return strings.Join(k, ",")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sidebyside:", err)
	os.Exit(1)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func printRow(r row) {
	if r.pending != "" {
		fmt.Printf("   %-58s PENDING: %s\n", r.name, r.pending)
		return
	}
	verdict := "goal met"
	if !r.met {
		verdict = "goal NOT met"
	}
	fmt.Printf("   %s\n      breachledger: %s\n      baseline:     %s\n      ratio:        %.2f× (%s); goal %s: %s\n",
		r.name, r.product, r.baseline, r.ratio, r.ratioText, r.goal, verdict)
	for _, n := range r.notes {
		fmt.Printf("      note: %s\n", n)
	}
}

// printTable prints the rows as the Markdown table BENCHMARKS.md holds.
func printTable(rows []row) {
	fmt.Println("| what | breachledger | baseline | ratio | goal | met |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range rows {
		if r.pending != "" {
			fmt.Printf("| %s | pending | %s | — | %s | pending |\n", r.name, r.pending, r.goal)
			continue
		}
		met := "yes"
		if !r.met {
			met = "**no**"
		}
		fmt.Printf("| %s | %s | %s | %.2f× (%s) | %s | %s |\n", r.name, r.product, r.baseline, r.ratio, r.ratioText, r.goal, met)
	}
}
