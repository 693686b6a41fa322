package domain

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestListsAreFresh: the lists that were package-level variables are now
// functions returning a new value, so a caller that changes what it got
// cannot change what Decide or the next caller sees.
func TestListsAreFresh(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name   string
		change func()
		got    func() any
		want   any
	}{
		{"Stages", func() { Stages()[0] = StageClose }, func() any { return Stages() },
			[]Stage{"detect", "assess", "diagnose", "stabilize", "close"}},
		{"SECAttorneyGeneralDelays", func() { SECAttorneyGeneralDelays()[2] = 0 }, func() any { return SECAttorneyGeneralDelays() },
			[]time.Duration{30 * day, 30 * day, 60 * day}},
		{"Statuses", func() { Statuses()[0] = "done" }, func() any { return Statuses()[0] }, StatusPending},
		{"StageMoves", func() { StageMoves()[0].To = StageClose }, func() any { return StageMoves()[0] },
			StageMove{From: StageDetect, To: StageAssess}},
		{"writerRoles", func() { writerRoles()[0] = RoleAdmin }, func() any { return slices.Contains(writerRoles(), RoleAdmin) }, false},
		{"correctable", func() { correctable()["StageChanged"] = "stage" }, func() any { _, ok := correctable()["StageChanged"]; return ok }, false},
		{"witnessKeySizes", func() { witnessKeySizes()[WitnessAlgEd25519] = 1 }, func() any { return witnessKeySizes()[WitnessAlgEd25519] }, 32},
		{"eea", func() { eea()[0] = "US" }, func() any { return IsEEA("US") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.change()
			if got := tt.got(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("after changing a returned value, got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEventTypeRegistry: every stored type name makes a payload whose Go
// type TypeOf maps back to that name, by value and by pointer; an unknown
// name or type is refused.
func TestEventTypeRegistry(t *testing.T) {
	names := EventTypes()
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Fatalf("EventTypes() = %v, want sorted and without duplicates", names)
	}
	for _, name := range names {
		p, ok := newEvent(name)
		if !ok {
			t.Errorf("newEvent(%q) unknown", name)
			continue
		}
		if got := TypeOf(p); got != name {
			t.Errorf("TypeOf(%T) = %q, want %q", p, got, name)
		}
		if got := TypeOf(reflect.ValueOf(p).Elem().Interface().(Event)); got != name {
			t.Errorf("TypeOf(value of %T) = %q, want %q", p, got, name)
		}
	}
	if _, ok := newEvent("NoSuchEvent"); ok {
		t.Error(`newEvent("NoSuchEvent") known, want unknown`)
	}
	if _, err := Decode("NoSuchEvent", []byte("{}")); err == nil {
		t.Error(`Decode("NoSuchEvent") succeeded, want an error`)
	}
	e, err := Decode("NoteAdded", []byte(`{"text":"hello"}`))
	if err != nil || !reflect.DeepEqual(e, NoteAdded{Text: "hello"}) {
		t.Errorf("Decode(NoteAdded) = %#v, %v, want NoteAdded{Text: hello}", e, err)
	}
}
