// Package eventstore defines the append-only log that every breachledger
// ledger is kept in: streams of opaque records, each with a per-stream
// revision and one gap-free sequence over the whole ledger.
//
// The package knows nothing of incidents. A Record carries the ledger
// envelope of the shared contract (event ID, stream, type, business time,
// actor, signer, payload) and the store adds what only it can know (revision,
// sequence, recorded time). Implementations live in subpackages (sqlite,
// esdb); the contract every implementation must meet is checked by package
// storetest.
package eventstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// MaxPayloadSize is the largest payload a Record may carry: 1 MiB, the
// EventStoreDB server's default append cap, enforced on every store.
const MaxPayloadSize = 1 << 20

// Sentinel errors. Implementations wrap them so callers match with errors.Is.
var (
	// ErrConflict: the stream was not at the expected revision; nothing was
	// appended. Wrapped in a *ConflictError.
	ErrConflict = errors.New("wrong expected revision")
	// ErrNotFound: the stream has no events.
	ErrNotFound = errors.New("stream not found")
	// ErrTooLarge: a payload is over MaxPayloadSize; nothing was appended.
	ErrTooLarge = errors.New("payload too large")
	// ErrDuplicateEvent: an event ID is already stored, but not as part of an
	// identical earlier append (so this is not an idempotent retry).
	ErrDuplicateEvent = errors.New("event ID already used")
	// ErrInvalid: a record is malformed (no ID, no type, empty stream name...).
	ErrInvalid = errors.New("invalid record")
	// ErrNoLedger: there is no ledger at the given location (it was never
	// initialised); opening without creating returns it.
	ErrNoLedger = errors.New("no ledger")
	// ErrNotLedger: the location holds something else (another
	// application's database, a text file), which was left as it was. It
	// is not ErrNoLedger: creating a ledger there is refused too.
	ErrNotLedger = errors.New("not a breachledger ledger")
)

// Expected is the optimistic-concurrency condition of an append.
type Expected struct {
	kind expectKind
	rev  uint64
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectExact
)

var (
	// Any appends whatever the stream's state.
	Any = Expected{kind: expectAny}
	// NoStream appends only if the stream has no events yet.
	NoStream = Expected{kind: expectNoStream}
)

// Exact appends only if the stream's last event has revision rev (0-based).
func Exact(rev uint64) Expected { return Expected{kind: expectExact, rev: rev} }

// After returns the expectation that a stream is exactly as long as n events:
// NoStream for 0, Exact(n-1) otherwise.
func After(n uint64) Expected {
	if n == 0 {
		return NoStream
	}
	return Exact(n - 1)
}

// IsAny, IsNoStream and Revision describe the expectation.
func (e Expected) IsAny() bool      { return e.kind == expectAny }
func (e Expected) IsNoStream() bool { return e.kind == expectNoStream }

// Revision returns the exact revision expected, and false for Any and NoStream.
func (e Expected) Revision() (uint64, bool) { return e.rev, e.kind == expectExact }

// Matches reports whether a stream with length events meets e.
func (e Expected) Matches(length uint64) bool {
	switch e.kind {
	case expectNoStream:
		return length == 0
	case expectExact:
		return length == e.rev+1
	}
	return true
}

func (e Expected) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectExact:
		return fmt.Sprintf("revision %d", e.rev)
	}
	return "any"
}

// A Record is one stored event. The store treats Payload as opaque bytes.
//
// The writer sets ID, Stream, Type, OccurredAt, Actor, Signer, Signature,
// Payload and Basis. The store sets Revision, Sequence and RecordedAt on append and
// returns them; whatever the writer put there is ignored. Stream may be left
// empty: Append fills it in. A nil and an empty Payload (or Signature) are
// the same; stores return either.
type Record struct {
	ID         uuid.UUID // chosen by the writer before the first attempt (UUIDv7)
	Stream     string
	Type       string
	OccurredAt time.Time // business time: when the fact happened
	Actor      string
	Signer     string // signer key fingerprint; empty when unsigned
	Signature  []byte // signature over the content envelope; empty when unsigned
	Payload    []byte
	// Basis is how many events the ledger stream (roles, signers,
	// settings) held when the writer decided this append: the ledger
	// revision it was decided on, plus one. 0 when not recorded (records
	// written before it was, and a ledger's first event). It is part of
	// the content envelope, so the author's signature and the checkpoint
	// leaf cover it.
	Basis uint64

	Revision   uint64    // 0-based position in Stream
	Sequence   uint64    // 0-based, gap-free position in the whole ledger
	RecordedAt time.Time // when the store first appended it (UTC)
}

