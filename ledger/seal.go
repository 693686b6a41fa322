package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/keystore"
	"github.com/breachledger/breachledger/seal"
)

// Sealed personal fields (crypto-shredding, issue 25).
//
// The domain decides on plaintext; sealing is an encoding step after it.
// The writer seals a record's personal fields (domain.PersonalFields) once
// its payload is final and its event ID chosen, before the author's
// signature and the leaf are computed: both commit to the sealed bytes,
// never to the plaintext (Writer.Seal, SealRecord). Reading, the records
// of an incident stream are opened below every projection, by an Opener
// that a caller puts in the context (WithOpener): ReadStream, ReadHistory
// and the writer's own load give the domain and the projections the
// plaintext, "[sealed]" when the reader has no key, or "[forgotten on
// DATE, basis]" when a DataShredded forgot it. Records themselves (what
// verify, proofs and checkpoints read) are never opened.

// Placeholders a reader sees instead of a value it cannot open.
const (
	// SealedPlaceholder: the reader has no key store, or not the key.
	SealedPlaceholder = "[sealed]"
	// forgottenFormat: a DataShredded destroyed the key (date, basis).
	forgottenFormat = "[forgotten on %s, %s]"
)

// sealMarker is in every payload holding a sealed value (a JSON string
// starting with seal.Prefix): a payload without it is left as it is.
var sealMarker = []byte(`"` + seal.Prefix)

// SealRecord seals the personal fields of r's payload (an event of the
// incident's stream) with keys from ks: the incident's key or the event's
// own, as domain.PersonalFields says. r's ID, stream and type must be
// final: they are in each sealed value's associated data.
func SealRecord(ctx context.Context, ks keystore.Store, incident string, r *eventstore.Record) error {
	fields := personalFieldsOf(r)
	if len(fields) == 0 {
		return nil
	}
	doc, err := decodeDoc(r.Payload)
	if err != nil {
		return fmt.Errorf("seal event %s: %w", r.ID, err)
	}
	changed := false
	for _, f := range fields {
		if clearHere(doc, f) {
			continue
		}
		err := walkPath(doc, f.Path, "", func(path string, v string) (string, error) {
			if v == "" || seal.IsSealed(v) {
				return v, nil
			}
			sc := keystore.Scope{Incident: incident}
			if f.Key == domain.SealEvent {
				sc.Event = r.ID.String()
			}
			k, err := ks.Create(ctx, sc)
			if err != nil {
				return "", fmt.Errorf("data key of %s: %w", sc, err)
			}
			changed = true
			return seal.Seal(k, seal.Place{EventID: r.ID.String(), Stream: r.Stream, Type: r.Type, Path: path}, v)
		})
		if err != nil {
			return fmt.Errorf("seal event %s: %w", r.ID, err)
		}
	}
	if !changed {
		return nil
	}
	if r.Payload, err = json.Marshal(doc); err != nil {
		return fmt.Errorf("seal event %s: encode: %w", r.ID, err)
	}
	return nil
}

// personalFieldsOf returns the personal fields of r's type (an
// EventCorrected's with its target type's), from domain.PersonalFieldsOf
// once per type and target: the writer and every reader of a sealed ledger
// ask for each record's, and the table is built on each call.
func personalFieldsOf(r *eventstore.Record) []domain.PersonalField {
	target := ""
	if r.Type == "EventCorrected" {
		var t struct {
			TargetType string `json:"target_type"`
		}
		_ = json.Unmarshal(r.Payload, &t)
		target = t.TargetType
	}
	key := [2]string{r.Type, target}
	if fs, ok := personalFieldCache.Load(key); ok {
		return fs.([]domain.PersonalField)
	}
	fs := domain.PersonalFieldsOf(r.Type, target)
	personalFieldCache.Store(key, fs)
	return fs
}

// clearHere reports whether f stays in clear in doc: its ClearWhen field,
// beside it, holds the value that says so.
func clearHere(doc map[string]any, f domain.PersonalField) bool {
	if f.ClearWhen[0] == "" {
		return false
	}
	parent := doc
	if i := strings.LastIndexByte(f.Path, '.'); i >= 0 {
		for _, k := range strings.Split(f.Path[:i], ".") {
			m, ok := parent[k].(map[string]any)
			if !ok {
				return false
			}
			parent = m
		}
	}
	v, _ := parent[f.ClearWhen[0]].(string)
	return v == f.ClearWhen[1]
}

// personalFieldCache holds domain.PersonalFieldsOf by type and target
// ([2]string); its slices are never changed.
var personalFieldCache sync.Map

// decodeDoc decodes a payload keeping its numbers as written.
func decodeDoc(payload []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	return doc, nil
}

