// Command appendone is the floor of the CLI append row of make bench: the
// least a separate process can do to append one signed event durably to a
// breachledger ledger file. It does the signature work of the CLI's signed
// append with the same libraries: it reads the actor's SSH key file and its
// .pub, signs the event's content envelope (integrity.SignEnvelope: SSHSIG,
// golang.org/x/crypto/ssh), reads the ledger key file and signs a
// checkpoint with it (integrity.LedgerKey.Sign: a C2SP signed note). It
// opens the file with the DSN the embedded store uses (WAL,
// synchronous=FULL, busy_timeout, BEGIN IMMEDIATE), and in one transaction
// reads the stream's length and the ledger's head and inserts one row,
// then closes the database and exits. No rules, no Merkle tree, no
// checkpoint row, no output. Without -key it signs nothing (the unsigned
// floor).
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"
	_ "modernc.org/sqlite"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
)

func main() {
	db := flag.String("db", "", "the ledger file")
	stream := flag.String("stream", "", "the stream to append to")
	key := flag.String("key", "", "the actor's SSH private key file (FILE.pub beside it): sign the event")
	ledgerKey := flag.String("ledger-key", "", "the ledger key file: sign a checkpoint")
	flag.Parse()
	if err := appendOne(*db, *stream, *key, *ledgerKey); err != nil {
		fmt.Fprintln(os.Stderr, "appendone:", err)
		os.Exit(1)
	}
}

func appendOne(path, stream, keyFile, ledgerKeyFile string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	id := make([]byte, 16)
	rand.Read(id)
	id[6] = id[6]&0x0f | 0x70 // version 7 layout (random bits stand in for the time)
	id[8] = id[8]&0x3f | 0x80
	at := time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC)
	payload := []byte(`{"text":"status update: investigation continues on cluster eu-3, no further access seen"}`)
	rec := eventstore.Record{ID: uuid.UUID(id), Stream: stream, Type: "NoteAdded", OccurredAt: at, Actor: "oscar", Payload: payload}
	var signature []byte
	if keyFile != "" {
		if signature, rec.Signer, err = sign(rec, keyFile); err != nil {
			return err
		}
	}
	if ledgerKeyFile != "" {
		b, err := os.ReadFile(ledgerKeyFile)
		if err != nil {
			return err
		}
		lk, err := integrity.ParseLedgerKey(string(b))
		if err != nil {
			return err
		}
		root := sha256.Sum256(integrity.EnvelopeOf(rec).Marshal())
		if _, err := lk.Sign(1, root[:]); err != nil {
			return err
		}
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
	now := time.Now().UTC().Truncate(time.Microsecond).UnixNano()
	_, err = tx.Exec(`INSERT INTO events
		(seq, event_id, stream, revision, type, occurred_at, actor, signer, signature, payload, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		head, id, stream, length, rec.Type, at.UnixNano(), rec.Actor, rec.Signer, signature, payload, now)
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return db.Close()
}

// sign reads the SSH key in keyFile (and keyFile.pub, as the CLI does when
// it looks for the actor's key) and signs rec's content envelope with it,
// returning the signature and the key's fingerprint.
func sign(rec eventstore.Record, keyFile string) ([]byte, string, error) {
	pb, err := os.ReadFile(keyFile + ".pub")
	if err != nil {
		return nil, "", err
	}
	if _, _, err := integrity.ParseSignerKey(string(pb)); err != nil {
		return nil, "", err
	}
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, "", err
	}
	s, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return nil, "", err
	}
	rec.Signer = integrity.Fingerprint(s.PublicKey())
	sig, err := integrity.SignEnvelope(integrity.EnvelopeOf(rec).Marshal(), s)
	return sig, rec.Signer, err
}
