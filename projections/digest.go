package projections

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/history"
)

// Projection names, in the order replay prints them.
const (
	ProjectionIncidents = "incidents" // the incident list
	ProjectionDeadlines = "deadlines" // every obligation of every incident
	ProjectionRegister  = "register"  // the breach register
	ProjectionTimelines = "timelines" // every incident's timeline
	ProjectionReports   = "reports"   // every incident's report (JSON)
)

// Projections lists every projection replay digests.
var Projections = []string{ProjectionIncidents, ProjectionDeadlines, ProjectionRegister, ProjectionTimelines, ProjectionReports}

// Digest identifies a projection's contents: the SHA-256 of its rows, each
// as compact JSON followed by a newline, in the view's order. The view's own
// header (as-of and known-at times) is not part of it, so the same rows
// give the same digest whoever computed them and whenever.
type Digest struct {
	Projection string `json:"projection"`
	Rows       int    `json:"rows"`
	SHA256     string `json:"sha256"`
}

// Digester computes a Digest row by row.
type Digester struct {
	name string
	h    hash.Hash
	n    int
	err  error
}

// NewDigester returns a digester for projection name.
func NewDigester(name string) *Digester { return &Digester{name: name, h: sha256.New()} }

// Add adds one row, as its JSON encoding.
func (d *Digester) Add(row any) {
	b, err := json.Marshal(row)
	if err != nil && d.err == nil {
		d.err = err
	}
	d.AddJSON(b)
}

// AddJSON adds one row given as compact JSON.
func (d *Digester) AddJSON(b []byte) {
	d.h.Write(b)
	d.h.Write([]byte{'\n'})
	d.n++
}

// Digest returns the digest of the rows added, or the first encoding error.
func (d *Digester) Digest() (Digest, error) {
	return Digest{Projection: d.name, Rows: d.n, SHA256: "sha256:" + hex.EncodeToString(d.h.Sum(nil))}, d.err
}

// timelineRow is one row of the timelines projection.
type timelineRow struct {
	Incident string `json:"incident"`
	TimelineEntry
}

// Digests rebuilds every projection of h at the cut from scratch and
// returns their digests, in the order of Projections. p is the provenance
// the reports name.
func Digests(h *history.History, cut domain.Cut, p history.Provenance) ([]Digest, error) {
	ds := map[string]*Digester{}
	for _, name := range Projections {
		ds[name] = NewDigester(name)
	}
	for _, e := range List(h, cut, false).Incidents {
		ds[ProjectionIncidents].Add(e)
	}
	for _, row := range Deadlines(h, cut, DeadlineFilter{}).Deadlines {
		ds[ProjectionDeadlines].Add(row)
	}
	for _, e := range BuildRegister(h, cut, p, FormatJSON).Entries {
		ds[ProjectionRegister].Add(e)
	}
	l := h.LedgerAt(cut)
	for _, id := range h.IncidentIDs() {
		for _, e := range BuildTimeline(id, h.Incidents[id], cut).Entries {
			ds[ProjectionTimelines].Add(timelineRow{Incident: id, TimelineEntry: e})
		}
		if r, ok := BuildReport(l, id, h.Incidents[id], cut, p, FormatJSON); ok {
			ds[ProjectionReports].Add(r)
		}
	}
	out := make([]Digest, 0, len(Projections))
	for _, name := range Projections {
		d, err := ds[name].Digest()
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}
