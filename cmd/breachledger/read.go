package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/projections/readmodel"
	"github.com/breachledger/breachledger/safetext"
)

var readerFlags = []cli.Flag{
	&cli.BoolFlag{Name: "json", Usage: "print JSON"},
	&cli.StringFlag{Name: "as-of", Usage: "the incident as it stood at this business time (RFC 3339 or \"now\"; default now)"},
	&cli.StringFlag{Name: "known-at", Usage: "only what had been recorded by this time (default now)"},
}

// readerSpec describes a reader of projections.
type readerSpec struct {
	name, usage, argsUsage, example string
	flags                           []cli.Flag
	// args reads the command's arguments and flags, gathering problems in
	// in, and returns the read to run on the ledger: the ledger is opened
	// only once every argument is good.
	args func(c *cli.Context, in *inputs) read
}

// read is what a reader does with the opened ledger at the asked cut.
type read func(st eventstore.Store, cut domain.Cut) error

func (e *env) reader(s readerSpec) *cli.Command {
	return &cli.Command{
		Name: s.name, Usage: s.usage, ArgsUsage: s.argsUsage,
		Description: "Example:\n  " + s.example,
		Flags:       append(append([]cli.Flag{}, s.flags...), readerFlags...),
		Action: func(c *cli.Context) error {
			now := e.now().UTC()
			in := newInputs(c, now)
			cut := domain.Cut{AsOf: in.time("as-of"), KnownAt: in.time("known-at")}
			if cut.AsOf.IsZero() {
				cut.AsOf = now
			}
			if cut.KnownAt.IsZero() {
				cut.KnownAt = now
			}
			run := s.args(c, in)
			if err := in.err(); err != nil {
				return err // before the ledger is opened
			}
			return e.withReader(c, func(st eventstore.Store) error {
				if _, err := readLedger(c, st); err != nil {
					return err
				}
				return run(st, cut)
			})
		},
	}
}

