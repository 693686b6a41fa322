// Package cosigner is a C2SP tlog-witness (c2sp.org/tlog-witness): it
// cosigns a log's checkpoint only as a consistent extension of the last
// one it cosigned for the same log, with timestamped cosignature/v1
// signatures (c2sp.org/tlog-cosignature). It is what "breachledger witness
// serve" runs, for an auditor who wants one binary; it mirrors
// filippo.io/torchwood's litewitness, which the product's tests also run,
// on the same signed-note libraries (golang.org/x/mod/sumdb/note,
// github.com/transparency-dev/formats) and Merkle proofs
// (github.com/transparency-dev/merkle).
//
// Its state is a SQLite file of its own (DB), never a ledger: per log
// (origin) the size and root of the checkpoint it last cosigned, and the
// log's verifier keys. A log's origin is never removed: re-adding it would
// start it again from 0 and let the log show two histories.
//
// One call, POST /add-checkpoint, with the body
//
//	old OLDSIZE
//	PROOF LINE (base64; at most 63)
//	(an empty line)
//	THE SIGNED CHECKPOINT
//
// and the answers the protocol gives: 200 with the cosignature line; 400 a
// malformed request or OLDSIZE above the checkpoint's size; 403 no
// signature of a key trusted for the origin, or one that does not verify;
// 404 an origin the witness does not know (litewitness v0.6.1 answers 403
// here; the protocol says 404); 409, Content-Type text/x.tlog.size, with
// the size it last cosigned ("N\n") when OLDSIZE is not that size; 422 a
// consistency proof that does not hold, one given from 0, another root at
// the same size, or a checkpoint of size 0 whose root is not the empty
// tree's. The check of OLDSIZE and the update of the state are one
// transaction: of two requests from the same size, one is cosigned and
// the other gets 409.
package cosigner

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/breachledger/breachledger/safetext"
)

// MaxBody bounds an add-checkpoint request (as litewitness's 10 KiB): 63
// proof lines and a checkpoint with its signatures fit well within.
const MaxBody = 10 << 10

// MaxProof is the most consistency proof lines a request may carry.
const MaxProof = 63

// A Witness answers add-checkpoint requests from its state (a DB) and
// cosigns with its key.
type Witness struct {
	db     *DB
	signer *fnote.Signer
	vkey   string
	log    *slog.Logger

	// beforePersist, when set, runs between the checks of a request and
	// the update of the state (tests: two requests checked against the
	// same state).
	beforePersist func()
}

// New returns a witness on db that signs with the signer key skey
// (NewSigner), logging one line per request to logger (nil: none).
func New(db *DB, skey string, logger *slog.Logger) (*Witness, error) {
	s, vkey, err := NewSigner(skey)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Witness{db: db, signer: s, vkey: vkey, log: logger}, nil
}

// Name returns the witness's name, as its cosignature lines give it.
func (w *Witness) Name() string { return w.signer.Name() }

// VerifierKey returns the witness's cosignature/v1 verifier key,
// NAME+HASH+BASE64 (type 0x04): what a ledger's "witness add" and an
// auditor's "verify --witness" take.
func (w *Witness) VerifierKey() string { return w.vkey }

// A refusal is a request the witness does not cosign: its HTTP status and
// why.
type refusal struct {
	status int
	reason string
	size   uint64 // 409: the size the witness last cosigned
}

func (r *refusal) Error() string { return r.reason }

func refuse(status int, format string, args ...any) *refusal {
	return &refusal{status: status, reason: fmt.Sprintf(format, args...)}
}

// request is what the log line says of one request.
type request struct {
	origin     string
	old, size  uint64
	sized      bool   // size was read from the checkpoint
	checkpoint []byte // the signed checkpoint, once its signature verified
}

