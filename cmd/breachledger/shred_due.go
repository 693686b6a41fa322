package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/safetext"
)

// shred --due (issue 25): forget, with basis retention, the sealed personal
// fields of every closed incident whose retention period is over. Which
// incidents are due is the domain's (domain.DueForRetention, at --at or
// now); each one is then shredded by the shred writer itself, run once per
// incident with the incident, --basis retention and a reason naming the
// rule: its own signed DataShredded, intent and destruction, checkpoint.
// Incidents with nothing live to forget are skipped, and those recorded
// before sealing are said to be beyond forgetting, without failing the
// others.

// Outcomes of an incident due for retention.
const (
	dueForgotten   = "forgotten"     // its DataShredded is appended, its keys destroyed
	dueWouldForget = "would-forget"  // --dry-run: it would be
	dueNothing     = "nothing-left"  // no personal field sealed under a live key: skipped
	dueNotSealed   = "not-sealed"    // its personal fields were recorded in clear: beyond forgetting
	dueFailed      = "not-forgotten" // its shred failed: the error ends the run
)

// dueIncident is one incident due for retention, and what became of it.
type dueIncident struct {
	domain.RetentionDue
	Reason   string   `json:"reason"`
	Outcome  string   `json:"outcome"`
	Keys     int      `json:"keys"`     // live keys to destroy
	Events   int      `json:"events"`   // events whose fields they seal
	Fields   []string `json:"fields"`   // the paths of the fields they seal
	Unsealed int      `json:"unsealed"` // personal fields in clear, beyond forgetting
	EventID  string   `json:"event_id,omitempty"`
}

// dueResult is what shred --due prints with --json.
type dueResult struct {
	At        time.Time     `json:"at"`
	Retention string        `json:"retention_after_close"`
	DryRun    bool          `json:"dry_run"`
	Incidents []dueIncident `json:"incidents"`
}

// shredDue runs shred --due; one shreds the incident of the context it is
// given, as "shred INCIDENT" does.
func (e *env) shredDue(c *cli.Context, one cli.ActionFunc) error {
	if c.NArg() > 0 {
		return usagef("shred --due takes no INCIDENT (it finds the closed incidents whose retention period is over): give INCIDENT without --due to forget one incident")
	}
	for _, f := range []string{"event", "basis", "reason"} {
		if c.IsSet(f) {
			return usagef("shred --due forgets whole incidents with basis retention and a reason naming the rule: leave --%s out, or shred one INCIDENT without --due", f)
		}
	}
	now := e.now().UTC()
	in := newInputs(c, now)
	at := in.at()
	who, err := actor(c)
	if err != nil {
		in.fail(err)
	}
	if err := in.err(); err != nil {
		return err
	}
	res := dueResult{At: at, DryRun: c.Bool("dry-run"), Incidents: []dueIncident{}}
	ctx := c.Context
	err = withReadStore(c, false, func(st eventstore.Store) error {
		// Which incidents are closed needs no personal field: read
		// without opening any (no Opener).
		h, err := ledger.ReadHistory(ledger.WithOpener(c.Context, nil), st)
		if err != nil {
			return err
		}
		l := h.LedgerAt(domain.Cut{})
		if !l.Initialized {
			return &domain.NotFoundError{What: "ledger", ID: c.String("ledger"), Hint: `initialise it with "breachledger init --name NAME"`}
		}
		var incs []domain.Incident
		for _, id := range h.IncidentIDs() {
			incs = append(incs, history.IncidentAt(id, h.Incidents[id], domain.Cut{AsOf: at}))
		}
		due, err := domain.DueForRetention(l, domain.By{Actor: who, At: at}, incs, at)
		if err != nil {
			return err
		}
		res.Retention, _ = l.Settings.At(at).Text(domain.RetentionSettingKey)
		ks, err := sealingOf(c.Context, st).get(c.Context, false)
		if err != nil {
			return err
		}
		for _, d := range due {
			recs, err := st.ReadStream(c.Context, domain.IncidentStream(d.Incident), eventstore.ReadOptions{})
			if err != nil && !errors.Is(err, eventstore.ErrNotFound) {
				return fmt.Errorf("read incident %s: %w", d.Incident, err)
			}
			sc, err := scopeOf(c.Context, recs, ks, d.Incident, "")
			if err != nil {
				return err
			}
			di := dueIncident{RetentionDue: d, Reason: d.Reason(), Keys: len(sc.KeyIDs), Events: len(sc.Events), Fields: sc.Fields, Unsealed: sc.Unsealed}
			if di.Fields == nil {
				di.Fields = []string{}
			}
			switch {
			case len(sc.KeyIDs) > 0 && res.DryRun:
				di.Outcome = dueWouldForget
			case len(sc.KeyIDs) > 0:
				di.Outcome = "" // shredded below, once the store is closed
			case sc.Unsealed > 0:
				di.Outcome = dueNotSealed
			default:
				di.Outcome = dueNothing
			}
			res.Incidents = append(res.Incidents, di)
		}
		return nil
	})
	c.Context = ctx // the shreds open their own store and key store: not the read's, closed
	if err != nil {
		return err
	}
	for i := range res.Incidents {
		d := &res.Incidents[i]
		if d.Outcome != "" {
			continue
		}
		id, err := e.shredOneDue(c, one, d.Incident, d.Reason)
		if err != nil {
			d.Outcome = dueFailed
			e.printDue(c, res) // what was forgotten before it
			return fmt.Errorf("shred --due: incident %s: %w", d.Incident, err)
		}
		d.Outcome, d.EventID = dueForgotten, id
	}
	return e.printDue(c, res)
}

