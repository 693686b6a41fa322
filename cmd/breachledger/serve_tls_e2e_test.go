package main_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// testCert is a self-signed ECDSA P-256 certificate for 127.0.0.1 and
// localhost, written as PEM files.
type testCert struct {
	cert          *x509.Certificate
	certPEM       []byte
	keyPEM        []byte
	certFile, key string
}

// newTestCert makes a certificate with serial number serial and writes it
// and its key to dir/name.crt and dir/name.key.
func newTestCert(t *testing.T, dir, name string, serial int64) *testCert {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "breachledger test " + name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	tc := &testCert{
		cert:     cert,
		certPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		certFile: filepath.Join(dir, name+".crt"),
		key:      filepath.Join(dir, name+".key"),
	}
	writeFile(t, tc.certFile, tc.certPEM)
	writeFile(t, tc.key, tc.keyPEM)
	return tc
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// replaceFile writes b over name as a renewal does (a new file renamed
// over the old one) and moves its modification time on, so the change is
// seen whatever the file system's time granularity.
func replaceFile(t *testing.T, name string, b []byte, mod time.Time) {
	t.Helper()
	writeFile(t, name+".new", b)
	if err := os.Chtimes(name+".new", mod, mod); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(name+".new", name); err != nil {
		t.Fatal(err)
	}
}

// client returns an HTTP client trusting only the certificates given (the
// system's roots when none), with connections of its own.
func client(certs ...*x509.Certificate) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{}, DisableKeepAlives: true}
	if len(certs) > 0 {
		pool := x509.NewCertPool()
		for _, c := range certs {
			pool.AddCert(c)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: tr}
}

// answer is one HTTP response, read whole.
type answer struct {
	code int
	body string
	peer *x509.Certificate // the server's certificate, over TLS
}

// do sends GET path to base with host as the Host header ("" for the
// URL's) and token as the bearer token ("" for none).
func do(t *testing.T, cl *http.Client, base, path, host, token string) (answer, error) {
	t.Helper()
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := cl.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, body: string(b)}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		a.peer = resp.TLS.PeerCertificates[0]
	}
	return a, nil
}

// mustDo is do that fails the test on a transport error.
func mustDo(t *testing.T, cl *http.Client, base, path, host, token string) answer {
	t.Helper()
	a, err := do(t, cl, base, path, host, token)
	if err != nil {
		t.Fatalf("GET %s%s (Host %q): %v", base, path, host, err)
	}
	return a
}

var listeningAnyRE = regexp.MustCompile(`^listening on (https?://\S+)`)

