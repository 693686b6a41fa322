package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// binary is the breachledger binary built once for these tests.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "breachledger-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "breachledger")
	// Ledger keys go to the default place, under $XDG_CONFIG_HOME: a
	// temporary one, not the user's.
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	// Kept views go to the default place, under $XDG_CACHE_HOME: a
	// temporary one too (keptcache_e2e_test.go).
	os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	build := exec.Command("go", "build", "-tags", "urfave_cli_no_docs", "-o", binary, ".") // as make build
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build breachledger: %v\n%s", err, out)
		os.Exit(1)
	}
	if err := makeCast(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 {
		if err := checkLeaks(); err != nil { // leak_test.go
			fmt.Fprintf(os.Stderr, "goleak: goroutines left after the tests: %v\n", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// The cast: everyone the tests record facts as. Each person signs with
// their own SSH key, as on every ledger "init" makes (README: Who signs):
// made once, before the tests, with "breachledger signer keygen NAME" in
// the tests' key directory ($XDG_CONFIG_HOME/breachledger/signers), where
// "--actor NAME" finds it. init registers the first admin's key; a ledger's
// admin registers the others' (cli.register). "auditor" only reads, and
// has no key.
var cast = []string{"alice", "oscar", "sam", "ivy", "ian", "lee", "eve", "bea", "ned"}

// home is the $HOME of every run of the binary: an empty one, so that no
// key of the person running the tests (~/.ssh/id_*) is ever found.
var home string

// makeCast makes the cast's keys, and the empty home, under dir; and
// forgets the agent of the person running the tests.
func makeCast(dir string) error {
	os.Unsetenv("SSH_AUTH_SOCK")
	home = filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return err
	}
	castKeys = map[string]string{}
	for _, who := range cast {
		out, err := exec.Command(binary, "signer", "keygen", who, "--json").CombinedOutput()
		var made struct{ Fingerprint string }
		if err == nil {
			err = json.Unmarshal(out, &made)
		}
		if err != nil {
			return fmt.Errorf("signer keygen %s: %v\n%s", who, err, out)
		}
		castKeys[made.Fingerprint] = who
	}
	return nil
}

// castKeys maps the fingerprints of the cast's keys to their holders.
var castKeys map[string]string

// keyPlaceholders replaces the fingerprints of the cast's keys, made
// afresh for every run, with "<KEY-NAME>" (in their HTML-escaped form too).
func keyPlaceholders(s string) string {
	for fp, who := range castKeys {
		s = strings.ReplaceAll(s, fp, "<KEY-"+who+">")
		s = strings.ReplaceAll(s, strings.ReplaceAll(fp, "+", "&#43;"), "<KEY-"+who+">")
	}
	return s
}

// signerKey returns the private key file of a member of the cast.
func signerKey(who string) string {
	return filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "breachledger", "signers", who)
}

// copyCast copies the cast's keys into the key directory of the
// configuration directory cfg, for a test that gives the binary an
// XDG_CONFIG_HOME of its own.
func copyCast(tb testing.TB, cfg string) {
	tb.Helper()
	if err := os.CopyFS(filepath.Join(cfg, "breachledger", "signers"), os.DirFS(filepath.Dir(signerKey("alice")))); err != nil {
		tb.Fatal(err)
	}
}

// register has admin register the cast's keys of who, as of at: each of
// them then signs what they record with their own key.
func (c *cli) registerBy(admin, at string, who ...string) {
	c.tb.Helper()
	for _, w := range who {
		c.ok(admin, "signer", "register", w, signerKey(w)+".pub", "--at", at)
	}
}

// register has alice, the first admin, register the cast's keys of who.
func (c *cli) register(at string, who ...string) {
	c.tb.Helper()
	c.registerBy("alice", at, who...)
}

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs the binary against a ledger as an actor.
type cli struct {
	tb     testing.TB
	ledger string
	env    []string // added to the environment of every run (e.g. XDG_CONFIG_HOME=...)
	// strictBackdating keeps a new ledger's default backdate-window
	// (widenBackdateWindow).
	strictBackdating bool
}

func newLedger(tb testing.TB) *cli {
	return &cli{tb: tb, ledger: filepath.Join(tb.TempDir(), "ledger.db")}
}

// with returns the same ledger reported to tb (for subtests).
func (c *cli) with(tb testing.TB) *cli {
	return &cli{tb: tb, ledger: c.ledger, env: c.env, strictBackdating: c.strictBackdating}
}

func (c *cli) run(actor string, args ...string) result {
	c.tb.Helper()
	r := runBinary(c.tb, "", append([]string{"BREACHLEDGER_INCIDENT="}, c.env...), append([]string{"--ledger", c.ledger, "--actor", actor}, args...)...)
	if r.code == 0 && len(args) > 0 && args[0] == "init" && !c.strictBackdating {
		c.widenBackdateWindow(actor, args)
	}
	return r
}

// widenBackdateWindow has the admin who made the ledger widen its
// backdate-window (default 24h) right after init, at init's own --at: the
// tests record histories of 2025 long after they happened, as a team
// importing an old case file would. A notice dated before its due time
// but recorded after it still needs --late-entry-reason, whatever the
// window. The tests of the window itself keep it (strictBackdating).
func (c *cli) widenBackdateWindow(admin string, initArgs []string) {
	c.tb.Helper()
	args := []string{"setting", "backdate-window", "36500d"}
	if i := slices.Index(initArgs, "--at"); i >= 0 && i+1 < len(initArgs) {
		args = append(args, "--at", initArgs[i+1], "--reason", "the tests record histories long after they happened") // rule setting-backdated-needs-reason
	}
	if r := runBinary(c.tb, "", append([]string{"BREACHLEDGER_INCIDENT="}, c.env...), append([]string{"--ledger", c.ledger, "--actor", admin}, args...)...); r.code != 0 {
		c.tb.Fatalf("breachledger setting backdate-window after init: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// runBinary runs the built binary with args in dir ("" for the test's
// own), with env added to the test's environment, and returns what it
// printed and its exit code.
func runBinary(tb testing.TB, dir string, env []string, args ...string) result {
	tb.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "HOME="+home), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		tb.Fatalf("run %v: %v", args, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// ok runs a command that must succeed and returns its stdout.
func (c *cli) ok(actor string, args ...string) string {
	c.tb.Helper()
	r := c.run(actor, args...)
	if r.code != 0 {
		c.tb.Fatalf("breachledger %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// json runs a reader with --json and decodes its output.
func (c *cli) json(v any, args ...string) []byte {
	c.tb.Helper()
	r := c.run("auditor", append(args, "--json")...)
	if r.code != 0 && r.code != 7 {
		c.tb.Fatalf("breachledger %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
			c.tb.Fatalf("decode %s: %v\n%s", strings.Join(args, " "), err, r.stdout)
		}
	}
	return []byte(r.stdout)
}

// dump returns every table of the ledger file, for before/after comparisons.
func (c *cli) dump() string {
	c.tb.Helper()
	var b bytes.Buffer
	if err := sqlite.DumpFile(context.Background(), c.ledger, &b); err != nil {
		c.tb.Fatal(err)
	}
	return b.String()
}

const scenario = "../../testdata/scenarios/privacy-breach"

// runScenario records the scenario through the binary and returns the
// incident ID.
func runScenario(tb testing.TB, c *cli) string {
	tb.Helper()
	cmd := exec.Command("bash", filepath.Join(scenario, "scenario.sh"))
	cmd.Env = scenarioEnv(c)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("scenario: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// scenarioEnv is the environment a scenario script records into c's
// ledger with: its people's keys are the cast's (makeCast).
func scenarioEnv(c *cli) []string {
	return append(append(os.Environ(), "HOME="+home, "BL="+binary+" --ledger "+c.ledger, "BREACHLEDGER_INCIDENT="), c.env...)
}

type logEntry struct {
	Seq        uint64          `json:"seq"`
	EventID    string          `json:"event_id"`
	Stream     string          `json:"stream"`
	Revision   uint64          `json:"revision"`
	Type       string          `json:"type"`
	RecordedAt time.Time       `json:"recorded_at"`
	Payload    json.RawMessage `json:"payload"`
}

var (
	uuidRE     = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	storeTimes = regexp.MustCompile(`"(recorded_at|known_at)": "[^"]*"`)
	knownAtRE  = regexp.MustCompile(`known at [0-9T:.\-]+Z`)
	// How late a fact was recorded depends on when the test runs: the
	// scenarios record 2025 histories now.
	recordedLateJSON = regexp.MustCompile(`"recorded_late_by": "[^"]*"`)
	recordedLateText = regexp.MustCompile(`recorded [0-9dhms.]+ after (due|it)`)
)

// placeholders replaces what differs run to run: the incident ID, event IDs
// (by their sequence number, which is stable), store-set times, and the
// fingerprints of the people's keys.
func placeholders(out []byte, incident string, log []logEntry) []byte {
	seqOf := map[string]uint64{}
	for _, e := range log {
		seqOf[e.EventID] = e.Seq
	}
	s := keyPlaceholders(strings.ReplaceAll(string(out), incident, "<INCIDENT>"))
	s = uuidRE.ReplaceAllStringFunc(s, func(id string) string {
		if seq, ok := seqOf[id]; ok {
			return fmt.Sprintf("<EVENT-%d>", seq)
		}
		return "<UNKNOWN-EVENT>"
	})
	s = storeTimes.ReplaceAllString(s, `"$1": "<STORE-TIME>"`)
	s = knownAtRE.ReplaceAllString(s, "known at <STORE-TIME>")
	s = recordedLateJSON.ReplaceAllString(s, `"recorded_late_by": "<RECORDED-LATE>"`)
	s = recordedLateText.ReplaceAllString(s, "recorded <RECORDED-LATE> after $1")
	return []byte(s)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenIn(t, scenario, name, got)
}

type obligation struct {
	ID          string    `json:"obligation"`
	DueAt       time.Time `json:"due_at"`
	Status      string    `json:"status"`
	Reason      string    `json:"reason"`
	AnchorEvent string    `json:"anchor_event"`
}

type deadlineView struct {
	Deadlines []obligation `json:"deadlines"`
	Alert     bool         `json:"alert"`
}

func byID(tb testing.TB, obs []obligation) map[string]obligation {
	m := map[string]obligation{}
	for _, o := range obs {
		m[o.ID] = o
	}
	return m
}

func mustTime(tb testing.TB, s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// TestScenario drives the built binary through the whole process and checks
// the readers against golden files and against values worked by hand.
func TestScenario(t *testing.T) { testScenario(t, newLedger(t)) }

// testScenario runs TestScenario on the ledger of c (SQLite, or
// EventStoreDB in esdb_e2e_test.go).
func testScenario(t *testing.T, c *cli) {
	inc := runScenario(t, c)
	var log []logEntry
	c.json(&log, "log")

	reads := []struct {
		golden string
		args   []string
	}{
		{"show-2025-03-12T12.json", []string{"show", inc, "--as-of", "2025-03-12T12:00:00Z", "--json"}},
		{"show-2025-03-12T12.txt", []string{"show", inc, "--as-of", "2025-03-12T12:00:00Z"}},
		{"deadlines-2025-03-12T12.json", []string{"deadlines", "--as-of", "2025-03-12T12:00:00Z", "--json"}},
		{"deadlines-2025-03-12T12.txt", []string{"deadlines", "--as-of", "2025-03-12T12:00:00Z"}},
		{"show-final.json", []string{"show", inc, "--as-of", "2025-04-01T00:00:00Z", "--json"}},
		{"timeline.json", []string{"timeline", inc, "--as-of", "2025-04-01T00:00:00Z", "--json"}},
		{"timeline.txt", []string{"timeline", inc, "--as-of", "2025-04-01T00:00:00Z"}},
		{"deadlines-final.json", []string{"deadlines", "--as-of", "2025-04-01T00:00:00Z", "--json"}},
		{"list.json", []string{"list", "--as-of", "2025-04-01T00:00:00Z", "--json"}},
	}
	for _, r := range reads {
		t.Run(r.golden, func(t *testing.T) {
			c := c.with(t)
			res := c.run("auditor", r.args...)
			if res.code != 0 && res.code != 7 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			golden(t, r.golden, placeholders([]byte(res.stdout), inc, log))
		})
	}

	t.Run("hand-computed deadlines as of 2025-03-12T12:00Z", func(t *testing.T) {
		c := c.with(t)
		var v deadlineView
		c.json(&v, "deadlines", "--as-of", "2025-03-12T12:00:00Z")
		obs := byID(t, v.Deadlines)
		want := []obligation{
			// awareness 2025-03-07T22:15Z (after the correction) + 72h
			{ID: "gdpr-art33", DueAt: mustTime(t, "2025-03-10T22:15:00Z"), Status: "met"},
			// declaration 2025-03-09T10:00Z + 72h, for each of the two customers
			{ID: "customer-notice/contoso", DueAt: mustTime(t, "2025-03-12T10:00:00Z"), Status: "met-late", Reason: "contact verification with contoso's account team took longer than planned"},
			{ID: "customer-notice/fabrikam", DueAt: mustTime(t, "2025-03-12T10:00:00Z"), Status: "overdue"},
			// high risk determined 2025-03-08T15:00Z + the 72h target
			{ID: "gdpr-art34", DueAt: mustTime(t, "2025-03-11T15:00:00Z"), Status: "met"},
		}
		for _, w := range want {
			got, ok := obs[w.ID]
			if !ok {
				t.Errorf("no %s", w.ID)
				continue
			}
			if !got.DueAt.Equal(w.DueAt) || got.Status != w.Status || (w.Reason != "" && got.Reason != w.Reason) {
				t.Errorf("%s = due %s %s %q, want due %s %s %q", w.ID, got.DueAt.Format(time.RFC3339), got.Status, got.Reason, w.DueAt.Format(time.RFC3339), w.Status, w.Reason)
			}
		}
		if len(v.Deadlines) != 4 {
			t.Errorf("%d deadlines, want 4", len(v.Deadlines))
		}
		if !v.Alert {
			t.Errorf("alert = false with fabrikam overdue")
		}
		if r := c.run("auditor", "deadlines", "--as-of", "2025-03-12T12:00:00Z"); r.code != 7 {
			t.Errorf("deadlines with an overdue notice exit %d, want 7", r.code)
		}
		// The same view at the end: fabrikam's notice went out 13:30 with a reason.
		c.json(&v, "deadlines", "--as-of", "2025-04-01T00:00:00Z")
		if got := byID(t, v.Deadlines)["customer-notice/fabrikam"].Status; got != "met-late" {
			t.Errorf("fabrikam at the end = %s, want met-late", got)
		}
		if r := c.run("auditor", "deadlines", "--as-of", "2025-04-01T00:00:00Z"); r.code != 0 {
			t.Errorf("deadlines with nothing open exit %d, want 0", r.code)
		}
	})

	t.Run("known-at before the awareness correction", func(t *testing.T) {
		c := c.with(t)
		var corrected time.Time
		for _, e := range log {
			if e.Type == "EventCorrected" {
				corrected = e.RecordedAt
			}
		}
		if corrected.IsZero() {
			t.Fatal("no correction in the log")
		}
		before := corrected.Add(-time.Microsecond).Format(time.RFC3339Nano)
		var v deadlineView
		c.json(&v, "deadlines", "--as-of", "2025-03-10T00:00:00Z", "--known-at", before)
		if got, want := byID(t, v.Deadlines)["gdpr-art33"].DueAt, mustTime(t, "2025-03-10T23:30:00Z"); !got.Equal(want) {
			t.Errorf("Art. 33 due as then known = %s, want %s (awareness first recorded 23:30)", got, want)
		}
		c.json(&v, "deadlines", "--as-of", "2025-03-10T00:00:00Z", "--known-at", corrected.Format(time.RFC3339Nano))
		if got, want := byID(t, v.Deadlines)["gdpr-art33"].DueAt, mustTime(t, "2025-03-10T22:15:00Z"); !got.Equal(want) {
			t.Errorf("Art. 33 due as known after the correction = %s, want %s", got, want)
		}
	})

	t.Run("every event kind shows in the timeline", func(t *testing.T) {
		c := c.with(t)
		var tl struct {
			Entries []struct {
				Type string `json:"type"`
			} `json:"entries"`
		}
		c.ok("ivy", "reopen", inc, "--reason", "second exfiltration path suspected", "--stage", "stabilize", "--at", "2025-03-25T09:00:00Z")
		c.ok("ian", "close", inc, "--summary", "suspicion cleared", "--at", "2025-03-26T09:00:00Z")
		c.json(&tl, "timeline", inc)
		seen := map[string]bool{}
		for _, e := range tl.Entries {
			seen[e.Type] = true
		}
		for _, typ := range []string{"IncidentDetected", "IncidentAssessed", "StageChanged", "IncidentClassified", "ScopeRecorded", "RiskDetermined", "CRSPIDeclared", "ActionTaken", "EvidenceRecorded", "RequestOpened", "RequestApproved", "RequestRejected", "NotificationSent", "PostmortemCompleted", "IncidentClosed", "IncidentReopened", "NoteAdded", "EventCorrected"} {
			if !seen[typ] {
				t.Errorf("timeline has no %s", typ)
			}
		}
		var show struct {
			Closed     bool              `json:"closed"`
			Reopenings []json.RawMessage `json:"reopenings"`
			Closures   []json.RawMessage `json:"closures"`
		}
		c.json(&show, "show", inc)
		if !show.Closed || len(show.Reopenings) != 1 || len(show.Closures) != 2 {
			t.Errorf("show after reopen and close: closed=%v reopenings=%d closures=%d", show.Closed, len(show.Reopenings), len(show.Closures))
		}
	})

	t.Run("ledger events: revoke and settings", func(t *testing.T) {
		c := c.with(t)
		c.ok("alice", "setting", "art34-target", "48h")
		c.ok("alice", "revoke", "eve", "executive-incident-manager", "--reason", "left the rota")
		var roles []struct {
			Actor string   `json:"actor"`
			Roles []string `json:"roles"`
		}
		c.json(&roles, "roles")
		for _, r := range roles {
			if r.Actor == "eve" {
				t.Errorf("eve still holds %v after the revoke", r.Roles)
			}
		}
		var settings map[string]string
		c.json(&settings, "settings")
		if settings["art34_target"] != "48h" {
			t.Errorf("settings = %v, want art34_target 48h", settings)
		}
	})
}

// TestRefusals checks that each refusal names its rule, exits with the
// documented code, and leaves the ledger exactly as it was.
func TestRefusals(t *testing.T) {
	c := newLedger(t)
	c.ok("alice", "init", "--name", "refusals", "--at", "2025-03-01T00:00:00Z")
	for actor, role := range map[string]string{"oscar": "responder", "sam": "security-response", "ivy": "security-incident-manager", "ian": "incident-manager", "lee": "legal", "eve": "executive-incident-manager", "bea": "legal"} {
		c.ok("alice", "grant", actor, role, "--at", "2025-03-01T00:01:00Z")
	}
	c.ok("alice", "grant", "bea", "executive-incident-manager", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:02:00Z", "oscar", "sam", "ivy", "ian", "lee", "eve", "bea")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "customer-report", "--summary", "tenant data seen on a paste site", "--aware-at", "2025-03-07T22:15:00Z", "--at", "2025-03-07T21:40:00Z"))
	var log []logEntry
	c.json(&log, "log", "--incident", inc)
	det := log[0].EventID
	c.ok("oscar", "assess", inc, "-f", "low", "-r", "regular", "-i", "privacy-breach", "--at", "2025-03-07T22:30:00Z")
	c.ok("sam", "stage", inc, "diagnose", "--at", "2025-03-08T01:00:00Z")
	c.ok("sam", "classify", inc, "privacy-breach", "--at", "2025-03-08T09:00:00Z")
	c.ok("sam", "scope", inc, "--customer", "contoso", "--customer", "fabrikam", "--at", "2025-03-08T12:00:00Z")

	tests := []struct {
		name   string
		setup  [][]string // actor, args...: commands that must succeed first
		actor  string
		args   []string
		code   int
		stderr []string
	}{
		{name: "unknown incident", actor: "ian", args: []string{"note", "2uNOSUCHINCIDENT", "hello"}, code: 3, stderr: []string{`incident "2uNOSUCHINCIDENT" not found`}},
		{name: "show an unknown incident", actor: "ian", args: []string{"show", "2uNOSUCHINCIDENT"}, code: 3, stderr: []string{"not found"}},
		{name: "declare without the role", actor: "sam", args: []string{"declare", inc, "--basis", "evidence", "--reasoning", "logs"}, code: 4, stderr: []string{"declare-role", "security-incident-manager", "nothing was recorded"}},
		{name: "notify a customer before the declaration", actor: "ian", args: []string{"notify", inc, "--to", "security-contacts", "--customer", "contoso", "--recipient", "secops@contoso"}, code: 4, stderr: []string{"notify-before-declaration", "declare"}},
		{name: "a delay approved twice by one person",
			setup: [][]string{
				{"ivy", "declare", inc, "--basis", "evidence", "--reasoning", "logs", "--at", "2025-03-09T10:00:00Z"},
				{"ivy", "request", inc, "notification-delay", "--reason", "risk-to-other-customers", "--until", "2025-03-13T00:00:00Z", "--details", "tipping off", "--at", "2025-03-10T09:00:00Z"},
				{"bea", "approve", inc, "R1", "--as", "legal", "--at", "2025-03-10T10:00:00Z"},
			},
			actor: "bea", args: []string{"approve", inc, "R1", "--as", "executive-incident-manager"}, code: 4, stderr: []string{"approval-same-person", "two distinct people"}},
		{name: "a delay approved without the role", actor: "ian", args: []string{"approve", inc, "R1"}, code: 4, stderr: []string{"approval-role", "legal or executive-incident-manager"}},
		{name: "a delay approved as a role not held", actor: "lee", args: []string{"approve", inc, "R1", "--as", "executive-incident-manager"}, code: 4, stderr: []string{"approval-role", "lee does not hold"}},
		{name: "closing a privacy breach without a post-mortem", actor: "ian", args: []string{"close", inc}, code: 4, stderr: []string{"close-needs-postmortem"}},
		{name: "a stage move the process does not allow", actor: "sam", args: []string{"stage", inc, "close"}, code: 4, stderr: []string{"stage-move", "only for a false positive"}},
		{name: "a stage move backwards", actor: "sam", args: []string{"stage", inc, "detect"}, code: 4, stderr: []string{"stage-move", "move to one of: stabilize"}},
		{name: "a time in the future", actor: "ian", args: []string{"note", inc, "later", "--at", "2999-01-01T00:00:00Z"}, code: 4, stderr: []string{"future-time"}},
		{name: "moving awareness later", actor: "oscar", args: []string{"correct", inc, det, "--aware-at", "2025-03-08T00:00:00Z", "--reason", "x"}, code: 4, stderr: []string{"awareness-later", "only be corrected earlier"}},
		{name: "an unknown enum value", actor: "sam", args: []string{"classify", inc, "severe"}, code: 2, stderr: []string{`"severe": unknown value (allowed: false-positive, security-incident, privacy-breach, out-of-scope)`}},
		{name: "several bad values at once", actor: "oscar", args: []string{"detect", "--source", "pager", "--role", "owner", "--at", "yesterday"}, code: 2, stderr: []string{"4 problems", "--source", "--role", "--summary is required", "--at"}},
		{name: "an unknown flag", actor: "ian", args: []string{"note", inc, "x", "--colour", "red"}, code: 2, stderr: []string{"flag provided but not defined: -colour"}},
		{name: "a missing argument", actor: "sam", args: []string{"stage", inc}, code: 2, stderr: []string{"missing argument STAGE"}},
		{name: "a time without a zone", actor: "ian", args: []string{"note", inc, "x", "--at", "2025-03-10T10:00:00"}, code: 2, stderr: []string{"no time zone"}},
		{name: "an unknown command", actor: "ian", args: []string{"frobnicate"}, code: 2, stderr: []string{"unknown command"}},
		{name: "an unknown event to correct", actor: "oscar", args: []string{"correct", inc, "01a22000-0000-7000-8000-000000000000", "--set", "summary=x", "--reason", "x"}, code: 3, stderr: []string{"event", "not found"}},
		{name: "a ledger that does not exist", actor: "ian", args: []string{"--ledger", "/nonexistent/dir/x.db", "list"}, code: 3, stderr: []string{"no ledger"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := c.with(t)
			for _, s := range tt.setup {
				c.ok(s[0], s[1:]...)
			}
			before := c.dump()
			r := c.run(tt.actor, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
				}
			}
			if after := c.dump(); after != before {
				t.Errorf("the ledger changed:\n%s", cmp.Diff(before, after))
			}
		})
	}
}

// TestConcurrentWriters: 8 processes append notes to one incident at once;
// every note lands, and the incident's revisions stay gap-free.
func TestConcurrentWriters(t *testing.T) { testConcurrentWriters(t, newLedger(t)) }

func testConcurrentWriters(t *testing.T, c *cli) {
	c.ok("alice", "init", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:00:00Z")
	c.register("2025-03-01T00:00:00Z", "oscar")
	inc := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "concurrency", "--at", "2025-03-07T00:00:00Z"))
	const procs, each = 8, 4
	var wg sync.WaitGroup
	errs := make(chan string, procs*each)
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if r := c.run("oscar", "note", inc, fmt.Sprintf("writer %d note %d", p, i)); r.code != 0 {
					errs <- fmt.Sprintf("writer %d note %d: exit %d: %s", p, i, r.code, r.stderr)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	// On SQLite every append was checkpointed in its own transaction; on
	// EventStoreDB a writer covers only its own appends, and those behind
	// another writer's wait for the ledger-key holder (or the notary) to
	// judge them.
	c.ok("alice", "checkpoint")
	var log []logEntry
	c.json(&log, "log", "--incident", inc)
	if got, want := len(log), 2+procs*each; got != want { // the detection, its rule-pack pin, the notes
		t.Fatalf("%d events in the incident, want %d", got, want)
	}
	notes := map[string]bool{}
	for i, e := range log {
		if e.Revision != uint64(i) {
			t.Errorf("event %d has revision %d: gap or duplicate", i, e.Revision)
		}
		notes[string(e.Payload)] = true
	}
	if len(notes) != len(log) {
		t.Errorf("%d distinct payloads among %d events: a note was duplicated", len(notes), len(log))
	}
	var all []logEntry
	c.json(&all, "log")
	seqs := make([]int, len(all))
	for i, e := range all {
		seqs[i] = int(e.Seq)
	}
	if !sort.IntsAreSorted(seqs) || seqs[0] != 0 || seqs[len(seqs)-1] != len(seqs)-1 {
		t.Errorf("ledger sequences are not 0..%d without gaps: %v", len(seqs)-1, seqs)
	}
}
