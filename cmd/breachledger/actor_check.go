package main

import (
	"unicode/utf8"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/safetext"
)

// maxActorLength is the longest actor name a writer may give.
const maxActorLength = 256

// checkActor refuses an actor name that the ledger could not show or match
// reliably: invalid UTF-8, control characters (NUL among them), bidi or
// zero-width characters (safetext.Forbidden), or over maxActorLength bytes.
// A name entering the ledger must also match domain.ActorNamePattern (rule
// actor-name); a selection is only checked here, so a name stored before
// that rule still acts. The actor goes into every event's envelope, which
// the domain's text checks do not see.
func checkActor(a string) error {
	switch {
	case !utf8.ValidString(a):
		return usagef("--actor: the name is not valid UTF-8")
	case len(a) > maxActorLength:
		return usagef("--actor: a name of %d bytes is over the %d-byte limit", len(a), maxActorLength)
	}
	for _, r := range a {
		if safetext.Forbidden(r) {
			return usagef("--actor %s: the name contains a NUL, another control, a bidi or a zero-width character (%U); actor names match %s", safetext.Quote(a), r, domain.ActorNamePattern)
		}
	}
	return nil
}
