package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections"
)

// replayRow is one projection in replay's output.
type replayRow struct {
	projections.Digest
	Kept *keptDigest `json:"kept"` // nil when the projection is not kept
}

type keptDigest struct {
	Rows   int    `json:"rows"`
	SHA256 string `json:"sha256"`
	Same   bool   `json:"same"`
}

// replayResult is what replay prints.
type replayResult struct {
	Events      uint64      `json:"events"` // the events replayed: those of the newest checkpoint
	Position    uint64      `json:"position"`
	AsOf        time.Time   `json:"as_of"`
	KnownAt     time.Time   `json:"known_at"`
	Root        string      `json:"root"`
	Projections []replayRow `json:"projections"`
	Compared    bool        `json:"compared"` // the kept read models were compared
	Why         string      `json:"why,omitempty"`
	Same        bool        `json:"same"` // every kept projection equals its replay
	Rebuilt     bool        `json:"rebuilt"`
	// Tampered names the kept rows that did not check against their MACs
	// (the kept views were rebuilt from the log then).
	Tampered []string `json:"tampered,omitempty"`
}

func (e *env) replayCommand() *cli.Command {
	return &cli.Command{
		Name:  "replay",
		Usage: "rebuild every projection from the log and print a digest per projection, beside the read models kept incrementally",
		Description: `Rebuilds the incident list, the deadline view, the breach register, every
timeline and every incident report from scratch, from the events of the
ledger's newest checkpoint, at the cut (--as-of, --known-at), and prints the
SHA-256 of each (its rows as JSON lines). The same history and cut always give
the same digests. Beside them it catches up the read models kept with their
position (those "serve" reads) and prints theirs: a kept model that differs
from its replay exits 6. --rebuild then drops the kept models and folds the
whole log again.

Examples:
  breachledger replay --as-of 2025-04-01T00:00:00Z
  breachledger replay --rebuild --json`,
		Flags: []cli.Flag{
			str("as-of", "the ledger as it stood at this business time (RFC 3339 or \"now\"; default now)"),
			str("known-at", "only what had been recorded by this time (default now)"),
			boolean("rebuild", "drop the kept read models and rebuild them from the log"),
			boolean("json", "print JSON"),
			cacheFlag,
		},
		Action: func(c *cli.Context) error {
			now := e.now().UTC()
			in := newInputs(c, now)
			cut := domain.Cut{AsOf: in.time("as-of"), KnownAt: in.time("known-at")}
			if err := in.err(); err != nil {
				return err
			}
			if cut.AsOf.IsZero() {
				cut.AsOf = now
			}
			if cut.KnownAt.IsZero() {
				cut.KnownAt = now
			}
			return e.withReader(c, func(st eventstore.Store) error {
				res, err := e.replayAll(c.Context, c, st, cut, now)
				if err != nil {
					return err
				}
				if c.Bool("json") {
					if err := writeJSON(e.stdout, res); err != nil {
						return err
					}
				} else if err := printReplay(e, res); err != nil {
					return err
				}
				if len(res.Tampered) > 0 {
					fmt.Fprintln(e.stderr, "breachledger: a kept read model was tampered with (its rows do not check against their MACs): it was rebuilt from the log, as \"breachledger replay --rebuild\" does")
					return silentExit(exitIntegrity)
				}
				if res.Compared && !res.Same {
					fmt.Fprintln(e.stderr, "breachledger: a kept read model differs from its replay: rebuild it with \"breachledger replay --rebuild\"")
					return silentExit(exitIntegrity)
				}
				return nil
			})
		},
	}
}

