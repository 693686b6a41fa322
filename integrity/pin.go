package integrity

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Pinned ledger keys. A verifier trusts a ledger key because its user
// pinned it (like ssh's known_hosts), never because a ledger names it. The
// pin file is text, one pin a line:
//
//	# breachledger pinned ledger keys (pins/v1)
//	ORIGIN KEY FINGERPRINT PINNED-AT LOCATION
//
// ORIGIN is the ledger's log origin; KEY its C2SP note verifier key (whose
// name is ORIGIN); FINGERPRINT the key's fingerprint (PublicKey.Fingerprint);
// PINNED-AT an RFC 3339 UTC time; LOCATION where a live ledger of that
// origin was found ("sqlite:/abs/path", or "esdb://HOSTS?prefix=P" without
// credentials), percent-escaped, or "-" for a key pinned without a ledger.
// Fields are separated by one space; lines starting with '#' and blank
// lines are comments. Every line of one origin names the same key, and a
// location appears on one line at most: a file that breaks any rule is
// corrupt, never read as "no pin".

// PinHeader is the first line of a pin file; it names the format version.
const PinHeader = "# breachledger pinned ledger keys (pins/v1)"

// NoLocation is the LOCATION of a pin made without a live ledger.
const NoLocation = "-"

// A Pin binds a ledger origin (and, for a live ledger, one location) to
// the ledger key its user trusts.
type Pin struct {
	Origin      string
	Key         string // the note verifier key
	Fingerprint string
	PinnedAt    time.Time
	Location    string // NoLocation when pinned without a ledger
}

// Pins is the contents of a pin file, in file order.
type Pins []Pin

