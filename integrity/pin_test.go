package integrity

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
)

// newKey makes a ledger key for origin.
func newKey(t *testing.T, origin string) *LedgerKey {
	t.Helper()
	skey, _, err := GenerateLedgerKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseLedgerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var pinTime = time.Date(2025, 3, 12, 9, 30, 0, 0, time.UTC)

func TestPinsRoundTrip(t *testing.T) {
	a := newKey(t, Origin("contoso", uuid.New())).Public()
	b := newKey(t, Origin("fabrikam", uuid.New())).Public()
	ps := Pins{
		NewPin(a, "sqlite:/srv/ledgers/my ledger%.db", pinTime),
		NewPin(a, "esdb://db1:2113,db2:2113?prefix=acme-ir/", pinTime),
		NewPin(b, NoLocation, pinTime),
	}
	out := MarshalPins(ps)
	if !strings.HasPrefix(string(out), PinHeader+"\n") {
		t.Errorf("no header:\n%s", out)
	}
	if !strings.Contains(string(out), " sqlite:/srv/ledgers/my%20ledger%25.db\n") {
		t.Errorf("location not escaped:\n%s", out)
	}
	got, err := ParsePins(out)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ps, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if fp := a.Fingerprint(); !strings.HasPrefix(fp, "SHA256:") || len(fp) != len("SHA256:")+43 || fp == b.Fingerprint() {
		t.Errorf("fingerprint %q (other key %q)", fp, b.Fingerprint())
	}
}

// TestParsePinsCorrupt: every damaged pin file is an error naming its
// line, never "no pins".
func TestParsePinsCorrupt(t *testing.T) {
	a := newKey(t, Origin("contoso", uuid.New())).Public()
	a2 := newKey(t, a.Origin()).Public() // another key for the same origin
	b := newKey(t, Origin("fabrikam", uuid.New())).Public()
	good := func(p Pin) string { return strings.SplitN(string(MarshalPins(Pins{p})), "\n", 4)[3] }
	line := good(NewPin(a, "sqlite:/l.db", pinTime))
	f := strings.Fields(line)
	tests := []struct {
		name, file, want string
	}{
		{"too few fields", strings.Join(f[:4], " ") + "\n", "line 1: 4 fields"},
		{"tab separated", strings.Join(f, "\t") + "\n", "1 fields"},
		{"bad key", strings.Replace(line, f[1], "not-a-key", 1), "key:"},
		{"origin not the key's", strings.Replace(line, f[0], b.Origin(), 1), "the key is for"},
		{"wrong fingerprint", strings.Replace(line, f[2], b.Fingerprint(), 1), "is not the key's"},
		{"bad time", strings.Replace(line, f[3], "yesterday", 1), "pinned-at"},
		{"bad escape", strings.Replace(line, "sqlite:/l.db", "sqlite:/l%G1.db", 1), "bad escape"},
		{"two keys for an origin", line + good(NewPin(a2, "sqlite:/other.db", pinTime)), "line 2: " + a.Origin() + " pinned to two keys"},
		{"a location twice", line + good(NewPin(b, "sqlite:/l.db", pinTime)), "location sqlite:/l.db pinned twice"},
		{"another format version", "# breachledger pinned ledger keys (pins/v9)\n" + line, "another version"},
		{"garbage", "hello\n", "1 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePins([]byte(tt.file))
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an ErrMalformed saying %q", err, tt.want)
			}
		})
	}
	if ps, err := ParsePins(nil); err != nil || len(ps) != 0 {
		t.Errorf("empty file: %v, %v; want no pins", ps, err)
	}
}

func TestPinsAdd(t *testing.T) {
	a := newKey(t, Origin("contoso", uuid.New())).Public()
	a2 := newKey(t, a.Origin()).Public()
	b := newKey(t, Origin("fabrikam", uuid.New())).Public()
	ps := Pins{NewPin(a, NoLocation, pinTime)}
	ps, err := ps.Add(NewPin(a, "sqlite:/l.db", pinTime))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Location != "sqlite:/l.db" {
		t.Errorf("a location replaces the location-less pin: got %+v", ps)
	}
	if _, err := ps.Add(NewPin(a2, "sqlite:/m.db", pinTime)); !errors.Is(err, ErrIntegrity) {
		t.Errorf("another key for a pinned origin: %v, want ErrIntegrity", err)
	}
	if _, err := ps.Add(NewPin(b, "sqlite:/l.db", pinTime)); !errors.Is(err, ErrIntegrity) {
		t.Errorf("another origin at a pinned location: %v, want ErrIntegrity", err)
	}
	ps, n := ps.Remove(a.Origin())
	if n != 1 || len(ps) != 0 {
		t.Errorf("remove: %d removed, %d left; want 1, 0", n, len(ps))
	}
}

func TestHandover(t *testing.T) {
	origin := Origin("contoso", uuid.New())
	old := newKey(t, origin)
	next := newKey(t, origin)
	cp, err := old.Sign(42, make([]byte, HashSize))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := old.SignHandover(next.Public(), cp)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := HandoverOrigin(msg); err != nil || got != origin {
		t.Errorf("HandoverOrigin = %q, %v; want %q", got, err, origin)
	}
	h, err := OpenHandover(msg, old.Public())
	if err != nil {
		t.Fatal(err)
	}
	if h.New.String() != next.Public().String() || h.Old.String() != old.Public().String() || h.Size != 42 || h.Origin != origin {
		t.Errorf("got %+v", h)
	}

	// A statement with the same text signed by any other key, even one
	// named for the origin, is refused.
	forger := newKey(t, origin)
	forged, err := note.Sign(&note.Note{Text: handoverText(origin, old.Public(), forger.Public(), 42, cp.Root)}, forger.signer)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		msg    []byte
		pinned *PublicKey
		want   string
	}{
		{"signed by another key", forged, old.Public(), "not signed by the pinned key"},
		{"opened with a key it is not from", msg, next.Public(), "not signed by the pinned key"},
		{"altered after signing", []byte(strings.Replace(string(msg), "size 42", "size 41", 1)), old.Public(), "does not verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := OpenHandover(tt.msg, tt.pinned); !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrIntegrity saying %q", err, tt.want)
			}
		})
	}
	if _, err := old.SignHandover(old.Public(), cp); err == nil {
		t.Error("a hand-over to the same key was signed")
	}
	if _, err := old.SignHandover(newKey(t, Origin("other", uuid.New())).Public(), cp); err == nil {
		t.Error("a hand-over to another origin's key was signed")
	}
}
