package esdbtest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
)

// streamsServer implements the Streams service on a Memory.
type streamsServer struct {
	api.UnimplementedStreamsServer
	srv      *Server
	stopping <-chan struct{} // closed when the server that serves this stops
}

func (s *streamsServer) mem() *Memory { return s.srv.mem }

// deletedError is the server's answer for a tombstoned stream: status
// FailedPrecondition with the trailers the client turns into
// ErrorCodeStreamDeleted.
func deletedError(set func(metadata.MD), name string) error {
	set(metadata.Pairs("exception", "stream-deleted", "stream-name", name))
	return status.Errorf(codes.FailedPrecondition, "Event stream '%s' is deleted.", name)
}

func wrongExpectedError(set func(metadata.MD), cur int64, exp expectation) error {
	current := "-1"
	if cur >= 0 {
		current = fmt.Sprint(cur)
	}
	set(metadata.Pairs("exception", "wrong-expected-version", "current-version", current, "expected-version", exp.String()))
	return status.Errorf(codes.FailedPrecondition, "Append failed due to WrongExpectedVersion. Current version: %s.", current)
}

func (e expectation) String() string {
	switch e.kind {
	case expectNoStream:
		return "-1"
	case expectExists:
		return "-4"
	case expectRevision:
		return fmt.Sprint(e.rev)
	}
	return "-2"
}

func streamName(id *shared.StreamIdentifier) (string, error) {
	if id == nil || len(id.StreamName) == 0 {
		return "", status.Error(codes.InvalidArgument, "stream name is empty")
	}
	return string(id.StreamName), nil
}

func parseUUID(u *shared.UUID) (uuid.UUID, error) {
	switch v := u.GetValue().(type) {
	case *shared.UUID_Structured_:
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], uint64(v.Structured.MostSignificantBits))
		binary.BigEndian.PutUint64(b[8:], uint64(v.Structured.LeastSignificantBits))
		return uuid.UUID(b), nil
	case *shared.UUID_String_:
		return uuid.Parse(v.String_)
	}
	return uuid.Nil, errors.New("event without an ID")
}

func protoUUID(id uuid.UUID, asString bool) *shared.UUID {
	if asString {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

// Append receives the options, then every proposed event, and only then
// answers, so that a refusal (wrong expected version, too large, deleted)
// reaches the client as a response or a status with its trailers, never as
// a broken send.
func (s *streamsServer) Append(stream api.Streams_AppendServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "the first append message must carry the options")
	}
	name, err := streamName(opts.StreamIdentifier)
	if err != nil {
		return err
	}
	var exp expectation
	switch v := opts.ExpectedStreamRevision.(type) {
	case *api.AppendReq_Options_Revision:
		exp = expectation{kind: expectRevision, rev: v.Revision}
	case *api.AppendReq_Options_NoStream:
		exp = expectation{kind: expectNoStream}
	case *api.AppendReq_Options_StreamExists:
		exp = expectation{kind: expectExists}
	case *api.AppendReq_Options_Any:
		exp = expectation{kind: expectAny}
	default:
		return status.Error(codes.InvalidArgument, "no expected stream revision")
	}

	var (
		evs      []*Event
		size     int
		badEvent error
	)
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err // the client went away: nothing is written
		}
		msg := req.GetProposedMessage()
		if msg == nil {
			badEvent = status.Error(codes.InvalidArgument, "expected a proposed message")
			continue
		}
		id, err := parseUUID(msg.Id)
		typ, hasType := msg.Metadata["type"]
		ct, hasCT := msg.Metadata["content-type"]
		switch {
		case err != nil:
			badEvent = status.Errorf(codes.InvalidArgument, "bad event ID: %v", err)
		case !hasType || typ == "":
			badEvent = status.Error(codes.InvalidArgument, "event without a type in its metadata")
		case !hasCT:
			badEvent = status.Error(codes.InvalidArgument, "event without a content-type in its metadata")
		}
		size += s.srv.appendSize(msg.Data, msg.CustomMetadata, typ)
		evs = append(evs, &Event{ID: id, Type: typ, ContentType: ct, Metadata: msg.CustomMetadata, Data: msg.Data})
	}
	if err := s.srv.permit(stream.Context(), stream.SetTrailer, name, RightWrite); err != nil {
		return err
	}
	if badEvent != nil {
		return badEvent
	}
	if max := s.srv.maxAppendSize; size > max {
		stream.SetTrailer(metadata.Pairs("exception", "maximum-append-size-exceeded", "maximum-append-size", fmt.Sprint(max)))
		return status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", max)
	}
	if err := stream.Context().Err(); err != nil {
		return status.FromContextError(err).Err()
	}

	res, err := s.mem().append(name, exp, evs)
	if errors.Is(err, errStreamDeleted) {
		return deletedError(stream.SetTrailer, name)
	}
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	if res.wrong {
		wev := &api.AppendResp_WrongExpectedVersion{}
		if res.current < 0 {
			wev.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
			wev.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		} else {
			wev.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: uint64(res.current)}
			wev.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(res.current)}
		}
		switch exp.kind {
		case expectAny:
			wev.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
			wev.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
		case expectExists:
			wev.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
			wev.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
		case expectNoStream:
			wev.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
		case expectRevision:
			wev.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: exp.rev}
			wev.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: exp.rev}
		}
		return stream.SendAndClose(&api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: wev}})
	}
	if hook := s.srv.opts.AfterAppend; hook != nil {
		types := make([]string, len(evs))
		for i, e := range evs {
			types[i] = e.Type
		}
		if err := hook(name, types); err != nil {
			return err
		}
	}
	ok := &api.AppendResp_Success{}
	if res.current < 0 {
		ok.CurrentRevisionOption = &api.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
	} else {
		ok.CurrentRevisionOption = &api.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(res.current)}
	}
	if res.position > 0 {
		ok.PositionOption = &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{CommitPosition: res.position, PreparePosition: res.position}}
	} else {
		ok.PositionOption = &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
	}
	return stream.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: ok}})
}

