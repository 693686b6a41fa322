// Package esdbtest is an in-process server that speaks EventStoreDB's gRPC
// protocol, backed by memory: test support for the esdb store and for any
// package whose tests want to run against "EventStoreDB" on a machine that
// cannot run the real one. It is not a product feature and not a database.
//
// It is built on the server interfaces generated in the client module
// (protos/streams, protos/serverfeatures, protos/gossip, protos/shared) and
// serves the real v4 client on 127.0.0.1 over plain gRPC or TLS. It does
// what the client needs of a server (research/eventstore.md §3.3):
//
//   - every recorded event carries "type", "content-type" and "created"
//     (decimal .NET ticks) in its metadata map; reads never send
//     first/last stream positions; a subscription starts with a
//     confirmation; a read of a missing stream sends stream_not_found and
//     ends cleanly;
//   - keepalive pings are allowed every 5 s, also without streams, so the
//     client's 10 s pings do not get it disconnected;
//   - messages up to 32 MiB are received, and an append whose events
//     exceed the append cap (1 MiB, as on a real server, counted as the
//     server version counts: Options.Version) is refused with
//     InvalidArgument and the trailers
//     exception=maximum-append-size-exceeded and maximum-append-size;
//   - positions rise strictly, with gaps, and are never 0; commit equals
//     prepare;
//   - a read of or a subscription to $all starts at 0, at a position some
//     event had (a scavenge does not take it back) or past the end (the
//     end); any other position is refused with status Unknown "Trying to
//     read from an invalid position.", a subscription after its
//     confirmation, as KurrentDB does;
//   - a metastream ("$$name") keeps only its latest event ($maxCount=1);
//   - a new server's $all holds the system streams of its default users
//     ("$users", "$user-admin", "$user-ops"; SystemUsers), as a real one
//     does, under "$" names and types that prefix filters never match.
//
// A server with Options.Users is a secure node: calls are authenticated
// (a wrong password is Unauthenticated, no credentials an anonymous user,
// refused) and checked against ACLs as KurrentDB's default policy does
// (acl.go): $admins may do anything; a stream's $acl in its metadata
// ($r, $w, $d, $mr, $mw), else $settings' $userStreamAcl /
// $systemStreamAcl, else the defaults (user streams: every user; streams
// starting with "$", $all among them: $admins); a refusal is
// PermissionDenied "Access Denied" with exception=access-denied. A server
// without users is an insecure node and checks nothing, so the default
// users' ACLs let anyone delete or truncate a stream: Delete (soft: the
// stream's events
// disappear from stream reads, a later append continues its revisions),
// Tombstone ($streamDeleted; the stream is gone for good), and stream
// metadata $maxCount, $maxAge and $tb honoured on stream reads (a stream
// they empty reads as empty; only a stream never written or deleted is not
// found). Events so hidden stay in $all until Memory.Scavenge removes them,
// as a scavenge does. For connection tests it offers TLS with basic-auth
// users, a gossip view for seed lists and esdb+discover://, Stop/Restart on
// the same address, and DropConnections. In a cluster (StartCluster) a
// follower serves reads and forwards writes to the leader, as a real one
// does for calls that do not require the leader (the v4.2.0 client never
// sends requires-leader); a call that does, or every call with
// Options.RequiresLeader, is answered not-leader (NotFound "Leader info
// available" with exception=not-leader, leader-endpoint-host and
// leader-endpoint-port), and Elect moves the leadership. Options.Version
// picks what differs between server versions: how the append cap counts,
// and whether a subscription gets caught_up (not before 23.10).
//
// Not implemented: BatchAppend, persistent subscriptions, projections,
// link resolution, user management (users come from Options), a cluster
// without a leader, and stale followers (the nodes share one memory).
package esdbtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
)

// MaxAppendSize is the default append cap, as on a real server: the bytes
// of all events of one append, counted as the server version counts them
// (appendSize). An append of exactly the cap fits.
const MaxAppendSize = 1 << 20

// DefaultVersion is the server version a Server reports and behaves as
// unless Options.Version says otherwise.
const DefaultVersion = "24.10.4"

