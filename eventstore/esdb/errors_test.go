package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/breachledger/breachledger/eventstore"
)

// ClassOf names the class the adapter gives err, for the tests of
// package esdb_test that make errors with the real client.
func ClassOf(err error) string { return classify(err).class.String() }

// LengthFromText is the stream length the adapter reads from the text of
// the client's wrong-expected-version error err.
func LengthFromText(err error) (uint64, bool) {
	ce := clientError(err)
	if ce == nil || ce.Err() == nil {
		return 0, false
	}
	return currentLengthText(ce.Err().Error())
}

// TestCurrentLengthText: the stream's length read from the client's text
// of a wrong-expected-version answer, one case per text recorded in the
// research (§1.2, §3.2) or formatted by the client, and texts that
// differ, which are not read.
func TestCurrentLengthText(t *testing.T) {
	tests := []struct {
		msg    string
		want   uint64
		wantOK bool
	}{
		{"wrong expected version: expecting '0' but got '2'", 3, true},
		{"wrong expected version: expecting 'no_stream' but got '2'", 3, true},
		{"wrong expected version: expecting '4' but got 'no_stream'", 0, true},
		{"wrong expected version: expecting 'any' but got '0'", 1, true},
		{"wrong expected version: expecting 'stream_exists' but got 'no_stream'", 0, true},
		{"wrong expected version: expecting '0' but got '9223372036854775806'", 9223372036854775807, true},
		// Texts that differ: not read, whatever number they hold.
		{"wrong expected version: expecting '0' but got '-1'", 0, false},
		{"wrong expected version: expecting '0' but got '9223372036854775808'", 0, false}, // beyond the client's int
		{"wrong expected version: expecting '0' but got '2", 0, false},
		{"wrong expected version: expecting '0' but got ' 2'", 0, false},
		{"Append failed due to WrongExpectedVersion. Current version: 2.", 0, false},
		{"something else but got '2'", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := currentLengthText(tt.msg)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("currentLengthText(%q) = %d, %v; want %d, %v", tt.msg, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestMaxAppendSizeText: the server's cap read from its refusal's
// message, as recorded in the research (§1.2: "Maximum Append Size of N
// Exceeded."), and texts that differ, which are not read.
func TestMaxAppendSizeText(t *testing.T) {
	tests := []struct {
		msg    string
		want   int
		wantOK bool
	}{
		{"Maximum Append Size of 1048576 Exceeded.", 1048576, true},
		{"Maximum Append Size of 4096 Exceeded.", 4096, true},
		// Texts that differ: not read, rather than a wrong cap.
		{"Maximum Append Size of 1048576 Exceeded", 0, false},
		{"Maximum Append Size of 99999999999999999999 Exceeded.", 0, false},
		{"Maximum Append Size of 0 Exceeded.", 0, false},
		{"Maximum Append Size of -1 Exceeded.", 0, false},
		{"Maximum Append Size of 01024 Exceeded.", 0, false},
		{"Maximum Append Size of  Exceeded.", 0, false},
		{"maximum append size of 1048576 exceeded.", 0, false},
		{"Invalid stream name. Maximum Append Size of 1048576 Exceeded.", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := maxAppendSizeText(tt.msg)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("maxAppendSizeText(%q) = %d, %v; want %d, %v", tt.msg, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestInvalidPositionText: the server's refusal of a read of $all from a
// position no event had, as KurrentDB words it (RpcExceptions.
// InvalidPositionException: status Unknown since 23.10, InvalidArgument in
// later sources), and answers that differ, which are not read.
func TestInvalidPositionText(t *testing.T) {
	const text = "Trying to read from an invalid position."
	tests := []struct {
		code codes.Code
		msg  string
		want bool
	}{
		{codes.Unknown, text, true},
		{codes.InvalidArgument, text, true},
		// Other statuses or texts: not read.
		{codes.NotFound, text, false},
		{codes.Internal, text, false},
		{codes.Unknown, "Trying to read from an invalid position", false},
		{codes.Unknown, "trying to read from an invalid position.", false},
		{codes.Unknown, text + " ", false},
		{codes.Unknown, "Unexpected ReadAllResult: Error", false},
		{codes.Unknown, "An exception was thrown by the handler.", false},
		{codes.Unknown, "", false},
	}
	for _, tt := range tests {
		if got := invalidPositionText(tt.code, tt.msg); got != tt.want {
			t.Errorf("invalidPositionText(%v, %q) = %v, want %v", tt.code, tt.msg, got, tt.want)
		}
	}
}

// TestDiscoveryGaveUpText: the client's text when discovery gave up, as
// impl.go formats it, and texts that differ.
func TestDiscoveryGaveUpText(t *testing.T) {
	last := status.Error(codes.Unavailable, "connection refused")
	tests := []struct {
		msg  string
		want bool
	}{
		{fmt.Errorf("maximum discovery attempt count reached: %v. Last Error: %w", 10, last).Error(), true},
		{"maximum discovery attempt count reached: 1. Last Error: <nil>", true},
		{"could not construct append operation. Reason: maximum discovery attempt count reached: 1", false},
		{"connection is closed", false},
	}
	for _, tt := range tests {
		if got := discoveryGaveUpText(tt.msg); got != tt.want {
			t.Errorf("discoveryGaveUpText(%q) = %v, want %v", tt.msg, got, tt.want)
		}
	}
}

// TestClassifyConstructed: errors the adapter meets that are not made by
// the client's error mapping (statuses straight from gRPC, the
// transport's errors, the context's, the adapter's own), wrapped as the
// adapter wraps them. Errors the client makes from a server's answers are
// in TestClassifyClientErrors (package esdb_test).
func TestClassifyConstructed(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("read $all: %w", err) }
	tests := []struct {
		name string
		err  error
		want class
	}{
		{"nil", nil, classOther},
		{"context canceled", wrap(context.Canceled), classCanceled},
		{"context deadline", wrap(context.DeadlineExceeded), classCanceled},
		{"status unavailable", wrap(status.Error(codes.Unavailable, "connection refused")), classTransient},
		{"status aborted", wrap(status.Error(codes.Aborted, "Operation timed out")), classTransient},
		{"status internal", wrap(status.Error(codes.Internal, "unexpected EOF")), classTransient},
		{"status resource exhausted", wrap(status.Error(codes.ResourceExhausted, "message larger than max")), classTransient},
		{"status deadline exceeded", wrap(status.Error(codes.DeadlineExceeded, "deadline")), classTransient},
		{"status permission denied", wrap(status.Error(codes.PermissionDenied, "Access denied")), classDenied},
		{"status unauthenticated", wrap(status.Error(codes.Unauthenticated, "Bad credentials")), classUnauthenticated},
		{"status unimplemented", wrap(status.Error(codes.Unimplemented, "unknown service")), classUnsupported},
		{"status over the cap", wrap(status.Error(codes.InvalidArgument, "Maximum Append Size of 1048576 Exceeded.")), classTooLarge},
		{"status over the cap, text differs", wrap(status.Error(codes.InvalidArgument, "Maximum append size exceeded")), classInvalid},
		{"status invalid", wrap(status.Error(codes.InvalidArgument, "Invalid stream name")), classInvalid},
		{"invalid position, unknown", wrap(clientUnknown(status.Error(codes.Unknown, "Trying to read from an invalid position."))), classInvalidPosition},
		{"invalid position, invalid argument", wrap(clientUnknown(status.Error(codes.InvalidArgument, "Trying to read from an invalid position."))), classInvalidPosition},
		{"status unknown, another text", wrap(clientUnknown(status.Error(codes.Unknown, "Unexpected ReadAllResult: Error"))), classOther},
		{"status failed precondition without trailers", wrap(status.Error(codes.FailedPrecondition, "Event stream 'x' is deleted.")), classOther},
		{"status unknown, its text naming EOF", wrap(status.Error(codes.Unknown, "EOF")), classOther},
		{"client's code unknown over a status", wrap(clientUnknown(status.Error(codes.InvalidArgument, "Maximum Append Size of 2048 Exceeded."))), classTooLarge},
		{"client's code unknown over a plain error", wrap(clientUnknown(errors.New("boom"))), classOther},
		{"end of stream", wrap(io.EOF), classTransient},
		{"cut stream", wrap(io.ErrUnexpectedEOF), classTransient},
		{"connection refused", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), classTransient},
		{"connection reset", wrap(syscall.ECONNRESET), classTransient},
		{"closed connection", wrap(net.ErrClosed), classTransient},
		{"the adapter's own, its text naming a connection", wrap(fmt.Errorf("event x: lost connection to reason: %w", eventstore.ErrInvalid)), classOther},
		{"the adapter's conflict", wrap(&eventstore.ConflictError{Stream: "s"}), classOther},
	}
	for _, tt := range tests {
		if got := classify(tt.err).class; got != tt.want {
			t.Errorf("%s: classify(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// clientUnknown is err as the client hands over what it has no code for.
func clientUnknown(err error) error {
	e, _ := esclient.FromError(err)
	return e
}

// TestSortedSentinels: the sentinel each class of refusal carries, with
// the client's error still inside (transient checks and logs see it).
func TestSortedSentinels(t *testing.T) {
	tests := []struct {
		err  error
		want error
	}{
		{status.Error(codes.PermissionDenied, "Access denied"), ErrAccessDenied},
		{status.Error(codes.Unauthenticated, "Bad credentials"), ErrUnauthenticated},
	}
	for _, tt := range tests {
		got := callError(context.Background(), "read $all", clientUnknown(tt.err))
		if !errors.Is(got, tt.want) {
			t.Errorf("callError(%v) = %v, want it to wrap %v", tt.err, got, tt.want)
		}
		if st, ok := grpcStatus(got); !ok || st.Code() != status.Code(tt.err) {
			t.Errorf("callError(%v) = %v, want the status still inside", tt.err, got)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := callError(ctx, "read $all", status.Error(codes.PermissionDenied, "Access denied")); !errors.Is(got, context.Canceled) || errors.Is(got, ErrAccessDenied) {
		t.Errorf("callError(done context) = %v, want the context's error alone", got)
	}
}
