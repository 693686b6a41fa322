package integrity

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/safetext"
)

// Encoding versions. A change to either encoding gets a new version byte;
// verifiers keep reading the old ones.
const (
	envelopeMagic = "BLCE" // breachledger content envelope
	leafMagic     = "BLLF" // breachledger leaf
	version1      = 1
	version2      = 2 // content envelope only: version 1 and the basis
)

// ErrMalformed: bytes that should hold an envelope, a leaf, a proof, a
// checkpoint or a bundle do not parse.
var ErrMalformed = errors.New("malformed")

// An Envelope is the content envelope of an event (BRIEF.md, shared
// contracts): what an actor signs. It holds nothing the store assigns, so a
// signer can make it before the first append attempt.
type Envelope struct {
	ID            uuid.UUID
	Stream        string
	Type          string
	OccurredAt    time.Time // business time, kept to the nanosecond (UTC)
	Actor         string
	Signer        string   // signer key fingerprint ("SHA256:..."); empty when unsigned
	PayloadSHA256 [32]byte // SHA-256 of the payload bytes as stored
	// Basis is the ledger revision the writer decided on, plus one
	// (eventstore.Record.Basis); 0 when not recorded.
	Basis uint64
}

// EnvelopeOf returns the content envelope of r. Stream must be set (as it
// is on a stored record, and on a record about to be appended once the
// writer names its stream).
func EnvelopeOf(r eventstore.Record) Envelope {
	return Envelope{
		ID: r.ID, Stream: r.Stream, Type: r.Type, OccurredAt: time.Unix(0, r.OccurredAt.UnixNano()).UTC(),
		Actor: r.Actor, Signer: r.Signer, PayloadSHA256: sha256.Sum256(r.Payload), Basis: r.Basis,
	}
}

// Marshal returns the canonical encoding of e. An envelope without a
// basis (Basis 0: every event recorded before bases were, and a ledger's
// first) is version 1, exactly as it always was, so the signatures and
// leaf hashes made over it still verify:
//
//	"BLCE" 0x01
//	event ID          16 bytes
//	stream            uint32 length, bytes
//	type              uint32 length, bytes
//	business time     int64 Unix nanoseconds
//	actor             uint32 length, bytes
//	signer            uint32 length, bytes
//	payload SHA-256   32 bytes
//
// An envelope with a basis (Basis > 0) is version 2: version 1's fields,
// then the basis.
//
//	"BLCE" 0x02
//	event ID          16 bytes
//	stream            uint32 length, bytes
//	type              uint32 length, bytes
//	business time     int64 Unix nanoseconds
//	actor             uint32 length, bytes
//	signer            uint32 length, bytes
//	payload SHA-256   32 bytes
//	basis             uint64, greater than 0
//
// Integers are big-endian. Every field has one encoding, and every
// envelope one version (a version 2 encoding with basis 0 does not
// parse), so equal envelopes have equal bytes.
func (e Envelope) Marshal() []byte {
	b := make([]byte, 0, 5+16+4*4+len(e.Stream)+len(e.Type)+len(e.Actor)+len(e.Signer)+8+32+8)
	b = append(b, envelopeMagic...)
	if e.Basis > 0 {
		b = append(b, version2)
	} else {
		b = append(b, version1)
	}
	b = append(b, e.ID[:]...)
	b = appendString(b, e.Stream)
	b = appendString(b, e.Type)
	b = binary.BigEndian.AppendUint64(b, uint64(e.OccurredAt.UnixNano()))
	b = appendString(b, e.Actor)
	b = appendString(b, e.Signer)
	b = append(b, e.PayloadSHA256[:]...)
	if e.Basis > 0 {
		b = binary.BigEndian.AppendUint64(b, e.Basis)
	}
	return b
}

// ParseEnvelope decodes what Marshal wrote. Trailing bytes are an error.
func ParseEnvelope(b []byte) (Envelope, error) {
	d := decoder{b: b}
	e := d.envelope()
	if d.err == nil && len(d.b) > 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return Envelope{}, fmt.Errorf("parse content envelope: %w", d.err)
	}
	return e, nil
}

// A Leaf is what the Merkle tree commits to for one event: its content
// envelope and what the store assigned it.
type Leaf struct {
	Envelope
	Sequence   uint64
	Revision   uint64
	RecordedAt time.Time // kept to the nanosecond (UTC)
}

// LeafOf returns the leaf of a stored record.
func LeafOf(r eventstore.Record) Leaf {
	return Leaf{Envelope: EnvelopeOf(r), Sequence: r.Sequence, Revision: r.Revision, RecordedAt: time.Unix(0, r.RecordedAt.UnixNano()).UTC()}
}

// Marshal returns the canonical encoding of l, version 1:
//
//	"BLLF" 0x01
//	sequence          uint64
//	revision          uint64
//	recorded time     int64 Unix nanoseconds
//	content envelope  uint32 length, Envelope.Marshal
//
// The content envelope carries its own version (1, or 2 with a basis), so
// the leaf's stays 1.
func (l Leaf) Marshal() []byte {
	env := l.Envelope.Marshal()
	b := make([]byte, 0, 5+24+4+len(env))
	b = append(b, leafMagic...)
	b = append(b, version1)
	b = binary.BigEndian.AppendUint64(b, l.Sequence)
	b = binary.BigEndian.AppendUint64(b, l.Revision)
	b = binary.BigEndian.AppendUint64(b, uint64(l.RecordedAt.UnixNano()))
	b = binary.BigEndian.AppendUint32(b, uint32(len(env)))
	return append(b, env...)
}

