package main

import (
	"unicode"
	"unicode/utf8"
)

// maxActorLength is the longest actor name a writer may give.
const maxActorLength = 256

// checkActor refuses an actor name that the ledger could not show or match
// reliably: invalid UTF-8, control characters (NUL among them), or over
// maxActorLength bytes. The actor goes into every event's envelope, which
// the domain's text checks do not see.
func checkActor(a string) error {
	switch {
	case !utf8.ValidString(a):
		return usagef("--actor: the name is not valid UTF-8")
	case len(a) > maxActorLength:
		return usagef("--actor: a name of %d bytes is over the %d-byte limit", len(a), maxActorLength)
	}
	for _, r := range a {
		if unicode.IsControl(r) {
			return usagef("--actor %q: the name contains a NUL or another control character", a)
		}
	}
	return nil
}
