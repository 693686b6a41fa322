// Package esdb is the eventstore.Store on EventStoreDB / KurrentDB, through
// the official gRPC client github.com/EventStore/EventStore-Client-Go/v4.
//
// # Locations
//
// A ledger is named by the client's connection string plus one setting of
// ours:
//
//	esdb://db1:2113?tls=false                       one node, no TLS
//	esdb://admin:changeit@db1:2113?tlsCAFile=ca.pem one node, TLS, basic auth
//	esdb://db1:2113,db2:2113,db3:2113               gossip seeds (a cluster)
//	esdb+discover://cluster.example:2113            discovery through DNS
//	...?prefix=acme-ir/                             the ledger's stream prefix
//
// Every other setting is the client's (tls, tlsVerifyCert, tlsCAFile,
// userCertFile, userKeyFile, nodePreference, keepAliveInterval, ...).
// Credentials together with tls=false are refused: the client would
// silently send them nowhere.
//
// # Streams and the ledger envelope
//
// The logical stream "incident-X" is the EventStoreDB stream prefix +
// "incident-X"; the prefix (default DefaultPrefix) keeps several ledgers,
// and other applications, apart in one database. The prefixes of two
// ledgers in one database must not be prefixes of one another.
//
// An event's type is the record's type and its data the payload. The rest of
// the envelope travels in the event's custom metadata as JSON: the business
// time, the actor, the signer and signature, and the recorded time, which
// the adapter stamps (UTC, whole microseconds, never before the previous
// event's as far as this process has seen) when an append is first
// attempted, and which retries and migrate keep. The server's own
// "created" timestamp stays beside it; Event.Skew compares the two.
//
// The sequence of an event is its rank among the ledger's events in $all:
// the events of streams under the prefix, in $all order, skipping system
// events (types starting with "$", such as a tombstone). $all positions
// have gaps; ranks do not. Ranks are computed by reading the ledger's
// events in $all through a subscription filtered on the prefix (the server
// filters), one row per event (its position, event ID, stream and
// revision). With Options.RankFile the rows are kept in a file between
// processes (rankfile.go: a SQLite file in the user's cache, each row under
// a MAC, checked against the server before use and against the newest
// checkpoint's anchor), so a command reads from the server only the events
// appended since the file was last brought up to date, and its memory does
// not grow with the ledger; the first command on a machine reads the
// ledger once to fill it. Without a rank file the rows are kept in memory,
// per Store (about 100 bytes an event), and the first call that needs a
// sequence reads every event of the ledger. Reads check that the positions
// they see match the rows, so a ledger whose history was removed under a
// running Store fails loudly instead of shifting sequences.
//
// # Following, outages, checkpoints
//
// Follow is one subscription to $all filtered on the prefix; when it drops
// (a restart, a broken connection, a leader change) Follow subscribes again
// after the position of the last event it passed, so nothing is lost or
// repeated. A call that fails because the connection failed retires the
// client: the next call gets a new one (a fresh connection, rather than the
// old one's gRPC reconnect backoff, or the v4 client's habit of closing
// itself for good when a rediscovery fails). Other calls retry transient
// failures a few times with the same event IDs and metadata.
//
// The ledger's signed checkpoints (eventstore.CheckpointStore) live in the
// stream CheckpointStreamPrefix + prefix, and witnesses' cosignatures of
// them (eventstore.CosignatureStore) in CosignatureStreamPrefix + prefix,
// both outside the ledger's prefix.
// Store.Audit (eventstore.Auditor) tells verification what only the
// server knows: events hidden from stream reads but still in $all (a
// stream deleted or truncated), revisions a scavenge removed, and recorded
// times far from the server's "created".
//
// # Errors
//
// The client's errors are read by type, in one place (errors.go): the
// client's error code, the gRPC status beneath it, the transport's error
// types; never their text, but for two numbers only the text carries (a
// conflict's current revision, the server's append cap), each read by one
// function that accepts only the text recorded for it. Refusals wrap
// eventstore's sentinels (ErrConflict, ErrNotFound, ErrTooLarge) or this
// package's (ErrStreamDeleted, ErrAccessDenied, ErrUnauthenticated,
// ErrNotLeader), with what to do about them.
//
// # What EventStoreDB does not give
//
// Event IDs are unique per ledger only as far as the adapter checks them:
// before an append it looks the IDs up in the ledger's rows (in the rank
// file, indexed, or in memory), which catches reuse but not two processes
// racing with the same new ID. An append is capped by
// the server at 1 MiB (MaxAppendSize, configurable on the server): of the
// events' data before server 24.10.4, of data, metadata and type (at two
// bytes a UTF-16 code unit) since, so a payload of exactly 1 MiB does not
// fit under the default cap, and a batch is refused whole when it exceeds
// it. Import counts as the newest servers do.
// See the README ("Running on EventStoreDB/KurrentDB") for the ACLs an
// audit ledger needs.
package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb/esdburl"
)

