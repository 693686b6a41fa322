package history

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
)

// AppendFacts makes the facts FactOf makes, IDs included, though its IDs
// share one string.
func TestAppendFactsIsFactOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 1))
	t0 := time.Date(2025, 3, 7, 0, 0, 0, 0, time.FixedZone("X", 3600))
	var recs []eventstore.Record
	for i := range 300 {
		var id uuid.UUID
		for j := range id {
			id[j] = byte(rng.UintN(256))
		}
		if i == 0 {
			id = uuid.UUID{} // all zeros
		}
		if i == 1 {
			id = uuid.Max
		}
		typ, payload, err := domain.Encode(domain.NoteAdded{Text: fmt.Sprint("note ", i)})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, eventstore.Record{ID: id, Sequence: uint64(i), Stream: domain.IncidentStream("A"), Revision: uint64(i), Type: typ,
			OccurredAt: t0.Add(time.Duration(i) * time.Minute), Actor: "oscar", Signer: "SHA256:x", RecordedAt: t0, Basis: uint64(i % 3), Payload: payload})
	}
	got, err := AppendFacts([]domain.Fact{{ID: "before"}}, recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs)+1 || got[0].ID != "before" {
		t.Fatalf("AppendFacts gave %d facts starting %q, want %d after the one given", len(got), got[0].ID, len(recs))
	}
	for i, r := range recs {
		want, err := FactOf(r)
		if err != nil {
			t.Fatal(err)
		}
		if g := got[i+1]; !reflect.DeepEqual(g, want) {
			t.Errorf("fact %d = %+v\nwant %+v", i, g, want)
		}
	}
	if _, err := AppendFacts(nil, []eventstore.Record{{Type: "NoSuchEvent", Payload: []byte("{}")}}); err == nil {
		t.Error("AppendFacts of an unknown type succeeded, want an error")
	}
}

// AddAll builds the history Add builds one fact at a time, whatever the
// runs of one stream and however the facts are split into calls: the same
// facts kept in the same order, the same raced, the same incident order.
func TestAddAllIsAdd(t *testing.T) {
	raced, lost := 0, 0
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(22, seed))
		facts := randomLog(rng)
		if seed%4 == 3 {
			facts = streamAtATime(facts) // the ledger stream first, then each incident's
		}
		want := New()
		for _, f := range facts {
			want.Add(f)
		}
		got := New()
		for rest := facts; len(rest) > 0; {
			n := 1 + rng.IntN(min(len(rest), 60))
			got.AddAll(rest[:n])
			rest = rest[n:]
		}
		if !reflect.DeepEqual(got.Ledger, want.Ledger) || !reflect.DeepEqual(got.Raced, want.Raced) {
			t.Fatalf("seed %d: ledger or raced facts differ", seed)
		}
		if len(got.Incidents) != len(want.Incidents) {
			t.Fatalf("seed %d: %d incidents, want %d", seed, len(got.Incidents), len(want.Incidents))
		}
		for id, w := range want.Incidents {
			if g := got.Incidents[id]; !reflect.DeepEqual(g, w) {
				t.Fatalf("seed %d: incident %s has %d facts, want %d (or they differ)", seed, id, len(g), len(w))
			}
		}
		if g, w := got.IncidentIDs(), want.IncidentIDs(); !reflect.DeepEqual(g, w) {
			t.Fatalf("seed %d: IncidentIDs = %v, want %v", seed, g, w)
		}
		if g, w := want.IncidentIDs(), firstRecorded(want); !reflect.DeepEqual(g, w) {
			t.Fatalf("seed %d: IncidentIDs = %v, want by first sequence %v", seed, g, w)
		}
		raced += len(want.Raced)
		if slices.ContainsFunc(facts, func(f domain.Fact) bool { return f.Stream == domain.IncidentStream("LOST") }) {
			lost++
			if _, ok := want.Incidents["LOST"]; ok {
				t.Fatalf("seed %d: incident LOST, whose every fact lost a race, has an entry", seed)
			}
		}
	}
	if raced == 0 || lost == 0 {
		t.Fatalf("%d facts lost a race, %d logs have an incident that lost all: the logs test too little", raced, lost)
	}
}

// randomLog returns a log in sequence order: runs of facts of a few
// incidents, some of them signed with a key the ledger stream revokes
// between their decision and their place in the log (so they lose a race),
// and ledger facts among them.
func randomLog(rng *rand.Rand) []domain.Fact {
	var out []domain.Fact
	ledgerRev := uint64(0)
	add := func(stream, typ string, e domain.Event, signer string, basis uint64) {
		rev := uint64(0)
		for _, f := range out {
			if f.Stream == stream {
				rev++
			}
		}
		out = append(out, domain.Fact{ID: fmt.Sprint("e", len(out)), Sequence: uint64(len(out)), Stream: stream, Revision: rev, Type: typ,
			Actor: "oscar", Signer: signer, Basis: basis, Event: e})
	}
	add(domain.LedgerStream, "NoteAdded", domain.NoteAdded{Text: "ledger"}, "", 0)
	lost := false // an incident whose every fact lost a race: it has no entry
	for len(out) < 400 {
		if !lost && ledgerRev > 0 && rng.IntN(3) == 0 {
			lost = true
			for range 1 + rng.IntN(3) {
				add(domain.IncidentStream("LOST"), "NoteAdded", domain.NoteAdded{Text: "n"}, "key0", 1)
			}
			continue
		}
		switch k := rng.IntN(10); {
		case k == 0:
			ledgerRev++
			key := fmt.Sprint("key", rng.IntN(3))
			if ledgerRev == 1 {
				key = "key0"
			}
			add(domain.LedgerStream, "SignerRevoked", domain.SignerRevoked{Actor: "oscar", Fingerprint: key}, "", 0)
		default:
			stream := domain.IncidentStream(fmt.Sprint("INC", rng.IntN(12)))
			for range 1 + rng.IntN(25) {
				// Decided on an older ledger revision now and then: it
				// loses a race when its key was revoked since.
				basis := ledgerRev + 1
				if rng.IntN(4) == 0 && ledgerRev > 0 {
					basis = 1 + rng.Uint64N(ledgerRev)
				}
				add(stream, "NoteAdded", domain.NoteAdded{Text: "n"}, fmt.Sprint("key", rng.IntN(3)), basis)
			}
		}
	}
	return out
}

// streamAtATime returns facts reordered a stream at a time: the ledger
// stream first (randomLog's first fact is of it), then each incident's
// facts in order, incidents in reverse order of their first fact.
func streamAtATime(facts []domain.Fact) []domain.Fact {
	var streams []string
	for _, f := range facts {
		if !slices.Contains(streams, f.Stream) {
			streams = append(streams, f.Stream)
		}
	}
	slices.Reverse(streams[1:])
	var out []domain.Fact
	for _, s := range streams {
		for _, f := range facts {
			if f.Stream == s {
				out = append(out, f)
			}
		}
	}
	return out
}

// firstRecorded returns h's incident IDs ordered by their first fact's
// sequence.
func firstRecorded(h *History) []string {
	type first struct {
		id  string
		seq uint64
	}
	var fs []first
	for id, facts := range h.Incidents {
		fs = append(fs, first{id, facts[0].Sequence})
	}
	for i := range fs {
		for j := i + 1; j < len(fs); j++ {
			if fs[j].seq < fs[i].seq {
				fs[i], fs[j] = fs[j], fs[i]
			}
		}
	}
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.id
	}
	return out
}
