package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections"
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
				h, p, err := ledger.ReadCheckpointed(c.Context, st, ri.size, ri.key, nil)
				if err != nil {
					return err
				}
				p.Authorship = authorshipFooter(h, nil)
				var b bytes.Buffer
				if err := projections.WritePeriodReport(&b, projections.BuildPeriodReport(h, from, to, ri.cut, p, ri.format), ri.format); err != nil {
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
				h, p, err := ledger.ReadCheckpointed(c.Context, st, ri.size, ri.key, nil)
				if err != nil {
					return err
				}
				p.Authorship = authorshipFooter(h, nil)
				var b bytes.Buffer
				if err := projections.WriteRegister(&b, projections.BuildRegister(h, ri.cut, p, ri.format), ri.format); err != nil {
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
