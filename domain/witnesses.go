package domain

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Witnesses (issue 16). The ledger's checkpoints are cosigned by
// independent C2SP tlog-witnesses, each of which signs a checkpoint only as
// a consistent extension of the last one it saw. Which witnesses the
// ledger key's holder (the notary) submits them to is an admin's decision,
// recorded on the ledger stream like every other: a witness is added by its
// verifier key and its submission URL, and removed with a reason. The
// domain checks the key's form and key hash (SHA-256 of its name and
// bytes: no signature is made or verified here) and the URL's form; the
// caller talks to the witness.

// WitnessAdded: the ledger's checkpoints are submitted to this witness
// from now on.
type WitnessAdded struct {
	// Key is the witness's verifier key: a C2SP signed-note vkey for
	// cosignature/v1, NAME+HASH+BASE64.
	Key string `json:"key"`
	// URL is the witness's submission prefix; add-checkpoint is URL +
	// "/add-checkpoint". Recorded without a trailing '/'.
	URL    string `json:"url"`
	Reason string `json:"reason,omitempty"`
}

// WitnessRemoved: checkpoints are no longer submitted to this witness.
type WitnessRemoved struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

func (WitnessAdded) isEvent()   {}
func (WitnessRemoved) isEvent() {}

func (e WitnessAdded) validate(fs *fields) {
	if _, err := ParseWitnessKey(e.Key); err != nil {
		fs.problem("key", abridgeKey(e.Key), "%s", reasonOf(err))
	}
	if u, err := CleanWitnessURL(e.URL); err != nil {
		fs.problem("url", e.URL, "%s", reasonOf(err))
	} else if u != e.URL {
		fs.problem("url", e.URL, "must be recorded as %s (lower-case scheme, no trailing '/')", u)
	}
}

func (e WitnessRemoved) validate(fs *fields) {
	fs.require("key", e.Key)
	fs.require("reason", e.Reason)
}

// AddWitness submits the ledger's checkpoints to a witness from now on
// (admin).
type AddWitness struct {
	By
	Key    string // the witness's cosignature/v1 verifier key
	URL    string // its submission prefix (http or https)
	Reason string
}

// RemoveWitness stops submitting checkpoints to a witness (admin); the
// reason is required.
type RemoveWitness struct {
	By
	Key    string
	Reason string
}

// Witness key algorithms: the first byte of a vkey's decoded key, as
// C2SP signed-note and tlog-cosignature assign them.
const (
	witnessAlgNoteEd25519 byte = 0x01 // a plain Ed25519 note key (a log's, a ledger's): not a witness's
	WitnessAlgEd25519     byte = 0x04 // Ed25519, cosignature/v1
	WitnessAlgMLDSA44     byte = 0x06 // ML-DSA-44, cosignature/v1
)

// witnessKeySizes are the key sizes, in bytes, of each witness algorithm.
func witnessKeySizes() map[byte]int {
	return map[byte]int{WitnessAlgEd25519: 32, WitnessAlgMLDSA44: 1312}
}

// WitnessKey is a parsed witness verifier key.
type WitnessKey struct {
	Name      string // the key's name: the witness's identity in cosignatures
	Hash      string // the key hash, 8 lower-case hex digits
	Algorithm byte   // WitnessAlgEd25519 or WitnessAlgMLDSA44
	Key       []byte // the public key bytes, without the algorithm byte
}

const witnessKeyHint = `give the witness's cosignature/v1 verifier key, NAME+HASH+BASE64, exactly as its operator gives it (litewitness prints it as "verifier key" at start-up)`

