package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
)

// ErrBadHost is the error of a host name that cannot be put on a Host
// allowlist.
var ErrBadHost = errors.New("bad host name")

// AllowHosts returns next behind a Host check: a request whose Host (the
// Host header, or the host of an absolute request URI) is not one of hosts
// is refused with 421 Misdirected Request, in the API's error shape and
// logged on log, before next runs: before any authentication or store
// work. A request without a Host (HTTP/1.0) is refused the same way. This
// is what stops DNS rebinding: a page on evil.example whose name is made to
// resolve to the server's address sends "Host: evil.example".
//
// Names compare case-insensitively, without a trailing dot; the request's
// port is ignored; IPv6 literals are written bare in hosts ("::1") and in
// brackets in the request ("[::1]:8080"). An entry with a port, a scheme,
// a path or a wildcard is an error wrapping ErrBadHost; so is an empty
// list, which would refuse everything.
func AllowHosts(next http.Handler, hosts []string, log *slog.Logger) (http.Handler, error) {
	if len(hosts) == 0 {
		return nil, fmt.Errorf("allow hosts: no host given: %w", ErrBadHost)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	allowed := make(map[string]bool, len(hosts))
	var names []string
	for _, h := range hosts {
		n, err := NormalizeHost(h)
		if err != nil {
			return nil, err
		}
		if !allowed[n] {
			allowed[n] = true
			names = append(names, n)
		}
	}
	list := strings.Join(names, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := requestHost(r.Host)
		if ok && allowed[name] {
			next.ServeHTTP(w, r)
			return
		}
		shown := r.Host
		if len(shown) > 100 {
			shown = shown[:100] + "..."
		}
		var msg string
		if r.Host == "" {
			msg = fmt.Sprintf("the request has no Host: this server answers only for %s (Host check against DNS rebinding); send one of those names in Host (HTTP/1.1)", list)
		} else {
			msg = fmt.Sprintf("host %q is not allowed: this server answers only for %s (Host check against DNS rebinding); use one of those names, or ask its operator to add this one with serve --allow-host", shown, list)
		}
		log.Warn("host not allowed", "host", shown, "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "status", http.StatusMisdirectedRequest)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusMisdirectedRequest)
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": "host_not_allowed", "message": msg, "status": http.StatusMisdirectedRequest}})
		w.Write(append(b, '\n'))
	}), nil
}

// NormalizeHost returns the form of an allowlist entry that requests are
// compared with: a host name in lower case without a trailing dot, or an
// IP address in its canonical form (an IPv4-mapped IPv6 address as IPv4).
// An entry with a port, brackets, a scheme, a path or a wildcard is an
// error wrapping ErrBadHost.
func NormalizeHost(h string) (string, error) {
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return "", fmt.Errorf("host %q: an IPv6 zone cannot be allowed, give the address alone: %w", h, ErrBadHost)
		}
		return a.Unmap().String(), nil
	}
	n := strings.TrimSuffix(strings.ToLower(h), ".")
	if n == "" {
		return "", fmt.Errorf("host %q: empty: %w", h, ErrBadHost)
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return "", fmt.Errorf("host %q: give a host name or an IP address alone, without a port, scheme, path, brackets or wildcard: %w", h, ErrBadHost)
		}
	}
	if strings.HasPrefix(n, ".") || strings.Contains(n, "..") {
		return "", fmt.Errorf("host %q: an empty label: %w", h, ErrBadHost)
	}
	return n, nil
}

// requestHost returns the normalized host of a request's Host value
// (host, host:port, [v6] or [v6]:port), and false when it is empty or
// malformed.
func requestHost(hostport string) (string, bool) {
	host := hostport
	switch {
	case strings.HasPrefix(hostport, "["):
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return "", false
		}
		host = hostport[1:end]
		if rest := hostport[end+1:]; rest != "" && !validPort(rest) {
			return "", false
		}
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", false
		}
		return a.Unmap().String(), true
	case strings.Count(hostport, ":") == 1:
		i := strings.IndexByte(hostport, ':')
		if !validPort(hostport[i:]) {
			return "", false
		}
		host = hostport[:i]
	case strings.Contains(hostport, ":"):
		return "", false // a bare IPv6 literal is not a valid Host
	}
	n, err := NormalizeHost(host)
	if err != nil {
		return "", false
	}
	return n, true
}

// validPort reports whether s is ":" followed by digits (or nothing, as
// RFC 3986 allows).
func validPort(s string) bool {
	if s == "" || s[0] != ':' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
