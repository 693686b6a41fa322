package esdb_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// refusal is a server's answer to a call on one stream: a gRPC status
// and the trailers that go with it (research/eventstore.md §2.2, §2.4).
type refusal struct {
	code    codes.Code
	msg     string
	trailer []string // key, value, ...
}

// refusingProxy serves the Streams service in front of an esdbtest
// server, answering calls on the streams it was told to refuse with that
// refusal and passing every other call on: answers the test server does
// not give (a follower naming no leader, a server not ready or at fault,
// texts other than the recorded ones) reach the real client as a real
// server would send them. Access denied, bad credentials and a follower
// naming the leader come from the test server itself
// (TestClassifyServerRefusals).
type refusingProxy struct {
	api.UnimplementedStreamsServer
	next api.StreamsClient
	addr string

	mu     sync.Mutex
	refuse map[string]refusal
}

func startProxy(tb testing.TB, srv *esdbtest.Server) *refusingProxy {
	tb.Helper()
	cc, lis := proxyTo(tb, srv)
	p := &refusingProxy{next: api.NewStreamsClient(cc), addr: lis.Addr().String(), refuse: map[string]refusal{}}
	gs := grpc.NewServer()
	api.RegisterStreamsServer(gs, p)
	serveProxy(tb, gs, lis, cc)
	return p
}

// proxyTo dials srv for a test proxy, and opens the loopback listener the
// proxy serves on.
func proxyTo(tb testing.TB, srv *esdbtest.Server) (*grpc.ClientConn, net.Listener) {
	tb.Helper()
	cc, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return cc, lis
}

// serveProxy serves gs on lis until the test ends, then closes cc.
func serveProxy(tb testing.TB, gs *grpc.Server, lis net.Listener, cc *grpc.ClientConn) {
	done := make(chan struct{})
	go func() { defer close(done); gs.Serve(lis) }()
	tb.Cleanup(func() {
		gs.Stop()
		<-done
		cc.Close()
	})
}

// URL is the proxy's location, with query settings added.
func (p *refusingProxy) URL(query ...string) string {
	q := append([]string{"tls=false"}, query...)
	return "esdb://" + p.addr + "?" + strings.Join(q, "&")
}

// Refuse makes every call on stream (the server's name) answer r.
func (p *refusingProxy) Refuse(stream string, r refusal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse[stream] = r
}

func (p *refusingProxy) refusal(stream string) (refusal, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.refuse[stream]
	return r, ok
}

func (r refusal) answer(set func(metadata.MD)) error {
	if len(r.trailer) > 0 {
		set(metadata.Pairs(r.trailer...))
	}
	return status.Error(r.code, r.msg)
}

func (p *refusingProxy) Append(in api.Streams_AppendServer) error {
	first, err := in.Recv()
	if err != nil {
		return err
	}
	if r, ok := p.refusal(string(first.GetOptions().GetStreamIdentifier().GetStreamName())); ok {
		for {
			if _, err := in.Recv(); err != nil {
				break
			}
		}
		return r.answer(in.SetTrailer)
	}
	var trailer metadata.MD
	out, err := p.next.Append(in.Context(), grpc.Trailer(&trailer))
	if err != nil {
		return err
	}
	for req := first; ; {
		if err := out.Send(req); err != nil {
			break // the answer comes with CloseAndRecv
		}
		if req, err = in.Recv(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
	}
	resp, err := out.CloseAndRecv()
	if err != nil {
		in.SetTrailer(trailer)
		return err
	}
	return in.SendAndClose(resp)
}

func (p *refusingProxy) Read(req *api.ReadReq, out api.Streams_ReadServer) error {
	if r, ok := p.refusal(string(req.GetOptions().GetStream().GetStreamIdentifier().GetStreamName())); ok {
		return r.answer(out.SetTrailer)
	}
	var trailer metadata.MD
	in, err := p.next.Read(out.Context(), req, grpc.Trailer(&trailer))
	if err != nil {
		return err
	}
	for {
		m, err := in.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			out.SetTrailer(trailer)
			return err
		}
		if err := out.Send(m); err != nil {
			return err
		}
	}
}

