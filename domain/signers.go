package domain

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Actor signatures. An actor may sign an event's content envelope with an
// SSH key (the envelope and the cryptography are package integrity's). Which
// key belongs to whom, and since and until when, is recorded by ledger
// events, so a signature is judged as of the event's place in the log: a
// key signs validly from the event that registers it until the event that
// revokes it. A policy event names the event kinds that must be signed.
//
// Once an admin has a registered key, every later ledger event (roles,
// settings, signers, policy) must be signed too: someone who can write to
// the ledger, even with the ledger's checkpoint key, then cannot register a
// key of their own for an actor, or relax the policy, without an admin's
// SSH key.

// SignerRegistered registers an SSH public key with which Actor signs.
type SignerRegistered struct {
	Actor       string `json:"actor"`
	Key         string `json:"key"`         // authorized_keys form: "ssh-ed25519 AAAA..."
	Fingerprint string `json:"fingerprint"` // "SHA256:...", as ssh-keygen -l prints it
	Reason      string `json:"reason,omitempty"`
}

// SignerRevoked revokes a key: signatures with it on events recorded after
// this one are refused; those before stand.
type SignerRevoked struct {
	Actor       string `json:"actor"`
	Fingerprint string `json:"fingerprint"`
	Reason      string `json:"reason"`
}

// SignaturePolicySet sets which event kinds must be signed, replacing the
// previous policy. An empty list requires none. A policy that requires any
// fact that moves a deadline also requires every other (ClockTypes): Decide
// stores that closure, so the stored list is the whole policy.
//
// All switches the ledger to signed mode: from this event on, every event
// of every kind must be signed (Ledger.SignedSince). The switch is one-way:
// no later policy relaxes it.
type SignaturePolicySet struct {
	Required []string `json:"required"` // stored event type names
	All      bool     `json:"all,omitempty"`
	Reason   string   `json:"reason,omitempty"`
}

func (SignerRegistered) isEvent()   {}
func (SignerRevoked) isEvent()      {}
func (SignaturePolicySet) isEvent() {}

var fingerprintRE = lazyRE(`^SHA256:[A-Za-z0-9+/]{43}$`)

func checkFingerprint(fs *fields, fp string) {
	if !fingerprintRE.MatchString(fp) {
		fs.problem("fingerprint", fp, `must be an SSH SHA-256 fingerprint ("SHA256:" and 43 base64 characters, as ssh-keygen -l prints it)`)
	}
}

func (e SignerRegistered) validate(fs *fields) {
	fs.require("actor", e.Actor)
	fs.require("key", e.Key)
	checkFingerprint(fs, e.Fingerprint)
}

func (e SignerRevoked) validate(fs *fields) {
	fs.require("actor", e.Actor)
	checkFingerprint(fs, e.Fingerprint)
	fs.require("reason", e.Reason)
}

func (e SignaturePolicySet) validate(fs *fields) {
	for _, t := range e.Required {
		if _, ok := newEvent(t); !ok || t == "LedgerInitialized" {
			fs.add(&FieldError{Field: "require", Value: t, Problem: "not an event kind that can be signed", Allowed: SignableTypes()})
		}
	}
}

// SignableTypes returns the event types a policy may require to be signed:
// every type but LedgerInitialized, sorted.
func SignableTypes() []string {
	var out []string
	for _, t := range EventTypes() {
		if t != "LedgerInitialized" {
			out = append(out, t)
		}
	}
	return out
}

// Commands.

// RegisterSigner registers an SSH key for Actor (admin). The caller parses
// the key and computes its fingerprint; the domain does no cryptography.
type RegisterSigner struct {
	By
	Actor, Key, Fingerprint, Reason string
}

// RevokeSigner revokes one of Actor's keys (admin, or Actor).
type RevokeSigner struct {
	By
	Actor, Fingerprint, Reason string
}

// RotateSigner registers a new key for Actor and revokes an old one, in one
// append (admin, or Actor).
type RotateSigner struct {
	By
	Actor, Old, Key, Fingerprint, Reason string
}

// SetSignaturePolicy sets the event kinds that must be signed (admin). All
// switches the ledger to signed mode (every event signed, for good); the
// command must then itself be signed.
type SetSignaturePolicy struct {
	By
	Required []string
	All      bool
	Reason   string
}

// State.

