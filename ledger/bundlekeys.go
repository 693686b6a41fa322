package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/integrity"
	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/seal"
)

// Bundles and sealed personal fields (issue 25). A bundle carries its
// events' payloads as stored, so its sealed fields stay sealed: an auditor
// can be given the record without the personal data. Only when the
// exporter asks (export --with-keys) does it carry the live data keys of
// those fields too (AddBundleKeys); never a key a DataShredded forgot. The
// keys are not part of any signed or Merkle-committed data, so a bundle
// verifies the same with or without them; the verifier checks each key
// against its ID and the values naming it (CheckBundleKeys), and opens the
// fields with them (VerifyBundleSealed).

// AddBundleKeys puts into b the live keys, from ks, of the sealed fields
// of b's events, sorted by ID, leaving out every key a DataShredded in st
// forgot (even one a restored backup of the key store still holds). It
// returns how many keys it added and how many sealed values have no key
// in ks (nil ks: none has), forgotten ones apart.
func AddBundleKeys(ctx context.Context, st eventstore.Store, ks keystore.Store, b *integrity.Bundle) (keys, without int, err error) {
	var shreds []eventstore.Record
	for r, err := range eventstore.All(ctx, st, 0) {
		if err != nil {
			return 0, 0, fmt.Errorf("read the ledger's shreds: %w", err)
		}
		if r.Type == "DataShredded" {
			shreds = append(shreds, r)
		}
	}
	forgotten := ForgottenKeys(shreds)
	have := map[string]bool{}
	for _, r := range bundleRecords(b) {
		sealed, _, err := SealedFields(r)
		if err != nil {
			return 0, 0, fmt.Errorf("export bundle keys: %w", err)
		}
		for _, f := range sealed {
			if _, ok := forgotten[f.KeyID]; ok {
				continue
			}
			if have[f.KeyID] {
				continue
			}
			if ks == nil {
				without++
				continue
			}
			k, err := ks.Key(ctx, f.KeyID)
			switch {
			case errors.Is(err, keystore.ErrDestroyed):
				continue // forgotten here, whatever the ledger says
			case errors.Is(err, keystore.ErrNotFound):
				without++
				continue
			case err != nil:
				return 0, 0, fmt.Errorf("export bundle keys: key %s: %w", f.KeyID, err)
			}
			have[f.KeyID] = true
			b.Keys = append(b.Keys, integrity.BundleKey{ID: k.ID(), Key: k.Bytes()})
		}
	}
	sort.Slice(b.Keys, func(i, j int) bool { return b.Keys[i].ID < b.Keys[j].ID })
	return len(b.Keys), without, nil
}

// BundleSeal counts a bundle's sealed personal values.
type BundleSeal struct {
	Sealed    int `json:"sealed"`    // sealed values in the bundle's events
	Opened    int `json:"opened"`    // of them, opened with the bundle's keys
	Forgotten int `json:"forgotten"` // of them, whose key a DataShredded in the bundle names
	Keys      int `json:"keys"`      // data keys the bundle carries
}