func deleteExpectation(v any) expectation {
	switch v := v.(type) {
	case *api.DeleteReq_Options_Revision:
		return expectation{kind: expectRevision, rev: v.Revision}
	case *api.DeleteReq_Options_NoStream:
		return expectation{kind: expectNoStream}
	case *api.DeleteReq_Options_StreamExists:
		return expectation{kind: expectExists}
	case *api.TombstoneReq_Options_Revision:
		return expectation{kind: expectRevision, rev: v.Revision}
	case *api.TombstoneReq_Options_NoStream:
		return expectation{kind: expectNoStream}
	case *api.TombstoneReq_Options_StreamExists:
		return expectation{kind: expectExists}
	}
	return expectation{kind: expectAny}
}

func setTrailer(ctx context.Context) func(metadata.MD) {
	return func(md metadata.MD) { grpc.SetTrailer(ctx, md) }
}

// Delete soft-deletes a stream: its events disappear from stream reads at
// once and from $all at the next Scavenge; appending to it again continues
// its revisions.
func (s *streamsServer) Delete(ctx context.Context, req *api.DeleteReq) (*api.DeleteResp, error) {
	name, err := streamName(req.GetOptions().GetStreamIdentifier())
	if err != nil {
		return nil, err
	}
	if err := s.srv.permit(ctx, setTrailer(ctx), name, RightDelete); err != nil {
		return nil, err
	}
	exp := deleteExpectation(req.GetOptions().GetExpectedStreamRevision())
	pos, cur, err := s.mem().softDelete(name, exp)
	switch {
	case errors.Is(err, errStreamDeleted):
		return nil, deletedError(setTrailer(ctx), name)
	case errors.Is(err, errWrongExpected):
		return nil, wrongExpectedError(setTrailer(ctx), cur, exp)
	case errors.Is(err, errNoStream):
		return nil, status.Errorf(codes.NotFound, "stream '%s' not found", name)
	case err != nil:
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &api.DeleteResp{PositionOption: &api.DeleteResp_Position_{Position: &api.DeleteResp_Position{CommitPosition: pos, PreparePosition: pos}}}, nil
}

// Tombstone hard-deletes a stream: a $streamDeleted event is written to it
// and it can never be read or written again.
func (s *streamsServer) Tombstone(ctx context.Context, req *api.TombstoneReq) (*api.TombstoneResp, error) {
	name, err := streamName(req.GetOptions().GetStreamIdentifier())
	if err != nil {
		return nil, err
	}
	if err := s.srv.permit(ctx, setTrailer(ctx), name, RightDelete); err != nil {
		return nil, err
	}
	exp := deleteExpectation(req.GetOptions().GetExpectedStreamRevision())
	pos, cur, err := s.mem().tombstone(name, exp)
	switch {
	case errors.Is(err, errStreamDeleted):
		return nil, deletedError(setTrailer(ctx), name)
	case errors.Is(err, errWrongExpected):
		return nil, wrongExpectedError(setTrailer(ctx), cur, exp)
	case err != nil:
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &api.TombstoneResp{PositionOption: &api.TombstoneResp_Position_{Position: &api.TombstoneResp_Position{CommitPosition: pos, PreparePosition: pos}}}, nil
}

// readOpts is a decoded ReadReq.
type readOpts struct {
	all          bool
	stream       string
	backwards    bool
	count        uint64
	subscription bool
	strings      bool // event IDs as strings, not structured
	// where to start: a revision or position, or start / end
	start, end bool
	from       uint64
	filter     func(e *Event) bool // nil: every event
	window     uint64              // events scanned between checkpoints (filtered $all subscriptions)
}

func decodeRead(req *api.ReadReq) (readOpts, error) {
	o := req.GetOptions()
	if o == nil {
		return readOpts{}, status.Error(codes.InvalidArgument, "read without options")
	}
	var r readOpts
	switch u := o.GetUuidOption().GetContent().(type) {
	case *api.ReadReq_Options_UUIDOption_Structured:
	case *api.ReadReq_Options_UUIDOption_String_:
		r.strings = true
	default:
		_ = u
		return readOpts{}, status.Error(codes.InvalidArgument, "read without a UUID option")
	}
	r.backwards = o.GetReadDirection() == api.ReadReq_Options_Backwards
	switch c := o.CountOption.(type) {
	case *api.ReadReq_Options_Count:
		r.count = c.Count
	case *api.ReadReq_Options_Subscription:
		r.subscription = true
	default:
		return readOpts{}, status.Error(codes.InvalidArgument, "read without a count or subscription option")
	}
	switch so := o.StreamOption.(type) {
	case *api.ReadReq_Options_Stream:
		name, err := streamName(so.Stream.GetStreamIdentifier())
		if err != nil {
			return readOpts{}, err
		}
		r.stream = name
		switch rev := so.Stream.RevisionOption.(type) {
		case *api.ReadReq_Options_StreamOptions_Revision:
			r.from = rev.Revision
		case *api.ReadReq_Options_StreamOptions_Start:
			r.start = true
		case *api.ReadReq_Options_StreamOptions_End:
			r.end = true
		default:
			return readOpts{}, status.Error(codes.InvalidArgument, "stream read without a revision option")
		}
	case *api.ReadReq_Options_All:
		r.all = true
		switch p := so.All.AllOption.(type) {
		case *api.ReadReq_Options_AllOptions_Position:
			r.from = p.Position.GetCommitPosition()
		case *api.ReadReq_Options_AllOptions_Start:
			r.start = true
		case *api.ReadReq_Options_AllOptions_End:
			r.end = true
		default:
			return readOpts{}, status.Error(codes.InvalidArgument, "$all read without a position option")
		}
	default:
		return readOpts{}, status.Error(codes.InvalidArgument, "read of neither a stream nor $all")
	}
	if f := o.GetFilter(); f != nil {
		if !r.all {
			return readOpts{}, status.Error(codes.InvalidArgument, "a filter applies to $all only")
		}
		filter, err := decodeFilter(f)
		if err != nil {
			return readOpts{}, err
		}
		r.filter = filter
		r.window = 32
		if m := f.GetMax(); m > 0 {
			r.window = uint64(m)
		}
		if k := f.GetCheckpointIntervalMultiplier(); k > 0 {
			r.window *= uint64(k)
		}
	}
	return r, nil
}

func decodeFilter(f *api.ReadReq_Options_FilterOptions) (func(*Event) bool, error) {
	expr := f.GetStreamIdentifier()
	field := func(e *Event) string { return e.Stream }
	if expr == nil {
		expr = f.GetEventType()
		field = func(e *Event) string { return e.Type }
	}
	if expr == nil {
		return nil, status.Error(codes.InvalidArgument, "filter without an expression")
	}
	if len(expr.Prefix) > 0 {
		prefixes := expr.Prefix
		return func(e *Event) bool {
			for _, p := range prefixes {
				if strings.HasPrefix(field(e), p) {
					return true
				}
			}
			return false
		}, nil
	}
	re, err := regexp.Compile(expr.Regex)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "bad filter regex: %v", err)
	}
	return func(e *Event) bool { return re.MatchString(field(e)) }, nil
}

