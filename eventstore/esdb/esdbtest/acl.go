package esdbtest

// Access control, as a secure KurrentDB node does it with its default
// (legacy ACL) authorization policy.
//
// A server with Options.Users is a secure node: every Streams call is made
// by a user and checked against the stream's access control list. A server
// without users is an insecure node (--insecure), which checks nothing.
//
// The rules:
//   - a member of $admins may do anything;
//   - an anonymous call (no credentials) is refused: since 23.10 a server
//     does not let anonymous users at streams (AllowAnonymousStreamAccess
//     is false by default);
//   - otherwise the stream's $acl (in its metadata) names, for each right,
//     the users and groups that have it: $r read, $w write, $d delete,
//     $mr read the metadata, $mw write the metadata; "$all" means every
//     user. A right the $acl does not name comes from the default ACL:
//     $userStreamAcl for a user stream, $systemStreamAcl for a stream
//     whose name starts with "$", as the latest event of $settings sets
//     them, else the built-in defaults (user streams: every user; system
//     streams: $admins);
//   - reading or writing the metastream $$S needs $mr or $mw on S;
//   - $all is a system stream: reading it (and subscribing to it) needs
//     $r on $all, $admins unless the metadata of $all ($$$all) grants it
//     to others.
//
// A refusal is the server's: status PermissionDenied "Access Denied" with
// the trailer exception=access-denied (server RpcExceptions.AccessDenied).

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Rights a stream's $acl grants.
const (
	RightRead      = "$r"
	RightWrite     = "$w"
	RightDelete    = "$d"
	RightMetaRead  = "$mr"
	RightMetaWrite = "$mw"
)

// Groups every user in a role belongs to, and the role that means every
// user.
const (
	GroupAdmins = "$admins"
	GroupOps    = "$ops"
	RoleAll     = "$all"
)

// principal is the user a call is made by.
type principal struct {
	name   string
	groups []string
}

func (p *principal) admin() bool {
	for _, g := range p.groups {
		if g == GroupAdmins {
			return true
		}
	}
	return false
}

// in reports whether p is one of roles.
func (p *principal) in(roles []string) bool {
	for _, r := range roles {
		if r == RoleAll || r == p.name {
			return true
		}
		for _, g := range p.groups {
			if r == g {
				return true
			}
		}
	}
	return false
}

// secure reports whether the server checks credentials and ACLs.
func (s *Server) secure() bool { return len(s.opts.Users) > 0 }

// groupsOf returns the groups of user: the default users' (admin in
// $admins, ops in $ops) and those Options.Groups gives.
func (s *Server) groupsOf(user string) []string {
	var out []string
	for _, u := range SystemUsers {
		if u.Login == user {
			out = append(out, u.Groups...)
		}
	}
	return append(out, s.opts.Groups[user]...)
}

// basicAuth reads the basic-auth user and password of a call; ok is
// false when the call has none, err set when its header is malformed.
func basicAuth(ctx context.Context) (user, pass string, ok bool, err error) {
	md, _ := metadata.FromIncomingContext(ctx)
	auth := md.Get("authorization")
	if len(auth) == 0 {
		return "", "", false, nil
	}
	raw, found := strings.CutPrefix(auth[0], "Basic ")
	if !found {
		return "", "", false, status.Error(codes.Unauthenticated, "bad authorization header")
	}
	dec, derr := base64.StdEncoding.DecodeString(raw)
	if derr != nil {
		return "", "", false, status.Error(codes.Unauthenticated, "bad authorization header")
	}
	user, pass, _ = strings.Cut(string(dec), ":")
	return user, pass, true, nil
}

// principalOf returns the user of an authenticated call (authorize has
// checked the password), nil for an anonymous one.
func (s *Server) principalOf(ctx context.Context) *principal {
	user, _, ok, err := basicAuth(ctx)
	if !ok || err != nil {
		return nil
	}
	return &principal{name: user, groups: s.groupsOf(user)}
}

// accessDenied is the server's refusal of a call its user has no right to.
func accessDenied(set func(metadata.MD)) error {
	set(metadata.Pairs("exception", "access-denied"))
	return status.Error(codes.PermissionDenied, "Access Denied")
}

// permit checks that the user of the call may exercise right on stream
// ("$all" for $all); it returns the server's refusal, trailers set with
// set, when not.
func (s *Server) permit(ctx context.Context, set func(metadata.MD), stream, right string) error {
	if !s.secure() {
		return nil
	}
	p := s.principalOf(ctx)
	if p == nil {
		s.countDenied()
		return accessDenied(set)
	}
	if p.admin() || p.in(s.mem.aclRoles(stream, right)) {
		return nil
	}
	s.countDenied()
	return accessDenied(set)
}

func (s *Server) countDenied() {
	s.mu.Lock()
	s.calls["AccessDenied"]++
	s.mu.Unlock()
}

// aclRoles returns the users and groups that have right on stream: a
// metastream's read and write are its stream's $mr and $mw; the stream's
// $acl decides, a right it does not name comes from the default ACL.
func (m *Memory) aclRoles(stream, right string) []string {
	if base, ok := strings.CutPrefix(stream, "$$"); ok {
		stream = base
		switch right {
		case RightRead:
			right = RightMetaRead
		default:
			right = RightMetaWrite
		}
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if roles, ok := aclEntry(m.rawMetaLocked(stream)["$acl"], right); ok {
		return roles
	}
	system := strings.HasPrefix(stream, "$")
	key := "$userStreamAcl"
	if system {
		key = "$systemStreamAcl"
	}
	if settings := m.streams["$settings"]; settings != nil && len(settings.events) > 0 {
		if roles, ok := aclEntry(decodeObject(settings.events[len(settings.events)-1].Data)[key], right); ok {
			return roles
		}
	}
	if system {
		return []string{GroupAdmins}
	}
	return []string{RoleAll}
}

// aclEntry reads right from an ACL object (as JSON decodes it): a role or
// a list of roles; ok is false when the ACL does not name the right.
func aclEntry(acl any, right string) (roles []string, ok bool) {
	obj, isObj := acl.(map[string]any)
	if !isObj {
		return nil, false
	}
	switch v := obj[right].(type) {
	case string:
		return []string{v}, true
	case []any:
		for _, r := range v {
			if s, isStr := r.(string); isStr {
				roles = append(roles, s)
			}
		}
		return roles, true
	}
	return nil, false
}

// decodeObject decodes a JSON object, numbers as json.Number; anything
// else is an empty object.
func decodeObject(data []byte) map[string]any {
	obj := map[string]any{}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&obj); err != nil {
		return map[string]any{}
	}
	return obj
}