// Fingerprint returns the key's fingerprint: "SHA256:" and the unpadded
// base64 of the SHA-256 of the encoded verifier key. The encoding holds
// the origin, so equal fingerprints mean equal origin and key.
func (p *PublicKey) Fingerprint() string {
	sum := sha256.Sum256([]byte(p.vkey))
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// NewPin returns the pin of key at location (NoLocation for none).
func NewPin(key *PublicKey, location string, at time.Time) Pin {
	return Pin{Origin: key.Origin(), Key: key.String(), Fingerprint: key.Fingerprint(), PinnedAt: at.UTC().Truncate(time.Second), Location: location}
}

// PublicKey parses the pinned key.
func (p Pin) PublicKey() (*PublicKey, error) { return ParsePublicKey(p.Key) }

// ForOrigin returns the pinned key of origin, or nil when none is pinned.
func (ps Pins) ForOrigin(origin string) *Pin {
	for i := range ps {
		if ps[i].Origin == origin {
			return &ps[i]
		}
	}
	return nil
}

// AtLocation returns the pin of location, or nil.
func (ps Pins) AtLocation(location string) *Pin {
	if location == NoLocation {
		return nil
	}
	for i := range ps {
		if ps[i].Location == location {
			return &ps[i]
		}
	}
	return nil
}

// Add returns ps with p added: it replaces the pin of p's origin at p's
// location, and a location-less pin of the origin when p has a location.
// It refuses a key other than the one already pinned for the origin.
func (ps Pins) Add(p Pin) (Pins, error) {
	if old := ps.ForOrigin(p.Origin); old != nil && old.Key != p.Key {
		return nil, fmt.Errorf("%s is pinned to another key (%s): %w", p.Origin, old.Fingerprint, ErrIntegrity)
	}
	if old := ps.AtLocation(p.Location); old != nil && old.Origin != p.Origin {
		return nil, fmt.Errorf("%s is pinned to another ledger (%s): %w", p.Location, old.Origin, ErrIntegrity)
	}
	out := slices.DeleteFunc(slices.Clone(ps), func(q Pin) bool {
		return q.Origin == p.Origin && (q.Location == p.Location || q.Location == NoLocation)
	})
	return append(out, p), nil
}

// Remove returns ps without the pins of origin, and how many it removed.
func (ps Pins) Remove(origin string) (Pins, int) {
	out := slices.DeleteFunc(slices.Clone(ps), func(q Pin) bool { return q.Origin == origin })
	return out, len(ps) - len(out)
}

// Rekey returns ps with every pin of origin moved to key, pinned at at.
func (ps Pins) Rekey(origin string, key *PublicKey, at time.Time) Pins {
	out := slices.Clone(ps)
	for i := range out {
		if out[i].Origin == origin {
			loc := out[i].Location
			out[i] = NewPin(key, loc, at)
		}
	}
	return out
}

// MarshalPins writes a pin file.
func MarshalPins(ps Pins) []byte {
	var b bytes.Buffer
	b.WriteString(PinHeader + "\n")
	b.WriteString("# ORIGIN KEY FINGERPRINT PINNED-AT LOCATION (\"-\": pinned without a ledger)\n")
	b.WriteString("# Compare each FINGERPRINT out of band with the ledger key holder's. Edit with \"breachledger pin\".\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "%s %s %s %s %s\n", p.Origin, p.Key, p.Fingerprint, p.PinnedAt.UTC().Format(time.RFC3339), escapeLocation(p.Location))
	}
	return b.Bytes()
}

// ParsePins reads a pin file. An empty file holds no pins; anything that
// is not a valid pin line or comment is an error (ErrMalformed) naming
// the line.
func ParsePins(data []byte) (Pins, error) {
	var ps Pins
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if n == 1 && strings.HasPrefix(line, "# breachledger pinned ledger keys") && line != PinHeader {
			return nil, fmt.Errorf("pin file: line 1: %q is another version of the format than %q: %w", line, PinHeader, ErrMalformed)
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := parsePin(line)
		if err != nil {
			return nil, fmt.Errorf("pin file: line %d: %v: %w", n, err, ErrMalformed)
		}
		if old := ps.ForOrigin(p.Origin); old != nil && old.Key != p.Key {
			return nil, fmt.Errorf("pin file: line %d: %s pinned to two keys (%s and %s): %w", n, p.Origin, old.Fingerprint, p.Fingerprint, ErrMalformed)
		}
		if old := ps.AtLocation(p.Location); old != nil {
			return nil, fmt.Errorf("pin file: line %d: location %s pinned twice: %w", n, p.Location, ErrMalformed)
		}
		ps = append(ps, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pin file: line %d: %v: %w", n+1, err, ErrMalformed)
	}
	return ps, nil
}

func parsePin(line string) (Pin, error) {
	f := strings.Split(line, " ")
	if len(f) != 5 {
		return Pin{}, fmt.Errorf("%d fields, want 5 (ORIGIN KEY FINGERPRINT PINNED-AT LOCATION)", len(f))
	}
	key, err := ParsePublicKey(f[1])
	if err != nil {
		return Pin{}, fmt.Errorf("key: %v", err)
	}
	if key.Origin() != f[0] {
		return Pin{}, fmt.Errorf("the key is for %q, the line for %q", key.Origin(), f[0])
	}
	if key.Fingerprint() != f[2] {
		return Pin{}, fmt.Errorf("fingerprint %s is not the key's (%s)", f[2], key.Fingerprint())
	}
	at, err := time.Parse(time.RFC3339, f[3])
	if err != nil {
		return Pin{}, fmt.Errorf("pinned-at: %v", err)
	}
	loc, err := unescapeLocation(f[4])
	if err != nil {
		return Pin{}, fmt.Errorf("location: %v", err)
	}
	return Pin{Origin: f[0], Key: f[1], Fingerprint: f[2], PinnedAt: at.UTC(), Location: loc}, nil
}

// escapeLocation percent-escapes '%', spaces, controls and non-ASCII bytes
// so that a location is one field of printable ASCII.
func escapeLocation(s string) string {
	if s == "" {
		return NoLocation
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func unescapeLocation(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f {
			return "", fmt.Errorf("unescaped byte %#02x", c)
		}
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("truncated escape at byte %d", i)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape %q", s[i:i+3])
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}