// ServeHTTP answers POST /add-checkpoint; anything else is 404, or 405
// for another method on /add-checkpoint. It logs one line per request.
func (w *Witness) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var rq request
	var status int
	var err error
	switch {
	case r.URL.Path != "/add-checkpoint":
		status, err = http.StatusNotFound, refuse(http.StatusNotFound, "no such call: a witness answers POST /add-checkpoint")
		http.Error(rw, err.Error(), status)
	case r.Method != http.MethodPost:
		rw.Header().Set("Allow", http.MethodPost)
		status, err = http.StatusMethodNotAllowed, refuse(http.StatusMethodNotAllowed, "add-checkpoint is a POST")
		http.Error(rw, err.Error(), status)
	default:
		status, err = w.serveAddCheckpoint(rw, r, &rq)
	}
	attrs := []any{"method", safetext.Line(r.Method), "path", safetext.Line(r.URL.Path), "status", status, "remote", r.RemoteAddr, "took", time.Since(start).Round(time.Microsecond).String()}
	if rq.origin != "" {
		attrs = append(attrs, "origin", safetext.Line(rq.origin), "old", rq.old)
	}
	if rq.sized {
		attrs = append(attrs, "size", rq.size)
	}
	if err != nil {
		attrs = append(attrs, "reason", safetext.Line(err.Error()))
	}
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case status == http.StatusUnprocessableEntity:
		// A validly signed checkpoint that is not consistent with what
		// the witness cosigned: kept in the log as evidence of a fork
		// (the protocol allows it).
		level = slog.LevelWarn
		if rq.checkpoint != nil {
			attrs = append(attrs, "checkpoint", safetext.Line(string(rq.checkpoint)))
		}
	}
	w.log.Log(r.Context(), level, "add-checkpoint", attrs...)
}

func (w *Witness) serveAddCheckpoint(rw http.ResponseWriter, r *http.Request, rq *request) (int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		err = refuse(http.StatusRequestEntityTooLarge, "the request is over %d bytes", MaxBody)
		http.Error(rw, err.Error(), http.StatusRequestEntityTooLarge)
		return http.StatusRequestEntityTooLarge, err
	case err != nil:
		err = refuse(http.StatusBadRequest, "read the request: %v", err)
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return http.StatusBadRequest, err
	}
	cosig, err := w.addCheckpoint(r.Context(), body, rq)
	var ref *refusal
	switch {
	case errors.As(err, &ref) && ref.status == http.StatusConflict:
		rw.Header().Set("Content-Type", "text/x.tlog.size")
		rw.WriteHeader(http.StatusConflict)
		fmt.Fprintf(rw, "%d\n", ref.size)
		return http.StatusConflict, err
	case errors.As(err, &ref):
		http.Error(rw, ref.reason, ref.status)
		return ref.status, err
	case err != nil:
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return http.StatusInternalServerError, err
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Write(cosig)
	return http.StatusOK, nil
}