// CheckBundleKeys checks the keys b carries and counts its sealed values.
// Each key must give its ID (seal.KeyID of its bytes) and open every value
// of the bundle naming it; a problem (What "key") names each key that does
// not, and each ID given twice. It returns a read-only key store of the
// keys that pass, to open the bundle's fields with.
func CheckBundleKeys(b *integrity.Bundle) (BundleSeal, []integrity.Problem, *keystore.ReadOnly) {
	count := BundleSeal{Keys: len(b.Keys)}
	var problems []integrity.Problem
	recs := bundleRecords(b)
	forgotten := ForgottenKeys(recs)

	// Where each key is first named, for the problem's place.
	firstUse := map[string]eventstore.Record{}
	for _, r := range recs {
		sealed, _, _ := SealedFields(r)
		for _, f := range sealed {
			if _, ok := firstUse[f.KeyID]; !ok {
				firstUse[f.KeyID] = r
			}
		}
	}
	add := func(id, format string, args ...any) {
		p := integrity.Problem{What: "key", Detail: fmt.Sprintf(format, args...)}
		if r, ok := firstUse[id]; ok {
			p.Seq, p.EventID = r.Sequence, r.ID.String()
		}
		problems = append(problems, p)
	}

	keys := map[string]seal.Key{}
	bad := map[string]bool{}
	for _, bk := range b.Keys {
		if _, ok := keys[bk.ID]; ok || bad[bk.ID] {
			add(bk.ID, "the bundle carries key %s twice", bk.ID)
			continue
		}
		k, err := seal.NewKey(bk.Key)
		switch {
		case err != nil:
			add(bk.ID, "the bundle's key %s is not a data key (%v): it was changed in the bundle", bk.ID, err)
			bad[bk.ID] = true
			continue
		case k.ID() != bk.ID:
			add(bk.ID, "the bundle's key %s is not the key of that ID (its bytes give %s): it was changed in the bundle", bk.ID, k.ID())
			bad[bk.ID] = true
			continue
		}
		keys[bk.ID] = k
	}

	for _, r := range recs {
		if !bytes.Contains(r.Payload, sealMarker) {
			continue
		}
		doc, err := decodeDoc(r.Payload)
		if err != nil {
			continue // the bundle's verification reports the payload
		}
		for _, f := range personalFieldsOf(&r) {
			_ = walkPath(doc, f.Path, "", func(path, v string) (string, error) {
				if !seal.IsSealed(v) {
					return v, nil
				}
				count.Sealed++
				id, err := seal.KeyIDOf(v)
				if err != nil {
					return v, nil
				}
				if _, ok := forgotten[id]; ok {
					count.Forgotten++
					return v, nil
				}
				k, ok := keys[id]
				if !ok {
					return v, nil
				}
				if _, err := seal.Open(k, seal.Place{EventID: r.ID.String(), Stream: r.Stream, Type: r.Type, Path: path}, v); err != nil {
					p := integrity.Problem{Seq: r.Sequence, EventID: r.ID.String(), What: "key",
						Detail: fmt.Sprintf("the bundle's key %s does not open %s, sealed under it (%v)", id, path, err)}
					problems = append(problems, p)
					return v, nil
				}
				count.Opened++
				return v, nil
			})
		}
	}
	good := make([]seal.Key, 0, len(keys))
	for _, bk := range b.Keys {
		if k, ok := keys[bk.ID]; ok {
			good = append(good, k) // NewReadOnly keeps a key once
		}
	}
	return count, problems, keystore.NewReadOnly(good...)
}

// VerifyBundleSealed is VerifyBundle for a bundle that may hold sealed
// personal fields: its report also has the problems of the bundle's keys
// (CheckBundleKeys), and its history the sealed fields opened with them,
// "[sealed]" without their key and "[forgotten on DATE, basis]" where a
// DataShredded in the bundle forgot them. The keys change nothing else:
// a bundle verifies the same with or without them.
func VerifyBundleSealed(ctx context.Context, b *integrity.Bundle, key *integrity.PublicKey, against []integrity.Checkpoint) (*integrity.Report, *history.History, BundleSeal, error) {
	rep, h, err := VerifyBundle(b, key, against)
	if err != nil {
		return nil, nil, BundleSeal{}, err
	}
	count, problems, ks := CheckBundleKeys(b)
	if len(problems) > 0 {
		rep.Problems = append(rep.Problems, problems...)
		sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Seq < rep.Problems[j].Seq })
	}
	if count.Sealed == 0 {
		return rep, h, count, nil
	}
	o := &Opener{Keys: func(context.Context) (keystore.Store, error) { return ks, nil }}
	opened, err := o.Open(ctx, bundleRecords(b))
	if err != nil {
		return nil, nil, BundleSeal{}, fmt.Errorf("open the bundle's sealed fields: %w", err)
	}
	h = history.New()
	for _, r := range opened {
		if f, err := history.FactOf(r); err == nil { // VerifyBundle reported the others
			h.Add(f)
		}
	}
	return rep, h, count, nil
}

// bundleRecords returns b's events and context as records, in sequence
// order, one a sequence: as integrity.VerifyBundle returns them.
func bundleRecords(b *integrity.Bundle) []eventstore.Record {
	all := make([]integrity.BundleEvent, 0, len(b.Context)+len(b.Events))
	all = append(all, b.Context...)
	all = append(all, b.Events...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Seq < all[j].Seq })
	recs := make([]eventstore.Record, 0, len(all))
	for i, e := range all {
		if i > 0 && all[i-1].Seq == e.Seq {
			continue
		}
		recs = append(recs, e.Record())
	}
	return recs
}