func readerCommands(e *env) []*cli.Command {
	return []*cli.Command{
		e.reader(readerSpec{
			name: "show", usage: "show an incident's state and its deadlines", argsUsage: "INCIDENT",
			example: `breachledger show INCIDENT --as-of 2025-03-12T12:00:00Z --json`,
			flags: []cli.Flag{
				boolean("compare-method", "beside risk advice pinned to an older advice method, show the current method's reading ("+domain.CurrentAdviceMethod()+"); a closed incident is not re-advised"),
			},
			args: func(c *cli.Context, in *inputs) read {
				arg := in.incident()
				return func(st eventstore.Store, cut domain.Cut) error {
					id, err := resolveIncident(c.Context, st, arg)
					if err != nil {
						return err
					}
					v, err := showIncident(c, st, id, cut)
					if err != nil {
						return err
					}
					compare := c.Bool("compare-method")
					if c.Bool("json") {
						if compare {
							return writeJSON(e.stdout, comparedView{IncidentView: v, CurrentMethod: currentMethodReading(v)})
						}
						return writeJSON(e.stdout, v)
					}
					if err := projections.WriteIncident(e.stdout, v); err != nil {
						return err
					}
					if compare {
						if err := projections.WriteCompareMethod(e.stdout, v); err != nil {
							return err
						}
					}
					return e.markUnproven(c, st, id, cut) // authorship.go
				}
			},
		}),
		e.reader(readerSpec{
			name: "timeline", usage: "list an incident's events in business-time order, corrections shown beside what they corrected", argsUsage: "INCIDENT",
			example: `breachledger timeline INCIDENT --known-at 2025-03-10T00:00:00Z`,
			args: func(c *cli.Context, in *inputs) read {
				arg := in.incident()
				return func(st eventstore.Store, cut domain.Cut) error {
					id, err := resolveIncident(c.Context, st, arg)
					if err != nil {
						return err
					}
					facts, err := incidentFacts(c, st, id, cut)
					if err != nil {
						return err
					}
					t := projections.BuildTimeline(id, facts, cut)
					if c.Bool("json") {
						return writeJSON(e.stdout, t)
					}
					a, err := readAuthorship(c, st)
					if err != nil {
						return err
					}
					if a.marks() { // the facts from before signed mode (authorship.go)
						for i, en := range t.Entries {
							if a.unproven(en.Sequence) {
								t.Entries[i].Actor = en.Actor + " (" + unprovenMark + ")"
							}
						}
					}
					return projections.WriteTimeline(e.stdout, t)
				}
			},
		}),
		e.reader(readerSpec{
			name: "list", usage: "list incidents (text: newest detection first, lines cut to a terminal's width; --json: the documented order)", example: `breachledger list --open`,
			flags: []cli.Flag{boolean("open", "only incidents not closed"), boolean("wide", "print whole summaries, never cut to the terminal's width")},
			args: func(c *cli.Context, in *inputs) read {
				return func(st eventstore.Store, cut domain.Cut) error {
					l, err := incidentList(c, st, cut, c.Bool("open"))
					if err != nil {
						return err
					}
					if c.Bool("json") {
						return writeJSON(e.stdout, l)
					}
					return projections.WriteListWidth(e.stdout, l, e.listWidth(c))
				}
			},
		}),
		e.reader(readerSpec{
			name: "deadlines", usage: "list notification deadlines with their status; exits 7 when one is overdue or due within --due-within", argsUsage: "[INCIDENT]",
			example: `breachledger deadlines --due-within 24h --json   # for cron: exit 7 pages someone`,
			flags: []cli.Flag{
				str("due-within", "only open deadlines due within this window (e.g. 24h, 3d), overdue included"),
				boolean("overdue", "only overdue deadlines"),
				boolean("open", "only open deadlines (pending, due-soon, overdue, held)"),
				strs("regime", "only this regime (GDPR, UK GDPR, NIS2, DORA, SEC, HIPAA, California, NYDFS, LGPD, PDPA, \"processor commitment\") or rule ID; repeatable; a value no rule of any pack matches is a usage error"),
				strs("status", "only deadlines with this status: "+allowed(domain.Statuses())+"; repeatable"),
				str("pack", "evaluate under this rule pack instead of the one each incident recorded"),
				str("compare-pack", "show this rule pack's reading beside the recorded one (e.g. the current pack beside an old history's)"),
				cacheFlag,
			},
			args: func(c *cli.Context, in *inputs) read {
				filter := projections.DeadlineFilter{Overdue: c.Bool("overdue"), Open: c.Bool("open"), Regimes: in.list("regime"),
					Statuses: words[domain.Status](in.list("status")), Pack: c.String("pack"), ComparePack: c.String("compare-pack")}
				for _, err := range filter.Unknown(func(name string) string { return "--" + name }) {
					in.fail(err) // before the ledger is opened: a typo is exit 2, never "none"
				}
				if c.IsSet("known-at") {
					// Beside what was known then, show what is known now.
					filter.NowKnownAt = e.now().UTC()
				}
				if c.NArg() > 0 {
					filter.Incident = in.incidentArg("INCIDENT", in.arg("INCIDENT"))
				}
				if w := c.String("due-within"); w != "" {
					d, err := parseDuration(w)
					if err != nil {
						in.failf("--due-within: %v", err)
					}
					filter.DueWithin = d
				}
				return func(st eventstore.Store, cut domain.Cut) error {
					var err error
					if filter.Incident, err = resolveIncident(c.Context, st, filter.Incident); err != nil {
						return err
					}
					alert, err := e.writeDeadlines(c, st, cut, filter)
					if err != nil {
						return err
					}
					if alert {
						return silentExit(exitDeadline)
					}
					return nil
				}
			},
		}),
		e.reader(readerSpec{
			name: "log", usage: "print the raw ledger log in sequence order, with every envelope field: business and recorded time, stream, revision, type, actor, signer, basis, event ID and payload (one line, escaped)", example: `breachledger log --from 0 --limit 50 --json`,
			flags: []cli.Flag{
				&cli.Uint64Flag{Name: "from", Usage: "first sequence number"},
				&cli.IntFlag{Name: "limit", Usage: "at most this many events (0: all)"},
				str("incident", "only this incident's events"),
			},
			args: func(c *cli.Context, in *inputs) read {
				in.incidentArg("--incident", c.String("incident"))
				return func(st eventstore.Store, cut domain.Cut) error { return e.printLog(c, st, cut) }
			},
		}),
	}
}

