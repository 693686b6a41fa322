package integrity

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Witnesses. A witness is an independent party (an auditor, another
// department) that cosigns a checkpoint only as a consistent extension of
// the last one it cosigned for the same log (C2SP tlog-witness), with a
// timestamped cosignature (C2SP tlog-cosignature, cosignature/v1). A
// checkpoint an auditor accepts carries the ledger key's signature and
// enough fresh cosignatures of witnesses the auditor trusts: whoever holds
// the ledger key alone can sign a rewritten history, but no witness that
// saw the real one cosigns it.

// A WitnessKey is a witness's cosignature verifier key: a C2SP signed-note
// verifier key of type Ed25519 cosignature/v1 (0x04) or ML-DSA-44
// cosignature/v1 (0x06), "NAME+HASH+BASE64".
type WitnessKey struct {
	v    note.Verifier
	vkey string
}

// ParseWitnessKey parses a witness's verifier key. A plain Ed25519 note key
// (type 0x01, the kind that signs checkpoints) is refused: a witness signs
// timestamped cosignatures, and its key says so.
func ParseWitnessKey(vkey string) (*WitnessKey, error) {
	vkey = strings.TrimSpace(vkey)
	if _, rest, ok := strings.Cut(vkey, "+"); ok {
		if _, b64, ok := strings.Cut(rest, "+"); ok {
			if raw, err := base64.StdEncoding.DecodeString(b64); err == nil && len(raw) > 0 && raw[0] == 0x01 {
				return nil, fmt.Errorf("parse witness key %q: a plain Ed25519 note key (type 0x01), not a cosignature key; a witness's key is the \"verifier key\" it prints (litewitness does at start-up): %w", vkey, ErrMalformed)
			}
		}
	}
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		return nil, fmt.Errorf("parse witness key %q: %v: %w", vkey, err, ErrMalformed)
	}
	return &WitnessKey{v: v, vkey: vkey}, nil
}

// String returns the encoded key.
func (w *WitnessKey) String() string { return w.vkey }

// Name returns the witness's name, as its cosignature lines give it.
func (w *WitnessKey) Name() string { return w.v.Name() }

// ID returns the witness's name and key hash, NAME+HASH: what tells two
// keys of one name apart.
func (w *WitnessKey) ID() string { return fmt.Sprintf("%s+%08x", w.v.Name(), w.v.KeyHash()) }

// A sigLine is one parsed signature line of a signed note.
type sigLine struct {
	name string
	hash uint32
	time uint64 // the cosignature/v1 timestamp (0 if the signature is too short to hold one)
	line []byte // "— name base64\n"
}

// parseSigLine parses one signature line ("— NAME BASE64", with or
// without its newline).
func parseSigLine(line []byte) (sigLine, bool) {
	l := bytes.TrimSuffix(line, []byte("\n"))
	rest, ok := bytes.CutPrefix(l, []byte("\u2014 "))
	if !ok {
		return sigLine{}, false
	}
	name, b64, ok := strings.Cut(string(rest), " ")
	sig, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil || name == "" || len(sig) < 5 {
		return sigLine{}, false
	}
	s := sigLine{name: name, hash: binary.BigEndian.Uint32(sig), line: append(bytes.Clone(l), '\n')}
	if len(sig) >= 4+8+64 {
		s.time = binary.BigEndian.Uint64(sig[4:])
	}
	return s, true
}

// splitSigned splits a signed note into its text (ending in its newline)
// and its signature lines.
func splitSigned(signed []byte) (text []byte, lines []sigLine, err error) {
	i := bytes.LastIndex(signed, []byte("\n\n"))
	if i < 0 || len(signed) == i+2 || signed[len(signed)-1] != '\n' {
		return nil, nil, fmt.Errorf("not a signed note: %w", ErrMalformed)
	}
	text = signed[:i+1]
	for _, l := range bytes.SplitAfter(signed[i+2:], []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		s, ok := parseSigLine(l)
		if !ok {
			return nil, nil, fmt.Errorf("signed note has a malformed signature line: %w", ErrMalformed)
		}
		lines = append(lines, s)
	}
	return text, lines, nil
}

// Cosigned returns the signed note signed with cosignature lines added:
// the note as an auditor receives it (C2SP tlog-proof, a bundle's anchor).
// Of several lines by one key (a witness cosigns a checkpoint again at
// every refresh) only the newest is kept, since a note holds one
// signature per key; lines that do not parse, and keys the note already
// holds a signature of, are left out. Which lines verify is the reader's
// question (WitnessPolicy.Check): nothing here trusts them.
func Cosigned(signed []byte, lines [][]byte) ([]byte, error) {
	_, have, err := splitSigned(signed)
	if err != nil {
		return nil, err
	}
	type id struct {
		name string
		hash uint32
	}
	held := map[id]bool{}
	for _, s := range have {
		held[id{s.name, s.hash}] = true
	}
	newest := map[id]sigLine{}
	var order []id
	for _, l := range lines {
		s, ok := parseSigLine(l)
		k := id{s.name, s.hash}
		if !ok || held[k] {
			continue
		}
		old, seen := newest[k]
		if !seen {
			order = append(order, k)
		}
		if !seen || s.time > old.time {
			newest[k] = s
		}
	}
	out := bytes.Clone(signed)
	for _, k := range order {
		out = append(out, newest[k].line...)
	}
	return out, nil
}

