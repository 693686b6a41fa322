package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/safetext"
)

// What a ledger's signatures prove of who recorded its events (README:
// Who signs). A ledger made by "init" is in signed mode from its first
// event: every event is signed by its author's registered key, and nothing
// more is said. A ledger made with "init --unsigned", or before signed mode
// existed and never switched, proves no author: every reader, report and
// verify says so in one line. A ledger switched to signed mode
// ("signature-policy --all") proves the authors of the events from the
// switch on; the readers say so once, and show, timeline and log mark the
// facts before the switch.

// authorship is what the signed mode of a ledger proves of its authors.
type authorship struct {
	signed bool   // in signed mode
	since  uint64 // from this sequence on (0: from the first event)
}

func authorshipOf(l domain.Ledger) authorship {
	since, ok := signedSince(l)
	return authorship{signed: ok, since: since}
}

// readAuthorship reads the ledger stream of st for its signed mode.
func readAuthorship(c *cli.Context, st eventstore.Store) (authorship, error) {
	facts, err := ledger.ReadStream(c.Context, st, domain.LedgerStream)
	if err != nil {
		return authorship{}, err
	}
	l := domain.ReplayLedger(facts, domain.Cut{})
	if !l.Initialized {
		return authorship{signed: true}, nil // nothing to say of no ledger
	}
	return authorshipOf(l), nil
}

// markUnproven prints, after "show" of an incident, how many of its events
// were recorded before the ledger was switched to signed mode: their
// authors are unproven.
func (e *env) markUnproven(c *cli.Context, st eventstore.Store, id string, cut domain.Cut) error {
	a, err := readAuthorship(c, st)
	if err != nil || !a.marks() {
		return err
	}
	facts, err := incidentFacts(c, st, id, cut)
	if err != nil {
		return err
	}
	var before int
	for _, f := range facts {
		if a.unproven(f.Sequence) {
			before++
		}
	}
	if before > 0 {
		fmt.Fprintf(e.stdout, "\n%d of its events were recorded before the ledger was switched to signed mode at seq %d: %s\n", before, a.since, unprovenMark)
	}
	return nil
}

// unproven reports whether the author of the event at seq is unproven.
func (a authorship) unproven(seq uint64) bool { return !a.signed || seq < a.since }

// note is the one line that says which authors are unproven, "" when every
// author is proven (a ledger signed from its first event).
func (a authorship) note() string { return a.json().Note() }

// json is the authorship object of JSON answers (projections.Authorship):
// the same words as note.
func (a authorship) json() projections.Authorship {
	return projections.AuthorshipFrom(a.signed, a.since)
}

// say writes the note, when there is one, as a line of its own.
func (a authorship) say(w io.Writer) {
	if n := a.note(); n != "" {
		fmt.Fprintln(w, safetext.Line(n))
	}
}

// unprovenMark is what show, timeline and log print beside a fact whose
// author is unproven on a ledger switched to signed mode.
const unprovenMark = "authorship unproven"

// marks reports whether facts of a reader's output are marked one by one:
// only on a ledger switched to signed mode (on an unsigned one, the one
// line says it of every event).
func (a authorship) marks() bool { return a.signed && a.since > 0 }

// sayAuthorship prints verify's line on authorship, before its report: of
// the ledger in st, or of the bundle's history h. It goes to stdout with
// the report, or to stderr beside a JSON one. It returns what it said.
func (e *env) sayAuthorship(c *cli.Context, st eventstore.Store, h *history.History) (authorship, error) {
	a := authorship{signed: true}
	switch {
	case st != nil:
		var err error
		if a, err = readAuthorship(c, st); err != nil {
			return authorship{}, err
		}
	case h != nil:
		if l := domain.ReplayLedger(h.Ledger, domain.Cut{}); l.Initialized {
			a = authorshipOf(l)
		}
	}
	if c.Bool("json") {
		a.say(e.stderr)
	} else {
		a.say(e.stdout)
	}
	return a, nil
}

// authorshipFooter is a report's line on authorship (its provenance
// footer): of the whole ledger of h, or, for an incident's report, of its
// facts, which may all come after the switch to signed mode.
func authorshipFooter(h *history.History, facts []domain.Fact) string {
	l := domain.ReplayLedger(h.Ledger, domain.Cut{})
	if !l.Initialized {
		return ""
	}
	a := authorshipOf(l)
	if facts != nil && a.signed {
		unproven := false
		for _, f := range facts {
			unproven = unproven || a.unproven(f.Sequence)
		}
		if !unproven {
			return ""
		}
	}
	n := a.note()
	if n == "" {
		return ""
	}
	return strings.ToUpper(n[:1]) + n[1:] + "."
}
