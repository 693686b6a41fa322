package esdbtest_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"

	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// deleteOn calls Delete on addr directly, with the header requires-leader
// when asked, and returns the status and the trailers.
func deleteOn(t *testing.T, addr, stream string, requiresLeader bool) (*status.Status, metadata.MD) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	if requiresLeader {
		ctx = metadata.AppendToOutgoingContext(ctx, "requires-leader", "true")
	}
	var trailer metadata.MD
	_, err = api.NewStreamsClient(conn).Delete(ctx, &api.DeleteReq{Options: &api.DeleteReq_Options{
		StreamIdentifier:       &shared.StreamIdentifier{StreamName: []byte(stream)},
		ExpectedStreamRevision: &api.DeleteReq_Options_Any{Any: &shared.Empty{}},
	}}, grpc.Trailer(&trailer))
	return status.Convert(err), trailer
}

// TestFollowerAnswers: a follower forwards a write that does not require
// the leader and answers one that does with not-leader, naming the
// leader; the leader serves both.
func TestFollowerAnswers(t *testing.T) {
	nodes := esdbtest.StartCluster(t, 3, esdbtest.Options{})
	c := client(t, nodes[0])
	appendTo(t, c, "s", esclient.Any{}, ev("E"))
	appendTo(t, c, "t", esclient.Any{}, ev("E"))

	st, trailer := deleteOn(t, nodes[1].Addr(), "s", true)
	host, port, _ := net.SplitHostPort(nodes[0].Addr())
	want := metadata.Pairs("exception", "not-leader", "leader-endpoint-host", host, "leader-endpoint-port", port)
	if st.Code() != codes.NotFound || st.Message() != "Leader info available" {
		t.Errorf("delete requiring the leader on a follower: %v %q, want NotFound \"Leader info available\"", st.Code(), st.Message())
	}
	for k, v := range want {
		if got := trailer.Get(k); len(got) != 1 || got[0] != v[0] {
			t.Errorf("trailer %s = %q, want %q", k, got, v)
		}
	}
	if n := nodes[1].Calls("NotLeader"); n != 1 {
		t.Errorf("follower counted %d not-leader answers, want 1", n)
	}
	if n := nodes[0].Calls("Delete"); n != 0 {
		t.Errorf("leader saw %d deletes, want none (the follower refused)", n)
	}

	if st, _ := deleteOn(t, nodes[1].Addr(), "t", false); st.Code() != codes.OK {
		t.Errorf("delete on a follower, not requiring the leader: %v", st.Err())
	}
	if n, m := nodes[1].Calls("Forwarded"), nodes[0].Calls("Delete"); n != 1 || m != 1 {
		t.Errorf("follower forwarded %d writes, leader served %d deletes; want 1, 1", n, m)
	}
	if st, _ := deleteOn(t, nodes[0].Addr(), "s", true); st.Code() != codes.OK {
		t.Errorf("delete requiring the leader on the leader: %v", st.Err())
	}
}

// TestClientReachesLeader: with every call requiring the leader, the v4
// client connected to a follower gets not-leader once, reconnects to the
// leader the trailers name, and its next calls go there; after an
// election the old leader, now a follower, sends it to the new one.
func TestClientReachesLeader(t *testing.T) {
	nodes := esdbtest.StartCluster(t, 3, esdbtest.Options{RequiresLeader: true})
	cfg, err := esclient.ParseConnectionString("esdb://" + nodes[2].Addr() + "?tls=false")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = esclient.NoopLogging()
	c, err := esclient.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	appendOnce := func() error {
		_, err := c.AppendToStream(context.Background(), "s", esclient.AppendToStreamOptions{}, ev("E"))
		return err
	}
	var ce *esclient.Error
	if err := appendOnce(); !errors.As(err, &ce) || ce.Code() != esclient.ErrorCodeNotLeader {
		t.Fatalf("append on a follower: %v, want ErrorCodeNotLeader", err)
	}
	if err := appendOnce(); err != nil {
		t.Fatalf("append after the not-leader answer: %v", err)
	}
	if n, m := nodes[2].Calls("NotLeader"), nodes[0].Calls("Append"); n != 1 || m != 1 {
		t.Errorf("follower refused %d calls, leader served %d appends; want 1, 1", n, m)
	}

	nodes[1].Elect()
	members := gossipOf(t, nodes[0])
	if members[1].State != gossip.MemberInfo_Leader || members[0].State != gossip.MemberInfo_Follower {
		t.Errorf("gossip after Elect: %v, %v, want node 1 the leader, node 0 a follower", members[0].State, members[1].State)
	}
	if err := appendOnce(); !errors.As(err, &ce) || ce.Code() != esclient.ErrorCodeNotLeader {
		t.Fatalf("append on the old leader: %v, want ErrorCodeNotLeader", err)
	}
	if err := appendOnce(); err != nil {
		t.Fatalf("append after the election: %v", err)
	}
	if n, m := nodes[0].Calls("NotLeader"), nodes[1].Calls("Append"); n != 1 || m != 1 {
		t.Errorf("old leader refused %d calls, new leader served %d appends; want 1, 1", n, m)
	}
	rs, err := c.ReadStream(context.Background(), "s", esclient.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	n := 0
	for {
		if _, err := rs.Recv(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("read %d events, want 2", n)
	}
}

func gossipOf(t *testing.T, node *esdbtest.Server) []*gossip.MemberInfo {
	t.Helper()
	conn, err := grpc.NewClient(node.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	info, err := gossip.NewGossipClient(conn).Read(context.Background(), &shared.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	return info.Members
}