func showIncident(c *cli.Context, st eventstore.Store, id string, cut domain.Cut) (projections.IncidentView, error) {
	facts, err := incidentFacts(c, st, id, cut)
	if err != nil {
		return projections.IncidentView{}, err
	}
	ledgerFacts, err := ledger.ReadStream(c.Context, st, domain.LedgerStream)
	if err != nil {
		return projections.IncidentView{}, err
	}
	v, _ := projections.Show(domain.ReplayLedger(ledgerFacts, cut), id, facts, cut)
	return v, nil
}

// comparedView is show --json --compare-method: the incident's view and,
// beside the advice pinned to an older method, the current method's
// reading.
type comparedView struct {
	projections.IncidentView
	CurrentMethod *methodReading `json:"current_method"`
}

// methodReading is the current advice method's reading of an incident:
// its advice, or why there is none (a closed incident is never
// re-advised).
type methodReading struct {
	Method       string         `json:"method"`
	Advice       *domain.Advice `json:"advice,omitempty"`
	NotReadvised string         `json:"not_readvised,omitempty"`
}

// currentMethodReading is the current method's reading beside v's pinned
// advice: nil when v has no advice or its advice is the current method's
// (as projections.WriteCompareMethod prints nothing then).
func currentMethodReading(v projections.IncidentView) *methodReading {
	if v.RiskAdvice == nil || v.RiskAdvice.Method == domain.CurrentAdviceMethod() {
		return nil
	}
	r := &methodReading{Method: domain.CurrentAdviceMethod()}
	if v.Closed {
		r.NotReadvised = "the incident is closed: a closed incident is never re-advised"
		return r
	}
	if a, ok := domain.CurrentMethodAdvice(&v.Incident); ok {
		r.Advice = &a
	}
	return r
}

// incidentFacts reads an incident's facts, or says it does not exist at the cut.
func incidentFacts(c *cli.Context, st eventstore.Store, id string, cut domain.Cut) ([]domain.Fact, error) {
	facts, err := ledger.ReadStream(c.Context, st, domain.IncidentStream(id))
	if err != nil {
		return nil, err
	}
	return facts, visible(id, facts, cut)
}

// visible returns a not-found error when the cut sees no detection of the incident.
func visible(id string, facts []domain.Fact, cut domain.Cut) error {
	if len(facts) == 0 {
		return &domain.NotFoundError{What: "incident", ID: id, Hint: `list incidents with "breachledger list"`}
	}
	if inc := domain.Replay(facts, cut); !inc.Exists {
		return &domain.NotFoundError{What: "incident", ID: id, Hint: fmt.Sprintf("it was detected at %s and recorded at %s, after the asked --as-of %s / --known-at %s",
			facts[0].At.Format(time.RFC3339), facts[0].RecordedAt.Format(time.RFC3339), cut.AsOf.Format(time.RFC3339), cut.KnownAt.Format(time.RFC3339))}
	}
	return nil
}

