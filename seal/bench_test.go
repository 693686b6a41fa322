package seal_test

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/breachledger/breachledger/seal"
)

// typicalNote is a note of 240 bytes with a pasted contact, as responders
// write them.
const typicalNote = "Called the customer's DPO (Jane Doe, +44 20 7946 0958, jane.doe@example.org) at 14:05; " +
	"she confirms the export job ran twice and will send the affected account list by tomorrow noon. " +
	"Ticket SEC-4411 updated."

type notePayload struct {
	Text string `json:"text"`
}

// BenchmarkNote measures one note field through the payload codec, without
// sealing (the baseline: encode the JSON payload, decode it) and with it
// (seal, encode, decode, open), side by side in one run, each reporting the
// process's CPU time per op (user and system) beside the wall time:
//
//	go test -run XXX -bench Note -count 6 ./seal
func BenchmarkNote(b *testing.B) {
	k := seal.GenerateKey()
	at := seal.Place{EventID: "0190c8b2-7f00-7000-8000-000000000001", Stream: "incident-2abc", Type: "NoteAdded", Path: "text"}
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			payload, err := json.Marshal(notePayload{Text: typicalNote})
			if err != nil {
				b.Fatal(err)
			}
			var got notePayload
			if err := json.Unmarshal(payload, &got); err != nil || got.Text != typicalNote {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
	b.Run("sealed", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			s, err := seal.Seal(k, at, typicalNote)
			if err != nil {
				b.Fatal(err)
			}
			payload, err := json.Marshal(notePayload{Text: s})
			if err != nil {
				b.Fatal(err)
			}
			var got notePayload
			if err := json.Unmarshal(payload, &got); err != nil {
				b.Fatal(err)
			}
			text, err := seal.Open(k, at, got.Text)
			if err != nil || text != typicalNote {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
}

// TestTypicalNoteSize keeps the benchmark's note what it claims to be.
func TestTypicalNoteSize(t *testing.T) {
	if n := len(typicalNote); n < 200 || n > 255 {
		t.Errorf("typical note is %d bytes, want 200..255 (one bucket of 256)", n)
	}
	if !strings.Contains(typicalNote, "@") {
		t.Error("the typical note pastes no address")
	}
}

// cpuTime is this process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