// walkPath calls fn on every string at path ("text", "systems[]",
// "replacement.text") in doc, with its concrete path ("systems[1]"), and
// stores what fn returns in its place.
func walkPath(doc map[string]any, path, prefix string, fn func(path, v string) (string, error)) error {
	head, rest, nested := strings.Cut(path, ".")
	name, list := strings.CutSuffix(head, "[]")
	v, ok := doc[name]
	if !ok || v == nil {
		return nil
	}
	at := prefix + name
	visit := func(v any, at string, set func(any)) error {
		if nested {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			return walkPath(m, rest, at+".", fn)
		}
		s, ok := v.(string)
		if !ok {
			return nil
		}
		out, err := fn(at, s)
		if err != nil {
			return err
		}
		set(out)
		return nil
	}
	if !list {
		return visit(v, at, func(x any) { doc[name] = x })
	}
	xs, ok := v.([]any)
	if !ok {
		return nil
	}
	for i := range xs {
		if err := visit(xs[i], at+"["+strconv.Itoa(i)+"]", func(x any) { xs[i] = x }); err != nil {
			return err
		}
	}
	return nil
}

// An Opener opens the sealed fields of records read from the ledger.
type Opener struct {
	// Keys returns the key store, nil when the reader has none (its
	// values then read "[sealed]"). It is called on each sealed value
	// met, from several goroutines at once (ReadHistory): it opens the
	// store on the first call and keeps it.
	Keys func(ctx context.Context) (keystore.Store, error)
	// Store, when set, is where the DataShredded events of a sealed
	// value's stream are read when the records being opened do not hold
	// them (a page of a longer read; a window of a stream): its value
	// then still reads "[forgotten on DATE, basis]", not "[forgotten]"
	// or "[sealed]". Read once per stream and Open call.
	Store eventstore.Store
}

type openerKey struct{}

// WithOpener returns ctx with o: the ledger's reads in ctx open sealed
// fields with it.
func WithOpener(ctx context.Context, o *Opener) context.Context {
	return context.WithValue(ctx, openerKey{}, o)
}

// openerOf returns the Opener in ctx, or nil.
func openerOf(ctx context.Context) *Opener {
	o, _ := ctx.Value(openerKey{}).(*Opener)
	return o
}

// openRecords returns recs with their sealed fields opened, when ctx has an
// Opener and any is sealed; recs itself is never changed.
func openRecords(ctx context.Context, recs []eventstore.Record) ([]eventstore.Record, error) {
	o := openerOf(ctx)
	if o == nil || !anySealed(recs) {
		return recs, nil
	}
	return o.Open(ctx, recs)
}

func anySealed(recs []eventstore.Record) bool {
	for _, r := range recs {
		if bytes.Contains(r.Payload, sealMarker) {
			return true
		}
	}
	return false
}

// Forgotten is what a DataShredded record says: which keys it destroyed,
// when and on which basis.
type Forgotten struct {
	At    time.Time
	Basis string
}

// ForgottenKeys returns the keys the DataShredded records of recs forgot.
func ForgottenKeys(recs []eventstore.Record) map[string]Forgotten {
	out := map[string]Forgotten{}
	for _, r := range recs {
		if r.Type != "DataShredded" {
			continue
		}
		var e struct {
			Basis  string   `json:"basis"`
			KeyIDs []string `json:"key_ids"`
		}
		if json.Unmarshal(r.Payload, &e) != nil {
			continue
		}
		for _, id := range e.KeyIDs {
			out[id] = Forgotten{At: r.OccurredAt, Basis: e.Basis}
		}
	}
	return out
}

// String is what a reader sees of a value it forgot: "[forgotten on
// DATE, basis]".
func (f Forgotten) String() string {
	return fmt.Sprintf(forgottenFormat, f.At.UTC().Format(time.DateOnly), f.Basis)
}

// forgottenKeys are the keys that the DataShredded events of the records
// one Open call opens forgot, and, read from store on demand, those of the
// streams of theirs that hold a value not opened otherwise.
type forgottenKeys struct {
	keys   map[string]Forgotten
	store  eventstore.Store
	stream map[string]map[string]Forgotten
}

// inStream returns the keys the DataShredded events of stream forgot (none
// without a store).
func (fk *forgottenKeys) inStream(ctx context.Context, stream string) map[string]Forgotten {
	if fk.store == nil {
		return nil
	}
	if m, ok := fk.stream[stream]; ok {
		return m
	}
	if fk.stream == nil {
		fk.stream = map[string]map[string]Forgotten{}
	}
	recs, err := fk.store.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if err != nil {
		return nil // not remembered: read again at the next value
	}
	fk.stream[stream] = ForgottenKeys(recs)
	return fk.stream[stream]
}