// Options configure a Server. The zero value is a plain single node on a
// free port of 127.0.0.1 with a memory of its own.
type Options struct {
	// Addr is the address to listen on; default "127.0.0.1:0".
	Addr string
	// Memory is the storage; default a new one. Servers sharing a Memory
	// are nodes of one cluster.
	Memory *Memory
	// Certificate, if set, makes the server speak TLS with it (see
	// SelfSigned).
	Certificate *tls.Certificate
	// Users, if set, make a secure node: they are the only credentials
	// accepted (user → password; a wrong one is Unauthenticated), a
	// Streams call without credentials is refused as anonymous, and every
	// call is checked against the stream's ACL (acl.go). The client sends
	// credentials only over TLS. Gossip and ServerFeatures stay open, as
	// on a real server. Without Users the node is insecure and checks
	// nothing.
	Users map[string]string
	// Groups gives users groups (user → groups) besides the default
	// users' ("admin" is in $admins, "ops" in $ops): the roles ACLs name.
	Groups map[string][]string
	// RequiresLeader makes a follower treat every Streams call as one
	// carrying the header requires-leader: true, which the v4.2.0 client
	// means to send with nodePreference=leader but never does (research
	// §1.6, defect 1): the follower answers not-leader, naming the leader,
	// instead of serving reads and forwarding writes to the leader.
	RequiresLeader bool
	// MaxAppendSize overrides the append cap (default MaxAppendSize).
	MaxAppendSize int
	// Version is the server version ServerFeatures reports (default
	// DefaultVersion), "major.minor.patch". The server behaves as that
	// version does where versions differ:
	//   - before 24.10.4 the append cap counts the events' data only;
	//     from 24.10.4 on, data, custom metadata and the event type at two
	//     bytes a UTF-16 code unit (the server's Event.SizeOnDisk, whose
	//     earlier form counted the data alone);
	//   - before 23.10 a subscription gets no caught_up message: a
	//     filtered $all subscription learns it went live only from the
	//     checkpoint it gets then (at the end of $all), any other
	//     subscription not at all.
	Version string
	// AfterAppend, if set, is called after an append is stored (or found
	// already stored: an idempotent retry), with the stream and the
	// events' types, before the server answers. A non-nil error (a gRPC
	// status, e.g. codes.Aborted: Unavailable makes the client reconnect) is the answer instead of success:
	// the append landed but its writer cannot know, as when the
	// connection is lost after the commit (an unknown outcome).
	AfterAppend func(stream string, types []string) error
}

// Server is a running test server.
type Server struct {
	mem           *Memory
	opts          Options
	maxAppendSize int
	version       [3]int // Options.Version parsed
	id            uuid.UUID

	mu       sync.Mutex
	addr     string
	grpc     *grpc.Server
	lis      *trackingListener
	stopping chan struct{} // closed by Stop; subscriptions end
	served   chan struct{} // closed when Serve returns
	members  func() []*gossip.MemberInfo
	calls    map[string]int
	cluster  *cluster // nil: a single node, its own leader
}

// cluster is the nodes StartCluster started and which of them leads.
type cluster struct {
	mu     sync.Mutex
	nodes  []*Server
	leader *Server
}

