package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/ledger"
)

// shred forgets sealed personal fields (crypto-shredding, issue 25): the
// whole incident's, or one event's own (its free text). In order: the keys
// to destroy are read from the stored, sealed payloads and the key store;
// the intent is recorded in the key store (MarkPending, under the
// DataShredded's event ID, before the append); the signed DataShredded is
// appended, naming what is forgotten without any of it; the keys are
// destroyed (Destroy) and the intent cleared (FinishPending). A crash
// between the append and the destruction is finished by the next opening
// of the key store (sealing.go); a failed append cancels the intent.
func (e *env) shredCommand() *cli.Command {
	var run shredRun
	cmd := e.writer(writerSpec{
		name: "shred", usage: "forget the sealed personal fields of an incident, or of one of its events, or with --due of every closed incident whose retention period is over (legal or admin): their keys are destroyed, the ledger still verifies",
		argsUsage: "INCIDENT | --due",
		example: lines(`breachledger shred INCIDENT --event EVENT-ID --basis mistaken-entry --reason "a customer's address pasted into a note"`,
			`breachledger shred INCIDENT --basis retention --reason "closed over 3 years ago (retention policy RP-4)"`,
			`breachledger shred --due --dry-run   # the closed incidents whose retention-after-close is over`),
		incident: true,
		flags: []cli.Flag{
			str("event", "forget only this event's own fields (its free text: a note, a summary, a reason); the incident's recipients and locations go with the incident"),
			str("basis", "why: retention (a closed incident), erasure-request, mistaken-entry"),
			str("reason", "why, in words that do not repeat what is forgotten"),
			boolean("due", "instead of INCIDENT: forget, with basis retention, each closed incident whose closure plus the setting retention-after-close is at or before --at (default now), one DataShredded each"),
			boolean("dry-run", "with --due: list the incidents due and what would be forgotten, and append nothing"),
		},
		build: func(in *inputs, by domain.By) domain.Command {
			return domain.ShredData{By: by, Event: in.c.String("event"), Basis: domain.ShredBasis(in.required("basis")), Reason: in.required("reason")}
		},
		prepare: run.prepare,
		finish:  run.finish,
	})
	one := cmd.Action
	cmd.Action = func(c *cli.Context) error {
		if !c.Bool("due") {
			if c.Bool("dry-run") {
				return usagef("--dry-run goes with --due (shred --due --dry-run lists what is due); a shred of one INCIDENT has no dry run")
			}
			return one(c)
		}
		return e.shredDue(c, func(c *cli.Context) error {
			run = shredRun{} // each incident's shred its own intent and destruction
			return one(c)
		})
	}
	return cmd
}

// shredRun is one shred's state between its steps.
type shredRun struct {
	ks      keystore.Store
	keyIDs  []string
	eventID string // the DataShredded's, once its intent is recorded
}

// prepare fills the command with what is sealed, and puts in c's context
// the hook that records the intent before the append.
func (r *shredRun) prepare(c *cli.Context, st eventstore.Store, incident string, cmd domain.Command) (domain.Command, error) {
	sc, ok := cmd.(domain.ShredData)
	if !ok {
		return cmd, nil
	}
	ctx := c.Context
	recs, err := st.ReadStream(ctx, domain.IncidentStream(incident), eventstore.ReadOptions{})
	if err != nil && !errors.Is(err, eventstore.ErrNotFound) {
		return nil, fmt.Errorf("read incident %s: %w", incident, err)
	}
	if sc.Event != "" && !slices.ContainsFunc(recs, func(rec eventstore.Record) bool { return rec.ID.String() == sc.Event }) {
		return nil, &domain.NotFoundError{What: "event", ID: sc.Event, Hint: `list the incident's events with "breachledger timeline INCIDENT"`}
	}
	ks, err := sealingOf(ctx, st).get(ctx, false)
	if err != nil {
		return nil, err
	}
	scope, err := scopeOf(ctx, recs, ks, incident, sc.Event)
	if err != nil {
		return nil, err
	}
	sc.KeyIDs, sc.Events, sc.Fields, sc.Unsealed = scope.KeyIDs, scope.Events, scope.Fields, scope.Unsealed
	if scope.Sealed && ks == nil {
		return nil, usagef("no key store for this ledger here: run shred where the key store of its sealed fields is (README: Personal data that can be forgotten)")
	}
	r.ks, r.keyIDs = ks, sc.KeyIDs
	c.Context = context.WithValue(ctx, beforeAppendKey{}, r.markPending)
	return sc, nil
}

// shredScope is what a shred would forget: the live keys, the events whose
// fields they seal and the fields' paths; how many personal fields are in
// clear (recorded before seal-personal-data was on); and whether any field
// is sealed at all, under a live key or not.
type shredScope struct {
	KeyIDs, Events, Fields []string
	Unsealed               int
	Sealed                 bool
}

