// Package notary is the one process of a team ledger that holds the ledger
// key. Writers append signed events and hold no ledger key; the notary
// follows the log, judges every append the way the rules would have
// decided it, and checkpoints what they accept. An append they refuse is
// rejected, all its events together, by a ForeignEventRejected the notary
// signs and appends, naming the rule; no checkpoint covers a rejected
// event without also covering its rejection, and the events after it are
// still checkpointed, so one forged row cannot stop the ledger.
//
// An append is judged on the state the accepted events before it make:
// its authors' signatures against the signer registry at its place in the
// log, then domain.Redecide (the command its events record, decided on
// that state at its recorded time, must yield the very same events). The
// events the ledger holds before the notary took over were checkpointed by
// the ledger key before it, under the rules of their day: they are taken
// as the starting state, not judged again.
//
// The package sees the store only through the eventstore interfaces, and
// is wired to a store and a key by cmd ("breachledger notary run").
//
// On a ledger that seals personal data (issue 25) the writer decides on
// plaintext and stores each personal field sealed under a random nonce:
// two sealings of one recipient are different bytes. The notary judges
// what the writer decided: the records opened by its Opener (Options),
// while their signatures are checked, their leaves checkpointed and their
// rejections named as stored. A forgotten value reads "[forgotten on
// DATE, basis]" to writer and notary alike (an incident's recipients
// share one key and are forgotten together, so they still compare
// equal). A value it cannot open (no key store, a key it is not given)
// it does not guess at: "[sealed]" would equal every other "[sealed]".
// An append judged on one is neither accepted nor rejected: Step
// checkpoints up to it and returns ErrCannotOpen, until a notary with the
// keys judges it. Only what needs no personal value is judged without
// them: an append whose signatures fail, or whose sealed value does not
// open with the key it names (rule sealed-value-invalid), is rejected.
package notary

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/safetext"
)

// A Notary judges and checkpoints one ledger.
type Notary struct {
	store    eventstore.Store
	key      *integrity.LedgerKey
	previous *integrity.PublicKey // the key handed over from: signed the checkpoints before ours
	chain    ledger.KeyChain      // from previous through the hand-over: who signs a checkpoint of each size
	actor    string
	signer   ssh.Signer
	fp       string
	now      func() time.Time
	log      *slog.Logger
	opener   *ledger.Opener // opens sealed fields: never nil

	judged      uint64 // the records judged: sequences [0, judged)
	ledgerLen   uint64 // ledger-stream records among them
	l           domain.Ledger
	ledgerFacts []domain.Fact
	incidents   map[string][]domain.Fact // accepted facts, by stream
	// unreadable holds, by stream, a sealed value among its accepted
	// facts that the notary could not open: no append to it is judged.
	unreadable map[string]ledger.Unopened
	// awaiting are rejected sequences whose rejection record is not
	// judged yet: no checkpoint may cover them before it.
	awaiting map[uint64]bool
	// rejected are the sequences rejected by rejections judged so far.
	rejected map[uint64]bool
	// unrecorded are the rejections decided and not yet in the log (the
	// store refused the append): the next step records them first.
	unrecorded []*unrecorded

	wit witnessing // submissions to the ledger's witnesses (witness.go)
}

// unrecorded is a rejection waiting to be recorded, with its records once
// made: a retry appends the very same (event IDs, signatures), which a
// store takes as the same append if the first attempt did land.
type unrecorded struct {
	rej  Rejection
	recs []eventstore.Record
}

// Options configure a Notary.
type Options struct {
	// Now is the clock rejections are stamped with (default time.Now).
	Now func() time.Time
	// Log receives a line per checkpoint and per rejection (default: none).
	Log *slog.Logger
	// Acting, on a ledger with no notary appointed, judges it as its
	// notary would: the admin who holds the ledger key until a notary is
	// appointed ("breachledger checkpoint" on EventStoreDB, where a writer
	// never covers another's appends), signing the rejections as themself
	// with Signer. Ignored once a notary is appointed.
	Acting *Acting
	// Opener opens the sealed personal fields of the records judged
	// (seal.go). Nil is a notary with no keys: it judges no append whose
	// judgment reads a sealed value (ErrCannotOpen).
	Opener *ledger.Opener
}

