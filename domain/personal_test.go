package domain

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// stringField is a string-valued JSON path of an event type and its Go type.
type stringField struct {
	path string
	typ  reflect.Type
}

// stringFields walks t's JSON shape (embedded structs flattened, "[]" for
// list elements, "." into objects) and returns every string-valued path.
// A shape it cannot decide about (a map, an interface other than
// EventCorrected's replacement) is returned with an empty type.
func stringFields(t reflect.Type, prefix string) []stringField {
	switch t.Kind() {
	case reflect.String:
		return []stringField{{prefix, t}}
	case reflect.Slice, reflect.Array:
		return stringFields(t.Elem(), prefix+"[]")
	case reflect.Pointer:
		return stringFields(t.Elem(), prefix)
	case reflect.Map, reflect.Interface:
		return []stringField{{prefix, nil}}
	case reflect.Struct:
		if t == reflect.TypeFor[Event]() || t.PkgPath() == "time" {
			return nil
		}
		var out []stringField
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			switch {
			case name == "-" && sf.Type == reflect.TypeFor[Event]():
				out = append(out, stringField{join(prefix, "replacement"), sf.Type})
				continue
			case name == "-":
				continue // not stored
			case sf.Anonymous && name == "":
				out = append(out, stringFields(sf.Type, prefix)...)
				continue
			case name == "":
				name = sf.Name
			}
			out = append(out, stringFields(sf.Type, join(prefix, name))...)
		}
		return out
	}
	return nil // numbers, booleans
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// TestEveryStringFieldIsDecided walks every event type's stored string
// fields and fails on each that is neither in PersonalFields nor in
// NotPersonalFields: a new field cannot silently escape the decision of
// whether it is sealed. It also fails on table entries that name no field
// (a renamed field), on a field decided twice, and on an EventCorrected
// replacement that does not follow its target's table.
func TestEveryStringFieldIsDecided(t *testing.T) {
	personal := map[string]PersonalField{}
	for _, f := range PersonalFields() {
		k := f.Type + "." + f.Path
		if f.Target != "" {
			k = f.Type + "<" + f.Target + ">." + f.Path
		}
		if _, dup := personal[k]; dup {
			t.Errorf("PersonalFields lists %s twice", k)
		}
		personal[k] = f
	}
	not := map[string]NotPersonalField{}
	for _, f := range NotPersonalFields() {
		k := f.Type + "." + f.Path
		if _, dup := not[k]; dup {
			t.Errorf("NotPersonalFields lists %s twice", k)
		}
		if strings.TrimSpace(f.Because) == "" {
			t.Errorf("NotPersonalFields: %s says no why", k)
		}
		not[k] = f
	}
	seen := map[string]bool{}
	for _, typ := range EventTypes() {
		p, ok := newEvent(typ)
		if !ok {
			t.Fatalf("newEvent(%q): unknown", typ)
		}
		for _, sf := range stringFields(reflect.TypeOf(p).Elem(), "") {
			k := typ + "." + sf.path
			seen[k] = true
			_, isP := personal[k]
			_, isN := not[k]
			switch {
			case sf.typ == nil:
				t.Errorf("%s is a %s field: decide how its strings are sealed, then teach this walk its shape", k, reflect.TypeOf(p).Elem())
			case typ == "EventCorrected" && sf.path == "replacement":
				// Checked below: it follows its target's table.
			case isP && isN:
				t.Errorf("%s is in both PersonalFields and NotPersonalFields", k)
			case !isP && !isN:
				t.Errorf("%s (%s) is undecided: add it to PersonalFields (domain/personal.go) if it may carry personal data (free text, a recipient or contact, a location, a host name), else to NotPersonalFields saying why", k, sf.typ)
			}
		}
	}
	for k := range personal {
		if !strings.Contains(k, "<") && !seen[k] {
			t.Errorf("PersonalFields names %s, which no event type has", k)
		}
	}
	for k := range not {
		if !seen[k] {
			t.Errorf("NotPersonalFields names %s, which no event type has", k)
		}
	}
	// A correction's replacement is sealed as its target's table says.
	for _, typ := range EventTypes() {
		if typ == "EventCorrected" {
			continue
		}
		want := PersonalFieldsOf(typ, "")
		got := PersonalFieldsOf("EventCorrected", typ)
		var gotRepl []PersonalField
		for _, f := range got {
			if f.Target == typ {
				f.Type, f.Target, f.Path = typ, "", strings.TrimPrefix(f.Path, "replacement.")
				gotRepl = append(gotRepl, f)
			}
		}
		if !slices.Equal(gotRepl, want) {
			t.Errorf("EventCorrected replacing %s seals %v, want its target's %v", typ, gotRepl, want)
		}
	}
}

