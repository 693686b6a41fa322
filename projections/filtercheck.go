package projections

import (
	"errors"

	"github.com/breachledger/breachledger/domain"
)

// Unknown returns a problem for every value of the filter that names
// nothing this binary knows: a regime or rule that no rule of any shipped
// pack matches (so the view could never show a row for it), a rule pack it
// does not ship, a status that is not one of the status words. Each lists
// the valid values, the nearest first, and names its field as field does
// ("--regime" on the command line, "regime" in a query). The CLI and the
// HTTP API refuse such a filter (exit 2, 400) rather than answer "none":
// a cron job with a typo must fail, not stay quiet.
func (f DeadlineFilter) Unknown(field func(name string) string) []error {
	var out []error
	add := func(fe *domain.FieldError) {
		if fe != nil {
			out = append(out, fe)
		}
	}
	for _, r := range f.Regimes {
		add(domain.UnknownRegime(field("regime"), r))
	}
	if f.Pack != "" {
		add(domain.UnknownPack(field("pack"), f.Pack))
	}
	if f.ComparePack != "" {
		add(domain.UnknownPack(field("compare-pack"), f.ComparePack))
	}
	for _, s := range f.Statuses {
		var fe *domain.FieldError
		if _, err := domain.ParseStatus(string(s)); errors.As(err, &fe) {
			named := *fe
			named.Field = field("status")
			add(&named)
		}
	}
	return out
}
