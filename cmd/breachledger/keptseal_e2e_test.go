package main_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestKeptViewsOpenAndForget (issue 25): the kept views (list, deadlines,
// register) show a sealed summary as the folded log does, in clear to a
// reader with the key store and "[sealed]" to one without, each from views
// of its own; after a shred they show "[forgotten on DATE, basis]", and no
// file of the cache (the views, their -wal, free pages) holds the
// forgotten value.
func TestKeptViewsOpenAndForget(t *testing.T) {
	c := newLedger(t)
	cache := t.TempDir()
	c.env = []string{"XDG_CACHE_HOME=" + cache}
	inc := keptSealedIncident(t, c)

	reads := [][]string{
		{"list", "--wide", "--as-of", "2025-03-09T00:00:00Z"},
		{"list", "--json", "--as-of", "2025-03-09T00:00:00Z"},
		{"deadlines", "--json", "--as-of", "2025-03-09T00:00:00Z"},
		{"register", "--format", "json", "--as-of", "2025-03-09T00:00:00Z"},
	}
	// each runs every read from the kept views of cache, and from the
	// log (no cache directory), as a reader with config dir cfg ("": the
	// tests' own, which holds the key store), and checks they agree.
	each := func(step, cfg string, check func(name, out string)) {
		t.Helper()
		env := append([]string{}, c.env...)
		if cfg != "" {
			env = append(env, "XDG_CONFIG_HOME="+cfg)
		}
		for _, args := range reads {
			name := step + ": " + strings.Join(args, " ")
			base := append([]string{"--ledger", c.ledger, "--actor", "auditor"}, args...)
			kept := runBinary(t, "", append([]string{"BREACHLEDGER_INCIDENT="}, env...), base...)
			fold := runBinary(t, "", append([]string{"BREACHLEDGER_INCIDENT=", "HOME="}, append(env, "XDG_CACHE_HOME=")...), base...)
			kept.stdout, fold.stdout = nowTimes(kept.stdout), nowTimes(fold.stdout) // keptread_e2e_test.go
			if kept.code != 0 || fold.code != 0 {
				t.Errorf("%s: exit %d (kept), %d (log)\n%s%s", name, kept.code, fold.code, kept.stderr, fold.stderr)
				continue
			}
			if kept.stdout != fold.stdout {
				t.Errorf("%s: the kept views and the log differ:\n%s\n%s%s", name, kept.stdout, fold.stdout, kept.stderr)
				continue
			}
			check(name, kept.stdout)
		}
	}
	each("with the key store", "", func(name, out string) {
		if !strings.Contains(out, "jane.roe.4711@example.com") {
			t.Errorf("%s: the summary is not shown in clear:\n%s", name, out)
		}
	})
	// A reader with the ledger's keys but no key store.
	noKeys := t.TempDir()
	keysDir := filepath.Join(noKeys, "breachledger", "keys")
	if err := os.CopyFS(keysDir, os.DirFS(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "breachledger", "keys"))); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(keysDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chmod(p, 0o600) // a private key readable by others is refused
	})
	if err != nil {
		t.Fatal(err)
	}
	each("without it", noKeys, func(name, out string) {
		if strings.Contains(out, "jane.roe") || !strings.Contains(out, "[sealed]") {
			t.Errorf("%s: want [sealed], not the summary:\n%s", name, out)
		}
	})
	// Views kept for a reader without keys are not read as the key
	// holder's (nor the reverse).
	each("with the key store again", "", func(name, out string) {
		if !strings.Contains(out, "jane.roe.4711@example.com") {
			t.Errorf("%s: the summary is not shown in clear:\n%s", name, out)
		}
	})
	cached := func() []string {
		t.Helper()
		var out []string
		err := filepath.WalkDir(cache, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err == nil && bytes.Contains(data, []byte("jane.roe.4711")) {
				out = append(out, filepath.Base(p))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if len(cached()) == 0 {
		t.Fatal("no cache file holds the opened summary before the shred: the search below proves nothing")
	}

	c.ok("lee", "shred", inc, "--basis", "erasure-request", "--reason", "the customer asked")
	forgotten := regexp.MustCompile(`\[forgotten on \d{4}-\d\d-\d\d, erasure-request\]`)
	each("after the shred", "", func(name, out string) {
		if strings.Contains(out, "jane.roe") || !forgotten.MatchString(out) {
			t.Errorf("%s: want [forgotten on DATE, erasure-request], not the summary:\n%s", name, out)
		}
	})
	if got := cached(); len(got) != 0 {
		t.Errorf("after the shred, cache files %v still hold the forgotten summary", got)
	}
}

// keptSealedIncident makes c's ledger seal personal data and records an
// incident whose summary names jane.roe.4711@example.com, assessed and
// classified a privacy breach (so it has deadlines); lee holds legal.
func keptSealedIncident(t *testing.T, c *cli) string {
	t.Helper()
	c.ok("alice", "init", "--name", "Kept and sealed", "--at", "2025-03-01T00:00:00Z")
	c.ok("alice", "setting", "seal-personal-data", "on", "--at", "2025-03-01T00:00:30Z", "--reason", "the tests record histories long after they happened")
	c.ok("alice", "grant", "oscar", "responder", "--at", "2025-03-01T00:01:00Z")
	c.ok("alice", "grant", "sam", "security-response", "--at", "2025-03-01T00:01:00Z")
	c.ok("alice", "grant", "lee", "legal", "--at", "2025-03-01T00:01:00Z")
	c.register("2025-03-01T00:02:00Z", "oscar", "sam", "lee")
	const summary = "laptop of jane.roe.4711@example.com stolen"
	inc := strings.TrimSpace(c.ok("oscar", "detect", "--source", "customer-report", "--summary", summary, "--at", "2025-03-07T21:40:00Z", "--quiet"))
	c.ok("oscar", "assess", inc, "--functional-impact", "medium", "--recoverability", "extended", "--information-impact", "privacy-breach", "--at", "2025-03-07T22:30:00Z")
	c.ok("sam", "classify", inc, "privacy-breach", "--at", "2025-03-08T09:00:00Z")
	return inc
}

// TestServeSealed: the API shows a sealed summary as the CLI does: in
// clear to a server with the key store, then "[forgotten on DATE, basis]"
// once a shred by another process forgot it, in the incident list (its
// kept views), an incident's page and the deadlines.
func TestServeSealed(t *testing.T) {
	c := newLedger(t)
	inc := keptSealedIncident(t, c)
	_, secret := issueToken(t, c, "siem")
	s := startServe(t, c)
	paths := []string{"/v1/incidents", "/v1/incidents/" + inc, "/v1/deadlines?as_of=2025-03-09T00:00:00Z"}
	read := func(step string, check func(path, body string)) {
		t.Helper()
		for _, p := range paths {
			code, body := s.get(t, "GET", p, secret)
			if code != 200 {
				t.Errorf("%s: GET %s: %d %s", step, p, code, body)
				continue
			}
			check(p, string(body))
		}
	}
	read("before the shred", func(p, body string) {
		if !strings.Contains(body, "jane.roe.4711@example.com") {
			t.Errorf("before the shred: GET %s does not show the summary in clear:\n%s", p, body)
		}
	})
	c.ok("lee", "shred", inc, "--basis", "erasure-request", "--reason", "the customer asked")
	forgotten := regexp.MustCompile(`\[forgotten on \d{4}-\d\d-\d\d, erasure-request\]`)
	read("after the shred", func(p, body string) {
		if strings.Contains(body, "jane.roe") || !forgotten.MatchString(body) {
			t.Errorf("after the shred: GET %s: want [forgotten on DATE, erasure-request], not the summary:\n%s", p, body)
		}
	})
}