// startServeWith starts "breachledger serve" on c's ledger with args (as
// startServe does, with its stderr kept) and returns it with the URL it
// printed and the 127.0.0.1 URL of its port; the test stops it at cleanup.
func startServeWith(t *testing.T, c *cli, args ...string) (s *server, printed, local string, stderr *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--ledger", c.ledger, "serve"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr = &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s = &server{cmd: cmd}
	t.Cleanup(func() { s.stop(t) })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := listeningAnyRE.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("serve %v printed %q (%v)\n%s", args, line, err, stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	u, err := url.Parse(m[1])
	if err != nil {
		t.Fatal(err)
	}
	s.url = m[1]
	return s, m[1], u.Scheme + "://127.0.0.1:" + u.Port(), stderr
}

// serveRefused runs "breachledger serve" with args, which must not start:
// it returns the exit code and stderr. A serve that starts listening
// instead fails the test and is stopped.
func serveRefused(t *testing.T, c *cli, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--ledger", c.ledger, "serve"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(bufio.NewReader(stdout)) // until it exits (or serves)
	if len(out) > 0 {
		t.Errorf("serve %v printed %q: it served, want a refusal", args, out)
		cmd.Process.Signal(os.Interrupt)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// tokenLedger makes a ledger with one API token and returns its secret.
func tokenLedger(t *testing.T) (*cli, string) {
	t.Helper()
	c := newLedger(t)
	c.ok("alice", "init", "--name", "TLS", "--at", "2025-03-01T00:00:00Z")
	_, secret := issueToken(t, c, "siem")
	return c, secret
}

// apiError is the API's error body.
type apiErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Status  int    `json:"status"`
	} `json:"error"`
}

// wantMisdirected checks a Host check's refusal: 421, in the API's error
// shape, naming the rule.
func wantMisdirected(t *testing.T, what string, a answer) {
	t.Helper()
	var e apiErrorBody
	if err := json.Unmarshal([]byte(a.body), &e); err != nil || a.code != http.StatusMisdirectedRequest || e.Error.Status != 421 ||
		e.Error.Code != "host_not_allowed" || !strings.Contains(e.Error.Message, "DNS rebinding") {
		t.Errorf("%s: %d %s (%v), want 421 host_not_allowed naming DNS rebinding", what, a.code, a.body, err)
	}
}

// TestServeTLS: with --tls-cert and --tls-key, serve speaks HTTPS only
// (TLS 1.2 at least) with that certificate: a client trusting it reads
// with a token; plain HTTP, a client not trusting it and TLS 1.1 fail; a
// renewed certificate written over the files is served from the next
// connection, and a pair that does not match is logged and not served.
func TestServeTLS(t *testing.T) {
	c, secret := tokenLedger(t)
	dir := t.TempDir()
	crt := newTestCert(t, dir, "server", 1)
	s, printed, base, stderr := startServeWith(t, c, "--listen", "127.0.0.1:0", "--tls-cert", crt.certFile, "--tls-key", crt.key)
	if !strings.HasPrefix(printed, "https://127.0.0.1:") {
		t.Errorf("serve printed %q, want https://127.0.0.1:PORT", printed)
	}
	trusting := client(crt.cert)
	a := mustDo(t, trusting, base, "/v1/position", "", secret)
	if a.code != 200 || a.peer == nil || a.peer.SerialNumber.Int64() != 1 {
		t.Fatalf("HTTPS with a token: %d %s (peer %v)", a.code, a.body, a.peer)
	}
	if a := mustDo(t, trusting, base, "/v1/position", "", ""); a.code != 401 {
		t.Errorf("HTTPS without a token: %d, want 401", a.code)
	}
	// By name too: the certificate names localhost.
	if a := mustDo(t, trusting, strings.Replace(base, "127.0.0.1", "localhost", 1), "/v1/position", "", secret); a.code != 200 {
		t.Errorf("https://localhost: %d %s", a.code, a.body)
	}

	// Plain HTTP to the TLS port: Go's server answers 400.
	plain := mustDo(t, client(), strings.Replace(base, "https://", "http://", 1), "/v1/position", "", secret)
	if plain.code != 400 || !strings.Contains(strings.ToLower(plain.body), "client sent an http request to an https server") {
		t.Errorf("plain HTTP to the TLS port: %d %q, want 400", plain.code, plain.body)
	}
	// A client that does not trust the certificate.
	_, err := do(t, client(), base, "/v1/position", "", secret)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("a client not trusting the certificate: %v, want an unknown authority", err)
	}
	// TLS 1.1 is refused.
	old := client(crt.cert)
	old.Transport.(*http.Transport).TLSClientConfig.MaxVersion = tls.VersionTLS11
	if _, err := do(t, old, base, "/v1/position", "", secret); err == nil {
		t.Errorf("a TLS 1.1 client was served")
	}
	// The Host check holds over TLS too, before the token.
	wantMisdirected(t, "Host evil.example over TLS", mustDo(t, trusting, base, "/v1/position", "evil.example", ""))

	// A renewal: a new certificate and key renamed over the files.
	renewed := newTestCert(t, t.TempDir(), "renewed", 2)
	later := time.Now().Add(time.Minute)
	replaceFile(t, crt.key, renewed.keyPEM, later)
	replaceFile(t, crt.certFile, renewed.certPEM, later)
	a = mustDo(t, client(renewed.cert), base, "/v1/position", "", secret)
	if a.code != 200 || a.peer.SerialNumber.Int64() != 2 {
		t.Errorf("after the renewal: %d, serial %v, want 200 with serial 2", a.code, a.peer.SerialNumber)
	}
	// A certificate whose key is not written (yet): the renewed pair stays.
	third := newTestCert(t, t.TempDir(), "third", 3)
	replaceFile(t, crt.certFile, third.certPEM, later.Add(time.Minute))
	a = mustDo(t, client(renewed.cert), base, "/v1/position", "", secret)
	if a.code != 200 || a.peer.SerialNumber.Int64() != 2 {
		t.Errorf("with a key not matching: %d, serial %v, want the last good pair (serial 2)", a.code, a.peer.SerialNumber)
	}
	// ...until its key is written.
	replaceFile(t, crt.key, third.keyPEM, later.Add(2*time.Minute))
	if a = mustDo(t, client(third.cert), base, "/v1/position", "", secret); a.peer.SerialNumber.Int64() != 3 {
		t.Errorf("once the key is written: serial %v, want 3", a.peer.SerialNumber)
	}
	s.stop(t)
	log := stderr.String()
	for _, want := range []string{"TLS certificate reloaded", "TLS certificate not reloaded", "private key does not match public key"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}
}

