package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/safetext"
)

// Incident IDs may be given by a unique prefix, as git and docker take
// them (README, "Incident IDs"):
//   - an ID of fullIDLen characters is used as it is, without a look-up;
//   - a shorter one of at least minPrefixLen characters is a prefix: one
//     incident starting with it resolves to that incident, none is not
//     found (exit 3), several is a usage error (exit 2) naming them;
//   - a shorter one is a usage error, before the ledger is opened.
//
// The look-up names the incident streams by prefix from the store's index
// (ledger.StreamLister: one probe per match on SQLite); a store without one
// (EventStoreDB) is scanned for stream names, never replayed. Writers
// record the full ID: resolving changes only what is typed.
const (
	fullIDLen    = 27 // a KSUID (ledger.NewIncidentID)
	minPrefixLen = 4
	maxListed    = 10 // matches named in an ambiguity refusal
)

// checkIncidentArg is the usage check of an incident ID or prefix, made
// before the ledger is opened; what names where it came from.
func checkIncidentArg(what, id string) error {
	if id == "" || len(id) >= minPrefixLen {
		return nil
	}
	return fmt.Errorf("%s %q is too short: give the incident's ID or at least its first %d characters (\"breachledger list\" shows the IDs)", what, safetext.Line(id), minPrefixLen)
}

// resolveIncident returns the incident ID that id names: id itself when
// it is empty or a full ID, else the one incident whose ID starts with it.
func resolveIncident(ctx context.Context, st eventstore.Store, id string) (string, error) {
	if id == "" || len(id) >= fullIDLen {
		return id, nil
	}
	if err := checkIncidentArg("INCIDENT", id); err != nil {
		return "", usageError{err}
	}
	ids, err := incidentsWithPrefix(ctx, st, id)
	if err != nil {
		return "", fmt.Errorf("resolve incident prefix %q: %w", id, err)
	}
	switch len(ids) {
	case 0:
		return "", &domain.NotFoundError{What: "incident", ID: id, Hint: `no incident ID starts with it; list incidents with "breachledger list"`}
	case 1:
		return ids[0], nil
	}
	return "", usageError{ambiguous(ctx, st, id, ids)}
}

// incidentsWithPrefix returns the IDs of the incidents whose IDs start
// with prefix, in order.
func incidentsWithPrefix(ctx context.Context, st eventstore.Store, prefix string) ([]string, error) {
	want := domain.IncidentStream(prefix)
	var streams []string
	l, ok := st.(ledger.StreamLister)
	if ok {
		var err error
		streams, err = l.StreamsWithPrefix(ctx, want, 0)
		if errors.Is(err, errors.ErrUnsupported) {
			ok = false
		} else if err != nil {
			return nil, err
		}
	}
	if !ok { // no index to ask: the stream names of the log, read once
		seen := map[string]bool{}
		for r, err := range eventstore.All(ctx, st, 0) {
			if err != nil {
				return nil, fmt.Errorf("read ledger: %w", err)
			}
			if strings.HasPrefix(r.Stream, want) && !seen[r.Stream] {
				seen[r.Stream] = true
				streams = append(streams, r.Stream)
			}
		}
	}
	var ids []string
	for _, s := range streams {
		if id, ok := domain.IncidentID(s); ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// ambiguous is the refusal of a prefix several incidents start with: it
// names the first maxListed of them with their summaries.
func ambiguous(ctx context.Context, st eventstore.Store, prefix string, ids []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "incident prefix %q is ambiguous: %d incidents start with it; give more characters of the ID:", safetext.Line(prefix), len(ids))
	for i, id := range ids {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  and %d more", len(ids)-maxListed)
			break
		}
		fmt.Fprintf(&b, "\n  %s  %s", safetext.Line(id), safetext.Line(incidentSummary(ctx, st, id)))
	}
	return errors.New(b.String())
}

// incidentSummary is the summary its detection gave an incident, or why
// there is none to show.
func incidentSummary(ctx context.Context, st eventstore.Store, id string) string {
	recs, err := st.ReadStream(ctx, domain.IncidentStream(id), eventstore.ReadOptions{Limit: 1})
	if err != nil || len(recs) == 0 {
		return "(no detection this reader counts yet)"
	}
	ev, err := domain.Decode(recs[0].Type, recs[0].Payload)
	if err != nil {
		return "(detection unreadable)"
	}
	if d, ok := ev.(domain.IncidentDetected); ok {
		return d.Summary
	}
	return "(no detection)"
}
