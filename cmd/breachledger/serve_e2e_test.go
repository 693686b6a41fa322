package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// server is "breachledger serve" running on a ledger.
type server struct {
	url string
	cmd *exec.Cmd
}

var listeningRE = regexp.MustCompile(`^listening on (http://\S+)`)

// startServe starts "breachledger serve --listen 127.0.0.1:0" on c's
// ledger and returns its address; the test stops it (SIGINT) at cleanup.
func startServe(t *testing.T, c *cli) *server {
	t.Helper()
	cmd := exec.Command(binary, "--ledger", c.ledger, "serve", "--listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd}
	t.Cleanup(func() { s.stop(t) })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := listeningRE.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("serve printed %q (%v)", line, err)
	}
	go io.Copy(io.Discard, stdout)
	s.url = m[1]
	return s
}

// stop interrupts the server, which shuts down and exits 0.
func (s *server) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Errorf("interrupt serve: %v", err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("serve exited with %v after an interrupt, want 0", err)
	}
}

func (s *server) get(t *testing.T, method, path, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// issueToken issues an API token as alice (an admin) and returns its secret.
func issueToken(t *testing.T, c *cli, name string) (id, secret string) {
	t.Helper()
	var tok struct {
		Token  string `json:"token"`
		Secret string `json:"secret"`
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal([]byte(c.ok("alice", "token", "issue", name, "--json")), &tok); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Secret, "blt_") || len(tok.SHA256) != 64 {
		t.Fatalf("issued %+v", tok)
	}
	return tok.Token, tok.Secret
}

// TestServe runs the real server on the scenario's ledger: tokens from
// the CLI, the ledger keeps their hashes only, reads need one, writes are
// refused, a revocation counts at once, and the events read by position
// are the log's.
func TestServe(t *testing.T) {
	c := newLedger(t)
	inc := runScenario(t, c)
	id, secret := issueToken(t, c, "siem")
	if raw, err := os.ReadFile(c.ledger); err != nil || strings.Contains(string(raw), secret) {
		t.Errorf("the token's secret is in the ledger file (%v)", err)
	}
	list := c.ok("auditor", "token", "list")
	if !regexp.MustCompile(id+`\s+siem\s`).MatchString(list) || strings.Contains(list, secret) {
		t.Errorf("token list:\n%s", list)
	}
	s := startServe(t, c)
	if code, _ := s.get(t, "GET", "/v1/deadlines", ""); code != 401 {
		t.Errorf("no token: %d, want 401", code)
	}
	code, body := s.get(t, "GET", "/v1/deadlines?as_of=2025-03-12T12:00:00Z", secret)
	var v deadlineView
	if err := json.Unmarshal(body, &v); code != 200 || err != nil {
		t.Fatalf("deadlines: %d %v %s", code, err, body)
	}
	// The same view as the CLI's.
	var cliView deadlineView
	c.json(&cliView, "deadlines", "--as-of", "2025-03-12T12:00:00Z")
	if fmt.Sprint(v.Deadlines) != fmt.Sprint(cliView.Deadlines) || !v.Alert {
		t.Errorf("HTTP deadlines %v differ from the CLI's %v", v.Deadlines, cliView.Deadlines)
	}
	if code, _ := s.get(t, "POST", "/v1/incidents/"+inc, secret); code != 405 {
		t.Errorf("POST: %d, want 405", code)
	}
	// Events by position, as "log --json" gives them.
	var log []logEntry
	c.json(&log, "log")
	var page struct {
		Next   uint64     `json:"next"`
		Head   uint64     `json:"head"`
		Events []logEntry `json:"events"`
	}
	code, body = s.get(t, "GET", "/v1/events?from=10&limit=5", secret)
	if err := json.Unmarshal(body, &page); code != 200 || err != nil || len(page.Events) != 5 || page.Next != 15 || page.Head < uint64(len(log)) {
		t.Fatalf("events: %d %v %s", code, err, body)
	}
	for i, e := range page.Events {
		if e.EventID != log[10+i].EventID || e.Seq != uint64(10+i) {
			t.Errorf("event %d = %s, the log has %s", 10+i, e.EventID, log[10+i].EventID)
		}
	}
	c.ok("alice", "token", "revoke", id, "--reason", "rotated")
	if code, _ := s.get(t, "GET", "/v1/position", secret); code != 401 {
		t.Errorf("after the revocation: %d, want 401", code)
	}
}

// chromiumPath returns Debian's chromium, or skips the test when it is
// genuinely absent (.ci/run installs it).
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on this machine: install Debian's chromium (apt-get install -y chromium; .ci/run does) to run the browser test")
	return ""
}