// Refusals as a real server sends them (research/eventstore.md §1.2,
// §2.2, §2.4; server RpcExceptions).
func deletedRefusal(stream string) refusal {
	return refusal{codes.FailedPrecondition, "Event stream '" + stream + "' is deleted.", []string{"exception", "stream-deleted", "stream-name", stream}}
}

var (
	overCap       = refusal{codes.InvalidArgument, "Maximum Append Size of 1048576 Exceeded.", []string{"exception", "maximum-append-size-exceeded", "maximum-append-size", "1048576"}}
	overCapOdd    = refusal{codes.InvalidArgument, "Maximum Append Size of 99999999999999999999 Exceeded.", []string{"exception", "maximum-append-size-exceeded"}}
	notLeaderBare = refusal{codes.NotFound, "Leader info available", []string{"exception", "not-leader"}}
	timedOut      = refusal{codes.Aborted, "Operation timed out", nil}
	notReady      = refusal{codes.Unavailable, "Server Is Not Ready", nil}
	serverFault   = refusal{codes.Internal, "Unexpected error", nil}
	noSuchCall    = refusal{codes.Unimplemented, "unknown method", nil}
	malformed     = refusal{codes.InvalidArgument, "Invalid Append Request", nil}
)

// TestClassifyClientErrors: what the adapter makes of each answer of the
// server as the real client (v4.2.0) hands it over, whether the client
// gave it a code of its own (from the trailers or the status) or not.
func TestClassifyClientErrors(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	p := startProxy(t, srv)
	c := rawClientAt(t, p.URL())
	ev := func() esclient.EventData {
		return esclient.EventData{EventID: uuid.New(), EventType: "E", ContentType: esclient.ContentTypeJson, Data: []byte(`{}`)}
	}
	appendTo := func(stream string) error {
		_, err := c.AppendToStream(t.Context(), stream, esclient.AppendToStreamOptions{}, ev())
		return err
	}
	readFrom := func(stream string) error {
		rs, err := c.ReadStream(t.Context(), stream, esclient.ReadStreamOptions{}, 10)
		if err != nil {
			return err
		}
		defer rs.Close()
		for {
			if _, err := rs.Recv(); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
	}
	tests := []struct {
		name   string
		refuse refusal
		call   func(string) error
		want   string
	}{
		{"append to a tombstoned stream", deletedRefusal("s"), appendTo, "deleted"},
		{"read of a tombstoned stream", deletedRefusal("s"), readFrom, "deleted"},
		{"append over the cap", overCap, appendTo, "too large"},
		{"append over the cap, text differs", overCapOdd, appendTo, "invalid"},
		{"malformed append", malformed, appendTo, "invalid"},
		{"read from a follower naming no leader", notLeaderBare, readFrom, "not leader"},
		{"append timed out on the server", timedOut, appendTo, "transient"},
		// Not here: Unavailable, which makes the v4 client rediscover
		// and leak its old connection; the store retires such a client
		// (TestStoreRefusals).
		{"server fault", serverFault, readFrom, "transient"},
		{"call the server lacks", noSuchCall, appendTo, "unsupported"},
	}
	for i, tt := range tests {
		stream := "s-" + string(rune('a'+i))
		if r := tt.refuse; r.trailer != nil && r.trailer[1] == "stream-deleted" {
			tt.refuse = deletedRefusal(stream)
		}
		p.Refuse(stream, tt.refuse)
		err := tt.call(stream)
		if got := esdb.ClassOf(err); got != tt.want {
			t.Errorf("%s: class of %v = %q, want %q", tt.name, err, got, tt.want)
		}
	}

	// Answers of the protocol rather than refusals: a wrong expected
	// revision, whose current revision only the client's text names, and
	// a stream that is not there.
	for range 3 {
		if err := appendTo("three"); err != nil {
			t.Fatal(err)
		}
	}
	for _, exp := range []esclient.ExpectedRevision{esclient.Revision(0), esclient.NoStream{}} {
		_, err := c.AppendToStream(t.Context(), "three", esclient.AppendToStreamOptions{ExpectedRevision: exp}, ev())
		if got := esdb.ClassOf(err); got != "conflict" {
			t.Errorf("append expecting %v to a stream of 3: class of %v = %q, want conflict", exp, err, got)
		}
		if n, ok := esdb.LengthFromText(err); !ok || n != 3 {
			t.Errorf("append expecting %v to a stream of 3: length read from %v = %d, %v; want 3, true", exp, err, n, ok)
		}
	}
	_, err := c.AppendToStream(t.Context(), "none", esclient.AppendToStreamOptions{ExpectedRevision: esclient.Revision(4)}, ev())
	if n, ok := esdb.LengthFromText(err); !ok || n != 0 {
		t.Errorf("append expecting revision 4 to no stream: length read from %v = %d, %v; want 0, true", err, n, ok)
	}
	if err := readFrom("none"); esdb.ClassOf(err) != "not found" {
		t.Errorf("read of a missing stream: class of %v = %q, want not found", err, esdb.ClassOf(err))
	}
}

// TestStoreServerAnswers: the store's errors for the answers the test
// server gives: a wrong expected revision, a tombstoned stream, an
// append over the server's cap (a cap other than the default, so the
// number must come from the server), a stream that is not there.
func TestStoreServerAnswers(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{MaxAppendSize: 4096})
	s := open(t, srv.URL())
	appendN(t, s, "incident-1", 3)
	for _, exp := range []eventstore.Expected{eventstore.Exact(0), eventstore.NoStream, eventstore.Exact(5)} {
		_, err := s.Append(t.Context(), "incident-1", exp, []eventstore.Record{record(t, "Late")})
		var ce *eventstore.ConflictError
		if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrConflict) || ce.Length != 3 {
			t.Errorf("Append(expecting %v) to a stream of 3: error = %v, want a conflict naming length 3", exp, err)
		}
	}

	big := record(t, "Big")
	big.Payload = make([]byte, 5000)
	_, err := s.Append(t.Context(), "incident-2", eventstore.NoStream, []eventstore.Record{big})
	var se *esdb.AppendSizeError
	if !errors.Is(err, eventstore.ErrTooLarge) || !errors.As(err, &se) || se.Max != 4096 || se.Size <= 5000 {
		t.Errorf("Append(5000 bytes) under a cap of 4096: error = %v, want an *AppendSizeError naming the cap 4096", err)
	}

	if _, err := s.ReadStream(t.Context(), "incident-3", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrNotFound) {
		t.Errorf("ReadStream(missing) error = %v, want ErrNotFound", err)
	}

	appendN(t, s, "incident-4", 1)
	if _, err := rawClient(t, srv).TombstoneStream(t.Context(), "breachledger/incident-4", esclient.TombstoneStreamOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(t.Context(), "incident-4", eventstore.Any, []eventstore.Record{record(t, "Late")}); !errors.Is(err, esdb.ErrStreamDeleted) {
		t.Errorf("Append(tombstoned) error = %v, want ErrStreamDeleted", err)
	}
	if _, err := s.ReadStream(t.Context(), "incident-4", eventstore.ReadOptions{}); !errors.Is(err, esdb.ErrStreamDeleted) || errors.Is(err, eventstore.ErrNotFound) {
		t.Errorf("ReadStream(tombstoned) error = %v, want ErrStreamDeleted", err)
	}
}

