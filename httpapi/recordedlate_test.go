package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
)

// Every answer that carries an obligation's status carries how late the
// ledger learnt of the notice that decided it: the notice to CNIL is dated
// 2025-03-10T20:00Z, before gdpr-art33's due time (awareness
// 2025-03-07T22:15Z + 72 h = 2025-03-10T22:15Z), and the store recorded it
// when newEnv appended it, long after. The status stays "met".
func TestRecordedLateInAnswers(t *testing.T) {
	e := newEnv(t)
	due := at("2025-03-10T22:15:00Z")
	var recorded time.Time
	for _, f := range e.history().Incidents["A"] {
		if n, ok := f.Event.(domain.NotificationSent); ok && n.Recipient == "CNIL" {
			recorded = f.RecordedAt
		}
	}
	if !recorded.After(due) {
		t.Fatalf("the CNIL notice was recorded at %s, not after its due time", recorded)
	}
	want := domain.FormatDuration(recorded.Sub(due))

	art33 := func(where string, obs []domain.Obligation) {
		t.Helper()
		for _, o := range obs {
			if o.ID == "gdpr-art33" {
				if o.Status != domain.StatusMet || !o.DueAt.Equal(due) || o.RecordedLateBy != want {
					t.Errorf("%s: gdpr-art33 = %s due %s recorded late by %q; want met due %s, %q", where, o.Status, o.DueAt, o.RecordedLateBy, due, want)
				}
				return
			}
		}
		t.Errorf("%s: no gdpr-art33", where)
	}

	var d struct {
		Deadlines []projections.DeadlineRow `json:"deadlines"`
	}
	e.ok("/v1/deadlines", &d) // the kept read models
	var obs []domain.Obligation
	for _, r := range d.Deadlines {
		obs = append(obs, r.Obligation)
	}
	art33("/v1/deadlines", obs)
	e.ok("/v1/deadlines?as_of=2025-06-01T00:00:00Z", &d) // rebuilt from the log
	obs = obs[:0]
	for _, r := range d.Deadlines {
		obs = append(obs, r.Obligation)
	}
	art33("/v1/deadlines?as_of=2025-06-01T00:00:00Z", obs)

	var show projections.IncidentView
	e.ok("/v1/incidents/A", &show)
	art33("/v1/incidents/A", show.Obligations)

	var rep projections.IncidentReport
	e.ok("/v1/incidents/A/report", &rep)
	obs = obs[:0]
	for _, o := range rep.Obligations {
		obs = append(obs, o.Obligation)
	}
	art33("/v1/incidents/A/report", obs)
	phrase := "recorded " + want + " after due"
	for _, format := range []string{"md", "html", "csv"} {
		if _, body := e.do("GET", "/v1/incidents/A/report?format="+format, goodToken); !strings.Contains(string(body), phrase) {
			t.Errorf("the report as %s does not say %q", format, phrase)
		}
	}

	var reg struct {
		Entries []projections.RegisterEntry `json:"entries"`
	}
	e.ok("/v1/register", &reg)
	found := false
	for _, en := range reg.Entries {
		for _, o := range en.Obligations {
			if o.ID == "gdpr-art33" {
				found = true
				if o.Status != domain.StatusMet || o.RecordedLateBy != want {
					t.Errorf("/v1/register: gdpr-art33 = %s recorded late by %q, want met, %q", o.Status, o.RecordedLateBy, want)
				}
			}
		}
	}
	if !found {
		t.Errorf("/v1/register: no gdpr-art33")
	}

	var period projections.PeriodReport
	e.ok("/v1/reports/period?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", &period)
	if len(period.RecordedLate) != 1 || period.RecordedLate[0].Obligation != "gdpr-art33" || period.RecordedLate[0].RecordedLateBy != want {
		t.Errorf("/v1/reports/period: recorded after due = %+v, want gdpr-art33 %q", period.RecordedLate, want)
	}
}