// TestPersonalFieldRules checks what the table must never do: seal the
// actor identity or a regulatory fact (a closed-set value, a count, a
// time), or put free text under the incident's key.
func TestPersonalFieldRules(t *testing.T) {
	types := map[string]reflect.Type{}
	for _, typ := range EventTypes() {
		p, _ := newEvent(typ)
		for _, sf := range stringFields(reflect.TypeOf(p).Elem(), "") {
			types[typ+"."+sf.path] = sf.typ
		}
	}
	for _, f := range PersonalFields() {
		k := f.Type + "." + f.Path
		if f.Target != "" {
			k = f.Target + "." + strings.TrimPrefix(f.Path, "replacement.")
		}
		if got := types[k]; got != reflect.TypeFor[string]() {
			t.Errorf("%s is sealed but its type is %v: only plain strings carry typed text (a named string type is a closed set, a regulatory fact)", k, got)
		}
		last := f.Path[strings.LastIndex(f.Path, ".")+1:]
		if last == "actor" || last == "admin" {
			t.Errorf("%s is the actor identity: verify needs it in clear", k)
		}
		switch {
		case f.Kind == PersonalFreeText && f.Key != SealEvent:
			t.Errorf("%s is free text sealed under the %s key: free text takes its event's key, so one entry can be forgotten alone", k, f.Key)
		case f.Kind != PersonalFreeText && f.Key != SealIncident:
			t.Errorf("%s (%s) is sealed under the %s key, want the incident's", k, f.Kind, f.Key)
		}
	}
	// Spot checks computed by hand from the list.
	want := map[string]KeyScope{
		"NoteAdded.text":                 SealEvent,
		"NotificationSent.recipient":     SealIncident,
		"NotificationSent.summary":       SealEvent,
		"EvidenceRecorded.location":      SealIncident,
		"IncidentDetected.summary":       SealEvent,
		"RequestRejected.reason":         SealEvent,
		"StageChanged.late_entry_reason": SealEvent,
	}
	for k, key := range want {
		typ, path, _ := strings.Cut(k, ".")
		var got KeyScope
		for _, f := range PersonalFieldsOf(typ, "") {
			if f.Path == path {
				got = f.Key
			}
		}
		if got != key {
			t.Errorf("%s sealed under %q, want %q", k, got, key)
		}
	}
	for _, k := range []string{"NotificationSent.customer", "ScopeRecorded.jurisdictions[]", "RiskFactorsRecorded.people", "NotificationSent.channel"} {
		typ, path, _ := strings.Cut(k, ".")
		for _, f := range PersonalFieldsOf(typ, "") {
			if f.Path == path {
				t.Errorf("%s is a regulatory fact, sealed", k)
			}
		}
	}
	if n := len(PersonalFieldsOf("EventCorrected", "NoteAdded")); n != 4 {
		// reason, late_entry_reason, and the replacement's text and late-entry reason
		t.Errorf("EventCorrected of a NoteAdded has %d personal fields, want 4", n)
	}
}

// fill sets every string reachable in v to "x", giving every list one
// element, so that its encoding shows every stored string path.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Struct:
		if v.Type().PkgPath() == "time" {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	}
}

// jsonStringPaths lists the string paths of a decoded JSON value.
func jsonStringPaths(v any, prefix string, out map[string]bool) {
	switch v := v.(type) {
	case string:
		if v != "0001-01-01T00:00:00Z" { // a zero time.Time, which fill leaves alone
			out[prefix] = true
		}
	case []any:
		for _, e := range v {
			jsonStringPaths(e, prefix+"[]", out)
		}
	case map[string]any:
		for k, e := range v {
			jsonStringPaths(e, join(prefix, k), out)
		}
	}
}

// TestStringFieldsAreTheStoredShape checks the walk above against what
// Encode stores: an event with every string set encodes exactly the string
// paths the walk finds (a custom encoding, like EventCorrected's, could
// otherwise store a field under a name the table does not know).
func TestStringFieldsAreTheStoredShape(t *testing.T) {
	for _, typ := range EventTypes() {
		p, _ := newEvent(typ)
		v := reflect.ValueOf(p).Elem()
		fill(v)
		want := map[string]bool{}
		for _, sf := range stringFields(v.Type(), "") {
			want[sf.path] = true
		}
		if c, ok := p.(*EventCorrected); ok {
			var n NoteAdded
			fill(reflect.ValueOf(&n).Elem())
			c.Replacement, c.TargetType = n, "NoteAdded"
			delete(want, "replacement")
			for _, sf := range stringFields(reflect.TypeFor[NoteAdded](), "replacement") {
				want[sf.path] = true
			}
		}
		_, payload, err := Encode(v.Interface().(Event))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		var decoded any
		if err := json.Unmarshal(payload, &decoded); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		jsonStringPaths(decoded, "", got)
		for p := range want {
			if !got[p] {
				t.Errorf("%s: the walk finds %s, the stored payload has no such string (%s)", typ, p, payload)
			}
		}
		for p := range got {
			if !want[p] {
				t.Errorf("%s: the stored payload has the string %s, the walk does not find it", typ, p)
			}
		}
	}
}
