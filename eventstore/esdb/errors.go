package esdb

// The adapter's one reading of the client's errors.
//
// The client (EventStore-Client-Go v4.2.0) gives most answers a type: an
// *esclient.Error whose code it made from the server's trailers
// (exception=stream-deleted, exception=not-leader with the leader's
// endpoint), from an answer of the protocol (wrong_expected_version,
// stream_not_found) or from the gRPC status (its errToCode: NotFound,
// PermissionDenied, Unauthenticated, Unavailable, Aborted, ...). Beneath
// the code is the gRPC status itself, which tells apart what the client
// leaves as ErrorCodeUnknown (InvalidArgument, Internal,
// ResourceExhausted, FailedPrecondition). classify reads the code, then
// the status, then the transport's error types; no text but the ones below.
//
// Two numbers, and two states, exist only as text: the stream's revision
// in a wrong-expected-version answer (the client formats the protocol's
// current_revision into its message and keeps no field), the server's
// maximum append size (the server's maximum-append-size trailer is dropped
// by the client; the status message names the cap), a read of $all from a
// position no event had (the server sends no trailer) and a client that
// gave up discovering a node. Each is read by one small function that
// accepts exactly the text recorded in the research notes
// (research/eventstore.md §1.2, §3.2), the server's or the client's
// source, and nothing else: a text that differs reads as "not said", and
// the caller falls back (reads the stream, or reports the server's refusal
// as it came).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/breachledger/breachledger/eventstore"
)

// Errors of the server that have no eventstore sentinel. The adapter
// wraps them, with the client's error, so callers match with errors.Is.
var (
	// ErrStreamDeleted: the stream was tombstoned (hard-deleted) on the
	// server; it can never be read or written again.
	ErrStreamDeleted = errors.New("stream deleted on the server")
	// ErrAccessDenied: the server's ACLs do not let the connection's user
	// do this.
	ErrAccessDenied = errors.New("access denied by the server")
	// ErrUnauthenticated: the server did not accept the connection's
	// credentials (or needs some and got none).
	ErrUnauthenticated = errors.New("not authenticated by the server")
	// ErrNotLeader: the node answered that only the cluster's leader
	// does this; the client reconnects to the leader it names.
	ErrNotLeader = errors.New("the server is not the cluster's leader")
)

// class is what the adapter makes of an error of the client.
type class uint8

const (
	classOther           class = iota // nothing the adapter acts on: passed on as it is
	classConflict                     // the stream was not at the expected revision
	classNotFound                     // the stream has no events (a stream_not_found answer)
	classDeleted                      // the stream is tombstoned
	classTooLarge                     // the append is over the server's maximum append size
	classInvalidPosition              // a read of $all from a position inside the log that no event had
	classInvalid                      // the server refused the request as malformed
	classDenied                       // the user lacks the right (ACLs)
	classUnauthenticated              // the credentials were refused, or missing
	classUnsupported                  // the server has no such call
	classNotLeader                    // a follower answered; the client goes to the leader
	classTransient                    // unreachable, timed out, aborted, overloaded, connection broke
	classGaveUp                       // the client closed itself for good
	classCanceled                     // the caller's context ended
)

var classNames = [...]string{
	classOther: "other", classConflict: "conflict", classNotFound: "not found",
	classDeleted: "deleted", classTooLarge: "too large", classInvalidPosition: "invalid position", classInvalid: "invalid",
	classDenied: "access denied", classUnauthenticated: "unauthenticated",
	classUnsupported: "unsupported", classNotLeader: "not leader",
	classTransient: "transient", classGaveUp: "client gave up", classCanceled: "canceled",
}

func (c class) String() string { return classNames[c] }

// answer is what classify finds in an error of the client.
type answer struct {
	class   class
	code    esclient.ErrorCode // the client's code; ErrorCodeUnknown when none
	status  codes.Code         // the gRPC status beneath; codes.OK when none
	message string             // the gRPC status's message
}

// classify sorts err, an error of a call of the client (wrapped or not).
func classify(err error) answer {
	var a answer
	if err == nil {
		return a
	}
	ce := clientError(err)
	if ce != nil {
		a.code = ce.Code()
	}
	st, hasStatus := grpcStatus(err)
	if hasStatus {
		a.status, a.message = st.Code(), st.Message()
	}
	a.class = sortAnswer(err, ce, a, hasStatus)
	return a
}

