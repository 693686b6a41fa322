package main_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/safetext"
)

// The terminal-injection suite (issue 10, item 4): text read back from a
// ledger must never reach a terminal raw. Every forbidden rune is written
// into every text field the CLI accepts, and, through the file, into the
// envelope columns and leaf copies it does not accept; then every command
// runs and its stdout and stderr are searched for a raw forbidden rune.

// evilRunes holds one of every rune that must not reach output raw: the C0
// controls, DEL, the C1 controls, the bidi embeddings, overrides and
// isolates, the zero-width characters and marks, the byte order mark.
var evilRunes = func() string {
	var b strings.Builder
	add := func(from, to rune) {
		for r := from; r <= to; r++ {
			b.WriteRune(r)
		}
	}
	add(0x00, 0x1f)
	add(0x7f, 0x9f)
	add(0x202a, 0x202e)
	add(0x2066, 0x2069)
	add(0x200b, 0x200f)
	add(0xfeff, 0xfeff)
	return b.String()
}()

// evilAccepted is what the CLI accepts in a text field: the domain refuses
// control characters other than a newline and a tab at input (and a
// command line cannot carry NUL), so the rest is written through the file.
var evilAccepted = "x\n| forged | row |\tcol" + strings.Map(func(r rune) rune {
	if r < 0x20 || r == 0x7f {
		return -1
	}
	return r
}, evilRunes) + "\nintact"

// evilFile is what an attacker writes through the file: every forbidden
// rune, escape sequences that erase the lines above and paint "intact",
// and invalid UTF-8.
var evilFile = "\x1b[1A\x1b[2K\x1b[1A\x1b[2K\x1b[32mintact\x1b[0m\r\n" + evilRunes + "\xff\xc3("

// assertNoRaw fails when r's stdout or stderr holds a forbidden rune raw
// (a newline is the only one a line-oriented output may hold) or invalid
// UTF-8.
func assertNoRaw(t *testing.T, what string, r result) {
	t.Helper()
	for name, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
		for i, c := range out {
			if c == utf8.RuneError {
				if _, n := utf8.DecodeRuneInString(out[i:]); n == 1 {
					t.Errorf("%s: %s holds invalid UTF-8 at byte %d:\n%q", what, name, i, out)
					break
				}
			}
			if c != '\n' && safetext.Forbidden(c) {
				t.Errorf("%s: %s holds %U raw at byte %d:\n%q", what, name, c, i, out)
				break
			}
		}
	}
}

