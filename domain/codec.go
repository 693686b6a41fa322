package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// EventTypes returns every stored type name, sorted.
func EventTypes() []string {
	out := eventTypeNames()
	sort.Strings(out)
	return out
}

// TypeOf returns the stored type name of e.
func TypeOf(e Event) string {
	t := reflect.TypeOf(e)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// Every stored name is its Go type's name so far: try that first, and
	// only then compare with every type (a renamed payload, ".v2").
	if p, ok := newEvent(t.Name()); ok && reflect.TypeOf(p).Elem() == t {
		return t.Name()
	}
	for _, name := range eventTypeNames() {
		if p, _ := newEvent(name); reflect.TypeOf(p).Elem() == t {
			return name
		}
	}
	return ""
}

// Encode returns the stored type name and JSON payload of e.
func Encode(e Event) (typ string, payload []byte, err error) {
	typ = TypeOf(e)
	if typ == "" {
		return "", nil, fmt.Errorf("encode %T: not an event type", e)
	}
	payload, err = json.Marshal(e)
	if err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return typ, payload, nil
}

// Decode parses a stored payload of the named type. Unknown type names are
// an error: a binary that does not know an event cannot fold it.
func Decode(typ string, payload []byte) (Event, error) {
	p, ok := newEvent(typ)
	if !ok {
		return nil, fmt.Errorf("decode event: unknown type %q", typ)
	}
	if err := json.Unmarshal(payload, p); err != nil {
		return nil, fmt.Errorf("decode %s: %w", typ, err)
	}
	return reflect.ValueOf(p).Elem().Interface().(Event), nil
}

type eventCorrectedJSON struct {
	Target      string          `json:"target"`
	TargetType  string          `json:"target_type"`
	At          json.RawMessage `json:"at"`
	Replacement json.RawMessage `json:"replacement"`
	Changed     []string        `json:"changed"`
	Reason      string          `json:"reason"`
	LateEntry   string          `json:"late_entry_reason,omitempty"`
}

// MarshalJSON writes the replacement payload under "replacement".
func (e EventCorrected) MarshalJSON() ([]byte, error) {
	if e.Replacement == nil {
		return nil, fmt.Errorf("encode EventCorrected: no replacement")
	}
	if got := TypeOf(e.Replacement); got != e.TargetType {
		return nil, fmt.Errorf("encode EventCorrected: replacement is %s, target is %s", got, e.TargetType)
	}
	repl, err := json.Marshal(e.Replacement)
	if err != nil {
		return nil, err
	}
	at, err := json.Marshal(e.At)
	if err != nil {
		return nil, err
	}
	return json.Marshal(eventCorrectedJSON{Target: e.Target, TargetType: e.TargetType, At: at, Replacement: repl, Changed: e.Changed, Reason: e.Reason, LateEntry: e.LateEntryReason})
}

// UnmarshalJSON reads the replacement with the codec of TargetType.
func (e *EventCorrected) UnmarshalJSON(b []byte) error {
	var j eventCorrectedJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.TargetType == "EventCorrected" {
		return fmt.Errorf("a correction cannot replace a correction")
	}
	repl, err := Decode(j.TargetType, j.Replacement)
	if err != nil {
		return err
	}
	*e = EventCorrected{Target: j.Target, TargetType: j.TargetType, Replacement: repl, Changed: j.Changed, Reason: j.Reason}
	e.LateEntryReason = j.LateEntry
	if len(j.At) > 0 && !bytes.Equal(j.At, []byte("null")) {
		if err := json.Unmarshal(j.At, &e.At); err != nil {
			return err
		}
	}
	return nil
}
