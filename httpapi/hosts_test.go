package httpapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/httpapi"
)

// TestAllowHosts runs requests through the Host check: an allowed host
// reaches the handler behind (whatever its port, case or trailing dot); any
// other, a missing Host or a malformed one gets 421 in the API's error
// shape naming the rule, is logged, and never reaches the handler.
func TestAllowHosts(t *testing.T) {
	allow := []string{"localhost", "127.0.0.1", "::1", "Ledger.Example.COM", "10.0.0.7", "LOCALHOST."}
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"localhost:8080", true},
		{"LOCALHOST:8080", true},
		{"localhost.:8080", true},
		{"127.0.0.1", true},
		{"127.0.0.1:443", true},
		{"[::1]", true},
		{"[::1]:8080", true},
		{"[0:0:0:0:0:0:0:1]:8080", true},
		{"[::ffff:127.0.0.1]:8080", true},
		{"ledger.example.com", true},
		{"LEDGER.example.com:8443", true},
		{"10.0.0.7:80", true},
		{"evil.example", false},
		{"evil.example:8080", false},
		{"localhost.evil.example", false},
		{"ledger.example.com.evil.example", false},
		{"127.0.0.2:8080", false},
		{"127.1", false},
		{"[::2]:8080", false},
		{"::1", false},              // a bare IPv6 literal is not a valid Host
		{"[::1", false},             // unclosed bracket
		{"[::1]x", false},           // junk after the bracket
		{"[127.0.0.1]", false},      // IPv4 in brackets
		{"[fe80::1%25eth0]", false}, // a zone
		{"localhost:80a", false},
		{"localhost:8080:1", false},
		{"", false}, // HTTP/1.0 without Host
		{"local host", false},
	} {
		t.Run(tc.host, func(t *testing.T) {
			var logged bytes.Buffer
			called := false
			h, err := httpapi.AllowHosts(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				w.WriteHeader(http.StatusTeapot)
			}), allow, slog.New(slog.NewTextHandler(&logged, nil)))
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/v1/deadlines", nil)
			r.Host = tc.host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if called != tc.want {
				t.Errorf("the handler behind was called: %v, want %v", called, tc.want)
			}
			if tc.want {
				if w.Code != http.StatusTeapot || logged.Len() != 0 {
					t.Errorf("got %d (log %q), want the handler's answer", w.Code, logged.String())
				}
				return
			}
			var body struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
					Status  int    `json:"status"`
				} `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if got, want := w.Code, http.StatusMisdirectedRequest; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			if got, want := body.Error.Status, http.StatusMisdirectedRequest; got != want {
				t.Errorf("error.status = %d, want %d", got, want)
			}
			if got, want := body.Error.Code, "host_not_allowed"; got != want {
				t.Errorf("error.code = %q, want %q", got, want)
			}
			if got := w.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			for _, want := range []string{"DNS rebinding", "localhost, 127.0.0.1, ::1, ledger.example.com, 10.0.0.7"} {
				if !strings.Contains(body.Error.Message, want) {
					t.Errorf("message %q does not say %q", body.Error.Message, want)
				}
			}
			if !strings.Contains(logged.String(), "host not allowed") {
				t.Errorf("the refusal was not logged: %q", logged.String())
			}
		})
	}
}

// TestAllowHostsEscapes: the refused Host is quoted in the message and the
// JSON escapes what a page could take for markup.
func TestAllowHostsEscapes(t *testing.T) {
	h, err := httpapi.AllowHosts(http.NotFoundHandler(), []string{"localhost"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "<script>alert(1)</script>" + strings.Repeat("a", 300)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if b := w.Body.String(); strings.Contains(b, "<script>") || len(b) > 1000 {
		t.Errorf("body %q", b)
	}
}

// TestAllowHostsRefusesBadLists: an entry that is not a bare host name or
// address, or no entry at all, is refused when the check is built.
func TestAllowHostsRefusesBadLists(t *testing.T) {
	for _, hosts := range [][]string{
		nil,
		{""},
		{"localhost:8080"},
		{"[::1]"},
		{"https://ledger.example.com"},
		{"ledger.example.com/v1"},
		{"*.example.com"},
		{"fe80::1%eth0"},
		{"a..b"},
		{"."},
	} {
		_, err := httpapi.AllowHosts(http.NotFoundHandler(), hosts, nil)
		if !errors.Is(err, httpapi.ErrBadHost) {
			t.Errorf("AllowHosts(%q) = %v, want ErrBadHost", hosts, err)
		}
	}
}

// TestNormalizeHost: the forms requests are compared with.
func TestNormalizeHost(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"LocalHost", "localhost"},
		{"ledger.example.com.", "ledger.example.com"},
		{"0:0:0:0:0:0:0:1", "::1"},
		{"::ffff:10.0.0.1", "10.0.0.1"},
		{"127.0.0.1", "127.0.0.1"},
	} {
		got, err := httpapi.NormalizeHost(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeHost(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
}