func readEvent(e *Event, asString bool) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               protoUUID(e.ID, asString),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(e.Stream)},
			StreamRevision:   e.Revision,
			PreparePosition:  e.Position,
			CommitPosition:   e.Position,
			Metadata:         map[string]string{"type": e.Type, "content-type": e.ContentType, "created": e.ticks()},
			CustomMetadata:   e.Metadata,
			Data:             e.Data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: e.Position},
	}}}
}

// Read serves stream and $all reads and subscriptions.
func (s *streamsServer) Read(req *api.ReadReq, stream api.Streams_ReadServer) error {
	r, err := decodeRead(req)
	if err != nil {
		return err
	}
	target := r.stream
	if r.all {
		target = "$all"
	}
	if err := s.srv.permit(stream.Context(), stream.SetTrailer, target, RightRead); err != nil {
		return err
	}
	if r.all && !r.start && !r.end {
		m := s.mem()
		m.mu.RLock()
		valid := m.validStartLocked(r.from)
		if r.from > m.lastPos {
			r.from, r.end = 0, true // past the end is the end
		}
		m.mu.RUnlock()
		if !valid {
			if r.subscription { // confirmed first, then refused, as KurrentDB does
				if err := stream.Send(confirmation()); err != nil {
					return err
				}
			}
			return errInvalidPosition
		}
	}
	if r.subscription {
		return s.subscribe(r, stream)
	}
	var evs []*Event
	if r.all {
		evs = s.readAll(r)
	} else {
		var found, deleted bool
		evs, found, deleted = s.readStream(r)
		if deleted {
			return deletedError(stream.SetTrailer, r.stream)
		}
		if !found && !s.mem().exists(r.stream) {
			return stream.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
				StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			}}})
		}
	}
	for _, e := range evs {
		if err := stream.Send(readEvent(e, r.strings)); err != nil {
			return err
		}
	}
	return nil
}