func (e *env) printLog(c *cli.Context, st eventstore.Store, cut domain.Cut) error {
	from, limit := c.Uint64("from"), c.Int("limit")
	records := eventstore.All(c.Context, st, from)
	if id := c.String("incident"); id != "" { // one stream: read it, not the ledger
		id, err := resolveIncident(c.Context, st, id)
		if err != nil {
			return err
		}
		records = eventstore.StreamRecords(c.Context, st, domain.IncidentStream(id), 0)
	}
	var entries []projections.LogEntry
	for r, err := range records {
		if err != nil {
			return fmt.Errorf("read ledger: %w", err)
		}
		if r.RecordedAt.After(cut.KnownAt) {
			break
		}
		if r.Sequence < from {
			continue
		}
		entries = append(entries, projections.LogEntryOf(r))
		if limit > 0 && len(entries) >= limit {
			break
		}
	}
	races, err := ledger.ReadRaces(c.Context, st) // after the entries: the revocations they lost to are read
	if err != nil {
		return err
	}
	for i := range entries {
		entries[i].MarkRaced(races)
	}
	if c.Bool("json") {
		if entries == nil {
			entries = []projections.LogEntry{}
		}
		return writeJSON(e.stdout, entries)
	}
	a, err := readAuthorship(c, st)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tAT (UTC)\tRECORDED (UTC)\tSTREAM\tREV\tTYPE\tACTOR\tSIGNER\tBASIS\tEVENT ID\tPAYLOAD")
	for _, le := range entries {
		raced := ""
		if le.Raced != nil { // after the payload, the row's last column
			raced = "  RACED, never counts: " + safetext.Line(le.Raced.String())
		}
		if a.marks() && a.unproven(le.Seq) { // before the switch to signed mode (authorship.go)
			raced += "  " + unprovenMark
		}
		signer, basis := "-", "-"
		if le.Signer != "" {
			signer = safetext.Line(le.Signer)
		}
		if le.Basis > 0 {
			basis = strconv.FormatUint(le.Basis, 10)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s%s\n", le.Seq, le.At.Format(time.RFC3339Nano), le.RecordedAt.Format(time.RFC3339Nano), safetext.Line(le.Stream), le.Revision,
			safetext.Line(le.Type), safetext.Line(le.Actor), signer, basis, le.EventID, safetext.Line(string(le.Payload)), raced)
	}
	return tw.Flush()
}

// writeDeadlines prints the deadline view, from the kept read models when
// they can answer (keptDeadlines), else folded from the history, and says
// whether it raises the alert (exit 7).
func (e *env) writeDeadlines(c *cli.Context, st eventstore.Store, cut domain.Cut, filter projections.DeadlineFilter) (alert bool, err error) {
	kv, ok, err := keptDeadlines(c, st, cut, filter)
	if err != nil {
		return false, err
	}
	if ok && c.Bool("json") {
		return kv.Alert, writeJSON(e.stdout, kv) // the kept rows print as they are kept
	}
	var v projections.DeadlineView
	if ok {
		v, err = kv.Decode()
	} else {
		v, err = historyDeadlines(c, st, cut, filter)
	}
	if err != nil {
		return false, err
	}
	if c.Bool("json") {
		return v.Alert, writeJSON(e.stdout, v)
	}
	return v.Alert, projections.WriteDeadlines(e.stdout, v)
}

// historyDeadlines folds the deadline view from the history.
func historyDeadlines(c *cli.Context, st eventstore.Store, cut domain.Cut, filter projections.DeadlineFilter) (projections.DeadlineView, error) {
	h, err := deadlineHistory(c, st, filter.Incident)
	if err != nil {
		return projections.DeadlineView{}, err
	}
	if filter.Incident != "" {
		if err := visible(filter.Incident, h.Incidents[filter.Incident], cut); err != nil {
			return projections.DeadlineView{}, err
		}
	}
	return projections.Deadlines(h, cut, filter), nil
}

