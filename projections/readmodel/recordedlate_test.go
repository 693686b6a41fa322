package readmodel_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// The kept deadline and register rows carry recorded_late_by, the same as
// the views rebuilt from the log: the notice to CNIL is dated
// 2025-03-10T20:00Z, before gdpr-art33's due time (awareness corrected to
// 2025-03-07T22:15Z, + 72 h = 2025-03-10T22:15Z), and the store recorded it
// when the test appended it, long after. Rows kept under the schema before
// (version 2, no recorded_late_by) are folded again.
func TestKeptRowsSayRecordedLate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, step := range steps(f) {
		step()
	}
	due := at("2025-03-10T22:15:00Z")
	var recorded time.Time
	for _, fact := range readHistory(t, f.st).Incidents["A"] {
		if n, ok := fact.Event.(domain.NotificationSent); ok && n.Recipient == "CNIL" {
			recorded = fact.RecordedAt
		}
	}
	if !recorded.After(due) {
		t.Fatalf("the CNIL notice was recorded at %s, not after its due time", recorded)
	}
	want := domain.FormatDuration(recorded.Sub(due))

	asOf := at("2025-06-01T00:00:00Z")
	check := func(k *readmodel.Kept, when string) {
		t.Helper()
		p, err := k.Deadlines(ctx, asOf, projections.DeadlineFilter{Incident: "A"}, readmodel.Page{}, false)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, raw := range p.Deadlines {
			var row struct {
				ID             string `json:"obligation"`
				Status         string `json:"status"`
				RecordedLateBy string `json:"recorded_late_by"`
			}
			if err := json.Unmarshal(raw, &row); err != nil {
				t.Fatal(err)
			}
			if row.ID == "gdpr-art33" {
				found = true
				if row.Status != "met" || row.RecordedLateBy != want {
					t.Errorf("%s: kept gdpr-art33 = %s recorded late by %q, want met, %q", when, row.Status, row.RecordedLateBy, want)
				}
			}
		}
		if !found {
			t.Errorf("%s: no kept gdpr-art33 row", when)
		}
		r, err := k.Register(ctx, asOf, readmodel.Page{}, false)
		if err != nil {
			t.Fatal(err)
		}
		found = false
		for _, raw := range r.Entries {
			var e struct {
				Incident    string `json:"incident"`
				Obligations []struct {
					ID             string `json:"obligation"`
					RecordedLateBy string `json:"recorded_late_by"`
				} `json:"obligations"`
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatal(err)
			}
			for _, o := range e.Obligations {
				if e.Incident == "A" && o.ID == "gdpr-art33" {
					found = true
					if o.RecordedLateBy != want {
						t.Errorf("%s: kept register duty gdpr-art33 recorded late by %q, want %q", when, o.RecordedLateBy, want)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: no kept register duty gdpr-art33", when)
		}
	}

	k := openKept(t, f.st, f.path)
	if _, err := k.CatchUp(ctx, asOf); err != nil {
		t.Fatal(err)
	}
	check(k, "kept")
	k.Close()

	// Make the file look kept by the schema before: version 2, rows
	// without the field.
	db := rawDB(t, f.path)
	if _, err := readmodel.EditKept(db, "rm_deadlines", "incident != ''", func(v map[string]any) bool { // not the head row (mac.go)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(v["row"].([]byte), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "recorded_late_by")
		row, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		v["row"] = row
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE rm_meta SET value = '2' WHERE key = 'version'`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	k = openKept(t, f.st, f.path)
	if k.Position() != 0 {
		t.Errorf("read models of schema version 2 kept at position %d, want 0 (folded again)", k.Position())
	}
	if _, err := k.CatchUp(ctx, asOf); err != nil {
		t.Fatal(err)
	}
	check(k, "folded again after version 2")
}