// Validate checks what every store requires of a record before appending it.
func (r Record) Validate() error {
	switch {
	case r.ID == uuid.Nil:
		return fmt.Errorf("record without an event ID: %w", ErrInvalid)
	case r.Type == "":
		return fmt.Errorf("event %s without a type: %w", r.ID, ErrInvalid)
	case r.OccurredAt.IsZero():
		return fmt.Errorf("event %s without a business time: %w", r.ID, ErrInvalid)
	case r.OccurredAt.Before(minTime) || r.OccurredAt.After(maxTime):
		return fmt.Errorf("event %s: business time %s is outside the years 1678 to 2262: %w", r.ID, r.OccurredAt, ErrInvalid)
	case len(r.Payload) > MaxPayloadSize:
		return &TooLargeError{ID: r.ID, Size: len(r.Payload)}
	case r.Basis > math.MaxInt64:
		return fmt.Errorf("event %s: basis %d is beyond any ledger (over 2^63-1): %w", r.ID, r.Basis, ErrInvalid)
	}
	return nil
}

// Business times must fit in int64 nanoseconds since 1970, the form stores
// keep them in.
var (
	minTime = time.Unix(0, -1<<63)
	maxTime = time.Unix(0, 1<<63-1)
)

// ValidateStream checks a stream name: non-empty, valid UTF-8, printable, no
// spaces.
func ValidateStream(stream string) error {
	if stream == "" {
		return fmt.Errorf("empty stream name: %w", ErrInvalid)
	}
	if !utf8.ValidString(stream) {
		return fmt.Errorf("stream name %q is not valid UTF-8: %w", stream, ErrInvalid)
	}
	for _, c := range stream {
		if c <= ' ' || c == 0x7f {
			return fmt.Errorf("stream name %q has a space or control character: %w", stream, ErrInvalid)
		}
	}
	return nil
}

// ValidateAppend checks everything about an append that needs no store: the
// stream name, each record (Validate), that each record's Stream is empty or
// stream, and that no event ID appears twice in recs. Stores call it before
// touching the log.
func ValidateAppend(stream string, recs []Record) error {
	if err := ValidateStream(stream); err != nil {
		return err
	}
	seen := make(map[uuid.UUID]bool, len(recs))
	for _, r := range recs {
		if err := r.Validate(); err != nil {
			return err
		}
		if r.Stream != "" && r.Stream != stream {
			return fmt.Errorf("event %s names stream %q, not %q: %w", r.ID, r.Stream, stream, ErrInvalid)
		}
		if seen[r.ID] {
			return fmt.Errorf("event %s appears twice in one append: %w", r.ID, ErrInvalid)
		}
		seen[r.ID] = true
	}
	return nil
}

// ConflictError describes a failed optimistic-concurrency check: of the
// stream appended to, or of a Condition on another stream.
type ConflictError struct {
	Stream   string
	Expected Expected
	Length   uint64 // how many events the stream actually had
	// Appending is the stream the append was to, when the check that
	// failed is a Condition (on Stream); empty otherwise.
	Appending string
}