// addCheckpoint runs the checks of c2sp.org/tlog-witness's add-checkpoint
// in its order, then persists and cosigns. It returns the cosignature
// lines, a *refusal, or another error (500).
func (w *Witness) addCheckpoint(ctx context.Context, body []byte, rq *request) ([]byte, error) {
	old, hashes, signed, err := parseRequest(body)
	if err != nil {
		return nil, err
	}
	rq.old = old
	origin, _, ok := bytes.Cut(signed, []byte("\n"))
	if !ok || len(origin) == 0 {
		return nil, refuse(http.StatusBadRequest, "the checkpoint has no origin line")
	}
	rq.origin = string(origin)

	l, known, err := w.db.Log(ctx, rq.origin)
	if err != nil {
		return nil, err
	}
	if !known {
		return nil, refuse(http.StatusNotFound, "unknown log %q: the witness cosigns only the logs it was given (breachledger witness log add)", rq.origin)
	}
	var vs []note.Verifier
	for _, k := range l.Keys {
		v, err := ParseLogKey(rq.origin, k)
		if err != nil {
			return nil, fmt.Errorf("a key of log %q in the witness database: %w", rq.origin, err)
		}
		vs = append(vs, v)
	}
	n, err := note.Open(signed, note.VerifierList(vs...))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return nil, refuse(http.StatusForbidden, "the checkpoint carries no signature of a key the witness trusts for %q", rq.origin)
	case errors.As(err, &invalid):
		return nil, refuse(http.StatusForbidden, "the checkpoint's signature of %s+%08x, a key the witness trusts for %q, does not verify", invalid.Name, invalid.Hash, rq.origin)
	case err != nil:
		return nil, refuse(http.StatusBadRequest, "the checkpoint is not a signed note: %v", err)
	}
	var cp log.Checkpoint
	if _, err := cp.Unmarshal([]byte(n.Text)); err != nil {
		return nil, refuse(http.StatusBadRequest, "the signed note is not a checkpoint: %v", err)
	}
	if cp.Origin != rq.origin || len(cp.Hash) != rfc6962.DefaultHasher.Size() || cp.Size > maxSize {
		return nil, refuse(http.StatusBadRequest, "the checkpoint's root is not %d bytes, or its size is over %d", rfc6962.DefaultHasher.Size(), uint64(maxSize))
	}
	rq.size, rq.sized, rq.checkpoint = cp.Size, true, signed

	if old > cp.Size {
		return nil, refuse(http.StatusBadRequest, "old size %d is larger than the checkpoint's %d", old, cp.Size)
	}
	if old != l.Size {
		return nil, &refusal{status: http.StatusConflict, size: l.Size, reason: fmt.Sprintf("old size %d is not %d, the size the witness last cosigned", old, l.Size)}
	}
	if cp.Size == 0 && !bytes.Equal(cp.Hash, emptyRoot) {
		return nil, refuse(http.StatusUnprocessableEntity, "a checkpoint of size 0 whose root is not the empty tree's")
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, old, cp.Size, hashes, l.Root, cp.Hash); err != nil {
		why := err.Error()
		if errors.As(err, new(proof.RootMismatchError)) {
			why = "it gives another root"
		}
		switch {
		case old == cp.Size && len(hashes) > 0:
			return nil, refuse(http.StatusUnprocessableEntity, "a checkpoint of the size the witness last cosigned, %d, comes without proof lines", old)
		case old == cp.Size:
			return nil, refuse(http.StatusUnprocessableEntity, "another root than that of the checkpoint of %d the witness cosigned", old)
		case old == 0:
			return nil, refuse(http.StatusUnprocessableEntity, "a consistency proof from size 0 is empty (%s)", why)
		}
		return nil, refuse(http.StatusUnprocessableEntity, "the consistency proof from %d to %d does not hold: %s", old, cp.Size, why)
	}

	if w.beforePersist != nil {
		w.beforePersist()
	}
	if cur, ok, err := w.db.advance(ctx, rq.origin, old, l.Root, cp.Size, cp.Hash); err != nil {
		return nil, err
	} else if !ok {
		return nil, &refusal{status: http.StatusConflict, size: cur, reason: fmt.Sprintf("the log moved on to %d meanwhile", cur)}
	}
	cosigned, err := note.Sign(&note.Note{Text: n.Text}, w.signer)
	if err != nil {
		return nil, fmt.Errorf("cosign the checkpoint of %q at %d: %w", rq.origin, cp.Size, err)
	}
	return cosigned[bytes.LastIndex(cosigned, []byte("\n\n"))+2:], nil
}

// parseRequest parses an add-checkpoint body: "old N" (decimal, no leading
// zeroes), at most MaxProof base64 hashes of 32 bytes one a line, an empty
// line, then the signed checkpoint. Any fault is a 400 refusal.
func parseRequest(body []byte) (old uint64, hashes [][]byte, signed []byte, err error) {
	head, signed, ok := bytes.Cut(body, []byte("\n\n"))
	if !ok || len(signed) == 0 {
		return 0, nil, nil, refuse(http.StatusBadRequest, "the request is not an old size line, proof lines, an empty line and a checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	n, ok := strings.CutPrefix(lines[0], "old ")
	if !ok {
		return 0, nil, nil, refuse(http.StatusBadRequest, "the request does not start with \"old SIZE\"")
	}
	old, perr := strconv.ParseUint(n, 10, 64)
	if perr != nil || strconv.FormatUint(old, 10) != n || old > maxSize {
		return 0, nil, nil, refuse(http.StatusBadRequest, "the old size %q is not a decimal size without leading zeroes", n)
	}
	if len(lines)-1 > MaxProof {
		return 0, nil, nil, refuse(http.StatusBadRequest, "%d proof lines: at most %d", len(lines)-1, MaxProof)
	}
	for i, l := range lines[1:] {
		h, derr := base64.StdEncoding.DecodeString(l)
		if derr != nil || len(h) != rfc6962.DefaultHasher.Size() || base64.StdEncoding.EncodeToString(h) != l {
			return 0, nil, nil, refuse(http.StatusBadRequest, "proof line %d is not a base64 hash of %d bytes", i+1, rfc6962.DefaultHasher.Size())
		}
		hashes = append(hashes, h)
	}
	return old, hashes, signed, nil
}
