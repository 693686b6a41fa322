package main_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
)

// The insider's forged row (issue 10, item 1). Someone with write access
// to a personal ledger's file inserts a row at the tail of events: no
// trigger refuses an INSERT of a new sequence. Before, a row recorded
// within a minute of the next honest append was covered by that append's
// checkpoint and verified intact ever after; a stale one made every append
// advise "checkpoint --accept-tail", which signed it. Now nothing is
// covered because of when it was recorded: readers and writers stop at it
// (exit 6, naming it) until the ledger key's holder rejects it, and a
// rejected row never counts.

// forgeTail inserts a copy of the record at seq as a new event at the
// tail, in the same stream, with a type (when not empty), payload and
// business time of its own, recorded now (within any grace window of the
// next append).
func forgeTail(tb testing.TB, path string, seq uint64, typ, payload string, at time.Time) eventstore.Record {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	var head, rev int64
	row := readRecord(tb, path, seq)
	if err := db.QueryRow(`SELECT count(*) FROM events`).Scan(&head); err != nil {
		tb.Fatal(err)
	}
	if err := db.QueryRow(`SELECT max(revision) FROM events WHERE stream = ?`, row.Stream).Scan(&rev); err != nil {
		tb.Fatal(err)
	}
	db.Close()
	row.ID, row.Sequence, row.Revision = uuid.Must(uuid.NewV7()), uint64(head), uint64(rev+1)
	row.Payload, row.OccurredAt, row.RecordedAt = []byte(payload), at, time.Now().UTC()
	row.Signer, row.Signature = "", nil
	if typ != "" {
		row.Type = typ
	}
	insertRecord(tb, path, row)
	return row
}