// Acting is the ledger-key holder judging a ledger that has no notary.
type Acting struct {
	Actor  string
	Signer ssh.Signer
}

// ErrNotAppointed: the ledger has no notary, or another key than this one.
var ErrNotAppointed = errors.New("not this ledger's notary")

// ErrCannotOpen: an append is judged on a sealed value the notary cannot
// open; it is neither accepted nor rejected (seal.go).
var ErrCannotOpen = errors.New("a sealed value it is judged on does not open for the notary")

// New returns the notary of the ledger in st, holding key: the ledger
// must record its appointment with key's public half. It reads the log
// the previous key checkpointed as its starting state.
func New(ctx context.Context, st eventstore.Store, key *integrity.LedgerKey, opts Options) (*Notary, error) {
	recs, err := st.ReadStream(ctx, domain.LedgerStream, eventstore.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("notary: read the ledger stream: %w", err)
	}
	// The appointment of key: not merely the first NotaryAppointed record
	// (one written around the rules, and rejected, may come before it),
	// but one naming key whose hand-over the key before it signed at a
	// checkpoint this ledger stores.
	var (
		appointed *domain.NotaryAppointed
		h         integrity.Handover
		other     string // the key another appointment names
		invalid   error  // why an appointment naming key appoints nobody
	)
	for _, r := range recs {
		if r.Type != "NotaryAppointed" {
			continue
		}
		e, err := domain.Decode(r.Type, r.Payload)
		if err != nil {
			continue // appoints nobody: verify reports it
		}
		a := e.(domain.NotaryAppointed)
		if a.LedgerKey != key.Public().String() {
			if other == "" {
				other = a.LedgerKey
			}
			continue
		}
		if h, err = ledger.CheckedHandover(ctx, st, a); err != nil {
			invalid = fmt.Errorf("notary: the appointment %s: %w", r.ID, err)
			continue
		}
		appointed = &a
		break
	}
	switch {
	case appointed != nil:
	case invalid != nil:
		return nil, invalid
	case other == "" && opts.Acting != nil:
		return newActing(ctx, st, key, opts)
	case other != "":
		return nil, fmt.Errorf("the ledger's notary holds key %s, not %s: %w", other, key.Public().Fingerprint(), ErrNotAppointed)
	default:
		return nil, fmt.Errorf("the ledger has no notary appointed (an admin appoints one with \"breachledger notary appoint\"): %w", ErrNotAppointed)
	}
	signer, err := key.SSHSigner()
	if err != nil {
		return nil, err
	}
	return started(ctx, st, key, h.Old, appointed.Actor, signer, opts)
}

// newActing returns the judge of a ledger with no notary: the holder of
// its ledger key (which must sign its newest checkpoint), rejecting as
// opts.Acting.
func newActing(ctx context.Context, st eventstore.Store, key *integrity.LedgerKey, opts Options) (*Notary, error) {
	return started(ctx, st, key, key.Public(), opts.Acting.Actor, opts.Acting.Signer, opts)
}

