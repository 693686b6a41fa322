package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/ledger"
)

// TestBadInputCatalogue is issue 7's catalogue of bad input: unknown IDs,
// bad enums, malformed and future times, empty and 10 MB strings, invalid
// UTF-8, NUL bytes, wrong roles, truncated or altered bundles, wrong keys,
// unknown flags. Each must end in a clear message and a non-zero exit, and
// the ledger must be byte for byte what it was (its full dump and its
// history digest).
//
// It runs the CLI in this process (run, which is all main does): a 10 MB
// argument cannot be passed to a child process (Linux caps one argument at
// 128 KiB), and in-process runs keep the catalogue fast under -race.
func TestBadInputCatalogue(t *testing.T) {
	dir := t.TempDir()
	// The people's own SSH keys: the tests' cast (TestMain, e2e_test.go).
	cast := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "breachledger", "signers")
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	signers := filepath.Join(dir, "config", "breachledger", "signers")
	if err := os.CopyFS(signers, os.DirFS(cast)); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"BREACHLEDGER_LEDGER", "BREACHLEDGER_ACTOR", "BREACHLEDGER_INCIDENT", "BREACHLEDGER_LEDGER_KEY", "BREACHLEDGER_SIGN_KEY", "BREACHLEDGER_SSH_AGENT", "BREACHLEDGER_CALENDAR"} {
		t.Setenv(v, "")
	}
	path := filepath.Join(dir, "ledger.db")
	file := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bl := func(actor string, args ...string) (string, string, int) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"breachledger", "--ledger", path, "--actor", actor}, args...), &stdout, &stderr, time.Now)
		return stdout.String(), stderr.String(), code
	}
	ok := func(actor string, args ...string) string {
		t.Helper()
		out, errOut, code := bl(actor, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, errOut)
		}
		return strings.TrimSpace(out)
	}

	ok("alice", "init", "--name", "bad input", "--at", "2025-03-01T00:00:00Z")
	ok("alice", "setting", "backdate-window", "36500d", "--at", "2025-03-01T00:00:00Z", "--reason", "a 2025 history recorded now") // a 2025 history recorded now (cli.widenBackdateWindow)
	for actor, role := range map[string]string{"oscar": "responder", "sam": "security-response", "ivy": "security-incident-manager"} {
		ok("alice", "grant", actor, role, "--at", "2025-03-01T00:01:00Z")
		ok("alice", "signer", "register", actor, filepath.Join(signers, actor+".pub"), "--at", "2025-03-01T00:01:00Z")
	}
	ok("alice", "signer", "register", "ned", filepath.Join(signers, "ned.pub"), "--at", "2025-03-01T00:01:00Z") // a key, no role
	inc := ok("oscar", "detect", "-q", "--source", "customer-report", "--summary", "tenant data on a paste site", "--at", "2025-03-07T21:40:00Z")
	ok("oscar", "note", inc, "first note", "--at", "2025-03-07T22:00:00Z")
	bundle := filepath.Join(dir, "full.bundle")
	ok("alice", "export", "--bundle", bundle)
	pub := filepath.Join(dir, "ledger.pub")
	ok("alice", "key", "public", "-o", pub)
	kept := filepath.Join(dir, "kept.checkpoint")
	ok("alice", "checkpoint", "-o", kept)
	proof := filepath.Join(dir, "inclusion.proof")
	noteID := ok("oscar", "note", inc, "second note", "--at", "2025-03-07T23:00:00Z", "-q")
	ok("alice", "prove", "inclusion", noteID, "-o", proof)

	// Another ledger's public key.
	otherPath := filepath.Join(dir, "other.db")
	var sink bytes.Buffer
	if code := run(context.Background(), []string{"breachledger", "--ledger", otherPath, "--actor", "alice", "init", "--name", "other"}, &sink, &sink, time.Now); code != 0 {
		t.Fatalf("init other: %s", sink.String())
	}
	otherPub := filepath.Join(dir, "other.pub")
	if code := run(context.Background(), []string{"breachledger", "--ledger", otherPath, "key", "public", "-o", otherPub}, &sink, &sink, time.Now); code != 0 {
		t.Fatalf("key public other: %s", sink.String())
	}

	bundleBytes, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	truncated := file("truncated.bundle", bundleBytes[:len(bundleBytes)/2])
	altered := file("altered.bundle", bytes.Replace(bundleBytes, []byte(`"actor": "oscar"`), []byte(`"actor": "mallory"`), 1))
	if bytes.Equal(bundleBytes, readFileT(t, altered)) {
		t.Fatal("the altered bundle is not altered")
	}
	cpBytes := readFileT(t, kept)
	alteredCP := file("altered.checkpoint", regexp.MustCompile(`(?m)^\d+$`).ReplaceAll(cpBytes, []byte("999")))
	proofBytes := readFileT(t, proof)
	truncatedProof := file("truncated.proof", proofBytes[:len(proofBytes)*2/3])
	tenMB := strings.Repeat("A", 10<<20)
	bigFile := file("ten-mb", []byte(tenMB))
	bigLine := file("ten-mb-line.cal", []byte("DE 2025-03-10 "+tenMB+"\n"))
	notALedger := file("notes.txt", []byte("this is not a ledger\n"))

	type tc struct {
		name   string
		actor  string
		args   []string
		code   int
		stderr []string // each must appear
	}
	cases := []tc{
		// Unknown IDs.
		{"unknown incident (write)", "oscar", []string{"note", "2uNOSUCHINCIDENTxxxxxxxxxxx", "x"}, 3, []string{"not found"}},
		{"unknown incident (show)", "auditor", []string{"show", "2uNOSUCHINCIDENTxxxxxxxxxxx"}, 3, []string{"not found"}},
		{"unknown incident (timeline)", "auditor", []string{"timeline", "NOSUCH"}, 3, []string{"not found"}},
		{"unknown event to correct", "oscar", []string{"correct", inc, "01a22000-0000-7000-8000-000000000000", "--set", "text=x", "--reason", "r"}, 3, []string{"not found"}},
		{"malformed event ID to correct", "oscar", []string{"correct", inc, "not-a-uuid", "--set", "text=x", "--reason", "r"}, 3, []string{"not-a-uuid"}},
		{"unknown request to approve", "ivy", []string{"approve", inc, "R9"}, 3, []string{"R9"}},
		{"unknown event to prove", "auditor", []string{"prove", "inclusion", "01a22000-0000-7000-8000-000000000000"}, 3, []string{"not found"}},
		{"unknown ledger file", "auditor", []string{"--ledger", filepath.Join(dir, "missing.db"), "list"}, 3, []string{"no ledger"}},
		{"a file that is not a ledger", "auditor", []string{"--ledger", notALedger, "list"}, 1, []string{"not a SQLite database"}},
		// Bad enums.
		{"bad classification", "sam", []string{"classify", inc, "severe"}, 2, []string{`"severe": unknown value`, "privacy-breach"}},
		{"bad source", "oscar", []string{"detect", "--source", "pager", "--summary", "x"}, 2, []string{"--source", "unknown value"}},
		{"bad functional impact", "oscar", []string{"assess", inc, "-f", "enormous", "-r", "regular", "-i", "none"}, 2, []string{"enormous", "unknown value"}},
		{"bad stage", "sam", []string{"stage", inc, "sideways"}, 2, []string{"sideways", "unknown value"}},
		{"bad role", "alice", []string{"grant", "bob", "overlord"}, 2, []string{"overlord", "unknown value"}},
		{"bad recipient kind", "ivy", []string{"notify", inc, "--to", "pigeon", "--recipient", "x"}, 2, []string{"pigeon", "unknown value"}},
		{"unknown setting", "alice", []string{"setting", "colour", "72h"}, 2, []string{"colour", "unknown setting"}},
		{"bad duration", "alice", []string{"setting", "customer-notice-window", "3 lightyears"}, 2, []string{"lightyears"}},
		{"bad count", "sam", []string{"scope", inc, "--subjects", "-5"}, 2, []string{"--subjects", "whole number"}},
		{"bad --due-within", "auditor", []string{"deadlines", "--due-within", "forever"}, 2, []string{"forever"}},
		// Malformed and future times.
		{"time that is a word", "oscar", []string{"note", inc, "x", "--at", "yesterday"}, 2, []string{"not a time"}},
		{"time without a zone", "oscar", []string{"note", inc, "x", "--at", "2025-03-10T10:00:00"}, 2, []string{"no time zone"}},
		{"impossible date", "oscar", []string{"note", inc, "x", "--at", "2025-02-30T10:00:00Z"}, 2, []string{"not a time"}},
		{"five-digit year", "oscar", []string{"note", inc, "x", "--at", "10000-01-01T00:00:00Z"}, 2, []string{"not a time"}},
		{"malformed --as-of", "auditor", []string{"show", inc, "--as-of", "03/07/2025"}, 2, []string{"not a time"}},
		{"malformed --known-at", "auditor", []string{"deadlines", "--known-at", "2025-13-01T00:00:00Z"}, 2, []string{"not a time"}},
		{"future business time", "oscar", []string{"note", inc, "later", "--at", "2999-01-01T00:00:00Z"}, 4, []string{"future-time"}},
		{"future awareness", "oscar", []string{"detect", "--source", "customer-report", "--summary", "s", "--aware-at", "2999-01-01T00:00:00Z"}, 4, []string{"future-time"}},
		{"fact before the detection", "oscar", []string{"note", inc, "early", "--at", "2020-01-01T00:00:00Z"}, 4, []string{"before-detection"}},
		// Empty and 10 MB strings.
		{"empty summary", "oscar", []string{"detect", "--source", "customer-report", "--summary", ""}, 2, []string{"--summary is required"}},
		{"empty note", "oscar", []string{"note", inc, ""}, 2, []string{"missing argument TEXT"}},
		{"empty incident argument", "oscar", []string{"note", "", "x"}, 3, []string{`incident "" not found`}},
		{"10 MB summary", "oscar", []string{"detect", "--source", "customer-report", "--summary", tenMB}, 2, []string{"summary", "65536-byte limit"}},
		{"10 MB note", "oscar", []string{"note", inc, tenMB}, 2, []string{"text", "65536-byte limit"}},
		{"10 MB incident ID", "oscar", []string{"note", tenMB, "x"}, 3, []string{"not found"}},
		{"10 MB bundle of garbage", "auditor", []string{"verify", "--bundle", bigFile, "--key", pub}, 6, []string{"read bundle"}},
		{"10 MB line in a calendar", "alice", []string{"calendar", "set", bigLine}, 2, []string{"text", "65536-byte limit"}},
		{"10 MB signer key file", "alice", []string{"signer", "register", "oscar", bigFile}, 2, []string{"key"}},
		// Invalid UTF-8 and NUL bytes.
		{"invalid UTF-8 in a summary", "oscar", []string{"detect", "--source", "customer-report", "--summary", "caf\xe9 \xff"}, 2, []string{"UTF-8"}},
		{"invalid UTF-8 in a note", "oscar", []string{"note", inc, "\xc3\x28"}, 2, []string{"UTF-8"}},
		{"NUL byte in a note", "oscar", []string{"note", inc, "before\x00after"}, 2, []string{"NUL"}},
		{"NUL byte in a reference", "oscar", []string{"detect", "--source", "customer-report", "--summary", "s", "--reference", "x\x00y"}, 2, []string{"reference", "NUL"}},
		{"NUL byte in an actor", "os\x00car", []string{"note", inc, "x"}, 2, []string{"--actor", "NUL"}},
		{"invalid UTF-8 in an actor", "\xff\xfe", []string{"note", inc, "x"}, 2, []string{"--actor", "UTF-8"}},
		{"10 MB actor", tenMB, []string{"init", "--name", "x"}, 2, []string{"--actor", "byte limit"}},
		// Wrong roles.
		{"declare without the role", "sam", []string{"declare", inc, "--basis", "evidence", "--reasoning", "logs"}, 4, []string{"declare-role", "security-incident-manager"}},
		{"grant by a non-admin", "oscar", []string{"grant", "oscar", "admin"}, 4, []string{"grant-role"}},
		{"write by an actor with no key", "mallory", []string{"note", inc, "x"}, 4, []string{"signature-required", "signer keygen mallory"}},
		{"write by an actor with no role", "ned", []string{"note", inc, "x"}, 4, []string{"note-role"}},
		{"classify by a responder", "oscar", []string{"classify", inc, "security-incident"}, 4, []string{"classify-role"}},
		// Truncated or altered bundles, proofs and checkpoints; wrong keys.
		{"truncated bundle", "auditor", []string{"verify", "--bundle", truncated, "--key", pub}, 6, []string{"read bundle"}},
		{"altered bundle", "auditor", []string{"verify", "--bundle", altered, "--key", pub}, 6, []string{"TAMPERED"}},
		{"bundle under another ledger's key", "auditor", []string{"verify", "--bundle", bundle, "--key", otherPub}, 6, []string{"not signed by the ledger key"}},
		{"ledger under another ledger's key", "auditor", []string{"verify", "--key", otherPub}, 6, []string{"integrity failure"}},
		{"malformed key", "auditor", []string{"verify", "--key", "not+a+key"}, 2, []string{"--key"}},
		{"altered kept checkpoint", "auditor", []string{"verify", "--against", alteredCP}, 6, []string{"--against"}},
		{"truncated proof", "auditor", []string{"verify", "--proof", truncatedProof, "--key", pub}, 6, []string{"proof"}},
		// Unknown flags, commands, missing arguments.
		{"unknown flag", "oscar", []string{"note", inc, "x", "--colour", "red"}, 2, []string{"flag provided but not defined: -colour"}},
		{"unknown global flag", "oscar", []string{"--frobnicate", "list"}, 2, []string{"flag provided but not defined"}},
		{"unknown command", "oscar", []string{"frobnicate"}, 2, []string{"unknown command"}},
		{"missing argument", "sam", []string{"stage", inc}, 2, []string{"missing argument STAGE"}},
		{"extra argument", "auditor", []string{"verify", "extra"}, 2, []string{"unexpected argument"}},
		{"flag without its value", "oscar", []string{"note", inc, "x", "--at"}, 2, []string{"--at", "not a time"}},
	}
	if len(cases) < 40 {
		t.Fatalf("the catalogue has %d cases, issue 7 asks for at least 40", len(cases))
	}

	state := func() string {
		t.Helper()
		var b bytes.Buffer
		if err := sqlite.DumpFile(context.Background(), path, &b); err != nil {
			t.Fatal(err)
		}
		st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		head, err := st.Head(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sum, err := ledger.HistoryDigest(context.Background(), st, head)
		if err != nil {
			t.Fatal(err)
		}
		return "history sha256:" + hex.EncodeToString(sum[:]) + "\n" + b.String()
	}
	before := state()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := bl(c.actor, c.args...)
			if code == 0 || code != c.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, clipOutput(stdout), clipOutput(stderr))
			}
			if !strings.HasPrefix(stderr, "breachledger: ") && !strings.Contains(stderr, "TAMPERED") {
				t.Errorf("stderr does not start with a message:\n%s", clipOutput(stderr))
			}
			for _, want := range c.stderr {
				if !strings.Contains(stderr+stdout, want) {
					t.Errorf("the message does not say %q:\n%s%s", want, clipOutput(stdout), clipOutput(stderr))
				}
			}
			if len(stderr) > 4096 {
				t.Errorf("a %d-byte message: bad input must not be echoed back whole", len(stderr))
			}
			if after := state(); after != before {
				t.Errorf("the ledger changed")
			}
		})
	}
}

func readFileT(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// clipOutput shortens a long output for a failure message.
func clipOutput(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