// shredOneDue runs the shred writer (one) on incident with basis retention
// and reason, the --at and --late-entry-reason of c, and returns the ID of
// the DataShredded it appended.
func (e *env) shredOneDue(c *cli.Context, one cli.ActionFunc, incident, reason string) (string, error) {
	set := flag.NewFlagSet(c.Command.Name, flag.ContinueOnError)
	set.SetOutput(io.Discard)
	for _, f := range c.Command.Flags {
		if err := f.Apply(set); err != nil {
			return "", fmt.Errorf("shred %s: %w", incident, err)
		}
	}
	args := []string{"--basis", string(domain.ShredRetention), "--reason", reason, "--quiet"}
	for _, f := range []string{"at", "late-entry-reason"} {
		if v := c.String(f); v != "" {
			args = append(args, "--"+f, v)
		}
	}
	if err := set.Parse(append(args, incident)); err != nil {
		return "", fmt.Errorf("shred %s: %w", incident, err)
	}
	ic := cli.NewContext(c.App, set, c.Lineage()[1])
	ic.Command, ic.Context = c.Command, c.Context
	var out bytes.Buffer
	stdout := e.stdout
	e.stdout = &out // --quiet: the event ID
	defer func() { e.stdout = stdout }()
	err := one(ic)
	return strings.TrimSpace(out.String()), err
}

// printDue prints what shred --due found and did: JSON, the IDs of the
// DataShredded it appended (--quiet), or a line an incident; and warns on
// stderr of each incident beyond forgetting.
func (e *env) printDue(c *cli.Context, res dueResult) error {
	for _, d := range res.Incidents {
		if d.Outcome == dueNotSealed {
			fmt.Fprintf(e.stderr, "warning (shred-not-sealed): incident %s is due for retention (%s) but its %d personal field(s) were recorded before seal-personal-data was on: they are stored in clear and cannot be forgotten\n",
				d.Incident, d.Reason, d.Unsealed)
		}
	}
	switch {
	case c.Bool("json"):
		return writeJSON(e.stdout, res)
	case c.Bool("quiet"):
		for _, d := range res.Incidents {
			if d.EventID != "" {
				fmt.Fprintln(e.stdout, d.EventID)
			}
		}
		return nil
	}
	if len(res.Incidents) == 0 {
		fmt.Fprintf(e.stdout, "no closed incident's retention period is over at %s (retention-after-close %s)\n", stamp(res.At), res.Retention)
		return nil
	}
	for _, d := range res.Incidents {
		fmt.Fprintf(e.stdout, "incident %s: closed %s, due %s: %s\n", safetext.Line(d.Incident), stamp(d.ClosedAt), stamp(d.Due), dueLine(d))
	}
	if res.DryRun {
		fmt.Fprintln(e.stdout, "dry run: nothing was appended, no key destroyed")
	}
	return nil
}

// dueLine says what became of an incident due for retention.
func dueLine(d dueIncident) string {
	what := fmt.Sprintf("the personal fields of %d event(s) under %d key(s) (%s)", d.Events, d.Keys, strings.Join(d.Fields, ", "))
	var s string
	switch d.Outcome {
	case dueForgotten:
		s = "forgotten: " + what + " [DataShredded " + d.EventID + "]"
	case dueWouldForget:
		s = "would forget " + what
	case dueNothing:
		return "nothing left to forget (skipped)"
	case dueNotSealed:
		return fmt.Sprintf("cannot be forgotten: its %d personal field(s) were recorded before seal-personal-data was on (shred-not-sealed; skipped)", d.Unsealed)
	default:
		return "not forgotten: its shred failed"
	}
	if d.Unsealed > 0 {
		s += fmt.Sprintf("; %d field(s) recorded before seal-personal-data was on stay in clear", d.Unsealed)
	}
	return s
}

// stamp writes t as the CLI prints instants.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
