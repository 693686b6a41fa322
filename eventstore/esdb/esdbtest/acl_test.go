package esdbtest_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"testing"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"

	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// secureServer is a TLS server with ACLs: admin and ops (the default
// users), alice in the group "ledger", bob in none.
func secureServer(tb testing.TB) *esdbtest.Server {
	tb.Helper()
	cert, _, err := esdbtest.SelfSigned()
	if err != nil {
		tb.Fatal(err)
	}
	return esdbtest.Start(tb, esdbtest.Options{
		Certificate: &cert,
		Users:       map[string]string{"admin": "changeit", "ops": "changeit", "alice": "a-pass", "bob": "b-pass"},
		Groups:      map[string][]string{"alice": {"ledger"}},
	})
}

// tlsClient is the v4 client on srv as user (empty: no credentials).
func tlsClient(tb testing.TB, srv *esdbtest.Server, user, pass string) *esclient.Client {
	tb.Helper()
	auth := ""
	if user != "" {
		auth = user + ":" + pass + "@"
	}
	cfg, err := esclient.ParseConnectionString("esdb://" + auth + srv.Addr() + "?tlsVerifyCert=false")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Logger = esclient.NoopLogging()
	c, err := esclient.NewClient(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// setJSON appends data as the latest event of stream (as admin).
func setJSON(tb testing.TB, admin *esclient.Client, stream, typ, data string) {
	tb.Helper()
	e := esclient.EventData{EventType: typ, ContentType: esclient.ContentTypeJson, Data: []byte(data)}
	if _, err := admin.AppendToStream(context.Background(), stream, esclient.AppendToStreamOptions{}, e); err != nil {
		tb.Fatalf("write %s: %v", stream, err)
	}
}

// outcome of a call under ACLs: "ok", "denied", "unauthenticated" or the
// error.
func outcome(err error) string {
	var ce *esclient.Error
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return "ok"
	case errors.As(err, &ce) && ce.Code() == esclient.ErrorCodeAccessDenied:
		return "denied"
	case errors.As(err, &ce) && ce.Code() == esclient.ErrorCodeUnauthenticated:
		return "unauthenticated"
	}
	return err.Error()
}

func readOne(c *esclient.Client, stream string) error {
	var rs *esclient.ReadStream
	var err error
	if stream == "$all" {
		rs, err = c.ReadAll(context.Background(), esclient.ReadAllOptions{}, 1)
	} else {
		rs, err = c.ReadStream(context.Background(), stream, esclient.ReadStreamOptions{}, 1)
	}
	if err != nil {
		return err
	}
	defer rs.Close()
	_, err = rs.Recv()
	var ce *esclient.Error
	if errors.As(err, &ce) && ce.Code() == esclient.ErrorCodeResourceNotFound {
		return nil // a missing stream was read: no refusal
	}
	return err
}

func writeOne(c *esclient.Client, stream string) error {
	_, err := c.AppendToStream(context.Background(), stream, esclient.AppendToStreamOptions{}, ev("E"))
	return err
}

func subscribeAll(c *esclient.Client) error {
	sub, err := c.SubscribeToAll(context.Background(), esclient.SubscribeToAllOptions{})
	if err != nil {
		return err
	}
	defer sub.Close()
	if e := sub.Recv(); e.SubscriptionDropped != nil {
		return e.SubscriptionDropped.Error
	}
	return nil
}

// TestACL: who may do what on a secure node, as the default ACLs, a
// stream's $acl, $all's $acl and $settings' defaults decide.
func TestACL(t *testing.T) {
	srv := secureServer(t)
	admin := tlsClient(t, srv, "admin", "changeit")
	users := map[string]*esclient.Client{
		"admin": admin,
		"ops":   tlsClient(t, srv, "ops", "changeit"),
		"alice": tlsClient(t, srv, "alice", "a-pass"),
		"bob":   tlsClient(t, srv, "bob", "b-pass"),
		"anon":  tlsClient(t, srv, "", ""),
		"wrong": tlsClient(t, srv, "alice", "b-pass"),
	}
	setJSON(t, admin, "locked", "E", `{}`)
	setJSON(t, admin, "$$locked", "$metadata", `{"$acl": {"$r": ["ledger"], "$w": "alice"}}`)
	type step struct {
		user, what string
		call       func(c *esclient.Client) error
		want       string
	}
	check := func(stage string, steps []step) {
		t.Helper()
		for _, s := range steps {
			if got := outcome(s.call(users[s.user])); got != s.want {
				t.Errorf("%s: %s %s: got %s, want %s", stage, s.user, s.what, got, s.want)
			}
		}
	}
	read := func(stream string) func(*esclient.Client) error {
		return func(c *esclient.Client) error { return readOne(c, stream) }
	}
	write := func(stream string) func(*esclient.Client) error {
		return func(c *esclient.Client) error { return writeOne(c, stream) }
	}
	tombstone := func(stream string) func(*esclient.Client) error {
		return func(c *esclient.Client) error {
			_, err := c.TombstoneStream(context.Background(), stream, esclient.TombstoneStreamOptions{})
			return err
		}
	}
	check("defaults", []step{
		{"alice", "writes a user stream", write("open"), "ok"},
		{"bob", "reads a user stream", read("open"), "ok"},
		{"ops", "writes a user stream", write("open"), "ok"},
		{"anon", "reads a user stream", read("open"), "denied"},
		{"wrong", "reads a user stream", read("open"), "unauthenticated"},
		{"alice", "reads $all", read("$all"), "denied"},
		{"alice", "subscribes to $all", subscribeAll, "denied"},
		{"ops", "reads $all", read("$all"), "denied"},
		{"admin", "reads $all", read("$all"), "ok"},
		{"bob", "reads a system stream", read("$users"), "denied"},
		{"bob", "writes a system stream", write("$mine"), "denied"},
		{"bob", "writes $all's ACL", write("$$$all"), "denied"},
		{"bob", "writes $settings", write("$settings"), "denied"},
	})
	check("a stream's $acl", []step{
		{"alice", "reads", read("locked"), "ok"},
		{"alice", "writes", write("locked"), "ok"},
		{"bob", "reads", read("locked"), "denied"},
		{"bob", "writes", write("locked"), "denied"},
		{"ops", "reads", read("locked"), "denied"},
		{"admin", "reads", read("locked"), "ok"},
		{"bob", "reads its metadata (default $mr)", read("$$locked"), "ok"},
	})

	setJSON(t, admin, "$$$all", "$metadata", `{"$acl": {"$r": ["ledger"]}}`)
	check("$all's $acl grants the group ledger $r", []step{
		{"alice", "reads $all", read("$all"), "ok"},
		{"alice", "subscribes to $all", subscribeAll, "ok"},
		{"bob", "reads $all", read("$all"), "denied"},
		{"admin", "reads $all", read("$all"), "ok"},
		{"alice", "reads a system stream", read("$users"), "denied"},
	})

	setJSON(t, admin, "$settings", "update-default-acl", `{"$userStreamAcl": {"$r": ["ledger"], "$w": ["ledger"], "$d": "$admins", "$mr": "ledger", "$mw": "$admins"}}`)
	check("$settings' $userStreamAcl", []step{
		{"alice", "writes a user stream", write("open"), "ok"},
		{"alice", "reads a user stream", read("open"), "ok"},
		{"bob", "reads a user stream", read("open"), "denied"},
		{"bob", "writes a user stream", write("open"), "denied"},
		{"alice", "tombstones a user stream", tombstone("open"), "denied"},
		{"alice", "writes a user stream's metadata", write("$$open"), "denied"},
		{"alice", "reads a user stream's metadata", read("$$open"), "ok"},
		{"bob", "reads locked ($acl $r names ledger)", read("locked"), "denied"},
		{"admin", "tombstones a user stream", tombstone("open"), "ok"},
	})
}

// TestACLAnswers: the refusals as the wire carries them: access denied is
// PermissionDenied "Access Denied" with exception=access-denied; a wrong
// password is Unauthenticated; an insecure node checks nothing.
func TestACLAnswers(t *testing.T) {
	srv := secureServer(t)
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{InsecureSkipVerify: true})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	streams := api.NewStreamsClient(conn)
	readAll := func(auth string) (metadata.MD, error) {
		ctx := context.Background()
		if auth != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(auth)))
		}
		var trailer metadata.MD
		rs, err := streams.Read(ctx, &api.ReadReq{Options: &api.ReadReq_Options{
			StreamOption:  &api.ReadReq_Options_All{All: &api.ReadReq_Options_AllOptions{AllOption: &api.ReadReq_Options_AllOptions_Start{Start: &shared.Empty{}}}},
			CountOption:   &api.ReadReq_Options_Count{Count: 1},
			FilterOption:  &api.ReadReq_Options_NoFilter{NoFilter: &shared.Empty{}},
			UuidOption:    &api.ReadReq_Options_UUIDOption{Content: &api.ReadReq_Options_UUIDOption_Structured{Structured: &shared.Empty{}}},
			ReadDirection: api.ReadReq_Options_Forwards,
		}}, grpc.Trailer(&trailer))
		if err != nil {
			return trailer, err
		}
		for {
			if _, err := rs.Recv(); err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				return trailer, err
			}
		}
	}
	for _, tt := range []struct {
		auth      string
		code      codes.Code
		msg       string
		exception string
	}{
		{"bob:b-pass", codes.PermissionDenied, "Access Denied", "access-denied"},
		{"", codes.PermissionDenied, "Access Denied", "access-denied"},
		{"bob:wrong", codes.Unauthenticated, "Bad username or password", ""},
		{"nobody:x", codes.Unauthenticated, "Bad username or password", ""},
		{"admin:changeit", codes.OK, "", ""},
	} {
		trailer, err := readAll(tt.auth)
		st := status.Convert(err)
		var exception string
		if v := trailer.Get("exception"); len(v) > 0 {
			exception = v[0]
		}
		if st.Code() != tt.code || st.Message() != tt.msg || exception != tt.exception {
			t.Errorf("read $all as %q: %v %q, exception %q; want %v %q, exception %q", tt.auth, st.Code(), st.Message(), exception, tt.code, tt.msg, tt.exception)
		}
	}
	if n := srv.Calls("AccessDenied"); n != 2 {
		t.Errorf("server counted %d refusals, want 2", n)
	}

	// An insecure node (no users) lets anyone at anything.
	plain := esdbtest.Start(t, esdbtest.Options{})
	c := client(t, plain)
	if err := readOne(c, "$all"); err != nil {
		t.Errorf("read $all on an insecure node: %v", err)
	}
	if err := writeOne(c, "$mine"); err != nil {
		t.Errorf("write a system stream on an insecure node: %v", err)
	}
}
