package esdb_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

func TestParseLocation(t *testing.T) {
	for _, tt := range []struct {
		location string
		prefix   string
		conn     string
		display  string
	}{
		{"esdb://db1:2113?tls=false", esdb.DefaultPrefix, "esdb://db1:2113?tls=false", "esdb://db1:2113?tls=false"},
		{"esdb://db1?tls=false&prefix=acme-ir/", "acme-ir/", "esdb://db1?tls=false", "esdb://db1?tls=false&prefix=acme-ir/"},
		{"esdb://db1?Prefix=x.", "x.", "esdb://db1", "esdb://db1?Prefix=x."},
		{"esdb://admin:changeit@db1:2113,db2:2113,db3:2113?tlsVerifyCert=false&prefix=p/",
			"p/", "esdb://admin:changeit@db1:2113,db2:2113,db3:2113?tlsVerifyCert=false",
			"esdb://admin:xxxxx@db1:2113,db2:2113,db3:2113?tlsVerifyCert=false&prefix=p/"},
		{"esdb+discover://admin:changeit@cluster.example:2113", esdb.DefaultPrefix, "esdb+discover://admin:changeit@cluster.example:2113",
			"esdb+discover://admin:xxxxx@cluster.example:2113"},
	} {
		t.Run(tt.location, func(t *testing.T) {
			loc, err := esdb.ParseLocation(tt.location)
			if err != nil {
				t.Fatalf("ParseLocation() error = %v", err)
			}
			got := []string{loc.Prefix, loc.Conn, loc.Display}
			if diff := cmp.Diff([]string{tt.prefix, tt.conn, tt.display}, got); diff != "" {
				t.Errorf("ParseLocation() prefix, conn, display mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLocationRefuses(t *testing.T) {
	for _, tt := range []struct {
		location string
		want     []string // in the message
	}{
		{"esdb://admin:changeit@db1:2113?tls=false", []string{"credentials given with tls=false", "silently drop", "esdb://admin:xxxxx@"}},
		{"esdb://admin:changeit@db1:2113?TLS=False", []string{"credentials given with tls=false"}},
		{"esdb://admin@db1:2113", []string{`user "admin" has no password`}},
		{"esdb://db1?tls=false&userCertFile=u.pem&userKeyFile=u.key", []string{"user certificate given with tls=false"}},
		{"esdb://db1?prefix=$system", []string{"bad stream prefix", "belong to the server"}},
		{"esdb://db1?prefix=a%20b", []string{"bad stream prefix"}},
		{"esdb://db1?prefix=", []string{"bad stream prefix"}},
		{"esdb://db1?nodePreference=nearest", []string{"NodePreference"}},
		{"http://db1:2113", []string{"not an EventStoreDB location"}},
	} {
		t.Run(tt.location, func(t *testing.T) {
			_, err := esdb.ParseLocation(tt.location)
			if err == nil {
				t.Fatal("ParseLocation() succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseLocation() error = %q, want it to say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "changeit") {
				t.Errorf("ParseLocation() error = %q shows the password", err)
			}
		})
	}
}

// tlsServer starts a TLS server with one user and writes its certificate
// to a file, returning the server and the file's path.
func tlsServer(t *testing.T) (*esdbtest.Server, string) {
	t.Helper()
	cert, pemBytes, err := esdbtest.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := esdbtest.Start(t, esdbtest.Options{Certificate: &cert, Users: map[string]string{"admin": "changeit"}})
	return srv, ca
}

// TestTLSWithCredentials: over TLS with a self-signed certificate, the
// store sends the credentials of its location (the server refuses calls
// without them), whether the certificate is verified against its CA file
// or not verified at all.
func TestTLSWithCredentials(t *testing.T) {
	srv, ca := tlsServer(t)
	for _, location := range []string{
		fmt.Sprintf("esdb://admin:changeit@%s?tlsCAFile=%s", srv.Addr(), ca),
		fmt.Sprintf("esdb://admin:changeit@%s?tlsVerifyCert=false&prefix=other/", srv.Addr()),
	} {
		t.Run(location, func(t *testing.T) {
			s := open(t, location)
			want := appendN(t, s, "incident-1", 2)
			got, err := s.ReadAll(t.Context(), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ReadAll() over TLS mismatch (-appended +read):\n%s", diff)
			}
		})
	}
	if n := srv.Calls("Append"); n != 4 {
		t.Errorf("server saw %d appends, want 4", n)
	}
}

func TestTLSRefusals(t *testing.T) {
	srv, ca := tlsServer(t)
	for _, tt := range []struct {
		name, location, want string
	}{
		{"WrongPassword", fmt.Sprintf("esdb://admin:wrong@%s?tlsCAFile=%s", srv.Addr(), ca), "Unauthenticated"},
		{"NoCredentials", fmt.Sprintf("esdb://%s?tlsCAFile=%s", srv.Addr(), ca), "AccessDenied"},
		{"UnknownCA", fmt.Sprintf("esdb://admin:changeit@%s?maxDiscoverAttempts=1", srv.Addr()), "certificate signed by unknown authority"},
		{"PlainToTLS", fmt.Sprintf("esdb://%s?tls=false&maxDiscoverAttempts=1", srv.Addr()), "maximum discovery attempt count reached"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := esdb.Open(t.Context(), tt.location, esdb.Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open() succeeded, want an error")
			}
			if strings.Contains(err.Error(), "changeit") {
				t.Errorf("Open() error = %q shows the password", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open() error = %q, want it to say %q", err, tt.want)
			}
		})
	}
	if n := srv.Calls("Append"); n != 0 {
		t.Errorf("server saw %d appends, want none", n)
	}
}

// TestCredentialsWithoutTLSRefused: the client would drop the credentials
// silently and talk to the server anonymously; Open refuses before
// connecting.
func TestCredentialsWithoutTLSRefused(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	_, err := esdb.Open(t.Context(), fmt.Sprintf("esdb://admin:changeit@%s?tls=false", srv.Addr()), esdb.Options{})
	if err == nil || !strings.Contains(err.Error(), "credentials given with tls=false") {
		t.Fatalf("Open() error = %v, want the refusal of credentials with tls=false", err)
	}
	if n := srv.Calls("GetSupportedMethods") + srv.Calls("Read"); n != 0 {
		t.Errorf("server saw %d calls, want none", n)
	}
}

// TestSeedsDiscoverLeader: given only followers as gossip seeds (or a
// DNS name to discover through), the client reads the cluster's gossip and
// does its work on the leader.
func TestSeedsDiscoverLeader(t *testing.T) {
	for _, tt := range []struct {
		name     string
		location func(nodes []*esdbtest.Server) string
	}{
		{"Seeds", func(nodes []*esdbtest.Server) string {
			return fmt.Sprintf("esdb://%s,%s?tls=false", nodes[1].Addr(), nodes[2].Addr())
		}},
		{"Discover", func(nodes []*esdbtest.Server) string {
			return fmt.Sprintf("esdb+discover://%s?tls=false", nodes[2].Addr())
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nodes := esdbtest.StartCluster(t, 3, esdbtest.Options{})
			s := open(t, tt.location(nodes))
			appendN(t, s, "incident-1", 2)
			if n := nodes[0].Calls("Append"); n != 2 {
				t.Errorf("leader saw %d appends, want 2", n)
			}
			for i, node := range nodes[1:] {
				if n := node.Calls("Append") + node.Calls("Read"); n != 0 {
					t.Errorf("follower %d saw %d reads and appends, want none", i+1, n)
				}
			}
			if n := nodes[1].Calls("Gossip.Read") + nodes[2].Calls("Gossip.Read"); n == 0 {
				t.Errorf("no follower was asked for gossip")
			}
		})
	}
}

// TestServerDown: a store on a server that does not answer fails to open,
// quickly and clearly.
func TestServerDown(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	srv.Stop()
	_, err := esdb.Open(t.Context(), srv.URL("maxDiscoverAttempts=2", "discoveryInterval=10"), esdb.Options{})
	if err == nil {
		t.Fatal("Open() of a stopped server succeeded")
	}
	if !strings.Contains(err.Error(), srv.Addr()) {
		t.Errorf("Open() error = %q, want it to name the server", err)
	}
}

// TestReconnectAfterOutage: a call that fails because the server is down
// retires the client (whose connection would otherwise wait out gRPC's
// reconnect backoff, or whose rediscovery may give up and close it for
// good); the store makes a new one and works again once the server is back.
func TestReconnectAfterOutage(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	s := open(t, srv.URL("maxDiscoverAttempts=1", "discoveryInterval=10"))
	appendN(t, s, "incident-1", 1)
	srv.Stop()
	for i := 0; esdb.Generation(s) == 0; i++ {
		if i == 3 {
			t.Fatal("the store kept its client through failed calls")
		}
		if _, err := s.Append(t.Context(), "incident-1", eventstore.Any, []eventstore.Record{record(t, "Lost")}); err == nil {
			t.Fatal("Append() with the server down succeeded")
		}
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	got := appendN(t, s, "incident-1", 1)
	if got[0].Sequence != 1 || got[0].Revision != 1 {
		t.Errorf("Append() after the outage: Sequence, Revision = %d, %d, want 1, 1", got[0].Sequence, got[0].Revision)
	}
	if _, err := s.Head(context.Background()); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Head() after the outage error = %v", err)
	}
}