// Hash returns the RFC 6962 leaf hash of l: SHA-256(0x00 ‖ Marshal()).
func (l Leaf) Hash() []byte { return HashLeaf(l.Marshal()) }

// HashLeaf returns the RFC 6962 hash of an encoded leaf.
func HashLeaf(leaf []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(leaf) }

// ParseLeaf decodes what Leaf.Marshal wrote. Trailing bytes are an error.
func ParseLeaf(b []byte) (Leaf, error) {
	d := decoder{b: b}
	l := d.leaf()
	if d.err == nil && len(d.b) > 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return Leaf{}, fmt.Errorf("parse leaf: %w", d.err)
	}
	return l, nil
}

// Diff lists, for a person, how l differs from want: one phrase per field,
// in the order of the encoding; none when they are equal.
func (l Leaf) Diff(want Leaf) []string {
	var out []string
	add := func(field string, got, exp any) {
		out = append(out, fmt.Sprintf("%s is %v, the checkpointed leaf has %v", field, got, exp))
	}
	if l.Sequence != want.Sequence {
		add("sequence", l.Sequence, want.Sequence)
	}
	if l.ID != want.ID {
		out = append(out, fmt.Sprintf("event ID is %s, the checkpointed leaf has %s (the event was replaced, moved or removed)", l.ID, want.ID))
	}
	if l.Stream != want.Stream {
		add("stream", safetext.Quote(l.Stream), safetext.Quote(want.Stream))
	}
	if l.Revision != want.Revision {
		add("revision", l.Revision, want.Revision)
	}
	if l.Type != want.Type {
		add("type", safetext.Quote(l.Type), safetext.Quote(want.Type))
	}
	if !l.OccurredAt.Equal(want.OccurredAt) {
		add("business time", stamp(l.OccurredAt), stamp(want.OccurredAt))
	}
	if l.Actor != want.Actor {
		add("actor", safetext.Quote(l.Actor), safetext.Quote(want.Actor))
	}
	if l.Signer != want.Signer {
		add("signer", safetext.Quote(l.Signer), safetext.Quote(want.Signer))
	}
	if l.PayloadSHA256 != want.PayloadSHA256 {
		out = append(out, fmt.Sprintf("payload changed: its SHA-256 is %s, the checkpointed leaf has %s",
			hex.EncodeToString(l.PayloadSHA256[:]), hex.EncodeToString(want.PayloadSHA256[:])))
	}
	if l.Basis != want.Basis {
		add("ledger revision decided on (basis)", basisText(l.Basis), basisText(want.Basis))
	}
	if !l.RecordedAt.Equal(want.RecordedAt) {
		add("recorded time", stamp(l.RecordedAt), stamp(want.RecordedAt))
	}
	if len(out) == 0 && !bytes.Equal(l.Marshal(), want.Marshal()) {
		out = append(out, "the encodings differ")
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// basisText says what a basis means: the ledger revision decided on.
func basisText(basis uint64) string {
	if basis == 0 {
		return "none recorded"
	}
	return fmt.Sprintf("%d (ledger revision %d)", basis, basis-1)
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// decoder reads the encodings above, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format+": %w", append(args, ErrMalformed)...)
	}
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b) < n {
		d.fail("%s: want %d bytes, have %d", what, n, len(d.b))
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// header reads magic and a version byte from 1 to newest, and returns the
// version (0 after a failure).
func (d *decoder) header(magic, what string, newest byte) byte {
	h := d.take(len(magic)+1, what+" header")
	if h == nil {
		return 0
	}
	v := h[len(magic)]
	switch {
	case string(h[:len(magic)]) != magic:
		d.fail("not a %s (header %q)", what, h[:len(magic)])
	case v < version1 || v > newest:
		if newest == version1 {
			d.fail("%s version %d is not supported (this program reads version %d)", what, v, version1)
		} else {
			d.fail("%s version %d is not supported (this program reads versions %d to %d)", what, v, version1, newest)
		}
	default:
		return v
	}
	return 0
}

func (d *decoder) u64(what string) uint64 {
	if v := d.take(8, what); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) u32(what string) uint32 {
	if v := d.take(4, what); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (d *decoder) str(what string) string {
	n := d.u32(what + " length")
	return string(d.take(int(n), what))
}

func (d *decoder) envelope() Envelope {
	var e Envelope
	v := d.header(envelopeMagic, "content envelope", version2)
	copy(e.ID[:], d.take(16, "event ID"))
	e.Stream = d.str("stream")
	e.Type = d.str("type")
	e.OccurredAt = time.Unix(0, int64(d.u64("business time"))).UTC()
	e.Actor = d.str("actor")
	e.Signer = d.str("signer")
	copy(e.PayloadSHA256[:], d.take(32, "payload SHA-256"))
	if v == version2 {
		if e.Basis = d.u64("basis"); d.err == nil && e.Basis == 0 {
			d.fail("content envelope version 2 with basis 0 (an envelope without a basis is version 1)")
		}
	}
	return e
}

func (d *decoder) leaf() Leaf {
	var l Leaf
	d.header(leafMagic, "leaf", version1)
	l.Sequence = d.u64("sequence")
	l.Revision = d.u64("revision")
	l.RecordedAt = time.Unix(0, int64(d.u64("recorded time"))).UTC()
	n := d.u32("envelope length")
	env := d.take(int(n), "envelope")
	if d.err == nil {
		inner := decoder{b: env}
		l.Envelope = inner.envelope()
		if inner.err == nil && len(inner.b) > 0 {
			inner.fail("envelope: %d trailing bytes", len(inner.b))
		}
		if inner.err != nil {
			d.err = inner.err
		}
	}
	return l
}