// Start starts a server and stops it when tb's test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Listen(opts)
	if err != nil {
		tb.Fatalf("start EventStoreDB test server: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Listen starts a server. Stop it with Stop.
func Listen(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Memory == nil {
		opts.Memory = NewMemory()
	}
	if opts.MaxAppendSize <= 0 {
		opts.MaxAppendSize = MaxAppendSize
	}
	if opts.Version == "" {
		opts.Version = DefaultVersion
	}
	version, err := parseVersion(opts.Version)
	if err != nil {
		return nil, err
	}
	s := &Server{mem: opts.Memory, opts: opts, maxAppendSize: opts.MaxAppendSize, version: version, id: uuid.New(), calls: map[string]int{}}
	if err := s.serve(opts.Addr); err != nil {
		return nil, err
	}
	return s, nil
}

// parseVersion parses "major.minor.patch" (anything after a third dot or
// a dash is ignored), as the client parses the version it is told.
func parseVersion(v string) ([3]int, error) {
	var out [3]int
	core, _, _ := strings.Cut(v, "-")
	parts := strings.SplitN(core, ".", 4)
	if len(parts) < 3 {
		return out, fmt.Errorf("parse server version %q: want major.minor.patch", v)
	}
	for i := range out {
		n, err := strconv.Atoi(parts[i])
		if err != nil || n < 0 {
			return out, fmt.Errorf("parse server version %q: part %d is not a number: want major.minor.patch", v, i+1)
		}
		out[i] = n
	}
	return out, nil
}

// atLeast reports whether the server is version major.minor.patch or later.
func (s *Server) atLeast(major, minor, patch int) bool {
	v := s.version
	switch {
	case v[0] != major:
		return v[0] > major
	case v[1] != minor:
		return v[1] > minor
	}
	return v[2] >= patch
}

// appendSize is what one event counts towards the append cap on this
// server's version (see Options.Version).
func (s *Server) appendSize(data, meta []byte, typ string) int {
	if !s.atLeast(24, 10, 4) {
		return len(data)
	}
	return len(data) + len(meta) + 2*len(utf16.Encode([]rune(typ)))
}

func (s *Server) serve(addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	opts := []grpc.ServerOption{
		// The client pings every 10 s, also with no call open; grpc-go's
		// default policy would answer with GOAWAY "too_many_pings".
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.MaxRecvMsgSize(32 << 20),
		grpc.ChainUnaryInterceptor(s.unaryInterceptor),
		grpc.ChainStreamInterceptor(s.streamInterceptor),
	}
	if s.opts.Certificate != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{*s.opts.Certificate}})))
	}
	g := grpc.NewServer(opts...)
	stopping := make(chan struct{})
	api.RegisterStreamsServer(g, &streamsServer{srv: s, stopping: stopping})
	serverfeatures.RegisterServerFeaturesServer(g, &featuresServer{srv: s})
	gossip.RegisterGossipServer(g, &gossipServer{srv: s})
	tl := &trackingListener{Listener: lis, conns: map[net.Conn]bool{}}
	served := make(chan struct{})
	s.mu.Lock()
	s.addr = lis.Addr().String()
	s.grpc = g
	s.lis = tl
	s.stopping = stopping
	s.served = served
	s.mu.Unlock()
	go func() {
		defer close(served)
		_ = g.Serve(tl)
	}()
	return nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL returns a connection string for the server: esdb://HOST:PORT with
// tls=false for a plain server, and query added (e.g. "prefix=x/").
func (s *Server) URL(query ...string) string {
	q := query
	if s.opts.Certificate == nil {
		q = append([]string{"tls=false"}, q...)
	}
	u := "esdb://" + s.Addr()
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	return u
}

// Memory returns the server's storage.
func (s *Server) Memory() *Memory { return s.mem }

// Stop stops the server: the listener and every connection are closed and
// open calls end. The memory is kept; Restart serves it again. Stopping a
// stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	g, stopping, served := s.grpc, s.stopping, s.served
	s.grpc = nil
	s.mu.Unlock()
	if g == nil {
		return
	}
	close(stopping)
	g.Stop()
	<-served
}