// readStream serves a stream read at a cost of O(log n + what it returns)
// (plus the events $maxAge hides, when the stream's clock went back): the
// visible window and the starting revision are found by binary search.
// found reports whether the stream has events that reads show; a stream
// without (all hidden by $tb, $maxCount or $maxAge) may still exist, and
// its read is then empty, not "not found" (Memory.exists).
func (s *streamsServer) readStream(r readOpts) (evs []*Event, found, deleted bool) {
	m := s.mem()
	m.mu.RLock()
	defer m.mu.RUnlock()
	st := m.streams[r.stream]
	if st == nil {
		return nil, false, false
	}
	if st.tombstoned {
		return nil, true, true
	}
	lo, hi, hidden := m.windowLocked(r.stream, st)
	visible := func(i int) bool {
		m.examined.Add(1)
		return hidden == nil || !hidden(st.events[i])
	}
	for i := hi - 1; i >= lo && !found; i-- {
		found = visible(i) // without hidden, the first look answers
	}
	if !found {
		return nil, false, false
	}
	if r.start {
		r.from = 0 // from the start is from revision 0, whichever the direction
	}
	if r.backwards {
		i := hi
		if !r.end {
			i = m.searchLocked(st, lo, hi, func(e *Event) bool { return e.Revision > r.from })
		}
		for i--; i >= lo && uint64(len(evs)) < r.count; i-- {
			if visible(i) {
				evs = append(evs, st.events[i])
			}
		}
		return evs, true, false
	}
	if r.end {
		return nil, true, false
	}
	i := m.searchLocked(st, lo, hi, func(e *Event) bool { return e.Revision >= r.from })
	for ; i < hi && uint64(len(evs)) < r.count; i++ {
		if visible(i) {
			evs = append(evs, st.events[i])
		}
	}
	return evs, true, false
}

func (s *streamsServer) readAll(r readOpts) []*Event {
	m := s.mem()
	m.mu.RLock()
	defer m.mu.RUnlock()
	var evs []*Event
	keep := func(e *Event) bool { return r.filter == nil || r.filter(e) }
	if r.backwards {
		i := len(m.all)
		switch {
		case r.start:
			i = 0
		case !r.end:
			i = m.fromLocked(r.from) // the events before the position
		}
		for i--; i >= 0 && uint64(len(evs)) < r.count; i-- {
			m.examined.Add(1)
			if keep(m.all[i]) {
				evs = append(evs, m.all[i])
			}
		}
		return evs
	}
	i := 0
	switch {
	case r.end:
		return nil
	case !r.start:
		i = m.fromLocked(r.from) // inclusive
	}
	for ; i < len(m.all) && uint64(len(evs)) < r.count; i++ {
		m.examined.Add(1)
		if keep(m.all[i]) {
			evs = append(evs, m.all[i])
		}
	}
	return evs
}

