package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/safetext"
)

// writerSpec describes one writer command: its help, its own flags, and how
// its inputs become a domain command.
type writerSpec struct {
	name, usage, argsUsage, example string
	aliases                         []string
	flags                           []cli.Flag
	// incident: the first argument is the incident (or $BREACHLEDGER_INCIDENT).
	incident bool
	// newIncident: the command opens a new incident with a fresh ID.
	newIncident bool
	// create: the command may create the ledger file (init).
	create bool
	build  func(in *inputs, by domain.By) domain.Command
	// prepare, when set, completes the command from the ledger right
	// before it is executed, and may return a context for the append
	// (shred.go: the keys it forgets, and the intent it records first);
	// finish, when set, runs after the append, with its error.
	prepare func(c *cli.Context, st eventstore.Store, incident string, cmd domain.Command) (domain.Command, error)
	finish  func(c *cli.Context, st eventstore.Store, res ledger.Result, err error) error
}

var writerFlags = []cli.Flag{
	&cli.StringFlag{Name: "at", Usage: "when the fact happened (RFC 3339 or \"now\"; default now; never in the future)"},
	&cli.StringFlag{Name: "late-entry-reason", Usage: "why the fact is recorded only now: needed when --at is further back than the ledger's backdate-window, or a notice is dated before its due time but recorded after it"},
	&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
}

// quietFlag is a writer's --quiet, whose help says what that writer prints
// (printWrite): the new incident's ID for a writer that opens one, else
// the ID of the event it records (the last, when it records several).
func quietFlag(s writerSpec) cli.Flag {
	usage := fmt.Sprintf("print only the ID of the event %q records", s.name)
	if s.newIncident {
		usage = "print only the new incident's ID"
	}
	return &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: usage}
}

func (e *env) writer(s writerSpec) *cli.Command {
	return &cli.Command{
		Name:        s.name,
		Aliases:     s.aliases,
		Usage:       s.usage,
		ArgsUsage:   s.argsUsage,
		Description: "Example:\n  " + s.example,
		Flags:       append(append(append([]cli.Flag{}, s.flags...), writerFlags...), quietFlag(s)),
		Action: func(c *cli.Context) error {
			now := e.now().UTC()
			who, whoErr := actor(c)
			sg, sgErr := signerFrom(c) // --sign-key, --ssh-agent (keys.go)
			if sg != nil {
				defer sg.close()
			}
			// build reads the arguments into the domain command, signed
			// with sg's key when sg is set; every problem is reported at
			// once, before the ledger is opened. It runs again once the
			// actor's key is found (identity.go), for the command's By.
			var typed *inputs                  // the last build's inputs
			var resolvedArgs map[string]string // event ID prefixes resolved (eventprefix.go)
			build := func(sg *actorSigner) (domain.Command, string, error) {
				in := newInputs(c, now)
				in.resolved, typed = resolvedArgs, in
				var incident string
				if s.incident {
					incident = in.incident()
				}
				if whoErr != nil {
					in.fail(whoErr)
				}
				by := domain.By{Actor: who, At: in.at(), LateEntryReason: in.c.String("late-entry-reason")}
				if sgErr != nil {
					in.fail(sgErr)
				} else if sg != nil {
					by.Signer, in.signerKey = sg.fp, sg.key
				}
				return s.build(in, by), incident, in.err()
			}
			cmd, incident, err := build(sg)
			if err != nil {
				return err
			}
			if s.create && sg == nil && !c.Bool("unsigned") {
				// A new ledger is signed from its first event: init
				// registers the key that signs it (before the file is made).
				if sg, err = initSigner(who); err != nil {
					return err
				}
				defer sg.close()
				if cmd, _, err = build(sg); err != nil {
					return err
				}
			}
			if s.newIncident {
				incident = ledger.NewIncidentID()
			}
			return withStore(c, s.create, func(st eventstore.Store) error {
				// A prefix of the ID names the incident; the full ID is recorded.
				incident, err := resolveIncident(c.Context, st, incident)
				if err != nil {
					return err
				}
				// So may a prefix of an event ID among the incident's events.
				if resolvedArgs, err = resolveEventArgs(c.Context, st, incident, typed); err != nil {
					return err
				} else if resolvedArgs != nil {
					if cmd, _, err = build(sg); err != nil {
						return err
					}
				}
				// Every append ends with a signed checkpoint: without the
				// ledger key nothing is appended (init makes the key).
				var key *integrity.LedgerKey
				if s.create {
					if fp, ok, _ := agentKeyFingerprint(c.String("ledger-key")); ok && sg != nil && sg.fp == fp {
						return actorKeyAsLedgerKey(fp, who) // keys.go
					}
					if p := c.String("ledger-key"); p != "" {
						if _, err := os.Stat(p); err == nil {
							return usagef("--ledger-key %s exists: init makes a new key and never overwrites one", p)
						}
					}
				} else if key, err = appendKey(c, st); err != nil {
					return err
				}
				if sg == nil && !s.create {
					// The actor's own key, as the signer registry knows it.
					found, err := findSigner(c, st, who)
					if err != nil {
						return err
					}
					if found != nil {
						sg = found
						defer sg.close()
						if cmd, _, err = build(sg); err != nil {
							return err
						}
					}
				}
				if s.prepare != nil {
					if cmd, err = s.prepare(c, st, incident, cmd); err != nil {
						return err
					}
				}
				res, err := e.execute(c, st, key, sg, incident, cmd, now) // keys.go
				if s.finish != nil {
					err = s.finish(c, st, res, err)
				}
				if err != nil {
					return err
				}
				if s.create {
					if key, err = e.createLedgerKey(c, st); err != nil {
						return fmt.Errorf("the ledger was initialised, but its key was not made: %w", err)
					}
				}
				if err := e.printWrite(c, res, now); err != nil {
					return err
				}
				if err := e.checkpointAfter(c, st, key, res); err != nil {
					return err
				}
				e.witnessAfter(c, st, key, res)
				return nil
			})
		},
	}
}