var (
	_ eventstore.Store    = (*Store)(nil)
	_ eventstore.Importer = (*Store)(nil)
)

// DefaultPrefix is the stream prefix of a ledger whose location names none.
const DefaultPrefix = "breachledger/"

// PrefixSetting is the connection-string setting that names the prefix.
const PrefixSetting = "prefix"

// Options control Open.
type Options struct {
	// Logger receives the client's log lines; default none.
	Logger esclient.LoggingFunc
	// Now is the clock that stamps recorded times; default time.Now.
	Now func() time.Time
	// RankFile, when set, is the file the ledger's ranks are kept in
	// between processes (rankfile.go): a SQLite file of derived data, in
	// a place only this user can write (package cachedir says which);
	// never the ledger's. Without it the ranks are kept in memory, and the
	// first call that needs one reads the whole ledger.
	RankFile string
	// RankKey is the key of the rank file's MACs (at least 16 bytes; the
	// kept views' key serves): kept where the file is not, so whoever can
	// write the file cannot forge its rows. Needed with RankFile.
	RankKey []byte
}

// Store is a ledger kept in EventStoreDB. It is safe for concurrent use.
type Store struct {
	cfg     esclient.Configuration // template for new clients
	prefix  string
	display string // the location, without its password
	now     func() time.Time

	mu     sync.Mutex
	cur    *conn
	gen    int // how many times cur was replaced
	closed bool

	life context.Context // cancelled by Close
	kill context.CancelFunc
	ops  sync.WaitGroup // calls in progress

	idx     index
	scanned atomic.Uint64 // ledger events read by scans of $all (tests count them)
}

// conn is one client and the calls using it. A client whose connection
// failed is retired: the store makes a new one for later calls (a fresh
// connection, dialled at once, rather than the old one's reconnect backoff),
// and closes the old one when its last call ends. Closing a client while a
// call still uses it can make the v4 client panic (a send on its closed
// channel).
type conn struct {
	c       *esclient.Client
	users   int  // calls using c; guarded by Store.mu
	retired bool // replaced: close when users reaches 0
	closed  bool
}

// Open connects to the ledger at location (an esdb:// or esdb+discover://
// connection string, see the package documentation) and checks that the
// server answers and lets this user read $all.
func Open(ctx context.Context, location string, opts Options) (*Store, error) {
	loc, err := ParseLocation(location)
	if err != nil {
		return nil, err
	}
	if opts.Logger != nil {
		loc.config.Logger = opts.Logger
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{cfg: *loc.config, prefix: loc.Prefix, display: loc.Display, now: opts.Now}
	s.life, s.kill = context.WithCancel(context.Background())
	s.idx.init()
	if opts.RankFile != "" {
		f, err := openRankFile(opts.RankFile, loc.Prefix, opts.RankKey)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", s.display, err)
		}
		s.idx.file = f
	}
	c, err := s.newClient()
	if err != nil {
		if s.idx.file != nil {
			s.idx.file.close()
		}
		return nil, fmt.Errorf("open %s: %w", s.display, err)
	}
	s.cur = c
	if err := s.ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s: %w", s.display, err)
	}
	return s, nil
}

// Location is a parsed ledger location.
type Location struct {
	Prefix  string // the ledger's stream prefix
	Display string // the location with any password replaced by "xxxxx"
	Conn    string // the connection string the client gets (our settings removed)
	config  *esclient.Configuration
}

// ParseLocation parses and checks a ledger location without connecting.
func ParseLocation(location string) (Location, error) {
	display := Redact(location)
	if !IsLocation(location) {
		return Location{}, fmt.Errorf("open %s: not an EventStoreDB location (esdb:// or esdb+discover://)", display)
	}
	base, rawQuery, _ := strings.Cut(location, "?")
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return Location{}, fmt.Errorf("open %s: bad settings: %w", display, err)
	}
	prefix := DefaultPrefix
	for key, vals := range query {
		if strings.EqualFold(key, PrefixSetting) {
			prefix = vals[len(vals)-1]
			delete(query, key)
		}
	}
	if err := checkPrefix(prefix); err != nil {
		return Location{}, fmt.Errorf("open %s: %w", display, err)
	}
	conn := base
	if len(query) > 0 {
		conn += "?" + query.Encode()
	}
	cfg, err := esclient.ParseConnectionString(conn)
	if err != nil {
		return Location{}, fmt.Errorf("open %s: %v", display, err)
	}
	switch {
	case cfg.Username != "" && cfg.DisableTLS:
		return Location{}, fmt.Errorf("open %s: credentials given with tls=false: the EventStoreDB client sends credentials only over TLS and would silently drop them; enable TLS (remove tls=false; add tlsCAFile=PATH for a private CA) or remove the credentials", display)
	case cfg.Username != "" && cfg.Password == "":
		return Location{}, fmt.Errorf("open %s: user %q has no password: the EventStoreDB client would silently send no credentials", display, cfg.Username)
	case cfg.UserCertFile != "" && cfg.DisableTLS:
		return Location{}, fmt.Errorf("open %s: a user certificate given with tls=false: it is used only over TLS", display)
	}
	cfg.Logger = esclient.NoopLogging()
	return Location{Prefix: prefix, Display: display, Conn: conn, config: cfg}, nil
}

