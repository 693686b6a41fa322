package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// API tokens. Reporting jobs read the ledger over HTTP with a bearer token
// that an admin issues. The ledger records only the token's SHA-256, with
// who issued it, for what and until when, so every token is auditable and
// none is ever stored in clear: the secret is shown once, to the admin who
// issued it. Revoking a token is an event too. The domain does no
// cryptography: the caller makes the secret and its hash.

// APITokenIssued records a read-only API token by its hash.
type APITokenIssued struct {
	Token     string    `json:"token"`  // T1, T2... within the ledger
	Name      string    `json:"name"`   // what it is for: "grc-export", "siem-deadlines"
	SHA256    string    `json:"sha256"` // hex SHA-256 of the secret; the secret itself is never recorded
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Reason    string    `json:"reason,omitempty"`
}

// APITokenRevoked revokes a token: it authenticates nothing from then on.
type APITokenRevoked struct {
	Token  string `json:"token"`
	Reason string `json:"reason"`
}

func (APITokenIssued) isEvent()  {}
func (APITokenRevoked) isEvent() {}

var (
	tokenIDRE = lazyRE(`^T[1-9][0-9]*$`)
	hexHashRE = lazyRE(`^[0-9a-f]{64}$`)
)

func (e APITokenIssued) validate(fs *fields) {
	if !tokenIDRE.MatchString(e.Token) {
		fs.problem("token", e.Token, "must be T1, T2, ...")
	}
	fs.require("name", e.Name)
	if !hexHashRE.MatchString(e.SHA256) {
		fs.problem("sha256", e.SHA256, "must be 64 lower-case hex digits")
	}
}

func (e APITokenRevoked) validate(fs *fields) {
	if !tokenIDRE.MatchString(e.Token) {
		fs.problem("token", e.Token, "must be T1, T2, ...")
	}
	fs.require("reason", e.Reason)
}

// IssueToken issues an API token (admin). SHA256 is the hex SHA-256 of the
// secret the caller made; ExpiresAt, when set, must be after the issue.
type IssueToken struct {
	By
	Name      string
	SHA256    string
	ExpiresAt time.Time
	Reason    string
}

// RevokeToken revokes an API token (admin).
type RevokeToken struct {
	By
	Token  string
	Reason string
}

// TokenState is one issued token and what became of it.
type TokenState struct {
	Token     string    `json:"token"`
	Name      string    `json:"name"`
	SHA256    string    `json:"sha256"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Reason    string    `json:"reason,omitempty"`
	Issued    Ref       `json:"issued"`
	Revoked   *Ref      `json:"revoked,omitempty"`
	RevokedBy string    `json:"revoke_reason,omitempty"`
}

// Valid reports whether the token authenticates at instant t: not revoked,
// and not expired.
func (t TokenState) Valid(at time.Time) bool {
	return t.Revoked == nil && (t.ExpiresAt.IsZero() || at.Before(t.ExpiresAt))
}

// Tokens are the API tokens, folded from the ledger stream.
type Tokens struct {
	list   []*TokenState
	byHash map[string]*TokenState
}

// All returns every token ever issued, in order of issue.
func (ts Tokens) All() []TokenState {
	out := make([]TokenState, len(ts.list))
	for i, t := range ts.list {
		out[i] = *t
	}
	return out
}

// Get returns the token with the given ID.
func (ts Tokens) Get(id string) (TokenState, bool) {
	for _, t := range ts.list {
		if t.Token == id {
			return *t, true
		}
	}
	return TokenState{}, false
}

// Authenticate returns the token whose secret has the hex SHA-256 hash, if
// it is valid at instant at.
func (ts Tokens) Authenticate(hash string, at time.Time) (TokenState, bool) {
	t, ok := ts.byHash[strings.ToLower(hash)]
	if !ok || !t.Valid(at) {
		return TokenState{}, false
	}
	return *t, true
}

func (ts *Tokens) apply(f Fact) {
	if ts.byHash == nil {
		ts.byHash = map[string]*TokenState{}
	}
	switch e := f.Event.(type) {
	case APITokenIssued:
		if _, dup := ts.byHash[e.SHA256]; dup {
			return
		}
		t := &TokenState{Token: e.Token, Name: e.Name, SHA256: e.SHA256, ExpiresAt: e.ExpiresAt, Reason: e.Reason, Issued: f.ref()}
		ts.list = append(ts.list, t)
		ts.byHash[e.SHA256] = t
	case APITokenRevoked:
		for _, t := range ts.list {
			if t.Token == e.Token && t.Revoked == nil {
				r := f.ref()
				t.Revoked, t.RevokedBy = &r, e.Reason
			}
		}
	}
}

func decideTokens(s *State, c Command, by By) ([]Event, error) {
	l := s.Ledger
	if !l.Has(by.Actor, RoleAdmin) {
		return nil, refuse("token-role", "ask an admin", "API tokens are issued and revoked by an admin; %s holds %s", by.Actor, rolesOrNone(l, by.Actor))
	}
	switch c := c.(type) {
	case IssueToken:
		if _, dup := l.Tokens.byHash[strings.ToLower(c.SHA256)]; dup {
			return nil, refuse("token-exists", "make a new secret", "a token with this hash was already issued")
		}
		if !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(by.At) {
			return nil, refuse("token-expired", "give an expiry after the issue", "the token would expire at %s, before it is issued (%s)", stamp(c.ExpiresAt), stamp(by.At))
		}
		id := "T" + strconv.Itoa(len(l.Tokens.list)+1)
		var exp time.Time
		if !c.ExpiresAt.IsZero() {
			exp = c.ExpiresAt.UTC()
		}
		return one(APITokenIssued{Token: id, Name: c.Name, SHA256: strings.ToLower(c.SHA256), ExpiresAt: exp, Reason: c.Reason})
	case RevokeToken:
		t, ok := l.Tokens.Get(c.Token)
		switch {
		case !ok:
			return nil, &NotFoundError{What: "API token", ID: c.Token, Hint: `list tokens with "breachledger token list"`}
		case t.Revoked != nil:
			return nil, refuse("token-revoked", "nothing to do", "token %s (%s) was already revoked %s", t.Token, t.Name, stamp(t.Revoked.At))
		}
		return one(APITokenRevoked{Token: c.Token, Reason: c.Reason})
	}
	return nil, fmt.Errorf("decide: unknown token command %T", c)
}