func (e *env) replayAll(ctx context.Context, c *cli.Context, st eventstore.Store, cut domain.Cut, now time.Time) (replayResult, error) {
	h, p, err := ledger.ReadCheckpointed(ctx, st, 0, nil, nil)
	if err != nil {
		return replayResult{}, err
	}
	res := replayResult{Events: p.TreeSize, AsOf: cut.AsOf, KnownAt: cut.KnownAt, Root: p.Root}
	ds, err := projections.Digests(h, cut, p)
	if err != nil {
		return res, err
	}
	k, err := openKept(c, st)
	if err != nil {
		return res, err
	}
	defer k.Close()
	if c.Bool("rebuild") {
		if _, err := k.Rebuild(ctx, now); err != nil {
			return res, err
		}
		res.Rebuilt = true
	} else if _, err := k.CatchUp(ctx, now); err != nil {
		return res, err
	}
	res.Position = k.Position()
	var lastRecorded time.Time
	for _, facts := range append([][]domain.Fact{h.Ledger}, incidentsOf(h)...) {
		for _, f := range facts {
			if f.RecordedAt.After(lastRecorded) {
				lastRecorded = f.RecordedAt
			}
		}
	}
	var kept map[string]projections.Digest
	switch {
	case res.Position != res.Events:
		res.Why = fmt.Sprintf("the kept read models are at position %d, the newest checkpoint covers %d events", res.Position, res.Events)
	case cut.KnownAt.Before(lastRecorded):
		res.Why = "--known-at is before the last event was recorded; the kept read models know every event"
	default:
		kd, err := k.Digests(ctx, cut.AsOf)
		if err != nil {
			return res, err
		}
		kept = map[string]projections.Digest{}
		for _, d := range kd {
			kept[d.Projection] = d
		}
		res.Compared, res.Same = true, true
	}
	for _, d := range ds {
		row := replayRow{Digest: d}
		if kd, ok := kept[d.Projection]; ok {
			row.Kept = &keptDigest{Rows: kd.Rows, SHA256: kd.SHA256, Same: kd == d}
			res.Same = res.Same && row.Kept.Same
		}
		res.Projections = append(res.Projections, row)
	}
	for _, te := range k.Tampered() {
		res.Tampered = append(res.Tampered, te.Error())
	}
	if len(res.Tampered) > 0 {
		res.Same = false
	}
	return res, nil
}

func incidentsOf(h *history.History) [][]domain.Fact {
	var out [][]domain.Fact
	for _, id := range h.IncidentIDs() {
		out = append(out, h.Incidents[id])
	}
	return out
}

func printReplay(e *env, res replayResult) error {
	p := e.stdout
	last := "none"
	if res.Events > 0 {
		last = fmt.Sprintf("0–%d", res.Events-1)
	}
	root := res.Root
	if root == "" {
		root = "none"
	}
	fmt.Fprintf(p, "Replayed %d events (sequences %s, Merkle root %s) as of %s, known at %s\n", res.Events, last, root, stampTime(res.AsOf), stampTime(res.KnownAt))
	if res.Rebuilt {
		fmt.Fprintln(p, "The kept read models were dropped and rebuilt from the log.")
	}
	fmt.Fprintln(p)
	tw := tabwriter.NewWriter(p, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "PROJECTION\tROWS\tDIGEST (replayed from scratch)\tKEPT (incremental, position %d)\n", res.Position)
	for _, r := range res.Projections {
		kept := "not kept: built from the log on demand"
		switch {
		case r.Kept != nil && r.Kept.Same:
			kept = "same"
		case r.Kept != nil:
			kept = fmt.Sprintf("DIFFERS: %d rows, %s", r.Kept.Rows, r.Kept.SHA256)
		case !res.Compared && isKept(r.Projection):
			kept = "not compared"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", r.Projection, r.Rows, r.SHA256, kept)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if res.Why != "" {
		fmt.Fprintf(p, "\nThe kept read models were not compared: %s.\n", res.Why)
	}
	for _, t := range res.Tampered {
		fmt.Fprintf(p, "\nKEPT DIFFERS from what was kept under its MAC: %s; rebuilt from the log.\n", t)
	}
	return nil
}

func isKept(name string) bool {
	return name == projections.ProjectionIncidents || name == projections.ProjectionDeadlines || name == projections.ProjectionRegister
}

func stampTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