// Restart stops the server if it runs and serves again on the same address
// with the same memory, like a node coming back after a restart.
func (s *Server) Restart() error {
	s.Stop()
	addr := s.Addr()
	var err error
	// The port was just released; allow the kernel a moment if it objects.
	for range 50 {
		if err = s.serve(addr); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// DropConnections closes every client connection at the TCP level, as a
// network failure would; the server keeps listening and clients reconnect.
func (s *Server) DropConnections() {
	s.mu.Lock()
	lis := s.lis
	s.mu.Unlock()
	if lis != nil {
		lis.dropAll()
	}
}

// Calls returns how many calls of a method the server has received, by
// its short name: "Append", "Read", "Delete", "Tombstone", "Gossip.Read",
// "GetSupportedMethods" (a leader also counts the writes its followers
// forwarded to it); and how many answers of a kind it gave:
// "AccessDenied", "NotLeader", "Forwarded" (writes a follower passed to
// the leader).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// SetMembers replaces the cluster view that Gossip.Read reports (by
// default this server alone, as a live leader).
func (s *Server) SetMembers(members func() []*gossip.MemberInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members = members
}

// Member returns this server as a gossip member in state.
func (s *Server) Member(state gossip.MemberInfo_VNodeState) *gossip.MemberInfo {
	host, port, _ := net.SplitHostPort(s.Addr())
	p, _ := strconv.Atoi(port)
	return &gossip.MemberInfo{
		InstanceId:   protoUUID(s.id, false),
		TimeStamp:    time.Now().UnixNano() / 100,
		State:        state,
		IsAlive:      true,
		HttpEndPoint: &gossip.EndPoint{Address: host, Port: uint32(p)},
	}
}

// StartCluster starts n nodes sharing one memory; node 0 is the leader and
// the others followers (Elect changes that), and every node's gossip says
// so. A follower serves reads and forwards writes to the leader, as a real
// one does for calls that do not require the leader; a call that does (the
// header requires-leader: true, or every call with Options.RequiresLeader)
// is answered not-leader, naming the leader.
func StartCluster(tb testing.TB, n int, opts Options) []*Server {
	tb.Helper()
	if opts.Memory == nil {
		opts.Memory = NewMemory()
	}
	c := &cluster{nodes: make([]*Server, n)}
	for i := range c.nodes {
		c.nodes[i] = Start(tb, opts)
		c.nodes[i].cluster = c
	}
	c.leader = c.nodes[0]
	view := func() []*gossip.MemberInfo {
		leader := c.leaderNode()
		out := make([]*gossip.MemberInfo, n)
		for i, node := range c.nodes {
			state := gossip.MemberInfo_Follower
			if node == leader {
				state = gossip.MemberInfo_Leader
			}
			out[i] = node.Member(state)
		}
		return out
	}
	for _, node := range c.nodes {
		node.SetMembers(view)
	}
	return c.nodes
}

func (c *cluster) leaderNode() *Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leader
}

// Elect makes s the leader of its cluster (StartCluster), the others
// followers, as an election after a leader's failure would; gossip says so
// at once. A single node is always its own leader.
func (s *Server) Elect() {
	if s.cluster == nil {
		return
	}
	s.cluster.mu.Lock()
	s.cluster.leader = s
	s.cluster.mu.Unlock()
}

// leaderNode returns the leader of s's cluster (s itself for a single
// node).
func (s *Server) leaderNode() *Server {
	if s.cluster == nil {
		return s
	}
	return s.cluster.leaderNode()
}

// notLeader is a follower's answer to a call that requires the leader
// (server RpcExceptions.LeaderInfo): status NotFound "Leader info
// available" with the trailers exception=not-leader, leader-endpoint-host
// and leader-endpoint-port, from which the client reconnects to the leader.
func notLeader(set func(metadata.MD), leader *Server) error {
	host, port, _ := net.SplitHostPort(leader.Addr())
	set(metadata.Pairs("exception", "not-leader", "leader-endpoint-host", host, "leader-endpoint-port", port))
	return status.Error(codes.NotFound, "Leader info available")
}

// leaderOnly reports whether a call must be served by the leader: it
// carries requires-leader: true, or the server treats every call so.
func (s *Server) leaderOnly(ctx context.Context) bool {
	if s.opts.RequiresLeader {
		return true
	}
	md, _ := metadata.FromIncomingContext(ctx)
	v := md.Get("requires-leader")
	return len(v) > 0 && strings.EqualFold(v[0], "true")
}

// route decides what a follower does with a Streams call: it answers
// not-leader when the call requires the leader; otherwise it serves it,
// and a write ("Append", "Delete", "Tombstone") is forwarded to the
// leader: counted as "Forwarded" here and as the method there. The memory
// is shared, so serving here is what the leader would do.
func (s *Server) route(ctx context.Context, fullMethod string, set func(metadata.MD)) error {
	if !strings.Contains(fullMethod, "streams.Streams/") {
		return nil
	}
	leader := s.leaderNode()
	if leader == s {
		return nil
	}
	if s.leaderOnly(ctx) {
		s.mu.Lock()
		s.calls["NotLeader"]++
		s.mu.Unlock()
		return notLeader(set, leader)
	}
	if !strings.HasSuffix(fullMethod, "/Read") {
		s.mu.Lock()
		s.calls["Forwarded"]++
		s.mu.Unlock()
		leader.count(fullMethod)
	}
	return nil
}

func (s *Server) count(fullMethod string) {
	name := fullMethod[strings.LastIndex(fullMethod, "/")+1:]
	if strings.Contains(fullMethod, "gossip.Gossip/") {
		name = "Gossip." + name
	}
	s.mu.Lock()
	s.calls[name]++
	s.mu.Unlock()
}

// authorize checks basic-auth credentials on Streams calls when the server
// is secure (has users): a wrong user or password is Unauthenticated, no
// credentials at all the refusal of an anonymous user (Access Denied). The
// stream's ACL is checked by the call (permit).
func (s *Server) authorize(ctx context.Context, fullMethod string, set func(metadata.MD)) error {
	if !s.secure() || !strings.Contains(fullMethod, "streams.Streams/") {
		return nil
	}
	user, pass, ok, err := basicAuth(ctx)
	switch {
	case err != nil:
		return err
	case !ok:
		s.countDenied()
		return accessDenied(set)
	}
	if want, ok := s.opts.Users[user]; !ok || want != pass {
		return status.Error(codes.Unauthenticated, "Bad username or password")
	}
	return nil
}

func (s *Server) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	s.count(info.FullMethod)
	set := setTrailer(ctx)
	if err := s.authorize(ctx, info.FullMethod, set); err != nil {
		return nil, err
	}
	if err := s.route(ctx, info.FullMethod, set); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (s *Server) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	s.count(info.FullMethod)
	err := s.authorize(ss.Context(), info.FullMethod, ss.SetTrailer)
	if err == nil {
		err = s.route(ss.Context(), info.FullMethod, ss.SetTrailer)
	}
	if err != nil {
		if strings.HasSuffix(info.FullMethod, "/Append") {
			// The answer comes after the client's events, as a real
			// server's would: the client sends them all first.
			for ss.RecvMsg(new(api.AppendReq)) == nil {
			}
		}
		return err
	}
	return handler(srv, ss)
}

