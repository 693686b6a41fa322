package ledger_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/seal"
)

// TestSealedWrite: with Writer.Seal set, the stored payload, the content
// envelope that signatures commit to and the leaf hold neither the
// plaintext of a personal field nor its SHA-256 (a known-plaintext guess
// cannot be confirmed from the ledger); a read with an Opener gives the
// domain the plaintext, one without keys "[sealed]", and one without an
// Opener the sealed form. Regulatory facts stay in clear.
func TestSealedWrite(t *testing.T) {
	ctx := context.Background()
	st := openLedger(t)
	k := initLedger(t, st)
	ks, err := keystore.New(ctx, filepath.Join(t.TempDir(), "keys.db"), keystore.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	w := ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: k},
		Seal: func(ctx context.Context, _ domain.Ledger, incident string, r *eventstore.Record) error {
			return ledger.SealRecord(ctx, ks, incident, r)
		}}
	at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	const summary, note = "laptop of jane.roe@example.com stolen", "called Jane Roe on +353 1 555 0101"
	opener := &ledger.Opener{Keys: func(context.Context) (keystore.Store, error) { return ks, nil }}
	octx := ledger.WithOpener(ctx, opener)
	for _, c := range []domain.Command{
		domain.DetectIncident{By: domain.By{Actor: "oscar", At: at}, Source: domain.SourceOperatorEscalation, Summary: summary, Role: domain.RoleBoth},
		domain.AddNote{By: domain.By{Actor: "oscar", At: at}, Text: note},
	} {
		// The writer decides on opened values (its load reads with the opener).
		if _, err := w.Execute(octx, "INC1", c, at); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := st.ReadStream(ctx, domain.IncidentStream("INC1"), eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{summary, note} {
		sum := sha256.Sum256([]byte(plain))
		for _, r := range recs {
			env := integrity.EnvelopeOf(r).Marshal()
			for what, b := range map[string][]byte{"payload": r.Payload, "envelope": env} {
				for _, guess := range [][]byte{[]byte(plain), []byte(hex.EncodeToString(sum[:])), sum[:],
					[]byte(base64.StdEncoding.EncodeToString(sum[:])), []byte(base64.RawURLEncoding.EncodeToString(sum[:]))} {
					if bytes.Contains(b, guess) {
						t.Errorf("the %s of %s holds %q or its SHA-256", what, r.Type, plain)
					}
				}
			}
		}
	}
	if !bytes.Contains(recs[0].Payload, []byte(`"source":"operator-escalation"`)) {
		t.Errorf("a regulatory fact is not in clear: %s", recs[0].Payload)
	}

	text := func(ctx context.Context) (string, string) {
		t.Helper()
		facts, err := ledger.ReadStream(ctx, st, domain.IncidentStream("INC1"))
		if err != nil {
			t.Fatal(err)
		}
		var s, n string
		for _, f := range facts {
			switch e := f.Event.(type) {
			case domain.IncidentDetected:
				s = e.Summary
			case domain.NoteAdded:
				n = e.Text
			}
		}
		return s, n
	}
	if s, n := text(octx); s != summary || n != note {
		t.Errorf("opened = %q, %q; want the plaintexts", s, n)
	}
	noKeys := ledger.WithOpener(ctx, &ledger.Opener{})
	if s, n := text(noKeys); s != ledger.SealedPlaceholder || n != ledger.SealedPlaceholder {
		t.Errorf("without keys = %q, %q; want %q", s, n, ledger.SealedPlaceholder)
	}
	if s, n := text(ctx); !seal.IsSealed(s) || !seal.IsSealed(n) {
		t.Errorf("without an opener = %q, %q; want the sealed forms", s, n)
	}
	h, err := ledger.ReadHistory(octx, st)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, f := range h.Incidents["INC1"] {
		if e, ok := f.Event.(domain.NoteAdded); ok {
			got = e.Text
		}
	}
	if got != note {
		t.Errorf("ReadHistory's note = %q, want %q", got, note)
	}
	// Each free text has its event's own key (the detection, its pack pin
	// and the note: three).
	keys, err := ks.List(ctx, "INC1")
	if err != nil {
		t.Fatal(err)
	}
	scopes := map[string]bool{}
	for _, k := range keys {
		scopes[k.Scope.Event] = true
	}
	if len(keys) != 3 || len(scopes) != 3 || scopes[""] {
		t.Errorf("keys = %+v, want one per event", keys)
	}

	// Forget the note alone: its own key is destroyed after the
	// DataShredded; the summary, under its own event's key, stays.
	var noteKey string
	for _, r := range recs {
		if r.Type == "NoteAdded" {
			f, _, err := ledger.SealedFields(r)
			if err != nil || len(f) != 1 {
				t.Fatalf("SealedFields(note) = %v, %v", f, err)
			}
			noteKey = f[0].KeyID
		}
	}
	res, err := w.Execute(octx, "INC1", domain.ShredData{By: domain.By{Actor: "alice", At: at}, Basis: domain.ShredMistakenEntry,
		Reason: "pasted by mistake", KeyIDs: []string{noteKey}}, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Destroy(ctx, res.Records[0].ID.String(), noteKey); err != nil {
		t.Fatal(err)
	}
	if s, n := text(octx); s != summary || n != "[forgotten on 2025-03-07, mistaken-entry]" {
		t.Errorf("after the shred = %q, %q; want the summary and the note forgotten", s, n)
	}

	// The kept views' source opens what it reads, whatever the context
	// it is read with; without an Opener it is the store itself.
	for name, read := range map[string]func(eventstore.Store) ([]eventstore.Record, error){
		"ReadStream": func(s eventstore.Store) ([]eventstore.Record, error) {
			return s.ReadStream(ctx, domain.IncidentStream("INC1"), eventstore.ReadOptions{})
		},
		"ReadAll": func(s eventstore.Store) ([]eventstore.Record, error) { return s.ReadAll(ctx, 0, 0) },
	} {
		opened, err := read(ledger.OpeningStore(st, opener))
		if err != nil {
			t.Fatal(err)
		}
		var all []byte
		for _, r := range opened {
			all = append(all, r.Payload...)
		}
		if !bytes.Contains(all, []byte(summary)) || !bytes.Contains(all, []byte("[forgotten on 2025-03-07, mistaken-entry]")) {
			t.Errorf("OpeningStore's %s: the summary is not opened, or the note not forgotten", name)
		}
	}
	if ledger.OpeningStore(st, nil) != eventstore.Store(st) {
		t.Error("OpeningStore without an Opener is not the store")
	}

	// A page of a longer read that holds the note but not the
	// DataShredded after it (ReadHistory reads the log in pages): with a
	// Store, the opener finds the shred in the note's stream, for a reader
	// with the key store and for one without; without one, it can only
	// say the note is forgotten, or sealed.
	var page []eventstore.Record
	for _, r := range recs {
		if r.Type == "NoteAdded" {
			page = append(page, r)
		}
	}
	for _, tc := range []struct {
		name string
		o    *ledger.Opener
		want string
	}{
		{"keys and store", &ledger.Opener{Store: st, Keys: opener.Keys}, "[forgotten on 2025-03-07, mistaken-entry]"},
		{"store, no keys", &ledger.Opener{Store: st}, "[forgotten on 2025-03-07, mistaken-entry]"},
		{"keys, no store", &ledger.Opener{Keys: opener.Keys}, "[forgotten]"},
		{"neither", &ledger.Opener{}, ledger.SealedPlaceholder},
	} {
		opened, err := tc.o.Open(ctx, page)
		if err != nil {
			t.Fatal(err)
		}
		f, err := domain.Decode(opened[0].Type, opened[0].Payload)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.(domain.NoteAdded).Text; got != tc.want {
			t.Errorf("%s: the note of a page without its shred reads %q, want %q", tc.name, got, tc.want)
		}
	}
}

// A processor's notice to a controller names the controller organisation
// its profile lists, and the domain matches the two to tell whether the
// Art. 33(2) notice was sent: that recipient stays in clear (so the status
// is the same with keys, without and after a shred), a recipient of any
// other kind is sealed, and a correction's replacement follows its kind.
func TestControllerRecipientInClear(t *testing.T) {
	ctx := context.Background()
	ks, err := keystore.New(ctx, filepath.Join(t.TempDir(), "keys.db"), keystore.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	at := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	notice := func(kind domain.RecipientKind, to string) domain.NotificationSent {
		return domain.NotificationSent{RecipientKind: kind, Recipient: to, Channel: domain.ChannelEmail, Phase: domain.PhaseInitial}
	}
	for _, tc := range []struct {
		name  string
		event domain.Event
		clear bool
	}{
		{"to a controller", notice(domain.RecipientController, "contoso-gmbh"), true},
		{"to an authority", notice(domain.RecipientAuthority, "contoso-gmbh"), false},
		{"a correction, to a controller", domain.EventCorrected{Target: "t", TargetType: "NotificationSent", At: at, Replacement: notice(domain.RecipientController, "contoso-gmbh"), Changed: []string{"recipient"}, Reason: "typo"}, true},
		{"a correction, to an authority", domain.EventCorrected{Target: "t", TargetType: "NotificationSent", At: at, Replacement: notice(domain.RecipientAuthority, "contoso-gmbh"), Changed: []string{"recipient"}, Reason: "typo"}, false},
	} {
		typ, payload, err := domain.Encode(tc.event)
		if err != nil {
			t.Fatal(err)
		}
		r := eventstore.Record{ID: uuid.Must(uuid.NewV7()), Stream: domain.IncidentStream("INC1"), Type: typ, OccurredAt: at, Actor: "ian", Payload: payload}
		if err := ledger.SealRecord(ctx, ks, "INC1", &r); err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(r.Payload, []byte(`"contoso-gmbh"`)); got != tc.clear {
			t.Errorf("%s: recipient in clear = %v, want %v: %s", tc.name, got, tc.clear, r.Payload)
		}
		if _, clear, err := ledger.SealedFields(r); err != nil || clear != 0 {
			t.Errorf("%s: SealedFields counts %d personal fields in clear (%v), want 0: shred would call it unforgettable", tc.name, clear, err)
		}
	}
}