// sortAnswer gives err its class: the context first, then the client's
// code, then the gRPC status, then the transport's error types.
func sortAnswer(err error, ce *esclient.Error, a answer, hasStatus bool) class {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return classCanceled
	}
	if ce != nil && ce.Err() != nil && discoveryGaveUpText(ce.Err().Error()) {
		return classGaveUp
	}
	if ce != nil {
		switch a.code {
		case esclient.ErrorCodeWrongExpectedVersion:
			return classConflict
		case esclient.ErrorCodeResourceNotFound:
			// A missing stream is an answer of the protocol
			// (stream_not_found), which the client turns into this
			// code without a status. A NotFound status is the
			// server's not-leader answer whose trailers named no
			// leader (research 2.2): never "no events".
			if hasStatus {
				return classNotLeader
			}
			return classNotFound
		case esclient.ErrorCodeStreamDeleted:
			return classDeleted
		case esclient.ErrorCodeAccessDenied:
			return classDenied
		case esclient.ErrorCodeUnauthenticated:
			return classUnauthenticated
		case esclient.ErrorCodeUnsupportedFeature:
			return classUnsupported
		case esclient.ErrorCodeNotLeader:
			return classNotLeader
		case esclient.ErrorUnavailable, esclient.ErrorAborted, esclient.ErrorCodeDeadlineExceeded:
			return classTransient
		case esclient.ErrorCodeConnectionClosed:
			return classGaveUp
		}
	}
	if hasStatus {
		if invalidPositionText(a.status, a.message) {
			return classInvalidPosition
		}
		switch a.status {
		case codes.InvalidArgument:
			if _, ok := maxAppendSizeText(a.message); ok {
				return classTooLarge
			}
			return classInvalid
		case codes.PermissionDenied:
			return classDenied
		case codes.Unauthenticated:
			return classUnauthenticated
		case codes.Unimplemented:
			return classUnsupported
		case codes.Unavailable, codes.Aborted, codes.Internal, codes.DeadlineExceeded, codes.ResourceExhausted:
			return classTransient
		}
	}
	if brokenConnection(err) {
		return classTransient
	}
	return classOther
}

// clientError returns the client's *esclient.Error in err, or nil.
func clientError(err error) *esclient.Error {
	var ce *esclient.Error
	errors.As(err, &ce)
	return ce
}

// grpcStatus returns the gRPC status inside err, wrapped or not.
func grpcStatus(err error) (*status.Status, bool) {
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return se.GRPCStatus(), true
	}
	return nil, false
}

// brokenConnection reports whether err is a connection that broke or
// never opened, as the transport types it (not a server's answer).
func brokenConnection(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &ne)
}

// transient reports whether a call that failed with err may succeed if
// made again: the server was unreachable, the leader changed, the call
// timed out or was aborted, the connection broke, or the client gave up
// (a new one is made).
func transient(err error) bool {
	switch classify(err).class {
	case classTransient, classNotLeader, classGaveUp:
		return true
	}
	return false
}

// clientGaveUp reports whether the client closed itself for good: it
// must be replaced.
func clientGaveUp(err error) bool { return classify(err).class == classGaveUp }

// resumable reports whether a subscription that dropped with err may be
// made again: anything but a refusal by the server or a ledger that does
// not read right.
func resumable(err error) bool {
	if err == nil || errors.Is(err, errChanged) || errors.Is(err, eventstore.ErrDuplicateEvent) {
		return false
	}
	a := classify(err)
	switch a.class {
	case classDenied, classUnauthenticated, classDeleted, classUnsupported, classInvalid, classTooLarge, classInvalidPosition:
		return false
	case classTransient, classNotLeader, classGaveUp:
		return true
	}
	// Any other answer of the server, or a stream that ended: a broken
	// call rather than a refusal.
	return a.status != codes.OK || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// callError wraps an error of the client for op: ctx's error when ctx is
// done (the client reports cancellation in its own ways), and otherwise
// the error with the adapter's sentinel for its class (sorted).
func callError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", op, ctxErr)
	}
	return fmt.Errorf("%s: %w", op, sorted(err))
}

// sorted returns err with the adapter's sentinel for its class wrapped in
// and what to do about it; an error of no such class as it is. Conflicts,
// missing streams and appends over the cap are translated where the
// stream and the append are known (appendError, readError).
func sorted(err error) error {
	switch classify(err).class {
	case classDeleted:
		return fmt.Errorf("%w (a tombstoned stream can never be written or read again): %w", ErrStreamDeleted, err)
	case classDenied:
		return fmt.Errorf("%w (the connection's user needs $r on $all, which only $admins have by default: grant it in $all's metadata, stream $$$all; and to read and write the ledger's streams, which the default $userStreamAcl in $settings gives every user; README: Running on EventStoreDB/KurrentDB, User and rights): %w", ErrAccessDenied, err)
	case classUnauthenticated:
		return fmt.Errorf("%w (check the user and password in the connection string; the client sends them only over TLS): %w", ErrUnauthenticated, err)
	case classNotLeader:
		return fmt.Errorf("%w (only the leader does this, and the store tried again on new connections: check that the cluster has a leader, and give the client the cluster's gossip seeds or an esdb+discover:// location so it can reach the leader): %w", ErrNotLeader, err)
	case classInvalid:
		return fmt.Errorf("the server refused the request as invalid (if an append's events are over its maximum append size, append fewer or smaller ones): %w", err)
	}
	return err
}

