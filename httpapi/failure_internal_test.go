package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/internal/failure"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// TestFailAnswersByKind: an error's status and code are its kind's in the
// table the CLI's exit codes come from; the client reads what is wrong
// with its request, and never the server's detail (which is logged).
func TestFailAnswersByKind(t *testing.T) {
	tests := []struct {
		err        error
		status     int
		code       string
		says, hide string
	}{
		{fmt.Errorf("read incident: %w", &domain.NotFoundError{What: "incident", ID: "01X"}), 404, "not_found", `incident \"01X\" not found`, ""},
		{fmt.Errorf("page: %w", readmodel.ErrBadCursor), 400, "bad_request", "bad cursor", ""},
		{fmt.Errorf("open /srv/secret/ledger.db: %w", eventstore.ErrNoLedger), 404, "not_found", "not found; the server's log", "/srv/secret"},
		{fmt.Errorf("leaf 7 of /srv/secret/ledger.db: %w", integrity.ErrIntegrity), 500, "integrity", `run \"breachledger verify\"`, "/srv/secret"},
		{fmt.Errorf("read: %w", context.Canceled), failure.StatusClientClosed, "canceled", "canceled", ""},
		{errors.New("sqlite: disk I/O error at /srv/secret/ledger.db"), 500, "internal", "the server's log has the details", "/srv/secret"},
	}
	for _, tt := range tests {
		var logged bytes.Buffer
		s := &Server{Log: slog.New(slog.NewTextHandler(&logged, nil))}
		w := httptest.NewRecorder()
		s.fail(w, httptest.NewRequest("GET", "/v1/incidents/01X", nil), tt.err)
		var got struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Status  int    `json:"status"`
			} `json:"error"`
		}
		body := w.Body.String()
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%v: not JSON: %q", tt.err, body)
		}
		if w.Code != tt.status || got.Error.Status != tt.status || got.Error.Code != tt.code {
			t.Errorf("%v: answered %d %q (body says %d), want %d %q", tt.err, w.Code, got.Error.Code, got.Error.Status, tt.status, tt.code)
		}
		if !strings.Contains(body, tt.says) {
			t.Errorf("%v: the client reads %q, want it to say %q", tt.err, body, tt.says)
		}
		if tt.hide != "" && (strings.Contains(body, tt.hide) || !strings.Contains(logged.String(), tt.hide)) {
			t.Errorf("%v: the detail %q should be in the log only; client read %q", tt.err, tt.hide, body)
		}
	}
}
