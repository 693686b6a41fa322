package domain

import (
	"fmt"
	"time"
)

// Retention of closed incidents' personal data (issue 25). The setting
// retention-after-close is how long an incident's sealed personal fields
// are kept once it is closed; "shred --due" forgets, with basis retention,
// those of every closed incident whose period is over. It is off (0) by
// default: nothing is ever due until an admin sets it.
//
// Unlike the deadline settings, which judge an incident with the values in
// force at its anchor, a retention period governs the data held now: the
// value in force at the shred's business time applies to every closed
// incident, whenever it closed.

// RetentionSettingKey is the key of the retention setting.
const RetentionSettingKey = "retention-after-close"

// RetentionDue is a closed incident whose retention period is over.
type RetentionDue struct {
	Incident string        `json:"incident"`
	ClosedAt time.Time     `json:"closed_at"` // the business time of its closure (the latest)
	Period   time.Duration `json:"-"`         // retention-after-close
	Due      time.Time     `json:"due"`       // ClosedAt + Period
}

// Reason is the reason of the incident's shred, naming the rule:
// "retention: closed on 2025-03-20; retention-after-close 1095d".
func (d RetentionDue) Reason() string {
	return fmt.Sprintf("retention: closed on %s; %s %s", d.ClosedAt.UTC().Format(time.DateOnly), RetentionSettingKey, FormatDuration(d.Period))
}

// DueForRetention decides "shred --due" at business time at: by must hold
// a role that may shred (legal or admin), retention-after-close must be in
// force at at, and the incidents due are those of incs that are closed
// (their latest closure not followed by a reopening) and whose closure's
// business time plus the period is at or before at, in the order of incs.
func DueForRetention(l Ledger, by By, incs []Incident, at time.Time) ([]RetentionDue, error) {
	if err := needRole(&State{Ledger: l}, by, CmdShred); err != nil {
		return nil, err
	}
	period, _ := l.Settings.At(at).Value(RetentionSettingKey)
	if period <= 0 {
		return nil, refuse("retention-not-set",
			`an admin sets the period first ("breachledger setting retention-after-close 1095d"), or forget one closed incident with "breachledger shred INCIDENT --basis retention --reason ..."`,
			"shred --due forgets the closed incidents whose retention period is over, and no %s is in force at %s", RetentionSettingKey, stamp(at))
	}
	var out []RetentionDue
	for _, inc := range incs {
		if !inc.Exists || !inc.Closed || len(inc.Closures) == 0 {
			continue
		}
		closed := inc.Closures[len(inc.Closures)-1].At.UTC()
		if due := closed.Add(period); !due.After(at) {
			out = append(out, RetentionDue{Incident: inc.ID, ClosedAt: closed, Period: period, Due: due})
		}
	}
	return out, nil
}