type featuresServer struct {
	serverfeatures.UnimplementedServerFeaturesServer
	srv *Server
}

func (f *featuresServer) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	var methods []*serverfeatures.SupportedMethod
	for _, m := range []string{"read", "append", "delete", "tombstone"} {
		methods = append(methods, &serverfeatures.SupportedMethod{MethodName: m, ServiceName: "event_store.client.streams.streams"})
	}
	methods = append(methods, &serverfeatures.SupportedMethod{MethodName: "read", ServiceName: "event_store.client.gossip.gossip"})
	return &serverfeatures.SupportedMethods{Methods: methods, EventStoreServerVersion: f.srv.opts.Version}, nil
}

type gossipServer struct {
	gossip.UnimplementedGossipServer
	srv *Server
}

func (g *gossipServer) Read(context.Context, *shared.Empty) (*gossip.ClusterInfo, error) {
	g.srv.mu.Lock()
	members := g.srv.members
	g.srv.mu.Unlock()
	if members == nil {
		return &gossip.ClusterInfo{Members: []*gossip.MemberInfo{g.srv.Member(gossip.MemberInfo_Leader)}}, nil
	}
	return &gossip.ClusterInfo{Members: members()}, nil
}

// trackingListener remembers the connections it accepted, so that they can
// be dropped.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]bool
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[tc] = true
	l.mu.Unlock()
	return tc, nil
}

func (l *trackingListener) dropAll() {
	l.mu.Lock()
	conns := make([]net.Conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

type trackedConn struct {
	net.Conn
	l    *trackingListener
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	err := c.Conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
