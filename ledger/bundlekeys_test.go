package ledger_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/ledger"
	"github.com/breachledger/breachledger/seal"
)

// sealedBundleLedger is a ledger with a sealed detection and note, its
// key store and writer.
type sealedBundleLedger struct {
	st   eventstore.Store
	k    *integrity.LedgerKey
	ks   *keystore.File
	w    ledger.Writer
	octx context.Context
	at   time.Time
}

const bundleSummary, bundleNote = "laptop of jane.roe@example.com stolen", "called Jane Roe on +353 1 555 0101"

func newSealedBundleLedger(t *testing.T) *sealedBundleLedger {
	t.Helper()
	ctx := context.Background()
	st := openLedger(t)
	k := initLedger(t, st)
	ks, err := keystore.New(ctx, filepath.Join(t.TempDir(), "keys.db"), keystore.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ks.Close() })
	l := &sealedBundleLedger{st: st, k: k, ks: ks, at: time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC),
		w: ledger.Writer{Store: st, Checkpointer: &ledger.Checkpointer{Store: st, Key: k},
			Seal: func(ctx context.Context, _ domain.Ledger, incident string, r *eventstore.Record) error {
				return ledger.SealRecord(ctx, ks, incident, r)
			}},
		octx: ledger.WithOpener(ctx, &ledger.Opener{Keys: func(context.Context) (keystore.Store, error) { return ks, nil }}),
	}
	for _, c := range []domain.Command{
		domain.DetectIncident{By: domain.By{Actor: "oscar", At: l.at}, Source: domain.SourceOperatorEscalation, Summary: bundleSummary, Role: domain.RoleBoth},
		domain.AddNote{By: domain.By{Actor: "oscar", At: l.at}, Text: bundleNote},
	} {
		if _, err := l.w.Execute(l.octx, "INC1", c, l.at); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// export returns a bundle of every event, with the keys when withKeys.
func (l *sealedBundleLedger) export(t *testing.T, withKeys bool) *integrity.Bundle {
	t.Helper()
	b, err := ledger.ExportBundle(context.Background(), l.st, l.k.Public(), ledger.BundleSelection{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if withKeys {
		if _, without, err := ledger.AddBundleKeys(context.Background(), l.st, l.ks, b); err != nil || without != 0 {
			t.Fatalf("AddBundleKeys: %d values without a key, %v", without, err)
		}
	}
	// Through its bytes, as an auditor reads it.
	out, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := integrity.ParseBundle(out)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

// texts returns the summary and the note a bundle's history gives.
func texts(h *history.History) (summary, note string) {
	for _, f := range h.Incidents["INC1"] {
		switch e := f.Event.(type) {
		case domain.IncidentDetected:
			summary = e.Summary
		case domain.NoteAdded:
			note = e.Text
		}
	}
	return summary, note
}

// liveKeys returns the key store's live keys' bytes by ID.
func (l *sealedBundleLedger) liveKeys(t *testing.T) map[string][]byte {
	t.Helper()
	infos, err := l.ks.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, in := range infos {
		if k, err := l.ks.Key(context.Background(), in.ID); err == nil {
			out[in.ID] = k.Bytes()
		}
	}
	return out
}

// TestBundleKeys (issue 25): a bundle carries sealed fields as stored and
// no key material at all unless asked (AddBundleKeys); it verifies the
// same either way. Its history shows "[sealed]" without keys and the
// plaintexts with them, and the counts say so.
func TestBundleKeys(t *testing.T) {
	l := newSealedBundleLedger(t)
	keys := l.liveKeys(t)
	if len(keys) != 3 {
		t.Fatalf("%d keys, want 3 (the detection's, its pack pin's, the note's)", len(keys))
	}
	ctx := context.Background()

	bare := l.export(t, false)
	out, _ := bare.Marshal()
	if bytes.Contains(out, []byte(`"keys"`)) {
		t.Error(`a bundle exported without keys has a "keys" field`)
	}
	for id, b := range keys {
		for _, enc := range [][]byte{b, []byte(base64.StdEncoding.EncodeToString(b)), []byte(base64.RawURLEncoding.EncodeToString(b)), []byte(hex.EncodeToString(b))} {
			if bytes.Contains(out, enc) {
				t.Errorf("the bundle without keys holds key %s's bytes", id)
			}
		}
	}
	for _, plain := range []string{bundleSummary, bundleNote, "jane.roe"} {
		if bytes.Contains(out, []byte(plain)) {
			t.Errorf("the bundle holds the plaintext %q", plain)
		}
	}
	rep, h, count, err := ledger.VerifyBundleSealed(ctx, bare, l.k.Public(), nil)
	if err != nil || !rep.OK() {
		t.Fatalf("VerifyBundleSealed without keys: %+v, %v", rep.Problems, err)
	}
	if want := (ledger.BundleSeal{Sealed: 3}); count != want {
		t.Errorf("counts without keys = %+v, want %+v", count, want)
	}
	if s, n := texts(h); s != ledger.SealedPlaceholder || n != ledger.SealedPlaceholder {
		t.Errorf("history without keys = %q, %q; want %q", s, n, ledger.SealedPlaceholder)
	}

	withKeys := l.export(t, true)
	if len(withKeys.Keys) != 3 {
		t.Fatalf("bundle keys: %d, want 3", len(withKeys.Keys))
	}
	for _, bk := range withKeys.Keys {
		if !bytes.Equal(keys[bk.ID], bk.Key) {
			t.Errorf("bundle key %s is not the key store's", bk.ID)
		}
	}
	rep, h, count, err = ledger.VerifyBundleSealed(ctx, withKeys, l.k.Public(), nil)
	if err != nil || !rep.OK() {
		t.Fatalf("VerifyBundleSealed with keys: %+v, %v", rep.Problems, err)
	}
	if want := (ledger.BundleSeal{Sealed: 3, Opened: 3, Keys: 3}); count != want {
		t.Errorf("counts with keys = %+v, want %+v", count, want)
	}
	if s, n := texts(h); s != bundleSummary || n != bundleNote {
		t.Errorf("history with keys = %q, %q; want the plaintexts", s, n)
	}
	// The keys are not committed to: the report is the same as without.
	bareRep, _, _, _ := ledger.VerifyBundleSealed(ctx, bare, l.k.Public(), nil)
	if rep.Events != bareRep.Events || rep.Signed != bareRep.Signed || !bytes.Equal(rep.Root, bareRep.Root) {
		t.Errorf("report with keys %+v differs from without %+v", rep, bareRep)
	}
}

// TestBundleKeysAttacks: a key whose bytes were changed in the bundle, or
// swapped with another's, fails verification naming the key; so does a
// key given twice. The values under a changed key stay "[sealed]".
func TestBundleKeysAttacks(t *testing.T) {
	l := newSealedBundleLedger(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(b *integrity.Bundle) (named []string)
	}{
		{"a key's bytes replaced", func(b *integrity.Bundle) []string {
			b.Keys[0].Key = seal.GenerateKey().Bytes()
			return []string{b.Keys[0].ID}
		}},
		{"two keys' bytes swapped", func(b *integrity.Bundle) []string {
			b.Keys[0].Key, b.Keys[1].Key = b.Keys[1].Key, b.Keys[0].Key
			return []string{b.Keys[0].ID, b.Keys[1].ID}
		}},
		{"a key cut short", func(b *integrity.Bundle) []string {
			b.Keys[2].Key = b.Keys[2].Key[:16]
			return []string{b.Keys[2].ID}
		}},
		{"a key given twice", func(b *integrity.Bundle) []string {
			b.Keys = append(b.Keys, b.Keys[1])
			return []string{b.Keys[1].ID}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := l.export(t, true)
			named := tc.change(b)
			rep, h, count, err := ledger.VerifyBundleSealed(ctx, b, l.k.Public(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatal("a bundle with a changed key verifies")
			}
			for _, id := range named {
				found := false
				for _, p := range rep.Problems {
					found = found || p.What == "key" && strings.Contains(p.Detail, id)
				}
				if !found {
					t.Errorf("no problem names key %s: %+v", id, rep.Problems)
				}
			}
			for _, p := range rep.Problems {
				if p.What != "key" {
					t.Errorf("a problem other than the key's: %+v", p)
				}
			}
			// A value whose key was changed stays sealed.
			if tc.name != "a key given twice" && count.Opened != count.Sealed-len(named) {
				t.Errorf("opened %d of %d sealed values with %d keys changed", count.Opened, count.Sealed, len(named))
			}
			if s, n := texts(h); s == ledger.SealedPlaceholder && n == ledger.SealedPlaceholder && tc.name == "a key given twice" {
				t.Errorf("the keys given (one twice) opened nothing: %q, %q", s, n)
			}
		})
	}
}

// TestBundleKeysForgotten: a key a DataShredded in the ledger forgot is
// never exported, even when the key store still holds it (a shred cut
// short, a backup restored); the bundle counts its value forgotten and its
// history shows "[forgotten on DATE, basis]".
func TestBundleKeysForgotten(t *testing.T) {
	l := newSealedBundleLedger(t)
	ctx := context.Background()
	recs, err := l.st.ReadStream(ctx, domain.IncidentStream("INC1"), eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var noteKey string
	for _, r := range recs {
		if r.Type == "NoteAdded" {
			f, _, _ := ledger.SealedFields(r)
			noteKey = f[0].KeyID
		}
	}
	// The DataShredded is in the ledger; the key is not destroyed.
	if _, err := l.w.Execute(l.octx, "INC1", domain.ShredData{By: domain.By{Actor: "alice", At: l.at}, Basis: domain.ShredMistakenEntry,
		Reason: "pasted by mistake", KeyIDs: []string{noteKey}}, l.at); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ks.Key(ctx, noteKey); err != nil {
		t.Fatalf("the note's key: %v; the test needs it still in the store", err)
	}
	b := l.export(t, true)
	for _, bk := range b.Keys {
		if bk.ID == noteKey {
			t.Error("the bundle carries a key a DataShredded forgot")
		}
	}
	rep, h, count, err := ledger.VerifyBundleSealed(ctx, b, l.k.Public(), nil)
	if err != nil || !rep.OK() {
		t.Fatalf("VerifyBundleSealed: %+v, %v", rep.Problems, err)
	}
	if want := (ledger.BundleSeal{Sealed: 3, Opened: 2, Forgotten: 1, Keys: 2}); count != want {
		t.Errorf("counts = %+v, want %+v", count, want)
	}
	if s, n := texts(h); s != bundleSummary || n != "[forgotten on 2025-03-07, mistaken-entry]" {
		t.Errorf("history = %q, %q; want the summary and the note forgotten", s, n)
	}

	// Once destroyed in the store too, the same.
	if err := l.ks.Destroy(ctx, "ds", noteKey); err != nil {
		t.Fatal(err)
	}
	if b := l.export(t, true); len(b.Keys) != 2 {
		t.Errorf("%d keys after the destruction, want 2", len(b.Keys))
	}
}
