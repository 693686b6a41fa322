// Package esdburl says whether a ledger location names an EventStoreDB
// ledger and writes one for messages, without its password. It depends on
// the standard library only, so a binary built without the EventStoreDB
// client (package stores, -tags noesdb) names such locations as the
// adapter does.
package esdburl

import "strings"

// IsLocation reports whether location names an EventStoreDB ledger (an
// esdb:// or esdb+discover:// connection string).
func IsLocation(location string) bool {
	return strings.HasPrefix(location, "esdb://") || strings.HasPrefix(location, "esdb+discover://")
}

// Redact returns location with the password of its credentials, if any,
// replaced by "xxxxx", for messages.
func Redact(location string) string {
	scheme, rest, ok := strings.Cut(location, "://")
	if !ok {
		return location
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return location
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return location
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}
