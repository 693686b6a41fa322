// Package keyserver is a team's key server (crypto-shredding, issue 25):
// one process holds the key store (a keystore.File and its key-encryption
// key) and hands an incident's data keys to the callers the ledger allows;
// everyone else runs a Client, which implements keystore.Store, so a reader
// without access sees "[sealed]" exactly as one without a key store does.
//
// # Protocol
//
// HTTP/1.1 over a Unix socket: each call is one POST to /v1/keys whose
// body is an Envelope: a Request (JSON) and an SSHSIG signature over its
// exact bytes in the namespace Namespace, made with the caller's SSH key
// (the one that signs their events). The answer is a Response (JSON). The
// server refuses, naming the rule (RuleError), in this order:
//
//   - key-server-peer: the connecting process's uid (SO_PEERCRED, read by
//     the kernel, not sent by the caller) is not one the server allows: its
//     own, and those given to it (Options.UIDs);
//   - key-server-signature: the signature does not verify over the request,
//     or its key is not registered, active, to the request's actor in the
//     ledger's signer registry as it stands at the call;
//   - key-server-stale: the request's time is more than Options.Window from
//     the server's clock;
//   - key-server-replay: the request's nonce was seen before (the server
//     remembers every nonce while its time is within the window, so a
//     request is taken once);
//   - key-server-role: the actor's roles, in the ledger now, do not allow
//     the operation (Rules);
//   - key-server-shred: destroying keys (Destroy, FinishPending) without a
//     DataShredded event in the ledger that forgets them, recorded and
//     signed by someone who may shred: the server reads the ledger itself,
//     never the caller's word. CancelPending is refused once the
//     DataShredded is in the ledger (its keys are due to go).
//
// Key bytes travel in the clear over the socket: a Unix socket never leaves
// the host, and only the uids allowed may connect.
package keyserver

import (
	"encoding/json"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/keystore"
)

// Namespace is the SSHSIG namespace of requests to a key server: a
// signature over an event (integrity.Namespace) is never taken for one,
// nor the other way round.
const Namespace = "breachledger-keys@v1"

// Path is the HTTP path of every call.
const Path = "/v1/keys"

// The operations, one per keystore.Store method.
const (
	OpGet     = "get"
	OpCreate  = "create"
	OpKey     = "key"
	OpList    = "list"
	OpDestroy = "destroy"
	OpMark    = "mark-pending"
	OpPending = "pending"
	OpFinish  = "finish-pending"
	OpCancel  = "cancel-pending"
	OpLive    = "live-keys" // keystore.BatchStore's LiveKeys
)

// A Request is one call, signed whole by the caller.
type Request struct {
	Op    string    `json:"op"`
	Actor string    `json:"actor"`
	Time  time.Time `json:"time"`
	Nonce string    `json:"nonce"` // 16 random bytes, base64: a request is taken once

	Scope    keystore.Scope `json:"scope,omitzero"`     // get, create
	ID       string         `json:"id,omitempty"`       // key
	Incident string         `json:"incident,omitempty"` // list
	By       string         `json:"by,omitempty"`       // destroy: the DataShredded event
	IDs      []string       `json:"ids,omitempty"`      // destroy, mark-pending, live-keys
	Event    string         `json:"event,omitempty"`    // mark-pending, cancel-pending
	// Events are, for finish-pending, the intents' events the caller found
	// in the ledger: the server finishes those its own reading confirms.
	Events []string `json:"events,omitempty"`
}

// An Envelope carries a request's exact bytes and the caller's SSHSIG
// signature over them (wire format).
type Envelope struct {
	Request   json.RawMessage `json:"request"`
	Signature []byte          `json:"signature"`
}

// A Response answers a call: its result, or Error.
type Response struct {
	Key     []byte             `json:"key,omitempty"`
	Keys    map[string][]byte  `json:"keys,omitempty"` // live-keys: by ID
	Infos   []keystore.Info    `json:"infos,omitempty"`
	Pending []keystore.Pending `json:"pending,omitempty"`
	Error   *WireError         `json:"error,omitempty"`
}

// The kinds of WireError.
const (
	KindNotFound  = "not-found" // keystore.ErrNotFound
	KindDestroyed = "destroyed" // keystore.ErrDestroyed
	KindRefused   = "refused"   // a rule: Rule and Hint say which and what to do
	KindInvalid   = "invalid"   // a malformed request
	KindInternal  = "internal"
)

// A WireError is a failure as the client receives it.
type WireError struct {
	Kind    string `json:"kind"`
	Rule    string `json:"rule,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// Rules says which roles may call each operation, in order. Reading a key
// (get, key) and listing keys: the roles that may read incidents' personal
// data (live-keys too, many at once), that is every role that records
// incident facts, and admin; not
// auditor (an auditor is given the record without the personal data,
// README), unless also granted one of those. Creating a key: the roles
// that may record an incident's facts (those of "note", the widest).
// Recording, finishing and cancelling a destruction, destroying keys and
// listing pending destructions: those of "shred" (legal, admin).
func Rules() map[string][]domain.Role {
	writers := domain.RolesFor(domain.CmdNote)
	readers := append(append([]domain.Role(nil), writers...), domain.RoleAdmin)
	shred := domain.RolesFor(domain.CmdShred)
	return map[string][]domain.Role{
		OpGet: readers, OpKey: readers, OpLive: readers, OpList: readers,
		OpCreate:  writers,
		OpDestroy: shred, OpMark: shred, OpPending: shred, OpFinish: shred, OpCancel: shred,
	}
}