// Open returns copies of recs with every sealed personal field replaced by
// its plaintext, "[sealed]" or "[forgotten on DATE, basis]". A key store
// that hands out many keys at once (keystore.BatchStore) is asked once for
// every key of recs.
func (o *Opener) Open(ctx context.Context, recs []eventstore.Record) ([]eventstore.Record, error) {
	forgotten := &forgottenKeys{keys: ForgottenKeys(recs), store: o.Store}
	out := make([]eventstore.Record, len(recs))
	copy(out, recs)
	docs := make([]map[string]any, len(out))
	var ids []string
	for i := range out {
		r := &out[i]
		if !bytes.Contains(r.Payload, sealMarker) {
			continue
		}
		doc, err := decodeDoc(r.Payload)
		if err != nil {
			return nil, fmt.Errorf("open event %s: %w", r.ID, err)
		}
		docs[i] = doc
		err = o.eachSealed(r, doc, func(_, v string) (string, error) {
			if id, err := seal.KeyIDOf(v); err == nil {
				if _, gone := forgotten.keys[id]; !gone {
					ids = append(ids, id)
				}
			}
			return v, nil
		})
		if err != nil {
			return nil, err
		}
	}
	keys := o.liveKeys(ctx, ids)
	for i, doc := range docs {
		if doc == nil {
			continue
		}
		r := &out[i]
		err := o.eachSealed(r, doc, func(path, v string) (string, error) {
			return o.openValue(ctx, r, path, v, forgotten, keys), nil
		})
		if err != nil {
			return nil, err
		}
		if r.Payload, err = json.Marshal(doc); err != nil {
			return nil, fmt.Errorf("open event %s: encode: %w", r.ID, err)
		}
	}
	return out, nil
}

// eachSealed calls fn on every sealed value of r's personal fields in doc
// (r's payload, decoded), putting what fn returns in its place.
func (o *Opener) eachSealed(r *eventstore.Record, doc map[string]any, fn func(path, v string) (string, error)) error {
	for _, f := range personalFieldsOf(r) {
		err := walkPath(doc, f.Path, "", func(path, v string) (string, error) {
			if !seal.IsSealed(v) {
				return v, nil
			}
			return fn(path, v)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// liveKeys returns the live keys among ids, when the key store hands out
// many at once (nil otherwise, or when it fails: openValue then asks for
// each key).
func (o *Opener) liveKeys(ctx context.Context, ids []string) map[string]seal.Key {
	if len(ids) == 0 {
		return nil
	}
	bs, ok := o.store(ctx).(keystore.BatchStore)
	if !ok {
		return nil
	}
	slices.Sort(ids)
	keys, err := bs.LiveKeys(ctx, slices.Compact(ids))
	if err != nil {
		return nil
	}
	return keys
}

// openValue returns what a reader sees of one sealed value.
func (o *Opener) openValue(ctx context.Context, r *eventstore.Record, path, v string, forgotten *forgottenKeys, keys map[string]seal.Key) string {
	id, err := seal.KeyIDOf(v)
	if err != nil {
		return SealedPlaceholder
	}
	if f, ok := forgotten.keys[id]; ok {
		return f.String()
	}
	k, ok := keys[id]
	ks := o.store(ctx)
	if !ok && ks != nil {
		k, err = ks.Key(ctx, id)
	}
	if ks == nil || err != nil {
		// Not opened here: forgotten by a DataShredded outside recs, or
		// sealed from this reader.
		if f, ok := forgotten.inStream(ctx, r.Stream)[id]; ok {
			return f.String()
		}
		if errors.Is(err, keystore.ErrDestroyed) {
			return "[forgotten]"
		}
		return SealedPlaceholder
	}
	plain, err := seal.Open(k, seal.Place{EventID: r.ID.String(), Stream: r.Stream, Type: r.Type, Path: path}, v)
	if err != nil {
		return SealedPlaceholder
	}
	return plain
}

func (o *Opener) store(ctx context.Context) keystore.Store {
	if o.Keys == nil {
		return nil
	}
	ks, err := o.Keys(ctx)
	if err != nil {
		return nil
	}
	return ks
}

// A SealedField is one sealed value of a stored record: its concrete path
// and the key that seals it.
type SealedField struct {
	Path  string
	KeyID string
}

// SealedFields returns the sealed values of r's personal fields, and how
// many of its personal fields hold a value in clear (recorded before
// sealing was on: they cannot be forgotten).
func SealedFields(r eventstore.Record) (sealed []SealedField, clear int, err error) {
	fields := personalFieldsOf(&r)
	if len(fields) == 0 {
		return nil, 0, nil
	}
	doc, err := decodeDoc(r.Payload)
	if err != nil {
		return nil, 0, fmt.Errorf("read event %s: %w", r.ID, err)
	}
	for _, f := range fields {
		if clearHere(doc, f) {
			continue
		}
		err := walkPath(doc, f.Path, "", func(path, v string) (string, error) {
			switch {
			case seal.IsSealed(v):
				id, err := seal.KeyIDOf(v)
				if err != nil {
					return v, fmt.Errorf("read %s of event %s: %w", path, r.ID, err)
				}
				sealed = append(sealed, SealedField{Path: path, KeyID: id})
			case v != "":
				clear++
			}
			return v, nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	return sealed, clear, nil
}
