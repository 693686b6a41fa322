package esdbtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"

	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

func client(tb testing.TB, srv *esdbtest.Server) *esclient.Client {
	tb.Helper()
	cfg, err := esclient.ParseConnectionString(srv.URL())
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

func ev(typ string) esclient.EventData {
	return esclient.EventData{EventID: uuid.New(), EventType: typ, ContentType: esclient.ContentTypeJson, Data: []byte(`{"t":"` + typ + `"}`)}
}

func appendTo(tb testing.TB, c *esclient.Client, stream string, exp esclient.ExpectedRevision, evs ...esclient.EventData) *esclient.WriteResult {
	tb.Helper()
	wr, err := c.AppendToStream(context.Background(), stream, esclient.AppendToStreamOptions{ExpectedRevision: exp}, evs...)
	if err != nil {
		tb.Fatalf("AppendToStream(%s) error = %v", stream, err)
	}
	return wr
}

// read returns the types and revisions of a stream read, or its error.
func read(c *esclient.Client, stream string, opts esclient.ReadStreamOptions, count uint64) ([]string, []uint64, error) {
	rs, err := c.ReadStream(context.Background(), stream, opts, count)
	if err != nil {
		return nil, nil, err
	}
	defer rs.Close()
	var types []string
	var revs []uint64
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return types, revs, nil
		}
		if err != nil {
			return nil, nil, err
		}
		types = append(types, e.OriginalEvent().EventType)
		revs = append(revs, e.OriginalEvent().EventNumber)
	}
}

func isCode(err error, code esclient.ErrorCode) bool {
	var e *esclient.Error
	return errors.As(err, &e) && e.IsErrorCode(code)
}

// TestClientRoundTrip drives the real client through what the store uses:
// append with each expectation, the wrong-expected-version answer, an
// idempotent retry, stream and $all reads both ways, a missing stream, and
// the fields of a recorded event ("created" among them: without it the
// client would kill the process).
func TestClientRoundTrip(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	c := client(t, srv)
	before := time.Now()
	first := []esclient.EventData{ev("A"), ev("B"), ev("C")}
	wr := appendTo(t, c, "s-1", esclient.NoStream{}, first...)
	if wr.NextExpectedVersion != 2 || wr.CommitPosition == 0 {
		t.Errorf("WriteResult = %+v, want revision 2 and a position", wr)
	}
	_, err := c.AppendToStream(t.Context(), "s-1", esclient.AppendToStreamOptions{ExpectedRevision: esclient.Revision(0)}, ev("X"))
	if !isCode(err, esclient.ErrorCodeWrongExpectedVersion) || !strings.Contains(err.Error(), "expecting '0' but got '2'") {
		t.Errorf("append at a wrong revision error = %v, want WrongExpectedVersion expecting 0, got 2", err)
	}
	_, err = c.AppendToStream(t.Context(), "s-2", esclient.AppendToStreamOptions{ExpectedRevision: esclient.Revision(0)}, ev("X"))
	if !isCode(err, esclient.ErrorCodeWrongExpectedVersion) || !strings.Contains(err.Error(), "got 'no_stream'") {
		t.Errorf("append to a missing stream at revision 0 error = %v, want WrongExpectedVersion, got no_stream", err)
	}
	again := appendTo(t, c, "s-1", esclient.NoStream{}, first...)
	if again.NextExpectedVersion != 2 {
		t.Errorf("retried append = %+v, want revision 2", again)
	}
	appendTo(t, c, "s-2", esclient.Any{}, ev("D"))
	appendTo(t, c, "s-1", esclient.Revision(2), ev("E"))

	for _, tt := range []struct {
		opts  esclient.ReadStreamOptions
		count uint64
		types []string
	}{
		{esclient.ReadStreamOptions{}, 10, []string{"A", "B", "C", "E"}},
		{esclient.ReadStreamOptions{From: esclient.Revision(1)}, 2, []string{"B", "C"}},
		{esclient.ReadStreamOptions{Direction: esclient.Backwards, From: esclient.End{}}, 10, []string{"E", "C", "B", "A"}},
		{esclient.ReadStreamOptions{Direction: esclient.Backwards, From: esclient.Revision(99)}, 2, []string{"E", "C"}},
		{esclient.ReadStreamOptions{From: esclient.End{}}, 10, nil},
	} {
		types, _, err := read(c, "s-1", tt.opts, tt.count)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.types, types); diff != "" {
			t.Errorf("ReadStream(%+v, %d) mismatch (-want +got):\n%s", tt.opts, tt.count, diff)
		}
	}
	if _, _, err := read(c, "s-missing", esclient.ReadStreamOptions{}, 10); !isCode(err, esclient.ErrorCodeResourceNotFound) {
		t.Errorf("ReadStream(missing) error = %v, want ResourceNotFound", err)
	}

	rs, err := c.ReadAll(t.Context(), esclient.ReadAllOptions{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var all []*esclient.RecordedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(e.OriginalEvent().StreamID, "$") { // the server's own (TestSystemStreams)
			all = append(all, e.OriginalEvent())
		}
	}
	rs.Close()
	if len(all) != 5 {
		t.Fatalf("ReadAll() = %d events outside system streams, want 5", len(all))
	}
	var last uint64
	for i, e := range all {
		if e.Position.Commit <= last || e.Position.Commit != e.Position.Prepare {
			t.Errorf("event %d at position %+v, after %d: want rising, non-zero, commit = prepare", i, e.Position, last)
		}
		last = e.Position.Commit
		if e.CreatedDate.Before(before.Add(-time.Second)) || e.CreatedDate.After(time.Now().Add(time.Second)) {
			t.Errorf("event %d created %v, want about now", i, e.CreatedDate)
		}
		if e.ContentType != "application/json" || e.SystemMetadata["created"] == "" {
			t.Errorf("event %d: content type %q, system metadata %v", i, e.ContentType, e.SystemMetadata)
		}
	}
	if all[0].EventID != first[0].EventID || all[0].StreamID != "s-1" || string(all[0].Data) != `{"t":"A"}` {
		t.Errorf("first event = %s %s %s, want %s s-1 {\"t\":\"A\"}", all[0].EventID, all[0].StreamID, all[0].Data, first[0].EventID)
	}
	// From a position (inclusive) and backwards from it (exclusive).
	rs, err = c.ReadAll(t.Context(), esclient.ReadAllOptions{From: all[2].Position}, 100)
	if err != nil {
		t.Fatal(err)
	}
	e, err := rs.Recv()
	rs.Close()
	if err != nil || e.OriginalEvent().EventID != all[2].EventID {
		t.Errorf("ReadAll(from %v) first = %v, %v, want %s", all[2].Position, e, err, all[2].EventID)
	}
}

