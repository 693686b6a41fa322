package domain

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"unsafe"
)

// TestEventTypeSwitch: newEvent's switch knows exactly the names
// eventTypeNames lists (EventTypes, the signable types, the policy's
// checks), so a type added to one and not the other fails here; every
// listed name makes its payload (TestEventTypeRegistry).
func TestEventTypeSwitch(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "codec_types.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != "newEvent" {
			continue
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			cc, ok := n.(*ast.CaseClause)
			if !ok {
				return true
			}
			for _, e := range cc.List {
				lit, ok := e.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Errorf("newEvent: case %v is not a string literal", e)
					continue
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				cases = append(cases, s)
			}
			return true
		})
	}
	slices.Sort(cases)
	if got, want := cases, EventTypes(); !slices.Equal(got, want) {
		t.Errorf("newEvent's cases = %v\nwant eventTypeNames' %v", got, want)
	}
}

// TestDecodeAllocations: Decode allocates what json.Unmarshal of the
// payload into its type allocates, plus the payload's value and its boxed
// copy, not a table of the event types per call (which doubled it): a
// replay decodes every event of the ledger.
func TestDecodeAllocations(t *testing.T) {
	payload := []byte(`{"text":"hello","late_entry_reason":"found in a notebook"}`)
	plain := bytesPerRun(func() {
		v := new(NoteAdded)
		if err := json.Unmarshal(payload, v); err != nil {
			t.Fatal(err)
		}
	})
	got := bytesPerRun(func() {
		if _, err := Decode("NoteAdded", payload); err != nil {
			t.Fatal(err)
		}
	})
	// The boxed copy, rounded up to a size class, and a little slack.
	if want := plain + unsafe.Sizeof(NoteAdded{}) + 32; got > want {
		t.Errorf("Decode(NoteAdded) allocates %d bytes, want at most %d (json.Unmarshal alone: %d)", got, want, plain)
	}
}

// bytesPerRun returns the bytes fn allocates, on average over many runs.
func bytesPerRun(fn func()) uintptr {
	const runs = 1000
	fn() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		fn()
	}
	runtime.ReadMemStats(&after)
	return uintptr((after.TotalAlloc - before.TotalAlloc) / runs)
}
