package readmodel

import (
	"strings"

	"github.com/breachledger/breachledger/domain"
)

// calendarsMeta is what the kept views' rm_meta says they were evaluated
// on: the frozen calendar versions this binary knows. The user calendar is
// not local state any more: it is recorded on the ledger (CalendarSet) and
// folded like the settings (movesClocks), so two readers of one ledger keep
// the same rows whatever calendar files they have.
func calendarsMeta() string {
	var names []string
	for _, v := range domain.CalendarVersions() {
		names = append(names, v.Name)
	}
	return "frozen " + strings.Join(names, ",")
}

// movesClocks reports whether a ledger-stream fact can move the clocks of
// every incident: a settings change or a recorded user calendar.
func movesClocks(f domain.Fact) bool {
	switch f.Event.(type) {
	case domain.SettingChanged, domain.CalendarSet:
		return true
	}
	return false
}
