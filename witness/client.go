// Package witness submits a ledger's checkpoints to its witnesses and
// keeps their cosignatures beside the checkpoints.
//
// A witness (C2SP tlog-witness) cosigns a checkpoint only as a consistent
// extension of the last one it cosigned for the same log: Client speaks
// its add-checkpoint call; Submitter sends the ledger's newest stored
// checkpoint to each witness with the consistency proof from the size the
// witness last cosigned (learning it from a 409 when it does not know it),
// checks the cosignatures that come back, and saves them in the store
// (eventstore.CosignatureStore). Whoever holds the ledger key runs it: the
// notary after each checkpoint and at every witness-refresh, or "breachledger
// checkpoint" / "witness submit" on a personal ledger.
package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/safetext"
)

// maxResponse bounds what is read of a witness's answer: a few signature
// lines.
const maxResponse = 64 << 10

// DefaultTimeout bounds one add-checkpoint request when the Client has no
// http.Client of its own.
const DefaultTimeout = 10 * time.Second

// A Client submits checkpoints to one witness.
type Client struct {
	URL  string                // the witness's submission prefix
	Key  *integrity.WitnessKey // the witness's cosignature key
	HTTP *http.Client          // default: one with DefaultTimeout
}

// A ConflictError is a witness's 409: it last cosigned a checkpoint of
// Size events, not of the old size given.
type ConflictError struct {
	Witness string
	Size    uint64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("witness %s last cosigned a checkpoint of %d events", e.Witness, e.Size)
}

// A StatusError is any other answer than 200 or 409.
type StatusError struct {
	Witness string
	Status  int
	Body    string // the start of the answer, on one line
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("witness %s answered %d %s: %s", e.Witness, e.Status, http.StatusText(e.Status), e.Body)
}

// AddCheckpoint asks the witness to cosign the signed checkpoint, given
// the size of the checkpoint it last cosigned (0 when unknown or none)
// and the consistency proof from that size. It returns the witness's
// cosignature lines that verify with c.Key over the checkpoint (other
// lines are ignored, as the protocol says), a *ConflictError for a 409,
// and a *StatusError for any other refusal.
func (c *Client) AddCheckpoint(ctx context.Context, oldSize uint64, proof [][]byte, signed []byte) ([][]byte, error) {
	var body bytes.Buffer
	fmt.Fprintf(&body, "old %d\n", oldSize)
	for _, h := range proof {
		body.WriteString(base64.StdEncoding.EncodeToString(h) + "\n")
	}
	body.WriteString("\n")
	body.Write(signed)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.URL, "/")+"/add-checkpoint", &body)
	if err != nil {
		return nil, fmt.Errorf("submit to witness %s: %w", c.Key.Name(), err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("submit to witness %s: %w", c.Key.Name(), err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("read witness %s's answer: %w", c.Key.Name(), err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusConflict:
		size, err := strconv.ParseUint(strings.TrimSuffix(string(answer), "\n"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("witness %s answered 409 without a tree size (%q): %w", c.Key.Name(), oneLine(answer), err)
		}
		return nil, &ConflictError{Witness: c.Key.ID(), Size: size}
	default:
		return nil, &StatusError{Witness: c.Key.ID(), Status: resp.StatusCode, Body: oneLine(answer)}
	}
	var mine [][]byte
	for _, l := range bytes.SplitAfter(answer, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("\u2014 "+c.Key.Name()+" ")) && eventstore.ValidateCosignatureLine(l) == nil {
			mine = append(mine, l)
		}
	}
	if len(mine) == 0 {
		return nil, fmt.Errorf("witness %s answered 200 without a cosignature line of its key %s: %w", c.Key.Name(), c.Key.ID(), integrity.ErrIntegrity)
	}
	p := integrity.WitnessPolicy{Witnesses: []*integrity.WitnessKey{c.Key}, Quorum: 1}
	if _, err := p.Check(signed, mine, time.Now()); err != nil {
		return nil, fmt.Errorf("witness %s's cosignature: %w", c.Key.Name(), err)
	}
	return mine, nil
}

// oneLine returns the start of a witness's answer as one line whose
// control characters are escaped visibly: it reaches terminals and logs.
func oneLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return safetext.Line(s)
}
