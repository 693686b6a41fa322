package ledger

import "github.com/segmentio/ksuid"

// NewIncidentID returns a new incident ID: a KSUID, time-sortable and easy
// to copy and paste.
func NewIncidentID() string { return ksuid.New().String() }
