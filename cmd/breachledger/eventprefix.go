package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/safetext"
)

// Event IDs may be given by a unique prefix too (README, "Incident IDs"),
// as incident IDs are (prefix.go): a writer's EVENT-ID or NOTICE-EVENT-ID
// among the events of its incident, "prove inclusion"'s among the whole
// log's. Event IDs are UUIDv7s, whose first twelve hex digits are the
// millisecond they were made: a prefix tells events apart once it reaches
// the millisecond in which they differ, usually ten or more characters.
// The full ID is what is recorded.
const eventIDLen = 36 // a UUID in its text form

// isEventArg reports whether a positional argument names an event.
func isEventArg(name string) bool {
	return name == "EVENT-ID" || name == "NOTICE-EVENT-ID"
}

// resolveEventArgs returns the full event IDs that in's event arguments
// stand for when they were typed as prefixes, looked up among the events
// of the incident; nil when none was a prefix.
func resolveEventArgs(ctx context.Context, st eventstore.Store, incident string, in *inputs) (map[string]string, error) {
	var resolved map[string]string
	for name, typed := range in.given {
		if !isEventArg(name) || !isEventPrefix(typed) {
			continue
		}
		if incident == "" {
			continue
		}
		if err := checkEventPrefix(name, typed); err != nil {
			return nil, err
		}
		recs, err := st.ReadStream(ctx, domain.IncidentStream(incident), eventstore.ReadOptions{})
		if err != nil {
			return nil, fmt.Errorf("resolve %s prefix %q: %w", name, safetext.Line(typed), err)
		}
		full, err := oneEvent(name, typed, func(yield func(eventstore.Record) bool) {
			for _, r := range recs {
				if !yield(r) {
					return
				}
			}
		}, "of incident "+incident)
		if err != nil {
			return nil, err
		}
		if resolved == nil {
			resolved = map[string]string{}
		}
		resolved[name] = full
	}
	return resolved, nil
}

// resolveLoggedEvent returns the event ID that arg names among every
// event of the log: arg itself when it is a whole UUID, else the one
// event whose ID starts with it (the log is read once, record by record).
func resolveLoggedEvent(ctx context.Context, st eventstore.Store, arg string) (uuid.UUID, error) {
	arg = strings.TrimSpace(arg)
	if !isEventPrefix(arg) {
		return parseEventID(arg)
	}
	if err := checkEventPrefix("EVENT-ID", arg); err != nil {
		return uuid.Nil, err
	}
	var readErr error
	full, err := oneEvent("EVENT-ID", arg, func(yield func(eventstore.Record) bool) {
		for r, err := range eventstore.All(ctx, st, 0) {
			if err != nil {
				readErr = fmt.Errorf("read ledger: %w", err)
				return
			}
			if !yield(r) {
				return
			}
		}
	}, "in the ledger")
	if readErr != nil {
		return uuid.Nil, readErr
	}
	if err != nil {
		return uuid.Nil, err
	}
	return uuid.Parse(full)
}

// isEventPrefix reports whether an event argument is the start of a
// UUID's text form, shorter than a whole one: a prefix to look up. Any
// other text is used as it is (an event that is not there: not found).
func isEventPrefix(typed string) bool {
	if typed == "" || len(typed) >= eventIDLen {
		return false
	}
	for i, r := range strings.ToLower(typed) {
		dash := i == 8 || i == 13 || i == 18 || i == 23
		if dash && r != '-' || !dash && !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

// checkEventPrefix refuses a prefix too short to look up, before
// anything is read.
func checkEventPrefix(name, typed string) error {
	if len(typed) < minPrefixLen {
		return usagef("%s %q is too short: give the event's ID or at least its first %d characters (\"breachledger timeline INCIDENT\" shows the IDs)", name, safetext.Line(typed), minPrefixLen)
	}
	return nil
}

// oneEvent returns the ID of the one record whose ID starts with prefix:
// none is not found (exit 3), several a usage error naming them (exit 2).
func oneEvent(name, prefix string, records func(func(eventstore.Record) bool), where string) (string, error) {
	prefix = strings.ToLower(prefix)
	var matches []eventstore.Record
	for r := range records {
		if strings.HasPrefix(r.ID.String(), prefix) {
			matches = append(matches, r)
		}
	}
	switch len(matches) {
	case 0:
		return "", &domain.NotFoundError{What: "event", ID: prefix, Hint: "no event " + where + " starts with it; \"breachledger timeline INCIDENT\" shows event IDs"}
	case 1:
		return matches[0].ID.String(), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s prefix %q is ambiguous: %d events %s start with it; give more characters of the ID (UUIDv7s begin with the millisecond they were made):", name, safetext.Line(prefix), len(matches), where)
	for i, r := range matches {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  and %d more", len(matches)-maxListed)
			break
		}
		fmt.Fprintf(&b, "\n  %s  %s  %s", r.ID, safetext.Line(r.Type), r.OccurredAt.UTC().Format("2006-01-02T15:04:05Z07:00"))
	}
	return "", usageError{errors.New(b.String())}
}
