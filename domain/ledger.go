package domain

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Ledger is the state of the ledger stream: who holds which role, and the
// ledger's settings.
type Ledger struct {
	Initialized bool                     `json:"initialized"`
	Name        string                   `json:"name"`
	Roles       map[string]map[Role]bool `json:"-"`
	Settings    Settings                 `json:"settings"`
	Signers     Signers                  `json:"-"` // keys actors sign with, and the signature policy (signers.go)
	Tokens      Tokens                   `json:"-"` // API tokens for read-only HTTP, by hash (tokens.go)
	Witnesses   Witnesses                `json:"-"` // witnesses the ledger's checkpoints are submitted to (witnesses.go)
	Custody     Custody                  `json:"-"` // records written around breachledger, rejected or accepted (custody.go)

	notary      *Notary // the notary, once appointed (notary.go)
	signed      bool    // in signed mode (signedmode.go)
	signedSince uint64  // the sequence from which every event is signed
}

// NewLedger returns the state of a ledger that was never initialised.
func NewLedger() Ledger {
	return Ledger{Roles: map[string]map[Role]bool{}, Settings: DefaultSettings()}
}

// Has reports whether actor holds role.
func (l Ledger) Has(actor string, role Role) bool { return l.Roles[actor][role] }

// HasAny reports whether actor holds at least one of roles.
func (l Ledger) HasAny(actor string, roles []Role) bool {
	for _, r := range roles {
		if l.Has(actor, r) {
			return true
		}
	}
	return false
}

// RolesOf returns actor's roles in the order of Roles.
func (l Ledger) RolesOf(actor string) []Role {
	var out []Role
	for _, r := range Roles() {
		if l.Has(actor, r) {
			out = append(out, r)
		}
	}
	return out
}

