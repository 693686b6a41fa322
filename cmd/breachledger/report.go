package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// reportFlags are the flags every report (incident, period, register) takes.
func reportFlags(formats []string, def string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: def, Usage: "output format: " + strings.Join(formats, ", ")},
		str("output", "write to this file instead of stdout", "o"),
		str("as-of", "the ledger as it stood at this business time (RFC 3339 or \"now\"; default now)"),
		str("known-at", "only what had been recorded by this time (default now)"),
		&cli.Uint64Flag{Name: "checkpoint", Usage: "build from the stored checkpoint of exactly `N` events (default: the newest), so the report can be rebuilt later byte for byte"},
		str("key", "check the checkpoint's signature with the ledger's public key (a file, or the key itself)"),
	}
}

// reportInputs are the parsed common report flags.
type reportInputs struct {
	format string
	cut    domain.Cut
	size   uint64
	key    *integrity.PublicKey
}

func (e *env) reportInputs(c *cli.Context, in *inputs, formats []string) reportInputs {
	now := e.now().UTC()
	ri := reportInputs{format: c.String("format"), size: c.Uint64("checkpoint")}
	if !slices.Contains(formats, ri.format) {
		in.failf("--format %q: use %s", ri.format, strings.Join(formats, ", "))
	}
	ri.cut = domain.Cut{AsOf: in.time("as-of"), KnownAt: in.time("known-at")}
	if ri.cut.AsOf.IsZero() {
		ri.cut.AsOf = now
	}
	if ri.cut.KnownAt.IsZero() {
		ri.cut.KnownAt = now
	}
	if k := c.String("key"); k != "" {
		key, err := readPublicKey(k)
		if err != nil {
			in.fail(err)
		}
		ri.key = key
	}
	return ri
}

func (e *env) reportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "an auditor's report of one incident (--incident), or of the incidents detected in a period (--from, --to)",
		Description: `An incident report holds every event with its actor, signer, business and
recorded times; how long each stage took; the classification, severity and
risk history with each correction beside what it corrected; every obligation
with its due time, status and the notice that met it; the exceptions and
holds with their approvals; each notice's content checked against what the
law requires of it (GDPR Art. 33(3)); the post-mortem; and the checkpoint
(tree size and Merkle root) it was built from, with the command that rebuilds
it byte for byte.

A period report counts the incidents detected in [--from, --to) by
classification and category, gives the time from detection to declaration
and from declaration to notice (median, 90th percentile), the on-time rate
of each obligation, and every late notice with its reason.

Examples:
  breachledger report --incident INCIDENT --format html -o report.html
  breachledger report --from 2025-01-01T00:00:00Z --to 2025-04-01T00:00:00Z --format csv`,
		Flags: append([]cli.Flag{
			str("incident", "the incident to report on"),
			str("from", "period report: incidents detected at or after this time"),
			str("to", "period report: incidents detected before this time"),
		}, reportFlags(projections.ReportFormats, projections.FormatMarkdown)...),
		Action: func(c *cli.Context) error {
			in := newInputs(c, e.now().UTC())
			ri := e.reportInputs(c, in, projections.ReportFormats)
			id := strings.TrimSpace(c.String("incident"))
			from, to := in.time("from"), in.time("to")
			switch {
			case id != "" && (!from.IsZero() || !to.IsZero()):
				in.failf("give --incident, or --from and --to, not both")
			case id == "" && (from.IsZero() || to.IsZero()):
				in.failf("give --incident ID, or --from and --to for a period report")
			case id == "" && !from.Before(to):
				in.failf("--from %s is not before --to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
			}
			in.incidentArg("--incident", id)
			if err := in.err(); err != nil {
				return err
			}
			return e.withReader(c, func(st eventstore.Store) error {
				if id != "" {
					id, err := resolveIncident(c.Context, st, id)
					if err != nil {
						return err
					}
					return e.incidentReport(c, st, id, ri)
				}
				r, err := periodReport(c, st, from, to, ri)
				if err != nil {
					return err
				}
				var b bytes.Buffer
				if err := projections.WritePeriodReport(&b, r, ri.format); err != nil {
					return err
				}
				return e.output(c, b.Bytes())
			})
		},
	}
}

