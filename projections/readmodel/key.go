package readmodel

import "github.com/breachledger/breachledger/internal/viewkey"

// The MAC key. Kept rows are trusted for an answer only under a MAC whose
// key is kept outside the cache, in the user's configuration directory
// (package internal/viewkey has the key and its trust rule). With no
// trusted place for it (ErrNoKey) no views are kept: answer from the log.

// KeyFile is the key's file name in the user's configuration directory
// (under breachledger/).
const KeyFile = viewkey.KeyFile

// ErrNoKey: there is no trusted place for the MAC key (no configuration
// directory, or one that others may write). It is viewkey.ErrNoKey.
var ErrNoKey = viewkey.ErrNoKey

// loadKey returns the MAC key for views kept at path: a fresh key for the
// in-memory views (nothing outlives them), else the user's key file, made
// when missing. fresh says the key was made now: rows kept before cannot
// be under it.
func loadKey(path string) (key []byte, fresh bool, err error) {
	if path == Memory {
		return viewkey.Random(), true, nil
	}
	return viewkey.LoadFresh()
}