// keptDeadlines answers the deadline view from the kept read models (the
// same rows the history gives, README: "Reports..."), caught up first, so
// a cron job reading a large ledger folds only what is new. ok is false
// when they cannot answer: a --known-at cut or another rule pack, or models
// that cannot be kept (no cache directory, or one the trust rule refuses:
// kept.go); the caller then folds the history, which is what the models
// would fold in memory. A ledger whose history changed under the models is
// an error (run verify).
func keptDeadlines(c *cli.Context, st eventstore.Store, cut domain.Cut, filter projections.DeadlineFilter) (projections.KeptDeadlineView, bool, error) {
	var none projections.KeptDeadlineView
	if c.IsSet("known-at") || filter.Pack != "" || filter.ComparePack != "" || filter.Incident != "" {
		return none, false, nil // one incident: its stream is read instead
	}
	kept, ok, err := openKeptAt(c, st, cut.AsOf)
	if !ok {
		return none, false, err
	}
	defer kept.Close()
	page, err := kept.Deadlines(c.Context, cut.AsOf, filter, readmodel.Page{}, true)
	warnTampered(c, kept) // rebuilt from the log: the answer is the log's
	if err != nil {
		return none, false, nil
	}
	v := projections.KeptDeadlineView{AsOf: cut.AsOf, KnownAt: cut.KnownAt, Deadlines: page.Deadlines, FactsNeeded: page.FactsNeeded, Alert: page.Alert}
	if filter.DueWithin > 0 {
		v.DueWithin = domain.FormatDuration(filter.DueWithin)
	}
	return v, true, nil
}

// incidentList returns the incident list at the cut (open: only those not
// closed), from the kept read models when they can answer (keptList), else
// folded from the whole history.
func incidentList(c *cli.Context, st eventstore.Store, cut domain.Cut, open bool) (projections.IncidentList, error) {
	l, ok, err := keptList(c, st, cut, open)
	if err != nil || ok {
		return l, err
	}
	h, err := ledger.ReadHistory(c.Context, st)
	if err != nil {
		return projections.IncidentList{}, err
	}
	return projections.List(h, cut, open), nil
}

// keptList answers the incident list from the kept read models, as
// keptDeadlines answers the deadline view: caught up first, every row it
// reads checked against its MAC and chain (a tampered view is rebuilt from
// the log, said on stderr, and the answer is the log's). ok is false when
// they cannot answer: a --known-at cut (the models keep what is known now),
// or models that cannot be kept (no cache directory, or one the trust rule
// refuses); the caller then folds the history. A ledger whose history
// changed under the models is an error (run verify).
func keptList(c *cli.Context, st eventstore.Store, cut domain.Cut, open bool) (projections.IncidentList, bool, error) {
	none := projections.IncidentList{}
	if c.IsSet("known-at") {
		return none, false, nil
	}
	kept, ok, err := openKeptAt(c, st, cut.AsOf)
	if !ok {
		return none, false, err
	}
	defer kept.Close()
	page, err := kept.List(c.Context, cut.AsOf, open, readmodel.Page{}, true)
	warnTampered(c, kept) // rebuilt from the log: the answer is the log's
	if err != nil {
		return none, false, nil
	}
	l := projections.IncidentList{AsOf: cut.AsOf, KnownAt: cut.KnownAt, Incidents: make([]projections.ListEntry, len(page.Incidents))}
	for i, raw := range page.Incidents {
		if err := json.Unmarshal(raw, &l.Incidents[i]); err != nil {
			return none, false, fmt.Errorf("decode kept incident %d: %w", i, err)
		}
	}
	fillEmpty(&l) // as projections.List gives it: [] rather than null
	return l, true, nil
}

// deadlineHistory reads what the deadline view needs: the whole ledger, or
// for one incident only the ledger stream and that incident's stream.
func deadlineHistory(c *cli.Context, st eventstore.Store, incident string) (*history.History, error) {
	if incident == "" {
		return ledger.ReadHistory(c.Context, st)
	}
	h := history.New()
	for _, stream := range []string{domain.LedgerStream, domain.IncidentStream(incident)} {
		facts, err := ledger.ReadStream(c.Context, st, stream)
		if err != nil {
			return nil, err
		}
		for _, f := range facts {
			h.Add(f)
		}
	}
	return h, nil
}

// listWidth is the width list cuts its text lines to: the terminal's
// (else $COLUMNS, else 80) when stdout is a terminal and --wide is not
// given; 0, whole lines, when stdout is a pipe or a file, so that a
// script reads every summary whole.
func (e *env) listWidth(c *cli.Context) int {
	f, ok := e.stdout.(*os.File)
	if c.Bool("wide") || !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
		return w
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}
