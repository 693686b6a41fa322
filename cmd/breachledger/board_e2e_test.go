package main_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// boardRow is what the board test reads of "deadlines --json".
type boardRow struct {
	Incident   string    `json:"incident"`
	Obligation string    `json:"obligation"`
	Status     string    `json:"status"`
	HeldBy     []string  `json:"held_by"`
	HeldUntil  time.Time `json:"held_until"`
	DueAt      time.Time `json:"due_at"`
}

// boardTime writes t as the board does: "2025-03-20 12:00 UTC", with the
// seconds only when they are not zero.
func boardTime(t time.Time) string {
	return strings.TrimSuffix(t.UTC().Format("2006-01-02 15:04:05"), ":00") + " UTC"
}

// eval runs a JavaScript expression in the page and returns its value.
func eval[T any](ctx context.Context, t *testing.T, js string) T {
	t.Helper()
	return must(chromedp.Run(ctx, chromedp.Evaluate[T](js)))(t)
}

// waitFor polls a JavaScript condition until it holds. The conditions hold
// on the board before issue 20 too, so a test of the old board fails on
// its assertions instead of waiting for ever.
func waitFor(ctx context.Context, t *testing.T, js string) {
	t.Helper()
	must(chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(0), chromedp.WithPollingInterval(50*time.Millisecond))))(t)
}

// counters returns the five counters of the board, as shown.
func counters(ctx context.Context, t *testing.T) []string {
	t.Helper()
	return eval[[]string](ctx, t, `["overdue", "due-soon", "pending", "held", "incidents"].map(k => document.getElementById("n-" + k).textContent)`)
}