func countEvents(tb testing.TB, path string) int {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestForgedTailRow: a forged note at the tail of a personal ledger.
func TestForgedTailRow(t *testing.T) {
	c, inc, log := smallLedger(t)
	forged := forgeTail(t, c.ledger, uint64(len(log)-1), "", `{"text":"forged: the attacker was never here"}`, mustTime(t, "2025-03-07T15:00:00Z"))
	id := forged.ID.String()

	t.Run("readers stop at it, naming it", func(t *testing.T) {
		for _, args := range [][]string{
			{"show", inc}, {"timeline", inc}, {"list"}, {"deadlines"}, {"log"}, {"roles"},
			{"report", "--incident", inc, "--format", "md"}, {"register"}, {"replay"},
		} {
			r := c.run("auditor", args...)
			if r.code != 6 || !strings.Contains(r.stderr, id) || strings.Contains(r.stdout, "the attacker was never here") {
				t.Errorf("%s: exit %d, want 6 naming %s and printing nothing of it\n%s%s", strings.Join(args, " "), r.code, id, r.stdout, r.stderr)
			}
		}
	})

	t.Run("the next append refuses and appends nothing", func(t *testing.T) {
		before := countEvents(t, c.ledger)
		r := c.run("oscar", "note", inc, "honest note")
		if r.code != 6 || !strings.Contains(r.stderr, id) || !strings.Contains(r.stderr, "nothing was recorded") || !strings.Contains(r.stderr, fmt.Sprintf("--reject %d", forged.Sequence)) {
			t.Errorf("append after a forged row: exit %d, want 6 naming it and the way out\n%s%s", r.code, r.stdout, r.stderr)
		}
		if got := countEvents(t, c.ledger); got != before {
			t.Errorf("%d events after the refused append, want %d", got, before)
		}
		if r := c.run("alice", "checkpoint"); r.code != 6 || !strings.Contains(r.stderr, id) {
			t.Errorf("checkpoint over a forged row: exit %d, want 6 naming it\n%s", r.code, r.stderr)
		}
	})

	t.Run("refreshing its recorded time changes nothing", func(t *testing.T) {
		tamper(t, c.ledger, fmt.Sprintf(`UPDATE events SET recorded_at = %d WHERE seq = %d`, time.Now().UnixNano(), forged.Sequence))
		if r := c.run("oscar", "note", inc, "honest note"); r.code != 6 || !strings.Contains(r.stderr, id) {
			t.Errorf("append after a freshly stamped forged row: exit %d, want 6\n%s", r.code, r.stderr)
		}
	})

	t.Run("only the key holder resolves it, once", func(t *testing.T) {
		if r := c.run("alice", "checkpoint", "--reject", fmt.Sprint(forged.Sequence)); r.code != 2 || !strings.Contains(r.stderr, "--reason") {
			t.Errorf("--reject without --reason: exit %d, want 2 naming --reason\n%s", r.code, r.stderr)
		}
		if r := c.run("oscar", "checkpoint", "--reject", fmt.Sprint(forged.Sequence), "--reason", "r"); r.code != 4 {
			t.Errorf("--reject by a responder: exit %d, want 4\n%s", r.code, r.stderr)
		}
		if r := c.run("alice", "checkpoint", "--reject", "2", "--reason", "r"); r.code != 4 || !strings.Contains(r.stderr, "covered") {
			t.Errorf("--reject of a covered event: exit %d, want 4\n%s", r.code, r.stderr)
		}
		r := c.run("alice", "checkpoint", "--reject", fmt.Sprint(forged.Sequence), "--reason", "inserted into the file by hand")
		if r.code != 0 || !strings.Contains(r.stdout, "never counts") {
			t.Fatalf("--reject: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r := c.run("alice", "checkpoint", "--reject", fmt.Sprint(forged.Sequence), "--reason", "again"); r.code != 4 {
			t.Errorf("a second --reject of the same row: exit %d, want 4\n%s", r.code, r.stderr)
		}
	})

	t.Run("appends resume and the row never counts", func(t *testing.T) {
		c.ok("oscar", "note", inc, "honest note")
		tl := c.ok("auditor", "timeline", inc)
		if strings.Contains(tl, "attacker") || !strings.Contains(tl, "honest note") {
			t.Errorf("timeline after the rejection:\n%s", tl)
		}
		var entries []logEntry
		c.json(&entries, "log")
		for _, e := range entries {
			if e.EventID == id {
				t.Errorf("log lists the rejected row")
			}
		}
		if got, want := len(entries), len(log)+2; got != want { // + the rejection, + the honest note
			t.Errorf("log has %d events, want %d", got, want)
		}
		// The forged row is also unsigned, on a ledger in signed mode:
		// verify says both.
		r := verifyFails(t, c, forged.Sequence, id)
		for _, w := range []string{"rejected", "inserted into the file by hand", "signature-required"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("verify does not say %q of the rejected row:\n%s", w, r.stdout)
			}
		}
		rep := c.ok("auditor", "report", "--incident", inc, "--format", "md")
		if strings.Contains(rep, "attacker") || !strings.Contains(rep, "rejected by") || !strings.Contains(rep, id) {
			t.Errorf("the report does not leave the rejected row out while saying so:\n%s", rep)
		}
		for _, args := range [][]string{{"replay"}, {"deadlines"}, {"list"}, {"register"}} {
			c.ok("auditor", args...)
		}
	})
}

// TestRejectAHostileRow: a forged row whose type and stream carry escape
// sequences and bidi overrides can still be rejected, and nothing of it
// reaches the terminal raw.
func TestRejectAHostileRow(t *testing.T) {
	c, inc, log := smallLedger(t)
	row := readRecord(t, c.ledger, uint64(len(log)-1))
	row.ID, row.Sequence, row.Revision = uuid.Must(uuid.NewV7()), uint64(len(log)), 0
	row.Type, row.Stream = "Note\x1b[2J\u202eAdded", "incident-\x1b]0;owned\x07"+strings.Repeat("x", 300)
	row.RecordedAt = time.Now().UTC()
	insertRecord(t, c.ledger, row)
	for _, r := range []result{c.run("auditor", "show", inc), c.run("oscar", "note", inc, "n")} {
		if r.code != 6 || strings.ContainsAny(r.stdout+r.stderr, "\x1b\u202e\x07") {
			t.Errorf("exit %d, want 6 with nothing raw:\n%q", r.code, r.stderr)
		}
	}
	r := c.run("alice", "checkpoint", "--reject", fmt.Sprint(row.Sequence), "--reason", "hostile row")
	if r.code != 0 || strings.ContainsAny(r.stdout+r.stderr, "\x1b\u202e\x07") {
		t.Fatalf("--reject of a hostile row: exit %d\n%q%q", r.code, r.stdout, r.stderr)
	}
	c.ok("oscar", "note", inc, "after the rejection")
	if r := c.run("auditor", "verify"); r.code != 6 || strings.ContainsAny(r.stdout+r.stderr, "\x1b\u202e\x07") || !strings.Contains(r.stdout, row.ID.String()) {
		t.Errorf("verify: exit %d, want 6 naming the row with nothing raw\n%q", r.code, r.stdout)
	}
}

// TestLegacyTailAccepted: a tail an older breachledger left without its
// checkpoint (it appended, then stopped before checkpointing) stops
// readers until the key holder accepts it, once; reports say so.
func TestLegacyTailAccepted(t *testing.T) {
	c, inc, _ := recordSmall(t, true) // an older breachledger made no ledger in signed mode
	ctx := context.Background()
	st, err := sqlite.Open(ctx, c.ledger, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	typ, payload, _ := domain.Encode(domain.NoteAdded{Text: "appended by v0.9, which stopped before its checkpoint"})
	at := mustTime(t, "2025-03-07T16:00:00Z")
	if _, err := st.Append(ctx, domain.IncidentStream(inc), eventstore.Any, []eventstore.Record{{ID: uuid.Must(uuid.NewV7()), Type: typ, OccurredAt: at, Actor: "oscar", Payload: payload}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if r := c.run("auditor", "timeline", inc); r.code != 6 {
		t.Errorf("timeline over an uncovered tail: exit %d, want 6\n%s", r.code, r.stderr)
	}
	if r := c.run("alice", "checkpoint", "--accept-legacy-tail"); r.code != 2 {
		t.Errorf("--accept-legacy-tail without --reason: exit %d, want 2", r.code)
	}
	out := c.ok("alice", "checkpoint", "--accept-legacy-tail", "--reason", "v0.9 stopped between append and checkpoint")
	if !strings.Contains(out, "accepted as genuine") {
		t.Errorf("--accept-legacy-tail printed:\n%s", out)
	}
	if tl := c.ok("auditor", "timeline", inc); !strings.Contains(tl, "appended by v0.9") {
		t.Errorf("the accepted tail is not in the timeline:\n%s", tl)
	}
	if rep := c.ok("auditor", "report", "--incident", inc, "--format", "md"); !strings.Contains(rep, "accepted as genuine by") {
		t.Errorf("the report does not show the accepted tail:\n%s", rep)
	}
	if r := c.run("auditor", "verify"); r.code != 0 {
		t.Errorf("verify after accepting the legacy tail: exit %d\n%s", r.code, r.stdout)
	}
	// Once per ledger: a second uncovered tail is not accepted.
	forgeTail(t, c.ledger, 3, "", `{"text":"a second tail"}`, at)
	if r := c.run("alice", "checkpoint", "--accept-legacy-tail", "--reason", "again"); r.code != 4 || !strings.Contains(r.stderr, "legacy-tail-once") {
		t.Errorf("a second --accept-legacy-tail: exit %d, want 4 (legacy-tail-once)\n%s", r.code, r.stderr)
	}
}

// TestForgedTokenRow: a forged APITokenIssued at the tail plants a working
// read token; the running API server must not honour it.
func TestForgedTokenRow(t *testing.T) {
	c, _, log := smallLedger(t)
	srv := startServe(t, c)
	_, secret := issueToken(t, c, "grc-export")
	if code, _ := srv.get(t, "GET", "/v1/incidents", secret); code != 200 {
		t.Fatalf("honest token: %d", code)
	}
	var ledgerSeq uint64
	for _, e := range log {
		if e.Stream == "ledger" {
			ledgerSeq = e.Seq
		}
	}
	backdoor := "blt_backdoor"
	sum := sha256.Sum256([]byte(backdoor))
	payload, _ := json.Marshal(map[string]string{"token": "T9", "name": "backdoor", "sha256": hex.EncodeToString(sum[:])})
	forged := forgeTail(t, c.ledger, ledgerSeq, "APITokenIssued", string(payload), time.Now().UTC())
	code, body := srv.get(t, "GET", "/v1/incidents", backdoor)
	if code == http.StatusOK {
		t.Errorf("the forged token reads the API:\n%s", body)
	}
	if code, body := srv.get(t, "GET", "/v1/incidents", secret); code == http.StatusOK || !strings.Contains(string(body), `"integrity"`) {
		t.Errorf("an honest read over a forged row: %d %s, want an integrity error", code, body)
	}
	if r := c.run("auditor", "token", "list"); r.code != 6 || !strings.Contains(r.stderr, forged.ID.String()) {
		t.Errorf("token list over a forged row: exit %d, want 6 naming it\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestForgedNoticeCannotSilenceTheAlarm: a forged customer notice dated
// before the due time would turn an overdue deadline "met" and make
// "deadlines" exit 0; the reader exits 6 instead.
func TestForgedNoticeCannotSilenceTheAlarm(t *testing.T) {
	c := newLedger(t)
	inc := runScenario(t, c)
	asOf := "2025-03-12T12:00:00Z" // fabrikam's notice is overdue then (make demo)
	if r := c.run("auditor", "deadlines", "--as-of", asOf, "--overdue"); r.code != 7 {
		t.Fatalf("deadlines --overdue before the forgery: exit %d, want 7\n%s", r.code, r.stdout)
	}
	var entries []logEntry
	c.json(&entries, "log", "--incident", inc)
	var notice uint64
	for _, e := range entries {
		var n struct{ Customer string }
		if e.Type == "NotificationSent" && json.Unmarshal(e.Payload, &n) == nil && n.Customer == "fabrikam" {
			notice = e.Seq
		}
	}
	r := readRecord(t, c.ledger, notice)
	var p map[string]any
	if err := json.Unmarshal(r.Payload, &p); err != nil || p["customer"] != "fabrikam" {
		t.Fatalf("notice %d is not fabrikam's: %s", notice, r.Payload)
	}
	p["delay_reason"] = ""
	payload, _ := json.Marshal(p)
	forged := forgeTail(t, c.ledger, notice, "", string(payload), mustTime(t, "2025-03-12T10:00:00Z"))
	rr := c.run("auditor", "deadlines", "--as-of", asOf, "--overdue")
	if rr.code != 6 || !strings.Contains(rr.stderr, forged.ID.String()) {
		t.Errorf("deadlines --overdue over a forged notice: exit %d, want 6 naming it\n%s%s", rr.code, rr.stdout, rr.stderr)
	}
}