// appendError translates the client's error for an append of events to
// stream under expected.
func (s *Store) appendError(ctx context.Context, c *conn, stream string, expected eventstore.Expected, events []esclient.EventData, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	a := classify(err)
	switch a.class {
	case classConflict:
		length, lerr := s.conflictLength(ctx, c, stream, err)
		if lerr != nil {
			return lerr
		}
		return &eventstore.ConflictError{Stream: stream, Expected: expected, Length: length}
	case classDeleted:
		return fmt.Errorf("stream %s: %w", stream, sorted(err))
	case classTooLarge:
		max, _ := maxAppendSizeText(a.message)
		total := 0
		for _, e := range events {
			total += size(e)
		}
		return &AppendSizeError{Stream: stream, Size: total, Max: max}
	}
	return s.check(c, sorted(err))
}

// readError translates the client's error for a read of stream.
func (s *Store) readError(ctx context.Context, c *conn, stream string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch classify(err).class {
	case classNotFound:
		return eventstore.ErrNotFound
	case classDeleted:
		return fmt.Errorf("stream %s: %w", stream, sorted(err))
	}
	return s.check(c, sorted(err))
}

// conflictLength returns the length of stream after an append refused
// with err, a wrong-expected-version answer: from the revision the answer
// names, or, when its text does not say, by reading the stream's newest
// event.
func (s *Store) conflictLength(ctx context.Context, c *conn, stream string, err error) (uint64, error) {
	if ce := clientError(err); ce != nil && ce.Err() != nil {
		if length, ok := currentLengthText(ce.Err().Error()); ok {
			return length, nil
		}
	}
	last, rerr := s.readStream(ctx, c, stream, eventstore.ReadOptions{From: eventstore.End, Backwards: true, Limit: 1})
	switch {
	case errors.Is(rerr, eventstore.ErrNotFound):
		return 0, nil
	case rerr != nil:
		return 0, rerr
	}
	return last[0].Revision + 1, nil
}

// currentLengthText reads the stream's length from the client's text of a
// wrong-expected-version answer, exactly as v4.2.0 formats it
// (client.go: "wrong expected version: expecting '%s' but got '%s'", the
// second the current revision or "no_stream"). Any other text is not
// read: ok is false.
func currentLengthText(msg string) (length uint64, ok bool) {
	rest, ok := strings.CutPrefix(msg, "wrong expected version: expecting '")
	if !ok {
		return 0, false
	}
	_, got, ok := strings.Cut(rest, "' but got '")
	if !ok {
		return 0, false
	}
	got, ok = strings.CutSuffix(got, "'")
	if !ok {
		return 0, false
	}
	if got == "no_stream" {
		return 0, true
	}
	rev, err := strconv.ParseUint(got, 10, 63)
	if err != nil {
		return 0, false
	}
	return rev + 1, true
}

// maxAppendSizeText reads the server's cap from the message of its
// refusal of an append over it (status InvalidArgument, server
// RpcExceptions.MaxAppendSizeExceeded): "Maximum Append Size of N
// Exceeded." Any other text is not read: ok is false.
func maxAppendSizeText(msg string) (max int, ok bool) {
	rest, ok := strings.CutPrefix(msg, "Maximum Append Size of ")
	if !ok {
		return 0, false
	}
	n, ok := strings.CutSuffix(rest, " Exceeded.")
	if !ok {
		return 0, false
	}
	max, err := strconv.Atoi(n)
	if err != nil || max <= 0 || strconv.Itoa(max) != n {
		return 0, false
	}
	return max, true
}

// invalidPositionText reports whether a gRPC status of code and msg is
// the server's refusal of a read of or a subscription to $all from a
// position inside the log that no event had (RpcExceptions.
// InvalidPositionException, KurrentDB PR #3963: "Trying to read from an
// invalid position.", status Unknown since 23.10, InvalidArgument in
// later KurrentDB sources). Any other text or status is not read; servers
// before 23.10 answer with texts that do not say ("Unexpected
// ReadAllResult: Error").
func invalidPositionText(code codes.Code, msg string) bool {
	return (code == codes.Unknown || code == codes.InvalidArgument) && msg == "Trying to read from an invalid position."
}

// discoveryGaveUpText reports whether msg, the text inside an
// *esclient.Error, is the client's report that it could not discover a
// node and closed itself (impl.go discoverNode: "maximum discovery
// attempt count reached: %v. Last Error: %w"). Its code is whatever the
// last attempt's error mapped to, so only the text tells.
func discoveryGaveUpText(msg string) bool {
	return strings.HasPrefix(msg, "maximum discovery attempt count reached: ")
}

// AppendSizeError is the server's refusal of an append whose events
// (payloads, envelopes and types together) exceed its maximum append size.
// Nothing was appended. errors.Is(err, eventstore.ErrTooLarge) is true.
type AppendSizeError struct {
	Stream string
	Size   int // bytes the append counted
	Max    int // the server's cap
}

func (e *AppendSizeError) Error() string {
	return fmt.Sprintf("%d bytes of events (payloads, envelopes and types) are over the server's maximum append size of %d bytes (EventStoreDB's MaxAppendSize): %v",
		e.Size, e.Max, eventstore.ErrTooLarge)
}

// Is makes errors.Is(err, eventstore.ErrTooLarge) true.
func (e *AppendSizeError) Is(target error) bool { return target == eventstore.ErrTooLarge }