func (e *ConflictError) Error() string {
	actual := "no stream"
	if e.Length > 0 {
		actual = fmt.Sprintf("revision %d", e.Length-1)
	}
	if e.Appending != "" {
		return fmt.Sprintf("append to %s: its condition on %s failed: expected %s, %s is at %s (it changed since the append was decided): %v",
			e.Appending, e.Stream, e.Expected, e.Stream, actual, ErrConflict)
	}
	return fmt.Sprintf("append to %s: expected %s, stream is at %s: %v", e.Stream, e.Expected, actual, ErrConflict)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// TooLargeError names the record whose payload is over MaxPayloadSize.
type TooLargeError struct {
	ID   uuid.UUID
	Size int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("event %s: payload of %d bytes is over the %d-byte limit: %v", e.ID, e.Size, MaxPayloadSize, ErrTooLarge)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// End, as ReadOptions.From, starts a read at the newest event of a stream.
const End = ^uint64(0)

// ReadOptions select part of a stream.
type ReadOptions struct {
	From      uint64 // first revision to return (inclusive); End for the newest
	Backwards bool   // newest first, from From down to revision 0
	Limit     int    // at most this many records; 0 (or less) means all
}

// Store is an append-only log of streams with one total order.
//
// Every method honours ctx: a cancelled context makes it return ctx.Err()
// (wrapped) without side effects on the log.
type Store interface {
	// Append adds recs, in order, to the end of stream if the stream meets
	// expected, and returns them as stored (with Revision, Sequence and
	// RecordedAt set). It is all or nothing: on any error nothing is appended.
	//
	// Errors: a *ConflictError (ErrConflict) when the stream does not meet
	// expected; ErrTooLarge (a *TooLargeError) for a payload over
	// MaxPayloadSize; ErrInvalid for a malformed record or stream name, a
	// record naming another stream, or an event ID used twice in recs
	// (see ValidateAppend); ErrDuplicateEvent when an event ID is already
	// stored elsewhere.
	//
	// A retry of an append that already landed (the same event IDs and
	// types, in the same order, at the same place in the same stream, with
	// an expectation that held for that place) appends nothing and returns
	// the records as first stored. Appending no records appends nothing but
	// still checks expected.
	Append(ctx context.Context, stream string, expected Expected, recs []Record) ([]Record, error)

	// ReadStream returns the records of one stream in revision order (or
	// reverse order with Backwards). It returns ErrNotFound when the stream
	// has no events, and ErrInvalid for a malformed stream name. A forward
	// read from past the end of a stream returns no records; a backward
	// read from past the end starts at the newest.
	ReadStream(ctx context.Context, stream string, opts ReadOptions) ([]Record, error)

	// ReadAll returns at most limit records (all when limit <= 0) of the
	// whole ledger in sequence order, starting at sequence from (inclusive).
	// An empty result means from is at the end. Every call returns the same
	// records for the same sequences.
	ReadAll(ctx context.Context, from uint64, limit int) ([]Record, error)

	// Head returns the number of records in the ledger: the sequence the
	// next append will get.
	Head(ctx context.Context) (uint64, error)

	// Follow yields every record from sequence from onwards: first those
	// already stored, then new ones as they are appended. It ends when ctx
	// is done (yielding ctx.Err() last) or when the consumer stops.
	Follow(ctx context.Context, from uint64) iter.Seq2[Record, error]

	// Close releases the store's resources.
	Close() error
}

// DefaultPageSize is how many records All reads per call of ReadAll.
const DefaultPageSize = 1000

// All yields every record of s from sequence from to the current end, paging
// through ReadAll. It stops at the first error, yielding it.
func All(ctx context.Context, s Store, from uint64) iter.Seq2[Record, error] {
	return pages(from, func(from uint64) ([]Record, error) { return s.ReadAll(ctx, from, DefaultPageSize) },
		func(r Record) uint64 { return r.Sequence + 1 })
}

// StreamRecords yields every record of one stream of s from revision from
// to the current end, in revision order (which is sequence order), paging
// through ReadStream. A stream that does not exist yields nothing. It
// stops at the first error, yielding it.
func StreamRecords(ctx context.Context, s Store, stream string, from uint64) iter.Seq2[Record, error] {
	return pages(from, func(from uint64) ([]Record, error) {
		page, err := s.ReadStream(ctx, stream, ReadOptions{From: from, Limit: DefaultPageSize})
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		return page, err
	}, func(r Record) uint64 { return r.Revision + 1 })
}

// pages yields the records of read's pages of DefaultPageSize from from
// on, each page read from next of the last record of the one before.
func pages(from uint64, read func(from uint64) ([]Record, error), next func(Record) uint64) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for {
			page, err := read(from)
			if err != nil {
				yield(Record{}, err)
				return
			}
			for _, r := range page {
				if !yield(r, nil) {
					return
				}
			}
			if len(page) < DefaultPageSize {
				return
			}
			from = next(page[len(page)-1])
		}
	}
}