// Actors returns every actor that holds at least one role, sorted.
func (l Ledger) Actors() []string {
	var out []string
	for a, rs := range l.Roles {
		if len(rs) > 0 {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

func (l *Ledger) apply(f Fact) {
	if l.Roles == nil {
		l.Roles = map[string]map[Role]bool{}
	}
	switch e := f.Event.(type) {
	case LedgerInitialized:
		l.Initialized, l.Name = true, e.Name
		l.Settings.start = f.At // the defaults are in force from here
		l.grant(e.Admin, RoleAdmin)
		if e.Signed {
			l.signed, l.signedSince = true, f.Sequence
		}
	case RoleGranted:
		l.grant(e.Actor, e.Role)
	case RoleRevoked:
		delete(l.Roles[e.Actor], e.Role)
	case SettingChanged:
		if c, ok := changeOf(f, e); ok {
			l.Settings.record(c) // in force from its business time (settings_history.go)
		}
	case CalendarSet:
		l.Settings.calendars = l.Settings.calendars.with(f, e) // calendar_user.go
	case SignerRegistered, SignerRevoked, SignaturePolicySet:
		l.Signers.apply(f)
		if p, ok := e.(SignaturePolicySet); ok && p.All && !l.signed {
			l.signed, l.signedSince = true, f.Sequence
		}
	case APITokenIssued, APITokenRevoked:
		l.Tokens.apply(f)
	case WitnessAdded, WitnessRemoved:
		l.Witnesses.apply(f)
	case ForeignEventRejected, LegacyTailAccepted:
		l.Custody.apply(f)
	case NotaryAppointed:
		if l.notary == nil {
			l.notary = &Notary{NotaryAppointed: e, Appointed: f.ref()}
		}
	}
}

func (l *Ledger) grant(actor string, r Role) {
	if l.Roles[actor] == nil {
		l.Roles[actor] = map[Role]bool{}
	}
	l.Roles[actor][r] = true
}

// Settings are the ledger's organisational choices, set by admin events.
// Each change is in force from its business time: At gives the settings in
// force at an instant, and an obligation is computed with those in force at
// its anchor (settings_history.go).
type Settings struct {
	// CustomerNoticeWindow is the processor's commitment: customer notices
	// are delivered no more than this long after the CRSPI declaration.
	CustomerNoticeWindow time.Duration `json:"customer_notice_window"`
	// Art34Target is the organisation's target for telling data subjects
	// of a high-risk breach (GDPR Art. 34(1) says "without undue delay").
	Art34Target time.Duration `json:"art34_target"`
	// DueSoonWindow: an open obligation due within this window is "due-soon".
	DueSoonWindow time.Duration `json:"due_soon_window"`
	// NotaryLag is how long an event may wait for the notary's checkpoint
	// before readers and verify call it a failure, not lag (notary mode).
	NotaryLag time.Duration `json:"notary_lag"`
	// BackdateWindow is how far before the moment it is recorded a fact
	// may be dated without a late-entry reason (businesstime.go).
	BackdateWindow time.Duration `json:"backdate_window"`
	// WitnessRefresh is how often the ledger key's holder resubmits the
	// newest checkpoint to the ledger's witnesses even without new events,
	// for fresh cosignatures (witnesses.go).
	WitnessRefresh time.Duration `json:"witness_refresh"`
	// RetentionAfterClose is how long a closed incident's sealed personal
	// fields are kept before "shred --due" forgets them; 0 (the default)
	// is off (retention.go, issue 25).
	RetentionAfterClose time.Duration `json:"retention_after_close"`
	// sealPersonal is "seal-personal-data": 1 when on, 0 (the default)
	// when off; SealsPersonalData reads it (shred_setting.go, issue 25).
	sealPersonal time.Duration

	// history is every change, in order of effect, and start the ledger's
	// start: the settings are bitemporal facts (settings_history.go).
	history []settingChange
	start   time.Time

	// calendars are the user calendars recorded by "calendar set", in
	// ledger order (calendar_user.go); obligations count on the one in
	// force at their anchor.
	calendars *userCalendars
}

// DefaultSettings returns a new ledger's settings (a fresh value: nothing
// a caller does to it changes another's defaults).
func DefaultSettings() Settings {
	return Settings{
		CustomerNoticeWindow: 72 * time.Hour,
		Art34Target:          72 * time.Hour,
		DueSoonWindow:        24 * time.Hour,
		NotaryLag:            15 * time.Minute,
		BackdateWindow:       24 * time.Hour,
		WitnessRefresh:       time.Hour,
	}
}

// SettingKeys lists the keys SettingChanged accepts, with what each means
// (a fresh slice on each call).
func SettingKeys() []struct{ Key, Meaning string } {
	return []struct{ Key, Meaning string }{
		{"customer-notice-window", "how long after a CRSPI declaration customer notices are due (default 72h)"},
		{"art34-target", "target for telling data subjects of a high-risk breach, GDPR Art. 34(1) \"without undue delay\" (default 72h)"},
		{"due-soon-window", "an open deadline within this window is shown as due-soon (default 24h)"},
		{"notary-lag", "on a ledger with a notary, how long an event may wait for its checkpoint before it counts as a failure, not lag (default 15m)"},
		{"backdate-window", "how far before the moment it is recorded an incident fact may be dated (--at) without --late-entry-reason (default 24h)"},
		{"witness-refresh", "how often the ledger key's holder (the notary) resubmits the newest checkpoint to the ledger's witnesses even without new events, for fresh cosignatures; auditors verify with --max-age of at least twice this (default 1h)"},
		{sealSettingKey, "on or off: seal the personal fields of the events recorded from then on, so that \"breachledger shred\" can forget them (default off)"},
		{RetentionSettingKey, "how long after its closure an incident's sealed personal fields are kept: \"breachledger shred --due\" forgets them after it, with basis retention; a duration (e.g. 1095d) or off (default off)"},
	}
}

// Value returns the setting of key (one of SettingKeys).
func (s Settings) Value(key string) (time.Duration, bool) {
	field, err := settingField(key)
	if err != nil {
		return 0, false
	}
	return *field(&s), true
}

func parseSetting(key, value string) (func(*Settings), error) {
	field, err := settingField(key)
	if err != nil {
		return nil, err
	}
	d, err := settingValue(key, value)
	if err != nil {
		return nil, &FieldError{Field: "value", Value: value, Problem: err.Error()}
	}
	return func(s *Settings) { *field(s) = d }, nil
}

// settingField returns the field of Settings that key names.
func settingField(key string) (func(*Settings) *time.Duration, error) {
	var field func(*Settings) *time.Duration
	switch key {
	case "customer-notice-window":
		field = func(s *Settings) *time.Duration { return &s.CustomerNoticeWindow }
	case "art34-target":
		field = func(s *Settings) *time.Duration { return &s.Art34Target }
	case "due-soon-window":
		field = func(s *Settings) *time.Duration { return &s.DueSoonWindow }
	case "notary-lag":
		field = func(s *Settings) *time.Duration { return &s.NotaryLag }
	case "backdate-window":
		field = func(s *Settings) *time.Duration { return &s.BackdateWindow }
	case "witness-refresh":
		field = func(s *Settings) *time.Duration { return &s.WitnessRefresh }
	case sealSettingKey: // on or off, not a duration (shred_setting.go)
		field = func(s *Settings) *time.Duration { return &s.sealPersonal }
	case RetentionSettingKey: // a duration or off (shred_setting.go)
		field = func(s *Settings) *time.Duration { return &s.RetentionAfterClose }
	default:
		keys := make([]string, len(SettingKeys()))
		for i, k := range SettingKeys() {
			keys[i] = k.Key
		}
		return nil, &FieldError{Field: "key", Value: key, Problem: "unknown setting", Allowed: keys}
	}
	return field, nil
}

var daysRE = lazyRE(`^(\d+)d(.*)$`)

// ParseDuration parses a positive duration: Go's syntax ("72h", "90m",
// "1h30m") plus whole days ("3d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	rest := s
	if m := daysRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 36500 {
			return 0, fmt.Errorf("days out of range in %q", s)
		}
		d, rest = time.Duration(n)*24*time.Hour, m[2]
	}
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("not a duration (use e.g. 72h, 90m, 3d): %q", s)
		}
		d += r
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be a positive duration (e.g. 72h, 3d): %q", s)
	}
	if d < time.Second { // FormatDuration writes whole seconds: "1ms" would come back as "0s"
		return 0, fmt.Errorf("must be at least one second: %q", s)
	}
	if d > 36500*24*time.Hour { // as for days: however written (FormatDuration writes days)
		return 0, fmt.Errorf("over 100 years in %q", s)
	}
	return d, nil
}

