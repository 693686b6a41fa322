package main

import "github.com/breachledger/breachledger/domain"

// Values named by word (a regime, a rule pack, a status, an obligation)
// are checked before the ledger is opened wherever the CLI can check them
// alone: an unknown one is a usage error (exit 2) that lists the valid
// values and suggests the nearest (domain.Nearest), and nothing is
// appended. An obligation the incident does not hold can only be judged
// against its history: the domain answers not found (exit 3) naming the
// ones it holds.

// words converts a flag's values to a word type, for a check to follow.
func words[T ~string](vs []string) []T {
	out := make([]T, len(vs))
	for i, v := range vs {
		out[i] = T(v)
	}
	return out
}

// pack checks a rule pack version given to a writer (detect --pack, pack
// INCIDENT VERSION) before the ledger is opened, so an unknown one is a
// usage error whoever runs it (the domain would judge the actor's roles
// first).
func (in *inputs) pack(flag, v string) string {
	if fe := domain.UnknownPack(flag, v); v != "" && fe != nil {
		in.fail(fe)
	}
	return v
}