// A WitnessPolicy is what an auditor requires of a checkpoint's
// cosignatures: at least Quorum of Witnesses (all of them when Quorum is
// 0) must each have cosigned it, and, when MaxAge is set, no longer ago
// than MaxAge.
type WitnessPolicy struct {
	Witnesses []*WitnessKey
	Quorum    int
	MaxAge    time.Duration
}

// clockSkew is how far in the future a cosignature's timestamp may be and
// still count (the witness's clock against the auditor's).
const clockSkew = 5 * time.Minute

// A WitnessReport says which trusted witnesses cosigned a checkpoint.
type WitnessReport struct {
	Size     uint64          `json:"size"`   // the checkpoint's size
	Quorum   int             `json:"quorum"` // cosignatures required
	MaxAge   string          `json:"max_age,omitempty"`
	Cosigned []WitnessStatus `json:"witnesses"` // one per trusted witness, in the order given
	Valid    int             `json:"valid"`     // witnesses whose cosignature counts (valid and fresh)
}

// WitnessStatus is one trusted witness's cosignature of a checkpoint.
type WitnessStatus struct {
	Witness string    `json:"witness"` // NAME+HASH
	Time    time.Time `json:"time,omitzero"`
	Status  string    `json:"status"` // cosigned, stale, future, none, invalid
}

// Witness statuses.
const (
	WitnessCosigned = "cosigned" // a valid cosignature, fresh enough
	WitnessStale    = "stale"    // valid, older than MaxAge
	WitnessFuture   = "future"   // valid, dated too far ahead of now
	WitnessNone     = "none"     // no cosignature by this witness
	WitnessInvalid  = "invalid"  // a line of this key that does not verify (altered)
)

// Check checks the cosignatures of the checkpoint signed (a signed note,
// which may carry cosignature lines itself) and extra, further lines kept
// beside it, at instant now. It returns what it found, and an error
// matching ErrIntegrity when fewer than the quorum of witnesses cosigned
// it validly and freshly, or a line of a trusted witness's key does not
// verify (a cosignature altered or made up).
func (p WitnessPolicy) Check(signed []byte, extra [][]byte, now time.Time) (*WitnessReport, error) {
	text, have, err := splitSigned(signed)
	if err != nil {
		return nil, err
	}
	var body log.Checkpoint
	if _, err := body.Unmarshal(text); err != nil {
		return nil, fmt.Errorf("parse checkpoint: %v: %w", err, ErrMalformed)
	}
	size := body.Size
	quorum := p.Quorum
	if quorum == 0 {
		quorum = len(p.Witnesses)
	}
	rep := &WitnessReport{Size: size, Quorum: quorum}
	if p.MaxAge > 0 {
		rep.MaxAge = p.MaxAge.String()
	}
	lines := make([][]byte, 0, len(have)+len(extra))
	for _, s := range have {
		lines = append(lines, s.line)
	}
	lines = append(lines, extra...)
	var invalid []string
	for _, w := range p.Witnesses {
		st := WitnessStatus{Witness: w.ID(), Status: WitnessNone}
		for _, l := range lines {
			s, ok := parseSigLine(l)
			if !ok || s.name != w.v.Name() || s.hash != w.v.KeyHash() {
				continue
			}
			n, err := note.Open(append(append(bytes.Clone(text), '\n'), s.line...), note.VerifierList(w.v))
			if err != nil || len(n.Sigs) != 1 {
				st.Status = WitnessInvalid
				invalid = append(invalid, w.ID())
				break
			}
			t, err := fnote.CoSigV1Timestamp(n.Sigs[0])
			if err != nil {
				st.Status = WitnessInvalid
				invalid = append(invalid, w.ID())
				break
			}
			if st.Status == WitnessNone || t.After(st.Time) {
				st.Time = t.UTC()
				switch {
				case t.After(now.Add(clockSkew)):
					st.Status = WitnessFuture
				case p.MaxAge > 0 && now.Sub(t) > p.MaxAge:
					st.Status = WitnessStale
				default:
					st.Status = WitnessCosigned
				}
			}
		}
		if st.Status == WitnessCosigned {
			rep.Valid++
		}
		rep.Cosigned = append(rep.Cosigned, st)
	}
	switch {
	case len(invalid) > 0:
		sort.Strings(invalid)
		return rep, fmt.Errorf("the checkpoint of %d events carries a cosignature of %s that does not verify (altered or made up): %w", size, strings.Join(invalid, ", "), ErrIntegrity)
	case rep.Valid < quorum:
		return rep, fmt.Errorf("the checkpoint of %d events has %d valid%s cosignatures of the %d required (%s): %w",
			size, rep.Valid, fresh(p.MaxAge), quorum, rep.describe(), ErrIntegrity)
	}
	return rep, nil
}

func fresh(maxAge time.Duration) string {
	if maxAge > 0 {
		return ", fresh"
	}
	return ""
}

// describe says, for a person, what each witness gave.
func (r *WitnessReport) describe() string {
	parts := make([]string, len(r.Cosigned))
	for i, w := range r.Cosigned {
		switch w.Status {
		case WitnessNone:
			parts[i] = w.Witness + ": none"
		default:
			parts[i] = fmt.Sprintf("%s: %s %s", w.Witness, w.Status, w.Time.Format(time.RFC3339))
		}
	}
	return strings.Join(parts, "; ")
}

// String says, for a person, how the checkpoint was witnessed.
func (r *WitnessReport) String() string {
	return fmt.Sprintf("checkpoint of %d events cosigned by %d of %d trusted witnesses (quorum %d): %s",
		r.Size, r.Valid, len(r.Cosigned), r.Quorum, r.describe())
}