func (e *env) incidentReport(c *cli.Context, st eventstore.Store, id string, ri reportInputs) error {
	stream := domain.IncidentStream(id)
	h, p, err := ledger.ReadCheckpointed(c.Context, st, ri.size, ri.key, func(r eventstore.Record) bool {
		return r.Stream == stream || r.Stream == domain.LedgerStream
	})
	if err != nil {
		return err
	}
	if err := visible(id, h.Incidents[id], ri.cut); err != nil {
		return err
	}
	p.Authorship = authorshipFooter(h, h.Incidents[id])
	r, _ := projections.BuildReport(h.LedgerAt(ri.cut), id, h.Incidents[id], ri.cut, p, ri.format)
	var b bytes.Buffer
	if err := projections.WriteReport(&b, r, ri.format); err != nil {
		return err
	}
	return e.output(c, b.Bytes())
}

func (e *env) registerCommand() *cli.Command {
	return &cli.Command{
		Name:  "register",
		Usage: "the breach register: every breach, notified or not, with its facts, effects, remedial action and the reasoning (GDPR Art. 33(5))",
		Description: `Lists every incident that involved personal data at any point (those later
dismissed with why) and every declared CRSPI: the facts, the effects, the
remedial action taken, who was notified, and the reasoning for notifying or
not; with the record-keeping duties each entry answers (GDPR and UK GDPR
Art. 33(5), Brazil's Res. CD/ANPD 15/2024 Art. 10, Canada's PIPEDA s. 10.3).

Examples:
  breachledger register --format csv -o register.csv
  breachledger register --format html --as-of 2025-12-31T23:59:59Z`,
		Flags: reportFlags(projections.RegisterFormats, projections.FormatCSV),
		Action: func(c *cli.Context) error {
			in := newInputs(c, e.now().UTC())
			ri := e.reportInputs(c, in, projections.RegisterFormats)
			if err := in.err(); err != nil {
				return err
			}
			return e.withReader(c, func(st eventstore.Store) error {
				r, err := breachRegister(c, st, ri)
				if err != nil {
					return err
				}
				var b bytes.Buffer
				if err := projections.WriteRegister(&b, r, ri.format); err != nil {
					return fmt.Errorf("write register: %w", err)
				}
				return e.output(c, b.Bytes())
			})
		},
	}
}

// reportingCommands are the commands of issue 6: auditors' reports, the
// breach register, replay, API tokens and the read-only HTTP server.
func reportingCommands(e *env) []*cli.Command {
	return []*cli.Command{
		e.reportCommand(),
		e.registerCommand(),
		e.replayCommand(),
		e.tokenCommand(),
		e.serveCommand(),
	}
}

// The register and the period report from the kept read models.
//
// Both print an integrity footer: the tree size and Merkle root of the
// events they were built from (the newest stored checkpoint's, or
// --checkpoint's), recomputed from those events and checked against the
// checkpoint (ledger.ReadCheckpointed). That part reads and hashes every
// event up to the checkpoint whichever way the rows are found: a report
// commits to what it was built from. What the kept models save is the rest:
// decoding every event and folding every incident. The register's entries
// are the kept register (readmodel.Kept.Register); the period report folds
// only the incidents the kept incident list says were detected in the
// period, their streams decoded from the same read. Both answer from the
// kept models only when these are at exactly the checkpoint's position
// (the rows are those of the events the footer names); else, and for a
// --known-at cut, or with models that cannot be kept, they fold the whole
// history, as before.

// breachRegister returns the breach register: from the kept register when
// the kept models can answer (above), else folded from the whole history.
func breachRegister(c *cli.Context, st eventstore.Store, ri reportInputs) (projections.Register, error) {
	if r, ok, err := keptRegister(c, st, ri); err != nil || ok {
		return r, err
	}
	h, p, err := ledger.ReadCheckpointed(c.Context, st, ri.size, ri.key, nil)
	if err != nil {
		return projections.Register{}, err
	}
	p.Authorship = authorshipFooter(h, nil)
	return projections.BuildRegister(h, ri.cut, p, ri.format), nil
}

