package domain

import "strings"

// LedgerStream is the stream that holds ledger events: initialisation,
// roles and settings.
const LedgerStream = "ledger"

const incidentPrefix = "incident-"

// IncidentStream returns the stream of incident id.
func IncidentStream(id string) string { return incidentPrefix + id }

// IncidentID returns the incident ID of an incident stream, and false for
// any other stream.
func IncidentID(stream string) (string, bool) {
	id, ok := strings.CutPrefix(stream, incidentPrefix)
	return id, ok && id != ""
}
