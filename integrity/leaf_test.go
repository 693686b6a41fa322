package integrity_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
)

func record(tb testing.TB, seq uint64) eventstore.Record {
	tb.Helper()
	id := uuid.MustParse("01a22000-0000-7000-8000-000000000000")
	id[15] = byte(seq)
	id[14] = byte(seq >> 8)
	return eventstore.Record{
		ID: id, Stream: "incident-X", Type: "NoteAdded", OccurredAt: time.Date(2025, 3, 7, 22, 15, 0, 0, time.UTC),
		Actor: "oscar", Payload: []byte(`{"text":"note ` + string(rune('a'+seq%26)) + `"}`),
		Sequence: seq, Revision: seq, RecordedAt: time.Date(2025, 3, 8, 0, 0, 0, int(seq)*1000, time.UTC),
	}
}

// TestLeafEncoding freezes the version-1 encodings byte for byte: a change
// here would make every stored checkpoint, proof and signature unverifiable.
func TestLeafEncoding(t *testing.T) {
	r := record(t, 7)
	r.Signer = "SHA256:abc"
	env := integrity.EnvelopeOf(r).Marshal()
	sum := sha256.Sum256(r.Payload)
	want := "424c434501" + // "BLCE" v1
		"01a22000000070008000000000000007" + // event ID
		"0000000a" + hex.EncodeToString([]byte("incident-X")) +
		"00000009" + hex.EncodeToString([]byte("NoteAdded")) +
		"182aa5116171e800" + // 2025-03-07T22:15:00Z in Unix nanoseconds (0x182aa5116171e800)
		"00000005" + hex.EncodeToString([]byte("oscar")) +
		"0000000a" + hex.EncodeToString([]byte("SHA256:abc")) +
		hex.EncodeToString(sum[:])
	if got := hex.EncodeToString(env); got != want {
		t.Errorf("envelope =\n%s\nwant\n%s", got, want)
	}
	leaf := integrity.LeafOf(r).Marshal()
	wantLeaf := "424c4c4601" + "0000000000000007" + "0000000000000007" + "182aaacc36b51b58" + "000000" + hex.EncodeToString([]byte{byte(len(env))}) + want
	if got := hex.EncodeToString(leaf); got != wantLeaf {
		t.Errorf("leaf =\n%s\nwant\n%s", got, wantLeaf)
	}
	back, err := integrity.ParseLeaf(leaf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(integrity.LeafOf(r), back); diff != "" {
		t.Errorf("leaf round trip (-want +got):\n%s", diff)
	}
	if e, err := integrity.ParseEnvelope(env); err != nil || e != integrity.EnvelopeOf(r) {
		t.Errorf("envelope round trip = %v, %v", e, err)
	}
}

// TestEnvelopeVersion2 freezes the version-2 encoding (an envelope with a
// basis): version 1's fields under version byte 2, then the basis. Its
// length, 111 bytes of version 1 plus 8, is counted by hand.
func TestEnvelopeVersion2(t *testing.T) {
	r := record(t, 7)
	r.Signer = "SHA256:abc"
	v1 := integrity.EnvelopeOf(r).Marshal()
	r.Basis = 42
	env := integrity.EnvelopeOf(r).Marshal()
	sum := sha256.Sum256(r.Payload)
	want := "424c434502" + // "BLCE" v2
		"01a22000000070008000000000000007" + // event ID
		"0000000a" + hex.EncodeToString([]byte("incident-X")) +
		"00000009" + hex.EncodeToString([]byte("NoteAdded")) +
		"182aa5116171e800" + // 2025-03-07T22:15:00Z
		"00000005" + hex.EncodeToString([]byte("oscar")) +
		"0000000a" + hex.EncodeToString([]byte("SHA256:abc")) +
		hex.EncodeToString(sum[:]) +
		"000000000000002a" // basis 42
	if got := hex.EncodeToString(env); got != want {
		t.Errorf("envelope =\n%s\nwant\n%s", got, want)
	}
	if len(v1) != 111 || len(env) != 119 {
		t.Errorf("envelope lengths = %d (version 1), %d (version 2); want 111, 119", len(v1), len(env))
	}
	if !bytes.Equal(env[5:len(env)-8], v1[5:]) {
		t.Errorf("version 2 does not carry version 1's fields unchanged:\n%x\n%x", env, v1)
	}
	leaf := integrity.LeafOf(r).Marshal()
	wantLeaf := "424c4c4601" + "0000000000000007" + "0000000000000007" + "182aaacc36b51b58" + "00000077" + want
	if got := hex.EncodeToString(leaf); got != wantLeaf {
		t.Errorf("leaf =\n%s\nwant\n%s", got, wantLeaf)
	}
	back, err := integrity.ParseLeaf(leaf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(integrity.LeafOf(r), back); diff != "" {
		t.Errorf("leaf round trip (-want +got):\n%s", diff)
	}
	e, err := integrity.ParseEnvelope(env)
	if err != nil || e != integrity.EnvelopeOf(r) || e.Basis != 42 {
		t.Errorf("envelope round trip = %+v, %v", e, err)
	}
	if bytes.Equal(integrity.LeafOf(r).Hash(), integrity.LeafOf(record(t, 7)).Hash()) {
		t.Error("the basis does not change the leaf hash")
	}
}

// TestEnvelopeVersionByBasis: the basis alone chooses the version, and
// every basis round-trips, up to the largest.
func TestEnvelopeVersionByBasis(t *testing.T) {
	tests := []struct {
		basis   uint64
		version byte
	}{
		{0, 1},
		{1, 2},
		{1 << 32, 2},
		{^uint64(0), 2},
	}
	for _, tt := range tests {
		r := record(t, 1)
		r.Basis = tt.basis
		env := integrity.EnvelopeOf(r).Marshal()
		if got := env[4]; got != tt.version {
			t.Errorf("basis %d: version %d, want %d", tt.basis, got, tt.version)
		}
		if e, err := integrity.ParseEnvelope(env); err != nil || e.Basis != tt.basis {
			t.Errorf("basis %d: parsed back as %d, %v", tt.basis, e.Basis, err)
		}
	}
}

func TestParseEnvelopeRefuses(t *testing.T) {
	v1 := integrity.EnvelopeOf(record(t, 1)).Marshal()
	r := record(t, 1)
	r.Basis = 5
	v2 := integrity.EnvelopeOf(r).Marshal()
	zeroBasis := append(append([]byte(nil), v2[:len(v2)-8]...), 0, 0, 0, 0, 0, 0, 0, 0)
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "content envelope header"},
		{"another magic", append([]byte("BLLF"), v1[4:]...), "not a content envelope"},
		{"version 0", append(append([]byte("BLCE"), 0), v1[5:]...), "version 0 is not supported (this program reads versions 1 to 2)"},
		{"a future version", append(append([]byte("BLCE"), 3), v2[5:]...), "version 3 is not supported"},
		{"version 1 with a basis", append(append([]byte("BLCE"), 1), v2[5:]...), "8 trailing bytes"},
		{"version 2 without its basis", append(append([]byte("BLCE"), 2), v1[5:]...), "basis: want 8 bytes"},
		{"version 2 with basis 0", zeroBasis, "version 2 with basis 0"},
		{"version 2 cut short", v2[:len(v2)-1], "want"},
		{"version 2 with trailing bytes", append(append([]byte(nil), v2...), 0), "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := integrity.ParseEnvelope(tt.b)
			if !errors.Is(err, integrity.ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseEnvelope = %v, want ErrMalformed saying %q", err, tt.want)
			}
		})
	}
	// Inside a leaf too.
	leaf := integrity.LeafOf(record(t, 1)).Marshal()
	bad := append(append([]byte(nil), leaf[:len(leaf)-len(v1)-4]...), 0, 0, 0, byte(len(zeroBasis)))
	bad = append(bad, zeroBasis...)
	if _, err := integrity.ParseLeaf(bad); !errors.Is(err, integrity.ErrMalformed) || !strings.Contains(err.Error(), "basis 0") {
		t.Errorf("ParseLeaf of a leaf whose envelope is version 2 with basis 0 = %v, want ErrMalformed", err)
	}
}