// TestServeTLSFlags: flags that cannot serve safely exit 2 before anything
// is served, naming the flag and the problem.
func TestServeTLSFlags(t *testing.T) {
	c, _ := tokenLedger(t)
	dir := t.TempDir()
	crt := newTestCert(t, dir, "server", 1)
	other := newTestCert(t, dir, "other", 2)
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"cert without key", []string{"--tls-cert", crt.certFile}, []string{"--tls-cert needs --tls-key"}},
		{"key without cert", []string{"--tls-key", crt.key}, []string{"--tls-key needs --tls-cert"}},
		{"key not matching", []string{"--tls-cert", crt.certFile, "--tls-key", other.key}, []string{"--tls-key " + other.key, "private key does not match public key"}},
		{"missing cert", []string{"--tls-cert", missing, "--tls-key", crt.key}, []string{"--tls-cert", "missing.pem", "no such file"}},
		{"missing key", []string{"--tls-cert", crt.certFile, "--tls-key", missing}, []string{"--tls-key", "missing.pem", "no such file"}},
		{"key given as cert", []string{"--tls-cert", crt.key, "--tls-key", crt.key}, []string{"--tls-cert " + crt.key, "no PEM CERTIFICATE"}},
		{"plaintext with TLS", []string{"--tls-cert", crt.certFile, "--tls-key", crt.key, "--plaintext"}, []string{"--plaintext with --tls-cert"}},
		{"every interface without --allow-host", []string{"--listen", "0.0.0.0:0", "--tls-cert", crt.certFile, "--tls-key", crt.key}, []string{"beyond loopback", "--allow-host NAME", "DNS rebinding"}},
		{"no host without --allow-host", []string{"--listen", ":0", "--plaintext"}, []string{"beyond loopback", "--allow-host NAME", "DNS rebinding"}},
		{"IPv6 everywhere without --allow-host", []string{"--listen", "[::]:0", "--plaintext"}, []string{"beyond loopback", "--allow-host NAME"}},
		{"beyond loopback in clear", []string{"--listen", "0.0.0.0:0", "--allow-host", "127.0.0.1"}, []string{"without TLS", "--tls-cert FILE --tls-key FILE", "--plaintext"}},
		{"a port in --allow-host", []string{"--allow-host", "ledger.example.com:8443"}, []string{"--allow-host", "without a port"}},
		{"a wildcard in --allow-host", []string{"--allow-host", "*.example.com"}, []string{"--allow-host", "wildcard"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr := serveRefused(t, c, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2\n%s", code, stderr)
			}
			for _, want := range tc.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, stderr)
				}
			}
		})
	}
}

// TestServeHostCheck: on loopback, a request for any Host but the loopback
// names (or none, HTTP/1.0) is refused with 421 before its token is looked
// at, is logged, and reaches no handler; the loopback names are served
// whatever their port or case.
func TestServeHostCheck(t *testing.T) {
	c, secret := tokenLedger(t)
	s, _, base, stderr := startServeWith(t, c, "--listen", "127.0.0.1:0", "--allow-host", "ledger.example.com")
	port := base[strings.LastIndexByte(base, ':')+1:]
	cl := client()
	for _, host := range []string{"", "localhost", "LocalHost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "ledger.example.com", "Ledger.Example.Com.:443"} {
		if a := mustDo(t, cl, base, "/v1/position", host, secret); a.code != 200 {
			t.Errorf("Host %q: %d %s, want 200", host, a.code, a.body)
		}
	}
	// Refused without a token (no 401: the token is not looked at), and
	// with one.
	for _, host := range []string{"evil.example", "evil.example:" + port, "localhost.evil.example", "127.0.0.2:" + port, "ledger.example.com.evil.example"} {
		wantMisdirected(t, "Host "+host, mustDo(t, cl, base, "/v1/register", host, ""))
		wantMisdirected(t, "Host "+host+" with a token", mustDo(t, cl, base, "/v1/register", host, secret))
	}
	// HTTP/1.0 without a Host.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /v1/register HTTP/1.0\r\nAuthorization: Bearer "+secret+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	wantMisdirected(t, "HTTP/1.0 without a Host", answer{code: resp.StatusCode, body: string(b)})
	s.stop(t)
	// Every refusal is logged; none reached the API (whose request log
	// line would name /v1/register).
	log := stderr.String()
	if n := strings.Count(log, `msg="host not allowed"`); n != 11 {
		t.Errorf("%d refusals logged, want 11:\n%s", n, log)
	}
	if !strings.Contains(log, "host=evil.example") {
		t.Errorf("the log does not name the refused host:\n%s", log)
	}
	if regexp.MustCompile(`msg=request .*path=/v1/register`).MatchString(log) {
		t.Errorf("a refused request reached the API:\n%s", log)
	}
}

// TestServeBeyondLoopback: on every interface with --allow-host, serve
// answers for the names given only (localhost is not one then), over TLS
// or, with --plaintext, in clear.
func TestServeBeyondLoopback(t *testing.T) {
	c, secret := tokenLedger(t)
	crt := newTestCert(t, t.TempDir(), "server", 1)
	for _, tc := range []struct {
		name string
		args []string
		cl   *http.Client
	}{
		{"TLS", []string{"--tls-cert", crt.certFile, "--tls-key", crt.key}, client(crt.cert)},
		{"plaintext", []string{"--plaintext"}, client()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, printed, base, _ := startServeWith(t, c, append([]string{"--listen", "0.0.0.0:0", "--allow-host", "127.0.0.1"}, tc.args...)...)
			if scheme := strings.SplitN(printed, ":", 2)[0]; !strings.HasPrefix(base, scheme+"://") {
				t.Errorf("serve printed %q", printed)
			}
			if a := mustDo(t, tc.cl, base, "/v1/position", "", secret); a.code != 200 {
				t.Errorf("Host 127.0.0.1: %d %s", a.code, a.body)
			}
			wantMisdirected(t, "Host evil.example", mustDo(t, tc.cl, base, "/v1/position", "evil.example", ""))
			wantMisdirected(t, "Host localhost", mustDo(t, tc.cl, base, "/v1/position", "localhost", secret))
		})
	}
}
