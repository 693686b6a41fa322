package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/projections/readmodel"

	"github.com/breachledger/breachledger/bench/internal/benchledger"
)

// deadlines is the row "deadlines --due-within 24h at 100,000 incidents,
// p99, against a SELECT of the same rows from the persisted projection".
//
// The ledger holds 100,000 incidents (-short: 5,000) of seven events each:
// a controller's personal-data breach, whose GDPR Art. 33 clock runs 72
// hours from awareness. Awareness times are spread over the 30 days before
// the as-of instant, and 97% of those older than a day were notified in
// time (24 hours after awareness), so the
// view's rows are the 3% still open that are overdue or due within 24
// hours, as a cron job polling a busy ledger sees them. The read models
// are caught up once (not timed); each round then times the deadline view
// "deadlines --due-within 24h" answers from them (readmodel.Kept.Deadlines:
// the rows, checked against the instant, in the view's order) against a
// SELECT of the same rows from rm_deadlines with the same prefilter,
// reading each row's bytes; neither side encodes output. The two alternate
// round by round.
func deadlines(cfg config) ([]row, error) {
	ctx := context.Background()
	incidents, rounds := 100_000, 200
	if cfg.short {
		incidents, rounds = 5_000, 20
	}
	dir := filepath.Join(cfg.dir, "deadlines")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	st, _, err := benchledger.NewLedger(ctx, filepath.Join(dir, "deadlines.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	asOf := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	started := time.Now()
	if err := fillDeadlineIncidents(ctx, st, incidents, asOf); err != nil {
		return nil, err
	}
	built := time.Since(started)

	kept, err := readmodel.Open(ctx, st, filepath.Join(dir, "deadlines.db"))
	if err != nil {
		return nil, err
	}
	defer kept.Close()
	started = time.Now()
	if _, err := kept.CatchUp(ctx, asOf); err != nil {
		return nil, err
	}
	caughtUp := time.Since(started)

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "deadlines.db")+"?mode=ro&_pragma=busy_timeout(10000)&_pragma=cache_size(-32768)") // the read models' own settings
	if err != nil {
		return nil, err
	}
	defer db.Close()

	filter := projections.DeadlineFilter{DueWithin: 24 * time.Hour}
	var product, base []time.Duration
	var rows, baseRows int
	for i := range rounds + 2 {
		p := func() error {
			start := time.Now()
			page, err := kept.Deadlines(ctx, asOf, filter, readmodel.Page{}, false)
			if err != nil {
				return err
			}
			if i >= 2 {
				product = append(product, time.Since(start))
			}
			rows = len(page.Deadlines)
			return nil
		}
		q := func() error {
			start := time.Now()
			res, err := db.QueryContext(ctx, `SELECT row FROM rm_deadlines WHERE open = 1 AND due_at <= ? ORDER BY first_seq, ord`, asOf.Add(24*time.Hour).UnixNano())
			if err != nil {
				return err
			}
			n := 0
			for res.Next() {
				var b []byte
				if err := res.Scan(&b); err != nil {
					res.Close()
					return err
				}
				n++
			}
			if err := res.Close(); err != nil {
				return err
			}
			if i >= 2 {
				base = append(base, time.Since(start))
			}
			baseRows = n
			return nil
		}
		first, second := p, q
		if i%2 == 1 {
			first, second = q, p
		}
		if err := first(); err != nil {
			return nil, fmt.Errorf("deadlines: %w", err)
		}
		if err := second(); err != nil {
			return nil, fmt.Errorf("deadlines baseline: %w", err)
		}
	}
	if rows != baseRows {
		return nil, fmt.Errorf("deadlines: the view has %d rows, the SELECT %d: they must read the same rows", rows, baseRows)
	}
	ratio := float64(quantile(product, 0.99)) / float64(quantile(base, 0.99))
	return []row{{
		name:      "deadlines --due-within 24h at 100,000 incidents, p99",
		product:   fmt.Sprintf("p50 %s, p99 %s (%d rounds, %d incidents, %d rows; the kept view deadlines reads)", ms(median(product)), ms(quantile(product, 0.99)), len(product), incidents, rows),
		baseline:  fmt.Sprintf("p50 %s, p99 %s (SELECT of the same rows from rm_deadlines)", ms(median(base)), ms(quantile(base, 0.99))),
		ratio:     ratio,
		ratioText: "p99 ÷ baseline p99",
		goal:      "≤ 2×",
		met:       ratio <= 2,
		notes: []string{fmt.Sprintf("building the %d-incident ledger took %s; catching the read models up from scratch %s (not timed in the rounds)",
			incidents, built.Round(time.Second), caughtUp.Round(time.Second))},
	}}, nil
}

// fillDeadlineIncidents adds n controller breaches: detected and aware at
// a time spread over the 30 days before asOf, assessed as a privacy breach
// (the Art. 33 clock runs), and, for 97 in 100, notified to the authority
// 24 hours after awareness.
func fillDeadlineIncidents(ctx context.Context, st eventstore.Store, n int, asOf time.Time) error {
	imp, ok := st.(eventstore.Importer)
	if !ok {
		return fmt.Errorf("the store cannot import")
	}
	head, err := st.Head(ctx)
	if err != nil {
		return err
	}
	var batch []eventstore.Record
	flush := func() error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		for i := range batch {
			batch[i].Sequence, batch[i].RecordedAt = head+uint64(i), now
		}
		if err := imp.Import(ctx, batch); err != nil {
			return err
		}
		head += uint64(len(batch))
		batch = batch[:0]
		return nil
	}
	span := 30 * 24 * time.Hour
	for i := 0; i < n; i++ {
		aware := asOf.Add(-span + time.Duration(i)*span/time.Duration(n))
		events := []domain.Event{
			domain.IncidentDetected{Source: domain.SourceAutomatedAlert, Summary: fmt.Sprintf("export of customer records, batch %d", i), AwareAt: aware, Role: domain.RoleController},
			domain.PackPinned{Version: "2026.1"},
			domain.StageChanged{From: domain.StageDetect, To: domain.StageAssess},
			domain.IncidentAssessed{FunctionalImpact: domain.FunctionalLow, Recoverability: domain.RecoverRegular, InformationImpact: domain.InfoPrivacy, DerivedSeverity: domain.SeverityHigh, DerivedPriority: domain.P1, Severity: domain.SeverityHigh, Priority: domain.P1},
			domain.StageChanged{From: domain.StageAssess, To: domain.StageDiagnose},
			domain.IncidentClassified{Classification: domain.ClassPrivacyBreach, Reason: "customer records read"},
		}
		if i%100 >= 3 && !aware.Add(24*time.Hour).After(asOf) {
			events = append(events, domain.NotificationSent{RecipientKind: domain.RecipientAuthority, Recipient: "lead supervisory authority", Channel: domain.ChannelPortal, Phase: domain.PhaseInitial})
		}
		stream := domain.IncidentStream(fmt.Sprintf("DL%07d", i))
		for j, e := range events {
			typ, payload, err := domain.Encode(e)
			if err != nil {
				return err
			}
			at := aware.Add(time.Duration(j) * time.Hour)
			if _, ok := e.(domain.NotificationSent); ok {
				at = aware.Add(24 * time.Hour)
			}
			batch = append(batch, eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: stream, Type: typ, OccurredAt: at, Actor: "oscar", Payload: payload, Revision: uint64(j)})
		}
		if len(batch) >= 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(batch) > 0 {
		return flush()
	}
	return nil
}
