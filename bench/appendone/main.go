// Command appendone is the baseline of the CLI append row of make bench: the
// least a separate process can do to append one event durably to a
// breachledger ledger file. It opens the file with the DSN the embedded store
// uses (WAL, synchronous=FULL, busy_timeout, BEGIN IMMEDIATE), and in one
// transaction reads the stream's length and the ledger's head and inserts
// one row, then closes the database and exits. No rules, no checkpoint, no
// output.
package main

import (
	"crypto/rand"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite"
)

func main() {
	db := flag.String("db", "", "the ledger file")
	stream := flag.String("stream", "", "the stream to append to")
	flag.Parse()
	if err := appendOne(*db, *stream); err != nil {
		fmt.Fprintln(os.Stderr, "appendone:", err)
		os.Exit(1)
	}
}

func appendOne(path, stream string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var length, head int64
	if err := tx.QueryRow(`SELECT coalesce(max(revision) + 1, 0) FROM events WHERE stream = ?`, stream).Scan(&length); err != nil {
		return err
	}
	if err := tx.QueryRow(`SELECT coalesce(max(seq) + 1, 0) FROM events`).Scan(&head); err != nil {
		return err
	}
	id := make([]byte, 16)
	rand.Read(id)
	id[6] = id[6]&0x0f | 0x70 // version 7 layout (random bits stand in for the time)
	id[8] = id[8]&0x3f | 0x80
	now := time.Now().UTC().Truncate(time.Microsecond).UnixNano()
	payload := []byte(`{"text":"status update: investigation continues on cluster eu-3, no further access seen"}`)
	_, err = tx.Exec(`INSERT INTO events
		(seq, event_id, stream, revision, type, occurred_at, actor, signer, signature, payload, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		head, id, stream, length, "NoteAdded", now, "oscar", "", nil, payload, now)
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return db.Close()
}