// SignerKey is one registered key and its history.
type SignerKey struct {
	Actor        string `json:"actor"`
	Key          string `json:"key"`
	Fingerprint  string `json:"fingerprint"`
	Registered   Ref    `json:"registered"`
	Revoked      *Ref   `json:"revoked,omitempty"`
	RevokeReason string `json:"revoke_reason,omitempty"`
}

// Active reports whether the key may sign.
func (k SignerKey) Active() bool { return k.Revoked == nil }

// Signers is the signer registry and the signature policy, folded from the
// ledger stream.
type Signers struct {
	keys     map[string]*SignerKey // by fingerprint
	order    []string              // fingerprints in order of registration
	required map[string]bool
	Policy   *Ref `json:"policy,omitempty"` // the event that set the policy in force
}

// Key returns the key registered with fingerprint fp.
func (s Signers) Key(fp string) (SignerKey, bool) {
	k, ok := s.keys[fp]
	if !ok {
		return SignerKey{}, false
	}
	return *k, true
}

// Keys returns every registered key, in order of registration.
func (s Signers) Keys() []SignerKey {
	out := make([]SignerKey, 0, len(s.order))
	for _, fp := range s.order {
		out = append(out, *s.keys[fp])
	}
	return out
}

// Required returns the event types that must be signed, sorted.
func (s Signers) Required() []string {
	out := make([]string, 0, len(s.required))
	for t, ok := range s.required {
		if ok {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Signers) apply(f Fact) {
	if s.keys == nil {
		s.keys = map[string]*SignerKey{}
	}
	switch e := f.Event.(type) {
	case SignerRegistered:
		if _, dup := s.keys[e.Fingerprint]; dup {
			return
		}
		s.keys[e.Fingerprint] = &SignerKey{Actor: e.Actor, Key: e.Key, Fingerprint: e.Fingerprint, Registered: f.ref()}
		s.order = append(s.order, e.Fingerprint)
	case SignerRevoked:
		if k, ok := s.keys[e.Fingerprint]; ok && k.Revoked == nil {
			r := f.ref()
			k.Revoked, k.RevokeReason = &r, e.Reason
		}
	case SignaturePolicySet:
		s.required = map[string]bool{}
		for _, t := range e.Required {
			s.required[t] = true
		}
		r := f.ref()
		s.Policy = &r
	}
}

// EvolveLedger returns the ledger after f (a fact of the ledger stream):
// the ledger counterpart of Evolve, for folding a log one event at a time.
// Like ReplayLedger, it shares maps with l.
func EvolveLedger(l Ledger, f Fact) Ledger {
	l.apply(f)
	return l
}

// ledgerEventTypes are the ledger-stream events that must be signed once an
// admin holds a registered key.
func ledgerEventTypes() []string {
	return []string{"RoleGranted", "RoleRevoked", "SettingChanged", "CalendarSet", "SignerRegistered", "SignerRevoked", "SignaturePolicySet", "APITokenIssued", "APITokenRevoked", "WitnessAdded", "WitnessRemoved", "ForeignEventRejected", "LegacyTailAccepted", "NotaryAppointed"}
}

// adminKeyed reports whether an actor who holds admin has an active key.
func (l Ledger) adminKeyed() bool {
	for _, k := range l.Signers.keys {
		if k.Active() && l.Has(k.Actor, RoleAdmin) {
			return true
		}
	}
	return false
}

// SignatureRequired reports whether an event of type typ must be signed as
// of l, and why: on a ledger in signed mode, every event; else the types
// the policy names, and ledger events once an admin holds a key.
func SignatureRequired(l Ledger, typ string) (bool, string) {
	if since, ok := l.SignedSince(); ok {
		return true, fmt.Sprintf("the ledger is in signed mode (since seq %d): every event must be signed by its author's registered key", since)
	}
	if l.Signers.required[typ] {
		return true, fmt.Sprintf("the signature policy requires %s events to be signed", typ)
	}
	if slices.Contains(ledgerEventTypes(), typ) && l.adminKeyed() {
		return true, fmt.Sprintf("an admin has a registered key, so ledger events (%s) must be signed", typ)
	}
	return false, ""
}

// signHint is what an unsigned author must do where a signature is required.
const signHint = `sign with --sign-key FILE or --ssh-agent, using a key registered for you ("breachledger signer register")`

// CheckSigner judges, as of l, an event of type typ recorded by actor and
// signed with the key of fingerprint signer ("" when unsigned): the key
// must be registered to actor and not revoked, and an unsigned event must
// not be of a kind that must be signed. It returns a *RuleError. It does no
// cryptography: whether the signature itself verifies is the caller's check.
func CheckSigner(l Ledger, typ, actor, signer string) error {
	if signer == "" {
		if req, why := SignatureRequired(l, typ); req {
			return refuse("signature-required", signHint,
				"%s; %s did not sign", why, actor)
		}
		return nil
	}
	k, ok := l.Signers.keys[signer]
	switch {
	case !ok:
		return refuse("signer-unknown", `register the key first ("breachledger signer register ACTOR KEY.pub", by an admin)`,
			"key %s is not registered", signer)
	case k.Actor != actor:
		return refuse("signer-not-yours", "sign with a key registered for "+actor,
			"key %s is registered to %s, not %s", signer, k.Actor, actor)
	case !k.Active():
		return refuse("signer-revoked", "sign with an active key (see \"breachledger signer list\")",
			"key %s of %s was revoked (event %s, %s): %s", signer, actor, k.Revoked.EventID, stamp(k.Revoked.At), k.RevokeReason)
	}
	return nil
}

func checkSignatures(l Ledger, by By, events []Event) error {
	for _, e := range events {
		if err := CheckSigner(l, TypeOf(e), by.Actor, by.Signer); err != nil {
			return err
		}
	}
	return nil
}

func decideSigners(s *State, c Command, by By) ([]Event, error) {
	l := s.Ledger
	adminOrSelf := func(verb, actor string) error {
		if l.Has(by.Actor, RoleAdmin) || by.Actor == actor {
			return nil
		}
		return refuse("signer-role", "ask an admin, or the key's own actor", "%s may %s only their own keys; %s holds %s", by.Actor, verb, by.Actor, rolesOrNone(l, by.Actor))
	}
	admin := func(rule string) error {
		if l.Has(by.Actor, RoleAdmin) {
			return nil
		}
		return refuse(rule, "ask an admin", "%s needs the admin role; %s holds %s", strings.TrimSuffix(rule, "-role"), by.Actor, rolesOrNone(l, by.Actor))
	}
	register := func(actor, key, fp, reason string) (Event, error) {
		if k, ok := l.Signers.Key(fp); ok {
			state := "registered"
			if !k.Active() {
				state = "revoked; a revoked key is never registered again"
			}
			return nil, refuse("signer-exists", "use another key", "key %s is already %s (for %s)", fp, state, k.Actor)
		}
		return SignerRegistered{Actor: actor, Key: key, Fingerprint: fp, Reason: reason}, nil
	}
	revoke := func(actor, fp, reason string) (Event, error) {
		k, ok := l.Signers.Key(fp)
		switch {
		case !ok || k.Actor != actor:
			return nil, &NotFoundError{What: "signer key", ID: fp, Hint: fmt.Sprintf(`list %s's keys with "breachledger signer list"`, actor)}
		case !k.Active():
			return nil, refuse("signer-revoked", "nothing to do", "key %s of %s is already revoked", fp, actor)
		}
		return SignerRevoked{Actor: actor, Fingerprint: fp, Reason: reason}, nil
	}
	switch c := c.(type) {
	case RegisterSigner:
		if err := admin("signer-register-role"); err != nil {
			return nil, err
		}
		if err := checkNewActorName("signer", c.Actor); err != nil {
			return nil, err
		}
		e, err := register(c.Actor, c.Key, c.Fingerprint, c.Reason)
		if err != nil {
			return nil, err
		}
		return []Event{e}, nil
	case RevokeSigner:
		if err := adminOrSelf("revoke", c.Actor); err != nil {
			return nil, err
		}
		e, err := revoke(c.Actor, c.Fingerprint, c.Reason)
		if err != nil {
			return nil, err
		}
		return []Event{e}, nil
	case RotateSigner:
		if err := adminOrSelf("rotate", c.Actor); err != nil {
			return nil, err
		}
		reg, err := register(c.Actor, c.Key, c.Fingerprint, c.Reason)
		if err != nil {
			return nil, err
		}
		reason := c.Reason
		if reason == "" {
			reason = "rotated to " + c.Fingerprint
		}
		rev, err := revoke(c.Actor, c.Old, reason)
		if err != nil {
			return nil, err
		}
		return []Event{reg, rev}, nil
	case SetSignaturePolicy:
		if err := admin("signature-policy-role"); err != nil {
			return nil, err
		}
		return decidePolicy(l, c, by)
	}
	return nil, fmt.Errorf("decide: unknown signer command %T", c)
}