// evilLedger records an incident with evilAccepted in every text field the
// CLI accepts, each write's own output checked, and returns the ledger and
// the incident ID.
func evilLedger(t *testing.T) (*cli, string) {
	c := newLedger(t)
	write := func(actor string, args ...string) string {
		t.Helper()
		r := c.run(actor, args...)
		assertNoRaw(t, strings.Join(args[:1], " "), r)
		if r.code != 0 {
			t.Fatalf("breachledger %s: exit %d\n%s%s", args[0], r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	write("alice", "init", "--name", "Evil Test", "--at", "2025-03-01T00:00:00Z")
	for _, g := range [][2]string{{"oscar", "responder"}, {"sam", "security-response"}, {"ivy", "security-incident-manager"},
		{"ian", "incident-manager"}, {"lee", "legal"}, {"eve", "executive-incident-manager"}} {
		write("alice", "grant", g[0], g[1], "--reason", evilAccepted, "--at", "2025-03-01T00:01:00Z")
		write("alice", "signer", "register", g[0], signerKey(g[0])+".pub", "--reason", evilAccepted, "--at", "2025-03-01T00:01:00Z")
	}
	e := evilAccepted
	inc := strings.TrimSpace(write("oscar", "detect", "-q", "--source", "operator-escalation", "--summary", e, "--reference", e, "--at", "2025-03-07T10:00:00Z"))
	at := func(h int) string { return fmt.Sprintf("2025-03-07T%02d:00:00Z", h) }
	write("oscar", "assess", inc, "-f", "medium", "-r", "extended", "-i", "privacy-breach", "--at", at(11))
	write("sam", "stage", inc, "diagnose", "--reason", e, "--at", at(12))
	write("sam", "contain", inc, "--description", e, "--system", e, "--at", at(13))
	write("sam", "evidence", inc, "--description", e, "--sha256", strings.Repeat("ab", 32), "--location", e, "--at", at(13))
	write("sam", "request", inc, "data-transfer", "--destination", e, "--details", e, "--at", at(14))
	write("ian", "approve", inc, "R1", "--comment", e, "--at", at(14))
	write("sam", "classify", inc, "privacy-breach", "--reason", e, "--at", at(15))
	write("sam", "scope", inc, "--customer", "contoso", "--data-category", e, "--subject-category", e, "--subjects", "3", "--jurisdiction", "DE", "--at", at(15))
	write("ivy", "risk", inc, "high", "--reasoning", e, "--at", at(16))
	write("ivy", "declare", inc, "--basis", "evidence", "--reasoning", e, "--at", at(17))
	write("ivy", "request", inc, "notification-delay", "--reason", "risk-to-other-customers", "--customer", "contoso", "--until", "2025-03-09T00:00:00Z", "--details", e, "--at", at(18))
	write("eve", "reject", inc, "R2", "--reason", e, "--at", at(19))
	write("ian", "notify", inc, "--to", "supervisory-authority", "--recipient", e, "--reference", e, "--summary", e, "--at", at(20), "--late-entry-reason", "recorded from the case file")
	write("ian", "note", inc, e, "--at", at(21))
	write("alice", "token", "issue", e, "--reason", e)
	return c, inc
}

// readers runs every command that prints stored text and checks none
// prints a forbidden rune raw; it returns the results by command.
func readers(t *testing.T, c *cli, inc string, eventID string) map[string]result {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle.json")
	cmds := [][]string{
		{"show", inc}, {"show", inc, "--json"}, {"timeline", inc}, {"timeline", inc, "--json"},
		{"list"}, {"list", "--json"}, {"deadlines"}, {"deadlines", inc}, {"deadlines", "--json"},
		{"log"}, {"log", "--json"}, {"roles"}, {"settings"}, {"signer", "list"}, {"token", "list"},
		{"report", "--incident", inc}, {"report", "--incident", inc, "--format", "html"},
		{"report", "--incident", inc, "--format", "csv"}, {"report", "--incident", inc, "--format", "json"},
		{"report", "--from", "2025-01-01T00:00:00Z", "--to", "2026-01-01T00:00:00Z"},
		{"register"}, {"register", "--format", "md"}, {"register", "--format", "html"}, {"register", "--format", "json"},
		{"replay"}, {"verify"}, {"verify", "--json"},
		{"prove", "inclusion", eventID}, {"prove", "consistency", "1", "latest"},
		{"export", "--bundle", bundle}, {"verify", "--bundle", bundle},
		{"signature", eventID}, {"note", inc, "one more", "--at", "2025-03-07T22:00:00Z"},
	}
	out := map[string]result{}
	for _, args := range cmds {
		r := c.run("auditor", args...)
		if args[0] == "note" {
			r = c.run("ian", args...)
		}
		assertNoRaw(t, strings.Join(args, " "), r)
		out[strings.Join(args, " ")] = r
	}
	return out
}

func TestNoForbiddenRuneReachesOutput(t *testing.T) {
	base, inc := evilLedger(t)
	var log []logEntry
	base.json(&log, "log")
	note := log[len(log)-2] // the note; the token is last

	t.Run("as recorded", func(t *testing.T) {
		c := copyLedger(t, base)
		res := readers(t, c, inc, note.EventID)
		for _, cmd := range []string{"show " + inc, "timeline " + inc, "list", "log", "report --incident " + inc} {
			if r := res[cmd]; r.code != 0 {
				t.Errorf("%s: exit %d\n%s", cmd, r.code, r.stderr)
			}
		}
		// A newline inside a cell prints as ⏎: no row is forged.
		for _, cmd := range []string{"list", "timeline " + inc} {
			out := res[cmd].stdout
			if strings.Contains(out, "\n| forged") || strings.Contains(out, "\nintact") || !strings.Contains(out, safetext.Newline) {
				t.Errorf("%s: a newline in a summary forged a row:\n%s", cmd, out)
			}
		}
		if r := res["verify"]; r.code != 0 {
			t.Errorf("verify of the untampered ledger: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("names and inputs refused", func(t *testing.T) {
		c := copyLedger(t, base)
		for _, name := range []string{"i\u200bvy", "ivy\u202e", "IVY", "ivy\tx"} {
			r := c.run("alice", "grant", name, "responder")
			assertNoRaw(t, "grant", r)
			if r.code != 4 || !strings.Contains(r.stderr, "actor-name") {
				t.Errorf("grant %q: exit %d, want 4 refused by rule actor-name\n%s", name, r.code, r.stderr)
			}
		}
		r := c.run("alice", "signer", "register", "ivy\u2066", sshKey(t, "evil")+".pub")
		assertNoRaw(t, "signer register", r)
		if r.code != 4 || !strings.Contains(r.stderr, "actor-name") {
			t.Errorf("signer register of a bidi name: exit %d, want 4 actor-name\n%s", r.code, r.stderr)
		}
		r = c.run("o\u202escar", "note", inc, "x")
		assertNoRaw(t, "--actor with a bidi override", r)
		if r.code != 2 {
			t.Errorf("--actor with a bidi override: exit %d, want 2\n%s", r.code, r.stderr)
		}
		r = c.run("ian", "note", inc, strings.ReplaceAll(evilFile[:len(evilFile)-3], "\x00", "")) // a command line cannot carry NUL
		assertNoRaw(t, "note with escape sequences", r)
		if r.code != 2 {
			t.Errorf("a note with escape sequences: exit %d, want 2 (refused at input)\n%s", r.code, r.stderr)
		}
		r = c.run("ian", "show", "INC\x1b[2J")
		assertNoRaw(t, "show of an ID with an escape sequence", r)
	})

	t.Run("stored through the file", func(t *testing.T) {
		// An old ledger, or an attacker: raw escape sequences, every
		// forbidden rune and invalid UTF-8 in a payload's text, in the
		// actor, type and stream of rows, and in leaf copies.
		c := copyLedger(t, base)
		hexEvil := fmt.Sprintf("%x", evilFile)
		k := note.Seq
		tamper(t, c.ledger,
			fmt.Sprintf(`UPDATE events SET payload = X'%x' WHERE seq = %d`, `{"text":`+jsonString(evilFile)+`}`, k),
			fmt.Sprintf(`UPDATE events SET actor = CAST(X'%s' AS TEXT) WHERE seq = %d`, hexEvil, k-1),
			fmt.Sprintf(`UPDATE events SET type = CAST(X'%s' AS TEXT) WHERE seq = %d`, hexEvil, k-2),
		)
		// A leaf copy rewritten with forbidden runes in its type, actor and stream.
		r := readRecord(t, c.ledger, k-3)
		r.Type, r.Actor, r.Stream = evilFile, evilFile, evilFile
		tamper(t, c.ledger, fmt.Sprintf(`UPDATE checkpoint_leaves SET leaf = X'%x' WHERE seq = %d`, integrity.LeafOf(r).Marshal(), k-3))
		res := readers(t, c, inc, note.EventID)
		if r := res["verify"]; r.code != 6 || !strings.Contains(r.stdout, "TAMPERED") {
			t.Errorf("verify of the tampered ledger: exit %d, want 6 and TAMPERED\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("escape sequences in a removed event's leaf copy", func(t *testing.T) {
		// The attack of the issue: the row is deleted, its leaf copy
		// rewritten so that verify's "missing" line carries escape
		// sequences that erase the TAMPERED lines and paint "intact".
		c := copyLedger(t, base)
		k := note.Seq - 1
		r := readRecord(t, c.ledger, k)
		r.Type = "Note\x1b[1A\x1b[2K\x1b[1A\x1b[2K\x1b[1A\x1b[2K\rintact\x1b[8m"
		r.Actor = "ian\x1b]0;pwned\x07\u202e"
		tamper(t, c.ledger, fmt.Sprintf(`DELETE FROM events WHERE seq = %d`, k),
			fmt.Sprintf(`UPDATE checkpoint_leaves SET leaf = X'%x' WHERE seq = %d`, integrity.LeafOf(r).Marshal(), k))
		for _, args := range [][]string{{"verify"}, {"verify", "--json"}} {
			res := c.run("auditor", args...)
			assertNoRaw(t, strings.Join(args, " "), res)
			if res.code != 6 {
				t.Errorf("%s: exit %d, want 6", strings.Join(args, " "), res.code)
			}
			if len(args) == 1 && (!strings.Contains(res.stdout, "TAMPERED") || !strings.Contains(res.stdout, `\x1b[2K`)) {
				t.Errorf("verify does not print TAMPERED and the escaped type:\n%s", res.stdout)
			}
		}
	})
}

// jsonString returns s as the body of a JSON string (quotes included)
// that keeps s's bytes: control characters escaped, invalid UTF-8 raw.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