// IsLocation reports whether location names an EventStoreDB ledger
// (esdburl.IsLocation).
func IsLocation(location string) bool { return esdburl.IsLocation(location) }

func checkPrefix(prefix string) error {
	if err := eventstore.ValidateStream(prefix); err != nil {
		return fmt.Errorf("bad stream prefix: %w", err)
	}
	if strings.HasPrefix(prefix, "$") {
		return fmt.Errorf("bad stream prefix %q: names starting with $ belong to the server: %w", prefix, eventstore.ErrInvalid)
	}
	return nil
}

// Redact returns location with the password of its credentials, if any,
// replaced by "xxxxx", for messages (esdburl.Redact).
func Redact(location string) string { return esdburl.Redact(location) }

// Prefix returns the ledger's stream prefix.
func (s *Store) Prefix() string { return s.prefix }

// String returns the location, without its password.
func (s *Store) String() string { return s.display }

func (s *Store) newClient() (*conn, error) {
	cfg := s.cfg
	c, err := esclient.NewClient(&cfg)
	if err != nil {
		return nil, err
	}
	return &conn{c: c}, nil
}

// errClosed: the store was closed.
var errClosed = errors.New("store closed")

// begin starts a call: it returns a context that Close cancels, the client
// to use, and the function that ends the call.
func (s *Store) begin(ctx context.Context) (context.Context, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, errClosed
	}
	s.ops.Add(1)
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.life, cancel)
	return ctx, func() {
		stop()
		cancel()
		s.ops.Done()
	}, nil
}

// with calls fn with the current client, which stays open until fn
// returns. When fn finds the rank file at fault (errRankFile), the index
// and its file are emptied and fn is called once more: it reads the ledger
// again as it needs.
func (s *Store) with(fn func(c *conn) error) error {
	s.mu.Lock()
	c := s.cur
	c.users++
	s.mu.Unlock()
	defer s.release(c)
	err := fn(c)
	if errors.Is(err, errRankFile) {
		reset, rerr := s.idx.reset(s.prefix)
		if rerr != nil {
			return rerr
		}
		if reset {
			err = fn(c)
		}
	}
	return err
}

func (s *Store) release(c *conn) {
	s.mu.Lock()
	c.users--
	closeIt := c.retired && c.users == 0 && !c.closed
	c.closed = c.closed || closeIt
	s.mu.Unlock()
	if closeIt {
		c.c.Close()
	}
}

// check looks at an error of a call made with c: if the connection failed
// (the server is unreachable, the connection broke, or the client's
// connection machine gave up, which closes a v4 client for good), c is
// retired and later calls get a new client. It returns err.
func (s *Store) check(c *conn, err error) error {
	if err == nil || !(transient(err) || clientGaveUp(err)) {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.cur != c {
		return err
	}
	next, nerr := s.newClient()
	if nerr != nil {
		return err
	}
	c.retired = true
	s.cur = next
	s.gen++
	// c is closed by the release of its last call (check is called from
	// within one).
	return err
}

// ping reads the newest event of $all: it checks that the server answers
// and that this user may read $all, which the store needs.
func (s *Store) ping(ctx context.Context) error {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	return s.with(func(c *conn) error {
		rs, err := c.c.ReadAll(ctx, esclient.ReadAllOptions{Direction: esclient.Backwards, From: esclient.End{}}, 1)
		if err != nil {
			return s.check(c, callError(ctx, "connect", err))
		}
		defer rs.Close()
		if _, err := rs.Recv(); err != nil && !errors.Is(err, io.EOF) {
			return s.check(c, callError(ctx, "read $all", err))
		}
		return nil
	})
}

// Close ends every call in progress (Follow iterators end with an error)
// and closes the connection.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	c := s.cur
	s.mu.Unlock()
	s.kill()
	s.ops.Wait() // every call has ended: no client is in use
	if c != nil {
		c.c.Close()
	}
	if f := s.idx.file; f != nil {
		if err := s.idx.flush(); err != nil {
			f.close()
			return fmt.Errorf("close %s: %w", s.display, err)
		}
		return f.close()
	}
	return nil
}
