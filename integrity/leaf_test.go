package integrity_test

import (
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