// started returns the notary holding key, which took over from previous
// (the key that signed the checkpoints before its own; key's own public
// key when none did), rejecting as actor with signer, once it has folded
// what the newest checkpoint covers (start).
func started(ctx context.Context, st eventstore.Store, key *integrity.LedgerKey, previous *integrity.PublicKey, actor string, signer ssh.Signer, opts Options) (*Notary, error) {
	n := blank(opts)
	n.store, n.key, n.previous = st, key, previous
	n.readsForgotten(st)
	n.actor, n.signer, n.fp = actor, signer, integrity.Fingerprint(signer.PublicKey())
	var err error
	if n.chain, err = ledger.ReadKeyChain(ctx, st, previous); err != nil {
		return nil, fmt.Errorf("notary: %w", err)
	}
	if err := n.start(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

// blank returns a notary that has judged nothing, with opts' clock and
// log (their defaults when unset): for judging alone (Audit,
// PendingJudge), or to be started.
func blank(opts Options) *Notary {
	n := &Notary{now: opts.Now, log: opts.Log, opener: opts.Opener, l: domain.NewLedger(),
		incidents: map[string][]domain.Fact{}, awaiting: map[uint64]bool{}, rejected: map[uint64]bool{},
		unreadable: map[string]ledger.Unopened{}}
	if n.opener == nil {
		n.opener = &ledger.Opener{} // no keys: every sealed value is unopened
	}
	if n.now == nil {
		n.now = time.Now
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	return n
}

// readsForgotten has the notary's Opener read in st the DataShredded
// events that forgot a value it opens, when the records it opens do not
// hold them: the value is then forgotten, not unopened.
func (n *Notary) readsForgotten(st eventstore.Store) {
	if n.opener.Store == nil {
		o := *n.opener
		o.Store = st
		n.opener = &o
	}
}

// start folds the log its newest checkpoint covers (the part that counts)
// into the notary's state: its judging starts after it.
func (n *Notary) start(ctx context.Context) error {
	// The key handed over from opens the newest checkpoint through the
	// ledger's key chain, whichever key signed it.
	v, err := ledger.NewView(ctx, n.store, n.previous)
	if err != nil {
		return fmt.Errorf("notary: %w", err)
	}
	cov := v.Coverage()
	for from := uint64(0); from < cov.Size; {
		page, err := n.store.ReadAll(ctx, from, eventstore.DefaultPageSize)
		if err != nil {
			return fmt.Errorf("notary: read the log: %w", err)
		}
		if len(page) == 0 {
			break
		}
		o, err := n.open(ctx, page)
		if err != nil {
			return err
		}
		for i, r := range page {
			if r.Sequence >= cov.Size {
				return nil
			}
			n.judged = r.Sequence + 1
			if r.Stream == domain.LedgerStream {
				n.ledgerLen++
			}
			if !cov.Counts(r.Sequence) {
				n.rejected[r.Sequence] = true
				continue
			}
			if err := n.fold(o.read[i], o.unopened[r.Sequence]); err != nil {
				return err
			}
		}
		from = page[len(page)-1].Sequence + 1
	}
	return nil
}

// records are stored records with what the notary reads of them: the
// signatures, leaves and rejections are of raw, the rules judge read
// (raw with its sealed fields opened, as the writer decided on them).
type records struct {
	raw, read []eventstore.Record
	unopened  map[uint64][]ledger.Unopened // by sequence: the values read left "[sealed]"
}

// open returns recs with what the notary reads of them.
func (n *Notary) open(ctx context.Context, recs []eventstore.Record) (records, error) {
	read, unopened, err := n.opener.OpenReport(ctx, recs)
	if err != nil {
		return records{}, fmt.Errorf("notary: %w", err)
	}
	o := records{raw: recs, read: read}
	for _, u := range unopened {
		if o.unopened == nil {
			o.unopened = map[uint64][]ledger.Unopened{}
		}
		o.unopened[u.Seq] = append(o.unopened[u.Seq], u)
	}
	return o, nil
}

// slice returns records i to j of o.
func (o records) slice(i, j int) records {
	return records{raw: o.raw[i:j], read: o.read[i:j], unopened: o.unopened}
}

// unopenedValues returns the unopened values of o's records, in order.
func (o records) unopenedValues() []ledger.Unopened {
	var out []ledger.Unopened
	for _, r := range o.raw {
		out = append(out, o.unopened[r.Sequence]...)
	}
	return out
}

// forgotten returns, for each record of o by its index, the paths of its
// values forgotten before the notary read them; nil when there are none.
func (o records) forgotten() map[int][]string {
	var out map[int][]string
	for i, r := range o.raw {
		for _, u := range o.unopened[r.Sequence] {
			if u.Forgotten {
				if out == nil {
					out = map[int][]string{}
				}
				out[i] = append(out[i], u.Path)
			}
		}
	}
	return out
}

// fold adds an accepted record to the state: r as the notary reads it,
// unopened its sealed values left "[sealed]".
func (n *Notary) fold(r eventstore.Record, unopened []ledger.Unopened) error {
	f, err := history.FactOf(r)
	if err != nil {
		return fmt.Errorf("notary: %w", err)
	}
	for _, u := range unopened {
		// An invalid value reads "[sealed]" to every reader, the writers
		// who decide on it too: the notary judges on it as they do.
		if _, ok := n.unreadable[r.Stream]; !ok && !u.Invalid() && !u.Forgotten {
			n.unreadable[r.Stream] = u
		}
	}
	if r.Stream == domain.LedgerStream {
		n.l = domain.EvolveLedger(n.l, f)
		n.ledgerFacts = append(n.ledgerFacts, f)
		if rej, ok := f.Event.(domain.ForeignEventRejected); ok {
			n.rejected[rej.Seq] = true
			delete(n.awaiting, rej.Seq)
		}
		return nil
	}
	n.incidents[r.Stream] = append(n.incidents[r.Stream], f)
	return nil
}

// Result is what one Step did.
type Result struct {
	Judged     uint64                 // records judged
	Rejected   []Rejection            // appends rejected
	Checkpoint *eventstore.Checkpoint // the checkpoint signed, if any
}

// A Rejection is one append the rules refuse.
type Rejection struct {
	Seqs []uint64
	Rule string
	Err  error
}

// Step judges every record appended since the last step, records the
// rejections, and checkpoints as far as it may: up to the first rejected
// record whose rejection is not yet in the log (the next step covers the
// rest, with the rejection).
func (n *Notary) Step(ctx context.Context) (Result, error) {
	var res Result
	head, err := n.store.Head(ctx)
	if err != nil {
		return res, fmt.Errorf("notary: read the log's head: %w", err)
	}
	// Read the whole tail first: an append may span pages.
	var tail []eventstore.Record
	for from := n.judged; from < head; {
		page, err := n.store.ReadAll(ctx, from, eventstore.DefaultPageSize)
		if err != nil {
			return res, fmt.Errorf("notary: read the log: %w", err)
		}
		if len(page) == 0 {
			break
		}
		tail = append(tail, page...)
		from = page[len(page)-1].Sequence + 1
	}
	n.rejectedAhead(tail)
	all, err := n.open(ctx, tail)
	if err != nil {
		return res, err
	}
	var stalled error // an append not judged: none after it is, nor checkpointed
	at := 0
	for _, g := range appends(tail) {
		rej, err := n.judgeAppend(all.slice(at, at+len(g)))
		at += len(g)
		if errors.Is(err, ErrCannotOpen) {
			n.log.Warn("not judged", "seq", g[0].Sequence, "reason", err.Error())
			stalled = err
			break
		}
		if err != nil {
			return res, err
		}
		res.Judged += uint64(len(g))
		if rej != nil {
			res.Rejected = append(res.Rejected, *rej)
		}
	}
	for _, rej := range res.Rejected {
		n.unrecorded = append(n.unrecorded, &unrecorded{rej: rej})
	}
	if err := n.recordRejections(ctx); err != nil {
		return res, err
	}
	size := n.judged
	for seq := range n.awaiting {
		size = min(size, seq)
	}
	latest, err := n.latestSize(ctx)
	if err != nil {
		return res, err
	}
	// The checkpoint extended is the previous key's only until the
	// notary's first: past it, one the previous key signed is refused.
	c := ledger.Checkpointer{Store: n.store, Key: n.key}
	if n.chain.KeyAt(latest).String() != n.key.Public().String() {
		c.Previous = n.previous
	}
	if size > latest {
		cp, err := c.Seal(ctx, size)
		if err != nil {
			return res, fmt.Errorf("notary: %w", err)
		}
		res.Checkpoint = &cp
		n.log.Info("checkpoint", "size", cp.Size, "judged", res.Judged, "rejected", len(res.Rejected))
	}
	return res, stalled
}

// latestSize returns the size of the newest stored checkpoint, which must
// open with the key that signs a checkpoint of that size: the previous
// key's up to the hand-over, this notary's after it. One signed by the
// previous key past the hand-over (a retired key: readers and verify
// refuse it) is an integrity failure, not a checkpoint to sign over.
func (n *Notary) latestSize(ctx context.Context) (uint64, error) {
	cs, ok := n.store.(eventstore.CheckpointStore)
	if !ok {
		return 0, errors.New("notary: the store keeps no checkpoints")
	}
	cp, err := cs.LatestCheckpoint(ctx)
	if errors.Is(err, eventstore.ErrNoCheckpoint) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("notary: %w", err)
	}
	if _, err := n.chain.Open(cp.Size, cp.Note); err != nil {
		return 0, fmt.Errorf("notary: the newest stored checkpoint (%d events) does not open with the key that signs it; nothing is signed over it (run \"breachledger verify\"): %w", cp.Size, err)
	}
	return cp.Size, nil
}

// rejectedAhead marks the records that this notary's rejections in tail
// (appended before a restart, not judged yet) reject: they are not judged
// or rejected again, and no checkpoint covers them before their rejection.
func (n *Notary) rejectedAhead(tail []eventstore.Record) {
	for _, r := range tail {
		if r.Type != "ForeignEventRejected" || r.Actor != n.actor || r.Signer != n.fp || r.Stream != domain.LedgerStream {
			continue
		}
		if checkSignature(n.l, r) != nil {
			continue
		}
		e, err := domain.Decode(r.Type, r.Payload)
		if err != nil {
			continue
		}
		if rej := e.(domain.ForeignEventRejected); rej.Seq < r.Sequence && !n.rejected[rej.Seq] {
			n.rejected[rej.Seq], n.awaiting[rej.Seq] = true, true
		}
	}
}

// appends splits a page of the log into appends: runs of records of one
// stream, in consecutive revisions, with the same author, business time,
// basis and recorded time (what one command's append gives every event
// it holds). A run split or joined otherwise is an append no command
// decides, and is rejected as such.
func appends(page []eventstore.Record) [][]eventstore.Record {
	var out [][]eventstore.Record
	start := 0
	for i := 1; i <= len(page); i++ {
		if i < len(page) {
			a, b := page[i-1], page[i]
			if b.Stream == a.Stream && b.Revision == a.Revision+1 && b.Actor == a.Actor && b.Signer == a.Signer &&
				b.OccurredAt.Equal(a.OccurredAt) && b.Basis == a.Basis && b.RecordedAt.Equal(a.RecordedAt) {
				continue
			}
		}
		out = append(out, page[start:i])
		start = i
	}
	return out
}

// judgeAppend judges one append and folds it into the state when the
// rules accept it; it returns the rejection when they do not.
func (n *Notary) judgeAppend(o records) (*Rejection, error) {
	g := o.raw
	if !n.rejected[g[0].Sequence] {
		if err := n.readable(o); err != nil {
			return nil, err // not judged
		}
	}
	defer func() {
		for _, r := range g {
			n.judged = r.Sequence + 1
			if r.Stream == domain.LedgerStream {
				n.ledgerLen++
			}
		}
	}()
	if n.rejected[g[0].Sequence] {
		return nil, nil // rejected already (a step before a restart)
	}
	if err := n.judge(o); err != nil {
		if n.judgeSplit(o) {
			return nil, nil // several honest appends that looked like one: accepted and folded
		}
		rule := "not-what-the-rules-decide"
		var re *domain.RuleError
		if errors.As(err, &re) {
			rule = re.Rule
		}
		seqs := make([]uint64, len(g))
		for i, r := range g {
			seqs[i] = r.Sequence
			n.awaiting[r.Sequence] = true
		}
		n.log.Warn("rejected", "seq", g[0].Sequence, "events", len(g), "rule", rule, "reason", err.Error())
		return &Rejection{Seqs: seqs, Rule: rule, Err: err}, nil
	}
	for i, r := range o.read {
		if err := n.fold(r, o.unopened[g[i].Sequence]); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// readable returns nil when append o can be judged on what the notary
// reads: its own sealed values and those of its incident's accepted facts
// opened or forgotten. Otherwise the notary cannot tell what the writer
// decided on (a recipient it cannot read is not the one an earlier notice
// went to, nor another), and it judges nothing rather than judge wrongly:
// ErrCannotOpen. Judged anyway, because the outcome reads no sealed value:
// an append whose signatures do not check out (rejected on them, so that
// a forged row cannot stop the notary), and one holding a value that is
// not one its writer sealed (rejected by rule sealed-value-invalid).
func (n *Notary) readable(o records) error {
	var stall *ledger.Unopened
	for _, u := range o.unopenedValues() {
		if u.Invalid() {
			return nil
		}
		if stall == nil && !u.Forgotten {
			stall = &u
		}
	}
	inState := false
	if u, ok := n.unreadable[o.raw[0].Stream]; ok && stall == nil {
		stall, inState = &u, true
	}
	if stall == nil || !n.signed(o.raw) {
		return nil
	}
	first := o.raw[0]
	what := "a sealed value of the append"
	if inState {
		what = "a sealed value of its incident's accepted events"
	}
	return fmt.Errorf("notary: the append at sequence %d (%d event(s) of %s by %s) is neither accepted nor rejected: it is judged on %s, and %w; "+
		"the notary judges sealed appends on their plaintext, as their writer decided them: give it the keys that sealed them "+
		"(the key store of the ledger's origin in its user's configuration, or the team's key server with BREACHLEDGER_KEY_SERVER), "+
		"and run it again: %w", first.Sequence, len(o.raw), first.Stream, first.Actor, what, stall, ErrCannotOpen)
}

// signed reports whether the signatures of append g check out against the
// signer registry judge checks them against: the ledger's now, or, for an
// append decided on an earlier ledger revision, that revision's.
func (n *Notary) signed(g []eventstore.Record) bool {
	check := func(l domain.Ledger) bool {
		for _, r := range g {
			if checkSignature(l, r) != nil {
				return false
			}
		}
		return true
	}
	if check(n.l) {
		return true
	}
	first := g[0]
	if first.Basis == 0 || first.Basis >= n.ledgerLen {
		return false
	}
	s := n.stateFor(first.Stream, first.Basis)
	return s.Ledger.Initialized && check(s.Ledger)
}

// maxSplit bounds the runs judgeSplit tries to split: the appends of one
// command hold a few events, and the search is exponential in the worst
// case.
const maxSplit = 16

// judgeSplit tries g, a run of incident records the rules refuse as one
// append, as several consecutive appends that each pass (appends splits
// the log by matching fields, so two appends by one author with the same
// business time, basis and recorded time, which a store's clock held
// still for, look like one). It folds the appends and reports true when
// some split passes whole; otherwise it folds nothing. Incident streams
// only: their state grows by appending facts, so a failed try is undone
// by truncation.
func (n *Notary) judgeSplit(o records) bool {
	g := o.raw
	if len(g) < 2 || len(g) > maxSplit || g[0].Stream == domain.LedgerStream {
		return false
	}
	stream := g[0].Stream
	kept := len(n.incidents[stream])
	undo := func() { n.incidents[stream] = n.incidents[stream][:kept] }
	foldAll := func(o records) bool {
		for i, r := range o.read {
			if n.fold(r, o.unopened[o.raw[i].Sequence]) != nil {
				return false
			}
		}
		return true
	}
	for k := 1; k < len(g); k++ {
		if n.judge(o.slice(0, k)) != nil {
			continue
		}
		if !foldAll(o.slice(0, k)) {
			undo()
			return false
		}
		rest := o.slice(k, len(g))
		if n.judge(rest) == nil {
			if foldAll(rest) {
				return true
			}
			undo()
			return false
		}
		if n.judgeSplit(rest) {
			return true
		}
		undo()
	}
	return false
}

// judge returns nil when the rules accept append o, else why not.
func (n *Notary) judge(o records) error {
	g := o.raw
	events := make([]domain.Event, len(g))
	for i, r := range o.read {
		e, err := domain.Decode(r.Type, r.Payload)
		if err != nil {
			return &domain.RuleError{Rule: domain.RuleNotDecided, Reason: fmt.Sprintf("event %d of %d does not decode: %v", i+1, len(g), err)}
		}
		events[i] = e
	}
	first := g[0]
	err := n.judgeOn(n.stateFor(first.Stream, ^uint64(0)), o, events)
	if err == nil || first.Basis == 0 || first.Basis >= n.ledgerLen {
		return err
	}
	// Decided on an earlier ledger revision (first.Basis) and refused on
	// this one (a key or role revoked in between): a revocation race,
	// which readers leave out (history.Races) and verify reports
	// without failing, when its signatures and the rules accept it as
	// decided.
	if s := n.stateFor(first.Stream, first.Basis); s.Ledger.Initialized && n.judgeOn(s, o, events) == nil {
		return nil
	}
	return err
}

// judgeOn judges append o, whose events (as read) are events, on state
// s: its authors' signatures against s's signer registry, its sealed
// values, then the rules.
func (n *Notary) judgeOn(s domain.State, o records, events []domain.Event) error {
	g := o.raw
	for _, r := range g {
		if err := checkSignature(s.Ledger, r); err != nil {
			return err
		}
	}
	for _, u := range o.unopenedValues() {
		if u.Invalid() {
			return &domain.RuleError{Rule: "sealed-value-invalid", Reason: fmt.Sprintf("%v: no writer sealed it there; a writer seals each value for its own event and field", u)}
		}
	}
	first := g[0]
	by := domain.By{Actor: first.Actor, At: first.OccurredAt, Signer: first.Signer}
	if forgotten := o.forgotten(); forgotten != nil {
		return redecideForgotten(s, by, events, first.RecordedAt, forgotten) // forgotten.go
	}
	return domain.Redecide(s, by, events, first.RecordedAt)
}

// stateFor returns the state an append to stream is decided on: the
// ledger as its accepted events make it (the first basis ledger-stream
// records of the log only, when basis is smaller than their count) and
// the incident's accepted facts.
func (n *Notary) stateFor(stream string, basis uint64) domain.State {
	s := domain.State{Ledger: n.l}
	if basis < n.ledgerLen {
		var upTo []domain.Fact
		for _, f := range n.ledgerFacts {
			if f.Revision < basis {
				upTo = append(upTo, f)
			}
		}
		s.Ledger = domain.ReplayLedger(upTo, domain.Cut{})
	}
	if id, ok := domain.IncidentID(stream); ok {
		facts, _ := history.RacesOf(n.ledgerFacts).Counting(n.incidents[stream])
		s.Incident = history.IncidentAt(id, facts, domain.Cut{})
	}
	return s
}

// checkSignature checks r's author signature against the signer registry
// of l.
func checkSignature(l domain.Ledger, r eventstore.Record) error {
	if err := domain.CheckSigner(l, r.Type, r.Actor, r.Signer); err != nil {
		return err
	}
	if r.Signer == "" {
		if len(r.Signature) > 0 {
			return &domain.RuleError{Rule: "signature-invalid", Reason: "the event carries a signature but names no signer key"}
		}
		return nil
	}
	k, _ := l.Signers.Key(r.Signer)
	pub, fp, err := integrity.ParseSignerKey(k.Key)
	if err != nil || fp != r.Signer {
		return &domain.RuleError{Rule: "signature-invalid", Reason: fmt.Sprintf("the registered key %s does not parse to that fingerprint", r.Signer)}
	}
	if err := integrity.VerifyEnvelope(integrity.EnvelopeOf(r).Marshal(), r.Signature, pub); err != nil {
		return &domain.RuleError{Rule: "signature-invalid", Reason: fmt.Sprintf("%s's signature (key %s) does not verify: %v", r.Actor, r.Signer, err)}
	}
	return nil
}

// recordRejections appends the rejections not yet recorded, in order. A
// rejection the store refuses stays, with the rest, for the next step: the
// records it rejects were judged, and await it (no checkpoint covers them
// until it is judged in turn), so it is never dropped.
func (n *Notary) recordRejections(ctx context.Context) error {
	for len(n.unrecorded) > 0 {
		u := n.unrecorded[0]
		if u.recs == nil {
			recs, err := n.rejection(ctx, u.rej)
			if err != nil {
				return err
			}
			u.recs = recs
		}
		if _, err := n.store.Append(context.WithoutCancel(ctx), domain.LedgerStream, eventstore.Any, u.recs); err != nil {
			return fmt.Errorf("notary: record the rejection of sequence %d: %w", u.rej.Seqs[0], err)
		}
		n.unrecorded = n.unrecorded[1:]
	}
	return nil
}

// rejection returns the records of the rejection of one append: a
// ForeignEventRejected per record, naming the rule, decided on the
// notary's state and signed with its key.
func (n *Notary) rejection(ctx context.Context, rej Rejection) ([]eventstore.Record, error) {
	recs := make([]domain.ForeignEventRejected, 0, len(rej.Seqs))
	for _, seq := range rej.Seqs {
		got, err := n.store.ReadAll(ctx, seq, 1)
		if err != nil || len(got) != 1 {
			return nil, fmt.Errorf("notary: read sequence %d to reject it: %v", seq, err)
		}
		r := ledger.RejectionOf(got[0])
		r.Rule = rej.Rule
		recs = append(recs, r)
	}
	now := n.now().UTC()
	cmd := domain.RejectForeign{By: domain.By{Actor: n.actor, At: now, Signer: n.fp}, Records: recs, Reason: rejectionReason(rej.Err)}
	events, err := domain.Decide(domain.State{Ledger: n.l}, cmd, now)
	if err != nil {
		return nil, fmt.Errorf("notary: reject sequence %d: %w", rej.Seqs[0], err)
	}
	out := make([]eventstore.Record, len(events))
	for i, e := range events {
		typ, payload, err := domain.Encode(e)
		if err != nil {
			return nil, err
		}
		id, err := uuid.NewV7()
		if err != nil {
			return nil, fmt.Errorf("notary: new event ID: %w", err)
		}
		out[i] = eventstore.Record{ID: id, Stream: domain.LedgerStream, Type: typ, OccurredAt: now, Actor: n.actor, Signer: n.fp, Payload: payload, Basis: n.ledgerLen}
		sig, err := integrity.SignEnvelope(integrity.EnvelopeOf(out[i]).Marshal(), n.signer)
		if err != nil {
			return nil, fmt.Errorf("notary: sign the rejection: %w", err)
		}
		out[i].Signature = sig
	}
	return out, nil
}

// maxReason is the longest reason a rejection gives, in bytes (before
// the ellipsis that says it was cut).
const maxReason = 2000

// rejectionReason returns why an append was refused as text a ledger event
// may hold. The refusal quotes what the record claims (its actor, its
// field values), which whoever wrote it chose: its control characters
// and invalid UTF-8, which the domain refuses in any text, are escaped
// visibly (safetext.Line), and a reason over maxReason bytes is cut
// between two characters, never inside one. Either would otherwise make
// the rejection itself invalid, and the notary unable to record it.
func rejectionReason(err error) string {
	reason := safetext.Line(err.Error())
	if len(reason) <= maxReason {
		return reason
	}
	cut := maxReason
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut] + "…"
}

// Run steps until ctx is done, waiting interval between steps that find
// nothing new. It submits each new checkpoint to the ledger's witnesses,
// and the newest again every witness-refresh even without new events.
func (n *Notary) Run(ctx context.Context, interval time.Duration) error {
	for {
		res, err := n.Step(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, ErrCannotOpen) {
				n.witness(ctx, res.Checkpoint != nil) // what it judged before
			}
			return err
		}
		n.witness(ctx, res.Checkpoint != nil)
		if res.Judged > 0 || len(res.Rejected) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}
