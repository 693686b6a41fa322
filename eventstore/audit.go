package eventstore

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// ErrHistoryChanged: the log is no longer what this reader read before:
// events it had seen are gone and later sequences moved (on EventStoreDB,
// after a scavenge removed deleted or truncated events from $all). The
// reader fails rather than renumber; verification names what is gone.
var ErrHistoryChanged = errors.New("the ledger's history changed under this reader (events were removed; run \"breachledger verify\")")

// A Finding is something a store knows about its records that the records
// themselves cannot show, and that a verifier must report (Auditor).
type Finding struct {
	Seq     uint64    // the record concerned (for several, the first)
	EventID uuid.UUID // its event ID; uuid.Nil when no record is known
	What    string    // a short kind: "hidden", "removed", "recorded time", ...
	Detail  string    // what is wrong, for a person
	// Leaf is a leaf copy the finding is about (an orphaned one), for
	// the verifier to name its event; nil when none.
	Leaf []byte
}

// AuditOptions tune an Audit.
type AuditOptions struct {
	// ClockTolerance is how far a record's recorded time (stamped by a
	// writer) may be from the store's own time of its arrival; 0 means
	// the store's default.
	ClockTolerance time.Duration
}

// Auditor is implemented by stores that know things about their records
// that the log, its checkpoints and its leaves cannot show. EventStoreDB
// knows whether stream reads still return each event of the ledger in
// $all (a stream deleted or truncated by a user with the default ACLs
// keeps its events in $all until a scavenge removes them), which
// revisions of a stream $all no longer has, and when its server received
// each event (which a writer's recorded time must be close to). The
// embedded SQLite store knows whether its append-only triggers are still
// the ones its schema made, and whether it keeps leaf copies of events
// its log no longer has.
type Auditor interface {
	// Audit reads the whole ledger and returns its findings in sequence
	// order: none for an intact ledger. It returns an error only when it
	// cannot read.
	Audit(ctx context.Context, opts AuditOptions) ([]Finding, error)
}

// StampSlacker is implemented by stores whose writers stamp recorded times
// before their append takes its place in the log's total order
// (EventStoreDB): writers racing on different streams may then land a
// little out of the order of their stamps. StampSlack bounds how far a
// recorded time may fall behind an earlier one in the sequence; a store
// that stamps under the append's own lock (SQLite) never decreases and
// does not implement it.
type StampSlacker interface {
	StampSlack() time.Duration
}
