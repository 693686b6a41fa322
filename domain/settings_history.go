package domain

import (
	"slices"
	"strings"
	"time"
)

// Settings are bitemporal facts (issue 17). A SettingChanged takes effect
// at its business time (--at; by default the moment it is recorded), and
// Settings keeps every change with that instant, so that:
//
//   - each obligation is computed with the settings in force at its
//     anchor's business time (the CRSPI declaration for customer-notice,
//     the high-risk determination for art34-target, ...): a change applies
//     to incidents whose anchors come after it, never to those before it;
//   - a change dated before the moment it is recorded (setting --at T)
//     needs a reason (rule setting-backdated-needs-reason) and takes
//     effect at T, but never re-judges a closed incident: an incident that
//     is closed (its latest IncidentClosed not followed by a reopening, as
//     the reader's cut sees it) is judged without the changes recorded
//     after that closure was recorded. It keeps the settings it was closed
//     under; reopened, it is judged with every change again;
//   - the defaults (DefaultSettings) are in force from the ledger's start,
//     before any change.
//
// Settings' exported fields are the values in force at the latest instant
// its history reaches (what "breachledger settings" shows); At gives the
// values in force at any instant.

// SettingBackdateGrace is how far before now a setting's --at may be and
// still count as now: writers date a fact to the second, and the notary
// decides a recorded setting again at its recorded time (Redecide). A
// setting dated further back is backdated and needs a reason.
const SettingBackdateGrace = time.Minute

// settingChange is one SettingChanged, as the ledger fold records it.
type settingChange struct {
	key      string
	value    time.Duration
	since    time.Time // business time: when it takes effect
	recorded time.Time // when the ledger recorded it (zero: unknown)
	event    string    // the SettingChanged's event ID
}

// SettingApplied is the value of a ledger setting an obligation was
// computed with, and since when that value is in force.
type SettingApplied struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	// Since is when the value took effect: the business time of the
	// SettingChanged, or, for a default, the ledger's start (zero when
	// the ledger's start is not known).
	Since   time.Time `json:"since,omitzero"`
	Default bool      `json:"default,omitempty"` // no change was in force: the default value
	Event   string    `json:"event,omitempty"`   // the SettingChanged that set it
}

// String is how show and reports name the setting:
// "customer-notice-window 72h (default, in force since 2025-01-01T00:00:00Z)".
func (a SettingApplied) String() string {
	var b strings.Builder
	b.WriteString(a.Key + " " + a.Value + " (")
	if a.Default {
		b.WriteString("default, ")
	}
	if a.Since.IsZero() {
		b.WriteString("in force since the ledger's start)")
	} else {
		b.WriteString("in force since " + stamp(a.Since) + ")")
	}
	return b.String()
}

// record adds a change that takes effect at since, keeping the history in
// order of effect (changes that take effect at the same instant stay in
// ledger order: the later recorded wins), and sets the exported fields to
// the values in force at the end of the history.
func (s *Settings) record(c settingChange) {
	i := len(s.history)
	for i > 0 && s.history[i-1].since.After(c.since) {
		i--
	}
	s.history = slices.Insert(slices.Clone(s.history), i, c)
	*s = s.latest()
}

// latest returns s with the exported fields in force after every change.
func (s Settings) latest() Settings {
	out := DefaultSettings()
	out.history, out.start = s.history, s.start
	out.calendars = s.calendars // the recorded user calendars (calendar_user.go)
	for _, c := range s.history {
		out.set(c)
	}
	return out
}

func (s *Settings) set(c settingChange) {
	if field, err := settingField(c.key); err == nil {
		*field(s) = c.value
	}
}

// At returns the settings in force at business time t: the defaults, then
// every change that took effect at or before t. The history is kept, so
// At may be called again on the result.
func (s Settings) At(t time.Time) Settings {
	out := DefaultSettings()
	out.history, out.start = s.history, s.start
	out.calendars = s.calendars // the recorded user calendars (calendar_user.go)
	for _, c := range s.history {
		if !c.since.After(t) {
			out.set(c)
		}
	}
	return out
}

// RecordedBy returns s without the changes recorded after rec: what the
// ledger's settings history was when rec was recorded. A change whose
// recorded time is unknown counts as recorded at its business time.
func (s Settings) RecordedBy(rec time.Time) Settings {
	var kept []settingChange
	for _, c := range s.history {
		at := c.recorded
		if at.IsZero() {
			at = c.since
		}
		if !at.After(rec) {
			kept = append(kept, c)
		}
	}
	out := s
	out.history = kept
	return out.latest()
}

// For returns the settings inc is judged under: all of s, except that a
// closed incident (not reopened) is judged without the changes recorded
// after its closure was recorded (a backdated setting never re-judges a
// closed incident).
func (s Settings) For(inc *Incident) Settings {
	if inc == nil || !inc.Closed || len(inc.Closures) == 0 || len(s.history) == 0 {
		return s
	}
	closure := inc.Closures[len(inc.Closures)-1].Ref
	rec := closure.RecordedAt
	if rec.IsZero() {
		rec = closure.At
	}
	return s.RecordedBy(rec)
}

// Applied returns the value of key in force at t and since when.
func (s Settings) Applied(key string, t time.Time) SettingApplied {
	in := s.At(t)
	v, _ := in.Value(key)
	a := SettingApplied{Key: key, Value: formatSetting(key, v), Since: s.start, Default: true}
	for _, c := range s.history {
		if c.key == key && !c.since.After(t) {
			a.Since, a.Default, a.Event = c.since, false, c.event
		}
	}
	return a
}

// Changes returns the recorded changes of key in order of effect (every
// key when key is ""), as SettingApplied values.
func (s Settings) Changes(key string) []SettingApplied {
	var out []SettingApplied
	for _, c := range s.history {
		if key == "" || c.key == key {
			out = append(out, SettingApplied{Key: c.key, Value: formatSetting(c.key, c.value), Since: c.since, Event: c.event})
		}
	}
	return out
}

// checkSettingTime refuses a setting dated more than SettingBackdateGrace
// before now without a reason, and one dated before the ledger's start.
func checkSettingTime(s *State, c ChangeSetting, by By, now time.Time) error {
	if _, err := parseSetting(c.Key, c.Value); err != nil {
		return nil // invalid: the event's validation says why (exit 2)
	}
	if start := s.Ledger.Settings.start; !start.IsZero() && by.At.Before(start) {
		return refuse("setting-before-ledger", "give an --at at or after the ledger's start "+stamp(start),
			"the setting %s is dated %s, before the ledger started (%s): the defaults are in force from the start", c.Key, stamp(by.At), stamp(start))
	}
	if now.Sub(by.At) > SettingBackdateGrace && strings.TrimSpace(c.Reason) == "" {
		return refuse("setting-backdated-needs-reason",
			"give --reason saying why it takes effect from then, or leave --at out so that it takes effect now",
			"the setting %s %s is dated %s, %s before now: backdated, it changes the deadlines of open incidents anchored after then (never of closed ones)",
			c.Key, c.Value, stamp(by.At), FormatDuration(now.Sub(by.At).Round(time.Second)))
	}
	return nil
}

// changeOf is the change a SettingChanged fact records, if it is valid.
func changeOf(f Fact, e SettingChanged) (settingChange, bool) {
	if _, err := parseSetting(e.Key, e.Value); err != nil {
		return settingChange{}, false
	}
	d, _ := settingValue(e.Key, e.Value)
	return settingChange{key: e.Key, value: d, since: f.At, recorded: f.RecordedAt, event: f.ID}, true
}