// scopeOf reads what a shred of incident (of its event's own fields, when
// event is set) forgets from its stored records and the key store ks (nil:
// none here, so no key is live).
func scopeOf(ctx context.Context, recs []eventstore.Record, ks keystore.Store, incident, event string) (shredScope, error) {
	var sc shredScope
	live := map[string]keystore.Info{}
	if ks != nil {
		infos, err := ks.List(ctx, incident)
		if err != nil {
			return sc, fmt.Errorf("list the keys of incident %s: %w", incident, err)
		}
		for _, in := range infos {
			if in.Destroyed.IsZero() && (event == "" || in.Scope.Event == event) {
				live[in.ID] = in
			}
		}
	}
	for _, rec := range recs {
		if event != "" && rec.ID.String() != event {
			continue
		}
		sealed, clear, err := ledger.SealedFields(rec)
		if err != nil {
			return sc, err
		}
		sc.Unsealed += clear
		sc.Sealed = sc.Sealed || len(sealed) > 0
		for _, f := range sealed {
			if _, ok := live[f.KeyID]; !ok {
				continue
			}
			if !slices.Contains(sc.KeyIDs, f.KeyID) {
				sc.KeyIDs = append(sc.KeyIDs, f.KeyID)
			}
			if id := rec.ID.String(); !slices.Contains(sc.Events, id) {
				sc.Events = append(sc.Events, id)
			}
			if !slices.Contains(sc.Fields, f.Path) {
				sc.Fields = append(sc.Fields, f.Path)
			}
		}
	}
	return sc, nil
}

// markPending records the intent to destroy the keys once the
// DataShredded (recs' first record) is in the ledger; once, whatever the
// retries.
func (r *shredRun) markPending(ctx context.Context, recs []eventstore.Record) error {
	if r.eventID != "" || r.ks == nil || len(r.keyIDs) == 0 || len(recs) == 0 {
		return nil
	}
	id := recs[0].ID.String()
	if err := r.ks.MarkPending(ctx, r.keyIDs, id); err != nil {
		return fmt.Errorf("record the intent to destroy %d keys: %w", len(r.keyIDs), err)
	}
	r.eventID = id
	return nil
}

// finish destroys the keys once the DataShredded is appended, and cancels
// the intent when it was not.
func (r *shredRun) finish(c *cli.Context, st eventstore.Store, res ledger.Result, err error) error {
	if r.eventID == "" {
		return err
	}
	ctx := context.WithoutCancel(c.Context) // the append is done: finish the destruction
	if err != nil {
		if len(res.Records) != 0 {
			return err
		}
		// The append may have landed though its answer was lost (an
		// unknown outcome, as EventStoreDB's adapter reports when the
		// server stops answering): finish the intent if its event is in
		// the ledger, keep it if the ledger cannot be read (the next shred
		// or opening of the key store finishes it), cancel it otherwise.
		finished, ferr := finishPending(ctx, st, r.ks)
		switch {
		case ferr != nil:
			return errors.Join(err, fmt.Errorf("the DataShredded %s may have been recorded: the intent to destroy its keys is kept, and the next shred or opening of the key store finishes it if it was (%w)", r.eventID, ferr))
		case slices.ContainsFunc(finished, func(p keystore.Pending) bool { return p.EventID == r.eventID }):
			return nil // it landed, and its keys are destroyed
		}
		if cerr := r.ks.CancelPending(ctx, r.eventID); cerr != nil {
			return errors.Join(err, fmt.Errorf("cancel the intent to destroy keys (the next shred or opening of the key store retries it): %w", cerr))
		}
		return err
	}
	if err := r.ks.Destroy(ctx, r.eventID, r.keyIDs...); err != nil {
		return fmt.Errorf("the DataShredded %s is recorded but its keys are not destroyed yet (the next shred or opening of the key store finishes it): %w", r.eventID, err)
	}
	// Clear the intent without reading the log for what the append just
	// said (finishPending would read it all).
	landed := func(_ context.Context, eventID string) (bool, error) { return eventID == r.eventID, nil }
	if _, err := r.ks.FinishPending(ctx, landed); err != nil {
		return fmt.Errorf("clear the intent of %s (its keys are destroyed): %w", r.eventID, err)
	}
	return nil
}

// beforeAppendKey finds the writer's BeforeAppend hook in a context.
type beforeAppendKey struct{}

// beforeAppendOf returns the hook a command put in ctx, or nil.
func beforeAppendOf(ctx context.Context) func(context.Context, []eventstore.Record) error {
	f, _ := ctx.Value(beforeAppendKey{}).(func(context.Context, []eventstore.Record) error)
	return f
}

// shreddedKeysLeft returns, by DataShredded event ID, the keys it forgot
// that still exist in ks: a shred whose destruction has not happened (a
// crash after the append, a key store restored from a backup).
func shreddedKeysLeft(ctx context.Context, st eventstore.Store, ks keystore.Store) (map[string][]string, error) {
	left := map[string][]string{}
	for r, err := range eventstore.All(ctx, st, 0) {
		if err != nil {
			return nil, err
		}
		if r.Type != "DataShredded" {
			continue
		}
		for id := range ledger.ForgottenKeys([]eventstore.Record{r}) {
			if _, err := ks.Key(ctx, id); err == nil {
				left[r.ID.String()] = append(left[r.ID.String()], id)
			}
		}
	}
	return left, nil
}

// warnShreddedKeys prints on stderr each DataShredded whose keys still
// exist in this user's key store (verify; it changes no exit code: the
// ledger itself is intact).
func (e *env) warnShreddedKeys(c *cli.Context, st eventstore.Store) {
	ks, err := sealingOf(c.Context, st).get(c.Context, false)
	if err != nil || ks == nil {
		return
	}
	left, err := shreddedKeysLeft(c.Context, st, ks)
	if err != nil {
		fmt.Fprintf(e.stderr, "warning (shred-keys-exist): the key store could not be checked against the shreds: %v\n", err)
		return
	}
	ids := slices.Sorted(maps.Keys(left))
	for _, ev := range ids {
		fmt.Fprintf(e.stderr, "warning (shred-keys-exist): DataShredded %s forgot %d key(s) that still exist in this key store: "+
			"what they seal is not forgotten here; run \"breachledger shred\" on the incident again, and check no backup of the key store was restored\n", ev, len(left[ev]))
	}
}