func TestParseLeafRefuses(t *testing.T) {
	good := integrity.LeafOf(record(t, 1)).Marshal()
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "leaf header"},
		{"another magic", append([]byte("XXXX"), good[4:]...), "not a leaf"},
		{"a future version", append(append([]byte("BLLF"), 2), good[5:]...), "version 2 is not supported"},
		{"cut short", good[:len(good)-1], "want"},
		{"trailing bytes", append(append([]byte(nil), good...), 0), "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := integrity.ParseLeaf(tt.b)
			if !errors.Is(err, integrity.ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseLeaf = %v, want ErrMalformed saying %q", err, tt.want)
			}
		})
	}
}

func TestLeafDiff(t *testing.T) {
	base := integrity.LeafOf(record(t, 3))
	tests := []struct {
		name   string
		change func(l *integrity.Leaf)
		want   []string
	}{
		{"same", func(*integrity.Leaf) {}, nil},
		{"actor", func(l *integrity.Leaf) { l.Actor = "mallory" }, []string{`actor is "mallory", the checkpointed leaf has "oscar"`}},
		{"recorded time", func(l *integrity.Leaf) { l.RecordedAt = l.RecordedAt.Add(time.Second) },
			[]string{"recorded time is 2025-03-08T00:00:01.000003Z, the checkpointed leaf has 2025-03-08T00:00:00.000003Z"}},
		{"payload", func(l *integrity.Leaf) { l.PayloadSHA256[0] ^= 1 }, []string{"payload changed: its SHA-256 is"}},
		{"moved", func(l *integrity.Leaf) { l.ID[0] ^= 1; l.Sequence++ }, []string{"sequence is 4, the checkpointed leaf has 3", "event ID is"}},
		{"basis added", func(l *integrity.Leaf) { l.Basis = 8 }, []string{"ledger revision decided on (basis) is 8 (ledger revision 7), the checkpointed leaf has none recorded"}},
		{"payload and basis", func(l *integrity.Leaf) { l.Basis = 8; l.PayloadSHA256[0] ^= 1 }, []string{"payload changed", "ledger revision decided on (basis) is 8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := base
			tt.change(&l)
			got := l.Diff(base)
			if len(got) != len(tt.want) {
				t.Fatalf("Diff = %q, want %d phrases", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("Diff[%d] = %q, want it to start %q", i, got[i], w)
				}
			}
		})
	}
}