// TestBoardTellsTheTruth opens the deadline board in headless Chromium on
// a ledger where the board's numbers and "list --open" could differ
// (issue 20): an open incident with no open deadline (assessed, not yet
// classified), a held customer notice with an expiry, an overdue
// incident whose summary holds HTML. The board counts open incidents as
// "list --open" does, says until when a row is held and counts down to the
// hold's end, links every row to its incident's detail panel (keyboard
// too, ledger text written as text), and never shows an all-clear it does
// not know: no token, a refused token and a stopped server each have a
// state of their own, with "–" for unknown counts and stale data marked.
func TestBoardTellsTheTruth(t *testing.T) {
	ctx := browser(t)
	dir := screenshotDir(t)
	c := newLedger(t)
	runScenario(t, c) // the cast's roles, and one closed incident
	now := time.Now().UTC()
	ago := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	id := func(who string, args ...string) string {
		t.Helper()
		return strings.TrimSpace(c.ok(who, append(args, "-q")...))
	}
	const xss = `Customer database exposed <img src=x onerror="window.__pwned=1">`
	late := id("oscar", "detect", "--source", "customer-report", "--summary", xss,
		"--aware-at", ago(80*time.Hour), "--role", "controller", "--at", ago(80*time.Hour))
	c.ok("oscar", "assess", late, "-f", "low", "-r", "regular", "-i", "privacy-breach", "--at", ago(79*time.Hour))
	quiet := id("oscar", "detect", "--source", "automated-alert", "--summary", "Odd logins on the admin portal", "--at", ago(2*time.Hour))
	c.ok("oscar", "assess", quiet, "-f", "low", "-r", "regular", "-i", "none", "--at", ago(110*time.Minute))
	held := id("oscar", "detect", "--source", "automated-alert", "--summary", "Tenant logs copied to an unknown host", "--role", "both", "--at", ago(3*time.Hour))
	c.ok("oscar", "assess", held, "-f", "medium", "-r", "regular", "-i", "privacy-breach", "--at", ago(170*time.Minute))
	c.ok("sam", "stage", held, "diagnose", "--at", ago(160*time.Minute))
	c.ok("sam", "classify", held, "privacy-breach", "--at", ago(150*time.Minute))
	c.ok("sam", "scope", held, "--customer", "contoso", "--at", ago(140*time.Minute))
	c.ok("ivy", "declare", held, "--basis", "evidence", "--reasoning", "egress logs", "--at", ago(130*time.Minute))
	until := now.Add(10 * time.Hour).Truncate(time.Second)
	c.ok("ian", "request", held, "notification-delay", "--reason", "risk-to-other-customers", "--customer", "contoso",
		"--until", until.Format(time.RFC3339), "--details", "notice would tip off the actor", "--at", ago(120*time.Minute))
	c.ok("lee", "approve", held, "R1", "--comment", "tipping-off risk is real", "--at", ago(110*time.Minute))
	c.ok("eve", "approve", held, "R1", "--comment", "agreed", "--at", ago(100*time.Minute))

	// What the CLI says: the board must count as "list --open" does.
	var list struct {
		Incidents []struct {
			ID string `json:"id"`
		} `json:"incidents"`
	}
	c.json(&list, "list", "--open")
	var dl struct {
		Deadlines []boardRow `json:"deadlines"`
	}
	c.json(&dl, "deadlines", "--open")
	withDeadline := map[string]bool{}
	var heldRow *boardRow
	for i, d := range dl.Deadlines {
		withDeadline[d.Incident] = true
		if d.Status == "held" {
			heldRow = &dl.Deadlines[i]
		}
	}
	if len(list.Incidents) == len(withDeadline) {
		t.Fatalf("list --open has %d incidents, deadlines --open %d: the ledger does not show the difference this test is about", len(list.Incidents), len(withDeadline))
	}
	if heldRow == nil || heldRow.Incident != held || !heldRow.HeldUntil.Equal(until) {
		t.Fatalf("deadlines --open: no row of %s held until %s: %+v", held, until, dl.Deadlines)
	}
	wantOpen := strconv.Itoa(len(list.Incidents))

	_, secret := issueToken(t, c, "board")
	s := startServe(t, c)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.url+"/board?refresh=1#token="+secret)); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, `document.querySelectorAll("#board tbody tr").length > 0`)
	if got := eval[string](ctx, t, `location.href`); strings.Contains(got, secret) {
		t.Errorf("the token stays in the address: %s", got)
	}

	t.Run("counts", func(t *testing.T) {
		got := counters(ctx, t)
		if got[4] != wantOpen {
			t.Errorf("open incidents = %s, list --open has %s", got[4], wantOpen)
		}
		if want := []string{"1", "0", "1", "1"}; fmt.Sprint(got[:4]) != fmt.Sprint(want) {
			t.Errorf("overdue, due soon, pending, held = %v, want %v", got[:4], want)
		}
		// The open incident with no open deadline is listed, so the count can be checked.
		if got := eval[[]string](ctx, t, `[...document.querySelectorAll("#quiet a")].map(a => a.dataset.incident)`); fmt.Sprint(got) != fmt.Sprint([]string{quiet}) {
			t.Errorf("open incidents with no open deadline listed: %v, want [%s]", got, quiet)
		}
	})

	t.Run("held until", func(t *testing.T) {
		row := eval[[]string](ctx, t, `(() => { const r = document.querySelector("#board tbody tr.held"); return r ? [r.textContent, r.querySelector("td.clock .value").textContent] : []; })()`)
		if len(row) != 2 {
			t.Fatal("no held row on the board")
		}
		if want := "held until " + boardTime(until); !strings.Contains(row[0], want) {
			t.Errorf("the held row says %q, want %q", row[0], want)
		}
		if !strings.Contains(row[0], "by R1") {
			t.Errorf("the held row does not say what holds it: %q", row[0])
		}
		// The clock counts to the hold's end, about 10 hours away.
		if !regexp.MustCompile(`^(09|10):\d\d:\d\d$`).MatchString(row[1]) {
			t.Errorf("the held row's clock shows %q, want the time to the hold's end (about 10 h)", row[1])
		}
	})

	t.Run("rows link to their incident", func(t *testing.T) {
		links := eval[[][]string](ctx, t, `[...document.querySelectorAll("#board tbody tr")].map(r => { const a = r.querySelector("a"); return [r.querySelector("td.incident code").textContent, a ? a.getAttribute("href") : ""]; })`)
		if len(links) != len(dl.Deadlines) {
			t.Errorf("the board shows %d rows, deadlines --open has %d", len(links), len(dl.Deadlines))
		}
		for _, l := range links {
			if want := "#incident=" + l[0]; l[1] != want {
				t.Errorf("the row of %s links to %q, want %q", l[0], l[1], want)
			}
		}
		if n := eval[int](ctx, t, fmt.Sprintf(`[...document.querySelectorAll("a")].filter(a => a.href.includes(%q)).length`, secret)); n != 0 {
			t.Errorf("%d links carry the token", n)
		}
		save(t, filepath.Join(dir, "board-truth.png"), must(chromedp.Run(ctx, chromedp.FullScreenshot(100)))(t))

		// A click opens the incident's detail panel, its summary as text.
		link := fmt.Sprintf(`#board a[data-incident=%q]`, late)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(link)), chromedp.WaitVisible(chromedp.CSS("#detail .timeline li"))); err != nil {
			t.Fatal(err)
		}
		if got := eval[string](ctx, t, `document.getElementById("detail-title").textContent`); got != xss {
			t.Errorf("the detail panel's title = %q, want the summary %q", got, xss)
		}
		if got := eval[string](ctx, t, `location.hash`); got != "#incident="+late {
			t.Errorf("after the click the address ends in %q", got)
		}
		if n := eval[int](ctx, t, `document.querySelectorAll("#detail .timeline li").length`); n < 3 {
			t.Errorf("the detail panel's timeline shows %d events", n)
		}
		if n := eval[int](ctx, t, `document.querySelectorAll("img").length + (window.__pwned === undefined ? 0 : 100)`); n != 0 {
			t.Errorf("the summary's HTML became elements or ran (%d)", n)
		}
		save(t, filepath.Join(dir, "board-detail.png"), must(chromedp.Run(ctx, chromedp.FullScreenshot(100)))(t))
		// Escape closes it and gives the focus back to the link.
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS("#detail"))); err != nil {
			t.Fatal(err)
		}
		if got := eval[string](ctx, t, `document.activeElement.dataset.incident || ""`); got != late {
			t.Errorf("after Escape the focus is on %q, want the link of %s", got, late)
		}
		// From the keyboard: Enter on a focused link opens it, the close button closes it.
		link = fmt.Sprintf(`#board a[data-incident=%q]`, held)
		if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(link)), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("#detail .timeline li"))); err != nil {
			t.Fatal(err)
		}
		if got := eval[string](ctx, t, `document.getElementById("detail-title").textContent`); got != "Tenant logs copied to an unknown host" {
			t.Errorf("Enter opened %q", got)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#detail-close")), chromedp.WaitNotVisible(chromedp.CSS("#detail"))); err != nil {
			t.Fatal(err)
		}
		// An address with the incident opens it with the page.
		if err := chromedp.Do(ctx, chromedp.Navigate(s.url+"/board#incident="+quiet), chromedp.WaitVisible(chromedp.CSS("#detail .timeline li"))); err != nil {
			t.Fatal(err)
		}
		if got := eval[string](ctx, t, `document.getElementById("detail-title").textContent`); got != "Odd logins on the admin portal" {
			t.Errorf("#incident=%s opened %q", quiet, got)
		}
	})

	// A state with no data shows no number and no row. Each case opens the
	// board at an address of its own (case=...), so that it is a new page
	// and not a change of the hash of the page before.
	noData := func(t *testing.T, state, message string) {
		t.Helper()
		// A second on: the counters are not overwritten by the clocks' tick.
		if err := chromedp.Do(ctx, chromedp.Sleep(1500*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if got := eval[string](ctx, t, `document.body.dataset.state || ""`); got != state {
			t.Errorf("state = %q, want %q", got, state)
		}
		if got := eval[string](ctx, t, `document.getElementById("message").textContent`); !strings.Contains(got, message) {
			t.Errorf("the board says %q, want %q", got, message)
		}
		if got := counters(ctx, t); fmt.Sprint(got) != fmt.Sprint([]string{"–", "–", "–", "–", "–"}) {
			t.Errorf("counters = %q, want – for each (nothing is known)", got)
		}
		if n := eval[int](ctx, t, `document.querySelectorAll("#board tbody tr").length + document.querySelectorAll("#quiet li").length`); n != 0 {
			t.Errorf("%d rows shown", n)
		}
		if body := eval[string](ctx, t, `document.body.innerText`); strings.Contains(body, "No open deadline") {
			t.Errorf("the board reads as an all-clear:\n%s", body)
		}
	}
	t.Run("token refused", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`sessionStorage.clear()`), chromedp.Navigate(s.url+"/board?refresh=1&case=refused#token=blt_not-a-token")); err != nil {
			t.Fatal(err)
		}
		waitFor(ctx, t, `document.getElementById("login").style.display === "block"`)
		noData(t, "token-refused", "Token refused")
		save(t, filepath.Join(dir, "board-token-refused.png"), must(chromedp.Run(ctx, chromedp.FullScreenshot(100)))(t))
	})
	t.Run("token needed", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`sessionStorage.clear()`), chromedp.Navigate(s.url+"/board?refresh=1&case=needed")); err != nil {
			t.Fatal(err)
		}
		waitFor(ctx, t, `document.getElementById("login").style.display === "block"`)
		noData(t, "token-needed", "Token needed")
		save(t, filepath.Join(dir, "board-token-needed.png"), must(chromedp.Run(ctx, chromedp.FullScreenshot(100)))(t))
	})

	t.Run("server stopped", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(s.url+"/board?refresh=1&case=stale#token="+secret)); err != nil {
			t.Fatal(err)
		}
		waitFor(ctx, t, `document.querySelectorAll("#board tbody tr").length > 0`)
		asOf := eval[string](ctx, t, `document.getElementById("updated").textContent`)
		s.stop(t)
		waitFor(ctx, t, `/cannot reach|could not load/i.test(document.getElementById("message").textContent)`)
		if got := eval[string](ctx, t, `document.body.dataset.state + " " + document.body.dataset.stale`); got != "unreachable true" {
			t.Errorf("state and stale = %q, want \"unreachable true\"", got)
		}
		msg := eval[string](ctx, t, `document.getElementById("message").textContent`)
		if !strings.Contains(msg, "Cannot reach the server") || !strings.Contains(msg, "STALE") {
			t.Errorf("the board says %q, want that it cannot reach the server and shows stale data", msg)
		}
		// The last data stays, marked stale with its time, never zeros.
		updated := eval[string](ctx, t, `document.getElementById("updated").textContent`)
		dataOf := regexp.MustCompile(`data of \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC`).FindString(asOf)
		if dataOf == "" || !strings.Contains(updated, "STALE") || !strings.Contains(updated, dataOf) || !strings.Contains(msg, strings.TrimPrefix(dataOf, "data of ")) {
			t.Errorf("while the server is down the board says %q and %q, want STALE and the time of its data (%q)", updated, msg, asOf)
		}
		if got := counters(ctx, t); got[4] != wantOpen || got[0] != "1" {
			t.Errorf("counters while stale = %q, want the last data's (%s open incidents)", got, wantOpen)
		}
		save(t, filepath.Join(dir, "board-stale.png"), must(chromedp.Run(ctx, chromedp.FullScreenshot(100)))(t))
	})
}
