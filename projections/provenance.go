package projections

import (
	"fmt"
	"strings"
	"time"

	"github.com/breachledger/breachledger/history"
)

// footer returns the integrity footer lines of a report.
func footer(p history.Provenance) []string {
	var out []string
	switch {
	case p.TreeSize == 0:
		return []string{"built from an empty ledger"}
	case p.Signed:
		out = append(out, fmt.Sprintf("Built from the ledger's signed checkpoint of %d events (sequences 0–%d) of %s.", p.TreeSize, p.TreeSize-1, p.Origin))
	default:
		out = append(out, fmt.Sprintf("Built from the first %d events of %s; no signed checkpoint covers exactly these events.", p.TreeSize, p.Origin))
	}
	out = append(out, "Merkle root (RFC 6962, base64): "+p.Root, "Merkle root (hex): "+p.RootHex)
	if p.Recomputed {
		out = append(out, "The root was recomputed from the events this report was built from and matches the checkpoint.")
	}
	if p.Signature != "" {
		out = append(out, "Signature: "+p.Signature+".")
	}
	out = append(out, p.Custody...)
	out = append(out, p.Raced...)
	if p.Authorship != "" {
		out = append(out, p.Authorship)
	}
	return out
}

// reproduce returns the command that rebuilds a report byte for byte.
func reproduce(args string, p history.Provenance, asOf, knownAt time.Time) string {
	var b strings.Builder
	b.WriteString("breachledger report ")
	b.WriteString(args)
	fmt.Fprintf(&b, " --as-of %s --known-at %s", stamp(asOf), stamp(knownAt))
	if p.TreeSize > 0 {
		fmt.Fprintf(&b, " --checkpoint %d", p.TreeSize)
	}
	return b.String()
}