// TestStoreRefusals: the store's errors for answers the test server does
// not give (a follower naming no leader), and for a refusal whose text is
// not the one recorded: each names what happened, none passes for another
// (a follower's answer is not "no events", an unreadable cap is not a
// wrong cap). The store under ACLs: acl_test.go.
func TestStoreRefusals(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	p := startProxy(t, srv)
	s := open(t, p.URL())
	p.Refuse("breachledger/incident-follower", notLeaderBare)
	p.Refuse("breachledger/incident-odd-cap", overCapOdd)
	add := func(stream string) error {
		_, err := s.Append(t.Context(), stream, eventstore.Any, []eventstore.Record{record(t, "E")})
		return err
	}
	read := func(stream string) error {
		_, err := s.ReadStream(t.Context(), stream, eventstore.ReadOptions{})
		return err
	}
	tests := []struct {
		name    string
		err     error
		want    error
		wantNot error
	}{
		{"read from a follower naming no leader", read("incident-follower"), esdb.ErrNotLeader, eventstore.ErrNotFound},
		{"append over a cap the text does not say", add("incident-odd-cap"), nil, eventstore.ErrTooLarge},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if tt.want != nil && !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: error = %v, want %v", tt.name, tt.err, tt.want)
		}
		if tt.wantNot != nil && errors.Is(tt.err, tt.wantNot) {
			t.Errorf("%s: error = %v, want it not to be %v", tt.name, tt.err, tt.wantNot)
		}
	}
	// A server not ready is worth another try, on a new client, and
	// after the last says so.
	p.Refuse("breachledger/incident-not-ready", notReady)
	gen := esdb.Generation(s)
	err := add("incident-not-ready")
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) || se.GRPCStatus().Code() != codes.Unavailable || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("append to a server not ready: error = %v, want Unavailable, after 3 attempts", err)
	}
	if got := esdb.Generation(s) - gen; got != 3 {
		t.Errorf("append to a server not ready replaced the client %d times, want 3 (once an attempt)", got)
	}
	// The store still works for streams the server does not refuse.
	if err := add("incident-1"); err != nil {
		t.Errorf("Append(incident-1) through the proxy: %v", err)
	}
}