// TestSubscriptions: catch-up then live, for $all filtered on a stream
// prefix (exclusive of the starting position) and for a stream.
func TestSubscriptions(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	c := client(t, srv)
	appendTo(t, c, "keep-1", esclient.Any{}, ev("A"))
	appendTo(t, c, "other-1", esclient.Any{}, ev("X"))
	wr := appendTo(t, c, "keep-2", esclient.Any{}, ev("B"))
	appendTo(t, c, "keep-1", esclient.Any{}, ev("C"))

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	sub, err := c.SubscribeToAll(ctx, esclient.SubscribeToAllOptions{
		From:   esclient.Position{Commit: wr.CommitPosition, Prepare: wr.PreparePosition},
		Filter: &esclient.SubscriptionFilter{Type: esclient.StreamFilterType, Prefixes: []string{"keep-"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	streamSub, err := c.SubscribeToStream(ctx, "keep-1", esclient.SubscribeToStreamOptions{From: esclient.Revision(0)})
	if err != nil {
		t.Fatal(err)
	}
	defer streamSub.Close()

	var got, gotStream []string
	next := func(sub *esclient.Subscription, into *[]string) (caughtUp bool) {
		for {
			se := sub.Recv()
			switch {
			case se.EventAppeared != nil:
				*into = append(*into, se.EventAppeared.OriginalEvent().EventType)
				return false
			case se.CaughtUp != nil:
				return true
			case se.SubscriptionDropped != nil:
				t.Fatalf("subscription dropped: %v", se.SubscriptionDropped.Error)
			}
		}
	}
	if next(sub, &got) || !next(sub, &got) {
		t.Fatalf("$all subscription: want one event then caught up, got %v", got)
	}
	if next(streamSub, &gotStream) || !next(streamSub, &gotStream) {
		t.Fatalf("stream subscription: want one event then caught up, got %v", gotStream)
	}
	appendTo(t, c, "other-1", esclient.Any{}, ev("Y"))
	appendTo(t, c, "keep-1", esclient.Any{}, ev("D"))
	next(sub, &got)
	next(streamSub, &gotStream)
	if diff := cmp.Diff([]string{"C", "D"}, got); diff != "" {
		t.Errorf("$all subscription from keep-2's position mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"C", "D"}, gotStream); diff != "" {
		t.Errorf("stream subscription from revision 0 mismatch (-want +got):\n%s", diff)
	}
}

// TestWire checks at the gRPC level what the client hides: a subscription
// starts with a confirmation, and an append over the cap is refused with
// InvalidArgument and the server's trailers.
func TestWire(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sc := api.NewStreamsClient(conn)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	rc, err := sc.Read(ctx, &api.ReadReq{Options: &api.ReadReq_Options{
		StreamOption: &api.ReadReq_Options_All{All: &api.ReadReq_Options_AllOptions{AllOption: &api.ReadReq_Options_AllOptions_End{End: &shared.Empty{}}}},
		CountOption:  &api.ReadReq_Options_Subscription{Subscription: &api.ReadReq_Options_SubscriptionOptions{}},
		FilterOption: &api.ReadReq_Options_NoFilter{NoFilter: &shared.Empty{}},
		UuidOption:   &api.ReadReq_Options_UUIDOption{Content: &api.ReadReq_Options_UUIDOption_Structured{Structured: &shared.Empty{}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := rc.Recv()
	if err != nil || msg.GetConfirmation() == nil {
		t.Errorf("first subscription message = %v, %v, want a confirmation", msg, err)
	}
	msg, err = rc.Recv()
	if err != nil || msg.GetCaughtUp() == nil {
		t.Errorf("second message of a subscription from the end = %v, %v, want caught_up", msg, err)
	}

	var trailer metadata.MD
	ac, err := sc.Append(ctx, grpc.Trailer(&trailer))
	if err != nil {
		t.Fatal(err)
	}
	send := func(m *api.AppendReq) {
		if err := ac.Send(m); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	send(&api.AppendReq{Content: &api.AppendReq_Options_{Options: &api.AppendReq_Options{
		StreamIdentifier:       &shared.StreamIdentifier{StreamName: []byte("big")},
		ExpectedStreamRevision: &api.AppendReq_Options_Any{Any: &shared.Empty{}},
	}}})
	id := uuid.New()
	send(&api.AppendReq{Content: &api.AppendReq_ProposedMessage_{ProposedMessage: &api.AppendReq_ProposedMessage{
		Id:       &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}},
		Metadata: map[string]string{"type": "Big", "content-type": "application/octet-stream"},
		Data:     make([]byte, esdbtest.MaxAppendSize),
	}}})
	_, err = ac.CloseAndRecv()
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "Maximum Append Size of 1048576 Exceeded") {
		t.Errorf("append over the cap error = %v, want InvalidArgument, Maximum Append Size of 1048576 Exceeded", err)
	}
	want := metadata.Pairs("exception", "maximum-append-size-exceeded", "maximum-append-size", "1048576")
	if diff := cmp.Diff(want.Get("exception"), trailer.Get("exception")); diff != "" {
		t.Errorf("trailer exception mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Get("maximum-append-size"), trailer.Get("maximum-append-size")); diff != "" {
		t.Errorf("trailer maximum-append-size mismatch (-want +got):\n%s", diff)
	}
	if n := len(srv.Memory().Events()); n != 0 {
		t.Errorf("server holds %d events after a refused append, want none", n)
	}
}

// TestStreamMetadata: a metastream keeps its latest event only, so the
// client's GetStreamMetadata (which reads it forwards, count 1) sees the
// newest metadata; $maxCount, $tb and $maxAge hide events from stream
// reads, while $all keeps them until a scavenge.
func TestStreamMetadata(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	clock := time.Now()
	srv.Memory().SetClock(func() time.Time { return clock })
	c := client(t, srv)
	for range 5 {
		appendTo(t, c, "s", esclient.Any{}, ev("E"))
	}
	for _, n := range []uint64{10, 3} {
		var m esclient.StreamMetadata
		m.SetMaxCount(n)
		if _, err := c.SetStreamMetadata(t.Context(), "s", esclient.AppendToStreamOptions{}, m); err != nil {
			t.Fatal(err)
		}
	}
	m, err := c.GetStreamMetadata(t.Context(), "s", esclient.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.MaxCount(); got == nil || *got != 3 {
		t.Errorf("GetStreamMetadata() $maxCount = %v, want 3 (the newest)", got)
	}
	_, revs, err := read(c, "s", esclient.ReadStreamOptions{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint64{2, 3, 4}, revs); diff != "" {
		t.Errorf("ReadStream() under $maxCount 3 mismatch (-want +got):\n%s", diff)
	}

	var tb esclient.StreamMetadata
	tb.SetTruncateBefore(4)
	tb.SetMaxAge(time.Hour)
	if _, err := c.SetStreamMetadata(t.Context(), "s", esclient.AppendToStreamOptions{}, tb); err != nil {
		t.Fatal(err)
	}
	if _, revs, _ = read(c, "s", esclient.ReadStreamOptions{}, 100); !cmp.Equal([]uint64{4}, revs) {
		t.Errorf("ReadStream() under $tb 4 = %v, want [4]", revs)
	}
	clock = clock.Add(2 * time.Hour)
	if types, _, err := read(c, "s", esclient.ReadStreamOptions{}, 100); err != nil || len(types) != 0 {
		t.Errorf("ReadStream() with every event past $maxAge = %v, %v, want an empty read", types, err)
	}
	if n := countStream(srv, "s"); n != 5 {
		t.Errorf("$all holds %d events of s before a scavenge, want 5", n)
	}
	srv.Memory().Scavenge()
	if n := countStream(srv, "s"); n != 0 {
		t.Errorf("$all holds %d events of s after a scavenge, want 0", n)
	}
	if n := countStream(srv, "$$s"); n != 1 {
		t.Errorf("$all holds %d events of $$s after a scavenge, want 1 (the newest metadata)", n)
	}
}

func countStream(srv *esdbtest.Server, stream string) int {
	n := 0
	for _, e := range srv.Memory().Events() {
		if e.Stream == stream {
			n++
		}
	}
	return n
}

// TestDeleteAndTombstone: a soft delete hides a stream until it is written
// again (its revisions go on); a tombstone ends it for good.
func TestDeleteAndTombstone(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	c := client(t, srv)
	appendTo(t, c, "soft", esclient.Any{}, ev("A"), ev("B"))
	if _, err := c.DeleteStream(t.Context(), "soft", esclient.DeleteStreamOptions{ExpectedRevision: esclient.Revision(0)}); err == nil {
		t.Error("DeleteStream() at a wrong revision succeeded")
	}
	if _, err := c.DeleteStream(t.Context(), "soft", esclient.DeleteStreamOptions{ExpectedRevision: esclient.Revision(1)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := read(c, "soft", esclient.ReadStreamOptions{}, 10); !isCode(err, esclient.ErrorCodeResourceNotFound) {
		t.Errorf("ReadStream(deleted) error = %v, want ResourceNotFound", err)
	}
	appendTo(t, c, "soft", esclient.NoStream{}, ev("C"))
	types, revs, err := read(c, "soft", esclient.ReadStreamOptions{}, 10)
	if err != nil || !cmp.Equal([]string{"C"}, types) || !cmp.Equal([]uint64{2}, revs) {
		t.Errorf("ReadStream() after writing to a deleted stream = %v %v %v, want [C] [2]", types, revs, err)
	}

	appendTo(t, c, "hard", esclient.Any{}, ev("A"))
	if _, err := c.TombstoneStream(t.Context(), "hard", esclient.TombstoneStreamOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := read(c, "hard", esclient.ReadStreamOptions{}, 10); !isCode(err, esclient.ErrorCodeStreamDeleted) {
		t.Errorf("ReadStream(tombstoned) error = %v, want StreamDeleted", err)
	}
	if _, err := c.AppendToStream(t.Context(), "hard", esclient.AppendToStreamOptions{}, ev("B")); !isCode(err, esclient.ErrorCodeStreamDeleted) {
		t.Errorf("AppendToStream(tombstoned) error = %v, want StreamDeleted", err)
	}
	srv.Memory().Scavenge()
	var left []string
	for _, e := range srv.Memory().Events() {
		if e.Stream == "hard" || e.Stream == "soft" {
			left = append(left, e.Stream+":"+e.Type)
		}
	}
	if diff := cmp.Diff([]string{"soft:C", "hard:$streamDeleted"}, left); diff != "" {
		t.Errorf("$all after a scavenge mismatch (-want +got):\n%s", diff)
	}
}

// TestRestartKeepsMemory: a stopped server refuses connections; restarted
// on the same address it serves what it had.
func TestRestartKeepsMemory(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	c := client(t, srv)
	appendTo(t, c, "s", esclient.Any{}, ev("A"))
	addr := srv.Addr()
	srv.Stop()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if srv.Addr() != addr {
		t.Errorf("restarted on %s, want %s", srv.Addr(), addr)
	}
	types, _, err := read(client(t, srv), "s", esclient.ReadStreamOptions{}, 10)
	if err != nil || !cmp.Equal([]string{"A"}, types) {
		t.Errorf("ReadStream() after a restart = %v, %v, want [A]", types, err)
	}
}

// TestReadOfEmptiedStream: a stream whose events $tb or $maxAge all hide
// still exists, and a read of it (either way) succeeds with no events;
// only a stream never written or deleted is not found, and a tombstoned
// one is deleted. $all still holds the hidden events.
func TestReadOfEmptiedStream(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	clock := time.Now()
	srv.Memory().SetClock(func() time.Time { return clock })
	c := client(t, srv)
	meta := func(stream string, set func(*esclient.StreamMetadata)) {
		t.Helper()
		var m esclient.StreamMetadata
		set(&m)
		if _, err := c.SetStreamMetadata(t.Context(), stream, esclient.AppendToStreamOptions{}, m); err != nil {
			t.Fatal(err)
		}
	}
	appendTo(t, c, "tb", esclient.Any{}, ev("A"), ev("B"))
	meta("tb", func(m *esclient.StreamMetadata) { m.SetTruncateBefore(2) })
	appendTo(t, c, "aged", esclient.Any{}, ev("A"))
	meta("aged", func(m *esclient.StreamMetadata) { m.SetMaxAge(time.Minute) })
	appendTo(t, c, "deleted", esclient.Any{}, ev("A"))
	if _, err := c.DeleteStream(t.Context(), "deleted", esclient.DeleteStreamOptions{}); err != nil {
		t.Fatal(err)
	}
	appendTo(t, c, "tombstoned", esclient.Any{}, ev("A"))
	if _, err := c.TombstoneStream(t.Context(), "tombstoned", esclient.TombstoneStreamOptions{}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)

	for _, tt := range []struct {
		stream string
		want   esclient.ErrorCode // 0: an empty read
	}{
		{"tb", 0},
		{"aged", 0},
		{"never-written", esclient.ErrorCodeResourceNotFound},
		{"deleted", esclient.ErrorCodeResourceNotFound},
		{"tombstoned", esclient.ErrorCodeStreamDeleted},
	} {
		for _, opts := range []esclient.ReadStreamOptions{
			{},
			{Direction: esclient.Backwards, From: esclient.End{}},
			{From: esclient.Revision(0)},
			{Direction: esclient.Backwards, From: esclient.Revision(1)},
		} {
			types, _, err := read(c, tt.stream, opts, 10)
			switch {
			case tt.want == 0 && (err != nil || len(types) != 0):
				t.Errorf("ReadStream(%s, %+v) = %v, %v, want an empty read", tt.stream, opts, types, err)
			case tt.want != 0 && !isCode(err, tt.want):
				t.Errorf("ReadStream(%s, %+v) = %v, %v, want error code %v", tt.stream, opts, types, err, tt.want)
			}
		}
	}
	for stream, want := range map[string]int{"tb": 2, "aged": 1, "deleted": 1} {
		if got := countAll(t, c, stream); got != want {
			t.Errorf("ReadAll() holds %d events of %s, want %d (hidden from stream reads only)", got, stream, want)
		}
	}
}

// countAll counts the events of stream in a forward read of $all.
func countAll(tb testing.TB, c *esclient.Client, stream string) int {
	tb.Helper()
	rs, err := c.ReadAll(context.Background(), esclient.ReadAllOptions{}, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	defer rs.Close()
	n := 0
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		if e.OriginalEvent().StreamID == stream {
			n++
		}
	}
}

// TestSystemStreams: a server starts with its users, as a real one does:
// $users lists the logins admin and ops ($User events, which the official
// client's tests wait for), and $user-<login> holds each user's
// $UserCreated. They are in $all, under a "$" stream name and event type,
// so a subscription filtered on a prefix or excluding system events never
// sees them; Memory.Events leaves them out.
func TestSystemStreams(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	c := client(t, srv)

	rs, err := c.ReadStream(t.Context(), "$users", esclient.ReadStreamOptions{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	first, err := rs.Recv()
	rs.Close()
	if err != nil {
		t.Fatalf("ReadStream($users, 1) error = %v, want the first user", err)
	}
	if e := first.OriginalEvent(); e.EventType != "$User" || string(e.Data) != "admin" {
		t.Errorf("first event of $users = %s %q, want $User \"admin\"", e.EventType, e.Data)
	}
	types, _, err := read(c, "$users", esclient.ReadStreamOptions{}, 10)
	if err != nil || !cmp.Equal([]string{"$User", "$User"}, types) {
		t.Errorf("ReadStream($users) = %v, %v, want two $User events", types, err)
	}
	for _, login := range []string{"admin", "ops"} {
		rs, err := c.ReadStream(t.Context(), "$user-"+login, esclient.ReadStreamOptions{Direction: esclient.Backwards, From: esclient.End{}}, 1)
		if err != nil {
			t.Fatal(err)
		}
		e, err := rs.Recv()
		rs.Close()
		if err != nil {
			t.Fatalf("ReadStream($user-%s) error = %v", login, err)
		}
		var data struct {
			LoginName string   `json:"loginName"`
			Groups    []string `json:"groups"`
		}
		if err := json.Unmarshal(e.OriginalEvent().Data, &data); err != nil || e.OriginalEvent().EventType != "$UserCreated" || data.LoginName != login {
			t.Errorf("$user-%s = %s %s (%v), want $UserCreated of %s", login, e.OriginalEvent().EventType, e.OriginalEvent().Data, err, login)
		}
	}

	var inAll []string
	rsAll, err := c.ReadAll(t.Context(), esclient.ReadAllOptions{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for {
		e, err := rsAll.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ev := e.OriginalEvent()
		if !strings.HasPrefix(ev.StreamID, "$") || !strings.HasPrefix(ev.EventType, "$") {
			t.Errorf("event %s of %s in a new server's $all, want only system streams and types", ev.EventType, ev.StreamID)
		}
		inAll = append(inAll, ev.StreamID)
	}
	rsAll.Close()
	if len(inAll) < 4 {
		t.Errorf("a new server's $all = %v, want at least $users twice and $user-admin, $user-ops", inAll)
	}
	if n := len(srv.Memory().Events()); n != 0 {
		t.Errorf("Memory().Events() = %d events on a new server, want none (the system streams are left out)", n)
	}

	// A subscription that excludes system events sees only the user's.
	appendTo(t, c, "s", esclient.Any{}, ev("A"))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	sub, err := c.SubscribeToAll(ctx, esclient.SubscribeToAllOptions{From: esclient.Start{}, Filter: esclient.ExcludeSystemEventsFilter()})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var seen []string
	for {
		se := sub.Recv()
		if se.SubscriptionDropped != nil {
			t.Fatalf("subscription dropped: %v", se.SubscriptionDropped.Error)
		}
		if se.EventAppeared != nil {
			seen = append(seen, se.EventAppeared.OriginalEvent().EventType)
		}
		if se.CaughtUp != nil {
			break
		}
	}
	if diff := cmp.Diff([]string{"A"}, seen); diff != "" {
		t.Errorf("subscription excluding system events (-want +got):\n%s", diff)
	}
}

// TestAllStartPosition: a read of or a subscription to $all may start at 0
// (the start), at an event's position (also one a scavenge removed since)
// or past the end of the log; a position inside the log that is no
// event's is refused, as KurrentDB does (ReadResponseException.
// InvalidPosition: status Unknown, "Trying to read from an invalid
// position."), a subscription after its confirmation.
func TestAllStartPosition(t *testing.T) {
	srv := esdbtest.Start(t, esdbtest.Options{})
	c := client(t, srv)
	a := appendTo(t, c, "gone", esclient.Any{}, ev("A"))
	if _, err := c.DeleteStream(t.Context(), "gone", esclient.DeleteStreamOptions{}); err != nil {
		t.Fatal(err)
	}
	srv.Memory().Scavenge() // A's position stays a valid start
	b := appendTo(t, c, "s", esclient.Any{}, ev("B"))
	last := appendTo(t, c, "s", esclient.Any{}, ev("C"))
	pos := func(p uint64) esclient.Position { return esclient.Position{Commit: p, Prepare: p} }
	readAll := func(opts esclient.ReadAllOptions) ([]string, error) {
		rs, err := c.ReadAll(t.Context(), opts, 100)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var types []string
		for {
			e, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				return types, nil
			}
			if err != nil {
				return types, err
			}
			if !strings.HasPrefix(e.OriginalEvent().StreamID, "$") {
				types = append(types, e.OriginalEvent().EventType)
			}
		}
	}
	const invalid = "Trying to read from an invalid position."
	for _, tt := range []struct {
		name  string
		opts  esclient.ReadAllOptions
		types []string
		bad   bool
	}{
		{"forwards from 0", esclient.ReadAllOptions{From: pos(0)}, []string{"B", "C"}, false},
		{"forwards from a scavenged event's position", esclient.ReadAllOptions{From: pos(a.CommitPosition)}, []string{"B", "C"}, false},
		{"forwards from B", esclient.ReadAllOptions{From: pos(b.CommitPosition)}, []string{"B", "C"}, false},
		{"forwards from past the end", esclient.ReadAllOptions{From: pos(last.CommitPosition + 1)}, nil, false},
		{"backwards from past the end", esclient.ReadAllOptions{Direction: esclient.Backwards, From: pos(last.CommitPosition + 1)}, []string{"C", "B"}, false},
		{"forwards from inside the log", esclient.ReadAllOptions{From: pos(b.CommitPosition - 1)}, nil, true},
		{"backwards from inside the log", esclient.ReadAllOptions{Direction: esclient.Backwards, From: pos(last.CommitPosition - 1)}, nil, true},
	} {
		types, err := readAll(tt.opts)
		switch {
		case tt.bad && (!isCode(err, esclient.ErrorCodeUnknown) || !strings.Contains(err.Error(), invalid)):
			t.Errorf("ReadAll(%s) = %v, %v, want ErrorCodeUnknown %q", tt.name, types, err, invalid)
		case !tt.bad && (err != nil || !cmp.Equal(tt.types, types)):
			t.Errorf("ReadAll(%s) = %v, %v, want %v", tt.name, types, err, tt.types)
		}
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	bad, err := c.SubscribeToAll(ctx, esclient.SubscribeToAllOptions{From: pos(b.CommitPosition - 1)})
	if err != nil {
		t.Fatalf("SubscribeToAll(inside the log) error = %v, want a confirmed subscription that then drops", err)
	}
	defer bad.Close()
	for {
		se := bad.Recv()
		if se.EventAppeared != nil || se.CaughtUp != nil {
			t.Fatalf("subscription from inside the log: got %+v, want it dropped", se)
		}
		if d := se.SubscriptionDropped; d != nil {
			if status.Code(d.Error) != codes.Unknown || !strings.Contains(d.Error.Error(), invalid) { // the client passes the status on as it is
				t.Errorf("subscription from inside the log dropped with %v, want status Unknown %q", d.Error, invalid)
			}
			break
		}
	}
	past, err := c.SubscribeToAll(ctx, esclient.SubscribeToAllOptions{From: pos(last.CommitPosition + 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer past.Close()
	for caughtUp := false; !caughtUp; {
		se := past.Recv()
		switch {
		case se.SubscriptionDropped != nil:
			t.Fatalf("subscription from past the end dropped: %v", se.SubscriptionDropped.Error)
		case se.EventAppeared != nil:
			t.Fatalf("subscription from past the end got %s before caught up", se.EventAppeared.OriginalEvent().EventType)
		}
		caughtUp = se.CaughtUp != nil
	}
	appendTo(t, c, "s", esclient.Any{}, ev("D"))
	for {
		se := past.Recv()
		if se.SubscriptionDropped != nil {
			t.Fatalf("subscription from past the end dropped: %v", se.SubscriptionDropped.Error)
		}
		if se.EventAppeared != nil {
			if got := se.EventAppeared.OriginalEvent().EventType; got != "D" {
				t.Errorf("subscription from past the end: first event %s, want D", got)
			}
			break
		}
	}
}

// TestAppendSizeByVersion: the append cap counts what the server version
// counts, and an append of exactly the cap fits (the server refuses only
// a size above it): before 24.10.4 the events' data alone; from 24.10.4
// on data, custom metadata and the event type at two bytes a UTF-16 code
// unit (Event.SizeOnDisk). The default version counts as 24.10.4 does.
func TestAppendSizeByVersion(t *testing.T) {
	meta := []byte(`{"envelope":"x"}`)
	const asciiType, wideType = "Big", "Größe€𝄞" // 8 UTF-16 code units (𝄞 takes two)
	for _, tt := range []struct {
		version string
		typ     string
		data    int // bytes of data in an append that just fits
	}{
		{"21.10.0", asciiType, esdbtest.MaxAppendSize},
		{"23.10.0", wideType, esdbtest.MaxAppendSize},
		{"24.10.3", asciiType, esdbtest.MaxAppendSize},
		{"24.10.4", asciiType, esdbtest.MaxAppendSize - len(meta) - 2*3},
		{"25.0.0", wideType, esdbtest.MaxAppendSize - len(meta) - 2*8},
		{"", asciiType, esdbtest.MaxAppendSize - len(meta) - 2*3},
	} {
		srv := esdbtest.Start(t, esdbtest.Options{Version: tt.version})
		c := client(t, srv)
		event := func(n int) esclient.EventData {
			return esclient.EventData{EventID: uuid.New(), EventType: tt.typ, ContentType: esclient.ContentTypeBinary, Data: make([]byte, n), Metadata: meta}
		}
		if _, err := c.AppendToStream(t.Context(), "fits", esclient.AppendToStreamOptions{}, event(tt.data)); err != nil {
			t.Errorf("version %q: append of %d bytes of data (type %q) error = %v, want it to fit", tt.version, tt.data, tt.typ, err)
		}
		_, err := c.AppendToStream(t.Context(), "over", esclient.AppendToStreamOptions{}, event(tt.data+1))
		if err == nil || !strings.Contains(err.Error(), "Maximum Append Size of 1048576 Exceeded") {
			t.Errorf("version %q: append of one byte more error = %v, want Maximum Append Size of 1048576 Exceeded", tt.version, err)
		}
	}
}

// TestBadVersion: a version the client could not parse is refused at
// start, not served.
func TestBadVersion(t *testing.T) {
	for _, v := range []string{"24.10", "v24.10.0", "24.x.0"} {
		if srv, err := esdbtest.Listen(esdbtest.Options{Version: v}); err == nil {
			srv.Stop()
			t.Errorf("Listen(Version %q) succeeded, want an error", v)
		}
	}
}

// TestNoCaughtUpBefore2310: a server older than 23.10 sends no caught_up
// message. A filtered $all subscription learns it went live only from the
// checkpoint at the end of $all it gets then; a stream subscription gets
// its events and then, with nothing in between, the live ones. From 23.10
// on both get caught_up.
func TestNoCaughtUpBefore2310(t *testing.T) {
	for _, tt := range []struct {
		version  string
		caughtUp bool
	}{{"21.10.0", false}, {"22.10.3", false}, {"23.10.0", true}, {"", true}} {
		srv := esdbtest.Start(t, esdbtest.Options{Version: tt.version})
		c := client(t, srv)
		appendTo(t, c, "keep-1", esclient.Any{}, ev("A"))
		end := appendTo(t, c, "other", esclient.Any{}, ev("X")) // $all ends outside the filter
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		all, err := c.SubscribeToAll(ctx, esclient.SubscribeToAllOptions{
			From:   esclient.Start{},
			Filter: &esclient.SubscriptionFilter{Type: esclient.StreamFilterType, Prefixes: []string{"keep-"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer all.Close()
		stream, err := c.SubscribeToStream(ctx, "keep-1", esclient.SubscribeToStreamOptions{From: esclient.Start{}})
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()

		// what a subscription says up to its first live event ("L")
		trace := func(sub *esclient.Subscription) []string {
			var got []string
			for {
				se := sub.Recv()
				switch {
				case se.SubscriptionDropped != nil:
					t.Fatalf("version %q: subscription dropped: %v", tt.version, se.SubscriptionDropped.Error)
				case se.EventAppeared != nil:
					typ := se.EventAppeared.OriginalEvent().EventType
					got = append(got, typ)
					if typ == "L" {
						return got
					}
				case se.CheckPointReached != nil:
					if se.CheckPointReached.Commit == end.CommitPosition {
						got = append(got, "checkpoint at the end")
					}
				case se.CaughtUp != nil:
					got = append(got, "caught up")
				}
				wentLive := "caught up"
				if !tt.caughtUp {
					wentLive = "checkpoint at the end"
				}
				if len(got) > 0 && got[len(got)-1] == wentLive && !slices.Contains(got, "live") {
					got = append(got, "live")
					appendTo(t, c, "keep-1", esclient.Any{}, ev("L"))
				}
			}
		}
		// The stream subscription first: its stored event, then (from
		// 23.10 on) caught_up, all before anything else is written.
		var gotStream []string
		next := func() {
			for {
				se := stream.Recv()
				switch {
				case se.SubscriptionDropped != nil:
					t.Fatalf("version %q: stream subscription dropped: %v", tt.version, se.SubscriptionDropped.Error)
				case se.EventAppeared != nil:
					gotStream = append(gotStream, se.EventAppeared.OriginalEvent().EventType)
					return
				case se.CaughtUp != nil:
					gotStream = append(gotStream, "caught up")
					return
				}
			}
		}
		next() // A
		if tt.caughtUp {
			next()
		}
		wantAll := []string{"A", "checkpoint at the end", "live", "L"}
		wantStream := []string{"A", "L"}
		if tt.caughtUp {
			wantAll = []string{"A", "checkpoint at the end", "caught up", "live", "L"}
			wantStream = []string{"A", "caught up", "L"}
		}
		if diff := cmp.Diff(wantAll, trace(all)); diff != "" {
			t.Errorf("version %q: filtered $all subscription (-want +got):\n%s", tt.version, diff)
		}
		next() // L, written by trace: before it, nothing but caught_up, if the server sends it
		if diff := cmp.Diff(wantStream, gotStream); diff != "" {
			t.Errorf("version %q: stream subscription (-want +got):\n%s", tt.version, diff)
		}
	}
}