// keptRegister answers the register from the kept models; ok is false when
// they cannot (breachRegister folds the history instead).
func keptRegister(c *cli.Context, st eventstore.Store, ri reportInputs) (projections.Register, bool, error) {
	none := projections.Register{}
	if c.IsSet("known-at") {
		return none, false, nil
	}
	kept, ok, err := openKeptAt(c, st, ri.cut.AsOf)
	if !ok {
		return none, false, err
	}
	defer kept.Close()
	h, p, err := ledger.ReadCheckpointed(c.Context, st, ri.size, ri.key, ledgerAndRaced(nil))
	if err != nil {
		return none, false, err // the fold would fail the same way
	}
	if p.TreeSize != kept.Position() {
		return none, false, nil // the kept rows are of other events than the checkpoint's
	}
	page, err := kept.Register(c.Context, ri.cut.AsOf, readmodel.Page{}, true)
	warnTampered(c, kept) // rebuilt from the log: the answer is the log's
	if err != nil || kept.Position() != p.TreeSize {
		return none, false, nil
	}
	p.Authorship = authorshipFooter(h, nil)
	r := projections.BuildRegister(h, ri.cut, p, ri.format) // h holds no incident: the head and footer
	r.Entries = make([]projections.RegisterEntry, len(page.Entries))
	for i, raw := range page.Entries {
		if err := json.Unmarshal(raw, &r.Entries[i]); err != nil {
			return none, false, fmt.Errorf("decode kept register entry %d: %w", i, err)
		}
	}
	fillEmpty(&r)
	return r, true, nil
}

// periodReport returns the report over the incidents detected in [from,
// to): folded from only those incidents' events when the kept models can
// say which they are (keptPeriodReport), else from the whole history.
func periodReport(c *cli.Context, st eventstore.Store, from, to time.Time, ri reportInputs) (projections.PeriodReport, error) {
	if r, ok, err := keptPeriodReport(c, st, from, to, ri); err != nil || ok {
		return r, err
	}
	h, p, err := ledger.ReadCheckpointed(c.Context, st, ri.size, ri.key, nil)
	if err != nil {
		return projections.PeriodReport{}, err
	}
	p.Authorship = authorshipFooter(h, nil)
	return projections.BuildPeriodReport(h, from, to, ri.cut, p, ri.format), nil
}

// keptPeriodReport builds the period report from the events of the
// incidents the kept incident list, at the report's as-of time, says were
// detected in [from, to) (the same detection time the report selects by:
// projections.ListEntry.DetectedAt is the incident's, as corrected, at the
// cut), the ledger stream, and the events that lost a revocation race (the
// footer names them); every other event is read and hashed for the footer
// but neither decoded nor folded. ok is false when the kept models cannot
// say (periodReport folds the history instead).
func keptPeriodReport(c *cli.Context, st eventstore.Store, from, to time.Time, ri reportInputs) (projections.PeriodReport, bool, error) {
	none := projections.PeriodReport{}
	if c.IsSet("known-at") {
		return none, false, nil
	}
	kept, ok, err := openKeptAt(c, st, ri.cut.AsOf)
	if !ok {
		return none, false, err
	}
	defer kept.Close()
	page, err := kept.List(c.Context, ri.cut.AsOf, false, readmodel.Page{}, true)
	warnTampered(c, kept) // rebuilt from the log: the selection is the log's
	if err != nil {
		return none, false, nil
	}
	pos := kept.Position()
	in := map[string]bool{}
	for i, raw := range page.Incidents {
		var e struct {
			ID         string    `json:"id"`
			DetectedAt time.Time `json:"detected_at"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return none, false, fmt.Errorf("decode kept incident %d: %w", i, err)
		}
		if !e.DetectedAt.Before(from) && e.DetectedAt.Before(to) {
			in[domain.IncidentStream(e.ID)] = true
		}
	}
	h, p, err := ledger.ReadCheckpointed(c.Context, st, ri.size, ri.key, ledgerAndRaced(func(r eventstore.Record) bool { return in[r.Stream] }))
	if err != nil {
		return none, false, err // the fold would fail the same way
	}
	if p.TreeSize != pos {
		return none, false, nil // the kept list is of other events than the checkpoint's
	}
	p.Authorship = authorshipFooter(h, nil)
	return projections.BuildPeriodReport(h, from, to, ri.cut, p, ri.format), true, nil
}

// ledgerAndRaced returns the records a report built from the kept models
// decodes (ledger.ReadCheckpointed's keep): the ledger stream's, every
// event that lost a revocation race (judged as history.History.Add judges
// it, against the ledger events before it, so that the footer names the
// same ones), and those more keeps.
func ledgerAndRaced(more func(eventstore.Record) bool) func(eventstore.Record) bool {
	var races history.Races
	return func(r eventstore.Record) bool {
		if _, lost := races.Check(r.Actor, r.Signer, r.Basis, r.Sequence); lost {
			return true // History.Add sets it apart in Raced
		}
		if r.Stream == domain.LedgerStream {
			if f, err := history.FactOf(r); err == nil { // else ReadCheckpointed fails on it
				races.Learn(f)
			}
			return true
		}
		return more != nil && more(r)
	}
}