// FormatDuration writes d the way ParseDuration reads it: in hours and
// minutes below a week ("72h", "90m", "1h30m"), with whole days from a week
// up ("7d", "30d12h").
func FormatDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	days := d / (24 * time.Hour)
	if days < 7 {
		days = 0
	}
	rest := d - days*24*time.Hour
	var s string
	switch {
	case days > 0 && rest == 0:
		s = fmt.Sprintf("%dd", days)
	case days > 0:
		s = fmt.Sprintf("%dd%s", days, trimZeroUnits(rest))
	default:
		s = trimZeroUnits(rest)
	}
	if neg {
		return "-" + s
	}
	return s
}

func trimZeroUnits(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalJSON writes durations as ParseDuration reads them.
func (s Settings) MarshalJSON() ([]byte, error) {
	keys := []string{"customer_notice_window", "art34_target", "due_soon_window", "notary_lag"}
	vals := []time.Duration{s.CustomerNoticeWindow, s.Art34Target, s.DueSoonWindow, s.NotaryLag}
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%q", k, FormatDuration(vals[i]))
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// writerRoles are the roles that may record facts on an incident; auditors
// and admins (as such) read only.
func writerRoles() []Role {
	return []Role{RoleResponder, RoleSecurityResponse, RoleIncidentManager, RoleSecurityIncidentManager, RoleLegal, RoleExecutiveIM}
}

func roleList(rs []Role) string {
	return strings.Join(names(slices.Clone(rs)), ", ")
}