// writeResult is the JSON a writer prints.
type writeResult struct {
	Incident     string             `json:"incident,omitempty"`
	Events       []writtenEvent     `json:"events"`
	NextDeadline *domain.Obligation `json:"next_deadline,omitempty"`
	// FactsNeeded are the rules this write made wait for a determination
	// never made (factsneeded.go).
	FactsNeeded []domain.FactNeeded `json:"facts_needed,omitempty"`
}

type writtenEvent struct {
	EventID    string    `json:"event_id"`
	Seq        uint64    `json:"seq"`
	Stream     string    `json:"stream"`
	Revision   uint64    `json:"revision"`
	Type       string    `json:"type"`
	At         time.Time `json:"at"`
	RecordedAt time.Time `json:"recorded_at"`
	Actor      string    `json:"actor"`
}

// printWrite prints what a writer appended and, for incidents, the next
// deadline as of now.
func (e *env) printWrite(c *cli.Context, res ledger.Result, now time.Time) error {
	out := writeResult{Incident: res.Incident, Events: []writtenEvent{}}
	for _, r := range res.Records {
		out.Events = append(out.Events, writtenEvent{EventID: r.ID.String(), Seq: r.Sequence, Stream: r.Stream, Revision: r.Revision, Type: r.Type, At: r.OccurredAt.UTC(), RecordedAt: r.RecordedAt, Actor: r.Actor})
	}
	if res.Incident != "" {
		out.NextDeadline = nextDeadline(res, now)
		out.FactsNeeded = newFactsNeeded(res, now)
	}
	switch {
	case c.Bool("quiet"):
		if len(res.Events) > 0 && res.Incident != "" {
			if _, ok := res.Events[0].(domain.IncidentDetected); ok {
				fmt.Fprintln(e.stdout, res.Incident)
				return nil
			}
		}
		fmt.Fprintln(e.stdout, out.Events[len(out.Events)-1].EventID)
		return nil
	case c.Bool("json"):
		return writeJSON(e.stdout, out)
	}
	subject := "ledger"
	if res.Incident != "" {
		subject = "incident " + res.Incident
	}
	for i, ev := range res.Events {
		r := res.Records[i]
		// "ledger: initialised", not "ledger: ledger initialised".
		kind := strings.TrimPrefix(projections.Kind(r.Type), subject+" ")
		what := kind
		if d := projections.Describe(ev); d != "" {
			what += " — " + d // a close without --summary has nothing to add
		}
		fmt.Fprintf(e.stdout, "%s: %s [seq %d, event %s]\n", safetext.Line(subject), safetext.Line(what), r.Sequence, r.ID)
	}
	if res.Incident != "" {
		fmt.Fprintln(e.stdout, projections.NextDeadlineLine(out.NextDeadline, now))
		for _, n := range out.FactsNeeded {
			fmt.Fprintln(e.stdout, projections.FactsNeededLine(n))
		}
	}
	return nil
}

// nextDeadline is the open obligation due first as of now, judged on what
// the writer knew when it appended (the streams it read, and its own events).
func nextDeadline(res ledger.Result, now time.Time) *domain.Obligation {
	cut := domain.Cut{AsOf: now}
	v, ok := projections.Show(res.Ledger, res.Incident, res.Facts, cut)
	if !ok {
		return nil
	}
	return v.NextDeadline
}

func writeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	b = append(safetext.JSON(b), '\n') // JSON printed to a terminal: no bidi or C1 control raw
	_, err = w.Write(b)
	return err
}

func lines(s ...string) string { return strings.Join(s, "\n  ") }