// rawClientAt is the plain v4 client on location.
func rawClientAt(tb testing.TB, location string) *esclient.Client {
	tb.Helper()
	cfg, err := esclient.ParseConnectionString(location)
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

// TestClassifyServerRefusals: what the adapter makes of the test server's
// own refusals, as the real client hands them over: access denied by an
// ACL (a user not in $admins reading $all, writing a stream whose $acl
// leaves it out), a wrong password, and a follower naming the leader.
func TestClassifyServerRefusals(t *testing.T) {
	_, location := secureLedgerServer(t, grant{streams: []string{"$admins"}})
	user := rawClientAt(t, location("ledger", "l-pass"))
	wrong := rawClientAt(t, location("ledger", "wrong"))
	ev := func() esclient.EventData {
		return esclient.EventData{EventID: uuid.New(), EventType: "E", ContentType: esclient.ContentTypeJson, Data: []byte(`{}`)}
	}
	appendWith := func(c *esclient.Client) error {
		_, err := c.AppendToStream(t.Context(), "s", esclient.AppendToStreamOptions{}, ev())
		return err
	}
	readAll := func(c *esclient.Client) error {
		rs, err := c.ReadAll(t.Context(), esclient.ReadAllOptions{}, 1)
		if err != nil {
			return err
		}
		defer rs.Close()
		_, err = rs.Recv()
		return err
	}
	nodes := esdbtest.StartCluster(t, 3, esdbtest.Options{RequiresLeader: true})
	follower := rawClientAt(t, "esdb://"+nodes[1].Addr()+"?tls=false")
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"append denied by ACL", func() error { return appendWith(user) }, "access denied"},
		{"read of $all denied by ACL", func() error { return readAll(user) }, "access denied"},
		{"wrong password", func() error { return appendWith(wrong) }, "unauthenticated"},
		{"append to a follower naming the leader", func() error { return appendWith(follower) }, "not leader"},
		{"append after the client went to the leader", func() error { return appendWith(follower) }, "ok"},
	}
	for _, tt := range tests {
		err := tt.call()
		got := "ok"
		if err != nil {
			got = esdb.ClassOf(err)
		}
		if got != tt.want {
			t.Errorf("%s: class of %v = %q, want %q", tt.name, err, got, tt.want)
		}
	}
	if n := nodes[0].Calls("Append"); n != 1 {
		t.Errorf("leader served %d appends, want 1", n)
	}
}