// subscribe confirms the subscription, sends what is stored after the
// starting point (exclusive), then (a filtered $all subscription) a
// checkpoint at the end of $all and (from version 23.10 on) caught_up, then
// every new event as it is written, until the client goes away or the
// server stops.
func (s *streamsServer) subscribe(r readOpts, stream api.Streams_ReadServer) error {
	ctx := stream.Context()
	if err := stream.Send(confirmation()); err != nil {
		return err
	}
	m := s.mem()
	// cursor: the last revision or position already passed; -1 (as
	// "nothing yet") is start.
	var cursor uint64
	started := !r.start // whether cursor holds a real revision or position
	if r.end {
		m.mu.RLock()
		if r.all {
			cursor = m.lastPos
		} else if st := m.streams[r.stream]; st != nil && st.last >= 0 {
			cursor = uint64(st.last)
		} else {
			started = false
			r.start = true
			r.end = false
			// a stream that does not exist yet: everything written to it is new
		}
		m.mu.RUnlock()
	} else if !r.start {
		cursor = r.from
	}
	caughtUp := false
	var scanned uint64
	for {
		wake := m.wait()
		batch, last, n := s.next(r, cursor, started)
		if n > 0 {
			cursor, started = last, true
		}
		for _, e := range batch {
			if err := stream.Send(readEvent(e, r.strings)); err != nil {
				return err
			}
		}
		if r.filter != nil && !caughtUp {
			scanned += uint64(n)
			if scanned >= r.window && started {
				scanned = 0
				if err := stream.Send(checkpoint(cursor)); err != nil {
					return err
				}
			}
		}
		if n > 0 {
			continue
		}
		if !caughtUp {
			caughtUp = true
			if r.filter != nil && started {
				if err := stream.Send(checkpoint(cursor)); err != nil {
					return err
				}
			}
			if s.srv.atLeast(23, 10, 0) { // older servers send none (Options.Version)
				if err := stream.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
					return err
				}
			}
		}
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-s.stopping:
			return status.Error(codes.Unavailable, "server stopping")
		case <-wake:
		}
	}
}

func confirmation() *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{
		SubscriptionId: uuid.NewString(),
	}}}
}

// errInvalidPosition is KurrentDB's answer (RpcExceptions.InvalidPositionException,
// since 23.10; status Unknown before too) to a read of or a subscription to
// $all from a position inside the log that is no event's.
var errInvalidPosition = status.Error(codes.Unknown, "Trying to read from an invalid position.")

func checkpoint(pos uint64) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{CommitPosition: pos, PreparePosition: pos}}}
}

// subscriptionBatch is how many events a subscription scans per lock.
const subscriptionBatch = 256

// next returns the events of a subscription after cursor (all of them if
// !started): those that pass the filter, the new cursor, and how many
// events it scanned.
func (s *streamsServer) next(r readOpts, cursor uint64, started bool) (out []*Event, last uint64, scanned int) {
	m := s.mem()
	m.mu.RLock()
	defer m.mu.RUnlock()
	if r.all {
		i := 0
		if started {
			i = m.afterLocked(cursor)
		}
		for ; i < len(m.all) && scanned < subscriptionBatch; i++ {
			e := m.all[i]
			m.examined.Add(1)
			scanned++
			last = e.Position
			if r.filter == nil || r.filter(e) {
				out = append(out, e)
			}
		}
		return out, last, scanned
	}
	st := m.streams[r.stream]
	if st == nil {
		return nil, 0, 0
	}
	i := 0
	if started {
		i = m.searchLocked(st, 0, len(st.events), func(e *Event) bool { return e.Revision > cursor })
	}
	for ; i < len(st.events); i++ {
		e := st.events[i]
		m.examined.Add(1)
		if e.Revision == tombstoneRevision {
			continue
		}
		out = append(out, e)
		last = e.Revision
		scanned++
		if scanned == subscriptionBatch {
			break
		}
	}
	return out, last, scanned
}