// ParseWitnessKey checks vkey as a witness's verifier key: NAME+HASH+BASE64
// where NAME is non-empty valid UTF-8 without Unicode space or '+', HASH is
// 8 lower-case hex digits, and BASE64 is standard base64 (canonical) of
// one algorithm byte then the key: 0x04 (Ed25519 cosignature/v1, 32
// bytes) or 0x06 (ML-DSA-44 cosignature/v1, 1312 bytes); HASH must be the
// first 4 bytes, big-endian, of SHA-256(NAME || "\n" || algorithm byte ||
// key bytes). A key that is not one is a *RuleError for rule witness-key.
func ParseWitnessKey(vkey string) (WitnessKey, error) {
	bad := func(hint, format string, args ...any) (WitnessKey, error) {
		return WitnessKey{}, refuse("witness-key", hint, "witness key %q %s", abridgeKey(vkey), fmt.Sprintf(format, args...))
	}
	if strings.IndexFunc(vkey, unicode.IsSpace) >= 0 {
		return bad(witnessKeyHint, "holds a space or a line break")
	}
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash, b64, ok2 := strings.Cut(rest, "+")
	switch {
	case !ok1 || !ok2:
		return bad(witnessKeyHint, "is not NAME+HASH+BASE64")
	case name == "":
		return bad(witnessKeyHint, "has an empty name")
	case !utf8.ValidString(name):
		return bad(witnessKeyHint, "has a name that is not valid UTF-8")
	case !isLowerHex(hash, 8):
		return bad(witnessKeyHint, "has a key hash %q that is not 8 lower-case hex digits", hash)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || len(raw) == 0 {
		return bad(witnessKeyHint, "does not end in the standard base64 of an algorithm byte and a key")
	}
	alg, key := raw[0], raw[1:]
	size, ok := witnessKeySizes()[alg]
	switch {
	case alg == witnessAlgNoteEd25519:
		return bad(`a witness's key is a cosignature/v1 key (algorithm 0x04 for Ed25519, 0x06 for ML-DSA-44): ask the witness's operator for it (litewitness prints it as "verifier key" at start-up)`,
			"is a plain Ed25519 note key (algorithm 0x01), such as a log's or a ledger's own, not a witness's cosignature key")
	case !ok:
		return bad(witnessKeyHint, "has algorithm 0x%02x, not a witness's cosignature key (0x04 Ed25519 or 0x06 ML-DSA-44, cosignature/v1)", alg)
	case len(key) != size:
		return bad(witnessKeyHint, "holds a %d-byte key, and algorithm 0x%02x takes %d bytes", len(key), alg, size)
	}
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(raw)
	if want := hex.EncodeToString(h.Sum(nil)[:4]); hash != want {
		return bad("copy the key again from the witness's operator: a key whose hash does not match was altered or mistyped",
			"has key hash %s, and its name and key hash to %s", hash, want)
	}
	return WitnessKey{Name: name, Hash: hash, Algorithm: alg, Key: key}, nil
}

// WitnessName returns the name of a witness key: the part before the
// first '+'.
func WitnessName(vkey string) string {
	name, _, _ := strings.Cut(vkey, "+")
	return name
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// abridgeKey shortens a key for a message: an ML-DSA-44 key is 1.7 KB.
func abridgeKey(k string) string {
	if len(k) > 72 {
		return k[:60] + "…"
	}
	return k
}

const witnessURLHint = `give the witness's submission prefix as http(s)://HOST[:PORT][/PATH], without user info, query or fragment (add-checkpoint is PREFIX + "/add-checkpoint"), e.g. https://witness.example/w1`

// CleanWitnessURL checks a witness's submission prefix, an absolute http or
// https URL with a host, and no user info, query or fragment, and returns
// it as recorded: its scheme in lower case, without trailing '/'. A URL
// that is not one is a *RuleError for rule witness-url.
func CleanWitnessURL(raw string) (string, error) {
	bad := func(format string, args ...any) (string, error) {
		return "", refuse("witness-url", witnessURLHint, "witness URL %q %s", raw, fmt.Sprintf(format, args...))
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	scheme = strings.ToLower(scheme)
	if !ok || (scheme != "http" && scheme != "https") {
		return bad("is not an absolute http or https URL")
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		return bad("has a query or a fragment")
	}
	authority, path, _ := strings.Cut(rest, "/")
	if strings.Contains(authority, "@") {
		return bad("carries user info (a name or password before '@')")
	}
	host, port := authority, ""
	if strings.HasPrefix(authority, "[") {
		end := strings.Index(authority, "]")
		if end < 0 {
			return bad("has an IPv6 address without its closing ']'")
		}
		host, port = authority[1:end], authority[end+1:]
		if !isIPv6Literal(host) {
			return bad("has %q, which is not an IPv6 address", host)
		}
		if port != "" && !strings.HasPrefix(port, ":") {
			return bad("has %q after its IPv6 address", port)
		}
		port = strings.TrimPrefix(port, ":")
		if port == "" && strings.HasSuffix(authority, ":") {
			return bad("has an empty port")
		}
	} else if h, p, hasPort := strings.Cut(authority, ":"); hasPort {
		host, port = h, p
		if port == "" {
			return bad("has an empty port")
		}
	}
	switch {
	case host == "":
		return bad("has no host")
	case !strings.HasPrefix(authority, "[") && !isHostName(host):
		return bad("has host %q, which is not a host name or an IPv4 address", host)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || !isDigits(port) {
			return bad("has port %q, not a number from 1 to 65535", port)
		}
	}
	if err := checkURLPath(path); err != "" {
		return bad("%s", err)
	}
	out := scheme + "://" + authority
	if p := strings.TrimRight(path, "/"); p != "" {
		out += "/" + p
	}
	return out, nil
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// isHostName: letters, digits, '-', '.' and '_' (a DNS name or an IPv4
// address; anything else, percent-encoded or not, is refused).
func isHostName(s string) bool {
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return strings.Trim(s, ".") != ""
}

// isIPv6Literal: hex digits, ':' and '.' (an embedded IPv4 address), with
// at least two colons; no zone.
func isIPv6Literal(s string) bool {
	for _, c := range []byte(s) {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == ':', c == '.':
		default:
			return false
		}
	}
	return strings.Count(s, ":") >= 2
}

// checkURLPath checks a path (after its first '/') holds only what RFC 3986
// allows unencoded in one (unreserved, sub-delims, ':', '@', '/') and
// well-formed percent-escapes; it returns what is wrong, or "".
func checkURLPath(p string) string {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0:
		case c == '%':
			if i+2 >= len(p) || !isHexByte(p[i+1]) || !isHexByte(p[i+2]) {
				return "has a '%' in its path that is not a percent-escape (%XX)"
			}
			i += 2
		default:
			return fmt.Sprintf("has %q in its path (percent-encode it)", rune(c))
		}
	}
	return ""
}

func isHexByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// reasonOf returns the reason of a refusal, or the error's text.
func reasonOf(err error) string {
	if re, ok := err.(*RuleError); ok {
		return re.Reason
	}
	return err.Error()
}

// WitnessState is one witness the ledger's checkpoints were submitted to,
// and what became of it.
type WitnessState struct {
	Name         string `json:"name"` // the key's name (before its first '+')
	Key          string `json:"key"`
	URL          string `json:"url"`
	Reason       string `json:"reason,omitempty"`
	Added        Ref    `json:"added"`
	Removed      *Ref   `json:"removed,omitempty"`
	RemoveReason string `json:"remove_reason,omitempty"`
}

// AddCheckpointURL is where the witness takes new checkpoints (C2SP
// tlog-witness).
func (w WitnessState) AddCheckpointURL() string { return w.URL + "/add-checkpoint" }

// Witnesses are the ledger's witnesses, folded from the ledger stream. A
// witness removed and added again has two entries.
type Witnesses struct {
	list []WitnessState // never changed in place: a Ledger copied by EvolveLedger keeps its own
}

// All returns every witness ever added, in order of addition, with when
// and why each removed one was.
func (ws Witnesses) All() []WitnessState { return slices.Clone(ws.list) }

// Active returns the witnesses checkpoints are submitted to: those added
// and not removed, in order of addition.
func (ws Witnesses) Active() []WitnessState {
	var out []WitnessState
	for _, w := range ws.list {
		if w.Removed == nil {
			out = append(out, w)
		}
	}
	return out
}

// active returns the index of the active witness for which match holds.
func (ws Witnesses) active(match func(WitnessState) bool) (int, bool) {
	for i, w := range ws.list {
		if w.Removed == nil && match(w) {
			return i, true
		}
	}
	return -1, false
}

func (ws *Witnesses) apply(f Fact) {
	switch e := f.Event.(type) {
	case WitnessAdded:
		name := WitnessName(e.Key)
		if _, dup := ws.active(func(w WitnessState) bool { return w.Key == e.Key || w.Name == name }); dup {
			return
		}
		ws.list = append(slices.Clip(ws.list), WitnessState{Name: name, Key: e.Key, URL: e.URL, Reason: e.Reason, Added: f.ref()})
	case WitnessRemoved:
		if i, ok := ws.active(func(w WitnessState) bool { return w.Key == e.Key }); ok {
			list := slices.Clone(ws.list)
			r := f.ref()
			list[i].Removed, list[i].RemoveReason = &r, e.Reason
			ws.list = list
		}
	}
}

func decideWitnesses(s *State, c Command, by By) ([]Event, error) {
	if err := needRole(s, by, CmdWitness); err != nil {
		return nil, err
	}
	ws := s.Ledger.Witnesses
	switch c := c.(type) {
	case AddWitness:
		k, err := ParseWitnessKey(c.Key)
		if err != nil {
			return nil, err
		}
		u, err := CleanWitnessURL(c.URL)
		if err != nil {
			return nil, err
		}
		if i, ok := ws.active(func(w WitnessState) bool { return w.Key == c.Key }); ok {
			w := ws.list[i]
			return nil, refuse("witness-exists", `nothing to do; to change its URL, remove it ("breachledger witness remove") and add it again`,
				"witness %s was added %s by %s, with this key, and is active (checkpoints go to %s)", w.Name, stamp(w.Added.At), w.Added.Actor, w.AddCheckpointURL())
		}
		if i, ok := ws.active(func(w WitnessState) bool { return w.Name == k.Name }); ok {
			w := ws.list[i]
			return nil, refuse("witness-exists", `if the witness changed its key, remove the old one first ("breachledger witness remove OLD-KEY --reason ...")`,
				"an active witness named %s, added %s by %s, has another key (%s): two keys of one witness name would make its cosignatures ambiguous", w.Name, stamp(w.Added.At), w.Added.Actor, abridgeKey(w.Key))
		}
		return one(WitnessAdded{Key: c.Key, URL: u, Reason: c.Reason})
	case RemoveWitness:
		if _, ok := ws.active(func(w WitnessState) bool { return w.Key == c.Key }); !ok {
			return nil, &NotFoundError{What: "active witness", ID: c.Key,
				Hint: `rule witness-not-found: only an active witness is removed; list them with "breachledger witness list" (and the removed ones with --all)`}
		}
		return one(WitnessRemoved{Key: c.Key, Reason: c.Reason})
	}
	return nil, fmt.Errorf("decide: unknown witness command %T", c)
}