// screenshotDir is where the browser test saves what it saw:
// $BREACHLEDGER_SCREENSHOTS, or a directory of this run's own in the
// temporary directory, kept after the run for a person to look at (the
// test logs its path), so parallel runs never overwrite each other.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("BREACHLEDGER_SCREENSHOTS")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "breachledger-screenshots-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// browser starts headless chromium with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel() // closes the browser and waits for it, before TempDir is removed
		cancelAlloc()
	})
	return ctx
}

// must returns v, failing the test given to it on err:
// must(chromedp.Run(ctx, action))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestBrowser opens the HTML report and the deadline board in headless
// Chromium, checks what a person sees, prints the report to PDF, and saves
// screenshots.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	dir := screenshotDir(t)
	c := newLedger(t)
	inc := runScenario(t, c)

	// The report: self-contained, with its timeline and integrity footer.
	report := filepath.Join(t.TempDir(), "report.html")
	c.ok("auditor", "report", "--incident", inc, "--format", "html", "-o", report, "--as-of", "2025-04-01T00:00:00Z")
	var rep jsonReport
	if err := json.Unmarshal([]byte(c.ok("auditor", "report", "--incident", inc, "--format", "json", "--as-of", "2025-04-01T00:00:00Z")), &rep); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+report), chromedp.WaitVisible("#title")); err != nil {
		t.Fatal(err)
	}
	if got := must(chromedp.Run(ctx, chromedp.Text("#title")))(t); got != "Anomalous bulk read of tenant blobs on storage cluster eu-3" {
		t.Errorf("title = %q", got)
	}
	if n := must(chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#timeline svg circle.ev").length`)))(t); n != len(rep.Events) {
		t.Errorf("the timeline shows %d events, the report has %d", n, len(rep.Events))
	}
	if n := must(chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#timeline svg path.due").length`)))(t); n != len(rep.Obligations) {
		t.Errorf("the timeline shows %d deadlines, the report has %d", n, len(rep.Obligations))
	}
	if n := must(chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#timeline svg rect.band").length`)))(t); n != 5 {
		t.Errorf("the timeline shows %d stage bands, want 5", n)
	}
	footer := must(chromedp.Run(ctx, chromedp.Text("#integrity")))(t)
	// The HTML footer names the checkpoint the JSON report was built from:
	// the whole ledger (the scenario's events and its signers' keys).
	if rep.Integrity.TreeSize < uint64(len(rep.Events)) {
		t.Errorf("the JSON report's checkpoint covers %d events, fewer than the %d it shows", rep.Integrity.TreeSize, len(rep.Events))
	}
	if !strings.Contains(footer, fmt.Sprintf("signed checkpoint of %d events", rep.Integrity.TreeSize)) || !strings.Contains(footer, "Merkle root (RFC 6962, base64):") {
		t.Errorf("integrity footer:\n%s", footer)
	}
	obligations := must(chromedp.Run(ctx, chromedp.Text("#obligations")))(t)
	for _, want := range []string{"customer-notice/fabrikam", "met-late", "3h30m late", "GDPR Art. 33(1)"} {
		if !strings.Contains(obligations, want) {
			t.Errorf("the obligations table does not show %q", want)
		}
	}
	// Nothing was fetched: the page is self-contained.
	if n := must(chromedp.Run(ctx, chromedp.Evaluate[int](`performance.getEntriesByType("resource").length`)))(t); n != 0 {
		t.Errorf("the report fetched %d resources", n)
	}
	shot := must(chromedp.Run(ctx, chromedp.FullScreenshot(100)))(t)
	save(t, filepath.Join(dir, "report.png"), shot)
	pdf := must(chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground())))(t)
	if !strings.HasPrefix(string(pdf), "%PDF-") || pdfPages(pdf) < 3 {
		t.Errorf("the report printed to %d bytes of PDF, %d pages", len(pdf), pdfPages(pdf))
	}
	save(t, filepath.Join(dir, "report.pdf"), pdf)

	// The deadline board: one incident overdue now, one with clocks running.
	now := time.Now().UTC()
	ago := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	late := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "customer-report", "--summary", "Customer database exposed on a test server",
		"--aware-at", ago(80*time.Hour), "--role", "controller", "--at", ago(80*time.Hour)))
	c.ok("oscar", "assess", late, "-f", "low", "-r", "regular", "-i", "privacy-breach", "--at", ago(79*time.Hour))
	open := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "automated-alert", "--summary", "Tenant logs copied to an unknown host",
		"--role", "both", "--at", ago(time.Hour)))
	c.ok("oscar", "assess", open, "-f", "medium", "-r", "regular", "-i", "privacy-breach", "--at", ago(50*time.Minute))
	c.ok("sam", "stage", open, "diagnose", "--at", ago(45*time.Minute))
	c.ok("sam", "classify", open, "privacy-breach", "--at", ago(40*time.Minute))
	c.ok("sam", "scope", open, "--customer", "contoso", "--at", ago(35*time.Minute))
	c.ok("ivy", "declare", open, "--basis", "evidence", "--reasoning", "egress logs", "--at", ago(30*time.Minute))
	_, secret := issueToken(t, c, "board")
	s := startServe(t, c)
	code, body := s.get(t, "GET", "/v1/deadlines?open=true", secret)
	var v deadlineView
	if err := json.Unmarshal(body, &v); code != 200 || err != nil {
		t.Fatalf("open deadlines: %d %v", code, err)
	}
	// Worked out: the exposed database's Art. 33 notice was due 8 h ago;
	// the copied logs' Art. 33 notice (aware at detection) and contoso's
	// notice (declared 30 min ago) are due in about 71 h.
	if len(v.Deadlines) != 3 || v.Deadlines[0].ID != "gdpr-art33" || v.Deadlines[0].Status != "overdue" {
		t.Fatalf("open deadlines = %+v", v.Deadlines)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.url+"/board?refresh=1#token="+secret)); err != nil {
		t.Fatal(err)
	}
	rows := func() int {
		return must(chromedp.Run(ctx, chromedp.Poll[int](`document.querySelectorAll("#board tbody tr").length`, chromedp.WithPollingTimeout(0))))(t)
	}
	if n := rows(); n != 3 {
		t.Errorf("the board shows %d rows, want 3", n)
	}
	first := must(chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const r = document.querySelector("#board tbody tr"); const c = r.querySelector("td.clock"); return [r.className, c.textContent, getComputedStyle(c).color, r.textContent]; })()`)))(t)
	if first[0] != "overdue" || !strings.HasPrefix(first[1], "overdue ") || first[2] != "rgb(198, 40, 40)" || !strings.Contains(first[3], "Customer database exposed") {
		t.Errorf("the first row (overdue) shows class %q, clock %q in %s: %q", first[0], first[1], first[2], first[3])
	}
	// The clocks count down.
	clock := `document.querySelectorAll("#board tbody tr")[1].querySelector("td.clock").textContent`
	before := must(chromedp.Run(ctx, chromedp.Evaluate[string](clock)))(t)
	if !regexp.MustCompile(`^2d 2[23]:\d\d:\d\d$`).MatchString(before) {
		t.Errorf("the second row's clock shows %q, want about 2d 23h", before)
	}
	after := must(chromedp.Run(ctx, chromedp.Poll[string](clock+` !== `+fmt.Sprintf("%q", before)+` && `+clock, chromedp.WithPollingTimeout(0), chromedp.WithPollingInterval(100*time.Millisecond))))(t)
	if after >= before {
		t.Errorf("the clock went from %q to %q: not counting down", before, after)
	}
	// The board refreshes itself: a new overdue incident appears.
	extra := strings.TrimSpace(c.ok("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", "Backup tapes lost in transit",
		"--aware-at", ago(100*time.Hour), "--role", "controller", "--at", ago(100*time.Hour)))
	c.ok("oscar", "assess", extra, "-f", "none", "-r", "regular", "-i", "privacy-breach", "--at", ago(99*time.Hour))
	if n := must(chromedp.Run(ctx, chromedp.Poll[int](`document.querySelectorAll("#board tbody tr").length === 4 && 4`, chromedp.WithPollingTimeout(0), chromedp.WithPollingInterval(100*time.Millisecond))))(t); n != 4 {
		t.Errorf("after a refresh the board shows %d rows, want 4", n)
	}
	counts := must(chromedp.Run(ctx, chromedp.Text(".counts")))(t)
	if !regexp.MustCompile(`2\s+overdue`).MatchString(counts) {
		t.Errorf("counts: %q, want 2 overdue", counts)
	}
	save(t, filepath.Join(dir, "board.png"), must(chromedp.Run(ctx, chromedp.FullScreenshot(100)))(t))
	// Without a token the board asks for one.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`sessionStorage.clear()`), chromedp.Navigate(s.url+"/board")); err != nil {
		t.Fatal(err)
	}
	if msg := must(chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("login").style.display === "block" && document.getElementById("message").textContent`, chromedp.WithPollingTimeout(0))))(t); !strings.Contains(msg, "API token") {
		t.Errorf("without a token the board says %q", msg)
	}
}

func save(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s", path)
}

var pdfPageRE = regexp.MustCompile(`/Type\s*/Page[^s]`)

// pdfPages counts the pages of a PDF.
func pdfPages(b []byte) int { return len(pdfPageRE.FindAll(b, -1)) }
